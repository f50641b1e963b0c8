/* kvmclock: KVM's paravirtual clock (Documentation/virt/kvm/x86/msr.rst).
 *
 * Host contract: offered when CPUID 0x40000001 EAX has KVM_FEATURE_CLOCKSOURCE2
 * (MSRs 0x4b564d00/01). Each vCPU writes the physical address of its own
 * 32-byte struct pvclock_vcpu_time_info | 1 to MSR_KVM_SYSTEM_TIME_NEW; KVM
 * fills it before the vCPU next runs and rewrites it whenever the host's
 * clock parameters change. The old MSRs (KVM_FEATURE_CLOCKSOURCE only) are
 * not used: every KVM since 2.6.35 offers the new ones. The stable bit is
 * honoured only when KVM_FEATURE_CLOCKSOURCE_STABLE_BIT says the flag means
 * something; otherwise reads go through the global monotonic clamp
 * (pv/pvclock.c, (M)). Under QEMU TCG none of this exists: hv.kind is HV_TCG
 * and kvmclock_init() returns -ENODEV.
 *
 * Locking legend: [I] written by the boot CPU in kvmclock_init before any
 * reader, [c] written only by the CPU it belongs to, [h] written by the
 * hypervisor (read with the version protocol). */
#include <abi/pvclock.h>
#include <arch/cpu.h>
#include <skiff/clocksource.h>
#include <skiff/errno.h>
#include <skiff/hypervisor.h>
#include <skiff/layout.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>

/* One area per vCPU, each on its own cache line (and so never across a
 * page boundary, which the ABI forbids). In the image, so virt_to_phys is
 * valid from the first instruction. */
struct kvmclock_area {
	struct pvclock_vcpu_time_info pvti; /* [h] */
	u8 pad[32];
} __aligned(64);
BUILD_ASSERT(sizeof(struct kvmclock_area) == 64, "one cache line per vCPU");

static struct kvmclock_area areas[NR_CPUS];
static struct pvclock_wall_clock wall __aligned(16); /* [h] */
static bool registered[NR_CPUS];  /* [c] this CPU's area is live */
static bool trust_stable;         /* [I] */
static bool active;               /* [I] kvmclock is in use */

/* Hand this CPU's area to KVM. Returns true when KVM wrote it (the MSR
 * write makes KVM update the area before the vCPU resumes). */
static bool kvmclock_register(unsigned cpu)
{
	volatile struct pvclock_vcpu_time_info *p = &areas[cpu].pvti;

	arch_wrmsr(MSR_KVM_SYSTEM_TIME_NEW, virt_to_phys(&areas[cpu].pvti) | KVM_MSR_ENABLED);
	if (p->version == 0 || p->tsc_to_system_mul == 0) {
		arch_wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
		return false;
	}
	WRITE_ONCE(registered[cpu], true);
	return true;
}

/* Contract in <skiff/clocksource.h>. Boot CPU, once, before any reader. */
int kvmclock_init(void)
{
	if (!kvm_has_feature(KVM_FEATURE_CLOCKSOURCE2))
		return -ENODEV;
	trust_stable = kvm_has_feature(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
	if (!kvmclock_register(this_cpu_id())) {
		pr_warn("kvmclock: MSR_KVM_SYSTEM_TIME_NEW accepted but the area stayed empty");
		return -EIO;
	}
	active = true;
	u8 flags;
	(void)pvclock_read(&areas[this_cpu_id()].pvti, &flags);
	pr_info("kvmclock: cpu %u area at %#llx, stable bit %s", this_cpu_id(),
		(unsigned long long)virt_to_phys(&areas[this_cpu_id()].pvti),
		!trust_stable ? "not offered (clamping across CPUs)"
		: (flags & PVCLOCK_TSC_STABLE_BIT) ? "set" : "offered but clear (clamping across CPUs)");
	return 0;
}

/* Each AP, on itself. Until this ran (or if KVM refused), the CPU reads the
 * boot CPU's area through the global clamp. */
void kvmclock_init_secondary(void)
{
	if (!active)
		return;
	if (!kvmclock_register(this_cpu_id()))
		pr_warn("kvmclock: cpu %u: area stayed empty; using cpu 0's with clamping",
			this_cpu_id());
}

/* KVM system time in ns. Any context. Interrupts are held off so the CPU
 * cannot change between choosing the area and reading the TSC. */
u64 kvmclock_read_ns(void)
{
	u64 f = arch_irq_save();
	unsigned cpu = this_cpu_id();
	bool own = READ_ONCE(registered[cpu]);
	u64 ns = pvclock_read_monotonic(&areas[own ? cpu : 0].pvti, trust_stable && own);

	arch_irq_restore(f);
	return ns;
}

u64 kvmclock_ns_at_tsc(u64 tsc)
{
	return pvclock_ns_at_tsc(&areas[0].pvti, tsc);
}

u64 kvmclock_tsc_hz(void)
{
	return pvclock_tsc_hz(&areas[0].pvti);
}

bool kvmclock_stable(void)
{
	u8 flags;

	if (!active || !trust_stable)
		return false;
	(void)pvclock_read(&areas[0].pvti, &flags);
	return flags & PVCLOCK_TSC_STABLE_BIT;
}

/* Contract in <skiff/clocksource.h>. Boot CPU. */
int kvmclock_wallclock(u64 *ns)
{
	if (!active)
		return -ENODEV;
	arch_wrmsr(MSR_KVM_WALL_CLOCK_NEW, virt_to_phys(&wall));
	volatile struct pvclock_wall_clock *w = &wall;

	if (w->version == 0)
		return -EIO;
	*ns = pvclock_read_wallclock(&wall);
	return 0;
}
