/* Poll tables, shared by poll/select (fs/vfs/poll.c) and epoll
 * (fs/eventpoll.c). A file's poll op reports its readiness mask and calls
 * poll_wait() for each wait queue on which a change of that mask is
 * announced; poll_wait hands the queue to the table's qproc, which hooks a
 * waiter onto it: a thread waiter for poll/select, a callback waiter for
 * epoll. A NULL table, or one whose qproc is NULL, only asks for the mask. */
#ifndef FS_POLL_H
#define FS_POLL_H

#include <skiff/vfs.h>

struct poll_table {
	void (*qproc)(struct file *f, struct wait_queue *wq, struct poll_table *pt);
};

/* The last reference to f is gone: remove it from every epoll set that
 * watches it (fs/anon/eventpoll.c). Cheap when it was never watched; may
 * sleep otherwise. The caller holds no epoll lock. */
void eventpoll_release_file(struct file *f);

#endif
