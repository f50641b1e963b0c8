/* Timer queue: a binary min-heap of struct timer * ordered by ->expires,
 * intrusive through ->idx (each timer knows its slot, so removal of an
 * arbitrary timer is O(log n)). Pure data structure: no locking (the owner,
 * kernel/time/timer.c, holds its queue lock around every call), no
 * allocation (the owner supplies and grows the array), no arch. Timers with
 * equal expiry come out in no particular order. */
#ifndef KERNEL_TIME_TIMERQUEUE_H
#define KERNEL_TIME_TIMERQUEUE_H

#include <skiff/timer.h>

struct timerqueue {
	struct timer **heap; /* heap[0] is the earliest */
	u32 n;               /* timers queued */
	u32 cap;             /* slots in heap */
};

#define TIMERQUEUE_NO_IDX 0xffffffffu

/* Start empty on the caller's array of cap slots (may be NULL with cap 0). */
void timerqueue_init(struct timerqueue *q, struct timer **storage, u32 cap);
/* Move the queue onto a larger array (new_cap > q->n). Returns the old
 * array for the caller to free. */
struct timer **timerqueue_replace_storage(struct timerqueue *q, struct timer **storage, u32 new_cap);

static inline bool timerqueue_full(const struct timerqueue *q) { return q->n == q->cap; }
static inline bool timerqueue_empty(const struct timerqueue *q) { return q->n == 0; }
static inline struct timer *timerqueue_peek(const struct timerqueue *q)
{
	return q->n ? q->heap[0] : NULL;
}
/* Is t in q (rather than in another queue, or in none)? */
static inline bool timerqueue_contains(const struct timerqueue *q, const struct timer *t)
{
	return t->idx < q->n && q->heap[t->idx] == t;
}

/* Add t (not in any queue; q not full). Sets t->idx. */
void timerqueue_insert(struct timerqueue *q, struct timer *t);
/* Remove t, which must be in q. Sets t->idx to TIMERQUEUE_NO_IDX. */
void timerqueue_remove(struct timerqueue *q, struct timer *t);
/* Restore order after t->expires changed while t is in q. */
void timerqueue_update(struct timerqueue *q, struct timer *t);
/* Remove and return the earliest timer, or NULL when empty. */
struct timer *timerqueue_pop(struct timerqueue *q);

#endif
