/* x86-64 4-level page tables (arch/x86_64/paging.c). */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

#include <skiff/layout.h>

#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_U    (1ull << 2)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_A    (1ull << 5)
#define PTE_D    (1ull << 6)
#define PTE_PS   (1ull << 7)
#define PTE_G    (1ull << 8)
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

#define PAGE_KERNEL_RW (PTE_P | PTE_W | PTE_G | PTE_NX)
#define PAGE_KERNEL_RO (PTE_P | PTE_G | PTE_NX)
#define PAGE_KERNEL_RX (PTE_P | PTE_G)
#define PAGE_KERNEL_MMIO (PTE_P | PTE_W | PTE_PCD | PTE_PWT | PTE_G | PTE_NX)

struct mem_range;

/* Boot CPU: build the kernel page table (direct map of every range in
 * map[], the image with per-section permissions, an identity map of the
 * first 2 MiB for the AP trampoline), switch to it. Page-table pages come
 * from early_alloc_page(). */
void paging_init(const struct mem_range *map, int n, u64 (*early_alloc_page)(void));
u64 arch_kernel_cr3(void);
bool arch_nx_supported(void);

/* Map / unmap one 4 KiB page in the kernel half (shared by every address
 * space). Intermediate tables come from the page allocator. Returns 0 or
 * -ENOMEM. Unmap does not flush other CPUs' TLBs: the caller does. */
int kernel_map_page(u64 va, phys_addr_t pa, u64 flags);
void kernel_unmap_page(u64 va);
/* Physical address mapped at kernel va, or ~0 if unmapped. */
phys_addr_t kernel_virt_to_phys(u64 va);

#endif
