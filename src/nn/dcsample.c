/* DropConnect's inference by moment matching (Wan et al., ICML 2013,
 * section 3): at a Linear layer that reads a DropConnect site, the masked
 * product u = (W * M / (1-p)) v is a sum of many independent terms, so each
 * unit's u is taken as normal with its mean W v + b and its variance
 * p/(1-p) sum_i W_ji^2 v_i^2; K samples of it go through the layer's
 * activation (ReLU, or the softmax at the output) and are averaged. */
#include "nn/net_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int K;
    uint64_t seed;
    size_t start; /* the batch's first example in the data set */
} sampling;

/* The normals of example ex, layer site `site`: width * K of them, unit j's
 * K in z[j K .. j K + K). */
static void unit_normals(float *z, const sampling *s, int site, size_t ex, int width)
{
    dn_stream st = {s->seed, DN_PURPOSE_DC_SAMPLING + (uint32_t)site, 0};
    uint64_t n = (uint64_t)width * (uint64_t)s->K;
    dn_noise_normals(z, (uint64_t)ex * n, (uint64_t)ex * n + n, st);
}

/* Mean and variance of the masked product of Linear layer L on v (B rows);
 * var gets the variance. */
static void moments(const dn_net *net, const dn_layer *L, const dn_layer *P, const float *v,
                    int B, float *mu, float *var, float *w2, float *v2)
{
    const float *w = net->params + L->w_off;
    size_t nw = (size_t)L->in * (size_t)L->out, nv = (size_t)B * (size_t)L->in;
    dn_linear_forward(mu, v, w, net->params + L->b_off, B, L->in, L->out);
    for (size_t i = 0; i < nw; i++)
        w2[i] = w[i] * w[i];
    for (size_t i = 0; i < nv; i++)
        v2[i] = v[i] * v[i];
    float ratio = (float)((double)P->p / (1.0 - (double)P->p));
    dn_gemm(0, 1, B, L->out, L->in, ratio, v2, L->in, w2, L->in, 0.0f, var, L->out);
}

/* probs (B x C): the network's averaged output probabilities for x. */
static int sampled_forward(dn_net *net, const float *x, int B, const sampling *s, float *probs,
                           float *w2, float *v2, float *var, dn_err *err)
{
    const float *cur = x;
    const int K = s->K;
    for (int i = 0; i < net->n_layers; i++) {
        dn_layer *L = &net->layers[i];
        size_t n = (size_t)B * (size_t)L->out;
        const dn_layer *P = i > 0 && net->layers[i - 1].kind == DN_LAYER_DROPOUT &&
                                    net->layers[i - 1].noise == DN_NOISE_DROPCONNECT
                                ? &net->layers[i - 1]
                                : NULL;
        bool last = i == net->n_layers - 1;
        switch (L->kind) {
        case DN_LAYER_FLATTEN:
        case DN_LAYER_DROPOUT: /* off, as in evaluation */
            break;
        case DN_LAYER_RELU:
            dn_relu_forward(L->act, cur, n);
            cur = L->act;
            break;
        case DN_LAYER_LINEAR: {
            if (!P) {
                dn_linear_forward(L->act, cur, net->params + L->w_off, net->params + L->b_off, B,
                                  L->in, L->out);
                cur = L->act;
                break;
            }
            bool relu = !last && net->layers[i + 1].kind == DN_LAYER_RELU;
            if (!last && !relu)
                return dn_fail(err, DN_EINVAL, "DropConnect sampling: layer %d is followed by "
                               "neither a ReLU nor the output", i);
            moments(net, L, P, cur, B, L->act, var, w2, v2);
            const int W = L->out;
            float *out = relu ? net->layers[i + 1].act : probs;
            int fail = 0;
            #pragma omp parallel if (n * (size_t)K >= DN_PAR_MIN)
            {
                float *z = malloc((size_t)W * (size_t)K * sizeof *z);
                float *lg = malloc((size_t)W * sizeof *lg);
                if (!z || !lg) {
                    #pragma omp atomic write
                    fail = 1;
                }
                #pragma omp for schedule(static)
                for (int r = 0; r < B; r++) {
                    if (!z || !lg)
                        continue;
                    const float *mu = L->act + (size_t)r * W, *vr = var + (size_t)r * W;
                    float *o = out + (size_t)r * W;
                    unit_normals(z, s, P->site, s->start + (size_t)r, W);
                    if (relu) {
                        for (int j = 0; j < W; j++) {
                            float sd = sqrtf(vr[j]), sum = 0.0f;
                            for (int k = 0; k < K; k++) {
                                float u = mu[j] + sd * z[(size_t)j * K + k];
                                sum += u > 0.0f ? u : 0.0f;
                            }
                            o[j] = sum / (float)K;
                        }
                        continue;
                    }
                    /* the output: the softmax of each sample, averaged */
                    for (int j = 0; j < W; j++)
                        o[j] = 0.0f;
                    for (int k = 0; k < K; k++) {
                        for (int j = 0; j < W; j++)
                            lg[j] = mu[j] + sqrtf(vr[j]) * z[(size_t)j * K + k];
                        dn_softmax_forward(lg, lg, 1, W);
                        for (int j = 0; j < W; j++)
                            o[j] += lg[j] / (float)K;
                    }
                }
                free(z);
                free(lg);
            }
            if (fail)
                return dn_fail(err, DN_ENOMEM, "DropConnect sampling: cannot allocate %d x %d "
                               "samples", W, K);
            if (relu) {
                cur = net->layers[i + 1].act;
                i++;
            } else {
                return DN_OK;
            }
            break;
        }
        }
    }
    dn_softmax_forward(probs, cur, B, net->width);
    return DN_OK;
}

int dn_evaluate_dropconnect_sampling(dn_net *net, const dn_dataset *ds, int K, uint64_t seed,
                                     double *loss, double *acc, dn_err *err)
{
    if (!net->built)
        return dn_fail(err, DN_EINVAL, "network not built");
    if (K < 1 || K > DN_DC_SAMPLES_MAX)
        return dn_fail(err, DN_EINVAL, "DropConnect sampling: %d samples (1 to %d)", K,
                       DN_DC_SAMPLES_MAX);
    if (!ds || ds->n == 0)
        return dn_fail(err, DN_EINVAL, "the evaluation set is empty");
    if ((size_t)ds->rows * (size_t)ds->cols != (size_t)net->input_width)
        return dn_fail(err, DN_EINVAL, "evaluation images have %d pixels, the network takes %d",
                       ds->rows * ds->cols, net->input_width);
    if (ds->classes > net->width)
        return dn_fail(err, DN_EINVAL, "evaluation set has %d classes, the network outputs %d",
                       ds->classes, net->width);
    int sites = 0;
    size_t maxw = 0, maxin = 0, maxout = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const dn_layer *L = &net->layers[i];
        sites += L->kind == DN_LAYER_DROPOUT && L->noise == DN_NOISE_DROPCONNECT;
        if (L->kind == DN_LAYER_LINEAR) {
            maxw = (size_t)L->in * (size_t)L->out > maxw ? (size_t)L->in * (size_t)L->out : maxw;
            maxin = (size_t)L->in > maxin ? (size_t)L->in : maxin;
            maxout = (size_t)L->out > maxout ? (size_t)L->out : maxout;
        }
    }
    if (!sites)
        return dn_fail(err, DN_EINVAL, "DropConnect sampling: the network has no DropConnect "
                       "layer");
    const int MB = net->max_batch, C = net->width;
    float *x = dn_alloc((size_t)MB * (size_t)net->input_width, sizeof(float));
    uint32_t *idx = dn_alloc((size_t)MB, sizeof(uint32_t));
    float *w2 = dn_alloc(maxw, sizeof(float)), *v2 = dn_alloc((size_t)MB * maxin, sizeof(float));
    float *var = dn_alloc((size_t)MB * maxout, sizeof(float));
    float *probs = dn_alloc((size_t)MB * (size_t)C, sizeof(float));
    int rc = DN_OK;
    if (!x || !idx || !w2 || !v2 || !var || !probs)
        rc = dn_fail(err, DN_ENOMEM, "cannot allocate DropConnect sampling's buffers");
    double sum = 0.0;
    size_t correct = 0;
    for (size_t start = 0; !rc && start < ds->n; start += (size_t)MB) {
        int b = (int)(ds->n - start < (size_t)MB ? ds->n - start : (size_t)MB);
        for (int r = 0; r < b; r++)
            idx[r] = (uint32_t)(start + (size_t)r);
        dn_batch_images(x, ds, idx, (size_t)b);
        sampling s = {K, seed, start};
        if ((rc = sampled_forward(net, x, b, &s, probs, w2, v2, var, err)))
            break;
        for (int r = 0; r < b; r++) {
            const float *pr = probs + (size_t)r * C;
            uint8_t y = ds->labels[start + (size_t)r];
            /* a probability that underflowed to 0 counts as the smallest float */
            sum -= log(pr[y] > 0.0f ? (double)pr[y] : (double)FLT_MIN);
            correct += dn_argmax(pr, C) == y;
        }
    }
    dn_free(x);
    dn_free(idx);
    dn_free(w2);
    dn_free(v2);
    dn_free(var);
    dn_free(probs);
    if (rc)
        return rc;
    *loss = sum / (double)ds->n;
    *acc = (double)correct / (double)ds->n;
    return DN_OK;
}
