/* Shared option parsing of the two examples (they must train identically). */
#ifndef EXAMPLES_COMMON_H
#define EXAMPLES_COMMON_H

#include "dropnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *data;
    size_t train_n, test_n; /* 0 = all */
    int epochs;
    unsigned long long seed;
    int threads;
} example_opts;

/* Evaluation block: the same rows per BLAS call in both examples. */
#define EXAMPLE_EVAL_BLOCK 1024

static inline int example_parse(int argc, char **argv, example_opts *o)
{
    *o = (example_opts){NULL, 0, 0, 10, 1, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "%s: option %s needs a value\n", argv[0], a);
            return -1;
        }
        if (strcmp(a, "--data") == 0) o->data = v;
        else if (strcmp(a, "--train-n") == 0) o->train_n = strtoul(v, NULL, 10);
        else if (strcmp(a, "--test-n") == 0) o->test_n = strtoul(v, NULL, 10);
        else if (strcmp(a, "--epochs") == 0) o->epochs = atoi(v);
        else if (strcmp(a, "--seed") == 0) o->seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--threads") == 0) o->threads = atoi(v);
        else {
            fprintf(stderr, "usage: %s [--data DIR] [--train-n N] [--test-n N] [--epochs E] "
                            "[--seed S] [--threads T]\n", argv[0]);
            return -1;
        }
        i++;
    }
    if (o->epochs < 1) {
        fprintf(stderr, "%s: --epochs must be at least 1\n", argv[0]);
        return -1;
    }
    return 0;
}

/* Loads Fashion-MNIST, keeping the first train_n / test_n examples if asked. */
static inline int example_data(const example_opts *o, dn_dataset *train, dn_dataset *test)
{
    dn_err err = {0};
    char dir[4096];
    dn_dataset a, b;
    if (dn_fmnist_find(o->data, dir, sizeof dir, &err) || dn_fmnist_load(dir, &a, &b, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    if (o->train_n && o->train_n < a.n) {
        if (dn_dataset_head(train, &a, o->train_n, &err)) return -1;
        dn_dataset_free(&a);
    } else {
        *train = a;
    }
    if (o->test_n && o->test_n < b.n) {
        if (dn_dataset_head(test, &b, o->test_n, &err)) return -1;
        dn_dataset_free(&b);
    } else {
        *test = b;
    }
    return 0;
}

/* The start both examples share: options, data, threads. 0, or the exit
 * status to end with (2) after a message. */
static inline int example_start(int argc, char **argv, example_opts *o, dn_dataset *train,
                                dn_dataset *test)
{
    if (example_parse(argc, argv, o) || example_data(o, train, test))
        return 2;
    dn_set_threads(o->threads);
    return 0;
}

static inline void example_print(int epoch, double tl, double ta, double vl, double va)
{
    printf("epoch %d train_loss %.17g train_acc %.17g test_loss %.17g test_acc %.17g\n", epoch,
           tl, ta, vl, va);
}

#endif
