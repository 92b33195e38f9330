/* Monte Carlo dropout (src/train/mc.c) and the calibrated evaluation: the
 * passes are the documented stochastic passes, bit for bit; K = 1 is one
 * such pass; nothing depends on threads or the network's largest batch. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 700 /* two whole blocks of DN_MC_BLOCK and a part */

static dn_net *small_net(int max_batch)
{
    dn_mlp_spec spec = {.inputs = 784, .outputs = 10, .n_hidden = 2, .hidden = {32, 16}, .dropout = {0.3f, 0.5f}};
    dn_net *net = dn_net_mlp(&spec, max_batch, NULL);
    cr_assert(net);
    /* large enough weights that the probabilities are far from uniform */
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_NORMAL, 0.08f}, 5, NULL), DN_OK);
    return net;
}

/* One stochastic pass as the documentation states it: block b of 256
 * examples with the masks of step k * blocks + b of seed. */
static void pass_by_hand(dn_net *net, const dn_dataset *ds, uint64_t seed, int k, float *probs)
{
    size_t blocks = (ds->n + DN_MC_BLOCK - 1) / DN_MC_BLOCK;
    float *x = malloc(DN_MC_BLOCK * 784 * sizeof *x);
    uint32_t idx[DN_MC_BLOCK];
    dn_net_set_training(net, true);
    for (size_t b = 0; b < blocks; b++) {
        size_t start = b * DN_MC_BLOCK;
        int rows = (int)(ds->n - start < DN_MC_BLOCK ? ds->n - start : DN_MC_BLOCK);
        for (int r = 0; r < rows; r++)
            idx[r] = (uint32_t)(start + (size_t)r);
        dn_batch_images(x, ds, idx, (size_t)rows);
        dn_net_set_rng(net, seed, (uint32_t)((size_t)k * blocks + b));
        const float *logits = dn_net_forward(net, x, rows, NULL);
        cr_assert(logits);
        dn_softmax_forward(probs + start * 10, logits, rows, 10);
    }
    dn_net_set_training(net, false);
    free(x);
}

static void same_summary(const dn_eval_summary *a, const dn_eval_summary *b, const char *what)
{
    cr_assert(a->loss == b->loss && a->accuracy == b->accuracy && a->ece == b->ece,
              "%s: loss %.17g / %.17g, accuracy %.17g / %.17g, ece %.17g / %.17g", what,
              a->loss, b->loss, a->accuracy, b->accuracy, a->ece, b->ece);
}

Test(mc, one_sample_is_one_stochastic_pass_bit_for_bit)
{
    dn_dataset ds;
    synthetic_dataset(&ds, N, 3);
    dn_net *net = small_net(256);
    dn_net_set_training(net, false);
    dn_mc_opts o = {.samples = 1, .seed = 42};
    dn_mc_result r;
    double *probs = malloc(N * 10 * sizeof *probs);
    cr_assert_eq(dn_mc_evaluate(net, &ds, &o, &r, probs, NULL), DN_OK);
    cr_assert(!dn_net_training(net), "the network's mode is restored");
    float *hand = malloc(N * 10 * sizeof *hand);
    pass_by_hand(net, &ds, 42, 0, hand);
    for (size_t i = 0; i < N * 10; i++)
        cr_assert(probs[i] == (double)hand[i], "probability %zu: %.17g vs %.9g", i, probs[i],
                  (double)hand[i]);
    same_summary(&r.single, &r.average, "K = 1: single vs average");
    /* and the accuracy is the hand pass's argmax */
    size_t right = 0;
    for (size_t i = 0; i < N; i++) {
        int best = 0;
        for (int c = 1; c < 10; c++)
            if (hand[i * 10 + c] > hand[i * 10 + best])
                best = c;
        right += best == ds.labels[i];
    }
    cr_assert_eq(r.average.accuracy, (double)right / N);
    /* another seed, other masks */
    o.seed = 43;
    dn_mc_result r2;
    cr_assert_eq(dn_mc_evaluate(net, &ds, &o, &r2, NULL, NULL), DN_OK);
    cr_assert(r2.single.loss != r.single.loss);
    free(hand);
    free(probs);
    dn_net_free(net);
    dn_dataset_free(&ds);
}

/* K passes: the average of the K hand passes' probabilities (summed in
 * double in pass order), the loss -log of its true-class entry (the
 * library takes it from the log-likelihoods: equal within float rounding),
 * the first pass whatever K, and the curve's last point the average. */
Test(mc, average_of_k_passes)
{
    const int K = 5;
    dn_dataset ds;
    synthetic_dataset(&ds, N, 4);
    dn_net *net = small_net(300);
    dn_mc_opts o = {.samples = K, .seed = 7, .grid = {1, 2, 5}, .n_grid = 3};
    dn_mc_result r, r1;
    double *probs = calloc(N * 10, sizeof *probs);
    cr_assert_eq(dn_mc_evaluate(net, &ds, &o, &r, probs, NULL), DN_OK);
    double *sum = calloc(N * 10, sizeof *sum);
    float *p = malloc(N * 10 * sizeof *p);
    for (int k = 0; k < K; k++) {
        pass_by_hand(net, &ds, 7, k, p);
        for (size_t i = 0; i < N * 10; i++)
            sum[i] += (double)p[i];
    }
    double loss = 0.0, h = 0.0;
    for (size_t i = 0; i < N * 10; i++)
        cr_assert(probs[i] == sum[i] * (1.0 / K), "probability %zu", i);
    for (size_t i = 0; i < N; i++) {
        loss -= log(sum[i * 10 + ds.labels[i]] / K);
        h += dn_entropy(probs + i * 10, 10);
    }
    cr_assert_float_eq(r.average.loss, loss / N, 1e-6 * (loss / N));
    cr_assert_float_eq(r.entropy_mean, h / N, 1e-12);
    cr_assert(r.entropy_mean > 0.1, "the net is not sure of everything: %g", r.entropy_mean);
    cr_assert(r.auroc_error >= 0.0 && r.auroc_error <= 1.0);
    cr_assert_eq(r.n_grid, 3);
    same_summary(&r.curve[2], &r.average, "curve at K vs average");
    same_summary(&r.curve[0], &r.single, "curve at 1 vs single");
    /* the first pass does not depend on K */
    o.samples = 1;
    o.n_grid = 0;
    cr_assert_eq(dn_mc_evaluate(net, &ds, &o, &r1, NULL, NULL), DN_OK);
    same_summary(&r1.single, &r.single, "single of K = 1 vs K = 5");
    cr_assert(r.average.loss != r.single.loss);
    free(sum);
    free(p);
    free(probs);
    dn_net_free(net);
    dn_dataset_free(&ds);
}

/* The same bits with 1 and 2 threads, and from networks built for
 * different largest batches (the blocks are fixed). */
Test(mc, same_bits_whatever_threads_and_batch)
{
    dn_dataset ds;
    synthetic_dataset(&ds, N, 5);
    dn_net *a = small_net(256), *b = small_net(1024);
    dn_mc_opts o = {.samples = 3, .seed = 9};
    dn_mc_result ra, rb, rc;
    double *pa = malloc(N * 10 * sizeof *pa), *pb = malloc(N * 10 * sizeof *pb);
    dn_set_threads(1);
    cr_assert_eq(dn_mc_evaluate(a, &ds, &o, &ra, pa, NULL), DN_OK);
    dn_set_threads(2);
    cr_assert_eq(dn_mc_evaluate(a, &ds, &o, &rc, NULL, NULL), DN_OK);
    cr_assert_eq(dn_mc_evaluate(b, &ds, &o, &rb, pb, NULL), DN_OK);
    cr_assert_eq(memcmp(pa, pb, N * 10 * sizeof *pa), 0);
    same_summary(&ra.average, &rb.average, "max batch 256 vs 1024");
    same_summary(&ra.average, &rc.average, "1 vs 2 threads");
    same_summary(&ra.single, &rc.single, "1 vs 2 threads, single");
    cr_assert(ra.entropy_mean == rc.entropy_mean && ra.auroc_error == rc.auroc_error);
    free(pa);
    free(pb);
    dn_net_free(a);
    dn_net_free(b);
    dn_dataset_free(&ds);
}

Test(mc, refuses_what_it_cannot_do)
{
    dn_dataset ds;
    synthetic_dataset(&ds, 20, 6);
    dn_net *net = small_net(64);
    dn_mc_opts o = {.samples = 2, .seed = 1};
    dn_mc_result r;
    dn_err err = {0};
    cr_assert_eq(dn_mc_evaluate(net, &ds, &o, &r, NULL, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "blocks of 256"), "%s", err.msg);
    dn_net_free(net);
    net = small_net(256);
    o.samples = 0;
    cr_assert_eq(dn_mc_evaluate(net, &ds, &o, &r, NULL, &err), DN_EINVAL);
    o.samples = 3;
    o.n_grid = 2;
    o.grid[0] = 2;
    o.grid[1] = 2;
    cr_assert_eq(dn_mc_evaluate(net, &ds, &o, &r, NULL, &err), DN_EINVAL);
    o.grid[1] = 4;
    cr_assert_eq(dn_mc_evaluate(net, &ds, &o, &r, NULL, &err), DN_EINVAL);
    dn_net_free(net);
    dn_dataset_free(&ds);
    cr_assert_eq(leaks_now(), 0);
}

/* The calibrated evaluation keeps dn_evaluate_confusion's loss and
 * accuracy bits; its ECE is that of the eval-mode softmax. */
Test(mc, calibrated_evaluation_matches_plain_one)
{
    dn_dataset ds;
    synthetic_dataset(&ds, N, 8);
    dn_net *net = small_net(256);
    double loss, acc;
    size_t c1[100], c2[100];
    cr_assert_eq(dn_evaluate_confusion(net, &ds, &loss, &acc, c1, NULL), DN_OK);
    dn_eval_summary s;
    dn_reliability rel;
    cr_assert_eq(dn_evaluate_calibration(net, &ds, 15, &s, &rel, c2, NULL), DN_OK);
    cr_assert(s.loss == loss && s.accuracy == acc);
    cr_assert_eq(memcmp(c1, c2, sizeof c1), 0);
    /* the ECE by hand from the eval-mode probabilities */
    float *x = malloc(N * 784 * sizeof *x), *p = malloc(N * 10 * sizeof *p);
    uint32_t *idx = malloc(N * sizeof *idx);
    for (uint32_t i = 0; i < N; i++)
        idx[i] = i;
    dn_batch_images(x, &ds, idx, N);
    dn_net_set_training(net, false);
    double conf[N];
    uint8_t right[N];
    for (size_t s0 = 0; s0 < N; s0 += 256) {
        int rows = N - s0 < 256 ? (int)(N - s0) : 256;
        const float *logits = dn_net_forward(net, x + s0 * 784, rows, NULL);
        dn_softmax_forward(p + s0 * 10, logits, rows, 10);
        for (int r = 0; r < rows; r++) {
            int best = dn_argmax(logits + r * 10, 10);
            conf[s0 + r] = p[(s0 + r) * 10 + best];
            right[s0 + r] = best == ds.labels[s0 + r];
        }
    }
    double ece;
    cr_assert_eq(dn_calibration_bins(conf, right, N, 15, NULL, &ece, NULL), DN_OK);
    cr_assert_float_eq(s.ece, ece, 1e-12);
    cr_assert_float_eq(rel.ece, ece, 1e-12);
    free(x);
    free(p);
    free(idx);
    dn_net_free(net);
    dn_dataset_free(&ds);
}
