/* Access to user memory from the kernel (arch/x86_64/uaccess.S + mm/).
 *
 * Every read or write of a user pointer goes through these functions. They
 * check that the whole range lies in the user half and let the page-fault
 * handler fault pages in (demand paging, copy-on-write); a fault that cannot
 * be resolved is caught through the exception table and becomes -EFAULT,
 * never a kernel fault. */
#ifndef SKIFF_UACCESS_H
#define SKIFF_UACCESS_H

#include <skiff/types.h>

#define __user
#define USER_TOP 0x00007ffffffff000ull /* first address above user space */

static inline bool user_range_ok(u64 addr, u64 len)
{
	return addr <= USER_TOP && len <= USER_TOP - addr;
}

/* 0 on success, -EFAULT if any byte is inaccessible (partial copies happen). */
int copy_from_user(void *dst, const void __user *src, size_t n);
int copy_to_user(void __user *dst, const void *src, size_t n);
int clear_user(void __user *dst, size_t n);
/* Copy a NUL-terminated string of at most max bytes including the NUL.
 * Returns its length, -EFAULT, or -ENAMETOOLONG when no NUL within max. */
long strncpy_from_user(char *dst, const char __user *src, size_t max);

int get_user_u32(u32 *v, const void __user *p);
int get_user_u64(u64 *v, const void __user *p);
int put_user_u32(u32 v, void __user *p);
int put_user_u64(u64 v, void __user *p);
/* Atomic compare-exchange on a user u32 (futexes): 0 and *old = value seen,
 * or -EFAULT. */
int futex_cmpxchg_user(u32 __user *p, u32 expected, u32 newval, u32 *old);

#endif
