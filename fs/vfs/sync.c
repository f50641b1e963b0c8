/* sync, syncfs, fsync, fdatasync. tmpfs has nothing to write back;
 * block-backed file systems (ext2) flush through vfs_sync_all. */
#include "../fs.h"
#include <skiff/syscall.h>

int ext2_sync_all(void);       /* fs/ext2/vfs_glue.c */
void ext2_shutdown_all(void);

void vfs_sync_all(void)
{
	ext2_sync_all();
}

/* reboot(2): everything to stable storage and every file system marked
 * clean; nothing writes to them afterwards. */
void vfs_shutdown_all(void)
{
	ext2_shutdown_all();
}

SYSCALL_DEFINE(162, sync)
{
	vfs_sync_all();
	return 0;
}

SYSCALL_DEFINE(306, syncfs)
{
	struct file *f = fd_get((int)a0);

	if (!f)
		return -EBADF;
	file_put(f);
	vfs_sync_all();
	return 0;
}

static long do_fsync(int fd, bool datasync)
{
	struct file *f = fd_get(fd);
	long r;

	if (!f)
		return -EBADF;
	if (f->fmode & FMODE_PATH)
		r = -EBADF;
	else if (!f->ops || !f->ops->fsync)
		r = -EINVAL;
	else
		r = f->ops->fsync(f, datasync);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(74, fsync)
{
	return do_fsync((int)a0, false);
}

SYSCALL_DEFINE(75, fdatasync)
{
	return do_fsync((int)a0, true);
}
