/* Garbage collection of AF_UNIX sockets in flight (Linux's
 * net/unix/garbage.c, the classic algorithm).
 *
 * Passing a socket's descriptor over a socket can make a cycle that no
 * process can reach: socketpair(a, b), b sent into b's own queue, both
 * descriptors closed. b's file is then referenced only from inside its
 * own queue and would never be released. Every unix socket counts the
 * references to its file held by buffers in flight (inflight); a socket
 * whose file reference count equals that number is reachable only
 * through buffers, a candidate. Removing the references that candidates'
 * queues hold on candidates leaves a positive count exactly on the
 * candidates referenced from outside the set; those, and every candidate
 * reachable from their queues, are alive. The rest is garbage: their
 * queues are emptied, which drops the files inside, which releases the
 * sockets.
 *
 * Correctness under concurrency. inflight changes only under gc_lock and
 * the collector holds it from the candidate scan to the emptying of the
 * garbage queues. Buffers are counted in flight from just before they are
 * queued until just after they leave a queue, so a buffer being queued or
 * being received is counted but found in no queue: its targets look
 * referenced from outside, which only ever keeps a socket alive. A file
 * reference can only be gained through a descriptor or through a queue
 * that some live process can receive from, so a socket judged garbage
 * cannot become reachable while the collector runs. A listening socket's
 * pending connections are scanned as part of its queue.
 *
 * Locking: gc_lock, then a socket's sk.lock, then (listeners) the
 * pending connection's sk.lock. Callers of unix_inflight_add/del hold no
 * socket lock. The collector runs from unix_release_sock, one at a time;
 * a release while it runs (the collector's own freeing) does not start
 * another. */
#include "unix.h"
#include <skiff/mm.h>

static DEFINE_SPINLOCK(gc_lock);
static struct list_head gc_inflight = LIST_HEAD_INIT(gc_inflight); /* [g] sockets with inflight > 0 */
static u32 gc_total;                                               /* [g] sum of inflight */
static u32 gc_running;                                             /* [a] */

/* The unix socket behind file f, or NULL. f is referenced by the caller. */
static struct unix_sock *unix_of_file(struct file *f)
{
	struct socket *s = sock_from_file(f);

	if (!s || !s->sk || s->sk->family != AF_UNIX)
		return NULL;
	return unix_sk(s->sk);
}

void unix_inflight_add(struct scm_fp_list *fpl)
{
	spin_lock(&gc_lock);
	for (u32 i = 0; i < fpl->count; i++) {
		struct unix_sock *u = unix_of_file(fpl->fp[i]);
		if (!u)
			continue;
		if (!u->inflight++)
			list_add_tail(&u->gc_link, &gc_inflight);
		gc_total++;
	}
	spin_unlock(&gc_lock);
}

void unix_inflight_del(struct scm_fp_list *fpl)
{
	spin_lock(&gc_lock);
	for (u32 i = 0; i < fpl->count; i++) {
		struct unix_sock *u = unix_of_file(fpl->fp[i]);
		if (!u)
			continue;
		if (!--u->inflight) {
			list_del(&u->gc_link);
			list_init(&u->gc_link);
		}
		gc_total--;
	}
	spin_unlock(&gc_lock);
}

/* Call fn on every candidate referenced from buffers in u's queue (and
 * in its pending connections' queues). [g] held. */
static void scan_queue(struct unix_sock *u, void (*fn)(struct unix_sock *v), bool children)
{
	struct unix_skb *skb;

	spin_lock(&u->sk.lock);
	list_for_each_entry(skb, &u->queue, link) {
		if (skb->fp) {
			for (u32 i = 0; i < skb->fp->count; i++) {
				struct unix_sock *v = unix_of_file(skb->fp->fp[i]);
				if (v && v->gc_candidate)
					fn(v);
			}
		}
		if (skb->embryo && children)
			scan_queue(skb->embryo, fn, false);
	}
	spin_unlock(&u->sk.lock);
}

static void dec_refs(struct unix_sock *v)
{
	v->gc_refs--;
}

static bool gc_changed;

static void mark_alive(struct unix_sock *v)
{
	if (v->gc_refs <= 0 && !v->gc_alive) {
		v->gc_refs = 1;
		gc_changed = true;
	}
}

/* Move u's whole queue onto list. [g] held. */
static void take_queue(struct unix_sock *u, struct list_head *list)
{
	spin_lock(&u->sk.lock);
	while (!list_empty(&u->queue)) {
		struct unix_skb *skb = list_first_entry(&u->queue, struct unix_skb, link);
		list_del(&skb->link);
		list_add_tail(&skb->link, list);
	}
	WRITE_ONCE(u->qlen, 0);
	spin_unlock(&u->sk.lock);
}

void unix_gc(void)
{
	struct list_head garbage;
	struct unix_sock *u;

	if (!READ_ONCE(gc_total) || __atomic_exchange_n(&gc_running, 1, __ATOMIC_ACQUIRE))
		return;
	list_init(&garbage);
	spin_lock(&gc_lock);
	/* 1. candidates: every reference to the file is in flight */
	list_for_each_entry(u, &gc_inflight, gc_link) {
		struct socket *s = u->sk.socket;
		struct file *f = s ? s->file : NULL;
		u->gc_candidate = f && (u32)__atomic_load_n(&f->refcount, __ATOMIC_ACQUIRE) == u->inflight;
		u->gc_refs = (s32)u->inflight;
		u->gc_alive = false;
	}
	/* 2. take away the references candidates hold on each other */
	list_for_each_entry(u, &gc_inflight, gc_link)
		if (u->gc_candidate)
			scan_queue(u, dec_refs, true);
	/* 3. referenced from outside, or reachable from such: alive */
	do {
		gc_changed = false;
		list_for_each_entry(u, &gc_inflight, gc_link) {
			if (u->gc_candidate && u->gc_refs > 0 && !u->gc_alive) {
				u->gc_alive = true;
				scan_queue(u, mark_alive, true);
			}
		}
	} while (gc_changed);
	/* 4. the rest is garbage: empty its queues */
	list_for_each_entry(u, &gc_inflight, gc_link) {
		if (u->gc_candidate && !u->gc_alive)
			take_queue(u, &garbage);
		u->gc_candidate = false;
	}
	spin_unlock(&gc_lock);
	while (!list_empty(&garbage)) {
		struct unix_skb *skb = list_first_entry(&garbage, struct unix_skb, link);
		list_del(&skb->link);
		if (skb->embryo)
			unix_release_sock(skb->embryo, true);
		unix_skb_free(skb);
	}
	__atomic_store_n(&gc_running, 0, __ATOMIC_RELEASE);
}
