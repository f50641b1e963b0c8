/* ELF64 header checks and segment mapping (System V gABI, x86-64 psABI).
 *
 * Everything in the file is untrusted: each field is checked before use
 * (magic, class, byte order, version, type, machine, phentsize/phnum bounds,
 * segment offsets inside the file, p_filesz <= p_memsz, offset and address
 * congruent modulo the page size, power-of-two alignment, addresses inside
 * user space, no overflow). A bad file is -ENOEXEC with one warning line
 * naming it and the reason. */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/uaccess.h>
#include <skiff/vfs.h>
#include <skiff/vm.h>
#include "elf.h"
#include "proc.h"

static int bad(const char *name, const char *why)
{
	pr_warn("exec: %s: not a valid ELF: %s", name, why);
	return -ENOEXEC;
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
	u64 fsize = file_size(f);
	long n;
	int loads = 0;

	memset(img, 0, sizeof(*img));
	n = kernel_read(f, 0, eh, sizeof(*eh));
	if (n < 0)
		return (int)n;
	if (n < (long)sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, 4))
		return bad(name, "short file or bad magic");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return bad(name, "not ELFCLASS64");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return bad(name, "not little-endian");
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return bad(name, "bad version");
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return bad(name, "neither ET_EXEC nor ET_DYN");
	if (eh->e_machine != EM_X86_64)
		return bad(name, "not x86-64");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return bad(name, "bad e_phentsize");
	if (eh->e_phnum < 1 || eh->e_phnum > 65536 / sizeof(Elf64_Phdr))
		return bad(name, "bad e_phnum");
	u64 phsize = (u64)eh->e_phnum * sizeof(Elf64_Phdr);
	if (eh->e_phoff > fsize || phsize > fsize - eh->e_phoff)
		return bad(name, "program headers outside the file");

	img->ph = kmalloc(phsize);
	if (!img->ph)
		return -ENOMEM;
	n = kernel_read(f, eh->e_phoff, img->ph, phsize);
	if (n < 0 || (u64)n != phsize) {
		elf_release(img);
		return n < 0 ? (int)n : bad(name, "short program headers");
	}

	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *p = &img->ph[i];
		switch (p->p_type) {
		case PT_LOAD:
			loads++;
			if (p->p_filesz > p->p_memsz)
				goto fail_msg_filesz;
			if (p->p_offset > fsize || p->p_filesz > fsize - p->p_offset)
				goto fail_msg_offset;
			if (p->p_align > 1 && (p->p_align & (p->p_align - 1)))
				goto fail_msg_align;
			if ((p->p_vaddr & (PAGE_SIZE - 1)) != (p->p_offset & (PAGE_SIZE - 1)))
				goto fail_msg_congruent;
			if (p->p_vaddr >= USER_TOP || p->p_memsz > USER_TOP - p->p_vaddr)
				goto fail_msg_addr;
			break;
		case PT_INTERP:
			if (interp)
				break; /* an interpreter's own PT_INTERP is ignored */
			if (img->interp || p->p_filesz < 2 || p->p_filesz > INTERP_MAX ||
			    p->p_offset > fsize || p->p_filesz > fsize - p->p_offset)
				goto fail_msg_interp;
			img->interp = kmalloc(p->p_filesz);
			if (!img->interp) {
				elf_release(img);
				return -ENOMEM;
			}
			n = kernel_read(f, p->p_offset, img->interp, p->p_filesz);
			if (n != (long)p->p_filesz || img->interp[p->p_filesz - 1] != 0 ||
			    strlen(img->interp) == 0)
				goto fail_msg_interp;
			break;
		case PT_GNU_STACK:
			img->exec_stack = p->p_flags & PF_X;
			break;
		default:
			break;
		}
	}
	if (!loads) {
		elf_release(img);
		return bad(name, "no PT_LOAD segment");
	}
	return 0;

fail_msg_filesz:
	elf_release(img);
	return bad(name, "PT_LOAD p_filesz > p_memsz");
fail_msg_offset:
	elf_release(img);
	return bad(name, "PT_LOAD outside the file");
fail_msg_align:
	elf_release(img);
	return bad(name, "PT_LOAD alignment not a power of two");
fail_msg_congruent:
	elf_release(img);
	return bad(name, "PT_LOAD offset and address not congruent");
fail_msg_addr:
	elf_release(img);
	return bad(name, "PT_LOAD outside user space");
fail_msg_interp:
	elf_release(img);
	return bad(name, "bad PT_INTERP");
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

	load_range(img, &lo, &hi);
	if (img->eh.e_type == ET_DYN)
		bias = base - lo;
	if (lo + bias < PAGE_SIZE * 16 || hi + bias > USER_TOP || hi + bias < lo)
		return bad(name, "segments outside user space");
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
			/* The rest of the last file page belongs to .bss. */
			if (p->p_memsz > p->p_filesz && (file_end & (PAGE_SIZE - 1)) && (prot & PROT_WRITE) &&
			    clear_user((void *)file_end, file_pend - file_end))
				return -EFAULT;
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
