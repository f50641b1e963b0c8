/* User address spaces (mm/): VMAs, demand paging, copy-on-write, mmap.
 * Owned by mm/; other subsystems use only what is declared here.
 *
 * Layout of a fresh mm (no randomisation):
 *   brk heap        from vm_set_brk_base() upwards ([heap])
 *   mmap area       top-down below MMAP_BASE (0x7ffff7fff000)
 *   stack           below vm_stack_top() (USER_TOP), mapped by execve with
 *                   MAP_GROWSDOWN ([stack])
 *
 * Locking: every mm has one spinlock over its VMA list and page tables. It
 * is taken with interrupts on and never held across anything that sleeps;
 * page-cache reads (file_get_page) happen with it dropped. So none of these
 * functions may be called with interrupts off. */
#ifndef SKIFF_VM_H
#define SKIFF_VM_H

#include <skiff/types.h>
#include <uapi/mman.h>   /* PROT_*, MAP_*, MADV_*, MS_* */

struct mm;
struct file;

#define MMAP_BASE   0x00007ffff7fff000ull /* top of the top-down mmap area */
#define MMAP_MIN    0x0000000000010000ull /* lowest address mmap hands out */

struct mm *mm_create(void);                 /* empty user half, kernel half shared; NULL on ENOMEM */
struct mm *mm_fork(struct mm *parent);      /* copy-on-write duplicate; NULL on ENOMEM */
void mm_get(struct mm *mm);
void mm_put(struct mm *mm);                 /* last put frees pages and tables */
void mm_activate(struct mm *mm);            /* load its page tables on this CPU (irqs off ok) */
u64 mm_cr3(struct mm *mm);

/* Map [addr, addr+len) in mm: anonymous when f is NULL, else a view of f at
 * byte offset off. flags are Linux MAP_* bits. *out gets the address chosen.
 * Returns 0 or -errno (Linux's: EINVAL, ENOMEM, EEXIST, EACCES, ENODEV).
 * Callers inside the kernel (ELF loader, vDSO) get the same checks as the
 * mmap syscall except the descriptor ones; f's access mode is checked. */
int vm_mmap(struct mm *mm, u64 addr, u64 len, int prot, int flags,
	    struct file *f, u64 off, u64 *out);
int vm_munmap(struct mm *mm, u64 addr, u64 len);
/* Change protection of [addr, addr+len) (mprotect semantics). */
int vm_mprotect(struct mm *mm, u64 addr, u64 len, int prot);
/* Program break: set the initial break after loading an ELF (rounded up to
 * a page). */
void vm_set_brk_base(struct mm *mm, u64 base);
/* Stack top used by execve (grows down, with guard). */
u64 vm_stack_top(struct mm *mm);

/* Figures for /proc/PID/stat, status and statm. */
struct vm_stats {
	u64 size_pages;    /* VmSize: every VMA */
	u64 rss_pages;     /* VmRSS: pages mapped in the page tables */
	u64 data_pages;    /* VmData: private writable, not stack */
	u64 stack_pages;   /* VmStk */
	u64 exec_pages;    /* VmExe (file-backed executable) */
	u64 locked_pages;  /* VmLck */
	u64 start_brk, brk, start_stack;
};
void vm_get_stats(struct mm *mm, struct vm_stats *st);

/* Name shown in /proc/PID/maps for the VMA starting at addr (e.g. "[vdso]",
 * "[vvar]"). name must be a string that lives forever (a literal). The VMA
 * is then never merged with its neighbours. Returns 0 or -ENOENT. */
int vm_set_vma_name(struct mm *mm, u64 addr, const char *name);

/* Fault in [addr, addr+len) of mm for reading (write=false) or writing, as
 * MAP_POPULATE does. Returns 0, -EFAULT (unmapped or not permitted), or
 * -ENOMEM. mm need not be the current one. */
int vm_populate(struct mm *mm, u64 addr, u64 len, bool write);

/* Resolve a user page fault at addr (error code from the CPU) in the current
 * process's mm. Returns true when the access can be retried, false for
 * SIGSEGV/SIGBUS (or -EFAULT for a kernel user-copy). Never panics: when a
 * page cannot be allocated it logs and returns false (the caller kills the
 * process). vm_fault_signal() then says which signal Linux would send. */
bool vm_handle_fault(u64 addr, u32 error);
/* After vm_handle_fault returned false on this CPU (or page_fault_hook
 * refused a user fault): the signal Linux would send and its si_code:
 * SIGSEGV (11) with SEGV_MAPERR 1 / SEGV_ACCERR 2, SIGBUS (7) with
 * BUS_ADRERR 2 (beyond the end of a file or shared object), or SIGKILL (9,
 * code 0) when no page could be allocated (Linux's OOM kill). */
int vm_fault_signal(int *si_code);
/* Installs page_fault_hook (done by mm_create too). */
void vm_init(void);

/* The file behind ino shrank to size bytes (truncate, ftruncate, O_TRUNC):
 * unmap every page at or past the new end from every address space, shared
 * and private copies alike (Linux's truncate_pagecache), so that later
 * accesses there raise SIGBUS and a regrown file maps fresh pages. Called by
 * the file system after it changed the size, with no spinlock held; takes
 * mm locks (spinning), never sleeps. */
struct inode;
void vm_truncate_file(struct inode *ino, u64 size);

/* Futex key of the u32 at uaddr in mm.
 *   shared=false: key = { (u64)mm, uaddr }, no check.
 *   shared=true:  MAP_SHARED file pages: { (u64)inode, byte offset in file };
 *                 shared anonymous / SysV shm: { (u64)object, byte offset in
 *                 the object }; private pages: { (u64)mm, uaddr }.
 *                 Keys of different kinds never collide (distinct kernel
 *                 objects). The mapping must stay alive while the key is
 *                 used (futex waiters hold it implicitly: the page is mapped).
 * Returns 0, or -EFAULT when uaddr is unmapped, PROT_NONE, or past the end of
 * the backing object. */
int vm_futex_key(struct mm *mm, u64 uaddr, bool shared, u64 key[2]);

#endif
