/* Numbers for reports: p-values and intervals with the digits that keep
 * their meaning. */
#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void dn_format_p(double p, char *out, size_t size)
{
    if (isnan(p)) {
        snprintf(out, size, "n/a");
        return;
    }
    if (p < 0.0001) {
        snprintf(out, size, "< 0.0001");
        return;
    }
    /* 2 significant digits, 3 near 0.05, and more while the printed value
     * would land on the other side of 0.05 than p itself (0.0496 must not
     * print as 0.050 beside "not explained by luck"). */
    int sig = p >= 0.04 && p < 0.06 ? 3 : 2;
    for (;; sig++) {
        int dec = sig - 1 - (int)floor(log10(p));
        if (dec < 1)
            dec = 1;
        snprintf(out, size, "%.*f", dec, p);
        double shown = strtod(out, NULL);
        if ((shown < 0.05) == (p < 0.05) || sig >= 8)
            return;
    }
}

/* v with at least `decimals` decimals, and more (up to 6 more) when v is
 * not 0 but would print as 0, so that its sign shows. */
static void end_text(double v, int decimals, int sign, char *out, size_t size)
{
    const char *f = sign ? "%+.*f" : "%.*f";
    int dec = decimals;
    if (v != 0.0)
        while (dec < decimals + 6 && fabs(v) < 0.5 * pow(10.0, -dec))
            dec++;
    snprintf(out, size, f, dec, v);
}

void dn_format_ci(double mean, double lo, double hi, int decimals, int sign, char *out,
                  size_t size)
{
    char m[64], l[64], h[64];
    snprintf(m, sizeof m, sign ? "%+.*f" : "%.*f", decimals, mean);
    if (isnan(lo) || isnan(hi)) {
        snprintf(out, size, "%s", m);
        return;
    }
    end_text(lo, decimals, sign, l, sizeof l);
    end_text(hi, decimals, sign, h, sizeof h);
    snprintf(out, size, "%s [%s, %s]", m, l, h);
}
