/* Training curves: the metrics of one run, or of several runs overlaid,
 * against epochs (dn_plot_curves). */
#include "plot/pl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RUNS 8
#define MAX_PANELS 4
#define MAX_SERIES (3 * MAX_RUNS) /* train, test, validation */
#define MAX_LEGEND (MAX_RUNS + 3)

/* A world-to-pixel map of the current panel, for markers of a fixed size. */
typedef struct {
    double x0, y0, x1, y1;       /* pixels */
    double wx0, wx1, wy0, wy1;   /* world */
} frame;

static double px_per_wx(const frame *f) { return (f->x1 - f->x0) / (f->wx1 - f->wx0); }
static double px_per_wy(const frame *f) { return (f->y1 - f->y0) / (f->wy1 - f->wy0); }

/* A filled marker centred on (x, y), radius r pixels. */
static void marker(const frame *f, int shape, double x, double y, double r)
{
    dn_pl_marker(px_per_wx(f), px_per_wy(f), shape, x, y, r);
}

typedef struct {
    double *x, *y;
    size_t n;
    int colour, dashed, marker;
} series;

typedef struct {
    char label[DN_LABEL_MAX + 32];
    int colour, dashed, marker;
} legend_entry;

typedef struct {
    const char *ylabel, *ylabel_short;
    double ymin, ymax;
    int clamp_lo, clamp_hi;     /* keep the range within [lo, hi] */
    double lo, hi;
    series s[MAX_SERIES];
    int ns;
} panel;

typedef struct {
    char title[2][400];
    int title_lines;
    legend_entry legend[MAX_LEGEND];
    int nl;
    double xmax;
    panel p[MAX_PANELS];
    int np;
} curves_fig;

enum { K_LOSS, K_ACC, K_GAP, K_SECONDS, K_COUNT };
static int kind_of(dn_metric m)
{
    switch (m) {
    case DN_METRIC_TRAIN_LOSS:
    case DN_METRIC_TEST_LOSS:
    case DN_METRIC_VAL_LOSS: return K_LOSS;
    case DN_METRIC_TRAIN_ACC:
    case DN_METRIC_TEST_ACC:
    case DN_METRIC_VAL_ACC: return K_ACC;
    case DN_METRIC_GAP: return K_GAP;
    default: return K_SECONDS;
    }
}
static int is_train(dn_metric m) { return m == DN_METRIC_TRAIN_LOSS || m == DN_METRIC_TRAIN_ACC; }
static int is_test(dn_metric m) { return m == DN_METRIC_TEST_LOSS || m == DN_METRIC_TEST_ACC; }
static int is_val(dn_metric m) { return m == DN_METRIC_VAL_LOSS || m == DN_METRIC_VAL_ACC; }

static const char *const ylabels[K_COUNT][2] = {
    {"cross-entropy (nats)", "loss (nats)"},
    {"accuracy (%)", "accuracy (%)"},
    {"train - test accuracy (points)", "gap (points)"},
    {"time per epoch (s)", "time (s)"}};

/* The legend, shared by all panels, as rows of entries under the title:
 * outside the plots, it never hides a curve. Returns its height; draws it
 * when draw is set (the viewport must then be the whole page in pixels). */
static double legend_strip(const dn_pl_job *j, const curves_fig *fig, double x0, double x1, double y0,
                           int draw)
{
    double s = j->scale;
    dn_pl_schr(0, 0.85);
    double ch = dn_pl_char_px(j), sample = 30 * s, gap = 5 * s, sep = 24 * s, row = 1.75 * ch;
    double widths[MAX_LEGEND];
    int row_of[MAX_LEGEND], rows = 0;
    double used = 0, row_w[MAX_LEGEND] = {0};
    for (int i = 0; i < fig->nl; i++) {
        widths[i] = sample + gap + dn_pl_text_px(ch, fig->legend[i].label);
        if (used > 0 && used + sep + widths[i] > x1 - x0) {
            rows++;
            used = 0;
        }
        used += (used > 0 ? sep : 0) + widths[i];
        row_of[i] = rows;
        row_w[rows] = used;
    }
    rows++;
    if (draw) {
        frame page = {0, 0, j->width, j->height, 0, j->width, 0, j->height};
        double x = 0;
        for (int i = 0; i < fig->nl; i++) {
            const legend_entry *e = &fig->legend[i];
            if (i == 0 || row_of[i] != row_of[i - 1])
                x = (x0 + x1 - row_w[row_of[i]]) / 2;
            double yc = y0 + row * (row_of[i] + 0.5);
            double lx[2] = {x, x + sample}, ly[2] = {j->height - yc, j->height - yc};
            dn_pl_col0(e->colour);
            dn_pl_width((e->dashed ? 2.0 : 1.8) * s);
            dn_pl_dashed(e->dashed);
            dn_pl_line(2, lx, ly);
            dn_pl_dashed(0);
            if (e->marker != DN_PL_NO_MARKER)
                marker(&page, e->marker, x + sample / 2, j->height - yc, 3.4 * s);
            dn_pl_col0(DN_PL_BLACK);
            dn_pl_ptex(x + sample + gap, j->height - yc, 0.0, e->label);
            x += widths[i] + sep;
        }
    }
    dn_pl_schr(0, 1.0);
    return row * rows;
}

static void draw_curves(void *ctx, const void *jv)
{
    const curves_fig *fig = ctx;
    const dn_pl_job *j = jv;
    double s = j->scale;
    dn_pl_adv(0);
    dn_pl_schr(0, 1.0);
    double ch = dn_pl_char_px(j);
    double left = 74 * s, right = 18 * s, bottom = 46 * s, gap = 12 * s;
    /* Whole-page drawing in pixel coordinates, y up. */
    dn_pl_vpor(0, 1, 0, 1);
    dn_pl_wind(0, j->width, 0, j->height);
    dn_pl_col0(DN_PL_BLACK);
    double y = 8 * s;
    for (int l = 0; l < fig->title_lines; l++) {
        dn_pl_schr(0, l == 0 ? 1.1 : 0.95);
        double lh = 1.7 * dn_pl_char_px(j);
        dn_pl_ptex(j->width / 2.0, j->height - (y + lh / 2), 0.5, fig->title[l]);
        y += lh;
    }
    dn_pl_schr(0, 1.0);
    y += 4 * s;
    y += legend_strip(j, fig, left, j->width - right, y, 1) + 8 * s;
    double top = y;
    double ph = (j->height - top - bottom - gap * (fig->np - 1)) / fig->np;
    double xstep = fig->xmax <= 12 ? 1 : dn_pl_nice_step(fig->xmax, 10);
    for (int k = 0; k < fig->np; k++) {
        const panel *p = &fig->p[k];
        /* A little room right of the last epoch keeps its marker whole. */
        frame f = {left, top + k * (ph + gap), j->width - right, top + k * (ph + gap) + ph,
                   0, fig->xmax * 1.025, p->ymin, p->ymax};
        dn_pl_viewport_px(j, f.x0, f.y0, f.x1, f.y1);
        dn_pl_wind(f.wx0, f.wx1, f.wy0, f.wy1);
        double ystep = dn_pl_nice_step(p->ymax - p->ymin, ph > 150 * s ? 6 : ph > 80 * s ? 4 : 2);
        dn_pl_col0(DN_PL_GRID);
        dn_pl_width(0.8 * s);
        dn_pl_box("g", xstep, 0, "g", ystep, 0);
        for (int i = 0; i < p->ns; i++) {
            const series *sr = &p->s[i];
            dn_pl_col0(sr->colour);
            dn_pl_width((sr->dashed ? 2.0 : 1.8) * s);
            dn_pl_dashed(sr->dashed);
            /* NaN points (a run without a test set) break the line. */
            size_t a = 0;
            while (a < sr->n) {
                while (a < sr->n && !isfinite(sr->y[a]))
                    a++;
                size_t b = a;
                while (b < sr->n && isfinite(sr->y[b]))
                    b++;
                if (b - a >= 2)
                    dn_pl_line((int)(b - a), sr->x + a, sr->y + a);
                a = b;
            }
            dn_pl_dashed(0);
            /* Markers at least 12 px apart (every stride-th row, ending at
             * the last), so that long runs do not bury their lines. */
            double apart = (f.x1 - f.x0) / (f.wx1 - f.wx0);
            size_t stride = apart >= 12 * s ? 1 : (size_t)ceil(12 * s / apart);
            if (sr->marker != DN_PL_NO_MARKER)
                for (size_t q = 0; q < sr->n; q++)
                    if (isfinite(sr->y[q]) && (sr->n - 1 - q) % stride == 0)
                        marker(&f, sr->marker, sr->x[q], sr->y[q], 3.2 * s);
        }
        dn_pl_col0(DN_PL_BLACK);
        dn_pl_width(1.0 * s);
        dn_pl_schr(0, 0.9);
        dn_pl_box(k == fig->np - 1 ? "bcnst" : "bcst", xstep, xstep == 1 ? 1 : 0, "bcnstv", ystep,
              0);
        dn_pl_schr(0, 0.95);
        const char *yl = dn_pl_text_px(dn_pl_char_px(j), p->ylabel) <= ph ? p->ylabel : p->ylabel_short;
        dn_pl_mtex("l", 4.2, 0.5, 0.5, yl);
        if (k == fig->np - 1)
            dn_pl_mtex("b", 2.6, 0.5, 0.5, "epoch");
        dn_pl_schr(0, 1.0);
    }
    (void)ch;
}

/* The settings in one line when they fit, else in two lines of about equal
 * length broken between two settings. */
static void set_title(curves_fig *fig, const char *text)
{
    /* At 1.1 times the default height, a line of the page holds about 64
     * characters of sans text; the figure scales as a whole. */
    const size_t per_line = 60;
    size_t len = strlen(text);
    fig->title_lines = 1;
    snprintf(fig->title[0], sizeof fig->title[0], "%s", text);
    fig->title[1][0] = '\0';
    if (len <= per_line)
        return;
    const char *cut = NULL;
    size_t best = len;
    for (const char *p = strstr(text, " | "); p; p = strstr(p + 3, " | ")) {
        size_t a = (size_t)(p - text), b = len - a - 3, worst = a > b ? a : b;
        if (worst < best) {
            best = worst;
            cut = p;
        }
    }
    if (!cut)
        return;
    snprintf(fig->title[0], sizeof fig->title[0], "%.*s", (int)(cut - text), text);
    snprintf(fig->title[1], sizeof fig->title[1], "%s", cut + 3);
    fig->title_lines = 2;
}

static void free_fig(curves_fig *fig)
{
    for (int k = 0; k < fig->np; k++)
        for (int i = 0; i < fig->p[k].ns; i++) {
            free(fig->p[k].s[i].x);
            free(fig->p[k].s[i].y);
        }
}

static void add_legend(curves_fig *fig, const char *label, int colour, int dashed, int marker)
{
    for (int i = 0; i < fig->nl; i++)
        if (strcmp(fig->legend[i].label, label) == 0)
            return;
    if (fig->nl == MAX_LEGEND)
        return;
    legend_entry *e = &fig->legend[fig->nl++];
    snprintf(e->label, sizeof e->label, "%s", label);
    e->colour = colour;
    e->dashed = dashed;
    e->marker = marker;
}

/* Single run: a colour per role. */
enum { ROLE_TRAIN, ROLE_TEST, ROLE_GAP, ROLE_SECONDS, ROLE_VAL };
static int role_of(dn_metric m)
{
    return is_train(m) ? ROLE_TRAIN : is_test(m) ? ROLE_TEST : is_val(m) ? ROLE_VAL
           : m == DN_METRIC_GAP ? ROLE_GAP : ROLE_SECONDS;
}
static const int role_colour[5] = {DN_PL_BLUE, DN_PL_VERMILLION, DN_PL_BLUE + 2,
                                   DN_PL_BLUE + 3, DN_PL_GREEN};

int dn_plot_curves(const char *path, const dn_run *runs, int n_runs, const dn_metric *metrics,
                   int n_metrics, double scale, dn_err *err)
{
    /* The validation curves too when every run has them. */
    static const dn_metric defaults[6] = {DN_METRIC_TRAIN_LOSS, DN_METRIC_TEST_LOSS,
                                          DN_METRIC_TRAIN_ACC, DN_METRIC_TEST_ACC,
                                          DN_METRIC_VAL_LOSS,   DN_METRIC_VAL_ACC};
    if (!metrics || n_metrics == 0) {
        int all_val = n_runs > 0;
        for (int r = 0; r < n_runs; r++)
            all_val &= runs[r].metrics.has_val;
        metrics = defaults;
        n_metrics = all_val ? 6 : 4;
    }
    int rc, png;
    if ((rc = dn_pl_check(path, scale, &png, err)))
        return rc;
    if (n_runs < 1 || n_runs > MAX_RUNS)
        return dn_fail(err, DN_EINVAL, "%d runs in one figure (1 to %d)", n_runs, MAX_RUNS);
    if (n_metrics > DN_METRIC_COUNT)
        return dn_fail(err, DN_EINVAL, "%d metrics in one figure (at most %d)", n_metrics,
                       DN_METRIC_COUNT);
    for (int r = 0; r < n_runs; r++)
        if (runs[r].metrics.n == 0)
            return dn_fail(err, DN_EINVAL, "%s/metrics.csv: no epochs to draw", runs[r].dir);
    for (int m = 0; m < n_metrics; m++) {
        if ((unsigned)metrics[m] >= DN_METRIC_COUNT)
            return dn_fail(err, DN_EINVAL, "metric %d does not exist", (int)metrics[m]);
        for (int q = 0; q < m; q++)
            if (metrics[q] == metrics[m])
                return dn_fail(err, DN_EINVAL, "metric %s asked for twice",
                               dn_metric_name(metrics[m]));
        for (int r = 0; r < n_runs && is_val(metrics[m]); r++)
            if (!runs[r].metrics.has_val)
                return dn_fail(err, DN_EINVAL, "%s: no %s (a run trained without --val)",
                               runs[r].dir, dn_metric_name(metrics[m]));
    }

    curves_fig *fig = calloc(1, sizeof *fig);
    char(*labels)[DN_LABEL_MAX] = calloc((size_t)n_runs, DN_LABEL_MAX);
    size_t desc_cap = (size_t)MAX_LEGEND * (DN_LABEL_MAX + 40) + 16;
    char *desc = calloc(1, desc_cap);
    if (!fig || !labels || !desc) {
        free(fig);
        free(labels);
        free(desc);
        return dn_fail(err, DN_ENOMEM, "cannot allocate a figure");
    }
    char common[400];
    dn_run_labels(runs, n_runs, labels, common, sizeof common);
    set_title(fig, common);

    int panel_of_kind[K_COUNT] = {-1, -1, -1, -1};
    int has_train = 0, has_test = 0, has_val = 0;
    for (int m = 0; m < n_metrics; m++) {
        has_train |= is_train(metrics[m]);
        has_test |= is_test(metrics[m]);
        has_val |= is_val(metrics[m]);
        int k = kind_of(metrics[m]);
        if (panel_of_kind[k] < 0) {
            panel_of_kind[k] = fig->np++;
            panel *p = &fig->p[panel_of_kind[k]];
            p->ylabel = ylabels[k][0];
            p->ylabel_short = ylabels[k][1];
            p->ymin = INFINITY;
            p->ymax = -INFINITY;
            p->clamp_lo = k != K_GAP;
            p->lo = 0;
            p->clamp_hi = k == K_ACC;
            p->hi = 100;
        }
    }
    /* Several runs: a colour and a marker per run, then a key to the line
     * styles when training and test curves are both drawn. */
    if (n_runs > 1) {
        int styles = has_train + has_test + has_val;
        for (int r = 0; r < n_runs; r++)
            add_legend(fig, labels[r], DN_PL_BLUE + r,
                       styles == 1 ? (has_test ? 1 : has_val ? 2 : 0) : 0, r % DN_PL_MARKERS);
        if (styles > 1) {
            if (has_train)
                add_legend(fig, "train, dropout on", DN_PL_KEY, 0, DN_PL_NO_MARKER);
            if (has_test)
                add_legend(fig, "test, dropout off", DN_PL_KEY, 1, DN_PL_NO_MARKER);
            if (has_val)
                add_legend(fig, "validation, dropout off", DN_PL_KEY, 2, DN_PL_NO_MARKER);
        }
    }
    rc = DN_OK;
    for (int m = 0; m < n_metrics && !rc; m++) {
        dn_metric mt = metrics[m];
        panel *p = &fig->p[panel_of_kind[kind_of(mt)]];
        double mul = kind_of(mt) == K_ACC || kind_of(mt) == K_GAP ? 100.0 : 1.0;
        for (int r = 0; r < n_runs; r++) {
            const dn_run *run = &runs[r];
            series *sr = &p->s[p->ns++];
            int steps = is_train(mt) && run->steps.n > 0;
            size_t n = steps ? run->steps.n : run->metrics.n;
            sr->x = malloc(n * sizeof(double));
            sr->y = malloc(n * sizeof(double));
            sr->n = n;
            if (!sr->x || !sr->y) {
                rc = dn_fail(err, DN_ENOMEM, "cannot allocate a figure");
                break;
            }
            for (size_t i = 0; i < n; i++) {
                if (steps) {
                    const dn_step_point *q = &run->steps.rows[i];
                    sr->x[i] = dn_step_progress(q);
                    sr->y[i] = mul * (mt == DN_METRIC_TRAIN_LOSS ? q->train_loss : q->train_acc);
                } else {
                    sr->x[i] = run->metrics.epoch[i];
                    sr->y[i] = mul * run->metrics.col[mt][i];
                }
                if (sr->x[i] > fig->xmax)
                    fig->xmax = sr->x[i];
                if (isfinite(sr->y[i])) {
                    p->ymin = fmin(p->ymin, sr->y[i]);
                    p->ymax = fmax(p->ymax, sr->y[i]);
                }
            }
            /* Training curves at step resolution are dense: a line without
             * markers. Test curves are dashed. */
            sr->dashed = is_test(mt) ? 1 : is_val(mt) ? 2 : 0;
            if (n_runs == 1) {
                int role = role_of(mt);
                sr->colour = role_colour[role];
                sr->marker = steps ? DN_PL_NO_MARKER
                             : role == ROLE_TRAIN ? DN_PL_SQUARE
                             : role == ROLE_VAL   ? DN_PL_TRIANGLE
                                                  : DN_PL_CIRCLE;
                static const char *const words[5] = {"train, dropout on", "test, dropout off",
                                                      "train - test accuracy",
                                                      "training and test evaluation",
                                                      "validation, dropout off"};
                add_legend(fig, words[role], sr->colour, sr->dashed, sr->marker);
            } else {
                sr->colour = DN_PL_BLUE + r;
                sr->marker = steps ? DN_PL_NO_MARKER : r % DN_PL_MARKERS;
            }
        }
    }
    for (int k = 0; k < fig->np && !rc; k++) {
        panel *p = &fig->p[k];
        if (!isfinite(p->ymin)) {
            rc = dn_fail(err, DN_EINVAL, "%s: no finite values to draw", p->ylabel);
            break;
        }
        double span = p->ymax - p->ymin;
        if (span < 1e-9 * fmax(1.0, fabs(p->ymax)))
            span = fmax(fabs(p->ymax) * 0.1, 0.01);
        p->ymin -= span * 0.08;
        p->ymax += span * 0.08;
        if (p->clamp_lo && p->ymin < p->lo)
            p->ymin = p->lo;
        if (p->clamp_hi && p->ymax > p->hi)
            p->ymax = p->hi;
    }
    if (fig->xmax <= 0)
        fig->xmax = 1;
    if (!rc) {
        /* The legend's words, for the SVG's <desc>: one line per entry. */
        size_t k = 0;
        for (int i = 0; i < fig->nl; i++)
            k += (size_t)snprintf(desc + k, desc_cap - k, "%slegend: %s", i ? "\n" : "",
                                  fig->legend[i].label);
        char title[820];
        snprintf(title, sizeof title, "%s%s%s", fig->title[0], fig->title_lines > 1 ? " | " : "",
                 fig->title_lines > 1 ? fig->title[1] : "");
        rc = dn_pl_render(path, scale, draw_curves, fig, title, desc, err);
    }
    free_fig(fig);
    free(fig);
    free(labels);
    free(desc);
    return rc;
}

