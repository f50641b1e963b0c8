// SOURCES: kernel/sched/runqueue.c
/* Run-queue policy: RT before fair, RT priority order and FIFO within a
 * priority, fair order by vruntime, weighting by nice, placement of woken
 * threads, wakeup preemption and slices. */
#include "test.h"
#include <string.h>
#include "../../kernel/sched/runqueue.h"

static struct thread th[64];

static struct thread *mk(int i, int prio, u64 vr)
{
	struct thread *t = &th[i];
	memset(t, 0, sizeof(*t));
	t->tid = (u32)i;
	t->prio = prio;
	t->rt_prio = prio;
	t->policy = prio ? SCHED_FIFO : SCHED_OTHER;
	t->vruntime = vr;
	t->weight = NICE_0_WEIGHT;
	list_init(&t->rq_link);
	return t;
}

int main(void)
{
	struct runqueue q;

	runqueue_init(&q);
	CHECK(runqueue_peek(&q) == NULL);

	/* Fair order by vruntime, FIFO among equals. */
	runqueue_enqueue(&q, mk(1, 0, 300), false);
	runqueue_enqueue(&q, mk(2, 0, 100), false);
	runqueue_enqueue(&q, mk(3, 0, 200), false);
	runqueue_enqueue(&q, mk(4, 0, 100), false);
	CHECK_EQ(runqueue_nr(&q), 4);
	u32 order[] = { 2, 4, 3, 1 };
	for (int i = 0; i < 4; i++) {
		struct thread *t = runqueue_peek(&q);
		CHECK_EQ(t->tid, order[i]);
		runqueue_dequeue(&q, t);
	}
	CHECK(runqueue_peek(&q) == NULL);

	/* RT beats fair; higher RT priority first; FIFO within a priority;
	 * head insertion for a preempted RT thread. */
	runqueue_enqueue(&q, mk(10, 0, 0), false);
	runqueue_enqueue(&q, mk(11, 10, 0), false);
	runqueue_enqueue(&q, mk(12, 99, 0), false);
	runqueue_enqueue(&q, mk(13, 10, 0), false);
	runqueue_enqueue(&q, mk(14, 70, 0), false);
	runqueue_enqueue(&q, mk(15, 10, 0), true);
	u32 rt_order[] = { 12, 14, 15, 11, 13, 10 };
	for (int i = 0; i < 6; i++) {
		struct thread *t = runqueue_peek(&q);
		CHECK_EQ(t->tid, rt_order[i]);
		runqueue_dequeue(&q, t);
	}
	CHECK_EQ(q.rt_bitmap[0] | q.rt_bitmap[1], 0);
	CHECK_EQ(runqueue_nr(&q), 0);

	/* Accounting: nice 0 accrues 1:1; nice 5 (weight 335) ~3x faster;
	 * RT accrues no vruntime but does accrue sum_exec. */
	struct thread *a = mk(20, 0, 0), *b = mk(21, 0, 0), *r = mk(22, 5, 0);
	b->weight = nice_to_weight(5);
	CHECK_EQ(b->weight, 335);
	runqueue_account(&q, a, 1000000);
	runqueue_account(&q, b, 1000000);
	runqueue_account(&q, r, 1000000);
	CHECK_EQ(a->vruntime, 1000000);
	CHECK_EQ(b->vruntime, 1000000ull * 1024 / 335);
	CHECK_EQ(r->vruntime, 0);
	CHECK_EQ(r->sum_exec, 1000000);
	CHECK(q.min_vruntime >= 1000000);

	/* Placement: a long sleeper lands half a latency behind min_vruntime;
	 * a new thread exactly at it; a recent one keeps its vruntime. */
	q.min_vruntime = 100000000;
	struct thread *s = mk(23, 0, 5);
	runqueue_place(&q, s, false);
	CHECK_EQ(s->vruntime, 100000000 - SCHED_LATENCY_NS / 2);
	struct thread *n = mk(24, 0, 5);
	runqueue_place(&q, n, true);
	CHECK_EQ(n->vruntime, 100000000);
	struct thread *k = mk(25, 0, 99999999);
	runqueue_place(&q, k, false);
	CHECK_EQ(k->vruntime, 99999999);

	/* Wakeup preemption. */
	struct thread *cur = mk(30, 0, 10000000);
	CHECK(runqueue_should_preempt(cur, mk(31, 0, 10000000 - SCHED_WAKEUP_GRAN_NS - 1)));
	CHECK(!runqueue_should_preempt(cur, mk(32, 0, 10000000 - SCHED_WAKEUP_GRAN_NS)));
	CHECK(runqueue_should_preempt(cur, mk(33, 1, 0)));
	CHECK(!runqueue_should_preempt(mk(34, 50, 0), mk(35, 50, 0)));
	CHECK(!runqueue_should_preempt(mk(36, 50, 0), mk(37, 0, 0)));
	CHECK(runqueue_should_preempt(mk(38, 50, 0), mk(39, 51, 0)));

	/* Slices: latency shared, floor at min granularity; RR 100 ms; FIFO none. */
	runqueue_init(&q);
	CHECK_EQ(runqueue_slice(&q, mk(40, 0, 0)), SCHED_LATENCY_NS);
	runqueue_enqueue(&q, mk(41, 0, 0), false);
	CHECK_EQ(runqueue_slice(&q, mk(42, 0, 0)), SCHED_LATENCY_NS / 2);
	for (int i = 43; i < 60; i++)
		runqueue_enqueue(&q, mk(i, 0, 0), false);
	CHECK_EQ(runqueue_slice(&q, mk(60, 0, 0)), SCHED_MIN_GRAN_NS);
	struct thread *rr = mk(61, 5, 0);
	rr->policy = SCHED_RR;
	CHECK_EQ(runqueue_slice(&q, rr), SCHED_RR_SLICE_NS);
	CHECK_EQ(runqueue_slice(&q, mk(62, 5, 0)), 0);

	TEST_DONE("runqueue");
}
