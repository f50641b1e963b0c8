/* stat family, statx, statfs, and directory reading (getdents). */
#include "../fs.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>
#include <uapi/dirent.h>
#include <uapi/statfs.h>
#include <uapi/statx.h>

static u64 inode_dev(struct inode *ino)
{
	return uapi_encode_dev(0, ino->sb ? ino->sb->dev : 0);
}

static void fill_stat(struct inode *ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = inode_dev(ino);
	st->st_ino = ino->ino;
	st->st_nlink = ino->nlink;
	st->st_mode = ino->mode;
	st->st_uid = ino->uid;
	st->st_gid = ino->gid;
	st->st_rdev = ino->rdev;
	st->st_size = (s64)ino->size;
	st->st_blksize = 4096;
	st->st_blocks = (s64)inode_blocks(ino);
	st->st_atime_sec = (u64)(ino->atime / 1000000000);
	st->st_atime_nsec = (u64)(ino->atime % 1000000000);
	st->st_mtime_sec = (u64)(ino->mtime / 1000000000);
	st->st_mtime_nsec = (u64)(ino->mtime % 1000000000);
	st->st_ctime_sec = (u64)(ino->ctime / 1000000000);
	st->st_ctime_nsec = (u64)(ino->ctime % 1000000000);
}

/* The inode named by (dirfd, upath, flags), referenced; empty path with
 * AT_EMPTY_PATH means dirfd itself (also anonymous files such as pipes). */
static int stat_target(int dirfd, u64 upath, int flags, struct inode **out, struct mount **mnt)
{
	struct path p;
	char *name;
	int err;
	unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;

	name = getname(upath, &err);
	if (!name)
		return err;
	if (!*name && (flags & AT_EMPTY_PATH)) {
		kfree(name);
		if (dirfd == AT_FDCWD) {
			fs_get_pwd(&p);
			goto have_path;
		}
		struct file *f = fd_get(dirfd);
		if (!f)
			return -EBADF;
		*out = f->inode;
		iget(*out);
		if (mnt)
			*mnt = f->mnt;
		file_put(f);
		return 0;
	}
	err = path_lookupat(dirfd, name, lf, &p);
	kfree(name);
	if (err)
		return err;
have_path:
	*out = p.dentry->inode;
	iget(*out);
	if (mnt)
		*mnt = p.mnt;
	path_put(&p);
	return 0;
}

static long stat_to_user(struct inode *ino, u64 ubuf)
{
	struct stat st;

	fill_stat(ino, &st);
	iput(ino);
	return copy_to_user((void *)ubuf, &st, sizeof(st)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(4, stat)
{
	struct inode *ino;
	int err = stat_target(AT_FDCWD, a0, 0, &ino, NULL);
	return err ? err : stat_to_user(ino, a1);
}

SYSCALL_DEFINE(6, lstat)
{
	struct inode *ino;
	int err = stat_target(AT_FDCWD, a0, AT_SYMLINK_NOFOLLOW, &ino, NULL);
	return err ? err : stat_to_user(ino, a1);
}

SYSCALL_DEFINE(5, fstat)
{
	struct file *f = fd_get((int)a0);
	struct inode *ino;

	if (!f)
		return -EBADF;
	ino = f->inode;
	if (!ino) {
		file_put(f);
		return -EBADF;
	}
	iget(ino);
	file_put(f);
	return stat_to_user(ino, a1);
}

SYSCALL_DEFINE(262, newfstatat)
{
	struct inode *ino;
	int flags = (int)a3, err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	err = stat_target((int)a0, a1, flags, &ino, NULL);
	return err ? err : stat_to_user(ino, a2);
}

static void ts_to_statx(s64 ns, struct statx_timestamp *t)
{
	t->tv_sec = ns / 1000000000;
	t->tv_nsec = (u32)(ns % 1000000000);
}

SYSCALL_DEFINE(332, statx)
{
	int flags = (int)a2;
	u32 mask = (u32)a3;
	struct inode *ino;
	struct mount *mnt = NULL;
	struct statx sx;
	int err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	err = stat_target((int)a0, a1, flags, &ino, &mnt);
	if (err)
		return err;
	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = STATX_BASIC_STATS | STATX_BTIME | (mnt ? STATX_MNT_ID : 0);
	sx.stx_blksize = 4096;
	sx.stx_nlink = ino->nlink;
	sx.stx_uid = ino->uid;
	sx.stx_gid = ino->gid;
	sx.stx_mode = (u16)ino->mode;
	sx.stx_ino = ino->ino;
	sx.stx_size = ino->size;
	sx.stx_blocks = inode_blocks(ino);
	ts_to_statx(ino->atime, &sx.stx_atime);
	ts_to_statx(ino->btime, &sx.stx_btime);
	ts_to_statx(ino->ctime, &sx.stx_ctime);
	ts_to_statx(ino->mtime, &sx.stx_mtime);
	sx.stx_rdev_major = uapi_dev_major(ino->rdev);
	sx.stx_rdev_minor = uapi_dev_minor(ino->rdev);
	sx.stx_dev_major = 0;
	sx.stx_dev_minor = ino->sb ? ino->sb->dev : 0;
	sx.stx_mnt_id = mnt ? mnt->id : 0;
	iput(ino);
	return copy_to_user((void *)a4, &sx, sizeof(sx)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(137, statfs)
{
	struct path p;
	struct statfs st;
	char *name;
	int err;

	name = getname(a0, &err);
	if (!name)
		return err;
	err = path_lookupat(AT_FDCWD, name, LOOKUP_FOLLOW, &p);
	kfree(name);
	if (err)
		return err;
	vfs_statfs(&p, &st);
	path_put(&p);
	return copy_to_user((void *)a1, &st, sizeof(st)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(138, fstatfs)
{
	struct file *f = fd_get((int)a0);
	struct statfs st;

	if (!f)
		return -EBADF;
	if (f->dentry) {
		struct path p = { f->mnt, f->dentry };
		vfs_statfs(&p, &st);
	} else {
		memset(&st, 0, sizeof(st));
		st.f_type = f->inode && S_ISFIFO(f->inode->mode) ? PIPEFS_MAGIC :
			    f->inode && S_ISSOCK(f->inode->mode) ? SOCKFS_MAGIC : ANON_INODE_FS_MAGIC;
		st.f_bsize = 4096;
		st.f_namelen = NAME_MAX;
		st.f_frsize = 4096;
		st.f_flags = ST_VALID;
	}
	file_put(f);
	return copy_to_user((void *)a1, &st, sizeof(st)) ? -EFAULT : 0;
}

/* ---- getdents ---- */

struct dents_ctx {
	struct dir_context ctx;
	char *buf;
	size_t size, used;
	bool old;
	bool overflow;
};

static bool emit_dent(struct dir_context *c, const char *name, size_t len, u64 ino,
		      unsigned type, u64 next_pos)
{
	struct dents_ctx *d = (struct dents_ctx *)c;
	size_t reclen;

	if (d->old) {
		reclen = ALIGN_UP(offsetof(struct linux_dirent, d_name) + len + 2, 8ul);
		if (d->used + reclen > d->size) {
			d->overflow = true;
			return false;
		}
		struct linux_dirent *e = (struct linux_dirent *)(d->buf + d->used);
		memset(e, 0, reclen);
		e->d_ino = ino;
		e->d_off = next_pos;
		e->d_reclen = (u16)reclen;
		memcpy(e->d_name, name, len);
		((char *)e)[reclen - 1] = (char)type;
	} else {
		reclen = ALIGN_UP(offsetof(struct linux_dirent64, d_name) + len + 1, 8ul);
		if (d->used + reclen > d->size) {
			d->overflow = true;
			return false;
		}
		struct linux_dirent64 *e = (struct linux_dirent64 *)(d->buf + d->used);
		memset(e, 0, reclen);
		e->d_ino = ino;
		e->d_off = (s64)next_pos;
		e->d_reclen = (u16)reclen;
		e->d_type = (u8)type;
		memcpy(e->d_name, name, len);
	}
	d->used += reclen;
	return true;
}

int vfs_readdir(struct file *f, struct dir_context *ctx)
{
	struct inode *ino = f->inode;

	if (!ino || !S_ISDIR(ino->mode))
		return -ENOTDIR;
	if (ino->iops && ino->iops->readdir)
		return ino->iops->readdir(f, ctx);
	if (ino->sb->flags & SB_PINNED)
		return dcache_readdir(f, ctx);
	return -ENOTDIR;
}

static long do_getdents(int fd, u64 ubuf, u64 count, bool old)
{
	struct file *f = fd_get(fd);
	struct dents_ctx d = { 0 };
	long r;

	if (!f)
		return -EBADF;
	if (f->fmode & FMODE_PATH) {
		file_put(f);
		return -EBADF;
	}
	if (!f->inode || !S_ISDIR(f->inode->mode)) {
		file_put(f);
		return -ENOTDIR;
	}
	d.size = MIN(count, 65536ull);
	d.buf = kmalloc(d.size ? d.size : 1);
	if (!d.buf) {
		file_put(f);
		return -ENOMEM;
	}
	d.old = old;
	d.ctx.emit = emit_dent;
	d.ctx.pos = f->pos;
	r = vfs_readdir(f, &d.ctx);
	if (r >= 0) {
		if (d.used == 0 && d.overflow) {
			r = -EINVAL;
		} else if (copy_to_user((void *)ubuf, d.buf, d.used)) {
			r = -EFAULT;
		} else {
			f->pos = d.ctx.pos;
			f->inode->atime = vfs_now();
			r = (long)d.used;
		}
	}
	kfree(d.buf);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(217, getdents64)
{
	return do_getdents((int)a0, a1, a2, false);
}

SYSCALL_DEFINE(78, getdents)
{
	return do_getdents((int)a0, a1, a2, true);
}
