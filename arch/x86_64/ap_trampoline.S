/* AP start-up trampoline: real mode -> protected mode -> long mode.
 *
 * smpboot.c copies [ap_tramp_start, ap_tramp_end) to physical AP_TRAMP_PHYS
 * (a page below 1 MiB the page allocator never owns), fills in the
 * parameter block at ap_tramp_params and sends STARTUP IPIs with vector
 * AP_TRAMP_PHYS >> 12. An AP then starts here in real mode at
 * CS:IP = (AP_TRAMP_PHYS >> 4):0000 (Intel SDM vol. 3A 9.4.4 / MP spec B.4).
 *
 * The code is copied, so everything it addresses is computed relative to
 * ap_tramp_start: 16-bit code uses DS = CS = the trampoline's segment, 32-bit
 * code uses absolute physical addresses (TRAMP_ABS), 64-bit code uses
 * RIP-relative addressing.
 *
 * Dependency on paging.c: the CR3 it loads is the kernel page table root
 * (arch_kernel_cr3(), below 4 GiB since it is loaded from 32-bit code),
 * which identity-maps [0, 2 MiB) executable exactly so that this code keeps
 * running at its physical address after paging is turned on. The first
 * instruction outside the page is the jump to ap_entry in the kernel's
 * higher half, with RSP = the AP's fresh stack and EDI = its CPU number. */
#include "smpboot.h"

#define TRAMP_ABS(x) (AP_TRAMP_PHYS + ((x) - ap_tramp_start))

	.section .rodata.ap_trampoline, "a"
	.balign 16
	.globl ap_tramp_start, ap_tramp_end, ap_tramp_params

	.code16
ap_tramp_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl ap_gdt_desc - ap_tramp_start
	movl %cr0, %eax
	orl $1, %eax                    /* PE */
	movl %eax, %cr0
	ljmpl $0x08, $TRAMP_ABS(ap_pm32)

	.code32
ap_pm32:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs

	movl %cr4, %eax
	orl $0xa0, %eax                 /* PAE | PGE, as boot.S */
	movl %eax, %cr4
	movl TRAMP_ABS(ap_tramp_params + AP_PARAM_CR3), %eax
	movl %eax, %cr3

	movl $0x80000001, %eax          /* EFER.LME, and NXE where the CPU has NX: */
	cpuid                           /* the kernel page tables set NX bits */
	movl $0x100, %esi
	testl $(1 << 20), %edx
	jz 1f
	orl $0x800, %esi
1:	movl $0xc0000080, %ecx
	rdmsr
	orl %esi, %eax
	wrmsr

	movl %cr0, %eax
	orl $0x80010001, %eax           /* PG | WP | PE */
	movl %eax, %cr0
	ljmpl $0x18, $TRAMP_ABS(ap_lm64)

	.code64
ap_lm64:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movq ap_tramp_params + AP_PARAM_STACK(%rip), %rsp
	movl ap_tramp_params + AP_PARAM_CPU(%rip), %edi
	movq ap_tramp_params + AP_PARAM_ENTRY(%rip), %rax
	xorl %ebp, %ebp                 /* ends stack traces */
	call *%rax                      /* ap_entry(cpu): never returns */
2:	cli
	hlt
	jmp 2b

	.balign 8
ap_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
	.quad 0x00af9a000000ffff        /* 0x18: 64-bit code */
ap_gdt_end:
ap_gdt_desc:
	.word ap_gdt_end - ap_gdt - 1
	.long TRAMP_ABS(ap_gdt)

	.balign 8
ap_tramp_params:                        /* struct ap_tramp_params (smpboot.h) */
	.fill AP_PARAM_SIZE, 1, 0
ap_tramp_end:
