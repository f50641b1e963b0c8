// SOURCES: kernel/time/timerqueue.c
/* The timer heap against a reference model: random insert / remove /
 * re-key / pop-min sequences with many equal expiries, growth from a
 * one-slot array, and the heap invariant checked after every operation. */
#include <string.h>

#include "../../kernel/time/timerqueue.h"
#include "test.h"

#define NTIMERS 512
#define NOPS 200000

static struct timer timers[NTIMERS], extra[7];
static bool in_queue[NTIMERS]; /* reference model: membership */
static unsigned nqueued;

static u64 rng_state = 0x9e3779b97f4a7c15ull;
static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void noop(struct timer *t) { (void)t; }

/* Heap order, back-pointers, and agreement with the model. */
static void check_heap(const struct timerqueue *q)
{
	CHECK_EQ(q->n, nqueued);
	CHECK(q->n <= q->cap);
	for (u32 i = 0; i < q->n; i++) {
		CHECK_EQ(q->heap[i]->idx, i);
		CHECK(in_queue[q->heap[i] - timers]);
		if (i > 0)
			CHECK(q->heap[(i - 1) / 2]->expires <= q->heap[i]->expires);
	}
	for (unsigned i = 0; i < NTIMERS; i++)
		CHECK(timerqueue_contains(q, &timers[i]) == in_queue[i]);
}

static u64 model_min(void)
{
	u64 m = ~0ull;
	for (unsigned i = 0; i < NTIMERS; i++)
		if (in_queue[i] && timers[i].expires < m)
			m = timers[i].expires;
	return m;
}

static void grow_if_full(struct timerqueue *q)
{
	if (!timerqueue_full(q))
		return;
	u32 cap = q->cap ? q->cap * 2 : 1;
	struct timer **s = malloc(cap * sizeof(*s));
	free(timerqueue_replace_storage(q, s, cap));
}

static void random_ops(struct timerqueue *q, u64 key_range, unsigned nops)
{
	/* Alternate phases that fill the queue towards NTIMERS and that drain
	 * it, so every heap depth is exercised. */
	static const u8 grow_mix[10] = { 0, 0, 0, 0, 0, 1, 2, 3, 3, 3 };
	static const u8 shrink_mix[10] = { 0, 1, 1, 1, 2, 2, 3, 3, 3, 3 };

	for (unsigned op = 0; op < nops; op++) {
		unsigned i = (unsigned)(rnd() % NTIMERS);
		const u8 *mix = (op / 3000) % 2 ? shrink_mix : grow_mix;
		switch (mix[rnd() % 10]) {
		case 0: /* insert, if idle */
			if (!in_queue[i]) {
				grow_if_full(q);
				timers[i].expires = rnd() % key_range;
				timerqueue_insert(q, &timers[i]);
				in_queue[i] = true;
				nqueued++;
			}
			break;
		case 1: /* remove an arbitrary one, if queued */
			if (in_queue[i]) {
				timerqueue_remove(q, &timers[i]);
				CHECK_EQ(timers[i].idx, TIMERQUEUE_NO_IDX);
				in_queue[i] = false;
				nqueued--;
			}
			break;
		case 2: { /* pop the minimum */
			u64 m = model_min();
			struct timer *t = timerqueue_pop(q);
			if (nqueued == 0) {
				CHECK(t == NULL);
				break;
			}
			CHECK(t != NULL);
			if (!t)
				break;
			CHECK_EQ(t->expires, m);
			CHECK(in_queue[t - timers]);
			in_queue[t - timers] = false;
			nqueued--;
			break;
		}
		case 3: /* change the expiry of a queued one */
			if (in_queue[i]) {
				timers[i].expires = rnd() % key_range;
				timerqueue_update(q, &timers[i]);
			}
			break;
		}
		if (op % 16 == 0 || nqueued < 8)
			check_heap(q);
		if (timerqueue_peek(q))
			CHECK_EQ(timerqueue_peek(q)->expires, model_min());
	}
	check_heap(q);
}

/* Drain: pops come out in non-decreasing order and empty the model. */
static void drain(struct timerqueue *q)
{
	u64 prev = 0;
	struct timer *t;

	while ((t = timerqueue_pop(q))) {
		CHECK(t->expires >= prev);
		prev = t->expires;
		CHECK(in_queue[t - timers]);
		in_queue[t - timers] = false;
		nqueued--;
	}
	CHECK_EQ(nqueued, 0);
	CHECK(timerqueue_empty(q));
	CHECK(timerqueue_peek(q) == NULL);
}

int main(void)
{
	struct timerqueue q;

	for (unsigned i = 0; i < NTIMERS; i++) {
		timers[i].fn = noop;
		timers[i].cpu = -1;
		timers[i].idx = TIMERQUEUE_NO_IDX;
	}
	timerqueue_init(&q, NULL, 0);
	CHECK(timerqueue_pop(&q) == NULL);

	/* Heavy ties (8 distinct keys), then a wide key range, then ties again. */
	random_ops(&q, 8, NOPS);
	drain(&q);
	random_ops(&q, 1ull << 62, NOPS);
	drain(&q);
	random_ops(&q, 2, NOPS / 4);

	/* Fill every timer with the same key: growth and total ties. */
	for (unsigned i = 0; i < NTIMERS; i++)
		if (!in_queue[i]) {
			grow_if_full(&q);
			timers[i].expires = 5;
			timerqueue_insert(&q, &timers[i]);
			in_queue[i] = true;
			nqueued++;
		}
	check_heap(&q);
	CHECK(q.cap >= NTIMERS);
	/* Removal that must sift the last element up: heap [1 10 2 11 12 3 4],
	 * remove 11 (slot 3); 4 moves into slot 3 below 10. */
	static const u64 keys[] = { 1, 10, 2, 11, 12, 3, 4 };
	struct timerqueue small;
	timerqueue_init(&small, malloc(8 * sizeof(struct timer *)), 8);
	for (unsigned i = 0; i < 7; i++) {
		extra[i].expires = keys[i];
		timerqueue_insert(&small, &extra[i]);
		CHECK_EQ(extra[i].idx, i);
	}
	timerqueue_remove(&small, &extra[3]);
	CHECK_EQ(extra[6].idx, 1);
	CHECK_EQ(extra[1].idx, 3);
	/* Re-key 12 (now slot 4) below everything: it must rise to the root. */
	extra[4].expires = 0;
	timerqueue_update(&small, &extra[4]);
	CHECK(timerqueue_peek(&small) == &extra[4]);
	/* Re-key the root above everything: it must sink. */
	extra[4].expires = 100;
	timerqueue_update(&small, &extra[4]);
	CHECK(timerqueue_peek(&small) == &extra[0]);
	u64 expect[] = { 1, 2, 3, 4, 10, 100 };
	for (unsigned i = 0; i < 6; i++) {
		struct timer *t = timerqueue_pop(&small);
		CHECK(t && t->expires == expect[i]);
		CHECK(t && t->idx == TIMERQUEUE_NO_IDX);
	}
	CHECK(timerqueue_pop(&small) == NULL);
	free(small.heap);

	/* Remove from the middle, the end and the root. */
	struct timer *mid = q.heap[q.n / 2], *end = q.heap[q.n - 1], *root = q.heap[0];
	timerqueue_remove(&q, mid);
	in_queue[mid - timers] = false;
	timerqueue_remove(&q, end);
	in_queue[end - timers] = false;
	timerqueue_remove(&q, root);
	in_queue[root - timers] = false;
	nqueued -= 3;
	check_heap(&q);
	drain(&q);

	/* Decreasing inserts: each becomes the new minimum. */
	for (unsigned i = 0; i < NTIMERS; i++) {
		grow_if_full(&q);
		timers[i].expires = NTIMERS - i;
		timerqueue_insert(&q, &timers[i]);
		in_queue[i] = true;
		nqueued++;
		CHECK(timerqueue_peek(&q) == &timers[i]);
	}
	check_heap(&q);
	drain(&q);

	free(q.heap);
	TEST_DONE("timerqueue");
}
