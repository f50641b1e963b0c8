/* Sleeping lock and interruptible waits for file system code. */
#include <skiff/vfs.h>
#include <skiff/errno.h>
#include <skiff/task.h>
#include <skiff/time.h>

void fs_mutex_init(struct fs_mutex *m)
{
	m->locked = 0;
	m->owner = NULL;
	wait_queue_init(&m->wq);
}

static bool fs_mutex_try(void *arg)
{
	struct fs_mutex *m = arg;
	return __atomic_exchange_n(&m->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

/* Sleeps uninterruptibly until the lock is ours. Must not be held already
 * by the caller (not recursive). */
void fs_mutex_lock(struct fs_mutex *m)
{
	if (!fs_mutex_try(m))
		wait_event(m->wq, fs_mutex_try(m));
	m->owner = current;
}

/* The wait-queue lock is taken only when someone waits. The exchange is a
 * full barrier: a locker queues itself (under the queue lock) before its
 * own exchange on m->locked, so either that exchange sees 0 and it owns
 * the lock, or this reads its queue entry and wakes it. */
void fs_mutex_unlock(struct fs_mutex *m)
{
	m->owner = NULL;
	__atomic_exchange_n(&m->locked, 0, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->wq.waiters.next, __ATOMIC_RELAXED) != &m->wq.waiters)
		wake_up(&m->wq);
}

/* See include/skiff/vfs.h. The waiter is queued (state set) before cond is
 * tested, so a wakeup after the test is not lost (wait.h). */
int vfs_wait_event(struct wait_queue *wq, bool (*cond)(void *), void *arg, u64 deadline)
{
	struct thread *t = current;
	struct waiter w = { 0 };
	int ret = 0;

	for (;;) {
		prepare_to_wait(wq, &w, TASK_INTERRUPTIBLE);
		if (cond(arg))
			break;
		if (t->task && signal_pending()) {
			ret = -ERESTARTSYS;
			break;
		}
		if (deadline && clock_monotonic_ns() >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		if (deadline)
			timer_arm(&t->sleep_timer, deadline);
		schedule();
		if (deadline)
			timer_cancel_sync(&t->sleep_timer);
	}
	finish_wait(wq, &w);
	return ret;
}
