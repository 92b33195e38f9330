/* The ranks of a data-parallel training: the library's exchange and bcast
 * over MPI (cluster.c, dropnet built with -DDN_MPI=ON), or one process. */
#include "dp.h"
#include "cluster.h"

#include <stdlib.h>
#include <string.h>

#ifndef DN_MPI
/* The rank count a launcher started (1 when none did). */
static int launched_ranks(void)
{
    const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return atoi(v);
    }
    return mpi_launched() ? 2 : 1; /* a launcher that does not say: MPI would */
}
#endif

static int dp_exchange(void *ctx, int peer, const void *send, size_t send_n, void *recv,
                       size_t recv_n, dn_err *err)
{
    (void)ctx;
    (void)err; /* MPI's errors are fatal: the job ends with mpirun's message */
    mpi_exchange(peer, send, send_n, recv, recv_n);
    return DN_OK;
}

static int dp_bcast(void *ctx, void *buf, size_t n, dn_err *err)
{
    (void)ctx;
    (void)err;
    mpi_bcast(buf, n);
    return DN_OK;
}

int cli_dp_init(cli_dp *dp, int *argc, char ***argv)
{
    memset(dp, 0, sizeof *dp);
    dp->size = dp->local_size = 1;
    /* Only a training asked to be data-parallel joins the ranks: the
     * trainings an experiment starts inherit its rank's environment, and
     * each of them is one process. */
    int wanted = 0;
    for (int i = 1; i < *argc; i++)
        wanted |= strcmp((*argv)[i], "--data-parallel") == 0;
    if (!wanted)
        return 0;
#ifdef DN_MPI
    if (mpi_launched()) {
        int rc = mpi_start(argc, argv);
        if (rc)
            return rc;
        dp->initialized = 1;
        dp->rank = mpi_rank();
        dp->size = mpi_size();
        dp->local_size = mpi_local_size();
        dp->comm.exchange = dp_exchange;
        dp->comm.bcast = dp_bcast;
    }
#else
    (void)argc;
    (void)argv;
    (void)dp_exchange;
    (void)dp_bcast;
    int launched = launched_ranks();
    if (launched > 1) {
        cli_error("train: started as one of %d ranks, but this dropnet is built without MPI "
                  "(cmake -DDN_MPI=ON)", launched);
        return EXIT_USAGE;
    }
#endif
    dp->comm.rank = dp->rank;
    dp->comm.size = dp->size;
    return 0;
}

void cli_dp_finish(cli_dp *dp)
{
    if (dp->initialized)
        mpi_finish();
}

void cli_dp_share(cli_dp *dp, cli_dp_settings *s)
{
    if (dp->size == 1 || (dp->rank == 0 && dp->shared))
        return;
    dp->shared = 1;
    mpi_bcast(s, sizeof *s);
}

int cli_dp_all_ok(cli_dp *dp, int ok)
{
    return dp->size > 1 ? mpi_all(ok) : ok;
}

int cli_dp_threads(const cli_dp *dp, int n)
{
    if (n > 0 || dp->local_size < 2)
        return n;
    int cores = dn_set_threads(0), share = cores / dp->local_size;
    return share > 0 ? share : 1;
}
