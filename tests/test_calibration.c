/* Calibration error, entropy and AUROC (src/stats/calibration.c) against
 * values computed by hand and a brute-force AUROC. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

/* Four examples, 2 bins: confidences 0.3 and 0.45 fall in (0, 0.5], 0.6
 * and 0.9 in (0.5, 1]. Bin 1: mean confidence 0.375, accuracy 1/2; bin 2:
 * 0.75, accuracy 1/2. ECE = 2/4 |0.5 - 0.375| + 2/4 |0.5 - 0.75| = 0.1875. */
Test(calibration, ece_by_hand)
{
    const double conf[4] = {0.3, 0.45, 0.6, 0.9};
    const uint8_t right[4] = {1, 0, 0, 1};
    dn_reliability r;
    double ece;
    cr_assert_eq(dn_calibration_bins(conf, right, 4, 2, &r, &ece, NULL), DN_OK);
    cr_assert_float_eq(ece, 0.1875, 1e-15);
    cr_assert_eq(r.ece, ece);
    cr_assert_eq(r.count[0], 2);
    cr_assert_eq(r.count[1], 2);
    cr_assert_float_eq(r.confidence[0], 0.375, 1e-15);
    cr_assert_float_eq(r.confidence[1], 0.75, 1e-15);
    cr_assert_float_eq(r.accuracy[0], 0.5, 1e-15);
    cr_assert_float_eq(r.accuracy[1], 0.5, 1e-15);
}

/* Bin edges belong to the bin below: with 15 bins, 1/15 is in bin 0 and
 * 1.0 in bin 14; 0 joins bin 0. Empty bins are NaN and add nothing. */
Test(calibration, bin_edges_and_empty_bins)
{
    const double conf[4] = {0.0, 1.0 / 15.0, 2.0 / 15.0 + 1e-9, 1.0};
    const uint8_t right[4] = {0, 0, 1, 1};
    dn_reliability r;
    cr_assert_eq(dn_calibration_bins(conf, right, 4, 15, &r, NULL, NULL), DN_OK);
    cr_assert_eq(r.count[0], 2);
    cr_assert_eq(r.count[2], 1);
    cr_assert_eq(r.count[14], 1);
    cr_assert(isnan(r.accuracy[1]) && isnan(r.confidence[1]));
    /* bin 0: confidence 1/30, accuracy 0; bin 2: |1 - (2/15 + 1e-9)|; bin
     * 14: |1 - 1| */
    double want = 0.5 * (1.0 / 30.0) + 0.25 * (1.0 - (2.0 / 15.0 + 1e-9));
    cr_assert_float_eq(r.ece, want, 1e-15);
}

Test(calibration, perfectly_calibrated_is_zero)
{
    /* 10 examples at confidence 0.8, 8 right */
    double conf[10];
    uint8_t right[10];
    for (int i = 0; i < 10; i++) {
        conf[i] = 0.8;
        right[i] = i < 8;
    }
    double ece = -1;
    cr_assert_eq(dn_calibration_bins(conf, right, 10, 15, NULL, &ece, NULL), DN_OK);
    cr_assert_float_eq(ece, 0.0, 1e-15);
}

Test(calibration, bad_arguments)
{
    const double conf[2] = {0.5, 1.5};
    const uint8_t right[2] = {1, 0};
    dn_err err = {0};
    cr_assert_eq(dn_calibration_bins(conf, right, 2, 15, NULL, NULL, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "outside [0, 1]"), "%s", err.msg);
    cr_assert_eq(dn_calibration_bins(conf, right, 1, 0, NULL, NULL, &err), DN_EINVAL);
    cr_assert_eq(dn_calibration_bins(conf, right, 0, 15, NULL, NULL, &err), DN_EINVAL);
    const double nan_conf[1] = {NAN};
    cr_assert_eq(dn_calibration_bins(nan_conf, right, 1, 15, NULL, NULL, &err), DN_EINVAL);
}

Test(calibration, entropy_by_hand)
{
    const double uniform[4] = {0.25, 0.25, 0.25, 0.25};
    cr_assert_float_eq(dn_entropy(uniform, 4), log(4.0), 1e-15);
    const double sure[3] = {0.0, 1.0, 0.0};
    cr_assert_eq(dn_entropy(sure, 3), 0.0);
    const double half[2] = {0.5, 0.5};
    cr_assert_float_eq(dn_entropy(half, 2), log(2.0), 1e-15);
    /* -(0.1 ln 0.1 + 0.9 ln 0.9) = 0.325082973391448... */
    const double skew[2] = {0.1, 0.9};
    cr_assert_float_eq(dn_entropy(skew, 2), 0.32508297339144826, 1e-15);
}

/* Scores 0.1 (neg), 0.4 (pos), 0.4 (neg), 0.8 (pos): of the 4 (pos, neg)
 * pairs, (0.4, 0.1), (0.8, 0.1), (0.8, 0.4) are won and (0.4, 0.4) tied:
 * 3.5 / 4 = 0.875. */
Test(auroc, ties_by_hand)
{
    const double s[4] = {0.1, 0.4, 0.4, 0.8};
    const uint8_t pos[4] = {0, 1, 0, 1};
    double auc;
    cr_assert_eq(dn_auroc(s, pos, 4, &auc, NULL), DN_OK);
    cr_assert_float_eq(auc, 0.875, 1e-15);
    /* all tied: 0.5; perfectly ranked: 1; reversed: 0 */
    const double flat[4] = {1, 1, 1, 1};
    cr_assert_eq(dn_auroc(flat, pos, 4, &auc, NULL), DN_OK);
    cr_assert_float_eq(auc, 0.5, 1e-15);
    const double up[4] = {0, 1, 0, 1};
    cr_assert_eq(dn_auroc(up, pos, 4, &auc, NULL), DN_OK);
    cr_assert_float_eq(auc, 1.0, 1e-15);
    const double down[4] = {1, 0, 1, 0};
    cr_assert_eq(dn_auroc(down, pos, 4, &auc, NULL), DN_OK);
    cr_assert_float_eq(auc, 0.0, 1e-15);
}

Test(auroc, undefined_without_both_classes)
{
    const double s[3] = {0.1, 0.2, 0.3};
    const uint8_t none[3] = {0, 0, 0}, all[3] = {1, 1, 1};
    double auc = 0;
    cr_assert_eq(dn_auroc(s, none, 3, &auc, NULL), DN_OK);
    cr_assert(isnan(auc));
    cr_assert_eq(dn_auroc(s, all, 3, &auc, NULL), DN_OK);
    cr_assert(isnan(auc));
    const double inf[2] = {INFINITY, 0};
    dn_err err = {0};
    cr_assert_eq(dn_auroc(inf, none, 2, &auc, &err), DN_EINVAL);
}

/* Against counting every pair, on random scores with many ties (scores on
 * a grid of 7 values). */
Test(auroc, matches_brute_force)
{
    for (uint32_t trial = 0; trial < 20; trial++) {
        size_t n = 50 + 37 * trial;
        double *s = malloc(n * sizeof *s);
        uint8_t *pos = malloc(n);
        dn_stream st = {trial, 77, 0};
        for (size_t i = 0; i < n; i++) {
            s[i] = (double)dn_uniform_below(st, 2 * i, 7) / 7.0;
            pos[i] = dn_uniform(st, 2 * i + 1) < 0.3f;
        }
        double won = 0;
        size_t pairs = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (pos[i] && !pos[j]) {
                    pairs++;
                    won += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
                }
        double auc;
        cr_assert_eq(dn_auroc(s, pos, n, &auc, NULL), DN_OK);
        cr_assert_float_eq(auc, won / (double)pairs, 1e-12, "trial %u: %.15g vs %.15g", trial,
                           auc, won / (double)pairs);
        free(s);
        free(pos);
    }
}
