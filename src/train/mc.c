/* Monte Carlo dropout: the training noise kept on at evaluation, and the
 * softmax of K stochastic passes averaged (Gal & Ghahramani, ICML 2016).
 * Each pass runs over the set in fixed blocks whose masks come from the
 * streams of (seed, pass, block), so the numbers depend on the seed and K
 * alone. The statistics of the first k passes are computed from running
 * sums, so the single pass, the average and the curve against k come from
 * the same passes, and K = 1 gives the single pass bit for bit. */
#include "nn/net_internal.h"
#include "train/fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Running sums over the passes so far, per example. */
typedef struct {
    size_t n;
    int C;
    double *psum;   /* n x C: sum of the passes' softmax probabilities */
    double *llmax;  /* n: running log-sum-exp of the true class's log-likelihood: */
    double *llsum;  /*    max and sum of exp(ll - max) */
    double *conf;   /* n: scratch for the statistics */
    uint8_t *right;
    const uint8_t *labels;
} mc_sums;

/* Loss, accuracy and calibration of the average of the first k passes;
 * with probs, also its mean probabilities, entropy and AUROC. */
static int summarise(const mc_sums *m, int k, int bins, dn_eval_summary *out,
                     dn_reliability *rel, double *entropy_mean, double *auroc, double *probs,
                     dn_err *err)
{
    const int C = m->C;
    const double inv = 1.0 / (double)k, logk = log((double)k);
    double loss = 0.0;
    size_t correct = 0;
    for (size_t i = 0; i < m->n; i++) {
        const double *ps = m->psum + i * (size_t)C;
        int best = 0;
        for (int c = 1; c < C; c++)
            if (ps[c] > ps[best])
                best = c;
        /* -log of the mean probability of the true class: log-sum-exp of
         * the passes' log-likelihoods minus log k (for k = 1: the pass's
         * loss itself) */
        loss -= m->llmax[i] + log(m->llsum[i]) - logk;
        m->right[i] = best == m->labels[i];
        correct += m->right[i];
        m->conf[i] = ps[best] * inv;
    }
    out->loss = loss / (double)m->n;
    out->accuracy = (double)correct / (double)m->n;
    int rc = dn_calibration_bins(m->conf, m->right, m->n, bins, rel, &out->ece, err);
    if (rc || !entropy_mean)
        return rc;
    double h = 0.0;
    for (size_t i = 0; i < m->n; i++) {
        double *p = probs + i * (size_t)C;
        for (int c = 0; c < C; c++)
            p[c] = m->psum[i * (size_t)C + (size_t)c] * inv;
        m->conf[i] = dn_entropy(p, C); /* the score of "wrong" */
        h += m->conf[i];
        m->right[i] = !m->right[i];
    }
    *entropy_mean = h / (double)m->n;
    return dn_auroc(m->conf, m->right, m->n, auroc, err);
}

/* Adds pass k's block of b rows that starts at start. */
static void add_block(mc_sums *m, const float *probs, const float *losses, size_t start, int b,
                      int first)
{
    const int C = m->C;
    #pragma omp parallel for schedule(static) if ((size_t)b * (size_t)C >= DN_PAR_MIN)
    for (int r = 0; r < b; r++) {
        size_t i = start + (size_t)r;
        double *ps = m->psum + i * (size_t)C;
        const float *p = probs + (size_t)r * (size_t)C;
        double ll = -(double)losses[r];
        if (first) {
            for (int c = 0; c < C; c++)
                ps[c] = (double)p[c];
            m->llmax[i] = ll;
            m->llsum[i] = 1.0;
        } else {
            for (int c = 0; c < C; c++)
                ps[c] += (double)p[c];
            if (ll > m->llmax[i]) {
                m->llsum[i] = m->llsum[i] * exp(m->llmax[i] - ll) + 1.0;
                m->llmax[i] = ll;
            } else {
                m->llsum[i] += exp(ll - m->llmax[i]);
            }
        }
    }
}

int dn_mc_evaluate(dn_net *net, const dn_dataset *ds, const dn_mc_opts *o, dn_mc_result *out,
                   double *probs, dn_err *err)
{
    if (!net->built)
        return dn_fail(err, DN_EINVAL, "network not built");
    int rc = dn_check_data(net, ds, "evaluation", err);
    if (rc)
        return rc;
    if (o->samples < 1)
        return dn_fail(err, DN_EINVAL, "Monte Carlo samples: %d, need at least 1", o->samples);
    if (net->max_batch < DN_MC_BLOCK)
        return dn_fail(err, DN_EINVAL, "Monte Carlo evaluation runs blocks of %d examples; the "
                       "network is built for batches of up to %d", DN_MC_BLOCK, net->max_batch);
    int bins = o->bins ? o->bins : DN_CAL_BINS;
    if (bins < 1 || bins > DN_CAL_MAX_BINS)
        return dn_fail(err, DN_EINVAL, "%d calibration bins: give 1 to %d", bins,
                       DN_CAL_MAX_BINS);
    if (o->n_grid < 0 || o->n_grid > DN_MC_GRID_MAX)
        return dn_fail(err, DN_EINVAL, "%d grid points: give 0 to %d", o->n_grid,
                       DN_MC_GRID_MAX);
    for (int g = 0; g < o->n_grid; g++)
        if (o->grid[g] < 1 || o->grid[g] > o->samples || (g && o->grid[g] <= o->grid[g - 1]))
            return dn_fail(err, DN_EINVAL, "grid point %d: %d is not in ascending order within "
                           "[1, %d]", g, o->grid[g], o->samples);
    size_t blocks = (ds->n + DN_MC_BLOCK - 1) / DN_MC_BLOCK;
    if ((uint64_t)blocks * (uint64_t)o->samples > UINT32_MAX)
        return dn_fail(err, DN_EINVAL, "%d Monte Carlo passes of %zu blocks exceed 2^32 streams",
                       o->samples, blocks);
    const int C = net->width;
    mc_sums m = {ds->n, C, NULL, NULL, NULL, NULL, NULL, ds->labels};
    float *x = NULL;
    uint32_t *idx = NULL;
    double *mean = probs;
    m.psum = dn_alloc(ds->n * (size_t)C, sizeof(double));
    m.llmax = dn_alloc(ds->n, sizeof(double));
    m.llsum = dn_alloc(ds->n, sizeof(double));
    m.conf = dn_alloc(ds->n, sizeof(double));
    m.right = dn_alloc(ds->n, 1);
    if (!mean)
        mean = dn_alloc(ds->n * (size_t)C, sizeof(double));
    if (!m.psum || !m.llmax || !m.llsum || !m.conf || !m.right || !mean) {
        rc = dn_fail(err, DN_ENOMEM, "cannot allocate the sums of %zu examples x %d classes",
                     ds->n, C);
        goto out;
    }
    if ((rc = dn_block_buffers(net, &x, &idx, "a Monte Carlo", err)))
        goto out;
    memset(out, 0, sizeof *out);
    out->samples = o->samples;
    out->seed = o->seed;
    bool was_training = net->training;
    net->training = true; /* the noise on; nothing is updated */
    int g = 0;
    for (int k = 0; k < o->samples; k++) {
        for (size_t blk = 0; blk < blocks; blk++) {
            size_t start = blk * DN_MC_BLOCK;
            int b = (int)(ds->n - start < DN_MC_BLOCK ? ds->n - start : DN_MC_BLOCK);
            dn_net_set_rng(net, o->seed, (uint32_t)((size_t)k * blocks + blk));
            const float *logits = dn_forward_block(net, ds, x, idx, start, b);
            dn_softmax_xent_forward(net->losses, logits, ds->labels + start, b, C);
            dn_softmax_forward(net->gbuf[0], logits, b, C);
            add_block(&m, net->gbuf[0], net->losses, start, b, k == 0);
        }
        if (k == 0 && (rc = summarise(&m, 1, bins, &out->single, NULL, NULL, NULL, NULL, err)))
            break;
        if (g < o->n_grid && o->grid[g] == k + 1) {
            out->grid[g] = k + 1;
            if ((rc = summarise(&m, k + 1, bins, &out->curve[g], NULL, NULL, NULL, NULL, err)))
                break;
            out->n_grid = ++g;
        }
    }
    net->training = was_training;
    if (!rc)
        rc = summarise(&m, o->samples, bins, &out->average, &out->reliability,
                       &out->entropy_mean, &out->auroc_error, mean, err);
    if (!rc && !(isfinite(out->average.loss) && isfinite(out->single.loss)))
        rc = dn_fail(err, DN_ENUMERIC, "the Monte Carlo loss is not finite");
out:
    dn_free(m.psum);
    dn_free(m.llmax);
    dn_free(m.llsum);
    dn_free(m.conf);
    dn_free(m.right);
    if (mean != probs)
        dn_free(mean);
    dn_free(x);
    dn_free(idx);
    return rc;
}
