/* poll, ppoll, select, pselect6.
 *
 * A poll_wqueues collects one (wait queue, waiter, file) entry per queue a
 * file's poll op announces through poll_wait() on the first pass (its
 * poll_table's qproc, fs/poll.h). The entry holds a file reference so the
 * queue outlives the wait even if the descriptor is closed meanwhile.
 * Before every later pass the caller re-queues all entries
 * (prepare_to_wait sets TASK_INTERRUPTIBLE under each queue lock) and only
 * then re-tests readiness, so a wakeup between the test and schedule() is
 * never lost (include/skiff/wait.h).
 *
 * Signals end the wait with -ERESTARTNOHAND (EINTR when a handler runs,
 * a transparent restart otherwise, as Linux's select). ppoll and pselect6
 * install their signal mask for the duration of the call
 * (sigmask_set_temporary): when a signal ends the wait, the original mask
 * comes back through the handler's frame (Linux's saved sigmask), otherwise
 * at once. */
#include "../fs.h"
#include "../poll.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/task.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include <uapi/poll.h>

struct poll_entry {
	struct wait_queue *wq;
	struct waiter w;
	struct file *file;
};

#define ENTRIES_PER_CHUNK ((PAGE_SIZE - 16) / sizeof(struct poll_entry))

struct poll_chunk {
	struct poll_chunk *next;
	u64 n;
	struct poll_entry e[ENTRIES_PER_CHUNK];
};

struct poll_wqueues {
	struct poll_table pt;
	struct poll_chunk *chunks;
	bool error;
};

void poll_wait(struct file *f, struct wait_queue *wq, struct poll_table *pt)
{
	if (pt && pt->qproc && wq)
		pt->qproc(f, wq, pt);
}

/* qproc of poll/select: a thread waiter for the caller on wq. */
static void pollwq_queue(struct file *f, struct wait_queue *wq, struct poll_table *ptab)
{
	struct poll_wqueues *pt = container_of(ptab, struct poll_wqueues, pt);
	struct poll_chunk *c;

	c = pt->chunks;
	if (!c || c->n == ENTRIES_PER_CHUNK) {
		c = alloc_page();
		if (!c) {
			pt->error = true;
			return;
		}
		c->n = 0;
		c->next = pt->chunks;
		pt->chunks = c;
	}
	struct poll_entry *e = &c->e[c->n++];
	memset(e, 0, sizeof(*e));
	e->wq = wq;
	e->file = f;
	file_get(f);
	prepare_to_wait(wq, &e->w, TASK_INTERRUPTIBLE);
}

static void pt_rearm(struct poll_wqueues *pt)
{
	for (struct poll_chunk *c = pt->chunks; c; c = c->next)
		for (u64 i = 0; i < c->n; i++)
			prepare_to_wait(c->e[i].wq, &c->e[i].w, TASK_INTERRUPTIBLE);
}

static void pt_free(struct poll_wqueues *pt)
{
	struct poll_chunk *c = pt->chunks, *n;

	for (; c; c = n) {
		n = c->next;
		for (u64 i = 0; i < c->n; i++) {
			finish_wait(c->e[i].wq, &c->e[i].w);
			file_put(c->e[i].file);
		}
		free_page(c);
	}
	pt->chunks = NULL;
	set_current_state(TASK_RUNNING);
}

#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

u32 vfs_poll(struct file *f, struct poll_table *pt)
{
	if (f->fmode & FMODE_PATH)
		return POLLNVAL;
	if (!f->ops || !f->ops->poll)
		return DEFAULT_POLLMASK;
	return f->ops->poll(f, pt);
}

/* One item to watch: fd, wanted events (POLLERR/HUP always), result. */
struct kpoll {
	int fd;
	u32 events;
	u32 revents;
};

/* Poll items until one is ready, deadline (monotonic ns; 0 = now, ~0 =
 * never) passes, or a signal arrives. Returns the number of ready items
 * or -ERESTARTNOHAND. */
static long do_poll(struct kpoll *items, u64 n, u64 deadline)
{
	struct poll_wqueues pt = { .pt = { pollwq_queue } };
	struct thread *t = current;
	bool first = true;
	long count;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!first)
			pt_rearm(&pt);
		count = 0;
		for (u64 i = 0; i < n; i++) {
			struct kpoll *k = &items[i];
			k->revents = 0;
			if (k->fd < 0)
				continue;
			struct file *f = fd_get(k->fd);
			if (!f) {
				k->revents = POLLNVAL;
			} else {
				u32 m = vfs_poll(f, first && !pt.error ? &pt.pt : NULL);
				k->revents = m & (k->events | POLLERR | POLLHUP | POLLNVAL);
				file_put(f);
			}
			if (k->revents)
				count++;
		}
		first = false;
		if (!count && t->task && signal_pending()) {
			count = -ERESTARTNOHAND; /* EINTR with a handler, else restart */
			break;
		}
		if (count || deadline == 0)
			break;
		if (deadline != ~0ull && clock_monotonic_ns() >= deadline)
			break;
		if (deadline != ~0ull)
			timer_arm(&t->sleep_timer, deadline);
		schedule();
		if (deadline != ~0ull)
			timer_cancel_sync(&t->sleep_timer);
	}
	pt_free(&pt);
	return count;
}

static u64 deadline_after_ns(u64 ns)
{
	u64 now = clock_monotonic_ns();
	return ns > ~0ull - now - 1 ? ~0ull - 1 : now + ns;
}

static long poll_common(u64 ufds, u64 nfds, u64 deadline)
{
	struct pollfd *pfd;
	struct kpoll *items;
	long r;

	if (nfds > vfs_rlimit_nofile() || nfds > (1u << 20))
		return -EINVAL;
	pfd = kmalloc(nfds * sizeof(*pfd) + 1);
	items = kmalloc(nfds * sizeof(*items) + 1);
	if (!pfd || !items) {
		r = -ENOMEM;
		goto out;
	}
	if (copy_from_user(pfd, (void *)ufds, nfds * sizeof(*pfd))) {
		r = -EFAULT;
		goto out;
	}
	for (u64 i = 0; i < nfds; i++) {
		items[i].fd = pfd[i].fd;
		items[i].events = (u16)pfd[i].events;
	}
	r = do_poll(items, nfds, deadline);
	if (r >= 0) {
		for (u64 i = 0; i < nfds; i++)
			pfd[i].revents = (s16)items[i].revents;
		if (copy_to_user((void *)ufds, pfd, nfds * sizeof(*pfd)))
			r = -EFAULT;
	}
out:
	kfree(pfd);
	kfree(items);
	return r;
}

SYSCALL_DEFINE(7, poll)
{
	s32 timeout = (s32)a2;
	u64 deadline = timeout < 0 ? ~0ull : timeout == 0 ? 0 : deadline_after_ns((u64)timeout * NSEC_PER_MSEC);
	return poll_common(a0, a1, deadline);
}

static int get_timespec_deadline(u64 uts, u64 *deadline)
{
	struct timespec_abi ts;

	if (!uts) {
		*deadline = ~0ull;
		return 0;
	}
	if (copy_from_user(&ts, (void *)uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	if (ts.tv_sec == 0 && ts.tv_nsec == 0) {
		*deadline = 0;
		return 0;
	}
	if ((u64)ts.tv_sec > 100ull * 365 * 86400)
		*deadline = ~0ull;
	else
		*deadline = deadline_after_ns((u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec);
	return 0;
}

/* Write the time left until deadline back (ppoll/pselect6/select). */
static void put_remaining(u64 uts, u64 deadline, bool timeval)
{
	u64 now = clock_monotonic_ns(), left;

	if (!uts || deadline == ~0ull)
		return;
	left = deadline > now && deadline != 0 ? deadline - now : 0;
	if (timeval) {
		s64 tv[2] = { (s64)(left / NSEC_PER_SEC), (s64)((left % NSEC_PER_SEC) / 1000) };
		copy_to_user((void *)uts, tv, sizeof(tv));
	} else {
		struct timespec_abi ts = { (s64)(left / NSEC_PER_SEC), (s64)(left % NSEC_PER_SEC) };
		copy_to_user((void *)uts, &ts, sizeof(ts));
	}
}

SYSCALL_DEFINE(271, ppoll)
{
	u64 deadline;
	int err = get_timespec_deadline(a2, &deadline);
	long r;

	if (err)
		return err;
	err = sigmask_set_temporary(a3, a4);
	if (err)
		return err;
	r = poll_common(a0, a1, deadline);
	sigmask_restore_unless(r == -ERESTARTNOHAND);
	put_remaining(a2, deadline, false);
	return r;
}

#define POLLIN_SET  (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET  (POLLPRI)

static long select_common(int nfds, u64 uin, u64 uout, u64 uex, u64 deadline)
{
	u64 words, *in = NULL, *out = NULL, *ex = NULL;
	struct kpoll *items = NULL;
	u64 n = 0;
	long r;

	if (nfds < 0)
		return -EINVAL;
	if ((u64)nfds > vfs_rlimit_nofile())
		nfds = (int)vfs_rlimit_nofile();
	words = ((u64)nfds + 63) / 64;
	in = kzalloc(words * 8 + 8);
	out = kzalloc(words * 8 + 8);
	ex = kzalloc(words * 8 + 8);
	items = kmalloc((u64)nfds * sizeof(*items) + 1);
	if (!in || !out || !ex || !items) {
		r = -ENOMEM;
		goto done;
	}
	size_t bytes = ((size_t)nfds + 7) / 8;
	if ((uin && copy_from_user(in, (void *)uin, bytes)) ||
	    (uout && copy_from_user(out, (void *)uout, bytes)) ||
	    (uex && copy_from_user(ex, (void *)uex, bytes))) {
		r = -EFAULT;
		goto done;
	}
	for (int fd = 0; fd < nfds; fd++) {
		u64 bit = 1ull << (fd % 64);
		u32 ev = 0;
		if (in[fd / 64] & bit)
			ev |= POLLIN_SET;
		if (out[fd / 64] & bit)
			ev |= POLLOUT_SET;
		if (ex[fd / 64] & bit)
			ev |= POLLEX_SET;
		if (!ev)
			continue;
		struct file *f = fd_get(fd);
		if (!f) {
			r = -EBADF;
			goto done;
		}
		file_put(f);
		items[n].fd = fd;
		items[n].events = ev;
		n++;
	}
	r = do_poll(items, n, deadline);
	if (r < 0)
		goto done;
	memset(in, 0, words * 8);
	memset(out, 0, words * 8);
	memset(ex, 0, words * 8);
	r = 0;
	for (u64 i = 0; i < n; i++) {
		int fd = items[i].fd;
		u64 bit = 1ull << (fd % 64);
		u32 rev = items[i].revents;
		if ((rev & POLLIN_SET) && (items[i].events & POLLIN)) {
			in[fd / 64] |= bit;
			r++;
		}
		if ((rev & POLLOUT_SET) && (items[i].events & POLLOUT)) {
			out[fd / 64] |= bit;
			r++;
		}
		if ((rev & POLLEX_SET) && (items[i].events & POLLPRI)) {
			ex[fd / 64] |= bit;
			r++;
		}
	}
	if ((uin && copy_to_user((void *)uin, in, bytes)) ||
	    (uout && copy_to_user((void *)uout, out, bytes)) ||
	    (uex && copy_to_user((void *)uex, ex, bytes)))
		r = -EFAULT;
done:
	kfree(in);
	kfree(out);
	kfree(ex);
	kfree(items);
	return r;
}

SYSCALL_DEFINE(23, select)
{
	u64 deadline = ~0ull;
	long r;

	if (a4) {
		s64 tv[2];
		if (copy_from_user(tv, (void *)a4, sizeof(tv)))
			return -EFAULT;
		if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000)
			return -EINVAL;
		if (tv[0] == 0 && tv[1] == 0)
			deadline = 0;
		else if ((u64)tv[0] < 100ull * 365 * 86400)
			deadline = deadline_after_ns((u64)tv[0] * NSEC_PER_SEC + (u64)tv[1] * 1000);
	}
	r = select_common((int)a0, a1, a2, a3, deadline);
	put_remaining(a4, deadline, true);
	return r;
}

/* The sixth argument points at { const sigset_t *ss; size_t ss_len; }. */
SYSCALL_DEFINE(270, pselect6)
{
	u64 deadline, sig[2] = { 0, 0 };
	int err = get_timespec_deadline(a4, &deadline);
	long r;

	if (err)
		return err;
	if (a5 && copy_from_user(sig, (void *)a5, sizeof(sig)))
		return -EFAULT;
	err = sigmask_set_temporary(sig[0], sig[1]);
	if (err)
		return err;
	r = select_common((int)a0, a1, a2, a3, deadline);
	sigmask_restore_unless(r == -ERESTARTNOHAND);
	put_remaining(a4, deadline, false);
	return r;
}
