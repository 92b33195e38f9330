/* flock, which outlives a killed parent while its trainings run, is BSD. */
#define _DEFAULT_SOURCE

/* Running the trainings of an experiment (see experiment.h).
 *
 * Each training is a child process: this program itself, exec'd as
 * `dropnet train --out DIR/runs/NAME ...` (or `--resume DIR/runs/NAME`).
 * Processes rather than threads in this process because the train command
 * already writes run directories, checkpoints and stops cleanly on a
 * signal, and a training that fails cannot take the others down. Measured
 * on 2 cores (make bench-jobs), they train some 10 % fewer models per
 * minute than threads sharing one copy of the data: each process loads the
 * data and writes its run directory (see the README).
 *
 * The lock on DIR/.lock is an flock held through a descriptor the children
 * inherit: if this process is killed, the lock lasts until its last
 * training has stopped, so a rerun never finds a run directory still being
 * written. Children get SIGTERM when this process dies (PR_SET_PDEATHSIG)
 * and then checkpoint and stop, as they do on Ctrl-C.
 *
 * Some 630 lines, over the 600 a file here aims at: one job (the trainings
 * of an experiment, from its directory and lock to the child processes and
 * the progress line), whose state (the lock, the children, the stop flag)
 * would otherwise be shared between files. */
#include "experiment.h"
#include "cluster.h"
#include "train_options.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 64

void format_duration(double seconds, char *out, size_t size)
{
    long s = seconds > 0 ? (long)(seconds + 0.5) : 0;
    if (s >= 3600)
        snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(out, size, "%ld:%02ld", s / 60, s % 60);
}

/* A directory (and its parents) for the experiment, or the exit status. */
static int make_dir(const char *path)
{
    dn_err err = {0};
    return dn_mkdir_p(path, &err) ? cli_fail(&err) : 0;
}

/* dn_dir_claim, or the exit status after its message. */
static int claim_dir(const char *path, dn_dir_kind kind)
{
    dn_err err = {0};
    return dn_dir_claim(path, kind, NULL, &err) ? cli_fail(&err) : 0;
}

int experiment_open(experiment *x, const char *command, const char *dir)
{
    memset(x, 0, sizeof *x);
    x->lock_fd = -1;
    x->command = command;
    ssize_t len = readlink("/proc/self/exe", x->exe, sizeof x->exe - 1);
    if (len <= 0) {
        cli_error("%s: cannot find this program's own path to start trainings", command);
        return EXIT_RUNTIME;
    }
    x->exe[len] = '\0';
    /* The kind of directory each command writes (its marker). */
    dn_dir_kind kind = strcmp(command, "sweep") == 0 ? DN_DIR_SWEEP
                       : strcmp(command, "lab") == 0 ? DN_DIR_LAB
                                                     : DN_DIR_COMPARE;
    if (dir) {
        if (!dir[0] || strlen(dir) > 3000) {
            cli_error("--out: the path is empty or too long");
            return EXIT_USAGE;
        }
        snprintf(x->dir, sizeof x->dir, "%s", dir);
        /* A directory of the user's, a training run or the other kind of
         * experiment is refused before anything is written there. */
        int rc = claim_dir(x->dir, kind);
        if (rc)
            return rc;
    } else {
        int rc = make_dir("experiments");
        if (rc)
            return rc;
        char prefix[64];
        snprintf(prefix, sizeof prefix, "experiments/%s-", command);
        dn_err err = {0};
        if (dn_mkdir_stamped(prefix, x->dir, sizeof x->dir, &err))
            return cli_fail(&err);
        if ((rc = claim_dir(x->dir, kind)))
            return rc;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/runs", x->dir);
    int rc = make_dir(path);
    if (rc)
        return rc;
    /* No O_CLOEXEC: the trainings inherit the lock. */
    snprintf(path, sizeof path, "%s/.lock", x->dir);
    x->lock_fd = open(path, O_RDWR | O_CREAT, 0644);
    if (x->lock_fd < 0) {
        cli_error("%s: cannot open: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    /* Trainings of a run that was killed may take a moment to checkpoint
     * and stop: wait for them a little. */
    for (int tries = 0; flock(x->lock_fd, LOCK_EX | LOCK_NB) != 0; tries++) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            cli_error("%s: cannot lock: %s", path, strerror(errno));
            return EXIT_RUNTIME;
        }
        if (tries == 0)
            fprintf(stderr, "dropnet: %s is in use; waiting up to 60 s for it\n", x->dir);
        if (tries == 300) {
            cli_error("%s is in use by another dropnet compare or sweep (or its trainings); "
                      "try again when it has finished", x->dir);
            return EXIT_RUNTIME;
        }
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

void experiment_close(experiment *x)
{
    if (x->lock_fd >= 0)
        close(x->lock_fd);
    x->lock_fd = -1;
    free(x->t);
    x->t = NULL;
    x->n = x->cap = 0;
}

int experiment_add(experiment *x, const char *name, const dn_config *cfg,
                   const char *data_dir)
{
    if (x->n == x->cap) {
        int cap = x->cap ? 2 * x->cap : 64;
        exp_training *t = realloc(x->t, (size_t)cap * sizeof *t);
        if (!t) {
            cli_error("%s: out of memory for %d trainings", x->command, cap);
            return EXIT_RUNTIME;
        }
        x->t = t;
        x->cap = cap;
    }
    exp_training *t = &x->t[x->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->cfg = *cfg;
    snprintf(t->data_dir, sizeof t->data_dir, "%s", data_dir ? data_dir : "");
    return 0;
}

void experiment_run_dir(const experiment *x, int i, char *out, size_t size)
{
    snprintf(out, size, "%s/runs/%s", x->dir, x->t[i].name);
}

const char *experiment_differs(const dn_config *have, const dn_config *want)
{
    dn_config w = *want;
    if (w.csv.train[0]) {
        w.arch.inputs = have->arch.inputs;
        w.arch.outputs = have->arch.outputs;
    }
    return dn_config_differs(have, &w);
}

int experiment_csv_widths(dn_config *cfg)
{
    static char last[sizeof cfg->csv.train];
    static int inputs, outputs;
    if (!cfg->csv.train[0])
        return 0;
    if (strcmp(last, cfg->csv.train) != 0) {
        dn_dataset ds;
        dn_err err = {0};
        if (dn_csv_load(&ds, cfg->csv.train, 0, 0, &err))
            return cli_fail(&err);
        inputs = ds.cols;
        outputs = ds.classes;
        dn_dataset_free(&ds);
        snprintf(last, sizeof last, "%s", cfg->csv.train);
    }
    cfg->arch.inputs = inputs;
    cfg->arch.outputs = outputs;
    return 0;
}

static int exists(const char *dir, const char *file)
{
    char path[4700];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    struct stat st;
    return stat(path, &st) == 0;
}

/* Empties a run directory whose training never reached a checkpoint: there
 * is nothing in it to keep. */
static int clear_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        cli_error("%s: cannot open: %s", dir, strerror(errno));
        return EXIT_USAGE;
    }
    struct dirent *e;
    char path[4400];
    int rc = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || unlink(path) != 0) {
            cli_error("%s: cannot start this training again: %s is not a file dropnet wrote",
                      dir, e->d_name);
            rc = EXIT_USAGE;
            break;
        }
    }
    closedir(d);
    return rc;
}

int experiment_scan(experiment *x)
{
    x->done_before = x->resumed = 0;
    for (int i = 0; i < x->n; i++) {
        exp_training *t = &x->t[i];
        char dir[4400];
        experiment_run_dir(x, i, dir, sizeof dir);
        t->state = TRAINING_FRESH;
        struct stat st;
        if (stat(dir, &st) != 0)
            continue;
        if (!S_ISDIR(st.st_mode)) {
            cli_error("%s: exists and is not a run directory", dir);
            return EXIT_USAGE;
        }
        if (exists(dir, "config.json")) {
            dn_run run;
            dn_err err = {0};
            int have_model = exists(dir, "model.safetensors");
            if (dn_run_load(dir, &run, &err)) {
                /* Only a training that never finished may have left a
                 * damaged directory behind; one that finished must read. */
                if (have_model || exists(dir, "checkpoint.safetensors"))
                    return cli_fail(&err);
                if (clear_dir(dir))
                    return EXIT_USAGE;
                continue;
            }
            const char *field = experiment_differs(&run.cfg, &t->cfg);
            size_t rows = run.metrics.n;
            dn_run_free(&run);
            if (field) {
                cli_error("%s holds a run with another %s than this %s asks for; use another "
                          "--out directory", dir, field, x->command);
                return EXIT_USAGE;
            }
            if (have_model) {
                if (rows != (size_t)t->cfg.fit.epochs) {
                    cli_error("%s: model.safetensors is there but metrics.csv holds %zu of %d "
                              "epochs", dir, rows, t->cfg.fit.epochs);
                    return EXIT_USAGE;
                }
                t->state = TRAINING_DONE;
                x->done_before++;
                continue;
            }
            if (exists(dir, "checkpoint.safetensors")) {
                t->state = TRAINING_RESUME;
                x->resumed++;
                continue;
            }
        }
        if (clear_dir(dir))
            return EXIT_USAGE;
    }
    return 0;
}

int experiment_threads_each(int jobs, int given, int *ranks_here)
{
    int cores = dn_set_threads(0);
    /* Under MPI the ranks on this machine share its cores, unless the
     * launcher bound each to cores of its own (the cores it sees are then
     * its share). */
    int here = mpi_size() > 1 ? mpi_local_size() : 1;
    if (here > 1 && cores < sysconf(_SC_NPROCESSORS_ONLN))
        here = 1;
    if (ranks_here)
        *ranks_here = here;
    /* More threads than cores only makes the trainings wait for each
     * other (and crawl if OpenMP threads spin, OMP_WAIT_POLICY=ACTIVE). */
    int share = cores / (jobs * here);
    return given > 0 ? given : share > 1 ? share : 1;
}

void experiment_set_jobs(experiment *x, int jobs, int threads)
{
    int cores = dn_set_threads(0), ranks_here;
    /* Under MPI each rank runs one training at a time unless told. */
    x->ranks = mpi_size();
    x->threads_given = threads > 0 ? threads : 0;
    x->jobs = jobs > 0 ? jobs : mpi_size() > 1 ? 1 : cores;
    if (x->jobs > MAX_JOBS)
        x->jobs = MAX_JOBS;
    x->threads = experiment_threads_each(x->jobs, threads, &ranks_here);
    if (ranks_here > 1 && ranks_here * x->jobs * x->threads > cores)
        cli_error("warning: %d ranks x %d job%s x %d thread%s is more than the %d core%s here: "
                  "the trainings will wait for each other (their results are the same bits)",
                  ranks_here, x->jobs, x->jobs == 1 ? "" : "s", x->threads,
                  x->threads == 1 ? "" : "s", cores, cores == 1 ? "" : "s");
    else if (ranks_here == 1 && x->jobs * x->threads > cores)
        cli_error("warning: %d job%s x %d thread%s is more than the %d core%s here: the "
                  "trainings will wait for each other (their results are the same bits)",
                  x->jobs, x->jobs == 1 ? "" : "s", x->threads, x->threads == 1 ? "" : "s", cores,
                  cores == 1 ? "" : "s");
}

/* ---- running ---- */

static volatile sig_atomic_t stop_signal;
static volatile pid_t children[MAX_JOBS];

static void on_stop(int sig)
{
    stop_signal = sig;
    /* Passed on, so that trainings checkpoint and stop even when only this
     * process was signalled. */
    for (int i = 0; i < MAX_JOBS; i++)
        if (children[i] > 0)
            kill(children[i], SIGTERM);
}

/* The last "dropnet: ..." line a failed training wrote to its log. */
static void last_error(const char *log, char *out, size_t size)
{
    snprintf(out, size, "no message (see %.900s)", log);
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "dropnet: ", 9) != 0)
            continue;
        line[strcspn(line, "\n")] = '\0';
        snprintf(out, size, "%s", line + 9);
    }
    fclose(f);
}

int experiment_argv(const char *exe, const char *dir, int resume, char **words, int n_words,
                    const char *threads, char **argv, int max)
{
    if (n_words + 12 > max)
        return -1;
    int n = 0;
    argv[n++] = (char *)exe;
    argv[n++] = "train";
    if (resume) {
        argv[n++] = "--resume";
        argv[n++] = (char *)dir;
    } else {
        for (int k = 0; k < n_words; k++)
            argv[n++] = words[k];
        argv[n++] = "--out";
        argv[n++] = (char *)dir;
    }
    argv[n++] = "--threads";
    argv[n++] = (char *)threads;
    argv[n++] = "--quiet";
    argv[n++] = "--no-figures";
    argv[n] = NULL;
    return n;
}

pid_t experiment_spawn(const char *command, const char *exe, char **argv, const char *log)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        cli_error("%s: cannot write: %s", log, strerror(errno));
        return -1;
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) /* the parent died before prctl */
            _exit(EXIT_INTERRUPTED);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        /* A training is one process, not a rank of this job. */
        mpi_unlaunch();
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execv(exe, argv);
        fprintf(stderr, "dropnet: cannot start %s: %s\n", exe, strerror(errno));
        _exit(EXIT_RUNTIME);
    }
    close(fd);
    if (pid < 0)
        cli_error("%s: cannot start a training: %s", command, strerror(errno));
    return pid;
}

int experiment_words(const experiment *x, int i, char *buf, size_t size, char **words, int max)
{
    const exp_training *t = &x->t[i];
    int k = train_options_render(&t->cfg, t->data_dir, buf, size, words, max);
    if (k < 0)
        cli_error("%s: the options of training %s are too long", x->command, t->name);
    return k;
}

static pid_t launch(const experiment *x, int i)
{
    const exp_training *t = &x->t[i];
    char dir[4400], log[4500], threads[16];
    experiment_run_dir(x, i, dir, sizeof dir);
    snprintf(log, sizeof log, "%s/train.log", dir);
    snprintf(threads, sizeof threads, "%d", x->threads);
    char buf[16384];
    char *words[80], *argv[96];
    int n_words = 0;
    if (t->state != TRAINING_RESUME) {
        /* Marked as a run's before train.log is written into it. */
        if (claim_dir(dir, DN_DIR_RUN))
            return -1;
        n_words = experiment_words(x, i, buf, sizeof buf, words, 80);
        if (n_words < 0)
            return -1;
    }
    experiment_argv(x->exe, dir, t->state == TRAINING_RESUME, words, n_words, threads, argv, 96);
    return experiment_spawn(x->command, x->exe, argv, log);
}

/* ETA: the trainings not started and what the running ones still need,
 * at the mean duration of those finished so far, shared by the lanes. */
static double eta(double now, double mean, int waiting, const double *started, int n_lanes)
{
    double work = waiting * mean, longest = 0;
    int running = 0;
    for (int k = 0; k < n_lanes; k++)
        if (started[k] > 0) {
            double rest = fmax(0.0, mean - (now - started[k]));
            work += rest;
            longest = fmax(longest, rest);
            running++;
        }
    int lanes = waiting + running < n_lanes ? waiting + running : n_lanes;
    return lanes > 0 ? fmax(work / lanes, longest) : 0.0;
}

static void progress(const experiment *x, int done, double t0, int tty, int final,
                     double eta_s, int last)
{
    /* The hook also counts what finished, so it hears of every training,
     * quiet or not; it prints only when not quiet. */
    if (x->on_progress) {
        x->on_progress(x->progress_ctx, x, done, last, final);
        return;
    }
    if (x->quiet)
        return;
    double elapsed = dn_now() - t0;
    char el[32], eta[48];
    format_duration(elapsed, el, sizeof el);
    int left = x->n - done;
    if (x->ran > 0 && left > 0) {
        char d[32];
        format_duration(eta_s, d, sizeof d);
        snprintf(eta, sizeof eta, "ETA %s", d);
    } else {
        snprintf(eta, sizeof eta, left ? "ETA after the first training" : "done");
    }
    fprintf(stderr, "%s%s: %d/%d trainings done | elapsed %s | %s%s", tty ? "\r" : "",
            x->command, done, x->n, el, eta, tty ? "    " : "\n");
    if (tty && final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* The next training to end: a child of this process (*lane, *status) or,
 * under MPI, a result from another rank (its files written into the run
 * directory). 1 when one ended, 0 when interrupted by a signal (under MPI:
 * until the other ranks are told to stop), -1 when nothing is left to wait
 * for. */
static int wait_next(experiment *x, int halted, int *lane, int *status, exp_result *res)
{
    res->rank = -1;
    for (;;) {
        int flags = x->ranks > 1 ? WNOHANG : 0;
        pid_t pid = waitpid(-1, status, flags);
        if (pid < 0 && errno == EINTR)
            return 0;
        if (pid < 0 && x->ranks == 1)
            return -1;
        if (pid > 0) {
            int k = 0;
            while (k < MAX_JOBS && children[k] != pid)
                k++;
            if (k == MAX_JOBS)
                continue;
            *lane = k;
            return 1;
        }
        int got = experiment_mpi_result(x, res);
        if (got) {
            *lane = res->lane;
            return 1;
        }
        if (stop_signal && !halted)
            return 0;
        if (!mpi_sending()) {
            struct timespec ts = {0, 5000000};
            nanosleep(&ts, NULL);
        }
    }
}

int experiment_run(experiment *x)
{
    if (x->ranks > 1) {
        int rc = experiment_mpi_setup(x);
        if (rc)
            return rc;
    }
    int *todo = malloc(((size_t)x->n + 1) * sizeof *todo), n_todo = 0;
    /* Lanes: x->jobs trainings side by side on each rank; those of rank 0
     * are child processes (children[lane]), the others run on their rank. */
    if (x->ranks < 1)
        x->ranks = 1;
    int n_lanes = x->jobs * x->ranks;
    int *lane_of = malloc((size_t)n_lanes * sizeof *lane_of);
    double *started = calloc((size_t)n_lanes, sizeof *started); /* start times */
    if (!todo || !lane_of || !started) {
        free(todo);
        free(lane_of);
        free(started);
        cli_error("%s: out of memory", x->command);
        return EXIT_RUNTIME;
    }
    for (int i = 0; i < x->n; i++)
        if (x->t[i].state != TRAINING_DONE)
            todo[n_todo++] = i;
    for (int l = 0; l < n_lanes; l++)
        lane_of[l] = -1;
    int tty = isatty(STDERR_FILENO);
    x->ran = 0;
    int done = x->done_before, next = 0, running = 0, stopping = 0, failed = 0, halted = 0;
    double busy = 0.0; /* summed durations */
    char fail_msg[1400] = "";
    int fail_status = 0;
    double t0 = dn_now();

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: waitpid returns to look at the flag. A second Ctrl-C
     * ends this process at once (the trainings stop on their own). */
    sa.sa_flags = SA_RESETHAND;
    stop_signal = 0;
    for (int k = 0; k < MAX_JOBS; k++)
        children[k] = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigset_t block, prev;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);

    progress(x, done, t0, tty, n_todo == 0, 0.0, -1);
    for (;;) {
        while (!stopping && !stop_signal && next < n_todo) {
            int l = 0;
            while (l < n_lanes && lane_of[l] >= 0)
                l++;
            if (l == n_lanes)
                break;
            int rc = 0;
            if (l < x->jobs) {
                sigprocmask(SIG_BLOCK, &block, &prev);
                pid_t pid = launch(x, todo[next]);
                if (pid > 0)
                    children[l] = pid;
                sigprocmask(SIG_SETMASK, &prev, NULL);
                rc = pid < 0;
            } else {
                rc = experiment_mpi_send(x, todo[next], l / x->jobs, l);
            }
            if (rc) {
                stopping = failed = 1;
                fail_status = EXIT_RUNTIME;
                on_stop(0);
                stop_signal = 0;
                break;
            }
            lane_of[l] = todo[next];
            started[l] = dn_now();
            next++;
            running++;
        }
        /* Trainings on other ranks checkpoint and stop too. */
        if ((stopping || stop_signal) && !halted && x->ranks > 1) {
            halted = 1;
            for (int r = 1; r < x->ranks; r++)
                experiment_mpi_halt(r);
        }
        if (running == 0)
            break;
        int status = 0, l = -1;
        exp_result res;
        int got = wait_next(x, halted, &l, &status, &res);
        if (got < 0)
            break;
        if (got == 0) {
            stopping |= stop_signal != 0;
            continue;
        }
        if (l < x->jobs) {
            sigprocmask(SIG_BLOCK, &block, &prev);
            children[l] = 0;
            sigprocmask(SIG_SETMASK, &prev, NULL);
        }
        running--;
        int i = lane_of[l];
        lane_of[l] = -1;
        double now = dn_now(), took = now - started[l];
        started[l] = 0;
        int code, sig;
        if (res.rank >= 0) {
            code = res.code;
            sig = res.signal;
        } else {
            code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        }
        if (code == 0) {
            x->t[i].state = TRAINING_DONE;
            x->ran++;
            done++;
            busy += took;
            progress(x, done, t0, tty, done == x->n,
                     eta(now, busy / x->ran, n_todo - next, started, n_lanes), i);
            continue;
        }
        int stopped = code == EXIT_INTERRUPTED || sig == SIGTERM || sig == SIGINT;
        if ((stopping || stop_signal) && stopped)
            continue;
        if (!failed) {
            failed = 1;
            char dir[4400], log[4500], msg[1024], where[200] = "";
            experiment_run_dir(x, i, dir, sizeof dir);
            snprintf(log, sizeof log, "%s/train.log", dir);
            if (res.rank >= 0 && res.msg[0])
                snprintf(msg, sizeof msg, "%s", res.msg);
            else
                last_error(log, msg, sizeof msg);
            /* Under MPI, the rank it ran on. */
            if (x->ranks > 1)
                snprintf(where, sizeof where, " on %s", mpi_who(res.rank >= 0 ? res.rank : 0));
            if (sig)
                snprintf(fail_msg, sizeof fail_msg, "training %.500s was killed by signal %d%s",
                         dir, sig, where);
            else
                snprintf(fail_msg, sizeof fail_msg, "training %.500s failed%s: %.500s", dir,
                         where, msg);
            fail_status = code == EXIT_USAGE ? EXIT_USAGE : EXIT_RUNTIME;
        }
        /* Stop the others: they checkpoint and can be resumed. */
        stopping = 1;
        on_stop(0);
    }
    x->seconds = dn_now() - t0;
    free(todo);
    free(lane_of);
    free(started);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (tty && !x->quiet && done != x->n)
        fputc('\n', stderr);
    if (failed) {
        if (fail_msg[0]) /* else the launch said what went wrong */
            cli_error("%s: %s", x->command, fail_msg);
        return fail_status;
    }
    if (stop_signal || done != x->n) {
        cli_error("%s: interrupted with %d of %d trainings done; run the same command with "
                  "--out %s to go on (finished trainings are kept, interrupted ones resume)",
                  x->command, done, x->n, x->resume_dir ? x->resume_dir : x->dir);
        return EXIT_INTERRUPTED;
    }
    return 0;
}

void experiment_opts_init(experiment_opts *e, long seeds, long max_seeds)
{
    memset(e, 0, sizeof *e);
    e->seeds = seeds;
    e->max_seeds = max_seeds;
    e->seed = 1;
    e->figures = 1;
    e->figure_scale = 1.0f;
}

int experiment_opts_flag(experiment_opts *e, const char *arg)
{
    if (strcmp(arg, "--no-figures") == 0)
        e->figures = 0;
    else if (strcmp(arg, "--quiet") == 0)
        e->quiet = 1;
    else
        return 0;
    return 1;
}

static const char *const shared_opts[] = {"seeds", "seed", "jobs", "threads", "out",
                                          "figure-scale"};

int experiment_opts_takes(const char *name)
{
    for (size_t j = 0; j < sizeof shared_opts / sizeof *shared_opts; j++)
        if (strcmp(name, shared_opts[j]) == 0)
            return 1;
    return 0;
}

int experiment_opts_set(experiment_opts *e, const char *name, const char *value)
{
    long v;
    if (strcmp(name, "seeds") == 0)
        return parse_int("--seeds", value, 1, e->max_seeds, &e->seeds) ? EXIT_USAGE : 0;
    if (strcmp(name, "seed") == 0)
        return parse_u64("--seed", value, &e->seed) ? EXIT_USAGE : 0;
    if (strcmp(name, "jobs") == 0) {
        if (parse_int("--jobs", value, 1, 64, &v))
            return EXIT_USAGE;
        e->jobs = (int)v;
        return 0;
    }
    if (strcmp(name, "threads") == 0) {
        if (parse_int("--threads", value, 1, 1024, &v))
            return EXIT_USAGE;
        e->threads = (int)v;
        return 0;
    }
    if (strcmp(name, "out") == 0) {
        e->out = value;
        return 0;
    }
    return parse_float("--figure-scale", value, 1.0, 4.0, &e->figure_scale) ? EXIT_USAGE : 0;
}

void experiment_labels(const dn_run runs[2], char (*labels)[DN_LABEL_MAX], char *common,
                       size_t size)
{
    dn_run_labels(runs, 2, labels, common, size);
    char *seed_word = strstr(common, " | seed ");
    if (seed_word) {
        char *end = strstr(seed_word + 3, " | ");
        const char *rest = end ? end : seed_word + strlen(seed_word);
        memmove(seed_word, rest, strlen(rest) + 1);
    }
}
