/* A run directory (src/files/rundir.c): the input is config.json, metrics.csv
 * and (optionally) steps.csv, separated by FUZZ_SEP, written into a
 * directory and read back with dn_run_load; an accepted run is labelled
 * against a second reading of itself and against the run with the default
 * settings, as `dropnet plot` labels its legend. */
#include "fuzz_util.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *part[3];
    size_t len[3];
    int n = fuzz_split(data, size, part, len, 3);
    if (n < 2)
        return 0;
    const char *dir = fuzz_path("run");
    mkdir(dir, 0777);
    fuzz_write("run/config.json", part[0], len[0]);
    fuzz_write("run/metrics.csv", part[1], len[1]);
    if (n == 3)
        fuzz_write("run/steps.csv", part[2], len[2]);
    else
        fuzz_remove("run/steps.csv");
    dn_run runs[3];
    dn_err err = {0};
    if (dn_run_load(dir, &runs[0], &err) != DN_OK) {
        fuzz_one_line(&err);
        return 0;
    }
    fuzz_check(dn_run_load(dir, &runs[1], &err), &err, "reading the run again");
    memset(&runs[2], 0, sizeof runs[2]);
    snprintf(runs[2].dir, sizeof runs[2].dir, "runs/default/");
    dn_preset(NULL, &runs[2].cfg, &err);
    char labels[3][DN_LABEL_MAX], common[512];
    dn_run_labels(runs, 3, labels, common, sizeof common);
    for (int i = 0; i < 3; i++)
        if (strlen(labels[i]) >= DN_LABEL_MAX || labels[i][0] == '\0')
            fuzz_fail("label %d is '%s'", i, labels[i]);
    if (strlen(common) >= sizeof common)
        fuzz_fail("the common label overflows");
    dn_run_free(&runs[0]);
    dn_run_free(&runs[1]);
    return 0;
}
