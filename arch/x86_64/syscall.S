/* System call entry (SYSCALL instruction, Linux x86-64 convention).
 *
 * On entry: rax = number, rdi rsi rdx r10 r8 r9 = arguments, rcx = user rip,
 * r11 = user rflags; IF/DF/TF/AC are already cleared by MSR_SFMASK. GS is the
 * user's: swapgs first, park the user rsp in cpu_local.user_rsp (offset 32),
 * load the thread's kernel stack from cpu_local.kstack_top (offset 24) and
 * build a full struct trap_frame (arch/trap.h) exactly where an interrupt from
 * user mode would put it (TSS.rsp0 = the same top), so task->uregs is always
 * kstack_top - sizeof(struct trap_frame).
 *
 * syscall_handler(frame) is entered with interrupts off (it closes the
 * thread's user-time interval first, then enables them), runs the call and
 * the exit-to-user work, and returns with interrupts off: 1 when the frame
 * can go back with SYSRETQ (rcx == rip, r11 == rflags, canonical rip, user
 * segments unchanged; checked in C, which closes the
 * SYSRET-with-non-canonical-RCX hole), 0 for the IRETQ path (trap_return in
 * entry.S: after execve, signal delivery, sigreturn). */
#include <arch/gdt.h>

#define USER_CS (GDT_UCODE | 3)
#define USER_SS (GDT_UDATA | 3)
#define SYSCALL_VECTOR 0x200

	.text
	.globl syscall_entry
	.align 16
syscall_entry:
	swapgs
	movq %rsp, %gs:32
	movq %gs:24, %rsp
	pushq $USER_SS
	pushq %gs:32
	pushq %r11
	pushq $USER_CS
	pushq %rcx
	pushq $0                    /* error */
	pushq $SYSCALL_VECTOR       /* vector */
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	xorl %ebp, %ebp
	movq %rsp, %rdi
	call syscall_handler        /* enables interrupts; returns with them off */
	testl %eax, %eax
	jz trap_return
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	movq 40(%rsp), %rsp         /* user rsp: vector error rip cs rflags [rsp] */
	swapgs
	sysretq

/* void arch_enter_user(struct trap_frame *tf): leave the kernel through the
 * IRETQ path with the given frame (new threads, fork children, init).
 * Interrupts must be off; tf is the thread's uregs at its kernel stack top. */
	.globl arch_enter_user
arch_enter_user:
	cli
	movq %rdi, %rsp
	jmp trap_return

/* void arch_user_trampoline(void *arg, void (*fn)(void *)): continue a new
 * user thread on its own kernel stack just below the user frame slot
 * (kstack_top - 176), so fn can fill the frame and leave through it. */
	.globl arch_user_trampoline
arch_user_trampoline:
	movq %gs:24, %rax
	leaq -176(%rax), %rsp
	xorl %ebp, %ebp
	call *%rsi
	ud2
