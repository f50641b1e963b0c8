/* The clock (contract in <skiff/time.h>).
 *
 * time_init() picks one source for the life of the system:
 *   kvmclock  when KVM offers KVM_FEATURE_CLOCKSOURCE2 (pv/kvmclock.c);
 *   tsc       otherwise, at the frequency arch/x86_64/tsc.c found.
 * Monotonic time counts from the TSC value saved at the PVH entry
 * (boot_tsc), so printk timestamps and boot_tsc_to_now_ns() both measure
 * guest-side time since the kernel was entered. Realtime is monotonic plus
 * an offset taken from kvmclock's wall clock or the CMOS RTC.
 *
 * Locking legend: [I] written by the boot CPU in time_init before
 * clock_src is published (release), read after it (acquire); [a] atomic;
 * [n] notify_lock.
 *
 * Monotonic across CPUs: kvmclock guarantees it itself (stable bit, or its
 * global clamp). The TSC is synchronised across vCPUs under QEMU (TCG reads
 * the host's TSC; KVM keeps one offset); on top of that each CPU clamps its
 * own readings so that one CPU never sees time go back. */
#include <arch/cpu.h>
#include <arch/tsc.h>
#include <skiff/boot.h>
#include <skiff/clocksource.h>
#include <skiff/errno.h>
#include <skiff/hypervisor.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <skiff/timer.h>

enum clock_src { SRC_NONE, SRC_TSC, SRC_KVMCLOCK };

static int clock_src;                  /* [I] published last */
static u64 tsc_base;                   /* [I] TSC value at monotonic 0 */
static struct clock_scale tsc_to_ns;   /* [I] */
static struct clock_scale cycles_to_ns;/* [I] clock_cycles_to_ns, either source */
static u64 kvm_base;                   /* [I] kvmclock system time at monotonic 0 */
static s64 realtime_offset;            /* [a] realtime - monotonic */
static DEFINE_PER_CPU(u64, mono_last); /* [a] largest value this CPU returned */

#define MAX_CLOCK_HOOKS 8
static DEFINE_SPINLOCK(notify_lock);
static void (*clock_hooks[MAX_CLOCK_HOOKS])(void); /* [n] */
static unsigned nr_clock_hooks;                      /* [n] */

static u64 read_source(int src)
{
	if (src == SRC_KVMCLOCK) {
		u64 raw = kvmclock_read_ns();
		return raw > kvm_base ? raw - kvm_base : 0;
	}
	u64 tsc = arch_rdtsc_ordered();
	return tsc > tsc_base ? clock_scale_apply(&tsc_to_ns, tsc - tsc_base) : 0;
}

/* Any context. 0 before time_init(). */
u64 clock_monotonic_ns(void)
{
	int src = __atomic_load_n(&clock_src, __ATOMIC_ACQUIRE);
	u64 ns, last, *lastp;

	if (src == SRC_NONE)
		return 0;
	ns = read_source(src);
	/* Per-CPU clamp, lock-free: an interrupt or a migration in between
	 * only ever pushes the stored value forward. */
	lastp = this_cpu_ptr(&mono_last);
	last = __atomic_load_n(lastp, __ATOMIC_RELAXED);
	do {
		if (ns <= last)
			return last;
	} while (!__atomic_compare_exchange_n(lastp, &last, ns, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return ns;
}

u64 clock_cycles_to_ns(u64 cycles)
{
	return clock_scale_apply(&cycles_to_ns, cycles);
}

u64 clock_realtime_ns(void)
{
	return clock_monotonic_ns() + (u64)__atomic_load_n(&realtime_offset, __ATOMIC_ACQUIRE);
}

/* Any context. Hooks run after the new offset is visible. */
void clock_set_realtime(u64 ns)
{
	void (*hooks[MAX_CLOCK_HOOKS])(void);
	unsigned n;

	__atomic_store_n(&realtime_offset, (s64)(ns - clock_monotonic_ns()), __ATOMIC_RELEASE);
	u64 f = spin_lock_irqsave(&notify_lock);
	n = nr_clock_hooks;
	for (unsigned i = 0; i < n; i++)
		hooks[i] = clock_hooks[i];
	spin_unlock_irqrestore(&notify_lock, f);
	for (unsigned i = 0; i < n; i++)
		hooks[i]();
}

void clock_was_set_register(void (*fn)(void))
{
	u64 f = spin_lock_irqsave(&notify_lock);

	if (nr_clock_hooks == MAX_CLOCK_HOOKS)
		panic("clock: more than %u clock_was_set hooks", MAX_CLOCK_HOOKS);
	clock_hooks[nr_clock_hooks++] = fn;
	spin_unlock_irqrestore(&notify_lock, f);
}

u64 boot_tsc_to_now_ns(void)
{
	return clock_monotonic_ns();
}

/* Busy-wait at least us microseconds. Any context. */
void udelay(u64 us)
{
	if (__atomic_load_n(&clock_src, __ATOMIC_ACQUIRE) == SRC_NONE) {
		tsc_early_delay_us(us);
		return;
	}
	u64 end = clock_monotonic_ns() + us * NSEC_PER_USEC;
	while (clock_monotonic_ns() < end)
		arch_cpu_relax();
}

/* "YYYY-MM-DD HH:MM:SS" for a Unix time (Hinnant's civil_from_days). */
static void format_utc(char *buf, size_t len, u64 unix_sec)
{
	s64 z = (s64)(unix_sec / 86400) + 719468;
	u64 rem = unix_sec % 86400;
	s64 era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	s64 y = (s64)yoe + era * 400 + (m <= 2);

	snprintf(buf, len, "%04lld-%02u-%02u %02u:%02u:%02u UTC", (long long)y, m, d,
		 (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
}

/* Why kvmclock is not the source, for the clocksource line. */
static const char *kvmclock_refusal(int err, char *buf, size_t len)
{
	if (err == -EIO)
		return "kvmclock offered but its area stayed empty";
	if (hv.kind == HV_KVM)
		snprintf(buf, len, "kvmclock not offered: KVM features %#x lack CLOCKSOURCE2",
			 hv.kvm_features);
	else if (hv.kind == HV_NONE)
		snprintf(buf, len, "kvmclock not offered: no hypervisor");
	else
		snprintf(buf, len, "kvmclock not offered: hypervisor %s", hypervisor_name());
	return buf;
}

static void realtime_init(int src)
{
	char date[40];
	u64 wall, sec;

	if (src == SRC_KVMCLOCK && kvmclock_wallclock(&wall) == 0) {
		/* realtime = wall + kvmclock = wall + monotonic + kvm_base */
		__atomic_store_n(&realtime_offset, (s64)(wall + kvm_base), __ATOMIC_RELEASE);
		format_utc(date, sizeof(date), clock_realtime_ns() / NSEC_PER_SEC);
		pr_info("clock: wall clock from kvmclock (MSR_KVM_WALL_CLOCK_NEW): %s", date);
	} else if (cmos_rtc_read(&sec) == 0) {
		__atomic_store_n(&realtime_offset, (s64)(sec * NSEC_PER_SEC - clock_monotonic_ns()),
				 __ATOMIC_RELEASE);
		format_utc(date, sizeof(date), sec);
		pr_info("clock: wall clock from CMOS RTC: %s", date);
	} else {
		__atomic_store_n(&realtime_offset, -(s64)clock_monotonic_ns(), __ATOMIC_RELEASE);
		pr_warn("clock: wall clock unknown (no kvmclock, CMOS RTC unreadable); starting at the epoch");
	}
}

/* Boot CPU, after ACPI/APIC discovery and the memory manager. Chooses the
 * clock source, prints exactly one "clocksource: " line, sets realtime, then
 * brings up this CPU's clock event device. */
void time_init(void)
{
	char why[96];
	int src, err;

	hypervisor_detect();
	err = kvmclock_init();
	if (err == 0) {
		tsc_set_hz(kvmclock_tsc_hz(), "kvmclock");
		tsc_init(); /* reports the frequency and invariance */
		kvm_base = kvmclock_ns_at_tsc(boot_tsc);
		src = SRC_KVMCLOCK;
	} else {
		if (tsc_init() < 0) {
			tsc_set_hz(1000000000ull, "a guess");
			pr_err("clock: TSC frequency unknown; assuming 1 GHz: time will be wrong");
		}
		tsc_base = boot_tsc;
		if (!tsc_base || tsc_base > arch_rdtsc())
			tsc_base = arch_rdtsc();
		tsc_to_ns = clock_scale_compute(NSEC_PER_SEC, tsc_info.hz);
		src = SRC_TSC;
	}
	if (tsc_info.hz)
		cycles_to_ns = clock_scale_compute(NSEC_PER_SEC, tsc_info.hz);
	__atomic_store_n(&clock_src, src, __ATOMIC_RELEASE);

	u64 khz = tsc_info.hz / 1000;
	if (src == SRC_KVMCLOCK)
		pr_info("clocksource: kvmclock (KVM CLOCKSOURCE2, %s; TSC %llu.%llu MHz)",
			kvmclock_stable() ? "stable bit set" : "not stable: clamped across CPUs",
			(unsigned long long)(khz / 1000), (unsigned long long)(khz % 1000 / 100));
	else
		pr_info("clocksource: tsc (%llu.%llu MHz, %s %s; %s)",
			(unsigned long long)(khz / 1000), (unsigned long long)(khz % 1000 / 100),
			tsc_info.calibrated ? "calibrated against" : "from", tsc_info.source,
			kvmclock_refusal(err, why, sizeof(why)));

	realtime_init(src);
	clockevent_init_cpu();
}

/* Each AP, on itself, before it takes interrupts: its kvmclock area, clock
 * event device and timer queue. */
void time_init_secondary(void)
{
	kvmclock_init_secondary();
	clockevent_init_cpu();
	timers_init_cpu();
}

/* For the vDSO (arch/x86_64/vdso.c): when the TSC is the clock source, the
 * conversion clock_monotonic_ns() uses (scale(tsc - tsc_base)) and the
 * current realtime offset. Returns 0, or -ENODEV with kvmclock or before
 * time_init() (the vDSO then falls back to system calls). */
int clock_vdso_params(u64 *tsc_base_out, u32 *mul, s8 *shift, s64 *rt_offset)
{
	if (__atomic_load_n(&clock_src, __ATOMIC_ACQUIRE) != SRC_TSC)
		return -ENODEV;
	*tsc_base_out = tsc_base;
	*mul = tsc_to_ns.mul;
	*shift = tsc_to_ns.shift;
	*rt_offset = __atomic_load_n(&realtime_offset, __ATOMIC_ACQUIRE);
	return 0;
}
