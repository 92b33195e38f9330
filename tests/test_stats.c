/* Statistics (src/stats/stats.c) against published values, and the coverage
 * of its intervals in simulated experiments. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#define near(got, want, tol, ...) \
    cr_assert(fabs((got) - (want)) <= (tol), __VA_ARGS__)

/* Upper critical values t(1 - alpha, df) as printed (3 decimals) in the
 * NIST/SEMATECH e-Handbook of Statistical Methods, section 1.3.6.7.2,
 * "Critical Values of the Student's t Distribution". Columns: alpha = 0.10,
 * 0.05, 0.025, 0.01, 0.005. (Its 0.001 column is left out: its entry for
 * one degree of freedom, 318.313, is off in the third decimal.) */
Test(stats, t_quantiles_match_the_nist_table)
{
    static const double alpha[5] = {0.10, 0.05, 0.025, 0.01, 0.005};
    static const struct {
        double df;
        double t[5];
    } table[] = {
        {1, {3.078, 6.314, 12.706, 31.821, 63.657}},
        {2, {1.886, 2.920, 4.303, 6.965, 9.925}},
        {5, {1.476, 2.015, 2.571, 3.365, 4.032}},
        {9, {1.383, 1.833, 2.262, 2.821, 3.250}},
        {10, {1.372, 1.812, 2.228, 2.764, 3.169}},
        {30, {1.310, 1.697, 2.042, 2.457, 2.750}},
        {100, {1.290, 1.660, 1.984, 2.364, 2.626}},
    };
    for (size_t r = 0; r < sizeof table / sizeof *table; r++)
        for (int c = 0; c < 5; c++) {
            double got = dn_t_quantile(1.0 - alpha[c], table[r].df);
            /* half a unit of the last printed decimal */
            near(got, table[r].t[c], 0.0005 + 1e-12, "t(%g, %g) = %.5f, table %.3f",
                 1.0 - alpha[c], table[r].df, got, table[r].t[c]);
            near(dn_t_quantile(alpha[c], table[r].df), -got, 1e-9, "symmetry");
        }
    /* the table's last row, infinite degrees of freedom: the normal */
    near(dn_t_quantile(0.975, 1e9), 1.960, 0.0005, "t(0.975, inf)");
    cr_assert(isnan(dn_t_quantile(0.0, 5)));
    cr_assert(isnan(dn_t_quantile(1.0, 5)));
    cr_assert(isnan(dn_t_quantile(0.5, 0)));
    cr_assert(isnan(dn_t_quantile(NAN, 3)));
    /* p-values invert the quantiles */
    near(dn_t_pvalue(dn_t_quantile(0.975, 9), 9), 0.05, 1e-12, "two-sided p");
    cr_assert_eq(dn_t_pvalue(0.0, 9), 1.0);
    cr_assert_eq(dn_t_pvalue(INFINITY, 9), 0.0);
}

/* Cushny and Peebles' sleep data as Student printed them ("The probable
 * error of a mean", Biometrika 6(1), 1908, p. 20): hours of sleep gained by
 * ten patients with the dextro (a) and laevo (b) isomer of hyoscyamine
 * hydrobromide; R ships them as its `sleep` data set. The paired t-test of
 * these data is printed, from R's t.test(..., paired = TRUE), in Winston
 * Chang's "Cookbook for R" ("Comparing means with a t-test"): t = -4.0621,
 * df = 9, p-value = 0.002833, 95 percent confidence interval -2.4598858
 * -0.7001142, mean of the differences -1.58 (there a - b; here b - a, so
 * the signs flip). Fisher (Statistical Methods for Research Workers, 1925,
 * section 24) gives t = 4.06 for the same differences. */
static const double sleep_a[10] = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
static const double sleep_b[10] = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};

Test(stats, paired_t_test_of_the_sleep_data)
{
    dn_paired r;
    dn_err err = {0};
    cr_assert_eq(dn_paired_compare(sleep_a, sleep_b, 10, 0.95, &r, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(r.n, 10);
    near(r.diff.mean, 1.58, 1e-12, "mean difference %g", r.diff.mean);
    near(r.t, 4.0621, 5e-5, "t = %.6f", r.t);
    near(r.p_t, 0.002833, 5e-7, "p = %.8f", r.p_t);
    near(r.diff.lo, 0.7001142, 5e-8, "lower limit %.8f", r.diff.lo);
    near(r.diff.hi, 2.4598858, 5e-8, "upper limit %.8f", r.diff.hi);
}

/* The same data, Wilcoxon's signed-rank test. One difference is 0 (dropped)
 * and two are tied (1.3 and 1.3 share the mid-rank 4.5); all nine
 * nonzero ones favour b: W+ = 1 + ... + 9 = 45, the largest value, reached
 * by one sign pattern of 2^9. Exactly, P(W+ >= 45) = 1/512 and the
 * two-sided p is 2/512. (R's wilcox.test leaves the exact distribution when
 * there are ties and prints the normal approximation, "V = 0, p-value =
 * 0.009091", more than twice the exact value.) */
Test(stats, wilcoxon_of_the_sleep_data_exact_with_ties)
{
    dn_paired r;
    dn_err err = {0};
    cr_assert_eq(dn_paired_compare(sleep_a, sleep_b, 10, 0.95, &r, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(r.wilcoxon.n, 9, "the zero difference is dropped");
    cr_assert_eq(r.wilcoxon.exact, 1, "ties: still the exact distribution");
    cr_assert_eq(r.wilcoxon.w_plus, 45.0);
    cr_assert_eq(r.wilcoxon.p_greater, 1.0 / 512.0);
    cr_assert_eq(r.wilcoxon.p, 2.0 / 512.0);
    /* and from the other side */
    cr_assert_eq(dn_paired_compare(sleep_b, sleep_a, 10, 0.95, &r, &err), DN_OK);
    cr_assert_eq(r.wilcoxon.w_plus, 0.0);
    cr_assert_eq(r.wilcoxon.p, 2.0 / 512.0);
    near(r.t, -4.0621, 5e-5, "t = %.6f", r.t);
}

/* Hollander and Wolfe, Nonparametric Statistical Methods (1973), pp. 27-29:
 * Hamilton depression scale of nine patients at the first (x) and second
 * (y) visit after a tranquilizer. They find T+ = 40 and, from the exact
 * distribution, P = .020 for the one-sided test; R's wilcox.test help page
 * uses this example and prints "V = 40, p-value = 0.01953". Exactly: the
 * subsets of ranks 1..9 summing to at most 5 number 10, p = 10/512. */
Test(stats, wilcoxon_exact_hollander_wolfe)
{
    static const double x[9] = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
    static const double y[9] = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
    double d[9];
    for (int i = 0; i < 9; i++)
        d[i] = x[i] - y[i];
    dn_wilcoxon w;
    dn_err err = {0};
    cr_assert_eq(dn_wilcoxon_signed_rank(d, 9, &w, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(w.n, 9);
    cr_assert_eq(w.exact, 1);
    cr_assert_eq(w.w_plus, 40.0);
    near(w.p_greater, 0.01953, 5e-6, "p = %.8f", w.p_greater);
    cr_assert_eq(w.p_greater, 10.0 / 512.0);
    cr_assert_eq(w.p, 20.0 / 512.0, "two-sided: twice the smaller tail");
    /* P(W+ <= 40) = 1 - P(W+ >= 41) = 1 - P(W+ <= 4): 7 subsets */
    cr_assert_eq(w.p_less, 1.0 - 7.0 / 512.0);
}

/* Welch's test on the sleep data as two independent groups: R's t.test
 * default, printed in the same cookbook: t = -1.8608, df = 17.776,
 * p-value = 0.07939, 95 percent confidence interval -3.3654832 0.2054832
 * (a - b there). */
Test(stats, welch_of_the_sleep_data)
{
    dn_welch w;
    dn_err err = {0};
    cr_assert_eq(dn_welch_compare(sleep_a, 10, sleep_b, 10, 0.95, &w, &err), DN_OK, "%s",
                 err.msg);
    near(w.diff, 1.58, 1e-12, "difference");
    near(w.t, 1.8608, 5e-5, "t = %.6f", w.t);
    near(w.df, 17.776, 5e-4, "df = %.6f", w.df);
    near(w.p, 0.07939, 5e-6, "p = %.8f", w.p);
    near(w.lo, -0.2054832, 5e-8, "lower %.8f", w.lo);
    near(w.hi, 3.3654832, 5e-8, "upper %.8f", w.hi);
    cr_assert_eq(dn_welch_compare(sleep_a, 1, sleep_b, 10, 0.95, &w, &err), DN_EINVAL);
}

/* Simulated experiments: n draws from N(3, 2^2), the 95 % interval of their
 * mean, repeated 2,000 times. The interval must cover 3 in 94-96 % of them
 * (the binomial standard deviation of the rate is 0.49 points, so the band
 * is about +-2 of them). With n = 5 the normal quantile 1.96 in place of t
 * would cover only about 88 %: the check tells the two apart. */
static double coverage(int n, double quantile_override)
{
    const double mu = 3.0, sigma = 2.0;
    int covered = 0;
    double x[64];
    for (uint32_t e = 0; e < 2000; e++) {
        dn_stream s = {20261128, 7, e};
        for (int i = 0; i < n; i++)
            x[i] = mu + sigma * dn_normal(s, (uint64_t)i);
        dn_interval ci;
        cr_assert_eq(dn_mean_interval(x, n, 0.95, &ci, NULL), DN_OK);
        if (quantile_override > 0) {
            double half = quantile_override * ci.sd / sqrt((double)n);
            ci.lo = ci.mean - half;
            ci.hi = ci.mean + half;
        }
        covered += ci.lo <= mu && mu <= ci.hi;
    }
    return covered / 2000.0;
}

Test(stats, interval_coverage_in_simulated_experiments)
{
    int sizes[3] = {3, 5, 10};
    for (int k = 0; k < 3; k++) {
        double c = coverage(sizes[k], 0);
        cr_assert(c >= 0.94 && c <= 0.96, "n = %d: 95 %% intervals covered the mean in %.2f %%",
                  sizes[k], 100 * c);
    }
    double z = coverage(5, 1.959964);
    cr_assert(z < 0.91, "normal quantile with n = 5 covers %.2f %%", 100 * z);
}

Test(stats, intervals_and_edge_cases)
{
    dn_interval ci;
    dn_err err = {0};
    double one = 2.5;
    cr_assert_eq(dn_mean_interval(&one, 1, 0.95, &ci, &err), DN_OK);
    cr_assert_eq(ci.mean, 2.5);
    cr_assert(isnan(ci.sd) && isnan(ci.lo) && isnan(ci.hi));
    /* mean 2, sd 1, n 4: 2 -+ t(0.975, 3) / 2 */
    double x[4] = {1, 2, 2, 3};
    double sd = sqrt(2.0 / 3.0);
    cr_assert_eq(dn_mean_interval(x, 4, 0.95, &ci, &err), DN_OK);
    near(ci.sd, sd, 1e-15, "sd");
    near(ci.hi - ci.mean, 3.182446305 * sd / 2.0, 1e-8, "half width");
    cr_assert_eq(dn_mean_interval(x, 0, 0.95, &ci, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "0 values"), "%s", err.msg);
    cr_assert_eq(dn_mean_interval(x, 4, 1.0, &ci, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "confidence level"), "%s", err.msg);
    x[2] = NAN;
    cr_assert_eq(dn_mean_interval(x, 4, 0.95, &ci, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "value 3 is not finite"), "%s", err.msg);

    /* Paired differences that are all equal: no spread, so no t and no t
     * interval; the signed-rank test speaks. */
    double a[3] = {1, 2, 3}, b[3] = {1, 2, 3}, c[3] = {2, 3, 4};
    dn_paired p;
    cr_assert_eq(dn_paired_compare(a, b, 3, 0.95, &p, &err), DN_OK);
    cr_assert(isnan(p.t) && isnan(p.p_t));
    cr_assert(isnan(p.diff.lo) && isnan(p.diff.hi));
    cr_assert_eq(p.wilcoxon.n, 0);
    cr_assert_eq(p.wilcoxon.p, 1.0);
    cr_assert_eq(dn_paired_compare(a, c, 3, 0.95, &p, &err), DN_OK);
    cr_assert(isnan(p.t) && isnan(p.p_t), "t = %g, p = %g", p.t, p.p_t);
    cr_assert(isnan(p.diff.lo) && isnan(p.diff.hi));
    cr_assert_eq(p.diff.mean, 1.0);
    cr_assert_eq(p.wilcoxon.exact, 1, "three tied differences: exact");
    cr_assert_eq(p.wilcoxon.w_plus, 6.0, "three mid-ranks of 2");
    cr_assert_eq(p.wilcoxon.p, 0.25, "2^(1-3)");
    /* Wilcoxon on the distinct positive differences 1, 2, 3: W+ = 6,
     * P(W+ >= 6) = 1/8 exactly. */
    double e[3] = {2, 4, 6};
    cr_assert_eq(dn_paired_compare(a, e, 3, 0.95, &p, &err), DN_OK);
    cr_assert_eq(p.wilcoxon.exact, 1);
    cr_assert_eq(p.wilcoxon.w_plus, 6.0);
    cr_assert_eq(p.wilcoxon.p_greater, 0.125);
    cr_assert_eq(p.wilcoxon.p, 0.25);
    cr_assert_eq(dn_paired_compare(a, c, 1, 0.95, &p, &err), DN_OK);
    cr_assert(isnan(p.t) && isnan(p.p_t));
}

/* Rounding noise does not split ties: differences of accuracies (counts /
 * 10000) that are equal on paper are equal to the test. */
Test(stats, wilcoxon_ties_survive_rounding)
{
    double a[4] = {0.8493, 0.8582, 0.8400, 0.8311};
    double b[4] = {0.8512, 0.8601, 0.8500, 0.8311};
    dn_paired p;
    cr_assert_eq(dn_paired_compare(a, b, 4, 0.95, &p, NULL), DN_OK);
    cr_assert_eq(p.wilcoxon.n, 3, "0.8311 - 0.8311 is zero");
    cr_assert_eq(p.wilcoxon.exact, 1);
    /* 0.0019 and 0.0019 are tied: mid-ranks 1.5 and 1.5, then 3 */
    cr_assert_eq(p.wilcoxon.w_plus, 6.0);
    cr_assert_eq(p.wilcoxon.p, 0.25, "all three positive: 2 / 2^3");
}

/* For larger samples without ties, the normal approximation and the exact
 * distribution agree closely. */
Test(stats, wilcoxon_exact_and_normal_agree_for_larger_n)
{
    double d[49];
    for (int i = 0; i < 49; i++)
        d[i] = (i % 3 == 0 ? -1.0 : 1.0) * (i + 1) * 0.1;
    dn_wilcoxon exact;
    cr_assert_eq(dn_wilcoxon_signed_rank(d, 49, &exact, NULL), DN_OK);
    cr_assert_eq(exact.exact, 1);
    double d50[50];
    for (int i = 0; i < 50; i++)
        d50[i] = i < 49 ? d[i] : 4.95;
    dn_wilcoxon approx;
    cr_assert_eq(dn_wilcoxon_signed_rank(d50, 50, &approx, NULL), DN_OK);
    cr_assert_eq(approx.exact, 0, "50 differences: normal approximation");
    /* the 49 differences: exact p against the normal approximation */
    double m = 49, mean = m * (m + 1) / 4, sd = sqrt(m * (m + 1) * (2 * m + 1) / 24);
    double z = (fabs(exact.w_plus - mean) - 0.5) / sd;
    double p_normal = erfc(z / sqrt(2.0));
    near(exact.p, p_normal, 0.005, "exact %.5f vs normal %.5f", exact.p, p_normal);
}
