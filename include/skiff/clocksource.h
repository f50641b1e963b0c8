/* What kernel/time/clock.c builds the clock from, and what the clock event
 * device converts with. Not a general API: code outside the time subsystem
 * uses <skiff/time.h>.
 *
 *   pv/pvclock.c      pvclock math and read protocol (pure; host-tested)
 *   pv/kvmclock.c     KVM's per-vCPU pvclock pages and wall clock
 *   arch/x86_64/tsc.c TSC frequency (CPUID or calibration), see <arch/tsc.h>
 *   drivers/rtc/cmos.c the CMOS real-time clock
 *
 * Scaling uses the pvclock format for every conversion (TSC to ns, ns to TSC
 * cycles, ns to LAPIC ticks): out = ((in << shift) * mul) >> 32, shift in
 * [-32, 31], mul a 32-bit fraction. A 64x32 multiply, no divide. */
#ifndef SKIFF_CLOCKSOURCE_H
#define SKIFF_CLOCKSOURCE_H

#include <abi/pvclock.h>
#include <skiff/types.h>

struct clock_scale {
	u32 mul;
	s8 shift;
};

/* ((delta << shift) * mul) >> 32. The caller keeps delta small enough that
 * the shifted value does not overflow 64 bits (shift > 0 only when the
 * output rate is above half the input rate, so the result overflows first). */
static inline u64 pvclock_scale_delta(u64 delta, u32 mul, s8 shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (u64)(((unsigned __int128)delta * mul) >> 32);
}
static inline u64 clock_scale_apply(const struct clock_scale *s, u64 delta)
{
	return pvclock_scale_delta(delta, s->mul, s->shift);
}

/* The scale that turns counts at from_hz into counts at to_hz (KVM's
 * kvm_get_time_scale, 64-bit divides only): accurate to about 1 part in
 * 2^31. Both rates must be non-zero and below 2^63. */
struct clock_scale clock_scale_compute(u64 to_hz, u64 from_hz);

/* pvclock read protocol on one time-info area (pv/pvclock.c). Returns the
 * system time in ns; *flags (may be NULL) gets the flags of the same
 * snapshot. Spins while the hypervisor is updating the area. */
u64 pvclock_read(const volatile struct pvclock_vcpu_time_info *src, u8 *flags);
/* As pvclock_read, but never returns less than any earlier call did on any
 * CPU unless trust_stable is set and the snapshot carries
 * PVCLOCK_TSC_STABLE_BIT (then every vCPU's clock agrees by contract). */
u64 pvclock_read_monotonic(const volatile struct pvclock_vcpu_time_info *src, bool trust_stable);
/* System time (ns) that the area assigns to TSC value tsc, which may lie
 * before its tsc_timestamp. */
u64 pvclock_ns_at_tsc(const volatile struct pvclock_vcpu_time_info *src, u64 tsc);
/* TSC frequency (Hz) implied by the area's scale. */
u64 pvclock_tsc_hz(const volatile struct pvclock_vcpu_time_info *src);
/* Wall-clock ns since the epoch at system time 0. */
u64 pvclock_read_wallclock(const volatile struct pvclock_wall_clock *wc);
void pvclock_reset_last(void); /* host tests only */

/* kvmclock (pv/kvmclock.c). kvmclock_init() runs on the boot CPU: 0 when
 * KVM offers KVM_FEATURE_CLOCKSOURCE2 and the area came alive, else -ENODEV
 * (not offered) or -EIO (registered but never written). */
int kvmclock_init(void);
void kvmclock_init_secondary(void);   /* each AP, on that AP */
u64 kvmclock_read_ns(void);           /* KVM system time, monotonic across CPUs */
u64 kvmclock_ns_at_tsc(u64 tsc);      /* system time at an earlier TSC value */
u64 kvmclock_tsc_hz(void);
bool kvmclock_stable(void);           /* PVCLOCK_TSC_STABLE_BIT honoured and set */
/* Wall-clock ns at system time 0 (MSR_KVM_WALL_CLOCK_NEW); 0 or -EIO. */
int kvmclock_wallclock(u64 *ns);

/* CMOS RTC (drivers/rtc/cmos.c): the current time in Unix seconds; 0, or
 * -EIO when the RTC never settles or holds an impossible date. */
int cmos_rtc_read(u64 *unix_sec);

#endif
