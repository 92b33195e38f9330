/* dropnet sweep: its options, the axes of the grid and each cell's
 * configuration. */
#include "sweep.h"
#include "train_options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
            "cell and the cells that could be the best, at 95 %%: a cell is ruled out only\n"
            "when another beats it in a one-sided paired t-test at 0.05 / (cells - 1).\n"
            "\n"
            "values of a train option (each list is one axis of the grid):\n"
            "  --lr 0.1,0.5         comma-separated values of a single-valued option\n"
            "  --lr 0.1,0.2,...,0.9 an arithmetic progression: first, second, ..., last\n"
            "  --dropout1 0,0.1,...,0.9  the dropout of hidden layer 1 (--dropout2: layer 2, ...)\n"
            "  --dropout 0.2,0.5/0.5,0.2  options that take lists: alternatives separated by '/'\n"
            "                       (also --hidden 256,256/512,512 and --noise\n"
            "                       gaussian:0.2,gaussian:0.5/dropconnect:0.2,dropconnect:0.5)\n"
            "  an option with one value applies to every cell (e.g. --epochs 5, --data DIR);\n"
            "  an option may be given once; --dropoutK replaces layer K of a single --dropout\n"
            "  list and cannot be combined with alternatives of --dropout, nor with --noise\n"
            "\n"
            "  --seeds N            seeds per cell (default 5; below 3 there is no verdict)\n"
            "  --seed S             the first seed (default 1): seeds S, ..., S+N-1\n"
            "  --jobs N             trainings side by side (default: one per core; under\n"
            "                       mpirun -np N: on each rank, default 1; see dropnet(1))\n"
            "  --threads N          threads of each training (default: cores / jobs, at least 1)\n"
            "  --out DIR            experiment directory (default experiments/sweep-<date-time>);\n"
            "                       run the same command with the same DIR to go on: finished\n"
            "                       trainings are kept, interrupted ones resume\n"
            "  --no-figures         no heatmaps\n"
            "  --figure-scale S     figures at S times 640x480 pixels, 1 to 4\n"
            "  --quiet              no progress line\n"
            "  -h, --help           this help\n");
}

void sweep_free_axes(sweep_opts *o)
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

static const char *const not_allowed[] = {"resume",        "checkpoint-every", "log-every",
                                          "gemm",          "data-parallel",    "micro-blocks"};
static const char *const single_only[] = {"preset", "data", "train", "test", "scale"};

int sweep_parse(int argc, char **argv, sweep_opts *o)
{
    memset(o, 0, sizeof *o);
    option_seen seen = {0};
    int dropout_layer = 0; /* a --dropoutK, K > 0 */
    int noise_given = 0;
    experiment_opts_init(&o->x, 5, MAX_SEEDS);
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            o->help = 1;
            return 0;
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
        /* The same option twice would set one thing two ways (the second
         * silently winning, or a cell labelled with a value it never
         * trained with). */
        if (option_once(&seen, "sweep", name))
            return EXIT_USAGE;
        if (layer)
            dropout_layer = layer;
        noise_given |= strcmp(name, "noise") == 0;
        int shared = experiment_opts_takes(name);
        char opt[80];
        snprintf(opt, sizeof opt, "--%s", name);
        int arity = layer || shared ? 1 : train_option_arity(opt);
        if (arity < 0) {
            cli_error("sweep: unknown option '%s' (try dropnet sweep --help)", arg);
            return EXIT_USAGE;
        }
        for (size_t j = 0; j < sizeof not_allowed / sizeof *not_allowed; j++)
            if (strcmp(name, not_allowed[j]) == 0) {
                cli_error("sweep: --%s is not a training setting a sweep can vary%s", name,
                          strcmp(name, "gemm") == 0 ? " (DN_GEMM=NAME chooses the backend of "
                                                      "every training)" : "");
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
        int single = 0;
        for (size_t j = 0; j < sizeof single_only / sizeof *single_only; j++)
            single |= strcmp(name, single_only[j]) == 0;
        int list = strcmp(name, "hidden") == 0 || strcmp(name, "dropout") == 0 ||
                   strcmp(name, "noise") == 0;
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
    /* --dropoutK replaces layer K of the one --dropout list every cell
     * starts from; against alternatives of --dropout it would set that
     * layer twice in every cell, and the labels would name settings that
     * never trained. */
    if (dropout_layer)
        for (int a = 0; a < o->n_axes; a++)
            if (strcmp(o->axes[a].name, "dropout") == 0) {
                cli_error("sweep: --dropout%d and the alternatives of --dropout both set the "
                          "dropout of hidden layer %d: vary one of them", dropout_layer,
                          dropout_layer);
                return EXIT_USAGE;
            }
    /* --noise sets what every hidden layer draws, --dropoutK one layer's
     * dropout: together they would set that layer twice. */
    if (dropout_layer && noise_given) {
        cli_error("sweep: --dropout%d and --noise both set what hidden layer %d draws: vary "
                  "--noise with '/' alternatives (e.g. --noise dropout:0.2,gaussian:0.5/"
                  "dropout:0.5,gaussian:0.5)", dropout_layer, dropout_layer);
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

/* The value index of axis a in cell c: the last axis varies fastest. */
int sweep_value_of(const sweep_opts *o, int c, int a)
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

int sweep_cell_config(const sweep_opts *o, int c, cell *ce)
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
        const char *v = ax->values[sweep_value_of(o, c, a)];
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
        if (parse_float(ax->opt, ax->values[sweep_value_of(o, c, a)], 0.0, 1.0,
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

