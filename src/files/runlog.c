/* The run directory: config.json, per-epoch metrics and the training metrics
 * of steps.csv, flushed as they come so an interrupted run keeps every
 * finished epoch. One training at a time: the run log holds a lock on the
 * directory. */
#include "files/file.h"
#include "files/runlog.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct dn_runlog {
    char dir[4096];
    char csv_path[4200], jsonl_path[4200], steps_path[4200], act_path[4200];
    FILE *csv, *jsonl, *steps;
    FILE *act; /* activations.csv, in a run that tracks them */
    int lock; /* descriptor of DIR/.lock, -1 when not held */
};

static const char metrics_header[] = DN_METRICS_CSV_HEADER "\n";
static const char metrics_header_val[] = DN_METRICS_CSV_HEADER DN_METRICS_CSV_VAL "\n";
static const char steps_header[] = DN_STEPS_CSV_HEADER "\n";
static const char act_header[] = DN_ACT_CSV_HEADER "\n";

/* The files dropnet train writes in a run directory. */
static const char *const written[] = {"config.json",       "metrics.csv",     "metrics.jsonl",
                                      "steps.csv",         "checkpoint.safetensors",
                                      "model.safetensors", "curves.png",      "curves.svg",
                                      "predictions.png",   DN_DIR_MARKER,     "activations.csv",
                                      NULL};

/* One training per run directory: an exclusive flock on DIR/.lock, held
 * while the run log is open. The kernel drops it when the process ends,
 * however it ends, so a killed run leaves no stale lock behind. The file
 * stays (removing it would race with a process that has just opened it). */
static int lock_dir(dn_runlog *log, const char *dir, dn_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.lock", dir);
    /* Read-only is enough for flock, and works in a directory that has
     * become read-only, so the error there names the file actually written. */
    int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return dn_fail(err, DN_EWRITE, "%s: cannot create the lock file: %s", path,
                       strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return dn_fail(err, DN_EINVAL, "%s: in use by another dropnet train (it holds the "
                           "lock %s); wait for it to end, or choose another directory", dir,
                           path);
        return dn_fail(err, DN_EWRITE, "%s: cannot lock: %s", path, strerror(e));
    }
    log->lock = fd;
    return DN_OK;
}

static dn_runlog *new_log(dn_err *err)
{
    dn_runlog *log = calloc(1, sizeof *log);
    if (!log)
        dn_fail(err, DN_ENOMEM, "cannot allocate a run log");
    else
        log->lock = -1;
    return log;
}

/* Names of the files and opens them for appending rows; activations.csv
 * too when act. */
static int open_files(dn_runlog *log, const char *mode, bool act, dn_err *err)
{
    snprintf(log->act_path, sizeof log->act_path, "%s/activations.csv", log->dir);
    if (act && !(log->act = fopen(log->act_path, mode)))
        return dn_fail(err, DN_EWRITE, "%s: cannot write: %s", log->act_path, strerror(errno));
    snprintf(log->csv_path, sizeof log->csv_path, "%s/metrics.csv", log->dir);
    snprintf(log->jsonl_path, sizeof log->jsonl_path, "%s/metrics.jsonl", log->dir);
    snprintf(log->steps_path, sizeof log->steps_path, "%s/steps.csv", log->dir);
    const char *paths[3] = {log->csv_path, log->jsonl_path, log->steps_path};
    FILE **files[3] = {&log->csv, &log->jsonl, &log->steps};
    for (int i = 0; i < 3; i++) {
        *files[i] = fopen(paths[i], mode);
        if (!*files[i])
            return dn_fail(err, DN_EWRITE, "%s: cannot write: %s", paths[i], strerror(errno));
    }
    return DN_OK;
}

/* A run directory may be used for a new run when its run recorded nothing
 * to keep: no epoch in metrics.csv and no checkpoint (a run that diverged or
 * was killed in its first epoch). Anything more is a run to resume. The
 * caller holds the lock, so no live training is writing there. */
static int reusable(const char *dir, dn_err *err)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", dir);
    int checkpoint = stat(path, &st) == 0;
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    size_t rows = 0;
    if (stat(path, &st) == 0) {
        dn_metrics m;
        dn_err e = {0};
        if (dn_metrics_read(path, &m, &e) != DN_OK)
            return dn_fail(err, DN_EINVAL, "%s: already holds a run (its metrics.csv cannot be "
                           "read: %s); choose another --out", dir, e.msg);
        rows = m.n;
        dn_metrics_free(&m);
    }
    if (rows > 0)
        return dn_fail(err, DN_EINVAL, "%s: already holds a run (%zu epoch%s in metrics.csv); "
                       "continue or extend it with dropnet train --resume %s [--epochs N], or "
                       "choose another --out", dir, rows, rows == 1 ? "" : "s", dir);
    if (checkpoint)
        return dn_fail(err, DN_EINVAL, "%s: already holds a run stopped in its first epoch "
                       "(checkpoint.safetensors); continue it with dropnet train --resume %s, "
                       "or choose another --out", dir, dir);
    return DN_OK;
}

dn_runlog *dn_runlog_open(const char *dir, const dn_config *cfg, const char *data_dir,
                          dn_err *err)
{
    dn_runlog *log = new_log(err);
    if (!log)
        return NULL;
    char path[4200];
    if (dir) {
        if (snprintf(log->dir, sizeof log->dir, "%s", dir) >= (int)sizeof log->dir) {
            dn_fail(err, DN_EINVAL, "%s: path too long", dir);
            goto fail;
        }
        /* Checked before anything is written: a directory of the user's
         * or of another kind is refused untouched. */
        bool own = false;
        if (dn_dir_claim(dir, DN_DIR_RUN, &own, err) || lock_dir(log, dir, err) ||
            (own && reusable(dir, err)))
            goto fail;
    } else {
        if (dn_mkdir_p("runs", err))
            goto fail;
        if (dn_mkdir_stamped("runs/", log->dir, sizeof log->dir, err) ||
            dn_dir_claim(log->dir, DN_DIR_RUN, NULL, err) || lock_dir(log, log->dir, err))
            goto fail;
    }
    char *json = dn_config_json(cfg, data_dir, err);
    if (!json)
        goto fail;
    snprintf(path, sizeof path, "%s/config.json", log->dir);
    dn_chunk text[2] = {{json, strlen(json)}, {"\n", 1}};
    int rc = dn_write_atomic(path, text, 2, err);
    free(json);
    /* Each file whole with its header, or not there, as a resume rewrites
     * them: a run killed here never leaves a header cut short. */
    const char *names[4] = {"metrics.csv", "metrics.jsonl", "steps.csv", "activations.csv"};
    const char *heads[4] = {cfg->val > 0 ? metrics_header_val : metrics_header, "",
                            steps_header, act_header};
    for (int i = 0; i < 3 + cfg->track_activations && !rc; i++) {
        snprintf(path, sizeof path, "%s/%s", log->dir, names[i]);
        dn_chunk c = {heads[i], strlen(heads[i])};
        rc = dn_write_atomic(path, &c, 1, err);
    }
    if (rc || open_files(log, "a", cfg->track_activations, err))
        goto fail;
    return log;
fail:
    dn_runlog_close(log);
    return NULL;
}

const char *dn_runlog_dir(const dn_runlog *log) { return log->dir; }

/* A row is at most 7 numbers and the names; the length of a row cut to the
 * buffer is what is returned (only absurd seconds could be that long). */
#define ROW_MAX 1024
static size_t cut(int k, size_t n) { return k < 0 ? 0 : (size_t)k < n ? (size_t)k : n - 1; }

/* %.17g: the numbers read back exactly; metrics are for machines too. The
 * validation columns come last, and only in a run that has them. */
static size_t csv_row(char *buf, size_t n, const dn_epoch_stats *s)
{
    int k = snprintf(buf, n, "%d,%.17g,%.17g,%.17g,%.17g,%.17g,%.6f", s->epoch, s->train_loss,
                     s->train_acc, s->test_loss, s->test_acc, s->train_acc - s->test_acc,
                     s->seconds);
    size_t len = cut(k, n);
    if (s->has_val)
        len += cut(snprintf(buf + len, n - len, ",%.17g,%.17g", s->val_loss, s->val_acc),
                   n - len);
    return len + cut(snprintf(buf + len, n - len, "\n"), n - len);
}

static size_t jsonl_row(char *buf, size_t n, const dn_epoch_stats *s)
{
    size_t len = cut(snprintf(buf, n,
                              "{\"epoch\":%d,\"train_loss\":%.17g,\"train_acc\":%.17g,"
                              "\"test_loss\":%.17g,\"test_acc\":%.17g,\"gap\":%.17g,"
                              "\"seconds\":%.6f",
                              s->epoch, s->train_loss, s->train_acc, s->test_loss, s->test_acc,
                              s->train_acc - s->test_acc, s->seconds), n);
    if (s->has_val)
        len += cut(snprintf(buf + len, n - len, ",\"val_loss\":%.17g,\"val_acc\":%.17g",
                            s->val_loss, s->val_acc), n - len);
    return len + cut(snprintf(buf + len, n - len, "}\n"), n - len);
}

int dn_runlog_epoch(dn_runlog *log, const dn_epoch_stats *s, dn_err *err)
{
    char row[ROW_MAX];
    csv_row(row, sizeof row, s);
    if (dn_append_row(log->csv, log->csv_path, err, "%s", row))
        return DN_EWRITE;
    jsonl_row(row, sizeof row, s);
    return dn_append_row(log->jsonl, log->jsonl_path, err, "%s", row);
}

int dn_runlog_activations(dn_runlog *log, const dn_act_row *rows, int n, dn_err *err)
{
    for (int i = 0; i < n; i++) {
        const dn_act_row *r = &rows[i];
        if (dn_append_row(log->act, log->act_path, err, "%d,%zu,%s,%d,%s,%.17g,%.17g,%.17g\n",
                          r->epoch, r->step, r->mode, r->layer, r->where, r->mean,
                          r->var_pooled, r->var_units))
            return DN_EWRITE;
    }
    return DN_OK;
}

int dn_runlog_step(dn_runlog *log, const dn_step_point *p, dn_err *err)
{
    return dn_append_row(log->steps, log->steps_path, err, "%d,%zu,%zu,%zu,%.17g,%.17g\n",
                         p->epoch, p->step, p->steps_per_epoch, p->examples, p->train_loss,
                         p->train_acc);
}

void dn_runlog_close(dn_runlog *log)
{
    if (!log)
        return;
    if (log->csv)
        fclose(log->csv);
    if (log->jsonl)
        fclose(log->jsonl);
    if (log->steps)
        fclose(log->steps);
    if (log->act)
        fclose(log->act);
    if (log->lock >= 0)
        close(log->lock); /* releases the lock */
    free(log);
}

/* ---- resuming ---- */

/* A growing text buffer; NULL text after a failed allocation. */
typedef struct {
    char *text;
    size_t len, cap;
} text_buf;

static void put(text_buf *b, const char *s, size_t n)
{
    if (!b->text && b->cap)
        return; /* failed before */
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *t = realloc(b->text, cap);
        if (!t) {
            free(b->text);
            b->text = NULL;
            b->cap = 1;
            return;
        }
        b->text = t;
        b->cap = cap;
    }
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = '\0';
}

/* steps.csv (or activations.csv) of a resumed run: the header and the
 * complete rows up to the checkpoint (epochs 1..n, then steps 1..step of
 * epoch n + 1); a crash may have left rows beyond the checkpoint, or half a
 * row. */
static void rewind_steps(const char *dir, const char *name, const char *header, int n,
                         size_t step, text_buf *b)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    put(b, header, strlen(header));
    FILE *in = fopen(path, "r");
    if (!in)
        return; /* killed before it was created: nothing to keep */
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int first = 1;
    while ((len = getline(&line, &cap, in)) > 0) {
        if (line[len - 1] != '\n')
            break; /* half a row: the crash point */
        if (first) { /* the header */
            first = 0;
            continue;
        }
        int e;
        size_t st;
        if (sscanf(line, "%d,%zu,", &e, &st) != 2)
            break;
        if (e <= n || (e == n + 1 && st <= step))
            put(b, line, (size_t)len);
    }
    free(line);
    fclose(in);
}

/* Resuming: the metrics files are rebuilt from the checkpoint's rows (a
 * crash may have left one epoch more in them than the checkpoint holds) and
 * steps.csv is cut back to the checkpoint, each written atomically, then
 * all three are opened for appending. */
dn_runlog *dn_runlog_resume(const char *dir, const dn_epoch_stats *rows, int n, size_t step,
                            bool val, bool activations, dn_err *err)
{
    dn_runlog *log = new_log(err);
    if (!log)
        return NULL;
    if (snprintf(log->dir, sizeof log->dir, "%s", dir) >= (int)sizeof log->dir) {
        dn_fail(err, DN_EINVAL, "%s: path too long", dir);
        goto fail;
    }
    if (lock_dir(log, dir, err))
        goto fail;
    /* Temporary files of writes a killed process left: the run log holds
     * the lock, so no live process owns them. */
    dn_remove_stale_temps(dir, written);
    text_buf csv = {0}, jsonl = {0}, steps = {0}, act = {0};
    const char *header = val ? metrics_header_val : metrics_header;
    put(&csv, header, strlen(header));
    for (int i = 0; i < n; i++) {
        char row[ROW_MAX];
        put(&csv, row, csv_row(row, sizeof row, &rows[i]));
        put(&jsonl, row, jsonl_row(row, sizeof row, &rows[i]));
    }
    if (n == 0)
        put(&jsonl, "", 0);
    rewind_steps(dir, "steps.csv", steps_header, n, step, &steps);
    if (activations)
        rewind_steps(dir, "activations.csv", act_header, n, step, &act);
    char path[4200];
    int rc = DN_OK;
    if (!csv.text || !jsonl.text || !steps.text || (activations && !act.text))
        rc = dn_fail(err, DN_ENOMEM, "%s: out of memory rewriting the metrics files", dir);
    const char *names[4] = {"metrics.csv", "metrics.jsonl", "steps.csv", "activations.csv"};
    text_buf *bufs[4] = {&csv, &jsonl, &steps, &act};
    for (int i = 0; i < 3 + activations && !rc; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        dn_chunk c = {bufs[i]->text, bufs[i]->len};
        rc = dn_write_atomic(path, &c, 1, err);
    }
    free(csv.text);
    free(jsonl.text);
    free(steps.text);
    free(act.text);
    if (rc || open_files(log, "a", activations, err))
        goto fail;
    return log;
fail:
    dn_runlog_close(log);
    return NULL;
}
