/* The noises of --noise: parsing, each layer's mean and variance, gradients
 * by finite differences with the noise fixed, DropConnect's gradient
 * masking, thread counts, and model files that name the noise. */
#include "helpers.h"
#include "core/internal.h"
#include "files/safetensors.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The tolerance of test_gradcheck.c (float forward passes, h = 1e-3). */
#define TOL(a, n) (2e-3 + 1e-2 * fmax(fabs(a), fabs(n)))

static float rnd(uint64_t i, uint32_t tag)
{
    return 2.0f * dn_uniform((dn_stream){78, tag, 0}, i) - 1.0f;
}

/* ---- parsing ---- */

Test(noise, parse_and_format_read_back)
{
    const char *good[] = {"none", "dropout:0.2", "gaussian:0.5", "additive:0.1",
                          "dropconnect:0.5", "uniform:0.2", "dropout:1", "additive:3"};
    const dn_noise_kind kinds[] = {DN_NOISE_DROPOUT, DN_NOISE_DROPOUT, DN_NOISE_GAUSSIAN,
                                   DN_NOISE_ADDITIVE, DN_NOISE_DROPCONNECT, DN_NOISE_UNIFORM,
                                   DN_NOISE_DROPOUT, DN_NOISE_ADDITIVE};
    const float ps[] = {0.0f, 0.2f, 0.5f, 0.1f, 0.5f, 0.2f, 1.0f, 3.0f};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        dn_noise n;
        dn_err err = {0};
        cr_assert_eq(dn_noise_parse(good[i], &n, &err), DN_OK, "%s: %s", good[i], err.msg);
        cr_assert_eq(n.kind, kinds[i], "%s", good[i]);
        cr_assert_eq(n.p, ps[i], "%s", good[i]);
        char text[64];
        dn_noise_format(n, text, sizeof text);
        cr_assert_str_eq(text, good[i]);
    }
    char name[64];
    dn_noise_layer_name((dn_noise){DN_NOISE_GAUSSIAN, 0.5f}, name, sizeof name);
    cr_assert_str_eq(name, "GaussianDropout(0.5)");
    dn_noise_layer_name((dn_noise){DN_NOISE_ADDITIVE, 0.1f}, name, sizeof name);
    cr_assert_str_eq(name, "AdditiveNoise(0.1)");
    dn_noise_layer_name((dn_noise){DN_NOISE_DROPCONNECT, 0.5f}, name, sizeof name);
    cr_assert_str_eq(name, "DropConnect(0.5)");
    dn_noise_layer_name((dn_noise){DN_NOISE_UNIFORM, 0.2f}, name, sizeof name);
    cr_assert_str_eq(name, "UniformNoise(0.2)");
    dn_noise_layer_name((dn_noise){DN_NOISE_DROPOUT, 0.2f}, name, sizeof name);
    cr_assert_str_eq(name, "Dropout(0.2)");
}

Test(noise, bad_items_are_refused_with_the_reason)
{
    const char *bad[] = {"gaussian:1", "dropout:-1", "additive:nan", "additive:-0.5",
                         "salt:0.5", "gaussian", "gaussian:", "gaussian:0.5x",
                         "dropconnect:1", "uniform:1.5", "dropout:inf", ""};
    const char *why[] = {"outside [0, 1)", "outside [0, 1]", "not a finite number",
                         "not a finite number >= 0", "unknown noise", "needs a value",
                         "needs a value", "not a finite number", "outside [0, 1)",
                         "outside [0, 1)", "not a finite number", "unknown noise"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dn_noise n;
        dn_err err = {0};
        cr_assert_eq(dn_noise_parse(bad[i], &n, &err), DN_EINVAL, "'%s' was accepted", bad[i]);
        cr_assert(strstr(err.msg, why[i]), "'%s': %s", bad[i], err.msg);
        cr_assert(!strchr(err.msg, '\n'));
    }
    dn_noise list[4];
    int n = 0;
    dn_err err = {0};
    cr_assert_eq(dn_noise_list_parse("gaussian:0.2,dropconnect:0.5", list, 4, &n, &err), DN_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(list[1].kind, DN_NOISE_DROPCONNECT);
    cr_assert_eq(dn_noise_list_parse("gaussian:0.2,,none", list, 4, &n, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "empty item"), "%s", err.msg);
    cr_assert_eq(dn_noise_list_parse("none,none,none", list, 2, &n, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "more than 2"), "%s", err.msg);
}

/* ---- each layer's mean and variance ----
 * n = 2^20 draws on inputs of 1: the sample mean of a noise with variance
 * v has standard error sqrt(v/n) (1e-3 for v = 1); 6 standard errors is the
 * tolerance (a false alarm about once in 10^9). The sample variance's
 * standard error is sqrt((m4 - v^2)/n), below 3 v / sqrt(n) for these
 * distributions (kurtosis at most 3 + 6 for the dropout-like ones): 6 of
 * those again. */
enum { NS = 1 << 20 };

static void moments(const float *y, size_t n, double *mean, double *var)
{
    double s = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        s += y[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (y[i] - *mean) * (y[i] - *mean);
    *var = ss / (double)(n - 1);
}

static void check_moments(const float *y, double want_mean, double want_var, const char *what)
{
    double m, v;
    moments(y, NS, &m, &v);
    double se_m = sqrt(want_var / NS), se_v = 3.0 * want_var / sqrt((double)NS);
    cr_assert(fabs(m - want_mean) <= 6.0 * se_m + 1e-6, "%s: mean %.6f, expected %.6f", what, m,
              want_mean);
    cr_assert(fabs(v - want_var) <= 6.0 * se_v + 1e-6, "%s: variance %.6f, expected %.6f", what,
              v, want_var);
}

Test(noise, normals_have_mean_0_and_variance_1)
{
    float *z = malloc(NS * sizeof *z);
    dn_noise_normals(z, 0, NS, (dn_stream){11, DN_PURPOSE_DROPOUT + 1, 2});
    check_moments(z, 0.0, 1.0, "normals");
    /* Box-Muller's bound from 24-bit uniforms: sqrt(-2 ln 2^-24) = 5.77. */
    double tail = 0.0;
    for (size_t i = 0; i < NS; i++) {
        cr_assert(fabsf(z[i]) <= 5.77f, "z[%zu] = %g", i, (double)z[i]);
        tail += fabsf(z[i]) > 1.96f;
    }
    /* P(|Z| > 1.96) = 0.05, standard error sqrt(0.05 * 0.95 / n) = 2.1e-4 */
    cr_assert(fabs(tail / NS - 0.05) < 6 * 2.2e-4, "P(|z| > 1.96) = %g", tail / NS);
    /* The scalar code (machines without AVX2) draws the same bits. */
    float *zs = malloc(NS * sizeof *zs);
    dn_noise_normals_scalar(zs, 0, NS, (dn_stream){11, DN_PURPOSE_DROPOUT + 1, 2});
    cr_assert_arr_eq(zs, z, NS * sizeof *z, "scalar and AVX2 normals differ");
    /* against double-precision Box-Muller on the same uniforms */
    for (size_t i = 0; i < 4096; i++) {
        uint32_t w[4];
        dn_philox((dn_stream){11, DN_PURPOSE_DROPOUT + 1, 2}, i >> 2, w);
        size_t j = (i & 3) >> 1;
        double u1 = ((w[2 * j] >> 8) + 1) * 0x1p-24, u2 = (w[2 * j + 1] >> 8) * 0x1p-24;
        double r = sqrt(-2.0 * log(u1)), t = 2.0 * 3.14159265358979323846 * u2;
        double want = (i & 1) ? r * sin(t) : r * cos(t);
        cr_assert(fabs(z[i] - want) <= 2e-6 * fmax(1.0, fabs(want)), "z[%zu] = %.9g, want %.9g",
                  i, (double)z[i], want);
    }
    free(zs);
    /* A range that starts inside a block draws what the whole range drew. */
    float part[37];
    dn_noise_normals(part, 1001, 1038, (dn_stream){11, DN_PURPOSE_DROPOUT + 1, 2});
    cr_assert_arr_eq(part, z + 1001, sizeof part);
    free(z);
}

Test(noise, gaussian_uniform_additive_moments)
{
    float *x = malloc(NS * sizeof *x), *y = malloc(NS * sizeof *y), *m = malloc(NS * sizeof *m);
    for (size_t i = 0; i < NS; i++)
        x[i] = 1.0f;
    const dn_stream s = {12, DN_PURPOSE_DROPOUT + 2, 7};
    const float ps[] = {0.2f, 0.5f};
    for (int k = 0; k < 2; k++) {
        double p = ps[k], v = p / (1.0 - p);
        cr_assert_eq(dn_gaussian_forward(y, m, x, NS, ps[k], s, NULL), DN_OK);
        check_moments(y, 1.0, v, "gaussian");
        cr_assert_eq(dn_uniform_noise_forward(y, m, x, NS, ps[k], s, NULL), DN_OK);
        check_moments(y, 1.0, v, "uniform");
        /* the multipliers are dn_uniform's numbers of the site's stream */
        for (size_t i = 0; i < NS; i += 4093) {
            float want = 1.0f + (float)sqrt(3.0 * v) * (2.0f * dn_uniform(s, i) - 1.0f);
            cr_assert_eq(m[i], want, "m[%zu] = %.9g, want %.9g", i, (double)m[i], (double)want);
        }
        double a = sqrt(3.0 * v), lo = 1e9, hi = -1e9;
        for (size_t i = 0; i < NS; i++) {
            lo = fmin(lo, y[i]);
            hi = fmax(hi, y[i]);
        }
        cr_assert(lo >= 1.0 - a - 1e-6 && hi <= 1.0 + a + 1e-6 && lo < 1.0 - 0.99 * a &&
                      hi > 1.0 + 0.99 * a,
                  "uniform range [%g, %g], expected [%g, %g]", lo, hi, 1.0 - a, 1.0 + a);
        /* dropout at the same p: the moments the two above match */
        cr_assert_eq(dn_dropout_forward(y, NULL, x, NS, ps[k], s, NULL), DN_OK);
        check_moments(y, 1.0, v, "dropout");
    }
    cr_assert_eq(dn_additive_forward(y, x, NS, 0.3f, s, NULL), DN_OK);
    check_moments(y, 1.0, 0.09, "additive");
    /* p = 0: no noise, the input bit for bit */
    cr_assert_eq(dn_gaussian_forward(y, m, x, NS, 0.0f, s, NULL), DN_OK);
    cr_assert_arr_eq(y, x, NS * sizeof *y);
    cr_assert_eq(dn_gaussian_forward(y, m, x, NS, 1.0f, s, NULL), DN_EINVAL);
    free(x);
    free(y);
    free(m);
}

Test(noise, dropconnect_moments_and_mask)
{
    float *w = malloc(NS * sizeof *w), *wd = malloc(NS * sizeof *wd);
    uint8_t *mask = malloc(NS), *dmask = malloc(NS);
    for (size_t i = 0; i < NS; i++)
        w[i] = 1.0f;
    const dn_stream s = {13, DN_PURPOSE_DROPOUT + 1, 5};
    cr_assert_eq(dn_dropconnect_forward(wd, mask, w, NS, 0.5f, s, NULL), DN_OK);
    check_moments(wd, 1.0, 1.0, "dropconnect");
    /* the mask of dropout with the same stream and p */
    float *y = malloc(NS * sizeof *y);
    dn_dropout_forward(y, dmask, w, NS, 0.5f, s, NULL);
    cr_assert_arr_eq(mask, dmask, NS);
    for (size_t i = 0; i < NS; i++)
        cr_assert_eq(wd[i], mask[i] ? 2.0f : 0.0f);
    /* the gradient: only kept weights get one, scaled as they were */
    float *g = malloc(NS * sizeof *g);
    for (size_t i = 0; i < NS; i++)
        g[i] = 0.25f;
    dn_dropconnect_backward(g, mask, NS, 0.5f);
    for (size_t i = 0; i < NS; i++)
        cr_assert_eq(g[i], mask[i] ? 0.5f : 0.0f, "g[%zu]", i);
    free(w);
    free(wd);
    free(mask);
    free(dmask);
    free(y);
    free(g);
}

/* ---- gradients by finite differences, the noise fixed by (seed, step) ---- */

/* 12-9-7-4 with noise a after hidden layer 1 and b after hidden layer 2, in
 * training mode: every parameter's gradient against central differences. */
static void gradcheck(dn_noise a, dn_noise b)
{
    dn_mlp_spec spec = {.inputs = 12, .outputs = 4, .n_hidden = 2, .hidden = {9, 7},
                        .dropout = {a.p, b.p}, .noise = {a.kind, b.kind}};
    dn_err err = {0};
    dn_net *net = dn_net_mlp(&spec, 8, &err);
    cr_assert(net, "%s", err.msg);
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_NORMAL, 0.5f}, 3, &err), DN_OK);
    /* Biases away from 0: a row of ReLU outputs that are all 0 would put
     * the next pre-activation exactly on the kink, where differences and
     * the gradient disagree. */
    for (int li = 0; li < dn_net_num_layers(net); li++) {
        dn_layer_info L;
        dn_net_layer(net, li, &L, NULL);
        for (int k = 0; L.kind == DN_LAYER_LINEAR && k < L.out; k++)
            L.b[k] = 0.3f * rnd((uint64_t)(li * 100 + k), 14);
    }
    enum { NB = 8 };
    float x[NB * 12];
    uint8_t y[NB];
    for (int r = 0; r < NB; r++)
        y[r] = (uint8_t)(r % 4);
    dn_net_set_training(net, true);
    /* The first inputs and step whose noise leave every pre-activation at
     * least 0.01 from ReLU's kink, where a difference of h = 1e-3 in a
     * weight (times inputs up to about 3) could cross it and disagree with
     * the gradient. */
    uint32_t step = 0;
    for (;; step++) {
        cr_assert_lt(step, 200, "no step without a pre-activation near 0");
        for (int i = 0; i < NB * 12; i++)
            x[i] = rnd(i, 13 + step);
        dn_net_set_rng(net, 9, step);
        dn_net_forward(net, x, NB, NULL);
        float near = 1.0f;
        for (int li = 1; li <= 4; li += 3) {
            const float *pre = dn_net_activation(net, li);
            for (int k = 0; k < NB * spec.hidden[li / 3]; k++)
                near = fminf(near, fabsf(pre[k]));
        }
        if (near >= 0.01f)
            break;
    }
    int nonzero, checked = check_net_gradients(net, x, y, NB, 1e-3f, &nonzero);
    cr_assert_eq(checked, 12 * 9 + 9 + 9 * 7 + 7 + 7 * 4 + 4);
    cr_assert_gt(nonzero, checked / 3, "most gradients are non-zero");
    dn_net_free(net);
}

Test(noise, gradient_gaussian) { gradcheck((dn_noise){DN_NOISE_GAUSSIAN, 0.3f}, (dn_noise){DN_NOISE_GAUSSIAN, 0.5f}); }
Test(noise, gradient_uniform) { gradcheck((dn_noise){DN_NOISE_UNIFORM, 0.2f}, (dn_noise){DN_NOISE_UNIFORM, 0.1f}); }
Test(noise, gradient_additive) { gradcheck((dn_noise){DN_NOISE_ADDITIVE, 0.2f}, (dn_noise){DN_NOISE_ADDITIVE, 0.5f}); }
Test(noise, gradient_dropconnect) { gradcheck((dn_noise){DN_NOISE_DROPCONNECT, 0.3f}, (dn_noise){DN_NOISE_DROPCONNECT, 0.5f}); }
Test(noise, gradient_mixed) { gradcheck((dn_noise){DN_NOISE_DROPCONNECT, 0.4f}, (dn_noise){DN_NOISE_GAUSSIAN, 0.5f}); }
Test(noise, gradient_mixed_dropout) { gradcheck((dn_noise){DN_NOISE_DROPOUT, 0.4f}, (dn_noise){DN_NOISE_DROPCONNECT, 0.5f}); }

/* ---- networks ---- */

static dn_mlp_spec noisy_spec(dn_noise a, dn_noise b)
{
    return (dn_mlp_spec){.inputs = 784, .outputs = 10, .n_hidden = 2, .hidden = {256, 256},
                         .dropout = {a.p, b.p}, .noise = {a.kind, b.kind}};
}

/* Three training steps on batches of 128 (over every parallel threshold)
 * with the given threads. */
static dn_net *steps(dn_mlp_spec spec, int threads, double *loss)
{
    dn_set_threads(threads);
    dn_err err = {0};
    dn_net *net = dn_net_mlp(&spec, 128, &err);
    cr_assert(net, "%s", err.msg);
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_NORMAL, 0.01f}, 5, &err), DN_OK);
    static float x[128 * 784];
    uint8_t y[128];
    for (int i = 0; i < 128 * 784; i++)
        x[i] = dn_uniform((dn_stream){6, 99, 0}, (uint64_t)i);
    for (int r = 0; r < 128; r++)
        y[r] = (uint8_t)(r % 10);
    *loss = 0.0;
    size_t correct = 0;
    for (uint32_t s = 0; s < 3; s++) {
        dn_net_set_rng(net, 5, s);
        cr_assert_eq(dn_net_train_step(net, x, y, 128, 0.5f, 1e-4f, loss, &correct, &err), DN_OK,
                     "%s", err.msg);
    }
    return net;
}

Test(noise, same_bits_for_1_2_and_4_threads)
{
    const dn_noise cases[][2] = {
        {{DN_NOISE_GAUSSIAN, 0.2f}, {DN_NOISE_DROPCONNECT, 0.5f}},
        {{DN_NOISE_DROPCONNECT, 0.3f}, {DN_NOISE_ADDITIVE, 0.1f}},
        {{DN_NOISE_UNIFORM, 0.2f}, {DN_NOISE_DROPOUT, 0.5f}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        double l1, l2, l4;
        dn_net *a = steps(noisy_spec(cases[c][0], cases[c][1]), 1, &l1);
        dn_net *b = steps(noisy_spec(cases[c][0], cases[c][1]), 2, &l2);
        dn_net *d = steps(noisy_spec(cases[c][0], cases[c][1]), 4, &l4);
        size_t n;
        const float *pa = dn_net_params(a, &n);
        cr_assert_eq(memcmp(pa, dn_net_params(b, NULL), n * sizeof(float)), 0, "case %zu: 1 vs 2", c);
        cr_assert_eq(memcmp(pa, dn_net_params(d, NULL), n * sizeof(float)), 0, "case %zu: 1 vs 4", c);
        cr_assert_eq(l1, l2);
        cr_assert_eq(l1, l4);
        dn_net_free(a);
        dn_net_free(b);
        dn_net_free(d);
    }
    dn_set_threads(0);
}

Test(noise, dropout_through_noise_is_dropout)
{
    double l1, l2;
    dn_net *a = steps(noisy_spec((dn_noise){DN_NOISE_DROPOUT, 0.2f},
                                 (dn_noise){DN_NOISE_DROPOUT, 0.5f}), 2, &l1);
    dn_mlp_spec plain = {.inputs = 784, .outputs = 10, .n_hidden = 2, .hidden = {256, 256},
                         .dropout = {0.2f, 0.5f}};
    dn_net *b = steps(plain, 2, &l2);
    size_t n;
    const float *pa = dn_net_params(a, &n);
    cr_assert_eq(memcmp(pa, dn_net_params(b, NULL), n * sizeof(float)), 0);
    cr_assert_eq(l1, l2);
    dn_net_free(a);
    dn_net_free(b);
}

/* The noise changes training, and only training: eval mode is the plain
 * network; DropConnect in training is the product with masked weights. */
Test(noise, off_in_eval_mode_and_dropconnect_uses_masked_weights)
{
    dn_mlp_spec spec = {.inputs = 6, .outputs = 3, .n_hidden = 2, .hidden = {5, 4},
                        .dropout = {0.5f, 0.5f},
                        .noise = {DN_NOISE_GAUSSIAN, DN_NOISE_DROPCONNECT}};
    dn_mlp_spec none = spec;
    none.dropout[0] = none.dropout[1] = 0.0f;
    none.noise[0] = none.noise[1] = DN_NOISE_DROPOUT;
    dn_err err = {0};
    dn_net *a = dn_net_mlp(&spec, 4, &err), *b = dn_net_mlp(&none, 4, &err);
    cr_assert(a && b, "%s", err.msg);
    dn_net_reset(a, (dn_init){DN_INIT_NORMAL, 0.5f}, 2, &err);
    dn_net_reset(b, (dn_init){DN_INIT_NORMAL, 0.5f}, 2, &err);
    float x[24];
    for (int i = 0; i < 24; i++)
        x[i] = rnd((uint64_t)i, 20);
    dn_net_set_training(a, false);
    dn_net_set_training(b, false);
    float za[12];
    memcpy(za, dn_net_forward(a, x, 4, NULL), sizeof za);
    cr_assert_arr_eq(za, dn_net_forward(b, x, 4, NULL), sizeof za);
    /* training: the output layer (7) reads hidden layer 2 through weights
     * masked by the stream of site 2 */
    dn_net_set_training(a, true);
    dn_net_set_rng(a, 3, 1);
    const float *z = dn_net_forward(a, x, 4, NULL);
    dn_layer_info L;
    dn_net_layer(a, 7, &L, NULL);
    const float *h = dn_net_activation(a, 6);
    float w[12];
    uint8_t m[12];
    dn_dropconnect_forward(w, m, L.w, 12, 0.5f, dn_dropout_stream(3, 2, 1), NULL);
    float want[12];
    dn_linear_forward(want, h, w, L.b, 4, 4, 3);
    cr_assert_arr_eq(z, want, sizeof want);
    int kept = 0;
    for (int i = 0; i < 12; i++)
        kept += m[i];
    cr_assert(kept > 0 && kept < 12, "%d of 12 weights kept", kept);
    dn_net_free(a);
    dn_net_free(b);
}

/* ---- model files ---- */

Test(noise, model_files_name_the_noise_and_read_it_back)
{
    const dn_noise kinds[][2] = {
        {{DN_NOISE_GAUSSIAN, 0.5f}, {DN_NOISE_ADDITIVE, 0.1f}},
        {{DN_NOISE_DROPCONNECT, 0.5f}, {DN_NOISE_UNIFORM, 0.2f}},
        {{DN_NOISE_DROPOUT, 0.2f}, {DN_NOISE_DROPCONNECT, 0.25f}},
    };
    const char *layers[] = {
        "Flatten,Linear(6,5),ReLU,GaussianDropout(0.5),Linear(5,4),ReLU,AdditiveNoise(0.1),"
        "Linear(4,3)",
        "Flatten,Linear(6,5),ReLU,DropConnect(0.5),Linear(5,4),ReLU,UniformNoise(0.2),"
        "Linear(4,3)",
        "Flatten,Linear(6,5),ReLU,Dropout(0.2),Linear(5,4),ReLU,DropConnect(0.25),Linear(4,3)"};
    const char *lists[] = {"gaussian:0.5,additive:0.1", "dropconnect:0.5,uniform:0.2",
                           "dropout:0.2,dropconnect:0.25"};
    for (int c = 0; c < 3; c++) {
        dn_mlp_spec spec = {.inputs = 6, .outputs = 3, .n_hidden = 2, .hidden = {5, 4},
                            .dropout = {kinds[c][0].p, kinds[c][1].p},
                            .noise = {kinds[c][0].kind, kinds[c][1].kind}};
        dn_err err = {0};
        dn_net *net = dn_net_mlp(&spec, 4, &err);
        cr_assert(net, "%s", err.msg);
        dn_net_reset(net, (dn_init){DN_INIT_PYTORCH, 0}, 4, &err);
        dn_model_info info = {.input_scale = 1.0f};
        const char *path = tmp_path("noise.safetensors");
        cr_assert_eq(dn_model_save(path, net, &info, &err), DN_OK, "%s", err.msg);
        dn_model_info back;
        dn_net *net2 = dn_model_load(path, 4, &back, &err);
        cr_assert(net2, "%s", err.msg);
        char d[512];
        dn_net_describe(net2, d, sizeof d, NULL);
        cr_assert_str_eq(d, layers[c]);
        cr_assert_str_eq(back.noise, lists[c]);
        for (int site = 1; site <= 2; site++) {
            dn_noise got;
            cr_assert(dn_net_noise(net2, site, &got));
            cr_assert_eq(got.kind, kinds[c][site - 1].kind);
            cr_assert_eq(got.p, kinds[c][site - 1].p);
        }
        size_t n;
        const float *p1 = dn_net_params(net, &n);
        cr_assert_arr_eq(p1, dn_net_params(net2, NULL), n * sizeof(float));
        /* the loaded network trains with its noise: the same step, the same bits */
        float x[24];
        uint8_t y[4] = {0, 1, 2, 0};
        for (int i = 0; i < 24; i++)
            x[i] = rnd((uint64_t)i, 21);
        double l1 = 0, l2 = 0;
        size_t k1 = 0, k2 = 0;
        dn_net_set_rng(net, 7, 0);
        dn_net_set_rng(net2, 7, 0);
        cr_assert_eq(dn_net_train_step(net, x, y, 4, 0.1f, 0, &l1, &k1, &err), DN_OK);
        cr_assert_eq(dn_net_train_step(net2, x, y, 4, 0.1f, 0, &l2, &k2, &err), DN_OK);
        cr_assert_eq(l1, l2);
        cr_assert_arr_eq(p1, dn_net_params(net2, NULL), n * sizeof(float));
        /* a network with other noise does not take the file */
        dn_mlp_spec other = spec;
        other.noise[1] = DN_NOISE_DROPOUT;
        dn_net *net3 = dn_net_mlp(&other, 4, &err);
        cr_assert_eq(dn_model_read_into(path, net3, NULL, &err), DN_EFORMAT);
        cr_assert(strstr(err.msg, "layer 6 is"), "%s", err.msg);
        dn_net_free(net3);
        dn_model_info_free(&back);
        dn_net_free(net);
        dn_net_free(net2);
    }
}

Test(noise, bad_noise_metadata_is_a_format_error)
{
    const char *bad[] = {"Flatten,Linear(6,5),ReLU,GaussianDropout(1),Linear(5,3)",
                         "Flatten,Linear(6,5),ReLU,AdditiveNoise(-1),Linear(5,3)",
                         "Flatten,Linear(6,5),ReLU,GaussianNoise(0.5),Linear(5,3)"};
    static float zeros[64];
    for (int c = 0; c < 3; c++) {
        dn_st_out t[4] = {{"1.weight", 2, {5, 6}, zeros},
                          {"1.bias", 1, {5}, zeros},
                          {"4.weight", 2, {3, 5}, zeros},
                          {"4.bias", 1, {3}, zeros}};
        const char *meta[] = {"layers", bad[c]};
        const char *path = tmp_path("badnoise.st");
        dn_err err = {0};
        cr_assert_eq(dn_st_write(path, t, 4, meta, 1, &err), DN_OK, "%s", err.msg);
        cr_assert_null(dn_model_load(path, 4, NULL, &err), "%s was loaded", bad[c]);
        cr_assert_eq(err.code, DN_EFORMAT);
        cr_assert(strstr(err.msg, "layer 3"), "%s", err.msg);
    }
}

/* A file without dropnet's metadata (PyTorch's d2l MLP): the noise is set
 * on the loaded network, at the sites its Dropout layers hold. */
Test(noise, noise_set_on_a_loaded_network)
{
    static float w1[8 * 6], w2[4 * 8], w3[3 * 4], zeros[8];
    for (int i = 0; i < 48; i++)
        w1[i] = rnd((uint64_t)i, 30);
    for (int i = 0; i < 32; i++)
        w2[i] = rnd((uint64_t)i, 31);
    for (int i = 0; i < 12; i++)
        w3[i] = rnd((uint64_t)i, 32);
    dn_st_out t[6] = {{"1.weight", 2, {8, 6}, w1}, {"1.bias", 1, {8}, zeros},
                      {"4.weight", 2, {4, 8}, w2}, {"4.bias", 1, {4}, zeros},
                      {"7.weight", 2, {3, 4}, w3}, {"7.bias", 1, {3}, zeros}};
    const char *path = tmp_path("pt.st");
    dn_err err = {0};
    cr_assert_eq(dn_st_write(path, t, 6, NULL, 0, &err), DN_OK, "%s", err.msg);
    dn_model_info info;
    dn_net *net = dn_model_load(path, 4, &info, &err);
    cr_assert(net, "%s", err.msg);
    cr_assert_str_eq(info.noise, "", "a PyTorch file does not say its noise");
    cr_assert_eq(dn_net_set_noise(net, 1, (dn_noise){DN_NOISE_DROPCONNECT, 0.5f}, &err), DN_OK,
                 "%s", err.msg);
    cr_assert_eq(dn_net_set_noise(net, 2, (dn_noise){DN_NOISE_GAUSSIAN, 0.3f}, &err), DN_OK);
    char d[256];
    dn_net_describe(net, d, sizeof d, NULL);
    cr_assert_str_eq(d, "Flatten,Linear(6,8),ReLU,DropConnect(0.5),Linear(8,4),ReLU,"
                        "GaussianDropout(0.3),Linear(4,3)");
    cr_assert_eq(dn_net_set_noise(net, 3, (dn_noise){DN_NOISE_GAUSSIAN, 0.3f}, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "no Dropout layer at site 3"), "%s", err.msg);
    cr_assert_eq(dn_net_set_noise(net, 1, (dn_noise){DN_NOISE_GAUSSIAN, 1.0f}, &err), DN_EINVAL);
    /* on: two stochastic passes differ, and differ from eval mode */
    float x[24], z1[12], z2[12], z0[12];
    for (int i = 0; i < 24; i++)
        x[i] = rnd((uint64_t)i, 33);
    memcpy(z0, dn_net_forward(net, x, 4, NULL), sizeof z0);
    dn_net_set_training(net, true);
    dn_net_set_rng(net, 1, 0);
    memcpy(z1, dn_net_forward(net, x, 4, NULL), sizeof z1);
    dn_net_set_rng(net, 1, 1);
    memcpy(z2, dn_net_forward(net, x, 4, NULL), sizeof z2);
    cr_assert(memcmp(z0, z1, sizeof z0) && memcmp(z1, z2, sizeof z1));
    dn_model_info_free(&info);
    dn_net_free(net);
    /* no Dropout layers (Linear, ReLU, Linear): nowhere to put noise */
    dn_st_out t2[4] = {{"0.weight", 2, {8, 6}, w1}, {"0.bias", 1, {8}, zeros},
                       {"2.weight", 2, {3, 8}, w2}, {"2.bias", 1, {3}, zeros}};
    cr_assert_eq(dn_st_write(path, t2, 4, NULL, 0, &err), DN_OK);
    net = dn_model_load(path, 4, NULL, &err);
    cr_assert(net, "%s", err.msg);
    cr_assert_eq(dn_net_set_noise(net, 1, (dn_noise){DN_NOISE_GAUSSIAN, 0.3f}, &err), DN_EINVAL);
    dn_net_free(net);
}
