/* Wait queues (kernel/sched/wait.c). Sleep/wakeup is race-free across CPUs:
 * a waiter is queued and its state set under the queue lock before it tests
 * the condition, so a wakeup that makes the condition true after the test
 * finds it on the queue and sets it runnable; schedule() then returns at
 * once. */
#ifndef SKIFF_WAIT_H
#define SKIFF_WAIT_H

#include <skiff/sched.h>

struct wait_queue {
	spinlock_t lock;
	struct list_head waiters; /* [lock] struct waiter */
};

struct waiter {
	struct thread *thread;
	struct list_head link;    /* [wq->lock] */
	bool exclusive;
};

#define WAIT_QUEUE_INIT(n) { SPINLOCK_INIT(#n), LIST_HEAD_INIT((n).waiters) }
#define DEFINE_WAIT_QUEUE(n) struct wait_queue n = WAIT_QUEUE_INIT(n)

void wait_queue_init(struct wait_queue *wq);
void prepare_to_wait(struct wait_queue *wq, struct waiter *w, int state);
void finish_wait(struct wait_queue *wq, struct waiter *w);
/* Wake one exclusive waiter (and every non-exclusive one ahead of it). */
void wake_up(struct wait_queue *wq);
void wake_up_all(struct wait_queue *wq);

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
