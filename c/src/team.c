/* team.c - the optional second thread of a call (cfg->num_threads = 2):
 * C11 threads, and a barrier that spins a little (the usual wait, on an
 * idle core, is a few microseconds) and then sleeps on a condition
 * variable (so that a busy machine, where the other thread may not be
 * running, does not lose a core to spinning). A team lives for one call;
 * nothing here is global. */
#include "internal.h"

#include <stdatomic.h>
#include <threads.h>

/* Spins (with the CPU's pause hint) before a waiting thread sleeps. */
#define RR_SPINS 2000

struct rr_team {
    size_t size;           /* threads, the caller included                */
    atomic_size_t arrived; /* threads waiting in the current barrier      */
    atomic_size_t round;   /* barriers completed so far                   */
    atomic_size_t sleepers; /* threads asleep (or about to) on `wake`     */
    mtx_t lock;            /* guards the sleep on `wake`                  */
    cnd_t wake;            /* signalled when a round completes            */
};

/* What the second thread runs. */
typedef struct rr_worker {
    rr_team *team;
    rr_team_fn fn;
    void *arg;
    size_t tid;
} rr_worker;

static int worker_main(void *data)
{
    const rr_worker *worker = data;
    worker->fn(worker->arg, worker->team, worker->tid);
    return 0;
}

void rr_team_run(size_t threads, rr_team_fn fn, void *arg)
{
    if (threads < 2) {
        fn(arg, NULL, 0); /* a NULL team is a team of one */
        return;
    }
    rr_team team;
    team.size = 2;
    atomic_init(&team.arrived, 0);
    atomic_init(&team.round, 0);
    atomic_init(&team.sleepers, 0);
    if (mtx_init(&team.lock, mtx_plain) != thrd_success) {
        fn(arg, NULL, 0);
        return;
    }
    if (cnd_init(&team.wake) != thrd_success) {
        mtx_destroy(&team.lock);
        fn(arg, NULL, 0);
        return;
    }
    rr_worker second = { &team, fn, arg, 1 };
    thrd_t thread;
    if (thrd_create(&thread, worker_main, &second) == thrd_success) {
        fn(arg, &team, 0);
        thrd_join(thread, NULL);
    } else {
        fn(arg, NULL, 0);
    }
    cnd_destroy(&team.wake);
    mtx_destroy(&team.lock);
}

size_t rr_team_size(const rr_team *team)
{
    return team != NULL ? team->size : 1;
}

/* a hint to the CPU that this is a spin-wait loop */
static void spin_pause(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_ia32_pause();
#endif
}

void rr_team_sync(rr_team *team)
{
    if (team == NULL || team->size < 2) {
        return;
    }
    /* Read the round first: it cannot advance before this thread arrives.
     * The last thread to arrive resets the count and opens the next round;
     * the atomics are sequentially consistent, so every thread's writes
     * before the barrier are visible to every thread after it. */
    const size_t round = atomic_load(&team->round);
    if (atomic_fetch_add(&team->arrived, 1) + 1 == team->size) {
        atomic_store(&team->arrived, 0);
        atomic_store(&team->round, round + 1);
        /* A sleeper counted itself before its last look at the round, so
         * either it sees the new round or it is counted here. */
        if (atomic_load(&team->sleepers) > 0) {
            mtx_lock(&team->lock);
            cnd_broadcast(&team->wake);
            mtx_unlock(&team->lock);
        }
        return;
    }
    for (unsigned spins = 0; spins < RR_SPINS; spins++) {
        if (atomic_load(&team->round) != round) {
            return;
        }
        spin_pause();
    }
    mtx_lock(&team->lock);
    atomic_fetch_add(&team->sleepers, 1);
    while (atomic_load(&team->round) == round) {
        cnd_wait(&team->wake, &team->lock);
    }
    atomic_fetch_sub(&team->sleepers, 1);
    mtx_unlock(&team->lock);
}

void rr_team_share(size_t count, size_t threads, size_t tid, size_t *begin,
                   size_t *end)
{
    const size_t base = count / threads;  /* every thread gets base items */
    const size_t extra = count % threads; /* the first `extra` one more   */
    *begin = tid * base + (tid < extra ? tid : extra);
    *end = *begin + base + (tid < extra ? 1 : 0);
}
