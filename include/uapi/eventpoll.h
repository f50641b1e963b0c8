/* epoll ABI (linux/eventpoll.h). On x86-64 struct epoll_event is packed:
 * 12 bytes, data at offset 4 (the kernel's EPOLL_PACKED). */
#ifndef UAPI_EVENTPOLL_H
#define UAPI_EVENTPOLL_H

#include <skiff/types.h>

#define EPOLL_CLOEXEC 02000000  /* O_CLOEXEC */

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

#define EPOLLIN        0x00000001u
#define EPOLLPRI       0x00000002u
#define EPOLLOUT       0x00000004u
#define EPOLLERR       0x00000008u
#define EPOLLHUP       0x00000010u
#define EPOLLNVAL      0x00000020u
#define EPOLLRDNORM    0x00000040u
#define EPOLLRDBAND    0x00000080u
#define EPOLLWRNORM    0x00000100u
#define EPOLLWRBAND    0x00000200u
#define EPOLLMSG       0x00000400u
#define EPOLLRDHUP     0x00002000u
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP    (1u << 29)
#define EPOLLONESHOT   (1u << 30)
#define EPOLLET        (1u << 31)

struct epoll_event {
	u32 events;
	u64 data;
} __attribute__((packed));
_Static_assert(sizeof(struct epoll_event) == 12, "struct epoll_event size");
_Static_assert(__builtin_offsetof(struct epoll_event, data) == 4, "epoll_event.data");

#endif
