/* procfs: a dynamic file system. Nothing is stored: each lookup makes an
 * inode describing (kind, pid, tid, fd) and each open of a file generates
 * its whole text into a buffer that reads then serve (so one read(2) sees a
 * consistent snapshot, as seq_file gives for small files). Directories are
 * listed from static tables plus the live pids, tids and fds. */
#include "proc.h"
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/task.h>
#include <uapi/dirent.h>
#include <uapi/statfs.h>

struct proc_ent {
	const char *name;
	u32 mode;
	int kind, arg;
};

#define DIR(n, t) { n, S_IFDIR | 0555, PN_TABLE, t }
#define FILE(n, g) { n, S_IFREG | 0444, PN_FILE, g }
#define LINK(n, l) { n, S_IFLNK | 0777, PN_LINK, l }

static const struct proc_ent root_ents[] = {
	LINK("self", LINK_SELF), LINK("thread-self", LINK_THREAD_SELF), DIR("sys", T_SYS),
	FILE("cpuinfo", GEN_CPUINFO), FILE("meminfo", GEN_MEMINFO), FILE("stat", GEN_STAT),
	FILE("uptime", GEN_UPTIME), FILE("loadavg", GEN_LOADAVG), FILE("mounts", GEN_MOUNTS),
	FILE("filesystems", GEN_FILESYSTEMS), FILE("cmdline", GEN_CMDLINE),
	FILE("version", GEN_VERSION), { NULL, 0, 0, 0 },
};
static const struct proc_ent pid_ents[] = {
	FILE("stat", GEN_P_STAT), FILE("status", GEN_P_STATUS), FILE("cmdline", GEN_P_CMDLINE),
	{ "environ", S_IFREG | 0400, PN_FILE, GEN_P_ENVIRON }, { "auxv", S_IFREG | 0400, PN_FILE, GEN_P_AUXV },
	FILE("maps", GEN_P_MAPS), { "comm", S_IFREG | 0644, PN_FILE, GEN_P_COMM },
	FILE("mounts", GEN_P_MOUNTS),
	FILE("mountinfo", GEN_P_MOUNTINFO), LINK("exe", LINK_EXE), LINK("cwd", LINK_CWD), LINK("root", LINK_ROOT),
	{ "fd", S_IFDIR | 0500, PN_FDDIR, 0 }, { "fdinfo", S_IFDIR | 0500, PN_FDINFODIR, 0 },
	{ "task", S_IFDIR | 0555, PN_TASKDIR, 0 },
	{ NULL, 0, 0, 0 },
};
static const struct proc_ent tid_ents[] = {
	FILE("stat", GEN_P_STAT), FILE("status", GEN_P_STATUS), FILE("cmdline", GEN_P_CMDLINE),
	{ "comm", S_IFREG | 0644, PN_FILE, GEN_P_COMM }, FILE("maps", GEN_P_MAPS), LINK("exe", LINK_EXE),
	{ "fd", S_IFDIR | 0500, PN_FDDIR, 0 }, { NULL, 0, 0, 0 },
};
static const struct proc_ent sys_ents[] = {
	DIR("kernel", T_SYS_KERNEL), DIR("fs", T_SYS_FS), DIR("vm", T_SYS_VM), { NULL, 0, 0, 0 },
};
static const struct proc_ent sys_kernel_ents[] = {
	FILE("osrelease", GEN_OSRELEASE), FILE("ostype", GEN_OSTYPE), FILE("hostname", GEN_HOSTNAME),
	FILE("pid_max", GEN_PID_MAX), FILE("ngroups_max", GEN_NGROUPS_MAX),
	FILE("threads-max", GEN_THREADS_MAX), FILE("cap_last_cap", GEN_CAP_LAST_CAP),
	DIR("random", T_SYS_RANDOM), { NULL, 0, 0, 0 },
};
static const struct proc_ent sys_random_ents[] = {
	FILE("boot_id", GEN_BOOT_ID), FILE("uuid", GEN_UUID), { NULL, 0, 0, 0 },
};
static const struct proc_ent sys_fs_ents[] = {
	FILE("pipe-max-size", GEN_PIPE_MAX), FILE("file-max", GEN_FILE_MAX),
	FILE("nr_open", GEN_NR_OPEN), { NULL, 0, 0, 0 },
};
static const struct proc_ent sys_vm_ents[] = {
	FILE("overcommit_memory", GEN_OVERCOMMIT), FILE("max_map_count", GEN_MAX_MAP_COUNT),
	{ NULL, 0, 0, 0 },
};
static const struct proc_ent *const tables[T_COUNT] = {
	[T_ROOT] = root_ents, [T_PID] = pid_ents, [T_TID] = tid_ents, [T_SYS] = sys_ents,
	[T_SYS_KERNEL] = sys_kernel_ents, [T_SYS_RANDOM] = sys_random_ents,
	[T_SYS_FS] = sys_fs_ents, [T_SYS_VM] = sys_vm_ents,
};

static struct super_block *proc_sb;
static const struct inode_operations proc_iops;
static const struct file_operations proc_file_ops;
static const struct file_operations proc_dir_ops;

static u64 node_ino(const struct proc_node *n)
{
	if (n->kind == PN_TABLE && n->arg == T_ROOT)
		return 1;
	return ((u64)n->pid << 32) ^ ((u64)n->tid << 12) ^ ((u64)n->kind << 8) ^ (u64)n->arg ^
	       ((u64)(u32)n->fd << 40) ^ 0x100;
}

static struct inode *proc_inode(const struct proc_node *n, u32 mode)
{
	struct inode *ino = inode_new(proc_sb, mode, &proc_iops,
				      S_ISDIR(mode) ? &proc_dir_ops : S_ISREG(mode) ? &proc_file_ops : NULL);
	struct proc_node *pn = kmalloc(sizeof(*pn));

	if (!ino || !pn) {
		kfree(pn);
		if (ino)
			iput(ino);
		return NULL;
	}
	*pn = *n;
	ino->priv = pn;
	ino->ino = node_ino(n);
	ino->uid = ino->gid = 0;
	if (n->pid) {
		struct process *p = process_get(n->pid);
		if (p) {
			ino->uid = p->euid;
			ino->gid = p->egid;
			process_put(p);
		}
	}
	return ino;
}

static void proc_evict(struct inode *ino)
{
	kfree(ino->priv);
}

/* The dir's idx-th entry (after "." and ".."): 1 and *out/name filled,
 * 0 past the end. */
static int dir_entry(const struct proc_node *dir, u64 idx, struct proc_node *out, u32 *mode,
		     char *name, size_t size)
{
	const struct proc_ent *t = NULL;
	u64 nstatic = 0;

	if (dir->kind == PN_TABLE)
		t = tables[dir->arg];
	else if (dir->kind == PN_PIDDIR)
		t = pid_ents;
	else if (dir->kind == PN_TIDDIR)
		t = tid_ents;
	if (t) {
		while (t[nstatic].name)
			nstatic++;
		if (idx < nstatic) {
			*out = *dir;
			out->kind = t[idx].kind;
			out->arg = t[idx].arg;
			*mode = t[idx].mode;
			strlcpy(name, t[idx].name, size);
			return 1;
		}
		idx -= nstatic;
	}
	if ((dir->kind == PN_TABLE && dir->arg == T_ROOT) || dir->kind == PN_TASKDIR) {
		int cap = 4096, n;
		pid_t *ids = kmalloc((size_t)cap * sizeof(pid_t));
		if (!ids)
			return 0;
		n = dir->kind == PN_TASKDIR ? procinfo_tids(dir->pid, ids, cap) : procinfo_pids(ids, cap);
		if (n < 0 || idx >= (u64)n) {
			kfree(ids);
			return 0;
		}
		*out = *dir;
		if (dir->kind == PN_TASKDIR) {
			out->kind = PN_TIDDIR;
			out->tid = ids[idx];
		} else {
			out->kind = PN_PIDDIR;
			out->pid = ids[idx];
			out->tid = 0;
		}
		*mode = S_IFDIR | 0555;
		snprintf(name, size, "%d", ids[idx]);
		kfree(ids);
		return 1;
	}
	if (dir->kind == PN_FDDIR || dir->kind == PN_FDINFODIR) {
		int cap = 1024, n;
		int *fds = kmalloc((size_t)cap * sizeof(int));
		if (!fds)
			return 0;
		n = procinfo_fds(dir->pid, fds, cap);
		if (n < 0 || idx >= (u64)n) {
			kfree(fds);
			return 0;
		}
		*out = *dir;
		out->fd = fds[idx];
		if (dir->kind == PN_FDDIR) {
			out->kind = PN_FDLINK;
			*mode = S_IFLNK | 0700;
		} else {
			out->kind = PN_FILE;
			out->arg = GEN_P_FDINFO;
			*mode = S_IFREG | 0444;
		}
		snprintf(name, size, "%d", fds[idx]);
		kfree(fds);
		return 1;
	}
	return 0;
}

static bool parse_num(const char *s, int *out)
{
	long v = 0;

	if (!*s || (*s == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 0x7fffffff / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = (int)v;
	return true;
}

static struct inode *proc_lookup(struct inode *dir, const char *name)
{
	const struct proc_node *dn = dir->priv;
	struct proc_node n;
	char nm[32];
	u32 mode;
	int num;

	/* Numeric names resolve directly (tids are reachable though unlisted). */
	if (parse_num(name, &num) && (dn->kind == PN_FDDIR || dn->kind == PN_FDINFODIR ||
	    (dn->kind == PN_TABLE && dn->arg == T_ROOT) || dn->kind == PN_TASKDIR)) {
		/* Called under vfs_ns_lock: existence checks must not take it
		 * (no paths here), only process/file table references. */
		n = *dn;
		if (dn->kind == PN_FDDIR || dn->kind == PN_FDINFODIR) {
			struct process *pr = process_get(dn->pid);
			struct file *f = pr ? files_fd_get(pr->files, num) : NULL;
			if (pr)
				process_put(pr);
			if (!f)
				return ERR_PTR(-ENOENT);
			file_put(f);
			n.fd = num;
			if (dn->kind == PN_FDDIR) {
				n.kind = PN_FDLINK;
				mode = S_IFLNK | 0700;
			} else {
				n.kind = PN_FILE;
				n.arg = GEN_P_FDINFO;
				mode = S_IFREG | 0444;
			}
		} else if (dn->kind == PN_TASKDIR) {
			struct task *t = task_get(num);
			bool ok = t && t->proc->pid == dn->pid;
			if (t)
				task_put(t);
			if (!ok)
				return ERR_PTR(-ENOENT);
			n.kind = PN_TIDDIR;
			n.tid = num;
			mode = S_IFDIR | 0555;
		} else {
			/* A process (zombies too), or any thread: /proc/TID works
			 * as on Linux though it is not listed. */
			struct process *pr = process_get(num);
			n.kind = PN_PIDDIR;
			n.pid = num;
			n.tid = 0;
			if (pr) {
				process_put(pr);
			} else {
				struct task *t = task_get(num);
				if (!t)
					return ERR_PTR(-ENOENT);
				n.pid = t->proc->pid;
				n.tid = num;
				task_put(t);
			}
			mode = S_IFDIR | 0555;
		}
		struct inode *ino = proc_inode(&n, mode);
		return ino ? ino : ERR_PTR(-ENOMEM);
	}
	for (u64 i = 0;; i++) {
		if (!dir_entry(dn, i, &n, &mode, nm, sizeof(nm)))
			return ERR_PTR(-ENOENT);
		if (!strcmp(nm, name))
			break;
	}
	struct inode *ino = proc_inode(&n, mode);
	return ino ? ino : ERR_PTR(-ENOMEM);
}

static int proc_readdir(struct file *f, struct dir_context *ctx)
{
	const struct proc_node *dn = f->inode->priv;
	struct dentry *d = f->dentry;
	struct proc_node n;
	char nm[32];
	u32 mode;

	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, f->inode->ino, DT_DIR, 1))
			return 0;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		u64 pino = d && d->parent ? d->parent->inode->ino : f->inode->ino;
		if (!ctx->emit(ctx, "..", 2, pino, DT_DIR, 2))
			return 0;
		ctx->pos = 2;
	}
	while (dir_entry(dn, ctx->pos - 2, &n, &mode, nm, sizeof(nm))) {
		if (!ctx->emit(ctx, nm, strlen(nm), node_ino(&n), dtype_of(mode), ctx->pos + 1))
			break;
		ctx->pos++;
	}
	return 0;
}

static int proc_readlink(struct inode *ino, char *buf, size_t size)
{
	const struct proc_node *n = ino->priv;
	struct task *t = current->task;
	int r;

	if (n->kind == PN_FDLINK)
		return procinfo_fd_path(n->pid, n->fd, buf, size) < 0 ? -ENOENT
		       : (int)strlen(buf);
	switch (n->arg) {
	case LINK_SELF:
		if (!t)
			return -ENOENT;
		return snprintf(buf, size, "%d", t->proc->pid);
	case LINK_THREAD_SELF:
		if (!t)
			return -ENOENT;
		return snprintf(buf, size, "%d/task/%d", t->proc->pid, t->tid);
	case LINK_EXE:
		r = procinfo_exe(n->pid, buf, size);
		return r < 0 ? -ENOENT : r;
	case LINK_CWD:
	case LINK_ROOT: {
		struct path p;
		struct process *pr = process_get(n->pid);
		if (!pr)
			return -ENOENT;
		r = fs_struct_path(pr->fs, n->arg == LINK_ROOT, &p);
		process_put(pr);
		if (r)
			return r;
		r = d_path(&p, buf, size);
		path_put(&p);
		return r;
	}
	}
	return -EINVAL;
}

/* Magic links: fd/N, exe, cwd, root jump to the object itself. */
static int proc_get_link_path(struct inode *ino, struct path *out)
{
	const struct proc_node *n = ino->priv;
	struct process *pr;
	int r = -ENOENT;

	if (n->kind == PN_LINK && (n->arg == LINK_SELF || n->arg == LINK_THREAD_SELF))
		return -EAGAIN; /* ordinary symlinks: use readlink */
	pr = process_get(n->pid);
	if (!pr)
		return -ENOENT;
	if (n->kind == PN_FDLINK) {
		struct file *f = files_fd_get(pr->files, n->fd);
		if (f) {
			r = file_get_path(f, out);
			file_put(f);
		}
	} else if (n->arg == LINK_CWD || n->arg == LINK_ROOT) {
		r = fs_struct_path(pr->fs, n->arg == LINK_ROOT, out);
	} else {
		r = -EAGAIN;
	}
	process_put(pr);
	return r;
}

static const struct inode_operations proc_iops = {
	.lookup = proc_lookup,
	.readdir = proc_readdir,
	.readlink = proc_readlink,
	.get_link_path = proc_get_link_path,
};

/* ---- generated files ---- */

struct proc_buf {
	char *text;
	size_t len;
};

static int proc_open(struct inode *ino, struct file *f)
{
	const struct proc_node *n = ino->priv;
	struct proc_buf *pb = kzalloc(sizeof(*pb));
	size_t size = 4096;
	int r;

	if (!pb)
		return -ENOMEM;
	if (!(f->fmode & FMODE_READ)) {
		f->private_data = pb; /* write-only: no text needed */
		return 0;
	}
	for (;;) {
		char *buf = kmalloc(size);
		if (!buf) {
			kfree(pb);
			return -ENOMEM;
		}
		buf[0] = 0;
		r = proc_gen(n, buf, size);
		if (r >= 0 && (size_t)r + 1 >= size && size < (1u << 20)) {
			kfree(buf);    /* truncated: try a bigger buffer */
			size *= 4;
			continue;
		}
		if (r < 0) {
			kfree(buf);
			kfree(pb);
			return r == -ESRCH ? -ENOENT : r;
		}
		pb->text = buf;
		pb->len = MIN((size_t)r, size - 1);
		break;
	}
	f->private_data = pb;
	return 0;
}

static long proc_read(struct file *f, struct uio *u, u64 *pos)
{
	struct proc_buf *pb = f->private_data;
	size_t n;

	if (*pos >= pb->len)
		return 0;
	n = MIN(u->len, pb->len - (size_t)*pos);
	if (uio_copy_out(u, pb->text + *pos, n))
		return -EFAULT;
	*pos += n;
	return (long)n;
}

/* Writable: comm (renames the process, as PR_SET_NAME). Every other file
 * is read-only: root may open it for writing, but writes fail with EIO. */
static long proc_write(struct file *f, struct uio *u, u64 *pos)
{
	const struct proc_node *n = f->inode->priv;
	char name[16];
	size_t len = MIN(u->len, sizeof(name) - 1), total = u->len;

	if (n->kind != PN_FILE || n->arg != GEN_P_COMM)
		return -EIO;
	if (uio_copy_in(u, name, len))
		return -EFAULT;
	name[len] = 0;
	if (len && name[len - 1] == '\n')
		name[len - 1] = 0;
	/* The thread's name (what PR_GET_NAME reads); the leader's is also the
	 * process's comm. */
	pid_t tid = n->tid ? n->tid : n->pid;
	struct task *t = task_get(tid);
	if (!t)
		return -ESRCH;
	strlcpy(t->thread->name, name, sizeof(t->thread->name));
	if (tid == t->proc->pid)
		strlcpy(t->proc->comm, name, sizeof(t->proc->comm));
	task_put(t);
	*pos += total;
	return (long)total;
}

static void proc_release(struct file *f)
{
	struct proc_buf *pb = f->private_data;

	if (!pb)
		return;
	kfree(pb->text);
	kfree(pb);
}

static const struct file_operations proc_file_ops = {
	.open = proc_open,
	.read = proc_read,
	.write = proc_write,
	.release = proc_release,
};

static const struct file_operations proc_dir_ops = { 0 };

static void proc_statfs(struct super_block *sb, u64 *blocks, u64 *bfree, u64 *files, u64 *ffree)
{
	*blocks = *bfree = *files = *ffree = 0;
}

static const struct super_operations proc_sops = {
	.evict_inode = proc_evict,
	.statfs = proc_statfs,
};

static struct super_block *proc_get_sb(const char *source, u32 flags, const void *data)
{
	struct proc_node root = { PN_TABLE, T_ROOT, 0, 0, 0 };
	struct inode *ino;

	if (proc_sb)
		return proc_sb;
	struct super_block *sb = sb_new("proc", &proc_sops, 0, PROC_SUPER_MAGIC);
	if (!sb)
		return ERR_PTR(-ENOMEM);
	proc_sb = sb;
	sb->shared = true;
	ino = proc_inode(&root, S_IFDIR | 0555);
	if (!ino || !(sb->root = d_alloc(NULL, "/", 1, ino))) {
		proc_sb = NULL;
		kfree(sb);
		return ERR_PTR(-ENOMEM);
	}
	return sb;
}

static const struct fs_type proc_type = { "proc", proc_get_sb, true };

void proc_register(void)
{
	register_filesystem(&proc_type);
}
