/* Softmax cross-entropy, argmax and SGD (src/nn/loss.c, src/nn/sgd.c). */
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>

Test(loss, known_values)
{
    /* log(e^1 + e^2 + e^3) - 3 = 0.40760596444 ; label 0: 2.40760596444 */
    float z[6] = {1, 2, 3, 1, 2, 3}, l[2];
    uint8_t y[2] = {2, 0};
    dn_softmax_xent_forward(l, z, y, 2, 3);
    cr_assert_float_eq(l[0], 0.40760596f, 1e-6);
    cr_assert_float_eq(l[1], 2.40760596f, 1e-6);
    /* uniform logits: log(C) */
    float u[10] = {0};
    uint8_t y0 = 4;
    dn_softmax_xent_forward(l, u, &y0, 1, 10);
    cr_assert_float_eq(l[0], logf(10.0f), 1e-6);
}

Test(loss, stable_for_large_logits)
{
    float z[3] = {1000.0f, 0.0f, -1000.0f}, l[1], d[3];
    uint8_t y = 0;
    dn_softmax_xent_forward(l, z, &y, 1, 3);
    cr_assert(isfinite(l[0]));
    cr_assert_float_eq(l[0], 0.0f, 1e-6);
    y = 1;
    dn_softmax_xent_forward(l, z, &y, 1, 3);
    cr_assert_float_eq(l[0], 1000.0f, 1e-3);
    dn_softmax_xent_backward(d, z, &y, 1, 3, 1.0f);
    cr_assert_float_eq(d[0], 1.0f, 1e-6);
    cr_assert_float_eq(d[1], -1.0f, 1e-6);
    cr_assert_float_eq(d[2], 0.0f, 1e-6);
    float big[2] = {3e38f, 3e38f};
    y = 0;
    dn_softmax_xent_forward(l, big, &y, 1, 2);
    cr_assert_float_eq(l[0], logf(2.0f), 1e-6);
}

Test(loss, gradient_rows_sum_to_zero)
{
    float z[20], d[20];
    uint8_t y[2] = {3, 9};
    for (int i = 0; i < 20; i++)
        z[i] = (float)(i % 7) * 0.3f - 1.0f;
    dn_softmax_xent_backward(d, z, y, 2, 10, 0.5f);
    for (int r = 0; r < 2; r++) {
        double s = 0.0;
        for (int j = 0; j < 10; j++)
            s += d[r * 10 + j];
        cr_assert(fabs(s) < 1e-6, "row %d sums to %g", r, s);
        cr_assert_lt(d[r * 10 + y[r]], 0.0f);
    }
}

Test(loss, argmax_takes_the_first_largest)
{
    float z[5] = {0.1f, 0.7f, 0.2f, 0.7f, -1.0f};
    cr_assert_eq(dn_argmax(z, 5), 1);
    cr_assert_eq(dn_argmax(z + 2, 3), 1);
    cr_assert_eq(dn_argmax(z + 4, 1), 0);
}

Test(sgd, update_with_and_without_weight_decay)
{
    float w[3] = {1.0f, -2.0f, 0.5f}, g[3] = {0.5f, 0.25f, -1.0f};
    dn_sgd_update(w, g, 3, 0.5f, 0.0f);
    cr_assert_eq(w[0], 0.75f);
    cr_assert_eq(w[1], -2.125f);
    cr_assert_eq(w[2], 1.0f);
    float v[2] = {2.0f, -4.0f}, h[2] = {0.0f, 0.0f};
    dn_sgd_update(v, h, 2, 0.5f, 0.25f); /* w -= 0.5 * 0.25 * w */
    cr_assert_eq(v[0], 1.75f);
    cr_assert_eq(v[1], -3.5f);
}
