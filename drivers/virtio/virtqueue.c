/* Split virtqueues (virtio 1.2 section 2.7), driver side.
 *
 * Memory layout: always the legacy one (2.7.2 "Legacy Interfaces: A Note
 * on Virtqueue Layout"): descriptor table, driver area (+used_event), pad
 * to 4096, device area (+avail_event), in one physically contiguous block.
 * It meets the modern alignment rules too, so one layout serves every
 * transport.
 *
 * Features used when negotiated: VIRTIO_F_RING_INDIRECT_DESC (a request of
 * more than one buffer takes one ring slot and a kmalloc'd table, 2.7.5.3),
 * VIRTIO_F_RING_EVENT_IDX (used_event/avail_event suppression, 2.7.7/2.7.10).
 *
 * Ordering (the device is another agent reading and writing this memory;
 * x86 keeps stores in order and loads in order, so only the compiler and
 * the store->load case need care):
 *   (A) descriptors and the ring slot are written before avail->idx
 *       (release store);
 *   (B) avail->idx is globally visible before the driver reads
 *       avail_event / used->flags to decide on a notify (full fence);
 *   (C) used->idx is read before the used element it covers (acquire);
 *   (D) used_event is visible before used->idx is re-read in
 *       vq_enable_cb (full fence).
 *
 * Trust: the device's used entries are checked (head in range, a chain
 * walk bounded by the queue size, head actually in flight) and a bad one
 * is logged and dropped rather than followed. */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/virtio.h>

#define VQ_MAX_SIZE 256

static size_t ring_bytes(u16 n, size_t *avail_off, size_t *used_off)
{
	*avail_off = (size_t)n * sizeof(struct virtq_desc);
	*used_off = ALIGN_UP(*avail_off + 6 + 2 * (size_t)n, (size_t)VIRTIO_LEGACY_ALIGN);
	return *used_off + 6 + 8 * (size_t)n;
}

static u16 *used_event(struct virtqueue *vq) { return &vq->avail->ring[vq->size]; }
static u16 *avail_event(struct virtqueue *vq) { return (u16 *)&vq->used->ring[vq->size]; }

struct virtqueue *vq_create(struct virtio_device *vd, unsigned index, u16 size,
			    void (*cb)(struct virtqueue *))
{
	size_t aoff, uoff, bytes;
	struct virtqueue *vq;
	unsigned order = 0;

	if (!size || (size & (size - 1)) || size > 32768)
		return NULL;
	bytes = ring_bytes(size, &aoff, &uoff);
	while (((size_t)PAGE_SIZE << order) < bytes)
		order++;
	if (order >= MAX_ORDER)
		return NULL;
	vq = kzalloc(sizeof(*vq));
	if (!vq)
		return NULL;
	vq->ring_mem = alloc_pages(order);
	vq->token = kzalloc(size * sizeof(void *));
	vq->ind = kzalloc(size * sizeof(void *));
	if (!vq->ring_mem || !vq->token || !vq->ind)
		goto fail;
	memset(vq->ring_mem, 0, (size_t)PAGE_SIZE << order);
	vq->ring_order = order;
	vq->vdev = vd;
	vq->index = index;
	vq->size = size;
	vq->desc = vq->ring_mem;
	vq->avail = (struct virtq_avail *)((u8 *)vq->ring_mem + aoff);
	vq->used = (struct virtq_used *)((u8 *)vq->ring_mem + uoff);
	vq->event_idx = virtio_has(vd, VIRTIO_F_RING_EVENT_IDX);
	vq->indirect = virtio_has(vd, VIRTIO_F_RING_INDIRECT_DESC);
	vq->callback = cb;
	spin_init(&vq->lock, "virtqueue");
	for (u16 i = 0; i < size; i++)
		vq->desc[i].next = (u16)(i + 1);
	vq->free_head = 0;
	vq->num_free = size;
	return vq;
fail:
	if (vq->ring_mem)
		free_pages(vq->ring_mem, order);
	kfree(vq->token);
	kfree(vq->ind);
	kfree(vq);
	return NULL;
}

void vq_destroy(struct virtqueue *vq)
{
	if (!vq)
		return;
	for (u16 i = 0; i < vq->size; i++)
		kfree(vq->ind[i]);
	free_pages(vq->ring_mem, vq->ring_order);
	kfree(vq->token);
	kfree(vq->ind);
	kfree(vq);
}

static void publish(struct virtqueue *vq, u16 head, void *token)
{
	vq->token[head] = token;
	vq->avail->ring[vq->avail_idx & (vq->size - 1)] = head;
	vq->avail_idx++;
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE); /* (A) */
}

int vq_add(struct virtqueue *vq, const struct vq_buf *bufs, unsigned out, unsigned in, void *token)
{
	unsigned n = out + in;
	u16 head, idx, last = 0;

	assert_held(&vq->lock);
	if (!n || !token || n > vq->size)
		return -EINVAL;
	if (vq->indirect && n > 1 && vq->num_free >= 1) {
		struct virtq_desc *tbl = kmalloc(n * sizeof(*tbl));
		if (tbl) {
			for (unsigned i = 0; i < n; i++) {
				tbl[i].addr = virt_to_phys(bufs[i].addr);
				tbl[i].len = bufs[i].len;
				tbl[i].flags = (u16)((i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) |
						     (i >= out ? VIRTQ_DESC_F_WRITE : 0));
				tbl[i].next = (u16)(i + 1 < n ? i + 1 : 0);
			}
			head = vq->free_head;
			vq->free_head = vq->desc[head].next;
			vq->num_free--;
			vq->desc[head].addr = virt_to_phys(tbl);
			vq->desc[head].len = n * sizeof(*tbl);
			vq->desc[head].flags = VIRTQ_DESC_F_INDIRECT;
			vq->ind[head] = tbl;
			publish(vq, head, token);
			return 0;
		}
	}
	if (vq->num_free < n)
		return -ENOSPC;
	head = idx = vq->free_head;
	for (unsigned i = 0; i < n; i++) {
		struct virtq_desc *d = &vq->desc[idx];
		d->addr = virt_to_phys(bufs[i].addr);
		d->len = bufs[i].len;
		d->flags = (u16)((i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | (i >= out ? VIRTQ_DESC_F_WRITE : 0));
		last = idx;
		idx = d->next; /* free-list link doubles as the chain link */
	}
	vq->free_head = vq->desc[last].next;
	vq->num_free = (u16)(vq->num_free - n);
	vq->ind[head] = NULL;
	publish(vq, head, token);
	return 0;
}

void vq_kick(struct virtqueue *vq)
{
	bool need;

	assert_held(&vq->lock);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* (B) */
	u16 old = vq->kicked_idx, now = vq->avail_idx;
	if (old == now)
		return;
	vq->kicked_idx = now;
	if (vq->event_idx) {
		u16 ev = READ_ONCE(*avail_event(vq));
		need = (u16)(now - ev - 1) < (u16)(now - old);
	} else {
		need = !(READ_ONCE(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
	}
	if (need)
		vq->vdev->ops->notify(vq->vdev, vq);
}

void *vq_get_used(struct virtqueue *vq, u32 *len)
{
	assert_held(&vq->lock);
	for (;;) {
		u16 used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE); /* (C) */
		if (vq->last_used == used_idx)
			return NULL;
		struct virtq_used_elem e = vq->used->ring[vq->last_used & (vq->size - 1)];
		vq->last_used++;
		if (vq->event_idx)
			WRITE_ONCE(*used_event(vq), vq->last_used);
		if (e.id >= vq->size || !vq->token[e.id]) {
			pr_err("%s: queue %u: device returned bad descriptor %u", vq->vdev->name,
			       vq->index, e.id);
			continue;
		}
		u16 head = (u16)e.id, i = head;
		unsigned count = 1;
		if (vq->ind[head]) {
			kfree(vq->ind[head]);
			vq->ind[head] = NULL;
		} else {
			while ((vq->desc[i].flags & VIRTQ_DESC_F_NEXT) && count < vq->size) {
				i = vq->desc[i].next % vq->size;
				count++;
			}
		}
		vq->desc[i].next = vq->free_head;
		vq->free_head = head;
		vq->num_free = (u16)(vq->num_free + count);
		void *token = vq->token[head];
		vq->token[head] = NULL;
		if (len)
			*len = e.len;
		return token;
	}
}

bool vq_enable_cb(struct virtqueue *vq)
{
	assert_held(&vq->lock);
	if (vq->event_idx)
		WRITE_ONCE(*used_event(vq), vq->last_used);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* (D) */
	return vq->last_used != READ_ONCE(vq->used->idx);
}
