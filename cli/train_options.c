/* The options of `dropnet train`, parsed into a dn_config, and a
 * configuration written back as options. */
#include "train_options.h"
#include "train_data.h"


#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct option options[] = {
    {"preset", required_argument, 0, OPT_PRESET},
    {"hidden", required_argument, 0, OPT_HIDDEN},
    {"dropout", required_argument, 0, OPT_DROPOUT},
    {"input-dropout", required_argument, 0, OPT_INPUT_DROPOUT},
    {"lr", required_argument, 0, OPT_LR},
    {"batch-size", required_argument, 0, OPT_BATCH},
    {"epochs", required_argument, 0, OPT_EPOCHS},
    {"weight-decay", required_argument, 0, OPT_WD},
    {"init", required_argument, 0, OPT_INIT},
    {"seed", required_argument, 0, OPT_SEED},
    {"threads", required_argument, 0, OPT_THREADS},
    {"data", required_argument, 0, OPT_DATA},
    {"out", required_argument, 0, OPT_OUT},
    {"quiet", no_argument, 0, OPT_QUIET},
    {"train", required_argument, 0, OPT_TRAIN_CSV},
    {"test", required_argument, 0, OPT_TEST_CSV},
    {"scale", required_argument, 0, OPT_SCALE},
    {"standardize", no_argument, 0, OPT_STANDARDIZE},
    {"checkpoint-every", required_argument, 0, OPT_CHECKPOINT_EVERY},
    {"resume", required_argument, 0, OPT_RESUME},
    {"log-every", required_argument, 0, OPT_LOG_EVERY},
    {"no-figures", no_argument, 0, OPT_NO_FIGURES},
    {"figure-scale", required_argument, 0, OPT_FIGURE_SCALE},
    {"gemm", required_argument, 0, OPT_GEMM},
    {"val", required_argument, 0, OPT_VAL},
    {"noise", required_argument, 0, OPT_NOISE},
    {"data-parallel", no_argument, 0, OPT_DATA_PARALLEL},
    {"micro-blocks", required_argument, 0, OPT_MICRO_BLOCKS},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};

const char *train_option_name(int val)
{
    for (const struct option *o = options; o->name; o++)
        if (o->val == val)
            return o->name;
    return "?";
}

int train_options_given(const train_options *o, const char *name)
{
    for (const struct option *p = options; p->name; p++)
        if (p->val >= OPT_PRESET && p->val < OPT_END && strcmp(p->name, name) == 0)
            return o->given[p->val - OPT_PRESET];
    return 0;
}

int train_option_arity(const char *arg)
{
    if (strncmp(arg, "--", 2) != 0)
        return -1;
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    for (const struct option *o = options; o->name; o++)
        if (o->val != 'h' && strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o->has_arg == required_argument;
    return -1;
}

/* CSV options go together and only with CSV data: 0 or an exit status. */
static int check_csv_options(dn_config *cfg, const char *data_opt, const char *scale_opt)
{
    int csv = cfg->csv.train[0] || cfg->csv.test[0];
    if (csv && (!cfg->csv.train[0] || !cfg->csv.test[0])) {
        cli_error("--%s: CSV data needs both --train and --test", cfg->csv.train[0] ? "train"
                                                                                 : "test");
        return EXIT_USAGE;
    }
    if (!csv && (scale_opt || cfg->csv.standardize)) {
        cli_error("--%s applies to CSV data (--train FILE.csv --test FILE.csv); Fashion-MNIST "
                  "pixels are always / 255", scale_opt ? "scale" : "standardize");
        return EXIT_USAGE;
    }
    if (csv && data_opt) {
        cli_error("--data: names a Fashion-MNIST directory; CSV data comes from --train/--test");
        return EXIT_USAGE;
    }
    if (scale_opt && cfg->csv.standardize) {
        cli_error("--scale: cannot be combined with --standardize");
        return EXIT_USAGE;
    }
    if (csv && !scale_opt)
        cfg->csv.scale = 1.0f;
    /* Absolute paths in config.json, so --resume works from any directory. */
    if (csv) {
        make_absolute(cfg->csv.train, sizeof cfg->csv.train);
        make_absolute(cfg->csv.test, sizeof cfg->csv.test);
    }
    return 0;
}

int train_options_parse(int argc, char **argv, train_options *o)
{
    memset(o, 0, sizeof *o);
    o->figures = 1;
    o->figure_scale = 1.0f;
    /* The preset goes first, whatever its position, so explicit options
     * override it. */
    const char *preset = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--preset") == 0 && i + 1 < argc)
            preset = argv[i + 1];
        else if (strncmp(argv[i], "--preset=", 9) == 0)
            preset = argv[i] + 9;
    }
    dn_config *cfg = &o->cfg;
    dn_err err = {0};
    if (dn_preset(preset, cfg, &err))
        return cli_fail(&err);

    int hidden_set = 0, dropout_set = 0, n_drop = cfg->arch.n_hidden, n_noise = -1;
    float drop[DN_MAX_HIDDEN];
    dn_noise noise[DN_MAX_HIDDEN];
    memcpy(drop, cfg->arch.dropout, sizeof drop);
    /* 0: getopt starts afresh, whatever an earlier parse left behind. */
    optind = 0;
    opterr = 0;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        if (c >= OPT_PRESET && c < OPT_END)
            o->given[c - OPT_PRESET] = 1;
        switch (c) {
        case OPT_PRESET: break;
        case OPT_HIDDEN:
            hidden_set = 1;
            if (strcmp(optarg, "none") == 0) {
                cfg->arch.n_hidden = 0;
            } else {
                int n = parse_int_list("--hidden", optarg, 1, 1 << 20, cfg->arch.hidden,
                                       DN_MAX_HIDDEN);
                if (n < 0)
                    return EXIT_USAGE;
                cfg->arch.n_hidden = n;
            }
            break;
        case OPT_DROPOUT:
            dropout_set = 1;
            if (strcmp(optarg, "none") == 0) {
                n_drop = 0;
            } else if ((n_drop = parse_float_list("--dropout", optarg, 0.0, 1.0, drop,
                                                  DN_MAX_HIDDEN)) < 0) {
                return EXIT_USAGE;
            }
            break;
        case OPT_NOISE:
            if (dn_noise_list_parse(optarg, noise, DN_MAX_HIDDEN, &n_noise, &err)) {
                cli_error("--noise: %s", err.msg);
                return EXIT_USAGE;
            }
            break;
        case OPT_INPUT_DROPOUT:
            if (parse_float("--input-dropout", optarg, 0.0, 1.0, &cfg->arch.input_dropout))
                return EXIT_USAGE;
            break;
        case OPT_LR:
            if (parse_float("--lr", optarg, 0.0, 1e6, &cfg->fit.lr))
                return EXIT_USAGE;
            if (!(cfg->fit.lr > 0.0f)) {
                cli_error("--lr: %s must be positive", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_BATCH:
            if (parse_int("--batch-size", optarg, 1, 1 << 20, &v))
                return EXIT_USAGE;
            cfg->fit.batch_size = (int)v;
            break;
        case OPT_EPOCHS:
            if (parse_int("--epochs", optarg, 1, 1000000, &v))
                return EXIT_USAGE;
            cfg->fit.epochs = (int)v;
            break;
        case OPT_WD:
            if (parse_float("--weight-decay", optarg, 0.0, 1e6, &cfg->fit.weight_decay))
                return EXIT_USAGE;
            break;
        case OPT_INIT:
            if (dn_init_parse(optarg, &cfg->init, &err))
                return cli_fail(&err);
            break;
        case OPT_SEED: {
            unsigned long long s;
            if (parse_u64("--seed", optarg, &s))
                return EXIT_USAGE;
            if (s > DN_MAX_SEED) {
                cli_error("--seed: %s is above 2^53 - 1", optarg);
                return EXIT_USAGE;
            }
            cfg->fit.seed = s;
            break;
        }
        case OPT_THREADS:
            if (parse_int("--threads", optarg, 1, 1024, &v))
                return EXIT_USAGE;
            cfg->threads = (int)v;
            break;
        case OPT_DATA: o->data_opt = optarg; break;
        case OPT_GEMM: o->gemm_opt = optarg; break;
        case OPT_OUT: o->out_dir = optarg; break;
        case OPT_QUIET: o->quiet = 1; break;
        case OPT_TRAIN_CSV:
        case OPT_TEST_CSV:
            if (strlen(optarg) >= sizeof cfg->csv.train || !*optarg) {
                cli_error("--%s: the path is empty or too long", train_option_name(c));
                return EXIT_USAGE;
            }
            snprintf(c == OPT_TRAIN_CSV ? cfg->csv.train : cfg->csv.test, sizeof cfg->csv.train,
                     "%s", optarg);
            break;
        case OPT_SCALE:
            o->scale_opt = optarg;
            if (parse_float("--scale", optarg, 1e-30, 1e30, &cfg->csv.scale))
                return EXIT_USAGE;
            break;
        case OPT_STANDARDIZE: cfg->csv.standardize = true; break;
        case OPT_CHECKPOINT_EVERY:
            if (parse_int("--checkpoint-every", optarg, 1, 1L << 31, &o->checkpoint_every))
                return EXIT_USAGE;
            break;
        case OPT_RESUME: o->resume_dir = optarg; break;
        case OPT_LOG_EVERY:
            if (parse_int("--log-every", optarg, 1, 1L << 30, &o->log_every))
                return EXIT_USAGE;
            break;
        case OPT_NO_FIGURES: o->figures = 0; break;
        case OPT_FIGURE_SCALE:
            if (parse_float("--figure-scale", optarg, 1.0, 4.0, &o->figure_scale))
                return EXIT_USAGE;
            break;
        case OPT_VAL:
            if (parse_int("--val", optarg, 1, 0xffffffffL, &v))
                return EXIT_USAGE;
            cfg->val = (size_t)v;
            break;
        case OPT_DATA_PARALLEL:
            if (!cfg->micro_blocks)
                cfg->micro_blocks = DN_DEFAULT_MICRO_BLOCKS;
            break;
        case OPT_MICRO_BLOCKS:
            if (parse_int("--micro-blocks", optarg, 1, DN_MAX_MICRO_BLOCKS, &v))
                return EXIT_USAGE;
            if (v & (v - 1)) {
                cli_error("--micro-blocks: %ld is not a power of two (1, 2, 4, ..., %d)", v,
                          DN_MAX_MICRO_BLOCKS);
                return EXIT_USAGE;
            }
            cfg->micro_blocks = (int)v;
            break;
        case 'h': o->help = 1; return 0;
        default: return cli_bad_option(argv[0], c, argv);
        }
    }
    if (cli_no_operands(argv[0], argc, argv))
        return EXIT_USAGE;
    if (n_noise >= 0) {
        /* --dropout is --noise's shorthand: both would set one thing twice. */
        if (dropout_set) {
            cli_error("--noise: cannot be combined with --dropout (both set what each hidden "
                      "layer draws; write dropout:P items in --noise)");
            return EXIT_USAGE;
        }
        if (n_noise != cfg->arch.n_hidden) {
            cli_error("--noise has %d item%s but there %s %d hidden layer%s", n_noise,
                      n_noise == 1 ? "" : "s", cfg->arch.n_hidden == 1 ? "is" : "are",
                      cfg->arch.n_hidden, cfg->arch.n_hidden == 1 ? "" : "s");
            return EXIT_USAGE;
        }
        n_drop = n_noise;
        for (int i = 0; i < n_noise; i++) {
            drop[i] = noise[i].p;
            cfg->arch.noise[i] = noise[i].kind;
        }
    }
    if (o->given[OPT_MICRO_BLOCKS - OPT_PRESET] && !o->given[OPT_DATA_PARALLEL - OPT_PRESET]) {
        cli_error("--micro-blocks is for data-parallel training: give --data-parallel with it");
        return EXIT_USAGE;
    }
    if (n_drop != cfg->arch.n_hidden) {
        cli_error("--dropout has %d value%s but there %s %d hidden layer%s%s", n_drop,
                  n_drop == 1 ? "" : "s", cfg->arch.n_hidden == 1 ? "is" : "are",
                  cfg->arch.n_hidden, cfg->arch.n_hidden == 1 ? "" : "s",
                  hidden_set && !dropout_set ? " (give --dropout with one value per layer)"
                                             : "");
        return EXIT_USAGE;
    }
    memcpy(cfg->arch.dropout, drop, sizeof drop);
    /* config.json keeps how the run draws, for resuming it. */
    cfg->no_figures = !o->figures;
    cfg->figure_scale = o->figure_scale;
    return o->resume_dir ? 0 : check_csv_options(cfg, o->data_opt, o->scale_opt);
}

/* ---- a configuration as options ---- */

typedef struct {
    char *buf;
    size_t size, used;
    char **argv;
    int max, n, overflow;
} words_out;

static void word(words_out *w, const char *text)
{
    size_t len = strlen(text) + 1;
    if (w->n >= w->max || w->used + len > w->size) {
        w->overflow = 1;
        return;
    }
    memcpy(w->buf + w->used, text, len);
    w->argv[w->n++] = w->buf + w->used;
    w->used += len;
}

static void pair(words_out *w, const char *opt, const char *value)
{
    word(w, opt);
    word(w, value);
}

int train_options_render(const dn_config *cfg, const char *data_dir, char *buf, size_t size,
                         char **argv, int max)
{
    words_out w = {buf, size, 0, argv, max, 0, 0};
    char v[1200];
    if (cfg->preset[0])
        pair(&w, "--preset", cfg->preset);
    if (cfg->arch.n_hidden == 0) {
        pair(&w, "--hidden", "none");
        pair(&w, "--dropout", "none");
    } else {
        size_t k = 0;
        for (int i = 0; i < cfg->arch.n_hidden; i++)
            k += (size_t)snprintf(v + k, sizeof v - k, "%s%d", i ? "," : "", cfg->arch.hidden[i]);
        pair(&w, "--hidden", v);
        k = 0;
        if (dn_mlp_has_noise(&cfg->arch)) {
            dn_mlp_noise_list(&cfg->arch, v, sizeof v);
            pair(&w, "--noise", v);
        } else {
            for (int i = 0; i < cfg->arch.n_hidden; i++) {
                char f[32];
                dn_float_text(f, sizeof f, cfg->arch.dropout[i]);
                k += (size_t)snprintf(v + k, sizeof v - k, "%s%s", i ? "," : "", f);
            }
            pair(&w, "--dropout", v);
        }
    }
    dn_float_text(v, sizeof v, cfg->arch.input_dropout);
    pair(&w, "--input-dropout", v);
    dn_float_text(v, sizeof v, cfg->fit.lr);
    pair(&w, "--lr", v);
    snprintf(v, sizeof v, "%d", cfg->fit.batch_size);
    pair(&w, "--batch-size", v);
    snprintf(v, sizeof v, "%d", cfg->fit.epochs);
    pair(&w, "--epochs", v);
    dn_float_text(v, sizeof v, cfg->fit.weight_decay);
    pair(&w, "--weight-decay", v);
    dn_init_format(cfg->init, v, sizeof v);
    pair(&w, "--init", v);
    snprintf(v, sizeof v, "%llu", (unsigned long long)cfg->fit.seed);
    pair(&w, "--seed", v);
    if (cfg->val > 0) {
        snprintf(v, sizeof v, "%zu", cfg->val);
        pair(&w, "--val", v);
    }
    if (cfg->csv.train[0]) {
        pair(&w, "--train", cfg->csv.train);
        pair(&w, "--test", cfg->csv.test);
        if (cfg->csv.standardize) {
            word(&w, "--standardize");
        } else {
            dn_float_text(v, sizeof v, cfg->csv.scale);
            pair(&w, "--scale", v);
        }
    } else if (data_dir && data_dir[0]) {
        pair(&w, "--data", data_dir);
    }
    return w.overflow ? -1 : w.n;
}
