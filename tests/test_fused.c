/* The fused Linear -> ReLU -> Dropout passes (src/nn/fused.c) against the
 * separate layer functions: the same bits for every width (rows that start
 * inside a Philox block included), batch, p, mode and thread count. Shapes
 * above each pass's parallel threshold are checked to run on every thread
 * asked for (1, 2 or 3). */
#include "core/internal.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void check(int B, int W, float p, int training, int threads)
{
    size_t n = (size_t)B * (size_t)W;
    float *z0 = malloc(n * 4), *b = malloc((size_t)W * 4);
    dn_uniform_fill((dn_stream){3, 50, (uint32_t)W}, z0, n);
    dn_uniform_fill((dn_stream){3, 51, (uint32_t)W}, b, (size_t)W);
    for (size_t i = 0; i < n; i++)
        z0[i] = 2.0f * z0[i] - 1.0f;
    for (int j = 0; j < W; j++)
        b[j] -= 0.5f;
    dn_stream s = dn_dropout_stream(9, 1, (uint32_t)(B * 31 + W));

    /* reference: bias add, ReLU, dropout, one after another */
    float *zr = malloc(n * 4), *ar = malloc(n * 4), *dr = malloc(n * 4);
    uint8_t *mr = malloc(n);
    for (int r = 0; r < B; r++)
        for (int j = 0; j < W; j++)
            zr[(size_t)r * W + j] = z0[(size_t)r * W + j] + b[j];
    dn_relu_forward(ar, zr, n);
    if (training)
        cr_assert_eq(dn_dropout_forward(dr, mr, ar, n, p, s, NULL), DN_OK);

    dn_set_threads(threads);
    float *z = malloc(n * 4), *a = malloc(n * 4), *d = malloc(n * 4);
    uint8_t *m = malloc(n);
    memcpy(z, z0, n * 4);
    dn_par_take(DN_PAR_FUSED_FORWARD);
    dn_bias_relu_dropout_forward(z, a, d, m, b, B, W, p, s, training);
    /* Parallel from DN_PAR_MIN / 4 elements (fused.c). */
    int want = n >= DN_PAR_MIN / 4 ? threads : 1;
    cr_assert_eq(dn_par_take(DN_PAR_FUSED_FORWARD), want, "forward threads: B=%d W=%d, %d asked",
                 B, W, threads);
    cr_assert_eq(memcmp(z, zr, n * 4), 0, "z: B=%d W=%d p=%g", B, W, (double)p);
    cr_assert_eq(memcmp(a, ar, n * 4), 0, "a: B=%d W=%d p=%g", B, W, (double)p);
    if (training) {
        cr_assert_eq(memcmp(d, dr, n * 4), 0, "d: B=%d W=%d p=%g threads=%d", B, W, (double)p,
                     threads);
        cr_assert_eq(memcmp(m, mr, n), 0, "mask: B=%d W=%d p=%g", B, W, (double)p);

        /* backward: dropout, ReLU, bias gradient */
        float *g = malloc(n * 4), *t1 = malloc(n * 4), *t2 = malloc(n * 4);
        float *dbr = malloc((size_t)W * 4), *dz = malloc(n * 4), *db = malloc((size_t)W * 4);
        dn_uniform_fill((dn_stream){4, 52, 0}, g, n);
        for (size_t i = 0; i < n; i++)
            g[i] -= 0.5f;
        dn_dropout_backward(t1, g, mr, n, p);
        dn_relu_backward(t2, t1, ar, n);
        dn_bias_grad(dbr, t2, B, W);
        dn_par_take(DN_PAR_FUSED_BACKWARD);
        dn_dropout_relu_bias_backward(dz, db, g, m, a, B, W, p);
        /* Parallel from DN_PAR_MIN elements. */
        want = n >= DN_PAR_MIN ? threads : 1;
        cr_assert_eq(dn_par_take(DN_PAR_FUSED_BACKWARD), want,
                     "backward threads: B=%d W=%d, %d asked", B, W, threads);
        cr_assert_eq(memcmp(dz, t2, n * 4), 0, "dz: B=%d W=%d p=%g", B, W, (double)p);
        cr_assert_eq(memcmp(db, dbr, (size_t)W * 4), 0, "db: B=%d W=%d p=%g threads=%d", B, W,
                     (double)p, threads);
        free(g); free(t1); free(t2); free(dbr); free(dz); free(db);
    }
    dn_set_threads(0);
    free(z0); free(b); free(zr); free(ar); free(dr); free(mr); free(z); free(a); free(d); free(m);
}

Test(fused, equals_the_separate_layers)
{
    const int widths[] = {1, 3, 5, 17, 64, 255, 256};
    /* 40 x 256 reaches the forward's parallel threshold, 128 x 256 the
     * backward's. */
    const int batches[] = {1, 3, 7, 40, 128};
    const float ps[] = {0.0f, 0.2f, 0.5f, 0.999f, 1.0f};
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
        for (size_t bi = 0; bi < sizeof batches / sizeof *batches; bi++)
            for (size_t k = 0; k < sizeof ps / sizeof *ps; k++)
                for (int training = 0; training < 2; training++)
                    check(batches[bi], widths[w], ps[k], training, 1 + (int)((w + k) % 3));
    /* Every shape above a threshold ran with 1, 2 and 3 threads: the thread
     * count cycles with p. */
    cr_assert_geq(128 * 256, DN_PAR_MIN, "128 x 256 reaches the backward's threshold");
}

/* dn_dropout_mask (eight Philox blocks at a time where the CPU has AVX2)
 * against dn_random_u32 one element at a time: ranges that start and end
 * inside blocks, seeds above 2^32, any purpose and step, thresholds at both
 * ends, and block numbers whose low 32 bits wrap inside a range. */
Test(fused, dropout_mask_equals_philox)
{
    const uint64_t seeds[] = {0, 1, 42, 0x123456789abcdefULL, (1ULL << 53) - 1};
    const uint32_t thrs[] = {0, 1, 3355443, 8388608, 16777215};
    const uint64_t starts[] = {0, 1, 3, 4, 31, 1000, 4 * (0x100000000ULL - 5) + 1,
                               4 * 0x100000000ULL - 32};
    const uint64_t lens[] = {0, 1, 7, 32, 33, 100, 256, 1031};
    uint8_t mask[1100];
    int n = 0;
    for (size_t a = 0; a < sizeof seeds / sizeof *seeds; a++)
        for (size_t t = 0; t < sizeof thrs / sizeof *thrs; t++)
            for (size_t b = 0; b < sizeof starts / sizeof *starts; b++)
                for (size_t c = 0; c < sizeof lens / sizeof *lens; c++) {
                    dn_stream s = {seeds[a], 1000u + (uint32_t)t, (uint32_t)(b * 977 + c)};
                    uint64_t lo = starts[b], hi = lo + lens[c];
                    memset(mask, 7, sizeof mask);
                    dn_dropout_mask(mask, lo, hi, thrs[t], s);
                    for (uint64_t i = lo; i < hi; i++) {
                        uint8_t want = (dn_random_u32(s, i) >> 8) > thrs[t];
                        cr_assert_eq(mask[i - lo], want, "seed %llu thr %u element %llu",
                                     (unsigned long long)seeds[a], thrs[t],
                                     (unsigned long long)i);
                        n++;
                    }
                    cr_assert_eq(mask[hi - lo], 7, "wrote past the range");
                }
    cr_assert_gt(n, 100000);
}
