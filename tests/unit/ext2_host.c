/* Host stand-ins for the ext2 unit tests and the ext2 fuzzer: kmalloc on
 * malloc, a no-op sleeping lock (one thread), wait queues that never
 * sleep (the fake disk completes every request before submit returns),
 * clocks, and a block device backed by a host file (pread/pwrite) or by a
 * memory buffer. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skiff/blkdev.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/vfs.h>
#include <skiff/wait.h>
#include "ext2_host.h"

void *kmalloc(size_t n) { return malloc(n ? n : 1); }
void *kzalloc(size_t n) { return calloc(1, n ? n : 1); }
void kfree(void *p) { free(p); }

void fs_mutex_init(struct fs_mutex *m) { m->locked = 0; }
void fs_mutex_lock(struct fs_mutex *m)
{
	if (m->locked) {
		fprintf(stderr, "fs_mutex: recursive lock\n");
		abort();
	}
	m->locked = 1;
}
void fs_mutex_unlock(struct fs_mutex *m) { m->locked = 0; }

void wait_queue_init(struct wait_queue *wq) { list_init(&wq->waiters); }
void prepare_to_wait(struct wait_queue *wq, struct waiter *w, int state) {}
void finish_wait(struct wait_queue *wq, struct waiter *w) {}
void wake_up(struct wait_queue *wq) {}
void wake_up_all(struct wait_queue *wq) {}
void schedule(void) {}
bool wait_event_deadline_fn(struct wait_queue *wq, bool (*cond)(void *), void *arg, u64 deadline)
{
	if (!cond(arg)) {
		fprintf(stderr, "host wait: condition false on a synchronous device\n");
		abort();
	}
	return true;
}

u64 host_now_s = 1700000000;
u64 clock_monotonic_ns(void) { return 0; }
u64 clock_realtime_ns(void) { return host_now_s * 1000000000ull; }

static int fake_submit(struct block_device *bd, struct blk_request *rq)
{
	struct fake_disk *d = bd->priv;
	off_t off = (off_t)(rq->sector * SECTOR_SIZE);
	int st = 0;

	d->requests++;
	if (rq->nsegs && rq->op != BLK_FLUSH) {
		/* Scattered: each piece at its running offset. */
		for (unsigned i = 0; i < rq->nsegs && !st; i++) {
			struct blk_seg *sg = &rq->segs[i];
			if (rq->op == BLK_READ) {
				if (d->mem)
					memcpy(sg->buf, d->mem + off, sg->len);
				else if (pread(d->fd, sg->buf, sg->len, off) != (ssize_t)sg->len)
					st = -EIO;
			} else if (d->fail_writes) {
				st = -EIO;
			} else if (d->mem) {
				memcpy(d->mem + off, sg->buf, sg->len);
			} else if (pwrite(d->fd, sg->buf, sg->len, off) != (ssize_t)sg->len) {
				st = -EIO;
			}
			off += sg->len;
		}
		if (rq->op == BLK_READ)
			d->reads++;
		else
			d->writes++;
	} else if (rq->op == BLK_READ) {
		d->reads++;
		if (d->mem)
			memcpy(rq->buf, d->mem + off, rq->len);
		else if (pread(d->fd, rq->buf, rq->len, off) != (ssize_t)rq->len)
			st = -EIO;
	} else if (rq->op == BLK_WRITE) {
		d->writes++;
		if (d->fail_writes)
			st = -EIO;
		else if (d->mem)
			memcpy(d->mem + off, rq->buf, rq->len);
		else if (pwrite(d->fd, rq->buf, rq->len, off) != (ssize_t)rq->len)
			st = -EIO;
	} else {
		d->flushes++;
	}
	rq->status = st;
	__atomic_store_n(&rq->done, true, __ATOMIC_RELEASE);
	if (rq->end_io)
		rq->end_io(rq);
	return 0;
}

static const struct blkdev_ops fake_ops = { .submit = fake_submit };

void fake_disk_init(struct fake_disk *d, const char *name, u64 bytes)
{
	memset(&d->bd, 0, sizeof(d->bd));
	snprintf(d->bd.name, sizeof(d->bd.name), "%s", name);
	d->bd.nr_sectors = bytes / SECTOR_SIZE;
	d->bd.block_size = SECTOR_SIZE;
	d->bd.has_flush = true;
	d->bd.max_segs = 16;
	d->bd.ops = &fake_ops;
	d->bd.priv = d;
}
