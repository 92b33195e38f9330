/* Strict readers of metrics.csv and steps.csv. They feed figures and
 * comparisons, so a damaged file must be an error naming the file and the
 * line, never a silently shorter or wrong series. */
#include "files/file.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const metric_names[DN_METRIC_COUNT] = {
    "train_loss", "train_acc", "test_loss", "test_acc", "gap", "seconds", "val_loss", "val_acc"};

const char *dn_metric_name(dn_metric m)
{
    return (unsigned)m < DN_METRIC_COUNT ? metric_names[m] : "?";
}

int dn_metric_parse(const char *name, dn_metric *m, dn_err *err)
{
    for (int i = 0; i < DN_METRIC_COUNT; i++) {
        if (strcmp(name, metric_names[i]) == 0) {
            *m = (dn_metric)i;
            return DN_OK;
        }
    }
    return dn_fail(err, DN_EINVAL,
                   "unknown metric '%s' (known: train_loss, train_acc, test_loss, test_acc, "
                   "gap, seconds, val_loss, val_acc)",
                   name);
}

/* A line cursor that knows its line number and rejects a last line without
 * its end of line: dn_runlog ends every row with one, so a missing one means
 * the file was cut off. */
typedef struct {
    const char *path;
    char *p, *end;
    size_t line;
} reader;

/* The next line (without '\n' or a trailing '\r'), NULL at the end. *rc is
 * set on a defect. */
static char *next_line(reader *r, int *rc, dn_err *err)
{
    if (r->p >= r->end)
        return NULL;
    r->line++;
    char *s = r->p;
    char *nl = memchr(s, '\n', (size_t)(r->end - s));
    if (!nl) {
        *rc = dn_fail(err, DN_EFORMAT, "%s:%zu: truncated row (no end of line)", r->path,
                      r->line);
        return NULL;
    }
    if (memchr(s, '\0', (size_t)(nl - s)) != NULL) {
        *rc = dn_fail(err, DN_EFORMAT, "%s:%zu: NUL byte in the row", r->path, r->line);
        return NULL;
    }
    *nl = '\0';
    if (nl > s && nl[-1] == '\r')
        nl[-1] = '\0';
    r->p = nl + 1;
    return s;
}

/* Splits a row at commas into exactly want fields. */
static int split_row(const reader *r, char *s, char **fields, int want, dn_err *err)
{
    int n = 0;
    for (;;) {
        if (n < want)
            fields[n] = s;
        n++;
        char *c = strchr(s, ',');
        if (!c)
            break;
        *c = '\0';
        s = c + 1;
    }
    if (n != want)
        return dn_fail(err, DN_EFORMAT, "%s:%zu: %d field%s, expected %d", r->path, r->line, n,
                       n == 1 ? "" : "s", want);
    return DN_OK;
}

static int parse_double(const reader *r, const char *field, const char *name, int allow_nan,
                        double lo, double hi, double *out, dn_err *err)
{
    char *end;
    errno = 0;
    double v = strtod(field, &end);
    if (end == field || *end != '\0' || errno == ERANGE)
        return dn_fail(err, DN_EFORMAT, "%s:%zu: %s '%s' is not a number", r->path, r->line,
                       name, field);
    if (isnan(v) && allow_nan) {
        *out = v;
        return DN_OK;
    }
    if (!(v >= lo && v <= hi))
        return dn_fail(err, DN_EFORMAT, "%s:%zu: %s %s is outside [%g, %g]", r->path, r->line,
                       name, field, lo, hi);
    *out = v;
    return DN_OK;
}

static int parse_count(const reader *r, const char *field, const char *name, long long lo,
                       long long hi, long long *out, dn_err *err)
{
    char *end;
    errno = 0;
    long long v = strtoll(field, &end, 10);
    if (end == field || *end != '\0' || errno == ERANGE || field[0] == '+' || field[0] == ' ')
        return dn_fail(err, DN_EFORMAT, "%s:%zu: %s '%s' is not an integer", r->path,
                       r->line, name, field);
    if (v < lo || v > hi)
        return dn_fail(err, DN_EFORMAT, "%s:%zu: %s %lld is outside [%lld, %lld]", r->path,
                       r->line, name, v, lo, hi);
    *out = v;
    return DN_OK;
}

/* Reads the file, checks the header (header, or header + alt when alt is
 * not NULL; *with_alt says which) and counts the rows that follow. */
static int open_table(const char *path, const char *header, const char *alt, int *with_alt,
                      reader *r, char **buf, size_t *rows, dn_err *err)
{
    size_t len = 0;
    /* Metrics files are small; the cap only keeps a wrong path (a disk
     * image, say) from exhausting memory. */
    *buf = dn_read_file(path, (size_t)1 << 30, "larger than 1 GiB, not a metrics file", &len,
                        err);
    if (!*buf)
        return err ? (int)err->code : DN_EIO;
    *r = (reader){path, *buf, *buf + len, 0};
    int rc = DN_OK;
    if (len == 0)
        return dn_fail(err, DN_EFORMAT, "%s:1: empty file (expected the header '%s')", path,
                       header);
    char *h = next_line(r, &rc, err);
    if (rc)
        return rc;
    size_t hl = strlen(header);
    int alt_match = alt && strncmp(h, header, hl) == 0 && strcmp(h + hl, alt) == 0;
    if (with_alt)
        *with_alt = alt_match;
    if (strcmp(h, header) != 0 && !alt_match)
        return dn_fail(err, DN_EFORMAT, "%s:1: header is not '%s'%s%s%s", path, header,
                       alt ? " (or that and '" : "", alt ? alt + 1 : "", alt ? "')" : "");
    size_t n = 0;
    for (const char *p = r->p; p < r->end; p++)
        n += *p == '\n';
    *rows = n + (r->end > r->p && r->end[-1] != '\n'); /* a cut-off last row counts */
    return DN_OK;
}

void dn_metrics_free(dn_metrics *m)
{
    if (!m)
        return;
    free(m->epoch);
    for (int i = 0; i < DN_METRIC_COUNT; i++)
        free(m->col[i]);
    memset(m, 0, sizeof *m);
}

int dn_metrics_read(const char *path, dn_metrics *out, dn_err *err)
{
    memset(out, 0, sizeof *out);
    reader r;
    size_t rows = 0;
    char *buf = NULL;
    int with_val = 0;
    int rc = open_table(path, DN_METRICS_CSV_HEADER, DN_METRICS_CSV_VAL, &with_val, &r, &buf,
                        &rows, err);
    if (rc)
        goto out;
    int ok = (out->epoch = malloc((rows ? rows : 1) * sizeof *out->epoch)) != NULL;
    for (int i = 0; i < DN_METRIC_COUNT; i++)
        ok &= (out->col[i] = malloc((rows ? rows : 1) * sizeof(double))) != NULL;
    if (!ok) {
        rc = dn_fail(err, DN_ENOMEM, "%s: cannot allocate %zu rows", path, rows);
        goto out;
    }
    /* Ranges: losses are non-negative, accuracies fractions; the test
     * columns and the gap are NaN for a run without a test set. */
    static const struct {
        int allow_nan;
        double lo, hi;
    } range[DN_METRIC_COUNT] = {{0, 0, DBL_MAX}, {0, 0, 1},  {1, 0, DBL_MAX}, {1, 0, 1},
                                {1, -1, 1},       {0, 0, DBL_MAX}, {0, 0, DBL_MAX}, {0, 0, 1}};
    /* Without a validation split the file has two columns fewer, and its
     * val columns read as NaN. */
    out->has_val = with_val;
    int fields = with_val ? DN_METRIC_COUNT : DN_METRIC_VAL_LOSS;
    char *line;
    while ((line = next_line(&r, &rc, err)) != NULL) {
        char *f[1 + DN_METRIC_COUNT];
        if ((rc = split_row(&r, line, f, 1 + fields, err)))
            goto out;
        long long epoch;
        if ((rc = parse_count(&r, f[0], "epoch", 1, 1000000000, &epoch, err)))
            goto out;
        if (out->n > 0 && epoch <= out->epoch[out->n - 1]) {
            rc = dn_fail(err, DN_EFORMAT, "%s:%zu: epoch %lld does not follow epoch %d", path,
                         r.line, epoch, out->epoch[out->n - 1]);
            goto out;
        }
        for (int m = 0; m < DN_METRIC_COUNT; m++) {
            double v = NAN;
            if (m < fields &&
                (rc = parse_double(&r, f[1 + m], metric_names[m], range[m].allow_nan,
                                   range[m].lo, range[m].hi, &v, err)))
                goto out;
            out->col[m][out->n] = v;
        }
        out->epoch[out->n++] = (int)epoch;
    }
out:
    free(buf);
    if (rc)
        dn_metrics_free(out);
    return rc;
}

void dn_steps_free(dn_steps *s)
{
    if (!s)
        return;
    free(s->rows);
    memset(s, 0, sizeof *s);
}

double dn_step_progress(const dn_step_point *p)
{
    return (double)(p->epoch - 1) + (double)p->step / (double)p->steps_per_epoch;
}

int dn_steps_read(const char *path, dn_steps *out, dn_err *err)
{
    memset(out, 0, sizeof *out);
    reader r;
    size_t rows = 0;
    char *buf = NULL;
    int rc = open_table(path, DN_STEPS_CSV_HEADER, NULL, NULL, &r, &buf, &rows, err);
    if (rc)
        goto out;
    out->rows = malloc((rows ? rows : 1) * sizeof *out->rows);
    if (!out->rows) {
        rc = dn_fail(err, DN_ENOMEM, "%s: cannot allocate %zu rows", path, rows);
        goto out;
    }
    char *line;
    while ((line = next_line(&r, &rc, err)) != NULL) {
        char *f[6];
        long long epoch, step, spe, examples;
        dn_step_point p;
        if ((rc = split_row(&r, line, f, 6, err)) ||
            (rc = parse_count(&r, f[0], "epoch", 1, 1000000000, &epoch, err)) ||
            (rc = parse_count(&r, f[2], "steps_per_epoch", 1, 1LL << 40, &spe, err)) ||
            (rc = parse_count(&r, f[1], "step", 1, spe, &step, err)) ||
            (rc = parse_count(&r, f[3], "examples", 1, 1LL << 50, &examples, err)) ||
            (rc = parse_double(&r, f[4], "train_loss", 0, 0, DBL_MAX, &p.train_loss, err)) ||
            (rc = parse_double(&r, f[5], "train_acc", 0, 0, 1, &p.train_acc, err)))
            goto out;
        p.epoch = (int)epoch;
        p.step = (size_t)step;
        p.steps_per_epoch = (size_t)spe;
        p.examples = (size_t)examples;
        if (out->n > 0) {
            const dn_step_point *q = &out->rows[out->n - 1];
            if (p.epoch < q->epoch || (p.epoch == q->epoch && p.step <= q->step)) {
                rc = dn_fail(err, DN_EFORMAT,
                             "%s:%zu: epoch %d step %zu does not follow epoch %d step %zu", path,
                             r.line, p.epoch, p.step, q->epoch, q->step);
                goto out;
            }
        }
        out->rows[out->n++] = p;
    }
out:
    free(buf);
    if (rc)
        dn_steps_free(out);
    return rc;
}
