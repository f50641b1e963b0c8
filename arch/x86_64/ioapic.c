/* I/O APICs (and silencing the legacy 8259 pair).
 *
 * Host contract: Intel 82093AA I/O APIC datasheet (IOREGSEL at +0x00, IOWIN
 * at +0x10; register 0x01 = version with the highest redirection entry in
 * bits 16-23; redirection entry n = registers 0x10 + 2n (low) / 0x11 + 2n
 * (high)). QEMU's q35/pc/microvm I/O APIC ("ioapic", 24 pins at 0xfec00000,
 * GSI base 0); microvm with -M microvm,ioapic2=on adds a second one. The
 * 8259 PICs are masked through their data ports 0x21/0xa1 (OCW1); they would
 * otherwise reach the CPU only through LINT0, which lapic_init_cpu masks.
 *
 * Destinations are physical APIC ids < 256: an x2APIC id above that needs
 * interrupt remapping, which Skiff does not do (the route is refused).
 *
 * Locking: ioapic_lock serialises the IOREGSEL/IOWIN pair (the index is
 * shared state in the chip) and the mapping table ([L] below). */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>

#define IOREGSEL 0
#define IOWIN    (0x10 / 4)

#define IOAPIC_REG_VER   0x01
#define IOAPIC_REDIR(n)  (0x10 + 2 * (n))

#define REDIR_ACTIVE_LOW (1u << 13)
#define REDIR_LEVEL      (1u << 15)
#define REDIR_MASKED     (1u << 16)

#define IOAPIC_MAX_PINS 240 /* vectors 16..255 bound any real part */

struct ioapic_map {
	phys_addr_t addr;       /* [L] */
	volatile u32 *regs;     /* [L] */
	unsigned pins;          /* [L] */
};

static DEFINE_SPINLOCK(ioapic_lock);
static struct ioapic_map maps[2 * MAX_IOAPICS]; /* [L] every I/O APIC ever probed */
static unsigned nmaps;                           /* [L] */

static u32 reg_read(const struct ioapic_map *m, u32 reg)
{
	m->regs[IOREGSEL] = reg;
	return m->regs[IOWIN];
}

static void reg_write(const struct ioapic_map *m, u32 reg, u32 val)
{
	m->regs[IOREGSEL] = reg;
	m->regs[IOWIN] = val;
}

/* The mapping for addr, created (and its pins read) on first use.
 * Caller holds ioapic_lock. NULL when the table is full. */
static struct ioapic_map *map_of(phys_addr_t addr)
{
	struct ioapic_map *m;
	u32 ver;

	assert_held(&ioapic_lock);
	for (unsigned i = 0; i < nmaps; i++)
		if (maps[i].addr == addr)
			return &maps[i];
	if (nmaps == ARRAY_SIZE(maps))
		return NULL;
	m = &maps[nmaps++];
	m->addr = addr;
	m->regs = ioremap(addr, 0x20);
	ver = reg_read(m, IOAPIC_REG_VER);
	m->pins = ((ver >> 16) & 0xff) + 1;
	if ((ver & 0xff) == 0xff || ver == 0 || m->pins > IOAPIC_MAX_PINS)
		m->pins = 0; /* all-ones: nothing decodes the address */
	return m;
}

unsigned ioapic_nr_pins(phys_addr_t addr)
{
	u64 f = spin_lock_irqsave(&ioapic_lock);
	struct ioapic_map *m = map_of(addr);
	unsigned pins = m ? m->pins : 0;

	spin_unlock_irqrestore(&ioapic_lock, f);
	return pins;
}

/* The I/O APIC serving gsi and the pin on it; caller holds ioapic_lock. */
static struct ioapic_map *find_gsi(unsigned gsi, unsigned *pin)
{
	for (unsigned i = 0; i < platform.nioapics; i++) {
		const struct ioapic_desc *d = &platform.ioapics[i];
		struct ioapic_map *m = map_of(d->addr);

		if (m && gsi >= d->gsi_base && gsi - d->gsi_base < m->pins) {
			*pin = gsi - d->gsi_base;
			return m;
		}
	}
	return NULL;
}

/* Boot CPU, before interrupts are enabled: every redirection entry masked,
 * both 8259s masked. */
void ioapic_init(void)
{
	unsigned total = 0;
	u64 f;

	arch_outb(0x21, 0xff);
	arch_outb(0xa1, 0xff);
	f = spin_lock_irqsave(&ioapic_lock);
	for (unsigned i = 0; i < platform.nioapics; i++) {
		struct ioapic_map *m = map_of(platform.ioapics[i].addr);
		if (!m)
			continue;
		for (unsigned pin = 0; pin < m->pins; pin++) {
			reg_write(m, IOAPIC_REDIR(pin), REDIR_MASKED);
			reg_write(m, IOAPIC_REDIR(pin) + 1, 0);
		}
		total += m->pins;
	}
	spin_unlock_irqrestore(&ioapic_lock, f);
	pr_info("ioapic: %u IOAPIC%s, %u pins masked; 8259 PICs masked", platform.nioapics,
		platform.nioapics == 1 ? "" : "s", total);
}

/* Program gsi -> vector on apic_id (fixed delivery, physical destination)
 * and unmask it. Returns 0, -ENODEV when no I/O APIC serves gsi, -EINVAL
 * for a vector below 32 or a destination id that needs interrupt remapping.
 * Any context. */
int ioapic_route_gsi(unsigned gsi, u8 vector, u32 apic_id, bool level, bool active_low)
{
	u32 lo = vector | (level ? REDIR_LEVEL : 0) | (active_low ? REDIR_ACTIVE_LOW : 0);
	struct ioapic_map *m;
	unsigned pin = 0;
	u64 f;

	if (vector < 32 || apic_id > 255) {
		pr_err("ioapic: cannot route GSI %u to vector %u on APIC id %u", gsi, vector, apic_id);
		return -EINVAL;
	}
	f = spin_lock_irqsave(&ioapic_lock);
	m = find_gsi(gsi, &pin);
	if (m) {
		/* Masked while the two halves disagree. */
		reg_write(m, IOAPIC_REDIR(pin), lo | REDIR_MASKED);
		reg_write(m, IOAPIC_REDIR(pin) + 1, apic_id << 24);
		reg_write(m, IOAPIC_REDIR(pin), lo);
	}
	spin_unlock_irqrestore(&ioapic_lock, f);
	return m ? 0 : -ENODEV;
}

/* ISA IRQ: the platform's interrupt source override when there is one,
 * else identity-mapped, edge-triggered, active high (ISA's defaults). */
int ioapic_route_isa_irq(unsigned isa_irq, u8 vector, u32 apic_id)
{
	unsigned gsi = isa_irq;
	bool level = false, low = false;

	for (unsigned i = 0; i < platform.noverrides; i++) {
		const struct irq_override *o = &platform.overrides[i];
		if (o->isa_irq == isa_irq) {
			gsi = o->gsi;
			level = o->level;
			low = o->active_low;
			break;
		}
	}
	return ioapic_route_gsi(gsi, vector, apic_id, level, low);
}

void ioapic_mask_gsi(unsigned gsi, bool masked)
{
	u64 f = spin_lock_irqsave(&ioapic_lock);
	unsigned pin = 0;
	struct ioapic_map *m = find_gsi(gsi, &pin);

	if (m) {
		u32 lo = reg_read(m, IOAPIC_REDIR(pin));
		reg_write(m, IOAPIC_REDIR(pin), masked ? lo | REDIR_MASKED : lo & ~REDIR_MASKED);
	}
	spin_unlock_irqrestore(&ioapic_lock, f);
	if (!m)
		pr_warn("ioapic: mask of GSI %u: no IOAPIC serves it", gsi);
}
