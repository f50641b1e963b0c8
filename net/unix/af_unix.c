/* AF_UNIX sockets (man 7 unix; Linux's net/unix/af_unix.c): the family,
 * socket lifetime, socketpair, listen/accept, shutdown, names, ioctl and
 * poll, and the receive-queue buffers. Design and locking: unix.h.
 *
 * Lifetime. A unix_sock starts with one reference, owned by its struct
 * socket (or, for a connection not yet accepted, by the request buffer on
 * the listener's queue). A peer pointer and every buffer a socket sent
 * hold one more. Release (last close of the file) orphans the socket:
 * state CLOSE, shutdown in both directions, the peer of a stream or
 * seqpacket socket sees end-of-file and EPIPE (and ECONNRESET when this
 * side still had unread data, as Linux), its queue is purged (dropping
 * files in flight; a listener's pending connections are released the same
 * way, their clients getting ECONNRESET), and its name is unhashed.
 * Buffers it sent stay readable by their receivers. */
#include "unix.h"
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/task.h>
#include <skiff/uaccess.h>
#include <uapi/fcntl.h>
#include <uapi/poll.h>

static DEFINE_SPINLOCK(relay_lock);

static void unix_destruct(struct sock *sk)
{
	struct unix_sock *u = unix_sk(sk);

	/* release emptied the queue; an orphan never queues again */
	unix_purge_queue(u, false);
	if (u->addr && __atomic_sub_fetch(&u->addr->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(u->addr);
	kfree(u);
}

struct unix_sock *unix_sock_alloc(int type)
{
	struct unix_sock *u = kzalloc(sizeof(*u));

	if (!u)
		return NULL;
	sock_init(&u->sk, AF_UNIX, type, 0);
	u->sk.max_ack_backlog = UNIX_MAX_DGRAM_QLEN;
	u->sk.destruct = unix_destruct;
	list_init(&u->queue);
	list_init(&u->hash);
	list_init(&u->relay);
	list_init(&u->relay_waiters);
	list_init(&u->gc_link);
	fs_mutex_init(&u->iolock);
	fs_mutex_init(&u->bindlock);
	wait_queue_init(&u->peer_wait);
	return u;
}

static int unix_create(struct socket *sock, int protocol)
{
	struct unix_sock *u;

	if (protocol && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	switch (sock->type) {
	case SOCK_STREAM:
		sock->ops = &unix_stream_ops;
		break;
	case SOCK_RAW: /* BSD has it; Linux makes it a datagram socket */
		sock->type = SOCK_DGRAM;
		/* fall through */
	case SOCK_DGRAM:
		sock->ops = &unix_dgram_ops;
		break;
	case SOCK_SEQPACKET:
		sock->ops = &unix_seqpacket_ops;
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}
	u = unix_sock_alloc(sock->type);
	if (!u)
		return -ENOMEM;
	sock_graft(&u->sk, sock);
	return 0;
}

const struct net_proto_family unix_family_ops = {
	.family = AF_UNIX,
	.create = unix_create,
};

void unix_lock_two(struct unix_sock *a, struct unix_sock *b)
{
	if (!b || a == b) {
		spin_lock(&a->sk.lock);
		return;
	}
	if (a > b) {
		struct unix_sock *t = a;
		a = b;
		b = t;
	}
	spin_lock(&a->sk.lock);
	spin_lock(&b->sk.lock);
}

void unix_unlock_two(struct unix_sock *a, struct unix_sock *b)
{
	spin_unlock(&a->sk.lock);
	if (b && b != a)
		spin_unlock(&b->sk.lock);
}

struct unix_sock *unix_peer_get(struct unix_sock *u)
{
	struct unix_sock *p;

	spin_lock(&u->sk.lock);
	p = u->peer;
	if (p)
		sock_hold(&p->sk);
	spin_unlock(&u->sk.lock);
	return p;
}

void unix_init_peercred(struct unix_sock *u)
{
	sock_current_cred(&u->sk.peer_pid, &u->sk.peer_uid, &u->sk.peer_gid, true);
}

bool unix_recvq_full(struct unix_sock *u)
{
	return READ_ONCE(u->qlen) > READ_ONCE(u->sk.max_ack_backlog);
}

/* ---- datagram flow control relay (Linux's peer_wake) ---- */

void unix_relay_connect(struct unix_sock *u, struct unix_sock *other)
{
	spin_lock(&relay_lock);
	if (!u->relay_to) {
		u->relay_to = other;
		list_add_tail(&u->relay, &other->relay_waiters);
	}
	spin_unlock(&relay_lock);
	/* pairs with the fence in unix_wake_writers: either it sees us on the
	 * list, or we see the room it made */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void unix_relay_disconnect(struct unix_sock *u)
{
	if (!READ_ONCE(u->relay_to))
		return;
	spin_lock(&relay_lock);
	if (u->relay_to) {
		list_del(&u->relay);
		list_init(&u->relay);
		u->relay_to = NULL;
	}
	spin_unlock(&relay_lock);
}

void unix_wake_writers(struct unix_sock *u)
{
	wake_up_all(&u->peer_wait);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (list_empty(&u->relay_waiters))
		return;
	spin_lock(&relay_lock);
	while (!list_empty(&u->relay_waiters)) {
		struct unix_sock *w = list_first_entry(&u->relay_waiters, struct unix_sock, relay);
		list_del(&w->relay);
		list_init(&w->relay);
		w->relay_to = NULL;
		/* w cannot finish releasing while it is on our list */
		sk_write_space(&w->sk);
	}
	spin_unlock(&relay_lock);
}

/* ---- buffers ---- */

struct unix_skb *unix_skb_alloc(struct unix_sock *sender, u32 len, u64 deadline, int *err)
{
	struct unix_skb *skb;

	*err = sock_wait_for_wmem(&sender->sk, deadline);
	if (*err)
		return NULL;
	skb = kmalloc(sizeof(*skb) + len);
	if (!skb) {
		*err = -ENOBUFS;
		return NULL;
	}
	memset(skb, 0, sizeof(*skb));
	list_init(&skb->link);
	skb->len = len;
	skb->truesize = len + UNIX_SKB_OVERHEAD;
	skb->uid = skb->gid = ~0u;
	skb->sender = sender;
	sock_hold(&sender->sk);
	sock_wmem_charge(&sender->sk, skb->truesize);
	return skb;
}

void unix_skb_free(struct unix_skb *skb)
{
	if (skb->fp) {
		unix_inflight_del(skb->fp);
		scm_fp_free(skb->fp);
	}
	if (skb->sender) {
		sock_wmem_uncharge(&skb->sender->sk, skb->truesize);
		sock_put(&skb->sender->sk);
	}
	kfree(skb);
}

void unix_queue_tail(struct unix_sock *u, struct unix_skb *skb)
{
	assert_held(&u->sk.lock);
	list_add_tail(&skb->link, &u->queue);
	WRITE_ONCE(u->qlen, u->qlen + 1);
	WRITE_ONCE(u->rcv_gen, u->rcv_gen + 1);
}

void unix_purge_queue(struct unix_sock *u, bool release_embryos)
{
	struct list_head tmp;

	list_init(&tmp);
	spin_lock(&u->sk.lock);
	if (!list_empty(&u->queue)) {
		tmp.next = u->queue.next;
		tmp.prev = u->queue.prev;
		tmp.next->prev = &tmp;
		tmp.prev->next = &tmp;
		list_init(&u->queue);
	}
	WRITE_ONCE(u->qlen, 0);
	spin_unlock(&u->sk.lock);
	while (!list_empty(&tmp)) {
		struct unix_skb *skb = list_first_entry(&tmp, struct unix_skb, link);
		list_del(&skb->link);
		if (skb->embryo && release_embryos)
			unix_release_sock(skb->embryo, true);
		unix_skb_free(skb);
	}
}

void unix_skb_set_scm(struct unix_skb *skb, struct scm_cookie *scm, bool give_fds,
		      struct unix_sock *sender, struct unix_sock *receiver)
{
	if (scm && scm->creds_set) {
		skb->pid = scm->pid;
		skb->uid = scm->uid;
		skb->gid = scm->gid;
	}
	if (scm && give_fds && scm->fp) {
		skb->fp = scm->fp;
		scm->fp = NULL;
		unix_inflight_add(skb->fp);
	}
	if (!receiver || skb->pid)
		return;
	/* Linux's maybe_add_creds: the sender's own credentials when either
	 * end asked for them, or the receiver is not (yet) an open socket */
	if ((__atomic_load_n(&sender->sk.flags, __ATOMIC_RELAXED) & SKF_PASSCRED) || !receiver->sk.socket ||
	    (__atomic_load_n(&receiver->sk.flags, __ATOMIC_RELAXED) & SKF_PASSCRED))
		sock_current_cred(&skb->pid, &skb->uid, &skb->gid, false);
}

void unix_skb_get_creds(const struct unix_skb *skb, struct scm_cookie *scm)
{
	scm->pid = skb->pid;
	scm->uid = skb->uid;
	scm->gid = skb->gid;
}

void unix_copy_addr(struct kmsghdr *msg, struct unix_sock *src)
{
	struct unix_address *a = __atomic_load_n(&src->addr, __ATOMIC_ACQUIRE);

	if (a) {
		msg->namelen = (int)a->len;
		memcpy(msg->name, &a->name, a->len);
	}
}

/* ---- lifetime ---- */

void unix_release_sock(struct unix_sock *u, bool embryo)
{
	struct sock *sk = &u->sk;
	struct unix_sock *skpair;
	struct sock_node *node;
	bool had_data;
	u8 state;

	unix_unhash(u);
	spin_lock(&sk->lock);
	sock_orphan(sk);
	WRITE_ONCE(sk->shutdown, SHUTDOWN_MASK);
	node = u->node;
	u->node = NULL;
	state = sk->state;
	WRITE_ONCE(sk->state, SK_CLOSE);
	skpair = u->peer;
	u->peer = NULL;
	had_data = !list_empty(&u->queue);
	spin_unlock(&sk->lock);

	unix_relay_disconnect(u);
	unix_wake_writers(u);
	if (skpair) {
		if (sk->type == SOCK_STREAM || sk->type == SOCK_SEQPACKET) {
			spin_lock(&skpair->sk.lock);
			WRITE_ONCE(skpair->sk.shutdown, SHUTDOWN_MASK);
			if (had_data || embryo)
				__atomic_store_n(&skpair->sk.err, ECONNRESET, __ATOMIC_RELEASE);
			spin_unlock(&skpair->sk.lock);
			sk_wake(&skpair->sk);
			sk_wake_async(&skpair->sk, POLL_HUP);
		}
		sock_put(&skpair->sk);
	}
	unix_purge_queue(u, state == SK_LISTEN);
	vfs_sock_node_put(node);
	sock_put(sk);
	unix_gc(); /* a cycle through this socket may be unreachable now */
}

static void unix_release(struct socket *sock)
{
	unix_release_sock(unix_sk(sock->sk), false);
	sock->sk = NULL;
}

static int unix_socketpair(struct socket *a, struct socket *b)
{
	struct unix_sock *ua = unix_sk(a->sk), *ub = unix_sk(b->sk);

	sock_hold(&ua->sk);
	sock_hold(&ub->sk);
	unix_lock_two(ua, ub);
	ua->peer = ub;
	ub->peer = ua;
	unix_init_peercred(ua);
	unix_init_peercred(ub);
	ua->sk.state = ub->sk.state = SK_ESTABLISHED;
	unix_unlock_two(ua, ub);
	a->state = b->state = SS_CONNECTED;
	return 0;
}

static int unix_listen(struct socket *sock, int backlog)
{
	struct unix_sock *u = unix_sk(sock->sk);
	bool wake = false;
	int err = -EINVAL;

	if (!__atomic_load_n(&u->addr, __ATOMIC_ACQUIRE))
		return -EINVAL; /* no listen on an unbound socket */
	spin_lock(&u->sk.lock);
	if (u->sk.state == SK_CLOSE || u->sk.state == SK_LISTEN) {
		wake = (u32)backlog > u->sk.max_ack_backlog;
		WRITE_ONCE(u->sk.max_ack_backlog, (u32)backlog);
		WRITE_ONCE(u->sk.state, SK_LISTEN);
		/* what connect copies into its socket's SO_PEERCRED */
		unix_init_peercred(u);
		err = 0;
	}
	spin_unlock(&u->sk.lock);
	if (wake)
		wake_up_all(&u->peer_wait);
	return err;
}

static int unix_accept(struct socket *sock, struct socket *newsock, u32 fflags)
{
	struct unix_sock *u = unix_sk(sock->sk), *nu;
	struct unix_skb *skb = NULL;
	u64 deadline;
	int err;

	if (READ_ONCE(u->sk.state) != SK_LISTEN)
		return -EINVAL;
	deadline = sock_rcv_deadline(&u->sk, fflags & O_NONBLOCK);
	for (;;) {
		u32 gen;
		err = sock_error(&u->sk);
		if (err)
			return err;
		spin_lock(&u->sk.lock);
		gen = u->rcv_gen;
		if (!list_empty(&u->queue)) {
			skb = list_first_entry(&u->queue, struct unix_skb, link);
			list_del(&skb->link);
			WRITE_ONCE(u->qlen, u->qlen - 1);
		}
		spin_unlock(&u->sk.lock);
		if (skb)
			break;
		err = unix_wait_for_data(u, gen, deadline);
		if (err == 1)
			return -EINVAL; /* shut down for receiving */
		if (err)
			return err;
	}
	wake_up_all(&u->peer_wait); /* room in the backlog */
	nu = skb->embryo;
	skb->embryo = NULL;
	unix_skb_free(skb);
	if (__atomic_load_n(&u->sk.flags, __ATOMIC_RELAXED) & SKF_PASSCRED)
		__atomic_fetch_or(&nu->sk.flags, SKF_PASSCRED, __ATOMIC_RELAXED);
	newsock->state = SS_CONNECTED;
	sock_graft(&nu->sk, newsock);
	return 0;
}

static int unix_getname(struct socket *sock, struct sockaddr_storage *addr, bool peer)
{
	struct unix_sock *u = unix_sk(sock->sk), *t;
	struct sockaddr_un *sun = (struct sockaddr_un *)addr;
	struct unix_address *a;
	int len;

	if (peer) {
		t = unix_peer_get(u);
		if (!t)
			return -ENOTCONN;
	} else {
		t = u;
		sock_hold(&t->sk);
	}
	a = __atomic_load_n(&t->addr, __ATOMIC_ACQUIRE);
	if (!a) {
		sun->sun_family = AF_UNIX;
		sun->sun_path[0] = 0;
		len = (int)offsetof(struct sockaddr_un, sun_path);
	} else {
		len = (int)a->len;
		memcpy(addr, &a->name, a->len);
	}
	sock_put(&t->sk);
	return len;
}

static int unix_shutdown(struct socket *sock, int how)
{
	struct unix_sock *u = unix_sk(sock->sk), *other;
	int mode;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	mode = how + 1; /* SHUT_RD -> RCV_SHUTDOWN, SHUT_WR -> SEND_SHUTDOWN, both */
	spin_lock(&u->sk.lock);
	WRITE_ONCE(u->sk.shutdown, u->sk.shutdown | mode);
	other = u->peer;
	if (other)
		sock_hold(&other->sk);
	spin_unlock(&u->sk.lock);
	sk_wake(&u->sk);
	if (other && (u->sk.type == SOCK_STREAM || u->sk.type == SOCK_SEQPACKET)) {
		int peer_mode = ((mode & RCV_SHUTDOWN) ? SEND_SHUTDOWN : 0) |
				((mode & SEND_SHUTDOWN) ? RCV_SHUTDOWN : 0);
		spin_lock(&other->sk.lock);
		WRITE_ONCE(other->sk.shutdown, other->sk.shutdown | peer_mode);
		spin_unlock(&other->sk.lock);
		sk_wake(&other->sk);
		if (peer_mode == SHUTDOWN_MASK)
			sk_wake_async(&other->sk, POLL_HUP);
		else if (peer_mode & RCV_SHUTDOWN)
			sk_wake_async(&other->sk, POLL_IN);
	}
	if (other)
		sock_put(&other->sk);
	return 0;
}

static long unix_ioctl(struct socket *sock, u32 cmd, u64 arg)
{
	struct unix_sock *u = unix_sk(sock->sk);
	s64 amount = 0;

	switch (cmd) {
	case SIOCOUTQ:
		amount = __atomic_load_n(&u->sk.wmem, __ATOMIC_RELAXED);
		break;
	case SIOCINQ: {
		if (READ_ONCE(u->sk.state) == SK_LISTEN)
			return -EINVAL;
		spin_lock(&u->sk.lock);
		struct unix_skb *skb;
		list_for_each_entry(skb, &u->queue, link) {
			amount += skb->len - skb->consumed;
			if (u->sk.type == SOCK_DGRAM)
				break; /* a datagram socket reports its next datagram */
		}
		spin_unlock(&u->sk.lock);
		break;
	}
	case SIOCATMARK:
		amount = 0; /* no out-of-band data is ever queued */
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user_u32((u32)amount, (void *)arg) ? -EFAULT : 0;
}

static u32 unix_poll_common(struct file *f, struct unix_sock *u, struct poll_table *pt)
{
	struct sock *sk = &u->sk;
	u8 shutdown, state;
	u32 mask = 0;

	poll_wait(f, &sk->wq, pt);
	shutdown = READ_ONCE(sk->shutdown);
	state = READ_ONCE(sk->state);
	if (READ_ONCE(sk->err))
		mask |= POLLERR;
	if (shutdown == SHUTDOWN_MASK)
		mask |= POLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (READ_ONCE(u->qlen))
		mask |= POLLIN | POLLRDNORM;
	if ((sk->type == SOCK_STREAM || sk->type == SOCK_SEQPACKET) && state == SK_CLOSE)
		mask |= POLLHUP;
	return mask;
}

static u32 unix_poll(struct file *f, struct socket *sock, struct poll_table *pt)
{
	struct unix_sock *u = unix_sk(sock->sk);
	u32 mask = unix_poll_common(f, u, pt);

	/* writable also after the peer shut down: the write then fails at once */
	if (READ_ONCE(u->sk.state) != SK_LISTEN && sock_writable(&u->sk))
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return mask;
}

static u32 unix_dgram_poll(struct file *f, struct socket *sock, struct poll_table *pt)
{
	struct unix_sock *u = unix_sk(sock->sk), *other;
	u32 mask = unix_poll_common(f, u, pt);
	bool writable = READ_ONCE(u->sk.state) != SK_LISTEN && sock_writable(&u->sk);

	if (writable) {
		other = unix_peer_get(u);
		/* connected to a socket that is not connected back (a server such
		 * as /dev/log): also needs room in its queue */
		if (other && READ_ONCE(other->peer) != u && unix_recvq_full(other)) {
			unix_relay_connect(u, other);
			if (unix_recvq_full(other) && !READ_ONCE(other->sk.dead))
				writable = false;
			else
				unix_relay_disconnect(u);
		}
		if (other)
			sock_put(&other->sk);
	}
	if (writable)
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	else
		__atomic_fetch_or(&u->sk.flags, SKF_NOSPACE, __ATOMIC_RELAXED);
	return mask;
}

const struct proto_ops unix_stream_ops = {
	.family = AF_UNIX,
	.release = unix_release,
	.bind = unix_bind,
	.connect = unix_stream_connect,
	.socketpair = unix_socketpair,
	.accept = unix_accept,
	.getname = unix_getname,
	.poll = unix_poll,
	.ioctl = unix_ioctl,
	.listen = unix_listen,
	.shutdown = unix_shutdown,
	.sendmsg = unix_stream_sendmsg,
	.recvmsg = unix_stream_recvmsg,
};

const struct proto_ops unix_dgram_ops = {
	.family = AF_UNIX,
	.release = unix_release,
	.bind = unix_bind,
	.connect = unix_dgram_connect,
	.socketpair = unix_socketpair,
	.getname = unix_getname,
	.poll = unix_dgram_poll,
	.ioctl = unix_ioctl,
	.shutdown = unix_shutdown,
	.sendmsg = unix_dgram_sendmsg,
	.recvmsg = unix_dgram_recvmsg,
};

const struct proto_ops unix_seqpacket_ops = {
	.family = AF_UNIX,
	.release = unix_release,
	.bind = unix_bind,
	.connect = unix_stream_connect,
	.socketpair = unix_socketpair,
	.accept = unix_accept,
	.getname = unix_getname,
	.poll = unix_dgram_poll,
	.ioctl = unix_ioctl,
	.listen = unix_listen,
	.shutdown = unix_shutdown,
	.sendmsg = unix_seqpacket_sendmsg,
	.recvmsg = unix_seqpacket_recvmsg,
};
