/* Statistics of experiments over several seeds: intervals of means, the
 * paired t-test, Wilcoxon's signed-rank test and Welch's t-test.
 *
 * GSL supplies the distributions. Its error handler aborts the process by
 * default, and replacing it would change global state, so every call below
 * is made only with arguments inside the function's domain. */
#include "core/internal.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>

double dn_t_quantile(double p, double df)
{
    if (!(p > 0.0 && p < 1.0) || !(df > 0.0) || !isfinite(df))
        return NAN;
    return gsl_cdf_tdist_Pinv(p, df);
}

double dn_t_pvalue(double t, double df)
{
    if (isnan(t) || !(df > 0.0) || !isfinite(df))
        return NAN;
    if (isinf(t))
        return 0.0;
    /* The upper tail of |t|, doubled: no cancellation for large |t|. */
    double p = 2.0 * gsl_cdf_tdist_Q(fabs(t), df);
    return p > 1.0 ? 1.0 : p;
}

static int check_values(const double *x, int n, int min_n, const char *what, dn_err *err)
{
    if (n < min_n)
        return dn_fail(err, DN_EINVAL, "%s: %d value%s (at least %d needed)", what, n,
                       n == 1 ? "" : "s", min_n);
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return dn_fail(err, DN_EINVAL, "%s: value %d is not finite", what, i + 1);
    return DN_OK;
}

static int check_level(double level, dn_err *err)
{
    if (!(level > 0.0 && level < 1.0))
        return dn_fail(err, DN_EINVAL, "confidence level %g is outside (0, 1)", level);
    return DN_OK;
}

/* A standard deviation that is rounding noise next to the mean, e.g. of
 * differences of accuracies that are equal on paper: no spread at all. */
static int no_spread(double mean, double sd)
{
    return !(sd > 1e-9 * fabs(mean));
}

/* Mean and sample standard deviation, two passes (the second on centred
 * values keeps the variance accurate when the mean is large). */
static void mean_sd(const double *x, int n, double *mean, double *sd)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += x[i];
    double m = s / n, ss = 0.0;
    for (int i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(ss / (n - 1)) : NAN;
}

int dn_mean_interval(const double *x, int n, double level, dn_interval *out, dn_err *err)
{
    int rc;
    if ((rc = check_level(level, err)) || (rc = check_values(x, n, 1, "mean interval", err)))
        return rc;
    out->n = n;
    mean_sd(x, n, &out->mean, &out->sd);
    if (n < 2) {
        out->lo = out->hi = NAN;
        return DN_OK;
    }
    double half = dn_t_quantile(0.5 + level / 2.0, n - 1) * out->sd / sqrt((double)n);
    out->lo = out->mean - half;
    out->hi = out->mean + half;
    return DN_OK;
}

/* ------------------------------------------------------------ Wilcoxon */

static int by_value(const void *a, const void *b)
{
    double x = ((const dn_tagged *)a)->v, y = ((const dn_tagged *)b)->v;
    return (x > y) - (x < y);
}

double dn_midranks2(dn_tagged *v, int n, double tol, int *rank2)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    double ties = 0.0;
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && v[j].v - v[i].v <= tol)
            j++;
        double t = j - i;
        for (int k = i; k < j; k++)
            rank2[k] = i + 1 + j; /* twice the mean of ranks i+1..j */
        ties += t * t * t - t;
        i = j;
    }
    return ties;
}

int dn_wilcoxon_signed_rank(const double *d, int n, dn_wilcoxon *out, dn_err *err)
{
    int rc = check_values(d, n, 1, "signed-rank test", err);
    if (rc)
        return rc;
    double largest = 0.0;
    for (int i = 0; i < n; i++)
        largest = fmax(largest, fabs(d[i]));
    double tol = 1e-9 * largest;
    dn_tagged *v = malloc((size_t)n * sizeof *v);
    if (!v)
        return dn_fail(err, DN_ENOMEM, "signed-rank test: cannot allocate %d values", n);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (fabs(d[i]) > tol)
            v[m++] = (dn_tagged){fabs(d[i]), d[i] > 0.0};
    out->n = m;
    out->w_plus = 0.0;
    out->exact = 1;
    out->p = out->p_greater = out->p_less = 1.0;
    if (m == 0) {
        free(v);
        return DN_OK;
    }
    /* Mid-ranks of runs of equal magnitudes, doubled so that they are
     * integers (a mid-rank is a multiple of 1/2); sum of t^3 - t over the
     * runs for the variance's tie correction. */
    int *rank2 = malloc((size_t)m * sizeof *rank2);
    if (!rank2) {
        free(v);
        return dn_fail(err, DN_ENOMEM, "signed-rank test: cannot allocate %d ranks", m);
    }
    double ties = dn_midranks2(v, m, tol, rank2);
    for (int k = 0; k < m; k++)
        if (v[k].flag)
            out->w_plus += rank2[k] / 2.0;
    free(v);
    double w = out->w_plus, mean = m * (m + 1) / 4.0;
    if (m < DN_SIGNRANK_EXACT_MAX) {
        /* Under the null hypothesis each difference's sign is a fair coin
         * given the magnitudes (ties included): the distribution of 2 W+
         * by dynamic programming over the doubled mid-ranks, which is the
         * enumeration of all 2^m sign patterns done in m(m+1) steps per
         * rank. Counts up to 2^49 are exact in doubles. */
        int top = m * (m + 1);
        double *count = calloc((size_t)top + 1, sizeof *count);
        if (!count) {
            free(rank2);
            return dn_fail(err, DN_ENOMEM, "signed-rank test: cannot allocate its distribution");
        }
        count[0] = 1.0;
        int reach = 0;
        for (int r = 0; r < m; r++) {
            reach += rank2[r];
            for (int s = reach; s >= rank2[r]; s--)
                count[s] += count[s - rank2[r]];
        }
        long wi = lround(2.0 * w);
        double le = 0.0, ge = 0.0, total = ldexp(1.0, m);
        for (int s = 0; s <= top; s++) {
            if (s <= wi)
                le += count[s];
            if (s >= wi)
                ge += count[s];
        }
        free(count);
        out->p_less = le / total;
        out->p_greater = ge / total;
    } else {
        out->exact = 0;
        double sd = sqrt(m * (m + 1.0) * (2.0 * m + 1.0) / 24.0 - ties / 48.0);
        /* The continuity correction moves the statistic half a step
         * towards the mean. */
        out->p_greater = gsl_cdf_ugaussian_Q((w - mean - 0.5) / sd);
        out->p_less = gsl_cdf_ugaussian_P((w - mean + 0.5) / sd);
    }
    free(rank2);
    /* Two-sided: the tail on the side of the statistic, doubled (the
     * distribution is symmetric about its mean). */
    double z = w - mean;
    double tail = z > 0.0 ? out->p_greater : z < 0.0 ? out->p_less
                                                     : fmin(out->p_greater, out->p_less);
    out->p = fmin(1.0, 2.0 * tail);
    return DN_OK;
}

/* ------------------------------------------------------------ t-tests */

int dn_paired_compare(const double *a, const double *b, int n, double level, dn_paired *out,
                      dn_err *err)
{
    int rc;
    if ((rc = check_level(level, err)) || (rc = check_values(a, n, 1, "paired comparison", err)) ||
        (rc = check_values(b, n, 1, "paired comparison", err)))
        return rc;
    double *d = calloc((size_t)n, sizeof *d);
    if (!d)
        return dn_fail(err, DN_ENOMEM, "paired comparison: cannot allocate %d values", n);
    for (int i = 0; i < n; i++)
        d[i] = b[i] - a[i];
    out->n = n;
    rc = dn_mean_interval(d, n, level, &out->diff, err);
    if (!rc)
        rc = dn_wilcoxon_signed_rank(d, n, &out->wilcoxon, err);
    free(d);
    if (rc)
        return rc;
    if (n < 2 || no_spread(out->diff.mean, out->diff.sd)) {
        /* Without spread there is no t statistic and no t interval: the
         * signed-rank test (2^(1-n) when every difference has one sign)
         * says what n equal differences are worth. */
        out->t = out->p_t = NAN;
        out->diff.lo = out->diff.hi = NAN;
    } else {
        out->t = out->diff.mean / (out->diff.sd / sqrt((double)n));
        out->p_t = dn_t_pvalue(out->t, n - 1);
    }
    return DN_OK;
}

int dn_welch_compare(const double *a, int na, const double *b, int nb, double level,
                     dn_welch *out, dn_err *err)
{
    int rc;
    if ((rc = check_level(level, err)) || (rc = check_values(a, na, 2, "Welch comparison", err)) ||
        (rc = check_values(b, nb, 2, "Welch comparison", err)))
        return rc;
    double ma, sa, mb, sb;
    mean_sd(a, na, &ma, &sa);
    mean_sd(b, nb, &mb, &sb);
    double va = sa * sa / na, vb = sb * sb / nb, se = sqrt(va + vb);
    out->diff = mb - ma;
    if (no_spread(fmax(fabs(ma), fabs(mb)), se)) {
        out->lo = out->hi = out->t = out->p = NAN;
        out->df = na + nb - 2;
        return DN_OK;
    }
    /* Welch-Satterthwaite; a side without spread contributes no term. */
    double den = (va > 0.0 ? va * va / (na - 1) : 0.0) + (vb > 0.0 ? vb * vb / (nb - 1) : 0.0);
    out->df = (va + vb) * (va + vb) / den;
    out->t = out->diff / se;
    out->p = dn_t_pvalue(out->t, out->df);
    double half = dn_t_quantile(0.5 + level / 2.0, out->df) * se;
    out->lo = out->diff - half;
    out->hi = out->diff + half;
    return DN_OK;
}
