/* Processes and user threads (kernel/proc/). Owned by the process layer;
 * other subsystems use only the fields and functions declared here.
 *
 * A struct task is one user thread; it hangs off its scheduler thread
 * (struct thread.task). Threads of one thread group share a struct process,
 * which owns the address space (mm/), the file table and fs context (fs/),
 * signal handlers, identity and limits. */
#ifndef SKIFF_TASK_H
#define SKIFF_TASK_H

#include <skiff/sched.h>
#include <skiff/wait.h>

struct mm;            /* mm/: address space */
struct files_struct;  /* fs/: descriptor table */
struct fs_struct;     /* fs/: root, cwd, umask */
struct trap_frame;

typedef s32 pid_t;

struct process {
	pid_t pid;                   /* [I] thread-group id */
	pid_t pgid, sid;             /* process group and session */
	struct process *parent;
	struct mm *mm;               /* replaced by execve */
	struct files_struct *files;
	struct fs_struct *fs;
	u32 uid, euid, suid, fsuid, gid, egid, sgid, fsgid;
	char comm[16];
	/* The rest (signals, children, limits, timers, exit state) is private
	 * to kernel/proc/. */
	void *priv;
};

struct task {
	struct thread *thread;       /* [I] scheduler thread */
	struct process *proc;        /* [I] */
	pid_t tid;                   /* [I] */
	struct trap_frame *uregs;    /* user registers saved at kernel entry */
	void *priv;                  /* private to kernel/proc/ */
};

static inline struct task *current_task(void) { return (struct task *)current->task; }
static inline struct process *current_proc(void) { return current_task()->proc; }

/* Look up by pid/tid (with a reference the caller drops with *_put). */
struct process *process_get(pid_t pid);
void process_put(struct process *p);
struct task *task_get(pid_t tid);
void task_put(struct task *t);

/* Signals, for other subsystems (pipes: SIGPIPE; tty: SIGINT/SIGTSTP to a
 * process group; futex: interrupted waits). */
int send_signal_process(struct process *p, int sig, int code);
int send_signal_task(struct task *t, int sig, int code);
int send_signal_pgrp(pid_t pgid, int sig);
/* True when the current task has an unblocked signal pending: interruptible
 * sleeps return -EINTR / -ERESTARTSYS. */
bool signal_pending(void);

/* Waits with a temporary signal mask (ppoll, pselect6, epoll_pwait, as
 * Linux's set_user_sigmask / restore_saved_sigmask_unless). Install the
 * user sigset at umask (none when 0) as the blocked set: 0, -EINVAL when
 * sigsetsize is not 8, -EFAULT. After the wait, call
 * sigmask_restore_unless(ret is -EINTR / -ERESTARTNOHAND): the original
 * mask comes back now, or, when interrupted, once the signal is handled:
 * its handler's frame saves the original mask (the handler itself runs
 * with the temporary mask plus sa_mask and the signal, as on Linux;
 * sigreturn restores the original), and with no handler it is restored on
 * the way out. */
int sigmask_set_temporary(u64 umask, u64 sigsetsize);
void sigmask_restore_unless(bool interrupted);

/* Soft limit of RLIMIT_* resource for the current process (RLIM_INFINITY
 * ~0 when unlimited, or when called outside a process). For example the VFS
 * write path: RLIMIT_FSIZE (1) -> SIGXFSZ + -EFBIG. */
u64 task_rlimit(int resource);

/* A counted reference to p's address space (mm_put it), or NULL when p
 * has exited. */
struct mm *process_mm_get(struct process *p);

/* True when sig is ignored (SIG_IGN) or blocked by the current thread
 * (the tty layer's job-control checks). */
bool current_signal_ignored_or_blocked(int sig);

/* Start the first user process (init) from path with argv/envp. */
int start_init(const char *path, const char *const argv[], const char *const envp[]);

#endif
