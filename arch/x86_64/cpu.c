/* Per-CPU descriptor tables: GDT (with the 64-bit TSS), IDT, and the
 * interrupt stacks for double fault, NMI and machine check.
 *
 * GDT layout (the syscall/sysret MSR STAR depends on it):
 *   0x08 kernel code, 0x10 kernel data, 0x18 user code32 (unused),
 *   0x20 user data, 0x28 user code64, 0x30 TSS (16 bytes). */
#include <arch/cpu.h>
#include <arch/trap.h>
#include <arch/gdt.h>
#include <skiff/percpu.h>
#include <skiff/string.h>

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;
BUILD_ASSERT(sizeof(struct tss) == 104, "tss size");

struct idt_entry {
	u16 off_lo;
	u16 sel;
	u8 ist;
	u8 type;
	u16 off_mid;
	u32 off_hi;
	u32 zero;
} __packed;
BUILD_ASSERT(sizeof(struct idt_entry) == 16, "idt entry size");

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

#define IST_STACK_SIZE 8192

struct cpu_tables {
	u64 gdt[8];
	struct tss tss;
	u8 ist_stacks[3][IST_STACK_SIZE] __aligned(16);
};

static struct cpu_tables cpu_tables[NR_CPUS] __aligned(64);
static struct idt_entry idt[256] __aligned(16);
extern char trap_stubs[];

static void idt_set(unsigned vec, u64 handler, u8 ist, u8 dpl)
{
	struct idt_entry *e = &idt[vec];

	e->off_lo = (u16)handler;
	e->sel = GDT_KCODE;
	e->ist = ist;
	e->type = (u8)(0x8e | (dpl << 5)); /* present, 64-bit interrupt gate */
	e->off_mid = (u16)(handler >> 16);
	e->off_hi = (u32)(handler >> 32);
	e->zero = 0;
}

static void idt_build(void)
{
	for (unsigned v = 0; v < 256; v++)
		idt_set(v, (u64)trap_stubs + 16 * v, 0, 0);
	idt_set(2, (u64)trap_stubs + 16 * 2, 2, 0);   /* NMI */
	idt_set(8, (u64)trap_stubs + 16 * 8, 1, 0);   /* double fault */
	idt_set(18, (u64)trap_stubs + 16 * 18, 3, 0); /* machine check */
	idt_set(3, (u64)trap_stubs + 16 * 3, 0, 3);   /* int3 from user */
}

/* Set the kernel stack the CPU switches to on an interrupt from user mode. */
void arch_set_kernel_stack(unsigned cpu, u64 top)
{
	cpu_tables[cpu].tss.rsp[0] = top;
}

/* Load GDT, TSS and IDT on the calling CPU. The boot CPU builds the IDT. */
void arch_cpu_init(unsigned cpu)
{
	struct cpu_tables *t = &cpu_tables[cpu];
	u64 tss = (u64)&t->tss;
	struct desc_ptr gp, ip;

	if (cpu == 0)
		idt_build();
	t->gdt[0] = 0;
	t->gdt[1] = 0x00af9a000000ffff; /* kernel code64 */
	t->gdt[2] = 0x00cf92000000ffff; /* kernel data */
	t->gdt[3] = 0x00cffa000000ffff; /* user code32 */
	t->gdt[4] = 0x00cff2000000ffff; /* user data */
	t->gdt[5] = 0x00affa000000ffff; /* user code64 */
	t->gdt[6] = (sizeof(struct tss) - 1) | ((tss & 0xffffff) << 16) | (0x89ull << 40) |
		    (((tss >> 24) & 0xff) << 56);
	t->gdt[7] = tss >> 32;
	memset(&t->tss, 0, sizeof(t->tss));
	t->tss.iomap_base = sizeof(struct tss);
	for (int i = 0; i < 3; i++)
		t->tss.ist[i] = (u64)&t->ist_stacks[i][IST_STACK_SIZE];

	gp.limit = sizeof(t->gdt) - 1;
	gp.base = (u64)t->gdt;
	ip.limit = sizeof(idt) - 1;
	ip.base = (u64)idt;
	__asm__ __volatile__(
		"lgdt %0\n\t"
		"pushq $0x08\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movl $0x10, %%eax\n\t"
		"movl %%eax, %%ds\n\t"
		"movl %%eax, %%es\n\t"
		"movl %%eax, %%ss\n\t"
		"ltr %w1\n\t"
		"lidt %2"
		:
		: "m"(gp), "r"(GDT_TSS), "m"(ip)
		: "rax", "memory");
}
