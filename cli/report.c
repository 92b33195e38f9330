/* Text for experiment reports (see report.h). */
#include "report.h"


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

void format_p(double p, char *out, size_t size)
{
    if (isnan(p))
        snprintf(out, size, "n/a");
    else if (p < 0.001)
        snprintf(out, size, "< 0.001");
    else if (p < 0.01)
        snprintf(out, size, "%.3f", p);
    else
        snprintf(out, size, "%.2f", p);
}

void format_ci(double mean, double lo, double hi, int decimals, int sign, char *out,
               size_t size)
{
    const char *f = sign ? "%+.*f" : "%.*f";
    char m[64], l[64], h[64];
    snprintf(m, sizeof m, f, decimals, mean);
    if (isnan(lo) || isnan(hi)) {
        snprintf(out, size, "%s", m);
        return;
    }
    snprintf(l, sizeof l, f, decimals, lo);
    snprintf(h, sizeof h, f, decimals, hi);
    snprintf(out, size, "%s [%s, %s]", m, l, h);
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
