/* dropnet lab: the exercises of d2l's Dropout section, each a designed,
 * paired, multi-seed experiment that writes DIR/exN/report.md.
 *
 * An exercise is one entry of the table in lab.c, its code in lab_exN.c:
 *
 *   cost(l)   the d2l-sized epochs it trains with the lab's design (a
 *             training of a narrower net or on fewer examples counts by its
 *             cost: lab_cost), planned before anything runs;
 *   run(l, answer)
 *             opens its directory (lab_open), adds its trainings (lab_add),
 *             runs them (lab_train: side by side, through the experiment
 *             scheduler of compare and sweep, so a rerun reuses what
 *             finished), reads them back, draws its figures, writes
 *             report.md (lab_report_* helpers) and puts a one-line answer,
 *             generated from the numbers, in answer (lab_finish writes it
 *             next to the report, for DIR/README.md).
 *
 * Nothing in a report is pre-written beyond the question and the design:
 * every number, and every sentence that reads a number, comes from the
 * runs. Where the data do not settle a question, the report says so and
 * how many seeds would (dn_seeds_needed through dn_comparison_power).
 */
#ifndef DN_CLI_LAB_H
#define DN_CLI_LAB_H

#include "compare.h"
#include "experiment.h"
#include "report.h"
#include "sweep.h"

#define LAB_EXERCISES 7
#define LAB_ANSWER_MAX 600

/* The design every exercise reads its sizes from; DIR/design.txt records it
 * and a rerun with another design on the same DIR is refused. */
typedef struct {
    int epochs;      /* exercises 1, 3-7 (default 10) */
    int long_epochs; /* exercise 2 (default 50) */
    int seeds;       /* paired seeds of the main comparisons (default 10) */
    int quick;       /* small nets, 1-2 epochs, 3 seeds: for tests */
} lab_design;

typedef struct lab {
    lab_design d;
    char dir[4096];           /* DIR */
    const char *data_opt;     /* --data, or NULL */
    char data_dir[4096];      /* the Fashion-MNIST directory found */
    int jobs, threads, quiet; /* 0: the scheduler's defaults */
    int argc;                 /* the command, for the reports */
    char **argv;
    /* Progress over the whole lab, in d2l-sized epochs. */
    int exercise;             /* running now */
    const char *phase;        /* what its trainings are ("swap", "grid", ...) */
    double planned;           /* every exercise of this command */
    double done;              /* finished, before or in this command */
    double ran;               /* finished in this command */
    double t0;
    int counted;              /* trainings of the open experiment counted in done */
    int n_trainings, n_done;  /* of this command */
} lab;

typedef struct {
    int n;
    const char *title;
    const char *question;
    double (*cost)(const lab *l);
    int (*run)(lab *l, char *answer, size_t size);
} lab_exercise;

/* One per lab_exN.c; lab_exercises[N - 1] is exercise N, NULL while it is
 * not built yet. */
extern const lab_exercise lab_ex1, lab_ex2, lab_ex3, lab_ex4, lab_ex5, lab_ex6, lab_ex7;
extern const lab_exercise *const lab_exercises[LAB_EXERCISES];

/* ---- sizes ---- */
/* The cost of one training of cfg in d2l-sized epochs: its epochs times its
 * multiply-adds per example relative to 784-256-256-10, times the fraction
 * of the 60,000 training examples it trains on (a validation split trains
 * on fewer). */
double lab_cost(const dn_config *cfg);
/* Seeds of a selection grid (few: it only chooses): 3 of 10, at least 2. */
int lab_grid_seeds(const lab *l);
/* Examples held out for validation where an exercise chooses a setting. */
#define LAB_VAL 10000

/* ---- trainings ---- */
/* cfg from train options text (words separated by spaces), on top of the
 * d2l-2020 preset with the lab's data, and, with --quick, a narrow net
 * (hidden 32,32). epochs: the exercise's. 0, or an exit status. */
int lab_config(const lab *l, const char *options, int epochs, dn_config *cfg);
/* Opens DIR/exN as the experiment x (jobs, threads, progress). */
int lab_open(lab *l, int n, experiment *x);
/* Adds trainings PREFIX-seedS of cfg for seeds 1..seeds (the names
 * side_load reads). */
int lab_add(lab *l, experiment *x, const char *prefix, const dn_config *cfg, int seeds);
/* Runs every training of x not done yet; phase names them in the progress
 * line. 0, or an exit status (interrupted: EXIT_INTERRUPTED). */
int lab_train(lab *l, experiment *x, const char *phase);
/* The trainings PREFIX-seed1.. of x as a side (compare's), cfg theirs. */
int lab_side(const experiment *x, const char *prefix, const dn_config *cfg, int seeds, side *s);
/* What two configurations share, for titles ("MLP 784-256-256-10 | lr
 * 0.5 | ...", the seed left out). */
void lab_common(const dn_config *a, const dn_config *b, char *common, size_t size);
/* A selection grid as `dropnet sweep` parses it: the axis options in words
 * (e.g. "--weight-decay", "0.0001,0.001", "--dropout", "0,0"), on the
 * lab's epochs, grid seeds, data, a validation split of LAB_VAL and, with
 * --quick, the narrow net. 0, or an exit status. */
int lab_sweep(const lab *l, const char *const *words, int n, sweep_opts *o);
/* The cost of training every cell of the selection grid o (one axis) on
 * the grid seeds, in d2l-sized epochs; 0 when its cells cannot be made.
 * Frees o's axes. */
double lab_select_cost(const lab *l, sweep_opts *o);
/* The cells of a grid o (every combination of its axes' values) and their
 * value indices, n_axes per cell. lab_grid_new: 0, or EXIT_RUNTIME after a
 * message; lab_grid_free takes a grid made or zeroed. */
typedef struct {
    cell *cells;
    int *index;
    int n;
} lab_grid;
int lab_grid_new(lab_grid *g, const sweep_opts *o);
void lab_grid_free(lab_grid *g);
/* The selection grid o as the first trainings of x: its cells made into g
 * (lab_grid_new), added (PREFIX "select", lab_add_cells), trained (phase
 * names them), read back and ranked on validation; *best the chosen cell.
 * 0, or an exit status; g is the caller's to free either way. */
int lab_select(lab *l, experiment *x, const sweep_opts *o, lab_grid *g, const char *phase,
               int *has_val, int *best);
/* "highest", "yes", "no" or "no verdict": whether cell k of a ranked grid
 * could be the best. */
const char *lab_could_be_best(const cell *cells, int k, int best);
/* Adds the cells of the grid o, each as PREFIX_<cell name>-seedS on the
 * grid seeds: each cell of g gets its value indices, label and
 * configuration. */
int lab_add_cells(lab *l, experiment *x, const sweep_opts *o, const char *prefix, lab_grid *g);
/* The trainings PREFIX_A-seed* and PREFIX_B-seed* as compare's sides A and
 * B, and compare's paired analysis of B against A into r. */
int lab_pair(const experiment *x, const char *prefix_a, const dn_config *a,
             const char *prefix_b, const dn_config *b, int seeds, side *A, side *B,
             results *r);
/* A view of trainings [first, first + n) of x, for readers that index the
 * trainings of an experiment from 0 (sweep_load). */
experiment lab_view(const experiment *x, int first, int n);

/* ---- reports ---- */
/* "# Exercise N: title", the question, the command, the design line. */
void lab_report_head(const lab *l, strbuf *md, int n);
/* "| measure | A | B | B - A |" rows for compare's measures of a paired
 * comparison. */
void lab_report_pair_table(strbuf *md, const char *name_a, const char *name_b, const results *r);
/* A number with its 95 % interval, e.g. "+0.42 [0.12, 0.71]". */
void lab_ci(char *out, size_t size, double mean, double lo, double hi, int decimals, int sign);
/* A mean accuracy (percent) with its 95 % interval cut to 0-100. */
void lab_acc_ci(char *out, size_t size, const dn_interval *ci);
/* A row of a "## Trainings" table without its end: "| group | seed |
 * runs/PREFIX-seedS | test acc | test loss | train acc | gap |" (the columns
 * lab_check.py reads), of the run's last epoch. */
void lab_run_cells(strbuf *md, const char *group, const char *prefix, unsigned long long seed,
                   const dn_metrics *m);
#define LAB_RUNS_HEAD "| group | seed | run | test acc (%) | test loss | train acc (%) | gap |"
/* The rows of side s in a "## Trainings" table of LAB_RUNS_HEAD's columns,
 * each ended. */
void lab_runs_rows(strbuf *md, const char *group, const char *prefix, const side *s);
/* "the interval excludes 0" / "... includes 0; about N paired seeds would
 * detect a difference this size" / "too few seeds for a verdict". */
void lab_short_verdict(const dn_comparison *c, char *out, size_t size);
/* The verdict and, when the data do not settle it, the seeds that would. */
void lab_report_verdict(strbuf *md, const dn_comparison *c, const char *name_a,
                        const char *name_b, const char *what);
/* The trainings line (how many ran now, how many were reused, their cost)
 * and the statistics notes. */
void lab_report_method(const lab *l, strbuf *md, const experiment *x);
/* Writes DIR/exN/report.md (md freed) and DIR/exN/answer.txt. */
int lab_finish(const lab *l, int n, strbuf *md, const char *answer);
/* The end of every report: the Trainings table ends, "How this was run",
 * then lab_finish. */
int lab_report_end(const lab *l, int n, strbuf *md, const experiment *x, const char *answer);

#endif
