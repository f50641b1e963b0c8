/* Local APIC (x2APIC when CPUID.1:ECX[21] says so, else xAPIC through MMIO)
 * and I/O APIC. Implemented in arch/x86_64/apic.c and ioapic.c. */
#ifndef ARCH_APIC_H
#define ARCH_APIC_H

#include <skiff/types.h>

/* Register offsets in xAPIC MMIO terms (x2APIC MSR = 0x800 + off/16). */
#define LAPIC_ID       0x020
#define LAPIC_VERSION  0x030
#define LAPIC_TPR      0x080
#define LAPIC_EOI      0x0b0
#define LAPIC_SVR      0x0f0
#define LAPIC_ESR      0x280
#define LAPIC_ICR_LO   0x300
#define LAPIC_ICR_HI   0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR  0x390
#define LAPIC_TIMER_DIV  0x3e0

#define LVT_MASKED (1u << 16)
#define LVT_TIMER_ONESHOT (0u << 17)
#define LVT_TIMER_PERIODIC (1u << 17)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)

/* Boot CPU: choose x2APIC/xAPIC, map the xAPIC page, print the choice.
 * Every CPU (boot CPU included) then calls lapic_init_cpu(). */
void lapic_setup(phys_addr_t mmio_base);
void lapic_init_cpu(void);
bool lapic_is_x2apic(void);

u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 val);
u32 lapic_id(void);
void lapic_eoi(void);

/* Fixed-delivery IPI to one CPU (by APIC id), or to all CPUs but self. */
void lapic_send_ipi(u32 apic_id, u8 vector);
void lapic_send_ipi_others(u8 vector);
void lapic_send_nmi_others(void);
/* INIT / STARTUP for AP bring-up (smpboot.c). */
void lapic_send_init(u32 apic_id);
void lapic_send_sipi(u32 apic_id, u8 page);

/* Route a GSI (ISA IRQs go through the platform's overrides first) to
 * vector on the CPU with apic_id. Level/polarity from the overrides or the
 * caller. Returns 0 or -ENODEV when no I/O APIC serves the GSI. */
int ioapic_route_isa_irq(unsigned isa_irq, u8 vector, u32 apic_id);
int ioapic_route_gsi(unsigned gsi, u8 vector, u32 apic_id, bool level, bool active_low);
void ioapic_mask_gsi(unsigned gsi, bool masked);
void ioapic_init(void);
/* Number of redirection entries (pins) of the I/O APIC at addr, read from
 * its version register (the MADT and the MP table do not carry it); maps
 * the I/O APIC on first use. 0 when nothing sensible answers there. */
unsigned ioapic_nr_pins(phys_addr_t addr);

#endif
