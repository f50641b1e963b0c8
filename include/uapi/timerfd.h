/* timerfd ABI (linux/timerfd.h); the times are struct itimerspec
 * (uapi/time.h). */
#ifndef UAPI_TIMERFD_H
#define UAPI_TIMERFD_H

#define TFD_TIMER_ABSTIME       1
#define TFD_TIMER_CANCEL_ON_SET 2
#define TFD_CLOEXEC  02000000  /* O_CLOEXEC */
#define TFD_NONBLOCK 00004000  /* O_NONBLOCK */

#endif
