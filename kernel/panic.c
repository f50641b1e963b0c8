/* panic(): the end of the line for a broken kernel invariant. */
#include <arch/cpu.h>
#include <arch/trap.h>
#include <skiff/cmdline.h>
#include <skiff/printk.h>
#include <skiff/smp.h>

extern bool printk_in_panic;
static int panicking; /* [a] */

/* Exit code the harness sees for a panic (never 0). */
#define PANIC_EXIT_CODE 0x7d

void panic(const char *fmt, ...)
{
	struct trap_frame tf = { 0 };
	char msg[256];
	va_list ap;

	arch_irq_disable();
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST)) {
		for (;;)
			arch_halt(); /* a second CPU, or a panic inside panic */
	}
	printk_in_panic = true;
	smp_stop_others();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	__asm__ __volatile__("movq %%rsp, %0\n\tmovq %%rbp, %1\n\tleaq 0(%%rip), %2"
			     : "=r"(tf.rsp), "=r"(tf.rbp), "=r"(tf.rip));
	__asm__ __volatile__("movq %%rbx, %0\n\tmovq %%r12, %1\n\tmovq %%r13, %2\n\t"
			     "movq %%r14, %3\n\tmovq %%r15, %4"
			     : "=m"(tf.rbx), "=m"(tf.r12), "=m"(tf.r13), "=m"(tf.r14), "=m"(tf.r15));
	__asm__ __volatile__("movq %%cs, %0\n\tmovq %%ss, %1\n\tpushfq\n\tpopq %2"
			     : "=r"(tf.cs), "=r"(tf.ss), "=r"(tf.rflags));
	tf.vector = 256;
	printk_raw("\nKernel panic on CPU %u: %s\n", this_cpu_id(), msg);
	trap_dump(&tf);
	printk_raw("---[ end Kernel panic: %s ]---\n", msg);
	if (cmdline_has("skiff.selftest") || cmdline_has("skiff.exit_after_boot") ||
	    cmdline_has("skiff.test") ||
	    cmdline_has("skiff.exit_on_panic"))
		arch_exit_qemu(PANIC_EXIT_CODE);
	for (;;)
		arch_halt();
}
