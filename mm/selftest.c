/* Allocator stress self-test (skiff.selftest=alloc): one thread per CPU
 * allocates and frees pages of random orders and kmalloc objects of random
 * sizes, each filled with a pattern derived from its address and checked
 * before it is freed; then the buddy and slab consistency walks run and the
 * free page count must be back where it started. */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/sched.h>
#include <skiff/selftest.h>
#include <skiff/string.h>

#define SLOTS 256
#define ITERS 20000

struct alloc_worker {
	u64 seed;
	int errors;
	void *ptr[SLOTS];
	u32 size[SLOTS];   /* bytes for kmalloc, 0 for pages */
	u8 order[SLOTS];
};
static struct alloc_worker workers[NR_CPUS];

static u64 rnd(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t slot_bytes(struct alloc_worker *w, int i)
{
	return w->size[i] ? w->size[i] : (size_t)PAGE_SIZE << w->order[i];
}

static void fill(void *p, size_t n)
{
	u64 *q = p;
	for (size_t i = 0; i < n / 8; i++)
		q[i] = (u64)p ^ (i * 0x9e3779b97f4a7c15ull);
}

static bool check(void *p, size_t n)
{
	u64 *q = p;
	for (size_t i = 0; i < n / 8; i++)
		if (q[i] != ((u64)p ^ (i * 0x9e3779b97f4a7c15ull)))
			return false;
	return true;
}

static void release(struct alloc_worker *w, int i)
{
	if (!check(w->ptr[i], slot_bytes(w, i))) {
		pr_err("alloc: corrupted block %p (%zu bytes)", w->ptr[i], slot_bytes(w, i));
		w->errors++;
	}
	if (w->size[i])
		kfree(w->ptr[i]);
	else
		free_pages(w->ptr[i], w->order[i]);
	w->ptr[i] = NULL;
}

static int alloc_worker_fn(void *arg)
{
	struct alloc_worker *w = arg;

	for (int it = 0; it < ITERS; it++) {
		int i = (int)(rnd(&w->seed) % SLOTS);
		if (w->ptr[i]) {
			release(w, i);
			continue;
		}
		u64 r = rnd(&w->seed);
		if (r & 1) {
			w->size[i] = (u32)(8 + (r >> 8) % 6000) & ~7u;
			w->ptr[i] = kmalloc(w->size[i]);
		} else {
			w->size[i] = 0;
			w->order[i] = (u8)((r >> 8) % 4);
			w->ptr[i] = alloc_pages(w->order[i]);
		}
		if (w->ptr[i])
			fill(w->ptr[i], slot_bytes(w, i));
		if ((it & 1023) == 0)
			yield();
	}
	for (int i = 0; i < SLOTS; i++)
		if (w->ptr[i])
			release(w, i);
	return 0;
}

static int test_alloc(void)
{
	struct thread *t[NR_CPUS];
	u64 free_before, free_after;
	int errors = 0;

	free_before = mm_free_pages();
	for (unsigned c = 0; c < nr_cpus_online; c++) {
		memset(&workers[c], 0, sizeof(workers[c]));
		workers[c].seed = 0x1234567ull + c * 7919;
		t[c] = kthread_create(alloc_worker_fn, &workers[c], "alloc-test", (int)c);
		if (!t[c])
			return -ENOMEM;
	}
	for (unsigned c = 0; c < nr_cpus_online; c++) {
		kthread_join(t[c]);
		errors += workers[c].errors;
	}
	if (page_alloc_check() != 0) {
		pr_err("alloc: buddy allocator inconsistent");
		errors++;
	}
	if (kmalloc_check() != 0) {
		pr_err("alloc: slab allocator inconsistent");
		errors++;
	}
	free_after = mm_free_pages();
	pr_info("alloc: %u threads x %d operations; free pages %llu before, %llu after",
		nr_cpus_online, ITERS, (unsigned long long)free_before, (unsigned long long)free_after);
	/* Slabs kept for reuse may hold a few pages; a leak of the workers'
	 * blocks would be thousands. */
	if (free_after + 64 < free_before) {
		pr_err("alloc: %llu pages not returned", (unsigned long long)(free_before - free_after));
		errors++;
	}
	return errors ? -1 : 0;
}
SELFTEST(alloc, test_alloc);
