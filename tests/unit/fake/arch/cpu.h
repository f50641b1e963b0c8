/* Host stand-in for arch/x86_64/include/arch/cpu.h: the unit tests run the
 * kernel's pure logic in one host thread, so interrupts and the TSC are
 * simulated. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <skiff/types.h>

extern u64 fake_tsc;
static inline u64 arch_irq_save(void) { return 0; }
static inline void arch_irq_restore(u64 f) { (void)f; }
static inline void arch_irq_enable(void) {}
static inline void arch_irq_disable(void) {}
static inline bool arch_irqs_enabled(void) { return true; }
static inline void arch_cpu_relax(void) {}
static inline u64 arch_rdtsc(void) { return fake_tsc; }

#endif
