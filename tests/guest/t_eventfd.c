/* eventfd and eventfd2: flags, the counter and EFD_SEMAPHORE, the size and
 * value checks, EAGAIN, blocking reads and writes woken by another thread
 * (on the other vCPU) or ended by a signal, poll/select readiness, what
 * /proc/self/fd shows and fstat, lseek, fork. Exact values as on Linux. */
#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/stat.h>

static long long elapsed_ms(long long t0)
{
	return (t_now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
}

static uint64_t rd(int fd)
{
	uint64_t v = 0xdead;
	if (read(fd, &v, 8) != 8)
		return 0xdead;
	return v;
}

static ssize_t wr(int fd, uint64_t v)
{
	return write(fd, &v, 8);
}

static short revents(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

static void t_flags(void)
{
	int fd = eventfd(0, 0);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR);
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	close(fd);
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);
	CHECK_RET(syscall(SYS_eventfd2, 0, 8), -1, EINVAL);
	CHECK_RET(syscall(SYS_eventfd2, 0, O_RDWR), -1, EINVAL);
	CHECK_RET(syscall(SYS_eventfd2, 0, O_APPEND), -1, EINVAL);
	/* The old call: no flags, blocking. */
	fd = syscall(SYS_eventfd, 5);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR);
	CHECK_EQ(rd(fd), 5);
	close(fd);
	/* initval is an unsigned int. */
	fd = syscall(SYS_eventfd2, 0xffffffffu, EFD_NONBLOCK);
	CHECK_EQ(rd(fd), 0xffffffffu);
	close(fd);

	/* What /proc shows, fstat, lseek. */
	fd = eventfd(0, 0);
	char path[64], link[64] = { 0 };
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	CHECK_RET(readlink(path, link, sizeof(link) - 1), 20, 0);
	CHECK_STR(link, "anon_inode:[eventfd]");
	struct stat st;
	CHECK_RET(fstat(fd, &st), 0, 0);
	CHECK_EQ(st.st_mode, 0600);
	CHECK_EQ(st.st_size, 0);
	CHECK_RET(lseek(fd, 0, SEEK_CUR), 0, 0);
	CHECK_RET(lseek(fd, 100, SEEK_SET), 0, 0);
	close(fd);
}

static void t_counter(void)
{
	int fd = eventfd(3, EFD_NONBLOCK);
	uint64_t v = 0;
	char small[4], big[16];
	CHECK_RET(read(fd, small, 4), -1, EINVAL);
	CHECK_RET(read(fd, small, 0), -1, EINVAL);
	CHECK_RET(read(fd, big, 16), 8, 0);
	memcpy(&v, big, 8);
	CHECK_EQ(v, 3);
	CHECK_RET(read(fd, &v, 8), -1, EAGAIN);
	CHECK_RET(wr(fd, 2), 8, 0);
	CHECK_RET(wr(fd, 5), 8, 0);
	CHECK_RET(wr(fd, 0), 8, 0);
	CHECK_EQ(rd(fd), 7);
	/* Writes: exactly 8 bytes at least, never the all-ones value. */
	CHECK_RET(write(fd, small, 4), -1, EINVAL);
	CHECK_RET(wr(fd, 0xffffffffffffffffull), -1, EINVAL);
	memset(big, 0, sizeof(big));
	big[0] = 9;
	CHECK_RET(write(fd, big, 16), 8, 0); /* the first 8 bytes count */
	CHECK_EQ(rd(fd), 9);
	/* Up to the maximum 0xfffffffffffffffe; one more would block. */
	CHECK_RET(wr(fd, 0xfffffffffffffffeull), 8, 0);
	CHECK_RET(wr(fd, 1), -1, EAGAIN);
	CHECK_RET(wr(fd, 0), 8, 0);
	CHECK_EQ(revents(fd, POLLIN | POLLOUT), POLLIN);
	CHECK_EQ(rd(fd), 0xfffffffffffffffeull);
	CHECK_EQ(revents(fd, POLLIN | POLLOUT), POLLOUT);
	/* Bad buffers: EFAULT; a read has already taken the value (Linux). */
	CHECK_RET(wr(fd, 4), 8, 0);
	CHECK_RET(write(fd, BAD_PTR(1), 8), -1, EFAULT);
	CHECK_RET(read(fd, BAD_PTR(1), 8), -1, EFAULT);
	CHECK_RET(read(fd, &v, 8), -1, EAGAIN);
	close(fd);

	/* EFD_SEMAPHORE: each read takes 1. */
	fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	CHECK_EQ(rd(fd), 1);
	CHECK_EQ(rd(fd), 1);
	CHECK_EQ(revents(fd, POLLIN), POLLIN);
	CHECK_EQ(rd(fd), 1);
	CHECK_RET(read(fd, &v, 8), -1, EAGAIN);
	CHECK_EQ(revents(fd, POLLIN), 0);
	CHECK_RET(wr(fd, 2), 8, 0);
	CHECK_EQ(rd(fd), 1);
	close(fd);

	/* O_NONBLOCK set later with fcntl. */
	fd = eventfd(0, 0);
	CHECK_RET(fcntl(fd, F_SETFL, O_NONBLOCK), 0, 0);
	CHECK_RET(read(fd, &v, 8), -1, EAGAIN);
	close(fd);
}

static void t_select_fork(void)
{
	int fd = eventfd(0, 0);
	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	struct timeval tv = { 0, 0 };
	CHECK_RET(select(fd + 1, &r, &w, NULL, &tv), 1, 0);
	CHECK(!FD_ISSET(fd, &r));
	CHECK(FD_ISSET(fd, &w));
	/* A child process shares the counter. */
	fflush(stdout);
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	pid_t c = fork();
	if (c == 0) {
		t_sleep_ms(30);
		_exit(wr(fd, 42) == 8 ? 0 : 1);
	}
	FD_ZERO(&r);
	FD_SET(fd, &r);
	tv.tv_sec = 10;
	CHECK_RET(select(fd + 1, &r, NULL, NULL, &tv), 1, 0);
	CHECK(elapsed_ms(t0) >= 30);
	CHECK_EQ(rd(fd), 42);
	int st;
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 0);
	close(fd);
}

/* Blocking calls woken by a thread (likely on the other vCPU). */
struct blocker {
	int fd;
	int delay_ms;
	uint64_t value;
	int op;          /* 0: write value after the delay, 1: read after the delay */
	uint64_t got;
};

static void *later(void *arg)
{
	struct blocker *b = arg;
	t_sleep_ms(b->delay_ms);
	if (b->op == 0)
		wr(b->fd, b->value);
	else
		b->got = rd(b->fd);
	return NULL;
}

static volatile sig_atomic_t hits;
static void on_alarm(int sig) { hits++; }

static void t_blocking(void)
{
	int fd = eventfd(0, 0);
	pthread_t th;
	struct blocker b = { fd, 50, 7, 0, 0 };
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	pthread_create(&th, NULL, later, &b);
	CHECK_EQ(rd(fd), 7);
	CHECK(elapsed_ms(t0) >= 50);
	pthread_join(th, NULL);

	/* A write that would pass the maximum waits for a read. */
	CHECK_RET(wr(fd, 0xfffffffffffffff0ull), 8, 0);
	b = (struct blocker){ fd, 50, 0, 1, 0 };
	t0 = t_now_ns(CLOCK_MONOTONIC);
	pthread_create(&th, NULL, later, &b);
	CHECK_RET(wr(fd, 0x20), 8, 0);
	CHECK(elapsed_ms(t0) >= 50);
	pthread_join(th, NULL);
	CHECK_EQ(b.got, 0xfffffffffffffff0ull);
	CHECK_EQ(rd(fd), 0x20);

	/* Semaphore readers: two blocked threads, each write of 1 frees one. */
	int sfd = eventfd(0, EFD_SEMAPHORE);
	struct blocker r1 = { sfd, 0, 0, 1, 0 }, r2 = { sfd, 0, 0, 1, 0 };
	pthread_t t1, t2;
	pthread_create(&t1, NULL, later, &r1);
	pthread_create(&t2, NULL, later, &r2);
	t_sleep_ms(30);
	CHECK_RET(wr(sfd, 2), 8, 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	CHECK_EQ(r1.got, 1);
	CHECK_EQ(r2.got, 1);
	close(sfd);

	/* A signal: EINTR without SA_RESTART, a restart with it. */
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	sigaction(SIGALRM, &sa, &old);
	hits = 0;
	alarm(1);
	uint64_t v;
	t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(read(fd, &v, 8), -1, EINTR);
	CHECK(elapsed_ms(t0) >= 900);
	CHECK_EQ(hits, 1);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	b = (struct blocker){ fd, 1500, 9, 0, 0 };
	pthread_create(&th, NULL, later, &b);
	alarm(1);
	CHECK_EQ(rd(fd), 9); /* the signal came first, read went on */
	CHECK_EQ(hits, 2);
	pthread_join(th, NULL);
	sigaction(SIGALRM, &old, NULL);
	close(fd);
}

int main(void)
{
	t_flags();
	t_counter();
	t_select_fork();
	t_blocking();
	return t_done();
}
