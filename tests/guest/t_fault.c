/* Faulting programs: a NULL dereference dies of SIGSEGV and busybox sh says
 * "Segmentation fault" with status 139; the siginfo Linux delivers for a
 * NULL read/write/call, a write to a read-only page, a kernel address, a
 * non-canonical address, a privileged instruction, ud2, int3, a division by
 * zero; a stack overflow. None of it may hurt the kernel: the program ends by
 * forking and exec'ing normally, and by signalling PID 1, which ignores every
 * signal it has no handler for.
 *
 * Re-executed with one argument it performs that fault itself (for sh -c). */
#include "t.h"
#include <fcntl.h>
#include <stdbool.h>

static volatile int sink;

static void do_null_read(void)
{
	sink = *(volatile int *)BAD_PTR(0);
}

static void do_null_write(void)
{
	*(volatile int *)BAD_PTR(0) = 1;
}

static void do_null_call(void)
{
	void (*f)(void) = (void (*)(void))BAD_PTR(0);
	f();
}

/* Recursion without end (the limit is opaque to the compiler). */
static int depth_sink(long n)
{
	volatile char pad[512];
	pad[0] = (char)n;
	if (n == (long)t_opaque((void *)-1))
		return 0;
	return depth_sink(n + 1) + pad[0];
}

static void do_stack_overflow(void)
{
	sink = depth_sink(0);
}

/* What the handler saw, written to a pipe from a child. */
struct seen {
	int signo, code;
	unsigned long addr;
};
static int seen_fd;

static void handler(int sig, siginfo_t *si, void *uc)
{
	struct seen s = { si->si_signo, si->si_code, (unsigned long)si->si_addr };
	if (write(seen_fd, &s, sizeof(s)) != sizeof(s))
		_exit(98);
	_exit(0);
}

/* Run fn in a child with handlers for the fault signals; return what the
 * handler saw (signo 0 if the child exited without one). */
static struct seen fault_info(void (*fn)(void))
{
	int p[2];
	struct seen s = { 0, 0, 0 };
	if (pipe(p))
		return s;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		seen_fd = p[1];
		struct sigaction sa = { 0 };
		sa.sa_sigaction = handler;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		sigaction(SIGILL, &sa, NULL);
		sigaction(SIGFPE, &sa, NULL);
		sigaction(SIGTRAP, &sa, NULL);
		fn();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &s, sizeof(s)) != sizeof(s))
		s.signo = 0;
	close(p[0]);
	waitpid(c, NULL, 0);
	return s;
}

static volatile char *ro_page;
static void do_ro_write(void)
{
	ro_page[8] = 1;
}

static void do_kernel_read(void)
{
	sink = *(volatile int *)BAD_PTR(0xffffffff81000000ul);
}

static void do_noncanonical_read(void)
{
	sink = *(volatile int *)BAD_PTR(0x8000000000000000ul);
}

extern char ud2_at[], int3_after[], hlt_at[], div_at[];
static void do_ud2(void)
{
	__asm__ volatile(".globl ud2_at\nud2_at: ud2");
}

static void do_int3(void)
{
	__asm__ volatile("int3\n.globl int3_after\nint3_after:");
}

static void do_hlt(void)
{
	__asm__ volatile(".globl hlt_at\nhlt_at: hlt");
}

static void do_div0(void)
{
	int zero = (int)(long)t_opaque(0);
	int r;
	__asm__ volatile("cltd\n.globl div_at\ndiv_at: idivl %2"
			 : "=a"(r)
			 : "a"(1), "r"(zero)
			 : "edx");
	sink = r;
}

#define CHECK_SEEN(fn, want_sig, want_code, want_addr)                             \
	do {                                                                       \
		struct seen _s = fault_info(fn);                                   \
		CHECK_EQ(_s.signo, want_sig);                                      \
		CHECK_EQ(_s.code, want_code);                                      \
		CHECK_EQ(_s.addr, (unsigned long)(want_addr));                     \
	} while (0)

static void t_siginfo(void)
{
	CHECK_SEEN(do_null_read, SIGSEGV, SEGV_MAPERR, 0);
	CHECK_SEEN(do_null_write, SIGSEGV, SEGV_MAPERR, 0);
	CHECK_SEEN(do_null_call, SIGSEGV, SEGV_MAPERR, 0);
	ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro_page != MAP_FAILED);
	CHECK_SEEN(do_ro_write, SIGSEGV, SEGV_ACCERR, ro_page + 8);
	munmap((void *)ro_page, 4096);
	CHECK_SEEN(do_kernel_read, SIGSEGV, SEGV_MAPERR, 0xffffffff81000000ul);
	/* #GP: no address, si_code SI_KERNEL. */
	CHECK_SEEN(do_noncanonical_read, SIGSEGV, SI_KERNEL, 0);
	CHECK_SEEN(do_hlt, SIGSEGV, SI_KERNEL, 0);
	CHECK_SEEN(do_ud2, SIGILL, ILL_ILLOPN, ud2_at);
	CHECK_SEEN(do_int3, SIGTRAP, SI_KERNEL, 0);
	CHECK_SEEN(do_div0, SIGFPE, FPE_INTDIV, div_at);
}

/* Without a handler: killed by the signal, no core dump (RLIMIT_CORE 0). */
static void t_killed(void)
{
	static void (*const fns[])(void) = { do_null_read, do_null_write, do_null_call,
					     do_stack_overflow, do_ud2, do_div0 };
	static const int sigs[] = { SIGSEGV, SIGSEGV, SIGSEGV, SIGSEGV, SIGILL, SIGFPE };
	for (unsigned i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		fflush(stdout);
		pid_t c = fork();
		if (c == 0) {
			fns[i]();
			_exit(0);
		}
		int st = 0;
		CHECK_RET(waitpid(c, &st, 0), c, 0);
		CHECK_SIGNALED(st, sigs[i]);
		CHECK(!WCOREDUMP(st));
	}
	/* A stack overflow with an alternate signal stack: the handler runs. */
	struct seen s = fault_info(do_stack_overflow);
	CHECK_EQ(s.signo, 0); /* no altstack: the handler cannot run either */
}

/* Run sh -c CMD with stdout and stderr captured; return the wait status. */
static int sh_capture(const char *cmd, char *out, size_t on, char *err, size_t en)
{
	int po[2], pe[2];
	if (pipe(po) || pipe(pe))
		return -1;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* The outputs are small: read one to the end, then the other. */
	size_t got = 0;
	ssize_t r;
	while (got + 1 < on && (r = read(po[0], out + got, on - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = 0;
	got = 0;
	while (got + 1 < en && (r = read(pe[0], err + got, en - 1 - got)) > 0)
		got += (size_t)r;
	err[got] = 0;
	close(po[0]);
	close(pe[0]);
	int st = -1;
	waitpid(c, &st, 0);
	return st;
}

static void t_shell(const char *self)
{
	char cmd[600], out[256], err[256];
	/* The shell runs the program as a child and reports its death. */
	snprintf(cmd, sizeof(cmd), "%s null-read; echo status=$?", self);
	int st = sh_capture(cmd, out, sizeof(out), err, sizeof(err));
	CHECK_EXITED(st, 0);
	CHECK_STR(out, "status=139\n");
	CHECK_STR(err, "Segmentation fault\n");
	/* Inside a pipeline and a subshell. */
	snprintf(cmd, sizeof(cmd), "(%s null-write) 2>/dev/null; echo $?; %s stack | cat; echo $?", self,
		 self);
	st = sh_capture(cmd, out, sizeof(out), err, sizeof(err));
	CHECK_EXITED(st, 0);
	CHECK_STR(out, "139\n0\n");
	/* The last command of sh -c is exec'd in place: sh itself dies. */
	snprintf(cmd, sizeof(cmd), "%s null-read", self);
	st = sh_capture(cmd, out, sizeof(out), err, sizeof(err));
	CHECK_SIGNALED(st, SIGSEGV);
	CHECK_STR(err, "");
	/* The kernel is still fine: an ordinary command works. */
	st = sh_capture("echo alive", out, sizeof(out), err, sizeof(err));
	CHECK_EXITED(st, 0);
	CHECK_STR(out, "alive\n");
}

/* Signals init has no handler for never reach it, SIGKILL and SIGSTOP
 * included (busybox's poweroff sends SIGUSR2 to PID 1): it keeps running
 * the test suite. */
static void t_init_unkillable(void)
{
	static const int sigs[] = { SIGUSR2, SIGTERM, SIGSEGV, SIGSTOP, SIGKILL };
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		CHECK_RET(kill(1, sigs[i]), 0, 0);
	t_sleep_ms(50);
	char buf[256] = "";
	int fd = open("/proc/1/stat", O_RDONLY);
	CHECK(fd >= 0);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n > 0)
		buf[n] = 0;
	close(fd);
	char *rp = strrchr(buf, ')');
	CHECK(rp && (rp[2] == 'S' || rp[2] == 'R'));
}

int main(int argc, char **argv)
{
	if (argc == 2) {
		if (!strcmp(argv[1], "null-read"))
			do_null_read();
		else if (!strcmp(argv[1], "null-write"))
			do_null_write();
		else if (!strcmp(argv[1], "stack"))
			do_stack_overflow();
		return 1;
	}
	t_siginfo();
	t_killed();
	t_shell(argv[0]);
	t_init_unkillable();
	return t_done();
}
