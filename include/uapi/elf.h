/* ELF64 file format (System V gABI, x86-64 psABI): the parts the loader and
 * the vDSO need. */
#ifndef UAPI_ELF_H
#define UAPI_ELF_H

#include <skiff/compiler.h>

#define EI_NIDENT 16
#define ELFMAG "\177ELF"
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1

#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62

#define PT_NULL 0
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_PHDR 6
#define PT_TLS 7
#define PT_GNU_EH_FRAME 0x6474e550
#define PT_GNU_STACK 0x6474e551
#define PT_GNU_RELRO 0x6474e552
#define PT_GNU_PROPERTY 0x6474e553

#define PF_X 1
#define PF_W 2
#define PF_R 4

typedef struct {
	u8 e_ident[EI_NIDENT];
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u64 e_entry;
	u64 e_phoff;
	u64 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
} Elf64_Ehdr;
BUILD_ASSERT(sizeof(Elf64_Ehdr) == 64, "Elf64_Ehdr size");
BUILD_ASSERT(offsetof(Elf64_Ehdr, e_phoff) == 32, "e_phoff");
BUILD_ASSERT(offsetof(Elf64_Ehdr, e_phentsize) == 54, "e_phentsize");

typedef struct {
	u32 p_type;
	u32 p_flags;
	u64 p_offset;
	u64 p_vaddr;
	u64 p_paddr;
	u64 p_filesz;
	u64 p_memsz;
	u64 p_align;
} Elf64_Phdr;
BUILD_ASSERT(sizeof(Elf64_Phdr) == 56, "Elf64_Phdr size");
BUILD_ASSERT(offsetof(Elf64_Phdr, p_filesz) == 32, "p_filesz");

typedef struct {
	u64 a_type;
	u64 a_val;
} Elf64_auxv_t;

#endif
