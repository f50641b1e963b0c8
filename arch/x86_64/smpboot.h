/* Private to arch/x86_64/{smpboot,ipi,apic}.c and ap_trampoline.S: the AP
 * trampoline's location and parameter block, and the IPI bookkeeping that
 * bring-up and the IPI code share. */
#ifndef ARCH_X86_64_SMPBOOT_H
#define ARCH_X86_64_SMPBOOT_H

/* Physical page the trampoline is copied to. [0, 1 MiB) is never handed to
 * the page allocator (kernel/main.c) and is identity-mapped by paging.c, so
 * the page is ours; it must be below 1 MiB and 4 KiB aligned (the STARTUP
 * IPI vector is its page number). */
#define AP_TRAMP_PHYS 0x8000

/* struct ap_tramp_params, at ap_tramp_params inside the copied trampoline. */
#define AP_PARAM_CR3   0  /* u64: page table root, must be < 4 GiB */
#define AP_PARAM_STACK 8  /* u64: initial RSP (top of a kstack_alloc() stack) */
#define AP_PARAM_ENTRY 16 /* u64: higher-half entry, called as entry(cpu) */
#define AP_PARAM_CPU   24 /* u32: logical CPU number */
#define AP_PARAM_SIZE  32

#ifndef __ASSEMBLER__
#include <skiff/compiler.h>

struct ap_tramp_params {
	u64 cr3;
	u64 stack;
	u64 entry;
	u32 cpu;
	u32 pad;
};
BUILD_ASSERT(sizeof(struct ap_tramp_params) == AP_PARAM_SIZE, "trampoline params size");
BUILD_ASSERT(offsetof(struct ap_tramp_params, cr3) == AP_PARAM_CR3, "params.cr3");
BUILD_ASSERT(offsetof(struct ap_tramp_params, stack) == AP_PARAM_STACK, "params.stack");
BUILD_ASSERT(offsetof(struct ap_tramp_params, entry) == AP_PARAM_ENTRY, "params.entry");
BUILD_ASSERT(offsetof(struct ap_tramp_params, cpu) == AP_PARAM_CPU, "params.cpu");

extern char ap_tramp_start[], ap_tramp_end[], ap_tramp_params[];

struct trap_frame;

/* ipi.c: CPUs that can take IPIs and NMIs (IDT loaded, local APIC set up).
 * Bit n = logical CPU n. [a], bits are only ever set. */
extern u64 cpu_ipi_mask;
/* ipi.c: register the IPI vectors and the NMI hook (boot CPU, from
 * lapic_setup, before interrupts are enabled). */
void smp_ipi_init(void);
/* ipi.c: the calling CPU (IDT and LAPIC initialised) may now receive IPIs. */
void smp_cpu_ipi_ready(unsigned cpu);
/* traps.c: called for vector 2 instead of the panic path when set. */
extern void (*nmi_hook)(struct trap_frame *tf);
#endif

#endif
