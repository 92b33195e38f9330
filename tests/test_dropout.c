/* Dropout as d2l defines it (src/nn/dropout.c). */
#include "core/internal.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const dn_stream S = {2020, DN_PURPOSE_DROPOUT + 1, 0};

/* d2l's demonstration: X = arange(16).reshape(2, 8) with p = 0, 0.5, 1. */
Test(dropout, d2l_demonstration)
{
    float x[16], y[16];
    uint8_t m[16];
    for (int i = 0; i < 16; i++)
        x[i] = (float)i;
    cr_assert_eq(dn_dropout_forward(y, m, x, 16, 0.0f, S, NULL), DN_OK);
    cr_assert_eq(memcmp(x, y, sizeof x), 0, "p = 0 must return X unchanged");
    cr_assert_eq(dn_dropout_forward(y, m, x, 16, 0.5f, S, NULL), DN_OK);
    int kept = 0;
    for (int i = 0; i < 16; i++) {
        cr_assert_eq(y[i], m[i] ? 2.0f * x[i] : 0.0f, "p = 0.5: y[%d] = %g", i, (double)y[i]);
        kept += m[i];
    }
    /* This seed keeps some and drops some, as the book's printout shows. */
    cr_assert(kept > 0 && kept < 16, "kept %d of 16", kept);
    cr_assert_eq(dn_dropout_forward(y, m, x, 16, 1.0f, S, NULL), DN_OK);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(y[i], 0.0f);
}

Test(dropout, rejects_p_outside_unit_interval)
{
    float x[4] = {1, 2, 3, 4}, y[4] = {9, 9, 9, 9};
    const float bad[] = {-0.1f, 1.1f, 1.0000001f, -1e-9f, NAN, INFINITY};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        dn_err err = {0};
        cr_assert_eq(dn_dropout_forward(y, NULL, x, 4, bad[k], S, &err), DN_EINVAL, "p = %g",
                     (double)bad[k]);
        cr_assert(strstr(err.msg, "outside [0, 1]"), "message: %s", err.msg);
        cr_assert_eq(y[0], 9.0f, "nothing written on error");
    }
}

/* 10^6 elements at p = 0.3: the dropped fraction lies in the binomial 99.9 %
 * interval p +- 3.29 sqrt(p(1-p)/n), and the mean of the output of all-ones
 * stays 1 within 3.29 standard errors (the output is 0 or 1/(1-p), whose
 * standard deviation is sqrt(p/(1-p))). */
Test(dropout, statistics_over_a_million_elements)
{
    const size_t n = 1000000;
    const float ps[] = {0.2f, 0.3f, 0.5f, 0.9f};
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    uint8_t *m = malloc(n);
    for (size_t i = 0; i < n; i++)
        x[i] = 1.0f;
    for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
        double p = ps[k];
        cr_assert_eq(dn_dropout_forward(y, m, x, n, ps[k], S, NULL), DN_OK);
        size_t dropped = 0;
        double sum = 0.0;
        for (size_t i = 0; i < n; i++) {
            dropped += !m[i];
            sum += y[i];
        }
        double frac = (double)dropped / (double)n;
        double half = 3.29 * sqrt(p * (1.0 - p) / (double)n);
        cr_assert(fabs(frac - p) < half, "p = %g: dropped %f, allowed +-%f", p, frac, half);
        double se = sqrt(p / (1.0 - p)) / sqrt((double)n);
        cr_assert(fabs(sum / (double)n - 1.0) < 3.29 * se, "p = %g: mean %f (se %f)", p,
                  sum / (double)n, se);
    }
    free(x);
    free(y);
    free(m);
}

/* Keep exactly where U > p, U = dn_uniform(stream, i): the integer threshold
 * must agree with the float comparison for every p, including p near 0 and 1. */
Test(dropout, keeps_exactly_where_uniform_exceeds_p)
{
    const size_t n = 200000;
    const float ps[] = {1e-8f, 0.2f, 0.5f, 0.7f, 0.99999994f, 0x1p-24f, 0.5f + 0x1p-24f};
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    uint8_t *m = malloc(n);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(i % 97) - 40.0f;
    for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
        cr_assert_eq(dn_dropout_forward(y, m, x, n, ps[k], S, NULL), DN_OK);
        float scale = 1.0f / (1.0f - ps[k]);
        for (size_t i = 0; i < n; i++) {
            int keep = dn_uniform(S, i) > ps[k];
            cr_assert_eq(m[i], keep, "p = %.9g, element %zu", (double)ps[k], i);
            cr_assert_eq(y[i], keep ? x[i] * scale : 0.0f);
        }
    }
    free(x);
    free(y);
    free(m);
}

/* The same uniforms behind every p: what a lower p drops, a higher p drops
 * too (what pairs two configurations in an experiment). */
Test(dropout, masks_are_monotone_in_p)
{
    const size_t n = 100000;
    float *x = calloc(n, sizeof *x), *y = malloc(n * sizeof *y);
    uint8_t *lo = malloc(n), *hi = malloc(n);
    for (size_t i = 0; i < n; i++)
        x[i] = 1.0f;
    dn_dropout_forward(y, lo, x, n, 0.2f, S, NULL);
    dn_dropout_forward(y, hi, x, n, 0.5f, S, NULL);
    size_t only_hi = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert(!(lo[i] == 0 && hi[i] == 1), "element %zu dropped at 0.2 but kept at 0.5", i);
        only_hi += lo[i] && !hi[i];
    }
    cr_assert_gt(only_hi, n / 4, "0.5 drops more than 0.2");
    free(x);
    free(y);
    free(lo);
    free(hi);
}

Test(dropout, different_steps_and_sites_give_different_masks)
{
    const size_t n = 4096;
    float x[4096], y[4096];
    uint8_t a[4096], b[4096], c[4096];
    for (size_t i = 0; i < n; i++)
        x[i] = 1.0f;
    dn_dropout_forward(y, a, x, n, 0.5f, dn_dropout_stream(1, 1, 0), NULL);
    dn_dropout_forward(y, b, x, n, 0.5f, dn_dropout_stream(1, 1, 1), NULL);
    dn_dropout_forward(y, c, x, n, 0.5f, dn_dropout_stream(1, 2, 0), NULL);
    int ab = 0, ac = 0;
    for (size_t i = 0; i < n; i++) {
        ab += a[i] == b[i];
        ac += a[i] == c[i];
    }
    /* Independent masks agree on about half the elements (sd 32). */
    cr_assert(ab > 1800 && ab < 2300, "steps 0 and 1 agree on %d", ab);
    cr_assert(ac > 1800 && ac < 2300, "sites 1 and 2 agree on %d", ac);
}

Test(dropout, in_place_equals_out_of_place)
{
    float x[1000], y[1000], z[1000];
    for (int i = 0; i < 1000; i++)
        x[i] = z[i] = (float)i * 0.37f - 100.0f;
    dn_dropout_forward(y, NULL, x, 1000, 0.3f, S, NULL);
    dn_dropout_forward(z, NULL, z, 1000, 0.3f, S, NULL);
    cr_assert_eq(memcmp(y, z, sizeof y), 0);
}

/* Gradients through dropped units are zero; kept ones are scaled by 1/(1-p). */
Test(dropout, backward_uses_the_forward_mask)
{
    float x[512], y[512], dy[512], dx[512];
    uint8_t m[512];
    for (int i = 0; i < 512; i++) {
        x[i] = 1.0f + (float)i;
        dy[i] = 0.5f - (float)(i % 7);
    }
    dn_dropout_forward(y, m, x, 512, 0.5f, S, NULL);
    dn_dropout_backward(dx, dy, m, 512, 0.5f);
    for (int i = 0; i < 512; i++)
        cr_assert_eq(dx[i], m[i] ? dy[i] * 2.0f : 0.0f, "element %d", i);
    dn_dropout_forward(y, m, x, 512, 1.0f, S, NULL);
    dn_dropout_backward(dx, dy, m, 512, 1.0f);
    for (int i = 0; i < 512; i++)
        cr_assert_eq(dx[i], 0.0f);
}

/* The result does not depend on how many threads draw the mask. */
Test(dropout, same_mask_for_any_thread_count)
{
    const size_t n = 300001;
    float *x = malloc(n * 4), *y1 = malloc(n * 4), *y2 = malloc(n * 4);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(i % 13);
    dn_par_take(DN_PAR_DROPOUT);
    dn_set_threads(1);
    dn_dropout_forward(y1, NULL, x, n, 0.4f, S, NULL);
    cr_assert_eq(dn_par_take(DN_PAR_DROPOUT), 1);
    dn_set_threads(3);
    dn_dropout_forward(y2, NULL, x, n, 0.4f, S, NULL);
    cr_assert_eq(dn_par_take(DN_PAR_DROPOUT), 3, "the mask was drawn by 3 threads");
    dn_set_threads(0);
    cr_assert_eq(memcmp(y1, y2, n * 4), 0);
    free(x);
    free(y1);
    free(y2);
}
