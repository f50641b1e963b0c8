/* ext2 directories: linked-list entries in the directory's data blocks
 * (ext2-doc 4.4 "Linked Directory Entries"). An htree directory's index
 * blocks (dir_index) hold one empty entry spanning the block, so the
 * linear walk sees every real entry; Skiff clears EXT2_INDEX_FL when it
 * changes such a directory (the index would be stale), as Linux ext2 does.
 *
 * Every block is validated entry by entry before use (rec_len a multiple
 * of 4, at least 12 and the entry's own size, inside the block; inode
 * number inside the file system); a bad entry fails the operation with
 * -EIO and a log line naming the directory, block and offset. */
#include <skiff/errno.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include "ext2.h"

#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12

static u32 rec_len_get(struct ext2_fs *fs, const struct ext2_dir_entry *de)
{
	u32 r = de->rec_len;
	if (fs->block_size >= 65536 && (r == 65535 || r == 0))
		return 65536;
	return r;
}
static void rec_len_set(struct ext2_dir_entry *de, u32 len)
{
	de->rec_len = (u16)(len >= 65536 ? 65535 : len);
}

unsigned ext2_dtype(u32 mode)
{
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG: return DT_REG;
	case EXT2_S_IFDIR: return DT_DIR;
	case EXT2_S_IFLNK: return DT_LNK;
	case EXT2_S_IFCHR: return DT_CHR;
	case EXT2_S_IFBLK: return DT_BLK;
	case EXT2_S_IFIFO: return DT_FIFO;
	case EXT2_S_IFSOCK: return DT_SOCK;
	}
	return DT_UNKNOWN;
}

static u8 ft_of(u32 mode)
{
	static const u8 map[16] = {
		[EXT2_S_IFREG >> 12] = EXT2_FT_REG_FILE, [EXT2_S_IFDIR >> 12] = EXT2_FT_DIR,
		[EXT2_S_IFLNK >> 12] = EXT2_FT_SYMLINK, [EXT2_S_IFCHR >> 12] = EXT2_FT_CHRDEV,
		[EXT2_S_IFBLK >> 12] = EXT2_FT_BLKDEV, [EXT2_S_IFIFO >> 12] = EXT2_FT_FIFO,
		[EXT2_S_IFSOCK >> 12] = EXT2_FT_SOCK,
	};
	return map[(mode >> 12) & 15];
}

static unsigned dtype_of_ft(u8 ft)
{
	static const u8 map[8] = { DT_UNKNOWN, DT_REG, DT_DIR, DT_CHR, DT_BLK, DT_FIFO, DT_SOCK, DT_LNK };
	return ft < 8 ? map[ft] : DT_UNKNOWN;
}

static int nblocks(struct ext2_inode_info *dir, u64 *n)
{
	struct ext2_fs *fs = dir->fs;
	u64 size = ext2_isize(dir);
	if (!EXT2_ISDIR(dir->raw.i_mode))
		return -ENOTDIR;
	if (size % fs->block_size) {
		ext2_err(fs, "directory inode %u has size %llu, not a multiple of the block size", dir->ino,
			 (unsigned long long)size);
		return -EIO;
	}
	*n = size / fs->block_size;
	return 0;
}

/* Read directory block lb, validating every entry. */
static struct buffer_head *dir_block(struct ext2_inode_info *dir, u64 lb, int *err)
{
	struct ext2_fs *fs = dir->fs;
	u32 pb;

	*err = ext2_bmap(dir, lb, false, &pb, NULL);
	if (*err)
		return NULL;
	if (!pb) {
		ext2_err(fs, "directory inode %u has a hole at block %llu", dir->ino, (unsigned long long)lb);
		*err = -EIO;
		return NULL;
	}
	struct buffer_head *bh = bread(fs->bd, pb, fs->block_size, err);
	if (!bh)
		return NULL;
	for (u32 off = 0; off < fs->block_size;) {
		struct ext2_dir_entry *de = (void *)(bh->data + off);
		u32 rl = off + 8 <= fs->block_size ? rec_len_get(fs, de) : 0;
		if (rl < 12 || (rl & 3) || rl > fs->block_size - off ||
		    (de->inode && (rl < EXT2_DIR_REC_LEN(de->name_len) || de->name_len == 0)) ||
		    de->inode > fs->sb.s_inodes_count) {
			ext2_err(fs, "directory inode %u block %llu: corrupt entry at offset %u "
				 "(rec_len %u, name_len %u, inode %u)",
				 dir->ino, (unsigned long long)lb, off, rl, off + 8 <= fs->block_size ? de->name_len : 0,
				 off + 8 <= fs->block_size ? de->inode : 0);
			brelse(bh);
			*err = -EIO;
			return NULL;
		}
		off += rl;
	}
	return bh;
}

/* Find name; on success *bh holds the block (referenced), *de the entry
 * and *prev the entry before it in the block (or NULL). */
static int find_entry(struct ext2_inode_info *dir, const char *name, size_t len, struct buffer_head **bhp,
		      struct ext2_dir_entry **dep, struct ext2_dir_entry **prevp)
{
	struct ext2_fs *fs = dir->fs;
	u64 n;
	int err = nblocks(dir, &n);

	if (err)
		return err;
	if (len == 0)
		return -ENOENT;
	if (len > 255)
		return -ENAMETOOLONG;
	for (u64 lb = 0; lb < n; lb++) {
		struct buffer_head *bh = dir_block(dir, lb, &err);
		if (!bh)
			return err;
		struct ext2_dir_entry *prev = NULL;
		for (u32 off = 0; off < fs->block_size;) {
			struct ext2_dir_entry *de = (void *)(bh->data + off);
			if (de->inode && de->name_len == len && !memcmp(de->name, name, len)) {
				*bhp = bh;
				*dep = de;
				if (prevp)
					*prevp = prev;
				return 0;
			}
			prev = de;
			off += rec_len_get(fs, de);
		}
		brelse(bh);
	}
	return -ENOENT;
}

int ext2_dir_find(struct ext2_inode_info *dir, const char *name, size_t len, u32 *ino)
{
	struct buffer_head *bh;
	struct ext2_dir_entry *de;
	int err = find_entry(dir, name, len, &bh, &de, NULL);
	if (err)
		return err;
	*ino = de->inode;
	brelse(bh);
	return 0;
}

static void dir_changed(struct ext2_inode_info *dir)
{
	dir->raw.i_flags &= ~EXT2_INDEX_FL;
	ext2_touch(dir, true, true);
	ext2_write_inode(dir);
}

static void fill(struct ext2_fs *fs, struct ext2_dir_entry *de, const char *name, size_t len, u32 ino,
		 u32 mode)
{
	de->inode = ino;
	de->name_len = (u8)len;
	de->file_type = fs->filetype ? ft_of(mode) : 0;
	memcpy(de->name, name, len);
}

int ext2_dir_add(struct ext2_inode_info *dir, const char *name, size_t len, u32 ino, u32 mode)
{
	struct ext2_fs *fs = dir->fs;
	u32 need = EXT2_DIR_REC_LEN(len), pb;
	u64 n;
	bool fresh;
	int err = nblocks(dir, &n);

	if (err)
		return err;
	if (len == 0 || len > 255)
		return len ? -ENAMETOOLONG : -ENOENT;
	for (u64 lb = 0; lb < n; lb++) {
		struct buffer_head *bh = dir_block(dir, lb, &err);
		if (!bh)
			return err;
		for (u32 off = 0; off < fs->block_size;) {
			struct ext2_dir_entry *de = (void *)(bh->data + off);
			u32 rl = rec_len_get(fs, de);
			u32 used = de->inode ? EXT2_DIR_REC_LEN(de->name_len) : 0;
			if (rl - used >= need) {
				if (used) {
					struct ext2_dir_entry *ne = (void *)(bh->data + off + used);
					rec_len_set(ne, rl - used);
					rec_len_set(de, used);
					de = ne;
				}
				fill(fs, de, name, len, ino, mode);
				bh_mark_dirty(bh);
				brelse(bh);
				dir_changed(dir);
				return 0;
			}
			off += rl;
		}
		brelse(bh);
	}
	/* No room: a new block at the end. */
	err = ext2_bmap(dir, n, true, &pb, &fresh);
	if (err)
		return err;
	struct buffer_head *bh = bget(fs->bd, pb, fs->block_size, &err);
	if (!bh)
		return err;
	memset(bh->data, 0, fs->block_size);
	struct ext2_dir_entry *de = (void *)bh->data;
	rec_len_set(de, fs->block_size);
	fill(fs, de, name, len, ino, mode);
	bh_mark_dirty(bh);
	brelse(bh);
	ext2_set_size(dir, (n + 1) * fs->block_size);
	dir_changed(dir);
	return 0;
}

int ext2_dir_remove(struct ext2_inode_info *dir, const char *name, size_t len)
{
	struct buffer_head *bh;
	struct ext2_dir_entry *de, *prev;
	int err = find_entry(dir, name, len, &bh, &de, &prev);

	if (err)
		return err;
	if (prev)
		rec_len_set(prev, rec_len_get(dir->fs, prev) + rec_len_get(dir->fs, de));
	else
		de->inode = 0;
	bh_mark_dirty(bh);
	brelse(bh);
	dir_changed(dir);
	return 0;
}

int ext2_dir_set(struct ext2_inode_info *dir, const char *name, size_t len, u32 ino, u32 mode)
{
	struct buffer_head *bh;
	struct ext2_dir_entry *de;
	int err = find_entry(dir, name, len, &bh, &de, NULL);

	if (err)
		return err;
	de->inode = ino;
	de->file_type = dir->fs->filetype ? ft_of(mode) : 0;
	bh_mark_dirty(bh);
	brelse(bh);
	dir_changed(dir);
	return 0;
}

int ext2_dir_empty(struct ext2_inode_info *dir)
{
	struct ext2_fs *fs = dir->fs;
	u64 n;
	int err = nblocks(dir, &n);

	if (err)
		return err;
	for (u64 lb = 0; lb < n; lb++) {
		struct buffer_head *bh = dir_block(dir, lb, &err);
		if (!bh)
			return err;
		for (u32 off = 0; off < fs->block_size;) {
			struct ext2_dir_entry *de = (void *)(bh->data + off);
			bool dot = (de->name_len == 1 && de->name[0] == '.') ||
				   (de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.');
			if (de->inode && !dot) {
				brelse(bh);
				return 0;
			}
			off += rec_len_get(fs, de);
		}
		brelse(bh);
	}
	return 1;
}

int ext2_dir_init(struct ext2_inode_info *dir, u32 parent)
{
	struct ext2_fs *fs = dir->fs;
	u32 pb;
	bool fresh;
	int err = ext2_bmap(dir, 0, true, &pb, &fresh);

	if (err)
		return err;
	struct buffer_head *bh = bget(fs->bd, pb, fs->block_size, &err);
	if (!bh)
		return err;
	memset(bh->data, 0, fs->block_size);
	struct ext2_dir_entry *de = (void *)bh->data;
	rec_len_set(de, 12);
	fill(fs, de, ".", 1, dir->ino, EXT2_S_IFDIR);
	de = (void *)(bh->data + 12);
	rec_len_set(de, fs->block_size - 12);
	fill(fs, de, "..", 2, parent, EXT2_S_IFDIR);
	bh_mark_dirty(bh);
	brelse(bh);
	ext2_set_size(dir, fs->block_size);
	return ext2_write_inode(dir);
}

int ext2_lookup(struct ext2_inode_info *dir, const char *name, size_t len, u32 *ino)
{
	fs_mutex_lock(&dir->fs->lock);
	int err = ext2_dir_find(dir, name, len, ino);
	fs_mutex_unlock(&dir->fs->lock);
	return err;
}

int ext2_readdir(struct ext2_inode_info *dir, u64 *pos, ext2_filldir_t emit, void *ctx)
{
	struct ext2_fs *fs = dir->fs;
	u64 n;
	int err;

	fs_mutex_lock(&fs->lock);
	err = nblocks(dir, &n);
	if (err)
		goto out;
	for (u64 lb = *pos / fs->block_size; lb < n; lb++) {
		struct buffer_head *bh = dir_block(dir, lb, &err);
		if (!bh)
			goto out;
		u32 start = (u32)(*pos - lb * fs->block_size);
		if (*pos < lb * fs->block_size)
			start = 0;
		for (u32 off = 0; off < fs->block_size;) {
			struct ext2_dir_entry *de = (void *)(bh->data + off);
			u32 rl = rec_len_get(fs, de);
			if (off >= start && de->inode) {
				u64 next = lb * fs->block_size + off + rl;
				unsigned dt = fs->filetype ? dtype_of_ft(de->file_type) : DT_UNKNOWN;
				if (!emit(ctx, de->name, de->name_len, de->inode, dt, next)) {
					*pos = lb * fs->block_size + off;
					brelse(bh);
					goto out;
				}
				*pos = next;
			}
			off += rl;
		}
		brelse(bh);
		*pos = (lb + 1) * fs->block_size;
	}
out:
	fs_mutex_unlock(&fs->lock);
	return err;
}
