/* VMA list logic: lookup, insertion, split, merge, free-gap search. Pure
 * (list manipulation and kzalloc/kfree only) so that tests/unit/test_vma.c
 * runs it on the host. Callers hold mm->lock. */
#include "uvm.h"
#include <skiff/errno.h>
#include <skiff/mm.h>

struct vma *vma_alloc(void)
{
	struct vma *v = kzalloc(sizeof(*v));

	if (v)
		list_init(&v->link);
	return v;
}

void vma_free(struct vma *v)
{
	vma_backing_put(v);
	kfree(v);
}

struct vma *vma_next(struct list_head *head, struct vma *v)
{
	return v->link.next == head ? NULL : list_entry(v->link.next, struct vma, link);
}

struct vma *vma_prev(struct list_head *head, struct vma *v)
{
	return v->link.prev == head ? NULL : list_entry(v->link.prev, struct vma, link);
}

struct vma *vma_find(struct list_head *head, u64 addr)
{
	struct vma *v;

	list_for_each_entry(v, head, link)
		if (v->end > addr)
			return v;
	return NULL;
}

struct vma *vma_lookup(struct list_head *head, u64 addr)
{
	struct vma *v = vma_find(head, addr);

	return v && v->start <= addr ? v : NULL;
}

void vma_insert(struct list_head *head, struct vma *v)
{
	struct vma *n = vma_find(head, v->start);

	if (n)
		list_add_tail(&v->link, &n->link); /* before n */
	else
		list_add_tail(&v->link, head);
}

static bool anon_private(const struct vma *v)
{
	return !v->file && !v->obj;
}

struct vma *vma_split(struct vma *v, u64 addr)
{
	struct vma *n = vma_alloc();

	if (!n)
		return NULL;
	n->start = addr;
	n->end = v->end;
	n->prot = v->prot;
	n->flags = v->flags;
	n->file = v->file;
	n->obj = v->obj;
	n->pgoff = v->pgoff + ((addr - v->start) >> 12);
	n->name = v->name;
	vma_backing_get(n);
	v->end = addr;
	list_add(&n->link, &v->link); /* after v */
	return n;
}

bool vma_mergeable(const struct vma *a, const struct vma *b)
{
	if (a->end != b->start || a->prot != b->prot || a->flags != b->flags ||
	    a->file != b->file || a->obj != b->obj || a->name != b->name)
		return false;
	if (a->flags & (VMA_NOMERGE | VMA_SHM))
		return false;
	if (anon_private(a))
		return true;
	return a->pgoff + vma_pages(a) == b->pgoff;
}

struct vma *vma_merge_around(struct list_head *head, struct vma *v)
{
	struct vma *p = vma_prev(head, v), *n = vma_next(head, v);

	if (n && vma_mergeable(v, n)) {
		v->end = n->end;
		list_del(&n->link);
		vma_free(n);
	}
	if (p && vma_mergeable(p, v)) {
		p->end = v->end;
		list_del(&v->link);
		vma_free(v);
		v = p;
	}
	return v;
}

bool vma_range_free(struct list_head *head, u64 start, u64 end)
{
	struct vma *v = vma_find(head, start);

	return !v || v->start >= end;
}

u64 vma_gap_topdown(struct list_head *head, u64 len, u64 lo, u64 hi)
{
	struct vma *v;
	u64 top = hi; /* candidate gap is [.., top) */

	if (len == 0 || hi < lo || hi - lo < len)
		return 0;
	/* Walk from the highest VMA down; each gap is [prev end, next start). */
	for (struct list_head *e = head->prev;; e = e->prev) {
		u64 bottom = e == head ? lo : list_entry(e, struct vma, link)->end;
		if (e != head) {
			v = list_entry(e, struct vma, link);
			if (v->start >= hi)
				continue; /* above the area */
		}
		if (bottom < lo)
			bottom = lo;
		if (top > bottom && top - bottom >= len)
			return top - len;
		if (e == head)
			return 0;
		v = list_entry(e, struct vma, link);
		top = MIN(top, v->start);
		if (top < lo + len)
			return 0;
	}
}

int vma_split_range(struct list_head *head, u64 start, u64 end)
{
	struct vma *v = vma_lookup(head, start);

	if (v && v->start < start && !vma_split(v, start))
		return -ENOMEM;
	v = vma_lookup(head, end);
	if (v && v->start < end && !vma_split(v, end))
		return -ENOMEM;
	return 0;
}

u32 vma_count(struct list_head *head)
{
	u32 n = 0;
	struct list_head *e;

	list_for_each(e, head)
		n++;
	return n;
}
