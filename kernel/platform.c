/* Platform discovery: which firmware table describes the machine, and the
 * one summary line every boot log carries:
 *
 *   platform: ACPI MADT: 2 CPUs, 1 IOAPIC at 0xfec00000 (GSI 0-23), HPET at 0xfed00000
 *
 * Order of trust: the ACPI MADT when the PVH start_info carries an RSDP and
 * the tables validate (drivers/acpi/acpi.c), else the Intel MP table
 * (arch/x86_64/mptable.c; QEMU builds one on every x86 machine type, which
 * is what -M microvm,acpi=off leaves us), else one CPU at the default local
 * APIC address with no I/O APIC.
 *
 * platform is written here by the boot CPU before SMP bring-up and is
 * read-only afterwards ([I] for every field). */
#include <arch/apic.h>
#include <arch/paging.h>
#include <skiff/cmdline.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/string.h>

#define LAPIC_DEFAULT_BASE 0xfee00000ull

CMDLINE_PARAM(acpi, "acpi", "acpi=off: ignore the ACPI tables (CPUs and IOAPICs from the MP table)");

struct platform_info platform;

const void *firmware_map(phys_addr_t pa, size_t len)
{
	phys_addr_t first, last;

	if (len == 0 || pa + len < pa || pa + len > (1ull << 52))
		return NULL;
	first = ALIGN_DOWN(pa, PAGE_SIZE);
	last = ALIGN_DOWN(pa + len - 1, PAGE_SIZE);
	for (phys_addr_t p = first; p <= last; p += PAGE_SIZE)
		if (kernel_virt_to_phys((u64)phys_to_virt(p)) != p)
			return ioremap(pa, len);
	return phys_to_virt(pa);
}

/* Make apic_ids[0] the CPU running this code (lapic_id() answers from CPUID
 * before lapic_setup). Firmware that forgot it gets it added. */
static void boot_cpu_first(void)
{
	u32 me = lapic_id();
	unsigned n = platform.ncpus;

	for (unsigned i = 0; i < n; i++) {
		if (platform.apic_ids[i] == me) {
			platform.apic_ids[i] = platform.apic_ids[0];
			platform.apic_ids[0] = me;
			return;
		}
	}
	pr_warn("platform: %s does not list the boot CPU (APIC id %u); adding it",
		platform.source, me);
	if (n == NR_CPUS)
		n--;
	memmove(&platform.apic_ids[1], &platform.apic_ids[0], n * sizeof(platform.apic_ids[0]));
	platform.apic_ids[0] = me;
	platform.ncpus = n + 1;
}

/* Drop I/O APICs where nothing answers; returns each survivor's pin count. */
static void check_ioapics(unsigned pins[MAX_IOAPICS])
{
	unsigned n = 0;

	for (unsigned i = 0; i < platform.nioapics; i++) {
		struct ioapic_desc *d = &platform.ioapics[i];
		unsigned p = ioapic_nr_pins(d->addr);

		if (!p) {
			pr_warn("platform: IOAPIC %u at %#llx does not answer; ignoring it", d->id,
				(unsigned long long)d->addr);
			continue;
		}
		pins[n] = p;
		platform.ioapics[n++] = *d;
	}
	platform.nioapics = n;
}

static void print_summary(const unsigned pins[MAX_IOAPICS])
{
	char buf[320];
	size_t len = 0;

	/* Append; a line longer than buf is cut, never overrun. */
#define OUT(...)                                                                   \
	do {                                                                       \
		size_t at_ = MIN(len, sizeof(buf) - 1);                            \
		len = at_ + (size_t)snprintf(buf + at_, sizeof(buf) - at_, __VA_ARGS__); \
	} while (0)
	OUT("platform: %s: %u CPU%s, ", platform.source, platform.ncpus, platform.ncpus == 1 ? "" : "s");
	if (!platform.nioapics)
		OUT("no IOAPIC");
	else
		OUT("%u IOAPIC%s at ", platform.nioapics, platform.nioapics == 1 ? "" : "s");
	for (unsigned i = 0; i < platform.nioapics; i++)
		OUT("%s%#llx (GSI %u-%u)", i ? ", " : "", (unsigned long long)platform.ioapics[i].addr,
		    platform.ioapics[i].gsi_base, platform.ioapics[i].gsi_base + pins[i] - 1);
	if (platform.hpet_addr)
		OUT(", HPET at %#llx", (unsigned long long)platform.hpet_addr);
	else
		OUT(", no HPET");
	pr_info("%s", buf);

	len = 0;
	OUT("platform: local APIC at %#llx, APIC ids", (unsigned long long)platform.lapic_addr);
	for (unsigned i = 0; i < platform.ncpus; i++)
		OUT(" %u", platform.apic_ids[i]);
	if (platform.noverrides)
		OUT("; ISA overrides");
	for (unsigned i = 0; i < platform.noverrides; i++) {
		const struct irq_override *o = &platform.overrides[i];
		OUT(" %u->%u%s%s", o->isa_irq, o->gsi, o->level ? " level" : "",
		    o->active_low ? " low" : "");
	}
	pr_info("%s", buf);
#undef OUT
	if (platform.has_s5)
		pr_info("platform: ACPI S5 power-off via PM1a %#x (SLP_TYPa %u, SLP_TYPb %u)",
			platform.pm1a_cnt, platform.slp_typa, platform.slp_typb);
}

int platform_discover(phys_addr_t rsdp)
{
	unsigned pins[MAX_IOAPICS];
	int err = -ENODEV;

	memset(&platform, 0, sizeof(platform));
	if (rsdp && cmdline_get("acpi") && !strcmp(cmdline_get("acpi"), "off")) {
		pr_info("platform: acpi=off: not using the ACPI tables at %#llx",
			(unsigned long long)rsdp);
		rsdp = 0;
	}
	if (rsdp) {
		err = acpi_parse(rsdp);
		if (err)
			pr_warn("platform: ACPI tables unusable (%d); trying the MP table", err);
	}
	if (err) {
		memset(&platform, 0, sizeof(platform));
		err = mptable_parse();
	}
	if (err) {
		memset(&platform, 0, sizeof(platform));
		platform.source = "no firmware tables";
		platform.ncpus = 1;
		platform.apic_ids[0] = lapic_id();
		platform.lapic_addr = LAPIC_DEFAULT_BASE;
	} else {
		boot_cpu_first();
	}
	check_ioapics(pins);
	nr_cpus_possible = platform.ncpus;
	print_summary(pins);
	return err;
}
