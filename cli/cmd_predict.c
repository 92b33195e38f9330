/* dropnet predict: a model file's class and probability for images. */
#include "model_input.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: dropnet predict --model FILE --images FILE.idx[.gz] [--index I[,I...]]\n"
               "                       [--top K] [--logits] [--threads N]\n"
               "\n"
               "Prints, for each image, the predicted class and its probability (softmax of\n"
               "the logits, dropout off).\n"
               "\n"
               "  --model FILE     the model file\n"
               "  --images FILE    IDX images (plain or gzip), e.g. t10k-images-idx3-ubyte.gz\n"
               "  --index LIST     only these images (0-based, comma-separated, up to 64 per\n"
               "                   --index; repeat it for more; default: all)\n"
               "  --top K          the K most probable classes (default 1; at most the\n"
               "                   model's classes)\n"
               "  --logits         the raw logits instead, one column per class, headed by\n"
               "                   its name (not with --top)\n"
               "  --threads N      threads (default: all cores)\n"
               "  --noise LIST     the noise of each hidden layer, as train's --noise, for a\n"
               "                   file that does not name it (predictions are made with\n"
               "                   every noise off; it is checked and recorded)\n"
               "  -h, --help       this help\n");
}

/* Besides --model, --threads and --help (model_command_start). */
static const struct option options[] = {{"images", required_argument, 0, 'i'},
                                        {"index", required_argument, 0, 'x'},
                                        {"top", required_argument, 0, 'k'},
                                        {"logits", no_argument, 0, 'l'},
                                        {0, 0, 0, 0}};

#define MAX_INDICES 4096

/* "1st", "2nd", "3rd", "4th", ..., "11th", "12th", "13th", "21st", ... */
static const char *ordinal(int k, char *buf, size_t size)
{
    const char *suffix = "th";
    if (k % 100 < 11 || k % 100 > 13)
        suffix = k % 10 == 1 ? "st" : k % 10 == 2 ? "nd" : k % 10 == 3 ? "rd" : "th";
    snprintf(buf, size, "%d%s", k, suffix);
    return buf;
}

typedef struct {
    const char *images;
    long top;
    int logits_only, top_given;
    uint32_t want[MAX_INDICES];
    int n_want;
} predict_opts;

static int predict_option(void *ctx, int c, const char *arg)
{
    predict_opts *o = ctx;
    switch (c) {
    case 'i': o->images = arg; break;
    case 'x': {
        int tmp[64];
        int n = parse_int_list("--index", arg, 0, 0x7fffffff, tmp, 64);
        if (n < 0)
            return EXIT_USAGE;
        if (o->n_want + n > MAX_INDICES) {
            cli_error("--index: more than %d images", MAX_INDICES);
            return EXIT_USAGE;
        }
        for (int i = 0; i < n; i++)
            o->want[o->n_want++] = (uint32_t)tmp[i];
        break;
    }
    case 'k':
        if (parse_int("--top", arg, 1, 1 << 24, &o->top))
            return EXIT_USAGE;
        o->top_given = 1;
        break;
    default: o->logits_only = 1; break;
    }
    return 0;
}

static int predict_check(void *ctx, const char *model)
{
    const predict_opts *o = ctx;
    if (!model || !o->images) {
        cli_error("predict: --model FILE and --images FILE are required");
        return EXIT_USAGE;
    }
    if (o->top_given && o->logits_only) {
        cli_error("predict: --top and --logits cannot be given together (--logits prints the "
                  "logit of every class)");
        return EXIT_USAGE;
    }
    return 0;
}

int cmd_predict(int argc, char **argv)
{
    static predict_opts o; /* 16 kB of indices: not on the stack */
    memset(&o, 0, sizeof o);
    o.top = 1;
    model_command mc = {"predict", usage, options, predict_option, predict_check, &o};
    model_input m;
    int done, status = model_command_start(&mc, argc, argv, &m, &done);
    if (done)
        return status;
    const char *images = o.images;
    const uint32_t *want = o.want;
    int n_want = o.n_want, logits_only = o.logits_only;
    long top = o.top;
    dn_err err = {0};
    dn_dataset ds = {0};
    float *x = NULL, *probs = NULL;
    uint32_t *idx = NULL;
    int *order = NULL;
    size_t dims[3];
    if (dn_idx_read(images, 3, &ds.images, dims, &err)) {
        status = cli_fail(&err);
        goto out;
    }
    ds.n = dims[0];
    ds.rows = (int)dims[1];
    ds.cols = (int)dims[2];
    int inputs = dn_net_input_width(m.net), C = m.classes;
    if ((size_t)ds.rows * (size_t)ds.cols != (size_t)inputs) {
        cli_error("%s: images are %dx%d (%d pixels) but the model takes %d inputs", images,
                  ds.rows, ds.cols, ds.rows * ds.cols, inputs);
        status = EXIT_USAGE;
        goto out;
    }
    for (int i = 0; i < n_want; i++)
        if (want[i] >= ds.n) {
            cli_error("--index: %u is past the last image of %s (%zu image%s)", want[i], images,
                      ds.n, ds.n == 1 ? "" : "s");
            status = EXIT_USAGE;
            goto out;
        }
    if (top > C) {
        cli_error("--top: %ld is more than the %d class%s of %s", top, C, C == 1 ? "" : "es",
                  m.path);
        status = EXIT_USAGE;
        goto out;
    }
    if (model_input_prepare(&m, &ds, &err)) {
        status = cli_fail(&err);
        goto out;
    }
    size_t total = n_want ? (size_t)n_want : ds.n;
    x = malloc((size_t)MODEL_MAX_BATCH * (size_t)inputs * sizeof *x);
    probs = malloc((size_t)MODEL_MAX_BATCH * (size_t)C * sizeof *probs);
    idx = malloc(MODEL_MAX_BATCH * sizeof *idx);
    order = malloc((size_t)C * sizeof *order);
    if (!x || !probs || !idx || !order) {
        cli_error("predict: out of memory");
        status = EXIT_RUNTIME;
        goto out;
    }
    /* Columns as wide as their longest entry, so that they line up. */
    int namew = 5, valw = 15; /* "class"; a %.9g logit: "-1.23456789e-05" */
    for (int k = 0; k < C; k++)
        if ((int)strlen(m.names[k]) > namew)
            namew = (int)strlen(m.names[k]);
    if (logits_only) {
        /* One column per class, headed by its name. */
        printf("index");
        for (int k = 0; k < C; k++) {
            int w = (int)strlen(m.names[k]) > valw ? (int)strlen(m.names[k]) : valw;
            printf("  %*s", w, m.names[k]);
        }
        printf("\n");
    } else {
        printf("index");
        for (int k = 0; k < top; k++) {
            char ord[16];
            printf("  %-*s  probability", namew, top == 1 ? "class" : ordinal(k + 1, ord, sizeof ord));
        }
        printf("\n");
    }
    for (size_t start = 0; start < total; start += MODEL_MAX_BATCH) {
        int b = (int)(total - start < MODEL_MAX_BATCH ? total - start : MODEL_MAX_BATCH);
        for (int r = 0; r < b; r++)
            idx[r] = n_want ? want[start + (size_t)r] : (uint32_t)(start + (size_t)r);
        dn_batch_images(x, &ds, idx, (size_t)b);
        const float *z = dn_net_forward(m.net, x, b, &err);
        if (!z) {
            status = cli_fail(&err);
            goto out;
        }
        dn_softmax_forward(probs, z, b, C);
        for (int r = 0; r < b; r++) {
            printf("%5u", idx[r]);
            if (logits_only) {
                for (int k = 0; k < C; k++) {
                    int w = (int)strlen(m.names[k]) > valw ? (int)strlen(m.names[k]) : valw;
                    printf("  %*.9g", w, (double)z[(size_t)r * C + k]);
                }
                printf("\n");
                continue;
            }
            const float *p = probs + (size_t)r * C;
            /* The K largest, by selection: K is small. Ties keep the lower class. */
            for (int k = 0; k < C; k++)
                order[k] = k;
            for (int k = 0; k < top; k++) {
                int best = k;
                for (int j = k + 1; j < C; j++)
                    if (p[order[j]] > p[order[best]])
                        best = j;
                int t = order[k];
                order[k] = order[best];
                order[best] = t;
                printf("  %-*s  %11.4f", namew, m.names[order[k]], (double)p[order[k]]);
            }
            printf("\n");
        }
    }
out:
    free(x);
    free(probs);
    free(idx);
    free(order);
    dn_dataset_free(&ds);
    model_input_free(&m);
    return status;
}
