/* fcntl(2) and ioctl(2) generic commands. */
#include "../fs.h"
#include <skiff/syscall.h>
#include <skiff/task.h>
#include <skiff/uaccess.h>

#define FIONREAD  0x541B
#define FIONBIO   0x5421
#define FIONCLEX  0x5450
#define FIOCLEX   0x5451
#define FIOASYNC  0x5452
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

long fcntl_lock(struct file *f, void *files, int cmd, u64 uarg);

static void *cur_files_ptr(void)
{
	return current->task ? (void *)current_proc()->files : NULL;
}

SYSCALL_DEFINE(72, fcntl)
{
	int fd = (int)a0, cmd = (int)a1;
	u64 arg = a2;
	struct file *f;
	long r;

	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if ((s32)arg < 0 || arg >= vfs_rlimit_nofile()) {
			f = fd_get(fd);
			if (!f)
				return -EBADF;
			file_put(f);
			return -EINVAL;
		}
		return fd_dupfd(fd, (u32)arg, cmd == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return fd_get_cloexec(fd);
	case F_SETFD:
		return fd_set_cloexec(fd, arg & FD_CLOEXEC);
	}
	f = fd_get(fd);
	if (!f)
		return -EBADF;
	if ((f->fmode & FMODE_PATH) && cmd != F_GETFL) {
		file_put(f);
		return -EBADF;
	}
	switch (cmd) {
	case F_GETFL:
		r = f->flags;
		break;
	case F_SETFL: {
		u32 nf = (u32)arg & SETFL_MASK;
		/* Linux: O_APPEND cannot be cleared on an append-only inode (n/a) */
		spin_lock(&f->lock);
		f->flags = (f->flags & ~(u32)SETFL_MASK) | nf;
		spin_unlock(&f->lock);
		r = 0;
		break;
	}
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		r = fcntl_lock(f, cur_files_ptr(), cmd, arg);
		break;
	case F_GETOWN:
		r = (s32)f->owner_pid;
		break;
	case F_SETOWN:
		f->owner_pid = (u32)arg;
		r = 0;
		break;
	case F_GETOWN_EX: {
		/* a thread owner (F_OWNER_TID) is kept as its id and reads back
		 * as F_OWNER_PID; never set reads as F_OWNER_TID 0, as Linux */
		s32 o = (s32)f->owner_pid;
		struct f_owner_ex ex = { o < 0 ? F_OWNER_PGRP : o ? F_OWNER_PID : F_OWNER_TID, o < 0 ? -o : o };
		r = copy_to_user((void *)arg, &ex, sizeof(ex)) ? -EFAULT : 0;
		break;
	}
	case F_SETOWN_EX: {
		struct f_owner_ex ex;
		if (copy_from_user(&ex, (void *)arg, sizeof(ex))) {
			r = -EFAULT;
			break;
		}
		if (ex.type != F_OWNER_TID && ex.type != F_OWNER_PID && ex.type != F_OWNER_PGRP) {
			r = -EINVAL;
			break;
		}
		f->owner_pid = (u32)(ex.type == F_OWNER_PGRP ? -ex.pid : ex.pid);
		r = 0;
		break;
	}
	case F_GETSIG:
		r = 0;
		break;
	case F_SETSIG:
		r = arg > 64 ? -EINVAL : 0;
		break;
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		r = file_is_pipe(f) ? pipe_fcntl(f, cmd, arg) : -EBADF;
		break;
	case F_GETLEASE:
		r = S_ISREG(f->inode ? f->inode->mode : 0) ? F_UNLCK : -EINVAL;
		break;
	default:
		r = -EINVAL;
		break;
	}
	file_put(f);
	return r;
}

SYSCALL_DEFINE(16, ioctl)
{
	struct file *f = fd_get((int)a0);
	u32 cmd = (u32)a1;
	u64 arg = a2;
	long r;

	if (!f)
		return -EBADF;
	if (f->fmode & FMODE_PATH) {
		file_put(f);
		return -EBADF;
	}
	switch (cmd) {
	case FIOCLEX:
		r = fd_set_cloexec((int)a0, true);
		break;
	case FIONCLEX:
		r = fd_set_cloexec((int)a0, false);
		break;
	case FIONBIO:
	case FIOASYNC: {
		u32 on;
		if (get_user_u32(&on, (void *)arg)) {
			r = -EFAULT;
			break;
		}
		u32 bit = cmd == FIONBIO ? O_NONBLOCK : O_ASYNC;
		spin_lock(&f->lock);
		if (on)
			f->flags |= bit;
		else
			f->flags &= ~bit;
		spin_unlock(&f->lock);
		r = 0;
		/* let sockets/ttys see it too */
		if (f->ops && f->ops->ioctl && cmd == FIOASYNC)
			f->ops->ioctl(f, cmd, arg);
		break;
	}
	case FIONREAD:
		if (f->inode && S_ISREG(f->inode->mode)) {
			u64 sz = f->inode->size;
			u32 n = f->pos < sz ? (u32)MIN(sz - f->pos, 0x7fffffffull) : 0;
			r = put_user_u32(n, (void *)arg) ? -EFAULT : 0;
			break;
		}
		/* fall through */
	default:
		if (f->ops && f->ops->ioctl)
			r = f->ops->ioctl(f, cmd, arg);
		else
			r = -ENOTTY;
		break;
	}
	file_put(f);
	return r;
}
