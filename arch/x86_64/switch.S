/* Kernel context switch.
 *
 * void arch_switch_to(u64 *prev_ksp, u64 next_ksp)
 *   Saves the callee-saved registers on the current stack, stores rsp in
 *   *prev_ksp, loads next_ksp and pops the next thread's registers. A new
 *   thread's stack is prepared by arch_thread_init_stack() so that the final
 *   ret lands in thread_entry. */
	.text
	.globl arch_switch_to
arch_switch_to:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/* First code a new thread runs: r12 = the thread, see arch_thread_init_stack. */
	.globl thread_entry
thread_entry:
	movq %r12, %rdi
	xorl %ebp, %ebp
	call sched_thread_start   /* never returns */
	ud2
