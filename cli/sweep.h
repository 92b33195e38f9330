/* dropnet sweep, in four parts: the options and the cells of the grid
 * (sweep_parse.c), what the runs say (sweep_analyse.c), the heatmaps
 * (sweep_draw.c) and the report (sweep_report.c); cmd_sweep.c runs them in
 * turn. */
#ifndef DN_CLI_SWEEP_H
#define DN_CLI_SWEEP_H

#include "experiment.h"
#include "report.h"

#define MAX_AXES 8
#define MAX_VALUES 1000
#define MAX_CELLS 10000
#define MAX_SEEDS 1000

typedef struct {
    char opt[96];       /* "--lr", "--dropout1", ... */
    char name[80];      /* "lr", "dropout1" */
    int layer;          /* dropoutK: K (1-based); 0 for a train option */
    int n;
    char **values;      /* n texts */
} axis;

typedef struct {
    experiment_opts x;
    char *fixed[256];   /* train options with one value */
    int n_fixed;
    axis axes[MAX_AXES];
    int n_axes;
    int help;           /* --help was printed */
} sweep_opts;

/* The options into o: 0 (o->help set when the help was printed) or
 * EXIT_USAGE after a one-line error. sweep_free_axes frees them. */
int sweep_parse(int argc, char **argv, sweep_opts *o);
void sweep_free_axes(sweep_opts *o);

typedef struct {
    int *index;                /* value index per axis */
    char label[512];           /* "lr=0.1, dropout1=0.3" */
    char name[200];            /* directory stem */
    dn_config cfg;
    char data_dir[4096];
    double *final[N_MEASURES]; /* per seed */
    dn_interval ci[N_MEASURES];
    double *val;               /* final validation accuracy per seed (runs with --val) */
    dn_interval val_ci;
    double diff;               /* test accuracy minus the best cell's */
    double score_diff;         /* the ranking accuracy minus the best cell's */
    double p_beaten;           /* adjusted p of the strongest rival (NaN: none) */
    int could_be_best;         /* 1, 0, or -1: no verdict (fewer than 3 seeds) */
} cell;

/* The value index of axis a in cell c: the last axis varies fastest. */
int sweep_value_of(const sweep_opts *o, int c, int a);
/* Cell c's label, directory stem and training configuration. */
int sweep_cell_config(const sweep_opts *o, int c, cell *ce);

/* Every cell's final values per seed and their intervals; *has_val: every
 * run has validation metrics (trained with --val). */
int sweep_load(const experiment *x, cell *cells, int n_cells, int seeds, int *has_val);
/* The best cell and, for every cell, its difference from it and whether it
 * could be the best: on validation accuracy when has_val (the test set is
 * then not used to choose), else on test accuracy. */
int sweep_rank(cell *cells, int n_cells, int seeds, int has_val, int *best);
/* What sweep_load allocated in each cell, and the array of cells (NULL:
 * nothing). */
void sweep_cells_free(cell *cells, int n_cells);
/* The accuracy cells are ranked on: validation or test, mean over seeds. */
double sweep_score(const cell *c, int has_val);

/* heatmap_test_acc (heatmap_val_acc when ranked on validation) and
 * heatmap_gap (.png, .svg): 0; 1 when the grid does
 * not fit a heatmap, -1 when drawing failed (why: in note). */
int sweep_draw(const char *dir, const sweep_opts *o, const cell *cells, int n_cells, int best,
               int has_val, double scale, const char *common, char *note, size_t nsize);

typedef struct {
    int argc;
    char **argv;
    const sweep_opts *o;
    const cell *cells;
    int n_cells, best;
    const experiment *x;
    const char *common;  /* what every cell shares */
    int same_epochs;     /* every cell trains the same number of epochs */
    int has_val;         /* ranked on validation accuracy */
    int figures, heat_rc;
    const char *heat_note;
} sweep_report;

/* sweep.csv and report.md; the terminal lines. */
int sweep_write(const sweep_report *r);
void sweep_print(const sweep_report *r);

#endif
