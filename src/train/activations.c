/* Activation statistics in one streaming pass: per unit, the count, mean
 * and sum of squared deviations of the examples seen (Welford); a batch's
 * own mean and squared deviations are merged in (Chan et al.'s pairwise
 * update). Each unit is summed by one thread over the rows in order, so the
 * bits do not depend on the thread count; the pooled statistics come from
 * the units' in unit order. Nothing here changes the network. */
#include "nn/net_internal.h"
#include "train/activations.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int layer;         /* index of the ReLU layer */
    int noise;         /* index of the layer whose output is "after" the noise */
    int width;
} act_site;

/* The sums of one mode: per site, before and after, per unit. */
typedef struct {
    size_t n;          /* examples (rows) seen */
    double *mean, *m2; /* sites x 2 x width each */
} act_sums;

struct dn_act_tracker {
    int n_sites;
    act_site site[DN_MAX_HIDDEN * 16];
    size_t units;      /* sum of widths, times 2 (before, after) */
    act_sums sums[2];  /* train, eval */
    double *bmean, *bm2; /* scratch for a batch */
};

dn_act_tracker *dn_act_new(const dn_net *net, dn_err *err)
{
    dn_act_tracker *t = calloc(1, sizeof *t);
    if (!t) {
        dn_fail(err, DN_ENOMEM, "cannot allocate the activation statistics");
        return NULL;
    }
    for (int i = 0; i < net->n_layers; i++) {
        const dn_layer *L = &net->layers[i];
        if (L->kind != DN_LAYER_RELU || t->n_sites == (int)(sizeof t->site / sizeof *t->site))
            continue;
        int after = i + 1 < net->n_layers && net->layers[i + 1].kind != DN_LAYER_LINEAR ? i + 1
                                                                                        : i;
        t->site[t->n_sites++] = (act_site){i, after, L->out};
        t->units += 2 * (size_t)L->out;
    }
    if (!t->n_sites) {
        free(t);
        dn_fail(err, DN_EINVAL, "the network has no hidden layer to track");
        return NULL;
    }
    for (int m = 0; m < 2; m++) {
        t->sums[m].mean = calloc(t->units, sizeof(double));
        t->sums[m].m2 = calloc(t->units, sizeof(double));
    }
    t->bmean = calloc(t->units, sizeof(double));
    t->bm2 = calloc(t->units, sizeof(double));
    if (!t->sums[0].mean || !t->sums[0].m2 || !t->sums[1].mean || !t->sums[1].m2 ||
        !t->bmean || !t->bm2) {
        dn_act_free(t);
        dn_fail(err, DN_ENOMEM, "cannot allocate the activation statistics");
        return NULL;
    }
    return t;
}

void dn_act_free(dn_act_tracker *t)
{
    if (!t)
        return;
    for (int m = 0; m < 2; m++) {
        free(t->sums[m].mean);
        free(t->sums[m].m2);
    }
    free(t->bmean);
    free(t->bm2);
    free(t);
}

int dn_act_rows(const dn_act_tracker *t) { return 2 * t->n_sites; }

/* Mean and squared deviations of columns [c0, c1) of x (B x W) over the
 * rows, two passes over the batch (it is in cache), into mean[c], m2[c]. */
static void batch_stats(const float *x, int B, int W, int c0, int c1, double *mean, double *m2)
{
    for (int c = c0; c < c1; c++)
        mean[c] = 0.0;
    for (int r = 0; r < B; r++) {
        const float *row = x + (size_t)r * (size_t)W;
        for (int c = c0; c < c1; c++)
            mean[c] += row[c];
    }
    for (int c = c0; c < c1; c++) {
        mean[c] /= B;
        m2[c] = 0.0;
    }
    for (int r = 0; r < B; r++) {
        const float *row = x + (size_t)r * (size_t)W;
        for (int c = c0; c < c1; c++) {
            double d = row[c] - mean[c];
            m2[c] += d * d;
        }
    }
}

void dn_act_add(dn_act_tracker *t, const dn_net *net, int B, int eval)
{
    act_sums *s = &t->sums[eval ? 1 : 0];
    size_t off = 0;
    double n0 = (double)s->n, nb = (double)B, n1 = n0 + nb;
    for (int k = 0; k < t->n_sites; k++) {
        const act_site *site = &t->site[k];
        int W = site->width;
        for (int w = 0; w < 2; w++) {
            const float *x = net->outs[w ? site->noise : site->layer];
            double *bm = t->bmean + off, *bq = t->bm2 + off;
            double *mean = s->mean + off, *m2 = s->m2 + off;
            /* columns in fixed blocks of 16, whichever thread takes them */
            int blocks = (W + 15) / 16;
            #pragma omp parallel for schedule(static) if ((size_t)B * (size_t)W >= DN_PAR_MIN)
            for (int blk = 0; blk < blocks; blk++) {
                int c0 = blk * 16, c1 = c0 + 16 < W ? c0 + 16 : W;
                batch_stats(x, B, W, c0, c1, bm, bq);
                for (int c = c0; c < c1; c++) {
                    double d = bm[c] - mean[c];
                    mean[c] += d * (nb / n1);
                    m2[c] += bq[c] + d * d * (n0 * nb / n1);
                }
            }
            off += (size_t)W;
        }
    }
    s->n += (size_t)B;
}

void dn_act_take(dn_act_tracker *t, int eval, int epoch, size_t step, dn_act_row *rows)
{
    act_sums *s = &t->sums[eval ? 1 : 0];
    size_t off = 0;
    double n = (double)s->n;
    for (int k = 0; k < t->n_sites; k++) {
        int W = t->site[k].width;
        for (int w = 0; w < 2; w++) {
            const double *mean = s->mean + off, *m2 = s->m2 + off;
            double mu = 0.0, within = 0.0, between = 0.0;
            for (int c = 0; c < W; c++)
                mu += mean[c];
            mu /= W;
            for (int c = 0; c < W; c++) {
                within += m2[c];
                between += (mean[c] - mu) * (mean[c] - mu);
            }
            /* population variances: over n x W values pooled, and each
             * unit's over its n values, averaged over the units */
            rows[2 * k + w] = (dn_act_row){epoch, step, eval ? "eval" : "train", k + 1,
                                           w ? "after" : "before", mu,
                                           n > 0 ? (within + n * between) / (n * W) : NAN,
                                           n > 0 ? within / n / W : NAN};
            off += (size_t)W;
        }
    }
    memset(s->mean, 0, t->units * sizeof(double));
    memset(s->m2, 0, t->units * sizeof(double));
    s->n = 0;
}

/* "n;a,b,c,...;a,b,c,..." with the units' means and squared deviations in
 * hexadecimal floating point (%a): exact, and read back by strtod. */
char *dn_act_save(const dn_act_tracker *t, dn_err *err)
{
    const act_sums *s = &t->sums[0];
    size_t cap = 32 + 2 * t->units * 28;
    char *text = malloc(cap);
    if (!text) {
        dn_fail(err, DN_ENOMEM, "cannot save the activation statistics");
        return NULL;
    }
    size_t len = (size_t)snprintf(text, cap, "%zu", s->n);
    for (int part = 0; part < 2; part++) {
        const double *v = part ? s->m2 : s->mean;
        for (size_t i = 0; i < t->units; i++)
            len += (size_t)snprintf(text + len, cap - len, "%c%a", i ? ',' : ';', v[i]);
    }
    return text;
}

int dn_act_load(dn_act_tracker *t, const char *text, dn_err *err)
{
    act_sums *s = &t->sums[0];
    char *end;
    unsigned long long n = strtoull(text, &end, 10);
    const char *p = end;
    for (int part = 0; part < 2 && p; part++) {
        double *v = part ? s->m2 : s->mean;
        for (size_t i = 0; i < t->units; i++) {
            if (*p != (i ? ',' : ';'))
                return dn_fail(err, DN_EFORMAT, "activation statistics: %zu values expected",
                               2 * t->units);
            v[i] = strtod(p + 1, &end);
            if (end == p + 1 || !isfinite(v[i]))
                return dn_fail(err, DN_EFORMAT, "activation statistics: value %zu is not a "
                               "finite number", i);
            p = end;
        }
    }
    if (*p)
        return dn_fail(err, DN_EFORMAT, "activation statistics: more than %zu values",
                       2 * t->units);
    s->n = (size_t)n;
    return DN_OK;
}
