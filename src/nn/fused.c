/* Fused elementwise passes for the pattern Linear -> ReLU -> Dropout.
 *
 * They compute bitwise what the bias add of dn_linear_forward, dn_relu_* and
 * dn_dropout_* compute one after another (the same float operations in the
 * same order, and the same Philox uniforms), in one pass over memory instead
 * of three. The mask is drawn first, row by row, so that the arithmetic loop
 * has no calls in it and vectorises. */
#include "core/internal.h"

#include <omp.h>

void dn_brd_rect(const dn_brd *f, int r0, int r1, int c0, int c1)
{
    const int W = f->W, training = f->training;
    const float p = f->p;
    const int drop = training && p > 0.0f && p < 1.0f;
    const int zero = training && p >= 1.0f;
    const uint32_t thr = drop ? dn_dropout_threshold(p) : 0;
    const float scale = drop ? (float)(1.0 / (1.0 - (double)p)) : 1.0f;
    const float *b = f->b;
    if (r0 < r1)
        dn_par_mark(DN_PAR_FUSED_FORWARD);
    for (int r = r0; r < r1; r++) {
        size_t base = (size_t)r * (size_t)W;
        uint64_t at = ((uint64_t)r + f->row0) * (uint64_t)W; /* the draws' index */
        float *zr = f->z + base, *ar = f->a + base;
        for (int j = c0; j < c1; j++) {
            float v = zr[j] + b[j];
            zr[j] = v;
            ar[j] = v > 0.0f ? v : 0.0f;
        }
        if (!training)
            continue;
        float *restrict dr = f->d + base;
        uint8_t *restrict mr = f->mask + base;
        if (drop) {
            dn_dropout_mask(mr + c0, at + (uint64_t)c0, at + (uint64_t)c1, thr, f->s);
            for (int j = c0; j < c1; j++)
                dr[j] = dn_keep_or_zero(ar[j] * scale, mr[j]);
        } else {
            /* p = 0 keeps everything unscaled, p = 1 drops everything. */
            for (int j = c0; j < c1; j++) {
                dr[j] = zero ? 0.0f : ar[j];
                mr[j] = (uint8_t)!zero;
            }
        }
    }
}

void dn_brd_tile(void *ctx, int m0, int m1, int n0, int n1)
{
    dn_brd_rect(ctx, m0, m1, n0, n1);
}

void dn_bias_relu_dropout_forward(float *z, float *a, float *d, uint8_t *mask, const float *b,
                                  int B, int W, float p, dn_stream s, int training)
{
    dn_brd f = {z, a, d, mask, b, W, p, s, training, 0};
    #pragma omp parallel for schedule(static) if ((size_t)B * (size_t)W >= DN_PAR_MIN / 4)
    for (int r = 0; r < B; r++)
        dn_brd_rect(&f, r, r + 1, 0, W);
}

void dn_dropout_relu_bias_backward(float *dz, float *db, const float *dd, const uint8_t *mask,
                                   const float *a, int B, int W, float p)
{
    dn_dropout_relu_bias_backward_sgd(dz, db, dd, mask, a, B, W, p, NULL, 0, 0.0f);
}

void dn_sgd_jobs(const dn_sgd_job *jobs, int n, float lr, int t, int nt)
{
    for (int k = 0; k < n; k++) {
        size_t len = jobs[k].n;
        dn_sgd_range(jobs[k].w, jobs[k].g, len * (size_t)t / (size_t)nt,
                     len * (size_t)(t + 1) / (size_t)nt, lr, jobs[k].wd);
    }
}

/* Thread t of nt's share of dn_dropout_relu_bias_backward_sgd. Threads take
 * column ranges and walk all rows in order, so each bias gradient is summed
 * in row order 0..B-1 whatever the thread count. */
static void drb_part(int t, int nt, float *dz, float *db, const float *dd, const uint8_t *mask,
                     const float *a, int B, int W, float p, const dn_sgd_job *jobs, int n_jobs,
                     float lr)
{
    const float scale = p >= 1.0f ? 0.0f : (float)(1.0 / (1.0 - (double)p));
    dn_par_mark(DN_PAR_FUSED_BACKWARD);
    /* the updates handed over, first: their gradients are final and their
     * weights no longer read (no wake-up of their own) */
    dn_sgd_jobs(jobs, n_jobs, lr, t, nt);
    int blocks = (W + 15) / 16;
    int lo = (int)((long long)blocks * t / nt) * 16;
    int hi = (int)((long long)blocks * (t + 1) / nt) * 16;
    if (hi > W)
        hi = W;
    for (int j = lo; j < hi; j++)
        db[j] = 0.0f;
    for (int r = 0; r < B; r++) {
        size_t base = (size_t)r * (size_t)W;
        const float *restrict gr = dd + base, *restrict ar = a + base;
        const uint8_t *restrict mr = mask + base;
        float *restrict zr = dz + base;
        float *restrict dbr = db;
        for (int j = lo; j < hi; j++) {
            float v = dn_keep_or_zero(gr[j] * scale, (uint32_t)mr[j] & (uint32_t)(ar[j] > 0.0f));
            zr[j] = v;
            dbr[j] += v;
        }
    }
}

void dn_dropout_relu_bias_backward_sgd(float *dz, float *db, const float *dd,
                                       const uint8_t *mask, const float *a, int B, int W, float p,
                                       const dn_sgd_job *jobs, int n_jobs, float lr)
{
    #pragma omp parallel if ((size_t)B * (size_t)W >= DN_PAR_MIN)
    drb_part(omp_get_thread_num(), omp_get_num_threads(), dz, db, dd, mask, a, B, W, p, jobs,
             n_jobs, lr);
}

void dn_dropout_relu_bias_backward_team(const dn_team *tm, float *dz, float *db,
                                        const float *dd, const uint8_t *mask, const float *a,
                                        int B, int W, float p, const dn_sgd_job *jobs,
                                        int n_jobs, float lr)
{
    drb_part(tm->t, tm->nt, dz, db, dd, mask, a, B, W, p, jobs, n_jobs, lr);
}
