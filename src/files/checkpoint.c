/* Checkpoints: model files whose metadata also holds where training stands
 * (epoch, step, the epoch's partial sums), the metrics rows so far and the
 * run's config.json, so that a run resumes exactly from one file. */
#include "files/model.h"

#include <cJSON.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A double as JSON that reads back as the same double: %.17g. (cJSON's own
 * printing tries 15 digits first and keeps them when they read back within
 * an epsilon, which changes the last bits.) Not finite: null. */
static int add_exact(cJSON *o, const char *key, double v)
{
    char buf[40];
    if (isfinite(v))
        snprintf(buf, sizeof buf, "%.17g", v);
    else
        snprintf(buf, sizeof buf, "null");
    return cJSON_AddRawToObject(o, key, buf) ? 0 : -1;
}

/* The metrics rows as a JSON array; NULL when memory runs out. */
static cJSON *metrics_json(const dn_checkpoint *ck)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < ck->n_metrics; i++) {
        const dn_epoch_stats *s = &ck->metrics[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            cJSON_Delete(a);
            return NULL;
        }
        if (add_exact(o, "epoch", s->epoch) || add_exact(o, "train_loss", s->train_loss) ||
            add_exact(o, "train_acc", s->train_acc) || add_exact(o, "test_loss", s->test_loss) ||
            add_exact(o, "test_acc", s->test_acc) || add_exact(o, "seconds", s->seconds) ||
            (s->has_val &&
             (add_exact(o, "val_loss", s->val_loss) || add_exact(o, "val_acc", s->val_acc)))) {
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

int dn_checkpoint_save(const char *path, const dn_net *net, const dn_model_info *info,
                       const dn_checkpoint *ck, dn_err *err)
{
    dn_meta_list m = {0};
    char epoch[32], step[32], steps[32], nex[32], seed[32], loss[40], correct[32];
    snprintf(epoch, sizeof epoch, "%d", ck->epoch);
    snprintf(step, sizeof step, "%zu", ck->step);
    snprintf(steps, sizeof steps, "%zu", ck->steps_per_epoch);
    snprintf(nex, sizeof nex, "%zu", ck->train_examples);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)ck->seed);
    /* %.17g: a double read back from 17 significant digits is the same double. */
    snprintf(loss, sizeof loss, "%.17g", ck->loss_sum);
    snprintf(correct, sizeof correct, "%zu", ck->correct);
    dn_meta_add(&m, "epoch", epoch);
    dn_meta_add(&m, "step", step);
    dn_meta_add(&m, "steps_per_epoch", steps);
    dn_meta_add(&m, "train_examples", nex);
    dn_meta_add(&m, "seed", seed);
    dn_meta_add(&m, "epoch_loss_sum", loss);
    dn_meta_add(&m, "epoch_correct", correct);
    dn_meta_add(&m, "optimizer", "sgd");
    dn_meta_add(&m, "optimizer_state", "none");
    cJSON *mj = metrics_json(ck);
    char *mtext = mj ? cJSON_PrintUnformatted(mj) : NULL;
    cJSON_Delete(mj);
    int rc;
    if (dn_meta_add_owned(&m, "metrics", mtext))
        rc = dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
    else {
        dn_meta_add(&m, "config", ck->config ? ck->config : "");
        if (ck->activations)
            dn_meta_add(&m, "activations", ck->activations);
        char steps[96];
        if (ck->steps_every) {
            snprintf(steps, sizeof steps, "%zu %.17g %zu %zu", ck->steps_every,
                     ck->steps_loss_sum, ck->steps_correct, ck->steps_examples);
            dn_meta_add(&m, "steps_interval", steps);
        }
        rc = dn_model_write(path, net, info, &m, "checkpoint", err);
    }
    dn_meta_free(&m);
    return rc;
}

void dn_checkpoint_free(dn_checkpoint *ck)
{
    if (!ck)
        return;
    free(ck->metrics);
    free(ck->config);
    free(ck->activations);
    memset(ck, 0, sizeof *ck);
}

/* A whole decimal number in [lo, hi]; -1 otherwise. */
static int parse_u(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* A metric of the checkpoint's rows, in the ranges metrics.csv holds
 * (dn_metrics_read's): a loss >= 0, an accuracy in [0, 1], seconds >= 0,
 * all finite; null (NaN) only for the test columns of a run without a test
 * set. A resumed run writes these rows into metrics.csv again. */
static int metric(const cJSON *o, const char *key, int allow_null, double hi, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNull(v) && allow_null) {
        *out = NAN;
        return 0;
    }
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0.0 && v->valuedouble <= hi))
        return -1;
    *out = v->valuedouble;
    return 0;
}

static int read_state(const dn_st_file *st, void *ctx, dn_err *err)
{
    dn_checkpoint *ck = ctx;
    const char *P = st->path;
    const char *kind = dn_st_meta(st, "dropnet");
    if (!kind || strcmp(kind, "checkpoint") != 0)
        return dn_fail(err, DN_EFORMAT, "%s: not a dropnet checkpoint (metadata \"dropnet\" is "
                       "not \"checkpoint\")", P);
    const char *opt = dn_st_meta(st, "optimizer"), *ost = dn_st_meta(st, "optimizer_state");
    if (!opt || strcmp(opt, "sgd") != 0 || !ost || strcmp(ost, "none") != 0)
        return dn_fail(err, DN_EFORMAT, "%s: optimizer '%.20s' with state '%.20s': this dropnet "
                       "resumes plain SGD only", P, opt ? opt : "", ost ? ost : "");
    static const char *const keys[] = {"epoch", "step", "steps_per_epoch", "train_examples",
                                       "seed", "epoch_correct"};
    long v[6];
    for (int i = 0; i < 6; i++) {
        const char *s = dn_st_meta(st, keys[i]);
        if (!s || parse_u(s, 0, LONG_MAX, &v[i]) ||
            (i == 4 && (unsigned long long)v[i] > DN_MAX_SEED))
            return dn_fail(err, DN_EFORMAT, "%s: metadata \"%s\" is missing or not a "
                           "non-negative integer in range", P, keys[i]);
    }
    ck->epoch = v[0] > 1000000 ? -1 : (int)v[0];
    ck->step = (size_t)v[1];
    ck->steps_per_epoch = (size_t)v[2];
    ck->train_examples = (size_t)v[3];
    ck->seed = (uint64_t)v[4];
    ck->correct = (size_t)v[5];
    if (ck->epoch < 0 || ck->step > ck->steps_per_epoch || ck->correct > ck->train_examples)
        return dn_fail(err, DN_EFORMAT, "%s: epoch, step or correct count out of range", P);
    const char *loss = dn_st_meta(st, "epoch_loss_sum");
    char *end;
    ck->loss_sum = loss ? strtod(loss, &end) : NAN;
    if (!loss || end == loss || *end || !isfinite(ck->loss_sum) || ck->loss_sum < 0)
        return dn_fail(err, DN_EFORMAT, "%s: metadata \"epoch_loss_sum\" is missing or not a "
                       "finite number >= 0", P);
    const char *config = dn_st_meta(st, "config");
    if (!config || !*config)
        return dn_fail(err, DN_EFORMAT, "%s: metadata \"config\" is missing", P);
    ck->config = strdup(config);
    if (!ck->config)
        return dn_fail(err, DN_ENOMEM, "%s: out of memory", P);
    const char *act = dn_st_meta(st, "activations");
    if (act && !(ck->activations = strdup(act)))
        return dn_fail(err, DN_ENOMEM, "%s: out of memory", P);
    const char *steps = dn_st_meta(st, "steps_interval");
    if (steps) {
        /* "EVERY LOSS_SUM CORRECT EXAMPLES": the open interval of steps.csv */
        unsigned long long every, right, seen;
        double sum;
        int used = -1;
        if (sscanf(steps, "%llu %lf %llu %llu%n", &every, &sum, &right, &seen, &used) != 4 ||
            steps[used] || every < 1 || every > ck->steps_per_epoch || !isfinite(sum) ||
            sum < 0 || right > seen || seen > ck->train_examples || (seen == 0 && sum != 0))
            return dn_fail(err, DN_EFORMAT, "%s: metadata \"steps_interval\" is not \"EVERY "
                           "LOSS_SUM CORRECT EXAMPLES\" in range", P);
        ck->steps_every = (size_t)every;
        ck->steps_loss_sum = sum;
        ck->steps_correct = (size_t)right;
        ck->steps_examples = (size_t)seen;
    }
    const char *mt = dn_st_meta(st, "metrics");
    cJSON *a = mt ? cJSON_Parse(mt) : NULL;
    if (mt && !a)
        return dn_fail(err, DN_EFORMAT, "%s: metadata \"metrics\" is not valid JSON", P);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != ck->epoch) {
        cJSON_Delete(a);
        return dn_fail(err, DN_EFORMAT, "%s: metadata \"metrics\" is not an array of %d epochs",
                       P, ck->epoch);
    }
    ck->n_metrics = ck->epoch;
    ck->metrics = calloc((size_t)ck->n_metrics + 1, sizeof *ck->metrics);
    int rc = ck->metrics ? DN_OK : dn_fail(err, DN_ENOMEM, "%s: out of memory", P);
    for (int i = 0; i < ck->n_metrics && !rc; i++) {
        const cJSON *o = cJSON_GetArrayItem(a, i);
        dn_epoch_stats *s = &ck->metrics[i];
        double e;
        if (!cJSON_IsObject(o) || metric(o, "epoch", 0, DBL_MAX, &e) || e != i + 1 ||
            metric(o, "train_loss", 0, DBL_MAX, &s->train_loss) ||
            metric(o, "train_acc", 0, 1.0, &s->train_acc) ||
            metric(o, "test_loss", 1, DBL_MAX, &s->test_loss) ||
            metric(o, "test_acc", 1, 1.0, &s->test_acc) ||
            metric(o, "seconds", 0, DBL_MAX, &s->seconds))
            rc = dn_fail(err, DN_EFORMAT, "%s: metadata \"metrics\": epoch %d is malformed", P,
                         i + 1);
        /* The validation metrics of a run with a validation set: both or
         * neither. */
        s->has_val = cJSON_GetObjectItemCaseSensitive(o, "val_loss") != NULL;
        if (!rc && (s->has_val || cJSON_GetObjectItemCaseSensitive(o, "val_acc")) &&
            (metric(o, "val_loss", 0, DBL_MAX, &s->val_loss) ||
             metric(o, "val_acc", 0, 1.0, &s->val_acc)))
            rc = dn_fail(err, DN_EFORMAT, "%s: metadata \"metrics\": epoch %d has a malformed "
                         "validation loss or accuracy", P, i + 1);
        s->epoch = i + 1;
    }
    cJSON_Delete(a);
    return rc;
}

int dn_checkpoint_load(const char *path, dn_net *net, dn_model_info *info, dn_checkpoint *ck,
                       dn_err *err)
{
    memset(ck, 0, sizeof *ck);
    int rc = dn_model_load_into(path, net, info, read_state, ck, err);
    if (rc)
        dn_checkpoint_free(ck);
    return rc;
}
