/* make bench: seconds per epoch of dropnet training against the floor, the
 * time of the same matrix products alone, measured in one process.
 *
 *   dropnet-bench [--epochs N] [--threads T] [--data DIR] [--gemm NAME]
 *                 [--hidden H] [--batch-size B] [--no-sgemm] [--scaling]
 *                 [--noise-only] [--sync]
 *
 * The model is d2l-2020 (784-H-H-10, dropout 0.2/0.5, lr 0.5) on
 * Fashion-MNIST; without --hidden, H = 256 (the d2l model, 3 epochs), 1024
 * (2 epochs) and 4096 (1 epoch). FLOPs are 2*M*N*K per matrix product: per
 * training example the forward pass, the weight gradients of the three
 * layers and the input gradients of layers 2 and 3; per test example the
 * forward pass (blocks of max(batch, 1024) rows, as dn_fit evaluates).
 *
 * The floor: those products, each as one call of a backend on all T threads
 * with its own threading (which dropnet cannot use: its bits would depend on
 * the thread count), best of 3 rounds per shape, for every backend built
 * in; the fastest backend is the floor. Also shown: each backend on one
 * thread (what each of dropnet's tiles runs) and through dropnet's tiles.
 *
 * The machine may be shared, so every time is the best of several rounds:
 * epochs are timed one by one (min and median reported). --scaling prints
 * the table of hidden widths 256, 1024, 4096 by batch sizes 64, 256, 1024
 * (one epoch each, the first step of the start-up excluded).
 *
 * Then a row per noise of --noise at the d2l size (784-256-256-10, batch
 * 256): seconds per epoch of no noise, dropout 0.2/0.5 and each other noise
 * at those rates, as a ratio to dropout's. The noises take turns, one epoch
 * each per round (--epochs rounds, default 3), so that a shared machine's
 * load falls on all of them alike; the best epoch of each is reported.
 * --noise-only runs just these rows.
 *
 * The cost of the threads meeting, printed first (--sync: only that): an
 * empty OpenMP parallel region (fork and join), an OpenMP barrier inside one,
 * and the team barrier a training step uses (src/core/team.c), each the
 * median of 3 rounds of 2000. */
#include "core/internal.h"

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

/* How a product is timed: dropnet's dn_gemm (tiles, the backend in use), or
 * one call of a named backend on a number of threads. */
typedef struct {
    const char *backend; /* NULL: dn_gemm */
    int threads;
} way;

static void product(const way *w, const shape *s, const float *A, const float *B, float *C)
{
    int lda = s->ta ? s->M : s->K, ldb = s->tb ? s->K : s->N;
    if (w->backend)
        dn_gemm_one_call(w->backend, w->threads, s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda,
                         B, ldb, 0.0f, C, s->N);
    else
        dn_gemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f, C, s->N);
}

static double gemm_best(const way *w, const shape *s, float *A, float *B, float *C)
{
    double flops = 2.0 * s->M * s->N * s->K;
    int reps = (int)(2e8 / flops) + 1;
    double best = 1e30;
    product(w, s, A, B, C); /* first-call set-up (oneDNN generates its kernels) */
    for (int round = 0; round < 3; round++) {
        double t = dn_now();
        for (int r = 0; r < reps; r++)
            product(w, s, A, B, C);
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
    double gflop;         /* per epoch */
    double test_acc;
    /* s per epoch of the products alone: each backend as one call on all
     * threads and on one thread, and dropnet's tiles of the backend in use */
    double all[2], one[2], tiles;
    int floor_of;         /* the fastest in all[] */
} result;

static const char *backends[2]; /* the names dn_gemm_names lists */
static int n_backends;

/* The floor is timed between epochs, so that dropnet and the floor each get
 * their best moment of a shared machine's load. */
typedef struct {
    epoch_log log;
    const shape *sh;
    int ns, threads;
    float *A, *B, *C;
    result *res;
} bench_ctx;

static double last_acc;

/* Seconds per epoch of the products of sh[0..ns) timed the way w. */
static double products(const way *w, const shape *sh, int ns, float *A, float *B, float *C)
{
    double t = 0.0;
    for (int i = 0; i < ns; i++)
        t += gemm_best(w, &sh[i], A, B, C) * sh[i].calls;
    return t;
}

static void floor_round(bench_ctx *c)
{
    for (int b = 0; b < n_backends; b++) {
        way all = {backends[b], c->threads};
        double t = products(&all, c->sh, c->ns, c->A, c->B, c->C);
        if (t < c->res->all[b])
            c->res->all[b] = t;
    }
}

static int on_epoch(void *user, const dn_epoch_stats *s)
{
    bench_ctx *c = user;
    last_acc = s->test_acc;
    record(&c->log, s);
    if (c->A)
        floor_round(c);
    return 0;
}

static int run(const dn_dataset *train, const dn_dataset *test, int H, int B, int epochs,
               int threads, int with_sgemm, const dn_noise *noise, result *res)
{
    dn_err err = {0};
    dn_config cfg;
    dn_preset("d2l-2020", &cfg, &err);
    for (int k = 0; noise && k < 2; k++) {
        cfg.arch.noise[k] = noise[k].kind;
        cfg.arch.dropout[k] = noise[k].p;
    }
    cfg.arch.hidden[0] = cfg.arch.hidden[1] = H;
    cfg.fit.batch_size = B;
    cfg.fit.epochs = epochs;
    shape sh[32];
    int ns = epoch_shapes(sh, H, B, train->n, test->n);
    memset(res, 0, sizeof *res);
    res->gflop = 0.0;
    for (int i = 0; i < ns; i++)
        res->gflop += 2.0 * sh[i].M * sh[i].N * sh[i].K * sh[i].calls * 1e-9;
    for (int b = 0; b < n_backends; b++)
        res->all[b] = 1e30;
    bench_ctx ctx = {.sh = sh, .ns = ns, .threads = threads, .res = res};
    if (with_sgemm) {
        size_t big = 0; /* the largest operand of any shape */
        for (int i = 0; i < ns; i++) {
            size_t m = (size_t)sh[i].M, n = (size_t)sh[i].N, k = (size_t)sh[i].K;
            size_t a = m * k > k * n ? m * k : k * n;
            a = a > m * n ? a : m * n;
            big = a > big ? a : big;
        }
        ctx.A = alloc64(big);
        ctx.B = alloc64(big);
        ctx.C = alloc64(big);
        if (!ctx.A || !ctx.B || !ctx.C) {
            fprintf(stderr, "dropnet-bench: out of memory\n");
            return 1;
        }
        for (size_t i = 0; i < big; i++) {
            ctx.A[i] = (float)((i * 7) % 13) * 0.01f;
            ctx.B[i] = (float)((i * 5) % 11) * 0.01f;
        }
    }
    dn_net *net = dn_net_mlp(&cfg.arch, B > 1024 ? B : 1024, &err);
    if (!net || dn_net_reset(net, cfg.init, 1, &err)) {
        fprintf(stderr, "dropnet-bench: %s\n", err.msg);
        return 1;
    }
    dn_fit_hooks hooks = {NULL, on_epoch, &ctx};
    if (dn_fit(net, train, test, &cfg.fit, &hooks, &err)) {
        fprintf(stderr, "dropnet-bench: %s\n", err.msg);
        dn_net_free(net);
        return 1;
    }
    dn_net_free(net);
    epoch_log *log = &ctx.log;
    double sorted[64];
    memcpy(sorted, log->times, sizeof(double) * (size_t)log->n);
    qsort(sorted, (size_t)log->n, sizeof(double), cmp_double);
    res->best = sorted[0];
    res->median = sorted[log->n / 2];
    res->test_acc = last_acc;
    if (!with_sgemm)
        return 0;
    /* best of 3 rounds in all, however many epochs ran */
    for (int r = log->n; r < 3; r++)
        floor_round(&ctx);
    res->floor_of = 0;
    for (int b = 0; b < n_backends; b++) {
        way one = {backends[b], 1};
        res->one[b] = products(&one, sh, ns, ctx.A, ctx.B, ctx.C);
        if (res->all[b] < res->all[res->floor_of])
            res->floor_of = b;
    }
    way tiles = {NULL, threads};
    res->tiles = products(&tiles, sh, ns, ctx.A, ctx.B, ctx.C);
    free(ctx.A);
    free(ctx.B);
    free(ctx.C);
    return 0;
}

static void report(int H, int B, int epochs, int threads, int with_sgemm, const result *r)
{
    printf("\nmodel 784-%d-%d-10, batch %d, %d epoch%s, final test accuracy %.4f, %.2f GFLOP of "
           "products per epoch\n",
           H, H, B, epochs, epochs == 1 ? "" : "s", r->test_acc, r->gflop);
    printf("  dropnet (%s)%*s s/epoch  best %.3f  median %.3f  (%.1f GFLOP/s at best)\n",
           dn_gemm_name(), (int)(14 - strlen(dn_gemm_name())), "", r->best, r->median,
           r->gflop / r->best);
    if (!with_sgemm)
        return;
    for (int b = 0; b < n_backends; b++)
        printf("  products alone, %-8s    %.3f s/epoch on %d threads (%.1f GFLOP/s), %.3f on 1 "
               "(%.1f)\n",
               backends[b], r->all[b], threads, r->gflop / r->all[b], r->one[b],
               r->gflop / r->one[b]);
    printf("  products alone, dropnet's tiles of %s  %.3f s/epoch (%.1f GFLOP/s)\n",
           dn_gemm_name(), r->tiles, r->gflop / r->tiles);
    double floor = r->all[r->floor_of];
    printf("  floor (%s, one call per product)  %.3f s/epoch: dropnet takes %.2fx the floor, "
           "%.0f %% of its rate\n",
           backends[r->floor_of], floor, r->best / floor, 100.0 * floor / r->best);
}

/* The noise rows: each noise at the d2l size, in turns. */
static int noise_rows(const dn_dataset *train, const dn_dataset *test, int rounds, int threads)
{
    static const char *const lists[] = {
        "none,none",           "dropout:0.2,dropout:0.5",         "gaussian:0.2,gaussian:0.5",
        "uniform:0.2,uniform:0.5", "additive:0.1,additive:0.1", "dropconnect:0.2,dropconnect:0.5"};
    enum { N = (int)(sizeof lists / sizeof *lists) };
    double best[N], sum[N];
    for (int i = 0; i < N; i++) {
        best[i] = 1e30;
        sum[i] = 0.0;
    }
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < N; i++) {
            dn_noise nz[2];
            int n = 0;
            dn_err err = {0};
            if (dn_noise_list_parse(lists[i], nz, 2, &n, &err)) {
                fprintf(stderr, "dropnet-bench: %s\n", err.msg);
                return 1;
            }
            result res;
            if (run(train, test, 256, 256, 1, threads, 0, nz, &res))
                return 1;
            best[i] = res.best < best[i] ? res.best : best[i];
            sum[i] += res.best;
        }
    printf("\nnoise at the d2l size (784-256-256-10, batch 256, lr 0.5), %d round%s of one epoch "
           "each, in turns\n",
           rounds, rounds == 1 ? "" : "s");
    printf("  %-34s %10s %10s %14s\n", "--noise", "best s/ep", "mean s/ep", "best / dropout");
    for (int i = 0; i < N; i++)
        printf("  %-34s %10.3f %10.3f %13.2fx\n", lists[i], best[i], sum[i] / rounds,
               best[i] / best[1]);
    return 0;
}

/* Microseconds per fork and join, OpenMP barrier and team barrier. */
static void sync_costs(double us[3])
{
    const int n = 2000;
    double all[3][3];
    for (int round = 0; round < 3; round++) {
        double t = dn_now();
        for (int i = 0; i < n; i++) {
            #pragma omp parallel
            dn_par_mark(DN_PAR_PATHS - 1); /* something the compiler keeps */
        }
        double a = (dn_now() - t) / n * 1e6;
        double b = 0.0, c = 0.0;
        dn_bar bar = {0};
        #pragma omp parallel
        {
            double t0 = dn_now();
            for (int i = 0; i < n; i++) {
                #pragma omp barrier
            }
            double t1 = dn_now();
            dn_team tm = {omp_get_thread_num(), omp_get_num_threads(), &bar};
            for (int i = 0; i < n; i++)
                dn_team_barrier(&tm);
            double t2 = dn_now();
            #pragma omp master
            {
                b = (t1 - t0) / n * 1e6;
                c = (t2 - t1) / n * 1e6;
            }
        }
        all[0][round] = a, all[1][round] = b, all[2][round] = c;
    }
    for (int k = 0; k < 3; k++) { /* the median of the rounds */
        double x = all[k][0], y = all[k][1], z = all[k][2];
        us[k] = x > y ? (y > z ? y : x > z ? z : x) : (x > z ? x : y > z ? z : y);
    }
    dn_par_take(DN_PAR_PATHS - 1);
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
    int epochs = 0, threads = 0, H = 0, B = 256, with_sgemm = 1, scaling = 0, noise_only = 0,
        sync_only = 0;
    const char *data = NULL, *gemm = getenv("DN_GEMM");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-sgemm") == 0) { with_sgemm = 0; continue; }
        if (strcmp(a, "--scaling") == 0) { scaling = 1; continue; }
        if (strcmp(a, "--noise-only") == 0) { noise_only = 1; continue; }
        if (strcmp(a, "--sync") == 0) { sync_only = 1; continue; }
        if (!v) goto usage;
        if (strcmp(a, "--epochs") == 0) epochs = atoi(v);
        else if (strcmp(a, "--threads") == 0) threads = atoi(v);
        else if (strcmp(a, "--data") == 0) data = v;
        else if (strcmp(a, "--gemm") == 0) gemm = v;
        else if (strcmp(a, "--hidden") == 0) H = atoi(v);
        else if (strcmp(a, "--batch-size") == 0) B = atoi(v);
        else goto usage;
        i++;
    }
    if (epochs < 0 || epochs > 64 || H < 0 || H > 8192 || B < 1 || B > 60000)
        goto usage;
    threads = dn_set_threads(threads);
    double us[3];
    if (sync_only) {
        sync_costs(us);
        printf("%d thread%s: fork and join %.1f us, OpenMP barrier %.1f us, team barrier %.1f "
               "us\n", threads, threads == 1 ? "" : "s", us[0], us[1], us[2]);
        return 0;
    }
    dn_err err = {0};
    if (dn_gemm_use(gemm, &err)) {
        fprintf(stderr, "dropnet-bench: %s\n", err.msg);
        return 2;
    }
    {
        /* "openblas, onednn" -> the names */
        static char names[64];
        snprintf(names, sizeof names, "%s", dn_gemm_names());
        for (char *tok = strtok(names, ", "); tok && n_backends < 2; tok = strtok(NULL, ", "))
            backends[n_backends++] = tok;
    }
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
    sync_costs(us); /* (after the start-up, which it would lengthen) */
    const char *policy = getenv("OMP_WAIT_POLICY");
    printf("dropnet-bench: dropnet %s, %d thread%s (OMP_WAIT_POLICY=%s), products by %s (%s "
           "kernels)\n",
           dn_version(), threads, threads == 1 ? "" : "s", policy ? policy : "unset",
           dn_gemm_name(), dn_gemm_isa());
    for (int b = 0; b < n_backends; b++)
        printf("  %-8s %s%s\n", backends[b], dn_gemm_info(backends[b]),
               strcmp(backends[b], dn_gemm_default()) == 0 ? " (the default here)" : "");
    printf("start-up (process start to the end of the first step, gzip included): %.3f s\n",
           t_first_step);
    printf("threads meeting: fork and join %.1f us, OpenMP barrier %.1f us, team barrier %.1f "
           "us\n", us[0], us[1], us[2]);
    if (noise_only) {
        if (noise_rows(&train, &test, epochs ? epochs : 3, threads))
            return 1;
    } else if (scaling) {
        const int Hs[3] = {256, 1024, 4096}, Bs[3] = {64, 256, 1024};
        printf("\n%6s %6s %10s %10s %10s %9s %8s\n", "hidden", "batch", "GFLOP/ep", "s/epoch",
               "floor s", "fraction", "GFLOP/s");
        for (int h = 0; h < 3; h++)
            for (int b = 0; b < 3; b++) {
                result r;
                int e = Hs[h] == 4096 ? 1 : 2;
                if (run(&train, &test, Hs[h], Bs[b], e, threads, 1, NULL, &r))
                    return 1;
                double floor = r.all[r.floor_of];
                printf("%6d %6d %10.1f %10.3f %10.3f %8.0f%% %8.1f\n", Hs[h], Bs[b], r.gflop,
                       r.best, floor, 100.0 * floor / r.best, r.gflop / r.best);
                fflush(stdout);
            }
    } else {
        const int Hs[3] = {256, 1024, 4096}, Es[3] = {3, 2, 1};
        double d2l = 0.0;
        for (int h = 0; h < 3; h++) {
            if (H && Hs[h] != 256)
                break;
            int width = H ? H : Hs[h], e = epochs ? epochs : Es[h];
            result r;
            if (run(&train, &test, width, B, e, threads, with_sgemm, NULL, &r))
                return 1;
            report(width, B, e, threads, with_sgemm, &r);
            fflush(stdout);
            if (h == 0)
                d2l = r.best;
            if (h == 0 && !with_sgemm && !H)
                break; /* --no-sgemm: the time of the first model, for bench-compare */
        }
        if (with_sgemm && !H && noise_rows(&train, &test, epochs ? epochs : 3, threads))
            return 1;
        printf("RESULT dropnet_s_per_epoch=%.4f\n", d2l);
    }
    dn_dataset_free(&train);
    dn_dataset_free(&test);
    return 0;
usage:
    fprintf(stderr, "usage: dropnet-bench [--epochs N] [--threads T] [--data DIR] [--gemm NAME] "
                    "[--hidden H] [--batch-size B] [--no-sgemm] [--scaling] [--noise-only] "
                    "[--sync]\n");
    return 2;
}
