/* The VMAP region: kernel stacks with guard pages and MMIO mappings.
 *
 * Stacks live in fixed slots of KSTACK_PAGES + 1 pages; the lowest page of
 * each slot stays unmapped, so running off the bottom of a stack faults
 * (double fault on its own IST stack) instead of corrupting memory. Freed
 * slots go on a free list and are reused. MMIO mappings are handed out by a
 * bump pointer in the upper half of the region and never unmapped. */
#include <arch/paging.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/smp.h>
#include <skiff/spinlock.h>

#define SLOT_PAGES (KSTACK_PAGES + 1)
#define STACK_AREA_END (VMAP_BASE + VMAP_SIZE / 2)

static DEFINE_SPINLOCK(vmap_lock);
static u64 next_slot = VMAP_BASE;           /* [vmap_lock] */
static u64 free_slots[256];                 /* [vmap_lock] base of free slots */
static unsigned nfree_slots;                /* [vmap_lock] */
static u64 next_mmio = VMAP_BASE + VMAP_SIZE / 2; /* [vmap_lock] */

void *kstack_alloc(void)
{
	u64 f = spin_lock_irqsave(&vmap_lock);
	u64 slot;

	if (nfree_slots)
		slot = free_slots[--nfree_slots];
	else if (next_slot + SLOT_PAGES * PAGE_SIZE <= STACK_AREA_END)
		slot = next_slot, next_slot += SLOT_PAGES * PAGE_SIZE;
	else
		slot = 0;
	spin_unlock_irqrestore(&vmap_lock, f);
	if (!slot)
		return NULL;

	u64 base = slot + PAGE_SIZE; /* slot's first page is the guard */
	for (int i = 0; i < KSTACK_PAGES; i++) {
		void *pg = alloc_page();
		if (!pg || kernel_map_page(base + (u64)i * PAGE_SIZE, virt_to_phys(pg), PAGE_KERNEL_RW)) {
			if (pg)
				free_page(pg);
			for (int j = 0; j < i; j++) {
				u64 va = base + (u64)j * PAGE_SIZE;
				free_page(phys_to_virt(kernel_virt_to_phys(va)));
				kernel_unmap_page(va);
			}
			f = spin_lock_irqsave(&vmap_lock);
			free_slots[nfree_slots++] = slot;
			spin_unlock_irqrestore(&vmap_lock, f);
			return NULL;
		}
	}
	return (void *)base;
}

/* Free a stack from kstack_alloc(). The stack must not be in use on any CPU;
 * stale TLB entries on other CPUs are flushed before the slot is reused. */
void kstack_free(void *base_ptr)
{
	u64 base = (u64)base_ptr, f;

	for (int i = 0; i < KSTACK_PAGES; i++) {
		u64 va = base + (u64)i * PAGE_SIZE;
		phys_addr_t pa = kernel_virt_to_phys(va);
		kernel_unmap_page(va);
		if (pa != ~0ull)
			free_page(phys_to_virt(pa));
	}
	tlb_shootdown(0, base, KSTACK_PAGES);
	f = spin_lock_irqsave(&vmap_lock);
	if (nfree_slots < ARRAY_SIZE(free_slots))
		free_slots[nfree_slots++] = base - PAGE_SIZE;
	spin_unlock_irqrestore(&vmap_lock, f);
}

void *ioremap(phys_addr_t phys, size_t size)
{
	phys_addr_t start = ALIGN_DOWN(phys, PAGE_SIZE);
	u64 len = ALIGN_UP(phys + size, PAGE_SIZE) - start;
	u64 f = spin_lock_irqsave(&vmap_lock);
	u64 va = next_mmio;

	next_mmio += len;
	spin_unlock_irqrestore(&vmap_lock, f);
	if (va + len > VMAP_BASE + VMAP_SIZE)
		panic("ioremap: VMAP region exhausted");
	for (u64 off = 0; off < len; off += PAGE_SIZE)
		if (kernel_map_page(va + off, start + off, PAGE_KERNEL_MMIO))
			panic("ioremap: no memory for page tables");
	return (void *)(va + (phys - start));
}
