/* FUTEX_WAIT / WAKE / WAIT_BITSET / WAKE_BITSET: argument checks in Linux's
 * order, EAGAIN on a changed value, wake counts and bitsets, relative and
 * absolute timeouts on both clocks, the seed's op 393 blocking while another
 * thread spins, and signals (EINTR vs transparent SA_RESTART restart). */
#include "t_futex.h"
#include <signal.h>
#include <sys/mman.h>

static _Atomic unsigned word;
static unsigned word2;

static _Atomic int spin_stop;
static void *spinner(void *arg)
{
	(void)arg;
	while (!spin_stop)
		;
	return NULL;
}

static _Atomic int got_signal;
static void on_sig(int s)
{
	(void)s;
	got_signal++;
}

static void checks(void)
{
	unsigned *w = (unsigned *)&word;
	char *mis = (char *)w + 1;
	struct timespec bad_nsec = { 0, 1000000000 }, neg_sec = { -1, 0 }, neg_nsec = { 0, -1 };
	struct timespec zero = { 0, 0 };

	word = 5;
	/* Order: timeout pointer first (even before alignment), then the
	 * clock flag, then the command, then op checks, then the key. */
	CHECK_RET(fx(mis, FUTEX_WAIT, 5, (void *)8, NULL, 0), -EFAULT);
	CHECK_RET(fx(mis, FUTEX_WAIT, 5, &bad_nsec, NULL, 0), -EINVAL);
	CHECK_RET(fx(w, FUTEX_WAIT, 5, &neg_sec, NULL, 0), -EINVAL);
	CHECK_RET(fx(w, FUTEX_WAIT, 5, &neg_nsec, NULL, 0), -EINVAL);
	CHECK_RET(fx(w, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 5, &bad_nsec, NULL, 0), -EINVAL);
	CHECK_RET(fx(w, FUTEX_WAIT_BITSET, 4, &neg_nsec, NULL, ~0u), -EINVAL); /* before compare */
	CHECK_RET(fx(mis, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 5, NULL, NULL, 0), -ENOSYS);
	CHECK_RET(fx(w, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 5, &zero, NULL, 0), -ENOSYS);
	CHECK_RET(fx(w, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), -ENOSYS);
	CHECK_RET(fx(w, FUTEX_WAKE_BITSET | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, ~0u), -ENOSYS);
	CHECK_RET(fx(w, FUTEX_REQUEUE | FUTEX_CLOCK_REALTIME, 1, NULL, w, 0), -ENOSYS);
	CHECK_RET(fx(w, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0), -ENOSYS);
	CHECK_RET(fx(mis, 14, 0, NULL, NULL, 0), -ENOSYS);
	CHECK_RET(fx(w, 0x200 | FUTEX_WAKE, 1, NULL, NULL, 0), -ENOSYS);
	CHECK_RET(fx(w, FUTEX_FD, 1, NULL, NULL, 0), -ENOSYS);
	CHECK_RET(fx(w, 99 | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), -ENOSYS);
	/* Timeout pointer is not read for commands without one. */
	CHECK_RET(fx(w, FUTEX_WAKE, 1, (void *)8, NULL, 0), 0);
	/* Bitset 0 before the key. */
	CHECK_RET(fx(mis, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), -EINVAL);
	CHECK_RET(fx(NULL, FUTEX_WAIT_BITSET, 0, NULL, NULL, 0), -EINVAL);
	CHECK_RET(fx(w, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 5, NULL, NULL, 0), -EINVAL);
	/* Alignment. */
	CHECK_RET(fx(mis, FUTEX_WAKE, 1, NULL, NULL, 0), -EINVAL);
	CHECK_RET(fx(mis, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), -EINVAL);
	CHECK_RET(fx(mis, FUTEX_WAIT_PRIVATE, 5, NULL, NULL, 0), -EINVAL);
	/* Bad addresses: private wake touches no memory. */
	CHECK_RET(fx(NULL, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
	CHECK_RET(fx((void *)0x1000, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
	CHECK_RET(fx(NULL, FUTEX_WAKE, 1, NULL, NULL, 0), -EFAULT);
	CHECK_RET(fx(NULL, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), -EFAULT);
	CHECK_RET(fx(NULL, FUTEX_WAIT, 0, NULL, NULL, 0), -EFAULT);
	CHECK_RET(fx((void *)0xffff800000000000ull, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), -EFAULT);
	{
		void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK_RET(fx(p, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), -EFAULT);
		CHECK_RET(fx(p, FUTEX_WAKE, 1, NULL, NULL, 0), -EFAULT);
		CHECK_RET(fx(p, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
		munmap(p, 4096);
	}
	/* Value mismatch: EAGAIN, also with a past deadline (compare first). */
	CHECK_RET(fx(w, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0), -EAGAIN);
	CHECK_RET(fx(w, FUTEX_WAIT, 4, NULL, NULL, 0), -EAGAIN);
	CHECK_RET(fx(w, FUTEX_WAIT_PRIVATE, 4, &zero, NULL, 0), -EAGAIN);
	CHECK_RET(fx(w, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 4, &zero, NULL, 1), -EAGAIN);
	/* No waiters: 0, whatever nr. */
	CHECK_RET(fx(w, FUTEX_WAKE_PRIVATE, 0, NULL, NULL, 0), 0);
	CHECK_RET(fx(w, FUTEX_WAKE, 100, NULL, NULL, 0), 0);
	CHECK_RET(fx(w, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0x10), 0);
}

static void timeouts(void)
{
	unsigned *w = (unsigned *)&word;
	struct timespec zero = { 0, 0 }, rel = { 0, 50000000 };
	uint64_t t0, t1;

	word = 7;
	CHECK_RET(fx(w, FUTEX_WAIT_PRIVATE, 7, &zero, NULL, 0), -ETIMEDOUT);
	t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_RET(fx(w, FUTEX_WAIT_PRIVATE, 7, &rel, NULL, 0), -ETIMEDOUT);
	t1 = now_ns(CLOCK_MONOTONIC);
	CHECK(t1 - t0 >= 50000000ull);
	CHECK(t1 - t0 < 2000000000ull);

	/* Absolute on MONOTONIC (default) and REALTIME. */
	for (int rt = 0; rt < 2; rt++) {
		clockid_t c = rt ? CLOCK_REALTIME : CLOCK_MONOTONIC;
		int op = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | (rt ? FUTEX_CLOCK_REALTIME : 0);
		struct timespec past = ns_ts(now_ns(c) / 2); /* uptime may be < 1 s */
		struct timespec dl = ns_ts(now_ns(c) + 60000000ull);

		CHECK_RET(fx(w, op, 7, &past, NULL, ~0u), -ETIMEDOUT);
		CHECK_RET(fx(w, op | 0, 7, &zero, NULL, ~0u), -ETIMEDOUT); /* epoch / boot */
		t0 = now_ns(c);
		CHECK_RET(fx(w, op, 7, &dl, NULL, ~0u), -ETIMEDOUT);
		t1 = now_ns(c);
		CHECK(t1 >= (uint64_t)dl.tv_sec * 1000000000ull + (uint64_t)dl.tv_nsec);
		CHECK(t1 - t0 < 2000000000ull);
	}
	/* A MONOTONIC absolute deadline is not relative: a deadline of "now +
	 * 60 ms" in CLOCK_MONOTONIC, handed to the REALTIME op, is decades in
	 * the past there: immediate. */
	{
		struct timespec mono = ns_ts(now_ns(CLOCK_MONOTONIC) + 60000000ull);
		t0 = now_ns(CLOCK_MONOTONIC);
		CHECK_RET(fx(w, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME, 7,
			     &mono, NULL, ~0u), -ETIMEDOUT);
		CHECK(now_ns(CLOCK_MONOTONIC) - t0 < 40000000ull);
	}
	/* The same deadline via futex_wait's relative form would be huge:
	 * FUTEX_WAIT with { big } must still block (checked by waking it). */
}

static void wakes(void)
{
	struct waiter ws[4] = { 0 };
	unsigned *w = (unsigned *)&word;

	word = 1;
	for (int i = 0; i < 3; i++)
		start_waiter(&ws[i], w, FUTEX_WAIT_PRIVATE, 1, 0);
	CHECK_RET(fx(w, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0), 2);
	pthread_join(ws[0].th, NULL);
	pthread_join(ws[1].th, NULL);
	CHECK(ws[0].ret == 0 && ws[1].ret == 0);
	CHECK(!ws[2].done);
	/* Shared wake does not meet a private waiter (different keys). */
	CHECK_RET(fx(w, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	/* nr 0 still wakes one. */
	CHECK_RET(fx(w, FUTEX_WAKE_PRIVATE, 0, NULL, NULL, 0), 1);
	pthread_join(ws[2].th, NULL);
	CHECK_RET(ws[2].ret, 0);

	/* FIFO order among equal waiters. */
	start_waiter(&ws[0], w, FUTEX_WAIT_PRIVATE, 1, 0);
	start_waiter(&ws[1], w, FUTEX_WAIT_PRIVATE, 1, 0);
	CHECK_RET(fx(w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	pthread_join(ws[0].th, NULL);
	CHECK(ws[0].done && !ws[1].done);
	CHECK_RET(fx(w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	pthread_join(ws[1].th, NULL);

	/* Bitsets. */
	start_waiter(&ws[0], w, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 1, 0x1);
	start_waiter(&ws[1], w, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 1, 0x2);
	start_waiter(&ws[2], w, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 1, 0x6);
	start_waiter(&ws[3], w, FUTEX_WAIT_PRIVATE, 1, 0);   /* bitset ~0 */
	/* 0x8 meets only the plain waiter (~0), 0x4 only 0x6. */
	CHECK_RET(fx(w, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 0x8), 1);
	pthread_join(ws[3].th, NULL);
	CHECK(!ws[2].done);
	CHECK_RET(fx(w, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 0x4), 1);
	pthread_join(ws[2].th, NULL);
	CHECK(!ws[0].done && !ws[1].done);
	CHECK_RET(fx(w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1); /* plain wake = ~0 */
	pthread_join(ws[0].th, NULL);
	CHECK_RET(fx(w, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0x2), 1);
	pthread_join(ws[1].th, NULL);
	CHECK(ws[0].ret == 0 && ws[1].ret == 0 && ws[2].ret == 0 && ws[3].ret == 0);

	/* A FUTEX_WAIT with a long relative timeout is woken normally. */
	{
		struct timespec big = { 100000, 0 };
		ws[0].ts = &big;
		start_waiter(&ws[0], w, FUTEX_WAIT_PRIVATE, 1, 0);
		CHECK_RET(fx(w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
		pthread_join(ws[0].th, NULL);
		CHECK_RET(ws[0].ret, 0);
		ws[0].ts = NULL;
	}
}

/* The seed's case: op 393 = WAIT_BITSET|PRIVATE|CLOCK_REALTIME, val3 ~0,
 * NULL timeout blocks until woken, while another thread spins. */
static void op393(void)
{
	struct waiter wt = { 0 };
	pthread_t spin;
	unsigned *w = &word2;

	CHECK_RET(FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME, 393);
	word2 = 0;
	spin_stop = 0;
	pthread_create(&spin, NULL, spinner, NULL);
	start_waiter(&wt, w, 393, 0, 0xffffffff);
	sleep_ms(300);
	CHECK(!wt.done);
	CHECK(thread_state(getpid(), wt.tid) != 'R');
	word2 = 1;
	CHECK_RET(fx(w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	pthread_join(wt.th, NULL);
	CHECK_RET(wt.ret, 0);
	spin_stop = 1;
	pthread_join(spin, NULL);
}

static void signals(void)
{
	struct sigaction sa = { 0 };
	struct waiter wt = { 0 };
	unsigned *w = (unsigned *)&word;
	struct timespec big = { 100000, 0 };

	word = 3;
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: EINTR. */
	sigaction(SIGUSR1, &sa, NULL);
	start_waiter(&wt, w, FUTEX_WAIT_PRIVATE, 3, 0);
	pthread_kill(wt.th, SIGUSR1);
	pthread_join(wt.th, NULL);
	CHECK_RET(wt.ret, -EINTR);
	/* SA_RESTART, no timeout: restarted transparently, still waiting. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	got_signal = 0;
	start_waiter(&wt, w, FUTEX_WAIT_PRIVATE, 3, 0);
	pthread_kill(wt.th, SIGUSR1);
	while (!got_signal)
		sched_yield();
	wait_asleep(wt.tid);
	sleep_ms(50);
	CHECK(!wt.done);
	CHECK_RET(fx(w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	pthread_join(wt.th, NULL);
	CHECK_RET(wt.ret, 0);
	/* SA_RESTART with a timeout: EINTR (Linux restarts those only when no
	 * handler ran). Relative and absolute. */
	wt.ts = &big;
	start_waiter(&wt, w, FUTEX_WAIT_PRIVATE, 3, 0);
	pthread_kill(wt.th, SIGUSR1);
	pthread_join(wt.th, NULL);
	CHECK_RET(wt.ret, -EINTR);
	{
		struct timespec dl = ns_ts(now_ns(CLOCK_MONOTONIC) + 100000000000ull);
		wt.ts = &dl;
		start_waiter(&wt, w, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 3, ~0u);
		pthread_kill(wt.th, SIGUSR1);
		pthread_join(wt.th, NULL);
		CHECK_RET(wt.ret, -EINTR);
	}
	/* A bitset wait without timeout restarts like FUTEX_WAIT. */
	wt.ts = NULL;
	got_signal = 0;
	start_waiter(&wt, w, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME, 3, ~0u);
	pthread_kill(wt.th, SIGUSR1);
	while (!got_signal)
		sched_yield();
	wait_asleep(wt.tid);
	CHECK(!wt.done);
	CHECK_RET(fx(w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	pthread_join(wt.th, NULL);
	CHECK_RET(wt.ret, 0);
	signal(SIGUSR1, SIG_DFL);
}

/* An absolute CLOCK_REALTIME deadline follows the wall clock: setting the
 * clock past it (clock_settime) ends the wait with ETIMEDOUT at once; a
 * CLOCK_MONOTONIC deadline does not move. Needs CAP_SYS_TIME (root). */
static void realtime_jump(void)
{
	static unsigned word;
	struct waiter w = { 0 };
	struct timespec rt, dl;

	clock_gettime(CLOCK_REALTIME, &rt);
	dl = ns_ts(now_ns(CLOCK_REALTIME) + 30000000000ull); /* now + 30 s */
	w.ts = &dl;
	start_waiter(&w, &word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, ~0u);
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	struct timespec ahead = rt;
	ahead.tv_sec += 60;
	if (clock_settime(CLOCK_REALTIME, &ahead) != 0) {
		printf("%s: clock_settime not permitted (%d), wall-clock jump not checked\n", t_name, errno);
		fx(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		pthread_join(w.th, NULL);
		return;
	}
	pthread_join(w.th, NULL);
	uint64_t waited = now_ns(CLOCK_MONOTONIC) - t0;
	/* Put the clock back where it would have been. */
	struct timespec back = ns_ts(now_ns(CLOCK_REALTIME) - 60000000000ull);
	clock_settime(CLOCK_REALTIME, &back);
	CHECK_RET(w.ret, -ETIMEDOUT);
	CHECK(waited < 10000000000ull); /* far sooner than the 30 s asked */

	/* The same jump does not end a CLOCK_MONOTONIC absolute wait. */
	struct waiter m = { 0 };
	dl = ns_ts(now_ns(CLOCK_MONOTONIC) + 30000000000ull);
	m.ts = &dl;
	start_waiter(&m, &word, FUTEX_WAIT_BITSET_PRIVATE, 0, ~0u);
	clock_gettime(CLOCK_REALTIME, &rt);
	ahead = rt;
	ahead.tv_sec += 60;
	clock_settime(CLOCK_REALTIME, &ahead);
	sleep_ms(100);
	CHECK(!m.done);
	back = ns_ts(now_ns(CLOCK_REALTIME) - 60000000000ull);
	clock_settime(CLOCK_REALTIME, &back);
	CHECK_RET(fx(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	pthread_join(m.th, NULL);
	CHECK_RET(m.ret, 0);
}

int main(void)
{
	checks();
	timeouts();
	wakes();
	op393();
	realtime_jump();
	signals();
	return t_done();
}
