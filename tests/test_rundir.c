/* Run directories read back, and the legend words that tell runs apart
 * (src/files/rundir.c). */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A run directory as dropnet train leaves it, with two epochs. */
static void make_run(const char *dir, const dn_config *cfg, int with_steps)
{
    dn_err err = {0};
    dn_runlog *log = dn_runlog_open(dir, cfg, NULL, &err);
    cr_assert(log, "%s", err.msg);
    for (int e = 1; e <= 2; e++) {
        dn_step_point p = {e, 235, 235, 60000, 0.6 / e, 0.7 + 0.05 * e};
        cr_assert_eq(dn_runlog_step(log, &p, &err), DN_OK, "%s", err.msg);
        dn_epoch_stats st = {e, 0.6 / e, 0.7 + 0.05 * e, 0.65 / e, 0.68 + 0.05 * e, 1.0, false, 0, 0};
        cr_assert_eq(dn_runlog_epoch(log, &st, &err), DN_OK, "%s", err.msg);
    }
    dn_runlog_close(log);
    if (!with_steps) {
        char path[1100];
        snprintf(path, sizeof path, "%s/steps.csv", dir);
        cr_assert_eq(remove(path), 0);
    }
}

static dn_config d2l(void)
{
    dn_config c;
    dn_preset("d2l-2020", &c, NULL);
    return c;
}

Test(rundir, load)
{
    dn_config cfg = d2l();
    cfg.fit.seed = 7;
    const char *dir = tmp_path("run_a");
    make_run(dir, &cfg, 1);
    dn_run run;
    dn_err err = {0};
    cr_assert_eq(dn_run_load(dir, &run, &err), DN_OK, "%s", err.msg);
    cr_assert_str_eq(run.dir, dir);
    cr_assert_eq(run.cfg.fit.seed, 7);
    cr_assert_eq(run.cfg.arch.dropout[1], 0.5f);
    cr_assert_eq(run.metrics.n, 2);
    cr_assert_eq(run.metrics.col[DN_METRIC_TEST_LOSS][1], 0.65 / 2);
    cr_assert_eq(run.steps.n, 2);
    cr_assert_eq(run.steps.rows[1].train_loss, 0.6 / 2);
    dn_run_free(&run);

    /* Without steps.csv (a run of an older dropnet): no steps, no error. */
    const char *old = tmp_path("run_old");
    make_run(old, &cfg, 0);
    cr_assert_eq(dn_run_load(old, &run, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(run.metrics.n, 2);
    cr_assert_eq(run.steps.n, 0);
    dn_run_free(&run);
}

Test(rundir, defects)
{
    dn_run run;
    dn_err err = {0};
    const char *none = tmp_path("no_such_run");
    cr_assert_eq(dn_run_load(none, &run, &err), DN_EIO);
    cr_assert(strstr(err.msg, none) && strstr(err.msg, "no such run directory"), "%s", err.msg);

    const char *file = tmp_path("a_file");
    write_bytes(file, "x", 1, 0);
    cr_assert_eq(dn_run_load(file, &run, &err), DN_EIO);
    cr_assert(strstr(err.msg, "not a directory"), "%s", err.msg);

    dn_config cfg = d2l();
    const char *dir = tmp_path("run_bad");
    make_run(dir, &cfg, 1);
    char path[1100];
    /* A damaged steps.csv is an error naming it and its line. */
    snprintf(path, sizeof path, "%s/steps.csv", dir);
    const char *bad_steps =
        "epoch,step,steps_per_epoch,examples,train_loss,train_acc\n1,235,235,60000,0.6,0.75\n1,2";
    write_bytes(path, bad_steps, strlen(bad_steps), 0);
    cr_assert_eq(dn_run_load(dir, &run, &err), DN_EFORMAT);
    char want[1200];
    snprintf(want, sizeof want, "%s:3: truncated", path);
    cr_assert(strstr(err.msg, want), "'%s' lacks '%s'", err.msg, want);
    cr_assert_eq(run.metrics.n, 0); /* nothing half-loaded is left */
    /* So is a damaged metrics.csv. */
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    write_bytes(path, "epoch\n", 6, 0);
    cr_assert_eq(dn_run_load(dir, &run, &err), DN_EFORMAT);
    snprintf(want, sizeof want, "%s:1: header is not", path);
    cr_assert(strstr(err.msg, want), "'%s' lacks '%s'", err.msg, want);
    /* And a config.json that is not one. */
    snprintf(path, sizeof path, "%s/config.json", dir);
    write_bytes(path, "{\"inputs\": 784", 14, 0);
    cr_assert_eq(dn_run_load(dir, &run, &err), DN_EFORMAT);
    cr_assert(strstr(err.msg, path) && strstr(err.msg, "not valid JSON"), "%s", err.msg);
    remove(path);
    cr_assert_eq(dn_run_load(dir, &run, &err), DN_EIO);
    cr_assert(strstr(err.msg, path) && strstr(err.msg, "cannot open"), "%s", err.msg);
}

Test(rundir, labels_name_what_differs)
{
    dn_run runs[3];
    memset(runs, 0, sizeof runs);
    runs[0].cfg = d2l();
    runs[1].cfg = d2l();
    runs[1].cfg.arch.dropout[0] = 0.5f;
    runs[1].cfg.arch.dropout[1] = 0.2f;
    snprintf(runs[0].dir, sizeof runs[0].dir, "runs/a");
    snprintf(runs[1].dir, sizeof runs[1].dir, "runs/b/");
    char labels[3][DN_LABEL_MAX], common[400];
    dn_run_labels(runs, 2, labels, common, sizeof common);
    cr_assert_str_eq(labels[0], "dropout 0.2,0.5");
    cr_assert_str_eq(labels[1], "dropout 0.5,0.2");
    cr_assert_str_eq(common, "MLP 784-256-256-10 | init normal:0.01 | lr 0.5 | batch 256 | seed 1");

    /* Two settings differ: both are named, in a fixed order. */
    runs[1].cfg.fit.seed = 2;
    runs[1].cfg.fit.lr = 0.1f;
    dn_run_labels(runs, 2, labels, common, sizeof common);
    cr_assert_str_eq(labels[0], "dropout 0.2,0.5, lr 0.5, seed 1");
    cr_assert_str_eq(labels[1], "dropout 0.5,0.2, lr 0.1, seed 2");
    cr_assert_str_eq(common, "MLP 784-256-256-10 | init normal:0.01 | batch 256");

    /* Nothing differs: the directories' names tell them apart. */
    runs[1].cfg = d2l();
    dn_run_labels(runs, 2, labels, common, sizeof common);
    cr_assert_str_eq(labels[0], "a");
    cr_assert_str_eq(labels[1], "b");

    /* Two of three agree: those two get their directory added. */
    runs[2].cfg = d2l();
    runs[2].cfg.fit.batch_size = 128;
    snprintf(runs[2].dir, sizeof runs[2].dir, "c");
    dn_run_labels(runs, 3, labels, NULL, 0);
    cr_assert_str_eq(labels[0], "batch 256 (a)");
    cr_assert_str_eq(labels[1], "batch 256 (b)");
    cr_assert_str_eq(labels[2], "batch 128");

    /* Architecture, input dropout, weight decay, init and preset. */
    runs[1].cfg = d2l();
    runs[1].cfg.arch.n_hidden = 1;
    runs[1].cfg.arch.hidden[0] = 512;
    runs[1].cfg.arch.dropout[0] = 0.3f;
    runs[1].cfg.arch.input_dropout = 0.1f;
    runs[1].cfg.fit.weight_decay = 1e-4f;
    dn_preset("d2l", &runs[0].cfg, NULL);
    dn_run_labels(runs, 2, labels, common, sizeof common);
    cr_assert_str_eq(labels[0], "hidden 256,256, dropout 0.5,0.5, input dropout 0, init pytorch, "
                                "lr 0.1, weight decay 0, preset d2l");
    cr_assert_str_eq(labels[1], "hidden 512, dropout 0.3, input dropout 0.1, init normal:0.01, "
                                "lr 0.5, weight decay 0.0001, preset d2l-2020");
    cr_assert_str_eq(common, "batch 256 | seed 1");

    /* One run: everything is common. */
    runs[0].cfg = d2l();
    runs[0].cfg.arch.input_dropout = 0.2f;
    dn_run_labels(runs, 1, labels, common, sizeof common);
    cr_assert_str_eq(common, "MLP 784-256-256-10 | dropout 0.2,0.5 | input dropout 0.2 | "
                             "init normal:0.01 | lr 0.5 | batch 256 | seed 1");
}
