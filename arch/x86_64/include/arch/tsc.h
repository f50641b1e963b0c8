/* The time-stamp counter's frequency, and busy-waits that work before the
 * clock exists (arch/x86_64/tsc.c). kernel/time/clock.c decides whether the
 * TSC is the clock source; the clock event device needs its frequency for
 * TSC-deadline mode either way. */
#ifndef ARCH_TSC_H
#define ARCH_TSC_H

#include <skiff/types.h>

struct tsc_info {
	u64 hz;              /* [I] 0 until known */
	const char *source;  /* [I] how hz was found: "CPUID 0x15", "PIT", ... */
	u64 spread_hz;       /* [I] max - min over calibration runs (0 if not calibrated) */
	u64 err_ppm;         /* [I] error bound of the calibration run used */
	unsigned cal_runs;   /* [I] calibration runs made */
	bool calibrated;     /* [I] measured against a timer, not read from CPUID */
	bool invariant;      /* [I] CPUID 0x80000007 EDX[8] */
};
extern struct tsc_info tsc_info;

/* Boot CPU, after the memory manager (the HPET needs ioremap). Finds the
 * frequency from CPUID leaf 0x15 (with 0x16 for a missing crystal rate),
 * 0x16, the hypervisor timing leaf 0x40000010, else by calibration against
 * the HPET (platform.hpet_addr) or PIT channel 2. Prints one "tsc:" line.
 * Returns 0, or -ENODEV when nothing could measure it. */
int tsc_init(void);
/* Take the frequency from somewhere better (kvmclock's scale). */
void tsc_set_hz(u64 hz, const char *source);

/* Busy-wait at least us microseconds without the clock: on the TSC when its
 * frequency is known, else on PIT channel 2, else (no PIT) on the TSC
 * assuming it runs no faster than 10 GHz. Boot CPU only before time_init
 * (PIT channel 2 is not shared). */
void tsc_early_delay_us(u64 us);

#endif
