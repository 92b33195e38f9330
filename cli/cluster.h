/* dropnet over Open MPI (built with cmake -DDN_MPI=ON). MPI is started only
 * when a launcher (mpirun, srun) started this process, and only by the
 * commands that use it; otherwise, and in builds without MPI, every
 * function below answers as for one process, rank 0 of 1, and nothing
 * changes.
 *
 * Messages between ranks are point to point and polled (mpi_poll), never
 * a blocking receive: Open MPI spins in one, and a rank waiting for its
 * next training would take a core from the trainings. */
#ifndef DN_CLI_CLUSTER_H
#define DN_CLI_CLUSTER_H

#include <stddef.h>

/* "Open MPI v4.1.4, ..." (the first line of MPI_Get_library_version), or
 * "" in a build without MPI. */
const char *mpi_library(void);
/* Whether a launcher started this process (its environment says so). */
int mpi_launched(void);
/* Forgets the launcher in this process's environment, so that mpi_launched
 * says 0: for a child about to exec a command that must not start MPI (the
 * trainings of an experiment inherit the rank's environment). */
void mpi_unlaunch(void);
/* MPI_Init_thread (funneled) when launched, else nothing. 0, or an exit
 * status after a one-line error. */
int mpi_start(int *argc, char ***argv);
/* MPI_Finalize when started (after rank 0 has told the ranks waiting for
 * work to end: see experiment_mpi.c). */
void mpi_finish(void);
int mpi_rank(void);
int mpi_size(void);
/* Ranks on this rank's machine (1 without MPI). */
int mpi_local_size(void);
/* "rank 3 (node7)": for messages. */
const char *mpi_who(int rank);
/* This machine's name, as MPI reports it. */
const char *mpi_host(void);

/* Every rank uses the matrix-product backend rank 0 chose, on kernels for
 * the same instruction set (else the products, and so the bits, would
 * differ between ranks). Collective: every rank calls it at the same
 * point. Rank 0's choice is its $DN_GEMM or default (cli_gemm) unless it
 * chose already; other ranks switch to it. 0 on every rank when all can;
 * otherwise rank 0 prints one line naming the first rank that cannot, and
 * every rank returns EXIT_RUNTIME. */
int mpi_gemm_agree(void);
/* One rank's side of that check: switches to backend name and compares the
 * kernels with isa. 0, or nonzero with the reason in why. */
int mpi_gemm_accept(const char *name, const char *isa, char *why, size_t size);

/* ---- collectives for data-parallel training (blocking: every rank calls
 * them at the same point; any size, in pieces of 1 GiB) ---- */

/* Sends send_n bytes to rank peer and receives recv_n bytes from it. */
void mpi_exchange(int peer, const void *send, size_t send_n, void *recv, size_t recv_n);
/* Rank 0's n bytes at buf into buf on every rank. */
void mpi_bcast(void *buf, size_t n);
/* 1 when ok is nonzero on every rank. */
int mpi_all(int ok);

/* ---- point-to-point messages (MPI_BYTE), for the experiments ---- */

/* Sends size bytes at data to rank with tag, without waiting: data is
 * copied and the send completes in later calls of mpi_poll or mpi_flush.
 * 0, or an exit status after a one-line error. */
int mpi_send(int rank, int tag, const void *data, size_t size);
/* A message that has arrived (from any rank, any tag): 1 and *data (malloc'd,
 * the caller frees), *size, *from, *tag set; 0 when none is there; -1 after
 * a one-line error. Also moves pending sends on. */
int mpi_poll(void **data, size_t *size, int *from, int *tag);
/* Whether sends are still under way (then a poll loop should not sleep). */
int mpi_sending(void);
/* Waits (polling) until every pending send has completed. */
void mpi_flush(void);

#endif
