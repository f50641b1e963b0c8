/* AF_UNIX sockets, part 3: names and connections. bind to a path (an
 * S_IFSOCK node, EADDRINUSE, EINVAL when bound twice), mknod(S_IFSOCK),
 * the abstract name space, autobind; listen/accept/accept4 (flags,
 * backlog, EAGAIN, EINVAL), connect (ENOENT, ECONNREFUSED, EPROTOTYPE,
 * EISCONN), getsockname/getpeername (ENOTCONN), SO_PEERCRED across
 * processes, SO_ACCEPTCONN, datagrams to a bound path with the source
 * address, a listener closing with pending connections, several
 * processes connecting at once, and the permissions connect, sendto and
 * bind need. Everything under $TMPDIR. */
#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

static char dir[64];

static socklen_t mkaddr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path, sizeof(a->sun_path), "%.63s/%.40s", dir, name);
	(void)n;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1);
}

/* An abstract name: "\0" + name, the length counting no terminator. */
static socklen_t mkabstract(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	size_t n = strlen(name);
	memcpy(a->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int getint(int fd, int name)
{
	int v = -12345;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, name, &v, &l))
		return -errno - 1000;
	return v;
}

static void t_bind_path(void)
{
	struct sockaddr_un a, g;
	socklen_t len = mkaddr(&a, "s1"), gl;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(bind(s, (struct sockaddr *)&a, len), 0, 0);
	struct stat st;
	CHECK_RET(stat(a.sun_path, &st), 0, 0);
	CHECK_EQ(st.st_mode, S_IFSOCK | 0755);
	CHECK_RET(open(a.sun_path, O_RDWR), -1, ENXIO);
	CHECK_RET(open(a.sun_path, O_RDONLY), -1, ENXIO);
	gl = sizeof(g);
	CHECK_RET(getsockname(s, (struct sockaddr *)&g, &gl), 0, 0);
	CHECK_EQ(gl, len);
	CHECK_STR(g.sun_path, a.sun_path);
	/* a short buffer: truncated, the full length reported */
	gl = 4;
	memset(&g, 0, sizeof(g));
	CHECK_RET(getsockname(s, (struct sockaddr *)&g, &gl), 0, 0);
	CHECK_EQ(gl, len);
	CHECK(g.sun_family == AF_UNIX && g.sun_path[0] == a.sun_path[0] && g.sun_path[1] == a.sun_path[1] &&
	      g.sun_path[2] == 0);
	gl = -1;
	CHECK_RET(getsockname(s, (struct sockaddr *)&g, &gl), -1, EINVAL);
	CHECK_RET(getsockname(s, (struct sockaddr *)&g, BAD_PTR(8)), -1, EFAULT);
	CHECK_RET(getpeername(s, (struct sockaddr *)&g, &gl), -1, ENOTCONN);

	/* the name is taken; the socket is bound already */
	int s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_RET(bind(s2, (struct sockaddr *)&a, len), -1, EADDRINUSE);
	struct sockaddr_un b;
	socklen_t blen = mkaddr(&b, "s1b");
	CHECK_RET(bind(s, (struct sockaddr *)&b, blen), -1, EINVAL);
	CHECK_RET(access(b.sun_path, F_OK), -1, ENOENT);
	CHECK_RET(bind(s, (struct sockaddr *)&a, len), -1, EADDRINUSE);
	/* the name is taken by any file, and the path must exist */
	int f = open(b.sun_path, O_CREAT | O_WRONLY, 0600);
	close(f);
	CHECK_RET(bind(s2, (struct sockaddr *)&b, blen), -1, EADDRINUSE);
	unlink(b.sun_path);
	socklen_t ml = mkaddr(&b, "missing/s");
	CHECK_RET(bind(s2, (struct sockaddr *)&b, ml), -1, ENOENT);
	ml = mkaddr(&b, "s1/x");
	CHECK_RET(bind(s2, (struct sockaddr *)&b, ml), -1, ENOTDIR);
	/* address checks */
	CHECK_RET(bind(s2, (struct sockaddr *)&a, 1), -1, EINVAL);
	CHECK_RET(bind(s2, (struct sockaddr *)&a, 0), -1, EINVAL);
	CHECK_RET(bind(s2, (struct sockaddr *)&a, sizeof(a) + 1), -1, EINVAL);
	CHECK_RET(bind(s2, (struct sockaddr *)&a, 129), -1, EINVAL);
	CHECK_RET(bind(s2, (struct sockaddr *)&a, -1), -1, EINVAL);
	CHECK_RET(bind(s2, BAD_PTR(8), len), -1, EFAULT);
	a.sun_family = AF_INET;
	CHECK_RET(bind(s2, (struct sockaddr *)&a, len), -1, EINVAL);
	a.sun_family = AF_UNIX;
	/* the length limits the path: bytes after it do not count */
	socklen_t cut = mkaddr(&b, "s1xyz") - 3;
	CHECK_RET(bind(s2, (struct sockaddr *)&b, cut), 0, 0);
	gl = sizeof(g);
	CHECK_RET(getsockname(s2, (struct sockaddr *)&g, &gl), 0, 0);
	CHECK_EQ(gl, cut + 1);
	CHECK(strlen(g.sun_path) == strlen(a.sun_path) + 1 && g.sun_path[strlen(a.sun_path)] == 'x');
	unlink(g.sun_path);
	close(s2);

	/* unlinking the name leaves the socket bound but unreachable */
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(listen(s, 5), 0, 0);
	CHECK_RET(connect(c, (struct sockaddr *)&a, len), 0, 0);
	close(c);
	CHECK_RET(unlink(a.sun_path), 0, 0);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(connect(c, (struct sockaddr *)&a, len), -1, ENOENT);
	close(c);
	gl = sizeof(g);
	CHECK_RET(getsockname(s, (struct sockaddr *)&g, &gl), 0, 0);
	CHECK_STR(g.sun_path, a.sun_path);
	close(s);

	/* mknod makes a socket node nobody listens on */
	CHECK_RET(mknod(a.sun_path, S_IFSOCK | 0600, 0), 0, 0);
	CHECK_RET(stat(a.sun_path, &st), 0, 0);
	CHECK_EQ(st.st_mode, S_IFSOCK | 0600);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(connect(c, (struct sockaddr *)&a, len), -1, ECONNREFUSED);
	close(c);
	unlink(a.sun_path);
}

static void t_abstract(void)
{
	struct sockaddr_un a, g;
	socklen_t len = mkabstract(&a, "skiff-t_unix"), gl;
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_RET(bind(s, (struct sockaddr *)&a, len), 0, 0);
	gl = sizeof(g);
	CHECK_RET(getsockname(s, (struct sockaddr *)&g, &gl), 0, 0);
	CHECK_EQ(gl, len);
	CHECK(g.sun_path[0] == 0 && !memcmp(g.sun_path + 1, "skiff-t_unix", 12));
	int s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_RET(bind(s2, (struct sockaddr *)&a, len), -1, EADDRINUSE);
	/* a longer name with the same prefix is another name */
	CHECK_RET(bind(s2, (struct sockaddr *)&a, len + 1), 0, 0);
	close(s2);
	/* the name space is per socket type */
	s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(bind(s2, (struct sockaddr *)&a, len), 0, 0);
	close(s2);
	/* datagrams by name */
	int c = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_RET(sendto(c, "abs", 3, 0, (struct sockaddr *)&a, len), 3, 0);
	char buf[16];
	gl = sizeof(g);
	CHECK_RET(recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&g, &gl), 3, 0);
	CHECK_EQ(gl, 0); /* the sender has no name */
	s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(connect(s2, (struct sockaddr *)&a, len), -1, ECONNREFUSED);
	close(s2);
	/* closing frees the name */
	close(s);
	CHECK_RET(sendto(c, "abs", 3, 0, (struct sockaddr *)&a, len), -1, ECONNREFUSED);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_RET(bind(s, (struct sockaddr *)&a, len), 0, 0);
	close(s);
	close(c);

	/* autobind: the family alone gets a name of five hex digits */
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)), 0, 0);
	gl = sizeof(g);
	CHECK_RET(getsockname(s, (struct sockaddr *)&g, &gl), 0, 0);
	CHECK_EQ(gl, offsetof(struct sockaddr_un, sun_path) + 6);
	int hex = 1;
	for (int i = 1; i < 6; i++)
		hex &= (g.sun_path[i] >= '0' && g.sun_path[i] <= '9') || (g.sun_path[i] >= 'a' && g.sun_path[i] <= 'f');
	CHECK(g.sun_path[0] == 0 && hex);
	CHECK_RET(bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)), 0, 0); /* already named: no-op */
	CHECK_RET(bind(s, (struct sockaddr *)&a, len), -1, EINVAL);
	close(s);
	/* SO_PASSCRED autobinds on connect; unbound sockets read as the family alone */
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	gl = sizeof(g);
	CHECK_RET(getsockname(s, (struct sockaddr *)&g, &gl), 0, 0);
	CHECK_EQ(gl, sizeof(sa_family_t));
	close(s);
}

static void t_listen_accept(void)
{
	struct sockaddr_un a, g;
	socklen_t len = mkaddr(&a, "srv"), gl;
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_RET(listen(d, 5), -1, EOPNOTSUPP);
	CHECK_RET(accept(d, NULL, NULL), -1, EOPNOTSUPP);
	close(d);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(listen(s, 5), -1, EINVAL); /* unbound */
	CHECK_RET(accept(s, NULL, NULL), -1, EINVAL);
	CHECK_RET(bind(s, (struct sockaddr *)&a, len), 0, 0);
	CHECK_RET(accept(s, NULL, NULL), -1, EINVAL); /* not listening */
	CHECK_RET(listen(s, 0), 0, 0);
	CHECK_EQ(getint(s, SO_ACCEPTCONN), 1);
	CHECK_RET(listen(s, 1), 0, 0); /* again: a new backlog */
	struct pollfd pf = { s, POLLIN | POLLOUT, 0 };
	CHECK_RET(poll(&pf, 1, 0), 0, 0);
	CHECK_RET(fcntl(s, F_SETFL, O_NONBLOCK), 0, 0);
	CHECK_RET(accept(s, NULL, NULL), -1, EAGAIN);
	CHECK_RET(fcntl(s, F_SETFL, 0), 0, 0);
	char c;
	CHECK_RET(recv(s, &c, 1, MSG_DONTWAIT), -1, EINVAL);
	CHECK_RET(send(s, "x", 1, MSG_NOSIGNAL), -1, ENOTCONN);

	/* connect errors */
	int cl = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un m;
	socklen_t mlen = mkaddr(&m, "nobody");
	CHECK_RET(connect(cl, (struct sockaddr *)&m, mlen), -1, ENOENT);
	int f = open(m.sun_path, O_CREAT | O_WRONLY, 0600);
	close(f);
	CHECK_RET(connect(cl, (struct sockaddr *)&m, mlen), -1, ECONNREFUSED);
	unlink(m.sun_path);
	int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_RET(connect(dg, (struct sockaddr *)&a, len), -1, EPROTOTYPE);
	CHECK_RET(sendto(dg, "x", 1, 0, (struct sockaddr *)&a, len), -1, EPROTOTYPE);
	close(dg);
	int sq = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK_RET(connect(sq, (struct sockaddr *)&a, len), -1, EPROTOTYPE);
	close(sq);
	CHECK_RET(connect(cl, (struct sockaddr *)&a, 1), -1, EINVAL);
	CHECK_RET(connect(cl, (struct sockaddr *)&a, 200), -1, EINVAL);

	/* the backlog: more than it pending makes a non-blocking connect EAGAIN */
	CHECK_RET(connect(cl, (struct sockaddr *)&a, len), 0, 0);
	int cl2 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(connect(cl2, (struct sockaddr *)&a, len), 0, 0);
	int cl3 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK_RET(connect(cl3, (struct sockaddr *)&a, len), -1, EAGAIN);
	pf.revents = 0;
	CHECK_RET(poll(&pf, 1, 0), 1, 0);
	CHECK_EQ(pf.revents, POLLIN);
	/* the client is connected before accept: it may write already */
	CHECK_RET(write(cl, "early", 5), 5, 0);
	gl = sizeof(g);
	CHECK_RET(getpeername(cl, (struct sockaddr *)&g, &gl), 0, 0);
	CHECK_EQ(gl, len);
	CHECK_STR(g.sun_path, a.sun_path);
	gl = sizeof(g);
	CHECK_RET(getsockname(cl, (struct sockaddr *)&g, &gl), 0, 0);
	CHECK_EQ(gl, sizeof(sa_family_t));

	gl = sizeof(g);
	memset(&g, 0x55, sizeof(g));
	int n1 = accept4(s, (struct sockaddr *)&g, &gl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(n1 >= 0);
	CHECK_EQ(gl, sizeof(sa_family_t)); /* the client has no name */
	CHECK_EQ(g.sun_family, AF_UNIX);
	CHECK_RET(fcntl(n1, F_GETFL), O_RDWR | O_NONBLOCK, 0);
	CHECK_RET(fcntl(n1, F_GETFD), FD_CLOEXEC, 0);
	/* (a connect waits for backlog room before it looks at the caller:
	 * these two come once there is room) */
	CHECK_RET(connect(cl, (struct sockaddr *)&a, len), -1, EISCONN);
	CHECK_RET(connect(s, (struct sockaddr *)&a, len), -1, EINVAL);
	CHECK_EQ(getint(n1, SO_ACCEPTCONN), 0);
	CHECK_EQ(getint(n1, SO_TYPE), SOCK_STREAM);
	char buf[16];
	CHECK_RET(read(n1, buf, sizeof(buf)), 5, 0);
	CHECK_RET(read(n1, buf, sizeof(buf)), -1, EAGAIN);
	gl = sizeof(g);
	CHECK_RET(getsockname(n1, (struct sockaddr *)&g, &gl), 0, 0);
	CHECK_STR(g.sun_path, a.sun_path); /* the listener's name */
	gl = sizeof(g);
	CHECK_RET(getpeername(n1, (struct sockaddr *)&g, &gl), 0, 0);
	CHECK_EQ(gl, sizeof(sa_family_t));
	CHECK_RET(write(n1, "pong", 4), 4, 0);
	CHECK_RET(read(cl, buf, sizeof(buf)), 4, 0);
	/* room again in the backlog */
	CHECK_RET(connect(cl3, (struct sockaddr *)&a, len), 0, 0);
	int n2 = accept(s, NULL, NULL);
	CHECK(n2 >= 0);
	CHECK_RET(fcntl(n2, F_GETFL), O_RDWR, 0);
	CHECK_RET(fcntl(n2, F_GETFD), 0, 0);
	int n3 = accept(s, NULL, NULL);
	CHECK(n3 >= 0);
	/* accepted sockets of a bound client see its name */
	int cb = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un ca;
	socklen_t calen = mkaddr(&ca, "cli");
	CHECK_RET(bind(cb, (struct sockaddr *)&ca, calen), 0, 0);
	CHECK_RET(connect(cb, (struct sockaddr *)&a, len), 0, 0);
	gl = sizeof(g);
	int n4 = accept(s, (struct sockaddr *)&g, &gl);
	CHECK(n4 >= 0);
	CHECK_EQ(gl, calen);
	CHECK_STR(g.sun_path, ca.sun_path);
	unlink(ca.sun_path);
	close(cb);
	close(n4);
	close(n1);
	close(n2);
	close(n3);
	close(cl);
	close(cl2);
	close(cl3);

	/* a listener closing with connections pending resets them */
	cl = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(connect(cl, (struct sockaddr *)&a, len), 0, 0);
	CHECK_RET(write(cl, "lost", 4), 4, 0);
	close(s);
	pf.fd = cl;
	pf.events = POLLIN | POLLOUT;
	CHECK_RET(poll(&pf, 1, 0), 1, 0);
	CHECK_EQ(pf.revents, POLLIN | POLLOUT | POLLHUP | POLLERR);
	CHECK_RET(read(cl, buf, sizeof(buf)), -1, ECONNRESET);
	CHECK_RET(read(cl, buf, sizeof(buf)), 0, 0);
	close(cl);
	/* the name outlives the socket; nobody is bound to it now */
	cl = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(connect(cl, (struct sockaddr *)&a, len), -1, ECONNREFUSED);
	close(cl);
	unlink(a.sun_path);
}

/* Several processes connect at once; each sends its pid and gets it back
 * plus one. SO_PEERCRED names the processes on both ends. */
#define NCLIENTS 4

static void t_many_clients(void)
{
	struct sockaddr_un a;
	socklen_t len = mkaddr(&a, "many");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(bind(s, (struct sockaddr *)&a, len), 0, 0);
	CHECK_RET(listen(s, NCLIENTS), 0, 0);
	pid_t kids[NCLIENTS];
	fflush(stdout);
	for (int i = 0; i < NCLIENTS; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			close(s);
			int c = socket(AF_UNIX, SOCK_STREAM, 0);
			if (connect(c, (struct sockaddr *)&a, len))
				_exit(2);
			struct ucred u;
			socklen_t ul = sizeof(u);
			if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &u, &ul) || u.pid != getppid())
				_exit(3);
			int me = getpid(), back = 0;
			if (write(c, &me, sizeof(me)) != sizeof(me))
				_exit(4);
			if (read(c, &back, sizeof(back)) != sizeof(back) || back != me + 1)
				_exit(5);
			_exit(0);
		}
	}
	int ok = 0;
	for (int i = 0; i < NCLIENTS; i++) {
		int n = accept(s, NULL, NULL);
		if (n < 0)
			break;
		int pid = 0;
		struct ucred u;
		socklen_t ul = sizeof(u);
		if (read(n, &pid, sizeof(pid)) == sizeof(pid) && !getsockopt(n, SOL_SOCKET, SO_PEERCRED, &u, &ul) &&
		    u.pid == pid) {
			pid++;
			if (write(n, &pid, sizeof(pid)) == sizeof(pid))
				ok++;
		}
		close(n);
	}
	CHECK_EQ(ok, NCLIENTS);
	for (int i = 0; i < NCLIENTS; i++) {
		int st;
		CHECK_RET(waitpid(kids[i], &st, 0), kids[i], 0);
		CHECK_EXITED(st, 0);
	}
	close(s);
	unlink(a.sun_path);
}

static void t_dgram_names(void)
{
	struct sockaddr_un sa, ca, g;
	socklen_t slen = mkaddr(&sa, "dsrv"), clen = mkaddr(&ca, "dcli"), gl;
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_RET(bind(s, (struct sockaddr *)&sa, slen), 0, 0);
	int c = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_RET(sendto(c, "anon", 4, 0, (struct sockaddr *)&sa, slen), 4, 0);
	CHECK_RET(bind(c, (struct sockaddr *)&ca, clen), 0, 0);
	CHECK_RET(sendto(c, "named", 5, 0, (struct sockaddr *)&sa, slen), 5, 0);
	char buf[16];
	gl = sizeof(g);
	/* the source is read at receive time: the sender is bound by now */
	CHECK_RET(recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&g, &gl), 4, 0);
	CHECK_EQ(gl, clen);
	gl = sizeof(g);
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_name = &g, .msg_namelen = sizeof(g), .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK_RET(recvmsg(s, &m, 0), 5, 0);
	CHECK_EQ(m.msg_namelen, clen);
	CHECK_STR(g.sun_path, ca.sun_path);
	/* reply to the source */
	CHECK_RET(sendto(s, "re", 2, 0, (struct sockaddr *)&g, m.msg_namelen), 2, 0);
	CHECK_RET(recv(c, buf, sizeof(buf), 0), 2, 0);
	/* connected datagram sockets */
	CHECK_RET(connect(c, (struct sockaddr *)&sa, slen), 0, 0);
	CHECK_RET(send(c, "conn", 4, 0), 4, 0);
	CHECK_RET(recv(s, buf, sizeof(buf), 0), 4, 0);
	gl = sizeof(g);
	CHECK_RET(getpeername(c, (struct sockaddr *)&g, &gl), 0, 0);
	CHECK_STR(g.sun_path, sa.sun_path);
	/* s is connected to another socket: c may not send to it */
	int o = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un oa;
	socklen_t olen = mkaddr(&oa, "dother");
	CHECK_RET(bind(o, (struct sockaddr *)&oa, olen), 0, 0);
	CHECK_RET(connect(s, (struct sockaddr *)&oa, olen), 0, 0);
	CHECK_RET(send(c, "no", 2, 0), -1, EPERM);
	int c2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_RET(connect(c2, (struct sockaddr *)&sa, slen), -1, EPERM);
	close(c2);
	/* dissolve with AF_UNSPEC */
	struct sockaddr un = { AF_UNSPEC };
	CHECK_RET(connect(s, &un, sizeof(un)), 0, 0);
	CHECK_RET(send(c, "ok", 2, 0), 2, 0);
	gl = sizeof(g);
	CHECK_RET(getpeername(s, (struct sockaddr *)&g, &gl), -1, ENOTCONN);
	/* a receiver not connected back takes at most 10 + 1 datagrams from
	 * others; the sender then gets EAGAIN */
	int q = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	CHECK_RET(connect(q, (struct sockaddr *)&oa, olen), 0, 0);
	int sent = 0;
	while (send(q, "f", 1, 0) == 1 && sent < 100)
		sent++;
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(sent, 11);
	struct pollfd pf = { q, POLLOUT, 0 };
	CHECK_RET(poll(&pf, 1, 0), 0, 0);
	CHECK_RET(recv(o, buf, sizeof(buf), 0), 1, 0);
	CHECK_RET(poll(&pf, 1, 1000), 1, 0);
	CHECK_RET(send(q, "g", 1, 0), 1, 0);
	close(q);
	/* the bound receiver goes away */
	close(o);
	CHECK_RET(sendto(c, "x", 1, 0, (struct sockaddr *)&oa, olen), -1, ECONNREFUSED);
	struct sockaddr_un nx;
	socklen_t nxl = mkaddr(&nx, "nothing");
	CHECK_RET(sendto(c, "x", 1, 0, (struct sockaddr *)&nx, nxl), -1, ENOENT);
	close(s);
	close(c);
	unlink(sa.sun_path);
	unlink(ca.sun_path);
	unlink(oa.sun_path);
}

/* SOCK_SEQPACKET through listen/accept: records keep their boundaries. */
static void t_seqpacket_accept(void)
{
	struct sockaddr_un a;
	socklen_t len = mkabstract(&a, "skiff-t_unix-seq");
	int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK_RET(bind(s, (struct sockaddr *)&a, len), 0, 0);
	CHECK_RET(listen(s, 2), 0, 0);
	int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK_RET(connect(c, (struct sockaddr *)&a, len), 0, 0);
	int n = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	CHECK(n >= 0);
	CHECK_EQ(getint(n, SO_TYPE), SOCK_SEQPACKET);
	CHECK_RET(send(c, "one", 3, 0), 3, 0);
	CHECK_RET(send(c, "three", 5, 0), 5, 0);
	char buf[16];
	struct iovec iov = { buf, 2 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK_RET(recvmsg(n, &m, 0), 2, 0);
	CHECK_EQ(m.msg_flags, MSG_TRUNC);
	CHECK_RET(recv(n, buf, sizeof(buf), 0), 5, 0);
	CHECK(!memcmp(buf, "three", 5));
	CHECK_RET(send(n, "back", 4, 0), 4, 0);
	CHECK_RET(recv(c, buf, sizeof(buf), 0), 4, 0);
	close(c);
	CHECK_RET(recv(n, buf, sizeof(buf), 0), 0, 0);
	close(n);
	close(s);
}

/* Permissions: connect and sendto need write permission on the socket
 * node, bind needs it on the directory. */
static struct sockaddr_un perm_a, perm_d;
static socklen_t perm_alen, perm_dlen;

static void perms_child(void)
{
	CHECK_RET(setgid(65534), 0, 0);
	CHECK_RET(setuid(65534), 0, 0);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(connect(c, (struct sockaddr *)&perm_a, perm_alen), -1, EACCES);
	close(c);
	c = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_RET(sendto(c, "x", 1, 0, (struct sockaddr *)&perm_d, perm_dlen), -1, EACCES);
	struct sockaddr_un b;
	socklen_t blen = mkaddr(&b, "perm-new");
	CHECK_RET(bind(c, (struct sockaddr *)&b, blen), -1, EACCES);
	close(c);
	CHECK_RET(chmod(perm_a.sun_path, 0777), -1, EPERM);
}

static void perms_child_ok(void)
{
	CHECK_RET(setgid(65534), 0, 0);
	CHECK_RET(setuid(65534), 0, 0);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(connect(c, (struct sockaddr *)&perm_a, perm_alen), 0, 0);
	CHECK_RET(write(c, "u", 1), 1, 0);
	close(c);
}

static void t_perms(void)
{
	perm_alen = mkaddr(&perm_a, "perm");
	perm_dlen = mkaddr(&perm_d, "perm-dgram");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(bind(s, (struct sockaddr *)&perm_a, perm_alen), 0, 0);
	CHECK_RET(listen(s, 5), 0, 0);
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_RET(bind(d, (struct sockaddr *)&perm_d, perm_dlen), 0, 0);
	CHECK_EXITED(t_in_child(perms_child), 0);
	CHECK_RET(chmod(perm_a.sun_path, 0777), 0, 0);
	CHECK_EXITED(t_in_child(perms_child_ok), 0);
	int n = accept(s, NULL, NULL);
	CHECK(n >= 0);
	struct ucred u;
	socklen_t ul = sizeof(u);
	CHECK_RET(getsockopt(n, SOL_SOCKET, SO_PEERCRED, &u, &ul), 0, 0);
	CHECK(u.uid == 65534 && u.gid == 65534 && u.pid > 0 && u.pid != getpid());
	char c;
	CHECK_RET(read(n, &c, 1), 1, 0);
	close(n);
	close(s);
	close(d);
	unlink(perm_a.sun_path);
	unlink(perm_d.sun_path);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022);
	snprintf(dir, sizeof(dir), "%s/t_unix_bind.%d", t_tmpdir(), getpid());
	if (mkdir(dir, 0755)) {
		printf("t_unix_bind: mkdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	t_bind_path();
	t_abstract();
	t_listen_accept();
	t_many_clients();
	t_dgram_names();
	t_seqpacket_accept();
	t_perms();
	rmdir(dir);
	return t_done();
}
