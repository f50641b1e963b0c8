/* Per-CPU areas (see include/skiff/percpu.h for the model).
 *
 * CPU 0 uses the .data.percpu section itself (offset 0). Every other CPU
 * gets a zeroed copy from the page allocator, prepared by the boot CPU
 * before that CPU is started (percpu_alloc_cpu: allocation needs a working
 * GS on the calling CPU, which a starting AP does not have yet). The CPU
 * itself then points GS at its struct cpu_local (percpu_setup_cpu), which
 * lives in its own per-CPU area.
 *
 * Legend: [I] written by the boot CPU before the CPU it describes starts
 * (or, for CPU 0, at the top of kmain), read-only afterwards; [a] atomic. */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <skiff/boot.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/percpu.h>
#include <skiff/smp.h>
#include <skiff/string.h>

u64 __per_cpu_offset[NR_CPUS];          /* [I] */
unsigned nr_cpus_possible = 1;          /* [I] set by platform_discover */
unsigned nr_cpus_online = 1;            /* [a] the boot CPU counts from the start */
struct cpu_local *cpu_locals[NR_CPUS];  /* [I] */

static DEFINE_PER_CPU(struct cpu_local, cpu_local_area);

static void fill_cpu_local(unsigned cpu, u32 apic_id)
{
	struct cpu_local *cl = per_cpu_ptr(&cpu_local_area, cpu);

	cl->self = cl;
	cl->percpu_offset = __per_cpu_offset[cpu];
	cl->cpu_id = cpu;
	cl->apic_id = apic_id;
	cpu_locals[cpu] = cl;
}

int percpu_alloc_cpu(unsigned cpu, u32 apic_id)
{
	extern char __percpu_start[], __percpu_end[];
	size_t size = (size_t)(__percpu_end - __percpu_start);
	unsigned order = 0;
	void *area;

	if (cpu == 0 || cpu >= NR_CPUS)
		return -EINVAL;
	if (cpu_locals[cpu])
		return 0; /* already prepared */
	while (((size_t)PAGE_SIZE << order) < size)
		order++;
	area = alloc_pages(order);
	if (!area)
		return -ENOMEM;
	memset(area, 0, (size_t)PAGE_SIZE << order);
	__per_cpu_offset[cpu] = (u64)area - (u64)__percpu_start;
	fill_cpu_local(cpu, apic_id);
	return 0;
}

/* Point GS at cpu's struct cpu_local. CPU 0: the first thing kmain does
 * (no console yet, so no messages; the APIC id comes from CPUID). Other
 * CPUs: first thing in ap_main, after percpu_alloc_cpu(cpu) on the boot CPU. */
void percpu_setup_cpu(unsigned cpu)
{
	if (cpu == 0) {
		__per_cpu_offset[0] = 0;
		fill_cpu_local(0, lapic_id());
		cpu_apic_id[0] = cpu_locals[0]->apic_id;
	}
	arch_wrmsr(MSR_GS_BASE, (u64)cpu_locals[cpu]);
	arch_wrmsr(MSR_KERNEL_GS_BASE, 0);
}
