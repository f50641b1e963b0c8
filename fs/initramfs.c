/* Unpack the initramfs (cpio newc, boot module 0) into the root tmpfs.
 * A corrupt archive stops the unpacking with a message naming the offset
 * and the reason; what was unpacked before it stays. */
#include "fs.h"
#include "initramfs_parse.h"
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/string.h>

#define HL_SLOTS 64

/* Files with nlink >= 2: the first name seen for (ino, dev). */
struct hardlink {
	u32 ino, major, minor;
	char *name;
};

static void set_attrs(const char *path, const struct cpio_entry *e)
{
	struct path p;

	if (path_lookupat(AT_FDCWD, path, 0, &p))
		return;
	struct inode *ino = p.dentry->inode;
	ino->mode = (ino->mode & S_IFMT) | (e->mode & 07777);
	ino->uid = e->uid;
	ino->gid = e->gid;
	ino->mtime = (s64)e->mtime * 1000000000ll;
	path_put(&p);
}

static int write_file(const char *path, const struct cpio_entry *e)
{
	struct file *f = vfs_openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, e->mode & 07777);
	long n = 0;

	if (IS_ERR(f))
		return (int)PTR_ERR(f);
	if (e->filesize)
		n = kernel_write(f, 0, e->data, (size_t)e->filesize);
	file_put(f);
	if (n < 0)
		return (int)n;
	return (u64)n == e->filesize ? 0 : -ENOSPC;
}

static int unpack_one(const struct cpio_entry *e, char *path, struct hardlink *hl, int *nhl)
{
	const char *name = e->name;
	u32 type = e->mode & S_IFMT;
	int err = 0;

	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (*name == '/')
		name++;
	if (!*name || !strcmp(name, "."))
		return 0;
	snprintf(path, PATH_MAX, "/%s", name);

	if (type == S_IFREG && e->nlink >= 2) {
		for (int i = 0; i < *nhl; i++) {
			if (hl[i].ino == e->ino && hl[i].major == e->devmajor && hl[i].minor == e->devminor) {
				vfs_unlinkat(AT_FDCWD, path, 0);
				err = vfs_linkat(AT_FDCWD, hl[i].name, AT_FDCWD, path, 0);
				if (!err && e->filesize)
					err = write_file(path, e);
				return err;
			}
		}
		if (*nhl < HL_SLOTS) {
			size_t n = strlen(path) + 1;
			hl[*nhl].name = kmalloc(n);
			if (hl[*nhl].name) {
				memcpy(hl[*nhl].name, path, n);
				hl[*nhl].ino = e->ino;
				hl[*nhl].major = e->devmajor;
				hl[*nhl].minor = e->devminor;
				(*nhl)++;
			}
		}
	}
	switch (type) {
	case S_IFDIR:
		err = vfs_mkdirat(AT_FDCWD, path, e->mode & 07777);
		if (err == -EEXIST)
			err = 0;
		break;
	case S_IFREG:
		err = write_file(path, e);
		break;
	case S_IFLNK: {
		if (e->filesize == 0 || e->filesize >= PATH_MAX)
			return -EINVAL;
		char *target = kmalloc((size_t)e->filesize + 1);
		if (!target)
			return -ENOMEM;
		memcpy(target, e->data, (size_t)e->filesize);
		target[e->filesize] = 0;
		vfs_unlinkat(AT_FDCWD, path, 0);
		err = vfs_symlinkat(target, AT_FDCWD, path);
		kfree(target);
		return err; /* symlink attributes are not set (lchown only) */
	}
	default: /* devices, FIFOs, sockets */
		vfs_unlinkat(AT_FDCWD, path, 0);
		err = vfs_mknodat(AT_FDCWD, path, e->mode & ~(u32)0, uapi_encode_dev(e->rdevmajor, e->rdevminor));
		break;
	}
	if (!err)
		set_attrs(path, e);
	return err;
}

int initramfs_unpack(const void *data, size_t size)
{
	struct cpio_entry e;
	size_t off = 0, prev = 0;
	const char *why = NULL;
	char *path = kmalloc(PATH_MAX);
	struct hardlink *hl = kzalloc(HL_SLOTS * sizeof(*hl));
	int nhl = 0, r, files = 0, failed = 0;
	u32 saved_umask = fs_umask();

	if (!path || !hl) {
		kfree(path);
		kfree(hl);
		return -ENOMEM;
	}
	fs_set_umask(0);
	while ((r = cpio_next(data, size, &off, &e, &why)) == 1) {
		int err = unpack_one(&e, path, hl, &nhl);
		if (err) {
			if (failed++ < 5)
				pr_warn("initramfs: %s: error %d", e.name, err);
		} else {
			files++;
		}
		prev = off;
	}
	fs_set_umask(saved_umask);
	for (int i = 0; i < nhl; i++)
		kfree(hl[i].name);
	kfree(hl);
	kfree(path);
	if (r < 0) {
		pr_err("initramfs: corrupt archive at offset %llu: %s; unpacking stopped after %d entries",
		       (unsigned long long)prev, why, files);
		return -EINVAL;
	}
	pr_info("initramfs: unpacked %d entries (%llu KiB)%s", files,
		(unsigned long long)(size >> 10), failed ? ", some failed" : "");
	return 0;
}
