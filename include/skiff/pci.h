/* PCI: configuration space, enumeration, BARs, capabilities, interrupts
 * (drivers/pci/). Devices are found once by pci_init() and never go away.
 *
 * Locking: the device list is written only by pci_init() (boot, one
 * thread) and read-only afterwards. Config-space accesses are serialised
 * internally. A driver owns the struct pci_dev it claimed. */
#ifndef SKIFF_PCI_H
#define SKIFF_PCI_H

#include <skiff/list.h>
#include <arch/trap.h>

#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_REVISION       0x08
#define PCI_CLASS_PROG     0x09
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_SECONDARY_BUS  0x19
#define PCI_SUBSYS_VENDOR  0x2c
#define PCI_SUBSYS_ID      0x2e
#define PCI_CAP_PTR        0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN  0x3d

#define PCI_CMD_IO         (1u << 0)
#define PCI_CMD_MEMORY     (1u << 1)
#define PCI_CMD_MASTER     (1u << 2)
#define PCI_CMD_INTX_DISABLE (1u << 10)
#define PCI_STATUS_CAPS    (1u << 4)

#define PCI_CAP_MSI        0x05
#define PCI_CAP_VENDOR     0x09
#define PCI_CAP_MSIX       0x11

struct pci_bar {
	u64 addr;      /* bus address (== physical on x86); 0 when unassigned */
	u64 size;      /* 0 when the BAR is not implemented */
	bool io;       /* I/O port space */
	bool is64;     /* 64-bit memory BAR (uses the next slot too) */
	bool prefetch;
};

/* Legend: [I] immutable after pci_init, [o] the driver that claimed it. */
struct pci_dev {
	u8 bus, dev, fn;                    /* [I] */
	u16 vendor, device;                 /* [I] */
	u16 subsys_vendor, subsys_device;   /* [I] */
	u8 class_code, subclass, prog_if;   /* [I] */
	u8 revision, header_type;           /* [I] */
	u8 irq_line, irq_pin;               /* [I] firmware's Interrupt Line, INTA#=1.. */
	struct pci_bar bar[6];              /* [o] filled by pci_claim */
	bool claimed;                       /* [o] */
	/* MSI-X state, set by pci_msix_enable() */
	u8 msix_cap;                        /* [I] config offset, 0 = none */
	u16 msix_size;                      /* [I] table entries */
	volatile u32 *msix_table;           /* [o] mapped table, NULL until enabled */
	struct list_head link;              /* [I] pci_devices */
};

extern struct list_head pci_devices;

/* Enumerate every bus reachable from bus 0 through PCI-PCI bridges (once;
 * later calls return at once). Returns the number of functions found. */
int pci_init(void);

/* Take d for a driver: size and record its BARs. 0 or -EBUSY (claimed
 * already). Boot/probe context (one thread). */
int pci_claim(struct pci_dev *d);

u8 pci_read8(const struct pci_dev *d, u16 off);
u16 pci_read16(const struct pci_dev *d, u16 off);
u32 pci_read32(const struct pci_dev *d, u16 off);
void pci_write8(const struct pci_dev *d, u16 off, u8 v);
void pci_write16(const struct pci_dev *d, u16 off, u16 v);
void pci_write32(const struct pci_dev *d, u16 off, u32 v);

/* Capability list walk: offset of the first capability with id after
 * offset `from` (0 = from the start), or 0. Bounded against loops. */
u8 pci_find_cap(const struct pci_dev *d, u8 id, u8 from);
/* Set command bits (memory/io decode, bus master). */
void pci_enable(struct pci_dev *d, u16 cmd_bits);
/* Map a memory BAR (uncached); NULL for an I/O or absent BAR. */
void *pci_map_bar(struct pci_dev *d, int bar);

/* MSI-X (drivers/pci/irq.c): map the table, mask every entry and enable
 * the function. Returns the number of entries, or -ENODEV without MSI-X. */
int pci_msix_enable(struct pci_dev *d);
/* Point entry at a fresh vector on the boot CPU running fn(tf, arg), and
 * unmask it. Returns the vector or -ENOSPC/-EINVAL. */
int pci_msix_route(struct pci_dev *d, unsigned entry, irq_handler_t fn, void *arg);
void pci_msix_disable(struct pci_dev *d);
/* Legacy INTx: the firmware's Interrupt Line as an ISA IRQ through the
 * I/O APIC (the MADT override's trigger/polarity when there is one, else
 * level/active-low). The line may be shared: fn runs for every interrupt
 * on it and must check its device. Returns 0 or -ENODEV/-ENOSPC. */
int pci_intx_request(struct pci_dev *d, irq_handler_t fn, void *arg);

#endif
