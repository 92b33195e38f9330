/* dropnet compare: the figures. */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per-epoch mean and interval of metric m over a side's runs. */
static int epoch_band(const side *s, int m, double *x, double *y, double *lo, double *hi,
                      int *clipped)
{
    double *v = malloc((size_t)s->n * sizeof *v);
    if (!v)
        return -1;
    for (int e = 0; e < s->epochs; e++) {
        for (int i = 0; i < s->n; i++)
            v[i] = measure_scale[m] * s->runs[i].metrics.col[measure_metric[m]][e];
        dn_interval ci;
        x[e] = e + 1;
        if (dn_mean_interval(v, s->n, 0.95, &ci, NULL)) {
            y[e] = lo[e] = hi[e] = NAN;
            continue;
        }
        y[e] = ci.mean;
        lo[e] = ci.lo;
        hi[e] = ci.hi;
        /* an accuracy cannot leave 0-100 %, whatever a t interval says */
        if (m == M_TEST_ACC || m == M_TRAIN_ACC) {
            *clipped |= lo[e] < 0.0 || hi[e] > 100.0;
            lo[e] = fmax(lo[e], 0.0);
            hi[e] = fmin(hi[e], 100.0);
        }
    }
    free(v);
    return 0;
}

int compare_draw(const char *dir, const side *A, const side *B, const side *Bp,
                 const char *label_a, const char *label_b, const char *common,
                 const results *r, double scale, int *clipped, char *note, size_t note_size)
{
    int E = A->epochs;
    double *buf = malloc((size_t)E * 8 * N_MEASURES * sizeof *buf);
    if (!buf) {
        snprintf(note, note_size, "out of memory");
        return -1;
    }
    dn_band bands[N_MEASURES][2];
    dn_band_panel panels[N_MEASURES];
    char la[300], lb[300];
    snprintf(la, sizeof la, "A: %s", label_a);
    snprintf(lb, sizeof lb, "B: %s", label_b);
    for (int m = 0; m < N_MEASURES; m++) {
        const side *sides[2] = {A, B};
        for (int k = 0; k < 2; k++) {
            double *p = buf + ((size_t)m * 2 + (size_t)k) * 4 * (size_t)E;
            if (epoch_band(sides[k], m, p, p + E, p + 2 * E, p + 3 * E, clipped)) {
                free(buf);
                snprintf(note, note_size, "out of memory");
                return -1;
            }
            bands[m][k] = (dn_band){k ? lb : la, E, p, p + E, p + 2 * E, p + 3 * E};
        }
        panels[m] = (dn_band_panel){measure_name[m], bands[m], 2, m == M_GAP};
    }
    char title[900], path[4400];
    snprintf(title, sizeof title, "%s\nmean of %d %s per epoch%s", common, A->n,
             r->asked_paired ? "paired seeds" : "seeds (B unpaired)",
             *clipped ? "; bands clipped to 0-100 %" : "");
    dn_err err = {0};
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        snprintf(path, sizeof path, "%s/curves.%s", dir, k ? "svg" : "png");
        rc = dn_plot_bands(path, panels, N_MEASURES, title, "epoch", scale, &err);
    }
    free(buf);
    if (!rc && Bp) {
        const dn_comparison *p = &r->paired[M_TEST_ACC];
        char ci[120], ps[32];
        dn_format_ci(p->diff, p->ci_low, p->ci_high, 2, 1, ci, sizeof ci);
        dn_format_p(p->no_spread ? p->p_wilcoxon : p->p_t, ps, sizeof ps);
        snprintf(title, sizeof title, "Final test accuracy per seed\nB - A: %s points, "
                 "%s p %s%s", ci, p->no_spread ? "no spread; signed-rank" : "paired t-test",
                 ps[0] == '<' ? "" : "= ", ps);
        double *x = malloc((size_t)A->n * sizeof *x);
        if (!x) {
            snprintf(note, note_size, "out of memory");
            return -1;
        }
        for (int i = 0; i < A->n; i++)
            x[i] = (double)A->seed[i];
        dn_paired_fig fig = {A->n, A->final[M_TEST_ACC], Bp->final[M_TEST_ACC], x, label_a,
                             label_b, "final test accuracy (%)", "B - A (points)", "seed", title};
        for (int k = 0; k < 2 && !rc; k++) {
            snprintf(path, sizeof path, "%s/paired.%s", dir, k ? "svg" : "png");
            rc = dn_plot_paired(path, &fig, scale, &err);
        }
        free(x);
    }
    if (rc)
        snprintf(note, note_size, "%s", err.msg);
    return rc;
}

