/* A failed allocation anywhere returns an error: each operation of the
 * library that reads or writes files (and building networks, training,
 * drawing) is run again and again with its first, second, third, ...
 * allocation failing, until it runs without meeting a failure. Every run
 * that meets one must return DN_ENOMEM with a one-line message, never
 * succeed with something missing, never crash (one exception: see
 * each_failure on cJSON's parser); in the sanitizer build,
 * LeakSanitizer checks that the error paths free what they took.
 *
 * The test binary is linked with -Wl,--wrap for malloc, calloc, realloc,
 * aligned_alloc and strdup: the library's calls (it is linked in
 * statically) go through the wrappers below; cJSON's go through its hooks.
 * Allocations inside other libraries (zlib, stdio, PLplot) are not covered. */
#include "core/internal.h"
#include "files/runlog.h"
#include "helpers.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
char *__real_strdup(const char *s);

static long countdown = -1; /* allocations left before one fails; -1: none fails */
static long failed;         /* allocations that failed in this run */

static int fail_now(void)
{
    if (countdown < 0)
        return 0;
    if (countdown-- == 0) {
        failed++;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return fail_now() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }
void *__wrap_aligned_alloc(size_t a, size_t n)
{
    return fail_now() ? NULL : __real_aligned_alloc(a, n);
}
char *__wrap_strdup(const char *s) { return fail_now() ? NULL : __real_strdup(s); }
static void *json_malloc(size_t n) { return __wrap_malloc(n); }

typedef int (*op_fn)(dn_err *err);

/* Runs op with allocation k failing, k = 0, 1, ..., until a run meets no
 * failure (which must then succeed). Returns the number of allocations. */
static long each_failure(const char *what, op_fn op)
{
    cJSON_InitHooks(&(cJSON_Hooks){json_malloc, free});
    long k = 0;
    for (;; k++) {
        cr_assert_lt(k, 100000, "%s: no end", what);
        dn_err err = {0};
        countdown = k;
        failed = 0;
        int rc = op(&err);
        countdown = -1;
        if (!failed) {
            cr_assert_eq(rc, DN_OK, "%s: fails with no allocation failing: %s", what, err.msg);
            break;
        }
        cr_assert_neq(rc, DN_OK, "%s: allocation %ld failed, yet it returned success", what, k);
        /* cJSON's parser returns NULL for a failed allocation as for a
         * syntax error, so those read as "not valid JSON": an error, with
         * the wrong reason, that only a machine out of memory gives. */
        int json_parse = rc == DN_EFORMAT && strstr(err.msg, "valid JSON");
        cr_assert(rc == DN_ENOMEM || json_parse,
                  "%s: allocation %ld failed: %s (%s) instead of out of memory", what, k,
                  dn_status_name((dn_status)rc), err.msg);
        cr_assert(err.msg[0] && !strchr(err.msg, '\n'), "%s: message '%s'", what, err.msg);
    }
    cJSON_InitHooks(NULL);
    /* Whatever any of the runs leaked is unreachable now. */
    cr_assert_eq(leaks_now(), 0, "%s: an error path leaks (LeakSanitizer's report above)", what);
    return k;
}

/* ---- the operations, each cleaning up after itself ---- */

static const char *csv_path(void)
{
    const char *p = tmp_path("data.csv");
    struct stat st;
    if (stat(p, &st) != 0) {
        FILE *f = fopen(p, "w");
        fprintf(f, "label,a,b,c\n");
        for (int i = 0; i < 40; i++)
            fprintf(f, "%d,%d,%g,%g\n", i % 3, i, i * 0.5, 1.0 / (i + 1));
        fclose(f);
    }
    return p;
}

static int op_csv(dn_err *err)
{
    dn_dataset ds;
    int rc = dn_csv_load(&ds, csv_path(), 0, 0, err);
    if (rc)
        return rc;
    float mean[3], std[3];
    rc = dn_feature_stats(&ds, mean, std, err);
    if (!rc)
        rc = dn_dataset_prepare(&ds, 1.0f, mean, std, err);
    dn_dataset_free(&ds);
    return rc;
}

static int op_idx(dn_err *err)
{
    const char *img = tmp_path("img.idx"), *lab = tmp_path("lab.idx");
    dn_dataset ds, head;
    int rc = dn_dataset_load(&ds, img, lab, err);
    if (rc)
        return rc;
    rc = dn_dataset_head(&head, &ds, 2, err);
    if (!rc)
        rc = dn_dataset_prepare(&head, 2.0f, NULL, NULL, err);
    dn_dataset_free(&head);
    dn_dataset_free(&ds);
    return rc;
}

static dn_net *small_net(dn_err *err)
{
    dn_mlp_spec s = {.inputs = 3, .outputs = 3, .n_hidden = 2, .hidden = {5, 4},
                     .dropout = {0.5f, 0.25f}, .input_dropout = 0.1f};
    dn_net *net = dn_net_mlp(&s, 8, err);
    if (net && dn_net_reset(net, (dn_init){DN_INIT_PYTORCH, 0}, 3, err)) {
        dn_net_free(net);
        return NULL;
    }
    return net;
}

static int op_net(dn_err *err)
{
    dn_net *net = small_net(err);
    if (!net)
        return err->code;
    dn_net_free(net);
    return DN_OK;
}

static int op_model(dn_err *err)
{
    dn_net *net = small_net(err);
    if (!net)
        return err->code;
    float mean[3] = {1, 2, 3}, std[3] = {0.5f, 1, 2};
    dn_model_info info = {.input_scale = 1.0f, .input_mean = mean, .input_std = std};
    snprintf(info.classes, sizeof info.classes, "a,b,c");
    const char *path = tmp_path("m.safetensors");
    int rc = dn_model_save(path, net, &info, err);
    dn_net_free(net);
    if (rc)
        return rc;
    dn_model_info back;
    net = dn_model_load(path, 4, &back, err);
    if (!net)
        return err->code;
    dn_model_info_free(&back);
    rc = dn_model_read_into(path, net, NULL, err);
    dn_net_free(net);
    return rc;
}

static int op_checkpoint(dn_err *err)
{
    dn_net *net = small_net(err);
    if (!net)
        return err->code;
    dn_epoch_stats rows[2] = {{1, 0.5, 0.5, 0.5, 0.5, 1, false, 0, 0}, {2, 0.25, 0.75, 0.5, 0.5, 1, false, 0, 0}};
    dn_checkpoint ck = {.epoch = 2, .step = 1, .steps_per_epoch = 3, .train_examples = 20,
                        .seed = 3, .loss_sum = 1.5, .correct = 2, .n_metrics = 2,
                        .metrics = rows, .config = "{\"x\": 1}"};
    const char *path = tmp_path("ck.safetensors");
    int rc = dn_checkpoint_save(path, net, NULL, &ck, err);
    dn_checkpoint back;
    if (!rc)
        rc = dn_checkpoint_load(path, net, NULL, &back, err);
    if (!rc)
        dn_checkpoint_free(&back);
    dn_net_free(net);
    return rc;
}

static int op_config(dn_err *err)
{
    dn_config cfg, back;
    dn_preset("d2l", &cfg, NULL);
    snprintf(cfg.csv.train, sizeof cfg.csv.train, "/a.csv");
    snprintf(cfg.csv.test, sizeof cfg.csv.test, "/b.csv");
    cfg.csv.scale = 2.0f;
    char *json = dn_config_json(&cfg, "/data", err);
    if (!json)
        return err->code;
    char dir[64];
    int rc = dn_config_parse(json, "config.json", &back, dir, sizeof dir, err);
    free(json);
    return rc;
}

/* A run directory written by the run log and read back. */
static int op_run(dn_err *err)
{
    static int n;
    char name[32];
    snprintf(name, sizeof name, "run%d", n++);
    const char *dir = tmp_path(name);
    dn_config cfg;
    dn_preset(NULL, &cfg, NULL);
    dn_runlog *log = dn_runlog_open(dir, &cfg, NULL, err);
    if (!log)
        return err->code;
    dn_epoch_stats row = {1, 0.5, 0.5, 0.5, 0.5, 1, false, 0, 0};
    dn_step_point p = {1, 3, 3, 30, 0.5, 0.5};
    int rc = dn_runlog_step(log, &p, err);
    if (!rc)
        rc = dn_runlog_epoch(log, &row, err);
    dn_runlog_close(log);
    if (rc)
        return rc;
    log = dn_runlog_resume(dir, &row, 1, 0, false, false, err);
    if (!log)
        return err->code;
    dn_runlog_close(log);
    dn_run run;
    if ((rc = dn_run_load(dir, &run, err)))
        return rc;
    char labels[1][DN_LABEL_MAX], common[256];
    dn_run_labels(&run, 1, labels, common, sizeof common);
    dn_run_free(&run);
    return DN_OK;
}

static int op_fit(dn_err *err)
{
    dn_dataset ds;
    int rc = dn_csv_load(&ds, csv_path(), 0, 0, err);
    if (rc)
        return rc;
    dn_net *net = small_net(err);
    if (!net) {
        dn_dataset_free(&ds);
        return err->code;
    }
    dn_fit_opts o;
    dn_fit_opts_default(&o);
    o.epochs = 1;
    o.batch_size = 8;
    uint8_t pred[4];
    size_t conf[9];
    double loss, acc;
    rc = dn_fit(net, &ds, &ds, &o, NULL, err);
    if (!rc)
        rc = dn_evaluate_confusion(net, &ds, &loss, &acc, conf, err);
    if (!rc)
        rc = dn_predict(net, &ds, 4, pred, err);
    dn_net_free(net);
    dn_dataset_free(&ds);
    return rc;
}

/* Curves of a run and a grid of predictions, drawn by PLplot (whose own
 * allocations are not covered; dropnet's around them are). */
static dn_run plot_run;
static dn_dataset plot_images;

static int op_plot(dn_err *err)
{
    int rc = dn_plot_curves(tmp_path("c.png"), &plot_run, 1, NULL, 0, 1.0, err);
    uint8_t pred[4] = {0, 1, 2, 3};
    if (!rc)
        rc = dn_plot_predictions(tmp_path("p.png"), &plot_images, pred, 4, NULL, "t", 1.0, err);
    return rc;
}

Test(allocfail, plot)
{
    dn_err err = {0};
    if (dn_plot_available(&err) == DN_EUNAVAILABLE)
        cr_skip_test("no cairo driver: %s", err.msg);
    cr_assert_eq(op_run(&err), DN_OK, "%s", err.msg);
    cr_assert_eq(dn_run_load(tmp_path("run0"), &plot_run, &err), DN_OK, "%s", err.msg);
    synthetic_dataset(&plot_images, 4, 1);
    cr_assert_gt(each_failure("figures", op_plot), 3);
    dn_run_free(&plot_run);
    dn_dataset_free(&plot_images);
}

/* A metrics.csv above the reader's first 64 KiB buffer, so that growing the
 * buffer fails too (it once ended the read there, as if the file were
 * shorter). */
static int op_long_metrics(dn_err *err)
{
    const char *p = tmp_path("long-metrics.csv");
    struct stat st;
    if (stat(p, &st) != 0) {
        FILE *f = fopen(p, "w");
        fprintf(f, "epoch,train_loss,train_acc,test_loss,test_acc,gap,seconds\n");
        for (int e = 1; e <= 3000; e++)
            fprintf(f, "%d,0.5,0.5,0.75,0.25,0.25,1.0\n", e);
        fclose(f);
    }
    dn_metrics m;
    int rc = dn_metrics_read(p, &m, err);
    if (rc)
        return rc;
    rc = m.n == 3000 ? DN_OK : dn_fail(err, DN_EFORMAT, "%zu rows read of 3000", (size_t)m.n);
    dn_metrics_free(&m);
    return rc;
}

Test(allocfail, long_metrics_file)
{
    cr_assert_gt(each_failure("metrics.csv above 64 KiB", op_long_metrics), 3);
}
Test(allocfail, csv) { cr_assert_gt(each_failure("dn_csv_load", op_csv), 3); }
Test(allocfail, idx)
{
    uint8_t px[3 * 784] = {0}, lb[3] = {1, 2, 3};
    write_idx(tmp_path("img.idx"), 3, (uint32_t[]){3, 28, 28}, px, sizeof px, 0);
    write_idx(tmp_path("lab.idx"), 1, (uint32_t[]){3}, lb, 3, 1);
    cr_assert_gt(each_failure("dn_dataset_load", op_idx), 3);
}
Test(allocfail, net) { cr_assert_gt(each_failure("dn_net_mlp", op_net), 3); }
Test(allocfail, model) { cr_assert_gt(each_failure("model files", op_model), 10); }
Test(allocfail, checkpoint) { cr_assert_gt(each_failure("checkpoints", op_checkpoint), 10); }
Test(allocfail, config) { cr_assert_gt(each_failure("config.json", op_config), 10); }
Test(allocfail, run_directory) { cr_assert_gt(each_failure("run directories", op_run), 5); }
Test(allocfail, fit) { cr_assert_gt(each_failure("dn_fit", op_fit), 5); }
