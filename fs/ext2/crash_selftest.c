/* SELFTEST(ext2_crash): what fsync promises survives the VM being killed.
 * Opt-in (it never returns in "write" mode):
 *   ext2.crashtest=write   on the skiff-test disk, write /crash-synced
 *                          (256 KiB of a known pattern), ext2_sync it
 *                          (device FLUSH), print "ext2 crashtest: synced",
 *                          then keep creating, writing and deleting other
 *                          files without syncing until QEMU is killed;
 *   ext2.crashtest=verify  (next boot) /crash-synced must be whole.
 * tests/disk-crashtest.sh drives both boots and kills QEMU in between.
 * Without the option the test passes at once. */
#include <skiff/blkdev.h>
#include <skiff/cmdline.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/selftest.h>
#include <skiff/string.h>
#include "ext2.h"

CMDLINE_PARAM(ext2_crashtest, "ext2.crashtest", "ext2_crash self-test mode: write or verify");

#define CRASH_SIZE (256 * 1024)
static u8 cpat(u64 i) { return (u8)(i * 13 + (i >> 10) + 1); }

static struct block_device *test_disk(u8 *buf)
{
	struct block_device *bd;
	for (unsigned i = 0; (bd = blkdev_get_nth(i)) != NULL; i++) {
		struct ext2_super_block *sb = (void *)(buf + 1024);
		if (blk_rw(bd, BLK_READ, 0, buf, 4096) == 0 && sb->s_magic == EXT2_SUPER_MAGIC &&
		    !strncmp(sb->s_volume_name, "skiff-test", 16) &&
		    !(sb->s_feature_incompat & EXT4_FEATURE_INCOMPAT_EXTENTS))
			return bd;
	}
	return NULL;
}

static int crash_selftest(void)
{
	const char *mode = cmdline_get("ext2.crashtest");
	struct ext2_fs *fs;
	int err;
	u32 ino;

	if (!mode) {
		pr_info("ext2_crash: not requested (ext2.crashtest=write|verify); skipped");
		return 0;
	}
	block_init();
	u8 *buf = kmalloc(4096);
	if (!buf)
		return -ENOMEM;
	struct block_device *bd = test_disk(buf);
	if (!bd || ext2_mount(bd, false, &fs)) {
		pr_err("ext2_crash: no writable skiff-test disk");
		kfree(buf);
		return -ENODEV;
	}
	struct ext2_inode_info *root = ext2_iget(fs, EXT2_ROOT_INO, &err);
	if (!strcmp(mode, "verify")) {
		int bad = 0;
		struct ext2_inode_info *f = NULL;
		if (ext2_lookup(root, "crash-synced", 12, &ino) || !(f = ext2_iget(fs, ino, &err)) ||
		    ext2_isize(f) != CRASH_SIZE) {
			pr_err("ext2_crash: /crash-synced missing or wrong size after the crash");
			bad = 1;
		}
		for (u64 off = 0; f && !bad && off < CRASH_SIZE; off += 4096) {
			if (ext2_read(f, off, buf, 4096) != 4096)
				bad = 1;
			for (int i = 0; i < 4096 && !bad; i++)
				if (buf[i] != cpat(off + (u64)i)) {
					pr_err("ext2_crash: /crash-synced byte %llu lost", (unsigned long long)(off + i));
					bad = 1;
				}
		}
		ext2_iput(f);
		ext2_iput(root);
		ext2_unmount(fs);
		kfree(buf);
		if (!bad)
			pr_info("ext2_crash: everything fsynced before the kill is there");
		return bad ? -EIO : 0;
	}
	if (ext2_create(root, "crash-synced", 12, 0100644, 0, 0, 0, &ino)) {
		pr_err("ext2_crash: create failed");
		return -EIO;
	}
	struct ext2_inode_info *f = ext2_iget(fs, ino, &err);
	for (u64 off = 0; f && off < CRASH_SIZE; off += 4096) {
		for (int i = 0; i < 4096; i++)
			buf[i] = cpat(off + (u64)i);
		ext2_write(f, off, buf, 4096);
	}
	ext2_iput(f);
	if (ext2_sync(fs)) {
		pr_err("ext2_crash: sync failed");
		return -EIO;
	}
	pr_info("ext2 crashtest: synced");
	for (u32 n = 0;; n++) {
		char name[32];
		int len = snprintf(name, sizeof(name), "churn-%u", n % 64);
		ext2_unlink(root, name, (size_t)len);
		if (ext2_create(root, name, (size_t)len, 0100644, 0, 0, 0, &ino) == 0 &&
		    (f = ext2_iget(fs, ino, &err)) != NULL) {
			memset(buf, (int)n, 4096);
			for (int k = 0; k < 8; k++)
				ext2_write(f, (u64)k * 4096, buf, 4096);
			ext2_iput(f);
		}
	}
}
SELFTEST(ext2_crash, crash_selftest);
