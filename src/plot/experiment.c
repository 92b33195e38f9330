/* Figures of experiments over several seeds: curves with confidence bands,
 * paired values per seed, and heatmaps of a sweep. Drawn through pl.c's
 * renderer (one PLplot user at a time, files written atomically, PLplot's
 * messages and exits kept inside); see pl.c for why.
 *
 * About 700 lines, over the 600 a file here aims at, on purpose: the three
 * figures are one family and share their page set-up, title lines, legend
 * strip, translucent palette entries and cell frames; split apart, those
 * helpers would become an interface between three files. */
#include "plot/pl.h"
#include "plot/cells.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BANDS 4
#define MAX_PANELS 4
#define MAX_CELLS 32
/* Spare cmap0 entries after pl.c's palette: translucent fills and cells. */
enum { SPARE_FILL = DN_PL_PALETTE, SPARE_CELL = DN_PL_PALETTE + MAX_BANDS + 1, N_COLOURS };

static const int band_colour[MAX_BANDS] = {DN_PL_BLUE, DN_PL_VERMILLION, DN_PL_GREEN,
                                           DN_PL_PURPLE};
static const int band_marker[MAX_BANDS] = {DN_PL_CIRCLE, DN_PL_SQUARE, DN_PL_TRIANGLE,
                                           DN_PL_DIAMOND};

/* Entry SPARE_FILL + k: colour c at the given opacity. */
static void translucent(int k, int c, double alpha)
{
    int r, g, b;
    dn_pl_gcol0(c, &r, &g, &b);
    dn_pl_scol0a(SPARE_FILL + k, r, g, b, alpha);
}

static void grow_palette(void) { dn_pl_scmap0n(N_COLOURS); }

/* Title lines: the text up to a newline, and what follows. */
static void split_title(const char *title, char line[2][400])
{
    const char *nl = title ? strchr(title, '\n') : NULL;
    if (!title)
        title = "";
    if (nl) {
        snprintf(line[0], sizeof line[0], "%.*s", (int)(nl - title), title);
        snprintf(line[1], sizeof line[1], "%s", nl + 1);
    } else {
        snprintf(line[0], sizeof line[0], "%s", title);
        line[1][0] = '\0';
    }
}

/* Draws the title at the top of the page (world = pixels, y up); returns
 * the pixels it took. */
static double draw_title(const dn_pl_job *page, const char line[2][400])
{
    double W = page->width, H = page->height, s = page->scale;
    dn_pl_vpor(0, 1, 0, 1);
    dn_pl_wind(0, W, 0, H);
    dn_pl_col0(DN_PL_BLACK);
    double y = 8 * s;
    for (int l = 0; l < 2 && line[l][0]; l++) {
        dn_pl_schr(0, l == 0 ? 1.1 : 0.9);
        double lh = 1.7 * dn_pl_char_px(page);
        dn_pl_ptex(W / 2.0, H - (y + lh / 2), 0.5, line[l]);
        y += lh;
    }
    dn_pl_schr(0, 1.0);
    return y + 4 * s;
}

static void title_text(char *out, size_t size, const char line[2][400])
{
    snprintf(out, size, "%s%s%s", line[0], line[1][0] ? " | " : "", line[1]);
}

/* Joins the finite runs of points with lines (NaN breaks a line). */
static void broken_line(int n, const double *x, const double *y)
{
    int a = 0;
    while (a < n) {
        while (a < n && !(isfinite(x[a]) && isfinite(y[a])))
            a++;
        int b = a;
        while (b < n && isfinite(x[b]) && isfinite(y[b]))
            b++;
        if (b - a >= 2)
            dn_pl_line(b - a, x + a, y + a);
        a = b;
    }
}

/* The band between lo and hi as filled polygons over runs of finite
 * points. */
static void band_fill(const dn_band *b, double *px, double *py)
{
    if (!b->lo || !b->hi)
        return;
    int a = 0;
    while (a < b->n) {
        while (a < b->n && !(isfinite(b->lo[a]) && isfinite(b->hi[a]) && isfinite(b->x[a])))
            a++;
        int e = a;
        while (e < b->n && isfinite(b->lo[e]) && isfinite(b->hi[e]) && isfinite(b->x[e]))
            e++;
        int m = 0;
        for (int i = a; i < e; i++) {
            px[m] = b->x[i];
            py[m++] = b->hi[i];
        }
        for (int i = e - 1; i >= a; i--) {
            px[m] = b->x[i];
            py[m++] = b->lo[i];
        }
        if (e - a >= 2)
            dn_pl_fill(m, px, py);
        else if (e - a == 1) /* one point: a vertical bar */
            dn_pl_line(2, (double[]){b->x[a], b->x[a]}, (double[]){b->lo[a], b->hi[a]});
        a = e;
    }
}

/* ------------------------------------------------------------ bands */

typedef struct {
    const dn_band_panel *panels;
    int np;
    char title[2][400];
    const char *xlabel;
    double xmin, xmax;
    double ymin[MAX_PANELS], ymax[MAX_PANELS];
    double *px, *py; /* scratch for polygons */
} bands_fig;

/* The legend: one entry per band, then what the shading means. */
static double bands_legend(const dn_pl_job *page, const bands_fig *f, double y0, int draw)
{
    double W = page->width, H = page->height, s = page->scale;
    dn_pl_schr(0, 0.85);
    double ch = dn_pl_char_px(page), sample = 30 * s, gap = 5 * s, sep = 22 * s;
    const dn_band_panel *p = &f->panels[0];
    /* what the shading means, where some band has one */
    int shaded = 0;
    for (int k = 0; k < f->np; k++)
        for (int i = 0; i < f->panels[k].n_bands; i++)
            shaded |= f->panels[k].bands[i].lo && f->panels[k].bands[i].hi;
    const char *shade = shaded ? "shaded: 95 % confidence interval" : "";
    double width = 0;
    for (int i = 0; i < p->n_bands; i++)
        width += sample + gap + dn_pl_text_px(ch, p->bands[i].label ? p->bands[i].label : "") +
                 sep;
    width += dn_pl_text_px(ch, shade);
    double row = 1.75 * ch;
    if (draw) {
        double x = fmax(8 * s, (W - width) / 2), yc = H - (y0 + row / 2);
        for (int i = 0; i < p->n_bands; i++) {
            const char *label = p->bands[i].label ? p->bands[i].label : "";
            if (shaded) {
                translucent(i, band_colour[i], 0.25);
                dn_pl_col0(SPARE_FILL + i);
                dn_pl_fill(4, (double[]){x, x + sample, x + sample, x},
                       (double[]){yc - 4 * s, yc - 4 * s, yc + 4 * s, yc + 4 * s});
            }
            dn_pl_col0(band_colour[i]);
            dn_pl_width(1.8 * s);
            dn_pl_dashed(i % 2);
            dn_pl_line(2, (double[]){x, x + sample}, (double[]){yc, yc});
            dn_pl_dashed(0);
            dn_pl_marker(1, 1, band_marker[i], x + sample / 2, yc, 3.4 * s);
            dn_pl_col0(DN_PL_BLACK);
            dn_pl_ptex(x + sample + gap, yc, 0.0, label);
            x += sample + gap + dn_pl_text_px(ch, label) + sep;
        }
        dn_pl_col0(DN_PL_KEY);
        dn_pl_ptex(x, yc, 0.0, shade);
    }
    dn_pl_schr(0, 1.0);
    return row;
}

/* A figure's page: its size and scale, the palette, the title; returns the
 * height the title takes. */
static double begin_page(const dn_pl_job *page, const char title[2][400], double *W, double *H,
                         double *s)
{
    *W = page->width;
    *H = page->height;
    *s = page->scale;
    dn_pl_adv(0);
    grow_palette();
    return draw_title(page, title);
}

static void draw_bands(void *ctx, const void *page)
{
    const bands_fig *f = ctx;
    double W, H, s;
    double top = begin_page(page, f->title, &W, &H, &s);
    top += bands_legend(page, f, top, 1) + 8 * s;
    int cols = f->np >= 3 ? 2 : 1, rows = (f->np + cols - 1) / cols;
    double left = 74 * s, right = 18 * s, bottom = 46 * s, vgap = 14 * s, hgap = 78 * s;
    double pw = (W - left - right - (cols - 1) * hgap) / cols;
    double ph = (H - top - bottom - (rows - 1) * (vgap + (cols > 1 ? 30 * s : 0))) / rows;
    double xr = f->xmax - f->xmin, pad = xr > 0 ? 0.03 * xr : 0.5;
    double wx0 = f->xmin - pad, wx1 = f->xmax + pad;
    double xstep = xr <= 12 ? 1 : dn_pl_nice_step(xr, (int)fmax(3, pw / (60 * s)));
    for (int k = 0; k < f->np; k++) {
        const dn_band_panel *p = &f->panels[k];
        int r = k / cols, c = k % cols;
        /* In two columns every row gets its own epoch labels. */
        int labels = cols > 1 || r == rows - 1;
        double x0 = left + c * (pw + hgap), y0 = top + r * (ph + vgap + (cols > 1 ? 30 * s : 0));
        dn_pl_viewport_px(page, x0, y0, x0 + pw, y0 + ph);
        dn_pl_wind(wx0, wx1, f->ymin[k], f->ymax[k]);
        double ppx = pw / (wx1 - wx0), ppy = ph / (f->ymax[k] - f->ymin[k]);
        double ystep = dn_pl_nice_step(f->ymax[k] - f->ymin[k], ph > 150 * s ? 6 : ph > 80 * s ? 4 : 2);
        dn_pl_col0(DN_PL_GRID);
        dn_pl_width(0.8 * s);
        dn_pl_box("g", xstep, 0, "g", ystep, 0);
        for (int i = 0; i < p->n_bands; i++) {
            translucent(i, band_colour[i], 0.25);
            dn_pl_col0(SPARE_FILL + i);
            dn_pl_width(1.0 * s);
            band_fill(&p->bands[i], f->px, f->py);
        }
        if (p->zero_line) {
            dn_pl_col0(DN_PL_BLACK);
            dn_pl_width(1.0 * s);
            dn_pl_dashed(1);
            dn_pl_line(2, (double[]){wx0, wx1}, (double[]){0, 0});
            dn_pl_dashed(0);
        }
        for (int i = 0; i < p->n_bands; i++) {
            const dn_band *b = &p->bands[i];
            dn_pl_col0(band_colour[i]);
            dn_pl_width(1.8 * s);
            dn_pl_dashed(i % 2);
            broken_line(b->n, b->x, b->y);
            dn_pl_dashed(0);
            size_t stride = ppx >= 12 * s ? 1 : (size_t)ceil(12 * s / ppx);
            for (int q = 0; q < b->n; q++)
                if (isfinite(b->x[q]) && isfinite(b->y[q]) && (size_t)(b->n - 1 - q) % stride == 0)
                    dn_pl_marker(ppx, ppy, band_marker[i], b->x[q], b->y[q], 3.2 * s);
        }
        dn_pl_col0(DN_PL_BLACK);
        dn_pl_width(1.0 * s);
        dn_pl_schr(0, 0.9);
        dn_pl_box(labels ? "bcnst" : "bcst", xstep, xstep == 1 ? 1 : 0, "bcnstv", ystep, 0);
        dn_pl_schr(0, 0.95);
        dn_pl_mtex("l", 4.2, 0.5, 0.5, p->ylabel ? p->ylabel : "");
        if (labels && f->xlabel)
            dn_pl_mtex("b", 2.6, 0.5, 0.5, f->xlabel);
        dn_pl_schr(0, 1.0);
    }
}

static int check_common(const char *path, double scale, dn_err *err)
{
    size_t n = strlen(path);
    if (n < 5 || (strcmp(path + n - 4, ".png") != 0 && strcmp(path + n - 4, ".svg") != 0))
        return dn_fail(err, DN_EINVAL, "%s: a figure's name must end in .png or .svg", path);
    if (!(scale >= 1.0 && scale <= 4.0))
        return dn_fail(err, DN_EINVAL, "figure scale %g is outside [1, 4]", scale);
    return DN_OK;
}

int dn_plot_bands(const char *path, const dn_band_panel *panels, int n_panels, const char *title,
                  const char *xlabel, double scale, dn_err *err)
{
    int rc = check_common(path, scale, err);
    if (rc)
        return rc;
    if (n_panels < 1 || n_panels > MAX_PANELS)
        return dn_fail(err, DN_EINVAL, "%d panels in one figure (1 to %d)", n_panels,
                       MAX_PANELS);
    bands_fig f = {panels, n_panels, {{0}}, xlabel, INFINITY, -INFINITY, {0}, {0}, NULL, NULL};
    split_title(title, f.title);
    int most = 0;
    for (int k = 0; k < n_panels; k++) {
        const dn_band_panel *p = &panels[k];
        if (p->n_bands < 1 || p->n_bands > MAX_BANDS || (k && p->n_bands != panels[0].n_bands))
            return dn_fail(err, DN_EINVAL,
                           "panel %d: %d bands (1 to %d, as many in every panel)", k + 1,
                           p->n_bands, MAX_BANDS);
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < p->n_bands; i++) {
            const dn_band *b = &p->bands[i];
            if (b->n < 1 || !b->x || !b->y)
                return dn_fail(err, DN_EINVAL, "panel %d, band %d: no points", k + 1, i + 1);
            most = b->n > most ? b->n : most;
            for (int q = 0; q < b->n; q++) {
                if (!isfinite(b->x[q]))
                    continue;
                const double *v[3] = {b->y, b->lo, b->hi};
                for (int t = 0; t < 3; t++)
                    if (v[t] && isfinite(v[t][q])) {
                        lo = fmin(lo, v[t][q]);
                        hi = fmax(hi, v[t][q]);
                    }
                f.xmin = fmin(f.xmin, b->x[q]);
                f.xmax = fmax(f.xmax, b->x[q]);
            }
        }
        if (!isfinite(lo))
            return dn_fail(err, DN_EINVAL, "panel %d: no finite values to draw", k + 1);
        if (p->zero_line) {
            lo = fmin(lo, 0.0);
            hi = fmax(hi, 0.0);
        }
        double span = hi - lo;
        if (span < 1e-12 * fmax(1.0, fabs(hi)))
            span = fmax(fabs(hi) * 0.1, 0.01);
        f.ymin[k] = lo - 0.08 * span;
        f.ymax[k] = hi + 0.08 * span;
    }
    f.px = malloc(2 * (size_t)most * sizeof(double));
    f.py = malloc(2 * (size_t)most * sizeof(double));
    char *desc = malloc(MAX_BANDS * 200 + 64);
    if (!f.px || !f.py || !desc) {
        free(f.px);
        free(f.py);
        free(desc);
        return dn_fail(err, DN_ENOMEM, "cannot allocate a figure");
    }
    size_t k = 0;
    for (int i = 0; i < panels[0].n_bands; i++)
        k += (size_t)snprintf(desc + k, 200, "legend: %.180s\n",
                              panels[0].bands[i].label ? panels[0].bands[i].label : "");
    snprintf(desc + k, 64, "shaded: 95 %% confidence interval");
    char t[820];
    title_text(t, sizeof t, f.title);
    rc = dn_pl_render(path, scale, draw_bands, &f, t, desc, err);
    free(f.px);
    free(f.py);
    free(desc);
    return rc;
}

/* ------------------------------------------------------------ pairs */

typedef struct {
    const dn_paired_fig *p;
    char title[2][400];
    double *d, *x;       /* differences and where they go */
    dn_interval ci;
    double ymin, ymax, dmin, dmax, xmin, xmax;
} paired_state;

static int pair_colour(double a, double b)
{
    return b > a ? DN_PL_BLUE : b < a ? DN_PL_VERMILLION : DN_PL_GREY;
}

static void draw_paired(void *ctx, const void *page)
{
    const paired_state *st = ctx;
    const dn_paired_fig *p = st->p;
    double W, H, s;
    double top = begin_page(page, st->title, &W, &H, &s);
    /* The key: what A and B stand for (the axes say only A and B). */
    char key[400];
    snprintf(key, sizeof key, "A: %.180s     B: %.180s", p->label_a ? p->label_a : "",
             p->label_b ? p->label_b : "");
    dn_pl_schr(0, 0.85);
    double kh = 1.6 * dn_pl_char_px(page);
    dn_pl_col0(DN_PL_BLACK);
    dn_pl_ptex(W / 2.0, H - (top + kh / 2), 0.5, key);
    dn_pl_schr(0, 1.0);
    top += kh + 20 * s;
    double left = 74 * s, right = 18 * s, bottom = 52 * s, mid = 80 * s;
    double lw = (W - left - right - mid) * 0.36, rw = W - left - right - mid - lw;
    double ph = H - top - bottom;
    int n = p->n;
    /* Left: one line per pair from a to b. */
    dn_pl_viewport_px(page, left, top, left + lw, top + ph);
    double wx0 = -0.35, wx1 = 1.35;
    dn_pl_wind(wx0, wx1, st->ymin, st->ymax);
    double ppx = lw / (wx1 - wx0), ppy = ph / (st->ymax - st->ymin);
    double ystep = dn_pl_nice_step(st->ymax - st->ymin, 6);
    dn_pl_col0(DN_PL_GRID);
    dn_pl_width(0.8 * s);
    dn_pl_box("", 0, 0, "g", ystep, 0);
    double r = n > 40 ? 2.2 * s : 3.0 * s;
    for (int i = 0; i < n; i++) {
        dn_pl_col0(pair_colour(p->a[i], p->b[i]));
        dn_pl_width(1.3 * s);
        dn_pl_line(2, (double[]){0, 1}, (double[]){p->a[i], p->b[i]});
        dn_pl_marker(ppx, ppy, DN_PL_CIRCLE, 0, p->a[i], r);
        dn_pl_marker(ppx, ppy, DN_PL_CIRCLE, 1, p->b[i], r);
    }
    dn_pl_col0(DN_PL_BLACK);
    dn_pl_width(1.0 * s);
    dn_pl_schr(0, 0.9);
    dn_pl_box("bc", 0, 0, "bcnstv", ystep, 0);
    dn_pl_mtex("b", 1.4, (0 - wx0) / (wx1 - wx0), 0.5, "A");
    dn_pl_mtex("b", 1.4, (1 - wx0) / (wx1 - wx0), 0.5, "B");
    dn_pl_schr(0, 0.95);
    dn_pl_mtex("l", 4.2, 0.5, 0.5, p->ylabel ? p->ylabel : "");
    dn_pl_schr(0, 1.0);

    /* Right: the differences, their mean and its interval, and 0. */
    double x0 = left + lw + mid;
    dn_pl_viewport_px(page, x0, top, x0 + rw, top + ph);
    double xr = st->xmax - st->xmin, pad = xr > 0 ? 0.05 * xr : 0.5;
    wx0 = st->xmin - pad;
    wx1 = st->xmax + pad;
    dn_pl_wind(wx0, wx1, st->dmin, st->dmax);
    ppx = rw / (wx1 - wx0);
    ppy = ph / (st->dmax - st->dmin);
    double dstep = dn_pl_nice_step(st->dmax - st->dmin, 6);
    double xstep = xr <= 12 ? 1 : dn_pl_nice_step(xr, 8);
    dn_pl_col0(DN_PL_GRID);
    dn_pl_width(0.8 * s);
    dn_pl_box("g", xstep, 0, "g", dstep, 0);
    if (isfinite(st->ci.lo)) {
        translucent(0, DN_PL_GREY, 0.35);
        dn_pl_col0(SPARE_FILL);
        dn_pl_fill(4, (double[]){wx0, wx1, wx1, wx0},
               (double[]){st->ci.lo, st->ci.lo, st->ci.hi, st->ci.hi});
    }
    dn_pl_col0(DN_PL_BLACK);
    dn_pl_width(1.0 * s);
    dn_pl_dashed(1);
    dn_pl_line(2, (double[]){wx0, wx1}, (double[]){0, 0});
    dn_pl_dashed(0);
    dn_pl_width(1.8 * s);
    dn_pl_line(2, (double[]){wx0, wx1}, (double[]){st->ci.mean, st->ci.mean});
    for (int i = 0; i < n; i++) {
        dn_pl_col0(pair_colour(p->a[i], p->b[i]));
        dn_pl_marker(ppx, ppy, DN_PL_CIRCLE, st->x[i], st->d[i], r + 0.4 * s);
    }
    dn_pl_col0(DN_PL_BLACK);
    dn_pl_width(1.0 * s);
    dn_pl_schr(0, 0.9);
    dn_pl_box("bcnst", xstep, xstep == 1 ? 1 : 0, "bcnstv", dstep, 0);
    dn_pl_schr(0, 0.95);
    dn_pl_mtex("l", 4.2, 0.5, 0.5, p->dlabel ? p->dlabel : "B - A");
    dn_pl_mtex("b", 2.6, 0.5, 0.5, p->xlabel ? p->xlabel : "pair");
    dn_pl_schr(0, 0.8);
    dn_pl_col0(DN_PL_KEY);
    dn_pl_mtex("t", 0.7, 0.5, 0.5, "line: mean of B - A; shaded: its 95 % interval");
    dn_pl_schr(0, 1.0);
}

int dn_plot_paired(const char *path, const dn_paired_fig *p, double scale, dn_err *err)
{
    int rc = check_common(path, scale, err);
    if (rc)
        return rc;
    if (p->n < 1 || p->n > 1000 || !p->a || !p->b)
        return dn_fail(err, DN_EINVAL, "%d pairs in a paired figure (1 to 1000)", p->n);
    paired_state st = {.p = p};
    split_title(p->title, st.title);
    st.d = malloc((size_t)p->n * sizeof(double));
    st.x = malloc((size_t)p->n * sizeof(double));
    if (!st.d || !st.x) {
        free(st.d);
        free(st.x);
        return dn_fail(err, DN_ENOMEM, "cannot allocate a figure");
    }
    st.ymin = st.dmin = st.xmin = INFINITY;
    st.ymax = st.dmax = st.xmax = -INFINITY;
    for (int i = 0; i < p->n; i++) {
        st.d[i] = p->b[i] - p->a[i];
        st.x[i] = p->x ? p->x[i] : i + 1;
        if (!isfinite(st.d[i]) || !isfinite(st.x[i])) {
            free(st.d);
            free(st.x);
            return dn_fail(err, DN_EINVAL, "pair %d is not finite", i + 1);
        }
        st.ymin = fmin(st.ymin, fmin(p->a[i], p->b[i]));
        st.ymax = fmax(st.ymax, fmax(p->a[i], p->b[i]));
        st.dmin = fmin(st.dmin, st.d[i]);
        st.dmax = fmax(st.dmax, st.d[i]);
        st.xmin = fmin(st.xmin, st.x[i]);
        st.xmax = fmax(st.xmax, st.x[i]);
    }
    dn_mean_interval(st.d, p->n, 0.95, &st.ci, NULL);
    if (isfinite(st.ci.lo)) {
        st.dmin = fmin(st.dmin, st.ci.lo);
        st.dmax = fmax(st.dmax, st.ci.hi);
    }
    st.dmin = fmin(st.dmin, 0.0);
    st.dmax = fmax(st.dmax, 0.0);
    double *lim[2][2] = {{&st.ymin, &st.ymax}, {&st.dmin, &st.dmax}};
    for (int k = 0; k < 2; k++) {
        double span = *lim[k][1] - *lim[k][0];
        if (span < 1e-12 * fmax(1.0, fabs(*lim[k][1])))
            span = fmax(fabs(*lim[k][1]) * 0.1, 0.01);
        *lim[k][0] -= 0.08 * span;
        *lim[k][1] += 0.08 * span;
    }
    char desc[600], t[820];
    snprintf(desc, sizeof desc, "A: %.100s\nB: %.100s\nleft: A to B per pair; right: B - A, "
             "mean %g, 95 %% interval [%g, %g]", p->label_a ? p->label_a : "",
             p->label_b ? p->label_b : "", st.ci.mean, st.ci.lo, st.ci.hi);
    title_text(t, sizeof t, st.title);
    rc = dn_pl_render(path, scale, draw_paired, &st, t, desc, err);
    free(st.d);
    free(st.x);
    return rc;
}

/* ------------------------------------------------------------ heatmaps */

/* Viridis, sampled at five points and interpolated in RGB. */
static void viridis(double t, int rgb[3])
{
    static const int pts[5][3] = {
        {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double u = t * 4;
    int i = u >= 4 ? 3 : (int)u;
    double f = u - i;
    for (int c = 0; c < 3; c++)
        rgb[c] = (int)lround(pts[i][c] + f * (pts[i + 1][c] - pts[i][c]));
}

typedef struct {
    double x0, y0, x1, y1; /* the grid, pixels from the top left */
    double cw, ch;
} heat_layout;

static void layout(const dn_heatmap *h, double scale, heat_layout *L)
{
    double W = 640 * scale, H = 480 * scale;
    L->x0 = 100 * scale;
    L->x1 = W - 110 * scale;
    L->y0 = 70 * scale;
    L->y1 = H - 60 * scale;
    L->cw = (L->x1 - L->x0) / h->nx;
    L->ch = (L->y1 - L->y0) / h->ny;
}

void dn_plot_heatmap_cell(const dn_heatmap *h, int x, int y, double scale, int rect[4])
{
    heat_layout L;
    layout(h, scale, &L);
    rect[0] = (int)lround(L.x0 + x * L.cw);
    rect[2] = (int)lround(L.x0 + (x + 1) * L.cw);
    rect[3] = (int)lround(L.y1 - y * L.ch);
    rect[1] = (int)lround(L.y1 - (y + 1) * L.ch);
}

typedef struct {
    const dn_heatmap *h;
    double zmin, zmax;
    char title[2][400];
} heat_state;

static void frame_cell(double H, double x0, double y0, double x1, double y1, double inset,
                       double width, int colour)
{
    double fx[5] = {x0 + inset, x1 - inset, x1 - inset, x0 + inset, x0 + inset};
    double fy[5] = {H - y0 - inset, H - y0 - inset, H - y1 + inset, H - y1 + inset,
                   H - y0 - inset};
    dn_pl_col0(colour);
    dn_pl_width(width);
    dn_pl_line(5, fx, fy);
}

static void draw_heatmap(void *ctx, const void *page)
{
    const heat_state *st = ctx;
    const dn_heatmap *h = st->h;
    double W, H, s;
    double y = begin_page(page, st->title, &W, &H, &s);
    if (h->note) {
        dn_pl_schr(0, 0.8);
        dn_pl_col0(DN_PL_KEY);
        dn_pl_ptex(W / 2.0, H - (y + 0.7 * dn_pl_char_px(page)), 0.5, h->note);
        dn_pl_schr(0, 1.0);
    }
    heat_layout L;
    layout(h, s, &L);
    /* world = pixels, y up */
    dn_pl_vpor(0, 1, 0, 1);
    dn_pl_wind(0, W, 0, H);
    char text[64];
    /* The largest text that fits every cell. */
    int widest = 1;
    for (int i = 0; i < h->nx * h->ny; i++)
        if (isfinite(h->z[i])) {
            int len = snprintf(text, sizeof text, "%.*f", h->decimals, h->z[i]);
            widest = len > widest ? len : widest;
        }
    dn_pl_schr(0, 1.0);
    double ch1 = dn_pl_char_px(page);
    double size = fmin(1.0, fmin(0.8 * L.cw / (0.72 * ch1 * widest), 0.5 * L.ch / ch1));
    for (int y = 0; y < h->ny; y++)
        for (int x = 0; x < h->nx; x++) {
            double v = h->z[y * h->nx + x];
            int rect[4];
            dn_plot_heatmap_cell(h, x, y, s, rect);
            int rgb[3] = {221, 221, 221};
            if (isfinite(v))
                viridis((v - st->zmin) / (st->zmax - st->zmin), rgb);
            dn_pl_scol0(SPARE_CELL, rgb[0], rgb[1], rgb[2]);
            dn_pl_col0(SPARE_CELL);
            dn_pl_fill(4, (double[]){rect[0], rect[2], rect[2], rect[0]},
                   (double[]){H - rect[3], H - rect[3], H - rect[1], H - rect[1]});
            if (isfinite(v) && size >= 0.35) {
                double lum = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255.0;
                dn_pl_col0(lum < 0.5 ? DN_PL_WHITE : DN_PL_BLACK);
                dn_pl_schr(0, size);
                snprintf(text, sizeof text, "%.*f", h->decimals, v);
                dn_pl_ptex((rect[0] + rect[2]) / 2.0, H - (rect[1] + rect[3]) / 2.0, 0.5, text);
            }
        }
    /* Frames: thin for the marked cells, thick for the best; a white line
     * inside each keeps it visible on dark cells. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < h->nx * h->ny; i++) {
            int best = i == h->best;
            if (pass == 0 ? !(h->marked && h->marked[i]) || best : !best)
                continue;
            int rect[4];
            dn_plot_heatmap_cell(h, i % h->nx, i / h->nx, s, rect);
            double w = best ? 5.0 * s : 1.4 * s;
            frame_cell(H, rect[0], rect[1], rect[2], rect[3], w / 2, w, DN_PL_BLACK);
            frame_cell(H, rect[0], rect[1], rect[2], rect[3], w + 0.6 * s, 1.0 * s,
                       DN_PL_WHITE);
        }
    /* Ticks: every k-th label, so that neighbours never overlap. */
    dn_pl_col0(DN_PL_BLACK);
    dn_pl_schr(0, 0.85);
    double ch = dn_pl_char_px(page);
    double wmax = 0;
    for (int x = 0; x < h->nx; x++)
        wmax = fmax(wmax, dn_pl_text_px(ch, h->xticks[x]));
    int kx = (int)ceil((wmax + 6 * s) / L.cw);
    kx = kx < 1 ? 1 : kx;
    for (int x = 0; x < h->nx; x += kx)
        dn_pl_ptex(L.x0 + (x + 0.5) * L.cw, H - (L.y1 + 1.1 * ch), 0.5, h->xticks[x]);
    int ky = (int)ceil(1.3 * ch / L.ch);
    ky = ky < 1 ? 1 : ky;
    for (int y = 0; y < h->ny; y += ky)
        dn_pl_ptex(L.x0 - 6 * s, H - (L.y1 - (y + 0.5) * L.ch), 1.0, h->yticks[y]);
    dn_pl_schr(0, 0.95);
    dn_pl_viewport_px(page, L.x0, L.y0, L.x1, L.y1);
    dn_pl_wind(0, 1, 0, 1);
    dn_pl_mtex("b", 2.9, 0.5, 0.5, h->xlabel ? h->xlabel : "");
    dn_pl_mtex("l", 5.2, 0.5, 0.5, h->ylabel ? h->ylabel : "");
    /* The colour bar. */
    double bx0 = L.x1 + 22 * s, bx1 = bx0 + 16 * s;
    dn_pl_viewport_px(page, bx0, L.y0, bx1, L.y1);
    dn_pl_wind(0, 1, st->zmin, st->zmax);
    int steps = 64;
    for (int i = 0; i < steps; i++) {
        int rgb[3];
        viridis((i + 0.5) / steps, rgb);
        dn_pl_scol0(SPARE_CELL, rgb[0], rgb[1], rgb[2]);
        dn_pl_col0(SPARE_CELL);
        double za = st->zmin + (st->zmax - st->zmin) * i / steps;
        double zb = st->zmin + (st->zmax - st->zmin) * (i + 1) / steps;
        dn_pl_fill(4, (double[]){0, 1, 1, 0}, (double[]){za, za, zb, zb});
    }
    dn_pl_col0(DN_PL_BLACK);
    dn_pl_width(1.0 * s);
    dn_pl_schr(0, 0.8);
    dn_pl_box("bc", 0, 0, "bcmstv", dn_pl_nice_step(st->zmax - st->zmin, 6), 0);
    dn_pl_schr(0, 0.9);
    dn_pl_mtex("r", 4.4, 0.5, 0.5, h->zlabel ? h->zlabel : "");
    dn_pl_schr(0, 1.0);
}

int dn_plot_heatmap(const char *path, const dn_heatmap *h, double scale, dn_err *err)
{
    int rc = check_common(path, scale, err);
    if (rc)
        return rc;
    if (h->nx < 1 || h->ny < 1 || h->nx > MAX_CELLS || h->ny > MAX_CELLS)
        return dn_fail(err, DN_EINVAL, "a heatmap of %d x %d cells (1 to %d each way)", h->nx,
                       h->ny, MAX_CELLS);
    if (!h->z || !h->xticks || !h->yticks)
        return dn_fail(err, DN_EINVAL, "a heatmap needs values and tick labels");
    if (h->decimals < 0 || h->decimals > 6)
        return dn_fail(err, DN_EINVAL, "%d decimals (0 to 6)", h->decimals);
    if (h->best >= h->nx * h->ny)
        return dn_fail(err, DN_EINVAL, "best cell %d of %d", h->best, h->nx * h->ny);
    heat_state st = {h, INFINITY, -INFINITY, {{0}}};
    for (int i = 0; i < h->nx * h->ny; i++)
        if (isfinite(h->z[i])) {
            st.zmin = fmin(st.zmin, h->z[i]);
            st.zmax = fmax(st.zmax, h->z[i]);
        }
    if (!isfinite(st.zmin))
        return dn_fail(err, DN_EINVAL, "a heatmap without values");
    if (st.zmax - st.zmin < 1e-12 * fmax(1.0, fabs(st.zmax))) {
        double d = fmax(fabs(st.zmax) * 0.01, 0.5);
        st.zmin -= d;
        st.zmax += d;
    }
    split_title(h->title, st.title);
    size_t cap = 256 + (size_t)h->nx * h->ny * 48;
    char *desc = malloc(cap), t[820];
    if (!desc)
        return dn_fail(err, DN_ENOMEM, "cannot allocate a figure");
    size_t k = (size_t)snprintf(desc, cap, "%s by %s; colour: %s", h->xlabel ? h->xlabel : "x",
                                h->ylabel ? h->ylabel : "y", h->zlabel ? h->zlabel : "value");
    for (int y = 0; y < h->ny && k < cap; y++)
        for (int x = 0; x < h->nx && k < cap; x++)
            k += (size_t)snprintf(desc + k, cap - k, "\n%.20s, %.20s: %.*f%s", h->xticks[x],
                                  h->yticks[y], h->decimals, h->z[y * h->nx + x],
                                  y * h->nx + x == h->best ? " (best)"
                                  : h->marked && h->marked[y * h->nx + x] ? " (marked)"
                                                                           : "");
    title_text(t, sizeof t, st.title);
    rc = dn_pl_render(path, scale, draw_heatmap, &st, t, desc, err);
    free(desc);
    return rc;
}
