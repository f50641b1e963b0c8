/* The buffer cache: file-system blocks in memory, written back later.
 *
 * Each buffer is one block of one device at one size, found by hash. A
 * buffer is UPTODATE once read (or fully written by its owner), DIRTY
 * until written back, LOCKED while I/O is in flight (at most one I/O per
 * buffer). Unreferenced clean buffers are evicted oldest-first when the
 * cache passes its limit (a quarter of RAM).
 *
 * Write-back: bdev_sync() snapshots the dirty set, submits every write
 * at once (many requests in flight), waits for all, then sends a FLUSH.
 * A buffer re-dirtied while its write is in flight stays DIRTY and is
 * written again next time. The flusher thread does this for every device
 * every blk.flush_interval_ms (default 5000).
 *
 * Locking: bc_lock (irqsave: completions run in interrupt context)
 * protects the hash, the LRU list, flags, refcounts and the counters.
 * Lock order: the driver's queue lock -> bc_lock -> wait-queue locks;
 * nothing here submits I/O while holding bc_lock. Buffer data belongs to
 * the file system, which serialises its own updates. */
#include <skiff/blkdev.h>
#include <skiff/cmdline.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/sched.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include <skiff/wait.h>

CMDLINE_PARAM(blk_flush_interval, "blk.flush_interval_ms",
	      "buffer cache write-back period in ms (default 5000, 0 = never)");

#define BC_HASH_SIZE 4096

static DEFINE_SPINLOCK(bc_lock);
static struct list_head bc_hash[BC_HASH_SIZE]; /* [bc] */
static LIST_HEAD(bc_lru);                     /* [bc] least recently used first */
static unsigned bc_count, bc_dirty;           /* [bc] */
static unsigned bc_limit;                     /* [I] after first use */
static bool bc_ready;
static DEFINE_WAIT_QUEUE(bc_wq);

void blk_complete_wake(struct blk_request *rq);

static void bc_init_once(void)
{
	if (__atomic_load_n(&bc_ready, __ATOMIC_ACQUIRE))
		return;
	u64 f = spin_lock_irqsave(&bc_lock);
	if (!bc_ready) {
		for (int i = 0; i < BC_HASH_SIZE; i++)
			list_init(&bc_hash[i]);
#ifdef SKIFF_HOST_TEST
		bc_limit = 1u << 16;
#else
		bc_limit = (unsigned)MAX(256ull, mm_total_pages() / 4);
#endif
		__atomic_store_n(&bc_ready, true, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&bc_lock, f);
}

static unsigned hash_of(struct block_device *bd, u64 block)
{
	u64 h = block * 0x9e3779b97f4a7c15ull ^ ((u64)(uintptr_t)bd >> 4);
	return (unsigned)(h >> 32) % BC_HASH_SIZE;
}

static struct buffer_head *lookup(struct block_device *bd, u64 block, u32 size)
{
	struct buffer_head *bh;
	assert_held(&bc_lock);
	list_for_each_entry(bh, &bc_hash[hash_of(bd, block)], hash)
		if (bh->bdev == bd && bh->block == block && bh->size == size)
			return bh;
	return NULL;
}

static void bh_free(struct buffer_head *bh)
{
	kfree(bh->data);
	kfree(bh);
}

/* Evict one clean unreferenced buffer. [bc] held. Returns it (unlinked)
 * for the caller to free after unlocking, or NULL. */
static struct buffer_head *evict_one(void)
{
	struct buffer_head *bh;
	list_for_each_entry(bh, &bc_lru, lru) {
		if (bh->refcount == 0 && !(bh->flags & (BH_DIRTY | BH_LOCKED))) {
			list_del(&bh->hash);
			list_del(&bh->lru);
			bc_count--;
			return bh;
		}
	}
	return NULL;
}

static void bh_end_io(struct blk_request *rq)
{
	struct buffer_head *bh = rq->priv;
	u64 f = spin_lock_irqsave(&bc_lock);

	if (rq->status == 0) {
		bh->flags |= BH_UPTODATE;
	} else {
		bh->flags |= BH_ERROR;
		if (rq->op == BLK_WRITE)
			bh->bdev->wb_error = -EIO;
	}
	bh->flags &= ~BH_LOCKED;
	spin_unlock_irqrestore(&bc_lock, f);
	wake_up_all(&bc_wq);
	blk_complete_wake(rq);
}

static bool bh_unlocked(void *arg)
{
	struct buffer_head *bh = arg;
	return !(__atomic_load_n(&bh->flags, __ATOMIC_ACQUIRE) & BH_LOCKED);
}

static void wait_unlocked(struct buffer_head *bh)
{
	while (!bh_unlocked(bh))
		wait_event_deadline_fn(&bc_wq, bh_unlocked, bh, clock_monotonic_ns() + NSEC_PER_SEC);
}

/* Find or create the buffer; referenced. */
static int writeback(struct block_device *bd);

/* Over the limit with nothing clean to evict: the cache is full of dirty
 * buffers (a big write without fsync). Write them back here, in the
 * allocating thread, before growing further. [bc] not held. */
static void relieve_pressure(void)
{
	static u32 busy; /* one writer at a time; others just proceed */
	if (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE))
		return;
	writeback(NULL);
	__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
}

/* Find or create the buffer; referenced. May sleep (write-back under
 * memory pressure). */
static struct buffer_head *getblk(struct block_device *bd, u64 block, u32 size, int *err)
{
	struct buffer_head *bh, *victim = NULL, *fresh = NULL;
	bool pressure = false;

	bc_init_once();
	if (!size || size % bd->block_size || size > 65536 ||
	    block >= (bd->nr_sectors * SECTOR_SIZE) / size) {
		*err = -EINVAL;
		return NULL;
	}
	for (;;) {
		u64 f = spin_lock_irqsave(&bc_lock);
		bh = lookup(bd, block, size);
		if (bh || fresh) {
			if (bh) {
				bh->refcount++;
				list_del(&bh->lru);
				list_add_tail(&bh->lru, &bc_lru);
			} else {
				bh = fresh;
				fresh = NULL;
				list_add(&bh->hash, &bc_hash[hash_of(bd, block)]);
				list_add_tail(&bh->lru, &bc_lru);
				bc_count++;
			}
			if (bc_count > bc_limit) {
				victim = evict_one();
				pressure = !victim && bc_dirty > bc_limit / 2;
			}
			spin_unlock_irqrestore(&bc_lock, f);
			if (victim)
				bh_free(victim);
			if (fresh)
				bh_free(fresh);
			if (pressure)
				relieve_pressure();
			return bh;
		}
		spin_unlock_irqrestore(&bc_lock, f);
		/* Allocate outside the lock, then look again (another thread may
		 * have added the same block meanwhile). */
		fresh = kzalloc(sizeof(*fresh));
		u8 *data = fresh ? kmalloc(size) : NULL;
		if (!data) {
			kfree(fresh);
			*err = -ENOMEM;
			return NULL;
		}
		memset(data, 0, size);
		fresh->data = data;
		fresh->bdev = bd;
		fresh->block = block;
		fresh->size = size;
		fresh->refcount = 1;
	}
}

/* Tests: shrink (or restore, 0) the cache limit, in buffers. */
void bcache_set_limit(unsigned buffers)
{
	bc_init_once();
	u64 f = spin_lock_irqsave(&bc_lock);
#ifdef SKIFF_HOST_TEST
	bc_limit = buffers ? buffers : 1u << 16;
#else
	bc_limit = buffers ? buffers : (unsigned)MAX(256ull, mm_total_pages() / 4);
#endif
	spin_unlock_irqrestore(&bc_lock, f);
}

struct buffer_head *bget(struct block_device *bd, u64 block, u32 size, int *err)
{
	struct buffer_head *bh = getblk(bd, block, size, err);
	if (!bh)
		return NULL;
	wait_unlocked(bh);
	u64 f = spin_lock_irqsave(&bc_lock);
	bh->flags |= BH_UPTODATE;
	bh->flags &= ~BH_ERROR;
	spin_unlock_irqrestore(&bc_lock, f);
	return bh;
}

struct buffer_head *bread(struct block_device *bd, u64 block, u32 size, int *err)
{
	struct buffer_head *bh = getblk(bd, block, size, err);
	if (!bh)
		return NULL;
	for (;;) {
		wait_unlocked(bh);
		u64 f = spin_lock_irqsave(&bc_lock);
		if (bh->flags & BH_UPTODATE) {
			spin_unlock_irqrestore(&bc_lock, f);
			return bh;
		}
		if (bh->flags & BH_LOCKED) {
			spin_unlock_irqrestore(&bc_lock, f);
			continue;
		}
		bh->flags = (bh->flags | BH_LOCKED) & ~BH_ERROR;
		spin_unlock_irqrestore(&bc_lock, f);
		bh->rq = (struct blk_request){ .op = BLK_READ, .sector = block * (size / SECTOR_SIZE),
					       .buf = bh->data, .len = size, .end_io = bh_end_io, .priv = bh };
		int e = blk_submit(bd, &bh->rq);
		if (e) {
			f = spin_lock_irqsave(&bc_lock);
			bh->flags = (bh->flags & ~BH_LOCKED) | BH_ERROR;
			spin_unlock_irqrestore(&bc_lock, f);
			wake_up_all(&bc_wq);
		}
		wait_unlocked(bh);
		if (bh->flags & BH_ERROR) {
			pr_err("%s: read error at block %llu (size %u)", bd->name, (unsigned long long)block, size);
			brelse(bh);
			*err = -EIO;
			return NULL;
		}
	}
}

void brelse(struct buffer_head *bh)
{
	if (!bh)
		return;
	u64 f = spin_lock_irqsave(&bc_lock);
	if (bh->refcount <= 0)
		panic("brelse: %s block %llu refcount %d", bh->bdev->name, (unsigned long long)bh->block,
		      bh->refcount);
	bh->refcount--;
	spin_unlock_irqrestore(&bc_lock, f);
}

void bh_mark_dirty(struct buffer_head *bh)
{
	u64 f = spin_lock_irqsave(&bc_lock);
	if (!(bh->flags & BH_DIRTY)) {
		bh->flags |= BH_DIRTY;
		bh->dirtied_ns = clock_monotonic_ns();
		bc_dirty++;
	}
	bh->flags |= BH_UPTODATE;
	spin_unlock_irqrestore(&bc_lock, f);
}

/* Start writing bh if dirty (caller holds a reference). Returns 1 when a
 * write was submitted, 0 when clean, -errno when submission failed. */
static int start_write(struct buffer_head *bh)
{
	wait_unlocked(bh);
	u64 f = spin_lock_irqsave(&bc_lock);
	if (!(bh->flags & BH_DIRTY) || (bh->flags & BH_LOCKED)) {
		spin_unlock_irqrestore(&bc_lock, f);
		return 0;
	}
	bh->flags = (bh->flags & ~(BH_DIRTY | BH_ERROR)) | BH_LOCKED;
	bc_dirty--;
	spin_unlock_irqrestore(&bc_lock, f);
	bh->rq = (struct blk_request){ .op = BLK_WRITE, .sector = bh->block * (bh->size / SECTOR_SIZE),
				       .buf = bh->data, .len = bh->size, .end_io = bh_end_io, .priv = bh };
	int e = blk_submit(bh->bdev, &bh->rq);
	if (e) {
		f = spin_lock_irqsave(&bc_lock);
		bh->flags = (bh->flags & ~BH_LOCKED) | BH_ERROR;
		spin_unlock_irqrestore(&bc_lock, f);
		wake_up_all(&bc_wq);
		pr_err("%s: cannot write block %llu (%d)", bh->bdev->name, (unsigned long long)bh->block, e);
		return e;
	}
	return 1;
}

int bh_sync(struct buffer_head *bh)
{
	int e = start_write(bh);
	if (e < 0)
		return -EIO;
	wait_unlocked(bh);
	return (bh->flags & BH_ERROR) ? -EIO : 0;
}

/* Merged write-back: a run of buffers with consecutive block numbers on
 * one device goes out as one request of up to bd->max_segs pieces. */
struct wb_batch {
	struct blk_request rq;
	unsigned n;
	struct buffer_head **bh;
	struct blk_seg *segs;
};

static void batch_end_io(struct blk_request *rq)
{
	struct wb_batch *b = rq->priv;
	u64 f = spin_lock_irqsave(&bc_lock);
	for (unsigned i = 0; i < b->n; i++) {
		struct buffer_head *bh = b->bh[i];
		if (rq->status) {
			bh->flags |= BH_ERROR;
			if (rq->op == BLK_WRITE)
				bh->bdev->wb_error = -EIO;
		} else if (rq->op == BLK_READ) {
			bh->flags |= BH_UPTODATE;
		}
		bh->flags &= ~BH_LOCKED;
	}
	spin_unlock_irqrestore(&bc_lock, f);
	wake_up_all(&bc_wq);
	blk_complete_wake(rq);
	kfree(b);
}

/* Heapsort v by (device, block): no recursion, no allocation. */
static bool bh_less(const struct buffer_head *a, const struct buffer_head *b)
{
	if (a->bdev != b->bdev)
		return (uintptr_t)a->bdev < (uintptr_t)b->bdev;
	return a->block < b->block;
}
static void sift(struct buffer_head **v, unsigned i, unsigned n)
{
	for (;;) {
		unsigned c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && bh_less(v[c], v[c + 1]))
			c++;
		if (!bh_less(v[i], v[c]))
			return;
		struct buffer_head *t = v[i];
		v[i] = v[c];
		v[c] = t;
		i = c;
	}
}
static void sort_bhs(struct buffer_head **v, unsigned n)
{
	for (unsigned i = n / 2; i-- > 0;)
		sift(v, i, n);
	for (unsigned i = n; i-- > 1;) {
		struct buffer_head *t = v[0];
		v[0] = v[i];
		v[i] = t;
		sift(v, 0, i);
	}
}

/* Write v[0..n) (sorted, referenced) in runs; buffers no longer dirty or
 * already in flight are skipped. Returns -EIO if a submission failed. */
static int write_runs(struct buffer_head **v, unsigned n)
{
	int err = 0;

	for (unsigned i = 0; i < n;) {
		struct block_device *bd = v[i]->bdev;
		unsigned max = MAX(bd->max_segs, 1u), j = i + 1;
		while (j < n && j - i < max && v[j]->bdev == bd && v[j]->size == v[i]->size &&
		       v[j]->block == v[j - 1]->block + 1)
			j++;
		struct wb_batch *b = kzalloc(sizeof(*b) + (j - i) * (sizeof(*b->bh) + sizeof(*b->segs)));
		if (!b) {
			for (; i < j; i++)
				if (start_write(v[i]) < 0)
					err = -EIO;
			continue;
		}
		b->bh = (struct buffer_head **)(b + 1);
		b->segs = (struct blk_seg *)(b->bh + (j - i));
		/* Claim the still-dirty, idle buffers of the run; a gap (a buffer
		 * cleaned or in flight meanwhile) ends the request early. */
		u64 f = spin_lock_irqsave(&bc_lock);
		unsigned k = i;
		for (; k < j; k++) {
			struct buffer_head *bh = v[k];
			if ((bh->flags & (BH_DIRTY | BH_LOCKED)) != BH_DIRTY)
				break;
			bh->flags = (bh->flags & ~(BH_DIRTY | BH_ERROR)) | BH_LOCKED;
			bc_dirty--;
			b->bh[b->n] = bh;
			b->segs[b->n] = (struct blk_seg){ bh->data, bh->size };
			b->n++;
		}
		spin_unlock_irqrestore(&bc_lock, f);
		if (!b->n) {
			kfree(b);
			i++;
			continue;
		}
		u32 size = v[i]->size;
		b->rq = (struct blk_request){ .op = BLK_WRITE, .sector = v[i]->block * (size / SECTOR_SIZE),
					      .len = b->n * size, .segs = b->segs, .nsegs = b->n,
					      .end_io = batch_end_io, .priv = b };
		if (blk_submit(bd, &b->rq)) {
			f = spin_lock_irqsave(&bc_lock);
			for (unsigned m = 0; m < b->n; m++) {
				b->bh[m]->flags = (b->bh[m]->flags & ~BH_LOCKED) | BH_ERROR | BH_DIRTY;
				bc_dirty++;
			}
			spin_unlock_irqrestore(&bc_lock, f);
			wake_up_all(&bc_wq);
			pr_err("%s: cannot write blocks %llu+%u", bd->name, (unsigned long long)v[i]->block, b->n);
			kfree(b);
			err = -EIO;
		}
		i = k > i ? k : i + 1;
	}
	return err;
}

/* Start reads of the blocks not yet cached, without waiting: later
 * bread() calls find them in flight or done. Consecutive blocks go out as
 * one request. Best effort: allocation or submission failures are ignored
 * (bread retries and reports). A LOCKED buffer is never evicted, so the
 * references are dropped as soon as the reads are queued. */
void bcache_readahead(struct block_device *bd, const u64 *blocks, unsigned n, u32 size)
{
	struct buffer_head *run[64];
	unsigned nrun = 0, max = MIN(MAX(bd->max_segs, 1u), 64u);
	int err;

	for (unsigned i = 0; i <= n; i++) {
		struct buffer_head *bh = NULL;
		bool start = false;
		if (i < n && (bh = getblk(bd, blocks[i], size, &err)) != NULL) {
			u64 f = spin_lock_irqsave(&bc_lock);
			start = !(bh->flags & (BH_UPTODATE | BH_LOCKED));
			if (start)
				bh->flags = (bh->flags | BH_LOCKED) & ~BH_ERROR;
			spin_unlock_irqrestore(&bc_lock, f);
		}
		/* Flush the run when this block does not extend it. */
		if (nrun && (!start || nrun == max || bh->block != run[nrun - 1]->block + 1)) {
			struct wb_batch *b = kzalloc(sizeof(*b) + nrun * (sizeof(*b->bh) + sizeof(*b->segs)));
			bool ok = false;
			if (b) {
				b->bh = (struct buffer_head **)(b + 1);
				b->segs = (struct blk_seg *)(b->bh + nrun);
				b->n = nrun;
				for (unsigned k = 0; k < nrun; k++) {
					b->bh[k] = run[k];
					b->segs[k] = (struct blk_seg){ run[k]->data, size };
				}
				b->rq = (struct blk_request){ .op = BLK_READ, .sector = run[0]->block * (size / SECTOR_SIZE),
							      .len = nrun * size, .segs = b->segs, .nsegs = nrun,
							      .end_io = batch_end_io, .priv = b };
				ok = blk_submit(bd, &b->rq) == 0;
				if (!ok)
					kfree(b);
			}
			if (!ok) {
				u64 f = spin_lock_irqsave(&bc_lock);
				for (unsigned k = 0; k < nrun; k++)
					run[k]->flags &= ~BH_LOCKED;
				spin_unlock_irqrestore(&bc_lock, f);
				wake_up_all(&bc_wq);
			}
			for (unsigned k = 0; k < nrun; k++)
				brelse(run[k]);
			nrun = 0;
		}
		if (start)
			run[nrun++] = bh;
		else if (bh)
			brelse(bh);
	}
}

/* Write back the dirty buffers of bd (all devices when NULL); wait. */
static int writeback(struct block_device *bd)
{
	struct buffer_head **v, *bh;
	unsigned n = 0, cap;
	int err = 0;

	bc_init_once();
	u64 f = spin_lock_irqsave(&bc_lock);
	cap = bc_dirty;
	spin_unlock_irqrestore(&bc_lock, f);
	if (!cap)
		return 0;
	v = kmalloc((cap + 16) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	f = spin_lock_irqsave(&bc_lock);
	list_for_each_entry(bh, &bc_lru, lru) {
		if (n >= cap + 16)
			break;
		if ((bh->flags & BH_DIRTY) && (!bd || bh->bdev == bd)) {
			bh->refcount++;
			v[n++] = bh;
		}
	}
	spin_unlock_irqrestore(&bc_lock, f);
	/* Buffers with I/O in flight are waited for first, so that the run
	 * writer sees them idle (and still dirty if they were re-dirtied). */
	for (unsigned i = 0; i < n; i++)
		wait_unlocked(v[i]);
	sort_bhs(v, n);
	if (write_runs(v, n) < 0)
		err = -EIO;
	for (unsigned i = 0; i < n; i++) {
		wait_unlocked(v[i]);
		if (v[i]->flags & BH_ERROR)
			err = -EIO;
		brelse(v[i]);
	}
	kfree(v);
	return err;
}

int bdev_sync(struct block_device *bd)
{
	int err = writeback(bd);
	int ferr = blk_flush(bd);
	u64 f = spin_lock_irqsave(&bc_lock);
	int wb = bd->wb_error;
	bd->wb_error = 0;
	spin_unlock_irqrestore(&bc_lock, f);
	if (ferr)
		pr_err("%s: cache flush failed (%d)", bd->name, ferr);
	return err ? err : ferr ? -EIO : wb;
}

int blk_sync_all(void)
{
	int err = 0;
	for (unsigned i = 0; blkdev_get_nth(i); i++) {
		int e = bdev_sync(blkdev_get_nth(i));
		if (e && !err)
			err = e;
	}
	return err;
}

void bdev_drop_buffers(struct block_device *bd)
{
	struct list_head *p, *n;
	LIST_HEAD(dead);

	bc_init_once();
	u64 f = spin_lock_irqsave(&bc_lock);
	list_for_each_safe(p, n, &bc_lru) {
		struct buffer_head *bh = list_entry(p, struct buffer_head, lru);
		if (bh->bdev == bd && bh->refcount == 0 && !(bh->flags & (BH_DIRTY | BH_LOCKED))) {
			list_del(&bh->hash);
			list_del(&bh->lru);
			list_add(&bh->lru, &dead);
			bc_count--;
		}
	}
	spin_unlock_irqrestore(&bc_lock, f);
	list_for_each_safe(p, n, &dead)
		bh_free(list_entry(p, struct buffer_head, lru));
}

unsigned bcache_dirty_count(void)
{
	return __atomic_load_n(&bc_dirty, __ATOMIC_RELAXED);
}

#ifndef SKIFF_HOST_TEST
static int flusher(void *arg)
{
	u64 ms = cmdline_get_u64("blk.flush_interval_ms", 5000);
	for (;;) {
		sleep_ns(ms * NSEC_PER_MSEC);
		if (bcache_dirty_count())
			blk_sync_all();
	}
	return 0;
}
#endif

void bcache_start_flusher(void)
{
#ifndef SKIFF_HOST_TEST
	static bool started;
	if (__atomic_exchange_n(&started, true, __ATOMIC_ACQ_REL))
		return;
	if (cmdline_get_u64("blk.flush_interval_ms", 5000) == 0) {
		pr_info("bcache: periodic write-back disabled (blk.flush_interval_ms=0)");
		return;
	}
	if (!kthread_create(flusher, NULL, "bflush", -1))
		pr_err("bcache: cannot start the flusher thread; write-back only on sync");
#endif
}

void block_init(void)
{
#ifndef SKIFF_HOST_TEST
	extern void virtio_init(void);
	virtio_init();
#endif
}
