/* The figures' way to PLplot (pl.c, the only file that includes plplot.h):
 * the renderer, which holds PLplot's lock and writes files atomically, the
 * palette and marker shapes, drawing helpers, and thin wrappers of the
 * PLplot calls figures make (named after them: dn_pl_col0 is plcol0). */
#ifndef DN_PLOT_PL_H
#define DN_PLOT_PL_H

#include "core/internal.h"

/* A page at scale 1, in pixels. */
#define DN_PL_PAGE_W 640
#define DN_PL_PAGE_H 480

/* The palette (cmap0), index by index. Data colours are the Okabe-Ito set. */
enum {
    DN_PL_WHITE,      /* background */
    DN_PL_BLACK,      /* axes and text */
    DN_PL_GRID,
    DN_PL_KEY,        /* legend keys for line styles */
    DN_PL_RED,        /* misclassified: caption and frame */
    DN_PL_BLUE,       /* the first data colour */
    DN_PL_ORANGE,
    DN_PL_GREEN,
    DN_PL_PURPLE,
    DN_PL_SKY,
    DN_PL_VERMILLION,
    DN_PL_DATA_BLACK,
    DN_PL_GREY,
    DN_PL_PALETTE /* entries */
};
/* Marker shapes (dn_pl_marker). */
enum {
    DN_PL_NO_MARKER = -1,
    DN_PL_CIRCLE,
    DN_PL_SQUARE,
    DN_PL_TRIANGLE,
    DN_PL_DIAMOND,
    DN_PL_TRIANGLE_DOWN,
    DN_PL_STAR,
    DN_PL_PENTAGON,
    DN_PL_CROSS,
    DN_PL_MARKERS
};

/* The page a figure is drawn on; draw functions get it as `page`. */
typedef struct {
    int png;             /* 1: pngcairo, 0: svgcairo */
    double scale;
    int width, height;   /* pixels */
    void (*draw)(void *ctx, const void *page);
    void *ctx;
} dn_pl_job;

/* Draws a figure with draw(ctx, page) into path (.png or .svg) at the given
 * scale; title and desc (may be NULL) become the SVG's <title> and <desc>. */
int dn_pl_render(const char *path, double scale, void (*draw)(void *ctx, const void *page),
                 void *ctx, const char *title, const char *desc, dn_err *err);
/* DN_EINVAL unless path ends in .png or .svg (*png says which) and scale
 * is in [1, 4]. */
int dn_pl_check(const char *path, double scale, int *png, dn_err *err);
/* Character height in pixels at the current size. */
double dn_pl_char_px(const dn_pl_job *j);
/* Estimated width of text in pixels at character height ch. */
double dn_pl_text_px(double ch, const char *text);
/* The viewport from a pixel rectangle (origin top left). */
void dn_pl_viewport_px(const dn_pl_job *j, double x0, double y0, double x1, double y1);
/* Text with PLplot's escapes and the cairo driver's limits taken care of. */
void dn_pl_mtex(const char *side, double disp, double pos, double just, const char *text);
void dn_pl_ptex(double x, double y, double just, const char *text);
/* A filled marker of radius r pixels at world (x, y), given the panel's
 * pixels per world unit. */
void dn_pl_marker(double px_per_wx, double px_per_wy, int shape, double x, double y, double r);
/* 0: solid, 1: dashed, 2: dotted. */
void dn_pl_dashed(int dashed);
/* A tick step giving at most about max_ticks labelled ticks. */
double dn_pl_nice_step(double range, int max_ticks);

/* PLplot's calls of the same names without "dn_" (PLFLT is double). */
void dn_pl_col0(int colour);
void dn_pl_schr(double def, double scale);
void dn_pl_width(double width);
void dn_pl_adv(int page);
void dn_pl_vpor(double x0, double x1, double y0, double y1);
void dn_pl_wind(double x0, double x1, double y0, double y1);
void dn_pl_box(const char *xopt, double xtick, int nxsub, const char *yopt, double ytick,
               int nysub);
void dn_pl_line(int n, const double *x, const double *y);
void dn_pl_fill(int n, const double *x, const double *y);
/* plimage of an nx x ny image ([x][y]) over the world rectangle, values
 * zmin..zmax mapped onto cmap1. */
void dn_pl_image(const double *const *img, int nx, int ny, double x0, double x1, double y0,
                 double y1, double zmin, double zmax);
void dn_pl_scmap0n(int n);
void dn_pl_scol0(int i, int r, int g, int b);
void dn_pl_scol0a(int i, int r, int g, int b, double alpha);
void dn_pl_gcol0(int i, int *r, int *g, int *b);

#endif
