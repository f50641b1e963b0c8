/* Wait queues (kernel/sched/wait.c). Sleep/wakeup is race-free across CPUs:
 * a waiter is queued and its state set under the queue lock before it tests
 * the condition, so a wakeup that makes the condition true after the test
 * finds it on the queue and sets it runnable; schedule() then returns at
 * once.
 *
 * Two kinds of waiter share a queue (Linux's wait_queue_entry):
 *   thread waiters (func == NULL), queued by prepare_to_wait*: a wakeup
 *     dequeues them and makes their thread runnable; they re-queue
 *     themselves on the next prepare_to_wait;
 *   callback waiters (func set, add_wait_queue*): a wakeup calls func
 *     under the queue lock with interrupts off and leaves them queued until
 *     their owner calls remove_wait_queue (epoll's readiness callbacks,
 *     fs/eventpoll.c). func must not sleep; it may take spinlocks that rank
 *     below wq->lock.
 * A wakeup walks the queue in order; wake_up() stops after the first
 * exclusive waiter that reports a wakeup (a thread waiter that was asleep, a
 * callback that returned true), wake_up_all() never stops. The key of
 * wake_up_poll() is the poll mask of the event (POLLIN, POLLOUT...), passed
 * to callbacks so they can ignore events nobody asked for; 0 means "some
 * event" (plain wake_up). */
#ifndef SKIFF_WAIT_H
#define SKIFF_WAIT_H

#include <skiff/sched.h>

struct wait_queue {
	spinlock_t lock;
	struct list_head waiters; /* [lock] struct waiter */
};

struct waiter;
/* Callback: true when this counts as waking someone (for exclusive waiters). */
typedef bool (*wait_func_t)(struct waiter *w, u32 key);

struct waiter {
	struct thread *thread;    /* thread waiters: the sleeper */
	struct list_head link;    /* [wq->lock] */
	bool exclusive;           /* [wq->lock] */
	wait_func_t func;         /* [I] NULL for thread waiters */
};

#define WAIT_QUEUE_INIT(n) { SPINLOCK_INIT(#n), LIST_HEAD_INIT((n).waiters) }
#define DEFINE_WAIT_QUEUE(n) struct wait_queue n = WAIT_QUEUE_INIT(n)

void wait_queue_init(struct wait_queue *wq);
void prepare_to_wait(struct wait_queue *wq, struct waiter *w, int state);
/* The same, queued at the tail as an exclusive waiter (one wake_up wakes
 * one of them: epoll_wait sleepers). */
void prepare_to_wait_exclusive(struct wait_queue *wq, struct waiter *w, int state);
void finish_wait(struct wait_queue *wq, struct waiter *w);
/* Wake one exclusive waiter (and every non-exclusive one ahead of it). */
void wake_up(struct wait_queue *wq);
void wake_up_all(struct wait_queue *wq);
/* wake_up / wake_up_all with the event's poll mask for callbacks. */
void wake_up_poll(struct wait_queue *wq, u32 key);
void wake_up_all_poll(struct wait_queue *wq, u32 key);
/* True when a waiter is queued (racy unless the caller orders it). */
bool wait_queue_active(struct wait_queue *wq);

/* Callback waiters: w->func = fn; queue at the tail (exclusive: counted by
 * wake_up as described above); remove. Each takes wq->lock. */
void waiter_init_func(struct waiter *w, wait_func_t fn);
void add_wait_queue(struct wait_queue *wq, struct waiter *w);
void add_wait_queue_exclusive(struct wait_queue *wq, struct waiter *w);
void remove_wait_queue(struct wait_queue *wq, struct waiter *w);

/* Sleep (uninterruptibly) until cond holds. */
#define wait_event(wq, cond)                                                 \
	do {                                                                 \
		struct waiter __w = { 0 };                                         \
		for (;;) {                                                   \
			prepare_to_wait(&(wq), &__w, TASK_UNINTERRUPTIBLE); \
			if (cond)                                            \
				break;                                       \
			schedule();                                          \
		}                                                            \
		finish_wait(&(wq), &__w);                                    \
	} while (0)

/* Sleep until cond holds or monotonic time deadline passes.
 * Evaluates to true if cond held. */
bool wait_event_deadline_fn(struct wait_queue *wq, bool (*cond)(void *), void *arg, u64 deadline);

#endif
