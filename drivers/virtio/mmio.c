/* Virtio over MMIO, version 2 (virtio 1.2 section 4.2.2).
 *
 * Host contract: QEMU -M microvm with `-device virtio-blk-device,drive=..`.
 * With `-M microvm,acpi=off` QEMU appends one kernel command-line entry
 *     virtio_mmio.device=<size>@<base>:<irq>
 * per transport slot (size in bytes with an optional K/M suffix, base in
 * hex, irq = the I/O APIC GSI). With ACPI on (microvm's default) the
 * devices appear only as DSDT device nodes, found by mmio_acpi.c; should
 * that scan not match some firmware, `-M microvm,acpi=off` is the
 * documented way. Empty slots answer device id 0 and are skipped.
 *
 * Version 1 (legacy MMIO, 4.2.4) is what QEMU 7.2's microvm creates by
 * default (its virtio-mmio.force-legacy defaults to on there); it is
 * supported too: 32 feature bits, GuestPageSize 4096, QueueAlign 4096 and
 * QueuePFN locating the legacy ring layout, no FEATURES_OK step and no
 * config generation. `-global virtio-mmio.force-legacy=false` gives
 * version 2, the modern interface. Other versions are refused.
 *
 * Interrupts: the slot's GSI through the I/O APIC, level-triggered and
 * active high (what QEMU's microvm DSDT declares for these devices; the
 * DSDT's own flags are used when it is the source): the line stays up
 * while InterruptStatus has bits set, and the handler acknowledges exactly
 * the bits it read. */
#include <arch/apic.h>
#include <arch/trap.h>
#include <skiff/cmdline.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include <skiff/virtio.h>
#include "virtio_mmio.h"

CMDLINE_PARAM(virtio_mmio, "virtio_mmio.device",
	      "virtio-mmio device <size>@<base>:<irq> (added by QEMU -M microvm,acpi=off)");

struct vm_dev {
	struct virtio_device vd;
	volatile u8 *regs;
	phys_addr_t base;
	u32 irq;
	bool level, active_low;
};

static struct vm_dev *to_vm(struct virtio_device *vd) { return container_of(vd, struct vm_dev, vd); }
static u32 rd(struct virtio_device *vd, u32 off) { return *(volatile u32 *)(to_vm(vd)->regs + off); }
static void wr(struct virtio_device *vd, u32 off, u32 v) { *(volatile u32 *)(to_vm(vd)->regs + off) = v; }

static u64 mm_get_features(struct virtio_device *vd)
{
	wr(vd, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	if (vd->legacy)
		return rd(vd, VIRTIO_MMIO_DEVICE_FEATURES);
	u64 lo = rd(vd, VIRTIO_MMIO_DEVICE_FEATURES);
	wr(vd, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	u64 hi = rd(vd, VIRTIO_MMIO_DEVICE_FEATURES);
	return lo | (hi << 32);
}
static void mm_set_features(struct virtio_device *vd, u64 f)
{
	wr(vd, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(vd, VIRTIO_MMIO_DRIVER_FEATURES, (u32)f);
	if (vd->legacy)
		return;
	wr(vd, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(vd, VIRTIO_MMIO_DRIVER_FEATURES, (u32)(f >> 32));
}
static u8 mm_get_status(struct virtio_device *vd) { return (u8)rd(vd, VIRTIO_MMIO_STATUS); }
static void mm_set_status(struct virtio_device *vd, u8 s) { wr(vd, VIRTIO_MMIO_STATUS, s); }
static void mm_reset(struct virtio_device *vd)
{
	wr(vd, VIRTIO_MMIO_STATUS, 0);
	for (int i = 0; i < 100000 && rd(vd, VIRTIO_MMIO_STATUS) != 0; i++)
		udelay(10);
}
static void mm_read_config(struct virtio_device *vd, unsigned off, void *buf, unsigned len)
{
	u8 *b = buf;
	for (unsigned i = 0; i < len; i++)
		b[i] = *(to_vm(vd)->regs + VIRTIO_MMIO_CONFIG + off + i);
}
static u32 mm_config_generation(struct virtio_device *vd)
{
	return vd->legacy ? 0 : rd(vd, VIRTIO_MMIO_CONFIG_GENERATION);
}
static unsigned mm_queue_max(struct virtio_device *vd, unsigned idx)
{
	wr(vd, VIRTIO_MMIO_QUEUE_SEL, idx);
	if (rd(vd, vd->legacy ? VIRTIO_MMIO_QUEUE_PFN : VIRTIO_MMIO_QUEUE_READY))
		return 0; /* already in use: not ours to set up */
	return rd(vd, VIRTIO_MMIO_QUEUE_NUM_MAX);
}
static int mm_queue_setup(struct virtio_device *vd, struct virtqueue *vq)
{
	u64 d = virt_to_phys(vq->desc), a = virt_to_phys(vq->avail), u = virt_to_phys(vq->used);

	wr(vd, VIRTIO_MMIO_QUEUE_SEL, vq->index);
	wr(vd, VIRTIO_MMIO_QUEUE_NUM, vq->size);
	vq->notify_addr = (volatile u16 *)(to_vm(vd)->regs + VIRTIO_MMIO_QUEUE_NOTIFY);
	if (vd->legacy) {
		if (d >> (32 + 12))
			return -ENOMEM;
		wr(vd, VIRTIO_MMIO_GUEST_PAGE_SIZE, PAGE_SIZE); /* reset clears it */
		wr(vd, VIRTIO_MMIO_QUEUE_ALIGN, VIRTIO_LEGACY_ALIGN);
		wr(vd, VIRTIO_MMIO_QUEUE_PFN, (u32)(d >> 12));
		return 0;
	}
	wr(vd, VIRTIO_MMIO_QUEUE_DESC_LOW, (u32)d);
	wr(vd, VIRTIO_MMIO_QUEUE_DESC_HIGH, (u32)(d >> 32));
	wr(vd, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (u32)a);
	wr(vd, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (u32)(a >> 32));
	wr(vd, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (u32)u);
	wr(vd, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (u32)(u >> 32));
	wr(vd, VIRTIO_MMIO_QUEUE_READY, 1);
	vq->notify_addr = (volatile u16 *)(to_vm(vd)->regs + VIRTIO_MMIO_QUEUE_NOTIFY);
	return 0;
}
static void mm_notify(struct virtio_device *vd, struct virtqueue *vq)
{
	*(volatile u32 *)vq->notify_addr = vq->index;
}

static void mm_irq(struct trap_frame *tf, void *arg)
{
	struct virtio_device *vd = arg;
	u32 st = rd(vd, VIRTIO_MMIO_INTERRUPT_STATUS);
	if (!st)
		return;
	wr(vd, VIRTIO_MMIO_INTERRUPT_ACK, st);
	if (st & VIRTIO_ISR_QUEUE)
		virtio_vqs_interrupt(vd);
}

static int mm_setup_irqs(struct virtio_device *vd)
{
	struct vm_dev *vm = to_vm(vd);
	int vec = irq_alloc_vector();

	if (vec < 0)
		return -ENOSPC;
	irq_set_handler((unsigned)vec, mm_irq, vd);
	int err = ioapic_route_gsi(vm->irq, (u8)vec, platform.apic_ids[0], vm->level, vm->active_low);
	if (err)
		pr_err("%s: cannot route GSI %u (%d)", vd->name, vm->irq, err);
	return err;
}

static const struct virtio_transport_ops mmio_ops = {
	.get_features = mm_get_features,
	.set_features = mm_set_features,
	.get_status = mm_get_status,
	.set_status = mm_set_status,
	.reset = mm_reset,
	.read_config = mm_read_config,
	.config_generation = mm_config_generation,
	.queue_max = mm_queue_max,
	.queue_setup = mm_queue_setup,
	.notify = mm_notify,
	.setup_irqs = mm_setup_irqs,
};

/* Parse "<size>@<base>:<irq>[:<id>]". Returns 0 or -EINVAL. */
static int virtio_mmio_parse(const char *s, u64 *size, u64 *base, u32 *irq)
{
	char *end;

	*size = strtoull(s, &end, 0);
	if (end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		*size <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		*size <<= 20, end++;
	if (*end++ != '@')
		return -EINVAL;
	s = end;
	*base = strtoull(s, &end, 0);
	if (end == s || *end++ != ':')
		return -EINVAL;
	s = end;
	u64 v = strtoull(s, &end, 0);
	if (end == s || (*end && *end != ':') || v > 255)
		return -EINVAL;
	*irq = (u32)v;
	if (*size < VIRTIO_MMIO_CONFIG || *size > (1u << 20) || (*base & 3) || !*base)
		return -EINVAL;
	return 0;
}

static void probe_slot(u64 size, u64 base, u32 irq, bool level, bool low)
{
	if (size < VIRTIO_MMIO_CONFIG || size > (1u << 20) || !base || (base & 3)) {
		pr_err("virtio-mmio: device at %#llx size %#llx ignored", (unsigned long long)base,
		       (unsigned long long)size);
		return;
	}
	volatile u8 *regs = ioremap(base, (size_t)size);
	u32 magic = *(volatile u32 *)(regs + VIRTIO_MMIO_MAGIC_VALUE);
	u32 version = *(volatile u32 *)(regs + VIRTIO_MMIO_VERSION);
	u32 id = *(volatile u32 *)(regs + VIRTIO_MMIO_DEVICE_ID);

	if (magic != VIRTIO_MMIO_MAGIC) {
		pr_err("virtio-mmio@%#llx: bad magic %#x; ignored", (unsigned long long)base, magic);
		return;
	}
	if (id == 0)
		return; /* empty slot */
	if (version != 1 && version != 2) {
		pr_err("virtio-mmio@%#llx: unknown version %u; ignored", (unsigned long long)base, version);
		return;
	}
	struct vm_dev *vm = kzalloc(sizeof(*vm));
	if (!vm)
		return;
	vm->regs = regs;
	vm->base = base;
	vm->irq = irq;
	vm->level = level;
	vm->active_low = low;
	vm->vd.ops = &mmio_ops;
	vm->vd.device_id = id;
	vm->vd.transport = vm;
	vm->vd.legacy = version == 1;
	snprintf(vm->vd.name, sizeof(vm->vd.name), "virtio-mmio%s@%llx", vm->vd.legacy ? "-v1" : "",
		 (unsigned long long)base);
	if (vm->vd.legacy)
		*(volatile u32 *)(regs + VIRTIO_MMIO_GUEST_PAGE_SIZE) = PAGE_SIZE;
	virtio_device_found(&vm->vd);
}

int virtio_mmio_probe_cmdline(void)
{
	const char *v;
	int n = 0;

	for (unsigned i = 0; (v = cmdline_get_nth("virtio_mmio.device", i)) != NULL; i++) {
		u64 size, base;
		u32 irq;
		if (virtio_mmio_parse(v, &size, &base, &irq) < 0) {
			pr_err("virtio-mmio: cannot parse virtio_mmio.device=%s", v);
			continue;
		}
		probe_slot(size, base, irq, true, false);
		n++;
	}
	if (!n)
		n = virtio_mmio_scan_dsdt(probe_slot);
	return n;
}
