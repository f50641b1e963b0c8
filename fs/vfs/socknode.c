/* File-system names of AF_UNIX sockets (bind/connect of a path; net/unix).
 *
 * A socket bound to a path owns a struct sock_node: a referenced path to
 * the S_IFSOCK node bind created, so the inode stays in memory (tmpfs
 * dentries, the ext2 inode cache) and every later lookup of that name
 * finds the same struct inode. net/unix keys its table of bound sockets by
 * that inode (vfs_sock_node_key). Unlinking the name does not unbind the
 * socket; a new bind at the same name makes a new inode, as on Linux.
 *
 * Locking: the name-space change takes vfs_ns_lock like mknod(2) does
 * (namei_ops.c); the node itself is immutable once made. */
#include "../fs.h"
#include <skiff/mm.h>
#include <skiff/string.h>

struct sock_node {
	struct path path;
};

int vfs_sock_mknod(const char *name, u32 perm, struct sock_node **out)
{
	struct sock_node *n = kzalloc(sizeof(*n));
	int err;

	if (!n)
		return -ENOMEM;
	err = vfs_create_at(AT_FDCWD, name, S_IFSOCK | (perm & 07777 & ~fs_umask()), 0, NULL, &n->path);
	if (err) {
		kfree(n);
		return err;
	}
	*out = n;
	return 0;
}

int vfs_sock_lookup(const char *name, struct sock_node **out)
{
	struct sock_node *n = kzalloc(sizeof(*n));
	int err;

	if (!n)
		return -ENOMEM;
	err = path_lookupat(AT_FDCWD, name, LOOKUP_FOLLOW, &n->path);
	if (err)
		goto out_free;
	err = inode_permission(n->path.dentry->inode, MAY_WRITE);
	if (err)
		goto out_put;
	if (!S_ISSOCK(n->path.dentry->inode->mode)) {
		err = -ECONNREFUSED;
		goto out_put;
	}
	*out = n;
	return 0;
out_put:
	path_put(&n->path);
out_free:
	kfree(n);
	return err;
}

const void *vfs_sock_node_key(const struct sock_node *n)
{
	return n->path.dentry->inode;
}

void vfs_sock_node_put(struct sock_node *n)
{
	if (!n)
		return;
	path_put(&n->path);
	kfree(n);
}

void vfs_sock_node_unlink(struct sock_node *n, const char *name)
{
	/* Only if name still names the node this bind made. */
	struct path p;

	if (path_lookupat(AT_FDCWD, name, 0, &p))
		return;
	bool same = p.dentry->inode == n->path.dentry->inode;
	path_put(&p);
	if (same)
		vfs_unlinkat(AT_FDCWD, name, 0);
}
