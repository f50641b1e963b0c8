/* Futex micro-benchmarks, run unchanged in a Skiff guest and in a Linux
 * guest under the same QEMU flags (bench/futex/run.sh). Each result is a
 * time per operation (lower is better), printed as
 *     bench: <name> <value> <unit>
 *   pingpong_rtt      round trip between two threads on two vCPUs, each
 *                     waking the other with FUTEX_WAKE and sleeping in
 *                     FUTEX_WAIT (private)
 *   wake_nowaiter     FUTEX_WAKE on a word nobody waits on
 *   wake64            FUTEX_WAKE(INT_MAX) of 64 sleeping waiters, until all
 *                     64 have returned to user space
 *   mutex4            one lock+unlock of a contended pthread_mutex shared
 *                     by 4 threads (total time / total operations)
 * Usage: futex_bench [scale [reps]]   scale (1) multiplies the iteration
 * counts; the whole set runs reps (1) times, each result printed each time
 * (bench/futex/run.sh takes the medians). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

static double scale = 1.0;

static uint64_t now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long fx(_Atomic unsigned *u, int op, unsigned val)
{
	return syscall(SYS_futex, u, op, val, NULL, NULL, 0);
}

static void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s); /* best effort */
}

/* ---- (1) ping-pong ---- */
static _Atomic unsigned turn; /* 0: ping's turn, 1: pong's */
static long rounds;

static void *pong(void *arg)
{
	(void)arg;
	pin(1);
	for (long i = 0; i < rounds; i++) {
		while (atomic_load(&turn) != 1)
			fx(&turn, FUTEX_WAIT_PRIVATE, 0);
		atomic_store(&turn, 0);
		fx(&turn, FUTEX_WAKE_PRIVATE, 1);
	}
	return NULL;
}

static double bench_pingpong(void)
{
	pthread_t t;
	rounds = (long)(2000 * scale);
	turn = 0;
	pin(0);
	pthread_create(&t, NULL, pong, NULL);
	static uint64_t rtt[100000];
	long nr = rounds < 100000 ? rounds : 100000;
	uint64_t t0 = now(), prev = t0;
	for (long i = 0; i < rounds; i++) {
		atomic_store(&turn, 1);
		fx(&turn, FUTEX_WAKE_PRIVATE, 1);
		while (atomic_load(&turn) != 0)
			fx(&turn, FUTEX_WAIT_PRIVATE, 1);
		uint64_t x = now();
		if (i < nr)
			rtt[i] = x - prev;
		prev = x;
	}
	uint64_t t1 = now();
	pthread_join(t, NULL);
	/* Spread, to tell steady costs from occasional stalls. */
	for (long i = 1; i < nr; i++)
		for (long j = i; j > 0 && rtt[j - 1] > rtt[j]; j--) {
			uint64_t tmp = rtt[j];
			rtt[j] = rtt[j - 1];
			rtt[j - 1] = tmp;
		}
	printf("info: pingpong: min %llu median %llu p90 %llu max %llu ns\n",
	       (unsigned long long)rtt[0], (unsigned long long)rtt[nr / 2],
	       (unsigned long long)rtt[nr * 9 / 10], (unsigned long long)rtt[nr - 1]);
	return (double)(t1 - t0) / (double)rounds;
}

/* ---- (2) wake with no waiters ---- */
static double bench_wake_nowaiter(void)
{
	static _Atomic unsigned w;
	long n = (long)(50000 * scale);
	uint64_t t0 = now();
	for (long i = 0; i < n; i++)
		fx(&w, FUTEX_WAKE_PRIVATE, 1);
	return (double)(now() - t0) / (double)n;
}

/* ---- (3) wake 64 waiters ---- */
#define NWAIT 64
static _Atomic unsigned gate;
static _Atomic int asleep, returned, generation;

static void *waiter(void *arg)
{
	(void)arg;
	for (int g = 1;; g++) {
		while (atomic_load(&generation) < g && atomic_load(&generation) >= 0)
			fx((_Atomic unsigned *)&generation, FUTEX_WAIT_PRIVATE, (unsigned)(g - 1));
		if (atomic_load(&generation) < 0)
			return NULL;
		atomic_fetch_add(&asleep, 1);
		while (atomic_load(&gate) == (unsigned)g - 1)
			fx(&gate, FUTEX_WAIT_PRIVATE, (unsigned)g - 1);
		atomic_fetch_add(&returned, 1);
	}
}

/* 1 when every thread in tids sleeps ('S' in /proc), 0 if not, -1
 * without /proc. */
static int all_sleeping(pid_t *tids, int n)
{
	char path[64], buf[256];
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tids[i]);
		FILE *f = fopen(path, "r");
		if (!f)
			return -1;
		size_t k = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[k] = 0;
		char *p = strrchr(buf, ')');
		if (!p || p[2] != 'S')
			return 0;
	}
	return 1;
}

static _Atomic pid_t wtids[NWAIT];
static _Atomic int wtid_n;
static void *waiter_entry(void *arg)
{
	wtids[atomic_fetch_add(&wtid_n, 1)] = (pid_t)syscall(SYS_gettid);
	return waiter(arg);
}

static uint64_t wake_call, woken_sum;
static int wake_reps;

static double bench_wake64(void)
{
	pthread_t th[NWAIT];
	int reps = (int)(20 * scale);
	uint64_t total = 0;

	if (reps < 1)
		reps = 1;
	wake_reps = reps;
	wake_call = woken_sum = 0;
	asleep = returned = 0;
	wtid_n = 0;
	gate = 0;
	generation = 0;
	for (int i = 0; i < NWAIT; i++)
		pthread_create(&th[i], NULL, waiter_entry, NULL);
	while (atomic_load(&wtid_n) < NWAIT)
		sched_yield();
	for (int r = 1; r <= reps; r++) {
		asleep = 0;
		returned = 0;
		atomic_store(&generation, r);
		fx((_Atomic unsigned *)&generation, FUTEX_WAKE_PRIVATE, INT_MAX);
		while (atomic_load(&asleep) < NWAIT)
			sched_yield();
		/* Let them all block in FUTEX_WAIT on the gate. */
		for (int k = 0; k < 2000; k++) {
			int s = all_sleeping((pid_t *)wtids, NWAIT);
			if (s != 0)
				break;
			usleep(1000);
		}
		usleep(20000);
		uint64_t t0 = now();
		atomic_store(&gate, (unsigned)r);
		long n = fx(&gate, FUTEX_WAKE_PRIVATE, INT_MAX);
		wake_call += now() - t0;
		woken_sum += n;
		while (atomic_load(&returned) < NWAIT)
			;
		total += now() - t0;
	}
	atomic_store(&generation, -1);
	fx((_Atomic unsigned *)&generation, FUTEX_WAKE_PRIVATE, INT_MAX);
	for (int i = 0; i < NWAIT; i++)
		pthread_join(th[i], NULL);
	return (double)total / reps;
}

/* ---- (4) contended mutex, 4 threads ---- */
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long mcount, per_thread;
static void *mworker(void *arg)
{
	(void)arg;
	for (long i = 0; i < per_thread; i++) {
		pthread_mutex_lock(&m);
		mcount++;
		pthread_mutex_unlock(&m);
	}
	return NULL;
}
static double bench_mutex4(void)
{
	pthread_t th[4];
	per_thread = (long)(50000 * scale);
	mcount = 0;
	uint64_t t0 = now();
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, mworker, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	uint64_t t1 = now();
	if (mcount != 4 * per_thread)
		printf("bench: mutex4 count wrong %ld\n", mcount);
	return (double)(t1 - t0) / (double)(4 * per_thread);
}

int main(int argc, char **argv)
{
	int reps = 1;

	if (argc > 1)
		scale = atof(argv[1]);
	if (argc > 2)
		reps = atoi(argv[2]);
	/* As /init of the benchmark initramfs: run in a child (init must not
	 * exit), then power off. */
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
run:
	for (int rep = 0; rep < reps; rep++) {
		printf("bench: pingpong_rtt %.0f ns\n", bench_pingpong());
		fflush(stdout);
		printf("bench: wake_nowaiter %.0f ns\n", bench_wake_nowaiter());
		fflush(stdout);
		printf("bench: wake64 %.0f ns\n", bench_wake64());
		printf("info: wake64: the FUTEX_WAKE call itself %.0f ns, %.1f woken per call\n",
		       (double)wake_call / wake_reps, (double)woken_sum / wake_reps);
		fflush(stdout);
		printf("bench: mutex4 %.0f ns\n", bench_mutex4());
		fflush(stdout);
	}
	printf("bench: done\n");
	fflush(stdout);
	return 0;
}
