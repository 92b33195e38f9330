/* CSV data: label first, then the features; an optional header row. Every
 * value is checked, and a bad one is reported with its file, line and
 * column. Features are kept as floats, any width. */
#include "core/internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More would not fit the float buffers' caps anyway (8 GiB). */
#define DN_CSV_MAX_VALUES ((size_t)1 << 31)

/* Added to an error in the first line when it was read as data. */
#define HEADER_HINT " (line 1 is taken as a header only when most of its fields are not numbers)"

typedef struct {
    float *x;
    uint8_t *y;
    size_t n, cap;
    size_t width;
} csv_buf;

static char *trim(char *s, char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    return s;
}

/* Splits a line at commas in place; returns the number of fields. Fields
 * beyond max are counted but not stored. */
static size_t split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        char *end = comma ? comma : p + strlen(p);
        if (comma)
            *comma = '\0';
        if (n < max)
            fields[n] = trim(p, end);
        n++;
        if (!comma)
            return n;
        p = comma + 1;
    }
}

static int is_number(const char *s)
{
    char *end;
    if (!*s)
        return 0;
    errno = 0;
    (void)strtod(s, &end);
    return *end == '\0';
}

/* The start of a header line for the data summary: whole when it fits,
 * else cut at a character boundary and marked with "...". */
static void keep_header(char *out, size_t size, const char *line)
{
    size_t n = strlen(line);
    if (n < size) {
        memcpy(out, line, n + 1);
        return;
    }
    n = size - 4;
    while (n > 0 && ((unsigned char)line[n] & 0xC0) == 0x80)
        n--; /* not inside a UTF-8 sequence */
    memcpy(out, line, n);
    memcpy(out + n, "...", 4);
}

static int grow(csv_buf *b)
{
    size_t cap = b->cap ? 2 * b->cap : 1024;
    if (cap * b->width > DN_CSV_MAX_VALUES)
        return -1;
    float *x = realloc(b->x, cap * b->width * sizeof *x);
    if (!x)
        return -1;
    b->x = x;
    uint8_t *y = realloc(b->y, cap);
    if (!y)
        return -1;
    b->y = y;
    b->cap = cap;
    return 0;
}

int dn_csv_load(dn_dataset *ds, const char *path, int width, int classes, dn_err *err)
{
    memset(ds, 0, sizeof *ds);
    FILE *f = fopen(path, "r");
    if (!f)
        return dn_fail(err, DN_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL, **fields = NULL;
    size_t linecap = 0, ncols = 0, lineno = 0;
    int max_label = -1, rc = DN_OK, first_is_data = 0;
    csv_buf b = {0};
    ssize_t len;
    while ((len = getline(&line, &linecap, f)) >= 0) {
        lineno++;
        if ((size_t)len != strlen(line)) {
            rc = dn_fail(err, DN_EFORMAT, "%s:%zu: holds a NUL byte (not a text file?)", path,
                         lineno);
            goto out;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (lineno == 1 && len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
            /* A UTF-8 byte order mark, as some spreadsheets write, is not data. */
            memmove(line, line + 3, (size_t)len - 2);
            len -= 3;
        }
        if (len == 0 || strspn(line, " \t") == (size_t)len)
            continue; /* blank lines carry nothing */
        if (!ncols) {
            /* The first line fixes the column count. */
            ncols = 1;
            for (const char *p = line; *p; p++)
                ncols += *p == ',';
            if (ncols < 2) {
                rc = dn_fail(err, DN_EFORMAT, "%s:%zu: one column; expected the label and at "
                             "least one feature", path, lineno);
                goto out;
            }
            if (width && ncols - 1 != (size_t)width) {
                rc = dn_fail(err, DN_EFORMAT, "%s:%zu: %zu feature%s, but the training data "
                             "has %d", path, lineno, ncols - 1, ncols == 2 ? "" : "s", width);
                goto out;
            }
            if (ncols - 1 > (1 << 24)) {
                rc = dn_fail(err, DN_EFORMAT, "%s:%zu: %zu features (at most 2^24)", path,
                             lineno, ncols - 1);
                goto out;
            }
            b.width = ncols - 1;
            fields = malloc(ncols * sizeof *fields);
            if (!fields) {
                rc = dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
                goto out;
            }
            /* A header row: a first line whose fields are mostly not
             * numbers. One typo in a data row ("O.4") must not turn the row
             * into a header that is silently skipped. */
            char *copy = strdup(line);
            if (!copy) {
                rc = dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
                goto out;
            }
            size_t nf = split(copy, fields, ncols), numbers = 0;
            for (size_t i = 0; i < nf; i++)
                numbers += is_number(fields[i]);
            free(copy);
            if (2 * numbers < nf) {
                keep_header(ds->header, sizeof ds->header, line);
                continue;
            }
            first_is_data = 1;
        }
        size_t nf = split(line, fields, ncols);
        if (nf != ncols) {
            rc = dn_fail(err, DN_EFORMAT, "%s:%zu: %zu column%s, expected %zu (as in the first "
                         "line)", path, lineno, nf, nf == 1 ? "" : "s", ncols);
            goto out;
        }
        if (b.n == b.cap && grow(&b)) {
            rc = dn_fail(err, DN_ENOMEM, "%s:%zu: cannot hold more rows of %zu values", path,
                         lineno, ncols);
            goto out;
        }
        char *end;
        errno = 0;
        long label = strtol(fields[0], &end, 10);
        if (end == fields[0] || *end || errno) {
            rc = dn_fail(err, DN_EFORMAT, "%s:%zu: label '%.32s' is not an integer%s", path,
                         lineno, fields[0], first_is_data && b.n == 0 ? HEADER_HINT : "");
            goto out;
        }
        long top = classes ? classes : DN_MAX_CLASSES;
        if (label < 0 || label >= top) {
            rc = dn_fail(err, DN_EFORMAT, "%s:%zu: label %ld is out of range [0, %ld)%s", path,
                         lineno, label, top, classes ? " (the classes of the training data)" : "");
            goto out;
        }
        b.y[b.n] = (uint8_t)label;
        if (label > max_label)
            max_label = (int)label;
        float *row = b.x + b.n * b.width;
        for (size_t j = 0; j < b.width; j++) {
            const char *s = fields[j + 1];
            errno = 0;
            float v = strtof(s, &end);
            /* Overflow gives infinity; underflow gives a subnormal or 0
             * (strtof's ERANGE), which is the value the text means, as
             * closely as a float holds it. */
            if (end == s || *end || !isfinite(v)) {
                rc = dn_fail(err, DN_EFORMAT, "%s:%zu: column %zu: '%.32s' is not a finite "
                             "number%s", path, lineno, j + 2, s,
                             first_is_data && b.n == 0 ? HEADER_HINT : "");
                goto out;
            }
            row[j] = v;
        }
        b.n++;
    }
    if (ferror(f)) {
        rc = dn_fail(err, DN_EIO, "%s: read error: %s", path, strerror(errno));
        goto out;
    }
    if (b.n == 0) {
        rc = dn_fail(err, DN_EFORMAT, "%s: holds no data rows", path);
        goto out;
    }
    ds->features = dn_alloc(b.n * b.width, sizeof(float));
    ds->labels = dn_alloc(b.n, 1);
    if (!ds->features || !ds->labels) {
        dn_dataset_free(ds);
        rc = dn_fail(err, DN_ENOMEM, "%s: out of memory for %zu rows", path, b.n);
        goto out;
    }
    memcpy(ds->features, b.x, b.n * b.width * sizeof(float));
    memcpy(ds->labels, b.y, b.n);
    ds->n = b.n;
    ds->rows = 1;
    ds->cols = (int)b.width;
    ds->classes = classes ? classes : max_label + 1;
out:
    free(b.x);
    free(b.y);
    free(fields);
    free(line);
    fclose(f);
    return rc;
}

int dn_feature_stats(const dn_dataset *ds, float *mean, float *std, dn_err *err)
{
    if (!ds->features || ds->n == 0)
        return dn_fail(err, DN_EINVAL, "statistics need a dataset with features");
    size_t w = (size_t)ds->rows * (size_t)ds->cols;
    double *sum = calloc(w, sizeof *sum), *sq = calloc(w, sizeof *sq);
    if (!sum || !sq) {
        free(sum);
        free(sq);
        return dn_fail(err, DN_ENOMEM, "cannot allocate feature statistics");
    }
    /* Two passes (mean, then squared deviations) in row order: stable and
     * the same bits every time. */
    for (size_t i = 0; i < ds->n; i++)
        for (size_t j = 0; j < w; j++)
            sum[j] += ds->features[i * w + j];
    for (size_t j = 0; j < w; j++)
        sum[j] /= (double)ds->n;
    for (size_t i = 0; i < ds->n; i++)
        for (size_t j = 0; j < w; j++) {
            double d = ds->features[i * w + j] - sum[j];
            sq[j] += d * d;
        }
    for (size_t j = 0; j < w; j++) {
        mean[j] = (float)sum[j];
        float s = (float)sqrt(sq[j] / (double)ds->n);
        std[j] = s > 0.0f && isfinite(s) ? s : 1.0f;
    }
    free(sum);
    free(sq);
    return DN_OK;
}

int dn_dataset_prepare(dn_dataset *ds, float scale, const float *mean, const float *std,
                       dn_err *err)
{
    if (!(scale > 0.0f) || !isfinite(scale))
        return dn_fail(err, DN_EINVAL, "input scale %g must be positive", (double)scale);
    size_t w = (size_t)ds->rows * (size_t)ds->cols;
    if (!ds->features) {
        if (scale == 255.0f && !mean)
            return DN_OK; /* batches of images are pixels / 255 already */
        ds->features = dn_alloc(ds->n * w, sizeof(float));
        if (!ds->features)
            return dn_fail(err, DN_ENOMEM, "cannot allocate %zu x %zu features", ds->n, w);
        for (size_t i = 0; i < ds->n * w; i++)
            ds->features[i] = (float)ds->images[i];
        dn_free(ds->images);
        ds->images = NULL;
    }
    float *x = ds->features;
    if (mean && std) {
        #pragma omp parallel for schedule(static)
        for (size_t i = 0; i < ds->n; i++)
            for (size_t j = 0; j < w; j++)
                x[i * w + j] = (x[i * w + j] - mean[j]) / std[j];
    } else if (scale != 1.0f) {
        #pragma omp parallel for schedule(static)
        for (size_t i = 0; i < ds->n * w; i++)
            x[i] = x[i] / scale;
    }
    return DN_OK;
}
