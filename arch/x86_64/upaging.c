/* User-half page tables: creation, walks, leaf construction, teardown, TLB
 * flushes and CR3 loads for mm/ (see arch/upaging.h). Entries 256..511 of
 * every PML4 are copies of the kernel's, which never change after boot, so
 * they are copied once and never freed here. */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/trap.h>
#include <arch/upaging.h>
#include <skiff/mm.h>
#include <skiff/smp.h>
#include <skiff/string.h>
#include <skiff/uaccess.h>

#define TABLE_FLAGS (PTE_P | PTE_W | PTE_U)

u64 upt_create(void)
{
	u64 *pml4 = alloc_page_zeroed();
	const u64 *k = phys_to_virt(arch_kernel_cr3());

	if (!pml4)
		return 0;
	for (int i = 256; i < 512; i++)
		pml4[i] = k[i];
	return virt_to_phys(pml4);
}

static void free_level(u64 *table, int level, void (*leaf)(u64 pa, void *arg), void *arg)
{
	int n = level == 3 ? 256 : 512;

	for (int i = 0; i < n; i++) {
		u64 e = table[i];
		if (!e)
			continue;
		if (level == 0) {
			if (leaf)
				leaf(e & PTE_ADDR, arg);
			continue;
		}
		free_level(phys_to_virt(e & PTE_ADDR), level - 1, leaf, arg);
	}
	free_page(table);
}

void upt_destroy(u64 root, void (*leaf)(u64 pa, void *arg), void *arg)
{
	free_level(phys_to_virt(root), 3, leaf, arg);
}

u64 *upt_pte(u64 root, u64 va, bool create)
{
	u64 *table = phys_to_virt(root);

	if (va >= USER_TOP)
		return NULL;
	for (int l = 3; l > 0; l--) {
		u64 *e = &table[(va >> (12 + 9 * l)) & 511];
		if (!*e) {
			if (!create)
				return NULL;
			void *t = alloc_page_zeroed();
			if (!t)
				return NULL;
			__atomic_store_n(e, virt_to_phys(t) | TABLE_FLAGS, __ATOMIC_RELEASE);
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return &table[(va >> 12) & 511];
}

static void walk_level(u64 *table, int level, u64 base, u64 start, u64 end,
		       void (*fn)(u64 *pte, u64 va, void *arg), void *arg)
{
	u64 span = 1ull << (12 + 9 * level);
	unsigned first = (unsigned)((start > base ? start - base : 0) / span);

	for (unsigned i = first; i < 512; i++) {
		u64 va = base + i * span;
		if (va >= end)
			break;
		if (!table[i])
			continue;
		if (level == 0)
			fn(&table[i], va, arg);
		else
			walk_level(phys_to_virt(table[i] & PTE_ADDR), level - 1, va, start, end, fn, arg);
	}
}

void upt_walk(u64 root, u64 start, u64 end, void (*fn)(u64 *pte, u64 va, void *arg), void *arg)
{
	if (end > USER_TOP)
		end = USER_TOP;
	if (start >= end)
		return;
	walk_level(phys_to_virt(root), 3, 0, start, end, fn, arg);
}

u64 upt_make(u64 pa, int prot, bool write)
{
	u64 e = pa | PTE_U;

	if (prot & 7)
		e |= PTE_P;
	if (write)
		e |= PTE_W | PTE_D;
	if (!(prot & 4) && arch_nx_supported())
		e |= PTE_NX;
	return e | PTE_A;
}

void upt_flush(u64 root, u64 va, u64 npages)
{
	tlb_shootdown(root, va, npages);
}

void upt_activate(u64 root)
{
	if ((arch_read_cr3() & PTE_ADDR) != root)
		tlb_switch_cr3(root);
}

u64 upt_current(void)
{
	return arch_read_cr3() & PTE_ADDR;
}

void upt_irq_enable(void) { arch_irq_enable(); }
void upt_set_cr2(u64 v) { __asm__ __volatile__("mov %0, %%cr2" ::"r"(v) : "memory"); }
void upt_irq_disable(void) { arch_irq_disable(); }
