/* Event-notification micro-benchmarks, run unchanged in a Skiff guest and
 * in a Linux guest under the same QEMU flags (bench/epoll/run.sh). Each
 * result is a time per operation (lower is better), printed as
 *     bench: <name> <value> ns
 *   epoll_pingpong   round trip between two threads pinned to two vCPUs,
 *                    each sleeping in epoll_wait on its own eventfd and
 *                    waking the other by writing the other's eventfd
 *   wait_ready_1     epoll_wait(timeout 0) on a set of 1 ready eventfd
 *   wait_ready_1k    the same with 1000 idle pipes registered besides: a
 *                    cost that grows with the set size would show here
 *   ctl_add_del      EPOLL_CTL_ADD + EPOLL_CTL_DEL of a pipe
 *   eventfd_rw       write + read of a non-blocking eventfd, one thread
 * Usage: epoll_bench [scale [reps]]   scale (1) multiplies the iteration
 * counts; the set runs reps (1) times. As PID 1 (the benchmark initramfs)
 * it runs in a child and powers off. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double scale = 1.0;

static uint64_t now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s); /* best effort */
}

static void die(const char *what)
{
	printf("bench: error %s: errno %d\n", what, errno);
	fflush(stdout);
	exit(1);
}

/* ---- ping-pong through epoll ---- */
struct side {
	int ep;      /* watches `mine` */
	int mine;    /* eventfd this side sleeps on */
	int other;   /* eventfd of the other side */
	long rounds;
	int cpu;
};

static void side_wait(struct side *s)
{
	struct epoll_event ev;
	uint64_t v;
	while (epoll_wait(s->ep, &ev, 1, -1) != 1)
		;
	if (read(s->mine, &v, 8) != 8)
		die("read");
}

static void side_kick(struct side *s)
{
	uint64_t one = 1;
	if (write(s->other, &one, 8) != 8)
		die("write");
}

static void *pong(void *arg)
{
	struct side *s = arg;
	pin(s->cpu);
	for (long i = 0; i < s->rounds; i++) {
		side_wait(s);
		side_kick(s);
	}
	return NULL;
}

static void side_init(struct side *s, int mine, int other, long rounds, int cpu)
{
	struct epoll_event ev = { .events = EPOLLIN };
	s->ep = epoll_create1(0);
	s->mine = mine;
	s->other = other;
	s->rounds = rounds;
	s->cpu = cpu;
	if (s->ep < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, mine, &ev))
		die("epoll setup");
}

static double bench_pingpong(void)
{
	long rounds = (long)(2000 * scale);
	int a = eventfd(0, EFD_NONBLOCK), b = eventfd(0, EFD_NONBLOCK);
	struct side ping, pongs;
	pthread_t t;

	side_init(&ping, a, b, rounds, 0);
	side_init(&pongs, b, a, rounds, 1);
	pin(0);
	pthread_create(&t, NULL, pong, &pongs);
	uint64_t t0 = now();
	for (long i = 0; i < rounds; i++) {
		side_kick(&ping);
		side_wait(&ping);
	}
	uint64_t t1 = now();
	pthread_join(t, NULL);
	close(ping.ep);
	close(pongs.ep);
	close(a);
	close(b);
	return (double)(t1 - t0) / rounds;
}

/* ---- epoll_wait on a ready set, small and large ---- */
static double bench_wait_ready(int idle)
{
	long n = (long)(20000 * scale);
	int ep = epoll_create1(0), efd = eventfd(1, 0);
	int (*p)[2] = calloc((size_t)idle + 1, sizeof(*p));
	struct epoll_event ev = { .events = EPOLLIN }, out[4];

	if (epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev))
		die("add eventfd");
	for (int i = 0; i < idle; i++) {
		if (pipe(p[i]) || epoll_ctl(ep, EPOLL_CTL_ADD, p[i][0], &ev))
			die("add pipe");
	}
	uint64_t t0 = now();
	for (long i = 0; i < n; i++)
		if (epoll_wait(ep, out, 4, 0) != 1)
			die("epoll_wait");
	uint64_t t1 = now();
	for (int i = 0; i < idle; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	free(p);
	close(efd);
	close(ep);
	return (double)(t1 - t0) / n;
}

static double bench_ctl(void)
{
	long n = (long)(10000 * scale);
	int ep = epoll_create1(0), p[2];
	struct epoll_event ev = { .events = EPOLLIN };

	if (pipe(p))
		die("pipe");
	uint64_t t0 = now();
	for (long i = 0; i < n; i++)
		if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) || epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL))
			die("epoll_ctl");
	uint64_t t1 = now();
	close(p[0]);
	close(p[1]);
	close(ep);
	return (double)(t1 - t0) / n;
}

static double bench_eventfd(void)
{
	long n = (long)(20000 * scale);
	int efd = eventfd(0, EFD_NONBLOCK);
	uint64_t one = 1, v;

	uint64_t t0 = now();
	for (long i = 0; i < n; i++)
		if (write(efd, &one, 8) != 8 || read(efd, &v, 8) != 8)
			die("eventfd");
	uint64_t t1 = now();
	close(efd);
	return (double)(t1 - t0) / n;
}

int main(int argc, char **argv)
{
	int reps = 1;

	if (argc > 1)
		scale = atof(argv[1]);
	if (argc > 2)
		reps = atoi(argv[2]);
	if (getpid() == 1) {
		mount("proc", "/proc", "proc", 0, NULL);
		pid_t c = fork();
		if (c == 0)
			goto run;
		int st;
		while (waitpid(c, &st, 0) < 0 && errno == EINTR)
			;
		sync();
		reboot(RB_POWER_OFF);
		return 0;
	}
run:;
	struct rlimit rl = { 4096, 4096 };
	setrlimit(RLIMIT_NOFILE, &rl);
	for (int rep = 0; rep < reps; rep++) {
		printf("bench: epoll_pingpong %.0f ns\n", bench_pingpong());
		fflush(stdout);
		printf("bench: wait_ready_1 %.0f ns\n", bench_wait_ready(0));
		fflush(stdout);
		printf("bench: wait_ready_1k %.0f ns\n", bench_wait_ready(1000));
		fflush(stdout);
		printf("bench: ctl_add_del %.0f ns\n", bench_ctl());
		fflush(stdout);
		printf("bench: eventfd_rw %.0f ns\n", bench_eventfd());
		fflush(stdout);
	}
	printf("bench: done\n");
	fflush(stdout);
	return 0;
}
