/* Statistics of the hidden layers' activations during training (the
 * training loop feeds it, start-or-resume writes its rows): per hidden layer,
 * before and after its noise, the mean and variance over the examples seen
 * since the previous row. */
#ifndef DN_TRAIN_ACTIVATIONS_H
#define DN_TRAIN_ACTIVATIONS_H

#include "dropnet.h"

typedef struct dn_act_tracker dn_act_tracker;

/* One row of activations.csv. */
typedef struct {
    int epoch;
    size_t step;
    const char *mode;  /* "train" or "eval" */
    int layer;         /* hidden layer, 1-based */
    const char *where; /* "before" or "after" the noise */
    double mean, var_pooled, var_units;
} dn_act_row;

#define DN_ACT_CSV_HEADER "epoch,step,mode,layer,where,mean,var_pooled,var_units"

/* A tracker of net's hidden layers (each ReLU; its noise is the layer after
 * it, when that is not a Linear one). NULL with err set when memory runs out
 * or the network has no hidden layer. */
dn_act_tracker *dn_act_new(const dn_net *net, dn_err *err);
void dn_act_free(dn_act_tracker *t);
/* Adds the activations of the net's last forward pass (B rows) to the
 * training (eval = 0) or the evaluation (eval = 1) sums. */
void dn_act_add(dn_act_tracker *t, const dn_net *net, int B, int eval);
/* The rows of the sums of mode eval (2 per hidden layer, in layer order,
 * before then after), at (epoch, step); the sums start again. rows holds
 * dn_act_rows(t) entries. */
int dn_act_rows(const dn_act_tracker *t);
void dn_act_take(dn_act_tracker *t, int eval, int epoch, size_t step, dn_act_row *rows);
/* The training sums as text (for a checkpoint taken between two rows), and
 * back; DN_EFORMAT when the text does not fit this tracker. */
char *dn_act_save(const dn_act_tracker *t, dn_err *err);
int dn_act_load(dn_act_tracker *t, const char *text, dn_err *err);

#endif
