/* ext2 file data and attributes: read, write (allocating on demand,
 * holes read as zeros), truncate, setattr, symlink text, device numbers.
 *
 * Files larger than 2 GiB set RO_COMPAT_LARGE_FILE in the superblock on
 * first use (i_size_high holds the upper 32 bits of a regular file's
 * size); revision-0 file systems, which cannot carry the feature, are
 * limited to 2 GiB - 1 (-EFBIG beyond). Device numbers use Linux's
 * encoding: old 8:8 in i_block[0] when it fits, else the new 12:20 form in
 * i_block[1]. */
#include <skiff/errno.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include "ext2.h"

#define READAHEAD_BLOCKS 32

/* Queue reads for the mapped blocks of [lb, lb+n) at once (many requests
 * in flight instead of one block at a time). */
static void readahead(struct ext2_inode_info *ei, u64 lb, u64 n)
{
	u64 phys[READAHEAD_BLOCKS];
	unsigned k = 0;

	for (u64 i = 0; i < n && k < READAHEAD_BLOCKS; i++) {
		u32 pb;
		if (ext2_bmap(ei, lb + i, false, &pb, NULL))
			break;
		if (pb)
			phys[k++] = pb;
	}
	if (k > 1)
		bcache_readahead(ei->fs->bd, phys, k, ei->fs->block_size);
}

long ext2_read_locked(struct ext2_inode_info *ei, u64 off, void *buf, size_t len)
{
	struct ext2_fs *fs = ei->fs;
	u64 size = ext2_isize(ei);
	size_t done = 0;
	int err = 0;

	if (off >= size)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	/* Reads of the blocks this read covers go out READAHEAD_BLOCKS at a
	 * time, the next window queued while the first half of the current
	 * one is copied, so a large read keeps requests in flight to its end.
	 * A sequential read (from the start of the file, or where the last
	 * read ended) also queues half a window beyond: the reader comes back
	 * for it. A random one reads only what it asked for. */
	u64 first = off / fs->block_size, last_file = (size - 1) / fs->block_size;
	u64 end = (off + len - 1) / fs->block_size + 1;
	if (off == 0 || first == ei->ra_next || first + 1 == ei->ra_next)
		end += READAHEAD_BLOCKS / 2;
	end = MIN(end, last_file + 1);
	ei->ra_next = (off + len - 1) / fs->block_size + 1;
	u64 ra = first; /* next block to queue */
	while (done < len) {
		u64 pos = off + done;
		u32 boff = (u32)(pos % fs->block_size), pb;
		size_t n = MIN((size_t)(fs->block_size - boff), len - done);
		if (ra < end && pos / fs->block_size + READAHEAD_BLOCKS / 2 >= ra) {
			u64 k = MIN((u64)READAHEAD_BLOCKS, end - ra);
			readahead(ei, ra, k);
			ra += k;
		}
		err = ext2_bmap(ei, pos / fs->block_size, false, &pb, NULL);
		if (err)
			break;
		if (!pb) {
			memset((u8 *)buf + done, 0, n);
		} else {
			struct buffer_head *bh = bread(fs->bd, pb, fs->block_size, &err);
			if (!bh)
				break;
			memcpy((u8 *)buf + done, bh->data + boff, n);
			brelse(bh);
		}
		done += n;
	}
	return done ? (long)done : err;
}

long ext2_write_locked(struct ext2_inode_info *ei, u64 off, const void *buf, size_t len)
{
	struct ext2_fs *fs = ei->fs;
	u64 max = ext2_max_size(fs);
	size_t done = 0;
	int err = 0;

	if (fs->read_only)
		return -EROFS;
	if (!len)
		return 0;
	if (off >= max)
		return -EFBIG;
	if (len > max - off)
		len = (size_t)(max - off);
	while (done < len) {
		u64 pos = off + done;
		u32 boff = (u32)(pos % fs->block_size), pb;
		size_t n = MIN((size_t)(fs->block_size - boff), len - done);
		bool fresh;
		struct buffer_head *bh;
		err = ext2_bmap(ei, pos / fs->block_size, true, &pb, &fresh);
		if (err)
			break;
		if (n == fs->block_size || fresh) {
			bh = bget(fs->bd, pb, fs->block_size, &err);
			if (bh && n != fs->block_size)
				memset(bh->data, 0, fs->block_size);
		} else {
			bh = bread(fs->bd, pb, fs->block_size, &err);
		}
		if (!bh)
			break;
		memcpy(bh->data + boff, (const u8 *)buf + done, n);
		bh_mark_dirty(bh);
		brelse(bh);
		done += n;
	}
	if (done) {
		if (off + done > ext2_isize(ei))
			ext2_set_size(ei, off + done);
		ext2_touch(ei, true, true);
		int e = ext2_write_inode(ei);
		if (e)
			return e;
		return (long)done;
	}
	return err;
}

long ext2_read(struct ext2_inode_info *ei, u64 off, void *buf, size_t len)
{
	fs_mutex_lock(&ei->fs->lock);
	long r = EXT2_ISDIR(ei->raw.i_mode) ? -EISDIR : ext2_read_locked(ei, off, buf, len);
	fs_mutex_unlock(&ei->fs->lock);
	return r;
}

long ext2_write(struct ext2_inode_info *ei, u64 off, const void *buf, size_t len)
{
	fs_mutex_lock(&ei->fs->lock);
	long r = EXT2_ISREG(ei->raw.i_mode) ? ext2_write_locked(ei, off, buf, len)
		 : EXT2_ISDIR(ei->raw.i_mode) ? -EISDIR : -EINVAL;
	fs_mutex_unlock(&ei->fs->lock);
	return r;
}

static int truncate_locked(struct ext2_inode_info *ei, u64 size)
{
	struct ext2_fs *fs = ei->fs;
	u64 old = ext2_isize(ei);
	int err;

	if (fs->read_only)
		return -EROFS;
	if (EXT2_ISDIR(ei->raw.i_mode))
		return -EISDIR;
	if (!EXT2_ISREG(ei->raw.i_mode))
		return -EINVAL;
	if (size > ext2_max_size(fs))
		return -EFBIG;
	if (size < old) {
		u32 boff = (u32)(size % fs->block_size), pb;
		if (boff) {
			err = ext2_bmap(ei, size / fs->block_size, false, &pb, NULL);
			if (err)
				return err;
			if (pb) {
				struct buffer_head *bh = bread(fs->bd, pb, fs->block_size, &err);
				if (!bh)
					return err;
				memset(bh->data + boff, 0, fs->block_size - boff);
				bh_mark_dirty(bh);
				brelse(bh);
			}
		}
		ext2_set_size(ei, size);
		err = ext2_truncate_blocks(ei, size);
		if (err)
			return err;
	} else {
		ext2_set_size(ei, size);
	}
	ext2_touch(ei, true, true);
	return ext2_write_inode(ei);
}

int ext2_truncate(struct ext2_inode_info *ei, u64 size)
{
	fs_mutex_lock(&ei->fs->lock);
	int err = truncate_locked(ei, size);
	fs_mutex_unlock(&ei->fs->lock);
	return err;
}

int ext2_setattr(struct ext2_inode_info *ei, const struct ext2_attr *a)
{
	struct ext2_fs *fs = ei->fs;
	int err;

	fs_mutex_lock(&fs->lock);
	if (fs->read_only) {
		err = -EROFS;
		goto out;
	}
	if (a->mask & EXT2_ATTR_MODE)
		ei->raw.i_mode = (u16)((ei->raw.i_mode & EXT2_S_IFMT) | (a->mode & 07777));
	if (a->mask & EXT2_ATTR_UID) {
		ei->raw.i_uid = (u16)a->uid;
		ei->raw.i_uid_high = (u16)(a->uid >> 16);
	}
	if (a->mask & EXT2_ATTR_GID) {
		ei->raw.i_gid = (u16)a->gid;
		ei->raw.i_gid_high = (u16)(a->gid >> 16);
	}
	if (a->mask & EXT2_ATTR_ATIME)
		ei->raw.i_atime = (u32)a->atime;
	if (a->mask & EXT2_ATTR_MTIME)
		ei->raw.i_mtime = (u32)a->mtime;
	ei->raw.i_ctime = (a->mask & EXT2_ATTR_CTIME) ? (u32)a->ctime : ext2_now();
	err = ext2_write_inode(ei);
out:
	fs_mutex_unlock(&fs->lock);
	return err;
}

int ext2_readlink(struct ext2_inode_info *ei, char *buf, size_t size)
{
	struct ext2_fs *fs = ei->fs;
	u64 len = ext2_isize(ei);
	u32 ea = ei->raw.i_file_acl ? fs->block_size / 512 : 0;
	int err = 0;

	if (!EXT2_ISLNK(ei->raw.i_mode))
		return -EINVAL;
	if (!size)
		return -EINVAL;
	fs_mutex_lock(&fs->lock);
	if (ei->raw.i_blocks - ea == 0) {
		if (len >= sizeof(ei->raw.i_block)) {
			ext2_err(fs, "inode %u: fast symlink of length %llu", ei->ino, (unsigned long long)len);
			err = -EIO;
			goto out;
		}
		len = MIN(len, (u64)size - 1);
		memcpy(buf, ei->raw.i_block, (size_t)len);
	} else {
		if (len == 0 || len >= fs->block_size) {
			ext2_err(fs, "inode %u: symlink of length %llu", ei->ino, (unsigned long long)len);
			err = -EIO;
			goto out;
		}
		len = MIN(len, (u64)size - 1);
		long r = ext2_read_locked(ei, 0, buf, (size_t)len);
		if (r < 0) {
			err = (int)r;
			goto out;
		}
		len = (u64)r;
	}
	buf[len] = 0;
	err = (int)len;
out:
	fs_mutex_unlock(&fs->lock);
	return err;
}

u64 ext2_rdev(const struct ext2_inode_info *ei)
{
	u32 major, minor;
	if (ei->raw.i_block[0]) {
		major = (ei->raw.i_block[0] >> 8) & 0xff;
		minor = ei->raw.i_block[0] & 0xff;
	} else {
		u32 x = ei->raw.i_block[1];
		major = (x & 0xfff00) >> 8;
		minor = (x & 0xff) | ((x >> 12) & 0xfff00);
	}
	return ((u64)(major & 0xfff) << 8) | (minor & 0xff) | ((u64)(minor & ~0xffu) << 12) |
	       ((u64)(major & ~0xfffu) << 32);
}

/* Store a user dev_t in a device inode's i_block (namei.c). */
void ext2_set_rdev(struct ext2_inode_info *ei, u64 dev)
{
	u32 major = (u32)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull));
	u32 minor = (u32)((dev & 0xff) | ((dev >> 12) & ~0xffull));
	if (major < 256 && minor < 256) {
		ei->raw.i_block[0] = (major << 8) | minor;
		ei->raw.i_block[1] = 0;
	} else {
		ei->raw.i_block[0] = 0;
		ei->raw.i_block[1] = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
	}
}
