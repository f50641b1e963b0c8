/* devtmpfs: one shared tmpfs instance (type "devtmpfs", alias "devfs")
 * holding a node for every registered character device, plus /dev/shm
 * and /dev/pts directories and the usual /dev/fd, stdin/stdout/stderr
 * links. Every mount shows the same tree, as Linux's devtmpfs does. */
#include "../fs.h"
#include <skiff/string.h>
#include <skiff/printk.h>
#include <uapi/statfs.h>

static struct super_block *dev_sb;

static u32 node_mode(const char *name)
{
	static const char *const world[] = { "null", "zero", "full", "random", "urandom",
					     "tty", "ptmx", "net/tun", "fuse" };
	for (unsigned i = 0; i < ARRAY_SIZE(world); i++)
		if (!strcmp(name, world[i]))
			return 0666;
	if (!strncmp(name, "tty", 3))
		return 0620;
	return 0600;
}

/* Child of dir called name, creating it with mode if absent. [ns] held.
 * Returns a referenced dentry or NULL. */
static struct dentry *get_or_create(struct dentry *dir, const char *name, u32 mode, u64 rdev,
				    const char *target)
{
	struct dentry *d = d_lookup(dir, name, strlen(name));

	if (!IS_ERR(d))
		return d;
	if (vfs_create_in(dir, name, mode, rdev, target, &d))
		return NULL;
	d->inode->uid = d->inode->gid = 0;
	return d;
}

static void devfs_add(u32 major, u32 minor, const char *name)
{
	char comp[NAME_MAX + 1];
	struct dentry *dir = dev_sb->root, *d;
	const char *p = name;

	fs_mutex_lock(&vfs_ns_lock);
	dget(dir);
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || len > NAME_MAX)
			break;
		memcpy(comp, p, len);
		comp[len] = 0;
		if (!slash) {
			d = get_or_create(dir, comp, S_IFCHR | node_mode(name), uapi_encode_dev(major, minor), NULL);
			if (d)
				dput(d);
			break;
		}
		d = get_or_create(dir, comp, S_IFDIR | 0755, 0, NULL);
		if (!d)
			break;
		dput(dir);
		dir = d;
		p = slash + 1;
	}
	dput(dir);
	fs_mutex_unlock(&vfs_ns_lock);
}

/* The shared instance; created (and populated) on first use. */
struct super_block *devfs_sb(void)
{
	static const struct { const char *name, *target; } links[] = {
		{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	};
	struct dentry *d;

	if (dev_sb)
		return dev_sb;
	dev_sb = tmpfs_new_named("devtmpfs", 0755, TMPFS_MAGIC);
	if (!dev_sb)
		return NULL;
	dev_sb->shared = true;
	fs_mutex_lock(&vfs_ns_lock);
	if ((d = get_or_create(dev_sb->root, "shm", S_IFDIR | 01777, 0, NULL)))
		dput(d);
	if ((d = get_or_create(dev_sb->root, "pts", S_IFDIR | 0755, 0, NULL)))
		dput(d);
	for (unsigned i = 0; i < ARRAY_SIZE(links); i++)
		if ((d = get_or_create(dev_sb->root, links[i].name, S_IFLNK | 0777, 0, links[i].target)))
			dput(d);
	fs_mutex_unlock(&vfs_ns_lock);
	chrdev_for_each(devfs_add);
	chrdev_register_hook = devfs_add;
	return dev_sb;
}

static struct super_block *devfs_get_sb(const char *source, u32 flags, const void *data)
{
	struct super_block *sb = devfs_sb();
	return sb ? sb : ERR_PTR(-ENOMEM);
}

static const struct fs_type devtmpfs_type = { "devtmpfs", devfs_get_sb, true };
static const struct fs_type devfs_type = { "devfs", devfs_get_sb, true };

void devfs_register(void)
{
	register_filesystem(&devtmpfs_type);
	register_filesystem(&devfs_type);
}
