/* A run directory read back from its files alone, and the words that tell
 * runs apart in a legend. */
#include "files/file.h"
#include "train/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void dn_run_free(dn_run *run)
{
    if (!run)
        return;
    dn_metrics_free(&run->metrics);
    dn_steps_free(&run->steps);
}

int dn_run_load(const char *dir, dn_run *run, dn_err *err)
{
    memset(run, 0, sizeof *run);
    if (snprintf(run->dir, sizeof run->dir, "%s", dir) >= (int)sizeof run->dir)
        return dn_fail(err, DN_EINVAL, "%s: path too long", dir);
    struct stat st;
    if (stat(dir, &st) != 0)
        return errno == ENOENT ? dn_fail(err, DN_EIO, "%s: no such run directory", dir)
                               : dn_fail(err, DN_EIO, "%s: cannot open: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return dn_fail(err, DN_EIO, "%s: not a directory (expected a run directory)", dir);
    char path[1100];
    snprintf(path, sizeof path, "%s/config.json", dir);
    char *json = dn_config_text(path, err);
    if (!json)
        return err ? (int)err->code : DN_EIO;
    int rc = dn_config_parse(json, path, &run->cfg, NULL, 0, err);
    free(json);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    if ((rc = dn_metrics_read(path, &run->metrics, err)))
        return rc;
    snprintf(path, sizeof path, "%s/steps.csv", dir);
    if (stat(path, &st) == 0 && (rc = dn_steps_read(path, &run->steps, err))) {
        dn_run_free(run);
        return rc;
    }
    return DN_OK;
}

/* ---- what tells runs apart ---- */

enum { F_HIDDEN, F_DROPOUT, F_INPUT_DROPOUT, F_INIT, F_LR, F_BATCH, F_WD, F_EPOCHS, F_SEED,
       F_VAL, F_PRESET, F_COUNT };

/* The text of field f of a config, e.g. "dropout 0.2,0.5"; "" when the field
 * is at a neutral default not worth a word in a title (no input dropout, no
 * weight decay). */
static void field_text(const dn_config *c, int f, char *out, size_t size, int in_title)
{
    char v[160] = "";
    int k = 0;
    switch (f) {
    case F_HIDDEN:
        if (in_title) {
            dn_mlp_describe(&c->arch, out, size);
            return;
        }
        for (int i = 0; i < c->arch.n_hidden && k < (int)sizeof v; i++)
            k += snprintf(v + k, sizeof v - (size_t)k, "%s%d", i ? "," : "", c->arch.hidden[i]);
        snprintf(out, size, "hidden %s", c->arch.n_hidden ? v : "none");
        return;
    case F_DROPOUT:
        /* "dropout 0.2,0.5", or "noise gaussian:0.5,dropout:0.2" */
        dn_mlp_noise_text(&c->arch, out, size);
        return;
    case F_INPUT_DROPOUT:
        if (in_title && c->arch.input_dropout == 0.0f)
            out[0] = '\0';
        else
            snprintf(out, size, "input dropout %g", (double)c->arch.input_dropout);
        return;
    case F_INIT:
        dn_init_format(c->init, v, sizeof v);
        snprintf(out, size, "init %s", v);
        return;
    case F_LR: snprintf(out, size, "lr %g", (double)c->fit.lr); return;
    case F_BATCH: snprintf(out, size, "batch %d", c->fit.batch_size); return;
    case F_WD:
        if (in_title && c->fit.weight_decay == 0.0f)
            out[0] = '\0';
        else
            snprintf(out, size, "weight decay %g", (double)c->fit.weight_decay);
        return;
    case F_EPOCHS:
        /* The epoch axis shows it. */
        if (in_title)
            out[0] = '\0';
        else
            snprintf(out, size, "epochs %d", c->fit.epochs);
        return;
    case F_SEED: snprintf(out, size, "seed %llu", (unsigned long long)c->fit.seed); return;
    case F_VAL:
        if (c->val)
            snprintf(out, size, "val %zu", c->val);
        else
            snprintf(out, size, "%s", in_title ? "" : "no val");
        return;
    case F_PRESET:
        /* The settings themselves are in the title; the preset's name adds
         * nothing there. */
        if (in_title)
            out[0] = '\0';
        else
            snprintf(out, size, "preset %s", c->preset[0] ? c->preset : "none");
        return;
    }
    out[0] = '\0';
}

static void append(char *buf, size_t size, const char *sep, const char *text)
{
    size_t len = strlen(buf);
    if (!text[0] || len + 1 >= size)
        return;
    /* Cut what does not fit: a label is for the eye, not for parsing. */
    const char *parts[2] = {len ? sep : "", text};
    for (int i = 0; i < 2; i++)
        for (const char *p = parts[i]; *p && len + 1 < size; p++)
            buf[len++] = *p;
    buf[len] = '\0';
}

static const char *base_name(const char *dir)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    return dir + start;
}

void dn_run_labels(const dn_run *runs, int n, char (*labels)[DN_LABEL_MAX], char *common,
                   size_t common_size)
{
    char a[200], b[200];
    if (common && common_size)
        common[0] = '\0';
    for (int i = 0; i < n; i++)
        labels[i][0] = '\0';
    for (int f = 0; f < F_COUNT; f++) {
        int differs = 0;
        field_text(&runs[0].cfg, f, a, sizeof a, 0);
        for (int i = 1; i < n && !differs; i++) {
            field_text(&runs[i].cfg, f, b, sizeof b, 0);
            differs = strcmp(a, b) != 0;
        }
        if (differs) {
            for (int i = 0; i < n; i++) {
                field_text(&runs[i].cfg, f, b, sizeof b, 0);
                append(labels[i], DN_LABEL_MAX, ", ", b);
            }
        } else if (common && common_size) {
            field_text(&runs[0].cfg, f, a, sizeof a, 1);
            append(common, common_size, " | ", a);
        }
    }
    /* Runs whose settings all agree are told apart by their directories. */
    unsigned char dup[256] = {0};
    for (int i = 0; i < n && i < 256; i++) {
        dup[i] = labels[i][0] == '\0';
        for (int j = 0; j < n && !dup[i]; j++)
            dup[i] = j != i && strcmp(labels[i], labels[j]) == 0;
    }
    for (int i = 0; i < n && i < 256; i++) {
        if (!dup[i])
            continue;
        char name[DN_LABEL_MAX];
        snprintf(name, sizeof name, "%s", base_name(runs[i].dir));
        size_t len = strlen(name);
        while (len > 1 && name[len - 1] == '/')
            name[--len] = '\0';
        if (labels[i][0]) {
            char tmp[DN_LABEL_MAX];
            snprintf(tmp, sizeof tmp, "%s", labels[i]);
            snprintf(labels[i], DN_LABEL_MAX, "%.60s (%.60s)", tmp, name);
        } else {
            snprintf(labels[i], DN_LABEL_MAX, "%s", name);
        }
    }
}
