/* User mode on x86-64: SYSCALL MSRs, the context-switch hook for user
 * threads (page tables, FS/GS bases, FPU), the exit-to-user work loop,
 * exceptions from user mode turned into signals, and arch_prctl.
 *
 * MSR_STAR: SYSCALL loads CS = 0x08 / SS = 0x10; SYSRET loads CS = 0x18+16 =
 * 0x28|3 (user code64) and SS = 0x18+8 = 0x20|3 (user data), per the GDT of
 * arch/x86_64/cpu.c. MSR_SFMASK clears IF, DF, TF and AC on entry. */
#include <arch/cpu.h>
#include <arch/fpu.h>
#include <arch/gdt.h>
#include <arch/paging.h>
#include <arch/trap.h>
#include <skiff/errno.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/smp.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>
#include <skiff/vm.h>
#include "../../kernel/proc/proc.h"

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083 /* SYSCALL from compatibility mode */
#define MSR_SYSENTER_CS 0x174
#define MSR_SFMASK 0xc0000084
#define MSR_TSC_AUX 0xc0000103
#define EFER_SCE 1ull
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_RF (1ull << 16)
#define RFLAGS_AC (1ull << 18)

extern char syscall_entry[];
extern char syscall32_entry[]; /* compat_entry.S */
extern void (*user_exception_hook)(struct trap_frame *tf);
extern void (*exit_to_user_hook)(struct trap_frame *tf);
extern bool (*page_fault_hook)(struct trap_frame *tf, u64 addr);

static void user_exception(struct trap_frame *tf);
static void switch_hook(struct thread *prev, struct thread *next);

static void init_this_cpu(void *arg)
{
	fpu_init_cpu();
	arch_wrmsr(MSR_STAR, ((u64)(GDT_UCODE32) << 48) | ((u64)GDT_KCODE << 32));
	arch_wrmsr(MSR_LSTAR, (u64)syscall_entry);
	arch_wrmsr(MSR_CSTAR, (u64)syscall32_entry);
	arch_wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC);
	arch_wrmsr(MSR_EFER, arch_rdmsr(MSR_EFER) | EFER_SCE);
	u32 a, b, c, d;
	arch_cpuid(0x80000001, 0, &a, &b, &c, &d);
	if (d & (1u << 27)) /* RDTSCP: TSC_AUX = cpu number for getcpu */
		arch_wrmsr(MSR_TSC_AUX, this_cpu_id());
	arch_cpuid(1, 0, &a, &b, &c, &d);
	if (d & (1u << 11)) /* SEP: SYSENTER_CS 0 makes SYSENTER a #GP */
		arch_wrmsr(MSR_SYSENTER_CS, 0);
}

/* Every online CPU: FPU, SYSCALL MSRs. Installs the hooks. Boot CPU, once,
 * before the first user thread. */
void usermode_init_all_cpus(void)
{
	u64 f = arch_irq_save();
	init_this_cpu(NULL);
	arch_irq_restore(f);
	smp_call_function_others(init_this_cpu, NULL, true);
	user_exception_hook = user_exception;
	exit_to_user_hook = arch_exit_to_user;
	sched_switch_hook = switch_hook;
	pr_info("usermode: syscall/sysret, %s state %u bytes (xcr0 %#llx)",
		fpu_use_xsave ? "xsave" : "fxsave", fpu_state_size,
		(unsigned long long)fpu_xfeatures);
}

void arch_user_frame_init(struct trap_frame *tf, u64 rip, u64 rsp)
{
	memset(tf, 0, sizeof(*tf));
	tf->rip = rip;
	tf->rsp = rsp;
	tf->cs = GDT_UCODE | 3;
	tf->ss = GDT_UDATA | 3;
	tf->rflags = RFLAGS_IF;
	tf->vector = 0x200;
}

static void load_cr3(u64 cr3)
{
	if (arch_read_cr3() != cr3)
		tlb_switch_cr3(cr3);
}

/* Switch-in of a user task on this CPU (irqs off). */
void arch_task_switch_in(struct task *t)
{
	struct task_ext *te = tx(t);

	if (t->proc->mm && arch_read_cr3() != mm_cr3(t->proc->mm))
		mm_activate(t->proc->mm);
	arch_wrmsr(MSR_FS_BASE, te->fs_base);
	arch_wrmsr(MSR_KERNEL_GS_BASE, te->gs_base);
	fpu_restore(te->fpu);
}

/* Called by the scheduler (rq lock held, irqs off) when prev or next has a
 * user task. Kernel threads run on the kernel page tables, so an address
 * space can be freed as soon as its last thread is gone. */
static void switch_hook(struct thread *prev, struct thread *next)
{
	if (prev->task)
		fpu_save(tx(prev->task)->fpu);
	if (next->task)
		arch_task_switch_in(next->task);
	else
		load_cr3(arch_kernel_cr3());
}

/* The current thread leaves its address space for good (exit, exec). */
void arch_drop_user_mm(void)
{
	u64 f = arch_irq_save();
	load_cr3(arch_kernel_cr3());
	arch_irq_restore(f);
}

void arch_set_fs_base(u64 v)
{
	cur_tx()->fs_base = v;
	arch_wrmsr(MSR_FS_BASE, v);
}

void arch_set_user_gs_base(u64 v)
{
	cur_tx()->gs_base = v;
	arch_wrmsr(MSR_KERNEL_GS_BASE, v);
}

/* Pending work before returning to user mode: reschedule, signals, the
 * sigsuspend mask. Returns with interrupts off and nothing left to do, the
 * thread's user-time interval open (kernel/sched/cputime.c): every path
 * back to user mode ends here. */
void arch_exit_to_user(struct trap_frame *tf)
{
	struct task_ext *t = cur_tx();

	for (;;) {
		arch_irq_disable();
		bool resched = sched_need_resched();
		bool sig = task_sig_pending(t) || t->restore_mask;
		if (!resched && !sig)
			break;
		arch_irq_enable();
		if (resched)
			schedule();
		if (sig)
			signals_deliver(tf);
	}
	/* A wait ended by a signal that another thread dequeued first leaves
	 * -ERESTART* in rax with nothing pending here: restart the call
	 * rather than hand user space a kernel-internal code (glibc aborts:
	 * "The futex facility returned an unexpected error code"). */
	if (t->in_syscall)
		signals_restart_syscall(tf);
	t->in_syscall = false;
	cputime_return_to_user();
}

static bool can_sysret(const struct trap_frame *tf)
{
	return tf->rcx == tf->rip && tf->r11 == tf->rflags && tf->rip < USER_TOP &&
	       tf->cs == (GDT_UCODE | 3) && tf->ss == (GDT_UDATA | 3) &&
	       !(tf->rflags & (RFLAGS_RF | RFLAGS_TF));
}

long syscall_dispatch(struct trap_frame *tf);

/* C half of the SYSCALL entry (syscall.S), entered with interrupts off so
 * that the user time ends before anything can preempt the thread. */
int syscall_handler(struct trap_frame *tf)
{
	struct task_ext *t = cur_tx();

	cputime_enter_kernel();
	arch_irq_enable();
	t->in_syscall = true;
	t->orig_rax = tf->rax;
	tf->rax = (u64)syscall_dispatch(tf);
	arch_exit_to_user(tf);
	return can_sysret(tf);
}

/* An exception raised by user code: a signal to the thread. Page faults
 * reach here only when vm_handle_fault could not resolve them. */
static void user_exception(struct trap_frame *tf)
{
	u64 cr2 = arch_read_cr2();

	switch (tf->vector) {
	case 0:
		force_sig_fault(SIGFPE, FPE_INTDIV, tf->rip);
		break;
	case 1:
	case 3:
		force_sig_fault(SIGTRAP, SI_KERNEL, 0);
		break;
	case 6:
		force_sig_fault(SIGILL, ILL_ILLOPN, tf->rip);
		break;
	case 14: {
		/* vm_handle_fault (page_fault_hook) just failed on this CPU and
		 * knows whether Linux would send SIGSEGV or SIGBUS. */
		int code = (tf->error & 1) ? SEGV_ACCERR : SEGV_MAPERR;
		int sig = page_fault_hook ? vm_fault_signal(&code) : SIGSEGV;
		force_sig_fault(sig, code, cr2);
		break;
	}
	case 16:
	case 19:
		force_sig_fault(SIGFPE, 0, tf->rip);
		break;
	case 12:
	case 17:
		force_sig_fault(SIGBUS, SI_KERNEL, 0);
		break;
	default: /* #GP, #NP, #OF, #BR, ... */
		force_sig_fault(SIGSEGV, SI_KERNEL, 0);
		break;
	}
}

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

SYSCALL_DEFINE(158, arch_prctl)
{
	switch ((int)a0) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (a1 >= USER_TOP)
			return -EPERM;
		if ((int)a0 == ARCH_SET_FS)
			arch_set_fs_base(a1);
		else
			arch_set_user_gs_base(a1);
		return 0;
	case ARCH_GET_FS:
		return put_user_u64(cur_tx()->fs_base, (void *)a1);
	case ARCH_GET_GS:
		return put_user_u64(cur_tx()->gs_base, (void *)a1);
	default:
		return -EINVAL;
	}
}

/* The new address space of the current process after execve. */
void arch_activate_mm(struct mm *mm)
{
	u64 f = arch_irq_save();
	mm_activate(mm);
	arch_irq_restore(f);
}

/* AT_HWCAP: CPUID.1:EDX, as Linux reports on x86. */
u64 arch_elf_hwcap(void)
{
	u32 a, b, c, d;

	arch_cpuid(1, 0, &a, &b, &c, &d);
	return d;
}

/* A hardware random number: RDSEED when offered, else RDRAND (each retried
 * a few times). False when neither works. */
bool arch_random_u64(u64 *v)
{
	u32 a, b, c, d;
	unsigned char ok;

	arch_cpuid(7, 0, &a, &b, &c, &d);
	if (b & (1u << 18)) {
		for (int i = 0; i < 10; i++) {
			__asm__ __volatile__("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
			if (ok)
				return true;
		}
	}
	arch_cpuid(1, 0, &a, &b, &c, &d);
	if (c & (1u << 30)) {
		for (int i = 0; i < 10; i++) {
			__asm__ __volatile__("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
			if (ok)
				return true;
		}
	}
	return false;
}

/* reboot(2): power off through ACPI S5 (FADT PM1a/PM1b control, SLP_EN),
 * else the QEMU debug-exit port with code 0. */
__noreturn void arch_power_off(void)
{
	arch_irq_disable();
	if (platform.has_s5) {
		if (platform.pm1a_cnt)
			arch_outw(platform.pm1a_cnt, (u16)((platform.slp_typa << 10) | (1u << 13)));
		if (platform.pm1b_cnt)
			arch_outw(platform.pm1b_cnt, (u16)((platform.slp_typb << 10) | (1u << 13)));
		for (int i = 0; i < 1000000; i++)
			arch_cpu_relax();
	}
	arch_exit_qemu(0);
}

/* reboot(2) RESTART: keyboard-controller reset, then a triple fault. */
__noreturn void arch_reboot(void)
{
	struct {
		u16 limit;
		u64 base;
	} __packed empty = { 0, 0 };

	arch_irq_disable();
	for (int i = 0; i < 100000 && (arch_inb(0x64) & 2); i++)
		arch_cpu_relax();
	arch_outb(0x64, 0xfe);
	for (int i = 0; i < 1000000; i++)
		arch_cpu_relax();
	__asm__ __volatile__("lidt %0; int3" ::"m"(empty));
	for (;;)
		arch_halt();
}
