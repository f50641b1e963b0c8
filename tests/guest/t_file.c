/* Files and file descriptors: open flags, read/write family, lseek, dup
 * family, fcntl (flags, record locks between processes), flock, stat
 * family and statx, getdents64, directory and name operations (mkdir,
 * rmdir, unlink, rename, renameat2, link, symlink, readlink), cwd, modes
 * and owners, umask, access, truncate, sync, utimensat, statfs, FIFOs,
 * pipes, close_range, poll/ppoll/select/pselect6 (and their signal masks),
 * sendfile, and the errno
 * of each refusal. Everything happens in a fresh directory under $TMPDIR. */
#include "t.h"
#include <dirent.h>
#include <stddef.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/uio.h>

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572

static char base[256];
static char pbuf[4][512];
static int pi;
/* A path inside the test directory (four rotating buffers). */
static const char *P(const char *name)
{
	char *b = pbuf[pi++ & 3];
	snprintf(b, sizeof(pbuf[0]), "%s/%s", base, name);
	return b;
}

static void put(const char *name, const char *data)
{
	int fd = open(P(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		printf("t_file: cannot write %s\n", name);
	close(fd);
}

static long long elapsed_ms(long long t0)
{
	return (t_now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
}

static void t_open(void)
{
	int fd = open(P("a"), O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0);
	CHECK_RET(open(P("a"), O_RDWR | O_CREAT | O_EXCL, 0644), -1, EEXIST);
	CHECK_RET(write(fd, "hello world", 11), 11, 0);
	close(fd);
	fd = open(P("a"), O_RDWR | O_TRUNC);
	struct stat st;
	CHECK_RET(fstat(fd, &st), 0, 0);
	CHECK_EQ(st.st_size, 0);
	close(fd);
	CHECK_RET(open(P("missing"), O_RDONLY), -1, ENOENT);
	CHECK_RET(open(P("missing/x"), O_RDONLY | O_CREAT, 0644), -1, ENOENT);
	CHECK_RET(open(P("a/x"), O_RDONLY), -1, ENOTDIR);
	CHECK_RET(open(P("a"), O_RDONLY | O_DIRECTORY), -1, ENOTDIR);
	CHECK_RET(open(base, O_WRONLY), -1, EISDIR);
	CHECK_RET(open(base, O_RDWR), -1, EISDIR);
	CHECK_RET(open(P("newdir/"), O_RDWR | O_CREAT, 0644), -1, EISDIR);
	int dfd = open(base, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	char c;
	CHECK_RET(read(dfd, &c, 1), -1, EISDIR);

	/* openat relative to a directory fd; a file fd as dirfd is ENOTDIR. */
	int f2 = openat(dfd, "b", O_RDWR | O_CREAT, 0600);
	CHECK(f2 >= 0);
	CHECK_RET(faccessat(dfd, "b", F_OK, 0), 0, 0);
	CHECK_RET(openat(f2, "x", O_RDONLY), -1, ENOTDIR);
	CHECK_RET(openat(999, "x", O_RDONLY), -1, EBADF);
	int abs_ok = openat(999, P("b"), O_RDONLY); /* absolute: dirfd unused */
	CHECK(abs_ok >= 0);
	close(abs_ok);
	close(f2);
	close(dfd);

	/* Access modes. */
	int ro = open(P("a"), O_RDONLY), wo = open(P("a"), O_WRONLY);
	CHECK_RET(write(ro, "x", 1), -1, EBADF);
	CHECK_RET(read(wo, &c, 1), -1, EBADF);
	CHECK_EQ(fcntl(ro, F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK_EQ(fcntl(wo, F_GETFL) & O_ACCMODE, O_WRONLY);
	close(ro);
	close(wo);

	/* O_CLOEXEC and O_PATH. */
	fd = open(P("a"), O_RDONLY | O_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);
	fd = open(P("a"), O_PATH);
	CHECK(fd >= 0);
	CHECK_RET(read(fd, &c, 1), -1, EBADF);
	CHECK_RET(fstat(fd, &st), 0, 0);
	CHECK(S_ISREG(st.st_mode));
	close(fd);

	/* Lowest free descriptor. */
	int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY);
	CHECK_EQ(b, a + 1);
	close(a);
	CHECK_RET(open("/dev/null", O_RDONLY), a, 0);
	close(a);
	close(b);

	/* O_NOFOLLOW, O_EXCL and symlinks. */
	CHECK_RET(symlink("a", P("lnk")), 0, 0);
	CHECK_RET(open(P("lnk"), O_RDONLY | O_NOFOLLOW), -1, ELOOP);
	CHECK_RET(symlink("nowhere", P("dangling")), 0, 0);
	CHECK_RET(open(P("dangling"), O_RDONLY), -1, ENOENT);
	CHECK_RET(open(P("dangling"), O_WRONLY | O_CREAT | O_EXCL, 0644), -1, EEXIST);
	fd = open(P("dangling"), O_WRONLY | O_CREAT, 0644); /* creates "nowhere" */
	CHECK(fd >= 0);
	close(fd);
	CHECK_RET(access(P("nowhere"), F_OK), 0, 0);
	CHECK_RET(open(P("x"), O_RDONLY | O_TMPFILE | 0), -1, EINVAL); /* O_TMPFILE wants O_RDWR/O_WRONLY */
}

static void t_rw(void)
{
	int fd = open(P("rw"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	char buf[64];
	CHECK_RET(write(fd, "0123456789", 10), 10, 0);
	CHECK_RET(lseek(fd, 0, SEEK_CUR), 10, 0);
	CHECK_RET(read(fd, buf, 10), 0, 0); /* at EOF */
	CHECK_RET(lseek(fd, 2, SEEK_SET), 2, 0);
	CHECK_RET(read(fd, buf, 3), 3, 0);
	CHECK(memcmp(buf, "234", 3) == 0);
	CHECK_RET(lseek(fd, -2, SEEK_END), 8, 0);
	CHECK_RET(read(fd, buf, 10), 2, 0);
	CHECK(memcmp(buf, "89", 2) == 0);
	CHECK_RET(lseek(fd, -1, SEEK_SET), -1, EINVAL);
	CHECK_RET(lseek(fd, -100, SEEK_CUR), -1, EINVAL);
	CHECK_RET(lseek(fd, 0, 99), -1, EINVAL);
	CHECK_RET(lseek(fd, 100, SEEK_SET), 100, 0); /* past the end is fine */
	CHECK_RET(write(fd, "Z", 1), 1, 0);
	struct stat st;
	fstat(fd, &st);
	CHECK_EQ(st.st_size, 101);
	CHECK_RET(pread(fd, buf, 5, 50), 5, 0);
	CHECK(memcmp(buf, "\0\0\0\0\0", 5) == 0); /* the hole reads as zeros */

	/* pread/pwrite do not move the offset. */
	CHECK_RET(lseek(fd, 5, SEEK_SET), 5, 0);
	CHECK_RET(pwrite(fd, "ab", 2, 0), 2, 0);
	CHECK_RET(pread(fd, buf, 4, 0), 4, 0);
	CHECK(memcmp(buf, "ab23", 4) == 0);
	CHECK_RET(lseek(fd, 0, SEEK_CUR), 5, 0);
	CHECK_RET(pread(fd, buf, 4, 1000), 0, 0);
	CHECK_RET(pread(fd, buf, 4, -1), -1, EINVAL);
	CHECK_RET(pwrite(fd, buf, 4, -1), -1, EINVAL);

	/* readv/writev. */
	struct iovec iov[3] = { { "AB", 2 }, { "", 0 }, { "CDE", 3 } };
	CHECK_RET(lseek(fd, 0, SEEK_SET), 0, 0);
	CHECK_RET(writev(fd, iov, 3), 5, 0);
	char x1[2], x2[10];
	struct iovec riov[2] = { { x1, 2 }, { x2, 10 } };
	CHECK_RET(lseek(fd, 0, SEEK_SET), 0, 0);
	CHECK_RET(readv(fd, riov, 2), 12, 0);
	CHECK(memcmp(x1, "AB", 2) == 0 && memcmp(x2, "CDE56789\0\0", 10) == 0);
	CHECK_RET(writev(fd, iov, 0), 0, 0);
	CHECK_RET(syscall(SYS_writev, fd, iov, -1), -1, EINVAL);
	CHECK_RET(syscall(SYS_writev, fd, iov, IOV_MAX + 1), -1, EINVAL);
	struct iovec badiov[1] = { { BAD_PTR(1), 5 } };
	CHECK_RET(writev(fd, badiov, 1), -1, EFAULT);
	CHECK_RET(preadv(fd, riov, 2, 3), 12, 0);
	CHECK(memcmp(x1, "DE", 2) == 0);
	CHECK_RET(pwritev(fd, iov, 3, 95), 5, 0);
	fstat(fd, &st);
	CHECK_EQ(st.st_size, 101);
	close(fd);

	/* O_APPEND: every write goes to the end; Linux's pwrite appends too. */
	fd = open(P("app"), O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0644);
	CHECK_RET(write(fd, "one", 3), 3, 0);
	CHECK_RET(lseek(fd, 0, SEEK_SET), 0, 0);
	CHECK_RET(write(fd, "two", 3), 3, 0);
	CHECK_RET(lseek(fd, 0, SEEK_CUR), 6, 0);
	CHECK_RET(pwrite(fd, "3", 1, 0), 1, 0);
	CHECK_RET(pread(fd, buf, 10, 0), 7, 0);
	CHECK(memcmp(buf, "onetwo3", 7) == 0);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_APPEND, O_APPEND);
	close(fd);

	/* Bad descriptors. */
	CHECK_RET(read(-1, buf, 1), -1, EBADF);
	CHECK_RET(read(9999, buf, 1), -1, EBADF);
	CHECK_RET(close(-1), -1, EBADF);
	CHECK_RET(close(9999), -1, EBADF);
	CHECK_RET(fstat(9999, &st), -1, EBADF);
	CHECK_RET(lseek(9999, 0, SEEK_SET), -1, EBADF);
	CHECK_RET(fsync(9999), -1, EBADF);
	fd = open(P("rw"), O_RDONLY);
	CHECK_RET(read(fd, BAD_PTR(1), 0), 0, 0); /* zero bytes: the pointer is not touched */
	close(fd);

	/* A large sparse offset. */
	fd = open(P("sparse"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK_RET(pwrite(fd, "E", 1, 1LL << 32), 1, 0);
	fstat(fd, &st);
	CHECK_EQ(st.st_size, (1LL << 32) + 1);
	CHECK_RET(lseek(fd, 0, SEEK_END), (1LL << 32) + 1, 0);
	CHECK(st.st_blocks <= 16);
	close(fd);
	unlink(P("sparse"));
}

static void t_dup_fcntl(void)
{
	int fd = open(P("rw"), O_RDWR);
	CHECK(fd >= 0);
	int d = dup(fd);
	CHECK(d > fd);
	/* Duplicates share the offset and status flags, not FD_CLOEXEC. */
	CHECK_RET(lseek(fd, 7, SEEK_SET), 7, 0);
	CHECK_RET(lseek(d, 0, SEEK_CUR), 7, 0);
	CHECK_RET(fcntl(fd, F_SETFL, O_APPEND), 0, 0);
	CHECK_EQ(fcntl(d, F_GETFL) & O_APPEND, O_APPEND);
	CHECK_RET(fcntl(fd, F_SETFL, 0), 0, 0);
	CHECK_RET(fcntl(fd, F_SETFD, FD_CLOEXEC), 0, 0);
	CHECK_EQ(fcntl(d, F_GETFD), 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_RET(dup2(fd, fd), fd, 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC); /* dup2 to itself changes nothing */
	CHECK_RET(dup2(fd, 50), 50, 0);
	CHECK_EQ(fcntl(50, F_GETFD), 0);
	CHECK_RET(dup2(d, 50), 50, 0); /* closes the old 50 silently */
	CHECK_RET(dup3(fd, fd, 0), -1, EINVAL);
	CHECK_RET(dup3(fd, 51, O_CLOEXEC), 51, 0);
	CHECK_EQ(fcntl(51, F_GETFD), FD_CLOEXEC);
	CHECK_RET(dup3(fd, 52, O_NONBLOCK), -1, EINVAL);
	CHECK_RET(dup2(9999, 53), -1, EBADF);
	CHECK_RET(dup2(fd, -1), -1, EBADF);
	CHECK_RET(dup(9999), -1, EBADF);
	CHECK_RET(fcntl(fd, F_DUPFD, 60), 60, 0);
	CHECK_RET(fcntl(fd, F_DUPFD, 60), 61, 0);
	CHECK_RET(fcntl(fd, F_DUPFD_CLOEXEC, 60), 62, 0);
	CHECK_EQ(fcntl(62, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(60, F_GETFD), 0);
	CHECK_RET(fcntl(fd, F_DUPFD, -1), -1, EINVAL);
	CHECK_RET(fcntl(fd, 9999), -1, EINVAL);
	CHECK_RET(fcntl(9999, F_GETFD), -1, EBADF);
	/* F_SETFL changes only O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME. */
	CHECK_RET(fcntl(fd, F_SETFL, O_RDONLY | O_NONBLOCK | O_TRUNC), 0, 0);
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK | O_TRUNC), O_RDWR | O_NONBLOCK);
	for (int i = 50; i <= 62; i++)
		close(i);
	close(d);
	close(fd);
}

static void t_locks(void)
{
	int fd = open(P("lock"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100 };
	CHECK_RET(fcntl(fd, F_SETLK, &fl), 0, 0);
	/* Our own lock never conflicts with us. */
	struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 10 };
	CHECK_RET(fcntl(fd, F_GETLK, &q), 0, 0);
	CHECK_EQ(q.l_type, F_UNLCK);

	int sync_p[2], done_p[2];
	pipe(sync_p);
	pipe(done_p);
	pid_t parent = getpid();
	volatile int *unlocked = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*unlocked = 0;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char ch;
		t_pass = t_fail = 0;
		int cfd = open(P("lock"), O_RDWR);
		struct flock g = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 10 };
		CHECK_RET(fcntl(cfd, F_GETLK, &g), 0, 0);
		CHECK_EQ(g.l_type, F_WRLCK);
		CHECK_EQ(g.l_pid, parent);
		CHECK_EQ(g.l_start, 0);
		CHECK_EQ(g.l_len, 100);
		g = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 10 };
		CHECK_RET(fcntl(cfd, F_SETLK, &g), -1, EAGAIN);
		g.l_type = F_RDLCK;
		CHECK_RET(fcntl(cfd, F_SETLK, &g), -1, EAGAIN);
		g = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 10 };
		CHECK_RET(fcntl(cfd, F_SETLK, &g), 0, 0); /* just past the parent's range */
		/* Blocking: granted once the parent unlocks. */
		(void)write(sync_p[1], "w", 1);
		g = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
		CHECK_RET(fcntl(cfd, F_SETLKW, &g), 0, 0);
		CHECK_EQ(*unlocked, 1); /* granted only after the parent's unlock */
		(void)write(done_p[1], "d", 1);
		(void)read(sync_p[0], &ch, 1); /* hold the locks until the parent looked */
		fflush(stdout);
		_exit(t_fail);
	}
	char ch;
	CHECK_RET(read(sync_p[0], &ch, 1), 1, 0);
	t_sleep_ms(30);
	*unlocked = 1;
	fl.l_type = F_UNLCK;
	CHECK_RET(fcntl(fd, F_SETLK, &fl), 0, 0);
	CHECK_RET(read(done_p[0], &ch, 1), 1, 0);
	/* Now the child holds [0,1) and [100,110). */
	q = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	CHECK_RET(fcntl(fd, F_GETLK, &q), 0, 0);
	CHECK_EQ(q.l_type, F_WRLCK);
	CHECK_EQ(q.l_pid, c);
	CHECK_EQ(q.l_start, 0);
	CHECK_EQ(q.l_len, 1);
	(void)write(sync_p[1], "q", 1);
	int st;
	waitpid(c, &st, 0);
	CHECK_EXITED(st, 0);
	/* The child's locks died with it. */
	q = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	CHECK_RET(fcntl(fd, F_GETLK, &q), 0, 0);
	CHECK_EQ(q.l_type, F_UNLCK);
	/* A write lock needs a descriptor open for writing. */
	int ro = open(P("lock"), O_RDONLY);
	struct flock w = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	CHECK_RET(fcntl(ro, F_SETLK, &w), -1, EBADF);
	w.l_type = 99;
	CHECK_RET(fcntl(fd, F_SETLK, &w), -1, EINVAL);
	close(ro);

	/* flock: whole-file locks owned by the open file description. */
	CHECK_RET(flock(fd, LOCK_EX), 0, 0);
	c = fork();
	if (c == 0) {
		int cfd = open(P("lock"), O_RDWR);
		int r1 = flock(cfd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK;
		int r2 = flock(cfd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK;
		int r3 = flock(fd, LOCK_EX | LOCK_NB) == 0; /* inherited: same description */
		_exit(r1 && r2 && r3 ? 0 : 1);
	}
	waitpid(c, &st, 0);
	CHECK_EXITED(st, 0);
	CHECK_RET(flock(fd, LOCK_UN), 0, 0);
	CHECK_RET(flock(fd, LOCK_SH | LOCK_EX), -1, EINVAL);
	close(fd);
	close(sync_p[0]);
	close(sync_p[1]);
	close(done_p[0]);
	close(done_p[1]);
}

static void t_stat(void)
{
	umask(022);
	int fd = open(P("st"), O_RDWR | O_CREAT | O_TRUNC, 0666);
	static char data[5000];
	memset(data, 'x', sizeof(data));
	CHECK_RET(write(fd, data, sizeof(data)), 5000, 0);
	struct stat st, st2;
	CHECK_RET(fstat(fd, &st), 0, 0);
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
	CHECK_EQ(st.st_size, 5000);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(st.st_uid, 0);
	CHECK_EQ(st.st_gid, 0);
	CHECK_EQ(st.st_blksize, 4096);
	CHECK_EQ(st.st_blocks, 16); /* two pages in 512-byte units */
	CHECK(st.st_ino != 0);
	CHECK_RET(stat(P("st"), &st2), 0, 0);
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(st2.st_dev, st.st_dev);
	CHECK_RET(fstatat(AT_FDCWD, P("st"), &st2, 0), 0, 0);
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_RET(fstatat(fd, "", &st2, AT_EMPTY_PATH), 0, 0);
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_RET(fstatat(fd, "", &st2, 0), -1, ENOENT);
	CHECK_RET(fstatat(AT_FDCWD, P("st"), &st2, 0x12345), -1, EINVAL);
	CHECK_RET(stat(P("nope"), &st2), -1, ENOENT);
	CHECK_RET(stat(P("st"), BAD_PTR(1)), -1, EFAULT);
	CHECK_RET(stat(BAD_PTR(1), &st2), -1, EFAULT);

	/* Symlinks: stat follows, lstat does not. */
	CHECK_RET(symlink("st", P("st.lnk")), 0, 0);
	CHECK_RET(lstat(P("st.lnk"), &st2), 0, 0);
	CHECK(S_ISLNK(st2.st_mode));
	CHECK_EQ(st2.st_mode & 07777, 0777);
	CHECK_EQ(st2.st_size, 2);
	CHECK_RET(fstatat(AT_FDCWD, P("st.lnk"), &st2, AT_SYMLINK_NOFOLLOW), 0, 0);
	CHECK(S_ISLNK(st2.st_mode));
	CHECK_RET(stat(P("st.lnk"), &st2), 0, 0);
	CHECK_EQ(st2.st_ino, st.st_ino);

	/* statx. */
	struct statx sx;
	memset(&sx, 0xff, sizeof(sx));
	CHECK_RET(statx(AT_FDCWD, P("st"), 0, STATX_BASIC_STATS, &sx), 0, 0);
	CHECK_EQ(sx.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS);
	CHECK_EQ(sx.stx_mode, S_IFREG | 0644);
	CHECK_EQ(sx.stx_size, 5000);
	CHECK_EQ(sx.stx_ino, st.st_ino);
	CHECK_EQ(sx.stx_nlink, 1);
	CHECK_EQ(sx.stx_blksize, 4096);
	CHECK_EQ(sx.stx_blocks, 16);
	CHECK_EQ(sx.stx_uid, 0);
	CHECK_EQ(sx.stx_mtime.tv_sec, st.st_mtim.tv_sec);
	CHECK_EQ(sx.stx_mtime.tv_nsec, st.st_mtim.tv_nsec);
	CHECK_EQ(makedev(sx.stx_dev_major, sx.stx_dev_minor), st.st_dev);
	CHECK_RET(statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx), 0, 0);
	CHECK_EQ(sx.stx_size, 5000);
	CHECK_RET(statx(AT_FDCWD, P("st.lnk"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx), 0, 0);
	CHECK(S_ISLNK(sx.stx_mode));
	CHECK_RET(statx(AT_FDCWD, P("st"), 0, STATX__RESERVED, &sx), -1, EINVAL);
	CHECK_RET(statx(AT_FDCWD, P("st"), 0x40000000, STATX_BASIC_STATS, &sx), -1, EINVAL);

	/* Directories. */
	CHECK_RET(fstat(AT_FDCWD, &st2), -1, EBADF);
	CHECK_RET(stat(base, &st2), 0, 0);
	CHECK(S_ISDIR(st2.st_mode));
	CHECK_RET(mkdir(P("sub"), 0755), 0, 0);
	CHECK_RET(stat(P("sub"), &st2), 0, 0);
	CHECK_EQ(st2.st_mode, S_IFDIR | 0755);
	CHECK_EQ(st2.st_nlink, 2);
	struct stat parent_before, parent_after;
	stat(base, &parent_before);
	CHECK_RET(mkdir(P("sub/inner"), 0700), 0, 0);
	CHECK_RET(stat(P("sub"), &st2), 0, 0);
	CHECK_EQ(st2.st_nlink, 3); /* inner's ".." */
	stat(base, &parent_after);
	CHECK_EQ(parent_after.st_nlink, parent_before.st_nlink);
	rmdir(P("sub/inner"));
	rmdir(P("sub"));
	close(fd);
}

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static void t_getdents(void)
{
	CHECK_RET(mkdir(P("dir"), 0755), 0, 0);
	put("dir/f1", "1");
	put("dir/f2", "22");
	CHECK_RET(mkdir(P("dir/d1"), 0755), 0, 0);
	CHECK_RET(symlink("f1", P("dir/l1")), 0, 0);
	int dfd = open(P("dir"), O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	char buf[4096];
	int seen = 0, entries = 0, types_ok = 1, reclen_ok = 1;
	long n;
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			entries++;
			if (d->d_reclen % 8 || d->d_reclen < offsetof(struct linux_dirent64, d_name) + strlen(d->d_name) + 1)
				reclen_ok = 0;
			const char *nm = d->d_name;
			int bit = !strcmp(nm, ".") ? 1 : !strcmp(nm, "..") ? 2 : !strcmp(nm, "f1") ? 4 :
				  !strcmp(nm, "f2") ? 8 : !strcmp(nm, "d1") ? 16 : !strcmp(nm, "l1") ? 32 : 64;
			seen |= bit;
			int want = bit <= 2 || bit == 16 ? DT_DIR : bit == 32 ? DT_LNK : DT_REG;
			if (d->d_type != want)
				types_ok = 0;
			off += d->d_reclen;
		}
	}
	CHECK_EQ(n, 0);
	CHECK_EQ(seen, 63);
	CHECK_EQ(entries, 6);
	CHECK(types_ok);
	CHECK(reclen_ok);
	/* rewind and read again; a too-small buffer is EINVAL. */
	CHECK_RET(lseek(dfd, 0, SEEK_SET), 0, 0);
	CHECK_RET(syscall(SYS_getdents64, dfd, buf, 8), -1, EINVAL);
	CHECK(syscall(SYS_getdents64, dfd, buf, sizeof(buf)) > 0);
	int f = open(P("dir/f1"), O_RDONLY);
	CHECK_RET(syscall(SYS_getdents64, f, buf, sizeof(buf)), -1, ENOTDIR);
	CHECK_RET(syscall(SYS_getdents64, 9999, buf, sizeof(buf)), -1, EBADF);
	close(f);
	close(dfd);

	/* readdir through glibc sees the same. */
	DIR *d = opendir(P("dir"));
	CHECK(d != NULL);
	int count = 0;
	while (d && readdir(d))
		count++;
	CHECK_EQ(count, 6);
	if (d)
		closedir(d);
}

static void t_names(void)
{
	/* mkdir / rmdir */
	CHECK_RET(mkdir(P("m"), 0755), 0, 0);
	CHECK_RET(mkdir(P("m"), 0755), -1, EEXIST);
	CHECK_RET(mkdir(P("nodir/m"), 0755), -1, ENOENT);
	put("m/file", "f");
	CHECK_RET(rmdir(P("m")), -1, ENOTEMPTY);
	CHECK_RET(rmdir(P("m/file")), -1, ENOTDIR);
	CHECK_RET(unlink(P("m")), -1, EISDIR);
	CHECK_RET(rmdir(P("m/.")), -1, EINVAL);
	CHECK_RET(rmdir(P("nothere")), -1, ENOENT);
	CHECK_RET(unlink(P("m/file")), 0, 0);
	CHECK_RET(unlink(P("m/file")), -1, ENOENT);
	CHECK_RET(rmdir(P("m")), 0, 0);

	/* rename */
	put("r1", "one");
	put("r2", "two");
	CHECK_RET(rename(P("r1"), P("r2")), 0, 0); /* replaces */
	CHECK_RET(access(P("r1"), F_OK), -1, ENOENT);
	char buf[8] = { 0 };
	int fd = open(P("r2"), O_RDONLY);
	CHECK_RET(read(fd, buf, 8), 3, 0);
	CHECK_STR(buf, "one");
	close(fd);
	CHECK_RET(rename(P("r2"), P("r2")), 0, 0);
	CHECK_RET(mkdir(P("rd"), 0755), 0, 0);
	CHECK_RET(mkdir(P("rd2"), 0755), 0, 0);
	put("rd2/x", "x");
	CHECK_RET(rename(P("r2"), P("rd")), -1, EISDIR);
	CHECK_RET(rename(P("rd"), P("r2")), -1, ENOTDIR);
	CHECK_RET(rename(P("rd"), P("rd2")), -1, ENOTEMPTY);
	CHECK_RET(rename(P("rd"), P("rd/sub")), -1, EINVAL);
	CHECK_RET(rename(P("missing"), P("x")), -1, ENOENT);
	CHECK_RET(rename(P("rd2"), P("rd")), 0, 0); /* over an empty directory */
	CHECK_RET(access(P("rd/x"), F_OK), 0, 0);
	put("n1", "1");
	put("n2", "2");
	CHECK_RET(renameat2(AT_FDCWD, P("n1"), AT_FDCWD, P("n2"), RENAME_NOREPLACE), -1, EEXIST);
	CHECK_RET(renameat2(AT_FDCWD, P("n1"), AT_FDCWD, P("n3"), RENAME_NOREPLACE), 0, 0);
	CHECK_RET(renameat2(AT_FDCWD, P("n3"), AT_FDCWD, P("n2"), RENAME_EXCHANGE), 0, 0);
	fd = open(P("n2"), O_RDONLY);
	CHECK_RET(read(fd, buf, 8), 1, 0);
	CHECK_EQ(buf[0], '1');
	close(fd);
	CHECK_RET(renameat2(AT_FDCWD, P("n3"), AT_FDCWD, P("n4"), RENAME_EXCHANGE), -1, ENOENT);
	CHECK_RET(renameat2(AT_FDCWD, P("n3"), AT_FDCWD, P("n2"), RENAME_EXCHANGE | RENAME_NOREPLACE), -1,
		  EINVAL);

	/* link / symlink / readlink */
	put("l", "L");
	CHECK_RET(link(P("l"), P("l2")), 0, 0);
	struct stat a, b;
	stat(P("l"), &a);
	stat(P("l2"), &b);
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_nlink, 2);
	CHECK_RET(link(P("l"), P("l2")), -1, EEXIST);
	CHECK_RET(link(P("rd"), P("rdlink")), -1, EPERM);
	CHECK_RET(link(P("none"), P("x")), -1, ENOENT);
	unlink(P("l2"));
	stat(P("l"), &a);
	CHECK_EQ(a.st_nlink, 1);
	CHECK_RET(symlink("l", P("s")), 0, 0);
	CHECK_RET(symlink("l", P("s")), -1, EEXIST);
	char lb[64];
	memset(lb, '#', sizeof(lb));
	CHECK_RET(readlink(P("s"), lb, sizeof(lb)), 1, 0);
	CHECK_EQ(lb[1], '#'); /* no NUL added */
	CHECK_RET(symlink("a-longer-target", P("s2")), 0, 0);
	CHECK_RET(readlink(P("s2"), lb, 4), 4, 0); /* truncated silently */
	CHECK(memcmp(lb, "a-lo", 4) == 0);
	CHECK_RET(readlink(P("l"), lb, sizeof(lb)), -1, EINVAL);
	CHECK_RET(readlink(P("s"), lb, 0), -1, EINVAL);
	CHECK_RET(readlinkat(AT_FDCWD, P("s"), lb, sizeof(lb)), 1, 0);
	CHECK_RET(symlink("", P("empty-target")), -1, ENOENT);
	/* Symlink loops and long names. */
	CHECK_RET(symlink("loop2", P("loop1")), 0, 0);
	CHECK_RET(symlink("loop1", P("loop2")), 0, 0);
	CHECK_RET(open(P("loop1"), O_RDONLY), -1, ELOOP);
	CHECK_RET(stat(P("loop1"), &a), -1, ELOOP);
	CHECK_RET(lstat(P("loop1"), &a), 0, 0);
	char name[300];
	memset(name, 'n', 256);
	name[256] = 0;
	CHECK_RET(open(P(name), O_RDONLY | O_CREAT, 0644), -1, ENAMETOOLONG);
	name[255] = 0;
	fd = open(P(name), O_RDONLY | O_CREAT, 0644); /* NAME_MAX itself is fine */
	CHECK(fd >= 0);
	close(fd);
	unlink(P(name));
	static char longp[PATH_MAX + 10];
	memset(longp, '/', sizeof(longp) - 1);
	CHECK_RET(open(longp, O_RDONLY), -1, ENAMETOOLONG);
	/* A path through a file. */
	CHECK_RET(mkdir(P("l/sub"), 0755), -1, ENOTDIR);
	CHECK_RET(stat(P("l/"), &a), -1, ENOTDIR);
}

static void t_cwd(void)
{
	char old[PATH_MAX], cwd[PATH_MAX];
	CHECK(getcwd(old, sizeof(old)) != NULL);
	CHECK_RET(mkdir(P("cwd"), 0755), 0, 0);
	CHECK_RET(chdir(P("cwd")), 0, 0);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK_STR(cwd, P("cwd"));
	put("cwd/f", "x");
	CHECK_RET(access("f", F_OK), 0, 0); /* relative to the new cwd */
	CHECK_RET(chdir(".."), 0, 0);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK_STR(cwd, base);
	int dfd = open(P("cwd"), O_RDONLY | O_DIRECTORY);
	CHECK_RET(fchdir(dfd), 0, 0);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK_STR(cwd, P("cwd"));
	int f = open("f", O_RDONLY);
	CHECK_RET(fchdir(f), -1, ENOTDIR);
	CHECK_RET(chdir("f"), -1, ENOTDIR);
	CHECK_RET(chdir("nonexistent"), -1, ENOENT);
	close(f);
	close(dfd);
	/* The raw call returns the length with the NUL; too small is ERANGE. */
	CHECK_RET(syscall(SYS_getcwd, cwd, sizeof(cwd)), (long)strlen(P("cwd")) + 1, 0);
	CHECK_RET(syscall(SYS_getcwd, cwd, 3), -1, ERANGE);
	/* A removed cwd: getcwd fails with ENOENT. */
	unlink("f");
	CHECK_RET(rmdir(P("cwd")), 0, 0);
	CHECK_RET(syscall(SYS_getcwd, cwd, sizeof(cwd)), -1, ENOENT);
	CHECK_RET(open("newfile", O_RDWR | O_CREAT, 0644), -1, ENOENT);
	CHECK_RET(chdir(old), 0, 0);
	CHECK_RET(chdir("/"), 0, 0);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK_STR(cwd, "/");
	CHECK_RET(chdir(old), 0, 0);
}

static void t_modes(void)
{
	put("mode", "m");
	struct stat st;
	CHECK_RET(chmod(P("mode"), 0600), 0, 0);
	stat(P("mode"), &st);
	CHECK_EQ(st.st_mode & 07777, 0600);
	CHECK_RET(chmod(P("mode"), 04755), 0, 0);
	stat(P("mode"), &st);
	CHECK_EQ(st.st_mode & 07777, 04755);
	int fd = open(P("mode"), O_RDONLY);
	CHECK_RET(fchmod(fd, 0640), 0, 0);
	fstat(fd, &st);
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK_RET(fchmodat(AT_FDCWD, P("mode"), 0644, 0), 0, 0);
	CHECK_RET(chmod(P("nope"), 0644), -1, ENOENT);

	CHECK_RET(chown(P("mode"), 33, 33), 0, 0);
	stat(P("mode"), &st);
	CHECK_EQ(st.st_uid, 33);
	CHECK_EQ(st.st_gid, 33);
	CHECK_RET(fchown(fd, -1, 0), 0, 0); /* -1 leaves the owner */
	fstat(fd, &st);
	CHECK_EQ(st.st_uid, 33);
	CHECK_EQ(st.st_gid, 0);
	CHECK_RET(chmod(P("mode"), 06755), 0, 0);
	CHECK_RET(chown(P("mode"), 0, 0), 0, 0); /* clears set-id bits on an executable */
	stat(P("mode"), &st);
	CHECK_EQ(st.st_mode & 07777, 0755);
	CHECK_RET(symlink("mode", P("mode.lnk")), 0, 0);
	CHECK_RET(lchown(P("mode.lnk"), 33, 33), 0, 0);
	lstat(P("mode.lnk"), &st);
	CHECK_EQ(st.st_uid, 33);
	stat(P("mode"), &st);
	CHECK_EQ(st.st_uid, 0);
	close(fd);

	/* umask */
	mode_t old = umask(077);
	fd = open(P("um1"), O_RDWR | O_CREAT, 0666);
	fstat(fd, &st);
	CHECK_EQ(st.st_mode & 0777, 0600);
	close(fd);
	CHECK_EQ(umask(0), 077);
	fd = open(P("um2"), O_RDWR | O_CREAT, 0666);
	fstat(fd, &st);
	CHECK_EQ(st.st_mode & 0777, 0666);
	close(fd);
	umask(027);
	CHECK_RET(mkdir(P("umd"), 0777), 0, 0);
	stat(P("umd"), &st);
	CHECK_EQ(st.st_mode & 0777, 0750);
	CHECK_RET(mkfifo(P("umf"), 0666), 0, 0);
	stat(P("umf"), &st);
	CHECK_EQ(st.st_mode, S_IFIFO | 0640);
	umask(old);

	/* access as root: read/write always; execute needs some x bit. */
	put("acc", "a");
	chmod(P("acc"), 0);
	CHECK_RET(access(P("acc"), R_OK | W_OK), 0, 0);
	CHECK_RET(access(P("acc"), X_OK), -1, EACCES);
	chmod(P("acc"), 0010);
	CHECK_RET(access(P("acc"), X_OK), 0, 0);
	CHECK_RET(access(base, X_OK), 0, 0);
	CHECK_RET(access(P("nope"), F_OK), -1, ENOENT);
	CHECK_RET(access(P("acc"), 0x10), -1, EINVAL);
	CHECK_RET(faccessat(AT_FDCWD, P("acc"), R_OK, AT_EACCESS), 0, 0);
	CHECK_RET(faccessat(AT_FDCWD, P("acc"), R_OK, 0x4000), -1, EINVAL);
	CHECK_RET(syscall(SYS_faccessat2, AT_FDCWD, P("acc"), R_OK, AT_SYMLINK_NOFOLLOW), 0, 0);

	/* mknod: FIFOs and regular files; device nodes too, as root. */
	CHECK_RET(mknod(P("node"), S_IFREG | 0600, 0), 0, 0);
	stat(P("node"), &st);
	CHECK(S_ISREG(st.st_mode));
	CHECK_RET(mknod(P("cdev"), S_IFCHR | 0600, makedev(1, 3)), 0, 0);
	stat(P("cdev"), &st);
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(st.st_rdev, makedev(1, 3));
	fd = open(P("cdev"), O_WRONLY);
	CHECK_RET(write(fd, "into /dev/null", 14), 14, 0);
	close(fd);
	CHECK_RET(mknod(P("bad"), 0170000 | 0600, 0), -1, EINVAL);
}

static void t_truncate_sync_times(void)
{
	put("tr", "0123456789");
	struct stat st;
	CHECK_RET(truncate(P("tr"), 4), 0, 0);
	stat(P("tr"), &st);
	CHECK_EQ(st.st_size, 4);
	CHECK_RET(truncate(P("tr"), 8192), 0, 0);
	int fd = open(P("tr"), O_RDWR);
	char buf[16];
	CHECK_RET(pread(fd, buf, 8, 0), 8, 0);
	CHECK(memcmp(buf, "0123\0\0\0\0", 8) == 0);
	CHECK_RET(ftruncate(fd, 1), 0, 0);
	fstat(fd, &st);
	CHECK_EQ(st.st_size, 1);
	CHECK_RET(ftruncate(fd, -1), -1, EINVAL);
	CHECK_RET(truncate(P("tr"), -1), -1, EINVAL);
	CHECK_RET(truncate(base, 0), -1, EISDIR);
	CHECK_RET(truncate(P("nope"), 0), -1, ENOENT);
	int ro = open(P("tr"), O_RDONLY);
	CHECK_RET(ftruncate(ro, 0), -1, EINVAL);
	close(ro);
	CHECK_RET(fsync(fd), 0, 0);
	CHECK_RET(fdatasync(fd), 0, 0);
	sync();
	CHECK_RET(syncfs(fd), 0, 0);
	int p[2];
	pipe(p);
	CHECK_RET(fsync(p[0]), -1, EINVAL);
	CHECK_RET(ftruncate(p[1], 0), -1, EINVAL);
	close(p[0]);
	close(p[1]);

	/* utimensat: explicit, UTIME_OMIT, UTIME_NOW; writes move mtime and ctime. */
	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1100000000, 987654321 } };
	CHECK_RET(utimensat(AT_FDCWD, P("tr"), ts, 0), 0, 0);
	stat(P("tr"), &st);
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ(st.st_atim.tv_nsec, 123456789);
	CHECK_EQ(st.st_mtim.tv_sec, 1100000000);
	CHECK_EQ(st.st_mtim.tv_nsec, 987654321);
	struct timespec omit[2] = { { 5, UTIME_OMIT }, { 7, 0 } };
	CHECK_RET(utimensat(AT_FDCWD, P("tr"), omit, 0), 0, 0);
	stat(P("tr"), &st);
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ(st.st_mtim.tv_sec, 7);
	long long before = t_now_ns(CLOCK_REALTIME) / 1000000000;
	struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	CHECK_RET(futimens(fd, now), 0, 0);
	fstat(fd, &st);
	CHECK(st.st_mtim.tv_sec >= before && st.st_mtim.tv_sec <= before + 2);
	CHECK_RET(utimensat(AT_FDCWD, P("tr"), NULL, 0), 0, 0);
	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	CHECK_RET(utimensat(AT_FDCWD, P("tr"), bad, 0), -1, EINVAL);
	CHECK_RET(utimensat(AT_FDCWD, P("nope"), NULL, 0), -1, ENOENT);
	utimensat(AT_FDCWD, P("tr"), ts, 0);
	CHECK_RET(write(fd, "w", 1), 1, 0);
	fstat(fd, &st);
	CHECK(st.st_mtim.tv_sec >= before);
	CHECK(st.st_ctim.tv_sec >= before);
	close(fd);

	struct statfs sf;
	CHECK_RET(statfs(base, &sf), 0, 0);
	CHECK_EQ(sf.f_bsize, 4096);
	CHECK_EQ(sf.f_namelen, 255);
	CHECK_RET(statfs("/proc", &sf), 0, 0);
	CHECK_EQ(sf.f_type, PROC_SUPER_MAGIC);
	CHECK_RET(statfs("/sys", &sf), 0, 0);
	CHECK_EQ(sf.f_type, SYSFS_MAGIC);
	fd = open(base, O_RDONLY);
	CHECK_RET(fstatfs(fd, &sf), 0, 0);
	close(fd);
	CHECK_RET(statfs(P("nope"), &sf), -1, ENOENT);
}

static void t_fifo(void)
{
	CHECK_RET(mkfifo(P("fifo"), 0644), 0, 0);
	CHECK_RET(mkfifo(P("fifo"), 0644), -1, EEXIST);
	struct stat st;
	stat(P("fifo"), &st);
	CHECK(S_ISFIFO(st.st_mode));
	/* Non-blocking: a reader opens at once; a writer without reader is ENXIO. */
	CHECK_RET(open(P("fifo"), O_WRONLY | O_NONBLOCK), -1, ENXIO);
	int r = open(P("fifo"), O_RDONLY | O_NONBLOCK);
	CHECK(r >= 0);
	char c;
	CHECK_RET(read(r, &c, 1), 0, 0); /* no writer ever: EOF, not EAGAIN */
	int w = open(P("fifo"), O_WRONLY | O_NONBLOCK);
	CHECK(w >= 0);
	CHECK_RET(read(r, &c, 1), -1, EAGAIN); /* a writer, no data */
	CHECK_RET(write(w, "f", 1), 1, 0);
	CHECK_RET(read(r, &c, 1), 1, 0);
	CHECK_EQ(c, 'f');
	close(w);
	CHECK_RET(read(r, &c, 1), 0, 0);
	close(r);
	/* Blocking open waits for the other side. */
	fflush(stdout);
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	pid_t k = fork();
	if (k == 0) {
		t_sleep_ms(20);
		int cw = open(P("fifo"), O_WRONLY);
		(void)write(cw, "z", 1);
		_exit(0);
	}
	r = open(P("fifo"), O_RDONLY);
	CHECK(r >= 0);
	CHECK(elapsed_ms(t0) >= 20);
	CHECK_RET(read(r, &c, 1), 1, 0);
	CHECK_EQ(c, 'z');
	close(r);
	waitpid(k, NULL, 0);
	CHECK_RET(lseek(r, 0, SEEK_SET), -1, EBADF);
}

static void t_pipes(void)
{
	int p[2];
	CHECK_RET(pipe2(p, O_CLOEXEC), 0, 0);
	CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(p[0], F_GETFL), O_RDONLY);
	CHECK_EQ(fcntl(p[1], F_GETFL), O_WRONLY);
	close(p[0]);
	close(p[1]);
	CHECK_RET(pipe2(p, O_NONBLOCK), 0, 0);
	CHECK_EQ(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	char c;
	CHECK_RET(read(p[0], &c, 1), -1, EAGAIN);
	CHECK_RET(lseek(p[0], 0, SEEK_SET), -1, ESPIPE);
	CHECK_RET(pread(p[0], &c, 1, 0), -1, ESPIPE);
	/* Capacity: 16 pages. */
	CHECK_RET(fcntl(p[1], F_GETPIPE_SZ), 65536, 0);
	static char chunk[4096];
	long total = 0;
	ssize_t n;
	while ((n = write(p[1], chunk, sizeof(chunk))) > 0)
		total += n;
	CHECK_EQ(total, 65536);
	CHECK_RET(write(p[1], chunk, 1), -1, EAGAIN);
	int avail = -1;
	CHECK_RET(ioctl(p[0], FIONREAD, &avail), 0, 0);
	CHECK_EQ(avail, 65536);
	close(p[0]);
	close(p[1]);
	CHECK_RET(pipe2(p, O_DIRECT << 1), -1, EINVAL);
	CHECK_RET(pipe(BAD_PTR(1)), -1, EFAULT);

	CHECK_RET(pipe(p), 0, 0);
	CHECK_RET(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096, 0);
	CHECK_RET(fcntl(p[1], F_GETPIPE_SZ), 4096, 0);
	CHECK_RET(fcntl(p[1], F_SETPIPE_SZ, 5000), 8192, 0); /* rounded to pages */
	/* EOF when the writer is gone; EPIPE when the reader is. */
	CHECK_RET(write(p[1], "ab", 2), 2, 0);
	close(p[1]);
	char buf[4];
	CHECK_RET(read(p[0], buf, 4), 2, 0);
	CHECK_RET(read(p[0], buf, 4), 0, 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	pipe(p);
	close(p[0]);
	CHECK_RET(write(p[1], "x", 1), -1, EPIPE);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);

	/* A blocked reader wakes when data comes. */
	pipe(p);
	fflush(stdout);
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	pid_t k = fork();
	if (k == 0) {
		t_sleep_ms(20);
		(void)write(p[1], "late", 4);
		_exit(0);
	}
	CHECK_RET(read(p[0], buf, 4), 4, 0);
	CHECK(elapsed_ms(t0) >= 20);
	waitpid(k, NULL, 0);
	close(p[0]);
	close(p[1]);
}

static void t_close_range(void)
{
	int base_fd = 100;
	for (int i = 0; i < 5; i++)
		dup2(0, base_fd + i);
	CHECK_RET(close_range(base_fd + 1, base_fd + 2, 0), 0, 0);
	CHECK_EQ(fcntl(base_fd, F_GETFD), 0);
	CHECK_RET(fcntl(base_fd + 1, F_GETFD), -1, EBADF);
	CHECK_RET(fcntl(base_fd + 2, F_GETFD), -1, EBADF);
	CHECK_EQ(fcntl(base_fd + 3, F_GETFD), 0);
	CHECK_RET(close_range(base_fd, base_fd + 4, CLOSE_RANGE_CLOEXEC), 0, 0);
	CHECK_EQ(fcntl(base_fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(base_fd + 4, F_GETFD), FD_CLOEXEC);
	CHECK_RET(close_range(base_fd, ~0U, 0), 0, 0);
	CHECK_RET(fcntl(base_fd + 4, F_GETFD), -1, EBADF);
	CHECK_RET(close_range(10, 5, 0), -1, EINVAL);
	CHECK_RET(close_range(5, 10, 0x80), -1, EINVAL);
}

static void t_poll_select(void)
{
	int p[2];
	pipe(p);
	struct pollfd pf[3] = { { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 }, { -1, POLLIN, 7 } };
	/* Only the write end is ready. */
	CHECK_RET(poll(pf, 3, 0), 1, 0);
	CHECK_EQ(pf[0].revents, 0);
	CHECK_EQ(pf[1].revents, POLLOUT);
	CHECK_EQ(pf[2].revents, 0); /* negative fd: ignored, revents cleared */
	/* A timeout of 50 ms lasts at least 50 ms. */
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(poll(pf, 1, 50), 0, 0);
	CHECK(elapsed_ms(t0) >= 50);
	(void)write(p[1], "d", 1);
	CHECK_RET(poll(pf, 2, 1000), 2, 0);
	CHECK_EQ(pf[0].revents, POLLIN);
	/* POLLNVAL for a closed fd, counted as ready. */
	struct pollfd nv = { 9999, POLLIN, 0 };
	CHECK_RET(poll(&nv, 1, 0), 1, 0);
	CHECK_EQ(nv.revents, POLLNVAL);
	/* ppoll with a timespec. */
	struct timespec ts = { 0, 30000000 };
	char c;
	(void)read(p[0], &c, 1);
	t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(ppoll(pf, 1, &ts, NULL), 0, 0);
	CHECK(elapsed_ms(t0) >= 30);
	struct timespec badts = { 0, 1000000000 };
	CHECK_RET(ppoll(pf, 1, &badts, NULL), -1, EINVAL);
	CHECK_RET(syscall(SYS_poll, pf, 1L << 20, 0), -1, EINVAL); /* above RLIMIT_NOFILE */
	/* A wakeup from another process. */
	fflush(stdout);
	t0 = t_now_ns(CLOCK_MONOTONIC);
	pid_t k = fork();
	if (k == 0) {
		t_sleep_ms(20);
		(void)write(p[1], "w", 1);
		_exit(0);
	}
	CHECK_RET(poll(pf, 1, 5000), 1, 0);
	CHECK(elapsed_ms(t0) >= 20);
	CHECK_EQ(pf[0].revents, POLLIN);
	waitpid(k, NULL, 0);
	(void)read(p[0], &c, 1);

	/* select / pselect. */
	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	struct timeval tv = { 0, 0 };
	CHECK_RET(select(p[1] + 1, &r, &w, NULL, &tv), 1, 0);
	CHECK(!FD_ISSET(p[0], &r));
	CHECK(FD_ISSET(p[1], &w));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_sec = 0;
	tv.tv_usec = 40000;
	t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(select(p[0] + 1, &r, NULL, NULL, &tv), 0, 0);
	CHECK(elapsed_ms(t0) >= 40);
	CHECK_EQ(tv.tv_sec, 0); /* Linux writes back the time left */
	CHECK_EQ(tv.tv_usec, 0);
	(void)write(p[1], "s", 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timespec pts = { 1, 0 };
	sigset_t mask;
	sigemptyset(&mask);
	CHECK_RET(pselect(p[0] + 1, &r, NULL, NULL, &pts, &mask), 1, 0);
	CHECK(FD_ISSET(p[0], &r));
	CHECK_RET(select(-1, &r, NULL, NULL, &tv), -1, EINVAL);
	FD_ZERO(&r);
	FD_SET(40, &r); /* closed (and below the fd table size) */
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	CHECK_RET(select(41, &r, NULL, NULL, &tv), -1, EBADF);
	struct timeval badtv = { 0, -1 };
	FD_ZERO(&r);
	CHECK_RET(select(1, &r, NULL, NULL, &badtv), -1, EINVAL);
	/* Hang-ups. */
	close(p[1]);
	pf[0].events = POLLIN;
	CHECK_RET(poll(pf, 1, 0), 1, 0);
	CHECK_EQ(pf[0].revents, POLLIN | POLLHUP); /* data left and no writer */
	(void)read(p[0], &c, 1);
	CHECK_RET(poll(pf, 1, 0), 1, 0);
	CHECK_EQ(pf[0].revents, POLLHUP);
	close(p[0]);
	pipe(p);
	close(p[0]);
	struct pollfd wf = { p[1], POLLOUT, 0 };
	CHECK_RET(poll(&wf, 1, 0), 1, 0);
	CHECK_EQ(wf.revents, POLLOUT | POLLERR);
	close(p[1]);
	/* Regular files are always ready. */
	int fd = open(P("rw"), O_RDWR);
	struct pollfd ff = { fd, POLLIN | POLLOUT, 0 };
	CHECK_RET(poll(&ff, 1, 0), 1, 0);
	CHECK_EQ(ff.revents, POLLIN | POLLOUT);
	close(fd);
}

/* ppoll/pselect6 install their signal mask for the call only. */
static volatile sig_atomic_t usr1_hits;
static sigset_t usr1_handler_mask;

static void on_usr1(int sig)
{
	usr1_hits++;
	sigprocmask(SIG_BLOCK, NULL, &usr1_handler_mask);
}

static sigset_t cur_mask(void)
{
	sigset_t m;
	sigprocmask(SIG_BLOCK, NULL, &m);
	return m;
}

static int mask_is(sigset_t m, int a, int b)
{
	for (int s = 1; s < 32; s++)
		if (s != SIGKILL && s != SIGSTOP && sigismember(&m, s) != (s == a || s == b))
			return 0;
	return 1;
}

static void t_ppoll_sigmask(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART }, old_sa;
	sigaction(SIGUSR1, &sa, &old_sa);
	int p[2];
	pipe(p);
	struct pollfd pf = { p[0], POLLIN, 0 };
	sigset_t orig, none, only1, pend;
	sigemptyset(&none);
	sigemptyset(&only1);
	sigaddset(&only1, SIGUSR1);
	sigemptyset(&orig);
	sigaddset(&orig, SIGUSR1);
	sigaddset(&orig, SIGUSR2);
	sigset_t saved;
	sigprocmask(SIG_SETMASK, &orig, &saved);

	/* Pending, blocked by the process mask, unblocked by ppoll's: EINTR
	 * (even with SA_RESTART) at once, the handler runs with ppoll's mask
	 * plus its signal (Linux's signal_delivered), and its frame holds the
	 * original mask, which sigreturn puts back. */
	struct timespec ts = { 2, 0 };
	usr1_hits = 0;
	raise(SIGUSR1);
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(ppoll(&pf, 1, &ts, &none), -1, EINTR);
	CHECK(elapsed_ms(t0) < 1000);
	CHECK_EQ(usr1_hits, 1);
	CHECK(mask_is(usr1_handler_mask, SIGUSR1, 0));
	CHECK(mask_is(cur_mask(), SIGUSR1, SIGUSR2));

	/* The same for a signal sent during the wait (by a child). */
	usr1_hits = 0;
	fflush(stdout);
	t0 = t_now_ns(CLOCK_MONOTONIC);
	pid_t k = fork();
	if (k == 0) {
		t_sleep_ms(50);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	ts.tv_sec = 10;
	CHECK_RET(ppoll(&pf, 1, &ts, &none), -1, EINTR);
	CHECK(elapsed_ms(t0) >= 50);
	CHECK_EQ(usr1_hits, 1);
	CHECK(mask_is(cur_mask(), SIGUSR1, SIGUSR2));
	waitpid(k, NULL, 0);

	/* ppoll's mask blocks it: no interruption, it stays pending. */
	usr1_hits = 0;
	raise(SIGUSR1);
	ts.tv_sec = 0;
	ts.tv_nsec = 50000000;
	t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(ppoll(&pf, 1, &ts, &only1), 0, 0);
	CHECK(elapsed_ms(t0) >= 50);
	CHECK_EQ(usr1_hits, 0);
	sigpending(&pend);
	CHECK_EQ(sigismember(&pend, SIGUSR1), 1);
	/* Blocked by ppoll's mask, not by the process's: delivered once ppoll
	 * has put the original mask back. */
	sigprocmask(SIG_SETMASK, &none, NULL);
	CHECK_EQ(usr1_hits, 1);
	usr1_hits = 0;
	fflush(stdout);
	k = fork();
	if (k == 0) {
		t_sleep_ms(30);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	ts.tv_nsec = 200000000;
	t0 = t_now_ns(CLOCK_MONOTONIC);
	CHECK_RET(ppoll(&pf, 1, &ts, &only1), 0, 0);
	CHECK(elapsed_ms(t0) >= 200);
	CHECK_EQ(usr1_hits, 1); /* after ppoll returned */
	CHECK(mask_is(cur_mask(), 0, 0));
	waitpid(k, NULL, 0);

	/* Ready at once: ppoll reports the fd and the original mask keeps the
	 * signal pending. */
	sigprocmask(SIG_SETMASK, &orig, NULL);
	usr1_hits = 0;
	raise(SIGUSR1);
	(void)write(p[1], "x", 1);
	ts.tv_sec = 1;
	ts.tv_nsec = 0;
	CHECK_RET(ppoll(&pf, 1, &ts, &none), 1, 0);
	CHECK_EQ(usr1_hits, 0);
	sigpending(&pend);
	CHECK_EQ(sigismember(&pend, SIGUSR1), 1);
	CHECK(mask_is(cur_mask(), SIGUSR1, SIGUSR2));
	char c;
	(void)read(p[0], &c, 1);
	/* A zero timeout still reports the signal (Linux checks signals before
	 * the timeout). */
	ts.tv_sec = 0;
	CHECK_RET(ppoll(&pf, 1, &ts, &none), -1, EINTR);
	CHECK_EQ(usr1_hits, 1);
	CHECK(mask_is(cur_mask(), SIGUSR1, SIGUSR2));

	/* sigsetsize must be 8; a bad mask pointer is EFAULT. */
	ts.tv_sec = 0;
	CHECK_RET(syscall(SYS_ppoll, &pf, 1, &ts, &none, 4), -1, EINVAL);
	CHECK_RET(syscall(SYS_ppoll, &pf, 1, &ts, &none, 16), -1, EINVAL);
	CHECK_RET(syscall(SYS_ppoll, &pf, 1, &ts, BAD_PTR(8), 8), -1, EFAULT);
	CHECK_RET(syscall(SYS_ppoll, &pf, 1, &ts, NULL, 4), 0, 0); /* no mask: size unchecked */

	/* pselect6 the same way. */
	usr1_hits = 0;
	raise(SIGUSR1);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	ts.tv_sec = 2;
	CHECK_RET(pselect(p[0] + 1, &r, NULL, NULL, &ts, &none), -1, EINTR);
	CHECK_EQ(usr1_hits, 1);
	CHECK(mask_is(usr1_handler_mask, SIGUSR1, 0));
	CHECK(mask_is(cur_mask(), SIGUSR1, SIGUSR2));
	struct { const sigset_t *ss; size_t len; } ps = { &none, 4 };
	FD_SET(p[0], &r);
	ts.tv_sec = 0;
	CHECK_RET(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &ps), -1, EINVAL);
	CHECK_RET(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, BAD_PTR(8)), -1, EFAULT);

	sigprocmask(SIG_SETMASK, &saved, NULL);
	sigaction(SIGUSR1, &old_sa, NULL);
	close(p[0]);
	close(p[1]);
}

static void t_sendfile(void)
{
	put("sf", "0123456789abcdef");
	int in = open(P("sf"), O_RDONLY);
	int p[2];
	pipe(p);
	off_t off = 4;
	CHECK_RET(sendfile(p[1], in, &off, 6), 6, 0);
	CHECK_EQ(off, 10);
	CHECK_RET(lseek(in, 0, SEEK_CUR), 0, 0); /* with an offset pointer: file offset untouched */
	char buf[16] = { 0 };
	CHECK_RET(read(p[0], buf, sizeof(buf)), 6, 0);
	CHECK_STR(buf, "456789");
	CHECK_RET(sendfile(p[1], in, NULL, 3), 3, 0);
	CHECK_RET(lseek(in, 0, SEEK_CUR), 3, 0);
	int out = open(P("sf.out"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	off = 0;
	CHECK_RET(sendfile(out, in, &off, 100), 16, 0); /* file to file, stops at EOF */
	CHECK_RET(sendfile(out, in, &off, 100), 0, 0);
	CHECK_RET(sendfile(in, out, NULL, 1), -1, EBADF);
	close(out);
	close(in);
	close(p[0]);
	close(p[1]);
}

/* fadvise64 through the raw syscall (glibc's posix_fadvise returns the
 * error instead of setting errno): advice is accepted, the checks are
 * Linux's. */
static void t_fadvise(void)
{
	put("fa", "advice");
	int fd = open(P("fa"), O_RDONLY);
	int p[2];
	pipe(p);
	CHECK_RET(syscall(SYS_fadvise64, fd, 0, 0, POSIX_FADV_SEQUENTIAL), 0, 0);
	CHECK_RET(syscall(SYS_fadvise64, fd, 0, 4096, POSIX_FADV_DONTNEED), 0, 0);
	CHECK_RET(syscall(SYS_fadvise64, fd, 0L, -1L, POSIX_FADV_NORMAL), -1, EINVAL);
	CHECK_RET(syscall(SYS_fadvise64, fd, 0, 0, 99), -1, EINVAL);
	CHECK_RET(syscall(SYS_fadvise64, p[0], 0, 0, POSIX_FADV_NORMAL), -1, ESPIPE);
	CHECK_RET(syscall(SYS_fadvise64, 9999, 0, 0, POSIX_FADV_NORMAL), -1, EBADF);
	int op = open(P("fa"), O_PATH);
	CHECK_RET(syscall(SYS_fadvise64, op, 0, 0, POSIX_FADV_NORMAL), -1, EBADF);
	close(op);
	close(fd);
	close(p[0]);
	close(p[1]);
}

static void cleanup(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("t_file: cleanup of %s failed\n", dir);
}

int main(void)
{
	snprintf(base, sizeof(base), "%s/t_file.%d", t_tmpdir(), getpid());
	cleanup(base);
	if (mkdir(base, 0755)) {
		printf("t_file: cannot create %s\n", base);
		return 1;
	}
	t_open();
	t_rw();
	t_dup_fcntl();
	t_locks();
	t_stat();
	t_getdents();
	t_names();
	t_cwd();
	t_modes();
	t_truncate_sync_times();
	t_fifo();
	t_pipes();
	t_close_range();
	t_poll_select();
	t_ppoll_sigmask();
	t_sendfile();
	t_fadvise();
	cleanup(base);
	return t_done();
}
