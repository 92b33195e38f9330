/* The run directory: config.json, per-epoch metrics and the training metrics
 * of steps.csv, flushed as they come so an interrupted run keeps every
 * finished epoch. */
#include "core/internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct dn_runlog {
    char dir[4096];
    FILE *csv, *jsonl, *steps;
};

static int mkdir_p(const char *path, dn_err *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return dn_fail(err, DN_EINVAL, "%s: path too long", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return dn_fail(err, DN_EWRITE, "%s: cannot create directory: %s", tmp,
                           strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return dn_fail(err, DN_EWRITE, "%s: cannot create directory: %s", tmp, strerror(errno));
    struct stat st;
    if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode))
        return dn_fail(err, DN_EWRITE, "%s: exists and is not a directory", tmp);
    return DN_OK;
}

static int write_file(const char *path, const char *text, dn_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return dn_fail(err, DN_EWRITE, "%s: cannot write: %s", path, strerror(errno));
    size_t n = strlen(text);
    int bad = fwrite(text, 1, n, f) != n || fputc('\n', f) == EOF;
    bad |= fclose(f) != 0;
    if (bad)
        return dn_fail(err, DN_EWRITE, "%s: write failed: %s", path, strerror(errno));
    return DN_OK;
}

dn_runlog *dn_runlog_open(const char *dir, const dn_run_config *cfg, const char *data_dir,
                          dn_err *err)
{
    dn_runlog *log = calloc(1, sizeof *log);
    if (!log) {
        dn_fail(err, DN_ENOMEM, "cannot allocate a run log");
        return NULL;
    }
    char path[4200];
    if (dir) {
        if (mkdir_p(dir, err))
            goto fail;
        snprintf(path, sizeof path, "%s/metrics.csv", dir);
        struct stat st;
        if (stat(path, &st) == 0) {
            dn_fail(err, DN_EINVAL, "%s: already holds a run (metrics.csv); choose another --out",
                    dir);
            goto fail;
        }
        snprintf(log->dir, sizeof log->dir, "%s", dir);
    } else {
        if (mkdir_p("runs", err))
            goto fail;
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        /* mkdir is atomic: the first name nobody holds is ours. */
        for (int k = 0;; k++) {
            if (k == 0)
                snprintf(log->dir, sizeof log->dir, "runs/%s", stamp);
            else
                snprintf(log->dir, sizeof log->dir, "runs/%s-%d", stamp, k);
            if (mkdir(log->dir, 0777) == 0)
                break;
            if (errno != EEXIST || k > 1000) {
                dn_fail(err, DN_EWRITE, "%s: cannot create directory: %s", log->dir,
                        strerror(errno));
                goto fail;
            }
        }
    }
    char *json = dn_config_json(cfg, data_dir, err);
    if (!json)
        goto fail;
    snprintf(path, sizeof path, "%s/config.json", log->dir);
    int rc = write_file(path, json, err);
    free(json);
    if (rc)
        goto fail;
    snprintf(path, sizeof path, "%s/metrics.csv", log->dir);
    log->csv = fopen(path, "w");
    if (!log->csv) {
        dn_fail(err, DN_EWRITE, "%s: cannot write: %s", path, strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/metrics.jsonl", log->dir);
    log->jsonl = fopen(path, "w");
    if (!log->jsonl) {
        dn_fail(err, DN_EWRITE, "%s: cannot write: %s", path, strerror(errno));
        goto fail;
    }
    if (fprintf(log->csv, "epoch,train_loss,train_acc,test_loss,test_acc,gap,seconds\n") < 0 ||
        fflush(log->csv) != 0) {
        dn_fail(err, DN_EWRITE, "%s/metrics.csv: write failed: %s", log->dir, strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/steps.csv", log->dir);
    log->steps = fopen(path, "w");
    if (!log->steps || fprintf(log->steps, "epoch,step,steps_per_epoch,examples,train_loss,"
                                           "train_acc\n") < 0 ||
        fflush(log->steps) != 0) {
        dn_fail(err, DN_EWRITE, "%s: cannot write: %s", path, strerror(errno));
        goto fail;
    }
    return log;
fail:
    dn_runlog_close(log);
    return NULL;
}

const char *dn_runlog_dir(const dn_runlog *log) { return log->dir; }

int dn_runlog_epoch(dn_runlog *log, const dn_epoch_stats *s, dn_err *err)
{
    double gap = s->train_acc - s->test_acc;
    /* %.17g: the numbers read back exactly; metrics are for machines too. */
    int bad = fprintf(log->csv, "%d,%.17g,%.17g,%.17g,%.17g,%.17g,%.6f\n", s->epoch,
                      s->train_loss, s->train_acc, s->test_loss, s->test_acc, gap,
                      s->seconds) < 0;
    bad |= fflush(log->csv) != 0;
    if (bad)
        return dn_fail(err, DN_EWRITE, "%s/metrics.csv: write failed: %s", log->dir,
                       strerror(errno));
    bad = fprintf(log->jsonl,
                  "{\"epoch\":%d,\"train_loss\":%.17g,\"train_acc\":%.17g,\"test_loss\":%.17g,"
                  "\"test_acc\":%.17g,\"gap\":%.17g,\"seconds\":%.6f}\n",
                  s->epoch, s->train_loss, s->train_acc, s->test_loss, s->test_acc, gap,
                  s->seconds) < 0;
    bad |= fflush(log->jsonl) != 0;
    if (bad)
        return dn_fail(err, DN_EWRITE, "%s/metrics.jsonl: write failed: %s", log->dir,
                       strerror(errno));
    return DN_OK;
}

int dn_runlog_step(dn_runlog *log, const dn_step_point *p, dn_err *err)
{
    int bad = fprintf(log->steps, "%d,%zu,%zu,%zu,%.17g,%.17g\n", p->epoch, p->step,
                      p->steps_per_epoch, p->examples, p->train_loss, p->train_acc) < 0;
    bad |= fflush(log->steps) != 0;
    if (bad)
        return dn_fail(err, DN_EWRITE, "%s/steps.csv: write failed: %s", log->dir,
                       strerror(errno));
    return DN_OK;
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
    free(log);
}

/* steps.csv of a resumed run: the header and the complete rows up to the
 * checkpoint (epochs 1..n, then steps 1..step of epoch n + 1), into a
 * temporary file renamed into place; a crash may have left rows beyond the
 * checkpoint, or half a row. */
static int rewind_steps(const char *dir, int n, size_t step, dn_err *err)
{
    char path[4200], tmp[4300], line[512];
    snprintf(path, sizeof path, "%s/steps.csv", dir);
    snprintf(tmp, sizeof tmp, "%s.resume", path);
    FILE *in = fopen(path, "r"), *out = fopen(tmp, "w");
    if (!out) {
        if (in)
            fclose(in);
        return dn_fail(err, DN_EWRITE, "%s: cannot write: %s", tmp, strerror(errno));
    }
    int bad = fprintf(out, "epoch,step,steps_per_epoch,examples,train_loss,train_acc\n") < 0;
    if (in) {
        int first = 1;
        while (fgets(line, sizeof line, in)) {
            size_t len = strlen(line);
            if (len == 0 || line[len - 1] != '\n')
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
                bad |= fputs(line, out) == EOF;
        }
        fclose(in);
    }
    bad |= fflush(out) != 0 || fsync(fileno(out)) != 0;
    bad |= fclose(out) != 0;
    if (bad || rename(tmp, path) != 0)
        return dn_fail(err, DN_EWRITE, "%s: cannot rewrite: %s", path, strerror(errno));
    return DN_OK;
}

/* Resuming: the metrics files are rebuilt from the checkpoint's rows (a
 * crash may have left one epoch more in them than the checkpoint holds), in
 * temporary files renamed into place, then opened for appending. */
dn_runlog *dn_runlog_resume(const char *dir, const dn_epoch_stats *rows, int n, size_t step,
                            dn_err *err)
{
    dn_runlog *log = calloc(1, sizeof *log);
    if (!log) {
        dn_fail(err, DN_ENOMEM, "cannot allocate a run log");
        return NULL;
    }
    if (snprintf(log->dir, sizeof log->dir, "%s", dir) >= (int)sizeof log->dir) {
        dn_fail(err, DN_EINVAL, "%s: path too long", dir);
        goto fail;
    }
    char csv[4200], jsonl[4200], tcsv[4300], tjsonl[4300];
    snprintf(csv, sizeof csv, "%s/metrics.csv", dir);
    snprintf(jsonl, sizeof jsonl, "%s/metrics.jsonl", dir);
    snprintf(tcsv, sizeof tcsv, "%s.resume", csv);
    snprintf(tjsonl, sizeof tjsonl, "%s.resume", jsonl);
    log->csv = fopen(tcsv, "w");
    log->jsonl = fopen(tjsonl, "w");
    if (!log->csv || !log->jsonl) {
        dn_fail(err, DN_EWRITE, "%s: cannot write: %s", log->csv ? tjsonl : tcsv,
                strerror(errno));
        goto fail;
    }
    if (fprintf(log->csv, "epoch,train_loss,train_acc,test_loss,test_acc,gap,seconds\n") < 0) {
        dn_fail(err, DN_EWRITE, "%s: write failed: %s", tcsv, strerror(errno));
        goto fail;
    }
    for (int i = 0; i < n; i++)
        if (dn_runlog_epoch(log, &rows[i], err))
            goto fail;
    int bad = fsync(fileno(log->csv)) != 0 || fsync(fileno(log->jsonl)) != 0;
    bad |= fclose(log->csv) != 0;
    bad |= fclose(log->jsonl) != 0;
    log->csv = log->jsonl = NULL;
    if (bad || rename(tcsv, csv) != 0 || rename(tjsonl, jsonl) != 0) {
        dn_fail(err, DN_EWRITE, "%s: cannot rewrite the metrics files: %s", dir, strerror(errno));
        goto fail;
    }
    if (rewind_steps(dir, n, step, err))
        goto fail;
    char steps[4200];
    snprintf(steps, sizeof steps, "%s/steps.csv", dir);
    log->csv = fopen(csv, "a");
    log->jsonl = fopen(jsonl, "a");
    log->steps = fopen(steps, "a");
    if (!log->csv || !log->jsonl || !log->steps) {
        dn_fail(err, DN_EWRITE, "%s: cannot append to the metrics files: %s", dir,
                strerror(errno));
        goto fail;
    }
    return log;
fail:
    dn_runlog_close(log);
    return NULL;
}
