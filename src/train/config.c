/* Presets and the config.json of a run. */
#include "core/internal.h"
#include "files/file.h"
#include "train/config.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

int dn_preset(const char *name, dn_config *c, dn_err *err)
{
    memset(c, 0, sizeof *c);
    dn_fit_opts_default(&c->fit);
    c->arch.inputs = 784;
    c->arch.outputs = 10;
    c->arch.n_hidden = 2;
    c->arch.hidden[0] = 256;
    c->arch.hidden[1] = 256;
    c->threads = 0;
    if (!name || strcmp(name, "d2l-2020") == 0) {
        c->arch.dropout[0] = 0.2f;
        c->arch.dropout[1] = 0.5f;
        c->fit.lr = 0.5f;
        c->init.kind = DN_INIT_NORMAL;
        c->init.sigma = 0.01f;
        snprintf(c->preset, sizeof c->preset, "d2l-2020");
    } else if (strcmp(name, "d2l") == 0) {
        c->arch.dropout[0] = 0.5f;
        c->arch.dropout[1] = 0.5f;
        c->fit.lr = 0.1f;
        c->init.kind = DN_INIT_PYTORCH;
        snprintf(c->preset, sizeof c->preset, "d2l");
    } else {
        return dn_fail(err, DN_EINVAL, "unknown preset '%s' (known: d2l-2020, d2l)", name);
    }
    return DN_OK;
}

int dn_init_parse(const char *text, dn_init *init, dn_err *err)
{
    if (strcmp(text, "pytorch") == 0) {
        init->kind = DN_INIT_PYTORCH;
        init->sigma = 0.0f;
        return DN_OK;
    }
    if (strncmp(text, "normal:", 7) == 0) {
        char *end;
        const char *num = text + 7;
        double v = strtod(num, &end);
        /* The range is checked on the float that is kept: 1e-50 is a
         * positive double but a zero sigma. */
        float sigma = (float)v;
        if (end != num && *end == '\0' && isfinite(v) && sigma > 0.0f && sigma < 1e6f) {
            init->kind = DN_INIT_NORMAL;
            init->sigma = sigma;
            return DN_OK;
        }
    }
    return dn_fail(err, DN_EINVAL,
                   "init '%s' is not 'normal:SIGMA' (0 < SIGMA < 1e6) or 'pytorch'", text);
}

/* Floats are written as the shortest decimal that reads back as the same
 * float, so 0.2f is 0.2 and not 0.20000000298023224, and nothing is lost. */
void dn_float_text(char *buf, size_t n, float v)
{
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(buf, n, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v)
            return;
    }
}

void dn_init_format(dn_init init, char *out, size_t outsz)
{
    char sigma[32];
    if (init.kind == DN_INIT_PYTORCH) {
        snprintf(out, outsz, "pytorch");
    } else {
        /* Not %g: config.json holds this text, and six digits would change
         * the sigma of a run read back from it. */
        dn_float_text(sigma, sizeof sigma, init.sigma);
        snprintf(out, outsz, "normal:%s", sigma);
    }
}

static cJSON *num(float v)
{
    char buf[32];
    dn_float_text(buf, sizeof buf, v);
    return cJSON_CreateRaw(buf);
}

/* Adds item under key (to an array when key is NULL); an item that cannot
 * be added is freed. 0 on success: a config.json with a field missing for
 * want of memory would be a wrong file, not an error. */
static int add(cJSON *to, const char *key, cJSON *item)
{
    if (item && (key ? cJSON_AddItemToObject(to, key, item) : cJSON_AddItemToArray(to, item)))
        return 0;
    cJSON_Delete(item);
    return -1;
}

char *dn_config_json(const dn_config *c, const char *data_dir, dn_err *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *hid = cJSON_CreateArray(), *drop = cJSON_CreateArray(), *ver = cJSON_CreateObject();
    cJSON *csv = c->csv.train[0] ? cJSON_CreateObject() : NULL, *gemm = cJSON_CreateObject();
    int bad = !root || !hid || !drop || !ver || (c->csv.train[0] && !csv) || !gemm;
    if (bad) {
        cJSON_Delete(root);
        cJSON_Delete(hid);
        cJSON_Delete(drop);
        cJSON_Delete(ver);
        cJSON_Delete(csv);
        cJSON_Delete(gemm);
        dn_fail(err, DN_ENOMEM, "cannot build config.json");
        return NULL;
    }
    char init[64], seed[32], stamp[32];
    dn_init_format(c->init, init, sizeof init);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->fit.seed);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* The containers are filled first and added last: one that cannot be
     * added is freed at once. */
    /* Another noise than dropout: "noise" says it, and "dropout" holds 0
     * there (the run does not drop units; readers that know no "noise" see
     * a valid run). */
    cJSON *noise = dn_mlp_has_noise(&c->arch) ? cJSON_CreateArray() : NULL;
    bad |= dn_mlp_has_noise(&c->arch) && !noise;
    for (int i = 0; i < c->arch.n_hidden; i++) {
        bad |= add(hid, NULL, cJSON_CreateNumber(c->arch.hidden[i]));
        bad |= add(drop, NULL,
                   num(c->arch.noise[i] == DN_NOISE_DROPOUT ? c->arch.dropout[i] : 0.0f));
        if (noise) {
            char item[64];
            dn_noise_format((dn_noise){c->arch.noise[i], c->arch.dropout[i]}, item, sizeof item);
            bad |= add(noise, NULL, cJSON_CreateString(item));
        }
    }
    if (csv) {
        bad |= add(csv, "train", cJSON_CreateString(c->csv.train));
        bad |= add(csv, "test", cJSON_CreateString(c->csv.test));
        bad |= add(csv, "scale", num(c->csv.scale));
        bad |= add(csv, "standardize", cJSON_CreateBool(c->csv.standardize));
    }
    /* what computes the products of this process (and so the run's bits) */
    bad |= add(gemm, "backend", cJSON_CreateString(dn_gemm_name()));
    bad |= add(gemm, "isa", cJSON_CreateString(dn_gemm_isa()));
    bad |= add(ver, "dropnet", cJSON_CreateString(dn_version()));
    bad |= add(ver, "blas", cJSON_CreateString(dn_blas_info()));
    bad |= add(ver, "zlib", cJSON_CreateString(zlibVersion()));
    bad |= add(ver, "cjson", cJSON_CreateString(cJSON_Version()));
#ifdef __VERSION__
    bad |= add(ver, "compiler", cJSON_CreateString(__VERSION__));
#endif
    bad |= add(root, "preset", cJSON_CreateString(c->preset));
    bad |= add(root, "inputs", cJSON_CreateNumber(c->arch.inputs));
    bad |= add(root, "outputs", cJSON_CreateNumber(c->arch.outputs));
    bad |= add(root, "hidden", hid);
    bad |= add(root, "dropout", drop);
    if (noise)
        bad |= add(root, "noise", noise);
    bad |= add(root, "input_dropout", num(c->arch.input_dropout));
    bad |= add(root, "init", cJSON_CreateString(init));
    bad |= add(root, "lr", num(c->fit.lr));
    bad |= add(root, "batch_size", cJSON_CreateNumber(c->fit.batch_size));
    bad |= add(root, "epochs", cJSON_CreateNumber(c->fit.epochs));
    bad |= add(root, "weight_decay", num(c->fit.weight_decay));
    bad |= add(root, "seed", cJSON_CreateRaw(seed));
    bad |= add(root, "threads", cJSON_CreateNumber(c->threads));
    bad |= add(root, "gemm", gemm);
    /* Written only when they say something, so that the config.json of a
     * run without them stays as it was. */
    if (c->val > 0)
        bad |= add(root, "val", cJSON_CreateNumber((double)c->val));
    if (c->micro_blocks > 0)
        bad |= add(root, "micro_blocks", cJSON_CreateNumber(c->micro_blocks));
    if (c->no_figures)
        bad |= add(root, "figures", cJSON_CreateBool(false));
    if (c->figure_scale > 0.0f && c->figure_scale != 1.0f)
        bad |= add(root, "figure_scale", num(c->figure_scale));
    if (csv)
        bad |= add(root, "csv", csv);
    if (data_dir)
        bad |= add(root, "data", cJSON_CreateString(data_dir));
    bad |= add(root, "created", cJSON_CreateString(stamp));
    bad |= add(root, "versions", ver);
    char *text = bad ? NULL : cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        dn_fail(err, DN_ENOMEM, "cannot build config.json");
    return text;
}

/* ---- reading config.json back ---- */

static int get_num(const cJSON *root, const char *key, const char *what, double lo, double hi,
                   double *out, dn_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v)
        return dn_fail(err, DN_EFORMAT, "%s: missing field \"%s\"", what, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi)
        return dn_fail(err, DN_EFORMAT, "%s: field \"%s\" must be a number in [%g, %g]", what,
                       key, lo, hi);
    *out = v->valuedouble;
    return DN_OK;
}

static int get_int(const cJSON *root, const char *key, const char *what, double lo, double hi,
                   int *out, dn_err *err)
{
    double d = 0.0;
    int rc = get_num(root, key, what, lo, hi, &d, err);
    if (rc)
        return rc;
    if (d != (double)(int)d)
        return dn_fail(err, DN_EFORMAT, "%s: field \"%s\" must be an integer", what, key);
    *out = (int)d;
    return DN_OK;
}

int dn_config_parse(const char *json, const char *what, dn_config *c, char *data_dir,
                    size_t data_dir_size, dn_err *err)
{
    memset(c, 0, sizeof *c);
    if (data_dir && data_dir_size)
        data_dir[0] = '\0';
    cJSON *root = cJSON_Parse(json);
    if (!root)
        return dn_fail(err, DN_EFORMAT, "%s: not valid JSON (near offset %ld)", what,
                       cJSON_GetErrorPtr() ? (long)(cJSON_GetErrorPtr() - json) : -1L);
    int rc = DN_OK;
    double d;
    if (!cJSON_IsObject(root)) {
        rc = dn_fail(err, DN_EFORMAT, "%s: not a JSON object", what);
        goto out;
    }
    const cJSON *preset = cJSON_GetObjectItemCaseSensitive(root, "preset");
    if (cJSON_IsString(preset))
        snprintf(c->preset, sizeof c->preset, "%s", preset->valuestring);
    if ((rc = get_int(root, "inputs", what, 1, 1 << 24, &c->arch.inputs, err)) ||
        (rc = get_int(root, "outputs", what, 1, 1 << 24, &c->arch.outputs, err)))
        goto out;
    const cJSON *hid = cJSON_GetObjectItemCaseSensitive(root, "hidden");
    const cJSON *drop = cJSON_GetObjectItemCaseSensitive(root, "dropout");
    if (!cJSON_IsArray(hid) || !cJSON_IsArray(drop) || cJSON_GetArraySize(hid) > DN_MAX_HIDDEN ||
        cJSON_GetArraySize(hid) != cJSON_GetArraySize(drop)) {
        rc = dn_fail(err, DN_EFORMAT,
                     "%s: \"hidden\" and \"dropout\" must be arrays of equal length (at most %d)",
                     what, DN_MAX_HIDDEN);
        goto out;
    }
    c->arch.n_hidden = cJSON_GetArraySize(hid);
    for (int i = 0; i < c->arch.n_hidden; i++) {
        const cJSON *h = cJSON_GetArrayItem(hid, i), *p = cJSON_GetArrayItem(drop, i);
        if (!cJSON_IsNumber(h) || h->valuedouble < 1 || h->valuedouble > (1 << 24) ||
            h->valuedouble != (double)(int)h->valuedouble || !cJSON_IsNumber(p) ||
            !(p->valuedouble >= 0.0 && p->valuedouble <= 1.0)) {
            rc = dn_fail(err, DN_EFORMAT, "%s: hidden layer %d: bad width or dropout", what,
                         i + 1);
            goto out;
        }
        c->arch.hidden[i] = (int)h->valuedouble;
        c->arch.dropout[i] = (float)p->valuedouble;
    }
    const cJSON *noise = cJSON_GetObjectItemCaseSensitive(root, "noise");
    if (noise) {
        if (!cJSON_IsArray(noise) || cJSON_GetArraySize(noise) != c->arch.n_hidden) {
            rc = dn_fail(err, DN_EFORMAT, "%s: \"noise\" must be an array of %d strings, one "
                         "per hidden layer", what, c->arch.n_hidden);
            goto out;
        }
        for (int i = 0; i < c->arch.n_hidden; i++) {
            const cJSON *it = cJSON_GetArrayItem(noise, i);
            dn_noise nz;
            dn_err why = {0};
            if (!cJSON_IsString(it) || dn_noise_parse(it->valuestring, &nz, &why)) {
                rc = dn_fail(err, DN_EFORMAT, "%s: \"noise\" of hidden layer %d: %s", what,
                             i + 1, cJSON_IsString(it) ? why.msg : "not a string");
                goto out;
            }
            c->arch.noise[i] = nz.kind;
            c->arch.dropout[i] = nz.p;
        }
    }
    if ((rc = get_num(root, "input_dropout", what, 0, 1, &d, err)))
        goto out;
    c->arch.input_dropout = (float)d;
    const cJSON *init = cJSON_GetObjectItemCaseSensitive(root, "init");
    if (!cJSON_IsString(init)) {
        rc = dn_fail(err, DN_EFORMAT, "%s: missing field \"init\"", what);
        goto out;
    }
    if (dn_init_parse(init->valuestring, &c->init, NULL)) {
        rc = dn_fail(err, DN_EFORMAT, "%s: field \"init\" is not normal:SIGMA or pytorch", what);
        goto out;
    }
    /* Any positive float, as --lr takes (1e-31 is a learning rate too). */
    if ((rc = get_num(root, "lr", what, 0, 1e6, &d, err)))
        goto out;
    c->fit.lr = (float)d;
    if (!(c->fit.lr > 0.0f)) {
        rc = dn_fail(err, DN_EFORMAT, "%s: field \"lr\" must be a positive number", what);
        goto out;
    }
    if ((rc = get_int(root, "batch_size", what, 1, 1 << 20, &c->fit.batch_size, err)) ||
        (rc = get_int(root, "epochs", what, 1, 1000000, &c->fit.epochs, err)))
        goto out;
    if ((rc = get_num(root, "weight_decay", what, 0, 1e6, &d, err)))
        goto out;
    c->fit.weight_decay = (float)d;
    if ((rc = get_num(root, "seed", what, 0, (double)DN_MAX_SEED, &d, err)))
        goto out;
    if (d != floor(d)) {
        rc = dn_fail(err, DN_EFORMAT, "%s: field \"seed\" must be an integer", what);
        goto out;
    }
    c->fit.seed = (uint64_t)d;
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(root, "threads");
    c->threads = cJSON_IsNumber(th) && th->valuedouble >= 0 && th->valuedouble <= 1024
                     ? (int)th->valuedouble
                     : 0;
    if (cJSON_GetObjectItemCaseSensitive(root, "val")) {
        if ((rc = get_num(root, "val", what, 1, 4294967295.0, &d, err)))
            goto out;
        if (d != floor(d)) {
            rc = dn_fail(err, DN_EFORMAT, "%s: field \"val\" must be an integer", what);
            goto out;
        }
        c->val = (size_t)d;
    }
    if (cJSON_GetObjectItemCaseSensitive(root, "micro_blocks")) {
        if ((rc = get_num(root, "micro_blocks", what, 1, DN_MAX_MICRO_BLOCKS, &d, err)))
            goto out;
        int k = (int)d;
        if (d != floor(d) || (k & (k - 1))) {
            rc = dn_fail(err, DN_EFORMAT, "%s: field \"micro_blocks\" must be a power of two",
                         what);
            goto out;
        }
        c->micro_blocks = k;
    }
    const cJSON *fig = cJSON_GetObjectItemCaseSensitive(root, "figures");
    if (fig && !cJSON_IsBool(fig)) {
        rc = dn_fail(err, DN_EFORMAT, "%s: field \"figures\" must be true or false", what);
        goto out;
    }
    c->no_figures = cJSON_IsFalse(fig);
    c->figure_scale = 1.0f;
    if (cJSON_GetObjectItemCaseSensitive(root, "figure_scale")) {
        if ((rc = get_num(root, "figure_scale", what, 1, 4, &d, err)))
            goto out;
        c->figure_scale = (float)d;
    }
    const cJSON *csv = cJSON_GetObjectItemCaseSensitive(root, "csv");
    if (csv) {
        const cJSON *tr = cJSON_GetObjectItemCaseSensitive(csv, "train");
        const cJSON *te = cJSON_GetObjectItemCaseSensitive(csv, "test");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(csv, "standardize");
        if (!cJSON_IsString(tr) || !cJSON_IsString(te) || !*tr->valuestring ||
            strlen(tr->valuestring) >= sizeof c->csv.train ||
            strlen(te->valuestring) >= sizeof c->csv.test || !cJSON_IsBool(st) ||
            (rc = get_num(csv, "scale", what, 1e-30, 1e30, &d, err))) {
            if (!rc)
                rc = dn_fail(err, DN_EFORMAT, "%s: field \"csv\" needs train, test, scale and "
                             "standardize", what);
            goto out;
        }
        snprintf(c->csv.train, sizeof c->csv.train, "%s", tr->valuestring);
        snprintf(c->csv.test, sizeof c->csv.test, "%s", te->valuestring);
        c->csv.scale = (float)d;
        c->csv.standardize = cJSON_IsTrue(st);
    }
    const cJSON *gemm = cJSON_GetObjectItemCaseSensitive(root, "gemm");
    c->gemm[0] = c->gemm_isa[0] = '\0';
    if (gemm) { /* absent in runs made before it was recorded */
        const cJSON *be = cJSON_GetObjectItemCaseSensitive(gemm, "backend");
        const cJSON *isa = cJSON_GetObjectItemCaseSensitive(gemm, "isa");
        if (!cJSON_IsString(be) || !cJSON_IsString(isa) || !*be->valuestring ||
            strlen(be->valuestring) >= sizeof c->gemm ||
            strlen(isa->valuestring) >= sizeof c->gemm_isa) {
            rc = dn_fail(err, DN_EFORMAT, "%s: field \"gemm\" needs a backend and an isa", what);
            goto out;
        }
        snprintf(c->gemm, sizeof c->gemm, "%s", be->valuestring);
        snprintf(c->gemm_isa, sizeof c->gemm_isa, "%s", isa->valuestring);
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (data_dir && data_dir_size && cJSON_IsString(data))
        snprintf(data_dir, data_dir_size, "%s", data->valuestring);
out:
    cJSON_Delete(root);
    return rc;
}

const char *dn_config_differs(const dn_config *a, const dn_config *b)
{
    if (a->arch.inputs != b->arch.inputs)
        return "inputs";
    if (a->arch.outputs != b->arch.outputs)
        return "outputs";
    if (a->arch.n_hidden != b->arch.n_hidden)
        return "hidden";
    for (int i = 0; i < a->arch.n_hidden; i++) {
        if (a->arch.hidden[i] != b->arch.hidden[i])
            return "hidden";
        if (a->arch.noise[i] != b->arch.noise[i])
            return "noise";
        if (a->arch.dropout[i] != b->arch.dropout[i])
            return a->arch.noise[i] == DN_NOISE_DROPOUT ? "dropout" : "noise";
    }
    if (a->arch.input_dropout != b->arch.input_dropout)
        return "input_dropout";
    if (a->init.kind != b->init.kind ||
        (a->init.kind == DN_INIT_NORMAL && a->init.sigma != b->init.sigma))
        return "init";
    if (a->fit.lr != b->fit.lr)
        return "lr";
    if (a->fit.batch_size != b->fit.batch_size)
        return "batch_size";
    if (a->fit.epochs != b->fit.epochs)
        return "epochs";
    if (a->fit.weight_decay != b->fit.weight_decay)
        return "weight_decay";
    if (a->fit.seed != b->fit.seed)
        return "seed";
    if (strcmp(a->csv.train, b->csv.train) != 0 || strcmp(a->csv.test, b->csv.test) != 0)
        return "csv";
    if (a->csv.train[0] &&
        (a->csv.scale != b->csv.scale || a->csv.standardize != b->csv.standardize))
        return "csv";
    if (a->val != b->val)
        return "val";
    if (a->micro_blocks != b->micro_blocks)
        return "micro_blocks";
    return NULL;
}

char *dn_config_extend(const char *json, int from, int to, dn_err *err)
{
    cJSON *root = cJSON_Parse(json);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        dn_fail(err, DN_EFORMAT, "config.json is not a JSON object");
        return NULL;
    }
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "extended");
    cJSON *entry = cJSON_CreateObject();
    int bad = !entry || (list && !cJSON_IsArray(list));
    if (!bad && !list)
        bad = !(list = cJSON_AddArrayToObject(root, "extended"));
    bad = bad || add(entry, "from", cJSON_CreateNumber(from)) ||
          add(entry, "to", cJSON_CreateNumber(to)) || add(entry, "at", cJSON_CreateString(stamp));
    if (!bad) {
        bad = add(list, NULL, entry);
        entry = NULL; /* freed by add when it fails */
    }
    bad = bad || !cJSON_ReplaceItemInObjectCaseSensitive(root, "epochs", cJSON_CreateNumber(to));
    char *text = bad ? NULL : cJSON_Print(root);
    cJSON_Delete(entry);
    cJSON_Delete(root);
    if (!text)
        dn_fail(err, DN_ENOMEM, "cannot build config.json");
    return text;
}

void dn_mlp_describe(const dn_mlp_spec *spec, char *out, size_t size)
{
    int k = snprintf(out, size, "MLP %d", spec->inputs);
    for (int i = 0; i < spec->n_hidden && k >= 0 && (size_t)k < size; i++)
        k += snprintf(out + k, size - (size_t)k, "-%d", spec->hidden[i]);
    if (k >= 0 && (size_t)k < size)
        snprintf(out + k, size - (size_t)k, "-%d", spec->outputs);
}

bool dn_mlp_has_noise(const dn_mlp_spec *spec)
{
    for (int i = 0; i < spec->n_hidden; i++)
        if (spec->noise[i] != DN_NOISE_DROPOUT)
            return true;
    return false;
}

void dn_mlp_noise_list(const dn_mlp_spec *spec, char *out, size_t size)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < spec->n_hidden && k < size; i++) {
        char item[64];
        dn_noise n = {spec->noise[i], spec->dropout[i]};
        if (n.kind == DN_NOISE_DROPOUT && n.p == 0.0f)
            snprintf(item, sizeof item, "none");
        else
            dn_noise_format(n, item, sizeof item);
        k += (size_t)snprintf(out + k, size - k, "%s%s", i ? "," : "", item);
    }
}

void dn_mlp_noise_text(const dn_mlp_spec *spec, char *out, size_t size)
{
    if (dn_mlp_has_noise(spec)) {
        char list[512];
        dn_mlp_noise_list(spec, list, sizeof list);
        snprintf(out, size, "noise %s", list);
        return;
    }
    size_t k = (size_t)snprintf(out, size, "dropout %s", spec->n_hidden ? "" : "none");
    for (int i = 0; i < spec->n_hidden && k < size; i++) {
        char v[32];
        dn_float_text(v, sizeof v, spec->dropout[i]);
        k += (size_t)snprintf(out + k, size - k, "%s%s", i ? "," : "", v);
    }
}

char *dn_config_text(const char *path, dn_err *err)
{
    /* config.json is a few hundred bytes; 1 MiB is far beyond any real one. */
    size_t n = 0;
    char *buf = dn_read_file(path, (size_t)1 << 20, "larger than 1 MiB, not a config.json", &n,
                             err);
    if (buf && strlen(buf) != n) {
        free(buf);
        dn_fail(err, DN_EFORMAT, "%s: NUL byte in the file", path);
        return NULL;
    }
    return buf;
}

const char *dn_config_gemm_differs(const dn_config *cfg)
{
    if (!cfg->gemm[0])
        return NULL;
    if (strcmp(cfg->gemm, dn_gemm_name()) != 0)
        return "gemm";
    return strcmp(cfg->gemm_isa, dn_gemm_isa()) != 0 ? "isa" : NULL;
}
