/* Training that starts inside a run: what start-or-resume (resume.c) and the
 * tests of resuming use of the fit loop. */
#ifndef DN_TRAIN_FIT_H
#define DN_TRAIN_FIT_H

#include "dropnet.h"
#include "train/activations.h"

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

/* dn_fit from start (NULL: from the beginning); val (may be NULL) is
 * evaluated after each epoch, as test is. act (may be NULL) receives the
 * activations of every training step (before on_step) and of the test
 * set's evaluation; its eval rows are taken after it, before on_epoch. */
int dn_fit_from(dn_net *net, const dn_dataset *train, const dn_dataset *val,
                const dn_dataset *test, const dn_fit_opts *o, const dn_fit_start *start,
                const dn_fit_hooks *hooks, dn_act_tracker *act, dn_err *err);

/* What evaluations share (fit.c): DN_EINVAL unless ds suits the network
 * (what names the set in the message); batch buffers for blocks of the
 * network's largest batch (dn_free them); the logits of examples
 * [start, start + b) of ds, in the mode the network is in. */
int dn_check_data(const dn_net *net, const dn_dataset *ds, const char *what, dn_err *err);
int dn_block_buffers(const dn_net *net, float **x, uint32_t **idx, const char *what,
                     dn_err *err);
const float *dn_forward_block(dn_net *net, const dn_dataset *ds, float *x, uint32_t *idx,
                              size_t start, int b);

#endif
