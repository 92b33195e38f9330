/* A barrier for the threads of one OpenMP parallel region: a short spin,
 * then a sleep on a futex.
 *
 * Why not OpenMP's own: dropnet runs libgomp with OMP_WAIT_POLICY=PASSIVE,
 * because threads that spin long while they wait starve other processes
 * (two trainings side by side on two cores, each spinning: 3.5 times
 * slower), and libgomp's passive barrier costs about 40 us on these
 * virtual machines. Most of what a training step gained came from needing
 * fewer barriers at all (one region per step instead of six); this one
 * adds a spin of at most DN_SPIN_NS, which catches the partner that is
 * about to arrive without a trip through the kernel, and then sleeps like
 * the passive barrier. It does not poll with sched_yield: measured beside
 * niced processes on two cores, a yielding thread waited behind them for
 * their time slice and a d2l epoch took 2.3 times as long as with sleeping
 * threads. With more threads than cores it does not spin at all. */
#define _GNU_SOURCE /* syscall */
#include "core/internal.h"

#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define DN_SPIN_NS 30000 /* 30 us */

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

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
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
    static _Atomic int procs;
    if (!atomic_load_explicit(&procs, memory_order_relaxed))
        atomic_store_explicit(&procs, omp_get_num_procs(), memory_order_relaxed);
    if (tm->nt <= atomic_load_explicit(&procs, memory_order_relaxed)) {
        long long start = now_ns();
        for (unsigned k = 1;; k++) {
            if (atomic_load(&b->gen) != gen)
                return;
            if (!(k & 63) && now_ns() - start > DN_SPIN_NS)
                break;
            cpu_relax();
        }
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
