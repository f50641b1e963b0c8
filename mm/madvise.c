/* madvise, msync, mincore and the mlock family. */
#include "uvm.h"
#include <arch/upaging.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>
#include <skiff/vfs.h>

/* [start, end) is page aligned. For each VMA piece call fn; a hole makes
 * the result -ENOMEM after the mapped parts were handled (Linux). [m] held. */
static int for_each_piece(struct mm *mm, u64 start, u64 end,
			  int (*fn)(struct mm *mm, struct vma *v, u64 s, u64 e, long arg), long arg)
{
	int hole = 0, err;
	u64 pos = start;

	while (pos < end) {
		struct vma *v = vma_find(&mm->vmas, pos);
		if (!v || v->start >= end) {
			hole = -ENOMEM;
			break;
		}
		if (v->start > pos)
			hole = -ENOMEM;
		u64 s = MAX(pos, v->start), e = MIN(end, v->end);
		err = fn(mm, v, s, e, arg);
		if (err)
			return err;
		pos = e;
	}
	return hole;
}

static int advise_check(struct mm *mm, struct vma *v, u64 s, u64 e, long adv)
{
	(void)mm, (void)s, (void)e;
	switch (adv) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
		return (v->flags & VMA_LOCKED) && adv == MADV_DONTNEED ? -EINVAL : 0;
	case MADV_FREE:
	case MADV_WIPEONFORK:
	case MADV_KEEPONFORK:
		return (v->file || v->obj) ? -EINVAL : 0;
	case MADV_REMOVE:
		if (!v->file && !v->obj)
			return -EINVAL;
		return (v->flags & VMA_SHARED) && (v->prot & PROT_WRITE) ? 0 : -EACCES;
	}
	return 0;
}

/* Set or clear VMA flags on exactly [s, e) of v (splitting it). */
static int vma_flags_range(struct mm *mm, struct vma *v, u64 s, u64 e, u32 set, u32 clear)
{
	u32 nf = (v->flags | set) & ~clear;

	if (nf == v->flags)
		return 0;
	if (v->start < s && !(v = vma_split(v, s)))
		return -ENOMEM;
	if (v->end > e && !vma_split(v, e))
		return -ENOMEM;
	v->flags = nf;
	vma_merge_around(&mm->vmas, v);
	return 0;
}

static int advise_apply(struct mm *mm, struct vma *v, u64 s, u64 e, long adv)
{
	switch (adv) {
	case MADV_DONTFORK:
		return vma_flags_range(mm, v, s, e, VMA_DONTFORK, 0);
	case MADV_DOFORK:
		return vma_flags_range(mm, v, s, e, 0, VMA_DONTFORK);
	case MADV_WIPEONFORK:
		return vma_flags_range(mm, v, s, e, VMA_WIPEONFORK, 0);
	case MADV_KEEPONFORK:
		return vma_flags_range(mm, v, s, e, 0, VMA_WIPEONFORK);
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_REMOVE:
		/* Private: the next touch sees zeroes (anonymous) or the file.
		 * Shared: the page stays in its object/file and maps again. */
		vm_zap_range(mm, s, e);
		break;
	}
	return 0;
}

static bool advice_known(long adv)
{
	switch (adv) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_DONTNEED: case MADV_FREE: case MADV_REMOVE: case MADV_DONTFORK:
	case MADV_DOFORK: case MADV_MERGEABLE: case MADV_UNMERGEABLE: case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP: case MADV_WIPEONFORK:
	case MADV_KEEPONFORK: case MADV_COLD: case MADV_PAGEOUT: case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE: case MADV_DONTNEED_LOCKED: case MADV_COLLAPSE:
		return true;
	}
	return false;
}

SYSCALL_DEFINE(28, madvise)
{
	struct mm *mm = current_mm();
	u64 start = a0, len = a1, end;
	long adv = (long)(int)a2;
	int err;

	if (!advice_known(adv))
		return adv == MADV_HWPOISON || adv == MADV_SOFT_OFFLINE ? -EPERM : -EINVAL;
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	end = start + ALIGN_UP(len, PAGE_SIZE);
	if (ALIGN_UP(len, PAGE_SIZE) < len || end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	if (adv == MADV_POPULATE_READ || adv == MADV_POPULATE_WRITE) {
		err = vm_populate(mm, start, end - start, adv == MADV_POPULATE_WRITE);
		return err == -EFAULT ? -ENOMEM : err;
	}
	spin_lock(&mm->lock);
	err = for_each_piece(mm, start, end, advise_check, adv);
	if (!err || err == -ENOMEM)
		err = for_each_piece(mm, start, end, advise_apply, adv);
	mm_unlock(mm);
	return err;
}

/* ---- msync ---- */

static int sync_check(struct mm *mm, struct vma *v, u64 s, u64 e, long flags)
{
	(void)mm, (void)s, (void)e;
	return ((flags & MS_INVALIDATE) && (v->flags & VMA_LOCKED)) ? -EBUSY : 0;
}

SYSCALL_DEFINE(26, msync)
{
	struct mm *mm = current_mm();
	u64 start = a0, len = a1, end;
	int flags = (int)a2, err;
	struct file *files[8];
	int nf = 0;

	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	end = start + len;
	if (end < start)
		return -ENOMEM;
	if (end == start)
		return 0;
	spin_lock(&mm->lock);
	err = for_each_piece(mm, start, end, sync_check, flags);
	if (!err && (flags & MS_SYNC)) {
		for (struct vma *v = vma_find(&mm->vmas, start); v && v->start < end && nf < 8;
		     v = vma_next(&mm->vmas, v)) {
			if (v->file && (v->flags & VMA_SHARED)) {
				file_get(v->file);
				files[nf++] = v->file;
			}
		}
	}
	mm_unlock(mm);
	for (int i = 0; i < nf; i++) {
		if (files[i]->ops && files[i]->ops->fsync) {
			int r = files[i]->ops->fsync(files[i], false);
			if (r && !err)
				err = r;
		}
		file_put(files[i]);
	}
	return err;
}

/* ---- mincore ---- */

SYSCALL_DEFINE(27, mincore)
{
	struct mm *mm = current_mm();
	u64 start = a0, len = a1, vec = a2;
	u8 buf[64];
	int err = 0;

	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	u64 pages = ALIGN_UP(len, PAGE_SIZE) >> PAGE_SHIFT;
	if (len && !pages)
		return -ENOMEM;
	if (!user_range_ok(vec, pages))
		return -EFAULT;
	if (start >= USER_TOP || (pages << PAGE_SHIFT) > USER_TOP - start)
		return -ENOMEM;
	for (u64 done = 0; done < pages && !err;) {
		u64 n = MIN(pages - done, sizeof(buf));
		spin_lock(&mm->lock);
		for (u64 i = 0; i < n; i++) {
			u64 va = start + ((done + i) << PAGE_SHIFT);
			struct vma *v = vma_lookup(&mm->vmas, va);
			if (!v) {
				err = -ENOMEM;
				break;
			}
			u64 *pte = upt_pte(mm->root, va, false);
			buf[i] = pte && *pte;
			if (!buf[i] && v->obj) {
				u64 idx = v->pgoff + ((va - v->start) >> PAGE_SHIFT);
				buf[i] = idx < v->obj->npages && v->obj->pages[idx];
			}
		}
		mm_unlock(mm);
		if (!err && copy_to_user((void *)(vec + done), buf, n))
			err = -EFAULT;
		done += n;
	}
	return err;
}

/* ---- mlock family: every page stays resident anyway ---- */

static long lock_range(u64 start, u64 len, bool lock)
{
	struct mm *mm = current_mm();
	u64 s = ALIGN_DOWN(start, PAGE_SIZE), e = ALIGN_UP(start + len, PAGE_SIZE);
	int err = 0;

	if (start + len < start)
		return -EINVAL;
	if (s == e)
		return 0;
	spin_lock(&mm->lock);
	for (u64 pos = s; pos < e;) {
		struct vma *v = vma_find(&mm->vmas, pos);
		if (!v || v->start > pos) {
			err = -ENOMEM;
			break;
		}
		pos = v->end;
	}
	mm_unlock(mm);
	if (!err && lock)
		vm_populate(mm, s, e - s, false);
	return err;
}

SYSCALL_DEFINE(149, mlock) { return lock_range(a0, a1, true); }
SYSCALL_DEFINE(150, munlock) { return lock_range(a0, a1, false); }
SYSCALL_DEFINE(325, mlock2)
{
	if (a2 & ~(u64)MLOCK_ONFAULT)
		return -EINVAL;
	return lock_range(a0, a1, !(a2 & MLOCK_ONFAULT));
}
SYSCALL_DEFINE(151, mlockall)
{
	if (!a0 || (a0 & ~(u64)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || a0 == MCL_ONFAULT)
		return -EINVAL;
	return 0;
}
SYSCALL_DEFINE(152, munlockall) { return 0; }
