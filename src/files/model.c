/* Model files: a network's parameters as safetensors, named
 * like PyTorch's nn.Sequential state_dict, with the layers and the input
 * preparation in the metadata so the network can be rebuilt from the file. */
#include "files/model.h"
#include "nn/net_internal.h"

#include <cJSON.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LAYERS 256

typedef struct {
    dn_layer_kind kind;
    int in, out;
    float p;
    dn_noise_kind noise; /* of a Dropout layer */
} spec_layer;

int dn_net_describe(const dn_net *net, char *out, size_t outsz, dn_err *err)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < net->n_layers; i++) {
        const dn_layer *L = &net->layers[i];
        char item[96];
        switch (L->kind) {
        case DN_LAYER_FLATTEN: snprintf(item, sizeof item, "Flatten"); break;
        case DN_LAYER_RELU: snprintf(item, sizeof item, "ReLU"); break;
        case DN_LAYER_LINEAR: snprintf(item, sizeof item, "Linear(%d,%d)", L->in, L->out); break;
        case DN_LAYER_DROPOUT:
            dn_noise_layer_name((dn_noise){L->noise, L->p}, item, sizeof item);
            break;
        }
        int w = snprintf(out + k, outsz - k, "%s%s", i ? "," : "", item);
        if (w < 0 || (size_t)w >= outsz - k)
            return dn_fail(err, DN_EINVAL, "the list of %d layers does not fit in %zu bytes",
                           net->n_layers, outsz);
        k += (size_t)w;
    }
    return DN_OK;
}

/* ---- the layers of a file: from its metadata, or inferred from names ---- */

static int parse_layers(const char *P, const char *text, spec_layer *L, int *n, dn_err *err)
{
    const char *s = text;
    *n = 0;
    while (*s) {
        if (*n == MAX_LAYERS)
            return dn_fail(err, DN_EFORMAT, "%s: metadata \"layers\" has more than %d layers", P,
                           MAX_LAYERS);
        spec_layer *l = &L[*n];
        memset(l, 0, sizeof *l);
        int used = 0;
        double p;
        dn_noise nz;
        if (strncmp(s, "Flatten", 7) == 0) {
            l->kind = DN_LAYER_FLATTEN;
            used = 7;
        } else if (strncmp(s, "ReLU", 4) == 0) {
            l->kind = DN_LAYER_RELU;
            used = 4;
        } else if (sscanf(s, "Linear(%d,%d)%n", &l->in, &l->out, &used) == 2 && used > 0) {
            l->kind = DN_LAYER_LINEAR;
            if (l->in < 1 || l->out < 1 || l->in > (1 << 24) || l->out > (1 << 24))
                return dn_fail(err, DN_EFORMAT, "%s: metadata \"layers\": layer %d has width "
                               "outside [1, 2^24]", P, *n);
        } else if (sscanf(s, "Dropout(%lf)%n", &p, &used) == 1 && used > 0) {
            if (!(p >= 0.0 && p <= 1.0))
                return dn_fail(err, DN_EFORMAT, "%s: metadata \"layers\": layer %d has dropout "
                               "outside [0, 1]", P, *n);
            l->kind = DN_LAYER_DROPOUT;
            l->p = (float)p;
        } else if (dn_noise_layer_parse(s, &nz, &used) == 0) {
            l->kind = DN_LAYER_DROPOUT;
            l->p = nz.p;
            l->noise = nz.kind;
        } else if (strchr("GADU", *s) && strchr(s, '(')) {
            return dn_fail(err, DN_EFORMAT, "%s: metadata \"layers\": layer %d names an unknown "
                           "noise or a bad value at '%.24s'", P, *n, s);
        } else {
            return dn_fail(err, DN_EFORMAT, "%s: metadata \"layers\": cannot read layer %d at "
                           "'%.20s'", P, *n, s);
        }
        s += used;
        (*n)++;
        if (*s == ',')
            s++;
        else if (*s)
            return dn_fail(err, DN_EFORMAT, "%s: metadata \"layers\": expected ',' at '%.20s'", P,
                           s);
    }
    /* Widths flow from one Linear layer to the next. */
    int width = 0, linears = 0;
    for (int i = 0; i < *n; i++) {
        if (L[i].kind != DN_LAYER_LINEAR)
            continue;
        if (linears && L[i].in != width)
            return dn_fail(err, DN_EFORMAT, "%s: metadata \"layers\": layer %d takes %d inputs "
                           "but the layer before gives %d", P, i, L[i].in, width);
        width = L[i].out;
        linears++;
    }
    if (!linears)
        return dn_fail(err, DN_EFORMAT, "%s: metadata \"layers\" has no Linear layer", P);
    return DN_OK;
}

/* "<index>.weight" / "<index>.bias": the index, else -1. */
static int param_index(const char *name, int *is_bias)
{
    char *end;
    if (name[0] < '0' || name[0] > '9')
        return -1;
    errno = 0;
    long k = strtol(name, &end, 10);
    if (errno || k >= MAX_LAYERS || (name[0] == '0' && end != name + 1))
        return -1;
    if (strcmp(end, ".weight") == 0)
        *is_bias = 0;
    else if (strcmp(end, ".bias") == 0)
        *is_bias = 1;
    else
        return -1;
    return (int)k;
}

/* A file without dropnet's metadata: the nn.Sequential of d2l's MLP, whose
 * Linear layers sit at the indices its names give; between two of them lie
 * ReLU (one index apart by two) or ReLU, Dropout (by three). */
static int infer_layers(const dn_st_file *st, spec_layer *L, int *n, dn_err *err)
{
    const char *P = st->path;
    int at[MAX_LAYERS];
    int n_lin = 0;
    for (int k = 0; k < MAX_LAYERS; k++)
        at[k] = 0;
    for (int i = 0; i < st->n; i++) {
        int bias;
        int k = param_index(st->t[i].name, &bias);
        if (k < 0)
            return dn_fail(err, DN_EFORMAT, "%s: tensor '%s' is not named <index>.weight or "
                           "<index>.bias, and the file has no \"layers\" metadata", P,
                           st->t[i].name);
        at[k] |= bias ? 2 : 1;
    }
    int prev = -1, pos = 0, width = 0;
    for (int k = 0; k < MAX_LAYERS; k++) {
        if (!at[k])
            continue;
        char nm[32];
        if (at[k] != 3)
            return dn_fail(err, DN_EFORMAT, "%s: no tensor %d.%s", P, k,
                           at[k] == 1 ? "bias" : "weight");
        snprintf(nm, sizeof nm, "%d.weight", k);
        const dn_st_tensor *w = dn_st_find(st, nm);
        if (w->rank != 2 || w->shape[0] < 1 || w->shape[1] < 1 || w->shape[0] > (1 << 24) ||
            w->shape[1] > (1 << 24))
            return dn_fail(err, DN_EFORMAT, "%s: tensor %s is not a matrix of a Linear layer", P,
                           nm);
        int gap = k - prev - 1;
        if (prev < 0) {
            if (gap > 2)
                return dn_fail(err, DN_EFORMAT, "%s: cannot tell which %d layers come before "
                               "Linear layer %d (no \"layers\" metadata)", P, gap, k);
            if (gap >= 1)
                L[pos++] = (spec_layer){DN_LAYER_FLATTEN, 0, 0, 0.0f, DN_NOISE_DROPOUT};
            if (gap == 2)
                L[pos++] = (spec_layer){DN_LAYER_DROPOUT, 0, 0, 0.0f, DN_NOISE_DROPOUT};
        } else {
            if (gap < 1 || gap > 2)
                return dn_fail(err, DN_EFORMAT, "%s: cannot tell which layers lie between "
                               "Linear layers %d and %d (no \"layers\" metadata)", P, prev, k);
            if ((int)w->shape[1] != width)
                return dn_fail(err, DN_EFORMAT, "%s: tensor %s takes %llu inputs but layer %d "
                               "gives %d", P, nm, (unsigned long long)w->shape[1], prev, width);
            L[pos++] = (spec_layer){DN_LAYER_RELU, 0, 0, 0.0f, DN_NOISE_DROPOUT};
            if (gap == 2)
                L[pos++] = (spec_layer){DN_LAYER_DROPOUT, 0, 0, 0.0f, DN_NOISE_DROPOUT};
        }
        L[pos++] = (spec_layer){DN_LAYER_LINEAR, (int)w->shape[1], (int)w->shape[0], 0.0f,
                                DN_NOISE_DROPOUT};
        width = (int)w->shape[0];
        prev = k;
        n_lin++;
    }
    if (!n_lin)
        return dn_fail(err, DN_EFORMAT, "%s: holds no Linear layer", P);
    *n = pos;
    return DN_OK;
}

/* Every Linear layer's two tensors exist with its shapes; nothing else. */
static int check_tensors(const dn_st_file *st, const spec_layer *L, int n, dn_err *err)
{
    int expected = 0;
    for (int i = 0; i < n; i++) {
        if (L[i].kind != DN_LAYER_LINEAR)
            continue;
        for (int bias = 0; bias < 2; bias++) {
            char nm[32];
            snprintf(nm, sizeof nm, "%d.%s", i, bias ? "bias" : "weight");
            const dn_st_tensor *t = dn_st_find(st, nm);
            if (!t)
                return dn_fail(err, DN_EFORMAT, "%s: no tensor %s for layer %d Linear(%d,%d)",
                               st->path, nm, i, L[i].in, L[i].out);
            int ok = bias ? t->rank == 1 && t->shape[0] == (uint64_t)L[i].out
                          : t->rank == 2 && t->shape[0] == (uint64_t)L[i].out &&
                                t->shape[1] == (uint64_t)L[i].in;
            if (!ok) {
                char got[128] = "";
                size_t k = 0;
                for (int d = 0; d < t->rank && k < sizeof got - 24; d++)
                    k += (size_t)snprintf(got + k, sizeof got - k, "%s%llu", d ? "," : "",
                                          (unsigned long long)t->shape[d]);
                if (bias)
                    return dn_fail(err, DN_EFORMAT, "%s: tensor %s has shape [%s] but layer %d "
                                   "Linear(%d,%d) needs [%d]", st->path, nm, got, i, L[i].in,
                                   L[i].out, L[i].out);
                return dn_fail(err, DN_EFORMAT, "%s: tensor %s has shape [%s] but layer %d "
                               "Linear(%d,%d) needs [%d,%d]", st->path, nm, got, i, L[i].in,
                               L[i].out, L[i].out, L[i].in);
            }
            expected++;
        }
    }
    if (st->n != expected)
        for (int j = 0; j < st->n; j++) {
            int bias, k = param_index(st->t[j].name, &bias);
            if (k < 0 || k >= n || L[k].kind != DN_LAYER_LINEAR)
                return dn_fail(err, DN_EFORMAT, "%s: tensor '%s' belongs to no Linear layer",
                               st->path, st->t[j].name);
        }
    return DN_OK;
}

/* ---- metadata <-> dn_model_info ---- */

static int parse_floats(const char *s, float *out, int n)
{
    for (int i = 0; i < n; i++) {
        char *end;
        errno = 0;
        out[i] = strtof(s, &end);
        if (end == s || errno || !isfinite(out[i]))
            return -1;
        s = end;
        if (i + 1 < n) {
            if (*s != ',')
                return -1;
            s++;
        }
    }
    return *s ? -1 : 0;
}

void dn_model_info_free(dn_model_info *info)
{
    if (!info)
        return;
    free(info->input_mean);
    free(info->input_std);
    info->input_mean = info->input_std = NULL;
}

static int read_info(const dn_st_file *st, int inputs, int outputs, dn_model_info *info,
                     dn_err *err)
{
    const char *P = st->path;
    memset(info, 0, sizeof *info);
    /* Without dropnet's metadata: pixels / 255, as torchvision's ToTensor. */
    info->input_scale = 255.0f;
    info->dropout_known = dn_st_meta(st, "layers") != NULL;
    info->input_known = dn_st_meta(st, "input_scale") || dn_st_meta(st, "input_mean");
    const char *v = dn_st_meta(st, "input_scale");
    if (v) {
        char *end;
        info->input_scale = strtof(v, &end);
        if (end == v || *end || !(info->input_scale > 0.0f) || !isfinite(info->input_scale))
            return dn_fail(err, DN_EFORMAT, "%s: metadata \"input_scale\" '%.20s' is not a "
                           "positive number", P, v);
    }
    const char *mean = dn_st_meta(st, "input_mean"), *std = dn_st_meta(st, "input_std");
    if (!mean != !std)
        return dn_fail(err, DN_EFORMAT, "%s: metadata has only one of \"input_mean\" and "
                       "\"input_std\"", P);
    if (mean) {
        info->input_mean = malloc((size_t)inputs * sizeof(float));
        info->input_std = malloc((size_t)inputs * sizeof(float));
        if (!info->input_mean || !info->input_std) {
            dn_model_info_free(info);
            return dn_fail(err, DN_ENOMEM, "%s: out of memory", P);
        }
        if (parse_floats(mean, info->input_mean, inputs) ||
            parse_floats(std, info->input_std, inputs)) {
            dn_model_info_free(info);
            return dn_fail(err, DN_EFORMAT, "%s: metadata \"input_mean\" and \"input_std\" must "
                           "hold %d finite numbers each", P, inputs);
        }
        for (int i = 0; i < inputs; i++)
            if (!(info->input_std[i] > 0.0f)) {
                dn_model_info_free(info);
                return dn_fail(err, DN_EFORMAT, "%s: metadata \"input_std\" has a value <= 0", P);
            }
    }
    v = dn_st_meta(st, "input_shape");
    if (v) {
        int r, c, used = 0;
        if (sscanf(v, "%d,%d%n", &r, &c, &used) != 2 || v[used] || r < 1 || c < 1 ||
            (long)r * c != inputs) {
            dn_model_info_free(info);
            return dn_fail(err, DN_EFORMAT, "%s: metadata \"input_shape\" '%.20s' is not "
                           "ROWS,COLS with ROWS*COLS = %d inputs", P, v, inputs);
        }
        info->input_rows = r;
        info->input_cols = c;
    }
    v = dn_st_meta(st, "classes");
    if (v && *v) {
        if (strlen(v) >= sizeof info->classes) {
            dn_model_info_free(info);
            return dn_fail(err, DN_EFORMAT, "%s: metadata \"classes\" is longer than %zu bytes",
                           P, sizeof info->classes - 1);
        }
        /* One name per output, or the names would label the wrong classes. */
        int names = 1;
        for (const char *c = v; *c; c++)
            names += *c == ',';
        if (names != outputs) {
            dn_model_info_free(info);
            return dn_fail(err, DN_EFORMAT, "%s: metadata \"classes\" names %d class%s but the "
                           "model has %d output%s", P, names, names == 1 ? "" : "es", outputs,
                           outputs == 1 ? "" : "s");
        }
        snprintf(info->classes, sizeof info->classes, "%s", v);
    }
    return DN_OK;
}

/* Opens a model file and works out its layers. */
static int open_model(const char *path, dn_st_file *st, spec_layer *L, int *n, dn_err *err)
{
    int rc = dn_st_open(st, path, err);
    if (rc)
        return rc;
    const char *layers = dn_st_meta(st, "layers");
    rc = layers ? parse_layers(path, layers, L, n, err) : infer_layers(st, L, n, err);
    if (!rc)
        rc = check_tensors(st, L, *n, err);
    if (rc)
        dn_st_close(st);
    return rc;
}

static int first_input(const spec_layer *L, int n)
{
    for (int i = 0; i < n; i++)
        if (L[i].kind == DN_LAYER_LINEAR)
            return L[i].in;
    return 0;
}

/* The noise of the sites after hidden layers as a --noise list. */
static void noise_text(const dn_net *net, char *out, size_t size)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < net->n_layers && k < size; i++) {
        const dn_layer *L = &net->layers[i];
        if (L->kind != DN_LAYER_DROPOUT || L->site == 0)
            continue;
        char item[64];
        dn_noise_format((dn_noise){L->noise, L->p}, item, sizeof item);
        k += (size_t)snprintf(out + k, size - k, "%s%s", k ? "," : "", item);
    }
    if (k >= size)
        out[0] = '\0';
}

/* Reads every Linear layer's tensors into the net, then the info. */
static int read_params(dn_st_file *st, dn_net *net, dn_model_info *info, dn_err *err)
{
    for (int i = 0; i < net->n_layers; i++) {
        dn_layer *Ly = &net->layers[i];
        if (Ly->kind != DN_LAYER_LINEAR)
            continue;
        char nm[32];
        snprintf(nm, sizeof nm, "%d.weight", i);
        int rc = dn_st_read(st, dn_st_find(st, nm), net->params + Ly->w_off, err);
        if (rc)
            return rc;
        snprintf(nm, sizeof nm, "%d.bias", i);
        if ((rc = dn_st_read(st, dn_st_find(st, nm), net->params + Ly->b_off, err)))
            return rc;
    }
    memset(net->grads, 0, net->n_params * sizeof(float));
    dn_model_info tmp;
    int rc = read_info(st, net->input_width, dn_net_output_width(net), info ? info : &tmp, err);
    if (!rc && !info)
        dn_model_info_free(&tmp);
    if (!rc && info && info->dropout_known)
        noise_text(net, info->noise, sizeof info->noise);
    return rc;
}

dn_net *dn_model_load(const char *path, int max_batch, dn_model_info *info, dn_err *err)
{
    dn_st_file st;
    spec_layer L[MAX_LAYERS];
    int n = 0;
    if (open_model(path, &st, L, &n, err))
        return NULL;
    dn_net *net = dn_net_new(first_input(L, n), err);
    int rc = net ? DN_OK : DN_EFORMAT;
    for (int i = 0; i < n && !rc; i++) {
        switch (L[i].kind) {
        case DN_LAYER_FLATTEN: rc = dn_net_add_flatten(net, err); break;
        case DN_LAYER_RELU: rc = dn_net_add_relu(net, err); break;
        case DN_LAYER_LINEAR: rc = dn_net_add_linear(net, L[i].out, err); break;
        case DN_LAYER_DROPOUT:
            rc = dn_net_add_noise(net, (dn_noise){L[i].noise, L[i].p}, err);
            break;
        }
    }
    if (!rc)
        rc = dn_net_build(net, max_batch, err);
    if (!rc)
        rc = read_params(&st, net, info, err);
    dn_st_close(&st);
    if (rc) {
        dn_net_free(net);
        return NULL;
    }
    net->training = false;
    return net;
}

static const char *kind_name(dn_layer_kind k)
{
    switch (k) {
    case DN_LAYER_FLATTEN: return "Flatten";
    case DN_LAYER_LINEAR: return "Linear";
    case DN_LAYER_RELU: return "ReLU";
    case DN_LAYER_DROPOUT: return "Dropout";
    }
    return "?";
}

static int check_same_layers(const char *P, const spec_layer *L, int n, int dropout_known,
                             const dn_net *net, dn_err *err)
{
    char want[1024];
    if (dn_net_describe(net, want, sizeof want, NULL))
        snprintf(want, sizeof want, "%d layers", net->n_layers);
    if (n != net->n_layers)
        return dn_fail(err, DN_EFORMAT, "%s: has %d layers but the network has %d (%.400s)", P, n,
                       net->n_layers, want);
    for (int i = 0; i < n; i++) {
        const dn_layer *Ly = &net->layers[i];
        int same = L[i].kind == Ly->kind;
        if (same && Ly->kind == DN_LAYER_LINEAR)
            same = L[i].in == Ly->in && L[i].out == Ly->out;
        if (same && Ly->kind == DN_LAYER_DROPOUT && dropout_known)
            same = L[i].p == Ly->p && L[i].noise == Ly->noise;
        if (!same) {
            char got[96];
            if (L[i].kind == DN_LAYER_LINEAR)
                snprintf(got, sizeof got, "Linear(%d,%d)", L[i].in, L[i].out);
            else if (L[i].kind == DN_LAYER_DROPOUT)
                dn_noise_layer_name((dn_noise){L[i].noise, L[i].p}, got, sizeof got);
            else
                snprintf(got, sizeof got, "%s", kind_name(L[i].kind));
            return dn_fail(err, DN_EFORMAT, "%s: layer %d is %s, but the network's layers are "
                           "%.400s", P, i, got, want);
        }
    }
    return DN_OK;
}

int dn_model_load_into(const char *path, dn_net *net, dn_model_info *info,
                       int (*read_state)(const dn_st_file *st, void *ctx, dn_err *err),
                       void *ctx, dn_err *err)
{
    if (!net->built)
        return dn_fail(err, DN_EINVAL, "network not built");
    dn_st_file st;
    spec_layer L[MAX_LAYERS];
    int n = 0;
    int rc = open_model(path, &st, L, &n, err);
    if (rc)
        return rc;
    if (read_state)
        rc = read_state(&st, ctx, err);
    if (!rc)
        rc = check_same_layers(path, L, n, read_state || dn_st_meta(&st, "layers") != NULL, net,
                               err);
    if (!rc)
        rc = read_params(&st, net, info, err);
    dn_st_close(&st);
    return rc;
}

int dn_model_read_into(const char *path, dn_net *net, dn_model_info *info, dn_err *err)
{
    return dn_model_load_into(path, net, info, NULL, NULL, err);
}

/* ---- writing ---- */

void dn_meta_add(dn_meta_list *m, const char *k, const char *v)
{
    if (m->n < MAX_META) {
        m->kv[2 * m->n] = k;
        m->kv[2 * m->n + 1] = v;
        m->n++;
    }
}

/* Adds a value built in a heap buffer (owned by the list). */
int dn_meta_add_owned(dn_meta_list *m, const char *k, char *v)
{
    if (!v || m->n_owned == MAX_META) {
        free(v);
        return -1;
    }
    m->owned[m->n_owned++] = v;
    dn_meta_add(m, k, v);
    return 0;
}

void dn_meta_free(dn_meta_list *m)
{
    for (int i = 0; i < m->n_owned; i++)
        free(m->owned[i]);
}

static char *float_list(const float *v, int n)
{
    size_t cap = (size_t)n * 16 + 1;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t k = 0;
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        char b[32];
        dn_float_text(b, sizeof b, v[i]);
        k += (size_t)snprintf(s + k, cap - k, "%s%s", i ? "," : "", b);
    }
    return s;
}

int dn_model_write(const char *path, const dn_net *net, const dn_model_info *info,
                   dn_meta_list *m, const char *kind, dn_err *err)
{
    if (!net->built)
        return dn_fail(err, DN_EINVAL, "network not built");
    char *layers = malloc(16384), scale[32], shape[64];
    if (!layers)
        return dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
    if (dn_net_describe(net, layers, 16384, NULL)) {
        free(layers);
        return dn_fail(err, DN_EINVAL, "%s: the network's layer list is too long", path);
    }
    /* PyTorch's safetensors writer marks its files "format": "pt"; loaders of
     * PyTorch state dicts look for it. */
    dn_meta_add(m, "format", "pt");
    dn_meta_add(m, "dropnet", kind);
    dn_meta_add(m, "dropnet_version", dn_version());
    dn_meta_add_owned(m, "layers", layers);
    dn_float_text(scale, sizeof scale, info ? info->input_scale : 1.0f);
    dn_meta_add(m, "input_scale", scale);
    if (info && info->input_mean && info->input_std) {
        if (dn_meta_add_owned(m, "input_mean", float_list(info->input_mean, net->input_width)) ||
            dn_meta_add_owned(m, "input_std", float_list(info->input_std, net->input_width)))
            return dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
    }
    if (info && info->input_rows > 0 && info->input_cols > 0) {
        snprintf(shape, sizeof shape, "%d,%d", info->input_rows, info->input_cols);
        dn_meta_add(m, "input_shape", shape);
    }
    if (info && info->classes[0])
        dn_meta_add(m, "classes", info->classes);

    dn_st_out *t = calloc(2 * (size_t)net->n_linear + 1, sizeof *t);
    char (*names)[32] = calloc(2 * (size_t)net->n_linear + 1, sizeof *names);
    if (!t || !names) {
        free(t);
        free(names);
        return dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
    }
    int n = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const dn_layer *L = &net->layers[i];
        if (L->kind != DN_LAYER_LINEAR)
            continue;
        snprintf(names[n], sizeof names[n], "%d.weight", i);
        t[n] = (dn_st_out){names[n], 2, {(uint64_t)L->out, (uint64_t)L->in}, net->params + L->w_off};
        n++;
        snprintf(names[n], sizeof names[n], "%d.bias", i);
        t[n] = (dn_st_out){names[n], 1, {(uint64_t)L->out}, net->params + L->b_off};
        n++;
    }
    int rc = dn_st_write(path, t, n, m->kv, m->n, err);
    free(t);
    free(names);
    return rc;
}

int dn_model_save(const char *path, const dn_net *net, const dn_model_info *info, dn_err *err)
{
    dn_meta_list m = {0};
    int rc = dn_model_write(path, net, info, &m, "model", err);
    dn_meta_free(&m);
    return rc;
}
