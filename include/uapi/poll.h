/* poll/select ABI (asm-generic/poll.h, linux/posix_types.h). */
#ifndef UAPI_POLL_H
#define UAPI_POLL_H

#include <skiff/types.h>

#define POLLIN     0x0001
#define POLLPRI    0x0002
#define POLLOUT    0x0004
#define POLLERR    0x0008
#define POLLHUP    0x0010
#define POLLNVAL   0x0020
#define POLLRDNORM 0x0040
#define POLLRDBAND 0x0080
#define POLLWRNORM 0x0100
#define POLLWRBAND 0x0200
#define POLLMSG    0x0400
#define POLLREMOVE 0x1000
#define POLLRDHUP  0x2000

struct pollfd {
	s32 fd;
	s16 events;
	s16 revents;
};
_Static_assert(sizeof(struct pollfd) == 8, "struct pollfd size");

#define FD_SETSIZE 1024

#endif
