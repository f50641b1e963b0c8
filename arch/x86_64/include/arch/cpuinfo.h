/* CPU identification for /proc/cpuinfo (arch/x86_64/cpuinfo.c). */
#ifndef ARCH_CPUINFO_H
#define ARCH_CPUINFO_H

#include <skiff/types.h>

struct cpu_identity {
	char vendor[13];
	char model_name[49];
	u32 family, model, stepping;
	u32 clflush_size;
	u32 phys_bits, virt_bits;
	u32 apic_id;
};

/* Identity of the calling CPU (CPUID leaves 0, 1, 0x80000002-4, 0x80000008). */
void arch_cpu_identity(struct cpu_identity *id);
/* Space-separated Linux flag names ("fpu vme de ...") for the calling CPU. */
int arch_cpu_flags(char *buf, size_t size);

#endif
