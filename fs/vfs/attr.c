/* Attribute changes: chmod, chown, utimensat, truncate; and access(2). */
#include "../fs.h"
#include <skiff/mm.h>
#include <skiff/task.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>
#include <skiff/vm.h>

/* Resolve (dirfd, user path, AT_* flags) to a path. allowed: accepted flags. */
static int user_path_at(int dirfd, u64 upath, int flags, int allowed, bool follow_default, struct path *out)
{
	unsigned lf = 0;
	char *name;
	int err;

	if (flags & ~allowed)
		return -EINVAL;
	name = getname(upath, &err);
	if (!name)
		return err;
	if (follow_default && !(flags & AT_SYMLINK_NOFOLLOW))
		lf |= LOOKUP_FOLLOW;
	if (flags & AT_SYMLINK_FOLLOW)
		lf |= LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	err = path_lookupat(dirfd, name, lf, out);
	kfree(name);
	return err;
}

int vfs_truncate_inode(struct inode *ino, u64 size)
{
	int err = 0;
	bool shrunk;

	if (!S_ISREG(ino->mode))
		return -EINVAL;
	if (!ino->iops || !ino->iops->truncate)
		return -EPERM;
	if (size > vfs_rlimit_fsize()) {
		if (current->task)
			send_signal_task(current_task(), SIGXFSZ, 0);
		return -EFBIG;
	}
	fs_mutex_lock(&ino->lock);
	shrunk = size < ino->size;
	err = ino->iops->truncate(ino, size);
	if (!err)
		ino->mtime = ino->ctime = vfs_now();
	fs_mutex_unlock(&ino->lock);
	/* mappings lose the pages past the end (SIGBUS there from now on) */
	if (!err && shrunk)
		vm_truncate_file(ino, size);
	return err;
}

/* Let a dynamic file system write changed attributes back. */
static int persist(struct inode *ino)
{
	return ino->iops && ino->iops->setattr ? ino->iops->setattr(ino) : 0;
}

static bool is_owner(struct inode *ino)
{
	u32 uid = vfs_fsuid();
	return uid == 0 || uid == ino->uid;
}

static int chmod_path(const struct path *p, u32 mode)
{
	struct inode *ino = p->dentry->inode;

	if (p->mnt->flags & MS_RDONLY)
		return -EROFS;
	if (!is_owner(ino))
		return -EPERM;
	fs_mutex_lock(&ino->lock);
	mode &= 07777;
	if (vfs_fsuid() != 0 && vfs_fsgid() != ino->gid)
		mode &= ~(u32)S_ISGID;
	ino->mode = (ino->mode & S_IFMT) | mode;
	ino->ctime = vfs_now();
	fs_mutex_unlock(&ino->lock);
	return persist(ino);
}

static int chown_path(const struct path *p, u32 uid, u32 gid)
{
	struct inode *ino = p->dentry->inode;
	u32 me = vfs_fsuid();

	if (p->mnt->flags & MS_RDONLY)
		return -EROFS;
	if (me != 0) {
		if (uid != (u32)-1 && uid != ino->uid)
			return -EPERM;
		if (gid != (u32)-1 && gid != ino->gid && (me != ino->uid || gid != vfs_fsgid()))
			return -EPERM;
	}
	fs_mutex_lock(&ino->lock);
	if (uid != (u32)-1)
		ino->uid = uid;
	if (gid != (u32)-1)
		ino->gid = gid;
	if (!S_ISDIR(ino->mode) && (uid != (u32)-1 || gid != (u32)-1)) {
		ino->mode &= ~(u32)S_ISUID;
		if (ino->mode & 0010)
			ino->mode &= ~(u32)S_ISGID;
	}
	ino->ctime = vfs_now();
	fs_mutex_unlock(&ino->lock);
	return persist(ino);
}

SYSCALL_DEFINE(90, chmod)
{
	struct path p;
	int err = user_path_at(AT_FDCWD, a0, 0, 0, true, &p);

	if (err)
		return err;
	err = chmod_path(&p, (u32)a1);
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(268, fchmodat)
{
	struct path p;
	int err = user_path_at((int)a0, a1, 0, 0, true, &p);

	if (err)
		return err;
	err = chmod_path(&p, (u32)a2);
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(91, fchmod)
{
	struct file *f = fd_get((int)a0);
	int err;

	if (!f || (f->fmode & FMODE_PATH)) {
		file_put(f);
		return -EBADF;
	}
	if (f->dentry) {
		struct path p = { f->mnt, f->dentry };
		err = chmod_path(&p, (u32)a1);
	} else {
		f->inode->mode = (f->inode->mode & S_IFMT) | ((u32)a1 & 07777);
		err = 0;
	}
	file_put(f);
	return err;
}

SYSCALL_DEFINE(92, chown)
{
	struct path p;
	int err = user_path_at(AT_FDCWD, a0, 0, 0, true, &p);

	if (err)
		return err;
	err = chown_path(&p, (u32)a1, (u32)a2);
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(94, lchown)
{
	struct path p;
	int err = user_path_at(AT_FDCWD, a0, AT_SYMLINK_NOFOLLOW, AT_SYMLINK_NOFOLLOW, true, &p);

	if (err)
		return err;
	err = chown_path(&p, (u32)a1, (u32)a2);
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(260, fchownat)
{
	struct path p;
	int err = user_path_at((int)a0, a1, (int)a4, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, true, &p);

	if (err)
		return err;
	err = chown_path(&p, (u32)a2, (u32)a3);
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(93, fchown)
{
	struct file *f = fd_get((int)a0);
	int err = 0;

	if (!f || (f->fmode & FMODE_PATH)) {
		file_put(f);
		return -EBADF;
	}
	if (f->dentry) {
		struct path p = { f->mnt, f->dentry };
		err = chown_path(&p, (u32)a1, (u32)a2);
	}
	file_put(f);
	return err;
}

/* ---- access ---- */

static int do_access(int dirfd, u64 upath, int mode, int flags)
{
	struct process *pr = current->task ? current_proc() : NULL;
	struct path p;
	struct inode *ino;
	u32 uid, gid, bits;
	int err;

	if (mode & ~7)
		return -EINVAL;
	err = user_path_at(dirfd, upath, flags, AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, true, &p);
	if (err)
		return err;
	ino = p.dentry->inode;
	uid = pr ? ((flags & AT_EACCESS) ? pr->euid : pr->uid) : 0;
	gid = pr ? ((flags & AT_EACCESS) ? pr->egid : pr->gid) : 0;
	err = 0;
	if ((mode & W_OK) && (p.mnt->flags & MS_RDONLY) &&
	    (S_ISREG(ino->mode) || S_ISDIR(ino->mode) || S_ISLNK(ino->mode)))
		err = -EROFS;
	else if (uid == 0) {
		if ((mode & X_OK) && !S_ISDIR(ino->mode) && !(ino->mode & 0111))
			err = -EACCES;
	} else if (mode) {
		if (uid == ino->uid)
			bits = ino->mode >> 6;
		else if (gid == ino->gid)
			bits = ino->mode >> 3;
		else
			bits = ino->mode;
		if ((bits & (u32)mode & 7) != (u32)mode)
			err = -EACCES;
	}
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(21, access)
{
	return do_access(AT_FDCWD, a0, (int)a1, 0);
}

SYSCALL_DEFINE(269, faccessat)
{
	return do_access((int)a0, a1, (int)a2, 0);
}

SYSCALL_DEFINE(439, faccessat2)
{
	return do_access((int)a0, a1, (int)a2, (int)a3);
}

/* ---- truncate ---- */

SYSCALL_DEFINE(76, truncate)
{
	struct path p;
	struct inode *ino;
	int err;

	if ((s64)a1 < 0)
		return -EINVAL;
	err = user_path_at(AT_FDCWD, a0, 0, 0, true, &p);
	if (err)
		return err;
	ino = p.dentry->inode;
	if (S_ISDIR(ino->mode))
		err = -EISDIR;
	else if (!S_ISREG(ino->mode))
		err = -EINVAL;
	else if (p.mnt->flags & MS_RDONLY)
		err = -EROFS;
	else
		err = inode_permission(ino, MAY_WRITE);
	if (!err)
		err = vfs_truncate_inode(ino, a1);
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(77, ftruncate)
{
	struct file *f = fd_get((int)a0);
	int err;

	if (!f || (f->fmode & FMODE_PATH)) {
		file_put(f);
		return -EBADF;
	}
	if ((s64)a1 < 0 || !f->inode || !S_ISREG(f->inode->mode) || !(f->fmode & FMODE_WRITE))
		err = -EINVAL;
	else
		err = vfs_truncate_inode(f->inode, a1);
	file_put(f);
	return err;
}

/* ---- timestamps ---- */

/* times[0] atime, times[1] mtime in ns, or UTIME_NOW/UTIME_OMIT as the
 * nanoseconds of a struct timespec. NULL times: both now. */
static int set_times(struct inode *ino, struct mount *mnt, const struct timespec_abi *ts)
{
	s64 now = vfs_now();
	bool explicit = false;

	if (ts) {
		for (int i = 0; i < 2; i++) {
			if (ts[i].tv_nsec == UTIME_NOW || ts[i].tv_nsec == UTIME_OMIT)
				continue;
			if (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000)
				return -EINVAL;
			explicit = true;
		}
		if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
			return 0;
	}
	if (mnt && (mnt->flags & MS_RDONLY))
		return -EROFS;
	if (explicit) {
		if (!is_owner(ino))
			return -EPERM;
	} else if (!is_owner(ino) && inode_permission(ino, MAY_WRITE)) {
		return -EACCES;
	}
	fs_mutex_lock(&ino->lock);
	for (int i = 0; i < 2; i++) {
		s64 v;
		if (ts && ts[i].tv_nsec == UTIME_OMIT)
			continue;
		if (!ts || ts[i].tv_nsec == UTIME_NOW)
			v = now;
		else
			v = ts[i].tv_sec * 1000000000ll + ts[i].tv_nsec;
		if (i == 0)
			ino->atime = v;
		else
			ino->mtime = v;
	}
	ino->ctime = now;
	fs_mutex_unlock(&ino->lock);
	return persist(ino);
}

static int utimes_common(int dirfd, u64 upath, const struct timespec_abi *ts, int flags)
{
	struct path p;
	int err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!upath) {
		/* futimens(fd): utimensat(fd, NULL, ...) */
		struct file *f = fd_get(dirfd);
		if (dirfd == AT_FDCWD)
			return -EFAULT;
		if (!f)
			return -EBADF;
		err = f->inode ? set_times(f->inode, f->mnt, ts) : -EBADF;
		file_put(f);
		return err;
	}
	err = user_path_at(dirfd, upath, flags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, true, &p);
	if (err)
		return err;
	err = set_times(p.dentry->inode, p.mnt, ts);
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(280, utimensat)
{
	struct timespec_abi ts[2];

	if (a2 && copy_from_user(ts, (void *)a2, sizeof(ts)))
		return -EFAULT;
	return utimes_common((int)a0, a1, a2 ? ts : NULL, (int)a3);
}

SYSCALL_DEFINE(235, utimes)
{
	struct { s64 sec, usec; } tv[2];
	struct timespec_abi ts[2];

	if (a1) {
		if (copy_from_user(tv, (void *)a1, sizeof(tv)))
			return -EFAULT;
		for (int i = 0; i < 2; i++) {
			if (tv[i].usec < 0 || tv[i].usec >= 1000000)
				return -EINVAL;
			ts[i].tv_sec = tv[i].sec;
			ts[i].tv_nsec = tv[i].usec * 1000;
		}
	}
	return utimes_common(AT_FDCWD, a0, a1 ? ts : NULL, 0);
}

SYSCALL_DEFINE(132, utime)
{
	struct { s64 actime, modtime; } ub;
	struct timespec_abi ts[2];

	if (a1) {
		if (copy_from_user(&ub, (void *)a1, sizeof(ub)))
			return -EFAULT;
		ts[0].tv_sec = ub.actime;
		ts[1].tv_sec = ub.modtime;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
	}
	return utimes_common(AT_FDCWD, a0, a1 ? ts : NULL, 0);
}
