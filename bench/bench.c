/* make bench: seconds per epoch of dropnet training, next to the rate of the
 * CBLAS SGEMM on the same matrix shapes, measured in one process.
 *
 *   dropnet-bench [--epochs N] [--threads T] [--data DIR]
 *                 [--hidden H] [--batch-size B] [--no-sgemm] [--scaling]
 *
 * The model is d2l-2020 (784-H-H-10, dropout 0.2/0.5, lr 0.5) on
 * Fashion-MNIST. FLOPs are 2*M*N*K per matrix product: per training example
 * the forward pass, the weight gradients of the three layers and the input
 * gradients of layers 2 and 3; per test example the forward pass (blocks of
 * max(batch, 1024) rows, as dn_fit evaluates).
 *
 * The machine is shared, so every time is the best of several rounds:
 * epochs are timed one by one (min and median reported) and each SGEMM shape
 * is timed in several rounds (min kept). --scaling prints the table of
 * hidden widths 256, 1024, 4096 by batch sizes 64, 256, 1024 (one epoch each,
 * the first step of the start-up excluded). */
#include "dropnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    int ta, tb, M, N, K;
    double calls; /* per epoch */
} shape;

/* n floats, 64-byte aligned as the library's own buffers are. */
static float *alloc64(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    return aligned_alloc(64, bytes ? bytes : 64);
}

static double gemm_best(const shape *s, float *A, float *B, float *C)
{
    int lda = s->ta ? s->M : s->K, ldb = s->tb ? s->K : s->N;
    double flops = 2.0 * s->M * s->N * s->K;
    int reps = (int)(3e8 / flops) + 2;
    double best = 1e30;
    dn_gemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f, C, s->N);
    for (int round = 0; round < 5; round++) {
        double t = dn_now();
        for (int r = 0; r < reps; r++)
            dn_gemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f, C, s->N);
        t = (dn_now() - t) / reps;
        best = t < best ? t : best;
    }
    return best;
}

/* The matrix products of one epoch of 784-H-H-10 with batch B. */
static int epoch_shapes(shape *out, int H, int B, size_t n_train, size_t n_test)
{
    int k = 0;
    double full = (double)(n_train / (size_t)B);
    int last = (int)(n_train % (size_t)B);
    int E = B > 1024 ? B : 1024;
    double efull = (double)(n_test / (size_t)E);
    int elast = (int)(n_test % (size_t)E);
    int rows[2] = {B, last};
    double calls[2] = {full, 1.0};
    for (int v = 0; v < 2; v++) {
        int b = rows[v];
        if (b == 0)
            continue;
        double c = calls[v];
        out[k++] = (shape){0, 1, b, H, 784, c};  /* X . W1^T */
        out[k++] = (shape){0, 1, b, H, H, c};    /* D1 . W2^T */
        out[k++] = (shape){0, 1, b, 10, H, c};   /* D2 . W3^T */
        out[k++] = (shape){1, 0, H, 784, b, c};  /* dW1 = dZ1^T . X */
        out[k++] = (shape){1, 0, H, H, b, c};    /* dW2 */
        out[k++] = (shape){1, 0, 10, H, b, c};   /* dW3 */
        out[k++] = (shape){0, 0, b, H, H, c};    /* dD1 = dZ2 . W2 */
        out[k++] = (shape){0, 0, b, H, 10, c};   /* dD2 = dO . W3 */
    }
    int erows[2] = {E, elast};
    double ecalls[2] = {efull, 1.0};
    for (int v = 0; v < 2; v++) {
        if (erows[v] == 0)
            continue;
        out[k++] = (shape){0, 1, erows[v], H, 784, ecalls[v]};
        out[k++] = (shape){0, 1, erows[v], H, H, ecalls[v]};
        out[k++] = (shape){0, 1, erows[v], 10, H, ecalls[v]};
    }
    return k;
}

typedef struct {
    double times[64];
    int n;
} epoch_log;

static int record(void *user, const dn_epoch_stats *s)
{
    epoch_log *l = user;
    if (l->n < 64)
        l->times[l->n++] = s->seconds;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double best, median;  /* s per epoch */
    double sgemm;         /* s per epoch of the same products alone */
    double gflop;         /* per epoch */
    double test_acc;
} result;

static double last_acc;
static int record_acc(void *user, const dn_epoch_stats *s)
{
    last_acc = s->test_acc;
    return record(user, s);
}

static int run(const dn_dataset *train, const dn_dataset *test, int H, int B, int epochs,
               int with_sgemm, result *res)
{
    dn_err err = {0};
    dn_config cfg;
    dn_preset("d2l-2020", &cfg, &err);
    cfg.arch.hidden[0] = cfg.arch.hidden[1] = H;
    cfg.fit.batch_size = B;
    cfg.fit.epochs = epochs;
    dn_net *net = dn_net_mlp(&cfg.arch, B > 1024 ? B : 1024, &err);
    if (!net || dn_net_reset(net, cfg.init, 1, &err)) {
        fprintf(stderr, "dropnet-bench: %s\n", err.msg);
        return 1;
    }
    epoch_log log = {0};
    dn_fit_hooks hooks = {NULL, record_acc, &log};
    if (dn_fit(net, train, test, &cfg.fit, &hooks, &err)) {
        fprintf(stderr, "dropnet-bench: %s\n", err.msg);
        dn_net_free(net);
        return 1;
    }
    dn_net_free(net);
    double sorted[64];
    memcpy(sorted, log.times, sizeof(double) * (size_t)log.n);
    qsort(sorted, (size_t)log.n, sizeof(double), cmp_double);
    res->best = sorted[0];
    res->median = sorted[log.n / 2];
    res->test_acc = last_acc;
    shape sh[32];
    int ns = epoch_shapes(sh, H, B, train->n, test->n);
    res->gflop = 0.0;
    for (int i = 0; i < ns; i++)
        res->gflop += 2.0 * sh[i].M * sh[i].N * sh[i].K * sh[i].calls * 1e-9;
    res->sgemm = 0.0;
    if (with_sgemm) {
        size_t big = 0; /* the largest operand of any shape */
        for (int i = 0; i < ns; i++) {
            size_t m = (size_t)sh[i].M, n = (size_t)sh[i].N, k = (size_t)sh[i].K;
            size_t a = m * k > k * n ? m * k : k * n;
            a = a > m * n ? a : m * n;
            big = a > big ? a : big;
        }
        float *A = alloc64(big), *Bm = alloc64(big), *C = alloc64(big);
        if (!A || !Bm || !C) {
            fprintf(stderr, "dropnet-bench: out of memory\n");
            return 1;
        }
        for (size_t i = 0; i < big; i++) {
            A[i] = (float)((i * 7) % 13) * 0.01f;
            Bm[i] = (float)((i * 5) % 11) * 0.01f;
        }
        for (int i = 0; i < ns; i++)
            res->sgemm += gemm_best(&sh[i], A, Bm, C) * sh[i].calls;
        free(A);
        free(Bm);
        free(C);
    }
    return 0;
}

static double t_start;
static double t_first_step = -1.0;
static int first_step(void *user, const dn_step_stats *s)
{
    (void)user;
    (void)s;
    if (t_first_step < 0.0)
        t_first_step = dn_now() - t_start;
    return 1; /* stop: only the start-up is measured */
}

int main(int argc, char **argv)
{
    /* Settings read only at load time: restart once with them (if execv
     * fails, carry on with the settings as they are). */
    if (dn_runtime_env())
        execv("/proc/self/exe", argv);
    t_start = dn_now();
    int epochs = 3, threads = 0, H = 256, B = 256, with_sgemm = 1, scaling = 0;
    const char *data = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-sgemm") == 0) { with_sgemm = 0; continue; }
        if (strcmp(a, "--scaling") == 0) { scaling = 1; continue; }
        if (!v) goto usage;
        if (strcmp(a, "--epochs") == 0) epochs = atoi(v);
        else if (strcmp(a, "--threads") == 0) threads = atoi(v);
        else if (strcmp(a, "--data") == 0) data = v;
        else if (strcmp(a, "--hidden") == 0) H = atoi(v);
        else if (strcmp(a, "--batch-size") == 0) B = atoi(v);
        else goto usage;
        i++;
    }
    if (epochs < 1 || epochs > 64 || H < 1 || H > 8192 || B < 1 || B > 60000)
        goto usage;
    threads = dn_set_threads(threads);
    dn_err err = {0};
    char dir[4096];
    dn_dataset train, test;
    if (dn_fmnist_find(data, dir, sizeof dir, &err) || dn_fmnist_load(dir, &train, &test, &err)) {
        fprintf(stderr, "dropnet-bench: %s\n", err.msg);
        return 2;
    }
    /* Start-up: process start to the end of the first training step. */
    {
        dn_config cfg;
        dn_preset("d2l-2020", &cfg, &err);
        dn_net *net = dn_net_mlp(&cfg.arch, 1024, &err);
        dn_net_reset(net, cfg.init, 1, &err);
        dn_fit_hooks h = {first_step, NULL, NULL};
        dn_fit(net, &train, &test, &cfg.fit, &h, &err);
        dn_net_free(net);
    }
    const char *policy = getenv("OMP_WAIT_POLICY");
    printf("dropnet-bench: %d thread%s (OMP_WAIT_POLICY=%s), %s, dropnet %s\n", threads,
           threads == 1 ? "" : "s", policy ? policy : "unset", dn_blas_info(), dn_version());
    printf("start-up (process start to the end of the first step, gzip included): %.3f s\n",
           t_first_step);
    if (scaling) {
        const int Hs[3] = {256, 1024, 4096}, Bs[3] = {64, 256, 1024};
        printf("\n%6s %6s %10s %10s %10s %9s %8s\n", "hidden", "batch", "GFLOP/ep", "s/epoch",
               "SGEMM s", "fraction", "GFLOP/s");
        for (int h = 0; h < 3; h++)
            for (int b = 0; b < 3; b++) {
                result r;
                int e = Hs[h] == 4096 ? 1 : 2;
                if (run(&train, &test, Hs[h], Bs[b], e, 1, &r))
                    return 1;
                printf("%6d %6d %10.1f %10.3f %10.3f %8.0f%% %8.1f\n", Hs[h], Bs[b], r.gflop,
                       r.best, r.sgemm, 100.0 * r.sgemm / r.best, r.gflop / r.best);
                fflush(stdout);
            }
    } else {
        result r;
        if (run(&train, &test, H, B, epochs, with_sgemm, &r))
            return 1;
        printf("model 784-%d-%d-10, batch %d, %d epochs, final test accuracy %.4f\n", H, H, B,
               epochs, r.test_acc);
        printf("  matrix work per epoch        %.2f GFLOP\n", r.gflop);
        printf("  dropnet s/epoch              best %.3f  median %.3f  (%.1f GFLOP/s at best)\n",
               r.best, r.median, r.gflop / r.best);
        if (with_sgemm) {
            printf("  SGEMM alone, same shapes     %.3f s/epoch  (%.1f GFLOP/s)\n", r.sgemm,
                   r.gflop / r.sgemm);
            printf("  fraction of the SGEMM rate   %.0f %%\n", 100.0 * r.sgemm / r.best);
        }
        printf("RESULT dropnet_s_per_epoch=%.4f\n", r.best);
    }
    dn_dataset_free(&train);
    dn_dataset_free(&test);
    return 0;
usage:
    fprintf(stderr, "usage: dropnet-bench [--epochs N] [--threads T] [--data DIR] [--hidden H] "
                    "[--batch-size B] [--no-sgemm] [--scaling]\n");
    return 2;
}
