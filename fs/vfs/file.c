/* Open file descriptions, descriptor tables (files_struct) and the
 * per-process fs context (fs_struct: root, cwd, umask).
 *
 * files_struct: [l] fields under fs->lock (a spinlock: nothing in here
 * sleeps; files are dropped after the lock is released). */
#include "../fs.h"
#include "../poll.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/task.h>
#include <skiff/syscall.h>
#include <skiff/printk.h>

struct files_struct {
	s32 refcount;          /* [a] */
	spinlock_t lock;
	u32 max;               /* [l] capacity of fd[] */
	struct file **fd;      /* [l] */
	u64 *cloexec;          /* [l] bitmap */
};

struct fs_struct {
	s32 refcount;          /* [a] */
	spinlock_t lock;
	struct path root, pwd; /* [l] */
	u32 umask;             /* [l] */
};

#define NR_OPEN_MAX (1u << 20)  /* Linux's fs.nr_open default */

static struct fs_struct *init_fs;
/* Internal mount for anonymous files reopened through /proc/P/fd. */
static struct mount anon_mount = { .refcount = 1 };
static struct super_block *anon_sb;

/* ---- credentials ---- */

u32 vfs_fsuid(void)
{
	struct task *t = current->task;
	return t && t->proc ? t->proc->fsuid : 0;
}

u32 vfs_fsgid(void)
{
	struct task *t = current->task;
	return t && t->proc ? t->proc->fsgid : 0;
}

/* ---- struct file ---- */

struct file *file_alloc(const struct file_operations *ops, int flags)
{
	struct file *f = kzalloc(sizeof(*f));

	if (!f)
		return NULL;
	f->refcount = 1;
	f->ops = ops;
	f->flags = (u32)flags & ~(u32)(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
	spin_init(&f->lock, "file");
	if (flags & O_PATH) {
		f->fmode = FMODE_PATH;
	} else {
		u32 acc = (u32)flags & O_ACCMODE;
		if (acc == O_RDONLY || acc == O_RDWR)
			f->fmode |= FMODE_READ;
		if (acc == O_WRONLY || acc == O_RDWR)
			f->fmode |= FMODE_WRITE;
	}
	return f;
}

void file_get(struct file *f)
{
	__atomic_fetch_add(&f->refcount, 1, __ATOMIC_RELAXED);
}

void file_put(struct file *f)
{
	if (!f || __atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	eventpoll_release_file(f);  /* out of every epoll set (may sleep) */
	if (f->inode)
		locks_remove_file(f);
	if (f->ops && f->ops->release && !(f->fmode & FMODE_PATH))
		f->ops->release(f);
	if (file_is_writer(f))
		mnt_put_writer(f->mnt);
	if (f->dentry) {
		struct path p = { f->mnt, f->dentry };
		path_put(&p);
	}
	iput(f->inode);
	kfree(f);
}

struct file *anon_file_create(const struct file_operations *ops, u32 mode, int flags, void *priv)
{
	struct inode *ino;
	struct file *f;

	if (!anon_sb) {
		struct super_block *sb = sb_new("anon", NULL, 0, ANON_FS_MAGIC);
		if (!sb)
			return ERR_PTR(-ENOMEM);
		struct super_block *old = NULL;
		if (!__atomic_compare_exchange_n(&anon_sb, &old, sb, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			kfree(sb);
	}
	ino = inode_new(anon_sb, mode, NULL, ops);
	if (!ino)
		return ERR_PTR(-ENOMEM);
	ino->mode = mode;
	f = file_alloc(ops, flags);
	if (!f) {
		iput(ino);
		return ERR_PTR(-ENOMEM);
	}
	f->inode = ino;
	f->private_data = priv;
	return f;
}

/* ---- descriptor tables ---- */

static struct files_struct *cur_files(void)
{
	struct task *t = current->task;
	return t && t->proc ? t->proc->files : NULL;
}

struct files_struct *files_create(void)
{
	struct files_struct *fs = kzalloc(sizeof(*fs));

	if (!fs)
		return NULL;
	fs->refcount = 1;
	spin_init(&fs->lock, "files");
	return fs;
}

/* Grow fs->fd to hold index n. [l] held; kmalloc does not sleep. */
static int files_expand(struct files_struct *fs, u32 n)
{
	u32 newmax = fs->max ? fs->max : 64;
	struct file **nfd;
	u64 *nce;

	while (newmax <= n)
		newmax *= 2;
	nfd = kzalloc(newmax * sizeof(*nfd));
	nce = kzalloc(newmax / 8);
	if (!nfd || !nce) {
		kfree(nfd);
		kfree(nce);
		return -ENOMEM;
	}
	if (fs->max) {
		memcpy(nfd, fs->fd, fs->max * sizeof(*nfd));
		memcpy(nce, fs->cloexec, fs->max / 8);
	}
	kfree(fs->fd);
	kfree(fs->cloexec);
	fs->fd = nfd;
	fs->cloexec = nce;
	fs->max = newmax;
	return 0;
}

static void set_cloexec(struct files_struct *fs, u32 fd, bool on)
{
	if (on)
		fs->cloexec[fd / 64] |= 1ull << (fd % 64);
	else
		fs->cloexec[fd / 64] &= ~(1ull << (fd % 64));
}

static bool get_cloexec(struct files_struct *fs, u32 fd)
{
	return (fs->cloexec[fd / 64] >> (fd % 64)) & 1;
}

struct files_struct *files_dup(struct files_struct *old)
{
	struct files_struct *fs = files_create();

	if (!fs || !old)
		return fs;
	spin_lock(&old->lock);
	if (old->max && files_expand(fs, old->max - 1) < 0) {
		spin_unlock(&old->lock);
		files_put(fs);
		return NULL;
	}
	for (u32 i = 0; i < old->max; i++) {
		if (old->fd[i]) {
			file_get(old->fd[i]);
			fs->fd[i] = old->fd[i];
		}
	}
	if (old->max)
		memcpy(fs->cloexec, old->cloexec, old->max / 8);
	spin_unlock(&old->lock);
	return fs;
}

void files_get(struct files_struct *fs)
{
	__atomic_fetch_add(&fs->refcount, 1, __ATOMIC_RELAXED);
}

void files_put(struct files_struct *fs)
{
	if (!fs || __atomic_sub_fetch(&fs->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (u32 i = 0; i < fs->max; i++) {
		if (fs->fd[i]) {
			locks_remove_posix(fs->fd[i], fs);
			file_put(fs->fd[i]);
		}
	}
	kfree(fs->fd);
	kfree(fs->cloexec);
	kfree(fs);
}

void files_close_on_exec(struct files_struct *fs)
{
	for (u32 i = 0;; i++) {
		struct file *f = NULL;
		spin_lock(&fs->lock);
		if (i >= fs->max) {
			spin_unlock(&fs->lock);
			break;
		}
		if (fs->fd[i] && get_cloexec(fs, i)) {
			f = fs->fd[i];
			fs->fd[i] = NULL;
			set_cloexec(fs, i, false);
		}
		spin_unlock(&fs->lock);
		if (f) {
			locks_remove_posix(f, fs);
			file_put(f);
		}
	}
}

/* Lowest free fd >= start below the RLIMIT_NOFILE, holding f. */
static int alloc_fd_locked(struct files_struct *fs, u32 start, struct file *f, bool cloexec, u64 limit)
{
	u32 fd;

	for (fd = start; fd < fs->max && fs->fd[fd]; fd++)
		;
	if (fd >= limit || fd >= NR_OPEN_MAX)
		return -EMFILE;
	if (fd >= fs->max && files_expand(fs, fd) < 0)
		return -ENOMEM;
	fs->fd[fd] = f;
	set_cloexec(fs, fd, cloexec);
	return (int)fd;
}

static int alloc_fd(u32 start, struct file *f, bool cloexec)
{
	struct files_struct *fs = cur_files();
	u64 limit = vfs_rlimit_nofile();
	int fd;

	if (!fs)
		return -EMFILE;
	if (start >= limit)
		return -EINVAL;
	spin_lock(&fs->lock);
	fd = alloc_fd_locked(fs, start, f, cloexec, limit);
	spin_unlock(&fs->lock);
	return fd;
}

int fd_install(struct file *f, bool cloexec)
{
	int fd = alloc_fd(0, f, cloexec);
	return fd == -EINVAL ? -EMFILE : fd;
}

int fd_install_many(struct file **files, int n, bool cloexec, int *fds)
{
	struct files_struct *fs = cur_files();
	u64 limit = vfs_rlimit_nofile();
	int i, fd;

	if (!fs)
		return -EMFILE;
	spin_lock(&fs->lock);
	for (i = 0; i < n; i++) {
		fd = alloc_fd_locked(fs, 0, files[i], cloexec, limit);
		if (fd < 0) {
			while (--i >= 0)
				fs->fd[fds[i]] = NULL;
			spin_unlock(&fs->lock);
			return fd;
		}
		fds[i] = fd;
	}
	spin_unlock(&fs->lock);
	return 0;
}

struct file *fd_get(int fd)
{
	struct files_struct *fs = cur_files();
	struct file *f = NULL;

	if (!fs || fd < 0)
		return NULL;
	spin_lock(&fs->lock);
	if ((u32)fd < fs->max && fs->fd[fd]) {
		f = fs->fd[fd];
		file_get(f);
	}
	spin_unlock(&fs->lock);
	return f;
}

int fd_get_cloexec(int fd)
{
	struct files_struct *fs = cur_files();
	int ret = -EBADF;

	if (!fs || fd < 0)
		return -EBADF;
	spin_lock(&fs->lock);
	if ((u32)fd < fs->max && fs->fd[fd])
		ret = get_cloexec(fs, (u32)fd) ? FD_CLOEXEC : 0;
	spin_unlock(&fs->lock);
	return ret;
}

int fd_set_cloexec(int fd, bool on)
{
	struct files_struct *fs = cur_files();
	int ret = -EBADF;

	if (!fs || fd < 0)
		return -EBADF;
	spin_lock(&fs->lock);
	if ((u32)fd < fs->max && fs->fd[fd]) {
		set_cloexec(fs, (u32)fd, on);
		ret = 0;
	}
	spin_unlock(&fs->lock);
	return ret;
}

int fd_dupfd(int oldfd, u32 start, bool cloexec)
{
	struct file *f = fd_get(oldfd);
	int fd;

	if (!f)
		return -EBADF;
	fd = alloc_fd(start, f, cloexec);
	if (fd < 0)
		file_put(f);
	return fd;
}

int fd_close(int fd)
{
	struct files_struct *fs = cur_files();
	struct file *f = NULL;

	if (!fs || fd < 0)
		return -EBADF;
	spin_lock(&fs->lock);
	if ((u32)fd < fs->max && fs->fd[fd]) {
		f = fs->fd[fd];
		fs->fd[fd] = NULL;
		set_cloexec(fs, (u32)fd, false);
	}
	spin_unlock(&fs->lock);
	if (!f)
		return -EBADF;
	locks_remove_posix(f, fs);
	file_put(f);
	return 0;
}

static int do_dup3(int oldfd, int newfd, bool cloexec)
{
	struct files_struct *fs = cur_files();
	struct file *f, *old = NULL;

	if (newfd < 0 || (u64)newfd >= vfs_rlimit_nofile() || (u32)newfd >= NR_OPEN_MAX)
		return -EBADF;
	f = fd_get(oldfd);
	if (!f)
		return -EBADF;
	spin_lock(&fs->lock);
	if ((u32)newfd >= fs->max && files_expand(fs, (u32)newfd) < 0) {
		spin_unlock(&fs->lock);
		file_put(f);
		return -ENOMEM;
	}
	old = fs->fd[newfd];
	fs->fd[newfd] = f;
	set_cloexec(fs, (u32)newfd, cloexec);
	spin_unlock(&fs->lock);
	if (old) {
		locks_remove_posix(old, fs);
		file_put(old);
	}
	return newfd;
}

int files_list_fds(struct files_struct *fs, int *fds, int max)
{
	int n = 0;

	if (!fs)
		return 0;
	spin_lock(&fs->lock);
	for (u32 i = 0; i < fs->max && n < max; i++)
		if (fs->fd[i])
			fds[n++] = (int)i;
	spin_unlock(&fs->lock);
	return n;
}

struct file *files_fd_get(struct files_struct *fs, int fd)
{
	struct file *f = NULL;

	if (!fs || fd < 0)
		return NULL;
	spin_lock(&fs->lock);
	if ((u32)fd < fs->max && fs->fd[fd]) {
		f = fs->fd[fd];
		file_get(f);
	}
	spin_unlock(&fs->lock);
	return f;
}

int files_fd_cloexec(struct files_struct *fs, int fd)
{
	int r = -EBADF;

	if (!fs || fd < 0)
		return r;
	spin_lock(&fs->lock);
	if ((u32)fd < fs->max && fs->fd[fd])
		r = get_cloexec(fs, (u32)fd) ? 1 : 0;
	spin_unlock(&fs->lock);
	return r;
}

int file_get_path(struct file *f, struct path *out)
{
	if (f->dentry) {
		out->mnt = f->mnt;
		out->dentry = f->dentry;
		path_get(out);
		return 0;
	}
	if (!f->inode)
		return -ENOENT;
	iget(f->inode);
	out->dentry = d_alloc(NULL, "anon", 4, f->inode);
	if (!out->dentry) {
		iput(f->inode);
		return -ENOMEM;
	}
	out->dentry->flags |= D_UNLINKED;
	out->mnt = &anon_mount;
	__atomic_fetch_add(&anon_mount.refcount, 1, __ATOMIC_RELAXED);
	return 0;
}

int fs_struct_path(struct fs_struct *fs, bool root, struct path *out)
{
	if (!fs)
		return -ENOENT;
	spin_lock(&fs->lock);
	*out = root ? fs->root : fs->pwd;
	path_get(out);
	spin_unlock(&fs->lock);
	return 0;
}

int file_path(struct file *f, char *buf, size_t size)
{
	if (f->dentry && f->mnt != &anon_mount) {
		struct path p = { f->mnt, f->dentry };
		return d_path(&p, buf, size);
	}
	if (!f->inode)
		return snprintf(buf, size, "anon_inode:[unknown]");
	if (S_ISFIFO(f->inode->mode))
		return snprintf(buf, size, "pipe:[%llu]", (unsigned long long)f->inode->ino);
	if (S_ISSOCK(f->inode->mode))
		return snprintf(buf, size, "socket:[%llu]", (unsigned long long)f->inode->ino);
	if (f->ops && f->ops->anon_name)
		return snprintf(buf, size, "anon_inode:[%s]", f->ops->anon_name);
	return snprintf(buf, size, "anon_inode:[%s]", f->private_data ? "file" : "unknown");
}

int files_fd_path(struct files_struct *fs, int fd, char *buf, size_t size)
{
	struct file *f = NULL;
	int ret;

	if (!fs || fd < 0)
		return -ENOENT;
	spin_lock(&fs->lock);
	if ((u32)fd < fs->max && fs->fd[fd]) {
		f = fs->fd[fd];
		file_get(f);
	}
	spin_unlock(&fs->lock);
	if (!f)
		return -ENOENT;
	ret = file_path(f, buf, size);
	file_put(f);
	return ret;
}

/* ---- fs_struct ---- */

struct fs_struct *fs_create_root(void)
{
	struct fs_struct *fs = kzalloc(sizeof(*fs));

	if (!fs)
		return NULL;
	fs->refcount = 1;
	spin_init(&fs->lock, "fs_struct");
	fs->root.mnt = vfs_root_mount;
	fs->root.dentry = vfs_root_mount->root;
	fs->pwd = fs->root;
	path_get(&fs->root);
	path_get(&fs->pwd);
	fs->umask = 022;
	return fs;
}

struct fs_struct *fs_dup(struct fs_struct *old)
{
	struct fs_struct *fs = kzalloc(sizeof(*fs));

	if (!fs)
		return NULL;
	fs->refcount = 1;
	spin_init(&fs->lock, "fs_struct");
	spin_lock(&old->lock);
	fs->root = old->root;
	fs->pwd = old->pwd;
	path_get(&fs->root);
	path_get(&fs->pwd);
	fs->umask = old->umask;
	spin_unlock(&old->lock);
	return fs;
}

void fs_put(struct fs_struct *fs)
{
	if (!fs || __atomic_sub_fetch(&fs->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	path_put(&fs->root);
	path_put(&fs->pwd);
	kfree(fs);
}

struct fs_struct *cur_fs(void)
{
	struct task *t = current->task;

	if (t && t->proc && t->proc->fs)
		return t->proc->fs;
	if (!init_fs)
		init_fs = fs_create_root();
	return init_fs;
}

void fs_get_root(struct path *out)
{
	struct fs_struct *fs = cur_fs();

	spin_lock(&fs->lock);
	*out = fs->root;
	path_get(out);
	spin_unlock(&fs->lock);
}

void fs_get_pwd(struct path *out)
{
	struct fs_struct *fs = cur_fs();

	spin_lock(&fs->lock);
	*out = fs->pwd;
	path_get(out);
	spin_unlock(&fs->lock);
}

u32 fs_umask(void)
{
	return cur_fs()->umask;
}

/* Replace root or pwd with p (referenced by the caller, reference taken over). */
void fs_set_path(bool root, const struct path *p)
{
	struct fs_struct *fs = cur_fs();
	struct path old;

	spin_lock(&fs->lock);
	if (root) {
		old = fs->root;
		fs->root = *p;
	} else {
		old = fs->pwd;
		fs->pwd = *p;
	}
	spin_unlock(&fs->lock);
	path_put(&old);
}

int fd_to_path(int dirfd, struct path *out)
{
	struct file *f;

	if (dirfd == AT_FDCWD) {
		fs_get_pwd(out);
		return 0;
	}
	f = fd_get(dirfd);
	if (!f)
		return -EBADF;
	if (!f->dentry) {
		file_put(f);
		return -ENOTDIR;
	}
	out->mnt = f->mnt;
	out->dentry = f->dentry;
	path_get(out);
	file_put(f);
	return 0;
}

/* ---- syscalls ---- */

SYSCALL_DEFINE(3, close)
{
	return fd_close((int)a0);
}

SYSCALL_DEFINE(436, close_range)
{
	u32 first = (u32)a0, last = (u32)a1, flags = (u32)a2;
	struct files_struct *fs = cur_files();

	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	if (!fs)
		return 0;
	if ((flags & CLOSE_RANGE_UNSHARE) && __atomic_load_n(&fs->refcount, __ATOMIC_RELAXED) > 1) {
		struct files_struct *n = files_dup(fs);
		if (!n)
			return -ENOMEM;
		current_proc()->files = n;
		files_put(fs);
		fs = n;
	}
	for (u32 fd = first;; fd++) {
		struct file *f = NULL;
		spin_lock(&fs->lock);
		if (fd >= fs->max) {
			spin_unlock(&fs->lock);
			break;
		}
		if (fs->fd[fd]) {
			if (flags & CLOSE_RANGE_CLOEXEC) {
				set_cloexec(fs, fd, true);
			} else {
				f = fs->fd[fd];
				fs->fd[fd] = NULL;
				set_cloexec(fs, fd, false);
			}
		}
		spin_unlock(&fs->lock);
		if (f) {
			locks_remove_posix(f, fs);
			file_put(f);
		}
		if (fd == last)
			break;
	}
	return 0;
}

SYSCALL_DEFINE(32, dup)
{
	int fd = fd_dupfd((int)a0, 0, false);
	return fd == -EINVAL ? -EMFILE : fd;
}

SYSCALL_DEFINE(33, dup2)
{
	int oldfd = (int)a0, newfd = (int)a1;

	if (oldfd == newfd) {
		struct file *f = fd_get(oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return do_dup3(oldfd, newfd, false);
}

SYSCALL_DEFINE(292, dup3)
{
	int oldfd = (int)a0, newfd = (int)a1;
	u32 flags = (u32)a2;

	if (flags & ~(u32)O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	return do_dup3(oldfd, newfd, flags & O_CLOEXEC);
}

void fs_set_umask(u32 mask)
{
	struct fs_struct *fs = cur_fs();

	spin_lock(&fs->lock);
	fs->umask = mask;
	spin_unlock(&fs->lock);
}
