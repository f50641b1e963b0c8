/* Futex hash buckets: key hashing and the bookkeeping of waiters on bucket
 * chains (queue in priority order, wake by bitset, requeue between keys).
 * Pure logic: no user memory, no sleeping, so tests/unit drives it with fake
 * waiters. Every function here runs with the bucket lock(s) held; the
 * callers in waitwake.c / requeue.c take them. */
#include <skiff/errno.h>
#include "futex.h"

/* 64-bit finaliser (splitmix64) over the three key words: the object/mm
 * pointers are 64-byte aligned and addresses 4-byte aligned, so the low bits
 * alone would crowd a few buckets. */
static u64 mix64(u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

u32 futex_hash_key(const struct futex_key *key)
{
	u64 h = mix64(key->word[0] ^ mix64(key->word[1] + key->shared));
	return (u32)(h >> (64 - FUTEX_HASH_BITS));
}

void futex_bucket_init(struct futex_bucket *hb)
{
	hb->waiters = 0;
	spin_init(&hb->lock, "futex_bucket");
	list_init(&hb->chain);
}

void futex_bucket_queue(struct futex_bucket *hb, struct futex_q *q)
{
	struct list_head *pos;

	assert_held(&hb->lock);
	/* Behind every waiter of the same or higher priority. */
	for (pos = hb->chain.prev; pos != &hb->chain; pos = pos->prev) {
		struct futex_q *o = list_entry(pos, struct futex_q, link);
		if (o->prio >= q->prio)
			break;
	}
	list_add(&q->link, pos);
	__atomic_store_n(&q->hb, hb, __ATOMIC_RELEASE);
}

void futex_bucket_unqueue(struct futex_q *q)
{
	struct futex_bucket *hb = q->hb;

	assert_held(&hb->lock);
	list_del(&q->link);
	futex_waiters_dec(hb);
}

struct futex_q *futex_top_waiter(struct futex_bucket *hb, const struct futex_key *key)
{
	struct futex_q *q;

	assert_held(&hb->lock);
	list_for_each_entry(q, &hb->chain, link)
		if (futex_key_eq(&q->key, key))
			return q;
	return NULL;
}

void futex_requeue_q(struct futex_q *q, struct futex_bucket *hb1,
		     struct futex_bucket *hb2, const struct futex_key *key2)
{
	assert_held(&hb1->lock);
	assert_held(&hb2->lock);
	q->key = *key2;
	if (hb1 == hb2)
		return; /* same chain: keeps its place, as Linux does */
	list_del(&q->link);
	futex_waiters_inc(hb2);
	futex_waiters_dec(hb1);
	__atomic_store_n(&q->hb, hb2, __ATOMIC_RELEASE);
	/* futex_bucket_queue republishes hb; its assert wants hb2 held. */
	futex_bucket_queue(hb2, q);
}

void futex_wake_mark(struct futex_q *q, struct list_head *wakeq)
{
	futex_bucket_unqueue(q);
	list_add_tail(&q->link, wakeq);
	__atomic_store_n(&q->woken, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&q->hb, NULL, __ATOMIC_RELEASE); /* core.c, W */
}

int futex_wake_matching(struct futex_bucket *hb, const struct futex_key *key,
			u32 bitset, int nr, struct list_head *wakeq)
{
	struct list_head *pos, *n;
	int woken = 0;

	assert_held(&hb->lock);
	list_for_each_safe(pos, n, &hb->chain) {
		struct futex_q *q = list_entry(pos, struct futex_q, link);

		if (!futex_key_eq(&q->key, key))
			continue;
		if (q->pi_waiter || q->pi_state)
			return -EINVAL;
		if (!(q->bitset & bitset))
			continue;
		futex_wake_mark(q, wakeq);
		if (++woken >= nr)
			break;
	}
	return woken;
}

int futex_requeue_matching(struct futex_bucket *hb1, const struct futex_key *key1,
			   struct futex_bucket *hb2, const struct futex_key *key2,
			   int nr_wake, int nr_requeue, struct list_head *wakeq)
{
	struct list_head *pos, *n;
	int count = 0;

	assert_held(&hb1->lock);
	assert_held(&hb2->lock);
	list_for_each_safe(pos, n, &hb1->chain) {
		struct futex_q *q = list_entry(pos, struct futex_q, link);

		if (count - nr_wake >= nr_requeue)
			break;
		if (!futex_key_eq(&q->key, key1))
			continue;
		if (q->pi_waiter || q->pi_state)
			return -EINVAL;
		if (++count <= nr_wake) {
			futex_wake_mark(q, wakeq);
		} else {
			futex_requeue_q(q, hb1, hb2, key2);
		}
	}
	return count;
}
