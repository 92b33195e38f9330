/* The one module that talks to CBLAS, and the one place that knows which
 * CBLAS it is and how to set its thread count. */
#include "core/internal.h"

#include <cblas.h>
#include <omp.h>
#include <stdio.h>

#if defined(DN_BLAS_BLIS)
#include <blis.h>
#elif defined(DN_BLAS_OPENBLAS)
void openblas_set_num_threads(int);
char *openblas_get_config(void);
#endif

void dn_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
             int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta,
                C, ldc);
}

const char *dn_blas_info(void)
{
#if defined(DN_BLAS_BLIS)
    static char buf[64];
    snprintf(buf, sizeof buf, "BLIS %s", bli_info_get_version_str());
    return buf;
#elif defined(DN_BLAS_OPENBLAS)
    return openblas_get_config();
#else
    return "unknown CBLAS";
#endif
}

int dn_set_threads(int n)
{
    int procs = omp_get_num_procs();
    if (n <= 0)
        n = procs;
    omp_set_num_threads(n);
    /* The BLAS never gets more threads than cores: BLIS busy-waits in its
     * barriers, and 4 threads on 2 cores ran an epoch 100x slower. Our own
     * loops take n (libgomp stops spinning when oversubscribed). */
    int blas = n < procs ? n : procs;
#if defined(DN_BLAS_BLIS)
    bli_thread_set_num_threads(blas);
#elif defined(DN_BLAS_OPENBLAS)
    openblas_set_num_threads(blas);
#else
    (void)blas;
#endif
    return n;
}

int dn_get_threads(void) { return omp_get_max_threads(); }
