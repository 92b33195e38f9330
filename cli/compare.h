/* dropnet compare, in four parts: the options (compare_parse.c), the
 * analysis of the runs (compare_analyse.c), the figures (compare_draw.c)
 * and the report (compare_report.c); cmd_compare.c runs them in turn, and
 * compare_models.c compares two model files on one test set. */
#ifndef DN_CLI_COMPARE_H
#define DN_CLI_COMPARE_H

#include "experiment.h"
#include "report.h"

/* --unpaired: B's seeds are A's plus this, so no stream of B (weights, data
 * order, masks) is one of A's. */
#define UNPAIRED_OFFSET 4294967296ULL
#define COMPARE_MAX_SEEDS 10000

typedef struct {
    experiment_opts x;
    const char *a, *b;
    int unpaired;
    double margin, detect; /* points of test accuracy; 0: not given */
    char *shared[256];
    int n_shared;
    int help;              /* --help was printed */
} compare_opts;

/* Compare's options into o: 0 (o->help set when the help was printed) or
 * EXIT_USAGE after a one-line error. */
int compare_parse(int argc, char **argv, compare_opts *o);
/* One side's configuration: the shared options, then its own ("a" or "b",
 * its option text). 0 or an exit status. */
int compare_side_config(const compare_opts *o, const char *side, const char *text,
                        dn_config *cfg, char *data_dir, size_t dsize);

/* The trainings of one side. */
typedef struct {
    int n;              /* seeds */
    int epochs;
    dn_run *runs;       /* n */
    double *final[N_MEASURES];  /* n values of the last epoch, scaled */
    unsigned long long *seed;
} side;

void side_free(side *s);
/* Reads the runs named prefix-seed<S> for every seed; 0 when all are there
 * and finished with the expected configuration (quietly: a side that was
 * not run is simply absent). */
int side_load(const char *dir, const char *prefix, const compare_opts *o,
              const dn_config *cfg, unsigned long long offset, side *s, int quiet);

/* Per measure: A's and B's means, and B - A paired and (when B also ran
 * on other seeds) unpaired; the margin and --detect apply to test
 * accuracy. */
typedef struct {
    dn_interval a[N_MEASURES], b[N_MEASURES];
    dn_comparison paired[N_MEASURES];
    int has_paired;
    dn_comparison unpaired[N_MEASURES];
    int has_unpaired;
    int asked_paired;  /* the view this command asked for */
} results;

/* Bp, Bu: the paired and unpaired B sides that are complete (NULL: not). */
int compare_analyse(const compare_opts *o, const side *A, const side *Bp, const side *Bu,
                    results *r);
/* The comparison of the view asked for, for measure m. */
const dn_comparison *compare_view(const results *r, int m);

/* curves.png/.svg and, with paired runs, paired.png/.svg; 0, or -1 with
 * the reason in note. *clipped is set when a band of an accuracy reached
 * outside 0-100 % and was cut there. */
int compare_draw(const char *dir, const side *A, const side *B, const side *Bp,
                 const char *label_a, const char *label_b, const char *common,
                 const results *r, double scale, int *clipped, char *note, size_t note_size);

/* Everything compare says: the terminal, report.md and compare.csv. */
typedef struct {
    int argc;
    char **argv;
    const compare_opts *o;
    const side *A, *Bp, *Bu;
    const results *r;
    const char *label_a, *label_b, *common;
    const experiment *x;
    int figures;           /* asked for */
    const char *fig_note;  /* why there are none ("" when drawn) */
    int fig_clipped;       /* a band of the figures was clipped to 0-100 % */
} compare_report;

void compare_print(const compare_report *c);
/* The Markdown table of the final epoch: per measure A, B (B's values are
 * B->final), B - A, and both p-values; *clipped set when an accuracy's
 * interval was cut to 0-100 %. */
void compare_md_table(strbuf *md, const results *r, const side *B, int paired, int *clipped);
int compare_write(const compare_report *c);

/* dropnet compare --model-a A --model-b B ...: two model files on one test
 * set. */
int compare_models(int argc, char **argv);
/* 1 when argv holds --model-a or --model-b. */
int compare_is_models(int argc, char **argv);

#endif
