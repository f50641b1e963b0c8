/* Exception and interrupt dispatch. Exceptions in kernel code are either
 * fixed up through the exception table (user-copy routines) or end in a
 * register dump, a symbolized stack trace and panic. Device interrupts and
 * IPIs go to the handler registered for their vector, then EOI, then the
 * scheduler gets its preemption point. */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/trap.h>
#include <skiff/kallsyms.h>
#include <skiff/layout.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/sched.h>
#include <skiff/spinlock.h>

static const char *const exc_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 FP error", "alignment check", "machine check",
	"SIMD FP error", "virtualization", "control protection", "reserved", "reserved",
	"reserved", "reserved", "reserved", "reserved", "hypervisor injection",
	"VMM communication", "security", "reserved",
};

static struct {
	irq_handler_t fn;
	void *arg;
} handlers[256];
static DEFINE_SPINLOCK(vector_lock);
static int next_vector = IRQ_VEC_BASE + 16; /* [vector_lock] */

void irq_set_handler(unsigned vector, irq_handler_t fn, void *arg)
{
	handlers[vector].arg = arg;
	__atomic_store_n(&handlers[vector].fn, fn, __ATOMIC_RELEASE);
}

int irq_alloc_vector(void)
{
	u64 f = spin_lock_irqsave(&vector_lock);
	int v = next_vector < VEC_LAPIC_TIMER ? next_vector++ : -1;
	spin_unlock_irqrestore(&vector_lock, f);
	return v;
}

/* Print a symbolized frame-pointer walk starting at rbp. Stops at a frame
 * outside the kernel's address range or after 32 frames. */
void arch_dump_stack(u64 rbp)
{
	extern char __text_start[], __text_end[];

	printk_raw("Call trace:\n");
	for (int depth = 0; depth < 32; depth++) {
		if (rbp < DIRECT_MAP_BASE || (rbp & 7))
			break;
		u64 ret = ((u64 *)rbp)[1];
		u64 off = 0;
		const char *name;

		if (ret < (u64)__text_start || ret >= (u64)__text_end)
			break;
		name = kallsyms_lookup(ret - 1, &off);
		printk_raw("  [<%016llx>] %s+0x%llx\n", (unsigned long long)ret,
			   name ? name : "?", (unsigned long long)off + 1);
		rbp = ((u64 *)rbp)[0];
	}
}

void trap_dump(const struct trap_frame *tf)
{
	u64 off = 0;
	const char *fn = kallsyms_lookup(tf->rip, &off);

	printk_raw("CPU %u: %s (vector %llu) error %#llx\n", this_cpu_id(),
		   tf->vector < 32 ? exc_names[tf->vector] : tf->vector == 256 ? "registers at panic" : "interrupt",
		   (unsigned long long)tf->vector, (unsigned long long)tf->error);
	printk_raw("RIP: %04llx:%016llx %s+0x%llx\n", (unsigned long long)tf->cs,
		   (unsigned long long)tf->rip, fn ? fn : "?", (unsigned long long)off);
	printk_raw("RSP: %04llx:%016llx RFLAGS: %08llx CR2: %016llx\n",
		   (unsigned long long)tf->ss, (unsigned long long)tf->rsp,
		   (unsigned long long)tf->rflags, (unsigned long long)arch_read_cr2());
	printk_raw("RAX: %016llx RBX: %016llx RCX: %016llx\n", (unsigned long long)tf->rax,
		   (unsigned long long)tf->rbx, (unsigned long long)tf->rcx);
	printk_raw("RDX: %016llx RSI: %016llx RDI: %016llx\n", (unsigned long long)tf->rdx,
		   (unsigned long long)tf->rsi, (unsigned long long)tf->rdi);
	printk_raw("RBP: %016llx R08: %016llx R09: %016llx\n", (unsigned long long)tf->rbp,
		   (unsigned long long)tf->r8, (unsigned long long)tf->r9);
	printk_raw("R10: %016llx R11: %016llx R12: %016llx\n", (unsigned long long)tf->r10,
		   (unsigned long long)tf->r11, (unsigned long long)tf->r12);
	printk_raw("R13: %016llx R14: %016llx R15: %016llx\n", (unsigned long long)tf->r13,
		   (unsigned long long)tf->r14, (unsigned long long)tf->r15);
	printk_raw("CR3: %016llx\n", (unsigned long long)arch_read_cr3());
	if ((tf->cs & 3) == 0) {
		printk_raw("  [<%016llx>] %s+0x%llx\n", (unsigned long long)tf->rip,
			   fn ? fn : "?", (unsigned long long)off);
		arch_dump_stack(tf->rbp);
	}
}

static bool fixup_exception(struct trap_frame *tf)
{
	extern const struct ex_entry __ex_table_start[], __ex_table_end[];

	for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++) {
		if (e->insn == tf->rip) {
			tf->rip = e->fixup;
			return true;
		}
	}
	return false;
}

/* Hook for exceptions raised in user mode (signals); NULL until the process
 * layer installs one. Returns after arranging delivery. */
void (*user_exception_hook)(struct trap_frame *tf);
/* Page fault handler for user addresses; returns true when resolved. */
bool (*page_fault_hook)(struct trap_frame *tf, u64 addr);
/* NMI handler (arch/x86_64/ipi.c: parks the CPU when smp_stop_others ran);
 * NULL until SMP setup, when an NMI ends in the panic below. */
void (*nmi_hook)(struct trap_frame *tf);

/* Work before any return to user mode (signals, rescheduling); installed
 * by the process layer. Returns with interrupts off. */
void (*exit_to_user_hook)(struct trap_frame *tf);

static void trap_handle(struct trap_frame *tf);

/* Entered with interrupts off (interrupt gates). From user mode the
 * thread's user time ends here and restarts in the exit-to-user work; not
 * for NMI, #DF or #MC (their own IST stacks, any context), which skip both
 * and stay user time. */
void trap_dispatch(struct trap_frame *tf)
{
	bool user = (tf->cs & 3) && tf->vector != 2 && tf->vector != 8 && tf->vector != 18;

	if (user)
		cputime_enter_kernel();
	trap_handle(tf);
	if (user && exit_to_user_hook)
		exit_to_user_hook(tf);
}

static void trap_handle(struct trap_frame *tf)
{
	unsigned vec = (unsigned)tf->vector;

	if (vec == 2 && nmi_hook) {
		nmi_hook(tf);
		return;
	}
	if (vec < 32) {
		if (vec == 14 && page_fault_hook && page_fault_hook(tf, arch_read_cr2()))
			return;
		if ((tf->cs & 3) == 0) {
			if (fixup_exception(tf))
				return;
			trap_dump(tf);
			panic("%s in kernel mode", exc_names[vec]);
		}
		if (user_exception_hook) {
			user_exception_hook(tf);
			return;
		}
		trap_dump(tf);
		panic("%s in user mode with no process layer", exc_names[vec]);
	}

	if (vec == VEC_SPURIOUS)
		return;
	this_cpu_local()->in_irq++;
	if (handlers[vec].fn)
		handlers[vec].fn(tf, handlers[vec].arg);
	else
		pr_warn_once("irq: unexpected vector %u on cpu %u", vec, this_cpu_id());
	lapic_eoi();
	this_cpu_local()->in_irq--;

	/* Preemption point: the interrupted context had interrupts on and holds
	 * no spinlock. */
	if ((tf->rflags & (1 << 9)) && this_cpu_local()->preempt_count == 0 &&
	    sched_need_resched())
		sched_preempt_irq();
}

__noreturn void arch_exit_qemu(u32 code)
{
	arch_outl(0xf4, code); /* isa-debug-exit: QEMU exits (code << 1) | 1 */
	arch_irq_disable();
	for (;;)
		arch_halt();
}
