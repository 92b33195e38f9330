/* Shared by eval and predict: a model file, its class names, and data
 * prepared the way the model was trained. */
#ifndef DN_CLI_MODEL_INPUT_H
#define DN_CLI_MODEL_INPUT_H

#include "cli.h"

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
/* Scales or standardises ds as the model's metadata says. */
int model_input_prepare(const model_input *m, dn_dataset *ds, dn_err *err);
void model_input_free(model_input *m);
/* The test set for m: the CSV file csv, or else the Fashion-MNIST test set
 * of data_opt's directory (as train finds it), prepared as the model was
 * trained; what: the file or directory it came from. */
int model_input_test_set(const model_input *m, const char *data_opt, const char *csv,
                         dn_dataset *ds, char *what, size_t what_size, dn_err *err);

#endif
