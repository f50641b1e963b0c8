/* The console terminal as shells use it: termios round trips, window size,
 * ENOTTY on non-terminals, and controlling-terminal job control (a session
 * leader acquiring the terminal, TIOCGPGRP/TIOCSPGRP/TIOCGSID, SIGTTOU for a
 * background group, the errno of each refusal).
 *
 * Needs stdin to be a terminal: otherwise it prints a "skipped" line and
 * counts nothing. The job-control part runs in a child that starts a new
 * session and opens the terminal device (the one behind /dev/console if
 * stdin is the console); when the terminal already belongs to another
 * session (an interactive shell), it checks the refusals instead.
 *
 * /proc/P/stat's fields 7 (tty_nr) and 8 (tpgid) follow the controlling
 * terminal: its device number as proc encodes it and its foreground group;
 * 0 and -1 without one. */
#include "t.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

/* A device number as /proc/P/stat's tty_nr shows it (Linux's
 * new_encode_dev: minor's low byte in bits 0-7, major in bits 8-19, the
 * rest of minor from bit 20). */
static long long tty_nr_of(dev_t d)
{
	unsigned maj = major(d), min = minor(d);
	return (long long)((min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12));
}

/* Fields 7 and 8 of /proc/<pid>/stat, or of /proc/<pid>/task/<tid>/stat
 * when tid > 0; 0 on success. */
static int stat_tty(pid_t pid, pid_t tid, long long *tty_nr, long long *tpgid)
{
	char path[64], buf[1024];
	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *rp = strrchr(buf, ')');
	char state;
	int ppid, pgrp, sid;
	if (!rp || sscanf(rp + 1, " %c %d %d %d %lld %lld", &state, &ppid, &pgrp, &sid, tty_nr, tpgid) != 6)
		return -1;
	return 0;
}

/* /proc/<pid>/stat (the task file of tid when tid > 0) names the
 * controlling terminal want_nr (0: none) with foreground group want_tpgid
 * (-1: none). */
#define CHECK_STAT_TTY(pid, tid, want_nr, want_tpgid)                              \
	do {                                                                       \
		long long _nr = -2, _tp = -2;                                      \
		CHECK_RET(stat_tty(pid, tid, &_nr, &_tp), 0, 0);                   \
		CHECK_EQ(_nr, want_nr);                                            \
		CHECK_EQ(_tp, want_tpgid);                                         \
	} while (0)

static void t_termios(void)
{
	struct termios saved, t, got;
	CHECK_RET(tcgetattr(0, &saved), 0, 0);
	struct termios raw_k;
	CHECK_RET(ioctl(0, TCGETS, &raw_k), 0, 0);
	CHECK_EQ(raw_k.c_lflag, saved.c_lflag);

	t = saved;
	t.c_lflag ^= ECHO;
	t.c_cc[VMIN] = 3;
	t.c_cc[VTIME] = 7;
	CHECK_RET(tcsetattr(0, TCSANOW, &t), 0, 0);
	CHECK_RET(tcgetattr(0, &got), 0, 0);
	CHECK_EQ(got.c_lflag & ECHO, t.c_lflag & ECHO);
	CHECK_EQ(got.c_cc[VMIN], 3);
	CHECK_EQ(got.c_cc[VTIME], 7);
	t.c_lflag ^= ICANON;
	CHECK_RET(tcsetattr(0, TCSADRAIN, &t), 0, 0);
	CHECK_RET(tcgetattr(0, &got), 0, 0);
	CHECK_EQ(got.c_lflag & ICANON, t.c_lflag & ICANON);
	CHECK_RET(tcsetattr(0, 99, &t), -1, EINVAL);
	CHECK_RET(tcsetattr(0, TCSANOW, &saved), 0, 0);
	CHECK_RET(tcgetattr(0, &got), 0, 0);
	CHECK_EQ(got.c_lflag, saved.c_lflag);
	CHECK_EQ(got.c_iflag, saved.c_iflag);
	CHECK_EQ(got.c_oflag, saved.c_oflag);
	CHECK_EQ(got.c_cflag, saved.c_cflag);

	int n = -1;
	CHECK_RET(ioctl(0, FIONREAD, &n), 0, 0);
	CHECK(n >= 0);
	CHECK_RET(ioctl(0, TIOCOUTQ, &n), 0, 0);
	CHECK(n >= 0);
	CHECK_RET(tcflush(0, TCIFLUSH), 0, 0);
	CHECK_RET(tcflush(0, 99), -1, EINVAL);

	/* Window size: set, read back, restore. */
	struct winsize ws, ws2, saved_ws;
	CHECK_RET(ioctl(0, TIOCGWINSZ, &saved_ws), 0, 0);
	signal(SIGWINCH, SIG_IGN);
	ws = (struct winsize){ .ws_row = 33, .ws_col = 111 };
	CHECK_RET(ioctl(0, TIOCSWINSZ, &ws), 0, 0);
	CHECK_RET(ioctl(0, TIOCGWINSZ, &ws2), 0, 0);
	CHECK_EQ(ws2.ws_row, 33);
	CHECK_EQ(ws2.ws_col, 111);
	CHECK_RET(ioctl(0, TIOCSWINSZ, &saved_ws), 0, 0);
	CHECK_RET(ioctl(0, TIOCGWINSZ, BAD_PTR(1)), -1, EFAULT);
	signal(SIGWINCH, SIG_DFL);

	/* Not terminals. */
	int p[2];
	pipe(p);
	CHECK_RET(tcgetattr(p[0], &got), -1, ENOTTY);
	CHECK_RET(ioctl(p[0], TIOCGWINSZ, &ws), -1, ENOTTY);
	CHECK_RET(ioctl(p[0], TIOCGPGRP, &n), -1, ENOTTY);
	CHECK_EQ(isatty(p[0]), 0);
	close(p[0]);
	close(p[1]);
	int nul = open("/dev/null", O_RDWR);
	CHECK_RET(tcgetattr(nul, &got), -1, ENOTTY);
	close(nul);
	CHECK_RET(ioctl(0, 0x54ff, &n), -1, ENOTTY); /* unknown tty ioctl */
	CHECK_RET(tcgetattr(999, &got), -1, EBADF);
}

/* The terminal device behind fd 0. */
static void tty_path(char *out, size_t n)
{
	char *name = ttyname(0);
	if (name && strcmp(name, "/dev/console")) {
		snprintf(out, n, "%s", name);
		return;
	}
	/* /dev/console: the last active console is the one it stands for. */
	char buf[256] = "";
	int fd = open("/sys/class/tty/console/active", O_RDONLY);
	ssize_t r = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[r > 0 ? r : 0] = 0;
	char *last = NULL;
	for (char *w = strtok(buf, " \n"); w; w = strtok(NULL, " \n"))
		last = w;
	snprintf(out, n, "/dev/%s", last ? last : "ttyS0");
}

static pid_t other_pgrp; /* a process group of the parent's session */

static void child_session(void)
{
	char path[256];
	int n = -1;
	tty_path(path, sizeof(path));
	pid_t me = getpid();
	CHECK_RET(setsid(), me, 0);
	CHECK_RET(open("/dev/tty", O_RDWR), -1, ENXIO); /* no terminal yet */
	CHECK_STAT_TTY(me, 0, 0, -1);
	int fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	if (fd < 0) {
		printf("t_tty: cannot open %s\n", path);
		return;
	}
	int t = open("/dev/tty", O_RDWR);
	if (t < 0) {
		/* The terminal is another session's: it did not become ours. */
		printf("t_tty: %s belongs to another session; checking the refusals only\n", path);
		CHECK_RET(ioctl(fd, TIOCGPGRP, &n), -1, ENOTTY);
		CHECK_RET(ioctl(fd, TIOCSCTTY, 0), -1, EPERM);
		CHECK_RET(ioctl(fd, TIOCSPGRP, &me), -1, ENOTTY);
		CHECK_STAT_TTY(me, 0, 0, -1);
		return;
	}
	/* Opening it made it our controlling terminal, our group in front. */
	CHECK_RET(ioctl(fd, TIOCGPGRP, &n), 0, 0);
	CHECK_EQ(n, me);
	CHECK_EQ(tcgetpgrp(fd), me);
	CHECK_EQ(tcgetpgrp(t), me);
	pid_t sid = -1;
	CHECK_RET(ioctl(fd, TIOCGSID, &sid), 0, 0);
	CHECK_EQ(sid, me);
	CHECK_EQ(tcgetsid(fd), me);
	CHECK_RET(ioctl(fd, TIOCSCTTY, 0), 0, 0); /* already ours */
	/* /proc shows it: the device's number, our group in front. */
	struct stat sb;
	CHECK_RET(fstat(fd, &sb), 0, 0);
	long long nr = tty_nr_of(sb.st_rdev);
	CHECK(nr != 0);
	CHECK_STAT_TTY(me, 0, nr, me);
	CHECK_STAT_TTY(me, me, nr, me);
	/* /dev/tty reaches the same terminal: its settings are those of fd. */
	struct termios ta, tb;
	CHECK_RET(tcgetattr(t, &ta), 0, 0);
	tb = ta;
	tb.c_cc[VMIN] = ta.c_cc[VMIN] == 5 ? 6 : 5;
	CHECK_RET(tcsetattr(fd, TCSANOW, &tb), 0, 0);
	CHECK_RET(tcgetattr(t, &tb), 0, 0);
	CHECK_EQ(tb.c_cc[VMIN], ta.c_cc[VMIN] == 5 ? 6 : 5);
	CHECK_RET(tcsetattr(fd, TCSANOW, &ta), 0, 0);
	close(t);

	/* Refusals. */
	pid_t bad = 99999;
	CHECK_RET(ioctl(fd, TIOCSPGRP, &bad), -1, ESRCH);
	bad = -1;
	CHECK_RET(ioctl(fd, TIOCSPGRP, &bad), -1, EINVAL);
	CHECK_RET(ioctl(fd, TIOCSPGRP, &other_pgrp), -1, EPERM); /* another session's group */

	/* A background group that tries to take the terminal is stopped by
	 * SIGTTOU... */
	int st;
	fflush(stdout);
	pid_t g = fork();
	if (g == 0) {
		setpgid(0, 0);
		signal(SIGTTOU, SIG_DFL);
		tcsetpgrp(fd, getpid());
		_exit(3);
	}
	setpgid(g, g);
	CHECK_RET(waitpid(g, &st, WUNTRACED), g, 0);
	CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU);
	kill(g, SIGKILL);
	waitpid(g, &st, 0);
	CHECK_EQ(tcgetpgrp(fd), me);

	/* ...unless it ignores SIGTTOU: then it may move itself to the front,
	 * and hand the terminal back. */
	g = fork();
	if (g == 0) {
		setpgid(0, 0);
		signal(SIGTTOU, SIG_IGN);
		int ok = tcsetpgrp(fd, getpid()) == 0 && tcgetpgrp(fd) == getpid();
		ok = ok && tcsetpgrp(fd, me) == 0 && tcgetpgrp(fd) == me;
		_exit(ok ? 0 : 1);
	}
	setpgid(g, g);
	CHECK_RET(waitpid(g, &st, 0), g, 0);
	CHECK_EXITED(st, 0);
	/* The leader moves the foreground itself. */
	g = fork();
	if (g == 0) {
		setpgid(0, 0);
		pause();
		_exit(0);
	}
	setpgid(g, g);
	CHECK_RET(tcsetpgrp(fd, g), 0, 0);
	CHECK_EQ(tcgetpgrp(fd), g);
	CHECK_STAT_TTY(me, 0, nr, g);
	CHECK_STAT_TTY(g, 0, nr, g);
	CHECK_STAT_TTY(g, g, nr, g);
	signal(SIGTTOU, SIG_IGN); /* we are in the background now */
	CHECK_RET(tcsetpgrp(fd, me), 0, 0);
	signal(SIGTTOU, SIG_DFL);
	kill(g, SIGKILL);
	waitpid(g, &st, 0);
	/* Giving the terminal up sends SIGHUP and SIGCONT to the foreground
	 * group (ours). */
	signal(SIGHUP, SIG_IGN);
	CHECK_RET(ioctl(fd, TIOCNOTTY), 0, 0);
	CHECK_RET(open("/dev/tty", O_RDWR), -1, ENXIO);
	CHECK_STAT_TTY(me, 0, 0, -1);
	close(fd);
}

int main(void)
{
	if (!isatty(0)) {
		printf("t_tty: skipped, stdin is not a terminal\n");
		return t_done();
	}
	t_termios();
	/* Our own terminal as /proc shows it: none under the test harness (init
	 * got the console without making it a controlling terminal). */
	int ct = open("/dev/tty", O_RDWR);
	if (ct < 0) {
		CHECK_EQ(errno, ENXIO);
		CHECK_STAT_TTY(getpid(), 0, 0, -1);
	} else {
		long long nr = -2, tp = -2;
		CHECK_RET(stat_tty(getpid(), 0, &nr, &tp), 0, 0);
		CHECK(nr > 0);
		CHECK_EQ(tp, tcgetpgrp(ct));
		close(ct);
	}
	fflush(stdout);
	other_pgrp = fork();
	if (other_pgrp == 0) {
		setpgid(0, 0);
		for (;;)
			pause();
	}
	setpgid(other_pgrp, other_pgrp);
	CHECK_EXITED(t_in_child(child_session), 0);
	kill(other_pgrp, SIGKILL);
	waitpid(other_pgrp, NULL, 0);
	return t_done();
}
