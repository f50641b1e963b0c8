/* Binary min-heap of timers (contract in timerqueue.h). Invariant: for every
 * slot i > 0, heap[(i - 1) / 2]->expires <= heap[i]->expires, and
 * heap[i]->idx == i. */
#include <skiff/compiler.h>
#include <skiff/string.h>

#include "timerqueue.h"

void timerqueue_init(struct timerqueue *q, struct timer **storage, u32 cap)
{
	q->heap = storage;
	q->n = 0;
	q->cap = cap;
}

struct timer **timerqueue_replace_storage(struct timerqueue *q, struct timer **storage, u32 new_cap)
{
	struct timer **old = q->heap;

	if (q->n)
		memcpy(storage, old, q->n * sizeof(*storage));
	q->heap = storage;
	q->cap = new_cap;
	return old;
}

static inline void place(struct timerqueue *q, u32 i, struct timer *t)
{
	q->heap[i] = t;
	t->idx = i;
}

/* Move t up from slot i until its parent is not later. */
static void sift_up(struct timerqueue *q, u32 i, struct timer *t)
{
	while (i > 0) {
		u32 parent = (i - 1) / 2;
		if (q->heap[parent]->expires <= t->expires)
			break;
		place(q, i, q->heap[parent]);
		i = parent;
	}
	place(q, i, t);
}

/* Move t down from slot i until no child is earlier. */
static void sift_down(struct timerqueue *q, u32 i, struct timer *t)
{
	for (;;) {
		u32 child = 2 * i + 1;
		if (child >= q->n)
			break;
		if (child + 1 < q->n && q->heap[child + 1]->expires < q->heap[child]->expires)
			child++;
		if (t->expires <= q->heap[child]->expires)
			break;
		place(q, i, q->heap[child]);
		i = child;
	}
	place(q, i, t);
}

void timerqueue_insert(struct timerqueue *q, struct timer *t)
{
	sift_up(q, q->n++, t);
}

/* Fill slot i with the last timer and let it settle either way. */
void timerqueue_remove(struct timerqueue *q, struct timer *t)
{
	u32 i = t->idx;
	struct timer *last = q->heap[--q->n];

	t->idx = TIMERQUEUE_NO_IDX;
	if (last == t)
		return;
	if (i > 0 && last->expires < q->heap[(i - 1) / 2]->expires)
		sift_up(q, i, last);
	else
		sift_down(q, i, last);
}

void timerqueue_update(struct timerqueue *q, struct timer *t)
{
	u32 i = t->idx;

	if (i > 0 && t->expires < q->heap[(i - 1) / 2]->expires)
		sift_up(q, i, t);
	else
		sift_down(q, i, t);
}

struct timer *timerqueue_pop(struct timerqueue *q)
{
	struct timer *t = timerqueue_peek(q);

	if (t)
		timerqueue_remove(q, t);
	return t;
}
