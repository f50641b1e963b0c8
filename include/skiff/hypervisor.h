/* Hypervisor detection (pv/hypervisor.c): CPUID.1:ECX[31] then the
 * signature at leaf 0x40000000. KVM feature bits from leaf 0x40000001
 * (Documentation/virt/kvm/x86/cpuid.rst). */
#ifndef SKIFF_HYPERVISOR_H
#define SKIFF_HYPERVISOR_H

#include <skiff/types.h>

enum hv_kind { HV_NONE, HV_KVM, HV_TCG, HV_XEN, HV_OTHER };

struct hypervisor {
	enum hv_kind kind;
	char signature[13];  /* "KVMKVMKVM", "TCGTCGTCGTCG", ... */
	u32 max_leaf;        /* EAX of 0x40000000 */
	u32 kvm_features;    /* EAX of 0x40000001 when kind == HV_KVM */
	u32 kvm_hints;       /* EDX of 0x40000001 */
};

extern struct hypervisor hv;

#define KVM_FEATURE_CLOCKSOURCE        0
#define KVM_FEATURE_NOP_IO_DELAY       1
#define KVM_FEATURE_MMU_OP             2
#define KVM_FEATURE_CLOCKSOURCE2       3
#define KVM_FEATURE_ASYNC_PF           4
#define KVM_FEATURE_STEAL_TIME         5
#define KVM_FEATURE_PV_EOI             6
#define KVM_FEATURE_PV_UNHALT          7
#define KVM_FEATURE_PV_TLB_FLUSH       9
#define KVM_FEATURE_PV_SEND_IPI        11
#define KVM_FEATURE_POLL_CONTROL       12
#define KVM_FEATURE_PV_SCHED_YIELD     13
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT 24

#define MSR_KVM_WALL_CLOCK_NEW  0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define MSR_KVM_POLL_CONTROL    0x4b564d05

void hypervisor_detect(void); /* boot CPU, early; prints what it found */
/* "KVM", "TCG", "Xen", "none", or the raw signature of an unknown one. */
const char *hypervisor_name(void);
static inline bool kvm_has_feature(unsigned bit)
{
	return hv.kind == HV_KVM && (hv.kvm_features & (1u << bit));
}

#endif
