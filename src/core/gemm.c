/* The one module that talks to the matrix libraries (CBLAS and oneDNN), and
 * the one place that knows which computes the products and on how many
 * threads. Every way below gives bitwise identical results for any thread
 * count, and all run on the one OpenMP pool that --threads sizes.
 *
 * Backends: the CBLAS this build links (OpenBLAS or BLIS) and oneDNN's
 * dnnl_sgemm. Which one runs is a fixed rule of the build and of the CPU's
 * instruction set (dn_gemm_default), never of timings taken at start: a run
 * and its resume, or the processes of one experiment, would otherwise
 * multiply with different kernels and give different bits. Whatever is
 * chosen is first checked against a double-precision product.
 *
 * OpenBLAS and oneDNN: multithreaded, both give different bits for different
 * thread counts, so they always run single-threaded, and dn_gemm cuts C into
 * a fixed number of tiles chosen from the shape alone, one single-threaded
 * call per tile, tiles shared out to OpenMP threads. Every element of C is
 * computed by the same call with the same arguments whatever the thread
 * count.
 *
 * Inside a team (dn_gemm_team, one parallel region for a whole training
 * step), the threads share the same tiles without a region of their own.
 *
 * BLIS: its own OpenMP threading never splits the k dimension, so its bits
 * do not depend on the thread count; dn_gemm makes one call. (BLIS called
 * from several threads at once, as the tiles do, ran an epoch 3 to 15 times
 * slower: it is not used that way.) */
#include "core/internal.h"

#include <cblas.h>
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(DN_BLAS_BLIS)
#include <blis.h>
#define CBLAS_NAME "blis"
#elif defined(DN_BLAS_OPENBLAS)
#define CBLAS_NAME "openblas"
char *openblas_get_config(void);
char *openblas_get_corename(void);
#else
#define CBLAS_NAME "cblas"
#endif

typedef enum { GEMM_CBLAS, GEMM_ONEDNN, GEMM_COUNT } gemm_backend;
static const char *const backend_names[GEMM_COUNT] = {CBLAS_NAME, "onednn"};

/* The backend in use; -1 until chosen (the first product picks the default). */
static int current = -1;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

/* Rows or columns of a tile are multiples of this (whole SIMD registers and
 * cache lines of C). */
#define TILE_ALIGN 16


static int backend(void);

/* BLIS threads its own calls: one call, no tiles. */
static int untiled(int b)
{
#if defined(DN_BLAS_BLIS)
    return b == GEMM_CBLAS;
#else
    (void)b;
    return 0;
#endif
}

static int tiles_of(int b, int M, int N, int K)
{
    if (untiled(b))
        return 1;
    double flops = 2.0 * M * N * K;
    int t = flops < 4e6 ? 1 : flops < 3e8 ? 2 : 4;
    /* never tiles narrower than TILE_ALIGN */
    int longest = M > N ? M : N;
    while (t > 1 && longest / t < TILE_ALIGN)
        t /= 2;
    return t;
}

int dn_gemm_tiles(int M, int N, int K) { return tiles_of(backend(), M, N, K); }

/* One call of backend b on the whole of its arguments, on the threads the
 * calling thread's OpenMP setting allows (the callers pin it). */
static void call(int b, int ta, int tb, int M, int N, int K, float alpha, const float *A,
                 int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (b == GEMM_ONEDNN) {
        /* Arguments dn_gemm's callers pass are valid: it cannot fail. */
        (void)dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta,
                         C, ldc);
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

static void gemm_block(int b, int ta, int tb, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc, int m0, int m1,
                       int n0, int n1)
{
    /* Row m of op(A) is row m of A (no transpose) or column m (transpose). */
    const float *Ap = ta ? A + m0 : A + (size_t)m0 * (size_t)lda;
    const float *Bp = tb ? B + (size_t)n0 * (size_t)ldb : B + n0;
    float *Cp = C + (size_t)m0 * (size_t)ldc + n0;
    if (untiled(b)) {
        call(b, ta, tb, m1 - m0, n1 - n0, K, alpha, Ap, lda, Bp, ldb, beta, Cp, ldc);
        return;
    }
    /* OpenBLAS built for OpenMP, and oneDNN, take their thread count from
     * this thread's omp_get_max_threads(), so a call outside a parallel
     * region would run multithreaded: pin it to one thread for the call. */
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    call(b, ta, tb, m1 - m0, n1 - n0, K, alpha, Ap, lda, Bp, ldb, beta, Cp, ldc);
    omp_set_num_threads(saved);
}

static int cut(int n, int t, int i)
{
    /* boundary i of t equal parts of n, on a multiple of TILE_ALIGN */
    if (i >= t)
        return n;
    int b = (int)((long long)n * i / t);
    return b - b % TILE_ALIGN;
}

/* before(ctx, 0, M) in row blocks on the threads, unless already inside a
 * parallel region or too small to share */
static void rows_first(dn_rows_fn before, void *ctx, int M, size_t per_row)
{
    #pragma omp parallel for schedule(static) if (!omp_in_parallel() && M * per_row >= DN_PAR_MIN)
    for (int r = 0; r < M; r += TILE_ALIGN)
        before(ctx, r, r + TILE_ALIGN < M ? r + TILE_ALIGN : M);
}

/* Tile i of t (t > 1) of a product: its rectangle of C (rows where split_m,
 * else columns), the rows of A made first, the product, and the work after
 * it where the tile covers whole rows. */
typedef struct {
    int b, trans_a, trans_b, M, N, K, lda, ldb, ldc, t, split_m;
    float alpha, beta;
    const float *A, *B;
    float *C;
    dn_rows_fn before;
    void *before_ctx;
    dn_tile_fn after;
    void *after_ctx;
} tiling;

static void tile(const tiling *g, int i)
{
    dn_par_mark(DN_PAR_GEMM);
    int m0 = 0, m1 = g->M, n0 = 0, n1 = g->N;
    if (g->split_m)
        m0 = cut(g->M, g->t, i), m1 = cut(g->M, g->t, i + 1);
    else
        n0 = cut(g->N, g->t, i), n1 = cut(g->N, g->t, i + 1);
    if (g->before)
        g->before(g->before_ctx, m0, m1);
    gemm_block(g->b, g->trans_a, g->trans_b, g->K, g->alpha, g->A, g->lda, g->B, g->ldb, g->beta,
               g->C, g->ldc, m0, m1, n0, n1);
    if (g->after && g->split_m)
        g->after(g->after_ctx, m0, m1, n0, n1);
}

/* The tiling of a product by backend b: its tiles, and whether they split
 * the rows (the longer side of C). */
static tiling tiling_of(int b, int trans_a, int trans_b, int M, int N, int K, float alpha,
                        const float *A, int lda, const float *B, int ldb, float beta, float *C,
                        int ldc, dn_rows_fn before, void *before_ctx, dn_tile_fn after,
                        void *after_ctx)
{
    return (tiling){.b = b, .trans_a = trans_a, .trans_b = trans_b, .M = M, .N = N, .K = K,
                    .lda = lda, .ldb = ldb, .ldc = ldc, .t = tiles_of(b, M, N, K),
                    .split_m = M >= N, .alpha = alpha, .beta = beta, .A = A, .B = B, .C = C,
                    .before = before, .before_ctx = before_ctx, .after = after,
                    .after_ctx = after_ctx};
}

/* Whether the rows of A are made for all rows before the tiles: where the
 * tiles do not each read whole rows of their own (one tile, column tiles,
 * or A transposed); else each tile makes the rows it reads. */
static int rows_before_tiles(const tiling *g)
{
    return g->before && (g->t == 1 || !g->split_m || g->trans_a);
}

static void gemm_with(int b, int trans_a, int trans_b, int M, int N, int K, float alpha,
                      const float *A, int lda, const float *B, int ldb, float beta, float *C,
                      int ldc, dn_rows_fn before, void *before_ctx, dn_tile_fn after, void *ctx)
{
    tiling g = tiling_of(b, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc,
                         before, before_ctx, after, ctx);
    if (rows_before_tiles(&g)) {
        rows_first(before, before_ctx, M, (size_t)K);
        g.before = NULL;
    }
    if (g.t == 1) {
        gemm_block(b, trans_a, trans_b, K, alpha, A, lda, B, ldb, beta, C, ldc, 0, M, 0, N);
        if (after && untiled(b) && !omp_in_parallel() && (size_t)M * (size_t)N >= DN_PAR_MIN) {
            /* BLIS threads the product itself: the work after it in row blocks */
            #pragma omp parallel for schedule(static)
            for (int r = 0; r < M; r += TILE_ALIGN)
                after(ctx, r, r + TILE_ALIGN < M ? r + TILE_ALIGN : M, 0, N);
        } else if (after) {
            after(ctx, 0, M, 0, N);
        }
        return;
    }
    /* Cut the longer side of C: the tiles stay square-ish and the operand
     * that every tile reads in full is the smaller one. Called from inside a
     * parallel region (two products side by side), this thread computes the
     * same tiles in turn. */
    #pragma omp parallel if (!omp_in_parallel())
    {
        #pragma omp for schedule(static)
        for (int i = 0; i < g.t; i++)
            tile(&g, i);
        /* Column tiles: the work after them by whole rows, once all are
         * done, in the same region. On a tile's column block it was 3 times
         * slower (784-1024-1024-10): rows of 4 KiB are a stride that maps
         * every row of the block to the same cache sets. */
        if (after && !g.split_m) {
            #pragma omp for schedule(static)
            for (int r = 0; r < M; r += TILE_ALIGN)
                after(ctx, r, r + TILE_ALIGN < M ? r + TILE_ALIGN : M, 0, N);
        }
    }
}

int dn_gemm_teamable(void) { return !untiled(backend()); }

int dn_gemm_row_tiles(int trans_a, int M, int N, int K)
{
    int t = tiles_of(backend(), M, N, K);
    return t == 1 ? 1 : M >= N && !trans_a ? t : 0;
}

/* gemm_with's tiles, shared by the threads of a team instead of a region
 * of their own: the same rectangles, the same calls, the same work before
 * and after each (so the same bits), without a fork and join. */
void dn_gemm_team(const dn_team *tm, int trans_a, int trans_b, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta, float *C,
                  int ldc, dn_rows_fn before, void *before_ctx, dn_tile_fn after,
                  void *after_ctx)
{
    tiling g = tiling_of(backend(), trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C,
                         ldc, before, before_ctx, after, after_ctx);
    /* this thread's share of the row blocks, for work by whole rows */
    int lo, hi, r0, r1;
    dn_team_range(tm, (M + TILE_ALIGN - 1) / TILE_ALIGN, &r0, &r1);
    r0 *= TILE_ALIGN;
    r1 = r1 * TILE_ALIGN < M ? r1 * TILE_ALIGN : M;
    if (rows_before_tiles(&g)) {
        for (int r = r0; r < r1; r += TILE_ALIGN)
            before(before_ctx, r, r + TILE_ALIGN < r1 ? r + TILE_ALIGN : r1);
        dn_team_barrier(tm);
        g.before = NULL;
    }
    dn_team_range(tm, g.t, &lo, &hi);
    if (g.t == 1) {
        if (lo < hi) { /* the thread of the one tile */
            gemm_block(g.b, trans_a, trans_b, K, alpha, A, lda, B, ldb, beta, C, ldc, 0, M, 0, N);
            if (after)
                after(after_ctx, 0, M, 0, N);
        }
        return;
    }
    for (int i = lo; i < hi; i++)
        tile(&g, i);
    if (after && !g.split_m) {
        /* column tiles: the work after them by whole rows, as gemm_with */
        dn_team_barrier(tm);
        for (int r = r0; r < r1; r += TILE_ALIGN)
            after(after_ctx, r, r + TILE_ALIGN < r1 ? r + TILE_ALIGN : r1, 0, N);
    }
}

void dn_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
             int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    gemm_with(backend(), trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL,
              NULL, NULL, NULL);
}

void dn_gemm_then(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc,
                  dn_tile_fn after, void *ctx)
{
    gemm_with(backend(), trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL,
              NULL, after, ctx);
}

void dn_gemm_ex(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                int lda, const float *B, int ldb, float beta, float *C, int ldc,
                dn_rows_fn before, void *before_ctx, dn_tile_fn after, void *after_ctx)
{
    gemm_with(backend(), trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, before,
              before_ctx, after, after_ctx);
}

void dn_gemm_one_call(const char *name, int threads, int trans_a, int trans_b, int M, int N,
                      int K, float alpha, const float *A, int lda, const float *B, int ldb,
                      float beta, float *C, int ldc)
{
    int b = strcmp(name, backend_names[GEMM_ONEDNN]) == 0 ? GEMM_ONEDNN : GEMM_CBLAS;
    int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
#if defined(DN_BLAS_BLIS)
    if (b == GEMM_CBLAS)
        bli_thread_set_num_threads(threads);
#endif
    call(b, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    omp_set_num_threads(saved);
#if defined(DN_BLAS_BLIS)
    if (b == GEMM_CBLAS)
        dn_set_threads(saved);
#endif
}

/* ------------------------------------------------------- choosing a backend */

static int cpu_has_avx512(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
    return 0;
#endif
}

static int index_of(const char *name)
{
    for (int b = 0; b < GEMM_COUNT; b++)
        if (strcmp(name, backend_names[b]) == 0)
            return b;
    return -1;
}

const char *dn_gemm_default(void)
{
    /* Measured on the model's shapes (README, Benchmark). With AVX-512
     * (Zen 5), a d2l epoch's products on one thread, as the tiles call
     * them: oneDNN 0.401 s, OpenBLAS's AVX-512 kernels 0.413; on two,
     * OpenBLAS's AVX2 kernels (which it runs there when OPENBLAS_CORETYPE
     * says so) took 0.416 s against 0.228 for its AVX-512 ones. AVX2 only (Zen 3): oneDNN and OpenBLAS within the noise of a
     * shared machine on the d2l model (oneDNN 0.87 to 0.92 s, OpenBLAS 0.91
     * to 1.03), OpenBLAS 13 to 20 % faster at widths 1024 and 4096; and
     * OpenBLAS there keeps the bits of the runs made before oneDNN came. */
    if (cpu_has_avx512())
        return backend_names[GEMM_ONEDNN];
    return backend_names[GEMM_CBLAS];
}

const char *dn_gemm_names(void) { return CBLAS_NAME ", onednn"; }

/* The kernel family each backend runs on this CPU, as an instruction set. */
static const char *isa_of(int b)
{
    if (b == GEMM_ONEDNN) {
        /* dnnl_sgemm has AVX-512, AVX2, AVX and SSE4.1 kernels and runs the
         * best that the CPU (and DNNL_MAX_CPU_ISA) allows. */
        unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
        if ((isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core)
            return "avx512";
        if ((isa & dnnl_cpu_isa_avx2) == dnnl_cpu_isa_avx2)
            return "avx2";
        if ((isa & dnnl_cpu_isa_avx) == dnnl_cpu_isa_avx)
            return "avx";
        return "sse4.1";
    }
#if defined(DN_BLAS_OPENBLAS)
    static char name[32];
    const char *core = openblas_get_corename();
    static const char *const avx512[] = {"skylakex", "cooperlake", "sapphirerapids"};
    static const char *const avx2[] = {"haswell", "zen"};
    size_t i;
    for (i = 0; core && core[i] && i + 1 < sizeof name; i++)
        name[i] = (char)(core[i] >= 'A' && core[i] <= 'Z' ? core[i] - 'A' + 'a' : core[i]);
    name[i] = '\0';
    for (i = 0; i < sizeof avx512 / sizeof *avx512; i++)
        if (strcmp(name, avx512[i]) == 0)
            return "avx512";
    for (i = 0; i < sizeof avx2 / sizeof *avx2; i++)
        if (strcmp(name, avx2[i]) == 0)
            return "avx2";
    if (strcmp(name, "sandybridge") == 0)
        return "avx";
    return name[0] ? name : "unknown";
#elif defined(DN_BLAS_BLIS)
    return bli_arch_string(bli_arch_query_id());
#else
    return "unknown";
#endif
}

/* The backend's product against sums in double precision, every element,
 * on shapes that take each transpose, an edge that is not a whole register,
 * a k longer than the kernels' blocks, several tiles and beta = 1. The bound
 * is that of float sums, |error| <= 2e-5 * sum |a b| (rounding gives about
 * 1e-6 here): a kernel that drops to lower precision (bf16 loses 1e-2)
 * fails it. */
static float check_buf[64 * 784 + 784 * 48 + 64 * 48];
static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;

static int check(int b, dn_err *err)
{
    static const int shapes[][5] = {
        {0, 0, 37, 29, 300}, {0, 1, 37, 29, 300}, {1, 0, 37, 29, 300}, {1, 1, 37, 29, 300},
        {0, 1, 64, 48, 784}, {1, 0, 48, 64, 200},
    };
    /* a static buffer: the lazy choice inside a product has no way to
     * report a failed allocation */
    float *buf = check_buf;
    int rc = DN_OK;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes && !rc; s++) {
        int ta = shapes[s][0], tb = shapes[s][1], M = shapes[s][2], N = shapes[s][3],
            K = shapes[s][4];
        int lda = ta ? M : K, ldb = tb ? K : N;
        float *A = buf, *B = A + (size_t)M * K, *C = B + (size_t)K * N;
        for (size_t i = 0; i < (size_t)M * K; i++)
            A[i] = (float)((int)((i * 7919u) % 1009u) - 504) / 509.0f;
        for (size_t i = 0; i < (size_t)K * N; i++)
            B[i] = (float)((int)((i * 104729u) % 1013u) - 506) / 511.0f;
        float beta = s == 5 ? 1.0f : 0.0f;
        for (size_t i = 0; i < (size_t)M * N; i++)
            C[i] = beta != 0.0f ? (float)(i % 5) : NAN; /* NaN: beta = 0 must not read C */
        gemm_with(b, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, N, NULL, NULL, NULL, NULL);
        for (int i = 0; i < M && !rc; i++)
            for (int j = 0; j < N && !rc; j++) {
                double sum = beta != 0.0f ? (double)(((size_t)i * N + (size_t)j) % 5) : 0.0;
                double mag = fabs(sum);
                for (int p = 0; p < K; p++) {
                    double ab = (double)(ta ? A[(size_t)p * lda + i] : A[(size_t)i * lda + p]) *
                                (double)(tb ? B[(size_t)j * ldb + p] : B[(size_t)p * ldb + j]);
                    sum += ab;
                    mag += fabs(ab);
                }
                double got = (double)C[(size_t)i * N + j];
                if (!(fabs(got - sum) <= 2e-5 * mag))
                    rc = dn_fail(err, DN_ENUMERIC,
                                 "the %s matrix product is wrong on this machine "
                                 "(%dx%dx%d%s%s: C[%d][%d] = %g, expected %g); choose another "
                                 "with --gemm (%s)",
                                 backend_names[b], M, N, K, ta ? ", A transposed" : "",
                                 tb ? ", B transposed" : "", i, j, got, sum, dn_gemm_names());
            }
    }
    return rc;
}

int dn_gemm_use(const char *name, dn_err *err)
{
    if (!name || !*name)
        name = dn_gemm_default();
    int b = index_of(name);
    if (b < 0)
        return dn_fail(err, DN_EINVAL, "unknown matrix-product backend '%s' (this build has %s)",
                       name, dn_gemm_names());
    pthread_mutex_lock(&check_lock);
    int rc = check(b, err);
    if (!rc)
        current = b;
    pthread_mutex_unlock(&check_lock);
    return rc;
}

static void pick_default(void)
{
    /* The default if it computes right, else the first that does. */
    if (current >= 0)
        return;
    if (dn_gemm_use(NULL, NULL) == DN_OK)
        return;
    for (int b = 0; b < GEMM_COUNT; b++)
        if (dn_gemm_use(backend_names[b], NULL) == DN_OK)
            return;
    current = GEMM_CBLAS; /* nothing computes right: products fail loudly in the tests */
}

static int backend(void)
{
    if (current < 0)
        pthread_once(&default_once, pick_default);
    return current;
}

const char *dn_gemm_name(void) { return backend_names[backend()]; }
const char *dn_gemm_isa(void) { return isa_of(backend()); }

static const char *describe(int b)
{
    static char buf[GEMM_COUNT][192];
    if (b == GEMM_ONEDNN) {
        const dnnl_version_t *v = dnnl_version();
        snprintf(buf[b], sizeof buf[b], "oneDNN %d.%d.%d sgemm (%s kernels)", v->major,
                 v->minor, v->patch, isa_of(b));
        return buf[b];
    }
#if defined(DN_BLAS_BLIS)
    snprintf(buf[b], sizeof buf[b], "BLIS %s (%s)", bli_info_get_version_str(),
             bli_arch_string(bli_arch_query_id()));
#elif defined(DN_BLAS_OPENBLAS)
    snprintf(buf[b], sizeof buf[b], "%s (%s kernels)", openblas_get_config(),
             openblas_get_corename());
#else
    snprintf(buf[b], sizeof buf[b], "unknown CBLAS");
#endif
    return buf[b];
}

const char *dn_blas_info(void)
{
    /* Before any choice, the default's name: no check (and no oneDNN
     * kernels generated, 70 ms) for a --version. */
    return describe(current >= 0 ? current : index_of(dn_gemm_default()));
}

const char *dn_gemm_info(const char *name)
{
    int b = index_of(name);
    return b < 0 ? NULL : describe(b);
}

const char *dn_blas_better_coretype(void)
{
#if defined(DN_BLAS_OPENBLAS) && defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    /* OpenBLAS 0.3.21 does not know CPUs newer than itself and falls back to
     * its generic "Prescott" kernels: on an AVX-512 machine that halved the
     * SGEMM rate. OPENBLAS_CORETYPE, read when the library loads, picks the
     * right ones. */
    const char *core = openblas_get_corename();
    if (!core || (strcmp(core, "Prescott") != 0 && strcmp(core, "prescott") != 0))
        return NULL;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
#endif
    return NULL;
}

bool dn_runtime_env(void)
{
    bool changed = false;
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        changed = true;
    }
    const char *core = dn_blas_better_coretype();
    if (core && !getenv("OPENBLAS_CORETYPE")) {
        setenv("OPENBLAS_CORETYPE", core, 1);
        changed = true;
    }
    return changed;
}

int dn_set_threads(int n)
{
    int procs = omp_get_num_procs();
    if (n <= 0)
        n = procs;
    omp_set_num_threads(n);
#if defined(DN_BLAS_BLIS)
    /* Never more BLIS threads than cores: BLIS busy-waits in its barriers,
     * and 4 threads on 2 cores ran an epoch 100 times slower. */
    bli_thread_set_num_threads(n < procs ? n : procs);
#endif
    return n;
}

int dn_get_threads(void) { return omp_get_max_threads(); }

_Atomic unsigned dn_par_seen[DN_PAR_PATHS];

int dn_par_take(int path)
{
    unsigned bits = atomic_exchange(&dn_par_seen[path], 0u);
    int n = 0;
    for (; bits; bits &= bits - 1)
        n++;
    return n;
}
