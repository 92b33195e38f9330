/* The ranks of a data-parallel training (mpirun -np N dropnet train
 * --data-parallel): Open MPI where dropnet is built with it (-DDN_MPI=ON),
 * one process otherwise. The library gets them as a dn_dp_comm. */
#ifndef DN_CLI_DP_H
#define DN_CLI_DP_H

#include "cli.h"

typedef struct {
    int rank, size;
    int local_size;  /* ranks on this machine */
    int initialized; /* MPI was started here (and is finalised here) */
    int shared;      /* rank 0 has sent the settings */
    dn_dp_comm comm;
} cli_dp;

/* What rank 0 tells the others before training: 0 and the run, or the exit
 * status it ended with (the others then return quietly). */
typedef struct {
    int status;
    dn_config cfg;
    char data_dir[4096];
    char gemm[16], gemm_isa[16];
    int threads; /* --threads, 0: the cores shared among a machine's ranks */
} cli_dp_settings;

/* With --data-parallel among the arguments, joins the ranks when started by
 * mpirun (or srun); one rank otherwise. Returns 0 or an exit status
 * (started on several ranks without MPI built in). */
int cli_dp_init(cli_dp *dp, int *argc, char ***argv);
void cli_dp_finish(cli_dp *dp);
/* Rank 0's settings into s on every rank (rank 0: once). */
void cli_dp_share(cli_dp *dp, cli_dp_settings *s);
/* 1 when every rank says ok. */
int cli_dp_all_ok(cli_dp *dp, int ok);
/* Threads for this rank: n when given, else the cores shared among the
 * ranks on this machine. */
int cli_dp_threads(const cli_dp *dp, int n);

#endif
