/* Threads and the scheduler (kernel/sched/). See kernel/sched/core.c for
 * the policy. */
#ifndef SKIFF_SCHED_H
#define SKIFF_SCHED_H

#include <skiff/list.h>
#include <skiff/percpu.h>
#include <skiff/spinlock.h>
#include <skiff/timer.h>

#define SCHED_OTHER 0
#define SCHED_FIFO  1
#define SCHED_RR    2
#define SCHED_BATCH 3
#define SCHED_IDLE  5
#define MAX_RT_PRIO 100 /* RT priorities 1..99, higher is more urgent */

/* Thread states (Linux values, so /proc can report them directly later). */
#define TASK_RUNNING         0x0
#define TASK_INTERRUPTIBLE   0x1
#define TASK_UNINTERRUPTIBLE 0x2
#define TASK_STOPPED         0x4
#define TASK_DEAD            0x80
#define TASK_NORMAL (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)

/* A user/system split of CPU time, in ns. */
struct cputime {
	u64 utime, stime;
};

/* Locking legend:
 *   [c] only the thread itself (or its CPU while it runs)
 *   [p] t->pi_lock
 *   [r] the lock of the run queue the thread is on (rq of t->cpu)
 *   [I] immutable after creation
 *   [a] atomic
 *   [u] written only by the thread's CPU, interrupts off, inside acct_seq */
struct thread {
	u64 ksp;                  /* [r] saved kernel rsp while switched out */
	void *kstack;             /* [I] lowest address of the kernel stack */
	u64 kstack_top;           /* [I] */
	u32 tid;                  /* [I] */
	char name[16];            /* [c] */

	s32 state;                /* [a] TASK_*; set by self, or by waker under [p] */
	s32 cpu;                  /* [r] CPU whose run queue holds (or last ran) it */
	s32 on_rq;                /* [r] queued or running */
	s32 on_cpu;               /* [a] executing right now (cleared after switch-out) */
	u64 cpus_allowed;         /* [p] affinity mask */
	spinlock_t pi_lock;       /* serialises wakeups */

	int policy;               /* [p][r] SCHED_* */
	int rt_prio;              /* [p][r] static RT priority 1..99 (0 for fair) */
	int prio;                 /* [p][r] effective priority, larger is more urgent:
	                           * rt_prio for RT threads, 0 for fair ones; PI raises it */
	int nice;                 /* [p][r] -20..19 */
	u32 weight;               /* [r] CFS load weight for nice */
	u64 vruntime;             /* [r] fair: weighted runtime */
	u64 exec_start;           /* [r] monotonic ns when it last started running */
	u64 sum_exec;             /* [r] total ns on CPU */
	/* User/system split (kernel/sched/cputime.c). */
	u64 user_cycles;          /* [u] clock_cycles() in user mode up to its last kernel entry */
	u64 user_since;           /* [u] clock_cycles() at its last return to user mode, 0 in the kernel */
	u32 acct_seq;             /* [c] odd while user_cycles and user_since change */
	struct cputime prev_cputime; /* [r] last split reported (never goes down) */
	u64 slice_end;            /* [r] RR/fair: when its slice ends */
	u64 nr_switches;          /* [r] */
	struct list_head rq_link; /* [r] */

	bool requeue_tail;        /* [r] yield / RR slice expiry: go behind peers */
	bool wake_after_switch;   /* [r] re-place on an allowed CPU after switch-out */
	bool detached;            /* [I] freed by the idle loop when it exits */
	bool static_thread;       /* [I] struct and stack are not heap-allocated */
	struct thread *reap_next; /* [r] rq->reap list */
	struct timer sleep_timer; /* [c] sleep_until / timeouts */
	int (*fn)(void *);        /* [I] kernel thread body */
	void *arg;                /* [I] */
	int exit_code;            /* [c] */
	struct list_head all_link;/* all threads (debug listing) */
	void *task;               /* [I] process-level data, NULL for kthreads */
};

static inline struct thread *current_thread(void) { return this_cpu_local()->cur; }
#define current current_thread()

void sched_init(void);              /* boot CPU: turn the boot flow into a thread */
void sched_init_cpu(void);          /* each CPU: run queue, idle thread */
__noreturn void sched_idle_loop(void); /* become this CPU's idle thread */

/* Create a kernel thread running fn(arg); it starts runnable on some CPU
 * (cpu = -1) or on the given CPU (pinned). Returns NULL on ENOMEM. */
struct thread *kthread_create(int (*fn)(void *), void *arg, const char *name, int cpu);
/* kthread_create in two steps: a thread that is not yet runnable (its
 * policy, affinity and owner can be set race-free), then made runnable on
 * cpu (-1: any allowed CPU). */
struct thread *kthread_alloc(int (*fn)(void *), void *arg, const char *name);
void kthread_start(struct thread *t, int cpu);
/* End the calling kernel thread. */
__noreturn void kthread_exit(int code);
/* Wait for a kernel thread to end and free it; returns its exit code. */
int kthread_join(struct thread *t);

void schedule(void);
/* Called (rq lock held, irqs off) just before switching between threads when
 * either has a user task: the process layer switches page tables, FS/GS
 * bases and FPU state. */
extern void (*sched_switch_hook)(struct thread *prev, struct thread *next);
void yield(void);
bool sched_need_resched(void);
void sched_preempt_irq(void);       /* called by the interrupt return path */
void preempt_schedule(void);

/* Wake t if its state matches mask. Returns true if it was woken by this
 * call. Callable from any context, any CPU. */
bool wake_up_thread(struct thread *t, int mask);
static inline bool wake_up_process(struct thread *t) { return wake_up_thread(t, TASK_NORMAL); }

static inline void set_current_state(int s)
{
	__atomic_store_n(&current->state, s, __ATOMIC_SEQ_CST);
}

/* Sleep until monotonic time `deadline` (ns). Returns 0, or -EINTR when an
 * interruptible sleep was woken early by wake_up_thread (signals, later). */
int sleep_until(u64 deadline, int state);
void sleep_ns(u64 ns);

int sched_setscheduler_thread(struct thread *t, int policy, int rt_prio);
void sched_set_nice(struct thread *t, int nice);
int sched_set_affinity(struct thread *t, u64 mask);
/* PI: set the effective priority (kernel/futex/pi.c); 0 = back to normal. */
void sched_set_effective_prio(struct thread *t, int prio);

/* CPU time accounting (kernel/sched/cputime.c). The two hooks bracket user
 * mode: cputime_enter_kernel() on every entry from user mode (syscall,
 * interrupt, exception), cputime_return_to_user() just before the return;
 * both on the current thread with interrupts off. */
void cputime_enter_kernel(void);
void cputime_return_to_user(void);
/* t's run time in ns: its past slices plus the one it is running now. Any
 * context but NMI; takes t's run-queue lock (so callers may hold proc_lock,
 * never a run-queue lock). t must stay allocated. */
u64 sched_thread_runtime(struct thread *t);
/* t's run time split into user and system ns. out->utime + out->stime
 * equals sched_thread_runtime(t) at one instant, and neither field is ever
 * smaller than the last reported. Same context rules. */
void sched_thread_cputime(struct thread *t, struct cputime *out);

/* Idle and halt-polling statistics. */
struct idle_stats {
	u64 polls;          /* idle entries that started a poll window */
	u64 poll_hits;      /* poll windows that found work */
	u64 halts;          /* HLT executed */
	u64 ipis_sent;      /* reschedule IPIs sent from this CPU */
	u64 ipis_avoided;   /* wakeups to a polling CPU that needed no IPI */
	u64 poll_ns;        /* current adaptive window */
};
void sched_print_stats(void);
void sched_get_idle_stats(unsigned cpu, struct idle_stats *out);

#endif
