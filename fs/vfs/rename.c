/* rename(2), renameat(2), renameat2(2): RENAME_NOREPLACE and
 * RENAME_EXCHANGE; the checks of rename(2) in Linux's order. */
#include "../fs.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>

/* Is a an ancestor of (or equal to) d within one file system? [ns] held. */
static bool is_ancestor(struct dentry *a, struct dentry *d)
{
	for (;;) {
		if (d == a)
			return true;
		if (d->parent == d)
			return false;
		d = d->parent;
	}
}

static int set_name(struct dentry *d, const char *name, size_t len)
{
	char *n = kmalloc(len + 1), *old;

	if (!n)
		return -ENOMEM;
	memcpy(n, name, len);
	n[len] = 0;
	u64 irq = spin_lock_irqsave(&d_tree_lock);
	old = d->name;
	d->name = n;
	spin_unlock_irqrestore(&d_tree_lock, irq);
	kfree(old);
	return 0;
}

/* Move d under newparent as name. [ns] held. */
static void d_move(struct dentry *d, struct dentry *newparent)
{
	struct dentry *oldparent = d->parent;

	list_del(&d->sibling);
	if (oldparent != newparent) {
		dget(newparent);
		u64 irq = spin_lock_irqsave(&d_tree_lock);
		d->parent = newparent;
		spin_unlock_irqrestore(&d_tree_lock, irq);
		dput(oldparent);
	}
	d->cookie = newparent->next_cookie++;
	list_add_tail(&d->sibling, &newparent->children);
}

int vfs_renameat2(int olddirfd, const char *oldname, int newdirfd, const char *newname, u32 flags)
{
	struct path op, np;
	const char *olast, *nlast;
	size_t olen, nlen;
	int otype, ntype, err;
	bool otrail, ntrail;
	struct dentry *od = NULL, *nd = NULL;
	char ocomp[NAME_MAX + 1], ncomp[NAME_MAX + 1];

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
		return -EINVAL;
	if (flags & RENAME_WHITEOUT)
		return -EINVAL;
	err = path_parentat(olddirfd, oldname, &op, &olast, &olen, &otype, &otrail);
	if (err)
		return err;
	err = path_parentat(newdirfd, newname, &np, &nlast, &nlen, &ntype, &ntrail);
	if (err)
		goto out_op;
	err = -EXDEV;
	if (op.mnt != np.mnt)
		goto out;
	err = -EBUSY;
	if (otype != LAST_NORM)
		goto out;
	if (flags & RENAME_NOREPLACE)
		err = -EEXIST;
	if (ntype != LAST_NORM)
		goto out;
	memcpy(ocomp, olast, olen);
	ocomp[olen] = 0;
	memcpy(ncomp, nlast, nlen);
	ncomp[nlen] = 0;

	fs_mutex_lock(&vfs_ns_lock);
	od = d_lookup(op.dentry, ocomp, olen);
	if (IS_ERR(od)) {
		err = (int)PTR_ERR(od);
		od = NULL;
		goto out_unlock;
	}
	nd = d_lookup(np.dentry, ncomp, nlen);
	if (IS_ERR(nd)) {
		err = (int)PTR_ERR(nd);
		nd = NULL;
		if (err != -ENOENT || (flags & RENAME_EXCHANGE))
			goto out_unlock;
	}
	struct inode *oi = od->inode, *ni = nd ? nd->inode : NULL;
	err = -EEXIST;
	if (nd && (flags & RENAME_NOREPLACE))
		goto out_unlock;
	err = -ENOTDIR;
	if (!S_ISDIR(oi->mode) && (otrail || (ntrail && !(flags & RENAME_EXCHANGE))))
		goto out_unlock;
	if ((flags & RENAME_EXCHANGE) && ntrail && !S_ISDIR(ni->mode))
		goto out_unlock;
	err = may_delete(&op, od);
	if (!err)
		err = nd ? may_delete(&np, nd) : may_create(&np);
	if (err)
		goto out_unlock;
	if (nd && ni == oi) { /* same inode: nothing to do */
		err = 0;
		goto out_unlock;
	}
	err = -EINVAL;
	if (is_ancestor(od, np.dentry))
		goto out_unlock;
	if ((flags & RENAME_EXCHANGE) && is_ancestor(nd, op.dentry))
		goto out_unlock;
	err = -EBUSY;
	if (mounted_on(op.mnt, od) || (nd && mounted_on(np.mnt, nd)))
		goto out_unlock;
	if (nd && !(flags & RENAME_EXCHANGE)) {
		if (S_ISDIR(oi->mode)) {
			err = -ENOTDIR;
			if (!S_ISDIR(ni->mode))
				goto out_unlock;
			err = -ENOTEMPTY;
			if (!dir_empty(nd))
				goto out_unlock;
		} else if (S_ISDIR(ni->mode)) {
			err = -EISDIR;
			goto out_unlock;
		}
	}
	if (!is_pinned(&op)) {
		const struct inode_operations *ops = op.dentry->inode->iops;
		if (nd && !(flags & RENAME_EXCHANGE) && S_ISDIR(oi->mode) && ni->nlink > 2) {
			err = -ENOTEMPTY; /* a quick answer; the fs checks fully */
			goto out_unlock;
		}
		err = ops && ops->rename ? ops->rename(op.dentry->inode, ocomp, np.dentry->inode, ncomp, flags)
					 : -EPERM;
		if (!err && nd && !(flags & RENAME_EXCHANGE))
			nd->flags |= D_UNLINKED;
		goto out_unlock;
	}
	s64 now = vfs_now();
	if (flags & RENAME_EXCHANGE) {
		char *tmpname = od->name;
		struct dentry *p1 = od->parent, *p2 = nd->parent;
		u64 irq = spin_lock_irqsave(&d_tree_lock);
		od->name = nd->name;
		nd->name = tmpname;
		spin_unlock_irqrestore(&d_tree_lock, irq);
		dget(p1);
		dget(p2);
		d_move(od, p2);
		d_move(nd, p1);
		dput(p1);
		dput(p2);
		if (p1 != p2 && S_ISDIR(oi->mode) != S_ISDIR(ni->mode)) {
			if (S_ISDIR(oi->mode)) {
				p1->inode->nlink--;
				p2->inode->nlink++;
			} else {
				p2->inode->nlink--;
				p1->inode->nlink++;
			}
		}
		ni->ctime = now;
	} else {
		err = set_name(od, ncomp, nlen);
		if (err)
			goto out_unlock;
		if (nd) {
			d_unlink(nd);
			if (S_ISDIR(ni->mode)) {
				ni->nlink = 0;
				np.dentry->inode->nlink--;
			} else {
				ni->nlink--;
			}
			ni->ctime = now;
		}
		if (S_ISDIR(oi->mode) && op.dentry != np.dentry) {
			op.dentry->inode->nlink--;
			np.dentry->inode->nlink++;
		}
		d_move(od, np.dentry);
	}
	oi->ctime = now;
	op.dentry->inode->mtime = op.dentry->inode->ctime = now;
	np.dentry->inode->mtime = np.dentry->inode->ctime = now;
	err = 0;
out_unlock:
	fs_mutex_unlock(&vfs_ns_lock);
	if (od)
		dput(od);
	if (nd)
		dput(nd);
out:
	path_put(&np);
out_op:
	path_put(&op);
	return err;
}

#define GETNAME(var, uptr)                      \
	int err_##var;                          \
	char *var = getname(uptr, &err_##var);  \
	if (!var)                               \
		return err_##var

static long do_rename(int od, u64 uold, int nd, u64 unew, u32 flags)
{
	GETNAME(o, uold);
	int err;
	char *n = getname(unew, &err);
	long r;

	if (!n) {
		kfree(o);
		return err;
	}
	r = vfs_renameat2(od, o, nd, n, flags);
	kfree(o);
	kfree(n);
	return r;
}

SYSCALL_DEFINE(82, rename)
{
	return do_rename(AT_FDCWD, a0, AT_FDCWD, a1, 0);
}

SYSCALL_DEFINE(264, renameat)
{
	return do_rename((int)a0, a1, (int)a2, a3, 0);
}

SYSCALL_DEFINE(316, renameat2)
{
	return do_rename((int)a0, a1, (int)a2, a3, (u32)a4);
}

