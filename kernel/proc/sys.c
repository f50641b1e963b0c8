/* System-wide and per-process facts: uname/sethostname, sysinfo, resource
 * limits and usage, times, prctl, scheduling policy calls, priorities and
 * reboot. */
#include <arch/cpu.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include <skiff/vfs.h>
#include <uapi/sched.h>
#include <uapi/sysinfo.h>
#include <uapi/utsname.h>
#include "proc.h"

static DEFINE_SPINLOCK(uts_lock);
static char hostname[UTS_LEN + 1] = "skiff";     /* [uts_lock] */
static char domainname[UTS_LEN + 1] = "(none)";  /* [uts_lock] */

int vfs_hostname(char *buf, size_t size)
{
	u64 f = spin_lock_irqsave(&uts_lock);
	int n = (int)strlcpy(buf, hostname, size);
	spin_unlock_irqrestore(&uts_lock, f);
	return n;
}

u64 task_rlimit(int resource)
{
	struct task *t = current_task();

	if (!t || resource < 0 || resource >= RLIM_NLIMITS)
		return RLIM_INFINITY;
	return px(t->proc)->rlim[resource].rlim_cur;
}

u64 vfs_rlimit_nofile(void)
{
	struct task *t = current_task();
	return t ? px(t->proc)->rlim[RLIMIT_NOFILE].rlim_cur : 1024;
}

SYSCALL_DEFINE(63, uname)
{
	struct new_utsname u;

	memset(&u, 0, sizeof(u));
	strlcpy(u.sysname, "Linux", sizeof(u.sysname));
	strlcpy(u.release, "6.1.0-skiff", sizeof(u.release));
	strlcpy(u.version, "#1 SMP Skiff", sizeof(u.version));
	strlcpy(u.machine, "x86_64", sizeof(u.machine));
	u64 f = spin_lock_irqsave(&uts_lock);
	memcpy(u.nodename, hostname, sizeof(hostname));
	memcpy(u.domainname, domainname, sizeof(domainname));
	spin_unlock_irqrestore(&uts_lock, f);
	return copy_to_user((void *)a0, &u, sizeof(u)) ? -EFAULT : 0;
}

static long set_uts(char *dst, u64 uname, u64 len)
{
	char buf[UTS_LEN + 1];

	if (current_proc()->euid != 0)
		return -EPERM;
	if ((s64)len < 0 || len > UTS_LEN)
		return -EINVAL;
	if (copy_from_user(buf, (void *)uname, len))
		return -EFAULT;
	buf[len] = 0;
	u64 f = spin_lock_irqsave(&uts_lock);
	memset(dst, 0, UTS_LEN + 1);
	memcpy(dst, buf, len + 1);
	spin_unlock_irqrestore(&uts_lock, f);
	return 0;
}

SYSCALL_DEFINE(170, sethostname) { return set_uts(hostname, a0, a1); }
SYSCALL_DEFINE(171, setdomainname) { return set_uts(domainname, a0, a1); }

SYSCALL_DEFINE(99, sysinfo)
{
	struct sysinfo si;

	memset(&si, 0, sizeof(si));
	si.uptime = (s64)((clock_monotonic_ns() + NSEC_PER_SEC - 1) / NSEC_PER_SEC);
	si.totalram = mm_total_pages() * PAGE_SIZE;
	si.freeram = mm_free_pages() * PAGE_SIZE;
	u64 f = spin_lock_irqsave(&proc_lock);
	struct list_head *pos;
	u64 n = 0;
	list_for_each(pos, &all_procs)
		n += (u64)list_entry(pos, struct proc_ext, all_link)->nr_threads;
	spin_unlock_irqrestore(&proc_lock, f);
	si.procs = (u16)MIN(n, 65535);
	si.mem_unit = 1;
	return copy_to_user((void *)a0, &si, sizeof(si)) ? -EFAULT : 0;
}

/* ---- Resource limits ---- */

static long do_prlimit(pid_t pid, unsigned res, const struct rlimit64 *nl, struct rlimit64 *ol)
{
	long err = 0;

	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (nl && nl->rlim_cur > nl->rlim_max)
		return -EINVAL;
	if (nl && res == RLIMIT_NOFILE && nl->rlim_max > 1048576)
		return -EPERM;
	u64 f = spin_lock_irqsave(&proc_lock);
	struct proc_ext *p = pid ? proc_lookup(pid) : cur_px();
	if (!p || p->zombie) {
		err = -ESRCH;
		goto out;
	}
	if (ol)
		*ol = p->rlim[res];
	if (nl) {
		if (nl->rlim_max > p->rlim[res].rlim_max && current_proc()->euid != 0) {
			err = -EPERM;
			goto out;
		}
		p->rlim[res] = *nl;
	}
out:
	spin_unlock_irqrestore(&proc_lock, f);
	return err;
}

SYSCALL_DEFINE(302, prlimit64)
{
	struct rlimit64 nl, ol;
	long err;

	if (a2 && copy_from_user(&nl, (void *)a2, sizeof(nl)))
		return -EFAULT;
	if ((err = do_prlimit((pid_t)a0, (unsigned)a1, a2 ? &nl : NULL, a3 ? &ol : NULL)))
		return err;
	if (a3 && copy_to_user((void *)a3, &ol, sizeof(ol)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(97, getrlimit)
{
	struct rlimit64 ol;
	long err = do_prlimit(0, (unsigned)a0, NULL, &ol);

	if (err)
		return err;
	return copy_to_user((void *)a1, &ol, sizeof(ol)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(160, setrlimit)
{
	struct rlimit64 nl;

	if (copy_from_user(&nl, (void *)a1, sizeof(nl)))
		return -EFAULT;
	return do_prlimit(0, (unsigned)a0, &nl, NULL);
}

static struct timeval tv_of(u64 ns)
{
	return (struct timeval){ (s64)(ns / NSEC_PER_SEC), (s64)(ns % NSEC_PER_SEC / 1000) };
}

SYSCALL_DEFINE(98, getrusage)
{
	struct rusage ru;
	struct proc_ext *p = cur_px();
	u64 ut = 0, st = 0;
	int who = (int)a0;

	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
		return -EINVAL;
	memset(&ru, 0, sizeof(ru));
	u64 f = spin_lock_irqsave(&proc_lock);
	if (who == RUSAGE_SELF) {
		proc_cputime(p, &ut, &st);
	} else if (who == RUSAGE_CHILDREN) {
		ut = p->child_utime_ns;
		st = p->child_stime_ns;
	} else {
		struct cputime ct;
		sched_thread_cputime(current, &ct);
		ut = ct.utime;
		st = ct.stime;
	}
	ru.ru_nvcsw = who == RUSAGE_CHILDREN ? 0 : (s64)current->nr_switches;
	spin_unlock_irqrestore(&proc_lock, f);
	ru.ru_utime = tv_of(ut);
	ru.ru_stime = tv_of(st);
	ru.ru_maxrss = 4096;
	return copy_to_user((void *)a1, &ru, sizeof(ru)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(100, times)
{
	struct tms t;
	struct proc_ext *p = cur_px();
	u64 ut, st;

	u64 f = spin_lock_irqsave(&proc_lock);
	proc_cputime(p, &ut, &st);
	t.tms_utime = (s64)(ut / 10000000);
	t.tms_stime = (s64)(st / 10000000);
	t.tms_cutime = (s64)(p->child_utime_ns / 10000000);
	t.tms_cstime = (s64)(p->child_stime_ns / 10000000);
	spin_unlock_irqrestore(&proc_lock, f);
	if (a0 && copy_to_user((void *)a0, &t, sizeof(t)))
		return -EFAULT;
	return (long)(clock_monotonic_ns() / 10000000); /* clock ticks since boot */
}

/* ---- prctl ---- */

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16

SYSCALL_DEFINE(157, prctl)
{
	struct proc_ext *p = cur_px();
	char name[16];

	switch ((int)a0) {
	case PR_SET_PDEATHSIG:
		if (a1 > NSIG)
			return -EINVAL;
		p->pdeath_signal = (int)a1;
		return 0;
	case PR_GET_PDEATHSIG:
		return put_user_u32((u32)p->pdeath_signal, (void *)a1);
	case PR_GET_DUMPABLE:
		return p->dumpable;
	case PR_SET_DUMPABLE:
		if (a1 > 1)
			return -EINVAL;
		p->dumpable = (int)a1;
		return 0;
	case PR_SET_NAME: {
		long n = strncpy_from_user(name, (const char *)a1, sizeof(name));
		if (n == -EFAULT)
			return -EFAULT;
		if (n < 0) {
			if (copy_from_user(name, (void *)a1, sizeof(name) - 1))
				return -EFAULT;
		}
		name[sizeof(name) - 1] = 0;
		u64 f = spin_lock_irqsave(&proc_lock);
		/* Linux names the calling thread; the process's comm is the
		 * leader's, so only the leader's call changes it. */
		if (current_task()->tid == p->pub.pid)
			memcpy(p->pub.comm, name, sizeof(name));
		strlcpy(current->name, name, sizeof(current->name));
		spin_unlock_irqrestore(&proc_lock, f);
		return 0;
	}
	case PR_GET_NAME:
		strlcpy(name, current->name, sizeof(name));
		return copy_to_user((void *)a1, name, sizeof(name)) ? -EFAULT : 0;
	default:
		return -EINVAL;
	}
}

/* ---- Scheduling ---- */

/* The thread a sched_* call names: 0 = the caller. Reference dropped by
 * the caller with task_put. */
static struct task *sched_target(pid_t pid)
{
	if (pid == 0) {
		struct task *t = current_task();
		__atomic_add_fetch(&tx(t)->refcount, 1, __ATOMIC_RELAXED);
		return t;
	}
	return task_get(pid);
}

static long set_sched(pid_t pid, int policy, u64 uparam, bool keep_policy)
{
	struct sched_param sp;

	if (pid < 0 || !uparam)
		return -EINVAL;
	if (copy_from_user(&sp, (void *)uparam, sizeof(sp)))
		return -EFAULT;
	struct task *t = sched_target(pid);
	if (!t)
		return -ESRCH;
	struct thread *th = t->thread;
	bool reset = false;
	if (keep_policy)
		policy = th ? th->policy : SCHED_OTHER;
	else
		reset = policy & SCHED_RESET_ON_FORK;
	policy &= ~SCHED_RESET_ON_FORK;
	long err;
	bool rt = policy == SCHED_FIFO || policy == SCHED_RR;
	if (policy != SCHED_OTHER && policy != SCHED_BATCH && policy != SCHED_IDLE && !rt)
		err = -EINVAL;
	else if (rt ? (sp.sched_priority < 1 || sp.sched_priority > 99) : sp.sched_priority != 0)
		err = -EINVAL;
	else if (rt && current_proc()->euid != 0 && px(current_proc())->rlim[RLIMIT_RTPRIO].rlim_cur == 0)
		err = -EPERM;
	else
		err = th ? sched_setscheduler_thread(th, policy, rt ? sp.sched_priority : 0) : -ESRCH;
	if (!err && !keep_policy)
		tx(t)->reset_on_fork = reset;
	task_put(t);
	return err;
}

SYSCALL_DEFINE(144, sched_setscheduler)
{
	if ((int)a1 < 0)
		return -EINVAL;
	return set_sched((pid_t)a0, (int)a1, a2, false);
}

SYSCALL_DEFINE(142, sched_setparam) { return set_sched((pid_t)a0, 0, a1, true); }

SYSCALL_DEFINE(145, sched_getscheduler)
{
	if ((pid_t)a0 < 0)
		return -EINVAL;
	struct task *t = sched_target((pid_t)a0);
	if (!t)
		return -ESRCH;
	long r = (t->thread ? t->thread->policy : SCHED_OTHER) |
		 (tx(t)->reset_on_fork ? SCHED_RESET_ON_FORK : 0);
	task_put(t);
	return r;
}

SYSCALL_DEFINE(143, sched_getparam)
{
	if ((pid_t)a0 < 0 || !a1)
		return -EINVAL;
	struct task *t = sched_target((pid_t)a0);
	if (!t)
		return -ESRCH;
	struct sched_param sp = { t->thread ? t->thread->rt_prio : 0 };
	task_put(t);
	return copy_to_user((void *)a1, &sp, sizeof(sp)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(146, sched_get_priority_max)
{
	int p = (int)a0;
	return p == SCHED_FIFO || p == SCHED_RR ? 99 : (p == SCHED_OTHER || p == SCHED_BATCH || p == SCHED_IDLE) ? 0 : -EINVAL;
}

SYSCALL_DEFINE(147, sched_get_priority_min)
{
	int p = (int)a0;
	return p == SCHED_FIFO || p == SCHED_RR ? 1 : (p == SCHED_OTHER || p == SCHED_BATCH || p == SCHED_IDLE) ? 0 : -EINVAL;
}

SYSCALL_DEFINE(148, sched_rr_get_interval)
{
	if ((pid_t)a0 < 0)
		return -EINVAL;
	struct task *t = sched_target((pid_t)a0);
	if (!t)
		return -ESRCH;
	u64 ns = t->thread && t->thread->policy == SCHED_RR ? 100000000ull : 0;
	task_put(t);
	struct timespec ts = ns_to_ts(ns);
	return copy_to_user((void *)a1, &ts, sizeof(ts)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(24, sched_yield)
{
	yield();
	return 0;
}

SYSCALL_DEFINE(203, sched_setaffinity)
{
	u64 mask = 0;
	u64 len = a1;

	if (len < sizeof(u64)) {
		if (len == 0)
			return -EINVAL;
	}
	if (copy_from_user(&mask, (void *)a2, MIN(len, sizeof(u64))))
		return -EFAULT;
	struct task *t = sched_target((pid_t)a0);
	if (!t)
		return -ESRCH;
	long err = t->thread ? sched_set_affinity(t->thread, mask) : -ESRCH;
	task_put(t);
	return err;
}

SYSCALL_DEFINE(204, sched_getaffinity)
{
	u64 len = a1;

	if (len * 8 < nr_cpus_online || (len & 7))
		return -EINVAL;
	struct task *t = sched_target((pid_t)a0);
	if (!t)
		return -ESRCH;
	u64 online = nr_cpus_online >= 64 ? ~0ull : (1ull << nr_cpus_online) - 1;
	u64 mask = (t->thread ? t->thread->cpus_allowed : ~0ull) & online;
	task_put(t);
	u64 n = MIN(len, sizeof(u64));
	if (copy_to_user((void *)a2, &mask, n))
		return -EFAULT;
	return (long)n;
}

#define PRIO_MAX_ 20

SYSCALL_DEFINE(140, getpriority)
{
	if ((int)a0 < PRIO_PROCESS || (int)a0 > PRIO_USER)
		return -EINVAL;
	if ((int)a0 != PRIO_PROCESS)
		return 20 - 0;
	struct task *t = sched_target((pid_t)a1);
	if (!t)
		return -ESRCH;
	long r = 20 - (t->thread ? t->thread->nice : 0);
	task_put(t);
	return r;
}

SYSCALL_DEFINE(141, setpriority)
{
	int nice = (int)a2;

	if ((int)a0 < PRIO_PROCESS || (int)a0 > PRIO_USER)
		return -EINVAL;
	if (nice < -20)
		nice = -20;
	if (nice > 19)
		nice = 19;
	if ((int)a0 != PRIO_PROCESS)
		return 0;
	struct task *t = sched_target((pid_t)a1);
	if (!t)
		return -ESRCH;
	long err = 0;
	if (t->thread) {
		if (nice < t->thread->nice && current_proc()->euid != 0)
			err = -EACCES;
		else
			sched_set_nice(t->thread, nice);
	}
	task_put(t);
	return err;
}

/* ---- reboot ---- */

#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_MAGIC2 672274793
#define LINUX_REBOOT_MAGIC2A 85072278
#define LINUX_REBOOT_MAGIC2B 369367448
#define LINUX_REBOOT_MAGIC2C 537993216
#define CMD_RESTART 0x01234567
#define CMD_HALT 0xcdef0123
#define CMD_CAD_ON 0x89abcdef
#define CMD_CAD_OFF 0x00000000
#define CMD_POWER_OFF 0x4321fedc

void arch_reboot(void) __noreturn;
void arch_power_off(void) __noreturn;

SYSCALL_DEFINE(169, reboot)
{
	u32 m2 = (u32)a1, cmd = (u32)a2;

	if ((u32)a0 != LINUX_REBOOT_MAGIC1 ||
	    (m2 != LINUX_REBOOT_MAGIC2 && m2 != LINUX_REBOOT_MAGIC2A &&
	     m2 != LINUX_REBOOT_MAGIC2B && m2 != LINUX_REBOOT_MAGIC2C))
		return -EINVAL;
	if (current_proc()->euid != 0)
		return -EPERM;
	switch (cmd) {
	case CMD_CAD_ON:
	case CMD_CAD_OFF:
		return 0;
	case CMD_RESTART:
		pr_info("reboot: restarting system");
		vfs_shutdown_all();
		sched_print_stats();
		arch_reboot();
	case CMD_HALT:
	case CMD_POWER_OFF:
		pr_info("reboot: %s", cmd == CMD_HALT ? "system halted" : "power down");
		vfs_shutdown_all();
		sched_print_stats();
		arch_power_off();
	default:
		return -EINVAL;
	}
}

/* The VFS write path's RLIMIT_FSIZE (fs/vfs/read_write.c). */
u64 vfs_rlimit_fsize(void)
{
	return task_rlimit(RLIMIT_FSIZE);
}
