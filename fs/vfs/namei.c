/* Path walk: absolute and relative (dirfd) paths, "." and "..", mount
 * points, symlinks (at most MAXSYMLINKS per walk, ELOOP after), trailing
 * slashes, NAME_MAX/PATH_MAX, search permission on every directory.
 *
 * The walk holds references on the path it stands on (nd->cur) and takes
 * vfs_ns_lock only around each step that reads the tree. Symlink targets
 * are read outside the lock and walked recursively from the directory that
 * holds the link; a final symlink is resolved by a loop in lookup_last. */
#include "../fs.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/uaccess.h>

struct nameidata {
	struct path cur;
	struct path root;
	int links;
	int depth;      /* nested symlinks being walked (Linux allows 8) */
	char last[NAME_MAX + 1];
	size_t last_len;
	int last_type;
	bool trailing;
	const char *last_ptr;  /* the last component inside the original string */
};

char *getname(u64 upath, int *err)
{
	char *buf = kmalloc(PATH_MAX);
	long n;

	if (!buf) {
		*err = -ENOMEM;
		return NULL;
	}
	n = strncpy_from_user(buf, (const char *)upath, PATH_MAX);
	if (n < 0) {
		kfree(buf);
		*err = (int)n;
		return NULL;
	}
	*err = 0;
	return buf;
}

int inode_permission(struct inode *ino, int mask)
{
	u32 uid = vfs_fsuid(), bits;

	mask &= 7;
	if (uid == 0) {
		if ((mask & MAY_EXEC) && !S_ISDIR(ino->mode) && !(ino->mode & 0111))
			return -EACCES;
		return 0;
	}
	if (uid == ino->uid)
		bits = ino->mode >> 6;
	else if (vfs_fsgid() == ino->gid)
		bits = ino->mode >> 3;
	else
		bits = ino->mode;
	return ((bits & (u32)mask) == (u32)mask) ? 0 : -EACCES;
}

bool path_is_dir(const struct path *p)
{
	return S_ISDIR(p->dentry->inode->mode);
}

/* Move down through every mount stacked on nd->cur. [ns] held. */
static void follow_mounts(struct path *p)
{
	struct mount *m;

	while ((m = mount_lookup(p->mnt, p->dentry))) {
		struct path np = { m, m->root };
		path_get(&np);
		path_put(p);
		*p = np;
	}
}

static void follow_dotdot(struct nameidata *nd)
{
	fs_mutex_lock(&vfs_ns_lock);
	for (;;) {
		struct path *c = &nd->cur;
		if (c->dentry == nd->root.dentry && c->mnt == nd->root.mnt)
			break;
		if (c->dentry != c->mnt->root) {
			struct dentry *parent = c->dentry->parent;
			dget(parent);
			dput(c->dentry);
			c->dentry = parent;
			follow_mounts(c);
			break;
		}
		if (!c->mnt->parent)
			break;
		struct path np = { c->mnt->parent, c->mnt->mountpoint };
		path_get(&np);
		path_put(c);
		*c = np;
	}
	fs_mutex_unlock(&vfs_ns_lock);
}

/* The child of nd->cur called name as a referenced path (mounts crossed). */
static int lookup_child(struct nameidata *nd, const char *name, size_t len, struct path *out)
{
	struct dentry *d;

	fs_mutex_lock(&vfs_ns_lock);
	d = d_lookup(nd->cur.dentry, name, len);
	if (IS_ERR(d)) {
		fs_mutex_unlock(&vfs_ns_lock);
		return (int)PTR_ERR(d);
	}
	out->mnt = nd->cur.mnt;
	out->dentry = d;
	__atomic_fetch_add(&out->mnt->refcount, 1, __ATOMIC_RELAXED);
	follow_mounts(out);
	fs_mutex_unlock(&vfs_ns_lock);
	return 0;
}

static int may_lookup(struct nameidata *nd)
{
	struct inode *ino = nd->cur.dentry->inode;

	if (!S_ISDIR(ino->mode))
		return -ENOTDIR;
	return inode_permission(ino, MAY_EXEC);
}

static int link_path_walk(struct nameidata *nd, const char *name);

/* Magic links (procfs fd/N, cwd, root): 1 and *out = the object, 0 for an
 * ordinary symlink, or -errno. */
static int try_magic(struct nameidata *nd, struct inode *ino, struct path *out)
{
	int err;

	if (!ino->iops || !ino->iops->get_link_path)
		return 0;
	if (nd->links + 1 > MAXSYMLINKS)
		return -ELOOP;
	err = ino->iops->get_link_path(ino, out);
	if (err == -EAGAIN)
		return 0;
	if (err)
		return err;
	nd->links++;
	return 1;
}
static int lookup_last(struct nameidata *nd, bool follow);

/* Read the target of the symlink at p (kmalloc'd) into *out. */
static int get_link(struct nameidata *nd, struct dentry *d, char **out)
{
	struct inode *ino = d->inode;
	char *buf;
	int n;

	if (++nd->links > MAXSYMLINKS)
		return -ELOOP;
	if (!ino->iops || !ino->iops->readlink)
		return -EINVAL;
	buf = kmalloc(PATH_MAX);
	if (!buf)
		return -ENOMEM;
	n = ino->iops->readlink(ino, buf, PATH_MAX);
	if (n < 0) {
		kfree(buf);
		return n;
	}
	if (n == 0) {
		kfree(buf);
		return -ENOENT;
	}
	*out = buf;
	return 0;
}

/* Walk the symlink target from nd->cur (the directory holding the link),
 * resolving its last component with follow; nd->cur becomes the result. */
static int follow_link(struct nameidata *nd, struct dentry *link)
{
	char *target;
	int err = get_link(nd, link, &target);

	if (err)
		return err;
	if (nd->depth >= 8) {
		kfree(target);
		return -ELOOP;
	}
	nd->depth++;
	err = link_path_walk(nd, target);
	if (!err)
		err = lookup_last(nd, true);
	nd->depth--;
	kfree(target);
	return err;
}

static void set_last(struct nameidata *nd, const char *s, size_t len, bool trailing)
{
	memcpy(nd->last, s, len);
	nd->last[len] = 0;
	nd->last_len = len;
	nd->last_ptr = s;
	nd->trailing = trailing;
	if (len == 1 && s[0] == '.')
		nd->last_type = LAST_DOT;
	else if (len == 2 && s[0] == '.' && s[1] == '.')
		nd->last_type = LAST_DOTDOT;
	else
		nd->last_type = LAST_NORM;
}

/* Walk every component of name but the last, which is left in nd->last. */
static int link_path_walk(struct nameidata *nd, const char *name)
{
	int err;

	if (*name == '/') {
		path_put(&nd->cur);
		nd->cur = nd->root;
		path_get(&nd->cur);
		while (*name == '/')
			name++;
	}
	for (;;) {
		const char *comp = name;
		size_t len = 0;

		if (*name == 0) {
			nd->last_type = LAST_ROOT;
			nd->last[0] = 0;
			nd->last_len = 0;
			nd->last_ptr = name;
			nd->trailing = false;
			return 0;
		}
		while (comp[len] && comp[len] != '/')
			len++;
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		const char *rest = comp + len;
		while (*rest == '/')
			rest++;
		if (*rest == 0) {
			set_last(nd, comp, len, rest != comp + len);
			return 0;
		}
		err = may_lookup(nd);
		if (err)
			return err;
		name = rest;
		if (len == 1 && comp[0] == '.')
			continue;
		if (len == 2 && comp[0] == '.' && comp[1] == '.') {
			follow_dotdot(nd);
			continue;
		}
		struct path child;
		err = lookup_child(nd, comp, len, &child);
		if (err)
			return err;
		struct inode *ci = child.dentry->inode;
		struct path target;
		err = S_ISLNK(ci->mode) ? try_magic(nd, ci, &target) : 0;
		if (err < 0) {
			path_put(&child);
			return err;
		}
		if (err == 1) {
			path_put(&child);
			path_put(&nd->cur);
			nd->cur = target;
		} else if (S_ISLNK(ci->mode)) {
			err = follow_link(nd, child.dentry);
			path_put(&child);
			if (err)
				return err;
		} else {
			path_put(&nd->cur);
			nd->cur = child;
		}
	}
}

/* Resolve nd->last from nd->cur; nd->cur becomes the final object. A
 * chain of final symlinks is followed iteratively (only MAXSYMLINKS bounds
 * it); symlinks inside a target nest (at most 8 deep, as Linux). */
static int lookup_last(struct nameidata *nd, bool follow)
{
	bool want_dir = nd->trailing;
	int err;

	for (;;) {
		if (nd->last_type == LAST_ROOT)
			break;
		err = may_lookup(nd);
		if (err)
			return err;
		if (nd->last_type == LAST_DOT)
			break;
		if (nd->last_type == LAST_DOTDOT) {
			follow_dotdot(nd);
			break;
		}
		struct path child;
		err = lookup_child(nd, nd->last, nd->last_len, &child);
		if (err)
			return err;
		struct inode *ci = child.dentry->inode;
		if (S_ISLNK(ci->mode) && (follow || nd->trailing)) {
			struct path target;
			err = try_magic(nd, ci, &target);
			if (err < 0) {
				path_put(&child);
				return err;
			}
			if (err == 1) {
				path_put(&child);
				path_put(&nd->cur);
				nd->cur = target;
				break;
			}
		}
		if (S_ISLNK(ci->mode) && (follow || nd->trailing)) {
			char *target;
			err = get_link(nd, child.dentry, &target);
			path_put(&child);
			if (err)
				return err;
			if (nd->depth >= 8) {
				kfree(target);
				return -ELOOP;
			}
			nd->depth++;
			err = link_path_walk(nd, target);
			nd->depth--;
			kfree(target);
			if (err)
				return err;
			follow = true;
			continue;
		}
		path_put(&nd->cur);
		nd->cur = child;
		break;
	}
	if (want_dir && !path_is_dir(&nd->cur))
		return -ENOTDIR;
	return 0;
}

/* nd->root and nd->cur for a walk of name relative to dirfd. */
static int nd_init(struct nameidata *nd, int dirfd, const struct path *base, const char *name)
{
	int err;

	nd->links = 0;
	nd->depth = 0;
	fs_get_root(&nd->root);
	if (name[0] == '/') {
		nd->cur = nd->root;
		path_get(&nd->cur);
		return 0;
	}
	if (base) {
		nd->cur = *base;
		path_get(&nd->cur);
		err = 0;
	} else {
		err = fd_to_path(dirfd, &nd->cur);
	}
	if (err) {
		path_put(&nd->root);
		return err;
	}
	if (!path_is_dir(&nd->cur)) {
		path_put(&nd->cur);
		path_put(&nd->root);
		return -ENOTDIR;
	}
	return 0;
}

int path_lookupat(int dirfd, const char *name, unsigned flags, struct path *out)
{
	return path_lookup_base(dirfd, NULL, name, flags, out);
}

int path_parentat(int dirfd, const char *name, struct path *parent, const char **last,
		  size_t *len, int *last_type, bool *trailing)
{
	return path_parent_base(dirfd, NULL, name, parent, last, len, last_type, trailing);
}

int path_lookup_base(int dirfd, const struct path *base, const char *name, unsigned flags,
		     struct path *out)
{
	struct nameidata *nd;
	int err;

	if (!*name) {
		if (!(flags & LOOKUP_EMPTY))
			return -ENOENT;
		return fd_to_path(dirfd, out);
	}
	if (strnlen(name, PATH_MAX) >= PATH_MAX)
		return -ENAMETOOLONG;
	nd = kmalloc(sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	err = nd_init(nd, dirfd, base, name);
	if (err)
		goto out_free;
	err = link_path_walk(nd, name);
	if (!err)
		err = lookup_last(nd, flags & LOOKUP_FOLLOW);
	if (!err && (nd->trailing || (flags & LOOKUP_DIRECTORY)) && !path_is_dir(&nd->cur))
		err = -ENOTDIR;
	if (err) {
		path_put(&nd->cur);
	} else {
		*out = nd->cur;
	}
	path_put(&nd->root);
out_free:
	kfree(nd);
	return err;
}

int path_parent_base(int dirfd, const struct path *base, const char *name, struct path *parent,
		     const char **last, size_t *len, int *last_type, bool *trailing)
{
	struct nameidata *nd;
	int err;

	if (!*name)
		return -ENOENT;
	if (strnlen(name, PATH_MAX) >= PATH_MAX)
		return -ENAMETOOLONG;
	nd = kmalloc(sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	err = nd_init(nd, dirfd, base, name);
	if (err)
		goto out_free;
	err = link_path_walk(nd, name);
	if (!err)
		err = may_lookup(nd);
	if (err) {
		path_put(&nd->cur);
	} else {
		*parent = nd->cur;
		*last = nd->last_ptr;
		*len = nd->last_len;
		*last_type = nd->last_type;
		*trailing = nd->trailing;
	}
	path_put(&nd->root);
out_free:
	kfree(nd);
	return err;
}

/* Does not sleep (d_tree_lock is a spinlock): file_path() is called
 * under spinlocks by exec. */
/* Build "/a/b" for p, up to root (the caller's process root unless root is
 * NULL: the global root). Unreachable paths are shown from the global root. */
static int d_path_root(const struct path *p, const struct path *root, char *buf, size_t size)
{
	char *tmp = kmalloc(PATH_MAX);
	size_t pos = PATH_MAX - 1;
	struct mount *mnt = p->mnt;
	struct dentry *d = p->dentry;
	bool deleted = (d->flags & D_UNLINKED) != 0;
	int ret;

	if (!tmp)
		return -ENOMEM;
	tmp[pos] = 0;
	u64 irq = spin_lock_irqsave(&d_tree_lock);
	for (;;) {
		if (root && d == root->dentry && mnt == root->mnt)
			break;
		if (d == mnt->root) {
			if (!mnt->parent)
				break;
			d = mnt->mountpoint;
			mnt = mnt->parent;
			continue;
		}
		size_t n = strlen(d->name);
		if (n + 1 > pos) {
			spin_unlock_irqrestore(&d_tree_lock, irq);
			kfree(tmp);
			return -ENAMETOOLONG;
		}
		pos -= n;
		memcpy(tmp + pos, d->name, n);
		tmp[--pos] = '/';
		d = d->parent;
	}
	spin_unlock_irqrestore(&d_tree_lock, irq);
	if (pos == PATH_MAX - 1)
		tmp[--pos] = '/';
	size_t len = PATH_MAX - 1 - pos;
	size_t extra = deleted ? 10 : 0;
	if (len + extra + 1 > size) {
		ret = -ENAMETOOLONG;
	} else {
		memcpy(buf, tmp + pos, len);
		if (deleted)
			memcpy(buf + len, " (deleted)", 10);
		buf[len + extra] = 0;
		ret = (int)(len + extra);
	}
	kfree(tmp);
	return ret;
}

int d_path(const struct path *p, char *buf, size_t size)
{
	struct path root;
	int ret;

	fs_get_root(&root);
	ret = d_path_root(p, &root, buf, size);
	path_put(&root);
	return ret;
}

int d_path_global(const struct path *p, char *buf, size_t size)
{
	return d_path_root(p, NULL, buf, size);
}
