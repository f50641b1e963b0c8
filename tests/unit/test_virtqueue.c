// SOURCES: drivers/virtio/virtqueue.c tests/unit/ext2_host.c
/* The split-virtqueue core against a fake device that walks the rings the
 * way virtio 1.2 section 2.7 says a device does: descriptor chains (direct
 * and indirect) are checked against what the driver queued (addresses,
 * lengths, WRITE flags, chain order), completions come back out of order,
 * every descriptor must return to the free list, a full ring refuses with
 * -ENOSPC, notifications follow avail_event (EVENT_IDX) or
 * VIRTQ_USED_F_NO_NOTIFY, and a device returning a bogus head is logged
 * and ignored. Host "physical" addresses are host pointers (direct map
 * base 0). */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/virtio.h>
#include "test.h"

u64 host_direct_map_base = 0;

void *alloc_pages(unsigned order)
{
	void *p = aligned_alloc(PAGE_SIZE, (size_t)PAGE_SIZE << order);
	return p;
}
void free_pages(void *va, unsigned order) { free(va); }

static unsigned notifies;
static void fake_notify(struct virtio_device *vd, struct virtqueue *vq) { notifies++; }
static const struct virtio_transport_ops ops = { .notify = fake_notify };

struct req {
	u8 out[3][64];
	u8 in[2][32];
	unsigned nout, nin;
	bool done;
};

/* Device side: consume avail entries from *seen on, check each chain
 * against its request, remember heads to complete. */
static int device_take(struct virtqueue *vq, u16 *seen, u16 *heads, struct req **reqs_by_head)
{
	int n = 0;
	while (*seen != vq->avail->idx) {
		u16 head = vq->avail->ring[*seen % vq->size];
		(*seen)++;
		CHECK(head < vq->size);
		struct virtq_desc *d = &vq->desc[head], *tbl = vq->desc;
		unsigned limit = vq->size, i = head;
		if (d->flags & VIRTQ_DESC_F_INDIRECT) {
			CHECK(!(d->flags & VIRTQ_DESC_F_NEXT));
			CHECK(d->len % 16 == 0);
			tbl = (struct virtq_desc *)(uintptr_t)d->addr;
			limit = d->len / 16;
			i = 0;
		}
		struct req *r = reqs_by_head[head];
		CHECK(r != NULL);
		unsigned k = 0;
		for (;;) {
			CHECK(i < limit);
			struct virtq_desc *c = &tbl[i];
			bool w = c->flags & VIRTQ_DESC_F_WRITE;
			if (k < r->nout) {
				CHECK(!w);
				CHECK(c->addr == (u64)(uintptr_t)r->out[k]);
				CHECK(c->len == 64);
			} else {
				CHECK(w);
				CHECK(c->addr == (u64)(uintptr_t)r->in[k - r->nout]);
				memset((void *)(uintptr_t)c->addr, 0xab, c->len);
			}
			k++;
			if (!(c->flags & VIRTQ_DESC_F_NEXT))
				break;
			i = c->next;
			if (k > limit)
				break;
		}
		CHECK_EQ(k, r->nout + r->nin);
		heads[n++] = head;
	}
	return n;
}

static void device_complete(struct virtqueue *vq, u16 head, u32 len)
{
	vq->used->ring[vq->used->idx % vq->size] = (struct virtq_used_elem){ head, len };
	__atomic_store_n(&vq->used->idx, (u16)(vq->used->idx + 1), __ATOMIC_RELEASE);
}

static void run(bool indirect, bool event_idx)
{
	struct virtio_device vd = { .ops = &ops, .name = "fake" };
	vd.features = (indirect ? 1ull << VIRTIO_F_RING_INDIRECT_DESC : 0) |
		      (event_idx ? 1ull << VIRTIO_F_RING_EVENT_IDX : 0);
	struct virtqueue *vq = vq_create(&vd, 0, 16, NULL);
	CHECK(vq != NULL);
	if (!vq)
		return;
	struct req reqs[64];
	struct req *by_head[16] = { 0 };
	u16 seen = 0, heads[64];
	u64 f = spin_lock_irqsave(&vq->lock);

	/* Fill the ring with 3-buffer requests until it refuses. */
	int queued = 0;
	for (int i = 0; i < 64; i++) {
		struct req *r = &reqs[i];
		memset(r, 0, sizeof(*r));
		r->nout = 2;
		r->nin = 1;
		struct vq_buf b[3] = { { r->out[0], 64 }, { r->out[1], 64 }, { r->in[0], 32 } };
		u16 head = vq->free_head;
		int err = vq_add(vq, b, 2, 1, r);
		if (err) {
			CHECK_EQ(err, -ENOSPC);
			break;
		}
		by_head[head] = r;
		queued++;
	}
	CHECK_EQ(queued, indirect ? 16 : 5);
	unsigned before = notifies;
	vq_kick(vq);
	CHECK_EQ(notifies, before + 1);
	vq_kick(vq); /* nothing new: no notify */
	CHECK_EQ(notifies, before + 1);

	/* The device takes all, completes them in reverse order. */
	int n = device_take(vq, &seen, heads, by_head);
	CHECK_EQ(n, queued);
	for (int i = n - 1; i >= 0; i--)
		device_complete(vq, heads[i], 32);
	CHECK(vq_enable_cb(vq)); /* completions pending */
	int got = 0;
	void *tok;
	u32 len;
	while ((tok = vq_get_used(vq, &len)) != NULL) {
		struct req *r = tok;
		CHECK(!r->done);
		r->done = true;
		CHECK_EQ(len, 32);
		CHECK_EQ(r->in[0][0], 0xab);
		got++;
	}
	CHECK_EQ(got, queued);
	CHECK_EQ(vq->num_free, 16);
	CHECK(!vq_enable_cb(vq));

	/* Notification suppression. */
	if (event_idx) {
		/* Device asks to be told only when avail idx passes current+2. */
		*(u16 *)&vq->used->ring[vq->size] = (u16)(vq->avail_idx + 2);
		memset(by_head, 0, sizeof(by_head));
		before = notifies;
		for (int i = 0; i < 4; i++) {
			struct req *r = &reqs[i];
			memset(r, 0, sizeof(*r));
			r->nout = 1;
			r->nin = 0;
			struct vq_buf b[1] = { { r->out[0], 64 } };
			by_head[vq->free_head] = r;
			CHECK_EQ(vq_add(vq, b, 1, 0, r), 0);
			vq_kick(vq);
		}
		/* Kicks after 1, 2 (not yet), 3 (crosses the event), 4 (past it). */
		CHECK_EQ(notifies, before + 1);
	} else {
		vq->used->flags = VIRTQ_USED_F_NO_NOTIFY;
		memset(by_head, 0, sizeof(by_head));
		before = notifies;
		for (int i = 0; i < 4; i++) {
			struct req *r = &reqs[i];
			memset(r, 0, sizeof(*r));
			r->nout = 1;
			struct vq_buf b[1] = { { r->out[0], 64 } };
			by_head[vq->free_head] = r;
			CHECK_EQ(vq_add(vq, b, 1, 0, r), 0);
			vq_kick(vq);
		}
		CHECK_EQ(notifies, before);
	}
	n = device_take(vq, &seen, heads, by_head);
	CHECK_EQ(n, 4);
	/* A bogus head first, then the real ones. */
	device_complete(vq, 200, 0);
	for (int i = 0; i < n; i++)
		device_complete(vq, heads[i], 0);
	got = 0;
	while ((tok = vq_get_used(vq, &len)) != NULL)
		got++;
	CHECK_EQ(got, 4);
	CHECK_EQ(vq->num_free, 16);
	CHECK_EQ(vq_add(vq, NULL, 0, 0, reqs), -EINVAL);
	spin_unlock_irqrestore(&vq->lock, f);
	vq_destroy(vq);
}

int main(void)
{
	run(false, false);
	run(true, false);
	run(false, true);
	run(true, true);
	TEST_DONE("virtqueue");
}
