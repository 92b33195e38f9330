/* CSV data (src/data/csv.c): the input is the file. What is accepted is read
 * again as a test set with the width and classes it gave (it must be
 * accepted again, identically), then prepared both ways the CLI prepares
 * CSV data. */
#include "fuzz_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("in", data, size);
    dn_dataset ds, again;
    dn_err err = {0};
    if (dn_csv_load(&ds, path, 0, 0, &err) != DN_OK) {
        fuzz_one_line(&err);
        return 0;
    }
    if (ds.n == 0 || ds.rows != 1 || ds.cols < 1 || ds.classes < 1 ||
        ds.classes > DN_MAX_CLASSES || !ds.features || ds.images)
        fuzz_fail("dataset of %zu rows %dx%d, %d classes", ds.n, ds.rows, ds.cols, ds.classes);
    size_t w = (size_t)ds.cols;
    for (size_t i = 0; i < ds.n; i++) {
        if (ds.labels[i] >= ds.classes)
            fuzz_fail("label %d of row %zu with %d classes", ds.labels[i], i, ds.classes);
        for (size_t j = 0; j < w; j++)
            if (!isfinite(ds.features[i * w + j]))
                fuzz_fail("feature %zu of row %zu is not finite", j, i);
    }
    fuzz_check(dn_csv_load(&again, path, ds.cols, ds.classes, &err), &err, "reading it again");
    if (again.n != ds.n || memcmp(again.labels, ds.labels, ds.n) != 0 ||
        memcmp(again.features, ds.features, ds.n * w * sizeof(float)) != 0)
        fuzz_fail("read twice, the file gave different data");
    float *mean = malloc(w * sizeof *mean), *std = malloc(w * sizeof *std);
    if (!mean || !std)
        fuzz_fail("out of memory");
    fuzz_check(dn_feature_stats(&ds, mean, std, &err), &err, "dn_feature_stats");
    for (size_t j = 0; j < w; j++)
        if (!(std[j] > 0.0f) || !isfinite(mean[j]) || !isfinite(std[j]))
            fuzz_fail("feature %zu: mean %g, std %g", j, (double)mean[j], (double)std[j]);
    /* Standardising may overflow to infinities only if the values are near
     * FLT_MAX; the CLI's check is the training loss, not this. */
    fuzz_check(dn_dataset_prepare(&ds, 1.0f, mean, std, &err), &err, "standardising");
    fuzz_check(dn_dataset_prepare(&again, 255.0f, NULL, NULL, &err), &err, "scaling");
    free(mean);
    free(std);
    dn_dataset_free(&ds);
    dn_dataset_free(&again);
    return 0;
}
