/* timerfd_create, timerfd_settime, timerfd_gettime (timerfd_create(2)): a
 * timer on the kernel timer queue whose expirations are read as a count.
 *
 * Clocks: CLOCK_MONOTONIC and CLOCK_BOOTTIME (the same clock here: the
 * guest does not suspend), CLOCK_REALTIME, and their _ALARM variants for
 * root (nothing here suspends, so they never need to wake the system).
 * As on Linux, a relative timer runs on the monotonic clock whatever its
 * clock (POSIX: relative timers ignore clock_settime); an absolute
 * CLOCK_REALTIME timer follows the wall clock: clock_was_set moves it, and
 * with TFD_TIMER_CANCEL_ON_SET makes the next read fail with ECANCELED.
 *
 * Expirations: the timer callback counts one tick and stops; a periodic
 * timer is advanced lazily by the next read or timerfd_gettime, which add
 * the periods missed meanwhile to the count (Linux's hrtimer_forward: a
 * 1 ns period costs one interrupt per read, not a storm). read of at least
 * 8 bytes returns the count and clears it; with no tick it blocks
 * (interruptibly: -ERESTARTSYS) or fails with EAGAIN under O_NONBLOCK.
 * POLLIN while the count is non-zero.
 *
 * Locking: ctx->mtx (fs_mutex) orders settime, gettime and the tick-taking
 * part of read, the only paths that change the arming. ctx->lock
 * (spinlock, irqsave) protects the fields marked [lock]; the timer callback
 * and the clock_was_set hook take only ctx->lock (after rt_lock for the
 * hook), and re-arm the kernel timer only while `armed` says it stands for
 * `expires`. settime clears `armed` under the lock before cancelling, so
 * neither can re-arm behind it. Wakeups (ctx->wq, POLLIN key) happen after
 * ctx->lock is dropped. */
#include "../fs.h"
#include "../poll.h"
#include <skiff/mm.h>
#include <skiff/syscall.h>
#include <skiff/task.h>
#include <skiff/time.h>
#include <skiff/timer.h>
#include <skiff/uaccess.h>
#include <uapi/poll.h>
#include <uapi/time.h>
#include <uapi/timerfd.h>

struct timerfd_ctx {
	struct fs_mutex mtx;
	spinlock_t lock;
	struct timer timer;
	int clockid;              /* [I] */
	bool realtime;            /* [I] a CLOCK_REALTIME(_ALARM) timer */
	bool rt_abs;              /* [lock] expires is wall-clock time */
	bool armed;               /* [lock] the kernel timer stands for expires */
	bool expired;             /* [lock] fired; a period not yet forwarded */
	bool might_cancel;        /* [lock] TFD_TIMER_CANCEL_ON_SET is in force */
	bool canceled;            /* [lock] the wall clock was set since */
	u64 expires;              /* [lock] ns of its clock (see rt_abs) */
	u64 interval;             /* [lock] ns, 0 for a one-shot timer */
	u64 ticks;                /* [lock] expirations not read yet */
	struct wait_queue wq;
	struct list_head rt_link; /* [rt_lock] realtime timers */
};

static DEFINE_SPINLOCK(rt_lock);
static LIST_HEAD(rt_timers);     /* [rt_lock] */
static bool hook_registered;     /* [rt_lock] */

/* Now on the timer's clock. [lock] */
static u64 tfd_now(struct timerfd_ctx *ctx)
{
	return ctx->rt_abs ? clock_realtime_ns() : clock_monotonic_ns();
}

/* The monotonic time at which expires falls due. [lock] */
static u64 tfd_mono_expiry(struct timerfd_ctx *ctx)
{
	if (!ctx->rt_abs)
		return ctx->expires;
	u64 rt = clock_realtime_ns(), mono = clock_monotonic_ns();
	return ctx->expires > rt ? mono + (ctx->expires - rt) : mono;
}

/* Advance a periodic timer past now: the number of periods that elapsed
 * (0 when not yet due). [lock] */
static u64 tfd_forward(struct timerfd_ctx *ctx)
{
	u64 now = tfd_now(ctx), k;

	if (now < ctx->expires)
		return 0;
	k = (now - ctx->expires) / ctx->interval + 1;
	ctx->expires += k * ctx->interval;
	return k;
}

static void tfd_fire(struct timer *tm)
{
	struct timerfd_ctx *ctx = container_of(tm, struct timerfd_ctx, timer);
	bool wake = false;
	u64 f = spin_lock_irqsave(&ctx->lock);

	if (ctx->armed) {
		if (tfd_now(ctx) < ctx->expires) {
			timer_arm(tm, tfd_mono_expiry(ctx)); /* the wall clock went back */
		} else {
			ctx->ticks++;
			ctx->expired = true;
			ctx->armed = false;
			wake = true;
		}
	}
	spin_unlock_irqrestore(&ctx->lock, f);
	if (wake)
		wake_up_poll(&ctx->wq, POLLIN);
}

/* clock_was_set hook: wall-clock timers fall due at another monotonic
 * time; CANCEL_ON_SET ones are cancelled (a tick makes them readable). */
static void tfd_clock_was_set(void)
{
	u64 f = spin_lock_irqsave(&rt_lock);
	struct list_head *pos;

	list_for_each(pos, &rt_timers) {
		struct timerfd_ctx *ctx = list_entry(pos, struct timerfd_ctx, rt_link);
		bool wake = false;
		spin_lock(&ctx->lock);
		if (ctx->armed && ctx->rt_abs)
			timer_arm(&ctx->timer, tfd_mono_expiry(ctx));
		if (ctx->might_cancel) {
			ctx->canceled = true;
			ctx->ticks++;
			wake = true;
		}
		spin_unlock(&ctx->lock);
		if (wake)
			wake_up_poll(&ctx->wq, POLLIN);
	}
	spin_unlock_irqrestore(&rt_lock, f);
}

/* Time left and the period, as timerfd_gettime reports them, after a
 * fired periodic timer is forwarded (counting what it missed if count).
 * mtx and [lock] held. */
static void tfd_current(struct timerfd_ctx *ctx, struct itimerspec *cur, bool count)
{
	u64 left = 0;

	if (ctx->expired && ctx->interval) {
		u64 k = tfd_forward(ctx);
		if (count) {
			if (k)
				ctx->ticks += k - 1;
			ctx->expired = false;
			ctx->armed = true;
			timer_arm(&ctx->timer, tfd_mono_expiry(ctx));
		}
		left = ctx->expires - tfd_now(ctx);
	} else if (ctx->armed) {
		u64 now = tfd_now(ctx);
		left = ctx->expires > now ? ctx->expires - now : 0;
	}
	cur->it_value.tv_sec = (s64)(left / NSEC_PER_SEC);
	cur->it_value.tv_nsec = (s64)(left % NSEC_PER_SEC);
	cur->it_interval.tv_sec = (s64)(ctx->interval / NSEC_PER_SEC);
	cur->it_interval.tv_nsec = (s64)(ctx->interval % NSEC_PER_SEC);
}

static bool tfd_readable(void *arg)
{
	struct timerfd_ctx *ctx = arg;
	return READ_ONCE(ctx->ticks) > 0;
}

static long tfd_read(struct file *f, struct uio *u, u64 *pos)
{
	struct timerfd_ctx *ctx = f->private_data;
	u64 ticks = 0;

	if (u->len < sizeof(ticks))
		return -EINVAL;
	for (;;) {
		long r = 0;
		fs_mutex_lock(&ctx->mtx);
		u64 fl = spin_lock_irqsave(&ctx->lock);
		if (ctx->canceled) {
			/* The clock changed: the count means nothing now. */
			ctx->canceled = false;
			ctx->ticks = 0;
			ctx->expired = false;
			r = -ECANCELED;
		} else if (ctx->ticks) {
			ticks = ctx->ticks;
			if (ctx->expired && ctx->interval) {
				u64 k = tfd_forward(ctx);
				if (k)
					ticks += k - 1;
				ctx->armed = true;
				timer_arm(&ctx->timer, tfd_mono_expiry(ctx));
			}
			ctx->expired = false;
			ctx->ticks = 0;
		}
		spin_unlock_irqrestore(&ctx->lock, fl);
		fs_mutex_unlock(&ctx->mtx);
		if (r)
			return r;
		if (ticks)
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		r = vfs_wait_event(&ctx->wq, tfd_readable, ctx, 0);
		if (r)
			return r;
	}
	if (uio_copy_out(u, &ticks, sizeof(ticks)))
		return -EFAULT;
	return sizeof(ticks);
}

static u32 tfd_poll(struct file *f, struct poll_table *pt)
{
	struct timerfd_ctx *ctx = f->private_data;

	poll_wait(f, &ctx->wq, pt);
	return READ_ONCE(ctx->ticks) ? POLLIN : 0;
}

static void tfd_release(struct file *f)
{
	struct timerfd_ctx *ctx = f->private_data;

	if (ctx->realtime) {
		u64 fl = spin_lock_irqsave(&rt_lock);
		list_del(&ctx->rt_link);
		spin_unlock_irqrestore(&rt_lock, fl);
	}
	u64 fl = spin_lock_irqsave(&ctx->lock);
	ctx->armed = false;
	spin_unlock_irqrestore(&ctx->lock, fl);
	timer_cancel_sync(&ctx->timer);
	kfree(ctx);
}

static s64 tfd_llseek(struct file *f, s64 off, int whence)
{
	return (s64)f->pos;  /* Linux's noop_llseek */
}

static const struct file_operations timerfd_ops = {
	.read = tfd_read,
	.poll = tfd_poll,
	.release = tfd_release,
	.llseek = tfd_llseek,
	.anon_name = "timerfd",
};

SYSCALL_DEFINE(283, timerfd_create)
{
	int clockid = (int)a0, flags = (int)a1;
	struct timerfd_ctx *ctx;
	struct file *f;
	int fd;

	if ((flags & ~(TFD_CLOEXEC | TFD_NONBLOCK)) ||
	    (clockid != CLOCK_MONOTONIC && clockid != CLOCK_REALTIME && clockid != CLOCK_BOOTTIME &&
	     clockid != CLOCK_REALTIME_ALARM && clockid != CLOCK_BOOTTIME_ALARM))
		return -EINVAL;
	if ((clockid == CLOCK_REALTIME_ALARM || clockid == CLOCK_BOOTTIME_ALARM) &&
	    current_proc()->euid != 0)
		return -EPERM;  /* CAP_WAKE_ALARM */
	ctx = kzalloc(sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	fs_mutex_init(&ctx->mtx);
	spin_init(&ctx->lock, "timerfd");
	timer_init(&ctx->timer, tfd_fire);
	wait_queue_init(&ctx->wq);
	ctx->clockid = clockid;
	ctx->realtime = clockid == CLOCK_REALTIME || clockid == CLOCK_REALTIME_ALARM;
	list_init(&ctx->rt_link);
	f = anon_file_create(&timerfd_ops, 0600, O_RDWR | (flags & TFD_NONBLOCK), ctx);
	if (IS_ERR(f)) {
		kfree(ctx);
		return PTR_ERR(f);
	}
	if (ctx->realtime) {
		u64 fl = spin_lock_irqsave(&rt_lock);
		bool reg = !hook_registered;
		hook_registered = true;
		list_add_tail(&ctx->rt_link, &rt_timers);
		spin_unlock_irqrestore(&rt_lock, fl);
		if (reg)
			clock_was_set_register(tfd_clock_was_set);
	}
	fd = fd_install(f, flags & TFD_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* The timerfd behind fd, referenced: -EBADF, or -EINVAL for another file. */
static struct timerfd_ctx *tfd_get(int fd, struct file **fp)
{
	struct file *f = fd_get(fd);

	if (!f || (f->fmode & FMODE_PATH)) {
		if (f)
			file_put(f);
		return ERR_PTR(-EBADF);
	}
	if (f->ops != &timerfd_ops) {
		file_put(f);
		return ERR_PTR(-EINVAL);
	}
	*fp = f;
	return f->private_data;
}

static bool its_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < (s64)NSEC_PER_SEC;
}

/* Saturating: a time past ~292 years stays far in the future. */
static u64 ts_ns(const struct timespec *ts)
{
	if ((u64)ts->tv_sec >= (~0ull >> 1) / NSEC_PER_SEC)
		return ~0ull >> 1;
	return (u64)ts->tv_sec * NSEC_PER_SEC + (u64)ts->tv_nsec;
}

static u64 add_sat(u64 a, u64 b)
{
	return a + b < a || a + b > (~0ull >> 1) ? ~0ull >> 1 : a + b;
}

SYSCALL_DEFINE(286, timerfd_settime)
{
	int flags = (int)a1;
	struct itimerspec nv, old;
	struct timerfd_ctx *ctx;
	struct file *f;

	if (copy_from_user(&nv, (void *)a2, sizeof(nv)))
		return -EFAULT;
	if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) ||
	    !its_valid(&nv.it_value) || !its_valid(&nv.it_interval))
		return -EINVAL;
	ctx = tfd_get((int)a0, &f);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	fs_mutex_lock(&ctx->mtx);
	u64 fl = spin_lock_irqsave(&ctx->lock);
	tfd_current(ctx, &old, false);
	ctx->armed = false;
	spin_unlock_irqrestore(&ctx->lock, fl);
	timer_cancel_sync(&ctx->timer);

	u64 value = ts_ns(&nv.it_value);
	fl = spin_lock_irqsave(&ctx->lock);
	ctx->ticks = 0;
	ctx->expired = false;
	ctx->canceled = false;
	ctx->interval = ts_ns(&nv.it_interval);
	ctx->might_cancel = ctx->realtime && (flags & TFD_TIMER_ABSTIME) &&
			    (flags & TFD_TIMER_CANCEL_ON_SET);
	ctx->rt_abs = ctx->realtime && (flags & TFD_TIMER_ABSTIME);
	ctx->expires = 0;
	if (value) {
		ctx->expires = (flags & TFD_TIMER_ABSTIME) ? value : add_sat(clock_monotonic_ns(), value);
		ctx->armed = true;
		timer_arm(&ctx->timer, tfd_mono_expiry(ctx));
	}
	spin_unlock_irqrestore(&ctx->lock, fl);
	fs_mutex_unlock(&ctx->mtx);
	file_put(f);
	if (a3 && copy_to_user((void *)a3, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(287, timerfd_gettime)
{
	struct timerfd_ctx *ctx;
	struct itimerspec cur;
	struct file *f;

	ctx = tfd_get((int)a0, &f);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	fs_mutex_lock(&ctx->mtx);
	u64 fl = spin_lock_irqsave(&ctx->lock);
	tfd_current(ctx, &cur, true);
	spin_unlock_irqrestore(&ctx->lock, fl);
	fs_mutex_unlock(&ctx->mtx);
	file_put(f);
	return copy_to_user((void *)a1, &cur, sizeof(cur)) ? -EFAULT : 0;
}
