/* SELFTEST(ext2_vfs): the ext2 file system type under the VFS. Mounts the
 * disk labelled skiff-test (see fs/ext2/selftest.c) on /mnt/ext2-test
 * through vfs_mount_at, then reads hello.txt and big.bin through
 * vfs_open/kernel_read, writes into big.bin through the file operations,
 * reads it back, and fsyncs. Skipped without such a disk. The mount stays
 * (the VFS has no unmount hook for file systems yet). */
#include <skiff/blkdev.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/selftest.h>
#include <skiff/string.h>
#include <uapi/fcntl.h>
#include "../fs.h"
#include "ext2.h"


/* Name-space changes through the VFS's own kernel paths (the same code
 * the system calls run): create with O_CREAT, write through the file
 * operations, mkdir, rename into the new directory, hard link, symlink,
 * readlink, the errors Linux gives (EEXIST, ENOTEMPTY, EINVAL for a
 * directory moved into itself), then remove everything. */
#define M "/mnt/ext2-test/"
static int namespace_ops(void)
{
	static const char text[] = "written through the VFS into ext2\n";
	struct path p;
	int fails = 0;
	char rb[64];

#define EXPECT(expr, want)                                                            \
	do {                                                                          \
		long _r = (long)(expr);                                               \
		if (_r != (long)(want)) {                                             \
			pr_err("ext2_vfs: %s = %ld, expected %ld", #expr, _r, (long)(want)); \
			fails++;                                                      \
		}                                                                     \
	} while (0)

	if (path_lookupat(AT_FDCWD, "/mnt/ext2-test", LOOKUP_FOLLOW, &p))
		return 1;
	bool ro = strcmp(p.dentry->sb->type, "ext2") || ((struct ext2_fs *)p.dentry->sb->priv)->read_only;
	u32 nlink = p.dentry->inode->nlink;
	path_put(&p);
	if (ro)
		return 0;

	struct file *f = vfs_open(M "glue-file", O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (IS_ERR(f)) {
		pr_err("ext2_vfs: O_CREAT: %ld", PTR_ERR(f));
		return 1;
	}
	char *kb = kmalloc(sizeof(text));
	memcpy(kb, text, sizeof(text));
	struct uio u = { kb, sizeof(text) - 1, false };
	u64 pos = 0;
	EXPECT(f->ops->write(f, &u, &pos), sizeof(text) - 1);
	EXPECT(file_size(f), sizeof(text) - 1);
	kfree(kb);
	file_put(f);
	f = vfs_open(M "glue-file", O_WRONLY | O_CREAT | O_EXCL, 0644);
	EXPECT(IS_ERR(f) ? PTR_ERR(f) : 0, -EEXIST);
	if (!IS_ERR(f))
		file_put(f);

	EXPECT(vfs_mkdirat(AT_FDCWD, M "glue-dir", 0755), 0);
	EXPECT(vfs_mkdirat(AT_FDCWD, M "glue-dir", 0755), -EEXIST);
	if (!path_lookupat(AT_FDCWD, "/mnt/ext2-test", LOOKUP_FOLLOW, &p)) {
		EXPECT(p.dentry->inode->nlink, nlink + 1);
		path_put(&p);
	}
	EXPECT(vfs_renameat2(AT_FDCWD, M "glue-file", AT_FDCWD, M "glue-dir/moved", 0), 0);
	EXPECT(vfs_linkat(AT_FDCWD, M "glue-dir/moved", AT_FDCWD, M "glue-link", 0), 0);
	EXPECT(vfs_symlinkat("glue-dir/moved", AT_FDCWD, M "glue-sym"), 0);
	EXPECT(vfs_readlinkat(AT_FDCWD, M "glue-sym", rb, sizeof(rb)), 14);
	f = vfs_open(M "glue-sym", O_RDONLY, 0); /* follows the symlink */
	if (IS_ERR(f) || kernel_read(f, 0, rb, sizeof(rb)) != (long)sizeof(text) - 1 ||
	    memcmp(rb, text, sizeof(text) - 1)) {
		pr_err("ext2_vfs: reading through the symlink failed");
		fails++;
	}
	if (!IS_ERR(f))
		file_put(f);
	EXPECT(vfs_renameat2(AT_FDCWD, M "glue-dir", AT_FDCWD, M "glue-dir/loop", 0), -EINVAL);
	EXPECT(vfs_unlinkat(AT_FDCWD, M "glue-dir", AT_REMOVEDIR), -ENOTEMPTY);
	EXPECT(vfs_unlinkat(AT_FDCWD, M "glue-dir/moved", 0), 0);
	EXPECT(vfs_unlinkat(AT_FDCWD, M "glue-link", 0), 0);
	EXPECT(vfs_unlinkat(AT_FDCWD, M "glue-sym", 0), 0);
	EXPECT(vfs_unlinkat(AT_FDCWD, M "glue-dir", AT_REMOVEDIR), 0);
	f = vfs_open(M "glue-link", O_RDONLY, 0);
	EXPECT(IS_ERR(f) ? PTR_ERR(f) : 0, -ENOENT);
	if (!IS_ERR(f))
		file_put(f);
	if (!path_lookupat(AT_FDCWD, "/mnt/ext2-test", LOOKUP_FOLLOW, &p)) {
		EXPECT(p.dentry->inode->nlink, nlink);
		path_put(&p);
	}
#undef EXPECT
	return fails;
}

static int ext2_vfs_selftest(void)
{
	struct block_device *bd;
	char src[32];
	u8 *buf;
	int fails = 0, err;
	struct path mp;

	if (!vfs_initialized()) {
		pr_info("ext2_vfs: the VFS is not initialised yet; skipped");
		return 0;
	}
	block_init();
	buf = kmalloc(4096);
	if (!buf)
		return -ENOMEM;
	for (unsigned i = 0; (bd = blkdev_get_nth(i)) != NULL; i++)
		if (blk_rw(bd, BLK_READ, 0, buf, 4096) == 0 &&
		    ((struct ext2_super_block *)(buf + 1024))->s_magic == EXT2_SUPER_MAGIC &&
		    !strncmp(((struct ext2_super_block *)(buf + 1024))->s_volume_name, "skiff-test", 16) &&
		    !(((struct ext2_super_block *)(buf + 1024))->s_feature_incompat & EXT4_FEATURE_INCOMPAT_EXTENTS))
			break;
	if (!bd) {
		pr_info("ext2_vfs: no disk labelled skiff-test attached; skipped");
		kfree(buf);
		return 0;
	}
	if (!fs_type_find("ext2"))
		ext2_register();
	vfs_mkdirat(AT_FDCWD, "/mnt", 0755);
	vfs_mkdirat(AT_FDCWD, "/mnt/ext2-test", 0755);
	err = path_lookupat(AT_FDCWD, "/mnt/ext2-test", LOOKUP_FOLLOW, &mp);
	if (err) {
		pr_err("ext2_vfs: no mount point (%d)", err);
		kfree(buf);
		return -EIO;
	}
	snprintf(src, sizeof(src), "/dev/%s", bd->name);
	err = vfs_mount_at(&mp, "ext2", src, 0, NULL);
	path_put(&mp);
	if (err) {
		pr_err("ext2_vfs: mount %s failed (%d)", src, err);
		kfree(buf);
		return -EIO;
	}
	struct file *f = vfs_open("/mnt/ext2-test/hello.txt", O_RDONLY, 0);
	if (IS_ERR(f)) {
		pr_err("ext2_vfs: open hello.txt: %ld", PTR_ERR(f));
		fails++;
	} else {
		long n = kernel_read(f, 0, buf, 4096);
		if (n != 22 || memcmp(buf, "hello from skiff ext2\n", 22)) {
			pr_err("ext2_vfs: hello.txt read %ld bytes, wrong content", n);
			fails++;
		}
		file_put(f);
	}
	f = vfs_open("/mnt/ext2-test/big.bin", O_RDWR, 0);
	if (IS_ERR(f)) {
		pr_err("ext2_vfs: open big.bin: %ld", PTR_ERR(f));
		fails++;
	} else {
		long n = kernel_read(f, 8192, buf, 4096);
		if (n != 4096 || buf[5] != (u8)((8192 + 5) * 7 + 3)) {
			pr_err("ext2_vfs: big.bin read %ld, wrong content", n);
			fails++;
		}
		if (file_size(f) != 200 * 1024) {
			pr_err("ext2_vfs: big.bin size %llu", (unsigned long long)file_size(f));
			fails++;
		}
		if (f->ops->fsync && f->ops->fsync(f, false)) {
			pr_err("ext2_vfs: fsync failed");
			fails++;
		}
		file_put(f);
	}
	f = vfs_open("/mnt/ext2-test/nonexistent", O_RDONLY, 0);
	if (!IS_ERR(f) || PTR_ERR(f) != -ENOENT) {
		pr_err("ext2_vfs: open of a missing file gave %ld", IS_ERR(f) ? PTR_ERR(f) : 0);
		fails++;
		if (!IS_ERR(f))
			file_put(f);
	}
	kfree(buf);
	fails += namespace_ops();
	if (!fails)
		pr_info("ext2_vfs: %s mounted on /mnt/ext2-test; open/read/write/fsync and name-space ops ok", src);
	return fails ? -EIO : 0;
}
SELFTEST(ext2_vfs, ext2_vfs_selftest);
