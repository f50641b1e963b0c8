/* Shared futexes: keys by backing object so that different processes, and
 * different mappings of the same page, meet: MAP_SHARED file mappings,
 * MAP_SHARED|MAP_ANONYMOUS across fork, SysV shm attached at different
 * addresses. Private keys stay per address space; a private waiter and a
 * shared waker on the same word do not meet; EFAULT for unmapped and
 * PROT_NONE shared words; copy-on-write pages after fork are separate. */
#include "t_futex.h"
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

/* Child: wait on uaddr (shared) for value val; exit 0 if woken (ret 0),
 * 10 + errno otherwise. It first sets *ready = 1. */
static pid_t child_wait(unsigned *uaddr, unsigned val, _Atomic unsigned *ready, int op)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (ready)
			*ready = 1;
		long r = fx(uaddr, op, val, NULL, NULL, 0);
		_exit(r == 0 ? 0 : 10 + (int)-r);
	}
	return pid;
}

static int wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Wake until one is woken (the child may not have queued yet), up to 5 s. */
static long wake_until(unsigned *uaddr, int op)
{
	for (int i = 0; i < 5000; i++) {
		long r = fx(uaddr, op, 1, NULL, NULL, 0);
		if (r != 0)
			return r;
		sleep_ms(1);
	}
	return 0;
}

static void file_mapping(void)
{
	char path[] = "/tmp/t_futex_shared.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		strcpy(path, "/t_futex_shared.XXXXXX");
		fd = mkstemp(path);
	}
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	unlink(path);
	CHECK(ftruncate(fd, 8192) == 0);
	/* Two mappings of the same page in one process: different addresses,
	 * same futex. */
	unsigned *m1 = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	unsigned *m2 = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m1 != MAP_FAILED && m2 != MAP_FAILED && m1 != m2);
	unsigned *w1 = m1 + 1024 + 3, *w2 = m2 + 1024 + 3; /* second page */
	*w1 = 42;
	CHECK(*w2 == 42);
	_Atomic unsigned *ready = (_Atomic unsigned *)(m1 + 10);
	*ready = 0;
	pid_t c = child_wait(w1, 42, ready, FUTEX_WAIT);
	while (!*ready)
		sched_yield();
	CHECK_RET(wake_until(w2, FUTEX_WAKE), 1);
	CHECK_RET(wait_child(c), 0);
	/* The same via a third mapping at an offset: page 1 mapped alone. */
	unsigned *m3 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	CHECK(m3 != MAP_FAILED);
	*ready = 0;
	c = child_wait(m3 + 3, 42, ready, FUTEX_WAIT);
	while (!*ready)
		sched_yield();
	CHECK_RET(wake_until(w1, FUTEX_WAKE), 1);
	CHECK_RET(wait_child(c), 0);
	/* Private waits on a shared mapping are keyed by address space: a
	 * private wake from the parent does not reach the child's. */
	*ready = 0;
	c = child_wait(w1, 42, ready, FUTEX_WAIT_PRIVATE);
	while (!*ready)
		sched_yield();
	sleep_ms(100);
	CHECK_RET(fx(w1, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
	CHECK_RET(fx(w1, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	kill(c, SIGKILL);
	wait_child(c);
	/* Beyond the end of the file: EFAULT (SIGBUS territory). */
	unsigned *m4 = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m4 != MAP_FAILED);
	CHECK_RET(fx(m4 + 3000, FUTEX_WAKE, 1, NULL, NULL, 0), -EFAULT);
	CHECK_RET(fx(m4 + 3000, FUTEX_WAIT, 0, NULL, NULL, 0), -EFAULT);
	CHECK_RET(fx(m4 + 3000, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
	munmap(m1, 8192);
	munmap(m2, 8192);
	munmap(m3, 4096);
	munmap(m4, 16384);
	close(fd);
}

static void anon_shared(void)
{
	unsigned *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	_Atomic unsigned *ready = (_Atomic unsigned *)(m + 100);

	CHECK(m != MAP_FAILED);
	m[0] = 7;
	*ready = 0;
	pid_t c = child_wait(m, 7, ready, FUTEX_WAIT);
	while (!*ready)
		sched_yield();
	CHECK_RET(wake_until(m, FUTEX_WAKE), 1);
	CHECK_RET(wait_child(c), 0);
	/* Bitset shared wait across processes. */
	*ready = 0;
	c = child_wait(m, 7, ready, FUTEX_WAIT);
	while (!*ready)
		sched_yield();
	for (int i = 0; i < 5000; i++) {
		long r = fx(m, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0x4);
		if (r)
			break;
		sleep_ms(1);
	}
	CHECK_RET(wait_child(c), 0);
	munmap(m, 4096);

	/* Private anonymous memory after fork is copy-on-write: the child's
	 * word is its own; a shared wake from the parent cannot reach it. */
	static unsigned priv = 9;
	_Atomic unsigned *r2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*r2 = 0;
	c = child_wait(&priv, 9, r2, FUTEX_WAIT);
	while (!*r2)
		sched_yield();
	sleep_ms(100);
	CHECK_RET(fx(&priv, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	kill(c, SIGKILL);
	wait_child(c);
	munmap((void *)r2, 4096);
}

static void sysv_shm(void)
{
	int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	CHECK(id >= 0);
	if (id < 0)
		return;
	unsigned *a = shmat(id, NULL, 0);
	unsigned *b = shmat(id, NULL, 0);
	CHECK(a != (void *)-1 && b != (void *)-1 && a != b);
	shmctl(id, IPC_RMID, NULL);
	a[1] = 5;
	_Atomic unsigned *ready = (_Atomic unsigned *)&a[50];
	*ready = 0;
	pid_t c = fork();
	if (c == 0) {
		/* The child attaches again: yet another address. */
		unsigned *cpage = shmat(id, NULL, 0);
		unsigned *w = cpage == (void *)-1 ? b : cpage;
		*ready = 1;
		long r = fx(&w[1], FUTEX_WAIT, 5, NULL, NULL, 0);
		_exit(r == 0 ? 0 : 10 + (int)-r);
	}
	while (!*ready)
		sched_yield();
	CHECK_RET(wake_until(&b[1], FUTEX_WAKE), 1);
	CHECK_RET(wait_child(c), 0);
	/* Wait in one mapping, wake through the other, same process. */
	*ready = 0;
	c = child_wait(&a[1], 5, ready, FUTEX_WAIT);
	while (!*ready)
		sched_yield();
	CHECK_RET(wake_until(&b[1], FUTEX_WAKE), 1);
	CHECK_RET(wait_child(c), 0);
	shmdt(a);
	shmdt(b);
}

static void faults(void)
{
	void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	munmap((char *)p + 4096, 4096);
	CHECK_RET(fx((char *)p + 4096, FUTEX_WAKE, 1, NULL, NULL, 0), -EFAULT);
	CHECK_RET(fx((char *)p + 4096, FUTEX_WAIT, 0, NULL, NULL, 0), -EFAULT);
	mprotect(p, 4096, PROT_NONE);
	CHECK_RET(fx(p, FUTEX_WAKE, 1, NULL, NULL, 0), -EFAULT);
	CHECK_RET(fx(p, FUTEX_WAIT, 0, NULL, NULL, 0), -EFAULT);
	CHECK_RET(fx(p, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
	munmap(p, 4096);
	/* A read-only view of a written shared page: wait and wake work. */
	unsigned *rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rw[0] = 1;
	CHECK_RET(mprotect(rw, 4096, PROT_READ), 0);
	CHECK_RET(fx(rw, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	CHECK_RET(fx(rw, FUTEX_WAIT, 2, NULL, NULL, 0), -EAGAIN);
	munmap(rw, 4096);
}

int main(void)
{
	file_mapping();
	anon_shared();
	sysv_shm();
	faults();
	return t_done();
}
