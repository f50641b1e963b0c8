/* PVH entry. The VMM loads the image at its physical addresses and enters
 * pvh_start32 in 32-bit protected mode, paging off, flat segments, %ebx =
 * physical address of struct hvm_start_info (see include/abi/pvh.h).
 *
 * We record the TSC (guest-side boot time starts here), build a temporary
 * page table that maps the first 1 GiB three times (identity, at
 * KERNEL_BASE, and at DIRECT_MAP_BASE), switch to long mode and call
 * kmain(start_info_phys) on the boot stack in the higher half. kmain then
 * builds the real page tables (arch/x86_64/paging.c). */
#include <skiff/layout.h>
#include <abi/pvh.h>

#define PHYS(x) ((x) - KERNEL_BASE)

	.section .note.Xen, "a"
	.align 4
	.long 4                         /* name size: "Xen\0" */
	.long 4                         /* descriptor size */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.align 4
	.long pvh_start32
	.align 4

	.section .boot.text, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	movl %ebx, %edi                 /* keep start_info in edi */
	rdtsc
	movl %eax, PHYS(boot_tsc)
	movl %edx, PHYS(boot_tsc) + 4
	movl %edi, PHYS(boot_start_info)
	movl $PHYS(boot_stack_top), %esp

	/* PD: 512 x 2 MiB pages covering [0, 1 GiB). */
	movl $PHYS(boot_pd), %ebx
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax                 /* present, writable, 2 MiB page */
	movl %eax, (%ebx, %ecx, 8)
	movl $0, 4(%ebx, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jne 1b

	/* CR4.PAE|PGE, CR3, EFER.LME (+NXE when CPUID says NX), CR0.PG|WP. */
	movl %cr4, %eax
	orl $0xa0, %eax
	movl %eax, %cr4
	movl $PHYS(boot_pml4), %eax
	movl %eax, %cr3
	movl $0x80000001, %eax
	cpuid
	movl $0x100, %esi               /* LME */
	testl $(1 << 20), %edx
	jz 2f
	orl $0x800, %esi                /* NXE */
2:	movl $0xc0000080, %ecx
	rdmsr
	orl %esi, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax           /* PG | WP | PE */
	movl %eax, %cr0

	lgdt boot_gdt_desc
	ljmp $0x08, $1f
	.code64
1:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movabsq $higher_half, %rax
	jmp *%rax

	.text
higher_half:
	movabsq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	lgdt boot_gdt_desc64
	movl boot_start_info, %edi
	call kmain
3:	cli
	hlt
	jmp 3b

	.section .boot.data, "aw"
	.align 16
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit kernel code */
	.quad 0x00cf92000000ffff        /* 0x10: kernel data */
boot_gdt_end:
boot_gdt_desc:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt

	.data
	.align 16
boot_gdt_desc64:
	.word boot_gdt_end - boot_gdt - 1
	.quad boot_gdt + KERNEL_BASE

	.globl boot_tsc, boot_start_info
	.align 8
boot_tsc:
	.quad 0
boot_start_info:
	.quad 0

	.align 4096
	.globl boot_pml4
boot_pml4:
	.quad PHYS(boot_pdpt) + 3       /* 0: identity */
	.fill 272, 8, 0
	.quad PHYS(boot_pdpt) + 3       /* 273: DIRECT_MAP_BASE */
	.fill 237, 8, 0
	.quad PHYS(boot_pdpt_high) + 3  /* 511: KERNEL_BASE */
boot_pdpt:
	.quad PHYS(boot_pd) + 3
	.fill 511, 8, 0
boot_pdpt_high:
	.fill 510, 8, 0
	.quad PHYS(boot_pd) + 3         /* 510: 0xffffffff80000000 */
	.quad 0
boot_pd:
	.fill 512, 8, 0

	.section .bss
	.align 4096
	.globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
	.skip 16384
boot_stack_top:
