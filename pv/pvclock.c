/* pvclock: the arithmetic and read protocol of the paravirtual clock
 * (include/abi/pvclock.h). Pure logic over a time-info area somebody else
 * registered (pv/kvmclock.c); no MSRs here, so the host unit tests run it on
 * fake areas (tests/unit/test_pvclock.c).
 *
 * Memory ordering.
 *  (V) Version protocol. The hypervisor writes: version++ (odd), wmb, fields,
 *      wmb, version++ (even). The reader loads version, then the fields and
 *      the TSC, then version again, and retries when the first load was odd
 *      or the two differ. x86 keeps loads in order, so compiler barriers
 *      suffice between the loads; the TSC is read with lfence;rdtsc so it
 *      cannot execute before the first version load.
 *  (M) Global monotonic clamp. Without PVCLOCK_TSC_STABLE_BIT, two vCPUs'
 *      areas may disagree by a little. Every result is pushed through
 *      last_value with a compare-and-swap that only moves it forward, and a
 *      reader that lost the race returns last_value instead (Linux's
 *      pvclock_clocksource_read). The CAS is sequentially consistent, so a
 *      value returned on one CPU is never undercut on another afterwards. */
#include <arch/cpu.h>
#include <skiff/clocksource.h>
#include <skiff/compiler.h>
#include <skiff/time.h>

#ifdef SKIFF_HOST_TEST
/* Provided by the unit test: may rewrite the area under the reader to
 * simulate the hypervisor updating it concurrently. */
u64 pvclock_test_rdtsc(void);
#define pvclock_rdtsc() pvclock_test_rdtsc()
#else
#define pvclock_rdtsc() arch_rdtsc_ordered()
#endif

static u64 last_value; /* [a] largest value returned by the clamped read (M) */

/* Contract in <skiff/clocksource.h>. */
struct clock_scale clock_scale_compute(u64 to_hz, u64 from_hz)
{
	u64 scaled = to_hz, tps64 = from_hz;
	u32 tps32;
	int shift = 0;

	while (tps64 > scaled * 2 || (tps64 & 0xffffffff00000000ull)) {
		tps64 >>= 1;
		shift--;
	}
	tps32 = (u32)tps64;
	while (tps32 <= scaled || (scaled & 0xffffffff00000000ull)) {
		if ((scaled & 0xffffffff00000000ull) || (tps32 & 0x80000000u))
			scaled >>= 1;
		else
			tps32 <<= 1;
		shift++;
	}
	/* scaled < tps32 < 2^32: the quotient fits in 32 bits. */
	return (struct clock_scale){ .mul = (u32)((scaled << 32) / tps32), .shift = (s8)shift };
}

/* system_time + scale(tsc - tsc_timestamp), with a TSC before the timestamp
 * (another vCPU's area, or boot_tsc) scaled backwards instead of wrapping. */
static u64 pvclock_apply(u64 tsc, u64 tsc_timestamp, u64 system_time, u32 mul, s8 shift)
{
	if (tsc >= tsc_timestamp)
		return system_time + pvclock_scale_delta(tsc - tsc_timestamp, mul, shift);
	u64 back = pvclock_scale_delta(tsc_timestamp - tsc, mul, shift);
	return back < system_time ? system_time - back : 0;
}

/* One consistent snapshot of the area plus a TSC value read inside it (V). */
struct pvclock_snap {
	u64 tsc, tsc_timestamp, system_time;
	u32 mul;
	s8 shift;
	u8 flags;
};

static void pvclock_snapshot(const volatile struct pvclock_vcpu_time_info *src,
			     struct pvclock_snap *s, bool want_tsc)
{
	u32 v;

	for (;;) {
		v = src->version;
		barrier(); /* (V) */
		s->tsc = want_tsc ? pvclock_rdtsc() : 0;
		s->tsc_timestamp = src->tsc_timestamp;
		s->system_time = src->system_time;
		s->mul = src->tsc_to_system_mul;
		s->shift = src->tsc_shift;
		s->flags = src->flags;
		barrier(); /* (V) */
		if (!(v & 1) && v == src->version)
			return;
		arch_cpu_relax();
	}
}

/* Contract in <skiff/clocksource.h>. */
u64 pvclock_read(const volatile struct pvclock_vcpu_time_info *src, u8 *flags)
{
	struct pvclock_snap s;

	pvclock_snapshot(src, &s, true);
	if (flags)
		*flags = s.flags;
	return pvclock_apply(s.tsc, s.tsc_timestamp, s.system_time, s.mul, s.shift);
}

/* Contract in <skiff/clocksource.h>; ordering argument (M). */
u64 pvclock_read_monotonic(const volatile struct pvclock_vcpu_time_info *src, bool trust_stable)
{
	u8 flags;
	u64 ret = pvclock_read(src, &flags);
	u64 last;

	if (trust_stable && (flags & PVCLOCK_TSC_STABLE_BIT))
		return ret;
	last = __atomic_load_n(&last_value, __ATOMIC_SEQ_CST);
	do {
		if (ret <= last)
			return last;
	} while (!__atomic_compare_exchange_n(&last_value, &last, ret, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	return ret;
}

void pvclock_reset_last(void)
{
	__atomic_store_n(&last_value, 0, __ATOMIC_SEQ_CST);
}

u64 pvclock_ns_at_tsc(const volatile struct pvclock_vcpu_time_info *src, u64 tsc)
{
	struct pvclock_snap s;

	pvclock_snapshot(src, &s, false);
	return pvclock_apply(tsc, s.tsc_timestamp, s.system_time, s.mul, s.shift);
}

/* Inverse of the scale: ns = ((tsc << shift) * mul) >> 32 means
 * hz = 1e9 * 2^32 / mul, then undo the shift (Linux's pvclock_tsc_khz, in Hz). */
u64 pvclock_tsc_hz(const volatile struct pvclock_vcpu_time_info *src)
{
	struct pvclock_snap s;
	u64 hz;

	pvclock_snapshot(src, &s, false);
	if (s.mul == 0)
		return 0;
	hz = (NSEC_PER_SEC << 32) / s.mul;
	if (s.shift < 0)
		hz <<= -s.shift;
	else
		hz >>= s.shift;
	return hz;
}

u64 pvclock_read_wallclock(const volatile struct pvclock_wall_clock *wc)
{
	u32 v, sec, nsec;

	for (;;) {
		v = wc->version;
		barrier(); /* (V) */
		sec = wc->sec;
		nsec = wc->nsec;
		barrier(); /* (V) */
		if (!(v & 1) && v == wc->version)
			break;
		arch_cpu_relax();
	}
	return (u64)sec * NSEC_PER_SEC + nsec;
}
