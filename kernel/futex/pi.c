/* Priority-inheritance futexes: FUTEX_LOCK_PI, LOCK_PI2, TRYLOCK_PI,
 * UNLOCK_PI.
 *
 * User word: owner TID | FUTEX_OWNER_DIED | FUTEX_WAITERS. User space takes
 * and releases an uncontended lock with cmpxchg; the kernel is entered only
 * when the word is contended. The first contender sets FUTEX_WAITERS and
 * creates a futex_pi_state naming the owner task; later contenders find it
 * through the top waiter queued on the bucket (futex_q.pi_state) and check
 * that the word is consistent with it (attach_to_pi_state, Linux's table).
 * The state lives while waiters reference it.
 *
 * Priority inheritance: a pi_state's waiters are ordered by their thread's
 * effective priority; an owner runs at the highest top-waiter priority of
 * the states it owns (sched_set_effective_prio), and the change walks on
 * through the state the owner itself is blocked on, and so on along the
 * chain (pi_adjust_chain, at most PI_MAX_DEPTH links). Blocking checks the
 * same chain for a cycle back to the blocker: -EDEADLK.
 *
 * Unlock hands the lock to the top waiter: the word becomes its TID |
 * FUTEX_WAITERS, the state moves to it, and it is woken owning the lock. An
 * exiting owner's states are handed over the same way, but the new owner
 * writes its TID itself (keeping OWNER_DIED), from its own address space.
 *
 * Locking: all pi_state fields, futex_task.pi_owned/blocked_on/state and the
 * PI fields of futex_q are under futex_pi_lock (one lock: PI contention is
 * rare and chains cross buckets), taken inside the bucket lock(s). */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/sched.h>
#include <skiff/task.h>
#include <skiff/uaccess.h>
#include "futex.h"

#define PI_MAX_DEPTH 1024 /* Linux's max_lock_depth */

DEFINE_SPINLOCK(futex_pi_lock);

static int thread_prio(struct task *t)
{
	return READ_ONCE(t->thread->prio);
}

/* Insert q into ps->waiters by q->pi_prio, FIFO within a priority. [p] */
static void pi_insert(struct futex_pi_state *ps, struct futex_q *q)
{
	struct list_head *pos;

	for (pos = ps->waiters.prev; pos != &ps->waiters; pos = pos->prev) {
		struct futex_q *o = list_entry(pos, struct futex_q, pi_link);
		if (o->pi_prio >= q->pi_prio)
			break;
	}
	list_add(&q->pi_link, pos);
}

/* Recompute the boost of ft's task from the states it owns and propagate
 * the change along the chain of owners. [p] held. */
static void pi_adjust_chain(struct futex_task *ft)
{
	for (int depth = 0; ft && depth < PI_MAX_DEPTH; depth++) {
		struct futex_pi_state *ps;
		struct thread *th = ft->task->thread;
		int boost = 0, eff;

		list_for_each_entry(ps, &ft->pi_owned, owner_link) {
			if (!list_empty(&ps->waiters)) {
				struct futex_q *top = list_first_entry(&ps->waiters, struct futex_q, pi_link);
				boost = MAX(boost, top->pi_prio);
			}
		}
		eff = MAX(READ_ONCE(th->rt_prio), boost);
		if (eff == READ_ONCE(th->prio))
			return;
		sched_set_effective_prio(th, boost);
		struct futex_q *q = ft->blocked_on;
		if (!q || !q->pi_state)
			return;
		list_del(&q->pi_link);
		q->pi_prio = eff;
		pi_insert(q->pi_state, q);
		ft = q->pi_state->owner_ft;
	}
}

void futex_pi_state_put(struct futex_pi_state *ps)
{
	assert_held(&futex_pi_lock);
	if (--ps->refs > 0)
		return;
	if (ps->owner_ft) {
		list_del(&ps->owner_link);
		pi_adjust_chain(ps->owner_ft);
	}
	kfree(ps);
}

/* Linux's handle_exit_race: the owner TID in the word names no live task.
 * -EFAULT, -EAGAIN (the word changed: retry) or -ESRCH. */
static int handle_exit_race(u64 uaddr, u32 uval)
{
	u32 uval2;

	if (futex_get_value_locked(&uval2, uaddr))
		return -EFAULT;
	return uval2 != uval ? -EAGAIN : -ESRCH;
}

/* Validate the word against an existing pi_state (Linux's table):
 *   OWNER_DIED set:   no owner and TID 0 -> attach; no owner, TID -> EINVAL;
 *                     owner and TID 0 -> attach (robust hand-over pending)
 *   OWNER_DIED clear: no owner -> EINVAL
 *   otherwise TID must be the owner's -> attach, else EINVAL. */
static int attach_to_pi_state(u64 uaddr, u32 uval, struct futex_pi_state *ps,
			      struct futex_pi_state **out)
{
	u32 pid = uval & FUTEX_TID_MASK, uval2;
	int ret = -EINVAL;

	if (!ps)
		return -EINVAL; /* a plain waiter on a PI word */
	spin_lock(&futex_pi_lock);
	if (futex_get_value_locked(&uval2, uaddr)) {
		ret = -EFAULT;
		goto out;
	}
	if (uval2 != uval) {
		ret = -EAGAIN;
		goto out;
	}
	if (uval & FUTEX_OWNER_DIED) {
		if (!ps->owner) {
			if (pid)
				goto out;
			goto attach;
		}
		if (!pid)
			goto attach;
	} else if (!ps->owner) {
		goto out;
	}
	if (pid != futex_tid(ps->owner))
		goto out;
attach:
	ps->refs++;
	*out = ps;
	ret = 0;
out:
	spin_unlock(&futex_pi_lock);
	return ret;
}

/* Create a pi_state owned by the task whose TID is in uval. 0 with *out
 * (one reference), -EAGAIN/-EBUSY (retry), -ESRCH, -EFAULT, -ENOMEM. */
int futex_attach_pi_owner(u64 uaddr, u32 uval, const struct futex_key *key,
			  struct futex_pi_state **out)
{
	u32 pid = uval & FUTEX_TID_MASK;
	struct futex_pi_state *ps;
	struct futex_task *ft;
	struct task *p;
	int ret = 0;

	if (!pid)
		return -EAGAIN;
	p = task_get((pid_t)pid);
	if (!p)
		return handle_exit_race(uaddr, uval);
	ft = futex_task_get(p);
	ps = kzalloc(sizeof(*ps));
	if (!ft || !ps) {
		ret = -ENOMEM;
		goto out;
	}
	spin_lock(&futex_pi_lock);
	if (ft->state != FTS_OK) {
		/* Exiting: its PI states are being handed over; wait. */
		ret = ft->state == FTS_DEAD ? handle_exit_race(uaddr, uval) : -EBUSY;
		spin_unlock(&futex_pi_lock);
		goto out;
	}
	list_init(&ps->waiters);
	ps->key = *key;
	ps->owner = p;
	ps->owner_ft = ft;
	ps->refs = 1;
	list_add_tail(&ps->owner_link, &ft->pi_owned);
	*out = ps;
	ps = NULL;
	spin_unlock(&futex_pi_lock);
out:
	if (ps)
		kfree(ps);
	task_put(p);
	return ret;
}

int futex_lock_pi_atomic(u64 uaddr, struct futex_bucket *hb, const struct futex_key *key,
			 struct futex_pi_state **ps, struct task *t, bool set_waiters)
{
	u32 uval, newval, curval, vpid = futex_tid(t);
	struct futex_q *top;

	assert_held(&hb->lock);
	if (futex_get_value_locked(&uval, uaddr))
		return -EFAULT;
	if ((uval & FUTEX_TID_MASK) == vpid)
		return -EDEADLK;
	top = futex_top_waiter(hb, key);
	if (top)
		return attach_to_pi_state(uaddr, uval, top->pi_state, ps);
	if (!(uval & FUTEX_TID_MASK)) {
		/* Free: take it, keeping OWNER_DIED for the robust protocol. */
		newval = (uval & FUTEX_OWNER_DIED) | vpid;
		if (set_waiters)
			newval |= FUTEX_WAITERS;
		if (futex_cmpxchg(uaddr, uval, newval, &curval))
			return -EFAULT;
		return curval == uval ? 1 : -EAGAIN;
	}
	/* Held: tell the owner to come to the kernel to unlock. */
	newval = uval | FUTEX_WAITERS;
	if (futex_cmpxchg(uaddr, uval, newval, &curval))
		return -EFAULT;
	if (curval != uval)
		return -EAGAIN;
	return futex_attach_pi_owner(uaddr, newval, key, ps);
}

int futex_pi_block(struct futex_pi_state *ps, struct futex_q *q)
{
	struct futex_task *o = ps->owner_ft;
	int depth = 0;

	assert_held(&futex_pi_lock);
	while (o) {
		if (o == q->ft || ++depth > PI_MAX_DEPTH)
			return -EDEADLK;
		if (!o->blocked_on || !o->blocked_on->pi_state)
			break;
		o = o->blocked_on->pi_state->owner_ft;
	}
	q->pi_state = ps;
	q->pi_prio = thread_prio(q->task);
	pi_insert(ps, q);
	q->ft->blocked_on = q;
	pi_adjust_chain(ps->owner_ft);
	return 0;
}

void futex_pi_cancel(struct futex_q *q)
{
	struct futex_pi_state *ps = q->pi_state;
	struct futex_task *owner;

	spin_lock(&futex_pi_lock);
	owner = ps->owner_ft;
	list_del(&q->pi_link);
	if (q->ft->blocked_on == q)
		q->ft->blocked_on = NULL;
	q->pi_state = NULL;
	futex_pi_state_put(ps);
	pi_adjust_chain(owner);
	spin_unlock(&futex_pi_lock);
}

/* Give ps to its top waiter q and wake it. q's bucket lock and [p] held;
 * q must not be touched afterwards (it lives on the woken thread's stack). */
static void pi_handover(struct futex_pi_state *ps, struct futex_q *q, bool fixup)
{
	struct futex_task *old = ps->owner_ft, *nft = q->ft;

	if (old)
		list_del(&ps->owner_link);
	list_del(&q->pi_link);
	nft->blocked_on = NULL;
	ps->owner = q->task;
	ps->owner_ft = nft;
	list_add_tail(&ps->owner_link, &nft->pi_owned);
	q->pi_state = NULL;
	q->pi_fixup = fixup;
	futex_bucket_unqueue(q);
	futex_pi_state_put(ps); /* the waiter's reference */
	if (old)
		pi_adjust_chain(old);
	pi_adjust_chain(nft);
	futex_wake_q(q);
}

/* Write the new owner's TID after an exit hand-over, keeping OWNER_DIED. */
static int pi_fixup_word(u64 uaddr, struct task *t)
{
	u32 uval, newval, cur;

	if (get_user_u32(&uval, (const void __user *)uaddr))
		return -EFAULT;
	for (;;) {
		newval = (uval & FUTEX_OWNER_DIED) | futex_tid(t) | FUTEX_WAITERS;
		if (futex_cmpxchg(uaddr, uval, newval, &cur))
			return -EFAULT;
		if (cur == uval)
			return 0;
		uval = cur;
	}
}

int futex_pi_wait(u64 uaddr, struct futex_q *q, const struct futex_timeout *to)
{
	int ret = futex_sleep(q, to);
	struct futex_bucket *hb = futex_q_lock_current(q);

	if (!hb) /* dequeued by a hand-over: we own the lock */
		return q->pi_fixup ? pi_fixup_word(uaddr, q->task) : 0;
	/* Still queued, so not woken: timeout or signal. */
	if (q->pi_state)
		futex_pi_cancel(q);
	futex_bucket_unqueue(q);
	__atomic_store_n(&q->hb, NULL, __ATOMIC_RELEASE);
	spin_unlock(&hb->lock);
	return ret ? ret : -EINTR;
}

/* Contract: FUTEX_LOCK_PI / LOCK_PI2 (trylock false) and TRYLOCK_PI. 0 when
 * the caller owns the lock; -EDEADLK (held by the caller, or a cycle of PI
 * waits), -ESRCH (owner TID names no live thread), -EINVAL (word
 * inconsistent with the kernel state), -EAGAIN (trylock on a held lock),
 * -ETIMEDOUT, -ERESTARTNOINTR (signal: always restarted, as Linux),
 * -EFAULT, -ENOMEM. */
int futex_lock_pi(u64 uaddr, unsigned flags, const struct futex_timeout *to, bool trylock)
{
	struct futex_pi_state *ps = NULL;
	struct futex_bucket *hb;
	struct futex_q q;
	int ret;

	futex_q_init(&q, FUTEX_BITSET_MATCH_ANY);
	q.pi_waiter = true;
	q.ft = futex_task_get(q.task);
	if (!q.ft)
		return -ENOMEM;
retry:
	ret = futex_get_key(uaddr, flags, &q.key);
	if (ret)
		return ret;
retry_private:
	if (futex_fault_in(uaddr, false))
		return -EFAULT;
	hb = futex_q_lock(&q);
	ret = futex_lock_pi_atomic(uaddr, hb, &q.key, &ps, q.task, false);
	if (ret) {
		futex_q_unlock(hb);
		switch (ret) {
		case 1:
			return 0;
		case -EFAULT:
			if (futex_fault_in(uaddr, true))
				return -EFAULT;
			if (!(flags & FLAGS_SHARED))
				goto retry_private;
			goto retry;
		case -EBUSY:
		case -EAGAIN:
			/* The word changed, or its owner is exiting: retry. */
			yield();
			goto retry;
		default:
			return ret;
		}
	}
	spin_lock(&futex_pi_lock);
	if (trylock) {
		/* The lock is held by a live owner: nothing to try. */
		futex_pi_state_put(ps);
		spin_unlock(&futex_pi_lock);
		futex_q_unlock(hb);
		return -EAGAIN;
	}
	ret = futex_pi_block(ps, &q);
	if (ret) {
		futex_pi_state_put(ps);
		spin_unlock(&futex_pi_lock);
		futex_q_unlock(hb);
		return ret;
	}
	spin_unlock(&futex_pi_lock);
	futex_queue(&q, hb);
	ret = futex_pi_wait(uaddr, &q, to);
	return ret == -EINTR ? -ERESTARTNOINTR : ret;
}

/* Contract: FUTEX_UNLOCK_PI. 0; -EPERM (caller is not the owner TID),
 * -EINVAL (word and kernel state disagree), -EFAULT. With waiters the top
 * one becomes the owner: word = its TID | FUTEX_WAITERS. */
int futex_unlock_pi(u64 uaddr, unsigned flags)
{
	struct task *me = current_task();
	u32 uval, curval, vpid = futex_tid(me);
	struct futex_bucket *hb;
	struct futex_key key;
	struct futex_q *top;
	int ret;

retry:
	if (get_user_u32(&uval, (const void __user *)uaddr))
		return -EFAULT;
	if ((uval & FUTEX_TID_MASK) != vpid)
		return -EPERM;
	ret = futex_get_key(uaddr, flags, &key);
	if (ret)
		return ret;
	hb = futex_bucket_of(&key);
	spin_lock(&hb->lock);
	top = futex_top_waiter(hb, &key);
	if (top) {
		struct futex_pi_state *ps = top->pi_state;
		struct futex_q *next;

		ret = -EINVAL;
		if (!ps)
			goto out_unlock;
		spin_lock(&futex_pi_lock);
		if (ps->owner != me || list_empty(&ps->waiters)) {
			spin_unlock(&futex_pi_lock);
			goto out_unlock;
		}
		next = list_first_entry(&ps->waiters, struct futex_q, pi_link);
		if (futex_cmpxchg(uaddr, uval, FUTEX_WAITERS | futex_tid(next->task), &curval)) {
			spin_unlock(&futex_pi_lock);
			spin_unlock(&hb->lock);
			if (futex_fault_in(uaddr, true))
				return -EFAULT;
			goto retry;
		}
		if (curval != uval) {
			spin_unlock(&futex_pi_lock);
			spin_unlock(&hb->lock);
			goto retry;
		}
		pi_handover(ps, next, false);
		spin_unlock(&futex_pi_lock);
		ret = 0;
		goto out_unlock;
	}
	/* No waiters in the kernel: release the word. */
	if (futex_cmpxchg(uaddr, uval, 0, &curval)) {
		spin_unlock(&hb->lock);
		if (futex_fault_in(uaddr, true))
			return -EFAULT;
		goto retry;
	}
	if (curval != uval) {
		spin_unlock(&hb->lock);
		goto retry;
	}
	ret = 0;
out_unlock:
	spin_unlock(&hb->lock);
	return ret;
}

/* Thread exit: hand every PI futex t owns to its top waiter. */
void futex_exit_pi_states(struct task *t)
{
	struct futex_task *ft = futex_task_find(t);

	if (!ft)
		return;
	for (;;) {
		struct futex_pi_state *ps;
		struct futex_bucket *hb;

		spin_lock(&futex_pi_lock);
		if (list_empty(&ft->pi_owned)) {
			spin_unlock(&futex_pi_lock);
			return;
		}
		ps = list_first_entry(&ft->pi_owned, struct futex_pi_state, owner_link);
		ps->refs++;
		spin_unlock(&futex_pi_lock);

		hb = futex_bucket_of(&ps->key);
		spin_lock(&hb->lock);
		spin_lock(&futex_pi_lock);
		if (ps->owner_ft == ft) {
			if (!list_empty(&ps->waiters)) {
				pi_handover(ps, list_first_entry(&ps->waiters, struct futex_q, pi_link), true);
			} else {
				list_del(&ps->owner_link);
				ps->owner = NULL;
				ps->owner_ft = NULL;
				pi_adjust_chain(ft);
			}
		}
		futex_pi_state_put(ps);
		spin_unlock(&futex_pi_lock);
		spin_unlock(&hb->lock);
	}
}
