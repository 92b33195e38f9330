#include "helpers.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include <criterion/criterion.h>
#include <math.h>
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

static double mean_loss(dn_net *net, const float *x, const uint8_t *y, int b)
{
    const float *z = dn_net_forward(net, x, b, NULL);
    int C = dn_net_output_width(net);
    float *l = malloc((size_t)b * sizeof *l);
    dn_softmax_xent_forward(l, z, y, b, C);
    double s = 0.0;
    for (int r = 0; r < b; r++)
        s += l[r];
    free(l);
    return s / b;
}

int check_net_gradients(dn_net *net, const float *x, const uint8_t *y, int b, float h,
                        int *nonzero)
{
    const float *z = dn_net_forward(net, x, b, NULL);
    int C = dn_net_output_width(net);
    float *dz = malloc((size_t)b * (size_t)C * sizeof *dz);
    dn_softmax_xent_backward(dz, z, y, b, C, 1.0f / (float)b);
    dn_net_backward(net, dz, b);
    free(dz);
    size_t np;
    float *p = dn_net_params(net, &np);
    float *g = malloc(np * sizeof *g);
    memcpy(g, dn_net_grads(net, NULL), np * sizeof *g);
    int checked = 0;
    *nonzero = 0;
    for (int li = 0; li < dn_net_num_layers(net); li++) {
        dn_layer_info L;
        dn_net_layer(net, li, &L, NULL);
        if (L.kind != DN_LAYER_LINEAR)
            continue;
        size_t nw = (size_t)L.in * (size_t)L.out;
        for (size_t k = 0; k < nw + (size_t)L.out; k++) {
            float *v = k < nw ? &L.w[k] : &L.b[k - nw];
            float an = g[v - p];
            float keep = *v;
            *v = keep + h;
            double lp = mean_loss(net, x, y, b);
            *v = keep - h;
            double lm = mean_loss(net, x, y, b);
            *v = keep;
            double num = (lp - lm) / (2.0 * h);
            cr_assert(fabs(an - num) <= 2e-3 + 1e-2 * fmax(fabs(an), fabs(num)),
                      "layer %d param %zu: %g vs %g", li, k, (double)an, num);
            checked++;
            *nonzero += an != 0.0f;
        }
    }
    free(g);
    return checked;
}
