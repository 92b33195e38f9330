/* What the figures of experiments (plot_experiment.c) use of plot.c: its
 * renderer, which holds PLplot's lock and writes files atomically, and its
 * drawing helpers. A page is the opaque job plot.c passes to draw. */
#ifndef DN_PLOT_INTERNAL_H
#define DN_PLOT_INTERNAL_H

#include "core/internal.h"

/* plot.c's palette (cmap0), index by index; plot.c checks it at compile
 * time. */
enum {
    DN_PL_WHITE,
    DN_PL_BLACK,
    DN_PL_GRID,
    DN_PL_KEY,
    DN_PL_RED,
    DN_PL_BLUE,
    DN_PL_ORANGE,
    DN_PL_GREEN,
    DN_PL_PURPLE,
    DN_PL_SKY,
    DN_PL_VERMILLION,
    DN_PL_DATA_BLACK,
    DN_PL_GREY,
    DN_PL_PALETTE /* entries */
};
/* Marker shapes of plot.c. */
enum { DN_PL_CIRCLE, DN_PL_SQUARE, DN_PL_TRIANGLE, DN_PL_DIAMOND };

/* Draws a figure with draw(ctx, page) into path (.png or .svg) at the given
 * scale; title and desc (may be NULL) become the SVG's <title> and <desc>. */
int dn_pl_render(const char *path, double scale, void (*draw)(void *ctx, const void *page),
                 void *ctx, const char *title, const char *desc, dn_err *err);
void dn_pl_page(const void *page, double *width, double *height, double *scale);
/* Character height in pixels at the current size. */
double dn_pl_char_px(const void *page);
/* Estimated width of text in pixels at character height ch. */
double dn_pl_text_px(double ch, const char *text);
/* The viewport from a pixel rectangle (origin top left). */
void dn_pl_viewport_px(const void *page, double x0, double y0, double x1, double y1);
/* Text with PLplot's escapes and the cairo driver's limits taken care of. */
void dn_pl_mtex(const char *side, double disp, double pos, double just, const char *text);
void dn_pl_ptex(double x, double y, double just, const char *text);
/* A filled marker of radius r pixels at world (x, y), given the panel's
 * pixels per world unit. */
void dn_pl_marker(double px_per_wx, double px_per_wy, int shape, double x, double y, double r);
void dn_pl_dashed(int dashed);
/* A tick step giving at most about max_ticks labelled ticks. */
double dn_pl_nice_step(double range, int max_ticks);

#endif
