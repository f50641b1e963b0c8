/* In-kernel self-tests, run when the command line has skiff.selftest=all or
 * a comma-separated list of names. Each returns 0 on success or a negative
 * number after printing what went wrong. When they finish the kernel writes
 * 0 to the isa-debug-exit port if all passed, the number of failures
 * otherwise (QEMU then exits with status (v << 1) | 1). */
#ifndef SKIFF_SELFTEST_H
#define SKIFF_SELFTEST_H

#include <skiff/compiler.h>

struct selftest {
	const char *name;
	int (*fn)(void);
};

#define SELFTEST(id, fn_)                                                    \
	static const struct selftest __selftest_##id __used                   \
		__section(".selftests") __aligned(8) = { #id, fn_ }

/* Run the selected tests in the calling thread; returns the failure count. */
int selftests_run(const char *list);

#endif
