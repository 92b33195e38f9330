/* Reading a CSV table (see csv_table.h). */
#include "csv_table.h"
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BYTES (64L << 20)

void csv_table_free(csv_table *t)
{
    if (t->header)
        for (int c = 0; c < t->cols; c++)
            free(t->header[c]);
    if (t->cell)
        for (long i = 0; i < (long)t->rows * t->cols; i++)
            free(t->cell[i]);
    free(t->header);
    free(t->cell);
    free(t->line);
    memset(t, 0, sizeof *t);
}

int csv_table_column(const csv_table *t, const char *name)
{
    for (int c = 0; c < t->cols; c++)
        if (strcmp(t->header[c], name) == 0)
            return c;
    return -1;
}

static char *read_all(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    long n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 65536;
            char *b = realloc(buf, (size_t)cap);
            if (!b) {
                free(buf);
                fclose(f);
                cli_error("%s: out of memory", path);
                return NULL;
            }
            buf = b;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += (long)got;
        if (n > MAX_BYTES) {
            free(buf);
            fclose(f);
            cli_error("%s: larger than %ld MiB, too large for a table of results", path,
                      MAX_BYTES >> 20);
            return NULL;
        }
        if (got < 4096) {
            int bad = ferror(f);
            fclose(f);
            if (bad) {
                free(buf);
                cli_error("%s: cannot read", path);
                return NULL;
            }
            break;
        }
    }
    buf[n] = '\0';
    if ((long)strlen(buf) != n) {
        free(buf);
        cli_error("%s: holds a NUL byte: not a CSV text file", path);
        return NULL;
    }
    *len = n;
    return buf;
}

/* One record from *p: fields appended to fields (count in *nf). 0, 1 at the
 * end of the text, or -1 after an error. */
static int record(const char *path, char **p, int *lineno, char ***fields, int *nf, int *cap)
{
    char *s = *p;
    *nf = 0;
    if (!*s)
        return 1;
    int start_line = *lineno;
    for (;;) {
        /* the field's raw extent bounds its length */
        size_t extent = 0;
        if (*s == '"') {
            const char *q = s + 1;
            while (*q && !(q[0] == '"' && q[1] != '"'))
                q += q[0] == '"' ? 2 : 1;
            extent = (size_t)(q - s);
        } else {
            extent = strcspn(s, ",\n");
        }
        char *buf = malloc(extent + 1);
        if (!buf) {
            cli_error("%s: out of memory", path);
            return -1;
        }
        size_t k = 0;
        if (*s == '"') {
            s++;
            for (;;) {
                if (!*s) {
                    free(buf);
                    cli_error("%s:%d: a quoted field is not closed", path, start_line);
                    return -1;
                }
                if (*s == '"') {
                    if (s[1] == '"') {
                        buf[k++] = '"';
                        s += 2;
                        continue;
                    }
                    s++;
                    break;
                }
                if (*s == '\n')
                    (*lineno)++;
                buf[k++] = *s++;
            }
            if (*s && *s != ',' && *s != '\n' && !(*s == '\r' && s[1] == '\n')) {
                free(buf);
                cli_error("%s:%d: text after a closing quote (a quote inside a quoted field "
                          "is written \"\")", path, *lineno);
                return -1;
            }
        } else {
            while (*s && *s != ',' && *s != '\n' && !(*s == '\r' && s[1] == '\n')) {
                if (*s == '"') {
                    free(buf);
                    cli_error("%s:%d: a quote inside an unquoted field", path, *lineno);
                    return -1;
                }
                buf[k++] = *s++;
            }
        }
        buf[k] = '\0';
        if (*nf == *cap) {
            int c = *cap ? 2 * *cap : 16;
            char **f = realloc(*fields, (size_t)c * sizeof *f);
            if (!f) {
                free(buf);
                cli_error("%s: out of memory", path);
                return -1;
            }
            *fields = f;
            *cap = c;
        }
        (*fields)[(*nf)++] = buf;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '\r')
            s++;
        if (*s == '\n') {
            s++;
            (*lineno)++;
        }
        *p = s;
        return 0;
    }
}

static void free_fields(char **f, int n)
{
    for (int i = 0; i < n; i++)
        free(f[i]);
}

int csv_table_read(const char *path, csv_table *t)
{
    memset(t, 0, sizeof *t);
    long len;
    char *text = read_all(path, &len);
    if (!text)
        return EXIT_USAGE;
    char *p = text;
    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
        p += 3;
    char **f = NULL;
    int nf = 0, cap = 0, lineno = 1, rc = 0, rows_cap = 0;
    for (;;) {
        /* blank lines */
        while (*p == '\n' || (*p == '\r' && p[1] == '\n')) {
            p += *p == '\r' ? 2 : 1;
            lineno++;
        }
        int line = lineno;
        int r = record(path, &p, &lineno, &f, &nf, &cap);
        if (r < 0) { /* the fields read before the error */
            free_fields(f, nf);
            rc = EXIT_USAGE;
            break;
        }
        if (r > 0)
            break;
        if (!t->header) {
            t->header = f;
            t->cols = nf;
            f = NULL;
            cap = 0;
            for (int c = 0; c < t->cols && !rc; c++) {
                if (!t->header[c][0]) {
                    cli_error("%s:%d: column %d of the header has no name", path, line, c + 1);
                    rc = EXIT_USAGE;
                }
                for (int d = 0; d < c && !rc; d++)
                    if (strcmp(t->header[c], t->header[d]) == 0) {
                        cli_error("%s:%d: the header names column '%s' twice", path, line,
                                  t->header[c]);
                        rc = EXIT_USAGE;
                    }
            }
            if (rc)
                break;
            continue;
        }
        if (nf != t->cols) {
            cli_error("%s:%d: %d field%s, the header has %d", path, line, nf, nf == 1 ? "" : "s",
                      t->cols);
            free_fields(f, nf);
            rc = EXIT_USAGE;
            break;
        }
        if (t->rows == rows_cap) {
            rows_cap = rows_cap ? 2 * rows_cap : 64;
            char **cell = realloc(t->cell, (size_t)rows_cap * (size_t)t->cols * sizeof *cell);
            int *ln = realloc(t->line, (size_t)rows_cap * sizeof *ln);
            if (cell)
                t->cell = cell;
            if (ln)
                t->line = ln;
            if (!cell || !ln) {
                free_fields(f, nf);
                cli_error("%s: out of memory", path);
                rc = EXIT_RUNTIME;
                break;
            }
        }
        memcpy(t->cell + (size_t)t->rows * (size_t)t->cols, f, (size_t)nf * sizeof *f);
        t->line[t->rows++] = line;
    }
    free(f);
    free(text);
    if (!rc && !t->header) {
        cli_error("%s: empty: a header row and one row per seed are needed", path);
        rc = EXIT_USAGE;
    }
    if (rc)
        csv_table_free(t);
    return rc;
}
