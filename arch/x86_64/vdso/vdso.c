/* The vDSO: clock_gettime, gettimeofday, time, getcpu and clock_getres in
 * user space, from the vvar page the kernel maps just below this image.
 * Built as a freestanding shared object (see the Makefile rule); it must
 * need no relocations. Clocks it cannot answer go to the real syscall. */
#include "vvar.h"

typedef unsigned long long u64;
typedef long long s64;

struct ts { s64 sec, nsec; };
struct tv { s64 sec, usec; };
struct tz { int minuteswest, dsttime; };

extern const volatile struct vvar vvar_page __attribute__((visibility("hidden")));

#define NR_gettimeofday 96
#define NR_time 201
#define NR_clock_gettime 228
#define NR_clock_getres 229
#define NR_getcpu 309

static inline long sys2(long nr, long a, long b)
{
	long r;
	__asm__ __volatile__("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return r;
}

static inline long sys3(long nr, long a, long b, long c)
{
	long r;
	__asm__ __volatile__("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

static inline u64 rdtsc_ordered(void)
{
	unsigned int lo, hi;
	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((u64)hi << 32) | lo;
}

/* Monotonic ns and the realtime offset, consistently; 0 when the kernel
 * publishes no usable clock. */
static int read_clock(u64 *mono, s64 *rt_off)
{
	const volatile struct vvar *v = &vvar_page;
	unsigned int seq;

	do {
		seq = v->seq;
		__asm__ __volatile__("" ::: "memory");
		if (seq & 1)
			continue;
		if (v->mode != VVAR_MODE_TSC)
			return 0;
		u64 tsc = rdtsc_ordered(), base = v->tsc_base;
		u64 d = tsc > base ? tsc - base : 0;
		int shift = v->shift;
		if (shift < 0)
			d >>= -shift;
		else
			d <<= shift;
		*mono = (u64)(((unsigned __int128)d * v->mul) >> 32);
		*rt_off = v->realtime_offset;
		__asm__ __volatile__("" ::: "memory");
	} while ((seq & 1) || v->seq != seq);
	return 1;
}

int __vdso_clock_gettime(int clk, struct ts *ts)
{
	u64 mono;
	s64 off;

	switch (clk) {
	case 0: case 5: case 11:         /* REALTIME, REALTIME_COARSE, TAI */
	case 1: case 4: case 6: case 7:  /* MONOTONIC, _RAW, _COARSE, BOOTTIME */
		if (!read_clock(&mono, &off))
			break;
		if (clk == 0 || clk == 5 || clk == 11)
			mono += (u64)off;
		ts->sec = (s64)(mono / 1000000000ull);
		ts->nsec = (s64)(mono % 1000000000ull);
		return 0;
	default:
		break;
	}
	return (int)sys2(NR_clock_gettime, clk, (long)ts);
}

int __vdso_gettimeofday(struct tv *tv, struct tz *tz)
{
	u64 mono;
	s64 off;

	if (!read_clock(&mono, &off))
		return (int)sys2(NR_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		u64 ns = mono + (u64)off;
		tv->sec = (s64)(ns / 1000000000ull);
		tv->usec = (s64)(ns % 1000000000ull / 1000);
	}
	if (tz) {
		tz->minuteswest = 0;
		tz->dsttime = 0;
	}
	return 0;
}

long __vdso_time(long *t)
{
	u64 mono;
	s64 off;

	if (!read_clock(&mono, &off))
		return sys2(NR_time, (long)t, 0);
	long s = (long)((mono + (u64)off) / 1000000000ull);
	if (t)
		*t = s;
	return s;
}

int __vdso_clock_getres(int clk, struct ts *res)
{
	return (int)sys2(NR_clock_getres, clk, (long)res);
}

int __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	if (vvar_page.have_rdtscp) {
		unsigned int lo, hi, aux;
		__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
		if (cpu)
			*cpu = aux & 0xfff;
		if (node)
			*node = 0;
		return 0;
	}
	return (int)sys3(NR_getcpu, (long)cpu, (long)node, (long)unused);
}

int clock_gettime(int, struct ts *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct tv *, struct tz *) __attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *) __attribute__((weak, alias("__vdso_time")));
int clock_getres(int, struct ts *) __attribute__((weak, alias("__vdso_clock_getres")));
int getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
