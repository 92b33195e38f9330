/* Private helpers shared by the library's modules. */
#ifndef DN_INTERNAL_H
#define DN_INTERNAL_H

#include "dropnet.h"

#include <stddef.h>

#if defined(__GNUC__)
#define DN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DN_PRINTF(a, b)
#endif


/* Fills err (if not NULL) and returns code, so callers can `return dn_fail(...)`. */
int dn_fail(dn_err *err, dn_status code, const char *fmt, ...) DN_PRINTF(3, 4);

/* 64-byte aligned, zeroed; size rounded up. NULL on failure or overflow. */
void *dn_alloc(size_t count, size_t size);
void dn_free(void *p);

/* The only caller of CBLAS: C = alpha * op(A) . op(B) + beta * C, row-major. */
void dn_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
             int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* Column sums of a B x out_dim matrix in a fixed row order (bias gradients). */
void dn_bias_grad(float *db, const float *dout, int B, int out_dim);
#endif
