/* Per-CPU one-shot timers (contract in <skiff/timer.h>).
 *
 * Each CPU owns a timer queue (a heap, kernel/time/timerqueue.c) under its
 * own spinlock, taken with interrupts off. The clock event device of that
 * CPU is armed for the earliest queued expiry only; the interrupt handler
 * runs every expired timer and re-arms for the next or stops.
 *
 * Who may write what:
 *  - t->cpu, t->idx and t->expires of a queued timer change only under the
 *    lock of the queue t->cpu names; t->cpu becomes -1 (and t leaves the
 *    heap) under the same lock. So "lock the queue t->cpu names, then check
 *    t->cpu still names it" is the way to get hold of a timer (timer_lock()).
 *  - tc->running is set under the lock in the same critical section that
 *    pops the timer, and cleared under the lock after the callback returns.
 *    A timer is therefore always in exactly one state as seen under the locks:
 *    queued on one CPU, running on one CPU, or idle; timer_cancel_sync()
 *    relies on that.
 *
 * Timers never fire early: the hardware may interrupt early (clamped or
 * rounded deadlines, a spurious interrupt), but the handler compares every
 * expiry with clock_monotonic_ns() and re-arms for what is not yet due. */
#include <arch/cpu.h>
#include <arch/trap.h>
#include <skiff/mm.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <skiff/timer.h>

#include "timerqueue.h"

#define INITIAL_SLOTS 64
/* Callbacks per interrupt before the handler lets other work in: a timer
 * that keeps re-arming itself in the past cannot lock up the CPU. */
#define MAX_CALLBACKS_PER_IRQ 256

struct timer_cpu {
	spinlock_t lock;        /* [I] */
	struct timerqueue q;    /* [l] */
	struct timer *running;  /* [l] callback executing right now, or NULL */
	u64 programmed;         /* [l] deadline the hardware is armed for, 0 = none */
	bool ready;             /* [I] set by timers_init_cpu on this CPU */
};

static DEFINE_PER_CPU(struct timer_cpu, timer_cpus);
struct timer_stats timer_stats[NR_CPUS]; /* [c] written by the owning CPU's handler */

static struct timer_cpu *timer_cpu_of(unsigned cpu)
{
	return per_cpu_ptr(&timer_cpus, cpu);
}

static void timer_interrupt(struct trap_frame *tf, void *arg);

/* Per CPU, after clockevent_init_cpu(); the first call (boot CPU) also
 * installs the interrupt handler. Idempotent. */
void timers_init_cpu(void)
{
	static bool handler_installed; /* [I] boot CPU, before the APs start */
	struct timer_cpu *tc = this_cpu_ptr(&timer_cpus);
	struct timer **slots;

	if (tc->ready)
		return;
	if (!handler_installed) {
		handler_installed = true;
		irq_set_handler(VEC_LAPIC_TIMER, timer_interrupt, NULL);
	}
	slots = kmalloc(INITIAL_SLOTS * sizeof(*slots));
	if (!slots)
		panic("timer: no memory for cpu %u's queue", this_cpu_id());
	spin_init(&tc->lock, "timer_cpu");
	timerqueue_init(&tc->q, slots, INITIAL_SLOTS);
	tc->running = NULL;
	tc->programmed = 0;
	__atomic_store_n(&tc->ready, true, __ATOMIC_RELEASE);
}

void timer_init(struct timer *t, void (*fn)(struct timer *t))
{
	t->expires = 0;
	t->fn = fn;
	t->cpu = -1;
	t->idx = TIMERQUEUE_NO_IDX;
}

bool timer_pending(const struct timer *t)
{
	return READ_ONCE(t->cpu) >= 0;
}

/* Lock the queue t is on and return it with *flags set, or NULL (nothing
 * locked) when t is idle. Retries while t moves between queues. */
static struct timer_cpu *timer_lock(struct timer *t, u64 *flags)
{
	for (;;) {
		s32 cpu = READ_ONCE(t->cpu);
		if (cpu < 0)
			return NULL;
		struct timer_cpu *tc = timer_cpu_of((unsigned)cpu);
		*flags = spin_lock_irqsave(&tc->lock);
		if (t->cpu == cpu)
			return tc;
		spin_unlock_irqrestore(&tc->lock, *flags);
	}
}

/* Make room for one more timer. Called and returns with tc->lock held;
 * drops it around the allocation, so the caller re-checks its state. */
static void timer_grow(struct timer_cpu *tc, u64 *flags)
{
	u32 cap = tc->q.cap * 2;

	spin_unlock_irqrestore(&tc->lock, *flags);
	struct timer **slots = kmalloc(cap * sizeof(*slots));
	if (!slots)
		panic("timer: no memory to grow cpu %u's queue to %u", this_cpu_id(), cap);
	*flags = spin_lock_irqsave(&tc->lock);
	if (tc->q.cap >= cap) { /* somebody grew it meanwhile */
		kfree(slots);
		return;
	}
	kfree(timerqueue_replace_storage(&tc->q, slots, cap));
}

/* Arm the hardware if t is now the earliest and earlier than what is armed. */
static void timer_reprogram_if_first(struct timer_cpu *tc, struct timer *t)
{
	assert_held(&tc->lock);
	if (timerqueue_peek(&tc->q) != t)
		return;
	if (tc->programmed && tc->programmed <= t->expires)
		return;
	tc->programmed = t->expires ? t->expires : 1;
	clockevent_program(t->expires);
}

/* Contract in <skiff/timer.h>. Any context; the caller's CPU must have run
 * timers_init_cpu(). Takes the old queue's lock (to remove) and then this
 * CPU's (to insert), never both at once. */
void timer_arm(struct timer *t, u64 expires)
{
	u64 f = arch_irq_save(); /* stay on this CPU */
	unsigned me = this_cpu_id();
	struct timer_cpu *tc = this_cpu_ptr(&timer_cpus), *old;
	u64 lf;

	assert(tc->ready);
	for (;;) {
		old = timer_lock(t, &lf);
		if (old && old != tc) {
			timerqueue_remove(&old->q, t);
			WRITE_ONCE(t->cpu, -1);
			spin_unlock_irqrestore(&old->lock, lf);
			continue;
		}
		if (!old)
			lf = spin_lock_irqsave(&tc->lock);
		/* tc->lock held. t is on our queue, or idle unless someone armed
		 * it elsewhere since timer_lock looked. */
		if (t->cpu >= 0 && t->cpu != (s32)me) {
			spin_unlock_irqrestore(&tc->lock, lf);
			continue;
		}
		if (t->cpu < 0 && timerqueue_full(&tc->q)) {
			timer_grow(tc, &lf);
			spin_unlock_irqrestore(&tc->lock, lf);
			continue;
		}
		break;
	}
	t->expires = expires;
	if (t->cpu == (s32)me) {
		timerqueue_update(&tc->q, t);
	} else {
		timerqueue_insert(&tc->q, t);
		WRITE_ONCE(t->cpu, (s32)me);
	}
	timer_reprogram_if_first(tc, t);
	spin_unlock_irqrestore(&tc->lock, lf);
	arch_irq_restore(f);
}

/* Contract in <skiff/timer.h>. Any context. The hardware stays armed if t
 * was the earliest; the handler then finds nothing due and re-arms. */
bool timer_cancel(struct timer *t)
{
	u64 f;
	struct timer_cpu *tc = timer_lock(t, &f);

	if (!tc)
		return false;
	timerqueue_remove(&tc->q, t);
	WRITE_ONCE(t->cpu, -1);
	spin_unlock_irqrestore(&tc->lock, f);
	return true;
}

static bool timer_running_elsewhere(struct timer *t)
{
	unsigned me = this_cpu_id();

	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		if (cpu == me || !READ_ONCE(cpu_locals[cpu]))
			continue; /* no per-CPU area: per_cpu_ptr would alias CPU 0's */
		struct timer_cpu *tc = timer_cpu_of(cpu);
		if (!__atomic_load_n(&tc->ready, __ATOMIC_ACQUIRE))
			continue;
		u64 f = spin_lock_irqsave(&tc->lock);
		bool running = tc->running == t;
		spin_unlock_irqrestore(&tc->lock, f);
		if (running)
			return true;
	}
	return false;
}

/* Contract in <skiff/timer.h>: on return t is neither queued nor running on
 * another CPU (a callback that re-arms itself is cancelled again). Called
 * from t's own callback it does not wait for itself. Must not be called
 * with a lock the callback takes. Returns whether any arming was cancelled. */
bool timer_cancel_sync(struct timer *t)
{
	bool cancelled = false;

	for (;;) {
		cancelled |= timer_cancel(t);
		if (!timer_running_elsewhere(t)) {
			if (!timer_pending(t))
				return cancelled;
			continue; /* re-armed by its callback as it finished */
		}
		arch_cpu_relax();
	}
}

/* VEC_LAPIC_TIMER handler: interrupts off, on the CPU whose queue is due. */
static void timer_interrupt(struct trap_frame *tf, void *arg)
{
	struct timer_cpu *tc = this_cpu_ptr(&timer_cpus);
	struct timer_stats *st = &timer_stats[this_cpu_id()];
	struct timer *t;
	unsigned ran = 0;

	st->interrupts++;
	if (!tc->ready)
		return;
	spin_lock(&tc->lock);
	tc->programmed = 0;
	while ((t = timerqueue_peek(&tc->q)) && ran < MAX_CALLBACKS_PER_IRQ) {
		u64 now = clock_monotonic_ns();
		if (t->expires > now)
			break;
		timerqueue_remove(&tc->q, t);
		tc->running = t;
		WRITE_ONCE(t->cpu, -1);
		u64 late = now - t->expires;
		st->fired++;
		st->late_ns_total += late;
		if (late > st->late_ns_max)
			st->late_ns_max = late;
		spin_unlock(&tc->lock);
		t->fn(t);
		spin_lock(&tc->lock);
		tc->running = NULL;
		ran++;
	}
	/* A callback may have armed a timer (and the hardware) already. */
	t = timerqueue_peek(&tc->q);
	if (t && (!tc->programmed || tc->programmed > t->expires)) {
		tc->programmed = t->expires ? t->expires : 1;
		clockevent_program(t->expires);
	} else if (!t) {
		tc->programmed = 0;
		clockevent_stop();
	}
	spin_unlock(&tc->lock);
}
