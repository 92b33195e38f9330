/* The options of `dropnet train`, parsed and checked without reading or
 * writing anything (apart from making CSV paths absolute): what cmd_train
 * needs to start, and what the option fuzz target exercises. */
#ifndef DN_CLI_TRAIN_ARGS_H
#define DN_CLI_TRAIN_ARGS_H

#include "cli.h"

typedef struct {
    dn_run_config cfg;      /* the preset with the options applied */
    const char *data_opt;   /* --data, or NULL */
    const char *out_dir;    /* --out, or NULL */
    const char *resume_dir; /* --resume, or NULL (its config.json is read later) */
    long checkpoint_every, log_every;
    int figures, quiet;
    float figure_scale;
    int help; /* --help was given (and printed) */
} train_args;

/* 0 when the options are good (or --help was printed); otherwise the exit
 * status, with the one-line message printed. */
int train_parse_args(int argc, char **argv, train_args *a);

#endif
