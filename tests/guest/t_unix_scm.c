/* AF_UNIX sockets, part 2: control messages and batches. SCM_RIGHTS
 * (the receiver gets new descriptors for the same open file descriptions;
 * a pipe passed to a child that writes into it; MSG_CTRUNC when the
 * control buffer is short; files in flight dropped when never received;
 * MSG_CMSG_CLOEXEC; MSG_PEEK duplicates; the errors of a bad control
 * buffer), SCM_CREDENTIALS with SO_PASSCRED, SO_PEERCRED of a socketpair,
 * msghdr errors, sendmmsg/recvmmsg. */
#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

static int sp[2];

static void pair(int type)
{
	if (socketpair(AF_UNIX, type, 0, sp))
		printf("t_unix_scm: socketpair(%d) failed: %s\n", type, strerror(errno));
}

static void close_pair(void)
{
	close(sp[0]);
	close(sp[1]);
}

/* Send data with n descriptors in one SCM_RIGHTS message. */
static ssize_t send_fds(int s, const void *data, size_t len, const int *fds, int n, int flags)
{
	char ctl[CMSG_SPACE(sizeof(int) * 300)];
	struct iovec iov = { (void *)data, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (n) {
		memset(ctl, 0, sizeof(ctl));
		m.msg_control = ctl;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	return sendmsg(s, &m, flags);
}

struct rcv {
	ssize_t ret;
	int flags;
	int nfds;
	int fds[8];
	size_t controllen;
	char data[64];
};

/* Receive with a control buffer of ctl_len bytes (0: none). */
static void recv_fds(int s, struct rcv *r, size_t ctl_len, int flags)
{
	char ctl[512];
	struct iovec iov = { r->data, sizeof(r->data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	memset(ctl, 0x55, sizeof(ctl));
	if (ctl_len) {
		m.msg_control = ctl;
		m.msg_controllen = ctl_len;
	}
	r->ret = recvmsg(s, &m, flags);
	r->flags = m.msg_flags;
	r->controllen = m.msg_controllen;
	r->nfds = 0;
	if (r->ret < 0 || !ctl_len)
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (int i = 0; i < n && r->nfds < 8; i++)
				memcpy(&r->fds[r->nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		}
	}
}

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static void t_rights_basic(void)
{
	int p[2];
	struct rcv r;
	pair(SOCK_DGRAM);
	CHECK_RET(pipe(p), 0, 0);
	CHECK_RET(send_fds(sp[0], "fd", 2, &p[1], 1, 0), 2, 0);
	recv_fds(sp[1], &r, CMSG_SPACE(sizeof(int)), 0);
	CHECK_EQ(r.ret, 2);
	CHECK_EQ(r.flags, 0);
	CHECK_EQ(r.nfds, 1);
	CHECK_EQ(r.controllen, CMSG_SPACE(sizeof(int)));
	int nfd = r.fds[0];
	CHECK(nfd != p[1] && fd_open(nfd));
	CHECK_RET(fcntl(nfd, F_GETFD), 0, 0);
	/* the same open file description: status flags are shared */
	CHECK_RET(fcntl(p[1], F_SETFL, O_NONBLOCK), 0, 0);
	CHECK_RET(fcntl(nfd, F_GETFL), O_WRONLY | O_NONBLOCK, 0);
	struct stat a, b;
	fstat(p[1], &a);
	fstat(nfd, &b);
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	CHECK_RET(write(nfd, "via", 3), 3, 0);
	char buf[8];
	CHECK_RET(read(p[0], buf, sizeof(buf)), 3, 0);
	close(nfd);

	/* a regular file: the offset is shared too */
	char path[256];
	snprintf(path, sizeof(path), "%s/t_unix_scm.%d", t_tmpdir(), getpid());
	int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK_RET(write(f, "0123456789", 10), 10, 0);
	CHECK_RET(lseek(f, 3, SEEK_SET), 3, 0);
	CHECK_RET(send_fds(sp[0], "f", 1, &f, 1, 0), 1, 0);
	recv_fds(sp[1], &r, sizeof(r.fds) + CMSG_LEN(0), MSG_CMSG_CLOEXEC);
	CHECK_EQ(r.nfds, 1);
	CHECK_EQ(r.flags, MSG_CMSG_CLOEXEC);
	CHECK_RET(fcntl(r.fds[0], F_GETFD), FD_CLOEXEC, 0);
	CHECK_RET(lseek(r.fds[0], 0, SEEK_CUR), 3, 0);
	CHECK_RET(read(r.fds[0], buf, 2), 2, 0);
	CHECK_RET(lseek(f, 0, SEEK_CUR), 5, 0);
	close(r.fds[0]);
	close(f);
	unlink(path);

	/* three at once, the same one twice, and the socket itself */
	int three[3] = { p[0], p[1], sp[0] };
	CHECK_RET(send_fds(sp[0], "3", 1, three, 3, 0), 1, 0);
	recv_fds(sp[1], &r, CMSG_SPACE(3 * sizeof(int)), 0);
	CHECK_EQ(r.nfds, 3);
	CHECK_EQ(r.flags, 0);
	int t;
	socklen_t tl = sizeof(t);
	CHECK_RET(getsockopt(r.fds[2], SOL_SOCKET, SO_TYPE, &t, &tl), 0, 0);
	CHECK_EQ(t, SOCK_DGRAM);
	for (int i = 0; i < r.nfds; i++)
		close(r.fds[i]);

	/* MSG_PEEK installs copies; the real receive installs them again */
	CHECK_RET(send_fds(sp[0], "pk", 2, &p[0], 1, 0), 2, 0);
	recv_fds(sp[1], &r, CMSG_SPACE(sizeof(int)), MSG_PEEK);
	CHECK_EQ(r.ret, 2);
	CHECK_EQ(r.nfds, 1);
	int peeked = r.fds[0];
	recv_fds(sp[1], &r, CMSG_SPACE(sizeof(int)), 0);
	CHECK_EQ(r.nfds, 1);
	CHECK(r.fds[0] != peeked && fd_open(peeked) && fd_open(r.fds[0]));
	close(peeked);
	close(r.fds[0]);
	close(p[0]);
	close(p[1]);
	close_pair();
}

static void t_rights_trunc(void)
{
	int p[2], q[2];
	struct rcv r;
	pair(SOCK_DGRAM);
	CHECK_RET(pipe(p), 0, 0);
	CHECK_RET(pipe(q), 0, 0);
	/* room for one of three: MSG_CTRUNC, the other two are closed */
	int three[3] = { p[1], q[1], p[1] };
	CHECK_RET(send_fds(sp[0], "x", 1, three, 3, 0), 1, 0);
	recv_fds(sp[1], &r, CMSG_LEN(sizeof(int)), 0);
	CHECK_EQ(r.ret, 1);
	CHECK_EQ(r.flags, MSG_CTRUNC);
	CHECK_EQ(r.nfds, 1);
	CHECK_EQ(r.controllen, CMSG_LEN(sizeof(int)));
	close(r.fds[0]);
	close(q[1]); /* q's only write end was one of the dropped ones */
	char c;
	CHECK_RET(read(q[0], &c, 1), 0, 0);
	/* a control buffer smaller than a header: no descriptor at all */
	CHECK_RET(send_fds(sp[0], "y", 1, &p[1], 1, 0), 1, 0);
	recv_fds(sp[1], &r, 8, 0);
	CHECK_EQ(r.flags, MSG_CTRUNC);
	CHECK_EQ(r.nfds, 0);
	CHECK_EQ(r.controllen, 0);
	/* no control buffer (recv/read): dropped, MSG_CTRUNC */
	CHECK_RET(send_fds(sp[0], "z", 1, &p[1], 1, 0), 1, 0);
	recv_fds(sp[1], &r, 0, 0);
	CHECK_EQ(r.ret, 1);
	CHECK_EQ(r.flags, MSG_CTRUNC);
	CHECK_RET(send_fds(sp[0], "w", 1, &p[1], 1, 0), 1, 0);
	CHECK_RET(read(sp[1], &c, 1), 1, 0);
	/* everything above let go of p[1]: closing ours gives EOF */
	close(p[1]);
	CHECK_RET(read(p[0], &c, 1), 0, 0);
	close(p[0]);
	close(q[0]);

	/* files in flight are dropped when the receiving socket closes */
	CHECK_RET(pipe(p), 0, 0);
	CHECK_RET(send_fds(sp[0], "lost", 4, &p[1], 1, 0), 4, 0);
	close(p[1]);
	struct pollfd pf = { p[0], POLLIN, 0 };
	CHECK_RET(poll(&pf, 1, 0), 0, 0);
	close_pair();
	CHECK_RET(poll(&pf, 1, 1000), 1, 0);
	CHECK_EQ(pf.revents, POLLHUP);
	CHECK_RET(read(p[0], &c, 1), 0, 0);
	close(p[0]);

	/* a stream: descriptors travel with their bytes, and a read stops
	 * after the bytes that carried them */
	pair(SOCK_STREAM);
	CHECK_RET(pipe(p), 0, 0);
	CHECK_RET(send(sp[0], "aa", 2, 0), 2, 0);
	CHECK_RET(send_fds(sp[0], "bb", 2, &p[0], 1, 0), 2, 0);
	CHECK_RET(send(sp[0], "cc", 2, 0), 2, 0);
	recv_fds(sp[1], &r, CMSG_SPACE(sizeof(int)), 0);
	CHECK_EQ(r.ret, 4);
	CHECK(!memcmp(r.data, "aabb", 4));
	CHECK_EQ(r.nfds, 1);
	close(r.fds[0]);
	recv_fds(sp[1], &r, CMSG_SPACE(sizeof(int)), 0);
	CHECK_EQ(r.ret, 2);
	CHECK_EQ(r.nfds, 0);
	CHECK_EQ(r.controllen, 0);
	close(p[0]);
	close(p[1]);
	close_pair();
}

static void t_rights_errors(void)
{
	int p[2];
	pair(SOCK_DGRAM);
	CHECK_RET(pipe(p), 0, 0);
	int bad = 999;
	CHECK_RET(send_fds(sp[0], "x", 1, &bad, 1, 0), -1, EBADF);
	bad = -1;
	CHECK_RET(send_fds(sp[0], "x", 1, &bad, 1, 0), -1, EBADF);
	int many[300];
	for (int i = 0; i < 300; i++)
		many[i] = p[0];
	CHECK_RET(send_fds(sp[0], "x", 1, many, 254, 0), -1, EINVAL);
	CHECK_RET(send_fds(sp[0], "x", 1, many, 253, 0), 1, 0);
	struct rcv r;
	char ctl[CMSG_SPACE(sizeof(int) * 253)];
	struct iovec iov = { r.data, sizeof(r.data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	CHECK_RET(recvmsg(sp[1], &m, 0), 1, 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	CHECK(c && c->cmsg_len == CMSG_LEN(sizeof(int) * 253));
	if (c)
		for (int i = 0; i < 253; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			close(fd);
		}

	/* malformed control buffers */
	char buf[64] __attribute__((aligned(8)));
	struct iovec io = { "x", 1 };
	struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = buf };
	struct cmsghdr *h = (struct cmsghdr *)buf;
	memset(buf, 0, sizeof(buf));
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = 8; /* shorter than a header */
	mh.msg_controllen = sizeof(buf);
	CHECK_RET(sendmsg(sp[0], &mh, 0), -1, EINVAL);
	h->cmsg_len = 100; /* past the buffer */
	CHECK_RET(sendmsg(sp[0], &mh, 0), -1, EINVAL);
	h->cmsg_len = CMSG_LEN(4);
	h->cmsg_type = 77; /* unknown at SOL_SOCKET */
	CHECK_RET(sendmsg(sp[0], &mh, 0), -1, EINVAL);
	h->cmsg_level = 99; /* other levels are skipped by AF_UNIX... */
	CHECK_RET(sendmsg(sp[0], &mh, 0), -1, EINVAL); /* ...but the zeros after it are a bad header */
	mh.msg_controllen = CMSG_SPACE(4);
	CHECK_RET(sendmsg(sp[0], &mh, 0), 1, 0);
	mh.msg_controllen = 8; /* no room for a header: nothing parsed */
	CHECK_RET(sendmsg(sp[0], &mh, 0), 1, 0);
	mh.msg_controllen = 1 << 20;
	CHECK_RET(sendmsg(sp[0], &mh, 0), -1, ENOBUFS);
	mh.msg_controllen = sizeof(buf);
	mh.msg_control = BAD_PTR(8);
	CHECK_RET(sendmsg(sp[0], &mh, 0), -1, EFAULT);
	/* other msghdr errors */
	struct msghdr e = { .msg_iov = &io, .msg_iovlen = 1025 };
	CHECK_RET(sendmsg(sp[0], &e, 0), -1, EMSGSIZE);
	CHECK_RET(recvmsg(sp[1], &e, 0), -1, EMSGSIZE);
	struct sockaddr_un a = { AF_UNIX, "x" };
	e.msg_iovlen = 1;
	e.msg_name = &a;
	e.msg_namelen = -1;
	CHECK_RET(sendmsg(sp[0], &e, 0), -1, EINVAL);
	struct iovec neg = { "x", (size_t)-1 };
	struct msghdr en = { .msg_iov = &neg, .msg_iovlen = 1 };
	CHECK_RET(sendmsg(sp[0], &en, 0), -1, EINVAL);
	CHECK_RET(sendmsg(sp[0], BAD_PTR(8), 0), -1, EFAULT);
	CHECK_RET(recvmsg(sp[1], BAD_PTR(8), 0), -1, EFAULT);
	CHECK_RET(sendmsg(sp[0], &mh, 0x80000000), -1, EINVAL); /* MSG_CMSG_COMPAT */
	/* drain what the accepted sends queued */
	while (recv(sp[1], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	close(p[0]);
	close(p[1]);
	close_pair();
}

/* A pipe's write end passed to a child process, which writes into it. */
static void t_rights_child(void)
{
	int p[2];
	pair(SOCK_STREAM);
	CHECK_RET(pipe(p), 0, 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(sp[0]);
		close(p[1]);
		close(p[0]);
		struct rcv r;
		recv_fds(sp[1], &r, CMSG_SPACE(sizeof(int)), 0);
		if (r.ret != 4 || r.nfds != 1)
			_exit(2);
		char msg[32];
		int n = snprintf(msg, sizeof(msg), "child %d", (int)getpid());
		if (write(r.fds[0], msg, n) != n)
			_exit(3);
		_exit(0);
	}
	close(sp[1]);
	CHECK_RET(send_fds(sp[0], "pipe", 4, &p[1], 1, 0), 4, 0);
	close(p[1]);
	char buf[64] = { 0 }, want[32];
	ssize_t n, got = 0;
	while ((n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	snprintf(want, sizeof(want), "child %d", (int)c);
	CHECK_STR(buf, want);
	int st;
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 0);
	close(p[0]);
	close(sp[0]);
}

static void t_creds(void)
{
	struct ucred u;
	socklen_t l = sizeof(u);
	pair(SOCK_STREAM);
	CHECK_RET(getsockopt(sp[0], SOL_SOCKET, SO_PEERCRED, &u, &l), 0, 0);
	CHECK(l == sizeof(u) && u.pid == getpid() && u.uid == geteuid() && u.gid == getegid());
	l = 4;
	memset(&u, 0x77, sizeof(u));
	CHECK_RET(getsockopt(sp[0], SOL_SOCKET, SO_PEERCRED, &u, &l), 0, 0);
	CHECK(l == 4 && u.pid == getpid() && u.uid == 0x77777777u);
	close_pair();
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	l = sizeof(u);
	CHECK_RET(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &u, &l), 0, 0);
	CHECK(u.pid == 0 && u.uid == (uid_t)-1 && u.gid == (gid_t)-1);
	close(s);

	/* SO_PASSCRED: each datagram carries the sender's pid/uid/gid */
	pair(SOCK_DGRAM);
	int on = 1;
	CHECK_RET(send(sp[0], "early", 5, 0), 5, 0);
	CHECK_RET(setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0, 0);
	int v = -1;
	l = sizeof(v);
	CHECK_RET(getsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &v, &l), 0, 0);
	CHECK_EQ(v, 1);
	CHECK_RET(send(sp[0], "late", 4, 0), 4, 0);
	char data[16], ctl[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	/* sent before SO_PASSCRED: no credentials were attached */
	CHECK_RET(recvmsg(sp[1], &m, 0), 5, 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	CHECK(c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
	      c->cmsg_len == CMSG_LEN(sizeof(struct ucred)));
	if (c) {
		memcpy(&u, CMSG_DATA(c), sizeof(u));
		CHECK(u.pid == 0 && u.uid == 65534 && u.gid == 65534);
	}
	m.msg_controllen = sizeof(ctl);
	CHECK_RET(recvmsg(sp[1], &m, 0), 4, 0);
	c = CMSG_FIRSTHDR(&m);
	CHECK(c && c->cmsg_type == SCM_CREDENTIALS);
	if (c) {
		memcpy(&u, CMSG_DATA(c), sizeof(u));
		CHECK(u.pid == getpid() && u.uid == getuid() && u.gid == getgid());
	}
	CHECK_EQ(m.msg_flags, 0);
	/* no room for them: MSG_CTRUNC */
	CHECK_RET(send(sp[0], "x", 1, 0), 1, 0);
	CHECK_RET(recv(sp[1], data, sizeof(data), 0), 1, 0);
	CHECK_RET(send(sp[0], "x", 1, 0), 1, 0);
	m.msg_control = NULL;
	m.msg_controllen = 0;
	CHECK_RET(recvmsg(sp[1], &m, 0), 1, 0);
	CHECK_EQ(m.msg_flags, MSG_CTRUNC);

	/* explicit SCM_CREDENTIALS: checked, and carried as given */
	struct ucred mine = { getpid(), getuid(), getgid() };
	char sctl[CMSG_SPACE(sizeof(struct ucred))] __attribute__((aligned(8)));
	struct iovec siov = { "c", 1 };
	struct msghdr sm = { .msg_iov = &siov, .msg_iovlen = 1, .msg_control = sctl, .msg_controllen = sizeof(sctl) };
	struct cmsghdr *h = CMSG_FIRSTHDR(&sm);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_CREDENTIALS;
	h->cmsg_len = CMSG_LEN(sizeof(struct ucred));
	memcpy(CMSG_DATA(h), &mine, sizeof(mine));
	CHECK_RET(sendmsg(sp[0], &sm, 0), 1, 0);
	struct ucred bogus = { 0x7ffffff0, 0, 0 };
	memcpy(CMSG_DATA(h), &bogus, sizeof(bogus));
	CHECK_RET(sendmsg(sp[0], &sm, 0), -1, ESRCH);
	bogus.pid = getpid();
	bogus.uid = (uid_t)-1;
	memcpy(CMSG_DATA(h), &bogus, sizeof(bogus));
	CHECK_RET(sendmsg(sp[0], &sm, 0), -1, EINVAL);
	h->cmsg_len = CMSG_LEN(sizeof(struct ucred) - 4);
	CHECK_RET(sendmsg(sp[0], &sm, 0), -1, EINVAL);
	m.msg_control = ctl;
	m.msg_controllen = sizeof(ctl);
	CHECK_RET(recvmsg(sp[1], &m, 0), 1, 0);
	c = CMSG_FIRSTHDR(&m);
	if (c) {
		memcpy(&u, CMSG_DATA(c), sizeof(u));
		CHECK(u.pid == getpid() && u.uid == getuid());
	}
	close_pair();
}

static void t_mmsg(void)
{
	pair(SOCK_DGRAM);
	char b[4][16];
	struct iovec iv[4] = { { "one", 3 }, { "two2", 4 }, { "three", 5 }, { "", 0 } };
	struct mmsghdr mm[4];
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &iv[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_RET(sendmmsg(sp[0], mm, 3, 0), 3, 0);
	CHECK(mm[0].msg_len == 3 && mm[1].msg_len == 4 && mm[2].msg_len == 5);
	struct iovec rv[4];
	struct mmsghdr rm[4];
	memset(rm, 0, sizeof(rm));
	for (int i = 0; i < 4; i++) {
		rv[i] = (struct iovec){ b[i], sizeof(b[i]) };
		rm[i].msg_hdr.msg_iov = &rv[i];
		rm[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_RET(recvmmsg(sp[1], rm, 4, MSG_DONTWAIT, NULL), 3, 0);
	CHECK(rm[0].msg_len == 3 && rm[1].msg_len == 4 && rm[2].msg_len == 5);
	CHECK(!memcmp(b[0], "one", 3) && !memcmp(b[1], "two2", 4) && !memcmp(b[2], "three", 5));
	CHECK_RET(recvmmsg(sp[1], rm, 4, MSG_DONTWAIT, NULL), -1, EAGAIN);
	/* MSG_WAITFORONE: block for the first, then take what is there */
	CHECK_RET(sendmmsg(sp[0], mm, 2, 0), 2, 0);
	CHECK_RET(recvmmsg(sp[1], rm, 4, MSG_WAITFORONE, NULL), 2, 0);
	struct timespec ts = { 0, -1 };
	CHECK_RET(recvmmsg(sp[1], rm, 4, 0, &ts), -1, EINVAL);
	CHECK_RET(recvmmsg(sp[1], rm, 4, 0, BAD_PTR(8)), -1, EFAULT);
	CHECK_RET(sendmmsg(sp[0], mm, 0, 0), 0, 0);
	CHECK_RET(sendmmsg(999, mm, 1, 0), -1, EBADF);
	/* the second message is bad: one sent, the error is not reported */
	struct iovec badv = { "x", (size_t)-1 };
	mm[1].msg_hdr.msg_iov = &badv;
	CHECK_RET(sendmmsg(sp[0], mm, 3, 0), 1, 0);
	mm[0].msg_hdr.msg_iov = &badv;
	CHECK_RET(sendmmsg(sp[0], mm, 3, 0), -1, EINVAL);
	CHECK_RET(recv(sp[1], b[0], sizeof(b[0]), 0), 3, 0);
	close_pair();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_rights_basic();
	t_rights_trunc();
	t_rights_errors();
	t_rights_child();
	t_creds();
	t_mmsg();
	return t_done();
}
