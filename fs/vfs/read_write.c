/* read/write and friends, lseek, sendfile; the uio helpers. */
#include "../fs.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>
#include <skiff/task.h>

#define MAX_RW_COUNT 0x7ffff000ull /* Linux: INT_MAX rounded down to a page */
#define UIO_MAXIOV 1024

int uio_copy_out(struct uio *u, const void *src, size_t n)
{
	if (n > u->len)
		n = u->len;
	if (u->user) {
		if (copy_to_user(u->buf, src, n))
			return -EFAULT;
	} else {
		memcpy(u->buf, src, n);
	}
	u->buf = (char *)u->buf + n;
	u->len -= n;
	return 0;
}

int uio_copy_in(struct uio *u, void *dst, size_t n)
{
	if (n > u->len)
		n = u->len;
	if (u->user) {
		if (copy_from_user(dst, u->buf, n))
			return -EFAULT;
	} else {
		memcpy(dst, u->buf, n);
	}
	u->buf = (char *)u->buf + n;
	u->len -= n;
	return 0;
}

/* Copy between a kernel buffer and the vector's segments in order. */
static int uio_vec_copy(struct uio_vec *v, void *kbuf, size_t n, bool out)
{
	char *k = kbuf;

	if (n > v->len)
		n = v->len;
	while (n) {
		struct uio *u = v->seg;
		if (!v->nseg)
			break;
		if (!u->len) {
			v->seg++;
			v->nseg--;
			continue;
		}
		size_t c = MIN(n, u->len);
		int err = out ? uio_copy_out(u, k, c) : uio_copy_in(u, k, c);
		if (err)
			return err;
		k += c;
		n -= c;
		v->len -= c;
	}
	return 0;
}

int uio_vec_copy_out(struct uio_vec *v, const void *src, size_t n)
{
	return uio_vec_copy(v, (void *)src, n, true);
}

int uio_vec_copy_in(struct uio_vec *v, void *dst, size_t n)
{
	return uio_vec_copy(v, dst, n, false);
}

long vfs_read(struct file *f, struct uio *u, u64 *pos)
{
	if ((f->fmode & FMODE_PATH) || !(f->fmode & FMODE_READ))
		return -EBADF;
	if (f->inode && S_ISDIR(f->inode->mode))
		return -EISDIR;
	if (!f->ops || !f->ops->read)
		return -EINVAL;
	if (u->len > MAX_RW_COUNT)
		u->len = MAX_RW_COUNT;
	if (u->user && !user_range_ok((u64)u->buf, u->len))
		return -EFAULT;
	return f->ops->read(f, u, pos);
}

long vfs_write(struct file *f, struct uio *u, u64 *pos)
{
	if ((f->fmode & FMODE_PATH) || !(f->fmode & FMODE_WRITE))
		return -EBADF;
	if (!f->ops || !f->ops->write)
		return -EINVAL;
	if (u->len > MAX_RW_COUNT)
		u->len = MAX_RW_COUNT;
	if (u->user && !user_range_ok((u64)u->buf, u->len))
		return -EFAULT;
	if (f->inode && S_ISREG(f->inode->mode) && u->len) {
		/* RLIMIT_FSIZE: cut the write at the limit; none left is EFBIG
		 * with SIGXFSZ (ignored or not, as Linux) */
		u64 lim = vfs_rlimit_fsize(), at = (f->flags & O_APPEND) ? f->inode->size : *pos;
		if (lim != ~0ull) {
			if (at >= lim) {
				if (current->task)
					send_signal_task(current_task(), SIGXFSZ, 0);
				return -EFBIG;
			}
			if (u->len > lim - at)
				u->len = lim - at;
		}
	}
	return f->ops->write(f, u, pos);
}

long kernel_read(struct file *f, u64 off, void *buf, size_t len)
{
	struct uio u = { buf, len, false };
	u64 pos = off;

	if (!f->ops || !f->ops->read)
		return -EINVAL;
	return f->ops->read(f, &u, &pos);
}

long kernel_write(struct file *f, u64 off, const void *buf, size_t len)
{
	struct uio u = { (void *)buf, len, false };
	u64 pos = off;

	if (!f->ops || !f->ops->write)
		return -EINVAL;
	return f->ops->write(f, &u, &pos);
}

static bool file_is_stream(struct file *f)
{
	return !f->inode || S_ISFIFO(f->inode->mode) || S_ISSOCK(f->inode->mode);
}

static long do_rw(int fd, u64 buf, u64 len, bool write, s64 off, bool at)
{
	struct file *f = fd_get(fd);
	struct uio u = { (void *)buf, len, true };
	u64 pos;
	long r;

	if (!f)
		return -EBADF;
	if (at) {
		if (!(f->fmode & (write ? FMODE_WRITE : FMODE_READ))) {
			r = -EBADF;
			goto out;
		}
		if (file_is_stream(f) || (f->ops && f->ops->llseek && f->ops->llseek(f, 0, SEEK_CUR) == -ESPIPE)) {
			r = -ESPIPE;
			goto out;
		}
		if (off < 0) {
			r = -EINVAL;
			goto out;
		}
		pos = (u64)off;
		r = write ? vfs_write(f, &u, &pos) : vfs_read(f, &u, &pos);
	} else {
		pos = f->pos;
		r = write ? vfs_write(f, &u, &pos) : vfs_read(f, &u, &pos);
		if (r >= 0 && !file_is_stream(f))
			f->pos = pos;
	}
out:
	file_put(f);
	return r;
}

SYSCALL_DEFINE(0, read)
{
	return do_rw((int)a0, a1, a2, false, 0, false);
}

SYSCALL_DEFINE(1, write)
{
	return do_rw((int)a0, a1, a2, true, 0, false);
}

SYSCALL_DEFINE(17, pread64)
{
	return do_rw((int)a0, a1, a2, false, (s64)a3, true);
}

SYSCALL_DEFINE(18, pwrite64)
{
	return do_rw((int)a0, a1, a2, true, (s64)a3, true);
}

struct iovec_abi {
	u64 base;
	u64 len;
};

/* The whole vector to the file's read_vec/write_vec (sockets, stream
 * files: no position update). Each segment must lie in user space. */
static long rw_vec(struct file *f, const struct iovec_abi *iov, u64 cnt, u64 total, bool write,
		   u64 *pos)
{
	struct uio *segs = kmalloc(cnt * sizeof(*segs));
	long r;

	if (!segs)
		return -ENOMEM;
	for (u64 i = 0; i < cnt; i++) {
		if (!user_range_ok(iov[i].base, iov[i].len)) {
			kfree(segs);
			return -EFAULT;
		}
		segs[i] = (struct uio){ (void *)iov[i].base, iov[i].len, true };
	}
	struct uio_vec v = { segs, (u32)cnt, total > MAX_RW_COUNT ? MAX_RW_COUNT : total };
	r = write ? f->ops->write_vec(f, &v, pos) : f->ops->read_vec(f, &v, pos);
	kfree(segs);
	return r;
}

/* Vector I/O: off < 0 means the file position. */
static long do_rwv(int fd, u64 uiov, u64 cnt, bool write, s64 off, bool at)
{
	struct iovec_abi *iov;
	struct file *f;
	u64 total = 0, pos;
	long done = 0, r = 0;

	if (cnt > UIO_MAXIOV)
		return -EINVAL;
	f = fd_get(fd);
	if (!f)
		return -EBADF;
	if (!(f->fmode & (write ? FMODE_WRITE : FMODE_READ)) || (f->fmode & FMODE_PATH)) {
		file_put(f);
		return -EBADF;
	}
	if (at && file_is_stream(f)) {
		file_put(f);
		return -ESPIPE;
	}
	if (at && off < 0) {
		file_put(f);
		return -EINVAL;
	}
	if (cnt == 0) {
		file_put(f);
		return 0;
	}
	iov = kmalloc(cnt * sizeof(*iov));
	if (!iov) {
		file_put(f);
		return -ENOMEM;
	}
	if (copy_from_user(iov, (void *)uiov, cnt * sizeof(*iov))) {
		r = -EFAULT;
		goto out;
	}
	for (u64 i = 0; i < cnt; i++) {
		if ((s64)iov[i].len < 0 || total + iov[i].len > 0x7fffffffffffffffull) {
			r = -EINVAL;
			goto out;
		}
		total += iov[i].len;
	}
	pos = at ? (u64)off : f->pos;
	if (f->ops && (write ? f->ops->write_vec : f->ops->read_vec)) {
		/* nothing to move: no call at all (an empty writev sends no datagram) */
		r = total ? rw_vec(f, iov, cnt, total, write, &pos) : 0;
		goto out;
	}
	for (u64 i = 0; i < cnt; i++) {
		struct uio u = { (void *)iov[i].base, iov[i].len, true };
		if (!iov[i].len)
			continue;
		r = write ? vfs_write(f, &u, &pos) : vfs_read(f, &u, &pos);
		if (r < 0)
			break;
		done += r;
		if ((u64)r < iov[i].len)
			break;
	}
	if (!at && !file_is_stream(f) && done > 0)
		f->pos = pos;
	if (done > 0)
		r = done;
	else if (r > 0)
		r = 0;
out:
	kfree(iov);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(19, readv)
{
	return do_rwv((int)a0, a1, a2, false, 0, false);
}

SYSCALL_DEFINE(20, writev)
{
	return do_rwv((int)a0, a1, a2, true, 0, false);
}

SYSCALL_DEFINE(295, preadv)
{
	return do_rwv((int)a0, a1, a2, false, (s64)a3, true);
}

SYSCALL_DEFINE(296, pwritev)
{
	return do_rwv((int)a0, a1, a2, true, (s64)a3, true);
}

SYSCALL_DEFINE(327, preadv2)
{
	if (a5 & ~0x1full)
		return -EOPNOTSUPP;
	return do_rwv((int)a0, a1, a2, false, (s64)a3, (s64)a3 != -1);
}

SYSCALL_DEFINE(328, pwritev2)
{
	if (a5 & ~0x1full)
		return -EOPNOTSUPP;
	return do_rwv((int)a0, a1, a2, true, (s64)a3, (s64)a3 != -1);
}

s64 vfs_llseek(struct file *f, s64 off, int whence)
{
	struct inode *ino = f->inode;
	s64 base;

	if (f->fmode & FMODE_PATH)
		return -EBADF;
	if (f->ops && f->ops->llseek)
		return f->ops->llseek(f, off, whence);
	if (file_is_stream(f))
		return -ESPIPE;
	if (whence < SEEK_SET || whence > SEEK_HOLE)
		return -EINVAL;
	if (S_ISCHR(ino->mode)) {
		f->pos = 0;
		return 0;
	}
	if (S_ISDIR(ino->mode)) {
		if (whence == SEEK_SET)
			base = 0;
		else if (whence == SEEK_CUR)
			base = (s64)f->pos;
		else
			return -EINVAL;
	} else {
		u64 size = ino->size;
		switch (whence) {
		case SEEK_SET: base = 0; break;
		case SEEK_CUR: base = (s64)f->pos; break;
		case SEEK_END: base = (s64)size; break;
		case SEEK_DATA:
			if (off < 0 || (u64)off >= size)
				return -ENXIO;
			f->pos = (u64)off;
			return off;
		default: /* SEEK_HOLE */
			if (off < 0 || (u64)off >= size)
				return -ENXIO;
			f->pos = size;
			return (s64)size;
		}
	}
	if ((off > 0 && base > 0x7fffffffffffffffll - off) || base + off < 0)
		return -EINVAL;
	f->pos = (u64)(base + off);
	return base + off;
}

SYSCALL_DEFINE(8, lseek)
{
	struct file *f = fd_get((int)a0);
	s64 r;

	if (!f)
		return -EBADF;
	r = vfs_llseek(f, (s64)a1, (int)a2);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(40, sendfile)
{
	struct file *out = fd_get((int)a0), *in = fd_get((int)a1);
	u64 count = a3, pos, done = 0;
	char *buf = NULL;
	long r = 0;

	if (!out || !in) {
		r = -EBADF;
		goto out;
	}
	if (!(in->fmode & FMODE_READ) || !(out->fmode & FMODE_WRITE) ||
	    (in->fmode & FMODE_PATH) || (out->fmode & FMODE_PATH)) {
		r = -EBADF;
		goto out;
	}
	if (out->flags & O_APPEND) {
		r = -EINVAL;
		goto out;
	}
	if (a2) {
		s64 off;
		if (get_user_u64((u64 *)&off, (void *)a2)) {
			r = -EFAULT;
			goto out;
		}
		if (off < 0) {
			r = -EINVAL;
			goto out;
		}
		if (file_is_stream(in)) {
			r = -ESPIPE;
			goto out;
		}
		pos = (u64)off;
	} else {
		pos = in->pos;
	}
	if (!in->inode || S_ISDIR(in->inode->mode) || !in->ops || !in->ops->read) {
		r = -EINVAL;
		goto out;
	}
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	buf = kmalloc(65536);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (done < count) {
		size_t chunk = MIN(count - done, 65536ull);
		struct uio ru = { buf, chunk, false };
		long n = in->ops->read(in, &ru, &pos);
		if (n <= 0) {
			r = n;
			break;
		}
		u64 wpos = out->pos;
		struct uio wu = { buf, (size_t)n, false };
		long w = vfs_write(out, &wu, &wpos);
		if (w > 0 && !file_is_stream(out))
			out->pos = wpos;
		if (w < 0) {
			pos -= (u64)n;
			r = w;
			break;
		}
		done += (u64)w;
		if (w < n) {
			pos -= (u64)(n - w);
			break;
		}
		if ((size_t)n < chunk)
			break;
	}
	if (done > 0)
		r = (long)done;
	if (a2) {
		if (put_user_u64(pos, (void *)a2))
			r = -EFAULT;
	} else if (!file_is_stream(in)) {
		in->pos = pos;
	}
out:
	kfree(buf);
	file_put(out);
	file_put(in);
	return r;
}

/* fadvise64(fd, offset, len, advice): advice only. Skiff's page cache has
 * no per-file read-ahead state to tune, so valid advice is accepted and
 * changes nothing; the checks are Linux's: EBADF, ESPIPE on pipes and
 * sockets, EINVAL for a negative length or unknown advice. */
SYSCALL_DEFINE(221, fadvise64)
{
	struct file *f = fd_get((int)a0);
	long r = 0;

	if (!f)
		return -EBADF;
	if (f->fmode & FMODE_PATH)
		r = -EBADF;
	else if (file_is_stream(f))
		r = -ESPIPE;
	else if ((s64)a2 < 0 || a3 > 5) /* POSIX_FADV_NORMAL .. NOREUSE */
		r = -EINVAL;
	file_put(f);
	return r;
}
