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
