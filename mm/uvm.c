/* Address spaces: creation, copy-on-write fork, teardown, and the helpers
 * the rest of mm/ shares (page and object references, zapping PTEs,
 * re-deriving permissions, inserting VMAs). See mm/uvm.h for ownership and
 * locking. */
#include "uvm.h"
#include <arch/upaging.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/task.h>
#include <skiff/uaccess.h>
#include <skiff/vfs.h>

/* ---- pages and shared objects ---- */

void vm_page_get(struct page *pg)
{
	__atomic_fetch_add(&pg->refcount, 1, __ATOMIC_RELAXED);
}

void vm_page_put(struct page *pg)
{
	if (__atomic_sub_fetch(&pg->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		free_page(page_to_virt(pg));
}

struct vm_object *vm_object_create(u64 npages)
{
	struct vm_object *o = kzalloc(sizeof(*o));

	if (!o)
		return NULL;
	if (npages > (1ull << 29)) { /* 2 TiB: the page array itself would not fit */
		kfree(o);
		return NULL;
	}
	o->pages = kzalloc(MAX(npages, 1) * sizeof(struct page *));
	if (!o->pages) {
		kfree(o);
		return NULL;
	}
	o->refcount = 1;
	o->npages = npages;
	spin_init(&o->lock, "vm_object");
	return o;
}

void vm_object_get(struct vm_object *o)
{
	__atomic_fetch_add(&o->refcount, 1, __ATOMIC_RELAXED);
}

void vm_object_put(struct vm_object *o)
{
	if (__atomic_sub_fetch(&o->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (u64 i = 0; i < o->npages; i++)
		if (o->pages[i])
			vm_page_put(o->pages[i]);
	kfree(o->pages);
	kfree(o);
}

struct page *vm_object_page(struct vm_object *o, u64 idx, int *err)
{
	struct page *pg, *fresh = NULL;

	if (idx >= o->npages) {
		*err = -EFAULT;
		return NULL;
	}
	if (!__atomic_load_n(&o->pages[idx], __ATOMIC_ACQUIRE)) {
		void *va = alloc_page_zeroed();
		if (!va) {
			*err = -ENOMEM;
			return NULL;
		}
		fresh = virt_to_page(va);
		fresh->refcount = 1; /* the object's */
	}
	spin_lock(&o->lock);
	pg = o->pages[idx];
	if (!pg) {
		pg = fresh;
		fresh = NULL;
		__atomic_store_n(&o->pages[idx], pg, __ATOMIC_RELEASE);
	}
	vm_page_get(pg);
	spin_unlock(&o->lock);
	if (fresh)
		vm_page_put(fresh);
	return pg;
}

u64 vm_object_resident(struct vm_object *o)
{
	u64 n = 0;

	for (u64 i = 0; i < o->npages; i++)
		n += __atomic_load_n(&o->pages[i], __ATOMIC_RELAXED) != NULL;
	return n;
}

void vma_backing_get(struct vma *v)
{
	if (v->file)
		file_get(v->file);
	if (v->obj) {
		vm_object_get(v->obj);
		if (v->flags & VMA_SHM)
			shm_vma_attach(v->obj, 1);
	}
}

void vma_backing_put(struct vma *v)
{
	if (v->file)
		file_put(v->file);
	if (v->obj) {
		if (v->flags & VMA_SHM)
			shm_vma_attach(v->obj, -1);
		vm_object_put(v->obj);
	}
	v->file = NULL;
	v->obj = NULL;
}

/* Write permission of a page in v: shared mappings follow PROT_WRITE;
 * private ones only when the page is ours alone. */
u64 vm_pte_for(struct vma *v, struct page *pg, bool write_fault)
{
	bool w = (v->prot & PROT_WRITE) &&
		 ((v->flags & VMA_SHARED) || write_fault ||
		  __atomic_load_n(&pg->refcount, __ATOMIC_RELAXED) == 1);

	return upt_make(page_to_pfn(pg) << PAGE_SHIFT, (int)v->prot, w);
}

/* ---- zapping ---- */

#define GATHER_MAX 64

struct gather {
	struct mm *mm;
	u64 start, end;           /* range whose TLB entries must go */
	u32 n;
	struct page *pages[GATHER_MAX];
};

static void gather_flush(struct gather *g)
{
	if (g->n == 0)
		return;
	upt_flush(g->mm->root, g->start, (g->end - g->start) >> 12);
	for (u32 i = 0; i < g->n; i++)
		vm_page_put(g->pages[i]);
	g->n = 0;
}

static void zap_one(u64 *pte, u64 va, void *arg)
{
	struct gather *g = arg;
	u64 e = *pte;

	__atomic_store_n(pte, 0, __ATOMIC_RELEASE);
	g->mm->rss--;
	if (g->n == GATHER_MAX)
		gather_flush(g);
	g->pages[g->n++] = pfn_to_page(upt_pa(e) >> PAGE_SHIFT);
	(void)va;
}

void vm_zap_range(struct mm *mm, u64 start, u64 end)
{
	struct gather local, *g = &local;

	assert_held(&mm->lock);
	g->mm = mm;
	g->start = start;
	g->end = end;
	g->n = 0;
	upt_walk(mm->root, start, end, zap_one, g);
	gather_flush(g);
}

int vm_unmap_locked(struct mm *mm, u64 start, u64 end)
{
	struct vma *v, *n;
	int err;

	assert_held(&mm->lock);
	err = vma_split_range(&mm->vmas, start, end);
	if (err)
		return err;
	vm_zap_range(mm, start, end);
	for (v = vma_find(&mm->vmas, start); v && v->start < end; v = n) {
		n = vma_next(&mm->vmas, v);
		list_del(&v->link);
		list_add_tail(&v->link, &mm->dead);
	}
	return 0;
}

void mm_unlock(struct mm *mm)
{
	struct list_head dead;

	list_init(&dead);
	while (!list_empty(&mm->dead)) {
		struct list_head *e = mm->dead.next;
		list_del(e);
		list_add_tail(e, &dead);
	}
	spin_unlock(&mm->lock);
	while (!list_empty(&dead)) {
		struct vma *v = list_first_entry(&dead, struct vma, link);
		list_del(&v->link);
		vma_free(v);
	}
}

struct reprot {
	struct vma *v;
	u64 changed;
};

static void reprot_one(u64 *pte, u64 va, void *arg)
{
	struct reprot *r = arg;
	struct page *pg = pfn_to_page(upt_pa(*pte) >> PAGE_SHIFT);
	u64 e = vm_pte_for(r->v, pg, false);

	/* A private page keeps write access it already had only if still ours. */
	if (e != *pte) {
		__atomic_store_n(pte, e, __ATOMIC_RELEASE);
		r->changed++;
	}
	(void)va;
}

void vm_reprotect(struct mm *mm, struct vma *v, u64 start, u64 end)
{
	struct reprot r = { v, 0 };

	assert_held(&mm->lock);
	upt_walk(mm->root, start, end, reprot_one, &r);
	if (r.changed)
		upt_flush(mm->root, start, (end - start) >> 12);
}

int vm_insert_vma(struct mm *mm, u64 addr, u64 len, u32 prot, u32 vflags,
		  struct file *f, struct vm_object *obj, u64 pgoff, struct vma **out)
{
	struct vma *v;

	assert_held(&mm->lock);
	v = vma_alloc();
	if (!v)
		return -ENOMEM;
	v->start = addr;
	v->end = addr + len;
	v->prot = prot;
	v->flags = vflags;
	v->file = f;
	v->obj = obj;
	v->pgoff = pgoff;
	vma_backing_get(v);
	vma_insert(&mm->vmas, v);
	v = vma_merge_around(&mm->vmas, v);
	if (out)
		*out = v;
	return 0;
}

bool vm_enough_memory(u64 pages)
{
	/* Linux's heuristic overcommit: refuse only what can never fit. */
	return pages <= mm_total_pages();
}

u64 vm_get_unmapped(struct mm *mm, u64 hint, u64 len)
{
	if (hint) {
		hint = ALIGN_DOWN(hint, PAGE_SIZE);
		if (hint >= MMAP_MIN && hint <= USER_TOP - len &&
		    vma_range_free(&mm->vmas, hint, hint + len))
			return hint;
	}
	u64 a = vma_gap_topdown(&mm->vmas, len, MMAP_MIN, MMAP_BASE);
	if (!a) /* the area between the mmap base and the stack */
		a = vma_gap_topdown(&mm->vmas, len, MMAP_MIN, mm->stack_top - (8ull << 20) - PAGE_SIZE);
	return a;
}

struct mm *vm_test_mm; /* self-test: the mm of kernel threads (no task) */

struct mm *current_mm(void)
{
	struct task *t = current_task();

	return t ? t->proc->mm : vm_test_mm;
}

/* ---- struct mm life cycle ---- */

/* Every live mm, for vm_truncate_file. Lock order: mm_list_lock, then
 * mm->lock. An mm leaves the list (under the lock) before it is freed. */
static DEFINE_SPINLOCK(mm_list_lock);
static LIST_HEAD(mm_list);

struct mm *mm_create(void)
{
	struct mm *mm = kzalloc(sizeof(*mm));

	vm_init();
	if (!mm)
		return NULL;
	mm->root = upt_create();
	if (!mm->root) {
		kfree(mm);
		return NULL;
	}
	spin_init(&mm->lock, "mm");
	mm->refcount = 1;
	list_init(&mm->vmas);
	list_init(&mm->dead);
	mm->stack_top = USER_TOP;
	spin_lock(&mm_list_lock);
	list_add_tail(&mm->all, &mm_list);
	spin_unlock(&mm_list_lock);
	return mm;
}

void mm_get(struct mm *mm)
{
	__atomic_fetch_add(&mm->refcount, 1, __ATOMIC_RELAXED);
}

static void put_leaf(u64 pa, void *arg)
{
	vm_page_put(pfn_to_page(pa >> PAGE_SHIFT));
	(void)arg;
}

void mm_put(struct mm *mm)
{
	if (!mm || __atomic_sub_fetch(&mm->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	spin_lock(&mm_list_lock);
	list_del(&mm->all);
	spin_unlock(&mm_list_lock);
	/* Nobody runs on it any more; leave it if this CPU still has it. */
	if (upt_current() == mm->root) {
		extern u64 arch_kernel_cr3(void);
		upt_activate(arch_kernel_cr3());
	}
	while (!list_empty(&mm->vmas)) {
		struct vma *v = list_first_entry(&mm->vmas, struct vma, link);
		list_del(&v->link);
		vma_free(v);
	}
	upt_destroy(mm->root, put_leaf, NULL);
	kfree(mm);
}

void vm_truncate_file(struct inode *ino, u64 size)
{
	u64 first = DIV_ROUND_UP(size, PAGE_SIZE); /* first page index to drop */
	struct mm *mm;
	struct vma *v;

	spin_lock(&mm_list_lock);
	list_for_each_entry(mm, &mm_list, all) {
		if (__atomic_load_n(&mm->refcount, __ATOMIC_ACQUIRE) <= 0)
			continue; /* being torn down */
		spin_lock(&mm->lock);
		list_for_each_entry(v, &mm->vmas, link) {
			if (!v->file || v->file->inode != ino || v->pgoff + vma_pages(v) <= first)
				continue;
			u64 from = v->pgoff >= first ? v->start : v->start + ((first - v->pgoff) << PAGE_SHIFT);
			vm_zap_range(mm, from, v->end);
		}
		mm_unlock(mm);
	}
	spin_unlock(&mm_list_lock);
}

void mm_activate(struct mm *mm)
{
	upt_activate(mm->root);
}

u64 mm_cr3(struct mm *mm)
{
	return mm->root;
}

u64 vm_stack_top(struct mm *mm)
{
	return mm->stack_top;
}

void vm_get_stats(struct mm *mm, struct vm_stats *st)
{
	struct vma *v;

	memset(st, 0, sizeof(*st));
	spin_lock(&mm->lock);
	list_for_each_entry(v, &mm->vmas, link) {
		u64 n = vma_pages(v);
		st->size_pages += n;
		if (v->flags & VMA_STACK)
			st->stack_pages += n;
		else if ((v->prot & PROT_WRITE) && !(v->flags & VMA_SHARED))
			st->data_pages += n;
		if ((v->prot & PROT_EXEC) && v->file)
			st->exec_pages += n;
		if (v->flags & VMA_LOCKED)
			st->locked_pages += n;
	}
	st->rss_pages = mm->rss;
	st->start_brk = mm->brk_start;
	st->brk = mm->brk;
	st->start_stack = mm->stack_top;
	mm_unlock(mm);
}

int vm_set_vma_name(struct mm *mm, u64 addr, const char *name)
{
	int err = -ENOENT;

	spin_lock(&mm->lock);
	struct vma *v = vma_lookup(&mm->vmas, addr);
	if (v && v->start == addr) {
		v->name = name;
		v->flags |= VMA_NOMERGE;
		err = 0;
	}
	mm_unlock(mm);
	return err;
}

/* ---- fork ---- */

struct fork_ctx {
	struct mm *child;
	struct vma *v;
	bool cow;      /* private writable: write-protect both sides */
	bool wipe;     /* MADV_WIPEONFORK: child gets nothing */
	int err;
};

static void fork_one(u64 *pte, u64 va, void *arg)
{
	struct fork_ctx *c = arg;
	u64 e = *pte;

	if (c->err)
		return;
	u64 *ce = upt_pte(c->child->root, va, true);
	if (!ce) {
		c->err = -ENOMEM;
		return;
	}
	if (c->cow && (e & UPTE_W)) {
		e &= ~(UPTE_W | UPTE_D);
		__atomic_store_n(pte, e, __ATOMIC_RELEASE);
	}
	vm_page_get(pfn_to_page(upt_pa(e) >> PAGE_SHIFT));
	*ce = e;
	c->child->rss++;
}

struct mm *mm_fork(struct mm *parent)
{
	struct mm *mm = mm_create();
	struct vma *v;
	int err = 0;

	if (!mm)
		return NULL;
	spin_lock(&parent->lock);
	mm->brk_start = parent->brk_start;
	mm->brk = parent->brk;
	mm->stack_top = parent->stack_top;
	list_for_each_entry(v, &parent->vmas, link) {
		if (v->flags & VMA_DONTFORK)
			continue;
		struct vma *n = vma_alloc();
		if (!n) {
			err = -ENOMEM;
			break;
		}
		n->start = v->start;
		n->end = v->end;
		n->prot = v->prot;
		n->flags = v->flags;
		n->file = v->file;
		n->obj = v->obj;
		n->pgoff = v->pgoff;
		n->name = v->name;
		vma_backing_get(n);
		list_add_tail(&n->link, &mm->vmas);
		if ((v->flags & VMA_WIPEONFORK) && !(v->flags & VMA_SHARED))
			continue;
		struct fork_ctx c = { mm, v, !(v->flags & VMA_SHARED), false, 0 };
		upt_walk(parent->root, v->start, v->end, fork_one, &c);
		if (c.cow)
			upt_flush(parent->root, v->start, vma_pages(v));
		if (c.err) {
			err = c.err;
			break;
		}
	}
	spin_unlock(&parent->lock);
	if (err) {
		pr_warn("mm_fork: out of memory");
		mm_put(mm);
		return NULL;
	}
	return mm;
}
