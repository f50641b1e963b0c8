/* FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, and the PI pair FUTEX_WAIT_REQUEUE_PI /
 * FUTEX_CMP_REQUEUE_PI (condition variables over PI mutexes: waiters sleep
 * on the condvar word and are moved onto the PI mutex without waking).
 *
 * Requeue-PI: the requeuer first tries to take the PI futex uaddr2 on
 * behalf of the top waiter (futex_lock_pi_atomic with that waiter's TID);
 * if that works the waiter is dequeued and woken owning the lock
 * (RQ_LOCKED). Every further waiter moved becomes a PI waiter of uaddr2's
 * pi_state, queued on uaddr2's bucket (RQ_DONE), and is woken later by
 * UNLOCK_PI's hand-over. A waiter that times out or takes a signal first
 * finds, under its current bucket lock, where it is and backs out.
 * Ordering: core.c. */
#include <skiff/errno.h>
#include <skiff/sched.h>
#include <skiff/task.h>
#include <skiff/uaccess.h>
#include "futex.h"

/* Take uaddr2 for the top waiter on key1 if it is free. Returns its TID (>0)
 * when acquired (the waiter is woken), 0 (no waiter, or the lock is held:
 * *ps set with a reference), or -errno. Both bucket locks held. */
static int proxy_trylock(u64 uaddr2, struct futex_bucket *hb1, struct futex_bucket *hb2,
			 const struct futex_key *key1, const struct futex_key *key2,
			 struct futex_pi_state **ps, bool set_waiters)
{
	struct futex_q *top;
	u32 uval;
	int ret, vpid;

	if (futex_get_value_locked(&uval, uaddr2))
		return -EFAULT;
	top = futex_top_waiter(hb1, key1);
	if (!top)
		return 0;
	if (!top->requeue_pi_key || top->pi_state)
		return -EINVAL;
	if (!futex_key_eq(top->requeue_pi_key, key2))
		return -EINVAL;
	vpid = (int)futex_tid(top->task);
	ret = futex_lock_pi_atomic(uaddr2, hb2, key2, ps, top->task, set_waiters);
	if (ret == 1) {
		top->requeue_state = RQ_LOCKED;
		futex_bucket_unqueue(top);
		futex_wake_q(top);
		return vpid;
	}
	return ret;
}

/* Contract: wake up to nr_wake waiters of uaddr1 and move up to nr_requeue
 * more to uaddr2; with cmpval, only if *uaddr1 == *cmpval (else -EAGAIN,
 * checked under the bucket lock). Returns woken + moved; -EINVAL (negative
 * counts, a PI waiter met, and for requeue_pi: nr_wake != 1, uaddr1 ==
 * uaddr2, a waiter that did not WAIT_REQUEUE_PI on uaddr2), -EFAULT,
 * -EDEADLK (requeue_pi: moving a waiter would close a PI cycle). */
int futex_requeue(u64 uaddr1, unsigned flags, u64 uaddr2, unsigned flags2, int nr_wake,
		  int nr_requeue, const u32 *cmpval, bool requeue_pi)
{
	struct futex_pi_state *ps = NULL;
	struct futex_key key1, key2;
	struct futex_bucket *hb1, *hb2;
	struct list_head *pos, *n;
	int ret, count = 0;
	u32 curval;
	LIST_HEAD(wakeq);

	if (nr_wake < 0 || nr_requeue < 0)
		return -EINVAL;
	if (requeue_pi && (uaddr1 == uaddr2 || nr_wake != 1))
		return -EINVAL;
retry:
	ret = futex_get_key(uaddr1, flags, &key1);
	if (ret)
		return ret;
	ret = futex_get_key(uaddr2, flags2, &key2);
	if (ret)
		return ret;
	if (requeue_pi && futex_key_eq(&key1, &key2))
		return -EINVAL;
	hb1 = futex_bucket_of(&key1);
	hb2 = futex_bucket_of(&key2);
retry_private:
	if (cmpval && futex_fault_in(uaddr1, false))
		return -EFAULT;
	futex_waiters_inc(hb2);
	futex_double_lock(hb1, hb2);
	if (cmpval) {
		if (futex_get_value_locked(&curval, uaddr1)) {
			futex_double_unlock(hb1, hb2);
			futex_waiters_dec(hb2);
			if (get_user_u32(&curval, (const void __user *)uaddr1))
				return -EFAULT;
			if (!(flags & FLAGS_SHARED))
				goto retry_private;
			goto retry;
		}
		if (curval != *cmpval) {
			ret = -EAGAIN;
			goto out_unlock;
		}
	}
	if (!requeue_pi) {
		ret = futex_requeue_matching(hb1, &key1, hb2, &key2, nr_wake, nr_requeue,
					     &wakeq);
		goto out_unlock;
	}

	ret = proxy_trylock(uaddr2, hb1, hb2, &key1, &key2, &ps, nr_requeue > 0);
	if (ret > 0) {
		/* The top waiter owns uaddr2 now; waiters moved behind it need
		 * a pi_state naming it (it is alive: it sleeps or spins on our
		 * bucket lock). */
		count = 1;
		if (futex_attach_pi_owner(uaddr2, (u32)ret, &key2, &ps))
			goto out_unlock;
		ret = 0;
	}
	switch (ret) {
	case 0:
		break;
	case -EFAULT:
		futex_double_unlock(hb1, hb2);
		futex_waiters_dec(hb2);
		if (futex_fault_in(uaddr2, true))
			return -EFAULT;
		goto retry;
	case -EBUSY:
	case -EAGAIN:
		futex_double_unlock(hb1, hb2);
		futex_waiters_dec(hb2);
		yield();
		goto retry;
	default:
		goto out_unlock;
	}

	list_for_each_safe(pos, n, &hb1->chain) {
		struct futex_q *q = list_entry(pos, struct futex_q, link);

		if (count - nr_wake >= nr_requeue)
			break;
		if (!futex_key_eq(&q->key, &key1))
			continue;
		if (!q->requeue_pi_key || q->pi_state || !futex_key_eq(q->requeue_pi_key, &key2)) {
			ret = -EINVAL;
			break;
		}
		if (!ps)
			break; /* cannot happen: proxy_trylock saw this waiter */
		spin_lock(&futex_pi_lock);
		ps->refs++;
		ret = futex_pi_block(ps, q);
		if (ret) {
			futex_pi_state_put(ps);
			spin_unlock(&futex_pi_lock);
			break;
		}
		spin_unlock(&futex_pi_lock);
		futex_requeue_q(q, hb1, hb2, &key2);
		q->requeue_state = RQ_DONE;
		count++;
	}
	if (ps) {
		spin_lock(&futex_pi_lock);
		futex_pi_state_put(ps);
		spin_unlock(&futex_pi_lock);
	}
out_unlock:
	preempt_disable(); /* core.c, W */
	futex_double_unlock(hb1, hb2);
	futex_wake_up_list(&wakeq);
	preempt_enable();
	futex_waiters_dec(hb2);
	if (ret < 0)
		return ret;
	return requeue_pi ? count : ret;
}

/* Contract: FUTEX_WAIT_REQUEUE_PI. Wait on uaddr (while *uaddr == val) to
 * be requeued by CMP_REQUEUE_PI onto the PI futex uaddr2 and to own it.
 * Returns 0 owning uaddr2; -EINVAL (uaddr == uaddr2, bitset 0), -EAGAIN
 * (value differs; or a signal after the requeue), -ETIMEDOUT,
 * -ERESTARTNOINTR (signal before the requeue), -EFAULT, -ENOMEM. */
int futex_wait_requeue_pi(u64 uaddr, unsigned flags, u32 val,
			  const struct futex_timeout *to, u32 bitset, u64 uaddr2)
{
	struct futex_key key2;
	struct futex_bucket *hb;
	struct futex_q q;
	int ret;

	if (uaddr == uaddr2 || !bitset)
		return -EINVAL;
	futex_q_init(&q, bitset);
	q.ft = futex_task_get(q.task);
	if (!q.ft)
		return -ENOMEM;
	ret = futex_get_key(uaddr2, flags, &key2);
	if (ret)
		return ret;
	q.pi_waiter = true;
	q.requeue_pi_key = &key2;
	ret = futex_wait_setup(uaddr, val, flags, &q, &hb);
	if (ret)
		return ret;
	if (futex_key_eq(&q.key, &key2)) {
		futex_q_unlock(hb);
		return -EINVAL;
	}
	futex_queue(&q, hb);
	ret = futex_sleep(&q, to);

	hb = futex_q_lock_current(&q);
	if (!hb) {
		/* Dequeued by the requeuer (acquired for us) or by UNLOCK_PI's
		 * hand-over after the requeue: we own uaddr2. */
		if (q.pi_fixup) {
			u32 uval, cur;

			if (get_user_u32(&uval, (const void __user *)uaddr2))
				return -EFAULT;
			for (;;) {
				u32 nv = (uval & FUTEX_OWNER_DIED) | futex_tid(q.task) | FUTEX_WAITERS;
				if (futex_cmpxchg(uaddr2, uval, nv, &cur))
					return -EFAULT;
				if (cur == uval)
					break;
				uval = cur;
			}
		}
		return 0;
	}
	if (q.requeue_state == RQ_DONE) {
		/* Requeued, then gave up waiting for the PI lock. */
		if (q.pi_state)
			futex_pi_cancel(&q);
		futex_bucket_unqueue(&q);
		__atomic_store_n(&q.hb, NULL, __ATOMIC_RELEASE);
		spin_unlock(&hb->lock);
		return ret == -ETIMEDOUT ? -ETIMEDOUT : -EAGAIN;
	}
	/* Early wakeup: still on uaddr. */
	futex_bucket_unqueue(&q);
	__atomic_store_n(&q.hb, NULL, __ATOMIC_RELEASE);
	spin_unlock(&hb->lock);
	if (ret == -ETIMEDOUT)
		return -ETIMEDOUT;
	return ret == -EINTR ? -ERESTARTNOINTR : -EAGAIN;
}
