/* Small inline wrappers for privileged x86 instructions. This header is the
 * only place outside arch/x86_64/ C files where such instructions appear; code
 * elsewhere calls the arch_* names. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <skiff/types.h>

static inline void arch_outb(u16 port, u8 v) { __asm__ __volatile__("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void arch_outw(u16 port, u16 v) { __asm__ __volatile__("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void arch_outl(u16 port, u32 v) { __asm__ __volatile__("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 arch_inb(u16 port) { u8 v; __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 arch_inw(u16 port) { u16 v; __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 arch_inl(u16 port) { u32 v; __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline u64 arch_rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}
static inline void arch_wrmsr(u32 msr, u64 v)
{
	__asm__ __volatile__("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}
static inline void arch_cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ __volatile__("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
static inline u64 arch_rdtsc(void)
{
	u32 lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}
/* rdtsc ordered after earlier loads/stores (for interval measurement). */
static inline u64 arch_rdtsc_ordered(void)
{
	__asm__ __volatile__("lfence" ::: "memory");
	return arch_rdtsc();
}

static inline void arch_irq_enable(void) { __asm__ __volatile__("sti" ::: "memory"); }
static inline void arch_irq_disable(void) { __asm__ __volatile__("cli" ::: "memory"); }
static inline u64 arch_irq_save(void)
{
	u64 f;
	__asm__ __volatile__("pushfq; popq %0; cli" : "=r"(f)::"memory");
	return f;
}
static inline void arch_irq_restore(u64 f)
{
	if (f & (1 << 9))
		__asm__ __volatile__("sti" ::: "memory");
}
static inline bool arch_irqs_enabled(void)
{
	u64 f;
	__asm__ __volatile__("pushfq; popq %0" : "=r"(f));
	return f & (1 << 9);
}
/* sti;hlt is atomic: an interrupt arriving between them still wakes the hlt. */
static inline void arch_safe_halt(void) { __asm__ __volatile__("sti; hlt" ::: "memory"); }
static inline void arch_halt(void) { __asm__ __volatile__("hlt" ::: "memory"); }
static inline void arch_cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }

static inline u64 arch_read_cr2(void) { u64 v; __asm__ __volatile__("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u64 arch_read_cr3(void) { u64 v; __asm__ __volatile__("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void arch_write_cr3(u64 v) { __asm__ __volatile__("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void arch_invlpg(u64 va) { __asm__ __volatile__("invlpg (%0)" ::"r"(va) : "memory"); }

#define MSR_EFER 0xc0000080
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_TSC_DEADLINE 0x6e0

/* Per-CPU base lives in GS. */
static inline u64 arch_read_gs_qword(u64 off)
{
	u64 v;
	__asm__ __volatile__("movq %%gs:(%1), %0" : "=r"(v) : "r"(off));
	return v;
}

#endif
