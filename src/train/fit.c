/* The training loop: d2l's train_ch3 with test loss, reproducible steps and
 * no allocation inside the loop. */
#include "nn/net_internal.h"
#include "train/fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dn_fit_opts_default(dn_fit_opts *o)
{
    o->epochs = 10;
    o->batch_size = 256;
    o->lr = 0.5f;
    o->weight_decay = 0.0f;
    o->seed = 1;
}

static int check_data(const dn_net *net, const dn_dataset *ds, const char *what, dn_err *err)
{
    if (!ds || ds->n == 0)
        return dn_fail(err, DN_EINVAL, "the %s set is empty", what);
    if ((size_t)ds->rows * (size_t)ds->cols != (size_t)net->input_width)
        return dn_fail(err, DN_EINVAL, "%s images have %d pixels, the network takes %d", what,
                       ds->rows * ds->cols, net->input_width);
    if (ds->classes > net->width)
        return dn_fail(err, DN_EINVAL, "%s set has %d classes, the network outputs %d", what,
                       ds->classes, net->width); /* classes > width >= 1: plural */
    if (ds->n > UINT32_MAX)
        return dn_fail(err, DN_EINVAL, "%s set has more than 2^32 examples", what);
    return DN_OK;
}

/* The batch buffers of an evaluation in blocks of the network's max batch. */
static int block_buffers(const dn_net *net, float **x, uint32_t **idx, const char *what,
                         dn_err *err)
{
    *x = dn_alloc((size_t)net->max_batch * (size_t)net->input_width, sizeof(float));
    *idx = dn_alloc((size_t)net->max_batch, sizeof(uint32_t));
    if (*x && *idx)
        return DN_OK;
    dn_free(*x);
    dn_free(*idx);
    *x = NULL;
    *idx = NULL;
    return dn_fail(err, DN_ENOMEM, "cannot allocate %s batch", what);
}

void dn_fit_batch_fill(void *ctx, int r0, int r1)
{
    const dn_fit_batch *c = ctx;
    dn_batch_rows(c->x, c->ds, c->idx, (size_t)r0, (size_t)r1);
}

/* The logits of examples [start, start + b), in whatever mode the network
 * is in (the callers set eval mode). */
static const float *forward_block(dn_net *net, const dn_dataset *ds, float *x, uint32_t *idx,
                                  size_t start, int b)
{
    for (int i = 0; i < b; i++)
        idx[i] = (uint32_t)(start + (size_t)i);
    dn_fit_batch c = {x, ds, idx};
    dn_batch_src src = {dn_fit_batch_fill, &c};
    return dn_net_forward_from(net, x, &src, b, NULL);
}

/* Examples in the block that starts at start, of n. */
static int block_rows(const dn_net *net, size_t start, size_t n)
{
    return (int)(n - start < (size_t)net->max_batch ? n - start : (size_t)net->max_batch);
}

/* Loss and accuracy in eval mode, in blocks of the network's max batch. */
static int evaluate_ws(dn_net *net, const dn_dataset *ds, float *x, uint32_t *idx, double *loss,
                       double *acc, size_t *confusion, dn_err *err)
{
    bool was_training = net->training;
    net->training = false;
    int C = net->width;
    double sum = 0.0;
    size_t correct = 0;
    for (size_t start = 0; start < ds->n; start += (size_t)net->max_batch) {
        int b = block_rows(net, start, ds->n);
        const float *logits = forward_block(net, ds, x, idx, start, b);
        const uint8_t *y = ds->labels + start;
        dn_softmax_xent_forward(net->losses, logits, y, b, C);
        for (int r = 0; r < b; r++) {
            sum += net->losses[r];
            int pred = dn_argmax(logits + (size_t)r * C, C);
            correct += pred == y[r];
            if (confusion)
                confusion[(size_t)y[r] * (size_t)C + (size_t)pred]++;
        }
    }
    net->training = was_training;
    if (!isfinite(sum))
        return dn_fail(err, DN_ENUMERIC, "the evaluation loss is %s",
                       isnan(sum) ? "NaN" : "infinite");
    *loss = sum / (double)ds->n;
    *acc = (double)correct / (double)ds->n;
    return DN_OK;
}

int dn_evaluate(dn_net *net, const dn_dataset *ds, double *loss, double *acc, dn_err *err)
{
    return dn_evaluate_confusion(net, ds, loss, acc, NULL, err);
}

int dn_evaluate_confusion(dn_net *net, const dn_dataset *ds, double *loss, double *acc,
                          size_t *confusion, dn_err *err)
{
    if (!net->built)
        return dn_fail(err, DN_EINVAL, "network not built");
    int rc = check_data(net, ds, "evaluation", err);
    if (rc)
        return rc;
    float *x;
    uint32_t *idx;
    if ((rc = block_buffers(net, &x, &idx, "an evaluation", err)))
        return rc;
    if (confusion)
        memset(confusion, 0, (size_t)net->width * (size_t)net->width * sizeof *confusion);
    rc = evaluate_ws(net, ds, x, idx, loss, acc, confusion, err);
    dn_free(x);
    dn_free(idx);
    return rc;
}

int dn_predict(dn_net *net, const dn_dataset *ds, size_t n, uint8_t *pred, dn_err *err)
{
    if (!net->built)
        return dn_fail(err, DN_EINVAL, "network not built");
    int rc = check_data(net, ds, "prediction", err);
    if (rc)
        return rc;
    if (n > ds->n)
        return dn_fail(err, DN_EINVAL, "%zu predictions asked of a set of %zu examples", n,
                       ds->n);
    if (net->width > DN_MAX_CLASSES)
        return dn_fail(err, DN_EINVAL, "%d classes do not fit in a byte", net->width);
    float *x;
    uint32_t *idx;
    if ((rc = block_buffers(net, &x, &idx, "a prediction", err)))
        return rc;
    bool was_training = net->training;
    net->training = false;
    for (size_t start = 0; start < n; start += (size_t)net->max_batch) {
        int b = block_rows(net, start, n);
        const float *logits = forward_block(net, ds, x, idx, start, b);
        for (int r = 0; r < b; r++)
            pred[start + (size_t)r] = (uint8_t)dn_argmax(logits + (size_t)r * net->width, net->width);
    }
    net->training = was_training;
    dn_free(x);
    dn_free(idx);
    return DN_OK;
}

/* The largest ratio, over the Linear layers, of the weights' root mean
 * square to 1/sqrt(fan_in): about 1 or less for the usual initialisations
 * (d2l's N(0, 0.01^2) on 784 inputs: 0.28; PyTorch's: 0.58), so a layer's
 * outputs stay at the scale of its inputs; far above, they grow layer by
 * layer, and the loss overflows whatever the learning rate. */
static double init_scale_ratio(const dn_net *net, double *rms_out, int *fan_in_out)
{
    double worst = 0.0;
    for (int i = 0; i < net->n_layers; i++) {
        const dn_layer *l = &net->layers[i];
        if (l->kind != DN_LAYER_LINEAR)
            continue;
        size_t n = (size_t)l->in * (size_t)l->out;
        const float *w = net->params + l->w_off;
        double sq = 0.0;
        for (size_t k = 0; k < n; k++)
            sq += (double)w[k] * (double)w[k];
        double rms = sqrt(sq / (double)n), ratio = rms * sqrt((double)l->in);
        if (ratio > worst) {
            worst = ratio;
            *rms_out = rms;
            *fan_in_out = l->in;
        }
    }
    return worst;
}

static int fit_checked(dn_net *net, const dn_dataset *train, const dn_dataset *val,
                       const dn_dataset *test, const dn_fit_opts *o, const dn_fit_start *start,
                       const dn_fit_hooks *hooks, dn_dp *dp, dn_err *err);

int dn_fit(dn_net *net, const dn_dataset *train, const dn_dataset *test, const dn_fit_opts *o,
           const dn_fit_hooks *hooks, dn_err *err)
{
    return dn_fit_from(net, train, NULL, test, o, NULL, hooks, NULL, err);
}

int dn_fit_from(dn_net *net, const dn_dataset *train, const dn_dataset *val,
                const dn_dataset *test, const dn_fit_opts *o, const dn_fit_start *start_in,
                const dn_fit_hooks *hooks, const dn_fit_par *par, dn_err *err)
{
    dn_fit_start from = {0};
    if (start_in)
        from = *start_in;
    const dn_fit_start *start = &from;
    if (!net->built)
        return dn_fail(err, DN_EINVAL, "network not built");
    dn_dp *dp = NULL;
    if (par && par->blocks > 0) {
        if (!(dp = dn_dp_new(net, par, err)))
            return err->code;
        /* Every rank starts where rank 0 does, from its parameters. */
        int go, rc = dn_dp_start(dp, &from, &go, err);
        if (rc || !go) {
            dn_dp_free(dp);
            return rc;
        }
    }
    int rc = fit_checked(net, train, val, test, o, start, hooks, dp, err);
    dn_dp_free(dp);
    return rc;
}

/* Rank 0's word, under data-parallel training with several ranks: whether
 * training stops here (its hooks, or a failure of its own: rc); the other
 * ranks stop with it. Returns this rank's status. */
static int agree(dn_dp *dp, int rc, dn_err *err)
{
    int8_t flag = (int8_t)(rc != 0);
    dn_err mine = *err;
    int brc = dn_dp_bcast(dp, &flag, 1, err);
    if (rc) {
        *err = mine; /* its own reason first */
        return rc;
    }
    if (brc)
        return brc;
    return flag ? dn_fail(err, DN_ESTOPPED, "training stopped by rank 0") : DN_OK;
}

static int fit_checked(dn_net *net, const dn_dataset *train, const dn_dataset *val,
                       const dn_dataset *test, const dn_fit_opts *o, const dn_fit_start *start,
                       const dn_fit_hooks *hooks, dn_dp *dp, dn_err *err)
{
    if (o->epochs < 1)
        return dn_fail(err, DN_EINVAL, "epochs must be at least 1, not %d", o->epochs);
    if (start->epoch < 0 || start->epoch > o->epochs)
        return dn_fail(err, DN_EINVAL, "start epoch %d is outside [0, %d]", start->epoch,
                       o->epochs);
    if (o->batch_size < 1 || o->batch_size > net->max_batch)
        return dn_fail(err, DN_EINVAL, "batch size %d is outside [1, %d]", o->batch_size,
                       net->max_batch);
    if (!(o->lr > 0.0f) || !isfinite(o->lr))
        return dn_fail(err, DN_EINVAL, "learning rate %g must be positive and finite",
                       (double)o->lr);
    if (!(o->weight_decay >= 0.0f) || !isfinite(o->weight_decay))
        return dn_fail(err, DN_EINVAL, "weight decay %g must be >= 0 and finite",
                       (double)o->weight_decay);
    int rc = check_data(net, train, "training", err);
    if (!rc && test)
        rc = check_data(net, test, "test", err);
    if (!rc && val)
        rc = check_data(net, val, "validation", err);
    if (rc)
        return rc;
    if ((size_t)o->batch_size > train->n)
        return dn_fail(err, DN_EINVAL, "batch size %d is larger than the training set (%zu)",
                       o->batch_size, train->n);
    size_t steps = (train->n + (size_t)o->batch_size - 1) / (size_t)o->batch_size;
    if ((uint64_t)steps * (uint64_t)o->epochs > UINT32_MAX)
        return dn_fail(err, DN_EINVAL, "%d epochs of %zu steps exceed 2^32 steps", o->epochs,
                       steps);
    if (start->step > steps || (start->epoch == o->epochs && start->step > 0))
        return dn_fail(err, DN_EINVAL, "start step %zu is outside the %zu steps of epoch %d",
                       start->step, steps, start->epoch + 1);

    /* Measured before training changes them, for the message if the loss
     * overflows: then the initial scale is the likelier cause to name. */
    double init_rms = 0.0;
    int init_fan_in = 0;
    double init_ratio = start->epoch == 0 && start->step == 0
                            ? init_scale_ratio(net, &init_rms, &init_fan_in)
                            : 0.0;
    size_t width = (size_t)net->input_width;
    size_t rows = (size_t)net->max_batch;
    uint32_t *perm = dn_alloc(train->n, sizeof(uint32_t));
    uint32_t *idx = dn_alloc(rows, sizeof(uint32_t));
    float *x = dn_alloc(rows * width, sizeof(float));
    uint8_t *y = dn_alloc(rows, 1);
    if (!perm || !idx || !x || !y) {
        rc = dn_fail(err, DN_ENOMEM, "cannot allocate training buffers");
        goto out;
    }
    for (int e = start->epoch; e < o->epochs; e++) {
        double t0 = dn_now();
        dn_shuffle(perm, (uint32_t)train->n, o->seed, (uint32_t)e);
        /* A resumed epoch goes on from its partial sums, adding in the same
         * order as an uninterrupted one: the same bits. */
        int resumed = e == start->epoch && start->step > 0;
        double loss_sum = resumed ? start->loss_sum : 0.0;
        size_t correct = resumed ? start->correct : 0;
        for (size_t s = resumed ? start->step : 0; s < steps; s++) {
            size_t lo = s * (size_t)o->batch_size;
            int b = (int)(train->n - lo < (size_t)o->batch_size ? train->n - lo
                                                                : (size_t)o->batch_size);
            dn_net_set_rng(net, o->seed, (uint32_t)((size_t)e * steps + s));
            double step_loss = 0.0;
            size_t step_correct = 0;
            if (dp) {
                rc = dn_dp_step(dp, train, perm + lo, b, x, y, o->lr, o->weight_decay,
                                &step_loss, &step_correct, err);
            } else {
                for (int r = 0; r < b; r++)
                    y[r] = train->labels[perm[lo + (size_t)r]];
                dn_fit_batch bc = {x, train, perm + lo};
                dn_batch_src src = {dn_fit_batch_fill, &bc};
                rc = dn_net_train_step_from(net, x, &src, y, b, o->lr, o->weight_decay,
                                            &step_loss, &step_correct, err);
            }
            if (rc == DN_ENUMERIC && init_ratio > 4.0)
                rc = dn_fail(err, DN_ENUMERIC,
                             "training diverged: the loss became not finite at epoch %d, step "
                             "%zu of %zu; the likelier cause is the initial weights' scale: "
                             "%.3g (root mean square) on a layer of %d inputs, where about "
                             "1/sqrt(%d) = %.2g keeps outputs at the scale of inputs (try a "
                             "smaller init scale, then a smaller learning rate than %g)",
                             e + 1, s + 1, steps, init_rms, init_fan_in, init_fan_in,
                             1.0 / sqrt((double)init_fan_in), (double)o->lr);
            else if (rc == DN_ENUMERIC)
                rc = dn_fail(err, DN_ENUMERIC,
                             "training diverged: the loss became not finite at epoch %d, step "
                             "%zu of %zu (try a smaller learning rate than %g)",
                             e + 1, s + 1, steps, (double)o->lr);
            if (rc)
                goto out;
            loss_sum += step_loss;
            correct += step_correct;
            dn_step_stats ss = {e + 1,     s + 1,        steps,   b,
                                step_loss, step_correct, loss_sum, correct};
            if (hooks && hooks->on_step && hooks->on_step(hooks->user, &ss))
                rc = dn_fail(err, DN_ESTOPPED, "training stopped at epoch %d, step %zu", e + 1,
                             s + 1);
            if (dp)
                rc = agree(dp, rc, err);
            if (rc)
                goto out;
        }
        dn_epoch_stats st = {.epoch = e + 1,
                             .train_loss = loss_sum / (double)train->n,
                             .train_acc = (double)correct / (double)train->n,
                             .test_loss = NAN,
                             .test_acc = NAN};
        if (test)
            rc = evaluate_ws(net, test, x, idx, &st.test_loss, &st.test_acc, NULL, err);
        if (!rc && val) {
            st.has_val = true;
            rc = evaluate_ws(net, val, x, idx, &st.val_loss, &st.val_acc, NULL, err);
        }
        st.seconds = dn_now() - t0;
        if (!rc && hooks && hooks->on_epoch && hooks->on_epoch(hooks->user, &st))
            rc = dn_fail(err, DN_ESTOPPED, "training stopped after epoch %d", e + 1);
        if (dp)
            rc = agree(dp, rc, err);
        if (rc)
            goto out;
    }
    rc = DN_OK;
out:
    dn_free(perm);
    dn_free(idx);
    dn_free(x);
    dn_free(y);
    net->training = true;
    return rc;
}
