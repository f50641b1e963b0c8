/* File system types and the mount table: mount(2), umount2(2), and the
 * text of /proc/mounts and /proc/filesystems. The table is a list in mount
 * order under vfs_ns_lock; the latest mount on a dentry hides earlier ones.
 *
 * Writers and read-only (label RO). An open for writing counts itself in
 * mount->writers, then re-reads the mount's flags (mnt_get_writer); making
 * a file system read-only sets MS_RDONLY first, then sums the writers
 * (umount_root_readonly). Both sides store before they load, with full
 * barriers, so either the opener sees MS_RDONLY (-EROFS) or the remount
 * sees the writer (-EBUSY, flags restored): never a writer on a read-only
 * mount. An opener racing with a remount that fails may get -EROFS. */
#include "../fs.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/printk.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>
#include <uapi/statfs.h>

#define MAX_FS_TYPES 16

LIST_HEAD(vfs_mounts);
struct mount *vfs_root_mount;
/* The name space's first mount (Linux's rootfs, which init_mount_tree
 * locks): umount2 refuses it with EINVAL, whatever the flags. [I] */
static struct mount *rootfs_mount;
/* Internal, in mount->flags only under vfs_ns_lock: made read-only by
 * umount_root_readonly, which has not decided yet. */
#define MNT_RO_HELD (1u << 31)
static const struct fs_type *fs_types[MAX_FS_TYPES];
static int nr_fs_types;
static u32 next_mount_id = 20;

void register_filesystem(const struct fs_type *t)
{
	if (nr_fs_types < MAX_FS_TYPES)
		fs_types[nr_fs_types++] = t;
}

const struct fs_type *fs_type_find(const char *name)
{
	for (int i = 0; i < nr_fs_types; i++)
		if (!strcmp(fs_types[i]->name, name))
			return fs_types[i];
	return NULL;
}

struct mount *mount_lookup(struct mount *mnt, struct dentry *d)
{
	struct mount *m, *found = NULL;

	/* Compared by inode: dynamic file systems (ext2, proc) make a new
	 * dentry per lookup, but keep one inode per object while referenced,
	 * and the mount's own dentry holds that reference. */
	if (!d->inode || !d->inode->mounted)
		return NULL;
	list_for_each_entry(m, &vfs_mounts, link)
		if (m->parent == mnt && (m->mountpoint == d || m->mountpoint->inode == d->inode))
			found = m;
	return found;
}

static char *kstrdup(const char *s)
{
	size_t n = strlen(s);
	char *d = kmalloc(n + 1);

	if (d)
		memcpy(d, s, n + 1);
	return d;
}

/* A mount of sb's root (or of root, for bind mounts) on mp; NULL mp makes
 * the root mount. [ns] held. */
static struct mount *mount_add(struct super_block *sb, struct dentry *root, const struct path *mp,
			       const char *source, u32 flags)
{
	struct mount *m = kzalloc(sizeof(*m));

	if (!m)
		return NULL;
	m->source = kstrdup(source ? source : "none");
	m->refcount = 1;
	m->flags = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS |
			    MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME);
	if (!(flags & (MS_NOATIME | MS_STRICTATIME)))
		m->flags |= MS_RELATIME;
	m->sb = sb;
	sb->nmounts++;
	m->root = root;
	dget(root);
	m->id = next_mount_id++;
	if (mp) {
		m->parent = mp->mnt;
		m->mountpoint = mp->dentry;
		path_get(mp);
		mp->dentry->inode->mounted++;
	}
	list_add_tail(&m->link, &vfs_mounts);
	return m;
}

int vfs_mount_root(struct super_block *sb)
{
	fs_mutex_lock(&vfs_ns_lock);
	vfs_root_mount = mount_add(sb, sb->root, NULL, "rootfs", 0);
	rootfs_mount = vfs_root_mount;
	fs_mutex_unlock(&vfs_ns_lock);
	return vfs_root_mount ? 0 : -ENOMEM;
}

/* root=/dev/vda (Linux's name_to_dev_t, for block devices by name): mount
 * the disk's file system over "/" when there is no initramfs init. As
 * Linux, the root is read-only unless the command line says "rw";
 * rootfstype= picks the type (ext2, the only disk file system). The
 * tmpfs that held the (empty) initramfs stays underneath, unreachable. */
int vfs_mount_disk_root(const char *dev, const char *fstype, bool rw)
{
	const struct fs_type *t = fs_type_find(fstype && *fstype ? fstype : "ext2");
	u32 flags = rw ? 0 : MS_RDONLY;
	struct super_block *sb;

	if (!t || !t->get_sb)
		return -ENODEV;
	if (!strncmp(dev, "/dev/", 5))
		dev += 5;
	sb = t->get_sb(dev, flags, NULL);
	if (IS_ERR(sb))
		return (int)PTR_ERR(sb);
	fs_mutex_lock(&vfs_ns_lock);
	struct mount *m = mount_add(sb, sb->root, NULL, dev, flags);
	if (m)
		vfs_root_mount = m;
	fs_mutex_unlock(&vfs_ns_lock);
	if (!m)
		return -ENOMEM;
	pr_info("vfs: mounted root %s (%s, %s)", dev, t->name, rw ? "rw" : "ro");
	return 0;
}

int vfs_mount_at(const struct path *mp, const char *type, const char *source, u32 flags, const void *data)
{
	const struct fs_type *t = fs_type_find(type);
	struct super_block *sb;
	struct mount *m;

	if (!t)
		return -ENODEV;
	if (!path_is_dir(mp))
		return -ENOTDIR;
	sb = t->get_sb(source, flags, data);
	if (IS_ERR(sb))
		return (int)PTR_ERR(sb);
	fs_mutex_lock(&vfs_ns_lock);
	if (mp->dentry->flags & D_UNLINKED) {
		fs_mutex_unlock(&vfs_ns_lock);
		return -ENOENT;
	}
	m = mount_add(sb, sb->root, mp, source, flags);
	fs_mutex_unlock(&vfs_ns_lock);
	return m ? 0 : -ENOMEM;
}

/* MS_MOVE: re-attach the mount whose root is source onto mp (switch_root
 * moves the new root onto "/"). */
static int mount_move(const char *source, const struct path *mp)
{
	struct path src;
	struct mount *m, *x;
	int err = path_lookupat(AT_FDCWD, source, LOOKUP_FOLLOW, &src);

	if (err)
		return err;
	m = src.mnt;
	fs_mutex_lock(&vfs_ns_lock);
	if (src.dentry != m->root || !m->parent) {
		err = -EINVAL;
		goto out;
	}
	for (x = mp->mnt; x; x = x->parent) {
		if (x == m) { /* onto itself or below itself */
			err = -ELOOP;
			goto out;
		}
	}
	if (!path_is_dir(mp) && S_ISDIR(m->root->inode->mode)) {
		err = -ENOTDIR;
		goto out;
	}
	struct path old = { m->parent, m->mountpoint };
	m->mountpoint->inode->mounted--;
	m->parent = mp->mnt;
	m->mountpoint = mp->dentry;
	path_get(mp);
	mp->dentry->inode->mounted++;
	list_del(&m->link);
	list_add_tail(&m->link, &vfs_mounts);
	fs_mutex_unlock(&vfs_ns_lock);
	path_put(&old);
	path_put(&src);
	return 0;
out:
	fs_mutex_unlock(&vfs_ns_lock);
	path_put(&src);
	return err;
}

static int copy_opt_string(u64 uptr, char *buf, size_t size)
{
	long n;

	if (!uptr) {
		buf[0] = 0;
		return 0;
	}
	n = strncpy_from_user(buf, (const char *)uptr, size);
	if (n == -ENAMETOOLONG)
		return -EINVAL;
	return n < 0 ? (int)n : 0;
}

SYSCALL_DEFINE(165, mount)
{
	char source[256], type[64];
	char *target, *data = NULL;
	struct path mp;
	u64 flags = a3;
	int err;

	if (vfs_fsuid() != 0)
		return -EPERM;
	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~(u64)MS_MGC_MSK;
	target = getname(a1, &err);
	if (!target)
		return err;
	err = copy_opt_string(a0, source, sizeof(source));
	if (!err && !(flags & (MS_REMOUNT | MS_BIND | MS_MOVE | MS_PRIVATE | MS_SHARED | MS_SLAVE)))
		err = copy_opt_string(a2, type, sizeof(type));
	if (!err && a4) {
		data = kmalloc(4096);
		if (!data)
			err = -ENOMEM;
		else
			err = copy_opt_string(a4, data, 4096);
	}
	if (err)
		goto out;
	err = path_lookupat(AT_FDCWD, target, LOOKUP_FOLLOW, &mp);
	if (err)
		goto out;
	if (flags & MS_REMOUNT) {
		if (mp.dentry != mp.mnt->root) {
			err = -EINVAL;
		} else {
			fs_mutex_lock(&vfs_ns_lock);
			mp.mnt->flags = (mp.mnt->flags & ~(u32)(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) |
					((u32)flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
			fs_mutex_unlock(&vfs_ns_lock);
		}
	} else if (flags & MS_BIND) {
		struct path src;
		err = path_lookupat(AT_FDCWD, source, LOOKUP_FOLLOW, &src);
		if (!err) {
			if (S_ISDIR(src.dentry->inode->mode) != path_is_dir(&mp)) {
				err = S_ISDIR(src.dentry->inode->mode) ? -ENOTDIR : -EISDIR;
			} else {
				fs_mutex_lock(&vfs_ns_lock);
				if (!mount_add(src.dentry->sb, src.dentry, &mp, source, (u32)flags))
					err = -ENOMEM;
				fs_mutex_unlock(&vfs_ns_lock);
			}
			path_put(&src);
		}
	} else if (flags & MS_MOVE) {
		err = mount_move(source, &mp);
	} else if (flags & (MS_PRIVATE | MS_SHARED | MS_SLAVE)) {
		err = 0; /* one name space, nothing propagates */
	} else {
		err = vfs_mount_at(&mp, type, source, (u32)flags, data);
	}
	path_put(&mp);
out:
	kfree(data);
	kfree(target);
	return err;
}

/* The last mount of a private pinned fs (tmpfs) went away: unlink the
 * whole tree so its memory returns once no file holds a part of it. Files
 * still open keep working on their (now unlinked) inodes. [ns] held. */
static void prune_tree(struct dentry *root)
{
	for (;;) {
		struct dentry *d = root;
		while (!list_empty(&d->children))
			d = list_first_entry(&d->children, struct dentry, sibling);
		if (d == root)
			break;
		d->inode->nlink = 0;
		d_unlink(d);
	}
}

int mnt_get_writer(struct mount *m)
{
	__atomic_fetch_add(&m->writers, 1, __ATOMIC_SEQ_CST); /* RO: store, then load */
	return (__atomic_load_n(&m->flags, __ATOMIC_SEQ_CST) & MS_RDONLY) ? -EROFS : 0;
}

void mnt_put_writer(struct mount *m)
{
	__atomic_fetch_sub(&m->writers, 1, __ATOMIC_RELEASE);
}

/* umount2 of the caller's own root mount m without MNT_DETACH: as Linux's
 * do_umount_root, the root stays and its file system becomes read-only
 * (every mount of it: the super block's flag on Linux), then is synced.
 * 0, also when it already is read-only; -EBUSY while a file on it is open
 * for writing, nothing changed. (Linux also refuses while an unlinked file
 * is still open; not tracked here.) Takes vfs_ns_lock. */
static int umount_root_readonly(struct mount *m)
{
	struct super_block *sb = m->sb;
	struct mount *x;
	s64 writers = 0;
	bool changed = false;

	fs_mutex_lock(&vfs_ns_lock);
	list_for_each_entry(x, &vfs_mounts, link) {
		if (x->sb == sb && !(x->flags & MS_RDONLY)) {
			__atomic_store_n(&x->flags, x->flags | MS_RDONLY | MNT_RO_HELD, __ATOMIC_SEQ_CST);
			changed = true;
		}
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* RO: store, then load */
	list_for_each_entry(x, &vfs_mounts, link)
		if (x->flags & MNT_RO_HELD)
			writers += __atomic_load_n(&x->writers, __ATOMIC_SEQ_CST);
	list_for_each_entry(x, &vfs_mounts, link) {
		if (x->flags & MNT_RO_HELD) {
			u32 keep = writers ? ~(MS_RDONLY | MNT_RO_HELD) : ~MNT_RO_HELD;
			__atomic_store_n(&x->flags, x->flags & keep, __ATOMIC_RELEASE);
		}
	}
	fs_mutex_unlock(&vfs_ns_lock);
	if (writers)
		return -EBUSY;
	if (changed)
		vfs_sync_all();
	return 0;
}

static bool on_list(const struct mount *m, struct list_head *h)
{
	struct mount *x;

	list_for_each_entry(x, h, link)
		if (x == m)
			return true;
	return false;
}

/* Take m and every mount below it off the table, onto gone (Linux's
 * umount_tree; without MNT_DETACH nothing is below it), and prune the trees
 * of private pinned file systems that lose their last mount and have no
 * users left. m's references besides users: the table's, the caller's
 * lookup, one per mount on it. [ns] held. */
static void umount_tree(struct mount *m, struct list_head *gone)
{
	struct mount *x, *y;
	bool more = true;

	list_del(&m->link);
	list_add_tail(&m->link, gone);
	while (more) {
		more = false;
		list_for_each_entry(x, &vfs_mounts, link) {
			if (on_list(x->parent, gone)) {
				list_del(&x->link);
				list_add_tail(&x->link, gone);
				more = true;
				break;
			}
		}
	}
	list_for_each_entry(x, gone, link) {
		s32 users = __atomic_load_n(&x->refcount, __ATOMIC_RELAXED) - 1 - (x == m);
		list_for_each_entry(y, gone, link)
			if (y->parent == x)
				users--;
		x->mountpoint->inode->mounted--;
		/* A lazily unmounted tree still in use (a chrooted process's
		 * root, a cwd) keeps working; its memory is not reclaimed. */
		if (--x->sb->nmounts == 0 && !x->sb->shared && (x->sb->flags & SB_PINNED) && !users)
			prune_tree(x->sb->root);
	}
}

/* After umount_tree, without vfs_ns_lock: drop each mount's reference to
 * its mount point and the table's reference. The mounts stay allocated
 * (their users may still hold them), off every list. */
static void umount_finish(struct list_head *gone)
{
	while (!list_empty(gone)) {
		struct mount *x = list_first_entry(gone, struct mount, link);
		struct path mp = { x->parent, x->mountpoint };

		list_del(&x->link);
		path_put(&mp);
		__atomic_fetch_sub(&x->refcount, 1, __ATOMIC_RELEASE);
	}
}

/* Drop umount2's reference to the path it looked up without clearing the
 * mount's expiry mark (Linux's mntput_no_expire). */
static void path_put_keep_mark(struct path *p)
{
	dput(p->dentry);
	__atomic_fetch_sub(&p->mnt->refcount, 1, __ATOMIC_RELEASE);
}

/* umount2(2) with Linux's checks in Linux's order (ksys_umount,
 * can_umount, do_umount): unknown flags EINVAL; the lookup's errors;
 * EPERM unless privileged; EINVAL unless the path is a mount's root, for
 * a mount detached before and for the name space's first mount; MNT_EXPIRE with MNT_FORCE/MNT_DETACH
 * or on the caller's root EINVAL, in use EBUSY, not yet marked EAGAIN
 * (marks it: a second call with no use of the mount in between unmounts);
 * the caller's root without MNT_DETACH is made read-only instead
 * (umount_root_readonly); otherwise EBUSY while mounts sit on it or it is
 * in use, unless MNT_DETACH. */
SYSCALL_DEFINE(166, umount2)
{
	int flags = (int)a1;
	struct path p, root;
	struct mount *m, *c;
	struct list_head gone;
	bool own_root, detached;
	char *name;
	int err;

	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	name = getname(a0, &err);
	if (!name)
		return err;
	err = path_lookupat(AT_FDCWD, name, (flags & UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &p);
	kfree(name);
	if (err)
		return err;
	m = p.mnt;
	if (vfs_fsuid() != 0) {
		err = -EPERM;
		goto out_put;
	}
	fs_mutex_lock(&vfs_ns_lock);
	detached = list_empty(&m->link); /* Linux's check_mnt */
	fs_mutex_unlock(&vfs_ns_lock);
	if (p.dentry != m->root || m == rootfs_mount || detached) {
		err = -EINVAL;
		goto out_put;
	}
	fs_get_root(&root);
	own_root = root.mnt == m;
	path_put_keep_mark(&root);
	if ((flags & MNT_EXPIRE) && (own_root || (flags & (MNT_FORCE | MNT_DETACH)))) {
		err = -EINVAL;
		goto out_put;
	}
	if (own_root && !(flags & MNT_DETACH)) {
		err = umount_root_readonly(m);
		goto out_put;
	}
	fs_mutex_lock(&vfs_ns_lock);
	if (!m->parent) { /* a disk root the kernel mounted: nothing to fall back on */
		err = -EBUSY;
		goto out;
	}
	if (flags & MNT_EXPIRE) {
		/* the table's reference and ours (mounts on it hold one each) */
		if (__atomic_load_n(&m->refcount, __ATOMIC_RELAXED) != 2) {
			err = -EBUSY;
			goto out;
		}
		if (!__atomic_exchange_n(&m->expiry_mark, true, __ATOMIC_RELAXED)) {
			err = -EAGAIN;
			goto out;
		}
	}
	if (!(flags & MNT_DETACH)) {
		list_for_each_entry(c, &vfs_mounts, link)
			if (c->parent == m) {
				err = -EBUSY;
				goto out;
			}
		/* the table's reference and ours */
		if (__atomic_load_n(&m->refcount, __ATOMIC_RELAXED) > 2) {
			err = -EBUSY;
			goto out;
		}
	}
	if (list_empty(&m->link)) { /* detached meanwhile */
		err = -EINVAL;
		goto out;
	}
	list_init(&gone);
	umount_tree(m, &gone);
	fs_mutex_unlock(&vfs_ns_lock);
	umount_finish(&gone);
	path_put_keep_mark(&p);
	return 0;
out:
	fs_mutex_unlock(&vfs_ns_lock);
out_put:
	path_put_keep_mark(&p);
	return err;
}

/* Escape space, tab, newline and backslash as \ooo (as /proc/mounts does). */
static int put_escaped(char *buf, size_t size, size_t pos, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\') {
			if (pos + 4 < size)
				snprintf(buf + pos, 5, "\\%03o", (unsigned char)*s);
			pos += 4;
		} else {
			if (pos + 1 < size)
				buf[pos] = *s;
			pos++;
		}
	}
	return (int)pos;
}

int mounts_text(char *buf, size_t size)
{
	struct mount *m;
	size_t pos = 0;
	char *path = kmalloc(PATH_MAX);

	if (!path)
		return -ENOMEM;
	fs_mutex_lock(&vfs_ns_lock);
	list_for_each_entry(m, &vfs_mounts, link) {
		struct path mp = { m, m->root };
		if (d_path_global(&mp, path, PATH_MAX) < 0)  /* does not sleep */
			strlcpy(path, "?", PATH_MAX);
		pos = (size_t)put_escaped(buf, size, pos, m->source);
		if (pos < size)
			buf[pos] = ' ';
		pos++;
		pos = (size_t)put_escaped(buf, size, pos, path);
		pos += (size_t)snprintf(pos < size ? buf + pos : NULL, pos < size ? size - pos : 0,
					" %s %s%s%s%s%s 0 0\n", m->sb->type,
					(m->flags & MS_RDONLY) ? "ro" : "rw",
					(m->flags & MS_NOSUID) ? ",nosuid" : "",
					(m->flags & MS_NODEV) ? ",nodev" : "",
					(m->flags & MS_NOEXEC) ? ",noexec" : "",
					(m->flags & MS_NOATIME) ? ",noatime" :
					(m->flags & MS_RELATIME) ? ",relatime" : "");
	}
	fs_mutex_unlock(&vfs_ns_lock);
	kfree(path);
	if (size)
		buf[pos < size ? pos : size - 1] = 0;
	return (int)(pos < size ? pos : size - 1);
}

/* Path of d inside its own file system ("/" for the fs root). */
static void fs_rel_path(struct dentry *d, char *out, size_t size)
{
	char tmp[256];
	size_t pos = sizeof(tmp) - 1;

	tmp[pos] = 0;
	u64 irq = spin_lock_irqsave(&d_tree_lock);
	while (d->parent != d) {
		size_t n = strlen(d->name);
		if (n + 1 > pos)
			break;
		pos -= n;
		memcpy(tmp + pos, d->name, n);
		tmp[--pos] = '/';
		d = d->parent;
	}
	spin_unlock_irqrestore(&d_tree_lock, irq);
	strlcpy(out, tmp[pos] ? tmp + pos : "/", size);
}

/* /proc/P/mountinfo (proc(5)): id, parent id, dev, root, mount point,
 * options, no optional fields, "-", type, source, super options. */
int mountinfo_text(char *buf, size_t size)
{
	struct mount *m;
	size_t pos = 0;
	char *path = kmalloc(PATH_MAX), rel[256];

	if (!path)
		return -ENOMEM;
	fs_mutex_lock(&vfs_ns_lock);
	list_for_each_entry(m, &vfs_mounts, link) {
		struct path mp = { m, m->root };
		if (d_path(&mp, path, PATH_MAX) < 0)
			strlcpy(path, "?", PATH_MAX);
		fs_rel_path(m->root, rel, sizeof(rel));
		pos += (size_t)snprintf(pos < size ? buf + pos : NULL, pos < size ? size - pos : 0,
					"%u %u 0:%u ", m->id, m->parent ? m->parent->id : 1, m->sb->dev);
		pos = (size_t)put_escaped(buf, size, pos, rel);
		if (pos < size)
			buf[pos] = ' ';
		pos++;
		pos = (size_t)put_escaped(buf, size, pos, path);
		pos += (size_t)snprintf(pos < size ? buf + pos : NULL, pos < size ? size - pos : 0,
					" %s%s%s%s%s - %s ", (m->flags & MS_RDONLY) ? "ro" : "rw",
					(m->flags & MS_NOSUID) ? ",nosuid" : "",
					(m->flags & MS_NODEV) ? ",nodev" : "",
					(m->flags & MS_NOEXEC) ? ",noexec" : "",
					(m->flags & MS_NOATIME) ? ",noatime" :
					(m->flags & MS_RELATIME) ? ",relatime" : "", m->sb->type);
		pos = (size_t)put_escaped(buf, size, pos, m->source);
		pos += (size_t)snprintf(pos < size ? buf + pos : NULL, pos < size ? size - pos : 0,
					" %s\n", (m->flags & MS_RDONLY) ? "ro" : "rw");
	}
	fs_mutex_unlock(&vfs_ns_lock);
	kfree(path);
	if (size)
		buf[pos < size ? pos : size - 1] = 0;
	return (int)(pos < size ? pos : size - 1);
}

int filesystems_text(char *buf, size_t size)
{
	size_t pos = 0;

	buf[0] = 0;
	for (int i = 0; i < nr_fs_types && pos < size; i++)
		pos += (size_t)snprintf(buf + pos, size - pos, "%s\t%s\n",
					fs_types[i]->nodev ? "nodev" : "", fs_types[i]->name);
	return (int)(pos < size ? pos : size - 1);
}

/* statfs numbers for the mount at p. */
int vfs_statfs(const struct path *p, struct statfs *st)
{
	struct super_block *sb = p->dentry->sb;
	u64 blocks = 0, bfree = 0, files = 0, ffree = 0;

	memset(st, 0, sizeof(*st));
	if (sb->ops && sb->ops->statfs)
		sb->ops->statfs(sb, &blocks, &bfree, &files, &ffree);
	st->f_type = sb->magic;
	st->f_bsize = 4096;
	st->f_frsize = 4096;
	st->f_blocks = blocks;
	st->f_bfree = bfree;
	st->f_bavail = bfree;
	st->f_files = files;
	st->f_ffree = ffree;
	st->f_fsid[0] = (s32)sb->dev;
	st->f_namelen = NAME_MAX;
	st->f_flags = ST_VALID;
	if (p->mnt) {
		u32 f = p->mnt->flags;
		if (f & MS_RDONLY) st->f_flags |= ST_RDONLY;
		if (f & MS_NOSUID) st->f_flags |= ST_NOSUID;
		if (f & MS_NODEV) st->f_flags |= ST_NODEV;
		if (f & MS_NOEXEC) st->f_flags |= ST_NOEXEC;
		if (f & MS_NOATIME) st->f_flags |= ST_NOATIME;
		if (f & MS_RELATIME) st->f_flags |= ST_RELATIME;
	}
	return 0;
}
