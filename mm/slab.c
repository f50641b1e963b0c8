/* kmalloc/kfree: the kernel heap.
 *
 * Design
 *  - Requests up to 2 KiB are served from eight size classes, 16 B to 2 KiB
 *    (powers of two; a request takes the smallest class that holds it).
 *    Each class owns slabs of one page cut into equal objects, so an object
 *    is aligned to its class size. kmalloc(0) returns a 16-byte object that
 *    must be kfree()d like any other (never NULL, so "n * size" with n == 0
 *    is not mistaken for exhaustion).
 *  - Larger requests take 2^order whole pages from alloc_pages(); kfree()
 *    tells them apart by PG_SLAB and gives them back with the order the page
 *    allocator recorded in the head page. Up to 4 MiB; beyond that NULL.
 *  - A slab keeps no header in its page, so a 2 KiB class fits two objects
 *    per page. Its state lives in its struct page (PG_SLAB set):
 *      lru     link on its class's partial or full list
 *      pad[0]  size class index
 *      pad2    bits 0-15: offset of the first free object (SLAB_END: none)
 *              bits 16-31: number of free objects
 *    A free object starts with the u32 offset of the next free object in
 *    the same slab (an intrusive list); with SKIFF_DEBUG its remaining bytes
 *    hold POISON_FREE, checked when it is handed out again, and kfree()
 *    walks the slab's free list to catch a double free. Both panic.
 *  - Slabs with free objects are on the class's partial list, slabs with
 *    none on its full list. A slab whose objects are all free goes back to
 *    the page allocator, except that each class keeps up to SLAB_KEEP_EMPTY
 *    empty slabs (at the tail of partial) so that one object allocated and
 *    freed in a loop does not allocate and free a page each time.
 *
 * Locking
 *  [k] the class's lock, taken with interrupts off; the page allocator's
 *      locks nest inside it
 *  [I] fixed at build time
 *  A slab page's struct page fields and its free objects are [k] of its
 *  class; an allocated object belongs to whoever allocated it.
 */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <skiff/string.h>

#define SLAB_MIN_SHIFT  4  /* 16 B */
#define SLAB_MAX_SHIFT  11 /* 2 KiB */
#define NR_CLASSES      (SLAB_MAX_SHIFT - SLAB_MIN_SHIFT + 1)
#define SLAB_END        0xffffu /* free-list terminator */
#define SLAB_KEEP_EMPTY 1
#define POISON_FREE     0x6b

BUILD_ASSERT(PAGE_SIZE >> SLAB_MAX_SHIFT >= 2, "a slab holds at least two objects");
BUILD_ASSERT(PAGE_SIZE < SLAB_END, "offsets and counts fit in 16 bits");
BUILD_ASSERT(sizeof(u32) <= (1u << SLAB_MIN_SHIFT), "free-list link fits an object");

struct kmem_class {
	spinlock_t lock;
	u32 size;                 /* [I] object size */
	struct list_head partial; /* [k] slabs with a free object; empty ones at the tail */
	struct list_head full;    /* [k] slabs without */
	u32 nr_slabs;             /* [k] slab pages owned */
	u32 nr_empty;             /* [k] slabs with every object free */
};

#define KCLASS(i, name)                                            \
	[i] = { .lock = SPINLOCK_INIT(name),                       \
		.size = 1u << (SLAB_MIN_SHIFT + i),                \
		.partial = LIST_HEAD_INIT(classes[i].partial),     \
		.full = LIST_HEAD_INIT(classes[i].full) }
static struct kmem_class classes[NR_CLASSES] = {
	KCLASS(0, "kmalloc-16"),  KCLASS(1, "kmalloc-32"),
	KCLASS(2, "kmalloc-64"),  KCLASS(3, "kmalloc-128"),
	KCLASS(4, "kmalloc-256"), KCLASS(5, "kmalloc-512"),
	KCLASS(6, "kmalloc-1024"), KCLASS(7, "kmalloc-2048"),
};

/* ---- slab state in struct page ---------------------------------------- */

static inline unsigned slab_class(const struct page *p) { return p->pad[0]; }
static inline u32 slab_head(const struct page *p) { return p->pad2 & 0xffff; }
static inline u32 slab_nfree(const struct page *p) { return p->pad2 >> 16; }
static inline void slab_set(struct page *p, u32 head, u32 nfree)
{
	p->pad2 = head | nfree << 16;
}
static inline u32 slab_objects(const struct kmem_class *c) { return PAGE_SIZE / c->size; }
static inline u32 *obj_link(struct page *p, u32 off)
{
	return (u32 *)((char *)page_to_virt(p) + off);
}

/* Fill a free object's bytes after its link with POISON_FREE (debug). */
static void obj_poison(const struct kmem_class *c, u32 *obj)
{
#ifdef SKIFF_DEBUG
	memset(obj + 1, POISON_FREE, c->size - sizeof(u32));
#else
	(void)c;
	(void)obj;
#endif
}

/* Whether a free object's poison is intact (always true without debug). */
static bool obj_poison_ok(const struct kmem_class *c, const u32 *obj)
{
#ifdef SKIFF_DEBUG
	const u8 *b = (const u8 *)(obj + 1);

	for (u32 i = 0; i < c->size - sizeof(u32); i++)
		if (b[i] != POISON_FREE)
			return false;
#else
	(void)c;
	(void)obj;
#endif
	return true;
}

/* ---- slabs -------------------------------------------------------------- */

/* Add a fresh slab, all objects free, to class ci. Caller holds its lock.
 * Returns false when the page allocator has no page. */
static bool slab_grow(unsigned ci)
{
	struct kmem_class *c = &classes[ci];
	u32 n = slab_objects(c);
	struct page *p;
	void *va;

	assert_held(&c->lock);
	va = alloc_page();
	if (!va)
		return false;
	p = virt_to_page(va);
	p->flags |= PG_SLAB;
	p->pad[0] = (u8)ci;
	for (u32 i = 0; i < n; i++) {
		u32 *obj = obj_link(p, i * c->size);

		*obj = i + 1 < n ? (i + 1) * c->size : SLAB_END;
		obj_poison(c, obj);
	}
	slab_set(p, 0, n);
	list_add_tail(&p->lru, &c->partial);
	c->nr_slabs++;
	c->nr_empty++;
	return true;
}

/* One object from class ci, or NULL when out of pages. */
static void *slab_alloc(unsigned ci)
{
	struct kmem_class *c = &classes[ci];
	u64 irqflags = spin_lock_irqsave(&c->lock);
	struct page *p;
	u32 off, *obj;

	if (list_empty(&c->partial) && !slab_grow(ci)) {
		spin_unlock_irqrestore(&c->lock, irqflags);
		return NULL;
	}
	p = list_first_entry(&c->partial, struct page, lru);
	if (slab_nfree(p) == slab_objects(c))
		c->nr_empty--;
	off = slab_head(p);
	obj = obj_link(p, off);
	if (!obj_poison_ok(c, obj))
		panic("kmalloc-%u: free object %p was written after kfree", c->size, obj);
	if (*obj != SLAB_END && (*obj >= PAGE_SIZE || (*obj & (c->size - 1))))
		panic("kmalloc-%u: free list of slab %p corrupt: link 0x%x in %p",
		      c->size, page_to_virt(p), *obj, obj);
	slab_set(p, *obj, slab_nfree(p) - 1);
	if (slab_nfree(p) == 0) {
		list_del(&p->lru);
		list_add(&p->lru, &c->full);
	}
	spin_unlock_irqrestore(&c->lock, irqflags);
	return obj;
}

/* Give obj back to its slab p; a slab left empty beyond SLAB_KEEP_EMPTY
 * goes back to the page allocator. Panics on a pointer that is not an
 * object start, and (debug) on a double free. */
static void slab_free(struct page *p, void *va)
{
	unsigned ci = slab_class(p);
	struct kmem_class *c;
	u32 off = (u32)((u64)va & (PAGE_SIZE - 1)), *obj = va;
	void *release = NULL;
	u64 irqflags;

	if (ci >= NR_CLASSES)
		panic("kfree: %p: slab page with bad class %u", va, ci);
	c = &classes[ci];
	if (off & (c->size - 1))
		panic("kfree: %p is not the start of a kmalloc-%u object", va, c->size);

	irqflags = spin_lock_irqsave(&c->lock);
#ifdef SKIFF_DEBUG
	for (u32 f = slab_head(p), n = 0; f != SLAB_END && n < slab_objects(c);
	     f = *obj_link(p, f), n++)
		if (f == off)
			panic("kfree: double free of %p (kmalloc-%u)", va, c->size);
#endif
	*obj = slab_head(p);
	obj_poison(c, obj);
	slab_set(p, off, slab_nfree(p) + 1);
	if (slab_nfree(p) == 1) {
		list_del(&p->lru);
		list_add(&p->lru, &c->partial);
	}
	if (slab_nfree(p) == slab_objects(c)) {
		list_del(&p->lru);
		if (c->nr_empty >= SLAB_KEEP_EMPTY) {
			c->nr_slabs--;
			p->flags &= ~PG_SLAB;
			p->pad[0] = 0;
			p->pad2 = 0;
			release = page_to_virt(p);
		} else {
			list_add_tail(&p->lru, &c->partial);
			c->nr_empty++;
		}
	}
	spin_unlock_irqrestore(&c->lock, irqflags);
	if (release)
		free_page(release);
}

/* ---- public interface ------------------------------------------------- */

/* size bytes aligned to the smallest power of two >= size (at most to a
 * page), or NULL when memory is exhausted or size > 4 MiB. kmalloc(0) is a
 * 16-byte object. Contents are undefined. Any context; never sleeps. */
void *kmalloc(size_t size)
{
	unsigned order = 0;

	if (size <= (1u << SLAB_MAX_SHIFT)) {
		unsigned shift = size <= (1u << SLAB_MIN_SHIFT)
					 ? SLAB_MIN_SHIFT
					 : 64 - (unsigned)__builtin_clzl(size - 1);

		return slab_alloc(shift - SLAB_MIN_SHIFT);
	}
	if (size > (size_t)PAGE_SIZE << (MAX_ORDER - 1))
		return NULL;
	while ((size_t)PAGE_SIZE << order < size)
		order++;
	return alloc_pages(order);
}

/* kmalloc, zero-filled. */
void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

/* Free a kmalloc() result; NULL is ignored. Panics on a pointer kmalloc did
 * not return (or no longer owns, where that is detectable). */
void kfree(void *va)
{
	phys_addr_t pa;
	struct page *p;

	if (!va)
		return;
	pa = virt_to_phys(va);
	if ((pa >> PAGE_SHIFT) >= max_pfn)
		panic("kfree: %p is not a kmalloc pointer", va);
	p = virt_to_page(va);
	if (p->flags & PG_SLAB) {
		slab_free(p, va);
		return;
	}
	if (!IS_ALIGNED(pa, PAGE_SIZE))
		panic("kfree: %p is not a kmalloc pointer", va);
	free_pages(va, p->order); /* panics unless p heads an allocated block */
}

/* ---- consistency check ------------------------------------------------ */

#define CHECK_REPORTS 16

static __printf(2, 3) void bad(int *errors, const char *fmt, ...)
{
	va_list ap;

	if (++*errors > CHECK_REPORTS)
		return;
	va_start(ap, fmt);
	vprintk(LOG_ERR, fmt, ap);
	va_end(ap);
}

/* Check one slab of class ci: flags, class, a free list of in-page, aligned,
 * poisoned objects whose length is the recorded count. Returns its count of
 * free objects. [k] */
static u32 check_slab(int *errors, unsigned ci, struct page *p)
{
	struct kmem_class *c = &classes[ci];
	u32 n = 0;

	if (!(p->flags & PG_SLAB) || slab_class(p) != ci) {
		bad(errors, "kmalloc-%u: slab %p has flags 0x%x class %u",
		    c->size, page_to_virt(p), p->flags, slab_class(p));
		return 0;
	}
	for (u32 f = slab_head(p); f != SLAB_END; f = *obj_link(p, f)) {
		if (f >= PAGE_SIZE || (f & (c->size - 1))) {
			bad(errors, "kmalloc-%u: slab %p free list holds bad offset 0x%x",
			    c->size, page_to_virt(p), f);
			break;
		}
		if (++n > slab_objects(c)) {
			bad(errors, "kmalloc-%u: slab %p free list loops", c->size, page_to_virt(p));
			break;
		}
		if (!obj_poison_ok(c, obj_link(p, f)))
			bad(errors, "kmalloc-%u: free object %p was written after kfree",
			    c->size, (void *)obj_link(p, f));
	}
	if (n != slab_nfree(p))
		bad(errors, "kmalloc-%u: slab %p has %u free objects, counted %u",
		    c->size, page_to_virt(p), n, slab_nfree(p));
	return n;
}

/* Walk one of a class's lists; full says which. Returns slabs seen and adds
 * the empty ones to *empty. [k] */
static u32 check_list(int *errors, unsigned ci, struct list_head *h, bool full, u32 *empty)
{
	struct kmem_class *c = &classes[ci];
	struct list_head *pos;
	u32 slabs = 0;

	list_for_each(pos, h) {
		struct page *p = list_entry(pos, struct page, lru);
		u32 n;

		if (++slabs > c->nr_slabs) {
			bad(errors, "kmalloc-%u: more slabs on lists than the %u owned",
			    c->size, c->nr_slabs);
			break;
		}
		n = check_slab(errors, ci, p);
		if (full ? n != 0 : n == 0)
			bad(errors, "kmalloc-%u: slab %p with %u free objects on the %s list",
			    c->size, page_to_virt(p), n, full ? "full" : "partial");
		if (n == slab_objects(c))
			(*empty)++;
	}
	return slabs;
}

/* See mm.h: walks every slab of every class under its lock. Returns 0 or
 * -EINVAL after printing up to CHECK_REPORTS problems. */
int kmalloc_check(void)
{
	int errors = 0;

	for (unsigned ci = 0; ci < NR_CLASSES; ci++) {
		struct kmem_class *c = &classes[ci];
		u64 irqflags = spin_lock_irqsave(&c->lock);
		u32 empty = 0, slabs;

		slabs = check_list(&errors, ci, &c->partial, false, &empty);
		slabs += check_list(&errors, ci, &c->full, true, &empty);
		if (slabs != c->nr_slabs)
			bad(&errors, "kmalloc-%u: %u slabs on lists, counted %u",
			    c->size, slabs, c->nr_slabs);
		if (empty != c->nr_empty || empty > SLAB_KEEP_EMPTY)
			bad(&errors, "kmalloc-%u: %u empty slabs, counted %u, keep %u",
			    c->size, empty, c->nr_empty, SLAB_KEEP_EMPTY);
		spin_unlock_irqrestore(&c->lock, irqflags);
	}
	if (errors > CHECK_REPORTS)
		pr_err("kmalloc: %d more problems", errors - CHECK_REPORTS);
	return errors ? -EINVAL : 0;
}
