/* The layout of dn_net, shared by the modules that drive it. */
#ifndef DN_NET_INTERNAL_H
#define DN_NET_INTERNAL_H

#include "core/internal.h"

typedef struct {
    dn_layer_kind kind;
    int in, out;
    float p;
    int site;            /* Linear layers before this one */
    size_t w_off, b_off; /* into params / grads (Linear) */
    float *act;          /* own output buffer (not Flatten) */
    uint8_t *mask;       /* Dropout (all ones under another noise: the fused pass's) */
    bool fused;          /* Linear followed by ReLU and Dropout: one elementwise pass */
    dn_noise_kind noise; /* what a Dropout layer draws */
    float *mult;         /* Gaussian and uniform noise: the multipliers drawn */
    float *wdrop;        /* DropConnect: the masked weights of the next Linear layer */
    uint8_t *wmask;      /*   and their mask */
} dn_layer;

struct dn_net {
    int input_width;
    int width; /* output width of the last layer added */
    int n_layers, cap_layers, n_linear;
    int first_linear; /* index of the first Linear layer (set by dn_net_build) */
    dn_layer *layers;
    bool built, training;
    int max_batch, last_batch;
    size_t n_params;
    float *params, *grads;
    float *act_mem;
    uint8_t *mask_mem;
    float *gbuf[2];
    float *losses;
    const float **outs; /* output of each layer in the last forward pass */
    const float *input;
    uint64_t seed;
    uint32_t step;
    /* The batch's row 0 is this row of the whole batch: a data-parallel
     * micro-block (0 otherwise). Every random draw of a layer (dropout's
     * masks, any other noise) is indexed by the row in the whole batch, so
     * a block draws what the whole batch would. */
    uint64_t row0;
};

/* A batch made while the forward pass reads it: fn(ctx, r0, r1) writes rows
 * [r0, r1) of the input x (inside the first product's tiles where it can,
 * see dn_gemm_ex; all rows first otherwise). */
typedef struct {
    dn_rows_fn fn;
    void *ctx;
} dn_batch_src;

/* dn_net_forward and dn_net_train_step on a batch that src makes into x. */
const float *dn_net_forward_from(dn_net *net, float *x, const dn_batch_src *src, int B,
                                 dn_err *err);
int dn_net_train_step_from(dn_net *net, float *x, const dn_batch_src *src, const uint8_t *y,
                           int B, float lr, float weight_decay, double *loss_sum, size_t *correct,
                           dn_err *err);

/* The gradient of one micro-block of a batch (data-parallel training,
 * src/train/dp.c): forward in training mode on its B rows, which are rows
 * row0 .. row0 + B - 1 of the whole batch (random draws indexed so), the
 * softmax cross-entropy scaled by `scale` (1 / the whole batch's rows),
 * backward into the network's gradients (no update). Sets *loss_sum to the
 * block's summed loss (row order) and *correct to its correct count. A
 * loss that is not finite is not an error here: the sum over every rank's
 * blocks decides, the same on every rank. */
int dn_net_block_grad(dn_net *net, float *x, const dn_batch_src *src, const uint8_t *y, int B,
                      uint64_t row0, float scale, double *loss_sum, size_t *correct,
                      dn_err *err);

#endif
