/* IDX files, plain and gzip (src/data/idx.c, src/data/fmnist.c).
 *
 * The first byte chooses how the rest is used:
 *   bit 0: 3 dimensions (images) rather than 1 (labels)
 *   bit 1: gzip-compress the rest before writing it, so the reader sees
 *          well-formed gzip around fuzzed content (without it, the bytes are
 *          written as they are: plain files and damaged gzip streams)
 *   bit 2: a dataset: the rest is an image file and a label file separated
 *          by FUZZ_SEP, read by dn_dataset_load
 * Whatever the reader accepts must be consistent: the dimensions multiply to
 * what was read, labels are below 10. */
#include "fuzz_util.h"

#include "core/internal.h"

#include <stdlib.h>

static const char *write_input(const char *name, const uint8_t *d, size_t n, int gz)
{
    return gz ? fuzz_write_gz(name, d, n) : fuzz_write(name, d, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0];
    data++;
    size--;
    int gz = (mode & 2) != 0;
    dn_err err = {0};
    if (mode & 4) {
        const uint8_t *part[2];
        size_t len[2];
        if (fuzz_split(data, size, part, len, 2) != 2)
            return 0;
        const char *img = write_input("in", part[0], len[0], gz);
        const char *lab = write_input("in2", part[1], len[1], gz);
        dn_dataset ds;
        if (dn_dataset_load(&ds, img, lab, &err) == DN_OK) {
            if (ds.n == 0 || ds.rows != 28 || ds.cols != 28 || ds.classes != 10)
                fuzz_fail("dataset of %zu %dx%d images, %d classes", ds.n, ds.rows, ds.cols,
                          ds.classes);
            for (size_t i = 0; i < ds.n; i++)
                if (ds.labels[i] > 9)
                    fuzz_fail("label %d accepted", ds.labels[i]);
            /* A batch of the first and the last image. */
            uint32_t idx[2] = {0, (uint32_t)(ds.n - 1)};
            float x[2 * 784];
            dn_batch_images(x, &ds, idx, 2);
            for (int i = 0; i < 2 * 784; i++)
                if (!(x[i] >= 0.0f && x[i] <= 1.0f))
                    fuzz_fail("pixel %d of the batch is %g", i, (double)x[i]);
            dn_dataset head;
            if (dn_dataset_head(&head, &ds, 1, &err) == DN_OK)
                dn_dataset_free(&head);
            dn_dataset_free(&ds);
        } else {
            fuzz_one_line(&err);
        }
        return 0;
    }
    int ndims = (mode & 1) ? 3 : 1;
    const char *path = write_input("in", data, size, gz);
    uint8_t *items = NULL;
    size_t dims[3];
    if (dn_idx_read(path, ndims, &items, dims, &err) == DN_OK) {
        size_t total = dims[0] * dims[1] * dims[2];
        if (ndims == 1 && (dims[1] != 1 || dims[2] != 1))
            fuzz_fail("labels with dimensions %zux%zu", dims[1], dims[2]);
        /* Every byte the header announces was read (ASan checks the bound). */
        volatile uint8_t sum = 0;
        for (size_t i = 0; i < total; i++)
            sum += items[i];
        (void)sum;
        int gzip_magic = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
        if (!gz && !gzip_magic && size != 4 + 4 * (size_t)ndims + total)
            fuzz_fail("plain file of %zu bytes accepted for %zu items", size, total);
        dn_free(items);
    } else {
        if (items)
            fuzz_fail("data returned with an error");
        fuzz_one_line(&err);
    }
    char hex[65];
    dn_sha256_file(path, hex, &err);
    return 0;
}
