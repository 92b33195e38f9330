/* dropnet eval: a model file on a test set: loss, accuracy, per-class
 * accuracy and the confusion matrix. */
#include "model_input.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: dropnet eval --model FILE [--data DIR | --test FILE.csv] [--threads N]\n"
               "                    [--noise LIST] [--dropconnect-sampling K]\n"
               "\n"
               "Evaluates a model file (model.safetensors of a run, or a PyTorch state dict in\n"
               "safetensors form) on a test set with dropout off: the mean loss, the accuracy,\n"
               "the accuracy of each class and the confusion matrix (rows: true class,\n"
               "columns: predicted class).\n"
               "\n"
               "  --model FILE     the model file\n"
               "  --data DIR       Fashion-MNIST directory (default as for train); its test set\n"
               "  --test FILE.csv  a CSV test set instead (label, then the features)\n"
               "  --threads N      threads (default: all cores)\n"
               "  --noise LIST     the noise of each hidden layer, as train's --noise, for a\n"
               "                   file that does not name it (written by PyTorch)\n"
               "  --dropconnect-sampling K\n"
               "                   also DropConnect's inference by moment matching (Wan et\n"
               "                   al. 2013): each unit after a DropConnect layer a normal\n"
               "                   with the mask's mean and variance, K samples (1 to %d)\n"
               "                   through its ReLU or softmax, averaged (seed 1)\n"
               "  -h, --help       this help\n",
            DN_DC_SAMPLES_MAX);
}

/* Besides --model, --threads and --help (model_command_start). */
static const struct option options[] = {{"data", required_argument, 0, 'd'},
                                        {"test", required_argument, 0, 't'},
                                        {"dropconnect-sampling", required_argument, 0, 's'},
                                        {0, 0, 0, 0}};

typedef struct {
    const char *data_opt, *csv;
    long dc_samples;
} eval_opts;

static int eval_option(void *ctx, int c, const char *arg)
{
    eval_opts *o = ctx;
    if (c == 'd')
        o->data_opt = arg;
    else if (c == 's')
        return parse_int("--dropconnect-sampling", arg, 1, DN_DC_SAMPLES_MAX, &o->dc_samples)
                   ? EXIT_USAGE
                   : 0;
    else
        o->csv = arg;
    return 0;
}

static int eval_check(void *ctx, const char *model)
{
    const eval_opts *o = ctx;
    if (!model) {
        cli_error("eval: --model FILE is required");
        return EXIT_USAGE;
    }
    if (o->data_opt && o->csv) {
        cli_error("eval: --data and --test exclude each other");
        return EXIT_USAGE;
    }
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    eval_opts o = {0};
    model_command mc = {"eval", usage, options, eval_option, eval_check, &o};
    model_input m;
    int done, status = model_command_start(&mc, argc, argv, &m, &done);
    if (done)
        return status;
    dn_err err = {0};
    dn_dataset ds = {0};
    size_t *conf = NULL;
    char what[4200];
    if (model_input_test_set(&m, o.data_opt, o.csv, &ds, what, sizeof what, &err)) {
        status = cli_fail(&err);
        goto out;
    }
    int C = m.classes;
    conf = calloc((size_t)C * (size_t)C, sizeof *conf);
    double loss, acc;
    if (!conf) {
        cli_error("eval: cannot allocate a confusion matrix of %d x %d classes", C, C);
        status = EXIT_RUNTIME;
        goto out;
    }
    if (dn_evaluate_confusion(m.net, &ds, &loss, &acc, conf, &err)) {
        status = cli_fail(&err);
        goto out;
    }
    double dc_loss = 0.0, dc_acc = 0.0;
    if (o.dc_samples &&
        dn_evaluate_dropconnect_sampling(m.net, &ds, (int)o.dc_samples, 1, &dc_loss, &dc_acc,
                                         &err)) {
        status = cli_fail(&err);
        goto out;
    }
    char layers[2048];
    if (dn_net_describe(m.net, layers, sizeof layers, NULL))
        snprintf(layers, sizeof layers, "%d layers", dn_net_num_layers(m.net));
    printf("# model %s | %s\n", m.path, layers);
    printf("# test set %s (%zu example%s)\n", what, ds.n, ds.n == 1 ? "" : "s");
    printf("test loss %.4f  accuracy %.4f  (%zu of %zu correct)\n", loss, acc,
           (size_t)(acc * (double)ds.n + 0.5), ds.n);
    if (o.dc_samples)
        printf("DropConnect sampling (%ld sample%s, seed 1): test loss %.4f  accuracy %.4f  "
               "(%zu of %zu correct)\n", o.dc_samples, o.dc_samples == 1 ? "" : "s", dc_loss,
               dc_acc, (size_t)(dc_acc * (double)ds.n + 0.5), ds.n);
    int namew = 5;
    for (int k = 0; k < C; k++)
        namew = (int)strlen(m.names[k]) > namew ? (int)strlen(m.names[k]) : namew;
    printf("\n%-*s  accuracy  examples\n", namew, "class");
    for (int t = 0; t < C; t++) {
        size_t n = 0;
        for (int p = 0; p < C; p++)
            n += conf[(size_t)t * C + p];
        if (n)
            printf("%-*s  %8.4f  %8zu\n", namew, m.names[t],
                   (double)conf[(size_t)t * C + t] / (double)n, n);
        else
            printf("%-*s  %8s  %8zu\n", namew, m.names[t], "-", n);
    }
    printf("\nconfusion matrix (rows: true class, columns: predicted class)\n%-*s", namew, "");
    for (int p = 0; p < C; p++)
        printf(" %5d", p);
    printf("\n");
    for (int t = 0; t < C; t++) {
        printf("%-*s", namew, m.names[t]);
        for (int p = 0; p < C; p++)
            printf(" %5zu", conf[(size_t)t * C + p]);
        printf("\n");
    }
out:
    free(conf);
    dn_dataset_free(&ds);
    model_input_free(&m);
    return status;
}
