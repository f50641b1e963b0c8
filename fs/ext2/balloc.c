/* ext2 block and inode allocation: one bitmap block per group for each
 * (ext2-doc sections 3.3 and 3.4), with free counts in the group
 * descriptor and the superblock kept in step.
 *
 * Policy: a block goes near `goal` (the file's previous block, so files
 * stay contiguous), first in goal's group, then the following groups; an
 * inode goes in its parent directory's group if it has room, else the
 * next group with room.
 *
 * Trust: a bitmap bit that claims a metadata block is free (ext2_block_ok
 * says it is not a data block) is logged, set, and skipped; freeing an
 * already free block or inode is logged and ignored. */
#include <skiff/errno.h>
#include <skiff/printk.h>
#include "ext2.h"

static int find_zero(const u8 *map, u32 nbits, u32 start)
{
	for (u32 i = start; i < nbits;) {
		if ((i & 7) == 0 && i + 8 <= nbits && map[i >> 3] == 0xff) {
			i += 8;
			continue;
		}
		if (!(map[i >> 3] & (1u << (i & 7))))
			return (int)i;
		i++;
	}
	return -1;
}

static u32 group_blocks(struct ext2_fs *fs, u32 g)
{
	u64 base = fs->first_data_block + (u64)g * fs->blocks_per_group;
	u64 left = fs->sb.s_blocks_count - base;
	return (u32)MIN(left, (u64)fs->blocks_per_group);
}

int ext2_alloc_block(struct ext2_fs *fs, u32 goal, u32 *out)
{
	u32 g0 = 0, start0 = 0;
	int err;

	if (fs->read_only)
		return -EROFS;
	if (fs->sb.s_free_blocks_count == 0)
		return -ENOSPC;
	if (goal >= fs->first_data_block && goal < fs->sb.s_blocks_count) {
		g0 = (goal - fs->first_data_block) / fs->blocks_per_group;
		start0 = (goal - fs->first_data_block) % fs->blocks_per_group;
	}
	for (u32 i = 0; i <= fs->groups; i++) {
		u32 g = (g0 + i) % fs->groups;
		struct ext2_group_desc *gd = ext2_gd(fs, g, NULL);
		if (!gd->bg_free_blocks_count)
			continue;
		struct buffer_head *bh = bread(fs->bd, gd->bg_block_bitmap, fs->block_size, &err);
		if (!bh)
			return err;
		u32 nbits = group_blocks(fs, g);
		u32 base = fs->first_data_block + g * fs->blocks_per_group;
		int bit = find_zero(bh->data, nbits, i == 0 ? start0 : 0);
		if (bit < 0 && i == 0)
			bit = find_zero(bh->data, nbits, 0);
		while (bit >= 0 && !ext2_block_ok(fs, base + (u32)bit)) {
			ext2_err(fs, "block bitmap of group %u shows metadata block %u free; fixing the bit",
				 g, base + (u32)bit);
			bh->data[bit >> 3] |= (u8)(1u << (bit & 7));
			bh_mark_dirty(bh);
			bit = find_zero(bh->data, nbits, (u32)bit + 1);
		}
		if (bit < 0) {
			ext2_err(fs, "group %u claims %u free blocks but its bitmap is full", g,
				 gd->bg_free_blocks_count);
			brelse(bh);
			continue;
		}
		bh->data[bit >> 3] |= (u8)(1u << (bit & 7));
		bh_mark_dirty(bh);
		brelse(bh);
		gd->bg_free_blocks_count--;
		ext2_gd_dirty(fs, g);
		fs->sb.s_free_blocks_count--;
		ext2_sb_dirty(fs);
		*out = base + (u32)bit;
		return 0;
	}
	return -ENOSPC;
}

void ext2_free_block(struct ext2_fs *fs, u32 b)
{
	int err;

	if (!ext2_block_ok(fs, b)) {
		ext2_err(fs, "refusing to free block %u (not a data block)", b);
		return;
	}
	u32 g = (b - fs->first_data_block) / fs->blocks_per_group;
	u32 bit = (b - fs->first_data_block) % fs->blocks_per_group;
	struct ext2_group_desc *gd = ext2_gd(fs, g, NULL);
	struct buffer_head *bh = bread(fs->bd, gd->bg_block_bitmap, fs->block_size, &err);
	if (!bh)
		return;
	if (!(bh->data[bit >> 3] & (1u << (bit & 7)))) {
		ext2_err(fs, "freeing block %u which is already free", b);
		brelse(bh);
		return;
	}
	bh->data[bit >> 3] &= (u8)~(1u << (bit & 7));
	bh_mark_dirty(bh);
	brelse(bh);
	gd->bg_free_blocks_count++;
	ext2_gd_dirty(fs, g);
	fs->sb.s_free_blocks_count++;
	ext2_sb_dirty(fs);
}

int ext2_alloc_ino(struct ext2_fs *fs, u32 dir_ino, bool is_dir, u32 *out)
{
	u32 g0 = dir_ino ? (dir_ino - 1) / fs->inodes_per_group : 0;
	int err;

	if (fs->read_only)
		return -EROFS;
	if (fs->sb.s_free_inodes_count == 0)
		return -ENOSPC;
	if (g0 >= fs->groups)
		g0 = 0;
	for (u32 i = 0; i < fs->groups; i++) {
		u32 g = (g0 + i) % fs->groups;
		struct ext2_group_desc *gd = ext2_gd(fs, g, NULL);
		if (!gd->bg_free_inodes_count)
			continue;
		struct buffer_head *bh = bread(fs->bd, gd->bg_inode_bitmap, fs->block_size, &err);
		if (!bh)
			return err;
		u32 start = 0;
		if (g == 0 && fs->first_ino > 1)
			start = fs->first_ino - 1; /* reserved inodes are never handed out */
		int bit = find_zero(bh->data, fs->inodes_per_group, start);
		if (bit < 0) {
			ext2_err(fs, "group %u claims %u free inodes but its bitmap is full", g,
				 gd->bg_free_inodes_count);
			brelse(bh);
			continue;
		}
		bh->data[bit >> 3] |= (u8)(1u << (bit & 7));
		bh_mark_dirty(bh);
		brelse(bh);
		gd->bg_free_inodes_count--;
		if (is_dir)
			gd->bg_used_dirs_count++;
		ext2_gd_dirty(fs, g);
		fs->sb.s_free_inodes_count--;
		ext2_sb_dirty(fs);
		*out = g * fs->inodes_per_group + (u32)bit + 1;
		return 0;
	}
	return -ENOSPC;
}

void ext2_free_ino(struct ext2_fs *fs, u32 ino, bool is_dir)
{
	int err;

	if (ino < fs->first_ino || ino > fs->sb.s_inodes_count) {
		ext2_err(fs, "refusing to free reserved or invalid inode %u", ino);
		return;
	}
	u32 g = (ino - 1) / fs->inodes_per_group, bit = (ino - 1) % fs->inodes_per_group;
	struct ext2_group_desc *gd = ext2_gd(fs, g, NULL);
	struct buffer_head *bh = bread(fs->bd, gd->bg_inode_bitmap, fs->block_size, &err);
	if (!bh)
		return;
	if (!(bh->data[bit >> 3] & (1u << (bit & 7)))) {
		ext2_err(fs, "freeing inode %u which is already free", ino);
		brelse(bh);
		return;
	}
	bh->data[bit >> 3] &= (u8)~(1u << (bit & 7));
	bh_mark_dirty(bh);
	brelse(bh);
	gd->bg_free_inodes_count++;
	if (is_dir && gd->bg_used_dirs_count)
		gd->bg_used_dirs_count--;
	ext2_gd_dirty(fs, g);
	fs->sb.s_free_inodes_count++;
	ext2_sb_dirty(fs);
}
