/* Figures of Monte Carlo dropout and calibration: accuracy and calibration
 * error against the number of passes averaged, and reliability diagrams. */
#include "core/internal.h"

#include <math.h>
#include <stdio.h>

int dn_plot_mc_samples(const char *path, const dn_eval_summary *det, const dn_mc_result *mc,
                       double scale, dn_err *err)
{
    int n = mc->n_grid;
    if (n < 1)
        return dn_fail(err, DN_EINVAL, "no Monte Carlo curve to draw (no grid points)");
    double k[DN_MC_GRID_MAX], acc[DN_MC_GRID_MAX], ece[DN_MC_GRID_MAX];
    for (int i = 0; i < n; i++) {
        k[i] = mc->grid[i];
        acc[i] = 100.0 * mc->curve[i].accuracy;
        ece[i] = 100.0 * mc->curve[i].ece;
    }
    /* The deterministic pass and one stochastic pass as flat lines. */
    double ends[2] = {1.0, (double)mc->grid[n - 1]};
    /* in percent: no scale factor on the axes */
    double det_acc[2] = {100.0 * det->accuracy, 100.0 * det->accuracy};
    double det_ece[2] = {100.0 * det->ece, 100.0 * det->ece};
    double one_acc[2] = {100.0 * mc->single.accuracy, 100.0 * mc->single.accuracy};
    double one_ece[2] = {100.0 * mc->single.ece, 100.0 * mc->single.ece};
    int m = ends[1] > ends[0] ? 2 : 1;
    dn_band a[3] = {{"average of k", n, k, acc, NULL, NULL},
                    {"deterministic", m, ends, det_acc, NULL, NULL},
                    {"one pass", m, ends, one_acc, NULL, NULL}};
    dn_band e[3] = {{"average of k", n, k, ece, NULL, NULL},
                    {"deterministic", m, ends, det_ece, NULL, NULL},
                    {"one pass", m, ends, one_ece, NULL, NULL}};
    dn_band_panel panels[2] = {{"test accuracy (%)", a, 3, false},
                               {"calibration error, ECE (%)", e, 3, false}};
    char title[160];
    snprintf(title, sizeof title, "Monte Carlo dropout: %d passes, seed %llu", mc->samples,
             (unsigned long long)mc->seed);
    return dn_plot_bands(path, panels, 2, title, "stochastic passes averaged (k)", scale, err);
}

/* The non-empty bins of r as points (confidence, accuracy). */
static int bin_points(const dn_reliability *r, double *x, double *y)
{
    int n = 0;
    for (int b = 0; b < r->bins; b++)
        if (r->count[b]) {
            x[n] = r->confidence[b];
            y[n++] = r->accuracy[b];
        }
    return n;
}

int dn_plot_reliability(const char *path, const dn_reliability *det, const dn_reliability *mc,
                        int samples, double scale, dn_err *err)
{
    double dx[DN_CAL_MAX_BINS], dy[DN_CAL_MAX_BINS], mx[DN_CAL_MAX_BINS], my[DN_CAL_MAX_BINS];
    double diag[2] = {0.0, 1.0};
    int nd = bin_points(det, dx, dy), nm = mc ? bin_points(mc, mx, my) : 0;
    if (nd < 1 || (mc && nm < 1))
        return dn_fail(err, DN_EINVAL, "an empty reliability diagram");
    char label[64];
    snprintf(label, sizeof label, "average of %d passes", samples);
    dn_band bands[3] = {{"deterministic", nd, dx, dy, NULL, NULL},
                        {"perfect", 2, diag, diag, NULL, NULL},
                        {label, nm, mx, my, NULL, NULL}};
    dn_band_panel panel = {"accuracy in the bin", bands, mc ? 3 : 2, false};
    char title[200];
    if (mc)
        snprintf(title, sizeof title, "Reliability, %d bins\nECE %.4f deterministic, %.4f "
                 "averaged over %d passes", det->bins, det->ece, mc->ece, samples);
    else
        snprintf(title, sizeof title, "Reliability, %d bins\nECE %.4f", det->bins, det->ece);
    return dn_plot_bands(path, &panel, 1, title, "confidence (largest probability)", scale, err);
}
