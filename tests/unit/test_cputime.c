// SOURCES:
/* The reported user/system split (kernel/sched/cputime.h): the sum is the
 * run time, the user part is what was measured, and neither part ever goes
 * down, whatever a racing reader or a skewed clock feeds it. */
#include "test.h"
#include "../../kernel/sched/cputime.h"

static struct cputime split(struct cputime *prev, u64 user, u64 total)
{
	struct cputime out;
	cputime_adjust(prev, user, total, &out);
	return out;
}

int main(void)
{
	struct cputime prev = { 0, 0 }, r;

	/* Measured user time is reported as it is; the rest is system. */
	r = split(&prev, 300, 1000);
	CHECK_EQ(r.utime, 300);
	CHECK_EQ(r.stime, 700);
	CHECK_EQ(prev.utime, 300);
	CHECK_EQ(prev.stime, 700);

	/* User time above the run time (clocks of two CPUs) is cut to it. */
	struct cputime p2 = { 0, 0 };
	r = split(&p2, 1500, 1000);
	CHECK_EQ(r.utime, 1000);
	CHECK_EQ(r.stime, 0);

	/* No new run time: the last split again, even if user time moved. */
	r = split(&prev, 900, 1000);
	CHECK_EQ(r.utime, 300);
	CHECK_EQ(r.stime, 700);
	/* Run time that went back (a racing reader): unchanged, not smaller. */
	r = split(&prev, 200, 900);
	CHECK_EQ(r.utime, 300);
	CHECK_EQ(r.stime, 700);

	/* User time grew faster than the run time: stime holds, utime takes
	 * what is left. */
	r = split(&prev, 1100, 1200);
	CHECK_EQ(r.stime, 700);
	CHECK_EQ(r.utime, 500);

	/* User time that seems to go back: utime holds, stime takes the rest. */
	r = split(&prev, 100, 1500);
	CHECK_EQ(r.utime, 500);
	CHECK_EQ(r.stime, 1000);

	/* Random walk: sum exact whenever the total grows, both monotonic. */
	struct cputime p3 = { 0, 0 }, last = { 0, 0 };
	u64 total = 0, user = 0, seed = 12345;
	for (int i = 0; i < 100000; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		u64 dt = (seed >> 33) % 1000;
		u64 du = (seed >> 20) % (dt + 1);
		total += dt;
		user += du;
		/* Noise as a reader on another CPU would see it. */
		u64 seen_user = user + ((seed >> 10) % 50) - 25 * ((seed >> 5) & 1);
		u64 seen_total = total - ((seed >> 40) % 20 < total ? (seed >> 40) % 20 : 0);
		r = split(&p3, seen_user, seen_total);
		CHECK(r.utime >= last.utime);
		CHECK(r.stime >= last.stime);
		if (seen_total > last.utime + last.stime)
			CHECK_EQ(r.utime + r.stime, seen_total);
		else
			CHECK(r.utime == last.utime && r.stime == last.stime);
		last = r;
	}
	TEST_DONE("cputime");
}
