/* ext2 (fs/ext2/): the on-disk layer, in terms of its own small API so
 * that it runs both in the kernel (over the buffer cache and virtio-blk)
 * and in host unit tests and the fuzzer (over a file-backed fake block
 * device). fs/ext2/vfs_glue.c adapts it to the VFS.
 *
 * Supported: revision 0 and 1 file systems with 1-64 KiB blocks, as made
 * by `mke2fs -t ext2` (features filetype, sparse_super, large_file,
 * ext_attr, resize_inode, dir_index; ext3's has_journal is left alone).
 * Refused at mount (INCOMPAT): extents/64bit/flex_bg... (ext4), journal
 * recovery needed, meta_bg, compression, inline data, anything unknown.
 * Unknown RO_COMPAT features (metadata_csum, gdt_csum, huge_file...) mount
 * read-only with a message. Directories are linked lists; an htree
 * (dir_index) directory reads as one (its index blocks look like empty
 * entries) and loses its index flag when Skiff modifies it, as Linux's
 * ext2 does.
 *
 * Trust: everything read from the disk is checked before use: superblock
 * geometry, group descriptors (bitmaps and inode tables inside the group's
 * range), inode numbers, block pointers (inside the file system and not on
 * a group's metadata), directory entries (rec_len/name_len inside the
 * block), symlink lengths. A violation is logged once per call with the
 * inode and block and the operation fails with -EIO; the kernel never
 * panics on disk contents and never writes a block through a pointer it
 * has not validated.
 *
 * Locking: one sleeping lock per file system (fs->lock) serialises every
 * operation of the public API; every function below that is not public
 * expects it held. In-core inodes are reference counted under it. */
#ifndef FS_EXT2_EXT2_H
#define FS_EXT2_EXT2_H

#include <abi/ext2.h>
#include <skiff/blkdev.h>
#include <skiff/list.h>
#include <skiff/vfs.h>

struct ext2_fs {
	struct block_device *bd;          /* [I] */
	struct ext2_super_block sb;       /* [L] in-memory superblock */
	struct buffer_head *sb_bh;        /* [I] block holding the superblock */
	u32 sb_off;                       /* [I] its offset in sb_bh */
	struct buffer_head **gd_bh;       /* [I] group descriptor blocks */
	u32 block_size;                   /* [I] */
	u32 addr_per_block;               /* [I] block_size / 4 */
	u32 groups;                       /* [I] */
	u32 blocks_per_group;             /* [I] */
	u32 inodes_per_group;             /* [I] */
	u32 inode_size;                   /* [I] */
	u32 first_ino;                    /* [I] */
	u32 first_data_block;             /* [I] */
	u32 itable_blocks;                /* [I] inode table blocks per group */
	u32 gdt_blocks;                   /* [I] */
	bool read_only;                   /* [I] */
	bool filetype;                    /* [I] INCOMPAT_FILETYPE */
	u32 next_generation;              /* [L] */
	struct fs_mutex lock;
	struct list_head inodes;          /* [L] in-core inodes */
	u32 ninodes;                      /* [L] */
	void *vfs_sb;                     /* [I] VFS super block (glue) */
};

/* In-core inode. Legend: [L] fs->lock. */
struct ext2_inode_info {
	struct ext2_fs *fs;               /* [I] */
	u32 ino;                          /* [I] */
	s32 refcount;                     /* [L] */
	struct ext2_inode raw;            /* [L] first 128 bytes of the disk inode */
	struct list_head link;            /* [L] fs->inodes */
	void *vfs_inode;                  /* [L] glue's inode, if any */
	u64 ra_next;                      /* [L] block after the last read: a read
					   * starting there is sequential */
};

static inline u64 ext2_isize(const struct ext2_inode_info *ei)
{
	u64 s = ei->raw.i_size;
	if ((ei->raw.i_mode & 0xf000) == 0x8000)
		s |= (u64)ei->raw.i_size_high << 32;
	return s;
}
static inline u32 ext2_iuid(const struct ext2_inode_info *ei)
{
	return ei->raw.i_uid | ((u32)ei->raw.i_uid_high << 16);
}
static inline u32 ext2_igid(const struct ext2_inode_info *ei)
{
	return ei->raw.i_gid | ((u32)ei->raw.i_gid_high << 16);
}

/* ---- public API (takes fs->lock) ---- */
/* Mount the ext2 file system on bd. read_only requests a read-only mount;
 * features may force one (fs->read_only tells). 0 or -EINVAL (not ext2 /
 * corrupt), -EIO, -ENOMEM, -EROFS (needs writing but the device is RO). */
int ext2_mount(struct block_device *bd, bool read_only, struct ext2_fs **out);
/* Write everything back, mark the file system clean, free it. In-core
 * inodes must all be released. */
int ext2_unmount(struct ext2_fs *fs);
/* Superblock, descriptors, dirty buffers to the device, then FLUSH. */
int ext2_sync(struct ext2_fs *fs);
void ext2_statfs(struct ext2_fs *fs, u64 *blocks, u64 *bfree, u64 *bavail, u64 *files, u64 *ffree);

struct ext2_inode_info *ext2_iget(struct ext2_fs *fs, u32 ino, int *err);
void ext2_iput(struct ext2_inode_info *ei);

/* Directory entry ino of name in dir: 0 or -ENOENT, -ENOTDIR, -EIO,
 * -ENAMETOOLONG. */
int ext2_lookup(struct ext2_inode_info *dir, const char *name, size_t len, u32 *ino);
/* Emit entries from byte position *pos on; emit returns false to stop
 * (the entry it refused is emitted again next time). Updates *pos. */
typedef bool (*ext2_filldir_t)(void *ctx, const char *name, size_t len, u32 ino, unsigned dtype,
			       u64 next_pos);
int ext2_readdir(struct ext2_inode_info *dir, u64 *pos, ext2_filldir_t emit, void *ctx);

long ext2_read(struct ext2_inode_info *ei, u64 off, void *buf, size_t len);
long ext2_write(struct ext2_inode_info *ei, u64 off, const void *buf, size_t len);
int ext2_truncate(struct ext2_inode_info *ei, u64 size);

/* Attribute changes (mask of EXT2_ATTR_*); times in seconds. */
#define EXT2_ATTR_MODE  1u
#define EXT2_ATTR_UID   2u
#define EXT2_ATTR_GID   4u
#define EXT2_ATTR_ATIME 8u
#define EXT2_ATTR_MTIME 16u
#define EXT2_ATTR_CTIME 32u
struct ext2_attr {
	u32 mask;
	u32 mode; /* permission bits only (07777) */
	u32 uid, gid;
	s64 atime, mtime, ctime;
};
int ext2_setattr(struct ext2_inode_info *ei, const struct ext2_attr *a);

/* mode includes the S_IF type: regular, fifo, socket, char/block device
 * (rdev in Linux's user dev_t encoding). New inode number in *ino. */
int ext2_create(struct ext2_inode_info *dir, const char *name, size_t len, u32 mode, u32 uid,
		u32 gid, u64 rdev, u32 *ino);
int ext2_mkdir(struct ext2_inode_info *dir, const char *name, size_t len, u32 mode, u32 uid,
	       u32 gid, u32 *ino);
int ext2_symlink(struct ext2_inode_info *dir, const char *name, size_t len, const char *target,
		 u32 uid, u32 gid, u32 *ino);
int ext2_link(struct ext2_inode_info *dir, const char *name, size_t len, struct ext2_inode_info *ei);
int ext2_unlink(struct ext2_inode_info *dir, const char *name, size_t len);
int ext2_rmdir(struct ext2_inode_info *dir, const char *name, size_t len);
/* rename(2) without flags: replaces a compatible target. */
int ext2_rename(struct ext2_inode_info *odir, const char *oname, size_t olen,
		struct ext2_inode_info *ndir, const char *nname, size_t nlen);
/* Symlink text into buf (NUL-terminated, truncated to size-1): length. */
int ext2_readlink(struct ext2_inode_info *ei, char *buf, size_t size);
u64 ext2_rdev(const struct ext2_inode_info *ei);

/* ---- entry points of fs/ext2/vfs_glue.c for the VFS and the power path ---- */
struct inode;
void ext2_register(void);          /* register_filesystem("ext2"); from vfs_init */
int ext2_sync_all(void);           /* sync(2)/syncfs(2): every ext2 mount to stable storage */
void ext2_shutdown_all(void);      /* reboot/power-off: sync and mark clean (VALID_FS) */
/* Proposed struct inode_operations members (not in fs/fs.h yet). */
int ext2_vfs_create(struct inode *dir, const char *name, u32 mode, u64 rdev, struct inode **out);
int ext2_vfs_mkdir(struct inode *dir, const char *name, u32 mode);
int ext2_vfs_symlink(struct inode *dir, const char *name, const char *target);
int ext2_vfs_link(struct inode *dir, const char *name, struct inode *target);
int ext2_vfs_unlink(struct inode *dir, const char *name);
int ext2_vfs_rmdir(struct inode *dir, const char *name);
int ext2_vfs_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname, u32 flags);
int ext2_vfs_setattr(struct inode *ino);

/* ---- internal (fs->lock held) ---- */
/* super.c */
bool ext2_block_ok(struct ext2_fs *fs, u32 b);      /* inside fs, not metadata */
struct ext2_group_desc *ext2_gd(struct ext2_fs *fs, u32 group, struct buffer_head **bh);
void ext2_gd_dirty(struct ext2_fs *fs, u32 group);
void ext2_sb_dirty(struct ext2_fs *fs);
u32 ext2_now(void);
/* balloc.c */
int ext2_alloc_block(struct ext2_fs *fs, u32 goal, u32 *out);
void ext2_free_block(struct ext2_fs *fs, u32 b);
int ext2_alloc_ino(struct ext2_fs *fs, u32 dir_ino, bool is_dir, u32 *out);
void ext2_free_ino(struct ext2_fs *fs, u32 ino, bool is_dir);
/* inode.c */
struct ext2_inode_info *ext2_iget_locked(struct ext2_fs *fs, u32 ino, int *err);
void ext2_iput_locked(struct ext2_inode_info *ei);
struct ext2_inode_info *ext2_new_inode(struct ext2_fs *fs, u32 dir_ino, u32 mode, u32 uid, u32 gid,
				       int *err);
int ext2_write_inode(struct ext2_inode_info *ei);
/* Physical block of logical block lb: 0 for a hole (create == false), a
 * newly allocated block (create; *fresh set when it was allocated now). */
int ext2_bmap(struct ext2_inode_info *ei, u64 lb, bool create, u32 *pb, bool *fresh);
int ext2_truncate_blocks(struct ext2_inode_info *ei, u64 size);
u64 ext2_max_size(struct ext2_fs *fs);
void ext2_set_size(struct ext2_inode_info *ei, u64 size);
void ext2_touch(struct ext2_inode_info *ei, bool m, bool c);
/* file.c */
long ext2_read_locked(struct ext2_inode_info *ei, u64 off, void *buf, size_t len);
long ext2_write_locked(struct ext2_inode_info *ei, u64 off, const void *buf, size_t len);
/* dir.c */
int ext2_dir_find(struct ext2_inode_info *dir, const char *name, size_t len, u32 *ino);
int ext2_dir_add(struct ext2_inode_info *dir, const char *name, size_t len, u32 ino, u32 mode);
int ext2_dir_remove(struct ext2_inode_info *dir, const char *name, size_t len);
int ext2_dir_set(struct ext2_inode_info *dir, const char *name, size_t len, u32 ino, u32 mode);
int ext2_dir_empty(struct ext2_inode_info *dir);   /* 1 empty, 0 not, -errno */
int ext2_dir_init(struct ext2_inode_info *dir, u32 parent);
unsigned ext2_dtype(u32 mode);
void ext2_set_rdev(struct ext2_inode_info *ei, u64 dev); /* file.c */

#define EXT2_S_IFMT   0xf000
#define EXT2_S_IFSOCK 0xc000
#define EXT2_S_IFLNK  0xa000
#define EXT2_S_IFREG  0x8000
#define EXT2_S_IFBLK  0x6000
#define EXT2_S_IFDIR  0x4000
#define EXT2_S_IFCHR  0x2000
#define EXT2_S_IFIFO  0x1000
#define EXT2_ISDIR(m) (((m) & EXT2_S_IFMT) == EXT2_S_IFDIR)
#define EXT2_ISREG(m) (((m) & EXT2_S_IFMT) == EXT2_S_IFREG)
#define EXT2_ISLNK(m) (((m) & EXT2_S_IFMT) == EXT2_S_IFLNK)
#define EXT2_LINK_MAX 32000

#define ext2_err(fs, fmt, ...) pr_err("ext2 (%s): " fmt, (fs)->bd->name, ##__VA_ARGS__)

#endif
