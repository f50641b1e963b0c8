/* Signal generation and delivery.
 *
 * Generation (send_signal_info, proc_lock held): stop/continue side effects
 * at send time as in Linux (a stop signal discards pending SIGCONT and vice
 * versa; SIGCONT and SIGKILL resume a stopped group), ignored signals are
 * dropped unless blocked, standard signals coalesce while pending, RT signals
 * queue one siginfo each. A process-directed signal is kept in the shared set
 * and one thread that does not block it is woken; a fatal one (SIGKILL, or a
 * default-terminate signal with no handler) starts the group exit at once:
 * every thread gets SIGKILL.
 *
 * Delivery (signals_deliver) runs on the way back to user mode with
 * interrupts on and no locks: job-control stops, default actions, handler
 * frames (arch/x86_64/signal.c), and system call restarts (-ERESTART*). */
#include <arch/cpu.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/smp.h>
#include <skiff/string.h>
#include <uapi/unistd.h>
#include "proc.h"

#define SIG_IGNORE_SET (sigmask(SIGCHLD) | sigmask(SIGURG) | sigmask(SIGWINCH) | sigmask(SIGCONT))
#define SIG_SYNC_SET (sigmask(SIGSEGV) | sigmask(SIGBUS) | sigmask(SIGILL) | sigmask(SIGTRAP) | \
		      sigmask(SIGFPE) | sigmask(SIGSYS))

void sigpending_init(struct sigpending *sp)
{
	sp->set = 0;
	list_init(&sp->queue);
}

void sigpending_flush(struct sigpending *sp)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &sp->queue) {
		list_del(pos);
		kfree(list_entry(pos, struct sigqueue, link));
	}
	sp->set = 0;
}

static void pending_remove(struct sigpending *sp, sigset_t mask)
{
	struct list_head *pos, *n;

	if (!(sp->set & mask))
		return;
	sp->set &= ~mask;
	list_for_each_safe(pos, n, &sp->queue) {
		struct sigqueue *q = list_entry(pos, struct sigqueue, link);
		if (mask & sigmask(q->info.si_signo)) {
			list_del(pos);
			kfree(q);
		}
	}
}

void proc_remove_pending(struct proc_ext *p, sigset_t mask)
{
	struct list_head *pos;

	pending_remove(&p->shared, mask);
	list_for_each(pos, &p->threads)
		pending_remove(&list_entry(pos, struct task_ext, thread_link)->pending, mask);
}

bool task_sig_pending(struct task_ext *t)
{
	struct proc_ext *p = px(t->pub.proc);

	return ((t->pending.set | p->shared.set) & ~t->blocked) || p->stopped;
}

bool signal_pending(void)
{
	struct task *tk = current_task();

	return tk && task_sig_pending(tx(tk));
}

/* Wake t so it notices a signal: out of an interruptible sleep (or a stop
 * when fatal), or out of user mode on another CPU. [P] */
void signal_wake(struct task_ext *t, bool fatal)
{
	struct thread *th = t->pub.thread;

	if (!th)
		return; /* not started yet: checks signals before entering user mode */
	if (!wake_up_thread(th, TASK_INTERRUPTIBLE | (fatal ? TASK_STOPPED : 0)) &&
	    READ_ONCE(th->on_cpu) && (unsigned)READ_ONCE(th->cpu) != this_cpu_id())
		smp_send_reschedule((unsigned)th->cpu);
}

static bool sig_ignored(struct proc_ext *p, int sig)
{
	u64 h = p->sighand->action[sig - 1].handler;

	/* init gets only the signals it has handlers for, SIGKILL and SIGSTOP
	 * from user space included (Linux: SIGNAL_UNKILLABLE); only a fault
	 * can kill it (force_sig_fault). */
	if (p == init_proc && h == SIG_DFL)
		return true;
	if (sig == SIGKILL || sig == SIGSTOP)
		return false;
	return h == SIG_IGN || (h == SIG_DFL && (SIG_IGNORE_SET & sigmask(sig)));
}

static bool sig_fatal_default(struct proc_ext *p, int sig)
{
	if (sig == SIGKILL)
		return true;
	if (p->sighand->action[sig - 1].handler != SIG_DFL)
		return false;
	return !(SIG_IGNORE_SET & sigmask(sig)) && !(SIG_STOP_SET & sigmask(sig));
}

/* The wait status of a death by sig. Linux sets the "core dumped" bit (0x80)
 * only when it wrote a core file; Skiff writes none (as Linux with the
 * default RLIMIT_CORE of 0), so a core-dumping signal reads as a plain kill. */
static int exit_status_for(int sig)
{
	return sig;
}

/* Begin a group exit with wait status code: every thread gets SIGKILL. [P] */
static void start_group_exit(struct proc_ext *p, int code)
{
	struct list_head *pos;

	if (!p->group_exiting) {
		p->group_exiting = true;
		p->group_exit_code = code;
	}
	p->stopped = false;
	list_for_each(pos, &p->threads) {
		struct task_ext *t = list_entry(pos, struct task_ext, thread_link);
		if (t->exited)
			continue;
		t->pending.set |= sigmask(SIGKILL);
		signal_wake(t, true);
	}
}

void kill_other_threads(struct proc_ext *p, struct task_ext *keep)
{
	struct list_head *pos;

	assert_held(&proc_lock);
	list_for_each(pos, &p->threads) {
		struct task_ext *t = list_entry(pos, struct task_ext, thread_link);
		if (t == keep || t->exited)
			continue;
		t->pending.set |= sigmask(SIGKILL);
		signal_wake(t, true);
	}
}

static bool wants(struct task_ext *t, int sig)
{
	return !t->exited && (!(t->blocked & sigmask(sig)) || (t->sigwait_mask & sigmask(sig)));
}

int send_signal_info(struct task_ext *tt, struct proc_ext *p, int sig, const siginfo_t *info)
{
	struct sigpending *sp = tt ? &tt->pending : &p->shared;
	struct list_head *pos;

	assert_held(&proc_lock);
	if (sig < 1 || sig > NSIG)
		return -EINVAL;
	if (p->zombie || (p->group_exiting && sig != SIGKILL))
		return 0;

	if (SIG_STOP_SET & sigmask(sig)) {
		proc_remove_pending(p, sigmask(SIGCONT));
	} else if (sig == SIGCONT || sig == SIGKILL) {
		proc_remove_pending(p, SIG_STOP_SET);
		if (p->stopped) {
			p->stopped = false;
			p->notify = CLD_CONTINUED;
			if (sig == SIGCONT)
				do_notify_parent(p, CLD_CONTINUED, SIGCONT);
			list_for_each(pos, &p->threads)
				signal_wake(list_entry(pos, struct task_ext, thread_link), true);
		}
	}

	struct task_ext *probe = tt;
	if (!probe && !list_empty(&p->threads))
		probe = list_first_entry(&p->threads, struct task_ext, thread_link);
	if (sig_ignored(p, sig) && !(probe && (probe->blocked & sigmask(sig))))
		return 0;
	if (sig < SIGRTMIN && (sp->set & sigmask(sig)))
		return 0;

	struct sigqueue *q = kmalloc(sizeof(*q));
	if (q) {
		q->info = *info;
		list_add_tail(&q->link, &sp->queue);
	} else if (sig >= SIGRTMIN && info->si_code != SI_USER) {
		return -EAGAIN;
	}
	sp->set |= sigmask(sig);

	/* Choose a thread to wake. */
	struct task_ext *target = NULL;
	if (tt) {
		target = tt;
	} else {
		struct task *ct = current_task();
		if (ct && ct->proc == &p->pub && wants(tx(ct), sig))
			target = tx(ct);
		list_for_each(pos, &p->threads) {
			struct task_ext *t = list_entry(pos, struct task_ext, thread_link);
			if (!target && wants(t, sig))
				target = t;
		}
	}
	/* A stopped group takes only SIGKILL now: anything else (a fatal
	 * SIGTERM too) stays pending until SIGCONT (Linux: wants_signal). */
	if (!target || (p->stopped && sig != SIGKILL))
		return 0;
	if (sig_fatal_default(p, sig) && !(target->blocked & sigmask(sig)) && !target->sigwait_mask) {
		start_group_exit(p, exit_status_for(sig));
		return 0;
	}
	signal_wake(target, sig == SIGKILL);
	return 0;
}

static int next_signal(sigset_t pend, sigset_t mask)
{
	sigset_t s = pend & mask;

	if (!s)
		return 0;
	if (s & SIG_SYNC_SET)
		s &= SIG_SYNC_SET;
	return __builtin_ctzll(s) + 1;
}

static void collect(struct sigpending *sp, int sig, siginfo_t *info)
{
	struct list_head *pos;
	struct sigqueue *found = NULL;
	bool more = false;

	list_for_each(pos, &sp->queue) {
		struct sigqueue *q = list_entry(pos, struct sigqueue, link);
		if (q->info.si_signo != sig)
			continue;
		if (found) {
			more = true;
			break;
		}
		found = q;
	}
	if (found) {
		*info = found->info;
		list_del(&found->link);
		kfree(found);
		if (info->si_code == SI_TIMER)
			posix_timer_dequeued(px(current_proc()), info->timer.tid, info->timer.overrun);
	} else {
		memset(info, 0, sizeof(*info));
		info->si_signo = sig;
		info->si_code = SI_USER;
	}
	if (!more)
		sp->set &= ~sigmask(sig);
}

int dequeue_signal(struct task_ext *t, sigset_t mask, siginfo_t *info)
{
	struct proc_ext *p = px(t->pub.proc);
	int sig;

	assert_held(&proc_lock);
	sig = next_signal(t->pending.set, mask);
	if (sig) {
		collect(&t->pending, sig, info);
		return sig;
	}
	sig = next_signal(p->shared.set, mask);
	if (sig)
		collect(&p->shared, sig, info);
	return sig;
}

void set_blocked(struct task_ext *t, sigset_t mask)
{
	assert_held(&proc_lock);
	t->blocked = mask & ~SIG_KERNEL_ONLY;
}

/* SIGCHLD (or the exit signal) to p's parent about a stop, continue or exit. [P] */
void do_notify_parent(struct proc_ext *p, int why, int status)
{
	struct process *pp = p->pub.parent;
	siginfo_t info;
	int sig = why == CLD_EXITED || why == CLD_KILLED || why == CLD_DUMPED ? p->exit_signal : SIGCHLD;

	if (!pp)
		return;
	struct proc_ext *parent = px(pp);
	if (why == CLD_STOPPED || why == CLD_CONTINUED) {
		if (parent->sighand->action[SIGCHLD - 1].flags & SA_NOCLDSTOP)
			sig = 0;
	}
	if (sig > 0) {
		memset(&info, 0, sizeof(info));
		info.si_signo = sig;
		info.si_code = why;
		info.chld.pid = p->pub.pid;
		info.chld.uid = p->pub.uid;
		info.chld.status = status;
		u64 ut, st;
		proc_cputime(p, &ut, &st);
		info.chld.utime = (s64)(ut / 10000000);
		info.chld.stime = (s64)(st / 10000000);
		send_signal_info(NULL, parent, sig, &info);
	}
	wake_up_all(&parent->child_wq);
}

void force_sig_fault(int sig, int code, u64 addr)
{
	struct task_ext *t = cur_tx();
	struct proc_ext *p = cur_px();
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = code;
	info.fault.addr = addr;
	u64 f = spin_lock_irqsave(&proc_lock);
	struct k_sigaction *ka = &p->sighand->action[sig - 1];
	if (ka->handler == SIG_IGN || (t->blocked & sigmask(sig))) {
		ka->handler = SIG_DFL;
		t->blocked &= ~sigmask(sig);
	}
	/* A fault while a handler frame could not be built, or one init has no
	 * handler for: kill outright. */
	if ((t->pending.set & sigmask(sig)) || (p == init_proc && ka->handler == SIG_DFL))
		start_group_exit(p, exit_status_for(sig));
	else
		send_signal_info(t, p, sig, &info);
	spin_unlock_irqrestore(&proc_lock, f);
}

/* Restart or fail an interrupted system call; has_handler tells whether a
 * handler frame is about to be built (with its SA_RESTART flag). */
static void handle_restart(struct task_ext *t, struct trap_frame *tf, bool has_handler, bool sa_restart)
{
	if (!t->in_syscall)
		return;
	t->in_syscall = false;
	switch ((long)tf->rax) {
	case -ERESTARTNOHAND:
		if (has_handler) {
			tf->rax = (u64)-EINTR;
			return;
		}
		break;
	case -ERESTART_RESTARTBLOCK:
		if (has_handler) {
			tf->rax = (u64)-EINTR;
			return;
		}
		tf->rax = __NR_restart_syscall;
		tf->rip -= 2;
		return;
	case -ERESTARTSYS:
		if (has_handler && !sa_restart) {
			tf->rax = (u64)-EINTR;
			return;
		}
		break;
	case -ERESTARTNOINTR:
		break;
	default:
		return;
	}
	tf->rax = t->orig_rax;
	tf->rip -= 2;
}

void signals_deliver(struct trap_frame *tf)
{
	struct task_ext *t = cur_tx();
	struct proc_ext *p = cur_px();
	siginfo_t info;
	int sig;

	for (;;) {
		u64 f = spin_lock_irqsave(&proc_lock);
		if (p->exec_waiter && p->exec_waiter != t && !p->group_exiting) {
			/* Another thread is in execve (de_thread): just go. */
			spin_unlock_irqrestore(&proc_lock, f);
			do_exit(0);
		}
		if (p->group_exiting || (t->pending.set & sigmask(SIGKILL))) {
			int code = p->group_exiting ? p->group_exit_code : SIGKILL;
			spin_unlock_irqrestore(&proc_lock, f);
			do_group_exit(code);
		}
		if (p->stopped) {
			set_current_state(TASK_STOPPED);
			spin_unlock_irqrestore(&proc_lock, f);
			schedule();
			set_current_state(TASK_RUNNING);
			continue;
		}
		sig = dequeue_signal(t, ~t->blocked, &info);
		if (!sig) {
			spin_unlock_irqrestore(&proc_lock, f);
			break;
		}
		struct k_sigaction ka = p->sighand->action[sig - 1];
		if (ka.handler == SIG_IGN && sig != SIGKILL && sig != SIGSTOP) {
			spin_unlock_irqrestore(&proc_lock, f);
			continue;
		}
		if (ka.handler == SIG_DFL || sig == SIGKILL || sig == SIGSTOP) {
			/* (queued while blocked, or the handler reset since) */
			if ((SIG_IGNORE_SET & sigmask(sig)) || p == init_proc) {
				spin_unlock_irqrestore(&proc_lock, f);
				continue;
			}
			if (SIG_STOP_SET & sigmask(sig)) {
				/* The job-control stops do nothing to an orphaned
				 * group (children of init count as such: a login
				 * shell as PID 1 gets no ^Z); SIGSTOP always stops
				 * (Linux: get_signal). */
				if (sig != SIGSTOP && pgrp_orphaned_without(p->pub.pgid, NULL)) {
					spin_unlock_irqrestore(&proc_lock, f);
					continue;
				}
				p->stopped = true;
				p->stop_sig = sig;
				p->notify = CLD_STOPPED;
				do_notify_parent(p, CLD_STOPPED, sig);
				struct list_head *pos;
				list_for_each(pos, &p->threads) {
					struct task_ext *o = list_entry(pos, struct task_ext, thread_link);
					if (o != t)
						signal_wake(o, false);
				}
				spin_unlock_irqrestore(&proc_lock, f);
				continue;
			}
			start_group_exit(p, exit_status_for(sig));
			spin_unlock_irqrestore(&proc_lock, f);
			do_group_exit(exit_status_for(sig));
		}
		/* A handler: build its frame. The frame saves the mask to come
		 * back to (sigsuspend's or ppoll's caller's); the handler runs
		 * with the mask in force now plus its own (Linux's
		 * sigmask_to_save and signal_delivered). */
		sigset_t old = t->restore_mask ? t->saved_mask : t->blocked;
		sigset_t now = t->blocked;
		if (ka.flags & SA_RESETHAND)
			p->sighand->action[sig - 1].handler = SIG_DFL;
		spin_unlock_irqrestore(&proc_lock, f);

		handle_restart(t, tf, true, ka.flags & SA_RESTART);
		t->restore_mask = false;
		if (arch_setup_rt_frame(tf, sig, &ka, &info, old) < 0) {
			f = spin_lock_irqsave(&proc_lock);
			start_group_exit(p, exit_status_for(SIGSEGV));
			spin_unlock_irqrestore(&proc_lock, f);
			do_group_exit(exit_status_for(SIGSEGV));
		}
		f = spin_lock_irqsave(&proc_lock);
		set_blocked(t, now | ka.mask | ((ka.flags & SA_NODEFER) ? 0 : sigmask(sig)));
		spin_unlock_irqrestore(&proc_lock, f);
		return;
	}
	handle_restart(t, tf, false, false);
	if (t->restore_mask) {
		t->restore_mask = false;
		u64 f = spin_lock_irqsave(&proc_lock);
		set_blocked(t, t->saved_mask);
		spin_unlock_irqrestore(&proc_lock, f);
	}
}

void signals_restart_syscall(struct trap_frame *tf)
{
	handle_restart(cur_tx(), tf, false, false);
}

/* execve: caught signals go back to SIG_DFL; ignored ones stay ignored. */
void signals_flush_handlers_on_exec(struct proc_ext *p)
{
	u64 f = spin_lock_irqsave(&proc_lock);
	for (int i = 0; i < NSIG; i++) {
		struct k_sigaction *ka = &p->sighand->action[i];
		if (ka->handler != SIG_IGN)
			ka->handler = SIG_DFL;
		ka->flags = 0;
		ka->restorer = 0;
		ka->mask = 0;
	}
	spin_unlock_irqrestore(&proc_lock, f);
}

/* For the tty layer's job control (drivers/tty/tty_jobctl.c): a
 * background read or write is refused with EIO rather than stopping the
 * caller when the signal would have no effect, as Linux's is_ignored(). */
bool current_signal_ignored_or_blocked(int sig)
{
	struct task *t = current_task();

	if (!t || sig < 1 || sig > NSIG)
		return false;
	return px(t->proc)->sighand->action[sig - 1].handler == SIG_IGN ||
	       (tx(t)->blocked & sigmask(sig));
}
