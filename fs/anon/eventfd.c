/* eventfd and eventfd2: a 64-bit counter behind a file descriptor
 * (eventfd(2)).
 *
 * read of at least 8 bytes returns the counter and zeroes it, or, with
 * EFD_SEMAPHORE, returns 1 and decrements it; on a zero counter it blocks
 * (interruptibly: -ERESTARTSYS) or fails with EAGAIN under O_NONBLOCK.
 * write of 8 bytes adds a value; 0xffffffffffffffff is EINVAL, and a sum
 * that would reach it blocks or fails with EAGAIN. Readiness: POLLIN when
 * the counter is non-zero, POLLOUT while a write of 1 would not block,
 * POLLERR at the maximum (which only an overflow elsewhere could reach).
 *
 * Locking: ctx->lock (spinlock, irqsave) protects the counter; it is never
 * held across a user copy or a wakeup. Waiters (blocked readers/writers,
 * poll/select, epoll callbacks) are on ctx->wq; a change of the counter
 * wakes it after the lock is dropped with the poll key of what became
 * possible: POLLIN after a write, POLLOUT after a read. A sleeper queues
 * itself before re-testing the counter (vfs_wait_event), so a wakeup
 * between its test and its sleep is not lost. */
#include "../fs.h"
#include "../poll.h"
#include <skiff/mm.h>
#include <skiff/syscall.h>
#include <skiff/task.h>
#include <uapi/eventfd.h>
#include <uapi/poll.h>

#define EFD_MAX ~0ull

struct eventfd_ctx {
	spinlock_t lock;
	u64 count;              /* [lock] */
	bool semaphore;         /* [I] EFD_SEMAPHORE */
	struct wait_queue wq;
};

static bool efd_readable(void *arg)
{
	struct eventfd_ctx *ctx = arg;
	return READ_ONCE(ctx->count) > 0;
}

/* Take what a read returns: 0 (nothing yet) or the value. [lock] held. */
static u64 efd_take(struct eventfd_ctx *ctx)
{
	u64 v;

	assert_held(&ctx->lock);
	if (!ctx->count)
		return 0;
	v = ctx->semaphore ? 1 : ctx->count;
	ctx->count -= v;
	return v;
}

static long efd_read(struct file *f, struct uio *u, u64 *pos)
{
	struct eventfd_ctx *ctx = f->private_data;
	u64 v;

	if (u->len < sizeof(v))
		return -EINVAL;
	for (;;) {
		u64 fl = spin_lock_irqsave(&ctx->lock);
		v = efd_take(ctx);
		spin_unlock_irqrestore(&ctx->lock, fl);
		if (v)
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		int err = vfs_wait_event(&ctx->wq, efd_readable, ctx, 0);
		if (err)
			return err;
	}
	wake_up_poll(&ctx->wq, POLLOUT);
	if (uio_copy_out(u, &v, sizeof(v)))
		return -EFAULT;  /* the value is consumed, as on Linux */
	return sizeof(v);
}

struct efd_add {
	struct eventfd_ctx *ctx;
	u64 v;
};

static bool efd_room(void *arg)
{
	struct efd_add *a = arg;
	return EFD_MAX - READ_ONCE(a->ctx->count) > a->v;
}

static long efd_write(struct file *f, struct uio *u, u64 *pos)
{
	struct eventfd_ctx *ctx = f->private_data;
	struct efd_add a = { ctx, 0 };

	if (u->len < sizeof(a.v))
		return -EINVAL;
	if (uio_copy_in(u, &a.v, sizeof(a.v)))
		return -EFAULT;
	if (a.v == EFD_MAX)
		return -EINVAL;
	for (;;) {
		u64 fl = spin_lock_irqsave(&ctx->lock);
		bool done = EFD_MAX - ctx->count > a.v;
		if (done)
			ctx->count += a.v;
		spin_unlock_irqrestore(&ctx->lock, fl);
		if (done)
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		int err = vfs_wait_event(&ctx->wq, efd_room, &a, 0);
		if (err)
			return err;
	}
	wake_up_poll(&ctx->wq, POLLIN);
	return sizeof(a.v);
}

static u32 efd_poll(struct file *f, struct poll_table *pt)
{
	struct eventfd_ctx *ctx = f->private_data;
	u32 mask = 0;

	poll_wait(f, &ctx->wq, pt);
	u64 c = READ_ONCE(ctx->count);
	if (c > 0)
		mask |= POLLIN;
	if (c == EFD_MAX)
		mask |= POLLERR;
	if (EFD_MAX - 1 > c)
		mask |= POLLOUT;
	return mask;
}

static void efd_release(struct file *f)
{
	kfree(f->private_data);
}

/* lseek leaves the position (always 0) alone: Linux's noop_llseek. */
static s64 anon_noop_llseek(struct file *f, s64 off, int whence)
{
	return (s64)f->pos;
}

static const struct file_operations eventfd_ops = {
	.read = efd_read,
	.write = efd_write,
	.poll = efd_poll,
	.release = efd_release,
	.llseek = anon_noop_llseek,
	.anon_name = "eventfd",
};

static long do_eventfd(u32 initval, int flags)
{
	struct eventfd_ctx *ctx;
	struct file *f;
	int fd;

	if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	ctx = kzalloc(sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	spin_init(&ctx->lock, "eventfd");
	wait_queue_init(&ctx->wq);
	ctx->count = initval;
	ctx->semaphore = flags & EFD_SEMAPHORE;
	/* Mode 0600 without a type, like Linux's anonymous inode. */
	f = anon_file_create(&eventfd_ops, 0600, O_RDWR | (flags & EFD_NONBLOCK), ctx);
	if (IS_ERR(f)) {
		kfree(ctx);
		return PTR_ERR(f);
	}
	fd = fd_install(f, flags & EFD_CLOEXEC);
	if (fd < 0)
		file_put(f);  /* frees ctx through efd_release */
	return fd;
}

SYSCALL_DEFINE(290, eventfd2)
{
	return do_eventfd((u32)a0, (int)a1);
}

SYSCALL_DEFINE(284, eventfd)
{
	return do_eventfd((u32)a0, 0);
}
