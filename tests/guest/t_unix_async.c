/* AF_UNIX sockets and readiness notification: epoll (edge-triggered
 * input once per arrival, EPOLLRDHUP, EPOLLOUT while the send buffer is
 * full and after it drains, EPOLLEXCLUSIVE on a listener shared by two
 * epoll sets: one woken per connection, as nginx's workers expect) and
 * SIGIO (F_SETOWN, FIOASYNC, F_SETFL O_ASYNC, FIOSETOWN/SIOCGPGRP, a
 * process group as the owner), as nginx sets up its channels. */
#include "t.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

static int sp[2];

static void pair(int type)
{
	if (socketpair(AF_UNIX, type, 0, sp))
		printf("t_unix_async: socketpair(%d) failed: %s\n", type, strerror(errno));
}

static void close_pair(void)
{
	close(sp[0]);
	close(sp[1]);
}

/* epoll on sockets: level and edge triggered input, EPOLLRDHUP, output
 * space coming back, and EPOLLEXCLUSIVE on a listener shared by two epoll
 * sets (one woken per connection, as nginx's workers expect). */
struct ewait {
	int ep;
	int n;
	long long t;
};

static void *ep_waiter(void *arg)
{
	struct ewait *w = arg;
	struct epoll_event ev;
	w->n = epoll_wait(w->ep, &ev, 1, 400);
	w->t = t_now_ns(CLOCK_MONOTONIC);
	return NULL;
}

static void t_epoll(void)
{
	struct epoll_event ev, out[4];
	pair(SOCK_STREAM);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
	ev.data.u32 = 7;
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_ADD, sp[1], &ev), 0, 0);
	CHECK_RET(epoll_wait(ep, out, 4, 0), 0, 0);
	CHECK_RET(write(sp[0], "a", 1), 1, 0);
	CHECK_RET(epoll_wait(ep, out, 4, 0), 1, 0);
	CHECK(out[0].events == EPOLLIN && out[0].data.u32 == 7);
	CHECK_RET(epoll_wait(ep, out, 4, 0), 0, 0); /* edge triggered: once */
	CHECK_RET(write(sp[0], "b", 1), 1, 0);
	CHECK_RET(epoll_wait(ep, out, 4, 0), 1, 0);
	CHECK_RET(shutdown(sp[0], SHUT_WR), 0, 0);
	CHECK_RET(epoll_wait(ep, out, 4, 0), 1, 0);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLRDHUP);
	close_pair();
	close(ep);

	/* output: gone while the buffer is full, back after draining */
	pair(SOCK_STREAM);
	ep = epoll_create1(0);
	ev.events = EPOLLOUT | EPOLLET;
	CHECK_RET(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &ev), 0, 0);
	CHECK_RET(epoll_wait(ep, out, 4, 0), 1, 0);
	static char chunk[65536];
	while (send(sp[0], chunk, sizeof(chunk), MSG_DONTWAIT) > 0)
		;
	CHECK_RET(epoll_wait(ep, out, 4, 0), 0, 0);
	while (recv(sp[1], chunk, sizeof(chunk), MSG_DONTWAIT) > 0)
		;
	CHECK_RET(epoll_wait(ep, out, 4, 1000), 1, 0);
	CHECK_EQ(out[0].events, EPOLLOUT);
	close(ep);
	close_pair();

	/* EPOLLEXCLUSIVE: a connection wakes one of two epoll sets */
	char path[108];
	snprintf(path, sizeof(path), "%s/t_unix_ep.%d", t_tmpdir(), getpid());
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strcpy(a.sun_path, path);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK_RET(bind(l, (struct sockaddr *)&a, sizeof(a)), 0, 0);
	CHECK_RET(listen(l, 8), 0, 0);
	struct ewait w[2];
	pthread_t t[2];
	for (int i = 0; i < 2; i++) {
		w[i].ep = epoll_create1(0);
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		CHECK_RET(epoll_ctl(w[i].ep, EPOLL_CTL_ADD, l, &ev), 0, 0);
		pthread_create(&t[i], NULL, ep_waiter, &w[i]);
	}
	t_sleep_ms(100);
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(connect(c, (struct sockaddr *)&a, sizeof(a)), 0, 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	/* one returned at once with the event, the other timed out */
	int early = (w[0].n == 1 && w[0].t - t0 < 200000000LL) + (w[1].n == 1 && w[1].t - t0 < 200000000LL);
	CHECK_EQ(early, 1);
	CHECK_EQ(w[0].n + w[1].n, 1);
	int n = accept(l, NULL, NULL);
	CHECK(n >= 0);
	CHECK_RET(accept(l, NULL, NULL), -1, EAGAIN);
	close(n);
	close(c);
	close(l);
	close(w[0].ep);
	close(w[1].ep);
	unlink(path);
}

/* SIGIO: F_SETOWN plus O_ASYNC (FIOASYNC or F_SETFL), as nginx sets up
 * its master/worker channels. */
static volatile sig_atomic_t sigio_count, sigio_code;
static void on_sigio(int s, siginfo_t *si, void *uc)
{
	sigio_count++;
	sigio_code = si->si_code;
}

static void sigio_group(void)
{
	/* a process group as the owner (F_SETOWN with -pgid) */
	CHECK_RET(setpgid(0, 0), 0, 0);
	pair(SOCK_DGRAM);
	CHECK_RET(fcntl(sp[0], F_SETOWN, -getpid()), 0, 0);
	CHECK_RET(fcntl(sp[0], F_GETOWN), -getpid(), 0);
	CHECK_RET(fcntl(sp[0], F_SETFL, O_ASYNC), 0, 0);
	sigio_count = 0;
	CHECK_RET(send(sp[1], "g", 1, 0), 1, 0);
	CHECK_EQ(sigio_count, 1);
	close_pair();
}

static void t_sigio(void)
{
	struct sigaction sa = { 0 }, old;
	sa.sa_sigaction = on_sigio;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGIO, &sa, &old);
	char buf[8];
	pair(SOCK_STREAM);
	CHECK_RET(fcntl(sp[0], F_GETOWN), 0, 0);
	int on = 1;
	CHECK_RET(ioctl(sp[0], FIOASYNC, &on), 0, 0);
	CHECK_RET(fcntl(sp[0], F_GETFL), O_RDWR | O_ASYNC, 0);
	sigio_count = 0;
	CHECK_RET(write(sp[1], "a", 1), 1, 0); /* no owner yet: no signal */
	CHECK_EQ(sigio_count, 0);
	CHECK_RET(fcntl(sp[0], F_SETOWN, getpid()), 0, 0);
	CHECK_RET(fcntl(sp[0], F_GETOWN), getpid(), 0);
	CHECK_RET(write(sp[1], "b", 1), 1, 0);
	CHECK_EQ(sigio_count, 1);
	CHECK_EQ(sigio_code, SI_KERNEL);
	CHECK_RET(read(sp[0], buf, sizeof(buf)), 2, 0);
	CHECK_EQ(sigio_count, 1);
	on = 0;
	CHECK_RET(ioctl(sp[0], FIOASYNC, &on), 0, 0);
	CHECK_RET(write(sp[1], "c", 1), 1, 0);
	CHECK_EQ(sigio_count, 1);
	CHECK_RET(fcntl(sp[0], F_SETFL, O_ASYNC | O_NONBLOCK), 0, 0);
	CHECK_RET(write(sp[1], "d", 1), 1, 0);
	CHECK_EQ(sigio_count, 2);
	CHECK_RET(read(sp[0], buf, sizeof(buf)), 2, 0);
	/* the peer's shutdown and close signal too */
	CHECK_RET(shutdown(sp[1], SHUT_WR), 0, 0);
	CHECK_EQ(sigio_count, 3);
	close(sp[1]);
	CHECK_EQ(sigio_count, 4);
	close(sp[0]);
	/* FIOSETOWN / SIOCGPGRP are the socket ioctls for the owner */
	pair(SOCK_DGRAM);
	int who = getpid(), got = 0;
	CHECK_RET(ioctl(sp[0], FIOSETOWN, &who), 0, 0);
	CHECK_RET(ioctl(sp[0], SIOCGPGRP, &got), 0, 0);
	CHECK_EQ(got, getpid());
	CHECK_RET(fcntl(sp[0], F_GETOWN), getpid(), 0);
	CHECK_RET(fcntl(sp[0], F_SETFL, O_ASYNC), 0, 0);
	sigio_count = 0;
	CHECK_RET(send(sp[1], "e", 1, 0), 1, 0);
	CHECK_EQ(sigio_count, 1);
	close_pair();
	CHECK_EXITED(t_in_child(sigio_group), 0);
	sigaction(SIGIO, &old, NULL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_epoll();
	t_sigio();
	return t_done();
}
