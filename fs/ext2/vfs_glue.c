/* ext2 under the VFS (fs/fs.h): file system type "ext2", mounted from a
 * block device named by the mount source ("/dev/vda" or "vda").
 *
 * The VFS treats ext2 as a "dynamic" file system (not SB_PINNED): it
 * asks iops->lookup/readdir/readlink and uses fops read/write/fsync and
 * iops->truncate. One VFS inode exists per ext2 inode at a time
 * (ei->vfs_inode, taken only while its refcount is non-zero), so every
 * opener sees the same size and times.
 *
 * Name-space changes (create/mknod, mkdir, symlink, link, unlink, rmdir,
 * rename) and attribute persistence (setattr after chmod/chown/utimensat)
 * come through the corresponding inode operations; the VFS has checked
 * permissions and holds vfs_ns_lock (taken before fs->lock).
 *
 * Locking: VFS inode->lock (held by the VFS around truncate; taken here
 * around writes) before fs->lock. No lock is held while copying to or
 * from user memory: data goes through a kernel bounce buffer, so a page
 * fault on a mapping of the same file cannot deadlock. */
#include <skiff/blkdev.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <uapi/statfs.h>
#include "../fs.h"
#include "ext2.h"

#define CHUNK (64 * 1024)
#define MAX_EXT2_MOUNTS 8

static struct super_block *mounted[MAX_EXT2_MOUNTS]; /* [vfs_ns_lock-free: ext2_mounts_lock] */
static DEFINE_SPINLOCK(ext2_mounts_lock);

static const struct inode_operations ext2_iops;
static const struct file_operations ext2_file_ops, ext2_dir_ops;

static struct ext2_fs *FS(struct super_block *sb) { return sb->priv; }
static struct ext2_inode_info *EI(struct inode *ino) { return ino->priv; }

static s64 ns(u32 s) { return (s64)s * 1000000000ll; }

/* Copy the disk inode's attributes into the VFS inode. fs->lock held. */
static void refresh(struct inode *ino, struct ext2_inode_info *ei)
{
	ino->mode = ei->raw.i_mode;
	ino->uid = ext2_iuid(ei);
	ino->gid = ext2_igid(ei);
	ino->nlink = ei->raw.i_links_count;
	ino->size = ext2_isize(ei);
	/* st_blocks is i_blocks, as Linux's ext2: 512-byte sectors
	 * allocated, indirect blocks included; holes count nothing. */
	__atomic_store_n(&ino->blocks, (u64)ei->raw.i_blocks, __ATOMIC_RELAXED);
	ino->atime = ns(ei->raw.i_atime);
	ino->mtime = ns(ei->raw.i_mtime);
	ino->ctime = ns(ei->raw.i_ctime);
	ino->btime = 0;
}

static bool get_unless_zero(struct inode *ino)
{
	s32 c = __atomic_load_n(&ino->refcount, __ATOMIC_RELAXED);
	while (c > 0)
		if (__atomic_compare_exchange_n(&ino->refcount, &c, c + 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	return false;
}

/* The VFS inode for ext2 inode number nr (referenced), or ERR_PTR. */
static struct inode *vfs_inode(struct super_block *sb, u32 nr)
{
	struct ext2_fs *fs = FS(sb);
	struct inode *ino = NULL;
	int err;

	fs_mutex_lock(&fs->lock);
	struct ext2_inode_info *ei = ext2_iget_locked(fs, nr, &err);
	if (!ei) {
		fs_mutex_unlock(&fs->lock);
		return ERR_PTR(err);
	}
	if (ei->vfs_inode && get_unless_zero(ei->vfs_inode)) {
		ino = ei->vfs_inode;
		ext2_iput_locked(ei); /* the VFS inode already holds one */
		refresh(ino, ei);
		fs_mutex_unlock(&fs->lock);
		return ino;
	}
	u32 mode = ei->raw.i_mode;
	ino = inode_new(sb, mode, &ext2_iops,
			S_ISREG(mode) ? &ext2_file_ops : S_ISDIR(mode) ? &ext2_dir_ops : NULL);
	if (!ino) {
		ext2_iput_locked(ei);
		fs_mutex_unlock(&fs->lock);
		return ERR_PTR(-ENOMEM);
	}
	ino->ino = nr;
	ino->priv = ei;
	if (S_ISCHR(mode) || S_ISBLK(mode))
		ino->rdev = ext2_rdev(ei);
	refresh(ino, ei);
	ei->vfs_inode = ino;
	fs_mutex_unlock(&fs->lock);
	return ino;
}

static void ext2_evict(struct inode *ino)
{
	struct ext2_inode_info *ei = EI(ino);
	if (!ei)
		return;
	struct ext2_fs *fs = ei->fs;
	fs_mutex_lock(&fs->lock);
	if (ei->vfs_inode == ino)
		ei->vfs_inode = NULL;
	ext2_iput_locked(ei);
	fs_mutex_unlock(&fs->lock);
}

static void ext2_vfs_statfs(struct super_block *sb, u64 *blocks, u64 *bfree, u64 *files, u64 *ffree)
{
	struct ext2_fs *fs = FS(sb);
	u64 b, f, a;
	ext2_statfs(fs, &b, &f, &a, files, ffree);
	/* The VFS reports f_bsize 4096. */
	*blocks = b * fs->block_size / 4096;
	*bfree = f * fs->block_size / 4096;
}

static const struct super_operations ext2_sops = {
	.evict_inode = ext2_evict,
	.statfs = ext2_vfs_statfs,
};

/* ---- inode operations ---- */

static struct inode *ext2_vfs_lookup(struct inode *dir, const char *name)
{
	u32 nr;
	int err = ext2_lookup(EI(dir), name, strlen(name), &nr);
	if (err)
		return ERR_PTR(err);
	return vfs_inode(dir->sb, nr);
}

struct emit_ctx {
	struct dir_context *dc;
};
static bool emit_adapter(void *c, const char *name, size_t len, u32 ino, unsigned dt, u64 next)
{
	struct dir_context *dc = ((struct emit_ctx *)c)->dc;
	return dc->emit(dc, name, len, ino, dt, next);
}

static int ext2_vfs_readdir(struct file *f, struct dir_context *ctx)
{
	struct emit_ctx ec = { ctx };
	return ext2_readdir(EI(f->inode), &ctx->pos, emit_adapter, &ec);
}

static int ext2_vfs_readlink(struct inode *ino, char *buf, size_t size)
{
	return ext2_readlink(EI(ino), buf, size);
}

static int ext2_vfs_truncate(struct inode *ino, u64 size)
{
	struct ext2_inode_info *ei = EI(ino);
	int err = ext2_truncate(ei, size);
	fs_mutex_lock(&ei->fs->lock);
	refresh(ino, ei);
	fs_mutex_unlock(&ei->fs->lock);
	return err;
}

static const struct inode_operations ext2_iops = {
	.lookup = ext2_vfs_lookup,
	.readdir = ext2_vfs_readdir,
	.readlink = ext2_vfs_readlink,
	.create = ext2_vfs_create,
	.mkdir = ext2_vfs_mkdir,
	.symlink = ext2_vfs_symlink,
	.link = ext2_vfs_link,
	.unlink = ext2_vfs_unlink,
	.rmdir = ext2_vfs_rmdir,
	.rename = ext2_vfs_rename,
	.setattr = ext2_vfs_setattr,
	.truncate = ext2_vfs_truncate,
};

/* ---- file operations ---- */

static long ext2_vfs_read(struct file *f, struct uio *u, u64 *pos)
{
	struct ext2_inode_info *ei = EI(f->inode);
	size_t want = MIN(u->len, (size_t)CHUNK);
	long done = 0;
	u8 *buf;

	if (!u->len)
		return 0;
	buf = kmalloc(want);
	if (!buf)
		return -ENOMEM;
	while (u->len) {
		size_t n = MIN(u->len, (size_t)CHUNK);
		long r = ext2_read(ei, *pos, buf, n);
		if (r <= 0) {
			if (!done)
				done = r;
			break;
		}
		int err = uio_copy_out(u, buf, (size_t)r);
		if (err) {
			if (!done)
				done = err;
			break;
		}
		*pos += (u64)r;
		done += r;
		if ((size_t)r < n)
			break;
	}
	kfree(buf);
	return done;
}

static long ext2_vfs_write(struct file *f, struct uio *u, u64 *pos)
{
	struct inode *ino = f->inode;
	struct ext2_inode_info *ei = EI(ino);
	long done = 0;
	u8 *buf;

	if (!u->len)
		return 0;
	buf = kmalloc(MIN(u->len, (size_t)CHUNK));
	if (!buf)
		return -ENOMEM;
	fs_mutex_lock(&ino->lock);
	if (f->flags & O_APPEND)
		*pos = ino->size;
	while (u->len) {
		size_t n = MIN(u->len, (size_t)CHUNK);
		int err = uio_copy_in(u, buf, n);
		if (err) {
			if (!done)
				done = err;
			break;
		}
		long w = ext2_write(ei, *pos, buf, n);
		if (w <= 0) {
			if (!done)
				done = w;
			break;
		}
		*pos += (u64)w;
		done += w;
		if ((size_t)w < n)
			break;
	}
	fs_mutex_lock(&ei->fs->lock);
	refresh(ino, ei);
	fs_mutex_unlock(&ei->fs->lock);
	fs_mutex_unlock(&ino->lock);
	kfree(buf);
	return done;
}

static int ext2_vfs_fsync(struct file *f, bool datasync)
{
	return ext2_sync(EI(f->inode)->fs);
}

static const struct file_operations ext2_file_ops = {
	.read = ext2_vfs_read,
	.write = ext2_vfs_write,
	.fsync = ext2_vfs_fsync,
};
static const struct file_operations ext2_dir_ops = {
	.fsync = ext2_vfs_fsync,
};

/* ---- mounting ---- */

static struct super_block *ext2_get_sb(const char *source, u32 flags, const void *data)
{
	struct block_device *bd;
	struct ext2_fs *fs;
	int err;

	block_init();
	if (!source || !(bd = blkdev_find(source)))
		return ERR_PTR(-ENOENT);
	u64 f = spin_lock_irqsave(&ext2_mounts_lock);
	for (int i = 0; i < MAX_EXT2_MOUNTS; i++)
		if (mounted[i] && FS(mounted[i])->bd == bd) {
			spin_unlock_irqrestore(&ext2_mounts_lock, f);
			return mounted[i]; /* same device: the same super block, as Linux */
		}
	spin_unlock_irqrestore(&ext2_mounts_lock, f);
	err = ext2_mount(bd, flags & MS_RDONLY, &fs);
	if (err)
		return ERR_PTR(err);
	struct super_block *sb = sb_new("ext2", &ext2_sops, 0, EXT2_SUPER_MAGIC);
	if (!sb) {
		ext2_unmount(fs);
		return ERR_PTR(-ENOMEM);
	}
	sb->priv = fs;
	fs->vfs_sb = sb;
	struct inode *root = vfs_inode(sb, EXT2_ROOT_INO);
	if (IS_ERR(root) || !S_ISDIR(root->mode)) {
		pr_err("ext2 (%s): root inode unusable", bd->name);
		if (!IS_ERR(root))
			iput(root);
		ext2_unmount(fs);
		kfree(sb);
		return ERR_PTR(-EINVAL);
	}
	sb->root = d_alloc(NULL, "/", 1, root);
	if (!sb->root) {
		iput(root);
		ext2_unmount(fs);
		kfree(sb);
		return ERR_PTR(-ENOMEM);
	}
	f = spin_lock_irqsave(&ext2_mounts_lock);
	for (int i = 0; i < MAX_EXT2_MOUNTS; i++)
		if (!mounted[i]) {
			mounted[i] = sb;
			break;
		}
	spin_unlock_irqrestore(&ext2_mounts_lock, f);
	return sb;
}

static const struct fs_type ext2_type = { "ext2", ext2_get_sb, false };

void ext2_register(void)
{
	register_filesystem(&ext2_type);
}

/* sync(2), syncfs(2), reboot: every mounted ext2 to stable storage. */
int ext2_sync_all(void)
{
	int err = 0;
	for (int i = 0; i < MAX_EXT2_MOUNTS; i++) {
		struct super_block *sb = READ_ONCE(mounted[i]);
		if (sb) {
			int e = ext2_sync(FS(sb));
			if (e && !err)
				err = e;
		}
	}
	return err;
}

/* Power-off/reboot: sync and mark every ext2 clean (VALID_FS) on disk.
 * Nothing may write to them afterwards. */
void ext2_shutdown_all(void)
{
	for (int i = 0; i < MAX_EXT2_MOUNTS; i++) {
		struct super_block *sb = READ_ONCE(mounted[i]);
		if (!sb)
			continue;
		struct ext2_fs *fs = FS(sb);
		fs_mutex_lock(&fs->lock);
		if (!fs->read_only) {
			fs->sb.s_state |= EXT2_VALID_FS;
			ext2_sb_dirty(fs);
		}
		fs_mutex_unlock(&fs->lock);
		ext2_sync(fs);
	}
}

/* ---- name-space and attribute changes (inode operations) ----
 * dir is an ext2 directory's VFS inode; name a NUL-terminated component
 * (the VFS has checked permissions, "." and "..", and that the mount is
 * writable). New inodes get the caller's fsuid/fsgid. Each returns 0 or
 * the errno Linux's ext2 gives. */

/* Re-copy attributes of ext2 inode nr into its VFS inode, if it has one. */
static void refresh_nr(struct ext2_fs *fs, u32 nr)
{
	struct ext2_inode_info *ei;
	fs_mutex_lock(&fs->lock);
	list_for_each_entry(ei, &fs->inodes, link)
		if (ei->ino == nr && ei->vfs_inode)
			refresh(ei->vfs_inode, ei);
	fs_mutex_unlock(&fs->lock);
}

int ext2_vfs_create(struct inode *dir, const char *name, u32 mode, u64 rdev, struct inode **out)
{
	u32 nr;
	int err = S_ISDIR(mode) ? ext2_mkdir(EI(dir), name, strlen(name), mode, vfs_fsuid(), vfs_fsgid(), &nr)
				: ext2_create(EI(dir), name, strlen(name), mode, vfs_fsuid(), vfs_fsgid(), rdev, &nr);
	refresh_nr(FS(dir->sb), (u32)dir->ino);
	if (err || !out)
		return err;
	struct inode *ino = vfs_inode(dir->sb, nr);
	if (IS_ERR(ino))
		return (int)PTR_ERR(ino);
	*out = ino;
	return 0;
}

int ext2_vfs_mkdir(struct inode *dir, const char *name, u32 mode)
{
	return ext2_vfs_create(dir, name, S_IFDIR | (mode & 07777), 0, NULL);
}

int ext2_vfs_symlink(struct inode *dir, const char *name, const char *target)
{
	u32 nr;
	int err = ext2_symlink(EI(dir), name, strlen(name), target, vfs_fsuid(), vfs_fsgid(), &nr);
	refresh_nr(FS(dir->sb), (u32)dir->ino);
	return err;
}

int ext2_vfs_link(struct inode *dir, const char *name, struct inode *target)
{
	if (target->sb != dir->sb)
		return -EXDEV;
	int err = ext2_link(EI(dir), name, strlen(name), EI(target));
	refresh_nr(FS(dir->sb), (u32)dir->ino);
	refresh_nr(FS(dir->sb), (u32)target->ino);
	return err;
}

static int remove(struct inode *dir, const char *name, bool is_dir)
{
	struct ext2_fs *fs = FS(dir->sb);
	u32 victim = 0;
	ext2_lookup(EI(dir), name, strlen(name), &victim);
	int err = is_dir ? ext2_rmdir(EI(dir), name, strlen(name)) : ext2_unlink(EI(dir), name, strlen(name));
	refresh_nr(fs, (u32)dir->ino);
	if (victim)
		refresh_nr(fs, victim);
	return err;
}
int ext2_vfs_unlink(struct inode *dir, const char *name) { return remove(dir, name, false); }
int ext2_vfs_rmdir(struct inode *dir, const char *name) { return remove(dir, name, true); }

#define EXT2_RENAME_NOREPLACE 1u
int ext2_vfs_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname, u32 flags)
{
	struct ext2_fs *fs = FS(odir->sb);
	u32 src = 0, dst = 0;

	if (ndir->sb != odir->sb)
		return -EXDEV;
	if (flags & ~EXT2_RENAME_NOREPLACE)
		return -EINVAL; /* as Linux ext2: no RENAME_EXCHANGE/WHITEOUT */
	ext2_lookup(EI(odir), oname, strlen(oname), &src);
	ext2_lookup(EI(ndir), nname, strlen(nname), &dst);
	if ((flags & EXT2_RENAME_NOREPLACE) && dst)
		return -EEXIST;
	int err = ext2_rename(EI(odir), oname, strlen(oname), EI(ndir), nname, strlen(nname));
	refresh_nr(fs, (u32)odir->ino);
	refresh_nr(fs, (u32)ndir->ino);
	if (src)
		refresh_nr(fs, src);
	if (dst)
		refresh_nr(fs, dst);
	return err;
}

/* Persist the VFS inode's mode/uid/gid/atime/mtime/ctime (after chmod,
 * chown, utimensat changed them in memory). */
int ext2_vfs_setattr(struct inode *ino)
{
	struct ext2_attr a = {
		.mask = EXT2_ATTR_MODE | EXT2_ATTR_UID | EXT2_ATTR_GID | EXT2_ATTR_ATIME |
			EXT2_ATTR_MTIME | EXT2_ATTR_CTIME,
		.mode = ino->mode & 07777,
		.uid = ino->uid,
		.gid = ino->gid,
		.atime = ino->atime / 1000000000ll,
		.mtime = ino->mtime / 1000000000ll,
		.ctime = ino->ctime / 1000000000ll,
	};
	return ext2_setattr(EI(ino), &a);
}
