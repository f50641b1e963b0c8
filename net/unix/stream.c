/* AF_UNIX SOCK_STREAM send and receive (Linux's unix_stream_sendmsg and
 * unix_stream_read_generic). Design and locking: unix.h.
 *
 * Send cuts the data into buffers of at most half the send buffer (and
 * 16 KiB, one order-2 allocation each), each waiting for send-buffer room
 * (SO_SNDTIMEO, MSG_DONTWAIT) and appended to the peer's queue; files in
 * flight ride on the first. A peer that is gone or shut down for
 * receiving makes the call fail with EPIPE and raise SIGPIPE (unless
 * MSG_NOSIGNAL) when nothing was sent yet; otherwise the count sent so
 * far is returned.
 *
 * Receive copies across buffers until the request is filled, the queue is
 * empty once at least SO_RCVLOWAT bytes (all of them with MSG_WAITALL)
 * were copied, or a buffer carried files (a message with SCM_RIGHTS ends
 * the read, so descriptors arrive with the bytes they came with). With
 * SO_PASSCRED it never joins data of different senders. End of file is
 * the peer's shutdown or close; a pending error (ECONNRESET when the peer
 * closed with data unread) is reported once the queue is empty. */
#include "unix.h"
#include <skiff/errno.h>
#include <skiff/string.h>
#include <skiff/task.h>
#include <uapi/signal.h>

#define UNIX_STREAM_CHUNK (16384u - (u32)sizeof(struct unix_skb))

long unix_stream_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len)
{
	struct unix_sock *u = unix_sk(sock->sk), *other = NULL;
	struct sock *sk = &u->sk;
	struct scm_cookie scm;
	bool fds_sent = false;
	size_t sent = 0;
	int err;

	err = scm_send(sock, msg, &scm, false);
	if (err)
		return err;
	if (msg->flags & MSG_OOB) {
		err = -EOPNOTSUPP; /* no out-of-band data */
		goto out_err;
	}
	if (msg->namelen) {
		err = READ_ONCE(sk->state) == SK_ESTABLISHED ? -EISCONN : -EOPNOTSUPP;
		goto out_err;
	}
	other = unix_peer_get(u);
	if (!other) {
		err = -ENOTCONN;
		goto out_err;
	}
	if (READ_ONCE(sk->shutdown) & SEND_SHUTDOWN)
		goto pipe_err;
	while (sent < len) {
		u32 size = (u32)MIN(len - sent, (size_t)UNIX_STREAM_CHUNK);
		s32 half = (READ_ONCE(sk->sndbuf) >> 1) - 64;
		if (half > 0 && size > (u32)half)
			size = (u32)half;
		struct unix_skb *skb =
			unix_skb_alloc(u, size, sock_snd_deadline(sk, msg->flags & MSG_DONTWAIT), &err);
		if (!skb)
			goto out_err;
		unix_skb_set_scm(skb, &scm, !fds_sent, u, NULL);
		fds_sent = true;
		err = uio_vec_copy_in(msg->iter, skb->data, size);
		if (err) {
			unix_skb_free(skb);
			goto out_err;
		}
		spin_lock(&other->sk.lock);
		if (other->sk.dead || (other->sk.shutdown & RCV_SHUTDOWN)) {
			spin_unlock(&other->sk.lock);
			unix_skb_free(skb);
			goto pipe_err;
		}
		unix_skb_set_scm(skb, NULL, false, u, other);
		unix_queue_tail(other, skb);
		spin_unlock(&other->sk.lock);
		sk_data_ready(&other->sk);
		sent += size;
	}
	sock_put(&other->sk);
	scm_destroy(&scm);
	return (long)sent;

pipe_err:
	if (!sent && !(msg->flags & MSG_NOSIGNAL) && current->task)
		send_signal_task(current_task(), SIGPIPE, 0);
	err = -EPIPE;
out_err:
	if (other)
		sock_put(&other->sk);
	scm_destroy(&scm);
	return sent ? (long)sent : err;
}

static bool same_creds(const struct unix_skb *skb, const struct scm_cookie *scm)
{
	return skb->pid == scm->pid && skb->uid == scm->uid && skb->gid == scm->gid;
}

long unix_stream_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t size, int flags)
{
	struct unix_sock *u = unix_sk(sock->sk);
	struct sock *sk = &u->sk;
	struct scm_cookie scm;
	struct unix_skb *skb, *last = NULL;
	bool check_creds = false, addr_copied = false;
	size_t copied = 0, target;
	u64 deadline;
	int err = 0;

	if (READ_ONCE(sk->state) != SK_ESTABLISHED)
		return -EINVAL;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	target = (flags & MSG_WAITALL) ? size : MIN((size_t)READ_ONCE(sk->rcvlowat), size);
	if (!target)
		target = 1;
	deadline = sock_rcv_deadline(sk, flags & MSG_DONTWAIT);
	memset(&scm, 0, sizeof(scm));

	fs_mutex_lock(&u->iolock);
	for (;;) {
		u32 gen;
		spin_lock(&sk->lock);
		gen = u->rcv_gen;
		if (!last)
			skb = list_empty(&u->queue) ? NULL : list_first_entry(&u->queue, struct unix_skb, link);
		else /* peeking on past what was already looked at */
			skb = last->link.next == &u->queue ? NULL
							     : list_entry(last->link.next, struct unix_skb, link);
		if (!skb) {
			if (copied >= target || last) {
				spin_unlock(&sk->lock);
				break;
			}
			/* POSIX 1003.1g order: the error, then end of file */
			err = sock_error(sk);
			if (err || (sk->shutdown & RCV_SHUTDOWN)) {
				spin_unlock(&sk->lock);
				break;
			}
			spin_unlock(&sk->lock);
			if (!deadline) {
				err = -EAGAIN;
				break;
			}
			fs_mutex_unlock(&u->iolock);
			__atomic_fetch_or(&sk->flags, SKF_WAITDATA, __ATOMIC_RELAXED);
			err = unix_wait_for_data(u, gen, deadline);
			__atomic_fetch_and(&sk->flags, ~SKF_WAITDATA, __ATOMIC_RELAXED);
			if (err == -EAGAIN) {
				deadline = 0; /* timed out: one more look */
			} else if (err < 0) {
				scm_destroy(&scm);
				return copied ? (long)copied : err;
			}
			err = 0;
			fs_mutex_lock(&u->iolock);
			continue;
		}
		spin_unlock(&sk->lock);

		if (check_creds) {
			if (!same_creds(skb, &scm))
				break; /* never glue messages from different writers */
		} else if (__atomic_load_n(&sk->flags, __ATOMIC_RELAXED) & SKF_PASSCRED) {
			unix_skb_get_creds(skb, &scm);
			check_creds = true;
		}
		if (msg->name && !addr_copied && skb->sender) {
			unix_copy_addr(msg, skb->sender);
			addr_copied = true;
		}
		u32 off = skb->consumed;
		u32 chunk = (u32)MIN((size_t)(skb->len - off), size);
		if (uio_vec_copy_out(msg->iter, skb->data + off, chunk)) {
			if (!copied)
				err = -EFAULT;
			break;
		}
		copied += chunk;
		size -= chunk;

		if (!(flags & MSG_PEEK)) {
			bool done, detached = false;
			spin_lock(&sk->lock);
			skb->consumed += chunk;
			if (skb->fp && !scm.fp) {
				scm.fp = skb->fp;
				skb->fp = NULL;
				detached = true;
			}
			done = skb->consumed == skb->len;
			if (done) {
				list_del(&skb->link);
				WRITE_ONCE(u->qlen, u->qlen - 1);
			}
			spin_unlock(&sk->lock);
			if (scm.fp && detached)
				unix_inflight_del(scm.fp);
			if (!done)
				break;
			unix_skb_free(skb);
			if (scm.fp)
				break;
		} else {
			if (skb->fp) {
				scm.fp = scm_fp_dup(skb->fp);
				break;
			}
			last = skb;
		}
		if (!size)
			break;
	}
	fs_mutex_unlock(&u->iolock);
	scm_recv(sock, msg, &scm, flags);
	return copied ? (long)copied : err;
}
