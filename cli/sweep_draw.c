/* dropnet sweep: the heatmaps. */
#include "sweep.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Heatmaps over the axes with more than one value (one or two of them). */
int sweep_draw(const char *dir, const sweep_opts *o, const cell *cells, int n_cells, int best,
               int has_val, double scale, const char *common, char *note, size_t nsize)
{
    int multi[MAX_AXES], nm = 0;
    for (int a = 0; a < o->n_axes; a++)
        if (o->axes[a].n > 1)
            multi[nm++] = a;
    if (nm < 1 || nm > 2) {
        snprintf(note, nsize, "heatmaps need one or two options with several values, not %d; "
                 "sweep.csv has every cell", nm);
        return 1;
    }
    const axis *ax = &o->axes[multi[0]], *ay = nm == 2 ? &o->axes[multi[1]] : NULL;
    int nx = ax->n, ny = ay ? ay->n : 1;
    if (nx > 32 || ny > 32) {
        snprintf(note, nsize, "heatmaps hold at most 32 x 32 cells; sweep.csv has every cell");
        return 1;
    }
    double z[2][32 * 32];
    unsigned char marked[32 * 32];
    int best_xy = -1;
    for (int c = 0; c < n_cells; c++) {
        int x = cells[c].index[multi[0]], y = ay ? cells[c].index[multi[1]] : 0;
        z[0][y * nx + x] = sweep_score(&cells[c], has_val);
        z[1][y * nx + x] = cells[c].ci[M_GAP].mean;
        marked[y * nx + x] = cells[c].could_be_best == 1 && c != best;
        if (c == best)
            best_xy = y * nx + x;
    }
    const char *yt[1] = {""};
    char xl[100], yl[100], title[2][600];
    snprintf(xl, sizeof xl, "%s", ax->name);
    snprintf(yl, sizeof yl, "%s", ay ? ay->name : "");
    /* with a validation split the cells are chosen on it, and the test
     * set is not shown per cell */
    const char *what[2] = {has_val ? "mean final validation accuracy (%)"
                                   : "mean final test accuracy (%)",
                           "mean final gap, train - test (points)"};
    const char *head[2] = {has_val ? "Mean final validation accuracy" : "Mean final test accuracy",
                           "Mean final gap"};
    for (int k = 0; k < 2; k++)
        snprintf(title[k], sizeof title[k], "%s over %ld seed%s\n%s", head[k], o->x.seeds,
                 o->x.seeds == 1 ? "" : "s", common);
    const char *file[2] = {has_val ? "heatmap_val_acc" : "heatmap_test_acc", "heatmap_gap"};
    dn_err err = {0};
    for (int k = 0; k < 2; k++) {
        dn_heatmap h = {nx, ny, z[k], (const char *const *)ax->values,
                        ay ? (const char *const *)ay->values : yt, xl, yl, what[k], title[k],
                        o->x.seeds < 3 ? "thick frame: highest mean (fewer than 3 seeds: no "
                                         "verdict)"
                                       : "thick frame: the best; thin: could also be the best, "
                                         "at 95 %", best_xy, marked, 1};
        for (int f = 0; f < 2; f++) {
            char path[4400];
            snprintf(path, sizeof path, "%s/%s.%s", dir, file[k], f ? "svg" : "png");
            if (dn_plot_heatmap(path, &h, scale, &err)) {
                snprintf(note, nsize, "%s", err.msg);
                return -1;
            }
        }
    }
    return 0;
}

