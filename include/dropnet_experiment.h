/*
 * dropnet_experiment.h — what experiments over trainings need beyond the core
 * API of dropnet.h: run directories read back (config.json, metrics.csv,
 * steps.csv), statistics over several seeds, figures, and the file helpers
 * the dropnet tool writes its reports and folders with.
 *
 * The conventions of dropnet.h hold here too (a dn_status and a one-line
 * message in a dn_err; the library never prints and never exits).
 */
#ifndef DROPNET_EXPERIMENT_H
#define DROPNET_EXPERIMENT_H

#include "dropnet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif


/* ----------------------------------------------------------- metrics files */
/*
 * Strict readers of what dn_runlog writes. Any defect (a wrong header, a row
 * with the wrong number of fields, a field that is not a number or out of
 * range, epochs or steps that do not increase, a last row without its end of
 * line: a truncated file) is DN_EFORMAT with "PATH:LINE: problem".
 */
typedef enum {
    DN_METRIC_TRAIN_LOSS,
    DN_METRIC_TRAIN_ACC,
    DN_METRIC_TEST_LOSS,
    DN_METRIC_TEST_ACC,
    DN_METRIC_GAP,
    DN_METRIC_SECONDS,
    DN_METRIC_VAL_LOSS, /* a run trained with a validation split (--val) only */
    DN_METRIC_VAL_ACC,
    DN_METRIC_COUNT
} dn_metric;

/* "train_loss", ... as in the header of metrics.csv. */
const char *dn_metric_name(dn_metric m);
int dn_metric_parse(const char *name, dn_metric *m, dn_err *err);

/* metrics.csv: one row per epoch. col[m][i] is metric m of row i. */
typedef struct {
    size_t n;
    int *epoch;
    double *col[DN_METRIC_COUNT]; /* val_loss, val_acc: NaN without has_val */
    bool has_val;                 /* the file has the columns val_loss, val_acc */
} dn_metrics;
int dn_metrics_read(const char *path, dn_metrics *out, dn_err *err);
void dn_metrics_free(dn_metrics *m);

/* steps.csv: the rows written by dn_runlog_step. */
typedef struct {
    size_t n;
    dn_step_point *rows;
} dn_steps;
int dn_steps_read(const char *path, dn_steps *out, dn_err *err);
void dn_steps_free(dn_steps *s);
/* Where a row lies on the epoch axis: epoch - 1 + step / steps_per_epoch. */
double dn_step_progress(const dn_step_point *p);

/* A run directory read back from its files alone. */
typedef struct {
    char dir[1024];
    dn_config cfg;
    dn_metrics metrics;
    dn_steps steps; /* n = 0 when the run has no steps.csv */
} dn_run;
/* Reads dir/config.json, dir/metrics.csv and, when present, dir/steps.csv. */
int dn_run_load(const char *dir, dn_run *run, dn_err *err);
void dn_run_free(dn_run *run);

#define DN_LABEL_MAX 128
/* labels[i]: the settings in which run i differs from the others, e.g.
 * "dropout 0.2,0.5" (threads, data and versions do not count); the run
 * directory's last component when nothing differs. common (may be NULL):
 * the settings all runs share, e.g. "MLP 784-256-256-10 | lr 0.5 | ...". */
void dn_run_labels(const dn_run *runs, int n, char (*labels)[DN_LABEL_MAX], char *common,
                   size_t common_size);

/* ------------------------------------------------------------- statistics */
/*
 * What experiments over several seeds need: intervals of means, paired and
 * unpaired comparisons. Distributions come from GSL. Values must be finite
 * (DN_EINVAL otherwise); level is the confidence level, e.g. 0.95.
 */

/* Quantile p of Student's t distribution with df degrees of freedom; NaN
 * unless 0 < p < 1 and df > 0. */
double dn_t_quantile(double p, double df);
/* Two-sided p-value of a t statistic: P(|T| >= |t|), T ~ t(df). */
double dn_t_pvalue(double t, double df);

typedef struct {
    int n;
    double mean;
    double sd;     /* sample standard deviation (divisor n - 1); NaN for n = 1 */
    double lo, hi; /* mean -+ t((1 + level) / 2, n - 1) sd / sqrt(n); NaN for n = 1 */
} dn_interval;
int dn_mean_interval(const double *x, int n, double level, dn_interval *out, dn_err *err);

/*
 * Wilcoxon's signed-rank test of differences d. Zero differences are
 * dropped (Wilcoxon's rule: a zero says nothing about the direction; the
 * test is then on the m nonzero ones). Tied magnitudes get their mid-rank
 * (the mean of the ranks they share). Magnitudes within 1e-9 of the largest
 * one of each other count as equal (and as zero near 0), so differences of
 * rounded numbers such as accuracies are not told apart by rounding noise.
 * The p-values come from the exact permutation distribution of W+ given the
 * mid-ranks (all 2^m sign patterns equally likely), ties or not, when fewer
 * than DN_SIGNRANK_EXACT_MAX differences remain; beyond, from the normal
 * approximation with the tie correction of the variance and a continuity
 * correction of 1/2. No difference left: p = 1. The smallest two-sided p
 * of m differences is 2^(1-m).
 */
#define DN_SIGNRANK_EXACT_MAX 50
typedef struct {
    int n;          /* nonzero differences */
    double w_plus;  /* sum of the ranks of the positive differences */
    int exact;      /* 1: exact distribution; 0: normal approximation */
    double p;       /* two-sided */
    double p_greater; /* one-sided, against differences tending to be positive */
    double p_less;    /* one-sided, against differences tending to be negative */
} dn_wilcoxon;
int dn_wilcoxon_signed_rank(const double *d, int n, dn_wilcoxon *out, dn_err *err);

/*
 * Paired comparison of b against a (b[i] - a[i]): the interval of the mean
 * difference, the paired t-test (two-sided; t = mean / (sd / sqrt(n)), n - 1
 * degrees of freedom) and the Wilcoxon signed-rank test. Differences that
 * are all equal (no spread: sd within 1e-9 of |mean| of 0) have no t
 * statistic and no t interval: t, p_t, diff.lo and diff.hi are NaN, and
 * the signed-rank p (2^(1-n) for n equal nonzero differences) is the test.
 * n = 1: likewise NaN.
 */
typedef struct {
    int n;
    dn_interval diff;
    double t, p_t;
    dn_wilcoxon wilcoxon;
} dn_paired;
int dn_paired_compare(const double *a, const double *b, int n, double level, dn_paired *out,
                      dn_err *err);

/* Unpaired comparison of b against a: mean(b) - mean(a), its interval and
 * Welch's t-test (two-sided; Welch-Satterthwaite degrees of freedom). Needs
 * at least 2 values on each side. Neither side with spread: t, p, lo and hi
 * are NaN. */
typedef struct {
    double diff;
    double lo, hi;
    double t, df, p;
} dn_welch;
int dn_welch_compare(const double *a, int na, const double *b, int nb, double level,
                     dn_welch *out, dn_err *err);

/*
 * Wilcoxon's rank-sum (Mann-Whitney) test of b against a, independent
 * samples. Tied values (within 1e-9 of the largest magnitude) get their
 * mid-rank. Exact permutation distribution of the rank sum given the
 * mid-ranks up to DN_RANKSUM_EXACT_MAX values in all (the two-sided p then
 * counts the rank sums at least as far from their mean as the observed one);
 * beyond, the normal approximation with tie and continuity corrections.
 */
#define DN_RANKSUM_EXACT_MAX 50
typedef struct {
    int n_a, n_b;
    double w;         /* sum of the ranks of b */
    int exact;
    double p;         /* two-sided */
    double p_greater; /* one-sided, against b tending to be larger */
    double p_less;
} dn_ranksum;
int dn_ranksum_test(const double *a, int na, const double *b, int nb, dn_ranksum *out,
                    dn_err *err);

/* P(T <= t) for T noncentral t with df degrees of freedom and noncentrality
 * ncp (numerical integration, error below 1e-9); NaN for bad arguments. */
double dn_nct_cdf(double t, double df, double ncp);
/* Power of the two-sided t-test at level alpha when its statistic is
 * noncentral t(df, ncp). */
double dn_t_power(double ncp, double df, double alpha);
/* The fewest seeds for which a two-sided t-test at level alpha detects a
 * standardised difference d with the given power: paired, n pairs (paired
 * t-test, d = difference / sd of the differences); unpaired, n per side
 * (two-sample t-test, d = difference / pooled sd). At least 2; 0 when d is
 * 0 or not finite (nothing to detect); -1 when more than
 * DN_SEEDS_NEEDED_MAX would be needed. */
#define DN_SEEDS_NEEDED_MAX 1000000
long dn_seeds_needed(double d, int paired, double alpha, double power);

/* Two one-sided t-tests (TOST) of equivalence within +-margin, from a
 * difference, its standard error and degrees of freedom: p is the larger of
 * the two one-sided p-values; equivalent when p < alpha, which is when the
 * 1 - 2 alpha interval [lo, hi] lies inside (-margin, margin). A difference
 * without a standard error (no spread): p, lo, hi NaN, not equivalent. */
typedef struct {
    double margin;
    double p_lower, p_upper, p;
    double lo, hi;
    bool equivalent;
} dn_tost_result;
int dn_tost(double diff, double se, double df, double margin, double alpha, dn_tost_result *out,
            dn_err *err);

/*
 * Which of k cells, measured on the same n seeds (x: k rows of n, row i the
 * values of cell i seed by seed), could be the best (highest true mean):
 * multiple comparisons with the best. Cell i is kept unless some other cell
 * beats it in a one-sided paired t-test at level alpha / (k - 1) (equal
 * differences, which have no t: the one-sided sign test, 2^-n). The kept set
 * holds the truly best cell with probability at least 1 - alpha, however
 * the best is placed among the others. keep: k flags; p_beaten (may be
 * NULL): k Bonferroni-adjusted p-values of the strongest rival (NaN for
 * k = 1). n >= 2.
 */
int dn_could_be_best(const double *x, int k, int n, double alpha, unsigned char *keep,
                     double *p_beaten, dn_err *err);

/* Two-sided exact McNemar p: a_only and b_only examples that only A and
 * only B get right; twice the smaller binomial(a_only + b_only, 1/2) tail. */
double dn_mcnemar_exact(long a_only, long b_only);

/* Two models' right (1) or wrong (0) answers on the same n test examples:
 * the counts of each kind, the accuracies, their difference (B - A) with a
 * percentile bootstrap interval over the test examples (resamples, seeded:
 * the same seed gives the same interval), and the exact McNemar p. */
#define DN_RESAMPLES_MAX 10000000
typedef struct {
    long n, both, a_only, b_only, neither;
    double acc_a, acc_b, diff; /* fractions */
    double lo, hi;             /* bootstrap interval of diff */
    double p_mcnemar;
    int resamples;
    uint64_t seed;
} dn_model_pair;
int dn_compare_predictions(const uint8_t *a_right, const uint8_t *b_right, long n,
                           int resamples, uint64_t seed, double level, dn_model_pair *out,
                           dn_err *err);

/*
 * The analysis of two samples a and b (values per seed) that compare and
 * stats print: means and sds of each side, B - A with its 95 % interval
 * (paired t, or Welch when unpaired), the t-test and Wilcoxon p-values
 * (signed-rank when paired, rank-sum when not), the spread of the
 * differences and dz = mean difference / their sd (paired only), the seeds
 * needed for 80 % power at 0.05, and TOST when a margin is given. A value
 * that does not exist (no spread, too few values, dz when unpaired) is NaN;
 * seeds_needed is 0 when there is nothing to detect and -1 when more than
 * DN_SEEDS_NEEDED_MAX would be needed.
 */
typedef struct {
    bool paired;
    double margin; /* > 0: test equivalence within +-margin */
    double detect; /* > 0: seeds needed to detect this difference; 0: the observed one */
} dn_compare_opts;

enum {
    DN_VERDICT_TOO_FEW,    /* below 3 seeds (a side): no verdict */
    DN_VERDICT_DIFFERENT,  /* the interval of B - A excludes 0 (or, without spread, the
                            * exact signed-rank test rejects) */
    DN_VERDICT_EQUIVALENT, /* TOST: within +-margin */
    DN_VERDICT_NOT_SHOWN,  /* neither */
    DN_VERDICT_IDENTICAL   /* every pair equal */
};

typedef struct {
    bool paired;
    int n, n_a, n_b;        /* n: pairs; unpaired: min(n_a, n_b) */
    double mean_a, mean_b, sd_a, sd_b;
    double diff;            /* mean b - mean a */
    double ci_low, ci_high; /* 95 % */
    double t, df, p_t;
    double p_wilcoxon;
    bool wilcoxon_exact;
    double sd_diff, dz;     /* paired only */
    bool no_spread;         /* paired: every difference the same */
    double detect;          /* the difference seeds_needed is for */
    long seeds_needed;
    bool has_tost;
    dn_tost_result tost;
    int verdict;            /* DN_VERDICT_* */
} dn_comparison;
int dn_compare_samples(const double *a, int na, const double *b, int nb,
                       const dn_compare_opts *opts, dn_comparison *out, dn_err *err);

/* The verdict in one or two sentences, e.g. "B is 0.42 points higher than A
 * [0.12, 0.71], p = 0.011, over 10 paired seeds: more than the luck of the
 * seed explains.". name_a, name_b name the sides; unit follows numbers
 * ("points"; "" for none); what (may be "") names the measure. */
void dn_comparison_verdict(const dn_comparison *c, const char *name_a, const char *name_b,
                           const char *what, const char *unit, int decimals, char *out,
                           size_t size);
/* The seeds-needed sentence ("" when there is none to say). */
void dn_comparison_power(const dn_comparison *c, const char *unit, int decimals, char *out,
                         size_t size);

/* A p-value with 2 significant digits, more where needed to show on which
 * side of 0.05 it lies ("0.0496", "0.0504", "0.37", "1.0"); "< 0.0001"
 * below; "n/a" for NaN. */
void dn_format_p(double p, char *out, size_t size);
/* "84.95 [84.12, 85.78]" with the given decimals; ends that would round to
 * 0 get the digits that show their sign ("[0.004, 0.31]"); sign: '+' on
 * positive numbers. Without an interval (NaN ends): the value alone. */
void dn_format_ci(double mean, double lo, double hi, int decimals, int sign, char *out,
                  size_t size);


/* ------------------------------------ calibration and Monte Carlo dropout */
/*
 * How well a classifier's probabilities match its accuracy, and what
 * averaging stochastic passes (Monte Carlo dropout: the training noise kept
 * on at test time, Gal & Ghahramani 2016) changes. Pure functions first.
 */
#define DN_CAL_BINS 15      /* equal-width bins of the expected calibration error */
#define DN_CAL_MAX_BINS 100

/* A reliability diagram: per equal-width bin of the confidence (the largest
 * probability; bin b holds (b/bins, (b+1)/bins], 0 with the first), its
 * examples, their mean confidence and their accuracy (NaN when empty). */
typedef struct {
    int bins;
    size_t count[DN_CAL_MAX_BINS];
    double confidence[DN_CAL_MAX_BINS];
    double accuracy[DN_CAL_MAX_BINS];
    double ece; /* sum over bins of count/n * |accuracy - confidence| */
} dn_reliability;
/* The bins of n confidences in [0, 1] with correct[i] != 0 where example i
 * was predicted right; rel and ece may be NULL. DN_EINVAL for n = 0, bins
 * outside [1, DN_CAL_MAX_BINS] or a confidence outside [0, 1]. */
int dn_calibration_bins(const double *conf, const uint8_t *correct, size_t n, int bins,
                        dn_reliability *rel, double *ece, dn_err *err);
/* Entropy in nats of a distribution p[0..C): -sum p log p (0 log 0 = 0). */
double dn_entropy(const double *p, int C);
/* The area under the ROC curve of score for telling positive[i] != 0 from
 * the rest: the probability that a random positive scores above a random
 * negative, ties counting half (Mann-Whitney with mid ranks; exact, O(n log
 * n)). NaN when there is no positive or no negative. DN_EINVAL for a score
 * that is not finite. */
int dn_auroc(const double *score, const uint8_t *positive, size_t n, double *auc, dn_err *err);

/* Loss (mean negative log-likelihood), accuracy and calibration of one set
 * of predictions. */
typedef struct {
    double loss, accuracy, ece;
} dn_eval_summary;

/* dn_evaluate_confusion (the same loss and accuracy bits) with the
 * calibration of the softmax probabilities: out->ece over bins bins, and
 * rel (may be NULL) the reliability diagram; confusion may be NULL. */
int dn_evaluate_calibration(dn_net *net, const dn_dataset *ds, int bins, dn_eval_summary *out,
                            dn_reliability *rel, size_t *confusion, dn_err *err);

/* Monte Carlo dropout. Pass k (0-based) runs the network with its training
 * noise on over the set in fixed blocks of DN_MC_BLOCK examples; block b
 * draws the masks of step k * blocks + b of seed (dn_net_set_rng), so the
 * passes are a pure function of (seed, k), whatever the thread count or the
 * network's largest batch. The softmax outputs of the passes are averaged. */
#define DN_MC_BLOCK 256
#define DN_MC_GRID_MAX 64
typedef struct {
    int samples;     /* K >= 1 */
    uint64_t seed;
    int bins;        /* of the calibration error; 0: DN_CAL_BINS */
    /* Cumulative averages to record (ascending, 1..samples; at most
     * DN_MC_GRID_MAX); n_grid 0: none. */
    int grid[DN_MC_GRID_MAX];
    int n_grid;
} dn_mc_opts;

typedef struct {
    int samples;
    uint64_t seed;
    dn_eval_summary single;   /* the first stochastic pass alone */
    dn_eval_summary average;  /* the average of the K passes' probabilities */
    double entropy_mean;      /* mean predictive entropy (nats) of the average */
    double auroc_error;       /* AUROC of that entropy for "the average's prediction is
                               * wrong" (NaN when all or none are wrong) */
    dn_reliability reliability; /* of the average */
    /* At grid[i] passes: the averages of the first grid[i] passes. */
    int n_grid;
    int grid[DN_MC_GRID_MAX];
    dn_eval_summary curve[DN_MC_GRID_MAX];
} dn_mc_result;

/* K stochastic passes over ds (the net's mode is restored). The loss of an
 * average is -log of the mean probability of the true class (from the
 * passes' log-likelihoods, stable); the prediction is the argmax of the
 * mean probabilities. With K = 1 the average is the single pass, bit for
 * bit. probs (may be NULL; ds->n x outputs doubles) receives the mean
 * probabilities. DN_EINVAL for a network built for batches below
 * DN_MC_BLOCK, K < 1, or more than 2^32 blocks in all. */
int dn_mc_evaluate(dn_net *net, const dn_dataset *ds, const dn_mc_opts *opts,
                   dn_mc_result *out, double *probs, dn_err *err);


/* ---------------------------------------------------------------- figures */
/*
 * Figures are drawn with PLplot's cairo driver: PNG (pngcairo) or SVG
 * (svgcairo), chosen by the file name's extension. Size 640x480 pixels times
 * scale (1 to 4; 2 for high-density screens). Files are written to a
 * temporary file in the same directory and renamed into place. A missing
 * driver is DN_EUNAVAILABLE. PLplot keeps global state: figures are drawn
 * one at a time (calls from several threads wait for each other).
 */

/* DN_OK when both cairo devices are installed. */
int dn_plot_available(dn_err *err);

/*
 * Metrics of one or more runs against epochs; metrics NULL (n_metrics 0):
 * training and test loss and accuracy. Losses, accuracies, the gap and the
 * seconds get a panel each (stacked, sharing the epoch axis). Training
 * metrics are drawn at the resolution of steps.csv when the run has one.
 * One run: training solid, test dashed with markers, titled with the run's
 * settings. Several runs: a colour and a marker shape per run, legend entries
 * from dn_run_labels, title from the settings they share. Markers stay at
 * least 12 pixels apart (every k-th epoch of long runs). A series is one
 * path in the SVG up to 250 points; PLplot draws longer ones in pieces that
 * share their end points.
 */
int dn_plot_curves(const char *path, const dn_run *runs, int n_runs, const dn_metric *metrics,
                   int n_metrics, double scale, dn_err *err);

/* Examples 0..n-1 of ds (n <= 18) in a grid of 6 columns with their true and
 * predicted class names; misclassified ones get a red caption and a red
 * frame. class_names has ds->classes entries (NULL: dn_fmnist_classes). */
#define DN_PLOT_GRID_MAX 18
int dn_plot_predictions(const char *path, const dn_dataset *ds, const uint8_t *pred, int n,
                        const char *const *class_names, const char *title, double scale,
                        dn_err *err);

/* ------------------------------------------------- figures of experiments */

/* A curve with its confidence band: y[i], within [lo[i], hi[i]], at x[i].
 * lo and hi may be NULL (no band) or hold NaN (no band at that point). */
typedef struct {
    const char *label;
    int n;
    const double *x, *y, *lo, *hi;
} dn_band;

typedef struct {
    const char *ylabel;
    const dn_band *bands; /* 1 to 4; band k has the same colour, marker and line in
                           * every panel, and the legend names the first panel's */
    int n_bands;
    bool zero_line;       /* a dashed line at y = 0 */
} dn_band_panel;

/* Panels of curves with shaded bands against x: 1 or 2 panels stacked, 3 or
 * 4 in two columns. title: one line, or two separated by a newline. */
int dn_plot_bands(const char *path, const dn_band_panel *panels, int n_panels, const char *title,
                  const char *xlabel, double scale, dn_err *err);

/* Pairs (a[i], b[i]), e.g. one configuration against another per seed. Left:
 * a line from a[i] to b[i] per pair, blue where b is higher, vermillion where
 * lower, grey where equal. Right: the differences b[i] - a[i] at x[i], their
 * mean and its 95 % interval (shaded), and 0 (dashed). */
typedef struct {
    int n;                     /* 1 to 1000 */
    const double *a, *b;
    const double *x;           /* NULL: 1..n */
    const char *label_a, *label_b;
    const char *ylabel;        /* of a and b */
    const char *dlabel;        /* of the differences (NULL: "B - A") */
    const char *xlabel;        /* of x, e.g. "seed" */
    const char *title;         /* one line, or two separated by a newline */
} dn_paired_fig;
int dn_plot_paired(const char *path, const dn_paired_fig *fig, double scale, dn_err *err);

/* A grid of nx x ny cells coloured by value (viridis: dark is low, yellow
 * high), each with its value written in it, and a colour bar. */
typedef struct {
    int nx, ny;                 /* 1 to 32 each */
    const double *z;            /* ny rows of nx, row 0 at the bottom; NaN: no value (grey) */
    const char *const *xticks;  /* nx labels of the columns */
    const char *const *yticks;  /* ny labels of the rows */
    const char *xlabel, *ylabel, *zlabel;
    const char *title;
    const char *note;           /* a smaller line under the title (may be NULL) */
    int best;                   /* cell y * nx + x framed thick; -1: none */
    const unsigned char *marked; /* nx * ny flags: cells framed thin (may be NULL) */
    int decimals;               /* of the values written in the cells, 0 to 6 */
} dn_heatmap;
int dn_plot_heatmap(const char *path, const dn_heatmap *h, double scale, dn_err *err);

/* Monte Carlo dropout: test accuracy (above) and calibration error (below)
 * of the average of the first k passes at mc's grid points, with the
 * deterministic evaluation det and one stochastic pass as flat lines. */
int dn_plot_mc_samples(const char *path, const dn_eval_summary *det, const dn_mc_result *mc,
                       double scale, dn_err *err);
/* A reliability diagram: each non-empty bin's accuracy against its mean
 * confidence, for det and, when mc is not NULL, the average of samples
 * passes, with the diagonal of perfect calibration. */
int dn_plot_reliability(const char *path, const dn_reliability *det, const dn_reliability *mc,
                        int samples, double scale, dn_err *err);

/* ------------------------------------------------------------------ files */

/* A piece of a file to write: size bytes at data. */
typedef struct {
    const void *data;
    size_t size;
} dn_chunk;

/* Writes the chunks, in order, to a temporary file in path's directory
 * (path + ".tmp" + the process id), flushes and fsyncs it, renames it over
 * path and fsyncs the directory: a crash at any instant leaves either the
 * old file or the new one. On failure the temporary file is removed and the
 * old file is left as it was. */
int dn_write_atomic(const char *path, const dn_chunk *chunks, int n, dn_err *err);

/* mkdir -p: every directory of path that is missing. A path that cannot be a
 * directory (a file in the way, a symlink loop) is DN_EINVAL; a directory
 * that cannot be made where it could be is DN_EWRITE. */
int dn_mkdir_p(const char *path, dn_err *err);
/* Makes the directory prefix + "YYYYmmdd-HHMMSS" (local time), or that name
 * with "-1", "-2", ... when it is taken, and puts the name made in out. The
 * parent must exist. */
int dn_mkdir_stamped(const char *prefix, char *out, size_t size, dn_err *err);

#ifdef __cplusplus
}
#endif
#endif /* DROPNET_EXPERIMENT_H */
