/* The one clock API. kernel/time/clock.c picks a clock source at boot
 * (kvmclock when the hypervisor offers it, else the TSC with a known or
 * calibrated frequency) and prints which one and why.
 *
 *   clock_monotonic_ns()  ns since boot, never goes back, same on all CPUs
 *   clock_realtime_ns()   ns since the Unix epoch (monotonic + offset)
 *
 * Both are callable from any context once time_init() has run; before that
 * clock_monotonic_ns() returns 0. */
#ifndef SKIFF_TIME_H
#define SKIFF_TIME_H

#include <arch/cpu.h>
#include <skiff/types.h>

#define NSEC_PER_USEC 1000ull
#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC  1000000000ull

u64 clock_monotonic_ns(void);
u64 clock_realtime_ns(void);
/* Set the wall clock; moves realtime, not monotonic. Notifies REALTIME
 * timers through clock_was_set hooks (futex/timerfd use it later). */
void clock_set_realtime(u64 ns);
/* Call fn (any context, no locks held) after every clock_set_realtime().
 * Up to 8 hooks; registration is meant for boot. */
void clock_was_set_register(void (*fn)(void));

/* The counter under the clock (the TSC), for measuring intervals on hot
 * paths (kernel/sched/cputime.c): one instruction, not ordered against the
 * code around it, not clamped; it runs at one rate on every CPU (QEMU and
 * KVM keep the vCPUs' TSCs in step). clock_cycles_to_ns() converts a
 * difference of two readings (up to years' worth) to ns. Both valid
 * after time_init(). */
static inline u64 clock_cycles(void) { return arch_rdtsc(); }
u64 clock_cycles_to_ns(u64 cycles);

void time_init(void);            /* boot CPU, after ACPI/APIC discovery */
void time_init_secondary(void);  /* each AP, on that AP */

/* Guest-side boot time: TSC at the PVH entry, converted to ns by the chosen
 * clock (valid after time_init). clock_monotonic_ns() counts from the same
 * instant, so this is the same value. */
u64 boot_tsc_to_now_ns(void);

/* Busy-wait (no scheduling). */
void udelay(u64 us);

#endif
