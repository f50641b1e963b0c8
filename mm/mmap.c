/* mmap, munmap, mprotect, mremap: vm_* entry points and their syscalls,
 * with Linux's argument checks and errno order. */
#include "uvm.h"
#include "../fs/fs.h"          /* inode->rdev: /dev/zero maps as anonymous memory */
#include <arch/upaging.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/syscall.h>
#include <skiff/task.h>
#include <skiff/uaccess.h>
#include <skiff/vfs.h>
#include <uapi/fcntl.h>
#include <uapi/stat.h>

#define MAX_MAP_COUNT 65530
#define DEV_ZERO_RDEV ((1u << 8) | 5) /* makedev(1, 5) */

#define MAP_KNOWN (MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_32BIT | MAP_GROWSDOWN | \
		   MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE |         \
		   MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_SYNC |    \
		   MAP_FIXED_NOREPLACE | MAP_UNINITIALIZED)

static bool is_dev_zero(struct file *f)
{
	return f->inode && S_ISCHR(f->inode->mode) && f->inode->rdev == DEV_ZERO_RDEV;
}

int vm_mmap(struct mm *mm, u64 addr, u64 len, int prot, int flags,
	    struct file *f, u64 off, u64 *out)
{
	u32 type = (u32)flags & MAP_TYPE, vflags = VMA_MAYWRITE;
	struct vm_object *obj = NULL;
	bool shared;
	int err;

	if (off & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!len)
		return -EINVAL;
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	if (!(flags & MAP_FIXED) && addr && addr < MMAP_MIN)
		addr = MMAP_MIN;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!len || len > USER_TOP)
		return -ENOMEM;
	if (off + len < off)
		return -EOVERFLOW;
	if (flags & MAP_FIXED) {
		if (addr > USER_TOP - len)
			return -ENOMEM;
		if (addr & (PAGE_SIZE - 1))
			return -EINVAL;
	}
	if (flags & MAP_HUGETLB)
		return -ENOMEM; /* like Linux with no huge pages reserved (nr_hugepages 0) */
	if (f && is_dev_zero(f))
		f = NULL; /* /dev/zero: anonymous memory, private or shared */
	switch (type) {
	case MAP_SHARED_VALIDATE:
		if (!f)
			return -EINVAL; /* anonymous memory takes only SHARED/PRIVATE */
		if ((flags & ~MAP_KNOWN) || (flags & MAP_SYNC)) /* no DAX here */
			return -EOPNOTSUPP;
		/* fall through */
	case MAP_SHARED:
		shared = true;
		break;
	case MAP_PRIVATE:
		shared = false;
		break;
	default:
		return -EINVAL;
	}
	if (f) {
		u32 acc = f->flags & O_ACCMODE;
		u32 mode = file_mode(f);
		if (acc == O_WRONLY || acc == 3)
			return -EACCES;
		if (shared) {
			if ((prot & PROT_WRITE) && acc != O_RDWR)
				return -EACCES;
			if (acc != O_RDWR)
				vflags &= ~VMA_MAYWRITE;
		}
		if (!S_ISREG(mode) && !S_ISBLK(mode))
			return -ENODEV;
		if (!S_ISREG(mode))
			return -ENODEV;
	}
	if (shared)
		vflags |= VMA_SHARED;
	if (flags & MAP_GROWSDOWN)
		vflags |= VMA_GROWSDOWN;
	if (flags & MAP_LOCKED)
		vflags |= VMA_LOCKED;
	if (flags & MAP_NORESERVE)
		vflags |= VMA_NORESERVE;
	if (!(flags & MAP_NORESERVE) && (shared ? !f : (prot & PROT_WRITE) != 0) &&
	    !vm_enough_memory(len >> PAGE_SHIFT))
		return -ENOMEM;
	if (shared && !f) {
		obj = vm_object_create(len >> PAGE_SHIFT);
		if (!obj)
			return -ENOMEM;
		off = 0;
	}

	spin_lock(&mm->lock);
	if (vma_count(&mm->vmas) >= MAX_MAP_COUNT) {
		err = -ENOMEM;
		goto out;
	}
	if (flags & MAP_FIXED) {
		if ((flags & MAP_FIXED_NOREPLACE) && !vma_range_free(&mm->vmas, addr, addr + len)) {
			err = -EEXIST;
			goto out;
		}
		err = vm_unmap_locked(mm, addr, addr + len);
		if (err)
			goto out;
	} else if ((flags & MAP_32BIT) && !addr) {
		addr = vma_gap_topdown(&mm->vmas, len, 0x40000000ull, 0x80000000ull);
		if (!addr) {
			err = -ENOMEM;
			goto out;
		}
	} else {
		addr = vm_get_unmapped(mm, addr, len);
		if (!addr) {
			err = -ENOMEM;
			goto out;
		}
	}
	if ((flags & MAP_GROWSDOWN) && addr + len == mm->stack_top)
		vflags |= VMA_STACK;
	err = vm_insert_vma(mm, addr, len, (u32)prot, vflags, f, obj, off >> PAGE_SHIFT, NULL);
out:
	mm_unlock(mm);
	if (obj)
		vm_object_put(obj); /* the VMA took its own reference */
	if (err)
		return err;
	if ((flags & (MAP_POPULATE | MAP_LOCKED)) && !(flags & MAP_NONBLOCK) && prot)
		vm_populate(mm, addr, len, (prot & PROT_WRITE) && !shared);
	*out = addr;
	return 0;
}

int vm_munmap(struct mm *mm, u64 addr, u64 len)
{
	int err;

	if ((addr & (PAGE_SIZE - 1)) || !len)
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!len || addr > USER_TOP || len > USER_TOP - addr)
		return -EINVAL;
	spin_lock(&mm->lock);
	err = vm_unmap_locked(mm, addr, addr + len);
	mm_unlock(mm);
	return err;
}

int vm_mprotect(struct mm *mm, u64 start, u64 len, int prot)
{
	u32 grows = (u32)prot & (PROT_GROWSDOWN | PROT_GROWSUP);
	struct vma *v;
	u64 end, nstart;
	int err = 0;

	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!len)
		return 0;
	len = ALIGN_UP(len, PAGE_SIZE);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	prot &= ~(int)grows;
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;

	spin_lock(&mm->lock);
	v = vma_find(&mm->vmas, start);
	if (!v) {
		err = -ENOMEM;
		goto out;
	}
	if (grows & PROT_GROWSDOWN) {
		if (v->start >= end) {
			err = -ENOMEM;
			goto out;
		}
		if (!(v->flags & VMA_GROWSDOWN)) {
			err = -EINVAL;
			goto out;
		}
		start = v->start;
	} else if (grows & PROT_GROWSUP) {
		err = -EINVAL;
		goto out;
	} else if (v->start > start) {
		err = -ENOMEM;
		goto out;
	}
	for (nstart = start;;) {
		if (!v || v->start > nstart) {
			err = -ENOMEM;
			break;
		}
		if ((prot & PROT_WRITE) && !(v->flags & VMA_MAYWRITE)) {
			err = -EACCES;
			break;
		}
		u64 tmp = MIN(v->end, end);
		if (v->prot != (u32)prot) {
			if (v->start < nstart && !(v = vma_split(v, nstart))) {
				err = -ENOMEM;
				break;
			}
			if (v->end > tmp && !vma_split(v, tmp)) {
				err = -ENOMEM;
				break;
			}
			v->prot = (u32)prot;
			vm_reprotect(mm, v, v->start, v->end);
			vma_merge_around(&mm->vmas, v);
		}
		nstart = tmp;
		if (nstart >= end)
			break;
		v = vma_find(&mm->vmas, nstart);
	}
out:
	mm_unlock(mm);
	return err;
}

/* ---- mremap ---- */

struct move_ctx {
	struct mm *mm;
	u64 delta;  /* new - old */
};

static void move_one(u64 *pte, u64 va, void *arg)
{
	struct move_ctx *c = arg;
	u64 *np = upt_pte(c->mm->root, va + c->delta, false);

	*np = *pte;
	__atomic_store_n(pte, 0, __ATOMIC_RELEASE);
}

/* Make sure every page table of [start, end) exists. */
static int prealloc_tables(struct mm *mm, u64 start, u64 end)
{
	for (u64 va = start; va < end; va = ALIGN_DOWN(va, 1ull << 21) + (1ull << 21))
		if (!upt_pte(mm->root, va, true))
			return -ENOMEM;
	return 0;
}

/* Move [old, old+old_len) (inside one VMA v) to [new, new+new_len), which
 * is free. [m] held. */
static int move_vma(struct mm *mm, struct vma *v, u64 old, u64 old_len, u64 new, u64 new_len,
		    bool dontunmap)
{
	int err = vma_split_range(&mm->vmas, old, old + old_len);

	if (err || (err = prealloc_tables(mm, new, new + MIN(old_len, new_len))))
		return err;
	v = vma_lookup(&mm->vmas, old);
	struct move_ctx c = { mm, new - old };
	upt_walk(mm->root, old, old + old_len, move_one, &c);
	upt_flush(mm->root, old, old_len >> PAGE_SHIFT);
	u32 flags = v->flags & ~VMA_STACK;
	list_del(&v->link); /* so that the new VMA cannot merge with it */
	err = vm_insert_vma(mm, new, new_len, v->prot, flags, v->file, v->obj, v->pgoff, NULL);
	if (err) { /* put the pages back */
		struct move_ctx back = { mm, old - new };
		upt_walk(mm->root, new, new + old_len, move_one, &back);
		vma_insert(&mm->vmas, v);
		return err;
	}
	if (dontunmap)
		vma_insert(&mm->vmas, v);
	else
		vma_free(v);
	return 0;
}

static long do_mremap(struct mm *mm, u64 addr, u64 old_len, u64 new_len, u32 flags, u64 new_addr)
{
	struct vma *v, *n;
	long ret;

	if (flags & ~(u32)(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
		return -EINVAL;
	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	old_len = ALIGN_UP(old_len, PAGE_SIZE);
	new_len = ALIGN_UP(new_len, PAGE_SIZE);
	if (!new_len)
		return -EINVAL;
	if (addr >= USER_TOP || old_len > USER_TOP - addr)
		return -EFAULT;

	spin_lock(&mm->lock);
	v = vma_lookup(&mm->vmas, addr);
	if (!v) {
		ret = -EFAULT;
		goto out;
	}
	if (old_len == 0) { /* duplicate a shared mapping: not supported */
		ret = -EINVAL;
		goto out;
	}
	if ((flags & MREMAP_DONTUNMAP) && (v->flags & VMA_SHARED)) {
		ret = -EINVAL;
		goto out;
	}
	if (flags & MREMAP_FIXED) {
		if (new_addr & (PAGE_SIZE - 1)) {
			ret = -EINVAL;
			goto out;
		}
		if (new_len > USER_TOP || new_addr > USER_TOP - new_len ||
		    (new_addr < addr + old_len && addr < new_addr + new_len)) {
			ret = -EINVAL;
			goto out;
		}
		ret = vm_unmap_locked(mm, new_addr, new_addr + new_len);
		if (!ret && old_len > new_len) {
			ret = vm_unmap_locked(mm, addr + new_len, addr + old_len);
			old_len = new_len;
		}
		if (ret)
			goto out;
		v = vma_lookup(&mm->vmas, addr);
		if (!v || old_len > v->end - addr) {
			ret = -EFAULT;
			goto out;
		}
		ret = move_vma(mm, v, addr, old_len, new_addr, new_len, flags & MREMAP_DONTUNMAP);
		ret = ret ? ret : (long)new_addr;
		goto out;
	}
	if (old_len >= new_len && !(flags & MREMAP_DONTUNMAP)) {
		ret = vm_unmap_locked(mm, addr + new_len, addr + old_len);
		ret = ret ? ret : (long)addr;
		goto out;
	}
	if (old_len > v->end - addr) {
		ret = -EFAULT;
		goto out;
	}
	n = vma_next(&mm->vmas, v);
	if (!vm_enough_memory((new_len - old_len) >> PAGE_SHIFT)) {
		ret = -ENOMEM;
		goto out;
	}
	if (!(flags & MREMAP_DONTUNMAP) && addr + old_len == v->end && addr + new_len <= USER_TOP &&
	    (!n || n->start >= addr + new_len)) {
		v->end = addr + new_len; /* grow in place */
		vma_merge_around(&mm->vmas, v);
		ret = (long)addr;
		goto out;
	}
	if (!(flags & MREMAP_MAYMOVE)) {
		ret = -ENOMEM;
		goto out;
	}
	if (!vm_enough_memory((new_len - old_len) >> PAGE_SHIFT)) {
		ret = -ENOMEM;
		goto out;
	}
	u64 to = vm_get_unmapped(mm, 0, new_len);
	if (!to) {
		ret = -ENOMEM;
		goto out;
	}
	ret = move_vma(mm, v, addr, old_len, to, new_len, flags & MREMAP_DONTUNMAP);
	ret = ret ? ret : (long)to;
out:
	mm_unlock(mm);
	return ret;
}

/* ---- syscalls ---- */

SYSCALL_DEFINE(9, mmap)
{
	u64 addr = a0, len = a1, off = a5, out = 0;
	int prot = (int)a2, flags = (int)a3, fd = (int)a4;
	struct file *f = NULL;
	int err;

	if (off & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_get(fd);
		if (!f)
			return -EBADF;
	}
	err = vm_mmap(current_mm(), addr, len, prot, flags, f, off, &out);
	if (f)
		fd_put(f);
	return err ? err : (long)out;
}

SYSCALL_DEFINE(11, munmap)
{
	return vm_munmap(current_mm(), a0, a1);
}

SYSCALL_DEFINE(10, mprotect)
{
	return vm_mprotect(current_mm(), a0, a1, (int)a2);
}

SYSCALL_DEFINE(25, mremap)
{
	return do_mremap(current_mm(), a0, a1, a2, (u32)a3, a4);
}
