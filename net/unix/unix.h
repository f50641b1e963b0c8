/* AF_UNIX private: the socket, its buffers and the name table.
 *
 * Files: af_unix.c (create, socketpair, release, listen, accept,
 * shutdown, getname, ioctl, poll), bind.c (bind, autobind, the name table
 * and connect/sendto lookups, stream connect, datagram connect),
 * stream.c (SOCK_STREAM send/receive), dgram.c (SOCK_DGRAM and
 * SOCK_SEQPACKET send/receive), garbage.c (sockets in flight: cycles).
 *
 * Buffers. A send copies the data into a struct unix_skb (one per
 * datagram; stream data in chunks) charged to the sender's send buffer,
 * and appends it to the peer's receive queue. The receiver copies out and
 * frees it, which uncharges the sender and wakes it. A connect queues a
 * request buffer carrying the server-side socket (the "embryo", already
 * connected to the client) on the listener's queue; accept takes it.
 *
 * Locking (order: a socket's iolock, then sk.lock of one socket; two
 * sk.locks only in address order, unix_lock_two; unix_table_lock and
 * relay_lock are leaves):
 *   [s]  u->sk.lock: peer, queue, qlen, rcv_gen, state, shutdown
 *   [io] u->iolock (sleeping): taken by whoever removes buffers from the
 *        queue (receive, purge on datagram reconnect), and held across the
 *        copy to user space, so the buffer being copied cannot vanish
 *   [t]  unix_table_lock: hash links
 *   [b]  u->bindlock (sleeping): serialises bind/autobind; addr and node
 *        are set once under it (and the table lock) and never change
 *   [r]  relay_lock: datagram writers waiting for room in a peer's queue
 *   [g]  gc_lock (garbage.c): in-flight counts; taken before any sk.lock */
#ifndef NET_UNIX_H
#define NET_UNIX_H

#include <skiff/list.h>
#include <skiff/net.h>
#include <uapi/un.h>

struct unix_address {
	s32 refcount;                   /* [a] shared with accepted sockets */
	u32 len;                        /* bytes of name that count */
	struct sockaddr_un name;
	char nul;                       /* sun_path may fill all 108 bytes */
};

struct unix_sock;

struct unix_skb {
	struct list_head link;          /* [s of the receiver] */
	struct unix_sock *sender;       /* referenced; charged truesize; NULL for requests */
	u32 len;                        /* data bytes */
	u32 consumed;                   /* [io] stream: bytes already read */
	u32 truesize;
	struct scm_fp_list *fp;         /* files in flight, or NULL */
	s32 pid;                        /* credentials: pid 0 = none */
	u32 uid, gid;                   /* ~0 = none */
	struct unix_sock *embryo;       /* connection request: referenced */
	char data[];
};

struct unix_sock {
	struct sock sk;                 /* first: sk <-> unix_sock by cast */
	struct unix_sock *peer;         /* [s] referenced */
	struct unix_address *addr;      /* [b] set once, then read with acquire */
	struct sock_node *node;         /* [b] file-system name, or NULL */
	struct list_head queue;         /* [s] receive queue of unix_skb */
	u32 qlen;                       /* [s] buffers queued */
	u32 rcv_gen;                    /* [s] bumped by every enqueue (waiters compare) */
	struct fs_mutex iolock;
	struct fs_mutex bindlock;
	struct wait_queue peer_wait;    /* connect: backlog room; dgram send: queue room */
	struct list_head hash;          /* [t] name table, when bound */
	bool hashed;                    /* [t] */
	struct list_head relay;         /* [r] on relay_to->relay_waiters */
	struct unix_sock *relay_to;     /* [r] */
	struct list_head relay_waiters; /* [r] writers polling for room in my queue */
	/* garbage.c: [g] gc_lock */
	u32 inflight;                   /* [g] references to my file in buffers in flight */
	struct list_head gc_link;       /* [g] on the in-flight list while inflight > 0 */
	s32 gc_refs;                    /* [g] collector's scratch */
	bool gc_candidate, gc_alive;    /* [g] */
};

static inline struct unix_sock *unix_sk(struct sock *sk)
{
	return (struct unix_sock *)sk;
}

#define UNIX_SKB_OVERHEAD 768u  /* Linux's truesize of a small skb, near enough */
#define UNIX_MAX_DGRAM_QLEN 10  /* net.unix.max_dgram_qlen */

/* af_unix.c */
extern const struct proto_ops unix_stream_ops, unix_dgram_ops, unix_seqpacket_ops;
struct unix_sock *unix_sock_alloc(int type);
void unix_release_sock(struct unix_sock *u, bool embryo);
void unix_lock_two(struct unix_sock *a, struct unix_sock *b);
void unix_unlock_two(struct unix_sock *a, struct unix_sock *b);
/* The referenced peer, or NULL. */
struct unix_sock *unix_peer_get(struct unix_sock *u);
/* SO_PEERCRED of u := the caller (effective ids). [s] held. */
void unix_init_peercred(struct unix_sock *u);
/* Wake datagram writers waiting for room in u's queue (poll relay and
 * blocked senders). */
void unix_wake_writers(struct unix_sock *u);
/* Stop relaying u's "room in the peer" wakeups. */
void unix_relay_disconnect(struct unix_sock *u);
/* Register u to be woken when other's queue has room again. */
void unix_relay_connect(struct unix_sock *u, struct unix_sock *other);
bool unix_recvq_full(struct unix_sock *u);

/* Buffers (af_unix.c). */
/* Allocate a buffer of len data bytes charged to sender, waiting for send
 * buffer room until deadline: NULL with *err (-EAGAIN, -EPIPE, pending
 * error, -EINTR/-ERESTARTSYS, -ENOBUFS). */
struct unix_skb *unix_skb_alloc(struct unix_sock *sender, u32 len, u64 deadline, int *err);
void unix_skb_free(struct unix_skb *skb);
/* Append skb to u's queue. [s] of u held. */
void unix_queue_tail(struct unix_sock *u, struct unix_skb *skb);
/* Take every buffer off u's queue and free them ([io] not needed when u
 * is being released). Returns the request buffers' embryos when the queue
 * was a listener's through release_embryos. */
void unix_purge_queue(struct unix_sock *u, bool release_embryos);
/* Attach the sender's control data to skb: the files (moved out of scm
 * when give_fds) and the credentials, adding the sender's own when either
 * end has SO_PASSCRED. */
void unix_skb_set_scm(struct unix_skb *skb, struct scm_cookie *scm, bool give_fds,
		      struct unix_sock *sender, struct unix_sock *receiver);
/* The receiving side's scm_cookie for skb (credentials). */
void unix_skb_get_creds(const struct unix_skb *skb, struct scm_cookie *scm);
/* Copy the address of src into msg->name. */
void unix_copy_addr(struct kmsghdr *msg, struct unix_sock *src);

/* bind.c */
int unix_bind(struct socket *sock, struct sockaddr_storage *addr, int len);
int unix_autobind(struct unix_sock *u);
void unix_unhash(struct unix_sock *u);
/* Validate an AF_UNIX address of len bytes (Linux's unix_validate_addr). */
int unix_validate_addr(const struct sockaddr_storage *addr, int len);
/* The bound socket addr names, referenced: -ENOENT etc. from the path
 * lookup, -ECONNREFUSED when nothing is bound there, -EPROTOTYPE for a
 * socket of another type. */
struct unix_sock *unix_find_other(const struct sockaddr_storage *addr, int len, int type, int *err);
int unix_stream_connect(struct socket *sock, struct sockaddr_storage *addr, int len, u32 fflags);
int unix_dgram_connect(struct socket *sock, struct sockaddr_storage *addr, int len, u32 fflags);
/* u left its datagram peer other: drop what other sent (under u's iolock)
 * and, if other is connected back, give it ECONNRESET. */
void unix_dgram_disconnected(struct unix_sock *u, struct unix_sock *other);

/* garbage.c */
/* Count the unix sockets among fpl's files as in flight (a buffer
 * carrying them is about to be queued) / no longer in flight (the files
 * left the buffer: received, or the buffer freed). No sk.lock held. */
void unix_inflight_add(struct scm_fp_list *fpl);
void unix_inflight_del(struct scm_fp_list *fpl);
/* Collect unreachable sockets in flight (see garbage.c). No lock held. */
void unix_gc(void);

/* stream.c */
long unix_stream_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len);
long unix_stream_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t size, int flags);

/* dgram.c */
long unix_dgram_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len);
long unix_dgram_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t size, int flags);
long unix_seqpacket_sendmsg(struct socket *sock, struct kmsghdr *msg, size_t len);
long unix_seqpacket_recvmsg(struct socket *sock, struct kmsghdr *msg, size_t size, int flags);
/* Wait for a buffer in u's queue (Linux's __skb_wait_for_more_packets):
 * 0 to retry, 1 for end of file (receive shutdown), or -errno. gen is
 * u->rcv_gen as seen when the queue was found empty. */
int unix_wait_for_data(struct unix_sock *u, u32 gen, u64 deadline);

#endif
