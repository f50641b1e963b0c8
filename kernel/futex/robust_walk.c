/* The exit-time robust list walk (set_robust_list(2), Linux's
 * exit_robust_list / handle_futex_death), over an accessor interface so that
 * tests/unit/test_futex_robust.c can run it against fake user memory.
 *
 * The list is user memory the dying thread may have corrupted: every read
 * can fail (the walk stops), it can be cyclic (ROBUST_LIST_LIMIT entries at
 * most), and list_op_pending (a lock being taken or released when the thread
 * died) is handled last, once. Bit 0 of each pointer marks a PI futex. */
#include <skiff/errno.h>
#include "futex.h"

static int fetch_entry(const struct robust_ops *ops, void *ctx, u64 uptr,
		       u64 *entry, bool *pi)
{
	u64 v;

	if (ops->get_u64(ctx, uptr, &v))
		return -EFAULT;
	*entry = v & ~1ull;
	*pi = v & 1;
	return 0;
}

int robust_handle_death(const struct robust_ops *ops, void *ctx, u64 uaddr, u32 tid,
			bool pi, bool pending_op)
{
	u32 uval, nval, mval;

	if (uaddr & 3)
		return -1;
	for (;;) {
		if (ops->get_u32(ctx, uaddr, &uval))
			return -1;
		/* A pending non-PI op on a free word: the thread died between
		 * releasing the word and waking a waiter (or a woken waiter died
		 * before taking it). Wake one without touching the word. */
		if (pending_op && !pi && !(uval & FUTEX_TID_MASK)) {
			ops->wake_one(ctx, uaddr);
			return 0;
		}
		if ((uval & FUTEX_TID_MASK) != tid)
			return 0;
		mval = (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		if (ops->cmpxchg_u32(ctx, uaddr, uval, mval, &nval))
			return -1;
		if (nval == uval)
			break;
		/* The word changed under us (a waiter set FUTEX_WAITERS): redo. */
	}
	/* PI futexes are handed over by the PI state clean-up instead. */
	if (!pi && (uval & FUTEX_WAITERS))
		ops->wake_one(ctx, uaddr);
	return 0;
}

int robust_list_walk(const struct robust_ops *ops, void *ctx, u64 head, u32 tid)
{
	u64 entry, next_entry = 0, pending, off_raw;
	bool pi, next_pi = false, pip;
	s64 futex_offset;
	unsigned limit = ROBUST_LIST_LIMIT;
	int visited = 0;

	if (fetch_entry(ops, ctx, head + offsetof(struct robust_list_head, list), &entry, &pi))
		return 0;
	if (ops->get_u64(ctx, head + offsetof(struct robust_list_head, futex_offset), &off_raw))
		return 0;
	futex_offset = (s64)off_raw;
	if (fetch_entry(ops, ctx, head + offsetof(struct robust_list_head, list_op_pending),
			&pending, &pip))
		return 0;

	while (entry != head) {
		/* Fetch the next entry before the word may be released. */
		int rc = fetch_entry(ops, ctx, entry, &next_entry, &next_pi);

		visited++;
		if (entry != pending &&
		    robust_handle_death(ops, ctx, entry + (u64)futex_offset, tid, pi, false))
			return visited;
		if (rc)
			return visited;
		entry = next_entry;
		pi = next_pi;
		if (!--limit)
			break;
	}
	if (pending)
		robust_handle_death(ops, ctx, pending + (u64)futex_offset, tid, pip, true);
	return visited;
}
