/* Two trained models on one test set: the exact McNemar test on the
 * examples one gets right and the other not, and a bootstrap interval over
 * the test examples for the difference in accuracy. */
#include "core/internal.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>

double dn_mcnemar_exact(long a_only, long b_only)
{
    if (a_only < 0 || b_only < 0 || a_only + b_only > 4294967295L)
        return NAN;
    long n = a_only + b_only;
    if (n == 0)
        return 1.0;
    /* Under the null hypothesis each discordant example is A's or B's with
     * probability 1/2: twice the smaller binomial tail. */
    long k = a_only < b_only ? a_only : b_only;
    double p = 2.0 * gsl_cdf_binomial_P((unsigned)k, 0.5, (unsigned)n);
    return p > 1.0 ? 1.0 : p;
}

int dn_compare_predictions(const uint8_t *a_right, const uint8_t *b_right, long n,
                           int resamples, uint64_t seed, double level, dn_model_pair *out,
                           dn_err *err)
{
    if (n < 1)
        return dn_fail(err, DN_EINVAL, "model comparison: no test examples");
    if (resamples < 100 || resamples > DN_RESAMPLES_MAX)
        return dn_fail(err, DN_EINVAL, "model comparison: %d resamples (100 to %d)", resamples,
                       DN_RESAMPLES_MAX);
    if (!(level > 0.0 && level < 1.0))
        return dn_fail(err, DN_EINVAL, "confidence level %g is outside (0, 1)", level);
    if (n > 4294967295L)
        return dn_fail(err, DN_EINVAL, "model comparison: %ld test examples is too many", n);
    long cnt[4] = {0}; /* both right, A only, B only, neither */
    for (long i = 0; i < n; i++)
        cnt[a_right[i] && b_right[i] ? 0 : a_right[i] ? 1 : b_right[i] ? 2 : 3]++;
    out->n = n;
    out->both = cnt[0];
    out->a_only = cnt[1];
    out->b_only = cnt[2];
    out->neither = cnt[3];
    out->acc_a = (double)(cnt[0] + cnt[1]) / n;
    out->acc_b = (double)(cnt[0] + cnt[2]) / n;
    out->diff = out->acc_b - out->acc_a;
    out->p_mcnemar = dn_mcnemar_exact(cnt[1], cnt[2]);
    out->resamples = resamples;
    out->seed = seed;
    /* Resampling n examples with replacement only matters through how many
     * of each kind are drawn: one multinomial draw of n over the four kinds
     * per resample is the same distribution as n draws of examples, and
     * costs nothing per example. MT19937 seeded with the seed: the same
     * interval on every machine. */
    double *d = malloc((size_t)resamples * sizeof *d);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!d || !r) {
        free(d);
        if (r)
            gsl_rng_free(r);
        return dn_fail(err, DN_ENOMEM, "model comparison: cannot allocate %d resamples",
                       resamples);
    }
    gsl_rng_set(r, (unsigned long)seed);
    double prob[4];
    for (int k = 0; k < 4; k++)
        prob[k] = (double)cnt[k] / n;
    unsigned draw[4];
    for (int s = 0; s < resamples; s++) {
        gsl_ran_multinomial(r, 4, (unsigned)n, prob, draw);
        d[s] = ((double)draw[2] - (double)draw[1]) / n;
    }
    gsl_rng_free(r);
    /* Percentile interval (quantiles interpolated between order
     * statistics, as R's type 7). */
    gsl_sort(d, 1, (size_t)resamples);
    out->lo = gsl_stats_quantile_from_sorted_data(d, 1, (size_t)resamples, (1.0 - level) / 2.0);
    out->hi = gsl_stats_quantile_from_sorted_data(d, 1, (size_t)resamples, (1.0 + level) / 2.0);
    free(d);
    return DN_OK;
}
