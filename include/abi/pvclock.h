/* KVM paravirtual clock ABI: the structures the hypervisor writes into guest
 * memory once their physical addresses are handed over through
 * MSR_KVM_SYSTEM_TIME_NEW (one per vCPU) and MSR_KVM_WALL_CLOCK_NEW.
 * Reference: Linux Documentation/virt/kvm/x86/msr.rst and
 * arch/x86/include/asm/pvclock-abi.h.
 *
 * Both are guarded by a version counter that is odd while the hypervisor is
 * rewriting them: read version, read the fields, read version again, retry if
 * it was odd or changed. Natural alignment gives exactly the ABI layout (the
 * asserts prove it), so the structs are not packed. */
#ifndef ABI_PVCLOCK_H
#define ABI_PVCLOCK_H

#include <skiff/compiler.h>

/* Per-vCPU time: at TSC value tsc_timestamp, system time was system_time ns.
 *   now_ns = system_time + (((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32
 * (a negative tsc_shift shifts right). */
struct pvclock_vcpu_time_info {
	u32 version;
	u32 pad0;
	u64 tsc_timestamp;
	u64 system_time;
	u32 tsc_to_system_mul;
	s8 tsc_shift;
	u8 flags;
	u8 pad[2];
};
BUILD_ASSERT(sizeof(struct pvclock_vcpu_time_info) == 32, "pvclock_vcpu_time_info size");
BUILD_ASSERT(offsetof(struct pvclock_vcpu_time_info, version) == 0, "version");
BUILD_ASSERT(offsetof(struct pvclock_vcpu_time_info, tsc_timestamp) == 8, "tsc_timestamp");
BUILD_ASSERT(offsetof(struct pvclock_vcpu_time_info, system_time) == 16, "system_time");
BUILD_ASSERT(offsetof(struct pvclock_vcpu_time_info, tsc_to_system_mul) == 24, "tsc_to_system_mul");
BUILD_ASSERT(offsetof(struct pvclock_vcpu_time_info, tsc_shift) == 28, "tsc_shift");
BUILD_ASSERT(offsetof(struct pvclock_vcpu_time_info, flags) == 29, "flags");

/* flags */
#define PVCLOCK_TSC_STABLE_BIT (1u << 0) /* all vCPUs' clocks agree */
#define PVCLOCK_GUEST_STOPPED  (1u << 1) /* the host paused the guest */

/* Wall-clock time (since the Unix epoch) at which system time was 0. */
struct pvclock_wall_clock {
	u32 version;
	u32 sec;
	u32 nsec;
};
BUILD_ASSERT(sizeof(struct pvclock_wall_clock) == 12, "pvclock_wall_clock size");
BUILD_ASSERT(offsetof(struct pvclock_wall_clock, version) == 0, "version");
BUILD_ASSERT(offsetof(struct pvclock_wall_clock, sec) == 4, "sec");
BUILD_ASSERT(offsetof(struct pvclock_wall_clock, nsec) == 8, "nsec");

/* MSR value: physical address of the structure | enable. */
#define KVM_MSR_ENABLED 1ull

#endif
