// SOURCES: mm/slab.c mm/page_alloc.c
/* Host tests of kmalloc/kfree over the real page allocator, on a 64 MiB host
 * mapping that plays physical memory. Objects carry patterns checked on
 * free, live objects are checked for overlap, and the page allocator's free
 * count shows exactly where memory went. */
#include <skiff/mm.h>
#include "test.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

u64 host_direct_map_base;

#define PHYS_SIZE  (64ul << 20)
#define NR_CLASSES 8 /* 16 B .. 2 KiB */
#define KEEP_EMPTY 1 /* empty slabs a class keeps (mm/slab.c), tested exactly */

static u64 baseline; /* free pages with every class holding one empty slab */

static u64 rng_state = 0x9e3779b97f4a7c15ull;
static u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void fill(void *p, size_t n, u64 seed)
{
	for (size_t i = 0; i < n; i++)
		((u8 *)p)[i] = (u8)(seed + i * 31);
}
static bool filled(const void *p, size_t n, u64 seed)
{
	for (size_t i = 0; i < n; i++)
		if (((const u8 *)p)[i] != (u8)(seed + i * 31))
			return false;
	return true;
}

/* What kmalloc(n) promises: the class size for small n, whole pages above. */
static size_t class_of(size_t n)
{
	size_t c = 16;

	if (n > 2048)
		return PAGE_SIZE;
	while (c < n)
		c <<= 1;
	return c;
}

static void test_warm(void)
{
	u64 before = mm_free_pages();

	for (size_t s = 16; s <= 2048; s <<= 1)
		kfree(kmalloc(s));
	baseline = mm_free_pages();
	CHECK_EQ(before - baseline, NR_CLASSES * KEEP_EMPTY);
	CHECK_EQ(kmalloc_check(), 0);
}

struct obj { u8 *p; size_t n; u64 seed; };

static int by_addr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct obj *)a)->p, y = (uintptr_t)((const struct obj *)b)->p;
	return x < y ? -1 : x > y;
}

/* No two live objects share a byte. */
static void check_disjoint(struct obj *o, size_t n)
{
	qsort(o, n, sizeof(*o), by_addr);
	for (size_t i = 1; i < n; i++)
		if (o[i - 1].p + o[i - 1].n > o[i].p) {
			CHECK(!"live objects overlap");
			return;
		}
}

/* Every size up to 4200 bytes: alignment, slab or page, distinct memory. */
static void test_sizes(void)
{
	static struct obj o[4201];
	size_t n = 0;

	for (size_t s = 0; s <= 4200; s++) {
		u8 *p = kmalloc(s);
		struct page *pg;

		CHECK(p != NULL);
		if (!p)
			continue;
		pg = virt_to_page(p);
		CHECK_EQ((uintptr_t)p % class_of(s), 0);
		CHECK_EQ(!!(pg->flags & PG_SLAB), s <= 2048);
		fill(p, s, s);
		o[n++] = (struct obj){ p, s ? s : 16, s }; /* kmalloc(0) owns 16 bytes */
	}
	CHECK_EQ(kmalloc_check(), 0);
	check_disjoint(o, n);
	for (size_t i = 0; i < n; i++) {
		CHECK(filled(o[i].p, o[i].seed, o[i].seed));
		kfree(o[i].p);
	}
	kfree(NULL);
	CHECK_EQ(mm_free_pages(), baseline);
	CHECK_EQ(kmalloc_check(), 0);
	CHECK_EQ(page_alloc_check(), 0);
}

#define LIVE 4000
static void test_stress(void)
{
	static struct obj live[LIVE];
	size_t nlive = 0, large = 0;

	for (int op = 0; op < 100000; op++) {
		u64 r = rng();
		if (nlive < LIVE && (r % 100 < 55 || !nlive)) {
			/* log-uniform sizes, one in five above the slab classes */
			size_t n = (r >> 8) % 5 ? (size_t)1 << ((r >> 16) % 11 + 1)
						: (size_t)1 << ((r >> 16) % 5 + 12);
			n = n / 2 + (r >> 24) % (n / 2 + 1);
			u8 *p = kmalloc(n);

			CHECK(p != NULL);
			if (!p)
				continue;
			large += n > 2048;
			fill(p, n, r);
			live[nlive++] = (struct obj){ p, n, r };
		} else if (nlive) {
			size_t i = (r >> 8) % nlive;

			CHECK(filled(live[i].p, live[i].n, live[i].seed));
			kfree(live[i].p);
			live[i] = live[--nlive];
		}
		if (op % 10000 == 0) {
			CHECK_EQ(kmalloc_check(), 0);
			CHECK_EQ(page_alloc_check(), 0);
		}
	}
	CHECK(large > 1000);
	check_disjoint(live, nlive);
	while (nlive) {
		nlive--;
		CHECK(filled(live[nlive].p, live[nlive].n, live[nlive].seed));
		kfree(live[nlive].p);
	}
	CHECK_EQ(mm_free_pages(), baseline);
	CHECK_EQ(kmalloc_check(), 0);
	CHECK_EQ(page_alloc_check(), 0);
}

/* Large requests are whole buddy blocks, returned in full by kfree. */
static void test_large(void)
{
	u8 *p = kmalloc(5000), *q;

	CHECK_EQ(baseline - mm_free_pages(), 2);
	CHECK_EQ((uintptr_t)p % PAGE_SIZE, 0);
	CHECK_EQ(virt_to_page(p)->order, 1);
	fill(p, 5000, 7);
	q = kmalloc(PAGE_SIZE << (MAX_ORDER - 1));
	CHECK(q != NULL);
	CHECK_EQ(baseline - mm_free_pages(), 2 + (1 << (MAX_ORDER - 1)));
	CHECK(kmalloc((PAGE_SIZE << (MAX_ORDER - 1)) + 1) == NULL);
	CHECK(kmalloc(SIZE_MAX) == NULL);
	CHECK(kzalloc(SIZE_MAX) == NULL);
	kfree(q);
	CHECK(filled(p, 5000, 7));
	kfree(p);
	CHECK_EQ(mm_free_pages(), baseline);
}

/* Emptied slabs go back to the page allocator, but for one per class. */
static void test_pages_return(void)
{
	static void *o[10000];
	u8 *z;

	for (int i = 0; i < 10000; i++)
		o[i] = kmalloc(64);
	/* 157 slabs of 64 objects; one was the class's empty slab already */
	CHECK_EQ(baseline - mm_free_pages(), 156);
	for (int i = 9999; i > 0; i--) {
		int j = (int)(rng() % (u64)(i + 1));
		void *t = o[i];
		o[i] = o[j];
		o[j] = t;
	}
	for (int i = 0; i < 10000; i++)
		kfree(o[i]);
	CHECK_EQ(mm_free_pages(), baseline);
	CHECK_EQ(kmalloc_check(), 0);

	z = kmalloc(100);
	memset(z, 0xff, 100);
	kfree(z);
	z = kzalloc(100);
	for (int i = 0; i < 100; i++)
		if (z[i]) {
			CHECK(!"kzalloc left data");
			break;
		}
	kfree(z);
}

/* kmalloc_check() must notice damage (expected error lines follow). */
static void test_check_detects(void)
{
	u8 *a = kmalloc(64), *b = kmalloc(64);
	u32 link;

	fprintf(stderr, "-- kmalloc_check on damaged state, errors expected:\n");
	kfree(b);
	b[10] ^= 1; /* write after free */
	CHECK(kmalloc_check() < 0);
	b[10] ^= 1;
	CHECK_EQ(kmalloc_check(), 0);
	memcpy(&link, b, 4);
	memcpy(b, &(u32){ 0x1001 }, 4); /* free list link into the middle of an object */
	CHECK(kmalloc_check() < 0);
	memcpy(b, &link, 4);
	virt_to_page(a)->pad2 += 1 << 16; /* free count off by one */
	CHECK(kmalloc_check() < 0);
	virt_to_page(a)->pad2 -= 1 << 16;
	fprintf(stderr, "-- end of expected errors\n");
	CHECK_EQ(kmalloc_check(), 0);
	kfree(a);
	CHECK_EQ(mm_free_pages(), baseline);
}

/* Run fn in a child; it must abort with msg in its output. */
static void expect_death(const char *name, void (*fn)(void), const char *msg)
{
	int fd[2], status = 0;
	char buf[8192];
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
	if (!(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status))) ||
	    !strstr(buf, msg)) {
		fprintf(stderr, "%s: expected death with \"%s\", got status 0x%x:\n%s\n",
			name, msg, status, buf);
		CHECK(!"did not die");
	}
}

static void double_kfree(void) { void *p = kmalloc(64); kfree(p); kfree(p); }
static void double_kfree_large(void) { void *p = kmalloc(10000); kfree(p); kfree(p); }
static void kfree_inside(void) { kfree((char *)kmalloc(64) + 8); }
static void kfree_stack(void) { int x; kfree(&x); }
static void kfree_reserved(void) { kfree(mem_map); }
static void write_after_free(void)
{
	char *p = kmalloc(64);
	kfree(p);
	p[20] = 1;
	for (int i = 0; i < 10000; i++)
		kmalloc(64);
}
static void touch_released_slab(void)
{
	static char *o[512];
	for (int i = 0; i < 512; i++)
		o[i] = kmalloc(512); /* 64 slabs */
	for (int i = 0; i < 512; i++)
		kfree(o[i]);
	o[511][100] = 1; /* its page went back to the page allocator */
}

static void test_deaths(void)
{
	expect_death("double_kfree", double_kfree, "double free");
	expect_death("double_kfree_large", double_kfree_large, "double free");
	expect_death("kfree_inside", kfree_inside, "not the start of a kmalloc-64 object");
	expect_death("kfree_stack", kfree_stack, "not a kmalloc pointer");
	expect_death("kfree_reserved", kfree_reserved, "reserved page");
	expect_death("write_after_free", write_after_free, "was written after kfree");
#ifdef __SANITIZE_ADDRESS__
	expect_death("touch_released_slab", touch_released_slab, "use-after-poison");
#else
	(void)touch_released_slab;
#endif
}

int main(void)
{
	void *raw = mmap(NULL, PHYS_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct mem_range r[] = { { 0x1000, PHYS_SIZE } };

	if (raw == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	host_direct_map_base = (u64)raw;
	CHECK_EQ(page_alloc_init(r, 1), 0);
	test_warm();
	test_sizes();
	test_stress();
	test_large();
	test_pages_return();
	test_check_detects();
	test_deaths();
	CHECK_EQ(kmalloc_check(), 0);
	CHECK_EQ(page_alloc_check(), 0);
	TEST_DONE("slab");
}
