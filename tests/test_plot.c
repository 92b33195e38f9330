/* Figures (src/plot/curves.c, predictions.c), checked by decoding them: the PNG header and
 * pixels with libpng, the SVG as XML with libxml2, whose paths are then
 * matched against the numbers the test wrote. */
#include "helpers.h"
#include "plot/cells.h"
#include "png_check.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <png.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Colours of the palette (src/plot/pl.h). */
static const int BLUE[3] = {0, 114, 178};      /* one run: training; runs: the first */
static const int ORANGE[3] = {230, 159, 0};    /* runs: the second */
static const int VERMILLION[3] = {213, 94, 0}; /* one run: test */

/* ------------------------------------------------------------ PNG */

static void png_size(const char *path, unsigned *w, unsigned *h)
{
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s: cannot open", path);
    cr_assert_eq(fread(b, 1, 24, f), 24, "%s: shorter than a PNG header", path);
    fclose(f);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    cr_assert(memcmp(b, sig, 8) == 0, "%s: no PNG signature", path);
    cr_assert(memcmp(b + 12, "IHDR", 4) == 0, "%s: first chunk is not IHDR", path);
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
}

static int is_red(const unsigned char *p) { return p[0] > 170 && p[1] < 80 && p[2] < 80; }
static int is_white(const unsigned char *p) { return p[0] > 245 && p[1] > 245 && p[2] > 245; }

/* ------------------------------------------------------------ SVG */

typedef struct {
    int stroke[3], fill[3]; /* -1: none */
    int n;
    double *x, *y; /* page coordinates, y down */
} svg_path;

typedef struct {
    svg_path *p;
    int n, cap;
    char *title, *desc, *width, *height, *viewbox;
} svg;

static int parse_rgb(const char *style, const char *key, int out[3])
{
    out[0] = out[1] = out[2] = -1;
    const char *k = strstr(style, key);
    if (!k)
        return 0;
    k += strlen(key);
    if (strncmp(k, "rgb(", 4) != 0)
        return 0;
    double v[3];
    cr_assert_eq(sscanf(k, "rgb(%lf%%,%lf%%,%lf%%)", &v[0], &v[1], &v[2]), 3, "style %s", style);
    for (int i = 0; i < 3; i++)
        out[i] = (int)lround(v[i] * 2.55);
    return 1;
}

static void add_path(svg *s, xmlNode *node)
{
    xmlChar *style = xmlGetProp(node, (const xmlChar *)"style");
    xmlChar *d = xmlGetProp(node, (const xmlChar *)"d");
    xmlChar *tf = xmlGetProp(node, (const xmlChar *)"transform");
    if (!style || !d) {
        xmlFree(style);
        xmlFree(d);
        xmlFree(tf);
        return;
    }
    double m[6] = {1, 0, 0, 1, 0, 0};
    if (tf)
        cr_assert_eq(sscanf((const char *)tf, "matrix(%lf,%lf,%lf,%lf,%lf,%lf)", &m[0], &m[1], &m[2],
                            &m[3], &m[4], &m[5]),
                     6, "transform %s", tf);
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->p = realloc(s->p, (size_t)s->cap * sizeof *s->p);
        cr_assert(s->p);
    }
    svg_path *p = &s->p[s->n++];
    memset(p, 0, sizeof *p);
    parse_rgb((const char *)style, "stroke:", p->stroke);
    parse_rgb((const char *)style, "fill:", p->fill);
    size_t len = strlen((const char *)d);
    p->x = malloc((len / 2 + 1) * sizeof(double));
    p->y = malloc((len / 2 + 1) * sizeof(double));
    const char *c = (const char *)d;
    char cmd = 0;
    for (;;) {
        while (*c == ' ')
            c++;
        if (!*c)
            break;
        if (*c == 'M' || *c == 'L' || *c == 'Z' || *c == 'C') {
            cmd = *c++;
            continue;
        }
        cr_assert(cmd == 'M' || cmd == 'L' || cmd == 'C', "path data '%s'", d);
        double x, y;
        int used = 0;
        cr_assert_eq(sscanf(c, "%lf %lf%n", &x, &y, &used), 2, "path data '%s'", d);
        c += used;
        p->x[p->n] = m[0] * x + m[2] * y + m[4];
        p->y[p->n] = m[1] * x + m[3] * y + m[5];
        p->n++;
    }
    xmlFree(style);
    xmlFree(d);
    xmlFree(tf);
}

static char *text_of(xmlNode *n)
{
    xmlChar *t = xmlNodeGetContent(n);
    char *r = strdup((const char *)t);
    xmlFree(t);
    return r;
}

/* Paths drawn on the page (not glyph outlines inside <defs>). */
static void walk(svg *s, xmlNode *node)
{
    for (xmlNode *n = node; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const char *name = (const char *)n->name;
        if (strcmp(name, "defs") == 0)
            continue;
        if (strcmp(name, "path") == 0)
            add_path(s, n);
        else if (strcmp(name, "title") == 0 && !s->title)
            s->title = text_of(n);
        else if (strcmp(name, "desc") == 0 && !s->desc)
            s->desc = text_of(n);
        walk(s, n->children);
    }
}

static svg svg_load(const char *path)
{
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING);
    cr_assert(doc, "%s: not well-formed XML", path);
    xmlNode *root = xmlDocGetRootElement(doc);
    cr_assert(root && strcmp((const char *)root->name, "svg") == 0, "%s: root is not <svg>", path);
    cr_assert(root->ns && strcmp((const char *)root->ns->href, "http://www.w3.org/2000/svg") == 0,
              "%s: not in the SVG namespace", path);
    svg s = {0};
    s.width = (char *)xmlGetProp(root, (const xmlChar *)"width");
    s.height = (char *)xmlGetProp(root, (const xmlChar *)"height");
    s.viewbox = (char *)xmlGetProp(root, (const xmlChar *)"viewBox");
    walk(&s, root->children);
    xmlFreeDoc(doc);
    return s;
}

/* The centre of a marker polygon (its closing point repeats the first). */
static void centroid(const svg_path *p, double *cx, double *cy)
{
    int n = p->n;
    if (n > 1 && fabs(p->x[n - 1] - p->x[0]) < 1e-6 && fabs(p->y[n - 1] - p->y[0]) < 1e-6)
        n--;
    *cx = *cy = 0;
    for (int q = 0; q < n; q++) {
        *cx += p->x[q];
        *cy += p->y[q];
    }
    *cx /= n;
    *cy /= n;
}

static int same(const int a[3], const int b[3])
{
    return abs(a[0] - b[0]) <= 1 && abs(a[1] - b[1]) <= 1 && abs(a[2] - b[2]) <= 1;
}

static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, strlen(prefix)) == 0;
    return n;
}

/* ------------------------------------------------------------ runs */

#define EPOCHS 6
#define PER_EPOCH 3

static double tr_loss(int i) { return 1.6 / (1.0 + 0.45 * i) + 0.03 * (i % 2); }
static double tr_acc(int i) { return 0.35 + 0.5 * (1.0 - exp(-0.3 * i)); }
static double te_loss(int e) { return 0.9 - 0.07 * e + 0.05 * (e == 4); }
static double te_acc(int e) { return 0.6 + 0.04 * e - 0.03 * (e == 4); }

/* A run directory with EPOCHS epochs and PER_EPOCH rows of steps.csv per
 * epoch; dropout (p0, p1). */
static void make_run(const char *dir, float p0, float p1, int with_steps)
{
    dn_config cfg;
    dn_preset("d2l-2020", &cfg, NULL);
    cfg.arch.dropout[0] = p0;
    cfg.arch.dropout[1] = p1;
    dn_err err = {0};
    dn_runlog *log = dn_runlog_open(dir, &cfg, NULL, &err);
    cr_assert(log, "%s", err.msg);
    for (int e = 1; e <= EPOCHS; e++) {
        for (int k = 1; k <= PER_EPOCH && with_steps; k++) {
            int i = (e - 1) * PER_EPOCH + k;
            dn_step_point p = {e, (size_t)(20 * k), 60, 5120, tr_loss(i) + 0.01 * p0,
                               tr_acc(i) - 0.01 * p0};
            cr_assert_eq(dn_runlog_step(log, &p, &err), DN_OK, "%s", err.msg);
        }
        dn_epoch_stats st = {e, tr_loss(e * PER_EPOCH), tr_acc(e * PER_EPOCH),
                             te_loss(e) + 0.02 * p0, te_acc(e) - 0.02 * p0, 1.0, false, 0, 0};
        cr_assert_eq(dn_runlog_epoch(log, &st, &err), DN_OK, "%s", err.msg);
    }
    dn_runlog_close(log);
    /* The run log always writes steps.csv (its header at least): a run
     * without steps has none at all, as runs made before steps.csv. */
    if (!with_steps) {
        char path[1100];
        snprintf(path, sizeof path, "%s/steps.csv", dir);
        cr_assert_eq(remove(path), 0);
    }
}

static dn_run load_run(const char *dir)
{
    dn_run run;
    dn_err err = {0};
    cr_assert_eq(dn_run_load(dir, &run, &err), DN_OK, "%s", err.msg);
    return run;
}

/* An affine map v -> a + b v through two points, and how far the others
 * are from it. */
typedef struct {
    double a, b;
} affine;

static affine fit(double v0, double p0, double v1, double p1)
{
    cr_assert(fabs(v1 - v0) > 1e-9);
    affine f = {0, (p1 - p0) / (v1 - v0)};
    f.a = p0 - f.b * v0;
    return f;
}

static double at(affine f, double v) { return f.a + f.b * v; }

/* PLplot draws at a resolution of a tenth of a pixel. */
#define TOL 0.15

/* ------------------------------------------------------------ tests */

Test(plot, png_sizes_and_silence)
{
    const char *dir = tmp_path("png_run");
    make_run(dir, 0.2f, 0.5f, 1);
    dn_run run = load_run(dir);
    dn_err err = {0};
    /* PLplot must not print: watch stdout and stderr while it draws. */
    const char *cap = tmp_path("captured.txt");
    fflush(stdout);
    fflush(stderr);
    int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0644), o1 = dup(1), o2 = dup(2);
    cr_assert(fd >= 0 && o1 >= 0 && o2 >= 0);
    dup2(fd, 1);
    dup2(fd, 2);
    const char *p1 = tmp_path("c1.png"), *p2 = tmp_path("c2.png"), *p3 = tmp_path("c15.png");
    int rc1 = dn_plot_curves(p1, &run, 1, NULL, 0, 1.0, &err);
    int rc2 = dn_plot_curves(p2, &run, 1, NULL, 0, 2.0, &err);
    int rc3 = dn_plot_curves(p3, &run, 1, NULL, 0, 1.5, &err);
    fflush(stdout);
    fflush(stderr);
    dup2(o1, 1);
    dup2(o2, 2);
    close(fd);
    close(o1);
    close(o2);
    cr_assert(rc1 == DN_OK && rc2 == DN_OK && rc3 == DN_OK, "%s", err.msg);
    struct stat st;
    cr_assert_eq(stat(cap, &st), 0);
    cr_assert_eq(st.st_size, 0, "PLplot printed %lld bytes", (long long)st.st_size);
    unsigned w, h;
    png_size(p1, &w, &h);
    cr_assert(w == 640 && h == 480, "%ux%u", w, h);
    png_size(p2, &w, &h);
    cr_assert(w == 1280 && h == 960, "%ux%u", w, h);
    png_size(p3, &w, &h);
    cr_assert(w == 960 && h == 720, "%ux%u", w, h);
    /* The whole file decodes, and it is a drawing: white page, dark axes and
     * the blue of the training curves. */
    image im = png_decode(p2);
    size_t white = 0, dark = 0, blue = 0;
    for (size_t i = 0; i < (size_t)im.w * im.h; i++) {
        const unsigned char *p = im.rgb + 3 * i;
        white += is_white(p);
        dark += p[0] < 40 && p[1] < 40 && p[2] < 40;
        int c[3] = {p[0], p[1], p[2]};
        blue += same(c, BLUE);
    }
    cr_assert(white > im.w * im.h / 2, "white %zu", white);
    cr_assert(dark > 1000, "dark %zu", dark);
    cr_assert(blue > 500, "blue %zu", blue);
    free(im.rgb);
    /* No temporary file is left beside the figures. */
    DIR *d = opendir(tmp_dir());
    cr_assert(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        cr_assert(!strstr(e->d_name, ".tmp"), "left behind: %s", e->d_name);
    closedir(d);
    dn_run_free(&run);
}

/* One path per solid series with one point per row; one marker per row for
 * the dashed test series, on the same axes. */
Test(plot, svg_series_match_the_rows)
{
    const char *dir = tmp_path("svg_run");
    make_run(dir, 0.2f, 0.5f, 1);
    dn_run run = load_run(dir);
    dn_err err = {0};
    const char *path = tmp_path("curves.svg");
    cr_assert_eq(dn_plot_curves(path, &run, 1, NULL, 0, 1.0, &err), DN_OK, "%s", err.msg);
    svg s = svg_load(path);
    cr_assert_str_eq(s.width, "640pt");
    cr_assert_str_eq(s.height, "480pt");
    cr_assert_str_eq(s.viewbox, "0 0 640 480");
    cr_assert(s.title && strstr(s.title, "MLP 784-256-256-10 | dropout 0.2,0.5"), "%s", s.title);
    cr_assert(s.desc, "no <desc>");
    cr_assert_eq(count_lines(s.desc, "legend: "), 2, "%s", s.desc);
    cr_assert(strstr(s.desc, "legend: train, dropout on") &&
                  strstr(s.desc, "legend: test, dropout off"),
              "%s", s.desc);

    const size_t M = run.steps.n, N = run.metrics.n;
    cr_assert_eq(M, EPOCHS * PER_EPOCH);
    /* The training series: stroked blue paths of more than two points (the
     * legend's sample line has two). */
    int found[2] = {0, 0};
    affine xmap[2], ymap[2];
    double top_y = 1e9; /* the highest point of the training curves */
    for (int i = 0; i < s.n; i++) {
        svg_path *p = &s.p[i];
        /* (markers are filled and stroked; lines are stroked only) */
        if (!same(p->stroke, BLUE) || p->fill[0] >= 0 || p->n <= 2)
            continue;
        cr_assert_eq(p->n, (int)M, "a training path has %d points for %zu rows", p->n, M);
        /* Loss or accuracy: whichever the points follow. */
        for (int k = 0; k < 2; k++) {
            double v[EPOCHS * PER_EPOCH], u[EPOCHS * PER_EPOCH];
            for (size_t r = 0; r < M; r++) {
                u[r] = dn_step_progress(&run.steps.rows[r]);
                v[r] = k == 0 ? run.steps.rows[r].train_loss : 100 * run.steps.rows[r].train_acc;
            }
            affine fx = fit(u[0], p->x[0], u[M - 1], p->x[M - 1]);
            affine fy = fit(v[0], p->y[0], v[M - 1], p->y[M - 1]);
            int ok = fx.b > 0 && fy.b < 0; /* right and up */
            for (size_t r = 0; r < M && ok; r++)
                ok = fabs(at(fx, u[r]) - p->x[r]) < TOL && fabs(at(fy, v[r]) - p->y[r]) < TOL;
            if (ok) {
                found[k]++;
                xmap[k] = fx;
                ymap[k] = fy;
                for (size_t r = 0; r < M; r++)
                    top_y = fmin(top_y, p->y[r]);
            }
        }
    }
    cr_assert(found[0] == 1 && found[1] == 1, "training loss paths %d, accuracy paths %d",
              found[0], found[1]);
    cr_assert(ymap[0].a < ymap[1].a, "the loss panel is not above the accuracy panel");

    /* The test series: filled vermillion markers, one per row and panel, plus
     * one in the legend. Their centres lie on the panel's axes, as fitted
     * from the training path. */
    int markers = 0, on_axes[2] = {0, 0};
    double legend_y = -1;
    for (int i = 0; i < s.n; i++) {
        svg_path *p = &s.p[i];
        if (!same(p->fill, VERMILLION))
            continue;
        markers++;
        double cx, cy;
        centroid(p, &cx, &cy);
        int hit = 0;
        for (int k = 0; k < 2 && !hit; k++)
            for (size_t r = 0; r < N && !hit; r++) {
                double v = k == 0 ? run.metrics.col[DN_METRIC_TEST_LOSS][r]
                                  : 100 * run.metrics.col[DN_METRIC_TEST_ACC][r];
                if (fabs(at(xmap[k], run.metrics.epoch[r]) - cx) < 0.3 &&
                    fabs(at(ymap[k], v) - cy) < 0.3) {
                    on_axes[k]++;
                    hit = 1;
                }
            }
        if (!hit)
            legend_y = cy;
    }
    cr_assert_eq(markers, 2 * (int)N + 1, "%d test markers for %zu rows", markers, N);
    cr_assert(on_axes[0] == (int)N && on_axes[1] == (int)N, "markers on the axes: %d and %d",
              on_axes[0], on_axes[1]);
    cr_assert(legend_y > 0 && legend_y < top_y, "legend marker at y %g, below the curves (%g)",
              legend_y, top_y);

    /* The dashes of the test curves lie on the polylines through the rows;
     * together they cover much of them. */
    double covered[2] = {0, 0}, total[2] = {0, 0};
    for (int k = 0; k < 2; k++)
        for (size_t r = 0; r + 1 < N; r++) {
            double v0 = k ? 100 * run.metrics.col[DN_METRIC_TEST_ACC][r]
                          : run.metrics.col[DN_METRIC_TEST_LOSS][r];
            double v1 = k ? 100 * run.metrics.col[DN_METRIC_TEST_ACC][r + 1]
                          : run.metrics.col[DN_METRIC_TEST_LOSS][r + 1];
            total[k] += hypot(xmap[k].b, at(ymap[k], v1) - at(ymap[k], v0));
        }
    for (int i = 0; i < s.n; i++) {
        svg_path *p = &s.p[i];
        if (!same(p->stroke, VERMILLION) || p->fill[0] >= 0)
            continue;
        cr_assert_eq(p->n, 2, "a dash of %d points", p->n);
        if (fabs(p->y[0] - legend_y) < 1 && fabs(p->y[1] - legend_y) < 1)
            continue; /* the legend's sample */
        int on = -1;
        for (int k = 0; k < 2 && on < 0; k++) {
            int both = 1;
            for (int e = 0; e < 2 && both; e++) {
                /* the epoch at this x, and the polyline's y there */
                double ep = (p->x[e] - xmap[k].a) / xmap[k].b;
                int r = (int)floor(ep) - 1;
                if (r < 0)
                    r = 0;
                if (r > (int)N - 2)
                    r = (int)N - 2;
                double t = ep - (r + 1);
                double v0 = k ? 100 * run.metrics.col[DN_METRIC_TEST_ACC][r]
                              : run.metrics.col[DN_METRIC_TEST_LOSS][r];
                double v1 = k ? 100 * run.metrics.col[DN_METRIC_TEST_ACC][r + 1]
                              : run.metrics.col[DN_METRIC_TEST_LOSS][r + 1];
                double y = at(ymap[k], v0 + t * (v1 - v0));
                both = ep >= 1 - 1e-3 && ep <= N + 1e-3 && fabs(y - p->y[e]) < 0.5;
            }
            if (both)
                on = k;
        }
        cr_assert(on >= 0, "a dash (%g,%g)-(%g,%g) is off the test curves", p->x[0], p->y[0],
                  p->x[1], p->y[1]);
        covered[on] += hypot(p->x[1] - p->x[0], p->y[1] - p->y[0]);
    }
    for (int k = 0; k < 2; k++)
        cr_assert(covered[k] > 0.4 * total[k] && covered[k] < total[k] + 1,
                  "dashes cover %g of %g px", covered[k], total[k]);
    dn_run_free(&run);
}

/* Without steps.csv the training curves are drawn per epoch, with markers. */
Test(plot, svg_without_steps)
{
    const char *dir = tmp_path("old_run");
    make_run(dir, 0.2f, 0.5f, 0);
    dn_run run = load_run(dir);
    dn_err err = {0};
    const char *path = tmp_path("old.svg");
    dn_metric m[1] = {DN_METRIC_TRAIN_LOSS};
    cr_assert_eq(dn_plot_curves(path, &run, 1, m, 1, 1.0, &err), DN_OK, "%s", err.msg);
    svg s = svg_load(path);
    int lines = 0, markers = 0;
    for (int i = 0; i < s.n; i++) {
        if (same(s.p[i].stroke, BLUE) && s.p[i].fill[0] < 0 && s.p[i].n > 2) {
            lines++;
            cr_assert_eq(s.p[i].n, EPOCHS);
        }
        markers += same(s.p[i].fill, BLUE);
    }
    cr_assert_eq(lines, 1);
    cr_assert_eq(markers, EPOCHS + 1);
    dn_run_free(&run);
}

/* Two runs: one legend entry per run, naming the setting that differs. */
Test(plot, overlay_legend_per_run)
{
    const char *da = tmp_path("run_a"), *db = tmp_path("run_b");
    make_run(da, 0.2f, 0.5f, 1);
    make_run(db, 0.5f, 0.2f, 1);
    dn_run runs[2] = {load_run(da), load_run(db)};
    dn_err err = {0};
    const char *path = tmp_path("overlay.svg");
    dn_metric m[1] = {DN_METRIC_TEST_ACC};
    cr_assert_eq(dn_plot_curves(path, runs, 2, m, 1, 1.0, &err), DN_OK, "%s", err.msg);
    svg s = svg_load(path);
    cr_assert(s.desc);
    cr_assert_eq(count_lines(s.desc, "legend: "), 2, "%s", s.desc);
    cr_assert_eq(count_lines(s.desc, "legend: dropout 0.2,0.5\n"), 1, "%s", s.desc);
    cr_assert(strstr(s.desc, "legend: dropout 0.5,0.2") != NULL, "%s", s.desc);
    cr_assert(s.title && strstr(s.title, "MLP 784-256-256-10") && !strstr(s.title, "dropout"),
              "%s", s.title);
    /* In the drawing: per run, one marker per row and one in the legend, all
     * data markers on the same axes (fitted from the first run's first and
     * last rows). */
    const int *col[2] = {BLUE, ORANGE};
    double cx[2][EPOCHS + 1], cy[2][EPOCHS + 1];
    int n[2] = {0, 0}, legend[2] = {0, 0};
    for (int i = 0; i < s.n; i++)
        for (int r = 0; r < 2; r++) {
            if (!same(s.p[i].fill, col[r]))
                continue;
            cr_assert(n[r] <= EPOCHS, "run %d: more markers than rows and legend", r);
            centroid(&s.p[i], &cx[r][n[r]], &cy[r][n[r]]);
            n[r]++;
        }
    cr_assert(n[0] == EPOCHS + 1 && n[1] == EPOCHS + 1, "markers %d and %d", n[0], n[1]);
    /* The legend's markers are the ones above everything else. */
    for (int r = 0; r < 2; r++) {
        int top = 0;
        for (int k = 1; k <= EPOCHS; k++)
            if (cy[r][k] < cy[r][top])
                top = k;
        legend[r] = top;
    }
    double x0[2], y0[2];
    int first = -1, last = -1;
    for (int k = 0; k <= EPOCHS; k++)
        if (k != legend[0]) {
            if (first < 0)
                first = k;
            last = k;
        }
    x0[0] = cx[0][first];
    x0[1] = cx[0][last];
    y0[0] = cy[0][first];
    y0[1] = cy[0][last];
    affine fx = fit(1, x0[0], EPOCHS, x0[1]);
    affine fy = fit(100 * runs[0].metrics.col[DN_METRIC_TEST_ACC][0], y0[0],
                    100 * runs[0].metrics.col[DN_METRIC_TEST_ACC][EPOCHS - 1], y0[1]);
    for (int r = 0; r < 2; r++) {
        int matched = 0;
        for (int k = 0; k <= EPOCHS; k++) {
            if (k == legend[r])
                continue;
            for (int e = 0; e < EPOCHS; e++)
                matched += fabs(at(fx, e + 1) - cx[r][k]) < 0.3 &&
                           fabs(at(fy, 100 * runs[r].metrics.col[DN_METRIC_TEST_ACC][e]) -
                                cy[r][k]) < 0.3;
        }
        cr_assert_eq(matched, EPOCHS, "run %d: %d markers on the axes", r, matched);
    }
    cr_assert(fabs(cy[0][legend[0]] - cy[1][legend[1]]) < 1 ||
                  fabs(cx[0][legend[0]] - cx[1][legend[1]]) > 20,
              "two legend entries in one place");

    /* All four default metrics: the runs and a key to the line styles. */
    const char *p2 = tmp_path("overlay4.svg");
    cr_assert_eq(dn_plot_curves(p2, runs, 2, NULL, 0, 1.0, &err), DN_OK, "%s", err.msg);
    svg s2 = svg_load(p2);
    cr_assert_eq(count_lines(s2.desc, "legend: "), 4, "%s", s2.desc);
    cr_assert(strstr(s2.desc, "legend: dropout 0.2,0.5\nlegend: dropout 0.5,0.2\n"
                              "legend: train, dropout on\nlegend: test, dropout off"),
              "%s", s2.desc);
    dn_run_free(&runs[0]);
    dn_run_free(&runs[1]);
}

/* Directory names become legend words: whatever bytes they hold, the SVG
 * stays valid XML and PLplot gets valid text ('#' is its escape). */
Test(plot, odd_names_in_legends)
{
    const char *da = tmp_path("a#1&<b>"), *db = tmp_path("x\x01\xff\xc3\xa9");
    make_run(da, 0.2f, 0.5f, 1);
    make_run(db, 0.2f, 0.5f, 1);
    dn_run runs[2] = {load_run(da), load_run(db)};
    dn_err err = {0};
    const char *path = tmp_path("odd.svg");
    cr_assert_eq(dn_plot_curves(path, runs, 2, NULL, 0, 1.0, &err), DN_OK, "%s", err.msg);
    svg s = svg_load(path);
    cr_assert(strstr(s.desc, "legend: a#1&<b>\n"), "%s", s.desc);
    cr_assert(strstr(s.desc, "legend: x??\xc3\xa9\n"), "%s", s.desc);
    cr_assert_eq(dn_plot_curves(tmp_path("odd.png"), runs, 2, NULL, 0, 1.0, &err), DN_OK, "%s",
                 err.msg);
    dn_run_free(&runs[0]);
    dn_run_free(&runs[1]);
}

Test(plot, bad_arguments)
{
    const char *dir = tmp_path("args_run");
    make_run(dir, 0.2f, 0.5f, 1);
    dn_run run = load_run(dir);
    dn_err err = {0};
    cr_assert_eq(dn_plot_curves(tmp_path("x.pdf"), &run, 1, NULL, 0, 1.0, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "x.pdf") && strstr(err.msg, ".png or .svg"), "%s", err.msg);
    cr_assert_eq(dn_plot_curves(tmp_path("x.png"), &run, 1, NULL, 0, 0.5, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "scale 0.5 is outside [1, 4]"), "%s", err.msg);
    cr_assert_eq(dn_plot_curves(tmp_path("x.png"), &run, 1, NULL, 0, NAN, &err), DN_EINVAL);
    cr_assert_eq(dn_plot_curves(tmp_path("x.png"), &run, 0, NULL, 0, 1.0, &err), DN_EINVAL);
    dn_run nine[9];
    for (int i = 0; i < 9; i++)
        nine[i] = run;
    cr_assert_eq(dn_plot_curves(tmp_path("x.png"), nine, 9, NULL, 0, 1.0, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "9 runs"), "%s", err.msg);
    dn_metric twice[2] = {DN_METRIC_GAP, DN_METRIC_GAP};
    cr_assert_eq(dn_plot_curves(tmp_path("x.png"), &run, 1, twice, 2, 1.0, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "gap asked for twice"), "%s", err.msg);
    /* A run without epochs has nothing to draw. */
    size_t n = run.metrics.n;
    run.metrics.n = 0;
    cr_assert_eq(dn_plot_curves(tmp_path("x.png"), &run, 1, NULL, 0, 1.0, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "metrics.csv: no epochs"), "%s", err.msg);
    run.metrics.n = n;
    /* An unwritable place: an error naming it, and no file. */
    const char *nowhere = tmp_path("no/such/dir/c.png");
    cr_assert_eq(dn_plot_curves(nowhere, &run, 1, NULL, 0, 1.0, &err), DN_EWRITE);
    cr_assert(strstr(err.msg, nowhere) && strstr(err.msg, "cannot write"), "%s", err.msg);
    /* Nothing was written for any of these. */
    struct stat st;
    cr_assert_neq(stat(tmp_path("x.png"), &st), 0);
    /* An existing figure is replaced. */
    const char *p = tmp_path("again.png");
    write_bytes(p, "old", 3, 0);
    cr_assert_eq(dn_plot_curves(p, &run, 1, NULL, 0, 1.0, &err), DN_OK, "%s", err.msg);
    unsigned w, h;
    png_size(p, &w, &h);
    cr_assert_eq(w, 640);
    dn_run_free(&run);
}

/* A missing driver is an error, never a message on the terminal or an exit;
 * PLplot works again once the driver is back. */
static void expect_unavailable(const char *drv_dir, const char *words)
{
    setenv("PLPLOT_DRV_DIR", drv_dir, 1);
    const char *cap = tmp_path("quiet.txt");
    fflush(stdout);
    fflush(stderr);
    int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0644), o1 = dup(1), o2 = dup(2);
    dup2(fd, 1);
    dup2(fd, 2);
    dn_err e1 = {0}, e2 = {0};
    const char *dir = tmp_path("nodrv_run");
    struct stat st;
    if (stat(dir, &st) != 0)
        make_run(dir, 0.2f, 0.5f, 1);
    dn_run run = load_run(dir);
    int rc1 = dn_plot_available(&e1);
    int rc2 = dn_plot_curves(tmp_path("nodrv.png"), &run, 1, NULL, 0, 1.0, &e2);
    fflush(stdout);
    fflush(stderr);
    dup2(o1, 1);
    dup2(o2, 2);
    close(fd);
    close(o1);
    close(o2);
    cr_assert_eq(rc1, DN_EUNAVAILABLE, "%s", e1.msg);
    cr_assert_eq(rc2, DN_EUNAVAILABLE, "%s", e2.msg);
    cr_assert(strstr(e1.msg, words) && strstr(e2.msg, words), "'%s' / '%s' lack '%s'", e1.msg,
              e2.msg, words);
    cr_assert(!strchr(e1.msg, '\n'), "not one line: %s", e1.msg);
    cr_assert_eq(stat(cap, &st), 0);
    cr_assert_eq(st.st_size, 0, "PLplot printed %lld bytes", (long long)st.st_size);
    cr_assert_neq(stat(tmp_path("nodrv.png"), &st), 0);
    unsetenv("PLPLOT_DRV_DIR");
    cr_assert_eq(dn_plot_available(&e1), DN_OK, "%s", e1.msg);
    cr_assert_eq(dn_plot_curves(tmp_path("back.png"), &run, 1, NULL, 0, 1.0, &e1), DN_OK, "%s",
                 e1.msg);
    dn_run_free(&run);
}

Test(plot, no_driver_directory)
{
    /* PLplot aborts the scan (plabort): no devices at all. */
    expect_unavailable(tmp_path("no-drivers-here"), "plplot-driver-cairo");
}

Test(plot, empty_driver_directory)
{
    /* PLplot finds no driver and calls plexit, which would end the process. */
    const char *d = tmp_path("empty-drivers");
    mkdir(d, 0755);
    expect_unavailable(d, "PLplot: No device drivers found");
}

Test(plot, cairo_driver_missing)
{
    /* Drivers, but not the cairo one: PLplot's own null device only. */
    const char *d = tmp_path("null-driver");
    mkdir(d, 0755);
    char path[1200];
    snprintf(path, sizeof path, "%s/null.driver_info", d);
    const char *info = "null:Null device:-1:null:42:null\n";
    write_bytes(path, info, strlen(info), 0);
    expect_unavailable(d, "plplot-driver-cairo");
}

/* PLplot's global state is used by one figure at a time: threads drawing at
 * once all get whole, valid files. */
typedef struct {
    dn_run *run;
    int id, rc;
    char msg[512];
} job;

static void *draw_job(void *arg)
{
    job *j = arg;
    dn_err err = {0};
    for (int k = 0; k < 3 && !j->rc; k++) {
        /* tmp_path() shares one buffer ring: not for threads */
        char path[1200];
        snprintf(path, sizeof path, "%s/thread%d_%d.%s", tmp_dir(), j->id, k,
                 k == 1 ? "svg" : "png");
        j->rc = dn_plot_curves(path, j->run, 1, NULL, 0, 1.0 + k * 0.5, &err);
    }
    snprintf(j->msg, sizeof j->msg, "%s", err.msg);
    return NULL;
}

Test(plot, threads_take_turns)
{
    const char *dir = tmp_path("thread_run");
    make_run(dir, 0.2f, 0.5f, 1);
    dn_run run = load_run(dir);
    pthread_t t[4];
    job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){&run, i, 0, ""};
        cr_assert_eq(pthread_create(&t[i], NULL, draw_job, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(jobs[i].rc, DN_OK, "thread %d: %s", i, jobs[i].msg);
    }
    for (int i = 0; i < 4; i++) {
        char name[64];
        unsigned w, h;
        snprintf(name, sizeof name, "thread%d_0.png", i);
        png_size(tmp_path(name), &w, &h);
        cr_assert(w == 640 && h == 480);
        free(png_decode(tmp_path(name)).rgb);
        snprintf(name, sizeof name, "thread%d_2.png", i);
        png_size(tmp_path(name), &w, &h);
        cr_assert(w == 1280 && h == 960);
        snprintf(name, sizeof name, "thread%d_1.svg", i);
        svg s = svg_load(tmp_path(name));
        cr_assert_str_eq(s.viewbox, "0 0 960 720");
    }
    dn_run_free(&run);
}

/* ------------------------------------------------------ predictions */

/* 18 images, image i of class i % 10: a bright band of rows 4 + 2c and
 * 5 + 2c on a dark ground. */
static void band_images(dn_dataset *ds)
{
    memset(ds, 0, sizeof *ds);
    ds->n = 18;
    ds->rows = ds->cols = 28;
    ds->classes = 10;
    ds->images = malloc(18 * 784);
    ds->labels = malloc(18);
    cr_assert(ds->images && ds->labels);
    for (int i = 0; i < 18; i++) {
        int c = i % 10;
        ds->labels[i] = (uint8_t)c;
        for (int p = 0; p < 784; p++) {
            int row = p / 28;
            ds->images[i * 784 + p] = row == 4 + 2 * c || row == 5 + 2 * c ? 230 : 12;
        }
    }
}

/* A softmax regression set by hand: output o sums the band of class
 * sigma(o), where sigma swaps 3 and 5. An image of class 3 then scores
 * highest at output 5 and the other way round; every other class is right. */
static dn_net *hand_net(void)
{
    dn_mlp_spec spec = {.inputs = 784, .outputs = 10, .n_hidden = 0};
    dn_err err = {0};
    dn_net *net = dn_net_mlp(&spec, 64, &err);
    cr_assert(net, "%s", err.msg);
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_NORMAL, 0.01f}, 1, &err), DN_OK);
    dn_layer_info li = {0};
    int found = 0;
    for (int i = 0; i < dn_net_num_layers(net); i++) {
        cr_assert_eq(dn_net_layer(net, i, &li, NULL), DN_OK);
        if (li.kind == DN_LAYER_LINEAR) {
            found = 1;
            break;
        }
    }
    cr_assert(found);
    for (int o = 0; o < 10; o++) {
        int c = o == 3 ? 5 : o == 5 ? 3 : o;
        li.b[o] = 0;
        for (int p = 0; p < 784; p++) {
            int row = p / 28;
            li.w[o * 784 + p] = row == 4 + 2 * c || row == 5 + 2 * c ? 1.0f : 0.0f;
        }
    }
    return net;
}

static void check_grid(double scale)
{
    dn_dataset ds;
    band_images(&ds);
    dn_net *net = hand_net();
    uint8_t pred[18];
    dn_err err = {0};
    cr_assert_eq(dn_predict(net, &ds, 18, pred, &err), DN_OK, "%s", err.msg);
    int wrong[18];
    for (int i = 0; i < 18; i++) {
        int c = i % 10, want = c == 3 ? 5 : c == 5 ? 3 : c;
        cr_assert_eq(pred[i], want, "image %d: predicted %d, the net was built to say %d", i,
                     pred[i], want);
        wrong[i] = pred[i] != ds.labels[i];
    }
    char name[64];
    snprintf(name, sizeof name, "grid%g.png", scale);
    const char *path = tmp_path(name);
    cr_assert_eq(dn_plot_predictions(path, &ds, pred, 18, NULL, "a net set by hand", scale, &err),
                 DN_OK, "%s", err.msg);
    unsigned w, h;
    png_size(path, &w, &h);
    cr_assert(w == (unsigned)lround(640 * scale) && h == (unsigned)lround(480 * scale));
    image im = png_decode(path);
    int n_wrong = 0;
    for (int i = 0; i < 18; i++) {
        n_wrong += wrong[i];
        int r[4];
        dn_plot_predictions_cell(i, 18, scale, r);
        double pw = (r[2] - r[0]) / 28.0, ph = (r[3] - r[1]) / 28.0;
        /* The image, upright, at its place: the band of its class is bright,
         * row 1 is dark, in grey. */
        int c = ds.labels[i];
        for (int col = 2; col < 28; col += 8) {
            const unsigned char *band = pixel(&im, r[0] + (col + 0.5) * pw, r[1] + (4 + 2 * c + 0.5) * ph);
            const unsigned char *dark = pixel(&im, r[0] + (col + 0.5) * pw, r[1] + 1.5 * ph);
            cr_assert(band[0] > 200 && band[0] == band[1] && band[1] == band[2],
                      "image %d: band pixel %d,%d,%d", i, band[0], band[1], band[2]);
            cr_assert(dark[0] < 40 && dark[0] == dark[1] && dark[1] == dark[2],
                      "image %d: ground pixel %d,%d,%d", i, dark[0], dark[1], dark[2]);
        }
        /* The frame: 4 px outside each side, red exactly when wrong. */
        double d = 4.0 * scale, mx = (r[0] + r[2]) / 2.0, my = (r[1] + r[3]) / 2.0;
        const unsigned char *side[4] = {pixel(&im, r[0] - d, my), pixel(&im, r[2] - 1 + d, my),
                                        pixel(&im, mx, r[1] - d), pixel(&im, mx, r[3] - 1 + d)};
        for (int k = 0; k < 4; k++) {
            if (wrong[i])
                cr_assert(is_red(side[k]), "image %d: frame side %d is %d,%d,%d, not red", i, k,
                          side[k][0], side[k][1], side[k][2]);
            else
                cr_assert(is_white(side[k]), "image %d: side %d is %d,%d,%d, not white", i, k,
                          side[k][0], side[k][1], side[k][2]);
        }
        /* The caption above the image: red text exactly when wrong, dark text
         * otherwise. */
        long red = 0, ink = 0;
        for (double y = r[1] - 36 * scale; y < r[1] - 8 * scale; y++)
            for (double x = r[0] - 10 * scale; x < r[2] + 10 * scale; x++) {
                const unsigned char *p = pixel(&im, x, y);
                red += is_red(p);
                ink += !is_white(p);
            }
        cr_assert(ink > 30, "image %d: no caption", i);
        if (wrong[i])
            cr_assert(red > 20, "image %d: caption not red (%ld red pixels)", i, red);
        else
            cr_assert_eq(red, 0, "image %d: %ld red pixels in a right caption", i, red);
    }
    cr_assert_eq(n_wrong, 4); /* images 3, 5, 13, 15 */
    free(im.rgb);
    dn_net_free(net);
    dn_dataset_free(&ds);
}

Test(predictions, marks_where_the_net_errs) { check_grid(1.0); }
Test(predictions, marks_where_the_net_errs_at_2x) { check_grid(2.0); }

Test(predictions, bad_arguments)
{
    dn_dataset ds;
    band_images(&ds);
    uint8_t pred[18] = {0};
    dn_err err = {0};
    const char *p = tmp_path("bad_grid.png");
    cr_assert_eq(dn_plot_predictions(p, &ds, pred, 19, NULL, "t", 1.0, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "19 images"), "%s", err.msg);
    cr_assert_eq(dn_plot_predictions(p, &ds, pred, 0, NULL, "t", 1.0, &err), DN_EINVAL);
    pred[2] = 10;
    cr_assert_eq(dn_plot_predictions(p, &ds, pred, 18, NULL, "t", 1.0, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "example 2"), "%s", err.msg);
    pred[2] = 0;
    cr_assert_eq(dn_plot_predictions(tmp_path("grid.jpg"), &ds, pred, 18, NULL, "t", 1.0, &err),
                 DN_EINVAL);
    dn_net *net = hand_net();
    cr_assert_eq(dn_predict(net, &ds, 19, pred, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "19 predictions"), "%s", err.msg);
    dn_net_free(net);
    dn_dataset_free(&ds);
}
