/* virtio-mmio devices described in the ACPI DSDT (QEMU -M microvm with
 * ACPI on, its default).
 *
 * Host contract: QEMU 7.2 hw/i386/acpi-microvm.c declares each plugged
 * virtio-mmio transport as
 *     Device (VRnn) { Name (_HID, "LNRO0005") Name (_UID, n) Name (_CCA, 1)
 *       Name (_CRS, ResourceTemplate () {
 *         Memory32Fixed (ReadWrite, base, 0x200)
 *         Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { gsi } }) }
 * Skiff has no AML interpreter; it finds the "LNRO0005" string objects in
 * the DSDT body and decodes the two resource descriptors that follow
 * within the device's own bytes (ACPI 6.5 sections 6.4.3.4 "32-Bit Fixed
 * Memory Range Descriptor", type 0x86, and 6.4.3.6 "Extended Interrupt
 * Descriptor", type 0x89). A device node that does not have exactly this
 * shape is skipped with a message; `-M microvm,acpi=off` (command-line
 * discovery, mmio.c) remains the documented fallback.
 *
 * Trust: the tables are firmware input. Lengths are bounded (DSDT at most
 * 1 MiB, mapped as a whole before the scan), signatures checked, and every
 * descriptor read stays inside the bytes between one device's _HID and the
 * next's. Runs once, in process context, during virtio_init. */
#include <abi/acpi.h>
#include <skiff/errno.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include "virtio_mmio.h"

#define MAX_DSDT (1u << 20)
#define HID_VIRTIO_MMIO "LNRO0005"

static const struct acpi_sdt_header *map_sdt(phys_addr_t pa, const char *sig, u32 *len)
{
	const struct acpi_sdt_header *h = pa ? firmware_map(pa, sizeof(*h)) : NULL;
	if (!h || (sig && memcmp(h->signature, sig, 4)))
		return NULL;
	u32 l = READ_ONCE(h->length);
	if (l < sizeof(*h) || l > MAX_DSDT)
		return NULL;
	*len = l;
	return firmware_map(pa, l);
}

static phys_addr_t find_dsdt(void)
{
	const struct acpi_rsdp *r = firmware_map(platform.rsdp, sizeof(*r));
	phys_addr_t root_pa;
	unsigned esz;
	u32 len;

	if (!r || memcmp(r->signature, ACPI_RSDP_SIG, 8))
		return 0;
	if (r->revision >= 2 && r->xsdt_address) {
		root_pa = r->xsdt_address;
		esz = 8;
	} else {
		root_pa = r->rsdt_address;
		esz = 4;
	}
	const struct acpi_sdt_header *root = map_sdt(root_pa, esz == 8 ? "XSDT" : "RSDT", &len);
	if (!root)
		return 0;
	for (u32 off = sizeof(*root); off + esz <= len; off += esz) {
		phys_addr_t pa = 0;
		memcpy(&pa, (const u8 *)root + off, esz);
		u32 flen;
		const struct acpi_fadt *f = (const void *)map_sdt(pa, "FACP", &flen);
		if (!f)
			continue;
		if (flen >= offsetof(struct acpi_fadt, x_dsdt) + 8 && f->x_dsdt)
			return f->x_dsdt;
		return f->dsdt;
	}
	return 0;
}

/* Decode the resources in [p, end): Memory32Fixed then Extended Interrupt. */
static bool decode(const u8 *p, const u8 *end, u64 *base, u64 *size, u32 *gsi, bool *level, bool *low)
{
	bool have_mem = false, have_irq = false;

	for (; p + 3 <= end && !(have_mem && have_irq); p++) {
		if (!have_mem && p[0] == 0x86 && p[1] == 9 && p[2] == 0 && p + 12 <= end) {
			u32 b, l;
			memcpy(&b, p + 4, 4);
			memcpy(&l, p + 8, 4);
			*base = b;
			*size = l;
			have_mem = true;
			p += 11;
		} else if (!have_irq && p[0] == 0x89 && p + 9 <= end && p[1] >= 6 && p[2] == 0 && p[4] >= 1) {
			u8 flags = p[3];
			memcpy(gsi, p + 5, 4);
			*level = !(flags & 2);
			*low = flags & 4;
			have_irq = true;
			p += 8;
		}
	}
	return have_mem && have_irq;
}

int virtio_mmio_scan_dsdt(void (*found)(u64 size, u64 base, u32 gsi, bool level, bool low))
{
	u32 len;
	int n = 0;

	if (!platform.rsdp)
		return 0;
	phys_addr_t pa = find_dsdt();
	const struct acpi_sdt_header *dsdt = pa ? map_sdt(pa, "DSDT", &len) : NULL;
	if (!dsdt) {
		pr_info("virtio-mmio: no usable DSDT; boot microvm with acpi=off for command-line discovery");
		return 0;
	}
	const u8 *body = (const u8 *)dsdt, *end = body + len;
	const size_t hl = sizeof(HID_VIRTIO_MMIO) - 1;
	for (const u8 *p = body + sizeof(*dsdt); p + hl + 1 < end; p++) {
		if (p[-1] != 0x0d || memcmp(p, HID_VIRTIO_MMIO, hl) || p[hl] != 0)
			continue; /* StringPrefix "LNRO0005" NUL */
		/* This device's bytes end where the next virtio _HID begins. */
		const u8 *stop = p + hl;
		while (stop + hl < end && memcmp(stop, HID_VIRTIO_MMIO, hl))
			stop++;
		if (stop + hl >= end)
			stop = end;
		u64 base, size;
		u32 gsi;
		bool level, low;
		if (!decode(p + hl, stop, &base, &size, &gsi, &level, &low)) {
			pr_warn("virtio-mmio: DSDT device at offset %#lx has no memory/interrupt resources",
				(unsigned long)(p - body));
			continue;
		}
		found(size, base, gsi, level, low);
		n++;
	}
	return n;
}
