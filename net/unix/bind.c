/* AF_UNIX names and connections: bind (file-system path, abstract name,
 * autobind), the table of bound sockets that connect and sendto search,
 * stream/seqpacket connect, datagram connect. Design and locking: unix.h.
 *
 * Names. A path name creates an S_IFSOCK node (fs/vfs/socknode.c; the
 * mode is 0777 less the umask) and fails with EADDRINUSE when the name
 * exists; the socket is found again through the node's inode, so any path
 * to the node (a link, a symlink) reaches it and an unlinked name is
 * gone. An abstract name (sun_path[0] == 0) is the given bytes, unique
 * per socket type as on Linux. Autobind (bind with only the family, or
 * connect/send with SO_PASSCRED while unbound) picks an abstract name of
 * five hex digits. A socket's name never changes once set.
 *
 * Stream connect queues a request carrying a new server-side socket,
 * already connected to the caller, on the listener (blocking while more
 * than the backlog are pending: EAGAIN when non-blocking, which is what
 * Linux returns for AF_UNIX). */
#include "unix.h"
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include <uapi/fcntl.h>

#define UNIX_HASH_SIZE 256

static DEFINE_SPINLOCK(unix_table_lock);
static struct list_head unix_table[UNIX_HASH_SIZE]; /* [t] */
static bool unix_table_ready;                       /* [t] */

static u32 hash_abstract(const struct unix_address *a, int type)
{
	const u8 *p = (const u8 *)&a->name;
	u32 h = 2166136261u;

	for (u32 i = 0; i < a->len; i++)
		h = (h ^ p[i]) * 16777619u;
	return (h ^ (u32)type) % UNIX_HASH_SIZE;
}

static u32 hash_node(const void *key)
{
	u64 k = (u64)key;
	return (u32)((k >> 6) ^ (k >> 16)) % UNIX_HASH_SIZE;
}

static void table_init_locked(void)
{
	if (unix_table_ready)
		return;
	for (int i = 0; i < UNIX_HASH_SIZE; i++)
		list_init(&unix_table[i]);
	unix_table_ready = true;
}

/* The socket bound to abstract name a for type. [t] held. */
static struct unix_sock *find_abstract(const struct unix_address *a, int type)
{
	struct unix_sock *u;

	list_for_each_entry(u, &unix_table[hash_abstract(a, type)], hash) {
		if (!u->node && u->sk.type == type && u->addr->len == a->len &&
		    !memcmp(&u->addr->name, &a->name, a->len))
			return u;
	}
	return NULL;
}

/* The socket bound to the node with this key. [t] held. */
static struct unix_sock *find_node(const void *key)
{
	struct unix_sock *u;

	list_for_each_entry(u, &unix_table[hash_node(key)], hash) {
		if (u->node && vfs_sock_node_key(u->node) == key)
			return u;
	}
	return NULL;
}

/* Set u's name and hash it. [t] and u->bindlock held. */
static void set_addr_locked(struct unix_sock *u, struct unix_address *a, struct sock_node *node)
{
	u32 h = node ? hash_node(vfs_sock_node_key(node)) : hash_abstract(a, u->sk.type);

	u->node = node;
	__atomic_store_n(&u->addr, a, __ATOMIC_RELEASE);
	list_add_tail(&u->hash, &unix_table[h]);
	u->hashed = true;
}

void unix_unhash(struct unix_sock *u)
{
	spin_lock(&unix_table_lock);
	if (u->hashed) {
		list_del(&u->hash);
		list_init(&u->hash);
		u->hashed = false;
	}
	spin_unlock(&unix_table_lock);
}

int unix_validate_addr(const struct sockaddr_storage *addr, int len)
{
	if (len <= (int)offsetof(struct sockaddr_un, sun_path) || len > (int)sizeof(struct sockaddr_un))
		return -EINVAL;
	if (addr->ss_family != AF_UNIX)
		return -EINVAL;
	return 0;
}

static struct unix_address *addr_new(u32 len)
{
	struct unix_address *a = kzalloc(sizeof(*a));

	if (a) {
		a->refcount = 1;
		a->len = len;
		a->name.sun_family = AF_UNIX;
	}
	return a;
}

/* sun_path of a path address as a C string (the bytes before the first
 * NUL within len, as Linux's unix_mkname_bsd). */
static void path_of(const struct sockaddr_storage *addr, int len, char *out)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)addr;
	size_t n = (size_t)len - offsetof(struct sockaddr_un, sun_path);

	memcpy(out, sun->sun_path, n);
	out[n] = 0;
}

int unix_autobind(struct unix_sock *u)
{
	struct unix_address *a;
	u32 start, num;
	int err = 0;

	fs_mutex_lock(&u->bindlock);
	if (u->addr)
		goto out;
	err = -ENOMEM;
	a = addr_new(offsetof(struct sockaddr_un, sun_path) + 6);
	if (!a)
		goto out;
	start = (u32)(clock_monotonic_ns() ^ ((u64)u >> 4) ^ (clock_monotonic_ns() >> 20)) & 0xfffff;
	num = start;
	for (;;) {
		num = (num + 1) & 0xfffff;
		snprintf(a->name.sun_path + 1, 6, "%05x", num);
		spin_lock(&unix_table_lock);
		table_init_locked();
		if (!find_abstract(a, u->sk.type)) {
			set_addr_locked(u, a, NULL);
			spin_unlock(&unix_table_lock);
			err = 0;
			break;
		}
		spin_unlock(&unix_table_lock);
		if (num == start) {
			kfree(a); /* every name is taken */
			err = -ENOSPC;
			break;
		}
	}
out:
	fs_mutex_unlock(&u->bindlock);
	return err;
}

static int bind_path(struct unix_sock *u, const struct sockaddr_storage *addr, int len)
{
	char path[UNIX_PATH_MAX + 1];
	struct sock_node *node;
	struct unix_address *a;
	int err;

	path_of(addr, len, path);
	size_t plen = strlen(path);
	a = addr_new((u32)(offsetof(struct sockaddr_un, sun_path) + plen + 1));
	if (!a)
		return -ENOMEM;
	memcpy(a->name.sun_path, path, plen + 1 <= UNIX_PATH_MAX ? plen + 1 : plen);
	err = vfs_sock_mknod(path, 0777, &node);
	if (err) {
		kfree(a);
		return err == -EEXIST ? -EADDRINUSE : err;
	}
	fs_mutex_lock(&u->bindlock);
	if (u->addr) {
		/* bound meanwhile (or before): undo the node, as Linux */
		fs_mutex_unlock(&u->bindlock);
		vfs_sock_node_unlink(node, path);
		vfs_sock_node_put(node);
		kfree(a);
		return -EINVAL;
	}
	spin_lock(&unix_table_lock);
	table_init_locked();
	set_addr_locked(u, a, node);
	spin_unlock(&unix_table_lock);
	fs_mutex_unlock(&u->bindlock);
	return 0;
}

static int bind_abstract(struct unix_sock *u, const struct sockaddr_storage *addr, int len)
{
	struct unix_address *a = addr_new((u32)len);
	int err = 0;

	if (!a)
		return -ENOMEM;
	memcpy(&a->name, addr, (size_t)len);
	fs_mutex_lock(&u->bindlock);
	if (u->addr) {
		err = -EINVAL;
		goto out;
	}
	spin_lock(&unix_table_lock);
	table_init_locked();
	if (find_abstract(a, u->sk.type))
		err = -EADDRINUSE;
	else
		set_addr_locked(u, a, NULL);
	spin_unlock(&unix_table_lock);
out:
	fs_mutex_unlock(&u->bindlock);
	if (err)
		kfree(a);
	return err;
}

int unix_bind(struct socket *sock, struct sockaddr_storage *addr, int len)
{
	struct unix_sock *u = unix_sk(sock->sk);
	const struct sockaddr_un *sun = (const struct sockaddr_un *)addr;
	int err;

	if (len == (int)offsetof(struct sockaddr_un, sun_path) && sun->sun_family == AF_UNIX)
		return unix_autobind(u);
	err = unix_validate_addr(addr, len);
	if (err)
		return err;
	return sun->sun_path[0] ? bind_path(u, addr, len) : bind_abstract(u, addr, len);
}

struct unix_sock *unix_find_other(const struct sockaddr_storage *addr, int len, int type, int *err)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)addr;
	struct unix_sock *u;

	if (sun->sun_path[0]) {
		char path[UNIX_PATH_MAX + 1];
		struct sock_node *node;
		path_of(addr, len, path);
		*err = vfs_sock_lookup(path, &node);
		if (*err)
			return NULL;
		spin_lock(&unix_table_lock);
		table_init_locked();
		u = find_node(vfs_sock_node_key(node));
		if (u)
			sock_hold(&u->sk);
		spin_unlock(&unix_table_lock);
		vfs_sock_node_put(node);
		if (!u) {
			*err = -ECONNREFUSED;
			return NULL;
		}
		if (u->sk.type != type) {
			sock_put(&u->sk);
			*err = -EPROTOTYPE;
			return NULL;
		}
		return u;
	}
	struct unix_address *a = addr_new((u32)len);
	if (!a) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(&a->name, addr, (size_t)len);
	spin_lock(&unix_table_lock);
	table_init_locked();
	u = find_abstract(a, type);
	if (u)
		sock_hold(&u->sk);
	spin_unlock(&unix_table_lock);
	kfree(a);
	if (!u)
		*err = -ECONNREFUSED;
	return u;
}

static bool backlog_room(void *arg)
{
	struct unix_sock *o = arg;
	return READ_ONCE(o->sk.dead) || (READ_ONCE(o->sk.shutdown) & RCV_SHUTDOWN) || !unix_recvq_full(o);
}

int unix_stream_connect(struct socket *sock, struct sockaddr_storage *addr, int len, u32 fflags)
{
	struct unix_sock *u = unix_sk(sock->sk), *nu = NULL, *other = NULL;
	struct sock *sk = &u->sk;
	struct unix_skb *req = NULL;
	u64 deadline;
	u8 state;
	int err;

	err = unix_validate_addr(addr, len);
	if (err)
		return err;
	if ((__atomic_load_n(&sk->flags, __ATOMIC_RELAXED) & SKF_PASSCRED) && !READ_ONCE(u->addr)) {
		err = unix_autobind(u);
		if (err)
			return err;
	}
	deadline = sock_snd_deadline(sk, fflags & O_NONBLOCK);
	err = -ENOMEM;
	nu = unix_sock_alloc(sock->type);
	req = kzalloc(sizeof(*req));
	if (!nu || !req)
		goto out;
	list_init(&req->link);
	req->uid = req->gid = ~0u;
restart:
	other = unix_find_other(addr, len, sock->type, &err);
	if (!other)
		goto out;
	spin_lock(&other->sk.lock);
	if (other->sk.dead) {
		spin_unlock(&other->sk.lock);
		sock_put(&other->sk);
		goto restart;
	}
	err = -ECONNREFUSED;
	if (other->sk.state != SK_LISTEN || (other->sk.shutdown & RCV_SHUTDOWN))
		goto out_unlock;
	if (unix_recvq_full(other)) {
		err = -EAGAIN;
		if (!deadline)
			goto out_unlock;
		spin_unlock(&other->sk.lock);
		err = sock_wait(&other->peer_wait, backlog_room, other, deadline);
		sock_put(&other->sk);
		other = NULL;
		if (err == -EAGAIN)
			deadline = 0; /* timed out: one more look, then EAGAIN */
		else if (err)
			goto out;
		goto restart;
	}
	/* A listener never connects, so other != u and the order other, u
	 * cannot deadlock against a connect to u. */
	state = READ_ONCE(sk->state);
	if (state != SK_CLOSE) {
		err = state == SK_ESTABLISHED ? -EISCONN : -EINVAL;
		goto out_unlock;
	}
	spin_lock(&sk->lock);
	if (sk->state != SK_CLOSE) {
		err = sk->state == SK_ESTABLISHED ? -EISCONN : -EINVAL;
		spin_unlock(&sk->lock);
		goto out_unlock;
	}
	/* the server side: connected to us, named like the listener, with
	 * our credentials as its SO_PEERCRED */
	sock_hold(sk);
	nu->peer = u;
	nu->sk.state = SK_ESTABLISHED;
	unix_init_peercred(nu);
	__atomic_fetch_add(&other->addr->refcount, 1, __ATOMIC_RELAXED);
	nu->addr = other->addr;
	sk->peer_pid = other->sk.peer_pid;
	sk->peer_uid = other->sk.peer_uid;
	sk->peer_gid = other->sk.peer_gid;
	sock->state = SS_CONNECTED;
	WRITE_ONCE(sk->state, SK_ESTABLISHED);
	sock_hold(&nu->sk);
	u->peer = nu;
	spin_unlock(&sk->lock);

	req->embryo = nu; /* owns nu's first reference until accept */
	unix_queue_tail(other, req);
	spin_unlock(&other->sk.lock);
	sk_data_ready(&other->sk);
	sock_put(&other->sk);
	return 0;

out_unlock:
	spin_unlock(&other->sk.lock);
out:
	kfree(req);
	if (nu)
		unix_release_sock(nu, false);
	if (other)
		sock_put(&other->sk);
	return err;
}

/* A datagram socket leaves its peer: messages queued from it are dropped,
 * and a peer connected back learns it (Linux's unix_dgram_disconnected). */
void unix_dgram_disconnected(struct unix_sock *u, struct unix_sock *other)
{
	bool had;

	/* under the reader lock: a receive may be copying from the head */
	fs_mutex_lock(&u->iolock);
	spin_lock(&u->sk.lock);
	had = !list_empty(&u->queue);
	spin_unlock(&u->sk.lock);
	if (had)
		unix_purge_queue(u, false);
	fs_mutex_unlock(&u->iolock);
	if (!had)
		return;
	unix_wake_writers(u);
	if (!READ_ONCE(other->sk.dead) && READ_ONCE(other->peer) == u) {
		__atomic_store_n(&other->sk.err, ECONNRESET, __ATOMIC_RELEASE);
		sk_wake(&other->sk);
	}
}

int unix_dgram_connect(struct socket *sock, struct sockaddr_storage *addr, int len, u32 fflags)
{
	struct unix_sock *u = unix_sk(sock->sk), *other, *old;
	int err;

	if (len < (int)sizeof(addr->ss_family))
		return -EINVAL;
	if (addr->ss_family != AF_UNSPEC) {
		err = unix_validate_addr(addr, len);
		if (err)
			return err;
		if ((__atomic_load_n(&u->sk.flags, __ATOMIC_RELAXED) & SKF_PASSCRED) && !READ_ONCE(u->addr)) {
			err = unix_autobind(u);
			if (err)
				return err;
		}
restart:
		other = unix_find_other(addr, len, sock->type, &err);
		if (!other)
			return err;
		unix_lock_two(u, other);
		if (other->sk.dead) {
			unix_unlock_two(u, other);
			sock_put(&other->sk);
			goto restart;
		}
		if (other->peer && other->peer != u) {
			unix_unlock_two(u, other);
			sock_put(&other->sk);
			return -EPERM;
		}
		WRITE_ONCE(u->sk.state, SK_ESTABLISHED);
		WRITE_ONCE(other->sk.state, SK_ESTABLISHED);
	} else {
		/* AF_UNSPEC: dissolve the association (1003.1g) */
		other = NULL;
		spin_lock(&u->sk.lock);
	}
	old = u->peer;
	u->peer = other; /* takes the lookup's reference */
	if (old && !other)
		WRITE_ONCE(u->sk.state, SK_CLOSE);
	unix_unlock_two(u, other);
	if (!old)
		return 0;
	unix_relay_disconnect(u);
	sk_write_space(&u->sk);
	if (other != old) {
		unix_dgram_disconnected(u, old);
		spin_lock(&old->sk.lock);
		if (!old->peer)
			WRITE_ONCE(old->sk.state, SK_CLOSE);
		spin_unlock(&old->sk.lock);
	}
	sock_put(&old->sk);
	return 0;
}
