/* Data-parallel steps: every batch in micro-blocks whose gradients are added
 * along one fixed pairwise tree, whatever the number of ranks, so that 1, 2
 * or 4 ranks give the same bits (see dn_dp_comm in dropnet.h). The ranks
 * talk only through the program's callbacks: no MPI here. */
#include "nn/net_internal.h"
#include "train/fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* log2 of DN_MAX_MICRO_BLOCKS, plus one */
#define DP_LEVELS 11

struct dn_dp {
    dn_net *net;
    dn_dp_comm *comm; /* NULL: one process */
    int blocks, local, rank, size;
    size_t n;         /* parameters */
    float *home;      /* the network's own gradient buffer */
    /* Block gradients: a stack of subtree sums, one per tree level, and
     * free buffers (home among them), levels + 2 in all. */
    float *pool[DP_LEVELS + 2];
    int n_free;
    float *stack[DP_LEVELS + 1];
    double stack_stat[DP_LEVELS + 1][2];
    float *recv;      /* half the parameters, from the partner rank */
};

static int pow2(int k) { return k > 0 && (k & (k - 1)) == 0; }

dn_dp *dn_dp_new(dn_net *net, const dn_fit_par *par, dn_err *err)
{
    int K = par->blocks, rank = par->comm ? par->comm->rank : 0,
        size = par->comm ? par->comm->size : 1;
    if (!pow2(K) || K > DN_MAX_MICRO_BLOCKS) {
        dn_fail(err, DN_EINVAL, "%d micro-blocks: a power of two from 1 to %d is needed", K,
                DN_MAX_MICRO_BLOCKS);
        return NULL;
    }
    if (!pow2(size) || size > K || rank < 0 || rank >= size) {
        dn_fail(err, DN_EINVAL,
                "data-parallel training on %d ranks: a power of two no larger than the %d "
                "micro-blocks is needed",
                size, K);
        return NULL;
    }
    dn_dp *dp = calloc(1, sizeof *dp);
    if (!dp) {
        dn_fail(err, DN_ENOMEM, "cannot allocate data-parallel buffers");
        return NULL;
    }
    dp->net = net;
    dp->comm = par->comm;
    dp->blocks = K;
    dp->local = K / size;
    dp->rank = rank;
    dp->size = size;
    dp->n = net->n_params;
    dp->home = net->grads;
    int levels = 0;
    while ((1 << levels) < dp->local)
        levels++;
    /* a subtree sum per level below the top, the top, and the block in hand */
    int need = levels + 2;
    dp->pool[dp->n_free++] = dp->home;
    int ok = 1;
    while (dp->n_free < need && ok)
        ok = (dp->pool[dp->n_free++] = dn_alloc(dp->n, sizeof(float))) != NULL;
    if (ok && size > 1)
        ok = (dp->recv = dn_alloc(dp->n / 2 + 1, sizeof(float))) != NULL;
    if (!ok) {
        dn_fail(err, DN_ENOMEM, "cannot allocate %d gradient buffers of %zu parameters", need,
                dp->n);
        dn_dp_free(dp);
        return NULL;
    }
    return dp;
}

void dn_dp_free(dn_dp *dp)
{
    if (!dp)
        return;
    /* the network gets its own buffer back, whichever holds what */
    dp->net->grads = dp->home;
    for (int i = 0; i < dp->n_free; i++)
        if (dp->pool[i] != dp->home)
            dn_free(dp->pool[i]);
    for (int i = 0; i <= DP_LEVELS; i++)
        if (dp->stack[i] && dp->stack[i] != dp->home)
            dn_free(dp->stack[i]);
    dn_free(dp->recv);
    free(dp);
}

static float *take(dn_dp *dp) { return dp->pool[--dp->n_free]; }
static void give(dn_dp *dp, float *b) { dp->pool[dp->n_free++] = b; }

/* a[k] += b[k]: one node of the tree (float addition commutes, so which
 * side is a does not change the bits; the tree's shape does). */
static void add_into(float *restrict a, const float *restrict b, size_t n)
{
    #pragma omp parallel for schedule(static) if (n >= DN_PAR_MIN)
    for (size_t k = 0; k < n; k++)
        a[k] += b[k];
}

static int exchange(dn_dp *dp, int peer, const void *send, size_t send_n, void *recv,
                    size_t recv_n, dn_err *err)
{
    double t0 = dn_now();
    int rc = dp->comm->exchange(dp->comm->ctx, peer, send, send_n, recv, recv_n, err);
    dp->comm->comm_seconds += dn_now() - t0;
    return rc;
}

int dn_dp_bcast(dn_dp *dp, void *buf, size_t n, dn_err *err)
{
    return dp->size == 1 ? DN_OK : dp->comm->bcast(dp->comm->ctx, buf, n, err);
}

/* Where training starts, as rank 0 sends it. */
typedef struct {
    int64_t go, epoch, step, correct;
    double loss_sum;
} start_packet;

int dn_dp_release(dn_dp_comm *comm, dn_err *err)
{
    if (!comm || comm->size < 2 || comm->started || comm->rank != 0)
        return DN_OK;
    comm->started = true;
    start_packet p = {0};
    return comm->bcast(comm->ctx, &p, sizeof p, err);
}

int dn_dp_start(dn_dp *dp, dn_fit_start *start, int *go, dn_err *err)
{
    *go = 1;
    if (dp->size == 1)
        return DN_OK;
    dp->comm->started = true;
    start_packet p = {1, start->epoch, (int64_t)start->step, (int64_t)start->correct,
                      start->loss_sum};
    int rc = dn_dp_bcast(dp, &p, sizeof p, err);
    if (rc)
        return rc;
    if (!p.go) {
        *go = 0;
        return DN_OK;
    }
    *start = (dn_fit_start){(int)p.epoch, (size_t)p.step, p.loss_sum, (size_t)p.correct};
    /* rank 0's parameters: fresh from the same seed, or a checkpoint's */
    return dn_dp_bcast(dp, dp->net->params, dp->n * sizeof(float), err);
}

/* The gradient of global block b into a free buffer; its loss sum and
 * correct count into stat. */
static int block_grad(dn_dp *dp, int b, const dn_dataset *train, const uint32_t *idx, int B,
                      float *x, uint8_t *y, float **out, double stat[2], dn_err *err)
{
    size_t lo = (size_t)b * (size_t)B / (size_t)dp->blocks;
    size_t hi = (size_t)(b + 1) * (size_t)B / (size_t)dp->blocks;
    int rows = (int)(hi - lo);
    float *g = take(dp);
    *out = g;
    stat[0] = stat[1] = 0.0;
    if (rows == 0) {
        /* a batch with fewer rows than blocks: this block adds nothing */
        memset(g, 0, dp->n * sizeof(float));
        return DN_OK;
    }
    for (int r = 0; r < rows; r++)
        y[r] = train->labels[idx[lo + (size_t)r]];
    dn_fit_batch bc = {x, train, idx + lo};
    dn_batch_src src = {dn_fit_batch_fill, &bc};
    double loss;
    size_t correct;
    dp->net->grads = g;
    int rc = dn_net_block_grad(dp->net, x, &src, y, rows, lo, 1.0f / (float)B, &loss, &correct,
                               err);
    stat[0] = loss;
    stat[1] = (double)correct;
    return rc;
}

/* This rank's subtree: its blocks in order, each pair of equal subtrees
 * added as soon as both are complete (a binary counter), so at most one
 * buffer per level is held. Returns the subtree's sum. */
static int local_sum(dn_dp *dp, const dn_dataset *train, const uint32_t *idx, int B, float *x,
                     uint8_t *y, float **sum, double stat[2], dn_err *err)
{
    for (int j = 0; j < dp->local; j++) {
        float *carry;
        double cs[2];
        int rc = block_grad(dp, dp->rank * dp->local + j, train, idx, B, x, y, &carry, cs, err);
        if (rc) {
            give(dp, carry);
            for (int l = 0; l <= DP_LEVELS; l++)
                if (dp->stack[l]) {
                    give(dp, dp->stack[l]);
                    dp->stack[l] = NULL;
                }
            return rc;
        }
        int l = 0;
        while ((j >> l) & 1) {
            float *left = dp->stack[l];
            add_into(left, carry, dp->n);
            cs[0] = dp->stack_stat[l][0] + cs[0];
            cs[1] = dp->stack_stat[l][1] + cs[1];
            give(dp, carry);
            carry = left;
            dp->stack[l++] = NULL;
        }
        dp->stack[l] = carry;
        dp->stack_stat[l][0] = cs[0];
        dp->stack_stat[l][1] = cs[1];
    }
    int top = 0;
    while ((1 << top) < dp->local)
        top++;
    *sum = dp->stack[top];
    dp->stack[top] = NULL;
    stat[0] = dp->stack_stat[top][0];
    stat[1] = dp->stack_stat[top][1];
    return DN_OK;
}

/* The ranks' subtrees added along the tree above them, every rank ending
 * with the whole sum. Recursive halving: at level l, rank r and its sibling
 * r ^ 2^l, which hold sums over sibling subtrees for the same range of
 * parameters, each add the other's half of it; then recursive doubling
 * hands the halves back. Every element is added exactly as a tree over the
 * ranks, bottom level first. */
static int reduce_ranks(dn_dp *dp, float *g, double stat[2], dn_err *err)
{
    size_t lo[DP_LEVELS + 1], hi[DP_LEVELS + 1];
    int lv = 0;
    lo[0] = 0;
    hi[0] = dp->n;
    int rc;
    for (int m = 1; m < dp->size; m <<= 1, lv++) {
        int peer = dp->rank ^ m;
        double theirs[2];
        if ((rc = exchange(dp, peer, stat, sizeof theirs, theirs, sizeof theirs, err)))
            return rc;
        stat[0] += theirs[0];
        stat[1] += theirs[1];
        size_t mid = lo[lv] + (hi[lv] - lo[lv]) / 2;
        int upper = (dp->rank & m) != 0;
        size_t klo = upper ? mid : lo[lv], khi = upper ? hi[lv] : mid;
        size_t slo = upper ? lo[lv] : mid, shi = upper ? mid : hi[lv];
        if ((rc = exchange(dp, peer, g + slo, (shi - slo) * sizeof(float), dp->recv,
                           (khi - klo) * sizeof(float), err)))
            return rc;
        add_into(g + klo, dp->recv, khi - klo);
        lo[lv + 1] = klo;
        hi[lv + 1] = khi;
    }
    for (int m = dp->size >> 1; m >= 1; m >>= 1, lv--) {
        int peer = dp->rank ^ m;
        /* the partner holds the other half of range lv - 1 */
        size_t plo = lo[lv - 1], phi = hi[lv - 1];
        size_t olo = lo[lv] == plo ? hi[lv] : plo, ohi = lo[lv] == plo ? phi : lo[lv];
        if ((rc = exchange(dp, peer, g + lo[lv], (hi[lv] - lo[lv]) * sizeof(float), g + olo,
                           (ohi - olo) * sizeof(float), err)))
            return rc;
    }
    return DN_OK;
}

int dn_dp_step(dn_dp *dp, const dn_dataset *train, const uint32_t *idx, int B, float *x,
               uint8_t *y, float lr, float weight_decay, double *loss_sum, size_t *correct,
               dn_err *err)
{
    double t0 = dn_now();
    float *g = NULL;
    double stat[2];
    int rc = local_sum(dp, train, idx, B, x, y, &g, stat, err);
    if (rc) /* its buffers are back in the pool */
        return rc;
    if (dp->size > 1)
        rc = reduce_ranks(dp, g, stat, err);
    if (!rc && !isfinite(stat[0]))
        rc = dn_fail(err, DN_ENUMERIC, "the loss is %s", isnan(stat[0]) ? "NaN" : "infinite");
    if (!rc) {
        dp->net->grads = g;
        dn_net_sgd(dp->net, lr, weight_decay);
        *loss_sum += stat[0];
        *correct += (size_t)stat[1];
    }
    give(dp, g);
    if (dp->comm) {
        dp->comm->step_seconds += dn_now() - t0;
        dp->comm->steps++;
    }
    return rc;
}
