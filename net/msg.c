/* Sending and receiving: sendto, recvfrom, sendmsg, recvmsg, sendmmsg,
 * recvmmsg, and put_cmsg (Linux's net/socket.c and net/core/scm.c halves
 * that copy struct msghdr, iovecs and control buffers).
 *
 * A message is decoded into a struct kmsghdr: the destination address
 * copied into a kernel sockaddr_storage, the iovec into a struct uio_vec
 * over user memory, and on send the control buffer copied into kernel
 * memory for scm_send. On receive the control buffer stays a user pointer
 * that put_cmsg and scm_recv fill and advance; the consumed length, the
 * source address and the flags go back into the user's msghdr afterwards.
 *
 * Checks and their order are Linux 6.1's: the data range (EFAULT) before
 * the descriptor for sendto/recvfrom; for the msghdr calls the descriptor,
 * then the header (EFAULT), a negative msg_namelen (EINVAL), more than
 * UIO_MAXIOV iovecs (EMSGSIZE), a negative iov_len (EINVAL), then on send
 * a control buffer too large for optmem_max (ENOBUFS). */
#include "socket.h"
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include <uapi/time.h>

#define MSG_CMSG_COMPAT 0x80000000u
#define OPTMEM_MAX 20480   /* net.core.optmem_max of Linux 6.1 */
#define CTL_ON_STACK 36    /* Linux copies this much without charging optmem */
#define INT_MAX 0x7fffffff

int put_cmsg(struct kmsghdr *msg, int level, int type, u32 len, const void *data)
{
	u64 cm = (u64)msg->control;
	u64 cmlen = CMSG_LEN(len);
	struct cmsghdr h;

	if (!cm || msg->controllen < sizeof(struct cmsghdr)) {
		msg->flags |= MSG_CTRUNC;
		return 0;
	}
	if (msg->controllen < cmlen) {
		msg->flags |= MSG_CTRUNC;
		cmlen = msg->controllen;
	}
	h.cmsg_len = cmlen;
	h.cmsg_level = level;
	h.cmsg_type = type;
	if (copy_to_user((void *)cm, &h, sizeof(h)) ||
	    copy_to_user((void *)(cm + sizeof(h)), data, cmlen - sizeof(h)))
		return -EFAULT;
	cmlen = CMSG_SPACE(len);
	if (msg->controllen < cmlen)
		cmlen = msg->controllen;
	msg->control = (void *)(cm + cmlen);
	msg->controllen -= cmlen;
	return 0;
}

/* Linux's import_iovec: *segs (kmalloc'd, kfree it) and v over them. */
static int import_iovec(u64 uiov, u64 cnt, struct uio **segs, struct uio_vec *v)
{
	struct iovec_user *iov;
	u64 total = 0;
	int err = 0;

	*segs = NULL;
	v->seg = NULL;
	v->nseg = 0;
	v->len = 0;
	if (cnt == 0)
		return 0;
	if (cnt > UIO_MAXIOV)
		return -EINVAL;
	iov = kmalloc(cnt * sizeof(*iov));
	*segs = kmalloc(cnt * sizeof(**segs));
	if (!iov || !*segs) {
		err = -ENOMEM;
		goto out;
	}
	if (copy_from_user(iov, (void *)uiov, cnt * sizeof(*iov))) {
		err = -EFAULT;
		goto out;
	}
	for (u64 i = 0; i < cnt; i++) {
		u64 len = iov[i].iov_len;
		if ((s64)len < 0) {
			err = -EINVAL;
			goto out;
		}
		if (!user_range_ok(iov[i].iov_base, len)) {
			err = -EFAULT;
			goto out;
		}
		if (len > MAX_RW_COUNT - total)
			len = MAX_RW_COUNT - total;
		(*segs)[i] = (struct uio){ (void *)iov[i].iov_base, len, true };
		total += len;
	}
	v->seg = *segs;
	v->nseg = (u32)cnt;
	v->len = total;
out:
	kfree(iov);
	if (err) {
		kfree(*segs);
		*segs = NULL;
	}
	return err;
}

/* A decoded msghdr with what it owns. */
struct msg_state {
	struct user_msghdr um;
	struct sockaddr_storage addr;
	struct uio *segs;
	struct uio_vec vec;
	struct kmsghdr k;
	void *ctl;                  /* send: kernel copy of the control buffer */
};

static void msg_state_free(struct msg_state *ms)
{
	kfree(ms->segs);
	kfree(ms->ctl);
}

static int copy_msghdr(u64 umsg, struct msg_state *ms, bool send)
{
	struct user_msghdr *m = &ms->um;
	int err;

	memset(ms, 0, sizeof(*ms));
	if (copy_from_user(m, (void *)umsg, sizeof(*m)))
		return -EFAULT;
	if (!m->msg_name)
		m->msg_namelen = 0;
	if (m->msg_namelen < 0)
		return -EINVAL;
	if ((u64)m->msg_namelen > sizeof(struct sockaddr_storage))
		m->msg_namelen = sizeof(struct sockaddr_storage);
	if (send) {
		if (m->msg_name && m->msg_namelen) {
			err = move_addr_to_kernel(m->msg_name, m->msg_namelen, &ms->addr);
			if (err)
				return err;
			ms->k.name = &ms->addr;
			ms->k.namelen = m->msg_namelen;
		}
	} else {
		ms->k.name = &ms->addr;
	}
	if (m->msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	err = import_iovec(m->msg_iov, m->msg_iovlen, &ms->segs, &ms->vec);
	if (err)
		return err;
	ms->k.iter = &ms->vec;
	return 0;
}

/* One sendmsg on sock from the user msghdr at umsg: bytes sent or
 * -errno; *left gets the bytes not sent (sendmmsg stops there). */
static long sendmsg_one(struct socket *sock, u64 umsg, u32 flags, u64 *left)
{
	struct msg_state *ms = kmalloc(sizeof(*ms));
	long r;

	if (!ms)
		return -ENOMEM;
	r = copy_msghdr(umsg, ms, true);
	if (r)
		goto out;
	if (ms->um.msg_controllen > INT_MAX) {
		r = -ENOBUFS;
		goto out;
	}
	if (ms->um.msg_controllen) {
		u64 n = ms->um.msg_controllen;
		if (n > CTL_ON_STACK && n >= OPTMEM_MAX) {
			r = -ENOBUFS;
			goto out;
		}
		ms->ctl = kmalloc(n);
		if (!ms->ctl) {
			r = -ENOBUFS;
			goto out;
		}
		if (copy_from_user(ms->ctl, (void *)ms->um.msg_control, n)) {
			r = -EFAULT;
			goto out;
		}
		ms->k.control = ms->ctl;
		ms->k.controllen = n;
	}
	ms->k.flags = flags;
	r = sock_sendmsg(sock, &ms->k);
	if (left)
		*left = ms->vec.len;
out:
	msg_state_free(ms);
	kfree(ms);
	return r;
}

/* One recvmsg into the user msghdr at umsg: bytes received or -errno.
 * *oob is set when the message was out-of-band data (recvmmsg stops). */
static long recvmsg_one(struct socket *sock, u64 umsg, u32 flags)
{
	struct msg_state *ms = kmalloc(sizeof(*ms));
	long r, err;

	if (!ms)
		return -ENOMEM;
	r = copy_msghdr(umsg, ms, false);
	if (r)
		goto out;
	ms->k.control = (void *)ms->um.msg_control;
	ms->k.controllen = ms->um.msg_controllen;
	ms->k.flags = flags & MSG_CMSG_CLOEXEC;
	ms->k.namelen = 0;
	r = sock_recvmsg(sock, &ms->k, (int)flags);
	if (r < 0)
		goto out;
	if (ms->um.msg_name) {
		err = move_addr_to_user(&ms->addr, ms->k.namelen, ms->um.msg_name,
					umsg + offsetof(struct user_msghdr, msg_namelen));
		if (err) {
			r = err;
			goto out;
		}
	}
	u64 used = (u64)ms->k.control - ms->um.msg_control;
	if (put_user_u32(ms->k.flags, (void *)(umsg + offsetof(struct user_msghdr, msg_flags))) ||
	    put_user_u64(used, (void *)(umsg + offsetof(struct user_msghdr, msg_controllen))))
		r = -EFAULT;
out:
	msg_state_free(ms);
	kfree(ms);
	return r;
}

SYSCALL_DEFINE(44, sendto)
{
	u64 buf = a1, len = a2, uaddr = a4;
	int addrlen = (int)a5;
	struct sockaddr_storage addr;
	struct file *f;
	int err;
	long r;

	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (!user_range_ok(buf, len))
		return -EFAULT;
	struct socket *sock = sockfd_lookup((int)a0, &f, &err);
	if (!sock)
		return err;
	struct uio seg = { (void *)buf, len, true };
	struct uio_vec v = { &seg, 1, len };
	struct kmsghdr k = { .iter = &v, .flags = (u32)a3 };
	if (uaddr) {
		memset(&addr, 0, sizeof(addr));
		err = move_addr_to_kernel(uaddr, addrlen, &addr);
		if (err) {
			file_put(f);
			return err;
		}
		k.name = &addr;
		k.namelen = addrlen;
	}
	r = sock_sendmsg(sock, &k);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(45, recvfrom)
{
	u64 buf = a1, len = a2, uaddr = a4, ulen = a5;
	struct sockaddr_storage addr;
	struct file *f;
	int err;
	long r;

	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (!user_range_ok(buf, len))
		return -EFAULT;
	struct socket *sock = sockfd_lookup((int)a0, &f, &err);
	if (!sock)
		return err;
	struct uio seg = { (void *)buf, len, true };
	struct uio_vec v = { &seg, 1, len };
	struct kmsghdr k = { .iter = &v, .name = uaddr ? &addr : NULL };
	memset(&addr, 0, sizeof(addr));
	r = sock_recvmsg(sock, &k, (int)a3);
	if (r >= 0 && uaddr) {
		err = move_addr_to_user(&addr, k.namelen, uaddr, ulen);
		if (err)
			r = err;
	}
	file_put(f);
	return r;
}

SYSCALL_DEFINE(46, sendmsg)
{
	u32 flags = (u32)a2;
	struct file *f;
	int err;
	long r;
	struct socket *sock = sockfd_lookup((int)a0, &f, &err);

	if (!sock)
		return err;
	r = (flags & MSG_CMSG_COMPAT) ? -EINVAL : sendmsg_one(sock, a1, flags, NULL);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(47, recvmsg)
{
	u32 flags = (u32)a2;
	struct file *f;
	int err;
	long r;
	struct socket *sock = sockfd_lookup((int)a0, &f, &err);

	if (!sock)
		return err;
	r = (flags & MSG_CMSG_COMPAT) ? -EINVAL : recvmsg_one(sock, a1, flags);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(307, sendmmsg)
{
	u64 entry = a1;
	u32 vlen = (u32)a2, flags = (u32)a3, sent = 0;
	struct file *f;
	int err;
	long r = 0;

	if (flags & MSG_CMSG_COMPAT)
		return -EINVAL;
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	struct socket *sock = sockfd_lookup((int)a0, &f, &err);
	if (!sock)
		return err;
	flags |= MSG_BATCH;
	while (sent < vlen) {
		u64 left = 0;
		if (sent == vlen - 1)
			flags &= ~MSG_BATCH;
		r = sendmsg_one(sock, entry, flags, &left);
		if (r < 0)
			break;
		if (put_user_u32((u32)r, (void *)(entry + offsetof(struct mmsghdr_user, msg_len)))) {
			r = -EFAULT;
			break;
		}
		entry += sizeof(struct mmsghdr_user);
		sent++;
		if (left)
			break; /* a partial send ends the batch */
	}
	file_put(f);
	return sent ? (long)sent : r;
}

SYSCALL_DEFINE(299, recvmmsg)
{
	u64 entry = a1, uts = a4;
	u32 vlen = (u32)a2, flags = (u32)a3, got = 0;
	struct timespec ts;
	u64 end = 0;
	struct file *f;
	int err;
	long r = 0;

	if (flags & MSG_CMSG_COMPAT)
		return -EINVAL;
	if (uts) {
		if (copy_from_user(&ts, (void *)uts, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (s64)NSEC_PER_SEC)
			return -EINVAL;
		end = clock_monotonic_ns() + (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
	}
	struct socket *sock = sockfd_lookup((int)a0, &f, &err);
	if (!sock)
		return err;
	if (!(flags & MSG_ERRQUEUE)) {
		r = sock_error(sock->sk);
		if (r) {
			file_put(f);
			return r;
		}
	}
	while (got < vlen) {
		r = recvmsg_one(sock, entry, flags & ~MSG_WAITFORONE);
		if (r < 0)
			break;
		if (put_user_u32((u32)r, (void *)(entry + offsetof(struct mmsghdr_user, msg_len)))) {
			r = -EFAULT;
			break;
		}
		entry += sizeof(struct mmsghdr_user);
		got++;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		if (uts) {
			/* Linux checks the timeout only between datagrams */
			u64 now = clock_monotonic_ns();
			u64 left = end > now ? end - now : 0;
			ts.tv_sec = (s64)(left / NSEC_PER_SEC);
			ts.tv_nsec = (s64)(left % NSEC_PER_SEC);
			if (!left)
				break;
		}
	}
	if (got && r < 0 && r != -EAGAIN) {
		/* reported by the next call, as Linux does */
		__atomic_store_n(&sock->sk->err, (s32)-r, __ATOMIC_RELEASE);
	}
	file_put(f);
	if (!got)
		return r;
	if (uts && copy_to_user((void *)uts, &ts, sizeof(ts)))
		return -EFAULT;
	return got;
}
