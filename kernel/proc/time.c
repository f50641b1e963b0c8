/* Clock and sleep system calls: clock_gettime/settime/getres, gettimeofday,
 * settimeofday, time, nanosleep, clock_nanosleep, restart_syscall.
 *
 * Sleeps are interruptible. A relative sleep interrupted by a handled
 * signal fails with EINTR and the time left; without a handler (stop and
 * continue, ignored signals) it resumes through restart_syscall with the
 * original deadline. Absolute CLOCK_REALTIME sleeps follow clock_settime:
 * the clock_was_set hook wakes them to recompute their deadline. */
#include <skiff/errno.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include <skiff/wait.h>
#include <uapi/unistd.h>
#include "proc.h"

static DEFINE_WAIT_QUEUE(realtime_sleepers);
static bool hook_registered;

static void realtime_changed(void)
{
	wake_up_all(&realtime_sleepers);
}

/* Current value of a clock, or -EINVAL. */
static int clock_read(int clk, u64 *ns)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
	case CLOCK_REALTIME_ALARM:
		*ns = clock_realtime_ns();
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_BOOTTIME_ALARM:
		*ns = clock_monotonic_ns();
		return 0;
	case CLOCK_THREAD_CPUTIME_ID:
		*ns = sched_thread_runtime(current);
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID: {
		u64 u, s, f = spin_lock_irqsave(&proc_lock);
		proc_cputime(cur_px(), &u, &s);
		spin_unlock_irqrestore(&proc_lock, f);
		*ns = u + s;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

static int get_ts(u64 uptr, struct timespec *ts)
{
	if (copy_from_user(ts, (void *)uptr, sizeof(*ts)))
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
		return -EINVAL;
	return 0;
}

static int put_ts(u64 uptr, u64 ns)
{
	struct timespec ts = ns_to_ts(ns);
	return copy_to_user((void *)uptr, &ts, sizeof(ts)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(228, clock_gettime)
{
	u64 ns;
	int err = clock_read((int)a0, &ns);

	return err ? err : put_ts(a1, ns);
}

SYSCALL_DEFINE(229, clock_getres)
{
	u64 ns;
	int clk = (int)a0;
	int err = clock_read(clk, &ns);

	if (err)
		return err;
	if (!a1)
		return 0;
	u64 res = (clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE) ? 4000000 : 1;
	return put_ts(a1, res);
}

static int set_realtime(u64 ns)
{
	if (current_proc()->euid != 0)
		return -EPERM;
	clock_set_realtime(ns);
	return 0;
}

SYSCALL_DEFINE(227, clock_settime)
{
	struct timespec ts;
	u64 dummy;
	int err;

	if ((int)a0 != CLOCK_REALTIME)
		return clock_read((int)a0, &dummy) ? -EINVAL : -EINVAL;
	if ((err = get_ts(a1, &ts)))
		return err;
	return set_realtime(ts_to_ns(&ts));
}

SYSCALL_DEFINE(96, gettimeofday)
{
	if (a0) {
		u64 ns = clock_realtime_ns();
		struct timeval tv = { (s64)(ns / 1000000000ull), (s64)(ns % 1000000000ull / 1000) };
		if (copy_to_user((void *)a0, &tv, sizeof(tv)))
			return -EFAULT;
	}
	if (a1) {
		struct timezone tz = { 0, 0 };
		if (copy_to_user((void *)a1, &tz, sizeof(tz)))
			return -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE(164, settimeofday)
{
	struct timeval tv;

	if (a1) {
		struct timezone tz;
		if (copy_from_user(&tz, (void *)a1, sizeof(tz)))
			return -EFAULT;
	}
	if (!a0)
		return current_proc()->euid ? -EPERM : 0;
	if (copy_from_user(&tv, (void *)a0, sizeof(tv)))
		return -EFAULT;
	if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EINVAL;
	return set_realtime((u64)tv.tv_sec * 1000000000ull + (u64)tv.tv_usec * 1000);
}

SYSCALL_DEFINE(201, time)
{
	s64 t = (s64)(clock_realtime_ns() / 1000000000ull);

	if (a0 && put_user_u64((u64)t, (void *)a0))
		return -EFAULT;
	return t;
}

/* Sleep until clock clk reaches deadline (its own time base). 0 when it
 * did, -EINTR when a signal is pending. */
static int sleep_on_clock(int clk, u64 deadline, bool abs)
{
	bool rt_abs = abs && (clk == CLOCK_REALTIME || clk == CLOCK_TAI);
	struct thread *th = current;

	if (rt_abs && !hook_registered) {
		hook_registered = true;
		clock_was_set_register(realtime_changed);
	}
	for (;;) {
		struct waiter w = { 0 };
		u64 now = clock_monotonic_ns(), mono_deadline;
		if (rt_abs) {
			u64 rt = clock_realtime_ns();
			if (rt >= deadline)
				return 0;
			mono_deadline = now + (deadline - rt);
			prepare_to_wait(&realtime_sleepers, &w, TASK_INTERRUPTIBLE);
		} else {
			mono_deadline = deadline;
			set_current_state(TASK_INTERRUPTIBLE);
		}
		if (now >= mono_deadline) {
			if (rt_abs)
				finish_wait(&realtime_sleepers, &w);
			set_current_state(TASK_RUNNING);
			return 0;
		}
		if (signal_pending()) {
			if (rt_abs)
				finish_wait(&realtime_sleepers, &w);
			set_current_state(TASK_RUNNING);
			return -EINTR;
		}
		timer_arm(&th->sleep_timer, mono_deadline);
		schedule();
		timer_cancel_sync(&th->sleep_timer);
		if (rt_abs)
			finish_wait(&realtime_sleepers, &w);
		set_current_state(TASK_RUNNING);
		if (signal_pending() && clock_monotonic_ns() < mono_deadline)
			return -EINTR;
	}
}

static int nanosleep_restart(struct task_ext *t);

/* Relative sleeps are converted to a monotonic deadline up front. */
static long do_nanosleep(int clk, bool abs, const struct timespec *ts, u64 rmtp)
{
	struct task_ext *t = cur_tx();
	u64 deadline;

	if (abs) {
		deadline = ts_to_ns(ts);
		if (clk != CLOCK_REALTIME && clk != CLOCK_TAI)
			clk = CLOCK_MONOTONIC;
	} else {
		deadline = clock_monotonic_ns() + ts_to_ns(ts);
		clk = CLOCK_MONOTONIC;
	}
	if (sleep_on_clock(clk, deadline, abs) == 0)
		return 0;
	if (abs)
		return -ERESTARTNOHAND;
	if (rmtp) {
		u64 now = clock_monotonic_ns();
		if (put_ts(rmtp, deadline > now ? deadline - now : 0))
			return -EFAULT;
	}
	t->restart_deadline = deadline;
	t->restart_clock = clk;
	t->restart_rmtp = rmtp;
	t->restart_fn = nanosleep_restart;
	return -ERESTART_RESTARTBLOCK;
}

static int nanosleep_restart(struct task_ext *t)
{
	if (sleep_on_clock(CLOCK_MONOTONIC, t->restart_deadline, false) == 0)
		return 0;
	if (t->restart_rmtp) {
		u64 now = clock_monotonic_ns();
		if (put_ts(t->restart_rmtp, t->restart_deadline > now ? t->restart_deadline - now : 0))
			return -EFAULT;
	}
	return -ERESTART_RESTARTBLOCK;
}

SYSCALL_DEFINE(35, nanosleep)
{
	struct timespec ts;
	int err = get_ts(a0, &ts);

	return err ? err : do_nanosleep(CLOCK_MONOTONIC, false, &ts, a1);
}

SYSCALL_DEFINE(230, clock_nanosleep)
{
	int clk = (int)a0;
	bool abs = a1 & TIMER_ABSTIME;
	struct timespec ts;
	int err;

	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		break;
	case CLOCK_THREAD_CPUTIME_ID:
		return -EINVAL;
	case CLOCK_PROCESS_CPUTIME_ID:
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
	if ((err = get_ts(a2, &ts)))
		return err;
	return do_nanosleep(clk, abs, &ts, abs ? 0 : a3);
}

SYSCALL_DEFINE(219, restart_syscall)
{
	struct task_ext *t = cur_tx();
	int (*fn)(struct task_ext *) = t->restart_fn;

	if (!fn)
		return -EINTR;
	t->restart_fn = NULL;
	int r = fn(t);
	if (r == -ERESTART_RESTARTBLOCK)
		t->restart_fn = fn;
	return r;
}
