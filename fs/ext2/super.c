/* ext2 mount, superblock and group descriptors, sync, statfs.
 *
 * Host contract: images from `mke2fs -t ext2 [-d dir]` (e2fsprogs 1.47),
 * checked afterwards with `e2fsck -fn`. Layout reference: "The Second
 * Extended File System" (nongnu.org/ext2-doc) sections 3.1 (superblock),
 * 3.2 (block group descriptor table), 4 (directories, with the feature
 * rules of 3.1 s_feature_*). See ext2.h for the feature policy.
 *
 * On a read-write mount the superblock's VALID_FS state bit is cleared
 * (as Linux does) and set again by ext2_unmount(), so an image whose VM
 * died without unmounting is checked by e2fsck at its next use. */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include "ext2.h"

#define KNOWN_INCOMPAT (EXT2_FEATURE_INCOMPAT_FILETYPE)
#define KNOWN_RO_COMPAT (EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE)

u32 ext2_now(void)
{
	return (u32)(clock_realtime_ns() / NSEC_PER_SEC);
}

static bool is_power_of(u32 n, u32 b)
{
	while (n > 1 && n % b == 0)
		n /= b;
	return n == 1;
}

static bool group_has_super(struct ext2_fs *fs, u32 g)
{
	if (!(fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER))
		return true;
	return g <= 1 || is_power_of(g, 3) || is_power_of(g, 5) || is_power_of(g, 7);
}

struct ext2_group_desc *ext2_gd(struct ext2_fs *fs, u32 group, struct buffer_head **bh)
{
	u32 per = fs->block_size / sizeof(struct ext2_group_desc);
	struct buffer_head *b = fs->gd_bh[group / per];
	if (bh)
		*bh = b;
	return (struct ext2_group_desc *)b->data + group % per;
}

void ext2_gd_dirty(struct ext2_fs *fs, u32 group)
{
	struct buffer_head *bh;
	ext2_gd(fs, group, &bh);
	bh_mark_dirty(bh);
}

void ext2_sb_dirty(struct ext2_fs *fs)
{
	fs->sb.s_wtime = ext2_now();
	memcpy(fs->sb_bh->data + fs->sb_off, &fs->sb, sizeof(fs->sb));
	bh_mark_dirty(fs->sb_bh);
}

bool ext2_block_ok(struct ext2_fs *fs, u32 b)
{
	if (b < fs->first_data_block || b >= fs->sb.s_blocks_count)
		return false;
	u32 g = (b - fs->first_data_block) / fs->blocks_per_group;
	u32 base = fs->first_data_block + g * fs->blocks_per_group;
	struct ext2_group_desc *gd = ext2_gd(fs, g, NULL);
	if (b == gd->bg_block_bitmap || b == gd->bg_inode_bitmap)
		return false;
	if (b >= gd->bg_inode_table && b - gd->bg_inode_table < fs->itable_blocks)
		return false;
	if (group_has_super(fs, g)) {
		u32 meta = 1 + fs->gdt_blocks;
		if (fs->sb.s_feature_compat & EXT2_FEATURE_COMPAT_RESIZE_INODE)
			meta += fs->sb.s_reserved_gdt_blocks;
		if (b - base < meta)
			return false;
	}
	return true;
}

static void list_features(char *buf, size_t n, u32 bits)
{
	static const struct { u32 bit; const char *name; } names[] = {
		{ EXT2_FEATURE_INCOMPAT_COMPRESSION, "compression" },
		{ EXT3_FEATURE_INCOMPAT_RECOVER, "needs_recovery" },
		{ EXT3_FEATURE_INCOMPAT_JOURNAL_DEV, "journal_dev" },
		{ EXT2_FEATURE_INCOMPAT_META_BG, "meta_bg" },
		{ EXT4_FEATURE_INCOMPAT_EXTENTS, "extent" },
		{ EXT4_FEATURE_INCOMPAT_64BIT, "64bit" },
		{ EXT4_FEATURE_INCOMPAT_MMP, "mmp" },
		{ EXT4_FEATURE_INCOMPAT_FLEX_BG, "flex_bg" },
		{ EXT4_FEATURE_INCOMPAT_INLINE_DATA, "inline_data" },
	};
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (bits & names[i].bit) {
			used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? "," : "", names[i].name);
			bits &= ~names[i].bit;
			if (used >= n)
				return;
		}
	if (bits)
		snprintf(buf + used, n - used, "%s%#x", used ? "," : "", bits);
}

/* Geometry checks on the raw superblock. Returns 0 or -EINVAL (logged). */
static int check_super(struct ext2_fs *fs, u64 dev_bytes)
{
	struct ext2_super_block *s = &fs->sb;
	const char *name = fs->bd->name;

	if (s->s_magic != EXT2_SUPER_MAGIC) {
		pr_info("ext2 (%s): no ext2 superblock (magic %#x)", name, s->s_magic);
		return -EINVAL;
	}
	if (s->s_log_block_size > EXT2_MAX_BLOCK_LOG - EXT2_MIN_BLOCK_LOG) {
		pr_err("ext2 (%s): corrupt superblock: block size 2^%u KiB", name, s->s_log_block_size);
		return -EINVAL;
	}
	fs->block_size = 1024u << s->s_log_block_size;
	fs->addr_per_block = fs->block_size / 4;
	if (fs->block_size < fs->bd->block_size) {
		pr_err("ext2 (%s): block size %u below the device's %u", name, fs->block_size,
		       fs->bd->block_size);
		return -EINVAL;
	}
	if (s->s_rev_level == EXT2_GOOD_OLD_REV) {
		fs->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
		fs->first_ino = EXT2_GOOD_OLD_FIRST_INO;
	} else {
		fs->inode_size = s->s_inode_size;
		fs->first_ino = s->s_first_ino;
	}
	fs->blocks_per_group = s->s_blocks_per_group;
	fs->inodes_per_group = s->s_inodes_per_group;
	fs->first_data_block = s->s_first_data_block;
	if (fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE || fs->inode_size > fs->block_size ||
	    (fs->inode_size & (fs->inode_size - 1)) || !fs->blocks_per_group ||
	    fs->blocks_per_group > 8 * fs->block_size || !fs->inodes_per_group ||
	    fs->inodes_per_group > 8 * fs->block_size ||
	    fs->first_data_block != (fs->block_size == 1024 ? 1u : 0u) ||
	    s->s_blocks_count <= fs->first_data_block + 1 || fs->first_ino < EXT2_GOOD_OLD_FIRST_INO ||
	    fs->first_ino >= s->s_inodes_count) {
		pr_err("ext2 (%s): corrupt superblock (block size %u, inode size %u, %u blocks/group, "
		       "%u inodes/group, first data block %u, first inode %u)",
		       name, fs->block_size, fs->inode_size, fs->blocks_per_group, fs->inodes_per_group,
		       fs->first_data_block, fs->first_ino);
		return -EINVAL;
	}
	fs->groups = (u32)DIV_ROUND_UP((u64)s->s_blocks_count - fs->first_data_block, fs->blocks_per_group);
	if ((u64)fs->groups * fs->inodes_per_group != s->s_inodes_count) {
		pr_err("ext2 (%s): corrupt superblock: %u groups of %u inodes but %u inodes", name,
		       fs->groups, fs->inodes_per_group, s->s_inodes_count);
		return -EINVAL;
	}
	fs->itable_blocks = (u32)DIV_ROUND_UP((u64)fs->inodes_per_group * fs->inode_size, fs->block_size);
	fs->gdt_blocks = (u32)DIV_ROUND_UP((u64)fs->groups * sizeof(struct ext2_group_desc), fs->block_size);
	if ((u64)s->s_blocks_count * fs->block_size > dev_bytes) {
		pr_err("ext2 (%s): file system has %u blocks of %u bytes but the device only %llu bytes",
		       name, s->s_blocks_count, fs->block_size, (unsigned long long)dev_bytes);
		return -EINVAL;
	}
	return 0;
}

static int check_features(struct ext2_fs *fs, bool *ro)
{
	struct ext2_super_block *s = &fs->sb;
	char names[128];

	if (s->s_rev_level == EXT2_GOOD_OLD_REV)
		return 0; /* feature fields are not defined */
	if (s->s_rev_level > EXT2_DYNAMIC_REV && !*ro) {
		pr_warn("ext2 (%s): revision %u is newer than 1: mounting read-only", fs->bd->name,
			s->s_rev_level);
		*ro = true;
	}
	u32 inc = s->s_feature_incompat & ~KNOWN_INCOMPAT;
	if (inc) {
		list_features(names, sizeof(names), inc);
		if (inc & EXT4_FEATURE_INCOMPAT_EXTENTS)
			pr_err("ext2 (%s): this is an ext4 file system (features %s); Skiff reads only "
			       "ext2: refusing to mount (make it with mke2fs -t ext2)",
			       fs->bd->name, names);
		else
			pr_err("ext2 (%s): unsupported incompatible features %s: refusing to mount",
			       fs->bd->name, names);
		return -EINVAL;
	}
	u32 roc = s->s_feature_ro_compat & ~KNOWN_RO_COMPAT;
	if (roc && !*ro) {
		pr_warn("ext2 (%s): unsupported read-only-compatible features %#x: mounting read-only",
			fs->bd->name, roc);
		*ro = true;
	}
	fs->filetype = s->s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
	return 0;
}

static int load_groups(struct ext2_fs *fs)
{
	int err = 0;
	u32 fb = 0, fi = 0;

	fs->gd_bh = kzalloc(fs->gdt_blocks * sizeof(*fs->gd_bh));
	if (!fs->gd_bh)
		return -ENOMEM;
	for (u32 i = 0; i < fs->gdt_blocks; i++) {
		fs->gd_bh[i] = bread(fs->bd, fs->first_data_block + 1 + i, fs->block_size, &err);
		if (!fs->gd_bh[i])
			return err;
	}
	for (u32 g = 0; g < fs->groups; g++) {
		struct ext2_group_desc *gd = ext2_gd(fs, g, NULL);
		u32 nb = fs->sb.s_blocks_count;
		if (gd->bg_block_bitmap < fs->first_data_block || gd->bg_block_bitmap >= nb ||
		    gd->bg_inode_bitmap < fs->first_data_block || gd->bg_inode_bitmap >= nb ||
		    gd->bg_inode_table < fs->first_data_block ||
		    (u64)gd->bg_inode_table + fs->itable_blocks > nb ||
		    gd->bg_free_blocks_count > fs->blocks_per_group ||
		    gd->bg_free_inodes_count > fs->inodes_per_group) {
			pr_err("ext2 (%s): corrupt group descriptor %u (bitmaps %u/%u, inode table %u)",
			       fs->bd->name, g, gd->bg_block_bitmap, gd->bg_inode_bitmap, gd->bg_inode_table);
			return -EINVAL;
		}
		fb += gd->bg_free_blocks_count;
		fi += gd->bg_free_inodes_count;
	}
	/* As Linux does: the descriptors' counts are the truth. */
	fs->sb.s_free_blocks_count = fb;
	fs->sb.s_free_inodes_count = fi;
	return 0;
}

static void release(struct ext2_fs *fs)
{
	if (fs->gd_bh)
		for (u32 i = 0; i < fs->gdt_blocks; i++)
			brelse(fs->gd_bh[i]);
	kfree(fs->gd_bh);
	brelse(fs->sb_bh);
	bdev_drop_buffers(fs->bd);
	__atomic_store_n(&fs->bd->holder, NULL, __ATOMIC_RELEASE);
	kfree(fs);
}

int ext2_mount(struct block_device *bd, bool read_only, struct ext2_fs **out)
{
	struct ext2_fs *fs = kzalloc(sizeof(*fs));
	u8 *buf = kmalloc(4096);
	u64 dev_bytes = bd->nr_sectors * SECTOR_SIZE;
	int err;

	if (!fs || !buf) {
		kfree(fs);
		kfree(buf);
		return -ENOMEM;
	}
	void *none = NULL;
	if (!__atomic_compare_exchange_n(&bd->holder, &none, fs, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		pr_err("ext2 (%s): device is already in use by a mounted file system", bd->name);
		kfree(fs);
		kfree(buf);
		return -EBUSY;
	}
	fs->bd = bd;
	fs_mutex_init(&fs->lock);
	list_init(&fs->inodes);
	if (dev_bytes < 4096) {
		err = -EINVAL;
		goto fail;
	}
	err = blk_rw(bd, BLK_READ, 0, buf, 4096);
	if (err)
		goto fail;
	memcpy(&fs->sb, buf + EXT2_SUPERBLOCK_OFFSET, sizeof(fs->sb));
	kfree(buf);
	buf = NULL;
	err = check_super(fs, dev_bytes);
	if (err)
		goto fail;
	if (bd->read_only && !read_only) {
		pr_warn("ext2 (%s): device is read-only: mounting read-only", bd->name);
		read_only = true;
	}
	err = check_features(fs, &read_only);
	if (err)
		goto fail;
	fs->read_only = read_only;
	u32 sb_block = EXT2_SUPERBLOCK_OFFSET / fs->block_size;
	fs->sb_off = EXT2_SUPERBLOCK_OFFSET % fs->block_size;
	fs->sb_bh = bread(bd, sb_block, fs->block_size, &err);
	if (!fs->sb_bh)
		goto fail;
	err = load_groups(fs);
	if (err)
		goto fail_release;
	if (!(fs->sb.s_state & EXT2_VALID_FS) || (fs->sb.s_state & EXT2_ERROR_FS))
		pr_warn("ext2 (%s): file system was not cleanly unmounted or has errors; run e2fsck",
			bd->name);
	fs->next_generation = fs->sb.s_wtime ^ 0x5a5a5a5a;
	if (!fs->read_only) {
		fs->sb.s_state &= ~EXT2_VALID_FS;
		fs->sb.s_mnt_count++;
		fs->sb.s_mtime = ext2_now();
		ext2_sb_dirty(fs);
		err = bdev_sync(bd);
		if (err)
			goto fail_release;
	}
	pr_info("ext2 (%s): mounted %s: %u blocks of %u bytes, %u inodes, %u groups%s", bd->name,
		fs->read_only ? "read-only" : "read-write", fs->sb.s_blocks_count, fs->block_size,
		fs->sb.s_inodes_count, fs->groups, fs->filetype ? ", filetype" : "");
	*out = fs;
	return 0;
fail_release:
	release(fs);
	return err;
fail:
	kfree(buf);
	if (fs->sb_bh)
		brelse(fs->sb_bh);
	__atomic_store_n(&bd->holder, NULL, __ATOMIC_RELEASE);
	kfree(fs);
	return err;
}

static int sync_locked(struct ext2_fs *fs)
{
	if (fs->read_only)
		return 0;
	ext2_sb_dirty(fs);
	return bdev_sync(fs->bd);
}

int ext2_sync(struct ext2_fs *fs)
{
	fs_mutex_lock(&fs->lock);
	int err = sync_locked(fs);
	fs_mutex_unlock(&fs->lock);
	return err;
}

int ext2_unmount(struct ext2_fs *fs)
{
	int err = 0;

	fs_mutex_lock(&fs->lock);
	if (fs->ninodes)
		pr_warn("ext2 (%s): unmount with %u inodes still in use", fs->bd->name, fs->ninodes);
	if (!fs->read_only) {
		fs->sb.s_state |= EXT2_VALID_FS;
		err = sync_locked(fs);
	}
	fs_mutex_unlock(&fs->lock);
	release(fs);
	return err;
}

void ext2_statfs(struct ext2_fs *fs, u64 *blocks, u64 *bfree, u64 *bavail, u64 *files, u64 *ffree)
{
	fs_mutex_lock(&fs->lock);
	*blocks = fs->sb.s_blocks_count;
	*bfree = fs->sb.s_free_blocks_count;
	*bavail = *bfree > fs->sb.s_r_blocks_count ? *bfree - fs->sb.s_r_blocks_count : 0;
	*files = fs->sb.s_inodes_count;
	*ffree = fs->sb.s_free_inodes_count;
	fs_mutex_unlock(&fs->lock);
}
