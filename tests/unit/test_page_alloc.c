// SOURCES: mm/page_alloc.c
/* Host tests of the buddy allocator and its per-CPU cache. A 64 MiB host
 * mapping plays physical memory [0, 64 MiB); the tests hand the allocator
 * ranges of it with holes and odd edges, and keep their own model of which
 * pages are usable and which are handed out, so a page given twice, a page
 * outside the ranges, a lost page or an unmerged block is a failure. */
#include <skiff/mm.h>
#include "test.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

u64 host_direct_map_base;

#define PHYS_SIZE  (64ul << 20)
#define PHYS_PAGES (PHYS_SIZE >> PAGE_SHIFT)
#define MAX_BLOCK  (1ul << (MAX_ORDER - 1)) /* pages in a largest block */
#define PCP_HIGH   64 /* mm/page_alloc.c's cache limits, tested exactly */
#define PCP_BATCH  16

static u8 usable[PHYS_PAGES]; /* model: pages the allocator owns */
static u8 owned[PHYS_PAGES];  /* model: pages handed out to this test */
static u64 expect_total;

static u64 rng_state = 0x2545f4914f6cdd1dull;
static u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static u64 va_pfn(const void *va) { return virt_to_phys(va) >> PAGE_SHIFT; }

/* Build the model for ranges r[], call page_alloc_init() and check it
 * placed mem_map where the contract says and counted the same pages. */
static void layout(const struct mem_range *r, int n)
{
	u64 top = 0, map_pages, map_pfn = ~0ul;

	memset(usable, 0, sizeof(usable));
	memset(owned, 0, sizeof(owned));
	for (int i = 0; i < n; i++) {
		u64 s = (r[i].start + PAGE_SIZE - 1) >> PAGE_SHIFT, e = r[i].end >> PAGE_SHIFT;
		for (u64 p = s; p < e; p++)
			usable[p] = 1;
		if (e > s && e > top)
			top = e;
	}
	map_pages = (top * sizeof(struct page) + PAGE_SIZE - 1) / PAGE_SIZE;
	for (int i = 0; i < n && map_pfn == ~0ul; i++) {
		u64 s = (r[i].start + PAGE_SIZE - 1) >> PAGE_SHIFT, e = r[i].end >> PAGE_SHIFT;
		if (e > s && e - s >= map_pages)
			map_pfn = s;
	}
	for (u64 p = map_pfn; p < map_pfn + map_pages; p++)
		usable[p] = 0;
	expect_total = 0;
	for (u64 p = 0; p < PHYS_PAGES; p++)
		expect_total += usable[p];

	CHECK_EQ(page_alloc_init(r, n), 0);
	CHECK_EQ(max_pfn, top);
	CHECK(mem_map == phys_to_virt(map_pfn << PAGE_SHIFT));
	CHECK_EQ(mm_total_pages(), expect_total);
	CHECK_EQ(mm_free_pages(), expect_total);
	CHECK_EQ(page_alloc_check(), 0);
	for (u64 p = 0; p < max_pfn; p++)
		if (!usable[p] && !(mem_map[p].flags & PG_RESERVED)) {
			CHECK(!"unusable page not reserved");
			break;
		}
}

/* Largest blocks the model allows: MAX_BLOCK-aligned runs all usable. */
static u64 model_max_blocks(void)
{
	u64 n = 0;

	for (u64 b = 0; b + MAX_BLOCK <= max_pfn; b += MAX_BLOCK) {
		u64 p = b;
		while (p < b + MAX_BLOCK && usable[p])
			p++;
		n += p == b + MAX_BLOCK;
	}
	return n;
}

/* Whether the model has an aligned block of 2^order usable pages that are
 * not handed out (every free page merges, on one CPU, once the cache is
 * drained). */
static bool model_free_block(unsigned order)
{
	for (u64 b = 0; b + (1ul << order) <= max_pfn; b += 1ul << order) {
		u64 p = b;
		while (p < b + (1ul << order) && usable[p] && !owned[p])
			p++;
		if (p == b + (1ul << order))
			return true;
	}
	return false;
}

/* Record a block as handed out: aligned, usable, not already handed out. */
static void take(void *va, unsigned order)
{
	u64 pfn = va_pfn(va);

	CHECK(pfn % (1ul << order) == 0);
	for (u64 p = pfn; p < pfn + (1ul << order); p++) {
		if (p >= PHYS_PAGES || !usable[p] || owned[p]) {
			fprintf(stderr, "pfn 0x%lx order %u: usable %d owned %d\n", p, order,
				p < PHYS_PAGES ? usable[p] : -1, p < PHYS_PAGES ? owned[p] : -1);
			CHECK(!"block outside the ranges or handed out twice");
			return;
		}
		owned[p] = 1;
	}
}
static void give(void *va, unsigned order)
{
	u64 pfn = va_pfn(va);

	for (u64 p = pfn; p < pfn + (1ul << order); p++)
		owned[p] = 0;
	free_pages(va, order);
}

static u64 pat(u64 pfn, u64 seed) { return (pfn * 0x9e3779b97f4a7c15ull) ^ seed; }

/* Write a pattern into a block: every word when full, else three words a page. */
static void mark(void *va, unsigned order, u64 seed, bool full)
{
	for (u64 i = 0; i < (1ul << order); i++) {
		u64 *w = (u64 *)((char *)va + i * PAGE_SIZE), v = pat(va_pfn(w), seed);
		if (full) {
			for (int j = 0; j < 512; j++)
				w[j] = v + j;
		} else {
			w[0] = v;
			w[255] = v + 255;
			w[511] = v + 511;
		}
	}
}
static bool marked(void *va, unsigned order, u64 seed, bool full)
{
	for (u64 i = 0; i < (1ul << order); i++) {
		u64 *w = (u64 *)((char *)va + i * PAGE_SIZE), v = pat(va_pfn(w), seed);
		if (!full && (w[0] != v || w[255] != v + 255 || w[511] != v + 511))
			return false;
		for (int j = 0; full && j < 512; j++)
			if (w[j] != v + j)
				return false;
	}
	return true;
}

static u64 count_pcp(void)
{
	u64 n = 0;

	for (u64 p = 0; p < max_pfn; p++)
		n += !!(mem_map[p].flags & PG_PCP);
	return n;
}

/* Main layout: page 0, 636 KiB-1 MiB and a 1 MiB hole are not RAM; edges
 * are unaligned; one range shrinks to nothing once aligned. */
static const struct mem_range layout_a[] = {
	{ 0x1000, 0x9f000 },
	{ 0x100123, 0x17ffff0 },
	{ 0x1800100, 0x1800f00 },
	{ 0x1900000, 0x4000000 },
};

static void test_exhaust(void)
{
	void **pages = calloc(expect_total + 1, sizeof(void *));
	u64 n = 0, blocks = 0, want_blocks = model_max_blocks();
	void *big[64];

	while ((pages[n] = alloc_page()) != NULL) {
		take(pages[n], 0);
		mark(pages[n], 0, 0x1111, true);
		if (++n > expect_total)
			break;
	}
	CHECK_EQ(n, expect_total);
	CHECK_EQ(mm_free_pages(), 0);
	for (unsigned o = 0; o < MAX_ORDER; o++)
		CHECK(alloc_pages(o) == NULL);
	CHECK_EQ(page_alloc_check(), 0);
	for (u64 i = n; i > 1; i--) { /* free in random order */
		u64 j = rng() % i;
		void *t = pages[i - 1];
		pages[i - 1] = pages[j];
		pages[j] = t;
	}
	for (u64 i = 0; i < n; i++) {
		CHECK(marked(pages[i], 0, 0x1111, true));
		give(pages[i], 0);
	}
	CHECK_EQ(mm_free_pages(), expect_total);
	CHECK_EQ(page_alloc_check(), 0);

	/* Every page came back and merged: all the largest blocks exist again,
	 * although the per-CPU cache still held pages (it is drained on demand). */
	CHECK(count_pcp() > 0);
	CHECK(want_blocks >= 2);
	while (blocks < 64 && (big[blocks] = alloc_pages(MAX_ORDER - 1)) != NULL)
		take(big[blocks++], MAX_ORDER - 1);
	CHECK_EQ(blocks, want_blocks);
	CHECK_EQ(count_pcp(), 0);
	CHECK_EQ(page_alloc_check(), 0);
	while (blocks)
		give(big[--blocks], MAX_ORDER - 1);
	CHECK_EQ(mm_free_pages(), expect_total);
	CHECK_EQ(page_alloc_check(), 0);
	free(pages);
}

#define LIVE 1024
struct live { void *va; unsigned order; u64 seed; };

static void test_stress(void)
{
	static struct live live[LIVE];
	u64 nlive = 0, live_pages = 0, fails = 0, allocs = 0;

	for (int op = 0; op < 60000; op++) {
		u64 r = rng();
		if (nlive < LIVE && (r % 100 < 55 || nlive == 0)) {
			unsigned pct = (r >> 8) % 100, order;
			void *va;
			order = pct < 60 ? 0 : pct < 85 ? 1 + (r >> 16) % 3 : 4 + (r >> 16) % 7;
			va = alloc_pages(order);
			if (!va) {
				/* only right when the model has no free block that big */
				CHECK(!model_free_block(order));
				fails++;
				continue;
			}
			allocs++;
			take(va, order);
			live[nlive] = (struct live){ va, order, r };
			mark(va, order, r, order == 0);
			live_pages += 1ul << order;
			nlive++;
		} else if (nlive) {
			u64 i = (r >> 8) % nlive;
			CHECK(marked(live[i].va, live[i].order, live[i].seed, live[i].order == 0));
			give(live[i].va, live[i].order);
			live_pages -= 1ul << live[i].order;
			live[i] = live[--nlive];
		}
		if (op % 5000 == 0) {
			CHECK_EQ(page_alloc_check(), 0);
			CHECK_EQ(mm_free_pages(), expect_total - live_pages);
		}
	}
	CHECK(fails > 0 && allocs > 20000); /* memory did run short at times */
	while (nlive) {
		nlive--;
		CHECK(marked(live[nlive].va, live[nlive].order, live[nlive].seed, live[nlive].order == 0));
		give(live[nlive].va, live[nlive].order);
	}
	CHECK_EQ(mm_free_pages(), expect_total);
	CHECK_EQ(page_alloc_check(), 0);
	CHECK_EQ(alloc_pages(MAX_ORDER) == NULL, 1);
}

static void test_pcp(void)
{
	static void *pg[300];
	void *a, *b, *z;
	u64 n = 0, expect;

	/* Hot page reuse, and alloc_page_zeroed really zeroes a dirty page. */
	a = alloc_page();
	free_page(a);
	b = alloc_page();
	CHECK(a == b);
	memset(b, 0xaa, PAGE_SIZE);
	free_page(b);
	z = alloc_page_zeroed();
	CHECK(z == b);
	for (int i = 0; i < PAGE_SIZE; i++)
		if (((u8 *)z)[i]) {
			CHECK(!"alloc_page_zeroed left data");
			break;
		}
	free_page(z);

	/* Empty the cache, then one allocation refills it by a batch. */
	while (count_pcp() > 0 && n < 300)
		pg[n++] = alloc_page();
	CHECK_EQ(count_pcp(), 0);
	pg[n++] = alloc_page();
	CHECK_EQ(count_pcp(), PCP_BATCH - 1);
	while (n < 300)
		pg[n++] = alloc_page();
	CHECK_EQ(mm_free_pages(), expect_total - 300);
	CHECK_EQ(page_alloc_check(), 0);

	/* Frees fill the cache up to PCP_HIGH, then drain a batch at a time. */
	expect = count_pcp();
	while (n) {
		free_page(pg[--n]);
		expect++;
		if (expect > PCP_HIGH)
			expect -= PCP_BATCH;
		if (count_pcp() != expect) {
			CHECK_EQ(count_pcp(), expect);
			break;
		}
	}
	CHECK_EQ(mm_free_pages(), expect_total);
	CHECK_EQ(page_alloc_check(), 0);
}

/* page_alloc_check() must notice damage (expected error lines follow). */
static void test_check_detects(void)
{
	void *va = alloc_pages(3);
	struct page *p = virt_to_page(va), *head = NULL;

	fprintf(stderr, "-- page_alloc_check on damaged state, errors expected:\n");
	p->flags = PG_FREE; /* a free head on no list */
	CHECK(page_alloc_check() < 0);
	p->flags = 0;
	CHECK_EQ(page_alloc_check(), 0);
	free_pages(va, 3);

	for (u64 pfn = 0; pfn < max_pfn && !head; pfn++)
		if ((mem_map[pfn].flags & PG_FREE) && mem_map[pfn].order >= 1)
			head = &mem_map[pfn];
	CHECK(head != NULL);
	if (!head)
		return;
	head->order--; /* list and order disagree; the other half is lost */
	CHECK(page_alloc_check() < 0);
	head->order++;
	head[1].flags = PG_PCP; /* a cached page inside a free block */
	CHECK(page_alloc_check() < 0);
	head[1].flags = 0;
	fprintf(stderr, "-- end of expected errors\n");
	CHECK_EQ(page_alloc_check(), 0);
}

/* Run fn in a child; it must panic (abort) with msg in its output. */
static void expect_panic(const char *name, void (*fn)(void), const char *msg)
{
	int fd[2], status = 0;
	char buf[4096];
	ssize_t len = 0, r;
	pid_t pid;

	if (pipe(fd) != 0) {
		CHECK(!"pipe");
		return;
	}
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		fn();
		_exit(0);
	}
	close(fd[1]);
	while (len < (ssize_t)sizeof(buf) - 1 && (r = read(fd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += r;
	buf[len] = 0;
	close(fd[0]);
	waitpid(pid, &status, 0);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT || !strstr(buf, msg)) {
		fprintf(stderr, "%s: expected a panic with \"%s\", got status 0x%x:\n%s\n",
			name, msg, status, buf);
		CHECK(!"no panic");
	}
}

static void double_free0(void) { void *p = alloc_page(); free_page(p); free_page(p); }
static void double_free3(void) { void *p = alloc_pages(3); free_pages(p, 3); free_pages(p, 3); }
static void double_free_merged(void)
{
	/* an order-1 block freed: its second page is now inside a free block */
	void *p = alloc_pages(1);
	free_pages(p, 1);
	free_page((char *)p + PAGE_SIZE);
}
static void free_reserved(void) { free_page(mem_map); }
static void free_hole(void) { free_page(phys_to_virt(0x1850000)); }
static void free_wrong_order(void) { free_pages(alloc_pages(2), 1); }
static void free_tail(void) { free_page((char *)alloc_pages(2) + PAGE_SIZE); }
static void free_misaligned(void) { free_pages((char *)alloc_pages(1) + 64, 1); }

static void test_panics(void)
{
	expect_panic("double_free0", double_free0, "double free");
	expect_panic("double_free3", double_free3, "double free");
	expect_panic("double_free_merged", double_free_merged, "double free");
	expect_panic("free_reserved", free_reserved, "reserved page");
	expect_panic("free_hole", free_hole, "reserved page");
	expect_panic("free_wrong_order", free_wrong_order, "allocated with order 2");
	expect_panic("free_tail", free_tail, "not the start of an allocated block");
	expect_panic("free_misaligned", free_misaligned, "not a page of the page allocator");
}

/* Unsorted, overlapping and unaligned ranges; descriptors that fit nowhere. */
static void test_odd_layouts(void)
{
	static const struct mem_range one[] = { { 0x3001, 0x2345678 } };
	static const struct mem_range messy[] = {
		{ 0x2000000, 0x3000000 }, { 0x100000, 0x900000 },
		{ 0x800000, 0xa00000 }, { 0x5000, 0x5fff }, { 0xa00000, 0xa00001 },
	};
	static const struct mem_range tiny[] = { { 0, 0x10000 }, { 0x3ff0000, 0x4000000 } };
	const struct mem_range *sets[] = { one, messy };
	const int nsets[] = { 1, 5 };

	for (int s = 0; s < 2; s++) {
		u64 total, n = 0;
		void *p;

		layout(sets[s], nsets[s]);
		total = expect_total;
		while ((p = alloc_page()) != NULL) {
			take(p, 0);
			n++;
		}
		CHECK_EQ(n, total);
		for (u64 pfn = 0; pfn < PHYS_PAGES; pfn++)
			if (owned[pfn])
				give(phys_to_virt(pfn << PAGE_SHIFT), 0);
		CHECK_EQ(mm_free_pages(), total);
		CHECK_EQ(page_alloc_check(), 0);
		n = 0;
		while ((p = alloc_pages(MAX_ORDER - 1)) != NULL) {
			take(p, MAX_ORDER - 1);
			n++;
		}
		CHECK_EQ(n, model_max_blocks());
		for (u64 pfn = 0; pfn < PHYS_PAGES; pfn += MAX_BLOCK)
			if (owned[pfn])
				give(phys_to_virt(pfn << PAGE_SHIFT), MAX_ORDER - 1);
		CHECK_EQ(page_alloc_check(), 0);
	}
	CHECK(virt_to_phys(mem_map) == 0x2000000);

	/* Failure leaves the allocator as it was. */
	fprintf(stderr, "-- two -ENOMEM errors expected:\n");
	CHECK_EQ(page_alloc_init(tiny, 2), -ENOMEM);
	CHECK_EQ(page_alloc_init(tiny, 0), -ENOMEM);
	CHECK_EQ(mm_total_pages(), expect_total);
	CHECK_EQ(mm_free_pages(), expect_total);
	CHECK_EQ(page_alloc_check(), 0);
}

/* page_alloc_release: reserved RAM (the initramfs) handed over later;
 * whole pages only, never mem_map, free or allocated pages twice. */
static void test_release(void)
{
	layout(layout_a, 4);
	u64 free0 = mm_free_pages(), total0 = mm_total_pages();

	CHECK_EQ(page_alloc_release(0x1800000, 0x1880000), 128);
	CHECK_EQ(mm_free_pages(), free0 + 128);
	CHECK_EQ(mm_total_pages(), total0 + 128);
	CHECK_EQ(page_alloc_check(), 0);
	CHECK_EQ(page_alloc_release(0x1800000, 0x1880000), 0);
	CHECK_EQ(page_alloc_release(virt_to_phys(mem_map), virt_to_phys(mem_map) + 4 * PAGE_SIZE), 0);
	CHECK_EQ(page_alloc_release(0x2000000, 0x2100000), 0);
	CHECK_EQ(page_alloc_release(0x1880800, 0x1882800), 1); /* page 0x1881 only */
	CHECK_EQ(page_alloc_check(), 0);
	/* The released pages are handed out like any other. */
	u64 n = 0, seen = 0;
	void *p;
	static void *all[PHYS_PAGES];
	while ((p = alloc_page())) {
		u64 pfn = va_pfn(p);
		seen += pfn >= 0x1800 && pfn < 0x1882;
		all[n++] = p;
	}
	CHECK_EQ(n, free0 + 129);
	CHECK_EQ(seen, 129);
	while (n)
		free_page(all[--n]);
	CHECK_EQ(page_alloc_check(), 0);
}

int main(void)
{
	u64 raw = (u64)mmap(NULL, PHYS_SIZE + (4ul << 20), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if ((void *)raw == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* 4 MiB aligned, so virtual and "physical" block alignment agree */
	host_direct_map_base = (raw + (4ul << 20) - 1) & ~((4ul << 20) - 1);

	layout(layout_a, 4);
	CHECK_EQ(max_pfn, PHYS_PAGES);
	CHECK(model_max_blocks() == 13);
	test_exhaust();
	test_stress();
	test_pcp();
	test_check_detects();
	test_panics();
	test_odd_layouts();
	test_release();
	TEST_DONE("page_alloc");
}
