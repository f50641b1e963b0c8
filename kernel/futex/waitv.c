/* futex_waitv(2): wait on up to 128 futexes at once (Linux 5.16+), as
 * Linux's futex_wait_multiple: read the whole vector, resolve every key
 * (shared ones may fault), then queue the futexes one by one, each compared
 * under its bucket lock; a mismatch unqueues those already queued (EAGAIN,
 * unless one of them was woken meanwhile: its index wins). Returns the index
 * of a woken futex. The waiters share the thread: any wake ends the sleep.
 * Ordering: core.c. */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include <uapi/time.h>
#include "futex.h"

int futex2_to_flags(u32 f2, unsigned *flags);    /* syscalls.c */

struct waitv_entry {
	u64 uaddr;
	u32 val;
	unsigned flags;
};

/* Dequeue qs[0..n); the highest index that had been woken, or -1. */
static int unqueue_multiple(struct futex_q *qs, unsigned n)
{
	int ret = -1;

	for (unsigned i = 0; i < n; i++)
		if (!futex_unqueue(&qs[i]))
			ret = (int)i;
	return ret;
}

/* Queue all. 0 queued; 1 with *woken when one was woken during setup;
 * -EAGAIN, -EFAULT, -EINVAL with nothing queued. */
static int setup_multiple(struct waitv_entry *w, struct futex_q *qs, unsigned n, int *woken)
{
	bool retry = false;
	u32 uval;
	int ret;

again:
	for (unsigned i = 0; i < n; i++) {
		if (!(w[i].flags & FLAGS_SHARED) && retry)
			continue;
		ret = futex_get_key(w[i].uaddr, w[i].flags, &qs[i].key);
		if (ret)
			return ret;
	}
	for (unsigned i = 0; i < n; i++) {
		struct futex_bucket *hb;

		/* Fault in unlocked first (core.c, Faults). */
		if (futex_fault_in(w[i].uaddr, false)) {
			*woken = unqueue_multiple(qs, i);
			return *woken >= 0 ? 1 : -EFAULT;
		}
		hb = futex_q_lock(&qs[i]);

		ret = futex_get_value_locked(&uval, w[i].uaddr);
		if (!ret && uval == w[i].val) {
			futex_queue(&qs[i], hb);
			continue;
		}
		futex_q_unlock(hb);
		*woken = unqueue_multiple(qs, i);
		if (*woken >= 0)
			return 1;
		if (ret) {
			if (futex_fault_in(w[i].uaddr, false))
				return -EFAULT;
			retry = true;
			goto again;
		}
		return -EAGAIN;
	}
	return 0;
}

long futex_waitv_syscall(u64 uwaiters, u32 nr, u32 flags, u64 utimeout, s32 clockid)
{
	struct futex_timeout to = { 0 }, *tp = NULL;
	struct waitv_entry *w = NULL;
	struct futex_q *qs = NULL;
	size_t qbytes = (size_t)nr * sizeof(struct futex_q);
	unsigned order = 0;
	long ret;
	int woken;

	if (flags)
		return -EINVAL;
	if (!nr || nr > FUTEX_WAITV_MAX || !uwaiters)
		return -EINVAL;
	if (utimeout) {
		s64 ts[2];

		if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC)
			return -EINVAL;
		if (copy_from_user(ts, (const void __user *)utimeout, sizeof(ts)))
			return -EFAULT;
		if (ts[0] < 0 || (u64)ts[1] >= NSEC_PER_SEC)
			return -EINVAL;
		to.set = true;
		to.realtime = clockid == CLOCK_REALTIME;
		to.deadline = (u64)ts[0] >= (u64)INT64_MAX / NSEC_PER_SEC ? (u64)INT64_MAX
			: (u64)ts[0] * NSEC_PER_SEC + (u64)ts[1];
		tp = &to;
	}
	while (((size_t)PAGE_SIZE << order) < qbytes)
		order++;
	w = kmalloc(nr * sizeof(*w));
	qs = alloc_pages(order);
	if (!w || !qs) {
		ret = -ENOMEM;
		goto out;
	}
	for (u32 i = 0; i < nr; i++) {
		struct futex_waitv v;

		if (copy_from_user(&v, (const void __user *)(uwaiters + i * sizeof(v)), sizeof(v))) {
			ret = -EFAULT;
			goto out;
		}
		if (v.__reserved || futex2_to_flags(v.flags, &w[i].flags) || (v.val >> 32)) {
			ret = -EINVAL;
			goto out;
		}
		w[i].uaddr = v.uaddr;
		w[i].val = (u32)v.val;
		futex_q_init(&qs[i], FUTEX_BITSET_MATCH_ANY);
	}
	for (;;) {
		ret = setup_multiple(w, qs, nr, &woken);
		if (ret) {
			if (ret > 0)
				ret = woken;
			goto out;
		}
		int sret = futex_sleep_multi(qs, nr, tp);
		ret = unqueue_multiple(qs, nr);
		if (ret >= 0)
			goto out;
		if (sret == -ETIMEDOUT) {
			ret = -ETIMEDOUT;
			goto out;
		}
		if (sret == -EINTR) {
			ret = -ERESTARTSYS;
			goto out;
		}
		/* spurious: requeue everything */
		for (u32 i = 0; i < nr; i++)
			futex_q_init(&qs[i], FUTEX_BITSET_MATCH_ANY);
	}
out:
	if (qs)
		free_pages(qs, order);
	if (w)
		kfree(w);
	return ret;
}
