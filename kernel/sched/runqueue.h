/* The pure run-queue data structure (kernel/sched/runqueue.c): no locks,
 * no clocks, no arch; host unit tests drive it directly. The caller holds
 * the owning CPU's rq lock for every call.
 *
 * RT threads (prio 1..99) sit in one FIFO list per priority with a bitmap
 * of non-empty lists; fair threads (prio 0) sit in a list sorted by
 * vruntime. Insertion into the fair list is O(n): a microVM runs tens of
 * threads per CPU, not thousands; swap in an rbtree if that changes. */
#ifndef SCHED_RUNQUEUE_H
#define SCHED_RUNQUEUE_H

#include <skiff/sched.h>

struct runqueue {
	u64 rt_bitmap[2];                        /* bit p: rt[p] non-empty */
	struct list_head rt[MAX_RT_PRIO];
	struct list_head fair;                   /* ascending vruntime */
	u32 nr_rt, nr_fair;
	u64 min_vruntime;                        /* monotonic floor for placement */
};

/* Scheduler tunables (ns), as Linux's defaults. */
#define SCHED_LATENCY_NS      6000000ull  /* period shared by runnable fair threads */
#define SCHED_MIN_GRAN_NS      750000ull  /* shortest fair slice */
#define SCHED_WAKEUP_GRAN_NS  1000000ull  /* vruntime lead a waker needs to preempt */
#define SCHED_RR_SLICE_NS   100000000ull  /* SCHED_RR time slice */
/* RT bandwidth, as Linux's sched_rt_period_us / sched_rt_runtime_us: RT
 * threads may run 95% of each 1 s period on a CPU; then that CPU's RT
 * threads wait for the next period (fair threads, or idle, run meanwhile). */
#define SCHED_RT_PERIOD_NS  1000000000ull
#define SCHED_RT_RUNTIME_NS  950000000ull
#define NICE_0_WEIGHT 1024

void runqueue_init(struct runqueue *q);
/* Queue t; RT threads go to the tail of their list (head=true: the head, for
 * a preempted RT thread that keeps its turn). */
void runqueue_enqueue(struct runqueue *q, struct thread *t, bool head);
void runqueue_dequeue(struct runqueue *q, struct thread *t);
/* Most urgent queued thread, or NULL. */
struct thread *runqueue_peek(const struct runqueue *q);
/* Most urgent queued fair thread, or NULL (RT threads are throttled). */
struct thread *runqueue_peek_fair(const struct runqueue *q);
static inline u32 runqueue_nr(const struct runqueue *q) { return q->nr_rt + q->nr_fair; }

/* Charge delta_ns of CPU time to t (weighted for fair threads) and advance
 * min_vruntime. */
void runqueue_account(struct runqueue *q, struct thread *t, u64 delta_ns);
/* Place a waking or new fair thread: not more than half a latency period
 * behind min_vruntime, so a long sleeper cannot monopolise the CPU. */
void runqueue_place(struct runqueue *q, struct thread *t, bool new_thread);
/* Should woken thread w preempt the running thread curr? */
bool runqueue_should_preempt(const struct thread *curr, const struct thread *w);
/* Slice for t given nr runnable threads including it. */
u64 runqueue_slice(const struct runqueue *q, const struct thread *t);
u32 nice_to_weight(int nice);

#endif
