/* Pipes and FIFOs. One struct pipe is a byte ring shared by the read and
 * write ends; an anonymous pipe's files point at it through private_data,
 * a FIFO's through its inode (created at first open, freed when the last
 * end closes).
 *
 * Blocking: readers sleep on rd_wq until data or no writers, writers on
 * wr_wq until room or no readers, interruptibly. Moving data wakes the
 * other side with wake_up_poll (one EPOLLEXCLUSIVE epoll set, every other
 * waiter), opens and closes wake everything; a signal makes the call
 * return -ERESTARTSYS (EINTR, or a restart under SA_RESTART), or the
 * bytes already moved. Writes of at most PIPE_BUF bytes are atomic. Writing with no reader
 * raises SIGPIPE and fails with EPIPE.
 *
 * Locking: pipe->lock (fs_mutex) for the ring and counters; fifo_lock
 * (spinlock) for inode->pipe. */
#include "../fs.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/task.h>
#include <skiff/uaccess.h>
#include <uapi/poll.h>

#define PIPE_BUF 4096
#define PIPE_DEF_SIZE 65536u
#define PIPE_MAX_SIZE (1u << 20)   /* /proc/sys/fs/pipe-max-size default */
#define SIGPIPE 13
#define FIONREAD 0x541B

struct pipe {
	struct fs_mutex lock;
	char *buf;                 /* [lock] alloc_pages(order) */
	u32 size;                  /* [lock] bytes, power of two */
	u32 head, used;            /* [lock] read position, bytes stored */
	u32 readers, writers;      /* [a] open ends */
	u32 ends;                  /* [a] readers + writers; frees at 0 */
	u32 r_counter, w_counter;  /* [lock] opens so far (FIFO rendezvous) */
	struct wait_queue rd_wq, wr_wq;
	struct inode *fifo;        /* [I] FIFO inode, NULL for pipe(2) */
	bool anon;                 /* [I] made by pipe2(): reopening it through
				      /proc/P/fd/N never waits for a partner
				      (Linux: is_pipe in fifo_open) */
};

static DEFINE_SPINLOCK(fifo_lock);

static unsigned size_order(u32 size)
{
	unsigned o = 0;

	while (((u32)PAGE_SIZE << o) < size)
		o++;
	return o;
}

static struct pipe *pipe_new(void)
{
	struct pipe *p = kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	p->size = PIPE_DEF_SIZE;
	p->buf = alloc_pages(size_order(p->size));
	if (!p->buf) {
		kfree(p);
		return NULL;
	}
	fs_mutex_init(&p->lock);
	wait_queue_init(&p->rd_wq);
	wait_queue_init(&p->wr_wq);
	return p;
}

static void pipe_free(struct pipe *p)
{
	free_pages(p->buf, size_order(p->size));
	kfree(p);
}

static bool can_read(void *arg)
{
	struct pipe *p = arg;
	return READ_ONCE(p->used) > 0 || READ_ONCE(p->writers) == 0;
}

static long pipe_read(struct file *f, struct uio *u, u64 *pos)
{
	struct pipe *p = f->private_data;
	long done = 0;
	int err;

	if (!u->len)
		return 0;
	fs_mutex_lock(&p->lock);
	for (;;) {
		if (p->used) {
			while (p->used && u->len) {
				u32 n = MIN((u32)MIN(u->len, (size_t)p->used), p->size - p->head);
				err = uio_copy_out(u, p->buf + p->head, n);
				if (err) {
					if (!done)
						done = err;
					break;
				}
				p->head = (p->head + n) & (p->size - 1);
				p->used -= n;
				done += n;
			}
			if (!p->used)
				p->head = 0;
			fs_mutex_unlock(&p->lock);
			wake_up_poll(&p->wr_wq, POLLOUT | POLLWRNORM);
			return done;
		}
		if (!p->writers)
			break;
		if (f->flags & O_NONBLOCK) {
			done = -EAGAIN;
			break;
		}
		fs_mutex_unlock(&p->lock);
		err = vfs_wait_event(&p->rd_wq, can_read, p, 0);
		if (err)
			return err;
		fs_mutex_lock(&p->lock);
	}
	fs_mutex_unlock(&p->lock);
	return done;
}

struct write_wait {
	struct pipe *p;
	u32 need;
};

static bool can_write(void *arg)
{
	struct write_wait *w = arg;
	return READ_ONCE(w->p->readers) == 0 || w->p->size - READ_ONCE(w->p->used) >= w->need;
}

static long pipe_write(struct file *f, struct uio *u, u64 *pos)
{
	struct pipe *p = f->private_data;
	size_t total = u->len;
	long done = 0;
	int err;

	if (!total)
		return 0;
	fs_mutex_lock(&p->lock);
	for (;;) {
		if (!p->readers) {
			fs_mutex_unlock(&p->lock);
			if (current->task)
				send_signal_task(current_task(), SIGPIPE, 0);
			return done ? done : -EPIPE;
		}
		u32 room = p->size - p->used;
		/* atomic: a small write goes in whole or waits */
		bool fits = total <= PIPE_BUF ? room >= u->len : room > 0;
		if (fits) {
			while (u->len && p->used < p->size) {
				u32 tail = (p->head + p->used) & (p->size - 1);
				u32 n = MIN((u32)MIN(u->len, (size_t)(p->size - p->used)), p->size - tail);
				err = uio_copy_in(u, p->buf + tail, n);
				if (err) {
					fs_mutex_unlock(&p->lock);
					wake_up_poll(&p->rd_wq, POLLIN | POLLRDNORM);
					return done ? done : err;
				}
				p->used += n;
				done += n;
			}
			wake_up_poll(&p->rd_wq, POLLIN | POLLRDNORM);
			if (!u->len)
				break;
		}
		if (f->flags & O_NONBLOCK) {
			if (!done)
				done = -EAGAIN;
			break;
		}
		struct write_wait ww = { p, total <= PIPE_BUF ? (u32)u->len : 1 };
		fs_mutex_unlock(&p->lock);
		err = vfs_wait_event(&p->wr_wq, can_write, &ww, 0);
		if (err)
			return done ? done : err;
		fs_mutex_lock(&p->lock);
	}
	fs_mutex_unlock(&p->lock);
	if (done > 0 && f->inode)
		f->inode->mtime = f->inode->ctime = vfs_now();
	return done;
}

static u32 pipe_poll(struct file *f, struct poll_table *pt)
{
	struct pipe *p = f->private_data;
	u32 mask = 0;

	if (f->fmode & FMODE_READ)
		poll_wait(f, &p->rd_wq, pt);
	if (f->fmode & FMODE_WRITE)
		poll_wait(f, &p->wr_wq, pt);
	u32 used = READ_ONCE(p->used), readers = READ_ONCE(p->readers), writers = READ_ONCE(p->writers);
	if (f->fmode & FMODE_READ) {
		if (used)
			mask |= POLLIN | POLLRDNORM;
		if (!writers && (!p->fifo || READ_ONCE(p->w_counter)))
			mask |= POLLHUP;
	}
	if (f->fmode & FMODE_WRITE) {
		if (used < p->size)
			mask |= POLLOUT | POLLWRNORM;
		if (!readers)
			mask |= POLLERR;
	}
	return mask;
}

static long pipe_ioctl(struct file *f, u32 cmd, u64 arg)
{
	struct pipe *p = f->private_data;

	if (cmd == FIONREAD)
		return put_user_u32(READ_ONCE(p->used), (void *)arg) ? -EFAULT : 0;
	return -ENOTTY;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->private_data;
	bool last;

	/* counts are atomic: fifo_open raises them under fifo_lock only */
	u32 n = 0;
	if (f->fmode & FMODE_READ) {
		__atomic_fetch_sub(&p->readers, 1, __ATOMIC_ACQ_REL);
		n++;
	}
	if (f->fmode & FMODE_WRITE) {
		__atomic_fetch_sub(&p->writers, 1, __ATOMIC_ACQ_REL);
		n++;
	}
	/* Wake before dropping our share of `ends`: once it reaches zero the
	 * other end may free the pipe. */
	wake_up_all(&p->rd_wq);
	wake_up_all(&p->wr_wq);
	last = __atomic_sub_fetch(&p->ends, n, __ATOMIC_ACQ_REL) == 0;
	if (!last)
		return;
	if (p->fifo) {
		spin_lock(&fifo_lock);
		/* a new opener may have found it meanwhile */
		if (__atomic_load_n(&p->ends, __ATOMIC_ACQUIRE)) {
			spin_unlock(&fifo_lock);
			return;
		}
		p->fifo->pipe = NULL;
		spin_unlock(&fifo_lock);
	}
	pipe_free(p);
}

static s64 pipe_llseek(struct file *f, s64 off, int whence)
{
	return -ESPIPE;
}

static const struct file_operations pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.poll = pipe_poll,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
	.llseek = pipe_llseek,
};

bool file_is_pipe(struct file *f)
{
	return f->ops == &pipe_ops;
}

/* F_GETPIPE_SZ / F_SETPIPE_SZ. */
long pipe_fcntl(struct file *f, int cmd, u64 arg)
{
	struct pipe *p = f->private_data;
	long ret;

	if (f->ops != &pipe_ops)
		return -EBADF;
	if (cmd == F_GETPIPE_SZ)
		return p->size;
	if (arg > PIPE_MAX_SIZE && vfs_fsuid() != 0)
		return -EPERM;
	if (arg > (1u << 30))
		return -EINVAL;
	u32 size = PAGE_SIZE;
	while (size < arg)
		size <<= 1;
	char *nb = alloc_pages(size_order(size));
	if (!nb)
		return -ENOMEM;
	fs_mutex_lock(&p->lock);
	if (p->used > size) {
		fs_mutex_unlock(&p->lock);
		free_pages(nb, size_order(size));
		return -EBUSY;
	}
	for (u32 i = 0; i < p->used; i++)
		nb[i] = p->buf[(p->head + i) & (p->size - 1)];
	free_pages(p->buf, size_order(p->size));
	p->buf = nb;
	p->size = size;
	p->head = 0;
	ret = size;
	fs_mutex_unlock(&p->lock);
	wake_up_all(&p->wr_wq);
	return ret;
}

struct counter_wait {
	u32 *ctr;
	u32 start;
};

static bool counter_moved(void *arg)
{
	struct counter_wait *c = arg;
	return READ_ONCE(*c->ctr) != c->start;
}

/* Open of a FIFO inode: rendezvous of readers and writers (fifo(7)). */
int fifo_open(struct inode *ino, struct file *f)
{
	struct pipe *p, *fresh = NULL;
	u32 acc = f->flags & O_ACCMODE;
	int err = 0;

	for (;;) {
		spin_lock(&fifo_lock);
		p = ino->pipe;
		if (!p && fresh) {
			p = fresh;
			p->fifo = ino;
			ino->pipe = p;
			fresh = NULL;
		}
		if (p) {
			/* pin it across the unlock: count ourselves now */
			__atomic_fetch_add(acc == O_WRONLY ? &p->writers : &p->readers, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&p->ends, 1, __ATOMIC_RELAXED);
			if (acc == O_RDWR) {
				__atomic_fetch_add(&p->writers, 1, __ATOMIC_RELAXED);
				__atomic_fetch_add(&p->ends, 1, __ATOMIC_RELAXED);
			}
		}
		spin_unlock(&fifo_lock);
		if (p)
			break;
		fresh = pipe_new();
		if (!fresh)
			return -ENOMEM;
	}
	if (fresh)
		pipe_free(fresh);
	f->ops = &pipe_ops;
	f->private_data = p;

	fs_mutex_lock(&p->lock);
	if (acc == O_RDONLY) {
		p->r_counter++;
		struct counter_wait cw = { &p->w_counter, p->w_counter };
		bool block = !p->anon && !p->writers && !(f->flags & O_NONBLOCK);
		fs_mutex_unlock(&p->lock);
		wake_up_all(&p->wr_wq);
		if (block)
			err = vfs_wait_event(&p->rd_wq, counter_moved, &cw, 0);
	} else if (acc == O_WRONLY) {
		if (!p->anon && !p->readers && (f->flags & O_NONBLOCK)) {
			fs_mutex_unlock(&p->lock);
			err = -ENXIO;
		} else {
			p->w_counter++;
			struct counter_wait cw = { &p->r_counter, p->r_counter };
			bool block = !p->anon && !p->readers;
			fs_mutex_unlock(&p->lock);
			wake_up_all(&p->rd_wq);
			if (block)
				err = vfs_wait_event(&p->wr_wq, counter_moved, &cw, 0);
		}
	} else {
		p->r_counter++;
		p->w_counter++;
		fs_mutex_unlock(&p->lock);
		wake_up_all(&p->rd_wq);
		wake_up_all(&p->wr_wq);
	}
	if (err) {
		/* undo our count, as pipe_release would */
		pipe_release(f);
		return err;
	}
	return 0;
}

void pipe_inode_release(struct inode *ino)
{
	/* A FIFO inode dies only after its last file: nothing is left. */
	(void)ino;
}

SYSCALL_DEFINE(293, pipe2)
{
	int flags = (int)a1;
	struct file *files[2];
	struct pipe *p;
	int fds[2], err;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	p = pipe_new();
	if (!p)
		return -ENOMEM;
	files[0] = anon_file_create(&pipe_ops, S_IFIFO | 0600, O_RDONLY | (flags & O_NONBLOCK), p);
	if (IS_ERR(files[0])) {
		pipe_free(p);
		return PTR_ERR(files[0]);
	}
	files[1] = file_alloc(&pipe_ops, O_WRONLY | (flags & O_NONBLOCK));
	if (!files[1]) {
		files[0]->ops = NULL;
		file_put(files[0]);
		pipe_free(p);
		return -ENOMEM;
	}
	files[1]->inode = files[0]->inode;
	iget(files[1]->inode);
	files[1]->private_data = p;
	/* reachable as a FIFO through /proc/P/fd/N */
	p->fifo = files[0]->inode;
	p->anon = true;
	files[0]->inode->pipe = p;
	p->readers = p->writers = 1;
	p->ends = 2;
	p->r_counter = p->w_counter = 1;
	err = fd_install_many(files, 2, flags & O_CLOEXEC, fds);
	if (err) {
		file_put(files[0]);
		file_put(files[1]);
		return err;
	}
	if (copy_to_user((void *)a0, fds, sizeof(fds))) {
		fd_close(fds[0]);
		fd_close(fds[1]);
		return -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE(22, pipe)
{
	return sys_pipe2(a0, 0, 0, 0, 0, 0);
}
