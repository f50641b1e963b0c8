/* FUTEX_WAIT, FUTEX_WAKE, their BITSET forms and FUTEX_WAKE_OP.
 * Ordering: core.c (A, B, W). */
#include <skiff/errno.h>
#include <skiff/futex.h>
#include <skiff/sched.h>
#include <skiff/task.h>
#include "futex.h"

/* Look up the key, lock its bucket and compare *uaddr with val, with the
 * fault dance of core.c. Returns 0 with *hbp locked (a waiter counted) or
 * -EAGAIN / -EFAULT / -EINVAL with nothing held. */
int futex_wait_setup(u64 uaddr, u32 val, unsigned flags, struct futex_q *q,
		     struct futex_bucket **hbp)
{
	struct futex_bucket *hb;
	u32 uval;
	int ret;

retry:
	ret = futex_get_key(uaddr, flags, &q->key);
	if (ret)
		return ret;
retry_private:
	/* Fault the page in first, so the read under the lock does not (core.c,
	 * Faults). */
	if (futex_fault_in(uaddr, false))
		return -EFAULT;
	hb = futex_q_lock(q);
	if (futex_get_value_locked(&uval, uaddr)) {
		futex_q_unlock(hb);
		if (futex_fault_in(uaddr, false))
			return -EFAULT;
		if (!(flags & FLAGS_SHARED))
			goto retry_private;
		goto retry;
	}
	if (uval != val) {
		futex_q_unlock(hb);
		return -EAGAIN;
	}
	*hbp = hb;
	return 0;
}

/* Contract: wait on uaddr while *uaddr == val until a FUTEX_WAKE whose
 * bitset meets bitset. Returns 0 when woken, -EAGAIN (value differs),
 * -ETIMEDOUT, -ERESTARTSYS (signal, no timeout: the signal code restarts it
 * for SA_RESTART handlers, else EINTR), -ERESTARTNOHAND (signal with a
 * timeout: Linux restarts these through restart_syscall only when no
 * handler ran; with a handler the caller sees EINTR), -EINVAL, -EFAULT. */
int futex_wait(u64 uaddr, unsigned flags, u32 val, const struct futex_timeout *to, u32 bitset)
{
	struct futex_bucket *hb;
	struct futex_q q;
	int ret;

	if (!bitset)
		return -EINVAL;
	futex_q_init(&q, bitset);
	ret = futex_wait_setup(uaddr, val, flags, &q, &hb);
	if (ret)
		return ret;
	futex_queue(&q, hb);
	ret = futex_sleep(&q, to);
	/* Woken (and dequeued by the waker): success, whatever else happened. */
	if (!futex_unqueue(&q))
		return 0;
	if (ret == -ETIMEDOUT)
		return -ETIMEDOUT;
	return to && to->set ? -ERESTARTNOHAND : -ERESTARTSYS;
}

/* Contract: wake up to nr (at least one) waiters on uaddr whose bitset meets
 * bitset. Returns the number woken, -EINVAL (bitset 0, misaligned, a PI
 * waiter on the key), -EFAULT (shared and unmapped). A private wake never
 * touches user memory. */
int futex_wake_key(u64 uaddr, unsigned flags, int nr, u32 bitset)
{
	struct futex_key key;
	struct futex_bucket *hb;
	int ret;

	if (!bitset)
		return -EINVAL;
	ret = futex_get_key(uaddr, flags, &key);
	if (ret)
		return ret;
	hb = futex_bucket_of(&key);
	if (!futex_waiters_pending(hb)) /* B */
		return 0;
	LIST_HEAD(wakeq);
	spin_lock(&hb->lock);
	ret = futex_wake_matching(hb, &key, bitset, nr, &wakeq);
	preempt_disable(); /* no gap between unlock and wakeups: core.c, W */
	spin_unlock(&hb->lock);
	futex_wake_up_list(&wakeq);
	preempt_enable();
	return ret;
}

int futex_wake(u32 *uaddr, bool private_, int nr, u32 bitset)
{
	return futex_wake_key((u64)(uintptr_t)uaddr, private_ ? 0 : FLAGS_SHARED, nr, bitset);
}

/* Apply the WAKE_OP operation to *uaddr atomically. Returns the comparison
 * result (0/1), -EFAULT or -ENOSYS. Bucket locks held. */
static int futex_atomic_op(u32 encoded, u64 uaddr)
{
	u32 old, newval, seen;
	int ret;

	if (futex_get_value_locked(&old, uaddr))
		return -EFAULT;
	for (;;) {
		ret = futex_op_apply(encoded, old, &newval);
		if (ret)
			return ret;
		if (futex_cmpxchg(uaddr, old, newval, &seen))
			return -EFAULT;
		if (seen == old)
			break;
		old = seen;
	}
	/* As Linux: an unknown comparison is reported after the store. */
	return futex_op_cmp(encoded, old);
}

/* Contract: atomically apply op to *uaddr2, wake up to nr_wake waiters on
 * uaddr1 and, if op's comparison held on the old value, up to nr_wake2 on
 * uaddr2. Returns the total woken, -EFAULT, -EINVAL (PI waiter), -ENOSYS
 * (unknown op or comparison). */
int futex_wake_op(u64 uaddr1, unsigned flags, u64 uaddr2, int nr_wake, int nr_wake2, u32 op)
{
	struct futex_key key1, key2;
	struct futex_bucket *hb1, *hb2;
	int ret, op_ret, n;
	LIST_HEAD(wakeq);

retry:
	ret = futex_get_key(uaddr1, flags, &key1);
	if (ret)
		return ret;
	ret = futex_get_key(uaddr2, flags, &key2);
	if (ret)
		return ret;
	hb1 = futex_bucket_of(&key1);
	hb2 = futex_bucket_of(&key2);
retry_private:
	if (futex_fault_in(uaddr2, true))
		return -EFAULT;
	futex_double_lock(hb1, hb2);
	op_ret = futex_atomic_op(op, uaddr2);
	if (op_ret < 0) {
		futex_double_unlock(hb1, hb2);
		if (op_ret != -EFAULT)
			return op_ret;
		if (futex_fault_in(uaddr2, true))
			return -EFAULT;
		if (!(flags & FLAGS_SHARED))
			goto retry_private;
		goto retry;
	}
	ret = futex_wake_matching(hb1, &key1, FUTEX_BITSET_MATCH_ANY, nr_wake, &wakeq);
	if (ret >= 0 && op_ret > 0) {
		n = futex_wake_matching(hb2, &key2, FUTEX_BITSET_MATCH_ANY, nr_wake2, &wakeq);
		ret = n < 0 ? n : ret + n;
	}
	preempt_disable();
	futex_double_unlock(hb1, hb2);
	futex_wake_up_list(&wakeq);
	preempt_enable();
	return ret;
}
