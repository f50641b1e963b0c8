/* Kernel access to user memory (include/skiff/uaccess.h).
 *
 * Each routine checks that the whole range lies below USER_TOP, then touches
 * user memory with instructions listed in .ex_table: a page fault there first
 * goes to page_fault_hook (mm/fault.c: demand paging, copy-on-write) and is
 * retried when resolved; otherwise trap_dispatch resumes at the fixup, which
 * returns -EFAULT. SMAP is not enabled, so no stac/clac. SysV ABI: rdi, rsi,
 * rdx, rcx arguments; rax result; rcx, rdx, rsi, rdi, r8-r11 clobbered. */

#define USER_TOP 0x00007ffffffff000
#define EFAULT 14
#define ENAMETOOLONG 36

#define EX(insn_label, fixup) \
	.pushsection .ex_table, "a"; .balign 8; .quad insn_label, fixup; .popsection

	.text

/* Copy %rdx bytes from (%rsi) to (%rdi), 8 at a time and then the tail
 * (string instructions step one element at a time under QEMU's TCG, so
 * 8-byte elements are much faster there; lib/string.c does the same).
 * Labels \n and 1\n are the two faulting instructions. Returns 0. */
.macro COPY n
	movq %rdx, %rcx
	shrq $3, %rcx
\n:	rep movsq
	movq %rdx, %rcx
	andq $7, %rcx
1\n:	rep movsb
	xorl %eax, %eax
	ret
.endm

/* %rax = end of [ptr, ptr+len) with ptr in reg, len in lenreg; jumps to
 * bad when it wraps or passes USER_TOP. */
.macro CHECK ptr, len, bad
	movq \ptr, %rax
	addq \len, %rax
	jc \bad
	movabsq $USER_TOP, %r8
	cmpq %r8, %rax
	ja \bad
.endm

/* int copy_from_user(void *dst, const void *src, size_t n) */
	.globl copy_from_user
copy_from_user:
	CHECK %rsi, %rdx, .Lefault
	COPY 1
	EX(1b, .Lefault)
	EX(11b, .Lefault)

/* int copy_to_user(void *dst, const void *src, size_t n) */
	.globl copy_to_user
copy_to_user:
	CHECK %rdi, %rdx, .Lefault
	COPY 2
	EX(2b, .Lefault)
	EX(12b, .Lefault)

/* int clear_user(void *dst, size_t n) */
	.globl clear_user
clear_user:
	CHECK %rdi, %rsi, .Lefault
	movq %rsi, %rcx
	shrq $3, %rcx
	xorl %eax, %eax
3:	rep stosq
	movq %rsi, %rcx
	andq $7, %rcx
13:	rep stosb
	ret
	EX(3b, .Lefault)
	EX(13b, .Lefault)

.Lefault:
	movq $-EFAULT, %rax
	ret

/* long strncpy_from_user(char *dst, const char *src, size_t max)
 * Length of the string (without NUL), -EFAULT, or -ENAMETOOLONG. */
	.globl strncpy_from_user
strncpy_from_user:
	xorl %ecx, %ecx                 /* bytes copied */
	movabsq $USER_TOP, %r8
.Lstr_loop:
	cmpq %rdx, %rcx
	jae .Lstr_long
	leaq (%rsi, %rcx), %r9
	cmpq %r8, %r9
	jae .Lefault
4:	movb (%r9), %al
	movb %al, (%rdi, %rcx)
	testb %al, %al
	jz .Lstr_done
	incq %rcx
	jmp .Lstr_loop
.Lstr_done:
	movq %rcx, %rax
	ret
.Lstr_long:
	movq $-ENAMETOOLONG, %rax
	ret
	EX(4b, .Lefault)

/* int get_user_u32(u32 *v, const void *p) */
	.globl get_user_u32
get_user_u32:
	movl $4, %edx
	CHECK %rsi, %rdx, .Lefault
5:	movl (%rsi), %ecx
	movl %ecx, (%rdi)
	xorl %eax, %eax
	ret
	EX(5b, .Lefault)

/* int get_user_u64(u64 *v, const void *p) */
	.globl get_user_u64
get_user_u64:
	movl $8, %edx
	CHECK %rsi, %rdx, .Lefault
6:	movq (%rsi), %rcx
	movq %rcx, (%rdi)
	xorl %eax, %eax
	ret
	EX(6b, .Lefault)

/* int put_user_u32(u32 v, void *p) */
	.globl put_user_u32
put_user_u32:
	movl $4, %edx
	CHECK %rsi, %rdx, .Lefault
7:	movl %edi, (%rsi)
	xorl %eax, %eax
	ret
	EX(7b, .Lefault)

/* int put_user_u64(u64 v, void *p) */
	.globl put_user_u64
put_user_u64:
	movl $8, %edx
	CHECK %rsi, %rdx, .Lefault
8:	movq %rdi, (%rsi)
	xorl %eax, %eax
	ret
	EX(8b, .Lefault)

/* int futex_cmpxchg_user(u32 *p, u32 expected, u32 newval, u32 *old)
 * 0 with *old = the value seen, or -EFAULT (also for a misaligned p). */
	.globl futex_cmpxchg_user
futex_cmpxchg_user:
	movq %rdx, %r9                  /* newval */
	movl $4, %edx
	CHECK %rdi, %rdx, .Lefault
	testq $3, %rdi
	jnz .Lefault
	movl %esi, %eax
9:	lock cmpxchgl %r9d, (%rdi)
	movl %eax, (%rcx)
	xorl %eax, %eax
	ret
	EX(9b, .Lefault)

	.section .note.GNU-stack, "", @progbits
