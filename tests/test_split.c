/* The validation split (src/data/split.c): a partition of the training set,
 * class-balanced, a function of the seed and the labels alone, and uniform
 * over the examples of each class. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* n examples of one feature each, the feature = the example's index, so a
 * split can be traced back; labels from the given function. */
static void indexed(dn_dataset *ds, size_t n, int classes, uint8_t (*label)(size_t))
{
    memset(ds, 0, sizeof *ds);
    ds->n = n;
    ds->rows = 1;
    ds->cols = 1;
    ds->classes = classes;
    ds->features = malloc(n * sizeof(float));
    ds->labels = malloc(n);
    cr_assert(ds->features && ds->labels);
    for (size_t i = 0; i < n; i++) {
        ds->features[i] = (float)i;
        ds->labels[i] = label(i);
    }
}

static uint8_t mod10(size_t i) { return (uint8_t)(i % 10); }
/* Classes of 50 %, 30 %, 20 %. */
static uint8_t skewed(size_t i) { return i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2; }

/* val and train together hold every example exactly once, each part in the
 * order of the whole. */
static void check_partition(const dn_dataset *all, const dn_dataset *tr, const dn_dataset *va)
{
    cr_assert_eq(tr->n + va->n, all->n);
    uint8_t *seen = calloc(all->n, 1);
    const dn_dataset *parts[2] = {tr, va};
    for (int p = 0; p < 2; p++)
        for (size_t i = 0; i < parts[p]->n; i++) {
            size_t k = (size_t)parts[p]->features[i];
            cr_assert_lt(k, all->n);
            cr_assert_eq(seen[k]++, 0, "example %zu twice", k);
            cr_assert_eq(parts[p]->labels[i], all->labels[k], "label follows its example");
            if (i)
                cr_assert_gt(parts[p]->features[i], parts[p]->features[i - 1], "data order kept");
        }
    free(seen);
}

Test(split, fashion_mnist_sized_split_is_exactly_balanced)
{
    dn_dataset all, tr, va;
    indexed(&all, 60000, 10, mod10);
    dn_err err = {0};
    cr_assert_eq(dn_dataset_split(&all, 5000, 1, &tr, &va, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(va.n, 5000);
    cr_assert_eq(tr.n, 55000);
    cr_assert_eq(va.classes, 10);
    check_partition(&all, &tr, &va);
    size_t per[10] = {0};
    for (size_t i = 0; i < va.n; i++)
        per[va.labels[i]]++;
    for (int c = 0; c < 10; c++)
        cr_assert_eq(per[c], 500, "class %d: %zu", c, per[c]);
    dn_dataset_free(&tr);
    dn_dataset_free(&va);
    dn_dataset_free(&all);
}

/* 50/30/20 % classes and 7 held out: shares 3.5, 2.1, 1.4 round down to
 * 3, 2, 1, and the one left goes to the largest remainder (class 0, 0.5). */
Test(split, shares_round_by_largest_remainder)
{
    dn_dataset all, tr, va;
    indexed(&all, 100, 3, skewed);
    dn_err err = {0};
    cr_assert_eq(dn_dataset_split(&all, 7, 3, &tr, &va, &err), DN_OK, "%s", err.msg);
    check_partition(&all, &tr, &va);
    size_t per[3] = {0};
    for (size_t i = 0; i < va.n; i++)
        per[va.labels[i]]++;
    cr_assert_eq(per[0], 4);
    cr_assert_eq(per[1], 2);
    cr_assert_eq(per[2], 1);
    dn_dataset_free(&tr);
    dn_dataset_free(&va);
    dn_dataset_free(&all);
}

/* The same seed and labels hold out the same examples, whatever the
 * features (so every configuration of an experiment validates on one set);
 * another seed holds out others. */
Test(split, a_function_of_seed_and_labels)
{
    dn_dataset a, b, ta, va, tb, vb;
    indexed(&a, 1000, 10, mod10);
    indexed(&b, 1000, 10, mod10);
    for (size_t i = 0; i < b.n; i++)
        b.features[i] = (float)i; /* same positions, traced the same way */
    dn_err err = {0};
    cr_assert_eq(dn_dataset_split(&a, 100, 42, &ta, &va, &err), DN_OK);
    cr_assert_eq(dn_dataset_split(&b, 100, 42, &tb, &vb, &err), DN_OK);
    cr_assert_eq(memcmp(va.features, vb.features, 100 * sizeof(float)), 0);
    dn_dataset_free(&tb);
    dn_dataset_free(&vb);
    cr_assert_eq(dn_dataset_split(&b, 100, 43, &tb, &vb, &err), DN_OK);
    cr_assert_neq(memcmp(va.features, vb.features, 100 * sizeof(float)), 0);
    /* Images are split the same way as features. */
    dn_dataset img, ti, vi;
    synthetic_dataset(&img, 300, 5);
    cr_assert_eq(dn_dataset_split(&img, 30, 7, &ti, &vi, &err), DN_OK, "%s", err.msg);
    cr_assert_null(vi.features);
    cr_assert_eq(vi.n, 30);
    cr_assert_eq(ti.n, 270);
    cr_assert_eq(vi.rows, 28);
    dn_dataset_free(&ti);
    dn_dataset_free(&vi);
    dn_dataset_free(&img);
    dn_dataset_free(&ta);
    dn_dataset_free(&va);
    dn_dataset_free(&tb);
    dn_dataset_free(&vb);
    dn_dataset_free(&a);
    dn_dataset_free(&b);
}

/* Within a class every example is equally likely to be held out: over 4000
 * seeds, class 0 of 10 examples with a quota of 3 holds out each of them
 * with probability 0.3: 1200 times expected, binomial sd 29; 5 sd allowed. */
Test(split, uniform_within_each_class)
{
    dn_dataset all, tr, va;
    indexed(&all, 100, 10, mod10);
    int hits[100] = {0};
    dn_err err = {0};
    for (uint64_t seed = 0; seed < 4000; seed++) {
        cr_assert_eq(dn_dataset_split(&all, 30, seed, &tr, &va, &err), DN_OK);
        for (size_t i = 0; i < va.n; i++)
            hits[(int)va.features[i]]++;
        dn_dataset_free(&tr);
        dn_dataset_free(&va);
    }
    double sd = sqrt(4000 * 0.3 * 0.7);
    for (int i = 0; i < 100; i++)
        cr_assert(fabs(hits[i] - 1200.0) < 5 * sd, "example %d held out %d times of 4000", i,
                  hits[i]);
    dn_dataset_free(&all);
}

Test(split, sizes_that_leave_nothing_are_refused)
{
    dn_dataset all, tr, va;
    indexed(&all, 20, 10, mod10);
    dn_err err = {0};
    cr_assert_eq(dn_dataset_split(&all, 0, 1, &tr, &va, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "leaves no validation set"), "%s", err.msg);
    cr_assert_eq(dn_dataset_split(&all, 20, 1, &tr, &va, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "a validation set of 20 examples from a training set of 20 "
                              "leaves no training set"), "%s", err.msg);
    cr_assert_null(tr.labels);
    cr_assert_null(va.labels);
    cr_assert_eq(dn_dataset_split(&all, 19, 1, &tr, &va, &err), DN_OK);
    cr_assert_eq(tr.n, 1);
    dn_dataset_free(&tr);
    dn_dataset_free(&va);
    dn_dataset_free(&all);
}
