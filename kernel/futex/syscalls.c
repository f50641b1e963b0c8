/* futex(2) and the futex2 calls: argument decoding and dispatch only, with
 * Linux's order of checks (Linux 6.x kernel/futex/syscalls.c):
 *   1. a timeout pointer, for the commands that take one (WAIT, LOCK_PI,
 *      LOCK_PI2, WAIT_BITSET, WAIT_REQUEUE_PI): unreadable -EFAULT,
 *      tv_sec < 0 or tv_nsec outside [0, 1e9) -EINVAL;
 *   2. FUTEX_CLOCK_REALTIME with any command but WAIT_BITSET,
 *      WAIT_REQUEUE_PI, LOCK_PI2: -ENOSYS;
 *   3. unknown command (including stray flag bits, FUTEX_FD): -ENOSYS;
 *   4. the operation's own checks (bitset 0, negative counts: -EINVAL),
 *      then the key (misaligned: -EINVAL; shared and unmapped: -EFAULT).
 * (A misaligned uaddr with a bad timeout pointer is therefore -EFAULT, as on
 * a running Linux 6.18.)
 * Timeouts: FUTEX_WAIT relative on CLOCK_MONOTONIC; WAIT_BITSET,
 * WAIT_REQUEUE_PI, LOCK_PI2 absolute on MONOTONIC or, with
 * FUTEX_CLOCK_REALTIME, REALTIME; LOCK_PI absolute on REALTIME. For
 * REQUEUE, CMP_REQUEUE, WAKE_OP, CMP_REQUEUE_PI the 4th argument is val2. */
#include <skiff/errno.h>
#include <skiff/syscall.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include <uapi/futex.h>
#include <uapi/time.h>
#include "futex.h"

struct kernel_timespec {
	s64 tv_sec;
	s64 tv_nsec;
};
_Static_assert(sizeof(struct kernel_timespec) == 16, "__kernel_timespec");

#define KTIME_MAX ((u64)INT64_MAX)

static bool cmd_has_timeout(int cmd)
{
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAIT_REQUEUE_PI:
		return true;
	}
	return false;
}

/* timespec -> ns, saturating like ktime_set. */
static u64 ts_to_ns_sat(const struct kernel_timespec *ts)
{
	if ((u64)ts->tv_sec >= KTIME_MAX / NSEC_PER_SEC)
		return KTIME_MAX;
	return (u64)ts->tv_sec * NSEC_PER_SEC + (u64)ts->tv_nsec;
}

static int read_timespec(u64 uts, struct kernel_timespec *ts)
{
	if (copy_from_user(ts, (const void __user *)uts, sizeof(*ts)))
		return -EFAULT;
	if (ts->tv_sec < 0 || (u64)ts->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	return 0;
}

static long do_futex(u64 uaddr, int op, u32 val, const struct futex_timeout *to,
		     u64 uaddr2, u32 val2, u32 val3)
{
	int cmd = op & FUTEX_CMD_MASK;
	unsigned flags = 0;

	if (op & FUTEX_CLOCK_REALTIME) {
		flags |= FLAGS_CLOCKRT;
		if (cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
		    cmd != FUTEX_LOCK_PI2)
			return -ENOSYS;
	}
	if (!(op & FUTEX_PRIVATE_FLAG))
		flags |= FLAGS_SHARED;

	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(uaddr, flags, val, to, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAIT_BITSET:
		return futex_wait(uaddr, flags, val, to, val3);
	case FUTEX_WAKE:
		return futex_wake_key(uaddr, flags, (int)val, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		return futex_wake_key(uaddr, flags, (int)val, val3);
	case FUTEX_REQUEUE:
		return futex_requeue(uaddr, flags, uaddr2, flags, (int)val, (int)val2, NULL, false);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(uaddr, flags, uaddr2, flags, (int)val, (int)val2, &val3, false);
	case FUTEX_WAKE_OP:
		return futex_wake_op(uaddr, flags, uaddr2, (int)val, (int)val2, val3);
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		return futex_lock_pi(uaddr, flags, to, false);
	case FUTEX_UNLOCK_PI:
		return futex_unlock_pi(uaddr, flags);
	case FUTEX_TRYLOCK_PI:
		return futex_lock_pi(uaddr, flags, NULL, true);
	case FUTEX_WAIT_REQUEUE_PI:
		return futex_wait_requeue_pi(uaddr, flags, val, to, FUTEX_BITSET_MATCH_ANY, uaddr2);
	case FUTEX_CMP_REQUEUE_PI:
		return futex_requeue(uaddr, flags, uaddr2, flags, (int)val, (int)val2, &val3, true);
	}
	return -ENOSYS;
}

/* futex(uaddr, op, val, timeout | val2, uaddr2, val3) */
SYSCALL_DEFINE(202, futex)
{
	int op = (int)a1, cmd = op & FUTEX_CMD_MASK;
	struct futex_timeout to = { 0 }, *tp = NULL;

	if (a3 && cmd_has_timeout(cmd)) {
		struct kernel_timespec ts;
		int ret = read_timespec(a3, &ts);

		if (ret)
			return ret;
		to.set = true;
		to.deadline = ts_to_ns_sat(&ts);
		if (cmd == FUTEX_WAIT) {
			u64 now = clock_monotonic_ns();
			to.deadline = to.deadline > KTIME_MAX - now ? KTIME_MAX : now + to.deadline;
		} else {
			to.realtime = cmd == FUTEX_LOCK_PI || (op & FUTEX_CLOCK_REALTIME);
		}
		tp = &to;
	}
	return do_futex(a0, op, (u32)a2, tp, a4, (u32)a3, (u32)a5);
}

/* futex_waitv(waiters, nr_futexes, flags, timeout, clockid) */
SYSCALL_DEFINE(449, futex_waitv)
{
	return futex_waitv_syscall(a0, (u32)a1, (u32)a2, a3, (s32)a4);
}

/* The futex2 flags word (FUTEX2_SIZE_*, FUTEX2_PRIVATE) to internal flags:
 * only 32-bit futexes; NUMA/MPOL are not offered. -EINVAL otherwise. */
int futex2_to_flags(u32 f2, unsigned *flags)
{
	if (f2 & ~(u32)(FUTEX2_SIZE_MASK | FUTEX2_PRIVATE))
		return -EINVAL;
	if ((f2 & FUTEX2_SIZE_MASK) != FUTEX2_SIZE_U32)
		return -EINVAL;
	*flags = (f2 & FUTEX2_PRIVATE) ? 0 : FLAGS_SHARED;
	return 0;
}

/* futex_wake(uaddr, mask, nr, flags) */
SYSCALL_DEFINE(454, futex_wake)
{
	unsigned flags;
	u32 mask = (u32)a1;

	if (a3 & ~(u64)(FUTEX2_SIZE_MASK | FUTEX2_PRIVATE) || futex2_to_flags((u32)a3, &flags))
		return -EINVAL;
	if (a1 >> 32)
		return -EINVAL; /* mask wider than the futex */
	if ((int)a2 == 0) {
		/* futex2 is strict: nr 0 wakes none, after the usual checks. */
		struct futex_key key;
		int ret = mask ? futex_get_key(a0, flags, &key) : -EINVAL;
		return ret ? ret : 0;
	}
	return futex_wake_key(a0, flags, (int)a2, mask);
}

/* futex_wait(uaddr, val, mask, flags, timeout, clockid) */
SYSCALL_DEFINE(455, futex_wait)
{
	struct futex_timeout to = { 0 }, *tp = NULL;
	unsigned flags;

	if (a3 & ~(u64)(FUTEX2_SIZE_MASK | FUTEX2_PRIVATE) || futex2_to_flags((u32)a3, &flags))
		return -EINVAL;
	if ((a1 >> 32) || (a2 >> 32))
		return -EINVAL;
	if (a4) {
		struct kernel_timespec ts;
		int ret;

		if ((s32)a5 != CLOCK_REALTIME && (s32)a5 != CLOCK_MONOTONIC)
			return -EINVAL;
		ret = read_timespec(a4, &ts);
		if (ret)
			return ret;
		to.set = true;
		to.realtime = (s32)a5 == CLOCK_REALTIME;
		to.deadline = ts_to_ns_sat(&ts);
		tp = &to;
	}
	long ret = futex_wait(a0, flags, (u32)a1, tp, (u32)a2);
	/* futex2 has no restart block: a signal is -ERESTARTSYS either way. */
	return ret == -ERESTARTNOHAND ? -ERESTARTSYS : ret;
}

/* futex_requeue(waiters[2], flags, nr_wake, nr_requeue) (Linux 6.7): wake
 * up to nr_wake waiters of waiters[0] and move up to nr_requeue more to
 * waiters[1], if *waiters[0].uaddr still equals waiters[0].val (-EAGAIN
 * otherwise). Each entry has its own futex2 flags; checks as
 * futex_parse_waitv: -EINVAL for flags, a NULL vector, a reserved field,
 * flag bits, a value wider than the size; -EFAULT for an unreadable vector. */
SYSCALL_DEFINE(456, futex_requeue)
{
	struct futex_waitv v[2];
	unsigned f[2];

	if ((u32)a1 || !a0)
		return -EINVAL;
	for (int i = 0; i < 2; i++) {
		if (copy_from_user(&v[i], (const void __user *)(a0 + i * sizeof(v[i])), sizeof(v[i])))
			return -EFAULT;
		if (v[i].__reserved || futex2_to_flags(v[i].flags, &f[i]) || (v[i].val >> 32))
			return -EINVAL;
	}
	u32 cmpval = (u32)v[0].val;
	return futex_requeue(v[0].uaddr, f[0], v[1].uaddr, f[1], (int)a2, (int)a3, &cmpval, false);
}
