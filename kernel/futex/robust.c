/* Robust futexes: set_robust_list(2) / get_robust_list(2) and what the
 * kernel does with the list when a thread exits or execs (Linux's
 * futex_exit_release/futex_exec_release). The walk itself is in
 * robust_walk.c; this file binds it to real user memory, and orders it with
 * the PI clean-up:
 *
 *   thread exit:  state EXITING -> robust list walk (OWNER_DIED, one waiter
 *                 woken per lock held) -> PI states handed to their top
 *                 waiters -> state DEAD; then kernel/proc does the
 *                 CLONE_CHILD_CLEARTID store and its FUTEX_WAKE(1), which
 *                 pthread_join relies on seeing after the robust wakeups. */
#include <skiff/errno.h>
#include <skiff/futex.h>
#include <skiff/syscall.h>
#include <skiff/task.h>
#include <skiff/uaccess.h>
#include "futex.h"

static int k_get_u64(void *ctx, u64 uaddr, u64 *val)
{
	return get_user_u64(val, (const void __user *)uaddr) ? -EFAULT : 0;
}

static int k_get_u32(void *ctx, u64 uaddr, u32 *val)
{
	return get_user_u32(val, (const void __user *)uaddr) ? -EFAULT : 0;
}

static int k_cmpxchg(void *ctx, u64 uaddr, u32 expected, u32 newval, u32 *old)
{
	return futex_cmpxchg(uaddr, expected, newval, old);
}

static void k_wake_one(void *ctx, u64 uaddr)
{
	/* Shared, as Linux: glibc's robust mutexes wait with shared keys. */
	futex_wake_key(uaddr, FLAGS_SHARED, 1, FUTEX_BITSET_MATCH_ANY);
}

static const struct robust_ops kernel_robust_ops = {
	.get_u64 = k_get_u64,
	.get_u32 = k_get_u32,
	.cmpxchg_u32 = k_cmpxchg,
	.wake_one = k_wake_one,
};

static void set_state(struct futex_task *ft, int state)
{
	spin_lock(&futex_pi_lock);
	ft->state = state;
	spin_unlock(&futex_pi_lock);
}

/* Robust list and PI clean-up for t (current, its mm active). */
static void futex_cleanup(struct task *t, int end_state)
{
	struct futex_task *ft = futex_task_get(t);
	u64 head;

	if (!ft) {
		/* ENOMEM: still walk what we can, without a record. */
		futex_exit_pi_states(t);
		return;
	}
	set_state(ft, FTS_EXITING);
	head = ft->robust_head;
	ft->robust_head = 0;
	if (head)
		robust_list_walk(&kernel_robust_ops, NULL, head, futex_tid(t));
	futex_exit_pi_states(t);
	set_state(ft, end_state);
}

void futex_exit_robust(struct task *t)
{
	futex_cleanup(t, FTS_DEAD);
}

void futex_exec_release(struct task *t)
{
	futex_cleanup(t, FTS_OK);
}

void futex_exit_release(struct task *t)
{
	futex_task_free(t);
}

/* set_robust_list(head, len): 0, or -EINVAL when len is not 24. The head is
 * not checked here; a bad one only stops the exit-time walk. */
SYSCALL_DEFINE(273, set_robust_list)
{
	struct futex_task *ft;

	if (a1 != sizeof(struct robust_list_head))
		return -EINVAL;
	ft = futex_task_get(current_task());
	if (!ft)
		return -ENOMEM;
	ft->robust_head = a0;
	return 0;
}

/* get_robust_list(pid, head_ptr, len_ptr): pid 0 is the caller; -ESRCH for
 * an unknown thread, -EPERM for another user's thread (ptrace read access),
 * -EFAULT; writes the head and len 24. */
SYSCALL_DEFINE(274, get_robust_list)
{
	pid_t pid = (pid_t)a0;
	struct task *t = current_task(), *target = t;
	struct futex_task *ft;
	u64 head = 0;

	if (pid) {
		target = task_get(pid);
		if (!target)
			return -ESRCH;
		struct process *me = t->proc, *p = target->proc;
		if (me->euid != 0 && !(me->uid == p->uid && me->uid == p->euid &&
				       me->uid == p->suid && me->gid == p->gid &&
				       me->gid == p->egid && me->gid == p->sgid)) {
			task_put(target);
			return -EPERM;
		}
	}
	ft = futex_task_find(target);
	if (ft)
		head = READ_ONCE(ft->robust_head);
	if (target != t)
		task_put(target);
	if (put_user_u64(sizeof(struct robust_list_head), (void __user *)a2))
		return -EFAULT;
	if (put_user_u64(head, (void __user *)a1))
		return -EFAULT;
	return 0;
}
