/* Private state of the process layer (kernel/proc/).
 *
 * Locking legend:
 *   [P] proc_lock: the one lock for process relations and signal state —
 *       pid table, parent/children lists, thread lists, pgid/sid, exit and
 *       stop state, pending sets and queues, blocked masks, sighand actions.
 *       Taken with interrupts off (timers send signals from irq context).
 *   [c] only the task itself (or its creator before it runs)
 *   [I] immutable after creation
 *   [a] atomic
 *
 * A struct task_ext wraps each public struct task; struct proc_ext each
 * struct process. task->priv / process->priv point at the wrapper. */
#ifndef KERNEL_PROC_PROC_H
#define KERNEL_PROC_PROC_H

#include <arch/trap.h>
#include <skiff/list.h>
#include <skiff/spinlock.h>
#include <skiff/task.h>
#include <skiff/timer.h>
#include <skiff/wait.h>
#include <uapi/resource.h>
#include <uapi/signal.h>
#include <uapi/time.h>

#define PID_MAX 4194304
#define MAX_THREADS_PER_PROC 4096
#define NGROUPS_MAX 65536
#define MAX_GROUPS 64          /* what we store */

#ifndef MAP_PRIVATE
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x0100
#define MAP_DENYWRITE 0x0800
#define MAP_FIXED_NOREPLACE 0x100000
#endif

extern spinlock_t proc_lock;
/* Threads made by clone/fork and not yet exited, all processes. [P] */
extern int nr_threads_all;

static inline u64 sigmask(int sig) { return 1ull << (sig - 1); }
#define SIG_KERNEL_ONLY (sigmask(SIGKILL) | sigmask(SIGSTOP))
#define SIG_STOP_SET (sigmask(SIGSTOP) | sigmask(SIGTSTP) | sigmask(SIGTTIN) | sigmask(SIGTTOU))

/* A queued signal (RT signals queue each instance; standard ones keep one). */
struct sigqueue {
	struct list_head link;
	siginfo_t info;
};

struct sigpending {
	sigset_t set;              /* [P] */
	struct list_head queue;    /* [P] struct sigqueue */
};

struct sighand {
	s32 refcount;              /* [a] shared by CLONE_SIGHAND */
	struct k_sigaction action[NSIG]; /* [P] index sig - 1 */
};

struct posix_timer;

struct proc_ext {
	struct process pub;
	struct list_head children;       /* [P] proc_ext.sibling */
	struct list_head sibling;        /* [P] */
	struct list_head threads;        /* [P] task_ext.thread_link */
	struct list_head all_link;       /* [P] all processes */
	int nr_threads;                  /* [P] live (not yet exited) threads */
	int nr_tasks;                    /* [P] task structs still allocated */
	s32 refcount;                    /* [a] */
	int exit_signal;                 /* [I] signal to the parent at exit */

	/* Exit and job control. */
	bool group_exiting;              /* [P] exit_group / fatal signal in progress */
	int group_exit_code;             /* [P] wait status of the whole group */
	bool zombie;                     /* [P] every thread gone, not reaped */
	bool reaped;                     /* [P] */
	bool did_exec;                   /* [P] setpgid: EACCES after the child's execve */
	bool stopped;                    /* [P] group stop in effect */
	int stop_sig;                    /* [P] */
	int notify;                      /* [P] NOTIFY_* not yet reported to wait */
	struct task_ext *exec_waiter;    /* [P] de_thread: the exec-ing thread */
	struct wait_queue child_wq;      /* wait4 sleepers of this process */

	/* Signals. */
	struct sighand *sighand;         /* [P] */
	struct sigpending shared;        /* [P] */

	/* Resources. */
	struct rlimit64 rlim[RLIM_NLIMITS]; /* [P] */
	int pdeath_signal;               /* [P] */
	int dumpable;                    /* [P] */
	u32 ngroups;                     /* [P] */
	u32 groups[MAX_GROUPS];          /* [P] */
	u64 start_ns;                    /* [I] monotonic start time */
	u64 dead_utime_ns, dead_stime_ns; /* [P] CPU time of exited threads */
	u64 child_utime_ns, child_stime_ns; /* [P] reaped children */
	u64 child_maxrss;

	/* Timers (kernel/proc/itimer.c). */
	struct timer real_timer;         /* ITIMER_REAL / alarm, [P] */
	u64 real_interval_ns;            /* [P] */
	u64 real_expires_ns;             /* [P] 0 = disarmed */
	u64 virt_expires_ns, virt_interval_ns; /* [P] CPU-time itimers */
	u64 prof_expires_ns, prof_interval_ns;
	struct list_head timers;         /* [P] posix timers */
	int next_timer_id;               /* [P] */

	/* Exec image facts (for /proc). */
	char *cmdline; u32 cmdline_len;  /* [P] NUL-separated argv */
	char *environ; u32 environ_len;  /* [P] */
	u64 auxv[48]; u32 auxv_len;      /* [P] bytes */
	char exe[256];                   /* [P] */

	/* vfork: the parent sleeps until this process execs or exits. */
	struct task_ext *vfork_parent;   /* [P] */
};

struct task_ext {
	struct task pub;
	struct list_head thread_link;    /* [P] proc_ext.threads */
	struct list_head hash_link;      /* [P] tid hash */
	s32 refcount;                    /* [a] */
	struct task_ext *defer_next;     /* [P] task_put_deferred list */
	bool exited;                     /* [P] past exit, no longer a signal target */
	bool vfork_done;                 /* [P] (on the parent) its vfork child released it */

	sigset_t blocked;                /* [P] */
	sigset_t saved_mask;             /* [c] restored after sigsuspend's handler */
	bool restore_mask;               /* [c] */
	struct sigpending pending;       /* [P] thread-directed */
	stack_t altstack;                /* [c] */

	u64 clear_child_tid;             /* [c] */
	u64 set_child_tid;               /* [c] written by the child before it runs */
	u64 robust_list, robust_len;     /* [c] stored for the futex code */
	void *fpu;                       /* [c] XSAVE image while switched out */
	u64 fs_base, gs_base;            /* [c] */

	/* Syscall state for restarts. */
	bool in_syscall;                 /* [c] */
	u64 orig_rax;                    /* [c] */
	u64 restart_deadline;            /* [c] restart_syscall for nanosleep */
	int restart_clock;
	u64 restart_rmtp;
	int (*restart_fn)(struct task_ext *t);

	u64 sigwait_mask;                /* [P] rt_sigtimedwait: signals it waits for */
	bool reset_on_fork;              /* [c] SCHED_RESET_ON_FORK */
	/* Scheduling inherited from the creator, applied when the thread starts. */
	int start_policy, start_prio, start_nice;
	u64 start_affinity;
};

static inline struct task_ext *tx(struct task *t) { return container_of(t, struct task_ext, pub); }
static inline struct proc_ext *px(struct process *p) { return container_of(p, struct proc_ext, pub); }
static inline struct task_ext *cur_tx(void) { return tx(current_task()); }
static inline struct proc_ext *cur_px(void) { return px(current_proc()); }

/* task.c: allocation, pids, lookup */
struct proc_ext *proc_alloc(void);
struct task_ext *task_alloc(struct proc_ext *p, pid_t tid);
pid_t pid_alloc(void);                       /* [P] held; 0 when exhausted */
void task_hash_add(struct task_ext *t);      /* [P] */
void task_hash_del(struct task_ext *t);      /* [P] */
struct task_ext *task_lookup(pid_t tid);     /* [P] */
struct proc_ext *proc_lookup(pid_t pid);     /* [P] live or zombie process */
void proc_free(struct proc_ext *p);
void task_free(struct task_ext *t);
/* Drop a task reference while holding proc_lock: the put happens in
 * tasks_flush_deferred(), called after the lock is released. */
void task_put_deferred(struct task_ext *t);     /* [P] */
void tasks_flush_deferred(void);
struct sighand *sighand_alloc(void);
void sighand_put(struct sighand *sh);
extern struct list_head all_procs;           /* [P] */
extern struct proc_ext *init_proc;
int proc_count(void);
/* Start the scheduler thread of t (a new task whose uregs frame is ready).
 * Returns 0 or -ENOMEM. */
int task_start(struct task_ext *t);
struct trap_frame *task_uregs(struct thread *th);

/* exit.c */
__noreturn void do_exit(int code);            /* this thread */
__noreturn void do_group_exit(int status);   /* wait status */
void proc_reparent_children(struct proc_ext *p);  /* [P] */
/* Is group pgid orphaned (POSIX; init is no outside parent), not counting
 * ignore (NULL for none)? (kernel/proc/exit.c) */
bool pgrp_orphaned_without(pid_t pgid, struct proc_ext *ignore); /* [P] */

/* signal.c */
void sigpending_init(struct sigpending *sp);
void sigpending_flush(struct sigpending *sp);
int send_signal_info(struct task_ext *target_thread, struct proc_ext *target_proc,
		     int sig, const siginfo_t *info);          /* [P] */
void signal_wake(struct task_ext *t, bool fatal);          /* [P] */
bool task_sig_pending(struct task_ext *t);                 /* [P] or racy read */
void signals_deliver(struct trap_frame *tf);               /* exit to user */
/* Last step of the exit to user mode: a system call that returned a
 * -ERESTART* code and had no signal left to deliver (another thread took
 * it) is restarted, as Linux does when get_signal finds nothing. */
void signals_restart_syscall(struct trap_frame *tf);
void signals_flush_handlers_on_exec(struct proc_ext *p);
int dequeue_signal(struct task_ext *t, sigset_t mask, siginfo_t *info); /* [P] */
void set_blocked(struct task_ext *t, sigset_t mask);       /* [P] */
void do_notify_parent(struct proc_ext *p, int why, int status); /* [P] */
void force_sig_fault(int sig, int code, u64 addr);
void kill_other_threads(struct proc_ext *p, struct task_ext *keep); /* [P] */
void proc_remove_pending(struct proc_ext *p, sigset_t mask);     /* [P] */
/* itimer.c: a SI_TIMER signal was dequeued: its overrun becomes the
 * timer's timer_getoverrun value. [P] */
void posix_timer_dequeued(struct proc_ext *p, int id, int overrun);

/* signal frame (arch/x86_64/signal.c) */
int arch_setup_rt_frame(struct trap_frame *tf, int sig, const struct k_sigaction *ka,
			const siginfo_t *info, sigset_t oldmask);
long arch_rt_sigreturn(struct trap_frame *tf);

/* usermode.c (arch) */
void arch_enter_user(struct trap_frame *tf) __noreturn;
void usermode_init_all_cpus(void);
void arch_user_frame_init(struct trap_frame *tf, u64 rip, u64 rsp);
void arch_exit_to_user(struct trap_frame *tf);    /* returns with irqs off */
void arch_set_fs_base(u64 v);
void arch_set_user_gs_base(u64 v);

/* exec */
int do_execve(const char *path, char *const *kargv, char *const *kenvp, bool from_user,
	      u64 uargv, u64 uenvp);

/* itimer.c */
void itimers_init(struct proc_ext *p);
void itimers_exit(struct proc_ext *p);
void itimers_exec(struct proc_ext *p);
/* p's user and system ns, live threads' running slices included (exit.c). [P] */
void proc_cputime(struct proc_ext *p, u64 *utime, u64 *stime);

/* vfork */
void vfork_release(struct proc_ext *p);          /* takes proc_lock */

/* time conversion */
static inline u64 ts_to_ns(const struct timespec *ts) { return (u64)ts->tv_sec * 1000000000ull + (u64)ts->tv_nsec; }
static inline struct timespec ns_to_ts(u64 ns) { return (struct timespec){ (s64)(ns / 1000000000ull), (s64)(ns % 1000000000ull) }; }

/* random.c */
void get_random_bytes(void *buf, size_t n);
void random_init(void);

/* futex (kernel/futex) */
int futex_wake(u32 *uaddr, bool private_, int nr, u32 bitset);

#endif
