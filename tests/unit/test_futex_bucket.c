// SOURCES: kernel/futex/bucket.c
/* Futex hash buckets: key hashing spreads keys and separates private from
 * shared; chains keep RT priority then FIFO order; wake honours bitsets, the
 * count (0 still wakes one) and refuses PI waiters; requeue moves waiters
 * between buckets and keys and keeps the waiter counts right. */
#include "test.h"
#include <skiff/errno.h>
#include <string.h>
#include "../../kernel/futex/futex.h"

static struct futex_bucket hb[3];
static struct futex_q qs[16];
static struct futex_q *woken[16];
static int nwoken;
static struct list_head wakeq = LIST_HEAD_INIT(wakeq);

/* What futex_wake_up_list does, minus the scheduler: collect the marked
 * waiters in order and check each was marked woken and dequeued. */
static void drain(void)
{
	while (!list_empty(&wakeq)) {
		struct futex_q *q = list_first_entry(&wakeq, struct futex_q, link);
		CHECK(q->woken == 1 && q->hb == NULL);
		list_del(&q->link);
		woken[nwoken++] = q;
	}
}

static struct futex_key key(u64 a, u64 b, bool shared)
{
	struct futex_key k = { { a, b }, shared };
	return k;
}

static struct futex_q *mkq(int i, struct futex_key k, u32 bitset, int prio)
{
	struct futex_q *q = &qs[i];
	memset(q, 0, sizeof(*q));
	list_init(&q->link);
	list_init(&q->pi_link);
	q->key = k;
	q->bitset = bitset;
	q->prio = prio;
	return q;
}

/* Queue as futex_q_lock + futex_queue do: count, lock, queue, unlock. */
static void enqueue(struct futex_bucket *b, struct futex_q *q)
{
	futex_waiters_inc(b);
	spin_lock(&b->lock);
	futex_bucket_queue(b, q);
	spin_unlock(&b->lock);
}

static int chain_len(struct futex_bucket *b)
{
	int n = 0;
	struct list_head *p;
	list_for_each(p, &b->chain)
		n++;
	return n;
}

int main(void)
{
	struct futex_key k1 = key(0x1000, 0x7f0000001000, false);
	struct futex_key k2 = key(0x1000, 0x7f0000001004, false);
	struct futex_key k1s = key(0x1000, 0x7f0000001000, true);

	/* Hashing: deterministic, in range, private != shared spread. */
	CHECK_EQ(futex_hash_key(&k1), futex_hash_key(&k1));
	CHECK(futex_hash_key(&k1) < FUTEX_HASH_SIZE);
	CHECK(!futex_key_eq(&k1, &k1s));
	CHECK(!futex_key_eq(&k1, &k2));
	{
		/* 4096 consecutive words of one mm: no bucket gets more than 16. */
		static int count[FUTEX_HASH_SIZE];
		int max = 0;
		for (u64 i = 0; i < 4096; i++) {
			struct futex_key k = key(0xffff888000123440ull, 0x7f0000000000ull + 4 * i, false);
			u32 h = futex_hash_key(&k);
			if (++count[h] > max)
				max = count[h];
		}
		CHECK(max <= 16);
	}

	for (int i = 0; i < 3; i++)
		futex_bucket_init(&hb[i]);

	/* Priority order: RT first (higher first), FIFO within a priority. */
	enqueue(&hb[0], mkq(0, k1, ~0u, 0));
	enqueue(&hb[0], mkq(1, k1, ~0u, 10));
	enqueue(&hb[0], mkq(2, k1, ~0u, 0));
	enqueue(&hb[0], mkq(3, k1, ~0u, 10));
	enqueue(&hb[0], mkq(4, k1, ~0u, 50));
	CHECK_EQ(hb[0].waiters, 5);
	spin_lock(&hb[0].lock);
	CHECK(futex_top_waiter(&hb[0], &k1) == &qs[4]);
	CHECK(futex_top_waiter(&hb[0], &k2) == NULL);
	nwoken = 0;
	CHECK_EQ(futex_wake_matching(&hb[0], &k1, ~0u, 3, &wakeq), 3);
	drain();
	CHECK(woken[0] == &qs[4] && woken[1] == &qs[1] && woken[2] == &qs[3]);
	CHECK_EQ(hb[0].waiters, 2);
	/* nr 0 still wakes one (Linux: ++ret >= nr_wake). */
	CHECK_EQ(futex_wake_matching(&hb[0], &k1, ~0u, 0, &wakeq), 1);
	drain();
	CHECK(woken[3] == &qs[0]);
	CHECK_EQ(futex_wake_matching(&hb[0], &k1, ~0u, -5, &wakeq), 1);
	drain();
	CHECK(woken[4] == &qs[2]);
	CHECK_EQ(futex_wake_matching(&hb[0], &k1, ~0u, 10, &wakeq), 0);
	drain();
	CHECK_EQ(hb[0].waiters, 0);
	CHECK(list_empty(&hb[0].chain));
	spin_unlock(&hb[0].lock);

	/* Bitsets: only intersecting waiters; other keys untouched. */
	enqueue(&hb[0], mkq(0, k1, 0x1, 0));
	enqueue(&hb[0], mkq(1, k1, 0x2, 0));
	enqueue(&hb[0], mkq(2, k2, 0x3, 0));
	enqueue(&hb[0], mkq(3, k1, 0x6, 0));
	spin_lock(&hb[0].lock);
	nwoken = 0;
	CHECK_EQ(futex_wake_matching(&hb[0], &k1, 0x2, 10, &wakeq), 2);
	drain();
	CHECK(woken[0] == &qs[1] && woken[1] == &qs[3]);
	CHECK_EQ(futex_wake_matching(&hb[0], &k1, 0x8, 10, &wakeq), 0);
	drain();
	CHECK_EQ(futex_wake_matching(&hb[0], &k1, ~0u, 10, &wakeq), 1);
	drain();
	CHECK_EQ(chain_len(&hb[0]), 1);
	/* A PI waiter on the key: EINVAL. */
	spin_unlock(&hb[0].lock);
	enqueue(&hb[0], mkq(5, k1, ~0u, 0));
	qs[5].pi_waiter = true;
	spin_lock(&hb[0].lock);
	CHECK_EQ(futex_wake_matching(&hb[0], &k1, ~0u, 1, &wakeq), -EINVAL);
	drain();
	futex_bucket_unqueue(&qs[5]);
	futex_bucket_unqueue(&qs[2]);
	CHECK_EQ(hb[0].waiters, 0);
	spin_unlock(&hb[0].lock);

	/* Requeue across buckets: wake 1, move 2, leave the rest. */
	for (int i = 0; i < 5; i++)
		enqueue(&hb[0], mkq(i, k1, ~0u, 0));
	futex_double_lock(&hb[0], &hb[1]);
	nwoken = 0;
	CHECK_EQ(futex_requeue_matching(&hb[0], &k1, &hb[1], &k2, 1, 2, &wakeq), 3);
	drain();
	CHECK_EQ(nwoken, 1);
	CHECK(woken[0] == &qs[0]);
	CHECK(qs[1].hb == &hb[1] && futex_key_eq(&qs[1].key, &k2));
	CHECK(qs[2].hb == &hb[1] && futex_key_eq(&qs[2].key, &k2));
	CHECK(qs[3].hb == &hb[0] && futex_key_eq(&qs[3].key, &k1));
	CHECK_EQ(hb[0].waiters, 2);
	CHECK_EQ(hb[1].waiters, 2);
	CHECK(futex_top_waiter(&hb[1], &k2) == &qs[1]);
	/* Requeue nothing to wake, all to move (count limited by waiters). */
	CHECK_EQ(futex_requeue_matching(&hb[0], &k1, &hb[1], &k2, 0, 100, &wakeq), 2);
	drain();
	CHECK_EQ(hb[0].waiters, 0);
	CHECK_EQ(hb[1].waiters, 4);
	CHECK(futex_top_waiter(&hb[0], &k1) == NULL);
	/* FIFO kept on the target: 1 2 3 4. */
	{
		struct futex_q *q;
		int order[4], n = 0;
		list_for_each_entry(q, &hb[1].chain, link)
			order[n++] = (int)(q - qs);
		CHECK_EQ(n, 4);
		CHECK(order[0] == 1 && order[1] == 2 && order[2] == 3 && order[3] == 4);
	}
	futex_double_unlock(&hb[0], &hb[1]);

	/* Same bucket, new key: keeps its place; nr_requeue 0 moves none. */
	futex_double_lock(&hb[1], &hb[1]);
	CHECK_EQ(futex_requeue_matching(&hb[1], &k2, &hb[1], &k1, 0, 0, &wakeq), 0);
	drain();
	CHECK_EQ(futex_requeue_matching(&hb[1], &k2, &hb[1], &k1, 0, 2, &wakeq), 2);
	drain();
	CHECK(futex_key_eq(&qs[1].key, &k1) && futex_key_eq(&qs[2].key, &k1));
	CHECK(futex_key_eq(&qs[3].key, &k2));
	CHECK_EQ(hb[1].waiters, 4);
	/* A PI waiter met while requeueing: EINVAL, earlier work kept. */
	qs[4].pi_waiter = true;
	CHECK_EQ(futex_requeue_matching(&hb[1], &k2, &hb[1], &k1, 1, 5, &wakeq), -EINVAL);
	drain();
	CHECK(qs[3].woken == 1);
	futex_double_unlock(&hb[1], &hb[1]);

	TEST_DONE("futex_bucket");
}
