/* Futex self-test (skiff.selftest=futex): the queue/sleep/wake machinery of
 * core.c on real vCPUs, with kernel threads standing in for user waiters
 * (keys made up, no user memory):
 *   - a waiter on CPU 1 woken from CPU 0 (futex_wake_matching + futex_sleep)
 *   - a CLOCK_MONOTONIC deadline expires, not early
 *   - a CLOCK_REALTIME deadline follows clock_set_realtime(): moving the wall
 *     clock past it ends the wait at once, moving it back keeps the waiter
 *     asleep. The wall clock is restored afterwards. */
#include <skiff/errno.h>
#include <skiff/printk.h>
#include <skiff/sched.h>
#include <skiff/selftest.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include "futex.h"

struct st_waiter {
	struct futex_key key;
	struct futex_timeout to;
	u32 queued;         /* [a] */
	int sleep_ret;
	int unqueued;       /* futex_unqueue(): 1 still queued, 0 woken */
	u64 elapsed;
};

static void st_q_init(struct futex_q *q, const struct futex_key *key)
{
	memset(q, 0, sizeof(*q));
	list_init(&q->link);
	list_init(&q->pi_link);
	q->thread = current;
	q->bitset = FUTEX_BITSET_MATCH_ANY;
	q->key = *key;
}

static int st_waiter_fn(void *arg)
{
	struct st_waiter *w = arg;
	struct futex_q q;
	struct futex_bucket *hb;
	u64 t0 = clock_monotonic_ns();

	st_q_init(&q, &w->key);
	hb = futex_q_lock(&q);
	futex_queue(&q, hb);
	__atomic_store_n(&w->queued, 1, __ATOMIC_RELEASE);
	w->sleep_ret = futex_sleep(&q, w->to.set ? &w->to : NULL);
	w->unqueued = futex_unqueue(&q);
	w->elapsed = clock_monotonic_ns() - t0;
	return 0;
}

static struct thread *st_start(struct st_waiter *w, u64 id, int cpu)
{
	w->key = (struct futex_key){ { 0x5e1f7e57ull, id }, 0 };
	w->queued = 0;
	w->elapsed = 0;
	struct thread *t = kthread_create(st_waiter_fn, w, "futex-st", cpu);
	if (!t)
		return NULL;
	while (!__atomic_load_n(&w->queued, __ATOMIC_ACQUIRE))
		yield();
	return t;
}

static int st_wake(struct st_waiter *w)
{
	struct futex_bucket *hb = futex_bucket_of(&w->key);
	LIST_HEAD(wakeq);
	int n;

	spin_lock(&hb->lock);
	n = futex_wake_matching(hb, &w->key, FUTEX_BITSET_MATCH_ANY, 1, &wakeq);
	preempt_disable();
	spin_unlock(&hb->lock);
	futex_wake_up_list(&wakeq);
	preempt_enable();
	return n;
}

#define FAIL(...) do { pr_info("futex selftest: " __VA_ARGS__); return -1; } while (0)

static int test_futex(void)
{
	struct st_waiter w = { 0 };
	struct thread *t;
	int cpu1 = nr_cpus_online > 1 ? 1 : 0;

	/* 1. Cross-CPU wake of an untimed waiter. */
	t = st_start(&w, 1, cpu1);
	if (!t)
		FAIL("no memory");
	sleep_ns(5 * NSEC_PER_MSEC);
	if (st_wake(&w) != 1)
		FAIL("wake did not find the waiter");
	kthread_join(t);
	if (w.sleep_ret != 0 || w.unqueued != 0)
		FAIL("woken waiter: sleep %d unqueue %d", w.sleep_ret, w.unqueued);
	if (st_wake(&w) != 0)
		FAIL("second wake found someone");

	/* 2. Monotonic deadline. */
	w.to = (struct futex_timeout){ true, false, clock_monotonic_ns() + 20 * NSEC_PER_MSEC };
	t = st_start(&w, 2, cpu1);
	if (!t)
		FAIL("no memory");
	kthread_join(t);
	if (w.sleep_ret != -ETIMEDOUT || w.unqueued != 1)
		FAIL("monotonic timeout: sleep %d unqueue %d", w.sleep_ret, w.unqueued);
	if (clock_monotonic_ns() < w.to.deadline)
		FAIL("monotonic timeout early");

	/* 3. Realtime deadline and clock_set_realtime. */
	s64 offset = (s64)(clock_realtime_ns() - clock_monotonic_ns());
	u64 rt = clock_realtime_ns();
	int ret = 0;

	w.to = (struct futex_timeout){ true, true, rt + 10 * NSEC_PER_SEC };
	t = st_start(&w, 3, cpu1);
	if (!t)
		FAIL("no memory");
	sleep_ns(5 * NSEC_PER_MSEC);
	clock_set_realtime(rt + 20 * NSEC_PER_SEC); /* jump past the deadline */
	kthread_join(t);
	clock_set_realtime(clock_monotonic_ns() + (u64)offset);
	if (w.sleep_ret != -ETIMEDOUT || w.elapsed > 2 * NSEC_PER_SEC) {
		pr_info("futex selftest: realtime jump forward: sleep %d after %llu ms",
			w.sleep_ret, (unsigned long long)(w.elapsed / NSEC_PER_MSEC));
		ret = -1;
	}

	rt = clock_realtime_ns();
	w.to = (struct futex_timeout){ true, true, rt + 30 * NSEC_PER_MSEC };
	t = st_start(&w, 4, cpu1);
	if (!t)
		FAIL("no memory");
	clock_set_realtime(rt - 3600 * NSEC_PER_SEC); /* an hour back */
	sleep_ns(100 * NSEC_PER_MSEC);
	bool still = READ_ONCE(w.elapsed) == 0;
	clock_set_realtime(clock_monotonic_ns() + (u64)offset);
	kthread_join(t);
	if (!still || w.sleep_ret != -ETIMEDOUT) {
		pr_info("futex selftest: realtime jump back: still waiting %d, sleep %d",
			still, w.sleep_ret);
		ret = -1;
	}
	return ret;
}
SELFTEST(futex, test_futex);
