/* Training that starts inside a run: what start-or-resume (resume.c) and the
 * tests of resuming use of the fit loop. */
#ifndef DN_TRAIN_FIT_H
#define DN_TRAIN_FIT_H

#include "dropnet.h"

/* Where a resumed run goes on: epochs complete, steps of the next epoch
 * complete, and that epoch's training loss sum and correct count so far. The
 * random streams are functions of (seed, epoch, step), so a resumed run
 * repeats the bits of an uninterrupted one. All 0 for a fresh run. */
typedef struct {
    int epoch;
    size_t step;
    double loss_sum;
    size_t correct;
} dn_fit_start;

/* Data-parallel training (dn_dp_comm): blocks micro-blocks per batch, comm
 * the ranks (NULL: one process). */
typedef struct {
    int blocks;
    dn_dp_comm *comm;
} dn_fit_par;

/* dn_fit from start (NULL: from the beginning); val (may be NULL) is
 * evaluated after each epoch, as test is; par (may be NULL: plain training)
 * makes it data-parallel. Under par with several ranks, rank 0's start is
 * every rank's, and rank 0's hooks decide for all when to stop. */
int dn_fit_from(dn_net *net, const dn_dataset *train, const dn_dataset *val,
                const dn_dataset *test, const dn_fit_opts *o, const dn_fit_start *start,
                const dn_fit_hooks *hooks, const dn_fit_par *par, dn_err *err);

/* Rows of a batch of images, made where the first product reads them:
 * dn_fit_batch_fill(ctx, r0, r1) makes rows [r0, r1) of x from examples
 * idx[r0 .. r1) of ds. */
typedef struct {
    float *x;
    const dn_dataset *ds;
    const uint32_t *idx;
} dn_fit_batch;
void dn_fit_batch_fill(void *ctx, int r0, int r1);

/* Data-parallel steps (src/train/dp.c). */
typedef struct dn_dp dn_dp;
/* Buffers for the block gradients of net (its gradients are taken over
 * until dn_dp_free); checks blocks and the ranks. */
dn_dp *dn_dp_new(dn_net *net, const dn_fit_par *par, dn_err *err);
void dn_dp_free(dn_dp *dp);
/* One step on the batch of examples idx[0 .. B) of train: this rank's
 * micro-blocks (assembled into x, labels into y), the gradients summed over
 * every rank, the SGD update. loss_sum and correct: the whole batch's. */
int dn_dp_step(dn_dp *dp, const dn_dataset *train, const uint32_t *idx, int B, float *x,
               uint8_t *y, float lr, float weight_decay, double *loss_sum, size_t *correct,
               dn_err *err);
/* Rank 0's n bytes at buf into buf on every rank (nothing with one rank). */
int dn_dp_bcast(dn_dp *dp, void *buf, size_t n, dn_err *err);
/* The ranks take rank 0's start and parameters; *go = 0 when rank 0
 * released them instead (dn_dp_release). */
int dn_dp_start(dn_dp *dp, dn_fit_start *start, int *go, dn_err *err);

#endif
