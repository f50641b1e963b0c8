/* Helpers shared by the futex conformance programs (tests/guest/t_futex_*.c).
 * As t.h: each program prints one FAIL line per failed check and ends with
 *     <program>: N passed, M failed
 * exiting non-zero when anything failed. Raw syscalls: the point is the
 * kernel's exact return values and errnos, not glibc's wrappers. */
#ifndef T_FUTEX_H
#define T_FUTEX_H
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int t_pass, t_fail;
/* The executable's name (t_futex_x-static / -dynamic), as t.h does. */
#define t_name program_invocation_short_name

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (cond)                                                        \
			t_pass++;                                                \
		else {                                                           \
			t_fail++;                                                \
			printf("FAIL %s:%d %s\n", __FILE__, __LINE__, #cond);  \
			fflush(stdout);                                          \
		}                                                                \
	} while (0)
/* r is a raw result: -errno or a value. */
#define CHECK_RET(expr, want)                                                    \
	do {                                                                     \
		long _r = (expr), _w = (want);                                   \
		if (_r == _w)                                                    \
			t_pass++;                                                \
		else {                                                           \
			t_fail++;                                                \
			printf("FAIL %s:%d %s: got %ld (%s), expected %ld (%s)\n", \
			       __FILE__, __LINE__, #expr, _r,                    \
			       _r < 0 ? strerrorname_np((int)-_r) ?: "?" : "",   \
			       _w, _w < 0 ? strerrorname_np((int)-_w) ?: "?" : ""); \
			fflush(stdout);                                          \
		}                                                                \
	} while (0)

static inline int t_done(void)
{
	printf("%s: %d passed, %d failed\n", t_name, t_pass, t_fail);
	fflush(stdout);
	return t_fail ? 1 : 0;
}

/* futex(2) returning -errno. */
static inline long fx(void *uaddr, int op, unsigned val, const void *timeout_or_val2,
		      void *uaddr2, unsigned val3)
{
	long r = syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
	return r < 0 ? -errno : r;
}
#define VAL2(n) ((const void *)(uintptr_t)(n))

static inline pid_t t_gettid(void) { return (pid_t)syscall(SYS_gettid); }

static inline uint64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
static inline struct timespec ns_ts(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
	return ts;
}
static inline void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* State letter of a thread from /proc (0 if /proc is not there). */
static inline char thread_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Wait until thread tid of this process sleeps in the kernel ('S'), up to
 * 5 s; without /proc, just give it 200 ms. Returns 1 if seen asleep. */
static inline int wait_asleep(pid_t tid)
{
	for (int i = 0; i < 5000; i++) {
		char s = thread_state(getpid(), tid);
		if (s == 0) {
			sleep_ms(200);
			return 1;
		}
		if (s == 'S')
			return 1;
		sleep_ms(1);
	}
	return 0;
}

/* A thread that makes one futex wait call and records its result. */
struct waiter {
	pthread_t th;
	_Atomic pid_t tid;
	unsigned *uaddr;
	int op;
	unsigned val, bitset;
	const struct timespec *ts;
	long ret;
	_Atomic int done;
};

static inline void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	w->tid = t_gettid();
	w->ret = fx(w->uaddr, w->op, w->val, w->ts, NULL, w->bitset);
	w->done = 1;
	return NULL;
}

/* Start w waiting with op on uaddr (expected value val; w->ts as set by
 * the caller) and return once it sleeps in the kernel. */
static inline void start_waiter(struct waiter *w, unsigned *uaddr, int op, unsigned val, unsigned bitset)
{
	w->uaddr = uaddr;
	w->op = op;
	w->val = val;
	w->bitset = bitset;
	w->done = 0;
	w->tid = 0;
	pthread_create(&w->th, NULL, waiter_fn, w);
	while (!w->tid)
		sched_yield();
	wait_asleep(w->tid);
}

#endif
