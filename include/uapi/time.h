/* Time ABI: timespec, timeval, itimerval, itimerspec, tms, clock ids. */
#ifndef UAPI_TIME_H
#define UAPI_TIME_H

#include <skiff/compiler.h>

struct timespec {
	s64 tv_sec;
	s64 tv_nsec;
};
struct timeval {
	s64 tv_sec;
	s64 tv_usec;
};
struct timezone {
	s32 tz_minuteswest;
	s32 tz_dsttime;
};
struct itimerval {
	struct timeval it_interval;
	struct timeval it_value;
};
struct itimerspec {
	struct timespec it_interval;
	struct timespec it_value;
};
struct tms {
	s64 tms_utime, tms_stime, tms_cutime, tms_cstime;
};
BUILD_ASSERT(sizeof(struct timespec) == 16, "timespec size");
BUILD_ASSERT(sizeof(struct itimerspec) == 32, "itimerspec size");

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define CLOCK_TAI 11

#define TIMER_ABSTIME 1

#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2

#endif
