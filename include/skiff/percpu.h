/* Per-CPU variables, as in Linux: DEFINE_PER_CPU places a variable in the
 * .data.percpu section; every CPU owns a copy at __per_cpu_offset[cpu] bytes
 * from the section's link address. CPU 0 uses the section itself. Every
 * per-CPU variable starts zeroed on every CPU; subsystems initialise their own
 * copies from their per-CPU init hooks.
 *
 * The GS base of each CPU points at its struct cpu_local, whose layout is
 * fixed because assembly (syscall entry, context switch) reads it. */
#ifndef SKIFF_PERCPU_H
#define SKIFF_PERCPU_H

#include <skiff/compiler.h>

#define NR_CPUS 64

struct thread;

struct cpu_local {
	struct cpu_local *self;  /* 0:  [I] this struct's address */
	u64 percpu_offset;       /* 8:  [I] __per_cpu_offset[cpu_id] */
	struct thread *cur;      /* 16: [c] running thread; written by this CPU only */
	u64 kstack_top;          /* 24: [c] top of current's kernel stack (syscall entry, TSS.rsp0) */
	u64 user_rsp;            /* 32: [c] scratch for the syscall entry */
	u32 cpu_id;              /* 40: [I] logical CPU number, 0 = boot CPU */
	u32 apic_id;             /* 44: [I] */
	int preempt_count;       /* 48: [c] >0 disables preemption */
	int in_irq;              /* 52: [c] nesting depth of interrupt handlers */
};
BUILD_ASSERT(offsetof(struct cpu_local, cur) == 16, "asm offset");
BUILD_ASSERT(offsetof(struct cpu_local, kstack_top) == 24, "asm offset");
BUILD_ASSERT(offsetof(struct cpu_local, user_rsp) == 32, "asm offset");
BUILD_ASSERT(offsetof(struct cpu_local, cpu_id) == 40, "asm offset");

#define DEFINE_PER_CPU(type, name) \
	__section(".data.percpu") __typeof__(type) name
#define DECLARE_PER_CPU(type, name) extern __typeof__(type) name

extern u64 __per_cpu_offset[NR_CPUS];

#define per_cpu_ptr(ptr, cpu) \
	((__typeof__(ptr))((char *)(ptr) + __per_cpu_offset[(cpu)]))
#define per_cpu(var, cpu) (*per_cpu_ptr(&(var), (cpu)))

#ifdef SKIFF_HOST_TEST
/* Host unit tests: one CPU whose per-CPU copy is the variable itself. */
extern struct cpu_local host_cpu_local;
static inline struct cpu_local *this_cpu_local(void) { return &host_cpu_local; }
#else
static inline struct cpu_local *this_cpu_local(void)
{
	struct cpu_local *c;
	__asm__ __volatile__("movq %%gs:0, %0" : "=r"(c));
	return c;
}
#endif

#define this_cpu_ptr(ptr) \
	((__typeof__(ptr))((char *)(ptr) + this_cpu_local()->percpu_offset))
#define this_cpu(var) (*this_cpu_ptr(&(var)))

static inline unsigned this_cpu_id(void) { return this_cpu_local()->cpu_id; }

/* Number of CPUs found by firmware tables, and of CPUs running. */
extern unsigned nr_cpus_possible;
extern unsigned nr_cpus_online;
extern struct cpu_local *cpu_locals[NR_CPUS];

#endif
