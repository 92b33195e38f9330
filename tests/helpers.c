#include "helpers.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

const char *tmp_dir(void)
{
    static char dir[512];
    if (!dir[0]) {
        const char *base = getenv("DROPNET_TEST_TMP");
        if (!base || !*base)
            base = "/tmp";
        mkdir(base, 0777);
        snprintf(dir, sizeof dir, "%s/dn-%ld", base, (long)getpid());
        mkdir(dir, 0777);
    }
    return dir;
}

const char *tmp_path(const char *name)
{
    static char path[8][1024];
    static int k;
    k = (k + 1) % 8;
    snprintf(path[k], sizeof path[k], "%s/%s", tmp_dir(), name);
    return path[k];
}

void write_bytes(const char *path, const void *data, size_t n, int gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb");
        cr_assert(f, "cannot write %s", path);
        cr_assert_eq(gzwrite(f, data, (unsigned)n), (int)n);
        cr_assert_eq(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        cr_assert(f, "cannot write %s", path);
        cr_assert_eq(fwrite(data, 1, n, f), n);
        cr_assert_eq(fclose(f), 0);
    }
}

size_t idx_header(unsigned char *out, int ndims, const uint32_t *dims)
{
    out[0] = 0;
    out[1] = 0;
    out[2] = 8;
    out[3] = (unsigned char)ndims;
    for (int i = 0; i < ndims; i++) {
        out[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
        out[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
        out[6 + 4 * i] = (unsigned char)(dims[i] >> 8);
        out[7 + 4 * i] = (unsigned char)dims[i];
    }
    return 4 + 4 * (size_t)ndims;
}

void write_idx(const char *path, int ndims, const uint32_t *dims, const uint8_t *data, size_t n,
               int gz)
{
    unsigned char *buf = malloc(16 + n);
    cr_assert(buf);
    size_t h = idx_header(buf, ndims, dims);
    if (n)
        memcpy(buf + h, data, n);
    write_bytes(path, buf, h + n, gz);
    free(buf);
}

void synthetic_dataset(dn_dataset *ds, size_t n, uint64_t seed)
{
    /* Class c lights up the pixels of row band c (rows 2c+1..2c+4) on top of
     * uniform noise in 0..31: separable, but not in one step. */
    memset(ds, 0, sizeof *ds);
    ds->n = n;
    ds->rows = ds->cols = 28;
    ds->classes = 10;
    ds->images = malloc(n * 784);
    ds->labels = malloc(n);
    cr_assert(ds->images && ds->labels);
    dn_stream s = {seed, 99, 0};
    for (size_t i = 0; i < n; i++) {
        int c = (int)dn_uniform_below(s, i, 10);
        ds->labels[i] = (uint8_t)c;
        for (int p = 0; p < 784; p++) {
            uint32_t u = dn_random_u32((dn_stream){seed, 98, (uint32_t)i}, (uint64_t)p);
            int row = p / 28;
            int v = (int)(u % 32);
            if (row >= 2 * c + 1 && row <= 2 * c + 4)
                v += 200;
            ds->images[i * 784 + (size_t)p] = (uint8_t)v;
        }
    }
}

int leaks_now(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return __lsan_do_recoverable_leak_check();
#else
    return 0;
#endif
}
