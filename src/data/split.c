/* The validation split: a seeded, class-balanced choice of examples held out
 * of the training set. It depends on the seed, the labels and the count
 * only, so every configuration trained with one seed holds out the same
 * examples, and a resumed run holds out what it held out before. */
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

int dn_dataset_take(dn_dataset *dst, const dn_dataset *src, const uint8_t *flag, uint8_t want,
                    size_t n, dn_err *err)
{
    memset(dst, 0, sizeof *dst);
    size_t px = (size_t)src->rows * (size_t)src->cols;
    if (src->features)
        dst->features = dn_alloc(n * px, sizeof(float));
    else
        dst->images = dn_alloc(n, px);
    dst->labels = dn_alloc(n, 1);
    if (!(dst->images || dst->features) || !dst->labels) {
        dn_dataset_free(dst);
        return dn_fail(err, DN_ENOMEM, "cannot allocate a subset of %zu examples", n);
    }
    size_t k = 0;
    for (size_t i = 0; i < src->n && k < n; i++) {
        if (flag && flag[i] != want)
            continue;
        if (src->features)
            memcpy(dst->features + k * px, src->features + i * px, px * sizeof(float));
        else
            memcpy(dst->images + k * px, src->images + i * px, px);
        dst->labels[k++] = src->labels[i];
    }
    dst->n = n;
    dst->rows = src->rows;
    dst->cols = src->cols;
    dst->classes = src->classes;
    memcpy(dst->header, src->header, sizeof dst->header);
    return DN_OK;
}

int dn_dataset_split(const dn_dataset *all, size_t n_val, uint64_t seed, dn_dataset *train,
                     dn_dataset *val, dn_err *err)
{
    memset(train, 0, sizeof *train);
    memset(val, 0, sizeof *val);
    if (n_val == 0 || n_val >= all->n)
        return dn_fail(err, DN_EINVAL, "a validation set of %zu examples from a training set of "
                       "%zu leaves %s", n_val, all->n,
                       n_val == 0 ? "no validation set" : "no training set");
    if (all->n > UINT32_MAX)
        return dn_fail(err, DN_EINVAL, "the training set has more than 2^32 examples");
    size_t count[DN_MAX_CLASSES] = {0}, quota[DN_MAX_CLASSES] = {0};
    for (size_t i = 0; i < all->n; i++)
        count[all->labels[i]]++;
    /* Each class gives its share of n_val, rounded down; the examples left
     * go to the classes with the largest remainders (the lower class first
     * on a tie), so the split keeps the class balance within one example.
     * n < 2^32, so the products fit in 64 bits. */
    size_t given = 0;
    for (int c = 0; c < DN_MAX_CLASSES; c++) {
        quota[c] = (size_t)((uint64_t)n_val * count[c] / all->n);
        given += quota[c];
    }
    while (given < n_val) {
        int best = -1;
        uint64_t best_rem = 0;
        for (int c = 0; c < DN_MAX_CLASSES; c++) {
            if (quota[c] >= count[c])
                continue;
            /* The remainder of n_val * count / n, less what was added. */
            uint64_t rem = (uint64_t)n_val * count[c] -
                                    (uint64_t)quota[c] * all->n;
            if (best < 0 || rem > best_rem) {
                best = c;
                best_rem = rem;
            }
        }
        quota[best]++;
        given++;
    }
    uint8_t *flag = calloc(all->n, 1);
    uint32_t *members = malloc(all->n * sizeof *members);
    if (!flag || !members) {
        free(flag);
        free(members);
        return dn_fail(err, DN_ENOMEM, "cannot allocate the validation split");
    }
    /* Per class, a partial Fisher-Yates shuffle of its examples (in data
     * order) from the stream (seed, validation split, class) picks its
     * quota. */
    for (int c = 0; c < DN_MAX_CLASSES; c++) {
        if (!quota[c])
            continue;
        uint32_t m = 0;
        for (size_t i = 0; i < all->n; i++)
            if (all->labels[i] == c)
                members[m++] = (uint32_t)i;
        dn_stream s = {seed, DN_PURPOSE_VAL_SPLIT, (uint32_t)c};
        for (uint32_t i = 0; i < quota[c]; i++) {
            uint32_t j = i + dn_uniform_below(s, i, m - i);
            uint32_t t = members[i];
            members[i] = members[j];
            members[j] = t;
            flag[members[i]] = 1;
        }
    }
    free(members);
    int rc = dn_dataset_take(val, all, flag, 1, n_val, err);
    if (!rc && (rc = dn_dataset_take(train, all, flag, 0, all->n - n_val, err)))
        dn_dataset_free(val);
    free(flag);
    return rc;
}
