/* Local APIC: x2APIC (MSRs 0x800-0x8ff) when CPUID.1:ECX[21] offers it,
 * else xAPIC through its 4 KiB MMIO page.
 *
 * Host contract: Intel SDM vol. 3A chapter 11 (xAPIC registers 11.4, ICR
 * 11.6.1, x2APIC mode 11.12: enable by IA32_APIC_BASE EN (bit 11) then EXTD
 * (bit 10), MSR = 0x800 + offset/16, ICR is the single 64-bit MSR 0x830 and
 * has no delivery-status bit). QEMU's TCG APIC (7.2) is xAPIC only; KVM
 * offers x2APIC. PV EOI (KVM MSR 0x4b564d04) is not used.
 *
 * Mode and mapping are chosen once by the boot CPU (lapic_setup) before any
 * AP starts: x2apic and xapic_regs are [I] afterwards. Every CPU then runs
 * lapic_init_cpu() on itself. The ICR write sequence (xAPIC: wait idle, ICR
 * high, ICR low) must not be interleaved with another on the same CPU, so
 * the send functions run it with interrupts off; each CPU has its own
 * ICR, so no lock is needed between CPUs. */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/trap.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include "smpboot.h"

#define APIC_BASE_EN   (1ull << 11) /* IA32_APIC_BASE: global enable */
#define APIC_BASE_EXTD (1ull << 10) /* IA32_APIC_BASE: x2APIC mode */
#define APIC_BASE_BSP  (1ull << 8)
#define APIC_BASE_ADDR 0x000ffffffffff000ull

#define SVR_ENABLE     (1u << 8)
#define LVT_NMI        (4u << 8)    /* delivery mode NMI */

#define ICR_FIXED      (0u << 8)
#define ICR_NMI        (4u << 8)
#define ICR_INIT       (5u << 8)
#define ICR_STARTUP    (6u << 8)
#define ICR_BUSY       (1u << 12)   /* xAPIC delivery status */
#define ICR_ASSERT     (1u << 14)
#define ICR_LEVEL      (1u << 15)
#define ICR_ALL_BUT_SELF (3u << 18)

#define X2APIC_MSR(reg) (0x800u + ((reg) >> 4))
#define X2APIC_ICR 0x830u

static bool x2apic;                 /* [I] after lapic_setup */
static volatile u32 *xapic_regs;    /* [I] after lapic_setup (xAPIC mode) */

bool lapic_is_x2apic(void) { return x2apic; }

u32 lapic_read(u32 reg)
{
	if (x2apic)
		return (u32)arch_rdmsr(X2APIC_MSR(reg));
	return xapic_regs[reg / 4];
}

void lapic_write(u32 reg, u32 val)
{
	if (x2apic)
		arch_wrmsr(X2APIC_MSR(reg), val);
	else
		xapic_regs[reg / 4] = val;
}

/* The APIC id from CPUID: leaf 0xB's x2APIC id where it exists (all 32
 * bits), else the initial APIC id in leaf 1 EBX[31:24]. */
static u32 cpuid_apic_id(void)
{
	u32 a, b, c, d;

	arch_cpuid(0, 0, &a, &b, &c, &d);
	if (a >= 0xb) {
		arch_cpuid(0xb, 0, &a, &b, &c, &d);
		if (b != 0) /* EBX = 0: leaf 0xB not implemented */
			return d;
	}
	arch_cpuid(1, 0, &a, &b, &c, &d);
	return b >> 24;
}

/* Valid on any CPU at any time: before lapic_setup (platform discovery) and
 * on an AP before its lapic_init_cpu, the id comes from CPUID. */
u32 lapic_id(void)
{
	if (x2apic && (arch_rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_EXTD))
		return (u32)arch_rdmsr(X2APIC_MSR(LAPIC_ID));
	if (!x2apic && xapic_regs)
		return xapic_regs[LAPIC_ID / 4] >> 24;
	return cpuid_apic_id();
}

void lapic_eoi(void)
{
	if (x2apic)
		arch_wrmsr(X2APIC_MSR(LAPIC_EOI), 0);
	else
		xapic_regs[LAPIC_EOI / 4] = 0;
}

/* Turn on this CPU's APIC in the chosen mode (EN before EXTD: going from
 * disabled straight to x2APIC is an invalid transition). */
static void apic_enable_msr(void)
{
	u64 base = arch_rdmsr(MSR_IA32_APIC_BASE);

	if (!(base & APIC_BASE_EN)) {
		base |= APIC_BASE_EN;
		arch_wrmsr(MSR_IA32_APIC_BASE, base);
	}
	if (x2apic && !(base & APIC_BASE_EXTD))
		arch_wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
}

void lapic_setup(phys_addr_t mmio_base)
{
	u32 a, b, c, d;
	u64 msr_base;

	arch_cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & (1u << 9)))
		panic("apic: CPUID reports no local APIC; Skiff needs one");
	x2apic = c & (1u << 21);
	msr_base = arch_rdmsr(MSR_IA32_APIC_BASE);
	if (!x2apic && (msr_base & APIC_BASE_EXTD))
		x2apic = true; /* firmware left x2APIC on; leaving it needs a disable */
	apic_enable_msr();
	if (x2apic) {
		pr_info("apic: x2APIC mode");
	} else {
		phys_addr_t msr_addr = msr_base & APIC_BASE_ADDR;
		if (!mmio_base)
			mmio_base = msr_addr;
		if (mmio_base != msr_addr)
			pr_warn("apic: firmware tables say %#llx, IA32_APIC_BASE says %#llx; using the MSR",
				(unsigned long long)mmio_base, (unsigned long long)msr_addr);
		mmio_base = msr_addr;
		xapic_regs = ioremap(mmio_base, PAGE_SIZE);
		pr_info("apic: xAPIC mode at %#llx", (unsigned long long)mmio_base);
	}
	smp_ipi_init();
}

/* Contract: runs on the CPU being initialised, interrupts off, after
 * lapic_setup on the boot CPU. Leaves the APIC software-enabled, accepting
 * every priority, LVT timer/error/LINT0 masked (the I/O APIC delivers
 * device interrupts; clockevent code programs the timer), LINT1 as NMI on
 * the boot CPU only, and the error status cleared. */
void lapic_init_cpu(void)
{
	bool bsp = arch_rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_BSP;

	apic_enable_msr();
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, bsp ? LVT_NMI : LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED | VEC_SPURIOUS);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	/* ESR is cleared by a write (two back-to-back in xAPIC mode: the first
	 * latches, the second clears); x2APIC requires the value 0. */
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_ESR, 0);
	lapic_eoi(); /* drop anything in service from before */
}

/* Write the ICR. dest is an APIC id (ignored with a shorthand). */
static void icr_write(u32 dest, u32 cmd)
{
	u64 f = arch_irq_save();

	if (x2apic) {
		/* WRMSR to the ICR is not serialising: make earlier stores (a
		 * call queue entry, a flag) visible before the IPI lands. */
		__asm__ __volatile__("mfence; lfence" ::: "memory");
		arch_wrmsr(X2APIC_ICR, ((u64)dest << 32) | cmd);
	} else {
		while (xapic_regs[LAPIC_ICR_LO / 4] & ICR_BUSY)
			arch_cpu_relax();
		xapic_regs[LAPIC_ICR_HI / 4] = dest << 24;
		xapic_regs[LAPIC_ICR_LO / 4] = cmd;
		while (xapic_regs[LAPIC_ICR_LO / 4] & ICR_BUSY)
			arch_cpu_relax();
	}
	arch_irq_restore(f);
}

void lapic_send_ipi(u32 apic_id, u8 vector)
{
	icr_write(apic_id, ICR_FIXED | ICR_ASSERT | vector);
}

void lapic_send_ipi_others(u8 vector)
{
	icr_write(0, ICR_ALL_BUT_SELF | ICR_FIXED | ICR_ASSERT | vector);
}

void lapic_send_nmi_others(void)
{
	icr_write(0, ICR_ALL_BUT_SELF | ICR_NMI | ICR_ASSERT);
}

/* Intel MP spec B.4: INIT assert; xAPIC also gets the level de-assert that
 * older APICs need (x2APIC defines no de-assert). */
void lapic_send_init(u32 apic_id)
{
	icr_write(apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	if (!x2apic)
		icr_write(apic_id, ICR_INIT | ICR_LEVEL);
}

void lapic_send_sipi(u32 apic_id, u8 page)
{
	icr_write(apic_id, ICR_STARTUP | page);
}
