/* Virtio: one virtqueue core (drivers/virtio/virtqueue.c), the device
 * life cycle (drivers/virtio/core.c) and two transports (pci.c, mmio.c).
 * Device drivers (blk.c; a net driver later) see only this header.
 *
 * Life cycle (virtio 1.2 section 3.1.1): a transport finds a device and
 * calls virtio_device_found(); the core resets it, sets ACKNOWLEDGE and
 * DRIVER, and hands it to the driver registered for its device id. The
 * driver calls virtio_negotiate() with the feature bits it accepts, creates
 * its queues with virtio_find_vqs(), reads its config, and calls
 * virtio_driver_ok(). Any failure: virtio_fail() sets FAILED. */
#ifndef SKIFF_VIRTIO_H
#define SKIFF_VIRTIO_H

#include <abi/virtio.h>
#include <skiff/spinlock.h>

struct virtio_device;
struct virtqueue;

/* What a transport provides. Called in process context with no virtio
 * lock held, except notify (any context, vq->lock held). */
struct virtio_transport_ops {
	u64 (*get_features)(struct virtio_device *vd);
	void (*set_features)(struct virtio_device *vd, u64 features);
	u8 (*get_status)(struct virtio_device *vd);
	void (*set_status)(struct virtio_device *vd, u8 status);
	void (*reset)(struct virtio_device *vd);   /* returns once the device reads 0 */
	/* Device-specific config: byte-wise copy of [off, off+len). */
	void (*read_config)(struct virtio_device *vd, unsigned off, void *buf, unsigned len);
	u32 (*config_generation)(struct virtio_device *vd);
	/* Largest size of queue idx, 0 when the queue does not exist. */
	unsigned (*queue_max)(struct virtio_device *vd, unsigned idx);
	/* Tell the device where vq's rings are and enable it. legacy_layout
	 * is always used, so one address (desc) also locates the rest. */
	int (*queue_setup)(struct virtio_device *vd, struct virtqueue *vq);
	void (*notify)(struct virtio_device *vd, struct virtqueue *vq);
	/* Interrupts for all of vd's queues (after queue_setup). */
	int (*setup_irqs)(struct virtio_device *vd);
};

#define VIRTIO_MAX_VQS 4

/* Legend: [I] set before DRIVER_OK, immutable afterwards. */
struct virtio_device {
	const struct virtio_transport_ops *ops; /* [I] */
	u32 device_id;                          /* [I] VIRTIO_ID_* */
	bool legacy;                            /* [I] 0.9.5 interface (no VERSION_1) */
	u64 features;                           /* [I] negotiated */
	char name[32];                          /* [I] "virtio-pci 00:03.0" */
	struct virtqueue *vqs[VIRTIO_MAX_VQS];  /* [I] */
	unsigned nvqs;                          /* [I] */
	void *transport;                        /* [I] transport private */
	void *driver;                           /* [I] driver private */
};

static inline bool virtio_has(const struct virtio_device *vd, unsigned bit)
{
	return (vd->features >> bit) & 1;
}

/* A buffer of a request: guest-physically contiguous kernel memory
 * (kmalloc/page allocator, never a vmap'd stack). */
struct vq_buf {
	void *addr;
	u32 len;
};

/* Split virtqueue. Legend: [I] immutable after setup, [q] vq->lock. */
struct virtqueue {
	struct virtio_device *vdev;          /* [I] */
	unsigned index;                      /* [I] */
	u16 size;                            /* [I] power of two */
	struct virtq_desc *desc;             /* [I] */
	struct virtq_avail *avail;           /* [I] */
	struct virtq_used *used;             /* [I] */
	void *ring_mem;                      /* [I] allocation holding the three */
	unsigned ring_order;                 /* [I] */
	bool event_idx;                      /* [I] VIRTIO_F_RING_EVENT_IDX */
	bool indirect;                       /* [I] VIRTIO_F_RING_INDIRECT_DESC */
	spinlock_t lock;
	u16 free_head;                       /* [q] free descriptor chain */
	u16 num_free;                        /* [q] */
	u16 avail_idx;                       /* [q] shadow of avail->idx */
	u16 kicked_idx;                      /* [q] avail_idx at the last notify */
	u16 last_used;                       /* [q] next used entry to consume */
	void **token;                        /* [q] per head: caller's cookie */
	struct virtq_desc **ind;             /* [q] per head: indirect table or NULL */
	void (*callback)(struct virtqueue *vq); /* [I] irq context */
	/* Transport notify data. */
	volatile u16 *notify_addr;           /* [I] modern PCI / MMIO: register */
	u16 notify_port;                     /* [I] legacy PCI: I/O port */
};

/* ---- core.c ---- */
struct virtio_driver {
	u32 device_id;
	const char *name;
	/* Set up the device (negotiate, queues, DRIVER_OK); 0 or -errno (the
	 * core then marks the device FAILED). */
	int (*probe)(struct virtio_device *vd);
};
/* Transports call this for each device found (process context). */
void virtio_device_found(struct virtio_device *vd);
/* Negotiate: accept = the device-specific bits the driver uses; the core
 * adds VERSION_1, EVENT_IDX and INDIRECT_DESC. A modern device without
 * VERSION_1, or a legacy device, is handled per section 6 / 7. Returns 0 or
 * -ENODEV (FEATURES_OK refused; logged). */
int virtio_negotiate(struct virtio_device *vd, u64 accept);
/* Create queues 0..n-1 with callbacks cb[i]; 0 or -errno. */
int virtio_find_vqs(struct virtio_device *vd, unsigned n, void (*const cb[])(struct virtqueue *));
void virtio_driver_ok(struct virtio_device *vd);
void virtio_fail(struct virtio_device *vd, const char *why);
/* Config read with the generation retry of section 2.5.1. */
void virtio_read_config(struct virtio_device *vd, unsigned off, void *buf, unsigned len);
/* Interrupt fan-out: run every queue's callback (shared INTx/MMIO line). */
void virtio_vqs_interrupt(struct virtio_device *vd);

/* ---- virtqueue.c ---- */
struct virtqueue *vq_create(struct virtio_device *vd, unsigned index, u16 size,
			    void (*cb)(struct virtqueue *));
void vq_destroy(struct virtqueue *vq);
/* Queue one request: out buffers (device-readable) then in buffers
 * (device-writable). vq->lock held. Returns 0 or -ENOSPC (no room; retry
 * after a completion) / -EINVAL. */
int vq_add(struct virtqueue *vq, const struct vq_buf *bufs, unsigned out, unsigned in, void *token);
/* Publish what was added and notify the device if it wants it. vq->lock held. */
void vq_kick(struct virtqueue *vq);
/* Next completed request's token (and bytes written), or NULL. vq->lock held. */
void *vq_get_used(struct virtqueue *vq, u32 *len);
/* Program the used-event so the next completion interrupts; returns true
 * if completions arrived meanwhile (poll again). vq->lock held. */
bool vq_enable_cb(struct virtqueue *vq);

/* Command line devices (mmio.c). */
int virtio_mmio_probe_cmdline(void);
int virtio_pci_probe_all(void);
/* Everything: PCI scan, virtio-pci, virtio-mmio (idempotent). */
void virtio_init(void);

#endif
