/* dropnet sweep: what the runs say, and which cells could be the best. */
#include "sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sweep_load(const experiment *x, cell *cells, int n_cells, int seeds, int *has_val)
{
    *has_val = 1;
    for (int c = 0; c < n_cells; c++) {
        if (!(cells[c].val = malloc((size_t)seeds * sizeof(double)))) {
            cli_error("sweep: out of memory");
            return EXIT_RUNTIME;
        }
        for (int m = 0; m < N_MEASURES; m++)
            if (!(cells[c].final[m] = malloc((size_t)seeds * sizeof(double)))) {
                cli_error("sweep: out of memory");
                return EXIT_RUNTIME;
            }
        for (int s = 0; s < seeds; s++) {
            char dir[4400];
            experiment_run_dir(x, c * seeds + s, dir, sizeof dir);
            dn_run run;
            dn_err err = {0};
            if (dn_run_load(dir, &run, &err))
                return cli_fail(&err);
            size_t last = run.metrics.n - 1;
            for (int m = 0; m < N_MEASURES; m++)
                cells[c].final[m][s] = measure_scale[m] * run.metrics.col[measure_metric[m]][last];
            if (run.metrics.has_val)
                cells[c].val[s] = 100.0 * run.metrics.col[DN_METRIC_VAL_ACC][last];
            else
                *has_val = 0;
            dn_run_free(&run);
        }
        for (int m = 0; m < N_MEASURES; m++)
            dn_mean_interval(cells[c].final[m], seeds, 0.95, &cells[c].ci[m], NULL);
    }
    for (int c = 0; c < n_cells && *has_val; c++)
        dn_mean_interval(cells[c].val, seeds, 0.95, &cells[c].val_ci, NULL);
    return 0;
}

void sweep_cells_free(cell *cells, int n_cells)
{
    if (cells)
        for (int c = 0; c < n_cells; c++) {
            for (int m = 0; m < N_MEASURES; m++)
                free(cells[c].final[m]);
            free(cells[c].val);
        }
    free(cells);
}

double sweep_score(const cell *c, int has_val)
{
    return has_val ? c->val_ci.mean : c->ci[M_TEST_ACC].mean;
}

int sweep_rank(cell *cells, int n_cells, int seeds, int has_val, int *best)
{
    int b = 0;
    for (int c = 1; c < n_cells; c++)
        if (sweep_score(&cells[c], has_val) > sweep_score(&cells[b], has_val))
            b = c;
    *best = b;
    for (int c = 0; c < n_cells; c++) {
        cells[c].diff = cells[c].ci[M_TEST_ACC].mean - cells[b].ci[M_TEST_ACC].mean;
        cells[c].score_diff = sweep_score(&cells[c], has_val) - sweep_score(&cells[b], has_val);
        cells[c].p_beaten = NAN;
        cells[c].could_be_best = -1;
    }
    if (seeds < 3) /* no verdict */
        return 0;
    /* Multiple comparisons with the best, on every cell's per-seed test
     * accuracies side by side. */
    double *x = calloc((size_t)n_cells * (size_t)seeds, sizeof *x);
    double *p = malloc((size_t)n_cells * sizeof *p);
    unsigned char *keep = malloc((size_t)n_cells);
    int rc = 0;
    dn_err err = {0};
    if (!x || !p || !keep) {
        cli_error("sweep: out of memory");
        rc = EXIT_RUNTIME;
    } else {
        for (int c = 0; c < n_cells; c++)
            memcpy(x + (size_t)c * (size_t)seeds, has_val ? cells[c].val : cells[c].final[M_TEST_ACC],
                   (size_t)seeds * sizeof *x);
        if (dn_could_be_best(x, n_cells, seeds, 0.05, keep, p, &err))
            rc = cli_fail(&err);
        else
            for (int c = 0; c < n_cells; c++) {
                cells[c].p_beaten = p[c];
                cells[c].could_be_best = keep[c];
            }
    }
    free(x);
    free(p);
    free(keep);
    return rc;
}
