/* Thread and process exit, zombies, reaping, wait4/waitid.
 *
 * The last thread of a process to exit releases the address space, files
 * and fs context, reparents the children to init, becomes a zombie and tells
 * the parent (its exit signal, usually SIGCHLD) — or is reaped at once when
 * the parent ignores SIGCHLD or set SA_NOCLDWAIT. The leader's task stays in
 * the tid hash until the reap so its pid is not reused early. */
#include <skiff/errno.h>
#include <skiff/futex.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include <skiff/vfs.h>
#include <skiff/vm.h>
#include <uapi/wait.h>
#include "proc.h"

void arch_drop_user_mm(void);

/* p's user and system ns: its exited threads' plus each live thread's split
 * (kernel/sched/cputime.c), running slices included. Each thread's part
 * never goes down and moves whole into dead_* when it exits, so neither
 * total ever goes down. [P] */
void proc_cputime(struct proc_ext *p, u64 *utime, u64 *stime)
{
	struct list_head *pos;
	u64 u = p->dead_utime_ns, s = p->dead_stime_ns;

	list_for_each(pos, &p->threads) {
		struct task_ext *t = list_entry(pos, struct task_ext, thread_link);
		struct cputime ct;
		if (t->exited || !t->pub.thread)
			continue;
		sched_thread_cputime(t->pub.thread, &ct);
		u += ct.utime;
		s += ct.stime;
	}
	*utime = u;
	*stime = s;
}

/* Give p's children to init. [P] */
void proc_reparent_children(struct proc_ext *p)
{
	struct list_head *pos, *n;
	bool zombies = false;

	list_for_each_safe(pos, n, &p->children) {
		struct proc_ext *c = list_entry(pos, struct proc_ext, sibling);
		list_del(&c->sibling);
		c->pub.parent = &init_proc->pub;
		list_add_tail(&c->sibling, &init_proc->children);
		if (c->pdeath_signal) {
			siginfo_t info = { .si_signo = c->pdeath_signal, .si_code = SI_USER };
			send_signal_info(NULL, c, c->pdeath_signal, &info);
		}
		if (c->zombie)
			zombies = true;
	}
	if (zombies)
		wake_up_all(&init_proc->child_wq);
}

/* POSIX orphaned process groups (Linux's kill_orphaned_pgrp). A group is
 * orphaned when no member other than `ignore` (exiting) has a parent in
 * another group of the same session; neither init nor `ignore` (may be
 * NULL) counts as such a parent. [P] */
bool pgrp_orphaned_without(pid_t pgid, struct proc_ext *ignore)
{
	struct proc_ext *q;

	list_for_each_entry(q, &all_procs, all_link) {
		struct process *par = q->pub.parent;
		if (q == ignore || q->zombie || q->pub.pgid != pgid || !par || par->pid == 1 ||
		    (ignore && par == &ignore->pub))
			continue;
		if (par->pgid != pgid && par->sid == q->pub.sid)
			return false;
	}
	return true;
}

static bool pgrp_has_stopped(pid_t pgid)
{
	struct proc_ext *q;

	list_for_each_entry(q, &all_procs, all_link)
		if (!q->zombie && q->pub.pgid == pgid && q->stopped)
			return true;
	return false;
}

/* A group that becomes orphaned while it has stopped members gets SIGHUP
 * then SIGCONT, or nothing could ever continue them. */
static void hup_orphaned(pid_t pgid, struct proc_ext *exiting)
{
	if (!pgrp_orphaned_without(pgid, exiting) || !pgrp_has_stopped(pgid))
		return;
	struct proc_ext *q;
	list_for_each_entry(q, &all_procs, all_link) {
		if (q->zombie || q->pub.pgid != pgid)
			continue;
		siginfo_t hup = { .si_signo = SIGHUP, .si_code = SI_KERNEL };
		siginfo_t cont = { .si_signo = SIGCONT, .si_code = SI_KERNEL };
		send_signal_info(NULL, q, SIGHUP, &hup);
		send_signal_info(NULL, q, SIGCONT, &cont);
	}
}

/* p is exiting: its own group (if p's parent was what kept it joined to
 * the session) and its children's groups (p was their link). Before the
 * children move to init. [P] */
static void kill_orphaned_pgrps(struct proc_ext *p)
{
	struct process *par = p->pub.parent;
	struct proc_ext *c;

	if (par && par->pgid != p->pub.pgid && par->sid == p->pub.sid)
		hup_orphaned(p->pub.pgid, p);
	list_for_each_entry(c, &p->children, sibling)
		if (c->pub.pgid != p->pub.pgid && c->pub.sid == p->pub.sid)
			hup_orphaned(c->pub.pgid, p);
}

static void reap(struct proc_ext *c);

__noreturn void do_exit(int code)
{
	struct task_ext *t = cur_tx();
	struct proc_ext *p = cur_px();
	struct thread *th = current;

	futex_exit_robust(&t->pub);
	if (t->clear_child_tid) {
		u32 *addr = (u32 *)t->clear_child_tid;
		if (put_user_u32(0, addr) == 0)
			futex_wake(addr, false, 1, ~0u);
	}

	/* Detach from the scheduler thread first, with the lock held: once
	 * nr_threads drops, de_thread or a reap may free t, and the scheduler
	 * must no longer find it through th->task (nor signal senders find a
	 * thread that is about to be freed through t->pub.thread). */
	u64 f = spin_lock_irqsave(&proc_lock);
	th->task = NULL;
	t->pub.thread = NULL;
	arch_drop_user_mm();
	t->exited = true;
	struct cputime ct;
	sched_thread_cputime(th, &ct);
	p->dead_utime_ns += ct.utime;
	p->dead_stime_ns += ct.stime;
	bool last = --p->nr_threads == 0;
	nr_threads_all--;
	bool leader = t->pub.tid == p->pub.pid;
	if (!leader) {
		list_del(&t->thread_link);
		task_hash_del(t);
	}
	if (!last && p->exec_waiter)
		wake_up_thread(p->exec_waiter->pub.thread, TASK_NORMAL);
	if (!p->group_exiting && last)
		p->group_exit_code = (code & 0xff) << 8;
	spin_unlock_irqrestore(&proc_lock, f);

	if (last) {
		itimers_exit(p);
		if (p->pub.files)
			files_put(p->pub.files);
		if (p->pub.fs)
			fs_put(p->pub.fs);
		p->pub.files = NULL;
		p->pub.fs = NULL;
		vfork_release(p);
		/* Unpublish under proc_lock before the put: /proc readers take
		 * their reference under the same lock (procinfo.c get_vm). */
		f = spin_lock_irqsave(&proc_lock);
		struct mm *mm = p->pub.mm;
		p->pub.mm = NULL;
		spin_unlock_irqrestore(&proc_lock, f);
		if (mm)
			mm_put(mm);

		f = spin_lock_irqsave(&proc_lock);
		if (p == init_proc)
			panic("Attempted to kill init! exitcode=0x%08x", p->group_exit_code);
		kill_orphaned_pgrps(p);
		proc_reparent_children(p);
		p->zombie = true;
		int st = p->group_exit_code;
		int why = (st & 0x7f) ? ((st & 0x80) ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED;
		struct proc_ext *parent = px(p->pub.parent);
		struct k_sigaction *ka = &parent->sighand->action[SIGCHLD - 1];
		bool autoreap = p->exit_signal == SIGCHLD &&
				(ka->handler == SIG_IGN || (ka->flags & SA_NOCLDWAIT));
		if (p->exit_signal <= 0 && !autoreap)
			p->exit_signal = 0;
		do_notify_parent(p, why, why == CLD_EXITED ? (st >> 8) & 0xff : st & 0x7f);
		if (autoreap)
			reap(p);
		spin_unlock_irqrestore(&proc_lock, f);
		tasks_flush_deferred();
	}
	if (!leader)
		task_put(&t->pub);
	kthread_exit(0);
}

__noreturn void do_group_exit(int status)
{
	struct proc_ext *p = cur_px();
	u64 f = spin_lock_irqsave(&proc_lock);

	if (!p->group_exiting) {
		p->group_exiting = true;
		p->group_exit_code = status;
		kill_other_threads(p, cur_tx());
	}
	status = p->group_exit_code;
	spin_unlock_irqrestore(&proc_lock, f);
	do_exit(status >> 8);
}

SYSCALL_DEFINE(60, exit)
{
	do_exit((int)a0);
}

SYSCALL_DEFINE(231, exit_group)
{
	do_group_exit(((int)a0 & 0xff) << 8);
}

/* Remove a zombie for good. [P] */
static void reap(struct proc_ext *c)
{
	struct proc_ext *parent = px(c->pub.parent);
	u64 ut, st;

	proc_cputime(c, &ut, &st);
	parent->child_utime_ns += ut + c->child_utime_ns;
	parent->child_stime_ns += st + c->child_stime_ns;
	c->reaped = true;
	list_del(&c->sibling);
	list_init(&c->sibling);
	list_del(&c->all_link);
	list_init(&c->all_link);
	/* The leader task (still hashed) and the "unreaped" reference go. The
	 * frees happen outside any sleeping context but under proc_lock: they
	 * only call kfree/free_page. */
	if (!list_empty(&c->threads)) {
		struct task_ext *leader = list_first_entry(&c->threads, struct task_ext, thread_link);
		list_del(&leader->thread_link);
		task_hash_del(leader);
		task_put_deferred(leader);
	}
	process_put(&c->pub);
}

struct wait_opts {
	int type;        /* P_ALL, P_PID, P_PGID */
	pid_t id;
	int options;
	/* result */
	pid_t pid;
	u32 uid;
	int status;      /* wait4 status word */
	int code;        /* CLD_* */
	int si_status;
	u64 utime, stime;
};

static bool matches(struct proc_ext *c, struct wait_opts *w)
{
	if (w->type == P_PID && c->pub.pid != w->id)
		return false;
	if (w->type == P_PGID && c->pub.pgid != w->id)
		return false;
	if (w->options & __WALL)
		return true;
	bool clone_child = c->exit_signal != SIGCHLD;
	return !!(w->options & __WCLONE) == clone_child;
}

/* The times wait4/waitid report for c (Linux's RUSAGE_BOTH): its own and
 * those of the children it reaped. [P] */
static void wait_times(struct proc_ext *c, struct wait_opts *w)
{
	proc_cputime(c, &w->utime, &w->stime);
	w->utime += c->child_utime_ns;
	w->stime += c->child_stime_ns;
}

/* One pass over the children. Returns pid > 0 with w filled, 0 when a child
 * exists but has nothing to report, -ECHILD when none matches. [P] */
static int wait_scan(struct proc_ext *me, struct wait_opts *w)
{
	struct list_head *pos, *n;
	bool any = false;

	list_for_each_safe(pos, n, &me->children) {
		struct proc_ext *c = list_entry(pos, struct proc_ext, sibling);
		if (!matches(c, w))
			continue;
		any = true;
		w->pid = c->pub.pid;
		w->uid = c->pub.uid;
		if (c->zombie && (w->options & WEXITED)) {
			int st = c->group_exit_code;
			w->status = st;
			w->code = (st & 0x7f) ? ((st & 0x80) ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED;
			w->si_status = w->code == CLD_EXITED ? (st >> 8) & 0xff : st & 0x7f;
			wait_times(c, w);
			if (!(w->options & WNOWAIT))
				reap(c);
			return w->pid;
		}
		if (c->stopped && c->notify == CLD_STOPPED && (w->options & WSTOPPED)) {
			w->status = (c->stop_sig << 8) | 0x7f;
			w->code = CLD_STOPPED;
			w->si_status = c->stop_sig;
			wait_times(c, w);
			if (!(w->options & WNOWAIT))
				c->notify = 0;
			return w->pid;
		}
		if (c->notify == CLD_CONTINUED && (w->options & WCONTINUED)) {
			w->status = 0xffff;
			w->code = CLD_CONTINUED;
			w->si_status = SIGCONT;
			wait_times(c, w);
			if (!(w->options & WNOWAIT))
				c->notify = 0;
			return w->pid;
		}
	}
	return any ? 0 : -ECHILD;
}

static long do_wait(struct wait_opts *w)
{
	struct proc_ext *me = cur_px();

	for (;;) {
		struct waiter wt = { 0 };
		prepare_to_wait(&me->child_wq, &wt, TASK_INTERRUPTIBLE);
		u64 f = spin_lock_irqsave(&proc_lock);
		int r = wait_scan(me, w);
		spin_unlock_irqrestore(&proc_lock, f);
		tasks_flush_deferred();
		if (r != 0 || (w->options & WNOHANG)) {
			finish_wait(&me->child_wq, &wt);
			return r;
		}
		if (signal_pending()) {
			finish_wait(&me->child_wq, &wt);
			return -ERESTARTSYS;
		}
		schedule();
		finish_wait(&me->child_wq, &wt);
	}
}

static void fill_rusage(struct rusage *ru, u64 ut, u64 st)
{
	memset(ru, 0, sizeof(*ru));
	ru->ru_utime.tv_sec = (s64)(ut / 1000000000ull);
	ru->ru_utime.tv_usec = (s64)(ut % 1000000000ull / 1000);
	ru->ru_stime.tv_sec = (s64)(st / 1000000000ull);
	ru->ru_stime.tv_usec = (s64)(st % 1000000000ull / 1000);
}

SYSCALL_DEFINE(61, wait4)
{
	pid_t pid = (pid_t)a0;
	int options = (int)a2;
	struct wait_opts w = { 0 };

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	w.options = options | WEXITED;
	if (pid > 0) {
		w.type = P_PID;
		w.id = pid;
	} else if (pid == 0) {
		w.type = P_PGID;
		w.id = current_proc()->pgid;
	} else if (pid < -1) {
		w.type = P_PGID;
		w.id = -pid;
	} else {
		w.type = P_ALL;
	}
	long r = do_wait(&w);
	if (r <= 0)
		return r;
	if (a1 && put_user_u32((u32)w.status, (void *)a1))
		return -EFAULT;
	if (a3) {
		struct rusage ru;
		fill_rusage(&ru, w.utime, w.stime);
		if (copy_to_user((void *)a3, &ru, sizeof(ru)))
			return -EFAULT;
	}
	return r;
}

SYSCALL_DEFINE(247, waitid)
{
	int type = (int)a0, options = (int)a3;
	struct wait_opts w = { 0 };

	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (type) {
	case P_ALL:
		break;
	case P_PID:
	case P_PGID:
		if ((s32)a1 <= 0)
			return -EINVAL;
		w.id = (pid_t)a1;
		break;
	default:
		return -EINVAL;
	}
	w.type = type;
	w.options = options;
	long r = do_wait(&w);
	if (r < 0)
		return r;
	if (a2) {
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		if (r > 0) {
			info.si_signo = SIGCHLD;
			info.si_code = w.code;
			info.chld.pid = w.pid;
			info.chld.uid = w.uid;
			info.chld.status = w.si_status;
		}
		if (copy_to_user((void *)a2, &info, sizeof(info)))
			return -EFAULT;
	}
	if (a4) {
		struct rusage ru;
		fill_rusage(&ru, w.utime, w.stime);
		if (copy_to_user((void *)a4, &ru, sizeof(ru)))
			return -EFAULT;
	}
	return 0;
}
