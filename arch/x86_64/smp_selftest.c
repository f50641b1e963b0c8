/* SMP self-test (skiff.selftest=smp): every online CPU answers function
 * calls (waited and not), in interrupt context; a TLB shootdown makes every
 * CPU see a changed kernel mapping (without it, a CPU that had cached the old
 * translation keeps reading the old page: QEMU's TLB model keeps entries
 * until invlpg/CR3); two CPUs shooting down at each other with interrupts off
 * do not deadlock ([T] in ipi.c); reschedule IPIs are counted.
 *
 * I/O APIC self-test (skiff.selftest=ioapic): ISA IRQ 0 routed through the
 * platform's override (GSI 2 on QEMU) to a fresh vector on CPU 0 delivers
 * the interrupt of a one-shot PIT channel 0 count (8254 mode 0: OUT0 rises
 * at terminal count); masked, it does not. Uses one device vector for good
 * (irq_alloc_vector has no free). */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/trap.h>
#include <skiff/platform.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/selftest.h>
#include <skiff/smp.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include "smpboot.h"

#define ASYNC_WAIT_US 5000000
#define SHOOT_ROUNDS 20 /* per CPU; spinning vCPUs are slow when the host is overcommitted */

static u32 ran_on[NR_CPUS];     /* [a] cpu + 1 written by the callee */
static u32 ran_in_irq[NR_CPUS]; /* [a] */
static u32 async_count;         /* [a] */

static void record_cpu(void *arg)
{
	unsigned me = this_cpu_id();

	__atomic_store_n(&ran_on[me], me + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&ran_in_irq[me], this_cpu_local()->in_irq > 0 && !arch_irqs_enabled(),
			 __ATOMIC_RELAXED);
}

static void count_async(void *arg)
{
	__atomic_fetch_add(&async_count, 1, __ATOMIC_SEQ_CST);
}

static volatile u64 *probe_va;
static u64 probe_seen[NR_CPUS];

static void read_probe(void *arg)
{
	probe_seen[this_cpu_id()] = *probe_va;
}

static void shoot_many(void *arg)
{
	for (int i = 0; i < SHOOT_ROUNDS; i++)
		tlb_shootdown(0, (u64)arg, 1);
	__atomic_fetch_add(&async_count, 1, __ATOMIC_SEQ_CST);
}

static u64 others_mask(void)
{
	return __atomic_load_n(&cpu_ipi_mask, __ATOMIC_ACQUIRE) & ~(1ull << this_cpu_id());
}

static unsigned popcount(u64 m)
{
	unsigned n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

static bool wait_count(u32 want)
{
	for (u64 us = 0; us < ASYNC_WAIT_US; us += 100) {
		if (__atomic_load_n(&async_count, __ATOMIC_SEQ_CST) >= want)
			return true;
		udelay(100);
	}
	return false;
}

static int test_calls(void)
{
	u64 online = __atomic_load_n(&cpu_ipi_mask, __ATOMIC_ACQUIRE), others;
	unsigned n;

	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		if (!(online & (1ull << cpu)))
			continue;
		ran_on[cpu] = 0;
		smp_call_function_single(cpu, record_cpu, NULL, true);
		if (ran_on[cpu] != cpu + 1) {
			pr_err("smp: call to CPU %u ran on %d", cpu, (int)ran_on[cpu] - 1);
			return -1;
		}
		if (!ran_in_irq[cpu] && cpu != this_cpu_id()) {
			pr_err("smp: call on CPU %u did not run in interrupt context", cpu);
			return -1;
		}
	}

	preempt_disable(); /* others_mask() names this CPU */
	others = others_mask();
	n = popcount(others);
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		ran_on[cpu] = 0;
	smp_call_function_others(record_cpu, NULL, true);
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		bool want = others & (1ull << cpu);
		if (want != (ran_on[cpu] == cpu + 1)) {
			pr_err("smp: call_function_others: CPU %u %s", cpu,
			       want ? "did not run it" : "ran it but should not have");
			preempt_enable();
			return -1;
		}
	}
	__atomic_store_n(&async_count, 0, __ATOMIC_SEQ_CST);
	for (int round = 0; round < 50; round++)
		smp_call_function_others(count_async, NULL, false);
	preempt_enable();
	if (!wait_count(50 * n)) {
		pr_err("smp: %u of %u asynchronous calls ran", async_count, 50 * n);
		return -1;
	}
	return 0;
}

/* Remap the first page of a kernel stack slot from page A to page B and
 * check that every CPU reads B after the shootdown. */
static int test_shootdown(void)
{
	u64 *a = alloc_page_zeroed(), *b = alloc_page_zeroed();
	void *stack = kstack_alloc();
	u64 online = __atomic_load_n(&cpu_ipi_mask, __ATOMIC_ACQUIRE);
	phys_addr_t orig;
	int err = 0;

	if (!a || !b || !stack) {
		err = -ENOMEM;
		goto out;
	}
	a[0] = 0xaaaa;
	b[0] = 0xbbbb;
	probe_va = stack;
	orig = kernel_virt_to_phys((u64)stack);
	kernel_map_page((u64)stack, virt_to_phys(a), PAGE_KERNEL_RW);
	tlb_shootdown(0, (u64)stack, 1);
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) /* every CPU caches A */
		if (online & (1ull << cpu))
			smp_call_function_single(cpu, read_probe, NULL, true);
	kernel_map_page((u64)stack, virt_to_phys(b), PAGE_KERNEL_RW);
	tlb_shootdown(0, (u64)stack, 1);
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		if (!(online & (1ull << cpu)))
			continue;
		smp_call_function_single(cpu, read_probe, NULL, true);
		if (probe_seen[cpu] != 0xbbbb) {
			pr_err("smp: CPU %u still reads %#llx after the shootdown", cpu,
			       (unsigned long long)probe_seen[cpu]);
			err = -1;
		}
	}
	kernel_map_page((u64)stack, orig, PAGE_KERNEL_RW);
	tlb_shootdown(0, (u64)stack, 1);

	/* Crossed shootdowns with interrupts off on every CPU at once. */
	if (!err) {
		u64 f;
		unsigned n;

		/* Interrupts off but no preempt_disable: holding no lock is
		 * what [T] requires (and what its debug warning checks). */
		f = arch_irq_save();
		n = popcount(others_mask());
		__atomic_store_n(&async_count, 0, __ATOMIC_SEQ_CST);
		smp_call_function_others(shoot_many, stack, false);
		for (int i = 0; i < SHOOT_ROUNDS; i++)
			tlb_shootdown(0, (u64)stack, 1);
		arch_irq_restore(f);
		if (!wait_count(n)) {
			pr_err("smp: crossed shootdowns: %u of %u CPUs finished", async_count, n);
			err = -1;
		}
	}
out:
	if (stack)
		kstack_free(stack);
	if (a)
		free_page(a);
	if (b)
		free_page(b);
	return err;
}

static int test_resched(void)
{
	unsigned me, target;
	u64 before;

	preempt_disable();
	me = this_cpu_id();
	target = me;
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		if (others_mask() & (1ull << cpu))
			target = cpu;
	before = __atomic_load_n(&ipi_sent[me], __ATOMIC_RELAXED);
	if (target != me)
		smp_send_reschedule(target);
	preempt_enable();
	if (target != me && __atomic_load_n(&ipi_sent[me], __ATOMIC_RELAXED) != before + 1) {
		pr_err("smp: reschedule IPI to CPU %u not counted", target);
		return -1;
	}
	return 0;
}

static int test_smp(void)
{
	int err;

	pr_info("smp: %u CPUs online", nr_cpus_online);
	if ((err = test_calls()) || (err = test_shootdown()) || (err = test_resched()))
		return err;
	return 0;
}
SELFTEST(smp, test_smp);

static u32 pit_hits; /* [a] */

static void pit_irq(struct trap_frame *tf, void *arg)
{
	__atomic_fetch_add(&pit_hits, 1, __ATOMIC_SEQ_CST);
}

/* PIT channel 0, mode 0, count ~1 ms: one rising edge on IRQ 0. */
static void pit_fire_once(void)
{
	arch_outb(0x43, 0x30);
	arch_outb(0x40, 1193 & 0xff);
	arch_outb(0x40, 1193 >> 8);
}

static bool wait_hits(u32 want, u64 us)
{
	for (u64 t = 0; t < us; t += 100) {
		if (__atomic_load_n(&pit_hits, __ATOMIC_SEQ_CST) >= want)
			return true;
		udelay(100);
	}
	return __atomic_load_n(&pit_hits, __ATOMIC_SEQ_CST) >= want;
}

static int test_ioapic(void)
{
	unsigned gsi = 0;
	int vec, err = 0;

	for (unsigned i = 0; i < platform.noverrides; i++)
		if (platform.overrides[i].isa_irq == 0)
			gsi = platform.overrides[i].gsi;
	if (!platform.nioapics) {
		pr_err("ioapic: no IOAPIC on this machine");
		return -1;
	}
	vec = irq_alloc_vector();
	if (vec < 0)
		return -ENOSPC;
	irq_set_handler((unsigned)vec, pit_irq, NULL);
	__atomic_store_n(&pit_hits, 0, __ATOMIC_SEQ_CST);
	if (ioapic_route_isa_irq(0, (u8)vec, cpu_apic_id[0]) < 0)
		return -1;
	pit_fire_once();
	if (!wait_hits(1, 200000)) {
		pr_err("ioapic: no interrupt from ISA IRQ 0 (GSI %u, vector %d)", gsi, vec);
		err = -1;
	}
	ioapic_mask_gsi(gsi, true);
	__atomic_store_n(&pit_hits, 0, __ATOMIC_SEQ_CST);
	pit_fire_once();
	if (wait_hits(1, 20000)) {
		pr_err("ioapic: masked GSI %u still delivered", gsi);
		err = -1;
	}
	pr_info("ioapic: ISA IRQ 0 -> GSI %u -> vector %d on APIC id %u: %s", gsi, vec,
		cpu_apic_id[0], err ? "broken" : "delivered, and silent when masked");
	return err;
}
SELFTEST(ioapic, test_ioapic);
