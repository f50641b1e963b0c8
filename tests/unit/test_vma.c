// SOURCES: mm/vma.c
/* VMA list logic: sorted insertion, lookup, split, merge rules (anonymous,
 * file offsets, names, SysV attaches), range splitting, top-down gap search,
 * and backing reference counting through split/merge/free. */
#include "test.h"
#include <stdlib.h>
#include <string.h>
#include "../../mm/uvm.h"

void *kzalloc(size_t n) { return calloc(1, n); }
void *kmalloc(size_t n) { return malloc(n); }
void kfree(void *p) { free(p); }

static int refs; /* backing references held by VMAs with a file/obj */
void vma_backing_get(struct vma *v) { if (v->file || v->obj) refs++; }
void vma_backing_put(struct vma *v) { if (v->file || v->obj) refs--; v->file = NULL; v->obj = NULL; }

#define P 4096ull

static struct vma *mk(struct list_head *h, u64 s, u64 e, u32 prot, void *file, u64 pgoff)
{
	struct vma *v = vma_alloc();
	v->start = s;
	v->end = e;
	v->prot = prot;
	v->file = file;
	v->pgoff = pgoff;
	vma_backing_get(v);
	vma_insert(h, v);
	return v;
}

static void free_all(struct list_head *h)
{
	while (!list_empty(h)) {
		struct vma *v = list_first_entry(h, struct vma, link);
		list_del(&v->link);
		vma_free(v);
	}
}

static int sorted(struct list_head *h)
{
	struct vma *v;
	u64 last = 0;
	list_for_each_entry(v, h, link) {
		if (v->start < last || v->start >= v->end)
			return 0;
		last = v->end;
	}
	return 1;
}

int main(void)
{
	struct list_head h;
	list_init(&h);
	char fileA, fileB;

	/* Insertion keeps order; lookup/find. */
	mk(&h, 10 * P, 20 * P, 3, NULL, 0);
	mk(&h, 40 * P, 50 * P, 3, NULL, 0);
	mk(&h, 25 * P, 30 * P, 1, NULL, 0);
	CHECK(sorted(&h));
	CHECK_EQ(vma_count(&h), 3);
	CHECK(vma_lookup(&h, 9 * P) == NULL);
	CHECK(vma_lookup(&h, 10 * P)->start == 10 * P);
	CHECK(vma_lookup(&h, 20 * P) == NULL);
	CHECK(vma_find(&h, 20 * P)->start == 25 * P);
	CHECK(vma_find(&h, 50 * P) == NULL);
	CHECK(vma_range_free(&h, 20 * P, 25 * P));
	CHECK(!vma_range_free(&h, 20 * P, 26 * P));
	CHECK(!vma_range_free(&h, 0, 100 * P));

	/* Gap search, top-down. */
	CHECK_EQ(vma_gap_topdown(&h, 5 * P, P, 100 * P), 95 * P);
	CHECK_EQ(vma_gap_topdown(&h, 5 * P, P, 50 * P), 35 * P);
	CHECK_EQ(vma_gap_topdown(&h, 10 * P, P, 50 * P), 30 * P);
	CHECK_EQ(vma_gap_topdown(&h, 9 * P, P, 40 * P), 31 * P);
	CHECK_EQ(vma_gap_topdown(&h, 9 * P, P, 30 * P), P);
	CHECK_EQ(vma_gap_topdown(&h, 10 * P, P, 30 * P), 0);
	CHECK_EQ(vma_gap_topdown(&h, 5 * P, P, 45 * P), 35 * P);
	CHECK_EQ(vma_gap_topdown(&h, 0, P, 45 * P), 0);

	/* Split and merge back (anonymous). */
	struct vma *a = vma_lookup(&h, 10 * P);
	struct vma *b = vma_split(a, 15 * P);
	CHECK(a->end == 15 * P && b->start == 15 * P && b->end == 20 * P);
	CHECK_EQ(vma_count(&h), 4);
	CHECK(vma_mergeable(a, b));
	b->prot = 1;
	CHECK(!vma_mergeable(a, b));
	b->prot = 3;
	CHECK(vma_merge_around(&h, b) == a);
	CHECK(a->end == 20 * P);
	CHECK_EQ(vma_count(&h), 3);

	/* split_range at boundaries and inside. */
	CHECK_EQ(vma_split_range(&h, 12 * P, 27 * P), 0);
	CHECK_EQ(vma_count(&h), 5);
	CHECK(vma_lookup(&h, 12 * P)->start == 12 * P);
	CHECK(vma_lookup(&h, 27 * P)->start == 27 * P);
	CHECK(vma_lookup(&h, 26 * P)->end == 27 * P);
	CHECK_EQ(vma_split_range(&h, 10 * P, 20 * P), 0); /* already boundaries */
	CHECK_EQ(vma_count(&h), 5);
	CHECK(sorted(&h));
	free_all(&h);
	CHECK_EQ(refs, 0);

	/* File mappings: merge only with contiguous offsets of the same file;
	 * references follow splits and merges. */
	struct vma *f1 = mk(&h, 10 * P, 12 * P, 1, &fileA, 0);
	struct vma *f2 = mk(&h, 12 * P, 14 * P, 1, &fileA, 2);
	struct vma *f3 = mk(&h, 14 * P, 16 * P, 1, &fileA, 7);
	struct vma *f4 = mk(&h, 16 * P, 18 * P, 1, &fileB, 9);
	CHECK_EQ(refs, 4);
	CHECK(vma_mergeable(f1, f2));
	CHECK(!vma_mergeable(f2, f3));
	CHECK(!vma_mergeable(f3, f4));
	CHECK(vma_merge_around(&h, f2) == f1);
	CHECK(f1->end == 14 * P);
	CHECK_EQ(refs, 3);
	struct vma *s = vma_split(f1, 11 * P);
	CHECK(s && s->pgoff == 1 && (void *)s->file == (void *)&fileA);
	CHECK_EQ(refs, 4);
	/* Names and SysV attaches never merge. */
	s->name = "[vdso]";
	CHECK(!vma_mergeable(f1, s));
	s->name = NULL;
	f1->flags |= VMA_SHM;
	s->flags |= VMA_SHM;
	CHECK(!vma_mergeable(f1, s));
	free_all(&h);
	CHECK_EQ(refs, 0);

	/* Gap search on an empty list and at the bottom. */
	CHECK_EQ(vma_gap_topdown(&h, 4 * P, 16 * P, 1000 * P), 996 * P);
	mk(&h, 990 * P, 1000 * P, 3, NULL, 0);
	mk(&h, 16 * P, 980 * P, 3, NULL, 0);
	CHECK_EQ(vma_gap_topdown(&h, 10 * P, 16 * P, 1000 * P), 980 * P);
	CHECK_EQ(vma_gap_topdown(&h, 11 * P, 16 * P, 1000 * P), 0);
	free_all(&h);

	TEST_DONE("vma");
}
