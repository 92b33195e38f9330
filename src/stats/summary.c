/* The analysis of two samples that compare and stats report, and its
 * verdict in words. */
#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define ALPHA 0.05
#define POWER 0.80

int dn_compare_samples(const double *a, int na, const double *b, int nb,
                       const dn_compare_opts *opts, dn_comparison *out, dn_err *err)
{
    dn_compare_opts o = opts ? *opts : (dn_compare_opts){0};
    if (o.margin < 0.0 || !isfinite(o.margin) || o.detect < 0.0 || !isfinite(o.detect))
        return dn_fail(err, DN_EINVAL, "comparison: margin and detect must be finite and >= 0");
    if (o.paired && na != nb)
        return dn_fail(err, DN_EINVAL, "paired comparison: %d values of a and %d of b", na, nb);
    memset(out, 0, sizeof *out);
    out->paired = o.paired;
    out->n_a = na;
    out->n_b = nb;
    out->n = na < nb ? na : nb;
    dn_interval ia, ib;
    int rc;
    if ((rc = dn_mean_interval(a, na, 0.95, &ia, err)) ||
        (rc = dn_mean_interval(b, nb, 0.95, &ib, err)))
        return rc;
    out->mean_a = ia.mean;
    out->mean_b = ib.mean;
    out->sd_a = ia.sd;
    out->sd_b = ib.sd;
    out->diff = ib.mean - ia.mean;
    out->sd_diff = out->dz = NAN;
    double se = NAN, df = NAN, sd_effect = NAN;
    if (o.paired) {
        dn_paired p;
        if ((rc = dn_paired_compare(a, b, na, 0.95, &p, err)))
            return rc;
        out->diff = p.diff.mean;
        out->ci_low = p.diff.lo;
        out->ci_high = p.diff.hi;
        out->t = p.t;
        out->df = na - 1;
        out->p_t = p.p_t;
        out->p_wilcoxon = p.wilcoxon.p;
        out->wilcoxon_exact = p.wilcoxon.exact;
        out->sd_diff = p.diff.sd;
        out->no_spread = na >= 2 && isnan(p.t);
        if (!isnan(p.t)) {
            out->dz = p.diff.mean / p.diff.sd;
            se = p.diff.sd / sqrt((double)na);
            df = na - 1;
            sd_effect = p.diff.sd;
        }
    } else {
        out->ci_low = out->ci_high = out->t = out->df = out->p_t = NAN;
        if (na >= 2 && nb >= 2) {
            dn_welch w;
            if ((rc = dn_welch_compare(a, na, b, nb, 0.95, &w, err)))
                return rc;
            out->ci_low = w.lo;
            out->ci_high = w.hi;
            out->t = w.t;
            out->df = w.df;
            out->p_t = w.p;
            if (!isnan(w.t)) {
                se = w.diff / w.t;
                df = w.df;
                sd_effect = sqrt((ia.sd * ia.sd + ib.sd * ib.sd) / 2.0);
            }
        }
        dn_ranksum r;
        if ((rc = dn_ranksum_test(a, na, b, nb, &r, err)))
            return rc;
        out->p_wilcoxon = r.p;
        out->wilcoxon_exact = r.exact;
        out->no_spread = na >= 2 && nb >= 2 && isnan(out->t);
    }
    out->detect = o.detect > 0.0 ? o.detect : fabs(out->diff);
    out->seeds_needed = 0;
    if (sd_effect > 0.0 && out->detect > 0.0)
        out->seeds_needed = dn_seeds_needed(out->detect / sd_effect, o.paired, ALPHA, POWER);
    out->has_tost = o.margin > 0.0;
    if (out->has_tost && (rc = dn_tost(out->diff, se, df, o.margin, ALPHA, &out->tost, err)))
        return rc;
    double scale = fmax(fabs(out->mean_a), fabs(out->mean_b));
    if (out->n < 3)
        out->verdict = DN_VERDICT_TOO_FEW;
    else if (out->no_spread && !(fabs(out->diff) > 1e-9 * scale))
        out->verdict = DN_VERDICT_IDENTICAL;
    else if (out->no_spread)
        out->verdict = out->p_wilcoxon < ALPHA ? DN_VERDICT_DIFFERENT : DN_VERDICT_NOT_SHOWN;
    else if (out->ci_low > 0.0 || out->ci_high < 0.0)
        out->verdict = DN_VERDICT_DIFFERENT;
    else if (out->has_tost && out->tost.equivalent)
        out->verdict = DN_VERDICT_EQUIVALENT;
    else
        out->verdict = DN_VERDICT_NOT_SHOWN;
    return DN_OK;
}

/* " points" or "" */
static const char *sp(const char *unit)
{
    return unit && unit[0] ? " " : "";
}

void dn_comparison_verdict(const dn_comparison *c, const char *name_a, const char *name_b,
                           const char *what, const char *unit, int decimals, char *out,
                           size_t size)
{
    unit = unit ? unit : "";
    char in[160] = "";
    if (what && what[0])
        snprintf(in, sizeof in, " in %s", what);
    char how[80];
    int n = c->n;
    if (c->paired)
        snprintf(how, sizeof how, "%d paired seed%s", n, n == 1 ? "" : "s");
    else if (c->n_a == c->n_b)
        snprintf(how, sizeof how, "%d seeds each, unpaired", n);
    else
        snprintf(how, sizeof how, "%d and %d seeds, unpaired", c->n_a, c->n_b);
    double d = c->diff;
    char dir[200];
    if (d > 0.0 || d < 0.0)
        snprintf(dir, sizeof dir, "%s is %.*f%s%s %s than %s%s", name_b, decimals, fabs(d),
                 sp(unit), unit, d > 0.0 ? "higher" : "lower", name_a, in);
    else
        snprintf(dir, sizeof dir, "%s - %s is 0%s", name_b, name_a, in);
    char ci[160], p[32];
    dn_format_ci(d, c->ci_low, c->ci_high, decimals, 1, ci, sizeof ci);
    dn_format_p(c->p_t, p, sizeof p);
    const char *br = strchr(ci, '[') ? strchr(ci, '[') : ci;
    const char *eq = p[0] == '<' ? "" : "= ";
    size_t k = 0;
    switch (c->verdict) {
    case DN_VERDICT_TOO_FEW:
        k = (size_t)snprintf(out, size, "%s - %s = %+.*f%s%s%s over %d seed%s%s: below 3 seeds "
                             "there is no verdict; run 3 or more (10 is a good start).",
                             name_b, name_a, decimals, d, sp(unit), unit, in, n,
                             n == 1 ? "" : "s", c->paired ? "" : " each");
        break;
    case DN_VERDICT_IDENTICAL:
        k = (size_t)snprintf(out, size, "%s and %s are equal%s on all %s: no difference at "
                             "all on these seeds.", name_b, name_a, in, how);
        break;
    case DN_VERDICT_EQUIVALENT: {
        char lo[64], hi[64];
        dn_format_ci(0, c->tost.lo, c->tost.hi, decimals, 1, ci, sizeof ci);
        snprintf(lo, sizeof lo, "%s", strchr(ci, '[') ? strchr(ci, '[') : "");
        dn_format_p(c->tost.p, hi, sizeof hi);
        k = (size_t)snprintf(out, size, "%s and %s are equivalent within +-%.*f%s%s%s: the 90 %% "
                             "interval of %s - %s, %s, lies inside (TOST p %s%s, %s).",
                             name_b, name_a, decimals, c->tost.margin, sp(unit), unit, in,
                             name_b, name_a, lo, hi[0] == '<' ? "" : "= ", hi, how);
        break;
    }
    case DN_VERDICT_DIFFERENT:
    case DN_VERDICT_NOT_SHOWN:
        if (c->no_spread) {
            char pw[32];
            dn_format_p(c->p_wilcoxon, pw, sizeof pw);
            k = (size_t)snprintf(out, size, "%s on every one of the %s (no spread, so no t "
                                 "interval); %s p %s%s: %s", dir, how,
                                 c->paired ? "exact signed-rank" : "rank-sum",
                                 pw[0] == '<' ? "" : "= ", pw,
                                 c->verdict == DN_VERDICT_DIFFERENT
                                     ? "more than the luck of the seed explains."
                                     : "too few seeds to rule out the luck of the seed.");
        } else if (c->verdict == DN_VERDICT_DIFFERENT) {
            k = (size_t)snprintf(out, size, "%s %s, p %s%s, over %s: more than the luck of "
                                 "the seed explains.", dir, br, eq, p, how);
        } else {
            k = (size_t)snprintf(out, size, "%s %s, p %s%s, over %s: the interval includes "
                                 "0, so the luck of the seed could explain it; no difference "
                                 "shown (which is not evidence that there is none).", dir, br,
                                 eq, p, how);
        }
        break;
    }
    if (k < size && c->has_tost && c->verdict != DN_VERDICT_EQUIVALENT &&
        c->verdict != DN_VERDICT_TOO_FEW) {
        char tp[32];
        dn_format_p(c->tost.p, tp, sizeof tp);
        k += (size_t)snprintf(out + k, size - k, " Equivalence within +-%.*f%s%s is not shown "
                              "(TOST p %s%s).", decimals, c->tost.margin, sp(unit), unit,
                              tp[0] == '<' ? "" : "= ", tp);
    }
    if (k < size && c->n >= 3 && c->n < 5 && !c->no_spread)
        snprintf(out + k, size - k, " Below 5 seeds the interval is very wide.");
}

void dn_comparison_power(const dn_comparison *c, const char *unit, int decimals, char *out,
                         size_t size)
{
    unit = unit ? unit : "";
    out[0] = '\0';
    if (c->seeds_needed == 0)
        return;
    char sd[120];
    if (c->paired)
        snprintf(sd, sizeof sd, "sd of the differences %.*f", decimals + 1, c->sd_diff);
    else
        snprintf(sd, sizeof sd, "pooled sd %.*f", decimals + 1,
                 sqrt((c->sd_a * c->sd_a + c->sd_b * c->sd_b) / 2.0));
    char need[80];
    if (c->seeds_needed < 0)
        snprintf(need, sizeof need, "more than %d", DN_SEEDS_NEEDED_MAX);
    else
        snprintf(need, sizeof need, "about %ld", c->seeds_needed);
    snprintf(out, size, "To detect a difference of %.*f%s%s%s with 80 %% power (two-sided t-test "
             "at 0.05), %s %s would be needed (%s, observed).", decimals, c->detect, sp(unit),
             unit, c->detect == fabs(c->diff) ? " (the one observed)" : "", need,
             c->paired ? "paired seeds" : "seeds per side", sd);
}
