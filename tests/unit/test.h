/* Minimal assertion helpers for host unit tests. A failed CHECK prints the
 * expression and location and makes the test binary exit non-zero. */
#ifndef UNIT_TEST_H
#define UNIT_TEST_H
#include <stdio.h>
#include <stdlib.h>

static int test_failures;
#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
				__LINE__, #c);                                \
			test_failures++;                                      \
		}                                                             \
	} while (0)
#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b) {                                                \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",  \
				__FILE__, __LINE__, #a, _a, _b);               \
			test_failures++;                                       \
		}                                                              \
	} while (0)
#define TEST_DONE(name)                                                      \
	do {                                                                 \
		printf("%s: %s\n", name, test_failures ? "FAIL" : "ok");     \
		return test_failures ? 1 : 0;                                \
	} while (0)
#endif
