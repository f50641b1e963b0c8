/* Self-test "tty": the whole receive path on the real UART. The 16550 is
 * put in loopback mode, so bytes it transmits arrive as received bytes:
 * receive interrupt (or the polling fallback) -> flip buffer -> receive
 * thread -> line discipline -> a reader blocked on the tty. Echo is off
 * during the test (an echo would loop back forever) and nothing is printed
 * while loopback is on. Checks: line editing (ERASE), a reader woken by a
 * line typed later, ISIG flushing the line, VMIN=0/VTIME timing, O_NONBLOCK. */
#include <skiff/errno.h>
#include <skiff/printk.h>
#include <skiff/selftest.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include <uapi/fcntl.h>

#include "../char/chardev.h"
#include "tty.h"

static long test_read(struct tty *tty, u32 flags, char *buf, size_t len)
{
	struct file f;
	struct uio u = { .buf = buf, .len = len, .user = false };
	u64 pos = 0;

	memset(&f, 0, sizeof(f));
	f.ops = &tty->fops;
	f.private_data = tty;
	f.flags = flags;
	f.fmode = FMODE_READ | FMODE_WRITE;
	return tty->fops.read(&f, &u, &pos);
}

/* Poll with O_NONBLOCK until a line arrives or 2 s pass. */
static long read_line_deadline(struct tty *tty, char *buf, size_t len)
{
	u64 deadline = clock_monotonic_ns() + 2000000000ull;
	long n;

	do {
		n = test_read(tty, O_NONBLOCK, buf, len);
		if (n != -EAGAIN)
			return n;
		sleep_ns(1000000);
	} while (clock_monotonic_ns() < deadline);
	return -ETIMEDOUT;
}

static int delayed_sender(void *arg)
{
	sleep_ns(50000000);
	serial_send_raw((const u8 *)arg, strlen(arg));
	return 0;
}

static void set_lflag(struct tty *tty, u32 clear, u32 set, u8 vmin, u8 vtime)
{
	struct termios2 old;

	spin_lock(&tty->lock);
	old = tty->termios;
	tty->termios.c_lflag = (tty->termios.c_lflag & ~clear) | set;
	tty->termios.c_cc[VMIN] = vmin;
	tty->termios.c_cc[VTIME] = vtime;
	n_tty_set_termios(&tty->ld, &old);
	n_tty_flush_input(&tty->ld);
	spin_unlock(&tty->lock);
}

static int tty_selftest(void)
{
	struct tty *tty = serial_tty_for_test();
	struct termios2 saved;
	char buf[64];
	const char *fail = NULL;
	long n = 0;
	u64 t0, ms = 0;
	struct thread *sender;

	if (!tty) {
		pr_info("tty: no serial port, skipped");
		return 0;
	}
	spin_lock(&tty->lock);
	saved = tty->termios;
	spin_unlock(&tty->lock);
	set_lflag(tty, ECHO | ECHONL, 0, 1, 0);

	serial_loopback(true);
	/* 1: editing, through the interrupt path (polled wait: no hang). */
	serial_send_raw((const u8 *)"ab\177c\r", 5);
	n = read_line_deadline(tty, buf, sizeof(buf));
	if (n != 3 || memcmp(buf, "ac\n", 3)) {
		fail = "line editing / receive path";
		goto out;
	}
	/* 2: a blocked reader woken by a line that arrives later. */
	sender = kthread_create(delayed_sender, (void *)"hello\n", "tty-test", -1);
	if (!sender) {
		fail = "kthread";
		goto out;
	}
	n = test_read(tty, 0, buf, sizeof(buf));
	kthread_join(sender);
	if (n != 6 || memcmp(buf, "hello\n", 6)) {
		fail = "blocking read";
		goto out;
	}
	/* 3: ^C flushes the partial line (no foreground group: no signal). */
	serial_send_raw((const u8 *)"xy\003z\n", 5);
	n = read_line_deadline(tty, buf, sizeof(buf));
	if (n != 2 || memcmp(buf, "z\n", 2)) {
		fail = "ISIG flush";
		goto out;
	}
	/* 4: non-canonical MIN=0 TIME=2: 0 bytes after about 200 ms. */
	set_lflag(tty, ICANON, 0, 0, 2);
	t0 = clock_monotonic_ns();
	n = test_read(tty, 0, buf, sizeof(buf));
	ms = (clock_monotonic_ns() - t0) / 1000000;
	if (n != 0 || ms < 190 || ms > 1000) {
		fail = "VTIME timeout";
		goto out;
	}
	/* 5: MIN=2 TIME=0 returns once two bytes are there; O_NONBLOCK. */
	set_lflag(tty, ICANON, 0, 2, 0);
	n = test_read(tty, O_NONBLOCK, buf, sizeof(buf));
	if (n != -EAGAIN) {
		fail = "O_NONBLOCK";
		goto out;
	}
	serial_send_raw((const u8 *)"pq", 2);
	n = test_read(tty, 0, buf, sizeof(buf));
	if (n != 2 || memcmp(buf, "pq", 2)) {
		fail = "VMIN read";
		goto out;
	}
	n = 0;
out:
	serial_loopback(false);
	sleep_ns(10000000); /* let looped-back stragglers land, then drop them */
	spin_lock(&tty->lock);
	{
		struct termios2 old = tty->termios;
		tty->termios = saved;
		n_tty_set_termios(&tty->ld, &old);
		n_tty_flush_input(&tty->ld);
	}
	spin_unlock(&tty->lock);
	if (fail) {
		pr_err("tty: %s failed (read returned %ld, %llu ms)", fail, n, (unsigned long long)ms);
		return -1;
	}
	pr_info("tty: loopback editing, blocking read, ISIG, VMIN/VTIME ok");
	return 0;
}
SELFTEST(tty, tty_selftest);
