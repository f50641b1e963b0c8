/* PCI configuration space and enumeration.
 *
 * Host contract: PCI Local Bus Specification 3.0, section 3.2.2.3.2
 * (configuration mechanism #1: address at port 0xCF8, data at 0xCFC) and
 * 6.2 (type 0/1 headers, BARs, capability list). QEMU's -M q35 and -M pc
 * both answer mechanism #1 for the first 256 bytes of every function, which
 * is all Skiff reads (virtio and MSI-X capabilities live there); ECAM (the
 * ACPI MCFG table, needed only for extended config space beyond 256 bytes)
 * is not used. -M microvm has no PCI host bridge: bus 0 reads all-ones and
 * the scan finds nothing.
 *
 * BARs are the addresses SeaBIOS assigned (QEMU runs SeaBIOS before the
 * PVH entry on q35/pc); Skiff does not reassign. Sizes are probed with the
 * usual write-all-ones with decoding switched off for the duration, and
 * only for a device a driver claims (pci_claim): the scan itself never
 * switches off decoding of devices others are using (the LPC bridge
 * behind the serial port, the host bridge).
 *
 * Trust: a device's capability pointers are followed at most 48 times and
 * must stay inside 0x40..0xff, so a malformed list cannot loop. */
#include <arch/cpu.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/pci.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>

#define PCI_CFG_ADDR 0xcf8
#define PCI_CFG_DATA 0xcfc

LIST_HEAD(pci_devices);
static DEFINE_SPINLOCK(pci_cfg_lock);
static bool pci_scanned;

static u32 cfg_addr(u8 bus, u8 dev, u8 fn, u16 off)
{
	return 0x80000000u | ((u32)bus << 16) | ((u32)dev << 11) | ((u32)fn << 8) | (off & 0xfc);
}

static u32 raw_read32(u8 bus, u8 dev, u8 fn, u16 off)
{
	u64 f = spin_lock_irqsave(&pci_cfg_lock);
	arch_outl(PCI_CFG_ADDR, cfg_addr(bus, dev, fn, off));
	u32 v = arch_inl(PCI_CFG_DATA);
	spin_unlock_irqrestore(&pci_cfg_lock, f);
	return v;
}

static void raw_write32(u8 bus, u8 dev, u8 fn, u16 off, u32 v)
{
	u64 f = spin_lock_irqsave(&pci_cfg_lock);
	arch_outl(PCI_CFG_ADDR, cfg_addr(bus, dev, fn, off));
	arch_outl(PCI_CFG_DATA, v);
	spin_unlock_irqrestore(&pci_cfg_lock, f);
}

u32 pci_read32(const struct pci_dev *d, u16 off)
{
	return raw_read32(d->bus, d->dev, d->fn, off);
}
u16 pci_read16(const struct pci_dev *d, u16 off)
{
	return (u16)(pci_read32(d, off & ~3) >> ((off & 2) * 8));
}
u8 pci_read8(const struct pci_dev *d, u16 off)
{
	return (u8)(pci_read32(d, off & ~3) >> ((off & 3) * 8));
}

/* Narrow writes are read-modify-write of the dword. No register Skiff
 * writes this way has write-1-to-clear bits next to it except PCI_STATUS,
 * which is never written. */
void pci_write32(const struct pci_dev *d, u16 off, u32 v)
{
	raw_write32(d->bus, d->dev, d->fn, off, v);
}
void pci_write16(const struct pci_dev *d, u16 off, u16 v)
{
	unsigned sh = (off & 2) * 8;
	u32 old = pci_read32(d, off & ~3);
	pci_write32(d, off & ~3, (old & ~(0xffffu << sh)) | ((u32)v << sh));
}
void pci_write8(const struct pci_dev *d, u16 off, u8 v)
{
	unsigned sh = (off & 3) * 8;
	u32 old = pci_read32(d, off & ~3);
	pci_write32(d, off & ~3, (old & ~(0xffu << sh)) | ((u32)v << sh));
}

u8 pci_find_cap(const struct pci_dev *d, u8 id, u8 from)
{
	u8 pos;
	int guard = 48;

	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAPS))
		return 0;
	pos = from ? pci_read8(d, from + 1) : pci_read8(d, PCI_CAP_PTR);
	while (pos >= 0x40 && guard-- > 0) {
		pos &= ~3;
		if (pci_read8(d, pos) == id)
			return pos;
		pos = pci_read8(d, pos + 1);
	}
	return 0;
}

void pci_enable(struct pci_dev *d, u16 cmd_bits)
{
	u16 cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd | cmd_bits);
}

void *pci_map_bar(struct pci_dev *d, int bar)
{
	if (bar < 0 || bar > 5 || !d->bar[bar].size || d->bar[bar].io || !d->bar[bar].addr)
		return NULL;
	return ioremap(d->bar[bar].addr, d->bar[bar].size);
}

/* Size and decode the BARs of a type-0 function. */
static void probe_bars(struct pci_dev *d)
{
	u16 cmd = pci_read16(d, PCI_COMMAND);

	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
	for (int i = 0; i < 6; i++) {
		u16 off = PCI_BAR0 + 4 * i;
		u32 orig = pci_read32(d, off);
		struct pci_bar *b = &d->bar[i];

		pci_write32(d, off, 0xffffffff);
		u32 mask = pci_read32(d, off);
		pci_write32(d, off, orig);
		if (!mask || mask == 0xffffffff) {
			if (!(orig & 1) || !mask)
				continue;
		}
		if (orig & 1) {
			b->io = true;
			b->addr = orig & ~3u;
			b->size = (u16)(~(mask & ~3u) + 1);
			continue;
		}
		b->prefetch = orig & 8;
		b->addr = orig & ~0xfu;
		u64 size_mask = mask & ~0xfu;
		if (((orig >> 1) & 3) == 2 && i < 5) {
			u32 orig_hi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, 0xffffffff);
			u32 mask_hi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, orig_hi);
			b->is64 = true;
			b->addr |= (u64)orig_hi << 32;
			size_mask |= (u64)mask_hi << 32;
			b->size = ~size_mask + 1;
			i++; /* the upper half is not a BAR of its own */
		} else {
			b->size = (u32)(~(u32)size_mask + 1);
		}
		if (!size_mask)
			b->size = 0;
	}
	pci_write16(d, PCI_COMMAND, cmd);
}

static void scan_bus(u8 bus, int depth);

static void add_function(u8 bus, u8 dev, u8 fn, u32 id, int depth)
{
	struct pci_dev *d = kzalloc(sizeof(*d));

	if (!d) {
		pr_err("pci: out of memory at %02x:%02x.%u", bus, dev, fn);
		return;
	}
	d->bus = bus;
	d->dev = dev;
	d->fn = fn;
	d->vendor = (u16)id;
	d->device = (u16)(id >> 16);
	u32 cls = pci_read32(d, PCI_REVISION);
	d->revision = (u8)cls;
	d->prog_if = (u8)(cls >> 8);
	d->subclass = (u8)(cls >> 16);
	d->class_code = (u8)(cls >> 24);
	d->header_type = pci_read8(d, PCI_HEADER_TYPE) & 0x7f;
	list_add_tail(&d->link, &pci_devices);

	if (d->header_type == 0) {
		d->subsys_vendor = pci_read16(d, PCI_SUBSYS_VENDOR);
		d->subsys_device = pci_read16(d, PCI_SUBSYS_ID);
		d->irq_line = pci_read8(d, PCI_INTERRUPT_LINE);
		d->irq_pin = pci_read8(d, PCI_INTERRUPT_PIN);
		u8 msix = pci_find_cap(d, PCI_CAP_MSIX, 0);
		if (msix) {
			d->msix_cap = msix;
			d->msix_size = (pci_read16(d, msix + 2) & 0x7ff) + 1;
		}
	}
	pr_debug("pci: %02x:%02x.%u %04x:%04x class %02x%02x%02x irq %u pin %u%s", bus, dev, fn,
		 d->vendor, d->device, d->class_code, d->subclass, d->prog_if, d->irq_line,
		 d->irq_pin, d->msix_cap ? " msi-x" : "");
	if (d->header_type == 1 && depth < 8) {
		u8 sec = pci_read8(d, PCI_SECONDARY_BUS);
		if (sec > bus)
			scan_bus(sec, depth + 1);
	}
}

static void scan_bus(u8 bus, int depth)
{
	for (u8 dev = 0; dev < 32; dev++) {
		u32 id = raw_read32(bus, dev, 0, PCI_VENDOR_ID);
		if ((u16)id == 0xffff)
			continue;
		u8 ht = (u8)(raw_read32(bus, dev, 0, PCI_HEADER_TYPE & ~3) >> 16);
		int nfn = (ht & 0x80) ? 8 : 1;
		for (u8 fn = 0; fn < nfn; fn++) {
			if (fn)
				id = raw_read32(bus, dev, fn, PCI_VENDOR_ID);
			if ((u16)id != 0xffff)
				add_function(bus, dev, fn, id, depth);
		}
	}
}

int pci_claim(struct pci_dev *d)
{
	if (d->claimed)
		return -EBUSY;
	d->claimed = true;
	if (d->header_type == 0)
		probe_bars(d);
	return 0;
}

int pci_init(void)
{
	int n = 0;
	struct list_head *p;

	if (!pci_scanned) {
		pci_scanned = true;
		scan_bus(0, 0);
	}
	list_for_each(p, &pci_devices)
		n++;
	return n;
}
