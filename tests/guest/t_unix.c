/* AF_UNIX sockets, part 1: socket(2) and socketpair(2) with their flags
 * and errors, the socket file (fstat S_IFSOCK, F_GETFL, /proc/self/fd
 * link), stream / datagram / seqpacket data transfer through read/write,
 * readv/writev and send/recv (MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL,
 * MSG_TRUNC, MSG_NOSIGNAL), shutdown and close of the peer (EOF, EPIPE and
 * SIGPIPE, ECONNRESET, ECONNREFUSED), poll/select readiness, FIONREAD,
 * O_NONBLOCK through fcntl and FIONBIO, buffer sizes and limits
 * (SO_SNDBUF/SO_RCVBUF, a writer that fills the buffer), timeouts, and
 * blocking across threads and processes on 2 vCPUs. t_unix_async has
 * epoll and SIGIO on sockets. Part 2 (t_unix_scm)
 * passes descriptors and credentials, part 3 (t_unix_bind) names sockets. */
#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>

#ifndef SIOCOUTQ
#define SIOCOUTQ 0x5411
#endif

static int sp[2];

static void pair(int type)
{
	if (socketpair(AF_UNIX, type, 0, sp))
		printf("t_unix: socketpair(%d) failed: %s\n", type, strerror(errno));
}

static void close_pair(void)
{
	close(sp[0]);
	close(sp[1]);
}

static int getint(int fd, int level, int name)
{
	int v = -12345;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, level, name, &v, &l))
		return -errno - 1000;
	return v;
}

static short revents(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

static void t_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	struct stat st;
	CHECK_RET(fstat(fd, &st), 0, 0);
	CHECK_EQ(st.st_mode, S_IFSOCK | 0777);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_nlink, 1);
	char link[64], want[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, want, sizeof(want) - 1);
	CHECK(n > 0);
	want[n > 0 ? n : 0] = 0;
	snprintf(link, sizeof(link), "socket:[%lu]", (unsigned long)st.st_ino);
	CHECK_STR(want, link);
	CHECK_RET(fcntl(fd, F_GETFL), O_RDWR, 0);
	CHECK_RET(fcntl(fd, F_GETFD), 0, 0);
	CHECK_EQ(getint(fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	CHECK_EQ(getint(fd, SOL_SOCKET, SO_DOMAIN), AF_UNIX);
	CHECK_EQ(getint(fd, SOL_SOCKET, SO_PROTOCOL), 0);
	CHECK_EQ(getint(fd, SOL_SOCKET, SO_ACCEPTCONN), 0);
	CHECK_EQ(getint(fd, SOL_SOCKET, SO_ERROR), 0);
	CHECK_RET(lseek(fd, 0, SEEK_SET), -1, ESPIPE);
	CHECK_RET(pread(fd, link, 1, 0), -1, ESPIPE);
	/* an unconnected stream socket */
	char c;
	CHECK_RET(read(fd, &c, 1), -1, EINVAL);
	CHECK_RET(recv(fd, &c, 1, 0), -1, EINVAL);
	CHECK_RET(send(fd, "x", 1, MSG_NOSIGNAL), -1, ENOTCONN);
	CHECK_RET(write(fd, "x", 1), -1, ENOTCONN);
	CHECK_EQ(revents(fd, POLLIN | POLLOUT), POLLOUT | POLLHUP);
	CHECK_RET(shutdown(fd, SHUT_RDWR), 0, 0);
	CHECK_RET(shutdown(fd, 3), -1, EINVAL);
	CHECK_RET(shutdown(fd, -1), -1, EINVAL);
	close(fd);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK_RET(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK, 0);
	CHECK_RET(fcntl(fd, F_GETFD), FD_CLOEXEC, 0);
	CHECK_RET(recv(fd, &c, 1, 0), -1, EAGAIN);
	CHECK_RET(send(fd, "x", 1, 0), -1, ENOTCONN);
	close(fd);
	fd = socket(AF_UNIX, SOCK_RAW, 0); /* becomes a datagram socket */
	CHECK(fd >= 0);
	CHECK_EQ(getint(fd, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	close(fd);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, PF_UNIX);
	CHECK(fd >= 0);
	CHECK_EQ(getint(fd, SOL_SOCKET, SO_TYPE), SOCK_SEQPACKET);
	CHECK_EQ(getint(fd, SOL_SOCKET, SO_PROTOCOL), 0);
	CHECK_RET(recv(fd, &c, 1, 0), -1, ENOTCONN);
	CHECK_RET(send(fd, "x", 1, 0), -1, ENOTCONN);
	close(fd);

	/* errors, in Linux's order */
	CHECK_RET(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0), -1, EINVAL);
	CHECK_RET(socket(-1, SOCK_STREAM, 0), -1, EAFNOSUPPORT);
	CHECK_RET(socket(AF_MAX, SOCK_STREAM, 0), -1, EAFNOSUPPORT);
	CHECK_RET(socket(1000, SOCK_STREAM, 0), -1, EAFNOSUPPORT);
	CHECK_RET(socket(AF_UNIX, 11, 0), -1, EINVAL);
	CHECK_RET(socket(AF_UNIX, 0, 0), -1, ESOCKTNOSUPPORT);
	CHECK_RET(socket(AF_UNIX, SOCK_RDM, 0), -1, ESOCKTNOSUPPORT);
	CHECK_RET(socket(AF_UNIX, SOCK_PACKET, 0), -1, ESOCKTNOSUPPORT);
	CHECK_RET(socket(AF_UNIX, SOCK_STREAM, 2), -1, EPROTONOSUPPORT);
	CHECK_RET(socket(AF_UNIX, SOCK_RDM, 2), -1, EPROTONOSUPPORT);
	CHECK_RET(socketpair(AF_UNIX, SOCK_STREAM | 0x100000, 0, sp), -1, EINVAL);
	CHECK_RET(socketpair(AF_UNIX, SOCK_STREAM, 0, BAD_PTR(8)), -1, EFAULT);
	CHECK_RET(socketpair(AF_UNIX, 0, 0, sp), -1, ESOCKTNOSUPPORT);
	CHECK_RET(socketpair(1000, SOCK_STREAM, 0, sp), -1, EAFNOSUPPORT);

	/* socket calls on things that are not sockets */
	int p[2];
	CHECK_RET(pipe(p), 0, 0);
	struct sockaddr_un a = { AF_UNIX, "x" };
	CHECK_RET(bind(p[0], (struct sockaddr *)&a, sizeof(a)), -1, ENOTSOCK);
	CHECK_RET(listen(p[0], 1), -1, ENOTSOCK);
	CHECK_RET(accept(p[0], NULL, NULL), -1, ENOTSOCK);
	CHECK_RET(send(p[1], "x", 1, 0), -1, ENOTSOCK);
	CHECK_RET(recv(p[0], &c, 1, 0), -1, ENOTSOCK);
	CHECK_RET(shutdown(p[0], SHUT_RD), -1, ENOTSOCK);
	CHECK_RET(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &n, &(socklen_t){ 4 }), -1, ENOTSOCK);
	CHECK_RET(bind(999, (struct sockaddr *)&a, sizeof(a)), -1, EBADF);
	CHECK_RET(send(999, "x", 1, 0), -1, EBADF);
	CHECK_RET(accept4(p[0], NULL, NULL, 0x1), -1, EINVAL);
	close(p[0]);
	close(p[1]);
}

static void t_stream(void)
{
	char buf[256];
	pair(SOCK_STREAM);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	CHECK_EQ(revents(sp[0], POLLIN | POLLOUT), POLLOUT);
	CHECK_RET(write(sp[0], "hello", 5), 5, 0);
	CHECK_EQ(revents(sp[1], POLLIN | POLLOUT), POLLIN | POLLOUT);
	int avail = -1;
	CHECK_RET(ioctl(sp[1], FIONREAD, &avail), 0, 0);
	CHECK_EQ(avail, 5);
	CHECK_RET(send(sp[0], " world", 6, 0), 6, 0);
	CHECK_RET(ioctl(sp[1], FIONREAD, &avail), 0, 0);
	CHECK_EQ(avail, 11);
	/* a stream read crosses send boundaries */
	CHECK_RET(recv(sp[1], buf, 3, MSG_PEEK), 3, 0);
	CHECK(!memcmp(buf, "hel", 3));
	CHECK_RET(recv(sp[1], buf, sizeof(buf), MSG_PEEK), 11, 0);
	CHECK_RET(read(sp[1], buf, 4), 4, 0);
	CHECK(!memcmp(buf, "hell", 4));
	CHECK_RET(read(sp[1], buf, sizeof(buf)), 7, 0);
	CHECK(!memcmp(buf, "o world", 7));
	CHECK_RET(recv(sp[1], buf, 1, MSG_DONTWAIT), -1, EAGAIN);
	CHECK_RET(read(sp[1], buf, 0), 0, 0);
	/* recvfrom on a socketpair: no address */
	struct sockaddr_un from;
	socklen_t fl = sizeof(from);
	CHECK_RET(send(sp[1], "ab", 2, 0), 2, 0);
	CHECK_RET(recvfrom(sp[0], buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 2, 0);
	CHECK_EQ(fl, 0);
	/* readv/writev */
	struct iovec w[3] = { { "ab", 2 }, { "", 0 }, { "cdef", 4 } };
	CHECK_RET(writev(sp[0], w, 3), 6, 0);
	char r1[3], r2[10];
	struct iovec r[2] = { { r1, 3 }, { r2, 10 } };
	CHECK_RET(readv(sp[1], r, 2), 6, 0);
	CHECK(!memcmp(r1, "abc", 3) && !memcmp(r2, "def", 3));
	/* sendto with an address on a connected stream socket */
	struct sockaddr_un a = { AF_UNIX, "nowhere" };
	CHECK_RET(sendto(sp[0], "x", 1, 0, (struct sockaddr *)&a, sizeof(a)), -1, EISCONN);
	close_pair();
}

static volatile sig_atomic_t got_sigpipe;
static void on_sigpipe(int s) { got_sigpipe++; }

static void t_stream_shutdown(void)
{
	char buf[16];
	struct sigaction sa = { 0 }, old;
	sa.sa_handler = on_sigpipe;
	sigaction(SIGPIPE, &sa, &old);

	/* SHUT_WR: the peer reads what was sent, then end of file */
	pair(SOCK_STREAM);
	CHECK_RET(write(sp[0], "abc", 3), 3, 0);
	CHECK_RET(shutdown(sp[0], SHUT_WR), 0, 0);
	CHECK_EQ(revents(sp[1], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP);
	CHECK_EQ(revents(sp[0], POLLIN | POLLOUT | POLLRDHUP), POLLOUT);
	CHECK_RET(read(sp[1], buf, sizeof(buf)), 3, 0);
	CHECK_RET(read(sp[1], buf, sizeof(buf)), 0, 0);
	CHECK_RET(read(sp[1], buf, sizeof(buf)), 0, 0);
	got_sigpipe = 0;
	CHECK_RET(write(sp[0], "x", 1), -1, EPIPE);
	CHECK_EQ(got_sigpipe, 1);
	CHECK_RET(send(sp[0], "x", 1, MSG_NOSIGNAL), -1, EPIPE);
	CHECK_EQ(got_sigpipe, 1);
	/* the other direction still works */
	CHECK_RET(write(sp[1], "back", 4), 4, 0);
	CHECK_RET(read(sp[0], buf, sizeof(buf)), 4, 0);
	/* SHUT_RD on the reader: buffered data stays readable, then EOF; the
	 * writer gets EPIPE */
	CHECK_RET(write(sp[1], "zz", 2), 2, 0);
	CHECK_RET(shutdown(sp[0], SHUT_RD), 0, 0);
	CHECK_EQ(revents(sp[0], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	CHECK_RET(read(sp[0], buf, sizeof(buf)), 2, 0);
	CHECK_RET(read(sp[0], buf, sizeof(buf)), 0, 0);
	got_sigpipe = 0;
	CHECK_RET(write(sp[1], "y", 1), -1, EPIPE);
	CHECK_EQ(got_sigpipe, 1);
	CHECK_EQ(revents(sp[1], POLLIN | POLLOUT), POLLIN | POLLOUT | POLLHUP);
	close_pair();

	/* close of the peer: EOF, POLLHUP, EPIPE + SIGPIPE */
	pair(SOCK_STREAM);
	CHECK_RET(write(sp[1], "last", 4), 4, 0);
	close(sp[1]);
	CHECK_EQ(revents(sp[0], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	CHECK_RET(read(sp[0], buf, sizeof(buf)), 4, 0);
	CHECK_RET(read(sp[0], buf, sizeof(buf)), 0, 0);
	got_sigpipe = 0;
	CHECK_RET(write(sp[0], "x", 1), -1, EPIPE);
	CHECK_EQ(got_sigpipe, 1);
	CHECK_RET(send(sp[0], "", 0, 0), -1, EPIPE);
	CHECK_EQ(got_sigpipe, 2);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_ERROR), 0);
	close(sp[0]);

	/* closing with unread data resets the peer once */
	pair(SOCK_STREAM);
	CHECK_RET(write(sp[0], "unread", 6), 6, 0);
	close(sp[1]);
	CHECK_EQ(revents(sp[0], POLLIN | POLLOUT), POLLIN | POLLOUT | POLLHUP | POLLERR);
	CHECK_RET(read(sp[0], buf, sizeof(buf)), -1, ECONNRESET);
	CHECK_RET(read(sp[0], buf, sizeof(buf)), 0, 0);
	pair(SOCK_STREAM); /* SO_ERROR takes the error as well */
	CHECK_RET(write(sp[0], "unread", 6), 6, 0);
	close(sp[1]);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_ERROR), ECONNRESET);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_ERROR), 0);
	CHECK_RET(read(sp[0], buf, sizeof(buf)), 0, 0);
	close(sp[0]);

	/* SIGPIPE's default action kills the writer */
	pair(SOCK_STREAM);
	close(sp[1]);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		signal(SIGPIPE, SIG_DFL);
		write(sp[0], "x", 1);
		_exit(0);
	}
	int st;
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_SIGNALED(st, SIGPIPE);
	close(sp[0]);
	sigaction(SIGPIPE, &old, NULL);
}

static void t_dgram(void)
{
	char buf[64];
	pair(SOCK_DGRAM);
	CHECK_EQ(revents(sp[0], POLLIN | POLLOUT), POLLOUT);
	CHECK_RET(send(sp[0], "one", 3, 0), 3, 0);
	CHECK_RET(write(sp[0], "twotwo", 6), 6, 0);
	CHECK_RET(send(sp[0], "", 0, 0), 0, 0); /* an empty datagram */
	struct iovec w[3] = { { "th", 2 }, { "", 0 }, { "ree", 3 } };
	CHECK_RET(writev(sp[0], w, 3), 5, 0); /* one datagram */
	int avail = -1;
	CHECK_RET(ioctl(sp[1], FIONREAD, &avail), 0, 0);
	CHECK_EQ(avail, 3); /* the next datagram only */
	CHECK_RET(recv(sp[1], buf, sizeof(buf), MSG_PEEK), 3, 0);
	CHECK_RET(recv(sp[1], buf, sizeof(buf), 0), 3, 0);
	CHECK(!memcmp(buf, "one", 3));
	/* truncation: the rest of the datagram is gone */
	struct iovec rv = { buf, 3 };
	struct msghdr m = { .msg_iov = &rv, .msg_iovlen = 1 };
	CHECK_RET(recvmsg(sp[1], &m, 0), 3, 0);
	CHECK_EQ(m.msg_flags, MSG_TRUNC);
	CHECK(!memcmp(buf, "two", 3));
	CHECK_RET(recv(sp[1], buf, sizeof(buf), 0), 0, 0); /* the empty one */
	char r1[2], r2[8];
	struct iovec r[2] = { { r1, 2 }, { r2, 8 } };
	CHECK_RET(readv(sp[1], r, 2), 5, 0);
	CHECK(!memcmp(r1, "th", 2) && !memcmp(r2, "ree", 3));
	/* MSG_TRUNC returns the real length */
	CHECK_RET(send(sp[1], "0123456789", 10, 0), 10, 0);
	CHECK_RET(recv(sp[0], buf, 4, MSG_TRUNC), 10, 0);
	CHECK_RET(recv(sp[0], buf, sizeof(buf), MSG_DONTWAIT), -1, EAGAIN);
	/* a datagram larger than the send buffer */
	static char big[300000];
	CHECK_RET(send(sp[0], big, 212992 - 31, 0), -1, EMSGSIZE);
	CHECK_RET(send(sp[0], big, 200000, 0), 200000, 0);
	CHECK_RET(recv(sp[1], big, sizeof(big), 0), 200000, 0);
	/* the peer closes: recv would block, send reports it once */
	CHECK_RET(send(sp[1], "bye", 3, 0), 3, 0);
	close(sp[1]);
	CHECK_EQ(revents(sp[0], POLLIN | POLLOUT), POLLIN | POLLOUT);
	CHECK_RET(recv(sp[0], buf, sizeof(buf), 0), 3, 0);
	CHECK_RET(recv(sp[0], buf, sizeof(buf), MSG_DONTWAIT), -1, EAGAIN);
	CHECK_RET(send(sp[0], "x", 1, 0), -1, ECONNREFUSED);
	CHECK_RET(send(sp[0], "x", 1, 0), -1, ENOTCONN);
	close(sp[0]);

	/* SHUT_RD on a datagram socket: a blocking recv is EOF, a
	 * non-blocking one EAGAIN; SHUT_WR makes sends fail with EPIPE */
	pair(SOCK_DGRAM);
	CHECK_RET(shutdown(sp[0], SHUT_RD), 0, 0);
	CHECK_RET(recv(sp[0], buf, sizeof(buf), 0), 0, 0);
	CHECK_RET(recv(sp[0], buf, sizeof(buf), MSG_DONTWAIT), -1, EAGAIN);
	signal(SIGPIPE, on_sigpipe);
	got_sigpipe = 0;
	CHECK_RET(send(sp[1], "x", 1, 0), -1, EPIPE);
	CHECK_RET(shutdown(sp[1], SHUT_WR), 0, 0);
	CHECK_RET(send(sp[1], "x", 1, 0), -1, EPIPE);
	CHECK_EQ(got_sigpipe, 0); /* datagram sockets raise no SIGPIPE */
	signal(SIGPIPE, SIG_DFL);
	close_pair();
}

static void t_seqpacket(void)
{
	char buf[64];
	pair(SOCK_SEQPACKET);
	CHECK_RET(send(sp[0], "first", 5, 0), 5, 0);
	CHECK_RET(send(sp[0], "second", 6, 0), 6, 0);
	int avail = -1;
	CHECK_RET(ioctl(sp[1], FIONREAD, &avail), 0, 0);
	CHECK_EQ(avail, 11); /* seqpacket counts every queued byte */
	CHECK_RET(recv(sp[1], buf, 3, 0), 3, 0);
	CHECK_RET(recv(sp[1], buf, sizeof(buf), 0), 6, 0);
	CHECK(!memcmp(buf, "second", 6));
	CHECK_RET(send(sp[1], "bye", 3, 0), 3, 0);
	close(sp[1]);
	CHECK_EQ(revents(sp[0], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	CHECK_RET(recv(sp[0], buf, sizeof(buf), 0), 3, 0);
	CHECK_RET(recv(sp[0], buf, sizeof(buf), 0), 0, 0);
	CHECK_RET(recv(sp[0], buf, sizeof(buf), MSG_DONTWAIT), 0, 0);
	got_sigpipe = 0;
	signal(SIGPIPE, on_sigpipe);
	CHECK_RET(send(sp[0], "x", 1, 0), -1, EPIPE);
	CHECK_EQ(got_sigpipe, 0);
	signal(SIGPIPE, SIG_DFL);
	close(sp[0]);
}

static void t_nonblock(void)
{
	char c;
	pair(SOCK_STREAM);
	CHECK_RET(fcntl(sp[0], F_SETFL, O_NONBLOCK), 0, 0);
	CHECK_RET(read(sp[0], &c, 1), -1, EAGAIN);
	CHECK_RET(fcntl(sp[0], F_SETFL, 0), 0, 0);
	int on = 1;
	CHECK_RET(ioctl(sp[0], FIONBIO, &on), 0, 0);
	CHECK_RET(fcntl(sp[0], F_GETFL), O_RDWR | O_NONBLOCK, 0);
	CHECK_RET(recv(sp[0], &c, 1, 0), -1, EAGAIN);
	on = 0;
	CHECK_RET(ioctl(sp[0], FIONBIO, &on), 0, 0);
	CHECK_RET(fcntl(sp[0], F_GETFL), O_RDWR, 0);
	/* SO_RCVTIMEO: EAGAIN after the timeout (Linux keeps it in 4 ms ticks) */
	struct timeval tv = { 0, 100000 }, got;
	socklen_t l = sizeof(got);
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0, 0);
	CHECK_RET(getsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &got, &l), 0, 0);
	CHECK_EQ(l, sizeof(got));
	CHECK(got.tv_sec == 0 && got.tv_usec == 100000);
	tv.tv_usec = 1001;
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0, 0);
	CHECK_RET(getsockopt(sp[0], SOL_SOCKET, SO_SNDTIMEO, &got, &l), 0, 0);
	CHECK(got.tv_sec == 0 && got.tv_usec == 4000);
	tv.tv_usec = 1000000;
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), -1, EDOM);
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_SNDTIMEO, &tv, 8), -1, EINVAL);
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(read(sp[0], &c, 1), -1, EAGAIN);
	long long ms = (t_now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
	CHECK(ms >= 90 && ms < 3000);
	close_pair();
}

static void t_buffers(void)
{
	pair(SOCK_STREAM);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_SNDBUF), 212992);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_RCVBUF), 212992);
	int v = 4096;
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0, 0);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_SNDBUF), 8192);
	v = 1;
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0, 0);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_SNDBUF), 4608);
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0, 0);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_RCVBUF), 2304);
	v = 4 << 20;
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0, 0);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_SNDBUF), 425984);
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0, 0);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_RCVBUF), 425984);
	v = -1;
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0, 0);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_SNDBUF), 425984);
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &v, 2), -1, EINVAL);
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, BAD_PTR(8), 4), -1, EFAULT);
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_TYPE, &v, 4), -1, ENOPROTOOPT);
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, 12345, &v, 4), -1, ENOPROTOOPT);
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &v, -1), -1, EINVAL);
	CHECK_RET(setsockopt(sp[0], 6 /* SOL_TCP */, 1, &v, 4), -1, EOPNOTSUPP);
	CHECK_RET(getsockopt(sp[0], 6, 1, &v, &(socklen_t){ 4 }), -1, EOPNOTSUPP);
	CHECK_RET(getsockopt(sp[0], SOL_SOCKET, 12345, &v, &(socklen_t){ 4 }), -1, ENOPROTOOPT);
	CHECK_RET(getsockopt(sp[0], SOL_SOCKET, SO_TYPE, &v, &(socklen_t){ -1 }), -1, EINVAL);
	/* a short optlen gets a short answer */
	unsigned char small[4] = { 0xaa, 0xaa, 0xaa, 0xaa };
	socklen_t sl = 1;
	CHECK_RET(getsockopt(sp[0], SOL_SOCKET, SO_TYPE, small, &sl), 0, 0);
	CHECK(sl == 1 && small[0] == SOCK_STREAM && small[1] == 0xaa);
	/* the boolean ones read back as 0/1 */
	v = 7;
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), 0, 0);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_REUSEADDR), 1);
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)), 0, 0);
	CHECK_EQ(getint(sp[0], SOL_SOCKET, SO_KEEPALIVE), 1);
	struct linger lg = { 0, 0 }, lgot;
	socklen_t ll = sizeof(lgot);
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0, 0);
	lg.l_onoff = 1;
	lg.l_linger = 5;
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0, 0);
	CHECK_RET(getsockopt(sp[0], SOL_SOCKET, SO_LINGER, &lgot, &ll), 0, 0);
	CHECK(ll == sizeof(lgot) && lgot.l_onoff == 1 && lgot.l_linger == 5);
	CHECK_RET(setsockopt(sp[0], SOL_SOCKET, SO_LINGER, &lg, 4), -1, EINVAL);
	close_pair();

	/* a non-blocking writer fills the send buffer, then EAGAIN and no
	 * POLLOUT; the reader drains it and POLLOUT comes back */
	pair(SOCK_STREAM);
	static char chunk[65536];
	long total = 0;
	ssize_t n;
	while ((n = send(sp[0], chunk, sizeof(chunk), MSG_DONTWAIT)) > 0)
		total += n;
	CHECK(n == -1 && errno == EAGAIN);
	CHECK(total >= 100000 && total <= 240000);
	CHECK_EQ(revents(sp[0], POLLOUT), 0);
	int q = -1;
	CHECK_RET(ioctl(sp[1], FIONREAD, &q), 0, 0);
	CHECK_EQ(q, total);
	CHECK_RET(ioctl(sp[0], SIOCOUTQ, &q), 0, 0);
	CHECK(q >= total);
	long got = 0;
	while (got < total && (n = read(sp[1], chunk, sizeof(chunk))) > 0)
		got += n;
	CHECK_EQ(got, total);
	CHECK_EQ(revents(sp[0], POLLOUT), POLLOUT);
	CHECK_RET(ioctl(sp[0], SIOCOUTQ, &q), 0, 0);
	CHECK_EQ(q, 0);
	close_pair();

	/* datagrams on a socketpair: limited by the send buffer */
	pair(SOCK_DGRAM);
	int count = 0;
	while (send(sp[0], "d", 1, MSG_DONTWAIT) == 1)
		count++;
	CHECK(errno == EAGAIN);
	CHECK(count > 100 && count < 1000);
	CHECK_EQ(revents(sp[0], POLLOUT), 0);
	close_pair();
}

/* sendfile from a regular file into a socket */
static void t_sendfile(void)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/t_unix.%d", t_tmpdir(), getpid());
	int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	static unsigned char data[100000], got[100000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + (i >> 8));
	CHECK_RET(write(f, data, sizeof(data)), sizeof(data), 0);
	pair(SOCK_STREAM);
	off_t off = 10;
	CHECK_RET(sendfile(sp[0], f, &off, sizeof(data) - 10), sizeof(data) - 10, 0);
	CHECK_EQ(off, sizeof(data));
	size_t have = 0;
	ssize_t n;
	while (have < sizeof(data) - 10 && (n = read(sp[1], got + have, sizeof(got) - have)) > 0)
		have += (size_t)n;
	CHECK_EQ(have, sizeof(data) - 10);
	CHECK(!memcmp(got, data + 10, have));
	close_pair();
	close(f);
	unlink(path);
}

/* ---- blocking across threads and processes ---- */

struct rd {
	int fd;
	long long woke_ns;
	ssize_t got;
	char buf[16];
};

static void *reader(void *arg)
{
	struct rd *r = arg;
	r->got = recv(r->fd, r->buf, sizeof(r->buf), MSG_WAITALL);
	r->woke_ns = t_now_ns(CLOCK_MONOTONIC);
	return NULL;
}

static void *drainer(void *arg)
{
	int fd = *(int *)arg;
	static char b[65536];
	t_sleep_ms(50);
	long total = 0;
	ssize_t n;
	while ((n = read(fd, b, sizeof(b))) > 0)
		total += n;
	return (void *)total;
}

static void t_threads(void)
{
	/* a reader blocked in recv(MSG_WAITALL) wakes when the writer on the
	 * other CPU completes the request */
	pair(SOCK_STREAM);
	struct rd r = { .fd = sp[1] };
	pthread_t t;
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(pthread_create(&t, NULL, reader, &r), 0, 0);
	t_sleep_ms(30);
	CHECK_RET(write(sp[0], "0123456789", 10), 10, 0);
	t_sleep_ms(30);
	CHECK_RET(write(sp[0], "abcdef", 6), 6, 0);
	pthread_join(t, NULL);
	CHECK_EQ(r.got, 16);
	CHECK(!memcmp(r.buf, "0123456789abcdef", 16));
	CHECK(r.woke_ns - t0 >= 60000000LL);
	close_pair();

	/* a writer blocked on a full buffer makes progress as a thread drains */
	pair(SOCK_STREAM);
	static char big[1 << 20];
	CHECK_RET(pthread_create(&t, NULL, drainer, &sp[1]), 0, 0);
	CHECK_RET(write(sp[0], big, sizeof(big)), sizeof(big), 0);
	shutdown(sp[0], SHUT_WR);
	void *res;
	pthread_join(t, &res);
	CHECK_EQ((long)res, sizeof(big));
	close_pair();

	/* poll in one process, data from another */
	pair(SOCK_DGRAM);
	struct pollfd p = { sp[1], POLLIN, 0 };
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		t_sleep_ms(30);
		send(sp[0], "ping", 4, 0);
		_exit(0);
	}
	CHECK_RET(poll(&p, 1, 5000), 1, 0);
	CHECK_EQ(p.revents, POLLIN);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(sp[1], &rs);
	struct timeval tv = { 5, 0 };
	CHECK_RET(select(sp[1] + 1, &rs, NULL, NULL, &tv), 1, 0);
	waitpid(c, NULL, 0);
	close_pair();
}

/* A signal interrupts a blocked recv: EINTR with a handler, a restart with
 * SA_RESTART. */
static void on_alarm(int s) {}

static void t_signal(void)
{
	char c;
	struct sigaction sa = { 0 };
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	pair(SOCK_STREAM);
	struct itimerval it = { { 0, 0 }, { 0, 50000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK_RET(recv(sp[0], &c, 1, 0), -1, EINTR);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	fflush(stdout);
	pid_t k = fork();
	if (k == 0) {
		t_sleep_ms(150);
		write(sp[1], "r", 1);
		_exit(0);
	}
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK_RET(recv(sp[0], &c, 1, 0), 1, 0);
	CHECK_EQ(c, 'r');
	waitpid(k, NULL, 0);
	/* with SO_RCVTIMEO the call is not restarted: EINTR */
	struct timeval tv = { 5, 0 };
	setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK_RET(recv(sp[0], &c, 1, 0), -1, EINTR);
	close_pair();
	signal(SIGALRM, SIG_DFL);
}

/* fork + socketpair ping-pong between two processes */
static void t_pingpong(void)
{
	pair(SOCK_STREAM);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(sp[0]);
		unsigned v;
		while (read(sp[1], &v, sizeof(v)) == sizeof(v)) {
			v++;
			if (write(sp[1], &v, sizeof(v)) != sizeof(v))
				_exit(2);
		}
		_exit(0);
	}
	close(sp[1]);
	unsigned v = 0;
	int ok = 1;
	for (int i = 0; i < 2000 && ok; i++) {
		unsigned sent = v;
		ok = write(sp[0], &v, sizeof(v)) == sizeof(v) && read(sp[0], &v, sizeof(v)) == sizeof(v) &&
		     v == sent + 1;
	}
	CHECK(ok);
	CHECK_EQ(v, 2000);
	close(sp[0]);
	int st;
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 0);

	/* the same over datagrams */
	pair(SOCK_DGRAM);
	c = fork();
	if (c == 0) {
		char b[8];
		ssize_t n;
		while ((n = recv(sp[1], b, sizeof(b), 0)) > 0 && b[0] != 'q')
			send(sp[1], b, n, 0);
		_exit(0);
	}
	ok = 1;
	for (int i = 0; i < 500 && ok; i++) {
		char b[8];
		ok = send(sp[0], "abc", 3, 0) == 3 && recv(sp[0], b, sizeof(b), 0) == 3 && !memcmp(b, "abc", 3);
	}
	CHECK(ok);
	send(sp[0], "q", 1, 0);
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 0);
	close_pair();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_socket();
	t_stream();
	t_stream_shutdown();
	t_dgram();
	t_seqpacket();
	t_nonblock();
	t_buffers();
	t_sendfile();
	t_threads();
	t_signal();
	t_pingpong();
	return t_done();
}
