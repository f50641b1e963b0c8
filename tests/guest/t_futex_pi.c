/* PI futexes: LOCK_PI / LOCK_PI2 / TRYLOCK_PI / UNLOCK_PI on the user word
 * protocol (TID | WAITERS | OWNER_DIED), EDEADLK (own lock, ABBA cycle),
 * ESRCH (dead owner), EPERM (non-owner unlock, glibc's probe on a zero
 * word), EINVAL (word inconsistent, plain wake on a PI waiter), hand-over to
 * the top waiter on unlock, timeouts (LOCK_PI: absolute REALTIME; LOCK_PI2:
 * MONOTONIC or REALTIME), WAIT_REQUEUE_PI / CMP_REQUEUE_PI, glibc
 * PTHREAD_PRIO_INHERIT mutexes and, when allowed, priority inheritance. */
#include "t_futex.h"
#include <sys/resource.h>

static unsigned lk, lk2, cv;

struct locker {
	pthread_t th;
	_Atomic pid_t tid;
	unsigned *uaddr;
	int op;
	const struct timespec *ts;
	long ret;
	unsigned word_after;
	_Atomic int done;
	_Atomic int release;  /* unlock when set */
	unsigned *first;      /* lock this first (ABBA) */
	int rt;               /* fifo_locker: SCHED_FIFO priority (30 if 0) */
};

static void *locker_fn(void *arg)
{
	struct locker *l = arg;
	l->tid = t_gettid();
	if (l->first)
		fx(l->first, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
	l->ret = fx(l->uaddr, l->op, 0, l->ts, NULL, 0);
	l->word_after = *l->uaddr;
	l->done = 1;
	while (!l->release)
		sleep_ms(1);
	if (l->ret == 0)
		l->ret = fx(l->uaddr, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
	if (l->first)
		fx(l->first, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static void start(struct locker *l, unsigned *uaddr, int op)
{
	const struct timespec *ts = l->ts;
	unsigned *first = l->first;
	memset(l, 0, sizeof(*l));
	l->ts = ts;
	l->first = first;
	l->uaddr = uaddr;
	l->op = op;
	pthread_create(&l->th, NULL, locker_fn, l);
	while (!l->tid)
		sched_yield();
}

static void basics(void)
{
	pid_t me = t_gettid();
	struct timespec zero = { 0, 0 };

	lk = 0;
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	CHECK((pid_t)lk == me);
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), -EDEADLK);
	CHECK_RET(fx(&lk, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0), -EDEADLK);
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI2_PRIVATE, 0, NULL, NULL, 0), -EDEADLK);
	CHECK_RET(fx(&lk, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	CHECK(lk == 0);
	/* glibc's probe: UNLOCK_PI on a zero word is EPERM. */
	CHECK_RET(fx(&lk, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), -EPERM);
	CHECK_RET(fx(&lk, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), -EPERM);
	/* UNLOCK_PI reads the word before the key: misaligned is EPERM. */
	CHECK_RET(fx((char *)&lk + 1, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), -EPERM);
	CHECK_RET(fx(NULL, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), -EFAULT);
	CHECK_RET(fx((char *)&lk + 1, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), -EINVAL);
	CHECK_RET(fx(NULL, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), -EFAULT);
	/* OWNER_DIED is kept when a free word is taken. */
	lk = FUTEX_OWNER_DIED;
	CHECK_RET(fx(&lk, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	CHECK(lk == (FUTEX_OWNER_DIED | (unsigned)me));
	lk = 0;
	/* TRYLOCK_PI ignores the 4th argument (no timeout read). */
	CHECK_RET(fx(&lk, FUTEX_TRYLOCK_PI_PRIVATE, 0, (void *)8, NULL, 0), 0);
	lk = 0;
	/* LOCK_PI2 on a free word with a past deadline still takes it. */
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI2_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &zero, NULL, 0), 0);
	lk = 0;
	/* Non-owner unlock. */
	lk = (unsigned)me + 1;
	CHECK_RET(fx(&lk, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), -EPERM);
	/* Dead owner: ESRCH (LOCK_PI and TRYLOCK_PI); the WAITERS bit was set
	 * on the way. */
	lk = 0x3ffffff0;
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), -ESRCH);
	CHECK(lk == (0x3ffffff0 | FUTEX_WAITERS));
	lk = 0x3ffffff1;
	CHECK_RET(fx(&lk, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0), -ESRCH);
	CHECK(lk == (0x3ffffff1 | FUTEX_WAITERS));
	lk = 0;
}

static void handover(void)
{
	struct locker a = { 0 }, b = { 0 }, c = { 0 };
	pid_t me = t_gettid();

	lk = 0;
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	/* TRYLOCK on a held lock: EAGAIN, WAITERS set. */
	start(&a, &lk, FUTEX_TRYLOCK_PI_PRIVATE);
	while (!a.done)
		sched_yield();
	CHECK_RET(a.ret, -EAGAIN);
	CHECK(a.word_after == ((unsigned)me | FUTEX_WAITERS));
	a.release = 1;
	pthread_join(a.th, NULL);
	/* Two blockers, handed over in order. */
	start(&b, &lk, FUTEX_LOCK_PI_PRIVATE);
	wait_asleep(b.tid);
	start(&c, &lk, FUTEX_LOCK_PI_PRIVATE);
	wait_asleep(c.tid);
	CHECK(lk == ((unsigned)me | FUTEX_WAITERS));
	CHECK(!b.done && !c.done);
	/* A plain wake or requeue meets PI waiters: EINVAL. */
	CHECK_RET(fx(&lk, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), -EINVAL);
	CHECK_RET(fx(&lk, FUTEX_REQUEUE_PRIVATE, 0, VAL2(1), &lk2, 0), -EINVAL);
	/* A plain wait on a word with PI waiters, then LOCK_PI: EINVAL is
	 * for the locker that finds a non-PI top waiter; skip that mess. */
	CHECK_RET(fx(&lk, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	while (!b.done)
		sched_yield();
	CHECK_RET(b.ret, 0);
	CHECK(b.word_after == ((unsigned)b.tid | FUTEX_WAITERS));
	CHECK(!c.done);
	/* The old owner can no longer unlock. */
	CHECK_RET(fx(&lk, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), -EPERM);
	b.release = 1;
	pthread_join(b.th, NULL);
	CHECK_RET(b.ret, 0);
	while (!c.done)
		sched_yield();
	CHECK_RET(c.ret, 0);
	/* Last waiter: word still says WAITERS (Linux sets it on hand-over). */
	CHECK(c.word_after == ((unsigned)c.tid | FUTEX_WAITERS));
	c.release = 1;
	pthread_join(c.th, NULL);
	CHECK(lk == 0);
}

static void timeouts(void)
{
	struct locker a = { 0 }, b = { 0 };
	uint64_t t0;

	lk = 0;
	a.ts = NULL;
	start(&a, &lk, FUTEX_LOCK_PI_PRIVATE);
	while (!a.done)
		sched_yield();
	/* LOCK_PI: absolute CLOCK_REALTIME. */
	struct timespec rt = ns_ts(now_ns(CLOCK_REALTIME) + 50000000ull);
	t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI_PRIVATE, 0, &rt, NULL, 0), -ETIMEDOUT);
	CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 40000000ull);
	CHECK(now_ns(CLOCK_MONOTONIC) - t0 < 2000000000ull);
	/* A MONOTONIC value given to LOCK_PI is decades ago in REALTIME. */
	struct timespec mono = ns_ts(now_ns(CLOCK_MONOTONIC) + 5000000000ull);
	t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI_PRIVATE, 0, &mono, NULL, 0), -ETIMEDOUT);
	CHECK(now_ns(CLOCK_MONOTONIC) - t0 < 1000000000ull);
	/* LOCK_PI2: MONOTONIC by default, REALTIME with the flag. */
	mono = ns_ts(now_ns(CLOCK_MONOTONIC) + 50000000ull);
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI2_PRIVATE, 0, &mono, NULL, 0), -ETIMEDOUT);
	rt = ns_ts(now_ns(CLOCK_REALTIME) + 50000000ull);
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI2_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &rt, NULL, 0), -ETIMEDOUT);
	struct timespec bad = { 0, -1 };
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI_PRIVATE, 0, &bad, NULL, 0), -EINVAL);
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI_PRIVATE, 0, (void *)8, NULL, 0), -EFAULT);
	/* After timeouts the lock still hands over properly. */
	start(&b, &lk, FUTEX_LOCK_PI_PRIVATE);
	wait_asleep(b.tid);
	a.release = 1;
	pthread_join(a.th, NULL);
	while (!b.done)
		sched_yield();
	CHECK_RET(b.ret, 0);
	b.release = 1;
	pthread_join(b.th, NULL);
	CHECK(lk == 0);
}

static void deadlock(void)
{
	struct locker a = { 0 };

	/* a holds lk2, then blocks on lk (held by us); our LOCK_PI on lk2
	 * closes the cycle: EDEADLK. */
	lk = lk2 = 0;
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	a.first = &lk2;
	start(&a, &lk, FUTEX_LOCK_PI_PRIVATE);
	wait_asleep(a.tid);
	sleep_ms(20);
	CHECK(lk2 == ((unsigned)a.tid));
	CHECK_RET(fx(&lk2, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), -EDEADLK);
	CHECK_RET(fx(&lk, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	while (!a.done)
		sched_yield();
	CHECK_RET(a.ret, 0);
	a.release = 1;
	pthread_join(a.th, NULL);
	CHECK(lk == 0 && lk2 == 0);
}

struct rq_waiter {
	pthread_t th;
	_Atomic pid_t tid;
	long ret;
	unsigned word_after;
	_Atomic int done;
};

static void *rq_fn(void *arg)
{
	struct rq_waiter *w = arg;
	w->tid = t_gettid();
	w->ret = fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE, cv, NULL, &lk, 0);
	w->word_after = lk;
	w->done = 1;
	if (w->ret == 0)
		fx(&lk, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static void requeue_pi(void)
{
	struct rq_waiter w[3];
	struct timespec zero = { 0, 0 };

	cv = 1;
	lk = 0;
	CHECK_RET(fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 1, NULL, &cv, 0), -EINVAL);
	CHECK_RET(fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 2, NULL, &lk, 0), -EAGAIN);
	CHECK_RET(fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 1, &zero, &lk, 0), -ETIMEDOUT);
	CHECK_RET(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 2, VAL2(1), &lk, 1), -EINVAL);
	CHECK_RET(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 0, VAL2(1), &lk, 1), -EINVAL);
	CHECK_RET(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, VAL2(1), &cv, 1), -EINVAL);
	CHECK_RET(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, VAL2(1), &lk, 2), -EAGAIN);
	CHECK_RET(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, VAL2(1), &lk, 1), 0);
	CHECK_RET(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, VAL2(-1), &lk, 1), -EINVAL);

	/* One waiter, lock free: the requeue takes the lock for it. */
	memset(w, 0, sizeof(w));
	pthread_create(&w[0].th, NULL, rq_fn, &w[0]);
	while (!w[0].tid)
		sched_yield();
	wait_asleep(w[0].tid);
	/* A plain wake on a requeue-PI waiter: EINVAL. */
	CHECK_RET(fx(&cv, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), -EINVAL);
	/* Requeue-PI naming another target: EINVAL. */
	CHECK_RET(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, VAL2(1), &lk2, 1), -EINVAL);
	CHECK_RET(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, VAL2(1), &lk, 1), 1);
	pthread_join(w[0].th, NULL);
	CHECK_RET(w[0].ret, 0);
	/* nr_requeue > 0 makes the proxy lock set WAITERS. */
	CHECK(w[0].word_after == ((unsigned)w[0].tid | FUTEX_WAITERS));
	CHECK(lk == 0);
	/* The same with nr_requeue 0: the word is just the TID. */
	memset(w, 0, sizeof(w));
	pthread_create(&w[0].th, NULL, rq_fn, &w[0]);
	while (!w[0].tid)
		sched_yield();
	wait_asleep(w[0].tid);
	CHECK_RET(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, VAL2(0), &lk, 1), 1);
	pthread_join(w[0].th, NULL);
	CHECK_RET(w[0].ret, 0);
	CHECK(w[0].word_after == (unsigned)w[0].tid);
	CHECK(lk == 0);

	/* Lock held by us: two waiters requeued, then handed over one by
	 * one by UNLOCK_PI. */
	memset(w, 0, sizeof(w));
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	for (int i = 0; i < 2; i++) {
		pthread_create(&w[i].th, NULL, rq_fn, &w[i]);
		while (!w[i].tid)
			sched_yield();
		wait_asleep(w[i].tid);
	}
	CHECK_RET(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, VAL2(5), &lk, 1), 2);
	CHECK(lk == ((unsigned)t_gettid() | FUTEX_WAITERS));
	sleep_ms(20);
	CHECK(!w[0].done && !w[1].done);
	CHECK_RET(fx(&cv, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0); /* moved off cv */
	CHECK_RET(fx(&lk, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	pthread_join(w[0].th, NULL);
	pthread_join(w[1].th, NULL);
	CHECK(w[0].ret == 0 && w[1].ret == 0);
	CHECK(lk == 0);
}

static void *pthread_pi_worker(void *arg)
{
	pthread_mutex_t *m = arg;
	static long counter;
	for (int i = 0; i < 20000; i++) {
		pthread_mutex_lock(m);
		counter++;
		pthread_mutex_unlock(m);
	}
	return (void *)counter;
}

static void glibc_pi(void)
{
	pthread_mutexattr_t at;
	pthread_mutex_t m;
	pthread_t th[4];

	pthread_mutexattr_init(&at);
	CHECK_RET(pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT), 0);
	CHECK_RET(pthread_mutex_init(&m, &at), 0);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, pthread_pi_worker, &m);
	long max = 0;
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(th[i], &r);
		if ((long)r > max)
			max = (long)r;
	}
	CHECK(max == 80000);
	CHECK_RET(pthread_mutex_trylock(&m), 0);
	CHECK_RET(pthread_mutex_unlock(&m), 0);
	pthread_mutex_destroy(&m);
}

/* Priority inheritance, when we may use SCHED_FIFO: a low-priority owner
 * blocked by a higher waiter runs at the waiter's priority (seen in
 * /proc/<pid>/task/<tid>/stat field 18, prio = -1 - rt_prio). */
static int read_prio(pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", getpid(), tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 1000;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	int field = 2, prio = 1000;
	for (; p && *p; p++) {
		if (*p == ' ' && ++field == 18) {
			prio = atoi(p + 1);
			break;
		}
	}
	return prio;
}

static void *fifo_locker(void *arg)
{
	struct locker *l = arg;
	struct sched_param sp = { .sched_priority = l->rt ? l->rt : 30 };
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	return locker_fn(l);
}

/* Transitive inheritance: main (FIFO 10) owns lk; mid (FIFO 20) owns lk2
 * and blocks on lk; hi (FIFO 30) blocks on lk2. main runs at 30 through
 * mid, and mid at 30; unlocking lk drops main to 10, mid keeps 30 while hi
 * waits for lk2. */
static unsigned lk2;
static void inheritance_chain(void)
{
	struct sched_param sp = { .sched_priority = 10 };
	struct locker mid = { 0 }, hi = { 0 };
	pid_t me = t_gettid();

	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		printf("%s: SCHED_FIFO not permitted, PI chain not checked\n", t_name);
		return;
	}
	if (read_prio(me) == 1000) {
		printf("%s: no /proc, PI chain not checked\n", t_name);
		goto out;
	}
	lk = lk2 = 0;
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	mid.uaddr = &lk;
	mid.first = &lk2;
	mid.op = FUTEX_LOCK_PI_PRIVATE;
	mid.rt = 20;
	pthread_create(&mid.th, NULL, fifo_locker, &mid);
	while (!mid.tid)
		sleep_ms(1);
	wait_asleep(mid.tid);
	sleep_ms(10);
	CHECK((lk2 & FUTEX_TID_MASK) == (unsigned)mid.tid);
	CHECK(read_prio(me) == -21);
	hi.uaddr = &lk2;
	hi.op = FUTEX_LOCK_PI_PRIVATE;
	hi.rt = 30;
	pthread_create(&hi.th, NULL, fifo_locker, &hi);
	while (!hi.tid)
		sleep_ms(1);
	wait_asleep(hi.tid);
	sleep_ms(10);
	CHECK(read_prio(me) == -31);
	CHECK(read_prio(mid.tid) == -31);
	CHECK_RET(fx(&lk, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	CHECK(read_prio(me) == -11);
	while (!mid.done)
		sleep_ms(1);
	CHECK_RET(mid.ret, 0);
	CHECK(read_prio(mid.tid) == -31);
	CHECK(!hi.done);
	mid.release = 1;
	while (!hi.done)
		sleep_ms(1);
	CHECK_RET(hi.ret, 0);
	hi.release = 1;
	pthread_join(mid.th, NULL);
	pthread_join(hi.th, NULL);
	CHECK_RET(mid.ret, 0);
	CHECK_RET(hi.ret, 0);
	CHECK_RET(lk, 0);
	CHECK_RET(lk2, 0);
out:
	sp.sched_priority = 0;
	sched_setscheduler(0, SCHED_OTHER, &sp);
}

static void inheritance(void)
{
	struct sched_param sp = { .sched_priority = 10 };
	struct locker hi = { 0 };

	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		printf("%s: SCHED_FIFO not permitted, PI boost not checked\n", t_name);
		return;
	}
	lk = 0;
	CHECK_RET(fx(&lk, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	int before = read_prio(t_gettid());
	hi.uaddr = &lk;
	hi.op = FUTEX_LOCK_PI_PRIVATE;
	pthread_create(&hi.th, NULL, fifo_locker, &hi);
	/* Sleep, not sched_yield: under SCHED_FIFO a yield never lets a
	 * lower-priority thread run on one CPU. */
	while (!hi.tid)
		sleep_ms(1);
	wait_asleep(hi.tid);
	sleep_ms(10);
	int boosted = read_prio(t_gettid());
	if (before != 1000) {
		CHECK(before == -11);
		CHECK(boosted == -31);
	}
	CHECK_RET(fx(&lk, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	int after = read_prio(t_gettid());
	if (before != 1000)
		CHECK(after == -11);
	while (!hi.done)
		sleep_ms(1);
	hi.release = 1;
	pthread_join(hi.th, NULL);
	CHECK_RET(hi.ret, 0);
	sp.sched_priority = 0;
	sched_setscheduler(0, SCHED_OTHER, &sp);
}

int main(void)
{
	basics();
	handover();
	timeouts();
	deadlock();
	requeue_pi();
	glibc_pi();
	inheritance();
	inheritance_chain();
	return t_done();
}
