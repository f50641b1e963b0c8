/* ELF64 header checks and segment mapping (System V gABI, x86-64 psABI),
 * with Linux's binfmt_elf split between what fails execve and what kills the
 * new image.
 *
 * Everything in the file is untrusted. elf_read, before the point of no
 * return, checks what Linux checks there: the magic, e_type (executable),
 * e_machine, e_phentsize, the program header table (at most a page, read in
 * full) and PT_INTERP. A bad executable is -ENOEXEC; a bad interpreter is
 * -ELIBBAD, or -EIO when its header or program headers cannot be read in
 * full. EI_CLASS, EI_DATA and the versions are not looked at (Linux runs
 * such a file). elf_map, after the point of no return, checks each PT_LOAD
 * before using it (p_filesz <= p_memsz, offset and address congruent modulo
 * the page size, addresses inside user space, no overflow) and the
 * interpreter's e_type; a failure there kills the new image with SIGSEGV.
 * A PT_LOAD may reach past the end of the file: those pages are mapped like
 * any mmap past EOF, and touching them raises SIGBUS. Each failure logs one
 * warning line naming the file and the reason. */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/uaccess.h>
#include <skiff/vfs.h>
#include <skiff/vm.h>
#include "elf.h"
#include "proc.h"

static int bad(const char *name, const char *why, int err)
{
	pr_warn("exec: %s: not a valid ELF: %s", name, why);
	return err;
}

void elf_release(struct elf_image *img)
{
	kfree(img->ph);
	kfree(img->interp);
	img->ph = NULL;
	img->interp = NULL;
}

int elf_read(struct file *f, const char *name, struct elf_image *img, bool interp)
{
	Elf64_Ehdr *eh = &img->eh;
	/* Linux: a bad executable is ENOEXEC, a bad interpreter ELIBBAD. */
	int err = interp ? -ELIBBAD : -ENOEXEC;
	long n;

	memset(img, 0, sizeof(*img));
	n = kernel_read(f, 0, eh, sizeof(*eh));
	if (n < 0)
		return (int)n;
	if (n < (long)sizeof(*eh)) {
		if (interp)
			return bad(name, "short header", -EIO);
		/* Linux checks the first bytes, zero-padded. */
		memset((char *)eh + n, 0, sizeof(*eh) - (size_t)n);
	}
	if (memcmp(eh->e_ident, ELFMAG, 4))
		return bad(name, "bad magic", err);
	if (!interp && eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return bad(name, "neither ET_EXEC nor ET_DYN", err);
	if (eh->e_machine != EM_X86_64)
		return bad(name, "not x86-64", err);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return bad(name, "bad e_phentsize", err);
	/* At most one page of program headers, like Linux. */
	if (eh->e_phnum < 1 || eh->e_phnum > PAGE_SIZE / sizeof(Elf64_Phdr))
		return bad(name, "bad e_phnum", err);
	u64 phsize = (u64)eh->e_phnum * sizeof(Elf64_Phdr);

	img->ph = kmalloc(phsize);
	if (!img->ph)
		return -ENOMEM;
	n = kernel_read(f, eh->e_phoff, img->ph, phsize);
	if (n < 0 || (u64)n != phsize) {
		elf_release(img);
		return n < 0 ? (int)n : bad(name, "program headers past the end of the file", err);
	}

	for (int i = 0; i < eh->e_phnum && !interp; i++) {
		Elf64_Phdr *p = &img->ph[i];
		switch (p->p_type) {
		case PT_INTERP:
			/* The first one counts (Linux). */
			if (img->interp)
				break;
			if (p->p_filesz < 2 || p->p_filesz > INTERP_MAX) {
				elf_release(img);
				return bad(name, "bad PT_INTERP size", -ENOEXEC);
			}
			img->interp = kmalloc(p->p_filesz);
			if (!img->interp) {
				elf_release(img);
				return -ENOMEM;
			}
			n = kernel_read(f, p->p_offset, img->interp, p->p_filesz);
			if (n != (long)p->p_filesz) {
				elf_release(img);
				return n < 0 ? (int)n : bad(name, "PT_INTERP past the end of the file", -EIO);
			}
			if (img->interp[p->p_filesz - 1] != 0) {
				elf_release(img);
				return bad(name, "PT_INTERP not NUL-terminated", -ENOEXEC);
			}
			break;
		case PT_GNU_STACK:
			img->exec_stack = p->p_flags & PF_X;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* The checks Linux makes only while mapping (a failure kills the image). */
static int check_loads(const char *name, const struct elf_image *img)
{
	int loads = 0;

	if (img->eh.e_type != ET_EXEC && img->eh.e_type != ET_DYN)
		return bad(name, "neither ET_EXEC nor ET_DYN", -EINVAL);
	for (int i = 0; i < img->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &img->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		loads++;
		if (p->p_filesz > p->p_memsz)
			return bad(name, "PT_LOAD p_filesz > p_memsz", -EINVAL);
		if ((p->p_vaddr & (PAGE_SIZE - 1)) != (p->p_offset & (PAGE_SIZE - 1)))
			return bad(name, "PT_LOAD offset and address not congruent", -EINVAL);
		if (p->p_vaddr >= USER_TOP || p->p_memsz > USER_TOP - p->p_vaddr ||
		    p->p_offset > ~0ull - p->p_filesz - PAGE_SIZE)
			return bad(name, "PT_LOAD outside user space", -EINVAL);
	}
	if (!loads)
		return bad(name, "no PT_LOAD segment", -EINVAL);
	return 0;
}

/* Lowest page and end of all PT_LOADs (unbiased). */
static void load_range(const struct elf_image *img, u64 *lo, u64 *hi)
{
	*lo = ~0ull;
	*hi = 0;
	for (int i = 0; i < img->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &img->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		*lo = MIN(*lo, ALIGN_DOWN(p->p_vaddr, PAGE_SIZE));
		*hi = MAX(*hi, p->p_vaddr + p->p_memsz);
	}
}

u64 elf_span(const struct elf_image *img)
{
	u64 lo, hi;

	load_range(img, &lo, &hi);
	return ALIGN_UP(hi, PAGE_SIZE) - lo;
}

static int prot_of(u32 flags)
{
	return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) |
	       ((flags & PF_X) ? PROT_EXEC : 0);
}

int elf_map(struct mm *mm, struct file *f, const char *name, struct elf_image *img, u64 base)
{
	u64 lo, hi, bias = 0, out;
	int err;

	if ((err = check_loads(name, img)))
		return err;
	load_range(img, &lo, &hi);
	if (img->eh.e_type == ET_DYN)
		bias = base - lo;
	if (lo + bias < PAGE_SIZE * 16 || hi + bias > USER_TOP || hi + bias < lo)
		return bad(name, "segments outside user space", -EINVAL);
	img->bias = bias;
	img->end = 0;

	for (int i = 0; i < img->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &img->ph[i];
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		int prot = prot_of(p->p_flags);
		u64 start = bias + p->p_vaddr;
		u64 pstart = ALIGN_DOWN(start, PAGE_SIZE);
		u64 file_end = start + p->p_filesz, mem_end = start + p->p_memsz;
		u64 file_pend = ALIGN_UP(file_end, PAGE_SIZE), mem_pend = ALIGN_UP(mem_end, PAGE_SIZE);

		if (p->p_filesz) {
			err = vm_mmap(mm, pstart, file_pend - pstart, prot, MAP_PRIVATE | MAP_FIXED, f,
				      ALIGN_DOWN(p->p_offset, PAGE_SIZE), &out);
			if (err)
				return err;
			/* The rest of the last file page belongs to .bss. A page
			 * past the end of the file cannot be zeroed: it stays a
			 * SIGBUS for whoever touches it (as on Linux). */
			if (p->p_memsz > p->p_filesz && (file_end & (PAGE_SIZE - 1)) && (prot & PROT_WRITE))
				(void)clear_user((void *)file_end, file_pend - file_end);
		} else {
			file_pend = pstart;
		}
		if (mem_pend > file_pend) {
			err = vm_mmap(mm, file_pend, mem_pend - file_pend, prot,
				      MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, NULL, 0, &out);
			if (err)
				return err;
		}
		img->end = MAX(img->end, mem_pend);
	}

	img->entry = bias + img->eh.e_entry;
	img->phdr_addr = 0;
	for (int i = 0; i < img->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &img->ph[i];
		if (p->p_type == PT_PHDR)
			img->phdr_addr = bias + p->p_vaddr;
	}
	for (int i = 0; !img->phdr_addr && i < img->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &img->ph[i];
		if (p->p_type == PT_LOAD && img->eh.e_phoff >= p->p_offset &&
		    img->eh.e_phoff - p->p_offset < p->p_filesz)
			img->phdr_addr = bias + p->p_vaddr + (img->eh.e_phoff - p->p_offset);
	}
	return 0;
}
