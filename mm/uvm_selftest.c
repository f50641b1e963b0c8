/* User-memory self-test (skiff.selftest=uvm). In a kernel thread pinned to
 * one CPU: build an mm, map anonymous memory, touch it through the uaccess
 * routines (demand faults through page_fault_hook), fork and check
 * copy-on-write with page refcounts, shared anonymous memory across fork,
 * mprotect splits and write protection, mremap moves, futex keys, munmap
 * and mm_put returning every page. */
#include "uvm.h"
#include <arch/upaging.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/sched.h>
#include <skiff/selftest.h>
#include <skiff/string.h>
#include <skiff/uaccess.h>
#include <skiff/vfs.h>
#include <uapi/fcntl.h>
#include "../fs/fs.h"   /* vfs_truncate_inode, to drive vm_truncate_file */

extern u64 arch_kernel_cr3(void);

#define A 0x10000000ull
#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			pr_err("uvm selftest: line %d: %s", __LINE__, #c);    \
			return -1;                                            \
		}                                                             \
	} while (0)

static struct page *page_at(struct mm *mm, u64 va)
{
	u64 *pte = upt_pte(mm->root, va, false);
	return pte && *pte ? pfn_to_page(upt_pa(*pte) >> PAGE_SHIFT) : NULL;
}

static int use(struct mm *mm)
{
	vm_test_mm = mm;
	mm_activate(mm);
	return 0;
}

/* Shared and private mappings of a tmpfs file: write() and the map see each
 * other, private copies stay private, truncation unmaps (SIGBUS). */
static int file_part(struct mm *mm)
{
	static char page[PAGE_SIZE];
	struct file *f = vfs_open("/.uvm-selftest", O_RDWR | O_CREAT | O_TRUNC, 0600);
	u64 sh, pr, pos = 0;
	u32 w = 0;
	int err = -1;

	if (IS_ERR(f) || !f) {
		pr_info("uvm selftest: no writable root file system, file part skipped");
		return 0;
	}
	memset(page, 'x', sizeof(page));
	for (int i = 0; i < 2; i++) {
		struct uio u = { page, PAGE_SIZE, false };
		if (f->ops->write(f, &u, &pos) != PAGE_SIZE)
			goto out;
	}
	if (vm_mmap(mm, 0, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0, &sh) ||
	    vm_mmap(mm, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, f, 0, &pr))
		goto out;
	if (get_user_u32(&w, (void *)(sh + PAGE_SIZE)) || w != 0x78787878)
		goto out;
	if (vm_fault_in(mm, sh + 2 * PAGE_SIZE, false, false) != -EIO) /* past EOF */
		goto out;
	if (put_user_u32(0x41414141, (void *)sh) || kernel_read(f, 0, &w, 4) != 4 || w != 0x41414141)
		goto out;
	if (get_user_u32(&w, (void *)pr) || w != 0x41414141)  /* not yet copied */
		goto out;
	if (put_user_u32(0x42424242, (void *)pr) || kernel_read(f, 0, &w, 4) != 4 || w != 0x41414141)
		goto out;
	if (put_user_u32(0x43434343, (void *)(pr + PAGE_SIZE)))
		goto out;
	if (vfs_truncate_inode(f->inode, PAGE_SIZE))
		goto out;
	vm_truncate_file(f->inode, PAGE_SIZE);
	if (vm_fault_in(mm, sh + PAGE_SIZE, false, false) != -EIO ||
	    vm_fault_in(mm, pr + PAGE_SIZE, false, false) != -EIO)
		goto out;
	if (get_user_u32(&w, (void *)pr) || w != 0x42424242 || get_user_u32(&w, (void *)sh) || w != 0x41414141)
		goto out;
	u64 key[2];
	if (vm_futex_key(mm, sh + 4, true, key) || key[0] != (u64)(uintptr_t)f->inode || key[1] != 4 ||
	    vm_futex_key(mm, sh + PAGE_SIZE, true, key) != -EFAULT)
		goto out;
	if (vm_munmap(mm, sh, 3 * PAGE_SIZE) || vm_munmap(mm, pr, 2 * PAGE_SIZE))
		goto out;
	err = 0;
out:
	if (err)
		pr_err("uvm selftest: file mapping part failed");
	vfs_truncate_inode(f->inode, 0);
	file_put(f);
	return err;
}

static int body(void)
{
	struct mm *mm, *child;
	u64 out, v = 0;
	u64 free0 = mm_free_pages();

	mm = mm_create();
	CHECK(mm);
	use(mm);
	/* Anonymous private memory, demand-zero. */
	CHECK(vm_mmap(mm, A, 64 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		      NULL, 0, &out) == 0 && out == A);
	CHECK(page_at(mm, A) == NULL);
	CHECK(get_user_u64(&v, (void *)(A + 8)) == 0 && v == 0);
	CHECK(put_user_u64(0x1122334455667788ull, (void *)(A + 8)) == 0);
	CHECK(get_user_u64(&v, (void *)(A + 8)) == 0 && v == 0x1122334455667788ull);
	CHECK(page_at(mm, A) && page_at(mm, A)->refcount == 1);
	CHECK(clear_user((void *)(A + PAGE_SIZE), 3 * PAGE_SIZE) == 0);
	/* Unmapped, kernel and wrapping addresses. */
	CHECK(get_user_u64(&v, (void *)(A - PAGE_SIZE)) == -EFAULT);
	CHECK(get_user_u64(&v, (void *)0xffff888000000000ull) == -EFAULT);
	CHECK(copy_to_user((void *)(A + 63 * PAGE_SIZE), &v, 2 * PAGE_SIZE) == -EFAULT);
	CHECK(vm_fault_in(mm, A - PAGE_SIZE, false, false) == -EFAULT);
	/* Non-fixed mappings land in the top-down area and do not overlap. */
	u64 b1, b2;
	CHECK(vm_mmap(mm, 0, 3 * PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0, &b1) == 0);
	CHECK(vm_mmap(mm, 0, 3 * PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0, &b2) == 0);
	CHECK(b1 < MMAP_BASE && b2 + 3 * PAGE_SIZE <= b1);
	CHECK(vm_mmap(mm, A, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, NULL, 0,
		      &out) == -EEXIST);
	CHECK(vm_mmap(mm, A + 1, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0,
		      &out) == -EINVAL);
	CHECK(vm_mmap(mm, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0, &out) == -EINVAL);
	CHECK(vm_mmap(mm, 0, PAGE_SIZE, PROT_READ, MAP_ANONYMOUS, NULL, 0, &out) == -EINVAL);
	CHECK(copy_to_user((void *)b1, &v, 8) == -EFAULT); /* PROT_READ */
	CHECK(vm_fault_in(mm, b1, true, false) == -EACCES);

	/* mprotect splits; the middle page becomes read-only. */
	CHECK(vm_mprotect(mm, A + 4 * PAGE_SIZE, PAGE_SIZE, PROT_READ) == 0);
	CHECK(vma_count(&mm->vmas) == 4); /* b1 and b2 merged */
	CHECK(put_user_u32(1, (void *)(A + 4 * PAGE_SIZE)) == -EFAULT);
	CHECK(put_user_u32(1, (void *)(A + 5 * PAGE_SIZE)) == 0);
	CHECK(vm_mprotect(mm, A + 4 * PAGE_SIZE, PAGE_SIZE, PROT_READ | PROT_WRITE) == 0);
	CHECK(vma_count(&mm->vmas) == 2);
	CHECK(vm_mprotect(mm, A + 64 * PAGE_SIZE, PAGE_SIZE, PROT_READ) == -ENOMEM);

	/* Copy-on-write fork. */
	u64 shared;
	CHECK(vm_mmap(mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, NULL, 0, &shared) == 0);
	CHECK(put_user_u32(7, (void *)shared) == 0);
	child = mm_fork(mm);
	CHECK(child);
	struct page *pg = page_at(mm, A);
	CHECK(pg && page_at(child, A) == pg && pg->refcount == 2);
	CHECK(put_user_u64(0xabcdull, (void *)(A + 8)) == 0); /* parent writes: copies */
	CHECK(page_at(mm, A) != pg && pg->refcount == 1 && page_at(child, A) == pg);
	use(child);
	CHECK(get_user_u64(&v, (void *)(A + 8)) == 0 && v == 0x1122334455667788ull);
	CHECK(put_user_u64(5, (void *)(A + 8)) == 0); /* sole owner now: no copy */
	CHECK(page_at(child, A) == pg);
	CHECK(put_user_u32(8, (void *)shared) == 0);   /* shared: parent sees it */
	u64 k1[2], k2[2];
	CHECK(vm_futex_key(child, shared + 4, true, k1) == 0);
	CHECK(vm_futex_key(mm, shared + 4, true, k2) == 0);
	CHECK(k1[0] == k2[0] && k1[1] == k2[1] && k1[1] == 4);
	CHECK(vm_futex_key(child, A, true, k1) == 0 && k1[0] == (u64)(uintptr_t)child);
	CHECK(vm_futex_key(child, A - PAGE_SIZE, true, k1) == -EFAULT);
	use(mm);
	u32 w = 0;
	CHECK(get_user_u32(&w, (void *)shared) == 0 && w == 8);
	CHECK(get_user_u64(&v, (void *)(A + 8)) == 0 && v == 0xabcdull);
	mm_put(child);

	/* mremap: move keeps the data; grow in place. */
	long r;
	CHECK(put_user_u64(42, (void *)(A + 10 * PAGE_SIZE)) == 0);
	extern long sys_mremap(u64, u64, u64, u64, u64, u64);
	r = sys_mremap(A + 10 * PAGE_SIZE, PAGE_SIZE, 2 * PAGE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED,
		       A + 200 * PAGE_SIZE, 0);
	CHECK(r == (long)(A + 200 * PAGE_SIZE));
	CHECK(get_user_u64(&v, (void *)(A + 200 * PAGE_SIZE)) == 0 && v == 42);
	CHECK(get_user_u64(&v, (void *)(A + 10 * PAGE_SIZE)) == -EFAULT);
	r = sys_mremap(A + 200 * PAGE_SIZE, 2 * PAGE_SIZE, 8 * PAGE_SIZE, 0, 0, 0);
	CHECK(r == (long)(A + 200 * PAGE_SIZE));

	/* munmap gives pages back. */
	u64 before = mm_free_pages();
	CHECK(vm_mmap(mm, A + 1024 * PAGE_SIZE, 256 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, NULL, 0, &out) == 0);
	CHECK(mm_free_pages() + 256 <= before);
	CHECK(vm_munmap(mm, A + 1024 * PAGE_SIZE, 256 * PAGE_SIZE) == 0);
	CHECK(mm_free_pages() + 8 >= before);
	CHECK(vm_munmap(mm, A + 1, PAGE_SIZE) == -EINVAL);
	CHECK(vm_munmap(mm, A + 3 * PAGE_SIZE, 2 * PAGE_SIZE) == 0); /* splits */
	CHECK(get_user_u64(&v, (void *)(A + 3 * PAGE_SIZE)) == -EFAULT);
	CHECK(get_user_u64(&v, (void *)(A + 5 * PAGE_SIZE)) == 0);

	CHECK(file_part(mm) == 0);

	vm_test_mm = NULL;
	upt_activate(arch_kernel_cr3());
	mm_put(mm);
	u64 free1 = mm_free_pages();
	/* Slab pages for VMAs may stay cached; page tables and data must not. */
	if (free1 + 16 < free0) {
		pr_err("uvm selftest: %llu pages leaked", (unsigned long long)(free0 - free1));
		return -1;
	}
	pr_info("uvm selftest: ok (free pages %llu -> %llu)", (unsigned long long)free0,
		(unsigned long long)free1);
	return 0;
}

static int thread_fn(void *arg)
{
	(void)arg;
	int r = body();
	vm_test_mm = NULL;
	upt_activate(arch_kernel_cr3());
	return r;
}

static int test_uvm(void)
{
	vm_init();
	struct thread *t = kthread_create(thread_fn, NULL, "uvm-test", 0);
	if (!t)
		return -ENOMEM;
	return kthread_join(t);
}
SELFTEST(uvm, test_uvm);
