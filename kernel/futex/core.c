/* Futex core: keys, the hash table, queueing and sleeping.
 *
 * Design (Linux's kernel/futex, rewritten for Skiff)
 *   A futex is named by a key: (address space, user address) for
 *   FUTEX_PRIVATE_FLAG futexes, (backing object, offset) from mm's
 *   vm_futex_key() for shared ones, so that processes mapping the same page
 *   of a MAP_SHARED file, shared anonymous memory or SysV shm at different
 *   addresses meet on the same futex. Keys hash into FUTEX_HASH_SIZE buckets,
 *   each with its own spinlock and a chain of waiters (struct futex_q, on the
 *   waiting thread's kernel stack), ordered by RT priority then FIFO.
 *
 * Compare-and-queue ordering
 *   FUTEX_WAIT must not sleep if the value changed, and a FUTEX_WAKE issued
 *   after the waiter read the old value must find it queued:
 *
 *     waiter (futex_wait)                    waker (user store, FUTEX_WAKE)
 *     A: waiters++ (full barrier)            *uaddr = new
 *        lock(hb)                            B: full barrier; if waiters == 0
 *        val = *uaddr (futex_get_value_locked)      return 0
 *        val != expected: unlock,            lock(hb)
 *           waiters--, EAGAIN                dequeue matching waiters and
 *        queue q; unlock(hb)                 W: dequeue, set q->woken, clear
 *        sleep until q->woken                   q->hb, unlock(hb); then wake
 *                                               the thread, set wake_done
 *
 *   The waiter reads the value and queues under the bucket lock, the waker
 *   scans under the same lock: if the waker's lock section comes after the
 *   waiter's, q is on the chain; if it comes before, the waker's store
 *   preceded the waiter's read (both are ordered by the lock), so the waiter
 *   sees the new value and does not sleep. A waker on another vCPU therefore
 *   cannot slip between the compare and the queue.
 *   The lock-free check at B skips the lock when nobody waits. It is safe
 *   because A (waiters++, a locked RMW: a full barrier) precedes the
 *   waiter's read and B's barrier follows the waker's store: if B reads 0,
 *   A had not happened when B ran, so the waiter's later read sees `new`.
 *   W: wakeups happen after the bucket lock is dropped (Linux's wake_q), so
 *   woken threads do not spin on the lock the waker still holds. The waker
 *   still uses q and the thread after unlocking, so a waiter that finds
 *   q->hb NULL (dequeued by a waker) waits for q->wake_done before it
 *   returns and its stack (q) or thread can go away; the waker sets it
 *   right after wake_up_thread(), with preemption off from its unlock on.
 *
 *   Faults: user memory is read with the bucket lock held (preemption off).
 *   The page is faulted in just before, unlocked (that may sleep), so the
 *   locked access normally hits; if it still faults (unmapped meanwhile),
 *   the page-fault path must fail fast under preempt_count > 0 (Linux's
 *   pagefault_disable) and get_user_u32 returns -EFAULT: the lock is
 *   dropped, the page faulted in unlocked, and the operation retried.
 *
 * Sleeping: TASK_INTERRUPTIBLE in futex_sleep(), woken by the waker, by the
 *   thread's sleep timer (the deadline on CLOCK_MONOTONIC; a REALTIME
 *   deadline is converted at each arming and re-armed when the wall clock is
 *   set: clock_was_set wakes REALTIME sleepers, which recompute) or by a
 *   signal. A blocked waiter costs nothing until one of these happens.
 *
 * Lock order: bucket locks (two: lower address first) -> futex_pi_lock ->
 *   futex_task_lock -> scheduler locks (wake_up_thread,
 *   sched_set_effective_prio). */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/sched.h>
#include <skiff/task.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include <skiff/vm.h>
#include "futex.h"

static struct futex_bucket futex_table[FUTEX_HASH_SIZE];
static u32 futex_ready;                      /* [a] table initialised */
static DEFINE_SPINLOCK(futex_init_lock);

static void futex_clock_was_set(void);

/* Once, on first use (no initcalls at boot): buckets and the wall-clock
 * hook. Process context. */
static void __attribute__((noinline)) futex_init_slow(void)
{
	spin_lock(&futex_init_lock);
	if (!__atomic_load_n(&futex_ready, __ATOMIC_ACQUIRE)) {
		for (u32 i = 0; i < FUTEX_HASH_SIZE; i++)
			futex_bucket_init(&futex_table[i]);
		__atomic_store_n(&futex_ready, 1, __ATOMIC_RELEASE);
		spin_unlock(&futex_init_lock);
		clock_was_set_register(futex_clock_was_set);
		return;
	}
	spin_unlock(&futex_init_lock);
}

struct futex_bucket *futex_bucket_of(const struct futex_key *key)
{
	if (unlikely(!__atomic_load_n(&futex_ready, __ATOMIC_ACQUIRE)))
		futex_init_slow();
	return &futex_table[futex_hash_key(key)];
}

int futex_get_key(u64 uaddr, unsigned flags, struct futex_key *key)
{
	struct mm *mm = current_proc()->mm;
	u64 k[2];
	int ret;

	if (uaddr & 3)
		return -EINVAL;
	if (!user_range_ok(uaddr, sizeof(u32)))
		return -EFAULT;
	if (!(flags & FLAGS_SHARED)) {
		key->word[0] = (u64)(uintptr_t)mm;
		key->word[1] = uaddr;
		key->shared = 0;
		return 0;
	}
	ret = vm_futex_key(mm, uaddr, true, k);
	if (ret)
		return ret;
	key->word[0] = k[0];
	key->word[1] = k[1];
	key->shared = 1;
	return 0;
}

int futex_get_value_locked(u32 *val, u64 uaddr)
{
	return get_user_u32(val, (const void __user *)uaddr) ? -EFAULT : 0;
}

/* Fault the page in (write: as a store would) without locks held. */
int futex_fault_in(u64 uaddr, bool write)
{
	u32 v;

	if (get_user_u32(&v, (const void __user *)uaddr))
		return -EFAULT;
	if (write && futex_cmpxchg_user((u32 __user *)uaddr, v, v, &v))
		return -EFAULT;
	return 0;
}

int futex_cmpxchg(u64 uaddr, u32 expected, u32 newval, u32 *old)
{
	return futex_cmpxchg_user((u32 __user *)uaddr, expected, newval, old) ? -EFAULT : 0;
}

u32 futex_tid(struct task *t)
{
	return (u32)t->tid & FUTEX_TID_MASK;
}

void futex_q_init(struct futex_q *q, u32 bitset)
{
	struct thread *t = current;

	*q = (struct futex_q){ 0 };
	list_init(&q->link);
	list_init(&q->pi_link);
	q->thread = t;
	q->task = current_task();
	q->bitset = bitset;
	q->prio = READ_ONCE(t->rt_prio);
}

struct futex_bucket *futex_q_lock(struct futex_q *q)
{
	struct futex_bucket *hb = futex_bucket_of(&q->key);

	futex_waiters_inc(hb); /* A */
	spin_lock(&hb->lock);
	return hb;
}

void futex_q_unlock(struct futex_bucket *hb)
{
	spin_unlock(&hb->lock);
	futex_waiters_dec(hb);
}

void futex_queue(struct futex_q *q, struct futex_bucket *hb)
{
	futex_bucket_queue(hb, q);
	spin_unlock(&hb->lock);
}

/* A waker dequeued q (q->hb NULL): wait until it is done with q and the
 * thread. The window is the waker's few instructions between its unlock
 * and wake_up_thread, with preemption off. */
static void futex_wait_wake_done(struct futex_q *q)
{
	while (!__atomic_load_n(&q->wake_done, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
}

struct futex_bucket *futex_q_lock_current(struct futex_q *q)
{
	for (;;) {
		struct futex_bucket *hb = __atomic_load_n(&q->hb, __ATOMIC_ACQUIRE);

		if (!hb) {
			futex_wait_wake_done(q);
			return NULL;
		}
		spin_lock(&hb->lock);
		if (hb == __atomic_load_n(&q->hb, __ATOMIC_ACQUIRE))
			return hb;
		spin_unlock(&hb->lock); /* requeued or woken meanwhile */
	}
}

int futex_unqueue(struct futex_q *q)
{
	struct futex_bucket *hb = futex_q_lock_current(q);

	if (!hb)
		return 0;
	futex_bucket_unqueue(q);
	__atomic_store_n(&q->hb, NULL, __ATOMIC_RELEASE);
	spin_unlock(&hb->lock);
	return 1;
}

void futex_wake_q(struct futex_q *q)
{
	struct thread *t = q->thread;

	__atomic_store_n(&q->woken, 1, __ATOMIC_RELEASE);
	wake_up_thread(t, TASK_NORMAL);
	__atomic_store_n(&q->wake_done, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&q->hb, NULL, __ATOMIC_RELEASE); /* W */
}

void futex_wake_up_list(struct list_head *wakeq)
{
	struct list_head *pos = wakeq->next;

	/* Not preempted while a woken waiter may be spinning on wake_done
	 * (callers also keep preemption off from their unlock to here). */
	preempt_disable();
	while (pos != wakeq) {
		struct futex_q *q = list_entry(pos, struct futex_q, link);
		struct thread *t = q->thread;

		pos = pos->next; /* q may be gone once wake_done is set */
		wake_up_thread(t, TASK_NORMAL);
		__atomic_store_n(&q->wake_done, 1, __ATOMIC_RELEASE); /* W */
	}
	preempt_enable();
}


/* ---- sleeping and REALTIME deadlines ---- */

/* Threads sleeping with a CLOCK_REALTIME deadline, woken to recompute when
 * the wall clock is set.  [r] rt_sleepers_lock (irqsave: any context). */
struct rt_sleeper {
	struct list_head link;   /* [r] */
	struct thread *thread;   /* [I] */
};
static DEFINE_SPINLOCK(rt_sleepers_lock);
static LIST_HEAD(rt_sleepers);

static void futex_clock_was_set(void)
{
	struct rt_sleeper *s;
	u64 f = spin_lock_irqsave(&rt_sleepers_lock);

	list_for_each_entry(s, &rt_sleepers, link)
		wake_up_thread(s->thread, TASK_INTERRUPTIBLE);
	spin_unlock_irqrestore(&rt_sleepers_lock, f);
}

bool futex_timed_out(const struct futex_timeout *to)
{
	if (!to || !to->set)
		return false;
	return (to->realtime ? clock_realtime_ns() : clock_monotonic_ns()) >= to->deadline;
}

int futex_sleep(struct futex_q *q, const struct futex_timeout *to)
{
	return futex_sleep_multi(q, 1, to);
}

static bool any_woken(struct futex_q *qs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (__atomic_load_n(&qs[i].woken, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

int futex_sleep_multi(struct futex_q *qs, unsigned n, const struct futex_timeout *to)
{
	struct thread *t = current;
	struct rt_sleeper rs = { .thread = t };
	bool timed = to && to->set;
	u64 f;
	int ret = 0;

	if (timed && to->realtime) {
		f = spin_lock_irqsave(&rt_sleepers_lock);
		list_add_tail(&rs.link, &rt_sleepers);
		spin_unlock_irqrestore(&rt_sleepers_lock, f);
	}
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (any_woken(qs, n))
			break;
		if (timed) {
			u64 mono = clock_monotonic_ns(), expires = to->deadline;

			if (to->realtime) {
				u64 rt = clock_realtime_ns();
				expires = to->deadline > rt ? mono + (to->deadline - rt) : mono;
			}
			if (mono >= expires) {
				ret = -ETIMEDOUT;
				break;
			}
			timer_arm(&t->sleep_timer, expires);
		}
		if (signal_pending()) {
			ret = -EINTR;
			break;
		}
		schedule();
	}
	set_current_state(TASK_RUNNING);
	if (timed) {
		timer_cancel_sync(&t->sleep_timer);
		if (to->realtime) {
			f = spin_lock_irqsave(&rt_sleepers_lock);
			list_del(&rs.link);
			spin_unlock_irqrestore(&rt_sleepers_lock, f);
		}
	}
	return ret;
}

/* ---- per-task records ---- */

#define FT_HASH 256
static struct list_head ft_hash[FT_HASH];   /* [ft] */
static bool ft_hash_ready;                  /* [ft] */
static DEFINE_SPINLOCK(futex_task_lock);

static struct list_head *ft_chain(struct task *t)
{
	u64 h = (u64)(uintptr_t)t;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ull;
	if (!ft_hash_ready) {
		for (int i = 0; i < FT_HASH; i++)
			list_init(&ft_hash[i]);
		ft_hash_ready = true;
	}
	return &ft_hash[h >> 56];
}

static struct futex_task *ft_lookup_locked(struct task *t)
{
	struct futex_task *ft;
	struct list_head *c = ft_chain(t);

	list_for_each_entry(ft, c, hash_link)
		if (ft->task == t)
			return ft;
	return NULL;
}

struct futex_task *futex_task_find(struct task *t)
{
	u64 f = spin_lock_irqsave(&futex_task_lock);
	struct futex_task *ft = ft_lookup_locked(t);

	spin_unlock_irqrestore(&futex_task_lock, f);
	return ft;
}

struct futex_task *futex_task_get(struct task *t)
{
	struct futex_task *ft = futex_task_find(t), *n;

	if (ft)
		return ft;
	n = kzalloc(sizeof(*n));
	if (!n)
		return NULL;
	n->task = t;
	list_init(&n->pi_owned);
	n->state = FTS_OK;
	u64 f = spin_lock_irqsave(&futex_task_lock);
	ft = ft_lookup_locked(t);
	if (!ft) {
		list_add(&n->hash_link, ft_chain(t));
		ft = n;
		n = NULL;
	}
	spin_unlock_irqrestore(&futex_task_lock, f);
	if (n)
		kfree(n);
	return ft;
}

/* Drop t's record (robust.c: futex_exit_release). */
void futex_task_free(struct task *t)
{
	u64 f;
	struct futex_task *ft;

	spin_lock(&futex_pi_lock);
	f = spin_lock_irqsave(&futex_task_lock);
	ft = ft_lookup_locked(t);
	if (ft)
		list_del(&ft->hash_link);
	spin_unlock_irqrestore(&futex_task_lock, f);
	spin_unlock(&futex_pi_lock);
	if (ft)
		kfree(ft);
}
