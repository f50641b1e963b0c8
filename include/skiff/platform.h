/* What firmware tables told us about the machine: CPUs, I/O APICs, ISA IRQ
 * overrides, HPET. Filled from the ACPI MADT (drivers/acpi/) when the PVH
 * start_info carries an RSDP, else from the MP table (arch/x86_64/mptable.c).
 * Written once by the boot CPU before SMP bring-up; read-only afterwards. */
#ifndef SKIFF_PLATFORM_H
#define SKIFF_PLATFORM_H

#include <skiff/percpu.h>

#define MAX_IOAPICS 8

struct ioapic_desc {
	u8 id;
	phys_addr_t addr;
	u32 gsi_base;
};

struct irq_override {
	u8 isa_irq;
	u32 gsi;
	bool level;      /* trigger */
	bool active_low; /* polarity */
};

struct platform_info {
	const char *source;        /* "ACPI MADT" or "MP table" */
	phys_addr_t lapic_addr;
	unsigned ncpus;
	u32 apic_ids[NR_CPUS];     /* index = logical CPU; [0] is the boot CPU */
	unsigned nioapics;
	struct ioapic_desc ioapics[MAX_IOAPICS];
	unsigned noverrides;
	struct irq_override overrides[16];
	phys_addr_t hpet_addr;     /* 0 when there is no HPET table */
	phys_addr_t rsdp;          /* 0 without ACPI */
	/* ACPI power-off (FADT PM1a control + SLP_TYPa for S5); 0 when absent. */
	u16 pm1a_cnt, pm1b_cnt;
	u16 slp_typa, slp_typb;
	bool has_s5;
};

extern struct platform_info platform;

/* Discover CPUs and interrupt controllers. rsdp may be 0. Returns 0, or a
 * negative errno when neither ACPI nor an MP table describes the machine (the
 * caller then assumes one CPU and no I/O APIC). */
int platform_discover(phys_addr_t rsdp);
int acpi_parse(phys_addr_t rsdp);  /* drivers/acpi/acpi.c */
int mptable_parse(void);           /* arch/x86_64/mptable.c */

/* Address firmware data at physical [pa, pa+len): the direct map when every
 * page of it is mapped there (RAM, ACPI/NVS ranges, the first MiB), else a
 * new uncached ioremap() mapping (never unmapped). NULL when the range wraps
 * or lies beyond 52-bit physical space. Boot CPU, after paging_init. */
const void *firmware_map(phys_addr_t pa, size_t len);

#endif
