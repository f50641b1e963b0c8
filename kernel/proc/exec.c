/* execve: argument copying, #! scripts, the point of no return (other
 * threads killed, a fresh address space, close-on-exec, signal handlers
 * reset) and the initial stack of the x86-64 psABI:
 *
 *   rsp -> argc, argv[0..argc-1], NULL, envp[...], NULL, auxv pairs, AT_NULL
 *          ... 16-byte aligned ...
 *          16 random bytes (AT_RANDOM), "x86_64" (AT_PLATFORM),
 *          argument and environment strings, the file name (AT_EXECFN),
 *          8 zero bytes at the top. */
#include <arch/fpu.h>
#include <skiff/errno.h>
#include <skiff/futex.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>
#include <skiff/vfs.h>
#include <skiff/vm.h>
#include <uapi/auxvec.h>
#include <uapi/fcntl.h>
#include <uapi/stat.h>
#include "elf.h"
#include "proc.h"

#define MAX_ARG_STRLEN (32 * PAGE_SIZE)
#define ARG_MAX_BYTES (2u << 20)    /* a quarter of the default 8 MiB stack limit */
#define BINPRM_BUF 256
#define MAX_SCRIPT_DEPTH 4
#define PATH_MAX 4096

void arch_drop_user_mm(void);
void arch_activate_mm(struct mm *mm);
u64 arch_elf_hwcap(void);
u64 vdso_map(struct mm *mm);   /* arch/x86_64/vdso.c: AT_SYSINFO_EHDR or 0 */

/* Strings as one buffer: argv strings, then envp strings, NUL-terminated. */
struct args {
	char *buf;
	u32 len, cap;
	u32 argc, envc;
};

static int args_reserve(struct args *a, u32 more)
{
	if (a->len + more <= a->cap)
		return 0;
	if ((u64)a->len + more > ARG_MAX_BYTES)
		return -E2BIG;
	u32 cap = a->cap ? a->cap : 4096;
	while (cap < a->len + more)
		cap *= 2;
	char *nb = kmalloc(cap);
	if (!nb)
		return -ENOMEM;
	if (a->buf) {
		memcpy(nb, a->buf, a->len);
		kfree(a->buf);
	}
	a->buf = nb;
	a->cap = cap;
	return 0;
}

static int args_push(struct args *a, const char *s)
{
	u32 n = (u32)strlen(s) + 1;
	int err = args_reserve(a, n);

	if (err)
		return err;
	memcpy(a->buf + a->len, s, n);
	a->len += n;
	return 0;
}

/* Append the user string array uarr; returns the count or -errno. */
static long args_copy_user(struct args *a, u64 uarr)
{
	long count = 0;

	if (!uarr)
		return 0;
	for (;;) {
		u64 up;
		if (get_user_u64(&up, (void *)(uarr + 8 * (u64)count)))
			return -EFAULT;
		if (!up)
			return count;
		u32 room = 256;
		for (;;) {
			int err = args_reserve(a, room);
			if (err)
				return err;
			long n = strncpy_from_user(a->buf + a->len, (const char *)up, room);
			if (n >= 0) {
				if ((u64)n + 1 > MAX_ARG_STRLEN)
					return -E2BIG;
				a->len += (u32)n + 1;
				break;
			}
			if (n != -ENAMETOOLONG)
				return n;
			if (room >= MAX_ARG_STRLEN)
				return -E2BIG;
			room = MIN(room * 4, MAX_ARG_STRLEN + 1);
		}
		if (++count > 0x7ffffff)
			return -E2BIG;
	}
}

static const char *args_nth(const struct args *a, u32 n)
{
	const char *s = a->buf;

	while (n--)
		s += strlen(s) + 1;
	return s;
}

static char *find_nl(char *s, long n)
{
	for (long i = 0; i < n; i++)
		if (s[i] == '\n')
			return s + i;
	return NULL;
}

/* #! line: interpreter path and optional argument (in buf, NUL-terminated).
 * Returns 0 or -ENOEXEC. */
static int parse_shebang(char *buf, long n, char **interp, char **arg)
{
	char *end = find_nl(buf, n);
	char *p = buf + 2;

	if (!end) {
		/* No newline in the first 256 bytes: fine only if the name ends. */
		end = buf + n;
	}
	*end = 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		return -ENOEXEC;
	*interp = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	if (p == buf + n && n == BINPRM_BUF && !find_nl(buf, n))
		return -ENOEXEC; /* interpreter name truncated */
	if (p < end) {
		*p++ = 0;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		char *e = end;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = 0;
		*arg = p < e ? p : NULL;
	} else {
		*arg = NULL;
	}
	return 0;
}

static struct file *open_exec(const char *path)
{
	struct file *f = vfs_open(path, O_RDONLY, 0);

	if (IS_ERR(f))
		return f;
	if (!S_ISREG(file_mode(f)) || !file_may_exec(f)) {
		file_put(f);
		return ERR_PTR(-EACCES);
	}
	return f;
}

static u32 min_sigstksz(void)
{
	return ALIGN_UP(fpu_state_size + 4 + 64 + 440 + 128 + 16, 16);
}

/* Build the initial stack in the current (new) mm. */
static int build_stack(struct mm *mm, struct args *a, const char *execfn, struct elf_image *img,
		       struct elf_image *interp, u64 vdso, u64 *sp_out)
{
	struct proc_ext *p = cur_px();
	u64 top = vm_stack_top(mm), size = p->rlim[RLIMIT_STACK].rlim_cur, out;
	int err;

	if (size > (8ull << 20) || size < (128ull << 10))
		size = 8ull << 20;
	err = vm_mmap(mm, top - size, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, NULL, 0, &out);
	if (err)
		return err;

	u64 sp = top - 8;
	u32 fnlen = (u32)strlen(execfn) + 1;
	sp -= fnlen;
	u64 execfn_addr = sp;
	sp -= a->len;
	u64 strings = sp;
	sp -= 7;
	u64 platform = sp;
	sp -= 16;
	u64 random = sp;
	sp = ALIGN_DOWN(sp, 16);

	u8 rnd[16];
	get_random_bytes(rnd, sizeof(rnd));
	if (copy_to_user((void *)execfn_addr, execfn, fnlen) ||
	    copy_to_user((void *)strings, a->buf, a->len) ||
	    copy_to_user((void *)platform, "x86_64", 7) ||
	    copy_to_user((void *)random, rnd, 16))
		return -EFAULT;

	u64 auxv[48];
	int na = 0;
#define AUX(t, v) do { auxv[na++] = (t); auxv[na++] = (v); } while (0)
	if (vdso)
		AUX(AT_SYSINFO_EHDR, vdso);
	AUX(AT_MINSIGSTKSZ, min_sigstksz());
	AUX(AT_HWCAP, arch_elf_hwcap());
	AUX(AT_PAGESZ, PAGE_SIZE);
	AUX(AT_CLKTCK, 100);
	AUX(AT_PHDR, img->phdr_addr);
	AUX(AT_PHENT, sizeof(Elf64_Phdr));
	AUX(AT_PHNUM, img->eh.e_phnum);
	AUX(AT_BASE, interp ? interp->bias : 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, img->entry);
	AUX(AT_UID, p->pub.uid);
	AUX(AT_EUID, p->pub.euid);
	AUX(AT_GID, p->pub.gid);
	AUX(AT_EGID, p->pub.egid);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, random);
	AUX(AT_HWCAP2, 0);
	AUX(AT_EXECFN, execfn_addr);
	AUX(AT_PLATFORM, platform);
	AUX(AT_NULL, 0);
#undef AUX

	u64 words = 1 + a->argc + 1 + a->envc + 1 + (u64)na;
	sp = ALIGN_DOWN(sp - words * 8, 16);
	if (top - sp > size - PAGE_SIZE)
		return -E2BIG;
	u64 w = sp;
	if (put_user_u64(a->argc, (void *)w))
		return -EFAULT;
	w += 8;
	u64 s = strings;
	for (u32 i = 0; i < a->argc + a->envc + 1; i++) {
		if (i == a->argc) {
			if (put_user_u64(0, (void *)w))
				return -EFAULT;
			w += 8;
		}
		if (i == a->argc + a->envc)
			break;
		if (put_user_u64(s, (void *)w))
			return -EFAULT;
		w += 8;
		s += strlen(a->buf + (s - strings)) + 1;
	}
	if (put_user_u64(0, (void *)w))
		return -EFAULT;
	w += 8;
	if (copy_to_user((void *)w, auxv, (u64)na * 8))
		return -EFAULT;

	/* /proc facts. */
	u32 argbytes = (u32)(args_nth(a, a->argc) - a->buf);
	char *cl = kmalloc(argbytes ? argbytes : 1), *env = kmalloc(a->len - argbytes + 1);
	u64 f = spin_lock_irqsave(&proc_lock);
	kfree(p->cmdline);
	kfree(p->environ);
	p->cmdline = cl;
	p->cmdline_len = cl ? argbytes : 0;
	if (cl)
		memcpy(cl, a->buf, argbytes);
	p->environ = env;
	p->environ_len = env ? a->len - argbytes : 0;
	if (env)
		memcpy(env, a->buf + argbytes, a->len - argbytes);
	memcpy(p->auxv, auxv, (u64)na * 8);
	p->auxv_len = (u32)na * 8;
	spin_unlock_irqrestore(&proc_lock, f);
	*sp_out = sp;
	return 0;
}

/* Kill the other threads and wait for them; the caller becomes the leader
 * (takes the process's pid as its tid). 0, or -EINTR when another thread
 * started a group exit first. */
static int de_thread(struct task_ext *t, struct proc_ext *p)
{
	u64 f = spin_lock_irqsave(&proc_lock);

	if (p->group_exiting) {
		spin_unlock_irqrestore(&proc_lock, f);
		return -EINTR;
	}
	if (p->nr_threads > 1) {
		kill_other_threads(p, t);
		p->exec_waiter = t;
		while (p->nr_threads > 1) {
			set_current_state(TASK_UNINTERRUPTIBLE);
			spin_unlock_irqrestore(&proc_lock, f);
			schedule();
			f = spin_lock_irqsave(&proc_lock);
		}
		set_current_state(TASK_RUNNING);
		p->exec_waiter = NULL;
		/* The kills were ours: clear them from our own view. */
		t->pending.set &= ~sigmask(SIGKILL);
	}
	if (t->pub.tid != p->pub.pid) {
		struct task_ext *leader = task_lookup(p->pub.pid);
		if (leader && leader != t) {
			list_del(&leader->thread_link);
			task_hash_del(leader);
			task_put_deferred(leader);
		}
		task_hash_del(t);
		t->pub.tid = p->pub.pid;
		task_hash_add(t);
		list_del(&t->thread_link);
		list_add(&t->thread_link, &p->threads);
	}
	spin_unlock_irqrestore(&proc_lock, f);
	tasks_flush_deferred();
	return 0;
}

int do_execve(const char *filename, char *const *kargv, char *const *kenvp, bool from_user,
	      u64 uargv, u64 uenvp)
{
	struct task_ext *t = cur_tx();
	struct proc_ext *p = cur_px();
	struct args a = { 0 };
	struct elf_image img = { 0 }, interp = { 0 };
	struct file *f = NULL, *fi = NULL;
	char path[PATH_MAX], *pbuf = NULL;
	long r;
	int err;

	strlcpy(path, filename, sizeof(path));
	/* Arguments and environment, before anything is torn down. */
	if (from_user) {
		r = args_copy_user(&a, uargv);
		if (r < 0) {
			err = (int)r;
			goto out;
		}
		a.argc = (u32)r;
		if (a.argc == 0) {
			err = args_push(&a, "");
			if (err)
				goto out;
			a.argc = 1;
		}
		r = args_copy_user(&a, uenvp);
		if (r < 0) {
			err = (int)r;
			goto out;
		}
		a.envc = (u32)r;
	} else {
		for (; kargv && kargv[a.argc]; a.argc++)
			if ((err = args_push(&a, kargv[a.argc])))
				goto out;
		for (; kenvp && kenvp[a.envc]; a.envc++)
			if ((err = args_push(&a, kenvp[a.envc])))
				goto out;
	}

	pbuf = kmalloc(BINPRM_BUF + 1);
	if (!pbuf) {
		err = -ENOMEM;
		goto out;
	}
	for (int depth = 0;; depth++) {
		f = open_exec(path);
		if (IS_ERR(f)) {
			err = (int)PTR_ERR(f);
			f = NULL;
			goto out;
		}
		r = kernel_read(f, 0, pbuf, BINPRM_BUF);
		if (r < 0) {
			err = (int)r;
			goto out;
		}
		pbuf[r] = 0;
		if (r >= 2 && pbuf[0] == '#' && pbuf[1] == '!') {
			char *iname, *iarg;
			if (depth >= MAX_SCRIPT_DEPTH) {
				err = -ELOOP;
				goto out;
			}
			if (parse_shebang(pbuf, r, &iname, &iarg)) {
				err = -ENOEXEC;
				goto out;
			}
			/* argv becomes: interp [arg] path argv[1..]. */
			struct args na = { 0 };
			err = args_push(&na, iname);
			if (!err && iarg)
				err = args_push(&na, iarg);
			if (!err)
				err = args_push(&na, path);
			const char *rest = a.argc > 0 ? args_nth(&a, 1) : a.buf;
			u32 restlen = a.len - (u32)(rest - a.buf);
			if (!err)
				err = args_reserve(&na, restlen);
			if (err) {
				kfree(na.buf);
				goto out;
			}
			memcpy(na.buf + na.len, rest, restlen);
			na.len += restlen;
			na.argc = (iarg ? 3 : 2) + (a.argc > 0 ? a.argc - 1 : 0);
			na.envc = a.envc;
			kfree(a.buf);
			a = na;
			strlcpy(path, iname, sizeof(path));
			file_put(f);
			f = NULL;
			continue;
		}
		break;
	}
	err = elf_read(f, path, &img, false);
	if (err)
		goto out;
	if (img.interp) {
		fi = open_exec(img.interp);
		if (IS_ERR(fi)) {
			err = (int)PTR_ERR(fi);
			fi = NULL;
			pr_warn("exec: %s: cannot open interpreter %s (%d)", path, img.interp, err);
			goto out;
		}
		err = elf_read(fi, img.interp, &interp, true);
		if (err)
			goto out;
	}
	struct mm *mm = mm_create();
	if (!mm) {
		err = -ENOMEM;
		goto out;
	}

	/* Point of no return. */
	err = de_thread(t, p);
	if (err) {
		mm_put(mm);
		goto out;
	}
	futex_exec_release(&t->pub);
	if (t->clear_child_tid) {
		u32 *addr = (u32 *)t->clear_child_tid;
		if (put_user_u32(0, addr) == 0)
			futex_wake(addr, false, 1, ~0u);
		t->clear_child_tid = 0;
	}
	u64 lf = spin_lock_irqsave(&proc_lock); /* see exit.c: /proc readers */
	struct mm *old = p->pub.mm;
	p->pub.mm = mm;
	spin_unlock_irqrestore(&proc_lock, lf);
	arch_activate_mm(mm);
	vfork_release(p);
	if (old)
		mm_put(old);

	u64 base = ELF_EXEC_BASE, sp = 0, vdso;
	err = elf_map(mm, f, path, &img, base);
	if (!err && fi) {
		u64 span = elf_span(&interp);
		err = elf_map(mm, fi, img.interp, &interp, ALIGN_DOWN(ELF_INTERP_TOP - span, 1ull << 21));
	}
	u64 entry = fi ? interp.entry : img.entry;
	if (!err && entry >= USER_TOP)
		err = -ENOEXEC;
	vdso = err ? 0 : vdso_map(mm);
	if (!err)
		err = build_stack(mm, &a, filename, &img, fi ? &interp : NULL, vdso, &sp);
	if (err) {
		pr_warn("exec: %s: loading failed after the point of no return (%d): killed", path, err);
		u64 fl = spin_lock_irqsave(&proc_lock);
		p->group_exiting = true;
		p->group_exit_code = SIGSEGV;
		t->pending.set |= sigmask(SIGKILL);
		spin_unlock_irqrestore(&proc_lock, fl);
		err = 0;
		goto out;
	}
	vm_set_brk_base(mm, img.end);

	if (p->pub.files)
		files_close_on_exec(p->pub.files);
	signals_flush_handlers_on_exec(p);
	itimers_exec(p);
	t->altstack.ss_sp = 0;
	t->altstack.ss_size = 0;
	t->altstack.ss_flags = SS_DISABLE;
	t->robust_list = 0;
	t->robust_len = 0;
	arch_set_fs_base(0);
	arch_set_user_gs_base(0);
	preempt_disable();
	fpu_init_state(t->fpu);
	fpu_restore(t->fpu);
	preempt_enable();

	const char *base_name = strrchr(filename, '/');
	base_name = base_name ? base_name + 1 : filename;
	/* path here: the name buffer is free again (file_path may sleep, so
	 * outside proc_lock). */
	if (file_path(f, path, sizeof(path)) < 0)
		strlcpy(path, filename, sizeof(path));
	u64 fl = spin_lock_irqsave(&proc_lock);
	strlcpy(p->pub.comm, base_name, sizeof(p->pub.comm));
	p->did_exec = true;
	strlcpy(current->name, base_name, sizeof(current->name));
	strlcpy(p->exe, path, sizeof(p->exe));
	spin_unlock_irqrestore(&proc_lock, fl);

	arch_user_frame_init(t->pub.uregs, entry, sp);
	t->in_syscall = false;
	err = 0;
out:
	elf_release(&img);
	elf_release(&interp);
	if (f)
		file_put(f);
	if (fi)
		file_put(fi);
	kfree(pbuf);
	kfree(a.buf);
	return err;
}

static long execve_common(u64 upath, u64 uargv, u64 uenvp)
{
	char *path = kmalloc(PATH_MAX);
	long r;

	if (!path)
		return -ENOMEM;
	r = strncpy_from_user(path, (const char *)upath, PATH_MAX);
	if (r == 0)
		r = -ENOENT;
	if (r > 0)
		r = do_execve(path, NULL, NULL, true, uargv, uenvp);
	kfree(path);
	return r;
}

SYSCALL_DEFINE(59, execve)
{
	return execve_common(a0, a1, a2);
}

#define AT_FDCWD_ (-100)
#define AT_EMPTY_PATH_ 0x1000
#define AT_SYMLINK_NOFOLLOW_ 0x100

SYSCALL_DEFINE(322, execveat)
{
	if (a4 & ~(u64)(AT_EMPTY_PATH_ | AT_SYMLINK_NOFOLLOW_))
		return -EINVAL;
	if ((int)a0 != AT_FDCWD_) {
		char c;
		if (copy_from_user(&c, (void *)a1, 1))
			return -EFAULT;
		if (c != '/')
			return -ENOSYS; /* dirfd-relative exec: not supported yet */
	}
	return execve_common(a1, a2, a3);
}
