/* Signal system calls and the kernel-side senders of <skiff/task.h>. */
#include <skiff/errno.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include "proc.h"

static bool valid_sig(long sig) { return sig >= 1 && sig <= NSIG; }

/* May the current process send sig to p? (Linux's kill_ok_by_cred plus the
 * SIGCONT-within-session exception.) */
static bool may_signal(struct proc_ext *p, int sig)
{
	struct process *me = current_proc(), *t = &p->pub;

	if (me->euid == 0 || me->euid == t->suid || me->euid == t->uid ||
	    me->uid == t->suid || me->uid == t->uid)
		return true;
	return sig == SIGCONT && me->sid == t->sid;
}

static void user_info(siginfo_t *info, int sig, int code)
{
	memset(info, 0, sizeof(*info));
	info->si_signo = sig;
	info->si_code = code;
	if (current->task) {
		info->kill.pid = current_proc()->pid;
		info->kill.uid = current_proc()->uid;
	}
}

/* [P] */
static int kill_one(struct proc_ext *p, int sig, const siginfo_t *info)
{
	if (!may_signal(p, sig))
		return -EPERM;
	if (!sig)
		return 0;
	return send_signal_info(NULL, p, sig, info);
}

static int kill_pgrp_locked(pid_t pgid, int sig, const siginfo_t *info, bool check)
{
	struct list_head *pos;
	int found = 0, err = -ESRCH;

	list_for_each(pos, &all_procs) {
		struct proc_ext *p = list_entry(pos, struct proc_ext, all_link);
		if (p->pub.pgid != pgid || p->zombie)
			continue;
		found++;
		int r = check ? kill_one(p, sig, info) : (sig ? send_signal_info(NULL, p, sig, info) : 0);
		if (r == 0 || err == -ESRCH)
			err = r;
	}
	return found ? (err == -ESRCH ? 0 : err) : -ESRCH;
}

SYSCALL_DEFINE(62, kill)
{
	pid_t pid = (pid_t)a0;
	int sig = (int)a1;
	siginfo_t info;
	int err;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	user_info(&info, sig, SI_USER);
	u64 f = spin_lock_irqsave(&proc_lock);
	if (pid > 0) {
		struct proc_ext *p = proc_lookup(pid);
		err = p ? (p->zombie ? (may_signal(p, sig) ? 0 : -EPERM) : kill_one(p, sig, &info)) : -ESRCH;
	} else if (pid == 0) {
		err = kill_pgrp_locked(current_proc()->pgid, sig, &info, true);
	} else if (pid == -1) {
		struct list_head *pos;
		int count = 0, retval = 0;
		list_for_each(pos, &all_procs) {
			struct proc_ext *p = list_entry(pos, struct proc_ext, all_link);
			if (p == init_proc || p == cur_px() || p->zombie)
				continue;
			int r = kill_one(p, sig, &info);
			count++;
			if (r != -EPERM)
				retval = r;
			else if (!retval)
				retval = r;
		}
		err = count ? retval : -ESRCH;
	} else {
		if (pid == INT32_MIN) {
			spin_unlock_irqrestore(&proc_lock, f);
			return -ESRCH;
		}
		err = kill_pgrp_locked(-pid, sig, &info, true);
	}
	spin_unlock_irqrestore(&proc_lock, f);
	return err;
}

static long do_tkill(pid_t tgid, pid_t tid, int sig, const siginfo_t *info)
{
	int err = -ESRCH;
	u64 f = spin_lock_irqsave(&proc_lock);
	struct task_ext *t = task_lookup(tid);

	if (t && !t->exited && (tgid <= 0 || t->pub.proc->pid == tgid)) {
		struct proc_ext *p = px(t->pub.proc);
		if (!may_signal(p, sig))
			err = -EPERM;
		else
			err = sig ? send_signal_info(t, p, sig, info) : 0;
	}
	spin_unlock_irqrestore(&proc_lock, f);
	return err;
}

SYSCALL_DEFINE(200, tkill)
{
	siginfo_t info;

	if ((pid_t)a0 <= 0 || (int)a1 < 0 || (int)a1 > NSIG)
		return -EINVAL;
	user_info(&info, (int)a1, SI_TKILL);
	return do_tkill(0, (pid_t)a0, (int)a1, &info);
}

SYSCALL_DEFINE(234, tgkill)
{
	siginfo_t info;

	if ((pid_t)a0 <= 0 || (pid_t)a1 <= 0 || (int)a2 < 0 || (int)a2 > NSIG)
		return -EINVAL;
	user_info(&info, (int)a2, SI_TKILL);
	return do_tkill((pid_t)a0, (pid_t)a1, (int)a2, &info);
}

static int copy_queue_info(siginfo_t *info, u64 uinfo, int sig, pid_t target)
{
	if (copy_from_user(info, (void *)uinfo, sizeof(*info)))
		return -EFAULT;
	if ((info->si_code >= 0 || info->si_code == SI_TKILL) && target != current_proc()->pid)
		return -EPERM;
	info->si_signo = sig;
	return 0;
}

SYSCALL_DEFINE(129, rt_sigqueueinfo)
{
	siginfo_t info;
	int sig = (int)a1, err;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if ((err = copy_queue_info(&info, a2, sig, (pid_t)a0)))
		return err;
	if ((pid_t)a0 <= 0)
		return -ESRCH;
	u64 f = spin_lock_irqsave(&proc_lock);
	struct proc_ext *p = proc_lookup((pid_t)a0);
	err = p ? (p->zombie ? 0 : kill_one(p, sig, &info)) : -ESRCH;
	spin_unlock_irqrestore(&proc_lock, f);
	return err;
}

SYSCALL_DEFINE(297, rt_tgsigqueueinfo)
{
	siginfo_t info;
	int sig = (int)a2, err;

	if ((pid_t)a0 <= 0 || (pid_t)a1 <= 0 || sig < 0 || sig > NSIG)
		return -EINVAL;
	if ((err = copy_queue_info(&info, a3, sig, (pid_t)a0)))
		return err;
	return do_tkill((pid_t)a0, (pid_t)a1, sig, &info);
}

SYSCALL_DEFINE(13, rt_sigaction)
{
	int sig = (int)a0;
	struct k_sigaction act, old;

	if (a3 != sizeof(sigset_t))
		return -EINVAL;
	if (!valid_sig(sig) || (a1 && (sig == SIGKILL || sig == SIGSTOP)))
		return -EINVAL;
	if (a1 && copy_from_user(&act, (void *)a1, sizeof(act)))
		return -EFAULT;
	struct proc_ext *p = cur_px();
	u64 f = spin_lock_irqsave(&proc_lock);
	struct k_sigaction *ka = &p->sighand->action[sig - 1];
	old = *ka;
	if (a1) {
		act.mask &= ~SIG_KERNEL_ONLY;
		*ka = act;
		bool ign = act.handler == SIG_IGN ||
			   (act.handler == SIG_DFL && (sigmask(sig) & (sigmask(SIGCHLD) | sigmask(SIGURG) |
								       sigmask(SIGWINCH) | sigmask(SIGCONT))));
		if (ign)
			proc_remove_pending(p, sigmask(sig));
	}
	spin_unlock_irqrestore(&proc_lock, f);
	if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(14, rt_sigprocmask)
{
	int how = (int)a0;
	sigset_t set, old;
	struct task_ext *t = cur_tx();

	if (a3 != sizeof(sigset_t))
		return -EINVAL;
	if (a1 && copy_from_user(&set, (void *)a1, sizeof(set)))
		return -EFAULT;
	u64 f = spin_lock_irqsave(&proc_lock);
	old = t->blocked;
	if (a1) {
		switch (how) {
		case SIG_BLOCK:
			set_blocked(t, old | set);
			break;
		case SIG_UNBLOCK:
			set_blocked(t, old & ~set);
			break;
		case SIG_SETMASK:
			set_blocked(t, set);
			break;
		default:
			spin_unlock_irqrestore(&proc_lock, f);
			return -EINVAL;
		}
	}
	spin_unlock_irqrestore(&proc_lock, f);
	if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(127, rt_sigpending)
{
	struct task_ext *t = cur_tx();

	if (a1 > sizeof(sigset_t))
		return -EINVAL;
	u64 f = spin_lock_irqsave(&proc_lock);
	sigset_t s = (t->pending.set | cur_px()->shared.set) & t->blocked;
	spin_unlock_irqrestore(&proc_lock, f);
	return copy_to_user((void *)a0, &s, a1) ? -EFAULT : 0;
}

static void sleep_until_signal(void)
{
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (signal_pending())
			break;
		schedule();
	}
	set_current_state(TASK_RUNNING);
}

SYSCALL_DEFINE(130, rt_sigsuspend)
{
	struct task_ext *t = cur_tx();
	sigset_t set;

	if (a1 != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&set, (void *)a0, sizeof(set)))
		return -EFAULT;
	u64 f = spin_lock_irqsave(&proc_lock);
	t->saved_mask = t->blocked;
	set_blocked(t, set);
	spin_unlock_irqrestore(&proc_lock, f);
	t->restore_mask = true;
	sleep_until_signal();
	return -ERESTARTNOHAND;
}

/* See include/skiff/task.h. The saved mask is the one sigsuspend uses:
 * signals_deliver() builds a handler's frame with it and puts it back when
 * no handler runs (Linux's set_restore_sigmask). */
int sigmask_set_temporary(u64 umask, u64 sigsetsize)
{
	struct task_ext *t = cur_tx();
	sigset_t set;

	if (!umask)
		return 0;
	if (sigsetsize != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&set, (void *)umask, sizeof(set)))
		return -EFAULT;
	u64 f = spin_lock_irqsave(&proc_lock);
	t->saved_mask = t->blocked;
	set_blocked(t, set);
	spin_unlock_irqrestore(&proc_lock, f);
	t->restore_mask = true;
	return 0;
}

void sigmask_restore_unless(bool interrupted)
{
	struct task_ext *t = cur_tx();

	if (interrupted || !t->restore_mask)
		return;
	t->restore_mask = false;
	u64 f = spin_lock_irqsave(&proc_lock);
	set_blocked(t, t->saved_mask);
	spin_unlock_irqrestore(&proc_lock, f);
}

SYSCALL_DEFINE(34, pause)
{
	sleep_until_signal();
	return -ERESTARTNOHAND;
}

SYSCALL_DEFINE(128, rt_sigtimedwait)
{
	struct task_ext *t = cur_tx();
	sigset_t set;
	siginfo_t info;
	u64 deadline = 0;
	int sig;

	if (a3 != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&set, (void *)a0, sizeof(set)))
		return -EFAULT;
	set &= ~SIG_KERNEL_ONLY;
	if (a2) {
		struct timespec ts;
		if (copy_from_user(&ts, (void *)a2, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
			return -EINVAL;
		deadline = clock_monotonic_ns() + ts_to_ns(&ts);
		if (!deadline)
			deadline = 1;
	}
	for (;;) {
		u64 f = spin_lock_irqsave(&proc_lock);
		sig = dequeue_signal(t, set, &info);
		if (sig) {
			t->sigwait_mask = 0;
			spin_unlock_irqrestore(&proc_lock, f);
			break;
		}
		t->sigwait_mask = set;
		set_current_state(TASK_INTERRUPTIBLE);
		bool other = task_sig_pending(t);
		spin_unlock_irqrestore(&proc_lock, f);
		if (other) {
			set_current_state(TASK_RUNNING);
			t->sigwait_mask = 0;
			return -EINTR;
		}
		if (deadline && clock_monotonic_ns() >= deadline) {
			set_current_state(TASK_RUNNING);
			t->sigwait_mask = 0;
			return -EAGAIN;
		}
		if (deadline) {
			timer_arm(&current->sleep_timer, deadline);
			schedule();
			timer_cancel_sync(&current->sleep_timer);
		} else {
			schedule();
		}
		set_current_state(TASK_RUNNING);
	}
	if (a1 && copy_to_user((void *)a1, &info, sizeof(info)))
		return -EFAULT;
	return sig;
}

SYSCALL_DEFINE(131, sigaltstack)
{
	struct task_ext *t = cur_tx();
	stack_t ss, old;
	u64 sp = current_task()->uregs->rsp;
	bool on = !(t->altstack.ss_flags & SS_DISABLE) && sp > t->altstack.ss_sp &&
		  sp - t->altstack.ss_sp <= t->altstack.ss_size;

	old = t->altstack;
	old.ss_flags = on ? SS_ONSTACK : (t->altstack.ss_flags & SS_DISABLE) ? SS_DISABLE
		       : (t->altstack.ss_flags & (s32)SS_AUTODISARM);
	if (!(t->altstack.ss_flags & SS_DISABLE) && on)
		old.ss_flags |= t->altstack.ss_flags & (s32)SS_AUTODISARM;
	if (a0) {
		if (copy_from_user(&ss, (void *)a0, sizeof(ss)))
			return -EFAULT;
		if (on)
			return -EPERM;
		int mode = ss.ss_flags & ~(s32)SS_AUTODISARM;
		if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			t->altstack.ss_sp = 0;
			t->altstack.ss_size = 0;
			t->altstack.ss_flags = SS_DISABLE;
		} else {
			if (ss.ss_size < MINSIGSTKSZ)
				return -ENOMEM;
			t->altstack.ss_sp = ss.ss_sp;
			t->altstack.ss_size = ss.ss_size;
			t->altstack.ss_flags = ss.ss_flags & (s32)SS_AUTODISARM;
		}
	}
	if (a1) {
		if (old.ss_flags & SS_DISABLE) {
			old.ss_sp = 0;
			old.ss_size = 0;
		}
		if (copy_to_user((void *)a1, &old, sizeof(old)))
			return -EFAULT;
	}
	return 0;
}

/* ---- Kernel-side senders ---- */

int send_signal_process(struct process *p, int sig, int code)
{
	siginfo_t info;
	int err;

	user_info(&info, sig, code);
	if (code == SI_KERNEL)
		info.kill.pid = 0, info.kill.uid = 0;
	u64 f = spin_lock_irqsave(&proc_lock);
	err = send_signal_info(NULL, px(p), sig, &info);
	spin_unlock_irqrestore(&proc_lock, f);
	return err;
}

int send_signal_task(struct task *t, int sig, int code)
{
	siginfo_t info;
	int err;

	user_info(&info, sig, code);
	if (code == SI_KERNEL)
		info.kill.pid = 0, info.kill.uid = 0;
	u64 f = spin_lock_irqsave(&proc_lock);
	err = tx(t)->exited ? -ESRCH : send_signal_info(tx(t), px(t->proc), sig, &info);
	spin_unlock_irqrestore(&proc_lock, f);
	return err;
}

int send_signal_pgrp(pid_t pgid, int sig)
{
	siginfo_t info;
	int err;

	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = SI_KERNEL;
	u64 f = spin_lock_irqsave(&proc_lock);
	err = kill_pgrp_locked(pgid, sig, &info, false);
	spin_unlock_irqrestore(&proc_lock, f);
	return err;
}
