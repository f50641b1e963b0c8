/* Page faults on user addresses: demand-zero anonymous pages, file pages
 * from the page cache (file_get_page, called with the mm lock dropped),
 * shared objects, copy-on-write, stack growth. Also the kernel's own faults
 * on user memory (uaccess.S), MAP_POPULATE and futex keys. */
#include "uvm.h"
#include <arch/trap.h>
#include <arch/upaging.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/task.h>
#include <skiff/uaccess.h>
#include <skiff/vfs.h>

#define STACK_GUARD_GAP (256ull * PAGE_SIZE)  /* Linux's stack_guard_gap */
#define STACK_MAX       (8ull << 20)          /* growth limit of a GROWSDOWN VMA */

/* Result of the last failed fault on each CPU, for vm_fault_signal(). */
static struct { int sig, code; } last_fail[NR_CPUS];

/* Try to extend a MAP_GROWSDOWN VMA down to va. [m] held. */
static struct vma *grow_stack(struct mm *mm, u64 va)
{
	struct vma *v = vma_find(&mm->vmas, va), *p;

	if (!v || !(v->flags & VMA_GROWSDOWN) || va >= v->start || v->end - va > STACK_MAX)
		return NULL;
	p = vma_prev(&mm->vmas, v);
	if (p && p->end + STACK_GUARD_GAP > va)
		return NULL;
	if (va < MMAP_MIN)
		return NULL;
	v->start = va;
	return v;
}

static struct page *copy_page_of(struct page *src)
{
	void *va = alloc_page();

	if (!va)
		return NULL;
	memcpy(va, page_to_virt(src), PAGE_SIZE);
	struct page *pg = virt_to_page(va);
	pg->refcount = 1;
	return pg;
}

/* Resolve one fault at va in mm. Returns 0, -EFAULT (no mapping), -EACCES
 * (mapping forbids the access), -EIO (past the end of the backing: SIGBUS)
 * or -ENOMEM. Takes and drops mm->lock; may sleep (page cache). */
static int do_fault(struct mm *mm, u64 va, bool write, bool exec)
{
	struct vma *v;
	struct page *pg;
	u64 *pte;
	int err = 0;

	va = ALIGN_DOWN(va, PAGE_SIZE);
retry:
	spin_lock(&mm->lock);
	v = vma_lookup(&mm->vmas, va);
	if (!v && !(v = grow_stack(mm, va))) {
		err = -EFAULT;
		goto out;
	}
	if ((write && !(v->prot & PROT_WRITE)) || (exec && !(v->prot & PROT_EXEC)) ||
	    !(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC))) {
		err = -EACCES;
		goto out;
	}
	pte = upt_pte(mm->root, va, true);
	if (!pte) {
		err = -ENOMEM;
		goto out;
	}
	u64 e = *pte;
	if (e) {
		pg = pfn_to_page(upt_pa(e) >> PAGE_SHIFT);
		if (!(e & UPTE_P)) {
			__atomic_store_n(pte, vm_pte_for(v, pg, false), __ATOMIC_RELEASE);
			goto out;
		}
		if (!write || (e & UPTE_W))
			goto out; /* another CPU resolved it; the fault flushed our entry */
		if ((v->flags & VMA_SHARED) || __atomic_load_n(&pg->refcount, __ATOMIC_ACQUIRE) == 1) {
			__atomic_store_n(pte, e | UPTE_W | UPTE_D, __ATOMIC_RELEASE);
			goto out;
		}
		struct page *np = copy_page_of(pg);
		if (!np) {
			err = -ENOMEM;
			goto out;
		}
		__atomic_store_n(pte, vm_pte_for(v, np, true), __ATOMIC_RELEASE);
		upt_flush(mm->root, va, 1);
		vm_page_put(pg);
		goto out;
	}

	u64 idx = v->pgoff + ((va - v->start) >> PAGE_SHIFT);
	if (v->obj) {
		pg = vm_object_page(v->obj, idx, &err);
		if (!pg) {
			err = err == -ENOMEM ? -ENOMEM : -EIO;
			goto out;
		}
	} else if (v->file) {
		struct file *f = v->file;
		file_get(f);
		mm_unlock(mm);
		pg = file_get_page(f, idx, &err);
		if (!pg) {
			file_put(f);
			return err == -ENOMEM ? -ENOMEM : -EIO;
		}
		spin_lock(&mm->lock);
		v = vma_lookup(&mm->vmas, va);
		pte = v ? upt_pte(mm->root, va, true) : NULL;
		if (v && !pte) {
			vm_page_put(pg);
			file_put(f);
			err = -ENOMEM;
			goto out;
		}
		if (!v || v->file != f || v->pgoff + ((va - v->start) >> PAGE_SHIFT) != idx || *pte) {
			/* The mapping changed while we slept: start over. */
			mm_unlock(mm);
			vm_page_put(pg);
			file_put(f);
			goto retry;
		}
		file_put(f); /* the VMA still holds one */
		if (write && !(v->flags & VMA_SHARED)) {
			struct page *np = copy_page_of(pg);
			vm_page_put(pg);
			if (!np) {
				err = -ENOMEM;
				goto out;
			}
			pg = np;
		}
	} else {
		void *nva = alloc_page_zeroed();
		if (!nva) {
			err = -ENOMEM;
			goto out;
		}
		pg = virt_to_page(nva);
		pg->refcount = 1;
	}
	__atomic_store_n(pte, vm_pte_for(v, pg, write), __ATOMIC_RELEASE);
	mm->rss++;
out:
	mm_unlock(mm);
	return err;
}

int vm_fault_in(struct mm *mm, u64 va, bool write, bool exec)
{
	return do_fault(mm, va, write, exec);
}

int vm_populate(struct mm *mm, u64 addr, u64 len, bool write)
{
	for (u64 va = ALIGN_DOWN(addr, PAGE_SIZE); va < addr + len; va += PAGE_SIZE) {
		int err = do_fault(mm, va, write, false);
		if (err)
			return err == -ENOMEM ? -ENOMEM : -EFAULT;
	}
	return 0;
}

static void record_fail(int err);

bool vm_handle_fault(u64 addr, u32 error)
{
	struct mm *mm = current_mm();
	int err;

	if (!mm || addr >= USER_TOP || (error & (1u << 3)) /* reserved bit */)
		err = -EFAULT;
	else
		err = do_fault(mm, addr, error & (1u << 1), error & (1u << 4));
	if (!err)
		return true;
	record_fail(err);
	if (err == -ENOMEM)
		pr_warn("mm: out of memory resolving a fault at %#llx (pid %d)",
			(unsigned long long)addr, current_task() ? current_proc()->pid : 0);
	return false;
}

/* Remember why the last fault on this CPU failed, for vm_fault_signal(). */
static void record_fail(int err)
{
	unsigned cpu = this_cpu_id();

	switch (err) {
	case -EACCES:
		last_fail[cpu].sig = 11, last_fail[cpu].code = 2; /* SEGV_ACCERR */
		break;
	case -EIO:
		last_fail[cpu].sig = 7, last_fail[cpu].code = 2;  /* BUS_ADRERR */
		break;
	case -ENOMEM:
		last_fail[cpu].sig = 9, last_fail[cpu].code = 0; /* as Linux's OOM killer */
		break;
	default:
		last_fail[cpu].sig = 11, last_fail[cpu].code = 1; /* SEGV_MAPERR */
	}
}

int vm_fault_signal(int *si_code)
{
	unsigned cpu = this_cpu_id();

	if (si_code)
		*si_code = last_fail[cpu].code ? last_fail[cpu].code : 1;
	return last_fail[cpu].sig ? last_fail[cpu].sig : 11;
}

/* page_fault_hook: user addresses only. Runs the fault with interrupts on
 * (it may sleep and send TLB shootdowns), and returns with them off as it
 * was entered. */
static bool fault_hook(struct trap_frame *tf, u64 addr)
{
	bool ok;

	bool irqs = tf->rflags & (1u << 9);

	if (addr >= USER_TOP || !current_mm() || this_cpu_local()->in_irq) {
		record_fail(-EFAULT); /* e.g. user access to the kernel half */
		return false;
	}
	/* Kernel access under a spinlock or with interrupts off (Linux's
	 * pagefault_disable): fail fast, the caller gets -EFAULT, faults the
	 * page in unlocked (vm_populate or a plain user copy) and retries. */
	if (!(tf->cs & 3) && (this_cpu_local()->preempt_count > 0 || !irqs))
		return false;
	if (irqs)
		upt_irq_enable();
	ok = vm_handle_fault(addr, (u32)tf->error);
	if (irqs)
		upt_irq_disable();
	upt_set_cr2(addr); /* for user_exception_hook: we may have slept */
	return ok;
}

void vm_init(void)
{
	extern bool (*page_fault_hook)(struct trap_frame *tf, u64 addr);

	if (!page_fault_hook)
		page_fault_hook = fault_hook;
}

int vm_futex_key(struct mm *mm, u64 uaddr, bool shared, u64 key[2])
{
	int err = 0;

	key[0] = (u64)(uintptr_t)mm;
	key[1] = uaddr;
	if (!shared)
		return 0;
	spin_lock(&mm->lock);
	struct vma *v = vma_lookup(&mm->vmas, uaddr);
	if (!v || !(v->prot & (PROT_READ | PROT_WRITE))) {
		err = -EFAULT;
	} else if (v->flags & VMA_SHARED) {
		u64 off = ((v->pgoff + ((uaddr - v->start) >> PAGE_SHIFT)) << PAGE_SHIFT) |
			  (uaddr & (PAGE_SIZE - 1));
		if (v->obj) {
			if ((off >> PAGE_SHIFT) >= v->obj->npages)
				err = -EFAULT;
			key[0] = (u64)(uintptr_t)v->obj;
		} else if (v->file) {
			if ((off >> PAGE_SHIFT) >= DIV_ROUND_UP(file_size(v->file), PAGE_SIZE))
				err = -EFAULT; /* past the end of the file: SIGBUS territory */
			key[0] = (u64)(uintptr_t)v->file->inode;
		}
		key[1] = off;
	}
	mm_unlock(mm);
	return err;
}
