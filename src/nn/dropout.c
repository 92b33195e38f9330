/* Dropout as d2l defines it: zero with probability p, survivors / (1 - p). */
#include "core/internal.h"

#include <math.h>

uint32_t dn_dropout_threshold(float p)
{
    /* U = k * 2^-24 with k = u32 >> 8; U > p  <=>  k > floor(p * 2^24) since
     * p * 2^24 is exact in double for any float p in [0, 1]. */
    return (uint32_t)floor((double)p * 16777216.0);
}

int dn_dropout_layer(float *out, uint8_t *mask, const float *inp, size_t n, float p,
                     dn_stream s, dn_err *err)
{
    if (!(p >= 0.0f && p <= 1.0f))
        return dn_fail(err, DN_EINVAL, "dropout probability %g is outside [0, 1]", (double)p);
    if (p == 1.0f) {
        #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
        for (size_t i = 0; i < n; i++) {
            out[i] = 0.0f;
            if (mask)
                mask[i] = 0;
        }
        return DN_OK;
    }
    if (p == 0.0f) {
        #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
        for (size_t i = 0; i < n; i++) {
            out[i] = inp[i];
            if (mask)
                mask[i] = 1;
        }
        return DN_OK;
    }
    const uint32_t thr = dn_dropout_threshold(p);
    const float scale = (float)(1.0 / (1.0 - (double)p));
    /* Four elements per Philox block; blocks are independent, so any thread
     * split gives the same mask. */
    const size_t nblk = (n + 3) / 4;
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t blk = 0; blk < nblk; blk++) {
        uint32_t w[4];
        dn_philox(s, blk, w);
        size_t base = blk * 4;
        for (size_t j = 0; j < 4 && base + j < n; j++) {
            uint8_t keep = (w[j] >> 8) > thr;
            out[base + j] = keep ? inp[base + j] * scale : 0.0f;
            if (mask)
                mask[base + j] = keep;
        }
    }
    return DN_OK;
}

void dn_dropout_backward(float *dinp, const float *dout, const uint8_t *mask, size_t n, float p)
{
    const float scale = p >= 1.0f ? 0.0f : (float)(1.0 / (1.0 - (double)p));
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        dinp[i] = dn_keep_or_zero(dout[i] * scale, mask[i] != 0);
}
