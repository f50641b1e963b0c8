/* Bringing up the application processors (APs): INIT-SIPI-SIPI, one CPU
 * at a time, each through the real-mode trampoline in ap_trampoline.S.
 *
 * Host contract: Intel MP specification 1.4 appendix B.4 and SDM vol. 3A
 * 9.4.4: INIT (assert, then de-assert on xAPIC), wait 10 ms, STARTUP with
 * vector = trampoline page number, wait 200 us, a second STARTUP if the AP
 * has not started. QEMU (TCG and KVM) honours the protocol; its APs sit in
 * wait-for-SIPI from reset. One AP per entry of platform.apic_ids[1..].
 *
 * Dependencies on the rest of the kernel:
 *   - paging.c keeps an executable identity mapping of [0, 2 MiB) in the
 *     kernel page table and allocates its root below 4 GiB: the trampoline
 *     loads arch_kernel_cr3() in 32-bit mode and runs at AP_TRAMP_PHYS with
 *     paging on (checked below; bring-up is skipped with a message if not);
 *   - kernel/main.c keeps [0, 1 MiB) out of the page allocator, so
 *     AP_TRAMP_PHYS is free for the trampoline;
 *   - udelay() from the clock code (time_init runs before smp_boot_aps).
 *
 * Sequence and ordering (labels referenced below):
 *   [P] the boot CPU prepares everything an AP needs before sending INIT:
 *       per-CPU area, stack, trampoline parameters. The stores are ordered
 *       before the IPI: the xAPIC ICR is an uncached MMIO store (x86 keeps
 *       stores in order), the x2APIC path fences (apic.c).
 *   [A] the AP stores ap_ack = cpu (release) as its first C statement: from
 *       then on it uses only its own stack and per-CPU area, and the boot
 *       CPU may rewrite the trampoline parameters for the next AP.
 *   [O] the AP increments nr_cpus_online (seq_cst) once its scheduler is
 *       ready; the boot CPU's wait reads it with acquire.
 * An AP that never acknowledges is sent INIT again (back to wait-for-SIPI),
 * so a late start cannot run with the next AP's parameters. */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/trap.h>
#include <skiff/boot.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/sched.h>
#include <skiff/smp.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include "smpboot.h"

#define INIT_DELAY_US   10000   /* MP spec B.4: 10 ms after INIT */
#define SIPI_DELAY_US   200     /* MP spec B.4: 200 us after each STARTUP */
#define START_WAIT_US   1000000 /* an AP must reach C within 1 s */
#define ONLINE_WAIT_US  1000000 /* ... and come online within 1 s of the last progress */
#define POLL_US         10

u32 cpu_apic_id[NR_CPUS];       /* [I] logical CPU -> APIC id */

static u32 ap_ack;              /* [a] see [A] */
static u64 cpu_online_mask;     /* [a] set by each CPU as it comes online */
static void *ap_stacks[NR_CPUS];/* boot CPU only; kept even when a start fails */

/* First C code on an AP, entered from the trampoline on the stack the boot
 * CPU prepared, interrupts off, GS base 0. Never returns. */
__noreturn void ap_main(unsigned cpu)
{
	__atomic_store_n(&ap_ack, cpu, __ATOMIC_RELEASE); /* [A] */
	percpu_setup_cpu(cpu);
	arch_cpu_init(cpu);
	lapic_init_cpu();
	smp_cpu_ipi_ready(cpu);
	time_init_secondary(); /* clock, clock event device, timer queue */
	sched_init_cpu();
	__atomic_fetch_or(&cpu_online_mask, 1ull << cpu, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&nr_cpus_online, 1, __ATOMIC_SEQ_CST); /* [O] */
	sched_idle_loop();
}

/* Wait up to us microseconds for *flag to become nonzero. */
static bool wait_for(const u32 *flag, u64 us)
{
	for (u64 waited = 0; !__atomic_load_n(flag, __ATOMIC_ACQUIRE); waited += POLL_US) {
		if (waited >= us)
			return false;
		udelay(POLL_US);
	}
	return true;
}

/* Start one AP and wait until it has left the trampoline. Returns 0, or a
 * negative errno after logging why. */
static int start_cpu(unsigned cpu, struct ap_tramp_params *params)
{
	u32 apic = platform.apic_ids[cpu];

	if (!lapic_is_x2apic() && apic > 255) {
		pr_err("smp: CPU %u has APIC id %u, unreachable in xAPIC mode", cpu, apic);
		return -EINVAL;
	}
	if (!ap_stacks[cpu])
		ap_stacks[cpu] = kstack_alloc();
	if (!ap_stacks[cpu] || percpu_alloc_cpu(cpu, apic) < 0) {
		pr_err("smp: no memory to start CPU %u", cpu);
		return -ENOMEM;
	}
	/* [P] */
	params->cr3 = arch_kernel_cr3();
	params->stack = (u64)ap_stacks[cpu] + KSTACK_PAGES * PAGE_SIZE;
	params->entry = (u64)ap_main;
	params->cpu = cpu;
	__atomic_store_n(&ap_ack, 0, __ATOMIC_SEQ_CST);

	lapic_send_init(apic);
	udelay(INIT_DELAY_US);
	for (int sipi = 0; sipi < 2 && !__atomic_load_n(&ap_ack, __ATOMIC_ACQUIRE); sipi++) {
		lapic_send_sipi(apic, AP_TRAMP_PHYS >> 12);
		udelay(SIPI_DELAY_US);
	}
	if (!wait_for(&ap_ack, START_WAIT_US)) {
		pr_err("smp: CPU %u (APIC id %u) did not start", cpu, apic);
		lapic_send_init(apic); /* park it: see the header */
		return -ETIMEDOUT;
	}
	return 0;
}

/* The trampoline's assumptions about the kernel page table (see header). */
static bool trampoline_usable(u64 cr3)
{
	size_t size = (size_t)(ap_tramp_end - ap_tramp_start);

	if (size > PAGE_SIZE) {
		pr_err("smp: trampoline is %zu bytes, more than a page", size);
		return false;
	}
	if (cr3 >> 32) {
		pr_err("smp: kernel page table root %#llx is above 4 GiB", (unsigned long long)cr3);
		return false;
	}
	if (kernel_virt_to_phys(AP_TRAMP_PHYS) != AP_TRAMP_PHYS) {
		pr_err("smp: trampoline page %#x is not identity-mapped", AP_TRAMP_PHYS);
		return false;
	}
	return true;
}

/* Boot CPU, interrupts on, scheduler running. Starts every CPU of
 * platform.apic_ids[1..], waits for them (bounded), prints the stable
 * contract line "cpus online: N". */
void smp_boot_aps(void)
{
	u8 *tramp = phys_to_virt(AP_TRAMP_PHYS);
	struct ap_tramp_params *params = (void *)(tramp + (ap_tramp_params - ap_tramp_start));
	u64 started = 1; /* the boot CPU */
	unsigned nstarted = 1, seen;

	for (unsigned cpu = 0; cpu < platform.ncpus; cpu++)
		cpu_apic_id[cpu] = platform.apic_ids[cpu];
	cpu_locals[0]->apic_id = cpu_apic_id[0];
	__atomic_fetch_or(&cpu_online_mask, 1ull, __ATOMIC_SEQ_CST);

	if (platform.ncpus > 1 && trampoline_usable(arch_kernel_cr3())) {
		memcpy(tramp, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
		for (unsigned cpu = 1; cpu < platform.ncpus; cpu++) {
			if (start_cpu(cpu, params) == 0) {
				started |= 1ull << cpu;
				nstarted++;
			}
		}
	}

	/* [O] Wait for every started CPU; the clock restarts on each arrival. */
	seen = __atomic_load_n(&nr_cpus_online, __ATOMIC_ACQUIRE);
	for (u64 waited = 0; seen < nstarted && waited < ONLINE_WAIT_US; waited += POLL_US) {
		unsigned now;

		udelay(POLL_US);
		now = __atomic_load_n(&nr_cpus_online, __ATOMIC_ACQUIRE);
		if (now != seen) {
			seen = now;
			waited = 0;
		}
	}
	u64 online = __atomic_load_n(&cpu_online_mask, __ATOMIC_ACQUIRE);
	for (unsigned cpu = 1; cpu < platform.ncpus; cpu++)
		if ((started & (1ull << cpu)) && !(online & (1ull << cpu)))
			pr_err("smp: CPU %u (APIC id %u) started but did not come online", cpu,
			       cpu_apic_id[cpu]);
	pr_info("cpus online: %u", __atomic_load_n(&nr_cpus_online, __ATOMIC_ACQUIRE));
}
