/* glibc's futex-based primitives under contention: N threads hammer
 * mutexes (normal, recursive, errorcheck, robust, PI), condition variables
 * (wait, timedwait, clockwait on both clocks), rwlocks, barriers,
 * semaphores (sem_wait, sem_timedwait), pthread_once and join; every final
 * count is checked. Usage: t_pthread_stress [threads] [iterations]. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int pass, fail;
#define CHECK(c)                                                                  \
	do {                                                                      \
		if (c)                                                            \
			pass++;                                                   \
		else {                                                            \
			fail++;                                                   \
			printf("FAIL %s:%d %s\n", __FILE__, __LINE__, #c);    \
			fflush(stdout);                                           \
		}                                                                 \
	} while (0)

static int N = 4, ITER = 20000;

static struct timespec in_ms(clockid_t c, long ms)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	ts.tv_nsec += (ms % 1000) * 1000000L;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

static void run(void *(*fn)(void *), void *arg)
{
	pthread_t th[64];
	for (int i = 0; i < N; i++)
		CHECK(pthread_create(&th[i], NULL, fn, arg) == 0);
	for (int i = 0; i < N; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
}

/* ---- mutexes ---- */
static pthread_mutex_t mtx;
static long counter;
static int mtx_kind;

static void *mutex_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITER; i++) {
		int r = pthread_mutex_lock(&mtx);
		if (r == EOWNERDEAD)
			pthread_mutex_consistent(&mtx);
		else if (r)
			abort();
		if (mtx_kind == PTHREAD_MUTEX_RECURSIVE) {
			if (pthread_mutex_lock(&mtx))
				abort();
		}
		if (mtx_kind == PTHREAD_MUTEX_ERRORCHECK && pthread_mutex_lock(&mtx) != EDEADLK)
			abort();
		counter++;
		if (mtx_kind == PTHREAD_MUTEX_RECURSIVE)
			pthread_mutex_unlock(&mtx);
		pthread_mutex_unlock(&mtx);
	}
	return NULL;
}

static void mutexes(void)
{
	struct { int kind, robust, pi; const char *name; } cases[] = {
		{ PTHREAD_MUTEX_NORMAL, 0, 0, "normal" },
		{ PTHREAD_MUTEX_RECURSIVE, 0, 0, "recursive" },
		{ PTHREAD_MUTEX_ERRORCHECK, 0, 0, "errorcheck" },
		{ PTHREAD_MUTEX_NORMAL, 1, 0, "robust" },
		{ PTHREAD_MUTEX_NORMAL, 0, 1, "pi" },
		{ PTHREAD_MUTEX_RECURSIVE, 1, 1, "robust-pi-recursive" },
	};
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		pthread_mutexattr_t at;
		pthread_mutexattr_init(&at);
		pthread_mutexattr_settype(&at, cases[c].kind);
		if (cases[c].robust)
			pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
		if (cases[c].pi)
			CHECK(pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT) == 0);
		CHECK(pthread_mutex_init(&mtx, &at) == 0);
		mtx_kind = cases[c].kind;
		counter = 0;
		run(mutex_worker, NULL);
		if (counter != (long)N * ITER)
			printf("%s: mutex %s: %ld != %ld\n", program_invocation_short_name, cases[c].name, counter, (long)N * ITER);
		CHECK(counter == (long)N * ITER);
		CHECK(pthread_mutex_destroy(&mtx) == 0);
	}
	/* Timed lock on a held mutex, both clocks. */
	pthread_mutex_init(&mtx, NULL);
	pthread_mutex_lock(&mtx);
	struct timespec ts = in_ms(CLOCK_REALTIME, 30);
	CHECK(pthread_mutex_timedlock(&mtx, &ts) == ETIMEDOUT);
	ts = in_ms(CLOCK_MONOTONIC, 30);
	CHECK(pthread_mutex_clocklock(&mtx, CLOCK_MONOTONIC, &ts) == ETIMEDOUT);
	pthread_mutex_unlock(&mtx);
}

/* ---- condition variables: a bounded queue, producers and consumers ---- */
#define QCAP 16
static pthread_mutex_t qm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full;
static int q[QCAP], qh, qt, qn;
static long consumed_sum;
static _Atomic int producers_left;
static int cv_mode; /* 0 wait, 1 timedwait, 2 clockwait MONOTONIC, 3 clockwait REALTIME */

static int cv_wait(pthread_cond_t *cv)
{
	struct timespec ts;
	switch (cv_mode) {
	case 1:
		ts = in_ms(CLOCK_REALTIME, 2);
		return pthread_cond_timedwait(cv, &qm, &ts);
	case 2:
		ts = in_ms(CLOCK_MONOTONIC, 2);
		return pthread_cond_clockwait(cv, &qm, CLOCK_MONOTONIC, &ts);
	case 3:
		ts = in_ms(CLOCK_REALTIME, 2);
		return pthread_cond_clockwait(cv, &qm, CLOCK_REALTIME, &ts);
	}
	return pthread_cond_wait(cv, &qm);
}

static void *producer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= ITER / 4; i++) {
		pthread_mutex_lock(&qm);
		while (qn == QCAP) {
			int r = cv_wait(&not_full);
			if (r && r != ETIMEDOUT)
				abort();
		}
		q[qt] = i;
		qt = (qt + 1) % QCAP;
		qn++;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&qm);
	}
	pthread_mutex_lock(&qm);
	producers_left--;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&qm);
	return NULL;
}

static void *consumer(void *arg)
{
	long sum = 0;
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&qm);
		while (qn == 0 && producers_left > 0) {
			int r = cv_wait(&not_empty);
			if (r && r != ETIMEDOUT)
				abort();
		}
		if (qn == 0) {
			pthread_mutex_unlock(&qm);
			break;
		}
		sum += q[qh];
		qh = (qh + 1) % QCAP;
		qn--;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&qm);
	}
	pthread_mutex_lock(&qm);
	consumed_sum += sum;
	pthread_mutex_unlock(&qm);
	return NULL;
}

static void condvars(void)
{
	pthread_condattr_t ca;
	for (cv_mode = 0; cv_mode < 4; cv_mode++) {
		/* Monotonic-clock condvars for mode 1 too (timedwait follows the
		 * condvar's clock attribute). */
		pthread_condattr_init(&ca);
		if (cv_mode == 1)
			pthread_condattr_setclock(&ca, CLOCK_REALTIME);
		pthread_cond_init(&not_full, &ca);
		pthread_cond_init(&not_empty, &ca);
		qh = qt = qn = 0;
		consumed_sum = 0;
		int np = N / 2 ? N / 2 : 1, nc = N - np ? N - np : 1;
		producers_left = np;
		pthread_t th[64];
		for (int i = 0; i < np; i++)
			pthread_create(&th[i], NULL, producer, NULL);
		for (int i = 0; i < nc; i++)
			pthread_create(&th[np + i], NULL, consumer, NULL);
		for (int i = 0; i < np + nc; i++)
			pthread_join(th[i], NULL);
		long n = ITER / 4;
		CHECK(consumed_sum == (long)np * n * (n + 1) / 2);
	}
	/* Timeouts really expire, on both clocks, and not early. */
	pthread_cond_init(&not_empty, NULL);
	pthread_mutex_lock(&qm);
	for (int c = 0; c < 2; c++) {
		clockid_t clk = c ? CLOCK_REALTIME : CLOCK_MONOTONIC;
		struct timespec t0, t1, dl = in_ms(clk, 50);
		clock_gettime(clk, &t0);
		CHECK(pthread_cond_clockwait(&not_empty, &qm, clk, &dl) == ETIMEDOUT);
		clock_gettime(clk, &t1);
		CHECK(t1.tv_sec > dl.tv_sec || (t1.tv_sec == dl.tv_sec && t1.tv_nsec >= dl.tv_nsec));
	}
	struct timespec dl = in_ms(CLOCK_REALTIME, 30);
	CHECK(pthread_cond_timedwait(&not_empty, &qm, &dl) == ETIMEDOUT);
	pthread_mutex_unlock(&qm);
}

/* ---- rwlocks ---- */
static pthread_rwlock_t rw;
static long rw_value, rw_bad;
static void *rw_worker(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < ITER / 2; i++) {
		if ((i + id) % 4 == 0) {
			pthread_rwlock_wrlock(&rw);
			long v = rw_value;
			rw_value = -1;
			rw_value = v + 1;
			pthread_rwlock_unlock(&rw);
		} else {
			pthread_rwlock_rdlock(&rw);
			if (rw_value < 0)
				__atomic_fetch_add(&rw_bad, 1, __ATOMIC_RELAXED);
			pthread_rwlock_unlock(&rw);
		}
	}
	return NULL;
}
static void rwlocks(void)
{
	for (int pref = 0; pref < 2; pref++) {
		pthread_rwlockattr_t a;
		pthread_rwlockattr_init(&a);
		pthread_rwlockattr_setkind_np(&a, pref ? PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP
						       : PTHREAD_RWLOCK_PREFER_READER_NP);
		pthread_rwlock_init(&rw, &a);
		rw_value = rw_bad = 0;
		pthread_t th[64];
		for (long i = 0; i < N; i++)
			pthread_create(&th[i], NULL, rw_worker, (void *)i);
		long expect = 0;
		for (long i = 0; i < N; i++) {
			pthread_join(th[i], NULL);
			for (int k = 0; k < ITER / 2; k++)
				expect += (k + i) % 4 == 0;
		}
		CHECK(rw_value == expect);
		CHECK(rw_bad == 0);
		pthread_rwlock_destroy(&rw);
	}
	/* Timed write lock against a reader, both clocks. */
	pthread_rwlock_init(&rw, NULL);
	pthread_rwlock_rdlock(&rw);
	struct timespec ts = in_ms(CLOCK_REALTIME, 20);
	CHECK(pthread_rwlock_timedwrlock(&rw, &ts) == ETIMEDOUT);
	ts = in_ms(CLOCK_MONOTONIC, 20);
	CHECK(pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &ts) == ETIMEDOUT);
	pthread_rwlock_unlock(&rw);
	pthread_rwlock_destroy(&rw);
}

/* ---- barriers ---- */
static pthread_barrier_t bar;
static _Atomic long phase_count[64];
static _Atomic int serial_seen;
static void *bar_worker(void *arg)
{
	(void)arg;
	for (int p = 0; p < 200; p++) {
		phase_count[p % 64]++;
		int r = pthread_barrier_wait(&bar);
		if (r == PTHREAD_BARRIER_SERIAL_THREAD)
			serial_seen++;
		else if (r)
			abort();
		/* After the barrier everyone has counted this phase. */
		if (phase_count[p % 64] < (long)N * (p / 64 + 1))
			abort();
		pthread_barrier_wait(&bar);
	}
	return NULL;
}
static void barriers(void)
{
	pthread_barrier_init(&bar, NULL, (unsigned)N);
	memset((void *)phase_count, 0, sizeof(phase_count));
	serial_seen = 0;
	run(bar_worker, NULL);
	CHECK(serial_seen == 200);
	pthread_barrier_destroy(&bar);
}

/* ---- semaphores ---- */
static sem_t sem_items, sem_slots;
static _Atomic long sem_taken;
static void *sem_producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITER / 4; i++) {
		struct timespec ts;
		for (;;) {
			ts = in_ms(CLOCK_REALTIME, 5);
			if (sem_timedwait(&sem_slots, &ts) == 0)
				break;
			if (errno != ETIMEDOUT)
				abort();
		}
		sem_post(&sem_items);
	}
	return NULL;
}
static void *sem_consumer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITER / 4; i++) {
		if (i & 1) {
			while (sem_wait(&sem_items))
				;
		} else {
			struct timespec ts;
			for (;;) {
				ts = in_ms(CLOCK_MONOTONIC, 5);
				if (sem_clockwait(&sem_items, CLOCK_MONOTONIC, &ts) == 0)
					break;
				if (errno != ETIMEDOUT)
					abort();
			}
		}
		sem_taken++;
		sem_post(&sem_slots);
	}
	return NULL;
}
static void semaphores(void)
{
	sem_init(&sem_items, 0, 0);
	sem_init(&sem_slots, 0, 4);
	sem_taken = 0;
	pthread_t th[64];
	int half = N / 2 ? N / 2 : 1;
	for (int i = 0; i < half; i++) {
		pthread_create(&th[2 * i], NULL, sem_producer, NULL);
		pthread_create(&th[2 * i + 1], NULL, sem_consumer, NULL);
	}
	for (int i = 0; i < 2 * half; i++)
		pthread_join(th[i], NULL);
	CHECK(sem_taken == (long)half * (ITER / 4));
	int v = -1;
	sem_getvalue(&sem_items, &v);
	CHECK(v == 0);
	sem_getvalue(&sem_slots, &v);
	CHECK(v == 4);
	/* sem_timedwait times out with errno ETIMEDOUT; EINVAL for bad nsec. */
	struct timespec ts = in_ms(CLOCK_REALTIME, 20);
	errno = 0;
	CHECK(sem_timedwait(&sem_items, &ts) == -1 && errno == ETIMEDOUT);
	ts.tv_nsec = 2000000000L;
	errno = 0;
	CHECK(sem_timedwait(&sem_items, &ts) == -1 && errno == EINVAL);
	sem_destroy(&sem_items);
	sem_destroy(&sem_slots);
}

/* ---- pthread_once and join ---- */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Atomic int once_runs;
static void once_fn(void)
{
	once_runs++;
	struct timespec t = { 0, 10000000 };
	nanosleep(&t, NULL); /* others must wait for it */
}
static void *once_worker(void *arg)
{
	(void)arg;
	pthread_once(&once, once_fn);
	if (once_runs != 1)
		abort();
	return NULL;
}
static void *ret_arg(void *arg) { return arg; }
static void once_join(void)
{
	run(once_worker, NULL);
	CHECK(once_runs == 1);
	/* Many short-lived threads: join returns each one's value. */
	for (int r = 0; r < 50; r++) {
		pthread_t th[64];
		for (long i = 0; i < N; i++)
			pthread_create(&th[i], NULL, ret_arg, (void *)(i + 100));
		for (long i = 0; i < N; i++) {
			void *v;
			CHECK(pthread_join(th[i], &v) == 0 && v == (void *)(i + 100));
		}
	}
	/* Detached threads and a timed join. */
	pthread_t t;
	pthread_create(&t, NULL, ret_arg, NULL);
	struct timespec ts = in_ms(CLOCK_REALTIME, 5000);
	CHECK(pthread_timedjoin_np(t, NULL, &ts) == 0);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		N = atoi(argv[1]);
	if (argc > 2)
		ITER = atoi(argv[2]);
	if (N < 2)
		N = 2;
	if (N > 64)
		N = 64;
	mutexes();
	condvars();
	rwlocks();
	barriers();
	semaphores();
	once_join();
	printf("%s: %d passed, %d failed\n", program_invocation_short_name, pass, fail);
	return fail ? 1 : 0;
}
