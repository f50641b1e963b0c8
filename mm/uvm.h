/* Private to mm/: the address-space structures behind include/skiff/vm.h.
 *
 * struct mm     one per address space: page-table root, VMA list, brk.
 * struct vma    one mapping: [start, end) with one protection and one
 *               backing (anonymous private, file, or a shared object).
 * struct vm_object  shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS and
 *               SysV shm): a fixed-size array of lazily allocated pages.
 *
 * Page ownership: every page mapped in a PTE holds one reference
 * (struct page.refcount) for that PTE. Anonymous pages start at 1; page-cache
 * pages come referenced from file_get_page; object pages hold one reference
 * for the object and one per PTE. A private mapping's page may be written
 * only when its count is 1 (nobody else can see it); otherwise a write fault
 * copies it (copy-on-write).
 *
 * Locking legend: [m] mm->lock (spinlock, irqs on, never held while
 * sleeping); [o] obj->lock; [a] atomic; [I] immutable after creation. */
#ifndef MM_UVM_H
#define MM_UVM_H

#include <skiff/layout.h>
#include <skiff/list.h>
#include <skiff/types.h>
#include <skiff/vm.h>
#ifndef SKIFF_HOST_TEST
#include <skiff/spinlock.h>
#else
typedef struct { int x; } spinlock_t;
#endif

struct file;
struct page;
struct shm_seg;

struct vm_object {
	s32 refcount;            /* [a] VMAs and SysV segment referring to it */
	spinlock_t lock;
	u64 npages;              /* [I] */
	struct page **pages;     /* [o] NULL until first touched */
	struct shm_seg *shm;     /* [I] SysV segment, or NULL */
};

#define VMA_SHARED    (1u << 0)  /* MAP_SHARED */
#define VMA_GROWSDOWN (1u << 1)
#define VMA_HEAP      (1u << 2)  /* the brk area */
#define VMA_STACK     (1u << 3)  /* the main thread's stack */
#define VMA_MAYWRITE  (1u << 4)  /* mprotect may add PROT_WRITE */
#define VMA_NOMERGE   (1u << 5)  /* named (vdso) */
#define VMA_DONTFORK  (1u << 6)  /* MADV_DONTFORK */
#define VMA_WIPEONFORK (1u << 7) /* MADV_WIPEONFORK */
#define VMA_SHM       (1u << 8)  /* SysV shm attach (obj->shm) */
#define VMA_LOCKED    (1u << 9)  /* mlock: accepted, never swapped anyway */
#define VMA_NORESERVE (1u << 10)

struct vma {
	struct list_head link;   /* [m] in mm->vmas, sorted by start */
	u64 start, end;          /* [m] page aligned, start < end */
	u32 prot;                /* [m] PROT_READ|WRITE|EXEC */
	u32 flags;               /* [m] VMA_* */
	struct file *file;       /* [m] referenced; NULL for anonymous */
	struct vm_object *obj;   /* [m] referenced; shared anonymous */
	u64 pgoff;               /* [m] page index in file/obj of start */
	const char *name;        /* [m] "[vdso]"..., or NULL */
};

struct mm {
	spinlock_t lock;
	struct list_head all;    /* [mm_list_lock] every live mm (vm_truncate_file) */
	s32 refcount;            /* [a] */
	u64 root;                /* [I] physical address of the PML4 */
	struct list_head vmas;   /* [m] */
	struct list_head dead;   /* [m] unmapped VMAs, freed by mm_unlock() */
	u64 brk_start, brk;      /* [m] */
	u64 stack_top;           /* [I] */
	u64 rss;                 /* [m] pages mapped (for statistics) */
};

/* ---- mm/vma.c: pure list logic (host-tested) ---- */
struct vma *vma_alloc(void);
void vma_free(struct vma *v);                 /* drops its backing references */
/* Take / drop the references a VMA holds on its file and object; defined
 * in mm/uvm.c (the host test provides its own). */
void vma_backing_get(struct vma *v);
void vma_backing_put(struct vma *v);
/* First VMA ending above addr, or NULL. */
struct vma *vma_find(struct list_head *head, u64 addr);
/* VMA containing addr, or NULL. */
struct vma *vma_lookup(struct list_head *head, u64 addr);
struct vma *vma_next(struct list_head *head, struct vma *v); /* NULL at the end */
struct vma *vma_prev(struct list_head *head, struct vma *v); /* NULL at the start */
void vma_insert(struct list_head *head, struct vma *v);
/* Split v at addr (start < addr < end): v keeps [start, addr), the new VMA
 * [addr, end) is inserted after it and returned; NULL on ENOMEM. */
struct vma *vma_split(struct vma *v, u64 addr);
/* True when b can be appended to a (adjacent, same attributes and backing,
 * contiguous offsets). */
bool vma_mergeable(const struct vma *a, const struct vma *b);
/* Merge v with its neighbours where possible; returns the VMA now covering
 * v's range (v itself or the previous one). Frees merged VMAs. */
struct vma *vma_merge_around(struct list_head *head, struct vma *v);
/* True when no VMA intersects [start, end). */
bool vma_range_free(struct list_head *head, u64 start, u64 end);
/* Highest page-aligned address a with [a, a+len) free and lo <= a,
 * a + len <= hi; 0 when there is none. */
u64 vma_gap_topdown(struct list_head *head, u64 len, u64 lo, u64 hi);
/* Split VMAs so that start and end fall on VMA boundaries (where mapped).
 * Returns 0 or -ENOMEM. */
int vma_split_range(struct list_head *head, u64 start, u64 end);
u32 vma_count(struct list_head *head);

#ifndef SKIFF_HOST_TEST
/* ---- mm/uvm.c ---- */
void vm_page_get(struct page *pg);
void vm_page_put(struct page *pg);        /* frees it at zero */
struct vm_object *vm_object_create(u64 npages);
void vm_object_get(struct vm_object *o);
void vm_object_put(struct vm_object *o);
/* The object's page at idx with a reference for the caller, allocated
 * zeroed on first use; NULL if idx is out of range or no memory (*err). */
struct page *vm_object_page(struct vm_object *o, u64 idx, int *err);
u64 vm_object_resident(struct vm_object *o);
/* PTE value for page pg in vma v (write permission per the COW rule). */
u64 vm_pte_for(struct vma *v, struct page *pg, bool write_fault);

/* Drop mm->lock, then free the VMAs unmapped under it (their file
 * references may be the last ones, and the final file_put can sleep). */
void mm_unlock(struct mm *mm);

/* Unmap PTEs in [start, end) (must lie within VMAs being removed or
 * cleared), flush TLBs, drop page references. [m] held. */
void vm_zap_range(struct mm *mm, u64 start, u64 end);
/* Remove every mapping in [start, end): split, zap, and queue the VMAs on
 * mm->dead (release with mm_unlock). [m] held.
 * Returns 0 or -ENOMEM (split failed). */
int vm_unmap_locked(struct mm *mm, u64 start, u64 end);
/* Re-derive PTE permissions in [start, end) of v after a prot change. */
void vm_reprotect(struct mm *mm, struct vma *v, u64 start, u64 end);
struct mm *current_mm(void);             /* NULL in kernel threads */

extern struct mm *vm_test_mm;            /* self-test only: current_mm() of kernel threads */
/* One fault in mm (any mm): 0, -EFAULT, -EACCES, -EIO (SIGBUS), -ENOMEM. */
int vm_fault_in(struct mm *mm, u64 va, bool write, bool exec);
/* Insert a new VMA for [addr, addr+len) with the given attributes, merging
 * with neighbours. [m] held, range must be free. */
int vm_insert_vma(struct mm *mm, u64 addr, u64 len, u32 prot, u32 vflags,
		  struct file *f, struct vm_object *obj, u64 pgoff, struct vma **out);
u64 vm_get_unmapped(struct mm *mm, u64 hint, u64 len);
/* Overcommit check for accountable mappings (ENOMEM when false). */
bool vm_enough_memory(u64 pages);
/* mm/shm.c */
void shm_vma_attach(struct vm_object *o, int delta);
s32 shm_object_key(struct vm_object *o);
#endif

static inline u64 vma_pages(const struct vma *v) { return (v->end - v->start) >> 12; }

#endif
