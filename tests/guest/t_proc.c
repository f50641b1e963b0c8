/* Processes: fork/wait4/waitid status decoding, vfork, execve (argv/envp,
 * what survives exec, every refusal errno, #! scripts), resource limits,
 * process groups and sessions, CPU affinity, scheduling policies, nice,
 * rusage and times, and RLIMIT_NPROC. */
#include "t.h"
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/times.h>

static char tmp_path[256];
static const char *tpath(const char *name)
{
	snprintf(tmp_path, sizeof(tmp_path), "%s/t_proc.%d.%s", t_tmpdir(), getpid(), name);
	return tmp_path;
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, data, n) != (ssize_t)n)
		printf("t_proc: cannot write %s\n", path);
	close(fd);
	chmod(path, mode);
}

static void t_fork_wait(void)
{
	int st = 0;
	struct rusage ru;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		_exit(42);
	CHECK(c > 0);
	CHECK_RET(wait4(c, &st, 0, &ru), c, 0);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 42);
	CHECK(!WIFSIGNALED(st));
	CHECK_EQ(st, 42 << 8);

	c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	CHECK_RET(waitpid(c, &st, WNOHANG), 0, 0);
	CHECK_RET(kill(c, SIGKILL), 0, 0);
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGKILL);
	CHECK(!WIFEXITED(st));
	CHECK(!WCOREDUMP(st));
	CHECK_EQ(st, SIGKILL);

	/* exit codes are 8 bits. */
	c = fork();
	if (c == 0)
		_exit(256 + 7);
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 7);

	/* Several children, reaped with -1 in any order. */
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(10 + i);
	}
	int seen = 0;
	for (int i = 0; i < 3; i++) {
		pid_t w = waitpid(-1, &st, 0);
		for (int k = 0; k < 3; k++)
			if (w == kids[k] && WIFEXITED(st) && WEXITSTATUS(st) == 10 + k)
				seen |= 1 << k;
	}
	CHECK_EQ(seen, 7);
	CHECK_RET(waitpid(-1, &st, 0), -1, ECHILD);
	CHECK_RET(waitpid(-1, &st, WNOHANG), -1, ECHILD);
	CHECK_RET(waitpid(1, &st, 0), -1, ECHILD); /* not our child */
	CHECK_RET(wait4(-1, &st, 0x12345678, NULL), -1, EINVAL);

	/* A status pointer that cannot be written: the child stays reaped. */
	c = fork();
	if (c == 0)
		_exit(1);
	CHECK_RET(wait4(c, BAD_PTR(1), 0, NULL), -1, EFAULT);
}

static void t_vfork(void)
{
	int st;
	fflush(stdout);
	pid_t c = vfork();
	if (c == 0)
		_exit(7);
	CHECK(c > 0);
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 7);

	/* vfork + execve: the parent resumes once the child has exec'd. */
	char *argv[] = { (char *)t_helper(), "exit", "9", NULL };
	c = vfork();
	if (c == 0) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 9);
}

static void t_waitid(void)
{
	siginfo_t si;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		_exit(3);
	memset(&si, 0, sizeof(si));
	/* WNOWAIT leaves the child waitable. */
	CHECK_RET(waitid(P_PID, c, &si, WEXITED | WNOWAIT), 0, 0);
	CHECK_EQ(si.si_pid, c);
	CHECK_EQ(si.si_code, CLD_EXITED);
	memset(&si, 0, sizeof(si));
	CHECK_RET(waitid(P_PID, c, &si, WEXITED), 0, 0);
	CHECK_EQ(si.si_signo, SIGCHLD);
	CHECK_EQ(si.si_pid, c);
	CHECK_EQ(si.si_uid, 0);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 3);
	CHECK_RET(waitid(P_PID, c, &si, WEXITED), -1, ECHILD);

	c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	memset(&si, 0xff, sizeof(si));
	CHECK_RET(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), 0, 0);
	CHECK_EQ(si.si_pid, 0); /* nothing ready: si_pid cleared */
	kill(c, SIGTERM);
	CHECK_RET(waitid(P_ALL, 0, &si, WEXITED), 0, 0);
	CHECK_EQ(si.si_pid, c);
	CHECK_EQ(si.si_code, CLD_KILLED);
	CHECK_EQ(si.si_status, SIGTERM);
	CHECK_RET(waitid(P_ALL, 0, &si, 0), -1, EINVAL);
	CHECK_RET(waitid(P_ALL, 0, &si, WEXITED), -1, ECHILD);
	CHECK_RET(waitid(99, 0, &si, WEXITED), -1, EINVAL);

	/* P_PGID: a child in its own group. */
	c = fork();
	if (c == 0) {
		setpgid(0, 0);
		_exit(4);
	}
	setpgid(c, c);
	CHECK_RET(waitid(P_PGID, c, &si, WEXITED), 0, 0);
	CHECK_EQ(si.si_pid, c);
	CHECK_EQ(si.si_status, 4);
}

static void on_usr2(int sig) { (void)sig; }

static void t_exec(void)
{
	const char *helper = t_helper();
	char out[4096], want[4096];

	/* argv and envp arrive exactly. */
	char *argv[] = { "argv0-name", "args", "", "two words", NULL };
	char *envp[] = { "SKIFF_T=1", "EMPTY=", "NOEQUALS", NULL };
	char *av[5];
	memcpy(av, argv, sizeof(av));
	av[0] = (char *)helper;
	int st = t_run_capture(av, envp, out, sizeof(out));
	CHECK_EXITED(st, 0);
	snprintf(want, sizeof(want),
		 "argc=4\nargv[0]=%s\nargv[1]=args\nargv[2]=\nargv[3]=two words\n"
		 "env=SKIFF_T=1\nenv=EMPTY=\nenv=NOEQUALS\n",
		 helper);
	CHECK_STR(out, want);
	char *noenv[] = { NULL };
	char *av2[] = { (char *)helper, "args", NULL };
	st = t_run_capture(av2, noenv, out, sizeof(out));
	snprintf(want, sizeof(want), "argc=2\nargv[0]=%s\nargv[1]=args\n", helper);
	CHECK_STR(out, want);

	/* An empty argv: Linux (5.18+) passes argv = { "" }. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		syscall(SYS_execve, helper, NULL, NULL);
		_exit(127);
	}
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 42);

	/* What survives exec: fds without FD_CLOEXEC, ignored signals, the
	 * blocked mask, the pid. Handled signals go back to SIG_DFL. */
	char state_out[256];
	snprintf(state_out, sizeof(state_out), "%s", tpath("state.out"));
	c = fork();
	if (c == 0) {
		int keep = open("/dev/null", O_RDONLY);
		int gone = open("/dev/null", O_RDONLY | O_CLOEXEC);
		dup2(keep, 20);
		dup2(gone, 21);
		fcntl(21, F_SETFD, FD_CLOEXEC);
		signal(SIGUSR1, SIG_IGN);
		signal(SIGUSR2, on_usr2);
		sigset_t m;
		sigemptyset(&m);
		sigaddset(&m, SIGINT);
		sigprocmask(SIG_BLOCK, &m, NULL);
		char pidbuf[64];
		snprintf(pidbuf, sizeof(pidbuf), "%d", getpid());
		int p = open(state_out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(p, 1);
		write(p, pidbuf, strlen(pidbuf));
		write(p, " ", 1);
		char *a[] = { (char *)helper, "state", "20", "21", NULL };
		execve(helper, a, environ);
		_exit(127);
	}
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 0);
	int fd = open(state_out, O_RDONLY);
	ssize_t n = read(fd, out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(state_out);
	snprintf(want, sizeof(want), "%d 20=open 21=closed usr1=ign usr2=dfl int_blocked=1 pid=%d\n", c, c);
	CHECK_STR(out, want);
}

/* execve in a child; returns the errno it failed with (0 if it succeeded
 * and the program exited 0; -status otherwise). */
static int exec_errno(const char *path, char *const argv[])
{
	int p[2];
	pipe2(p, O_CLOEXEC);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		execve(path, argv, environ);
		int e = errno;
		write(p[1], &e, sizeof(e));
		_exit(127);
	}
	close(p[1]);
	int e = 0, st;
	ssize_t n = read(p[0], &e, sizeof(e));
	close(p[0]);
	waitpid(c, &st, 0);
	if (n == sizeof(e))
		return e;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -st;
}

static void t_exec_errors(void)
{
	const char *helper = t_helper();
	char *argv[] = { "x", NULL };
	CHECK_EQ(exec_errno("/nonexistent/prog", argv), ENOENT);
	CHECK_EQ(exec_errno("", argv), ENOENT);
	CHECK_EQ(exec_errno("/", argv), EACCES);
	char p[300];
	snprintf(p, sizeof(p), "%s/x", helper);
	CHECK_EQ(exec_errno(p, argv), ENOTDIR);

	/* Not executable. */
	char data[4096];
	write_file(tpath("noexec"), "#!/bin/sh\nexit 0\n", 17, 0644);
	CHECK_EQ(exec_errno(tpath("noexec"), argv), EACCES);
	/* Garbage, an empty file, a bare "#!". */
	memset(data, 'g', sizeof(data));
	write_file(tpath("garbage"), data, sizeof(data), 0755);
	CHECK_EQ(exec_errno(tpath("garbage"), argv), ENOEXEC);
	write_file(tpath("empty"), "", 0, 0755);
	CHECK_EQ(exec_errno(tpath("empty"), argv), ENOEXEC);
	write_file(tpath("bare"), "#!\n", 3, 0755);
	CHECK_EQ(exec_errno(tpath("bare"), argv), ENOEXEC);

	/* A truncated ELF (the 64-byte header only) and a foreign machine. */
	int fd = open(helper, O_RDONLY);
	CHECK(fd >= 0);
	ssize_t n = read(fd, data, sizeof(data));
	CHECK_EQ(n, (ssize_t)sizeof(data));
	close(fd);
	write_file(tpath("trunc"), data, 64, 0755);
	CHECK_EQ(exec_errno(tpath("trunc"), argv), ENOEXEC);
	data[18] = 40; /* e_machine = EM_ARM */
	data[19] = 0;
	write_file(tpath("arm"), data, sizeof(data), 0755);
	CHECK_EQ(exec_errno(tpath("arm"), argv), ENOEXEC);

	/* Path length limits. */
	static char longpath[5000];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	CHECK_EQ(exec_errno(longpath, argv), ENAMETOOLONG);
	longpath[300] = 0;
	CHECK_EQ(exec_errno(longpath, argv), ENAMETOOLONG);

	/* One argument may be at most MAX_ARG_STRLEN (32 pages) with its NUL. */
	static char bigarg[131073];
	memset(bigarg, 'b', sizeof(bigarg) - 1);
	char *big[] = { (char *)helper, "exit", "0", bigarg, NULL };
	CHECK_EQ(exec_errno(helper, big), E2BIG);
	bigarg[131071] = 0;
	CHECK_EQ(exec_errno(helper, big), 0);

	CHECK_RET(syscall(SYS_execve, BAD_PTR(1), argv, environ), -1, EFAULT);
	CHECK_RET(syscall(SYS_execve, helper, BAD_PTR(1), environ), -1, EFAULT);

	unlink(tpath("noexec"));
	unlink(tpath("garbage"));
	unlink(tpath("empty"));
	unlink(tpath("bare"));
	unlink(tpath("trunc"));
	unlink(tpath("arm"));
}

static void t_scripts(void)
{
	const char *helper = t_helper();
	char script[600], out[4096], want[4096];
	int st;

	write_file(tpath("exit5.sh"), "#!/bin/sh\nexit 5\n", 17, 0755);
	char *a0[] = { (char *)tpath("exit5.sh"), NULL };
	char sh5[256];
	snprintf(sh5, sizeof(sh5), "%s", tpath("exit5.sh"));
	a0[0] = sh5;
	st = t_run_capture(a0, environ, out, sizeof(out));
	CHECK_EXITED(st, 5);

	/* The interpreter gets: its path, the one optional argument (with
	 * inner blanks kept, outer ones stripped), the script path, then the
	 * caller's argv[1..]. */
	int n = snprintf(script, sizeof(script), "#!  %s  args  two words \t\necho not reached\n", helper);
	char spath[256];
	snprintf(spath, sizeof(spath), "%s", tpath("interp.sh"));
	write_file(spath, script, (size_t)n, 0755);
	char *a1[] = { spath, "one", "", NULL };
	char *a1real[] = { "ignored-argv0", "one", "", NULL };
	(void)a1;
	char *envp[] = { "E=1", NULL };
	int p[2];
	pipe(p);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		dup2(p[1], 1);
		execve(spath, a1real, envp);
		_exit(127);
	}
	close(p[1]);
	ssize_t got = 0, r;
	while ((r = read(p[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += r;
	out[got] = 0;
	close(p[0]);
	waitpid(c, &st, 0);
	CHECK_EXITED(st, 0);
	snprintf(want, sizeof(want),
		 "argc=5\nargv[0]=%s\nargv[1]=args  two words\nargv[2]=%s\nargv[3]=one\nargv[4]=\nenv=E=1\n",
		 helper, spath);
	CHECK_STR(out, want);

	/* Missing interpreter: ENOENT. A script that names itself: ELOOP. */
	write_file(tpath("noint.sh"), "#!/nonexistent/sh\n", 18, 0755);
	char *a2[] = { "x", NULL };
	CHECK_EQ(exec_errno(tpath("noint.sh"), a2), ENOENT);
	char self[256];
	snprintf(self, sizeof(self), "%s", tpath("self.sh"));
	n = snprintf(script, sizeof(script), "#!%s\n", self);
	write_file(self, script, (size_t)n, 0755);
	CHECK_EQ(exec_errno(self, a2), ELOOP);

	unlink(tpath("exit5.sh"));
	unlink(tpath("interp.sh"));
	unlink(tpath("noint.sh"));
	unlink(tpath("self.sh"));
}

static void check_limit(int res, rlim_t cur, rlim_t max)
{
	struct rlimit rl;
	CHECK_RET(getrlimit(res, &rl), 0, 0);
	CHECK_EQ(rl.rlim_cur, cur);
	CHECK_EQ(rl.rlim_max, max);
}

static void child_emfile(void)
{
	struct rlimit rl = { 5, 5 };
	close_range(3, ~0U, 0);
	CHECK_RET(setrlimit(RLIMIT_NOFILE, &rl), 0, 0);
	CHECK_RET(dup(0), 3, 0);
	CHECK_RET(dup(0), 4, 0);
	CHECK_RET(dup(0), -1, EMFILE);
	CHECK_RET(open("/dev/null", O_RDONLY), -1, EMFILE);
	CHECK_RET(dup2(0, 5), -1, EBADF); /* newfd >= RLIMIT_NOFILE */
	CHECK_RET(fcntl(0, F_DUPFD, 5), -1, EINVAL);
	int p[2];
	CHECK_RET(pipe(p), -1, EMFILE);
}

static void child_fsize(void)
{
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl = { 1000, 1000 };
	CHECK_RET(setrlimit(RLIMIT_FSIZE, &rl), 0, 0);
	int fd = open(tpath("fsize"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	static char buf[1500];
	CHECK_RET(write(fd, buf, 1500), 1000, 0); /* cut at the limit */
	CHECK_RET(write(fd, buf, 1), -1, EFBIG);
	CHECK_RET(ftruncate(fd, 2000), -1, EFBIG);
	close(fd);
	unlink(tpath("fsize"));
}

static void t_rlimits(void)
{
	/* Linux's defaults for the first process (INIT_RLIMITS). */
	check_limit(RLIMIT_NOFILE, 1024, 4096);
	check_limit(RLIMIT_STACK, 8 << 20, RLIM_INFINITY);
	check_limit(RLIMIT_CORE, 0, RLIM_INFINITY);
	check_limit(RLIMIT_MEMLOCK, 8 << 20, 8 << 20);
	check_limit(RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY);
	check_limit(RLIMIT_FSIZE, RLIM_INFINITY, RLIM_INFINITY);
	check_limit(RLIMIT_MSGQUEUE, 819200, 819200);
	check_limit(RLIMIT_RTPRIO, 0, 0);
	check_limit(RLIMIT_NICE, 0, 0);

	struct rlimit rl = { 2048, 4096 }, old;
	CHECK_RET(setrlimit(RLIMIT_NOFILE, &rl), 0, 0);
	check_limit(RLIMIT_NOFILE, 2048, 4096);
	rl.rlim_cur = 8192;
	CHECK_RET(setrlimit(RLIMIT_NOFILE, &rl), -1, EINVAL); /* cur > max */
	rl.rlim_cur = rl.rlim_max = 2 << 20;
	CHECK_RET(setrlimit(RLIMIT_NOFILE, &rl), -1, EPERM); /* above fs.nr_open */
	CHECK_RET(setrlimit(99, &rl), -1, EINVAL);
	CHECK_RET(getrlimit(99, &rl), -1, EINVAL);
	CHECK_RET(getrlimit(RLIMIT_NOFILE, BAD_PTR(1)), -1, EFAULT);

	/* prlimit64 sets and returns the old value in one call. */
	struct rlimit nl = { 1024, 4096 };
	CHECK_RET(prlimit(0, RLIMIT_NOFILE, &nl, &old), 0, 0);
	CHECK_EQ(old.rlim_cur, 2048);
	CHECK_EQ(old.rlim_max, 4096);
	check_limit(RLIMIT_NOFILE, 1024, 4096);
	CHECK_RET(prlimit(getpid(), RLIMIT_CORE, NULL, &old), 0, 0);
	CHECK_EQ(old.rlim_cur, 0);
	CHECK_RET(prlimit(99999, RLIMIT_CORE, NULL, &old), -1, ESRCH);

	/* On another process. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	nl.rlim_cur = 100;
	nl.rlim_max = 200;
	CHECK_RET(prlimit(c, RLIMIT_NOFILE, &nl, NULL), 0, 0);
	CHECK_RET(prlimit(c, RLIMIT_NOFILE, NULL, &old), 0, 0);
	CHECK_EQ(old.rlim_cur, 100);
	CHECK_EQ(old.rlim_max, 200);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);

	CHECK_EXITED(t_in_child(child_emfile), 0);
	CHECK_EXITED(t_in_child(child_fsize), 0);
}

static void child_session(void)
{
	pid_t me = getpid();
	CHECK(getsid(0) != me);
	CHECK_RET(setsid(), me, 0);
	CHECK_EQ(getsid(0), me);
	CHECK_EQ(getsid(me), me);
	CHECK_EQ(getpgrp(), me);
	CHECK_EQ(getpgid(0), me);
	CHECK_RET(setsid(), -1, EPERM); /* already a group leader */
	CHECK_RET(setpgid(0, 0), -1, EPERM); /* a session leader stays put */
	/* A grandchild that leads its own group cannot start a session. */
	fflush(stdout);
	pid_t g = fork();
	if (g == 0) {
		int ok = setpgid(0, 0) == 0 && setsid() == -1 && errno == EPERM && getsid(0) == me;
		_exit(ok ? 0 : 1);
	}
	int st;
	waitpid(g, &st, 0);
	CHECK_EXITED(st, 0);
}

/* Runs in a child that leads its own process group (a process started by
 * init without setsid has pgrp 0 and session 0, which setpgid reads as
 * "the caller's pid"). */
static void child_pgrp(void)
{
	pid_t me = getpid();
	int st;
	CHECK_RET(setpgid(0, 0), 0, 0);
	CHECK_EQ(getpgrp(), me);
	CHECK_EQ(getpgid(0), getpgrp());
	CHECK_EQ(getsid(0), getsid(me));
	CHECK_RET(getpgid(99999), -1, ESRCH);
	CHECK_RET(getsid(99999), -1, ESRCH);
	CHECK_RET(setpgid(99999, 0), -1, ESRCH);
	CHECK_RET(setpgid(0, -1), -1, EINVAL);

	int go[2];
	pipe(go);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char x;
		close(go[1]);
		read(go[0], &x, 1);
		_exit(0);
	}
	close(go[0]);
	CHECK_RET(setpgid(c, c), 0, 0);
	CHECK_EQ(getpgid(c), c);
	CHECK_RET(setpgid(c, getpgrp()), 0, 0);
	CHECK_EQ(getpgid(c), getpgrp());
	CHECK_RET(setpgid(c, 99999), -1, EPERM); /* no such group in the session */
	close(go[1]);
	waitpid(c, &st, 0);

	CHECK_EXITED(t_in_child(child_session), 0);

	/* After the child has exec'd, its parent may no longer move it. */
	int in[2], out[2];
	pipe(in);
	pipe(out);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		char *a[] = { (char *)t_helper(), "wait", NULL };
		execve(a[0], a, environ);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	char r = 0;
	CHECK_RET(read(out[0], &r, 1), 1, 0);
	CHECK_RET(setpgid(c, c), -1, EACCES);
	close(in[1]);
	close(out[0]);
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 0);
}

static void t_pgrp(void)
{
	CHECK_EXITED(t_in_child(child_pgrp), 0);
}

static void t_affinity(void)
{
	cpu_set_t all, one, got;
	CPU_ZERO(&all);
	CHECK_RET(sched_getaffinity(0, sizeof(all), &all), 0, 0);
	int ncpu = CPU_COUNT(&all);
	CHECK(ncpu >= 1);
	/* The raw call returns the size of the kernel's mask: one long here. */
	unsigned long raw[16];
	CHECK_RET(syscall(SYS_sched_getaffinity, 0, sizeof(raw), raw), 8, 0);
	CHECK_RET(syscall(SYS_sched_getaffinity, 0, 4, raw), -1, EINVAL);
	CHECK_RET(syscall(SYS_sched_getaffinity, 0, 12, raw), -1, EINVAL);
	CHECK_RET(sched_getaffinity(99999, sizeof(got), &got), -1, ESRCH);

	int last = -1;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &all))
			last = i;
	CPU_ZERO(&one);
	CPU_SET(last, &one);
	CHECK_RET(sched_setaffinity(0, sizeof(one), &one), 0, 0);
	sched_yield();
	CHECK_EQ(sched_getcpu(), last);
	CHECK_RET(sched_getaffinity(0, sizeof(got), &got), 0, 0);
	CHECK(CPU_EQUAL(&got, &one));
	CPU_ZERO(&one);
	CHECK_RET(sched_setaffinity(0, sizeof(one), &one), -1, EINVAL);
	CPU_SET(1000, &one); /* no such CPU */
	CHECK_RET(sched_setaffinity(0, sizeof(one), &one), -1, EINVAL);
	CHECK_RET(sched_setaffinity(0, sizeof(all), &all), 0, 0);
	CHECK_RET(sched_getaffinity(0, sizeof(got), &got), 0, 0);
	CHECK(CPU_EQUAL(&got, &all));
	/* The mask is inherited. */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	CHECK_RET(sched_setaffinity(0, sizeof(one), &one), 0, 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		cpu_set_t m;
		sched_getaffinity(0, sizeof(m), &m);
		_exit(CPU_COUNT(&m) == 1 && CPU_ISSET(0, &m) && sched_getcpu() == 0 ? 0 : 1);
	}
	int st;
	waitpid(c, &st, 0);
	CHECK_EXITED(st, 0);
	sched_setaffinity(0, sizeof(all), &all);
}

static void child_sched(void)
{
	struct sched_param sp = { .sched_priority = 10 };
	CHECK_EQ(sched_getscheduler(0), SCHED_OTHER);
	CHECK_EQ(sched_get_priority_min(SCHED_FIFO), 1);
	CHECK_EQ(sched_get_priority_max(SCHED_FIFO), 99);
	CHECK_EQ(sched_get_priority_min(SCHED_RR), 1);
	CHECK_EQ(sched_get_priority_max(SCHED_RR), 99);
	CHECK_EQ(sched_get_priority_min(SCHED_OTHER), 0);
	CHECK_EQ(sched_get_priority_max(SCHED_OTHER), 0);
	CHECK_RET(sched_get_priority_max(77), -1, EINVAL);

	CHECK_RET(sched_setscheduler(0, SCHED_FIFO, &sp), 0, 0);
	CHECK_EQ(sched_getscheduler(0), SCHED_FIFO);
	sp.sched_priority = 0;
	CHECK_RET(sched_getparam(0, &sp), 0, 0);
	CHECK_EQ(sp.sched_priority, 10);
	sp.sched_priority = 99;
	CHECK_RET(sched_setparam(0, &sp), 0, 0);
	CHECK_RET(sched_getparam(0, &sp), 0, 0);
	CHECK_EQ(sp.sched_priority, 99);

	sp.sched_priority = 20;
	CHECK_RET(sched_setscheduler(0, SCHED_RR, &sp), 0, 0);
	CHECK_EQ(sched_getscheduler(0), SCHED_RR);
	struct timespec ts = { 9, 9 };
	CHECK_RET(sched_rr_get_interval(0, &ts), 0, 0);
	CHECK(ts.tv_sec == 0 && ts.tv_nsec == 100000000); /* RR_TIMESLICE: 100 ms */

	sp.sched_priority = 0;
	CHECK_RET(sched_setscheduler(0, SCHED_FIFO, &sp), -1, EINVAL);
	sp.sched_priority = 100;
	CHECK_RET(sched_setscheduler(0, SCHED_FIFO, &sp), -1, EINVAL);
	sp.sched_priority = 5;
	CHECK_RET(sched_setscheduler(0, SCHED_OTHER, &sp), -1, EINVAL);
	CHECK_RET(sched_setscheduler(0, 77, &sp), -1, EINVAL);
	CHECK_RET(sched_setscheduler(-1, SCHED_OTHER, &sp), -1, EINVAL);
	sp.sched_priority = 0;
	CHECK_RET(sched_setscheduler(99999, SCHED_OTHER, &sp), -1, ESRCH);
	CHECK_RET(sched_setscheduler(0, SCHED_OTHER, &sp), 0, 0);
	CHECK_EQ(sched_getscheduler(0), SCHED_OTHER);
	CHECK_RET(sched_setscheduler(0, SCHED_BATCH, &sp), 0, 0);
	CHECK_EQ(sched_getscheduler(0), SCHED_BATCH);
	CHECK_RET(sched_setscheduler(0, SCHED_IDLE, &sp), 0, 0);
	CHECK_EQ(sched_getscheduler(0), SCHED_IDLE);
	CHECK_RET(sched_setscheduler(0, SCHED_OTHER, &sp), 0, 0);
	/* SCHED_RESET_ON_FORK shows in the policy. */
	sp.sched_priority = 1;
	CHECK_RET(sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp), 0, 0);
	CHECK_EQ(sched_getscheduler(0), SCHED_FIFO | SCHED_RESET_ON_FORK);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		_exit(sched_getscheduler(0) == SCHED_OTHER ? 0 : 1);
	int st;
	waitpid(c, &st, 0);
	CHECK_EXITED(st, 0);
	sp.sched_priority = 0;
	CHECK_RET(sched_setscheduler(0, SCHED_OTHER, &sp), 0, 0);

	/* nice */
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0);
	CHECK_RET(setpriority(PRIO_PROCESS, 0, 5), 0, 0);
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 5);
	CHECK_EQ(syscall(SYS_getpriority, PRIO_PROCESS, 0), 20 - 5); /* raw: 20 - nice */
	CHECK_RET(nice(2), 7, 0);
	CHECK_RET(setpriority(PRIO_PROCESS, 0, 100), 0, 0); /* clamped */
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 19);
	CHECK_RET(setpriority(PRIO_PROCESS, 0, -20), 0, 0); /* root may raise */
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), -20);
	CHECK_RET(setpriority(PRIO_PROCESS, 0, 0), 0, 0);
	CHECK_RET(setpriority(99, 0, 0), -1, EINVAL);
	CHECK_RET(getpriority(PRIO_PROCESS, 99999), -1, ESRCH);
}

static void t_sched(void)
{
	CHECK_EXITED(t_in_child(child_sched), 0);
}

static void burn_cpu_ms(long ms)
{
	long long end = t_now_ns(CLOCK_THREAD_CPUTIME_ID) + ms * 1000000LL;
	while (t_now_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		;
}

static void t_usage(void)
{
	struct rusage ru;
	burn_cpu_ms(30);
	CHECK_RET(getrusage(RUSAGE_SELF, &ru), 0, 0);
	CHECK(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec > 0 || ru.ru_utime.tv_usec + ru.ru_stime.tv_usec > 0);
	CHECK(ru.ru_maxrss > 0);
	CHECK(ru.ru_utime.tv_usec < 1000000);
	CHECK_RET(getrusage(RUSAGE_THREAD, &ru), 0, 0);
	CHECK_RET(getrusage(99, &ru), -1, EINVAL);
	CHECK_RET(getrusage(RUSAGE_SELF, BAD_PTR(1)), -1, EFAULT);

	/* A reaped child's time moves into RUSAGE_CHILDREN. */
	struct rusage before, after;
	CHECK_RET(getrusage(RUSAGE_CHILDREN, &before), 0, 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		burn_cpu_ms(50);
		_exit(0);
	}
	int st;
	struct rusage cru;
	CHECK_RET(wait4(c, &st, 0, &cru), c, 0);
	CHECK_RET(getrusage(RUSAGE_CHILDREN, &after), 0, 0);
	long long cus = cru.ru_utime.tv_sec * 1000000LL + cru.ru_utime.tv_usec + cru.ru_stime.tv_sec * 1000000LL +
			cru.ru_stime.tv_usec;
	long long b = before.ru_utime.tv_sec * 1000000LL + before.ru_utime.tv_usec +
		      before.ru_stime.tv_sec * 1000000LL + before.ru_stime.tv_usec;
	long long a = after.ru_utime.tv_sec * 1000000LL + after.ru_utime.tv_usec + after.ru_stime.tv_sec * 1000000LL +
		      after.ru_stime.tv_usec;
	CHECK(cus >= 30000);	/* about the 50 ms it burned */
	CHECK(a - b >= cus - 1); /* microsecond rounding */

	/* times(): clock ticks (100 a second) since an arbitrary point. */
	struct tms t1, t2;
	CHECK_EQ(sysconf(_SC_CLK_TCK), 100);
	clock_t c1 = times(&t1);
	CHECK(c1 != (clock_t)-1);
	t_sleep_ms(30);
	clock_t c2 = times(&t2);
	CHECK(c2 - c1 >= 2 && c2 - c1 < 500);
	CHECK(t2.tms_cutime + t2.tms_cstime >= 3); /* the child's 50 ms */
	CHECK(t2.tms_utime + t2.tms_stime >= 2);
	CHECK(syscall(SYS_times, NULL) >= c2);
}

/* RLIMIT_NPROC binds only without CAP_SYS_RESOURCE/CAP_SYS_ADMIN and never
 * for root's uid, so the child becomes nobody first. The limit counts the
 * user's tasks, the child included: with a limit of 20 exactly 19 forks
 * succeed. */
static void child_nproc(void)
{
	struct rlimit rl = { 20, 20 };
	CHECK_RET(setrlimit(RLIMIT_NPROC, &rl), 0, 0);
	CHECK_RET(setgid(65534), 0, 0);
	CHECK_RET(setuid(65534), 0, 0);
	CHECK_EQ(geteuid(), 65534);
	pid_t kids[64];
	int n = 0, err = 0;
	fflush(stdout);
	while (n < 64) {
		pid_t c = fork();
		if (c == 0) {
			for (;;)
				pause();
		}
		if (c < 0) {
			err = errno;
			break;
		}
		kids[n++] = c;
	}
	CHECK_EQ(n, 19);
	CHECK_EQ(err, EAGAIN);
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	int reaped = 0;
	while (waitpid(-1, NULL, 0) > 0)
		reaped++;
	CHECK_EQ(reaped, n);
	/* With the children gone, fork works again. */
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	CHECK(c > 0);
	waitpid(c, NULL, 0);
}

static void t_nproc(void)
{
	CHECK_EXITED(t_in_child(child_nproc), 0);
}

int main(void)
{
	t_fork_wait();
	t_vfork();
	t_waitid();
	t_exec();
	t_exec_errors();
	t_scripts();
	t_rlimits();
	t_pgrp();
	t_affinity();
	t_sched();
	t_usage();
	t_nproc();
	return t_done();
}
