/* Activation statistics (src/train/activations.c): the streaming sums
 * against a two-pass computation over the same activations, the same bits
 * with 1 and 2 threads, and sums saved and loaded in the middle of an
 * interval giving the rows of an uninterrupted interval. */
#include "nn/net_internal.h"
#include "train/activations.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BATCHES 5
#define B 37 /* rows per batch: not a multiple of the 16-unit blocks */

static dn_net *small_net(void)
{
    dn_mlp_spec spec = {.inputs = 784, .outputs = 10, .n_hidden = 2, .hidden = {40, 24}, .dropout = {0.3f, 0.5f}};
    dn_net *net = dn_net_mlp(&spec, 64, NULL);
    cr_assert(net);
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_NORMAL, 0.05f}, 3, NULL), DN_OK);
    return net;
}

/* Runs batch k (training mode, masks of step k) of ds through net. */
static void forward_batch(dn_net *net, const dn_dataset *ds, int k, float *x)
{
    uint32_t idx[B];
    for (int r = 0; r < B; r++)
        idx[r] = (uint32_t)(k * B + r);
    dn_batch_images(x, ds, idx, B);
    dn_net_set_training(net, true);
    dn_net_set_rng(net, 11, (uint32_t)k);
    cr_assert(dn_net_forward(net, x, B, NULL));
}

/* Two passes over all BATCHES x B rows of one site's activations. */
static void two_pass(const float *a, int W, double *mean, double *pooled, double *units)
{
    size_t n = (size_t)BATCHES * B;
    double mu = 0.0;
    for (size_t i = 0; i < n * (size_t)W; i++)
        mu += a[i];
    mu /= (double)(n * (size_t)W);
    double ss = 0.0, per_unit = 0.0;
    for (size_t i = 0; i < n * (size_t)W; i++)
        ss += (a[i] - mu) * (a[i] - mu);
    for (int c = 0; c < W; c++) {
        double m = 0.0, v = 0.0;
        for (size_t r = 0; r < n; r++)
            m += a[r * (size_t)W + (size_t)c];
        m /= (double)n;
        for (size_t r = 0; r < n; r++)
            v += (a[r * (size_t)W + (size_t)c] - m) * (a[r * (size_t)W + (size_t)c] - m);
        per_unit += v / (double)n;
    }
    *mean = mu;
    *pooled = ss / (double)(n * (size_t)W);
    *units = per_unit / W;
}

Test(activations, streaming_equals_two_pass)
{
    dn_dataset ds;
    synthetic_dataset(&ds, BATCHES * B, 2);
    dn_net *net = small_net();
    dn_act_tracker *t = dn_act_new(net, NULL);
    cr_assert(t);
    cr_assert_eq(dn_act_rows(t), 4);
    /* the ReLU outputs (layers 2 and 5) and the dropout outputs (3, 6) */
    const int sites[4] = {2, 3, 5, 6}, widths[4] = {40, 40, 24, 24};
    float *keep[4], *x = malloc(B * 784 * sizeof *x);
    for (int s = 0; s < 4; s++)
        keep[s] = malloc((size_t)BATCHES * B * (size_t)widths[s] * sizeof(float));
    for (int k = 0; k < BATCHES; k++) {
        forward_batch(net, &ds, k, x);
        dn_act_add(t, net, B, 0);
        for (int s = 0; s < 4; s++)
            memcpy(keep[s] + (size_t)k * B * (size_t)widths[s], dn_net_activation(net, sites[s]),
                   (size_t)B * (size_t)widths[s] * sizeof(float));
    }
    dn_act_row rows[4];
    dn_act_take(t, 0, 1, 5, rows);
    for (int s = 0; s < 4; s++) {
        double mean, pooled, units;
        two_pass(keep[s], widths[s], &mean, &pooled, &units);
        cr_assert_eq(rows[s].layer, s / 2 + 1);
        cr_assert_str_eq(rows[s].where, s % 2 ? "after" : "before");
        cr_assert_str_eq(rows[s].mode, "train");
        cr_assert_float_eq(rows[s].mean, mean, 1e-12 * fabs(mean) + 1e-15, "site %d mean", s);
        cr_assert_float_eq(rows[s].var_pooled, pooled, 1e-11 * pooled, "site %d pooled %.17g vs %.17g", s,
                           rows[s].var_pooled, pooled);
        cr_assert_float_eq(rows[s].var_units, units, 1e-11 * units, "site %d units", s);
        cr_assert(rows[s].var_pooled >= rows[s].var_units, "pooled adds the spread of means");
    }
    /* dropout at p scales survivors by 1/(1-p): the variance after is larger */
    cr_assert(rows[1].var_pooled > rows[0].var_pooled && rows[3].var_pooled > rows[2].var_pooled);
    /* the sums start again: an empty interval is NaN */
    dn_act_take(t, 0, 1, 6, rows);
    cr_assert(isnan(rows[0].var_pooled));
    for (int s = 0; s < 4; s++)
        free(keep[s]);
    free(x);
    dn_act_free(t);
    dn_net_free(net);
    dn_dataset_free(&ds);
}

/* Rows after all batches, fed with the given threads; with save_at >= 0 the
 * sums are saved after that batch and loaded into a fresh tracker. */
static void rows_of(int threads, int save_at, dn_act_row *rows)
{
    dn_dataset ds;
    synthetic_dataset(&ds, BATCHES * B, 2);
    dn_net *net = small_net();
    dn_act_tracker *t = dn_act_new(net, NULL);
    float *x = malloc(B * 784 * sizeof *x);
    dn_set_threads(threads);
    for (int k = 0; k < BATCHES; k++) {
        forward_batch(net, &ds, k, x);
        dn_act_add(t, net, B, 0);
        if (k == save_at) {
            char *text = dn_act_save(t, NULL);
            cr_assert(text);
            dn_act_free(t);
            t = dn_act_new(net, NULL);
            dn_err err = {0};
            cr_assert_eq(dn_act_load(t, text, &err), DN_OK, "%s", err.msg);
            free(text);
        }
    }
    dn_act_take(t, 0, 1, 5, rows);
    free(x);
    dn_act_free(t);
    dn_net_free(net);
    dn_dataset_free(&ds);
}

Test(activations, same_bits_whatever_threads_and_saves)
{
    dn_act_row one[4], two[4], saved[4];
    rows_of(1, -1, one);
    rows_of(2, -1, two);
    rows_of(2, 2, saved);
    for (int s = 0; s < 4; s++) {
        cr_assert(one[s].mean == two[s].mean && one[s].var_pooled == two[s].var_pooled &&
                  one[s].var_units == two[s].var_units, "site %d: 1 vs 2 threads", s);
        cr_assert(one[s].mean == saved[s].mean && one[s].var_pooled == saved[s].var_pooled &&
                  one[s].var_units == saved[s].var_units, "site %d: saved and loaded", s);
    }
}

Test(activations, load_refuses_what_does_not_fit)
{
    dn_net *net = small_net();
    dn_act_tracker *t = dn_act_new(net, NULL);
    dn_err err = {0};
    cr_assert_eq(dn_act_load(t, "3;0x1p+0", &err), DN_EFORMAT);
    cr_assert_eq(dn_act_load(t, "garbage", &err), DN_EFORMAT);
    char *text = dn_act_save(t, NULL);
    size_t len = strlen(text);
    text = realloc(text, len + 8);
    strcpy(text + len, ",0x1p+0");
    cr_assert_eq(dn_act_load(t, text, &err), DN_EFORMAT);
    cr_assert(strstr(err.msg, "more than"), "%s", err.msg);
    free(text);
    dn_act_free(t);
    dn_net_free(net);
    /* a network without hidden layers has nothing to track */
    dn_mlp_spec spec = {.inputs = 784, .outputs = 10};
    net = dn_net_mlp(&spec, 8, NULL);
    cr_assert_null(dn_act_new(net, &err));
    cr_assert_eq(err.code, DN_EINVAL);
    dn_net_free(net);
}
