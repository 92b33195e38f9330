/* The fused Linear -> ReLU -> Dropout passes (src/nn/fused.c) against the
 * separate layer functions: the same bits for every width (rows that start
 * inside a Philox block included), batch, p, mode and thread count. */
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
        cr_assert_eq(dn_dropout_layer(dr, mr, ar, n, p, s, NULL), DN_OK);

    dn_set_threads(threads);
    float *z = malloc(n * 4), *a = malloc(n * 4), *d = malloc(n * 4);
    uint8_t *m = malloc(n);
    memcpy(z, z0, n * 4);
    dn_bias_relu_dropout_forward(z, a, d, m, b, B, W, p, s, training);
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
        dn_dropout_relu_bias_backward(dz, db, g, m, a, B, W, p);
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
    const int batches[] = {1, 3, 7, 40};
    const float ps[] = {0.0f, 0.2f, 0.5f, 0.999f, 1.0f};
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
        for (size_t bi = 0; bi < sizeof batches / sizeof *batches; bi++)
            for (size_t k = 0; k < sizeof ps / sizeof *ps; k++)
                for (int training = 0; training < 2; training++)
                    check(batches[bi], widths[w], ps[k], training, 1 + (int)((w + k) % 3));
}
