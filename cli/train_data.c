/* realpath is XSI, beyond the POSIX base the build asks for. */
#define _XOPEN_SOURCE 700

/* The data of a training run: Fashion-MNIST or CSV files, prepared as the
 * model will take them, and the model info that records how. */
#include "train_data.h"


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void make_absolute(char *path, size_t size)
{
    char *abs = realpath(path, NULL);
    if (abs && strlen(abs) < size)
        snprintf(path, size, "%s", abs);
    free(abs);
}

void fmnist_model_info(dn_model_info *info)
{
    memset(info, 0, sizeof *info);
    info->input_scale = 255.0f;
    info->input_rows = 28;
    info->input_cols = 28;
    info->dropout_known = true;
    info->input_known = true;
    size_t k = 0;
    for (int c = 0; c < 10; c++)
        k += (size_t)snprintf(info->classes + k, sizeof info->classes - k, "%s%s", c ? "," : "",
                              dn_fmnist_classes[c]);
}

void train_data_warnings(const dn_config *cfg, const dn_dataset *train)
{
    char layers[128] = "";
    int n = 0;
    for (int i = 0; i < cfg->arch.n_hidden; i++)
        if (cfg->arch.noise[i] == DN_NOISE_DROPOUT && cfg->arch.dropout[i] >= 1.0f) {
            size_t k = strlen(layers);
            snprintf(layers + k, sizeof layers - k, "%s%d", n++ ? "," : "", i + 1);
        }
    if (cfg->arch.input_dropout >= 1.0f)
        cli_error("warning: --input-dropout 1 drops every input: the network sees zeros and can "
                  "learn nothing from the data");
    else if (n)
        cli_error("warning: dropout 1 on hidden layer%s %s drops every unit: later layers "
                  "see zeros, so the output is the last layer's bias whatever the input",
                  n == 1 ? "" : "s", layers);
    int seen[DN_MAX_CLASSES] = {0}, classes = 0, only = 0;
    for (size_t i = 0; i < train->n; i++)
        if (!seen[train->labels[i]]++) {
            classes++;
            only = train->labels[i];
        }
    if (classes == 1)
        cli_error("warning: the training data holds one class only (label %d): there is nothing "
                  "to tell apart, and every prediction will be that class", only);
}

/* With --val, the validation set is split off the training data (the rest
 * replaces it), before any statistics are taken from it. */
static int split_val(const dn_config *cfg, dn_dataset *train, dn_dataset *val, dn_err *err)
{
    if (!cfg->val)
        return DN_OK;
    dn_dataset all = *train, rest;
    if (cfg->val >= all.n)
        return dn_fail(err, DN_EINVAL, "--val: %zu examples leave none to train on (the training "
                       "data has %zu)", cfg->val, all.n);
    int rc = dn_dataset_split(&all, cfg->val, cfg->fit.seed, &rest, val, err);
    if (rc)
        return rc;
    dn_dataset_free(&all);
    *train = rest;
    return DN_OK;
}

int load_run_data(dn_config *cfg, const char *data_dir, dn_dataset *train, dn_dataset *val,
                  dn_dataset *test, dn_model_info *info, dn_err *err)
{
    memset(train, 0, sizeof *train);
    memset(val, 0, sizeof *val);
    memset(test, 0, sizeof *test);
    memset(info, 0, sizeof *info);
    int rc;
    if (!cfg->csv.train[0]) {
        fmnist_model_info(info);
        rc = dn_fmnist_load(data_dir, train, test, err);
        if (!rc && (rc = split_val(cfg, train, val, err))) {
            dn_dataset_free(train);
            dn_dataset_free(test);
        }
        return rc;
    }
    rc = dn_csv_load(train, cfg->csv.train, 0, 0, err);
    if (!rc)
        rc = dn_csv_load(test, cfg->csv.test, train->cols, train->classes, err);
    if (!rc)
        rc = split_val(cfg, train, val, err);
    if (rc)
        goto fail;
    info->dropout_known = true;
    info->input_known = true;
    info->input_scale = cfg->csv.standardize ? 1.0f : cfg->csv.scale;
    if (cfg->csv.standardize) {
        /* Statistics of the training set only: the test set must not leak
         * into what the model is given. */
        size_t w = (size_t)train->cols;
        info->input_mean = malloc(w * sizeof(float));
        info->input_std = malloc(w * sizeof(float));
        if (!info->input_mean || !info->input_std) {
            rc = dn_fail(err, DN_ENOMEM, "cannot allocate feature statistics");
            goto fail;
        }
        if ((rc = dn_feature_stats(train, info->input_mean, info->input_std, err)))
            goto fail;
    }
    if ((rc = dn_dataset_prepare(train, info->input_scale, info->input_mean, info->input_std,
                                 err)) ||
        (val->n && (rc = dn_dataset_prepare(val, info->input_scale, info->input_mean,
                                             info->input_std, err))) ||
        (rc = dn_dataset_prepare(test, info->input_scale, info->input_mean, info->input_std,
                                 err)))
        goto fail;
    cfg->arch.inputs = train->cols;
    cfg->arch.outputs = train->classes;
    return DN_OK;
fail:
    dn_dataset_free(train);
    dn_dataset_free(val);
    dn_dataset_free(test);
    dn_model_info_free(info);
    return rc;
}
