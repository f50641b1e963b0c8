/* Block devices and the buffer cache (drivers/block/).
 *
 * A driver fills a struct block_device and calls blkdev_register(), which
 * names it (vda, vdb, ... in registration order). I/O is a struct
 * blk_request submitted asynchronously; its end_io runs when the device
 * completes it (interrupt context). blk_rw()/blk_flush() wrap that in a
 * sleep.
 *
 * The buffer cache holds file-system blocks of one size per device,
 * written back by a kernel thread every 5 s (blk.flush_interval_ms) and by
 * the sync functions, which end with a device cache FLUSH so that what
 * they return 0 for is on stable storage. */
#ifndef SKIFF_BLKDEV_H
#define SKIFF_BLKDEV_H

#include <skiff/list.h>
#include <skiff/spinlock.h>

#define SECTOR_SIZE 512

enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH };

/* One piece of a scattered transfer (kernel memory, physically
 * contiguous, a multiple of 512 bytes). */
struct blk_seg {
	void *buf;
	u32 len;
};

struct blk_request {
	enum blk_op op;
	u64 sector;            /* 512-byte units */
	void *buf;             /* kernel memory, physically contiguous (nsegs == 0) */
	u32 len;               /* bytes, multiple of the device's block size */
	struct blk_seg *segs;  /* or: the data in nsegs pieces, in order, */
	unsigned nsegs;        /* summing to len (at most bd->max_segs) */
	int status;            /* 0 or -EIO, valid once done */
	bool done;             /* [a] set (release) after status */
	void (*end_io)(struct blk_request *rq); /* any context; may be NULL */
	void *priv;
};

struct block_device;
struct blkdev_ops {
	/* Queue rq; 0 or -errno (then end_io is not called). May sleep for
	 * ring space. */
	int (*submit)(struct block_device *bd, struct blk_request *rq);
};

/* Legend: [I] immutable after registration. */
struct block_device {
	char name[16];                   /* [I] "vda" */
	u64 nr_sectors;                  /* [I] capacity, 512-byte units */
	u32 block_size;                  /* [I] logical block size (512, 4096) */
	bool read_only;                  /* [I] */
	bool has_flush;                  /* [I] volatile write cache to flush */
	u32 max_segs;                    /* [I] data pieces per request (>= 1) */
	u32 major, minor;                /* [I] */
	const struct blkdev_ops *ops;    /* [I] */
	void *priv;                      /* [I] driver */
	struct list_head link;           /* [I] */
	int wb_error;                    /* [bc] write-back error not yet reported */
	void *holder;                    /* [a] file system using it (exclusive), or NULL */
};

/* Register bd under the next name with prefix ("vd" -> vda, vdb...).
 * Returns 0 or -ENOSPC. */
int blkdev_register(struct block_device *bd, const char *prefix);
/* By name: "vda" or "/dev/vda"; NULL if none. */
struct block_device *blkdev_find(const char *name);
/* The i-th registered device, or NULL. */
struct block_device *blkdev_get_nth(unsigned i);

/* Submit asynchronously. Checks range, alignment and read-only: -EINVAL,
 * -EROFS, or the driver's result. */
int blk_submit(struct block_device *bd, struct blk_request *rq);
/* Synchronous I/O of len bytes at byte offset sector*512: 0 or -EIO... */
int blk_rw(struct block_device *bd, enum blk_op op, u64 sector, void *buf, u32 len);
/* Device cache flush (0 when the device has no volatile cache). */
int blk_flush(struct block_device *bd);
/* Sleep until rq->done. */
void blk_wait(struct blk_request *rq);

/* ---- buffer cache ---- */
#define BH_UPTODATE 1u
#define BH_DIRTY    2u
#define BH_LOCKED   4u   /* I/O in flight */
#define BH_ERROR    8u   /* last I/O failed */

/* Legend: [bc] the cache lock; data is owned by whoever holds a reference
 * and serialises its own updates (the file system's lock). */
struct buffer_head {
	struct block_device *bdev;   /* [I] */
	u64 block;                   /* [I] in units of size */
	u32 size;                    /* [I] */
	u32 flags;                   /* [bc] BH_* */
	s32 refcount;                /* [bc] */
	u8 *data;                    /* [I] */
	u64 dirtied_ns;              /* [bc] when it became dirty */
	struct list_head hash;       /* [bc] */
	struct list_head lru;        /* [bc] */
	struct blk_request rq;       /* [bc] the one I/O in flight */
};

/* Referenced buffer holding block `block` of size bytes, read from the
 * device if needed. NULL with *err = -EIO / -ENOMEM / -EINVAL (beyond the
 * device). */
struct buffer_head *bread(struct block_device *bd, u64 block, u32 size, int *err);
/* Same, without reading: the caller overwrites all of it (zeroed if new). */
struct buffer_head *bget(struct block_device *bd, u64 block, u32 size, int *err);
void brelse(struct buffer_head *bh);
/* Start reading blocks[0..n) into the cache without waiting. */
void bcache_readahead(struct block_device *bd, const u64 *blocks, unsigned n, u32 size);
void bh_mark_dirty(struct buffer_head *bh);
/* Write one buffer now and wait: 0 or -EIO. */
int bh_sync(struct buffer_head *bh);
/* Write every dirty buffer of bd, wait, then FLUSH the device cache.
 * Returns 0, or -EIO when a write or the flush failed (also reporting an
 * earlier failed background write-back once). */
int bdev_sync(struct block_device *bd);
/* bdev_sync for every device (sync(2), reboot). */
int blk_sync_all(void);
/* Drop every clean unreferenced buffer of bd (after unmount). */
void bdev_drop_buffers(struct block_device *bd);
/* Number of dirty buffers (tests). */
unsigned bcache_dirty_count(void);
/* Tests: cache limit in buffers (0 = the default, a quarter of RAM). */
void bcache_set_limit(unsigned buffers);

/* Devices: PCI/virtio scan (idempotent), then the flusher thread. */
void block_init(void);

#endif
