/* TSC frequency (contract in <arch/tsc.h>).
 *
 * Hardware contract.
 *  - CPUID 0x15: TSC = crystal (ECX Hz) * EBX / EAX. ECX may be 0; then the
 *    crystal is derived from CPUID 0x16 EAX (base MHz) * EAX / EBX, as Linux
 *    does for parts without a listed crystal (SDM vol. 2A, CPUID leaf 15H).
 *  - CPUID 0x16 EAX: base frequency in MHz (the TSC runs at it).
 *  - CPUID 0x40000010 EAX: TSC kHz (the VMware/KVM timing leaf, offered by
 *    QEMU/KVM with invtsc).
 *  - HPET (IA-PC HPET spec 1.0a): capabilities at +0x00 (period in fs in
 *    bits 63:32), configuration at +0x10 (bit 0 enables the counter), main
 *    counter at +0xf0. Enabled for the measurement if firmware left it off,
 *    then restored.
 *  - PIT (8254) channel 2, gated by port 0x61 bit 0, OUT2 visible in port
 *    0x61 bit 5; mode 0 drives OUT2 high at terminal count. 1193182 Hz.
 *    `-M microvm` has a PIT but no port 0x61 (no PC speaker): OUT2 reads
 *    high at once, and channel 0 read back by latch commands is used
 *    instead (also for early delays).
 *  Under QEMU TCG the guest TSC is the host's, none of the CPUID leaves
 *  above exist for qemu64, and the HPET (q35) or PIT is used. */
#include <arch/cpu.h>
#include <arch/tsc.h>
#include <skiff/errno.h>
#include <skiff/hypervisor.h>
#include <skiff/mm.h>
#include <skiff/platform.h>
#include <skiff/printk.h>

#define PIT_HZ 1193182ull
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_61 0x61

#define HPET_CAP 0x00
#define HPET_CONF 0x10
#define HPET_COUNTER 0xf0

#define CAL_MS 10        /* per run */
#define CAL_RUNS 3       /* at least */
#define CAL_MAX_RUNS 8   /* at most, while no run is within CAL_GOOD_PPM */
#define CAL_GOOD_PPM 50

struct tsc_info tsc_info; /* [I] boot CPU, tsc_init */
static bool pit0_broken;  /* [I] channel 0 does not count */

void tsc_set_hz(u64 hz, const char *source)
{
	tsc_info.hz = hz;
	tsc_info.source = source;
	tsc_info.calibrated = false;
	tsc_info.spread_hz = 0;
	tsc_info.err_ppm = 0;
	tsc_info.cal_runs = 0;
}

static u64 tsc_from_cpuid(const char **src)
{
	u32 max, a, b, c, d;

	arch_cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0x15) {
		u32 den, num, crystal;
		arch_cpuid(0x15, 0, &den, &num, &crystal, &d);
		if (den && num) {
			u64 crystal_hz = crystal;
			if (!crystal_hz && max >= 0x16) {
				arch_cpuid(0x16, 0, &a, &b, &c, &d);
				crystal_hz = (u64)(a & 0xffff) * 1000000ull * den / num;
			}
			if (crystal_hz) {
				*src = crystal ? "CPUID 0x15" : "CPUID 0x15 with 0x16 crystal";
				return crystal_hz * num / den;
			}
		}
	}
	if (max >= 0x16) {
		arch_cpuid(0x16, 0, &a, &b, &c, &d);
		if (a & 0xffff) {
			*src = "CPUID 0x16";
			return (u64)(a & 0xffff) * 1000000ull;
		}
	}
	if (hv.kind == HV_KVM && hv.max_leaf >= 0x40000010) {
		arch_cpuid(0x40000010, 0, &a, &b, &c, &d);
		if (a) {
			*src = "hypervisor leaf 0x40000010";
			return (u64)a * 1000;
		}
	}
	return 0;
}

/* Calibration. Each run times one interval of the reference timer with the
 * TSC; only the two endpoints carry error (a stall in between delays both
 * clocks alike), and each endpoint is bracketed by TSC reads, so a run knows
 * its own error bound. Of the runs (CAL_RUNS, more while none is within
 * CAL_GOOD_PPM) the one with the tightest bound wins: under TCG a vCPU
 * thread the host preempts at an endpoint gives a wide bracket, and that run
 * is discarded rather than averaged in. */
struct cal_run {
	u64 hz;
	u64 err;    /* endpoint uncertainty in TSC cycles (sum of half-brackets) */
	u64 cycles; /* TSC cycles in the interval */
};

/* A TSC instant known to within +-err: an I/O access bracketed by reads. */
struct stamp {
	u64 t, err;
};
#define STAMP_AROUND(st, stmt)                                 \
	do {                                                   \
		u64 _a = arch_rdtsc_ordered();                 \
		stmt;                                          \
		u64 _b = arch_rdtsc_ordered();                 \
		(st).t = _a + (_b - _a) / 2;                   \
		(st).err = (_b - _a) / 2;                      \
	} while (0)

/* An event that happened between two observations. */
static struct stamp stamp_between(struct stamp before, struct stamp after)
{
	u64 lo = before.t - before.err, hi = after.t + after.err;
	return (struct stamp){ lo + (hi - lo) / 2, (hi - lo) / 2 };
}

static bool cal_finish(struct cal_run *r, struct stamp s0, struct stamp s1, u64 ref_ticks, u64 ref_hz)
{
	if (s1.t <= s0.t || !ref_ticks)
		return false;
	r->cycles = s1.t - s0.t;
	r->err = s0.err + s1.err;
	/* cycles < 2^34 and ref_hz <= 1 GHz < 2^30: no overflow. */
	r->hz = r->cycles * ref_hz / ref_ticks;
	return true;
}

/* Channel 2: program a mode-0 countdown of `latch` ticks with the gate high
 * and the speaker off; *s gets the write that starts it. Returns false when
 * OUT2 is already high right after (no port 0x61). */
static bool pit2_start(u16 latch, struct stamp *s)
{
	arch_outb(PORT_61, (arch_inb(PORT_61) & ~0x02) | 0x01);
	arch_outb(PIT_CMD, 0xb0); /* channel 2, lobyte/hibyte, mode 0, binary */
	arch_outb(PIT_CH2, latch & 0xff);
	STAMP_AROUND(*s, arch_outb(PIT_CH2, latch >> 8));
	return !(arch_inb(PORT_61) & 0x20);
}

/* The OUT2 rising edge: between the last read that saw it low and the
 * first that saw it high. False when it did not rise within max_cycles. */
static bool pit2_wait_edge(struct stamp start, u64 max_cycles, struct stamp *edge)
{
	struct stamp prev = start, now;
	u8 v;

	for (;;) {
		STAMP_AROUND(now, v = arch_inb(PORT_61));
		if (v & 0x20) {
			*edge = stamp_between(prev, now);
			return true;
		}
		if (now.t - start.t > max_cycles)
			return false;
		prev = now;
	}
}

static bool pit2_calibrate_once(struct cal_run *r)
{
	u16 latch = (u16)(PIT_HZ * CAL_MS / 1000);
	struct stamp s0, s1;

	return pit2_start(latch, &s0) && pit2_wait_edge(s0, 1ull << 33, &s1) &&
	       cal_finish(r, s0, s1, latch, PIT_HZ);
}

/* Channel 0 read back through the latch command: its gate is wired high, so
 * it counts without port 0x61 (`-M microvm` has a PIT but no port 0x61).
 * Nothing else uses channel 0: its IRQ 0 stays masked. Mode 0 from 0xffff
 * counts down and wraps, one tick per 1/1193182 s. */
static void pit0_start(void)
{
	arch_outb(PIT_CMD, 0x30); /* channel 0, lobyte/hibyte, mode 0, binary */
	arch_outb(PIT_CH0, 0xff);
	arch_outb(PIT_CH0, 0xff);
}

/* The count, latched somewhere inside the bracket *s. */
static u16 pit0_sample(struct stamp *s)
{
	u8 lo, hi;

	STAMP_AROUND(*s, arch_outb(PIT_CMD, 0x00); lo = arch_inb(PIT_CH0); hi = arch_inb(PIT_CH0));
	return (u16)(lo | hi << 8);
}

/* Wait for the count to change; *edge brackets the change (it happened
 * after the last sample with the old value and before the first with the
 * new one), *count is the new value. False when nothing changed within
 * max_cycles. */
static bool pit0_edge(u16 *count, struct stamp *edge, u64 max_cycles)
{
	struct stamp prev, now;
	u16 c = pit0_sample(&prev), n;
	u64 start = prev.t;

	for (;;) {
		n = pit0_sample(&now);
		if (n != c) {
			*count = n;
			*edge = stamp_between(prev, now);
			return true;
		}
		if (now.t - start > max_cycles)
			return false;
		prev = now;
	}
}

/* Edge to edge: exact tick count between two bracketed count changes. */
static bool pit0_calibrate_once(struct cal_run *r)
{
	u16 want = (u16)(PIT_HZ * CAL_MS / 1000), c0, c1, c;
	struct stamp s0, s1, s;

	pit0_start();
	if (!pit0_edge(&c0, &s0, 1ull << 32))
		return false;
	do {
		c = pit0_sample(&s);
		if (s.t - s0.t > (1ull << 34))
			return false;
	} while ((u16)(c0 - c) < want);
	return pit0_edge(&c1, &s1, 1ull << 32) && cal_finish(r, s0, s1, (u16)(c0 - c1), PIT_HZ);
}

static inline u32 hpet_read32(volatile u8 *h, u32 off) { return *(volatile u32 *)(h + off); }
static inline void hpet_write32(volatile u8 *h, u32 off, u32 v) { *(volatile u32 *)(h + off) = v; }

static u32 hpet_sample(volatile u8 *h, struct stamp *s)
{
	u32 c;

	STAMP_AROUND(*s, c = hpet_read32(h, HPET_COUNTER));
	return c;
}

/* The HPET counts far faster than it can be read, so a read is its own
 * edge: the count was current somewhere inside the bracket. */
static bool hpet_calibrate_once(volatile u8 *h, u64 hpet_hz, struct cal_run *r)
{
	u32 want = (u32)(hpet_hz * CAL_MS / 1000), c0, c1;
	struct stamp s0, s1;

	c0 = hpet_sample(h, &s0);
	do {
		c1 = hpet_sample(h, &s1);
		if (s1.t - s0.t > (1ull << 33))
			return false; /* counter not running */
	} while ((u32)(c1 - c0) < want);
	return cal_finish(r, s0, s1, (u32)(c1 - c0), hpet_hz);
}

/* The run with the tightest error bound; spread and bound into tsc_info. */
static u64 pick_best(const struct cal_run *r, unsigned n)
{
	unsigned best = 0;
	u64 lo = r[0].hz, hi = r[0].hz;

	for (unsigned i = 1; i < n; i++) {
		if (r[i].err < r[best].err)
			best = i;
		lo = MIN(lo, r[i].hz);
		hi = MAX(hi, r[i].hz);
	}
	tsc_info.spread_hz = hi - lo;
	tsc_info.err_ppm = DIV_ROUND_UP(r[best].err * 1000000ull, r[best].cycles);
	tsc_info.cal_runs = n;
	return r[best].hz;
}

/* Enough runs? At least CAL_RUNS, then until one is within CAL_GOOD_PPM. */
static bool cal_done(const struct cal_run *r, unsigned n)
{
	if (n < CAL_RUNS)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (r[i].err * 1000000ull <= CAL_GOOD_PPM * r[i].cycles)
			return true;
	return n == CAL_MAX_RUNS;
}

static u64 calibrate_hpet(void)
{
	struct cal_run runs[CAL_MAX_RUNS];
	volatile u8 *h;
	u32 period_fs, conf;
	u64 hz = 0;
	unsigned n = 0;

	if (!platform.hpet_addr)
		return 0;
	h = ioremap(platform.hpet_addr, 1024);
	period_fs = hpet_read32(h, HPET_CAP + 4);
	if (period_fs < 1000000u || period_fs > 100000000u) /* 10 MHz .. 1 GHz; spec: <= 100 ns */
		return 0;
	conf = hpet_read32(h, HPET_CONF);
	if (!(conf & 1))
		hpet_write32(h, HPET_CONF, conf | 1);
	while (!cal_done(runs, n))
		if (!hpet_calibrate_once(h, 1000000000000000ull / period_fs, &runs[n++]))
			goto out;
	hz = pick_best(runs, n);
out:
	if (!(conf & 1))
		hpet_write32(h, HPET_CONF, conf);
	return hz;
}

/* Channel 2 when port 0x61 works, else channel 0 read back. */
static u64 calibrate_pit(const char **how)
{
	struct cal_run runs[CAL_MAX_RUNS];
	bool ch2 = pit2_calibrate_once(&runs[0]);
	unsigned n = 1;

	if (!ch2 && !pit0_calibrate_once(&runs[0]))
		return 0;
	while (!cal_done(runs, n))
		if (!(ch2 ? pit2_calibrate_once(&runs[n++]) : pit0_calibrate_once(&runs[n++])))
			return 0;
	*how = ch2 ? "PIT" : "PIT channel 0";
	return pick_best(runs, n);
}

/* Contract in <arch/tsc.h>. */
int tsc_init(void)
{
	u32 a, b, c, d;
	const char *src = NULL;
	u64 hz;

	arch_cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a >= 0x80000007) {
		arch_cpuid(0x80000007, 0, &a, &b, &c, &d);
		tsc_info.invariant = d & (1u << 8);
	}

	if (tsc_info.hz) {
		/* Already known (kvmclock). */
	} else if ((hz = tsc_from_cpuid(&src))) {
		tsc_set_hz(hz, src);
	} else if ((hz = calibrate_hpet())) {
		tsc_info.hz = hz;
		tsc_info.source = "HPET";
		tsc_info.calibrated = true;
	} else if ((hz = calibrate_pit(&src))) {
		tsc_info.hz = hz;
		tsc_info.source = src;
		tsc_info.calibrated = true;
	} else {
		pr_err("tsc: frequency unknown: no CPUID leaf, no HPET, and the PIT does not count");
		return -ENODEV;
	}

	u64 khz = tsc_info.hz / 1000;
	if (tsc_info.calibrated)
		pr_info("tsc: %llu.%03llu MHz, calibrated against %s (best of %u x %u ms: +-%llu ppm; spread %llu kHz), %s",
			(unsigned long long)(khz / 1000), (unsigned long long)(khz % 1000),
			tsc_info.source, tsc_info.cal_runs, CAL_MS, (unsigned long long)tsc_info.err_ppm,
			(unsigned long long)(tsc_info.spread_hz / 1000),
			tsc_info.invariant ? "invariant" : "not marked invariant");
	else
		pr_info("tsc: %llu.%03llu MHz from %s, %s",
			(unsigned long long)(khz / 1000), (unsigned long long)(khz % 1000),
			tsc_info.source, tsc_info.invariant ? "invariant" : "not marked invariant");
	return 0;
}

static void tsc_spin_cycles(u64 cycles)
{
	u64 t0 = arch_rdtsc_ordered();

	while (arch_rdtsc_ordered() - t0 < cycles)
		arch_cpu_relax();
}

/* Contract in <arch/tsc.h>. */
void tsc_early_delay_us(u64 us)
{
	struct stamp t;
	u64 ticks;
	u16 prev, c;

	if (tsc_info.hz) {
		tsc_spin_cycles(DIV_ROUND_UP(us * tsc_info.hz, 1000000ull) + 1);
		return;
	}
	/* Count channel 0 ticks from an edge (one spare for safety). */
	ticks = DIV_ROUND_UP(us * PIT_HZ, 1000000ull) + 1;
	if (!pit0_broken) {
		pit0_start();
		if (!pit0_edge(&prev, &t, 1ull << 32)) {
			pit0_broken = true;
		} else {
			while (ticks) {
				c = pit0_sample(&t);
				u16 d = (u16)(prev - c);
				ticks -= MIN(ticks, (u64)d);
				prev = c;
			}
			return;
		}
	}
	tsc_spin_cycles(us * 10000ull); /* no PIT: assume no faster than 10 GHz */
}
