/* The first user process. kernel_start_user() (from kmain, after the
 * scheduler is up) brings up the VFS and starts init the Linux way: with an
 * initramfs, rdinit= (default /init); otherwise init= (default /sbin/init),
 * then /etc/init, /bin/init, /bin/sh. Nothing runnable is a panic.
 *
 * init runs in a kernel thread that becomes a user task: it gets pid 1, an
 * empty descriptor table with /dev/console as 0, 1 and 2, and execs. */
#include <skiff/blkdev.h>
#include <skiff/boot.h>
#include <skiff/cmdline.h>
#include <skiff/errno.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include <skiff/vfs.h>
#include <skiff/vm.h>
#include <uapi/fcntl.h>
#include "proc.h"

CMDLINE_PARAM(rdinit, "rdinit", "program run as init from the initramfs (default /init)");
CMDLINE_PARAM(init, "init", "program run as init without an initramfs (default /sbin/init)");
CMDLINE_PARAM(root, "root", "root block device when there is no initramfs init (root=/dev/vda)");
CMDLINE_PARAM(rootfstype, "rootfstype", "file system type of root= (default ext2)");
CMDLINE_PARAM(rw, "rw", "mount root= read-write");
CMDLINE_PARAM(ro, "ro", "mount root= read-only (the default)");
CMDLINE_PARAM(skiff_test, "skiff.test", "guest test mode (rootfs /init runs the suite); a panic exits QEMU");
CMDLINE_PARAM(skiff_test_filter, "skiff.test_filter", "shell pattern of guest tests to run");

void usermode_init_all_cpus(void);
void vdso_init(void);
void arch_task_switch_in(struct task *t);

struct init_req {
	const char *paths[8];
	int npaths;
};

static void open_console(void)
{
	struct file *f = vfs_open("/dev/console", O_RDWR, 0);

	if (IS_ERR(f)) {
		pr_warn("init: cannot open /dev/console (%ld): init starts without stdio", PTR_ERR(f));
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (i)
			file_get(f);
		if (fd_install(f, false) < 0)
			file_put(f);
	}
}

/* Make the calling kernel thread the task of process p (pid 1). */
static struct task_ext *adopt_current(struct proc_ext *p, pid_t pid)
{
	struct task_ext *t = task_alloc(p, pid);

	if (!t)
		panic("init: out of memory");
	kfree(t->pub.uregs);
	t->pub.uregs = task_uregs(current);
	u64 f = spin_lock_irqsave(&proc_lock);
	p->pub.pid = pid;
	/* As Linux: init starts in process group 0 and session 0 (those of
	 * the idle task), so its setsid() succeeds. */
	p->pub.pgid = 0;
	p->pub.sid = 0;
	p->pub.parent = NULL;
	__atomic_add_fetch(&p->refcount, 1, __ATOMIC_RELAXED);
	list_add_tail(&t->thread_link, &p->threads);
	list_add_tail(&p->all_link, &all_procs);
	p->nr_threads = 1;
	task_hash_add(t);
	t->pub.thread = current;
	current->task = &t->pub;
	arch_irq_disable();
	arch_task_switch_in(&t->pub);
	spin_unlock_irqrestore(&proc_lock, f);
	return t;
}

extern void arch_user_trampoline(void *arg, void (*fn)(void *)) __noreturn;

static __noreturn void init_main(void *arg)
{
	struct init_req *req = arg;
	static const char *const envp[] = { "HOME=/", "TERM=linux", NULL };
	struct proc_ext *p = proc_alloc();

	if (!p || !(p->sighand = sighand_alloc()))
		panic("init: out of memory");
	p->pub.files = files_create();
	p->pub.fs = fs_create_root();
	if (!p->pub.files || IS_ERR(p->pub.files) || !p->pub.fs || IS_ERR(p->pub.fs))
		panic("init: no file table or fs context");
	strlcpy(p->pub.comm, "init", sizeof(p->pub.comm));
	p->start_ns = clock_monotonic_ns();
	init_proc = p;
	u64 f = spin_lock_irqsave(&proc_lock);
	pid_t pid = pid_alloc();
	spin_unlock_irqrestore(&proc_lock, f);
	struct task_ext *t = adopt_current(p, pid);
	open_console();

	/* As Linux: the command line's words after "--" are argv[1..] (at
	 * most MAX_INIT_ARGS, CONFIG_INIT_ENV_ARG_LIMIT's 32). */
	enum { MAX_INIT_ARGS = 32 };
	const char *const *args;
	unsigned nargs = cmdline_init_args(&args);
	const char *argv[MAX_INIT_ARGS + 2];
	if (nargs > MAX_INIT_ARGS)
		nargs = MAX_INIT_ARGS;
	for (unsigned i = 0; i < nargs; i++)
		argv[i + 1] = args[i];
	argv[nargs + 1] = NULL;

	for (int i = 0; i < req->npaths; i++) {
		argv[0] = req->paths[i];
		int err = do_execve(req->paths[i], (char *const *)argv, (char *const *)envp, false, 0, 0);
		if (err == 0) {
			pr_info("init: running %s as pid %d", req->paths[i], p->pub.pid);
			arch_exit_to_user(t->pub.uregs);
			arch_enter_user(t->pub.uregs);
		}
		pr_warn("init: cannot run %s (error %d)", req->paths[i], err);
	}
	panic("No working init found.  Try passing init= option to kernel.");
}

/* Continue below the user-frame slot at the top of this thread's stack. */
static int init_thread(void *arg)
{
	current->detached = true;
	arch_user_trampoline(arg, init_main);
}

int start_init(const char *path, const char *const argv[], const char *const envp[])
{
	static struct init_req req;

	req.paths[0] = path;
	req.npaths = 1;
	return kthread_create(init_thread, &req, "init", -1) ? 0 : -ENOMEM;
}

/* kmain, after "scheduler up" (not in self-test / exit-after-boot mode). */
void kernel_start_user(void)
{
	static struct init_req req;
	const char *p;

	random_init();
	usermode_init_all_cpus();
	/* The vDSO's backing files are O_TMPFILEs on the boot tmpfs: made
	 * before root= can cover it with a disk file system that has no
	 * O_TMPFILE (ext2), so a disk root still gets a vDSO. */
	vdso_init();
	block_init(); /* virtio-blk disks: vda, vdb, ... */
	/* As Linux: rdinit= from the initramfs if it is there; otherwise
	 * root= is mounted over "/" and init= or the default list runs. */
	const char *rd = NULL;
	if (boot_info.nmodules > 0) {
		p = cmdline_get("rdinit");
		rd = p && *p ? p : "/init";
		struct file *f = vfs_open(rd, O_PATH, 0);
		if (!IS_ERR(f)) {
			file_put(f);
			req.paths[req.npaths++] = rd;
		} else {
			rd = NULL;
		}
	}
	p = cmdline_get("root");
	if (!rd && p && *p) {
		int err = vfs_mount_disk_root(p, cmdline_get("rootfstype"),
					      cmdline_has("rw") && !cmdline_has("ro"));
		if (err)
			panic("VFS: Unable to mount root fs on %s (error %d)", p, err);
	}
	p = cmdline_get("init");
	req.paths[req.npaths++] = p && *p ? p : "/sbin/init";
	req.paths[req.npaths++] = "/etc/init";
	req.paths[req.npaths++] = "/bin/init";
	req.paths[req.npaths++] = "/bin/sh";
	if (!kthread_create(init_thread, &req, "init", -1))
		panic("init: cannot create the init thread");
}
