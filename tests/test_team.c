/* The team of one parallel region (src/core/team.c and its users): the
 * barrier holds every thread until all arrive, also when one is late enough
 * that the others go to sleep; dn_gemm_team computes bitwise what dn_gemm
 * computes, with its work before and after the tiles, for teams of 1 to 4;
 * and a training step that runs as one team (the fused MLP), or its
 * gradients alone (a data-parallel block), gives the bits of the same run
 * operation by operation on one thread. */
#include "core/internal.h"
#include "helpers.h"
#include "nn/net_internal.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* Each round every thread adds one, waits, and must see all nt additions of
 * the round: a thread let through early would see fewer. A thread takes its
 * turn to be late by 0.5 ms (past the polling, so the others sleep) every
 * 50 rounds. */
static void barrier_rounds(int nt, int rounds)
{
    dn_bar bar = {0};
    _Atomic int count = 0, bad = 0;
    #pragma omp parallel num_threads(nt)
    {
        dn_team tm = {omp_get_thread_num(), omp_get_num_threads(), &bar};
        for (int r = 0; r < rounds; r++) {
            if (r % 50 == 0 && r / 50 % tm.nt == tm.t)
                sleep_us(500);
            atomic_fetch_add(&count, 1);
            dn_team_barrier(&tm);
            if (atomic_load(&count) != tm.nt * (r + 1))
                atomic_fetch_add(&bad, 1);
            dn_team_barrier(&tm); /* nobody adds for r + 1 before all checked r */
        }
    }
    cr_assert_eq(atomic_load(&bad), 0, "%d threads: %d early passes", nt, atomic_load(&bad));
    cr_assert_eq(atomic_load(&count), nt * rounds);
    cr_assert_eq(atomic_load(&bar.sleepers), 0);
}

Test(team, barrier_holds_every_thread)
{
    for (int nt = 1; nt <= 4; nt++)
        barrier_rounds(nt, 400);
}

/* before writes rows of A (2 r + column index, scaled), after adds 1 to C:
 * both must cover every row and element exactly once. */
typedef struct {
    float *A;
    int K;
} rows_ctx;

static void fill_rows(void *ctx, int r0, int r1)
{
    rows_ctx *c = ctx;
    for (int r = r0; r < r1; r++)
        for (int k = 0; k < c->K; k++)
            c->A[(size_t)r * c->K + k] = (float)((r * 7 + k * 3) % 23 - 11) / 13.0f;
}

typedef struct {
    float *C;
    int ldc;
} after_ctx;

static void add_one(void *ctx, int m0, int m1, int n0, int n1)
{
    after_ctx *c = ctx;
    for (int r = m0; r < m1; r++)
        for (int j = n0; j < n1; j++)
            c->C[(size_t)r * c->ldc + j] += 1.0f;
}

Test(team, gemm_team_equals_gemm)
{
    /* rows tiles (M >= N), column tiles, one tile, A transposed; large
     * enough for 2 and 4 tiles */
    static const int shapes[][5] = {{0, 1, 256, 256, 784}, {1, 0, 256, 784, 256},
                                    {0, 1, 64, 10, 32},    {0, 0, 256, 256, 10},
                                    {1, 0, 96, 1024, 512}, {0, 1, 1024, 256, 784}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int ta = shapes[s][0], tb = shapes[s][1], M = shapes[s][2], N = shapes[s][3],
            K = shapes[s][4];
        int lda = ta ? M : K, ldb = tb ? K : N;
        size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
        float *A0 = malloc(na * 4), *A1 = malloc(na * 4), *B = malloc(nb * 4);
        float *C0 = malloc(nc * 4), *C1 = malloc(nc * 4);
        dn_uniform_fill((dn_stream){1, 2, (uint32_t)s}, B, nb);
        /* the reference: rows first, the product, then after */
        rows_ctx r0 = {A0, K};
        if (ta) /* A transposed: no before, all of A given */
            dn_uniform_fill((dn_stream){1, 3, (uint32_t)s}, A0, na);
        else
            fill_rows(&r0, 0, M);
        after_ctx a0 = {C0, N};
        dn_set_threads(1);
        dn_gemm(ta, tb, M, N, K, 1.0f, A0, lda, B, ldb, 0.0f, C0, N);
        add_one(&a0, 0, M, 0, N);
        for (int nt = 1; nt <= 4; nt++) {
            dn_set_threads(nt);
            memset(A1, 0, na * 4);
            if (ta)
                memcpy(A1, A0, na * 4);
            memset(C1, 0xff, nc * 4); /* NaN: beta = 0 must not read C */
            rows_ctx r1 = {A1, K};
            after_ctx a1 = {C1, N};
            dn_bar bar = {0};
            dn_par_take(DN_PAR_GEMM);
            #pragma omp parallel
            {
                dn_team tm = {omp_get_thread_num(), omp_get_num_threads(), &bar};
                dn_gemm_team(&tm, ta, tb, M, N, K, 1.0f, A1, lda, B, ldb, 0.0f, C1, N,
                             ta ? NULL : fill_rows, &r1, add_one, &a1);
            }
            int used = dn_par_take(DN_PAR_GEMM);
            cr_assert_eq(memcmp(C0, C1, nc * 4), 0, "shape %zu, team of %d", s, nt);
            if (nt > 1 && dn_gemm_tiles(M, N, K) >= nt)
                cr_assert_eq(used, nt, "shape %zu: tiles on %d of %d threads", s, used, nt);
        }
        dn_set_threads(0);
        free(A0), free(A1), free(B), free(C0), free(C1);
    }
}

/* A fused MLP (the team's shape) trained a few steps with the noises of
 * `noise` at its two hidden sites: the parameters after them, on 1 thread
 * (operation by operation) and on teams of 2, 3, 4. Widths 161 and 143 put
 * thread boundaries inside Philox blocks and SIMD registers. */
static float *train_params(int threads, size_t *count, const char *noise, int grads_only)
{
    dn_err err = {0};
    dn_set_threads(threads);
    dn_net *net = dn_net_new(300, &err);
    cr_assert(net);
    cr_assert_eq(dn_net_add_flatten(net, &err), DN_OK);
    cr_assert_eq(dn_net_add_linear(net, 161, &err), DN_OK);
    cr_assert_eq(dn_net_add_relu(net, &err), DN_OK);
    cr_assert_eq(dn_net_add_dropout(net, 0.2f, &err), DN_OK);
    cr_assert_eq(dn_net_add_linear(net, 143, &err), DN_OK);
    cr_assert_eq(dn_net_add_relu(net, &err), DN_OK);
    cr_assert_eq(dn_net_add_dropout(net, 0.5f, &err), DN_OK);
    cr_assert_eq(dn_net_add_linear(net, 10, &err), DN_OK);
    cr_assert_eq(dn_net_build(net, 192, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(dn_net_set_noise_list(net, noise, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_PYTORCH, 0}, 3, &err), DN_OK);
    size_t nx = (size_t)192 * 300;
    float *x = malloc(nx * 4);
    uint8_t y[192];
    for (int step = 0; step < 4; step++) {
        dn_uniform_fill((dn_stream){7, 1, (uint32_t)step}, x, nx);
        for (int r = 0; r < 192; r++)
            y[r] = (uint8_t)((r * 7 + step) % 10);
        dn_net_set_rng(net, 11, (uint32_t)step);
        double loss = 0;
        size_t correct = 0;
        int B = step == 3 ? 77 : 192; /* a last, short batch */
        if (grads_only) /* a data-parallel micro-block's gradients, rows from 40 */
            cr_assert_eq(dn_net_block_grad(net, x, NULL, y, B, 40, 1.0f / 300, &loss, &correct,
                                           &err),
                         DN_OK, "%s", err.msg);
        else
            cr_assert_eq(dn_net_train_step(net, x, y, B, 0.5f, 1e-3f, &loss, &correct, &err),
                         DN_OK, "%s", err.msg);
    }
    /* and an evaluation pass */
    dn_net_set_training(net, false);
    const float *logits = dn_net_forward(net, x, 192, &err);
    cr_assert(logits, "%s", err.msg);
    size_t np;
    float *p = grads_only ? dn_net_grads(net, &np) : dn_net_params(net, &np);
    *count = np + 192 * 10;
    float *copy = malloc(*count * 4);
    memcpy(copy, p, np * 4);
    memcpy(copy + np, logits, 192 * 10 * 4);
    free(x);
    dn_net_free(net);
    dn_set_threads(0);
    return copy;
}

Test(team, training_step_same_bits_as_one_thread)
{
    static const char *const noises[] = {
        "dropout:0.2,dropout:0.5",   "none,dropout:0.5",        "gaussian:0.2,gaussian:0.5",
        "uniform:0.2,uniform:0.5",   "additive:0.1,additive:0.3", "dropconnect:0.2,dropconnect:0.5",
        "dropconnect:0.5,gaussian:0.3", "uniform:0.3,dropout:0.2",
    };
    for (size_t k = 0; k < 2 * (sizeof noises / sizeof *noises); k++) {
        const char *noise = noises[k / 2];
        int grads = (int)(k % 2);
        size_t n1, n;
        float *ref = train_params(1, &n1, noise, grads);
        for (int nt = 2; nt <= 4; nt++) {
            dn_par_take(DN_PAR_FUSED_BACKWARD);
            float *got = train_params(nt, &n, noise, grads);
            cr_assert_eq(n, n1);
            cr_assert_eq(memcmp(ref, got, n * 4), 0, "%s%s, %d threads", noise,
                         grads ? " (gradients)" : "", nt);
            cr_assert_eq(dn_par_take(DN_PAR_FUSED_BACKWARD), nt, "backward on every thread");
            free(got);
        }
        free(ref);
    }
}
