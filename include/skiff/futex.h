/* Futexes (kernel/futex/): the entry points other subsystems call. */
#ifndef SKIFF_FUTEX_H
#define SKIFF_FUTEX_H

#include <skiff/types.h>

struct task;

/* FUTEX_WAKE from the kernel (CLONE_CHILD_CLEARTID at thread exit): wake up
 * to nr waiters on the futex at user address uaddr of the current address
 * space whose bitset intersects bitset. private_ selects the private key
 * (Linux's clear_child_tid wake is shared: pass false). Returns the number
 * woken or -errno (-EFAULT, -EINVAL). */
int futex_wake(u32 *uaddr, bool private_, int nr, u32 bitset);

/* Thread exit, in the exiting thread's context with its mm still active,
 * BEFORE the CLONE_CHILD_CLEARTID store and wake: walks the robust list
 * (OWNER_DIED, one waiter woken per held lock), hands every PI futex the
 * thread owns to its top waiter, and marks the thread dead for LOCK_PI
 * owner lookups (ESRCH from then on). */
void futex_exit_robust(struct task *t);
/* execve, after the point of no return and before the old mm is dropped:
 * the same robust-list and PI clean-up, but the thread lives on and its
 * robust list head is cleared. */
void futex_exec_release(struct task *t);
/* When struct task is freed (last reference): drop the futex bookkeeping
 * kept for it. Calling it earlier (at exit) is safe but then a LOCK_PI on
 * the dead thread's TID may block instead of failing with ESRCH. */
void futex_exit_release(struct task *t);

#endif
