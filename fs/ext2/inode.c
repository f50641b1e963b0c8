/* ext2 inodes: the in-core inode cache, reading and writing the inode
 * table (ext2-doc 3.5, 4.1), block mapping through direct, indirect,
 * double- and triple-indirect blocks (4.1 i_block), truncation and
 * deletion.
 *
 * In-core inodes live while referenced; an inode whose link count drops
 * to 0 is deleted (blocks, extended-attribute block reference, bitmap
 * bit) when its last reference goes, so an unlinked open file keeps its
 * data until closed. Only the first 128 bytes of a disk inode are kept in
 * core; larger inodes' extra bytes are preserved untouched on write. */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include "ext2.h"

static bool type_ok(u16 mode)
{
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG: case EXT2_S_IFDIR: case EXT2_S_IFLNK: case EXT2_S_IFCHR:
	case EXT2_S_IFBLK: case EXT2_S_IFIFO: case EXT2_S_IFSOCK:
		return true;
	}
	return false;
}

static bool fast_symlink(const struct ext2_inode_info *ei)
{
	u32 ea = ei->raw.i_file_acl ? ei->fs->block_size / 512 : 0;
	return EXT2_ISLNK(ei->raw.i_mode) && ei->raw.i_blocks - ea == 0;
}

/* Does i_block hold block pointers? */
static bool has_blocks(const struct ext2_inode_info *ei)
{
	u16 m = ei->raw.i_mode;
	return EXT2_ISREG(m) || EXT2_ISDIR(m) || (EXT2_ISLNK(m) && !fast_symlink(ei));
}

/* The inode table block and offset of ino. */
static int locate(struct ext2_fs *fs, u32 ino, u32 *block, u32 *off)
{
	if (ino < 1 || ino > fs->sb.s_inodes_count)
		return -EIO;
	u32 g = (ino - 1) / fs->inodes_per_group, idx = (ino - 1) % fs->inodes_per_group;
	struct ext2_group_desc *gd = ext2_gd(fs, g, NULL);
	u64 byte = (u64)idx * fs->inode_size;
	*block = gd->bg_inode_table + (u32)(byte / fs->block_size);
	*off = (u32)(byte % fs->block_size);
	return 0;
}

struct ext2_inode_info *ext2_iget_locked(struct ext2_fs *fs, u32 ino, int *err)
{
	struct ext2_inode_info *ei;
	u32 block, off;

	list_for_each_entry(ei, &fs->inodes, link)
		if (ei->ino == ino) {
			ei->refcount++;
			return ei;
		}
	if (locate(fs, ino, &block, &off) < 0) {
		ext2_err(fs, "inode number %u out of range", ino);
		*err = -EIO;
		return NULL;
	}
	struct buffer_head *bh = bread(fs->bd, block, fs->block_size, err);
	if (!bh)
		return NULL;
	ei = kzalloc(sizeof(*ei));
	if (!ei) {
		brelse(bh);
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(&ei->raw, bh->data + off, sizeof(ei->raw));
	brelse(bh);
	ei->fs = fs;
	ei->ino = ino;
	ei->refcount = 1;
	if (!type_ok(ei->raw.i_mode) || ei->raw.i_links_count == 0 ||
	    (ei->raw.i_flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL))) {
		ext2_err(fs, "inode %u is free, of unknown type (mode %#o) or has ext4-only flags %#x",
			 ino, ei->raw.i_mode, ei->raw.i_flags);
		kfree(ei);
		*err = -EIO;
		return NULL;
	}
	list_add(&ei->link, &fs->inodes);
	fs->ninodes++;
	return ei;
}

int ext2_write_inode(struct ext2_inode_info *ei)
{
	struct ext2_fs *fs = ei->fs;
	u32 block, off;
	int err;

	if (fs->read_only)
		return -EROFS;
	if (locate(fs, ei->ino, &block, &off) < 0)
		return -EIO;
	struct buffer_head *bh = bread(fs->bd, block, fs->block_size, &err);
	if (!bh)
		return err;
	memcpy(bh->data + off, &ei->raw, sizeof(ei->raw));
	bh_mark_dirty(bh);
	brelse(bh);
	return 0;
}

void ext2_touch(struct ext2_inode_info *ei, bool m, bool c)
{
	u32 now = ext2_now();
	if (m)
		ei->raw.i_mtime = now;
	if (c)
		ei->raw.i_ctime = now;
}

struct ext2_inode_info *ext2_new_inode(struct ext2_fs *fs, u32 dir_ino, u32 mode, u32 uid, u32 gid,
				       int *err)
{
	u32 ino, block, off;

	*err = ext2_alloc_ino(fs, dir_ino, EXT2_ISDIR(mode), &ino);
	if (*err)
		return NULL;
	if (locate(fs, ino, &block, &off) < 0) {
		*err = -EIO;
		return NULL;
	}
	struct buffer_head *bh = bread(fs->bd, block, fs->block_size, err);
	struct ext2_inode_info *ei = bh ? kzalloc(sizeof(*ei)) : NULL;
	if (!ei) {
		if (bh) {
			brelse(bh);
			*err = -ENOMEM;
		}
		ext2_free_ino(fs, ino, EXT2_ISDIR(mode));
		return NULL;
	}
	memset(bh->data + off, 0, fs->inode_size);
	if (fs->inode_size >= EXT2_GOOD_OLD_INODE_SIZE + sizeof(struct ext2_inode_large_tail)) {
		struct ext2_inode_large_tail *t = (void *)(bh->data + off + EXT2_GOOD_OLD_INODE_SIZE);
		t->i_extra_isize = sizeof(*t);
		t->i_crtime = ext2_now();
	}
	bh_mark_dirty(bh);
	brelse(bh);
	ei->fs = fs;
	ei->ino = ino;
	ei->refcount = 1;
	ei->raw.i_mode = (u16)mode;
	ei->raw.i_uid = (u16)uid;
	ei->raw.i_uid_high = (u16)(uid >> 16);
	ei->raw.i_gid = (u16)gid;
	ei->raw.i_gid_high = (u16)(gid >> 16);
	ei->raw.i_atime = ei->raw.i_mtime = ei->raw.i_ctime = ext2_now();
	ei->raw.i_generation = ++fs->next_generation;
	list_add(&ei->link, &fs->inodes);
	fs->ninodes++;
	*err = 0;
	return ei;
}

u64 ext2_max_size(struct ext2_fs *fs)
{
	u64 p = fs->addr_per_block;
	u64 blocks = EXT2_NDIR_BLOCKS + p + p * p + p * p * p;
	u64 by_blocks = blocks * fs->block_size;
	/* i_blocks counts 512-byte sectors in 32 bits, metadata included. */
	u64 by_iblocks = ((1ull << 32) - 1) * 512 - 4ull * p * fs->block_size;
	u64 m = MIN(by_blocks, by_iblocks);
	if (fs->sb.s_rev_level == EXT2_GOOD_OLD_REV)
		m = MIN(m, 0x7fffffffull);
	return m;
}

void ext2_set_size(struct ext2_inode_info *ei, u64 size)
{
	struct ext2_fs *fs = ei->fs;
	ei->raw.i_size = (u32)size;
	if (EXT2_ISREG(ei->raw.i_mode)) {
		ei->raw.i_size_high = (u32)(size >> 32);
		if (size > 0x7fffffffull && !(fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE)) {
			fs->sb.s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
			ext2_sb_dirty(fs);
		}
	}
}

static int add_iblocks(struct ext2_inode_info *ei, int sign)
{
	u32 n = ei->fs->block_size / 512;
	if (sign > 0) {
		if (ei->raw.i_blocks > 0xffffffffu - n)
			return -EFBIG;
		ei->raw.i_blocks += n;
	} else {
		ei->raw.i_blocks = ei->raw.i_blocks >= n ? ei->raw.i_blocks - n : 0;
	}
	return 0;
}

/* Allocate a block for ei near goal; zero it when it will hold pointers. */
static int alloc_for(struct ext2_inode_info *ei, u32 goal, bool zero, u32 *out)
{
	struct ext2_fs *fs = ei->fs;
	int err;

	if (ei->raw.i_blocks > 0xffffffffu - fs->block_size / 512)
		return -EFBIG;
	if (!goal) {
		u32 g = (ei->ino - 1) / fs->inodes_per_group;
		goal = fs->first_data_block + g * fs->blocks_per_group;
	}
	err = ext2_alloc_block(fs, goal, out);
	if (err)
		return err;
	add_iblocks(ei, 1);
	if (zero) {
		struct buffer_head *bh = bget(fs->bd, *out, fs->block_size, &err);
		if (!bh)
			return err;
		memset(bh->data, 0, fs->block_size);
		bh_mark_dirty(bh);
		brelse(bh);
	}
	return 0;
}

int ext2_bmap(struct ext2_inode_info *ei, u64 lb, bool create, u32 *pb, bool *fresh)
{
	struct ext2_fs *fs = ei->fs;
	u64 p = fs->addr_per_block;
	u32 off[4];
	int depth, err = 0;
	bool dirty_inode = false;

	if (fresh)
		*fresh = false;
	*pb = 0;
	if (lb < EXT2_NDIR_BLOCKS) {
		depth = 0;
		off[0] = (u32)lb;
	} else if ((lb -= EXT2_NDIR_BLOCKS) < p) {
		depth = 1;
		off[0] = EXT2_IND_BLOCK;
		off[1] = (u32)lb;
	} else if ((lb -= p) < p * p) {
		depth = 2;
		off[0] = EXT2_DIND_BLOCK;
		off[1] = (u32)(lb / p);
		off[2] = (u32)(lb % p);
	} else if ((lb -= p * p) < p * p * p) {
		depth = 3;
		off[0] = EXT2_TIND_BLOCK;
		off[1] = (u32)(lb / (p * p));
		off[2] = (u32)((lb / p) % p);
		off[3] = (u32)(lb % p);
	} else {
		return -EFBIG;
	}
	u32 cur = ei->raw.i_block[off[0]];
	if (!cur) {
		if (!create)
			return 0;
		err = alloc_for(ei, 0, depth > 0, &cur);
		if (err)
			return err;
		ei->raw.i_block[off[0]] = cur;
		dirty_inode = true;
		if (fresh && depth == 0)
			*fresh = true;
	} else if (!ext2_block_ok(fs, cur)) {
		ext2_err(fs, "inode %u: block pointer %u out of range", ei->ino, cur);
		return -EIO;
	}
	for (int level = 1; level <= depth; level++) {
		struct buffer_head *bh = bread(fs->bd, cur, fs->block_size, &err);
		if (!bh)
			goto out;
		u32 *slot = (u32 *)bh->data + off[level];
		u32 next = *slot;
		if (!next) {
			if (!create) {
				brelse(bh);
				goto out;
			}
			err = alloc_for(ei, cur, level < depth, &next);
			if (err) {
				brelse(bh);
				goto out;
			}
			*slot = next;
			bh_mark_dirty(bh);
			dirty_inode = true;
			if (fresh && level == depth)
				*fresh = true;
		} else if (!ext2_block_ok(fs, next)) {
			ext2_err(fs, "inode %u: block pointer %u (in indirect block %u) out of range",
				 ei->ino, next, cur);
			brelse(bh);
			err = -EIO;
			goto out;
		}
		brelse(bh);
		cur = next;
	}
	*pb = cur;
out:
	if (dirty_inode) {
		int e = ext2_write_inode(ei);
		if (!err)
			err = e;
	}
	return err;
}

/* Free the subtree at *slot (level 0: a data block) from logical offset
 * `start` (relative to the subtree) on. */
static void free_tree(struct ext2_inode_info *ei, u32 *slot, int level, u64 start)
{
	struct ext2_fs *fs = ei->fs;
	u32 b = *slot;
	int err;

	if (!b)
		return;
	if (!ext2_block_ok(fs, b)) {
		ext2_err(fs, "inode %u: dropping bad block pointer %u", ei->ino, b);
		*slot = 0;
		return;
	}
	if (level > 0) {
		u64 span = 1;
		for (int i = 1; i < level; i++)
			span *= fs->addr_per_block;
		struct buffer_head *bh = bread(fs->bd, b, fs->block_size, &err);
		if (!bh)
			return;
		u32 *a = (u32 *)bh->data;
		u64 first = start / span;
		for (u64 i = first; i < fs->addr_per_block; i++) {
			if (!a[i])
				continue;
			free_tree(ei, &a[i], level - 1, i == first ? start % span : 0);
			bh_mark_dirty(bh);
		}
		brelse(bh);
		if (start)
			return;
	}
	ext2_free_block(fs, b);
	add_iblocks(ei, -1);
	*slot = 0;
}

int ext2_truncate_blocks(struct ext2_inode_info *ei, u64 size)
{
	struct ext2_fs *fs = ei->fs;
	u64 p = fs->addr_per_block;
	u64 first = DIV_ROUND_UP(size, fs->block_size);

	if (!has_blocks(ei))
		return 0;
	for (u64 i = first; i < EXT2_NDIR_BLOCKS; i++)
		free_tree(ei, &ei->raw.i_block[i], 0, 0);
	u64 base = EXT2_NDIR_BLOCKS, span = p;
	for (int level = 1; level <= 3; level++) {
		if (first < base + span)
			free_tree(ei, &ei->raw.i_block[EXT2_IND_BLOCK + level - 1], level,
				  first > base ? first - base : 0);
		base += span;
		span *= p;
	}
	return ext2_write_inode(ei);
}

static void drop_xattr_block(struct ext2_inode_info *ei)
{
	struct ext2_fs *fs = ei->fs;
	u32 b = ei->raw.i_file_acl;
	int err;

	ei->raw.i_file_acl = 0;
	if (!ext2_block_ok(fs, b)) {
		ext2_err(fs, "inode %u: bad extended attribute block %u", ei->ino, b);
		return;
	}
	struct buffer_head *bh = bread(fs->bd, b, fs->block_size, &err);
	if (!bh)
		return;
	struct ext2_xattr_header *h = (void *)bh->data;
	if (h->h_magic != EXT2_XATTR_MAGIC) {
		ext2_err(fs, "inode %u: extended attribute block %u has bad magic", ei->ino, b);
		brelse(bh);
		return;
	}
	add_iblocks(ei, -1);
	if (h->h_refcount > 1) {
		h->h_refcount--;
		bh_mark_dirty(bh);
		brelse(bh);
		return;
	}
	brelse(bh);
	ext2_free_block(fs, b);
}

static void delete_inode(struct ext2_inode_info *ei)
{
	struct ext2_fs *fs = ei->fs;

	if (fs->read_only)
		return;
	ext2_truncate_blocks(ei, 0);
	if (ei->raw.i_file_acl)
		drop_xattr_block(ei);
	ei->raw.i_dtime = ext2_now();
	ei->raw.i_size = 0;
	ei->raw.i_size_high = 0;
	ext2_write_inode(ei);
	ext2_free_ino(fs, ei->ino, EXT2_ISDIR(ei->raw.i_mode));
}

void ext2_iput_locked(struct ext2_inode_info *ei)
{
	if (!ei)
		return;
	if (--ei->refcount > 0)
		return;
	if (ei->raw.i_links_count == 0)
		delete_inode(ei);
	list_del(&ei->link);
	ei->fs->ninodes--;
	kfree(ei);
}

struct ext2_inode_info *ext2_iget(struct ext2_fs *fs, u32 ino, int *err)
{
	fs_mutex_lock(&fs->lock);
	struct ext2_inode_info *ei = ext2_iget_locked(fs, ino, err);
	fs_mutex_unlock(&fs->lock);
	return ei;
}

void ext2_iput(struct ext2_inode_info *ei)
{
	if (!ei)
		return;
	struct ext2_fs *fs = ei->fs;
	fs_mutex_lock(&fs->lock);
	ext2_iput_locked(ei);
	fs_mutex_unlock(&fs->lock);
}
