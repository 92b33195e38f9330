/* Private helpers shared by the library's modules. */
#ifndef DN_INTERNAL_H
#define DN_INTERNAL_H

#include "dropnet.h"
#include "dropnet_experiment.h"

#include <omp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#if defined(__GNUC__)
#define DN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DN_PRINTF(a, b)
#endif

/* dst = copies of the first n examples of src whose flag equals want (of
 * all examples when flag is NULL), in their order (src/data/split.c). */
int dn_dataset_take(dn_dataset *dst, const dn_dataset *src, const uint8_t *flag, uint8_t want,
                    size_t n, dn_err *err);

/* zlib's gzerror() text without the "PATH: " it starts with (the caller's
 * message names the file already). */
const char *dn_gz_reason(const char *msg, const char *path);

/* 64-byte aligned, zeroed; size rounded up. NULL on failure or overflow. */
void *dn_alloc(size_t count, size_t size);
void dn_free(void *p);

/* The tiles dn_gemm cuts C into (a function of the shape only). */
int dn_gemm_tiles(int M, int N, int K);
/* dn_gemm, then after(ctx, m0, m1, n0, n1) on rectangles [m0, m1) x [n0, n1)
 * that cover C: on each tile by the thread that computed it, while it is in
 * its cache, where the tiles split the rows; by blocks of whole rows once
 * the product is done, in the same parallel region, where they split the
 * columns. Elementwise work there gives the same bits as a pass over C
 * afterwards, without another wake-up of the threads. */
typedef void (*dn_tile_fn)(void *ctx, int m0, int m1, int n0, int n1);
void dn_gemm_then(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc,
                  dn_tile_fn after, void *ctx);
/* dn_gemm_then, and before that before(before_ctx, r0, r1) writes rows
 * [r0, r1) of A: on the thread of the tile that reads them where the tiles
 * split the rows of C (the batch is made where it is used, without a pass
 * or a wake-up of its own), else for all rows first. */
typedef void (*dn_rows_fn)(void *ctx, int r0, int r1);
void dn_gemm_ex(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                int lda, const float *B, int ldb, float beta, float *C, int ldc,
                dn_rows_fn before, void *before_ctx, dn_tile_fn after, void *after_ctx);

/* The threads of one parallel region working through a pass together
 * (src/core/team.c): thread t of nt, and the barrier they share, which
 * spins a few microseconds before it sleeps (one region per training step
 * instead of a fork and join per operation). */
typedef struct {
    _Atomic unsigned count, gen;
    _Atomic int sleepers;
} dn_bar;
typedef struct {
    int t, nt;
    dn_bar *bar;
} dn_team;
void dn_team_barrier(const dn_team *tm);
/* Thread tm->t's share [lo, hi) of n units (contiguous, as a static
 * schedule cuts them). */
void dn_team_range(const dn_team *tm, int n, int *lo, int *hi);
/* Whether dn_gemm_team can run: the backend takes fixed tiles (BLIS threads
 * its own calls and does not). */
int dn_gemm_teamable(void);
/* dn_gemm_ex called by every thread of a team: the same tiles, shared out by
 * dn_team_range; rows first (before) and column tiles' after-work behind a
 * team barrier. Returns with this thread's tiles done (no barrier at the
 * end: the caller puts one where the next pass needs the whole of C). */
void dn_gemm_team(const dn_team *tm, int trans_a, int trans_b, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta, float *C,
                  int ldc, dn_rows_fn before, void *before_ctx, dn_tile_fn after,
                  void *after_ctx);
/* The tiles of dn_gemm_team when each covers whole rows of C and the thread
 * of tile i is the thread of row block i (so that a product that reads only
 * rows another wrote, with the same layout, needs no barrier): their count;
 * 0 when they split the columns or A is transposed. */
int dn_gemm_row_tiles(int trans_a, int M, int N, int K);

/* x where keep is 1, +0.0f where it is 0: the same bits as keep ? x : 0.0f,
 * written with integer masks so that loops using it vectorise. */
static inline float dn_keep_or_zero(float x, uint32_t keep)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    bits &= 0u - keep;
    memcpy(&x, &bits, sizeof x);
    return x;
}

/* Rows [r0, r1) of dn_batch_images' batch (no threads of its own). */
void dn_batch_rows(float *x, const dn_dataset *ds, const uint32_t *idx, size_t r0, size_t r1);

/* Which threads ran part of each parallel pass, bit t for thread t, so that
 * the tests of "the same bits for any thread count" can check that a pass
 * really ran on several threads. A thread writes its bit once; afterwards
 * the check is a read of a line nobody writes. */
enum { DN_PAR_GEMM, DN_PAR_FUSED_FORWARD, DN_PAR_FUSED_BACKWARD, DN_PAR_DROPOUT, DN_PAR_PATHS };
extern _Atomic unsigned dn_par_seen[DN_PAR_PATHS];
static inline void dn_par_mark(int path)
{
    unsigned bit = 1u << (omp_get_thread_num() & 31);
    if (!(atomic_load_explicit(&dn_par_seen[path], memory_order_relaxed) & bit))
        atomic_fetch_or_explicit(&dn_par_seen[path], bit, memory_order_relaxed);
}
/* How many threads ran part of pass `path` since the last call (0 if none);
 * clears the record. */
int dn_par_take(int path);

/* Elementwise loops shorter than this run on one thread: an OpenMP fork and
 * join costs more than they do. */
#define DN_PAR_MIN 32768

/* One SGD update of w[lo, hi): the arithmetic of dn_sgd_update. */
static inline void dn_sgd_range(float *restrict w, const float *restrict g, size_t lo,
                                size_t hi, float lr, float wd)
{
    if (wd == 0.0f)
        for (size_t i = lo; i < hi; i++)
            w[i] -= lr * g[i];
    else
        for (size_t i = lo; i < hi; i++)
            w[i] -= lr * (g[i] + wd * w[i]);
}

/* The keep threshold for p: U > p  <=>  (u32 >> 8) > threshold. */
uint32_t dn_dropout_threshold(float p);

/* A noise layer's name in model files at s ("GaussianDropout(0.5)"): 0 with
 * the noise and the characters read, -1 when s names none or a bad value. */
int dn_noise_layer_parse(const char *s, dn_noise *n, int *used);

/* dn_noise_normals without AVX2 (the same bits; for the test of that). */
void dn_noise_normals_scalar(float *z, uint64_t lo, uint64_t hi, dn_stream s);

/* Column sums of a B x out_dim matrix in a fixed row order (bias gradients). */
void dn_bias_grad(float *db, const float *dout, int B, int out_dim);

/* mask[i - lo] = 1 where element i's uniform is above the threshold (U > p,
 * thr = dn_dropout_threshold(p)), for i in [lo, hi): the mask dn_dropout_forward
 * draws for those elements of stream s. */
void dn_dropout_mask(uint8_t *mask, uint64_t lo, uint64_t hi, uint32_t thr, dn_stream s);
/* dn_dropout_forward, dn_gaussian_forward, dn_uniform_noise_forward and
 * dn_additive_forward with element i drawing index first + i (a micro-block
 * of a batch draws what the whole batch would). */
int dn_dropout_forward_at(float *out, uint8_t *mask, const float *inp, size_t n, float p,
                          dn_stream s, uint64_t first, dn_err *err);
int dn_gaussian_forward_at(float *out, float *mult, const float *inp, size_t n, float p,
                           dn_stream s, uint64_t first, dn_err *err);
int dn_uniform_noise_forward_at(float *out, float *mult, const float *inp, size_t n, float p,
                                dn_stream s, uint64_t first, dn_err *err);
int dn_additive_forward_at(float *out, const float *inp, size_t n, float sigma, dn_stream s,
                           uint64_t first, dn_err *err);

/* Fused Linear -> ReLU -> Dropout passes (src/nn/fused.c); bitwise equal to
 * the unfused layer functions. Forward: z += b in place, a = relu(z), and in
 * training d = dropout(a) with its mask. Backward: dz and the bias gradient
 * from the gradient of d. */
/* The forward pass on rows [r0, r1) x columns [c0, c1) of a B x W batch
 * (bitwise the same there as the whole pass): dn_brd_tile is its dn_tile_fn,
 * the work after a tile of the product z = x . w^T. */
typedef struct {
    float *z, *a, *d;
    uint8_t *mask;
    const float *b;
    int W;
    float p;
    dn_stream s;
    int training;
    /* The batch's row 0 is row `row0` of the whole batch (data-parallel
     * micro-blocks): element (r, j) draws index (row0 + r) W + j, so a
     * block draws the masks the whole batch would. */
    uint64_t row0;
} dn_brd;
void dn_brd_rect(const dn_brd *f, int r0, int r1, int c0, int c1);
void dn_brd_tile(void *ctx, int m0, int m1, int n0, int n1);
void dn_bias_relu_dropout_forward(float *z, float *a, float *d, uint8_t *mask, const float *b,
                                  int B, int W, float p, dn_stream s, int training);
void dn_dropout_relu_bias_backward(float *dz, float *db, const float *dd, const uint8_t *mask,
                                   const float *a, int B, int W, float p);

/* SGD updates whose gradients are final, handed to the next parallel pass
 * of the backward pass instead of a pass of their own: thread t of nt
 * updates its share [n t / nt, n (t + 1) / nt) of each, with
 * dn_sgd_range's arithmetic (the same bits as dn_net_sgd). */
typedef struct {
    float *w;
    const float *g;
    size_t n;
    float wd;
} dn_sgd_job;
void dn_sgd_jobs(const dn_sgd_job *jobs, int n, float lr, int t, int nt);
/* dn_dropout_relu_bias_backward that also runs jobs in its threads. */
void dn_dropout_relu_bias_backward_sgd(float *dz, float *db, const float *dd,
                                       const uint8_t *mask, const float *a, int B, int W, float p,
                                       const dn_sgd_job *jobs, int n_jobs, float lr);

/* The same, by every thread of a team (its share; no barrier at the end). */
void dn_dropout_relu_bias_backward_team(const dn_team *tm, float *dz, float *db,
                                        const float *dd, const uint8_t *mask, const float *a,
                                        int B, int W, float p, const dn_sgd_job *jobs,
                                        int n_jobs, float lr);

/* dn_dropconnect_forward by every thread of a team (its share of the
 * weights; p already checked; no barrier at the end). */
void dn_dropconnect_forward_team(const dn_team *tm, float *wd, uint8_t *mask, const float *w,
                                 size_t n, float p, dn_stream s);

/* A value with a flag, for ranking (rank-sum and signed-rank tests). */
typedef struct {
    double v;
    int flag;
} dn_tagged;
/* Sorts v[0..n) by value and writes doubled mid-ranks (integers) into
 * rank2, in the sorted order; values within tol of each other are tied.
 * Returns the sum of t^3 - t over the runs of ties. */
double dn_midranks2(dn_tagged *v, int n, double tol, int *rank2);

#endif
