/* The register frame built by the interrupt/exception entry (entry.S). */
#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <skiff/compiler.h>

struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};
BUILD_ASSERT(sizeof(struct trap_frame) == 22 * 8, "trap_frame layout is shared with entry.S");

#define IRQ_VEC_BASE      0x20 /* first vector for device interrupts */
#define VEC_LAPIC_TIMER   0xec
#define VEC_CALL_FUNCTION 0xed
#define VEC_TLB_SHOOTDOWN 0xee
#define VEC_RESCHEDULE    0xef
#define VEC_SPURIOUS      0xff

typedef void (*irq_handler_t)(struct trap_frame *tf, void *arg);

/* Route a vector to a handler (device IRQs, IPIs, the timer). Handlers run
 * with interrupts off; the dispatcher sends the EOI afterwards. */
void irq_set_handler(unsigned vector, irq_handler_t fn, void *arg);
/* Allocate a free device vector, or -1. */
int irq_alloc_vector(void);

void trap_dump(const struct trap_frame *tf);
void arch_dump_stack(u64 rbp);
__noreturn void arch_exit_qemu(u32 code);
void arch_cpu_init(unsigned cpu); /* GDT, TSS, IDT for this CPU */

/* Exception fixup table: a faulting kernel instruction at `insn` resumes at
 * `fixup` (user-copy routines use it to return -EFAULT). */
struct ex_entry {
	u64 insn, fixup;
};

#endif
