/* In-kernel test of the VFS through its kernel API: files, directories,
 * rename, unlink, symlinks, hard links, pipes (via anon files) and /proc
 * mounted on a scratch directory. Runs in a kernel thread (root, no
 * process): paths resolve against the init fs context. */
#include "fs.h"
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/selftest.h>
#include <skiff/string.h>

#define T(cond)                                                              \
	do {                                                                 \
		if (!(cond)) {                                               \
			pr_err("vfs selftest: %s failed at line %d", #cond, __LINE__); \
			return -1;                                           \
		}                                                            \
	} while (0)

static long write_str(const char *path, const char *s, int flags)
{
	struct file *f = vfs_open(path, O_WRONLY | O_CREAT | flags, 0644);
	long n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_write(f, (flags & O_APPEND) ? f->inode->size : 0, s, strlen(s));
	file_put(f);
	return n;
}

static long read_str(const char *path, char *buf, size_t size)
{
	struct file *f = vfs_open(path, O_RDONLY, 0);
	long n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, 0, buf, size - 1);
	if (n >= 0)
		buf[n] = 0;
	file_put(f);
	return n;
}

static bool exists(const char *path)
{
	struct path p;

	if (path_lookupat(AT_FDCWD, path, 0, &p))
		return false;
	path_put(&p);
	return true;
}

static int vfs_selftest(void)
{
	char buf[256];
	struct path p;

	vfs_init();
	T(vfs_mkdirat(AT_FDCWD, "/vt", 0755) == 0);
	T(vfs_mkdirat(AT_FDCWD, "/vt", 0755) == -EEXIST);
	T(vfs_mkdirat(AT_FDCWD, "/vt/a/b", 0755) == -ENOENT);
	T(write_str("/vt/f", "hello", O_TRUNC) == 5);
	T(read_str("/vt/f", buf, sizeof(buf)) == 5 && !strcmp(buf, "hello"));
	T(write_str("/vt/f", " world", 0) == 6); /* at offset 0: overwrite */
	T(read_str("/vt/f", buf, sizeof(buf)) == 6 && !strcmp(buf, " world"));
	T(IS_ERR(vfs_open("/vt/f", O_CREAT | O_EXCL | O_WRONLY, 0)) &&
	  PTR_ERR(vfs_open("/vt/f", O_CREAT | O_EXCL | O_WRONLY, 0)) == -EEXIST);
	T(PTR_ERR(vfs_open("/vt/f/x", O_RDONLY, 0)) == -ENOTDIR);
	T(PTR_ERR(vfs_open("/vt/f/", O_RDONLY, 0)) == -ENOTDIR);
	T(PTR_ERR(vfs_open("/vt", O_WRONLY, 0)) == -EISDIR);
	T(PTR_ERR(vfs_open("/vt/nope", O_RDONLY, 0)) == -ENOENT);

	/* big file across pages, then truncate */
	struct file *f = vfs_open("/vt/big", O_RDWR | O_CREAT, 0600);
	T(!IS_ERR(f));
	char *blk = kmalloc(10000);
	T(blk);
	for (int i = 0; i < 10000; i++)
		blk[i] = (char)(i * 7);
	T(kernel_write(f, 3000, blk, 10000) == 10000);
	T(f->inode->size == 13000);
	memset(blk, 1, 10000);
	T(kernel_read(f, 3000, blk, 10000) == 10000);
	for (int i = 0; i < 10000; i++)
		if (blk[i] != (char)(i * 7))
			T(0);
	T(kernel_read(f, 0, blk, 100) == 100 && blk[0] == 0 && blk[99] == 0);
	T(vfs_truncate_inode(f->inode, 5000) == 0 && f->inode->size == 5000);
	T(kernel_read(f, 4990, blk, 100) == 10);
	int err;
	struct page *pg = file_get_page(f, 1, &err);
	T(pg && ((char *)page_to_virt(pg))[0] == (char)((4096 - 3000) * 7));
	__atomic_fetch_sub(&pg->refcount, 1, __ATOMIC_RELAXED);
	T(!file_get_page(f, 2, &err));
	kfree(blk);
	file_put(f);

	/* rename, link, unlink */
	T(vfs_renameat2(AT_FDCWD, "/vt/f", AT_FDCWD, "/vt/g", 0) == 0);
	T(!exists("/vt/f") && exists("/vt/g"));
	T(vfs_linkat(AT_FDCWD, "/vt/g", AT_FDCWD, "/vt/h", 0) == 0);
	T(path_lookupat(AT_FDCWD, "/vt/h", 0, &p) == 0);
	T(p.dentry->inode->nlink == 2);
	path_put(&p);
	T(vfs_renameat2(AT_FDCWD, "/vt/g", AT_FDCWD, "/vt/big", RENAME_NOREPLACE) == -EEXIST);
	T(vfs_renameat2(AT_FDCWD, "/vt/g", AT_FDCWD, "/vt/big", RENAME_EXCHANGE) == 0);
	T(read_str("/vt/big", buf, sizeof(buf)) == 6);
	T(vfs_unlinkat(AT_FDCWD, "/vt/h", 0) == 0);
	T(vfs_mkdirat(AT_FDCWD, "/vt/d", 0700) == 0);
	T(vfs_renameat2(AT_FDCWD, "/vt/d", AT_FDCWD, "/vt/d/e", 0) == -EINVAL);
	T(vfs_renameat2(AT_FDCWD, "/vt/big", AT_FDCWD, "/vt/d", 0) == -EISDIR);
	T(write_str("/vt/d/in", "x", 0) == 1);
	T(vfs_unlinkat(AT_FDCWD, "/vt/d", AT_REMOVEDIR) == -ENOTEMPTY);
	T(vfs_unlinkat(AT_FDCWD, "/vt/d", 0) == -EISDIR);
	T(vfs_unlinkat(AT_FDCWD, "/vt/d/in", 0) == 0);
	T(vfs_unlinkat(AT_FDCWD, "/vt/d/.", AT_REMOVEDIR) == -EINVAL);
	T(vfs_unlinkat(AT_FDCWD, "/vt/d", AT_REMOVEDIR) == 0);

	/* symlinks: relative, absolute, dangling, loops, trailing slash */
	T(vfs_symlinkat("big", AT_FDCWD, "/vt/s1") == 0);
	T(vfs_symlinkat("/vt/s1", AT_FDCWD, "/vt/s2") == 0);
	T(read_str("/vt/s2", buf, sizeof(buf)) == 6);
	T(vfs_readlinkat(AT_FDCWD, "/vt/s2", buf, sizeof(buf)) == 6 && !memcmp(buf, "/vt/s1", 6));
	T(vfs_symlinkat("loop2", AT_FDCWD, "/vt/loop1") == 0);
	T(vfs_symlinkat("loop1", AT_FDCWD, "/vt/loop2") == 0);
	T(PTR_ERR(vfs_open("/vt/loop1", O_RDONLY, 0)) == -ELOOP);
	T(vfs_symlinkat("nowhere", AT_FDCWD, "/vt/dang") == 0);
	T(PTR_ERR(vfs_open("/vt/dang", O_RDONLY, 0)) == -ENOENT);
	T(PTR_ERR(vfs_open("/vt/s1", O_RDONLY | O_NOFOLLOW, 0)) == -ELOOP);
	T(vfs_symlinkat("/vt", AT_FDCWD, "/vt/up") == 0);
	T(read_str("/vt/up/up/up/../vt/s1", buf, sizeof(buf)) == 6);
	T(path_lookupat(AT_FDCWD, "/vt/up/", 0, &p) == 0 && path_is_dir(&p));
	path_put(&p);
	T(path_lookupat(AT_FDCWD, "/../../vt/./big", 0, &p) == 0);
	path_put(&p);

	/* name limits */
	char *name = kmalloc(PATH_MAX + 16);
	T(name);
	memcpy(name, "/vt/", 4);
	memset(name + 4, 'a', 256);
	name[4 + 256] = 0;
	T(vfs_mkdirat(AT_FDCWD, name, 0755) == -ENAMETOOLONG);
	name[4 + 255] = 0;
	T(vfs_mkdirat(AT_FDCWD, name, 0755) == 0);
	T(vfs_unlinkat(AT_FDCWD, name, AT_REMOVEDIR) == 0);
	memset(name, '/', PATH_MAX + 8);
	name[PATH_MAX + 8] = 0;
	T(path_lookupat(AT_FDCWD, name, 0, &p) == -ENAMETOOLONG);
	kfree(name);

	/* proc mounted on a scratch directory */
	T(vfs_mkdirat(AT_FDCWD, "/vt/proc", 0555) == 0);
	T(path_lookupat(AT_FDCWD, "/vt/proc", LOOKUP_FOLLOW, &p) == 0);
	T(vfs_mount_at(&p, "proc", "proc", 0, NULL) == 0);
	path_put(&p);
	T(read_str("/vt/proc/sys/kernel/ostype", buf, sizeof(buf)) == 6 && !strcmp(buf, "Linux\n"));
	T(read_str("/vt/proc/meminfo", buf, sizeof(buf)) > 0 && !strncmp(buf, "MemTotal:", 9));
	T(read_str("/vt/proc/mounts", buf, sizeof(buf)) > 0 && !strncmp(buf, "rootfs / rootfs rw", 18));
	T(path_lookupat(AT_FDCWD, "/vt/proc/..", 0, &p) == 0 && p.dentry->inode->ino != 1);
	path_put(&p);
	T(vfs_unlinkat(AT_FDCWD, "/vt/proc", AT_REMOVEDIR) == -EBUSY);
	return 0;
}
SELFTEST(vfs, vfs_selftest);
