/* The virtual file system (fs/). Owned by fs/; other subsystems use only
 * what is declared here. */
#ifndef SKIFF_VFS_H
#define SKIFF_VFS_H

#include <skiff/types.h>

#include <skiff/spinlock.h>
#include <skiff/wait.h>

struct file;
struct inode;
struct page;
struct files_struct;
struct fs_struct;
struct poll_table;
struct mount;
struct dentry;
struct epitem;

/* A buffer for read/write: user memory (through uaccess) or kernel memory. */
struct uio {
	void *buf;
	size_t len;   /* bytes left */
	bool user;
};
/* Copy to/from the buffer and advance it: 0 or -EFAULT. */
int uio_copy_out(struct uio *u, const void *src, size_t n);
int uio_copy_in(struct uio *u, void *dst, size_t n);

/* A vector of buffers (readv/writev, socket messages), consumed in order. */
struct uio_vec {
	struct uio *seg;
	u32 nseg;     /* segments left, seg[0] the current one */
	size_t len;   /* bytes left in all of them */
};
/* Copy n bytes (at most len) to/from the vector and advance it: 0 or
 * -EFAULT (the vector is advanced past what was copied). */
int uio_vec_copy_out(struct uio_vec *v, const void *src, size_t n);
int uio_vec_copy_in(struct uio_vec *v, void *dst, size_t n);

struct file_operations {
	long (*read)(struct file *f, struct uio *u, u64 *pos);   /* bytes or -errno */
	long (*write)(struct file *f, struct uio *u, u64 *pos);
	/* Readiness (POLLIN/POLLOUT/... bits); registers wait queues in pt via
	 * poll_wait() when pt is non-NULL. */
	u32 (*poll)(struct file *f, struct poll_table *pt);
	long (*ioctl)(struct file *f, u32 cmd, u64 arg);
	int (*open)(struct inode *ino, struct file *f);
	void (*release)(struct file *f);
	int (*fsync)(struct file *f, bool datasync);
	/* Optional: new position or -errno. Without it, regular files,
	 * directories and block devices seek normally, FIFOs and sockets give
	 * -ESPIPE and character devices stay at 0. */
	s64 (*llseek)(struct file *f, s64 off, int whence);
	/* Optional vector I/O: readv/writev hand over the whole vector in one
	 * call (a datagram socket sends or receives one message). Without
	 * them each segment goes to read/write in turn. */
	long (*read_vec)(struct file *f, struct uio_vec *v, u64 *pos);
	long (*write_vec)(struct file *f, struct uio_vec *v, u64 *pos);
	/* Anonymous inode files (eventfd, epoll, timerfd): the name in
	 * "anon_inode:[name]" that readlink of /proc/P/fd/N shows. */
	const char *anon_name;
};

/* An open file description. [a] refcount; other fields under f->lock. */
struct file {
	s32 refcount;                       /* [a] */
	u32 flags;                          /* O_* status flags (O_NONBLOCK, O_APPEND...) */
	u64 pos;
	const struct file_operations *ops;  /* [I] */
	struct inode *inode;                /* [I] NULL for anonymous files (pipes: their own) */
	void *private_data;
	spinlock_t lock;
	struct mount *mnt;                  /* [I] NULL for anonymous files */
	struct dentry *dentry;              /* [I] NULL for anonymous files */
	u32 fmode;                          /* [I] FMODE_READ/WRITE/PATH */
	u32 owner_pid;                      /* F_SETOWN (stored only) */
	struct epitem *ep_items;            /* [lock] epoll items watching it (fs/anon/eventpoll.c) */
};

#define FMODE_READ  1u
#define FMODE_WRITE 2u
#define FMODE_PATH  4u  /* O_PATH: no I/O */

/* poll/select support: a file's poll op calls poll_wait for every wait queue
 * a readiness change will be announced on. */
void poll_wait(struct file *f, struct wait_queue *wq, struct poll_table *pt);

/* Character devices: (major, minor) to operations. Device nodes in /dev are
 * made by fs/devfs for every registered device. */
int register_chrdev(u32 major, u32 minor, const char *name, const struct file_operations *fops);

/* Open path relative to the current process's cwd/root (as openat(AT_FDCWD)).
 * Returns a referenced file or an ERR_PTR-style negative errno cast to a
 * pointer: use IS_ERR()/PTR_ERR(). */
struct file *vfs_open(const char *path, int flags, u32 mode);
void file_get(struct file *f);
void file_put(struct file *f);
/* Read from a file at an offset into kernel memory; returns bytes or -errno. */
long kernel_read(struct file *f, u64 off, void *buf, size_t len);
/* File facts the ELF loader and mmap need. */
u64 file_size(struct file *f);
u32 file_mode(struct file *f);        /* st_mode */
bool file_may_exec(struct file *f);
/* The page holding byte pgoff*4096 of f, referenced (page cache), for
 * MAP_SHARED/MAP_PRIVATE file mappings; NULL with *err set otherwise. */
struct page *file_get_page(struct file *f, u64 pgoff, int *err);
/* Absolute path of f's dentry (for /proc/self/exe), into buf. Does not
 * sleep (callable under spinlocks). */
int file_path(struct file *f, char *buf, size_t size);

/* Process file context: fork copies, exec closes O_CLOEXEC, exit drops. */
struct files_struct *files_create(void);
struct files_struct *files_dup(struct files_struct *fs);
void files_get(struct files_struct *fs);
void files_put(struct files_struct *fs);
void files_close_on_exec(struct files_struct *fs);
struct fs_struct *fs_create_root(void);
struct fs_struct *fs_dup(struct fs_struct *fs);
void fs_put(struct fs_struct *fs);
/* Install f as the lowest free descriptor of the current process. */
int fd_install(struct file *f, bool cloexec);

void vfs_init(void);  /* mount the root tmpfs, unpack the initramfs */
bool vfs_initialized(void);
/* Mount block device dev ("/dev/vda" or "vda") with fstype (NULL: ext2)
 * as the root, read-only unless rw. 0 or -errno. */
int vfs_mount_disk_root(const char *dev, const char *fstype, bool rw);

/* ---- Additions for other subsystems ---- */

/* A referenced file (the caller's descriptor table), or NULL; drop with fd_put. */
struct file *fd_get(int fd);
static inline void fd_put(struct file *f) { file_put(f); }
/* For /proc: open fds (ascending) and the path of one of them. */
int files_list_fds(struct files_struct *fs, int *fds, int max);
int files_fd_path(struct files_struct *fs, int fd, char *buf, size_t size);
/* Flush dirty data of every file system (no-op for tmpfs). */
void vfs_sync_all(void);
void vfs_shutdown_all(void);  /* reboot: sync and mark clean */
/* A new anonymous file (pipes, sockets, eventfd...): an inode of the given
 * S_IF* mode on an internal fs, opened with ops/flags (O_ACCMODE|O_NONBLOCK..).
 * Returns a referenced file or ERR_PTR(-ENOMEM). private_data = priv. */
struct file *anon_file_create(const struct file_operations *ops, u32 mode, int flags, void *priv);
/* Allocate n descriptors at once (pipe2, socketpair): fds[i] gets files[i];
 * all or nothing. */
int fd_install_many(struct file **files, int n, bool cloexec, int *fds);
/* close(2) of the caller's descriptor: 0 or -EBADF. */
int fd_close(int fd);
/* Current process's credentials as the VFS sees them (root when no task). */
u32 vfs_fsuid(void);
u32 vfs_fsgid(void);
/* Provided by the process layer (kernel/proc/sys.c) for fs/: the caller's
 * RLIMIT_NOFILE soft limit, and the UTS host name for
 * /proc/sys/kernel/hostname. */
u64 vfs_rlimit_nofile(void);
int vfs_hostname(char *buf, size_t size);
/* RLIMIT_FSIZE soft limit of the caller (bytes, ~0 = none). fs/ has a weak
 * default (no limit) until the process layer defines it. */
u64 vfs_rlimit_fsize(void);

/* AF_UNIX names in the file system (fs/vfs/socknode.c, for net/unix): a
 * sock_node references the S_IFSOCK node of a bound socket. */
struct sock_node;
/* Create the socket node name (relative to the cwd) with permission bits
 * perm less the umask; *out references it. -EEXIST if name exists, or
 * mknod(2)'s errors. */
int vfs_sock_mknod(const char *name, u32 perm, struct sock_node **out);
/* Find the socket node name for connect/sendto: follows symlinks, needs
 * write permission (-EACCES), must be a socket (-ECONNREFUSED). */
int vfs_sock_lookup(const char *name, struct sock_node **out);
/* The node's inode, as an identity shared by every path to it. */
const void *vfs_sock_node_key(const struct sock_node *n);
void vfs_sock_node_put(struct sock_node *n);
/* Unlink name if it still names n (a bind undone). */
void vfs_sock_node_unlink(struct sock_node *n, const char *name);

/* Interruptible sleep on wq until cond(arg) holds (0), a signal is pending
 * (-ERESTARTSYS: the signal code turns it into EINTR or a restart, as
 * SA_RESTART says) or monotonic deadline passes (-ETIMEDOUT; 0 = none). */
int vfs_wait_event(struct wait_queue *wq, bool (*cond)(void *), void *arg, u64 deadline);

/* A sleeping lock for file system code (held across user copies). */
struct fs_mutex {
	u32 locked;              /* [a] */
	struct thread *owner;    /* debugging */
	struct wait_queue wq;
};
void fs_mutex_init(struct fs_mutex *m);
void fs_mutex_lock(struct fs_mutex *m);
void fs_mutex_unlock(struct fs_mutex *m);

#define MAX_ERRNO 4095
static inline bool IS_ERR(const void *p) { return (u64)p >= (u64)-MAX_ERRNO; }
static inline long PTR_ERR(const void *p) { return (long)p; }
static inline void *ERR_PTR(long e) { return (void *)e; }

#endif
