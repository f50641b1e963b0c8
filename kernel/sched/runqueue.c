/* Run-queue data structure; see runqueue.h. */
#include "runqueue.h"

/* Linux's sched_prio_to_weight: each nice step is ~10% of CPU. */
static const u32 prio_to_weight[40] = {
	88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
	9548,  7620,  6100,  4904,  3906,  3121,  2501,  1991,  1586,  1277,
	1024,  820,   655,   526,   423,   335,   272,   215,   172,   137,
	110,   87,    70,    56,    45,    36,    29,    23,    18,    15,
};

u32 nice_to_weight(int nice)
{
	if (nice < -20)
		nice = -20;
	if (nice > 19)
		nice = 19;
	return prio_to_weight[nice + 20];
}

void runqueue_init(struct runqueue *q)
{
	q->rt_bitmap[0] = q->rt_bitmap[1] = 0;
	for (int i = 0; i < MAX_RT_PRIO; i++)
		list_init(&q->rt[i]);
	list_init(&q->fair);
	q->nr_rt = q->nr_fair = 0;
	q->min_vruntime = 0;
}

static bool is_rt(const struct thread *t) { return t->prio > 0; }

void runqueue_enqueue(struct runqueue *q, struct thread *t, bool head)
{
	if (is_rt(t)) {
		int p = t->prio;
		if (head)
			list_add(&t->rq_link, &q->rt[p]);
		else
			list_add_tail(&t->rq_link, &q->rt[p]);
		q->rt_bitmap[p / 64] |= 1ull << (p % 64);
		q->nr_rt++;
		return;
	}
	/* Sorted insert; equal vruntimes keep FIFO order. */
	struct list_head *pos;
	list_for_each(pos, &q->fair) {
		struct thread *o = list_entry(pos, struct thread, rq_link);
		if ((s64)(t->vruntime - o->vruntime) < 0)
			break;
	}
	list_add_tail(&t->rq_link, pos);
	q->nr_fair++;
}

void runqueue_dequeue(struct runqueue *q, struct thread *t)
{
	list_del(&t->rq_link);
	if (is_rt(t)) {
		int p = t->prio;
		if (list_empty(&q->rt[p]))
			q->rt_bitmap[p / 64] &= ~(1ull << (p % 64));
		q->nr_rt--;
	} else {
		q->nr_fair--;
	}
}

struct thread *runqueue_peek(const struct runqueue *q)
{
	if (q->rt_bitmap[1])
		return list_first_entry(&q->rt[64 + 63 - __builtin_clzll(q->rt_bitmap[1])], struct thread, rq_link);
	if (q->rt_bitmap[0])
		return list_first_entry(&q->rt[63 - __builtin_clzll(q->rt_bitmap[0])], struct thread, rq_link);
	if (!list_empty(&q->fair))
		return list_first_entry(&q->fair, struct thread, rq_link);
	return NULL;
}

struct thread *runqueue_peek_fair(const struct runqueue *q)
{
	return list_empty(&q->fair) ? NULL : list_first_entry(&q->fair, struct thread, rq_link);
}

void runqueue_account(struct runqueue *q, struct thread *t, u64 delta_ns)
{
	t->sum_exec += delta_ns;
	if (is_rt(t))
		return;
	t->vruntime += delta_ns * NICE_0_WEIGHT / (t->weight ? t->weight : NICE_0_WEIGHT);
	u64 floor = t->vruntime;
	if (!list_empty(&q->fair)) {
		struct thread *left = list_first_entry(&q->fair, struct thread, rq_link);
		if ((s64)(left->vruntime - floor) < 0)
			floor = left->vruntime;
	}
	if ((s64)(floor - q->min_vruntime) > 0)
		q->min_vruntime = floor;
}

void runqueue_place(struct runqueue *q, struct thread *t, bool new_thread)
{
	u64 v = q->min_vruntime;

	if (!new_thread)
		v -= SCHED_LATENCY_NS / 2;
	if (new_thread || (s64)(t->vruntime - v) < 0)
		t->vruntime = v;
}

bool runqueue_should_preempt(const struct thread *curr, const struct thread *w)
{
	if (w->prio != curr->prio)
		return w->prio > curr->prio;
	if (is_rt(w))
		return false; /* same RT priority: FIFO order */
	return (s64)(curr->vruntime - w->vruntime) > (s64)SCHED_WAKEUP_GRAN_NS;
}

u64 runqueue_slice(const struct runqueue *q, const struct thread *t)
{
	if (is_rt(t))
		return t->policy == SCHED_RR ? SCHED_RR_SLICE_NS : 0;
	u64 n = q->nr_fair + 1;
	u64 s = SCHED_LATENCY_NS / n;
	return s < SCHED_MIN_GRAN_NS ? SCHED_MIN_GRAN_NS : s;
}
