/* Intel MultiProcessor Specification 1.4 tables: the fallback when there
 * is no usable ACPI MADT.
 *
 * Host contract: QEMU 7.2 builds an MP table on every x86 machine; on
 * -M q35/-M pc (SeaBIOS) the floating pointer is in the F-segment, on
 * -M microvm (qboot / bios-microvm) in the EBDA at 0x9fc00, which is the only
 * CPU description -M microvm,acpi=off offers. Spec sections: 4.1 (floating
 * pointer and where to search for it: first KiB of the EBDA, last KiB of base
 * memory, 0xF0000-0xFFFFF), 4.2 (configuration table header), 4.3 (base
 * table entries: processor 20 bytes, bus/IOAPIC/interrupt 8 bytes).
 *
 * Refused: the "default configurations" (floating pointer feature byte 1 !=
 * 0, no table), which no VMM builds; extended table entries are ignored.
 * The IMCR (PIC mode, feature byte 2 bit 7) is not switched: QEMU has none.
 *
 * Trust: the tables are firmware input. Both checksums are verified, every
 * entry is bounds-checked against the table length, a malformed table is
 * refused with -EINVAL and platform is written only on success.
 * Runs once on the boot CPU before SMP bring-up: no locking. */
#include <skiff/checksum.h>
#include <arch/apic.h>
#include <skiff/compiler.h>
#include <skiff/errno.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/string.h>

struct mpf_intel {           /* floating pointer structure, 16 bytes */
	char signature[4];   /* "_MP_" */
	u32 physptr;         /* configuration table, 0 = default configuration */
	u8 length;           /* in 16-byte units: 1 */
	u8 spec_rev;
	u8 checksum;
	u8 feature1;         /* != 0: default configuration number */
	u8 feature2;         /* bit 7: IMCR present */
	u8 feature3[3];
} __packed;
BUILD_ASSERT(sizeof(struct mpf_intel) == 16, "mpf size");
BUILD_ASSERT(offsetof(struct mpf_intel, physptr) == 4, "mpf.physptr");
BUILD_ASSERT(offsetof(struct mpf_intel, checksum) == 10, "mpf.checksum");
BUILD_ASSERT(offsetof(struct mpf_intel, feature1) == 11, "mpf.feature1");

struct mpc_table {           /* configuration table header, 44 bytes */
	char signature[4];   /* "PCMP" */
	u16 length;          /* base table, header included */
	u8 spec_rev;
	u8 checksum;
	char oem[8];
	char product[12];
	u32 oem_ptr;
	u16 oem_size;
	u16 count;           /* entries in the base table */
	u32 lapic;           /* local APIC address */
	u16 ext_length;
	u8 ext_checksum;
	u8 reserved;
} __packed;
BUILD_ASSERT(sizeof(struct mpc_table) == 44, "mpc header size");
BUILD_ASSERT(offsetof(struct mpc_table, count) == 34, "mpc.count");
BUILD_ASSERT(offsetof(struct mpc_table, lapic) == 36, "mpc.lapic");

#define MP_PROCESSOR 0
#define MP_BUS       1
#define MP_IOAPIC    2
#define MP_INTSRC    3
#define MP_LINTSRC   4

struct mpc_cpu {
	u8 type;
	u8 apic_id;
	u8 apic_ver;
	u8 flags;            /* bit 0 enabled, bit 1 boot processor */
	u32 signature;
	u32 features;
	u32 reserved[2];
} __packed;
BUILD_ASSERT(sizeof(struct mpc_cpu) == 20, "mpc_cpu size");
BUILD_ASSERT(offsetof(struct mpc_cpu, flags) == 3, "mpc_cpu.flags");

struct mpc_bus {
	u8 type;
	u8 bus_id;
	char bus_type[6];    /* "ISA   ", "PCI   ", blank padded */
} __packed;
BUILD_ASSERT(sizeof(struct mpc_bus) == 8, "mpc_bus size");

struct mpc_ioapic {
	u8 type;
	u8 id;
	u8 version;
	u8 flags;            /* bit 0 enabled */
	u32 addr;
} __packed;
BUILD_ASSERT(sizeof(struct mpc_ioapic) == 8, "mpc_ioapic size");
BUILD_ASSERT(offsetof(struct mpc_ioapic, addr) == 4, "mpc_ioapic.addr");

struct mpc_intsrc {
	u8 type;
	u8 irq_type;         /* 0 INT (vectored), 1 NMI, 2 SMI, 3 ExtINT */
	u16 flags;           /* polarity bits 0-1, trigger bits 2-3, as ACPI's INTI flags */
	u8 src_bus;
	u8 src_irq;
	u8 dst_ioapic;       /* 0xff: all I/O APICs */
	u8 dst_pin;
} __packed;
BUILD_ASSERT(sizeof(struct mpc_intsrc) == 8, "mpc_intsrc size");
BUILD_ASSERT(offsetof(struct mpc_intsrc, src_bus) == 4, "mpc_intsrc.src_bus");

#define MP_CPU_ENABLED    1
#define MP_IOAPIC_ENABLED 1
#define MP_IRQ_INT        0

#define MP_MAX_BUSES 256

static struct platform_info mp_info; /* filled here, copied on success */
static bool bus_is_isa[MP_MAX_BUSES];


/* Scan [base, base+len) on 16-byte boundaries for a valid floating pointer. */
static const struct mpf_intel *scan(phys_addr_t base, u32 len)
{
	const u8 *p = firmware_map(base, len);

	if (!p)
		return NULL;
	for (u32 off = 0; off + sizeof(struct mpf_intel) <= len; off += 16) {
		const struct mpf_intel *f = (const void *)(p + off);
		if (memcmp(f->signature, "_MP_", 4) == 0 && f->length == 1 &&
		    checksum8(f, sizeof(*f)) == 0)
			return f;
	}
	return NULL;
}

/* Spec 4.1's search order. The BIOS data area words at 0x40e (EBDA segment)
 * and 0x413 (base memory KiB) are trusted only inside [512 KiB, 640 KiB). */
static const struct mpf_intel *find_mpf(void)
{
	const u16 *bda_ebda = firmware_map(0x40e, 2), *bda_basemem = firmware_map(0x413, 2);
	const struct mpf_intel *f;
	phys_addr_t ebda = bda_ebda ? (phys_addr_t)*bda_ebda << 4 : 0;
	phys_addr_t top = bda_basemem ? (phys_addr_t)*bda_basemem << 10 : 0;

	if (ebda >= 0x80000 && ebda + 1024 <= 0xa0000 && (f = scan(ebda, 1024)))
		return f;
	if (top < 0x80000 || top > 0xa0000)
		top = 640 << 10;
	if ((f = scan(top - 1024, 1024)))
		return f;
	return scan(0xf0000, 0x10000);
}

static int add_ioapic(struct platform_info *pi, const struct mpc_ioapic *m)
{
	unsigned gsi_base = 0, pins;

	if (!(m->flags & MP_IOAPIC_ENABLED))
		return 0;
	if (!m->addr) {
		pr_err("mptable: IOAPIC %u has address 0", m->id);
		return -EINVAL;
	}
	if (pi->nioapics == MAX_IOAPICS) {
		pr_warn("mptable: more than %u IOAPICs; ignoring id %u", MAX_IOAPICS, m->id);
		return 0;
	}
	/* The MP table numbers inputs per I/O APIC; GSIs are assigned in table
	 * order, as Linux does for MP-table systems. */
	for (unsigned i = 0; i < pi->nioapics; i++)
		gsi_base += ioapic_nr_pins(pi->ioapics[i].addr);
	pins = ioapic_nr_pins(m->addr);
	if (!pins) {
		pr_warn("mptable: IOAPIC %u at %#x does not answer; ignoring it", m->id, m->addr);
		return 0;
	}
	pi->ioapics[pi->nioapics++] = (struct ioapic_desc){
		.id = m->id, .addr = m->addr, .gsi_base = gsi_base,
	};
	return 0;
}

/* GSI of (I/O APIC id, pin), or -1 when no such I/O APIC was listed. */
static long intsrc_gsi(const struct platform_info *pi, u8 ioapic_id, u8 pin)
{
	for (unsigned i = 0; i < pi->nioapics; i++)
		if (ioapic_id == 0xff || pi->ioapics[i].id == ioapic_id)
			return (long)pi->ioapics[i].gsi_base + pin;
	return -1;
}

static void add_isa_irq(struct platform_info *pi, const struct mpc_intsrc *s)
{
	long gsi = intsrc_gsi(pi, s->dst_ioapic, s->dst_pin);
	bool level = (s->flags & 0xc) == 0xc, low = (s->flags & 0x3) == 0x3;

	if (s->irq_type != MP_IRQ_INT || s->src_irq >= 16)
		return;
	if (gsi < 0) {
		pr_warn("mptable: ISA IRQ %u routed to unknown IOAPIC %u", s->src_irq, s->dst_ioapic);
		return;
	}
	/* Identity, edge, active-high is the default: not an override. */
	if (gsi == s->src_irq && !level && !low)
		return;
	for (unsigned i = 0; i < pi->noverrides; i++) {
		if (pi->overrides[i].isa_irq == s->src_irq) {
			pr_warn("mptable: ISA IRQ %u routed twice; keeping the first", s->src_irq);
			return;
		}
	}
	pi->overrides[pi->noverrides++] = (struct irq_override){
		.isa_irq = s->src_irq, .gsi = (u32)gsi, .level = level, .active_low = low,
	};
}

static u32 entry_len(u8 type)
{
	return type == MP_PROCESSOR ? sizeof(struct mpc_cpu) : 8;
}

/* Walk the base table twice: CPUs, buses and I/O APICs first, then the
 * interrupt entries, which refer to buses and I/O APICs by id. The walk
 * follows the table length, not the entry count: qboot (-M microvm) leaves
 * the count 0, and Linux walks by length too. */
static int parse_table(const struct mpc_table *t, u32 len, struct platform_info *pi)
{
	const u8 *base = (const u8 *)t;

	for (int pass = 0; pass < 2; pass++) {
		for (u32 off = sizeof(*t); off < len;) {
			const u8 *e = base + off;
			u32 elen;

			if (*e > MP_LINTSRC) {
				pr_err("mptable: unknown entry type %u at offset %u", *e, off);
				return -EINVAL;
			}
			elen = entry_len(*e);
			if (len - off < elen)
				goto truncated;
			off += elen;
			if (pass == 0 && *e == MP_PROCESSOR) {
				const struct mpc_cpu *c = (const void *)e;
				if (!(c->flags & MP_CPU_ENABLED))
					continue;
				for (unsigned i = 0; i < pi->ncpus; i++)
					if (pi->apic_ids[i] == c->apic_id)
						goto next;
				if (pi->ncpus < NR_CPUS)
					pi->apic_ids[pi->ncpus++] = c->apic_id;
				else
					pr_warn_once("mptable: more than %u CPUs; ignoring the rest", NR_CPUS);
			} else if (pass == 0 && *e == MP_BUS) {
				const struct mpc_bus *b = (const void *)e;
				bus_is_isa[b->bus_id] = memcmp(b->bus_type, "ISA   ", 6) == 0;
			} else if (pass == 0 && *e == MP_IOAPIC) {
				if (add_ioapic(pi, (const void *)e) < 0)
					return -EINVAL;
			} else if (pass == 1 && *e == MP_INTSRC) {
				const struct mpc_intsrc *s = (const void *)e;
				if (bus_is_isa[s->src_bus])
					add_isa_irq(pi, s);
			}
next:;
		}
	}
	if (!pi->ncpus) {
		pr_err("mptable: no enabled processor entry");
		return -EINVAL;
	}
	return 0;
truncated:
	pr_err("mptable: base table of %u bytes ends inside an entry", len);
	return -EINVAL;
}

int mptable_parse(void)
{
	struct platform_info *pi = &mp_info;
	const struct mpf_intel *f = find_mpf();
	const struct mpc_table *t;
	u32 len;
	int err;

	if (!f) {
		pr_info("mptable: no MP floating pointer");
		return -ENODEV;
	}
	if (f->feature1 != 0 || !f->physptr) {
		pr_err("mptable: default configuration %u is not supported", f->feature1);
		return -EINVAL;
	}
	t = firmware_map(f->physptr, sizeof(*t));
	if (!t || memcmp(t->signature, "PCMP", 4) != 0) {
		pr_err("mptable: no PCMP table at %#x", f->physptr);
		return -EINVAL;
	}
	len = READ_ONCE(t->length); /* the value checked is the value used */
	if (len < sizeof(*t)) {
		pr_err("mptable: base table length %u is too short", len);
		return -EINVAL;
	}
	t = firmware_map(f->physptr, len);
	if (!t || checksum8(t, len) != 0) {
		pr_err("mptable: base table at %#x has a bad checksum", f->physptr);
		return -EINVAL;
	}
	memset(pi, 0, sizeof(*pi));
	memset(bus_is_isa, 0, sizeof(bus_is_isa));
	pi->lapic_addr = t->lapic;
	if (!pi->lapic_addr) {
		pr_err("mptable: local APIC address 0");
		return -EINVAL;
	}
	err = parse_table(t, len, pi);
	if (err)
		return err;
	pi->source = "MP table";
	platform = *pi;
	return 0;
}
