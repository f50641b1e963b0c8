/* Virtio device life cycle: status handshake, feature negotiation, queue
 * creation, and the hand-off from transports to drivers.
 *
 * Host contract: virtio 1.2 section 3.1.1 (driver initialisation:
 * reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK and its read-back,
 * queues, DRIVER_OK), 2.5.1 (config generation retry), 6 (reserved
 * feature bits). Ring features the core accepts for every device, and why:
 *   VIRTIO_F_VERSION_1          modern (little-endian, FEATURES_OK) devices;
 *                               required from a modern transport
 *   VIRTIO_F_RING_INDIRECT_DESC one ring slot per request (more in flight)
 *   VIRTIO_F_RING_EVENT_IDX     fewer notifications and interrupts
 * and refuses:
 *   VIRTIO_F_RING_PACKED        only split rings are implemented
 *   VIRTIO_F_ACCESS_PLATFORM    no IOMMU support; the device must use
 *                               guest-physical addresses (QEMU's default)
 *   VIRTIO_F_IN_ORDER, NOTIFICATION_DATA: not needed.
 * A modern device that does not offer VERSION_1 is refused with a message. */
#include <skiff/errno.h>
#include <skiff/printk.h>
#include <skiff/sched.h>
#include <skiff/virtio.h>

extern const struct virtio_driver virtio_blk_driver;
/* A network driver defines this when it exists. */
extern const struct virtio_driver virtio_net_driver __attribute__((weak));

static const struct virtio_driver *find_driver(u32 id)
{
	if (id == virtio_blk_driver.device_id)
		return &virtio_blk_driver;
	if (&virtio_net_driver && id == virtio_net_driver.device_id)
		return &virtio_net_driver;
	return NULL;
}

static void add_status(struct virtio_device *vd, u8 bits)
{
	vd->ops->set_status(vd, vd->ops->get_status(vd) | bits);
}

void virtio_fail(struct virtio_device *vd, const char *why)
{
	pr_err("%s: %s; device marked FAILED", vd->name, why);
	add_status(vd, VIRTIO_STATUS_FAILED);
}

void virtio_device_found(struct virtio_device *vd)
{
	const struct virtio_driver *drv;

	vd->ops->reset(vd);
	add_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
	drv = find_driver(vd->device_id);
	if (!drv) {
		pr_info("%s: device id %u has no driver; left reset", vd->name, vd->device_id);
		vd->ops->reset(vd);
		return;
	}
	add_status(vd, VIRTIO_STATUS_DRIVER);
	int err = drv->probe(vd);
	if (err < 0) {
		pr_err("%s: %s driver refused the device (%d)", vd->name, drv->name, err);
		add_status(vd, VIRTIO_STATUS_FAILED);
	}
}

int virtio_negotiate(struct virtio_device *vd, u64 accept)
{
	u64 offered = vd->ops->get_features(vd);
	u64 want = accept | (1ull << VIRTIO_F_RING_INDIRECT_DESC) | (1ull << VIRTIO_F_RING_EVENT_IDX);

	if (vd->legacy) {
		want &= 0xffffffffull;
	} else {
		if (!(offered & (1ull << VIRTIO_F_VERSION_1))) {
			virtio_fail(vd, "modern transport but VIRTIO_F_VERSION_1 not offered");
			return -ENODEV;
		}
		want |= 1ull << VIRTIO_F_VERSION_1;
	}
	vd->features = offered & want;
	vd->ops->set_features(vd, vd->features);
	if (!vd->legacy) {
		add_status(vd, VIRTIO_STATUS_FEATURES_OK);
		if (!(vd->ops->get_status(vd) & VIRTIO_STATUS_FEATURES_OK)) {
			virtio_fail(vd, "device did not accept FEATURES_OK");
			return -ENODEV;
		}
	}
	pr_info("%s: features offered %#llx, accepted %#llx%s", vd->name,
		(unsigned long long)offered, (unsigned long long)vd->features,
		vd->legacy ? " (legacy)" : "");
	return 0;
}

int virtio_find_vqs(struct virtio_device *vd, unsigned n, void (*const cb[])(struct virtqueue *))
{
	if (n > VIRTIO_MAX_VQS)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		unsigned max = vd->ops->queue_max(vd, i);
		if (!max || (max & (max - 1)) || max > 32768) {
			pr_err("%s: queue %u unusable (size %u)", vd->name, i, max);
			return -ENODEV;
		}
		/* Legacy devices have a fixed size; modern ones may be shrunk. */
		u16 size = (u16)(vd->legacy ? max : MIN(max, 256u));
		struct virtqueue *vq = vq_create(vd, i, size, cb[i]);
		if (!vq)
			return -ENOMEM;
		vd->vqs[i] = vq;
		vd->nvqs = i + 1;
		int err = vd->ops->queue_setup(vd, vq);
		if (err)
			return err;
	}
	return vd->ops->setup_irqs(vd);
}

void virtio_driver_ok(struct virtio_device *vd)
{
	add_status(vd, VIRTIO_STATUS_DRIVER_OK);
}

void virtio_read_config(struct virtio_device *vd, unsigned off, void *buf, unsigned len)
{
	u32 gen;
	int tries = 16;

	do {
		gen = vd->ops->config_generation(vd);
		vd->ops->read_config(vd, off, buf, len);
	} while (gen != vd->ops->config_generation(vd) && --tries);
}

void virtio_vqs_interrupt(struct virtio_device *vd)
{
	for (unsigned i = 0; i < vd->nvqs; i++)
		if (vd->vqs[i] && vd->vqs[i]->callback)
			vd->vqs[i]->callback(vd->vqs[i]);
}

/* Probe once; a caller arriving while another thread probes waits for it
 * (state: 0 not started, 1 probing, 2 done). Process context. */
void virtio_init(void)
{
	static u32 state;
	u32 zero = 0;

	if (__atomic_compare_exchange_n(&state, &zero, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		virtio_pci_probe_all();
		virtio_mmio_probe_cmdline();
		__atomic_store_n(&state, 2, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2)
		yield();
}
