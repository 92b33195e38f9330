/* The ranks of a data-parallel training: the library's exchange and bcast
 * over MPI (dropnet built with -DDN_MPI=ON), or one process. */
#include "dp.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifdef DN_MPI
#include <mpi.h>
#endif

/* Started by a launcher with more than one rank (Open MPI's mpirun, or a
 * PMI/PMIx launcher such as srun). */
static int launched_ranks(void)
{
    const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return atoi(v);
    }
    return getenv("PMIX_RANK") ? 2 : 1; /* PMIx without a size: MPI will say */
}

#ifdef DN_MPI
/* MPI counts are ints: anything larger goes in pieces of 1 GiB. */
enum { PIECE = 1 << 30 };

static int mpi_exchange(void *ctx, int peer, const void *send, size_t send_n, void *recv,
                        size_t recv_n, dn_err *err)
{
    (void)ctx;
    (void)err; /* MPI's errors are fatal: the job ends with mpirun's message */
    const char *s = send;
    char *r = recv;
    while (send_n || recv_n) {
        int ns = send_n > PIECE ? PIECE : (int)send_n, nr = recv_n > PIECE ? PIECE : (int)recv_n;
        MPI_Sendrecv(s, ns, MPI_BYTE, peer, 0, r, nr, MPI_BYTE, peer, 0, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        s += ns;
        r += nr;
        send_n -= (size_t)ns;
        recv_n -= (size_t)nr;
    }
    return DN_OK;
}

static int mpi_bcast(void *ctx, void *buf, size_t n, dn_err *err)
{
    (void)ctx;
    (void)err;
    char *b = buf;
    do {
        int k = n > PIECE ? PIECE : (int)n;
        MPI_Bcast(b, k, MPI_BYTE, 0, MPI_COMM_WORLD);
        b += k;
        n -= (size_t)k;
    } while (n);
    return DN_OK;
}
#endif

int cli_dp_init(cli_dp *dp)
{
    memset(dp, 0, sizeof *dp);
    dp->size = dp->local_size = 1;
    int launched = launched_ranks();
#ifdef DN_MPI
    int already = 0;
    MPI_Initialized(&already);
    if (launched > 1 || already) {
        if (!already) {
            MPI_Init(NULL, NULL);
            dp->initialized = 1;
        }
        MPI_Comm_rank(MPI_COMM_WORLD, &dp->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &dp->size);
        MPI_Comm node;
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
        MPI_Comm_size(node, &dp->local_size);
        MPI_Comm_free(&node);
        dp->comm.exchange = mpi_exchange;
        dp->comm.bcast = mpi_bcast;
    }
#else
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
#ifdef DN_MPI
    if (dp->initialized)
        MPI_Finalize();
#else
    (void)dp;
#endif
}

void cli_dp_share(cli_dp *dp, cli_dp_settings *s)
{
    if (dp->size == 1 || (dp->rank == 0 && dp->shared))
        return;
    dp->shared = 1;
    dn_err err = {0};
    dp->comm.bcast(dp->comm.ctx, s, sizeof *s, &err);
}

int cli_dp_all_ok(cli_dp *dp, int ok)
{
#ifdef DN_MPI
    if (dp->size > 1) {
        int all = 0;
        MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        return all;
    }
#else
    (void)dp;
#endif
    return ok;
}

int cli_dp_threads(const cli_dp *dp, int n)
{
    if (n > 0 || dp->local_size < 2)
        return n;
    int cores = dn_set_threads(0), share = cores / dp->local_size;
    return share > 0 ? share : 1;
}
