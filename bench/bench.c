/* make bench: seconds per epoch of the d2l-2020 model and the rate of the
 * CBLAS SGEMM on the same shapes, side by side in one process.
 *
 *   dropnet-bench [--epochs N] [--threads T] [--data DIR]
 *
 * FLOPs are counted as 2*M*N*K per matrix product: per training example the
 * forward pass, the weight gradients of all three layers and the input
 * gradients of layers 2 and 3; per test example the forward pass. */
#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    int ta, tb, M, N, K;
    double calls; /* per epoch */
} shape;

static double gemm_seconds(const shape *s, float *A, float *B, float *C)
{
    int lda = s->ta ? s->M : s->K, ldb = s->tb ? s->K : s->N;
    dn_gemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f, C, s->N);
    double flops = 2.0 * s->M * s->N * s->K;
    int reps = (int)(2e9 / flops) + 3;
    double best = 1e30;
    for (int round = 0; round < 3; round++) {
        double t = dn_now();
        for (int r = 0; r < reps; r++)
            dn_gemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f, C, s->N);
        t = (dn_now() - t) / reps;
        best = t < best ? t : best;
    }
    return best;
}

static double epoch_secs[64];
static int n_epochs_seen;
static int record(void *user, const dn_epoch_stats *s)
{
    (void)user;
    if (n_epochs_seen < 64)
        epoch_secs[n_epochs_seen++] = s->seconds;
    printf("  epoch %d: %.3f s  train_loss %.4f  test_acc %.4f\n", s->epoch, s->seconds,
           s->train_loss, s->test_acc);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    int epochs = 3, threads = 0;
    const char *data = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--epochs") == 0) epochs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0) threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--data") == 0) data = argv[i + 1];
        else {
            fprintf(stderr, "usage: dropnet-bench [--epochs N] [--threads T] [--data DIR]\n");
            return 2;
        }
    }
    if (epochs < 1 || epochs > 64) {
        fprintf(stderr, "dropnet-bench: --epochs must be in [1, 64]\n");
        return 2;
    }
    threads = dn_set_threads(threads);
    dn_err err = {0};
    char dir[4096];
    dn_dataset train, test;
    if (dn_fmnist_find(data, dir, sizeof dir, &err) || dn_fmnist_load(dir, &train, &test, &err)) {
        fprintf(stderr, "dropnet-bench: %s\n", err.msg);
        return 2;
    }
    dn_run_config cfg;
    dn_preset("d2l-2020", &cfg, &err);
    cfg.fit.epochs = epochs;
    dn_net *net = dn_net_mlp(&cfg.arch, 1024, &err);
    if (!net || dn_net_reset(net, cfg.init, 1, &err)) {
        fprintf(stderr, "dropnet-bench: %s\n", err.msg);
        return 1;
    }
    printf("dropnet-bench: d2l-2020 (784-256-256-10, batch 256), %d epochs, %d thread%s, %s\n",
           epochs, threads, threads == 1 ? "" : "s", dn_blas_info());
    dn_fit_hooks hooks = {NULL, record, NULL};
    if (dn_fit(net, &train, &test, &cfg.fit, &hooks, &err)) {
        fprintf(stderr, "dropnet-bench: %s\n", err.msg);
        return 1;
    }
    double total = 0.0;
    for (int i = 0; i < n_epochs_seen; i++)
        total += epoch_secs[i];
    double per_epoch = total / n_epochs_seen;

    /* The matrix products of one epoch: 234 full batches, one of 96 rows,
     * test evaluation in blocks of 1024 (9 full, one of 784). */
    const double full = 234, last = 96;
    shape shapes[] = {
        {"fwd  X.W1^T      256x256x784", 0, 1, 256, 256, 784, full},
        {"fwd  H1.W2^T     256x256x256", 0, 1, 256, 256, 256, full},
        {"fwd  H2.W3^T     256x10x256 ", 0, 1, 256, 10, 256, full},
        {"dW1  dZ1^T.X     256x784x256", 1, 0, 256, 784, 256, full},
        {"dW2  dZ2^T.H1    256x256x256", 1, 0, 256, 256, 256, full},
        {"dW3  dO^T.H2     10x256x256 ", 1, 0, 10, 256, 256, full},
        {"dH1  dZ2.W2      256x256x256", 0, 0, 256, 256, 256, full},
        {"dH2  dO.W3       256x256x10 ", 0, 0, 256, 256, 10, full},
        {"last batch fwd1  96x256x784 ", 0, 1, 96, 256, 784, 1},
        {"last batch dW1   256x784x96 ", 1, 0, 256, 784, 96, 1},
        {"eval X.W1^T     1024x256x784", 0, 1, 1024, 256, 784, 9 + 784.0 / 1024},
        {"eval H1.W2^T    1024x256x256", 0, 1, 1024, 256, 256, 9 + 784.0 / 1024},
        {"eval H2.W3^T    1024x10x256 ", 0, 1, 1024, 10, 256, 9 + 784.0 / 1024},
    };
    (void)last;
    float *A = dn_alloc(1024 * 1024, sizeof(float)), *B = dn_alloc(1024 * 1024, sizeof(float));
    float *C = dn_alloc(1024 * 1024, sizeof(float));
    for (int i = 0; i < 1024 * 1024; i++) {
        A[i] = (float)((i * 7) % 13) * 0.01f;
        B[i] = (float)((i * 5) % 11) * 0.01f;
    }
    double gemm_time = 0.0, flops = 0.0;
    printf("\nCBLAS SGEMM on the same shapes:\n");
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        double t = gemm_seconds(&shapes[i], A, B, C);
        double f = 2.0 * shapes[i].M * shapes[i].N * shapes[i].K;
        printf("  %s  %7.1f GFLOP/s\n", shapes[i].name, f / t * 1e-9);
        gemm_time += t * shapes[i].calls;
        flops += f * shapes[i].calls;
    }
    /* The last batch's other products are small; count them at the rate of
     * their full-batch shapes scaled by rows. */
    double flops_epoch = 60000.0 * 2 * (784 * 256 + 256 * 256 + 256 * 10) * 2 +
                         60000.0 * 2 * (256 * 256 + 256 * 10) +
                         10000.0 * 2 * (784 * 256 + 256 * 256 + 256 * 10);
    gemm_time *= flops_epoch / flops;
    double sgemm_rate = flops_epoch / gemm_time * 1e-9;
    printf("\nresults (%d thread%s, %s):\n", threads, threads == 1 ? "" : "s", dn_blas_info());
    printf("  matrix work per epoch        %.2f GFLOP\n", flops_epoch * 1e-9);
    printf("  dropnet                      %.3f s/epoch  %.1f GFLOP/s\n", per_epoch,
           flops_epoch / per_epoch * 1e-9);
    printf("  SGEMM alone, same shapes     %.3f s/epoch  %.1f GFLOP/s\n", gemm_time, sgemm_rate);
    printf("  fraction of the SGEMM rate   %.0f %%\n", 100.0 * gemm_time / per_epoch);
    dn_free(A);
    dn_free(B);
    dn_free(C);
    dn_net_free(net);
    dn_dataset_free(&train);
    dn_dataset_free(&test);
    return 0;
}
