/* VFS internals shared by fs/ (the VFS core in fs/vfs/ and the file systems
 * tmpfs, devfs, proc, sysfs, pipefs). Not for other subsystems: they use
 * include/skiff/vfs.h.
 *
 * Model. A super_block is one mounted file system instance; a mount places
 * its root dentry on a dentry of another mount. Dentries form a tree of
 * names; each positive dentry references its inode.
 *
 *   Pinned file systems (SB_PINNED: tmpfs, devfs, sysfs) keep their whole
 *   tree in dentries: the children list of a directory dentry IS the
 *   directory. A linked dentry holds one "tree" reference on itself, dropped
 *   when it is unlinked.
 *   Dynamic file systems (proc) answer iops->lookup / iops->readdir; their
 *   dentries are not kept in the parent's list and die with their last user.
 *
 * Locking:
 *   vfs_ns_lock (fs_mutex) serialises every change to the name space: the
 *     dentry tree ([ns] fields), the mount table, directory contents, and
 *     lookups in pinned directories.
 *   inode->lock (fs_mutex) protects file data and size ([i] fields).
 *   Order: vfs_ns_lock, then inode->lock.
 *   Reference counts are atomic ([a]). */
#ifndef FS_FS_H
#define FS_FS_H

#include <skiff/vfs.h>
#include <skiff/errno.h>
#include <skiff/list.h>
#include <uapi/stat.h>
#include <uapi/fcntl.h>
#include <uapi/statfs.h>

#define PATH_MAX 4096
#define SIGXFSZ 25
#define NAME_MAX 255
#define MAXSYMLINKS 40

struct super_block;
struct kstat;
struct dir_context;
struct path;

struct inode_operations {
	/* Dynamic directories: the child called name, or ERR_PTR(-ENOENT). */
	struct inode *(*lookup)(struct inode *dir, const char *name);
	/* Dynamic directories: emit entries from ctx->pos on. */
	int (*readdir)(struct file *f, struct dir_context *ctx);
	/* Symlinks: target into buf (NUL-terminated), length or -errno. */
	int (*readlink)(struct inode *ino, char *buf, size_t size);
	/* Dynamic (non-pinned) file systems: name-space changes in dir. The
	 * VFS has checked permissions, existence and types and holds
	 * vfs_ns_lock. create makes regular files, FIFOs, sockets and
	 * devices (*out: the new inode, referenced, or NULL if unwanted). */
	int (*create)(struct inode *dir, const char *name, u32 mode, u64 rdev, struct inode **out);
	int (*mkdir)(struct inode *dir, const char *name, u32 mode);
	int (*symlink)(struct inode *dir, const char *name, const char *target);
	int (*link)(struct inode *dir, const char *name, struct inode *target);
	int (*unlink)(struct inode *dir, const char *name);
	int (*rmdir)(struct inode *dir, const char *name);  /* ENOTEMPTY from the fs */
	int (*rename)(struct inode *odir, const char *oname, struct inode *ndir, const char *nname,
		      u32 flags);
	/* Persist mode/uid/gid/times after chmod/chown/utimensat (optional). */
	int (*setattr)(struct inode *ino);
	/* Magic links (/proc/P/fd/N, exe, cwd): the referenced path itself. */
	int (*get_link_path)(struct inode *ino, struct path *out);
	/* Regular files: set size (inode->lock held). */
	int (*truncate)(struct inode *ino, u64 size);
};

struct super_operations {
	/* A new inode of this fs (mode includes S_IF*), or NULL. */
	struct inode *(*alloc_inode)(struct super_block *sb, u32 mode);
	/* Last reference gone: free private data (inode itself freed by VFS). */
	void (*evict_inode)(struct inode *ino);
	/* statfs numbers. */
	void (*statfs)(struct super_block *sb, u64 *blocks, u64 *bfree, u64 *files, u64 *ffree);
};

#define SB_PINNED 1u  /* dentry tree is the fs (see above) */
#define SB_FIXED  2u  /* no name-space changes from user space (sysfs): EPERM */

struct super_block {
	const struct super_operations *ops; /* [I] */
	const char *type;                   /* [I] "tmpfs", "proc"... */
	struct dentry *root;                /* [I] */
	u32 dev;                            /* [I] st_dev (major 0, minor n) */
	u32 flags;                          /* [I] SB_* */
	u32 magic;                          /* [I] statfs f_type */
	u64 next_ino;                       /* [a] */
	u32 nmounts;                        /* [ns] mounts showing it */
	bool shared;                        /* [I] one instance for all mounts (devtmpfs, sysfs, proc) */
	void *priv;
};

struct inode {
	s32 refcount;                       /* [a] */
	u32 mode;                           /* [i] S_IF* | permissions */
	u32 uid, gid;                       /* [i] */
	u32 nlink;                          /* [ns] */
	u64 ino;                            /* [I] */
	u64 size;                           /* [i] */
	u64 blocks;                         /* [a] 512-byte units in use; BLOCKS_FROM_SIZE: derive */
	u64 rdev;                           /* [I] device number (uapi encoding) */
	s64 atime, mtime, ctime, btime;     /* [i] ns since the epoch */
	struct super_block *sb;             /* [I] */
	const struct inode_operations *iops;/* [I] */
	const struct file_operations *fops; /* [I] */
	struct fs_mutex lock;
	struct list_head locks;             /* [flock_lock] record/flock locks */
	struct wait_queue lock_wq;          /* lock waiters */
	void *pipe;                         /* [ns] FIFO: struct pipe while open */
	u32 mounted;                        /* [ns] mounts stacked on it */
	void *priv;                         /* fs private (tmpfs pages, symlink text) */
};

#define BLOCKS_FROM_SIZE (~0ull)

#define D_UNLINKED 1u  /* removed from its directory */

struct dentry {
	s32 refcount;                /* [a] */
	u32 flags;                   /* [ns] D_* */
	char *name;                  /* [ns] kmalloc'd */
	struct dentry *parent;       /* [ns] referenced; self for a root */
	struct inode *inode;         /* [I] referenced */
	struct super_block *sb;      /* [I] */
	struct list_head children;   /* [ns] pinned fs: linked children */
	struct list_head sibling;    /* [ns] */
	u64 cookie;                  /* [ns] readdir position of this entry */
	u64 next_cookie;             /* [ns] directories: next child's cookie */
};

struct mount {
	s32 refcount;                /* [a] table reference + users (files, cwd) */
	u32 flags;                   /* [ns] MS_* */
	struct super_block *sb;      /* [I] */
	struct dentry *root;         /* [I] */
	struct mount *parent;        /* [I] NULL for the root mount */
	struct dentry *mountpoint;   /* [I] in parent */
	char *source;                /* [I] for /proc/mounts */
	u32 id;                      /* [I] mount id */
	struct list_head link;       /* [ns] vfs_mounts */
	s32 writers;                 /* [a] open files that may write (file_is_writer) */
	bool expiry_mark;            /* [a] umount2(MNT_EXPIRE) marked it; path_put clears */
};

/* A file counted in its mount's writers while open (Linux's write access
 * taken by an open for writing): a regular file opened for writing. */
static inline bool file_is_writer(const struct file *f)
{
	return f->mnt && f->inode && (f->fmode & (FMODE_WRITE | FMODE_PATH)) == FMODE_WRITE &&
	       S_ISREG(f->inode->mode);
}

struct path {
	struct mount *mnt;
	struct dentry *dentry;
};

/* readdir callback: returns false when the buffer is full. */
struct dir_context {
	bool (*emit)(struct dir_context *ctx, const char *name, size_t len,
		     u64 ino, unsigned type, u64 next_pos);
	u64 pos;
};

struct fs_type {
	const char *name;
	/* A super block for a new mount (or the shared one), or ERR_PTR. */
	struct super_block *(*get_sb)(const char *source, u32 flags, const void *data);
	bool nodev;  /* /proc/filesystems "nodev" column */
};

extern struct fs_mutex vfs_ns_lock;
extern spinlock_t d_tree_lock;
#define assert_fs_ns_held() BUG_ON(!__atomic_load_n(&vfs_ns_lock.locked, __ATOMIC_RELAXED))
extern struct list_head vfs_mounts;
extern struct mount *vfs_root_mount;

/* ---- fs/vfs/mutex.c, dcache.c ---- */
struct inode *inode_new(struct super_block *sb, u32 mode, const struct inode_operations *iops,
			const struct file_operations *fops);
void iget(struct inode *ino);
void iput(struct inode *ino);
struct dentry *d_alloc(struct dentry *parent, const char *name, size_t len, struct inode *ino);
void dget(struct dentry *d);
void dput(struct dentry *d);
/* Pinned fs: link d (from d_alloc) under its parent. [ns] held. */
void d_link(struct dentry *d);
void d_unlink(struct dentry *d);
/* Child of dir called name: referenced dentry, ERR_PTR(-ENOENT) or other errno.
 * [ns] held. */
struct dentry *d_lookup(struct dentry *dir, const char *name, size_t len);
struct super_block *sb_new(const char *type, const struct super_operations *ops, u32 flags, u32 magic);
void path_get(const struct path *p);
void path_put(const struct path *p);
s64 vfs_now(void);
u64 inode_blocks(struct inode *ino);
unsigned dtype_of(u32 mode);
/* Pinned fs: emit children of f's directory from ctx->pos. */
int dcache_readdir(struct file *f, struct dir_context *ctx);

/* ---- fs/vfs/mount.c ---- */
void register_filesystem(const struct fs_type *t);
const struct fs_type *fs_type_find(const char *name);
int vfs_mount_at(const struct path *mp, const char *type, const char *source, u32 flags, const void *data);
/* The mount stacked on (mnt, d), or NULL. [ns] held. */
struct mount *mount_lookup(struct mount *mnt, struct dentry *d);
int mounts_text(char *buf, size_t size);
int mountinfo_text(char *buf, size_t size);
int vfs_mount_root(struct super_block *sb);
/* Count an open file that may write to m (file_is_writer), before the
 * file's open op runs: 0, or -EROFS (still counted) when m went read-only
 * since the caller checked. mnt_put_writer drops the count in both cases. */
int mnt_get_writer(struct mount *m);
void mnt_put_writer(struct mount *m);
struct statfs;
int vfs_statfs(const struct path *p, struct statfs *st);
int vfs_readdir(struct file *f, struct dir_context *ctx);
int filesystems_text(char *buf, size_t size);

/* ---- fs/vfs/namei.c ---- */
#define LOOKUP_FOLLOW    1u  /* follow a final symlink */
#define LOOKUP_DIRECTORY 2u  /* final component must be a directory */
#define LOOKUP_EMPTY     4u  /* "" means dirfd itself (AT_EMPTY_PATH) */

int path_lookupat(int dirfd, const char *name, unsigned flags, struct path *out);
/* Walk all but the last component. On success *parent is referenced and
 * last/len name the final component (pointing into name); *trailing is set
 * when name ended in '/'. Final "." or ".." give -EEXIST-ish errors to the
 * callers through last_type. */
#define LAST_NORM 0
#define LAST_DOT  1
#define LAST_DOTDOT 2
#define LAST_ROOT 3
int path_parentat(int dirfd, const char *name, struct path *parent, const char **last,
		  size_t *len, int *last_type, bool *trailing);
/* The same relative to base (a referenced path) instead of dirfd when
 * base is non-NULL. */
int path_lookup_base(int dirfd, const struct path *base, const char *name, unsigned flags,
		     struct path *out);
int path_parent_base(int dirfd, const struct path *base, const char *name, struct path *parent,
		     const char **last, size_t *len, int *last_type, bool *trailing);
/* Copy a user path into a kmalloc'd PATH_MAX buffer; kfree it. */
char *getname(u64 upath, int *err);
/* Permission: mask of MAY_* against ino for the current credentials. */
#define MAY_EXEC  1
#define MAY_WRITE 2
#define MAY_READ  4
int inode_permission(struct inode *ino, int mask);
/* Absolute path of p (relative to the process root) into buf. */
int d_path(const struct path *p, char *buf, size_t size);
bool path_is_dir(const struct path *p);
int d_path_global(const struct path *p, char *buf, size_t size);

/* ---- fs/vfs/file.c, open.c ---- */
struct file *file_alloc(const struct file_operations *ops, int flags);
struct file *vfs_open_path(const struct path *p, int flags);
struct file *vfs_openat(int dirfd, const char *name, int flags, u32 mode);
int vfs_truncate_inode(struct inode *ino, u64 size);
struct fs_struct *cur_fs(void);
void fs_get_root(struct path *out);
void fs_get_pwd(struct path *out);
u32 fs_umask(void);
void fs_set_path(bool root, const struct path *p);
void fs_set_umask(u32 mask);
int fd_get_cloexec(int fd);
int fd_set_cloexec(int fd, bool on);
int fd_dupfd(int oldfd, u32 start, bool cloexec);
int fd_close(int fd);
/* fd of another table, referenced (for /proc/P/fd), or NULL. */
struct file *files_fd_get(struct files_struct *fs, int fd);
int files_fd_cloexec(struct files_struct *fs, int fd);  /* 1, 0 or -EBADF */
/* The path a file was opened by; anonymous files get a detached dentry on
 * an internal mount. Referenced. */
int file_get_path(struct file *f, struct path *out);
/* Another process's root or cwd (for /proc/P/root, cwd). */
struct fs_struct;
int fs_struct_path(struct fs_struct *fs, bool root, struct path *out);
/* fs/vfs/locks.c: drop the POSIX locks owner holds on f's inode / every
 * lock that belongs to the open file description f. */
void locks_remove_posix(struct file *f, void *owner);
void locks_remove_file(struct file *f);
#define ANON_FS_MAGIC 0x09041934
/* dirfd (or AT_FDCWD) as a referenced path. */
int fd_to_path(int dirfd, struct path *out);

/* ---- fs/vfs/chrdev.c ---- */
const struct file_operations *chrdev_lookup(u64 rdev);
int chrdev_open(struct inode *ino, struct file *f);
/* Walk registered devices (devfs populates itself). */
void chrdev_for_each(void (*fn)(u32 major, u32 minor, const char *name));
extern void (*chrdev_register_hook)(u32 major, u32 minor, const char *name);

/* ---- namespace operations (fs/vfs/namei_ops.c), kernel paths ---- */
int vfs_mkdirat(int dirfd, const char *name, u32 mode);
int vfs_mknodat(int dirfd, const char *name, u32 mode, u64 dev);
int vfs_unlinkat(int dirfd, const char *name, int flags);
int vfs_symlinkat(const char *target, int dirfd, const char *name);
int vfs_linkat(int olddirfd, const char *oldname, int newdirfd, const char *newname, int flags);
int vfs_renameat2(int olddirfd, const char *oldname, int newdirfd, const char *newname, u32 flags);
long vfs_readlinkat(int dirfd, const char *name, char *buf, size_t size);
/* Shared checks of fs/vfs/namei_ops.c and rename.c. [ns] held. */
int may_delete(struct path *parent, struct dentry *victim);
int may_create(struct path *parent);
bool is_pinned(struct path *p);
bool mounted_on(struct mount *mnt, struct dentry *d);
bool dir_empty(struct dentry *d);
/* Create the final component of name (relative to dirfd) as a node of
 * mode (rdev for devices, target for a symlink), with Linux's errors
 * (EEXIST, ENOENT for a trailing slash on a non-directory, may_create's).
 * With out, the new node's path is returned with references held. */
int vfs_create_at(int dirfd, const char *name, u32 mode, u64 rdev, const char *target,
		  struct path *out);
/* Pinned fs: create a node of mode under parent (tmpfs/devfs helpers). */
int vfs_create_in(struct dentry *parent, const char *name, u32 mode, u64 rdev,
		  const char *symlink_target, struct dentry **out);

/* ---- fs/vfs/read_write.c ---- */
long vfs_read(struct file *f, struct uio *u, u64 *pos);
long vfs_write(struct file *f, struct uio *u, u64 *pos);
long kernel_write(struct file *f, u64 off, const void *buf, size_t len);
s64 vfs_llseek(struct file *f, s64 off, int whence);

/* ---- fs/vfs/pipe.c ---- */
int fifo_open(struct inode *ino, struct file *f);
bool file_is_pipe(struct file *f);
u32 vfs_poll(struct file *f, struct poll_table *pt);
long pipe_fcntl(struct file *f, int cmd, u64 arg);
void pipe_inode_release(struct inode *ino);

/* ---- file systems ---- */
void tmpfs_register(void);
struct super_block *tmpfs_new_sb(void);
struct super_block *tmpfs_new_named(const char *type, u32 root_mode, u32 magic);
void devfs_register(void);
struct super_block *devfs_sb(void);
void proc_register(void);
void sysfs_register(void);
void ext2_register(void);   /* fs/ext2/vfs_glue.c */
extern const struct file_operations tmpfs_file_ops;
/* A tmpfs-like pinned file whose content is generated on open. */
struct gen_file {
	int (*gen)(char *buf, size_t size, void *arg);
	void *arg;
};
extern const struct file_operations gen_file_ops;
int gen_text_read(char **bufp, size_t *lenp, int (*gen)(char *, size_t, void *), void *arg);

/* ---- fs/initramfs.c ---- */
int initramfs_unpack(const void *data, size_t size);

#endif
