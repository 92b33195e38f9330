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

/* The four normals of one Philox block (two Box-Muller pairs). */
static inline void block_normals(const uint32_t w[4], float z[4])
{
    for (int j = 0; j < 2; j++) {
        float u1 = (float)((w[2 * j] >> 8) + 1) * 0x1p-24f;
        float u2 = (float)(w[2 * j + 1] >> 8) * 0x1p-24f;
        float r = sqrtf(-2.0f * logf(u1));
        float t = 6.28318530717958647692f * u2;
        z[2 * j] = r * cosf(t);
        z[2 * j + 1] = r * sinf(t);
    }
}

void dn_noise_normals(float *z, uint64_t lo, uint64_t hi, dn_stream s)
{
    uint64_t i = lo;
    while (i < hi) {
        philox4x32_ctr_t r = dn_philox_inline(s, i >> 2);
        float b[4];
        block_normals(r.v, b);
        do
            z[i - lo] = b[i & 3];
        while (++i < hi && (i & 3));
    }
}

static void uniforms(float *u, uint64_t lo, uint64_t hi, dn_stream s)
{
    uint64_t i = lo;
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
                        dn_stream s, mult_kind kind, dn_err *err)
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
            dn_noise_normals(m, lo, hi, s);
            for (size_t i = 0; i < hi - lo; i++)
                m[i] = 1.0f + scale * m[i];
        } else {
            uniforms(m, lo, hi, s);
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
    return mult_forward(out, mult, inp, n, p, s, MULT_GAUSSIAN, err);
}

int dn_uniform_noise_forward(float *out, float *mult, const float *inp, size_t n, float p,
                             dn_stream s, dn_err *err)
{
    return mult_forward(out, mult, inp, n, p, s, MULT_UNIFORM, err);
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
    if (dn_noise_check((dn_noise){DN_NOISE_ADDITIVE, sigma}, err))
        return DN_EINVAL;
    const size_t nchunk = (n + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t c = 0; c < nchunk; c++) {
        size_t lo = c * CHUNK, hi = n - lo > CHUNK ? lo + CHUNK : n;
        float z[CHUNK];
        dn_noise_normals(z, lo, hi, s);
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

int dn_dropconnect_forward(float *wd, uint8_t *mask, const float *w, size_t n, float p,
                           dn_stream s, dn_err *err)
{
    if (dn_noise_check((dn_noise){DN_NOISE_DROPCONNECT, p}, err))
        return DN_EINVAL;
    const uint32_t thr = dn_dropout_threshold(p);
    const float scale = (float)(1.0 / (1.0 - (double)p));
    /* Mask and scale fused into the copy the product reads: one pass over
     * the weights per batch (the masks of dropout, drawn for the weights). */
    const size_t nchunk = (n + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t c = 0; c < nchunk; c++) {
        size_t lo = c * CHUNK, hi = n - lo > CHUNK ? lo + CHUNK : n;
        if (p == 0.0f)
            memset(mask + lo, 1, hi - lo);
        else
            dn_dropout_mask(mask + lo, lo, hi, thr, s);
        for (size_t i = lo; i < hi; i++)
            wd[i] = dn_keep_or_zero(w[i] * scale, mask[i]);
    }
    return DN_OK;
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
