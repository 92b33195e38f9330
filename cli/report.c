/* Text for experiment reports (see report.h). */
#include "report.h"
#include "experiment.h"


#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const dn_metric measure_metric[N_MEASURES] = {DN_METRIC_TEST_ACC, DN_METRIC_TEST_LOSS,
                                              DN_METRIC_TRAIN_ACC, DN_METRIC_GAP};
const char *const measure_name[N_MEASURES] = {"test accuracy (%)", "test loss (nats)",
                                              "train accuracy (%)", "gap (points)"};
const double measure_scale[N_MEASURES] = {100, 1, 100, 100};
const int measure_decimals[N_MEASURES] = {2, 4, 2, 2};

void sb_printf(strbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->s && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

void sb_free(strbuf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

int sb_write_file(const strbuf *b, const char *path)
{
    if (b->failed) {
        cli_error("%s: out of memory while writing it", path);
        return EXIT_RUNTIME;
    }
    dn_chunk c = {b->s ? b->s : "", b->len};
    dn_err err = {0};
    if (dn_write_atomic(path, &c, 1, &err))
        return cli_fail(&err);
    return 0;
}

void sb_csv_field(strbuf *b, const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        sb_printf(b, "%s", text);
        return;
    }
    sb_printf(b, "\"");
    for (const char *p = text; *p; p++)
        sb_printf(b, *p == '"' ? "\"\"" : "%c", *p);
    sb_printf(b, "\"");
}

void report_runs(strbuf *md, int argc, char **argv, const char *prefix,
                 const struct experiment *x)
{
    sb_printf(md, "- **Command**: `");
    format_command(argc - 1, argv + 1, prefix, md);
    sb_printf(md, "`\n- **Trainings**: %d (%d done before this run, %d now, in %.0f s with ", x->n,
              x->done_before, x->ran, x->seconds);
    if (x->ranks > 1) /* under MPI: the jobs and threads of each rank */
        sb_printf(md, "%d MPI ranks x ", x->ranks);
    sb_printf(md, "%d job%s x %d thread%s)\n\n", x->jobs, x->jobs == 1 ? "" : "s", x->threads,
              x->threads == 1 ? "" : "s");
}

void report_method(strbuf *md)
{
    sb_printf(md,
              "- Interval of a mean: mean +- t(0.975, n - 1) s / sqrt(n), s the sample standard "
              "deviation. Paired: the same on the differences of each seed, with the two-sided "
              "paired t-test. Differences that are all equal have no spread, hence no t and no "
              "interval: the report says what was observed and gives the exact signed-rank p. "
              "Unpaired: Welch's interval and t-test.\n"
              "- Wilcoxon signed-rank test: zero differences are dropped (Wilcoxon's rule), tied "
              "magnitudes share their mid-rank, and p comes from the exact permutation "
              "distribution (ties included) below 50 nonzero differences, the normal "
              "approximation beyond. Unpaired: the rank-sum (Mann-Whitney) test, exact with ties "
              "up to 50 values.\n"
              "- Effect size dz = mean of the differences / their sd. Seeds needed: the fewest "
              "paired seeds (per side when unpaired) for 80 %% power of the two-sided t-test at "
              "0.05, from the noncentral t distribution and the observed sd. Equivalence "
              "(`--margin D`): two one-sided t-tests, equivalent when the 90 %% interval lies "
              "inside +-D. Below 5 seeds an interval is very wide; below 3 there is no "
              "verdict.\n"
              "- p-values show 2 significant digits (3 or more near 0.05, so that the side of "
              "0.05 shows); interval ends show the digits that keep their sign. t, normal and "
              "binomial distributions from GSL.\n");
}

int report_save(strbuf *b, const char *dir, const char *name)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = sb_write_file(b, path);
    sb_free(b);
    return rc;
}

static int plain(const char *a)
{
    if (!*a)
        return 0;
    for (const char *p = a; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/:+@%",
                    *p))
            return 0;
    return 1;
}

void format_command(int argc, char **argv, const char *prefix, strbuf *b)
{
    sb_printf(b, "%s", prefix);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (plain(a)) {
            sb_printf(b, " %s", a);
            continue;
        }
        sb_printf(b, " '");
        for (const char *p = a; *p; p++) {
            if (*p == '\'')
                sb_printf(b, "'\\''");
            else
                sb_printf(b, "%c", *p);
        }
        sb_printf(b, "'");
    }
}

void md_cell(strbuf *b, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            sb_printf(b, "\\|");
        else if (*p == '\n')
            sb_printf(b, " ");
        else
            sb_printf(b, "%c", *p);
    }
}
