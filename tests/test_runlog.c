/* The run directory's writer (src/files/runlog.c): one training per directory
 * (the lock), config.json written whole, temporaries of a killed run removed
 * on resume, metrics rebuilt from the checkpoint's rows, and a failed row
 * reported. */
#include "helpers.h"
#include "files/runlog.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static dn_config config(void)
{
    dn_config cfg;
    dn_preset(NULL, &cfg, NULL);
    cfg.fit.epochs = 3;
    return cfg;
}

static int exists(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat(path, &st) == 0;
}

static char *slurp(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    static char buf[4][8192];
    static int k;
    char *b = buf[k++ % 4];
    size_t n = fread(b, 1, sizeof buf[0] - 1, f);
    b[n] = '\0';
    fclose(f);
    return b;
}

/* A second training on the same directory is refused while the first holds
 * it, whether it starts afresh or resumes; closing the log releases it. */
Test(runlog, one_training_per_directory)
{
    dn_config cfg = config();
    const char *dir = tmp_path("locked");
    dn_err err = {0};
    dn_runlog *a = dn_runlog_open(dir, &cfg, NULL, &err);
    cr_assert_not_null(a, "%s", err.msg);
    cr_assert(exists(dir, ".lock"));
    dn_runlog *b = dn_runlog_open(dir, &cfg, NULL, &err);
    cr_assert_null(b, "two logs on one directory");
    cr_assert_eq(err.code, DN_EINVAL);
    cr_assert(strstr(err.msg, "in use by another dropnet train"), "%s", err.msg);
    cr_assert(strstr(err.msg, dir), "names the directory: %s", err.msg);
    b = dn_runlog_resume(dir, NULL, 0, 0, false, false, &err);
    cr_assert_null(b, "a resume beside a running training");
    cr_assert(strstr(err.msg, "in use by another dropnet train"), "%s", err.msg);
    /* The refused attempts wrote nothing: the first log's files are whole. */
    cr_assert_str_eq(slurp(dir, "metrics.csv"),
                     "epoch,train_loss,train_acc,test_loss,test_acc,gap,seconds\n");
    dn_runlog_close(a);
    b = dn_runlog_resume(dir, NULL, 0, 0, false, false, &err);
    cr_assert_not_null(b, "released on close: %s", err.msg);
    dn_runlog_close(b);
}

/* config.json is written like every file for users (temporary file,
 * renamed), and the run refuses a directory that already holds a run. */
Test(runlog, config_written_whole)
{
    dn_config cfg = config(), back;
    const char *dir = tmp_path("whole");
    dn_err err = {0};
    dn_runlog *log = dn_runlog_open(dir, &cfg, "/data/fm", &err);
    cr_assert_not_null(log, "%s", err.msg);
    char data[256];
    cr_assert_eq(dn_config_parse(slurp(dir, "config.json"), "config.json", &back, data,
                                 sizeof data, &err), DN_OK, "%s", err.msg);
    cr_assert_null(dn_config_differs(&cfg, &back));
    cr_assert_str_eq(data, "/data/fm");
    cr_assert(!exists(dir, "config.json.tmp0"));
    dn_runlog_close(log);
    /* A run that recorded no epoch (it diverged, say) leaves its directory
     * free for a new run; one with an epoch is refused, with the way on. */
    log = dn_runlog_open(dir, &cfg, NULL, &err);
    cr_assert_not_null(log, "%s", err.msg);
    dn_epoch_stats row = {.epoch = 1, .train_loss = 0.5, .train_acc = 0.5, .test_loss = 0.5,
                          .test_acc = 0.5, .seconds = 1};
    cr_assert_eq(dn_runlog_epoch(log, &row, &err), DN_OK, "%s", err.msg);
    dn_runlog_close(log);
    cr_assert_null(dn_runlog_open(dir, &cfg, NULL, &err));
    cr_assert(strstr(err.msg, "already holds a run (1 epoch in metrics.csv); continue or extend it "
                              "with dropnet train --resume"), "%s", err.msg);
    /* A directory of another kind is never a run's. */
    const char *other = tmp_path("other");
    cr_assert_eq(dn_dir_claim(other, DN_DIR_SWEEP, NULL, &err), DN_OK, "%s", err.msg);
    cr_assert_null(dn_runlog_open(other, &cfg, NULL, &err));
    cr_assert(strstr(err.msg, "holds a dropnet sweep experiment, not a training run"), "%s",
              err.msg);
    cr_assert(!exists(other, ".lock"), "refused before the lock");
}

/* Resuming removes what writes of a killed process left (NAME.tmpPID of
 * dropnet's files, nothing else), rebuilds the metrics files from the
 * checkpoint's rows and cuts steps.csv back to the checkpoint. */
Test(runlog, resume_cleans_and_rewinds)
{
    dn_config cfg = config();
    const char *dir = tmp_path("resume");
    dn_err err = {0};
    dn_runlog *log = dn_runlog_open(dir, &cfg, NULL, &err);
    cr_assert_not_null(log, "%s", err.msg);
    dn_epoch_stats rows[2] = {{1, 0.5, 0.75, 0.25, 0.5, 1.0, false, 0, 0}, {2, 0.25, 0.875, 0.5, 0.625, 2.0, false, 0, 0}};
    for (int e = 0; e < 2; e++) {
        for (size_t s = 1; s <= 4; s++) {
            dn_step_point p = {e + 1, s, 4, 10, 0.5, 0.5};
            cr_assert_eq(dn_runlog_step(log, &p, &err), DN_OK, "%s", err.msg);
        }
        cr_assert_eq(dn_runlog_epoch(log, &rows[e], &err), DN_OK, "%s", err.msg);
    }
    dn_step_point p = {3, 1, 4, 10, 0.5, 0.5};
    cr_assert_eq(dn_runlog_step(log, &p, &err), DN_OK);
    dn_runlog_close(log);
    /* What a SIGKILL in the middle of writes leaves. */
    const char *leftovers[] = {"checkpoint.safetensors.tmp4242", "model.safetensors.tmp7",
                               "metrics.csv.tmp12", "curves.png.tmp99"};
    const char *kept[] = {"notes.tmp1", "checkpoint.safetensors.tmpx", "mine.safetensors.tmp3"};
    char path[1200];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, leftovers[i]);
        write_bytes(path, "half", 4, 0);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, kept[i]);
        write_bytes(path, "mine", 4, 0);
    }
    /* The checkpoint was taken after epoch 1 and step 2 of epoch 2. */
    log = dn_runlog_resume(dir, rows, 1, 2, false, false, &err);
    cr_assert_not_null(log, "%s", err.msg);
    for (int i = 0; i < 4; i++)
        cr_assert(!exists(dir, leftovers[i]), "%s left", leftovers[i]);
    for (int i = 0; i < 3; i++)
        cr_assert(exists(dir, kept[i]), "%s removed", kept[i]);
    dn_metrics m;
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    cr_assert_eq(dn_metrics_read(path, &m, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(m.n, 1);
    cr_assert_eq(m.col[DN_METRIC_TEST_ACC][0], 0.5);
    dn_metrics_free(&m);
    cr_assert_eq(dn_runlog_epoch(log, &rows[1], &err), DN_OK, "appends after the rebuilt rows");
    dn_runlog_close(log);
    cr_assert_eq(dn_metrics_read(path, &m, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(m.n, 2);
    dn_metrics_free(&m);
    dn_steps st;
    snprintf(path, sizeof path, "%s/steps.csv", dir);
    cr_assert_eq(dn_steps_read(path, &st, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(st.n, 6, "epoch 1's four rows and steps 1, 2 of epoch 2");
    cr_assert_eq(st.rows[5].epoch, 2);
    cr_assert_eq(st.rows[5].step, 2);
    dn_steps_free(&st);
    cr_assert_eq(strlen(slurp(dir, "metrics.jsonl")) > 0, 1);
}

/* A row that cannot be written (the fault switch: a full disk) is an error
 * naming the file, and the file keeps the rows before it. */
Test(runlog, failed_row_is_reported)
{
    dn_config cfg = config();
    const char *dir = tmp_path("full");
    dn_err err = {0};
    dn_runlog *log = dn_runlog_open(dir, &cfg, NULL, &err);
    cr_assert_not_null(log, "%s", err.msg);
    dn_epoch_stats row = {1, 0.5, 0.75, 0.25, 0.5, 1.0, false, 0, 0};
    cr_assert_eq(dn_runlog_epoch(log, &row, &err), DN_OK);
    setenv("DROPNET_FAULT_WRITE", "steps.csv,metrics.csv", 1);
    row.epoch = 2;
    cr_assert_eq(dn_runlog_epoch(log, &row, &err), DN_EWRITE);
    cr_assert(strstr(err.msg, "metrics.csv: write failed: No space left on device"), "%s",
              err.msg);
    dn_step_point p = {2, 1, 4, 10, 0.5, 0.5};
    cr_assert_eq(dn_runlog_step(log, &p, &err), DN_EWRITE);
    cr_assert(strstr(err.msg, "steps.csv: write failed"), "%s", err.msg);
    unsetenv("DROPNET_FAULT_WRITE");
    dn_runlog_close(log);
    dn_metrics m;
    char path[1200];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    cr_assert_eq(dn_metrics_read(path, &m, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(m.n, 1);
    dn_metrics_free(&m);
    /* A run directory that cannot be written at all: config.json fails. */
    setenv("DROPNET_FAULT_WRITE", "config.json", 1);
    cr_assert_null(dn_runlog_open(tmp_path("full2"), &cfg, NULL, &err));
    cr_assert(strstr(err.msg, "config.json: write failed"), "%s", err.msg);
    cr_assert(!exists(tmp_path("full2"), "config.json"), "no half config.json");
}
