/* Equivalence within a margin: two one-sided t-tests (TOST). */
#include "core/internal.h"

#include <gsl/gsl_cdf.h>
#include <math.h>

int dn_tost(double diff, double se, double df, double margin, double alpha, dn_tost_result *out,
            dn_err *err)
{
    if (!(margin > 0.0) || !isfinite(margin))
        return dn_fail(err, DN_EINVAL, "equivalence margin %g is not a positive number", margin);
    if (!(alpha > 0.0 && alpha < 0.5))
        return dn_fail(err, DN_EINVAL, "equivalence test level %g is outside (0, 0.5)", alpha);
    out->margin = margin;
    out->p_lower = out->p_upper = out->p = out->lo = out->hi = NAN;
    out->equivalent = false;
    /* No spread or too few values: no t statistic, no test. */
    if (!isfinite(diff) || !(se > 0.0) || !isfinite(se) || !(df > 0.0) || !isfinite(df))
        return DN_OK;
    /* H0: diff <= -margin against diff > -margin, and H0: diff >= margin
     * against diff < margin; both rejected at alpha is equivalence, the same
     * as the 1 - 2 alpha interval lying inside (-margin, margin). */
    out->p_lower = gsl_cdf_tdist_Q((diff + margin) / se, df);
    out->p_upper = gsl_cdf_tdist_P((diff - margin) / se, df);
    out->p = fmax(out->p_lower, out->p_upper);
    double half = gsl_cdf_tdist_Qinv(alpha, df) * se;
    out->lo = diff - half;
    out->hi = diff + half;
    out->equivalent = out->p < alpha;
    return DN_OK;
}
