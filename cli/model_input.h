/* Shared by eval and predict: a model file, its class names, and data
 * prepared the way the model was trained. */
#ifndef DN_CLI_MODEL_INPUT_H
#define DN_CLI_MODEL_INPUT_H

#include "cli.h"

#include <getopt.h>
#include <stdio.h>

#define MODEL_MAX_BATCH 1024

typedef struct {
    const char *path; /* the model file, as given */
    dn_net *net;
    dn_model_info info;
    int classes;
    char **names; /* classes entries: the model's class names, or "0", "1", ... */
    char *name_mem;
} model_input;

int model_input_load(model_input *m, const char *path, dn_err *err);
/* --noise LIST for a model whose file does not name its noise (PyTorch's):
 * the noise set at its hidden layers' sites; for a file that names it, the
 * same list is accepted and another one refused. */
int model_input_noise(model_input *m, const char *list, dn_err *err);
/* Scales or standardises ds as the model's metadata says. */
int model_input_prepare(const model_input *m, dn_dataset *ds, dn_err *err);
void model_input_free(model_input *m);
/* The test set for m: the CSV file csv, or else the Fashion-MNIST test set
 * of data_opt's directory (as train finds it), prepared as the model was
 * trained; what: the file or directory it came from. */
int model_input_test_set(const model_input *m, const char *data_opt, const char *csv,
                         dn_dataset *ds, char *what, size_t what_size, dn_err *err);

/* What eval and predict share: the options --model FILE, --threads N,
 * --noise LIST and -h/--help beside the command's own, no operands, then the threads set and
 * the model loaded. */
typedef struct {
    const char *cmd;                 /* "eval", "predict": for messages */
    void (*usage)(FILE *f);
    const struct option *options;    /* the command's own, ended by {0}; their
                                      * values must not be 'm', 'j' or 'h' */
    /* One of the command's own options: 0, or an exit status after a
     * one-line message. */
    int (*option)(void *ctx, int c, const char *arg);
    /* After parsing, with --model's value (NULL when not given): 0, or an
     * exit status after a one-line message (a required option missing). */
    int (*check)(void *ctx, const char *model);
    void *ctx;
} model_command;

/* Parses argv and loads the model into m. Returns an exit status: 0 with
 * *done clear when the command goes on (m loaded; model_input_free it),
 * otherwise the status to end with and *done set (0 after --help). */
int model_command_start(const model_command *mc, int argc, char **argv, model_input *m,
                        int *done);

#endif
