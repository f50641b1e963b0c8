/* AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET send and receive (Linux's
 * unix_dgram_sendmsg, __unix_dgram_recvmsg and the seqpacket wrappers).
 * Design and locking: unix.h.
 *
 * A datagram is one buffer: at most sndbuf - 32 bytes (EMSGSIZE), sent to
 * the connected peer or to the address given (sendto to a bound path or
 * abstract name). A receiver that is not connected back to the sender
 * accepts at most max_dgram_qlen (10) queued datagrams beyond which the
 * sender blocks or gets EAGAIN; a socketpair or mutually connected pair is
 * limited by the send buffer alone. Sending to a peer that closed fails
 * once with ECONNREFUSED and disconnects (then ENOTCONN); a seqpacket
 * socket gets EPIPE. Neither raises SIGPIPE.
 *
 * Receive takes the head datagram whole: a smaller buffer gets its first
 * bytes and MSG_TRUNC (the full length with the MSG_TRUNC flag). A
 * blocking receive after shutdown(SHUT_RD) returns 0; a non-blocking one
 * EAGAIN, except on a seqpacket socket, where it is end of file as well. */
#include "unix.h"
#include <skiff/errno.h>
#include <skiff/string.h>

static bool room_in(void *arg)
{
	struct unix_sock *o = arg;
	return READ_ONCE(o->sk.dead) || (READ_ONCE(o->sk.shutdown) & RCV_SHUTDOWN) || !unix_recvq_full(o);
}

long unix_dgram_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len)
{
	struct unix_sock *u = unix_sk(sock->sk), *other = NULL;
	struct sock *sk = &u->sk;
	struct sockaddr_storage *sunaddr = NULL;
	struct unix_skb *skb = NULL;
	struct scm_cookie scm;
	u64 deadline;
	int err;

	err = scm_send(sock, msg, &scm, false);
	if (err)
		return err;
	if (msg->flags & MSG_OOB) {
		err = -EOPNOTSUPP;
		goto out;
	}
	if (msg->namelen) {
		err = unix_validate_addr(msg->name, msg->namelen);
		if (err)
			goto out;
		sunaddr = msg->name;
	} else {
		other = unix_peer_get(u);
		if (!other) {
			err = -ENOTCONN;
			goto out;
		}
	}
	if ((__atomic_load_n(&sk->flags, __ATOMIC_RELAXED) & SKF_PASSCRED) && !READ_ONCE(u->addr)) {
		err = unix_autobind(u);
		if (err)
			goto out;
	}
	if ((s64)len > (s64)READ_ONCE(sk->sndbuf) - 32) {
		err = -EMSGSIZE;
		goto out;
	}
	skb = unix_skb_alloc(u, (u32)len, sock_snd_deadline(sk, msg->flags & MSG_DONTWAIT), &err);
	if (!skb)
		goto out;
	unix_skb_set_scm(skb, &scm, true, u, NULL);
	err = uio_vec_copy_in(msg->iter, skb->data, len);
	if (err)
		goto out;
	deadline = sock_snd_deadline(sk, msg->flags & MSG_DONTWAIT);

restart:
	if (!other) {
		err = -ECONNRESET;
		if (!sunaddr)
			goto out;
		other = unix_find_other(sunaddr, msg->namelen, sk->type, &err);
		if (!other)
			goto out;
	}
	spin_lock(&other->sk.lock);
	if (other->peer && other->peer != u) {
		err = -EPERM; /* it is connected to someone else */
		goto out_unlock;
	}
	if (other->sk.dead) {
		spin_unlock(&other->sk.lock);
		sock_put(&other->sk);
		err = 0;
		spin_lock(&sk->lock);
		if (sk->type == SOCK_SEQPACKET) {
			spin_unlock(&sk->lock);
			err = -EPIPE;
		} else if (u->peer == other) {
			/* the connected peer is gone: disconnect, report it once */
			u->peer = NULL;
			WRITE_ONCE(sk->state, SK_CLOSE);
			spin_unlock(&sk->lock);
			unix_relay_disconnect(u);
			unix_dgram_disconnected(u, other);
			sock_put(&other->sk);
			err = -ECONNREFUSED;
		} else {
			spin_unlock(&sk->lock);
		}
		other = NULL;
		if (err)
			goto out;
		goto restart;
	}
	err = -EPIPE;
	if (other->sk.shutdown & RCV_SHUTDOWN)
		goto out_unlock;
	if (other != u && other->peer != u && unix_recvq_full(other)) {
		spin_unlock(&other->sk.lock);
		if (deadline) {
			err = sock_wait(&other->peer_wait, room_in, other, deadline);
			if (err == -EAGAIN)
				deadline = 0;
			else if (err)
				goto out;
			goto restart;
		}
		/* let poll know when there is room again */
		if (READ_ONCE(u->peer) == other) {
			unix_relay_connect(u, other);
			if (!unix_recvq_full(other)) {
				unix_relay_disconnect(u);
				goto restart;
			}
		}
		err = -EAGAIN;
		goto out;
	}
	unix_skb_set_scm(skb, NULL, false, u, other);
	unix_queue_tail(other, skb);
	skb = NULL;
	spin_unlock(&other->sk.lock);
	sk_data_ready(&other->sk);
	sock_put(&other->sk);
	scm_destroy(&scm);
	return (long)len;

out_unlock:
	spin_unlock(&other->sk.lock);
out:
	if (skb)
		unix_skb_free(skb);
	if (other)
		sock_put(&other->sk);
	scm_destroy(&scm);
	return err;
}

struct data_wait {
	struct unix_sock *u;
	u32 gen;
};

static bool data_ready(void *arg)
{
	struct data_wait *w = arg;
	struct sock *sk = &w->u->sk;
	return READ_ONCE(w->u->rcv_gen) != w->gen || READ_ONCE(sk->err) ||
	       (READ_ONCE(sk->shutdown) & RCV_SHUTDOWN);
}

int unix_wait_for_data(struct unix_sock *u, u32 gen, u64 deadline)
{
	struct sock *sk = &u->sk;
	struct data_wait w = { u, gen };
	int err = sock_error(sk);

	if (err)
		return err;
	if (READ_ONCE(u->rcv_gen) != gen)
		return 0;
	if (READ_ONCE(sk->shutdown) & RCV_SHUTDOWN)
		return 1;
	if ((sk->type == SOCK_STREAM || sk->type == SOCK_SEQPACKET) &&
	    READ_ONCE(sk->state) != SK_ESTABLISHED && READ_ONCE(sk->state) != SK_LISTEN)
		return -ENOTCONN;
	return sock_wait(&sk->wq, data_ready, &w, deadline);
}

long unix_dgram_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t size, int flags)
{
	struct unix_sock *u = unix_sk(sock->sk);
	struct sock *sk = &u->sk;
	struct unix_skb *skb = NULL;
	struct scm_cookie scm;
	u64 deadline;
	long ret;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	deadline = sock_rcv_deadline(sk, flags & MSG_DONTWAIT);
	for (;;) {
		u32 gen;
		fs_mutex_lock(&u->iolock);
		err = sock_error(sk);
		if (err) {
			fs_mutex_unlock(&u->iolock);
			break;
		}
		spin_lock(&sk->lock);
		gen = u->rcv_gen;
		if (!list_empty(&u->queue)) {
			skb = list_first_entry(&u->queue, struct unix_skb, link);
			if (!(flags & MSG_PEEK)) {
				list_del(&skb->link);
				WRITE_ONCE(u->qlen, u->qlen - 1);
			}
		}
		spin_unlock(&sk->lock);
		if (skb)
			break; /* iolock stays held */
		fs_mutex_unlock(&u->iolock);
		err = -EAGAIN;
		if (!deadline)
			break;
		err = unix_wait_for_data(u, gen, deadline);
		if (err == 1) {
			err = 0; /* shut down for receiving: end of file */
			break;
		}
		if (err == -EAGAIN)
			deadline = 0; /* timed out: one more look */
		else if (err)
			break;
	}
	if (!skb) {
		/* end of file on a non-blocking, disconnected seqpacket socket */
		if (sk->type == SOCK_SEQPACKET && err == -EAGAIN && (READ_ONCE(sk->shutdown) & RCV_SHUTDOWN))
			err = 0;
		return err;
	}
	if (!(flags & MSG_PEEK))
		unix_wake_writers(u);
	if (msg->name && skb->sender)
		unix_copy_addr(msg, skb->sender);
	if (size > skb->len)
		size = skb->len;
	else if (size < skb->len)
		msg->flags |= MSG_TRUNC;
	if (uio_vec_copy_out(msg->iter, skb->data, size)) {
		ret = -EFAULT;
		goto out_free;
	}
	memset(&scm, 0, sizeof(scm));
	unix_skb_get_creds(skb, &scm);
	if (!(flags & MSG_PEEK)) {
		scm.fp = skb->fp;
		skb->fp = NULL;
		if (scm.fp)
			unix_inflight_del(scm.fp);
	} else if (skb->fp) {
		scm.fp = scm_fp_dup(skb->fp);
	}
	ret = (flags & MSG_TRUNC) ? (long)skb->len : (long)size;
	scm_recv(sock, msg, &scm, flags);
out_free:
	fs_mutex_unlock(&u->iolock);
	if (!(flags & MSG_PEEK))
		unix_skb_free(skb);
	return ret;
}

long unix_seqpacket_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len)
{
	struct sock *sk = sock->sk;
	int err = sock_error(sk);

	if (err)
		return err;
	if (READ_ONCE(sk->state) != SK_ESTABLISHED)
		return -ENOTCONN;
	msg->namelen = 0; /* the address is ignored */
	return unix_dgram_sendmsg(sock, msg, len);
}

long unix_seqpacket_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t size, int flags)
{
	if (READ_ONCE(sock->sk->state) != SK_ESTABLISHED)
		return -ENOTCONN;
	return unix_dgram_recvmsg(sock, msg, size, flags);
}
