/* umount2(2) as Linux answers it (ksys_umount, can_umount, do_umount):
 *   - the name space's first mount (the initramfs root) is locked: EINVAL
 *     whatever the flags; a path that is not a mount's root, or a mount
 *     already detached (MNT_DETACH) from the name space: EINVAL;
 *     unknown flags EINVAL before the lookup, EPERM for the unprivileged
 *     after it;
 *   - the caller's own root (a disk root, or a mount it chrooted to) is not
 *     unmounted without MNT_DETACH: its file system is made read-only
 *     instead, refused with EBUSY while a file on it is open for writing;
 *   - MNT_EXPIRE: EINVAL on the caller's root or with MNT_FORCE/MNT_DETACH,
 *     EBUSY in use, EAGAIN the first time (it marks the mount), unmounts on
 *     a second call when nothing used the mount in between. */
#include "t.h"
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#define TMPFS_MAGIC 0x01021994
#define RAMFS_MAGIC 0x858458f6

#define DIR_ROOT "/tmp/t_mount_root"
#define DIR_EXP "/tmp/t_mount_exp"
#define DIR_PLAIN "/tmp/t_mount_plain"

/* Create and remove a file in dir: 0 or the errno of the create. */
static int probe_create(const char *dir)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/.probe", dir);
	int fd = open(p, O_CREAT | O_WRONLY, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	unlink(p);
	return 0;
}

/* Is dir listed as a mount point in /proc/self/mounts, and read-only? */
static int mounted(const char *dir, int *ro)
{
	char line[512], want[256];
	snprintf(want, sizeof(want), " %s ", dir);
	FILE *f = fopen("/proc/self/mounts", "r");
	int found = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char *at = strstr(line, want);
		if (!at)
			continue;
		found = 1;
		char type[64], opts[256];
		if (ro && sscanf(at + strlen(want), "%63s %255s", type, opts) == 2)
			*ro = !strncmp(opts, "ro", 2) && (opts[2] == ',' || !opts[2]);
	}
	if (f)
		fclose(f);
	return found;
}

static void t_root(void)
{
	struct statfs sf;
	CHECK_RET(statfs("/", &sf), 0, 0);
	if (sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC) {
		/* The initramfs: the name space's first mount. */
		CHECK_RET(umount("/"), -1, EINVAL);
		CHECK_RET(umount2("/", 0), -1, EINVAL);
		CHECK_RET(umount2("/", MNT_DETACH), -1, EINVAL);
		CHECK_RET(umount2("/", MNT_FORCE), -1, EINVAL);
		CHECK_RET(umount2("/", MNT_EXPIRE), -1, EINVAL);
		CHECK_RET(umount2("/", MNT_EXPIRE | MNT_DETACH), -1, EINVAL);
		CHECK_RET(umount2("/proc/..", 0), -1, EINVAL);
		CHECK_EQ(probe_create("/tmp"), 0);
	} else {
		/* A disk root: ours, so it would be made read-only, but a
		 * file open for writing on it keeps it writable. */
		int w = open("/.t_mount_w", O_CREAT | O_WRONLY | O_TRUNC, 0644);
		if (w >= 0) {
			CHECK_RET(umount2("/", 0), -1, EBUSY);
			CHECK_RET(umount2("/", MNT_EXPIRE), -1, EINVAL);
			CHECK_RET(write(w, "x", 1), 1, 0);
			close(w);
			unlink("/.t_mount_w");
		} else {
			printf("t_mount: / is read-only, own-root checks skipped\n");
		}
	}
	CHECK_RET(umount2("/", 0x100), -1, EINVAL);
	CHECK_RET(umount2("/no/such/mount", MNT_EXPIRE | MNT_DETACH), -1, ENOENT);
	CHECK_RET(umount2("", 0), -1, ENOENT);
	CHECK_RET(umount2(BAD_PTR(1), 0), -1, EFAULT);
	mkdir(DIR_PLAIN, 0755);
	CHECK_RET(umount2(DIR_PLAIN, 0), -1, EINVAL); /* not a mount point */
	CHECK_RET(umount2(DIR_PLAIN, MNT_DETACH), -1, EINVAL);
}

static void unprivileged(void)
{
	CHECK_RET(setuid(65534), 0, 0);
	CHECK_RET(umount2("/no/such/mount", 0), -1, ENOENT); /* lookup first */
	CHECK_RET(umount2("/", 0), -1, EPERM);
	CHECK_RET(umount2(DIR_PLAIN, 0), -1, EPERM);         /* before "not mounted" */
	CHECK_RET(umount2("/", 0x100), -1, EINVAL);          /* flags before all */
}

/* In a child chrooted to DIR_ROOT, a tmpfs: the caller's root. */
static void chrooted_umount(void)
{
	CHECK_RET(chroot(DIR_ROOT), 0, 0);
	CHECK_RET(chdir("/"), 0, 0);
	CHECK_RET(umount2("/", MNT_EXPIRE), -1, EINVAL);
	CHECK_RET(umount2("/sub", 0), -1, EINVAL);
	/* A file open for writing: EBUSY, and nothing changed. */
	int w = open("/w", O_CREAT | O_WRONLY, 0644);
	CHECK(w >= 0);
	CHECK_RET(umount2("/", 0), -1, EBUSY);
	CHECK_EQ(probe_create("/"), 0);
	CHECK_RET(write(w, "abc", 3), 3, 0);
	close(w);
	/* Open for reading only: no obstacle. The root stays, read-only. */
	int r = open("/w", O_RDONLY);
	CHECK(r >= 0);
	CHECK_RET(umount2("/", 0), 0, 0);
	CHECK_EQ(probe_create("/"), EROFS);
	CHECK_RET(mkdir("/d", 0755), -1, EROFS);
	CHECK_RET(open("/w", O_WRONLY), -1, EROFS);
	char buf[8] = "";
	CHECK_RET(read(r, buf, sizeof(buf)), 3, 0);
	close(r);
	CHECK_RET(access("/sub", F_OK), 0, 0);
	CHECK_RET(umount2("/", 0), 0, 0); /* already read-only */
}

/* In a child chrooted to DIR_ROOT: MNT_DETACH does unmount one's root. */
static void chrooted_detach(void)
{
	CHECK_RET(chroot(DIR_ROOT), 0, 0);
	CHECK_RET(chdir("/"), 0, 0);
	CHECK_RET(umount2("/", MNT_DETACH), 0, 0);
	CHECK_RET(access("/sub", F_OK), 0, 0); /* still our root */
	CHECK_EQ(probe_create("/"), 0);
	/* Detached: in no name space any more, so not ours to unmount. */
	CHECK_RET(umount2("/", MNT_DETACH), -1, EINVAL);
	CHECK_RET(umount2("/", 0), -1, EINVAL);
	CHECK_EQ(probe_create("/"), 0);
}

static void t_own_root(void)
{
	int st, ro = -1;
	mkdir(DIR_ROOT, 0755);
	CHECK_RET(mount("none", DIR_ROOT, "tmpfs", 0, NULL), 0, 0);
	CHECK_RET(mkdir(DIR_ROOT "/sub", 0755), 0, 0);
	st = t_in_child(chrooted_umount);
	CHECK_EXITED(st, 0);
	/* Still mounted, now read-only for everyone. */
	CHECK(mounted(DIR_ROOT, &ro));
	CHECK_EQ(ro, 1);
	CHECK_EQ(probe_create(DIR_ROOT), EROFS);
	CHECK_RET(mount(NULL, DIR_ROOT, NULL, MS_REMOUNT, NULL), 0, 0);
	CHECK_EQ(probe_create(DIR_ROOT), 0);
	st = t_in_child(chrooted_detach);
	CHECK_EXITED(st, 0);
	CHECK(!mounted(DIR_ROOT, NULL));
	CHECK_RET(umount2(DIR_ROOT, 0), -1, EINVAL);
	CHECK_RET(rmdir(DIR_ROOT), 0, 0);
}

static void t_expire(void)
{
	struct stat sb;
	mkdir(DIR_EXP, 0755);
	CHECK_RET(mount("none", DIR_EXP, "tmpfs", 0, NULL), 0, 0);
	CHECK_RET(umount2(DIR_EXP, MNT_EXPIRE | MNT_DETACH), -1, EINVAL);
	CHECK_RET(umount2(DIR_EXP, MNT_EXPIRE | MNT_FORCE), -1, EINVAL);
	CHECK_RET(umount2(DIR_EXP, MNT_EXPIRE), -1, EAGAIN);
	CHECK_RET(umount2(DIR_EXP, MNT_EXPIRE), 0, 0);
	CHECK(!mounted(DIR_EXP, NULL));
	CHECK_RET(umount2(DIR_EXP, MNT_EXPIRE), -1, EINVAL);

	/* A use of the mount in between takes the mark away. */
	CHECK_RET(mount("none", DIR_EXP, "tmpfs", 0, NULL), 0, 0);
	CHECK_RET(umount2(DIR_EXP, MNT_EXPIRE), -1, EAGAIN);
	CHECK_RET(stat(DIR_EXP "/.", &sb), 0, 0);
	CHECK_RET(umount2(DIR_EXP, MNT_EXPIRE), -1, EAGAIN);
	CHECK_RET(umount2(DIR_EXP, MNT_EXPIRE), 0, 0);

	/* In use: an open file, a mount on it. */
	CHECK_RET(mount("none", DIR_EXP, "tmpfs", 0, NULL), 0, 0);
	int fd = open(DIR_EXP "/f", O_CREAT | O_RDONLY, 0644);
	CHECK(fd >= 0);
	CHECK_RET(umount2(DIR_EXP, MNT_EXPIRE), -1, EBUSY);
	CHECK_RET(umount2(DIR_EXP, 0), -1, EBUSY);
	close(fd);
	CHECK_RET(mkdir(DIR_EXP "/in", 0755), 0, 0);
	CHECK_RET(mount("none", DIR_EXP "/in", "tmpfs", 0, NULL), 0, 0);
	CHECK_RET(umount2(DIR_EXP, MNT_EXPIRE), -1, EBUSY);
	CHECK_RET(umount2(DIR_EXP, 0), -1, EBUSY);
	CHECK_RET(umount2(DIR_EXP "/in", 0), 0, 0);
	CHECK_RET(umount2(DIR_EXP, 0), 0, 0);

	/* MNT_DETACH takes the mounts on it along. */
	CHECK_RET(mount("none", DIR_EXP, "tmpfs", 0, NULL), 0, 0);
	CHECK_RET(mkdir(DIR_EXP "/in", 0755), 0, 0);
	CHECK_RET(mount("none", DIR_EXP "/in", "tmpfs", 0, NULL), 0, 0);
	CHECK_RET(umount2(DIR_EXP, MNT_DETACH), 0, 0);
	CHECK(!mounted(DIR_EXP, NULL));
	CHECK(!mounted(DIR_EXP "/in", NULL));
	CHECK_RET(umount2(DIR_EXP, 0), -1, EINVAL);
	CHECK_RET(rmdir(DIR_EXP), 0, 0);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("t_mount: skipped, not root\n");
		return t_done();
	}
	t_root();
	CHECK_EXITED(t_in_child(unprivileged), 0);
	t_own_root();
	t_expire();
	rmdir(DIR_PLAIN);
	return t_done();
}
