/* Controlling terminals, foreground process groups and the job control
 * checks (credentials(7), tty_ioctl(4), POSIX.1 "General Terminal
 * Interface"), with Linux's errno choices:
 *   - a session leader acquires a tty with TIOCSCTTY (or by opening it
 *     without O_NOCTTY when it has none and the tty is free);
 *   - a process whose process group is not the tty's foreground group gets
 *     SIGTTIN when it reads its controlling tty and SIGTTOU when it writes
 *     (TOSTOP) or changes settings: -EIO instead for SIGTTIN when ignored or
 *     blocked or the group is orphaned; SIGTTOU ignored/blocked lets the
 *     operation go ahead.
 * The session -> tty relation is tty->session; a process's controlling tty
 * is the tty whose session is its sid. When the session leader has gone
 * (no process with that pid and sid) the tty counts as free: the lazy
 * equivalent of Linux clearing it at the leader's exit. */
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/procinfo.h>
#include <skiff/uaccess.h>
#include <uapi/signal.h>

#include "tty.h"

#define TTY_MAX 8
static struct tty *tty_table[TTY_MAX];
static DEFINE_SPINLOCK(tty_table_lock);

void tty_table_add(struct tty *tty)
{
	spin_lock(&tty_table_lock);
	for (int i = 0; i < TTY_MAX; i++) {
		if (!tty_table[i]) {
			tty_table[i] = tty;
			break;
		}
	}
	spin_unlock(&tty_table_lock);
}

/* Does a session sid still have its leader? */
static bool session_alive(pid_t sid)
{
	struct process *p = process_get(sid);
	bool alive = p && p->sid == sid;

	if (p)
		process_put(p);
	return alive;
}

bool tty_is_ctty(struct tty *tty)
{
	struct task *t = current_task();
	bool r;

	if (!t)
		return false;
	spin_lock(&tty->lock);
	r = tty->session && tty->session == t->proc->sid;
	spin_unlock(&tty->lock);
	return r;
}

struct tty *tty_current_ctty(void)
{
	struct task *t = current_task();
	struct tty *found = NULL;

	if (!t)
		return NULL;
	spin_lock(&tty_table_lock);
	for (int i = 0; i < TTY_MAX && !found; i++)
		if (tty_table[i] && tty_table[i]->session == t->proc->sid && t->proc->sid)
			found = tty_table[i];
	spin_unlock(&tty_table_lock);
	if (found && !session_alive(found->session))
		found = NULL;
	return found;
}

bool procinfo_session_tty(pid_t sid, u32 *tty_nr, pid_t *tpgid)
{
	struct tty *found = NULL;
	u32 maj = 0, min = 0;
	pid_t fg = 0;

	if (sid <= 0)
		return false;
	spin_lock(&tty_table_lock);
	for (int i = 0; i < TTY_MAX && !found; i++) {
		struct tty *tty = tty_table[i];
		if (!tty)
			continue;
		spin_lock(&tty->lock);
		if (tty->session == sid) {
			found = tty;
			maj = tty->major;
			min = tty->minor;
			fg = tty->pgrp;
		}
		spin_unlock(&tty->lock);
	}
	spin_unlock(&tty_table_lock);
	if (!found || !session_alive(sid))
		return false;
	/* Linux's new_encode_dev, the form proc prints. */
	*tty_nr = (min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12);
	*tpgid = fg;
	return true;
}

/* Live thread-group ids, in a kmalloc'd array the caller frees; NULL on
 * ENOMEM. */
#define MAX_SCAN 4096
static pid_t *all_pids(int *n)
{
	pid_t *pids = kmalloc(MAX_SCAN * sizeof(pid_t));

	*n = pids ? procinfo_pids(pids, MAX_SCAN) : 0;
	return pids;
}

/* The session of process group pgid (or of process pgid when no such
 * group exists, as Linux's session_of_pgrp); -1 when neither exists
 * (0 is a session: init's, until it calls setsid). */
static pid_t session_of_pgrp(pid_t pgid)
{
	pid_t sid = -1, by_pid = -1;
	int n;
	pid_t *pids = all_pids(&n);

	for (int i = 0; i < n && sid < 0; i++) {
		struct process *p = process_get(pids[i]);
		if (!p)
			continue;
		if (p->pgid == pgid)
			sid = p->sid;
		else if (p->pid == pgid)
			by_pid = p->sid;
		process_put(p);
	}
	kfree(pids);
	return sid >= 0 ? sid : by_pid;
}

/* Orphaned process group (POSIX): no member has a parent in another
 * group of the same session. init (pid 1) does not count as such a parent. */
static bool pgrp_orphaned(pid_t pgid)
{
	bool orphaned = true;
	int n;
	pid_t *pids = all_pids(&n);

	for (int i = 0; i < n && orphaned; i++) {
		struct process *p = process_get(pids[i]);
		struct process *par;

		if (!p)
			continue;
		par = p->parent;
		if (p->pgid == pgid && par && par->pid != 1 &&
		    par->pgid != pgid && par->sid == p->sid)
			orphaned = false;
		process_put(p);
	}
	kfree(pids);
	return orphaned;
}

int tty_check_change(struct tty *tty, int sig)
{
	struct task *t = current_task();
	struct process *p;
	pid_t tpgrp;
	bool ctty;

	if (!t)
		return 0;
	p = t->proc;
	spin_lock(&tty->lock);
	ctty = tty->session && tty->session == p->sid;
	tpgrp = tty->pgrp;
	spin_unlock(&tty->lock);
	if (!ctty || !tpgrp || p->pgid == tpgrp)
		return 0;
	/* Linux's order: ignored/blocked, then orphaned, then signal. */
	if (current_signal_ignored_or_blocked(sig))
		return sig == SIGTTIN ? -EIO : 0;
	if (pgrp_orphaned(p->pgid))
		return -EIO;
	send_signal_pgrp(p->pgid, sig);
	return -ERESTARTSYS;
}

int tty_set_ctty(struct tty *tty, struct file *f, bool steal, bool from_open)
{
	struct process *p = current_proc();
	bool leader = p->pid == p->sid;
	pid_t owner;

	spin_lock(&tty->lock);
	owner = tty->session;
	spin_unlock(&tty->lock);

	if (!from_open && leader && owner == p->sid)
		return 0;
	if (!leader || tty_current_ctty())
		return -EPERM;
	if (owner && session_alive(owner)) {
		if (from_open || !steal || p->euid != 0)
			return -EPERM;
		/* root steals it (TIOCSCTTY with arg 1) */
	}
	if (!from_open && !(f->fmode & FMODE_READ) && p->euid != 0)
		return -EPERM;
	spin_lock(&tty->lock);
	tty->session = p->sid;
	tty->pgrp = p->pgid;
	spin_unlock(&tty->lock);
	return 0;
}

int tty_drop_ctty(struct tty *tty)
{
	struct process *p = current_proc();
	pid_t pgrp;

	if (!tty_is_ctty(tty))
		return -ENOTTY;
	if (p->pid != p->sid)
		return 0; /* only the leader's detach changes the tty */
	spin_lock(&tty->lock);
	pgrp = tty->pgrp;
	tty->session = 0;
	tty->pgrp = 0;
	spin_unlock(&tty->lock);
	if (pgrp > 0) {
		send_signal_pgrp(pgrp, SIGHUP);
		send_signal_pgrp(pgrp, SIGCONT);
	}
	return 0;
}

int tty_set_pgrp(struct tty *tty, u64 arg)
{
	struct process *p = current_proc();
	int err = tty_check_change(tty, SIGTTOU);
	u32 v;
	pid_t pgrp, sid;

	if (err == -EIO)
		return -ENOTTY;
	if (err)
		return err;
	if (get_user_u32(&v, (const void *)arg))
		return -EFAULT;
	pgrp = (pid_t)v;
	if (pgrp < 0)
		return -EINVAL;
	if (!tty_is_ctty(tty))
		return -ENOTTY;
	sid = session_of_pgrp(pgrp);
	if (sid < 0)
		return -ESRCH;
	if (sid != p->sid)
		return -EPERM;
	spin_lock(&tty->lock);
	tty->pgrp = pgrp;
	spin_unlock(&tty->lock);
	return 0;
}
