/* virtio-blk (virtio 1.2 section 5.2).
 *
 * Host contract: QEMU `-device virtio-blk-pci,drive=d0` (q35/pc) or
 * `-device virtio-blk-device,drive=d0` (microvm), with
 * `-drive file=IMG,if=none,id=d0,format=raw[,readonly=on]`.
 *
 * Features accepted, and why:
 *   VIRTIO_BLK_F_RO        the device is read-only: registered read-only,
 *                          writes fail with -EROFS before reaching it
 *   VIRTIO_BLK_F_BLK_SIZE  logical block size (I/O is sized and aligned
 *                          to it)
 *   VIRTIO_BLK_F_FLUSH     the device has a volatile write cache: fsync/sync
 *                          end with a FLUSH request. Without it the device
 *                          is treated as write-through and FLUSH is a no-op
 *   VIRTIO_BLK_F_SEG_MAX   caps the data pieces of one request (the
 *                          buffer cache merges contiguous blocks into one
 *                          request of up to 64 pieces)
 * plus the core's ring features. Refused: VIRTIO_BLK_F_MQ (one queue is
 * enough here), DISCARD/WRITE_ZEROES (no user), CONFIG_WCE (the cache
 * mode is left as the host set it), GEOMETRY/TOPOLOGY (informational).
 *
 * Requests: header (device-readable), data, status byte (device-writable);
 * with INDIRECT_DESC each takes one ring slot, so up to the queue size (256
 * with QEMU) are in flight at once. A submitter finding the ring full
 * sleeps until a completion frees room. A status other than OK becomes
 * -EIO for the caller (UNSUPP is logged once). */
#include <skiff/blkdev.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/time.h>
#include <skiff/virtio.h>
#include <skiff/wait.h>

#define VBLK_MAX_SEGS 64

struct vblk {
	struct virtio_device *vd;
	struct virtqueue *vq;
	struct block_device bd;
	struct wait_queue space_wq;   /* submitters waiting for ring room */
	u64 inflight;                 /* [vq->lock] */
};

struct vblk_req {
	struct virtio_blk_req_hdr hdr;
	u8 status;
	struct blk_request *rq;
};

static void vblk_done(struct virtqueue *vq)
{
	struct vblk *vb = vq->vdev->driver;
	struct vblk_req *r;
	bool freed = false;
	u64 f = spin_lock_irqsave(&vq->lock);

	do {
		while ((r = vq_get_used(vq, NULL)) != NULL) {
			struct blk_request *rq = r->rq;
			if (r->status != VIRTIO_BLK_S_OK) {
				if (r->status == VIRTIO_BLK_S_UNSUPP)
					pr_warn_once("%s: request type %u unsupported by the device", vb->bd.name,
						     r->hdr.type);
				else
					pr_err("%s: I/O error (status %u) type %u sector %llu", vb->bd.name,
					       r->status, r->hdr.type, (unsigned long long)r->hdr.sector);
			}
			rq->status = r->status == VIRTIO_BLK_S_OK ? 0 : -EIO;
			kfree(r);
			vb->inflight--;
			freed = true;
			void (*end)(struct blk_request *) = rq->end_io;
			__atomic_store_n(&rq->done, true, __ATOMIC_RELEASE);
			if (end)
				end(rq);
		}
	} while (vq_enable_cb(vq));
	spin_unlock_irqrestore(&vq->lock, f);
	if (freed)
		wake_up_all(&vb->space_wq);
}

static bool has_room(void *arg)
{
	struct vblk *vb = arg;
	return READ_ONCE(vb->vq->num_free) >= (vb->vq->indirect ? 1 : MIN(VBLK_MAX_SEGS + 2, vb->vq->size));
}

static int vblk_submit(struct block_device *bd, struct blk_request *rq)
{
	struct vblk *vb = bd->priv;
	struct vq_buf stack_bufs[3], *bufs = stack_bufs;
	unsigned out = 1, in = 0, n = 0, nseg = rq->nsegs ? rq->nsegs : 1;
	struct vblk_req *r;

	if (rq->op == BLK_FLUSH && !virtio_has(vb->vd, VIRTIO_BLK_F_FLUSH)) {
		rq->status = 0;
		__atomic_store_n(&rq->done, true, __ATOMIC_RELEASE);
		if (rq->end_io)
			rq->end_io(rq);
		return 0;
	}
	r = kzalloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (rq->op != BLK_FLUSH && nseg > 1) {
		bufs = kmalloc((nseg + 2) * sizeof(*bufs));
		if (!bufs) {
			kfree(r);
			return -ENOMEM;
		}
	}
	r->rq = rq;
	r->status = 0xff;
	r->hdr.type = rq->op == BLK_READ ? VIRTIO_BLK_T_IN : rq->op == BLK_WRITE ? VIRTIO_BLK_T_OUT
										 : VIRTIO_BLK_T_FLUSH;
	r->hdr.sector = rq->op == BLK_FLUSH ? 0 : rq->sector;
	bufs[n++] = (struct vq_buf){ &r->hdr, sizeof(r->hdr) };
	if (rq->op != BLK_FLUSH) {
		for (unsigned i = 0; i < nseg; i++)
			bufs[n++] = rq->nsegs ? (struct vq_buf){ rq->segs[i].buf, rq->segs[i].len }
					      : (struct vq_buf){ rq->buf, rq->len };
		if (rq->op == BLK_WRITE)
			out += nseg;
		else
			in += nseg;
	}
	bufs[n++] = (struct vq_buf){ &r->status, 1 };
	in++;

	for (;;) {
		u64 f = spin_lock_irqsave(&vb->vq->lock);
		int err = vq_add(vb->vq, bufs, out, in, r);
		if (err == 0) {
			vb->inflight++;
			vq_kick(vb->vq);
			spin_unlock_irqrestore(&vb->vq->lock, f);
			if (bufs != stack_bufs)
				kfree(bufs);
			return 0;
		}
		spin_unlock_irqrestore(&vb->vq->lock, f);
		if (err != -ENOSPC) {
			if (bufs != stack_bufs)
				kfree(bufs);
			kfree(r);
			return err;
		}
		wait_event_deadline_fn(&vb->space_wq, has_room, vb, clock_monotonic_ns() + NSEC_PER_SEC);
	}
}

static const struct blkdev_ops vblk_ops = { .submit = vblk_submit };

static int vblk_probe(struct virtio_device *vd)
{
	struct vblk *vb = kzalloc(sizeof(*vb));
	void (*const cbs[1])(struct virtqueue *) = { vblk_done };
	u64 accept = (1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
		     (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_SEG_MAX);
	int err;

	if (!vb)
		return -ENOMEM;
	vb->vd = vd;
	vd->driver = vb;
	wait_queue_init(&vb->space_wq);
	err = virtio_negotiate(vd, accept);
	if (err)
		return err;
	err = virtio_find_vqs(vd, 1, cbs);
	if (err)
		return err;
	vb->vq = vd->vqs[0];

	struct virtio_blk_config cfg = { 0 };
	virtio_read_config(vd, 0, &cfg, sizeof(cfg.capacity) + 16 + sizeof(cfg.blk_size));
	vb->bd.nr_sectors = cfg.capacity;
	vb->bd.block_size = SECTOR_SIZE;
	if (virtio_has(vd, VIRTIO_BLK_F_BLK_SIZE)) {
		if (cfg.blk_size >= 512 && cfg.blk_size <= 4096 && !(cfg.blk_size & (cfg.blk_size - 1)))
			vb->bd.block_size = cfg.blk_size;
		else
			pr_warn("%s: ignoring odd blk_size %u", vd->name, cfg.blk_size);
	}
	/* Data pieces per request: seg_max when offered, never more than a
	 * chain can hold (header + status take two descriptors). */
	u32 segs = VBLK_MAX_SEGS;
	if (virtio_has(vd, VIRTIO_BLK_F_SEG_MAX) && cfg.seg_max)
		segs = MIN(segs, cfg.seg_max);
	if (!vb->vq->indirect)
		segs = MIN(segs, (u32)vb->vq->size - 2);
	vb->bd.max_segs = segs ? segs : 1;
	vb->bd.read_only = virtio_has(vd, VIRTIO_BLK_F_RO);
	vb->bd.has_flush = virtio_has(vd, VIRTIO_BLK_F_FLUSH);
	vb->bd.ops = &vblk_ops;
	vb->bd.priv = vb;
	err = blkdev_register(&vb->bd, "vd");
	if (err)
		return err;
	virtio_driver_ok(vd);
	pr_info("%s: %s: %llu sectors (%llu MiB), block size %u%s%s, queue size %u", vd->name,
		vb->bd.name, (unsigned long long)cfg.capacity, (unsigned long long)(cfg.capacity >> 11),
		vb->bd.block_size, vb->bd.read_only ? ", read-only" : "",
		vb->bd.has_flush ? ", write cache (FLUSH)" : ", write-through", vb->vq->size);
	return 0;
}

const struct virtio_driver virtio_blk_driver = {
	.device_id = VIRTIO_ID_BLOCK,
	.name = "virtio-blk",
	.probe = vblk_probe,
};
