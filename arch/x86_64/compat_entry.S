/* SYSCALL from 32-bit (compatibility mode) user code: MSR_CSTAR points
 * here. Skiff has no i386 system call ABI, so, as Linux built without IA32
 * emulation (entry_SYSCALL32_ignore), the call returns -ENOSYS at once:
 * nothing is touched, not even the stack (RSP is still the user's), and
 * SYSRETL goes back to the 32-bit user code segment (STAR[63:48]) at ECX
 * with RFLAGS from R11. Interrupts stay off in between (MSR_SFMASK).
 * Without this the CPU would jump to CSTAR's reset value, 0, in ring 0. */
#define ENOSYS 38

	.text
	.globl syscall32_entry
syscall32_entry:
	movl $-ENOSYS, %eax
	sysretl
