// SOURCES: fs/ext2/super.c fs/ext2/balloc.c fs/ext2/inode.c fs/ext2/file.c fs/ext2/dir.c fs/ext2/namei.c drivers/block/bcache.c drivers/block/blkdev.c tests/unit/ext2_host.c
/* fs/ext2 on images made by mke2fs on the host: read what `mke2fs -t ext2
 * -d` put there (files, holes, indirect blocks, fast and slow symlinks,
 * hard links, devices), then write: thousands of creates, renames,
 * truncates, links, symlinks, unlinks, mkdir/rmdir, a sparse file past
 * 4 GiB; unmount and let `e2fsck -fn` judge the image; remount and check
 * every byte. Run for 1 KiB and 4 KiB blocks. */
#include <fcntl.h>
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skiff/errno.h>
#include "../../fs/ext2/ext2.h"
#include "ext2_host.h"
#include "test.h"

static char tmpdir[256];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

/* Walk an absolute path from the root; referenced inode or NULL. */
static struct ext2_inode_info *walk(struct ext2_fs *fs, const char *path, int *err)
{
	struct ext2_inode_info *cur = ext2_iget(fs, EXT2_ROOT_INO, err);
	const char *p = path;
	while (cur && *p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		u32 ino;
		*err = ext2_lookup(cur, p, len, &ino);
		ext2_iput(cur);
		cur = *err ? NULL : ext2_iget(fs, ino, err);
		p += len;
	}
	return cur;
}

static u8 pattern(u64 i, u32 seed) { return (u8)((i * 2654435761u) >> 13 ^ seed); }

static void check_file(struct ext2_fs *fs, const char *path, u64 size, u32 seed)
{
	int err;
	struct ext2_inode_info *ei = walk(fs, path, &err);
	CHECK(ei != NULL);
	if (!ei) {
		fprintf(stderr, "  missing %s (%d)\n", path, err);
		return;
	}
	CHECK_EQ(ext2_isize(ei), size);
	u8 *buf = malloc(size + 1);
	long r = ext2_read(ei, 0, buf, size + 1);
	CHECK_EQ(r, (long)size);
	for (u64 i = 0; i < size && r == (long)size; i++)
		if (buf[i] != pattern(i, seed)) {
			fprintf(stderr, "  %s: byte %llu is %#x\n", path, (unsigned long long)i, buf[i]);
			test_failures++;
			break;
		}
	free(buf);
	ext2_iput(ei);
}

static void write_host_file(const char *path, u64 size, u32 seed)
{
	FILE *f = fopen(path, "w");
	for (u64 i = 0; i < size; i++)
		fputc(pattern(i, seed), f);
	fclose(f);
}

static int mount_img(struct fake_disk *d, const char *img, bool ro, struct ext2_fs **fs)
{
	struct stat st;
	memset(d, 0, sizeof(*d));
	d->fd = open(img, ro ? O_RDONLY : O_RDWR);
	if (d->fd < 0 || fstat(d->fd, &st) < 0)
		return -ENOENT;
	d->mem = NULL;
	fake_disk_init(d, "vdt", (u64)st.st_size);
	d->bd.read_only = ro;
	int err = ext2_mount(&d->bd, ro, fs);
	if (err)
		close(d->fd);
	return err;
}

static void umount_img(struct fake_disk *d, struct ext2_fs *fs)
{
	CHECK_EQ(ext2_unmount(fs), 0);
	close(d->fd);
}

static long write_all(struct ext2_inode_info *ei, u64 off, u64 size, u32 seed, u64 pat_base)
{
	u8 *buf = malloc(size ? size : 1);
	for (u64 i = 0; i < size; i++)
		buf[i] = pattern(pat_base + i, seed);
	long r = ext2_write(ei, off, buf, size);
	free(buf);
	return r;
}

static bool count_emit(void *ctx, const char *name, size_t len, u32 ino, unsigned dt, u64 next)
{
	(*(int *)ctx)++;
	return true;
}

static void run(unsigned bs)
{
	char src[300], img[300];
	struct fake_disk d;
	struct ext2_fs *fs;
	int err;
	u32 ino;

	printf("ext2 ops: block size %u\n", bs);
	snprintf(src, sizeof(src), "%s/src%u", tmpdir, bs);
	snprintf(img, sizeof(img), "%s/img%u", tmpdir, bs);
	sh("mkdir -p %s/dir/sub", src);
	write_host_file(strcat(strcpy((char[400]){ 0 }, src), "/hello.txt"), 6, 1);
	char p[400];
	snprintf(p, sizeof(p), "%s/big", src);
	write_host_file(p, 300 * 1024 + 17, 2); /* indirect blocks */
	snprintf(p, sizeof(p), "%s/dir/sub/deep", src);
	write_host_file(p, 5000, 3);
	sh("cd %s && ln -s hello.txt fast && ln -s %0200d slow && ln big big.link && "
	   "truncate -s 1M holes && printf x | dd of=holes bs=1 seek=700000 conv=notrunc 2>/dev/null",
	   src, 0);
	CHECK_EQ(sh("mke2fs -q -F -t ext2 -b %u -d %s %s 64M >/dev/null 2>&1", bs, src, img), 0);

	/* Read what mke2fs wrote. */
	CHECK_EQ(mount_img(&d, img, false, &fs), 0);
	check_file(fs, "/big", 300 * 1024 + 17, 2);
	check_file(fs, "/dir/sub/deep", 5000, 3);
	check_file(fs, "/big.link", 300 * 1024 + 17, 2);
	struct ext2_inode_info *ei = walk(fs, "/big.link", &err), *ej = walk(fs, "/big", &err);
	CHECK(ei && ej && ei->ino == ej->ino && ei->raw.i_links_count == 2);
	ext2_iput(ei);
	ext2_iput(ej);
	char lnk[300];
	ei = walk(fs, "/fast", &err);
	CHECK(ei && ext2_readlink(ei, lnk, sizeof(lnk)) == 9 && !strcmp(lnk, "hello.txt"));
	ext2_iput(ei);
	ei = walk(fs, "/slow", &err);
	CHECK(ei && ext2_readlink(ei, lnk, sizeof(lnk)) == 200 && lnk[199] == '0');
	ext2_iput(ei);
	ei = walk(fs, "/holes", &err);
	u8 hb[4];
	CHECK(ei && ext2_read(ei, 699999, hb, 3) == 3 && hb[0] == 0 && hb[1] == 'x' && hb[2] == 0);
	CHECK(ei && ei->raw.i_blocks < 64); /* sparse */
	ext2_iput(ei);
	ei = walk(fs, "/nonexistent", &err);
	CHECK(!ei && err == -ENOENT);
	ei = walk(fs, "/hello.txt/x", &err);
	CHECK(!ei && err == -ENOTDIR);

	/* A second mount of the same device is refused while the first lives. */
	struct ext2_fs *fs2;
	CHECK_EQ(ext2_mount(&d.bd, true, &fs2), -EBUSY);

	/* Write: thousands of files in a few directories, through a cache of
	 * only 64 buffers (eviction and write-back under pressure). */
	bcache_set_limit(64);
	unsigned writes0 = d.writes;
	struct ext2_inode_info *root = ext2_iget(fs, EXT2_ROOT_INO, &err);
	CHECK_EQ(ext2_mkdir(root, "many", 4, 0755, 1000, 1000, &ino), 0);
	struct ext2_inode_info *many = ext2_iget(fs, ino, &err);
	for (int i = 0; i < 2000; i++) {
		char name[32];
		int n = snprintf(name, sizeof(name), "file-%05d-with-a-longish-name", i);
		CHECK_EQ(ext2_create(many, name, (size_t)n, 0100644, 0, 0, 0, &ino), 0);
		ei = ext2_iget(fs, ino, &err);
		CHECK_EQ(write_all(ei, 0, (u64)(i % 7) * 1000, (u32)i, 0), (long)((i % 7) * 1000));
		ext2_iput(ei);
	}
	CHECK_EQ(ext2_create(many, "file-00001-with-a-longish-name", 30, 0100644, 0, 0, 0, &ino), -EEXIST);
	CHECK(d.writes > writes0 + 50); /* written back under pressure, before any sync */
	CHECK(bcache_dirty_count() < 200);
	/* Delete every third, rename every fifth into a subdirectory. */
	CHECK_EQ(ext2_mkdir(many, "moved", 5, 0700, 0, 0, &ino), 0);
	struct ext2_inode_info *moved = ext2_iget(fs, ino, &err);
	for (int i = 0; i < 2000; i++) {
		char name[32], nn[32];
		int n = snprintf(name, sizeof(name), "file-%05d-with-a-longish-name", i);
		if (i % 3 == 0) {
			CHECK_EQ(ext2_unlink(many, name, (size_t)n), 0);
		} else if (i % 5 == 0) {
			int m = snprintf(nn, sizeof(nn), "m%d", i);
			CHECK_EQ(ext2_rename(many, name, (size_t)n, moved, nn, (size_t)m), 0);
		}
	}
	int count = 0;
	u64 pos = 0;
	CHECK_EQ(ext2_readdir(many, &pos, count_emit, &count), 0);
	CHECK_EQ(count, 2 + 2000 - 667 - 266 + 1); /* . .. files moved/ */
	/* Directory rename loops and type clashes. */
	CHECK_EQ(ext2_rename(root, "many", 4, moved, "loop", 4), -EINVAL);
	CHECK_EQ(ext2_rename(root, "hello.txt", 9, root, "dir", 3), -EISDIR);
	CHECK_EQ(ext2_rename(root, "dir", 3, root, "hello.txt", 9), -ENOTDIR);
	CHECK_EQ(ext2_rmdir(root, "dir", 3), -ENOTEMPTY);
	CHECK_EQ(ext2_unlink(root, "dir", 3), -EISDIR);
	CHECK_EQ(ext2_rename(root, "..", 2, root, "x", 1), -EINVAL);
	CHECK_EQ(ext2_rename(root, "dir", 3, root, ".", 1), -EINVAL);
	CHECK_EQ(ext2_rmdir(root, ".", 1), -EINVAL);
	CHECK_EQ(ext2_link(root, "dirlink", 7, root), -EPERM); /* a hard link to a directory */
	CHECK_EQ(ext2_rename(many, "moved", 5, root, "moved2", 6), 0); /* dir across parents */
	CHECK_EQ(ext2_mkdir(root, "empty", 5, 0755, 0, 0, &ino), 0);
	CHECK_EQ(ext2_rename(root, "moved2", 6, root, "empty", 5), 0); /* over an empty dir */
	CHECK_EQ(root->raw.i_links_count, 2 + 4); /* subdirs lost+found dir many empty */
	bcache_set_limit(0);
	/* Truncate, links, symlinks. */
	ei = walk(fs, "/big", &err);
	CHECK_EQ(ext2_truncate(ei, 100000), 0);
	CHECK_EQ(ext2_truncate(ei, 150000), 0);
	u8 z[8];
	CHECK(ext2_read(ei, 120000, z, 8) == 8 && z[0] == 0 && z[7] == 0);
	CHECK_EQ(ext2_link(root, "big2", 4, ei), 0);
	ext2_iput(ei);
	CHECK_EQ(ext2_unlink(root, "big.link", 8), 0);
	CHECK_EQ(ext2_symlink(root, "s1", 2, "dir/sub/deep", 0, 0, &ino), 0);
	char longt[1000];
	memset(longt, 'a', sizeof(longt) - 1);
	longt[999] = 0;
	CHECK_EQ(ext2_symlink(root, "s2", 2, longt, 0, 0, &ino), 0);
	CHECK_EQ(ext2_create(root, "dev", 3, 020644, 0, 0, (5 << 8) | 1, &ino), 0);
	ei = ext2_iget(fs, ino, &err);
	CHECK(ei && ext2_rdev(ei) == ((5 << 8) | 1));
	ext2_iput(ei);
	CHECK_EQ(ext2_create(root, "fifo", 4, 010600, 0, 0, 0, &ino), 0);
	/* A sparse file past 4 GiB. */
	CHECK_EQ(ext2_create(root, "sparse", 6, 0100600, 0, 0, 0, &ino), 0);
	ei = ext2_iget(fs, ino, &err);
	u64 far = bs == 1024 ? (5ull << 30) : (5ull << 30) + 12345;
	CHECK_EQ(write_all(ei, far, 10000, 9, 0), 10000);
	CHECK_EQ(write_all(ei, 4096, 100, 9, 0), 100);
	CHECK_EQ(ext2_isize(ei), far + 10000);
	ext2_iput(ei);
	/* Unlink of an open file keeps its data until the last put. */
	ei = walk(fs, "/dir/sub/deep", &err);
	struct ext2_inode_info *sub = walk(fs, "/dir/sub", &err);
	CHECK_EQ(ext2_unlink(sub, "deep", 4), 0);
	u8 b3[3];
	CHECK_EQ(ext2_read(ei, 0, b3, 3), 3);
	CHECK_EQ(b3[1], pattern(1, 3));
	ext2_iput(ei);
	ext2_iput(sub);
	CHECK_EQ(ext2_rmdir(root, "dir", 3), -ENOTEMPTY);
	ext2_iput(moved);
	ext2_iput(many);
	ext2_iput(root);
	umount_img(&d, fs);

	int fsck = sh("e2fsck -fn %s >%s/fsck.out 2>&1", img, tmpdir);
	CHECK_EQ(fsck, 0);
	if (fsck)
		sh("cat %s/fsck.out >&2", tmpdir);

	/* Everything is there after a remount. */
	CHECK_EQ(mount_img(&d, img, true, &fs), 0);
	ei = walk(fs, "/big2", &err);
	u8 *bb = malloc(150001);
	CHECK(ei && ext2_read(ei, 0, bb, 150001) == 150000);
	for (int i = 0; ei && i < 150000; i++)
		if (bb[i] != (i < 100000 ? pattern((u64)i, 2) : 0)) {
			fprintf(stderr, "  /big2: byte %d is %#x\n", i, bb[i]);
			test_failures++;
			break;
		}
	free(bb);
	ext2_iput(ei);
	ei = walk(fs, "/sparse", &err);
	u8 sb[16];
	CHECK(ei && ext2_read(ei, far + 9990, sb, 16) == 10 && sb[0] == pattern(9990, 9));
	CHECK(ei && ext2_read(ei, 1ull << 32, sb, 16) == 16 && sb[0] == 0 && sb[15] == 0);
	ext2_iput(ei);
	for (int i = 0; i < 2000; i += 7) {
		char path[64];
		if (i % 3 == 0)
			continue;
		if (i % 5 == 0)
			snprintf(path, sizeof(path), "/empty/m%d", i);
		else
			snprintf(path, sizeof(path), "/many/file-%05d-with-a-longish-name", i);
		check_file(fs, path, (u64)(i % 7) * 1000, (u32)i);
	}
	ei = walk(fs, "/s2", &err);
	CHECK(ei && ext2_readlink(ei, lnk, sizeof(lnk)) == 299);
	ext2_iput(ei);
	root = ext2_iget(fs, EXT2_ROOT_INO, &err);
	CHECK_EQ(ext2_create(root, "x", 1, 0100644, 0, 0, 0, &ino), -EROFS);
	ext2_iput(root);
	umount_img(&d, fs);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/skiff-ext2-test.%d", getpid());
	if (sh("command -v mke2fs >/dev/null && command -v e2fsck >/dev/null") != 0) {
		printf("test_ext2_ops: mke2fs/e2fsck not installed; skipped\n");
		return 0;
	}
	sh("rm -rf %s && mkdir -p %s", tmpdir, tmpdir);
	run(1024);
	run(4096);
	if (!test_failures)
		sh("rm -rf %s", tmpdir);
	else
		fprintf(stderr, "test_ext2_ops: images kept in %s\n", tmpdir);
	TEST_DONE("test_ext2_ops");
}
