/* dropnet sweep: every combination of a few settings, over several seeds,
 * and which combination is best, and which cannot be told apart from it. */
#include "experiment.h"
#include "report.h"
#include "train_options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_AXES 8
#define MAX_VALUES 1000
#define MAX_CELLS 10000
#define MAX_SEEDS 1000

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dropnet sweep [options] TRAIN OPTIONS...\n"
            "\n"
            "Trains every combination of the values given to train options, on the same\n"
            "seeds (paired: every cell of the grid starts from the same weights, data order\n"
            "and dropout uniforms for a given seed). Writes sweep.csv (every cell: mean and\n"
            "95 %% interval of the final test accuracy, test loss, training accuracy and gap),\n"
            "heatmaps of the mean test accuracy and of the gap, and report.md with the best\n"
            "cell and the cells statistically indistinguishable from it.\n"
            "\n"
            "values of a train option (each list is one axis of the grid):\n"
            "  --lr 0.1,0.5         comma-separated values of a single-valued option\n"
            "  --lr 0.1,0.2,...,0.9 an arithmetic progression: first, second, ..., last\n"
            "  --dropout1 0,0.1,...,0.9  the dropout of hidden layer 1 (--dropout2: layer 2, ...)\n"
            "  --dropout 0.2,0.5/0.5,0.2  options that take lists: alternatives separated by '/'\n"
            "                       (also --hidden 256,256/512,512)\n"
            "  an option with one value applies to every cell (e.g. --epochs 5, --data DIR)\n"
            "\n"
            "  --seeds N            seeds per cell (default 5)\n"
            "  --seed S             the first seed (default 1): seeds S, ..., S+N-1\n"
            "  --jobs N             trainings side by side (default: one per core)\n"
            "  --threads N          threads of each training (default: cores / jobs, at least 1)\n"
            "  --out DIR            experiment directory (default experiments/sweep-<date-time>);\n"
            "                       run the same command with the same DIR to go on: finished\n"
            "                       trainings are kept, interrupted ones resume\n"
            "  --no-figures         no heatmaps\n"
            "  --figure-scale S     figures at S times 640x480 pixels, 1 to 4\n"
            "  --quiet              no progress line\n"
            "  -h, --help           this help\n");
}

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
} sweep_opts;

static void free_axes(sweep_opts *o)
{
    for (int a = 0; a < o->n_axes; a++) {
        for (int i = 0; i < o->axes[a].n; i++)
            free(o->axes[a].values[i]);
        free(o->axes[a].values);
    }
    for (int i = 0; i < o->n_fixed; i++)
        free(o->fixed[i]);
    o->n_axes = o->n_fixed = 0;
}

static int add_value(axis *ax, const char *text)
{
    if (ax->n == MAX_VALUES) {
        cli_error("%s: more than %d values", ax->opt, MAX_VALUES);
        return -1;
    }
    char **v = realloc(ax->values, (size_t)(ax->n + 1) * sizeof *v);
    if (!v || !(v[ax->n] = strdup(text))) {
        if (v)
            ax->values = v;
        cli_error("%s: out of memory", ax->opt);
        return -1;
    }
    ax->values = v;
    ax->n++;
    return 0;
}

/* "0,0.1,...,0.9": first, second, ..., last, the step being second - first;
 * the values written with 12 significant digits, so 0.1 * 3 is 0.3. */
static int expand_progression(axis *ax, const char *first, const char *second,
                              const char *last)
{
    char *e1, *e2, *e3;
    double a = strtod(first, &e1), b = strtod(second, &e2), z = strtod(last, &e3);
    if (*e1 || *e2 || *e3 || !isfinite(a) || !isfinite(b) || !isfinite(z)) {
        cli_error("%s: '%s,%s,...,%s' needs numbers around '...'", ax->opt, first, second, last);
        return -1;
    }
    double step = b - a;
    if (!(step > 0 ? z >= b : step < 0 ? z <= b : 0)) {
        cli_error("%s: '%s,%s,...,%s' does not step from %s towards %s", ax->opt, first, second,
                  last, first, last);
        return -1;
    }
    double count = floor((z - a) / step + 1e-9);
    if (count + 1 > MAX_VALUES) {
        cli_error("%s: '%s,%s,...,%s' has more than %d values", ax->opt, first, second, last,
                  MAX_VALUES);
        return -1;
    }
    double tail = a + count * step;
    if (fabs(tail - z) > 1e-9 * fmax(1.0, fabs(z))) {
        cli_error("%s: '%s,%s,...,%s': steps of %g from %s do not reach %s", ax->opt, first,
                  second, last, step, first, last);
        return -1;
    }
    for (long k = 0; k <= (long)count; k++) {
        char v[64];
        snprintf(v, sizeof v, "%.12g", a + (double)k * step);
        if (add_value(ax, v))
            return -1;
    }
    return 0;
}

/* The values of one option: '/' separates alternatives of a list option,
 * ',' (with '...' for a progression) those of a single-valued one. */
static int parse_axis(axis *ax, const char *text, int list_option)
{
    char *copy = strdup(text);
    if (!copy) {
        cli_error("%s: out of memory", ax->opt);
        return -1;
    }
    char sep = list_option ? '/' : ',';
    char *items[MAX_VALUES + 1];
    int n = 0;
    for (char *p = copy;;) {
        char *q = strchr(p, sep);
        if (n == MAX_VALUES) {
            free(copy);
            cli_error("%s: more than %d values", ax->opt, MAX_VALUES);
            return -1;
        }
        items[n++] = p;
        if (!q)
            break;
        *q = '\0';
        p = q + 1;
    }
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        if (!items[i][0]) {
            cli_error("%s: '%s' has an empty value", ax->opt, text);
            rc = -1;
        } else if (!list_option && strcmp(items[i], "...") == 0) {
            if (i < 2 || i + 1 >= n || strcmp(items[i + 1], "...") == 0) {
                cli_error("%s: '...' needs two values before it and one after, e.g. "
                          "0,0.1,...,0.9", ax->opt);
                rc = -1;
            } else {
                /* the first two are in already; the progression repeats them */
                ax->n -= 2;
                free(ax->values[ax->n]);
                free(ax->values[ax->n + 1]);
                rc = expand_progression(ax, items[i - 2], items[i - 1], items[i + 1]);
                i++;
            }
        } else {
            rc = add_value(ax, items[i]);
        }
    }
    free(copy);
    /* the same value twice would train the same cell twice */
    for (int i = 0; i < ax->n && !rc; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(ax->values[i], ax->values[j]) == 0) {
                cli_error("%s: the value %s is given twice", ax->opt, ax->values[i]);
                rc = -1;
                break;
            }
    return rc;
}

static const char *const not_allowed[] = {"resume", "checkpoint-every", "log-every"};
static const char *const single_only[] = {"preset", "data", "train", "test", "scale"};

static int parse_args(int argc, char **argv, sweep_opts *o)
{
    memset(o, 0, sizeof *o);
    experiment_opts_init(&o->x, 5, MAX_SEEDS);
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return -1;
        }
        if (experiment_opts_flag(&o->x, arg))
            continue;
        if (strncmp(arg, "--", 2) != 0) {
            cli_error("sweep: unexpected argument '%s'", arg);
            return EXIT_USAGE;
        }
        /* --name VALUE or --name=VALUE */
        char name[64];
        const char *eq = strchr(arg, '=');
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - arg - 2) : 60, arg + 2);
        int layer = 0;
        if (strncmp(name, "dropout", 7) == 0 && name[7] >= '1' && name[7] <= '9') {
            char *end;
            long k = strtol(name + 7, &end, 10);
            if (*end || k < 1 || k > DN_MAX_HIDDEN) {
                cli_error("sweep: unknown option '--%s' (dropout1 to dropout%d name the "
                          "dropout of a hidden layer)", name, DN_MAX_HIDDEN);
                return EXIT_USAGE;
            }
            layer = (int)k;
        }
        int shared = experiment_opts_takes(name);
        char opt[80];
        snprintf(opt, sizeof opt, "--%s", name);
        int arity = layer || shared ? 1 : train_option_arity(opt);
        if (arity < 0) {
            cli_error("sweep: unknown option '%s' (try dropnet sweep --help)", arg);
            return EXIT_USAGE;
        }
        if (arity == 0) { /* --standardize: the same for every cell */
            if (eq) {
                cli_error("sweep: --%s is not a training setting a sweep can vary", name);
                return EXIT_USAGE;
            }
            if (o->n_fixed + 1 > 256 || !(o->fixed[o->n_fixed] = strdup(arg))) {
                cli_error("sweep: too many options");
                return EXIT_USAGE;
            }
            o->n_fixed++;
            continue;
        }
        const char *value = cli_option_value("sweep", argc, argv, &i);
        if (!value)
            return EXIT_USAGE;
        if (shared) {
            if (experiment_opts_set(&o->x, name, value))
                return EXIT_USAGE;
            continue;
        }
        for (size_t j = 0; j < sizeof not_allowed / sizeof *not_allowed; j++)
            if (strcmp(name, not_allowed[j]) == 0) {
                cli_error("sweep: --%s is not a training setting a sweep can vary", name);
                return EXIT_USAGE;
            }
        int single = 0;
        for (size_t j = 0; j < sizeof single_only / sizeof *single_only; j++)
            single |= strcmp(name, single_only[j]) == 0;
        int list = strcmp(name, "hidden") == 0 || strcmp(name, "dropout") == 0;
        if (single || (!layer && !strpbrk(value, list ? "/" : ","))) {
            /* one value: the same for every cell */
            if (o->n_fixed + 2 > 256) {
                cli_error("sweep: too many options");
                return EXIT_USAGE;
            }
            if (!(o->fixed[o->n_fixed++] = strdup(opt)) ||
                !(o->fixed[o->n_fixed++] = strdup(value))) {
                cli_error("sweep: out of memory");
                return EXIT_USAGE;
            }
            continue;
        }
        for (int a = 0; a < o->n_axes; a++)
            if (strcmp(o->axes[a].name, name) == 0) {
                cli_error("sweep: --%s is given twice", name);
                return EXIT_USAGE;
            }
        if (o->n_axes == MAX_AXES) {
            cli_error("sweep: more than %d options with several values", MAX_AXES);
            return EXIT_USAGE;
        }
        axis *ax = &o->axes[o->n_axes++];
        memset(ax, 0, sizeof *ax);
        snprintf(ax->opt, sizeof ax->opt, "%s", opt);
        snprintf(ax->name, sizeof ax->name, "%s", name);
        ax->layer = layer;
        if (parse_axis(ax, value, list))
            return EXIT_USAGE;
    }
    if (o->n_axes == 0) {
        cli_error("sweep: nothing to sweep: give an option several values, e.g. "
                  "--dropout1 0,0.1,...,0.9 (dropnet compare compares two settings)");
        return EXIT_USAGE;
    }
    if (o->x.seed > DN_MAX_SEED - (unsigned long long)(o->x.seeds - 1)) {
        cli_error("--seed: %llu with %ld seeds goes past 2^53 - 1", o->x.seed, o->x.seeds);
        return EXIT_USAGE;
    }
    return 0;
}

/* ---- cells ---- */

typedef struct {
    int *index;                /* value index per axis */
    char label[512];           /* "lr=0.1, dropout1=0.3" */
    char name[200];            /* directory stem */
    dn_config cfg;
    char data_dir[4096];
    double *final[N_MEASURES]; /* per seed */
    dn_interval ci[N_MEASURES];
    double diff, p;            /* test accuracy against the best cell */
    int same_as_best;
} cell;

/* The value index of axis a in cell c: the last axis varies fastest. */
static int value_of(const sweep_opts *o, int c, int a)
{
    for (int b = o->n_axes - 1; b > a; b--)
        c /= o->axes[b].n;
    return c % o->axes[a].n;
}

static void safe_name(char *out, size_t size, const char *in)
{
    size_t k = 0;
    for (const char *p = in; *p && k + 1 < size; p++)
        out[k++] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:+-=",
                          *p) ? *p : '_';
    out[k] = '\0';
}

static int cell_config(const sweep_opts *o, int c, cell *ce)
{
    char *argv[300];
    int argc = 0;
    argv[argc++] = "";
    for (int i = 0; i < o->n_fixed; i++)
        argv[argc++] = o->fixed[i];
    size_t kl = 0, kn = 0;
    ce->label[0] = ce->name[0] = '\0';
    for (int a = 0; a < o->n_axes; a++) {
        const axis *ax = &o->axes[a];
        const char *v = ax->values[value_of(o, c, a)];
        if (!ax->layer) {
            argv[argc++] = (char *)ax->opt;
            argv[argc++] = (char *)v;
        }
        char part[300];
        safe_name(part, sizeof part, v);
        kl += (size_t)snprintf(ce->label + kl, sizeof ce->label - kl, "%s%s %s",
                               a ? ", " : "", ax->name, v);
        if (kl >= sizeof ce->label)
            kl = sizeof ce->label - 1;
        kn += (size_t)snprintf(ce->name + kn, sizeof ce->name - kn, "%s%s=%s", a ? "_" : "",
                               ax->name, part);
        if (kn >= sizeof ce->name)
            kn = sizeof ce->name;
    }
    if (kn >= sizeof ce->name - 24) /* too long for a directory name: number it */
        snprintf(ce->name, sizeof ce->name, "cell%05d", c);
    argv[argc] = NULL;
    cli_error_context(ce->label);
    train_options t;
    int rc = train_options_parse(argc, argv, &t);
    cli_error_context(NULL);
    if (rc)
        return rc;
    ce->cfg = t.cfg;
    for (int a = 0; a < o->n_axes; a++) {
        const axis *ax = &o->axes[a];
        if (!ax->layer)
            continue;
        if (ax->layer > ce->cfg.arch.n_hidden) {
            cli_error("%s: the network has %d hidden layer%s", ax->opt, ce->cfg.arch.n_hidden,
                      ce->cfg.arch.n_hidden == 1 ? "" : "s");
            return EXIT_USAGE;
        }
        if (parse_float(ax->opt, ax->values[value_of(o, c, a)], 0.0, 1.0,
                        &ce->cfg.arch.dropout[ax->layer - 1]))
            return EXIT_USAGE;
    }
    ce->data_dir[0] = '\0';
    dn_err err = {0};
    if (!ce->cfg.csv.train[0] &&
        dn_fmnist_find(t.data_opt, ce->data_dir, sizeof ce->data_dir, &err))
        return cli_fail(&err);
    return experiment_csv_widths(&ce->cfg);
}

static int load_finals(const experiment *x, cell *cells, int n_cells, int seeds)
{
    for (int c = 0; c < n_cells; c++) {
        for (int m = 0; m < N_MEASURES; m++)
            if (!(cells[c].final[m] = malloc((size_t)seeds * sizeof(double)))) {
                cli_error("sweep: out of memory");
                return EXIT_RUNTIME;
            }
        for (int s = 0; s < seeds; s++) {
            char dir[4400];
            experiment_run_dir(x, c * seeds + s, dir, sizeof dir);
            dn_run run;
            dn_err err = {0};
            if (dn_run_load(dir, &run, &err))
                return cli_fail(&err);
            size_t last = run.metrics.n - 1;
            for (int m = 0; m < N_MEASURES; m++)
                cells[c].final[m][s] = measure_scale[m] * run.metrics.col[measure_metric[m]][last];
            dn_run_free(&run);
        }
        for (int m = 0; m < N_MEASURES; m++)
            dn_mean_interval(cells[c].final[m], seeds, 0.95, &cells[c].ci[m], NULL);
    }
    return 0;
}

/* The best cell (highest mean test accuracy) and, for every other, the
 * paired t-test of its per-seed test accuracies against the best's. */
static int rank_cells(cell *cells, int n_cells, int seeds)
{
    int best = 0;
    for (int c = 1; c < n_cells; c++)
        if (cells[c].ci[M_TEST_ACC].mean > cells[best].ci[M_TEST_ACC].mean)
            best = c;
    for (int c = 0; c < n_cells; c++) {
        dn_paired p;
        dn_paired_compare(cells[best].final[M_TEST_ACC], cells[c].final[M_TEST_ACC], seeds, 0.95,
                          &p, NULL);
        cells[c].diff = p.diff.mean;
        cells[c].p = c == best ? NAN : p.p_t;
        cells[c].same_as_best = c == best || (seeds >= 2 && !(p.p_t < 0.05));
    }
    return best;
}

static int write_csv(const char *dir, const sweep_opts *o, const cell *cells, int n_cells,
                     int best)
{
    strbuf c = {0};
    sb_printf(&c, "cell");
    for (int a = 0; a < o->n_axes; a++)
        sb_printf(&c, ",%s", o->axes[a].name);
    sb_printf(&c, ",seeds");
    static const char *const names[N_MEASURES] = {"test_acc", "test_loss", "train_acc", "gap"};
    for (int m = 0; m < N_MEASURES; m++)
        sb_printf(&c, ",%s_mean,%s_lo,%s_hi", names[m], names[m], names[m]);
    sb_printf(&c, ",test_acc_minus_best,p_vs_best,indistinguishable_from_best,best\n");
    for (int i = 0; i < n_cells; i++) {
        const cell *ce = &cells[i];
        sb_printf(&c, "%s", ce->name);
        for (int a = 0; a < o->n_axes; a++) {
            const char *v = o->axes[a].values[ce->index[a]];
            /* list values hold commas: quote them */
            sb_printf(&c, strchr(v, ',') ? ",\"%s\"" : ",%s", v);
        }
        sb_printf(&c, ",%ld", o->x.seeds);
        for (int m = 0; m < N_MEASURES; m++) {
            double k = 1.0 / measure_scale[m]; /* fractions, as in metrics.csv */
            sb_printf(&c, ",%.10g,%.10g,%.10g", ce->ci[m].mean * k, ce->ci[m].lo * k,
                      ce->ci[m].hi * k);
        }
        sb_printf(&c, ",%.10g,%.6g,%d,%d\n", ce->diff / 100.0, ce->p, ce->same_as_best,
                  i == best);
    }
    char path[4400];
    snprintf(path, sizeof path, "%s/sweep.csv", dir);
    int rc = sb_write_file(&c, path);
    sb_free(&c);
    return rc;
}

/* Heatmaps over the axes with more than one value (one or two of them). */
static int draw_heatmaps(const char *dir, const sweep_opts *o, const cell *cells, int n_cells,
                         int best, double scale, const char *common, char *note, size_t nsize)
{
    int multi[MAX_AXES], nm = 0;
    for (int a = 0; a < o->n_axes; a++)
        if (o->axes[a].n > 1)
            multi[nm++] = a;
    if (nm < 1 || nm > 2) {
        snprintf(note, nsize, "heatmaps need one or two options with several values, not %d; "
                 "sweep.csv has every cell", nm);
        return 1;
    }
    const axis *ax = &o->axes[multi[0]], *ay = nm == 2 ? &o->axes[multi[1]] : NULL;
    int nx = ax->n, ny = ay ? ay->n : 1;
    if (nx > 32 || ny > 32) {
        snprintf(note, nsize, "heatmaps hold at most 32 x 32 cells; sweep.csv has every cell");
        return 1;
    }
    double z[2][32 * 32];
    unsigned char marked[32 * 32];
    int best_xy = -1;
    for (int c = 0; c < n_cells; c++) {
        int x = cells[c].index[multi[0]], y = ay ? cells[c].index[multi[1]] : 0;
        z[0][y * nx + x] = cells[c].ci[M_TEST_ACC].mean;
        z[1][y * nx + x] = cells[c].ci[M_GAP].mean;
        marked[y * nx + x] = (unsigned char)cells[c].same_as_best;
        if (c == best)
            best_xy = y * nx + x;
    }
    const char *yt[1] = {""};
    char xl[100], yl[100], title[2][600];
    snprintf(xl, sizeof xl, "%s", ax->name);
    snprintf(yl, sizeof yl, "%s", ay ? ay->name : "");
    static const char *const what[2] = {"mean final test accuracy (%)",
                                        "mean final gap, train - test (points)"};
    static const char *const head[2] = {"Mean final test accuracy", "Mean final gap"};
    for (int k = 0; k < 2; k++)
        snprintf(title[k], sizeof title[k], "%s over %ld seed%s\n%s", head[k], o->x.seeds,
                 o->x.seeds == 1 ? "" : "s", common);
    static const char *const file[2] = {"heatmap_test_acc", "heatmap_gap"};
    dn_err err = {0};
    for (int k = 0; k < 2; k++) {
        dn_heatmap h = {nx, ny, z[k], (const char *const *)ax->values,
                        ay ? (const char *const *)ay->values : yt, xl, yl, what[k], title[k],
                        "thick frame: best test accuracy; thin: not distinguishable from it "
                        "(paired t-test, p >= 0.05)", best_xy, marked, 1};
        for (int f = 0; f < 2; f++) {
            char path[4400];
            snprintf(path, sizeof path, "%s/%s.%s", dir, file[k], f ? "svg" : "png");
            if (dn_plot_heatmap(path, &h, scale, &err)) {
                snprintf(note, nsize, "%s", err.msg);
                return -1;
            }
        }
    }
    return 0;
}

static int write_report(const char *dir, int argc, char **argv, const sweep_opts *o,
                        const cell *cells, int n_cells, int best, const experiment *x,
                        const char *common, int figures, int heat_rc, const char *heat_note)
{
    strbuf md = {0};
    sb_printf(&md, "# Sweep: which setting is best?\n\n");
    sb_printf(&md, "- **Grid**: ");
    for (int a = 0; a < o->n_axes; a++) {
        sb_printf(&md, "%s`--%s` ", a ? "x " : "", o->axes[a].name);
        for (int i = 0; i < o->axes[a].n; i++)
            sb_printf(&md, "%s%s", i ? (o->axes[a].layer || !strchr(o->axes[a].values[i], ',')
                                            ? ", " : " / ")
                                     : "", o->axes[a].values[i]);
        sb_printf(&md, " ");
    }
    sb_printf(&md, "(%d cells)\n- **Every cell**: %s | %d epoch%s\n", n_cells, common,
              cells[0].cfg.fit.epochs, cells[0].cfg.fit.epochs == 1 ? "" : "s");
    sb_printf(&md, "- **Seeds**: %llu to %llu (%ld per cell); every cell trains on the same seeds, "
              "so cells are compared in pairs of runs that share initial weights (where shapes "
              "match), data order and dropout uniforms\n", o->x.seed,
              o->x.seed + (unsigned long long)(o->x.seeds - 1), o->x.seeds);
    sb_printf(&md, "- **Command**: `");
    format_command(argc - 1, argv + 1, "dropnet sweep", &md);
    sb_printf(&md, "`\n- **Trainings**: %d (%d done before this run, %d now, in %.0f s with %d "
              "job%s x %d thread%s)\n\n", x->n, x->done_before, x->ran, x->seconds, x->jobs,
              x->jobs == 1 ? "" : "s", x->threads, x->threads == 1 ? "" : "s");
    const cell *b = &cells[best];
    char ci[100];
    format_ci(b->ci[M_TEST_ACC].mean, b->ci[M_TEST_ACC].lo, b->ci[M_TEST_ACC].hi, 2, 0, ci,
              sizeof ci);
    int same = 0;
    for (int c = 0; c < n_cells; c++)
        same += cells[c].same_as_best && c != best;
    sb_printf(&md, "## Answer\n\n**Best: %s, mean final test accuracy %s %%.** ", b->label, ci);
    if (o->x.seeds < 2)
        sb_printf(&md, "With one seed per cell no cell can be told apart from another: run "
                  "`--seeds 2` or more.\n\n");
    else
        sb_printf(&md, "%d other cell%s of %d %s statistically indistinguishable from it (paired "
                  "t-test over the %ld seeds, p >= 0.05).\n\n", same, same == 1 ? "" : "s",
                  n_cells - 1, same == 1 ? "is" : "are", o->x.seeds);
    if (figures && heat_rc == 0)
        sb_printf(&md, "![Mean final test accuracy per cell](heatmap_test_acc.png)\n\n"
                  "![Mean final gap per cell](heatmap_gap.png)\n\n"
                  "Thick frame: the best cell; thin frames: cells not distinguishable from it. "
                  "The gap is training accuracy (dropout on, as d2l reports it) minus test "
                  "accuracy, in points.\n\n");
    else if (figures)
        sb_printf(&md, "No heatmaps: %s.\n\n", heat_note);
    /* every cell, best first */
    int *order = malloc((size_t)n_cells * sizeof *order);
    if (!order) {
        sb_free(&md);
        cli_error("sweep: out of memory");
        return EXIT_RUNTIME;
    }
    for (int c = 0; c < n_cells; c++)
        order[c] = c;
    for (int i = 1; i < n_cells; i++) /* insertion sort: stable, n is small */
        for (int j = i; j > 0 && cells[order[j]].ci[M_TEST_ACC].mean >
                                     cells[order[j - 1]].ci[M_TEST_ACC].mean; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    sb_printf(&md, "## Every cell, best first\n\nFinal epoch, mean [95 %% interval] over the "
              "seeds; accuracies and gap in %% / points, loss in nats. \"vs best\": the paired "
              "difference in test accuracy from the best cell and its paired t-test p-value.\n\n");
    sb_printf(&md, "| cell | test accuracy | test loss | train accuracy | gap | vs best | p | "
              "indistinguishable |\n|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < n_cells; i++) {
        const cell *ce = &cells[order[i]];
        sb_printf(&md, "| ");
        md_cell(&md, ce->label);
        for (int m = 0; m < N_MEASURES; m++) {
            format_ci(ce->ci[m].mean, ce->ci[m].lo, ce->ci[m].hi, measure_decimals[m], 0, ci,
                      sizeof ci);
            sb_printf(&md, " | %s", ci);
        }
        char ps[32];
        format_p(ce->p, ps, sizeof ps);
        sb_printf(&md, " | %+.2f | %s | %s |\n", ce->diff, order[i] == best ? "" : ps,
                  order[i] == best ? "best" : ce->same_as_best ? "yes" : "no");
    }
    free(order);
    sb_printf(&md,
              "\n## Method\n\n"
              "- Each training is `dropnet train` with the cell's options and a seed; its run "
              "directory is under `runs/`. `sweep.csv` has every cell (accuracies and gap as "
              "fractions, as in `metrics.csv`).\n"
              "- Intervals: mean +- t(0.975, n - 1) s / sqrt(n) over the n seeds (t from GSL).\n"
              "- Best cell: the highest mean final test accuracy. A cell is *indistinguishable* "
              "from it when the two-sided paired t-test of its per-seed test accuracies against "
              "the best cell's, seed by seed, gives p >= 0.05.\n"
              "- Caveats: these are %d tests without correction for multiple comparisons, so "
              "about 1 in 20 of the cells that are truly as good as the best is still marked as "
              "different. The best cell is picked on the same runs it is then compared with, so "
              "its lead is overstated (the winner's curse): a cell marked indistinguishable is a "
              "real candidate, and the set is better read as \"cannot rule out\" than as "
              "\"equal\". With few seeds the tests have little power: few cells are told apart "
              "from the best.\n", n_cells - 1);
    char path[4400];
    snprintf(path, sizeof path, "%s/report.md", dir);
    int rc = sb_write_file(&md, path);
    sb_free(&md);
    return rc;
}

int cmd_sweep(int argc, char **argv)
{
    sweep_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc) {
        free_axes(&o);
        return rc < 0 ? 0 : rc;
    }
    int n_cells = 1;
    for (int a = 0; a < o.n_axes; a++) {
        n_cells *= o.axes[a].n;
        if (n_cells > MAX_CELLS) {
            cli_error("sweep: more than %d cells", MAX_CELLS);
            free_axes(&o);
            return EXIT_USAGE;
        }
    }
    size_t n_axes = (unsigned)o.n_axes, cells_n = (unsigned)n_cells;
    cell *cells = calloc(cells_n, sizeof *cells);
    int *index = calloc(cells_n * n_axes, sizeof *index);
    experiment x;
    memset(&x, 0, sizeof x);
    x.lock_fd = -1;
    if (!cells || !index) {
        cli_error("sweep: out of memory");
        rc = EXIT_RUNTIME;
        goto out;
    }
    for (int c = 0; c < n_cells; c++) {
        cells[c].index = index + (size_t)c * (size_t)o.n_axes;
        for (int a = 0; a < o.n_axes; a++)
            cells[c].index[a] = value_of(&o, c, a);
        if ((rc = cell_config(&o, c, &cells[c])))
            goto out;
    }
    /* What all cells share. */
    char common[400] = "";
    {
        dn_run runs[2];
        memset(runs, 0, sizeof runs);
        runs[0].cfg = cells[0].cfg;
        runs[1].cfg = cells[n_cells - 1].cfg;
        runs[0].cfg.fit.seed = runs[1].cfg.fit.seed = o.x.seed;
        char labels[2][DN_LABEL_MAX];
        experiment_labels(runs, labels, common, sizeof common);
    }
    if ((rc = experiment_open(&x, "sweep", o.x.out)))
        goto out;
    x.quiet = o.x.quiet;
    for (int c = 0; c < n_cells; c++)
        for (long s = 0; s < o.x.seeds; s++) {
            char name[256];
            dn_config cfg = cells[c].cfg;
            cfg.fit.seed = o.x.seed + (unsigned long long)s;
            snprintf(name, sizeof name, "%s_seed%llu", cells[c].name,
                     (unsigned long long)cfg.fit.seed);
            if ((rc = experiment_add(&x, name, &cfg, cells[c].data_dir)))
                goto out;
        }
    if ((rc = experiment_scan(&x)))
        goto out;
    experiment_set_jobs(&x, o.x.jobs, o.x.threads);
    printf("# dropnet sweep | %d cells x %ld seed%s (%llu-%llu) | %d trainings: %d done before, "
           "%d to run | %d job%s x %d thread%s\n", n_cells, o.x.seeds, o.x.seeds == 1 ? "" : "s",
           o.x.seed, o.x.seed + (unsigned long long)(o.x.seeds - 1), x.n, x.done_before,
           x.n - x.done_before, x.jobs, x.jobs == 1 ? "" : "s", x.threads,
           x.threads == 1 ? "" : "s");
    printf("# grid:");
    for (int a = 0; a < o.n_axes; a++)
        printf(" %s--%s (%d value%s)", a ? "x " : "", o.axes[a].name, o.axes[a].n,
               o.axes[a].n == 1 ? "" : "s");
    printf("\n# every cell: %s | %d epoch%s\n# experiment directory %s\n", common,
           cells[0].cfg.fit.epochs, cells[0].cfg.fit.epochs == 1 ? "" : "s", x.dir);
    fflush(stdout);
    if ((rc = experiment_run(&x)) || (rc = load_finals(&x, cells, (int)n_cells, (int)o.x.seeds)))
        goto out;
    int best = rank_cells(cells, (int)n_cells, (int)o.x.seeds);
    char note[600] = "";
    int heat_rc = 1;
    if (o.x.figures) {
        heat_rc = draw_heatmaps(x.dir, &o, cells, (int)n_cells, best, o.x.figure_scale, common,
                                note, sizeof note);
        if (heat_rc < 0)
            cli_error("warning: no heatmaps: %s", note);
    }
    if ((rc = write_csv(x.dir, &o, cells, (int)n_cells, best)) ||
        (rc = write_report(x.dir, argc, argv, &o, cells, (int)n_cells, best, &x, common,
                           o.x.figures, heat_rc, note)))
        goto out;
    char ci[100];
    const cell *b = &cells[best];
    format_ci(b->ci[M_TEST_ACC].mean, b->ci[M_TEST_ACC].lo, b->ci[M_TEST_ACC].hi, 2, 0, ci,
              sizeof ci);
    printf("\nbest: %s, mean final test accuracy %s %%\n", b->label, ci);
    if (o.x.seeds >= 2) {
        int same = 0;
        for (int c = 0; c < n_cells; c++)
            same += cells[c].same_as_best && c != best;
        printf("indistinguishable from it (paired t-test over %ld seeds, p >= 0.05): ",
               o.x.seeds);
        if (!same)
            printf("none");
        for (int c = 0, k = 0; c < n_cells; c++)
            if (cells[c].same_as_best && c != best)
                printf("%s%s", k++ ? "; " : "", cells[c].label);
        printf("\n");
    }
    printf("# report %s/report.md, cells in %s/sweep.csv%s; %d training%s run in %.1f s\n",
           x.dir, x.dir, o.x.figures && heat_rc == 0 ? ", heatmaps heatmap_test_acc.png, "
                                                     "heatmap_gap.png" : "",
           x.ran, x.ran == 1 ? "" : "s", x.seconds);
out:
    if (cells)
        for (int c = 0; c < n_cells; c++)
            for (int m = 0; m < N_MEASURES; m++)
                free(cells[c].final[m]);
    free(cells);
    free(index);
    experiment_close(&x);
    free_axes(&o);
    return rc;
}
