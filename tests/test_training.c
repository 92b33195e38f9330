/* Crash-safe runs through the library alone (src/train/resume.c): a run
 * stopped by the program's stop flag at several points and resumed with
 * dn_training_open ends with the bytes of model.safetensors and metrics.csv
 * of a run never stopped; the checkpoint is written before the metrics row;
 * a checkpoint of another run is refused. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dn_config config(void)
{
    dn_config cfg;
    cr_assert_eq(dn_preset("d2l-2020", &cfg, NULL), DN_OK);
    cfg.arch.n_hidden = 1;
    cfg.arch.hidden[0] = 16;
    cfg.arch.dropout[0] = 0.3f;
    cfg.fit.epochs = 3;
    cfg.fit.batch_size = 64; /* 400 examples: 7 steps, the last one of 16 rows */
    cfg.fit.lr = 0.1f;
    cfg.fit.seed = 5;
    return cfg;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    char *b = malloc(1 << 20);
    *len = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static void same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    cr_assert(na == nb && memcmp(x, y, na) == 0, "%s and %s differ", a, b);
    free(x);
    free(y);
}

/* metrics.csv without its seconds column (the last one). */
static void same_metrics(const char *dir_a, const char *dir_b)
{
    char pa[1200], pb[1200];
    snprintf(pa, sizeof pa, "%s/metrics.csv", dir_a);
    snprintf(pb, sizeof pb, "%s/metrics.csv", dir_b);
    size_t na, nb;
    char *x = slurp(pa, &na), *y = slurp(pb, &nb);
    x[na] = y[nb] = '\0';
    char *sa, *sb;
    char *la = strtok_r(x, "\n", &sa), *lb = strtok_r(y, "\n", &sb);
    int rows = 0;
    while (la && lb) {
        *strrchr(la, ',') = *strrchr(lb, ',') = '\0';
        cr_assert_str_eq(la, lb, "row %d", rows);
        rows++;
        la = strtok_r(NULL, "\n", &sa);
        lb = strtok_r(NULL, "\n", &sb);
    }
    cr_assert(!la && !lb, "metrics.csv of %s and %s have different row counts", dir_a, dir_b);
    cr_assert_eq(rows, 4, "header and 3 epochs, not %d rows", rows);
    free(x);
    free(y);
}

typedef struct {
    volatile sig_atomic_t *flag;
    long stop_at; /* global step (1-based) after which the flag is set */
    long steps;
    const char *dir;
    int saved_epochs;
} stopper;

/* Sets the flag as a signal handler would, after a given step. */
static int set_flag(void *user, const dn_step_stats *st)
{
    stopper *s = user;
    s->steps = (long)((size_t)(st->epoch - 1) * st->steps_per_epoch + st->step);
    if (s->steps == s->stop_at)
        *s->flag = 1;
    return 0;
}

/* After an epoch is saved, metrics.csv holds it and the checkpoint says so. */
static int check_saved(void *user, const dn_epoch_stats *st)
{
    stopper *s = user;
    char path[1200];
    snprintf(path, sizeof path, "%s/metrics.csv", s->dir);
    dn_metrics m;
    dn_err err = {0};
    cr_assert_eq(dn_metrics_read(path, &m, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(m.n, (size_t)st->epoch, "metrics.csv has %zu rows after epoch %d", m.n,
                 st->epoch);
    dn_metrics_free(&m);
    s->saved_epochs++;
    return 0;
}

static int train_in(const char *dir, int resume, volatile sig_atomic_t *flag, stopper *st,
                    const dn_dataset *train, const dn_dataset *test, dn_training_state *out)
{
    dn_config cfg = config();
    dn_err err = {0};
    dn_net *net = dn_net_mlp(&cfg.arch, 64, &err);
    cr_assert_not_null(net, "%s", err.msg);
    cr_assert_eq(dn_net_reset(net, cfg.init, cfg.fit.seed, &err), DN_OK);
    dn_model_info info = {.input_scale = 255.0f, .input_rows = 28, .input_cols = 28};
    st->dir = dir;
    dn_training_opts o = {.dir = dir,
                          .resume = resume,
                          .log_every = 3,
                          .stop = flag,
                          .on_step = set_flag,
                          .on_saved = check_saved,
                          .user = st};
    dn_training *t = dn_training_open(&o, &cfg, net, &info, train->n, &err);
    cr_assert_not_null(t, "%s", err.msg);
    int rc = dn_training_run(t, train, test, &err);
    dn_training_get(t, out);
    cr_assert(rc == DN_OK || rc == DN_ESTOPPED, "%s", err.msg);
    if (rc == DN_ESTOPPED)
        cr_assert(strstr(err.msg, dir), "the message names the run: %s", err.msg);
    dn_training_close(t);
    dn_net_free(net);
    return rc;
}

Test(training, stopped_and_resumed_runs_end_with_the_bits_of_an_uninterrupted_one)
{
    dn_dataset train, test;
    synthetic_dataset(&train, 400, 1);
    synthetic_dataset(&test, 100, 2);
    volatile sig_atomic_t flag = 0;
    stopper st = {.flag = &flag, .stop_at = -1};
    dn_training_state s;
    const char *whole = tmp_path("whole");
    cr_assert_eq(train_in(whole, 0, &flag, &st, &train, &test, &s), DN_OK);
    cr_assert_eq(st.saved_epochs, 3);
    cr_assert_eq(s.steps_per_epoch, 7);
    cr_assert(!s.stopped);
    char want_model[1200];
    snprintf(want_model, sizeof want_model, "%s/model.safetensors", whole);

    /* The flag set by step k is read after step k + 1 (the step hook runs
     * after the library's check), or at the end of the epoch when k is its
     * last step: stops mid-epoch, after the last step of an epoch before its
     * evaluation, at an epoch boundary, and in later epochs. */
    long stops[] = {3, 6, 7, 8, 16};
    for (size_t k = 0; k < sizeof stops / sizeof *stops; k++) {
        char name[32], model[1200];
        snprintf(name, sizeof name, "stop%ld", stops[k]);
        const char *dir = tmp_path(name);
        flag = 0;
        stopper a = {.flag = &flag, .stop_at = stops[k]};
        cr_assert_eq(train_in(dir, 0, &flag, &a, &train, &test, &s), DN_ESTOPPED);
        cr_assert(s.stopped);
        long done = (long)s.epoch * 7 + (long)s.step;
        long expect = stops[k] % 7 == 0 ? stops[k] : stops[k] + 1;
        cr_assert_eq(done, expect, "stopped after step %ld, not %ld", done, expect);
        cr_assert_eq(s.n_metrics, s.epoch);
        flag = 0;
        stopper b = {.flag = &flag, .stop_at = -1};
        cr_assert_eq(train_in(dir, 1, &flag, &b, &train, &test, &s), DN_OK);
        cr_assert_eq(s.n_metrics, 3);
        snprintf(model, sizeof model, "%s/model.safetensors", dir);
        same_file(want_model, model);
        same_metrics(whole, dir);
    }
    dn_dataset_free(&train);
    dn_dataset_free(&test);
}

Test(training, a_checkpoint_of_another_run_is_refused)
{
    dn_dataset train, test;
    synthetic_dataset(&train, 400, 1);
    synthetic_dataset(&test, 100, 2);
    volatile sig_atomic_t flag = 0;
    stopper st = {.flag = &flag, .stop_at = 3};
    dn_training_state s;
    const char *dir = tmp_path("other");
    cr_assert_eq(train_in(dir, 0, &flag, &st, &train, &test, &s), DN_ESTOPPED);
    /* Resumed on a smaller training set: another run's steps. */
    dn_dataset small;
    dn_err err = {0};
    cr_assert_eq(dn_dataset_head(&small, &train, 300, &err), DN_OK);
    dn_config cfg = config();
    dn_net *net = dn_net_mlp(&cfg.arch, 64, &err);
    dn_training_opts o = {.dir = dir, .resume = true};
    dn_model_info info = {.input_scale = 255.0f};
    dn_training *t = dn_training_open(&o, &cfg, net, &info, small.n, &err);
    cr_assert_null(t);
    cr_assert_eq(err.code, DN_EFORMAT);
    cr_assert(strstr(err.msg, "from another run"), "%s", err.msg);
    /* A directory with no run at all. */
    o.dir = tmp_path("nothing-here");
    t = dn_training_open(&o, &cfg, net, &info, train.n, &err);
    cr_assert_null(t);
    cr_assert_neq(err.code, DN_OK);
    cr_assert(strstr(err.msg, "nothing-here"), "%s", err.msg);
    dn_net_free(net);
    dn_dataset_free(&small);
    dn_dataset_free(&train);
    dn_dataset_free(&test);
}
