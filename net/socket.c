/* The socket system calls and the socket file (Linux's net/socket.c).
 *
 * This file only decodes arguments, finds the socket behind a descriptor
 * and dispatches through the family's struct proto_ops; the families do
 * the work (net/unix/ for AF_UNIX). The send/receive calls are in
 * net/msg.c, the SOL_SOCKET options in net/sock.c.
 *
 * Families. families[] below is the registry: AF_UNIX only for now.
 * AF_INET and AF_INET6 are not there yet (an IPv4/IPv6 stack, lwIP over
 * virtio-net, will register here with the same proto_ops); until then
 * socket(AF_INET, ...) fails with EAFNOSUPPORT, which is what Linux
 * answers for any family it was built without.
 *
 * A socket is an anonymous file (S_IFSOCK | 0777 inode, readlink of
 * /proc/self/fd/N gives "socket:[ino]") whose private_data is its struct
 * socket; read/write/readv/writev/poll/ioctl on it go to the family as
 * recvmsg/sendmsg/poll/ioctl, and the file's last close releases it.
 *
 * Argument checks follow Linux 6.1 in order: flags first, then the
 * descriptor (EBADF, ENOTSOCK), then addresses (EINVAL for a length
 * outside 0..128, EFAULT), then the family. */
#include "socket.h"
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>
#include <uapi/fcntl.h>
#include <uapi/ioctls.h>
#include <uapi/stat.h>

static const struct net_proto_family *const families[AF_MAX] = {
	[AF_UNIX] = &unix_family_ops,
};

/* ---- the socket file ---- */

static long sock_read_vec(struct file *f, struct uio_vec *v, u64 *pos)
{
	struct kmsghdr msg = { .iter = v };

	if (!v->len)
		return 0; /* Linux's sock_read_iter: nothing asked, nothing read */
	return sock_recvmsg(f->private_data, &msg, 0);
}

static long sock_write_vec(struct file *f, struct uio_vec *v, u64 *pos)
{
	struct socket *sock = f->private_data;
	struct kmsghdr msg = { .iter = v };

	if (sock->type == SOCK_SEQPACKET)
		msg.flags |= MSG_EOR;
	return sock_sendmsg(sock, &msg);
}

static long sock_read(struct file *f, struct uio *u, u64 *pos)
{
	struct uio_vec v = { u, 1, u->len };
	return sock_read_vec(f, &v, pos);
}

static long sock_write(struct file *f, struct uio *u, u64 *pos)
{
	struct uio_vec v = { u, 1, u->len };
	return sock_write_vec(f, &v, pos);
}

static u32 sock_poll(struct file *f, struct poll_table *pt)
{
	struct socket *sock = f->private_data;
	return sock->ops->poll(f, sock, pt);
}

static long sock_ioctl(struct file *f, u32 cmd, u64 arg)
{
	struct socket *sock = f->private_data;
	u32 v;
	long r;

	switch (cmd) {
	case FIOSETOWN:
	case SIOCSPGRP:
		if (get_user_u32(&v, (void *)arg))
			return -EFAULT;
		WRITE_ONCE(f->owner_pid, v);
		return 0;
	case FIOGETOWN:
	case SIOCGPGRP:
		return put_user_u32(READ_ONCE(f->owner_pid), (void *)arg) ? -EFAULT : 0;
	case FIOASYNC:
		return 0; /* O_ASYNC is in f->flags already (fs/vfs/fcntl.c) */
	}
	r = sock->ops->ioctl ? sock->ops->ioctl(sock, cmd, arg) : -ENOIOCTLCMD;
	return r == -ENOIOCTLCMD ? -ENOTTY : r;
}

static void sock_release(struct socket *sock)
{
	if (sock->ops && sock->ops->release && sock->sk)
		sock->ops->release(sock);
	kfree(sock);
}

static void sock_file_release(struct file *f)
{
	sock_release(f->private_data);
}

static s64 sock_llseek(struct file *f, s64 off, int whence)
{
	return -ESPIPE;
}

static const struct file_operations socket_file_ops = {
	.read = sock_read,
	.write = sock_write,
	.read_vec = sock_read_vec,
	.write_vec = sock_write_vec,
	.poll = sock_poll,
	.ioctl = sock_ioctl,
	.release = sock_file_release,
	.llseek = sock_llseek,
};

struct socket *sock_from_file(struct file *f)
{
	return f->ops == &socket_file_ops ? f->private_data : NULL;
}

struct socket *sockfd_lookup(int fd, struct file **fp, int *err)
{
	struct file *f = fd_get(fd);
	struct socket *sock;

	if (!f || (f->fmode & FMODE_PATH)) {
		file_put(f);
		*err = -EBADF;
		return NULL;
	}
	sock = sock_from_file(f);
	if (!sock) {
		file_put(f);
		*err = -ENOTSOCK;
		return NULL;
	}
	*fp = f;
	return sock;
}

long sock_sendmsg(struct socket *sock, struct kmsghdr *msg)
{
	if (READ_ONCE(sock->file->flags) & O_NONBLOCK)
		msg->flags |= MSG_DONTWAIT;
	return sock->ops->sendmsg(sock, msg, msg->iter->len);
}

long sock_recvmsg(struct socket *sock, struct kmsghdr *msg, int flags)
{
	if (READ_ONCE(sock->file->flags) & O_NONBLOCK)
		flags |= MSG_DONTWAIT;
	return sock->ops->recvmsg(sock, msg, msg->iter->len, flags);
}

/* A socket of family/type/protocol without a file yet (Linux's
 * __sock_create). */
static int sock_create(int family, int type, int protocol, struct socket **out)
{
	const struct net_proto_family *pf;
	struct socket *sock;
	int err;

	if (family < 0 || family >= AF_MAX)
		return -EAFNOSUPPORT;
	if (type < 0 || type >= SOCK_MAX)
		return -EINVAL;
	pf = families[family];
	if (!pf)
		return -EAFNOSUPPORT;
	sock = kzalloc(sizeof(*sock));
	if (!sock)
		return -ENFILE;
	sock->type = (u16)type;
	sock->state = SS_UNCONNECTED;
	err = pf->create(sock, protocol);
	if (err) {
		kfree(sock);
		return err;
	}
	*out = sock;
	return 0;
}

/* The file for sock (O_RDWR plus O_NONBLOCK from flags); releases sock on
 * failure. */
static struct file *sock_alloc_file(struct socket *sock, int flags)
{
	struct file *f = anon_file_create(&socket_file_ops, S_IFSOCK | 0777,
					  O_RDWR | (flags & O_NONBLOCK), sock);

	if (IS_ERR(f)) {
		sock_release(sock);
		return f;
	}
	WRITE_ONCE(sock->file, f);
	return f;
}

/* socket()/socketpair()/accept4() flags: EINVAL beyond these. */
#define SOCK_FLAGS (SOCK_CLOEXEC | SOCK_NONBLOCK)

int move_addr_to_kernel(u64 uaddr, int len, struct sockaddr_storage *kaddr)
{
	if (len < 0 || (u64)len > sizeof(*kaddr))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (copy_from_user(kaddr, (void *)uaddr, (size_t)len))
		return -EFAULT;
	return 0;
}

int move_addr_to_user(const struct sockaddr_storage *kaddr, int klen, u64 uaddr, u64 ulen)
{
	s32 len;

	if (copy_from_user(&len, (void *)ulen, sizeof(len)))
		return -EFAULT;
	if (len > klen)
		len = klen;
	if (len < 0)
		return -EINVAL;
	if (len && copy_to_user((void *)uaddr, kaddr, (size_t)len))
		return -EFAULT;
	if (copy_to_user((void *)ulen, &klen, sizeof(klen)))
		return -EFAULT;
	return 0;
}

/* ---- system calls ---- */

SYSCALL_DEFINE(41, socket)
{
	int family = (int)a0, type = (int)a1, protocol = (int)a2;
	int flags = type & ~SOCK_TYPE_MASK;
	struct socket *sock;
	struct file *f;
	int err, fd;

	if (flags & ~SOCK_FLAGS)
		return -EINVAL;
	err = sock_create(family, type & SOCK_TYPE_MASK, protocol, &sock);
	if (err)
		return err;
	f = sock_alloc_file(sock, flags);
	if (IS_ERR(f))
		return PTR_ERR(f);
	fd = fd_install(f, flags & SOCK_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL_DEFINE(53, socketpair)
{
	int family = (int)a0, type = (int)a1, protocol = (int)a2;
	int flags = type & ~SOCK_TYPE_MASK;
	struct socket *s1 = NULL, *s2 = NULL;
	struct file *files[2];
	int fds[2] = { 0, 0 }, err;

	if (flags & ~SOCK_FLAGS)
		return -EINVAL;
	type &= SOCK_TYPE_MASK;
	/* Linux stores the descriptors before it creates anything: a bad
	 * pointer is EFAULT whatever the family. */
	if (copy_to_user((void *)a3, fds, sizeof(fds)))
		return -EFAULT;
	err = sock_create(family, type, protocol, &s1);
	if (err)
		return err;
	err = sock_create(family, type, protocol, &s2);
	if (err) {
		sock_release(s1);
		return err;
	}
	err = s1->ops->socketpair ? s1->ops->socketpair(s1, s2) : -EOPNOTSUPP;
	if (err) {
		sock_release(s1);
		sock_release(s2);
		return err;
	}
	files[0] = sock_alloc_file(s1, flags);
	if (IS_ERR(files[0])) {
		sock_release(s2);
		return PTR_ERR(files[0]);
	}
	files[1] = sock_alloc_file(s2, flags);
	if (IS_ERR(files[1])) {
		file_put(files[0]);
		return PTR_ERR(files[1]);
	}
	err = fd_install_many(files, 2, flags & SOCK_CLOEXEC, fds);
	if (err) {
		file_put(files[0]);
		file_put(files[1]);
		return err;
	}
	if (copy_to_user((void *)a3, fds, sizeof(fds))) {
		fd_close(fds[0]);
		fd_close(fds[1]);
		return -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE(49, bind)
{
	struct sockaddr_storage addr;
	struct file *f;
	int err;
	struct socket *sock = sockfd_lookup((int)a0, &f, &err);

	if (!sock)
		return err;
	memset(&addr, 0, sizeof(addr));
	err = move_addr_to_kernel(a1, (int)a2, &addr);
	if (!err)
		err = sock->ops->bind ? sock->ops->bind(sock, &addr, (int)a2) : -EOPNOTSUPP;
	file_put(f);
	return err;
}

SYSCALL_DEFINE(42, connect)
{
	struct sockaddr_storage addr;
	struct file *f;
	int err;
	struct socket *sock = sockfd_lookup((int)a0, &f, &err);

	if (!sock)
		return err;
	memset(&addr, 0, sizeof(addr));
	err = move_addr_to_kernel(a1, (int)a2, &addr);
	if (!err)
		err = sock->ops->connect ? sock->ops->connect(sock, &addr, (int)a2, READ_ONCE(f->flags))
					 : -EOPNOTSUPP;
	file_put(f);
	return err;
}

SYSCALL_DEFINE(50, listen)
{
	int backlog = (int)a1;
	struct file *f;
	int err;
	struct socket *sock = sockfd_lookup((int)a0, &f, &err);

	if (!sock)
		return err;
	if ((u32)backlog > SOMAXCONN)
		backlog = SOMAXCONN;
	err = sock->ops->listen ? sock->ops->listen(sock, backlog) : -EOPNOTSUPP;
	file_put(f);
	return err;
}

static long do_accept(int fd, u64 uaddr, u64 ulen, int flags)
{
	struct socket *sock, *newsock;
	struct file *f, *nf;
	int err, nfd;

	/* Linux's order: the descriptor, the flags, then "is it a socket" */
	f = fd_get(fd);
	if (!f || (f->fmode & FMODE_PATH)) {
		file_put(f);
		return -EBADF;
	}
	sock = sock_from_file(f);
	if (flags & ~SOCK_FLAGS) {
		err = -EINVAL;
		goto out;
	}
	if (!sock) {
		err = -ENOTSOCK;
		goto out;
	}
	if (!sock->ops->accept) {
		err = -EOPNOTSUPP;
		goto out;
	}
	newsock = kzalloc(sizeof(*newsock));
	if (!newsock) {
		err = -ENFILE;
		goto out;
	}
	newsock->type = sock->type;
	newsock->ops = sock->ops;
	newsock->state = SS_UNCONNECTED;
	err = sock->ops->accept(sock, newsock, READ_ONCE(f->flags));
	if (err) {
		kfree(newsock);
		goto out;
	}
	nf = sock_alloc_file(newsock, flags);
	if (IS_ERR(nf)) {
		err = (int)PTR_ERR(nf);
		goto out;
	}
	if (uaddr) {
		struct sockaddr_storage addr;
		int len = newsock->ops->getname(newsock, &addr, true);
		if (len < 0)
			err = -ECONNABORTED;
		else
			err = move_addr_to_user(&addr, len, uaddr, ulen);
		if (err) {
			file_put(nf); /* the connection is lost, as on Linux */
			goto out;
		}
	}
	nfd = fd_install(nf, flags & SOCK_CLOEXEC);
	if (nfd < 0) {
		file_put(nf);
		err = nfd;
		goto out;
	}
	err = nfd;
out:
	file_put(f);
	return err;
}

SYSCALL_DEFINE(43, accept)
{
	return do_accept((int)a0, a1, a2, 0);
}

SYSCALL_DEFINE(288, accept4)
{
	return do_accept((int)a0, a1, a2, (int)a3);
}

static long do_getname(int fd, u64 uaddr, u64 ulen, bool peer)
{
	struct sockaddr_storage addr;
	struct file *f;
	int err, len;
	struct socket *sock = sockfd_lookup(fd, &f, &err);

	if (!sock)
		return err;
	memset(&addr, 0, sizeof(addr));
	len = sock->ops->getname(sock, &addr, peer);
	err = len < 0 ? len : move_addr_to_user(&addr, len, uaddr, ulen);
	file_put(f);
	return err;
}

SYSCALL_DEFINE(51, getsockname)
{
	return do_getname((int)a0, a1, a2, false);
}

SYSCALL_DEFINE(52, getpeername)
{
	return do_getname((int)a0, a1, a2, true);
}

SYSCALL_DEFINE(48, shutdown)
{
	struct file *f;
	int err;
	struct socket *sock = sockfd_lookup((int)a0, &f, &err);

	if (!sock)
		return err;
	err = sock->ops->shutdown ? sock->ops->shutdown(sock, (int)a1) : -EOPNOTSUPP;
	file_put(f);
	return err;
}

SYSCALL_DEFINE(54, setsockopt)
{
	int level = (int)a1, name = (int)a2, len = (int)a4;
	struct file *f;
	struct socket *sock;
	int err;

	if (len < 0)
		return -EINVAL;
	sock = sockfd_lookup((int)a0, &f, &err);
	if (!sock)
		return err;
	if (level == SOL_SOCKET)
		err = sock_setsockopt(sock, name, a3, (u32)len);
	else if (!sock->ops->setsockopt)
		err = -EOPNOTSUPP;
	else
		err = sock->ops->setsockopt(sock, level, name, a3, (u32)len);
	file_put(f);
	return err;
}

SYSCALL_DEFINE(55, getsockopt)
{
	int level = (int)a1, name = (int)a2;
	struct file *f;
	int err;
	struct socket *sock = sockfd_lookup((int)a0, &f, &err);

	if (!sock)
		return err;
	if (level == SOL_SOCKET)
		err = sock_getsockopt(sock, name, a3, a4);
	else if (!sock->ops->getsockopt)
		err = -EOPNOTSUPP;
	else
		err = sock->ops->getsockopt(sock, level, name, a3, a4);
	file_put(f);
	return err;
}
