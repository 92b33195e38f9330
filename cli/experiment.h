/* An experiment directory and the trainings it holds, for compare and
 * sweep: each training is a `dropnet train` process writing its own run
 * directory under DIR/runs, several side by side; a training that finished
 * is never run again, one that was interrupted resumes from its checkpoint.
 */
#ifndef DN_CLI_EXPERIMENT_H
#define DN_CLI_EXPERIMENT_H

#include "cli.h"

#include <sys/types.h>

enum { TRAINING_FRESH, TRAINING_RESUME, TRAINING_DONE };

typedef struct {
    char name[256];      /* run directory under DIR/runs */
    dn_config cfg;   /* the seed included */
    char data_dir[4096]; /* Fashion-MNIST directory; "" for CSV data */
    int state;           /* TRAINING_*, set by experiment_scan */
} exp_training;

typedef struct experiment {
    const char *command; /* "compare" or "sweep", for messages */
    char dir[4096];
    exp_training *t;
    int n, cap;
    int jobs, threads;   /* trainings side by side (on each rank), threads of each */
    int threads_given;   /* --threads, else 0 (each rank then divides its cores) */
    int ranks;           /* MPI ranks training (1: this process alone) */
    int quiet;
    int lock_fd;
    char exe[4096];
    int done_before;     /* finished before this call */
    int resumed;         /* interrupted ones found */
    int ran;             /* trainings that finished in this call */
    double seconds;      /* wall time of experiment_run */
    /* When set, the progress line is this callback's (the lab's, which
     * shows where the whole lab stands); last: the training that just
     * finished (-1: none yet). */
    void (*on_progress)(void *ctx, const struct experiment *x, int done, int last, int final);
    void *progress_ctx;
    const char *resume_dir; /* the --out to name when interrupted (NULL: dir) */
} experiment;

/* Opens (creating) the experiment directory and locks it against a second
 * compare or sweep; dir NULL: experiments/<command>-<date-time>. command
 * "lab" claims dir as a lab's (one exercise of dropnet lab). 0, or an
 * exit status after a one-line error. */
int experiment_open(experiment *x, const char *command, const char *dir);
/* Adds a training (name unique within the experiment). */
int experiment_add(experiment *x, const char *name, const dn_config *cfg,
                   const char *data_dir);
/* Finds what each training's directory holds: done, resumable or nothing
 * to keep. A directory holding a run of another configuration is an error
 * (exit status 2). */
int experiment_scan(experiment *x);
/* Jobs and threads from the options (0: not given) and the cores. Under MPI
 * (mpirun -np N with N > 1) the jobs are per rank, 1 unless given, and the
 * threads divide the cores among the ranks on each machine. */
void experiment_set_jobs(experiment *x, int jobs, int threads);
/* Runs every training that is not done, x->jobs at a time, with a progress
 * line on stderr. 0 when all are done; EXIT_INTERRUPTED after SIGINT or
 * SIGTERM (the trainings checkpoint and stop); another exit status when a
 * training failed (its error printed). */
int experiment_run(experiment *x);
/* DIR/runs/<name of training i>. */
void experiment_run_dir(const experiment *x, int i, char *out, size_t size);
void experiment_close(experiment *x);

/* NULL when a run directory's configuration (have) is the training asked
 * for (want), else the first field that differs. With CSV data the input
 * and output widths come from the files, not from the options, so they are
 * not compared. */
const char *experiment_differs(const dn_config *have, const dn_config *want);

/* With CSV data, sets cfg's input and output widths from the training
 * file, as train will (the last file read is remembered). 0, or an exit
 * status after a one-line error. */
int experiment_csv_widths(dn_config *cfg);

/* ---- the parts experiment_mpi.c shares ---- */

/* The arguments of `dropnet train` for a training in run directory dir:
 * the option words (resume 0) or --resume dir, then --threads threads,
 * --quiet and --no-figures; NULL-terminated in argv (max entries). The
 * count, or -1 when they do not fit. */
int experiment_argv(const char *exe, const char *dir, int resume, char **words, int n_words,
                    const char *threads, char **argv, int max);
/* The option words of training i (train_options_render into buf): their
 * count, or -1 after a one-line error. */
int experiment_words(const experiment *x, int i, char *buf, size_t size, char **words, int max);
/* Starts exe with argv as a child process, its stdout and stderr appended
 * to log; it gets SIGTERM when this process dies. The pid, or -1 after a
 * one-line error. */
pid_t experiment_spawn(const char *command, const char *exe, char **argv, const char *log);

/* Threads of each training on this rank: given, else its cores divided
 * among its jobs and the ranks on its machine (*ranks_here, may be NULL). */
int experiment_threads_each(int jobs, int given, int *ranks_here);

/* A training that ended on another rank. */
typedef struct {
    int rank;      /* -1: none (a child of this process) */
    int lane;
    int code;      /* exit status, -1 when killed */
    int signal;    /* the signal that killed it, else 0 */
    char msg[600]; /* what went wrong where train.log cannot say */
} exp_result;

/* Rank 0 of an MPI run (experiment_mpi.c): checks every rank's matrix
 * backend and sets x->ranks (1 without MPI). 0, or an exit status after a
 * one-line error naming the rank. */
int experiment_mpi_setup(experiment *x);
/* Sends training i (its settings, and the run directory's files when it
 * resumes) to rank, for lane. 0, or an exit status after a one-line error. */
int experiment_mpi_send(experiment *x, int i, int rank, int lane);
/* A result that has arrived, its files written into the training's run
 * directory: 1 (res filled), or 0 when none has. */
int experiment_mpi_result(experiment *x, exp_result *res);
/* Tells rank to stop its trainings (they checkpoint and are sent back). */
void experiment_mpi_halt(int rank);
/* Rank 0, at the end of the command: tells every other rank to end. */
void experiment_mpi_release(void);
/* Every rank but 0: trains what rank 0 sends until told to end. The exit
 * status of the rank. */
int experiment_worker(void);

/* The options compare and sweep share. */
typedef struct {
    long seeds, max_seeds;
    unsigned long long seed; /* the first */
    int jobs, threads;       /* 0: not given */
    int figures, quiet;
    float figure_scale;
    const char *out;
} experiment_opts;

/* The defaults: seeds seeds (--seeds allows up to max_seeds) from seed 1,
 * figures at scale 1. */
void experiment_opts_init(experiment_opts *e, long seeds, long max_seeds);
/* 1 when ARG is --no-figures or --quiet (and is recorded in e), else 0. */
int experiment_opts_flag(experiment_opts *e, const char *arg);
/* 1 when NAME (without dashes) is a shared option with a value: seeds,
 * seed, jobs, threads, out, figure-scale. */
int experiment_opts_takes(const char *name);
/* VALUE of the shared option NAME into e: 0, or EXIT_USAGE after a
 * one-line error. */
int experiment_opts_set(experiment_opts *e, const char *name, const char *value);

/* dn_run_labels of two runs of an experiment, the seed left out of the
 * settings they share (the experiment lists seeds apart). */
void experiment_labels(const dn_run runs[2], char (*labels)[DN_LABEL_MAX], char *common,
                       size_t size);

/* "1:05" or "1:02:03". */
void format_duration(double seconds, char *out, size_t size);

#endif
