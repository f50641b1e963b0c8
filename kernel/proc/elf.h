/* ELF64 loading for execve (kernel/proc/elf.c). */
#ifndef KERNEL_PROC_ELF_H
#define KERNEL_PROC_ELF_H

#include <uapi/elf.h>

struct file;
struct mm;

#define ELF_EXEC_BASE   0x555555554000ull   /* ET_DYN programs (PIE, static-pie) */
#define ELF_INTERP_TOP  0x7ffff7fff000ull   /* the interpreter ends below this */
#define INTERP_MAX 4096

struct elf_image {
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;       /* e_phnum entries (kmalloc) */
	char *interp;         /* PT_INTERP path or NULL (kmalloc) */
	bool exec_stack;      /* PT_GNU_STACK with PF_X */
	/* Filled by elf_map: */
	u64 bias;
	u64 entry;
	u64 phdr_addr;
	u64 end;              /* page-aligned end of the highest segment */
};

/* Read and check the headers of f (name for messages; interp: f is the
 * interpreter). Returns 0, -ENOEXEC / -ELIBBAD (interp) / -EIO (with a
 * warning naming file and reason), or another -errno of reading. */
int elf_read(struct file *f, const char *name, struct elf_image *img, bool interp);
/* Check and map every PT_LOAD of img into mm (the current mm: partial pages
 * are zeroed through user access). ET_DYN images go at base, ET_EXEC at
 * their addresses. Returns 0 or -errno (after the point of no return: the
 * caller kills the image). */
int elf_map(struct mm *mm, struct file *f, const char *name, struct elf_image *img, u64 base);
u64 elf_span(const struct elf_image *img);
void elf_release(struct elf_image *img);

#endif
