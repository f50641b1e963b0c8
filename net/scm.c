/* Socket control messages at SOL_SOCKET (Linux's net/core/scm.c):
 * SCM_RIGHTS passes open file descriptions, SCM_CREDENTIALS a
 * (pid, uid, gid) the sender may claim.
 *
 * Send: scm_send parses the kernel copy of the control buffer into a
 * struct scm_cookie, taking a reference on each file (fd_get: O_PATH
 * descriptors too, as Linux's fget_raw). The family moves the file list
 * into the buffer it queues ("in flight").
 * Receive: scm_recv writes SCM_CREDENTIALS when the receiver has
 * SO_PASSCRED, then installs one new descriptor per file (O_CLOEXEC with
 * MSG_CMSG_CLOEXEC) as far as the control buffer has room; the rest are
 * dropped and MSG_CTRUNC is set.
 *
 * Files in flight that are never received are dropped when their buffer
 * is freed (the receiving socket closes). Dropping a socket's file may
 * release that socket and free buffers carrying more files, so a chain
 * of sockets inside sockets would recurse: scm_fp_free queues the list on
 * a global list and only one thread at a time drains it, iteratively.
 * Unreachable cycles of sockets in flight are AF_UNIX's business
 * (net/unix/garbage.c). */
#include <skiff/net.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/task.h>
#include <skiff/uaccess.h>

#define OVERFLOW_ID 65534u  /* what an unmapped uid/gid reads as */

static DEFINE_SPINLOCK(fput_lock);
static struct scm_fp_list *fput_list; /* [fput_lock] */
static bool fput_busy;                /* [fput_lock] a thread is draining */

void scm_fp_free(struct scm_fp_list *fpl)
{
	if (!fpl)
		return;
	spin_lock(&fput_lock);
	fpl->next = fput_list;
	fput_list = fpl;
	if (fput_busy) {
		spin_unlock(&fput_lock);
		return;
	}
	fput_busy = true;
	while ((fpl = fput_list) != NULL) {
		fput_list = fpl->next;
		spin_unlock(&fput_lock);
		for (u32 i = 0; i < fpl->count; i++)
			file_put(fpl->fp[i]);
		kfree(fpl);
		spin_lock(&fput_lock);
	}
	fput_busy = false;
	spin_unlock(&fput_lock);
}

struct scm_fp_list *scm_fp_dup(const struct scm_fp_list *fpl)
{
	struct scm_fp_list *n = kmalloc(sizeof(*n) + fpl->count * sizeof(n->fp[0]));

	if (!n)
		return NULL;
	n->next = NULL;
	n->count = fpl->count;
	for (u32 i = 0; i < fpl->count; i++) {
		n->fp[i] = fpl->fp[i];
		file_get(n->fp[i]);
	}
	return n;
}

void scm_destroy(struct scm_cookie *scm)
{
	scm_fp_free(scm->fp);
	scm->fp = NULL;
}

static bool capable(void)
{
	struct process *p = current->task ? current_proc() : NULL;
	return !p || p->euid == 0;
}

/* SCM_RIGHTS: references on the descriptors' files, appended to scm->fp. */
static int fp_copy(struct scm_cookie *scm, const u8 *data, u64 len)
{
	s64 num = (s64)(len / sizeof(s32));
	struct scm_fp_list *fpl = scm->fp;

	if (num <= 0)
		return 0;
	if (num > SCM_MAX_FD)
		return -EINVAL;
	if (!fpl) {
		fpl = kmalloc(sizeof(*fpl) + SCM_MAX_FD * sizeof(fpl->fp[0]));
		if (!fpl)
			return -ENOMEM;
		fpl->next = NULL;
		fpl->count = 0;
		scm->fp = fpl;
	}
	if (fpl->count + num > SCM_MAX_FD)
		return -EINVAL;
	for (s64 i = 0; i < num; i++) {
		s32 fd;
		memcpy(&fd, data + i * sizeof(s32), sizeof(fd));
		struct file *f = fd < 0 ? NULL : fd_get(fd);
		if (!f)
			return -EBADF;
		fpl->fp[fpl->count++] = f;
	}
	return 0;
}

/* SCM_CREDENTIALS: what the sender may claim (Linux's scm_check_creds):
 * its own pid, one of its uids and gids, unless privileged. */
static int creds_copy(struct scm_cookie *scm, const u8 *data)
{
	struct ucred c;
	struct process *me = current->task ? current_proc() : NULL;

	memcpy(&c, data, sizeof(c));
	if (c.uid == ~0u || c.gid == ~0u)
		return -EINVAL;
	if (me) {
		bool pid_ok = c.pid == me->pid || capable();
		bool uid_ok = c.uid == me->uid || c.uid == me->euid || c.uid == me->suid || capable();
		bool gid_ok = c.gid == me->gid || c.gid == me->egid || c.gid == me->sgid || capable();
		if (!pid_ok || !uid_ok || !gid_ok)
			return -EPERM;
	}
	if (!scm->creds_set || scm->pid != c.pid) {
		struct process *p = process_get(c.pid);
		if (!p)
			return -ESRCH;
		process_put(p);
	}
	scm->creds_set = true;
	scm->pid = c.pid;
	scm->uid = c.uid;
	scm->gid = c.gid;
	return 0;
}

int scm_send(struct socket *sock, struct kmsghdr *msg, struct scm_cookie *scm, bool forcecreds)
{
	const u8 *ctl = msg->control, *cm = ctl;
	u64 size = msg->controllen;
	int err = 0;

	memset(scm, 0, sizeof(*scm));
	scm->uid = scm->gid = ~0u;
	if (forcecreds) {
		sock_current_cred(&scm->pid, &scm->uid, &scm->gid, false);
		scm->creds_set = true;
	}
	if (!ctl || size < sizeof(struct cmsghdr))
		return 0;
	while (cm) {
		struct cmsghdr h;
		memcpy(&h, cm, sizeof(h));
		if (h.cmsg_len < sizeof(h) || h.cmsg_len > (u64)(ctl + size - cm)) {
			err = -EINVAL;
			goto error;
		}
		if (h.cmsg_level == SOL_SOCKET) {
			switch (h.cmsg_type) {
			case SCM_RIGHTS:
				err = sock->ops->family == AF_UNIX ? fp_copy(scm, cm + sizeof(h), h.cmsg_len - sizeof(h))
								   : -EINVAL;
				break;
			case SCM_CREDENTIALS:
				err = h.cmsg_len == CMSG_LEN(sizeof(struct ucred)) ? creds_copy(scm, cm + sizeof(h))
										  : -EINVAL;
				break;
			default:
				err = -EINVAL;
				break;
			}
			if (err)
				goto error;
		}
		/* the next header, if a whole one fits (Linux's __cmsg_nxthdr) */
		const u8 *next = cm + CMSG_ALIGN(h.cmsg_len);
		cm = (u64)(next + sizeof(struct cmsghdr) - ctl) > size ? NULL : next;
	}
	if (scm->fp && !scm->fp->count) {
		kfree(scm->fp);
		scm->fp = NULL;
	}
	return 0;
error:
	scm_destroy(scm);
	return err;
}

/* Install the files as descriptors into the control buffer (Linux's
 * scm_detach_fds). */
static void detach_fds(struct kmsghdr *msg, struct scm_cookie *scm)
{
	u64 cm = (u64)msg->control;
	bool cloexec = msg->flags & MSG_CMSG_CLOEXEC;
	u32 count = scm->fp->count;
	s64 fdmax = msg->controllen <= sizeof(struct cmsghdr)
			    ? 0
			    : (s64)((msg->controllen - sizeof(struct cmsghdr)) / sizeof(s32));
	u32 i;

	if (fdmax > count)
		fdmax = count;
	for (i = 0; i < fdmax; i++) {
		struct file *f = scm->fp->fp[i];
		file_get(f);
		int fd = fd_install(f, cloexec);
		if (fd < 0) {
			file_put(f);
			break;
		}
		if (put_user_u32((u32)fd, (void *)(cm + sizeof(struct cmsghdr) + i * sizeof(s32)))) {
			fd_close(fd);
			break;
		}
	}
	if (i > 0) {
		struct cmsghdr h = { CMSG_LEN(i * sizeof(s32)), SOL_SOCKET, SCM_RIGHTS };
		if (!copy_to_user((void *)cm, &h, sizeof(h))) {
			u64 len = CMSG_SPACE(i * sizeof(s32));
			if (msg->controllen < len)
				len = msg->controllen;
			msg->control = (void *)(cm + len);
			msg->controllen -= len;
		}
	}
	if (i < count || (count && fdmax <= 0))
		msg->flags |= MSG_CTRUNC;
}

void scm_recv(struct socket *sock, struct kmsghdr *msg, struct scm_cookie *scm, int flags)
{
	bool passcred = __atomic_load_n(&sock->sk->flags, __ATOMIC_RELAXED) & SKF_PASSCRED;

	if (!msg->control) {
		if (passcred || scm->fp)
			msg->flags |= MSG_CTRUNC;
		scm_destroy(scm);
		return;
	}
	if (passcred) {
		struct ucred c = {
			scm->pid,
			scm->uid == ~0u ? OVERFLOW_ID : scm->uid,
			scm->gid == ~0u ? OVERFLOW_ID : scm->gid,
		};
		put_cmsg(msg, SOL_SOCKET, SCM_CREDENTIALS, sizeof(c), &c);
	}
	if (scm->fp)
		detach_fds(msg, scm);
	scm_destroy(scm);
}
