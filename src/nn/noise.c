/* The noises a hidden layer's site can draw besides dropout (--noise): each
 * a forward pass that keeps what its backward pass needs, over explicit
 * buffers, drawing from the site's Philox stream by element index. */
#include "core/internal.h"
#include "core/philox.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chunks of whole Philox blocks: independent, so any thread split draws the
 * same numbers. */
enum { CHUNK = 1024 };

static const struct {
    const char *name, *layer;
    dn_noise_kind kind;
} kinds[] = {
    {"dropout", "Dropout", DN_NOISE_DROPOUT},
    {"gaussian", "GaussianDropout", DN_NOISE_GAUSSIAN},
    {"additive", "AdditiveNoise", DN_NOISE_ADDITIVE},
    {"dropconnect", "DropConnect", DN_NOISE_DROPCONNECT},
    {"uniform", "UniformNoise", DN_NOISE_UNIFORM},
};
enum { N_KINDS = (int)(sizeof kinds / sizeof kinds[0]) };

static int kind_index(dn_noise_kind k)
{
    for (int i = 0; i < N_KINDS; i++)
        if (kinds[i].kind == k)
            return i;
    return -1;
}

int dn_noise_check(dn_noise n, dn_err *err)
{
    int k = kind_index(n.kind);
    if (k < 0)
        return dn_fail(err, DN_EINVAL, "unknown noise kind %d", (int)n.kind);
    const char *name = kinds[k].name;
    switch (n.kind) {
    case DN_NOISE_DROPOUT:
        if (!(n.p >= 0.0f && n.p <= 1.0f))
            return dn_fail(err, DN_EINVAL, "dropout probability %g is outside [0, 1]",
                           (double)n.p);
        return DN_OK;
    case DN_NOISE_ADDITIVE:
        if (!(n.p >= 0.0f && isfinite(n.p)))
            return dn_fail(err, DN_EINVAL, "additive noise: sigma %g is not a finite number >= 0",
                           (double)n.p);
        return DN_OK;
    default:
        /* p = 1 would be a variance (or a scale 1/(1-p)) without bound. */
        if (!(n.p >= 0.0f && n.p < 1.0f))
            return dn_fail(err, DN_EINVAL, "%s noise: probability %g is outside [0, 1)", name,
                           (double)n.p);
        return DN_OK;
    }
}

int dn_noise_parse(const char *text, dn_noise *out, dn_err *err)
{
    if (strcmp(text, "none") == 0) {
        *out = (dn_noise){DN_NOISE_DROPOUT, 0.0f};
        return DN_OK;
    }
    const char *colon = strchr(text, ':');
    size_t len = colon ? (size_t)(colon - text) : strlen(text);
    int k = -1;
    for (int i = 0; i < N_KINDS; i++)
        if (strlen(kinds[i].name) == len && strncmp(kinds[i].name, text, len) == 0)
            k = i;
    if (k < 0)
        return dn_fail(err, DN_EINVAL,
                       "unknown noise '%.40s' (none, dropout:P, gaussian:P, additive:SIGMA, "
                       "dropconnect:P, uniform:P)", text);
    if (!colon || !colon[1])
        return dn_fail(err, DN_EINVAL, "'%.40s' needs a value: %s:%s", text,
                       kinds[k].name, kinds[k].kind == DN_NOISE_ADDITIVE ? "SIGMA" : "P");
    char *end;
    double v = strtod(colon + 1, &end);
    if (*end || end == colon + 1 || !isfinite(v))
        return dn_fail(err, DN_EINVAL, "'%.40s': '%.20s' is not a finite number", text,
                       colon + 1);
    dn_noise n = {kinds[k].kind, (float)v};
    if (dn_noise_check(n, NULL)) {
        if (n.kind == DN_NOISE_ADDITIVE)
            return dn_fail(err, DN_EINVAL, "'%.40s': sigma %.20s is not a finite number >= 0",
                           text, colon + 1);
        return dn_fail(err, DN_EINVAL, "'%.40s': the probability %.20s is outside [0, 1%c", text,
                       colon + 1, n.kind == DN_NOISE_DROPOUT ? ']' : ')');
    }
    *out = n;
    return DN_OK;
}

int dn_noise_list_parse(const char *text, dn_noise *noise, int max, int *n, dn_err *err)
{
    *n = 0;
    const char *s = text;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        char item[64];
        if (len == 0)
            return dn_fail(err, DN_EINVAL, "noise list '%.60s' has an empty item", text);
        if (len >= sizeof item)
            return dn_fail(err, DN_EINVAL, "noise list '%.60s': item %d is too long", text,
                           *n + 1);
        if (*n == max)
            return dn_fail(err, DN_EINVAL, "noise list '%.60s' has more than %d items", text, max);
        memcpy(item, s, len);
        item[len] = '\0';
        int rc = dn_noise_parse(item, &noise[*n], err);
        if (rc)
            return rc;
        (*n)++;
        if (!comma)
            return DN_OK;
        s = comma + 1;
    }
}

void dn_noise_format(dn_noise n, char *out, size_t size)
{
    int k = kind_index(n.kind);
    char v[32];
    dn_float_text(v, sizeof v, n.p);
    if (n.kind == DN_NOISE_DROPOUT && n.p == 0.0f)
        snprintf(out, size, "none");
    else
        snprintf(out, size, "%s:%s", k < 0 ? "?" : kinds[k].name, v);
}

void dn_noise_layer_name(dn_noise n, char *out, size_t size)
{
    int k = kind_index(n.kind);
    char v[32];
    dn_float_text(v, sizeof v, n.p);
    snprintf(out, size, "%s(%s)", k < 0 ? "?" : kinds[k].layer, v);
}

int dn_noise_layer_parse(const char *s, dn_noise *n, int *used)
{
    for (int i = 0; i < N_KINDS; i++) {
        size_t len = strlen(kinds[i].layer);
        double p;
        int u = 0;
        if (strncmp(s, kinds[i].layer, len) != 0 || s[len] != '(')
            continue;
        if (sscanf(s + len, "(%lf)%n", &p, &u) != 1 || u == 0)
            return -1;
        *n = (dn_noise){kinds[i].kind, (float)p};
        *used = (int)len + u;
        return dn_noise_check(*n, NULL) ? -1 : 0;
    }
    return -1;
}

/* ---- normals and uniforms from a stream ---- */

/* Box-Muller on two words: z0 = r cos t, z1 = r sin t with
 * r = sqrt(-2 ln u1), t = 2 pi u2. The logarithm and the sine and cosine are
 * polynomials of our own, written once as scalar code and once with AVX2
 * (eight pairs at a time) with the same operations in the same order, each
 * correctly rounded (+, *, /, sqrt, fma), so both give the same bits: a run
 * does not depend on which of them a machine takes. (libm's logf and
 * sincosf took a third of a training step's time.) Accuracy: a few units
 * in the last place, far below what the moments tests can see. This file
 * is compiled with -ffp-contract=off, so a * b + c stays two roundings. */
#define BM_SQRT2 1.41421356f
#define BM_LN2 0.693147181f
#define BM_2PI 6.28318531f
/* ln(1+f) = 2 atanh(s), s = f / (2 + f): 2 (s + s^3/3 + ... + s^9/9), |s| < 0.172 */
#define BM_C9 (1.0f / 9.0f)
#define BM_C7 (1.0f / 7.0f)
#define BM_C5 (1.0f / 5.0f)
#define BM_C3 (1.0f / 3.0f)
/* sin and cos on [-pi/4, pi/4], Taylor to the x^9 and x^10 terms */
#define BM_S9 (1.0f / 362880.0f)
#define BM_S7 (-1.0f / 5040.0f)
#define BM_S5 (1.0f / 120.0f)
#define BM_S3 (-1.0f / 6.0f)
#define BM_C10 (-1.0f / 3628800.0f)
#define BM_C8 (1.0f / 40320.0f)
#define BM_C6 (-1.0f / 720.0f)
#define BM_C4 (1.0f / 24.0f)
#define BM_C2 (-0.5f)

static inline void bm_pair(uint32_t a, uint32_t b, float *z0, float *z1)
{
    float u1 = (float)((a >> 8) + 1) * 0x1p-24f; /* (0, 1], exact */
    float x = (float)(b >> 8) * 0x1p-24f;        /* [0, 1), exact */
    /* u1 = m 2^e, m in [sqrt(1/2), sqrt(2)) */
    uint32_t bits;
    memcpy(&bits, &u1, sizeof bits);
    int32_t e = (int32_t)(bits >> 23) - 127;
    bits = (bits & 0x007fffffu) | 0x3f800000u;
    float m;
    memcpy(&m, &bits, sizeof m);
    if (m > BM_SQRT2) {
        m = m * 0.5f;
        e = e + 1;
    }
    float f = m - 1.0f;
    float s = f / (2.0f + f);
    float s2 = s * s;
    float p = fmaf(s2, BM_C9, BM_C7);
    p = fmaf(p, s2, BM_C5);
    p = fmaf(p, s2, BM_C3);
    p = fmaf(p, s2, 1.0f);
    float ln = fmaf((float)e, BM_LN2, (2.0f * s) * p);
    float r = sqrtf(-2.0f * ln);
    /* t = 2 pi x = k pi/2 + 2 pi d, k = x * 4 rounded, |d| <= 1/8 */
    float k = rintf(4.0f * x);
    float d = x - 0.25f * k; /* exact */
    float t = d * BM_2PI, t2 = t * t;
    float sp = fmaf(t2, BM_S9, BM_S7);
    sp = fmaf(sp, t2, BM_S5);
    sp = fmaf(sp, t2, BM_S3);
    float sn = fmaf(sp * t2, t, t);
    float cp = fmaf(t2, BM_C10, BM_C8);
    cp = fmaf(cp, t2, BM_C6);
    cp = fmaf(cp, t2, BM_C4);
    cp = fmaf(cp, t2, BM_C2);
    float cs = fmaf(cp, t2, 1.0f);
    /* the quadrant k mod 4 turns (sin, cos) by k quarter turns */
    int q = (int)k & 3;
    float sv = q & 1 ? cs : sn, cv = q & 1 ? sn : cs;
    if (q == 1 || q == 2)
        cv = -cv;
    if (q >= 2)
        sv = -sv;
    *z0 = r * cv;
    *z1 = r * sv;
}

/* The four normals of one Philox block (two Box-Muller pairs). */
static inline void block_normals(const uint32_t w[4], float z[4])
{
    bm_pair(w[0], w[1], &z[0], &z[1]);
    bm_pair(w[2], w[3], &z[2], &z[3]);
}

#ifdef DN_PHILOX_AVX2
/* bm_pair on eight lanes. */
__attribute__((target("avx2,fma"))) static inline void bm_pair8(__m256i a, __m256i b,
                                                               __m256 *z0, __m256 *z1)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 u1 = _mm256_mul_ps(
        _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_srli_epi32(a, 8), _mm256_set1_epi32(1))),
        _mm256_set1_ps(0x1p-24f));
    __m256 x = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(b, 8)),
                             _mm256_set1_ps(0x1p-24f));
    __m256i bits = _mm256_castps_si256(u1);
    __m256i e = _mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127));
    __m256 m = _mm256_castsi256_ps(_mm256_or_si256(
        _mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f800000)));
    __m256 big = _mm256_cmp_ps(m, _mm256_set1_ps(BM_SQRT2), _CMP_GT_OQ);
    m = _mm256_blendv_ps(m, _mm256_mul_ps(m, _mm256_set1_ps(0.5f)), big);
    /* big lanes are all ones (-1): e - (-1) */
    e = _mm256_sub_epi32(e, _mm256_castps_si256(big));
    __m256 f = _mm256_sub_ps(m, one);
    __m256 s = _mm256_div_ps(f, _mm256_add_ps(_mm256_set1_ps(2.0f), f));
    __m256 s2 = _mm256_mul_ps(s, s);
    __m256 p = _mm256_fmadd_ps(s2, _mm256_set1_ps(BM_C9), _mm256_set1_ps(BM_C7));
    p = _mm256_fmadd_ps(p, s2, _mm256_set1_ps(BM_C5));
    p = _mm256_fmadd_ps(p, s2, _mm256_set1_ps(BM_C3));
    p = _mm256_fmadd_ps(p, s2, one);
    __m256 ln = _mm256_fmadd_ps(_mm256_cvtepi32_ps(e), _mm256_set1_ps(BM_LN2),
                                _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(2.0f), s), p));
    __m256 r = _mm256_sqrt_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f), ln));
    __m256 k = _mm256_round_ps(_mm256_mul_ps(_mm256_set1_ps(4.0f), x),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 d = _mm256_sub_ps(x, _mm256_mul_ps(_mm256_set1_ps(0.25f), k));
    __m256 t = _mm256_mul_ps(d, _mm256_set1_ps(BM_2PI)), t2 = _mm256_mul_ps(t, t);
    __m256 sp = _mm256_fmadd_ps(t2, _mm256_set1_ps(BM_S9), _mm256_set1_ps(BM_S7));
    sp = _mm256_fmadd_ps(sp, t2, _mm256_set1_ps(BM_S5));
    sp = _mm256_fmadd_ps(sp, t2, _mm256_set1_ps(BM_S3));
    __m256 sn = _mm256_fmadd_ps(_mm256_mul_ps(sp, t2), t, t);
    __m256 cp = _mm256_fmadd_ps(t2, _mm256_set1_ps(BM_C10), _mm256_set1_ps(BM_C8));
    cp = _mm256_fmadd_ps(cp, t2, _mm256_set1_ps(BM_C6));
    cp = _mm256_fmadd_ps(cp, t2, _mm256_set1_ps(BM_C4));
    cp = _mm256_fmadd_ps(cp, t2, _mm256_set1_ps(BM_C2));
    __m256 cs = _mm256_fmadd_ps(cp, t2, one);
    __m256i q = _mm256_and_si256(_mm256_cvtps_epi32(k), _mm256_set1_epi32(3));
    __m256 odd = _mm256_castsi256_ps(
        _mm256_cmpeq_epi32(_mm256_and_si256(q, _mm256_set1_epi32(1)), _mm256_set1_epi32(1)));
    __m256 sv = _mm256_blendv_ps(sn, cs, odd), cv = _mm256_blendv_ps(cs, sn, odd);
    /* sign flips: cos for q = 1, 2; sin for q = 2, 3 (bit 31) */
    __m256i q1 = _mm256_sub_epi32(q, _mm256_set1_epi32(1)); /* 0, 1 for q = 1, 2 */
    __m256i cflip = _mm256_slli_epi32(
        _mm256_and_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(2), q1),
                         _mm256_cmpgt_epi32(q1, _mm256_set1_epi32(-1))),
        31);
    __m256i sflip = _mm256_slli_epi32(_mm256_cmpgt_epi32(q, _mm256_set1_epi32(1)), 31);
    cv = _mm256_xor_ps(cv, _mm256_castsi256_ps(cflip));
    sv = _mm256_xor_ps(sv, _mm256_castsi256_ps(sflip));
    *z0 = _mm256_mul_ps(r, cv);
    *z1 = _mm256_mul_ps(r, sv);
}

/* The 32 normals of Philox blocks block .. block+7, in element order. */
__attribute__((target("avx2,fma"))) static void normals32_avx2(float *z, uint64_t block,
                                                              dn_stream s)
{
    __m256i c[4];
    dn_philox8(block, s, c);
    __m256 v[4];
    bm_pair8(c[0], c[1], &v[0], &v[1]);
    bm_pair8(c[2], c[3], &v[2], &v[3]);
    /* lane j of v[k] is element 4 j + k */
    float t[4][8];
    for (int k = 0; k < 4; k++)
        _mm256_storeu_ps(t[k], v[k]);
    for (int j = 0; j < 8; j++)
        for (int k = 0; k < 4; k++)
            z[4 * j + k] = t[k][j];
}
#endif

/* The normals of elements [i, hi) of i's block and on: scalar. */
static uint64_t normals_scalar(float *z, uint64_t lo, uint64_t i, uint64_t hi, dn_stream s)
{
    while (i < hi) {
        philox4x32_ctr_t r = dn_philox_inline(s, i >> 2);
        float b[4];
        block_normals(r.v, b);
        do
            z[i - lo] = b[i & 3];
        while (++i < hi && (i & 3));
    }
    return i;
}

void dn_noise_normals_scalar(float *z, uint64_t lo, uint64_t hi, dn_stream s)
{
    normals_scalar(z, lo, lo, hi, s);
}

void dn_noise_normals(float *z, uint64_t lo, uint64_t hi, dn_stream s)
{
    uint64_t i = lo;
#ifdef DN_PHILOX_AVX2
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        if (i & 3) /* a range that starts inside a Philox block */
            i = normals_scalar(z, lo, i, (i | 3) + 1 < hi ? (i | 3) + 1 : hi, s);
        for (; i + 32 <= hi && (uint32_t)(i >> 2) <= UINT32_MAX - 7; i += 32)
            normals32_avx2(z + (i - lo), i >> 2, s);
    }
#endif
    normals_scalar(z, lo, i, hi, s);
}

#ifdef DN_PHILOX_AVX2
/* The 32 uniforms (w >> 8) 2^-24 of Philox blocks block .. block+7. */
__attribute__((target("avx2"))) static void uniforms32_avx2(float *u, uint64_t block,
                                                           dn_stream s)
{
    __m256i c[4];
    dn_philox8(block, s, c);
    float t[4][8];
    for (int k = 0; k < 4; k++)
        _mm256_storeu_ps(t[k], _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(c[k], 8)),
                                             _mm256_set1_ps(0x1p-24f)));
    for (int j = 0; j < 8; j++)
        for (int k = 0; k < 4; k++)
            u[4 * j + k] = t[k][j];
}
#endif

/* dn_uniform's numbers for elements [lo, hi) of stream s. */
static void uniforms(float *u, uint64_t lo, uint64_t hi, dn_stream s)
{
    uint64_t i = lo;
#ifdef DN_PHILOX_AVX2
    if (__builtin_cpu_supports("avx2") && !(i & 3))
        for (; i + 32 <= hi && (uint32_t)(i >> 2) <= UINT32_MAX - 7; i += 32)
            uniforms32_avx2(u + (i - lo), i >> 2, s);
#endif
    while (i < hi) {
        philox4x32_ctr_t r = dn_philox_inline(s, i >> 2);
        do
            u[i - lo] = (float)(r.v[i & 3] >> 8) * 0x1p-24f;
        while (++i < hi && (i & 3));
    }
}

/* ---- Gaussian and uniform multiplicative noise ---- */

typedef enum { MULT_GAUSSIAN, MULT_UNIFORM } mult_kind;

static int mult_forward(float *out, float *mult, const float *inp, size_t n, float p,
                        dn_stream s, uint64_t first, mult_kind kind, dn_err *err)
{
    dn_noise chk = {kind == MULT_GAUSSIAN ? DN_NOISE_GAUSSIAN : DN_NOISE_UNIFORM, p};
    if (dn_noise_check(chk, err))
        return DN_EINVAL;
    /* Variance p/(1-p): a Gaussian's sigma, or a uniform's half-width
     * sqrt(3) sigma (the variance of U(-a, a) is a^2/3). */
    const double var = (double)p / (1.0 - (double)p);
    const float scale = (float)(kind == MULT_GAUSSIAN ? sqrt(var) : sqrt(3.0 * var));
    const size_t nchunk = (n + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t c = 0; c < nchunk; c++) {
        size_t lo = c * CHUNK, hi = n - lo > CHUNK ? lo + CHUNK : n;
        float *m = mult + lo;
        if (kind == MULT_GAUSSIAN) {
            dn_noise_normals(m, first + lo, first + hi, s);
            for (size_t i = 0; i < hi - lo; i++)
                m[i] = 1.0f + scale * m[i];
        } else {
            uniforms(m, first + lo, first + hi, s);
            for (size_t i = 0; i < hi - lo; i++)
                m[i] = 1.0f + scale * (2.0f * m[i] - 1.0f);
        }
        for (size_t i = lo; i < hi; i++)
            out[i] = inp[i] * mult[i];
    }
    return DN_OK;
}

int dn_gaussian_forward(float *out, float *mult, const float *inp, size_t n, float p,
                        dn_stream s, dn_err *err)
{
    return mult_forward(out, mult, inp, n, p, s, 0, MULT_GAUSSIAN, err);
}

int dn_gaussian_forward_at(float *out, float *mult, const float *inp, size_t n, float p,
                           dn_stream s, uint64_t first, dn_err *err)
{
    return mult_forward(out, mult, inp, n, p, s, first, MULT_GAUSSIAN, err);
}

int dn_uniform_noise_forward(float *out, float *mult, const float *inp, size_t n, float p,
                             dn_stream s, dn_err *err)
{
    return mult_forward(out, mult, inp, n, p, s, 0, MULT_UNIFORM, err);
}

int dn_uniform_noise_forward_at(float *out, float *mult, const float *inp, size_t n, float p,
                                dn_stream s, uint64_t first, dn_err *err)
{
    return mult_forward(out, mult, inp, n, p, s, first, MULT_UNIFORM, err);
}

void dn_gaussian_backward(float *dinp, const float *dout, const float *mult, size_t n)
{
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * mult[i];
}

void dn_uniform_noise_backward(float *dinp, const float *dout, const float *mult, size_t n)
{
    dn_gaussian_backward(dinp, dout, mult, n);
}

/* ---- additive noise ---- */

int dn_additive_forward(float *out, const float *inp, size_t n, float sigma, dn_stream s,
                        dn_err *err)
{
    return dn_additive_forward_at(out, inp, n, sigma, s, 0, err);
}

int dn_additive_forward_at(float *out, const float *inp, size_t n, float sigma, dn_stream s,
                           uint64_t first, dn_err *err)
{
    if (dn_noise_check((dn_noise){DN_NOISE_ADDITIVE, sigma}, err))
        return DN_EINVAL;
    const size_t nchunk = (n + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t c = 0; c < nchunk; c++) {
        size_t lo = c * CHUNK, hi = n - lo > CHUNK ? lo + CHUNK : n;
        float z[CHUNK];
        dn_noise_normals(z, first + lo, first + hi, s);
        for (size_t i = lo; i < hi; i++)
            out[i] = inp[i] + sigma * z[i - lo];
    }
    return DN_OK;
}

void dn_additive_backward(float *dinp, const float *dout, size_t n)
{
    if (dinp != dout)
        memcpy(dinp, dout, n * sizeof *dinp);
}

/* ---- DropConnect ---- */

/* Chunk c of dn_dropconnect_forward: mask and scale fused into the copy the
 * product reads, one pass over the weights per batch (the masks of
 * dropout, drawn for the weights). */
static void dc_chunk(float *wd, uint8_t *mask, const float *w, size_t n, float p, dn_stream s,
                     size_t c)
{
    const uint32_t thr = dn_dropout_threshold(p);
    const float scale = (float)(1.0 / (1.0 - (double)p));
    size_t lo = c * CHUNK, hi = n - lo > CHUNK ? lo + CHUNK : n;
    if (p == 0.0f)
        memset(mask + lo, 1, hi - lo);
    else
        dn_dropout_mask(mask + lo, lo, hi, thr, s);
    for (size_t i = lo; i < hi; i++)
        wd[i] = dn_keep_or_zero(w[i] * scale, mask[i]);
}

int dn_dropconnect_forward(float *wd, uint8_t *mask, const float *w, size_t n, float p,
                           dn_stream s, dn_err *err)
{
    if (dn_noise_check((dn_noise){DN_NOISE_DROPCONNECT, p}, err))
        return DN_EINVAL;
    const size_t nchunk = (n + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t c = 0; c < nchunk; c++)
        dc_chunk(wd, mask, w, n, p, s, c);
    return DN_OK;
}

void dn_dropconnect_forward_team(const dn_team *tm, float *wd, uint8_t *mask, const float *w,
                                 size_t n, float p, dn_stream s)
{
    int lo, hi;
    dn_team_range(tm, (int)((n + CHUNK - 1) / CHUNK), &lo, &hi);
    for (int c = lo; c < hi; c++)
        dc_chunk(wd, mask, w, n, p, s, (size_t)c);
}

void dn_dropconnect_backward(float *dw, const uint8_t *mask, size_t n, float p)
{
    const float scale = (float)(1.0 / (1.0 - (double)p));
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        dw[i] = dn_keep_or_zero(dw[i] * scale, mask[i]);
}

int dn_net_set_noise_list(dn_net *net, const char *list, dn_err *err)
{
    int linears = 0;
    for (int i = 0; i < dn_net_num_layers(net); i++) {
        dn_layer_info L;
        dn_net_layer(net, i, &L, NULL);
        linears += L.kind == DN_LAYER_LINEAR;
    }
    dn_noise noise[DN_MAX_HIDDEN + 1];
    int n = 0, hidden = linears - 1;
    int rc = dn_noise_list_parse(list, noise, DN_MAX_HIDDEN + 1, &n, err);
    if (rc)
        return rc;
    if (n != hidden)
        return dn_fail(err, DN_EINVAL, "noise list '%.60s' has %d item%s but the network has %d "
                       "hidden layer%s", list, n, n == 1 ? "" : "s", hidden,
                       hidden == 1 ? "" : "s");
    for (int k = 1; k <= n; k++) {
        dn_noise had;
        if (!dn_net_noise(net, k, &had)) {
            if (noise[k - 1].kind == DN_NOISE_DROPOUT && noise[k - 1].p == 0.0f)
                continue; /* "none" where there is no Dropout layer */
            return dn_fail(err, DN_EINVAL, "noise list: hidden layer %d has no Dropout layer "
                           "after it to draw noise", k);
        }
        if ((rc = dn_net_set_noise(net, k, noise[k - 1], err)))
            return rc;
    }
    return DN_OK;
}
