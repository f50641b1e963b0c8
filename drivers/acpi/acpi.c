/* ACPI static tables: just enough to learn the machine's CPUs, I/O APICs,
 * ISA interrupt overrides, HPET and the S5 (soft-off) sleep type. No AML
 * interpreter: the DSDT is only scanned for the `_S5_` package.
 *
 * Host contract: the RSDP address comes from the PVH start_info
 * (rsdp_paddr); QEMU 7.2 sets it on -M q35, -M pc and -M microvm with ACPI
 * (the default); -M microvm,acpi=off passes 0 and kernel/platform.c falls
 * back to the MP table. Spec: ACPI 6.5 sections 5.2.5-5.2.12 and the HPET
 * specification 1.0a section 3.2.4 (see include/abi/acpi.h). QEMU's tables:
 * hw/i386/acpi-build.c (pc/q35: FADT rev 1/3 with PM1a_CNT at 0xb004/0x604,
 * MADT with one IOAPIC, HPET), hw/i386/acpi-microvm.c (hardware-reduced
 * FADT rev 5 without PM1 blocks, MADT, no HPET table).
 *
 * Trust: firmware tables are input. Every length is checked against the
 * mapping it came from and against ACPI_MAX_TABLE_LEN before use, every
 * table's checksum is verified, and a malformed RSDP, RSDT/XSDT or MADT makes
 * acpi_parse() return -EINVAL (with a log line) so that the caller can fall
 * back to the MP table. A malformed optional table (HPET, FADT, DSDT) is
 * reported and ignored. platform is written only when parsing succeeded.
 *
 * Runs once, on the boot CPU, before SMP bring-up: no locking. */
#include <skiff/checksum.h>
#include <abi/acpi.h>
#include <skiff/errno.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/string.h>

/* Largest table accepted. QEMU's DSDT is ~8 KiB; big servers reach a few
 * hundred KiB. Anything larger is treated as corrupt. */
#define ACPI_MAX_TABLE_LEN (4u << 20)

static struct platform_info acpi_info; /* filled here, copied on success */


/* A printable copy of a 4-byte signature (for log lines). */
static const char *sig_str(const char sig[4], char out[5])
{
	for (int i = 0; i < 4; i++)
		out[i] = (sig[i] >= 0x20 && sig[i] < 0x7f) ? sig[i] : '?';
	out[4] = 0;
	return out;
}

/* Map the table at pa and validate its header: minimum length, cap,
 * checksum, and (when want is not NULL) signature. Returns the table with
 * its trusted length in *len_out, or NULL after logging why. */
static const struct acpi_sdt_header *map_table(phys_addr_t pa, const char *want, u32 *len_out)
{
	const struct acpi_sdt_header *h;
	char s[5];
	u32 len;

	if (!pa) {
		pr_err("acpi: %s table address is 0", want ? want : "a");
		return NULL;
	}
	h = firmware_map(pa, sizeof(*h));
	if (!h) {
		pr_err("acpi: table at %#llx is not addressable", (unsigned long long)pa);
		return NULL;
	}
	if (want && memcmp(h->signature, want, 4) != 0) {
		pr_err("acpi: expected %s at %#llx, found '%s'", want, (unsigned long long)pa,
		       sig_str(h->signature, s));
		return NULL;
	}
	len = READ_ONCE(h->length); /* read once: the value checked is the value used */
	if (len < sizeof(*h) || len > ACPI_MAX_TABLE_LEN) {
		pr_err("acpi: table '%s' at %#llx has bad length %u", sig_str(h->signature, s),
		       (unsigned long long)pa, len);
		return NULL;
	}
	h = firmware_map(pa, len);
	if (!h) {
		pr_err("acpi: table at %#llx (+%u) is not addressable", (unsigned long long)pa, len);
		return NULL;
	}
	if (checksum8(h, len) != 0) {
		pr_err("acpi: table '%s' at %#llx has a bad checksum", sig_str(h->signature, s),
		       (unsigned long long)pa);
		return NULL;
	}
	*len_out = len;
	return h;
}

static void add_cpu(struct platform_info *pi, u32 apic_id)
{
	for (unsigned i = 0; i < pi->ncpus; i++) {
		if (pi->apic_ids[i] == apic_id) {
			pr_warn("acpi: MADT lists APIC id %u twice; ignoring the second", apic_id);
			return;
		}
	}
	if (pi->ncpus == NR_CPUS) {
		pr_warn_once("acpi: more than %u CPUs; ignoring the rest", NR_CPUS);
		return;
	}
	pi->apic_ids[pi->ncpus++] = apic_id;
}

/* An enabled CPU, or (MADT revision >= 5) one the firmware marks as able to
 * come online. */
static bool cpu_usable(u32 flags, u8 madt_rev)
{
	if (flags & ACPI_MADT_ENABLED)
		return true;
	return madt_rev >= 5 && (flags & ACPI_MADT_ONLINE_CAPABLE);
}

static void add_override(struct platform_info *pi, u8 isa_irq, u32 gsi, u16 inti)
{
	struct irq_override o = {
		.isa_irq = isa_irq,
		.gsi = gsi,
		.level = (inti & ACPI_INTI_TRIGGER_MASK) == ACPI_INTI_TRIGGER_LEVEL,
		.active_low = (inti & ACPI_INTI_POLARITY_MASK) == ACPI_INTI_POLARITY_LOW,
	};

	for (unsigned i = 0; i < pi->noverrides; i++) {
		if (pi->overrides[i].isa_irq == isa_irq) {
			pi->overrides[i] = o; /* the later entry wins, as in Linux */
			return;
		}
	}
	pi->overrides[pi->noverrides++] = o; /* isa_irq < 16 = array size: always room */
}

/* QEMU's I/O APIC model wires ISA IRQ 0 (the PIT) to pin 2 on every
 * machine (hw/intc/ioapic.c, ioapic_set_irq: "IRQ0 maps to GSI 2"), but the
 * -M microvm MADT of QEMU 7.2 leaves out the override that says so
 * (acpi_build_madt adds it only when apic_xrupt_override is set, which
 * microvm does not set; its MP table does list 0 -> pin 2). For tables
 * written by QEMU (OEM id "BOCHS ") without an IRQ 0 override, add it. */
static void qemu_irq0_quirk(const struct acpi_madt *m, struct platform_info *pi)
{
	if (memcmp(m->hdr.oem_id, "BOCHS ", 6) != 0 || pi->nioapics == 0)
		return;
	for (unsigned i = 0; i < pi->noverrides; i++)
		if (pi->overrides[i].isa_irq == 0)
			return;
	pr_info("acpi: QEMU MADT without an IRQ 0 override: using ISA IRQ 0 -> GSI 2 (QEMU's wiring)");
	add_override(pi, 0, 2, 0);
}

/* Minimum length of each MADT entry type Skiff reads. */
static u8 madt_min_len(u8 type)
{
	switch (type) {
	case ACPI_MADT_LAPIC: return sizeof(struct acpi_madt_lapic);
	case ACPI_MADT_IOAPIC: return sizeof(struct acpi_madt_ioapic);
	case ACPI_MADT_ISO: return sizeof(struct acpi_madt_iso);
	case ACPI_MADT_LAPIC_OVERRIDE: return sizeof(struct acpi_madt_lapic_override);
	case ACPI_MADT_X2APIC: return sizeof(struct acpi_madt_x2apic);
	default: return sizeof(struct acpi_madt_entry);
	}
}

/* Parse the MADT into pi. Returns 0, or -EINVAL for a malformed table. */
static int parse_madt(const struct acpi_madt *m, u32 len, struct platform_info *pi)
{
	const u8 *base = (const u8 *)m;
	u8 rev = m->hdr.revision;

	if (len < sizeof(*m)) {
		pr_err("acpi: MADT too short (%u bytes)", len);
		return -EINVAL;
	}
	pi->lapic_addr = m->lapic_addr;
	for (u32 off = sizeof(*m); off < len;) {
		const struct acpi_madt_entry *e = (const void *)(base + off);

		if (len - off < sizeof(*e) || e->length < madt_min_len(e->type) ||
		    e->length > len - off) {
			pr_err("acpi: MADT entry at offset %u (type %u) is truncated or malformed",
			       off, len - off >= sizeof(*e) ? e->type : 0xffu);
			return -EINVAL;
		}
		switch (e->type) {
		case ACPI_MADT_LAPIC: {
			const struct acpi_madt_lapic *l = (const void *)e;
			if (cpu_usable(l->flags, rev))
				add_cpu(pi, l->apic_id);
			break;
		}
		case ACPI_MADT_X2APIC: {
			const struct acpi_madt_x2apic *x = (const void *)e;
			if (cpu_usable(x->flags, rev))
				add_cpu(pi, x->x2apic_id);
			break;
		}
		case ACPI_MADT_IOAPIC: {
			const struct acpi_madt_ioapic *io = (const void *)e;
			if (!io->address) {
				pr_err("acpi: MADT IOAPIC %u has address 0", io->id);
				return -EINVAL;
			}
			if (pi->nioapics == MAX_IOAPICS) {
				pr_warn("acpi: more than %u IOAPICs; ignoring id %u", MAX_IOAPICS, io->id);
				break;
			}
			pi->ioapics[pi->nioapics++] = (struct ioapic_desc){
				.id = io->id, .addr = io->address, .gsi_base = io->gsi_base,
			};
			break;
		}
		case ACPI_MADT_ISO: {
			const struct acpi_madt_iso *iso = (const void *)e;
			if (iso->bus != 0 || iso->source >= 16) {
				pr_warn("acpi: ignoring interrupt override for bus %u irq %u",
					iso->bus, iso->source);
				break;
			}
			add_override(pi, iso->source, iso->gsi, iso->flags);
			break;
		}
		case ACPI_MADT_LAPIC_OVERRIDE: {
			const struct acpi_madt_lapic_override *o = (const void *)e;
			pi->lapic_addr = o->address;
			break;
		}
		default:
			break; /* NMI sources, LAPIC NMI, GIC...: not used */
		}
		off += e->length;
	}
	qemu_irq0_quirk(m, pi);
	if (pi->ncpus == 0) {
		pr_err("acpi: MADT lists no usable CPU");
		return -EINVAL;
	}
	if (!pi->lapic_addr) {
		pr_err("acpi: MADT gives local APIC address 0");
		return -EINVAL;
	}
	return 0;
}

static void parse_hpet(const struct acpi_hpet *h, u32 len, struct platform_info *pi)
{
	if (len < sizeof(*h)) {
		pr_warn("acpi: HPET table too short (%u bytes); ignoring it", len);
		return;
	}
	if (h->address.space_id != ACPI_GAS_MEMORY || !h->address.address) {
		pr_warn("acpi: HPET not in memory space (space %u, address %#llx); ignoring it",
			h->address.space_id, (unsigned long long)h->address.address);
		return;
	}
	pi->hpet_addr = h->address.address;
}

/* Decode one AML integer at aml[*p] (ZeroOp, OneOp, Byte/Word/DWord prefix).
 * Returns false when it is something else or runs past end. */
static bool aml_integer(const u8 *aml, u32 end, u32 *p, u32 *val)
{
	u32 i = *p, n;

	if (i >= end)
		return false;
	switch (aml[i]) {
	case AML_ZERO_OP: *val = 0; *p = i + 1; return true;
	case AML_ONE_OP: *val = 1; *p = i + 1; return true;
	case AML_BYTE_PFX: n = 1; break;
	case AML_WORD_PFX: n = 2; break;
	case AML_DWORD_PFX: n = 4; break;
	default: return false;
	}
	if (end - i - 1 < n)
		return false;
	*val = 0;
	for (u32 k = 0; k < n; k++)
		*val |= (u32)aml[i + 1 + k] << (8 * k);
	*p = i + 1 + n;
	return true;
}

/* Find `Name (_S5, Package () { SLP_TYPa, SLP_TYPb, ... })` in the DSDT body
 * by a bounded byte scan: NameOp ['\'] "_S5_" PackageOp PkgLength
 * NumElements then two integers. A _S5 defined any other way (a Method, an
 * SSDT) is not found; the caller then reports that ACPI power-off is absent. */
static bool find_s5(const u8 *dsdt, u32 len, u16 *typa, u16 *typb)
{
	const u32 start = sizeof(struct acpi_sdt_header);

	for (u32 i = start + 1; i + 4 <= len; i++) {
		u32 p, a, b, pkglen_bytes;

		if (memcmp(dsdt + i, "_S5_", 4) != 0)
			continue;
		if (!(dsdt[i - 1] == AML_NAME_OP ||
		      (dsdt[i - 1] == AML_ROOT_CHAR && i - 2 >= start && dsdt[i - 2] == AML_NAME_OP)))
			continue;
		p = i + 4;
		if (p >= len || dsdt[p] != AML_PACKAGE_OP)
			continue;
		p++;
		if (p >= len)
			return false;
		pkglen_bytes = dsdt[p] >> 6; /* PkgLength: bits 7-6 count the extra bytes */
		p += 1 + pkglen_bytes + 1;   /* PkgLength, NumElements */
		if (p >= len)
			return false;
		if (!aml_integer(dsdt, len, &p, &a) || !aml_integer(dsdt, len, &p, &b))
			return false;
		if (a > 7 || b > 7) /* SLP_TYP is a 3-bit field */
			return false;
		*typa = (u16)a;
		*typb = (u16)b;
		return true;
	}
	return false;
}

/* FADT: PM1a/PM1b control ports, then the S5 sleep type from the DSDT. */
static void parse_fadt(const struct acpi_fadt *f, u32 len, struct platform_info *pi)
{
	u64 pm1a = 0, pm1b = 0, dsdt_pa = 0;
	const struct acpi_sdt_header *dsdt;
	u32 dsdt_len;

#define HAS(field) (len >= offsetof(struct acpi_fadt, field) + sizeof(f->field))
	if (!HAS(pm1b_cnt_blk)) {
		pr_warn("acpi: FADT too short (%u bytes); ignoring it", len);
		return;
	}
	if (HAS(flags) && (f->flags & ACPI_FADT_HW_REDUCED)) {
		pr_info("acpi: hardware-reduced ACPI: no PM1 control block, no S5 power-off");
		return;
	}
	pm1a = f->pm1a_cnt_blk;
	pm1b = f->pm1b_cnt_blk;
	if (HAS(x_pm1a_cnt_blk) && f->x_pm1a_cnt_blk.address) {
		if (f->x_pm1a_cnt_blk.space_id != ACPI_GAS_IO) {
			pr_warn("acpi: PM1a control block not in I/O space; no S5 power-off");
			return;
		}
		pm1a = f->x_pm1a_cnt_blk.address;
	}
	if (HAS(x_pm1b_cnt_blk) && f->x_pm1b_cnt_blk.address &&
	    f->x_pm1b_cnt_blk.space_id == ACPI_GAS_IO)
		pm1b = f->x_pm1b_cnt_blk.address;
	if (HAS(x_dsdt) && f->x_dsdt)
		dsdt_pa = f->x_dsdt;
	else
		dsdt_pa = f->dsdt;
#undef HAS
	if (!pm1a || pm1a > 0xffff || pm1b > 0xffff) {
		pr_warn("acpi: FADT PM1 control ports %#llx/%#llx unusable; no S5 power-off",
			(unsigned long long)pm1a, (unsigned long long)pm1b);
		return;
	}
	pi->pm1a_cnt = (u16)pm1a;
	pi->pm1b_cnt = (u16)pm1b;

	dsdt = map_table(dsdt_pa, "DSDT", &dsdt_len);
	if (!dsdt) {
		pr_warn("acpi: DSDT unusable; no S5 power-off");
		return;
	}
	if (!find_s5((const u8 *)dsdt, dsdt_len, &pi->slp_typa, &pi->slp_typb)) {
		pr_warn("acpi: no _S5_ package in the DSDT; no S5 power-off");
		return;
	}
	pi->has_s5 = true;
}

/* Validate the RSDP and return the root table's address and entry size
 * (4 for the RSDT, 8 for the XSDT), or 0 after logging why. */
static phys_addr_t parse_rsdp(phys_addr_t pa, unsigned *entry_size)
{
	const struct acpi_rsdp *r = firmware_map(pa, ACPI_RSDP_V1_LEN);
	u32 len;

	if (!r) {
		pr_err("acpi: RSDP at %#llx is not addressable", (unsigned long long)pa);
		return 0;
	}
	if (memcmp(r->signature, ACPI_RSDP_SIG, 8) != 0) {
		pr_err("acpi: no RSDP signature at %#llx", (unsigned long long)pa);
		return 0;
	}
	if (checksum8(r, ACPI_RSDP_V1_LEN) != 0) {
		pr_err("acpi: RSDP checksum is wrong");
		return 0;
	}
	if (r->revision < 2) {
		*entry_size = 4;
		return r->rsdt_address;
	}
	len = READ_ONCE(r->length);
	if (len < sizeof(*r) || len > 4096) {
		pr_err("acpi: RSDP revision %u has bad length %u", r->revision, len);
		return 0;
	}
	r = firmware_map(pa, len);
	if (!r || checksum8(r, len) != 0) {
		pr_err("acpi: RSDP extended checksum is wrong");
		return 0;
	}
	if (r->xsdt_address) {
		*entry_size = 8;
		return r->xsdt_address;
	}
	*entry_size = 4; /* revision 2 without an XSDT: use the RSDT */
	return r->rsdt_address;
}

int acpi_parse(phys_addr_t rsdp)
{
	struct platform_info *pi = &acpi_info;
	const struct acpi_sdt_header *root;
	bool have_madt = false;
	unsigned esize = 0;
	u32 root_len, n;
	phys_addr_t root_pa;
	char s[5];

	memset(pi, 0, sizeof(*pi));
	root_pa = parse_rsdp(rsdp, &esize);
	if (!root_pa)
		return -EINVAL;
	root = map_table(root_pa, esize == 8 ? "XSDT" : "RSDT", &root_len);
	if (!root)
		return -EINVAL;
	n = (root_len - (u32)sizeof(*root)) / esize;

	for (u32 i = 0; i < n; i++) {
		const u8 *ent = (const u8 *)root + sizeof(*root) + (size_t)i * esize;
		phys_addr_t pa = 0;
		const struct acpi_sdt_header *t;
		u32 len;

		memcpy(&pa, ent, esize); /* little endian; entries are unaligned in the XSDT */
		t = map_table(pa, NULL, &len);
		if (!t)
			continue; /* logged; only the MADT is essential, checked below */
		if (!memcmp(t->signature, "APIC", 4)) {
			if (have_madt) {
				pr_warn("acpi: second MADT at %#llx ignored", (unsigned long long)pa);
				continue;
			}
			if (parse_madt((const void *)t, len, pi) < 0)
				return -EINVAL;
			have_madt = true;
		} else if (!memcmp(t->signature, "HPET", 4)) {
			if (!pi->hpet_addr)
				parse_hpet((const void *)t, len, pi);
		} else if (!memcmp(t->signature, "FACP", 4)) {
			if (!pi->pm1a_cnt)
				parse_fadt((const void *)t, len, pi);
		} else {
			pr_debug("acpi: table %s at %#llx (%u bytes) not used", sig_str(t->signature, s),
				 (unsigned long long)pa, len);
		}
	}
	if (!have_madt) {
		pr_err("acpi: no valid MADT");
		return -EINVAL;
	}
	pi->source = "ACPI MADT";
	pi->rsdp = rsdp;
	platform = *pi;
	return 0;
}
