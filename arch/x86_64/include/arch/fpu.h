/* Per-thread x87/SSE/AVX state (arch/x86_64/fpu.c). The kernel is built
 * with -mgeneral-regs-only, so the registers always hold the running user
 * thread's state; it is saved and restored eagerly at context switch. */
#ifndef ARCH_FPU_H
#define ARCH_FPU_H

#include <skiff/types.h>

extern u32 fpu_state_size;   /* bytes of the XSAVE (or 512-byte FXSAVE) image */
extern bool fpu_use_xsave;
extern u64 fpu_xfeatures;    /* XCR0 */

void fpu_init_cpu(void);             /* CR0/CR4/XCR0 on the calling CPU */
void *fpu_alloc(void);               /* page-aligned area in the initial state, or NULL */
void fpu_free(void *st);
void fpu_init_state(void *st);       /* FCW 0x37f, MXCSR 0x1f80, everything else reset */
void fpu_save(void *st);
void fpu_restore(const void *st);
/* Check an image that came from user space (sigreturn) and make it safe to
 * load: 0, or -EINVAL when it could make XRSTOR/FXRSTOR fault. */
int fpu_sanitize(void *st);

#endif
