/* Signals: sigaction/kill/sigqueue/tgkill and the siginfo they produce,
 * masks, pending sets, coalescing and real-time queueing, sigsuspend,
 * sigtimedwait, sigaltstack, SA_RESTART/SA_RESETHAND/SA_NODEFER, what
 * sigreturn restores (and lets a handler change), SIGCHLD, default actions,
 * job-control stops, hardware faults (SIGSEGV, SIGFPE, SIGILL, SIGTRAP)
 * with their si_code and si_addr, interval timers, POSIX timers
 * (SIGEV_SIGNAL, SIGEV_THREAD_ID, SIGEV_THREAD, SIGEV_NONE) and sleeps. */
#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

/* Faulting instructions at known addresses. */
extern char t_ud2_insn[], t_div_insn[], t_int3_after[];
void t_ud2(void);
int t_div(int a, int b);
void t_int3(void);
__asm__(".pushsection .text\n"
	".globl t_ud2\n.type t_ud2,@function\nt_ud2:\n"
	".globl t_ud2_insn\nt_ud2_insn:\n\tud2\n\tret\n"
	".globl t_div\n.type t_div,@function\nt_div:\n\tmov %edi, %eax\n\tcltd\n"
	".globl t_div_insn\nt_div_insn:\n\tidiv %esi\n\tret\n"
	".globl t_int3\n.type t_int3,@function\nt_int3:\n\tint3\n"
	".globl t_int3_after\nt_int3_after:\n\tret\n"
	".popsection\n");

/* What the last SA_SIGINFO handler saw. */
static volatile sig_atomic_t got_sig, got_count;
static volatile int got_code, got_errno_field;
static volatile pid_t got_pid, got_tid;
static volatile uid_t got_uid;
static volatile int got_value, got_status;
static void *volatile got_addr;
static volatile int got_uc_nonnull;
static volatile unsigned long got_rip;
static volatile int blocked_in_handler;

static void reset_got(void)
{
	got_sig = 0;
	got_count = 0;
	got_code = 0;
	got_pid = 0;
	got_uid = 99;
	got_value = 0;
	got_status = 0;
	got_addr = NULL;
	got_uc_nonnull = 0;
	got_rip = 0;
}

static void on_info(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	got_sig = sig;
	got_count++;
	got_code = si->si_code;
	got_pid = si->si_pid;
	got_uid = si->si_uid;
	got_value = si->si_value.sival_int;
	got_status = si->si_status;
	got_addr = si->si_addr;
	got_uc_nonnull = uc != NULL;
	got_tid = gettid();
	if (uc)
		got_rip = uc->uc_mcontext.gregs[REG_RIP];
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	blocked_in_handler = sigismember(&cur, sig);
}

/* Wait (sigsuspend, no lost wakeup) until a handler has set got_sig. */
static void wait_got(int sig)
{
	sigset_t m, old;
	sigemptyset(&m);
	sigaddset(&m, sig);
	sigprocmask(SIG_BLOCK, &m, &old);
	sigset_t during = old;
	sigdelset(&during, sig);
	while (!got_sig)
		sigsuspend(&during);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void block(int sig, int how)
{
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, sig);
	sigprocmask(how, &m, NULL);
}

static void t_basic_delivery(void)
{
	set_handler(SIGUSR1, on_info, 0);
	reset_got();
	CHECK_RET(kill(getpid(), SIGUSR1), 0, 0);
	/* Delivered on the way out of kill itself. */
	CHECK_EQ(got_sig, SIGUSR1);
	CHECK_EQ(got_code, SI_USER);
	CHECK_EQ(got_pid, getpid());
	CHECK_EQ(got_uid, 0);
	CHECK_EQ(got_uc_nonnull, 1);
	CHECK_EQ(blocked_in_handler, 1); /* the signal is blocked in its handler */
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK_EQ(sigismember(&cur, SIGUSR1), 0); /* and unblocked after */

	reset_got();
	union sigval v = { .sival_int = 4242 };
	CHECK_RET(sigqueue(getpid(), SIGUSR1, v), 0, 0);
	CHECK_EQ(got_code, SI_QUEUE);
	CHECK_EQ(got_value, 4242);
	CHECK_EQ(got_pid, getpid());

	reset_got();
	CHECK_RET(raise(SIGUSR1), 0, 0);
	CHECK_EQ(got_code, SI_TKILL);

	reset_got();
	CHECK_RET(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1), 0, 0);
	CHECK_EQ(got_code, SI_TKILL);
	CHECK_EQ(got_pid, getpid());
	CHECK_RET(syscall(SYS_tgkill, getpid(), 99999, SIGUSR1), -1, ESRCH);
	CHECK_RET(syscall(SYS_tgkill, 99999, gettid(), SIGUSR1), -1, ESRCH);
	CHECK_RET(syscall(SYS_tgkill, getpid(), gettid(), 0), 0, 0);
	CHECK_RET(syscall(SYS_tgkill, getpid(), 0, SIGUSR1), -1, EINVAL);
	CHECK_RET(kill(99999, 0), -1, ESRCH);
	CHECK_RET(kill(getpid(), 0), 0, 0);
	CHECK_RET(kill(getpid(), 65), -1, EINVAL);
	CHECK_RET(kill(getpid(), -1), -1, EINVAL);

	/* SA_NODEFER: not blocked inside; sa_mask: blocked inside. */
	set_handler(SIGUSR1, on_info, SA_NODEFER);
	raise(SIGUSR1);
	CHECK_EQ(blocked_in_handler, 0);
	/* SA_RESETHAND: one shot, then SIG_DFL. */
	set_handler(SIGUSR1, on_info, SA_RESETHAND);
	raise(SIGUSR1);
	struct sigaction old;
	CHECK_RET(sigaction(SIGUSR1, NULL, &old), 0, 0);
	CHECK(old.sa_handler == SIG_DFL);

	/* The old action comes back. */
	struct sigaction sa = { 0 }, got;
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = SA_RESTART;
	sigaddset(&sa.sa_mask, SIGUSR2);
	CHECK_RET(sigaction(SIGUSR1, &sa, NULL), 0, 0);
	CHECK_RET(sigaction(SIGUSR1, NULL, &got), 0, 0);
	CHECK(got.sa_handler == SIG_IGN);
	CHECK(got.sa_flags & SA_RESTART);
	CHECK(sigismember(&got.sa_mask, SIGUSR2));
	CHECK_RET(kill(getpid(), SIGUSR1), 0, 0); /* ignored: nothing happens */

	/* What cannot be caught or named. */
	CHECK_RET(sigaction(SIGKILL, &sa, NULL), -1, EINVAL);
	CHECK_RET(sigaction(SIGSTOP, &sa, NULL), -1, EINVAL);
	CHECK_RET(sigaction(SIGKILL, NULL, &got), 0, 0);
	CHECK_RET(sigaction(0, &sa, NULL), -1, EINVAL);
	CHECK_RET(sigaction(65, &sa, NULL), -1, EINVAL);
	CHECK_RET(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &got, 4), -1, EINVAL); /* sigsetsize != 8 */
	CHECK_RET(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 4), -1, EINVAL);
	CHECK_RET(sigprocmask(99, &cur, NULL), -1, EINVAL);
	sigset_t all, now;
	sigfillset(&all);
	CHECK_RET(sigprocmask(SIG_SETMASK, &all, &cur), 0, 0);
	CHECK_RET(sigprocmask(SIG_SETMASK, NULL, &now), 0, 0);
	CHECK_EQ(sigismember(&now, SIGKILL), 0);
	CHECK_EQ(sigismember(&now, SIGSTOP), 0);
	CHECK_EQ(sigismember(&now, SIGTERM), 1);
	CHECK_RET(sigprocmask(SIG_SETMASK, &cur, NULL), 0, 0);
	signal(SIGUSR1, SIG_DFL);
}

static volatile int rt_order[8], rt_n;
static void on_rt(int sig, siginfo_t *si, void *uc)
{
	if (rt_n < 8)
		rt_order[rt_n++] = sig * 1000 + si->si_value.sival_int;
}

static void t_pending(void)
{
	set_handler(SIGUSR1, on_info, 0);
	block(SIGUSR1, SIG_BLOCK);
	reset_got();
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR1);
	CHECK_EQ(got_count, 0);
	sigset_t p;
	CHECK_RET(sigpending(&p), 0, 0);
	CHECK_EQ(sigismember(&p, SIGUSR1), 1);
	CHECK_EQ(sigismember(&p, SIGUSR2), 0);
	block(SIGUSR1, SIG_UNBLOCK);
	CHECK_EQ(got_count, 1); /* standard signals do not queue */
	CHECK_RET(sigpending(&p), 0, 0);
	CHECK_EQ(sigismember(&p, SIGUSR1), 0);

	/* Real-time signals queue and are taken lowest number first, each
	 * number in send order. */
	int r1 = SIGRTMIN + 1, r2 = SIGRTMIN + 2;
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, r1);
	sigaddset(&m, r2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	for (int round = 0; round < 2; round++) {
		sigqueue(getpid(), r2, (union sigval){ .sival_int = 1 });
		sigqueue(getpid(), r1, (union sigval){ .sival_int = 2 });
		sigqueue(getpid(), r2, (union sigval){ .sival_int = 3 });
		sigqueue(getpid(), r1, (union sigval){ .sival_int = 4 });
		if (round == 0) {
			siginfo_t si;
			int order[4];
			for (int i = 0; i < 4; i++) {
				CHECK_RET(sigwaitinfo(&m, &si), i < 2 ? r1 : r2, 0);
				order[i] = si.si_signo * 1000 + si.si_value.sival_int;
			}
			CHECK_EQ(order[0], r1 * 1000 + 2);
			CHECK_EQ(order[1], r1 * 1000 + 4);
			CHECK_EQ(order[2], r2 * 1000 + 1);
			CHECK_EQ(order[3], r2 * 1000 + 3);
			continue;
		}
		/* Handlers that block both: delivered one at a time in the same
		 * order. (Without the sa_mask, r2's frame would be pushed on
		 * top of r1's and its handler would run first.) */
		struct sigaction sa = { 0 };
		sa.sa_sigaction = on_rt;
		sa.sa_flags = SA_SIGINFO;
		sa.sa_mask = m;
		sigaction(r1, &sa, NULL);
		sigaction(r2, &sa, NULL);
		rt_n = 0;
		CHECK_EQ(rt_n, 0);
		sigprocmask(SIG_UNBLOCK, &m, NULL);
		CHECK_EQ(rt_n, 4);
		CHECK_EQ(rt_order[0], r1 * 1000 + 2);
		CHECK_EQ(rt_order[1], r1 * 1000 + 4);
		CHECK_EQ(rt_order[2], r2 * 1000 + 1);
		CHECK_EQ(rt_order[3], r2 * 1000 + 3);
	}
	signal(r1, SIG_DFL);
	signal(r2, SIG_DFL);

	/* Ignoring a pending signal discards it. */
	block(SIGUSR1, SIG_BLOCK);
	kill(getpid(), SIGUSR1);
	signal(SIGUSR1, SIG_IGN);
	sigpending(&p);
	CHECK_EQ(sigismember(&p, SIGUSR1), 0);
	block(SIGUSR1, SIG_UNBLOCK);
	signal(SIGUSR1, SIG_DFL);

	/* A fork child inherits mask and handlers, not pending signals. */
	set_handler(SIGUSR1, on_info, 0);
	block(SIGUSR1, SIG_BLOCK);
	kill(getpid(), SIGUSR1);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		sigset_t cp, cm;
		sigpending(&cp);
		sigprocmask(SIG_BLOCK, NULL, &cm);
		struct sigaction a;
		sigaction(SIGUSR1, NULL, &a);
		_exit(!sigismember(&cp, SIGUSR1) && sigismember(&cm, SIGUSR1) && a.sa_sigaction == on_info ? 0 : 1);
	}
	int st;
	waitpid(c, &st, 0);
	CHECK_EXITED(st, 0);
	reset_got();
	block(SIGUSR1, SIG_UNBLOCK);
	CHECK_EQ(got_count, 1);
	signal(SIGUSR1, SIG_DFL);
}

static void t_suspend_wait(void)
{
	set_handler(SIGUSR1, on_info, 0);
	block(SIGUSR1, SIG_BLOCK);
	reset_got();
	fflush(stdout);
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		t_sleep_ms(20);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	sigset_t empty;
	sigemptyset(&empty);
	CHECK_RET(sigsuspend(&empty), -1, EINTR);
	CHECK_EQ(got_sig, SIGUSR1);
	CHECK_EQ(got_pid, c);
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK_EQ(sigismember(&cur, SIGUSR1), 1); /* the old mask is back */
	waitpid(c, NULL, 0);

	/* sigtimedwait: a timeout is EAGAIN after the time; a pending signal
	 * is taken at once without running the handler. */
	sigset_t w;
	sigemptyset(&w);
	sigaddset(&w, SIGUSR1);
	siginfo_t si;
	struct timespec to = { 0, 50000000 };
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(sigtimedwait(&w, &si, &to), -1, EAGAIN);
	long long el = t_now_ns(CLOCK_MONOTONIC) - t0;
	CHECK(el >= 50000000 && el < 10000000000LL);
	struct timespec zero = { 0, 0 };
	CHECK_RET(sigtimedwait(&w, &si, &zero), -1, EAGAIN);
	struct timespec bad = { 0, 1000000000 };
	CHECK_RET(sigtimedwait(&w, &si, &bad), -1, EINVAL);
	reset_got();
	sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 5 });
	CHECK_RET(sigtimedwait(&w, &si, &to), SIGUSR1, 0);
	CHECK_EQ(si.si_signo, SIGUSR1);
	CHECK_EQ(si.si_code, SI_QUEUE);
	CHECK_EQ(si.si_value.sival_int, 5);
	CHECK_EQ(got_count, 0);
	kill(getpid(), SIGUSR1);
	CHECK_RET(sigwaitinfo(&w, &si), SIGUSR1, 0);
	CHECK_EQ(si.si_code, SI_USER);
	int sig = 0;
	kill(getpid(), SIGUSR1);
	CHECK_RET(sigwait(&w, &sig), 0, 0);
	CHECK_EQ(sig, SIGUSR1);
	block(SIGUSR1, SIG_UNBLOCK);
	signal(SIGUSR1, SIG_DFL);
}

static char *alt_base;
static size_t alt_size;
static volatile int on_alt, alt_flags_seen, alt_reset_errno;
static void on_alt_sig(int sig)
{
	char here;
	on_alt = &here >= alt_base && &here < alt_base + alt_size;
	stack_t now;
	sigaltstack(NULL, &now);
	alt_flags_seen = now.ss_flags;
	stack_t other = { .ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0 };
	alt_reset_errno = sigaltstack(&other, NULL) == -1 ? errno : 0;
}

static void t_altstack(void)
{
	alt_size = 64 * 1024;
	alt_base = mmap(NULL, alt_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss = { .ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0 }, old;
	CHECK_RET(sigaltstack(NULL, &old), 0, 0);
	CHECK_EQ(old.ss_flags, SS_DISABLE);
	CHECK_RET(sigaltstack(&ss, NULL), 0, 0);
	CHECK_RET(sigaltstack(NULL, &old), 0, 0);
	CHECK(old.ss_sp == alt_base);
	CHECK_EQ(old.ss_size, alt_size);
	CHECK_EQ(old.ss_flags, 0);

	struct sigaction sa = { 0 };
	sa.sa_handler = on_alt_sig;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR2, &sa, NULL);
	on_alt = 0;
	raise(SIGUSR2);
	CHECK_EQ(on_alt, 1);
	CHECK_EQ(alt_flags_seen, SS_ONSTACK);
	CHECK_EQ(alt_reset_errno, EPERM); /* cannot change it while on it */
	/* Without SA_ONSTACK: the normal stack. */
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	CHECK_EQ(on_alt, 0);
	CHECK_EQ(alt_flags_seen, 0);
	signal(SIGUSR2, SIG_DFL);

	stack_t small = { .ss_sp = alt_base, .ss_size = 1024, .ss_flags = 0 };
	CHECK_RET(sigaltstack(&small, NULL), -1, ENOMEM);
	stack_t badf = { .ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0x1234 };
	CHECK_RET(sigaltstack(&badf, NULL), -1, EINVAL);
	stack_t dis = { .ss_flags = SS_DISABLE };
	CHECK_RET(sigaltstack(&dis, NULL), 0, 0);
	CHECK_RET(sigaltstack(NULL, &old), 0, 0);
	CHECK_EQ(old.ss_flags, SS_DISABLE);
	munmap(alt_base, alt_size);
}

/* Stack overflow is caught only on an alternate stack. */
static volatile int depth_sink = 1;
static int recurse(int n)
{
	volatile char pad[1024];
	pad[0] = (char)n;
	if (!depth_sink) /* never: keeps the compiler from calling it infinite */
		return 0;
	return recurse(n + 1) + pad[0];
}
static void on_overflow(int sig, siginfo_t *si, void *uc)
{
	_exit(sig == SIGSEGV && si->si_code == SEGV_MAPERR ? 0 : 1);
}
static void child_overflow(void)
{
	static char alt[64 * 1024];
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt) };
	sigaltstack(&ss, NULL);
	set_handler(SIGSEGV, on_overflow, SA_ONSTACK);
	recurse(0);
	_exit(2);
}

static int pipe_w = -1;
static void on_alarm_write(int sig)
{
	int e = errno;
	if (pipe_w >= 0)
		(void)write(pipe_w, "x", 1);
	errno = e;
}

static void arm_ms(long ms)
{
	struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static void t_restart(void)
{
	int p[2];
	char c;
	pipe(p);
	pipe_w = p[1];
	struct sigaction sa = { 0 };
	sa.sa_handler = on_alarm_write;

	/* Without SA_RESTART the read fails with EINTR (the byte the handler
	 * wrote is still there for the next read). */
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, NULL);
	arm_ms(20);
	CHECK_RET(read(p[0], &c, 1), -1, EINTR);
	CHECK_RET(read(p[0], &c, 1), 1, 0);

	/* With SA_RESTART the read goes on and gets it. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	arm_ms(20);
	CHECK_RET(read(p[0], &c, 1), 1, 0);
	CHECK_EQ(c, 'x');

	/* Sleeps and poll are never restarted after a handler. */
	struct timespec req = { 2, 0 }, rem = { 0, 0 };
	arm_ms(30);
	CHECK_RET(nanosleep(&req, &rem), -1, EINTR);
	CHECK(rem.tv_sec <= 1 && (rem.tv_sec > 0 || rem.tv_nsec > 0)); /* about 1.97 s left */
	CHECK(rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000);
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	(void)read(p[0], &c, 1); /* the handler's byte from the nanosleep alarm */
	pipe_w = -1;		 /* from here the handler writes nothing */
	arm_ms(20);
	CHECK_RET(poll(&pf, 1, 2000), -1, EINTR);
	arm_ms(20);
	CHECK_RET(pause(), -1, EINTR);
	signal(SIGALRM, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

/* sigreturn restores what the handler clobbered and applies what it
 * changed in the saved context. */
static void on_regs(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0" ::: "xmm0"); /* all ones */
	uc->uc_mcontext.gregs[REG_R12] = 0x7777;
	uc->uc_mcontext.fpregs->_xmm[1].element[0] = 0x12345678;
	uc->uc_mcontext.fpregs->_xmm[1].element[1] = 0;
	uc->uc_mcontext.fpregs->_xmm[1].element[2] = 0;
	uc->uc_mcontext.fpregs->_xmm[1].element[3] = 0;
}

static void t_sigreturn_regs(void)
{
	set_handler(SIGUSR2, on_regs, 0);
	unsigned long x0 = 0x1122334455667788UL, x0_after = 0, x1_after = 0, r12_after = 0;
	long ret;
	__asm__ volatile("movq %[x0], %%xmm0\n\t"
			 "pxor %%xmm1, %%xmm1\n\t"
			 "xor %%r12d, %%r12d\n\t"
			 "syscall\n\t"
			 "movq %%xmm0, %[x0a]\n\t"
			 "movq %%xmm1, %[x1a]\n\t"
			 "mov %%r12, %[r12a]"
			 : "=a"(ret), [x0a] "=m"(x0_after), [x1a] "=m"(x1_after), [r12a] "=m"(r12_after)
			 : "a"((long)SYS_tgkill), "D"((long)getpid()), "S"((long)gettid()), "d"((long)SIGUSR2),
			   [x0] "m"(x0)
			 : "rcx", "r11", "r12", "xmm0", "xmm1", "memory");
	CHECK_EQ(ret, 0);
	CHECK_EQ(x0_after, 0x1122334455667788UL);
	CHECK_EQ(x1_after, 0x12345678);
	CHECK_EQ(r12_after, 0x7777);
	signal(SIGUSR2, SIG_DFL);
}

/* Hardware faults. */
static void on_fault_skip(int sig, siginfo_t *si, void *ucv)
{
	on_info(sig, si, ucv);
	ucontext_t *uc = ucv;
	if (sig == SIGILL || sig == SIGFPE)
		uc->uc_mcontext.gregs[REG_RIP] += 2; /* ud2 and idiv %esi are 2 bytes */
}

static sigjmp_buf segv_jmp;
static void on_segv_jump(int sig, siginfo_t *si, void *uc)
{
	on_info(sig, si, uc);
	siglongjmp(segv_jmp, 1);
}

static void t_faults(void)
{
	set_handler(SIGILL, on_fault_skip, 0);
	reset_got();
	t_ud2();
	CHECK_EQ(got_sig, SIGILL);
	CHECK_EQ(got_code, ILL_ILLOPN);
	CHECK(got_addr == t_ud2_insn);
	CHECK_EQ(got_rip, (unsigned long)t_ud2_insn);

	set_handler(SIGFPE, on_fault_skip, 0);
	reset_got();
	t_div(1, 0);
	CHECK_EQ(got_sig, SIGFPE);
	CHECK_EQ(got_code, FPE_INTDIV);
	CHECK(got_addr == t_div_insn);
	reset_got();
	t_div(-2147483647 - 1, -1); /* INT_MIN / -1 overflows: also #DE */
	CHECK_EQ(got_sig, SIGFPE);
	CHECK_EQ(got_code, FPE_INTDIV);

	set_handler(SIGTRAP, on_info, 0);
	reset_got();
	t_int3();
	CHECK_EQ(got_sig, SIGTRAP);
	CHECK_EQ(got_code, SI_KERNEL);
	CHECK_EQ(got_rip, (unsigned long)t_int3_after); /* a trap: after the int3 */

	set_handler(SIGSEGV, on_segv_jump, 0);
	reset_got();
	if (sigsetjmp(segv_jmp, 1) == 0)
		*(volatile int *)t_opaque(NULL) = 1;
	CHECK_EQ(got_sig, SIGSEGV);
	CHECK_EQ(got_code, SEGV_MAPERR);
	CHECK(got_addr == NULL);
	reset_got();
	if (sigsetjmp(segv_jmp, 1) == 0)
		*(volatile char *)t_opaque((void *)t_ud2_insn) = 0; /* text is read-only */
	CHECK_EQ(got_sig, SIGSEGV);
	CHECK_EQ(got_code, SEGV_ACCERR);
	CHECK(got_addr == t_ud2_insn);
	reset_got();
	if (sigsetjmp(segv_jmp, 1) == 0)
		(void)*(volatile char *)t_opaque((void *)0xffff800000001000UL); /* kernel half */
	CHECK_EQ(got_sig, SIGSEGV);
	CHECK_EQ(got_code, SEGV_MAPERR); /* a page fault */
	CHECK(got_addr == (void *)0xffff800000001000UL);
	reset_got();
	if (sigsetjmp(segv_jmp, 1) == 0)
		(void)*(volatile char *)t_opaque((void *)0x800000000000UL); /* non-canonical */
	CHECK_EQ(got_sig, SIGSEGV);
	CHECK_EQ(got_code, SI_KERNEL); /* a #GP: no address */
	CHECK(got_addr == NULL);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGILL, SIG_DFL);
	signal(SIGFPE, SIG_DFL);
	signal(SIGTRAP, SIG_DFL);
}

/* Children dying by default actions. */
static void die_null(void) { *(volatile int *)t_opaque(NULL) = 1; }
static void die_ud2(void) { t_ud2(); }
static void die_div(void) { t_div(1, 0); }
static void die_abort(void) { abort(); }
static void die_pipe(void)
{
	int p[2];
	pipe(p);
	close(p[0]);
	(void)write(p[1], "x", 1);
}
static void die_blocked_segv(void)
{
	/* A blocked synchronous fault still kills. */
	signal(SIGSEGV, SIG_IGN);
	die_null();
}
static void ignore_defaults(void)
{
	/* These default to ignore. */
	raise(SIGCHLD);
	raise(SIGURG);
	raise(SIGWINCH);
}

static void t_default_actions(void)
{
	CHECK_SIGNALED(t_in_child(die_null), SIGSEGV);
	CHECK_SIGNALED(t_in_child(die_ud2), SIGILL);
	CHECK_SIGNALED(t_in_child(die_div), SIGFPE);
	CHECK_SIGNALED(t_in_child(die_abort), SIGABRT);
	CHECK_SIGNALED(t_in_child(die_pipe), SIGPIPE);
	CHECK_SIGNALED(t_in_child(die_blocked_segv), SIGSEGV);
	CHECK_EXITED(t_in_child(ignore_defaults), 0);
	CHECK_EXITED(t_in_child(child_overflow), 0);

	/* EPIPE when SIGPIPE is ignored. */
	int p[2];
	pipe(p);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	CHECK_RET(write(p[1], "x", 1), -1, EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);

	/* SIGTERM's default action. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	kill(c, SIGTERM);
	int st;
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_SIGNALED(st, SIGTERM);
}

static void t_sigchld(void)
{
	set_handler(SIGCHLD, on_info, SA_RESTART);
	reset_got();
	block(SIGCHLD, SIG_BLOCK);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		_exit(17);
	sigset_t w;
	sigemptyset(&w);
	sigaddset(&w, SIGCHLD);
	siginfo_t si;
	struct timespec to = { 5, 0 };
	CHECK_RET(sigtimedwait(&w, &si, &to), SIGCHLD, 0);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_pid, c);
	CHECK_EQ(si.si_status, 17);
	int st;
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	block(SIGCHLD, SIG_UNBLOCK);

	/* The handler form. */
	reset_got();
	c = fork();
	if (c == 0)
		_exit(5);
	while (waitpid(c, &st, 0) == -1 && errno == EINTR)
		;
	for (int i = 0; i < 1000 && !got_sig; i++)
		t_sleep_ms(1);
	CHECK_EQ(got_sig, SIGCHLD);
	CHECK_EQ(got_code, CLD_EXITED);
	CHECK_EQ(got_pid, c);
	CHECK_EQ(got_status, 5);

	/* Stop, continue, kill: each reported to waitpid and SIGCHLD. */
	c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	reset_got();
	CHECK_RET(kill(c, SIGSTOP), 0, 0);
	CHECK_RET(waitpid(c, &st, WUNTRACED), c, 0);
	CHECK(WIFSTOPPED(st));
	CHECK_EQ(WSTOPSIG(st), SIGSTOP);
	for (int i = 0; i < 1000 && !got_sig; i++)
		t_sleep_ms(1);
	CHECK_EQ(got_code, CLD_STOPPED);
	CHECK_EQ(got_status, SIGSTOP);
	CHECK_RET(waitpid(c, &st, WUNTRACED | WNOHANG), 0, 0); /* reported once */
	reset_got();
	CHECK_RET(kill(c, SIGCONT), 0, 0);
	CHECK_RET(waitpid(c, &st, WCONTINUED), c, 0);
	CHECK(WIFCONTINUED(st));
	for (int i = 0; i < 1000 && !got_sig; i++)
		t_sleep_ms(1);
	CHECK_EQ(got_code, CLD_CONTINUED);
	CHECK_EQ(got_status, SIGCONT);
	/* SIGKILL ends even a stopped process. */
	kill(c, SIGSTOP);
	CHECK_RET(waitpid(c, &st, WUNTRACED), c, 0);
	kill(c, SIGKILL);
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_SIGNALED(st, SIGKILL);
	/* SA_NOCLDSTOP: no SIGCHLD for a stop. */
	set_handler(SIGCHLD, on_info, SA_NOCLDSTOP | SA_RESTART);
	c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	reset_got();
	kill(c, SIGSTOP);
	CHECK_RET(waitpid(c, &st, WUNTRACED), c, 0);
	t_sleep_ms(20);
	CHECK_EQ(got_sig, 0);
	kill(c, SIGKILL);
	waitpid(c, &st, 0);

	/* SIGCHLD ignored: children are reaped by the kernel and wait ends
	 * with ECHILD once they are gone. */
	signal(SIGCHLD, SIG_IGN);
	c = fork();
	if (c == 0)
		_exit(0);
	CHECK_RET(waitpid(c, &st, 0), -1, ECHILD);
	signal(SIGCHLD, SIG_DFL);
}

static void t_itimers(void)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGVTALRM, &sa, NULL);
	sigaction(SIGPROF, &sa, NULL);

	struct itimerval it = { { 0, 0 }, { 0, 50000 } }, cur, old;
	reset_got();
	block(SIGALRM, SIG_BLOCK); /* so the checks below see the timer armed */
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(setitimer(ITIMER_REAL, &it, NULL), 0, 0);
	CHECK_RET(getitimer(ITIMER_REAL, &cur), 0, 0);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec <= 50000);
	CHECK(cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 0);
	block(SIGALRM, SIG_UNBLOCK);
	wait_got(SIGALRM);
	CHECK(t_now_ns(CLOCK_MONOTONIC) - t0 >= 50000000);
	CHECK_EQ(got_sig, SIGALRM);
	CHECK_EQ(got_code, SI_KERNEL);
	CHECK_RET(getitimer(ITIMER_REAL, &cur), 0, 0);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

	/* Periodic, then cancelled; setitimer returns the old value. */
	struct itimerval per = { { 0, 10000 }, { 0, 10000 } };
	CHECK_RET(setitimer(ITIMER_REAL, &per, NULL), 0, 0);
	reset_got();
	while (got_count < 3)
		pause();
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	CHECK_RET(setitimer(ITIMER_REAL, &off, &old), 0, 0);
	CHECK(old.it_interval.tv_sec == 0 && old.it_interval.tv_usec == 10000);
	CHECK(old.it_value.tv_usec <= 10000);

	/* CPU-time timers fire while burning CPU. */
	struct itimerval v = { { 0, 0 }, { 0, 20000 } };
	reset_got();
	CHECK_RET(setitimer(ITIMER_VIRTUAL, &v, NULL), 0, 0);
	t0 = t_now_ns(CLOCK_MONOTONIC);
	while (!got_sig && t_now_ns(CLOCK_MONOTONIC) - t0 < 5000000000LL)
		;
	CHECK_EQ(got_sig, SIGVTALRM);
	reset_got();
	CHECK_RET(setitimer(ITIMER_PROF, &v, NULL), 0, 0);
	t0 = t_now_ns(CLOCK_MONOTONIC);
	while (!got_sig && t_now_ns(CLOCK_MONOTONIC) - t0 < 5000000000LL)
		;
	CHECK_EQ(got_sig, SIGPROF);

	CHECK_RET(setitimer(99, &it, NULL), -1, EINVAL);
	CHECK_RET(getitimer(99, &cur), -1, EINVAL);
	struct itimerval badu = { { 0, 0 }, { 0, 1000000 } };
	CHECK_RET(setitimer(ITIMER_REAL, &badu, NULL), -1, EINVAL);

	/* alarm() reports the remaining seconds, rounded. */
	CHECK_EQ(alarm(10), 0);
	CHECK_EQ(alarm(0), 10);
	CHECK_EQ(alarm(0), 0);
	signal(SIGALRM, SIG_DFL);
	signal(SIGVTALRM, SIG_DFL);
	signal(SIGPROF, SIG_DFL);
}

static _Atomic int thread_notify_count;
static _Atomic pid_t thread_notify_tid;
static _Atomic int thread_notify_value;
static void on_timer_thread(union sigval v)
{
	atomic_store(&thread_notify_tid, gettid());
	atomic_store(&thread_notify_value, v.sival_int);
	atomic_fetch_add(&thread_notify_count, 1);
}

struct tid_thread {
	_Atomic pid_t tid;
	_Atomic int stop;
};
static void *sleeper(void *p)
{
	struct tid_thread *t = p;
	atomic_store(&t->tid, gettid());
	while (!atomic_load(&t->stop))
		t_sleep_ms(1);
	return NULL;
}

static void t_posix_timers(void)
{
	int sig = SIGRTMIN + 3;
	set_handler(sig, on_info, 0);
	struct sigevent sev = { 0 };
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = sig;
	sev.sigev_value.sival_int = 77;
	timer_t tm;
	CHECK_RET(timer_create(CLOCK_MONOTONIC, &sev, &tm), 0, 0);
	struct itimerspec its = { { 0, 0 }, { 0, 20000000 } }, cur;
	reset_got();
	CHECK_RET(timer_settime(tm, 0, &its, NULL), 0, 0);
	CHECK_RET(timer_gettime(tm, &cur), 0, 0);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 20000000);
	wait_got(sig);
	CHECK_EQ(got_sig, sig);
	CHECK_EQ(got_code, SI_TIMER);
	CHECK_EQ(got_value, 77);
	CHECK_RET(timer_getoverrun(tm), 0, 0);
	CHECK_RET(timer_gettime(tm, &cur), 0, 0);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

	/* Periodic with the signal blocked: expiries pile up as overruns. */
	block(sig, SIG_BLOCK);
	struct itimerspec per = { { 0, 5000000 }, { 0, 5000000 } };
	CHECK_RET(timer_settime(tm, 0, &per, NULL), 0, 0);
	t_sleep_ms(60);
	sigset_t w;
	sigemptyset(&w);
	sigaddset(&w, sig);
	siginfo_t si;
	CHECK_RET(sigwaitinfo(&w, &si), sig, 0);
	CHECK_EQ(si.si_code, SI_TIMER);
	CHECK(si.si_overrun >= 1);
	CHECK_EQ(timer_getoverrun(tm), si.si_overrun);
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };
	CHECK_RET(timer_settime(tm, 0, &off, NULL), 0, 0);
	sigtimedwait(&w, &si, &(struct timespec){ 0, 0 });
	block(sig, SIG_UNBLOCK);

	/* An absolute expiry in the past fires at once. */
	reset_got();
	struct itimerspec past = { { 0, 0 }, { 1, 0 } };
	CHECK_RET(timer_settime(tm, TIMER_ABSTIME, &past, NULL), 0, 0);
	for (int i = 0; i < 1000 && !got_sig; i++)
		t_sleep_ms(1);
	CHECK_EQ(got_sig, sig);
	struct itimerspec badns = { { 0, 0 }, { 0, 1000000000 } };
	CHECK_RET(timer_settime(tm, 0, &badns, NULL), -1, EINVAL);
	CHECK_RET(timer_delete(tm), 0, 0);
	CHECK_RET(timer_delete(tm), -1, EINVAL);
	CHECK_RET(timer_settime(tm, 0, &its, NULL), -1, EINVAL);

	/* SIGEV_THREAD_ID: delivered to the named thread. */
	struct tid_thread tt = { 0 };
	pthread_t th;
	pthread_create(&th, NULL, sleeper, &tt);
	while (!atomic_load(&tt.tid))
		sched_yield();
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = sig;
	sev._sigev_un._tid = tt.tid;
	CHECK_RET(timer_create(CLOCK_MONOTONIC, &sev, &tm), 0, 0);
	reset_got();
	CHECK_RET(timer_settime(tm, 0, &its, NULL), 0, 0);
	for (int i = 0; i < 2000 && !got_sig; i++)
		t_sleep_ms(1);
	CHECK_EQ(got_sig, sig);
	CHECK_EQ(got_tid, tt.tid);
	timer_delete(tm);
	atomic_store(&tt.stop, 1);
	pthread_join(th, NULL);
	sev._sigev_un._tid = 99999;
	CHECK_RET(timer_create(CLOCK_MONOTONIC, &sev, &tm), -1, EINVAL);
	signal(sig, SIG_DFL);

	/* SIGEV_THREAD: glibc runs the function in a thread. */
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = on_timer_thread;
	sev.sigev_value.sival_int = 99;
	CHECK_RET(timer_create(CLOCK_REALTIME, &sev, &tm), 0, 0);
	CHECK_RET(timer_settime(tm, 0, &its, NULL), 0, 0);
	for (int i = 0; i < 2000 && !atomic_load(&thread_notify_count); i++)
		t_sleep_ms(1);
	CHECK_EQ(atomic_load(&thread_notify_count), 1);
	CHECK_EQ(atomic_load(&thread_notify_value), 99);
	CHECK(atomic_load(&thread_notify_tid) != gettid());
	timer_delete(tm);

	/* SIGEV_NONE: a timer that only counts down. */
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_NONE;
	CHECK_RET(timer_create(CLOCK_MONOTONIC, &sev, &tm), 0, 0);
	struct itimerspec longer = { { 0, 0 }, { 10, 0 } };
	CHECK_RET(timer_settime(tm, 0, &longer, NULL), 0, 0);
	t_sleep_ms(20);
	CHECK_RET(timer_gettime(tm, &cur), 0, 0);
	long long left = cur.it_value.tv_sec * 1000000000LL + cur.it_value.tv_nsec;
	CHECK(left > 0 && left <= 9990000000LL); /* counting down from 10 s */
	timer_delete(tm);

	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	CHECK_RET(timer_create(99, &sev, &tm), -1, EINVAL);
	sev.sigev_signo = 0;
	CHECK_RET(timer_create(CLOCK_MONOTONIC, &sev, &tm), -1, EINVAL);
	sev.sigev_notify = 99;
	sev.sigev_signo = SIGUSR1;
	CHECK_RET(timer_create(CLOCK_MONOTONIC, &sev, &tm), -1, EINVAL);
}

static void t_sleeps(void)
{
	/* Relative. */
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	struct timespec rel = { 0, 20000000 };
	CHECK_RET(clock_nanosleep(CLOCK_MONOTONIC, 0, &rel, NULL), 0, 0);
	CHECK(t_now_ns(CLOCK_MONOTONIC) - t0 >= 20000000);
	CHECK_RET(nanosleep(&rel, NULL), 0, 0);

	/* Absolute on both clocks: never wakes early. */
	clockid_t clocks[2] = { CLOCK_MONOTONIC, CLOCK_REALTIME };
	for (int i = 0; i < 2; i++) {
		long long target = t_now_ns(clocks[i]) + 30000000;
		struct timespec abs = { target / 1000000000, target % 1000000000 };
		CHECK_RET(clock_nanosleep(clocks[i], TIMER_ABSTIME, &abs, NULL), 0, 0);
		long long now = t_now_ns(clocks[i]);
		CHECK(now >= target);
		CHECK(now - target < 10000000000LL);
		/* In the past: returns at once. (A negative time is EINVAL.) */
		t0 = t_now_ns(CLOCK_MONOTONIC);
		abs.tv_sec = 0;
		abs.tv_nsec = 1;
		CHECK_RET(clock_nanosleep(clocks[i], TIMER_ABSTIME, &abs, NULL), 0, 0);
		abs.tv_sec = -1;
		CHECK_RET(clock_nanosleep(clocks[i], TIMER_ABSTIME, &abs, NULL), EINVAL, 0);
		CHECK(t_now_ns(CLOCK_MONOTONIC) - t0 < 5000000000LL);
	}
	CHECK_RET(clock_nanosleep(CLOCK_BOOTTIME, 0, &rel, NULL), 0, 0);

	/* clock_nanosleep returns the error number itself. */
	CHECK_RET(clock_nanosleep(99, 0, &rel, NULL), EINVAL, 0);
	CHECK_RET(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &rel, NULL), EINVAL, 0);
	struct timespec bad = { 0, 1000000000 };
	CHECK_RET(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL, 0);
	CHECK_RET(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL), -1, EINVAL);
	CHECK_RET(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, BAD_PTR(1), NULL), -1, EFAULT);
	CHECK_RET(nanosleep(&bad, NULL), -1, EINVAL);
	struct timespec neg = { 0, -1 };
	CHECK_RET(nanosleep(&neg, NULL), -1, EINVAL);
	struct timespec negs = { -1, 0 };
	CHECK_RET(nanosleep(&negs, NULL), -1, EINVAL);
	struct timespec zero = { 0, 0 };
	CHECK_RET(nanosleep(&zero, NULL), 0, 0);
}

/* kill(0, sig) and kill(-pgrp, sig) reach the whole process group. */
static void child_group_kill(void)
{
	setpgid(0, 0);
	signal(SIGUSR1, SIG_IGN);
	fflush(stdout);
	pid_t kids[2];
	int ready[2];
	CHECK_OK(pipe(ready));
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			signal(SIGUSR1, SIG_DFL);
			/* Only now may the signal come (it is ignored until here). */
			if (write(ready[1], "r", 1) != 1)
				_exit(3);
			for (;;)
				pause();
		}
	}
	char r[2];
	CHECK_RET(read(ready[0], r, 1), 1, 0);
	CHECK_RET(read(ready[0], r, 1), 1, 0);
	close(ready[0]);
	close(ready[1]);
	CHECK_RET(kill(0, SIGUSR1), 0, 0);
	int st;
	for (int i = 0; i < 2; i++) {
		CHECK_RET(waitpid(kids[i], &st, 0), kids[i], 0);
		CHECK_SIGNALED(st, SIGUSR1);
	}
	pid_t k = fork();
	if (k == 0) {
		for (;;)
			pause();
	}
	block(SIGTERM, SIG_BLOCK); /* ours stays pending */
	CHECK_RET(kill(-getpid(), SIGTERM), 0, 0);
	CHECK_RET(waitpid(k, &st, 0), k, 0);
	CHECK_SIGNALED(st, SIGTERM);
	sigset_t p;
	sigpending(&p);
	CHECK_EQ(sigismember(&p, SIGTERM), 1);
}

static void t_group_kill(void)
{
	CHECK_EXITED(t_in_child(child_group_kill), 0);
	CHECK_RET(kill(-99999, SIGUSR1), -1, ESRCH);
}

/* A process group orphaned while one of its members is stopped gets
 * SIGHUP and SIGCONT (POSIX; Linux's kill_orphaned_pgrp): a stopped
 * grandchild whose parent exits wakes up to its SIGHUP handler. */
static int orphan_pipe[2];
static void on_orphan_hup(int sig)
{
	(void)sig;
	if (write(orphan_pipe[1], "H", 1) != 1)
		_exit(3);
	_exit(0);
}

static void t_orphaned_pgrp(void)
{
	CHECK_OK(pipe(orphan_pipe));
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		pid_t g = fork();
		if (g == 0) {
			signal(SIGHUP, on_orphan_hup);
			close(orphan_pipe[0]);
			raise(SIGSTOP);
			_exit(2); /* continued without SIGHUP */
		}
		int st;
		waitpid(g, &st, WUNTRACED); /* g is stopped: now orphan its group */
		_exit(WIFSTOPPED(st) ? 0 : 1);
	}
	close(orphan_pipe[1]);
	int st;
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 0);
	struct pollfd pf = { .fd = orphan_pipe[0], .events = POLLIN };
	CHECK_RET(poll(&pf, 1, 5000), 1, 0);
	char b = 0;
	CHECK_RET(read(orphan_pipe[0], &b, 1), 1, 0);
	CHECK_EQ(b, 'H');
	CHECK_RET(read(orphan_pipe[0], &b, 1), 0, 0); /* the grandchild is gone */
	close(orphan_pipe[0]);
}

/* Each part announces itself first, so that a hang shows where it is. */
#define PART(fn)                                                      \
	do {                                                          \
		printf("%s: part %s\n", program_invocation_short_name, #fn); \
		fflush(stdout);                                       \
		fn();                                                 \
	} while (0)

int main(void)
{
	PART(t_basic_delivery);
	PART(t_pending);
	PART(t_suspend_wait);
	PART(t_altstack);
	PART(t_restart);
	PART(t_sigreturn_regs);
	PART(t_faults);
	PART(t_default_actions);
	PART(t_sigchld);
	PART(t_itimers);
	PART(t_posix_timers);
	PART(t_sleeps);
	PART(t_group_kill);
	PART(t_orphaned_pgrp);
	return t_done();
}
