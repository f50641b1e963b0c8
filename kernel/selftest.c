/* Self-test runner (see include/skiff/selftest.h). */
#include <skiff/printk.h>
#include <skiff/selftest.h>
#include <skiff/string.h>
#include <skiff/time.h>

extern const struct selftest __selftests_start[], __selftests_end[];

static bool selected(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (strcmp(list, "all") == 0)
		return true;
	for (const char *p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len + (comma ? 1 : 0);
	}
	return false;
}

int selftests_run(const char *list)
{
	int failed = 0, passed = 0;

	for (const struct selftest *t = __selftests_start; t < __selftests_end; t++) {
		if (!selected(list, t->name))
			continue;
		u64 start = clock_monotonic_ns();
		pr_info("selftest: %s: start", t->name);
		int r = t->fn();
		u64 ms = (clock_monotonic_ns() - start) / 1000000;
		if (r == 0) {
			passed++;
			pr_info("selftest: %s: PASS (%llu ms)", t->name, (unsigned long long)ms);
		} else {
			failed++;
			pr_err("selftest: %s: FAIL (%d)", t->name, r);
		}
	}
	if (passed + failed == 0) {
		pr_err("selftest: no test matches '%s'", list);
		return 1;
	}
	if (failed) {
		pr_err("selftest: %d passed, %d failed", passed, failed);
	} else {
		pr_info("selftest: %d passed, 0 failed", passed);
		pr_info("selftest: all passed");
	}
	return failed;
}
