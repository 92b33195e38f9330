/* Networks and training (src/nn/net.c, src/train/fit.c): modes, resets,
 * reproducibility, and the pairing of configurations. */
#include "core/internal.h"
#include "helpers.h"
#include "train/fit.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static dn_mlp_spec d2l_spec(float p1, float p2)
{
    dn_mlp_spec s = {.inputs = 784, .outputs = 10, .n_hidden = 2, .hidden = {256, 256},
                     .dropout = {p1, p2}, .input_dropout = 0.0f};
    return s;
}

static dn_net *make(dn_mlp_spec s, int max_batch, uint64_t seed)
{
    dn_err err = {0};
    dn_net *net = dn_net_mlp(&s, max_batch, &err);
    cr_assert(net, "%s", err.msg);
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_NORMAL, 0.01f}, seed, &err), DN_OK, "%s",
                 err.msg);
    return net;
}

static float *batch(int b, uint32_t tag)
{
    float *x = malloc((size_t)b * 784 * sizeof *x);
    dn_uniform_fill((dn_stream){1, tag, 0}, x, (size_t)b * 784);
    return x;
}

Test(net, layout_matches_the_d2l_model)
{
    dn_net *net = make(d2l_spec(0.2f, 0.5f), 16, 1);
    dn_layer_kind kinds[] = {DN_LAYER_FLATTEN, DN_LAYER_LINEAR, DN_LAYER_RELU, DN_LAYER_DROPOUT,
                             DN_LAYER_LINEAR,  DN_LAYER_RELU,   DN_LAYER_DROPOUT,
                             DN_LAYER_LINEAR};
    cr_assert_eq(dn_net_num_layers(net), 8);
    for (int i = 0; i < 8; i++) {
        dn_layer_info L;
        cr_assert_eq(dn_net_layer(net, i, &L, NULL), DN_OK);
        cr_assert_eq(L.kind, kinds[i], "layer %d", i);
    }
    dn_layer_info L;
    dn_net_layer(net, 3, &L, NULL);
    cr_assert_eq(L.p, 0.2f);
    cr_assert_eq(L.site, 1);
    dn_net_layer(net, 6, &L, NULL);
    cr_assert_eq(L.p, 0.5f);
    cr_assert_eq(L.site, 2);
    dn_net_layer(net, 1, &L, NULL);
    cr_assert_eq(L.in, 784);
    cr_assert_eq(L.out, 256);
    cr_assert_eq(((uintptr_t)L.w) % 64, 0, "weights are 64-byte aligned");
    dn_err err = {0};
    cr_assert_eq(dn_net_layer(net, 8, &L, &err), DN_EINVAL);
    cr_assert_str_eq(err.msg, "no layer 8: the network has 8 (0 to 7)");
    char small[16];
    cr_assert_eq(dn_net_describe(net, small, sizeof small, &err), DN_EINVAL);
    cr_assert_str_eq(err.msg, "the list of 8 layers does not fit in 16 bytes");
    dn_net_free(net);
}

Test(net, eval_mode_dropout_is_the_identity)
{
    dn_net *net = make(d2l_spec(0.2f, 0.5f), 32, 1);
    float *x = batch(32, 1);
    dn_net_set_training(net, false);
    const float *z1 = dn_net_forward(net, x, 32, NULL);
    float first[320];
    memcpy(first, z1, sizeof first);
    /* dropout layers pass their input on untouched */
    cr_assert_eq(dn_net_activation(net, 3), dn_net_activation(net, 2));
    cr_assert_eq(dn_net_activation(net, 6), dn_net_activation(net, 5));
    /* evaluating twice, even with other random streams, gives the same bits */
    dn_net_set_rng(net, 99, 12345);
    const float *z2 = dn_net_forward(net, x, 32, NULL);
    cr_assert_eq(memcmp(first, z2, sizeof first), 0);
    /* and equals a network without dropout layers at all */
    dn_net *plain = make(d2l_spec(0.0f, 0.0f), 32, 1);
    dn_net_set_training(plain, false);
    const float *z3 = dn_net_forward(plain, x, 32, NULL);
    cr_assert_eq(memcmp(first, z3, sizeof first), 0);
    free(x);
    dn_net_free(net);
    dn_net_free(plain);
}

Test(net, training_mode_masks_follow_seed_and_step)
{
    dn_net *net = make(d2l_spec(0.2f, 0.5f), 32, 1);
    float *x = batch(32, 2);
    dn_net_set_training(net, true);
    dn_net_set_rng(net, 5, 7);
    float a[320], b[320];
    memcpy(a, dn_net_forward(net, x, 32, NULL), sizeof a);
    dn_net_set_rng(net, 5, 7);
    memcpy(b, dn_net_forward(net, x, 32, NULL), sizeof b);
    cr_assert_eq(memcmp(a, b, sizeof a), 0, "same (seed, step): same masks");
    /* the mask of layer 3 is the one dn_dropout_forward draws from its stream */
    const uint8_t *m = dn_net_mask(net, 3);
    for (uint64_t i = 0; i < 32 * 256; i += 37)
        cr_assert_eq(m[i], dn_uniform(dn_dropout_stream(5, 1, 7), i) > 0.2f);
    dn_net_set_rng(net, 5, 8);
    memcpy(b, dn_net_forward(net, x, 32, NULL), sizeof b);
    cr_assert_neq(memcmp(a, b, sizeof a), 0, "another step: other masks");
    free(x);
    dn_net_free(net);
}

Test(net, init_schemes)
{
    dn_net *net = make(d2l_spec(0.2f, 0.5f), 4, 1);
    dn_layer_info L;
    dn_net_layer(net, 1, &L, NULL);
    size_t n = 784 * 256;
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s1 += L.w[i];
        s2 += (double)L.w[i] * L.w[i];
    }
    double sd = sqrt(s2 / (double)n);
    /* sd of N(0, 0.01^2) from 200704 draws: within 1 % (se of sd ~ 0.16 %) */
    cr_assert(fabs(sd - 0.01) < 1e-4, "sd %g", sd);
    cr_assert(fabs(s1 / (double)n) < 5 * 0.01 / sqrt((double)n), "mean %g", s1 / (double)n);
    for (int i = 0; i < 256; i++)
        cr_assert_eq(L.b[i], 0.0f);
    dn_err err = {0};
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_PYTORCH, 0}, 1, &err), DN_OK);
    for (int li = 1; li < 8; li += 3) {
        dn_net_layer(net, li, &L, NULL);
        float bound = 1.0f / sqrtf((float)L.in);
        float wmax = 0, bmax = 0;
        for (size_t i = 0; i < (size_t)L.in * L.out; i++)
            wmax = fmaxf(wmax, fabsf(L.w[i]));
        for (int i = 0; i < L.out; i++)
            bmax = fmaxf(bmax, fabsf(L.b[i]));
        cr_assert(wmax <= bound && wmax > 0.95f * bound, "layer %d: max |w| %g, bound %g", li,
                  (double)wmax, (double)bound);
        cr_assert(bmax <= bound && bmax > 0.5f * bound, "layer %d: max |b| %g", li, (double)bmax);
    }
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_NORMAL, NAN}, 1, &err), DN_EINVAL);
    dn_net_free(net);
}

/* Two configurations that differ only in dropout rates, one seed: the same
 * initial weights and (through dn_fit) the same data order and uniforms. */
Test(net, same_seed_same_initial_weights_across_configurations)
{
    dn_net *a = make(d2l_spec(0.2f, 0.5f), 4, 17), *b = make(d2l_spec(0.5f, 0.2f), 4, 17);
    dn_net *c = make(d2l_spec(0.2f, 0.5f), 4, 18);
    size_t na, nb;
    float *pa = dn_net_params(a, &na), *pb = dn_net_params(b, &nb);
    cr_assert_eq(na, nb);
    cr_assert_eq(memcmp(pa, pb, na * sizeof *pa), 0);
    cr_assert_neq(memcmp(pa, dn_net_params(c, NULL), na * sizeof *pa), 0);
    dn_net_free(a);
    dn_net_free(b);
    dn_net_free(c);
}

typedef struct {
    dn_epoch_stats st[8];
    int n;
} record;

static int rec(void *user, const dn_epoch_stats *s)
{
    record *r = user;
    r->st[r->n++] = *s;
    return 0;
}

static dn_net *fit_batches(dn_mlp_spec spec, uint64_t seed, int threads, record *r,
                           int epochs, int batch)
{
    dn_dataset train, test;
    synthetic_dataset(&train, 600, 1);
    synthetic_dataset(&test, 200, 2);
    dn_set_threads(threads);
    dn_net *net = make(spec, 256, seed);
    dn_fit_opts o;
    dn_fit_opts_default(&o);
    o.epochs = epochs;
    o.batch_size = batch;
    o.lr = 0.5f;
    o.seed = seed;
    dn_fit_hooks h = {NULL, rec, r};
    dn_err err = {0};
    cr_assert_eq(dn_fit(net, &train, &test, &o, &h, &err), DN_OK, "%s", err.msg);
    dn_set_threads(0);
    dn_dataset_free(&train);
    dn_dataset_free(&test);
    return net;
}

static dn_net *fit_synthetic(dn_mlp_spec spec, uint64_t seed, int threads, record *r,
                             int epochs)
{
    return fit_batches(spec, seed, threads, r, epochs, 32);
}

Test(train, learns_a_separable_problem)
{
    record r = {0};
    dn_net *net = fit_synthetic(d2l_spec(0.2f, 0.5f), 1, 0, &r, 4);
    cr_assert_eq(r.n, 4);
    cr_assert_lt(r.st[3].train_loss, r.st[0].train_loss);
    cr_assert_gt(r.st[3].test_acc, 0.9, "test accuracy %f", r.st[3].test_acc);
    cr_assert(isfinite(r.st[3].test_loss) && r.st[3].test_loss < 0.5, "test loss %f",
              r.st[3].test_loss);
    dn_net_free(net);
}

Test(train, same_seed_same_bits_different_seed_different_bits)
{
    record r1 = {0}, r2 = {0}, r3 = {0};
    dn_net *a = fit_synthetic(d2l_spec(0.2f, 0.5f), 7, 0, &r1, 2);
    dn_net *b = fit_synthetic(d2l_spec(0.2f, 0.5f), 7, 0, &r2, 2);
    dn_net *c = fit_synthetic(d2l_spec(0.2f, 0.5f), 8, 0, &r3, 2);
    size_t n;
    float *pa = dn_net_params(a, &n);
    cr_assert_eq(memcmp(pa, dn_net_params(b, NULL), n * sizeof(float)), 0);
    for (int e = 0; e < 2; e++) {
        cr_assert_eq(r1.st[e].train_loss, r2.st[e].train_loss);
        cr_assert_eq(r1.st[e].test_loss, r2.st[e].test_loss);
        cr_assert_eq(r1.st[e].test_acc, r2.st[e].test_acc);
    }
    cr_assert_neq(memcmp(pa, dn_net_params(c, NULL), n * sizeof(float)), 0);
    cr_assert_neq(r1.st[1].train_loss, r3.st[1].train_loss);
    dn_net_free(a);
    dn_net_free(b);
    dn_net_free(c);
}

/* Batches of 128 rows of 256 hidden units reach the parallel threshold of
 * every pass of a training step (the fused backward's is the highest);
 * each must have run on the threads asked for (matrix products on as many
 * as they have tiles; tests/test_gemm.c checks up to 4). */
Test(train, same_bits_for_1_2_and_4_threads)
{
    record r[3];
    memset(r, 0, sizeof r);
    const int threads[3] = {1, 2, 4};
    const int paths[3] = {DN_PAR_GEMM, DN_PAR_FUSED_FORWARD, DN_PAR_FUSED_BACKWARD};
    const char *names[3] = {"matrix products", "fused forward", "fused backward"};
    dn_net *net[3];
    for (int k = 0; k < 3; k++) {
        for (int p = 0; p < 3; p++)
            dn_par_take(paths[p]);
        net[k] = fit_batches(d2l_spec(0.2f, 0.5f), 3, threads[k], &r[k], 2, 128);
        for (int p = 0; p < 3; p++) {
            int ran = dn_par_take(paths[p]);
            if (k == 0)
                cr_assert_leq(ran, 1, "%s: %d threads of 1", names[p], ran);
            else if (paths[p] == DN_PAR_GEMM) /* at most one thread per tile: 2 here */
                cr_assert_geq(ran, 2, "%s ran on %d threads of %d", names[p], ran, threads[k]);
            else
                cr_assert_eq(ran, threads[k], "%s ran on %d threads, not %d", names[p], ran,
                             threads[k]);
        }
    }
    size_t n;
    float *pa = dn_net_params(net[0], &n);
    cr_assert_eq(memcmp(pa, dn_net_params(net[1], NULL), n * sizeof(float)), 0, "1 vs 2 threads");
    cr_assert_eq(memcmp(pa, dn_net_params(net[2], NULL), n * sizeof(float)), 0, "1 vs 4 threads");
    cr_assert_eq(r[0].st[1].test_loss, r[1].st[1].test_loss);
    cr_assert_eq(r[0].st[1].test_loss, r[2].st[1].test_loss);
    cr_assert_eq(r[0].st[1].train_loss, r[2].st[1].train_loss);
    for (int k = 0; k < 3; k++)
        dn_net_free(net[k]);
}

/* d2l's readers: "does calling train again continue training?" With dropnet,
 * reset gives fresh parameters: identical to a network never trained. */
Test(train, reset_gives_fresh_parameters)
{
    record r = {0};
    dn_net *trained = fit_synthetic(d2l_spec(0.2f, 0.5f), 5, 0, &r, 1);
    dn_net *fresh = make(d2l_spec(0.2f, 0.5f), 256, 5);
    size_t n;
    float *pt = dn_net_params(trained, &n);
    cr_assert_neq(memcmp(pt, dn_net_params(fresh, NULL), n * sizeof(float)), 0);
    cr_assert_eq(dn_net_reset(trained, (dn_init){DN_INIT_NORMAL, 0.01f}, 5, NULL), DN_OK);
    cr_assert_eq(memcmp(pt, dn_net_params(fresh, NULL), n * sizeof(float)), 0);
    dn_net_free(trained);
    dn_net_free(fresh);
}

Test(train, divergence_names_epoch_and_step)
{
    dn_dataset train;
    synthetic_dataset(&train, 300, 1);
    dn_net *net = make(d2l_spec(0.0f, 0.0f), 64, 1);
    dn_fit_opts o;
    dn_fit_opts_default(&o);
    o.batch_size = 64;
    o.lr = 1e6f;
    dn_err err = {0};
    cr_assert_eq(dn_fit(net, &train, NULL, &o, NULL, &err), DN_ENUMERIC);
    cr_assert(strstr(err.msg, "epoch 1, step"), "%s", err.msg);
    cr_assert(strstr(err.msg, "not finite"), "%s", err.msg);
    cr_assert(strstr(err.msg, "(try a smaller learning rate than 1e+06)"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "initial"), "d2l's init scale is not to blame: %s", err.msg);
    dn_dataset_free(&train);
    dn_net_free(net);
}

/* Weights drawn 10^4 times too large overflow the loss at a sane learning
 * rate: the message names the initial scale first, with the numbers. */
Test(train, divergence_from_a_huge_init_names_the_init)
{
    dn_dataset train;
    synthetic_dataset(&train, 300, 1);
    dn_net *net = make(d2l_spec(0.0f, 0.0f), 64, 1);
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_NORMAL, 1000.0f}, 1, NULL), DN_OK);
    dn_fit_opts o;
    dn_fit_opts_default(&o);
    o.batch_size = 64;
    o.lr = 0.1f;
    dn_err err = {0};
    cr_assert_eq(dn_fit(net, &train, NULL, &o, NULL, &err), DN_ENUMERIC);
    cr_assert(strstr(err.msg, "the likelier cause is the initial weights' scale: 1e+03 (root "
                              "mean square) on a layer of "), "%s", err.msg);
    cr_assert(strstr(err.msg, "then a smaller learning rate than 0.1)"), "%s", err.msg);
    dn_dataset_free(&train);
    dn_net_free(net);
}

/* A validation set is evaluated after every epoch, in eval mode, as the
 * test set is: the last epoch's numbers are those of the trained network. */
Test(train, validation_set_evaluated_each_epoch)
{
    dn_dataset all, train, val, test;
    synthetic_dataset(&all, 600, 1);
    synthetic_dataset(&test, 200, 2);
    dn_err err = {0};
    cr_assert_eq(dn_dataset_split(&all, 100, 1, &train, &val, &err), DN_OK, "%s", err.msg);
    dn_net *net = make(d2l_spec(0.2f, 0.5f), 256, 1);
    dn_fit_opts o;
    dn_fit_opts_default(&o);
    o.epochs = 3;
    o.batch_size = 32;
    record r = {0};
    dn_fit_hooks h = {NULL, rec, &r};
    cr_assert_eq(dn_fit_from(net, &train, &val, &test, &o, NULL, &h, NULL, &err), DN_OK, "%s",
                 err.msg);
    cr_assert_eq(r.n, 3);
    for (int e = 0; e < 3; e++) {
        cr_assert(r.st[e].has_val);
        cr_assert(r.st[e].val_loss > 0 && r.st[e].val_acc >= 0 && r.st[e].val_acc <= 1);
        /* 100 examples: the accuracy is a whole percentage. */
        cr_assert_float_eq(r.st[e].val_acc * 100, round(r.st[e].val_acc * 100), 1e-9);
    }
    double loss, acc;
    cr_assert_eq(dn_evaluate(net, &val, &loss, &acc, &err), DN_OK);
    cr_assert_eq(loss, r.st[2].val_loss);
    cr_assert_eq(acc, r.st[2].val_acc);
    cr_assert_gt(r.st[2].val_acc, 0.5, "learns: %g", r.st[2].val_acc);
    /* Without one, no validation numbers. */
    record r2 = {0};
    dn_fit_hooks h2 = {NULL, rec, &r2};
    o.epochs = 1;
    cr_assert_eq(dn_fit(net, &train, &test, &o, &h2, &err), DN_OK, "%s", err.msg);
    cr_assert(!r2.st[0].has_val);
    dn_net_free(net);
    dn_dataset_free(&all);
    dn_dataset_free(&train);
    dn_dataset_free(&val);
    dn_dataset_free(&test);
}

Test(train, rejects_bad_options)
{
    dn_dataset train;
    synthetic_dataset(&train, 100, 1);
    dn_net *net = make(d2l_spec(0.2f, 0.5f), 64, 1);
    dn_fit_opts o;
    dn_err err = {0};
    dn_fit_opts_default(&o); o.batch_size = 0;
    cr_assert_eq(dn_fit(net, &train, NULL, &o, NULL, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "batch size 0"), "%s", err.msg);
    dn_fit_opts_default(&o); o.batch_size = 64; o.lr = 0.0f;
    cr_assert_eq(dn_fit(net, &train, NULL, &o, NULL, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "learning rate"), "%s", err.msg);
    dn_fit_opts_default(&o); o.batch_size = 64; o.lr = NAN;
    cr_assert_eq(dn_fit(net, &train, NULL, &o, NULL, &err), DN_EINVAL);
    dn_fit_opts_default(&o); o.batch_size = 64; o.epochs = 0;
    cr_assert_eq(dn_fit(net, &train, NULL, &o, NULL, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "epochs"), "%s", err.msg);
    dn_fit_opts_default(&o); o.batch_size = 64; o.weight_decay = -1.0f;
    cr_assert_eq(dn_fit(net, &train, NULL, &o, NULL, &err), DN_EINVAL);
    dn_dataset_free(&train);
    dn_net_free(net);
}

Test(net, rejects_bad_layers)
{
    dn_err err = {0};
    dn_net *net = dn_net_new(784, &err);
    cr_assert(net);
    cr_assert_eq(dn_net_add_dropout(net, 1.5f, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "outside [0, 1]"), "%s", err.msg);
    cr_assert_eq(dn_net_add_linear(net, 0, &err), DN_EINVAL);
    cr_assert_eq(dn_net_build(net, 8, &err), DN_EINVAL, "no linear layer");
    cr_assert_eq(dn_net_add_linear(net, 10, &err), DN_OK);
    cr_assert_eq(dn_net_build(net, 0, &err), DN_EINVAL);
    /* An unbuilt network says so, not "built for 0". */
    float x1[784] = {0};
    double loss = 0.0;
    size_t correct = 0;
    uint8_t y1 = 0;
    cr_assert_null(dn_net_forward(net, x1, 1, &err));
    cr_assert(strstr(err.msg, "network not built"), "%s", err.msg);
    cr_assert_eq(dn_net_train_step(net, x1, &y1, 1, 0.1f, 0.0f, &loss, &correct, &err),
                 DN_EINVAL);
    cr_assert(strstr(err.msg, "network not built"), "%s", err.msg);
    cr_assert_eq(dn_net_build(net, 8, &err), DN_OK);
    cr_assert_eq(dn_net_add_relu(net, &err), DN_EINVAL, "no layers after build");
    cr_assert_null(dn_net_forward(net, NULL, 9, &err), "batch above max_batch");
    cr_assert_str_eq(err.msg, "batch of 9 rows for a network built for 1 to 8");
    dn_net_free(net);
    /* absurd sizes are refused before allocating */
    dn_mlp_spec s = d2l_spec(0.2f, 0.5f);
    s.hidden[0] = 1 << 24;
    s.hidden[1] = 1 << 24;
    cr_assert_null(dn_net_mlp(&s, 256, &err));
    cr_assert_eq(err.code, DN_EINVAL);
    cr_assert(strstr(err.msg, "parameters"), "%s", err.msg);
}

/* Buffers that each pass the caps but do not fit in the machine's memory
 * together are refused (DN_ENOMEM) before anything is allocated: zeroing
 * them would end in an out-of-memory kill. 2000-2^20-10 with batches of 640:
 * 2.1e9 parameters (and as many gradients), 2.0e9 activation floats, 1.3e9
 * floats of backward buffers, about 31 GiB. On a machine with more memory
 * than that there is nothing to refuse, and the test says so. */
Test(net, refuses_more_than_the_machines_memory)
{
    double have = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    if (have > 31.0 * 1073741824.0)
        cr_skip_test("this machine has %.0f GiB of memory, more than the network needs",
                     have / 1073741824.0);
    dn_mlp_spec s = {.inputs = 2000, .outputs = 10, .n_hidden = 1, .hidden = {1 << 20},
                     .dropout = {0.5f}};
    dn_err err = {0};
    cr_assert_null(dn_net_mlp(&s, 640, &err));
    cr_assert_eq(err.code, DN_ENOMEM, "%s", err.msg);
    cr_assert(strstr(err.msg, "GiB for batches of 640, more than the"), "%s", err.msg);
    cr_assert(strstr(err.msg, "memory of this machine"), "%s", err.msg);
    /* The widest input a CSV file may have (2^24 features) no longer sizes
     * the backward buffers: batches of 1024 fit easily. */
    dn_mlp_spec wide = {.inputs = 1 << 24, .outputs = 2, .n_hidden = 1, .hidden = {1},
                        .dropout = {0.0f}};
    dn_net *net = dn_net_mlp(&wide, 1024, &err);
    cr_assert_not_null(net, "%s", err.msg);
    dn_net_free(net);
}

/* Resuming (dn_fit_from, src/train/fit.h): stop a run after a given step, save where
 * it stands, go on in a fresh network from the saved parameters: the same
 * bits as a run never stopped, at any stopping point (mid-epoch, the last
 * step of an epoch, an epoch boundary). */
typedef struct {
    size_t stop_at; /* global step (1-based) after which to stop */
    dn_step_stats last;
    record *r;
} stopper;

static int stop_step(void *user, const dn_step_stats *s)
{
    stopper *st = user;
    st->last = *s;
    return (size_t)(s->epoch - 1) * s->steps_per_epoch + s->step == st->stop_at;
}

static int stop_epoch_rec(void *user, const dn_epoch_stats *s)
{
    stopper *st = user;
    return rec(st->r, s);
}

Test(train, resume_gives_the_bits_of_an_uninterrupted_run)
{
    dn_dataset train, test;
    synthetic_dataset(&train, 600, 1);
    synthetic_dataset(&test, 200, 2);
    dn_fit_opts o;
    dn_fit_opts_default(&o);
    o.epochs = 3;
    o.batch_size = 32; /* 19 steps per epoch, the last one of 24 rows */
    o.lr = 0.3f;
    o.weight_decay = 1e-3f;
    o.seed = 9;
    dn_err err = {0};
    record whole = {0};
    dn_net *ref = make(d2l_spec(0.2f, 0.5f), 64, 9);
    dn_fit_hooks h = {NULL, rec, &whole};
    cr_assert_eq(dn_fit(ref, &train, &test, &o, &h, &err), DN_OK, "%s", err.msg);
    size_t n;
    const float *want = dn_net_params(ref, &n);
    size_t stops[] = {1, 7, 19, 20, 45, 56};
    for (size_t k = 0; k < sizeof stops / sizeof *stops; k++) {
        record r = {0};
        stopper st = {.stop_at = stops[k], .r = &r};
        dn_net *a = make(d2l_spec(0.2f, 0.5f), 64, 9);
        dn_fit_hooks hs = {stop_step, stop_epoch_rec, &st};
        cr_assert_eq(dn_fit(a, &train, &test, &o, &hs, &err), DN_ESTOPPED);
        /* What a checkpoint keeps: parameters, epoch, step, partial sums. */
        dn_net *b = make(d2l_spec(0.2f, 0.5f), 64, 1234);
        memcpy(dn_net_params(b, NULL), dn_net_params(a, NULL), n * sizeof(float));
        dn_fit_start from = {st.last.epoch - 1, st.last.step, st.last.epoch_loss_sum,
                             st.last.epoch_correct};
        dn_fit_hooks hr = {NULL, rec, &r};
        cr_assert_eq(dn_fit_from(b, &train, NULL, &test, &o, &from, &hr, NULL, &err), DN_OK, "%s", err.msg);
        cr_assert_eq(memcmp(dn_net_params(b, NULL), want, n * sizeof(float)), 0,
                     "parameters after stopping at step %zu", stops[k]);
        cr_assert_eq(r.n, 3, "stop at %zu: %d epochs recorded", stops[k], r.n);
        for (int e = 0; e < 3; e++) {
            cr_assert_eq(r.st[e].train_loss, whole.st[e].train_loss, "stop %zu, epoch %d",
                         stops[k], e + 1);
            cr_assert_eq(r.st[e].train_acc, whole.st[e].train_acc);
            cr_assert_eq(r.st[e].test_loss, whole.st[e].test_loss);
        }
        dn_net_free(a);
        dn_net_free(b);
    }
    /* A start step past the epoch is refused. */
    dn_fit_start bad = {0, 20, 0.0, 0};
    cr_assert_eq(dn_fit_from(ref, &train, NULL, &test, &o, &bad, NULL, NULL, &err), DN_EINVAL);
    cr_assert(strstr(err.msg, "start step 20"), "%s", err.msg);
    dn_net_free(ref);
    dn_dataset_free(&train);
    dn_dataset_free(&test);
}

/* Pairing, as compare relies on it: two configurations that differ only in
 * their dropout rates, trained through dn_fit with one seed, start from the
 * same weights, see the same examples in the same order, and draw their
 * masks from the same uniforms, so that every unit dropped at the lower
 * rate is dropped at the higher one too. A third run on another seed shows
 * the checks can fail. */
#define PAIR_N 600
#define PAIR_W 64
#define PAIR_EPOCHS 2
#define PAIR_ROWS (PAIR_N * PAIR_EPOCHS)

typedef struct {
    dn_net *net;
    int rows;                          /* rows seen so far */
    uint32_t id[PAIR_ROWS];            /* example of each row, in order */
    uint8_t mask[2][PAIR_ROWS * PAIR_W]; /* sites 1 and 2 (layers 3 and 6) */
} pair_log;

static int pair_step(void *user, const dn_step_stats *st)
{
    pair_log *p = user;
    /* Flatten's output is the batch itself; pixels 0 and 1 spell the
     * example's index. */
    const float *x = dn_net_activation(p->net, 0);
    for (int r = 0; r < st->batch; r++) {
        long lo = lroundf(x[(size_t)r * 784] * 255.0f);
        long hi = lroundf(x[(size_t)r * 784 + 1] * 255.0f);
        p->id[p->rows + r] = (uint32_t)(hi * 256 + lo);
    }
    memcpy(p->mask[0] + (size_t)p->rows * PAIR_W, dn_net_mask(p->net, 3),
           (size_t)st->batch * PAIR_W);
    memcpy(p->mask[1] + (size_t)p->rows * PAIR_W, dn_net_mask(p->net, 6),
           (size_t)st->batch * PAIR_W);
    p->rows += st->batch;
    return 0;
}

/* Returns a copy of the initial parameters (free it); *count their number. */
static float *pair_fit(pair_log *p, float p1, float p2, uint64_t seed, const dn_dataset *train,
                       size_t *count)
{
    dn_mlp_spec s = {.inputs = 784, .outputs = 10, .n_hidden = 2, .hidden = {PAIR_W, PAIR_W},
                     .dropout = {p1, p2}};
    dn_err err = {0};
    p->net = dn_net_mlp(&s, 64, &err);
    cr_assert(p->net, "%s", err.msg);
    cr_assert_eq(dn_net_reset(p->net, (dn_init){DN_INIT_NORMAL, 0.01f}, seed, &err), DN_OK);
    size_t n;
    const float *w = dn_net_params(p->net, &n);
    float *initial = malloc(n * sizeof *initial);
    cr_assert(initial);
    memcpy(initial, w, n * sizeof *initial);
    *count = n;
    dn_fit_opts o;
    dn_fit_opts_default(&o);
    o.epochs = PAIR_EPOCHS;
    o.batch_size = 64; /* 10 steps per epoch, the last one of 24 rows */
    o.seed = seed;
    dn_fit_hooks h = {pair_step, NULL, p};
    cr_assert_eq(dn_fit(p->net, train, NULL, &o, &h, &err), DN_OK, "%s", err.msg);
    cr_assert_eq(p->rows, PAIR_ROWS);
    return initial;
}

/* 1 when every unit dropped in lo (0) is dropped in hi; counts the drops. */
static int nested(const uint8_t *lo, const uint8_t *hi, size_t n, size_t *drops_lo,
                  size_t *drops_hi)
{
    int ok = 1;
    *drops_lo = *drops_hi = 0;
    for (size_t i = 0; i < n; i++) {
        *drops_lo += !lo[i];
        *drops_hi += !hi[i];
        ok &= lo[i] || !hi[i];
    }
    return ok;
}

Test(pairing, same_seed_same_weights_batches_and_nested_masks)
{
    dn_dataset train;
    synthetic_dataset(&train, PAIR_N, 1);
    for (size_t i = 0; i < PAIR_N; i++) {
        train.images[i * 784] = (uint8_t)(i & 255);
        train.images[i * 784 + 1] = (uint8_t)(i >> 8);
    }
    static pair_log a, b, c;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    size_t np, nb, nc;
    float *wa = pair_fit(&a, 0.2f, 0.5f, 11, &train, &np);
    float *wb = pair_fit(&b, 0.5f, 0.2f, 11, &train, &nb);
    float *wc = pair_fit(&c, 0.2f, 0.5f, 12, &train, &nc);
    cr_assert(np == nb && np == nc);

    cr_assert_eq(memcmp(wa, wb, np * sizeof *wa), 0, "same seed: same initial weights");
    cr_assert_neq(memcmp(wa, wc, np * sizeof *wa), 0, "another seed: other weights");

    /* The same examples in the same order: the seed's shuffle of each epoch. */
    uint32_t perm[PAIR_N];
    for (int e = 0; e < PAIR_EPOCHS; e++) {
        dn_shuffle(perm, PAIR_N, 11, (uint32_t)e);
        for (int i = 0; i < PAIR_N; i++) {
            cr_assert_eq(a.id[e * PAIR_N + i], perm[i], "epoch %d, row %d", e + 1, i);
            cr_assert_eq(b.id[e * PAIR_N + i], perm[i], "epoch %d, row %d", e + 1, i);
        }
    }
    cr_assert_neq(memcmp(a.id, c.id, sizeof a.id), 0, "another seed: another order");

    /* Site 1: A drops at 0.2, B at 0.5; site 2 the other way round. */
    size_t n = (size_t)PAIR_ROWS * PAIR_W, lo, hi;
    cr_assert(nested(a.mask[0], b.mask[0], n, &lo, &hi), "site 1: A's drops within B's");
    cr_assert(fabs((double)lo / n - 0.2) < 0.01 && fabs((double)hi / n - 0.5) < 0.01,
              "site 1 drop rates %.4f, %.4f", (double)lo / n, (double)hi / n);
    cr_assert(nested(b.mask[1], a.mask[1], n, &lo, &hi), "site 2: B's drops within A's");
    cr_assert(fabs((double)lo / n - 0.2) < 0.01 && fabs((double)hi / n - 0.5) < 0.01,
              "site 2 drop rates %.4f, %.4f", (double)lo / n, (double)hi / n);
    /* Unpaired, the nesting fails at once. */
    cr_assert(!nested(c.mask[0], b.mask[0], n, &lo, &hi), "another seed: masks not nested");

    dn_net_free(a.net);
    dn_net_free(b.net);
    dn_net_free(c.net);
    free(wa);
    free(wb);
    free(wc);
    dn_dataset_free(&train);
}
