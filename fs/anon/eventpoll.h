/* epoll internals shared by fs/anon/eventpoll.c (the core) and
 * fs/anon/epoll_sys.c (the system calls). The design and the locking are
 * described at the top of eventpoll.c. */
#ifndef FS_ANON_EVENTPOLL_H
#define FS_ANON_EVENTPOLL_H

#include "../fs.h"
#include <uapi/eventpoll.h>

/* Bits of an item's events that are flags, never reported. */
#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
/* What EPOLLEXCLUSIVE may be combined with. */
#define EPOLLEXCLUSIVE_OK_BITS (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | \
				EPOLLET | EPOLLEXCLUSIVE)
/* Nesting limit of epoll sets watching epoll sets (Linux's EP_MAX_NESTS). */
#define EP_MAX_NESTS 4
/* maxevents bound: INT_MAX / sizeof(struct epoll_event). */
#define EP_MAX_EVENTS (0x7fffffff / (int)sizeof(struct epoll_event))

struct eventpoll;
struct epitem;

extern struct fs_mutex epmutex;

/* A new epoll instance and its file (O_RDWR | cloexec-free flags), or
 * ERR_PTR(-ENOMEM). */
struct file *ep_create_file(void);
bool is_file_epoll(struct file *f);
static inline struct eventpoll *ep_of(struct file *f) { return f->private_data; }

/* Under ep's mtx (ep_lock/ep_unlock): find, add, change, remove the item
 * for (file, fd). */
void ep_lock(struct eventpoll *ep);
void ep_unlock(struct eventpoll *ep);
struct epitem *ep_find(struct eventpoll *ep, struct file *tf, int fd);
int ep_insert(struct eventpoll *ep, const struct epoll_event *ev, struct file *tf, int fd);
int ep_modify(struct eventpoll *ep, struct epitem *epi, const struct epoll_event *ev);
void ep_remove(struct eventpoll *ep, struct epitem *epi);
u32 ep_item_events(struct epitem *epi);

/* Would adding epoll set `to` into `ep` make a cycle or nest deeper than
 * EP_MAX_NESTS? -ELOOP or 0. epmutex held. */
int ep_loop_check(struct eventpoll *ep, struct eventpoll *to);

/* Wait for events (epoll_wait's core): up to maxevents copied to uev;
 * deadline is monotonic ns, 0 = do not wait, ~0 = forever. Returns the
 * count, 0 on timeout, -EINTR on a signal, -EFAULT. */
long ep_wait(struct eventpoll *ep, struct epoll_event *uev, int maxevents, u64 deadline);

#endif
