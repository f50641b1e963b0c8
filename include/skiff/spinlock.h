/* Spinlocks. Taking a lock disables preemption; the _irqsave forms also
 * disable interrupts on this CPU. With SKIFF_DEBUG the lock records its
 * holder, so recursion, unlocking a lock held by another CPU and
 * assert_held() on a lock that is not held are caught (panic with the lock's
 * name). */
#ifndef SKIFF_SPINLOCK_H
#define SKIFF_SPINLOCK_H

#include <skiff/compiler.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <arch/cpu.h>

typedef struct spinlock {
	u32 locked;       /* [a] 0 free, 1 held */
	s32 owner;        /* [l] holder's CPU, -1 when free (debug builds) */
	const char *name; /* [I] */
} spinlock_t;

#define SPINLOCK_INIT(n) { 0, -1, n }
#define DEFINE_SPINLOCK(v) spinlock_t v = SPINLOCK_INIT(#v)

static inline void spin_init(spinlock_t *l, const char *name)
{
	l->locked = 0;
	l->owner = -1;
	l->name = name;
}

void preempt_schedule(void); /* kernel/sched: reschedule if asked to */
extern bool sched_need_resched(void);

static inline void preempt_disable(void)
{
	this_cpu_local()->preempt_count++;
	barrier();
}
static inline void preempt_enable_no_resched(void)
{
	barrier();
	this_cpu_local()->preempt_count--;
}
static inline void preempt_enable(void)
{
	barrier();
	if (--this_cpu_local()->preempt_count == 0 && sched_need_resched())
		preempt_schedule();
}

static inline bool spin_trylock(spinlock_t *l)
{
	preempt_disable();
	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0) {
#ifdef SKIFF_DEBUG
		l->owner = (s32)this_cpu_id();
#endif
		return true;
	}
	preempt_enable();
	return false;
}

static inline void spin_lock(spinlock_t *l)
{
	preempt_disable();
#ifdef SKIFF_DEBUG
	if (unlikely(__atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
		     l->owner == (s32)this_cpu_id()))
		panic("spinlock %s: recursive acquire on cpu %u", l->name, this_cpu_id());
#endif
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) != 0) {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			arch_cpu_relax();
	}
#ifdef SKIFF_DEBUG
	l->owner = (s32)this_cpu_id();
#endif
}

/* Release without the preemption check (the caller does it). */
static inline void __spin_release(spinlock_t *l)
{
#ifdef SKIFF_DEBUG
	if (unlikely(!l->locked || l->owner != (s32)this_cpu_id()))
		panic("spinlock %s: unlock by cpu %u, owner %d", l->name,
		      this_cpu_id(), l->owner);
	l->owner = -1;
#endif
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline void spin_unlock(spinlock_t *l)
{
	__spin_release(l);
	preempt_enable();
}

static inline u64 spin_lock_irqsave(spinlock_t *l)
{
	u64 f = arch_irq_save();
	spin_lock(l);
	return f;
}
/* Interrupts come back on before the preemption check, so a wakeup made
 * under the lock can switch to the woken thread right here. */
static inline void spin_unlock_irqrestore(spinlock_t *l, u64 f)
{
	__spin_release(l);
	arch_irq_restore(f);
	preempt_enable();
}

static inline bool spin_is_locked(spinlock_t *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}

#ifdef SKIFF_DEBUG
#define assert_held(l)                                                        \
	do {                                                                  \
		if (unlikely(!(l)->locked || (l)->owner != (s32)this_cpu_id())) \
			panic("%s: lock %s not held at %s:%d", __func__,       \
			      (l)->name, __FILE__, __LINE__);                 \
	} while (0)
#else
#define assert_held(l) ((void)(l))
#endif

#endif
