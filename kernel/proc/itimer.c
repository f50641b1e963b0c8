/* Interval timers and POSIX timers: alarm, setitimer/getitimer,
 * timer_create/settime/gettime/getoverrun/delete.
 *
 * ITIMER_REAL and POSIX timers run on kernel timers (monotonic deadlines;
 * CLOCK_REALTIME absolute values are converted when armed). ITIMER_VIRTUAL
 * counts the process's user time, ITIMER_PROF its user and system time
 * (kernel/sched/cputime.c): a kernel timer checks the CPU time consumed and
 * re-arms itself for the remainder, so a signal comes at most one CPU slice
 * late. Callbacks run in interrupt context and take proc_lock. */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include "proc.h"

struct posix_timer {
	struct list_head link;      /* [P] proc_ext.timers */
	struct timer timer;
	struct proc_ext *proc;      /* [I] */
	int id;                     /* [I] */
	int clock;                  /* [I] */
	int notify, signo;          /* [I] */
	pid_t tid;                  /* [I] SIGEV_THREAD_ID target */
	u64 value;                  /* [I] sigev_value */
	u64 expires;                /* [P] monotonic ns, 0 = disarmed */
	u64 interval;               /* [P] */
	int overrun;                /* [P] expiries missed since the last signal */
	int last_overrun;           /* [P] reported by timer_getoverrun */
};

/* The CPU time an ITIMER_VIRTUAL (user time) or ITIMER_PROF (user and
 * system time) timer of p counts, running slices included. [P] */
static void cpu_now(struct proc_ext *p, u64 *virt, u64 *prof)
{
	u64 u, s;

	proc_cputime(p, &u, &s);
	*virt = u;
	*prof = u + s;
}

static void send_kernel_sig(struct proc_ext *p, int sig)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = SI_KERNEL;
	send_signal_info(NULL, p, sig, &info);
}

static void real_fn(struct timer *tm)
{
	struct proc_ext *p = container_of(tm, struct proc_ext, real_timer);
	u64 f = spin_lock_irqsave(&proc_lock);

	if (p->real_expires_ns && !p->zombie) {
		send_kernel_sig(p, SIGALRM);
		if (p->real_interval_ns) {
			u64 now = clock_monotonic_ns();
			p->real_expires_ns += p->real_interval_ns;
			if (p->real_expires_ns <= now)
				p->real_expires_ns = now + p->real_interval_ns;
			timer_arm(&p->real_timer, p->real_expires_ns);
		} else {
			p->real_expires_ns = 0;
		}
	}
	spin_unlock_irqrestore(&proc_lock, f);
}

/* VIRTUAL/PROF share one checker timer per process: a posix_timer entry
 * with id -1 on the process's timer list. */
static void cpu_check(struct proc_ext *p, struct timer *tm);

static void cpu_fn(struct timer *tm)
{
	struct posix_timer *pt = container_of(tm, struct posix_timer, timer);
	u64 f = spin_lock_irqsave(&proc_lock);

	if (!pt->proc->zombie && pt->expires)
		cpu_check(pt->proc, tm);
	spin_unlock_irqrestore(&proc_lock, f);
}

/* [P] */
static void cpu_check(struct proc_ext *p, struct timer *tm)
{
	u64 virt, prof, next = ~0ull;

	cpu_now(p, &virt, &prof);
	if (p->virt_expires_ns && virt >= p->virt_expires_ns) {
		send_kernel_sig(p, SIGVTALRM);
		p->virt_expires_ns = p->virt_interval_ns ? virt + p->virt_interval_ns : 0;
	}
	if (p->prof_expires_ns && prof >= p->prof_expires_ns) {
		send_kernel_sig(p, SIGPROF);
		p->prof_expires_ns = p->prof_interval_ns ? prof + p->prof_interval_ns : 0;
	}
	if (p->virt_expires_ns)
		next = MIN(next, p->virt_expires_ns - virt);
	if (p->prof_expires_ns)
		next = MIN(next, p->prof_expires_ns - prof);
	if (next != ~0ull)
		timer_arm(tm, clock_monotonic_ns() + MAX(next, 1000000ull));
}

/* [P] */
static struct posix_timer *cpu_timer_of(struct proc_ext *p, bool create)
{
	struct list_head *pos;

	list_for_each(pos, &p->timers) {
		struct posix_timer *pt = list_entry(pos, struct posix_timer, link);
		if (pt->id == -1)
			return pt;
	}
	if (!create)
		return NULL;
	struct posix_timer *pt = kzalloc(sizeof(*pt));
	if (!pt)
		return NULL;
	pt->id = -1;
	pt->proc = p;
	pt->expires = 1; /* "armed": cleared when the process drops its timers */
	timer_init(&pt->timer, cpu_fn);
	list_add_tail(&pt->link, &p->timers);
	return pt;
}

static struct timeval ns_to_tv(u64 ns)
{
	return (struct timeval){ (s64)(ns / 1000000000ull), (s64)(ns % 1000000000ull / 1000) };
}

static bool tv_ok(const struct timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

static u64 tv_ns(const struct timeval *tv)
{
	return (u64)tv->tv_sec * 1000000000ull + (u64)tv->tv_usec * 1000;
}

static void get_itimer(struct proc_ext *p, int which, struct itimerval *v)
{
	u64 now, exp, iv;

	if (which == ITIMER_REAL) {
		now = clock_monotonic_ns();
		exp = p->real_expires_ns;
		iv = p->real_interval_ns;
	} else {
		u64 virt, prof;
		cpu_now(p, &virt, &prof);
		now = which == ITIMER_VIRTUAL ? virt : prof;
		exp = which == ITIMER_VIRTUAL ? p->virt_expires_ns : p->prof_expires_ns;
		iv = which == ITIMER_VIRTUAL ? p->virt_interval_ns : p->prof_interval_ns;
	}
	u64 left = exp ? (exp > now ? exp - now : 1000) : 0;
	v->it_value = ns_to_tv(left);
	v->it_interval = ns_to_tv(iv);
}

static int set_itimer(int which, const struct itimerval *nv, struct itimerval *ov)
{
	struct proc_ext *p = cur_px();
	u64 val = tv_ns(&nv->it_value), iv = tv_ns(&nv->it_interval);

	if (which == ITIMER_REAL)
		timer_cancel_sync(&p->real_timer);
	u64 f = spin_lock_irqsave(&proc_lock);
	if (ov)
		get_itimer(p, which, ov);
	if (which == ITIMER_REAL) {
		p->real_interval_ns = val ? iv : 0;
		p->real_expires_ns = val ? clock_monotonic_ns() + val : 0;
		if (val)
			timer_arm(&p->real_timer, p->real_expires_ns);
	} else {
		struct posix_timer *c = cpu_timer_of(p, val != 0);
		u64 virt, prof;
		cpu_now(p, &virt, &prof);
		if (which == ITIMER_VIRTUAL) {
			p->virt_expires_ns = val ? virt + val : 0;
			p->virt_interval_ns = val ? iv : 0;
		} else {
			p->prof_expires_ns = val ? prof + val : 0;
			p->prof_interval_ns = val ? iv : 0;
		}
		if (c && val)
			cpu_check(p, &c->timer);
		else if (val) {
			spin_unlock_irqrestore(&proc_lock, f);
			return -ENOMEM;
		}
	}
	spin_unlock_irqrestore(&proc_lock, f);
	return 0;
}

SYSCALL_DEFINE(36, getitimer)
{
	struct itimerval v;
	int which = (int)a0;

	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	u64 f = spin_lock_irqsave(&proc_lock);
	get_itimer(cur_px(), which, &v);
	spin_unlock_irqrestore(&proc_lock, f);
	return copy_to_user((void *)a1, &v, sizeof(v)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(38, setitimer)
{
	struct itimerval nv, ov;
	int which = (int)a0, err;

	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	memset(&nv, 0, sizeof(nv));
	if (a1 && copy_from_user(&nv, (void *)a1, sizeof(nv)))
		return -EFAULT;
	if (!tv_ok(&nv.it_value) || !tv_ok(&nv.it_interval))
		return -EINVAL;
	if ((err = set_itimer(which, &nv, &ov)))
		return err;
	if (a2 && copy_to_user((void *)a2, &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(37, alarm)
{
	struct itimerval nv = { { 0, 0 }, { (s64)(u32)a0, 0 } }, ov;

	set_itimer(ITIMER_REAL, &nv, &ov);
	/* Round to the nearest second, never report 0 for a pending alarm. */
	u64 s = (u64)ov.it_value.tv_sec + (ov.it_value.tv_usec >= 500000);
	if (!s && (ov.it_value.tv_usec || ov.it_value.tv_sec))
		s = 1;
	return (long)s;
}

/* ---- POSIX timers ---- */

static void posix_fire(struct posix_timer *pt)
{
	struct proc_ext *p = pt->proc;
	struct list_head *pos;

	if (pt->notify == SIGEV_NONE)
		return;
	/* Still queued from the last expiry: count an overrun instead. */
	struct task_ext *tt = NULL;
	if (pt->notify == SIGEV_THREAD_ID) {
		tt = task_lookup(pt->tid);
		if (!tt || tt->exited || tt->pub.proc != &p->pub)
			return;
	}
	struct sigpending *sp = tt ? &tt->pending : &p->shared;
	list_for_each(pos, &sp->queue) {
		struct sigqueue *q = list_entry(pos, struct sigqueue, link);
		if (q->info.si_code == SI_TIMER && q->info.timer.tid == pt->id) {
			pt->overrun++;
			q->info.timer.overrun = pt->overrun;
			return;
		}
	}
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = pt->signo;
	info.si_code = SI_TIMER;
	info.timer.tid = pt->id;
	info.timer.overrun = 0;
	info.timer.value = pt->value;
	pt->overrun = 0;
	send_signal_info(tt, p, pt->signo, &info);
}

static void posix_fn(struct timer *tm)
{
	struct posix_timer *pt = container_of(tm, struct posix_timer, timer);
	u64 f = spin_lock_irqsave(&proc_lock);

	if (pt->expires && !pt->proc->zombie) {
		posix_fire(pt);
		if (pt->interval) {
			u64 now = clock_monotonic_ns();
			pt->expires += pt->interval;
			while (pt->expires <= now) {
				pt->expires += pt->interval;
				pt->overrun++;
			}
			timer_arm(&pt->timer, pt->expires);
		} else {
			pt->expires = 0;
		}
	}
	spin_unlock_irqrestore(&proc_lock, f);
}

static struct posix_timer *find_timer(struct proc_ext *p, long id);

void posix_timer_dequeued(struct proc_ext *p, int id, int overrun)
{
	struct posix_timer *pt = find_timer(p, id);

	if (pt) {
		pt->last_overrun = overrun;
		pt->overrun = 0;
	}
}

static struct posix_timer *find_timer(struct proc_ext *p, long id)
{
	struct list_head *pos;

	if (id < 0)
		return NULL; /* -1 is the CPU itimer checker */
	list_for_each(pos, &p->timers) {
		struct posix_timer *pt = list_entry(pos, struct posix_timer, link);
		if (pt->id == id)
			return pt;
	}
	return NULL;
}

SYSCALL_DEFINE(222, timer_create)
{
	int clk = (int)a0;
	struct sigevent ev;
	struct proc_ext *p = cur_px();

	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME &&
	    clk != CLOCK_TAI)
		return clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID ? -EOPNOTSUPP : -EINVAL;
	if (a1) {
		if (copy_from_user(&ev, (void *)a1, sizeof(ev)))
			return -EFAULT;
	} else {
		memset(&ev, 0, sizeof(ev));
		ev.sigev_notify = SIGEV_SIGNAL;
		ev.sigev_signo = SIGALRM;
	}
	int notify = ev.sigev_notify & ~SIGEV_THREAD_ID;
	if (ev.sigev_notify != SIGEV_NONE && ev.sigev_notify != SIGEV_SIGNAL &&
	    ev.sigev_notify != SIGEV_THREAD_ID && ev.sigev_notify != (SIGEV_SIGNAL | SIGEV_THREAD_ID))
		return -EINVAL;
	(void)notify;
	if (ev.sigev_notify != SIGEV_NONE && (ev.sigev_signo < 1 || ev.sigev_signo > NSIG))
		return -EINVAL;
	struct posix_timer *pt = kzalloc(sizeof(*pt));
	if (!pt)
		return -EAGAIN;
	timer_init(&pt->timer, posix_fn);
	pt->proc = p;
	pt->clock = clk;
	pt->notify = (ev.sigev_notify & SIGEV_THREAD_ID) ? SIGEV_THREAD_ID : ev.sigev_notify;
	pt->signo = ev.sigev_signo;
	pt->tid = ev.sigev_tid;
	u64 f = spin_lock_irqsave(&proc_lock);
	if (pt->notify == SIGEV_THREAD_ID) {
		struct task_ext *tt = task_lookup(pt->tid);
		if (!tt || tt->exited || tt->pub.proc != &p->pub) {
			spin_unlock_irqrestore(&proc_lock, f);
			kfree(pt);
			return -EINVAL;
		}
	}
	pt->id = p->next_timer_id++;
	pt->value = a1 ? ev.sigev_value : (u64)pt->id;
	list_add_tail(&pt->link, &p->timers);
	spin_unlock_irqrestore(&proc_lock, f);
	if (put_user_u32((u32)pt->id, (void *)a2)) {
		f = spin_lock_irqsave(&proc_lock);
		list_del(&pt->link);
		spin_unlock_irqrestore(&proc_lock, f);
		kfree(pt);
		return -EFAULT;
	}
	return 0;
}

static void timer_value(struct posix_timer *pt, struct itimerspec *v)
{
	u64 now = clock_monotonic_ns();

	v->it_interval = ns_to_ts(pt->interval);
	v->it_value = ns_to_ts(pt->expires ? (pt->expires > now ? pt->expires - now : 1) : 0);
}

SYSCALL_DEFINE(223, timer_settime)
{
	struct itimerspec nv, ov;
	struct proc_ext *p = cur_px();

	if (copy_from_user(&nv, (void *)a2, sizeof(nv)))
		return -EFAULT;
	if (nv.it_value.tv_sec < 0 || nv.it_value.tv_nsec < 0 || nv.it_value.tv_nsec >= 1000000000 ||
	    nv.it_interval.tv_sec < 0 || nv.it_interval.tv_nsec < 0 || nv.it_interval.tv_nsec >= 1000000000)
		return -EINVAL;
	u64 f = spin_lock_irqsave(&proc_lock);
	struct posix_timer *pt = find_timer(p, (long)(s32)a0);
	spin_unlock_irqrestore(&proc_lock, f);
	if (!pt)
		return -EINVAL;
	timer_cancel_sync(&pt->timer);
	f = spin_lock_irqsave(&proc_lock);
	timer_value(pt, &ov);
	u64 val = ts_to_ns(&nv.it_value), now = clock_monotonic_ns();
	pt->interval = val ? ts_to_ns(&nv.it_interval) : 0;
	pt->overrun = 0;
	if (!val) {
		pt->expires = 0;
	} else if (a1 & TIMER_ABSTIME) {
		u64 base = (pt->clock == CLOCK_REALTIME || pt->clock == CLOCK_TAI) ? clock_realtime_ns() : now;
		pt->expires = val > base ? now + (val - base) : now;
	} else {
		pt->expires = now + val;
	}
	if (pt->expires) {
		if (pt->expires <= now)
			pt->expires = now + 1;
		timer_arm(&pt->timer, pt->expires);
	}
	spin_unlock_irqrestore(&proc_lock, f);
	if (a3 && copy_to_user((void *)a3, &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(224, timer_gettime)
{
	struct itimerspec v;
	u64 f = spin_lock_irqsave(&proc_lock);
	struct posix_timer *pt = find_timer(cur_px(), (long)(s32)a0);

	if (pt)
		timer_value(pt, &v);
	spin_unlock_irqrestore(&proc_lock, f);
	if (!pt)
		return -EINVAL;
	return copy_to_user((void *)a1, &v, sizeof(v)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(225, timer_getoverrun)
{
	u64 f = spin_lock_irqsave(&proc_lock);
	struct posix_timer *pt = find_timer(cur_px(), (long)(s32)a0);
	int ov = pt ? pt->last_overrun : -EINVAL;

	spin_unlock_irqrestore(&proc_lock, f);
	return ov;
}

SYSCALL_DEFINE(226, timer_delete)
{
	struct proc_ext *p = cur_px();
	u64 f = spin_lock_irqsave(&proc_lock);
	struct posix_timer *pt = find_timer(p, (long)(s32)a0);

	if (pt) {
		list_del(&pt->link);
		pt->expires = 0;
	}
	spin_unlock_irqrestore(&proc_lock, f);
	if (!pt)
		return -EINVAL;
	timer_cancel_sync(&pt->timer);
	kfree(pt);
	return 0;
}

/* All timers of a process that is going away (or exec-ing: POSIX timers
 * only, itimers survive exec). */
static void drop_timers(struct proc_ext *p, bool keep_itimers)
{
	for (;;) {
		u64 f = spin_lock_irqsave(&proc_lock);
		struct posix_timer *pt = NULL;
		struct list_head *pos;
		list_for_each(pos, &p->timers) {
			struct posix_timer *c = list_entry(pos, struct posix_timer, link);
			if (c->id == -1 && keep_itimers)
				continue;
			pt = c;
			break;
		}
		if (pt) {
			list_del(&pt->link);
			pt->expires = 0;
			if (pt->id == -1) {
				p->virt_expires_ns = 0;
				p->prof_expires_ns = 0;
			}
		}
		spin_unlock_irqrestore(&proc_lock, f);
		if (!pt)
			return;
		timer_cancel_sync(&pt->timer);
		kfree(pt);
	}
}

void itimers_init(struct proc_ext *p)
{
	timer_init(&p->real_timer, real_fn);
}

void itimers_exit(struct proc_ext *p)
{
	u64 f = spin_lock_irqsave(&proc_lock);
	p->real_expires_ns = 0;
	spin_unlock_irqrestore(&proc_lock, f);
	timer_cancel_sync(&p->real_timer);
	drop_timers(p, false);
}

void itimers_exec(struct proc_ext *p)
{
	drop_timers(p, true);
}
