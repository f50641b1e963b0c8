/* Identity system calls: pids, process groups and sessions, user and group
 * ids (stored and kept consistent, Linux's rules for unprivileged callers),
 * supplementary groups, set_tid_address. */
#include <skiff/errno.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>
#include "proc.h"

SYSCALL_DEFINE(39, getpid) { return current_proc()->pid; }
SYSCALL_DEFINE(186, gettid) { return current_task()->tid; }

SYSCALL_DEFINE(110, getppid)
{
	u64 f = spin_lock_irqsave(&proc_lock);
	struct process *pp = current_proc()->parent;
	pid_t r = pp ? pp->pid : 0;

	spin_unlock_irqrestore(&proc_lock, f);
	return r;
}

SYSCALL_DEFINE(102, getuid) { return current_proc()->uid; }
SYSCALL_DEFINE(107, geteuid) { return current_proc()->euid; }
SYSCALL_DEFINE(104, getgid) { return current_proc()->gid; }
SYSCALL_DEFINE(108, getegid) { return current_proc()->egid; }

SYSCALL_DEFINE(118, getresuid)
{
	struct process *p = current_proc();
	if (put_user_u32(p->uid, (void *)a0) || put_user_u32(p->euid, (void *)a1) ||
	    put_user_u32(p->suid, (void *)a2))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(120, getresgid)
{
	struct process *p = current_proc();
	if (put_user_u32(p->gid, (void *)a0) || put_user_u32(p->egid, (void *)a1) ||
	    put_user_u32(p->sgid, (void *)a2))
		return -EFAULT;
	return 0;
}

#define NOCHANGE 0xffffffffu

/* setresuid/setresgid core: unprivileged callers may only pick values
 * among the current real, effective and saved ids. */
static int set_res(u32 *r, u32 *e, u32 *s, u32 *fs, u32 nr, u32 ne, u32 ns, bool priv)
{
	if (!priv) {
		u32 ok[3] = { *r, *e, *s };
		u32 want[3] = { nr, ne, ns };
		for (int i = 0; i < 3; i++) {
			if (want[i] == NOCHANGE)
				continue;
			if (want[i] != ok[0] && want[i] != ok[1] && want[i] != ok[2])
				return -EPERM;
		}
	}
	if (nr != NOCHANGE)
		*r = nr;
	if (ne != NOCHANGE)
		*e = ne;
	if (ns != NOCHANGE)
		*s = ns;
	*fs = *e;
	return 0;
}

/* All threads share the process's credentials (glibc's setxid broadcast
 * then finds them already changed). */
SYSCALL_DEFINE(117, setresuid)
{
	struct process *p = current_proc();
	u64 f = spin_lock_irqsave(&proc_lock);
	int r = set_res(&p->uid, &p->euid, &p->suid, &p->fsuid, (u32)a0, (u32)a1, (u32)a2, p->euid == 0);
	spin_unlock_irqrestore(&proc_lock, f);
	return r;
}

SYSCALL_DEFINE(119, setresgid)
{
	struct process *p = current_proc();
	u64 f = spin_lock_irqsave(&proc_lock);
	int r = set_res(&p->gid, &p->egid, &p->sgid, &p->fsgid, (u32)a0, (u32)a1, (u32)a2, p->euid == 0);
	spin_unlock_irqrestore(&proc_lock, f);
	return r;
}

SYSCALL_DEFINE(105, setuid)
{
	struct process *p = current_proc();
	u32 uid = (u32)a0;
	int r = 0;

	if (uid == NOCHANGE)
		return -EINVAL;
	u64 f = spin_lock_irqsave(&proc_lock);
	if (p->euid == 0)
		p->uid = p->euid = p->suid = p->fsuid = uid;
	else if (uid == p->uid || uid == p->suid)
		p->euid = p->fsuid = uid;
	else
		r = -EPERM;
	spin_unlock_irqrestore(&proc_lock, f);
	return r;
}

SYSCALL_DEFINE(106, setgid)
{
	struct process *p = current_proc();
	u32 gid = (u32)a0;
	int r = 0;

	if (gid == NOCHANGE)
		return -EINVAL;
	u64 f = spin_lock_irqsave(&proc_lock);
	if (p->euid == 0)
		p->gid = p->egid = p->sgid = p->fsgid = gid;
	else if (gid == p->gid || gid == p->sgid)
		p->egid = p->fsgid = gid;
	else
		r = -EPERM;
	spin_unlock_irqrestore(&proc_lock, f);
	return r;
}

/* setreuid: the saved id follows the new effective id when the real id is
 * set or the effective id differs from the old real id. */
static int set_re(u32 *r, u32 *e, u32 *s, u32 *fs, u32 nr, u32 ne, bool priv)
{
	u32 old_r = *r, nr2 = *r, ne2 = *e;

	if (nr != NOCHANGE) {
		if (!priv && nr != *r && nr != *e)
			return -EPERM;
		nr2 = nr;
	}
	if (ne != NOCHANGE) {
		if (!priv && ne != *r && ne != *e && ne != *s)
			return -EPERM;
		ne2 = ne;
	}
	*r = nr2;
	*e = ne2;
	if (nr != NOCHANGE || (ne != NOCHANGE && ne2 != old_r))
		*s = ne2;
	*fs = ne2;
	return 0;
}

SYSCALL_DEFINE(113, setreuid)
{
	struct process *p = current_proc();
	u64 f = spin_lock_irqsave(&proc_lock);
	int r = set_re(&p->uid, &p->euid, &p->suid, &p->fsuid, (u32)a0, (u32)a1, p->euid == 0);
	spin_unlock_irqrestore(&proc_lock, f);
	return r;
}

SYSCALL_DEFINE(114, setregid)
{
	struct process *p = current_proc();
	u64 f = spin_lock_irqsave(&proc_lock);
	int r = set_re(&p->gid, &p->egid, &p->sgid, &p->fsgid, (u32)a0, (u32)a1, p->euid == 0);
	spin_unlock_irqrestore(&proc_lock, f);
	return r;
}

SYSCALL_DEFINE(122, setfsuid)
{
	struct process *p = current_proc();
	u32 old = p->fsuid, id = (u32)a0;

	if (id != NOCHANGE && (p->euid == 0 || id == p->uid || id == p->euid || id == p->suid))
		p->fsuid = id;
	return old;
}

SYSCALL_DEFINE(123, setfsgid)
{
	struct process *p = current_proc();
	u32 old = p->fsgid, id = (u32)a0;

	if (id != NOCHANGE && (p->euid == 0 || id == p->gid || id == p->egid || id == p->sgid))
		p->fsgid = id;
	return old;
}

SYSCALL_DEFINE(115, getgroups)
{
	struct proc_ext *p = cur_px();
	int size = (int)a0;
	u32 g[MAX_GROUPS];

	if (size < 0)
		return -EINVAL;
	u64 f = spin_lock_irqsave(&proc_lock);
	u32 n = p->ngroups;
	memcpy(g, p->groups, n * 4);
	spin_unlock_irqrestore(&proc_lock, f);
	if (size == 0)
		return n;
	if ((u32)size < n)
		return -EINVAL;
	return copy_to_user((void *)a1, g, n * 4) ? -EFAULT : (long)n;
}

SYSCALL_DEFINE(116, setgroups)
{
	struct proc_ext *p = cur_px();
	u32 g[MAX_GROUPS];
	u64 n = a0;

	if ((s64)n < 0 || n > NGROUPS_MAX)
		return -EINVAL;
	if (p->pub.euid != 0)
		return -EPERM;
	if (n > MAX_GROUPS)
		return -ENOMEM;
	if (copy_from_user(g, (void *)a1, n * 4))
		return -EFAULT;
	/* Kept sorted, as Linux does. */
	for (u64 i = 1; i < n; i++)
		for (u64 j = i; j > 0 && g[j - 1] > g[j]; j--) {
			u32 t = g[j];
			g[j] = g[j - 1];
			g[j - 1] = t;
		}
	u64 f = spin_lock_irqsave(&proc_lock);
	p->ngroups = (u32)n;
	memcpy(p->groups, g, n * 4);
	spin_unlock_irqrestore(&proc_lock, f);
	return 0;
}

/* ---- Process groups and sessions ---- */

SYSCALL_DEFINE(109, setpgid)
{
	pid_t pid = (pid_t)a0, pgid = (pid_t)a1;
	struct proc_ext *me = cur_px();
	int err = 0;

	if (pgid < 0)
		return -EINVAL;
	u64 f = spin_lock_irqsave(&proc_lock);
	if (!pid)
		pid = me->pub.pid;
	if (!pgid)
		pgid = pid;
	struct proc_ext *p = proc_lookup(pid);
	if (!p || (p != me && p->pub.parent != &me->pub)) {
		err = -ESRCH;
		goto out;
	}
	if (p != me && p->pub.sid != me->pub.sid) {
		err = -EPERM;
		goto out;
	}
	if (p != me && p->did_exec) {
		err = -EACCES;
		goto out;
	}
	if (p->pub.sid == p->pub.pid) {           /* a session leader */
		err = -EPERM;
		goto out;
	}
	if (p != me && p->pub.sid != me->pub.sid) {
		err = -EPERM;
		goto out;
	}
	if (pgid != pid) {
		/* The group must exist in the caller's session. */
		struct list_head *pos;
		bool found = false;
		list_for_each(pos, &all_procs) {
			struct proc_ext *q = list_entry(pos, struct proc_ext, all_link);
			if (q->pub.pgid == pgid && q->pub.sid == me->pub.sid && !q->zombie) {
				found = true;
				break;
			}
		}
		if (!found) {
			err = -EPERM;
			goto out;
		}
	}
	p->pub.pgid = pgid;
out:
	spin_unlock_irqrestore(&proc_lock, f);
	return err;
}

static long get_pgid_sid(pid_t pid, bool sid)
{
	long r;
	u64 f = spin_lock_irqsave(&proc_lock);
	struct proc_ext *p = pid ? proc_lookup(pid) : cur_px();

	r = p ? (sid ? p->pub.sid : p->pub.pgid) : -ESRCH;
	spin_unlock_irqrestore(&proc_lock, f);
	return r;
}

SYSCALL_DEFINE(121, getpgid) { return get_pgid_sid((pid_t)a0, false); }
SYSCALL_DEFINE(111, getpgrp) { return current_proc()->pgid; }
SYSCALL_DEFINE(124, getsid) { return get_pgid_sid((pid_t)a0, true); }

SYSCALL_DEFINE(112, setsid)
{
	struct proc_ext *me = cur_px();
	struct list_head *pos;
	long r;
	u64 f = spin_lock_irqsave(&proc_lock);

	r = me->pub.pid;
	list_for_each(pos, &all_procs) {
		struct proc_ext *q = list_entry(pos, struct proc_ext, all_link);
		if (q->pub.pgid == me->pub.pid) {  /* already a group leader, or its id in use */
			r = -EPERM;
			break;
		}
	}
	if (r > 0) {
		me->pub.sid = me->pub.pid;
		me->pub.pgid = me->pub.pid;
	}
	spin_unlock_irqrestore(&proc_lock, f);
	return r;
}

SYSCALL_DEFINE(218, set_tid_address)
{
	cur_tx()->clear_child_tid = a0;
	return current_task()->tid;
}

/* set_robust_list/get_robust_list live in kernel/futex/robust.c. */
