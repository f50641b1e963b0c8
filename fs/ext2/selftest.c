/* SELFTEST(ext2): mount an ext2 image from a virtio disk and use it.
 *
 * The test disk is the one whose ext2 volume label is "skiff-test"
 * (tests/disk-selftest.sh makes it with mke2fs -t ext2 -L skiff-test -d,
 * holding hello.txt = "hello from skiff ext2\n" and a 200 KiB file
 * big.bin of bytes i*7+3). Other disks are left alone. Without such a
 * disk the test is skipped with a message. It reads the known files
 * through the ext2 API, then creates, writes, reads back, renames and
 * deletes a file and a directory, syncs (FLUSH), unmounts, remounts
 * read-only and checks the file system is as it was. */
#include <skiff/blkdev.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/selftest.h>
#include <skiff/string.h>
#include "ext2.h"

#define HELLO "hello from skiff ext2\n"

/* The first disk labelled skiff-test that is not ext4; every ext4 disk
 * seen on the way must be refused by ext2_mount (never misread). */
static struct block_device *find_test_disk(int *fails)
{
	struct block_device *bd, *found = NULL;
	struct ext2_fs *fs;
	u8 *buf = kmalloc(4096);
	if (!buf)
		return NULL;
	for (unsigned i = 0; (bd = blkdev_get_nth(i)) != NULL; i++) {
		if (bd->nr_sectors < 8 || blk_rw(bd, BLK_READ, 0, buf, 4096) < 0)
			continue;
		struct ext2_super_block *sb = (void *)(buf + 1024);
		if (sb->s_magic != EXT2_SUPER_MAGIC)
			continue;
		if (sb->s_feature_incompat & EXT4_FEATURE_INCOMPAT_EXTENTS) {
			if (ext2_mount(bd, true, &fs) != -EINVAL) {
				pr_err("ext2 selftest: ext4 disk %s was not refused", bd->name);
				(*fails)++;
			} else {
				pr_info("ext2 selftest: ext4 disk %s refused as it must be", bd->name);
			}
			continue;
		}
		if (!found && !strncmp(sb->s_volume_name, "skiff-test", 16))
			found = bd;
	}
	kfree(buf);
	return found;
}

static struct ext2_inode_info *child(struct ext2_inode_info *dir, const char *name, int *err)
{
	u32 ino;
	*err = ext2_lookup(dir, name, strlen(name), &ino);
	return *err ? NULL : ext2_iget(dir->fs, ino, err);
}

#define FAIL(...)                              \
	do {                                   \
		pr_err("ext2 selftest: " __VA_ARGS__); \
		fails++;                       \
	} while (0)

static int check_known(struct ext2_fs *fs, u8 *buf)
{
	int err, fails = 0;
	struct ext2_inode_info *root = ext2_iget(fs, EXT2_ROOT_INO, &err);
	if (!root) {
		FAIL("no root inode (%d)", err);
		return fails;
	}
	struct ext2_inode_info *f = child(root, "hello.txt", &err);
	if (!f) {
		FAIL("hello.txt: %d", err);
	} else {
		long n = ext2_read(f, 0, buf, 4096);
		if (n != (long)strlen(HELLO) || memcmp(buf, HELLO, strlen(HELLO)))
			FAIL("hello.txt reads %ld bytes, not the known text", n);
		ext2_iput(f);
	}
	f = child(root, "big.bin", &err);
	if (!f) {
		FAIL("big.bin: %d", err);
	} else {
		for (u64 off = 0; off < 200 * 1024; off += 4096) {
			long n = ext2_read(f, off, buf, 4096);
			if (n != 4096) {
				FAIL("big.bin: read at %llu gave %ld", (unsigned long long)off, n);
				break;
			}
			for (int i = 0; i < 4096; i++)
				if (buf[i] != (u8)((off + i) * 7 + 3)) {
					FAIL("big.bin: byte %llu differs", (unsigned long long)(off + i));
					off = ~0ull - 8192;
					break;
				}
		}
		ext2_iput(f);
	}
	ext2_iput(root);
	return fails;
}


static bool collect_names(void *ctx, const char *name, size_t len, u32 ino, unsigned dt, u64 next)
{
	struct { char n[64][40]; int k; } *c = ctx;
	if (c->k >= 64 || len >= 40)
		return false;
	memcpy(c->n[c->k], name, len);
	c->n[c->k][len] = 0;
	c->k++;
	return true;
}

/* ---- persistent stress tree: created on one boot, verified and removed
 * on the next (tests/disk-selftest.sh boots twice and runs e2fsck -fn
 * after each boot). ---- */
#define NSTRESS 300
#define SLOW_TARGET "a/rather/long/symlink/target/that/does/not/fit/in/the/inode/itself/0123456789"
#define SPARSE_OFF (5ull << 30) /* past 4 GiB: triple-indirect with 1 KiB blocks */

static u8 spat(u32 file, u64 i) { return (u8)(i * 31 + file * 7 + (i >> 9)); }
static u64 ssize(u32 i) { return (u64)(i * 997) % 20000; }

static int stress_create(struct ext2_inode_info *root, u8 *buf)
{
	struct ext2_fs *fs = root->fs;
	int err, fails = 0;
	u32 ino, dino, d2ino;

	if (ext2_mkdir(root, "stress", 6, 0755, 0, 0, &dino) ||
	    ext2_mkdir(root, "stress2", 7, 0700, 1000, 1000, &d2ino)) {
		FAIL("stress: mkdir");
		return fails;
	}
	struct ext2_inode_info *d = ext2_iget(fs, dino, &err), *d2 = ext2_iget(fs, d2ino, &err);
	for (u32 i = 0; i < NSTRESS && d && d2; i++) {
		char name[32];
		int n = snprintf(name, sizeof(name), "f%03u", i);
		if (ext2_create(d, name, (size_t)n, 0100644, i, i, 0, &ino)) {
			FAIL("stress: create %s", name);
			break;
		}
		struct ext2_inode_info *f = ext2_iget(fs, ino, &err);
		for (u64 off = 0; f && off < ssize(i); off += 4096) {
			size_t len = (size_t)MIN(4096ull, ssize(i) - off);
			for (size_t k = 0; k < len; k++)
				buf[k] = spat(i, off + k);
			if (ext2_write(f, off, buf, len) != (long)len)
				FAIL("stress: write %s", name);
		}
		if (f && i % 10 == 0 && ext2_link(d2, name, (size_t)n, f))
			FAIL("stress: link %s", name);
		ext2_iput(f);
		if (i % 3 == 1) {
			char nn[32];
			int m = snprintf(nn, sizeof(nn), "renamed-%03u", i);
			if (ext2_rename(d, name, (size_t)n, d2, nn, (size_t)m))
				FAIL("stress: rename %s", name);
		} else if (i % 3 == 2 && i % 10 != 0) {
			if (ext2_unlink(d, name, (size_t)n))
				FAIL("stress: unlink %s", name);
		}
	}
	if (ext2_symlink(d, "fast", 4, "f000", 0, 0, &ino) ||
	    ext2_symlink(d, "slow", 4, SLOW_TARGET, 0, 0, &ino))
		FAIL("stress: symlink");
	if (ext2_create(d, "sparse", 6, 0100600, 0, 0, 0, &ino) == 0) {
		struct ext2_inode_info *f = ext2_iget(fs, ino, &err);
		memcpy(buf, "beyond 4 GiB", 12);
		if (!f || ext2_write(f, SPARSE_OFF, buf, 12) != 12)
			FAIL("stress: sparse write");
		ext2_iput(f);
	} else {
		FAIL("stress: sparse create");
	}
	ext2_iput(d);
	ext2_iput(d2);
	return fails;
}

static int check_stress_file(struct ext2_inode_info *dir, const char *name, u32 i, u8 *buf)
{
	int err, fails = 0;
	struct ext2_inode_info *f = child(dir, name, &err);
	if (!f) {
		FAIL("stress verify: %s missing (%d)", name, err);
		return fails;
	}
	if (ext2_isize(f) != ssize(i) || ext2_iuid(f) != i)
		FAIL("stress verify: %s size %llu uid %u", name, (unsigned long long)ext2_isize(f), ext2_iuid(f));
	for (u64 off = 0; off < ssize(i); off += 4096) {
		long n = ext2_read(f, off, buf, 4096);
		if (n != (long)MIN(4096ull, ssize(i) - off)) {
			FAIL("stress verify: %s short read", name);
			break;
		}
		for (long k = 0; k < n; k++)
			if (buf[k] != spat(i, off + (u64)k)) {
				FAIL("stress verify: %s byte %llu", name, (unsigned long long)(off + (u64)k));
				off = ~0ull - 8192;
				break;
			}
	}
	ext2_iput(f);
	return fails;
}

static int stress_verify_remove(struct ext2_inode_info *root, u8 *buf)
{
	int err, fails = 0;
	struct ext2_inode_info *d = child(root, "stress", &err), *d2 = child(root, "stress2", &err);
	if (!d || !d2) {
		FAIL("stress verify: directories missing");
		ext2_iput(d);
		ext2_iput(d2);
		return fails;
	}
	for (u32 i = 0; i < NSTRESS; i++) {
		char name[32], nn[32];
		snprintf(name, sizeof(name), "f%03u", i);
		snprintf(nn, sizeof(nn), "renamed-%03u", i);
		if (i % 3 == 1)
			fails += check_stress_file(d2, nn, i, buf);
		else if (i % 3 == 0 || i % 10 == 0) /* kept (linked ones were not unlinked) */
			fails += check_stress_file(d, name, i, buf);
		if (i % 10 == 0)
			fails += check_stress_file(d2, name, i, buf);
	}
	char t[128];
	struct ext2_inode_info *l = child(d, "slow", &err);
	if (!l || ext2_readlink(l, t, sizeof(t)) != (int)strlen(SLOW_TARGET) || strcmp(t, SLOW_TARGET))
		FAIL("stress verify: slow symlink");
	ext2_iput(l);
	struct ext2_inode_info *sp = child(d, "sparse", &err);
	if (!sp || ext2_isize(sp) != SPARSE_OFF + 12 || ext2_read(sp, SPARSE_OFF, buf, 64) != 12 ||
	    memcmp(buf, "beyond 4 GiB", 12) || ext2_read(sp, 1ull << 32, buf, 16) != 16 || buf[3] != 0)
		FAIL("stress verify: sparse file");
	ext2_iput(sp);
	/* Remove everything: the other half of the exercise. */
	for (int pass = 0; pass < 2; pass++) {
		struct ext2_inode_info *dir = pass ? d2 : d;
		struct { char n[64][40]; int k; } *names = kzalloc(sizeof(*names));
		u64 pos = 0;
		for (;;) {
			names->k = 0;
			u64 p0 = pos;
			ext2_readdir(dir, &pos, collect_names, names);
			for (int j = 0; j < names->k; j++)
				if (strcmp(names->n[j], ".") && strcmp(names->n[j], "..") &&
				    ext2_unlink(dir, names->n[j], strlen(names->n[j])))
					FAIL("stress: unlink %s", names->n[j]);
			if (pos == p0 || names->k == 0)
				break;
		}
		kfree(names);
	}
	ext2_iput(d);
	ext2_iput(d2);
	if (ext2_rmdir(root, "stress", 6) || ext2_rmdir(root, "stress2", 7))
		FAIL("stress: rmdir");
	return fails;
}

static int ext2_selftest(void)
{
	struct ext2_fs *fs;
	int err, fails = 0;
	u32 ino;

	block_init();
	struct block_device *bd = find_test_disk(&fails);
	if (!bd) {
		pr_info("ext2 selftest: no disk labelled skiff-test attached; skipped");
		return fails ? -EIO : 0;
	}
	u8 *buf = kmalloc(4096);
	if (!buf)
		return -ENOMEM;
	err = ext2_mount(bd, bd->read_only, &fs);
	if (err == -EBUSY) {
		pr_info("ext2 selftest: %s is mounted already; skipped", bd->name);
		kfree(buf);
		return 0;
	}
	if (err) {
		FAIL("mount of %s failed (%d)", bd->name, err);
		goto out;
	}
	fails += check_known(fs, buf);
	if (!fs->read_only) {
		struct ext2_inode_info *root = ext2_iget(fs, EXT2_ROOT_INO, &err), *f;
		if (ext2_mkdir(root, "st-dir", 6, 0755, 0, 0, &ino))
			FAIL("mkdir");
		if (ext2_create(root, "st-file", 7, 0100644, 0, 0, 0, &ino) || !(f = ext2_iget(fs, ino, &err))) {
			FAIL("create");
		} else {
			for (int i = 0; i < 4096; i++)
				buf[i] = (u8)(i ^ 0x5a);
			for (int k = 0; k < 16; k++)
				if (ext2_write(f, (u64)k * 4096 + 100, buf, 4096) != 4096)
					FAIL("write %d", k);
			memset(buf, 0, 4096);
			if (ext2_read(f, 5 * 4096 + 100, buf, 4096) != 4096 || buf[7] != (7 ^ 0x5a))
				FAIL("read back");
			ext2_iput(f);
		}
		struct ext2_inode_info *dir = child(root, "st-dir", &err);
		if (!dir || ext2_rename(root, "st-file", 7, dir, "moved", 5))
			FAIL("rename");
		if (dir && ext2_unlink(dir, "moved", 5))
			FAIL("unlink");
		ext2_iput(dir);
		if (ext2_rmdir(root, "st-dir", 6))
			FAIL("rmdir");
		u32 sino;
		if (ext2_lookup(root, "stress", 6, &sino) == 0) {
			fails += stress_verify_remove(root, buf);
			pr_info("ext2 selftest: stress tree from the previous boot verified and removed");
		} else {
			fails += stress_create(root, buf);
			pr_info("ext2 selftest: stress tree created (verified by the next boot)");
		}
		ext2_iput(root);
		if (ext2_sync(fs))
			FAIL("sync");
	}
	u32 free_blocks = fs->sb.s_free_blocks_count, free_inodes = fs->sb.s_free_inodes_count;
	if (ext2_unmount(fs))
		FAIL("unmount");
	err = ext2_mount(bd, true, &fs);
	if (err) {
		FAIL("remount failed (%d)", err);
		goto out;
	}
	fails += check_known(fs, buf);
	if (fs->sb.s_free_blocks_count != free_blocks || fs->sb.s_free_inodes_count != free_inodes)
		FAIL("free counts changed across remount");
	ext2_unmount(fs);
	pr_info("ext2 selftest: %s: known files read%s", bd->name,
		bd->read_only ? " (read-only disk: no write tests)" : ", write/rename/unlink/rmdir/sync ok");
out:
	kfree(buf);
	return fails ? -EIO : 0;
}
SELFTEST(ext2, ext2_selftest);
