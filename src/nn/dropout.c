/* Dropout as d2l defines it: zero with probability p, survivors / (1 - p). */
#include "core/internal.h"
#include "core/philox.h"

#include <math.h>

uint32_t dn_dropout_threshold(float p)
{
    /* U = k * 2^-24 with k = u32 >> 8; U > p  <=>  k > floor(p * 2^24) since
     * p * 2^24 is exact in double for any float p in [0, 1]. */
    return (uint32_t)floor((double)p * 16777216.0);
}

int dn_dropout_forward(float *out, uint8_t *mask, const float *inp, size_t n, float p,
                       dn_stream s, dn_err *err)
{
    return dn_dropout_forward_at(out, mask, inp, n, p, s, 0, err);
}

int dn_dropout_forward_at(float *out, uint8_t *mask, const float *inp, size_t n, float p,
                          dn_stream s, uint64_t first, dn_err *err)
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
    /* The mask in chunks of whole Philox blocks (dn_dropout_mask, as the
     * fused pass draws it); chunks are independent, so any thread split
     * gives the same mask. */
    enum { CHUNK = 1024 };
    const size_t nchunk = (n + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t c = 0; c < nchunk; c++) {
        dn_par_mark(DN_PAR_DROPOUT);
        size_t lo = c * CHUNK, hi = n - lo > CHUNK ? lo + CHUNK : n;
        uint8_t local[CHUNK];
        uint8_t *m = mask ? mask + lo : local;
        dn_dropout_mask(m, first + lo, first + hi, thr, s);
        for (size_t i = lo; i < hi; i++)
            out[i] = dn_keep_or_zero(inp[i] * scale, m[i - lo]);
    }
    return DN_OK;
}

#ifdef DN_PHILOX_AVX2
#define DN_MASK_AVX2 1

/* The mask bytes of the 32 elements of Philox blocks block .. block+7
 * (dn_philox8 draws them). */
__attribute__((target("avx2"))) static void mask32_avx2(uint8_t *out, uint64_t block,
                                                       dn_stream s, uint32_t thr)
{
    __m256i c[4];
    dn_philox8(block, s, c);
    __m256i c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
    /* keep = (word >> 8) > thr; both sides below 2^24, so a signed compare. */
    const __m256i t = _mm256_set1_epi32((int)thr);
    __m256i w0 = _mm256_cmpgt_epi32(_mm256_srli_epi32(c0, 8), t);
    __m256i w1 = _mm256_cmpgt_epi32(_mm256_srli_epi32(c1, 8), t);
    __m256i w2 = _mm256_cmpgt_epi32(_mm256_srli_epi32(c2, 8), t);
    __m256i w3 = _mm256_cmpgt_epi32(_mm256_srli_epi32(c3, 8), t);
    /* Per 128-bit half (blocks 0-3, then 4-7) the packs leave bytes in the
     * order word k, block j (4k + j); element order is block j, word k. */
    __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(w0, w1), _mm256_packs_epi32(w2, w3));
    const __m256i order = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                                           0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    bytes = _mm256_and_si256(_mm256_shuffle_epi8(bytes, order), _mm256_set1_epi8(1));
    _mm256_storeu_si256((__m256i *)out, bytes);
}
#endif

/* The elements of i's Philox block that lie in [i, hi); returns the next i. */
static uint64_t mask_block(uint8_t *mask, uint64_t lo, uint64_t i, uint64_t hi, uint32_t thr,
                           dn_stream s)
{
    uint32_t w[4];
    dn_philox(s, i >> 2, w);
    do
        mask[i - lo] = (w[i & 3] >> 8) > thr;
    while (++i < hi && (i & 3));
    return i;
}

void dn_dropout_mask(uint8_t *mask, uint64_t lo, uint64_t hi, uint32_t thr, dn_stream s)
{
    uint64_t i = lo;
    if (i < hi && (i & 3)) /* a range that starts inside a Philox block */
        i = mask_block(mask, lo, i, hi, thr, s);
#ifdef DN_MASK_AVX2
    if (__builtin_cpu_supports("avx2"))
        for (; i + 32 <= hi && (uint32_t)(i >> 2) <= UINT32_MAX - 7; i += 32)
            mask32_avx2(mask + (i - lo), i >> 2, s, thr);
#endif
    /* Two independent blocks per iteration: two chains of multiplies in
     * flight measured 12 % faster than one (four spill registers). */
    for (; i + 8 <= hi; i += 8) {
        philox4x32_ctr_t r0 = dn_philox_inline(s, i >> 2);
        philox4x32_ctr_t r1 = dn_philox_inline(s, (i >> 2) + 1);
        for (int k = 0; k < 4; k++) {
            mask[i - lo + (size_t)k] = (r0.v[k] >> 8) > thr;
            mask[i - lo + 4 + (size_t)k] = (r1.v[k] >> 8) > thr;
        }
    }
    while (i < hi)
        i = mask_block(mask, lo, i, hi, thr, s);
}

void dn_dropout_backward(float *dinp, const float *dout, const uint8_t *mask, size_t n, float p)
{
    const float scale = p >= 1.0f ? 0.0f : (float)(1.0 / (1.0 - (double)p));
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        dinp[i] = dn_keep_or_zero(dout[i] * scale, mask[i] != 0);
}
