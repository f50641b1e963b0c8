/* Process and thread objects: allocation, the pid allocator, the tid hash,
 * lookups, and starting a task's scheduler thread.
 *
 * Pids are allocated upwards from the last one handed out, wrapping to 300
 * past PID_MAX (as Linux: low numbers stay for early daemons). A number is in
 * use while a task with that tid is hashed (a thread-group leader stays hashed
 * until its process is reaped) or a process group or session carries it.
 *
 * Lifetimes: a struct proc_ext holds one reference for "not yet reaped" and
 * one per task_ext; the last process_put frees it. A struct task_ext holds
 * one reference for being alive; the leader's is dropped at reap, others' at
 * thread exit. */
#include <arch/fpu.h>
#include <skiff/errno.h>
#include <skiff/futex.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/uaccess.h>
#include <skiff/vfs.h>
#include <skiff/vm.h>
#include "proc.h"

DEFINE_SPINLOCK(proc_lock);
LIST_HEAD(all_procs);
struct proc_ext *init_proc;

#define TID_HASH 1024
static struct list_head tid_hash[TID_HASH];   /* [P] */
static bool hash_ready;
static pid_t last_pid;                        /* [P] */

static struct list_head *bucket(pid_t tid)
{
	if (!hash_ready) {
		for (int i = 0; i < TID_HASH; i++)
			list_init(&tid_hash[i]);
		hash_ready = true;
	}
	return &tid_hash[(u32)tid % TID_HASH];
}

void task_hash_add(struct task_ext *t)
{
	assert_held(&proc_lock);
	list_add(&t->hash_link, bucket(t->pub.tid));
}

void task_hash_del(struct task_ext *t)
{
	assert_held(&proc_lock);
	list_del(&t->hash_link);
	list_init(&t->hash_link);
}

struct task_ext *task_lookup(pid_t tid)
{
	struct list_head *b = bucket(tid), *pos;

	if (tid <= 0)
		return NULL;
	list_for_each(pos, b) {
		struct task_ext *t = list_entry(pos, struct task_ext, hash_link);
		if (t->pub.tid == tid)
			return t;
	}
	return NULL;
}

struct proc_ext *proc_lookup(pid_t pid)
{
	struct task_ext *t = task_lookup(pid);

	if (!t || t->pub.proc->pid != pid || px(t->pub.proc)->reaped)
		return NULL;
	return px(t->pub.proc);
}

static bool pid_busy(pid_t pid)
{
	struct list_head *pos;

	if (task_lookup(pid))
		return true;
	list_for_each(pos, &all_procs) {
		struct proc_ext *p = list_entry(pos, struct proc_ext, all_link);
		if (p->pub.pgid == pid || p->pub.sid == pid)
			return true;
	}
	return false;
}

pid_t pid_alloc(void)
{
	assert_held(&proc_lock);
	for (int tries = 0; tries < PID_MAX; tries++) {
		pid_t pid = last_pid + 1;
		if (pid >= PID_MAX)
			pid = 300;
		last_pid = pid;
		if (!pid_busy(pid))
			return pid;
	}
	return 0;
}

int proc_count(void)
{
	struct list_head *pos;
	int n = 0;

	list_for_each(pos, &all_procs)
		n++;
	return n;
}

struct sighand *sighand_alloc(void)
{
	struct sighand *sh = kzalloc(sizeof(*sh));

	if (sh)
		sh->refcount = 1;
	return sh;
}

void sighand_put(struct sighand *sh)
{
	if (sh && __atomic_sub_fetch(&sh->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(sh);
}

static const struct rlimit64 default_rlimits[RLIM_NLIMITS] = {
	[RLIMIT_CPU] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_FSIZE] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_DATA] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_STACK] = { 8ull << 20, RLIM_INFINITY },
	[RLIMIT_CORE] = { 0, RLIM_INFINITY },
	[RLIMIT_RSS] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_NPROC] = { 63424, 63424 },
	[RLIMIT_NOFILE] = { 1024, 4096 },
	[RLIMIT_MEMLOCK] = { 8ull << 20, 8ull << 20 },
	[RLIMIT_AS] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_LOCKS] = { RLIM_INFINITY, RLIM_INFINITY },
	[RLIMIT_SIGPENDING] = { 63424, 63424 },
	[RLIMIT_MSGQUEUE] = { 819200, 819200 },
	[RLIMIT_NICE] = { 0, 0 },
	[RLIMIT_RTPRIO] = { 0, 0 },
	[RLIMIT_RTTIME] = { RLIM_INFINITY, RLIM_INFINITY },
};

/* A zeroed process with default limits and empty lists; refcount 1. */
struct proc_ext *proc_alloc(void)
{
	struct proc_ext *p = kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	p->pub.priv = p;
	list_init(&p->children);
	list_init(&p->sibling);
	list_init(&p->threads);
	list_init(&p->all_link);
	list_init(&p->timers);
	wait_queue_init(&p->child_wq);
	sigpending_init(&p->shared);
	memcpy(p->rlim, default_rlimits, sizeof(p->rlim));
	p->refcount = 1;
	p->exit_signal = SIGCHLD;
	p->dumpable = 1;
	p->next_timer_id = 0;
	itimers_init(p);
	return p;
}

void proc_free(struct proc_ext *p)
{
	sigpending_flush(&p->shared);
	sighand_put(p->sighand);
	kfree(p->cmdline);
	kfree(p->environ);
	kfree(p);
}

/* A task in p with the given tid (not hashed, not on p's list yet). */
struct task_ext *task_alloc(struct proc_ext *p, pid_t tid)
{
	struct task_ext *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	t->fpu = fpu_alloc();
	if (!t->fpu) {
		kfree(t);
		return NULL;
	}
	t->pub.uregs = kzalloc(sizeof(struct trap_frame)); /* start frame until it runs */
	if (!t->pub.uregs) {
		fpu_free(t->fpu);
		kfree(t);
		return NULL;
	}
	t->pub.priv = t;
	t->pub.proc = &p->pub;
	t->pub.tid = tid;
	t->refcount = 1;
	t->altstack.ss_flags = SS_DISABLE;
	list_init(&t->thread_link);
	list_init(&t->hash_link);
	sigpending_init(&t->pending);
	return t;
}

void task_free(struct task_ext *t)
{
	futex_exit_release(&t->pub);
	sigpending_flush(&t->pending);
	fpu_free(t->fpu);
	kfree(t);
}

struct process *process_get(pid_t pid)
{
	u64 f = spin_lock_irqsave(&proc_lock);
	struct proc_ext *p = proc_lookup(pid);

	if (p)
		__atomic_add_fetch(&p->refcount, 1, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&proc_lock, f);
	return p ? &p->pub : NULL;
}

void process_put(struct process *pp)
{
	struct proc_ext *p;

	if (!pp)
		return;
	p = px(pp);
	if (__atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		proc_free(p);
}

struct task *task_get(pid_t tid)
{
	u64 f = spin_lock_irqsave(&proc_lock);
	struct task_ext *t = task_lookup(tid);

	if (t && t->exited)
		t = NULL;
	if (t)
		__atomic_add_fetch(&t->refcount, 1, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&proc_lock, f);
	return t ? &t->pub : NULL;
}

void task_put(struct task *tp)
{
	struct task_ext *t;

	if (!tp)
		return;
	t = tx(tp);
	if (__atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
		struct process *pp = t->pub.proc;
		task_free(t);
		process_put(pp);
	}
}

static struct task_ext *deferred;              /* [P] */

void task_put_deferred(struct task_ext *t)
{
	assert_held(&proc_lock);
	t->defer_next = deferred;
	deferred = t;
}

void tasks_flush_deferred(void)
{
	u64 f = spin_lock_irqsave(&proc_lock);
	struct task_ext *list = deferred;

	deferred = NULL;
	spin_unlock_irqrestore(&proc_lock, f);
	while (list) {
		struct task_ext *n = list->defer_next;
		task_put(&list->pub);
		list = n;
	}
}

struct trap_frame *task_uregs(struct thread *th)
{
	return (struct trap_frame *)(th->kstack_top - sizeof(struct trap_frame));
}

extern void arch_user_trampoline(void *arg, void (*fn)(void *)) __noreturn;
void arch_task_switch_in(struct task *t);

/* Runs on the new thread's stack below its user frame. */
static __noreturn void user_thread_main(void *arg)
{
	struct task_ext *t = arg;
	struct thread *th = current;
	struct trap_frame *start = t->pub.uregs, *tf = task_uregs(th);

	memcpy(tf, start, sizeof(*tf));
	u64 f = spin_lock_irqsave(&proc_lock);
	t->pub.uregs = tf;
	spin_unlock_irqrestore(&proc_lock, f);
	kfree(start);
	arch_irq_disable();
	arch_task_switch_in(&t->pub);
	arch_irq_enable();
	if (t->set_child_tid)
		put_user_u32((u32)t->pub.tid, (void *)t->set_child_tid);
	arch_exit_to_user(tf);
	arch_enter_user(tf);
}

static int user_thread_start(void *arg)
{
	current->detached = true;
	arch_user_trampoline(arg, user_thread_main);
}

/* The kernel thread is linked to the task and given the inherited
 * scheduling policy, nice value and affinity before it first becomes
 * runnable, so that sched_setaffinity(tid) right after clone (glibc's
 * pthread_create with an affinity attribute) finds it, and an RT thread
 * never runs a slice as SCHED_OTHER. */
int task_start(struct task_ext *t)
{
	struct thread *th = kthread_alloc(user_thread_start, t, t->pub.proc->comm);

	if (!th)
		return -ENOMEM;
	u64 f = spin_lock_irqsave(&proc_lock);
	t->pub.thread = th;
	th->task = &t->pub;
	spin_unlock_irqrestore(&proc_lock, f);
	if (t->start_affinity)
		sched_set_affinity(th, t->start_affinity);
	if (t->start_policy != SCHED_OTHER || t->start_prio)
		sched_setscheduler_thread(th, t->start_policy, t->start_prio);
	if (t->start_nice)
		sched_set_nice(th, t->start_nice);
	kthread_start(th, -1);
	return 0;
}
