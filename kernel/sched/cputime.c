/* CPU time accounting: how much of a thread's run time was user time and
 * how much system time (getrusage, times, wait4, /proc/P/stat, ITIMER_VIRTUAL).
 *
 * Choice: precise accounting at the user/kernel boundary, not Linux's default
 * tick sampling. Why:
 *   - Skiff is tickless. A CPU-bound thread alone on its CPU gets no timer
 *     interrupt at all (the slice timer is armed only while another thread
 *     waits), so there is no tick to sample; adding one would interrupt every
 *     busy CPU HZ times a second, and under TCG an interrupt is expensive.
 *   - Sampling converges slowly: a 30 ms process would show 0, 10, 20 or
 *     30 ms of each kind. Measured time is right for short runs too.
 *   - The cost is one read of the cycle counter (clock_cycles(): a bare
 *     RDTSC, no fence, no cross-CPU clamp, no scaling) per crossing of the
 *     boundary; a syscall pays two, entry and return. FUTEX_WAKE with no
 *     waiter (bench/futex wake_nowaiter, TCG, 2 boots x 5 runs each, a
 *     loaded host) went from ~267 to ~314 ns per call; with
 *     clock_monotonic_ns() (fence, scale, cross-CPU clamp) in place of
 *     clock_cycles() it was ~415 ns. Linux takes ~480 ns in the same QEMU.
 *   Linux accounts the same way on nohz_full CPUs
 *   (CONFIG_VIRT_CPU_ACCOUNTING_GEN), for the same reason.
 *
 * What is measured is user time only. A thread opens a user interval when it
 * returns to user mode (cputime_return_to_user: t->user_since = cycles) and
 * closes it on its next entry into the kernel, by syscall, interrupt or
 * exception (cputime_enter_kernel: t->user_cycles += cycles - user_since);
 * a thread cannot change CPUs in between, so both readings come from one
 * CPU's counter. The run time stays what the scheduler has always counted
 * (sum_exec plus the running slice, in clock_monotonic_ns()), and system
 * time is the rest:
 *     stime = run time - utime
 * so utime + stime is exactly the run time, time spent blocked or waiting
 * for a CPU counts as neither (a thread only switches out from kernel mode,
 * where no user interval is open), interrupts that land in user mode are
 * system time (as Linux's precise mode), and kernel threads are all system.
 * An NMI, #DF or #MC from user mode does not close the interval (their
 * paths skip the exit-to-user work that would reopen it).
 *
 * Reporting goes through cputime_adjust() (cputime.h): readers take the
 * thread's run-queue lock (sum_exec, exec_start and prev_cputime are [r]),
 * read user_cycles and user_since under acct_seq, add the intervals still
 * open (running slice, user interval) up to now, and clamp against the last
 * reported split so that neither utime nor stime ever goes down and their
 * sum stays the run time, whatever two CPUs' clocks say about a reader's
 * "now" or a migrated thread.
 *
 * acct_seq is a sequence count with a single writer: the thread's own CPU,
 * interrupts off, so no reader can run in between on that CPU. x86 keeps
 * stores in order and loads in order, so compiler barriers suffice:
 *   writer: seq++ (odd); user_cycles += ..; user_since = 0; seq++ (even)
 *   reader: seq (retry while odd); user_cycles; user_since; seq again
 *           (retry if changed)
 * The return to user mode changes user_since alone (one aligned store, and
 * either value is consistent with user_cycles), so it needs no count. */
#include <skiff/time.h>
#include "cputime.h"
#include "sched.h"

void cputime_enter_kernel(void)
{
	struct thread *t = current;
	u64 since = t->user_since, now;

	if (!since)
		return;
	now = clock_cycles();
	WRITE_ONCE(t->acct_seq, t->acct_seq + 1);
	barrier();
	if (now > since)
		WRITE_ONCE(t->user_cycles, t->user_cycles + (now - since));
	WRITE_ONCE(t->user_since, 0);
	barrier();
	WRITE_ONCE(t->acct_seq, t->acct_seq + 1);
}

void cputime_return_to_user(void)
{
	WRITE_ONCE(current->user_since, clock_cycles());
}

/* t's user time in ns up to now, the open interval included. */
static u64 user_ns(const struct thread *t)
{
	u64 c, since, now;
	u32 seq;

	do {
		while ((seq = READ_ONCE(t->acct_seq)) & 1)
			arch_cpu_relax();
		barrier();
		c = READ_ONCE(t->user_cycles);
		since = READ_ONCE(t->user_since);
		barrier();
	} while (READ_ONCE(t->acct_seq) != seq);
	now = clock_cycles();
	if (since && now > since)
		c += now - since;
	return clock_cycles_to_ns(c);
}

/* t's run time up to now, the running slice included. [r] */
static u64 runtime_locked(const struct rq *rq, const struct thread *t, u64 now)
{
	u64 s = t->sum_exec;

	if (rq->curr == t && t != rq->idle && now > t->exec_start)
		s += now - t->exec_start;
	return s;
}

u64 sched_thread_runtime(struct thread *t)
{
	u64 f = arch_irq_save();
	struct rq *rq = task_rq_lock(t);
	u64 s = runtime_locked(rq, t, clock_monotonic_ns());

	spin_unlock(&rq->lock);
	arch_irq_restore(f);
	return s;
}

void sched_thread_cputime(struct thread *t, struct cputime *out)
{
	u64 f = arch_irq_save();
	struct rq *rq = task_rq_lock(t);
	u64 now = clock_monotonic_ns();

	cputime_adjust(&t->prev_cputime, user_ns(t), runtime_locked(rq, t, now), out);
	spin_unlock(&rq->lock);
	arch_irq_restore(f);
}
