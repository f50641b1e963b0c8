/* x87/SSE/AVX state per user thread.
 *
 * Probe (CPUID.1:EDX.FXSR, ECX.XSAVE/AVX, leaf 0xD) and enable: CR4.OSFXSR
 * and OSXMMEXCPT always (x86-64 has SSE2), CR4.OSXSAVE and XCR0 = x87|SSE
 * (+AVX when offered) when XSAVE exists, else FXSAVE/FXRSTOR with the 512-byte
 * legacy image. Larger components (AVX-512, AMX) are not enabled, so the
 * image stays below one page and glibc sees what XCR0 says.
 *
 * The image of each thread lives in its own page (64-byte alignment for
 * XSAVE). The signal frame copies it to the user stack (arch/x86_64/signal.c). */
#include <arch/cpu.h>
#include <arch/fpu.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/string.h>

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE (1ull << 18)

#define XFEATURE_X87 1ull
#define XFEATURE_SSE 2ull
#define XFEATURE_AVX 4ull

u32 fpu_state_size = 512;
bool fpu_use_xsave;
u64 fpu_xfeatures;
static u32 mxcsr_mask = 0xffbf;
static bool probed;

static inline u64 read_cr0(void) { u64 v; __asm__ __volatile__("mov %%cr0, %0" : "=r"(v)); return v; }
static inline void write_cr0(u64 v) { __asm__ __volatile__("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline u64 read_cr4(void) { u64 v; __asm__ __volatile__("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr4(u64 v) { __asm__ __volatile__("mov %0, %%cr4" ::"r"(v) : "memory"); }
static inline void xsetbv(u32 idx, u64 v)
{
	__asm__ __volatile__("xsetbv" ::"c"(idx), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static void probe(void)
{
	u32 a, b, c, d;

	arch_cpuid(1, 0, &a, &b, &c, &d);
	if (c & (1u << 26)) { /* XSAVE */
		fpu_use_xsave = true;
		fpu_xfeatures = XFEATURE_X87 | XFEATURE_SSE;
		if (c & (1u << 28)) /* AVX */
			fpu_xfeatures |= XFEATURE_AVX;
	}
}

void fpu_init_cpu(void)
{
	u32 a, b, c, d;

	if (!probed) {
		probe();
		probed = true;
	}
	write_cr0((read_cr0() | CR0_MP | CR0_NE) & ~(CR0_EM | CR0_TS));
	u64 cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (fpu_use_xsave)
		cr4 |= CR4_OSXSAVE;
	write_cr4(cr4);
	if (fpu_use_xsave) {
		xsetbv(0, fpu_xfeatures);
		arch_cpuid(0xd, 0, &a, &b, &c, &d);
		fpu_state_size = b; /* size for the features enabled in XCR0 */
	}
	__asm__ __volatile__("fninit");
	static u8 probe_area[512] __aligned(64);
	memset(probe_area, 0, sizeof(probe_area));
	__asm__ __volatile__("fxsave64 %0" : "=m"(probe_area));
	u32 mask;
	memcpy(&mask, probe_area + 28, 4);
	mxcsr_mask = mask ? mask : 0xffbf;
}

void fpu_init_state(void *st)
{
	u8 *p = st;

	memset(p, 0, fpu_state_size);
	*(u16 *)(p + 0) = 0x37f;      /* FCW */
	*(u32 *)(p + 24) = 0x1f80;    /* MXCSR */
	/* XSAVE header (bytes 512..575) stays zero: every component in its
	 * init state, MXCSR still loaded from the legacy area. */
}

void *fpu_alloc(void)
{
	void *st = alloc_page();

	if (st)
		fpu_init_state(st);
	return st;
}

void fpu_free(void *st)
{
	if (st)
		free_page(st);
}

void fpu_save(void *st)
{
	if (fpu_use_xsave)
		__asm__ __volatile__("xsave64 (%0)" ::"r"(st), "a"((u32)fpu_xfeatures),
				     "d"((u32)(fpu_xfeatures >> 32)) : "memory");
	else
		__asm__ __volatile__("fxsave64 (%0)" ::"r"(st) : "memory");
}

void fpu_restore(const void *st)
{
	if (fpu_use_xsave)
		__asm__ __volatile__("xrstor64 (%0)" ::"r"(st), "a"((u32)fpu_xfeatures),
				     "d"((u32)(fpu_xfeatures >> 32)) : "memory");
	else
		__asm__ __volatile__("fxrstor64 (%0)" ::"r"(st) : "memory");
}

int fpu_sanitize(void *st)
{
	u8 *p = st;
	u32 mxcsr;

	memcpy(&mxcsr, p + 24, 4);
	if (mxcsr & ~mxcsr_mask)
		return -EINVAL;
	if (fpu_use_xsave) {
		u64 *hdr = (u64 *)(p + 512);
		hdr[0] &= fpu_xfeatures;  /* XSTATE_BV: only enabled components */
		if (hdr[1])               /* XCOMP_BV: standard format only */
			return -EINVAL;
		for (int i = 2; i < 8; i++)
			if (hdr[i])
				return -EINVAL;
	}
	return 0;
}
