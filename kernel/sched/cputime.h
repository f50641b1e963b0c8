/* The user/system split of a thread's run time, as reported: pure
 * arithmetic shared by kernel/sched/cputime.c and tests/unit/test_cputime.c. */
#ifndef SCHED_CPUTIME_H
#define SCHED_CPUTIME_H

#include <skiff/sched.h>

/* Split `total` ns of run time into user and system time, given `user` ns
 * measured in user mode, so that what is reported never goes down (Linux's
 * cputime_adjust, without its scaling: the user time here is measured, not
 * sampled).
 *
 * On return out->utime + out->stime == total and both are >= their values
 * in *prev, which becomes *out; out->utime is min(user, total) unless that
 * would take either field below *prev. When total is no more than what was
 * already reported (a reader racing a clock that differs by a few ns
 * between CPUs), *out is *prev and *prev is unchanged. */
static inline void cputime_adjust(struct cputime *prev, u64 user, u64 total, struct cputime *out)
{
	u64 u, s;

	if (prev->utime + prev->stime >= total) {
		*out = *prev;
		return;
	}
	u = user < total ? user : total;
	s = total - u;
	/* total > prev->utime + prev->stime, so each fix leaves room for the
	 * other field: after the first s >= prev->stime and u > prev->utime
	 * or the second applies; after the second s > prev->stime. */
	if (s < prev->stime) {
		s = prev->stime;
		u = total - s;
	}
	if (u < prev->utime) {
		u = prev->utime;
		s = total - u;
	}
	prev->utime = u;
	prev->stime = s;
	*out = *prev;
}

#endif
