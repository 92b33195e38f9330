/* metrics.csv and steps.csv (src/files/metrics.c): the input is the file, read
 * by both strict readers (at most one of them accepts a given header). What
 * is accepted must be what the readers promise: epochs (and steps) that
 * increase, values in their ranges. */
#include "fuzz_util.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("in", data, size);
    dn_err err = {0};
    dn_metrics m;
    if (dn_metrics_read(path, &m, &err) == DN_OK) {
        for (size_t i = 0; i < m.n; i++) {
            if (m.epoch[i] < 1 || (i > 0 && m.epoch[i] <= m.epoch[i - 1]))
                fuzz_fail("row %zu: epoch %d accepted", i, m.epoch[i]);
            for (int k = 0; k < DN_METRIC_COUNT; k++) {
                double v = m.col[k][i];
                int val = k == DN_METRIC_VAL_LOSS || k == DN_METRIC_VAL_ACC;
                if (val && !m.has_val && !isnan(v))
                    fuzz_fail("row %zu: %s = %g without val columns", i,
                              dn_metric_name((dn_metric)k), v);
                if (val && !m.has_val)
                    continue;
                int nan_ok = k == DN_METRIC_TEST_LOSS || k == DN_METRIC_TEST_ACC ||
                             k == DN_METRIC_GAP;
                if (isnan(v) ? !nan_ok : !isfinite(v))
                    fuzz_fail("row %zu: %s = %g accepted", i, dn_metric_name((dn_metric)k), v);
            }
        }
        dn_metrics_free(&m);
    } else {
        fuzz_one_line(&err);
    }
    dn_steps s;
    if (dn_steps_read(path, &s, &err) == DN_OK) {
        for (size_t i = 0; i < s.n; i++) {
            const dn_step_point *p = &s.rows[i];
            if (p->step < 1 || p->step > p->steps_per_epoch || p->epoch < 1 ||
                !(p->train_acc >= 0.0 && p->train_acc <= 1.0) || !isfinite(p->train_loss))
                fuzz_fail("row %zu: epoch %d step %zu of %zu accepted", i, p->epoch, p->step,
                          p->steps_per_epoch);
            double at = dn_step_progress(p);
            if (!(at >= p->epoch - 1 && at <= p->epoch))
                fuzz_fail("row %zu: progress %g outside epoch %d", i, at, p->epoch);
            const dn_step_point *q = i > 0 ? &s.rows[i - 1] : NULL;
            if (q && (p->epoch < q->epoch || (p->epoch == q->epoch && p->step <= q->step)))
                fuzz_fail("row %zu does not follow row %zu", i, i - 1);
        }
        dn_steps_free(&s);
    } else {
        fuzz_one_line(&err);
    }
    return 0;
}
