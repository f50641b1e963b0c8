/* /dev/random (1:8) and /dev/urandom (1:9), random(4): both read from the
 * kernel's generator (get_random_bytes, kernel/proc/random.c) and never
 * block, as Linux since 5.6 once the pool is initialised; writes are
 * accepted and ignored (the generator does not take user entropy); poll is
 * always ready. Long reads stop at a 4 KiB boundary when a signal is
 * pending. ioctl: RNDGETENTCNT reports a full pool (256 bits); the
 * privileged ones succeed for root and fail with EPERM otherwise. */
#include <skiff/errno.h>
#include <skiff/task.h>
#include <skiff/uaccess.h>
#include <uapi/poll.h>

#include "chardev.h"

void get_random_bytes(void *buf, size_t n);

#define RNDGETENTCNT   0x80045200
#define RNDADDTOENTCNT 0x40045201
#define RNDGETPOOL     0x80085202
#define RNDADDENTROPY  0x40085203
#define RNDZAPENTCNT   0x5204
#define RNDCLEARPOOL   0x5206
#define RNDRESEEDCRNG  0x5207

static long random_read(struct file *f, struct uio *u, u64 *pos)
{
	size_t done = 0;

	while (u->len) {
		u8 buf[256];
		size_t n = u->len < sizeof(buf) ? u->len : sizeof(buf);

		get_random_bytes(buf, n);
		if (uio_copy_out(u, buf, n))
			return done ? (long)done : -EFAULT;
		done += n;
		if (u->len && done % 4096 == 0 && signal_pending())
			break;
	}
	return (long)done;
}

static long random_write(struct file *f, struct uio *u, u64 *pos)
{
	size_t done = 0;

	while (u->len) {
		u8 buf[256];
		size_t n = u->len < sizeof(buf) ? u->len : sizeof(buf);

		if (uio_copy_in(u, buf, n))
			return done ? (long)done : -EFAULT;
		done += n;
	}
	return (long)done;
}

static u32 random_poll(struct file *f, struct poll_table *pt)
{
	return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
}

static long random_ioctl(struct file *f, u32 cmd, u64 arg)
{
	struct task *t = current_task();
	bool root = !t || t->proc->euid == 0;

	switch (cmd) {
	case RNDGETENTCNT:
		return put_user_u32(256, (void *)arg) ? -EFAULT : 0;
	case RNDADDTOENTCNT:
	case RNDADDENTROPY:
	case RNDZAPENTCNT:
	case RNDCLEARPOOL:
	case RNDRESEEDCRNG:
		return root ? 0 : -EPERM;
	}
	return -EINVAL;
}

static const struct file_operations random_fops = {
	.read = random_read, .write = random_write, .poll = random_poll, .ioctl = random_ioctl,
};

int random_devices_register(void)
{
	int err = register_chrdev(1, 8, "random", &random_fops);

	if (!err)
		err = register_chrdev(1, 9, "urandom", &random_fops);
	return err;
}
