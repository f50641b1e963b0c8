/* Name space changes: mkdir, mknod, unlink, rmdir, symlink, link,
 * readlink (rename is in rename.c). Each walks to the parent, then takes
 * vfs_ns_lock for the check and the change, so the two cannot be separated
 * by another change. Pinned file systems (tmpfs, devfs) change their dentry
 * tree; dynamic ones (ext2) are asked through their inode operations. */
#include "../fs.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>

/* Dynamic file systems: ask the fs, then (if wanted) a transient dentry
 * for the new object. [ns] held. */
static int create_dynamic(struct dentry *parent, const char *name, u32 mode, u64 rdev,
			  const char *target, struct dentry **out)
{
	const struct inode_operations *ops = parent->inode->iops;
	struct inode *dir = parent->inode, *ino = NULL;
	int err;

	/* No such operation (proc): the name was not found, as Linux says
	 * when the directory's lookup itself fails. */
	if (!ops)
		return -ENOENT;
	if (S_ISDIR(mode))
		err = ops->mkdir ? ops->mkdir(dir, name, mode & 07777) : -ENOENT;
	else if (S_ISLNK(mode))
		err = ops->symlink ? ops->symlink(dir, name, target) : -ENOENT;
	else
		err = ops->create ? ops->create(dir, name, mode, rdev, out ? &ino : NULL) : -ENOENT;
	if (err || !out)
		return err;
	if (!ino) {
		struct dentry *d = d_lookup(parent, name, strlen(name));
		if (IS_ERR(d))
			return (int)PTR_ERR(d);
		*out = d;
		return 0;
	}
	*out = d_alloc(parent, name, strlen(name), ino);
	if (!*out) {
		iput(ino);
		return -ENOMEM;
	}
	return 0;
}

int vfs_create_in(struct dentry *parent, const char *name, u32 mode, u64 rdev,
		  const char *symlink_target, struct dentry **out)
{
	struct super_block *sb = parent->sb;
	struct inode *ino, *dir = parent->inode;
	struct dentry *d;
	size_t len = strlen(name);

	assert_fs_ns_held();
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	if (!(sb->flags & SB_PINNED))
		return create_dynamic(parent, name, mode, rdev, symlink_target, out);
	if (!sb->ops || !sb->ops->alloc_inode)
		return -EPERM;
	ino = sb->ops->alloc_inode(sb, mode);
	if (!ino)
		return -ENOSPC;
	ino->rdev = rdev;
	if (S_ISDIR(dir->mode) && (dir->mode & S_ISGID)) {
		ino->gid = dir->gid;
		if (S_ISDIR(mode))
			ino->mode |= S_ISGID;
	}
	if (symlink_target) {
		size_t n = strlen(symlink_target);
		char *t = kmalloc(n + 1);
		if (!t) {
			iput(ino);
			return -ENOMEM;
		}
		memcpy(t, symlink_target, n + 1);
		ino->priv = t;
		ino->size = n;
	}
	d = d_alloc(parent, name, len, ino);
	if (!d) {
		iput(ino);
		return -ENOMEM;
	}
	d_link(d);
	if (S_ISDIR(mode))
		dir->nlink++;
	dir->mtime = dir->ctime = vfs_now();
	if (out)
		*out = d;
	else
		dput(d);
	return 0;
}

/* Can the caller remove or replace victim in dir (write+search, sticky)? */
int may_delete(struct path *parent, struct dentry *victim)
{
	struct inode *dir = parent->dentry->inode;
	int err = inode_permission(dir, MAY_WRITE | MAY_EXEC);
	u32 uid = vfs_fsuid();

	if (err)
		return err;
	if (parent->mnt->flags & MS_RDONLY)
		return -EROFS;
	if (parent->dentry->sb->flags & SB_FIXED)
		return -EPERM;
	if ((dir->mode & S_ISVTX) && uid != 0 && uid != dir->uid && uid != victim->inode->uid)
		return -EPERM;
	return 0;
}

int may_create(struct path *parent)
{
	int err = inode_permission(parent->dentry->inode, MAY_WRITE | MAY_EXEC);

	if (err)
		return err;
	if (parent->mnt->flags & MS_RDONLY)
		return -EROFS;
	if (parent->dentry->flags & D_UNLINKED)
		return -ENOENT;
	if (parent->dentry->sb->flags & SB_FIXED)
		return -EPERM;
	return 0;
}

bool is_pinned(struct path *p)
{
	return p->dentry->sb->flags & SB_PINNED;
}

/* The new name comp under parent must not exist yet ([ns] held): 0 when it
 * may be created; else -EEXIST, the lookup's error, -ENOENT when the name
 * had a trailing slash that the new node cannot take, or may_create's. */
static int check_new_name(struct path *parent, const char *comp, size_t len, bool bad_trailing)
{
	struct dentry *d = d_lookup(parent->dentry, comp, len);

	if (!IS_ERR(d)) {
		dput(d);
		return -EEXIST;
	}
	if (PTR_ERR(d) != -ENOENT)
		return (int)PTR_ERR(d);
	if (bad_trailing)
		return -ENOENT;
	return may_create(parent);
}

/* See fs.h. */
int vfs_create_at(int dirfd, const char *name, u32 mode, u64 rdev, const char *target,
		  struct path *out)
{
	struct path parent;
	const char *last;
	size_t len;
	int type, err;
	bool trailing;
	struct dentry *d;
	char comp[NAME_MAX + 1];

	err = path_parentat(dirfd, name, &parent, &last, &len, &type, &trailing);
	if (err)
		return err;
	if (type != LAST_NORM) {
		err = -EEXIST;
		goto out;
	}
	memcpy(comp, last, len);
	comp[len] = 0;
	fs_mutex_lock(&vfs_ns_lock);
	err = check_new_name(&parent, comp, len, trailing && !S_ISDIR(mode));
	if (!err)
		err = vfs_create_in(parent.dentry, comp, mode, rdev, target, out ? &d : NULL);
	fs_mutex_unlock(&vfs_ns_lock);
	if (!err && out) {
		out->mnt = parent.mnt;
		out->dentry = d;
		path_get(out); /* the mount; the dentry reference is vfs_create_in's */
		dput(d);
	}
out:
	path_put(&parent);
	return err;
}

int vfs_mkdirat(int dirfd, const char *name, u32 mode)
{
	return vfs_create_at(dirfd, name, S_IFDIR | (mode & 07777 & ~fs_umask()), 0, NULL, NULL);
}

int vfs_mknodat(int dirfd, const char *name, u32 mode, u64 dev)
{
	u32 type = mode & S_IFMT;

	switch (type) {
	case 0:
		type = S_IFREG;
		break;
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	case S_IFCHR:
	case S_IFBLK:
		if (vfs_fsuid() != 0)
			return -EPERM;
		break;
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
	return vfs_create_at(dirfd, name, type | (mode & 07777 & ~fs_umask()), dev, NULL, NULL);
}

int vfs_symlinkat(const char *target, int dirfd, const char *name)
{
	if (!*target)
		return -ENOENT;
	return vfs_create_at(dirfd, name, S_IFLNK | 0777, 0, target, NULL);
}

bool mounted_on(struct mount *mnt, struct dentry *d)
{
	return mount_lookup(mnt, d) != NULL;
}

bool dir_empty(struct dentry *d)
{
	return list_empty(&d->children);
}

int vfs_unlinkat(int dirfd, const char *name, int flags)
{
	bool rmdir = flags & AT_REMOVEDIR;
	struct path parent;
	const char *last;
	size_t len;
	int type, err;
	bool trailing;
	struct dentry *d;
	char comp[NAME_MAX + 1];

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	err = path_parentat(dirfd, name, &parent, &last, &len, &type, &trailing);
	if (err)
		return err;
	if (type != LAST_NORM) {
		if (!rmdir)
			err = -EISDIR;
		else
			err = type == LAST_DOT ? -EINVAL : type == LAST_DOTDOT ? -ENOTEMPTY : -EBUSY;
		goto out;
	}
	memcpy(comp, last, len);
	comp[len] = 0;
	fs_mutex_lock(&vfs_ns_lock);
	d = d_lookup(parent.dentry, comp, len);
	if (IS_ERR(d)) {
		err = (int)PTR_ERR(d);
		goto out_unlock;
	}
	struct inode *ino = d->inode, *dir = parent.dentry->inode;
	if (rmdir) {
		if (!S_ISDIR(ino->mode))
			err = -ENOTDIR;
	} else if (S_ISDIR(ino->mode)) {
		err = -EISDIR;
	} else if (trailing) {
		err = -ENOTDIR;
	}
	if (!err)
		err = may_delete(&parent, d);
	if (!err && mounted_on(parent.mnt, d))
		err = -EBUSY;
	if (!err && !is_pinned(&parent)) {
		const struct inode_operations *ops = dir->iops;
		if (rmdir)
			err = ops && ops->rmdir ? ops->rmdir(dir, comp) : -EPERM;
		else
			err = ops && ops->unlink ? ops->unlink(dir, comp) : -EPERM;
		if (!err)
			d->flags |= D_UNLINKED;
		dput(d);
		goto out_unlock;
	}
	if (!err && rmdir && !dir_empty(d))
		err = -ENOTEMPTY;
	if (!err) {
		d_unlink(d);
		if (rmdir) {
			ino->nlink = 0;
			dir->nlink--;
		} else {
			ino->nlink--;
		}
		ino->ctime = dir->mtime = dir->ctime = vfs_now();
	}
	dput(d);
out_unlock:
	fs_mutex_unlock(&vfs_ns_lock);
out:
	path_put(&parent);
	return err;
}

int vfs_linkat(int olddirfd, const char *oldname, int newdirfd, const char *newname, int flags)
{
	struct path old, parent;
	const char *last;
	size_t len;
	int type, err;
	bool trailing;
	struct dentry *d;
	char comp[NAME_MAX + 1];
	unsigned lf = 0;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (flags & AT_SYMLINK_FOLLOW)
		lf |= LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	err = path_lookupat(olddirfd, oldname, lf, &old);
	if (err)
		return err;
	err = path_parentat(newdirfd, newname, &parent, &last, &len, &type, &trailing);
	if (err)
		goto out_old;
	if (type != LAST_NORM) {
		err = -EEXIST;
		goto out;
	}
	if (old.mnt != parent.mnt) {
		err = -EXDEV;
		goto out;
	}
	if (S_ISDIR(old.dentry->inode->mode)) {
		err = -EPERM;
		goto out;
	}
	memcpy(comp, last, len);
	comp[len] = 0;
	fs_mutex_lock(&vfs_ns_lock);
	err = check_new_name(&parent, comp, len, trailing);
	if (!err) {
		struct inode *ino = old.dentry->inode;
		if (ino->nlink == 0 && !(flags & AT_EMPTY_PATH)) {
			err = -ENOENT;
		} else if (!is_pinned(&parent)) {
			const struct inode_operations *ops = parent.dentry->inode->iops;
			err = ops && ops->link ? ops->link(parent.dentry->inode, comp, ino) : -EPERM;
		} else {
			iget(ino);
			d = d_alloc(parent.dentry, comp, len, ino);
			if (!d) {
				iput(ino);
				err = -ENOMEM;
			} else {
				d_link(d);
				dput(d);
				ino->nlink++;
				ino->ctime = vfs_now();
				parent.dentry->inode->mtime = parent.dentry->inode->ctime = ino->ctime;
			}
		}
	}
	fs_mutex_unlock(&vfs_ns_lock);
out:
	path_put(&parent);
out_old:
	path_put(&old);
	return err;
}

long vfs_readlinkat(int dirfd, const char *name, char *buf, size_t size)
{
	struct path p;
	struct inode *ino;
	int err = path_lookupat(dirfd, name, LOOKUP_EMPTY, &p);

	if (err)
		return err;
	ino = p.dentry->inode;
	if (!S_ISLNK(ino->mode) || !ino->iops || !ino->iops->readlink)
		err = -EINVAL;
	else
		err = ino->iops->readlink(ino, buf, size);
	if (err >= 0)
		ino->atime = vfs_now();
	path_put(&p);
	return err;
}

/* ---- syscalls: copy the names in, call the vfs_* above ---- */

#define GETNAME(var, uptr)                      \
	int err_##var;                          \
	char *var = getname(uptr, &err_##var);  \
	if (!var)                               \
		return err_##var

SYSCALL_DEFINE(83, mkdir)
{
	GETNAME(n, a0);
	long r = vfs_mkdirat(AT_FDCWD, n, (u32)a1);
	kfree(n);
	return r;
}

SYSCALL_DEFINE(258, mkdirat)
{
	GETNAME(n, a1);
	long r = vfs_mkdirat((int)a0, n, (u32)a2);
	kfree(n);
	return r;
}

static u64 decode_user_dev(u32 dev)
{
	u32 major = (dev & 0xfff00) >> 8;
	u32 minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
	return uapi_encode_dev(major, minor);
}

SYSCALL_DEFINE(133, mknod)
{
	GETNAME(n, a0);
	long r = vfs_mknodat(AT_FDCWD, n, (u32)a1, decode_user_dev((u32)a2));
	kfree(n);
	return r;
}

SYSCALL_DEFINE(259, mknodat)
{
	GETNAME(n, a1);
	long r = vfs_mknodat((int)a0, n, (u32)a2, decode_user_dev((u32)a3));
	kfree(n);
	return r;
}

SYSCALL_DEFINE(87, unlink)
{
	GETNAME(n, a0);
	long r = vfs_unlinkat(AT_FDCWD, n, 0);
	kfree(n);
	return r;
}

SYSCALL_DEFINE(84, rmdir)
{
	GETNAME(n, a0);
	long r = vfs_unlinkat(AT_FDCWD, n, AT_REMOVEDIR);
	kfree(n);
	return r;
}

SYSCALL_DEFINE(263, unlinkat)
{
	GETNAME(n, a1);
	long r = vfs_unlinkat((int)a0, n, (int)a2);
	kfree(n);
	return r;
}

static long do_symlink(u64 utarget, int dirfd, u64 upath)
{
	GETNAME(t, utarget);
	int err;
	char *n = getname(upath, &err);
	long r;

	if (!n) {
		kfree(t);
		return err;
	}
	r = vfs_symlinkat(t, dirfd, n);
	kfree(t);
	kfree(n);
	return r;
}

SYSCALL_DEFINE(88, symlink)
{
	return do_symlink(a0, AT_FDCWD, a1);
}

SYSCALL_DEFINE(266, symlinkat)
{
	return do_symlink(a0, (int)a1, a2);
}

static long do_link(int od, u64 uold, int nd, u64 unew, int flags)
{
	GETNAME(o, uold);
	int err;
	char *n = getname(unew, &err);
	long r;

	if (!n) {
		kfree(o);
		return err;
	}
	r = vfs_linkat(od, o, nd, n, flags);
	kfree(o);
	kfree(n);
	return r;
}

SYSCALL_DEFINE(86, link)
{
	return do_link(AT_FDCWD, a0, AT_FDCWD, a1, 0);
}

SYSCALL_DEFINE(265, linkat)
{
	return do_link((int)a0, a1, (int)a2, a3, (int)a4);
}

static long do_readlink(int dirfd, u64 upath, u64 ubuf, s64 size)
{
	char *buf;
	long r;

	if (size <= 0)
		return -EINVAL;
	GETNAME(n, upath);
	buf = kmalloc(PATH_MAX);
	if (!buf) {
		kfree(n);
		return -ENOMEM;
	}
	r = vfs_readlinkat(dirfd, n, buf, PATH_MAX);
	if (r >= 0) {
		if (r > size)
			r = size;
		if (copy_to_user((void *)ubuf, buf, (size_t)r))
			r = -EFAULT;
	}
	kfree(buf);
	kfree(n);
	return r;
}

SYSCALL_DEFINE(89, readlink)
{
	return do_readlink(AT_FDCWD, a0, a1, (s64)(s32)a2);
}

SYSCALL_DEFINE(267, readlinkat)
{
	return do_readlink((int)a0, a1, a2, (s64)(s32)a3);
}
