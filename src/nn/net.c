/* A network: an ordered list of layers over buffers laid out once.
 *
 * Memory: all parameters in one aligned buffer, all gradients in another,
 * one activation buffer per computing layer, one byte mask per dropout layer,
 * two gradient buffers used in turn by the backward pass. Flatten, and Dropout
 * in eval mode, pass their input pointer on instead of copying. */
#include "nn/net_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Caps that turn absurd sizes into errors instead of out-of-memory kills. */
#define DN_MAX_WIDTH (1 << 24)
#define DN_MAX_BATCH (1 << 20)
#define DN_MAX_PARAMS ((size_t)1 << 31)      /* 8 GiB of floats */
#define DN_MAX_ACT_FLOATS ((size_t)1 << 31)  /* 8 GiB of activations */
#define DN_MAX_LAYERS 256

/* Round a float count up to 64 bytes so every tensor starts aligned. */
static size_t pad16(size_t n) { return (n + 15) & ~(size_t)15; }
static size_t pad64(size_t n) { return (n + 63) & ~(size_t)63; }

dn_net *dn_net_new(int input_width, dn_err *err)
{
    if (input_width < 1 || input_width > DN_MAX_WIDTH) {
        dn_fail(err, DN_EINVAL, "input width %d is outside [1, %d]", input_width, DN_MAX_WIDTH);
        return NULL;
    }
    dn_net *net = calloc(1, sizeof *net);
    if (!net) {
        dn_fail(err, DN_ENOMEM, "cannot allocate a network");
        return NULL;
    }
    net->input_width = input_width;
    net->width = input_width;
    return net;
}

void dn_net_free(dn_net *net)
{
    if (!net)
        return;
    dn_free(net->params);
    dn_free(net->grads);
    dn_free(net->act_mem);
    dn_free(net->mask_mem);
    dn_free(net->gbuf[0]);
    dn_free(net->gbuf[1]);
    dn_free(net->losses);
    for (int i = 0; i < net->n_layers; i++) {
        dn_free(net->layers[i].mult);
        dn_free(net->layers[i].wdrop);
        dn_free(net->layers[i].wmask);
    }
    free(net->layers);
    free(net->outs);
    free(net);
}

static int add_layer(dn_net *net, dn_layer_kind kind, int out, float p, dn_err *err)
{
    if (net->built)
        return dn_fail(err, DN_EINVAL, "cannot add a layer to a network already built");
    if (net->n_layers >= DN_MAX_LAYERS)
        return dn_fail(err, DN_EINVAL, "more than %d layers", DN_MAX_LAYERS);
    if (net->n_layers == net->cap_layers) {
        int cap = net->cap_layers ? 2 * net->cap_layers : 8;
        dn_layer *l = realloc(net->layers, (size_t)cap * sizeof *l);
        if (!l)
            return dn_fail(err, DN_ENOMEM, "cannot allocate layers");
        net->layers = l;
        net->cap_layers = cap;
    }
    dn_layer *L = &net->layers[net->n_layers++];
    memset(L, 0, sizeof *L);
    L->kind = kind;
    L->in = net->width;
    L->out = out;
    L->p = p;
    L->site = net->n_linear;
    if (kind == DN_LAYER_LINEAR)
        net->n_linear++;
    net->width = out;
    return DN_OK;
}

int dn_net_add_flatten(dn_net *net, dn_err *err)
{
    return add_layer(net, DN_LAYER_FLATTEN, net->width, 0.0f, err);
}

int dn_net_add_linear(dn_net *net, int out, dn_err *err)
{
    if (out < 1 || out > DN_MAX_WIDTH)
        return dn_fail(err, DN_EINVAL, "linear layer width %d is outside [1, %d]", out,
                       DN_MAX_WIDTH);
    return add_layer(net, DN_LAYER_LINEAR, out, 0.0f, err);
}

int dn_net_add_relu(dn_net *net, dn_err *err)
{
    return add_layer(net, DN_LAYER_RELU, net->width, 0.0f, err);
}

int dn_net_add_dropout(dn_net *net, float p, dn_err *err)
{
    if (!(p >= 0.0f && p <= 1.0f))
        return dn_fail(err, DN_EINVAL, "dropout probability %g is outside [0, 1]", (double)p);
    return add_layer(net, DN_LAYER_DROPOUT, net->width, p, err);
}

int dn_net_add_noise(dn_net *net, dn_noise noise, dn_err *err)
{
    if (dn_noise_check(noise, err))
        return DN_EINVAL;
    int rc = add_layer(net, DN_LAYER_DROPOUT, net->width, noise.p, err);
    if (!rc)
        net->layers[net->n_layers - 1].noise = noise.kind;
    return rc;
}

/* The buffers noise i needs on a built network (the fused backward pass's
 * mask of ones, the multipliers, DropConnect's masked weights), made anew. */
static int noise_buffers(dn_net *net, int i, dn_err *err)
{
    dn_layer *L = &net->layers[i];
    dn_free(L->mult);
    dn_free(L->wdrop);
    dn_free(L->wmask);
    L->mult = L->wdrop = NULL;
    L->wmask = NULL;
    size_t n = (size_t)net->max_batch * (size_t)L->out;
    if (L->noise == DN_NOISE_DROPCONNECT) {
        const dn_layer *N = i + 1 < net->n_layers ? &net->layers[i + 1] : NULL;
        if (!N || N->kind != DN_LAYER_LINEAR)
            return dn_fail(err, DN_EINVAL, "DropConnect at layer %d: no Linear layer reads it",
                           i);
        size_t nw = (size_t)N->in * (size_t)N->out;
        L->wdrop = dn_alloc(nw, sizeof(float));
        L->wmask = dn_alloc(nw, 1);
        if (!L->wdrop || !L->wmask)
            return dn_fail(err, DN_ENOMEM, "cannot allocate DropConnect's %zu weights", nw);
    }
    if (L->noise == DN_NOISE_GAUSSIAN || L->noise == DN_NOISE_UNIFORM) {
        if (!(L->mult = dn_alloc(n, sizeof(float))))
            return dn_fail(err, DN_ENOMEM, "cannot allocate %zu noise multipliers", n);
    }
    /* Only dropout writes the mask; the fused backward pass reads it. */
    if (L->noise != DN_NOISE_DROPOUT)
        memset(L->mask, 1, n);
    return DN_OK;
}

int dn_net_build(dn_net *net, int max_batch, dn_err *err)
{
    if (net->built)
        return dn_fail(err, DN_EINVAL, "network already built");
    if (max_batch < 1 || max_batch > DN_MAX_BATCH)
        return dn_fail(err, DN_EINVAL, "batch size %d is outside [1, %d]", max_batch,
                       DN_MAX_BATCH);
    if (net->n_linear == 0)
        return dn_fail(err, DN_EINVAL, "a network needs at least one linear layer");
    size_t np = 0, nact = 0, nmask = 0;
    /* The backward pass stops at the first Linear layer (no gradient of the
     * input), so its buffers are as wide as the widest layer from there on,
     * not as the input (which may be 2^24 CSV features). */
    size_t maxw = 0;
    int first = 0;
    while (net->layers[first].kind != DN_LAYER_LINEAR)
        first++;
    net->first_linear = first;
    for (int i = 0; i < net->n_layers; i++) {
        dn_layer *L = &net->layers[i];
        if (i >= first && (size_t)L->out > maxw)
            maxw = (size_t)L->out;
        if (L->kind == DN_LAYER_LINEAR) {
            size_t nw = (size_t)L->in * (size_t)L->out;
            L->w_off = np;
            np += pad16(nw);
            L->b_off = np;
            np += pad16((size_t)L->out);
            if (np > DN_MAX_PARAMS)
                return dn_fail(err, DN_EINVAL,
                               "the network has more than %zu parameters (layer %d is %dx%d)",
                               DN_MAX_PARAMS, i, L->out, L->in);
        }
        if (L->kind != DN_LAYER_FLATTEN) {
            nact += pad16((size_t)max_batch * (size_t)L->out);
            if (nact > DN_MAX_ACT_FLOATS)
                return dn_fail(err, DN_EINVAL,
                               "activations for batches of %d need more than %zu floats",
                               max_batch, DN_MAX_ACT_FLOATS);
        }
        if (L->kind == DN_LAYER_DROPOUT)
            nmask += pad64((size_t)max_batch * (size_t)L->out);
    }
    /* Everything at once against the machine's memory: buffers that each
     * pass the caps may still not fit together, and allocations beyond
     * memory succeed (overcommit) only to end in an out-of-memory kill when
     * they are zeroed. */
    double need = 4.0 * (2.0 * (double)np + (double)nact + 2.0 * (double)max_batch * (double)maxw +
                         (double)max_batch) +
                  (double)nmask;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double have = pages > 0 && page > 0 ? (double)pages * (double)page : 0.0;
    if (have > 0.0 && need > have)
        return dn_fail(err, DN_ENOMEM,
                       "the network needs %.1f GiB for batches of %d, more than the %.1f GiB of "
                       "memory of this machine",
                       need / 1073741824.0, max_batch, have / 1073741824.0);
    net->n_params = np;
    net->params = dn_alloc(np, sizeof(float));
    net->grads = dn_alloc(np, sizeof(float));
    net->act_mem = dn_alloc(nact, sizeof(float));
    net->mask_mem = dn_alloc(nmask ? nmask : 1, 1);
    net->gbuf[0] = dn_alloc((size_t)max_batch * maxw, sizeof(float));
    net->gbuf[1] = dn_alloc((size_t)max_batch * maxw, sizeof(float));
    net->losses = dn_alloc((size_t)max_batch, sizeof(float));
    net->outs = calloc((size_t)net->n_layers, sizeof *net->outs);
    if (!net->params || !net->grads || !net->act_mem || !net->mask_mem || !net->gbuf[0] ||
        !net->gbuf[1] || !net->losses || !net->outs)
        return dn_fail(err, DN_ENOMEM, "cannot allocate %zu parameters and %zu activations",
                       np, nact);
    size_t ao = 0, mo = 0;
    for (int i = 0; i < net->n_layers; i++) {
        dn_layer *L = &net->layers[i];
        if (L->kind != DN_LAYER_FLATTEN) {
            L->act = net->act_mem + ao;
            ao += pad16((size_t)max_batch * (size_t)L->out);
        }
        if (L->kind == DN_LAYER_DROPOUT) {
            L->mask = net->mask_mem + mo;
            mo += pad64((size_t)max_batch * (size_t)L->out);
        }
    }
    for (int i = 0; i + 2 < net->n_layers; i++)
        net->layers[i].fused = net->layers[i].kind == DN_LAYER_LINEAR &&
                               net->layers[i + 1].kind == DN_LAYER_RELU &&
                               net->layers[i + 2].kind == DN_LAYER_DROPOUT;
    net->max_batch = max_batch;
    for (int i = 0; i < net->n_layers; i++)
        if (net->layers[i].kind == DN_LAYER_DROPOUT && net->layers[i].noise != DN_NOISE_DROPOUT)
            if (noise_buffers(net, i, err))
                return DN_EINVAL;
    net->training = true;
    net->built = true;
    return DN_OK;
}

dn_net *dn_net_mlp(const dn_mlp_spec *s, int max_batch, dn_err *err)
{
    if (s->n_hidden < 0 || s->n_hidden > DN_MAX_HIDDEN) {
        dn_fail(err, DN_EINVAL, "%d hidden layers (at most %d)", s->n_hidden, DN_MAX_HIDDEN);
        return NULL;
    }
    dn_net *net = dn_net_new(s->inputs, err);
    if (!net)
        return NULL;
    int rc = dn_net_add_flatten(net, err);
    if (!rc && s->input_dropout != 0.0f)
        rc = dn_net_add_dropout(net, s->input_dropout, err);
    for (int h = 0; h < s->n_hidden && !rc; h++) {
        rc = dn_net_add_linear(net, s->hidden[h], err);
        if (!rc)
            rc = dn_net_add_relu(net, err);
        if (!rc)
            rc = dn_net_add_noise(net, (dn_noise){s->noise[h], s->dropout[h]}, err);
    }
    if (!rc)
        rc = dn_net_add_linear(net, s->outputs, err);
    if (!rc)
        rc = dn_net_build(net, max_batch, err);
    if (rc) {
        dn_net_free(net);
        return NULL;
    }
    return net;
}

int dn_net_reset(dn_net *net, dn_init init, uint64_t seed, dn_err *err)
{
    if (!net->built)
        return dn_fail(err, DN_EINVAL, "network not built");
    if (init.kind == DN_INIT_NORMAL && !(init.sigma >= 0.0f && isfinite(init.sigma)))
        return dn_fail(err, DN_EINVAL, "init sigma %g must be finite and >= 0",
                       (double)init.sigma);
    memset(net->params, 0, net->n_params * sizeof(float));
    memset(net->grads, 0, net->n_params * sizeof(float));
    int j = 0;
    for (int i = 0; i < net->n_layers; i++) {
        dn_layer *L = &net->layers[i];
        if (L->kind != DN_LAYER_LINEAR)
            continue;
        float *w = net->params + L->w_off, *b = net->params + L->b_off;
        size_t nw = (size_t)L->in * (size_t)L->out;
        dn_stream ws = {seed, DN_PURPOSE_INIT, (uint32_t)(2 * j)};
        dn_stream bs = {seed, DN_PURPOSE_INIT, (uint32_t)(2 * j + 1)};
        if (init.kind == DN_INIT_NORMAL) {
            #pragma omp parallel for schedule(static)
            for (size_t k = 0; k < nw; k++)
                w[k] = (float)(init.sigma * dn_normal(ws, k));
        } else {
            /* PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
            double bound = 1.0 / sqrt((double)L->in);
            #pragma omp parallel for schedule(static)
            for (size_t k = 0; k < nw; k++)
                w[k] = (float)((2.0 * dn_uniform(ws, k) - 1.0) * bound);
            for (int k = 0; k < L->out; k++)
                b[k] = (float)((2.0 * dn_uniform(bs, (uint64_t)k) - 1.0) * bound);
        }
        j++;
    }
    return DN_OK;
}

void dn_net_set_training(dn_net *net, bool training) { net->training = training; }
bool dn_net_training(const dn_net *net) { return net->training; }

void dn_net_set_rng(dn_net *net, uint64_t seed, uint32_t step)
{
    net->seed = seed;
    net->step = step;
}

static dn_layer *site_layer(const dn_net *net, int site)
{
    for (int i = 0; i < net->n_layers; i++)
        if (net->layers[i].kind == DN_LAYER_DROPOUT && net->layers[i].site == site)
            return &net->layers[i];
    return NULL;
}

int dn_net_set_noise(dn_net *net, int site, dn_noise noise, dn_err *err)
{
    dn_layer *L = site_layer(net, site);
    if (!L)
        return dn_fail(err, DN_EINVAL, "the network has no Dropout layer at site %d (%s)", site,
                       site ? "after that hidden layer" : "on the input");
    if (dn_noise_check(noise, err))
        return DN_EINVAL;
    dn_noise_kind was = L->noise;
    float p = L->p;
    L->noise = noise.kind;
    L->p = noise.p;
    if (net->built && noise_buffers(net, (int)(L - net->layers), err)) {
        L->noise = was;
        L->p = p;
        noise_buffers(net, (int)(L - net->layers), NULL);
        return err ? err->code : DN_EINVAL;
    }
    return DN_OK;
}

int dn_net_noise(const dn_net *net, int site, dn_noise *noise)
{
    const dn_layer *L = site_layer(net, site);
    if (!L)
        return 0;
    *noise = (dn_noise){L->noise, L->p};
    return 1;
}

int dn_net_num_layers(const dn_net *net) { return net->n_layers; }
int dn_net_input_width(const dn_net *net) { return net->input_width; }
int dn_net_output_width(const dn_net *net) { return net->width; }
int dn_net_max_batch(const dn_net *net) { return net->max_batch; }

int dn_net_layer(const dn_net *net, int i, dn_layer_info *info, dn_err *err)
{
    if (i < 0 || i >= net->n_layers)
        return dn_fail(err, DN_EINVAL, "no layer %d: the network has %d (0 to %d)", i,
                       net->n_layers, net->n_layers - 1);
    const dn_layer *L = &net->layers[i];
    memset(info, 0, sizeof *info);
    info->kind = L->kind;
    info->in = L->in;
    info->out = L->out;
    info->p = L->p;
    info->site = L->site;
    info->noise = L->noise;
    if (L->kind == DN_LAYER_LINEAR && net->built) {
        info->w = net->params + L->w_off;
        info->b = net->params + L->b_off;
        info->dw = net->grads + L->w_off;
        info->db = net->grads + L->b_off;
    }
    return DN_OK;
}

float *dn_net_params(dn_net *net, size_t *count)
{
    if (count)
        *count = net->n_params;
    return net->params;
}

float *dn_net_grads(dn_net *net, size_t *count)
{
    if (count)
        *count = net->n_params;
    return net->grads;
}

const float *dn_net_activation(const dn_net *net, int i)
{
    return i >= 0 && i < net->n_layers && net->outs ? net->outs[i] : NULL;
}

const uint8_t *dn_net_mask(const dn_net *net, int i)
{
    return i >= 0 && i < net->n_layers ? net->layers[i].mask : NULL;
}

static void fill_all(const dn_batch_src *src, int B, int width)
{
    #pragma omp parallel for schedule(static) if ((size_t)B * (size_t)width >= DN_PAR_MIN)
    for (int r = 0; r < B; r++)
        src->fn(src->ctx, r, r + 1);
}

/* Why a forward pass of B rows cannot run, or DN_OK. */
static int check_batch(const dn_net *net, int B, dn_err *err)
{
    if (!net->built)
        return dn_fail(err, DN_EINVAL, "network not built (dn_net_build sets its largest batch)");
    if (B < 1 || B > net->max_batch)
        return dn_fail(err, DN_EINVAL, "batch of %d rows for a network built for 1 to %d", B,
                       net->max_batch);
    return DN_OK;
}

/* The weights Linear layer i multiplies by: its own, or in training under
 * DropConnect at the site it reads, a masked copy drawn for this step. */
static const float *weights(dn_net *net, int i, bool draw)
{
    dn_layer *L = &net->layers[i], *P = i > 0 ? &net->layers[i - 1] : NULL;
    const float *w = net->params + L->w_off;
    if (!net->training || !P || P->kind != DN_LAYER_DROPOUT || P->noise != DN_NOISE_DROPCONNECT)
        return w;
    if (draw) /* p was checked when the noise was set: this cannot fail */
        dn_dropconnect_forward(P->wdrop, P->wmask, w, (size_t)L->in * (size_t)L->out, P->p,
                               dn_dropout_stream(net->seed, P->site, net->step), NULL);
    return P->wdrop;
}

/* The mask DropConnect drew for Linear layer i's weights, or NULL. */
static const dn_layer *dropconnect_of(const dn_net *net, int i)
{
    const dn_layer *P = i > 0 ? &net->layers[i - 1] : NULL;
    return P && P->kind == DN_LAYER_DROPOUT && P->noise == DN_NOISE_DROPCONNECT ? P : NULL;
}

/* The training pass of noise layer L on elements [e, e + n) of its batch,
 * from in to L->act (or in itself, for DropConnect, which acts on the next
 * layer's weights): the output. Element i draws index row0 W + i, its
 * index in the whole batch (a data-parallel micro-block's rows start at
 * row0), so any split of the elements draws the same numbers. */
static const float *noise_forward(dn_net *net, dn_layer *L, const float *in, size_t e, size_t n)
{
    if (L->noise == DN_NOISE_DROPCONNECT) /* one mask of the weights per step */
        return in;
    dn_stream s = dn_dropout_stream(net->seed, L->site, net->step);
    uint64_t at = net->row0 * (uint64_t)L->out + e;
    float *o = L->act + e;
    const float *x = in + e;
    /* Each p was checked when its layer was added: none of these fails. */
    switch (L->noise) {
    case DN_NOISE_DROPOUT: dn_dropout_forward_at(o, L->mask + e, x, n, L->p, s, at, NULL); break;
    case DN_NOISE_GAUSSIAN: dn_gaussian_forward_at(o, L->mult + e, x, n, L->p, s, at, NULL); break;
    case DN_NOISE_UNIFORM:
        dn_uniform_noise_forward_at(o, L->mult + e, x, n, L->p, s, at, NULL);
        break;
    case DN_NOISE_ADDITIVE: dn_additive_forward_at(o, x, n, L->p, s, at, NULL); break;
    case DN_NOISE_DROPCONNECT: break;
    }
    return L->act;
}

/* The gradient through noise layer L (not dropout) on elements [e, e + n):
 * out may equal g. */
static void noise_backward(const dn_layer *L, float *out, const float *g, size_t e, size_t n)
{
    if (L->noise == DN_NOISE_GAUSSIAN)
        dn_gaussian_backward(out + e, g + e, L->mult + e, n);
    else if (L->noise == DN_NOISE_UNIFORM)
        dn_uniform_noise_backward(out + e, g + e, L->mult + e, n);
    else
        dn_additive_backward(out + e, g + e, n); /* additive, DropConnect: the identity here */
}

/* Whether a pass can run as one team (one parallel region, barriers of
 * dn_team_barrier between its products) instead of a region per operation:
 * Flatten layers, then blocks of fused Linear -> ReLU -> Dropout (any noise
 * at the Dropout), then the output Linear: the d2l models and every
 * --hidden MLP. Other layouts (input dropout) take the pass operation by
 * operation. Both compute the same tiles and elementwise work (the same
 * bits); only which thread runs which part, and how they wait, differ. */
static bool team_shape(const dn_net *net)
{
    if (omp_in_parallel() || omp_get_max_threads() < 2 || !dn_gemm_teamable())
        return false;
    int i = 0;
    while (i < net->n_layers && net->layers[i].kind == DN_LAYER_FLATTEN)
        i++;
    if (i != net->first_linear)
        return false;
    int blocks = 0;
    for (; i + 2 < net->n_layers && net->layers[i].kind == DN_LAYER_LINEAR && net->layers[i].fused;
         i += 3)
        blocks++;
    return blocks > 0 && i == net->n_layers - 1 && net->layers[i].kind == DN_LAYER_LINEAR;
}

/* noise_forward (not dropout, which the product's tiles draw) by every
 * thread of a team on its rows, once all of in is written. The output. */
static const float *noise_forward_team(const dn_team *tm, dn_net *net, dn_layer *L,
                                       const float *in, int B)
{
    if (L->noise == DN_NOISE_DROPCONNECT)
        return in;
    dn_team_barrier(tm);
    int lo, hi;
    dn_team_range(tm, B, &lo, &hi);
    return noise_forward(net, L, in, (size_t)lo * (size_t)L->out,
                         (size_t)(hi - lo) * (size_t)L->out);
}

/* The fused blocks of a team_shape network, forward, from x to the input
 * of the output layer, by every thread of a team (no barrier at the end). A
 * block whose product has the previous one's row layout reads only rows
 * this thread wrote: no barrier between them (the d2l model's two hidden
 * blocks). */
static void forward_blocks(const dn_team *tm, dn_net *net, const float *x,
                           const dn_batch_src *src, int B)
{
    const int first = net->first_linear, last = net->n_layers - 1;
    const float *cur = x;
    int layout = -1;
    for (int i = first; i < last; i += 3) {
        dn_layer *L = &net->layers[i], *R = &net->layers[i + 1], *D = &net->layers[i + 2];
        const float *w = net->params + L->w_off;
        const dn_layer *P = net->training ? dropconnect_of(net, i) : NULL;
        if (P) {
            /* this step's masked copy of the weights, drawn by all */
            dn_dropconnect_forward_team(tm, P->wdrop, P->wmask, w, (size_t)L->in * (size_t)L->out,
                                        P->p, dn_dropout_stream(net->seed, P->site, net->step));
            layout = -1;
            w = P->wdrop;
        }
        int rows = dn_gemm_row_tiles(0, B, L->out, L->in);
        if (i != first && !(rows > 0 && rows == layout))
            dn_team_barrier(tm);
        layout = rows;
        int drop = D->noise == DN_NOISE_DROPOUT;
        dn_brd f = {L->act, R->act, D->act, D->mask, net->params + L->b_off, L->out,
                    D->p, dn_dropout_stream(net->seed, D->site, net->step),
                    net->training && drop, net->row0};
        dn_gemm_team(tm, 0, 1, B, L->out, L->in, 1.0f, cur, L->in, w, L->in, 0.0f, L->act,
                     L->out, src && i == first ? src->fn : NULL, src ? src->ctx : NULL,
                     dn_brd_tile, &f);
        cur = !net->training ? R->act : drop ? D->act : noise_forward_team(tm, net, D, R->act, B);
        if (net->training && !drop)
            layout = -1;
    }
}

/* net->outs of the layers forward_blocks ran; the last one's. */
static const float *blocks_outs(dn_net *net, const float *x)
{
    const float *cur = x;
    for (int i = 0; i < net->n_layers - 1; i++) {
        dn_layer *L = &net->layers[i];
        bool through = L->kind == DN_LAYER_DROPOUT &&
                       (!net->training || L->noise == DN_NOISE_DROPCONNECT);
        if (L->kind != DN_LAYER_FLATTEN && !through)
            cur = L->act;
        net->outs[i] = cur;
    }
    return cur;
}

static const float *forward_team(dn_net *net, const float *x, const dn_batch_src *src, int B)
{
    dn_bar bar = {0};
    #pragma omp parallel
    {
        dn_team tm = {omp_get_thread_num(), omp_get_num_threads(), &bar};
        forward_blocks(&tm, net, x, src, B);
    }
    return blocks_outs(net, x);
}

static const float *forward(dn_net *net, const float *x, const dn_batch_src *src, int B,
                            dn_err *err)
{
    if (check_batch(net, B, err))
        return NULL;
    /* The batch is made inside the first product where that reads it
     * directly (no Dropout on the input), else first. */
    int direct = net->layers[net->first_linear].fused;
    for (int i = 0; i < net->first_linear; i++)
        direct &= net->layers[i].kind == DN_LAYER_FLATTEN;
    if (src && !direct) {
        fill_all(src, B, net->input_width);
        src = NULL;
    }
    net->input = x;
    const float *cur = x;
    int from = 0;
    if (team_shape(net)) {
        cur = forward_team(net, x, src, B);
        from = net->n_layers - 1;
    }
    for (int i = from; i < net->n_layers; i++) {
        dn_layer *L = &net->layers[i];
        size_t n = (size_t)B * (size_t)L->out;
        switch (L->kind) {
        case DN_LAYER_FLATTEN:
            break;
        case DN_LAYER_LINEAR:
            if (L->fused) {
                /* The product, and bias + ReLU + dropout on each of its
                 * tiles as soon as it is computed (dn_linear_forward's
                 * product without the bias). */
                dn_layer *R = &net->layers[i + 1], *D = &net->layers[i + 2];
                /* another noise than dropout: bias and ReLU here, the noise
                 * after the product */
                int drop = D->noise == DN_NOISE_DROPOUT;
                dn_brd f = {L->act, R->act, D->act, D->mask, net->params + L->b_off, L->out,
                            D->p, dn_dropout_stream(net->seed, D->site, net->step),
                            net->training && drop, net->row0};
                dn_gemm_ex(0, 1, B, L->out, L->in, 1.0f, cur, L->in, weights(net, i, true),
                           L->in, 0.0f, L->act, L->out, src && cur == x ? src->fn : NULL,
                           src ? src->ctx : NULL, dn_brd_tile, &f);
                net->outs[i] = L->act;
                net->outs[i + 1] = R->act;
                cur = !net->training ? R->act
                      : drop         ? D->act
                                     : noise_forward(net, D, R->act, 0, n);
                i += 2;
                break;
            }
            dn_linear_forward(L->act, cur, weights(net, i, true), net->params + L->b_off, B,
                              L->in, L->out);
            cur = L->act;
            break;
        case DN_LAYER_RELU:
            dn_relu_forward(L->act, cur, n);
            cur = L->act;
            break;
        case DN_LAYER_DROPOUT:
            if (net->training)
                cur = noise_forward(net, L, cur, 0, n);
            break;
        }
        net->outs[i] = cur;
    }
    net->last_batch = B;
    return cur;
}

const float *dn_net_forward(dn_net *net, const float *x, int B, dn_err *err)
{
    return forward(net, x, NULL, B, err);
}

const float *dn_net_forward_from(dn_net *net, float *x, const dn_batch_src *src, int B,
                                 dn_err *err)
{
    return forward(net, x, src, B, err);
}

/* SGD fused into the backward pass: a layer's update runs once its
 * gradients are final and its weights read for the last time (by its own
 * input gradient), inside a parallel pass that runs anyway. */
typedef struct {
    float lr, wd;
    dn_sgd_job pending[2 * DN_MAX_LAYERS]; /* final, waiting for a pass */
    int n_pending;
} fused_sgd;

static void hand_over(fused_sgd *u, float *w, const float *g, size_t n, float wd)
{
    if (u)
        u->pending[u->n_pending++] = (dn_sgd_job){w, g, n, wd};
}

/* The updates no pass took: in one parallel region (one fork and join, not
 * one per tensor; each thread takes its share of each tensor), or on this
 * thread if small. */
static void run_pending(fused_sgd *u)
{
    size_t left = 0;
    for (int k = 0; k < u->n_pending; k++)
        left += u->pending[k].n;
    #pragma omp parallel if (left >= DN_PAR_MIN)
    dn_sgd_jobs(u->pending, u->n_pending, u->lr, omp_get_thread_num(), omp_get_num_threads());
    u->n_pending = 0;
}

/* The weight gradient of the first layer, tile by tile, each tile's weights
 * updated as soon as its gradient is computed (nothing reads them later). */
typedef struct {
    float *w;
    const float *g;
    int in;
    float lr, wd;
} sgd_tile_ctx;

static void sgd_tile(void *ctx, int m0, int m1, int n0, int n1)
{
    const sgd_tile_ctx *c = ctx;
    for (int r = m0; r < m1; r++) {
        size_t row = (size_t)r * (size_t)c->in;
        dn_sgd_range(c->w + row, c->g + row, (size_t)n0, (size_t)n1, c->lr, c->wd);
    }
}

/* backward for a team_shape network with its SGD step, by every thread of
 * a team: the same products (each product's tiles, or a product whole on
 * one thread where the pass ran two side by side), the same elementwise
 * passes and updates, in the same order per element, with team barriers
 * where a pass needs what every thread wrote. */
static void backward_body(const dn_team *tm, dn_net *net, const float *dlogits, int B,
                          const fused_sgd *u0)
{
    const int first = net->first_linear, last = net->n_layers - 1;
    /* every thread hands over the same updates to its own list (none
     * without u0: gradients only) */
    fused_sgd none = {0.0f, 0.0f, {{0}}, 0}, u = u0 ? *u0 : none, *uu = u0 ? &u : NULL;
    const int side = tm->nt > 1 ? 1 : 0; /* the thread of the second product */
    dn_layer *O = &net->layers[last];
    const dn_layer *P = dropconnect_of(net, last);
    const float *g = dlogits;
    float *next = g == net->gbuf[0] ? net->gbuf[1] : net->gbuf[0];
    /* output layer: bias and weight gradients here, its input's there */
    if (tm->t == 0) {
        float *dw = net->grads + O->w_off;
        dn_bias_grad(net->grads + O->b_off, g, B, O->out);
        dn_gemm(1, 0, O->out, O->in, B, 1.0f, g, O->out, net->outs[last - 1], O->in, 0.0f, dw,
                O->in);
        if (P)
            dn_dropconnect_backward(dw, P->wmask, (size_t)O->in * (size_t)O->out, P->p);
    }
    if (tm->t == side)
        dn_gemm(0, 0, B, O->in, O->out, 1.0f, g, O->out, weights(net, last, false), O->in, 0.0f,
                next, O->in);
    hand_over(uu, net->params + O->w_off, net->grads + O->w_off, (size_t)O->in * (size_t)O->out,
              u.wd);
    hand_over(uu, net->params + O->b_off, net->grads + O->b_off, (size_t)O->out, 0.0f);
    g = next;
    for (int i = last - 3; i >= first; i -= 3) {
        dn_layer *F = &net->layers[i], *R = &net->layers[i + 1], *D = &net->layers[i + 2];
        dn_team_barrier(tm); /* g whole */
        next = g == net->gbuf[0] ? net->gbuf[1] : net->gbuf[0];
        float *dz = next, p = D->p;
        if (D->noise != DN_NOISE_DROPOUT) {
            /* the noise's own pass first, on this thread's rows; then, with
             * the mask of ones and p = 0, ReLU and the bias alone */
            int lo, hi;
            dn_team_range(tm, B, &lo, &hi);
            noise_backward(D, next, g, (size_t)lo * (size_t)F->out,
                           (size_t)(hi - lo) * (size_t)F->out);
            dz = (float *)g;
            g = next;
            p = 0.0f;
            dn_team_barrier(tm);
        }
        dn_dropout_relu_bias_backward_team(tm, dz, net->grads + F->b_off, g, D->mask, R->act, B,
                                           F->out, p, u.pending, u.n_pending, u.lr);
        u.n_pending = 0;
        dn_team_barrier(tm); /* dz whole */
        g = dz;
        const float *fin = i == 0 ? net->input : net->outs[i - 1];
        float *dw = net->grads + F->w_off;
        if (i == first) {
            /* (no DropConnect reads the input) */
            sgd_tile_ctx c = {net->params + F->w_off, dw, F->in, u.lr, u.wd};
            dn_gemm_team(tm, 1, 0, F->out, F->in, B, 1.0f, g, F->out, fin, F->in, 0.0f, dw,
                         F->in, NULL, NULL, u0 ? sgd_tile : NULL, &c);
        } else {
            const dn_layer *PF = dropconnect_of(net, i);
            next = g == net->gbuf[0] ? net->gbuf[1] : net->gbuf[0];
            if (tm->t == 0) {
                dn_gemm(1, 0, F->out, F->in, B, 1.0f, g, F->out, fin, F->in, 0.0f, dw, F->in);
                if (PF)
                    dn_dropconnect_backward(dw, PF->wmask, (size_t)F->in * (size_t)F->out,
                                            PF->p);
            }
            if (tm->t == side)
                dn_gemm(0, 0, B, F->in, F->out, 1.0f, g, F->out, weights(net, i, false), F->in,
                        0.0f, next, F->in);
            hand_over(uu, net->params + F->w_off, dw, (size_t)F->in * (size_t)F->out, u.wd);
            g = next;
        }
        hand_over(uu, net->params + F->b_off, net->grads + F->b_off, (size_t)F->out, 0.0f);
    }
    /* the first layer's bias: all its gradient's rows are summed */
    dn_sgd_jobs(u.pending, u.n_pending, u.lr, tm->t, tm->nt);
}

static void backward_team(dn_net *net, const float *dlogits, int B, const fused_sgd *u)
{
    dn_bar bar = {0};
    #pragma omp parallel
    {
        dn_team tm = {omp_get_thread_num(), omp_get_num_threads(), &bar};
        backward_body(&tm, net, dlogits, B, u);
    }
}

/* Gradients of the batch; with u, also the SGD step (the same bits as
 * dn_net_backward then dn_net_sgd). */
static void backward(dn_net *net, const float *dlogits, int B, fused_sgd *u)
{
    if (team_shape(net)) {
        backward_team(net, dlogits, B, u);
        return;
    }
    /* The first layer with parameters needs no input gradient. */
    const int first = net->first_linear;
    const float *g = dlogits;
    for (int i = net->n_layers - 1; i >= first; i--) {
        dn_layer *L = &net->layers[i];
        const float *in = i == 0 ? net->input : net->outs[i - 1];
        float *next = g == net->gbuf[0] ? net->gbuf[1] : net->gbuf[0];
        size_t n = (size_t)B * (size_t)L->out;
        switch (L->kind) {
        case DN_LAYER_FLATTEN:
            next = (float *)g;
            break;
        case DN_LAYER_LINEAR: {
            const dn_layer *P = dropconnect_of(net, i);
            dn_linear_backward(i == first ? NULL : next, net->grads + L->w_off,
                               net->grads + L->b_off, g, in, weights(net, i, false), B, L->in,
                               L->out);
            if (P)
                dn_dropconnect_backward(net->grads + L->w_off, P->wmask,
                                        (size_t)L->in * (size_t)L->out, P->p);
            hand_over(u, net->params + L->w_off, net->grads + L->w_off,
                      (size_t)L->in * (size_t)L->out, u ? u->wd : 0.0f);
            hand_over(u, net->params + L->b_off, net->grads + L->b_off, (size_t)L->out, 0.0f);
            break;
        }
        case DN_LAYER_RELU:
            dn_relu_backward(next, g, net->outs[i], n);
            break;
        case DN_LAYER_DROPOUT:
            if (i >= 2 && net->layers[i - 2].fused) {
                /* dropout, ReLU and the bias gradient in one pass (which
                 * also runs the updates handed over), then the Linear's two
                 * products */
                dn_layer *R = &net->layers[i - 1], *F = &net->layers[i - 2];
                float *db = net->grads + F->b_off;
                float p = L->p, *dz = next;
                if (L->noise != DN_NOISE_DROPOUT) {
                    /* the noise's own pass first; then, with the mask of
                     * ones and p = 0, ReLU and the bias alone */
                    noise_backward(L, next, g, 0, n);
                    dz = g == net->gbuf[0] || g == net->gbuf[1] ? (float *)g
                         : next == net->gbuf[0]                ? net->gbuf[1]
                                                               : net->gbuf[0];
                    g = next;
                    p = 0.0f;
                }
                dn_dropout_relu_bias_backward_sgd(dz, db, g, L->mask, R->act, B, L->out, p,
                                                  u ? u->pending : NULL, u ? u->n_pending : 0,
                                                  u ? u->lr : 0.0f);
                if (u)
                    u->n_pending = 0;
                g = dz;
                i -= 2;
                const float *fin = i == 0 ? net->input : net->outs[i - 1];
                next = g == net->gbuf[0] ? net->gbuf[1] : net->gbuf[0];
                const float *w = weights(net, i, false);
                float *dw = net->grads + F->w_off;
                const dn_layer *P = dropconnect_of(net, i);
                if (i == first && u && !P) {
                    /* dn_linear_backward's weight gradient, updating as it goes */
                    sgd_tile_ctx c = {net->params + F->w_off, dw, F->in, u->lr, u->wd};
                    dn_gemm_then(1, 0, F->out, F->in, B, 1.0f, g, F->out, fin, F->in, 0.0f, dw,
                                 F->in, sgd_tile, &c);
                } else {
                    dn_linear_backward(i == first ? NULL : next, dw, NULL, g, fin, w, B, F->in,
                                       F->out);
                    if (P)
                        dn_dropconnect_backward(dw, P->wmask, (size_t)F->in * (size_t)F->out,
                                                P->p);
                    hand_over(u, net->params + F->w_off, dw, (size_t)F->in * (size_t)F->out,
                              u ? u->wd : 0.0f);
                }
                hand_over(u, net->params + F->b_off, db, (size_t)F->out, 0.0f);
                break;
            }
            if (L->noise == DN_NOISE_DROPOUT)
                dn_dropout_backward(next, g, L->mask, n, L->p);
            else
                noise_backward(L, next, g, 0, n);
            break;
        }
        g = next;
    }
    if (u)
        run_pending(u);
}

void dn_net_backward(dn_net *net, const float *dlogits, int B) { backward(net, dlogits, B, NULL); }

void dn_net_sgd(dn_net *net, float lr, float weight_decay)
{
    fused_sgd u = {lr, weight_decay, {{0}}, 0};
    for (int i = 0; i < net->n_layers; i++) {
        dn_layer *L = &net->layers[i];
        if (L->kind != DN_LAYER_LINEAR)
            continue;
        hand_over(&u, net->params + L->w_off, net->grads + L->w_off,
                  (size_t)L->in * (size_t)L->out, weight_decay);
        hand_over(&u, net->params + L->b_off, net->grads + L->b_off, (size_t)L->out, 0.0f);
    }
    run_pending(&u);
}

/* The batch's summed loss (row order) and its correct count (*ok) from the
 * logits; the losses per row in net->losses. */
static double batch_loss(dn_net *net, const float *logits, const uint8_t *y, int B, size_t *ok)
{
    const int C = net->width;
    dn_softmax_xent_forward(net->losses, logits, y, B, C);
    double sum = 0.0;
    for (int r = 0; r < B; r++) {
        sum += net->losses[r];
        *ok += dn_argmax(logits + (size_t)r * C, C) == y[r];
    }
    return sum;
}

/* Forward in training mode, the batch's summed loss and correct count, and
 * the gradient of the loss (times scale) at the logits in gbuf[0]. */
static int loss_and_dlogits(dn_net *net, const float *x, const dn_batch_src *src,
                            const uint8_t *y, int B, float scale, bool check, double *loss_sum,
                            size_t *correct, dn_err *err)
{
    int rc = check_batch(net, B, err);
    if (rc)
        return rc;
    net->training = true;
    const float *logits = forward(net, x, src, B, err);
    int C = net->width;
    size_t ok = 0;
    double sum = batch_loss(net, logits, y, B, &ok);
    if (check && !isfinite(sum))
        return dn_fail(err, DN_ENUMERIC, "the loss is %s", isnan(sum) ? "NaN" : "infinite");
    *loss_sum += sum;
    *correct += ok;
    dn_softmax_xent_backward(net->gbuf[0], logits, y, B, C, scale);
    return DN_OK;
}

/* A training step of a team_shape network in one parallel region: the
 * fused blocks forward; the output layer, the loss and its gradient on
 * thread 0 (small) while the others wait at the barrier; then backward with
 * SGD. The same operations as loss_and_dlogits and backward. */
static int train_step_team(dn_net *net, const float *x, const dn_batch_src *src,
                           const uint8_t *y, int B, float lr, float weight_decay,
                           double *loss_sum, size_t *correct, dn_err *err)
{
    int rc = check_batch(net, B, err);
    if (rc)
        return rc;
    net->training = true;
    net->input = x;
    const int last = net->n_layers - 1, C = net->width;
    dn_layer *O = &net->layers[last];
    fused_sgd u = {lr, weight_decay, {{0}}, 0};
    double sum = 0.0;
    size_t ok = 0;
    dn_bar bar = {0};
    #pragma omp parallel
    {
        dn_team tm = {omp_get_thread_num(), omp_get_num_threads(), &bar};
        forward_blocks(&tm, net, x, src, B);
        dn_team_barrier(&tm);
        if (tm.t == 0) {
            const float *in = blocks_outs(net, x);
            dn_linear_forward(O->act, in, weights(net, last, true), net->params + O->b_off, B,
                              O->in, O->out);
            net->outs[last] = O->act;
            net->last_batch = B;
            sum = batch_loss(net, O->act, y, B, &ok);
            if (isfinite(sum))
                dn_softmax_xent_backward(net->gbuf[0], O->act, y, B, C, 1.0f / (float)B);
        }
        dn_team_barrier(&tm);
        if (isfinite(sum))
            backward_body(&tm, net, net->gbuf[0], B, &u);
    }
    if (!isfinite(sum))
        return dn_fail(err, DN_ENUMERIC, "the loss is %s", isnan(sum) ? "NaN" : "infinite");
    *loss_sum += sum;
    *correct += ok;
    return DN_OK;
}

static int train_step(dn_net *net, const float *x, const dn_batch_src *src, const uint8_t *y,
                      int B, float lr, float weight_decay, double *loss_sum, size_t *correct,
                      dn_err *err)
{
    if (team_shape(net))
        return train_step_team(net, x, src, y, B, lr, weight_decay, loss_sum, correct, err);
    int rc = loss_and_dlogits(net, x, src, y, B, 1.0f / (float)B, true, loss_sum, correct,
                              err);
    if (rc)
        return rc;
    fused_sgd u = {lr, weight_decay, {{0}}, 0};
    backward(net, net->gbuf[0], B, &u);
    return DN_OK;
}

int dn_net_block_grad(dn_net *net, float *x, const dn_batch_src *src, const uint8_t *y, int B,
                      uint64_t row0, float scale, double *loss_sum, size_t *correct,
                      dn_err *err)
{
    *loss_sum = 0.0;
    *correct = 0;
    net->row0 = row0;
    int rc = loss_and_dlogits(net, x, src, y, B, scale, false, loss_sum, correct, err);
    net->row0 = 0;
    if (rc)
        return rc;
    backward(net, net->gbuf[0], B, NULL);
    return DN_OK;
}

int dn_net_train_step(dn_net *net, const float *x, const uint8_t *y, int B, float lr,
                      float weight_decay, double *loss_sum, size_t *correct, dn_err *err)
{
    return train_step(net, x, NULL, y, B, lr, weight_decay, loss_sum, correct, err);
}

int dn_net_train_step_from(dn_net *net, float *x, const dn_batch_src *src, const uint8_t *y,
                           int B, float lr, float weight_decay, double *loss_sum, size_t *correct,
                           dn_err *err)
{
    return train_step(net, x, src, y, B, lr, weight_decay, loss_sum, correct, err);
}
