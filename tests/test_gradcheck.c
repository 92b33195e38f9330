/* Finite-difference gradient checks: every backward function against
 * central differences of the forward pass.
 *
 * Objective for a layer: L = sum_i c_i * out_i with fixed random c, so
 * dL/dout = c. Central differences with step h = 1e-2 (1e-3 around ReLU
 * kinks, where inputs are kept at least 0.05 away from 0); the forward pass
 * is float, so the difference quotient carries ~1e-5 of rounding. Tolerance:
 * |analytic - numeric| <= 2e-3 + 1e-2 |numeric|. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOL(a, n) (2e-3 + 1e-2 * fmax(fabs(a), fabs(n)))

static float rnd(uint64_t i, uint32_t tag) { return 2.0f * dn_uniform((dn_stream){77, tag, 0}, i) - 1.0f; }

static double dotc(const float *out, const float *c, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)out[i] * c[i];
    return s;
}

enum { B = 5, IN = 7, OUT = 4 };

static double linear_obj(const float *x, const float *w, const float *b, const float *c)
{
    float y[B * OUT];
    dn_linear_forward(y, x, w, b, B, IN, OUT);
    return dotc(y, c, B * OUT);
}

Test(gradcheck, linear)
{
    float x[B * IN], w[OUT * IN], b[OUT], c[B * OUT];
    float dx[B * IN], dw[OUT * IN], db[OUT];
    for (int i = 0; i < B * IN; i++) x[i] = rnd(i, 1);
    for (int i = 0; i < OUT * IN; i++) w[i] = rnd(i, 2);
    for (int i = 0; i < OUT; i++) b[i] = rnd(i, 3);
    for (int i = 0; i < B * OUT; i++) c[i] = rnd(i, 4);
    dn_linear_backward(dx, dw, db, c, x, w, B, IN, OUT);
    const float h = 1e-2f;
    float *vars[3] = {x, w, b};
    float *grads[3] = {dx, dw, db};
    int sizes[3] = {B * IN, OUT * IN, OUT};
    const char *names[3] = {"dx", "dw", "db"};
    for (int v = 0; v < 3; v++) {
        for (int i = 0; i < sizes[v]; i++) {
            float keep = vars[v][i];
            vars[v][i] = keep + h;
            double lp = linear_obj(x, w, b, c);
            vars[v][i] = keep - h;
            double lm = linear_obj(x, w, b, c);
            vars[v][i] = keep;
            double num = (lp - lm) / (2.0 * h);
            cr_assert(fabs(grads[v][i] - num) <= TOL(grads[v][i], num), "%s[%d]: %g vs %g",
                      names[v], i, (double)grads[v][i], num);
        }
    }
}

Test(gradcheck, linear_forward_matches_a_plain_loop)
{
    float x[B * IN], w[OUT * IN], b[OUT], y[B * OUT];
    for (int i = 0; i < B * IN; i++) x[i] = rnd(i, 5);
    for (int i = 0; i < OUT * IN; i++) w[i] = rnd(i, 6);
    for (int i = 0; i < OUT; i++) b[i] = rnd(i, 7);
    dn_linear_forward(y, x, w, b, B, IN, OUT);
    for (int r = 0; r < B; r++)
        for (int o = 0; o < OUT; o++) {
            double s = b[o];
            for (int k = 0; k < IN; k++)
                s += (double)x[r * IN + k] * w[o * IN + k];
            cr_assert(fabs(y[r * OUT + o] - s) < 1e-5, "y[%d][%d] = %g, expected %g", r, o,
                      (double)y[r * OUT + o], s);
        }
}

Test(gradcheck, relu)
{
    enum { N = 64 };
    float x[N], y[N], c[N], dx[N];
    for (int i = 0; i < N; i++) {
        x[i] = rnd(i, 8);
        if (fabsf(x[i]) < 0.05f)
            x[i] = x[i] < 0 ? -0.05f : 0.05f;
        c[i] = rnd(i, 9);
    }
    dn_relu_forward(y, x, N);
    dn_relu_backward(dx, c, y, N);
    const float h = 1e-3f;
    for (int i = 0; i < N; i++) {
        float keep = x[i];
        x[i] = keep + h;
        dn_relu_forward(y, x, N);
        double lp = dotc(y, c, N);
        x[i] = keep - h;
        dn_relu_forward(y, x, N);
        double lm = dotc(y, c, N);
        x[i] = keep;
        double num = (lp - lm) / (2.0 * h);
        cr_assert(fabs(dx[i] - num) <= TOL(dx[i], num), "dx[%d]: %g vs %g", i, (double)dx[i], num);
    }
}

Test(gradcheck, dropout_with_a_fixed_mask)
{
    enum { N = 256 };
    const dn_stream s = {5, DN_PURPOSE_DROPOUT + 1, 3};
    float x[N], y[N], c[N], dx[N];
    uint8_t m[N];
    for (int i = 0; i < N; i++) {
        x[i] = rnd(i, 10);
        c[i] = rnd(i, 11);
    }
    /* The same stream gives the same mask, so the forward pass is a fixed
     * linear map and differences of it are exact up to rounding. */
    dn_dropout_forward(y, m, x, N, 0.3f, s, NULL);
    dn_dropout_backward(dx, c, m, N, 0.3f);
    const float h = 1e-2f;
    int zeros = 0;
    for (int i = 0; i < N; i++) {
        float keep = x[i];
        x[i] = keep + h;
        dn_dropout_forward(y, NULL, x, N, 0.3f, s, NULL);
        double lp = dotc(y, c, N);
        x[i] = keep - h;
        dn_dropout_forward(y, NULL, x, N, 0.3f, s, NULL);
        double lm = dotc(y, c, N);
        x[i] = keep;
        double num = (lp - lm) / (2.0 * h);
        cr_assert(fabs(dx[i] - num) <= TOL(dx[i], num), "dx[%d]: %g vs %g", i, (double)dx[i], num);
        zeros += dx[i] == 0.0f;
    }
    cr_assert(zeros > N / 8 && zeros < N / 2, "%d of %d gradients are zero at p = 0.3", zeros, N);
}

static double mean_xent(const float *z, const uint8_t *y, int b, int C)
{
    float l[16];
    dn_softmax_xent_forward(l, z, y, b, C);
    double s = 0.0;
    for (int r = 0; r < b; r++)
        s += l[r];
    return s / b;
}

Test(gradcheck, softmax_cross_entropy)
{
    enum { NB = 6, C = 10 };
    float z[NB * C], dz[NB * C];
    uint8_t y[NB] = {0, 3, 9, 4, 4, 7};
    for (int i = 0; i < NB * C; i++)
        z[i] = 3.0f * rnd(i, 12);
    dn_softmax_xent_backward(dz, z, y, NB, C, 1.0f / NB);
    const float h = 1e-2f;
    for (int i = 0; i < NB * C; i++) {
        float keep = z[i];
        z[i] = keep + h;
        double lp = mean_xent(z, y, NB, C);
        z[i] = keep - h;
        double lm = mean_xent(z, y, NB, C);
        z[i] = keep;
        double num = (lp - lm) / (2.0 * h);
        cr_assert(fabs(dz[i] - num) <= TOL(dz[i], num), "dz[%d]: %g vs %g", i, (double)dz[i], num);
    }
}

/* A whole network, 12-9-7-4 with dropout 0.3 and 0.5 in training mode: the
 * masks are fixed by (seed, step), so every forward pass below sees the same
 * ones. Every parameter's gradient is checked. */
Test(gradcheck, whole_network_with_dropout)
{
    dn_mlp_spec spec = {.inputs = 12, .outputs = 4, .n_hidden = 2, .hidden = {9, 7},
                        .dropout = {0.3f, 0.5f}, .input_dropout = 0.0f};
    dn_err err = {0};
    dn_net *net = dn_net_mlp(&spec, 8, &err);
    cr_assert(net, "%s", err.msg);
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_NORMAL, 0.5f}, 3, &err), DN_OK);
    enum { NB = 8 };
    float x[NB * 12];
    uint8_t y[NB];
    for (int i = 0; i < NB * 12; i++)
        x[i] = rnd(i, 13);
    for (int r = 0; r < NB; r++)
        y[r] = (uint8_t)(r % 4);
    dn_net_set_training(net, true);
    dn_net_set_rng(net, 9, 4);
    int nonzero, checked = check_net_gradients(net, x, y, NB, 1e-3f, &nonzero);
    cr_assert_eq(checked, 12 * 9 + 9 + 9 * 7 + 7 + 7 * 4 + 4);
    cr_assert_gt(nonzero, checked / 3, "most gradients are non-zero");
    dn_net_free(net);
}
