/* The family-independent socket endpoint (struct sock, include/skiff/net.h):
 * reference counting, pending errors, wakeups and SIGIO, blocking with
 * SO_RCVTIMEO/SO_SNDTIMEO, send-buffer accounting, and the SOL_SOCKET
 * options (Linux's net/core/sock.c: sock_setsockopt/sock_getsockopt).
 *
 * Waiting. Every sleeper (reader, writer, acceptor, connector) waits on
 * sk->wq through vfs_wait_event(): queued and marked sleeping before its
 * condition is tested, so a state change followed by sk_wake() is never
 * missed. Conditions are lockless reads (READ_ONCE of counters and list
 * heads): they only say "worth retrying"; the caller re-checks under
 * sk->lock after waking.
 *
 * Send buffers. A buffer queued to a peer is charged to its sender
 * (sk->wmem, bytes including overhead) until the receiver frees it; a
 * writer may allocate while wmem < sndbuf, and the socket polls writable
 * when wmem <= sndbuf / 4, as Linux's unix_writable. Uncharging wakes the
 * sender once it is writable again. */
#include <skiff/net.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/task.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include <uapi/fcntl.h>
#include <uapi/poll.h>
#include <uapi/signal.h>

#define NS_PER_JIFFY (NSEC_PER_SEC / SK_HZ)
#define INT_MAX 0x7fffffff

void sock_init(struct sock *sk, int family, int type, int protocol)
{
	sk->refcount = 1;
	spin_init(&sk->lock, "sock");
	sk->family = (u16)family;
	sk->type = (u16)type;
	sk->protocol = (u16)protocol;
	sk->state = SK_CLOSE;
	sk->sndbuf = SK_WMEM_DEFAULT;
	sk->rcvbuf = SK_RMEM_DEFAULT;
	sk->rcvlowat = 1;
	sk->rcvtimeo = sk->sndtimeo = SK_NO_TIMEOUT;
	sk->peer_pid = 0;
	sk->peer_uid = sk->peer_gid = ~0u;
	wait_queue_init(&sk->wq);
}

void sock_put(struct sock *sk)
{
	if (__atomic_sub_fetch(&sk->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		sk->destruct(sk);
}

int sock_error(struct sock *sk)
{
	if (!READ_ONCE(sk->err))
		return 0;
	return -__atomic_exchange_n(&sk->err, 0, __ATOMIC_ACQ_REL);
}

void sock_graft(struct sock *sk, struct socket *sock)
{
	spin_lock(&sk->lock);
	sk->socket = sock;
	sock->sk = sk;
	spin_unlock(&sk->lock);
}

void sock_orphan(struct sock *sk)
{
	assert_held(&sk->lock);
	sk->socket = NULL;
	sk->dead = true;
}

void sk_wake(struct sock *sk)
{
	wake_up_all(&sk->wq);
}

#define POLLIN_SET  (POLLIN | POLLRDNORM | POLLRDBAND)
#define POLLOUT_SET (POLLOUT | POLLWRNORM | POLLWRBAND)

void sk_data_ready(struct sock *sk)
{
	wake_up_poll(&sk->wq, POLLIN_SET);
	sk_wake_async(sk, POLL_IN);
}

void sk_write_space(struct sock *sk)
{
	wake_up_poll(&sk->wq, POLLOUT_SET);
}

void sk_wake_async(struct sock *sk, int band)
{
	s32 owner = 0;

	if (band != POLL_OUT && (__atomic_load_n(&sk->flags, __ATOMIC_RELAXED) & SKF_WAITDATA))
		return;
	spin_lock(&sk->lock);
	struct socket *sock = sk->socket;
	if (sock && sock->file && (READ_ONCE(sock->file->flags) & O_ASYNC))
		owner = (s32)READ_ONCE(sock->file->owner_pid);
	spin_unlock(&sk->lock);
	(void)band; /* si_band needs F_SETSIG, which the VFS does not keep */
	if (owner > 0) {
		struct process *p = process_get(owner);
		if (p) {
			send_signal_process(p, SIGIO, SI_KERNEL);
			process_put(p);
		} else {
			/* F_SETOWN_EX with F_OWNER_TID: a thread */
			struct task *t = task_get(owner);
			if (t) {
				send_signal_task(t, SIGIO, SI_KERNEL);
				task_put(t);
			}
		}
	} else if (owner < 0) {
		send_signal_pgrp(-owner, SIGIO);
	}
}

static u64 deadline_from(u64 timeo, bool nonblock)
{
	if (nonblock || timeo == 0)
		return 0;
	if (timeo == SK_NO_TIMEOUT)
		return ~0ull;
	u64 now = clock_monotonic_ns();
	if (timeo > (~0ull - now) / NS_PER_JIFFY)
		return ~0ull - 1;
	return now + timeo * NS_PER_JIFFY;
}

u64 sock_rcv_deadline(struct sock *sk, bool nonblock)
{
	return deadline_from(READ_ONCE(sk->rcvtimeo), nonblock);
}

u64 sock_snd_deadline(struct sock *sk, bool nonblock)
{
	return deadline_from(READ_ONCE(sk->sndtimeo), nonblock);
}

int sock_intr_errno(u64 deadline)
{
	return deadline == ~0ull ? -ERESTARTSYS : -EINTR;
}

int sock_wait(struct wait_queue *wq, bool (*cond)(void *), void *arg, u64 deadline)
{
	int err;

	if (cond(arg))
		return 0;
	if (deadline == 0)
		return -EAGAIN;
	err = vfs_wait_event(wq, cond, arg, deadline == ~0ull ? 0 : deadline);
	if (err == -ETIMEDOUT)
		return -EAGAIN;
	if (err == -ERESTARTSYS)
		return sock_intr_errno(deadline);
	return err;
}

static bool wmem_ready(void *arg)
{
	struct sock *sk = arg;
	return READ_ONCE(sk->wmem) < READ_ONCE(sk->sndbuf) || (READ_ONCE(sk->shutdown) & SEND_SHUTDOWN) ||
	       READ_ONCE(sk->err);
}

/* Linux's sock_alloc_send_pskb wait: 0 when the caller may allocate a
 * buffer, else the pending error, -EPIPE after shutdown, -EAGAIN
 * (non-blocking or timed out), -EINTR/-ERESTARTSYS. */
int sock_wait_for_wmem(struct sock *sk, u64 deadline)
{
	for (;;) {
		int err = sock_error(sk);
		if (err)
			return err;
		if (READ_ONCE(sk->shutdown) & SEND_SHUTDOWN)
			return -EPIPE;
		if (READ_ONCE(sk->wmem) < READ_ONCE(sk->sndbuf))
			return 0;
		__atomic_fetch_or(&sk->flags, SKF_NOSPACE, __ATOMIC_RELAXED);
		err = sock_wait(&sk->wq, wmem_ready, sk, deadline);
		if (err)
			return err;
	}
}

void sock_wmem_charge(struct sock *sk, u32 bytes)
{
	__atomic_fetch_add(&sk->wmem, (s32)bytes, __ATOMIC_RELAXED);
}

void sock_wmem_uncharge(struct sock *sk, u32 bytes)
{
	__atomic_fetch_sub(&sk->wmem, (s32)bytes, __ATOMIC_RELEASE);
	if (!sock_writable(sk))
		return;
	sk_write_space(sk);
	if (__atomic_load_n(&sk->flags, __ATOMIC_RELAXED) & SKF_NOSPACE) {
		__atomic_fetch_and(&sk->flags, ~SKF_NOSPACE, __ATOMIC_RELAXED);
		sk_wake_async(sk, POLL_OUT);
	}
}

void sock_current_cred(s32 *pid, u32 *uid, u32 *gid, bool effective)
{
	struct process *p = current->task ? current_proc() : NULL;

	*pid = p ? p->pid : 0;
	*uid = p ? (effective ? p->euid : p->uid) : 0;
	*gid = p ? (effective ? p->egid : p->gid) : 0;
}

static bool capable(void)
{
	struct process *p = current->task ? current_proc() : NULL;
	return !p || p->euid == 0;
}

/* ---- SOL_SOCKET options ---- */

static void set_flag(struct sock *sk, u32 bit, bool on)
{
	if (on)
		__atomic_fetch_or(&sk->flags, bit, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&sk->flags, ~bit, __ATOMIC_RELAXED);
}

static bool has_flag(struct sock *sk, u32 bit)
{
	return __atomic_load_n(&sk->flags, __ATOMIC_RELAXED) & bit;
}

/* Linux's sock_set_timeout for struct timeval (old and new layouts are the
 * same on x86-64). */
static int set_timeout(u64 *timeo, u64 uval, u32 len)
{
	struct sock_timeval tv;

	if (len < sizeof(tv))
		return -EINVAL;
	if (copy_from_user(&tv, (void *)uval, sizeof(tv)))
		return -EFAULT;
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		WRITE_ONCE(*timeo, 0);
		return 0;
	}
	if (tv.tv_sec == 0 && tv.tv_usec == 0) {
		WRITE_ONCE(*timeo, SK_NO_TIMEOUT);
		return 0;
	}
	if ((u64)tv.tv_sec >= (0x7fffffffffffffffull / SK_HZ) - 1) {
		WRITE_ONCE(*timeo, SK_NO_TIMEOUT);
		return 0;
	}
	WRITE_ONCE(*timeo, (u64)tv.tv_sec * SK_HZ + DIV_ROUND_UP((u64)tv.tv_usec, 1000000 / SK_HZ));
	return 0;
}

static void get_timeout(u64 timeo, struct sock_timeval *tv)
{
	if (timeo == SK_NO_TIMEOUT) {
		tv->tv_sec = tv->tv_usec = 0;
		return;
	}
	tv->tv_sec = (s64)(timeo / SK_HZ);
	tv->tv_usec = (s64)((timeo % SK_HZ) * 1000000 / SK_HZ);
}

static void set_buf(s32 *buf, s64 val, s32 min)
{
	if (val > INT_MAX / 2)
		val = INT_MAX / 2;
	WRITE_ONCE(*buf, (s32)MAX(val * 2, (s64)min));
}

int sock_setsockopt(struct socket *sock, int name, u64 uval, u32 len)
{
	struct sock *sk = sock->sk;
	s32 val;
	int ret = 0;

	if (len < sizeof(int))
		return -EINVAL;
	if (copy_from_user(&val, (void *)uval, sizeof(val)))
		return -EFAULT;
	bool on = val != 0;

	switch (name) {
	case SO_DEBUG:
		if (val && !capable())
			ret = -EACCES;
		else
			set_flag(sk, SKF_DEBUG, on);
		break;
	case SO_REUSEADDR:
		set_flag(sk, SKF_REUSEADDR, on);
		break;
	case SO_REUSEPORT:
		set_flag(sk, SKF_REUSEPORT, on);
		break;
	case SO_TYPE:
	case SO_PROTOCOL:
	case SO_DOMAIN:
	case SO_ERROR:
		ret = -ENOPROTOOPT;
		break;
	case SO_DONTROUTE:
		set_flag(sk, SKF_DONTROUTE, on);
		break;
	case SO_BROADCAST:
		set_flag(sk, SKF_BROADCAST, on);
		break;
	case SO_SNDBUF:
		/* an unsigned min: a negative value means the maximum */
		set_buf(&sk->sndbuf, MIN((u32)val, (u32)SK_WMEM_MAX), SK_MIN_SNDBUF);
		sk_write_space(sk);
		break;
	case SO_SNDBUFFORCE:
		if (!capable()) {
			ret = -EPERM;
			break;
		}
		set_buf(&sk->sndbuf, val < 0 ? 0 : val, SK_MIN_SNDBUF);
		sk_write_space(sk);
		break;
	case SO_RCVBUF:
		set_buf(&sk->rcvbuf, MIN((u32)val, (u32)SK_RMEM_MAX), SK_MIN_RCVBUF);
		break;
	case SO_RCVBUFFORCE:
		if (!capable()) {
			ret = -EPERM;
			break;
		}
		set_buf(&sk->rcvbuf, val < 0 ? 0 : val, SK_MIN_RCVBUF);
		break;
	case SO_KEEPALIVE:
		set_flag(sk, SKF_KEEPALIVE, on);
		break;
	case SO_OOBINLINE:
		set_flag(sk, SKF_OOBINLINE, on);
		break;
	case SO_NO_CHECK:
		break;
	case SO_PRIORITY:
		if ((val >= 0 && val <= 6) || capable())
			WRITE_ONCE(sk->priority, val);
		else
			ret = -EPERM;
		break;
	case SO_LINGER: {
		struct linger l;
		if (len < sizeof(l)) {
			ret = -EINVAL;
			break;
		}
		if (copy_from_user(&l, (void *)uval, sizeof(l))) {
			ret = -EFAULT;
			break;
		}
		if (l.l_onoff) {
			WRITE_ONCE(sk->lingertime, (u32)l.l_linger);
			set_flag(sk, SKF_LINGER, true);
		} else {
			set_flag(sk, SKF_LINGER, false);
		}
		break;
	}
	case SO_BSDCOMPAT:
		break;
	case SO_PASSCRED:
		set_flag(sk, SKF_PASSCRED, on);
		break;
	case SO_RCVLOWAT:
		if (val < 0)
			val = INT_MAX;
		WRITE_ONCE(sk->rcvlowat, val ? val : 1);
		break;
	case SO_RCVTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
		ret = set_timeout(&sk->rcvtimeo, uval, len);
		break;
	case SO_SNDTIMEO_OLD:
	case SO_SNDTIMEO_NEW:
		ret = set_timeout(&sk->sndtimeo, uval, len);
		break;
	case SO_MARK:
		if (!capable())
			ret = -EPERM;
		else
			WRITE_ONCE(sk->mark, (u32)val);
		break;
	case SO_PEEK_OFF:
		ret = -EOPNOTSUPP; /* no family here keeps a peek offset */
		break;
	default:
		ret = -ENOPROTOOPT;
		break;
	}
	return ret;
}

static u64 next_cookie = 1;

int sock_getsockopt(struct socket *sock, int name, u64 uval, u64 ulen)
{
	struct sock *sk = sock->sk;
	union {
		s32 val;
		u64 val64;
		struct linger ling;
		struct sock_timeval tv;
		struct ucred cred;
	} v;
	s32 len;
	u32 lv = sizeof(int);

	if (copy_from_user(&len, (void *)ulen, sizeof(len)))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	memset(&v, 0, sizeof(v));

	switch (name) {
	case SO_DEBUG:
		v.val = has_flag(sk, SKF_DEBUG);
		break;
	case SO_DONTROUTE:
		v.val = has_flag(sk, SKF_DONTROUTE);
		break;
	case SO_BROADCAST:
		v.val = has_flag(sk, SKF_BROADCAST);
		break;
	case SO_SNDBUF:
		v.val = READ_ONCE(sk->sndbuf);
		break;
	case SO_RCVBUF:
		v.val = READ_ONCE(sk->rcvbuf);
		break;
	case SO_REUSEADDR:
		v.val = has_flag(sk, SKF_REUSEADDR);
		break;
	case SO_REUSEPORT:
		v.val = has_flag(sk, SKF_REUSEPORT);
		break;
	case SO_KEEPALIVE:
		v.val = has_flag(sk, SKF_KEEPALIVE);
		break;
	case SO_TYPE:
		v.val = sk->type;
		break;
	case SO_PROTOCOL:
		v.val = sk->protocol;
		break;
	case SO_DOMAIN:
		v.val = sk->family;
		break;
	case SO_ERROR:
		v.val = -sock_error(sk);
		break;
	case SO_OOBINLINE:
		v.val = has_flag(sk, SKF_OOBINLINE);
		break;
	case SO_NO_CHECK:
		v.val = 0;
		break;
	case SO_PRIORITY:
		v.val = READ_ONCE(sk->priority);
		break;
	case SO_LINGER:
		lv = sizeof(v.ling);
		v.ling.l_onoff = has_flag(sk, SKF_LINGER);
		v.ling.l_linger = (s32)READ_ONCE(sk->lingertime);
		break;
	case SO_BSDCOMPAT:
		break;
	case SO_RCVTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
		lv = sizeof(v.tv);
		get_timeout(READ_ONCE(sk->rcvtimeo), &v.tv);
		break;
	case SO_SNDTIMEO_OLD:
	case SO_SNDTIMEO_NEW:
		lv = sizeof(v.tv);
		get_timeout(READ_ONCE(sk->sndtimeo), &v.tv);
		break;
	case SO_RCVLOWAT:
		v.val = READ_ONCE(sk->rcvlowat);
		break;
	case SO_SNDLOWAT:
		v.val = 1;
		break;
	case SO_PASSCRED:
		v.val = has_flag(sk, SKF_PASSCRED);
		break;
	case SO_PEERCRED:
		if ((u32)len > sizeof(v.cred))
			len = sizeof(v.cred);
		spin_lock(&sk->lock);
		v.cred.pid = sk->peer_pid;
		v.cred.uid = sk->peer_uid;
		v.cred.gid = sk->peer_gid;
		spin_unlock(&sk->lock);
		if (copy_to_user((void *)uval, &v.cred, (size_t)len))
			return -EFAULT;
		goto lenout;
	case SO_PEERNAME: {
		struct sockaddr_storage addr;
		int alen = sock->ops->getname(sock, &addr, true);
		if (alen < 0)
			return -ENOTCONN;
		if (alen < len)
			return -EINVAL;
		if (copy_to_user((void *)uval, &addr, (size_t)len))
			return -EFAULT;
		goto lenout;
	}
	case SO_ACCEPTCONN:
		v.val = READ_ONCE(sk->state) == SK_LISTEN;
		break;
	case SO_MARK:
		v.val = (s32)READ_ONCE(sk->mark);
		break;
	case SO_COOKIE:
		lv = sizeof(u64);
		if ((u32)len < lv)
			return -EINVAL;
		/* a counter value given out once per socket, as Linux */
		v.val64 = __atomic_load_n(&sk->cookie, __ATOMIC_ACQUIRE);
		if (!v.val64) {
			u64 c = __atomic_fetch_add(&next_cookie, 1, __ATOMIC_RELAXED), old = 0;
			if (!__atomic_compare_exchange_n(&sk->cookie, &old, c, false, __ATOMIC_ACQ_REL,
							 __ATOMIC_ACQUIRE))
				c = old;
			v.val64 = c;
		}
		break;
	case SO_PEEK_OFF:
		return -EOPNOTSUPP;
	default:
		return -ENOPROTOOPT;
	}
	if ((u32)len > lv)
		len = (s32)lv;
	if (copy_to_user((void *)uval, &v, (size_t)len))
		return -EFAULT;
lenout:
	if (copy_to_user((void *)ulen, &len, sizeof(len)))
		return -EFAULT;
	return 0;
}
