/* Which cells of a sweep could be the best: multiple comparisons with the
 * best, by one-sided paired t-tests with a Bonferroni correction. */
#include "core/internal.h"

#include <gsl/gsl_cdf.h>
#include <math.h>

/* One-sided p of "row j beats row i" from their paired differences. */
static double beats_p(const double *xi, const double *xj, int n)
{
    double s = 0.0, largest = 0.0;
    for (int k = 0; k < n; k++) {
        s += xj[k] - xi[k];
        largest = fmax(largest, fabs(xj[k] - xi[k]));
    }
    double m = s / n, ss = 0.0;
    for (int k = 0; k < n; k++)
        ss += (xj[k] - xi[k] - m) * (xj[k] - xi[k] - m);
    double sd = sqrt(ss / (n - 1));
    if (!(sd > 1e-9 * fabs(m))) {
        /* Equal differences, no t: every one of the n pairs has j ahead
         * (one-sided sign test, 2^-n), or j is not ahead at all. */
        return m > 1e-9 * largest ? ldexp(1.0, -n) : 1.0;
    }
    return gsl_cdf_tdist_Q(m / (sd / sqrt((double)n)), n - 1);
}

int dn_could_be_best(const double *x, int k, int n, double alpha, unsigned char *keep,
                     double *p_beaten, dn_err *err)
{
    if (k < 1 || n < 2)
        return dn_fail(err, DN_EINVAL, "could-be-best: %d cells of %d seeds (at least 1 cell "
                       "and 2 seeds needed)", k, n);
    if (!(alpha > 0.0 && alpha < 1.0))
        return dn_fail(err, DN_EINVAL, "could-be-best: level %g is outside (0, 1)", alpha);
    for (long i = 0; i < (long)k * n; i++)
        if (!isfinite(x[i]))
            return dn_fail(err, DN_EINVAL, "could-be-best: cell %ld, seed %ld is not finite",
                           i / n + 1, i % n + 1);
    for (int i = 0; i < k; i++) {
        double p = 1.0;
        for (int j = 0; j < k; j++)
            if (j != i)
                p = fmin(p, beats_p(x + (size_t)i * (size_t)n, x + (size_t)j * (size_t)n, n));
        /* Bonferroni over the k - 1 rivals: the truly best cell is dropped
         * only when one of k - 1 true null hypotheses is rejected, which
         * happens with probability at most alpha. */
        double adjusted = k > 1 ? fmin(1.0, p * (k - 1)) : 1.0;
        if (p_beaten)
            p_beaten[i] = k > 1 ? adjusted : NAN;
        keep[i] = !(adjusted < alpha);
    }
    return DN_OK;
}
