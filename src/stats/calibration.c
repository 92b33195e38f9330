/* Calibration and uncertainty of a classifier's probabilities: expected
 * calibration error over equal-width bins, predictive entropy, and the area
 * under the ROC curve of a score (ties counted half). Pure functions. */
#include "core/internal.h"
#include "dropnet_experiment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int dn_calibration_bins(const double *conf, const uint8_t *correct, size_t n, int bins,
                        dn_reliability *rel, double *ece, dn_err *err)
{
    if (bins < 1 || bins > DN_CAL_MAX_BINS)
        return dn_fail(err, DN_EINVAL, "%d calibration bins: give 1 to %d", bins,
                       DN_CAL_MAX_BINS);
    if (n == 0)
        return dn_fail(err, DN_EINVAL, "no examples to calibrate");
    dn_reliability r;
    memset(&r, 0, sizeof r);
    r.bins = bins;
    double sum_conf[DN_CAL_MAX_BINS] = {0};
    size_t right[DN_CAL_MAX_BINS] = {0};
    for (size_t i = 0; i < n; i++) {
        double c = conf[i];
        if (!(c >= 0.0 && c <= 1.0))
            return dn_fail(err, DN_EINVAL, "confidence %g of example %zu is outside [0, 1]", c,
                           i);
        /* Bin b holds (b/bins, (b+1)/bins]; 0 goes with the first. */
        int b = (int)ceil(c * bins) - 1;
        b = b < 0 ? 0 : b >= bins ? bins - 1 : b;
        r.count[b]++;
        sum_conf[b] += c;
        right[b] += correct[i] != 0;
    }
    double e = 0.0;
    for (int b = 0; b < bins; b++) {
        if (!r.count[b]) {
            r.confidence[b] = r.accuracy[b] = NAN;
            continue;
        }
        r.confidence[b] = sum_conf[b] / (double)r.count[b];
        r.accuracy[b] = (double)right[b] / (double)r.count[b];
        e += (double)r.count[b] / (double)n * fabs(r.accuracy[b] - r.confidence[b]);
    }
    r.ece = e;
    if (rel)
        *rel = r;
    if (ece)
        *ece = e;
    return DN_OK;
}

double dn_entropy(const double *p, int C)
{
    double h = 0.0;
    for (int c = 0; c < C; c++)
        if (p[c] > 0.0)
            h -= p[c] * log(p[c]);
    return h;
}

typedef struct {
    double score;
    uint8_t positive;
} scored;

static int by_score(const void *a, const void *b)
{
    double x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x > y) - (x < y);
}

int dn_auroc(const double *score, const uint8_t *positive, size_t n, double *auc, dn_err *err)
{
    *auc = NAN;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(score[i]))
            return dn_fail(err, DN_EINVAL, "score %zu is not finite", i);
    scored *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return dn_fail(err, DN_ENOMEM, "cannot sort %zu scores", n);
    for (size_t i = 0; i < n; i++)
        s[i] = (scored){score[i], (uint8_t)(positive[i] != 0)};
    qsort(s, n, sizeof *s, by_score);
    /* Mann-Whitney: the positives' rank sum, tied scores sharing their mid
     * rank, so a tie between a positive and a negative counts half. */
    double rank_sum = 0.0;
    size_t pos = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        size_t p = 0;
        while (j < n && s[j].score == s[i].score)
            p += s[j++].positive;
        double mid = 0.5 * (double)(i + 1 + j); /* mean of ranks i+1 .. j */
        rank_sum += (double)p * mid;
        pos += p;
        i = j;
    }
    free(s);
    size_t neg = n - pos;
    /* With no positive or no negative the area is undefined: NaN. */
    if (pos && neg)
        *auc = (rank_sum - 0.5 * (double)pos * (double)(pos + 1)) /
               ((double)pos * (double)neg);
    return DN_OK;
}
