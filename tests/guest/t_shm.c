/* Shared memory between processes: SysV shmget/shmat/shmdt/shmctl (IPC_STAT
 * fields, attach counts, IPC_RMID semantics, the errno of each refusal),
 * POSIX shared memory (a /dev/shm file and shm_open, mapped MAP_SHARED in
 * two processes), and a process-shared semaphore living in it. */
#include "t.h"
#include <fcntl.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>

static sigjmp_buf jb;
static volatile int segv;
static void on_segv(int sig)
{
	segv = 1;
	siglongjmp(jb, 1);
}

static void t_sysv(void)
{
	int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	CHECK(id >= 0);
	char *p = shmat(id, NULL, 0);
	CHECK(p != (void *)-1);
	CHECK_EQ((uintptr_t)p % 4096, 0);
	CHECK_EQ(p[0], 0);
	CHECK_EQ(p[8191], 0);
	struct shmid_ds ds;
	CHECK_RET(shmctl(id, IPC_STAT, &ds), 0, 0);
	CHECK_EQ(ds.shm_segsz, 8192);
	CHECK_EQ(ds.shm_nattch, 1);
	CHECK_EQ(ds.shm_cpid, getpid());
	CHECK_EQ(ds.shm_lpid, getpid());
	CHECK_EQ(ds.shm_perm.mode & 0777, 0600);
	CHECK_EQ(ds.shm_perm.uid, 0);
	CHECK_EQ(ds.shm_perm.cuid, 0);

	/* A fork child inherits the attachment; its writes are ours. */
	int go[2], back[2];
	pipe(go);
	pipe(back);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		strcpy(p, "child wrote this");
		p[8000] = 42;
		/* A second, independent attachment sees the same bytes. */
		char *q = shmat(id, NULL, SHM_RDONLY);
		int ok = q != (void *)-1 && q != p && q[8000] == 42;
		char x;
		(void)write(back[1], "a", 1);
		(void)read(go[0], &x, 1); /* wait while the parent counts */
		_exit(ok ? 0 : 1);
	}
	char x;
	CHECK_RET(read(back[0], &x, 1), 1, 0);
	CHECK_STR(p, "child wrote this");
	CHECK_EQ(p[8000], 42);
	CHECK_RET(shmctl(id, IPC_STAT, &ds), 0, 0);
	CHECK_EQ(ds.shm_nattch, 3); /* ours, the child's inherited one, its second */
	CHECK_EQ(ds.shm_lpid, c);
	(void)write(go[1], "b", 1);
	int st;
	waitpid(c, &st, 0);
	CHECK_EXITED(st, 0);
	CHECK_RET(shmctl(id, IPC_STAT, &ds), 0, 0);
	CHECK_EQ(ds.shm_nattch, 1);
	close(go[0]);
	close(go[1]);
	close(back[0]);
	close(back[1]);

	/* IPC_RMID while attached: the segment lives on until the last
	 * detach; Linux even allows new attaches meanwhile. */
	CHECK_RET(shmctl(id, IPC_RMID, NULL), 0, 0);
	CHECK_EQ(p[8000], 42);
	char *again = shmat(id, NULL, 0);
	CHECK(again != (void *)-1);
	CHECK_EQ(again[8000], 42);
	CHECK_RET(shmctl(id, IPC_STAT, &ds), 0, 0);
	CHECK_EQ(ds.shm_perm.mode & SHM_DEST, SHM_DEST);
	CHECK_RET(shmdt(again), 0, 0);
	CHECK_RET(shmdt(p), 0, 0);
	CHECK_RET(shmdt(p), -1, EINVAL);
	CHECK_RET(shmat(id, NULL, 0), (void *)-1, EINVAL); /* gone now */
	CHECK_RET(shmctl(id, IPC_STAT, &ds), -1, EINVAL);
	/* The mapping went with the detach. */
	struct sigaction sa = { 0 }, old;
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, &old);
	segv = 0;
	if (sigsetjmp(jb, 1) == 0)
		(void)*(volatile char *)p;
	CHECK_EQ(segv, 1);

	/* Keys, IPC_EXCL, sizes. */
	key_t key = 0x5c1ff000 + (getpid() & 0xfff);
	int kid = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0644);
	CHECK(kid >= 0);
	CHECK_RET(shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0644), -1, EEXIST);
	CHECK_RET(shmget(key, 4096, 0), kid, 0);
	CHECK_RET(shmget(key, 2048, 0), kid, 0); /* smaller is fine */
	CHECK_RET(shmget(key, 8192, 0), -1, EINVAL);
	CHECK_RET(shmget(key + 1, 4096, 0), -1, ENOENT);
	CHECK_RET(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), -1, EINVAL);
	CHECK_RET(shmctl(kid, 99, &ds), -1, EINVAL);
	CHECK_RET(shmctl(-1, IPC_STAT, &ds), -1, EINVAL);
	/* A read-only attach faults on write. */
	char *ro = shmat(kid, NULL, SHM_RDONLY);
	CHECK(ro != (void *)-1);
	segv = 0;
	if (sigsetjmp(jb, 1) == 0)
		*(volatile char *)ro = 1;
	CHECK_EQ(segv, 1);
	sigaction(SIGSEGV, &old, NULL);
	/* Attach at a chosen address: page-aligned, or rounded with SHM_RND. */
	char *area = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(area, 1 << 20);
	char *want = (char *)(((uintptr_t)area + SHMLBA) & ~(uintptr_t)(SHMLBA - 1));
	CHECK_RET(shmat(kid, want + 100, 0), (void *)-1, EINVAL);
	CHECK_RET(shmat(kid, want + 100, SHM_RND), want, 0);
	CHECK_RET(shmdt(want), 0, 0);
	CHECK_RET(shmat(kid, want, 0), want, 0);
	CHECK_RET(shmdt(want), 0, 0);
	CHECK_RET(shmdt(ro), 0, 0);
	/* Changing the mode with IPC_SET. */
	CHECK_RET(shmctl(kid, IPC_STAT, &ds), 0, 0);
	ds.shm_perm.mode = 0640;
	CHECK_RET(shmctl(kid, IPC_SET, &ds), 0, 0);
	CHECK_RET(shmctl(kid, IPC_STAT, &ds), 0, 0);
	CHECK_EQ(ds.shm_perm.mode & 0777, 0640);
	CHECK_RET(shmctl(kid, IPC_RMID, NULL), 0, 0);
	CHECK_RET(shmget(key, 4096, 0), -1, ENOENT);
	CHECK_RET(shmctl(kid, IPC_RMID, NULL), -1, EINVAL);
}

struct shared {
	sem_t ready, done;
	_Atomic int counter;
	char msg[64];
};

static void t_posix(void)
{
	char path[128];
	snprintf(path, sizeof(path), "/dev/shm/t_shm.%d", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	CHECK_RET(ftruncate(fd, 4096), 0, 0);
	struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(s != MAP_FAILED);
	if (s == MAP_FAILED)
		return;
	CHECK_RET(sem_init(&s->ready, 1, 0), 0, 0);
	CHECK_RET(sem_init(&s->done, 1, 0), 0, 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		/* The child maps the file anew by name. */
		int cfd = open(path, O_RDWR);
		struct shared *cs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (cs == MAP_FAILED)
			_exit(2);
		sem_wait(&cs->ready);
		strcpy(cs->msg, "pong");
		for (int i = 0; i < 10000; i++)
			atomic_fetch_add(&cs->counter, 1);
		sem_post(&cs->done);
		_exit(0);
	}
	strcpy(s->msg, "ping");
	CHECK_RET(sem_post(&s->ready), 0, 0);
	for (int i = 0; i < 10000; i++)
		atomic_fetch_add(&s->counter, 1);
	CHECK_RET(sem_wait(&s->done), 0, 0);
	CHECK_STR(s->msg, "pong");
	CHECK_EQ(atomic_load(&s->counter), 20000);
	int st;
	waitpid(c, &st, 0);
	CHECK_EXITED(st, 0);
	/* The file holds what the mapping wrote. */
	char buf[8] = { 0 };
	CHECK_RET(pread(fd, buf, 4, offsetof(struct shared, msg)), 4, 0);
	CHECK_STR(buf, "pong");
	munmap(s, 4096);
	close(fd);
	CHECK_RET(unlink(path), 0, 0);

	/* glibc's shm_open uses the same directory. */
	char name[64];
	snprintf(name, sizeof(name), "/t_shm_open.%d", getpid());
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	CHECK_RET(access(path, F_OK), 0, 0);
	CHECK_RET(shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600), -1, EEXIST);
	CHECK_RET(ftruncate(fd, 8192), 0, 0);
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	c = fork();
	if (c == 0) {
		m[4096] = 'Y';
		_exit(0);
	}
	waitpid(c, &st, 0);
	CHECK_EQ(m[4096], 'Y');
	munmap(m, 8192);
	close(fd);
	CHECK_RET(shm_unlink(name), 0, 0);
	CHECK_RET(shm_unlink(name), -1, ENOENT);
	CHECK_RET(access(path, F_OK), -1, ENOENT);

	/* Anonymous shared memory across fork with a process-shared semaphore. */
	sem_t *sem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK_RET(sem_init(sem, 1, 0), 0, 0);
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	c = fork();
	if (c == 0) {
		t_sleep_ms(20);
		sem_post(sem);
		_exit(0);
	}
	CHECK_RET(sem_wait(sem), 0, 0);
	CHECK(t_now_ns(CLOCK_MONOTONIC) - t0 >= 20000000);
	waitpid(c, &st, 0);
	munmap(sem, 4096);
}

int main(void)
{
	t_sysv();
	t_posix();
	return t_done();
}
