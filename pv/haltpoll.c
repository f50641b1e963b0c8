/* Halt-polling policy for the idle loop (kernel/sched/idle.c), after
 * Linux's cpuidle-haltpoll governor (drivers/cpuidle/governors/haltpoll.c).
 *
 * Before halting, an idle vCPU polls its run queue for poll_ns. A HLT under
 * KVM is a VM exit plus, on wakeup, an IPI-driven re-entry: tens of
 * microseconds. When wakeups tend to come soon after the CPU goes idle,
 * polling catches them without either cost, and the waker sees the CPU
 * polling and skips the IPI altogether.
 *
 * After each idle period of block_ns (idle entry to wakeup):
 *   block_ns <= poll_ns                     poll caught it: keep the window
 *   poll_ns < block_ns <= haltpoll_max_ns   woke soon after halting: grow,
 *                                           poll_ns = max(poll_ns * 2, 50 us),
 *                                           at most haltpoll_max_ns
 *   block_ns > haltpoll_max_ns              long idle: shrink, poll_ns /= 2
 * haltpoll_max_ns is 200 us (Linux's guest_halt_poll_ns), settable with
 * skiff.haltpoll_ns=N on the command line (0 disables polling).
 *
 * When KVM offers poll control (CPUID 0x40000001 bit 12) each CPU writes 0
 * to MSR_KVM_POLL_CONTROL: the guest polls, so the host need not poll too
 * after our HLT. */
#include <skiff/cmdline.h>
#include <skiff/hypervisor.h>
#include <skiff/printk.h>
#include "../kernel/sched/sched.h"

#define HALTPOLL_GROW 2
#define HALTPOLL_SHRINK 2
#define HALTPOLL_GROW_START_NS 50000ull
#define HALTPOLL_DEFAULT_MAX_NS 200000ull

CMDLINE_PARAM(haltpoll_ns, "skiff.haltpoll_ns", "maximum idle poll window in ns (default 200000)");

u64 haltpoll_max_ns = HALTPOLL_DEFAULT_MAX_NS;
/* Self-tests only: when non-zero, every idle period polls this long. */
u64 haltpoll_force_ns;

void arch_kvm_poll_control(u64 v);

/* Per CPU, at bring-up (sched_init_cpu): read the limit (boot CPU) and turn
 * host-side polling off where KVM lets us. */
void haltpoll_init_cpu(void)
{
	static bool announced;

	if (this_cpu_id() == 0)
		haltpoll_max_ns = cmdline_get_u64("skiff.haltpoll_ns", HALTPOLL_DEFAULT_MAX_NS);
	if (kvm_has_feature(KVM_FEATURE_POLL_CONTROL)) {
		arch_kvm_poll_control(0);
		if (!announced) {
			announced = true;
			pr_info("haltpoll: host poll control disabled (MSR_KVM_POLL_CONTROL=0), guest window max %llu ns",
				(unsigned long long)haltpoll_max_ns);
		}
	} else if (!announced) {
		announced = true;
		pr_info("haltpoll: guest window max %llu ns; host poll control not offered",
			(unsigned long long)haltpoll_max_ns);
	}
}

void haltpoll_start_cpu(struct haltpoll *h)
{
	h->poll_ns = haltpoll_max_ns < HALTPOLL_GROW_START_NS ? haltpoll_max_ns : HALTPOLL_GROW_START_NS;
}

void haltpoll_adjust(struct haltpoll *h, u64 block_ns)
{
	if (block_ns <= h->poll_ns)
		return;
	if (block_ns <= haltpoll_max_ns) {
		u64 v = h->poll_ns * HALTPOLL_GROW;
		if (v < HALTPOLL_GROW_START_NS)
			v = HALTPOLL_GROW_START_NS;
		h->poll_ns = v > haltpoll_max_ns ? haltpoll_max_ns : v;
	} else {
		h->poll_ns /= HALTPOLL_SHRINK;
	}
}
