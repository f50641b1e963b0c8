/* The memory character devices (mem(4), null(4)): /dev/null discards
 * writes and reads end of file; /dev/zero reads zeros and discards writes;
 * /dev/full reads zeros and fails every write with ENOSPC. They have no
 * poll op, as on Linux: poll/select find them always ready (vfs_poll's
 * default) and epoll_ctl refuses them with EPERM. Long reads of zeros stop
 * early (returning what was read) when a signal arrives, as Linux's
 * read_zero does. mmap of /dev/zero is
 * mm/'s business through file_is_dev_zero(). */
#include <skiff/errno.h>
#include <skiff/task.h>

#include "chardev.h"

#define MEM_MAJOR 1
#define CHUNK 4096

static const u8 zeros[CHUNK];

static long null_read(struct file *f, struct uio *u, u64 *pos) { return 0; }

static long null_write(struct file *f, struct uio *u, u64 *pos)
{
	size_t n = u->len;

	u->buf = (u8 *)u->buf + n;
	u->len = 0;
	return (long)n;
}

static long zero_read(struct file *f, struct uio *u, u64 *pos)
{
	size_t done = 0;

	while (u->len) {
		size_t n = u->len < CHUNK ? u->len : CHUNK;

		if (uio_copy_out(u, zeros, n))
			return done ? (long)done : -EFAULT;
		done += n;
		if (u->len && signal_pending())
			break;
	}
	return (long)done;
}

static long full_write(struct file *f, struct uio *u, u64 *pos) { return -ENOSPC; }

static const struct file_operations null_fops = {
	.read = null_read, .write = null_write,
};
static const struct file_operations zero_fops = {
	.read = zero_read, .write = null_write,
};
static const struct file_operations full_fops = {
	.read = zero_read, .write = full_write,
};

bool file_is_dev_zero(struct file *f)
{
	return f && f->ops == &zero_fops;
}

int mem_devices_register(void)
{
	int err = register_chrdev(MEM_MAJOR, 3, "null", &null_fops);

	if (!err)
		err = register_chrdev(MEM_MAJOR, 5, "zero", &zero_fops);
	if (!err)
		err = register_chrdev(MEM_MAJOR, 7, "full", &full_fops);
	return err;
}
