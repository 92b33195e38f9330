/* The grid of predictions: test images with their true and predicted
 * classes (dn_plot_predictions). */
#include "plot/cells.h"
#include "plot/pl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRID_COLS 6
#define GRID_ROWS 3
#define GRID_TOP 58.0     /* title and its note */
#define GRID_BOTTOM 6.0
#define CAPTION 38.0      /* two caption lines above each image */

void dn_plot_predictions_cell(int i, int n, double scale, int rect[4])
{
    (void)n;
    double cw = DN_PL_PAGE_W / (double)GRID_COLS;
    double chh = (DN_PL_PAGE_H - GRID_TOP - GRID_BOTTOM) / GRID_ROWS;
    double side = fmin(cw - 26.0, chh - CAPTION - 12.0);
    int col = i % GRID_COLS, row = i / GRID_COLS;
    double x0 = col * cw + (cw - side) / 2;
    double y0 = GRID_TOP + row * chh + CAPTION + 4.0;
    rect[0] = (int)lround(x0 * scale);
    rect[1] = (int)lround(y0 * scale);
    rect[2] = (int)lround((x0 + side) * scale);
    rect[3] = (int)lround((y0 + side) * scale);
}

typedef struct {
    const dn_dataset *ds;
    const uint8_t *pred;
    int n;
    const char *const *names;
    const char *title;
    double **img; /* rows x cols pixels as PLplot wants them: [x][y], y up */
} grid_fig;

static void draw_grid(void *ctx, const void *jv)
{
    const grid_fig *g = ctx;
    const dn_pl_job *j = jv;
    double s = j->scale;
    dn_pl_adv(0);
    dn_pl_vpor(0, 1, 0, 1);
    dn_pl_wind(0, 1, 0, 1);
    dn_pl_col0(DN_PL_BLACK);
    dn_pl_schr(0, 1.0);
    dn_pl_ptex(0.5, 1.0 - 18 * s / j->height, 0.5, g->title);
    dn_pl_schr(0, 0.85);
    char note[160];
    snprintf(note, sizeof note,
             "first %d test images; caption: true class, predicted class; red: misclassified",
             g->n);
    dn_pl_ptex(0.5, 1.0 - 40 * s / j->height, 0.5, note);
    int rows = g->ds->rows, cols = g->ds->cols;
    for (int i = 0; i < g->n; i++) {
        int rect[4];
        dn_plot_predictions_cell(i, g->n, s, rect);
        const uint8_t *px = g->ds->images + (size_t)i * (size_t)rows * (size_t)cols;
        for (int x = 0; x < cols; x++)
            for (int y = 0; y < rows; y++)
                g->img[x][rows - 1 - y] = px[y * cols + x];
        dn_pl_viewport_px(j, rect[0], rect[1], rect[2], rect[3]);
        dn_pl_wind(0, cols, 0, rows);
        dn_pl_image((const double *const *)g->img, cols, rows, 0, cols, 0, rows, 0, 255);
        int wrong = g->pred[i] != g->ds->labels[i];
        if (wrong) {
            /* The frame's centre line lies 4 px outside the image; PLplot
             * clips to the viewport, so widen it to hold the frame. */
            double d = 4.0 * s, e = 8.0 * s, w = rect[2] - rect[0], h = rect[3] - rect[1];
            double ux = cols / w, uy = rows / h;
            dn_pl_viewport_px(j, rect[0] - e, rect[1] - e, rect[2] + e, rect[3] + e);
            dn_pl_wind(-e * ux, cols + e * ux, -e * uy, rows + e * uy);
            double fx[5] = {-d * ux, cols + d * ux, cols + d * ux, -d * ux, -d * ux};
            double fy[5] = {-d * uy, -d * uy, rows + d * uy, rows + d * uy, -d * uy};
            dn_pl_col0(DN_PL_RED);
            dn_pl_width(3.0 * s);
            dn_pl_line(5, fx, fy);
            dn_pl_viewport_px(j, rect[0], rect[1], rect[2], rect[3]);
            dn_pl_wind(0, cols, 0, rows);
        }
        dn_pl_col0(wrong ? DN_PL_RED : DN_PL_BLACK);
        dn_pl_schr(0, 0.8);
        dn_pl_mtex("t", 2.9, 0.5, 0.5, g->names[g->ds->labels[i]]);
        dn_pl_mtex("t", 1.5, 0.5, 0.5, g->names[g->pred[i]]);
    }
}

int dn_plot_predictions(const char *path, const dn_dataset *ds, const uint8_t *pred, int n,
                        const char *const *class_names, const char *title, double scale,
                        dn_err *err)
{
    if (n < 1 || n > DN_PLOT_GRID_MAX || (size_t)n > ds->n)
        return dn_fail(err, DN_EINVAL, "%d images for a grid of at most %d (the set has %zu)", n,
                       DN_PLOT_GRID_MAX, ds->n);
    if (!ds->images)
        return dn_fail(err, DN_EINVAL, "the dataset holds feature rows, not images");
    if (ds->rows < 1 || ds->cols < 1 || ds->rows > 256 || ds->cols > 256)
        return dn_fail(err, DN_EINVAL, "images of %dx%d pixels cannot be drawn", ds->rows,
                       ds->cols);
    if (!class_names) {
        if (ds->classes > 10)
            return dn_fail(err, DN_EINVAL, "%d classes and no class names", ds->classes);
        class_names = dn_fmnist_classes;
    }
    for (int i = 0; i < n; i++)
        if (ds->labels[i] >= ds->classes || pred[i] >= ds->classes)
            return dn_fail(err, DN_EINVAL, "example %d: class %d or prediction %d is not below %d",
                           i, ds->labels[i], pred[i], ds->classes);
    grid_fig g = {ds, pred, n, class_names, title ? title : "predictions", NULL};
    double *data = malloc((size_t)ds->rows * (size_t)ds->cols * sizeof *data);
    g.img = malloc((size_t)ds->cols * sizeof *g.img);
    if (!data || !g.img) {
        free(data);
        free(g.img);
        return dn_fail(err, DN_ENOMEM, "cannot allocate an image");
    }
    for (int x = 0; x < ds->cols; x++)
        g.img[x] = data + (size_t)x * (size_t)ds->rows;
    char desc[DN_PLOT_GRID_MAX * 64];
    size_t k = 0;
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(desc + k, sizeof desc - k, "%s%s / %s", i ? "; " : "",
                              class_names[ds->labels[i]], class_names[pred[i]]);
    int rc = dn_pl_render(path, scale, draw_grid, &g, g.title, desc, err);
    free(data);
    free(g.img);
    return rc;
}

