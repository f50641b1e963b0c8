/* Physical page allocator: a binary buddy system over the free RAM ranges,
 * with a per-CPU cache of single pages in front of it.
 *
 * Design
 *  - mem_map holds one struct page per PFN below max_pfn. It is carved from
 *    the start of the first range big enough to hold it. Every descriptor
 *    starts PG_RESERVED; then the pages of the ranges (minus mem_map itself)
 *    are released into the buddy lists, merging as they go. Holes, firmware
 *    areas and mem_map can therefore never be handed out.
 *  - A free block of order k is 2^k pages whose first PFN is a multiple of
 *    2^k. Its head page carries PG_FREE and order k and sits on
 *    zone.area[k].list. Freeing a block merges it with its buddy
 *    (pfn ^ 2^k) for as long as the buddy is a free head of the same order.
 *  - page->order says what a page heads:
 *      free block head         PG_FREE, order of the block
 *      allocated block head    flags 0 (or PG_SLAB), order it was allocated with
 *      page in a per-CPU cache PG_PCP, order 0
 *      anything else           ORDER_NONE (tails of blocks, reserved pages)
 *    free_pages() must be handed the head and the order of an allocated
 *    block, so a double free, a pointer into the middle of a block, a reserved
 *    page or a wrong order is caught from the page's own descriptor, without
 *    the zone lock, and panics: each is a broken kernel invariant. (An
 *    allocation cannot be split and freed in pieces.) kfree() finds the order
 *    of a large kmalloc block the same way.
 *  - Per-CPU cache (pcp): order-0 frees go to this CPU's list (PG_PCP, hot
 *    end first) and order-0 allocations take from it. It is refilled from
 *    the buddy lists PCP_BATCH pages at a time and, above PCP_HIGH pages,
 *    drained PCP_BATCH of its coldest pages back, each under one hold of the
 *    zone lock. A higher-order allocation that fails drains this CPU's cache
 *    and retries once. Caches of other CPUs are never reclaimed (that would
 *    need an IPI): up to PCP_HIGH pages per other CPU can be counted free
 *    yet be unavailable here.
 *  - mm_free_pages() counts buddy and pcp pages, from one atomic counter
 *    changed whenever a page is handed out or given back.
 *
 * Locking
 *  [z] zone.lock, always taken with interrupts off
 *  [p] the owning CPU, with interrupts off and preemption disabled (a CPU's
 *      pcp_cache); the zone lock nests inside
 *  [a] atomic
 *  [I] written by page_alloc_init() before any other CPU runs
 *  A struct page's flags, order and lru are [z] while the page is in the
 *  buddy lists, [p] while it is in a per-CPU cache, and its owner's while
 *  allocated.
 */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <skiff/string.h>

#define ORDER_NONE 0xff /* page->order of a page that heads nothing */
#define PCP_HIGH   64   /* most pages one CPU's cache keeps */
#define PCP_BATCH  16   /* pages moved per refill or drain */

struct free_area {
	struct list_head list; /* [z] head pages of free blocks of this order */
	u64 nr;                /* [z] blocks on list */
};

static struct zone {
	spinlock_t lock;
	struct free_area area[MAX_ORDER]; /* [z] */
	u64 nr_free;                      /* [z] pages in the buddy lists */
	u64 nr_total;                     /* [z] pages handed to the allocator */
} zone = { .lock = SPINLOCK_INIT("zone") };

static u64 nr_free_all; /* [a] free pages: buddy lists plus every pcp */

struct pcp_cache {
	struct list_head list; /* [p] PG_PCP pages, hottest first; next == NULL until first use */
	unsigned count;        /* [p] pages on list */
};
static DEFINE_PER_CPU(struct pcp_cache, pcp);

struct page *mem_map; /* [I] */
u64 max_pfn;          /* [I] */
static u64 map_first, map_end; /* [I] the pfns mem_map itself occupies */

#if defined(SKIFF_HOST_TEST) && defined(__SANITIZE_ADDRESS__)
/* Host tests: free pages are poisoned, so a use after free is an ASan report. */
#include <sanitizer/asan_interface.h>
static void pages_poison(u64 pfn, u64 n)
{
	ASAN_POISON_MEMORY_REGION(phys_to_virt(pfn << PAGE_SHIFT), n << PAGE_SHIFT);
}
static void pages_unpoison(u64 pfn, u64 n)
{
	ASAN_UNPOISON_MEMORY_REGION(phys_to_virt(pfn << PAGE_SHIFT), n << PAGE_SHIFT);
}
#else
static inline void pages_poison(u64 pfn, u64 n) { (void)pfn; (void)n; }
static inline void pages_unpoison(u64 pfn, u64 n) { (void)pfn; (void)n; }
#endif

/* ---- buddy lists ------------------------------------------------------ */

/* Put the block at pfn on the order's free list. [z] */
static void area_add(u64 pfn, unsigned order)
{
	struct page *p = pfn_to_page(pfn);

	p->flags = PG_FREE;
	p->order = (u8)order;
	list_add(&p->lru, &zone.area[order].list);
	zone.area[order].nr++;
}

/* Take a free head off its list; it heads nothing afterwards. [z] */
static void area_del(struct page *p)
{
	list_del(&p->lru);
	zone.area[p->order].nr--;
	p->flags = 0;
	p->order = ORDER_NONE;
}

/* Give the block [pfn, pfn + 2^order) to the buddy lists, merging it with
 * free buddies. Its pages are on no list; its head may be flagged PG_PCP.
 * Caller holds the zone lock. */
static void buddy_free(u64 pfn, unsigned order)
{
	assert_held(&zone.lock);
	zone.nr_free += 1ull << order;
	mem_map[pfn].flags = 0;
	mem_map[pfn].order = ORDER_NONE;
	while (order < MAX_ORDER - 1) {
		u64 buddy = pfn ^ (1ull << order);
		struct page *b = &mem_map[buddy];

		if (buddy >= max_pfn || !(b->flags & PG_FREE) || b->order != order)
			break;
		area_del(b);
		pfn &= ~(1ull << order);
		order++;
	}
	area_add(pfn, order);
}

/* Take a block of 2^order pages off the buddy lists, splitting a larger one
 * if none of that order is free. Caller holds the zone lock. Returns its head
 * (flags 0, order set) or NULL when no block is large enough. */
static struct page *buddy_alloc(unsigned order)
{
	assert_held(&zone.lock);
	for (unsigned o = order; o < MAX_ORDER; o++) {
		struct page *p;
		u64 pfn;

		if (list_empty(&zone.area[o].list))
			continue;
		p = list_first_entry(&zone.area[o].list, struct page, lru);
		area_del(p);
		pfn = page_to_pfn(p);
		while (o > order) {
			o--;
			area_add(pfn + (1ull << o), o);
		}
		p->order = (u8)order;
		zone.nr_free -= 1ull << order;
		return p;
	}
	return NULL;
}

/* ---- per-CPU cache ---------------------------------------------------- */

/* Pin to this CPU with interrupts off, as [p] requires. */
static inline u64 pcp_enter(void)
{
	preempt_disable();
	return arch_irq_save();
}
static inline void pcp_exit(u64 irqflags)
{
	arch_irq_restore(irqflags);
	preempt_enable();
}

/* This CPU's cache, initialised on first use. Caller is inside pcp_enter. */
static struct pcp_cache *pcp_this(void)
{
	struct pcp_cache *c = this_cpu_ptr(&pcp);

	if (!c->list.next) {
		list_init(&c->list);
		c->count = 0;
	}
	return c;
}

/* Move up to PCP_BATCH pages from the buddy lists into c. [p] */
static void pcp_refill(struct pcp_cache *c)
{
	spin_lock(&zone.lock);
	for (int i = 0; i < PCP_BATCH; i++) {
		struct page *p = buddy_alloc(0);

		if (!p)
			break;
		p->flags = PG_PCP;
		list_add_tail(&p->lru, &c->list);
		c->count++;
	}
	spin_unlock(&zone.lock);
}

/* Give the n coldest pages of c back to the buddy lists. [p] */
static void pcp_drain(struct pcp_cache *c, unsigned n)
{
	spin_lock(&zone.lock);
	while (n-- && c->count) {
		struct page *p = list_entry(c->list.prev, struct page, lru);

		list_del(&p->lru);
		c->count--;
		buddy_free(page_to_pfn(p), 0);
	}
	spin_unlock(&zone.lock);
}

/* ---- public interface ------------------------------------------------- */

/* 2^order physically contiguous pages aligned to their size, or NULL when no
 * such block is free (or order >= MAX_ORDER). Contents are undefined. Any
 * context; takes the zone lock with interrupts off. */
void *alloc_pages(unsigned order)
{
	struct page *p = NULL;
	u64 irqflags;

	if (order >= MAX_ORDER)
		return NULL;
	irqflags = pcp_enter();
	if (order == 0) {
		struct pcp_cache *c = pcp_this();

		if (list_empty(&c->list))
			pcp_refill(c);
		if (!list_empty(&c->list)) {
			p = list_first_entry(&c->list, struct page, lru);
			list_del(&p->lru);
			c->count--;
			p->flags = 0;
		}
	} else {
		struct pcp_cache *c = pcp_this();

		spin_lock(&zone.lock);
		p = buddy_alloc(order);
		spin_unlock(&zone.lock);
		if (!p && c->count) {
			pcp_drain(c, c->count); /* its pages may complete a block */
			spin_lock(&zone.lock);
			p = buddy_alloc(order);
			spin_unlock(&zone.lock);
		}
	}
	if (p)
		__atomic_sub_fetch(&nr_free_all, 1ull << order, __ATOMIC_RELAXED);
	pcp_exit(irqflags);
	if (!p)
		return NULL;
	pages_unpoison(page_to_pfn(p), 1ull << order);
	return page_to_virt(p);
}

/* Return a block from alloc_pages(order) with the same order. Panics when va
 * is not the head of an allocated block of that order (double free, pointer
 * into a block, reserved or slab page, wrong order). Any context. */
void free_pages(void *va, unsigned order)
{
	phys_addr_t pa = virt_to_phys(va);
	u64 pfn = pa >> PAGE_SHIFT;
	struct page *p;
	u64 irqflags;

	if (!IS_ALIGNED(pa, PAGE_SIZE) || pfn >= max_pfn)
		panic("free_pages: %p is not a page of the page allocator", va);
	p = pfn_to_page(pfn);
	if (p->flags & PG_RESERVED)
		panic("free_pages: %p is a reserved page (pfn 0x%lx)", va, pfn);
	if (p->flags & (PG_FREE | PG_PCP))
		panic("free_pages: double free of %p order %u", va, order);
	if (p->flags & PG_SLAB)
		panic("free_pages: %p belongs to the slab allocator", va);
	if (p->order == ORDER_NONE)
		panic("free_pages: %p is not the start of an allocated block "
		      "(double free, or a pointer into a block)", va);
	if (p->order != order) /* else order < MAX_ORDER and va is aligned to it */
		panic("free_pages: %p freed with order %u, allocated with order %u",
		      va, order, p->order);

	pages_poison(pfn, 1ull << order);
	irqflags = pcp_enter();
	__atomic_add_fetch(&nr_free_all, 1ull << order, __ATOMIC_RELAXED);
	if (order == 0) {
		struct pcp_cache *c = pcp_this();

		p->flags = PG_PCP;
		list_add(&p->lru, &c->list);
		if (++c->count > PCP_HIGH)
			pcp_drain(c, PCP_BATCH);
	} else {
		spin_lock(&zone.lock);
		buddy_free(pfn, order);
		spin_unlock(&zone.lock);
	}
	pcp_exit(irqflags);
}

/* One zero-filled page, or NULL. */
void *alloc_page_zeroed(void)
{
	void *p = alloc_pages(0);

	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

u64 mm_total_pages(void)
{
	return zone.nr_total;
}

u64 mm_free_pages(void)
{
	return __atomic_load_n(&nr_free_all, __ATOMIC_RELAXED);
}

/* ---- initialisation --------------------------------------------------- */

/* Page-align [r->start, r->end) inward and clip it to the direct map.
 * Returns false when no whole page is left. */
static bool range_pages(const struct mem_range *r, u64 *first, u64 *end)
{
	u64 s = ALIGN_UP(r->start, PAGE_SIZE), e = ALIGN_DOWN(r->end, PAGE_SIZE);

	if (r->start > (u64)DIRECT_MAP_SIZE || s < r->start) /* or ALIGN_UP wrapped */
		return false;
	e = MIN(e, (u64)DIRECT_MAP_SIZE);
	if (e <= s)
		return false;
	*first = s >> PAGE_SHIFT;
	*end = e >> PAGE_SHIFT;
	return true;
}

/* Free the unreserved run [pfn, end) as the largest aligned blocks. [z] */
static void free_run(u64 pfn, u64 end)
{
	while (pfn < end) {
		unsigned order = 0;

		while (order + 1 < MAX_ORDER && IS_ALIGNED(pfn, 1ull << (order + 1)) &&
		       pfn + (2ull << order) <= end)
			order++;
		buddy_free(pfn, order);
		pages_poison(pfn, 1ull << order);
		pfn += 1ull << order;
	}
}

/* See mm.h. Ranges may be unsorted, overlap, or be unaligned; holes between
 * them stay reserved. Needs this CPU's cpu_local (GS base), as any spinlock
 * does. In the kernel this runs once, on the boot CPU; host tests call it
 * again to start over with a new layout (every earlier allocation is
 * forgotten). On -ENOMEM nothing has changed. */
int page_alloc_init(const struct mem_range *ranges, int n)
{
	return page_alloc_init_top(ranges, n, 0);
}

int page_alloc_init_top(const struct mem_range *ranges, int n, u64 top_pfn)
{
	u64 top = 0, map_pfn = 0, map_pages, first, end, irqflags;
	bool found = false;

	for (int i = 0; i < n; i++)
		if (range_pages(&ranges[i], &first, &end))
			top = MAX(top, end);
	if (top && top_pfn > top)
		top = top_pfn;
	map_pages = DIV_ROUND_UP(top * sizeof(struct page), PAGE_SIZE);
	for (int i = 0; i < n; i++) {
		if (range_pages(&ranges[i], &first, &end) && end - first >= map_pages) {
			map_pfn = first;
			found = true;
			break;
		}
	}
	if (!top) {
		pr_err("page_alloc: no memory ranges");
		return -ENOMEM;
	}
	if (!found) {
		pr_err("page_alloc: no memory range can hold %lu page descriptors", top);
		return -ENOMEM;
	}

	irqflags = spin_lock_irqsave(&zone.lock);
	for (unsigned o = 0; o < MAX_ORDER; o++) {
		list_init(&zone.area[o].list);
		zone.area[o].nr = 0;
	}
	zone.nr_free = 0;
	this_cpu_ptr(&pcp)->list.next = NULL;

	max_pfn = top;
	mem_map = phys_to_virt(map_pfn << PAGE_SHIFT);
	map_first = map_pfn;
	map_end = map_pfn + map_pages;
	pages_unpoison(0, top);
	for (u64 pfn = 0; pfn < top; pfn++) {
		memset(&mem_map[pfn], 0, sizeof(struct page));
		list_init(&mem_map[pfn].lru);
		mem_map[pfn].flags = PG_RESERVED;
		mem_map[pfn].order = ORDER_NONE;
	}
	for (int i = 0; i < n; i++) {
		if (!range_pages(&ranges[i], &first, &end))
			continue;
		for (u64 pfn = first; pfn < end; pfn++)
			if (pfn < map_pfn || pfn >= map_pfn + map_pages)
				mem_map[pfn].flags = 0;
	}
	for (u64 pfn = 0; pfn < top;) {
		u64 run = pfn;

		while (run < top && !(mem_map[run].flags & PG_RESERVED))
			run++;
		free_run(pfn, run);
		pfn = run == pfn ? pfn + 1 : run;
	}
	zone.nr_total = zone.nr_free;
	__atomic_store_n(&nr_free_all, zone.nr_free, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&zone.lock, irqflags);

	pr_info("page_alloc: %lu pages (%lu MiB) free below pfn 0x%lx, mem_map %lu KiB at 0x%lx",
		zone.nr_total, zone.nr_total >> (20 - PAGE_SHIFT), top,
		map_pages << (PAGE_SHIFT - 10), map_pfn << PAGE_SHIFT);
	return 0;
}

/* See mm.h. Only pages that page_alloc_init left reserved (flags exactly
 * PG_RESERVED), outside mem_map, are taken; anything else in the range
 * (free or allocated pages, mem_map) is skipped. */
u64 page_alloc_release(phys_addr_t start, phys_addr_t end)
{
	u64 first = DIV_ROUND_UP(start, PAGE_SIZE), last = end >> PAGE_SHIFT, n = 0;

	if (last > max_pfn)
		last = max_pfn;
	u64 f = spin_lock_irqsave(&zone.lock);
	for (u64 pfn = first; pfn < last;) {
		u64 run = pfn;
		while (run < last && mem_map[run].flags == PG_RESERVED &&
		       (run < map_first || run >= map_end))
			mem_map[run++].flags = 0;
		free_run(pfn, run);
		n += run - pfn;
		pfn = run == pfn ? pfn + 1 : run;
	}
	zone.nr_total += n;
	__atomic_add_fetch(&nr_free_all, n, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&zone.lock, f);
	return n;
}

/* ---- consistency check ------------------------------------------------ */

#define CHECK_REPORTS 16 /* problems printed before the rest are only counted */

static __printf(2, 3) void bad(int *errors, const char *fmt, ...)
{
	va_list ap;

	if (++*errors > CHECK_REPORTS)
		return;
	va_start(ap, fmt);
	vprintk(LOG_ERR, fmt, ap);
	va_end(ap);
}

/* Walk the free lists: every entry a PG_FREE head of that order, aligned and
 * inside mem_map, list lengths as counted. Returns the blocks seen and adds
 * their pages to *pages. [z] */
static u64 check_lists(int *errors, u64 *pages)
{
	u64 blocks = 0;

	for (unsigned o = 0; o < MAX_ORDER; o++) {
		struct list_head *pos;
		u64 n = 0;

		list_for_each(pos, &zone.area[o].list) {
			struct page *p = list_entry(pos, struct page, lru);
			u64 pfn = page_to_pfn(p);

			if (++n > max_pfn) {
				bad(errors, "page_alloc: order %u free list loops", o);
				break;
			}
			if (pfn >= max_pfn || pfn + (1ull << o) > max_pfn) {
				bad(errors, "page_alloc: order %u list holds pfn 0x%lx beyond mem_map", o, pfn);
				break;
			}
			if (p->flags != PG_FREE || p->order != o)
				bad(errors, "page_alloc: pfn 0x%lx on order %u list has flags 0x%x order %u",
				    pfn, o, p->flags, p->order);
			if (!IS_ALIGNED(pfn, 1ull << o))
				bad(errors, "page_alloc: pfn 0x%lx on order %u list is misaligned", pfn, o);
		}
		if (n != zone.area[o].nr)
			bad(errors, "page_alloc: order %u list has %lu blocks, counted %lu",
			    o, n, zone.area[o].nr);
		blocks += n;
		*pages += n << o;
	}
	return blocks;
}

/* Scan mem_map in PFN order: free blocks do not overlap, are not unmerged
 * buddies, and their tail pages are plain. Returns the free heads seen and
 * counts PG_PCP pages into *pcp_pages. [z] */
static u64 check_map(int *errors, u64 *pcp_pages)
{
	u64 heads = 0;

	for (u64 pfn = 0; pfn < max_pfn;) {
		struct page *p = &mem_map[pfn];
		unsigned o = p->order;

		if (p->flags & PG_PCP) {
			(*pcp_pages)++;
			if (p->flags != PG_PCP || o != 0)
				bad(errors, "page_alloc: pcp page 0x%lx has flags 0x%x order %u",
				    pfn, p->flags, o);
		}
		if (!(p->flags & PG_FREE)) {
			pfn++;
			continue;
		}
		heads++;
		if (o >= MAX_ORDER || pfn + (1ull << o) > max_pfn) {
			bad(errors, "page_alloc: free pfn 0x%lx has bad order %u", pfn, o);
			pfn++;
			continue;
		}
		if (o + 1 < MAX_ORDER) {
			u64 buddy = pfn ^ (1ull << o);

			if (buddy < max_pfn && (mem_map[buddy].flags & PG_FREE) &&
			    mem_map[buddy].order == o)
				bad(errors, "page_alloc: free buddies 0x%lx and 0x%lx of order %u not merged",
				    MIN(pfn, buddy), MAX(pfn, buddy), o);
		}
		for (u64 t = pfn + 1; t < pfn + (1ull << o); t++)
			if (mem_map[t].flags || mem_map[t].order != ORDER_NONE)
				bad(errors, "page_alloc: pfn 0x%lx inside free block 0x%lx/%u has "
				    "flags 0x%x order %u", t, pfn, o, mem_map[t].flags, mem_map[t].order);
		pfn += 1ull << o;
	}
	return heads;
}

/* See mm.h. Exact only while no other CPU allocates or frees (boot self-test,
 * host tests): other CPUs' caches are counted from mem_map flags, which they
 * change without the zone lock. Walks all of mem_map with the zone lock held
 * and interrupts off. Returns 0 or -EINVAL after printing up to
 * CHECK_REPORTS problems. */
int page_alloc_check(void)
{
	u64 irqflags = pcp_enter();
	struct pcp_cache *c = pcp_this();
	u64 list_pages = 0, pcp_pages = 0, n = 0, blocks, heads;
	struct list_head *pos;
	int errors = 0;

	list_for_each(pos, &c->list) {
		struct page *p = list_entry(pos, struct page, lru);

		if (++n > c->count || n > PCP_HIGH) {
			bad(&errors, "page_alloc: pcp list longer than its count %u", c->count);
			break;
		}
		if (p->flags != PG_PCP)
			bad(&errors, "page_alloc: pfn 0x%lx on the pcp list has flags 0x%x",
			    page_to_pfn(p), p->flags);
	}
	if (n < c->count)
		bad(&errors, "page_alloc: pcp list has %lu pages, counted %u", n, c->count);
	if (c->count > PCP_HIGH)
		bad(&errors, "page_alloc: pcp holds %u pages, more than %d", c->count, PCP_HIGH);

	spin_lock(&zone.lock);
	blocks = check_lists(&errors, &list_pages);
	heads = check_map(&errors, &pcp_pages);
	if (heads != blocks)
		bad(&errors, "page_alloc: %lu free heads in mem_map, %lu on the free lists",
		    heads, blocks);
	if (list_pages != zone.nr_free)
		bad(&errors, "page_alloc: free lists hold %lu pages, counted %lu",
		    list_pages, zone.nr_free);
	if (list_pages + pcp_pages != mm_free_pages())
		bad(&errors, "page_alloc: %lu pages in lists and %lu in pcp, mm_free_pages %lu",
		    list_pages, pcp_pages, mm_free_pages());
	spin_unlock(&zone.lock);
	pcp_exit(irqflags);

	if (errors > CHECK_REPORTS)
		pr_err("page_alloc: %d more problems", errors - CHECK_REPORTS);
	return errors ? -EINVAL : 0;
}
