/* Inodes, dentries, super blocks and paths: allocation and reference
 * counting (locking model in fs/fs.h). */
#include "../fs.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include <uapi/dirent.h>


static u32 next_anon_dev = 1;
/* Guards dentry name and parent changes against lock-free readers that
 * cannot sleep (d_path); writers also hold vfs_ns_lock. */
DEFINE_SPINLOCK(d_tree_lock);

s64 vfs_now(void)
{
	return (s64)clock_realtime_ns();
}

unsigned dtype_of(u32 mode)
{
	return (mode & S_IFMT) >> 12; /* DT_* are the S_IFMT nibble */
}

u64 inode_blocks(struct inode *ino)
{
	u64 b = __atomic_load_n(&ino->blocks, __ATOMIC_RELAXED);
	return b == BLOCKS_FROM_SIZE ? ALIGN_UP(ino->size, 4096ull) / 512 : b;
}

/* A super block with a fresh anonymous device number (major 0). */
struct super_block *sb_new(const char *type, const struct super_operations *ops, u32 flags, u32 magic)
{
	struct super_block *sb = kzalloc(sizeof(*sb));

	if (!sb)
		return NULL;
	sb->type = type;
	sb->ops = ops;
	sb->flags = flags;
	sb->magic = magic;
	sb->next_ino = 1;
	sb->dev = __atomic_fetch_add(&next_anon_dev, 1, __ATOMIC_RELAXED);
	return sb;
}

/* A new inode (refcount 1, nlink 1 or 2 for directories) owned by the
 * caller's credentials, with the current time. NULL on ENOMEM. */
struct inode *inode_new(struct super_block *sb, u32 mode, const struct inode_operations *iops,
			const struct file_operations *fops)
{
	struct inode *ino = kzalloc(sizeof(*ino));
	s64 now = vfs_now();

	if (!ino)
		return NULL;
	ino->refcount = 1;
	ino->mode = mode;
	ino->uid = vfs_fsuid();
	ino->gid = vfs_fsgid();
	ino->nlink = S_ISDIR(mode) ? 2 : 1;
	ino->blocks = BLOCKS_FROM_SIZE;
	ino->ino = __atomic_fetch_add(&sb->next_ino, 1, __ATOMIC_RELAXED);
	ino->atime = ino->mtime = ino->ctime = ino->btime = now;
	ino->sb = sb;
	ino->iops = iops;
	ino->fops = fops;
	fs_mutex_init(&ino->lock);
	list_init(&ino->locks);
	wait_queue_init(&ino->lock_wq);
	return ino;
}

void iget(struct inode *ino)
{
	__atomic_fetch_add(&ino->refcount, 1, __ATOMIC_RELAXED);
}

void iput(struct inode *ino)
{
	if (!ino || __atomic_sub_fetch(&ino->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (ino->sb && ino->sb->ops && ino->sb->ops->evict_inode)
		ino->sb->ops->evict_inode(ino);
	kfree(ino);
}

/* A new dentry named name[0..len) under parent (referenced), holding the
 * caller's reference to ino (may be NULL only transiently). Refcount 1. */
struct dentry *d_alloc(struct dentry *parent, const char *name, size_t len, struct inode *ino)
{
	struct dentry *d = kzalloc(sizeof(*d));

	if (!d)
		return NULL;
	d->name = kmalloc(len + 1);
	if (!d->name) {
		kfree(d);
		return NULL;
	}
	memcpy(d->name, name, len);
	d->name[len] = 0;
	d->refcount = 1;
	d->inode = ino;
	d->sb = ino ? ino->sb : parent->sb;
	list_init(&d->children);
	list_init(&d->sibling);
	d->next_cookie = 2;
	if (parent) {
		dget(parent);
		d->parent = parent;
	} else {
		d->parent = d;
	}
	return d;
}

void dget(struct dentry *d)
{
	__atomic_fetch_add(&d->refcount, 1, __ATOMIC_RELAXED);
}

void dput(struct dentry *d)
{
	while (d && __atomic_sub_fetch(&d->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
		struct dentry *parent = d->parent != d ? d->parent : NULL;
		iput(d->inode);
		kfree(d->name);
		kfree(d);
		d = parent;
	}
}

void d_link(struct dentry *d)
{
	struct dentry *p = d->parent;

	assert_fs_ns_held();
	d->cookie = p->next_cookie++;
	list_add_tail(&d->sibling, &p->children);
	dget(d); /* the tree's reference */
}

void d_unlink(struct dentry *d)
{
	assert_fs_ns_held();
	list_del(&d->sibling);
	list_init(&d->sibling);
	d->flags |= D_UNLINKED;
	dput(d);
}

struct dentry *d_lookup(struct dentry *dir, const char *name, size_t len)
{
	struct inode *dino = dir->inode;
	struct dentry *c;

	assert_fs_ns_held();
	if (dir->flags & D_UNLINKED)
		return ERR_PTR(-ENOENT);
	if (dir->sb->flags & SB_PINNED) {
		list_for_each_entry(c, &dir->children, sibling) {
			if (strlen(c->name) == len && memcmp(c->name, name, len) == 0) {
				dget(c);
				return c;
			}
		}
		return ERR_PTR(-ENOENT);
	}
	if (!dino->iops || !dino->iops->lookup)
		return ERR_PTR(-ENOENT);
	char tmp[NAME_MAX + 1];
	memcpy(tmp, name, len);
	tmp[len] = 0;
	struct inode *ino = dino->iops->lookup(dino, tmp);
	if (IS_ERR(ino))
		return (struct dentry *)ino;
	c = d_alloc(dir, name, len, ino);
	if (!c) {
		iput(ino);
		return ERR_PTR(-ENOMEM);
	}
	return c;
}

void path_get(const struct path *p)
{
	if (p->mnt)
		__atomic_fetch_add(&p->mnt->refcount, 1, __ATOMIC_RELAXED);
	if (p->dentry)
		dget(p->dentry);
}

void path_put(const struct path *p)
{
	if (p->dentry)
		dput(p->dentry);
	if (p->mnt) {
		/* a use of the mount since umount2(MNT_EXPIRE) marked it */
		if (__atomic_load_n(&p->mnt->expiry_mark, __ATOMIC_RELAXED))
			__atomic_store_n(&p->mnt->expiry_mark, false, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&p->mnt->refcount, 1, __ATOMIC_RELEASE);
	}
}

/* Pinned fs readdir: ".", "..", then linked children in creation order;
 * ctx->pos is the next child's cookie. Takes vfs_ns_lock. */
int dcache_readdir(struct file *f, struct dir_context *ctx)
{
	struct dentry *d = f->dentry, *c;

	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, d->inode->ino, DT_DIR, 1))
			return 0;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		if (!ctx->emit(ctx, "..", 2, d->parent->inode->ino, DT_DIR, 2))
			return 0;
		ctx->pos = 2;
	}
	fs_mutex_lock(&vfs_ns_lock);
	list_for_each_entry(c, &d->children, sibling) {
		if (c->cookie < ctx->pos)
			continue;
		if (!ctx->emit(ctx, c->name, strlen(c->name), c->inode->ino,
			       dtype_of(c->inode->mode), c->cookie + 1))
			break;
		ctx->pos = c->cookie + 1;
	}
	fs_mutex_unlock(&vfs_ns_lock);
	return 0;
}
