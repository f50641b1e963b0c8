/* /proc text for processes (served by fs/proc): stat, status, cmdline,
 * environ, auxv, exe, pid and tid lists, open descriptors. */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/procinfo.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include <skiff/vfs.h>
#include <skiff/vm.h>
#include "proc.h"

static char state_char(struct proc_ext *p, struct task_ext *t)
{
	if (p->zombie)
		return 'Z';
	if (p->stopped)
		return 'T';
	struct thread *th = t ? t->pub.thread : NULL;
	if (!th || (t && t->exited))
		return 'R';
	switch (READ_ONCE(th->state)) {
	case TASK_RUNNING:
		return 'R';
	case TASK_UNINTERRUPTIBLE:
		return 'D';
	case TASK_STOPPED:
		return 'T';
	default:
		return 'S';
	}
}

/* Lookup under proc_lock; NULL if gone. [P] */
static struct proc_ext *lookup(pid_t pid)
{
	struct proc_ext *p = proc_lookup(pid);
	return p;
}

static struct task_ext *any_thread(struct proc_ext *p)
{
	struct list_head *pos;

	list_for_each(pos, &p->threads) {
		struct task_ext *t = list_entry(pos, struct task_ext, thread_link);
		if (!t->exited)
			return t;
	}
	return list_empty(&p->threads) ? NULL : list_first_entry(&p->threads, struct task_ext, thread_link);
}

static void sig_sets(struct proc_ext *p, u64 *ign, u64 *cgt)
{
	*ign = *cgt = 0;
	for (int i = 0; i < NSIG; i++) {
		u64 h = p->sighand->action[i].handler;
		if (h == SIG_IGN)
			*ign |= 1ull << i;
		else if (h != SIG_DFL)
			*cgt |= 1ull << i;
	}
}

/* Memory figures of pid's address space (zeros for zombies). The mm lock
 * needs interrupts on, so this runs before proc_lock is taken. */
/* A reference to p's address space, or NULL (exited, or a kernel
 * process). exec and exit swap p->mm under proc_lock before they drop
 * their reference, so the one taken here is never to a freed mm. */
struct mm *process_mm_get(struct process *pp)
{
	struct mm *mm;
	u64 f = spin_lock_irqsave(&proc_lock);

	mm = px(pp)->zombie ? NULL : pp->mm;
	if (mm)
		mm_get(mm);
	spin_unlock_irqrestore(&proc_lock, f);
	return mm;
}

static void get_vm(pid_t pid, struct vm_stats *st)
{
	struct process *p = process_get(pid);
	struct mm *mm = p ? process_mm_get(p) : NULL;

	memset(st, 0, sizeof(*st));
	if (p)
		process_put(p);
	if (mm) {
		vm_get_stats(mm, st);
		mm_put(mm);
	}
}

/* stat's tty_nr and tpgid: pid's session's controlling terminal, 0 and -1
 * without one. Called without proc_lock (the tty layer takes it). */
static void get_tty(pid_t pid, u32 *tty_nr, pid_t *tpgid)
{
	u64 f = spin_lock_irqsave(&proc_lock);
	struct proc_ext *p = lookup(pid);
	pid_t sid = p ? p->pub.sid : 0;

	spin_unlock_irqrestore(&proc_lock, f);
	*tty_nr = 0;
	*tpgid = -1;
	procinfo_session_tty(sid, tty_nr, tpgid);
}

int procinfo_stat(pid_t pid, pid_t tid, char *buf, size_t size)
{
	bool whole = tid == 0; /* /proc/P/stat rather than /proc/P/task/T/stat */
	if (whole)
		tid = pid; /* every other field as the leader's task file */
	struct vm_stats vs;
	u32 tty_nr;
	pid_t tpgid;
	get_vm(pid, &vs);
	get_tty(pid, &tty_nr, &tpgid);
	u64 f = spin_lock_irqsave(&proc_lock);
	struct proc_ext *p = lookup(pid);
	struct task_ext *t = NULL;

	if (p && tid) {
		t = task_lookup(tid);
		if (t && t->pub.proc != &p->pub)
			t = NULL;
		if (!t)
			p = NULL;
	}
	if (!p) {
		spin_unlock_irqrestore(&proc_lock, f);
		return -ESRCH;
	}
	if (!t)
		t = any_thread(p);
	u64 ut = 0, st = 0, ign, cgt;
	struct thread *th = t && !t->exited ? t->pub.thread : NULL;
	/* utime, stime: the process's, or one thread's in task/T/stat. */
	if (whole) {
		proc_cputime(p, &ut, &st);
	} else if (th) {
		struct cputime ct;
		sched_thread_cputime(th, &ct);
		ut = ct.utime;
		st = ct.stime;
	}
	sig_sets(p, &ign, &cgt);
	int n = snprintf(buf, size,
		"%d (%s) %c %d %d %d %d %d %u 0 0 0 0 %llu %llu %llu %llu %d %d %d 0 %llu %llu %llu "
		"18446744073709551615 0 0 %llu 0 0 %llu %llu %llu %llu 0 0 0 %d %d %u %u 0 0 0 0 0 0 0 0 0 0 %d\n",
		tid ? tid : p->pub.pid, p->pub.comm, state_char(p, t),
		p->pub.parent ? p->pub.parent->pid : 0, p->pub.pgid, p->pub.sid,
		(int)tty_nr, tpgid, 0x400000u,
		(unsigned long long)(ut / 10000000), (unsigned long long)(st / 10000000),
		(unsigned long long)(p->child_utime_ns / 10000000),
		(unsigned long long)(p->child_stime_ns / 10000000),
		th && th->prio ? -1 - th->prio : 20 + (th ? th->nice : 0), th ? th->nice : 0,
		p->nr_threads, (unsigned long long)(p->start_ns / 10000000),
		(unsigned long long)(vs.size_pages * PAGE_SIZE), (unsigned long long)vs.rss_pages,
		(unsigned long long)vs.start_stack,
		(unsigned long long)(p->shared.set | (t ? t->pending.set : 0)),
		(unsigned long long)(t ? t->blocked : 0), (unsigned long long)ign,
		(unsigned long long)cgt, p->exit_signal, th ? th->cpu : 0,
		th ? th->rt_prio : 0, th ? th->policy : 0,
		p->zombie ? p->group_exit_code : 0);
	spin_unlock_irqrestore(&proc_lock, f);
	return n < (int)size ? n : (int)size - 1;
}

int procinfo_status(pid_t pid, char *buf, size_t size)
{
	struct vm_stats vs;
	get_vm(pid, &vs);
	u64 f = spin_lock_irqsave(&proc_lock);
	struct proc_ext *p = lookup(pid);

	if (!p) {
		spin_unlock_irqrestore(&proc_lock, f);
		return -ESRCH;
	}
	struct task_ext *t = any_thread(p);
	struct thread *th = t && !t->exited ? t->pub.thread : NULL;
	u64 ign, cgt;
	sig_sets(p, &ign, &cgt);
	char st = state_char(p, t);
	const char *sn = st == 'R' ? "R (running)" : st == 'S' ? "S (sleeping)" : st == 'D' ? "D (disk sleep)"
			 : st == 'T' ? "T (stopped)" : "Z (zombie)";
	u64 cpus = th ? th->cpus_allowed : ~0ull;
	if (nr_cpus_online < 64)
		cpus &= (1ull << nr_cpus_online) - 1;
	int n = snprintf(buf, size,
		"Name:\t%s\nUmask:\t0022\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
		"TracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t64\nGroups:\t\n"
		"VmSize:\t%llu kB\nVmLck:\t%llu kB\nVmRSS:\t%llu kB\nVmData:\t%llu kB\nVmStk:\t%llu kB\nVmExe:\t%llu kB\nThreads:\t%d\nSigQ:\t0/63424\nSigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\n"
		"SigIgn:\t%016llx\nSigCgt:\t%016llx\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
		"CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n"
		"NoNewPrivs:\t0\nSeccomp:\t0\nCpus_allowed:\t%llx\nvoluntary_ctxt_switches:\t%llu\n"
		"nonvoluntary_ctxt_switches:\t0\n",
		p->pub.comm, sn, p->pub.pid, p->pub.pid, p->pub.parent ? p->pub.parent->pid : 0,
		p->pub.uid, p->pub.euid, p->pub.suid, p->pub.fsuid,
		p->pub.gid, p->pub.egid, p->pub.sgid, p->pub.fsgid,
		(unsigned long long)(vs.size_pages * 4), (unsigned long long)(vs.locked_pages * 4),
		(unsigned long long)(vs.rss_pages * 4), (unsigned long long)(vs.data_pages * 4),
		(unsigned long long)(vs.stack_pages * 4), (unsigned long long)(vs.exec_pages * 4), p->nr_threads,
		(unsigned long long)(t ? t->pending.set : 0), (unsigned long long)p->shared.set,
		(unsigned long long)(t ? t->blocked : 0), (unsigned long long)ign,
		(unsigned long long)cgt, (unsigned long long)cpus,
		(unsigned long long)(th ? th->nr_switches : 0));
	spin_unlock_irqrestore(&proc_lock, f);
	return n < (int)size ? n : (int)size - 1;
}

static int copy_blob(pid_t pid, char *buf, size_t size, int which)
{
	u64 f = spin_lock_irqsave(&proc_lock);
	struct proc_ext *p = lookup(pid);
	int n;

	if (!p) {
		spin_unlock_irqrestore(&proc_lock, f);
		return -ESRCH;
	}
	const char *src = which == 0 ? p->cmdline : which == 1 ? p->environ : (const char *)p->auxv;
	u32 len = which == 0 ? p->cmdline_len : which == 1 ? p->environ_len : p->auxv_len;
	if (p->zombie && which != 2)
		len = 0;
	n = (int)MIN((size_t)len, size);
	if (n && src)
		memcpy(buf, src, (size_t)n);
	spin_unlock_irqrestore(&proc_lock, f);
	return n;
}

int procinfo_cmdline(pid_t pid, char *buf, size_t size) { return copy_blob(pid, buf, size, 0); }
int procinfo_environ(pid_t pid, char *buf, size_t size) { return copy_blob(pid, buf, size, 1); }
int procinfo_auxv(pid_t pid, char *buf, size_t size) { return copy_blob(pid, buf, size, 2); }

int procinfo_exe(pid_t pid, char *buf, size_t size)
{
	u64 f = spin_lock_irqsave(&proc_lock);
	struct proc_ext *p = lookup(pid);
	int n = -ESRCH;

	if (p && !p->zombie && p->exe[0])
		n = (int)strlcpy(buf, p->exe, size);
	else if (p)
		n = -ENOENT;
	spin_unlock_irqrestore(&proc_lock, f);
	return n;
}

int procinfo_pids(pid_t *pids, int max)
{
	struct list_head *pos;
	int n = 0;
	u64 f = spin_lock_irqsave(&proc_lock);

	list_for_each(pos, &all_procs) {
		if (n >= max)
			break;
		pids[n++] = list_entry(pos, struct proc_ext, all_link)->pub.pid;
	}
	spin_unlock_irqrestore(&proc_lock, f);
	/* ascending */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && pids[j - 1] > pids[j]; j--) {
			pid_t t = pids[j];
			pids[j] = pids[j - 1];
			pids[j - 1] = t;
		}
	return n;
}

int procinfo_tids(pid_t pid, pid_t *tids, int max)
{
	struct list_head *pos;
	int n = 0;
	u64 f = spin_lock_irqsave(&proc_lock);
	struct proc_ext *p = lookup(pid);

	if (!p) {
		spin_unlock_irqrestore(&proc_lock, f);
		return -ESRCH;
	}
	list_for_each(pos, &p->threads) {
		struct task_ext *t = list_entry(pos, struct task_ext, thread_link);
		if (n < max && !t->exited)
			tids[n++] = t->pub.tid;
	}
	spin_unlock_irqrestore(&proc_lock, f);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && tids[j - 1] > tids[j]; j--) {
			pid_t t = tids[j];
			tids[j] = tids[j - 1];
			tids[j - 1] = t;
		}
	return n;
}

/* The files table of pid, referenced, or NULL. */
static struct files_struct *files_of(pid_t pid)
{
	u64 f = spin_lock_irqsave(&proc_lock);
	struct proc_ext *p = lookup(pid);
	struct files_struct *fs = p && !p->zombie ? p->pub.files : NULL;

	if (fs)
		files_get(fs);
	spin_unlock_irqrestore(&proc_lock, f);
	return fs;
}

int procinfo_fds(pid_t pid, int *fds, int max)
{
	struct files_struct *fs = files_of(pid);

	if (!fs)
		return -ESRCH;
	int n = files_list_fds(fs, fds, max);
	files_put(fs);
	return n;
}

int procinfo_fd_path(pid_t pid, int fd, char *buf, size_t size)
{
	struct files_struct *fs = files_of(pid);

	if (!fs)
		return -ESRCH;
	int n = files_fd_path(fs, fd, buf, size);
	files_put(fs);
	return n;
}
