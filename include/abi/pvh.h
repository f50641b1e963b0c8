/* Xen/PVH boot ABI: what the VMM hands a PVH kernel at entry (in %ebx).
 * Reference: xen/include/public/arch-x86/hvm/start_info.h (version 1). */
#ifndef ABI_PVH_H
#define ABI_PVH_H

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578

#ifndef __ASSEMBLER__
#include <skiff/compiler.h>

struct hvm_start_info {
	u32 magic;
	u32 version;
	u32 flags;
	u32 nr_modules;
	u64 modlist_paddr;
	u64 cmdline_paddr;
	u64 rsdp_paddr;
	u64 memmap_paddr;   /* version >= 1 */
	u32 memmap_entries; /* version >= 1 */
	u32 reserved;
};
BUILD_ASSERT(sizeof(struct hvm_start_info) == 56, "hvm_start_info size");
BUILD_ASSERT(offsetof(struct hvm_start_info, rsdp_paddr) == 32, "rsdp_paddr");
BUILD_ASSERT(offsetof(struct hvm_start_info, memmap_entries) == 48, "memmap_entries");

struct hvm_modlist_entry {
	u64 paddr;
	u64 size;
	u64 cmdline_paddr;
	u64 reserved;
};
BUILD_ASSERT(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry size");

struct hvm_memmap_table_entry {
	u64 addr;
	u64 size;
	u32 type;
	u32 reserved;
};
BUILD_ASSERT(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry size");

#define HVM_MEMMAP_TYPE_RAM 1
#define HVM_MEMMAP_TYPE_RESERVED 2
#define HVM_MEMMAP_TYPE_ACPI 3
#define HVM_MEMMAP_TYPE_NVS 4
#define HVM_MEMMAP_TYPE_UNUSABLE 5
#endif

#endif
