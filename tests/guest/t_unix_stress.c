/* AF_UNIX sockets, part 4: concurrency and hostile use. Several threads
 * sending and receiving datagrams on one socket (every message arrives
 * once and whole), a large stream transfer checked byte by byte, calls
 * blocked in accept/connect/recv released by shutdown or close from
 * another thread, a chain of sockets carried inside each other's queues
 * released by one close, descriptors received into read-only memory, and
 * unreachable cycles of sockets in flight collected. */
#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static ssize_t send_fd(int s, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { "F", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	memset(ctl, 0, sizeof(ctl));
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(s, &m, 0);
}

/* ---- many threads on one datagram socket ---- */

#define WRITERS 4
#define READERS 2
#define PER_WRITER 2000

static int dg[2];
static _Atomic int seen[WRITERS][PER_WRITER];
static _Atomic int bad, received;

static void *dg_writer(void *arg)
{
	int id = (int)(long)arg;
	for (int i = 0; i < PER_WRITER; i++) {
		int msg[8] = { id, i, id ^ i, 0x5a5a5a5a, i * 3, id * 7, ~i, 42 };
		if (send(dg[0], msg, sizeof(msg), 0) != sizeof(msg))
			atomic_fetch_add(&bad, 1);
	}
	return NULL;
}

static void *dg_reader(void *arg)
{
	int msg[9];
	for (;;) {
		ssize_t n = recv(dg[1], msg, sizeof(msg), 0);
		if (n == 4 && msg[0] == -1)
			break; /* the end marker */
		if (n != 32 || msg[0] < 0 || msg[0] >= WRITERS || msg[1] < 0 || msg[1] >= PER_WRITER ||
		    msg[2] != (msg[0] ^ msg[1]) || msg[3] != 0x5a5a5a5a || msg[6] != ~msg[1] || msg[7] != 42) {
			atomic_fetch_add(&bad, 1);
			continue;
		}
		atomic_fetch_add(&seen[msg[0]][msg[1]], 1);
		atomic_fetch_add(&received, 1);
	}
	return NULL;
}

static void t_dgram_threads(void)
{
	pthread_t w[WRITERS], r[READERS];
	CHECK_RET(socketpair(AF_UNIX, SOCK_DGRAM, 0, dg), 0, 0);
	for (int i = 0; i < READERS; i++)
		pthread_create(&r[i], NULL, dg_reader, NULL);
	for (int i = 0; i < WRITERS; i++)
		pthread_create(&w[i], NULL, dg_writer, (void *)(long)i);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	int end = -1;
	for (int i = 0; i < READERS; i++)
		send(dg[0], &end, sizeof(end), 0);
	for (int i = 0; i < READERS; i++)
		pthread_join(r[i], NULL);
	CHECK_EQ(bad, 0);
	CHECK_EQ(received, WRITERS * PER_WRITER);
	int once = 1;
	for (int i = 0; i < WRITERS; i++)
		for (int j = 0; j < PER_WRITER; j++)
			once &= seen[i][j] == 1;
	CHECK(once);
	close(dg[0]);
	close(dg[1]);
}

/* ---- a large stream transfer between processes ---- */

static void t_stream_bulk(void)
{
	int sp[2];
	CHECK_RET(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0, 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(sp[0]);
		static unsigned char b[7919];
		unsigned v = 0;
		for (int k = 0; k < 600; k++) {
			for (size_t i = 0; i < sizeof(b); i++)
				b[i] = (unsigned char)(v++ * 2654435761u >> 24);
			if (write(sp[1], b, sizeof(b)) != sizeof(b))
				_exit(2);
		}
		_exit(0);
	}
	close(sp[1]);
	static unsigned char b[10007];
	unsigned v = 0;
	long total = 0;
	int ok = 1;
	ssize_t n;
	while ((n = read(sp[0], b, sizeof(b))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			ok &= b[i] == (unsigned char)(v++ * 2654435761u >> 24);
		total += n;
	}
	CHECK_EQ(n, 0);
	CHECK_EQ(total, 600L * 7919);
	CHECK(ok);
	int st;
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 0);
	close(sp[0]);
}

/* ---- calls blocked in the kernel, released from another thread ---- */

struct blocked {
	int fd;
	long ret;
	int err;
	struct sockaddr_un addr;
	socklen_t len;
};

static void *do_accept(void *arg)
{
	struct blocked *b = arg;
	b->ret = accept(b->fd, NULL, NULL);
	b->err = errno;
	return NULL;
}

static void *do_connect(void *arg)
{
	struct blocked *b = arg;
	b->ret = connect(b->fd, (struct sockaddr *)&b->addr, b->len);
	b->err = errno;
	return NULL;
}

static void *do_recv(void *arg)
{
	struct blocked *b = arg;
	char c;
	b->ret = recv(b->fd, &c, 1, 0);
	b->err = errno;
	return NULL;
}

static void t_blocked(void)
{
	struct blocked b = { 0 };
	pthread_t t;
	char path[108];
	snprintf(path, sizeof(path), "%s/t_unix_stress.%d", t_tmpdir(), getpid());
	b.addr.sun_family = AF_UNIX;
	strcpy(b.addr.sun_path, path);
	b.len = sizeof(b.addr);

	/* accept released by shutdown(SHUT_RD) of the listener: EINVAL */
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(bind(s, (struct sockaddr *)&b.addr, b.len), 0, 0);
	CHECK_RET(listen(s, 0), 0, 0);
	b.fd = s;
	pthread_create(&t, NULL, do_accept, &b);
	t_sleep_ms(50);
	CHECK_RET(shutdown(s, SHUT_RD), 0, 0);
	pthread_join(t, NULL);
	CHECK(b.ret == -1 && b.err == EINVAL);
	close(s);
	unlink(path);

	/* connect waiting for backlog room, released by the listener's close */
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(bind(s, (struct sockaddr *)&b.addr, b.len), 0, 0);
	CHECK_RET(listen(s, 0), 0, 0);
	int c1 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_RET(connect(c1, (struct sockaddr *)&b.addr, b.len), 0, 0);
	int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
	b.fd = c2;
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	pthread_create(&t, NULL, do_connect, &b);
	t_sleep_ms(50);
	close(s);
	pthread_join(t, NULL);
	CHECK(b.ret == -1 && b.err == ECONNREFUSED);
	CHECK(t_now_ns(CLOCK_MONOTONIC) - t0 >= 50000000LL);
	close(c1);
	close(c2);
	unlink(path);

	/* recv released by the peer's shutdown (0) and by shutdown of its own
	 * socket from another thread (0) */
	int sp[2];
	CHECK_RET(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0, 0);
	b.fd = sp[0];
	pthread_create(&t, NULL, do_recv, &b);
	t_sleep_ms(30);
	CHECK_RET(shutdown(sp[1], SHUT_WR), 0, 0);
	pthread_join(t, NULL);
	CHECK_EQ(b.ret, 0);
	close(sp[0]);
	close(sp[1]);
	CHECK_RET(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0, 0);
	b.fd = sp[0];
	pthread_create(&t, NULL, do_recv, &b);
	t_sleep_ms(30);
	CHECK_RET(shutdown(sp[0], SHUT_RD), 0, 0);
	pthread_join(t, NULL);
	CHECK_EQ(b.ret, 0);
	close(sp[0]);
	close(sp[1]);
}

/* ---- sockets inside sockets ---- */

#define CHAIN 300

static void t_chain(void)
{
	/* pair i's queue holds pair i+1's ends; the last holds a pipe's write
	 * end. Closing the first pair releases them all, and the pipe sees
	 * end of file. */
	int p[2];
	static int pr[CHAIN][2];
	CHECK_RET(pipe(p), 0, 0);
	int ok = 1;
	for (int i = 0; i < CHAIN && ok; i++)
		ok = socketpair(AF_UNIX, SOCK_DGRAM, 0, pr[i]) == 0;
	CHECK(ok);
	for (int i = CHAIN - 1; i >= 0 && ok; i--) {
		if (i == CHAIN - 1)
			ok = send_fd(pr[i][0], p[1]) == 1;
		else
			ok = send_fd(pr[i][0], pr[i + 1][0]) == 1 && send_fd(pr[i][0], pr[i + 1][1]) == 1;
		if (i < CHAIN - 1) {
			close(pr[i + 1][0]);
			close(pr[i + 1][1]);
		}
	}
	CHECK(ok);
	close(p[1]);
	struct pollfd pf = { p[0], POLLIN, 0 };
	CHECK_RET(poll(&pf, 1, 0), 0, 0);
	close(pr[0][0]);
	close(pr[0][1]);
	CHECK_RET(poll(&pf, 1, 5000), 1, 0);
	CHECK_EQ(pf.revents, POLLHUP);
	close(p[0]);

	/* a socket inside its own queue, unreachable once closed: the
	 * garbage collector (run when a unix socket is released) frees it and
	 * what its queue carries */
	int sp[2];
	CHECK_RET(pipe(p), 0, 0);
	CHECK_RET(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0, 0);
	CHECK_RET(send_fd(sp[0], sp[1]), 1, 0);
	CHECK_RET(send_fd(sp[0], p[1]), 1, 0);
	close(p[1]);
	close(sp[1]); /* still referenced from its own queue */
	pf.fd = p[0];
	CHECK_RET(poll(&pf, 1, 0), 0, 0);
	close(sp[0]); /* a release: the collector runs */
	CHECK_RET(poll(&pf, 1, 2000), 1, 0);
	CHECK_EQ(pf.revents, POLLHUP);
	close(p[0]);

	/* two sockets inside each other's queues, collected at the next
	 * release of any unix socket; one still open keeps both */
	int x[2], y[2];
	CHECK_RET(pipe(p), 0, 0);
	CHECK_RET(socketpair(AF_UNIX, SOCK_DGRAM, 0, x), 0, 0);
	CHECK_RET(socketpair(AF_UNIX, SOCK_DGRAM, 0, y), 0, 0);
	CHECK_RET(send_fd(x[0], y[1]), 1, 0); /* y[1] in x[1]'s queue */
	CHECK_RET(send_fd(y[0], x[1]), 1, 0); /* x[1] in y[1]'s queue */
	CHECK_RET(send_fd(y[0], p[1]), 1, 0);
	close(p[1]);
	close(x[0]);
	close(y[0]);
	close(x[1]);
	pf.fd = p[0];
	int other = socket(AF_UNIX, SOCK_STREAM, 0);
	close(other); /* y[1] is still open: nothing to collect */
	CHECK_RET(poll(&pf, 1, 0), 0, 0);
	close(y[1]);
	other = socket(AF_UNIX, SOCK_STREAM, 0);
	close(other);
	CHECK_RET(poll(&pf, 1, 2000), 1, 0);
	CHECK_EQ(pf.revents, POLLHUP);
	close(p[0]);
}

/* descriptors received into a control buffer user space cannot write */
static void t_readonly_control(void)
{
	int sp[2], p[2];
	CHECK_RET(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp), 0, 0);
	CHECK_RET(pipe(p), 0, 0);
	CHECK_RET(send_fd(sp[0], p[1]), 1, 0);
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char c;
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ro, .msg_controllen = 64 };
	int next = dup(0);
	close(next);
	CHECK_RET(recvmsg(sp[1], &m, 0), 1, 0);
	CHECK_EQ(m.msg_flags, MSG_CTRUNC);
	CHECK_EQ(m.msg_controllen, 0);
	int again = dup(0);
	CHECK_EQ(again, next); /* no descriptor was left behind */
	close(again);
	close(p[1]);
	CHECK_RET(read(p[0], &c, 1), 0, 0); /* and the file was let go */
	munmap(ro, 4096);
	close(p[0]);
	close(sp[0]);
	close(sp[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_dgram_threads();
	t_stream_bulk();
	t_blocked();
	t_chain();
	t_readonly_control();
	return t_done();
}
