/* The one module that talks to CBLAS, and the one place that knows which
 * CBLAS it is and how many threads it runs. Both ways below give bitwise
 * identical results for any thread count, and both run on the one OpenMP
 * pool that --threads sizes.
 *
 * OpenBLAS: multithreaded OpenBLAS gives different bits for different thread
 * counts, so it always runs single-threaded, and dn_gemm cuts C into a fixed
 * number of tiles chosen from the shape alone, one single-threaded call per
 * tile, tiles shared out to OpenMP threads. Every element of C is computed by
 * the same call with the same arguments whatever the thread count.
 *
 * BLIS: its own OpenMP threading never splits the k dimension, so its bits
 * do not depend on the thread count; dn_gemm makes one call. (BLIS called
 * from several threads at once, as the tiles do, ran an epoch 3 to 15 times
 * slower: it is not used that way.) */
#include "core/internal.h"

#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(DN_BLAS_BLIS)
#include <blis.h>
#elif defined(DN_BLAS_OPENBLAS)
char *openblas_get_config(void);
char *openblas_get_corename(void);
#endif

/* Rows or columns of a tile are multiples of this (whole SIMD registers and
 * cache lines of C). */
#define TILE_ALIGN 16

int dn_gemm_tiles(int M, int N, int K)
{
#if defined(DN_BLAS_BLIS)
    (void)M, (void)N, (void)K;
    return 1;
#else
    double flops = 2.0 * M * N * K;
    int t = flops < 4e6 ? 1 : flops < 3e8 ? 2 : 4;
    /* never tiles narrower than TILE_ALIGN */
    int longest = M > N ? M : N;
    while (t > 1 && longest / t < TILE_ALIGN)
        t /= 2;
    return t;
#endif
}

static void gemm_block(int ta, int tb, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc, int m0, int m1,
                       int n0, int n1)
{
    /* Row m of op(A) is row m of A (no transpose) or column m (transpose). */
    const float *Ap = ta ? A + m0 : A + (size_t)m0 * (size_t)lda;
    const float *Bp = tb ? B + (size_t)n0 * (size_t)ldb : B + n0;
#if defined(DN_BLAS_OPENBLAS)
    /* OpenBLAS built for OpenMP takes its thread count from this thread's
     * omp_get_max_threads() (openblas_set_num_threads only sets that), so a
     * call outside a parallel region would run multithreaded: pin it to one
     * thread for the call. */
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                m1 - m0, n1 - n0, K, alpha, Ap, lda, Bp, ldb, beta,
                C + (size_t)m0 * (size_t)ldc + n0, ldc);
#if defined(DN_BLAS_OPENBLAS)
    omp_set_num_threads(saved);
#endif
}

static int cut(int n, int t, int i)
{
    /* boundary i of t equal parts of n, on a multiple of TILE_ALIGN */
    if (i >= t)
        return n;
    int b = (int)((long long)n * i / t);
    return b - b % TILE_ALIGN;
}

void dn_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
             int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    int t = dn_gemm_tiles(M, N, K);
    if (t == 1) {
        gemm_block(trans_a, trans_b, K, alpha, A, lda, B, ldb, beta, C, ldc, 0, M, 0, N);
        return;
    }
    /* Cut the longer side of C: the tiles stay square-ish and the operand
     * that every tile reads in full is the smaller one. Called from inside a
     * parallel region (two products side by side), this thread computes the
     * same tiles in turn. */
    int split_m = M >= N;
    #pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int i = 0; i < t; i++) {
        dn_par_mark(DN_PAR_GEMM);
        if (split_m)
            gemm_block(trans_a, trans_b, K, alpha, A, lda, B, ldb, beta, C, ldc, cut(M, t, i),
                       cut(M, t, i + 1), 0, N);
        else
            gemm_block(trans_a, trans_b, K, alpha, A, lda, B, ldb, beta, C, ldc, 0, M,
                       cut(N, t, i), cut(N, t, i + 1));
    }
}

const char *dn_blas_info(void)
{
#if defined(DN_BLAS_BLIS)
    static char buf[64];
    snprintf(buf, sizeof buf, "BLIS %s (%s)", bli_info_get_version_str(),
             bli_arch_string(bli_arch_query_id()));
    return buf;
#elif defined(DN_BLAS_OPENBLAS)
    static char buf[160];
    snprintf(buf, sizeof buf, "%s (%s kernels)", openblas_get_config(), openblas_get_corename());
    return buf;
#else
    return "unknown CBLAS";
#endif
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
