/* Exact rank tests with ties against enumeration in the test itself, the
 * defects of the earlier statistics as regression tests, and small cases of
 * TOST, McNemar and the bootstrap worked by hand. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define near(got, want, tol, ...) cr_assert(fabs((got) - (want)) <= (tol), __VA_ARGS__)

/* Mid-ranks computed the slow way: 1 + (values below) + (equal ones - 1) / 2,
 * values within tol of each other equal. */
static void mid_ranks(const double *v, int n, double tol, double *rank)
{
    for (int i = 0; i < n; i++) {
        int below = 0, equal = 0;
        for (int j = 0; j < n; j++) {
            if (fabs(v[j] - v[i]) <= tol)
                equal++;
            else if (v[j] < v[i])
                below++;
        }
        rank[i] = 1 + below + (equal - 1) / 2.0;
    }
}

/* The two-sided signed-rank p by listing all 2^m sign patterns of the
 * nonzero differences' mid-ranks. */
static double signrank_enumerated(const double *d, int n)
{
    double mag[32], rank[32], largest = 0;
    int pos[32], m = 0;
    for (int i = 0; i < n; i++)
        largest = fmax(largest, fabs(d[i]));
    for (int i = 0; i < n; i++)
        if (fabs(d[i]) > 1e-9 * largest) {
            mag[m] = fabs(d[i]);
            pos[m++] = d[i] > 0;
        }
    if (m == 0)
        return 1.0;
    mid_ranks(mag, m, 1e-9 * largest, rank);
    double w = 0;
    for (int i = 0; i < m; i++)
        w += pos[i] ? rank[i] : 0;
    double ge = 0, le = 0, total = ldexp(1.0, m);
    for (unsigned long s = 0; s < (1ul << m); s++) {
        double x = 0;
        for (int i = 0; i < m; i++)
            if (s >> i & 1)
                x += rank[i];
        ge += x >= w - 1e-9;
        le += x <= w + 1e-9;
    }
    return fmin(1.0, 2.0 * fmin(ge, le) / total);
}

/* The three cases of the issue: the normal approximation gave 0.0477,
 * 0.149 and 0.0975, below the exact values and (the first) below 2^(1-n). */
Test(signrank, exact_with_ties_defect_cases)
{
    static const double d1[5] = {0.1, 0.2, 0.2, 0.2, 0.2};
    static const double d2[3] = {1, 1, 1};
    static const double d3[4] = {0.1, 0.2, 0.2, 0.3};
    dn_wilcoxon w;
    cr_assert_eq(dn_wilcoxon_signed_rank(d1, 5, &w, NULL), DN_OK);
    cr_assert_eq(w.exact, 1);
    cr_assert_eq(w.p, 0.0625, "p = %g (exact 1/16: all five positive)", w.p);
    cr_assert_eq(signrank_enumerated(d1, 5), 0.0625);
    cr_assert_eq(dn_wilcoxon_signed_rank(d2, 3, &w, NULL), DN_OK);
    cr_assert_eq(w.p, 0.25, "p = %g", w.p);
    cr_assert_eq(dn_wilcoxon_signed_rank(d3, 4, &w, NULL), DN_OK);
    cr_assert_eq(w.p, 0.125, "p = %g", w.p);
    cr_assert_eq(signrank_enumerated(d3, 4), 0.125);
}

/* Differences in steps of 0.01 with many ties, zeros and both signs, for
 * every n up to 20: the p-value is the enumerated one. */
Test(signrank, matches_enumeration_up_to_20)
{
    dn_stream s = {424242, 1, 0};
    uint64_t k = 0;
    for (int n = 1; n <= 20; n++)
        for (int rep = 0; rep < (n <= 14 ? 12 : 2); rep++) {
            double d[20];
            for (int i = 0; i < n; i++) /* -0.04 .. 0.08: ties and zeros */
                d[i] = 0.01 * ((int)dn_uniform_below(s, k++, 13) - 4);
            dn_wilcoxon w;
            cr_assert_eq(dn_wilcoxon_signed_rank(d, n, &w, NULL), DN_OK);
            cr_assert_eq(w.exact, 1);
            double want = signrank_enumerated(d, n);
            near(w.p, want, 1e-12, "n = %d: p %.10f, enumerated %.10f", n, w.p, want);
            cr_assert(w.p >= fmin(1.0, ldexp(1.0, 1 - w.n)) - 1e-15,
                      "n = %d: p %g below the floor 2^(1-m)", n, w.p);
        }
}

/* The two-sided rank-sum p by listing all choices of nb of the N values
 * for b: the rank sums at least as far from their mean as the observed. */
static double ranksum_enumerated(const double *a, int na, const double *b, int nb,
                                 double *p_greater)
{
    int n = na + nb;
    double v[24], rank[24], largest = 0;
    for (int i = 0; i < n; i++) {
        v[i] = i < na ? a[i] : b[i - na];
        largest = fmax(largest, fabs(v[i]));
    }
    mid_ranks(v, n, 1e-9 * largest, rank);
    double w = 0, mean = nb * (n + 1) / 2.0;
    for (int i = na; i < n; i++)
        w += rank[i];
    double far = 0, ge = 0, total = 0;
    for (unsigned long s = 0; s < (1ul << n); s++) {
        if (__builtin_popcountl(s) != nb)
            continue;
        double x = 0;
        for (int i = 0; i < n; i++)
            if (s >> i & 1)
                x += rank[i];
        total++;
        far += fabs(x - mean) >= fabs(w - mean) - 1e-9;
        ge += x >= w - 1e-9;
    }
    *p_greater = ge / total;
    return far / total;
}

Test(ranksum, matches_enumeration_with_ties)
{
    dn_stream s = {777, 2, 0};
    uint64_t k = 0;
    for (int na = 1; na <= 8; na++)
        for (int nb = 1; nb <= 8; nb++) {
            double a[8], b[8];
            for (int i = 0; i < na; i++)
                a[i] = 0.5 * dn_uniform_below(s, k++, 6);
            for (int i = 0; i < nb; i++)
                b[i] = 0.5 * dn_uniform_below(s, k++, 7);
            dn_ranksum r;
            cr_assert_eq(dn_ranksum_test(a, na, b, nb, &r, NULL), DN_OK);
            cr_assert_eq(r.exact, 1);
            double pg, p = ranksum_enumerated(a, na, b, nb, &pg);
            near(r.p, p, 1e-12, "%d, %d: p %.10f, enumerated %.10f", na, nb, r.p, p);
            near(r.p_greater, pg, 1e-12, "%d, %d: one-sided", na, nb);
        }
}

/* R's wilcox.test help page: permeability constants of the placental
 * membrane at term (x) and 12-26 weeks (y), Hollander and Wolfe (1973)
 * p. 69; wilcox.test(x, y, alternative = "g") prints "W = 35, p-value =
 * 0.1272" (W counts x's rank sum minus 55). */
Test(ranksum, hollander_wolfe_placenta)
{
    static const double x[10] = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
    static const double y[5] = {1.15, 0.88, 0.90, 0.74, 1.21};
    dn_ranksum r;
    cr_assert_eq(dn_ranksum_test(y, 5, x, 10, &r, NULL), DN_OK);
    cr_assert_eq(r.w, 90.0);
    near(r.p_greater, 0.1272, 5e-5, "p = %.6f", r.p_greater);
}

/* No spread (issue: identical nonzero differences gave t = inf, p = 0 and
 * "not luck"): no t, no interval, the exact signed-rank p 2^(1-n). */
Test(compare_samples, zero_spread)
{
    double a[6] = {84.1, 84.5, 83.9, 84.0, 84.7, 84.2}, b[6];
    for (int i = 0; i < 6; i++)
        b[i] = a[i] + 0.1;
    dn_compare_opts o = {.paired = true};
    dn_comparison c;
    char text[600];
    for (int n = 2; n <= 6; n++) {
        cr_assert_eq(dn_compare_samples(a, n, b, n, &o, &c, NULL), DN_OK);
        cr_assert(isnan(c.p_t) && isnan(c.ci_low) && isnan(c.ci_high) && isnan(c.dz));
        cr_assert(c.no_spread);
        cr_assert_eq(c.seeds_needed, 0, "no sd: no power figure");
        near(c.p_wilcoxon, ldexp(1.0, 1 - n), 1e-15, "n = %d: p %g", n, c.p_wilcoxon);
        dn_comparison_verdict(&c, "A", "B", "test accuracy", "points", 2, text, sizeof text);
        cr_assert(!strstr(text, "inf") && !strstr(text, "nan"), "%s", text);
        if (n < 3) {
            cr_assert_eq(c.verdict, DN_VERDICT_TOO_FEW);
            cr_assert(strstr(text, "no verdict"), "%s", text);
        } else {
            cr_assert_eq(c.verdict, n >= 6 ? DN_VERDICT_DIFFERENT : DN_VERDICT_NOT_SHOWN,
                         "n = %d", n);
            cr_assert(strstr(text, "no spread"), "%s", text);
        }
    }
    cr_assert_eq(dn_compare_samples(a, 6, a, 6, &o, &c, NULL), DN_OK);
    cr_assert_eq(c.verdict, DN_VERDICT_IDENTICAL);
}

Test(format, p_values_keep_their_side_of_005)
{
    char s[32];
    struct {
        double p;
        const char *want;
    } cases[] = {{0.0496, "0.0496"}, {0.0504, "0.0504"}, {0.04996, "0.04996"},
                 {0.05004, "0.0500"}, {0.37, "0.37"}, {0.123, "0.12"}, {1.0, "1.0"},
                 {0.0012345, "0.0012"}, {0.00003, "< 0.0001"}, {0.011, "0.011"},
                 {0.0625, "0.062"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        dn_format_p(cases[i].p, s, sizeof s);
        cr_assert_str_eq(s, cases[i].want, "p = %g", cases[i].p);
    }
    dn_format_p(NAN, s, sizeof s);
    cr_assert_str_eq(s, "n/a");
    char ci[100];
    dn_format_ci(0.3, 0.004, 0.596, 2, 0, ci, sizeof ci);
    cr_assert_str_eq(ci, "0.30 [0.004, 0.60]");
    dn_format_ci(-0.3, -0.596, -0.0004, 2, 1, ci, sizeof ci);
    cr_assert_str_eq(ci, "-0.30 [-0.60, -0.0004]");
    dn_format_ci(0.3, 0, 0.6, 2, 0, ci, sizeof ci);
    cr_assert_str_eq(ci, "0.30 [0.00, 0.60]", "an exact 0 stays 0.00");
    dn_format_ci(0.3, NAN, NAN, 2, 0, ci, sizeof ci);
    cr_assert_str_eq(ci, "0.30");
}

/* TOST with difference 0.1, standard error 0.1, 9 degrees of freedom. With
 * margin 0.5 the one-sided statistics are (0.1 + 0.5) / 0.1 = 6 and
 * (0.1 - 0.5) / 0.1 = -4, so p = P(T9 > 4), half the two-sided p of t = 4;
 * the 90 % interval is 0.1 -+ t(0.95, 9) 0.1 = 0.1 -+ 0.1833 (t table:
 * 1.833), inside +-0.5: equivalent. With margin 0.2 the upper statistic is
 * -1 and p = P(T9 > 1) = 0.1717 (t table: between t(0.80, 9) = 0.883 and
 * t(0.85, 9) = 1.100, so between 0.15 and 0.20); 0.2833 > 0.2: not. */
Test(tost, worked_by_hand)
{
    dn_tost_result r;
    cr_assert_eq(dn_tost(0.1, 0.1, 9, 0.5, 0.05, &r, NULL), DN_OK);
    near(r.p, dn_t_pvalue(4.0, 9) / 2.0, 1e-15, "p %g", r.p);
    near(r.lo, 0.1 - 0.1833, 5e-5, "lo %g", r.lo);
    near(r.hi, 0.1 + 0.1833, 5e-5, "hi %g", r.hi);
    cr_assert(r.equivalent);
    cr_assert_eq(dn_tost(0.1, 0.1, 9, 0.2, 0.05, &r, NULL), DN_OK);
    near(r.p, dn_t_pvalue(1.0, 9) / 2.0, 1e-15, "p %g", r.p);
    cr_assert(r.p > 0.15 && r.p < 0.20, "p %g", r.p);
    cr_assert(!r.equivalent);
    /* no standard error: no test */
    cr_assert_eq(dn_tost(0.1, 0.0, 9, 0.5, 0.05, &r, NULL), DN_OK);
    cr_assert(isnan(r.p) && !r.equivalent);
    cr_assert_eq(dn_tost(0.1, 0.1, 9, 0.0, 0.05, &r, NULL), DN_EINVAL);

    /* Through the comparison: differences 0.1, -0.1, 0.2, 0 have mean 0.05
     * and sd sqrt(0.05 / 3); within +-1 they are equivalent, and the
     * verdict says so. */
    double a[4] = {0, 0, 0, 0}, b[4] = {0.1, -0.1, 0.2, 0};
    dn_compare_opts o = {.paired = true, .margin = 1.0};
    dn_comparison c;
    cr_assert_eq(dn_compare_samples(a, 4, b, 4, &o, &c, NULL), DN_OK);
    near(c.sd_diff, sqrt(0.05 / 3), 1e-15, "sd");
    near(c.dz, 0.05 / sqrt(0.05 / 3), 1e-12, "dz");
    cr_assert(c.has_tost && c.tost.equivalent);
    cr_assert_eq(c.verdict, DN_VERDICT_EQUIVALENT);
    char text[600];
    dn_comparison_verdict(&c, "A", "B", "", "", 2, text, sizeof text);
    cr_assert(strstr(text, "equivalent within +-1.00"), "%s", text);
    cr_assert(strstr(text, "very wide"), "4 seeds: %s", text);
}

/* McNemar: 1 example only A gets right, 9 only B: p = 2 P(X <= 1),
 * X ~ binomial(10, 1/2), = 2 (1 + 10) / 1024. */
Test(models, mcnemar_worked_by_hand)
{
    near(dn_mcnemar_exact(1, 9), 22.0 / 1024.0, 1e-15, "1, 9");
    near(dn_mcnemar_exact(9, 1), 22.0 / 1024.0, 1e-15, "9, 1");
    near(dn_mcnemar_exact(0, 5), 2.0 / 32.0, 1e-15, "0, 5");
    cr_assert_eq(dn_mcnemar_exact(5, 5), 1.0);
    cr_assert_eq(dn_mcnemar_exact(0, 0), 1.0);
}

/* 10,000 examples: 9,000 both right, 300 only A, 400 only B. The bootstrap
 * interval of B - A (0.01) is close to the normal one, 0.01 -+ 1.96 se with
 * se^2 = ((300 + 400) / n - 0.01^2) / n; same seed, same interval. */
Test(models, bootstrap_interval)
{
    long n = 10000;
    uint8_t *ra = malloc((size_t)n), *rb = malloc((size_t)n);
    cr_assert(ra && rb);
    for (long i = 0; i < n; i++) {
        ra[i] = i < 9000 || (i >= 9000 && i < 9300);
        rb[i] = i < 9000 || (i >= 9300 && i < 9700);
    }
    dn_model_pair r, r2, r3;
    cr_assert_eq(dn_compare_predictions(ra, rb, n, 10000, 1, 0.95, &r, NULL), DN_OK);
    cr_assert_eq(r.both, 9000);
    cr_assert_eq(r.a_only, 300);
    cr_assert_eq(r.b_only, 400);
    cr_assert_eq(r.neither, 300);
    near(r.acc_a, 0.93, 1e-15, "acc A");
    near(r.diff, 0.01, 1e-15, "diff");
    double se = sqrt((700.0 / n - 0.01 * 0.01) / n);
    near(r.lo, 0.01 - 1.96 * se, 0.0004, "lo %g vs %g", r.lo, 0.01 - 1.96 * se);
    near(r.hi, 0.01 + 1.96 * se, 0.0004, "hi %g vs %g", r.hi, 0.01 + 1.96 * se);
    near(r.p_mcnemar, 2 * 0.5 * erfc((400 - 350 - 0.5) / sqrt(175.0) / sqrt(2.0)), 0.002,
         "McNemar p %g near its normal approximation", r.p_mcnemar);
    cr_assert_eq(dn_compare_predictions(ra, rb, n, 10000, 1, 0.95, &r2, NULL), DN_OK);
    cr_assert(r2.lo == r.lo && r2.hi == r.hi, "same seed, same interval");
    cr_assert_eq(dn_compare_predictions(ra, rb, n, 10000, 2, 0.95, &r3, NULL), DN_OK);
    cr_assert(r3.lo != r.lo || r3.hi != r.hi, "another seed, other resamples");
    cr_assert_eq(dn_compare_predictions(ra, rb, n, 5, 1, 0.95, &r3, NULL), DN_EINVAL);
    free(ra);
    free(rb);
}

/* Unpaired: Welch, the rank-sum test, no dz; the verdict names the sides. */
Test(compare_samples, unpaired_and_too_few)
{
    double a[5] = {1, 2, 3, 4, 5}, b[4] = {3, 4, 5, 6};
    dn_compare_opts o = {0};
    dn_comparison c;
    cr_assert_eq(dn_compare_samples(a, 5, b, 4, &o, &c, NULL), DN_OK);
    cr_assert(!c.paired);
    cr_assert_eq(c.n_a, 5);
    cr_assert_eq(c.n_b, 4);
    near(c.diff, 1.5, 1e-15, "diff");
    cr_assert(isnan(c.dz) && isnan(c.sd_diff));
    cr_assert(!isnan(c.p_t) && !isnan(c.p_wilcoxon));
    cr_assert(c.seeds_needed > 2);
    char text[600];
    dn_comparison_verdict(&c, "old", "new", "", "", 2, text, sizeof text);
    cr_assert(strstr(text, "new is 1.50 higher than old"), "%s", text);
    cr_assert(strstr(text, "5 and 4 seeds, unpaired"), "%s", text);
    cr_assert_eq(dn_compare_samples(a, 2, b, 2, &o, &c, NULL), DN_OK);
    cr_assert_eq(c.verdict, DN_VERDICT_TOO_FEW);
    o.paired = true;
    cr_assert_eq(dn_compare_samples(a, 5, b, 4, &o, &c, NULL), DN_EINVAL);
}
