/* Virtio over PCI: the modern interface (virtio 1.2 section 4.1.4, vendor
 * capabilities for the common, notify, ISR and device configuration) with
 * a fallback to the legacy 0.9.5 I/O-port interface (4.1.4.8 / 4.1.5.1.1.1
 * "Legacy Interfaces") when a device has no modern capabilities.
 *
 * Host contract: QEMU `-device virtio-blk-pci,drive=...` on -M q35/pc. By
 * default QEMU makes transitional devices (PCI id 1af4:1000-103f with both
 * a legacy I/O BAR0 and modern capabilities in BAR4): Skiff uses the modern
 * interface. `disable-modern=on` leaves only the legacy interface, which is
 * then used; `disable-legacy=on` gives 1af4:1040+id, modern only.
 *
 * Interrupts: one MSI-X entry (entry 0) serves every queue of the device
 * and the configuration vector is left at NO_VECTOR (no driver here acts
 * on config changes). Without MSI-X (`vectors=0`), or when the device
 * refuses the vector, the legacy INTx line is used and the ISR register
 * (read-to-clear) says whether the interrupt was ours. */
#include <arch/cpu.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/pci.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include <skiff/virtio.h>

struct vp_dev {
	struct virtio_device vd;
	struct pci_dev *pci;
	/* modern */
	volatile struct virtio_pci_common_cfg *common;
	volatile u8 *notify_base;
	u32 notify_mult;
	u32 notify_len;
	volatile u8 *isr;
	volatile u8 *devcfg;
	u32 devcfg_len;
	/* legacy */
	u16 io;
	bool msix;
	void *bar_map[6];
};

static struct vp_dev *to_vp(struct virtio_device *vd) { return container_of(vd, struct vp_dev, vd); }

/* ---- modern ---- */

static u64 m_get_features(struct virtio_device *vd)
{
	volatile struct virtio_pci_common_cfg *c = to_vp(vd)->common;
	c->device_feature_select = 0;
	u64 lo = c->device_feature;
	c->device_feature_select = 1;
	u64 hi = c->device_feature;
	return lo | (hi << 32);
}
static void m_set_features(struct virtio_device *vd, u64 f)
{
	volatile struct virtio_pci_common_cfg *c = to_vp(vd)->common;
	c->driver_feature_select = 0;
	c->driver_feature = (u32)f;
	c->driver_feature_select = 1;
	c->driver_feature = (u32)(f >> 32);
}
static u8 m_get_status(struct virtio_device *vd) { return to_vp(vd)->common->device_status; }
static void m_set_status(struct virtio_device *vd, u8 s) { to_vp(vd)->common->device_status = s; }
static void m_reset(struct virtio_device *vd)
{
	volatile struct virtio_pci_common_cfg *c = to_vp(vd)->common;
	c->device_status = 0;
	for (int i = 0; i < 100000 && c->device_status != 0; i++)
		udelay(10);
}
static void m_read_config(struct virtio_device *vd, unsigned off, void *buf, unsigned len)
{
	struct vp_dev *vp = to_vp(vd);
	u8 *b = buf;
	for (unsigned i = 0; i < len; i++)
		b[i] = (off + i < vp->devcfg_len) ? vp->devcfg[off + i] : 0;
}
static u32 m_config_generation(struct virtio_device *vd) { return to_vp(vd)->common->config_generation; }
static unsigned m_queue_max(struct virtio_device *vd, unsigned idx)
{
	volatile struct virtio_pci_common_cfg *c = to_vp(vd)->common;
	if (idx >= c->num_queues)
		return 0;
	c->queue_select = (u16)idx;
	return c->queue_size;
}
static void w64(volatile u64 *p, u64 v)
{
	volatile u32 *q = (volatile u32 *)p;
	q[0] = (u32)v;
	q[1] = (u32)(v >> 32);
}
static int m_queue_setup(struct virtio_device *vd, struct virtqueue *vq)
{
	struct vp_dev *vp = to_vp(vd);
	volatile struct virtio_pci_common_cfg *c = vp->common;

	c->queue_select = (u16)vq->index;
	c->queue_size = vq->size;
	w64(&c->queue_desc, virt_to_phys(vq->desc));
	w64(&c->queue_driver, virt_to_phys(vq->avail));
	w64(&c->queue_device, virt_to_phys(vq->used));
	if (vp->msix) {
		c->queue_msix_vector = 0;
		if (c->queue_msix_vector != 0) {
			pr_warn("%s: MSI-X vector refused, falling back to INTx", vd->name);
			pci_msix_disable(vp->pci);
			vp->msix = false;
		}
	}
	u64 off = (u64)c->queue_notify_off * vp->notify_mult;
	if (off + 2 > vp->notify_len) {
		pr_err("%s: queue %u notify offset %#llx outside the notify window", vd->name,
		       vq->index, (unsigned long long)off);
		return -ENODEV;
	}
	vq->notify_addr = (volatile u16 *)(vp->notify_base + off);
	c->queue_enable = 1;
	return 0;
}
static void m_notify(struct virtio_device *vd, struct virtqueue *vq) { *vq->notify_addr = (u16)vq->index; }

static int vp_setup_irqs(struct virtio_device *vd);

static const struct virtio_transport_ops modern_ops = {
	.get_features = m_get_features,
	.set_features = m_set_features,
	.get_status = m_get_status,
	.set_status = m_set_status,
	.reset = m_reset,
	.read_config = m_read_config,
	.config_generation = m_config_generation,
	.queue_max = m_queue_max,
	.queue_setup = m_queue_setup,
	.notify = m_notify,
	.setup_irqs = vp_setup_irqs,
};

/* ---- legacy ---- */

static u64 l_get_features(struct virtio_device *vd) { return arch_inl(to_vp(vd)->io + VIRTIO_LEGACY_HOST_FEATURES); }
static void l_set_features(struct virtio_device *vd, u64 f) { arch_outl(to_vp(vd)->io + VIRTIO_LEGACY_GUEST_FEATURES, (u32)f); }
static u8 l_get_status(struct virtio_device *vd) { return arch_inb(to_vp(vd)->io + VIRTIO_LEGACY_STATUS); }
static void l_set_status(struct virtio_device *vd, u8 s) { arch_outb(to_vp(vd)->io + VIRTIO_LEGACY_STATUS, s); }
static void l_reset(struct virtio_device *vd)
{
	l_set_status(vd, 0);
	(void)l_get_status(vd); /* legacy reset completes on the write; read flushes it */
}
static void l_read_config(struct virtio_device *vd, unsigned off, void *buf, unsigned len)
{
	struct vp_dev *vp = to_vp(vd);
	u16 base = vp->io + (vp->msix ? VIRTIO_LEGACY_CONFIG_MSIX : VIRTIO_LEGACY_CONFIG);
	u8 *b = buf;
	for (unsigned i = 0; i < len; i++)
		b[i] = arch_inb((u16)(base + off + i));
}
static u32 l_config_generation(struct virtio_device *vd) { return 0; }
static unsigned l_queue_max(struct virtio_device *vd, unsigned idx)
{
	u16 io = to_vp(vd)->io;
	arch_outw(io + VIRTIO_LEGACY_QUEUE_SEL, (u16)idx);
	return arch_inw(io + VIRTIO_LEGACY_QUEUE_SIZE);
}
static int l_queue_setup(struct virtio_device *vd, struct virtqueue *vq)
{
	struct vp_dev *vp = to_vp(vd);
	phys_addr_t pa = virt_to_phys(vq->desc);

	if (pa >> (32 + 12)) {
		pr_err("%s: ring above the legacy 44-bit limit", vd->name);
		return -ENOMEM;
	}
	arch_outw(vp->io + VIRTIO_LEGACY_QUEUE_SEL, (u16)vq->index);
	if (vp->msix) {
		arch_outw(vp->io + VIRTIO_LEGACY_MSIX_QUEUE, 0);
		if (arch_inw(vp->io + VIRTIO_LEGACY_MSIX_QUEUE) != 0) {
			pr_warn("%s: MSI-X vector refused, falling back to INTx", vd->name);
			pci_msix_disable(vp->pci);
			vp->msix = false;
		}
	}
	arch_outl(vp->io + VIRTIO_LEGACY_QUEUE_PFN, (u32)(pa >> 12));
	vq->notify_port = vp->io + VIRTIO_LEGACY_QUEUE_NOTIFY;
	return 0;
}
static void l_notify(struct virtio_device *vd, struct virtqueue *vq) { arch_outw(vq->notify_port, (u16)vq->index); }

static const struct virtio_transport_ops legacy_ops = {
	.get_features = l_get_features,
	.set_features = l_set_features,
	.get_status = l_get_status,
	.set_status = l_set_status,
	.reset = l_reset,
	.read_config = l_read_config,
	.config_generation = l_config_generation,
	.queue_max = l_queue_max,
	.queue_setup = l_queue_setup,
	.notify = l_notify,
	.setup_irqs = vp_setup_irqs,
};

/* ---- interrupts ---- */

static void vp_msix_irq(struct trap_frame *tf, void *arg)
{
	virtio_vqs_interrupt(arg);
}

static void vp_intx_irq(struct trap_frame *tf, void *arg)
{
	struct vp_dev *vp = arg;
	u8 isr = vp->vd.legacy ? arch_inb(vp->io + VIRTIO_LEGACY_ISR) : *vp->isr;
	if (isr & VIRTIO_ISR_QUEUE)
		virtio_vqs_interrupt(&vp->vd);
}

static int vp_setup_irqs(struct virtio_device *vd)
{
	struct vp_dev *vp = to_vp(vd);
	if (vp->msix) {
		pr_info("%s: interrupts: MSI-X", vd->name);
		return 0;
	}
	int err = pci_intx_request(vp->pci, vp_intx_irq, vp);
	if (!err)
		pr_info("%s: interrupts: INTx (IRQ %u, level)", vd->name, vp->pci->irq_line);
	return err;
}

/* ---- discovery ---- */

static volatile u8 *cap_window(struct vp_dev *vp, u8 pos, u32 *len_out)
{
	struct pci_dev *d = vp->pci;
	u8 bar = pci_read8(d, pos + 4);
	u32 off = pci_read32(d, pos + 8), len = pci_read32(d, pos + 12);

	if (bar > 5 || d->bar[bar].io || !d->bar[bar].size || (u64)off + len > d->bar[bar].size)
		return NULL;
	if (!vp->bar_map[bar])
		vp->bar_map[bar] = pci_map_bar(d, bar);
	if (!vp->bar_map[bar])
		return NULL;
	if (len_out)
		*len_out = len;
	return (volatile u8 *)vp->bar_map[bar] + off;
}

static bool find_modern(struct vp_dev *vp)
{
	struct pci_dev *d = vp->pci;
	u32 len;

	for (u8 pos = pci_find_cap(d, PCI_CAP_VENDOR, 0); pos; pos = pci_find_cap(d, PCI_CAP_VENDOR, pos)) {
		u8 type = pci_read8(d, pos + 3);
		switch (type) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			if (!vp->common && (vp->common = (void *)cap_window(vp, pos, &len)) &&
			    len < sizeof(struct virtio_pci_common_cfg))
				vp->common = NULL;
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			if (!vp->notify_base) {
				vp->notify_base = cap_window(vp, pos, &vp->notify_len);
				vp->notify_mult = pci_read32(d, pos + 16);
			}
			break;
		case VIRTIO_PCI_CAP_ISR_CFG:
			if (!vp->isr)
				vp->isr = cap_window(vp, pos, &len);
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			if (!vp->devcfg)
				vp->devcfg = cap_window(vp, pos, &vp->devcfg_len);
			break;
		}
	}
	return vp->common && vp->notify_base && vp->isr;
}

static void probe_one(struct pci_dev *d)
{
	struct vp_dev *vp = kzalloc(sizeof(*vp));

	if (!vp || pci_claim(d)) {
		kfree(vp);
		return;
	}
	vp->pci = d;
	vp->vd.transport = vp;
	vp->vd.device_id = d->device >= 0x1040 ? d->device - 0x1040u : d->subsys_device;
	pci_enable(d, PCI_CMD_MEMORY | PCI_CMD_IO | PCI_CMD_MASTER);
	if (find_modern(vp)) {
		vp->vd.ops = &modern_ops;
		snprintf(vp->vd.name, sizeof(vp->vd.name), "virtio-pci %02x:%02x.%u", d->bus, d->dev, d->fn);
	} else if (d->device < 0x1040 && d->bar[0].io && d->bar[0].addr) {
		vp->vd.ops = &legacy_ops;
		vp->vd.legacy = true;
		vp->io = (u16)d->bar[0].addr;
		snprintf(vp->vd.name, sizeof(vp->vd.name), "virtio-pci-legacy %02x:%02x.%u", d->bus, d->dev,
			 d->fn);
	} else {
		pr_err("virtio-pci %02x:%02x.%u: neither modern capabilities nor a legacy I/O BAR; ignored",
		       d->bus, d->dev, d->fn);
		kfree(vp);
		return;
	}
	if (pci_msix_enable(d) > 0 && pci_msix_route(d, 0, vp_msix_irq, &vp->vd) >= 0) {
		vp->msix = true;
		if (!vp->vd.legacy)
			vp->common->config_msix_vector = VIRTIO_MSI_NO_VECTOR;
	} else {
		pci_msix_disable(d);
	}
	virtio_device_found(&vp->vd);
}

int virtio_pci_probe_all(void)
{
	struct pci_dev *d;
	int n = 0;

	pci_init();
	list_for_each_entry(d, &pci_devices, link) {
		if (d->vendor != VIRTIO_PCI_VENDOR || d->device < 0x1000 || d->device > 0x107f ||
		    d->claimed || d->header_type != 0)
			continue;
		probe_one(d);
		n++;
	}
	return n;
}
