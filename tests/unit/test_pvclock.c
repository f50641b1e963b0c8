// SOURCES: pv/pvclock.c
/* pvclock arithmetic and read protocol on fake time-info areas:
 *  - clock_scale_compute + pvclock_scale_delta against a 128-bit reference
 *    for random rates and deltas, in both directions (TSC->ns, ns->TSC);
 *  - the version protocol retries when the "hypervisor" rewrites the area
 *    during a read, or the read starts while an update is in progress;
 *  - the global clamp keeps results monotonic across two disagreeing areas
 *    unless the stable bit is set and trusted;
 *  - TSC values before tsc_timestamp, the TSC rate implied by the scale, and
 *    the wall clock. */
#include <skiff/clocksource.h>
#include <string.h>

#include "test.h"

static u64 rng_state = 0x243f6a8885a308d3ull;
static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Fake TSC with an optional "hypervisor update" run on the n-th read. */
static u64 fake_tsc_value;
static unsigned rdtsc_calls;
static unsigned update_on_call; /* 0: never */
static void (*update_fn)(void);

u64 pvclock_test_rdtsc(void)
{
	rdtsc_calls++;
	if (update_fn && rdtsc_calls == update_on_call)
		update_fn();
	return fake_tsc_value;
}

static unsigned __int128 ref_scale(u64 delta, u64 to_hz, u64 from_hz)
{
	return (unsigned __int128)delta * to_hz / from_hz;
}

/* |got - exact| within 2^-29 relative plus 2 units (truncations). */
static bool close_enough(u64 got, unsigned __int128 exact)
{
	unsigned __int128 g = got, diff = g > exact ? g - exact : exact - g;
	return diff <= (exact >> 29) + 2;
}

static void test_scale(void)
{
	static const u64 rates[] = { 1000000ull, 14318180ull, 100000000ull, 1193182ull,
				     999999999ull, 1000000000ull, 1000000001ull, 2893200000ull,
				     3999999999ull, 4294967296ull, 5000000000ull, 10000000000ull };
	int bad = 0;

	for (unsigned r = 0; r < 12 + 2000; r++) {
		u64 hz = r < 12 ? rates[r] : 1000000ull + rnd() % 10000000000ull;
		struct clock_scale to_ns = clock_scale_compute(1000000000ull, hz);
		struct clock_scale to_cyc = clock_scale_compute(hz, 1000000000ull);

		CHECK(to_ns.mul >= 0x80000000u); /* full 32-bit precision used */
		CHECK(to_cyc.mul >= 0x80000000u);
		for (int i = 0; i < 200; i++) {
			u64 delta = rnd() >> (rnd() % 64);
			if (delta > (1ull << 44)) /* ~4.9 hours at 1 GHz: what the kernel scales */
				delta >>= 20;
			u64 ns = clock_scale_apply(&to_ns, delta);
			u64 cyc = clock_scale_apply(&to_cyc, delta);
			if (!close_enough(ns, ref_scale(delta, 1000000000ull, hz)) ||
			    !close_enough(cyc, ref_scale(delta, hz, 1000000000ull))) {
				if (bad++ < 5)
					fprintf(stderr, "scale: hz %llu delta %llu: ns %llu cyc %llu\n",
						(unsigned long long)hz, (unsigned long long)delta,
						(unsigned long long)ns, (unsigned long long)cyc);
			}
		}
	}
	CHECK_EQ(bad, 0);
	/* Exact cases. */
	struct clock_scale one = clock_scale_compute(1000000000ull, 1000000000ull);
	CHECK(close_enough(clock_scale_apply(&one, 123456789ull), 123456789ull));
	CHECK_EQ(pvclock_scale_delta(0, 0x80000000u, 1), 0);
	CHECK_EQ(pvclock_scale_delta(1000, 0x80000000u, 1), 1000);   /* (1000<<1)/2 */
	CHECK_EQ(pvclock_scale_delta(1000, 0x80000000u, -1), 250);   /* (1000>>1)/2 */
}

static struct pvclock_vcpu_time_info area, area_b;

static void set_area(struct pvclock_vcpu_time_info *a, u64 tsc_ts, u64 sys, u64 hz, u8 flags)
{
	struct clock_scale s = clock_scale_compute(1000000000ull, hz);
	a->version += 2;
	a->tsc_timestamp = tsc_ts;
	a->system_time = sys;
	a->tsc_to_system_mul = s.mul;
	a->tsc_shift = s.shift;
	a->flags = flags;
}

static void hv_update(void)
{
	/* The host rewrites the area: new timestamp and time, version moves. */
	area.version += 2;
	area.tsc_timestamp = 5000000;
	area.system_time = 777000000;
}

static void hv_finish(void)
{
	area.version++; /* odd -> even: the update completes */
	area.tsc_timestamp = 6000000;
	area.system_time = 888000000;
}

static void test_read_protocol(void)
{
	u8 flags = 0;

	memset(&area, 0, sizeof(area));
	set_area(&area, 1000000, 500000000, 2000000000ull, 0);

	/* Plain read: 1,000,000 cycles at 2 GHz after the timestamp = 0.5 ms. */
	fake_tsc_value = 2000000;
	rdtsc_calls = 0;
	update_fn = NULL;
	u64 ns = pvclock_read(&area, &flags);
	CHECK(close_enough(ns, 500000000ull + 500000ull));
	CHECK_EQ(rdtsc_calls, 1);
	CHECK_EQ(flags, 0);

	/* Rewritten during the read: the reader retries and uses the new area. */
	rdtsc_calls = 0;
	update_fn = hv_update;
	update_on_call = 1;
	fake_tsc_value = 7000000;
	ns = pvclock_read(&area, NULL);
	CHECK_EQ(rdtsc_calls, 2);
	CHECK(close_enough(ns, 777000000ull + 1000000ull)); /* 2e6 cycles = 1 ms */

	/* Update in progress (odd version) when the read starts; the host
	 * finishes it during the reader's second attempt, so only the third
	 * attempt sees a stable even version. */
	area.version |= 1;
	rdtsc_calls = 0;
	update_fn = hv_finish;
	update_on_call = 2;
	ns = pvclock_read(&area, NULL);
	CHECK_EQ(rdtsc_calls, 3);
	CHECK(close_enough(ns, 888000000ull + 500000ull));
	update_fn = NULL;

	/* A TSC before the timestamp scales backwards instead of wrapping. */
	CHECK(close_enough(pvclock_ns_at_tsc(&area, 4000000), 888000000ull - 1000000ull));
	CHECK_EQ(pvclock_ns_at_tsc(&area, 0), 888000000ull - 3000000ull);
	fake_tsc_value = 0;
	CHECK(close_enough(pvclock_read(&area, NULL), 888000000ull - 3000000ull));

	/* The rate implied by the scale. */
	for (int i = 0; i < 1000; i++) {
		u64 hz = 1000000ull + rnd() % 8000000000ull;
		set_area(&area, 0, 0, hz, 0);
		u64 got = pvclock_tsc_hz(&area);
		u64 diff = got > hz ? got - hz : hz - got;
		CHECK(diff <= hz / 100000000ull + 2);
	}
}

static void test_monotonic_clamp(void)
{
	memset(&area, 0, sizeof(area));
	memset(&area_b, 0, sizeof(area_b));
	/* Two vCPUs whose areas disagree: B is 1 ms behind A. */
	set_area(&area, 0, 10000000, 1000000000ull, 0);
	set_area(&area_b, 0, 9000000, 1000000000ull, 0);
	pvclock_reset_last();
	fake_tsc_value = 100;
	u64 a = pvclock_read_monotonic(&area, true);
	u64 b = pvclock_read_monotonic(&area_b, true);
	CHECK(close_enough(a, 10000100));
	CHECK_EQ(b, a); /* clamped to what A returned */
	fake_tsc_value = 2000100; /* B is now 1 ms ahead of A's earlier value */
	b = pvclock_read_monotonic(&area_b, true);
	CHECK(close_enough(b, 11000100));
	CHECK(b > a);

	/* Stable bit set and trusted: no clamp; set but not trusted: clamp. */
	area.flags = area_b.flags = PVCLOCK_TSC_STABLE_BIT;
	pvclock_reset_last();
	fake_tsc_value = 100;
	a = pvclock_read_monotonic(&area, true);
	b = pvclock_read_monotonic(&area_b, true);
	CHECK(b < a);
	pvclock_reset_last();
	a = pvclock_read_monotonic(&area, false);
	b = pvclock_read_monotonic(&area_b, false);
	CHECK_EQ(b, a);

	/* Random interleaving of two areas: never backwards without trust. */
	pvclock_reset_last();
	u64 prev = 0;
	for (int i = 0; i < 10000; i++) {
		fake_tsc_value += rnd() % 1000;
		u64 v = pvclock_read_monotonic((rnd() & 1) ? &area : &area_b, false);
		CHECK(v >= prev);
		prev = v;
	}
}

static void test_wallclock(void)
{
	struct pvclock_wall_clock wc = { .version = 2, .sec = 1700000000u, .nsec = 123456789u };
	CHECK_EQ(pvclock_read_wallclock(&wc), 1700000000ull * 1000000000ull + 123456789ull);
}

int main(void)
{
	test_scale();
	test_read_protocol();
	test_monotonic_clamp();
	test_wallclock();
	TEST_DONE("pvclock");
}
