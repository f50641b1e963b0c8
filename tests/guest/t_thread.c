/* Threads: pthread_create/join/detach with exact counts under a mutex, TLS
 * (initialised .tdata, zeroed .tbss, per-thread addresses), tids, pinned
 * threads on each CPU, raw clone with SETTID/CLEARTID, condition variables,
 * barriers, signals to threads and processes, exit_group from a thread,
 * and execve from a non-main thread. */
#include "t.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/mman.h>

#define NTHREADS 8
#define NITER 20000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static _Atomic long acounter;
static __thread int tls_init = 1234;
static __thread long tls_zero;
static __thread char tls_buf[256] = "tls";

struct targ {
	int idx;
	pid_t tid, pid;
	int *tls_addr;
	int tls_seen;
	long tls_zero_seen;
};

static void *worker(void *p)
{
	struct targ *a = p;
	a->tid = gettid();
	a->pid = getpid();
	a->tls_seen = tls_init;
	a->tls_zero_seen = tls_zero;
	a->tls_addr = &tls_init;
	tls_init = a->idx; /* private to this thread */
	tls_zero = a->idx;
	for (int i = 0; i < NITER; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
		atomic_fetch_add(&acounter, 1);
	}
	if (tls_init != a->idx || strcmp(tls_buf, "tls"))
		return (void *)-1L;
	return (void *)(long)(a->idx * 10);
}

static void t_create_join(void)
{
	pthread_t th[NTHREADS];
	struct targ a[NTHREADS];
	tls_init = 99;
	for (int i = 0; i < NTHREADS; i++) {
		a[i] = (struct targ){ .idx = i + 1 };
		CHECK_RET(pthread_create(&th[i], NULL, worker, &a[i]), 0, 0);
	}
	int tids_distinct = 1, tls_ok = 1;
	for (int i = 0; i < NTHREADS; i++) {
		void *ret = NULL;
		CHECK_RET(pthread_join(th[i], &ret), 0, 0);
		CHECK_EQ((long)ret, (i + 1) * 10);
		CHECK_EQ(a[i].pid, getpid());
		if (a[i].tid == getpid() || a[i].tid <= 0)
			tids_distinct = 0;
		for (int j = 0; j < i; j++)
			if (a[j].tid == a[i].tid || a[j].tls_addr == a[i].tls_addr)
				tids_distinct = 0;
		if (a[i].tls_seen != 1234 || a[i].tls_zero_seen != 0 || a[i].tls_addr == &tls_init)
			tls_ok = 0;
	}
	CHECK(tids_distinct);
	CHECK(tls_ok);
	CHECK_EQ(counter, NTHREADS * NITER);
	CHECK_EQ(acounter, NTHREADS * NITER);
	CHECK_EQ(tls_init, 99); /* main's copy untouched */
	CHECK_EQ(gettid(), getpid());
	/* Joining twice or joining yourself. */
	CHECK_RET(pthread_join(pthread_self(), NULL), EDEADLK, 0);
}

static _Atomic int detached_ran;
static void *detached_fn(void *p)
{
	atomic_store(&detached_ran, 1);
	return NULL;
}

static void t_detach(void)
{
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	CHECK_RET(pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED), 0, 0);
	CHECK_RET(pthread_create(&t, &at, detached_fn, NULL), 0, 0);
	pthread_attr_destroy(&at);
	for (int i = 0; i < 5000 && !atomic_load(&detached_ran); i++)
		t_sleep_ms(1);
	CHECK_EQ(atomic_load(&detached_ran), 1);

	atomic_store(&detached_ran, 0);
	CHECK_RET(pthread_create(&t, NULL, detached_fn, NULL), 0, 0);
	CHECK_RET(pthread_detach(t), 0, 0);
	for (int i = 0; i < 5000 && !atomic_load(&detached_ran); i++)
		t_sleep_ms(1);
	CHECK_EQ(atomic_load(&detached_ran), 1);
}

/* Pinned threads run where they are pinned. */
struct pin {
	int cpu, seen;
};
static void *pinned_fn(void *p)
{
	struct pin *pin = p;
	long long end = t_now_ns(CLOCK_MONOTONIC) + 20000000;
	pin->seen = sched_getcpu();
	while (t_now_ns(CLOCK_MONOTONIC) < end)
		if (sched_getcpu() != pin->seen)
			pin->seen = -2;
	return NULL;
}

static void t_pinned(void)
{
	cpu_set_t all;
	sched_getaffinity(0, sizeof(all), &all);
	int ncpu = CPU_COUNT(&all);
	CHECK(ncpu >= 1);
	pthread_t th[2];
	struct pin pins[2];
	for (int i = 0; i < 2; i++) {
		pthread_attr_t at;
		cpu_set_t one;
		pthread_attr_init(&at);
		CPU_ZERO(&one);
		pins[i].cpu = i < ncpu ? i : 0;
		pins[i].seen = -1;
		CPU_SET(pins[i].cpu, &one);
		CHECK_RET(pthread_attr_setaffinity_np(&at, sizeof(one), &one), 0, 0);
		CHECK_RET(pthread_create(&th[i], &at, pinned_fn, &pins[i]), 0, 0);
		pthread_attr_destroy(&at);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(pins[i].seen, pins[i].cpu);
	}
}

/* A raw CLONE_THREAD child with its own small stack. It makes raw system
 * calls only: it shares the parent's TLS (no CLONE_SETTLS). */
static pid_t clone_ptid, clone_ctid = -1;
static volatile pid_t child_tid_seen;

static long raw1(long n, long a)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a) : "rcx", "r11", "memory");
	return r;
}

static int clone_fn(void *arg)
{
	child_tid_seen = (pid_t)raw1(SYS_gettid, 0);
	*(volatile int *)arg = 1;
	raw1(SYS_exit, 0); /* thread exit: CLEARTID clears and wakes */
	return 0;
}

static void t_raw_clone(void)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	volatile int flag = 0;
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
		    CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
	int tid = clone(clone_fn, stack + sizeof(stack), flags, (void *)&flag, &clone_ptid, NULL, &clone_ctid);
	CHECK(tid > 0);
	CHECK_EQ(clone_ptid, tid); /* PARENT_SETTID: written before clone returns */
	/* Wait for CHILD_CLEARTID: the kernel writes 0 and FUTEX_WAKEs. */
	for (;;) {
		pid_t v = __atomic_load_n(&clone_ctid, __ATOMIC_SEQ_CST);
		if (v == 0)
			break;
		syscall(SYS_futex, &clone_ctid, FUTEX_WAIT, v, NULL, NULL, 0);
	}
	CHECK_EQ(flag, 1);
	CHECK_EQ(child_tid_seen, tid);
	CHECK_EQ(clone_ctid, 0);
	/* CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM. */
	CHECK_RET(clone(clone_fn, stack + sizeof(stack), CLONE_THREAD, (void *)&flag), -1, EINVAL);
	CHECK_RET(clone(clone_fn, stack + sizeof(stack), CLONE_SIGHAND, (void *)&flag), -1, EINVAL);
	/* set_tid_address returns the caller's tid. */
	CHECK_EQ(syscall(SYS_set_tid_address, NULL), gettid());
}

/* Condition variables and a barrier. */
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready, consumed;
static pthread_barrier_t barrier;
static _Atomic int serial_count;

static void *consumer(void *p)
{
	pthread_mutex_lock(&mu);
	while (!ready)
		pthread_cond_wait(&cv, &mu);
	consumed++;
	pthread_mutex_unlock(&mu);
	if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
		atomic_fetch_add(&serial_count, 1);
	return NULL;
}

static void t_cond_barrier(void)
{
	pthread_t th[4];
	CHECK_RET(pthread_barrier_init(&barrier, NULL, 5), 0, 0);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, consumer, NULL);
	t_sleep_ms(10);
	pthread_mutex_lock(&mu);
	ready = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
		atomic_fetch_add(&serial_count, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(consumed, 4);
	CHECK_EQ(serial_count, 1);
	pthread_barrier_destroy(&barrier);

	/* A timed wait that times out: ETIMEDOUT after the deadline. */
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += 30000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	long long t0 = t_now_ns(CLOCK_REALTIME);
	pthread_mutex_lock(&mu);
	CHECK_RET(pthread_cond_timedwait(&cv, &mu, &dl), ETIMEDOUT, 0);
	pthread_mutex_unlock(&mu);
	CHECK(t_now_ns(CLOCK_REALTIME) - t0 >= 29000000);

	sem_t sem;
	CHECK_RET(sem_init(&sem, 0, 0), 0, 0);
	CHECK_RET(sem_trywait(&sem), -1, EAGAIN);
	CHECK_RET(sem_post(&sem), 0, 0);
	CHECK_RET(sem_wait(&sem), 0, 0);
	sem_destroy(&sem);
}

/* Signals and threads. */
static _Atomic pid_t handler_tid;
static void on_usr1(int sig)
{
	atomic_store(&handler_tid, gettid());
}

struct sigthread {
	_Atomic pid_t tid;
	_Atomic int stop;
};

static void *sig_target(void *p)
{
	struct sigthread *s = p;
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &m, NULL);
	atomic_store(&s->tid, gettid());
	while (!atomic_load(&s->stop))
		t_sleep_ms(1);
	return NULL;
}

static void t_signals(void)
{
	signal(SIGUSR1, on_usr1);
	sigset_t m, old;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &m, &old);
	struct sigthread s = { 0 };
	pthread_t t;
	pthread_create(&t, NULL, sig_target, &s);
	while (!atomic_load(&s.tid))
		sched_yield();

	/* A process-directed signal goes to the one thread not blocking it. */
	atomic_store(&handler_tid, 0);
	CHECK_RET(kill(getpid(), SIGUSR1), 0, 0);
	for (int i = 0; i < 2000 && !atomic_load(&handler_tid); i++)
		t_sleep_ms(1);
	CHECK_EQ(atomic_load(&handler_tid), s.tid);

	/* A thread-directed one stays with its thread: pending while blocked. */
	atomic_store(&handler_tid, 0);
	CHECK_RET(pthread_kill(pthread_self(), SIGUSR1), 0, 0);
	t_sleep_ms(10);
	CHECK_EQ(atomic_load(&handler_tid), 0);
	sigset_t pend;
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGUSR1));
	pthread_sigmask(SIG_SETMASK, &old, NULL); /* delivered here, now */
	CHECK_EQ(atomic_load(&handler_tid), gettid());

	atomic_store(&handler_tid, 0);
	CHECK_RET(pthread_kill(t, SIGUSR1), 0, 0);
	for (int i = 0; i < 2000 && !atomic_load(&handler_tid); i++)
		t_sleep_ms(1);
	CHECK_EQ(atomic_load(&handler_tid), s.tid);
	CHECK_RET(syscall(SYS_tgkill, getpid(), s.tid, 0), 0, 0);
	CHECK_RET(syscall(SYS_tgkill, getpid() + 100000, s.tid, 0), -1, ESRCH);
	CHECK_RET(syscall(SYS_tkill, s.tid, 0), 0, 0);
	atomic_store(&s.stop, 1);
	pthread_join(t, NULL);
	signal(SIGUSR1, SIG_DFL);
}

/* exit() in a thread ends the whole process with that status. */
static __attribute__((noreturn)) void *exiter(void *p)
{
	t_sleep_ms(20);
	exit(3);
}

static __attribute__((noreturn)) void *blocker(void *p)
{
	for (;;)
		pause();
}

/* execve from a non-main thread: the new program has the process's pid and
 * is the only thread (its tid is that pid). */
static __attribute__((noreturn)) void *execer(void *p)
{
	char pid[32];
	snprintf(pid, sizeof(pid), "%d", getpid());
	char *a[] = { (char *)t_helper(), "pidcheck", pid, NULL };
	execve(a[0], a, environ);
	_exit(99);
}

static void t_process_wide(void)
{
	int st;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		pthread_t t1, t2;
		pthread_create(&t1, NULL, blocker, NULL);
		pthread_create(&t2, NULL, exiter, NULL);
		for (;;)
			pause();
	}
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 3);

	c = fork();
	if (c == 0) {
		pthread_t t[3];
		for (int i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, blocker, NULL);
		pthread_create(&t[2], NULL, execer, NULL);
		for (;;)
			pause();
	}
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 0);

	/* A fatal signal kills every thread. */
	c = fork();
	if (c == 0) {
		pthread_t t[2];
		for (int i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, blocker, NULL);
		for (;;)
			pause();
	}
	t_sleep_ms(20);
	kill(c, SIGTERM);
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_SIGNALED(st, SIGTERM);
}

/* fork in a threaded process: the child has one thread, the caller's copy. */
static void *forker(void *p)
{
	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		_exit(gettid() == getpid() ? 0 : 1);
	int st = -1;
	waitpid(c, &st, 0);
	return (void *)(long)st;
}

static void t_fork_from_thread(void)
{
	pthread_t t;
	void *ret;
	pthread_create(&t, NULL, forker, NULL);
	pthread_join(t, &ret);
	CHECK_EXITED((int)(long)ret, 0);
}

/* Small stacks given by the caller. */
static void *stack_user(void *p)
{
	volatile char buf[16 * 1024];
	memset((char *)buf, 1, sizeof(buf));
	return (void *)(long)buf[100];
}

static void t_stacks(void)
{
	pthread_attr_t at;
	pthread_t t;
	void *ret;
	size_t sz = 64 * 1024;
	void *stk = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pthread_attr_init(&at);
	CHECK_RET(pthread_attr_setstack(&at, stk, sz), 0, 0);
	CHECK_RET(pthread_create(&t, &at, stack_user, NULL), 0, 0);
	pthread_join(t, &ret);
	CHECK_EQ((long)ret, 1);
	pthread_attr_destroy(&at);
	munmap(stk, sz);

	pthread_attr_init(&at);
	CHECK_RET(pthread_attr_setstacksize(&at, 1 << 20), 0, 0);
	CHECK_RET(pthread_create(&t, &at, stack_user, NULL), 0, 0);
	pthread_join(t, &ret);
	CHECK_EQ((long)ret, 1);
	pthread_attr_destroy(&at);
}

int main(void)
{
	t_create_join();
	t_detach();
	t_pinned();
	t_raw_clone();
	t_cond_barrier();
	t_signals();
	t_process_wide();
	t_fork_from_thread();
	t_stacks();
	return t_done();
}
