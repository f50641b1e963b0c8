/* sysfs: a small read-only tree with what user space asks for first:
 * /sys/devices/system/cpu/{online,possible,present,kernel_max} and a
 * cpuN directory per CPU (cpuN/online for N > 0, as on x86 Linux, where
 * the boot CPU cannot go offline). One shared
 * instance (a pinned tmpfs-style tree filled at creation). */
#include "../fs.h"
#include <skiff/smp.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <uapi/statfs.h>

static struct super_block *sys_sb;

/* Make dirs along path under root and a file with text at its end (text
 * NULL: path names a directory). [ns] held. */
static void add_file(const char *path, const char *text)
{
	char comp[NAME_MAX + 1];
	struct dentry *dir = sys_sb->root, *d;
	const char *p = path;

	dget(dir);
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		memcpy(comp, p, len);
		comp[len] = 0;
		d = d_lookup(dir, comp, len);
		if (IS_ERR(d)) {
			d = NULL;
			bool is_dir = slash || !text;
			if (vfs_create_in(dir, comp, is_dir ? (S_IFDIR | 0755) : (S_IFREG | 0444), 0, NULL, &d))
				break;
			d->inode->uid = d->inode->gid = 0;
			if (!is_dir) {
				struct file *f = file_alloc(d->inode->fops, O_WRONLY);
				if (f) {
					f->inode = d->inode;
					iget(d->inode);
					kernel_write(f, 0, text, strlen(text));
					f->ops = NULL;
					file_put(f);
				}
			}
		}
		dput(dir);
		dir = d;
		if (!slash)
			break;
		p = slash + 1;
	}
	if (dir)
		dput(dir);
}

static struct super_block *sysfs_get_sb(const char *source, u32 flags, const void *data)
{
	char range[32], max[16];
	unsigned n = __atomic_load_n(&nr_cpus_online, __ATOMIC_RELAXED);

	if (sys_sb)
		return sys_sb;
	sys_sb = tmpfs_new_named("sysfs", 0555, SYSFS_MAGIC);
	if (!sys_sb)
		return ERR_PTR(-ENOMEM);
	sys_sb->shared = true;
	if (n <= 1)
		snprintf(range, sizeof(range), "0\n");
	else
		snprintf(range, sizeof(range), "0-%u\n", n - 1);
	snprintf(max, sizeof(max), "%u\n", (unsigned)NR_CPUS - 1);
	fs_mutex_lock(&vfs_ns_lock);
	add_file("devices/system/cpu/online", range);
	add_file("devices/system/cpu/possible", range);
	add_file("devices/system/cpu/present", range);
	add_file("devices/system/cpu/kernel_max", max);
	for (unsigned cpu = 0; cpu < (n ? n : 1); cpu++) {
		char path[48];
		snprintf(path, sizeof(path), "devices/system/cpu/cpu%u", cpu);
		add_file(path, NULL);
		if (cpu) {
			snprintf(path, sizeof(path), "devices/system/cpu/cpu%u/online", cpu);
			add_file(path, "1\n");
		}
	}
	add_file("kernel/mm/transparent_hugepage/enabled", "always madvise [never]\n");
	fs_mutex_unlock(&vfs_ns_lock);
	sys_sb->flags |= SB_FIXED;
	return sys_sb;
}

static const struct fs_type sysfs_type = { "sysfs", sysfs_get_sb, true };

void sysfs_register(void)
{
	register_filesystem(&sysfs_type);
}
