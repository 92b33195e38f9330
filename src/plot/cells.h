/* Where figures put things, in pixels: for tests that check a figure's
 * pixels at the right places. */
#ifndef DN_PLOT_CELLS_H
#define DN_PLOT_CELLS_H

#include "dropnet_experiment.h"

/* The pixel rectangle {x0, y0, x1, y1} (origin top left, x1 and y1
 * exclusive) of example i's image in that figure; the frame surrounds it. */
void dn_plot_predictions_cell(int i, int n, double scale, int rect[4]);

/* The pixel rectangle {x0, y0, x1, y1} (origin top left, x1 and y1
 * exclusive) of cell (x, y) in that figure. */
void dn_plot_heatmap_cell(const dn_heatmap *h, int x, int y, double scale, int rect[4]);

#endif
