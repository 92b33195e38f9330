/* The Wilcoxon rank-sum (Mann-Whitney) test of two independent samples,
 * exact with ties for small samples. */
#include "core/internal.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>

int dn_ranksum_test(const double *a, int na, const double *b, int nb, dn_ranksum *out,
                    dn_err *err)
{
    if (na < 1 || nb < 1)
        return dn_fail(err, DN_EINVAL, "rank-sum test: %d and %d values (at least 1 each needed)",
                       na, nb);
    int n = na + nb;
    dn_tagged *v = malloc((size_t)n * sizeof *v);
    int *rank2 = malloc((size_t)n * sizeof *rank2);
    if (!v || !rank2) {
        free(v);
        free(rank2);
        return dn_fail(err, DN_ENOMEM, "rank-sum test: cannot allocate %d values", n);
    }
    double largest = 0.0;
    for (int i = 0; i < n; i++) {
        double x = i < na ? a[i] : b[i - na];
        if (!isfinite(x)) {
            free(v);
            free(rank2);
            return dn_fail(err, DN_EINVAL, "rank-sum test: value %d of %s is not finite",
                           i < na ? i + 1 : i - na + 1, i < na ? "a" : "b");
        }
        v[i] = (dn_tagged){x, i >= na};
        largest = fmax(largest, fabs(x));
    }
    /* Doubled mid-ranks (integers); values within 1e-9 of the largest
     * magnitude of each other are tied, as in the signed-rank test. */
    double ties = dn_midranks2(v, n, 1e-9 * largest, rank2);
    long w2 = 0;
    for (int k = 0; k < n; k++)
        if (v[k].flag)
            w2 += rank2[k];
    out->n_a = na;
    out->n_b = nb;
    out->w = w2 / 2.0;
    double mean = nb * (n + 1) / 2.0;
    if (n <= DN_RANKSUM_EXACT_MAX) {
        /* Under the null hypothesis every choice of nb of the n (tied)
         * ranks for b is equally likely: count[k][s] subsets of size k
         * with doubled rank sum s, over the ranks one by one. The counts
         * are at most C(50, 25) < 2^47, exact in doubles. */
        int top = n * (n + 1);
        size_t stride = (size_t)top + 1;
        double *count = calloc((size_t)(nb + 1) * stride, sizeof *count);
        if (!count) {
            free(v);
            free(rank2);
            return dn_fail(err, DN_ENOMEM, "rank-sum test: cannot allocate its distribution");
        }
        count[0] = 1.0;
        int reach = 0;
        for (int r = 0; r < n; r++) {
            reach += rank2[r];
            for (int k = (r + 1 < nb ? r + 1 : nb); k >= 1; k--)
                for (int s = reach; s >= rank2[r]; s--)
                    count[(size_t)k * stride + (size_t)s] +=
                        count[(size_t)(k - 1) * stride + (size_t)(s - rank2[r])];
        }
        /* With ties the distribution need not be symmetric: the
         * two-sided p counts the sums at least as far from the mean as
         * the observed one, on either side. */
        long mid2 = (long)nb * (n + 1), dev = labs(w2 - mid2);
        double le = 0.0, ge = 0.0, far = 0.0, total = 0.0;
        for (int s = 0; s <= top; s++) {
            double c = count[(size_t)nb * stride + (size_t)s];
            total += c;
            if (s <= w2)
                le += c;
            if (s >= w2)
                ge += c;
            if (labs(s - mid2) >= dev)
                far += c;
        }
        free(count);
        free(v);
        free(rank2);
        out->exact = 1;
        out->p_less = le / total;
        out->p_greater = ge / total;
        out->p = far / total;
        return DN_OK;
    } else {
        out->exact = 0;
        double var = na * (double)nb / 12.0 * ((n + 1) - ties / ((double)n * (n - 1)));
        double sd = sqrt(var);
        if (!(sd > 0.0)) {
            out->p_less = out->p_greater = 1.0;
        } else {
            out->p_greater = gsl_cdf_ugaussian_Q((out->w - mean - 0.5) / sd);
            out->p_less = gsl_cdf_ugaussian_P((out->w - mean + 0.5) / sd);
        }
    }
    free(v);
    free(rank2);
    /* Two-sided: twice the tail on the statistic's side (the permutation
     * distribution is symmetric about its mean). */
    double z = out->w - mean;
    double tail = z > 0.0 ? out->p_greater : z < 0.0 ? out->p_less
                                                     : fmin(out->p_greater, out->p_less);
    out->p = fmin(1.0, 2.0 * tail);
    return DN_OK;
}
