/* Every software interrupt vector from user mode (INT n, n = 0..255): the
 * gates user code may use are the breakpoint (3, SIGTRAP) and overflow (4,
 * SIGSEGV) ones; every other vector, hardware IRQs, IPIs and the timer
 * included, must be a general-protection fault (SIGSEGV), never a run of
 * a kernel interrupt handler. INT 0x80 is the i386 system call gate on
 * Linux with IA32 emulation (the call returns: eax 60 is i386 umask,
 * harmless) and a SIGSEGV on Skiff. Also INT1 (icebp, f1), INTO in 64-bit
 * mode (#UD: SIGILL) and privileged instructions (HLT, CLI, IN, OUT, LGDT,
 * WRMSR, MOV to CR3: SIGSEGV). Each case runs in a forked child. */
#include "t.h"

static int run(const uint8_t *insn, size_t len)
{
	static uint8_t *page;
	if (!page)
		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(page, insn, len);
	page[len] = 0xc3; /* ret */
	pid_t c = fork();
	if (c == 0) {
		((void (*)(void))page)();
		_exit(100);
	}
	int st = 0;
	waitpid(c, &st, 0);
	return st;
}

#define SIG(st) (WIFSIGNALED(st) ? WTERMSIG(st) : 1000 + WEXITSTATUS(st))

int main(void)
{
	int bad = 0;
	for (int n = 0; n < 256; n++) {
		uint8_t insn[] = { 0xcd, (uint8_t)n }; /* int n */
		int want = n == 3 ? SIGTRAP : SIGSEGV;
		if (n == 0x80) {
			uint8_t i80[] = { 0xb8, 60, 0, 0, 0, 0xbf, 0, 0, 0, 0, 0xcd, 0x80 };
			int st = run(i80, sizeof(i80));
			/* i386 eax 60 is umask(0): returns; or SIGSEGV. */
			CHECK(SIG(st) == SIGSEGV || SIG(st) == 1100);
			continue;
		}
		int st = run(insn, 2);
		if (SIG(st) != want) {
			printf("FAIL int $%d: got %d, expected %d\n", n, SIG(st), want);
			bad++;
		}
	}
	CHECK(bad == 0);
	uint8_t icebp[] = { 0xf1 };
	/* INT1 is #DB on hardware (SIGTRAP); QEMU's TCG raises #UD for it, so
	 * Linux and Skiff both give SIGILL there. */
	int s1 = SIG(run(icebp, 1));
	CHECK(s1 == SIGTRAP || s1 == SIGILL);
	uint8_t into[] = { 0xce };
	CHECK_RET(SIG(run(into, 1)), SIGILL, 0);
	uint8_t hlt[] = { 0xf4 }, cli[] = { 0xfa }, in[] = { 0xe4, 0x60 }, out[] = { 0xe6, 0x80 };
	uint8_t wrmsr[] = { 0x0f, 0x30 }, movcr3[] = { 0x0f, 0x22, 0xd8 }, lgdt[] = { 0x0f, 0x01, 0x10 };
	CHECK_RET(SIG(run(hlt, 1)), SIGSEGV, 0);
	CHECK_RET(SIG(run(cli, 1)), SIGSEGV, 0);
	CHECK_RET(SIG(run(in, 2)), SIGSEGV, 0);
	CHECK_RET(SIG(run(out, 2)), SIGSEGV, 0);
	CHECK_RET(SIG(run(wrmsr, 2)), SIGSEGV, 0);
	CHECK_RET(SIG(run(movcr3, 3)), SIGSEGV, 0);
	CHECK_RET(SIG(run(lgdt, 3)), SIGSEGV, 0);
	CHECK_RET(getppid() > 0, 1, 0);
	return t_done();
}
