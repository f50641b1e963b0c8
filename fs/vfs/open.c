/* open(2) family, close is in file.c; chdir/fchdir/getcwd/chroot/umask. */
#include "../fs.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/task.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>

static const struct file_operations path_only_ops;

/* Open the object at p (referenced by the caller, who keeps its reference).
 * created: the caller just made it (skip permission checks, as Linux). */
static struct file *do_open_path(const struct path *p, int flags, bool created)
{
	struct inode *ino = p->dentry->inode;
	u32 acc = (u32)flags & O_ACCMODE;
	const struct file_operations *ops = ino->fops;
	struct file *f;
	int mask = 0, err;

	if (flags & O_PATH) {
		f = file_alloc(&path_only_ops, flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
		if (!f)
			return ERR_PTR(-ENOMEM);
		goto attach;
	}
	if (S_ISLNK(ino->mode))
		return ERR_PTR(-ELOOP);
	if (S_ISDIR(ino->mode) && (acc != O_RDONLY || (flags & O_TRUNC)))
		return ERR_PTR(-EISDIR);
	if (S_ISSOCK(ino->mode))
		return ERR_PTR(-ENXIO);
	if (acc == O_RDONLY || acc == O_RDWR)
		mask |= MAY_READ;
	if (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC))
		mask |= MAY_WRITE;
	if (acc == 3) /* Linux: needs read+write permission, no I/O allowed */
		mask |= MAY_READ | MAY_WRITE;
	if (!created) {
		err = inode_permission(ino, mask);
		if (err)
			return ERR_PTR(err);
	}
	if ((mask & MAY_WRITE) && (ino->sb->flags & SB_FIXED))
		return ERR_PTR(-EACCES); /* sysfs attributes without a store */
	if ((mask & MAY_WRITE) && (p->mnt->flags & MS_RDONLY) &&
	    (S_ISREG(ino->mode) || S_ISDIR(ino->mode) || S_ISLNK(ino->mode)))
		return ERR_PTR(-EROFS);
	if (S_ISCHR(ino->mode)) {
		ops = chrdev_lookup(ino->rdev);
		if (!ops)
			return ERR_PTR(-ENXIO);
	}
	f = file_alloc(ops, flags | O_LARGEFILE);
	if (!f)
		return ERR_PTR(-ENOMEM);
attach:
	f->inode = ino;
	iget(ino);
	f->mnt = p->mnt;
	f->dentry = p->dentry;
	path_get(p);
	if (f->fmode & FMODE_PATH)
		return f;
	if (file_is_writer(f) && mnt_get_writer(f->mnt)) {
		f->ops = &path_only_ops;
		file_put(f);
		return ERR_PTR(-EROFS);
	}
	if (S_ISFIFO(ino->mode))
		err = fifo_open(ino, f);
	else
		err = f->ops && f->ops->open ? f->ops->open(ino, f) : 0;
	if (err) {
		/* release must not run for an open that failed */
		f->ops = &path_only_ops;
		file_put(f);
		return ERR_PTR(err);
	}
	if ((flags & O_TRUNC) && S_ISREG(ino->mode)) {
		err = vfs_truncate_inode(ino, 0);
		if (err) {
			file_put(f);
			return ERR_PTR(err);
		}
	}
	return f;
}

struct file *vfs_open_path(const struct path *p, int flags)
{
	return do_open_path(p, flags, false);
}

static struct file *open_tmpfile(int dirfd, const char *name, int flags, u32 mode)
{
	struct path dir;
	struct inode *ino;
	struct dentry *d;
	struct file *f;
	u32 acc = (u32)flags & O_ACCMODE;
	int err;

	if (acc != O_WRONLY && acc != O_RDWR)
		return ERR_PTR(-EINVAL);
	err = path_lookupat(dirfd, name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &dir);
	if (err)
		return ERR_PTR(err);
	err = inode_permission(dir.dentry->inode, MAY_WRITE | MAY_EXEC);
	if (!err && !(dir.dentry->sb->flags & SB_PINNED))
		err = -EOPNOTSUPP;
	if (err)
		goto out;
	ino = dir.dentry->sb->ops->alloc_inode(dir.dentry->sb, S_IFREG | (mode & 07777 & ~fs_umask()));
	if (!ino) {
		err = -ENOSPC;
		goto out;
	}
	ino->nlink = 0;
	d = d_alloc(dir.dentry, "#tmpfile", 8, ino);
	if (!d) {
		iput(ino);
		err = -ENOMEM;
		goto out;
	}
	d->flags |= D_UNLINKED;
	struct path p = { dir.mnt, d };
	f = do_open_path(&p, flags & ~(O_TMPFILE | O_CREAT | O_EXCL), true);
	dput(d);
	path_put(&dir);
	return f;
out:
	path_put(&dir);
	return ERR_PTR(err);
}

static struct file *do_openat(int dirfd, const struct path *base, const char *name, int flags,
			      u32 mode, int depth);

/* O_CREAT through the symlink link (in parent): open its target, creating
 * it when it does not exist, as Linux does for a dangling link. */
static struct file *open_creat_link(struct dentry *link, const struct path *parent, int flags,
				    u32 mode, int depth)
{
	struct inode *ino = link->inode;
	struct file *f;
	char *target;
	int n;

	if (depth >= MAXSYMLINKS)
		return ERR_PTR(-ELOOP);
	if (ino->iops && ino->iops->get_link_path) {
		/* A magic link (/proc/P/fd/N): the object itself, which exists
		 * (a shell's >/dev/stdout when that is a pipe). */
		struct path p;
		n = ino->iops->get_link_path(ino, &p);
		if (n && n != -EAGAIN)
			return ERR_PTR(n);
		if (!n) {
			f = S_ISDIR(p.dentry->inode->mode) ? ERR_PTR(-EISDIR) : do_open_path(&p, flags, false);
			path_put(&p);
			return f;
		}
	}
	if (!ino->iops || !ino->iops->readlink)
		return ERR_PTR(-EINVAL);
	target = kmalloc(PATH_MAX);
	if (!target)
		return ERR_PTR(-ENOMEM);
	n = ino->iops->readlink(ino, target, PATH_MAX);
	if (n <= 0) {
		kfree(target);
		return ERR_PTR(n < 0 ? n : -ENOENT);
	}
	f = do_openat(AT_FDCWD, parent, target, flags, mode, depth + 1);
	kfree(target);
	return f;
}

struct file *vfs_openat(int dirfd, const char *name, int flags, u32 mode)
{
	return do_openat(dirfd, NULL, name, flags, mode, 0);
}

static struct file *do_openat(int dirfd, const struct path *base, const char *name, int flags,
			      u32 mode, int depth)
{
	struct path p;
	bool created = false;
	int err;

	if ((flags & O_TMPFILE) == O_TMPFILE)
		return open_tmpfile(dirfd, name, flags, mode);
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if (!(flags & O_CREAT)) {
		unsigned lf = 0;
		if (!(flags & O_NOFOLLOW))
			lf |= LOOKUP_FOLLOW;
		if (flags & O_DIRECTORY)
			lf |= LOOKUP_DIRECTORY;
		err = path_lookup_base(dirfd, base, name, lf, &p);
		if (err)
			return ERR_PTR(err);
		if (S_ISLNK(p.dentry->inode->mode) && !(flags & O_PATH)) {
			path_put(&p);
			return ERR_PTR(-ELOOP);
		}
	} else {
		struct path parent;
		const char *last;
		size_t len;
		int type;
		bool trailing;
		struct dentry *d;

		if (flags & O_DIRECTORY)
			return ERR_PTR(-EINVAL);
		err = path_parent_base(dirfd, base, name, &parent, &last, &len, &type, &trailing);
		if (err)
			return ERR_PTR(err);
		if (type != LAST_NORM || trailing) {
			path_put(&parent);
			return ERR_PTR(-EISDIR);
		}
		fs_mutex_lock(&vfs_ns_lock);
		d = d_lookup(parent.dentry, last, len);
		if (!IS_ERR(d)) {
			fs_mutex_unlock(&vfs_ns_lock);
			if (flags & O_EXCL) {
				dput(d);
				path_put(&parent);
				return ERR_PTR(-EEXIST);
			}
			if (S_ISLNK(d->inode->mode)) {
				struct file *f = (flags & O_NOFOLLOW) ? ERR_PTR(-ELOOP)
					: open_creat_link(d, &parent, flags, mode, depth);
				dput(d);
				path_put(&parent);
				return f;
			} else {
				p.mnt = parent.mnt;
				p.dentry = d;
				__atomic_fetch_add(&p.mnt->refcount, 1, __ATOMIC_RELAXED);
				fs_mutex_lock(&vfs_ns_lock);
				struct mount *m;
				while ((m = mount_lookup(p.mnt, p.dentry))) {
					struct path np = { m, m->root };
					path_get(&np);
					path_put(&p);
					p = np;
				}
				fs_mutex_unlock(&vfs_ns_lock);
				path_put(&parent);
			}
			if (S_ISDIR(p.dentry->inode->mode)) {
				path_put(&p);
				return ERR_PTR(-EISDIR);
			}
		} else if (PTR_ERR(d) != -ENOENT) {
			fs_mutex_unlock(&vfs_ns_lock);
			path_put(&parent);
			return (struct file *)d;
		} else {
			struct inode *dir = parent.dentry->inode;
			err = inode_permission(dir, MAY_WRITE | MAY_EXEC);
			if (!err && (parent.mnt->flags & MS_RDONLY))
				err = -EROFS;
			if (!err && (parent.dentry->flags & D_UNLINKED))
				err = -ENOENT;
			if (!err && !(parent.dentry->sb->flags & SB_PINNED) &&
			    !(dir->iops && dir->iops->create))
				err = -ENOENT;
			if (!err && (parent.dentry->sb->flags & SB_FIXED))
				err = -EACCES;
			if (!err)
				err = vfs_create_in(parent.dentry, last, S_IFREG | (mode & 07777 & ~fs_umask()),
						    0, NULL, &d);
			fs_mutex_unlock(&vfs_ns_lock);
			if (err) {
				path_put(&parent);
				return ERR_PTR(err);
			}
			p.mnt = parent.mnt;
			p.dentry = d;
			__atomic_fetch_add(&p.mnt->refcount, 1, __ATOMIC_RELAXED);
			path_put(&parent);
			created = true;
		}
	}
	struct file *f = do_open_path(&p, flags, created);
	path_put(&p);
	return f;
}

struct file *vfs_open(const char *path, int flags, u32 mode)
{
	return vfs_openat(AT_FDCWD, path, flags, mode);
}

bool file_may_exec(struct file *f)
{
	if (!f->inode || !S_ISREG(f->inode->mode))
		return false;
	if (f->mnt && (f->mnt->flags & MS_NOEXEC))
		return false;
	return inode_permission(f->inode, MAY_EXEC) == 0;
}

u64 file_size(struct file *f)
{
	return f->inode ? f->inode->size : 0;
}

u32 file_mode(struct file *f)
{
	return f->inode ? f->inode->mode : 0;
}

static long do_sys_open(int dirfd, u64 upath, int flags, u32 mode)
{
	int err;
	char *name = getname(upath, &err);
	struct file *f;
	int fd;

	if (!name)
		return err;
	f = vfs_openat(dirfd, name, flags, mode);
	kfree(name);
	if (IS_ERR(f))
		return PTR_ERR(f);
	fd = fd_install(f, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL_DEFINE(2, open)
{
	return do_sys_open(AT_FDCWD, a0, (int)a1, (u32)a2);
}

SYSCALL_DEFINE(257, openat)
{
	return do_sys_open((int)a0, a1, (int)a2, (u32)a3);
}

SYSCALL_DEFINE(85, creat)
{
	return do_sys_open(AT_FDCWD, a0, O_CREAT | O_WRONLY | O_TRUNC, (u32)a1);
}

/* ---- cwd and root ---- */

SYSCALL_DEFINE(80, chdir)
{
	int err;
	char *name = getname(a0, &err);
	struct path p;

	if (!name)
		return err;
	err = path_lookupat(AT_FDCWD, name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	kfree(name);
	if (err)
		return err;
	err = inode_permission(p.dentry->inode, MAY_EXEC);
	if (err) {
		path_put(&p);
		return err;
	}
	fs_set_path(false, &p);
	return 0;
}

SYSCALL_DEFINE(81, fchdir)
{
	struct file *f = fd_get((int)a0);
	struct path p;
	int err;

	if (!f)
		return -EBADF;
	if (!f->dentry || !S_ISDIR(f->inode->mode)) {
		file_put(f);
		return -ENOTDIR;
	}
	err = inode_permission(f->inode, MAY_EXEC);
	if (!err) {
		p.mnt = f->mnt;
		p.dentry = f->dentry;
		path_get(&p);
		fs_set_path(false, &p);
	}
	file_put(f);
	return err;
}

SYSCALL_DEFINE(161, chroot)
{
	int err;
	char *name;
	struct path p;

	name = getname(a0, &err);
	if (!name)
		return err;
	err = path_lookupat(AT_FDCWD, name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	kfree(name);
	if (err)
		return err;
	err = inode_permission(p.dentry->inode, MAY_EXEC);
	if (!err && vfs_fsuid() != 0)
		err = -EPERM;
	if (err) {
		path_put(&p);
		return err;
	}
	fs_set_path(true, &p);
	return 0;
}

SYSCALL_DEFINE(79, getcwd)
{
	struct path pwd;
	char *buf = kmalloc(PATH_MAX);
	int n;

	if (!buf)
		return -ENOMEM;
	fs_get_pwd(&pwd);
	if (pwd.dentry->flags & D_UNLINKED) {
		path_put(&pwd);
		kfree(buf);
		return -ENOENT;
	}
	n = d_path(&pwd, buf, PATH_MAX);
	path_put(&pwd);
	if (n >= 0 && (u64)n + 1 > a1)
		n = -ERANGE;
	if (n >= 0 && copy_to_user((void *)a0, buf, (size_t)n + 1))
		n = -EFAULT;
	kfree(buf);
	return n < 0 ? n : n + 1;
}

SYSCALL_DEFINE(95, umask)
{
	struct fs_struct *fs = cur_fs();
	u32 old = fs_umask();

	fs_set_umask((u32)a0 & 0777);
	(void)fs;
	return old;
}
