/* Kernel page tables.
 *
 * One PML4 for the kernel. Its upper half (entries 256..511) is shared by
 * every address space: all kernel-half PDPTs are allocated at boot and never
 * change, so user page tables copy these entries once and kernel mappings
 * made later (stacks, MMIO) are visible everywhere.
 *
 *   DIRECT_MAP_BASE + pa  every memory-map range (RAM, ACPI, NVS) plus the
 *                         first 1 MiB; RW, NX; 2 MiB pages where aligned
 *   KERNEL_BASE + pa      the image: text RX, rodata R+NX, data/bss RW+NX
 *   VMAP_BASE ...         4 KiB mappings made by mm/vmap.c
 *   0 .. 2 MiB identity   RWX, only for the AP trampoline (smpboot.c)
 */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <skiff/string.h>

static u64 *kernel_pml4;        /* [I] after paging_init */
static u64 kernel_pml4_phys;    /* [I] */
static bool nx_ok;              /* [I] */
static u64 (*pt_alloc)(void);   /* boot only: source of page-table pages (phys) */
static DEFINE_SPINLOCK(kmap_lock); /* serialises changes to kernel-half tables */

u64 arch_kernel_cr3(void) { return kernel_pml4_phys; }
bool arch_nx_supported(void) { return nx_ok; }

static u64 alloc_table_page(void)
{
	u64 pa;

	if (pt_alloc)
		return pt_alloc();
	void *va = alloc_page_zeroed();
	if (!va)
		return 0;
	pa = virt_to_phys(va);
	return pa;
}

/* The entry for va at `level` (3 = PML4 .. 0 = PT), creating missing tables
 * on the way. Returns NULL on allocation failure, or when a large page is in
 * the way. */
static u64 *walk(u64 va, int level, bool create)
{
	u64 *table = kernel_pml4;

	for (int l = 3; l > level; l--) {
		u64 *e = &table[(va >> (12 + 9 * l)) & 511];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			u64 pa = alloc_table_page();
			if (!pa)
				return NULL;
			memset(phys_to_virt(pa), 0, PAGE_SIZE);
			*e = pa | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			return NULL;
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return &table[(va >> (12 + 9 * level)) & 511];
}

static u64 fix_flags(u64 flags)
{
	return nx_ok ? flags : flags & ~PTE_NX;
}

/* Map [va, va+size) to pa with 2 MiB pages where both are aligned. */
static void map_range(u64 va, u64 pa, u64 size, u64 flags)
{
	u64 end = va + size;

	flags = fix_flags(flags);
	while (va < end) {
		if (IS_ALIGNED(va, 1ull << 21) && IS_ALIGNED(pa, 1ull << 21) && end - va >= (1ull << 21)) {
			u64 *e = walk(va, 1, true);
			if (!e)
				panic("paging: out of memory for page tables");
			*e = pa | flags | PTE_PS;
			va += 1ull << 21;
			pa += 1ull << 21;
		} else {
			u64 *e = walk(va, 0, true);
			if (!e)
				panic("paging: out of memory for page tables");
			*e = pa | flags;
			va += PAGE_SIZE;
			pa += PAGE_SIZE;
		}
	}
}

void paging_init(const struct mem_range *map, int n, u64 (*early_alloc_page)(void))
{
	extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
	extern char __data_start[], __image_end[];
	u32 a, b, c, d;

	arch_cpuid(0x80000001, 0, &a, &b, &c, &d);
	nx_ok = d & (1u << 20);
	pt_alloc = early_alloc_page;
	kernel_pml4_phys = pt_alloc();
	kernel_pml4 = phys_to_virt(kernel_pml4_phys);
	memset(kernel_pml4, 0, PAGE_SIZE);

	/* Preallocate the shared kernel-half PDPTs that will ever be used. */
	u64 top = 0;
	for (int i = 0; i < n; i++)
		top = MAX(top, map[i].end);
	for (u64 va = DIRECT_MAP_BASE; va < DIRECT_MAP_BASE + ALIGN_UP(top, 1ull << 39); va += 1ull << 39)
		walk(va, 2, true);
	for (u64 va = VMAP_BASE; va < VMAP_BASE + VMAP_SIZE; va += 1ull << 39)
		walk(va, 2, true);
	walk(KERNEL_BASE, 2, true);

	map_range(DIRECT_MAP_BASE, 0, 1ull << 20, PAGE_KERNEL_RW);
	for (int i = 0; i < n; i++) {
		u64 s = ALIGN_DOWN(map[i].start, PAGE_SIZE), e = ALIGN_UP(map[i].end, PAGE_SIZE);
		if (e > s)
			map_range(DIRECT_MAP_BASE + s, s, e - s, PAGE_KERNEL_RW);
	}

	map_range((u64)__text_start, virt_to_phys(__text_start),
		  (u64)(__text_end - __text_start), PAGE_KERNEL_RX);
	map_range((u64)__rodata_start, virt_to_phys(__rodata_start),
		  ALIGN_UP((u64)__rodata_end, PAGE_SIZE) - (u64)__rodata_start, PAGE_KERNEL_RO);
	map_range((u64)__data_start, virt_to_phys(__data_start),
		  (u64)(__image_end - __data_start), PAGE_KERNEL_RW);

	/* Identity map for the AP trampoline (no PTE_G: it is not global). */
	map_range(0, 0, 2ull << 20, PTE_P | PTE_W);

	arch_write_cr3(kernel_pml4_phys);
	pt_alloc = NULL;
	pr_info("paging: kernel page table at %#llx, NX %s", (unsigned long long)kernel_pml4_phys,
		nx_ok ? "on" : "not supported");
}

int kernel_map_page(u64 va, phys_addr_t pa, u64 flags)
{
	u64 f = spin_lock_irqsave(&kmap_lock);
	u64 *e = walk(va, 0, true);

	if (e)
		*e = pa | fix_flags(flags);
	spin_unlock_irqrestore(&kmap_lock, f);
	return e ? 0 : -ENOMEM;
}

void kernel_unmap_page(u64 va)
{
	u64 f = spin_lock_irqsave(&kmap_lock);
	u64 *e = walk(va, 0, false);

	if (e) {
		*e = 0;
		arch_invlpg(va);
	}
	spin_unlock_irqrestore(&kmap_lock, f);
}

phys_addr_t kernel_virt_to_phys(u64 va)
{
	u64 *table = kernel_pml4;

	for (int l = 3; l >= 0; l--) {
		u64 e = table[(va >> (12 + 9 * l)) & 511];
		if (!(e & PTE_P))
			return ~0ull;
		if (l == 0 || (e & PTE_PS)) {
			u64 mask = (1ull << (12 + 9 * l)) - 1;
			return (e & PTE_ADDR & ~mask) | (va & mask);
		}
		table = phys_to_virt(e & PTE_ADDR);
	}
	return ~0ull;
}
