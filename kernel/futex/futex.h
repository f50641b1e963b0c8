/* Futex internals shared by the files of kernel/futex. See core.c for the design and
 * the compare-and-queue ordering argument. */
#ifndef KERNEL_FUTEX_H
#define KERNEL_FUTEX_H

#include <skiff/list.h>
#include <skiff/spinlock.h>
#include <uapi/futex.h>

struct thread;
struct task;
struct mm;

/* Internal flags (decoded from the op word or futex2 flags). */
#define FLAGS_SHARED   0x01
#define FLAGS_CLOCKRT  0x02

/* A futex key: (address space, user address) for private futexes,
 * (backing object, offset) for shared ones, as vm_futex_key() returns them;
 * `shared` keeps a PRIVATE waiter and a shared waker on the same private page
 * apart, as Linux's FUT_OFF_MMSHARED does. */
struct futex_key {
	u64 word[2];
	u64 shared;
};

static inline bool futex_key_eq(const struct futex_key *a, const struct futex_key *b)
{
	return a->word[0] == b->word[0] && a->word[1] == b->word[1] && a->shared == b->shared;
}

/* Hash bucket.
 *   [a] atomic   [b] the bucket's lock */
struct futex_bucket {
	u32 waiters;              /* [a] queued + about to queue (see core.c, A/B) */
	spinlock_t lock;
	struct list_head chain;   /* [b] struct futex_q, by prio then FIFO */
} __aligned(64);

struct futex_pi_state;

/* Requeue-PI progress of a WAIT_REQUEUE_PI waiter ([b] of the bucket it is on). */
enum {
	RQ_NONE = 0,      /* still waiting on uaddr1 */
	RQ_LOCKED,        /* the requeuer acquired uaddr2 for it and woke it */
	RQ_DONE,          /* requeued: now a PI waiter on uaddr2's pi_state */
};

/* One waiter; lives on the waiting thread's kernel stack.
 *   [b] lock of the bucket it is queued on (hb)
 *   [p] futex_pi_lock
 *   [I] set before queueing
 *   [a] atomic */
struct futex_q {
	struct list_head link;              /* [b] on hb->chain */
	struct futex_bucket *hb;            /* [a] bucket it is queued on, NULL once
	                                     * dequeued by a waker (release store,
	                                     * after the wakeup: see core.c, W) */
	struct thread *thread;              /* [I] */
	struct task *task;                  /* [I] */
	struct futex_key key;               /* [b] moved by requeue */
	u32 bitset;                         /* [I] */
	int prio;                           /* [I] queue order: RT prio, 0 for fair */
	u32 woken;                          /* [a] set before the thread is woken */
	u32 wake_done;                      /* [a] the waker is done with q and the
	                                     * thread (core.c, W) */

	/* PI (LOCK_PI waiters and requeued WAIT_REQUEUE_PI waiters) */
	bool pi_waiter;                     /* [I] LOCK_PI / WAIT_REQUEUE_PI: plain
	                                     * WAKE/REQUEUE on it is EINVAL */
	struct futex_pi_state *pi_state;    /* [b][p] lock it blocks on */
	struct list_head pi_link;           /* [p] on pi_state->waiters */
	int pi_prio;                        /* [p] thread prio when last sorted */
	bool pi_fixup;                      /* [p] handed over by an exiting owner:
	                                     * the waiter writes its TID itself */
	struct futex_task *ft;              /* [I] the waiter's record (PI waits) */
	const struct futex_key *requeue_pi_key; /* [I] WAIT_REQUEUE_PI target */
	int requeue_state;                  /* [b] RQ_* */
};

/* ---- bucket.c: pure queue bookkeeping (host-tested) ---- */
#define FUTEX_HASH_BITS 10
#define FUTEX_HASH_SIZE (1u << FUTEX_HASH_BITS)

u32 futex_hash_key(const struct futex_key *key);   /* 0..FUTEX_HASH_SIZE-1 */
void futex_bucket_init(struct futex_bucket *hb);
/* Queue q on hb in priority order (FIFO within a priority). [b] held. */
void futex_bucket_queue(struct futex_bucket *hb, struct futex_q *q);
/* Remove q from its bucket's chain and drop the waiter count. [b] held. */
void futex_bucket_unqueue(struct futex_q *q);
/* First waiter queued on key, or NULL. [b] held. */
struct futex_q *futex_top_waiter(struct futex_bucket *hb, const struct futex_key *key);
/* Move q from hb1 to hb2 under key2 (both locks held). */
void futex_requeue_q(struct futex_q *q, struct futex_bucket *hb1,
		     struct futex_bucket *hb2, const struct futex_key *key2);
static inline void futex_waiters_inc(struct futex_bucket *hb)
{
	__atomic_fetch_add(&hb->waiters, 1, __ATOMIC_SEQ_CST);
}
static inline void futex_waiters_dec(struct futex_bucket *hb)
{
	__atomic_fetch_sub(&hb->waiters, 1, __ATOMIC_SEQ_CST);
}
/* core.c, B: a full barrier, then the count. */
static inline bool futex_waiters_pending(struct futex_bucket *hb)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&hb->waiters, __ATOMIC_SEQ_CST) != 0;
}

/* Lock a bucket pair in address order (one lock when they coincide). */
static inline void futex_double_lock(struct futex_bucket *a, struct futex_bucket *b)
{
	if (a > b) {
		struct futex_bucket *t = a;
		a = b;
		b = t;
	}
	spin_lock(&a->lock);
	if (a != b)
		spin_lock(&b->lock);
}
static inline void futex_double_unlock(struct futex_bucket *a, struct futex_bucket *b)
{
	spin_unlock(&a->lock);
	if (a != b)
		spin_unlock(&b->lock);
}

/* Dequeue q for waking: mark it woken, clear q->hb and put it on wakeq,
 * whose threads futex_wake_up_list() wakes once the bucket lock is dropped
 * (Linux's wake_q). [b] held. */
void futex_wake_mark(struct futex_q *q, struct list_head *wakeq);
/* Mark up to nr (at least one) waiters on key whose bitset intersects
 * bitset. Returns the number marked, or -EINVAL if a PI waiter is met (those
 * already marked stay on wakeq). [b] held. */
int futex_wake_matching(struct futex_bucket *hb, const struct futex_key *key,
			u32 bitset, int nr, struct list_head *wakeq);
/* Plain requeue: mark up to nr_wake waiters on key1, move up to nr_requeue
 * more to key2 on hb2. Returns marked + moved, or -EINVAL on a PI waiter.
 * Both bucket locks held. */
int futex_requeue_matching(struct futex_bucket *hb1, const struct futex_key *key1,
			   struct futex_bucket *hb2, const struct futex_key *key2,
			   int nr_wake, int nr_requeue, struct list_head *wakeq);

/* ---- op.c: WAKE_OP encoding (host-tested) ---- */
/* Decode val3 and compute the new value from old. Returns 0 and sets *newval,
 * or -ENOSYS for an unknown operation. */
int futex_op_apply(u32 encoded, u32 old, u32 *newval);
/* Evaluate the comparison of val3 on the old value: 1 true, 0 false,
 * -ENOSYS for an unknown comparison. */
int futex_op_cmp(u32 encoded, u32 old);

/* ---- robust_walk.c: exit-time robust list walk (host-tested) ---- */
struct robust_ops {
	int (*get_u64)(void *ctx, u64 uaddr, u64 *val);      /* 0 or -EFAULT */
	int (*get_u32)(void *ctx, u64 uaddr, u32 *val);
	/* 0 and *old = value seen, or -EFAULT */
	int (*cmpxchg_u32)(void *ctx, u64 uaddr, u32 expected, u32 newval, u32 *old);
	void (*wake_one)(void *ctx, u64 uaddr);               /* shared FUTEX_WAKE(1) */
};
/* Walk the robust list at head for the dying thread tid, in Linux's order.
 * Returns the number of list entries visited. */
int robust_list_walk(const struct robust_ops *ops, void *ctx, u64 head, u32 tid);
/* handle_futex_death for one word; 0, or -1 to stop the walk. */
int robust_handle_death(const struct robust_ops *ops, void *ctx, u64 uaddr, u32 tid,
			bool pi, bool pending_op);

#ifndef SKIFF_HOST_TEST
/* ---- core.c ---- */
struct futex_timeout {
	bool set;
	bool realtime;       /* deadline is CLOCK_REALTIME ns, else MONOTONIC */
	u64 deadline;
};

struct futex_bucket *futex_bucket_of(const struct futex_key *key);
/* Key of uaddr in the caller's address space. 0, -EINVAL (alignment),
 * -EFAULT (shared: unmapped). */
int futex_get_key(u64 uaddr, unsigned flags, struct futex_key *key);
/* Read *uaddr with the bucket lock held: 0 or -EFAULT (caller drops the lock
 * and faults the page in with futex_fault_in, then retries). */
int futex_get_value_locked(u32 *val, u64 uaddr);
int futex_fault_in(u64 uaddr, bool write);
int futex_cmpxchg(u64 uaddr, u32 expected, u32 newval, u32 *old);
/* Fill in q for the caller; bitset and flags. */
void futex_q_init(struct futex_q *q, u32 bitset);
/* Lock the bucket for q->key (counting a waiter first, A). */
struct futex_bucket *futex_q_lock(struct futex_q *q);
void futex_q_unlock(struct futex_bucket *hb);   /* undo futex_q_lock */
/* Queue q on hb and unlock hb. */
void futex_queue(struct futex_q *q, struct futex_bucket *hb);
/* Dequeue q if a waker has not. 1 if it was still queued, 0 if woken. */
int futex_unqueue(struct futex_q *q);
/* Lock whichever bucket q is on now (it may move under requeue); returns it,
 * or NULL when q has been dequeued by a waker. */
struct futex_bucket *futex_q_lock_current(struct futex_q *q);
/* Wake the threads of the waiters futex_wake_mark() put on wakeq. No bucket
 * lock held. */
void futex_wake_up_list(struct list_head *wakeq);
/* Wake q at once, under its bucket lock (PI hand-over): dequeue done by the
 * caller; sets woken, wakes, sets wake_done, clears hb. */
void futex_wake_q(struct futex_q *q);
/* Sleep until q->woken, the timeout or a signal. 0, -ETIMEDOUT, -EINTR.
 * Does not dequeue. */
int futex_sleep(struct futex_q *q, const struct futex_timeout *to);
/* The same for a vector (futex_waitv): until any qs[i].woken. */
int futex_sleep_multi(struct futex_q *qs, unsigned n, const struct futex_timeout *to);
bool futex_timed_out(const struct futex_timeout *to);
/* Current task's TID as written in PI words. */
u32 futex_tid(struct task *t);

/* Per-task futex state (robust list head, PI ownership), looked up by
 * task pointer. */
enum { FTS_OK = 0, FTS_EXITING, FTS_DEAD };
struct futex_task {
	struct list_head hash_link;      /* [ft] */
	struct task *task;               /* [I] */
	u64 robust_head;                 /* [c] */
	struct list_head pi_owned;       /* [p] struct futex_pi_state.owner_link */
	struct futex_q *blocked_on;      /* [p] PI wait in progress */
	int state;                       /* [p] FTS_* */
};
/* Record for t, created if absent; NULL on ENOMEM. Stable until
 * futex_exit_release(t). */
struct futex_task *futex_task_get(struct task *t);
struct futex_task *futex_task_find(struct task *t);

/* ---- waitwake.c ---- */
int futex_wait_setup(u64 uaddr, u32 val, unsigned flags, struct futex_q *q,
		     struct futex_bucket **hbp);
int futex_wait(u64 uaddr, unsigned flags, u32 val, const struct futex_timeout *to, u32 bitset);
int futex_wake_key(u64 uaddr, unsigned flags, int nr, u32 bitset);
int futex_wake_op(u64 uaddr1, unsigned flags, u64 uaddr2, int nr_wake, int nr_wake2, u32 op);

/* ---- requeue.c ---- */
/* flags for uaddr1, flags2 for uaddr2 (they differ only for futex_requeue(2)). */
int futex_requeue(u64 uaddr1, unsigned flags, u64 uaddr2, unsigned flags2, int nr_wake,
		  int nr_requeue, const u32 *cmpval, bool requeue_pi);
int futex_wait_requeue_pi(u64 uaddr, unsigned flags, u32 val,
			  const struct futex_timeout *to, u32 bitset, u64 uaddr2);

/* ---- pi.c ---- */
extern spinlock_t futex_pi_lock;
struct futex_pi_state {
	struct list_head owner_link;     /* [p] owner's futex_task.pi_owned */
	struct task *owner;              /* [p] holds a task reference */
	struct futex_task *owner_ft;     /* [p] */
	struct list_head waiters;        /* [p] futex_q.pi_link, prio order */
	struct futex_key key;            /* [I] */
	int refs;                        /* [p] queued waiters + transient holders */
};
int futex_lock_pi(u64 uaddr, unsigned flags, const struct futex_timeout *to, bool trylock);
int futex_unlock_pi(u64 uaddr, unsigned flags);
/* Take the PI futex at uaddr for task t (hb locked): 1 acquired, 0 must
 * block with *ps set (a reference held), <0 error (-EBUSY/-EAGAIN: retry). */
int futex_lock_pi_atomic(u64 uaddr, struct futex_bucket *hb, const struct futex_key *key,
			 struct futex_pi_state **ps, struct task *t, bool set_waiters);
/* Create a pi_state owned by the task whose TID is in uval. 0 with *ps
 * (one reference), -EAGAIN/-EBUSY (retry), -ESRCH, -EFAULT, -ENOMEM. */
int futex_attach_pi_owner(u64 uaddr, u32 uval, const struct futex_key *key,
			  struct futex_pi_state **ps);
/* Queue q as a waiter of ps on behalf of q->task: deadlock check and
 * priority propagation. 0 or -EDEADLK. [b] and [p] held. */
int futex_pi_block(struct futex_pi_state *ps, struct futex_q *q);
/* Remove a PI waiter that gave up (timeout/signal). [b] held. */
void futex_pi_cancel(struct futex_q *q);
void futex_pi_state_put(struct futex_pi_state *ps);   /* [p] held */
/* After a PI wait ends: wait for ownership and fix up the word if needed.
 * Returns 0 (owner), -ETIMEDOUT or -EINTR. */
int futex_pi_wait(u64 uaddr, struct futex_q *q, const struct futex_timeout *to);
void futex_exit_pi_states(struct task *t);

/* ---- robust.c (exported ones: include/skiff/futex.h) ---- */
void futex_task_free(struct task *t);   /* core.c */

/* ---- waitv.c ---- */
long futex_waitv_syscall(u64 uwaiters, u32 nr, u32 flags, u64 utimeout, s32 clockid);
#endif


#endif
