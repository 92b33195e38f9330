/* dropnet compare: two configurations over several seeds, paired by seed, and
 * what the difference between them is once the luck of the seed is taken
 * out. */
#include "experiment.h"
#include "report.h"
#include "train_options.h"
#include "words.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --unpaired: B's seeds are A's plus this, so no stream of B (weights, data
 * order, masks) is one of A's. */
#define UNPAIRED_OFFSET 4294967296ULL
#define MAX_SEEDS 10000

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dropnet compare --a \"OPTIONS\" --b \"OPTIONS\" [options] [TRAIN OPTIONS]\n"
            "\n"
            "Trains configurations A and B on the same seeds and tells whether B differs\n"
            "from A by more than the luck of the seed. With one seed, A and B start from the\n"
            "same weights (where shapes match), see the data in the same order and draw their\n"
            "dropout masks from the same uniforms: the paired difference B - A measures the\n"
            "configuration, not the initialisation. Prints, for the final test accuracy, test\n"
            "loss, training accuracy and the gap, the mean and 95 %% interval of A and of B,\n"
            "the paired difference with its interval (Student t), the paired t-test and the\n"
            "Wilcoxon signed-rank p-values, and one sentence; writes report.md and figures.\n"
            "\n"
            "  --a OPTIONS, --b OPTIONS  dropnet train options of A and of B, one string each,\n"
            "                       split into words like a shell would (quotes allowed,\n"
            "                       no expansions), e.g. --a \"--dropout 0.2,0.5\"\n"
            "  TRAIN OPTIONS        train options given outside --a/--b apply to both (before\n"
            "                       theirs), e.g. --epochs 5 or --data DIR\n"
            "  --seeds N            seeds per configuration (default 10)\n"
            "  --seed S             the first seed (default 1): seeds S, S+1, ..., S+N-1\n"
            "  --unpaired           B trains on other seeds than A (seed + 2^32): shows how\n"
            "                       much wider the interval is without pairing; with paired\n"
            "                       runs already in the directory, the report gives both\n"
            "  --jobs N             trainings side by side (default: one per core)\n"
            "  --threads N          threads of each training (default: cores / jobs, at least 1)\n"
            "  --out DIR            experiment directory (default experiments/compare-<date-time>);\n"
            "                       run the same command with the same DIR to go on after an\n"
            "                       interruption: finished trainings are kept, interrupted ones\n"
            "                       resume from their checkpoints\n"
            "  --no-figures         no curves.png/.svg, paired.png/.svg\n"
            "  --figure-scale S     figures at S times 640x480 pixels, 1 to 4\n"
            "  --quiet              no progress line\n"
            "  -h, --help           this help\n");
}

typedef struct {
    experiment_opts x;
    const char *a, *b;
    int unpaired;
    char *shared[256];
    int n_shared;
} compare_opts;

/* Compare's own options; anything else that train knows is shared by A and B. */
static int parse_args(int argc, char **argv, compare_opts *o)
{
    memset(o, 0, sizeof *o);
    experiment_opts_init(&o->x, 10, MAX_SEEDS);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return -1;
        }
        if (experiment_opts_flag(&o->x, arg))
            continue;
        if (strcmp(arg, "--unpaired") == 0) {
            o->unpaired = 1;
            continue;
        }
        /* --name VALUE or --name=VALUE of compare's own options */
        char name[64] = "";
        if (strncmp(arg, "--", 2) == 0)
            snprintf(name, sizeof name, "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
        int side = strcmp(name, "a") == 0 || strcmp(name, "b") == 0;
        if (side || experiment_opts_takes(name)) {
            const char *value = cli_option_value("compare", argc, argv, &i);
            if (!value)
                return EXIT_USAGE;
            if (side)
                *(name[0] == 'a' ? &o->a : &o->b) = value;
            else if (experiment_opts_set(&o->x, name, value))
                return EXIT_USAGE;
            continue;
        }
        /* anything else train knows applies to both A and B */
        int arity = train_option_arity(arg);
        if (arity < 0) {
            cli_error("compare: %s '%s' (try dropnet compare --help)",
                      arg[0] == '-' ? "unknown option" : "unexpected argument", arg);
            return EXIT_USAGE;
        }
        if (o->n_shared + 2 > 256) {
            cli_error("compare: too many options");
            return EXIT_USAGE;
        }
        o->shared[o->n_shared++] = argv[i];
        if (arity == 1 && !strchr(arg, '=')) {
            const char *value = cli_option_value("compare", argc, argv, &i);
            if (!value)
                return EXIT_USAGE;
            o->shared[o->n_shared++] = (char *)value;
        }
    }
    if (!o->a || !o->b) {
        cli_error("compare: --%s is missing: give the options of both configurations, e.g. "
                  "--a \"--dropout 0.2,0.5\" --b \"--dropout 0.5,0.2\"", o->a ? "b" : "a");
        return EXIT_USAGE;
    }
    unsigned long long top = DN_MAX_SEED - (o->unpaired ? UNPAIRED_OFFSET : 0);
    if (o->x.seed > top - (unsigned long long)(o->x.seeds - 1)) {
        cli_error("--seed: %llu with %ld seeds goes past %llu, the largest seed%s", o->x.seed,
                  o->x.seeds, top, o->unpaired ? " --unpaired can use" : "");
        return EXIT_USAGE;
    }
    return 0;
}

/* Options compare sets itself or that do not define a training. */
static const char *const not_allowed[] = {"seed", "threads", "out", "resume", "quiet",
                                          "no-figures", "figure-scale", "checkpoint-every",
                                          "log-every"};

/* One side's configuration: the shared options, then its own. */
static int side_config(const compare_opts *o, const char *side, const char *text,
                       dn_config *cfg, char *data_dir, size_t dsize)
{
    char msg[600];
    word_list w;
    if (words_split("", text, &w, msg, sizeof msg)) {
        cli_error("--%s: %s", side, msg);
        return EXIT_USAGE;
    }
    char **argv = malloc(((size_t)o->n_shared + (size_t)w.argc + 1) * sizeof *argv);
    if (!argv) {
        words_free(&w);
        cli_error("compare: out of memory");
        return EXIT_USAGE;
    }
    int argc = 0;
    argv[argc++] = "";
    for (int i = 0; i < o->n_shared; i++)
        argv[argc++] = o->shared[i];
    for (int i = 1; i < w.argc; i++)
        argv[argc++] = w.argv[i];
    argv[argc] = NULL;
    char context[8];
    snprintf(context, sizeof context, "--%s", side);
    cli_error_context(context);
    train_options t;
    int rc = train_options_parse(argc, argv, &t);
    if (!rc && t.help) {
        cli_error("-h/--help is not a training setting");
        rc = EXIT_USAGE;
    }
    for (size_t k = 0; !rc && k < sizeof not_allowed / sizeof *not_allowed; k++)
        if (train_options_given(&t, not_allowed[k])) {
            if (strcmp(not_allowed[k], "seed") == 0 || strcmp(not_allowed[k], "threads") == 0 ||
                strcmp(not_allowed[k], "out") == 0)
                cli_error("--%s is compare's to set (dropnet compare --%s ...), not a "
                          "training setting", not_allowed[k], not_allowed[k]);
            else
                cli_error("--%s is not a training setting compare can vary", not_allowed[k]);
            rc = EXIT_USAGE;
        }
    if (!rc) {
        *cfg = t.cfg;
        data_dir[0] = '\0';
        dn_err err = {0};
        if (!cfg->csv.train[0] && dn_fmnist_find(t.data_opt, data_dir, dsize, &err))
            rc = cli_fail(&err);
        else
            rc = experiment_csv_widths(cfg);
    }
    cli_error_context(NULL);
    free(argv);
    words_free(&w);
    return rc;
}

/* ---- results ---- */

typedef struct {
    int n;              /* seeds */
    int epochs;
    dn_run *runs;       /* n */
    double *final[N_MEASURES];  /* n values of the last epoch, scaled */
    unsigned long long *seed;
} side;

static void side_free(side *s)
{
    if (s->runs)
        for (int i = 0; i < s->n; i++)
            dn_run_free(&s->runs[i]);
    free(s->runs);
    for (int m = 0; m < N_MEASURES; m++)
        free(s->final[m]);
    free(s->seed);
    memset(s, 0, sizeof *s);
}

/* Reads the runs named prefix-seed<S> for every seed; 0 when all are there
 * and finished with the expected configuration (quietly: a side that was
 * not run is simply absent). */
static int side_load(const char *dir, const char *prefix, const compare_opts *o,
                     const dn_config *cfg, unsigned long long offset, side *s, int quiet)
{
    memset(s, 0, sizeof *s);
    s->n = (int)o->x.seeds;
    s->epochs = cfg->fit.epochs;
    s->runs = calloc((size_t)s->n, sizeof *s->runs);
    s->seed = calloc((size_t)s->n, sizeof *s->seed);
    for (int m = 0; m < N_MEASURES; m++)
        s->final[m] = calloc((size_t)s->n, sizeof(double));
    int ok = s->runs && s->seed;
    for (int m = 0; m < N_MEASURES; m++)
        ok = ok && s->final[m];
    if (!ok) {
        side_free(s);
        return -1;
    }
    for (int i = 0; i < s->n; i++) {
        char path[4400];
        s->seed[i] = o->x.seed + (unsigned long long)i;
        snprintf(path, sizeof path, "%s/runs/%s-seed%llu", dir, prefix, s->seed[i]);
        dn_err err = {0};
        dn_config want = *cfg;
        want.fit.seed = s->seed[i] + offset;
        char model[4500];
        snprintf(model, sizeof model, "%s/model.safetensors", path);
        FILE *f = fopen(model, "rb");
        if (!f) {
            side_free(s);
            return -1;
        }
        fclose(f);
        if (dn_run_load(path, &s->runs[i], &err) ||
            experiment_differs(&s->runs[i].cfg, &want) ||
            s->runs[i].metrics.n != (size_t)cfg->fit.epochs) {
            if (!quiet)
                cli_error("%s: %s", path, err.msg[0] ? err.msg : "not the expected run");
            side_free(s);
            return -1;
        }
        size_t last = s->runs[i].metrics.n - 1;
        for (int m = 0; m < N_MEASURES; m++)
            s->final[m][i] = measure_scale[m] * s->runs[i].metrics.col[measure_metric[m]][last];
    }
    return 0;
}

typedef struct {
    dn_interval a[N_MEASURES], b[N_MEASURES];
    dn_paired paired[N_MEASURES];
    int has_paired;
    dn_welch welch[N_MEASURES];
    int has_welch;
} results;

/* B: the side this command asked for (paired or not); Bp, Bu: those that
 * are complete in the directory. */
static int analyse(const side *A, const side *B, const side *Bp, const side *Bu, results *r)
{
    dn_err err = {0};
    memset(r, 0, sizeof *r);
    for (int m = 0; m < N_MEASURES; m++) {
        if (dn_mean_interval(A->final[m], A->n, 0.95, &r->a[m], &err) ||
            dn_mean_interval(B->final[m], B->n, 0.95, &r->b[m], &err) ||
            (Bp && dn_paired_compare(A->final[m], Bp->final[m], A->n, 0.95, &r->paired[m], &err)) ||
            (Bu && A->n >= 2 &&
             dn_welch_compare(A->final[m], A->n, Bu->final[m], Bu->n, 0.95, &r->welch[m], &err)))
            return cli_fail(&err);
    }
    r->has_paired = Bp != NULL;
    r->has_welch = Bu != NULL;
    if (Bu && A->n < 2) /* one seed: the difference, no test */
        for (int m = 0; m < N_MEASURES; m++)
            r->welch[m] = (dn_welch){Bu->final[m][0] - A->final[m][0], NAN, NAN, NAN, NAN, NAN};
    return 0;
}

/* The one sentence: the paired answer when there is one. */
static void sentence(const results *r, int n, int paired, char *out, size_t size)
{
    double d, lo, hi, p;
    if (paired) {
        d = r->paired[M_TEST_ACC].diff.mean;
        lo = r->paired[M_TEST_ACC].diff.lo;
        hi = r->paired[M_TEST_ACC].diff.hi;
        p = r->paired[M_TEST_ACC].p_t;
    } else {
        d = r->welch[M_TEST_ACC].diff;
        lo = r->welch[M_TEST_ACC].lo;
        hi = r->welch[M_TEST_ACC].hi;
        p = r->welch[M_TEST_ACC].p;
    }
    if (n < 2 || isnan(p)) {
        snprintf(out, size, "B is %.2f points %s in test accuracy on one seed: one seed cannot "
                 "tell a difference from luck; run --seeds 2 or more (10 is a good start).",
                 fabs(d), d >= 0 ? "higher" : "lower");
        return;
    }
    char ps[32];
    format_p(p, ps, sizeof ps);
    const char *how = paired ? "paired seeds" : "seeds each, unpaired";
    const char *eq = strncmp(ps, "< ", 2) == 0 ? "" : "= ";
    if (d == 0.0 && lo == 0.0 && hi == 0.0)
        snprintf(out, size, "B and A end with the same test accuracy on all %d %s.", n, how);
    else if (lo > 0.0 || hi < 0.0)
        snprintf(out, size, "B is %.2f points %s in test accuracy [%.2f, %.2f], p %s%s over %d "
                 "%s: not explained by initialisation.", fabs(d), d > 0 ? "higher" : "lower",
                 lo, hi, eq, ps, n, how);
    else
        snprintf(out, size, "B is %.2f points %s in test accuracy [%.2f, %.2f], p %s%s over %d "
                 "%s: the interval includes 0, so the luck of the seed could explain it; "
                 "no difference shown.", fabs(d), d >= 0 ? "higher" : "lower", lo, hi, eq,
                 ps, n, how);
}

/* The other measures whose interval of B - A excludes 0, e.g. "train
 * accuracy (%) -1.13 [-1.31, -0.96], p < 0.001"; "" when none. */
static void also_different(const results *r, int paired, char *out, size_t size)
{
    size_t k = 0;
    out[0] = '\0';
    for (int m = M_TEST_LOSS; m < N_MEASURES; m++) {
        double d = paired ? r->paired[m].diff.mean : r->welch[m].diff;
        double lo = paired ? r->paired[m].diff.lo : r->welch[m].lo;
        double hi = paired ? r->paired[m].diff.hi : r->welch[m].hi;
        double p = paired ? r->paired[m].p_t : r->welch[m].p;
        if (!(lo > 0.0 || hi < 0.0))
            continue;
        char ci[120], ps[32];
        format_ci(d, lo, hi, measure_decimals[m], 1, ci, sizeof ci);
        format_p(p, ps, sizeof ps);
        k += (size_t)snprintf(out + k, size - k, "%s%s %s, p %s%s", k ? "; " : "",
                              measure_name[m], ci, strncmp(ps, "< ", 2) == 0 ? "" : "= ", ps);
        if (k >= size)
            break;
    }
}

static void print_table(const results *r, FILE *f)
{
    fprintf(f, "%-19s %-26s %-26s %-27s %-9s %s\n", "final", "A mean [95% CI]", "B mean [95% CI]",
            r->has_paired ? "B - A paired [95% CI]" : "B - A unpaired [95% CI]",
            r->has_paired ? "t-test p" : "Welch p", r->has_paired ? "Wilcoxon p" : "");
    for (int m = 0; m < N_MEASURES; m++) {
        char a[80], b[80], d[80], p1[32], p2[32] = "";
        int dec = measure_decimals[m];
        format_ci(r->a[m].mean, r->a[m].lo, r->a[m].hi, dec, 0, a, sizeof a);
        format_ci(r->b[m].mean, r->b[m].lo, r->b[m].hi, dec, 0, b, sizeof b);
        if (r->has_paired) {
            const dn_paired *p = &r->paired[m];
            format_ci(p->diff.mean, p->diff.lo, p->diff.hi, dec, 1, d, sizeof d);
            format_p(p->p_t, p1, sizeof p1);
            format_p(p->wilcoxon.p, p2, sizeof p2);
        } else {
            const dn_welch *w = &r->welch[m];
            format_ci(w->diff, w->lo, w->hi, dec, 1, d, sizeof d);
            format_p(w->p, p1, sizeof p1);
        }
        fprintf(f, "%-19s %-26s %-26s %-27s %-9s %s\n", measure_name[m], a, b, d, p1, p2);
    }
}

/* Per-epoch mean and interval of metric m over a side's runs. */
static int epoch_band(const side *s, int m, double *x, double *y, double *lo, double *hi)
{
    double *v = malloc((size_t)s->n * sizeof *v);
    if (!v)
        return -1;
    for (int e = 0; e < s->epochs; e++) {
        for (int i = 0; i < s->n; i++)
            v[i] = measure_scale[m] * s->runs[i].metrics.col[measure_metric[m]][e];
        dn_interval ci;
        x[e] = e + 1;
        if (dn_mean_interval(v, s->n, 0.95, &ci, NULL)) {
            y[e] = lo[e] = hi[e] = NAN;
            continue;
        }
        y[e] = ci.mean;
        lo[e] = ci.lo;
        hi[e] = ci.hi;
    }
    free(v);
    return 0;
}

static int draw_figures(const char *dir, const side *A, const side *B, const side *Bp,
                        const char *label_a, const char *label_b, const char *common,
                        const results *r, double scale, const char *how, char *note,
                        size_t note_size)
{
    int E = A->epochs;
    double *buf = malloc((size_t)E * 8 * N_MEASURES * sizeof *buf);
    if (!buf) {
        snprintf(note, note_size, "out of memory");
        return -1;
    }
    dn_band bands[N_MEASURES][2];
    dn_band_panel panels[N_MEASURES];
    char la[300], lb[300];
    snprintf(la, sizeof la, "A: %s", label_a);
    snprintf(lb, sizeof lb, "B: %s", label_b);
    for (int m = 0; m < N_MEASURES; m++) {
        const side *sides[2] = {A, B};
        for (int k = 0; k < 2; k++) {
            double *p = buf + ((size_t)m * 2 + (size_t)k) * 4 * (size_t)E;
            epoch_band(sides[k], m, p, p + E, p + 2 * E, p + 3 * E);
            bands[m][k] = (dn_band){k ? lb : la, E, p, p + E, p + 2 * E, p + 3 * E};
        }
        panels[m] = (dn_band_panel){measure_name[m], bands[m], 2, m == M_GAP};
    }
    char title[900], path[4400];
    snprintf(title, sizeof title, "%s\nmean of %d %s per epoch", common, A->n, how);
    dn_err err = {0};
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        snprintf(path, sizeof path, "%s/curves.%s", dir, k ? "svg" : "png");
        rc = dn_plot_bands(path, panels, N_MEASURES, title, "epoch", scale, &err);
    }
    free(buf);
    if (!rc && Bp) {
        const dn_paired *p = &r->paired[M_TEST_ACC];
        char ci[120], ps[32];
        format_ci(p->diff.mean, p->diff.lo, p->diff.hi, 2, 1, ci, sizeof ci);
        format_p(p->p_t, ps, sizeof ps);
        snprintf(title, sizeof title, "Final test accuracy per seed\nB - A: %s points, "
                 "paired t-test p %s%s", ci, strncmp(ps, "< ", 2) == 0 ? "" : "= ", ps);
        double *x = malloc((size_t)A->n * sizeof *x);
        if (!x) {
            snprintf(note, note_size, "out of memory");
            return -1;
        }
        for (int i = 0; i < A->n; i++)
            x[i] = (double)A->seed[i];
        dn_paired_fig fig = {A->n, A->final[M_TEST_ACC], Bp->final[M_TEST_ACC], x, label_a,
                             label_b, "final test accuracy (%)", "B - A (points)", "seed", title};
        for (int k = 0; k < 2 && !rc; k++) {
            snprintf(path, sizeof path, "%s/paired.%s", dir, k ? "svg" : "png");
            rc = dn_plot_paired(path, &fig, scale, &err);
        }
        free(x);
    }
    if (rc)
        snprintf(note, note_size, "%s", err.msg);
    return rc;
}

static void md_interval_row(strbuf *md, const char *name, const dn_interval *a,
                            const dn_interval *b, double d, double lo, double hi, double p1,
                            double p2, int dec, int wilcoxon)
{
    char sa[80], sb[80], sd[80], s1[32], s2[32];
    format_ci(a->mean, a->lo, a->hi, dec, 0, sa, sizeof sa);
    format_ci(b->mean, b->lo, b->hi, dec, 0, sb, sizeof sb);
    format_ci(d, lo, hi, dec, 1, sd, sizeof sd);
    format_p(p1, s1, sizeof s1);
    format_p(p2, s2, sizeof s2);
    sb_printf(md, "| %s | %s | %s | %s | %s |", name, sa, sb, sd, s1);
    if (wilcoxon)
        sb_printf(md, " %s |", s2);
    sb_printf(md, "\n");
}

static int write_report(const char *dir, int argc, char **argv, const compare_opts *o,
                        const side *A, const side *Bp, const side *Bu, const results *r,
                        const char *label_a, const char *label_b, const char *common,
                        const char *answer, const experiment *x, int figures,
                        const char *fig_note)
{
    strbuf md = {0};
    int paired = !o->unpaired;
    sb_printf(&md, "# Does B differ from A?\n\n");
    sb_printf(&md, "- **A**: `%s` (%s)\n", o->a, label_a);
    sb_printf(&md, "- **B**: `%s` (%s)\n", o->b, label_b);
    sb_printf(&md, "- **Both**: %s | %d epoch%s\n", common, A->epochs, A->epochs == 1 ? "" : "s");
    sb_printf(&md, "- **Seeds**: %llu to %llu (%ld per configuration), %s\n", o->x.seed,
              o->x.seed + (unsigned long long)(o->x.seeds - 1), o->x.seeds,
              paired ? "paired: A and B share each seed"
                     : "unpaired: B on seeds + 2^32, shared with no run of A");
    sb_printf(&md, "- **Command**: `");
    format_command(argc - 1, argv + 1, "dropnet compare", &md);
    sb_printf(&md, "`\n- **Trainings**: %d (%d done before this run, %d now, in %.0f s with %d "
              "job%s x %d thread%s)\n\n", x->n, x->done_before, x->ran, x->seconds, x->jobs,
              x->jobs == 1 ? "" : "s", x->threads, x->threads == 1 ? "" : "s");
    sb_printf(&md, "## Answer\n\n**%s**\n\n", answer);
    char also[800];
    also_different(r, paired, also, sizeof also);
    if (also[0])
        sb_printf(&md, "The interval of B - A also excludes 0 in: %s (each measure tested on "
                  "its own, without correction for multiple comparisons).\n\n", also);
    if (paired)
        sb_printf(&md, "With one seed, A and B start from the same weights (where shapes match), "
                  "see the training data in the same order and draw their dropout masks from the "
                  "same uniforms (what A drops at a lower rate, B drops too at a higher one). "
                  "The difference of a pair therefore measures the configuration, not the luck "
                  "of the seed.\n\n");
    sb_printf(&md, "## Final epoch, over %d seeds\n\n", A->n);
    sb_printf(&md, "Means with 95 %% confidence intervals (Student t, %d degrees of freedom). "
              "Accuracies and the gap in percent / points; loss in nats.\n\n", A->n - 1);
    if (r->has_paired) {
        sb_printf(&md, "| measure | A | B | B - A (paired) | paired t-test p | Wilcoxon p |\n");
        sb_printf(&md, "|---|---|---|---|---|---|\n");
        for (int m = 0; m < N_MEASURES; m++) {
            const dn_paired *p = &r->paired[m];
            dn_interval bp;
            dn_mean_interval(Bp->final[m], Bp->n, 0.95, &bp, NULL);
            md_interval_row(&md, measure_name[m], &r->a[m], &bp, p->diff.mean, p->diff.lo,
                            p->diff.hi, p->p_t, p->wilcoxon.p, measure_decimals[m], 1);
        }
        sb_printf(&md, "\n");
    }
    if (r->has_welch) {
        dn_interval bu[N_MEASURES];
        for (int m = 0; m < N_MEASURES; m++)
            dn_mean_interval(Bu->final[m], Bu->n, 0.95, &bu[m], NULL);
        sb_printf(&md, "%s", r->has_paired ? "B trained on other seeds (unpaired, Welch's "
                                             "t-test):\n\n" : "");
        sb_printf(&md, "| measure | A | B (unpaired seeds) | B - A (unpaired) | Welch t-test p |\n");
        sb_printf(&md, "|---|---|---|---|---|\n");
        for (int m = 0; m < N_MEASURES; m++) {
            const dn_welch *w = &r->welch[m];
            md_interval_row(&md, measure_name[m], &r->a[m], &bu[m], w->diff, w->lo, w->hi, w->p,
                            NAN, measure_decimals[m], 0);
        }
        sb_printf(&md, "\n");
    }
    if (r->has_paired && r->has_welch && A->n >= 2) {
        double wp = r->paired[M_TEST_ACC].diff.hi - r->paired[M_TEST_ACC].diff.lo;
        double wu = r->welch[M_TEST_ACC].hi - r->welch[M_TEST_ACC].lo;
        sb_printf(&md, "**What pairing buys**: the 95 %% interval of B - A in test accuracy is "
                  "%.2f points wide when A and B share seeds and %.2f points wide when they do "
                  "not (%.1f times wider), from the same number of trainings.\n\n", wp, wu,
                  wu / wp);
    }
    if (figures && !fig_note[0]) {
        sb_printf(&md, "## Figures\n\n![Mean curves of A and B with 95 %% bands](curves.png)\n\n"
                  "Per epoch: the mean over the seeds and its 95 %% interval (shaded). Training "
                  "accuracy is measured with dropout on, as d2l reports it; the gap is training "
                  "minus test accuracy.\n\n");
        if (Bp)
            sb_printf(&md, "![Final test accuracy of A and B per seed](paired.png)\n\n"
                      "Left: each line joins A and B trained with one seed (blue: B higher, "
                      "vermillion: B lower). Right: B - A per seed, their mean (line) and its "
                      "95 %% interval (shaded); the dashed line is 0.\n\n");
    } else if (figures) {
        sb_printf(&md, "No figures: %s\n\n", fig_note);
    }
    sb_printf(&md, "## Per seed (final epoch)\n\n| seed | A test acc | B test acc | B - A |");
    if (Bp && Bu)
        sb_printf(&md, " B unpaired test acc |");
    sb_printf(&md, "\n|---|---|---|---|%s\n", Bp && Bu ? "---|" : "");
    const side *B = Bp ? Bp : Bu;
    for (int i = 0; i < A->n; i++) {
        double a = A->final[M_TEST_ACC][i], b = B->final[M_TEST_ACC][i];
        sb_printf(&md, "| %llu | %.2f | %.2f | %+.2f |", A->seed[i], a, b, b - a);
        if (Bp && Bu)
            sb_printf(&md, " %.2f |", Bu->final[M_TEST_ACC][i]);
        sb_printf(&md, "\n");
    }
    sb_printf(&md, "\n## Method\n\n"
              "- Each training is `dropnet train` with the options above and its seed; its run "
              "directory is under `runs/` (`config.json`, `metrics.csv`, `steps.csv`, "
              "`model.safetensors`, `train.log`). The figures and this report are computed from "
              "those files alone.\n"
              "- Interval of a mean: mean +- t(0.975, n - 1) s / sqrt(n), s the sample standard "
              "deviation. Paired: the same on the differences B - A of each seed; the paired "
              "t-test is two-sided. Wilcoxon signed-rank test: zero differences dropped, tied "
              "magnitudes share their mean rank; exact distribution below 50 differences without "
              "ties, else the normal approximation with tie and continuity corrections. Welch's "
              "t-test for B on other seeds. t and normal distributions from GSL.\n"
              "- Caveats: the four measures are tested separately, without correction for "
              "multiple comparisons (the sentence uses test accuracy only). The seeds vary "
              "initialisation, data order and dropout masks; they do not vary the data set "
              "itself, so the intervals say how sure we are about this test set, not about new "
              "data. A t interval assumes roughly normal per-seed values; the Wilcoxon test does "
              "not, but with n pairs it cannot give a two-sided p below 2^(1 - n) (here %.2g).\n",
              ldexp(1.0, 1 - A->n));
    char path[4400];
    snprintf(path, sizeof path, "%s/report.md", dir);
    int rc = sb_write_file(&md, path);
    sb_free(&md);
    return rc;
}

/* compare.csv: one row per training, the final epoch's values. */
static int write_csv(const char *dir, const side *A, const side *Bp, const side *Bu)
{
    strbuf c = {0};
    sb_printf(&c, "config,seed,train_seed,test_acc,test_loss,train_acc,gap,run\n");
    const side *sides[3] = {A, Bp, Bu};
    static const char *const names[3] = {"a", "b", "b-unpaired"};
    for (int k = 0; k < 3; k++) {
        const side *s = sides[k];
        if (!s)
            continue;
        for (int i = 0; i < s->n; i++) {
            const dn_metrics *m = &s->runs[i].metrics;
            size_t last = m->n - 1;
            sb_printf(&c, "%s,%llu,%llu,%.17g,%.17g,%.17g,%.17g,runs/%s-seed%llu\n", names[k],
                      s->seed[i], (unsigned long long)s->runs[i].cfg.fit.seed,
                      m->col[DN_METRIC_TEST_ACC][last], m->col[DN_METRIC_TEST_LOSS][last],
                      m->col[DN_METRIC_TRAIN_ACC][last], m->col[DN_METRIC_GAP][last], names[k],
                      s->seed[i]);
        }
    }
    char path[4400];
    snprintf(path, sizeof path, "%s/compare.csv", dir);
    int rc = sb_write_file(&c, path);
    sb_free(&c);
    return rc;
}

int cmd_compare(int argc, char **argv)
{
    compare_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    dn_config ca, cb;
    char da[4096], db[4096];
    if ((rc = side_config(&o, "a", o.a, &ca, da, sizeof da)) ||
        (rc = side_config(&o, "b", o.b, &cb, db, sizeof db)))
        return rc;
    if (!o.unpaired && !dn_config_differs(&ca, &cb) && strcmp(da, db) == 0) {
        cli_error("compare: --a and --b define the same training; paired on one seed they give "
                  "the same bits (add --unpaired to see how runs of one setting spread)");
        return EXIT_USAGE;
    }
    /* What tells A and B apart, and what they share. */
    dn_run ra = {0}, rb = {0};
    snprintf(ra.dir, sizeof ra.dir, "A");
    snprintf(rb.dir, sizeof rb.dir, "B");
    ra.cfg = ca;
    rb.cfg = cb;
    ra.cfg.fit.seed = rb.cfg.fit.seed = o.x.seed;
    dn_run pair[2] = {ra, rb};
    char labels[2][DN_LABEL_MAX], common[400];
    experiment_labels(pair, labels, common, sizeof common);
    if (ca.fit.epochs != cb.fit.epochs) {
        cli_error("compare: A trains %d epochs and B %d: the per-epoch curves need the same "
                  "number", ca.fit.epochs, cb.fit.epochs);
        return EXIT_USAGE;
    }

    experiment x;
    if ((rc = experiment_open(&x, "compare", o.x.out)))
        goto out;
    x.quiet = o.x.quiet;
    const char *bname = o.unpaired ? "b-unpaired" : "b";
    unsigned long long boff = o.unpaired ? UNPAIRED_OFFSET : 0;
    for (long i = 0; i < o.x.seeds; i++) {
        unsigned long long s = o.x.seed + (unsigned long long)i;
        char name[64];
        dn_config c = ca;
        c.fit.seed = s;
        snprintf(name, sizeof name, "a-seed%llu", s);
        if ((rc = experiment_add(&x, name, &c, da)))
            goto out;
        c = cb;
        c.fit.seed = s + boff;
        snprintf(name, sizeof name, "%s-seed%llu", bname, s);
        if ((rc = experiment_add(&x, name, &c, db)))
            goto out;
    }
    if ((rc = experiment_scan(&x)))
        goto out;
    experiment_set_jobs(&x, o.x.jobs, o.x.threads);
    printf("# dropnet compare | %ld %s seed%s (%llu-%llu) | %d trainings: %d done before, %d to "
           "run%s | %d job%s x %d thread%s\n",
           o.x.seeds, o.unpaired ? "unpaired" : "paired", o.x.seeds == 1 ? "" : "s", o.x.seed,
           o.x.seed + (unsigned long long)(o.x.seeds - 1), x.n, x.done_before,
           x.n - x.done_before, x.resumed ? " (some resume)" : "", x.jobs,
           x.jobs == 1 ? "" : "s", x.threads, x.threads == 1 ? "" : "s");
    printf("# A: %s\n# B: %s\n# both: %s | %d epoch%s\n# experiment directory %s\n",
           labels[0], labels[1], common, ca.fit.epochs, ca.fit.epochs == 1 ? "" : "s", x.dir);
    fflush(stdout);
    if ((rc = experiment_run(&x)))
        goto out;

    side A, Bp = {0}, Bu = {0};
    int have_p, have_u;
    if (side_load(x.dir, "a", &o, &ca, 0, &A, 0)) {
        rc = EXIT_RUNTIME;
        goto out;
    }
    /* The other kind of B, when an earlier run left all of it here. */
    have_p = side_load(x.dir, "b", &o, &cb, 0, &Bp, o.unpaired) == 0;
    have_u = side_load(x.dir, "b-unpaired", &o, &cb, UNPAIRED_OFFSET, &Bu, !o.unpaired) == 0;
    if (o.unpaired ? !have_u : !have_p) {
        side_free(&A);
        side_free(&Bp);
        side_free(&Bu);
        rc = EXIT_RUNTIME;
        goto out;
    }
    results r;
    if ((rc = analyse(&A, o.unpaired ? &Bu : &Bp, have_p ? &Bp : NULL, have_u ? &Bu : NULL,
                      &r)) == 0) {
        char answer[800], note[600] = "";
        sentence(&r, A.n, !o.unpaired, answer, sizeof answer);
        printf("\n");
        if (o.unpaired && have_p) {
            /* the unpaired view is the one asked for */
            results u = r;
            u.has_paired = 0;
            print_table(&u, stdout);
        } else {
            print_table(&r, stdout);
        }
        printf("\n%s\n", answer);
        char also[800];
        also_different(&r, !o.unpaired, also, sizeof also);
        if (also[0])
            printf("B - A also excludes 0 in: %s (each measure tested on its own).\n", also);
        if (r.has_paired && r.has_welch && A.n >= 2) {
            double wp = r.paired[M_TEST_ACC].diff.hi - r.paired[M_TEST_ACC].diff.lo;
            double wu = r.welch[M_TEST_ACC].hi - r.welch[M_TEST_ACC].lo;
            printf("95%% interval of B - A in test accuracy: %.2f points wide paired, %.2f "
                   "unpaired (%.1f times wider).\n", wp, wu, wu / wp);
        }
        const side *B = o.unpaired ? &Bu : &Bp;
        if (o.x.figures && draw_figures(x.dir, &A, B, have_p ? &Bp : NULL, labels[0], labels[1],
                                      common, &r, o.x.figure_scale,
                                      o.unpaired ? "seeds (B unpaired)" : "paired seeds", note,
                                      sizeof note))
            cli_error("warning: no figures: %s", note);
        if (!(rc = write_csv(x.dir, &A, have_p ? &Bp : NULL, have_u ? &Bu : NULL)))
            rc = write_report(x.dir, argc, argv, &o, &A, have_p ? &Bp : NULL,
                              have_u ? &Bu : NULL, &r, labels[0], labels[1], common, answer,
                              &x, o.x.figures, note);
        if (!rc)
            printf("# report %s/report.md%s; %d training%s run in %.1f s\n", x.dir,
                   o.x.figures && !note[0] ? (have_p ? ", figures curves.png, paired.png"
                                                   : ", figure curves.png")
                                         : "",
                   x.ran, x.ran == 1 ? "" : "s", x.seconds);
    }
    side_free(&A);
    side_free(&Bp);
    side_free(&Bu);
out:
    experiment_close(&x);
    return rc;
}
