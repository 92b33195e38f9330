/* Open MPI for the command-line tool (see cluster.h). Everything MPI is in
 * this file, between #ifdef DN_MPI; without it the functions answer for one
 * process. */
#include "cluster.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* mpirun (Open MPI), then PMIx and PMI-2 as srun and other launchers set
 * them. */
static const char *const launcher_vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"};

int mpi_launched(void)
{
    for (size_t i = 0; i < sizeof launcher_vars / sizeof *launcher_vars; i++)
        if (getenv(launcher_vars[i]) && *getenv(launcher_vars[i]))
            return 1;
    return 0;
}

void mpi_unlaunch(void)
{
    for (size_t i = 0; i < sizeof launcher_vars / sizeof *launcher_vars; i++)
        unsetenv(launcher_vars[i]);
}

int mpi_gemm_accept(const char *name, const char *isa, char *why, size_t size)
{
    dn_err err = {0};
    if (dn_gemm_use(name, &err)) {
        snprintf(why, size, "cannot use the matrix backend %.40s: %.400s", name, err.msg);
        return 1;
    }
    if (strcmp(dn_gemm_isa(), isa) != 0) {
        snprintf(why, size, "%s runs %s kernels there and %s kernels on rank 0: the products, "
                 "and so the bits, would differ", name, dn_gemm_isa(), isa);
        return 1;
    }
    return 0;
}

#ifdef DN_MPI
#include <mpi.h>

static int started, rank, size = 1, local_size = 1;
static char host[MPI_MAX_PROCESSOR_NAME + 1] = "";
/* Names of the ranks' machines, gathered at the start (for messages). */
static char (*hosts)[64];

const char *mpi_library(void)
{
    static char v[MPI_MAX_LIBRARY_VERSION_STRING + 1];
    int len = 0;
    if (!v[0] && MPI_Get_library_version(v, &len) == MPI_SUCCESS) {
        v[len] = '\0';
        v[strcspn(v, "\n")] = '\0';
    }
    return v;
}

typedef struct {
    MPI_Request req;
    void *data;
} pending;
static pending *sends;
static int n_sends, cap_sends;

int mpi_start(int *argc, char ***argv)
{
    if (started || !mpi_launched())
        return 0;
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        cli_error("MPI: cannot start (MPI_Init_thread failed)");
        return EXIT_RUNTIME;
    }
    started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int len = 0;
    MPI_Get_processor_name(host, &len);
    host[len] = '\0';
    /* Ranks sharing this machine divide its cores between them. */
    MPI_Comm node;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Comm_size(node, &local_size);
        MPI_Comm_free(&node);
    }
    hosts = calloc((size_t)size, sizeof *hosts);
    char mine[64];
    snprintf(mine, sizeof mine, "%.63s", host);
    if (hosts)
        MPI_Allgather(mine, 64, MPI_CHAR, hosts, 64, MPI_CHAR, MPI_COMM_WORLD);
    return 0;
}

void mpi_finish(void)
{
    if (!started)
        return;
    mpi_flush();
    free(sends);
    sends = NULL;
    n_sends = cap_sends = 0;
    free(hosts);
    hosts = NULL;
    MPI_Finalize();
    started = 0;
}

int mpi_rank(void) { return rank; }
int mpi_size(void) { return size; }
int mpi_local_size(void) { return local_size; }
const char *mpi_host(void) { return host; }

const char *mpi_who(int r)
{
    static char out[128];
    if (hosts && r >= 0 && r < size)
        snprintf(out, sizeof out, "rank %d (%.64s)", r, hosts[r]);
    else
        snprintf(out, sizeof out, "rank %d", r);
    return out;
}

int mpi_gemm_agree(void)
{
    if (size < 2)
        return 0;
    /* Rank 0's choice: name and kernels, or an empty name when it has none
     * (its own error printed): then every rank gives up. */
    char want[64] = "";
    int rc = 0;
    if (rank == 0 && !(rc = cli_gemm(NULL)))
        snprintf(want, sizeof want, "%s%c%s", dn_gemm_name(), '\0', dn_gemm_isa());
    MPI_Bcast(want, sizeof want, MPI_CHAR, 0, MPI_COMM_WORLD);
    char why[512] = "";
    int bad = 0;
    if (rank != 0 && want[0])
        bad = mpi_gemm_accept(want, want + strlen(want) + 1, why, sizeof why);
    /* The first rank that cannot, and its reason. */
    int first = bad ? rank : size, worst;
    MPI_Allreduce(&first, &worst, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!want[0])
        return rc ? rc : EXIT_RUNTIME;
    if (worst == size)
        return 0;
    if (worst != 0) {
        if (rank == worst)
            MPI_Send(why, sizeof why, MPI_CHAR, 0, 0, MPI_COMM_WORLD);
        if (rank == 0) {
            MPI_Recv(why, sizeof why, MPI_CHAR, worst, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            cli_error("%s: %s", mpi_who(worst), why);
        }
    }
    return EXIT_RUNTIME;
}

/* Completes the sends that are done; returns how many are left. */
static int progress_sends(void)
{
    int k = 0;
    for (int i = 0; i < n_sends; i++) {
        int done = 0;
        MPI_Test(&sends[i].req, &done, MPI_STATUS_IGNORE);
        if (done)
            free(sends[i].data);
        else
            sends[k++] = sends[i];
    }
    n_sends = k;
    return n_sends;
}

int mpi_send(int to, int tag, const void *data, size_t n)
{
    if (n > (size_t)0x7fffffff) {
        cli_error("MPI: a message of %zu bytes to %s is over the 2 GiB one message holds", n,
                  mpi_who(to));
        return EXIT_RUNTIME;
    }
    if (n_sends == cap_sends) {
        int cap = cap_sends ? 2 * cap_sends : 16;
        pending *p = realloc(sends, (size_t)cap * sizeof *p);
        if (!p) {
            cli_error("MPI: out of memory");
            return EXIT_RUNTIME;
        }
        sends = p;
        cap_sends = cap;
    }
    void *copy = malloc(n ? n : 1);
    if (!copy) {
        cli_error("MPI: out of memory for a message of %zu bytes", n);
        return EXIT_RUNTIME;
    }
    if (n)
        memcpy(copy, data, n);
    pending *p = &sends[n_sends];
    if (MPI_Isend(copy, (int)n, MPI_BYTE, to, tag, MPI_COMM_WORLD, &p->req) != MPI_SUCCESS) {
        free(copy);
        cli_error("MPI: cannot send to %s", mpi_who(to));
        return EXIT_RUNTIME;
    }
    p->data = copy;
    n_sends++;
    return 0;
}

int mpi_poll(void **data, size_t *n, int *from, int *tag)
{
    progress_sends();
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (!flag)
        return 0;
    int count = 0;
    MPI_Get_count(&st, MPI_BYTE, &count);
    void *buf = malloc(count > 0 ? (size_t)count : 1);
    if (!buf) {
        cli_error("MPI: out of memory for a message of %d bytes from %s", count,
                  mpi_who(st.MPI_SOURCE));
        return -1;
    }
    MPI_Recv(buf, count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    *data = buf;
    *n = (size_t)count;
    *from = st.MPI_SOURCE;
    *tag = st.MPI_TAG;
    return 1;
}

int mpi_sending(void) { return progress_sends() > 0; }

/* MPI counts are ints: larger messages go in pieces. */
enum { PIECE = 1 << 30 };

void mpi_exchange(int peer, const void *send, size_t send_n, void *recv, size_t recv_n)
{
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
}

void mpi_bcast(void *buf, size_t n)
{
    char *b = buf;
    do {
        int k = n > PIECE ? PIECE : (int)n;
        MPI_Bcast(b, k, MPI_BYTE, 0, MPI_COMM_WORLD);
        b += k;
        n -= (size_t)k;
    } while (n);
}

int mpi_all(int ok)
{
    int all = 0;
    ok = ok != 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all;
}

void mpi_flush(void)
{
    while (progress_sends() > 0) {
    }
}

#else /* no MPI in this build */

const char *mpi_library(void) { return ""; }
int mpi_start(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Launched as several ranks, each would run the whole command. */
    static const char *const sizes[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        const char *v = getenv(sizes[i]);
        if (v && atoi(v) > 1) {
            cli_error("this dropnet was built without MPI, and %s ranks would each run the whole "
                      "command: build it with cmake -DDN_MPI=ON, or run it without mpirun", v);
            return EXIT_USAGE;
        }
    }
    return 0;
}
void mpi_finish(void) {}
int mpi_rank(void) { return 0; }
int mpi_size(void) { return 1; }
int mpi_local_size(void) { return 1; }
const char *mpi_host(void) { return ""; }
const char *mpi_who(int r)
{
    static char out[32];
    snprintf(out, sizeof out, "rank %d", r);
    return out;
}
int mpi_gemm_agree(void) { return 0; }
int mpi_send(int to, int tag, const void *data, size_t n)
{
    (void)to;
    (void)tag;
    (void)data;
    (void)n;
    cli_error("MPI: this dropnet was built without MPI (cmake -DDN_MPI=ON)");
    return EXIT_RUNTIME;
}
int mpi_poll(void **data, size_t *n, int *from, int *tag)
{
    (void)data;
    (void)n;
    (void)from;
    (void)tag;
    return 0;
}
int mpi_sending(void) { return 0; }
void mpi_flush(void) {}
/* One process: nothing to exchange with (data-parallel training calls these
 * only with several ranks). */
void mpi_exchange(int peer, const void *send, size_t send_n, void *recv, size_t recv_n)
{
    (void)peer;
    (void)send;
    (void)send_n;
    (void)recv;
    (void)recv_n;
}
void mpi_bcast(void *buf, size_t n)
{
    (void)buf;
    (void)n;
}
int mpi_all(int ok) { return ok != 0; }

#endif
