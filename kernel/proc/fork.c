/* fork, vfork, clone, clone3.
 *
 * A new thread (CLONE_THREAD) joins the caller's process; anything else is a
 * new process that shares or copies the address space (CLONE_VM), the
 * descriptor table (CLONE_FILES), the fs context (CLONE_FS: copied — the VFS
 * interface has no shared reference yet) and the signal handlers
 * (CLONE_SIGHAND). The child starts in user mode with the caller's registers
 * and rax = 0, on the given stack, with the given TLS. */
#include <arch/fpu.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/procinfo.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include <skiff/vfs.h>
#include <skiff/vm.h>
#include <uapi/sched.h>
#include "proc.h"

#define CLONE_NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
			CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

struct clone_req {
	u64 flags;
	u64 stack;
	u64 parent_tid;
	u64 child_tid;
	u64 tls;
	int exit_signal;
};

static char *kdup(const char *s, u32 len)
{
	char *d;

	if (!s || !len)
		return NULL;
	d = kmalloc(len);
	if (d)
		memcpy(d, s, len);
	return d;
}

int nr_threads_all;

/* Linux's max_threads: RAM / (THREAD_SIZE * 8) with 16 KiB kernel stacks
 * (KSTACK_PAGES), within [20, FUTEX_TID_MASK]. Past it clone() fails with
 * EAGAIN for every user, root included, before memory runs out. */
u64 procinfo_threads_max(void)
{
	u64 n = mm_total_pages() / (KSTACK_PAGES * 8);

	return n < 20 ? 20 : n > 0x3fffffff ? 0x3fffffff : n;
}

/* The tasks RLIMIT_NPROC counts for uid: live threads, and a process whose
 * last thread has exited counts one until it is reaped (Linux drops the
 * count in release_task) -- also in the window between its last thread's
 * exit and its becoming a zombie, when nr_threads is already 0 (a fork
 * there used to slip past the limit). A process is on all_procs only with
 * its first thread counted (copy_process adds both under one hold). [P] */
static u64 threads_of_user(u32 uid)
{
	struct list_head *pos;
	u64 n = 0;

	list_for_each(pos, &all_procs) {
		struct proc_ext *p = list_entry(pos, struct proc_ext, all_link);
		if (p->pub.uid == uid)
			n += p->nr_threads ? (u64)p->nr_threads : 1;
	}
	return n;
}

/* Would one more task for cp break RLIMIT_NPROC (never for real uid 0) or
 * threads-max? Checked again where the task is counted, under the same
 * hold of proc_lock, so concurrent forks cannot all slip in. [P] */
static bool over_task_limits(struct proc_ext *cp)
{
	return (cp->pub.uid != 0 && threads_of_user(cp->pub.uid) >= cp->rlim[RLIMIT_NPROC].rlim_cur) ||
	       (u64)nr_threads_all >= procinfo_threads_max();
}

static struct proc_ext *copy_process_state(struct proc_ext *cur, u64 flags)
{
	struct proc_ext *p = proc_alloc();

	if (!p)
		return NULL;
	struct process *c = &cur->pub, *n = &p->pub;
	n->uid = c->uid; n->euid = c->euid; n->suid = c->suid; n->fsuid = c->fsuid;
	n->gid = c->gid; n->egid = c->egid; n->sgid = c->sgid; n->fsgid = c->fsgid;
	n->pgid = c->pgid;
	n->sid = c->sid;
	memcpy(n->comm, c->comm, sizeof(n->comm));
	u64 f = spin_lock_irqsave(&proc_lock);
	memcpy(p->rlim, cur->rlim, sizeof(p->rlim));
	p->ngroups = cur->ngroups;
	memcpy(p->groups, cur->groups, sizeof(p->groups));
	p->dumpable = cur->dumpable;
	memcpy(p->auxv, cur->auxv, sizeof(p->auxv));
	p->auxv_len = cur->auxv_len;
	memcpy(p->exe, cur->exe, sizeof(p->exe));
	spin_unlock_irqrestore(&proc_lock, f);
	p->cmdline = kdup(cur->cmdline, cur->cmdline_len);
	p->cmdline_len = p->cmdline ? cur->cmdline_len : 0;
	p->environ = kdup(cur->environ, cur->environ_len);
	p->environ_len = p->environ ? cur->environ_len : 0;
	p->start_ns = clock_monotonic_ns();

	if (flags & CLONE_SIGHAND) {
		__atomic_add_fetch(&cur->sighand->refcount, 1, __ATOMIC_RELAXED);
		p->sighand = cur->sighand;
	} else {
		p->sighand = sighand_alloc();
		if (!p->sighand)
			goto fail;
		f = spin_lock_irqsave(&proc_lock);
		memcpy(p->sighand->action, cur->sighand->action, sizeof(p->sighand->action));
		spin_unlock_irqrestore(&proc_lock, f);
	}
	if (flags & CLONE_VM) {
		mm_get(c->mm);
		n->mm = c->mm;
	} else {
		n->mm = mm_fork(c->mm);
		if (!n->mm)
			goto fail;
	}
	if (flags & CLONE_FILES) {
		files_get(c->files);
		n->files = c->files;
	} else {
		n->files = files_dup(c->files);
		if (!n->files || IS_ERR(n->files))
			goto fail_mm;
	}
	n->fs = fs_dup(c->fs);
	if (!n->fs || IS_ERR(n->fs))
		goto fail_files;
	return p;

fail_files:
	files_put(n->files);
fail_mm:
	mm_put(n->mm);
fail:
	proc_free(p);
	return NULL;
}

static void undo_process(struct proc_ext *p)
{
	fs_put(p->pub.fs);
	files_put(p->pub.files);
	mm_put(p->pub.mm);
	proc_free(p);
}

static long do_clone(struct clone_req *r)
{
	struct task_ext *cur = cur_tx();
	struct proc_ext *cp = cur_px(), *np;
	u64 flags = r->flags;
	bool thread = flags & CLONE_THREAD;

	if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS) ||
	    (flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if (flags & (CLONE_NS_FLAGS | CLONE_PIDFD | CLONE_INTO_CGROUP))
		return -EINVAL;
	if ((flags & CLONE_PARENT) && cp == init_proc)
		return -EINVAL;

	u64 f = spin_lock_irqsave(&proc_lock);
	bool over = over_task_limits(cp);
	bool dying = cp->group_exiting;
	spin_unlock_irqrestore(&proc_lock, f);
	if (over)
		return -EAGAIN;
	if (dying)
		return -EINTR;

	if (thread) {
		np = cp;
	} else {
		np = copy_process_state(cp, flags);
		if (!np)
			return -ENOMEM;
		np->exit_signal = r->exit_signal;
	}

	struct task_ext *t = task_alloc(np, 0);
	if (!t) {
		if (!thread)
			undo_process(np);
		return -ENOMEM;
	}
	/* Registers, FPU, TLS. */
	memcpy(t->pub.uregs, cur->pub.uregs, sizeof(struct trap_frame));
	t->pub.uregs->rax = 0;
	if (r->stack)
		t->pub.uregs->rsp = r->stack;
	preempt_disable();
	fpu_save(cur->fpu);
	memcpy(t->fpu, cur->fpu, fpu_state_size);
	preempt_enable();
	t->fs_base = (flags & CLONE_SETTLS) ? r->tls : cur->fs_base;
	t->gs_base = cur->gs_base;
	if ((flags & (CLONE_VM | CLONE_VFORK)) != CLONE_VM)
		t->altstack = cur->altstack;
	if (flags & CLONE_CHILD_SETTID)
		t->set_child_tid = r->child_tid;
	struct thread *me = current;
	t->start_affinity = me->cpus_allowed;
	if (cur->reset_on_fork) {
		t->start_policy = SCHED_OTHER;
		t->start_prio = 0;
		t->start_nice = me->nice < 0 ? 0 : me->nice;
	} else {
		t->start_policy = me->policy;
		t->start_prio = me->rt_prio;
		t->start_nice = me->nice;
		t->reset_on_fork = false;
	}
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = r->child_tid;

	f = spin_lock_irqsave(&proc_lock);
	if (cp->group_exiting) {
		spin_unlock_irqrestore(&proc_lock, f);
		task_free(t);
		if (!thread)
			undo_process(np);
		return -EINTR;
	}
	pid_t tid = over_task_limits(cp) ? 0 : pid_alloc();
	if (!tid) {
		spin_unlock_irqrestore(&proc_lock, f);
		task_free(t);
		if (!thread)
			undo_process(np);
		return -EAGAIN;
	}
	t->pub.tid = tid;
	t->blocked = cur->blocked;
	if (!thread) {
		np->pub.pid = tid;
		struct proc_ext *parent = (flags & CLONE_PARENT) ? px(cp->pub.parent) : cp;
		np->pub.parent = &parent->pub;
		list_add_tail(&np->sibling, &parent->children);
		list_add_tail(&np->all_link, &all_procs);
		if (flags & CLONE_VFORK) {
			np->vfork_parent = cur;
			cur->vfork_done = false;
		}
	}
	__atomic_add_fetch(&np->refcount, 1, __ATOMIC_RELAXED);
	list_add_tail(&t->thread_link, &np->threads);
	np->nr_threads++;
	nr_threads_all++;
	task_hash_add(t);
	spin_unlock_irqrestore(&proc_lock, f);

	if ((flags & CLONE_PARENT_SETTID) && r->parent_tid)
		put_user_u32((u32)tid, (void *)r->parent_tid);

	if (task_start(t) < 0) {
		/* Out of memory for the kernel thread: the task dies unborn. */
		f = spin_lock_irqsave(&proc_lock);
		t->exited = true;
		np->nr_threads--;
		nr_threads_all--;
		list_del(&t->thread_link);
		task_hash_del(t);
		if (!thread) {
			list_del(&np->sibling);
			list_del(&np->all_link);
			np->vfork_parent = NULL;
		}
		spin_unlock_irqrestore(&proc_lock, f);
		task_free(t);
		if (!thread) {
			fs_put(np->pub.fs);
			files_put(np->pub.files);
			mm_put(np->pub.mm);
		}
		process_put(&np->pub);
		return -ENOMEM;
	}

	if (!thread && (flags & CLONE_VFORK)) {
		for (;;) {
			set_current_state(TASK_UNINTERRUPTIBLE);
			if (__atomic_load_n(&cur->vfork_done, __ATOMIC_ACQUIRE))
				break;
			schedule();
		}
		set_current_state(TASK_RUNNING);
	}
	return tid;
}

void vfork_release(struct proc_ext *p)
{
	u64 f = spin_lock_irqsave(&proc_lock);
	struct task_ext *parent = p->vfork_parent;

	p->vfork_parent = NULL;
	if (parent) {
		__atomic_store_n(&parent->vfork_done, true, __ATOMIC_RELEASE);
		if (parent->pub.thread)
			wake_up_thread(parent->pub.thread, TASK_UNINTERRUPTIBLE);
	}
	spin_unlock_irqrestore(&proc_lock, f);
}

SYSCALL_DEFINE(57, fork)
{
	struct clone_req r = { .exit_signal = SIGCHLD };
	return do_clone(&r);
}

SYSCALL_DEFINE(58, vfork)
{
	struct clone_req r = { .flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD };
	return do_clone(&r);
}

/* clone(flags, newsp, parent_tid, child_tid, tls) — the x86-64 order. */
SYSCALL_DEFINE(56, clone)
{
	struct clone_req r = {
		.flags = a0 & ~(u64)CSIGNAL, .stack = a1, .parent_tid = a2,
		.child_tid = a3, .tls = a4, .exit_signal = (int)(a0 & CSIGNAL),
	};
	if (r.exit_signal > NSIG)
		return -EINVAL;
	if (r.flags & CLONE_THREAD)
		r.exit_signal = -1;
	return do_clone(&r);
}

SYSCALL_DEFINE(435, clone3)
{
	struct clone_args ca;
	u64 size = a1;

	if (size < CLONE_ARGS_SIZE_VER0)
		return -EINVAL;
	if (size > PAGE_SIZE)
		return -E2BIG;
	memset(&ca, 0, sizeof(ca));
	if (copy_from_user(&ca, (void *)a0, MIN(size, sizeof(ca))))
		return -EFAULT;
	for (u64 off = sizeof(ca); off < size; off += 8) {
		u64 v = 0;
		if (copy_from_user(&v, (void *)(a0 + off), MIN(8, size - off)))
			return -EFAULT;
		if (v)
			return -E2BIG;
	}
	if (ca.exit_signal > NSIG || (ca.flags & CSIGNAL))
		return -EINVAL;
	if (ca.set_tid || ca.set_tid_size)
		return -EINVAL;
	if ((ca.stack == 0) != (ca.stack_size == 0))
		return -EINVAL;
	struct clone_req r = {
		.flags = ca.flags, .stack = ca.stack ? ca.stack + ca.stack_size : 0,
		.parent_tid = ca.parent_tid, .child_tid = ca.child_tid, .tls = ca.tls,
		.exit_signal = (int)ca.exit_signal,
	};
	if (r.flags & CLONE_THREAD)
		r.exit_signal = -1;
	return do_clone(&r);
}
