/* epoll system calls: argument decoding and Linux's checks, in Linux's
 * order; the work is in eventpoll.c.
 *
 *   epoll_create(size)        size <= 0: EINVAL
 *   epoll_create1(flags)      flags other than EPOLL_CLOEXEC: EINVAL
 *   epoll_ctl(epfd, op, fd, event)
 *       EFAULT (event unreadable, any op but DEL), EBADF (either fd, or an
 *       O_PATH one), EPERM (fd's file has no poll: regular files,
 *       directories, /dev/null), EINVAL (epfd == fd, epfd not an epoll file,
 *       EPOLLEXCLUSIVE with MOD, on an epoll file or with other than
 *       EPOLLEXCLUSIVE_OK_BITS, MOD of an exclusive item, unknown op),
 *       ELOOP (a cycle or too deep a nest of epoll files), EEXIST, ENOENT.
 *       EPOLLERR and EPOLLHUP are always added to the events.
 *   epoll_wait / epoll_pwait (ms) / epoll_pwait2 (timespec)
 *       EINVAL (maxevents <= 0 or > EP_MAX_EVENTS, bad timespec, sigsetsize
 *       != 8), EFAULT (events outside user space, sigmask or timeout
 *       unreadable), EBADF, EINVAL (not an epoll file), EINTR (a signal:
 *       never restarted). The pwait calls install their signal mask for the
 *       wait (sigmask_set_temporary, as ppoll). */
#include "eventpoll.h"
#include <skiff/syscall.h>
#include <skiff/task.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>

static long do_epoll_create(int flags)
{
	struct file *f;
	int fd;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	f = ep_create_file();
	if (IS_ERR(f))
		return PTR_ERR(f);
	fd = fd_install(f, flags & EPOLL_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL_DEFINE(213, epoll_create)
{
	if ((int)a0 <= 0)
		return -EINVAL;
	return do_epoll_create(0);
}

SYSCALL_DEFINE(291, epoll_create1)
{
	return do_epoll_create((int)a0);
}

/* A descriptor's file for epoll: referenced, or NULL (EBADF) when closed
 * or O_PATH (Linux's fdget). */
static struct file *ep_fd_get(int fd)
{
	struct file *f = fd_get(fd);

	if (f && (f->fmode & FMODE_PATH)) {
		file_put(f);
		f = NULL;
	}
	return f;
}

SYSCALL_DEFINE(233, epoll_ctl)
{
	int epfd = (int)a0, op = (int)a1, fd = (int)a2;
	struct epoll_event ev = { 0, 0 };
	struct file *f = NULL, *tf = NULL;
	struct eventpoll *ep;
	struct epitem *epi;
	bool nested = false;
	long err;

	if (op != EPOLL_CTL_DEL && copy_from_user(&ev, (void *)a3, sizeof(ev)))
		return -EFAULT;
	err = -EBADF;
	f = ep_fd_get(epfd);
	if (!f)
		goto out;
	tf = ep_fd_get(fd);
	if (!tf)
		goto out;
	err = -EPERM;
	if (!tf->ops || !tf->ops->poll)
		goto out;
	err = -EINVAL;
	if (f == tf || !is_file_epoll(f))
		goto out;
	if (op != EPOLL_CTL_DEL && (ev.events & EPOLLEXCLUSIVE)) {
		if (op == EPOLL_CTL_MOD)
			goto out;
		if (op == EPOLL_CTL_ADD &&
		    (is_file_epoll(tf) || (ev.events & ~EPOLLEXCLUSIVE_OK_BITS)))
			goto out;
	}
	ep = ep_of(f);
	if (op == EPOLL_CTL_ADD && is_file_epoll(tf)) {
		nested = true;
		fs_mutex_lock(&epmutex);
		err = ep_loop_check(ep, ep_of(tf));
		if (err)
			goto out;
	}
	ep_lock(ep);
	epi = ep_find(ep, tf, fd);
	err = -EINVAL;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (epi) {
			err = -EEXIST;
		} else {
			ev.events |= EPOLLERR | EPOLLHUP;
			err = ep_insert(ep, &ev, tf, fd);
		}
		break;
	case EPOLL_CTL_DEL:
		if (epi) {
			ep_remove(ep, epi);
			err = 0;
		} else {
			err = -ENOENT;
		}
		break;
	case EPOLL_CTL_MOD:
		if (!epi) {
			err = -ENOENT;
		} else if (!(ep_item_events(epi) & EPOLLEXCLUSIVE)) {
			ev.events |= EPOLLERR | EPOLLHUP;
			err = ep_modify(ep, epi, &ev);
		}
		break;
	}
	ep_unlock(ep);
out:
	if (nested)
		fs_mutex_unlock(&epmutex);
	/* After every epoll lock is dropped: a last reference put here runs
	 * eventpoll_release_file, which takes them. */
	if (tf)
		file_put(tf);
	if (f)
		file_put(f);
	return err;
}

static long do_epoll_wait(int epfd, u64 uev, int maxevents, u64 deadline)
{
	struct file *f;
	long r;

	if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
		return -EINVAL;
	if (!user_range_ok(uev, (u64)maxevents * sizeof(struct epoll_event)))
		return -EFAULT;
	f = ep_fd_get(epfd);
	if (!f)
		return -EBADF;
	if (!is_file_epoll(f)) {
		file_put(f);
		return -EINVAL;
	}
	r = ep_wait(ep_of(f), (struct epoll_event *)uev, maxevents, deadline);
	file_put(f);
	return r;
}

static u64 deadline_after_ns(u64 ns)
{
	u64 now = clock_monotonic_ns();
	return ns > ~0ull - now - 1 ? ~0ull - 1 : now + ns;
}

/* Milliseconds: negative waits forever, 0 not at all. */
static u64 ms_deadline(int ms)
{
	if (ms < 0)
		return ~0ull;
	if (ms == 0)
		return 0;
	return deadline_after_ns((u64)ms * NSEC_PER_MSEC);
}

SYSCALL_DEFINE(232, epoll_wait)
{
	return do_epoll_wait((int)a0, a1, (int)a2, ms_deadline((int)a3));
}

static long epoll_pwait_common(int epfd, u64 uev, int maxevents, u64 deadline, u64 umask,
			       u64 sigsetsize)
{
	long r = sigmask_set_temporary(umask, sigsetsize);

	if (r)
		return r;
	r = do_epoll_wait(epfd, uev, maxevents, deadline);
	sigmask_restore_unless(r == -EINTR);
	return r;
}

SYSCALL_DEFINE(281, epoll_pwait)
{
	return epoll_pwait_common((int)a0, a1, (int)a2, ms_deadline((int)a3), a4, a5);
}

SYSCALL_DEFINE(441, epoll_pwait2)
{
	u64 deadline = ~0ull;

	if (a3) {
		struct timespec_abi ts;
		if (copy_from_user(&ts, (void *)a3, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
			return -EINVAL;
		if (ts.tv_sec == 0 && ts.tv_nsec == 0)
			deadline = 0;
		else if ((u64)ts.tv_sec <= 100ull * 365 * 86400)
			deadline = deadline_after_ns((u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec);
	}
	return epoll_pwait_common((int)a0, a1, (int)a2, deadline, a4, a5);
}
