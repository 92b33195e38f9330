/* Data-parallel training (src/train/dp.c): micro-blocks draw the masks the
 * whole batch draws and their gradients add up to its gradient; 1, 2 and 4
 * ranks give the same bits. The ranks here are threads of this process
 * that exchange through memory, so the plain build checks the tree without
 * MPI; tests/mpi_dp.sh checks it again under mpirun. */
#include "core/internal.h"
#include "helpers.h"
#include "nn/net_internal.h"
#include "train/fit.h"

#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static dn_mlp_spec small_spec(void)
{
    /* input dropout (the plain dropout pass) and two fused hidden layers */
    dn_mlp_spec s = {.inputs = 784, .outputs = 10, .n_hidden = 2, .hidden = {48, 32},
                     .dropout = {0.3f, 0.5f}, .input_dropout = 0.2f};
    return s;
}

static dn_net *make(uint64_t seed)
{
    dn_err err = {0};
    dn_mlp_spec s = small_spec();
    dn_net *net = dn_net_mlp(&s, 256, &err);
    cr_assert_not_null(net, "%s", err.msg);
    cr_assert_eq(dn_net_reset(net, (dn_init){DN_INIT_PYTORCH, 0.0f}, seed, &err), DN_OK);
    return net;
}

/* The rows of a batch: examples 0 .. B - 1 of ds, as floats. */
static float *rows_of(const dn_dataset *ds, int B)
{
    float *x = malloc((size_t)B * 784 * sizeof *x);
    cr_assert_not_null(x);
    for (size_t i = 0; i < (size_t)B * 784; i++)
        x[i] = (float)ds->images[i] / 255.0f;
    return x;
}

/* Each micro-block, computed on its own rows, draws the dropout masks the
 * whole batch draws for them, and the blocks' gradients add up to the
 * batch's gradient (to rounding: another order of addition). */
Test(dp, blocks_draw_the_batch_masks_and_add_up_to_its_gradient)
{
    const int B = 100, K = 8;
    dn_dataset ds;
    synthetic_dataset(&ds, (size_t)B, 3);
    float *x = rows_of(&ds, B);
    dn_net *whole = make(5), *part = make(5);
    dn_err err = {0};
    size_t n;
    float *gw = dn_net_grads(whole, &n);
    dn_net_set_rng(whole, 7, 11);
    dn_net_set_rng(part, 7, 11);
    double loss_w = 0.0;
    size_t ok_w = 0;
    /* the whole batch: its gradient without the update (block_grad at row 0) */
    cr_assert_eq(dn_net_block_grad(whole, x, NULL, ds.labels, B, 0, 1.0f / (float)B, &loss_w,
                                   &ok_w, &err),
                 DN_OK, "%s", err.msg);
    float *sum = calloc(n, sizeof *sum);
    cr_assert_not_null(sum);
    double loss_p = 0.0;
    size_t ok_p = 0;
    int masks_checked = 0;
    for (int b = 0; b < K; b++) {
        int lo = b * B / K, hi = (b + 1) * B / K;
        double l;
        size_t c;
        cr_assert_eq(dn_net_block_grad(part, x + (size_t)lo * 784, NULL, ds.labels + lo, hi - lo,
                                       (uint64_t)lo, 1.0f / (float)B, &l, &c, &err),
                     DN_OK, "%s", err.msg);
        loss_p += l;
        ok_p += c;
        float *g = dn_net_grads(part, NULL);
        for (size_t k = 0; k < n; k++)
            sum[k] += g[k];
        for (int i = 0; i < dn_net_num_layers(part); i++) {
            dn_layer_info li;
            cr_assert_eq(dn_net_layer(part, i, &li, &err), DN_OK);
            if (li.kind != DN_LAYER_DROPOUT)
                continue;
            const uint8_t *mw = dn_net_mask(whole, i), *mp = dn_net_mask(part, i);
            cr_assert_eq(memcmp(mp, mw + (size_t)lo * (size_t)li.out,
                                (size_t)(hi - lo) * (size_t)li.out),
                         0, "block %d, layer %d: other masks than the whole batch's", b, i);
            masks_checked++;
        }
    }
    cr_assert_eq(masks_checked, 3 * K);
    cr_assert_eq(ok_p, ok_w);
    cr_assert(fabs(loss_p - loss_w) <= 1e-9 * fabs(loss_w), "loss %.17g vs %.17g", loss_p,
              loss_w);
    /* Sums of the same terms in another order: within a few ulps of the
     * largest gradient entry (float, 100 rows). */
    double big = 0.0, worst = 0.0;
    for (size_t k = 0; k < n; k++) {
        big = fmax(big, fabs((double)gw[k]));
        worst = fmax(worst, fabs((double)sum[k] - (double)gw[k]));
    }
    cr_assert(big > 1e-3, "gradient %g: nothing to compare", big);
    cr_assert(worst <= 1e-5 * big, "blocks' sum differs by %g (largest entry %g)", worst, big);
    free(sum);
    free(x);
    dn_net_free(whole);
    dn_net_free(part);
    dn_dataset_free(&ds);
}

/* The largest difference between the whole batch's gradient and the sum of
 * its K blocks' gradients, relative to the gradient's largest entry. */
static double blocks_vs_batch(dn_net *whole, dn_net *part, const float *x, const uint8_t *y,
                              int B, int K)
{
    dn_err err = {0};
    size_t n;
    const float *gw = dn_net_grads(whole, &n);
    double l;
    size_t c;
    dn_net_set_rng(whole, 7, 11);
    dn_net_set_rng(part, 7, 11);
    cr_assert_eq(dn_net_block_grad(whole, (float *)x, NULL, y, B, 0, 1.0f / (float)B, &l, &c,
                                   &err),
                 DN_OK, "%s", err.msg);
    double *sum = calloc(n, sizeof *sum);
    cr_assert_not_null(sum);
    for (int b = 0; b < K; b++) {
        int lo = b * B / K, hi = (b + 1) * B / K;
        cr_assert_eq(dn_net_block_grad(part, (float *)x + (size_t)lo * 784, NULL, y + lo,
                                       hi - lo, (uint64_t)lo, 1.0f / (float)B, &l, &c, &err),
                     DN_OK, "%s", err.msg);
        const float *g = dn_net_grads(part, NULL);
        for (size_t k = 0; k < n; k++)
            sum[k] += g[k];
    }
    double big = 0.0, worst = 0.0;
    for (size_t k = 0; k < n; k++) {
        big = fmax(big, fabs((double)gw[k]));
        worst = fmax(worst, fabs(sum[k] - (double)gw[k]));
    }
    free(sum);
    cr_assert(big > 1e-3, "gradient %g: nothing to compare", big);
    return worst / big;
}

/* Every other noise draws by the row in the whole batch too (DropConnect:
 * one mask of the weights per step, the same for every block): the blocks'
 * gradients add up to the batch's. Drawn by the row within the block, they
 * would be other noise, and the gradients would differ by far more. */
Test(dp, every_noise_draws_by_the_row_in_the_whole_batch)
{
    const int B = 96, K = 8;
    dn_dataset ds;
    synthetic_dataset(&ds, (size_t)B, 8);
    float *x = rows_of(&ds, B);
    const dn_noise noises[] = {{DN_NOISE_GAUSSIAN, 0.4f}, {DN_NOISE_UNIFORM, 0.4f},
                               {DN_NOISE_ADDITIVE, 0.5f}, {DN_NOISE_DROPCONNECT, 0.3f}};
    for (size_t k = 0; k < sizeof noises / sizeof *noises; k++) {
        dn_net *whole = make(5), *part = make(5);
        dn_err err = {0};
        for (int site = 0; site <= 2; site++) {
            cr_assert_eq(dn_net_set_noise(whole, site, noises[k], &err), DN_OK, "%s", err.msg);
            cr_assert_eq(dn_net_set_noise(part, site, noises[k], &err), DN_OK, "%s", err.msg);
        }
        double rel = blocks_vs_batch(whole, part, x, ds.labels, B, K);
        cr_assert(rel <= 1e-5, "noise kind %d: the blocks' sum differs by %g of the largest entry",
                  (int)noises[k].kind, rel);
        dn_net_free(whole);
        dn_net_free(part);
    }
    free(x);
    dn_dataset_free(&ds);
}

/* ---- ranks as threads: exchange and bcast through shared slots ---- */

typedef struct {
    pthread_barrier_t bar;
    const void *send[8];
    size_t send_n[8];
} mailbox;

typedef struct {
    mailbox *box;
    int rank;
} rank_ctx;

static int mem_exchange(void *ctx, int peer, const void *send, size_t send_n, void *recv,
                        size_t recv_n, dn_err *err)
{
    (void)err;
    rank_ctx *c = ctx;
    c->box->send[c->rank] = send;
    c->box->send_n[c->rank] = send_n;
    pthread_barrier_wait(&c->box->bar);
    cr_assert_eq(c->box->send_n[peer], recv_n, "rank %d: %zu bytes from %d, %zu expected",
                 c->rank, c->box->send_n[peer], peer, recv_n);
    memcpy(recv, c->box->send[peer], recv_n);
    pthread_barrier_wait(&c->box->bar);
    return DN_OK;
}

static int mem_bcast(void *ctx, void *buf, size_t n, dn_err *err)
{
    (void)err;
    rank_ctx *c = ctx;
    if (c->rank == 0)
        c->box->send[0] = buf;
    pthread_barrier_wait(&c->box->bar);
    if (c->rank != 0)
        memcpy(buf, c->box->send[0], n);
    pthread_barrier_wait(&c->box->bar);
    return DN_OK;
}

typedef struct {
    rank_ctx ctx;
    dn_dp_comm comm;
    dn_net *net;
    const dn_dataset *train, *test;
    dn_fit_opts o;
    int blocks;
    int rc;
    dn_err err;
    dn_epoch_stats last;
} rank_job;

static int keep_epoch(void *user, const dn_epoch_stats *st)
{
    ((rank_job *)user)->last = *st;
    return 0;
}

static void *run_rank(void *arg)
{
    rank_job *j = arg;
    dn_set_threads(1);
    dn_fit_par par = {j->blocks, &j->comm};
    dn_fit_hooks h = {NULL, keep_epoch, j};
    j->rc = dn_fit_from(j->net, j->train, NULL, j->ctx.rank == 0 ? j->test : NULL, &j->o, NULL,
                        j->ctx.rank == 0 ? &h : NULL, &par, &j->err);
    return NULL;
}

/* Trains on `size` ranks; returns rank 0's network. */
static dn_net *train_ranks(int size, int blocks, const dn_dataset *train,
                           const dn_dataset *test, dn_epoch_stats *last)
{
    mailbox box;
    memset(&box, 0, sizeof box);
    pthread_barrier_init(&box.bar, NULL, (unsigned)size);
    rank_job jobs[8];
    pthread_t th[8];
    for (int r = 0; r < size; r++) {
        rank_job *j = &jobs[r];
        memset(j, 0, sizeof *j);
        j->ctx = (rank_ctx){&box, r};
        j->comm = (dn_dp_comm){.rank = r, .size = size, .exchange = mem_exchange,
                               .bcast = mem_bcast, .ctx = &j->ctx};
        /* Only rank 0's parameters count: the others start from other ones */
        j->net = make(r == 0 ? 1 : 100 + (uint64_t)r);
        j->train = train;
        j->test = test;
        dn_fit_opts_default(&j->o);
        j->o.epochs = 4;
        j->o.batch_size = 60;
        j->o.lr = 0.5f;
        j->o.seed = 4;
        j->blocks = blocks;
        cr_assert_eq(pthread_create(&th[r], NULL, run_rank, j), 0);
    }
    for (int r = 0; r < size; r++)
        pthread_join(th[r], NULL);
    pthread_barrier_destroy(&box.bar);
    for (int r = 0; r < size; r++)
        cr_assert_eq(jobs[r].rc, DN_OK, "rank %d of %d: %s", r, size, jobs[r].err.msg);
    size_t n;
    const float *p0 = dn_net_params(jobs[0].net, &n);
    for (int r = 1; r < size; r++) {
        cr_assert_eq(memcmp(dn_net_params(jobs[r].net, NULL), p0, n * sizeof *p0), 0,
                     "rank %d of %d ends with other parameters than rank 0", r, size);
        dn_net_free(jobs[r].net);
    }
    *last = jobs[0].last;
    return jobs[0].net;
}

/* 1, 2 and 4 ranks: the same parameters and metrics, bit for bit; 300
 * examples in batches of 60 cut into 8 blocks, so blocks of 7 and 8 rows. */
Test(dp, one_two_and_four_ranks_give_the_same_bits)
{
    dn_dataset train, test;
    synthetic_dataset(&train, 300, 21);
    synthetic_dataset(&test, 100, 22);
    dn_epoch_stats s1, s2, s4;
    dn_net *a = train_ranks(1, 8, &train, &test, &s1);
    dn_net *b = train_ranks(2, 8, &train, &test, &s2);
    dn_net *c = train_ranks(4, 8, &train, &test, &s4);
    size_t n;
    const float *pa = dn_net_params(a, &n);
    cr_assert_eq(memcmp(pa, dn_net_params(b, NULL), n * sizeof *pa), 0, "2 ranks differ from 1");
    cr_assert_eq(memcmp(pa, dn_net_params(c, NULL), n * sizeof *pa), 0, "4 ranks differ from 1");
    cr_assert_eq(s1.epoch, 4);
    cr_assert(s1.train_loss == s2.train_loss && s1.train_loss == s4.train_loss,
              "train loss %.17g, %.17g, %.17g", s1.train_loss, s2.train_loss, s4.train_loss);
    cr_assert(s1.test_acc == s2.test_acc && s1.test_acc == s4.test_acc);
    /* it learnt: the classes are bands of bright rows */
    cr_assert(s1.test_acc > 0.5, "test accuracy %g", s1.test_acc);
    /* and one block is plain training, bit for bit */
    dn_epoch_stats sp;
    dn_net *plain = make(1);
    dn_fit_opts o;
    dn_fit_opts_default(&o);
    o.epochs = 4;
    o.batch_size = 60;
    o.lr = 0.5f;
    o.seed = 4;
    rank_job keep = {0};
    dn_fit_hooks h = {NULL, keep_epoch, &keep};
    dn_err err = {0};
    cr_assert_eq(dn_fit(plain, &train, &test, &o, &h, &err), DN_OK, "%s", err.msg);
    sp = keep.last;
    dn_epoch_stats s1b;
    dn_net *one = train_ranks(1, 1, &train, &test, &s1b);
    cr_assert_eq(memcmp(dn_net_params(plain, NULL), dn_net_params(one, NULL), n * sizeof(float)),
                 0, "one micro-block differs from plain training");
    cr_assert(sp.train_loss == s1b.train_loss);
    /* eight blocks add in another order: close to plain, not the same bits */
    cr_assert_neq(memcmp(dn_net_params(plain, NULL), pa, n * sizeof(float)), 0);
    cr_assert(fabs(sp.train_loss - s1.train_loss) < 1e-3 * sp.train_loss, "%g vs %g",
              sp.train_loss, s1.train_loss);
    dn_net_free(a);
    dn_net_free(b);
    dn_net_free(c);
    dn_net_free(plain);
    dn_net_free(one);
    dn_dataset_free(&train);
    dn_dataset_free(&test);
}

/* Rank counts the tree cannot serve are refused with a line saying why. */
Test(dp, ranks_must_be_a_power_of_two_within_the_blocks)
{
    dn_net *net = make(1);
    dn_err err = {0};
    dn_dp_comm comm = {.rank = 0, .size = 3};
    dn_fit_par par = {8, &comm};
    cr_assert_null(dn_dp_new(net, &par, &err));
    cr_assert_eq(err.code, DN_EINVAL);
    cr_assert(strstr(err.msg, "3 ranks"), "%s", err.msg);
    comm.size = 16;
    cr_assert_null(dn_dp_new(net, &par, &err));
    par.blocks = 6;
    comm.size = 1;
    cr_assert_null(dn_dp_new(net, &par, &err));
    cr_assert(strstr(err.msg, "6 micro-blocks"), "%s", err.msg);
    dn_net_free(net);
}
