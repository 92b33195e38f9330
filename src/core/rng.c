/* Every random number in dropnet: Philox4x32-10 keyed by the seed, with the
 * counter (block, purpose, step). A pure function, so results do not depend
 * on thread count or on the order in which numbers are drawn. */
#include "core/internal.h"
#include "core/philox.h"

#include <math.h>

void dn_philox(dn_stream s, uint64_t block, uint32_t out[4])
{
    philox4x32_ctr_t r = dn_philox_inline(s, block);
    out[0] = r.v[0];
    out[1] = r.v[1];
    out[2] = r.v[2];
    out[3] = r.v[3];
}

uint32_t dn_random_u32(dn_stream s, uint64_t i)
{
    uint32_t w[4];
    dn_philox(s, i >> 2, w);
    return w[i & 3];
}

float dn_uniform(dn_stream s, uint64_t i)
{
    return (float)(dn_random_u32(s, i) >> 8) * 0x1p-24f;
}

void dn_uniform_fill(dn_stream s, float *out, size_t n)
{
    #pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < (n + 3) / 4; blk++) {
        uint32_t w[4];
        dn_philox(s, blk, w);
        for (size_t j = 0; j < 4 && blk * 4 + j < n; j++)
            out[blk * 4 + j] = (float)(w[j] >> 8) * 0x1p-24f;
    }
}

double dn_normal(dn_stream s, uint64_t i)
{
    uint32_t w[4];
    dn_philox(s, i, w);
    /* u1 in (0, 1] so the log is finite; 53-bit uniforms from two words each. */
    double u1 = ((double)(((uint64_t)w[0] << 21) ^ (w[1] >> 11)) + 1.0) * 0x1p-53;
    double u2 = (double)(((uint64_t)w[2] << 21) ^ (w[3] >> 11)) * 0x1p-53;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

uint32_t dn_uniform_below(dn_stream s, uint64_t i, uint32_t bound)
{
    /* Lemire's multiply-shift with rejection; the rejected draws walk along
     * an extra counter word so every (i, attempt) has its own numbers. */
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (uint32_t attempt = 0;; attempt++) {
        uint32_t w[4];
        dn_philox(s, i | ((uint64_t)attempt << 40), w);
        for (int j = 0; j < 4; j++) {
            uint64_t m = (uint64_t)w[j] * bound;
            if ((uint32_t)m >= threshold)
                return (uint32_t)(m >> 32);
        }
    }
}

void dn_shuffle(uint32_t *perm, uint32_t n, uint64_t seed, uint32_t epoch)
{
    dn_stream s = {seed, DN_PURPOSE_SHUFFLE, epoch};
    for (uint32_t i = 0; i < n; i++)
        perm[i] = i;
    /* Fisher-Yates: position i takes a uniform pick from 0..i. */
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = dn_uniform_below(s, i - 1, i);
        uint32_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

dn_stream dn_dropout_stream(uint64_t seed, int site, uint32_t step)
{
    dn_stream s = {seed, DN_PURPOSE_DROPOUT + (uint32_t)site, step};
    return s;
}
