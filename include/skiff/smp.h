/* Multiprocessor support: AP bring-up and inter-processor calls
 * (arch/x86_64/smpboot.c, arch/x86_64/ipi.c). */
#ifndef SKIFF_SMP_H
#define SKIFF_SMP_H

#include <skiff/percpu.h>

/* Start every CPU in platform.apic_ids (INIT-SIPI-SIPI). Each AP runs
 * arch_cpu_init, lapic_init_cpu, time_init_secondary, sched_init_cpu and
 * enters its idle loop. Returns when all of them are online (or after a
 * timeout, reporting the ones that did not start). Then prints
 * "cpus online: N". */
void smp_boot_aps(void);

/* Ask cpu to reschedule (VEC_RESCHEDULE). */
void smp_send_reschedule(unsigned cpu);
/* Run fn(arg) on cpu in interrupt context; wait=true returns after it ran.
 * Running on the calling CPU calls fn directly with irqs off. */
void smp_call_function_single(unsigned cpu, void (*fn)(void *), void *arg, bool wait);
/* Run fn(arg) on every other online CPU, then optionally wait. */
void smp_call_function_others(void (*fn)(void *), void *arg, bool wait);
/* Invalidate [va, va + npages pages) in the TLB of every online CPU using
 * address space root cr3 (0 = kernel mappings: all CPUs). */
void tlb_shootdown(u64 cr3, u64 va, u64 npages);
/* Load cr3 on this CPU and note it, so that shootdowns for other address
 * spaces skip this CPU. Every change of CR3 to or from a user address
 * space goes through here. Interrupts off. */
void tlb_switch_cr3(u64 cr3);
/* panic(): stop every other CPU (NMI). */
void smp_stop_others(void);

/* kernel/percpu.c: allocate cpu's per-CPU area (every variable zeroed) and
 * fill its struct cpu_local, so that percpu_setup_cpu(cpu) on that CPU only
 * has to load GS. Boot CPU, before starting cpu. Returns 0 or -ENOMEM. */
int percpu_alloc_cpu(unsigned cpu, u32 apic_id);

extern u32 cpu_apic_id[NR_CPUS];
/* Counters printed with the idle statistics. */
extern u64 ipi_sent[NR_CPUS];

#endif
