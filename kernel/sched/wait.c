/* Wait queues; the race argument is in include/skiff/wait.h. */
#include <skiff/time.h>
#include <skiff/wait.h>

void wait_queue_init(struct wait_queue *wq)
{
	spin_init(&wq->lock, "waitq");
	list_init(&wq->waiters);
}

/* Queue w (once) and set the caller's state, under the queue lock. */
void prepare_to_wait(struct wait_queue *wq, struct waiter *w, int state)
{
	u64 f = spin_lock_irqsave(&wq->lock);

	if (w->thread != current) {
		w->thread = current;
		w->exclusive = false;
		list_init(&w->link);
	}
	if (list_empty(&w->link))
		list_add_tail(&w->link, &wq->waiters);
	set_current_state(state);
	spin_unlock_irqrestore(&wq->lock, f);
}

void finish_wait(struct wait_queue *wq, struct waiter *w)
{
	u64 f;

	set_current_state(TASK_RUNNING);
	f = spin_lock_irqsave(&wq->lock);
	if (!list_empty(&w->link))
		list_del(&w->link);
	spin_unlock_irqrestore(&wq->lock, f);
	w->thread = NULL;
}

static void wake_common(struct wait_queue *wq, bool all)
{
	u64 f = spin_lock_irqsave(&wq->lock);
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &wq->waiters) {
		struct waiter *w = list_entry(pos, struct waiter, link);
		list_del(&w->link); /* a re-armed waiter requeues itself */
		wake_up_thread(w->thread, TASK_NORMAL);
		if (w->exclusive && !all)
			break;
	}
	spin_unlock_irqrestore(&wq->lock, f);
}

void wake_up(struct wait_queue *wq) { wake_common(wq, false); }
void wake_up_all(struct wait_queue *wq) { wake_common(wq, true); }

bool wait_event_deadline_fn(struct wait_queue *wq, bool (*cond)(void *), void *arg, u64 deadline)
{
	struct thread *t = current;
	struct waiter w = { 0 };
	bool ok;

	for (;;) {
		prepare_to_wait(wq, &w, TASK_UNINTERRUPTIBLE);
		ok = cond(arg);
		if (ok || clock_monotonic_ns() >= deadline)
			break;
		timer_arm(&t->sleep_timer, deadline);
		schedule();
		timer_cancel_sync(&t->sleep_timer);
	}
	finish_wait(wq, &w);
	return ok;
}
