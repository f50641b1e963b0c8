/* User address spaces (mm/): VMAs, demand paging, copy-on-write, mmap.
 * Owned by mm/; other subsystems use only what is declared here. */
#ifndef SKIFF_VM_H
#define SKIFF_VM_H

#include <skiff/types.h>

struct mm;
struct file;

/* Linux mmap prot/flags values (include/uapi/mman.h has the full set). */
#define PROT_READ  0x1
#define PROT_WRITE 0x2
#define PROT_EXEC  0x4

struct mm *mm_create(void);                 /* empty user half, kernel half shared */
struct mm *mm_fork(struct mm *parent);      /* copy-on-write duplicate */
void mm_get(struct mm *mm);
void mm_put(struct mm *mm);                 /* last put frees pages and tables */
void mm_activate(struct mm *mm);            /* load its page tables on this CPU */
u64 mm_cr3(struct mm *mm);

/* Map [addr, addr+len) in mm: anonymous when f is NULL, else a view of f at
 * byte offset off. flags are Linux MAP_* bits. *out gets the address chosen.
 * Returns 0 or -errno (Linux's: EINVAL, ENOMEM, EEXIST, EACCES, ENODEV). */
int vm_mmap(struct mm *mm, u64 addr, u64 len, int prot, int flags,
	    struct file *f, u64 off, u64 *out);
int vm_munmap(struct mm *mm, u64 addr, u64 len);
/* Program break: set the initial break after loading an ELF. */
void vm_set_brk_base(struct mm *mm, u64 base);
/* Stack top used by execve (grows down, with guard). */
u64 vm_stack_top(struct mm *mm);

/* Resolve a user page fault at addr (error code from the CPU). Returns true
 * when the access can be retried, false for SIGSEGV/SIGBUS (or -EFAULT for a
 * kernel user-copy). */
bool vm_handle_fault(u64 addr, u32 error);

#endif
