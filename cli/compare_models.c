/* dropnet compare --model-a A --model-b B: two trained models on one test
 * set. Unlike compare --a/--b, nothing is trained: the question is whether
 * these two models differ on this test set, not whether two settings do. */
#include "compare.h"
#include "model_input.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dropnet compare --model-a A.safetensors --model-b B.safetensors\n"
            "                       [--data DIR | --test FILE.csv] [--resamples N] [--seed S]\n"
            "                       [--threads N] [--json]\n"
            "\n"
            "Two trained models on one test set (dropout off): the accuracy of each, the\n"
            "examples only A and only B get right, the exact McNemar test on those, and a\n"
            "percentile bootstrap interval over the test examples for the accuracy\n"
            "difference B - A. This is about these two models on this test set; whether two\n"
            "settings differ beyond the luck of training is dropnet compare --a/--b.\n"
            "\n"
            "  --model-a FILE, --model-b FILE  the model files (each prepares the data as it\n"
            "                   was trained: scaling or standardisation from its metadata)\n"
            "  --data DIR       Fashion-MNIST directory (default as for train); its test set\n"
            "  --test FILE.csv  a CSV test set instead (label, then the features)\n"
            "  --resamples N    bootstrap resamples (default 10000; 100 to 10000000)\n"
            "  --seed S         seed of the resampling (default 1): same seed, same interval\n"
            "  --threads N      threads (default: all cores)\n"
            "  --json           one JSON object instead of text\n"
            "  -h, --help       this help\n");
}

int compare_is_models(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--model-a", 9) == 0 || strncmp(argv[i], "--model-b", 9) == 0)
            return 1;
    return 0;
}

typedef struct {
    const char *a, *b, *data, *test;
    long resamples, threads;
    unsigned long long seed;
    int json, help;
} models_opts;

static int parse(int argc, char **argv, models_opts *o)
{
    memset(o, 0, sizeof *o);
    o->resamples = 10000;
    o->seed = 1;
    option_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            o->help = 1;
            return 0;
        }
        if (strncmp(arg, "--", 2) != 0) {
            cli_error("compare: unexpected argument '%s' (try dropnet compare --model-a x "
                      "--help)", arg);
            return EXIT_USAGE;
        }
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
        static const char *const known[] = {"model-a", "model-b", "data", "test", "resamples",
                                            "seed", "threads", "json"};
        size_t k = 0;
        while (k < sizeof known / sizeof *known && strcmp(name, known[k]) != 0)
            k++;
        if (k == sizeof known / sizeof *known) {
            cli_error("compare: '%s' is not an option of compare --model-a/--model-b (try "
                      "dropnet compare --model-a x --help)", arg);
            return EXIT_USAGE;
        }
        if (option_once(&seen, "compare", name))
            return EXIT_USAGE;
        if (strcmp(name, "json") == 0) {
            if (strchr(arg, '=')) {
                cli_error("compare: --json takes no value");
                return EXIT_USAGE;
            }
            o->json = 1;
            continue;
        }
        const char *v = cli_option_value("compare", argc, argv, &i);
        if (!v)
            return EXIT_USAGE;
        if (k == 0)
            o->a = v;
        else if (k == 1)
            o->b = v;
        else if (k == 2)
            o->data = v;
        else if (k == 3)
            o->test = v;
        else if (k == 4 && parse_int("--resamples", v, 100, DN_RESAMPLES_MAX, &o->resamples))
            return EXIT_USAGE;
        else if (k == 5 && parse_u64("--seed", v, &o->seed))
            return EXIT_USAGE;
        else if (k == 6 && parse_int("--threads", v, 1, 1024, &o->threads))
            return EXIT_USAGE;
    }
    if (!o->a || !o->b) {
        cli_error("compare: --model-%s is missing: give both model files", o->a ? "b" : "a");
        return EXIT_USAGE;
    }
    if (o->data && o->test) {
        cli_error("compare: --data and --test exclude each other");
        return EXIT_USAGE;
    }
    return 0;
}

/* Which examples of its test set a model gets right; NULL after an error. */
static uint8_t *right_answers(const model_input *m, const models_opts *o, size_t *n,
                              char *what, size_t what_size, dn_err *err)
{
    dn_dataset ds = {0};
    if (model_input_test_set(m, o->data, o->test, &ds, what, what_size, err))
        return NULL;
    uint8_t *pred = malloc(ds.n ? ds.n : 1);
    if (!pred) {
        err->code = DN_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory for %zu predictions", ds.n);
    } else if (dn_predict(m->net, &ds, ds.n, pred, err)) {
        free(pred);
        pred = NULL;
    } else {
        for (size_t i = 0; i < ds.n; i++)
            pred[i] = pred[i] == ds.labels[i];
        *n = ds.n;
    }
    dn_dataset_free(&ds);
    return pred;
}

static void verdict(const dn_model_pair *r, char *out, size_t size)
{
    char ps[32];
    dn_format_p(r->p_mcnemar, ps, sizeof ps);
    double d = 100.0 * r->diff;
    char ci[120];
    dn_format_ci(d, 100.0 * r->lo, 100.0 * r->hi, 2, 1, ci, sizeof ci);
    if (r->a_only + r->b_only == 0)
        snprintf(out, size, "A and B get the same %ld examples right: no difference on this "
                 "test set.", r->both);
    else if (r->lo > 0.0 || r->hi < 0.0)
        snprintf(out, size, "B gets %.2f points %s of this test set right than A %s, McNemar "
                 "p %s%s: more than chance disagreement on these examples explains.", fabs(d),
                 d > 0 ? "more" : "less", strchr(ci, '['), ps[0] == '<' ? "" : "= ", ps);
    else
        snprintf(out, size, "B - A = %+.2f points %s, McNemar p %s%s: the interval includes 0; "
                 "no difference shown on this test set.", d, strchr(ci, '['),
                 ps[0] == '<' ? "" : "= ", ps);
}

static int print_json(const models_opts *o, const char *what, const dn_model_pair *r,
                      const char *text)
{
    cJSON *j = cJSON_CreateObject();
    if (!j) {
        cli_error("compare: out of memory");
        return EXIT_RUNTIME;
    }
    cJSON_AddStringToObject(j, "model_a", o->a);
    cJSON_AddStringToObject(j, "model_b", o->b);
    cJSON_AddStringToObject(j, "test_set", what);
    cJSON_AddNumberToObject(j, "n", (double)r->n);
    cJSON_AddNumberToObject(j, "both", (double)r->both);
    cJSON_AddNumberToObject(j, "a_only", (double)r->a_only);
    cJSON_AddNumberToObject(j, "b_only", (double)r->b_only);
    cJSON_AddNumberToObject(j, "neither", (double)r->neither);
    cJSON_AddNumberToObject(j, "acc_a", r->acc_a);
    cJSON_AddNumberToObject(j, "acc_b", r->acc_b);
    cJSON_AddNumberToObject(j, "diff", r->diff);
    cJSON_AddNumberToObject(j, "ci_low", r->lo);
    cJSON_AddNumberToObject(j, "ci_high", r->hi);
    cJSON_AddNumberToObject(j, "p_mcnemar", r->p_mcnemar);
    cJSON_AddNumberToObject(j, "resamples", r->resamples);
    cJSON_AddNumberToObject(j, "seed", (double)r->seed);
    cJSON_AddStringToObject(j, "verdict", text);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!s) {
        cli_error("compare: out of memory");
        return EXIT_RUNTIME;
    }
    printf("%s\n", s);
    free(s);
    return 0;
}

int compare_models(int argc, char **argv)
{
    models_opts o;
    int rc = parse(argc, argv, &o);
    if (rc || o.help)
        return rc;
    cli_set_threads((int)o.threads);
    if ((rc = cli_gemm(NULL))) /* $DN_GEMM or the default, as eval and predict */
        return rc;
    model_input ma, mb;
    memset(&mb, 0, sizeof mb);
    dn_err err = {0};
    uint8_t *ra = NULL, *rb = NULL;
    size_t na = 0, nb = 0;
    char what[4200], what_b[4200];
    if (model_input_load(&ma, o.a, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    if (model_input_load(&mb, o.b, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    if (ma.classes != mb.classes ||
        dn_net_input_width(ma.net) != dn_net_input_width(mb.net)) {
        cli_error("compare: %s takes %d inputs into %d classes and %s %d into %d: not models "
                  "of one task", o.a, dn_net_input_width(ma.net), ma.classes, o.b,
                  dn_net_input_width(mb.net), mb.classes);
        rc = EXIT_USAGE;
        goto out;
    }
    if (!(ra = right_answers(&ma, &o, &na, what, sizeof what, &err)) ||
        !(rb = right_answers(&mb, &o, &nb, what_b, sizeof what_b, &err))) {
        rc = cli_fail(&err);
        goto out;
    }
    dn_model_pair r;
    if (dn_compare_predictions(ra, rb, (long)na, (int)o.resamples, o.seed, 0.95, &r, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    char text[800];
    verdict(&r, text, sizeof text);
    if (o.json) {
        rc = print_json(&o, what, &r, text);
        goto out;
    }
    char la[2048], lb[2048];
    dn_net_describe(ma.net, la, sizeof la, NULL);
    dn_net_describe(mb.net, lb, sizeof lb, NULL);
    printf("# A: %s | %s\n# B: %s | %s\n# test set %s (%ld examples), dropout off\n", o.a, la,
           o.b, lb, what, r.n);
    printf("\naccuracy A %.2f %% (%ld right), B %.2f %% (%ld right)\n", 100 * r.acc_a,
           r.both + r.a_only, 100 * r.acc_b, r.both + r.b_only);
    printf("right with both %ld, only A %ld, only B %ld, neither %ld\n", r.both, r.a_only,
           r.b_only, r.neither);
    char ci[120], ps[32];
    dn_format_ci(100 * r.diff, 100 * r.lo, 100 * r.hi, 2, 1, ci, sizeof ci);
    dn_format_p(r.p_mcnemar, ps, sizeof ps);
    printf("B - A: %s points (95 %% percentile bootstrap over the test examples, %d "
           "resamples, seed %llu)\n", ci, r.resamples, (unsigned long long)r.seed);
    printf("exact McNemar test on the %ld examples they disagree on: p %s%s\n",
           r.a_only + r.b_only, ps[0] == '<' ? "" : "= ", ps);
    printf("\n%s\n", text);
out:
    free(ra);
    free(rb);
    model_input_free(&ma);
    model_input_free(&mb);
    return rc;
}
