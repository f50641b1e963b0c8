/* The socket layer (net/): what address families implement and what they
 * may call. net/socket.c decodes the socket system calls and dispatches
 * through the family's struct proto_ops, as Linux's net/socket.c does;
 * net/sock.c holds the family-independent socket state (struct sock:
 * SOL_SOCKET options, buffer accounting, waiting); net/msg.c copies
 * msghdrs and control messages; net/scm.c parses and delivers SCM_RIGHTS
 * and SCM_CREDENTIALS. A family (net/unix/ for AF_UNIX; an IPv4/IPv6 stack
 * later) registers a struct net_proto_family in net/socket.c's table.
 *
 * Objects and lifetimes:
 *   struct socket  the open socket behind one struct file (file->private_data);
 *                  freed when the file's last reference goes (ops->release).
 *   struct sock    the protocol endpoint, reference counted: a peer, a
 *                  queued buffer or a listener's backlog may keep it after
 *                  its socket is released ("orphaned": sk->socket == NULL,
 *                  sk->dead). A family embeds it first in its own struct.
 *
 * Locking: sk->lock (spinlock) protects the [s] fields of struct sock and
 * whatever the family puts under it (AF_UNIX: peer pointer, receive
 * queue). Reference counts and [a] fields are atomic. Nothing that can
 * sleep or touch user memory runs under sk->lock. */
#ifndef SKIFF_NET_H
#define SKIFF_NET_H

#include <skiff/spinlock.h>
#include <skiff/types.h>
#include <skiff/vfs.h>
#include <skiff/wait.h>
#include <uapi/socket.h>

struct socket;
struct sock;
struct poll_table;

/* Connection states (Linux's TCP_* numbering, which AF_UNIX reuses). */
#define SK_ESTABLISHED 1
#define SK_SYN_SENT    2
#define SK_CLOSE       7
#define SK_LISTEN      10

/* sk->shutdown bits */
#define RCV_SHUTDOWN  1
#define SEND_SHUTDOWN 2
#define SHUTDOWN_MASK 3

/* socket->state (SS_*, linux/net.h) */
#define SS_UNCONNECTED 1
#define SS_CONNECTING  2
#define SS_CONNECTED   3

/* sk->flags: boolean SOL_SOCKET options and socket flags. */
#define SKF_REUSEADDR  (1u << 0)
#define SKF_REUSEPORT  (1u << 1)
#define SKF_KEEPALIVE  (1u << 2)
#define SKF_LINGER     (1u << 3)
#define SKF_PASSCRED   (1u << 4)
#define SKF_BROADCAST  (1u << 5)
#define SKF_DONTROUTE  (1u << 6)
#define SKF_OOBINLINE  (1u << 7)
#define SKF_DEBUG      (1u << 8)
#define SKF_NOSPACE    (1u << 9)   /* a writer found the send buffer full (SIGIO on space) */
#define SKF_WAITDATA   (1u << 10)  /* a stream reader sleeps for data: no SIGIO for it */

/* Timeouts are kept in jiffies of Linux's HZ=250 (Debian's), so that
 * SO_RCVTIMEO/SO_SNDTIMEO read back exactly as set on Linux. */
#define SK_HZ          250
#define SK_NO_TIMEOUT  (~0ull)

/* Buffer sizes (net.core.wmem_default/rmem_default/wmem_max/rmem_max). */
#define SK_WMEM_DEFAULT 212992
#define SK_RMEM_DEFAULT 212992
#define SK_WMEM_MAX     212992
#define SK_RMEM_MAX     212992
#define SK_MIN_SNDBUF   4608   /* 2 * (2048 + 256) */
#define SK_MIN_RCVBUF   2304

/* Protocol endpoint. A family embeds it as the first member of its own
 * socket structure. */
struct sock {
	s32 refcount;                 /* [a] */
	spinlock_t lock;
	u16 family;                   /* [I] */
	u16 type;                     /* [I] SOCK_* */
	u16 protocol;                 /* [I] */
	u8 state;                     /* [s] SK_* */
	u8 shutdown;                  /* [s] RCV_SHUTDOWN | SEND_SHUTDOWN (read locklessly) */
	bool dead;                    /* [s] its socket was released */
	s32 err;                      /* [a] pending error (positive errno): SO_ERROR */
	u32 flags;                    /* [a] SKF_* */
	s32 sndbuf, rcvbuf;           /* [a] bytes */
	s32 wmem;                     /* [a] bytes charged for buffers sent and not yet freed */
	s32 rcvlowat;                 /* [a] SO_RCVLOWAT */
	u64 rcvtimeo, sndtimeo;       /* [a] jiffies (SK_HZ) or SK_NO_TIMEOUT */
	u32 lingertime;               /* [s] seconds */
	s32 priority;                 /* [s] SO_PRIORITY */
	u32 mark;                     /* [s] SO_MARK */
	u32 max_ack_backlog;          /* [s] listen backlog; AF_UNIX dgram: receive queue limit */
	u64 cookie;                   /* [a] SO_COOKIE, 0 until first asked */
	/* SO_PEERCRED: pid 0 and uid/gid ~0 while unknown. */
	s32 peer_pid;                 /* [s] */
	u32 peer_uid, peer_gid;       /* [s] */
	struct socket *socket;        /* [s] NULL when orphaned or not yet accepted */
	struct wait_queue wq;         /* readers, writers, acceptors, pollers */
	void (*destruct)(struct sock *sk); /* [I] frees the family's struct */
};

/* The message a send or receive works on (Linux's struct msghdr, kernel
 * side). name is a kernel buffer of sizeof(struct sockaddr_storage);
 * control is kernel memory on send (parsed by scm_send) and a user pointer
 * on receive (filled by put_cmsg / scm_recv, advanced as it is filled). */
struct kmsghdr {
	void *name;                   /* send: destination; recv: source written here */
	int namelen;                  /* send: 0 = none; recv: set by the family */
	struct uio_vec *iter;         /* the data */
	void *control;
	u64 controllen;
	u32 flags;                    /* send: MSG_*; recv: out flags (MSG_TRUNC, MSG_CTRUNC,
				       * MSG_CMSG_CLOEXEC from the caller) */
};

/* Files passed with SCM_RIGHTS: each holds a reference. */
struct scm_fp_list {
	struct scm_fp_list *next;     /* on the deferred-release list */
	u32 count;
	struct file *fp[];
};

/* What a sender's control messages carried, or what a receiver gets. */
struct scm_cookie {
	struct scm_fp_list *fp;       /* SCM_RIGHTS, or NULL */
	bool creds_set;               /* send: SCM_CREDENTIALS given (or forced) */
	s32 pid;                      /* 0: none */
	u32 uid, gid;                 /* ~0: none (reported as the overflow id 65534) */
};

/* The socket of one open file. [I] fields are set before the file is
 * installed (sk: by the family's create, or by accept). */
struct socket {
	u16 type;                       /* [I] SOCK_* */
	u8 state;                       /* SS_* (informational: families keep sk->state) */
	const struct proto_ops *ops;    /* [I] */
	struct sock *sk;                /* [I] */
	struct file *file;              /* [I] the file it belongs to (not referenced) */
};

struct proto_ops {
	int family;
	/* The socket's file is going away: orphan sk and drop the socket's
	 * reference. Never fails. */
	void (*release)(struct socket *sock);
	/* addr is a kernel copy of len bytes (len <= sizeof(sockaddr_storage)). */
	int (*bind)(struct socket *sock, struct sockaddr_storage *addr, int len);
	/* fflags: the file's O_* flags (O_NONBLOCK). */
	int (*connect)(struct socket *sock, struct sockaddr_storage *addr, int len, u32 fflags);
	int (*socketpair)(struct socket *a, struct socket *b);
	/* Take a pending connection into newsock (type and ops already set). */
	int (*accept)(struct socket *sock, struct socket *newsock, u32 fflags);
	/* Address into addr: its length, or -errno (-ENOTCONN for peer). */
	int (*getname)(struct socket *sock, struct sockaddr_storage *addr, bool peer);
	u32 (*poll)(struct file *f, struct socket *sock, struct poll_table *pt);
	/* -ENOIOCTLCMD for commands the family does not know. */
	long (*ioctl)(struct socket *sock, u32 cmd, u64 arg);
	int (*listen)(struct socket *sock, int backlog);
	int (*shutdown)(struct socket *sock, int how);
	/* Options at levels other than SOL_SOCKET (NULL: -EOPNOTSUPP). */
	int (*setsockopt)(struct socket *sock, int level, int name, u64 uval, u32 len);
	int (*getsockopt)(struct socket *sock, int level, int name, u64 uval, u64 ulen);
	/* Bytes sent or -errno; msg->flags has MSG_DONTWAIT for a
	 * non-blocking file. */
	long (*sendmsg)(struct socket *sock, struct kmsghdr *msg, size_t len);
	long (*recvmsg)(struct socket *sock, struct kmsghdr *msg, size_t len, int flags);
};

struct net_proto_family {
	int family;
	/* Fill sock->ops and sock->sk for sock->type and protocol:
	 * -ESOCKTNOSUPPORT / -EPROTONOSUPPORT as Linux. */
	int (*create)(struct socket *sock, int protocol);
};

#define ENOIOCTLCMD 515  /* kernel-internal: "not mine", never seen by user space */

/* ---- net/socket.c ---- */
/* The socket behind f, or NULL if f is not a socket. */
struct socket *sock_from_file(struct file *f);
/* Registered families (AF_UNIX; AF_INET/AF_INET6 once an IP stack exists). */
extern const struct net_proto_family unix_family_ops;

/* ---- net/sock.c ---- */
/* Initialise the generic part of a family's socket (refcount 1). */
void sock_init(struct sock *sk, int family, int type, int protocol);
static inline void sock_hold(struct sock *sk) { __atomic_fetch_add(&sk->refcount, 1, __ATOMIC_RELAXED); }
/* Drop a reference; the last one calls sk->destruct. */
void sock_put(struct sock *sk);
/* Take and clear the pending error: -errno or 0. */
int sock_error(struct sock *sk);
/* Attach sk to sock (sk->socket = sock, sock->sk = sk). */
void sock_graft(struct sock *sk, struct socket *sock);
/* Mark sk orphaned (dead, socket NULL), under sk->lock. */
void sock_orphan(struct sock *sk);
/* Wake everyone waiting on sk (readers, writers, pollers): a state change
 * (shutdown, close of the peer, an error), Linux's sock_def_wakeup. */
void sk_wake(struct sock *sk);
/* Data (or a connection) arrived: keyed POLLIN wakeup, which wakes one
 * EPOLLEXCLUSIVE waiter as Linux's sock_def_readable, and SIGIO. */
void sk_data_ready(struct sock *sk);
/* Send-buffer room: keyed POLLOUT wakeup (Linux's sk_write_space). */
void sk_write_space(struct sock *sk);
/* SIGIO to the owner of sk's file when it has O_ASYNC (F_SETOWN,
 * FIOASYNC); band is POLL_IN, POLL_OUT or POLL_HUP. As Linux's
 * sock_wake_async(SOCK_WAKE_WAITD): nothing for POLL_IN while a reader
 * is blocked waiting for data (SKF_WAITDATA). */
#define POLL_IN  1
#define POLL_OUT 2
#define POLL_HUP 6
void sk_wake_async(struct sock *sk, int band);

/* Deadlines for blocking calls: 0 = do not wait, ~0 = no timeout,
 * otherwise a clock_monotonic_ns() time. */
u64 sock_rcv_deadline(struct sock *sk, bool nonblock);
u64 sock_snd_deadline(struct sock *sk, bool nonblock);
/* Sleep on wq until cond(arg) holds (0). -EAGAIN when deadline is 0 or
 * passes; a signal gives -ERESTARTSYS without a timeout, -EINTR with one
 * (Linux's sock_intr_errno). */
int sock_wait(struct wait_queue *wq, bool (*cond)(void *), void *arg, u64 deadline);
/* Error for a signal during a wait with this deadline. */
int sock_intr_errno(u64 deadline);

/* Send-buffer accounting: a writer may allocate while wmem < sndbuf; it is
 * writable for poll when wmem <= sndbuf / 4 (Linux's unix_writable). */
int sock_wait_for_wmem(struct sock *sk, u64 deadline);
void sock_wmem_charge(struct sock *sk, u32 bytes);
void sock_wmem_uncharge(struct sock *sk, u32 bytes);
static inline bool sock_writable(struct sock *sk)
{
	return ((s64)__atomic_load_n(&sk->wmem, __ATOMIC_RELAXED) << 2) <= READ_ONCE(sk->sndbuf);
}

/* SOL_SOCKET options (the setsockopt/getsockopt system calls). */
int sock_setsockopt(struct socket *sock, int name, u64 uval, u32 len);
int sock_getsockopt(struct socket *sock, int name, u64 uval, u64 ulen);
/* The calling process's credentials for SO_PEERCRED / SCM_CREDENTIALS. */
void sock_current_cred(s32 *pid, u32 *uid, u32 *gid, bool effective);

/* ---- net/msg.c ---- */
/* Append a control message to a receive msghdr (Linux's put_cmsg):
 * MSG_CTRUNC when it does not fit. 0 or -EFAULT. */
int put_cmsg(struct kmsghdr *msg, int level, int type, u32 len, const void *data);

/* ---- net/scm.c ---- */
/* Parse msg's control messages (SCM_RIGHTS, SCM_CREDENTIALS) into scm.
 * forcecreds: fill the credentials from the caller when none are given. */
int scm_send(struct socket *sock, struct kmsghdr *msg, struct scm_cookie *scm, bool forcecreds);
/* Deliver scm to the receiver: SCM_CREDENTIALS when SO_PASSCRED, then the
 * files as new descriptors (SCM_RIGHTS); consumes scm. */
void scm_recv(struct socket *sock, struct kmsghdr *msg, struct scm_cookie *scm, int flags);
void scm_destroy(struct scm_cookie *scm);
/* A copy of fpl with a new reference on each file, or NULL. */
struct scm_fp_list *scm_fp_dup(const struct scm_fp_list *fpl);
/* Drop the files of fpl and free it. Deferred when called from inside a
 * release that is itself dropping in-flight files, so chains of sockets
 * carrying sockets never recurse. */
void scm_fp_free(struct scm_fp_list *fpl);

#endif
