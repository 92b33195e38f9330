/* The trainings of an experiment over MPI ranks (see experiment.h).
 *
 * Rank 0 runs the command as without MPI: it owns the experiment
 * directory and every file in it, trains on its own lanes (child
 * processes, as without MPI) and hands the next training to whichever lane
 * is free, its own or another rank's. Another rank only receives settings
 * and sends results, so the ranks need no shared filesystem: it trains in
 * a private temporary directory (a `dropnet train` child, exactly as rank
 * 0's) and sends back every file the run directory holds, which rank 0
 * writes into the training's run directory. A training that resumes gets
 * the files of its run directory with its settings.
 *
 * Rank 0 writes the files it gets atomically, config.json and the
 * checkpoint first and model.safetensors last: a crash in between leaves a
 * run directory that experiment_scan resumes or starts again, never one it
 * takes for finished. Every training is a function of its settings and
 * seed, so the files are those a single process would write.
 *
 * Messages (MPI_BYTE, packed in the machine's byte order: the ranks are
 * assumed to share one architecture): */
#define _DEFAULT_SOURCE /* mkdtemp */
#include "cluster.h"
#include "experiment.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    TAG_SETUP = 11,  /* 0 -> r: backend, its kernels, jobs, --threads (0: not given) */
    TAG_READY = 12,  /* r -> 0: 0 or 1 (cannot), why */
    TAG_TASK = 13,   /* 0 -> r: lane, resume, name, option words, files */
    TAG_RESULT = 14, /* r -> 0: lane, exit code, signal, message, files */
    TAG_HALT = 15,   /* 0 -> r: stop the trainings (they checkpoint) */
    TAG_END = 16     /* 0 -> r: no more work */
};

/* ---- packing ---- */

typedef struct {
    char *p;
    size_t n, cap;
    int bad; /* out of memory */
} pack;

static void put(pack *b, const void *data, size_t n)
{
    if (b->bad)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->bad = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_u64(pack *b, uint64_t v) { put(b, &v, sizeof v); }
static void put_str(pack *b, const char *s)
{
    size_t n = strlen(s);
    put_u64(b, n);
    put(b, s, n);
}

typedef struct {
    const char *p;
    size_t n, at;
    int bad; /* ran past the end */
} unpack;

static const void *take(unpack *u, size_t n)
{
    if (u->bad || n > u->n - u->at) {
        u->bad = 1;
        return NULL;
    }
    const void *p = u->p + u->at;
    u->at += n;
    return p;
}

static uint64_t take_u64(unpack *u)
{
    uint64_t v = 0;
    const void *p = take(u, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

/* A string into out (cut to size), or "" when the message ends. */
static void take_str(unpack *u, char *out, size_t size)
{
    uint64_t n = take_u64(u);
    const char *p = take(u, n);
    snprintf(out, size, "%.*s", p ? (int)(n < size ? n : size - 1) : 0, p ? p : "");
}

/* A file name as one of dropnet's: no path, not "." or "..". */
static int plain_name(const char *name)
{
    return name[0] && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0;
}

/* Every regular file of dir: count, then name, size and bytes of each.
 * 0, or nonzero with the reason in why. */
static int put_dir(pack *b, const char *dir, char *why, size_t size)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(why, size, "%s: cannot open: %s", dir, strerror(errno));
        return 1;
    }
    size_t count_at = b->n;
    put_u64(b, 0);
    uint64_t count = 0;
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        char path[4600];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (!plain_name(e->d_name) || lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        FILE *f = fopen(path, "rb");
        if (!f) {
            snprintf(why, size, "%.400s: cannot read: %s", path, strerror(errno));
            rc = 1;
            break;
        }
        put_str(b, e->d_name);
        put_u64(b, (uint64_t)st.st_size);
        size_t at = b->n;
        char chunk[65536];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            put(b, chunk, got);
        if (ferror(f) || b->n - at != (size_t)st.st_size) {
            snprintf(why, size, "%.400s: cannot read it whole", path);
            rc = 1;
        }
        fclose(f);
        count++;
    }
    closedir(d);
    if (!b->bad)
        memcpy(b->p + count_at, &count, sizeof count);
    if (b->bad && !rc) {
        snprintf(why, size, "out of memory packing %s", dir);
        rc = 1;
    }
    return rc;
}

typedef struct {
    char name[256];
    const char *data;
    size_t size;
} shipped;

/* The files of a message (pointers into it). The count, or -1 when the
 * message is malformed. */
static int take_files(unpack *u, shipped **out)
{
    uint64_t n = take_u64(u);
    *out = NULL;
    if (u->bad || n > 100000)
        return -1;
    shipped *f = calloc(n ? n : 1, sizeof *f);
    if (!f)
        return -1;
    for (uint64_t k = 0; k < n; k++) {
        take_str(u, f[k].name, sizeof f[k].name);
        f[k].size = take_u64(u);
        f[k].data = take(u, f[k].size);
        if (u->bad || !plain_name(f[k].name)) {
            free(f);
            return -1;
        }
    }
    *out = f;
    return (int)n;
}

/* The order rank 0 writes a run directory's files in: config.json and the
 * checkpoint before the rows that need them, the model (which marks the
 * training finished) last. */
static int write_rank(const char *name)
{
    if (strcmp(name, "config.json") == 0)
        return 0;
    if (strcmp(name, "checkpoint.safetensors") == 0)
        return 1;
    if (strcmp(name, "model.safetensors") == 0)
        return 3;
    return 2;
}

/* ---- rank 0 ---- */

int experiment_mpi_setup(experiment *x)
{
    /* Rank 0's backend: the one its own trainings will use. */
    int rc = cli_gemm(NULL);
    if (rc)
        return rc;
    for (int r = 1; r < x->ranks; r++) {
        pack b = {0};
        put_str(&b, dn_gemm_name());
        put_str(&b, dn_gemm_isa());
        put_u64(&b, (uint64_t)x->jobs);
        put_u64(&b, (uint64_t)x->threads_given);
        rc = b.bad ? (cli_error("MPI: out of memory"), EXIT_RUNTIME)
                   : mpi_send(r, TAG_SETUP, b.p, b.n);
        free(b.p);
        if (rc)
            return rc;
    }
    /* Every rank answers before any training starts. */
    int answered = 1, first_bad = 0;
    char why_bad[600] = "";
    while (answered < x->ranks) {
        void *m;
        size_t n;
        int from, tag;
        int got = mpi_poll(&m, &n, &from, &tag);
        if (got < 0)
            return EXIT_RUNTIME;
        if (got == 0) {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (tag == TAG_READY) {
            unpack u = {m, n, 0, 0};
            uint64_t bad = take_u64(&u);
            char why[600];
            take_str(&u, why, sizeof why);
            if ((bad || u.bad) && (!first_bad || from < first_bad)) {
                first_bad = from;
                snprintf(why_bad, sizeof why_bad, "%s", u.bad ? "a malformed answer" : why);
            }
            answered++;
        }
        free(m);
    }
    if (first_bad) {
        cli_error("%s: %s", mpi_who(first_bad), why_bad);
        return EXIT_RUNTIME;
    }
    {
        printf("# MPI: %d ranks, %d job%s each (rank 0 trains too and writes every file) | gemm "
               "%s, %s kernels on every rank\n", x->ranks, x->jobs, x->jobs == 1 ? "" : "s",
               dn_gemm_name(), dn_gemm_isa());
        fflush(stdout);
    }
    return 0;
}

int experiment_mpi_send(experiment *x, int i, int rank, int lane)
{
    const exp_training *t = &x->t[i];
    int resume = t->state == TRAINING_RESUME;
    char dir[4400];
    experiment_run_dir(x, i, dir, sizeof dir);
    pack b = {0};
    put_u64(&b, (uint64_t)lane);
    put_u64(&b, (uint64_t)resume);
    put_str(&b, t->name);
    char buf[16384], *words[80];
    int n_words = 0;
    if (!resume) {
        /* Marked here as a run's, as for a training of this rank's. */
        dn_err err = {0};
        if (dn_dir_claim(dir, DN_DIR_RUN, NULL, &err)) {
            free(b.p);
            return cli_fail(&err);
        }
        n_words = experiment_words(x, i, buf, sizeof buf, words, 80);
        if (n_words < 0) {
            free(b.p);
            return EXIT_RUNTIME;
        }
    }
    put_u64(&b, (uint64_t)n_words);
    for (int k = 0; k < n_words; k++)
        put_str(&b, words[k]);
    char why[700] = "";
    int rc = 0;
    if (resume) {
        rc = put_dir(&b, dir, why, sizeof why);
    } else {
        put_u64(&b, 0);
    }
    if (!rc && b.bad) {
        snprintf(why, sizeof why, "out of memory");
        rc = 1;
    }
    if (rc) {
        cli_error("%s: cannot send training %s to %s: %s", x->command, t->name, mpi_who(rank),
                  why);
        free(b.p);
        return EXIT_RUNTIME;
    }
    rc = mpi_send(rank, TAG_TASK, b.p, b.n);
    free(b.p);
    return rc;
}

static int by_write_rank(const void *a, const void *b)
{
    const shipped *x = a, *y = b;
    int d = write_rank(x->name) - write_rank(y->name);
    return d ? d : strcmp(x->name, y->name);
}

/* Writes the files of a result into dir, and removes the files there that
 * the training no longer has (temporary files its resume removed), as the
 * training would have in dir itself. 0, or nonzero with why. */
static int write_files(const char *dir, shipped *f, int n, char *why, size_t size)
{
    qsort(f, (size_t)n, sizeof *f, by_write_rank);
    for (int k = 0; k < n; k++) {
        if (strcmp(f[k].name, DN_DIR_MARKER) == 0) /* claimed already */
            continue;
        char path[4700];
        snprintf(path, sizeof path, "%s/%s", dir, f[k].name);
        dn_chunk c = {f[k].data, f[k].size};
        dn_err err = {0};
        if (dn_write_atomic(path, &c, 1, &err)) {
            snprintf(why, size, "%s", err.msg);
            return 1;
        }
    }
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!plain_name(e->d_name) || strcmp(e->d_name, DN_DIR_MARKER) == 0)
            continue;
        int kept = 0;
        for (int k = 0; k < n && !kept; k++)
            kept = strcmp(f[k].name, e->d_name) == 0;
        char path[4700];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (!kept && lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            unlink(path);
    }
    closedir(d);
    return 0;
}

int experiment_mpi_result(experiment *x, exp_result *res)
{
    void *m;
    size_t n;
    int from, tag;
    int got = mpi_poll(&m, &n, &from, &tag);
    if (got <= 0)
        return 0;
    if (tag != TAG_RESULT) {
        free(m);
        return 0;
    }
    unpack u = {m, n, 0, 0};
    memset(res, 0, sizeof *res);
    res->rank = from;
    res->lane = (int)take_u64(&u);
    res->code = (int)(int64_t)take_u64(&u);
    res->signal = (int)take_u64(&u);
    take_str(&u, res->msg, sizeof res->msg);
    char name[256];
    take_str(&u, name, sizeof name);
    shipped *f = NULL;
    int nf = u.bad ? -1 : take_files(&u, &f);
    int lanes = x->jobs * x->ranks;
    if (nf < 0 || res->lane < x->jobs * from || res->lane >= x->jobs * (from + 1) ||
        res->lane >= lanes) {
        /* Nothing of it is written; the training is left to a rerun. */
        res->lane = res->lane >= 0 && res->lane < lanes ? res->lane : x->jobs * from;
        res->code = EXIT_RUNTIME;
        res->signal = 0;
        snprintf(res->msg, sizeof res->msg, "its results arrived malformed");
        free(f);
        free(m);
        return 1;
    }
    /* The run directory of the training this lane was given. */
    int i = -1;
    for (int k = 0; k < x->n && i < 0; k++)
        if (strcmp(x->t[k].name, name) == 0)
            i = k;
    char dir[4400], why[600];
    if (i < 0) {
        res->code = EXIT_RUNTIME;
        res->signal = 0;
        snprintf(res->msg, sizeof res->msg, "its results name no training of this %s",
                 x->command);
    } else {
        experiment_run_dir(x, i, dir, sizeof dir);
        if (write_files(dir, f, nf, why, sizeof why)) {
            res->code = EXIT_RUNTIME;
            res->signal = 0;
            snprintf(res->msg, sizeof res->msg, "%.590s", why);
        }
    }
    free(f);
    free(m);
    return 1;
}

void experiment_mpi_halt(int rank) { mpi_send(rank, TAG_HALT, "", 0); }

void experiment_mpi_release(void)
{
    if (mpi_rank() != 0)
        return;
    for (int r = 1; r < mpi_size(); r++)
        mpi_send(r, TAG_END, "", 0);
    mpi_flush();
}

/* ---- the other ranks ---- */

typedef struct {
    pid_t pid; /* 0: free */
    int lane;
    char name[256];
    char tmp[4200], dir[4500];
    char msg[600];
    char *word[80]; /* its option words (malloc'd) */
    int words;
} job;

static volatile sig_atomic_t worker_stop;
static job *jobs_run;
static int n_jobs_run;

static void on_worker_stop(int sig)
{
    worker_stop = sig;
    for (int k = 0; k < n_jobs_run; k++)
        if (jobs_run[k].pid > 0)
            kill(jobs_run[k].pid, SIGTERM);
}

static void remove_tree(const char *tmp, const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!plain_name(e->d_name))
                continue;
            char path[4800];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
    rmdir(tmp);
}

/* Sends what job j left (its files, or only its message) to rank 0. */
static void send_result(job *j, int code, int sig)
{
    pack files = {0};
    char why[700] = "";
    struct stat st;
    if (j->dir[0] && stat(j->dir, &st) == 0 && put_dir(&files, j->dir, why, sizeof why)) {
        /* The files cannot go: only the reason does. */
        snprintf(j->msg, sizeof j->msg, "%.500s", why);
        code = code ? code : EXIT_RUNTIME;
        files.n = 0;
    }
    if (files.n == 0)
        put_u64(&files, 0);
    pack b = {0};
    put_u64(&b, (uint64_t)j->lane);
    put_u64(&b, (uint64_t)(int64_t)code);
    put_u64(&b, (uint64_t)sig);
    put_str(&b, j->msg);
    put_str(&b, j->name);
    put(&b, files.p, files.n);
    if (!b.bad && !files.bad) {
        mpi_send(0, TAG_RESULT, b.p, b.n);
    } else { /* rank 0 waits for an answer: the shortest one */
        pack c = {0};
        put_u64(&c, (uint64_t)j->lane);
        put_u64(&c, (uint64_t)(int64_t)EXIT_RUNTIME);
        put_u64(&c, 0);
        put_str(&c, "out of memory for the results");
        put_str(&c, j->name);
        put_u64(&c, 0);
        if (!c.bad)
            mpi_send(0, TAG_RESULT, c.p, c.n);
        free(c.p);
    }
    free(b.p);
    free(files.p);
    if (j->tmp[0])
        remove_tree(j->tmp, j->dir);
    for (int k = 0; k < j->words; k++)
        free(j->word[k]);
    j->words = 0;
    j->pid = 0;
}

/* Starts the training of a TASK message on a free job slot; one that
 * cannot start is answered at once with the reason. */
static void start_task(const char *exe, unpack *u, int threads, job *j)
{
    memset(j, 0, sizeof *j);
    j->lane = (int)take_u64(u);
    int resume = (int)take_u64(u);
    take_str(u, j->name, sizeof j->name);
    uint64_t n_words = take_u64(u);
    char *words[80] = {0};
    if (n_words > 80)
        u->bad = 1;
    for (uint64_t k = 0; k < n_words && !u->bad; k++) {
        uint64_t n = take_u64(u);
        const char *p = take(u, n);
        if (p && !(words[k] = strndup(p, n)))
            u->bad = 1;
    }
    shipped *f = NULL;
    int nf = u->bad ? -1 : take_files(u, &f);
    j->words = (int)(n_words <= 80 ? n_words : 0);
    memcpy(j->word, words, sizeof words);
    if (nf < 0 || !plain_name(j->name)) {
        snprintf(j->msg, sizeof j->msg, "the training arrived malformed");
        send_result(j, EXIT_RUNTIME, 0);
        return;
    }
    /* A private directory: the ranks may share no filesystem, or share one. */
    const char *base = getenv("TMPDIR");
    snprintf(j->tmp, sizeof j->tmp, "%s/dropnet-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(j->tmp)) {
        snprintf(j->msg, sizeof j->msg, "cannot make a temporary directory in %.400s: %s",
                 base && *base ? base : "/tmp", strerror(errno));
        j->tmp[0] = '\0';
        free(f);
        send_result(j, EXIT_RUNTIME, 0);
        return;
    }
    snprintf(j->dir, sizeof j->dir, "%s/%s", j->tmp, j->name);
    dn_err err = {0};
    int bad = 0;
    if (resume) {
        bad = mkdir(j->dir, 0755) != 0;
        for (int k = 0; k < nf && !bad; k++) {
            char path[4800];
            snprintf(path, sizeof path, "%s/%s", j->dir, f[k].name);
            FILE *o = fopen(path, "wb");
            bad = !o || fwrite(f[k].data, 1, f[k].size, o) != f[k].size;
            if (o && fclose(o) != 0)
                bad = 1;
        }
        if (bad)
            snprintf(err.msg, sizeof err.msg, "%.400s: cannot write: %s", j->dir, strerror(errno));
    } else {
        bad = dn_dir_claim(j->dir, DN_DIR_RUN, NULL, &err) != 0;
    }
    free(f);
    if (bad) {
        snprintf(j->msg, sizeof j->msg, "%.500s", err.msg);
        send_result(j, EXIT_RUNTIME, 0);
        return;
    }
    char log[4600], th[16], *argv[96];
    snprintf(log, sizeof log, "%s/train.log", j->dir);
    snprintf(th, sizeof th, "%d", threads);
    experiment_argv(exe, j->dir, resume, words, (int)n_words, th, argv, 96);
    pid_t pid = experiment_spawn("train", exe, argv, log);
    if (pid < 0) {
        snprintf(j->msg, sizeof j->msg, "cannot start a training");
        send_result(j, EXIT_RUNTIME, 0);
        return;
    }
    j->pid = pid;
}

int experiment_worker(void)
{
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) {
        cli_error("%s: cannot find this program's own path to start trainings",
                  mpi_who(mpi_rank()));
        return EXIT_RUNTIME;
    }
    exe[len] = '\0';
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_worker_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int threads = 1, rc = 0;
    for (;;) {
        int busy = 0;
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        for (int k = 0; pid > 0 && k < n_jobs_run; k++)
            if (jobs_run[k].pid == pid) {
                busy = 1;
                send_result(&jobs_run[k], WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                            WIFSIGNALED(status) ? WTERMSIG(status) : 0);
            }
        void *m;
        size_t n;
        int from, tag;
        int got = mpi_poll(&m, &n, &from, &tag);
        if (got < 0)
            return EXIT_RUNTIME;
        if (got > 0) {
            busy = 1;
            unpack u = {m, n, 0, 0};
            if (tag == TAG_END) {
                free(m);
                break;
            }
            if (tag == TAG_SETUP) {
                char name[64], isa[64], why[512] = "";
                take_str(&u, name, sizeof name);
                take_str(&u, isa, sizeof isa);
                int jobs = (int)take_u64(&u), given = (int)take_u64(&u);
                int bad = u.bad || jobs < 1 || jobs > 64;
                if (bad)
                    snprintf(why, sizeof why, "its settings arrived malformed");
                else
                    bad = mpi_gemm_accept(name, isa, why, sizeof why);
                if (!bad) {
                    /* The trainings this rank starts use rank 0's backend. */
                    setenv("DN_GEMM", name, 1);
                    threads = experiment_threads_each(jobs, given, NULL);
                    job *p = realloc(jobs_run, (size_t)jobs * sizeof *p);
                    if (p) {
                        for (int k = n_jobs_run; k < jobs; k++)
                            p[k].pid = 0;
                        jobs_run = p;
                        n_jobs_run = jobs > n_jobs_run ? jobs : n_jobs_run;
                    } else {
                        bad = 1;
                        snprintf(why, sizeof why, "out of memory");
                    }
                }
                pack b = {0};
                put_u64(&b, (uint64_t)bad);
                put_str(&b, why);
                if (!b.bad)
                    mpi_send(0, TAG_READY, b.p, b.n);
                free(b.p);
            } else if (tag == TAG_TASK) {
                int k = 0;
                while (k < n_jobs_run && jobs_run[k].pid > 0)
                    k++;
                if (k < n_jobs_run) {
                    start_task(exe, &u, threads, &jobs_run[k]);
                } else {
                    job j;
                    memset(&j, 0, sizeof j);
                    j.lane = (int)take_u64(&u);
                    snprintf(j.msg, sizeof j.msg, "it was sent more trainings than it has jobs");
                    send_result(&j, EXIT_RUNTIME, 0);
                }
            } else if (tag == TAG_HALT) {
                for (int k = 0; k < n_jobs_run; k++)
                    if (jobs_run[k].pid > 0)
                        kill(jobs_run[k].pid, SIGTERM);
            }
            free(m);
        }
        if (!busy && !mpi_sending()) {
            struct timespec ts = {0, 5000000};
            nanosleep(&ts, NULL);
        }
    }
    /* Rank 0 ends the work only when none is left; anything still running
     * is stopped (it checkpoints in its temporary directory, then goes). */
    for (int k = 0; k < n_jobs_run; k++)
        if (jobs_run[k].pid > 0) {
            kill(jobs_run[k].pid, SIGTERM);
            waitpid(jobs_run[k].pid, NULL, 0);
            remove_tree(jobs_run[k].tmp, jobs_run[k].dir);
            for (int w = 0; w < jobs_run[k].words; w++)
                free(jobs_run[k].word[w]);
        }
    free(jobs_run);
    jobs_run = NULL;
    n_jobs_run = 0;
    mpi_flush();
    return rc;
}
