/* timerfd_create/settime/gettime: clocks and flags, Linux's errno order,
 * one-shot and periodic timers (the count of expirations on read,
 * periods missed meanwhile included), TFD_TIMER_ABSTIME on CLOCK_MONOTONIC
 * and CLOCK_REALTIME (also in the past), the old value, disarming, blocking
 * and EINTR, poll/epoll readiness, and TFD_TIMER_CANCEL_ON_SET (ECANCELED
 * once the wall clock is set). Timing is bounded from below and loosely
 * from above (TCG). */
#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#define MS 1000000LL

static long long elapsed_ms(long long t0)
{
	return (t_now_ns(CLOCK_MONOTONIC) - t0) / MS;
}

static struct itimerspec its(long long value_ns, long long interval_ns)
{
	struct itimerspec t = { { interval_ns / 1000000000, interval_ns % 1000000000 },
				{ value_ns / 1000000000, value_ns % 1000000000 } };
	return t;
}

static long long ts_ns(struct timespec ts)
{
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t rd(int fd)
{
	uint64_t v = 0;
	if (read(fd, &v, 8) != 8)
		return 0xdead;
	return v;
}

static void t_create_errors(void)
{
	CHECK_RET(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), -1, EINVAL);
	CHECK_RET(timerfd_create(CLOCK_MONOTONIC_RAW, 0), -1, EINVAL);
	CHECK_RET(timerfd_create(99, 0), -1, EINVAL);
	CHECK_RET(timerfd_create(CLOCK_MONOTONIC, 1), -1, EINVAL);
	CHECK_RET(timerfd_create(CLOCK_MONOTONIC, O_RDWR), -1, EINVAL);
	int fd = timerfd_create(CLOCK_BOOTTIME, 0);
	CHECK(fd >= 0);
	close(fd);
	fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);
	fd = timerfd_create(CLOCK_MONOTONIC, 0);
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR);
	char path[64], link[64] = { 0 };
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	CHECK_RET(readlink(path, link, sizeof(link) - 1), 20, 0);
	CHECK_STR(link, "anon_inode:[timerfd]");

	struct itimerspec t = its(0, 0), cur;
	memset(&cur, 0x55, sizeof(cur));
	CHECK_RET(timerfd_gettime(fd, &cur), 0, 0); /* never armed: zeros */
	CHECK_EQ(ts_ns(cur.it_value), 0);
	CHECK_EQ(ts_ns(cur.it_interval), 0);
	CHECK_RET(timerfd_settime(9999, 0, BAD_PTR(1), NULL), -1, EFAULT);
	CHECK_RET(timerfd_settime(9999, 4, &t, NULL), -1, EINVAL);
	t.it_value.tv_nsec = 1000000000;
	CHECK_RET(timerfd_settime(9999, 0, &t, NULL), -1, EINVAL);
	t = its(0, 0);
	t.it_value.tv_sec = -1;
	CHECK_RET(timerfd_settime(fd, 0, &t, NULL), -1, EINVAL);
	t = its(0, 0);
	t.it_interval.tv_nsec = -1;
	CHECK_RET(timerfd_settime(fd, 0, &t, NULL), -1, EINVAL);
	t = its(0, 0);
	CHECK_RET(timerfd_settime(9999, 0, &t, NULL), -1, EBADF);
	int efd = eventfd(0, 0);
	CHECK_RET(timerfd_settime(efd, 0, &t, NULL), -1, EINVAL);
	CHECK_RET(timerfd_gettime(efd, &cur), -1, EINVAL);
	CHECK_RET(timerfd_gettime(9999, &cur), -1, EBADF);
	CHECK_RET(timerfd_gettime(fd, BAD_PTR(1)), -1, EFAULT);
	close(efd);
	char small[4];
	CHECK_RET(read(fd, small, 4), -1, EINVAL);
	CHECK_RET(fcntl(fd, F_SETFL, O_NONBLOCK), 0, 0);
	uint64_t v;
	CHECK_RET(read(fd, &v, 8), -1, EAGAIN);
	struct pollfd pf = { fd, POLLIN, 0 };
	CHECK_RET(poll(&pf, 1, 0), 0, 0);
	close(fd);
}

static void t_oneshot_periodic(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec t = its(50 * MS, 0), cur, old;
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(timerfd_settime(fd, 0, &t, NULL), 0, 0);
	CHECK_RET(timerfd_gettime(fd, &cur), 0, 0);
	CHECK(ts_ns(cur.it_value) > 0 && ts_ns(cur.it_value) <= 50 * MS);
	CHECK_EQ(ts_ns(cur.it_interval), 0);
	struct pollfd pf = { fd, POLLIN, 0 };
	CHECK_RET(poll(&pf, 1, 5000), 1, 0);
	CHECK(elapsed_ms(t0) >= 50);
	CHECK_EQ(pf.revents, POLLIN);
	CHECK_EQ(rd(fd), 1);
	CHECK_RET(timerfd_gettime(fd, &cur), 0, 0);
	CHECK_EQ(ts_ns(cur.it_value), 0);
	CHECK_RET(poll(&pf, 1, 0), 0, 0);

	/* A blocking read waits for the expiry. */
	t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(timerfd_settime(fd, 0, &t, NULL), 0, 0);
	CHECK_EQ(rd(fd), 1);
	CHECK(elapsed_ms(t0) >= 50);

	/* Periodic: every period is counted, also those nobody read. */
	t = its(20 * MS, 20 * MS);
	t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(timerfd_settime(fd, 0, &t, NULL), 0, 0);
	t_sleep_ms(110);
	uint64_t n = rd(fd);
	long long ms = elapsed_ms(t0);
	CHECK(n >= 5);
	CHECK((long long)n <= ms / 20);
	/* gettime forwards it: time to the next period, the period. */
	t_sleep_ms(50);
	CHECK_RET(timerfd_gettime(fd, &cur), 0, 0);
	CHECK(ts_ns(cur.it_value) > 0 && ts_ns(cur.it_value) <= 20 * MS);
	CHECK_EQ(ts_ns(cur.it_interval), 20 * MS);
	CHECK(rd(fd) >= 2);
	/* settime returns the old setting and resets the count. */
	t_sleep_ms(30);
	t = its(1000 * MS, 0);
	CHECK_RET(timerfd_settime(fd, 0, &t, &old), 0, 0);
	CHECK(ts_ns(old.it_value) > 0 && ts_ns(old.it_value) <= 20 * MS);
	CHECK_EQ(ts_ns(old.it_interval), 20 * MS);
	CHECK_RET(fcntl(fd, F_SETFL, O_NONBLOCK), 0, 0);
	uint64_t v;
	CHECK_RET(read(fd, &v, 8), -1, EAGAIN);
	/* Disarm: the old value is what was left. */
	t = its(0, 300 * MS);
	CHECK_RET(timerfd_settime(fd, 0, &t, &old), 0, 0);
	CHECK(ts_ns(old.it_value) > 900 * MS && ts_ns(old.it_value) <= 1000 * MS);
	CHECK_EQ(ts_ns(old.it_interval), 0);
	CHECK_RET(timerfd_gettime(fd, &cur), 0, 0);
	CHECK_EQ(ts_ns(cur.it_value), 0);
	CHECK_EQ(ts_ns(cur.it_interval), 300 * MS); /* kept while disarmed */
	t_sleep_ms(20);
	CHECK_RET(read(fd, &v, 8), -1, EAGAIN);
	/* A fired timer re-armed before the read: its tick is gone. */
	t = its(5 * MS, 0);
	CHECK_RET(timerfd_settime(fd, 0, &t, NULL), 0, 0);
	t_sleep_ms(30);
	CHECK_RET(poll(&pf, 1, 0), 1, 0);
	t = its(500 * MS, 0);
	CHECK_RET(timerfd_settime(fd, 0, &t, NULL), 0, 0);
	CHECK_RET(read(fd, &v, 8), -1, EAGAIN);
	close(fd);
}

static void t_abstime(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long t0 = ts_ns(now);
	struct itimerspec t = its(t0 + 40 * MS, 0), cur;
	CHECK_RET(timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL), 0, 0);
	struct pollfd pf = { fd, POLLIN, 0 };
	CHECK_RET(poll(&pf, 1, 5000), 1, 0);
	CHECK(elapsed_ms(t0) >= 40);
	CHECK_EQ(rd(fd), 1);
	/* In the past: due at once; a period counts every one since. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	t = its(ts_ns(now) - 100 * MS, 10 * MS);
	CHECK_RET(timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL), 0, 0);
	CHECK_RET(poll(&pf, 1, 1000), 1, 0);
	uint64_t n = rd(fd);
	CHECK(n >= 11 && n < 200);
	CHECK_RET(timerfd_gettime(fd, &cur), 0, 0);
	CHECK(ts_ns(cur.it_value) <= 10 * MS);
	close(fd);

	/* The wall clock. */
	fd = timerfd_create(CLOCK_REALTIME, 0);
	clock_gettime(CLOCK_REALTIME, &now);
	t = its(ts_ns(now) + 50 * MS, 0);
	t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL), 0, 0);
	CHECK_RET(timerfd_gettime(fd, &cur), 0, 0);
	CHECK(ts_ns(cur.it_value) > 0 && ts_ns(cur.it_value) <= 50 * MS);
	CHECK_EQ(rd(fd), 1);
	CHECK(elapsed_ms(t0) >= 45); /* the two clocks are read apart */
	t = its(ts_ns(now) - 1000 * MS, 0);
	CHECK_RET(timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL), 0, 0);
	CHECK_EQ(rd(fd), 1);
	close(fd);
}

static volatile sig_atomic_t hits;
static void on_alarm(int sig) { hits++; }

static void t_wait_cancel(void)
{
	/* epoll sees the expiry. */
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 77 }, out;
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0, 0);
	struct itimerspec t = its(30 * MS, 30 * MS);
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(timerfd_settime(fd, 0, &t, NULL), 0, 0);
	CHECK_RET(epoll_wait(ep, &out, 1, 5000), 1, 0);
	CHECK(elapsed_ms(t0) >= 30);
	CHECK_EQ(out.events, EPOLLIN);
	CHECK_EQ(out.data.u64, 77);
	CHECK(rd(fd) >= 1);
	CHECK_RET(epoll_wait(ep, &out, 1, 5000), 1, 0); /* the next period */
	t = its(0, 0);
	CHECK_RET(timerfd_settime(fd, 0, &t, NULL), 0, 0);
	close(ep);
	close(fd);

	/* A blocked read ends with EINTR on a signal without SA_RESTART. */
	fd = timerfd_create(CLOCK_MONOTONIC, 0);
	t = its(10000 * MS, 0);
	timerfd_settime(fd, 0, &t, NULL);
	struct sigaction sa = { .sa_handler = on_alarm }, oldsa;
	sigaction(SIGALRM, &sa, &oldsa);
	hits = 0;
	alarm(1);
	uint64_t v;
	CHECK_RET(read(fd, &v, 8), -1, EINTR);
	CHECK_EQ(hits, 1);
	sigaction(SIGALRM, &oldsa, NULL);
	close(fd);

	/* TFD_TIMER_CANCEL_ON_SET: setting the wall clock (here to what it
	 * reads) cancels an absolute CLOCK_REALTIME timer once. */
	fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	int plain = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	t = its(ts_ns(now) + 10000 * MS, 0);
	CHECK_RET(timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &t, NULL), 0, 0);
	CHECK_RET(timerfd_settime(plain, TFD_TIMER_ABSTIME, &t, NULL), 0, 0);
	CHECK_RET(read(fd, &v, 8), -1, EAGAIN);
	clock_gettime(CLOCK_REALTIME, &now);
	CHECK_RET(clock_settime(CLOCK_REALTIME, &now), 0, 0);
	struct pollfd pf[2] = { { fd, POLLIN, 0 }, { plain, POLLIN, 0 } };
	CHECK_RET(poll(pf, 2, 0), 1, 0);
	CHECK_EQ(pf[0].revents, POLLIN);
	CHECK_RET(read(fd, &v, 8), -1, ECANCELED);
	CHECK_RET(read(fd, &v, 8), -1, EAGAIN);
	CHECK_RET(read(plain, &v, 8), -1, EAGAIN);
	close(fd);
	close(plain);
}

int main(void)
{
	t_create_errors();
	t_oneshot_periodic();
	t_abstime();
	t_wait_cancel();
	return t_done();
}
