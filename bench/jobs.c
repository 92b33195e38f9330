/* make bench-jobs: trainings per minute when several trainings run side by
 * side, as compare and sweep run them, two ways:
 *
 *   processes  each training a `dropnet train` process (fork and exec, as
 *              cli/experiment.c does), J at a time, T threads each;
 *   threads    J threads of this process, each training with dn_fit on one
 *              copy of the data, T OpenMP threads each.
 *
 *   dropnet-bench-jobs DROPNET [--trainings K] [--epochs E] [--rounds R]
 *                      [--oversubscribe 0|1]
 *
 * The model is d2l-2020 (784-256-256-10, batch 256) for E epochs (default
 * 2) on Fashion-MNIST, seeds 1..K (default 6). Each (way, J, T) is timed R
 * times (default 2), the two ways in turn, and the best is kept: the
 * machine is shared. Both ways
 * must give the same final test loss for each seed, bit for bit; the
 * program checks it.
 *
 * More threads than cores (2 jobs x 2 threads on 2 cores) only measures
 * trainings waiting for each other, and with OMP_WAIT_POLICY=ACTIVE
 * (spinning threads) it can take many minutes: it runs only with
 * --oversubscribe 1. */
#define _DEFAULT_SOURCE
#include "dropnet.h"
#include "dropnet_experiment.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int trainings = 6, epochs = 2;
static dn_dataset train, test;
static char data_dir[4096];

/* ---- threads ---- */

typedef struct {
    pthread_mutex_t lock;
    int next;
    int threads;
    double *loss; /* final test loss per training */
    int failed;
} pool;

static int last_epoch(void *user, const dn_epoch_stats *s)
{
    *(double *)user = s->test_loss;
    return 0;
}

static void *worker(void *arg)
{
    pool *p = arg;
    dn_set_threads(p->threads); /* this thread's OpenMP team */
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int i = p->next++;
        pthread_mutex_unlock(&p->lock);
        if (i >= trainings)
            return NULL;
        dn_config cfg;
        dn_err err = {0};
        dn_preset("d2l-2020", &cfg, &err);
        cfg.fit.epochs = epochs;
        cfg.fit.seed = (uint64_t)i + 1;
        dn_net *net = dn_net_mlp(&cfg.arch, 1024, &err);
        if (!net || dn_net_reset(net, cfg.init, cfg.fit.seed, &err)) {
            fprintf(stderr, "bench-jobs: %s\n", err.msg);
            p->failed = 1;
            dn_net_free(net);
            return NULL;
        }
        dn_fit_hooks h = {NULL, last_epoch, &p->loss[i]};
        if (dn_fit(net, &train, &test, &cfg.fit, &h, &err)) {
            fprintf(stderr, "bench-jobs: %s\n", err.msg);
            p->failed = 1;
        }
        dn_net_free(net);
    }
}

static double run_threads(int jobs, int threads, double *loss)
{
    pool p = {PTHREAD_MUTEX_INITIALIZER, 0, threads, loss, 0};
    pthread_t t[16];
    double t0 = dn_now();
    for (int j = 0; j < jobs; j++)
        pthread_create(&t[j], NULL, worker, &p);
    for (int j = 0; j < jobs; j++)
        pthread_join(t[j], NULL);
    double s = dn_now() - t0;
    return p.failed ? -1 : s;
}

/* ---- processes ---- */

static double read_loss(const char *dir)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    dn_metrics m;
    dn_err err = {0};
    if (dn_metrics_read(path, &m, &err) || m.n == 0) {
        fprintf(stderr, "bench-jobs: %s\n", err.msg);
        return -1;
    }
    double v = m.col[DN_METRIC_TEST_LOSS][m.n - 1];
    dn_metrics_free(&m);
    return v;
}

static double run_processes(const char *exe, const char *tmp, int jobs, int threads,
                            double *loss)
{
    char ep[16], th[16], seed[16][32], out[16][4096];
    snprintf(ep, sizeof ep, "%d", epochs);
    snprintf(th, sizeof th, "%d", threads);
    int next = 0, running = 0, failed = 0;
    double t0 = dn_now();
    while (next < trainings || running > 0) {
        while (running < jobs && next < trainings) {
            int i = next++;
            snprintf(seed[i % 16], sizeof seed[0], "%d", i + 1);
            snprintf(out[i % 16], sizeof out[0], "%s/p%d", tmp, i);
            char *argv[] = {(char *)exe, "train", "--epochs", ep, "--seed", seed[i % 16],
                            "--threads", th, "--data", data_dir, "--out", out[i % 16],
                            "--quiet", "--no-figures", NULL};
            fflush(NULL);
            pid_t pid = fork();
            if (pid == 0) {
                if (!freopen("/dev/null", "w", stdout))
                    _exit(1);
                execv(exe, argv);
                _exit(127);
            }
            running++;
        }
        int status;
        if (wait(&status) > 0) {
            running--;
            failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        }
    }
    double s = dn_now() - t0;
    for (int i = 0; i < trainings; i++) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/p%d", tmp, i);
        loss[i] = read_loss(dir);
        char cmd[4400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            failed = 1;
    }
    return failed ? -1 : s;
}

int main(int argc, char **argv)
{
    /* Settings read only at load time: restart once with them (if execv
     * fails, carry on with the settings as they are). */
    if (dn_runtime_env())
        execv("/proc/self/exe", argv);
    int rounds = 2, oversubscribe = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: dropnet-bench-jobs DROPNET [--trainings K] [--epochs E] "
                        "[--rounds R] [--oversubscribe 0|1]\n");
        return 2;
    }
    const char *exe = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        int v = atoi(argv[i + 1]);
        if (strcmp(argv[i], "--trainings") == 0 && v >= 1 && v <= 16)
            trainings = v;
        else if (strcmp(argv[i], "--epochs") == 0 && v >= 1)
            epochs = v;
        else if (strcmp(argv[i], "--rounds") == 0 && v >= 1)
            rounds = v;
        else if (strcmp(argv[i], "--oversubscribe") == 0 && (v == 0 || v == 1))
            oversubscribe = v;
        else {
            fprintf(stderr, "bench-jobs: bad option %s %s\n", argv[i], argv[i + 1]);
            return 2;
        }
    }
    dn_err err = {0};
    if (dn_fmnist_find(NULL, data_dir, sizeof data_dir, &err) ||
        dn_fmnist_load(data_dir, &train, &test, &err)) {
        fprintf(stderr, "bench-jobs: %s\n", err.msg);
        return 2;
    }
    /* run directories of the process way, in $TMPDIR or the system's
     * temporary directory */
    char tmp[4096];
    const char *base = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/dropnet-bench-jobs-XXXXXX", base && *base ? base : P_tmpdir);
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "bench-jobs: cannot make a temporary directory\n");
        return 1;
    }
    int cores = dn_set_threads(0);
    printf("# %d trainings of d2l-2020 (784-256-256-10), %d epoch%s each, seeds 1-%d; %d cores; "
           "%s; best of %d\n", trainings, epochs, epochs == 1 ? "" : "s", trainings, cores,
           dn_blas_info(), rounds);
    printf("%-10s %4s %7s %9s %18s\n", "way", "jobs", "threads", "seconds",
           "trainings/minute");
    static const int setups[][2] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}};
    double ref[16] = {0};
    int have_ref = 0, mismatch = 0;
    /* The two ways take turns round by round, so that a change in the
     * machine's other load does not favour one of them. */
    for (size_t k = 0; k < sizeof setups / sizeof *setups; k++) {
        int jobs = setups[k][0], threads = setups[k][1];
        if (jobs * threads > cores && !oversubscribe)
            continue;
        double best[2] = {1e30, 1e30}, loss[16];
        for (int r = 0; r < rounds; r++)
            for (int way = 0; way < 2; way++) {
                double s = way ? run_threads(jobs, threads, loss)
                               : run_processes(exe, tmp, jobs, threads, loss);
                if (s < 0) {
                    fprintf(stderr, "bench-jobs: a training failed\n");
                    return 1;
                }
                best[way] = s < best[way] ? s : best[way];
                for (int i = 0; i < trainings; i++) {
                    if (!have_ref)
                        ref[i] = loss[i];
                    else if (loss[i] != ref[i])
                        mismatch = 1;
                }
                have_ref = 1;
            }
        for (int way = 0; way < 2; way++)
            printf("%-10s %4d %7d %9.2f %18.1f%s\n", way ? "threads" : "processes", jobs,
                   threads, best[way], 60.0 * trainings / best[way],
                   jobs * threads > cores ? "  (more threads than cores)" : "");
        fflush(stdout);
    }
    rmdir(tmp);
    dn_dataset_free(&train);
    dn_dataset_free(&test);
    printf("final test losses %s across ways and settings\n",
           mismatch ? "DIFFER" : "identical, bit for bit,");
    return mismatch;
}
