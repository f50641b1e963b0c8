/* System call registration and dispatch (kernel/syscall.c).
 *
 * A syscall is defined next to the code it belongs to:
 *     SYSCALL_DEFINE(39, getpid) { return current_proc()->pid; }
 * which declares `long sys_getpid(u64 a0, ..., u64 a5)` and records it in
 * the .syscalls section; the dispatcher builds its table from that section.
 * Numbers are Linux x86-64's (include/uapi/unistd.h). An unregistered number
 * returns -ENOSYS and is logged once with its Linux name. */
#ifndef SKIFF_SYSCALL_H
#define SKIFF_SYSCALL_H

#include <skiff/compiler.h>

typedef long (*syscall_fn_t)(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);

struct syscall_entry {
	u32 nr;
	const char *name;
	syscall_fn_t fn;
};

#define SYSCALL_DEFINE(nr_, name_)                                                 \
	long sys_##name_(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);           \
	static const struct syscall_entry __syscall_##name_ __used                  \
		__section(".syscalls") __aligned(8) = { nr_, #name_, sys_##name_ }; \
	long sys_##name_(u64 a0 __unused, u64 a1 __unused, u64 a2 __unused,         \
			 u64 a3 __unused, u64 a4 __unused, u64 a5 __unused)

#define NR_SYSCALLS 512

/* Linux name of a syscall number, for logs; NULL if Linux has none. */
const char *syscall_name(u32 nr);

#endif
