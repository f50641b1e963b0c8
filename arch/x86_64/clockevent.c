/* Clock event device: the local APIC timer of each CPU, fired once at the
 * earliest pending timer (contract in <skiff/timer.h>).
 *
 * Hardware contract (SDM vol. 3A, 11.5.4):
 *  - TSC-deadline mode when CPUID.1:ECX[24]: LVT timer mode 2 (bits 18:17),
 *    then IA32_TSC_DEADLINE (MSR 0x6e0) = TSC value to fire at; 0 disarms; a
 *    value already passed fires at once. The LVT write must be visible
 *    before the MSR write (mfence), and the MSR write is not serialising
 *    (mfence; lfence before it, as Linux does).
 *  - Otherwise one-shot mode: divide configuration 16 (0b0011), initial
 *    count in ticks, 0 stops it. The tick rate is measured once on the boot
 *    CPU against the clock; every CPU shares it (same bus clock).
 * QEMU's userspace APIC (TCG) has no TSC-deadline mode; with `-accel kvm`
 * the in-kernel APIC has it when the CPU model offers it.
 *
 * Deadlines are converted to a delta from now, capped at MAX_DELTA_NS (the
 * handler re-arms when a capped interrupt arrives early) and rounded up;
 * a deadline in the past programs the smallest delta. The conversions err
 * towards late, and kernel/time/timer.c re-checks the clock anyway, so an
 * early interrupt costs one extra interrupt and never an early timer. */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/trap.h>
#include <arch/tsc.h>
#include <skiff/clocksource.h>
#include <skiff/printk.h>
#include <skiff/time.h>
#include <skiff/timer.h>

#define LAPIC_DIV_16 0x3
#define MAX_DELTA_NS (1ull << 40) /* ~18 min; keeps the scaled value in 64 bits */
#define LAPIC_CAL_NS (5 * NSEC_PER_MSEC)
#define LAPIC_CAL_RUNS 3             /* median of: one host hiccup cannot decide */
#define LAPIC_SAMPLE_TIGHT_NS 20000  /* a clock/counter read pair this close is good */

const char *clockevent_name;         /* [I] chosen by the boot CPU */
static bool use_deadline;            /* [I] */
static struct clock_scale ns_to_tsc; /* [I] rounded up */
static struct clock_scale ns_to_lapic; /* [I] rounded up */
static u64 lapic_hz;                 /* [I] one-shot tick rate after the divider */

/* A scale that never converts to fewer units than exact. */
static struct clock_scale scale_up(u64 to_hz, u64 from_hz)
{
	struct clock_scale s = clock_scale_compute(to_hz, from_hz);

	if (s.mul != 0xffffffffu)
		s.mul++;
	return s;
}

/* Clock reading taken as close as possible to a LAPIC counter read: the
 * tightest bracket of up to 8 tries, so that a vCPU preempted by the host
 * between the reads (a few ms under TCG on a loaded host) does not skew the
 * measurement. */
static u32 lapic_sample(u64 *ns)
{
	u64 best = ~0ull;
	u32 c = 0;

	for (int i = 0; i < 8 && best > LAPIC_SAMPLE_TIGHT_NS; i++) {
		u64 a = clock_monotonic_ns();
		u32 ci = lapic_read(LAPIC_TIMER_CUR);
		u64 b = clock_monotonic_ns();
		if (b - a < best) {
			best = b - a;
			c = ci;
			*ns = a + (b - a) / 2;
		}
	}
	return c;
}

/* Count for cal_ns against the clock; ticks per second, 0 if it never ran. */
static u64 lapic_measure(u64 cal_ns)
{
	u64 t0, t1;
	u32 c0, c1;

	lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
	c0 = lapic_sample(&t0);
	do
		c1 = lapic_sample(&t1);
	while (t1 - t0 < cal_ns && c1 != 0);
	lapic_write(LAPIC_TIMER_INIT, 0);
	if (c1 >= c0 || t1 <= t0)
		return 0;
	return (u64)(c0 - c1) * NSEC_PER_SEC / (t1 - t0);
}

/* Masked, divide by 16. A short first pass warms the code path (under TCG
 * the first run includes translating it, which skews the first samples:
 * measured 0.4% low over 1 ms). Then the median of LAPIC_CAL_RUNS runs: a
 * single 5 ms run once measured 85 MHz for QEMU's 62.5 MHz on a loaded host,
 * and every sleep was 36% late. */
static u64 lapic_calibrate(void)
{
	u64 hz[LAPIC_CAL_RUNS];

	lapic_write(LAPIC_TIMER_DIV, LAPIC_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | LVT_TIMER_ONESHOT | VEC_LAPIC_TIMER);
	(void)lapic_measure(LAPIC_CAL_NS / 10);
	for (int i = 0; i < LAPIC_CAL_RUNS; i++) {
		u64 v = lapic_measure(LAPIC_CAL_NS);
		int j = i;
		for (; j > 0 && hz[j - 1] > v; j--)
			hz[j] = hz[j - 1];
		hz[j] = v;
	}
	return hz[LAPIC_CAL_RUNS / 2];
}

/* Boot CPU first (chooses the mode and calibrates), then each AP on itself.
 * Leaves the timer disarmed with the LVT unmasked. */
void clockevent_init_cpu(void)
{
	if (!clockevent_name) {
		u32 a, b, c, d;
		arch_cpuid(1, 0, &a, &b, &c, &d);
		if ((c & (1u << 24)) && tsc_info.hz) {
			use_deadline = true;
			ns_to_tsc = scale_up(tsc_info.hz, NSEC_PER_SEC);
			clockevent_name = "tsc-deadline";
			pr_info("clockevent: tsc-deadline");
		} else {
			lapic_hz = lapic_calibrate();
			if (lapic_hz < 1000000)
				panic("clockevent: LAPIC timer counts at %llu Hz; no usable timer",
				      (unsigned long long)lapic_hz);
			ns_to_lapic = scale_up(lapic_hz, NSEC_PER_SEC);
			clockevent_name = "lapic-oneshot";
			pr_info("clockevent: lapic-oneshot (%llu MHz)",
				(unsigned long long)(lapic_hz / 1000000));
		}
	}
	if (use_deadline) {
		lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | VEC_LAPIC_TIMER);
		__asm__ __volatile__("mfence" ::: "memory");
		arch_wrmsr(MSR_IA32_TSC_DEADLINE, 0);
	} else {
		lapic_write(LAPIC_TIMER_DIV, LAPIC_DIV_16);
		lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_ONESHOT | VEC_LAPIC_TIMER);
		lapic_write(LAPIC_TIMER_INIT, 0);
	}
}

/* This CPU, interrupts off (the timer queue lock is held). */
void clockevent_program(u64 deadline_ns)
{
	u64 now = clock_monotonic_ns();
	u64 delta = deadline_ns > now ? deadline_ns - now : 0;

	if (delta > MAX_DELTA_NS)
		delta = MAX_DELTA_NS;
	if (use_deadline) {
		u64 tsc = arch_rdtsc() + clock_scale_apply(&ns_to_tsc, delta) + 1;
		__asm__ __volatile__("mfence; lfence" ::: "memory");
		arch_wrmsr(MSR_IA32_TSC_DEADLINE, tsc);
	} else {
		u64 ticks = clock_scale_apply(&ns_to_lapic, delta) + 1;
		lapic_write(LAPIC_TIMER_INIT, ticks > 0xffffffffu ? 0xffffffffu : (u32)ticks);
	}
}

/* This CPU, interrupts off. */
void clockevent_stop(void)
{
	if (use_deadline)
		arch_wrmsr(MSR_IA32_TSC_DEADLINE, 0);
	else
		lapic_write(LAPIC_TIMER_INIT, 0);
}
