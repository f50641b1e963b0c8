/* A fork bomb under RLIMIT_NPROC: every process of the bomb forks until fork
 * fails, so the user ends up with exactly the limit's number of tasks and
 * every one of them sees EAGAIN; then all of them are released and reaped,
 * and the kernel goes on (the count is back to one: forks work again).
 *
 * Linux: RLIMIT_NPROC binds only a non-root real uid without
 * CAP_SYS_RESOURCE/CAP_SYS_ADMIN (so the bomb runs as nobody); it counts the
 * user's tasks, threads included, and a zombie counts until it is reaped;
 * the check is "count >= limit before this fork" (copy_process). */
#include "t.h"
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>

#define NOBODY 65534
#define LIMIT 24

static int report[2];  /* bomb -> test: 'p' when a process starts, then 'e'
			  (fork failed with EAGAIN) or 'x' (other errno) */
static int release[2]; /* test -> bomb: EOF means "exit" */

static void become_nobody(rlim_t limit)
{
	struct rlimit rl = { limit, limit };
	if (setrlimit(RLIMIT_NPROC, &rl) || setgid(NOBODY) || setuid(NOBODY)) {
		printf("t_forkbomb: cannot become uid %d with RLIMIT_NPROC %lu: %s\n", NOBODY,
		       (unsigned long)limit, strerror(errno));
		_exit(99);
	}
}

/* One process of the bomb: fork until it fails, report, wait for the
 * release, reap its own children, exit. Never returns. */
static __attribute__((noreturn)) void bomb(void)
{
	char c = 'p';
	if (write(report[1], &c, 1) != 1)
		_exit(98);
	for (;;) {
		pid_t k = fork();
		if (k == 0)
			bomb();
		if (k < 0)
			break;
	}
	c = errno == EAGAIN ? 'e' : 'x';
	if (write(report[1], &c, 1) != 1)
		_exit(98);
	char b;
	while (read(release[0], &b, 1) != 0)
		;
	close(report[1]);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	_exit(0);
}

static void t_bomb(void)
{
	CHECK_OK(pipe(report));
	CHECK_OK(pipe(release));
	fflush(stdout);
	pid_t leader = fork();
	if (leader == 0) {
		close(report[0]);
		close(release[1]);
		become_nobody(LIMIT);
		bomb();
	}
	CHECK(leader > 0);
	close(report[1]);
	close(release[0]);

	/* Every one of the LIMIT processes reports 'e'; a kernel that lets
	 * fewer start never gets there (the poll times out). */
	int started = 0, eagain = 0, other = 0;
	char buf[64];
	while (eagain + other < LIMIT) {
		struct pollfd pf = { report[0], POLLIN, 0 };
		if (poll(&pf, 1, 60000) != 1)
			break;
		ssize_t n = read(report[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			started += buf[i] == 'p';
			eagain += buf[i] == 'e';
			other += buf[i] == 'x';
		}
	}
	CHECK_EQ(eagain, LIMIT);
	CHECK_EQ(other, 0);

	/* Release: each process reaps its children before exiting, so once
	 * the leader is reaped, the whole bomb is gone. */
	close(release[1]);
	int st = 0;
	CHECK_RET(waitpid(leader, &st, 0), leader, 0);
	CHECK_EXITED(st, 0);
	/* Every write end is closed now: the rest of the reports, then EOF
	 * (no process left). A kernel that let more start shows it here. */
	ssize_t n;
	while ((n = read(report[0], buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			started += buf[i] == 'p';
			eagain += buf[i] == 'e';
			other += buf[i] == 'x';
		}
	CHECK_EQ(n, 0);
	CHECK_EQ(started, LIMIT);
	CHECK_EQ(eagain, LIMIT);
	close(report[0]);
	CHECK_RET(waitpid(-1, NULL, WNOHANG), -1, ECHILD);
}

/* After the bomb: the user's count is back to one, so LIMIT - 1 forks work
 * again; a zombie keeps its place until it is reaped. */
static void child_after(void)
{
	become_nobody(LIMIT);
	pid_t kids[LIMIT];
	int n = 0, err = 0;
	fflush(stdout);
	while (n < LIMIT) {
		pid_t c = fork();
		if (c == 0)
			_exit(0); /* a zombie until reaped */
		if (c < 0) {
			err = errno;
			break;
		}
		kids[n++] = c;
	}
	CHECK_EQ(n, LIMIT - 1);
	CHECK_EQ(err, EAGAIN);
	/* Reaping one zombie frees one place. */
	int st;
	CHECK_RET(waitpid(kids[0], &st, 0), kids[0], 0);
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	CHECK(c > 0);
	CHECK_RET(fork(), -1, EAGAIN);
	while (wait(NULL) > 0)
		;
}

static void *idle_thread(void *arg)
{
	pause();
	return arg;
}

/* Threads count: with a limit of 3, the process and two threads. */
static void child_threads(void)
{
	become_nobody(3);
	pthread_t a, b, c;
	CHECK_RET(pthread_create(&a, NULL, idle_thread, NULL), 0, 0);
	CHECK_RET(pthread_create(&b, NULL, idle_thread, NULL), 0, 0);
	CHECK_RET(pthread_create(&c, NULL, idle_thread, NULL), EAGAIN, 0);
	CHECK_RET(fork(), -1, EAGAIN);
	/* (t_in_child's exit_group ends the paused threads.) */
}

/* Root is not bound by the limit it set for itself. */
static void child_root(void)
{
	struct rlimit rl = { 1, 1 };
	CHECK_OK(setrlimit(RLIMIT_NPROC, &rl));
	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		_exit(3);
	CHECK(c > 0);
	int st = 0;
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 3);
}

int main(void)
{
	t_bomb();
	int st = t_in_child(child_after);
	CHECK_EXITED(st, 0);
	st = t_in_child(child_threads);
	CHECK_EXITED(st, 0);
	st = t_in_child(child_root);
	CHECK_EXITED(st, 0);
	return t_done();
}
