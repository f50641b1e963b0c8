/* 32-bit (compatibility mode) code in a 64-bit process: user space can far
 * return to the 32-bit user code segment, which every x86-64 kernel has in
 * its GDT at the 64-bit selector minus 16 (Linux: 0x33 and 0x23), and run
 * SYSCALL or INT 0x80 there. The kernel must survive it: Linux with IA32
 * emulation runs the i386 system call (eax 20 is getpid) for INT 0x80 and
 * for SYSCALL (returning to the 32-bit vDSO's landing pad, absent in a
 * 64-bit process: SIGSEGV); Linux without it and Skiff return -ENOSYS from
 * SYSCALL (Linux's entry_SYSCALL32_ignore) and fault INT 0x80 into SIGSEGV. Exceptions raised in compatibility mode
 * (HLT, a bad memory access) are SIGSEGV for the process, never a kernel
 * fault. Each case runs in a child that leaves 64-bit mode for good and
 * reports through a shared page below 4 GiB. */
#include "t.h"
#include <sys/mman.h>

struct report {
	volatile int32_t eax;
	volatile int32_t reached;
};

/* Machine code, 32-bit: set DS and ES from SS, then the case, then store
 * eax and 1 into the report and HLT (a #GP in user mode: SIGSEGV). */
static size_t emit_case(uint8_t *p, int which, uint32_t report)
{
	size_t n = 0;
	uint8_t pre[] = { 0x8c, 0xd0, 0x8e, 0xd8, 0x8e, 0xc0 }; /* mov eax,ss; mov ds,eax; mov es,eax */
	memcpy(p + n, pre, sizeof(pre));
	n += sizeof(pre);
	p[n++] = 0xbc; /* mov esp, report + 2048: a stack below 4 GiB (i386
			* SYSCALL reads its 6th argument from [esp]) */
	uint32_t sp = report + 2048;
	memcpy(p + n, &sp, 4);
	n += 4;
	p[n++] = 0xb8; /* mov eax, 20 (i386 getpid) */
	uint32_t nr = 20;
	memcpy(p + n, &nr, 4);
	n += 4;
	switch (which) {
	case 0: /* syscall */
		p[n++] = 0x0f;
		p[n++] = 0x05;
		break;
	case 1: /* int 0x80 */
		p[n++] = 0xcd;
		p[n++] = 0x80;
		break;
	case 2: /* load from an unmapped address: mov eax, [0x10] */
		p[n++] = 0xa1;
		uint32_t a = 0x10;
		memcpy(p + n, &a, 4);
		n += 4;
		break;
	case 3: /* ud2 */
		p[n++] = 0x0f;
		p[n++] = 0x0b;
		break;
	}
	p[n++] = 0xa3; /* mov [report], eax */
	memcpy(p + n, &report, 4);
	n += 4;
	p[n++] = 0xc7; /* mov dword [report+4], 1 */
	p[n++] = 0x05;
	uint32_t r4 = report + 4, one = 1;
	memcpy(p + n, &r4, 4);
	n += 4;
	memcpy(p + n, &one, 4);
	n += 4;
	p[n++] = 0xf4; /* hlt */
	return n;
}

static unsigned short user_cs(void)
{
	unsigned short cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

/* Run case `which` in a child; returns its wait status, *r filled. */
static int run_case(int which, struct report *r, uint8_t *code)
{
	memset((void *)r, 0, sizeof(*r));
	emit_case(code, which, (uint32_t)(uintptr_t)r);
	pid_t c = fork();
	if (c == 0) {
		uint64_t cs32 = user_cs() - 16;
		__asm__ volatile("pushq %0\n\tpushq %1\n\tlretq" : : "r"(cs32), "r"((uint64_t)(uintptr_t)code) : "memory");
		_exit(99);
	}
	int st = 0;
	waitpid(c, &st, 0);
	return st;
}

int main(void)
{
	uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	struct report *r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	CHECK(code != MAP_FAILED && (uintptr_t)code < (1ull << 32));
	CHECK(r != MAP_FAILED && (uintptr_t)r < (1ull << 32));
	if (code == MAP_FAILED || r == MAP_FAILED)
		return t_done();

	/* SYSCALL in compatibility mode: the i386 getpid or -ENOSYS. */
	int st = run_case(0, r, code);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	/* Linux with IA32 emulation returns to the 32-bit vDSO's landing
	 * pad, which a 64-bit process does not have: SIGSEGV before the
	 * store. Otherwise -ENOSYS (or getpid's positive answer). */
	CHECK(r->reached == 0 || r->eax == -ENOSYS || r->eax > 1);
	printf("%s: compat SYSCALL %s %d\n", program_invocation_short_name,
	       r->reached ? "returned" : "did not return", r->eax);

	/* INT 0x80: an i386 system call, or SIGSEGV (no such gate). */
	st = run_case(1, r, code);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	CHECK(r->reached == 0 || r->eax > 1);
	printf("%s: compat INT 0x80 %s\n", program_invocation_short_name,
	       r->reached ? "ran a system call" : "faulted (SIGSEGV)");

	/* A page fault and an invalid opcode in compatibility mode. */
	st = run_case(2, r, code);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	CHECK(r->reached == 0);
	st = run_case(3, r, code);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGILL);
	CHECK(r->reached == 0);

	/* And the kernel carries on. */
	CHECK_RET(getppid() > 0, 1, 0);
	return t_done();
}
