/* tmpfs: a pinned file system (the dentry tree is the directory structure,
 * fs/fs.h) whose regular files keep their data in refcounted pages. The
 * same pages back read/write and file mappings (file_get_page), so a
 * MAP_SHARED mapping and write(2) see each other's bytes.
 *
 * Page ownership: every page in a file holds one reference for the file
 * (refcount 1 when only the file has it). file_get_page adds one for the
 * mapper, who drops it with tmpfs_page_put semantics: decrement, and free
 * the page when the count reaches zero.
 *
 * Locking: inode->lock (fs_mutex) serialises read/write/truncate of one
 * file and protects size; td->lock (spinlock) protects the page table
 * itself, so the page-fault path (file_get_page) never waits for a writer
 * that is itself faulting on a user buffer. */
#include "../fs.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <uapi/statfs.h>

#define PTRS_PER_LEAF 512
#define TMPFS_MAX_SIZE (1ull << 40)

struct tmpfs_data {
	spinlock_t lock;
	struct page ***leaves;  /* [lock] top level: leaves[i] covers 512 pages */
	u64 nleaves;            /* [lock] */
};

struct tmpfs_sb {
	u64 pages;              /* [a] data pages in use */
	u64 inodes;             /* [a] */
};

static const struct inode_operations tmpfs_file_iops;
static const struct inode_operations tmpfs_dir_iops;
static const struct inode_operations tmpfs_symlink_iops;
static const struct file_operations tmpfs_dir_ops;

static void page_ref_put(struct tmpfs_sb *ts, struct page *pg)
{
	if (__atomic_sub_fetch(&pg->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		free_page(page_to_virt(pg));
	if (ts)
		__atomic_fetch_sub(&ts->pages, 1, __ATOMIC_RELAXED);
}

/* The page at index idx, referenced (refcount+1), allocating a zeroed one
 * when create; NULL if absent (hole) or on ENOMEM (*enomem set). */
static struct page *tmpfs_page(struct inode *ino, u64 idx, bool create, bool *enomem)
{
	struct tmpfs_data *td = ino->priv;
	struct tmpfs_sb *ts = ino->sb->priv;
	u64 li = idx / PTRS_PER_LEAF, slot = idx % PTRS_PER_LEAF;
	struct page *pg = NULL;
	void *fresh = NULL;

	*enomem = false;
	for (;;) {
		u64 f = spin_lock_irqsave(&td->lock);
		if (li < td->nleaves && td->leaves[li] && td->leaves[li][slot]) {
			pg = td->leaves[li][slot];
			__atomic_fetch_add(&pg->refcount, 1, __ATOMIC_RELAXED);
			spin_unlock_irqrestore(&td->lock, f);
			if (fresh)
				free_page(fresh);
			return pg;
		}
		if (!create) {
			spin_unlock_irqrestore(&td->lock, f);
			return NULL;
		}
		if (fresh && li < td->nleaves && td->leaves[li]) {
			pg = virt_to_page(fresh);
			pg->refcount = 2; /* the file's and the caller's */
			td->leaves[li][slot] = pg;
			spin_unlock_irqrestore(&td->lock, f);
			__atomic_fetch_add(&ts->pages, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&ino->blocks, PAGE_SIZE / 512, __ATOMIC_RELAXED);
			return pg;
		}
		spin_unlock_irqrestore(&td->lock, f);
		/* allocate outside the lock, then retry */
		if (li >= td->nleaves) {
			u64 n = td->nleaves ? td->nleaves : 1;
			while (n <= li)
				n *= 2;
			struct page ***nl = kzalloc(n * sizeof(*nl));
			if (!nl)
				goto nomem;
			f = spin_lock_irqsave(&td->lock);
			if (td->nleaves <= li) {
				if (td->nleaves)
					memcpy(nl, td->leaves, td->nleaves * sizeof(*nl));
				struct page ***old = td->leaves;
				td->leaves = nl;
				td->nleaves = n;
				nl = old;
			}
			spin_unlock_irqrestore(&td->lock, f);
			kfree(nl);
			continue;
		}
		if (!td->leaves[li]) {
			struct page **leaf = alloc_page_zeroed();
			if (!leaf)
				goto nomem;
			f = spin_lock_irqsave(&td->lock);
			if (!td->leaves[li]) {
				td->leaves[li] = leaf;
				leaf = NULL;
			}
			spin_unlock_irqrestore(&td->lock, f);
			if (leaf)
				free_page(leaf);
			continue;
		}
		if (!fresh) {
			fresh = alloc_page_zeroed();
			if (!fresh)
				goto nomem;
		}
	}
nomem:
	if (fresh)
		free_page(fresh);
	*enomem = true;
	return NULL;
}

static long tmpfs_read(struct file *f, struct uio *u, u64 *pos)
{
	struct inode *ino = f->inode;
	long done = 0;
	int err = 0;

	fs_mutex_lock(&ino->lock);
	while (u->len && *pos < ino->size) {
		u64 off = *pos % PAGE_SIZE;
		size_t n = MIN((u64)u->len, MIN(PAGE_SIZE - off, ino->size - *pos));
		bool enomem;
		struct page *pg = tmpfs_page(ino, *pos / PAGE_SIZE, false, &enomem);
		static const char zeros[256];
		if (pg) {
			err = uio_copy_out(u, (char *)page_to_virt(pg) + off, n);
			page_ref_put(NULL, pg);
		} else {
			size_t left = n;
			while (left && !err) {
				size_t c = MIN(left, sizeof(zeros));
				err = uio_copy_out(u, zeros, c);
				left -= c;
			}
		}
		if (err)
			break;
		*pos += n;
		done += (long)n;
	}
	ino->atime = vfs_now();
	fs_mutex_unlock(&ino->lock);
	return done ? done : err;
}

static long tmpfs_write(struct file *f, struct uio *u, u64 *pos)
{
	struct inode *ino = f->inode;
	long done = 0;
	int err = 0;

	fs_mutex_lock(&ino->lock);
	if (f->flags & O_APPEND)
		*pos = ino->size;
	if (u->len && *pos >= TMPFS_MAX_SIZE) {
		fs_mutex_unlock(&ino->lock);
		return -EFBIG;
	}
	while (u->len) {
		u64 off = *pos % PAGE_SIZE;
		size_t n = MIN((u64)u->len, PAGE_SIZE - off);
		bool enomem;
		if (*pos >= TMPFS_MAX_SIZE)
			break;
		struct page *pg = tmpfs_page(ino, *pos / PAGE_SIZE, true, &enomem);
		if (!pg) {
			err = -ENOSPC;
			break;
		}
		err = uio_copy_in(u, (char *)page_to_virt(pg) + off, n);
		page_ref_put(NULL, pg);
		if (err)
			break;
		*pos += n;
		done += (long)n;
		if (*pos > ino->size)
			ino->size = *pos;
	}
	if (done) {
		ino->mtime = ino->ctime = vfs_now();
		if (ino->mode & (S_ISUID | S_ISGID)) /* Linux drops setuid on write */
			if (vfs_fsuid() != 0)
				ino->mode &= ~(u32)(S_ISUID | S_ISGID);
	}
	fs_mutex_unlock(&ino->lock);
	return done ? done : err;
}

static int tmpfs_fsync(struct file *f, bool datasync)
{
	return 0;
}

const struct file_operations tmpfs_file_ops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
	.fsync = tmpfs_fsync,
};

static const struct file_operations tmpfs_dir_ops = {
	.fsync = tmpfs_fsync,
};

/* Drop pages at index >= first. */
static void free_pages_from(struct inode *ino, u64 first)
{
	struct tmpfs_data *td = ino->priv;
	struct tmpfs_sb *ts = ino->sb->priv;

	for (u64 li = first / PTRS_PER_LEAF; li < td->nleaves; li++) {
		struct page **leaf = td->leaves[li];
		if (!leaf)
			continue;
		for (u64 s = 0; s < PTRS_PER_LEAF; s++) {
			u64 idx = li * PTRS_PER_LEAF + s;
			if (idx < first || !leaf[s])
				continue;
			u64 f = spin_lock_irqsave(&td->lock);
			struct page *pg = leaf[s];
			leaf[s] = NULL;
			spin_unlock_irqrestore(&td->lock, f);
			if (pg) {
				page_ref_put(ts, pg);
				__atomic_fetch_sub(&ino->blocks, PAGE_SIZE / 512, __ATOMIC_RELAXED);
			}
		}
		if (li * PTRS_PER_LEAF >= first) {
			u64 f = spin_lock_irqsave(&td->lock);
			td->leaves[li] = NULL;
			spin_unlock_irqrestore(&td->lock, f);
			free_page(leaf);
		}
	}
}

/* inode->lock held. */
static int tmpfs_truncate(struct inode *ino, u64 size)
{
	if (size > TMPFS_MAX_SIZE)
		return -EFBIG;
	if (size < ino->size) {
		u64 keep = DIV_ROUND_UP(size, PAGE_SIZE);
		free_pages_from(ino, keep);
		if (size % PAGE_SIZE) {
			bool enomem;
			struct page *pg = tmpfs_page(ino, size / PAGE_SIZE, false, &enomem);
			if (pg) {
				memset((char *)page_to_virt(pg) + size % PAGE_SIZE, 0,
				       PAGE_SIZE - size % PAGE_SIZE);
				page_ref_put(NULL, pg);
			}
		}
	}
	ino->size = size;
	return 0;
}

static int tmpfs_readlink(struct inode *ino, char *buf, size_t size)
{
	const char *t = ino->priv;
	size_t n = t ? strlen(t) : 0;

	if (n + 1 > size)
		n = size - 1;
	memcpy(buf, t, n);
	buf[n] = 0;
	return (int)n;
}

static const struct inode_operations tmpfs_file_iops = {
	.truncate = tmpfs_truncate,
};
static const struct inode_operations tmpfs_dir_iops = { 0 };
static const struct inode_operations tmpfs_symlink_iops = {
	.readlink = tmpfs_readlink,
};

static struct inode *tmpfs_alloc_inode(struct super_block *sb, u32 mode)
{
	const struct inode_operations *iops = NULL;
	const struct file_operations *fops = NULL;
	struct tmpfs_data *td = NULL;
	struct inode *ino;

	switch (mode & S_IFMT) {
	case S_IFREG:
		iops = &tmpfs_file_iops;
		fops = &tmpfs_file_ops;
		td = kzalloc(sizeof(*td));
		if (!td)
			return NULL;
		spin_init(&td->lock, "tmpfs_pages");
		break;
	case S_IFDIR:
		iops = &tmpfs_dir_iops;
		fops = &tmpfs_dir_ops;
		break;
	case S_IFLNK:
		iops = &tmpfs_symlink_iops;
		break;
	default:
		break;
	}
	ino = inode_new(sb, mode, iops, fops);
	if (!ino) {
		kfree(td);
		return NULL;
	}
	if (td)
		ino->priv = td;
	ino->blocks = 0;
	if (sb->priv)
		__atomic_fetch_add(&((struct tmpfs_sb *)sb->priv)->inodes, 1, __ATOMIC_RELAXED);
	return ino;
}

static void tmpfs_evict(struct inode *ino)
{
	if (S_ISREG(ino->mode) && ino->priv) {
		struct tmpfs_data *td = ino->priv;
		free_pages_from(ino, 0);
		kfree(td->leaves);
		kfree(td);
	} else if (S_ISLNK(ino->mode)) {
		kfree(ino->priv);
	}
	if (S_ISFIFO(ino->mode))
		pipe_inode_release(ino);
	if (ino->sb->priv)
		__atomic_fetch_sub(&((struct tmpfs_sb *)ino->sb->priv)->inodes, 1, __ATOMIC_RELAXED);
}

static void tmpfs_statfs(struct super_block *sb, u64 *blocks, u64 *bfree, u64 *files, u64 *ffree)
{
	struct tmpfs_sb *ts = sb->priv;
	u64 total = mm_total_pages() / 2;
	u64 used = __atomic_load_n(&ts->pages, __ATOMIC_RELAXED);

	*blocks = total;
	*bfree = used < total ? total - used : 0;
	*files = mm_total_pages() / 2;
	*ffree = *files - MIN(*files, __atomic_load_n(&ts->inodes, __ATOMIC_RELAXED));
}

static const struct super_operations tmpfs_sops = {
	.alloc_inode = tmpfs_alloc_inode,
	.evict_inode = tmpfs_evict,
	.statfs = tmpfs_statfs,
};

static struct super_block *tmpfs_make_sb(const char *type, u32 root_mode, u32 magic)
{
	struct super_block *sb = sb_new(type, &tmpfs_sops, SB_PINNED, magic);
	struct inode *root;

	if (!sb)
		return NULL;
	sb->priv = kzalloc(sizeof(struct tmpfs_sb));
	root = tmpfs_alloc_inode(sb, S_IFDIR | root_mode);
	if (!sb->priv || !root) {
		kfree(sb->priv);
		kfree(sb);
		return NULL;
	}
	root->uid = root->gid = 0;
	sb->root = d_alloc(NULL, "/", 1, root);
	if (!sb->root) {
		iput(root);
		kfree(sb->priv);
		kfree(sb);
		return NULL;
	}
	return sb;
}

struct super_block *tmpfs_new_sb(void)
{
	return tmpfs_make_sb("rootfs", 0755, TMPFS_MAGIC);
}

/* Exported for devfs and sysfs, which are tmpfs with other names. */
struct super_block *tmpfs_new_named(const char *type, u32 root_mode, u32 magic)
{
	return tmpfs_make_sb(type, root_mode, magic);
}

/* "mode=0755" in the option string, else def. */
static u32 parse_mode(const char *data, u32 def)
{
	const char *p = data;

	while (p && *p) {
		if (!strncmp(p, "mode=", 5)) {
			char *end;
			u32 m = (u32)strtoull(p + 5, &end, 8);
			return m & 07777;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return def;
}

static struct super_block *tmpfs_get_sb(const char *source, u32 flags, const void *data)
{
	struct super_block *sb = tmpfs_make_sb("tmpfs", parse_mode(data, 01777), TMPFS_MAGIC);
	return sb ? sb : ERR_PTR(-ENOMEM);
}

static const struct fs_type tmpfs_type = { "tmpfs", tmpfs_get_sb, true };

void tmpfs_register(void)
{
	register_filesystem(&tmpfs_type);
}

/* ---- the page cache entry point for mmap ---- */

struct page *file_get_page(struct file *f, u64 pgoff, int *err)
{
	struct inode *ino = f->inode;
	struct page *pg;
	bool enomem;

	if (!ino || (!S_ISREG(ino->mode))) {
		*err = -ENODEV;
		return NULL;
	}
	if (pgoff >= DIV_ROUND_UP(ino->size, PAGE_SIZE)) {
		*err = -EFAULT; /* beyond EOF: SIGBUS for the mapper */
		return NULL;
	}
	if (ino->fops == &tmpfs_file_ops) {
		pg = tmpfs_page(ino, pgoff, true, &enomem);
		if (!pg)
			*err = -ENOMEM;
		return pg;
	}
	/* Other files: a private snapshot of the bytes. */
	void *va = alloc_page_zeroed();
	if (!va) {
		*err = -ENOMEM;
		return NULL;
	}
	long n = kernel_read(f, pgoff * PAGE_SIZE, va, PAGE_SIZE);
	if (n < 0) {
		free_page(va);
		*err = (int)n;
		return NULL;
	}
	pg = virt_to_page(va);
	pg->refcount = 1;
	return pg;
}
