/* Physical memory and the kernel heap.
 *
 * mm/page_alloc.c  buddy allocator over the free RAM ranges (orders 0..MAX_ORDER-1)
 *                  with a per-CPU cache of order-0 pages in front of it.
 * mm/slab.c        kmalloc/kfree: power-of-two size classes (16 B .. 2 KiB)
 *                  carved from pages, larger requests straight from the buddy
 *                  allocator.
 * mm/vmap.c        kernel stacks with unmapped guard pages, MMIO mappings.
 *
 * All functions may be called from any CPU with interrupts on or off; none
 * sleeps. Every allocation returns a direct-map virtual address or NULL. */
#ifndef SKIFF_MM_H
#define SKIFF_MM_H

#include <skiff/layout.h>
#include <skiff/list.h>

#define MAX_ORDER 11 /* largest block: 2^10 pages = 4 MiB */

/* One per physical page frame, indexed by PFN. */
struct page {
	struct list_head lru;   /* [z] free list link while free */
	u32 flags;              /* [z] PG_* */
	u8 order;               /* [z] order of the free block this page heads */
	u8 pad[3];
	s32 refcount;           /* [a] users of an allocated page (COW, page cache) */
	u32 pad2;
};

#define PG_FREE     (1u << 0) /* head of a free buddy block */
#define PG_RESERVED (1u << 1) /* not RAM, or kernel image / boot data */
#define PG_PCP      (1u << 2) /* sitting in a per-CPU cache */
#define PG_SLAB     (1u << 3) /* owned by the slab allocator */

extern struct page *mem_map;   /* [I] page descriptors, one per PFN below max_pfn */
extern u64 max_pfn;            /* [I] */

static inline struct page *pfn_to_page(u64 pfn) { return &mem_map[pfn]; }
static inline u64 page_to_pfn(const struct page *p) { return (u64)(p - mem_map); }
static inline struct page *virt_to_page(const void *va) { return pfn_to_page(virt_to_phys(va) >> PAGE_SHIFT); }
static inline void *page_to_virt(const struct page *p) { return phys_to_virt(page_to_pfn(p) << PAGE_SHIFT); }

struct mem_range {
	phys_addr_t start, end; /* [start, end) */
};

/* Take ownership of the free RAM in ranges[] (page aligned inward).
 * The page descriptor array is carved out of those ranges. Called once by the
 * boot CPU before anything else allocates. Returns 0 or -ENOMEM when the
 * ranges cannot even hold the descriptors. */
int page_alloc_init(const struct mem_range *ranges, int n);
/* The same, with descriptors up to at least top_pfn, so that reserved RAM
 * above the last free range (an initramfs at the top of memory) can be
 * given to the allocator later with page_alloc_release. */
int page_alloc_init_top(const struct mem_range *ranges, int n, u64 top_pfn);

void *alloc_pages(unsigned order);       /* 2^order contiguous pages, NULL if none */
void free_pages(void *va, unsigned order);
static inline void *alloc_page(void) { return alloc_pages(0); }
static inline void free_page(void *va) { free_pages(va, 0); }
void *alloc_page_zeroed(void);

u64 mm_total_pages(void); /* pages handed to the allocator */
/* Give reserved RAM [start, end) to the allocator once its boot-time user
 * is done with it (the initramfs after unpacking, as Linux's
 * free_initrd_mem). Returns the number of pages released. */
u64 page_alloc_release(phys_addr_t start, phys_addr_t end);
u64 mm_free_pages(void);  /* pages free right now (including per-CPU caches) */

/* Walk every free list and check buddy invariants (alignment, no overlap,
 * counts agree). Returns 0 or a negative code after printing what is wrong.
 * Used by the allocator self-test. */
int page_alloc_check(void);

void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
int kmalloc_check(void); /* slab consistency check, as page_alloc_check */

/* Kernel stack: KSTACK_PAGES mapped pages below an unmapped guard page, in
 * the VMAP region. Returns the stack's lowest address, or NULL. */
void *kstack_alloc(void);
void kstack_free(void *base);

/* Map [phys, phys+size) uncached into the VMAP region; returns its address. */
void *ioremap(phys_addr_t phys, size_t size);

#endif
