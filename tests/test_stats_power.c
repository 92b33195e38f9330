/* Power of t-tests: the noncentral t distribution against an independent
 * integration done here, and the seeds needed against published tables. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <math.h>

#define near(got, want, tol, ...) cr_assert(fabs((got) - (want)) <= (tol), __VA_ARGS__)

/* P(T <= t), T = (Z + ncp) / X, X = sqrt(V / df): integrated over Z (the
 * library integrates over X), with the chi-squared tail from GSL:
 * t > 0: P(X >= (z + ncp) / t); t < 0: P(X <= (z + ncp) / t), 0 unless
 * z + ncp < 0. Simpson on 40,000 steps of [-ncp - 14, -ncp + 14], split at
 * z = -ncp where the integrand has a kink. */
static double inner(double z, double t, double df, double ncp)
{
    double u = (z + ncp) / t;
    if (t > 0)
        return u <= 0 ? 1.0 : gsl_cdf_chisq_Q(df * u * u, df);
    return z + ncp >= 0 ? 0.0 : gsl_cdf_chisq_P(df * u * u, df);
}

static double simpson(double a, double b, double t, double df, double ncp)
{
    const int steps = 20000;
    double h = (b - a) / steps, s = 0;
    for (int i = 0; i <= steps; i++) {
        double z = a + i * h, w = i == 0 || i == steps ? 1 : i % 2 ? 4 : 2;
        s += w * exp(-0.5 * z * z) / sqrt(2 * 3.14159265358979323846) * inner(z, t, df, ncp);
    }
    return s * h / 3;
}

static double nct_cdf_by_z(double t, double df, double ncp)
{
    return simpson(-ncp - 14, -ncp, t, df, ncp) + simpson(-ncp, -ncp + 14, t, df, ncp);
}

Test(power, noncentral_t_agrees_with_an_independent_integration)
{
    static const double dfs[] = {1, 2, 3, 4, 9, 19, 39, 200, 2000};
    static const double ncps[] = {0, 0.5, 1.5, 3, 6, -2};
    static const double ts[] = {-3, -1.2, 0.4, 2.0, 2.262, 5};
    for (size_t i = 0; i < sizeof dfs / sizeof *dfs; i++)
        for (size_t j = 0; j < sizeof ncps / sizeof *ncps; j++)
            for (size_t k = 0; k < sizeof ts / sizeof *ts; k++) {
                double got = dn_nct_cdf(ts[k], dfs[i], ncps[j]);
                double want = nct_cdf_by_z(ts[k], dfs[i], ncps[j]);
                near(got, want, 1e-8, "df %g ncp %g t %g: %.12f vs %.12f", dfs[i], ncps[j],
                     ts[k], got, want);
            }
    /* ncp 0 is Student's t */
    for (size_t i = 0; i < sizeof dfs / sizeof *dfs; i++)
        near(dn_nct_cdf(1.7, dfs[i], 0), gsl_cdf_tdist_P(1.7, dfs[i]), 1e-9, "df %g", dfs[i]);
    /* power at ncp 0 is the level */
    near(dn_t_power(0, 9, 0.05), 0.05, 1e-9, "size");
    cr_assert(isnan(dn_nct_cdf(1, 0, 1)));
}

/* Paired (one-sample) t-test, two-sided at 0.05, 80 % power: the sample
 * sizes G*Power reports (Faul et al. 2007; also Cohen 1988, table 2.4.1 via
 * n = n_two-sample / 2 + 1 for large n): d = 0.2: 199, 0.5: 34, 0.8: 15,
 * 1.0: 10. Two-sample (per group): d = 0.5: 64, 0.8: 26 (Cohen's table and
 * G*Power agree). Each n is checked as the first that reaches 80 %. */
Test(power, seeds_needed_match_published_tables)
{
    struct {
        double d;
        int paired;
        long n;
    } cases[] = {{0.2, 1, 199}, {0.5, 1, 34}, {0.8, 1, 15}, {1.0, 1, 10},
                 {0.5, 0, 64},  {0.8, 0, 26}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        long n = dn_seeds_needed(cases[i].d, cases[i].paired, 0.05, 0.80);
        cr_assert_eq(n, cases[i].n, "d = %g %s: %ld, table %ld", cases[i].d,
                     cases[i].paired ? "paired" : "per group", n, cases[i].n);
        cr_assert_eq(dn_seeds_needed(-cases[i].d, cases[i].paired, 0.05, 0.80), n, "sign");
    }
    /* One-sample, n = 10, d = 1: power 0.8031 (G*Power) */
    near(dn_t_power(1.0 * sqrt(10.0), 9, 0.05), 0.8031, 5e-5, "power");
    cr_assert_eq(dn_seeds_needed(0, 1, 0.05, 0.8), 0, "nothing to detect");
    cr_assert_eq(dn_seeds_needed(NAN, 1, 0.05, 0.8), 0);
    cr_assert_eq(dn_seeds_needed(1e-4, 1, 0.05, 0.8), -1, "more than the limit");
    cr_assert(dn_seeds_needed(50, 1, 0.05, 0.8) >= 2, "at least 2");
}
