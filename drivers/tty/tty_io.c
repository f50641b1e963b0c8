/* tty core: creation, the receive path (flip buffer -> receive thread ->
 * line discipline), and the file operations read, write, poll, open.
 * ioctls are in tty_ioctl.c, sessions and job control in tty_jobctl.c.
 *
 * Reads follow Linux's n_tty_read: canonical mode returns at most one line;
 * non-canonical mode implements VMIN/VTIME (MIN>0,TIME=0: wait for
 * min(MIN, count) bytes; MIN>0,TIME>0: inter-byte timer started by the first
 * byte; MIN=0,TIME>0: wait at most TIME for one byte; MIN=0,TIME=0: never
 * wait). A blocked reader sleeps interruptibly on tty->read_wait and returns
 * -ERESTARTSYS on a signal (bytes already copied are returned instead). */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include <uapi/fcntl.h>
#include <uapi/poll.h>
#include <uapi/signal.h>

#include "tty.h"

struct tty *tty_console;

/* ---- receive path ---- */

void tty_insert_flip_char(struct tty *tty, u8 c)
{
	u64 fl = spin_lock_irqsave(&tty->flip_lock);

	if (tty->flip_head - tty->flip_tail < TTY_FLIP_SIZE)
		tty->flip[tty->flip_head++ & (TTY_FLIP_SIZE - 1)] = c;
	else
		tty->flip_dropped++;
	spin_unlock_irqrestore(&tty->flip_lock, fl);
}

void tty_flip_push(struct tty *tty)
{
	if (tty->rx_thread)
		wake_up_thread(tty->rx_thread, TASK_INTERRUPTIBLE);
}

static size_t flip_take(struct tty *tty, u8 *dst, size_t max)
{
	u64 fl = spin_lock_irqsave(&tty->flip_lock);
	size_t n = 0;

	while (n < max && tty->flip_tail != tty->flip_head)
		dst[n++] = tty->flip[tty->flip_tail++ & (TTY_FLIP_SIZE - 1)];
	spin_unlock_irqrestore(&tty->flip_lock, fl);
	return n;
}

void tty_receive(struct tty *tty, const u8 *s, size_t n)
{
	u32 sigs;
	pid_t pgrp;

	spin_lock(&tty->lock);
	n_tty_receive(&tty->ld, s, n);
	sigs = n_tty_take_signals(&tty->ld);
	pgrp = tty->pgrp;
	spin_unlock(&tty->lock);

	for (int sig = 1; sigs; sig++) {
		if (!(sigs & (1u << sig)))
			continue;
		sigs &= ~(1u << sig);
		if (pgrp > 0)
			send_signal_pgrp(pgrp, sig);
	}
	wake_up_all(&tty->read_wait);
}

/* The receive thread: sleeps until tty_flip_push, then feeds the line
 * discipline. The state is set before the flip buffer is tested, so a push
 * between the test and schedule() makes schedule() return at once. */
static int tty_rx_thread(void *arg)
{
	struct tty *tty = arg;
	u8 buf[64];

	for (;;) {
		size_t n;

		set_current_state(TASK_INTERRUPTIBLE);
		n = flip_take(tty, buf, sizeof(buf));
		if (!n) {
			schedule();
			continue;
		}
		set_current_state(TASK_RUNNING);
		tty_receive(tty, buf, n);
	}
	return 0;
}

/* ---- output ---- */

static void ld_write(void *ctx, const u8 *s, size_t n)
{
	struct tty *tty = ctx;

	tty->ops->write(tty, s, n);
}

/* ---- file operations ---- */

static struct tty *file_tty(struct file *f) { return f->private_data; }

struct read_cond {
	struct tty *tty;
	bool poll;
};

/* Sleep on read_wait until input is available, a signal is pending
 * (-ERESTARTSYS) or deadline passes (0 = none; returns -ETIMEDOUT).
 * Returns 0 when input is available. */
static int wait_for_input(struct tty *tty, u64 deadline)
{
	struct thread *t = current;
	struct waiter w = { 0 };
	int ret;

	for (;;) {
		bool avail;

		prepare_to_wait(&tty->read_wait, &w, TASK_INTERRUPTIBLE);
		spin_lock(&tty->lock);
		avail = n_tty_input_available(&tty->ld, false);
		spin_unlock(&tty->lock);
		if (avail) {
			ret = 0;
			break;
		}
		if (signal_pending()) {
			ret = -ERESTARTSYS;
			break;
		}
		if (deadline && clock_monotonic_ns() >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		if (deadline)
			timer_arm(&t->sleep_timer, deadline);
		schedule();
		if (deadline)
			timer_cancel_sync(&t->sleep_timer);
	}
	finish_wait(&tty->read_wait, &w);
	return ret;
}

static long tty_read(struct file *f, struct uio *u, u64 *pos)
{
	struct tty *tty = file_tty(f);
	u64 timeout_ns = 0, time_ns = 0, deadline = 0;
	size_t minimum = 0, copied = 0;
	bool canon, infinite = true;
	long ret = 0;
	int err;

	if (!tty)
		return -EIO;
	if (!tty_file_is_console(f)) {
		err = tty_check_change(tty, SIGTTIN);
		if (err)
			return err;
	}

	spin_lock(&tty->lock);
	canon = tty->ld.icanon;
	if (!canon) {
		minimum = tty->termios.c_cc[VMIN];
		time_ns = (u64)tty->termios.c_cc[VTIME] * 100000000ull;
		if (!minimum) {
			/* MIN == 0: TIME (possibly 0) bounds the whole wait. */
			infinite = false;
			timeout_ns = time_ns;
		}
	}
	spin_unlock(&tty->lock);

	while (u->len) {
		u8 buf[256];
		size_t n, want = u->len < sizeof(buf) ? u->len : sizeof(buf);
		bool line_done, avail;

		spin_lock(&tty->lock);
		avail = n_tty_input_available(&tty->ld, false);
		n = avail ? n_tty_read(&tty->ld, buf, want, &line_done) : 0;
		spin_unlock(&tty->lock);

		if (!avail) {
			if (!infinite && !timeout_ns)
				break;
			if (f->flags & O_NONBLOCK) {
				ret = -EAGAIN;
				break;
			}
			if (!infinite && !deadline)
				deadline = clock_monotonic_ns() + timeout_ns;
			err = wait_for_input(tty, infinite ? 0 : deadline);
			if (err == -ETIMEDOUT)
				break;
			if (err) {
				ret = err;
				break;
			}
			continue;
		}
		if (n && uio_copy_out(u, buf, n)) {
			ret = -EFAULT;
			break;
		}
		copied += n;
		if (canon) {
			/* One line per read; a line longer than the bounce
			 * buffer continues while the caller has room. */
			if (line_done || n < want)
				break;
			continue;
		}
		if (copied >= minimum)
			break;
		if (time_ns) {
			/* MIN > 0, TIME > 0: restart the inter-byte timer. */
			infinite = false;
			timeout_ns = time_ns;
			deadline = 0;
		}
	}
	if (copied)
		return (long)copied;
	return ret;
}

static long tty_write(struct file *f, struct uio *u, u64 *pos)
{
	struct tty *tty = file_tty(f);
	size_t written = 0;
	bool tostop;

	if (!tty)
		return -EIO;
	spin_lock(&tty->lock);
	tostop = tty->termios.c_lflag & TOSTOP;
	spin_unlock(&tty->lock);
	if (tostop && !tty_file_is_console(f)) {
		int err = tty_check_change(tty, SIGTTOU);
		if (err)
			return err;
	}
	while (u->len) {
		u8 buf[256];
		size_t n = u->len < sizeof(buf) ? u->len : sizeof(buf);

		if (written && signal_pending())
			break;
		if (uio_copy_in(u, buf, n))
			return written ? (long)written : -EFAULT;
		spin_lock(&tty->lock);
		n_tty_write(&tty->ld, buf, n);
		spin_unlock(&tty->lock);
		written += n;
	}
	return (long)written;
}

static u32 tty_poll(struct file *f, struct poll_table *pt)
{
	struct tty *tty = file_tty(f);
	u32 mask = POLLOUT | POLLWRNORM;

	if (!tty)
		return POLLERR;
	poll_wait(f, &tty->read_wait, pt);
	spin_lock(&tty->lock);
	if (n_tty_input_available(&tty->ld, true))
		mask |= POLLIN | POLLRDNORM;
	spin_unlock(&tty->lock);
	return mask;
}

static bool may_open_excl(struct tty *tty)
{
	struct task *t = current_task();
	bool busy;

	spin_lock(&tty->lock);
	busy = tty->excl;
	spin_unlock(&tty->lock);
	return !busy || !t || t->proc->euid == 0;
}

/* /dev/ttyS0 and the like: the tty owning these fops. A session leader
 * without a controlling terminal acquires this one unless O_NOCTTY. */
static int tty_open_dev(struct inode *ino, struct file *f)
{
	struct tty *tty = container_of(f->ops, struct tty, fops);

	if (!may_open_excl(tty))
		return -EBUSY;
	f->private_data = tty;
	if (!(f->flags & O_NOCTTY) && current_task())
		tty_set_ctty(tty, f, false, true);
	return 0;
}

/* /dev/tty: the caller's controlling terminal. */
static int tty_open_current(struct inode *ino, struct file *f)
{
	struct tty *tty = current_task() ? tty_current_ctty() : NULL;

	if (!tty)
		return -ENXIO;
	if (!may_open_excl(tty))
		return -EBUSY;
	f->private_data = tty;
	return 0;
}

/* /dev/console: the console tty, never acquired as controlling terminal by
 * open, and exempt from background job control on read/write. */
static int tty_open_console(struct inode *ino, struct file *f)
{
	if (!tty_console)
		return -ENODEV;
	f->private_data = tty_console;
	return 0;
}

#define TTY_FOPS_COMMON \
	.read = tty_read, .write = tty_write, .poll = tty_poll, .ioctl = tty_ioctl

const struct file_operations tty_current_fops = { TTY_FOPS_COMMON, .open = tty_open_current };
const struct file_operations tty_console_fops = { TTY_FOPS_COMMON, .open = tty_open_console };

struct tty *tty_create(const char *name, u32 major, u32 minor,
		       const struct tty_driver_ops *ops, void *driver_data)
{
	struct tty *tty = kzalloc(sizeof(*tty));

	if (!tty)
		return NULL;
	spin_init(&tty->lock, "tty");
	spin_init(&tty->flip_lock, "tty_flip");
	wait_queue_init(&tty->read_wait);
	tty->name = name;
	tty->major = major;
	tty->minor = minor;
	tty->ops = ops;
	tty->driver_data = driver_data;
	tty->fops = (struct file_operations){ TTY_FOPS_COMMON, .open = tty_open_dev };
	tty->winsize.ws_row = 24;
	tty->winsize.ws_col = 80;
	n_tty_default_termios(&tty->termios);
	n_tty_init(&tty->ld, &tty->termios, ld_write, tty);
	tty->rx_thread = kthread_create(tty_rx_thread, tty, name, -1);
	if (!tty->rx_thread) {
		kfree(tty);
		return NULL;
	}
	tty_table_add(tty);
	return tty;
}

int tty_register_device(struct tty *tty)
{
	return register_chrdev(tty->major, tty->minor, tty->name, &tty->fops);
}
