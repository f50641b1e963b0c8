/* The scheduler.
 *
 * Policy
 *   Per-CPU run queues. Each CPU runs the most urgent thread on its queue:
 *   - SCHED_FIFO / SCHED_RR (priority 1..99, higher first) always run before
 *     normal threads. FIFO runs until it blocks or yields; RR gets 100 ms
 *     slices among its priority peers. A preempted RT thread keeps its place
 *     at the head of its list.
 *   - SCHED_OTHER threads share the CPU fairly: each accrues vruntime (CPU
 *     time weighted by nice, Linux's weight table) and the smallest runs.
 *     The slice is 6 ms divided among the runnable threads, at least 0.75 ms.
 *     A woken thread is placed at most 3 ms behind the queue's min_vruntime
 *     and preempts the running one if it is 1 ms of vruntime behind it.
 *   - PI futexes raise a thread's effective priority (sched_set_effective_prio).
 *   - RT bandwidth (Linux's sched_rt_runtime_us): RT threads get 950 ms of
 *     each 1 s period per CPU; past that the CPU's RT threads wait for the
 *     next period, so fair threads cannot starve for good.
 *   Preemption: a slice timer (armed only while someone else is waiting for
 *   the CPU: an idle or lone thread gets no tick) and wakeups of more urgent
 *   threads set NEED_RESCHED; the interrupt return path and preempt_enable()
 *   act on it. Balancing: a new thread goes to the least loaded CPU, a woken
 *   one to its previous CPU unless another allowed CPU is idle; an idle CPU
 *   steals queued threads; the slice timer pulls one thread from a CPU with
 *   two more runnable than its own.
 *
 * Sleep/wakeup protocol (Linux's): a sleeper sets its state, tests its
 *   condition, then calls schedule(), which dequeues it under its rq lock only
 *   if the state is still not RUNNING. A waker takes t->pi_lock, checks the
 *   state; if t is still on a run queue it sets RUNNING under that rq lock
 *   (schedule() then keeps it); otherwise it waits for t->on_cpu to clear and
 *   enqueues it. Either way a wakeup after the test is never lost.
 *
 * Lock order: t->pi_lock, then rq locks in CPU order. */
#include <arch/gdt.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/smp.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include <skiff/wait.h>
#include "sched.h"

DEFINE_PER_CPU(struct rq, runqueues);
void (*sched_switch_hook)(struct thread *prev, struct thread *next);

static struct thread boot_thread;              /* kmain's flow on the boot stack */
static DEFINE_SPINLOCK(threads_lock);
static LIST_HEAD(all_threads);                 /* [threads_lock] */
static u32 next_tid = 1;                       /* [a] */
static DEFINE_WAIT_QUEUE(thread_exit_wq);
static u64 cpus_online_mask;                   /* [a] */

static bool cpu_allowed(const struct thread *t, unsigned cpu)
{
	return (t->cpus_allowed >> cpu) & 1;
}

/* Lock the run queue t is on; t->cpu cannot change while it is held.
 * Interrupts must already be off. */
struct rq *task_rq_lock(struct thread *t)
{
	for (;;) {
		struct rq *rq = cpu_rq((unsigned)READ_ONCE(t->cpu));
		spin_lock(&rq->lock);
		if (rq == cpu_rq((unsigned)READ_ONCE(t->cpu)))
			return rq;
		spin_unlock(&rq->lock);
	}
}

static void double_rq_lock(struct rq *a, struct rq *b)
{
	if (a->cpu < b->cpu) {
		spin_lock(&a->lock);
		spin_lock(&b->lock);
	} else {
		spin_lock(&b->lock);
		spin_lock(&a->lock);
	}
}

static void double_rq_unlock(struct rq *a, struct rq *b)
{
	spin_unlock(&a->lock);
	spin_unlock(&b->lock);
}

/* Charge the running thread for the time since it last started. [l] */
static void update_curr_at(struct rq *rq, u64 now)
{
	struct thread *c = rq->curr;

	if (!c || c == rq->idle)
		return;
	if (now > c->exec_start) {
		runqueue_account(&rq->q, c, now - c->exec_start);
		if (c->prio > 0)
			rq->rt_time += now - c->exec_start;
	}
	c->exec_start = now;
}

/* Start the RT periods that ended by now (each forgives up to one runtime
 * of RT time, as Linux's period timer) and decide whether the CPU's RT
 * threads are throttled. [l] */
static void rt_update(struct rq *rq, u64 now)
{
	if (now >= rq->rt_period_end) {
		u64 n = (now - rq->rt_period_end) / SCHED_RT_PERIOD_NS + 1;
		u64 credit = n * SCHED_RT_RUNTIME_NS;
		rq->rt_time = rq->rt_time > credit ? rq->rt_time - credit : 0;
		rq->rt_period_end = rq->rt_period_end ? rq->rt_period_end + n * SCHED_RT_PERIOD_NS
						      : now + SCHED_RT_PERIOD_NS;
	}
	rq->rt_throttled = rq->rt_time >= SCHED_RT_RUNTIME_NS;
}

/* The RT budget or period ran out: account, decide, pick again. */
static void rt_timer_expired(struct timer *tm)
{
	struct rq *rq = container_of(tm, struct rq, rt_timer);

	spin_lock(&rq->lock);
	u64 now = clock_monotonic_ns();
	update_curr_at(rq, now);
	rt_update(rq, now);
	spin_unlock(&rq->lock);
	resched_cpu(rq->cpu);
}

/* Arm rq's RT timer for the thread about to run: the period end while
 * throttled, the end of the budget for an RT thread. [l] */
static void program_rt(struct rq *rq, struct thread *next, u64 now)
{
	if (rq->rt_throttled)
		timer_arm(&rq->rt_timer, rq->rt_period_end);
	else if (next->prio > 0)
		timer_arm(&rq->rt_timer, now + (SCHED_RT_RUNTIME_NS - rq->rt_time));
	else if (timer_pending(&rq->rt_timer))
		timer_cancel(&rq->rt_timer);
}

static void update_curr(struct rq *rq)
{
	update_curr_at(rq, clock_monotonic_ns());
}

void resched_cpu(unsigned cpu)
{
	struct rq *rq = cpu_rq(cpu), *me = this_rq();
	u32 old = __atomic_fetch_or(&rq->flags, RQ_NEED_RESCHED, __ATOMIC_SEQ_CST);

	if (cpu == this_cpu_id() || (old & RQ_NEED_RESCHED))
		return;
	if (old & RQ_POLLING) {
		__atomic_fetch_add(&me->stats.ipis_avoided, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_fetch_add(&me->stats.ipis_sent, 1, __ATOMIC_RELAXED);
	smp_send_reschedule(cpu);
}

bool sched_need_resched(void)
{
	struct cpu_local *cl = this_cpu_local();

	if (!cl->cur)
		return false;
	return READ_ONCE(this_rq()->flags) & RQ_NEED_RESCHED;
}

/* Preempt rq->curr if t should run instead. [l] */
static void check_preempt(struct rq *rq, struct thread *t)
{
	struct thread *c = rq->curr;

	if (c == rq->idle) {
		resched_cpu(rq->cpu);
		return;
	}
	update_curr(rq);
	if (runqueue_should_preempt(c, t))
		resched_cpu(rq->cpu);
}

/* Queue a runnable thread on rq. [l]
 * The slice timer is armed by schedule() only when something is waiting; if
 * rq's current thread runs without one, have that CPU reschedule so that it
 * arms a slice for the newcomer (otherwise a CPU-bound thread would keep the
 * CPU forever). */
static void activate(struct rq *rq, struct thread *t, bool new_thread)
{
	if (t->prio == 0)
		runqueue_place(&rq->q, t, new_thread);
	runqueue_enqueue(&rq->q, t, false);
	t->on_rq = 1;
	check_preempt(rq, t);
	if (rq->curr != rq->idle && !timer_pending(&rq->slice_timer))
		resched_cpu(rq->cpu);
}

static unsigned rq_load(unsigned cpu)
{
	struct rq *rq = cpu_rq(cpu);
	return runqueue_nr(&rq->q) + (READ_ONCE(rq->curr) != rq->idle ? 1 : 0);
}

/* Choose the CPU a waking (or new) thread should run on. */
static unsigned select_cpu(struct thread *t, bool new_thread)
{
	unsigned prev = (unsigned)t->cpu, best = prev;
	u64 online = __atomic_load_n(&cpus_online_mask, __ATOMIC_ACQUIRE);
	unsigned best_load = ~0u;

	if (!new_thread && cpu_allowed(t, prev) && ((online >> prev) & 1) && rq_load(prev) == 0)
		return prev;
	for (unsigned c = 0; c < NR_CPUS; c++) {
		if (!((online >> c) & 1) || !cpu_allowed(t, c))
			continue;
		unsigned load = rq_load(c);
		if (load < best_load || (load == best_load && c == prev)) {
			best = c;
			best_load = load;
		}
	}
	if (best_load == ~0u)
		return 0; /* nothing allowed is online: the boot CPU */
	if (!new_thread && best_load > 0 && cpu_allowed(t, prev) && ((online >> prev) & 1))
		return prev;
	return best;
}

/* Move t (queued, not running, [l] of src held) to dst's queue ([l] held). */
static void migrate_queued(struct rq *src, struct rq *dst, struct thread *t)
{
	runqueue_dequeue(&src->q, t);
	if (t->prio == 0)
		t->vruntime = t->vruntime - src->q.min_vruntime + dst->q.min_vruntime;
	WRITE_ONCE(t->cpu, (s32)dst->cpu);
	runqueue_enqueue(&dst->q, t, false);
	check_preempt(dst, t);
}

bool wake_up_thread(struct thread *t, int mask)
{
	u64 f = spin_lock_irqsave(&t->pi_lock);
	struct rq *rq;

	if (!(__atomic_load_n(&t->state, __ATOMIC_SEQ_CST) & mask)) {
		spin_unlock_irqrestore(&t->pi_lock, f);
		return false;
	}
	rq = task_rq_lock(t);
	if (t->on_rq) {
		/* Still queued or running: schedule() will keep it. */
		__atomic_store_n(&t->state, TASK_RUNNING, __ATOMIC_SEQ_CST);
		spin_unlock(&rq->lock);
		spin_unlock_irqrestore(&t->pi_lock, f);
		return true;
	}
	spin_unlock(&rq->lock);
	/* Off every queue; wait until its CPU has switched away from it. */
	while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
	unsigned cpu = select_cpu(t, false);
	struct rq *old = cpu_rq((unsigned)t->cpu);
	rq = cpu_rq(cpu);
	spin_lock(&rq->lock);
	if (old != rq && t->prio == 0)
		t->vruntime = t->vruntime - READ_ONCE(old->q.min_vruntime) + rq->q.min_vruntime;
	WRITE_ONCE(t->cpu, (s32)cpu);
	__atomic_store_n(&t->state, TASK_RUNNING, __ATOMIC_SEQ_CST);
	activate(rq, t, false);
	spin_unlock(&rq->lock);
	spin_unlock_irqrestore(&t->pi_lock, f);
	return true;
}

static void slice_expired(struct timer *tm)
{
	struct rq *rq = container_of(tm, struct rq, slice_timer);

	spin_lock(&rq->lock);
	if (rq->curr != rq->idle)
		rq->curr->requeue_tail = true;
	/* Pull one thread from a CPU that has two more runnable than we do. */
	unsigned mine = runqueue_nr(&rq->q) + 1, busiest = rq->cpu, most = mine + 1;
	for (unsigned c = 0; c < NR_CPUS; c++) {
		if (c == rq->cpu || !((cpus_online_mask >> c) & 1))
			continue;
		unsigned n = runqueue_nr(&cpu_rq(c)->q);
		if (n > most) {
			most = n;
			busiest = c;
		}
	}
	spin_unlock(&rq->lock);
	if (busiest != rq->cpu)
		sched_steal(rq);
	resched_cpu(rq->cpu);
}

/* Arm or stop the slice timer for the thread about to run. [l] */
static void program_slice(struct rq *rq, struct thread *next, u64 now)
{
	u64 slice = 0;

	if (next != rq->idle && runqueue_nr(&rq->q) > 0)
		slice = runqueue_slice(&rq->q, next);
	if (slice)
		timer_arm(&rq->slice_timer, now + slice);
	else if (timer_pending(&rq->slice_timer))
		timer_cancel(&rq->slice_timer);
}

/* Second half of a switch, on the new thread: release the previous one and
 * the rq lock taken by schedule() on this CPU. */
static void finish_switch(void)
{
	struct rq *rq = this_rq();
	struct thread *last = rq->prev;
	bool dead = last->state == TASK_DEAD;
	bool detached = last->detached;
	bool rewake = last->wake_after_switch;

	rq->prev = NULL;
	if (dead && detached && !last->static_thread) {
		last->reap_next = rq->reap;
		rq->reap = last;
	}
	last->wake_after_switch = false;
	__atomic_store_n(&last->on_cpu, 0, __ATOMIC_RELEASE);
	spin_unlock(&rq->lock);
	if (dead && !detached)
		wake_up_all(&thread_exit_wq);
	if (rewake)
		wake_up_thread(last, TASK_UNINTERRUPTIBLE);
}

/* Pick and switch to the next thread. A voluntary call (preempt == false)
 * takes a thread whose state is not TASK_RUNNING off the run queue: that is
 * how it sleeps. An involuntary one (preempt == true: interrupt return,
 * preempt_enable) leaves it queued whatever its state, as Linux does: the
 * thread may be between set_current_state() and its own schedule() or
 * finish_wait(), and dequeuing it there would lose it. */
static void __schedule(bool preempt)
{
	struct thread *prev = current, *next;
	u64 f = arch_irq_save();
	struct rq *rq = this_rq();
	u64 now;

	spin_lock(&rq->lock);
#ifdef SKIFF_DEBUG
	if (this_cpu_local()->preempt_count != 1)
		panic("schedule() while atomic (preempt_count %d) in %s",
		      this_cpu_local()->preempt_count, prev->name);
#endif
	__atomic_fetch_and(&rq->flags, ~RQ_NEED_RESCHED, __ATOMIC_SEQ_CST);
	now = clock_monotonic_ns();
	update_curr_at(rq, now);

	if (prev != rq->idle) {
		if (!preempt && __atomic_load_n(&prev->state, __ATOMIC_SEQ_CST) != TASK_RUNNING) {
			prev->on_rq = 0;
		} else if (!cpu_allowed(prev, rq->cpu)) {
			/* Affinity changed under it: re-place it after the switch. */
			__atomic_store_n(&prev->state, TASK_UNINTERRUPTIBLE, __ATOMIC_SEQ_CST);
			prev->on_rq = 0;
			prev->wake_after_switch = true;
		} else {
			bool head = prev->prio > 0 && !prev->requeue_tail;
			runqueue_enqueue(&rq->q, prev, head);
		}
		prev->requeue_tail = false;
	}
	rt_update(rq, now);
	next = rq->rt_throttled ? runqueue_peek_fair(&rq->q) : runqueue_peek(&rq->q);
	if (next)
		runqueue_dequeue(&rq->q, next);
	else
		next = rq->idle;
	next->exec_start = now;
	program_slice(rq, next, now);
	program_rt(rq, next, now);

	if (next == prev) {
		spin_unlock(&rq->lock);
		arch_irq_restore(f);
		return;
	}
	rq->curr = next;
	next->nr_switches++;
	__atomic_store_n(&next->on_cpu, 1, __ATOMIC_RELAXED);
	rq->prev = prev;
	this_cpu_local()->cur = next;
	this_cpu_local()->kstack_top = next->kstack_top;
	arch_set_kernel_stack(rq->cpu, next->kstack_top);
	if ((prev->task || next->task) && sched_switch_hook)
		sched_switch_hook(prev, next);
	arch_switch_to(&prev->ksp, next->ksp);
	finish_switch();
	arch_irq_restore(f);
}

/* Dead detached threads wait on rq->reap for someone to free their stacks.
 * The idle loop does; so does every voluntary schedule() that returns with
 * interrupts on, or a busy CPU (never idle) that keeps making and ending
 * threads would pile them up until memory runs out. */
void schedule(void)
{
	__schedule(false);
	if (READ_ONCE(this_rq()->reap) && arch_irqs_enabled())
		idle_reap(this_rq());
}

void preempt_schedule(void)
{
	if (this_cpu_local()->in_irq || !arch_irqs_enabled())
		return;
	__schedule(true);
}

void sched_preempt_irq(void)
{
	__schedule(true);
}

void yield(void)
{
	struct thread *t = current;
	u64 f = arch_irq_save();
	struct rq *rq = this_rq();

	spin_lock(&rq->lock);
	t->requeue_tail = true;
	if (t->prio == 0 && !list_empty(&rq->q.fair)) {
		struct thread *last = list_entry(rq->q.fair.prev, struct thread, rq_link);
		if ((s64)(last->vruntime - t->vruntime) > 0)
			t->vruntime = last->vruntime;
	}
	spin_unlock(&rq->lock);
	arch_irq_restore(f);
	schedule();
}

/* First C code of a new thread (from thread_entry). */
__noreturn void sched_thread_start(struct thread *t)
{
	finish_switch();
	arch_irq_enable();
	kthread_exit(t->fn(t->arg));
}

static void sleep_timer_fn(struct timer *tm)
{
	wake_up_thread(container_of(tm, struct thread, sleep_timer), TASK_NORMAL);
}

static void thread_init_common(struct thread *t, const char *name)
{
	strlcpy(t->name, name, sizeof(t->name));
	t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	t->state = TASK_RUNNING;
	t->cpus_allowed = ~0ull;
	spin_init(&t->pi_lock, "pi_lock");
	t->policy = SCHED_OTHER;
	t->weight = NICE_0_WEIGHT;
	list_init(&t->rq_link);
	timer_init(&t->sleep_timer, sleep_timer_fn);
	u64 f = spin_lock_irqsave(&threads_lock);
	list_add_tail(&t->all_link, &all_threads);
	spin_unlock_irqrestore(&threads_lock, f);
}

/* Prepare a new thread's stack so that arch_switch_to() "returns" into
 * thread_entry with r12 = t (callee-saved frame: r15 r14 r13 r12 rbx rbp ret). */
static void init_stack(struct thread *t)
{
	u64 *frame = (u64 *)(t->kstack_top - 72); /* rsp ≡ 8 (mod 16) after ret */

	memset(frame, 0, 72);
	frame[3] = (u64)t;
	frame[6] = (u64)thread_entry;
	t->ksp = (u64)frame;
}

static struct thread *thread_alloc(int (*fn)(void *), void *arg, const char *name)
{
	struct thread *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	t->kstack = kstack_alloc();
	if (!t->kstack) {
		kfree(t);
		return NULL;
	}
	t->kstack_top = (u64)t->kstack + KSTACK_PAGES * PAGE_SIZE;
	t->fn = fn;
	t->arg = arg;
	thread_init_common(t, name);
	init_stack(t);
	return t;
}

static void thread_free(struct thread *t)
{
	u64 f = spin_lock_irqsave(&threads_lock);
	list_del(&t->all_link);
	spin_unlock_irqrestore(&threads_lock, f);
	if (t->static_thread)
		return;
	kstack_free(t->kstack);
	kfree(t);
}

struct thread *kthread_alloc(int (*fn)(void *), void *arg, const char *name)
{
	return thread_alloc(fn, arg, name);
}

void kthread_start(struct thread *t, int cpu)
{
	struct rq *rq;
	u64 f;

	if (cpu >= 0)
		t->cpus_allowed = 1ull << cpu;
	t->cpu = (s32)select_cpu(t, true);
	f = arch_irq_save();
	rq = cpu_rq((unsigned)t->cpu);
	spin_lock(&rq->lock);
	activate(rq, t, true);
	spin_unlock(&rq->lock);
	arch_irq_restore(f);
}

struct thread *kthread_create(int (*fn)(void *), void *arg, const char *name, int cpu)
{
	struct thread *t = thread_alloc(fn, arg, name);

	if (t)
		kthread_start(t, cpu);
	return t;
}

__noreturn void kthread_exit(int code)
{
	struct thread *t = current;

	t->exit_code = code;
	timer_cancel_sync(&t->sleep_timer);
	arch_irq_disable();
	__atomic_store_n(&t->state, TASK_DEAD, __ATOMIC_SEQ_CST);
	schedule();
	panic("dead thread %s rescheduled", t->name);
}

static bool thread_gone(struct thread *t)
{
	return __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == TASK_DEAD &&
	       !__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE);
}

int kthread_join(struct thread *t)
{
	int code;

	wait_event(thread_exit_wq, thread_gone(t));
	code = t->exit_code;
	thread_free(t);
	return code;
}

void idle_reap(struct rq *rq)
{
	u64 f = spin_lock_irqsave(&rq->lock);
	struct thread *list = rq->reap;

	rq->reap = NULL;
	spin_unlock_irqrestore(&rq->lock, f);
	while (list) {
		struct thread *next = list->reap_next;
		thread_free(list);
		list = next;
	}
}

/* Find a queued thread on src allowed on cpu (most urgent first). [l] */
static struct thread *find_migratable(struct rq *src, unsigned cpu)
{
	for (int p = MAX_RT_PRIO - 1; p > 0; p--) {
		struct thread *t;
		list_for_each_entry(t, &src->q.rt[p], rq_link)
			if (cpu_allowed(t, cpu))
				return t;
	}
	struct thread *t;
	list_for_each_entry(t, &src->q.fair, rq_link)
		if (cpu_allowed(t, cpu))
			return t;
	return NULL;
}

bool sched_steal(struct rq *rq)
{
	u64 online = __atomic_load_n(&cpus_online_mask, __ATOMIC_ACQUIRE);

	for (unsigned i = 1; i < NR_CPUS; i++) {
		unsigned c = (rq->cpu + i) % NR_CPUS;
		struct rq *src = cpu_rq(c);
		bool moved = false;

		if (!((online >> c) & 1) || runqueue_nr(&src->q) == 0)
			continue;
		u64 f = arch_irq_save();
		double_rq_lock(rq, src);
		struct thread *t = find_migratable(src, rq->cpu);
		if (t) {
			migrate_queued(src, rq, t);
			moved = true;
		}
		double_rq_unlock(rq, src);
		arch_irq_restore(f);
		if (moved)
			return true;
	}
	return false;
}

/* Give t a new policy and priorities under its locks, then put it back
 * where it belongs: requeued at its new priority when queued, or its CPU
 * asked to reschedule when it is running. */
static void change_prio(struct thread *t, int policy, int rt_prio, int prio)
{
	u64 f = spin_lock_irqsave(&t->pi_lock);
	struct rq *rq = task_rq_lock(t);
	bool queued = t->on_rq && rq->curr != t;

	if (queued)
		runqueue_dequeue(&rq->q, t);
	if (policy >= 0) {
		int boost = t->prio > t->rt_prio ? t->prio : 0;
		t->policy = policy;
		t->rt_prio = rt_prio;
		prio = boost;
	}
	t->prio = MAX(t->rt_prio, prio);
	if (queued)
		activate(rq, t, false);
	else if (rq->curr == t)
		resched_cpu(rq->cpu);
	spin_unlock(&rq->lock);
	spin_unlock_irqrestore(&t->pi_lock, f);
}

int sched_setscheduler_thread(struct thread *t, int policy, int rt_prio)
{
	bool rt = policy == SCHED_FIFO || policy == SCHED_RR;

	if (policy != SCHED_OTHER && policy != SCHED_BATCH && policy != SCHED_IDLE && !rt)
		return -EINVAL;
	if (rt ? (rt_prio < 1 || rt_prio > MAX_RT_PRIO - 1) : rt_prio != 0)
		return -EINVAL;
	change_prio(t, policy, rt ? rt_prio : 0, 0);
	return 0;
}

void sched_set_effective_prio(struct thread *t, int prio)
{
	change_prio(t, -1, 0, prio);
}

void sched_set_nice(struct thread *t, int nice)
{
	u64 f = spin_lock_irqsave(&t->pi_lock);
	struct rq *rq = task_rq_lock(t);

	t->nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
	t->weight = nice_to_weight(t->nice);
	spin_unlock(&rq->lock);
	spin_unlock_irqrestore(&t->pi_lock, f);
}

int sched_set_affinity(struct thread *t, u64 mask)
{
	mask &= __atomic_load_n(&cpus_online_mask, __ATOMIC_ACQUIRE);
	if (!mask)
		return -EINVAL;
	u64 f = spin_lock_irqsave(&t->pi_lock);
	struct rq *rq = task_rq_lock(t);
	t->cpus_allowed = mask;
	bool move = !cpu_allowed(t, rq->cpu);
	bool queued = t->on_rq && rq->curr != t;
	if (move && queued) {
		runqueue_dequeue(&rq->q, t);
		t->on_rq = 0;
	}
	if (move && rq->curr == t)
		resched_cpu(rq->cpu); /* schedule() re-places it */
	spin_unlock(&rq->lock);
	if (move && queued) {
		struct rq *dst = cpu_rq(select_cpu(t, true));
		spin_lock(&dst->lock);
		WRITE_ONCE(t->cpu, (s32)dst->cpu);
		activate(dst, t, false);
		spin_unlock(&dst->lock);
	}
	spin_unlock_irqrestore(&t->pi_lock, f);
	if (t == current && move)
		schedule();
	return 0;
}

int sleep_until(u64 deadline, int state)
{
	struct thread *t = current;

	for (;;) {
		if (clock_monotonic_ns() >= deadline)
			return 0;
		set_current_state(state);
		timer_arm(&t->sleep_timer, deadline);
		schedule();
		bool pending = timer_cancel_sync(&t->sleep_timer);
		set_current_state(TASK_RUNNING);
		if (pending && (state & TASK_INTERRUPTIBLE))
			return -EINTR;
	}
}

void sleep_ns(u64 ns)
{
	sleep_until(clock_monotonic_ns() + ns, TASK_UNINTERRUPTIBLE);
}

/* Boot CPU: the flow running kmain becomes thread "main". */
void sched_init(void)
{
	extern char boot_stack_bottom[], boot_stack_top[];
	struct thread *t = &boot_thread;

	t->kstack = boot_stack_bottom;
	t->kstack_top = (u64)boot_stack_top;
	t->static_thread = true;
	t->detached = true;
	thread_init_common(t, "main");
	t->on_cpu = 1;
	t->on_rq = 1;
	t->cpu = 0;
	this_cpu_local()->cur = t;
	this_cpu_local()->kstack_top = t->kstack_top;
}

static int idle_thread_fn(void *arg)
{
	sched_idle_loop();
}

/* Each CPU: its run queue and idle thread. On an AP the calling flow becomes
 * the idle thread; on the boot CPU (already running "main") the idle thread
 * is a new thread. */
void sched_init_cpu(void)
{
	unsigned cpu = this_cpu_id();
	struct rq *rq = this_rq();
	struct thread *idle;

	spin_init(&rq->lock, "rq");
	runqueue_init(&rq->q);
	rq->cpu = cpu;
	timer_init(&rq->slice_timer, slice_expired);
	timer_init(&rq->rt_timer, rt_timer_expired);
	if (current) {
		idle = thread_alloc(idle_thread_fn, NULL, "idle");
		if (!idle)
			panic("sched: no memory for the idle thread");
		rq->curr = current;
	} else {
		idle = kzalloc(sizeof(*idle));
		if (!idle)
			panic("sched: no memory for the idle thread");
		thread_init_common(idle, "idle");
		idle->static_thread = true;
		idle->on_cpu = 1;
		rq->curr = idle;
		this_cpu_local()->cur = idle;
	}
	snprintf(idle->name, sizeof(idle->name), "idle/%u", cpu);
	idle->cpu = (s32)cpu;
	idle->cpus_allowed = 1ull << cpu;
	idle->on_rq = 1;
	rq->idle = idle;
	rq->online = true;
	haltpoll_init_cpu();
	__atomic_fetch_or(&cpus_online_mask, 1ull << cpu, __ATOMIC_RELEASE);
}

void sched_get_idle_stats(unsigned cpu, struct idle_stats *out)
{
	*out = cpu_rq(cpu)->stats;
}

void sched_print_stats(void)
{
	for (unsigned c = 0; c < NR_CPUS; c++) {
		if (!cpu_locals[c])
			continue;
		struct rq *rq = cpu_rq(c);
		if (!rq->online)
			continue;
		struct idle_stats *s = &rq->stats;
		pr_info("idle: cpu%u polls %llu poll-hits %llu halts %llu ipis-sent %llu ipis-avoided %llu window %llu ns",
			c, (unsigned long long)s->polls, (unsigned long long)s->poll_hits,
			(unsigned long long)s->halts, (unsigned long long)s->ipis_sent,
			(unsigned long long)s->ipis_avoided, (unsigned long long)s->poll_ns);
	}
}
