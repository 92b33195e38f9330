/* dropnet eval: a model file on a test set: loss, accuracy, calibration,
 * per-class accuracy and the confusion matrix; with --mc-samples, Monte
 * Carlo dropout beside it; with --json, all of it as one JSON object. */
#include "model_input.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Passes at most: each is an evaluation of the test set (under a second for
 * the d2l model on 10,000 images), so 10,000 take hours already. */
#define MC_MAX 10000

static void usage(FILE *f)
{
    fprintf(f, "usage: dropnet eval --model FILE [--data DIR | --test FILE.csv] [--threads N]\n"
               "                    [--noise LIST] [--dropconnect-sampling K]\n"
               "                    [--mc-samples K [--seed S] [--figures DIR\n"
               "                    [--figure-scale S]]] [--json]\n"
               "\n"
               "Evaluates a model file (model.safetensors of a run, or a PyTorch state dict in\n"
               "safetensors form) on a test set with dropout off: the mean loss, the accuracy,\n"
               "the expected calibration error (ECE, 15 equal-width bins of the largest\n"
               "probability), the accuracy of each class and the confusion matrix (rows: true\n"
               "class, columns: predicted class).\n"
               "\n"
               "  --model FILE      the model file\n"
               "  --data DIR        Fashion-MNIST directory (default as for train); its test set\n"
               "  --test FILE.csv   a CSV test set instead (label, then the features)\n"
               "  --threads N       threads (default: all cores)\n"
               "  --noise LIST      the noise of each hidden layer, as train's --noise, for a\n"
               "                    file that does not name it (written by PyTorch)\n"
               "  --dropconnect-sampling K\n"
               "                    also DropConnect's inference by moment matching (Wan et\n"
               "                    al. 2013): each unit after a DropConnect layer a normal\n"
               "                    with the mask's mean and variance, K samples (1 to %d)\n"
               "                    through its ReLU or softmax, averaged (seed 1)\n"
               "  --mc-samples K    Monte Carlo dropout: also K passes (1 to %d) with the\n"
               "                    model's training noise on, their softmax averaged: loss,\n"
               "                    accuracy and ECE of one pass and of the average, the mean\n"
               "                    predictive entropy and the AUROC of that entropy for errors\n"
               "  --seed S          the passes' masks (default 1); the same S, the same numbers\n"
               "  --figures DIR     with --mc-samples: DIR/mc-samples.png and .svg (accuracy and\n"
               "                    ECE against the passes averaged) and DIR/reliability.png and\n"
               "                    .svg (deterministic against the average)\n"
               "  --figure-scale S  with --figures: their size and text times S (1 to 4,\n"
               "                    default 1), as train's\n"
               "  --json            print one JSON object instead of the text\n"
               "  -h, --help        this help\n",
            DN_DC_SAMPLES_MAX, MC_MAX);
}

/* Besides --model, --threads and --help (model_command_start). */
enum { OPT_MC = 1000, OPT_SEED, OPT_FIGURES, OPT_JSON, OPT_SCALE };
static const struct option options[] = {{"data", required_argument, 0, 'd'},
                                        {"test", required_argument, 0, 't'},
                                        {"dropconnect-sampling", required_argument, 0, 's'},
                                        {"mc-samples", required_argument, 0, OPT_MC},
                                        {"seed", required_argument, 0, OPT_SEED},
                                        {"figures", required_argument, 0, OPT_FIGURES},
                                        {"json", no_argument, 0, OPT_JSON},
                                        {"figure-scale", required_argument, 0, OPT_SCALE},
                                        {0, 0, 0, 0}};

typedef struct {
    const char *data_opt, *csv, *figures;
    long samples, dc_samples;
    unsigned long long seed;
    bool seed_given, json;
    float scale;
    bool scale_given;
    option_seen seen;
} eval_opts;

static int eval_option(void *ctx, int c, const char *arg)
{
    eval_opts *o = ctx;
    static const char *const names[] = {"mc-samples", "seed", "figures", "json",
                                        "figure-scale"};
    if (c >= OPT_MC && option_once(&o->seen, "eval", names[c - OPT_MC]))
        return EXIT_USAGE;
    switch (c) {
    case 'd': o->data_opt = arg; break;
    case 't': o->csv = arg; break;
    case 's':
        return parse_int("--dropconnect-sampling", arg, 1, DN_DC_SAMPLES_MAX, &o->dc_samples)
                   ? EXIT_USAGE
                   : 0;
    case OPT_MC: return parse_int("--mc-samples", arg, 1, MC_MAX, &o->samples);
    case OPT_SEED:
        if (parse_u64("--seed", arg, &o->seed))
            return EXIT_USAGE;
        if (o->seed > DN_MAX_SEED) {
            cli_error("--seed: %s is above 2^53 - 1", arg);
            return EXIT_USAGE;
        }
        o->seed_given = true;
        break;
    case OPT_FIGURES:
        if (!*arg) {
            cli_error("--figures: empty directory name");
            return EXIT_USAGE;
        }
        o->figures = arg;
        break;
    case OPT_JSON: o->json = true; break;
    case OPT_SCALE:
        if (parse_float("--figure-scale", arg, 1.0, 4.0, &o->scale))
            return EXIT_USAGE;
        o->scale_given = true;
        break;
    }
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
    if (!o->samples && (o->seed_given || o->figures)) {
        cli_error("eval: %s needs --mc-samples K (it belongs to Monte Carlo dropout)",
                  o->seed_given ? "--seed" : "--figures");
        return EXIT_USAGE;
    }
    if (o->scale_given && !o->figures) {
        cli_error("eval: --figure-scale needs --figures DIR (it sizes those figures)");
        return EXIT_USAGE;
    }
    return 0;
}

/* The noise Monte Carlo passes keep on (the file's, or --noise's): 0 when
 * there is some, else an exit status after a message (no metadata) or 0
 * after a warning (none to keep on). */
static int check_noise(const model_input *m)
{
    if (!m->info.dropout_known) {
        cli_error("%s: no noise metadata (\"layers\" names no Dropout probabilities, as in a "
                  "file written by PyTorch): Monte Carlo dropout needs the training noise "
                  "(name it with --noise LIST)", m->path);
        return EXIT_USAGE;
    }
    int any = 0;
    for (int i = 0; i < dn_net_num_layers(m->net); i++) {
        dn_layer_info li;
        if (!dn_net_layer(m->net, i, &li, NULL) && li.kind == DN_LAYER_DROPOUT && li.p > 0.0f)
            any = 1;
    }
    if (!any)
        cli_error("warning: %s was trained without noise (every noise parameter is 0): each "
                  "Monte Carlo pass equals the deterministic one", m->path);
    return 0;
}

/* Where the curve against k is recorded: 1..10, 12, 15, 20, 25, 30, 40,
 * ..., 80, 100, 120, ... below K, and K (at most 45 points up to MC_MAX). */
static void mc_grid(dn_mc_opts *o)
{
    static const int nice[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 50, 60,
                               70, 80};
    o->n_grid = 0;
    for (long scale = 1; scale <= MC_MAX; scale *= 10)
        for (int i = scale == 1 ? 0 : 9; i < 20; i++) {
            long k = nice[i] * scale;
            if (k >= o->samples || o->n_grid == DN_MC_GRID_MAX - 1)
                goto last;
            o->grid[o->n_grid++] = (int)k;
        }
last:
    o->grid[o->n_grid++] = o->samples;
}

static cJSON *summary_json(const dn_eval_summary *s)
{
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cli_json_number(o, "loss", s->loss);
        cli_json_number(o, "accuracy", s->accuracy);
        cli_json_number(o, "ece", s->ece);
    }
    return o;
}

/* dc_samples > 0: DropConnect sampling's loss and accuracy in dc. */
static int print_json(const model_input *m, const char *what, const dn_dataset *ds,
                      const dn_eval_summary *det, const size_t *conf, const dn_mc_result *mc,
                      long dc_samples, const dn_eval_summary *dc)
{
    int C = m->classes;
    cJSON *j = cJSON_CreateObject();
    if (!j)
        goto oom;
    cJSON_AddStringToObject(j, "model", m->path);
    cJSON_AddStringToObject(j, "test_set", what);
    cJSON_AddNumberToObject(j, "examples", (double)ds->n);
    cli_json_number(j, "loss", det->loss);
    cli_json_number(j, "accuracy", det->accuracy);
    cli_json_number(j, "ece", det->ece);
    cJSON_AddNumberToObject(j, "ece_bins", DN_CAL_BINS);
    if (dc_samples) {
        cJSON *o = cJSON_AddObjectToObject(j, "dropconnect_sampling");
        if (!o)
            goto oom;
        cJSON_AddNumberToObject(o, "samples", (double)dc_samples);
        cli_json_number(o, "loss", dc->loss);
        cli_json_number(o, "accuracy", dc->accuracy);
    }
    cJSON *pc = cJSON_AddArrayToObject(j, "per_class");
    cJSON *cm = cJSON_AddArrayToObject(j, "confusion");
    if (!pc || !cm)
        goto oom;
    for (int t = 0; t < C; t++) {
        size_t n = 0;
        for (int p = 0; p < C; p++)
            n += conf[(size_t)t * C + p];
        cJSON *o = cJSON_CreateObject();
        cJSON *row = cJSON_CreateArray();
        if (!o || !cJSON_AddItemToArray(pc, o) || !row || !cJSON_AddItemToArray(cm, row)) {
            cJSON_Delete(o);
            cJSON_Delete(row);
            goto oom;
        }
        cJSON_AddStringToObject(o, "class", m->names[t]);
        cJSON_AddNumberToObject(o, "index", t);
        cli_json_number(o, "accuracy", n ? (double)conf[(size_t)t * C + t] / (double)n : NAN);
        cJSON_AddNumberToObject(o, "examples", (double)n);
        for (int p = 0; p < C; p++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)conf[(size_t)t * C + p]));
    }
    if (mc) {
        cJSON *o = cJSON_AddObjectToObject(j, "mc");
        if (!o)
            goto oom;
        cJSON_AddNumberToObject(o, "samples", mc->samples);
        cJSON_AddNumberToObject(o, "seed", (double)mc->seed);
        cJSON_AddItemToObject(o, "single", summary_json(&mc->single));
        cJSON_AddItemToObject(o, "average", summary_json(&mc->average));
        cli_json_number(o, "entropy_mean", mc->entropy_mean);
        cli_json_number(o, "auroc_error", mc->auroc_error);
        cJSON *curve = cJSON_AddArrayToObject(o, "curve");
        for (int g = 0; curve && g < mc->n_grid; g++) {
            cJSON *pt = summary_json(&mc->curve[g]);
            if (!pt || !cJSON_AddItemToArray(curve, pt)) {
                cJSON_Delete(pt);
                goto oom;
            }
            cJSON_AddNumberToObject(pt, "samples", mc->grid[g]);
        }
    }
    return cli_print_json(j, "eval");
oom:
    cJSON_Delete(j);
    return cli_print_json(NULL, "eval");
}

static void print_text(const model_input *m, const char *what, const dn_dataset *ds,
                       const dn_eval_summary *det, const size_t *conf, const dn_mc_result *mc,
                       long dc_samples, const dn_eval_summary *dc)
{
    int C = m->classes;
    char layers[2048];
    if (dn_net_describe(m->net, layers, sizeof layers, NULL))
        snprintf(layers, sizeof layers, "%d layers", dn_net_num_layers(m->net));
    printf("# model %s | %s\n", m->path, layers);
    printf("# test set %s (%zu example%s)\n", what, ds->n, ds->n == 1 ? "" : "s");
    printf("test loss %.4f  accuracy %.4f  (%zu of %zu correct)\n", det->loss, det->accuracy,
           (size_t)(det->accuracy * (double)ds->n + 0.5), ds->n);
    if (dc_samples)
        printf("DropConnect sampling (%ld sample%s, seed 1): test loss %.4f  accuracy %.4f  "
               "(%zu of %zu correct)\n", dc_samples, dc_samples == 1 ? "" : "s", dc->loss,
               dc->accuracy, (size_t)(dc->accuracy * (double)ds->n + 0.5), ds->n);
    printf("calibration error (ECE, %d bins) %.4f\n", DN_CAL_BINS, det->ece);
    if (mc) {
        printf("\nMonte Carlo dropout: %d pass%s with the training noise on, seed %llu\n",
               mc->samples, mc->samples == 1 ? "" : "es", (unsigned long long)mc->seed);
        printf("%-22s  %8s  %8s  %8s\n", "", "loss", "accuracy", "ECE");
        const dn_eval_summary *rows[3] = {det, &mc->single, &mc->average};
        char avg[40];
        snprintf(avg, sizeof avg, "average of %d", mc->samples);
        const char *names[3] = {"deterministic", "one stochastic pass", avg};
        for (int i = 0; i < 3; i++)
            printf("%-22s  %8.4f  %8.4f  %8.4f\n", names[i], rows[i]->loss, rows[i]->accuracy,
                   rows[i]->ece);
        printf("predictive entropy (mean) %.4f nats; AUROC of the entropy for errors %.4f\n",
               mc->entropy_mean, mc->auroc_error);
    }
    int namew = 5;
    for (int k = 0; k < C; k++)
        namew = (int)strlen(m->names[k]) > namew ? (int)strlen(m->names[k]) : namew;
    printf("\n%-*s  accuracy  examples\n", namew, "class");
    for (int t = 0; t < C; t++) {
        size_t n = 0;
        for (int p = 0; p < C; p++)
            n += conf[(size_t)t * C + p];
        if (n)
            printf("%-*s  %8.4f  %8zu\n", namew, m->names[t],
                   (double)conf[(size_t)t * C + t] / (double)n, n);
        else
            printf("%-*s  %8s  %8zu\n", namew, m->names[t], "-", n);
    }
    printf("\nconfusion matrix (rows: true class, columns: predicted class)\n%-*s", namew, "");
    for (int p = 0; p < C; p++)
        printf(" %5d", p);
    printf("\n");
    for (int t = 0; t < C; t++) {
        printf("%-*s", namew, m->names[t]);
        for (int p = 0; p < C; p++)
            printf(" %5zu", conf[(size_t)t * C + p]);
        printf("\n");
    }
}

/* The two figures of --figures DIR, each as PNG and SVG. */
static int draw_figures(const char *dir, const dn_eval_summary *det,
                        const dn_reliability *det_rel, const dn_mc_result *mc, double scale)
{
    dn_err err = {0};
    static const char *const ext[2] = {"png", "svg"};
    for (int e = 0; e < 2; e++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/mc-samples.%s", dir, ext[e]);
        if (dn_plot_mc_samples(path, det, mc, scale, &err))
            return cli_fail(&err);
        snprintf(path, sizeof path, "%s/reliability.%s", dir, ext[e]);
        if (dn_plot_reliability(path, det_rel, &mc->reliability, mc->samples, scale, &err))
            return cli_fail(&err);
    }
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    eval_opts o = {0};
    o.seed = 1;
    o.scale = 1.0f;
    model_command mcmd = {"eval", usage, options, eval_option, eval_check, &o};
    model_input m;
    int done, status = model_command_start(&mcmd, argc, argv, &m, &done);
    if (done)
        return status;
    dn_err err = {0};
    dn_dataset ds = {0};
    size_t *conf = NULL;
    dn_mc_result *mc = NULL;
    dn_reliability *rel = NULL;
    char what[4200];
    if (o.samples && (status = check_noise(&m)))
        goto out;
    /* the figures' directory before the passes, which may take long */
    if (o.figures && (dn_plot_available(&err) || dn_mkdir_p(o.figures, &err))) {
        status = cli_fail(&err);
        goto out;
    }
    if (model_input_test_set(&m, o.data_opt, o.csv, &ds, what, sizeof what, &err)) {
        status = cli_fail(&err);
        goto out;
    }
    int C = m.classes;
    conf = calloc((size_t)C * (size_t)C, sizeof *conf);
    rel = calloc(1, sizeof *rel);
    if (!conf || !rel) {
        cli_error("eval: cannot allocate a confusion matrix of %d x %d classes", C, C);
        status = EXIT_RUNTIME;
        goto out;
    }
    dn_eval_summary det;
    if (dn_evaluate_calibration(m.net, &ds, DN_CAL_BINS, &det, rel, conf, &err)) {
        status = cli_fail(&err);
        goto out;
    }
    dn_eval_summary dc = {0};
    if (o.dc_samples &&
        dn_evaluate_dropconnect_sampling(m.net, &ds, (int)o.dc_samples, 1, &dc.loss,
                                         &dc.accuracy, &err)) {
        status = cli_fail(&err);
        goto out;
    }
    if (o.samples) {
        dn_mc_opts mo = {.samples = (int)o.samples, .seed = o.seed, .bins = DN_CAL_BINS};
        mc_grid(&mo);
        mc = calloc(1, sizeof *mc);
        if (!mc) {
            cli_error("eval: out of memory");
            status = EXIT_RUNTIME;
            goto out;
        }
        if (dn_mc_evaluate(m.net, &ds, &mo, mc, NULL, &err)) {
            status = cli_fail(&err);
            goto out;
        }
    }
    if (o.json)
        status = print_json(&m, what, &ds, &det, conf, mc, o.dc_samples, &dc);
    else
        print_text(&m, what, &ds, &det, conf, mc, o.dc_samples, &dc);
    if (!status && o.figures)
        status = draw_figures(o.figures, &det, rel, mc, o.scale);
out:
    free(conf);
    free(mc);
    free(rel);
    dn_dataset_free(&ds);
    model_input_free(&m);
    return status;
}
