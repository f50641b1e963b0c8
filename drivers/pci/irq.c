/* PCI interrupts: MSI-X table programming and legacy INTx through the
 * I/O APIC.
 *
 * Host contract: PCI Local Bus Specification 3.0 section 6.8.2 (MSI-X
 * capability: message control at +2 with the table size and the enable and
 * function-mask bits; table BIR/offset at +4; 16-byte entries of address
 * low/high, data, vector control) and the Intel SDM vol. 3 section 11.11
 * (message address 0xFEE00000 | APIC id << 12, data = vector, fixed
 * delivery, edge). QEMU's virtio-pci devices have MSI-X unless created with
 * vectors=0.
 *
 * INTx: on QEMU q35/pc the routing of INTA#..INTD# is described by _PRT
 * objects in the DSDT, which Skiff does not interpret. Instead it uses the
 * Interrupt Line register SeaBIOS fills in: the PIRQ link's ISA IRQ (5, 9,
 * 10 or 11), which QEMU's chipsets also deliver to that I/O APIC pin. The
 * MADT overrides for those IRQs (level, active high on QEMU) give the
 * trigger and polarity; without an override Skiff uses PCI's level/
 * active-low. Lines are shared, so every handler on a line runs on each
 * interrupt and checks its own device (virtio: the ISR register). */
#include <arch/apic.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/pci.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>

#define MSIX_CTRL_ENABLE   (1u << 15)
#define MSIX_CTRL_FUNCMASK (1u << 14)
#define MSIX_ENTRY_MASKED  1u

int pci_msix_enable(struct pci_dev *d)
{
	if (!d->msix_cap)
		return -ENODEV;
	if (!d->msix_table) {
		u32 tbl = pci_read32(d, d->msix_cap + 4);
		int bir = tbl & 7;
		u64 off = tbl & ~7u;
		if (bir > 5 || d->bar[bir].io || !d->bar[bir].addr ||
		    off + (u64)d->msix_size * 16 > d->bar[bir].size) {
			pr_warn("pci %02x:%02x.%u: MSI-X table outside BAR%d, not using MSI-X",
				d->bus, d->dev, d->fn, bir);
			return -ENODEV;
		}
		d->msix_table = ioremap(d->bar[bir].addr + off, (size_t)d->msix_size * 16);
	}
	pci_enable(d, PCI_CMD_MEMORY | PCI_CMD_MASTER);
	u16 ctrl = pci_read16(d, d->msix_cap + 2);
	pci_write16(d, d->msix_cap + 2, ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_FUNCMASK);
	for (unsigned i = 0; i < d->msix_size; i++)
		d->msix_table[i * 4 + 3] = MSIX_ENTRY_MASKED;
	ctrl = pci_read16(d, d->msix_cap + 2);
	pci_write16(d, d->msix_cap + 2, (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_FUNCMASK);
	/* INTx must be off while MSI-X is on (the spec makes the device do it;
	 * say so explicitly as well). */
	pci_enable(d, PCI_CMD_INTX_DISABLE);
	return d->msix_size;
}

void pci_msix_disable(struct pci_dev *d)
{
	if (!d->msix_cap)
		return;
	u16 ctrl = pci_read16(d, d->msix_cap + 2);
	pci_write16(d, d->msix_cap + 2, ctrl & ~MSIX_CTRL_ENABLE);
}

int pci_msix_route(struct pci_dev *d, unsigned entry, irq_handler_t fn, void *arg)
{
	if (!d->msix_table || entry >= d->msix_size)
		return -EINVAL;
	int vec = irq_alloc_vector();
	if (vec < 0)
		return -ENOSPC;
	irq_set_handler((unsigned)vec, fn, arg);
	volatile u32 *e = &d->msix_table[entry * 4];
	e[3] = MSIX_ENTRY_MASKED;
	e[0] = 0xfee00000u | (platform.apic_ids[0] << 12);
	e[1] = 0;
	e[2] = (u32)vec;
	e[3] = 0;
	return vec;
}

/* Shared INTx lines. Legend: [L] intx_lock; handlers are appended only,
 * and the dispatcher reads the count with acquire ordering (a handler is
 * written before the count that publishes it). */
#define MAX_INTX_LINES 16
#define MAX_INTX_SHARED 8

struct intx_line {
	u8 isa_irq;                        /* [L] */
	int vector;                        /* [L] 0 = line unused */
	unsigned n;                        /* [L][a] */
	struct {
		irq_handler_t fn;
		void *arg;
	} h[MAX_INTX_SHARED];              /* [L] */
};

static struct intx_line intx_lines[MAX_INTX_LINES];
static DEFINE_SPINLOCK(intx_lock);

static void intx_dispatch(struct trap_frame *tf, void *arg)
{
	struct intx_line *l = arg;
	unsigned n = __atomic_load_n(&l->n, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < n; i++)
		l->h[i].fn(tf, l->h[i].arg);
}

int pci_intx_request(struct pci_dev *d, irq_handler_t fn, void *arg)
{
	struct intx_line *l = NULL;
	bool route = false;
	int err = 0;

	if (!d->irq_pin || d->irq_line == 0 || d->irq_line >= 16) {
		pr_warn("pci %02x:%02x.%u: no usable INTx (pin %u, line %u)", d->bus, d->dev, d->fn,
			d->irq_pin, d->irq_line);
		return -ENODEV;
	}
	u64 f = spin_lock_irqsave(&intx_lock);
	for (int i = 0; i < MAX_INTX_LINES && !l; i++)
		if (intx_lines[i].vector && intx_lines[i].isa_irq == d->irq_line)
			l = &intx_lines[i];
	if (!l) {
		for (int i = 0; i < MAX_INTX_LINES && !l; i++)
			if (!intx_lines[i].vector)
				l = &intx_lines[i];
		if (!l) {
			err = -ENOSPC;
			goto out;
		}
		int vec = irq_alloc_vector();
		if (vec < 0) {
			err = -ENOSPC;
			goto out;
		}
		l->isa_irq = d->irq_line;
		l->vector = vec;
		irq_set_handler((unsigned)vec, intx_dispatch, l);
		route = true;
	}
	if (l->n >= MAX_INTX_SHARED) {
		err = -ENOSPC;
		goto out;
	}
	l->h[l->n].fn = fn;
	l->h[l->n].arg = arg;
	__atomic_store_n(&l->n, l->n + 1, __ATOMIC_RELEASE);
	if (route) {
		/* The handler is in place before the pin is unmasked. */
		bool has_override = false;
		for (unsigned i = 0; i < platform.noverrides; i++)
			if (platform.overrides[i].isa_irq == d->irq_line)
				has_override = true;
		err = has_override ? ioapic_route_isa_irq(d->irq_line, (u8)l->vector, platform.apic_ids[0])
				   : ioapic_route_gsi(d->irq_line, (u8)l->vector, platform.apic_ids[0], true, true);
		if (err) {
			l->n = 0;
			l->vector = 0;
		}
	}
out:
	spin_unlock_irqrestore(&intx_lock, f);
	if (!err) {
		u16 cmd = pci_read16(d, PCI_COMMAND);
		pci_write16(d, PCI_COMMAND, cmd & ~PCI_CMD_INTX_DISABLE);
	}
	return err;
}
