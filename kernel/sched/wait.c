/* Wait queues; the race argument and the two kinds of waiter are described
 * in include/skiff/wait.h. */
#include <skiff/time.h>
#include <skiff/wait.h>

void wait_queue_init(struct wait_queue *wq)
{
	spin_init(&wq->lock, "waitq");
	list_init(&wq->waiters);
}

/* Queue w (once) and set the caller's state, under the queue lock. */
static void prepare_common(struct wait_queue *wq, struct waiter *w, int state, bool exclusive)
{
	u64 f = spin_lock_irqsave(&wq->lock);

	if (w->thread != current) {
		w->thread = current;
		w->func = NULL;
		list_init(&w->link);
	}
	w->exclusive = exclusive;
	if (list_empty(&w->link))
		list_add_tail(&w->link, &wq->waiters);
	set_current_state(state);
	spin_unlock_irqrestore(&wq->lock, f);
}

void prepare_to_wait(struct wait_queue *wq, struct waiter *w, int state)
{
	prepare_common(wq, w, state, false);
}

void prepare_to_wait_exclusive(struct wait_queue *wq, struct waiter *w, int state)
{
	prepare_common(wq, w, state, true);
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

/* Every non-exclusive waiter, and exclusive ones until one reports a
 * wakeup (unless all): the effect of Linux's non-exclusive-at-head order
 * while keeping the queue in arrival order. */
static void wake_common(struct wait_queue *wq, bool all, u32 key)
{
	u64 f = spin_lock_irqsave(&wq->lock);
	struct list_head *pos, *n;
	bool done = false;

	list_for_each_safe(pos, n, &wq->waiters) {
		struct waiter *w = list_entry(pos, struct waiter, link);
		bool woke;

		if (w->exclusive && done)
			continue;
		if (w->func) {
			woke = w->func(w, key);
		} else {
			list_del(&w->link); /* a re-armed waiter requeues itself */
			woke = wake_up_thread(w->thread, TASK_NORMAL);
		}
		if (w->exclusive && woke && !all)
			done = true;
	}
	spin_unlock_irqrestore(&wq->lock, f);
}

void wake_up(struct wait_queue *wq) { wake_common(wq, false, 0); }
void wake_up_all(struct wait_queue *wq) { wake_common(wq, true, 0); }
void wake_up_poll(struct wait_queue *wq, u32 key) { wake_common(wq, false, key); }
void wake_up_all_poll(struct wait_queue *wq, u32 key) { wake_common(wq, true, key); }

bool wait_queue_active(struct wait_queue *wq)
{
	return !list_empty(&wq->waiters);
}

void waiter_init_func(struct waiter *w, wait_func_t fn)
{
	w->thread = NULL;
	w->func = fn;
	w->exclusive = false;
	list_init(&w->link);
}

static void add_common(struct wait_queue *wq, struct waiter *w, bool exclusive)
{
	u64 f = spin_lock_irqsave(&wq->lock);

	w->exclusive = exclusive;
	list_add_tail(&w->link, &wq->waiters);
	spin_unlock_irqrestore(&wq->lock, f);
}

void add_wait_queue(struct wait_queue *wq, struct waiter *w) { add_common(wq, w, false); }
void add_wait_queue_exclusive(struct wait_queue *wq, struct waiter *w) { add_common(wq, w, true); }

void remove_wait_queue(struct wait_queue *wq, struct waiter *w)
{
	u64 f = spin_lock_irqsave(&wq->lock);

	if (!list_empty(&w->link))
		list_del(&w->link);
	list_init(&w->link);
	spin_unlock_irqrestore(&wq->lock, f);
}

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
