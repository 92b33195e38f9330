/* dropnet compare: its options, and the configuration of each side. */
#include "compare.h"
#include "train_options.h"
#include "words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dropnet compare --a \"OPTIONS\" --b \"OPTIONS\" [options] [TRAIN OPTIONS]\n"
            "\n"
            "Trains configurations A and B on the same seeds and tells whether B differs\n"
            "from A by more than the luck of the seed. With one seed, A and B start from the\n"
            "same weights (where shapes match), see the data in the same order and draw their\n"
            "dropout masks from the same uniforms: the paired difference B - A measures the\n"
            "configuration, not the luck of the seed. Prints, for the final test accuracy,\n"
            "test loss, training accuracy and the gap, the mean and 95 %% interval of A and\n"
            "of B, the paired difference with its interval (Student t), the paired t-test\n"
            "and exact Wilcoxon signed-rank p-values, the seed-to-seed sds and the effect\n"
            "size dz, the seeds needed for 80 %% power, and a verdict; writes report.md,\n"
            "compare.csv and figures.\n"
            "\n"
            "  --a OPTIONS, --b OPTIONS  dropnet train options of A and of B, one string each,\n"
            "                       split into words like a shell would (quotes allowed,\n"
            "                       no expansions), e.g. --a \"--dropout 0.2,0.5\"\n"
            "  TRAIN OPTIONS        train options given outside --a/--b apply to both (before\n"
            "                       theirs), e.g. --epochs 5 or --data DIR\n"
            "  --seeds N            seeds per configuration (default 10; below 5 the interval\n"
            "                       is very wide, below 3 there is no verdict)\n"
            "  --seed S             the first seed (default 1): seeds S, S+1, ..., S+N-1\n"
            "  --margin D           also test equivalence of test accuracy within +-D points\n"
            "                       (two one-sided tests)\n"
            "  --detect D           seeds needed to detect D points of test accuracy with 80 %%\n"
            "                       power (default: the observed difference)\n"
            "  --unpaired           B trains on other seeds than A (seed + 2^32): shows how\n"
            "                       much wider the interval is without pairing; with paired\n"
            "                       runs already in the directory, the report gives both\n"
            "  --jobs N             trainings side by side (default: one per core; under\n"
            "                       mpirun -np N: on each rank, default 1; see dropnet(1))\n"
            "  --threads N          threads of each training (default: cores / jobs, at least 1)\n"
            "  --out DIR            experiment directory (default experiments/compare-<date-time>);\n"
            "                       run the same command with the same DIR to go on after an\n"
            "                       interruption: finished trainings are kept, interrupted ones\n"
            "                       resume from their checkpoints\n"
            "  --no-figures         no curves.png/.svg, paired.png/.svg\n"
            "  --figure-scale S     figures at S times 640x480 pixels, 1 to 4\n"
            "  --quiet              no progress line\n"
            "  -h, --help           this help\n"
            "\n"
            "usage: dropnet compare --model-a A.safetensors --model-b B.safetensors\n"
            "                       [--data DIR | --test FILE.csv] [--resamples N] [--json]\n"
            "\n"
            "Two trained models on one test set: the examples each gets right alone, the\n"
            "exact McNemar test on them, and a bootstrap interval over the test examples\n"
            "for the accuracy difference B - A (seeded; 10,000 resamples unless\n"
            "--resamples says otherwise). dropnet compare --model-a x --help for more.\n");
}

/* Compare's own options; anything else that train knows is shared by A and B. */
int compare_parse(int argc, char **argv, compare_opts *o)
{
    memset(o, 0, sizeof *o);
    option_seen seen = {0};
    experiment_opts_init(&o->x, 10, COMPARE_MAX_SEEDS);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            o->help = 1;
            return 0;
        }
        if (experiment_opts_flag(&o->x, arg))
            continue;
        if (strcmp(arg, "--unpaired") == 0) {
            if (option_once(&seen, "compare", "unpaired"))
                return EXIT_USAGE;
            o->unpaired = 1;
            continue;
        }
        /* --name VALUE or --name=VALUE of compare's own options */
        char name[64] = "";
        if (strncmp(arg, "--", 2) == 0)
            snprintf(name, sizeof name, "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
        int side = strcmp(name, "a") == 0 || strcmp(name, "b") == 0;
        int stat = strcmp(name, "margin") == 0 || strcmp(name, "detect") == 0;
        if (side || stat || experiment_opts_takes(name)) {
            if (option_once(&seen, "compare", name))
                return EXIT_USAGE;
            const char *value = cli_option_value("compare", argc, argv, &i);
            if (!value)
                return EXIT_USAGE;
            if (side) {
                *(name[0] == 'a' ? &o->a : &o->b) = value;
            } else if (stat) {
                float v;
                if (parse_float(name[0] == 'm' ? "--margin" : "--detect", value, 1e-6, 100, &v))
                    return EXIT_USAGE;
                *(name[0] == 'm' ? &o->margin : &o->detect) = v;
            } else if (experiment_opts_set(&o->x, name, value)) {
                return EXIT_USAGE;
            }
            continue;
        }
        /* anything else train knows applies to both A and B */
        int arity = train_option_arity(arg);
        if (arity < 0) {
            cli_error("compare: %s '%s' (try dropnet compare --help)",
                      arg[0] == '-' ? "unknown option" : "unexpected argument", arg);
            return EXIT_USAGE;
        }
        if (name[0] && option_once(&seen, "compare", name))
            return EXIT_USAGE;
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
                                          "data-parallel", "micro-blocks",
                                          "no-figures", "figure-scale", "checkpoint-every",
                                          "log-every", "gemm"};

int compare_side_config(const compare_opts *o, const char *side, const char *text,
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
            else if (strcmp(not_allowed[k], "gemm") == 0)
                cli_error("--gemm is not a training setting compare can vary (DN_GEMM=NAME "
                          "chooses the backend of every training)");
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

