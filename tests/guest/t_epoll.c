/* epoll: epoll_create/create1, epoll_ctl (every errno: EFAULT, EBADF, EPERM
 * for files without poll, EINVAL, ELOOP, EEXIST, ENOENT), epoll_wait,
 * epoll_pwait (signal mask) and epoll_pwait2; level and edge triggering,
 * EPOLLONESHOT, EPOLLHUP/EPOLLERR always reported, EPOLLRDHUP, fairness
 * under maxevents, close and dup (the open file description is what is
 * watched), nested epoll sets, timeouts, EINTR never restarted, and
 * threads on both vCPUs: a sleeper woken by a pipe or eventfd write from
 * another thread, and EPOLLEXCLUSIVE waking one of two sets. Linux's exact
 * results. */
#include "t.h"
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>

_Static_assert(sizeof(struct epoll_event) == 12, "packed epoll_event on x86-64");

static char dir[256];

static long long elapsed_ms(long long t0)
{
	return (t_now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void t_create(void)
{
	CHECK_RET(epoll_create(0), -1, EINVAL);
	CHECK_RET(epoll_create(-1), -1, EINVAL);
	int ep = epoll_create(1);
	CHECK(ep >= 0);
	CHECK_EQ(fcntl(ep, F_GETFL), O_RDWR);
	CHECK_EQ(fcntl(ep, F_GETFD), 0);
	char path[64], link[64] = { 0 };
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ep);
	CHECK_RET(readlink(path, link, sizeof(link) - 1), 22, 0);
	CHECK_STR(link, "anon_inode:[eventpoll]");
	struct stat st;
	CHECK_RET(fstat(ep, &st), 0, 0);
	CHECK_EQ(st.st_mode, 0600);
	char b[8];
	CHECK_RET(read(ep, b, sizeof(b)), -1, EINVAL);
	CHECK_RET(write(ep, b, sizeof(b)), -1, EINVAL);
	close(ep);
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
	close(ep);
	CHECK_RET(epoll_create1(1), -1, EINVAL);
	CHECK_RET(epoll_create1(O_NONBLOCK), -1, EINVAL);
}

static void t_ctl_errors(void)
{
	int ep = epoll_create1(0), p[2];
	pipe(p);
	struct epoll_event ev = { .events = EPOLLIN };
	/* The event is read first (not for DEL). */
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_ADD, 9999, BAD_PTR(1)), -1, EFAULT);
	CHECK_RET(epoll_ctl(9999, EPOLL_CTL_ADD, p[0], &ev), -1, EBADF);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_ADD, 9999, &ev), -1, EBADF);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, 9999, NULL), -1, EBADF);
	/* EPERM for a file without poll comes before "epfd is no epoll". */
	char fname[300];
	snprintf(fname, sizeof(fname), "%s/reg", dir);
	int reg = open(fname, O_RDWR | O_CREAT, 0600);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev), -1, EPERM);
	CHECK_RET(epoll_ctl(p[0], EPOLL_CTL_ADD, reg, &ev), -1, EPERM);
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev), -1, EPERM);
	int null = open("/dev/null", O_RDWR);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_ADD, null, &ev), -1, EPERM);
	int opath = open(dir, O_PATH);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_ADD, opath, &ev), -1, EBADF);
	CHECK_RET(epoll_ctl(opath, EPOLL_CTL_ADD, p[0], &ev), -1, EBADF);
	/* Regular files are still always ready for poll(2). */
	struct pollfd pf = { reg, POLLIN | POLLOUT, 0 };
	CHECK_RET(poll(&pf, 1, 0), 1, 0);
	CHECK_EQ(pf.revents, POLLIN | POLLOUT);
	pf.fd = null;
	CHECK_RET(poll(&pf, 1, 0), 1, 0);
	CHECK_EQ(pf.revents, POLLIN | POLLOUT);
	close(reg);
	close(d);
	close(null);
	close(opath);
	unlink(fname);
	CHECK_RET(epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev), -1, EINVAL);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), -1, EINVAL);
	CHECK_RET(epoll_ctl(ep, 99, p[0], &ev), -1, EINVAL);
	CHECK_RET(epoll_ctl(ep, 0, p[0], &ev), -1, EINVAL);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), -1, ENOENT);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), -1, ENOENT);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0, 0);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), -1, EEXIST);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), 0, 0);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], BAD_PTR(1)), 0, 0); /* DEL ignores it */
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), -1, ENOENT);

	/* EPOLLEXCLUSIVE: ADD only, few companions, never on an epoll file,
	 * and its items cannot be modified. */
	CHECK_RET(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0), -1, EINVAL);
	CHECK_RET(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP, 0), -1, EINVAL);
	CHECK_RET(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLPRI, 0), -1, EINVAL);
	int ep2 = epoll_create1(0);
	CHECK_RET(add(ep, ep2, EPOLLIN | EPOLLEXCLUSIVE, 0), -1, EINVAL);
	CHECK_RET(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLET, 0), 0, 0);
	CHECK_RET(mod(ep, p[0], EPOLLIN, 0), -1, EINVAL);
	CHECK_RET(mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0), -1, EINVAL);
	CHECK_RET(add(ep, p[1], EPOLLOUT, 0), 0, 0);
	CHECK_RET(mod(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE, 0), -1, EINVAL);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0, 0);

	/* Cycles of epoll sets: ELOOP. */
	CHECK_RET(add(ep, ep2, EPOLLIN, 0), 0, 0);
	CHECK_RET(add(ep2, ep, EPOLLIN, 0), -1, ELOOP);
	int ep3 = epoll_create1(0);
	CHECK_RET(add(ep2, ep3, EPOLLIN, 0), 0, 0);
	CHECK_RET(add(ep3, ep, EPOLLIN, 0), -1, ELOOP);
	close(ep3);
	close(ep2);

	/* epoll_wait's checks. */
	struct epoll_event out[4];
	CHECK_RET(epoll_wait(ep, out, 0, 0), -1, EINVAL);
	CHECK_RET(syscall(SYS_epoll_wait, ep, out, -1, 0), -1, EINVAL);
	CHECK_RET(syscall(SYS_epoll_wait, ep, out, INT_MAX / 12 + 1, 0), -1, EINVAL);
	CHECK_RET(epoll_wait(ep, BAD_PTR(0xffff800000000000ull), 1, 0), -1, EFAULT);
	CHECK_RET(epoll_wait(9999, out, 1, 0), -1, EBADF);
	CHECK_RET(epoll_wait(p[0], out, 1, 0), -1, EINVAL);
	/* A bad buffer in user space is found only when there is an event. */
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), 0, 0);
	CHECK_RET(syscall(SYS_epoll_wait, ep, NULL, 1, 0), 0, 0);
	CHECK_RET(add(ep, p[1], EPOLLOUT, 0), 0, 0);
	CHECK_RET(syscall(SYS_epoll_wait, ep, NULL, 1, 0), -1, EFAULT);
	CHECK_RET(epoll_wait(ep, out, 4, 0), 1, 0); /* still ready */
	sigset_t none;
	sigemptyset(&none);
	CHECK_RET(syscall(SYS_epoll_pwait, ep, out, 4, 0, &none, 4), -1, EINVAL);
	CHECK_RET(syscall(SYS_epoll_pwait, ep, out, 4, 0, BAD_PTR(1), 8), -1, EFAULT);
	struct timespec bad = { 0, 1000000000 }, zero = { 0, 0 };
	CHECK_RET(syscall(SYS_epoll_pwait2, ep, out, 4, &bad, NULL, 8), -1, EINVAL);
	CHECK_RET(syscall(SYS_epoll_pwait2, ep, out, 4, BAD_PTR(1), NULL, 8), -1, EFAULT);
	CHECK_RET(syscall(SYS_epoll_pwait2, ep, out, 4, &zero, NULL, 8), 1, 0);
	CHECK_RET(syscall(SYS_epoll_pwait2, ep, out, 4, NULL, NULL, 8), 1, 0);
	close(ep);
	close(p[0]);
	close(p[1]);
}

static void t_triggers(void)
{
	int ep = epoll_create1(0), p[2], q[2];
	pipe(p);
	pipe(q);
	struct epoll_event out[8];
	/* Level triggered: reported while readable, 64-bit data intact. */
	CHECK_RET(add(ep, p[0], EPOLLIN, 0x1122334455667788ull), 0, 0);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 0, 0);
	CHECK_RET(write(p[1], "ab", 2), 2, 0);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 1, 0);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, 0x1122334455667788ull);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 1, 0);
	char c[4];
	CHECK_RET(read(p[0], c, 2), 2, 0);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 0, 0);

	/* Two ready, one at a time: the other comes first next time. */
	CHECK_RET(add(ep, q[0], EPOLLIN, 2), 0, 0);
	CHECK_RET(mod(ep, p[0], EPOLLIN, 1), 0, 0);
	write(p[1], "x", 1);
	write(q[1], "y", 1);
	CHECK_RET(epoll_wait(ep, out, 1, 0), 1, 0);
	uint64_t first = out[0].data.u64;
	CHECK_RET(epoll_wait(ep, out, 1, 0), 1, 0);
	CHECK_EQ(out[0].data.u64, 3 - first);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 2, 0);
	read(p[0], c, 1);
	read(q[0], c, 1);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL), 0, 0);

	/* Edge triggered: once per change. */
	CHECK_RET(mod(ep, p[0], EPOLLIN | EPOLLET, 5), 0, 0);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 0, 0);
	write(p[1], "abc", 3);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 1, 0);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 0, 0);
	read(p[0], c, 1); /* a partial read is no new event */
	CHECK_RET(epoll_wait(ep, out, 8, 0), 0, 0);
	write(p[1], "d", 1);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 1, 0);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 0, 0);
	/* MOD re-arms: still readable, so reported once more. */
	CHECK_RET(mod(ep, p[0], EPOLLIN | EPOLLET, 6), 0, 0);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 1, 0);
	CHECK_EQ(out[0].data.u64, 6);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 0, 0);
	read(p[0], c, 3);

	/* EPOLLONESHOT: once, then disabled until MOD. */
	CHECK_RET(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 7), 0, 0);
	write(p[1], "e", 1);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 1, 0);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 0, 0);
	write(p[1], "f", 1);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 0, 0);
	CHECK_RET(add(ep, p[0], EPOLLIN, 0), -1, EEXIST); /* still registered */
	CHECK_RET(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 8), 0, 0);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 1, 0);
	CHECK_EQ(out[0].data.u64, 8);
	read(p[0], c, 2);

	/* EPOLLOUT, and EPOLLHUP / EPOLLERR without asking. */
	CHECK_RET(add(ep, p[1], EPOLLOUT, 9), 0, 0);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 1, 0);
	CHECK_EQ(out[0].events, EPOLLOUT);
	CHECK_RET(mod(ep, p[1], 0, 9), 0, 0);
	CHECK_RET(mod(ep, p[0], 0, 10), 0, 0);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 0, 0);
	close(q[0]);
	close(q[1]);
	int ep2 = epoll_create1(0);
	pipe(q);
	CHECK_RET(add(ep2, q[0], 0, 11), 0, 0);
	CHECK_RET(add(ep2, q[1], 0, 12), 0, 0);
	CHECK_RET(epoll_wait(ep2, out, 8, 0), 0, 0);
	close(q[1]); /* the read end hangs up */
	CHECK_RET(epoll_wait(ep2, out, 8, 0), 1, 0);
	CHECK_EQ(out[0].events, EPOLLHUP);
	CHECK_EQ(out[0].data.u64, 11);
	close(q[0]);
	pipe(q);
	CHECK_RET(add(ep2, q[1], EPOLLOUT, 13), 0, 0);
	close(q[0]); /* no reader: the write end has an error */
	CHECK_RET(epoll_wait(ep2, out, 8, 0), 1, 0);
	CHECK_EQ(out[0].events, EPOLLOUT | EPOLLERR);
	close(q[1]);
	close(ep2);

	/* EPOLLRDHUP on a stream socket whose peer shut down writing. */
	int sv[2];
	CHECK_RET(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0, 0);
	CHECK_RET(add(ep, sv[0], EPOLLIN | EPOLLRDHUP, 14), 0, 0);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 0, 0);
	shutdown(sv[1], SHUT_WR);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 1, 0);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLRDHUP);
	close(sv[1]);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 1, 0);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLRDHUP | EPOLLHUP);
	close(sv[0]);

	/* eventfd: EPOLLOUT while a write of 1 fits, EPOLLIN while non-zero. */
	int efd = eventfd(0, EFD_NONBLOCK);
	CHECK_RET(add(ep, efd, EPOLLIN | EPOLLOUT | EPOLLET, 15), 0, 0);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 1, 0);
	CHECK_EQ(out[0].events, EPOLLOUT);
	uint64_t one = 1;
	write(efd, &one, 8);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 1, 0);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLOUT);
	CHECK_RET(epoll_wait(ep, out, 8, 0), 0, 0);
	close(efd);
	close(ep);
	close(p[0]);
	close(p[1]);
}

/* What is watched is the open file description. */
static void t_close_dup(void)
{
	int ep = epoll_create1(0), p[2];
	struct epoll_event out[4];
	pipe(p);
	CHECK_RET(add(ep, p[0], EPOLLIN, 21), 0, 0);
	int d = dup(p[0]);
	close(p[0]); /* the description lives on in d: still watched */
	write(p[1], "a", 1);
	CHECK_RET(epoll_wait(ep, out, 4, 0), 1, 0);
	CHECK_EQ(out[0].data.u64, 21);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), -1, EBADF);
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL), -1, ENOENT);
	CHECK_RET(add(ep, d, EPOLLIN, 22), 0, 0); /* another (file, fd) pair */
	CHECK_RET(epoll_wait(ep, out, 4, 0), 2, 0);
	close(d); /* the last reference: both items go */
	CHECK_RET(epoll_wait(ep, out, 4, 0), 0, 0);
	/* The number reused by another file is not registered. */
	int e = eventfd(1, 0);
	CHECK_RET(dup2(e, d), d, 0);
	close(e);
	e = d;
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_DEL, e, NULL), -1, ENOENT);
	CHECK_RET(add(ep, e, EPOLLIN, 23), 0, 0);
	CHECK_RET(epoll_wait(ep, out, 4, 0), 1, 0);
	CHECK_EQ(out[0].data.u64, 23);
	close(e);
	close(p[1]);

	/* Many descriptors: only the written ones are reported. */
	enum { N = 150 };
	int fds[N][2];
	for (int i = 0; i < N; i++) {
		pipe(fds[i]);
		add(ep, fds[i][0], EPOLLIN, (uint64_t)i);
	}
	write(fds[7][1], "x", 1);
	write(fds[99][1], "x", 1);
	write(fds[149][1], "x", 1);
	struct epoll_event many[N];
	CHECK_RET(epoll_wait(ep, many, N, 0), 3, 0);
	uint64_t sum = 0;
	for (int i = 0; i < 3; i++)
		sum += many[i].data.u64;
	CHECK_EQ(sum, 7 + 99 + 149);
	for (int i = 0; i < N; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	CHECK_RET(epoll_wait(ep, many, N, 0), 0, 0);

	/* A child shares the set (same description). */
	pipe(p);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		_exit(add(ep, p[0], EPOLLIN, 24) == 0 ? 0 : 1);
	int st;
	waitpid(c, &st, 0);
	CHECK_EXITED(st, 0);
	write(p[1], "z", 1);
	CHECK_RET(epoll_wait(ep, out, 4, 0), 1, 0);
	CHECK_EQ(out[0].data.u64, 24);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void t_nested(void)
{
	int outer = epoll_create1(0), inner = epoll_create1(0), p[2];
	struct epoll_event out[4];
	pipe(p);
	CHECK_RET(add(inner, p[0], EPOLLIN, 31), 0, 0);
	CHECK_RET(add(outer, inner, EPOLLIN, 32), 0, 0);
	CHECK_RET(epoll_wait(outer, out, 4, 0), 0, 0);
	struct pollfd pf = { inner, POLLIN, 0 };
	CHECK_RET(poll(&pf, 1, 0), 0, 0);
	write(p[1], "n", 1);
	CHECK_RET(poll(&pf, 1, 0), 1, 0);
	CHECK_EQ(pf.revents, POLLIN);
	CHECK_RET(epoll_wait(outer, out, 4, 0), 1, 0);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, 32);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(inner, &r);
	struct timeval tv = { 0, 0 };
	CHECK_RET(select(inner + 1, &r, NULL, NULL, &tv), 1, 0);
	char c;
	read(p[0], &c, 1);
	CHECK_RET(epoll_wait(outer, out, 4, 0), 0, 0);
	CHECK_RET(poll(&pf, 1, 0), 0, 0);
	/* A sleeper on the outer set is woken through the inner one. */
	fflush(stdout);
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	pid_t k = fork();
	if (k == 0) {
		t_sleep_ms(40);
		_exit(write(p[1], "m", 1) == 1 ? 0 : 1);
	}
	CHECK_RET(epoll_wait(outer, out, 4, 5000), 1, 0);
	CHECK(elapsed_ms(t0) >= 40);
	waitpid(k, NULL, 0);
	close(inner); /* closing the inner set takes it out of the outer */
	CHECK_RET(epoll_wait(outer, out, 4, 0), 0, 0);
	close(outer);
	close(p[0]);
	close(p[1]);
}

static volatile sig_atomic_t hits;
static void on_sig(int sig) { hits++; }

static void t_timeouts_signals(void)
{
	int ep = epoll_create1(0), p[2];
	struct epoll_event out[4];
	pipe(p);
	add(ep, p[0], EPOLLIN, 41);
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(epoll_wait(ep, out, 4, 50), 0, 0);
	CHECK(elapsed_ms(t0) >= 50);
	struct timespec ts = { 0, 30000000 };
	t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(syscall(SYS_epoll_pwait2, ep, out, 4, &ts, NULL, 8), 0, 0);
	CHECK(elapsed_ms(t0) >= 30);

	/* A handler with SA_RESTART still ends the wait with EINTR. */
	struct sigaction sa = { .sa_handler = on_sig, .sa_flags = SA_RESTART }, old;
	sigaction(SIGALRM, &sa, &old);
	hits = 0;
	alarm(1);
	t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(epoll_wait(ep, out, 4, -1), -1, EINTR);
	CHECK(elapsed_ms(t0) >= 900);
	CHECK_EQ(hits, 1);
	sigaction(SIGALRM, &old, NULL);

	/* epoll_pwait's mask: unblocks a pending signal for the wait only. */
	sigaction(SIGUSR1, &sa, &old);
	sigset_t blk, none, cur, pend;
	sigemptyset(&blk);
	sigaddset(&blk, SIGUSR1);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &blk, NULL);
	hits = 0;
	raise(SIGUSR1);
	CHECK_RET(epoll_pwait(ep, out, 4, 5000, &none), -1, EINTR);
	CHECK_EQ(hits, 1);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK_EQ(sigismember(&cur, SIGUSR1), 1);
	/* The same mask with an event ready: reported, the signal waits. */
	raise(SIGUSR1);
	write(p[1], "s", 1);
	CHECK_RET(epoll_pwait(ep, out, 4, 5000, &none), 1, 0);
	CHECK_EQ(hits, 1);
	sigpending(&pend);
	CHECK_EQ(sigismember(&pend, SIGUSR1), 1);
	/* A mask that blocks it: a timeout, the signal still pending. */
	t0 = t_now_ns(CLOCK_MONOTONIC);
	char c;
	read(p[0], &c, 1);
	CHECK_RET(epoll_pwait(ep, out, 4, 40, &blk), 0, 0);
	CHECK(elapsed_ms(t0) >= 40);
	CHECK_EQ(hits, 1);
	sigprocmask(SIG_UNBLOCK, &blk, NULL);
	CHECK_EQ(hits, 2);
	sigaction(SIGUSR1, &old, NULL);
	close(ep);
	close(p[0]);
	close(p[1]);
}

/* Threads: one sleeps in epoll_wait, another (on the other vCPU as often
 * as not) makes its file ready. */
struct sleeper {
	int ep;
	int timeout;
	int ret;
	uint64_t data;
	long long ms;
};

static void *sleep_in_wait(void *arg)
{
	struct sleeper *s = arg;
	struct epoll_event ev = { 0, { 0 } };
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	s->ret = epoll_wait(s->ep, &ev, 1, s->timeout);
	s->ms = elapsed_ms(t0);
	s->data = ev.data.u64;
	return NULL;
}

static void t_threads(void)
{
	int ep = epoll_create1(0), p[2], efd = eventfd(0, EFD_NONBLOCK);
	pipe(p);
	add(ep, p[0], EPOLLIN | EPOLLET, 51);
	add(ep, efd, EPOLLIN, 52);
	pthread_t th;
	struct sleeper s = { ep, -1, 0, 0, 0 };
	pthread_create(&th, NULL, sleep_in_wait, &s);
	t_sleep_ms(60);
	write(p[1], "t", 1);
	pthread_join(th, NULL);
	CHECK_EQ(s.ret, 1);
	CHECK_EQ(s.data, 51);
	CHECK(s.ms >= 50);
	s = (struct sleeper){ ep, 5000, 0, 0, 0 };
	pthread_create(&th, NULL, sleep_in_wait, &s);
	t_sleep_ms(60);
	uint64_t one = 1;
	write(efd, &one, 8);
	pthread_join(th, NULL);
	CHECK_EQ(s.ret, 1);
	CHECK_EQ(s.data, 52);
	CHECK(s.ms >= 50);
	close(ep);

	/* The same eventfd in two sets, a sleeper on each. With
	 * EPOLLEXCLUSIVE a write wakes exactly one; without, both. */
	for (int excl = 1; excl >= 0; excl--) {
		uint64_t v;
		read(efd, &v, 8);
		int ep1 = epoll_create1(0), ep2 = epoll_create1(0);
		uint32_t flags = EPOLLIN | (excl ? EPOLLEXCLUSIVE : 0);
		add(ep1, efd, flags, 61);
		add(ep2, efd, flags, 62);
		struct sleeper a = { ep1, 1500, 0, 0, 0 }, b = { ep2, 1500, 0, 0, 0 };
		pthread_t ta, tb;
		pthread_create(&ta, NULL, sleep_in_wait, &a);
		pthread_create(&tb, NULL, sleep_in_wait, &b);
		t_sleep_ms(150);
		write(efd, &one, 8);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		if (excl) {
			CHECK_EQ(a.ret + b.ret, 1);
			CHECK(a.ret == 1 ? b.ms >= 1400 : a.ms >= 1400);
		} else {
			CHECK_EQ(a.ret, 1);
			CHECK_EQ(b.ret, 1);
		}
		close(ep1);
		close(ep2);
	}
	/* EPOLLEXCLUSIVE on a pipe. */
	int ep1 = epoll_create1(0), ep2 = epoll_create1(0);
	char c;
	add(ep1, p[0], EPOLLIN | EPOLLEXCLUSIVE, 71);
	add(ep2, p[0], EPOLLIN | EPOLLEXCLUSIVE, 72);
	read(p[0], &c, 1);
	struct sleeper a = { ep1, 1500, 0, 0, 0 }, b = { ep2, 1500, 0, 0, 0 };
	pthread_t ta, tb;
	pthread_create(&ta, NULL, sleep_in_wait, &a);
	pthread_create(&tb, NULL, sleep_in_wait, &b);
	t_sleep_ms(150);
	write(p[1], "x", 1);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK_EQ(a.ret + b.ret, 1);
	close(ep1);
	close(ep2);
	close(efd);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s/t_epoll.%d", t_tmpdir(), getpid());
	mkdir(dir, 0700);
	t_create();
	t_ctl_errors();
	t_triggers();
	t_close_dup();
	t_nested();
	t_timeouts_signals();
	t_threads();
	rmdir(dir);
	return t_done();
}
