/* The program break (brk(2)): an anonymous [heap] VMA from brk_start up to
 * the page-rounded break. Kernel semantics as Linux: the syscall returns the
 * new break on success and the old one on failure (glibc turns that into
 * ENOMEM). */
#include "uvm.h"
#include <skiff/errno.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>

void vm_set_brk_base(struct mm *mm, u64 base)
{
	spin_lock(&mm->lock);
	mm->brk_start = mm->brk = ALIGN_UP(base, PAGE_SIZE);
	mm_unlock(mm);
}

/* Set the break of mm to newbrk; returns the break in force afterwards. */
static u64 do_brk(struct mm *mm, u64 newbrk)
{
	u64 ret;

	spin_lock(&mm->lock);
	u64 oldbrk = mm->brk;
	u64 oldend = ALIGN_UP(oldbrk, PAGE_SIZE), newend = ALIGN_UP(newbrk, PAGE_SIZE);
	ret = oldbrk;
	if (newbrk < mm->brk_start || newbrk > USER_TOP - PAGE_SIZE)
		goto out;
	if (newend == oldend) {
		ret = mm->brk = newbrk;
	} else if (newend < oldend) {
		if (vm_unmap_locked(mm, newend, oldend) == 0)
			ret = mm->brk = newbrk;
	} else {
		/* Keep a page of gap below the next mapping, as Linux does. */
		if (!vma_range_free(&mm->vmas, oldend, newend + PAGE_SIZE) ||
		    !vm_enough_memory((newend - oldend) >> PAGE_SHIFT))
			goto out;
		if (vm_insert_vma(mm, oldend, newend - oldend, PROT_READ | PROT_WRITE,
				  VMA_HEAP | VMA_MAYWRITE, NULL, NULL, 0, NULL) == 0)
			ret = mm->brk = newbrk;
	}
out:
	mm_unlock(mm);
	return ret;
}

SYSCALL_DEFINE(12, brk)
{
	struct mm *mm = current_mm();

	if (!mm)
		return -ENOMEM;
	return (long)do_brk(mm, a0);
}
