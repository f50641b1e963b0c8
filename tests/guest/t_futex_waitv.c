/* futex_waitv (449) and the futex2 futex_wake/futex_wait (454/455):
 * argument checks (flags, count, NULL vector, reserved field, size, unknown
 * flag bits, 64-bit values, alignment, clock id), EFAULT, EAGAIN on any
 * mismatch, the index of the woken futex, private vs shared entries, and
 * absolute timeouts on both clocks; futex_requeue (456, Linux 6.7): its
 * checks, EAGAIN on a changed value, wake and requeue counts, a private
 * source with a shared target. */
#include "t_futex.h"
#include <sys/utsname.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#define SYS_futex_wake2 454
#define SYS_futex_wait2 455
#define SYS_futex_requeue2 456

struct fwv {
	uint64_t val, uaddr;
	uint32_t flags, __reserved;
};
#define F2_U32 0x02
#define F2_PRIVATE 128

static long waitv(struct fwv *v, unsigned n, unsigned flags, struct timespec *ts, int clk)
{
	long r = syscall(SYS_futex_waitv, v, n, flags, ts, clk);
	return r < 0 ? -errno : r;
}

static unsigned w[8];

struct vwaiter {
	pthread_t th;
	_Atomic pid_t tid;
	struct fwv v[3];
	long ret;
};
static void *vwaiter_fn(void *arg)
{
	struct vwaiter *x = arg;
	x->tid = t_gettid();
	x->ret = waitv(x->v, 3, 0, NULL, 0);
	return NULL;
}

int main(void)
{
	struct fwv v[3];
	struct timespec zero = { 0, 0 };
	int maj = 0, min = 0;

	{
		struct utsname u;
		uname(&u);
		sscanf(u.release, "%d.%d", &maj, &min);
		CHECK(maj > 5 || (maj == 5 && min >= 16));
	}
	for (int i = 0; i < 3; i++)
		v[i] = (struct fwv){ 0, (uint64_t)(uintptr_t)&w[i], F2_U32 | F2_PRIVATE, 0 };

	CHECK_RET(waitv(v, 3, 1, NULL, 0), -EINVAL);
	CHECK_RET(waitv(v, 0, 0, NULL, 0), -EINVAL);
	CHECK_RET(waitv(v, 129, 0, NULL, 0), -EINVAL);
	CHECK_RET(waitv(NULL, 1, 0, NULL, 0), -EINVAL);
	CHECK_RET(waitv(v, 1, 0, &zero, 5), -EINVAL);            /* clock id */
	CHECK_RET(waitv(v, 1, 0, (void *)8, CLOCK_MONOTONIC), -EFAULT);
	{
		struct timespec bad = { 0, -1 };
		CHECK_RET(waitv(v, 1, 0, &bad, CLOCK_MONOTONIC), -EINVAL);
	}
	CHECK_RET(waitv((void *)8, 1, 0, NULL, 0), -EFAULT);
	v[1].__reserved = 1;
	CHECK_RET(waitv(v, 3, 0, NULL, 0), -EINVAL);
	v[1].__reserved = 0;
	v[2].flags = F2_PRIVATE | 0x03;                           /* U64 */
	CHECK_RET(waitv(v, 3, 0, NULL, 0), -EINVAL);
	v[2].flags = F2_PRIVATE;                                  /* U8 */
	CHECK_RET(waitv(v, 3, 0, NULL, 0), -EINVAL);
	v[2].flags = F2_U32 | 0x40;
	CHECK_RET(waitv(v, 3, 0, NULL, 0), -EINVAL);
	v[2].flags = F2_U32 | F2_PRIVATE;
	/* A value wider than the futex: EINVAL since Linux 6.7 (older ones
	 * truncate it; the deadline keeps them from blocking here). */
	v[0].val = 1ull << 32;
	if (maj > 6 || (maj == 6 && min >= 7)) {
		struct timespec dl = ns_ts(now_ns(CLOCK_MONOTONIC) + 10000000ull);
		CHECK_RET(waitv(v, 3, 0, &dl, CLOCK_MONOTONIC), -EINVAL);
	}
	v[0].val = 0;
	v[1].uaddr += 1;
	CHECK_RET(waitv(v, 3, 0, NULL, 0), -EINVAL);
	v[1].uaddr -= 1;
	v[1].uaddr = 0;
	CHECK_RET(waitv(v, 3, 0, NULL, 0), -EFAULT);
	v[1].uaddr = (uint64_t)(uintptr_t)&w[1];
	w[2] = 1;
	CHECK_RET(waitv(v, 3, 0, NULL, 0), -EAGAIN);
	w[2] = 0;
	/* Timeouts: absolute, both clocks; clock id ignored without one. */
	{
		struct timespec dl = ns_ts(now_ns(CLOCK_MONOTONIC) + 50000000ull);
		uint64_t t0 = now_ns(CLOCK_MONOTONIC);
		CHECK_RET(waitv(v, 3, 0, &dl, CLOCK_MONOTONIC), -ETIMEDOUT);
		CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 40000000ull);
		dl = ns_ts(now_ns(CLOCK_REALTIME) + 50000000ull);
		CHECK_RET(waitv(v, 3, 0, &dl, CLOCK_REALTIME), -ETIMEDOUT);
		CHECK_RET(waitv(v, 3, 0, &zero, CLOCK_REALTIME), -ETIMEDOUT);
	}
	/* Woken on entry 2 -> returns 2; on entry 0 -> 0. Shared entry 1. */
	for (int target = 0; target < 3; target++) {
		struct vwaiter x = { 0 };
		memcpy(x.v, v, sizeof(v));
		x.v[1].flags = F2_U32; /* shared */
		pthread_create(&x.th, NULL, vwaiter_fn, &x);
		while (!x.tid)
			sched_yield();
		wait_asleep(x.tid);
		int op = target == 1 ? FUTEX_WAKE : FUTEX_WAKE_PRIVATE;
		CHECK_RET(fx(&w[target], op, 1, NULL, NULL, 0), 1);
		pthread_join(x.th, NULL);
		CHECK_RET(x.ret, target);
	}
	/* A private wake does not reach the shared entry. */
	{
		struct vwaiter x = { 0 };
		memcpy(x.v, v, sizeof(v));
		x.v[1].flags = F2_U32;
		pthread_create(&x.th, NULL, vwaiter_fn, &x);
		while (!x.tid)
			sched_yield();
		wait_asleep(x.tid);
		CHECK_RET(fx(&w[1], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
		CHECK_RET(fx(&w[1], FUTEX_WAKE, 1, NULL, NULL, 0), 1);
		pthread_join(x.th, NULL);
		CHECK_RET(x.ret, 1);
	}

	/* futex2: futex_wake(uaddr, mask, nr, flags), futex_wait(uaddr, val,
	 * mask, flags, timeout, clockid). */
	{
		long r = syscall(SYS_futex_wake2, &w[0], 0xfffffffful, 1, F2_U32 | F2_PRIVATE);
		r = r < 0 ? -errno : r;
		if (r == -ENOSYS) {
			printf("%s: futex_wake/futex_wait (454/455) not offered\n", t_name);
		} else {
			CHECK_RET(r, 0);
			errno = 0;
			CHECK_RET(syscall(SYS_futex_wake2, &w[0], 0xfffffffful, 1, F2_PRIVATE) < 0 ? -errno : 0, -EINVAL);
			CHECK_RET(syscall(SYS_futex_wake2, &w[0], ~0ul, 1, F2_U32) < 0 ? -errno : 0, -EINVAL);
			CHECK_RET(syscall(SYS_futex_wake2, &w[0], 0ul, 1, F2_U32) < 0 ? -errno : 0, -EINVAL);
			CHECK_RET(syscall(SYS_futex_wake2, &w[0], 1ul << 32, 1, F2_U32) < 0 ? -errno : 0, -EINVAL);
			CHECK_RET(syscall(SYS_futex_wake2, (char *)&w[0] + 1, 0xfffffffful, 0, F2_U32) < 0 ? -errno : 0, -EINVAL);
			struct timespec dl = ns_ts(now_ns(CLOCK_MONOTONIC) + 20000000ull);
			CHECK_RET(syscall(SYS_futex_wait2, &w[0], 0, 0xfffffffful, F2_U32 | F2_PRIVATE, &dl, CLOCK_MONOTONIC) < 0 ? -errno : 0, -ETIMEDOUT);
			CHECK_RET(syscall(SYS_futex_wait2, &w[0], 1, 0xfffffffful, F2_U32 | F2_PRIVATE, &dl, CLOCK_MONOTONIC) < 0 ? -errno : 0, -EAGAIN);
			CHECK_RET(syscall(SYS_futex_wait2, &w[0], 0, 0xfffffffful, F2_U32, &dl, 7) < 0 ? -errno : 0, -EINVAL);
			CHECK_RET(syscall(SYS_futex_wait2, &w[0], 1ul << 32, 0xfffffffful, F2_U32, NULL, 0) < 0 ? -errno : 0, -EINVAL);
		}
	}
	/* futex_requeue(waiters[2], flags, nr_wake, nr_requeue) */
	{
		struct fwv rq[2] = { { 0, (uintptr_t)&w[4], F2_U32 | F2_PRIVATE, 0 },
				     { 0, (uintptr_t)&w[5], F2_U32, 0 } };
		long r = syscall(SYS_futex_requeue2, rq, 0, 0, 0);
		r = r < 0 ? -errno : r;
		if (r == -ENOSYS) {
			printf("%s: futex_requeue (456) not offered\n", t_name);
		} else {
#define RQ(v, fl, nw, nr) (syscall(SYS_futex_requeue2, v, fl, nw, nr) < 0 ? -errno : 0)
			CHECK_RET(r, 0);
			CHECK_RET(RQ(rq, 1, 1, 1), -EINVAL);
			CHECK_RET(RQ(NULL, 0, 1, 1), -EINVAL);
			CHECK_RET(RQ((void *)16, 0, 1, 1), -EFAULT);
			CHECK_RET(RQ(rq, 0, -1, 0), -EINVAL);
			CHECK_RET(RQ(rq, 0, 0, -1), -EINVAL);
			rq[1].__reserved = 1;
			CHECK_RET(RQ(rq, 0, 1, 1), -EINVAL);
			rq[1].__reserved = 0;
			rq[1].flags = F2_PRIVATE; /* no size */
			CHECK_RET(RQ(rq, 0, 1, 1), -EINVAL);
			rq[1].flags = F2_U32 | 0x1000;
			CHECK_RET(RQ(rq, 0, 1, 1), -EINVAL);
			rq[1].flags = F2_U32;
			rq[0].val = 1ull << 32;
			CHECK_RET(RQ(rq, 0, 1, 1), -EINVAL);
			rq[0].val = 1; /* *w[4] is 0 */
			CHECK_RET(RQ(rq, 0, 1, 1), -EAGAIN);
			rq[0].val = 0;

			/* Three waiters on w[4]: one woken, one moved to the
			 * shared w[5], one left. */
			struct waiter a[3] = { 0 };
			for (int i = 0; i < 3; i++)
				start_waiter(&a[i], &w[4], FUTEX_WAIT_PRIVATE, 0, 0);
			errno = 0;
			r = syscall(SYS_futex_requeue2, rq, 0, 1, 1);
			CHECK_RET(r < 0 ? -errno : r, 2);
			int done = 0;
			for (int ms = 0; ms < 3000 && !done; ms++) {
				sleep_ms(1);
				done = a[0].done + a[1].done + a[2].done;
			}
			sleep_ms(20);
			CHECK(a[0].done + a[1].done + a[2].done == 1);
			CHECK_RET(fx(&w[5], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
			CHECK_RET(fx(&w[5], FUTEX_WAKE, 5, NULL, NULL, 0), 1);
			CHECK_RET(fx(&w[4], FUTEX_WAKE_PRIVATE, 5, NULL, NULL, 0), 1);
			for (int i = 0; i < 3; i++) {
				pthread_join(a[i].th, NULL);
				CHECK_RET(a[i].ret, 0);
			}
#undef RQ
		}
	}
	return t_done();
}
