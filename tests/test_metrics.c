/* The strict readers of metrics.csv and steps.csv (src/files/metrics.c), fed by
 * what dn_runlog writes and by files damaged on purpose. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *metrics_header = "epoch,train_loss,train_acc,test_loss,test_acc,gap,seconds\n";
static const char *steps_header = "epoch,step,steps_per_epoch,examples,train_loss,train_acc\n";

static const char *write_text(const char *name, const char *text)
{
    const char *path = tmp_path(name);
    write_bytes(path, text, strlen(text), 0);
    return path;
}

/* The reader fails with DN_EFORMAT and a message "PATH:LINE: ..." holding
 * words. */
static void expect_metrics_error(const char *name, const char *text, int line, const char *words)
{
    const char *path = write_text(name, text);
    dn_metrics m;
    dn_err err = {0};
    cr_assert_eq(dn_metrics_read(path, &m, &err), DN_EFORMAT, "%s: accepted", name);
    char where[1200];
    snprintf(where, sizeof where, "%s:%d: ", path, line);
    cr_assert(strstr(err.msg, where) == err.msg, "%s: message '%s' does not start with '%s'",
              name, err.msg, where);
    cr_assert(strstr(err.msg, words), "%s: message '%s' lacks '%s'", name, err.msg, words);
    cr_assert_eq(m.n, 0);
    cr_assert_null(m.epoch);
    cr_assert_eq(leaks_now(), 0, "the error path leaks (LeakSanitizer's report above)");
}

static void expect_steps_error(const char *name, const char *text, int line, const char *words)
{
    const char *path = write_text(name, text);
    dn_steps s;
    dn_err err = {0};
    cr_assert_eq(dn_steps_read(path, &s, &err), DN_EFORMAT, "%s: accepted", name);
    char where[1200];
    snprintf(where, sizeof where, "%s:%d: ", path, line);
    cr_assert(strstr(err.msg, where) == err.msg, "%s: message '%s' does not start with '%s'",
              name, err.msg, where);
    cr_assert(strstr(err.msg, words), "%s: message '%s' lacks '%s'", name, err.msg, words);
    cr_assert_eq(s.n, 0);
    cr_assert_null(s.rows);
    cr_assert_eq(leaks_now(), 0, "the error path leaks (LeakSanitizer's report above)");
}

Test(metrics, names)
{
    dn_metric m;
    for (int i = 0; i < DN_METRIC_COUNT; i++) {
        cr_assert_eq(dn_metric_parse(dn_metric_name((dn_metric)i), &m, NULL), DN_OK);
        cr_assert_eq((int)m, i);
    }
    cr_assert_str_eq(dn_metric_name(DN_METRIC_TEST_ACC), "test_acc");
    dn_err err = {0};
    cr_assert_eq(dn_metric_parse("test_accuracy", &m, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "'test_accuracy'") && strstr(err.msg, "train_loss"), "%s",
              err.msg);
}

/* What dn_runlog writes reads back exactly (17 significant digits). */
Test(metrics, runlog_round_trip)
{
    dn_config cfg;
    dn_preset("d2l-2020", &cfg, NULL);
    dn_err err = {0};
    const char *dir = tmp_path("roundtrip");
    dn_runlog *log = dn_runlog_open(dir, &cfg, "/data", &err);
    cr_assert(log, "%s", err.msg);
    dn_epoch_stats st[3];
    dn_step_point sp[6];
    for (int e = 0; e < 3; e++) {
        for (int k = 0; k < 2; k++) {
            dn_step_point *p = &sp[2 * e + k];
            *p = (dn_step_point){e + 1, k ? 235 : 118, 235, k ? 29696 : 30208,
                                 1.0 / (3.0 + e + 0.1 * k), 0.5 + 0.1 * e + 0.01 * k};
            cr_assert_eq(dn_runlog_step(log, p, &err), DN_OK, "%s", err.msg);
        }
        st[e] = (dn_epoch_stats){e + 1, 1.0 / 3.0 + e, 0.1 * (e + 1), 3.14159265358979 / (e + 1),
                                 0.7 + 0.05 * e, 0.25 * e, false, 0, 0};
        cr_assert_eq(dn_runlog_epoch(log, &st[e], &err), DN_OK, "%s", err.msg);
    }
    dn_runlog_close(log);

    char path[1100];
    dn_metrics m;
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    cr_assert_eq(dn_metrics_read(path, &m, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(m.n, 3);
    for (int e = 0; e < 3; e++) {
        cr_assert_eq(m.epoch[e], e + 1);
        cr_assert_eq(m.col[DN_METRIC_TRAIN_LOSS][e], st[e].train_loss);
        cr_assert_eq(m.col[DN_METRIC_TRAIN_ACC][e], st[e].train_acc);
        cr_assert_eq(m.col[DN_METRIC_TEST_LOSS][e], st[e].test_loss);
        cr_assert_eq(m.col[DN_METRIC_TEST_ACC][e], st[e].test_acc);
        cr_assert_eq(m.col[DN_METRIC_GAP][e], st[e].train_acc - st[e].test_acc);
        /* seconds are written with 6 decimals */
        cr_assert_float_eq(m.col[DN_METRIC_SECONDS][e], st[e].seconds, 1e-6);
    }
    dn_metrics_free(&m);
    cr_assert_eq(m.n, 0);

    dn_steps s;
    snprintf(path, sizeof path, "%s/steps.csv", dir);
    cr_assert_eq(dn_steps_read(path, &s, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(s.n, 6);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(s.rows[i].epoch, sp[i].epoch);
        cr_assert_eq(s.rows[i].step, sp[i].step);
        cr_assert_eq(s.rows[i].steps_per_epoch, 235);
        cr_assert_eq(s.rows[i].examples, sp[i].examples);
        cr_assert_eq(s.rows[i].train_loss, sp[i].train_loss);
        cr_assert_eq(s.rows[i].train_acc, sp[i].train_acc);
    }
    cr_assert_float_eq(dn_step_progress(&s.rows[0]), 118.0 / 235.0, 1e-15);
    cr_assert_float_eq(dn_step_progress(&s.rows[5]), 3.0, 1e-15);
    dn_steps_free(&s);
}

Test(metrics, header_only_and_nan_test_columns)
{
    dn_metrics m;
    dn_err err = {0};
    cr_assert_eq(dn_metrics_read(write_text("hdr.csv", metrics_header), &m, &err), DN_OK, "%s",
                 err.msg);
    cr_assert_eq(m.n, 0);
    dn_metrics_free(&m);
    /* A run without a test set writes nan in the test columns and the gap;
     * a CRLF line end (a file saved by a spreadsheet) is accepted. */
    char text[512];
    snprintf(text, sizeof text, "%s1,0.5,0.8,nan,nan,nan,1.5\r\n2,0.4,0.85,0.45,0.84,0.01,1.4\n",
             metrics_header);
    cr_assert_eq(dn_metrics_read(write_text("nan.csv", text), &m, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(m.n, 2);
    cr_assert(isnan(m.col[DN_METRIC_TEST_ACC][0]));
    cr_assert_eq(m.col[DN_METRIC_TEST_ACC][1], 0.84);
    cr_assert_eq(m.col[DN_METRIC_SECONDS][0], 1.5);
    dn_metrics_free(&m);
}

/* A run with a validation split adds val_loss and val_acc after the other
 * columns; one without has them as NaN, and says so. */
Test(metrics, validation_columns_when_present)
{
    dn_metrics m;
    dn_err err = {0};
    char text[512];
    snprintf(text, sizeof text, "%s1,0.5,0.8,0.6,0.75,0.05,1.5\n", metrics_header);
    cr_assert_eq(dn_metrics_read(write_text("noval.csv", text), &m, &err), DN_OK, "%s", err.msg);
    cr_assert(!m.has_val);
    cr_assert(isnan(m.col[DN_METRIC_VAL_LOSS][0]));
    cr_assert(isnan(m.col[DN_METRIC_VAL_ACC][0]));
    dn_metrics_free(&m);
    const char *vh = "epoch,train_loss,train_acc,test_loss,test_acc,gap,seconds,val_loss,val_acc\n";
    snprintf(text, sizeof text, "%s1,0.5,0.8,0.6,0.75,0.05,1.5,0.55,0.78\n"
                                "2,0.4,0.85,0.45,0.84,0.01,1.4,0.42,0.83\n", vh);
    cr_assert_eq(dn_metrics_read(write_text("val.csv", text), &m, &err), DN_OK, "%s", err.msg);
    cr_assert(m.has_val);
    cr_assert_eq(m.n, 2);
    cr_assert_eq(m.col[DN_METRIC_VAL_LOSS][0], 0.55);
    cr_assert_eq(m.col[DN_METRIC_VAL_ACC][1], 0.83);
    cr_assert_eq(m.col[DN_METRIC_SECONDS][1], 1.4);
    dn_metrics_free(&m);
    dn_metric k;
    cr_assert_eq(dn_metric_parse("val_acc", &k, NULL), DN_OK);
    cr_assert_eq(k, DN_METRIC_VAL_ACC);
    /* The form of the header decides the row width; ranges hold. */
    snprintf(text, sizeof text, "%s1,0.5,0.8,0.6,0.75,0.05,1.5\n", vh);
    expect_metrics_error("valshort.csv", text, 2, "7 fields, expected 9");
    snprintf(text, sizeof text, "%s1,0.5,0.8,0.6,0.75,0.05,1.5,0.5,0.7\n", metrics_header);
    expect_metrics_error("valextra.csv", text, 2, "9 fields, expected 7");
    snprintf(text, sizeof text, "%s1,0.5,0.8,0.6,0.75,0.05,1.5,0.5,1.7\n", vh);
    expect_metrics_error("valrange.csv", text, 2, "val_acc 1.7 is outside [0, 1]");
    snprintf(text, sizeof text, "%s1,0.5,0.8,0.6,0.75,0.05,1.5,nan,0.7\n", vh);
    expect_metrics_error("valnan.csv", text, 2, "val_loss nan is outside");
    expect_metrics_error("valhdr.csv", "epoch,train_loss,train_acc,test_loss,test_acc,gap,"
                         "seconds,val_acc,val_loss\n", 1, "header is not");
}

Test(metrics, every_defect_names_file_and_line)
{
    char t[1024];
    const char *row1 = "1,0.5,0.8,0.6,0.78,0.02,1.0\n";
    expect_metrics_error("empty.csv", "", 1, "empty file");
    expect_metrics_error("header.csv", "epoch,loss\n1,0.5\n", 1, "header is not");
    expect_metrics_error("header_cut.csv", "epoch,train_loss,train_acc", 1, "truncated");
    snprintf(t, sizeof t, "%s%s2,0.4,0.8", metrics_header, row1);
    expect_metrics_error("cut.csv", t, 3, "truncated row (no end of line)");
    snprintf(t, sizeof t, "%s%s2,0.4,0.8,0.5,0.8,0.0\n", metrics_header, row1);
    expect_metrics_error("few.csv", t, 3, "6 fields, expected 7");
    snprintf(t, sizeof t, "%s1,0.5,0.8,0.6,0.78,0.02,1.0,9\n", metrics_header);
    expect_metrics_error("many.csv", t, 2, "8 fields, expected 7");
    snprintf(t, sizeof t, "%s%s\n", metrics_header, row1);
    expect_metrics_error("blank.csv", t, 3, "1 field, expected 7");
    snprintf(t, sizeof t, "%s1,0.5x,0.8,0.6,0.78,0.02,1.0\n", metrics_header);
    expect_metrics_error("num.csv", t, 2, "train_loss '0.5x' is not a number");
    snprintf(t, sizeof t, "%s1,,0.8,0.6,0.78,0.02,1.0\n", metrics_header);
    expect_metrics_error("emptyfield.csv", t, 2, "train_loss '' is not a number");
    snprintf(t, sizeof t, "%s1,nan,0.8,0.6,0.78,0.02,1.0\n", metrics_header);
    expect_metrics_error("nanloss.csv", t, 2, "train_loss nan is outside");
    snprintf(t, sizeof t, "%s1,inf,0.8,0.6,0.78,0.02,1.0\n", metrics_header);
    expect_metrics_error("infloss.csv", t, 2, "train_loss inf is outside");
    snprintf(t, sizeof t, "%s1,-0.5,0.8,0.6,0.78,0.02,1.0\n", metrics_header);
    expect_metrics_error("negloss.csv", t, 2, "train_loss -0.5 is outside");
    snprintf(t, sizeof t, "%s1,0.5,1.2,0.6,0.78,0.42,1.0\n", metrics_header);
    expect_metrics_error("acc.csv", t, 2, "train_acc 1.2 is outside [0, 1]");
    snprintf(t, sizeof t, "%s1,0.5,0.8,0.6,0.78,0.02,-1\n", metrics_header);
    expect_metrics_error("secs.csv", t, 2, "seconds -1 is outside");
    snprintf(t, sizeof t, "%s1.5,0.5,0.8,0.6,0.78,0.02,1.0\n", metrics_header);
    expect_metrics_error("epochfrac.csv", t, 2, "epoch '1.5' is not an integer");
    snprintf(t, sizeof t, "%s0,0.5,0.8,0.6,0.78,0.02,1.0\n", metrics_header);
    expect_metrics_error("epoch0.csv", t, 2, "epoch 0 is outside");
    snprintf(t, sizeof t, "%s%s%s", metrics_header, row1, row1);
    expect_metrics_error("repeat.csv", t, 3, "epoch 1 does not follow epoch 1");
    snprintf(t, sizeof t, "%s2,0.5,0.8,0.6,0.78,0.02,1.0\n%s", metrics_header, row1);
    expect_metrics_error("back.csv", t, 3, "epoch 1 does not follow epoch 2");
    /* a NUL byte inside a row */
    const char *path = tmp_path("nul.csv");
    char bin[256];
    int n = snprintf(bin, sizeof bin, "%s1,0.5,0.8,0.6,0.78,0.02,1.0\n", metrics_header);
    bin[strlen(metrics_header) + 3] = '\0';
    write_bytes(path, bin, (size_t)n, 0);
    dn_metrics m;
    dn_err err = {0};
    cr_assert_eq(dn_metrics_read(path, &m, &err), DN_EFORMAT);
    cr_assert(strstr(err.msg, ":2: NUL byte"), "%s", err.msg);
}

Test(metrics, missing_file)
{
    dn_metrics m;
    dn_err err = {0};
    const char *path = tmp_path("no-such-metrics.csv");
    cr_assert_eq(dn_metrics_read(path, &m, &err), DN_EIO);
    cr_assert(strstr(err.msg, path) && strstr(err.msg, "cannot open"), "%s", err.msg);
    dn_steps s;
    cr_assert_eq(dn_steps_read(path, &s, &err), DN_EIO);
    cr_assert(strstr(err.msg, path), "%s", err.msg);
}

Test(steps, every_defect_names_file_and_line)
{
    char t[1024];
    const char *row1 = "1,47,235,12032,2.01,0.22\n";
    expect_steps_error("s_empty.csv", "", 1, "empty file");
    expect_steps_error("s_header.csv", metrics_header, 1, "header is not");
    snprintf(t, sizeof t, "%s%s1,94,235,12032,1.2", steps_header, row1);
    expect_steps_error("s_cut.csv", t, 3, "truncated");
    snprintf(t, sizeof t, "%s1,47,235,12032,2.01\n", steps_header);
    expect_steps_error("s_few.csv", t, 2, "5 fields, expected 6");
    snprintf(t, sizeof t, "%s1,236,235,12032,2.01,0.22\n", steps_header);
    expect_steps_error("s_step.csv", t, 2, "step 236 is outside [1, 235]");
    snprintf(t, sizeof t, "%s1,47,0,12032,2.01,0.22\n", steps_header);
    expect_steps_error("s_spe.csv", t, 2, "steps_per_epoch 0 is outside");
    snprintf(t, sizeof t, "%s1,47,235,0,2.01,0.22\n", steps_header);
    expect_steps_error("s_examples.csv", t, 2, "examples 0 is outside");
    snprintf(t, sizeof t, "%s1,47,235,12032,2.01,-0.1\n", steps_header);
    expect_steps_error("s_acc.csv", t, 2, "train_acc -0.1 is outside");
    snprintf(t, sizeof t, "%s1,47,235,12032,loss,0.22\n", steps_header);
    expect_steps_error("s_num.csv", t, 2, "train_loss 'loss' is not a number");
    snprintf(t, sizeof t, "%s%s%s", steps_header, row1, row1);
    expect_steps_error("s_repeat.csv", t, 3, "epoch 1 step 47 does not follow epoch 1 step 47");
    snprintf(t, sizeof t, "%s2,47,235,12032,0.6,0.8\n%s", steps_header, row1);
    expect_steps_error("s_back.csv", t, 3, "does not follow epoch 2 step 47");
    /* a new epoch may start at a smaller step */
    snprintf(t, sizeof t, "%s%s1,235,235,12032,0.7,0.7\n2,47,235,12032,0.6,0.8\n", steps_header,
             row1);
    dn_steps s;
    dn_err err = {0};
    cr_assert_eq(dn_steps_read(write_text("s_ok.csv", t), &s, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(s.n, 3);
    cr_assert_float_eq(dn_step_progress(&s.rows[2]), 1.0 + 47.0 / 235.0, 1e-15);
    dn_steps_free(&s);
}
