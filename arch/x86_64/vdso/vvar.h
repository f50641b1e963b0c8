/* The vvar page: clock parameters the kernel publishes for the vDSO (mapped
 * read-only, shared, one page below the vDSO text). Written only by
 * arch/x86_64/vdso.c under a sequence count: odd while an update is in
 * progress. Shared by the kernel and the user-space vDSO build. */
#ifndef ARCH_VDSO_VVAR_H
#define ARCH_VDSO_VVAR_H

#define VVAR_MODE_SYSCALL 0   /* no usable clock: every call is a syscall */
#define VVAR_MODE_TSC 1       /* monotonic = ((tsc - tsc_base) << shift) * mul >> 32 */

struct vvar {
	unsigned int seq;
	unsigned int mode;
	unsigned int mul;
	int shift;
	unsigned long long tsc_base;
	long long realtime_offset;     /* realtime - monotonic, ns */
	unsigned int have_rdtscp;      /* TSC_AUX holds the CPU number */
	unsigned int pad;
};

#endif
