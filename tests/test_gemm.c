/* dn_gemm (src/core/gemm.c): correct against a plain loop, and the same bits
 * for 1, 2, 3 and 4 threads on shapes that are cut into 1, 2 and 4 tiles. */
#include "core/internal.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fill(float *x, size_t n, uint32_t tag)
{
    dn_uniform_fill((dn_stream){21, tag, 0}, x, n);
    for (size_t i = 0; i < n; i++)
        x[i] -= 0.5f;
}

Test(gemm, matches_a_plain_loop_and_any_thread_count)
{
    int most = 0; /* the most threads any product ran on */
    const int shapes[][5] = {
        {0, 1, 256, 256, 784}, {1, 0, 256, 784, 256}, {0, 0, 256, 256, 256},
        {0, 1, 96, 256, 784},  {1, 0, 10, 256, 96},   {0, 1, 1024, 256, 784},
        {0, 0, 7, 5, 3},       {1, 1, 33, 47, 29},    {0, 1, 300, 10, 256},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        int ta = shapes[k][0], tb = shapes[k][1], M = shapes[k][2], N = shapes[k][3],
            K = shapes[k][4];
        int lda = ta ? M : K, ldb = tb ? K : N;
        float *A = malloc((size_t)M * K * 4), *B = malloc((size_t)K * N * 4);
        float *C1 = malloc((size_t)M * N * 4), *C = malloc((size_t)M * N * 4);
        fill(A, (size_t)M * K, 1);
        fill(B, (size_t)K * N, 2);
        dn_set_threads(1);
        dn_gemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C1, N);
        for (int threads = 2; threads <= 4; threads++) {
            dn_set_threads(threads);
            memset(C, 0xff, (size_t)M * N * 4);
            dn_par_take(DN_PAR_GEMM);
            dn_gemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, N);
            /* One thread per tile, as many as there are of both. */
            int tiles = dn_gemm_tiles(M, N, K), ran = dn_par_take(DN_PAR_GEMM);
            cr_assert_eq(ran, tiles == 1 ? 0 : tiles < threads ? tiles : threads,
                         "%dx%dx%d (%d tiles), %d threads", M, N, K, tiles, threads);
            most = ran > most ? ran : most;
            cr_assert_eq(memcmp(C, C1, (size_t)M * N * 4), 0, "%dx%dx%d (%d tiles), %d threads",
                         M, N, K, dn_gemm_tiles(M, N, K), threads);
        }
        /* a sample of elements against double precision sums */
        for (int i = 0; i < M; i += 1 + M / 7)
            for (int j = 0; j < N; j += 1 + N / 5) {
                double s = 0.0;
                for (int p = 0; p < K; p++) {
                    double a = ta ? A[(size_t)p * lda + i] : A[(size_t)i * lda + p];
                    double b = tb ? B[(size_t)j * ldb + p] : B[(size_t)p * ldb + j];
                    s += a * b;
                }
                cr_assert(fabs(C1[(size_t)i * N + j] - s) < 1e-4 * (1.0 + sqrt((double)K)),
                          "%dx%dx%d: C[%d][%d] = %g, expected %g", M, N, K, i, j,
                          (double)C1[(size_t)i * N + j], s);
            }
        free(A); free(B); free(C1); free(C);
    }
    dn_set_threads(0);
    cr_assert_eq(most, 4, "some shape ran on 4 threads");
}

Test(gemm, beta_accumulates)
{
    float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {1, 0, 0, 1, 1, 1}, C[4] = {10, 20, 30, 40};
    /* [1 2 3; 4 5 6] . [1 0; 0 1; 1 1] = [4 5; 10 11]; C = 2 * that + 1 * C */
    dn_gemm(0, 0, 2, 2, 3, 2.0f, A, 3, B, 2, 1.0f, C, 2);
    cr_assert_eq(C[0], 18.0f);
    cr_assert_eq(C[1], 30.0f);
    cr_assert_eq(C[2], 50.0f);
    cr_assert_eq(C[3], 62.0f);
}

Test(gemm, tiles_depend_on_the_shape_only)
{
    int t = dn_gemm_tiles(256, 256, 784);
    dn_set_threads(1);
    cr_assert_eq(dn_gemm_tiles(256, 256, 784), t);
    dn_set_threads(4);
    cr_assert_eq(dn_gemm_tiles(256, 256, 784), t);
    dn_set_threads(0);
    cr_assert_eq(dn_gemm_tiles(2, 2, 2), 1);
}
