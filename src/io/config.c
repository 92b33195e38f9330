/* Presets and the config.json of a run. */
#include "core/internal.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

int dn_preset(const char *name, dn_run_config *c, dn_err *err)
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
        if (end != num && *end == '\0' && isfinite(v) && v > 0.0 && v < 1e6) {
            init->kind = DN_INIT_NORMAL;
            init->sigma = (float)v;
            return DN_OK;
        }
    }
    return dn_fail(err, DN_EINVAL,
                   "init '%s' is not 'normal:SIGMA' (SIGMA > 0) or 'pytorch'", text);
}

void dn_init_format(dn_init init, char *out, size_t outsz)
{
    if (init.kind == DN_INIT_PYTORCH)
        snprintf(out, outsz, "pytorch");
    else
        snprintf(out, outsz, "normal:%g", (double)init.sigma);
}

/* Floats are written as the shortest decimal that reads back as the same
 * float, so 0.2f is 0.2 and not 0.20000000298023224. */
static cJSON *num(float v)
{
    char buf[32];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v)
            break;
    }
    return cJSON_CreateRaw(buf);
}

char *dn_config_json(const dn_run_config *c, const char *data_dir, dn_err *err)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) {
        dn_fail(err, DN_ENOMEM, "cannot build config.json");
        return NULL;
    }
    char init[64];
    dn_init_format(c->init, init, sizeof init);
    cJSON_AddStringToObject(root, "preset", c->preset);
    cJSON_AddNumberToObject(root, "inputs", c->arch.inputs);
    cJSON_AddNumberToObject(root, "outputs", c->arch.outputs);
    cJSON *hid = cJSON_AddArrayToObject(root, "hidden");
    cJSON *drop = cJSON_AddArrayToObject(root, "dropout");
    for (int i = 0; i < c->arch.n_hidden; i++) {
        cJSON_AddItemToArray(hid, cJSON_CreateNumber(c->arch.hidden[i]));
        cJSON_AddItemToArray(drop, num(c->arch.dropout[i]));
    }
    cJSON_AddItemToObject(root, "input_dropout", num(c->arch.input_dropout));
    cJSON_AddStringToObject(root, "init", init);
    cJSON_AddItemToObject(root, "lr", num(c->fit.lr));
    cJSON_AddNumberToObject(root, "batch_size", c->fit.batch_size);
    cJSON_AddNumberToObject(root, "epochs", c->fit.epochs);
    cJSON_AddItemToObject(root, "weight_decay", num(c->fit.weight_decay));
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->fit.seed);
    cJSON_AddItemToObject(root, "seed", cJSON_CreateRaw(seed));
    cJSON_AddNumberToObject(root, "threads", c->threads);
    if (data_dir)
        cJSON_AddStringToObject(root, "data", data_dir);
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(root, "created", stamp);
    cJSON *ver = cJSON_AddObjectToObject(root, "versions");
    cJSON_AddStringToObject(ver, "dropnet", dn_version());
    cJSON_AddStringToObject(ver, "blas", dn_blas_info());
    cJSON_AddStringToObject(ver, "zlib", zlibVersion());
    cJSON_AddStringToObject(ver, "cjson", cJSON_Version());
#ifdef __VERSION__
    cJSON_AddStringToObject(ver, "compiler", __VERSION__);
#endif
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        dn_fail(err, DN_ENOMEM, "cannot build config.json");
    return text;
}
