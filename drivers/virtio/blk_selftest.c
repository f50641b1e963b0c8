/* SELFTEST(virtio_blk): I/O through the block layer to a virtio disk.
 *
 * Writes only to a scratch disk: one whose sector 0 begins with
 * "SKIFF-SCRATCH" (tests/fuzz/mkscratch or `printf SKIFF-SCRATCH | dd
 * of=IMG conv=notrunc`). Other disks are only read. Without any disk the
 * test is skipped with a message. On the scratch disk: 64 requests of 4 KiB
 * in flight at once with distinct patterns, read back and compared, a
 * FLUSH, out-of-range and misaligned requests refused with -EINVAL, and the
 * buffer cache path (dirty buffers written back by bdev_sync, then re-read
 * from the device after dropping the cache). */
#include <skiff/blkdev.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/sched.h>
#include <skiff/selftest.h>
#include <skiff/smp.h>
#include <skiff/string.h>
#include <skiff/virtio.h>

#define SCRATCH_MAGIC "SKIFF-SCRATCH"
#define NREQ 64

static int scratch_test(struct block_device *bd)
{
	struct blk_request *rq = kzalloc(NREQ * sizeof(*rq));
	u8 *buf = alloc_pages(6); /* 256 KiB: NREQ * 4 KiB */
	int fails = 0;

	if (!rq || !buf) {
		kfree(rq);
		if (buf)
			free_pages(buf, 6);
		return -ENOMEM;
	}
	if (bd->nr_sectors < 8 + NREQ * 8) {
		pr_err("virtio_blk: scratch disk %s too small", bd->name);
		fails++;
		goto out;
	}
	for (int i = 0; i < NREQ; i++) {
		for (int j = 0; j < 4096; j++)
			buf[i * 4096 + j] = (u8)(i * 7 + j * 13 + 1);
		rq[i] = (struct blk_request){ .op = BLK_WRITE, .sector = 8 + i * 8, .buf = buf + i * 4096, .len = 4096 };
	}
	extern void blk_complete_wake(struct blk_request *);
	for (int i = 0; i < NREQ; i++) {
		rq[i].end_io = blk_complete_wake;
		if (blk_submit(bd, &rq[i]) < 0) {
			pr_err("virtio_blk: submit %d failed", i);
			fails++;
		}
	}
	for (int i = 0; i < NREQ; i++) {
		blk_wait(&rq[i]);
		if (rq[i].status) {
			pr_err("virtio_blk: write %d status %d", i, rq[i].status);
			fails++;
		}
	}
	if (blk_flush(bd) < 0) {
		pr_err("virtio_blk: flush failed");
		fails++;
	}
	memset(buf, 0, NREQ * 4096);
	for (int i = 0; i < NREQ; i++) {
		rq[i] = (struct blk_request){ .op = BLK_READ, .sector = 8 + i * 8, .buf = buf + i * 4096, .len = 4096,
					      .end_io = blk_complete_wake };
		if (blk_submit(bd, &rq[i]) < 0)
			fails++;
	}
	for (int i = 0; i < NREQ; i++) {
		blk_wait(&rq[i]);
		if (rq[i].status)
			fails++;
		for (int j = 0; j < 4096; j++)
			if (buf[i * 4096 + j] != (u8)(i * 7 + j * 13 + 1)) {
				pr_err("virtio_blk: request %d byte %d reads %#x", i, j, buf[i * 4096 + j]);
				fails++;
				break;
			}
	}
	if (blk_rw(bd, BLK_READ, bd->nr_sectors, buf, 512) != -EINVAL ||
	    blk_rw(bd, BLK_READ, bd->nr_sectors - 1, buf, 1024) != -EINVAL) {
		pr_err("virtio_blk: out-of-range request not refused");
		fails++;
	}
	/* Buffer cache write-back. */
	int err;
	struct buffer_head *bh = bread(bd, 1000, 1024, &err);
	if (!bh) {
		pr_err("virtio_blk: bread failed (%d)", err);
		fails++;
		goto out;
	}
	memset(bh->data, 0x5a, 1024);
	bh_mark_dirty(bh);
	brelse(bh);
	if (bdev_sync(bd) < 0 || bcache_dirty_count() != 0) {
		pr_err("virtio_blk: bdev_sync failed");
		fails++;
	}
	bdev_drop_buffers(bd);
	memset(buf, 0, 1024);
	if (blk_rw(bd, BLK_READ, 2000, buf, 1024) < 0 || buf[0] != 0x5a || buf[1023] != 0x5a) {
		pr_err("virtio_blk: written-back buffer not on the device");
		fails++;
	}
out:
	kfree(rq);
	free_pages(buf, 6);
	return fails ? -EIO : 0;
}

/* Two threads (one per CPU when there are two) hammer their own region
 * of the scratch disk with synchronous writes and reads through one
 * virtqueue: the ring lock, completions arriving on another CPU and the
 * wait path are all exercised. */
struct hammer {
	struct block_device *bd;
	u64 first_sector;
	int errors;
};

static int hammer_fn(void *arg)
{
	struct hammer *h = arg;
	u8 *buf = kmalloc(4096);
	if (!buf) {
		h->errors++;
		return 0;
	}
	for (int round = 0; round < 100; round++) {
		u64 sec = h->first_sector + (u64)(round % 16) * 8;
		for (int j = 0; j < 4096; j++)
			buf[j] = (u8)(round + j + sec);
		if (blk_rw(h->bd, BLK_WRITE, sec, buf, 4096))
			h->errors++;
		memset(buf, 0, 4096);
		if (blk_rw(h->bd, BLK_READ, sec, buf, 4096))
			h->errors++;
		for (int j = 0; j < 4096; j++)
			if (buf[j] != (u8)(round + j + sec)) {
				h->errors++;
				break;
			}
	}
	kfree(buf);
	return 0;
}

static int hammer_test(struct block_device *bd)
{
	struct hammer h[2] = { { bd, 4096, 0 }, { bd, 8192, 0 } };
	struct thread *t[2];
	for (int i = 0; i < 2; i++)
		t[i] = kthread_create(hammer_fn, &h[i], "blkhammer", nr_cpus_online > 1 ? i : -1);
	for (int i = 0; i < 2; i++)
		if (t[i])
			kthread_join(t[i]);
	if (!t[0] || !t[1] || h[0].errors || h[1].errors) {
		pr_err("virtio_blk: concurrent I/O: %d + %d errors", h[0].errors, h[1].errors);
		return -EIO;
	}
	return 0;
}

static int virtio_blk_selftest(void)
{
	struct block_device *bd;
	u8 *sec;
	int tested = 0, fails = 0;

	block_init();
	if (!blkdev_get_nth(0)) {
		pr_info("virtio_blk: no disk attached; skipped");
		return 0;
	}
	sec = kmalloc(4096);
	if (!sec)
		return -ENOMEM;
	for (unsigned i = 0; (bd = blkdev_get_nth(i)) != NULL; i++) {
		int e = blk_rw(bd, BLK_READ, 0, sec, bd->block_size);
		if (e) {
			pr_err("virtio_blk: %s: reading sector 0 failed (%d)", bd->name, e);
			fails++;
			continue;
		}
		if (bd->read_only) {
			/* Refused before it reaches the device: safe on any disk. */
			if (blk_rw(bd, BLK_WRITE, 8, sec, bd->block_size) != -EROFS) {
				pr_err("virtio_blk: %s: write to a read-only disk not refused", bd->name);
				fails++;
			}
			continue;
		}
		if (memcmp(sec, SCRATCH_MAGIC, strlen(SCRATCH_MAGIC)) != 0) {
			pr_info("virtio_blk: %s is not a scratch disk: read-only checks only", bd->name);
			continue;
		}
		tested++;
		if (scratch_test(bd) < 0)
			fails++;
		if (bd->nr_sectors > 8192 + 256 && hammer_test(bd) < 0)
			fails++;
	}
	kfree(sec);
	if (!tested)
		pr_info("virtio_blk: no writable scratch disk; write tests skipped");
	return fails ? -EIO : 0;
}
SELFTEST(virtio_blk, virtio_blk_selftest);
