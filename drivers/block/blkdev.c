/* Block device registry and request submission.
 *
 * Devices are registered by drivers during boot (virtio_init) and never
 * removed. Names follow Linux's virtio-blk naming (vda, vdb, ...) so that
 * root=/dev/vda means the same disk to Skiff and to a Linux guest given
 * the same QEMU command line. Major 254 (Linux's usual dynamic virtblk
 * major), minors 16 apart as Linux leaves room for partitions (Skiff does
 * not read partition tables: a disk is one file system).
 *
 * Completion waits: every request's waiter sleeps on blk_wq and is woken
 * by blk_complete_wake() from the driver's completion path; the condition
 * is the request's own `done` flag (release-stored by the driver after
 * `status`, acquire-loaded here). */
#include <skiff/blkdev.h>
#include <skiff/errno.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include <skiff/wait.h>

#define MAX_BLKDEVS 26
#define BLK_MAJOR 254

static struct block_device *blkdevs[MAX_BLKDEVS]; /* [blk_reg_lock] append-only */
static unsigned nblkdevs;
static DEFINE_SPINLOCK(blk_reg_lock);
static DEFINE_WAIT_QUEUE(blk_wq);

void bcache_start_flusher(void); /* bcache.c */

int blkdev_register(struct block_device *bd, const char *prefix)
{
	u64 f = spin_lock_irqsave(&blk_reg_lock);
	unsigned n = 0;

	for (unsigned i = 0; i < nblkdevs; i++)
		if (!strncmp(blkdevs[i]->name, prefix, strlen(prefix)))
			n++;
	if (nblkdevs >= MAX_BLKDEVS || n >= 26) {
		spin_unlock_irqrestore(&blk_reg_lock, f);
		return -ENOSPC;
	}
	snprintf(bd->name, sizeof(bd->name), "%s%c", prefix, 'a' + n);
	bd->major = BLK_MAJOR;
	if (!bd->max_segs)
		bd->max_segs = 1;
	bd->minor = nblkdevs * 16;
	list_init(&bd->link);
	__atomic_store_n(&blkdevs[nblkdevs], bd, __ATOMIC_RELEASE);
	__atomic_store_n(&nblkdevs, nblkdevs + 1, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&blk_reg_lock, f);
	bcache_start_flusher();
	return 0;
}

struct block_device *blkdev_get_nth(unsigned i)
{
	if (i >= __atomic_load_n(&nblkdevs, __ATOMIC_ACQUIRE))
		return NULL;
	return blkdevs[i];
}

struct block_device *blkdev_find(const char *name)
{
	if (!strncmp(name, "/dev/", 5))
		name += 5;
	for (unsigned i = 0; blkdev_get_nth(i); i++)
		if (!strcmp(blkdevs[i]->name, name))
			return blkdevs[i];
	return NULL;
}

int blk_submit(struct block_device *bd, struct blk_request *rq)
{
	rq->done = false;
	rq->status = 0;
	if (rq->op != BLK_FLUSH) {
		u32 bs = bd->block_size;
		if (!rq->len || rq->len % bs || (rq->sector * SECTOR_SIZE) % bs ||
		    rq->sector > bd->nr_sectors || rq->len / SECTOR_SIZE > bd->nr_sectors - rq->sector)
			return -EINVAL;
		if (rq->nsegs) {
			u64 total = 0;
			if (rq->nsegs > MAX(bd->max_segs, 1u))
				return -EINVAL;
			for (unsigned i = 0; i < rq->nsegs; i++) {
				if (!rq->segs[i].len || rq->segs[i].len % SECTOR_SIZE)
					return -EINVAL;
				total += rq->segs[i].len;
			}
			if (total != rq->len)
				return -EINVAL;
		}
	}
	if (rq->op == BLK_WRITE && bd->read_only)
		return -EROFS;
	return bd->ops->submit(bd, rq);
}

static bool rq_done(void *arg)
{
	return __atomic_load_n(&((struct blk_request *)arg)->done, __ATOMIC_ACQUIRE);
}

void blk_wait(struct blk_request *rq)
{
	u64 start = clock_monotonic_ns();
	bool warned = false;

	while (!wait_event_deadline_fn(&blk_wq, rq_done, rq, clock_monotonic_ns() + NSEC_PER_SEC)) {
		if (!warned && clock_monotonic_ns() - start > 30 * NSEC_PER_SEC) {
			pr_warn("blk: request (op %d sector %llu) not completed after 30 s", rq->op,
				(unsigned long long)rq->sector);
			warned = true;
		}
	}
}

/* Drivers' completions for requests submitted through blk_rw end here;
 * callers with their own end_io call it too (bcache does). */
void blk_complete_wake(struct blk_request *rq __unused)
{
	wake_up_all(&blk_wq);
}

int blk_rw(struct block_device *bd, enum blk_op op, u64 sector, void *buf, u32 len)
{
	struct blk_request rq = { .op = op, .sector = sector, .buf = buf, .len = len,
				  .end_io = blk_complete_wake };
	int err = blk_submit(bd, &rq);
	if (err)
		return err;
	blk_wait(&rq);
	return rq.status;
}

int blk_flush(struct block_device *bd)
{
	if (!bd->has_flush)
		return 0;
	return blk_rw(bd, BLK_FLUSH, 0, NULL, 0);
}
