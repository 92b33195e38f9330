/* A barrier for the threads of one OpenMP parallel region that waits by
 * polling with sched_yield before it sleeps.
 *
 * Why not OpenMP's own: dropnet runs libgomp with OMP_WAIT_POLICY=PASSIVE,
 * because threads that spin while they wait starve other processes (two
 * trainings side by side on two cores, each spinning: 3.5 times slower).
 * A passive barrier sleeps at once, and waking a sleeping thread on these
 * virtual machines costs 30 us (a fork and join 65 us), about the time of
 * the elementwise pass it separates. A thread that yields instead of
 * sleeping stays runnable: on an idle core it sees the others arrive within
 * a microsecond, and on a busy one sched_yield hands the core to whoever
 * wants it, so it costs the machine no more than the passive barrier did
 * (measured: 1 us against 31 us quiet, the same as passive with two
 * processes on two cores). A wait longer than DN_YIELD_NS sleeps on a futex
 * like the passive barrier: a thread never polls for long. */
#define _GNU_SOURCE /* syscall */
#include "core/internal.h"

#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define DN_YIELD_NS 200000 /* 0.2 ms: longer than any wait inside a step */

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void futex_wait(_Atomic unsigned *addr, unsigned expect)
{
    syscall(SYS_futex, (unsigned *)addr, FUTEX_WAIT_PRIVATE, expect, NULL, NULL, 0);
}

static void futex_wake_all(_Atomic unsigned *addr)
{
    syscall(SYS_futex, (unsigned *)addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

void dn_team_barrier(const dn_team *tm)
{
    if (tm->nt <= 1)
        return;
    dn_bar *b = tm->bar;
    /* Sequentially consistent throughout: the last arrival's read of
     * `sleepers` and a sleeper's check of `gen` must not both miss. */
    unsigned gen = atomic_load(&b->gen);
    if (atomic_fetch_add(&b->count, 1u) + 1u == (unsigned)tm->nt) {
        atomic_store(&b->count, 0u);
        atomic_fetch_add(&b->gen, 1u);
        if (atomic_load(&b->sleepers))
            futex_wake_all(&b->gen);
        return;
    }
    long long start = 0;
    for (unsigned k = 0;; k++) {
        if (atomic_load(&b->gen) != gen)
            return;
        if (k < 64)
            continue;
        if ((k & 15) == 0) {
            long long t = now_ns();
            if (!start)
                start = t;
            else if (t - start > DN_YIELD_NS)
                break;
        }
        sched_yield();
    }
    atomic_fetch_add(&b->sleepers, 1);
    while (atomic_load(&b->gen) == gen)
        futex_wait(&b->gen, gen);
    atomic_fetch_sub(&b->sleepers, 1);
}

void dn_team_range(const dn_team *tm, int n, int *lo, int *hi)
{
    *lo = (int)((long long)n * tm->t / tm->nt);
    *hi = (int)((long long)n * (tm->t + 1) / tm->nt);
}
