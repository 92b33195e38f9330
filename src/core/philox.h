/* Philox4x32-10 from Random123, inlined where masks are drawn in bulk. */
#ifndef DN_PHILOX_H
#define DN_PHILOX_H

#include "dropnet.h"

#include <Random123/philox.h>

/* Block `block` of stream s: the counter and key layout of dn_philox. */
static inline philox4x32_ctr_t dn_philox_inline(dn_stream s, uint64_t block)
{
    philox4x32_ctr_t c = {{(uint32_t)block, (uint32_t)(block >> 32), s.purpose, s.step}};
    philox4x32_key_t k = {{(uint32_t)s.seed, (uint32_t)(s.seed >> 32)}};
    return philox4x32(c, k);
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define DN_PHILOX_AVX2 1

/* The low and high 32 bits of a[i] * m for 8 lanes. */
__attribute__((target("avx2"))) static inline void dn_mulhilo8(__m256i a, __m256i m, __m256i *lo,
                                                              __m256i *hi)
{
    __m256i even = _mm256_mul_epu32(a, m);                      /* lanes 0, 2, 4, 6 */
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m); /* lanes 1, 3, 5, 7 */
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

/* Philox blocks block .. block+7 of stream s, eight blocks in the lanes of
 * AVX2 registers: c[k] holds word k of each. Random123's philox4x32 round
 * for round (the same multipliers, key schedule and word order), so the
 * bits are those of dn_philox; test_fused checks them against it. The
 * scalar Philox is a chain of dependent multiplies; eight chains side by
 * side run several times faster. The low 32 bits of block + 7 must not wrap
 * (the caller checks). */
__attribute__((target("avx2"))) static inline void dn_philox8(uint64_t block, dn_stream s,
                                                             __m256i c[4])
{
    __m256i c0 = _mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)block),
                                  _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256i c1 = _mm256_set1_epi32((int)(uint32_t)(block >> 32));
    __m256i c2 = _mm256_set1_epi32((int)s.purpose);
    __m256i c3 = _mm256_set1_epi32((int)s.step);
    uint32_t k0 = (uint32_t)s.seed, k1 = (uint32_t)(s.seed >> 32);
    const __m256i m0 = _mm256_set1_epi32((int)PHILOX_M4x32_0);
    const __m256i m1 = _mm256_set1_epi32((int)PHILOX_M4x32_1);
    for (int r = 0; r < 10; r++) {
        __m256i lo0, hi0, lo1, hi1;
        dn_mulhilo8(c0, m0, &lo0, &hi0);
        dn_mulhilo8(c2, m1, &lo1, &hi1);
        c0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32((int)k0));
        c1 = lo1;
        c2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32((int)k1));
        c3 = lo0;
        k0 += PHILOX_W32_0;
        k1 += PHILOX_W32_1;
    }
    c[0] = c0;
    c[1] = c1;
    c[2] = c2;
    c[3] = c3;
}
#endif

#endif
