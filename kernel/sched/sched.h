/* Scheduler internals shared by the files of kernel/sched/. */
#ifndef SCHED_SCHED_H
#define SCHED_SCHED_H

#include <skiff/sched.h>
#include "runqueue.h"

#define RQ_NEED_RESCHED 1u
#define RQ_POLLING      2u /* idle loop is polling rq->flags: no IPI needed */

/* Per-CPU run queue. Legend: [l] lock, [a] atomic, [c] this CPU only. */
struct rq {
	spinlock_t lock;
	struct runqueue q;              /* [l] */
	struct thread *curr;            /* [l] */
	struct thread *idle;            /* [I] */
	struct thread *prev;            /* [l] thread being switched out */
	u32 flags;                      /* [a] RQ_* */
	unsigned cpu;                   /* [I] */
	bool online;                    /* [I] after sched_init_cpu */
	struct timer slice_timer;       /* [c] */
	u64 rt_time;                    /* [l] RT run time charged in this period */
	u64 rt_period_end;              /* [l] end of the current RT period (ns) */
	bool rt_throttled;              /* [l] RT budget spent: RT threads wait */
	struct timer rt_timer;          /* [c] end of the RT budget or period */
	struct thread *reap;            /* [l] dead detached threads to free */
	struct idle_stats stats;        /* [c] (ipis_* written by wakers: [a]) */
};

DECLARE_PER_CPU(struct rq, runqueues);
static inline struct rq *cpu_rq(unsigned cpu) { return per_cpu_ptr(&runqueues, cpu); }
static inline struct rq *this_rq(void) { return this_cpu_ptr(&runqueues); }

/* Set NEED_RESCHED on cpu's rq; send an IPI unless the CPU is polling (or is
 * this CPU). Counts ipis_sent / ipis_avoided on the calling CPU. */
void resched_cpu(unsigned cpu);

/* pv/haltpoll.c: the adaptive poll window. */
struct haltpoll {
	u64 poll_ns;
};
extern u64 haltpoll_max_ns;
extern u64 haltpoll_force_ns;
void haltpoll_init_cpu(void);                 /* per CPU at bring-up: host poll control */
void haltpoll_start_cpu(struct haltpoll *h);  /* idle loop start: initial window */
void haltpoll_adjust(struct haltpoll *h, u64 block_ns);

/* Queued threads rq may run now (throttled RT threads do not count). */
static inline u32 rq_nr_runnable(const struct rq *rq)
{
	return READ_ONCE(rq->rt_throttled) ? READ_ONCE(rq->q.nr_fair) : runqueue_nr(&rq->q);
}

/* Lock the run queue t is on (interrupts off); t->cpu cannot change while
 * it is held. Returns that rq, locked. */
struct rq *task_rq_lock(struct thread *t);
void idle_reap(struct rq *rq);
bool sched_steal(struct rq *rq);

void arch_switch_to(u64 *prev_ksp, u64 next_ksp);
void thread_entry(void);

#endif
