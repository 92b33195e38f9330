/* The options of `dropnet train`, parsed into a run configuration; shared by
 * train and by compare and sweep, whose configurations are train options
 * too. */
#ifndef DN_CLI_TRAIN_OPTIONS_H
#define DN_CLI_TRAIN_OPTIONS_H

#include "cli.h"

enum {
    OPT_PRESET = 256,
    OPT_HIDDEN,
    OPT_DROPOUT,
    OPT_INPUT_DROPOUT,
    OPT_LR,
    OPT_BATCH,
    OPT_EPOCHS,
    OPT_WD,
    OPT_INIT,
    OPT_SEED,
    OPT_THREADS,
    OPT_DATA,
    OPT_OUT,
    OPT_QUIET,
    OPT_TRAIN_CSV,
    OPT_TEST_CSV,
    OPT_SCALE,
    OPT_STANDARDIZE,
    OPT_CHECKPOINT_EVERY,
    OPT_RESUME,
    OPT_LOG_EVERY,
    OPT_NO_FIGURES,
    OPT_FIGURE_SCALE,
    OPT_GEMM,
    OPT_VAL,
    OPT_NOISE,
    OPT_DATA_PARALLEL,
    OPT_MICRO_BLOCKS,
    OPT_END
};

/* --data-parallel without --micro-blocks: enough for 8 ranks, at a cost on
 * one process the README states. */
#define DN_DEFAULT_MICRO_BLOCKS 8

typedef struct {
    dn_config cfg;
    const char *data_opt, *out_dir, *resume_dir, *scale_opt;
    const char *gemm_opt; /* --gemm NAME, or NULL */
    long checkpoint_every, log_every;
    int figures;
    float figure_scale;
    int quiet;
    int help;                       /* -h/--help was given */
    unsigned char given[OPT_END - OPT_PRESET]; /* which options appeared */
} train_options;

/* Parses train options; argv[0] names the command in messages (may be
 * ""). The preset applies first wherever it appears, explicit options
 * override it. Checks
 * the dropout list against the hidden layers and (without --resume) the CSV
 * options; CSV paths become absolute. Returns 0, or EXIT_USAGE after a
 * one-line error. */
int train_options_parse(int argc, char **argv, train_options *o);
/* Whether option NAME (without dashes) was given. */
int train_options_given(const train_options *o, const char *name);
/* The name of option val, e.g. "dropout". */
const char *train_option_name(int val);
/* 1 when --NAME is a train option that takes a value, 0 when it takes
 * none, -1 when it is not a train option. NAME may carry "=VALUE". */
int train_option_arity(const char *arg);

/* The train options that define cfg exactly (every setting written out, so
 * the preset's defaults do not matter): words into argv (at most max),
 * their text in buf. data_dir: --data for Fashion-MNIST (NULL: none).
 * Returns the count, or -1 when they do not fit. */
int train_options_render(const dn_config *cfg, const char *data_dir, char *buf, size_t size,
                         char **argv, int max);

#endif
