/* epoll: interest sets with readiness callbacks (epoll(7)), the core.
 *
 * Design (Linux's fs/eventpoll.c, written from its documented behaviour).
 * An epoll instance (struct eventpoll) holds one struct epitem per watched
 * (file, fd) pair, found through a hash table. When an item is added, the
 * file's poll op is called once with a poll table whose qproc hooks a
 * callback waiter (struct ep_pwq) onto every wait queue the file names. A
 * wakeup on such a queue runs ep_poll_callback(), which puts the item on
 * the ready list (rdllist) and wakes one epoll_wait sleeper; nothing scans
 * the interest set. epoll_wait takes the ready list, asks each item's file
 * for its current mask (the callback may be spurious, and the wakeup key
 * is only a hint), reports the items whose mask meets their events, and
 * puts level-triggered ones back for the next call; edge-triggered items
 * come back only with the next callback, EPOLLONESHOT items are disabled
 * (events cut to the flag bits) until EPOLL_CTL_MOD.
 *
 * Item states ([lock]): IDLE (on no list), READY (on rdllist), TX (taken
 * by a scan, on the scanner's private list). A callback moves IDLE to
 * READY, and marks a TX item tx_again so the scan puts it back (Linux's
 * ovflist). A scan ends every item it took as READY (reported and level
 * triggered, or tx_again, or not reached for want of room) or IDLE.
 *
 * EPOLLEXCLUSIVE items are exclusive waiters on the file's queue: a
 * wake_up() stops after the first of them whose callback woke an epoll_wait
 * sleeper (wait.h), so one of several epoll sets is woken. epoll_wait
 * sleepers are exclusive waiters on ep->wq (one woken per event; a scan
 * that leaves items ready wakes the next).
 *
 * An item does not hold a reference to its file: file_put() of the last
 * reference calls eventpoll_release_file(), which removes the file's items
 * from every set (so a dup'ed descriptor keeps the registration, as on
 * Linux). Epoll sets may watch epoll sets; ep_loop_check refuses cycles and
 * nesting deeper than EP_MAX_NESTS with ELOOP.
 *
 * Locking, in order:
 *   epmutex (global fs_mutex): file release, epoll release, and EPOLL_CTL_ADD
 *     of an epoll file (the loop check); keeps an eventpoll alive while a
 *     releasing file looks at its items.
 *   ep->mtx (fs_mutex): [mtx] the interest set, item data, pwq lists;
 *     held across a whole scan (file poll ops and user copies run under
 *     it), so items cannot be removed while a scan uses them. A parent's
 *     mtx ranks before a nested child's.
 *   file->lock: [f] the file's list of items.
 *   a watched file's wait-queue lock: held while callbacks run.
 *   ep->lock (spinlock, irqsave): [lock] the ready list, item states,
 *     item events (written with mtx held as well).
 *   ep->wq / ep->poll_wq locks: taken inside ep->lock by wakeups.
 * The race-free sleep of ep_wait: the sleeper queues itself on ep->wq, then
 * tests rdllist under ep->lock; a callback adds to rdllist under ep->lock,
 * then tests ep->wq. Whichever takes ep->lock second sees the other's
 * change, so a wakeup is never lost [W]. */
#include "eventpoll.h"
#include "../poll.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/task.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include <uapi/poll.h>

enum { EPI_IDLE, EPI_READY, EPI_TX };

struct ep_pwq {
	struct waiter w;             /* callback waiter on whead */
	struct wait_queue *whead;    /* [I] */
	struct epitem *epi;          /* [I] */
	struct ep_pwq *next;         /* [mtx] */
};

struct epitem {
	struct list_head hlink;      /* [mtx] hash chain */
	struct list_head rdllink;    /* [lock] rdllist (READY) or a scan's list (TX) */
	u8 state;                    /* [lock] EPI_* */
	bool tx_again;               /* [lock] a callback came while TX */
	u32 events;                  /* [lock]+[mtx] to write; either to read */
	u64 data;                    /* [mtx] */
	struct eventpoll *ep;        /* [I] */
	struct file *file;           /* [I] not referenced (see the header) */
	int fd;                      /* [I] */
	struct ep_pwq *pwqs;         /* [mtx] */
	struct epitem *fnext;        /* [f] file->ep_items chain */
	struct epitem **fpprev;      /* [f] */
};

struct eventpoll {
	struct fs_mutex mtx;
	spinlock_t lock;
	struct list_head rdllist;    /* [lock] */
	struct wait_queue wq;        /* epoll_wait sleepers (exclusive) */
	struct wait_queue poll_wq;   /* poll/select/epoll of the epoll file */
	struct list_head *hash;      /* [mtx] buckets */
	u32 hmask;                   /* [mtx] buckets - 1 */
	u32 nitems;                  /* [mtx] */
	u64 gen;                     /* [epmutex] loop check mark */
};

struct fs_mutex epmutex = { 0, NULL, WAIT_QUEUE_INIT(epmutex.wq) };

static const struct file_operations eventpoll_ops;

bool is_file_epoll(struct file *f)
{
	return f->ops == &eventpoll_ops;
}

void ep_lock(struct eventpoll *ep) { fs_mutex_lock(&ep->mtx); }
void ep_unlock(struct eventpoll *ep) { fs_mutex_unlock(&ep->mtx); }
u32 ep_item_events(struct epitem *epi) { return epi->events; }

/* ---- readiness callbacks ---- */

/* A wakeup on a watched file's queue (that queue's lock held, irqs off).
 * Returns true when it counts as an exclusive wakeup (wait.h): always for
 * ordinary items, for EPOLLEXCLUSIVE ones only when an epoll_wait sleeper
 * was woken for an event the item wants (Linux's ep_poll_callback). */
static bool ep_poll_callback(struct waiter *w, u32 key)
{
	struct ep_pwq *pwq = container_of(w, struct ep_pwq, w);
	struct epitem *epi = pwq->epi;
	struct eventpoll *ep = epi->ep;
	bool ewake = false, pwake = false;
	u64 f = spin_lock_irqsave(&ep->lock);
	u32 ev = epi->events;

	if (!(ev & ~EP_PRIVATE_BITS))
		goto out;   /* EPOLLONESHOT fired: disabled until EPOLL_CTL_MOD */
	if (key && !(key & ev))
		goto out;   /* an event nobody here asked for */
	if (epi->state == EPI_IDLE) {
		list_add_tail(&epi->rdllink, &ep->rdllist);
		epi->state = EPI_READY;
	} else if (epi->state == EPI_TX) {
		epi->tx_again = true;
	}
	if (wait_queue_active(&ep->wq)) {    /* [W] */
		if (ev & EPOLLEXCLUSIVE) {
			u32 k = key & (EPOLLIN | EPOLLOUT);
			ewake = k == 0 || (k == EPOLLIN && (ev & EPOLLIN)) ||
				(k == EPOLLOUT && (ev & EPOLLOUT));
		}
		wake_up(&ep->wq);
	}
	pwake = wait_queue_active(&ep->poll_wq);
out:
	spin_unlock_irqrestore(&ep->lock, f);
	if (pwake)
		wake_up_poll(&ep->poll_wq, POLLIN);
	return ewake || !(ev & EPOLLEXCLUSIVE);
}

struct ep_pqueue {
	struct poll_table pt;
	struct epitem *epi;
	bool failed;
};

/* qproc of EPOLL_CTL_ADD: hook a callback waiter for epi on whead. [mtx] */
static void ep_ptable_queue_proc(struct file *f, struct wait_queue *whead, struct poll_table *pt)
{
	struct ep_pqueue *q = container_of(pt, struct ep_pqueue, pt);
	struct epitem *epi = q->epi;
	struct ep_pwq *pwq;

	if (q->failed)
		return;
	pwq = kmalloc(sizeof(*pwq));
	if (!pwq) {
		q->failed = true;
		return;
	}
	waiter_init_func(&pwq->w, ep_poll_callback);
	pwq->whead = whead;
	pwq->epi = epi;
	pwq->next = epi->pwqs;
	epi->pwqs = pwq;
	if (epi->events & EPOLLEXCLUSIVE)
		add_wait_queue_exclusive(whead, &pwq->w);
	else
		add_wait_queue(whead, &pwq->w);
}

/* Put epi on the ready list if it is idle, waking epoll_wait and poll
 * sleepers (insert and modify found it ready). [mtx] */
static void ep_make_ready(struct eventpoll *ep, struct epitem *epi)
{
	bool pwake = false;
	u64 f = spin_lock_irqsave(&ep->lock);

	if (epi->state == EPI_IDLE) {
		list_add_tail(&epi->rdllink, &ep->rdllist);
		epi->state = EPI_READY;
		if (wait_queue_active(&ep->wq))
			wake_up(&ep->wq);
		pwake = wait_queue_active(&ep->poll_wq);
	}
	spin_unlock_irqrestore(&ep->lock, f);
	if (pwake)
		wake_up_poll(&ep->poll_wq, POLLIN);
}

/* ---- scans of the ready list ---- */

/* Take the ready list into *tx (items become TX). [mtx] */
static void ep_start_scan(struct eventpoll *ep, struct list_head *tx)
{
	u64 f = spin_lock_irqsave(&ep->lock);

	list_init(tx);
	while (!list_empty(&ep->rdllist)) {
		struct epitem *epi = list_first_entry(&ep->rdllist, struct epitem, rdllink);
		list_del(&epi->rdllink);
		list_add_tail(&epi->rdllink, tx);
		epi->state = EPI_TX;
		epi->tx_again = false;
	}
	spin_unlock_irqrestore(&ep->lock, f);
}

/* A scanned item (already off the scan's list): back on the ready list if
 * again (level triggered and reported) or a callback came meanwhile, else
 * idle. [mtx] */
static void ep_scan_item_done(struct eventpoll *ep, struct epitem *epi, bool again)
{
	u64 f = spin_lock_irqsave(&ep->lock);

	if (again || epi->tx_again) {
		list_add_tail(&epi->rdllink, &ep->rdllist);
		epi->state = EPI_READY;
	} else {
		epi->state = EPI_IDLE;
	}
	epi->tx_again = false;
	spin_unlock_irqrestore(&ep->lock, f);
}

/* End a scan: items it did not reach go back to the front of the ready
 * list; another sleeper is woken if anything is ready. [mtx] */
static void ep_done_scan(struct eventpoll *ep, struct list_head *tx)
{
	u64 f = spin_lock_irqsave(&ep->lock);

	while (!list_empty(tx)) {
		struct epitem *epi = list_entry(tx->prev, struct epitem, rdllink);
		list_del(&epi->rdllink);
		list_add(&epi->rdllink, &ep->rdllist);
		epi->state = EPI_READY;
		epi->tx_again = false;
	}
	if (!list_empty(&ep->rdllist) && wait_queue_active(&ep->wq))
		wake_up(&ep->wq);
	spin_unlock_irqrestore(&ep->lock, f);
}

static u32 ep_poll_nested(struct file *f, struct poll_table *pt, int depth);

/* The item's file's mask, limited to the item's events. pt hooks
 * callbacks (insert) or is NULL. [mtx] */
static u32 ep_item_poll(struct epitem *epi, struct poll_table *pt, int depth)
{
	u32 m;

	if (is_file_epoll(epi->file))
		m = ep_poll_nested(epi->file, pt, depth);
	else
		m = vfs_poll(epi->file, pt);
	return m & epi->events;
}

/* Readiness of an epoll file: POLLIN when a ready item really has events
 * (items that turn out not to be ready are dropped from the list). */
static u32 ep_poll_nested(struct file *f, struct poll_table *pt, int depth)
{
	struct eventpoll *ep = ep_of(f);
	struct list_head tx;
	u32 res = 0;

	poll_wait(f, &ep->poll_wq, pt);
	fs_mutex_lock(&ep->mtx);
	ep_start_scan(ep, &tx);
	while (!list_empty(&tx)) {
		struct epitem *epi = list_first_entry(&tx, struct epitem, rdllink);
		if (ep_item_poll(epi, NULL, depth + 1)) {
			res = POLLIN | POLLRDNORM;
			break;
		}
		list_del(&epi->rdllink);
		ep_scan_item_done(ep, epi, false);
	}
	ep_done_scan(ep, &tx);
	fs_mutex_unlock(&ep->mtx);
	return res;
}

static u32 ep_eventpoll_poll(struct file *f, struct poll_table *pt)
{
	return ep_poll_nested(f, pt, 0);
}

/* Report up to max ready items to uev (epoll_wait). Returns the count,
 * or -EFAULT when the first copy failed (the item stays ready). */
static long ep_send_events(struct eventpoll *ep, struct epoll_event *uev, int max)
{
	struct list_head tx;
	long res = 0;

	fs_mutex_lock(&ep->mtx);
	ep_start_scan(ep, &tx);
	while (!list_empty(&tx) && res < max) {
		struct epitem *epi = list_first_entry(&tx, struct epitem, rdllink);
		bool again = false;

		list_del(&epi->rdllink);
		u32 revents = ep_item_poll(epi, NULL, 1);
		if (revents) {
			struct epoll_event ev = { revents, epi->data };
			if (copy_to_user(&uev[res], &ev, sizeof(ev))) {
				list_add(&epi->rdllink, &tx);
				if (!res)
					res = -EFAULT;
				break;
			}
			res++;
			if (epi->events & EPOLLONESHOT) {
				u64 f = spin_lock_irqsave(&ep->lock);
				epi->events &= EP_PRIVATE_BITS;
				spin_unlock_irqrestore(&ep->lock, f);
			} else if (!(epi->events & EPOLLET)) {
				again = true;
			}
		}
		ep_scan_item_done(ep, epi, again);
	}
	ep_done_scan(ep, &tx);
	fs_mutex_unlock(&ep->mtx);
	return res;
}

static bool ep_events_available(struct eventpoll *ep)
{
	u64 f = spin_lock_irqsave(&ep->lock);
	bool r = !list_empty(&ep->rdllist);
	spin_unlock_irqrestore(&ep->lock, f);
	return r;
}

long ep_wait(struct eventpoll *ep, struct epoll_event *uev, int maxevents, u64 deadline)
{
	struct thread *t = current;
	struct waiter w = { 0 };
	bool timed_out = deadline == 0;
	long res;

	for (;;) {
		if (ep_events_available(ep)) {
			res = ep_send_events(ep, uev, maxevents);
			if (res)
				return res;
		}
		if (timed_out)
			return 0;
		if (signal_pending())
			return -EINTR;   /* never restarted, even with SA_RESTART */
		prepare_to_wait_exclusive(&ep->wq, &w, TASK_INTERRUPTIBLE);
		if (ep_events_available(ep) || signal_pending()) {   /* [W] */
			finish_wait(&ep->wq, &w);
			continue;
		}
		if (deadline != ~0ull) {
			if (clock_monotonic_ns() >= deadline) {
				finish_wait(&ep->wq, &w);
				timed_out = true;
				continue;
			}
			timer_arm(&t->sleep_timer, deadline);
		}
		schedule();
		if (deadline != ~0ull) {
			timer_cancel_sync(&t->sleep_timer);
			timed_out = clock_monotonic_ns() >= deadline;
		}
		finish_wait(&ep->wq, &w);
	}
}

/* ---- the interest set ---- */

static u32 ep_hash_of(struct file *f, int fd)
{
	u64 h = ((u64)(uintptr_t)f >> 4) ^ ((u64)(u32)fd * 0x9e3779b97f4a7c15ull);
	return (u32)(h ^ (h >> 29));
}

struct epitem *ep_find(struct eventpoll *ep, struct file *tf, int fd)
{
	struct list_head *b = &ep->hash[ep_hash_of(tf, fd) & ep->hmask], *pos;

	list_for_each(pos, b) {
		struct epitem *epi = list_entry(pos, struct epitem, hlink);
		if (epi->file == tf && epi->fd == fd)
			return epi;
	}
	return NULL;
}

/* Double the buckets when the set outgrows them (kept as is on ENOMEM). */
static void ep_hash_grow(struct eventpoll *ep)
{
	u32 n = (ep->hmask + 1) * 2;
	struct list_head *nb;

	if (ep->nitems < 2 * (ep->hmask + 1) || n > (1u << 20))
		return;
	nb = kmalloc(n * sizeof(*nb));
	if (!nb)
		return;
	for (u32 i = 0; i < n; i++)
		list_init(&nb[i]);
	for (u32 i = 0; i <= ep->hmask; i++) {
		while (!list_empty(&ep->hash[i])) {
			struct epitem *epi = list_first_entry(&ep->hash[i], struct epitem, hlink);
			list_del(&epi->hlink);
			list_add_tail(&epi->hlink, &nb[ep_hash_of(epi->file, epi->fd) & (n - 1)]);
		}
	}
	kfree(ep->hash);
	ep->hash = nb;
	ep->hmask = n - 1;
}

int ep_insert(struct eventpoll *ep, const struct epoll_event *ev, struct file *tf, int fd)
{
	struct epitem *epi = kzalloc(sizeof(*epi));
	struct ep_pqueue q;

	if (!epi)
		return -ENOMEM;
	list_init(&epi->rdllink);
	epi->state = EPI_IDLE;
	epi->events = ev->events;
	epi->data = ev->data;
	epi->ep = ep;
	epi->file = tf;
	epi->fd = fd;
	spin_lock(&tf->lock);
	epi->fnext = tf->ep_items;
	if (epi->fnext)
		epi->fnext->fpprev = &epi->fnext;
	tf->ep_items = epi;
	epi->fpprev = &tf->ep_items;
	spin_unlock(&tf->lock);
	list_add_tail(&epi->hlink, &ep->hash[ep_hash_of(tf, fd) & ep->hmask]);
	ep->nitems++;
	ep_hash_grow(ep);

	q.pt.qproc = ep_ptable_queue_proc;
	q.epi = epi;
	q.failed = false;
	u32 revents = ep_item_poll(epi, &q.pt, 1);
	if (q.failed) {
		ep_remove(ep, epi);
		return -ENOMEM;
	}
	if (revents)
		ep_make_ready(ep, epi);
	return 0;
}

int ep_modify(struct eventpoll *ep, struct epitem *epi, const struct epoll_event *ev)
{
	u64 f = spin_lock_irqsave(&ep->lock);
	epi->events = ev->events;
	spin_unlock_irqrestore(&ep->lock, f);
	epi->data = ev->data;
	if (ep_item_poll(epi, NULL, 1))
		ep_make_ready(ep, epi);
	return 0;
}

/* Unhook the callbacks first: after that no callback runs for epi, and
 * once it is off the file's list the file may go away. [mtx] */
void ep_remove(struct eventpoll *ep, struct epitem *epi)
{
	struct ep_pwq *pwq, *next;
	struct file *tf = epi->file;

	for (pwq = epi->pwqs; pwq; pwq = next) {
		next = pwq->next;
		remove_wait_queue(pwq->whead, &pwq->w);
		kfree(pwq);
	}
	epi->pwqs = NULL;
	spin_lock(&tf->lock);
	*epi->fpprev = epi->fnext;
	if (epi->fnext)
		epi->fnext->fpprev = epi->fpprev;
	spin_unlock(&tf->lock);
	u64 f = spin_lock_irqsave(&ep->lock);
	if (epi->state == EPI_READY)
		list_del(&epi->rdllink);
	spin_unlock_irqrestore(&ep->lock, f);
	list_del(&epi->hlink);
	ep->nitems--;
	kfree(epi);
}

/* ---- nesting ---- */

static u64 loop_gen;                    /* [epmutex] */
static struct eventpoll *inserting_into; /* [epmutex] */

static int ep_loop_check_proc(struct eventpoll *ep, int depth)
{
	int err = 0;

	fs_mutex_lock(&ep->mtx);
	ep->gen = loop_gen;
	for (u32 i = 0; i <= ep->hmask && !err; i++) {
		struct list_head *pos;
		list_for_each(pos, &ep->hash[i]) {
			struct epitem *epi = list_entry(pos, struct epitem, hlink);
			if (!is_file_epoll(epi->file))
				continue;
			struct eventpoll *v = ep_of(epi->file);
			if (v->gen == loop_gen)
				continue;
			if (v == inserting_into || depth > EP_MAX_NESTS)
				err = -ELOOP;
			else
				err = ep_loop_check_proc(v, depth + 1);
			if (err)
				break;
		}
	}
	fs_mutex_unlock(&ep->mtx);
	return err;
}

int ep_loop_check(struct eventpoll *ep, struct eventpoll *to)
{
	loop_gen++;
	inserting_into = ep;
	return ep_loop_check_proc(to, 0);
}

/* ---- the epoll file ---- */

static void ep_release(struct file *f)
{
	struct eventpoll *ep = ep_of(f);

	fs_mutex_lock(&epmutex);
	fs_mutex_lock(&ep->mtx);
	for (u32 i = 0; i <= ep->hmask; i++)
		while (!list_empty(&ep->hash[i]))
			ep_remove(ep, list_first_entry(&ep->hash[i], struct epitem, hlink));
	fs_mutex_unlock(&ep->mtx);
	fs_mutex_unlock(&epmutex);
	kfree(ep->hash);
	kfree(ep);
}

static s64 ep_llseek(struct file *f, s64 off, int whence)
{
	return (s64)f->pos;  /* Linux's noop_llseek */
}

static const struct file_operations eventpoll_ops = {
	.poll = ep_eventpoll_poll,
	.release = ep_release,
	.llseek = ep_llseek,
	.anon_name = "eventpoll",
};

struct file *ep_create_file(void)
{
	struct eventpoll *ep = kzalloc(sizeof(*ep));
	struct file *f;

	if (!ep)
		return ERR_PTR(-ENOMEM);
	ep->hmask = 7;
	ep->hash = kmalloc((ep->hmask + 1) * sizeof(*ep->hash));
	if (!ep->hash) {
		kfree(ep);
		return ERR_PTR(-ENOMEM);
	}
	for (u32 i = 0; i <= ep->hmask; i++)
		list_init(&ep->hash[i]);
	fs_mutex_init(&ep->mtx);
	spin_init(&ep->lock, "eventpoll");
	list_init(&ep->rdllist);
	wait_queue_init(&ep->wq);
	wait_queue_init(&ep->poll_wq);
	f = anon_file_create(&eventpoll_ops, 0600, O_RDWR, ep);
	if (IS_ERR(f)) {
		kfree(ep->hash);
		kfree(ep);
	}
	return f;
}

/* See fs/poll.h. Only a file that was ever added to an epoll set pays
 * more than one uncontended spinlock here. */
void eventpoll_release_file(struct file *f)
{
	spin_lock(&f->lock);
	bool watched = f->ep_items != NULL;
	spin_unlock(&f->lock);
	if (!watched)
		return;
	fs_mutex_lock(&epmutex);
	for (;;) {
		spin_lock(&f->lock);
		struct epitem *epi = f->ep_items;
		spin_unlock(&f->lock);
		if (!epi)
			break;
		struct eventpoll *ep = epi->ep;
		fs_mutex_lock(&ep->mtx);
		ep_remove(ep, epi);
		fs_mutex_unlock(&ep->mtx);
	}
	fs_mutex_unlock(&epmutex);
}
