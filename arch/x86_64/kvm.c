/* KVM MSR accessors used by pv/ (which keeps the policy). */
#include <arch/cpu.h>
#include <skiff/hypervisor.h>

void arch_kvm_poll_control(u64 v)
{
	arch_wrmsr(MSR_KVM_POLL_CONTROL, v);
}
