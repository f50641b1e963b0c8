/* Timer accuracy self-test (skiff.selftest=timer).
 *
 * Sleeps of 1, 10 and 100 ms on every CPU must never wake early; lateness
 * (wake time minus deadline) is printed as min/median/p90/max per length.
 * Tolerance under TCG, where a vCPU is a host thread competing with others:
 * median lateness at most 2 ms and no single wakeup more than 20 ms late. */
#include <skiff/errno.h>
#include <skiff/printk.h>
#include <skiff/sched.h>
#include <skiff/selftest.h>
#include <skiff/time.h>

#define TOL_MEDIAN_NS (2 * NSEC_PER_MSEC)
#define TOL_MAX_NS (20 * NSEC_PER_MSEC)

static const struct {
	u64 ns;
	int reps;
} lengths[] = { { 1 * NSEC_PER_MSEC, 30 }, { 10 * NSEC_PER_MSEC, 10 }, { 100 * NSEC_PER_MSEC, 5 } };

#define MAX_REPS 30

struct timer_test {
	s64 late[3][MAX_REPS]; /* negative: woke early */
	int early;
};
static struct timer_test results[NR_CPUS];

static int sleeper(void *arg)
{
	struct timer_test *r = arg;

	for (unsigned l = 0; l < 3; l++) {
		for (int i = 0; i < lengths[l].reps; i++) {
			u64 deadline = clock_monotonic_ns() + lengths[l].ns;
			sleep_until(deadline, TASK_UNINTERRUPTIBLE);
			s64 late = (s64)(clock_monotonic_ns() - deadline);
			r->late[l][i] = late;
			if (late < 0)
				r->early++;
		}
	}
	return 0;
}

static void sort(s64 *a, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
			s64 t = a[j];
			a[j] = a[j - 1];
			a[j - 1] = t;
		}
}

static int test_timer(void)
{
	struct thread *t[NR_CPUS];
	static s64 all[NR_CPUS * MAX_REPS];
	int failures = 0;

	for (unsigned c = 0; c < nr_cpus_online; c++) {
		results[c].early = 0;
		t[c] = kthread_create(sleeper, &results[c], "timer-test", (int)c);
		if (!t[c])
			return -ENOMEM;
	}
	for (unsigned c = 0; c < nr_cpus_online; c++)
		kthread_join(t[c]);

	for (unsigned l = 0; l < 3; l++) {
		int n = 0;
		for (unsigned c = 0; c < nr_cpus_online; c++) {
			failures += results[c].early;
			for (int i = 0; i < lengths[l].reps; i++)
				all[n++] = results[c].late[l][i];
		}
		sort(all, n);
		s64 med = all[n / 2], p90 = all[n * 9 / 10], max = all[n - 1];
		pr_info("timer: %3llu ms sleeps x%d: lateness min %lld us, median %lld us, p90 %lld us, max %lld us",
			(unsigned long long)(lengths[l].ns / NSEC_PER_MSEC), n, (long long)all[0] / 1000,
			(long long)med / 1000, (long long)p90 / 1000, (long long)max / 1000);
		if (all[0] < 0) {
			pr_err("timer: a %llu ms sleep woke %lld ns early",
			       (unsigned long long)(lengths[l].ns / NSEC_PER_MSEC), (long long)-all[0]);
			failures++;
		}
		if (med > (s64)TOL_MEDIAN_NS || max > (s64)TOL_MAX_NS) {
			pr_err("timer: lateness beyond tolerance (median <= %llu us, max <= %llu us)",
			       TOL_MEDIAN_NS / 1000, TOL_MAX_NS / 1000);
			failures++;
		}
	}
	return failures ? -1 : 0;
}
SELFTEST(timer, test_timer);
