/* What the boot CPU learned from the PVH start_info, kept for later
 * subsystems (the initramfs is module 0). */
#ifndef SKIFF_BOOT_H
#define SKIFF_BOOT_H

#include <skiff/mm.h>

#define MAX_BOOT_MODULES 4

struct boot_module {
	phys_addr_t start;
	u64 size;
	const char *cmdline;
};

struct boot_info {
	phys_addr_t rsdp;
	unsigned nmodules;
	struct boot_module modules[MAX_BOOT_MODULES];
	u64 ram_bytes;      /* RAM in the memory map */
};

extern struct boot_info boot_info;
extern u64 boot_tsc; /* TSC at the PVH entry (arch/x86_64/boot.S) */

void kmain(u32 start_info_phys);
/* Start the per-CPU area of cpu (offset 0 for CPU 0) and point GS at it. */
void percpu_setup_cpu(unsigned cpu);

#endif
