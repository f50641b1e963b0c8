/* User-half page tables (arch/x86_64/upaging.c), used by mm/.
 *
 * A leaf entry "holds a page" when it is non-zero: present entries map it,
 * and an entry with PTE_P clear but an address (PROT_NONE) still owns the
 * page so that mprotect can bring it back. Callers (mm/) serialise changes
 * to one tree with their mm lock. */
#ifndef ARCH_UPAGING_H
#define ARCH_UPAGING_H

#include <skiff/types.h>

#define UPTE_P    (1ull << 0)
#define UPTE_W    (1ull << 1)
#define UPTE_U    (1ull << 2)
#define UPTE_A    (1ull << 5)
#define UPTE_D    (1ull << 6)
#define UPTE_NX   (1ull << 63)
#define UPTE_ADDR 0x000ffffffffff000ull

/* New PML4 (physical address) with the kernel half copied; 0 on ENOMEM. */
u64 upt_create(void);
/* Free every user-half table page and the PML4. For each leaf still holding
 * a page, leaf(pa, arg) is called first. */
void upt_destroy(u64 root, void (*leaf)(u64 pa, void *arg), void *arg);
/* Leaf entry for va, creating intermediate tables when create; NULL when
 * absent (or on ENOMEM with create). */
u64 *upt_pte(u64 root, u64 va, bool create);
/* Call fn for every leaf holding a page in [start, end). fn may change or
 * clear *pte. */
void upt_walk(u64 root, u64 start, u64 end, void (*fn)(u64 *pte, u64 va, void *arg), void *arg);
/* Leaf value for physical page pa with the given PROT_* and write
 * permission (write may be false even with PROT_WRITE: copy-on-write).
 * prot 0 gives a non-present entry that keeps the page. */
u64 upt_make(u64 pa, int prot, bool write);
static inline u64 upt_pa(u64 pte) { return pte & UPTE_ADDR; }
/* Invalidate [va, va+n pages) wherever root is loaded. Interrupts on (or
 * no lock that another CPU spins on with interrupts off). */
void upt_flush(u64 root, u64 va, u64 npages);
/* Load root into CR3 on this CPU if it is not there already. */
void upt_activate(u64 root);
u64 upt_current(void);
/* Interrupt flag helpers for the fault path. */
void upt_irq_enable(void);
void upt_irq_disable(void);
/* Restore CR2 for later readers of the fault address (the fault path may
 * have slept and taken other faults). */
void upt_set_cr2(u64 v);

#endif
