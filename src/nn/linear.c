/* Linear layer: out = inp . w^T + b, w stored [out, in] as in PyTorch. */
#include "core/internal.h"

#include <omp.h>
#include <string.h>

void dn_linear_forward(float *out, const float *inp, const float *w, const float *b, int B,
                       int in, int out_dim)
{
    dn_gemm(0, 1, B, out_dim, in, 1.0f, inp, in, w, in, 0.0f, out, out_dim);
    if (b) {
        #pragma omp parallel for schedule(static) if ((size_t)B * (size_t)out_dim >= DN_PAR_MIN)
        for (int r = 0; r < B; r++) {
            float *o = out + (size_t)r * out_dim;
            for (int j = 0; j < out_dim; j++)
                o[j] += b[j];
        }
    }
}

/* db[j] = sum over rows of dout[r][j], rows added in order 0..B-1 whatever
 * the thread count: threads split the columns, never the rows. */
void dn_bias_grad(float *db, const float *dout, int B, int out_dim)
{
    #pragma omp parallel if ((size_t)B * (size_t)out_dim >= DN_PAR_MIN)
    {
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        int lo = (int)((long long)out_dim * t / nt), hi = (int)((long long)out_dim * (t + 1) / nt);
        for (int j = lo; j < hi; j++)
            db[j] = 0.0f;
        for (int r = 0; r < B; r++) {
            const float *d = dout + (size_t)r * out_dim;
            for (int j = lo; j < hi; j++)
                db[j] += d[j];
        }
    }
}

void dn_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, int B, int in, int out_dim)
{
    if (db)
        dn_bias_grad(db, dout, B, out_dim);
    if (!dinp) {
        /* dw[o,i] = sum_r dout[r,o] inp[r,i] */
        dn_gemm(1, 0, out_dim, in, B, 1.0f, dout, out_dim, inp, in, 0.0f, dw, in);
        return;
    }
    /* The two products are independent: one thread each, where each would
     * otherwise be cut in tiles that pack their shared operand twice. The
     * tiles inside each are the same either way (dn_gemm runs them in turn
     * inside a parallel region), so the bits do not depend on this. Only
     * where dn_gemm would tile them: never for small products, and never
     * under BLIS, which must not be called from two threads at once. */
    #pragma omp parallel sections if (dn_gemm_tiles(out_dim, in, B) > 1)
    {
        #pragma omp section
        dn_gemm(1, 0, out_dim, in, B, 1.0f, dout, out_dim, inp, in, 0.0f, dw, in);
        #pragma omp section
        dn_gemm(0, 0, B, in, out_dim, 1.0f, dout, out_dim, w, in, 0.0f, dinp, in);
    }
}
