/* Robust futexes: set_robust_list/get_robust_list argument checks, the
 * exit-time walk on a hand-built list (OWNER_DIED set, WAITERS kept, one
 * waiter woken, other owners' words untouched, list_op_pending), its order
 * before the CLONE_CHILD_CLEARTID wake (pthread_join), and glibc robust
 * mutexes: EOWNERDEAD after the owner thread or process dies, then
 * pthread_mutex_consistent. */
#include "t_futex.h"
#include <sys/mman.h>
#include <stddef.h>
#include <sys/wait.h>

struct rlist { struct rlist *next; };
struct rhead { struct rlist list; long futex_offset; struct rlist *pending; };
struct rlock { unsigned word; unsigned pad; struct rlist link; };

static struct rlock locks[4];
static struct rhead head;

static long sys_set(void *h, size_t len)
{
	long r = syscall(SYS_set_robust_list, h, len);
	return r < 0 ? -errno : r;
}
static long sys_get(int pid, void **h, size_t *len)
{
	long r = syscall(SYS_get_robust_list, pid, h, len);
	return r < 0 ? -errno : r;
}

static _Atomic pid_t dier_tid;
static _Atomic int dier_pending, dier_go;
/* Registers our own list holding locks[0..2] (and maybe a pending op) and
 * exits. */
static void *dier(void *arg)
{
	(void)arg;
	pid_t me = t_gettid();
	head.list.next = &locks[0].link;
	locks[0].link.next = &locks[1].link;
	locks[1].link.next = &locks[2].link;
	locks[2].link.next = &head.list;
	head.futex_offset = (long)offsetof(struct rlock, word) - (long)offsetof(struct rlock, link);
	head.pending = dier_pending ? &locks[3].link : NULL;
	locks[0].word = (unsigned)me | FUTEX_WAITERS;
	locks[1].word = (unsigned)me;
	locks[2].word = 12345 | FUTEX_WAITERS;     /* someone else's */
	locks[3].word = (unsigned)me | FUTEX_WAITERS;
	sys_set(&head, sizeof(head));
	dier_tid = me;
	while (!dier_go)
		sleep_ms(1);
	return NULL;
}

static void raw_walk(void)
{
	struct waiter w0 = { 0 }, w3 = { 0 };
	pthread_t t;
	void *h;
	size_t len = 0;

	CHECK_RET(sys_set(&head, 23), -EINVAL);
	CHECK_RET(sys_set(&head, 25), -EINVAL);
	CHECK_RET(sys_set(&head, 0), -EINVAL);
	CHECK_RET(sys_get(0, &h, &len), 0);
	CHECK(len == 24);
	void *glibc_head = h;
	CHECK(h != NULL);
	CHECK_RET(sys_get(0x3ffffff0, &h, &len), -ESRCH);
	CHECK_RET(sys_get(0, NULL, &len), -EFAULT);
	CHECK_RET(sys_get(0, &h, NULL), -EFAULT);
	CHECK_RET(sys_set((void *)8, 24), 0);       /* not checked at set time */
	CHECK_RET(sys_get(getpid(), &h, &len), 0);
	CHECK(h == (void *)8);
	CHECK_RET(sys_set(glibc_head, 24), 0);

	/* Waiters on the words the dying thread holds. */
	dier_pending = 1;
	pthread_create(&t, NULL, dier, NULL);
	while (!dier_tid)
		sched_yield();
	/* Shared waits: the kernel's robust wake is shared. */
	start_waiter(&w0, &locks[0].word, FUTEX_WAIT, locks[0].word, 0);
	start_waiter(&w3, &locks[3].word, FUTEX_WAIT, locks[3].word, 0);
	CHECK(!w0.done && !w3.done);
	dier_go = 1;
	pthread_join(t, NULL);   /* returns after the robust walk */
	CHECK(locks[0].word == (FUTEX_WAITERS | FUTEX_OWNER_DIED));
	CHECK(locks[1].word == FUTEX_OWNER_DIED);
	CHECK(locks[2].word == (12345 | FUTEX_WAITERS));
	CHECK(locks[3].word == (FUTEX_WAITERS | FUTEX_OWNER_DIED));
	pthread_join(w0.th, NULL);
	pthread_join(w3.th, NULL);
	CHECK_RET(w0.ret, 0);
	CHECK_RET(w3.ret, 0);
}

static pthread_mutex_t *rm;
static void *lock_and_die(void *arg)
{
	(void)arg;
	pthread_mutex_lock(rm);
	return NULL;
}
static _Atomic int blocked_ret = -1;
static void *lock_blocking(void *arg)
{
	(void)arg;
	blocked_ret = pthread_mutex_lock(rm);
	if (blocked_ret == EOWNERDEAD) {
		pthread_mutex_consistent(rm);
		pthread_mutex_unlock(rm);
	}
	return NULL;
}

static void glibc_robust(int pi)
{
	pthread_mutexattr_t at;
	pthread_t t;

	rm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	if (pi)
		pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT);
	CHECK_RET(pthread_mutex_init(rm, &at), 0);

	/* Owner thread exits holding it: EOWNERDEAD for the next locker. */
	pthread_create(&t, NULL, lock_and_die, NULL);
	pthread_join(t, NULL);
	CHECK_RET(pthread_mutex_lock(rm), EOWNERDEAD);
	CHECK_RET(pthread_mutex_consistent(rm), 0);
	CHECK_RET(pthread_mutex_unlock(rm), 0);
	CHECK_RET(pthread_mutex_lock(rm), 0);
	CHECK_RET(pthread_mutex_unlock(rm), 0);

	/* A waiter blocked when the owner (another process) dies. */
	pid_t child = fork();
	if (child == 0) {
		pthread_mutex_lock(rm);
		sleep_ms(200);
		_exit(0);
	}
	sleep_ms(50);
	blocked_ret = -1;
	pthread_create(&t, NULL, lock_blocking, NULL);
	int st;
	waitpid(child, &st, 0);
	pthread_join(t, NULL);
	CHECK_RET(blocked_ret, EOWNERDEAD);
	CHECK_RET(pthread_mutex_lock(rm), 0);
	CHECK_RET(pthread_mutex_unlock(rm), 0);

	/* Not made consistent: ENOTRECOVERABLE after unlock. */
	pthread_create(&t, NULL, lock_and_die, NULL);
	pthread_join(t, NULL);
	CHECK_RET(pthread_mutex_lock(rm), EOWNERDEAD);
	CHECK_RET(pthread_mutex_unlock(rm), 0);
	CHECK_RET(pthread_mutex_lock(rm), ENOTRECOVERABLE);
	munmap(rm, 4096);
}

/* pthread_join returns only after the robust clean-up (the CLEARTID wake
 * comes after it). */
static void *lock_exit(void *arg)
{
	pthread_mutex_lock(arg);
	return NULL;
}
static void join_order(void)
{
	pthread_mutexattr_t at;
	pthread_mutex_t m;
	pthread_t t;

	pthread_mutexattr_init(&at);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&m, &at);
	for (int i = 0; i < 50; i++) {
		pthread_create(&t, NULL, lock_exit, &m);
		pthread_join(t, NULL);
		/* The word must already say OWNER_DIED. */
		CHECK((*(unsigned *)&m & FUTEX_OWNER_DIED) != 0);
		CHECK_RET(pthread_mutex_lock(&m), EOWNERDEAD);
		pthread_mutex_consistent(&m);
		pthread_mutex_unlock(&m);
	}
}

int main(void)
{
	raw_walk();
	glibc_robust(0);
	glibc_robust(1);
	join_order();
	return t_done();
}
