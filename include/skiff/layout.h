/* The kernel's virtual address layout. Every other file derives addresses
 * from these constants; the linker script and boot.S include this file too.
 *
 *   KERNEL_BASE      image, linked at KERNEL_BASE + KERNEL_PHYS and loaded at
 *                    KERNEL_PHYS (PVH loads by p_paddr); the top 2 GiB so
 *                    code can use -mcmodel=kernel
 *   DIRECT_MAP_BASE  all physical memory, 1:1 offset (as Linux's PAGE_OFFSET)
 *   VMAP_BASE        kernel stacks with guard pages, MMIO mappings
 */
#ifndef SKIFF_LAYOUT_H
#define SKIFF_LAYOUT_H

#define KERNEL_BASE     0xffffffff80000000
#define KERNEL_PHYS     0x0000000000100000
#define DIRECT_MAP_BASE 0xffff888000000000
#define DIRECT_MAP_SIZE 0x0000100000000000 /* 16 TiB */
#define VMAP_BASE       0xffffc90000000000
#define VMAP_SIZE       0x0000010000000000 /* 1 TiB */

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096
#define KSTACK_PAGES 4 /* 16 KiB kernel stacks, plus one unmapped guard page */

/* Lowest amount of RAM Skiff boots with; below this boot stops with a message. */
#define MIN_RAM_MB 16

#ifndef __ASSEMBLER__
#include <skiff/types.h>
#ifdef SKIFF_HOST_TEST
/* Host unit tests: "physical memory" is a host mapping the test sets up. */
extern u64 host_direct_map_base;
#define DIRECT_MAP_VA host_direct_map_base
#else
#define DIRECT_MAP_VA DIRECT_MAP_BASE
#endif
static inline void *phys_to_virt(phys_addr_t pa) { return (void *)(pa + DIRECT_MAP_VA); }
static inline phys_addr_t virt_to_phys(const void *va)
{
	u64 v = (u64)va;
	if (v >= KERNEL_BASE)
		return v - KERNEL_BASE; /* image is linked at KERNEL_BASE + its physical address */
	return v - DIRECT_MAP_VA;
}
#endif

#endif
