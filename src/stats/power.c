/* Power of t-tests from the noncentral t distribution, and the number of
 * seeds a difference needs. GSL has no noncentral t: its distribution
 * function is computed here as an integral over the chi distribution. */
#include "core/internal.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>

/* P(T <= t) for T = (Z + ncp) / sqrt(V / df), Z standard normal, V
 * chi-squared with df degrees of freedom: the mean over X = sqrt(V / df) of
 * Phi(t X - ncp). X has density 2 (df/2)^(df/2) x^(df-1) e^(-df x^2 / 2) /
 * Gamma(df/2), smooth and concentrated within 1 +- 10/sqrt(df) (about 14
 * standard deviations for large df; beyond 11 the half-normal of df = 1 is
 * below 1e-26). Composite Simpson's rule on 4000 intervals of that range:
 * the error, checked against an independent integration over Z in the
 * tests, is below 1e-9. */
double dn_nct_cdf(double t, double df, double ncp)
{
    if (isnan(t) || !(df > 0.0) || !isfinite(df) || !isfinite(ncp))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1.0 : 0.0;
    double spread = 10.0 / sqrt(df);
    double lo = fmax(0.0, 1.0 - spread), hi = 1.0 + fmax(spread, 10.0 / sqrt(df + 1.0));
    if (df < 4.0)
        hi = fmax(hi, 11.0);
    const int steps = 4000;
    double h = (hi - lo) / steps, sum = 0.0;
    double log_c = log(2.0) + 0.5 * df * log(0.5 * df) - gsl_sf_lngamma(0.5 * df);
    for (int i = 0; i <= steps; i++) {
        double x = lo + i * h, f;
        if (x <= 0.0)
            f = df == 1.0 ? exp(log_c) : 0.0; /* x^(df-1) at 0 */
        else
            f = exp(log_c + (df - 1.0) * log(x) - 0.5 * df * x * x);
        double w = i == 0 || i == steps ? 1.0 : i % 2 ? 4.0 : 2.0;
        sum += w * f * gsl_cdf_ugaussian_P(t * x - ncp);
    }
    double p = sum * h / 3.0;
    return p < 0.0 ? 0.0 : p > 1.0 ? 1.0 : p;
}

double dn_t_power(double ncp, double df, double alpha)
{
    if (!(alpha > 0.0 && alpha < 1.0) || !(df > 0.0) || !isfinite(df) || !isfinite(ncp))
        return NAN;
    double c = gsl_cdf_tdist_Qinv(alpha / 2.0, df);
    return 1.0 - dn_nct_cdf(c, df, ncp) + dn_nct_cdf(-c, df, ncp);
}

/* Power of the design with n seeds (paired: n pairs; unpaired: n per side). */
static double design_power(double d, long n, int paired, double alpha)
{
    if (paired)
        return dn_t_power(d * sqrt((double)n), (double)(n - 1), alpha);
    return dn_t_power(d * sqrt(n / 2.0), (double)(2 * n - 2), alpha);
}

long dn_seeds_needed(double d, int paired, double alpha, double power)
{
    if (!isfinite(d) || d == 0.0 || !(alpha > 0.0 && alpha < 1.0) ||
        !(power > alpha && power < 1.0))
        return 0;
    d = fabs(d);
    /* power grows with n: double until it is enough, then bisect */
    long lo = 1, hi = 2;
    while (design_power(d, hi, paired, alpha) < power) {
        if (hi == DN_SEEDS_NEEDED_MAX)
            return -1;
        lo = hi;
        hi = hi * 2 > DN_SEEDS_NEEDED_MAX ? DN_SEEDS_NEEDED_MAX : hi * 2;
    }
    while (hi - lo > 1) {
        long mid = lo + (hi - lo) / 2;
        if (design_power(d, mid, paired, alpha) >= power)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}
