/* vfs_init: register the file system types, mount the root tmpfs, unpack
 * the initramfs, and make sure /dev/console exists for init (as Linux's
 * default_rootfs does when the archive lacks it). */
#include "../fs.h"
#include <skiff/boot.h>
#include <skiff/printk.h>

struct fs_mutex vfs_ns_lock = { 0, NULL, WAIT_QUEUE_INIT(vfs_ns_lock.wq) };
static bool vfs_ready;

bool vfs_initialized(void)
{
	return vfs_ready;
}

void vfs_init(void)
{
	struct super_block *sb;
	struct path p;

	if (vfs_ready)
		return;
	tmpfs_register();
	devfs_register();
	proc_register();
	sysfs_register();
	ext2_register();
	sb = tmpfs_new_sb();
	if (!sb || vfs_mount_root(sb) < 0)
		panic("vfs: cannot create the root file system");
	vfs_ready = true;

	if (boot_info.nmodules > 0 && boot_info.modules[0].size) {
		const struct boot_module *m = &boot_info.modules[0];
		initramfs_unpack(phys_to_virt(m->start), m->size);
		/* Everything is copied into tmpfs: the archive's memory is free. */
		u64 n = page_alloc_release(m->start, m->start + m->size);
		pr_info("initramfs: freed %llu KiB", (unsigned long long)(n * PAGE_SIZE / 1024));
	} else {
		pr_info("initramfs: none (no boot module)");
	}
	if (path_lookupat(AT_FDCWD, "/dev", LOOKUP_FOLLOW, &p) == 0)
		path_put(&p);
	else
		vfs_mkdirat(AT_FDCWD, "/dev", 0755);
	if (path_lookupat(AT_FDCWD, "/dev/console", 0, &p) == 0)
		path_put(&p);
	else
		vfs_mknodat(AT_FDCWD, "/dev/console", S_IFCHR | 0600, uapi_encode_dev(5, 1));
	if (path_lookupat(AT_FDCWD, "/dev/shm", 0, &p) == 0)
		path_put(&p);
	else
		vfs_mkdirat(AT_FDCWD, "/dev/shm", 01777);
	if (path_lookupat(AT_FDCWD, "/root", 0, &p) == 0)
		path_put(&p);
	else
		vfs_mkdirat(AT_FDCWD, "/root", 0700);
	devfs_sb(); /* start mirroring registered devices */
}

