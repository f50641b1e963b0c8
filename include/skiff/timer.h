/* One-shot kernel timers on per-CPU timer queues (kernel/time/timer.c),
 * programmed into the hardware by the clock event device
 * (arch/x86_64/clockevent.c: TSC-deadline MSR when CPUID.1:ECX[24] offers
 * it, else the LAPIC timer in one-shot mode). Nothing ticks periodically: the
 * hardware is armed for the earliest pending timer only, and not at all when
 * the queue is empty.
 *
 * Callbacks run in interrupt context, interrupts off, on the CPU whose queue
 * holds the timer; they must not sleep. */
#ifndef SKIFF_TIMER_H
#define SKIFF_TIMER_H

#include <skiff/types.h>

struct timer {
	u64 expires;                    /* [q] monotonic ns */
	void (*fn)(struct timer *t);    /* [I] */
	s32 cpu;                        /* [q] queue holding it, -1 when idle */
	u32 idx;                        /* [q] position in that queue's heap */
};

void timer_init(struct timer *t, void (*fn)(struct timer *t));
/* Queue t on the calling CPU to fire at `expires` (monotonic ns). Re-arming a
 * pending timer moves it. An expiry in the past fires on the next timer
 * interrupt, which is raised at once. */
void timer_arm(struct timer *t, u64 expires);
/* Remove t if pending. Returns true if it was pending (fn will not run for
 * that arming); false if it had fired or was never armed, in which case fn
 * may still be running on another CPU: timer_cancel_sync() waits for it. */
bool timer_cancel(struct timer *t);
bool timer_cancel_sync(struct timer *t);
bool timer_pending(const struct timer *t);

void timers_init_cpu(void);        /* per CPU, after the clock event device */

/* Clock event device (one per CPU). */
extern const char *clockevent_name; /* "tsc-deadline" or "lapic-oneshot" */
void clockevent_init_cpu(void);    /* pick/calibrate on CPU 0, program on each CPU */
void clockevent_program(u64 deadline_ns); /* fire the timer vector at deadline */
void clockevent_stop(void);

/* Timer statistics for the self-test: lateness of fired timers. */
struct timer_stats {
	u64 fired;
	u64 interrupts;
	u64 late_ns_total;  /* sum over fired timers of (time run - expires) */
	u64 late_ns_max;
};
extern struct timer_stats timer_stats[];

#endif
