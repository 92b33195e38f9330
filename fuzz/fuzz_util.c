#include "fuzz_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char scratch[256];
static char path_buf[4][512];
static int path_next;

static void remove_scratch(void)
{
    static const char *const names[] = {"in", "in2", "out", "run/config.json",
                                        "run/metrics.csv", "run/steps.csv", "run", NULL};
    char p[512];
    for (int i = 0; names[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", scratch, names[i]);
        if (remove(p) != 0) {
            /* leftovers of an interrupted write: nothing to do */
        }
    }
    rmdir(scratch);
}

static const char *scratch_dir(void)
{
    if (scratch[0])
        return scratch;
    const char *base = getenv("FUZZ_TMPDIR");
    struct stat st;
    if (!base && stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
        base = "/dev/shm";
    if (!base)
        base = getenv("TMPDIR");
    if (!base)
        base = "/tmp";
    snprintf(scratch, sizeof scratch, "%s/dropnet-fuzz-XXXXXX", base);
    if (!mkdtemp(scratch))
        fuzz_fail("cannot create a scratch directory under %s", base);
    atexit(remove_scratch);
    return scratch;
}

const char *fuzz_path(const char *name)
{
    char *p = path_buf[path_next++ % 4];
    snprintf(p, sizeof path_buf[0], "%s/%s", scratch_dir(), name);
    return p;
}

const char *fuzz_write(const char *name, const void *data, size_t size)
{
    const char *p = fuzz_path(name);
    FILE *f = fopen(p, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        fuzz_fail("cannot write %s", p);
    return p;
}

const char *fuzz_write_gz(const char *name, const void *data, size_t size)
{
    const char *p = fuzz_path(name);
    gzFile f = gzopen(p, "wb");
    if (!f || (size && gzwrite(f, data, (unsigned)size) != (int)size) || gzclose(f) != Z_OK)
        fuzz_fail("cannot write %s", p);
    return p;
}

void fuzz_remove(const char *name)
{
    if (remove(fuzz_path(name)) != 0) {
        /* absent: fine */
    }
}

int fuzz_split(const uint8_t *data, size_t size, const uint8_t **part, size_t *len, int max)
{
    const size_t sl = strlen(FUZZ_SEP);
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; n + 1 < max && i + sl <= size; i++) {
        if (memcmp(data + i, FUZZ_SEP, sl) == 0) {
            part[n] = data + start;
            len[n] = i - start;
            n++;
            start = i + sl;
            i = start - 1;
        }
    }
    part[n] = data + start;
    len[n] = size - start;
    return n + 1;
}

char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        fuzz_fail("out of memory");
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void fuzz_check(int rc, const dn_err *err, const char *what)
{
    if (rc)
        fuzz_fail("%s failed: %s", what, err->msg);
}

void fuzz_one_line(const dn_err *err)
{
    if (err->msg[0] == '\0' || strchr(err->msg, '\n'))
        fuzz_fail("error without a one-line message: '%s'", err->msg);
}
