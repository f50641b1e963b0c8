/* Advisory locks: POSIX record locks (owner = descriptor table, released
 * when the owner closes any descriptor of the file), open-file-description
 * locks (F_OFD_*, owner = struct file) and flock(2) locks (owner = struct
 * file, a separate name space that never conflicts with record locks).
 *
 * All lock lists hang off inodes and are protected by flock_lock; waiters
 * sleep on inode->lock_wq and re-test after every change. Deadlock
 * detection (EDEADLK) is not done. */
#include "../fs.h"
#include <skiff/mm.h>
#include <skiff/syscall.h>
#include <skiff/task.h>
#include <skiff/uaccess.h>

#define KIND_POSIX 0
#define KIND_OFD   1
#define KIND_FLOCK 2
#define OFFSET_MAX 0x7fffffffffffffffull

struct file_lock {
	struct list_head link;   /* [flock_lock] inode->locks */
	void *owner;
	s32 pid;
	int kind;
	int type;                /* F_RDLCK / F_WRLCK */
	u64 start, end;          /* inclusive */
};

static DEFINE_SPINLOCK(flock_lock);

static bool overlap(const struct file_lock *a, u64 start, u64 end)
{
	return a->start <= end && start <= a->end;
}

static bool same_space(int k1, int k2)
{
	return (k1 == KIND_FLOCK) == (k2 == KIND_FLOCK);
}

/* First lock of another owner that conflicts with the request. [flock_lock] */
static struct file_lock *find_conflict(struct inode *ino, void *owner, int kind, int type, u64 start, u64 end)
{
	struct file_lock *l;

	list_for_each_entry(l, &ino->locks, link) {
		if (!same_space(l->kind, kind) || l->owner == owner)
			continue;
		if (!overlap(l, start, end))
			continue;
		if (l->type == F_WRLCK || type == F_WRLCK)
			return l;
	}
	return NULL;
}

/* Remove owner's locks of this space in [start, end], splitting as
 * needed; *spare is a preallocated lock used for a split. [flock_lock] */
static void remove_range(struct inode *ino, void *owner, int kind, u64 start, u64 end, struct file_lock **spare)
{
	struct file_lock *l, *n;
	struct list_head *pos, *tmp;

	list_for_each_safe(pos, tmp, &ino->locks) {
		l = list_entry(pos, struct file_lock, link);
		if (l->owner != owner || !same_space(l->kind, kind) || !overlap(l, start, end))
			continue;
		if (l->start < start && l->end > end) {
			n = *spare;
			*spare = NULL;
			*n = *l;
			n->start = end + 1;
			l->end = start - 1;
			list_add(&n->link, &l->link);
		} else if (l->start < start) {
			l->end = start - 1;
		} else if (l->end > end) {
			l->start = end + 1;
		} else {
			list_del(&l->link);
			kfree(l);
		}
	}
}

/* Keep each inode's list ordered by start, so F_GETLK reports the lowest
 * conflicting range as Linux does. [flock_lock] */
static void insert_sorted(struct inode *ino, struct file_lock *nl)
{
	struct file_lock *l;

	list_for_each_entry(l, &ino->locks, link) {
		if (l->start > nl->start) {
			list_add_tail(&nl->link, &l->link); /* before l */
			return;
		}
	}
	list_add_tail(&nl->link, &ino->locks);
}

struct lock_req {
	struct inode *ino;
	void *owner;
	int kind, type;
	u64 start, end;
};

static bool no_conflict(void *arg)
{
	struct lock_req *r = arg;
	bool ok;

	spin_lock(&flock_lock);
	ok = !find_conflict(r->ino, r->owner, r->kind, r->type, r->start, r->end);
	spin_unlock(&flock_lock);
	return ok;
}

static int set_lock(struct lock_req *r, bool wait)
{
	struct file_lock *nl = kzalloc(sizeof(*nl)), *spare = kzalloc(sizeof(*spare));
	int err = 0;

	if (!nl || !spare) {
		err = -ENOLCK;
		goto out;
	}
	for (;;) {
		spin_lock(&flock_lock);
		if (r->type == F_UNLCK) {
			remove_range(r->ino, r->owner, r->kind, r->start, r->end, &spare);
			spin_unlock(&flock_lock);
			wake_up_all(&r->ino->lock_wq);
			break;
		}
		if (!find_conflict(r->ino, r->owner, r->kind, r->type, r->start, r->end)) {
			remove_range(r->ino, r->owner, r->kind, r->start, r->end, &spare);
			nl->owner = r->owner;
			nl->kind = r->kind;
			nl->type = r->type;
			nl->start = r->start;
			nl->end = r->end;
			nl->pid = current->task ? current_proc()->pid : 0;
			if (r->kind == KIND_OFD)
				nl->pid = -1;
			insert_sorted(r->ino, nl);
			nl = NULL;
			spin_unlock(&flock_lock);
			wake_up_all(&r->ino->lock_wq); /* a downgrade may unblock others */
			break;
		}
		spin_unlock(&flock_lock);
		if (!wait) {
			err = -EAGAIN;
			break;
		}
		err = vfs_wait_event(&r->ino->lock_wq, no_conflict, r, 0);
		if (err)
			break;
	}
out:
	kfree(nl);
	kfree(spare);
	return err;
}

static void remove_where(struct inode *ino, void *owner, int kind_mask)
{
	struct list_head *pos, *tmp;
	bool any = false;

	spin_lock(&flock_lock);
	list_for_each_safe(pos, tmp, &ino->locks) {
		struct file_lock *l = list_entry(pos, struct file_lock, link);
		if (l->owner == owner && ((1 << l->kind) & kind_mask)) {
			list_del(&l->link);
			kfree(l);
			any = true;
		}
	}
	spin_unlock(&flock_lock);
	if (any)
		wake_up_all(&ino->lock_wq);
}

void locks_remove_posix(struct file *f, void *owner)
{
	if (f->inode && !list_empty(&f->inode->locks))
		remove_where(f->inode, owner, 1 << KIND_POSIX);
}

void locks_remove_file(struct file *f)
{
	if (f->inode && !list_empty(&f->inode->locks))
		remove_where(f->inode, f, (1 << KIND_OFD) | (1 << KIND_FLOCK));
}

/* struct flock -> [start, end] relative to f. */
static int flock_range(struct file *f, const struct flock *fl, u64 *start, u64 *end)
{
	s64 base, s, e;

	switch (fl->l_whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (s64)f->pos; break;
	case SEEK_END: base = (s64)f->inode->size; break;
	default: return -EINVAL;
	}
	if (fl->l_start > 0 && base > (s64)OFFSET_MAX - fl->l_start)
		return -EOVERFLOW;
	s = base + fl->l_start;
	if (s < 0)
		return -EINVAL;
	if (fl->l_len > 0) {
		if (fl->l_len - 1 > (s64)OFFSET_MAX - s)
			return -EOVERFLOW;
		e = s + fl->l_len - 1;
	} else if (fl->l_len == 0) {
		e = (s64)OFFSET_MAX;
	} else {
		e = s - 1;
		s += fl->l_len;
		if (s < 0)
			return -EINVAL;
	}
	*start = (u64)s;
	*end = (u64)e;
	return 0;
}

/* fcntl F_GETLK/F_SETLK/F_SETLKW and the F_OFD_* forms. */
long fcntl_lock(struct file *f, void *files, int cmd, u64 uarg)
{
	struct flock fl;
	struct lock_req r;
	bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	int err;

	if (copy_from_user(&fl, (void *)uarg, sizeof(fl)))
		return -EFAULT;
	if (!f->inode || (f->fmode & FMODE_PATH))
		return -EBADF;
	if (ofd && fl.l_pid != 0)
		return -EINVAL;
	if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK)
		return -EINVAL;
	err = flock_range(f, &fl, &r.start, &r.end);
	if (err)
		return err;
	r.ino = f->inode;
	r.owner = ofd ? (void *)f : files;
	r.kind = ofd ? KIND_OFD : KIND_POSIX;
	r.type = fl.l_type;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		if (fl.l_type == F_UNLCK)
			return -EINVAL;
		spin_lock(&flock_lock);
		struct file_lock *c = find_conflict(r.ino, r.owner, r.kind, r.type, r.start, r.end);
		if (c) {
			fl.l_type = (s16)c->type;
			fl.l_whence = SEEK_SET;
			fl.l_start = (s64)c->start;
			fl.l_len = c->end == OFFSET_MAX ? 0 : (s64)(c->end - c->start + 1);
			fl.l_pid = c->pid;
		} else {
			fl.l_type = F_UNLCK;
		}
		spin_unlock(&flock_lock);
		return copy_to_user((void *)uarg, &fl, sizeof(fl)) ? -EFAULT : 0;
	}
	if (fl.l_type == F_RDLCK && !(f->fmode & FMODE_READ))
		return -EBADF;
	if (fl.l_type == F_WRLCK && !(f->fmode & FMODE_WRITE))
		return -EBADF;
	return set_lock(&r, cmd == F_SETLKW || cmd == F_OFD_SETLKW);
}

SYSCALL_DEFINE(73, flock)
{
	struct file *f = fd_get((int)a0);
	u32 op = (u32)a1;
	struct lock_req r;
	int err;

	if (!f)
		return -EBADF;
	if (f->fmode & FMODE_PATH || !f->inode) {
		file_put(f);
		return -EBADF;
	}
	r.ino = f->inode;
	r.owner = f;
	r.kind = KIND_FLOCK;
	r.start = 0;
	r.end = OFFSET_MAX;
	switch (op & ~(u32)LOCK_NB) {
	case LOCK_SH: r.type = F_RDLCK; break;
	case LOCK_EX: r.type = F_WRLCK; break;
	case LOCK_UN: r.type = F_UNLCK; break;
	default:
		file_put(f);
		return -EINVAL;
	}
	/* a conversion drops the old lock first, as Linux does */
	if (r.type != F_UNLCK) {
		struct lock_req un = r;
		un.type = F_UNLCK;
		if (!no_conflict(&r))
			set_lock(&un, false);
	}
	err = set_lock(&r, !(op & LOCK_NB));
	file_put(f);
	return err; /* EWOULDBLOCK == EAGAIN */
}
