// SOURCES: drivers/acpi/acpi.c
/* The ACPI table parser against hand-built tables in a fake physical
 * memory: a QEMU-like set (RSDP 2 + XSDT, MADT, FADT + DSDT with _S5_,
 * HPET), the ACPI 1.0 RSDT path, and malformed inputs that must be refused
 * without touching platform (bad checksums, zero-length and overrunning MADT
 * entries, absurd table lengths, a truncated _S5_ package). */
#include <string.h>

#include <abi/acpi.h>
#include <skiff/errno.h>
#include <skiff/platform.h>
#include "test.h"

static u8 mem[1 << 20] __attribute__((aligned(4096)));
struct platform_info platform;

const void *firmware_map(phys_addr_t pa, size_t len)
{
	if (pa > sizeof(mem) || len > sizeof(mem) - pa)
		return NULL;
	return mem + pa;
}

#define RSDP_PA 0xe0000
#define XSDT_PA 0x1000
#define RSDT_PA 0x1800
#define MADT_PA 0x2000
#define FADT_PA 0x3000
#define DSDT_PA 0x4000
#define HPET_PA 0x5000

static u8 sum(const void *p, size_t n)
{
	const u8 *b = p;
	u8 s = 0;
	while (n--)
		s = (u8)(s + *b++);
	return s;
}

static void fix_checksum(phys_addr_t pa)
{
	struct acpi_sdt_header *h = (void *)(mem + pa);
	h->checksum = 0;
	h->checksum = (u8)-sum(h, h->length);
}

/* Header + body at pa, checksummed. */
static void put_table(phys_addr_t pa, const char *sig, u8 rev, const void *body, u32 len)
{
	struct acpi_sdt_header *h = (void *)(mem + pa);

	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->length = (u32)sizeof(*h) + len;
	h->revision = rev;
	memcpy(mem + pa + sizeof(*h), body, len);
	fix_checksum(pa);
}

static void put_rsdp(u8 rev)
{
	struct acpi_rsdp *r = (void *)(mem + RSDP_PA);

	memset(r, 0, sizeof(*r));
	memcpy(r->signature, ACPI_RSDP_SIG, 8);
	r->revision = rev;
	r->rsdt_address = RSDT_PA;
	r->length = sizeof(*r);
	r->xsdt_address = rev >= 2 ? XSDT_PA : 0;
	r->checksum = (u8)-sum(r, ACPI_RSDP_V1_LEN);
	r->ext_checksum = (u8)-sum(r, sizeof(*r));
}

static u8 madt_body[512];
static u32 madt_len;

static void madt_add(const void *e, u32 len)
{
	memcpy(madt_body + madt_len, e, len);
	madt_len += len;
}

static void build_madt(u8 rev)
{
	u32 hdr[2] = { 0xfee00000, 1 };
	struct acpi_madt_lapic l0 = { { 0, 8 }, 0, 0, ACPI_MADT_ENABLED };
	struct acpi_madt_lapic l1 = { { 0, 8 }, 1, 1, ACPI_MADT_ENABLED };
	struct acpi_madt_lapic l2 = { { 0, 8 }, 2, 2, 0 };                        /* absent */
	struct acpi_madt_lapic l3 = { { 0, 8 }, 3, 3, ACPI_MADT_ONLINE_CAPABLE }; /* hotplug */
	struct acpi_madt_x2apic x = { { 9, 16 }, 0, 0x100, ACPI_MADT_ENABLED, 4 };
	struct acpi_madt_ioapic io = { { 1, 12 }, 0, 0, 0xfec00000, 0 };
	struct acpi_madt_iso iso0 = { { 2, 10 }, 0, 0, 2, 0 };
	struct acpi_madt_iso iso9 = { { 2, 10 }, 0, 9, 9, 0xd }; /* level, active high */
	u8 nmi[6] = { 4, 6, 0xff, 5, 0, 1 };                      /* LAPIC NMI: skipped */

	madt_len = 0;
	madt_add(hdr, sizeof(hdr));
	madt_add(&l1, sizeof(l1)); /* boot CPU not first: acpi.c keeps firmware order */
	madt_add(&l0, sizeof(l0));
	madt_add(&l2, sizeof(l2));
	madt_add(&l3, sizeof(l3));
	madt_add(&x, sizeof(x));
	madt_add(&io, sizeof(io));
	madt_add(&iso0, sizeof(iso0));
	madt_add(&iso9, sizeof(iso9));
	madt_add(nmi, sizeof(nmi));
	put_table(MADT_PA, "APIC", rev, madt_body, madt_len);
}

static void build_dsdt(const u8 *aml, u32 len)
{
	put_table(DSDT_PA, "DSDT", 2, aml, len);
}

static const u8 good_aml[] = {
	0x10, 0x5f, 0x53, 0x35, 0x5f,                   /* decoy "_S5_" without NameOp */
	0x08, 0x5c, 0x5f, 0x53, 0x35, 0x5f,             /* Name (\_S5, */
	0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x06, 0x00, 0x00, /* Package(4){5, 6, 0, 0} */
};

static void build_all(void)
{
	u64 xsdt[3] = { MADT_PA, FADT_PA, HPET_PA };
	u32 rsdt[3] = { MADT_PA, FADT_PA, HPET_PA };
	u8 fadt[244 - 36];
	struct acpi_fadt *f = (void *)(fadt - 36);
	u8 hpet[56 - 36];
	struct acpi_hpet *h = (void *)(hpet - 36);

	memset(mem, 0, sizeof(mem));
	memset(fadt, 0, sizeof(fadt));
	f->dsdt = DSDT_PA;
	f->pm1a_cnt_blk = 0x604;
	f->x_dsdt = DSDT_PA;
	f->x_pm1a_cnt_blk = (struct acpi_gas){ ACPI_GAS_IO, 16, 0, 2, 0x604 };
	memset(hpet, 0, sizeof(hpet));
	h->address = (struct acpi_gas){ ACPI_GAS_MEMORY, 64, 0, 0, 0xfed00000 };

	put_rsdp(2);
	put_table(XSDT_PA, "XSDT", 1, xsdt, sizeof(xsdt));
	put_table(RSDT_PA, "RSDT", 1, rsdt, sizeof(rsdt));
	build_madt(3);
	put_table(FADT_PA, "FACP", 3, fadt, sizeof(fadt));
	build_dsdt(good_aml, sizeof(good_aml));
	put_table(HPET_PA, "HPET", 1, hpet, sizeof(hpet));
}

/* A refused parse must leave platform exactly as it was. */
static void expect_refused(const char *what)
{
	platform.ncpus = 99;
	int r = acpi_parse(RSDP_PA);
	if (r != -EINVAL)
		fprintf(stderr, "case '%s': acpi_parse returned %d\n", what, r);
	CHECK_EQ(r, -EINVAL);
	CHECK_EQ(platform.ncpus, 99);
}

static void test_good(void)
{
	build_all();
	CHECK_EQ(acpi_parse(RSDP_PA), 0);
	CHECK(strcmp(platform.source, "ACPI MADT") == 0);
	CHECK_EQ(platform.rsdp, RSDP_PA);
	CHECK_EQ(platform.lapic_addr, 0xfee00000);
	CHECK_EQ(platform.ncpus, 3); /* 1, 0, x2APIC 0x100; not the absent or (rev 3) hotplug one */
	CHECK_EQ(platform.apic_ids[0], 1);
	CHECK_EQ(platform.apic_ids[1], 0);
	CHECK_EQ(platform.apic_ids[2], 0x100);
	CHECK_EQ(platform.nioapics, 1);
	CHECK_EQ(platform.ioapics[0].addr, 0xfec00000);
	CHECK_EQ(platform.noverrides, 2);
	CHECK_EQ(platform.overrides[0].isa_irq, 0);
	CHECK_EQ(platform.overrides[0].gsi, 2);
	CHECK(!platform.overrides[0].level && !platform.overrides[0].active_low);
	CHECK(platform.overrides[1].level && !platform.overrides[1].active_low);
	CHECK_EQ(platform.hpet_addr, 0xfed00000);
	CHECK_EQ(platform.pm1a_cnt, 0x604);
	CHECK(platform.has_s5);
	CHECK_EQ(platform.slp_typa, 5);
	CHECK_EQ(platform.slp_typb, 6);

	/* MADT revision 5: online-capable CPUs count. */
	build_madt(5);
	CHECK_EQ(acpi_parse(RSDP_PA), 0);
	CHECK_EQ(platform.ncpus, 4);

	/* LAPIC address override. */
	build_all();
	struct acpi_madt_lapic_override o = { { 5, 12 }, 0, 0xfee10000 };
	madt_add(&o, sizeof(o));
	put_table(MADT_PA, "APIC", 3, madt_body, madt_len);
	CHECK_EQ(acpi_parse(RSDP_PA), 0);
	CHECK_EQ(platform.lapic_addr, 0xfee10000);
}

/* QEMU's microvm MADT lacks the IRQ 0 -> GSI 2 override its IOAPIC wires. */
static void test_qemu_irq0_quirk(void)
{
	struct acpi_sdt_header *h = (void *)(mem + MADT_PA);

	build_all();
	madt_body[68 + 3] = 3; /* the IRQ 0 override becomes one for IRQ 3 */
	put_table(MADT_PA, "APIC", 3, madt_body, madt_len);
	CHECK_EQ(acpi_parse(RSDP_PA), 0);
	for (unsigned i = 0; i < platform.noverrides; i++)
		CHECK(platform.overrides[i].isa_irq != 0); /* not QEMU: no quirk */
	memcpy(h->oem_id, "BOCHS ", 6);
	fix_checksum(MADT_PA);
	CHECK_EQ(acpi_parse(RSDP_PA), 0);
	CHECK_EQ(platform.noverrides, 3);
	CHECK_EQ(platform.overrides[2].isa_irq, 0);
	CHECK_EQ(platform.overrides[2].gsi, 2);
	CHECK(!platform.overrides[2].level && !platform.overrides[2].active_low);

	build_all(); /* QEMU tables that have the override keep theirs */
	memcpy(h->oem_id, "BOCHS ", 6);
	fix_checksum(MADT_PA);
	CHECK_EQ(acpi_parse(RSDP_PA), 0);
	CHECK_EQ(platform.noverrides, 2);
}

static void test_rsdt(void)
{
	build_all();
	put_rsdp(0);
	mem[XSDT_PA] = 'X' + 1; /* must not be looked at */
	CHECK_EQ(acpi_parse(RSDP_PA), 0);
	CHECK_EQ(platform.ncpus, 3);
	CHECK(platform.has_s5);
}

static void test_malformed(void)
{
	struct acpi_sdt_header *madt = (void *)(mem + MADT_PA);

	build_all();
	mem[RSDP_PA + 9] ^= 1;
	expect_refused("RSDP checksum");

	build_all();
	mem[RSDP_PA + 33] ^= 1; /* reserved byte: only the extended checksum covers it */
	expect_refused("RSDP extended checksum");

	build_all();
	memcpy(mem + RSDP_PA, "RSD PTX ", 8);
	expect_refused("RSDP signature");

	build_all();
	mem[MADT_PA + 50] ^= 0x40;
	expect_refused("MADT checksum");

	build_all();
	madt->length = 0xffffffffu; /* refused on the length, before any checksum */
	expect_refused("MADT length");

	build_all();
	mem[XSDT_PA + 4] = 0xff; /* XSDT length 0x..ff: bad checksum or beyond memory */
	mem[XSDT_PA + 5] = 0xff;
	expect_refused("XSDT length");

	/* MADT entry of length 0 (would loop forever if trusted). */
	build_all();
	madt_body[8 + 1] = 0;
	put_table(MADT_PA, "APIC", 3, madt_body, madt_len);
	expect_refused("MADT entry length 0");

	/* An IOAPIC entry claiming fewer bytes than its type has. */
	build_all();
	madt_body[8 + 8 * 4 + 16 + 1] = 8;
	put_table(MADT_PA, "APIC", 3, madt_body, madt_len);
	expect_refused("short IOAPIC entry");

	/* Last entry running past the end of the table. */
	build_all();
	madt_body[madt_len - 6 + 1] = 7;
	put_table(MADT_PA, "APIC", 3, madt_body, madt_len);
	expect_refused("entry past the end");

	/* A table address beyond physical memory. */
	build_all();
	u64 far[1] = { 0xfffffffffffff000ull };
	put_table(XSDT_PA, "XSDT", 1, far, sizeof(far));
	expect_refused("no MADT reachable");

	/* A truncated _S5_ package: ACPI still parses, power-off absent. */
	build_all();
	build_dsdt(good_aml, sizeof(good_aml) - 5);
	CHECK_EQ(acpi_parse(RSDP_PA), 0);
	CHECK(!platform.has_s5);

	/* A DSDT with a bad checksum: same. */
	build_all();
	mem[DSDT_PA + 40] ^= 1;
	CHECK_EQ(acpi_parse(RSDP_PA), 0);
	CHECK(!platform.has_s5);
	CHECK_EQ(platform.ncpus, 3);
}

int main(void)
{
	test_good();
	test_qemu_irq0_quirk();
	test_rsdt();
	test_malformed();
	TEST_DONE("acpi");
}
