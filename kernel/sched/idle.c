/* The idle loop: reap dead threads, steal work, poll, halt.
 *
 * Polling protocol with wakers (resched_cpu in core.c): the flag word
 * rq->flags holds NEED_RESCHED and POLLING; both sides use atomic RMW on
 * that one word, so no barrier pairing is needed:
 *   waker:  old = fetch_or(NEED_RESCHED); IPI only if !(old & POLLING)
 *   idle:   fetch_or(POLLING); spin until NEED_RESCHED or window ends;
 *           old = fetch_and(~POLLING); halt only if !(old & NEED_RESCHED)
 * A waker that saw POLLING set its bit before the idle CPU's fetch_and, which
 * therefore returns it: the idle CPU never halts on a missed wakeup. */
#include <arch/cpu.h>
#include <skiff/time.h>
#include "sched.h"

static bool has_work(struct rq *rq)
{
	return (READ_ONCE(rq->flags) & RQ_NEED_RESCHED) || rq_nr_runnable(rq) > 0;
}

__noreturn void sched_idle_loop(void)
{
	struct rq *rq = this_rq();
	struct haltpoll hp;

	haltpoll_start_cpu(&hp);
	arch_irq_enable();
	for (;;) {
		rq->stats.poll_ns = hp.poll_ns;
		if (rq->reap)
			idle_reap(rq);
		if (has_work(rq) || sched_steal(rq)) {
			schedule();
			continue;
		}

		u64 start = clock_monotonic_ns(), now = start;
		u64 window = READ_ONCE(haltpoll_force_ns) ? haltpoll_force_ns : hp.poll_ns;
		bool hit = false;
		if (window) {
			rq->stats.polls++;
			/* No preemption from interrupts while POLLING is set: the
			 * loop below notices NEED_RESCHED itself and clears the
			 * flag before switching away. */
			preempt_disable();
			__atomic_fetch_or(&rq->flags, RQ_POLLING, __ATOMIC_SEQ_CST);
			while (now - start < MAX(window, READ_ONCE(haltpoll_force_ns))) {
				if (has_work(rq)) {
					hit = true;
					break;
				}
				arch_cpu_relax();
				now = clock_monotonic_ns();
			}
			u32 old = __atomic_fetch_and(&rq->flags, ~RQ_POLLING, __ATOMIC_SEQ_CST);
			preempt_enable_no_resched();
			hit = hit || (old & RQ_NEED_RESCHED);
		}
		if (hit) {
			rq->stats.poll_hits++;
			haltpoll_adjust(&hp, clock_monotonic_ns() - start);
			schedule();
			continue;
		}
		arch_irq_disable();
		if (has_work(rq)) {
			arch_irq_enable();
			continue;
		}
		rq->stats.halts++;
		arch_safe_halt(); /* returns with interrupts on, after one arrived */
		haltpoll_adjust(&hp, clock_monotonic_ns() - start);
	}
}
