/* Philox4x32-10 known answers and the properties dropnet builds on. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

/* Known-answer vectors of the Random123 distribution (kat_vectors):
 * counter (4 words), key (2 words) -> output (4 words). dn_philox maps
 * counter = (block lo, block hi, purpose, step), key = (seed lo, seed hi). */
Test(rng, philox_known_answers)
{
    struct {
        uint32_t ctr[4], key[2], out[4];
    } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
         {0xffffffff, 0xffffffff},
         {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
         {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (int i = 0; i < 3; i++) {
        dn_stream s = {((uint64_t)kat[i].key[1] << 32) | kat[i].key[0], kat[i].ctr[2],
                       kat[i].ctr[3]};
        uint32_t out[4];
        dn_philox(s, ((uint64_t)kat[i].ctr[1] << 32) | kat[i].ctr[0], out);
        for (int j = 0; j < 4; j++)
            cr_assert_eq(out[j], kat[i].out[j], "vector %d word %d: %08x != %08x", i, j, out[j],
                         kat[i].out[j]);
    }
}

Test(rng, uniform_range_and_mean)
{
    /* 10^6 uniforms: all in [0,1), mean within 5 standard errors of 1/2
     * (sd of U is 1/sqrt(12)). */
    size_t n = 1000000;
    float *u = malloc(n * sizeof *u);
    dn_uniform_fill((dn_stream){7, 3, 0}, u, n);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        cr_assert(u[i] >= 0.0f && u[i] < 1.0f);
        sum += u[i];
        if (i % 9973 == 0)
            cr_assert_eq(u[i], dn_uniform((dn_stream){7, 3, 0}, i));
    }
    double se = 1.0 / sqrt(12.0 * (double)n);
    cr_assert(fabs(sum / (double)n - 0.5) < 5 * se, "mean %f", sum / (double)n);
    free(u);
}

Test(rng, normal_moments)
{
    /* 2*10^5 normals: mean within 5 se of 0, variance within 5 se of 1
     * (se of the sample variance of N(0,1) is sqrt(2/n)). */
    size_t n = 200000;
    double s1 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double z = dn_normal((dn_stream){11, DN_PURPOSE_INIT, 0}, i);
        s1 += z;
        s2 += z * z;
    }
    double mean = s1 / (double)n, var = s2 / (double)n - mean * mean;
    cr_assert(fabs(mean) < 5.0 / sqrt((double)n), "mean %f", mean);
    cr_assert(fabs(var - 1.0) < 5.0 * sqrt(2.0 / (double)n), "variance %f", var);
}

Test(rng, uniform_below_is_uniform)
{
    /* Chi-square over 7 bins, 70000 draws: 6 degrees of freedom, the 99.99 %
     * quantile is 27.86. */
    size_t counts[7] = {0};
    for (uint64_t i = 0; i < 70000; i++) {
        uint32_t v = dn_uniform_below((dn_stream){5, 2, 1}, i, 7);
        cr_assert_lt(v, 7u);
        counts[v]++;
    }
    double chi = 0.0;
    for (int b = 0; b < 7; b++)
        chi += ((double)counts[b] - 10000.0) * ((double)counts[b] - 10000.0) / 10000.0;
    cr_assert_lt(chi, 27.86, "chi-square %f", chi);
    cr_assert_eq(dn_uniform_below((dn_stream){5, 2, 1}, 3, 1), 0u);
}

Test(rng, shuffle_is_a_permutation_and_depends_on_seed_and_epoch)
{
    uint32_t n = 1000, *a = malloc(n * 4), *b = malloc(n * 4), *c = malloc(n * 4);
    char *seen = calloc(n, 1);
    dn_shuffle(a, n, 42, 0);
    dn_shuffle(b, n, 42, 0);
    for (uint32_t i = 0; i < n; i++) {
        cr_assert_lt(a[i], n);
        cr_assert_eq(seen[a[i]], 0, "value %u twice", a[i]);
        seen[a[i]] = 1;
        cr_assert_eq(a[i], b[i]);
    }
    dn_shuffle(c, n, 42, 1);
    int same_epoch = 0;
    for (uint32_t i = 0; i < n; i++)
        same_epoch += a[i] == c[i];
    cr_assert_lt(same_epoch, 20, "epochs 0 and 1 agree at %d positions", same_epoch);
    dn_shuffle(c, n, 43, 0);
    int same_seed = 0;
    for (uint32_t i = 0; i < n; i++)
        same_seed += a[i] == c[i];
    cr_assert_lt(same_seed, 20, "seeds 42 and 43 agree at %d positions", same_seed);
    free(a);
    free(b);
    free(c);
    free(seen);
}

Test(rng, shuffle_positions_are_uniform)
{
    /* Where element 0 lands over 4000 shuffles of 8: chi-square with 7
     * degrees of freedom, 99.99 % quantile 29.88. */
    size_t counts[8] = {0};
    uint32_t perm[8];
    for (uint32_t e = 0; e < 4000; e++) {
        dn_shuffle(perm, 8, 3, e);
        for (int i = 0; i < 8; i++)
            if (perm[i] == 0)
                counts[i]++;
    }
    double chi = 0.0;
    for (int i = 0; i < 8; i++)
        chi += ((double)counts[i] - 500.0) * ((double)counts[i] - 500.0) / 500.0;
    cr_assert_lt(chi, 29.88, "chi-square %f", chi);
}
