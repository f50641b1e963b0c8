/* Inter-processor interrupts: reschedule, cross-CPU function calls, TLB
 * shootdown, and the NMI that stops every other CPU on panic.
 *
 * Vectors (arch/trap.h): VEC_RESCHEDULE has no work of its own (the
 * interrupt return path in traps.c is the preemption point), VEC_CALL_FUNCTION
 * drains the target's call queue, VEC_TLB_SHOOTDOWN flushes the request in
 * the shootdown mailbox, NMI (vector 2) halts when smp_stopping is set.
 * IPIs go only to CPUs in cpu_ipi_mask (IDT and LAPIC ready), never by
 * shorthand, so a CPU in the middle of bring-up is never hit (except by the
 * panic NMI, which uses the all-but-self shorthand on purpose).
 *
 * Deadlock rules (a CPU spinning with interrupts off cannot serve an IPI):
 *   [W] smp_call_function_*() with wait=true must be called with interrupts
 *       enabled (asserted): two CPUs waiting on each other with interrupts
 *       off would never run each other's function. wait=false may be used
 *       from any context but NMI.
 *   [T] tlb_shootdown() may be called with interrupts off: while it waits
 *       for the mailbox lock it serves the mailbox itself, so two
 *       initiators cannot deadlock. It must NOT be called while holding a
 *       spinlock that another CPU may be spinning on with interrupts off
 *       (that CPU cannot acknowledge); debug builds warn once when it is
 *       called with interrupts off and preemption disabled.
 *
 * Memory ordering:
 *   [Q] a call entry is fully written before it is linked under the queue
 *       lock, and the IPI is sent after the unlock; the target takes the same
 *       lock to unlink. entry->done is stored with release after fn returned
 *       and after the target's last access to the entry; the waiter loads it
 *       with acquire and may then reuse the entry (it lives on its stack).
 *   [C] cpu_cr3[c] is what CPU c has loaded; it writes the entry before
 *       loading CR3 (a serializing instruction: no TLB fill of the new
 *       root happens before the store is visible). An initiator changes
 *       the page tables, then a full fence, then reads cpu_cr3: either it
 *       sees a CPU on its root and sends it the IPI, or that CPU loads the
 *       root after the change and walks the new tables (the fences on
 *       both sides exclude that neither sees the other's write).
 *   [S] the shootdown initiator writes cr3/va/npages, then stores the target
 *       mask with release; a target loads the mask with acquire, flushes,
 *       then clears its bit (release). Parameters change only while the
 *       mailbox lock is held and after every bit is clear, i.e. after every
 *       target has finished reading them. */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/trap.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/smp.h>
#include <skiff/spinlock.h>
#include "smpboot.h"

u64 ipi_sent[NR_CPUS];  /* [a] IPIs sent, indexed by the sending CPU */
u64 cpu_ipi_mask;       /* [a] see smpboot.h */

static void send_ipi(unsigned cpu, u8 vector)
{
	__atomic_fetch_add(&ipi_sent[this_cpu_id()], 1, __ATOMIC_RELAXED);
	lapic_send_ipi(cpu_apic_id[cpu], vector);
}

static bool ipi_ready(unsigned cpu)
{
	return cpu < NR_CPUS && (__atomic_load_n(&cpu_ipi_mask, __ATOMIC_ACQUIRE) & (1ull << cpu));
}

void smp_cpu_ipi_ready(unsigned cpu)
{
	__atomic_fetch_or(&cpu_ipi_mask, 1ull << cpu, __ATOMIC_SEQ_CST);
}

/* ---- reschedule ---- */

void smp_send_reschedule(unsigned cpu)
{
	if (ipi_ready(cpu))
		send_ipi(cpu, VEC_RESCHEDULE);
}

static void resched_irq(struct trap_frame *tf, void *arg)
{
	/* Nothing: trap_dispatch checks need_resched on the way out. */
}

/* ---- function calls ---- */

struct call_entry {
	struct call_entry *next;   /* [q] */
	void (*fn)(void *);        /* [I] */
	void *arg;                 /* [I] */
	bool heap;                 /* [I] kmalloc'ed: the target frees it */
	u32 done;                  /* [a] on-stack entries: fn has returned */
};

static struct call_queue {
	spinlock_t lock;
	struct call_entry *head;   /* [q] */
	struct call_entry *tail;   /* [q] */
} call_queues[NR_CPUS];

static void queue_call(unsigned cpu, struct call_entry *e)
{
	struct call_queue *q = &call_queues[cpu];
	u64 f = spin_lock_irqsave(&q->lock);

	e->next = NULL; /* [Q] */
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	spin_unlock_irqrestore(&q->lock, f);
	send_ipi(cpu, VEC_CALL_FUNCTION);
}

static void call_function_irq(struct trap_frame *tf, void *arg)
{
	struct call_queue *q = &call_queues[this_cpu_id()];
	struct call_entry *e, *next;

	spin_lock(&q->lock);
	e = q->head;
	q->head = q->tail = NULL;
	spin_unlock(&q->lock);
	for (; e; e = next) {
		next = e->next; /* before done: the waiter may reuse e at once */
		e->fn(e->arg);
		if (e->heap)
			kfree(e);
		else
			__atomic_store_n(&e->done, 1, __ATOMIC_RELEASE); /* [Q] */
	}
}

static void wait_done(struct call_entry *e)
{
	while (!__atomic_load_n(&e->done, __ATOMIC_ACQUIRE)) /* [Q] */
		arch_cpu_relax();
}

/* An entry for a call nobody waits for, or NULL. */
static struct call_entry *heap_entry(void (*fn)(void *), void *arg)
{
	struct call_entry *e = kmalloc(sizeof(*e));

	if (e)
		*e = (struct call_entry){ .fn = fn, .arg = arg, .heap = true };
	return e;
}

void smp_call_function_single(unsigned cpu, void (*fn)(void *), void *arg, bool wait)
{
	struct call_entry local = { .fn = fn, .arg = arg }, *e = &local;

	preempt_disable();
	if (cpu == this_cpu_id()) {
		u64 f = arch_irq_save();
		fn(arg);
		arch_irq_restore(f);
		goto out;
	}
	if (!ipi_ready(cpu)) {
		pr_warn("smp: call to CPU %u, which is not online, dropped", cpu);
		goto out;
	}
	if (!wait && !(e = heap_entry(fn, arg))) {
		if (!arch_irqs_enabled()) {
			pr_err("smp: out of memory for a call to CPU %u; dropped", cpu);
			goto out;
		}
		e = &local; /* fall back to waiting */
		wait = true;
	}
	assert(!wait || arch_irqs_enabled()); /* [W] */
	queue_call(cpu, e);
	if (wait)
		wait_done(e);
out:
	preempt_enable();
}

void smp_call_function_others(void (*fn)(void *), void *arg, bool wait)
{
	struct call_entry local[NR_CPUS];
	u64 targets, waiting = 0;

	preempt_disable();
	assert(!wait || arch_irqs_enabled()); /* [W] */
	targets = __atomic_load_n(&cpu_ipi_mask, __ATOMIC_ACQUIRE) & ~(1ull << this_cpu_id());
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		struct call_entry *e = NULL;

		if (!(targets & (1ull << cpu)))
			continue;
		if (!wait)
			e = heap_entry(fn, arg);
		if (!e) {
			if (!wait && !arch_irqs_enabled()) {
				pr_err("smp: out of memory for a call to CPU %u; dropped", cpu);
				continue;
			}
			local[cpu] = (struct call_entry){ .fn = fn, .arg = arg };
			e = &local[cpu];
			waiting |= 1ull << cpu;
		}
		queue_call(cpu, e);
	}
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		if (waiting & (1ull << cpu))
			wait_done(&local[cpu]);
	preempt_enable();
}

/* ---- TLB shootdown ---- */

#define FLUSH_ALL_PAGES 32 /* above this, flush everything instead of invlpg */

static struct {
	u32 lock;     /* [a] 1 while an initiator owns the mailbox */
	u64 cr3;      /* [S] */
	u64 va;       /* [S] */
	u64 npages;   /* [S] */
	u64 pending;  /* [a] CPUs that still have to flush */
} shoot;

static u64 cpu_cr3[NR_CPUS]; /* [C] root each CPU has loaded (0: not yet noted) */

void tlb_switch_cr3(u64 cr3)
{
	__atomic_store_n(&cpu_cr3[this_cpu_id()], cr3 & PTE_ADDR, __ATOMIC_RELAXED); /* [C] */
	arch_write_cr3(cr3);
}

static void flush_everything(bool global)
{
	u64 cr4;

	if (!global) {
		arch_write_cr3(arch_read_cr3());
		return;
	}
	/* Toggling CR4.PGE drops global entries too (SDM 4.10.4.1). */
	__asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
	__asm__ __volatile__("mov %0, %%cr4" ::"r"(cr4 & ~(1ull << 7)) : "memory");
	__asm__ __volatile__("mov %0, %%cr4" ::"r"(cr4) : "memory");
}

/* Flush [va, va+npages) from this CPU's TLB if it runs address space cr3
 * (0: kernel mappings, on every CPU). A CPU not running cr3 holds no
 * entries for it: without PCIDs, loading CR3 drops all non-global entries. */
static void flush_local(u64 cr3, u64 va, u64 npages)
{
	if (cr3 && (arch_read_cr3() & PTE_ADDR) != (cr3 & PTE_ADDR))
		return;
	if (npages > FLUSH_ALL_PAGES) {
		flush_everything(cr3 == 0);
		return;
	}
	for (u64 i = 0; i < npages; i++)
		arch_invlpg(va + i * PAGE_SIZE);
}

/* Serve the mailbox if it holds a request for this CPU. Interrupts off. */
static void shoot_serve(void)
{
	u64 bit = 1ull << this_cpu_id();

	if (__atomic_load_n(&shoot.pending, __ATOMIC_ACQUIRE) & bit) { /* [S] */
		flush_local(shoot.cr3, shoot.va, shoot.npages);
		__atomic_fetch_and(&shoot.pending, ~bit, __ATOMIC_RELEASE);
	}
}

static void tlb_irq(struct trap_frame *tf, void *arg)
{
	shoot_serve();
}

void tlb_shootdown(u64 cr3, u64 va, u64 npages)
{
	u64 f = arch_irq_save(), targets;

#ifdef SKIFF_DEBUG
	if (!(f & (1 << 9)) && this_cpu_local()->preempt_count > 0 && !this_cpu_local()->in_irq &&
	    __atomic_load_n(&nr_cpus_online, __ATOMIC_RELAXED) > 1)
		pr_warn_once("tlb_shootdown: called with interrupts off while holding a lock "
			     "(deadlock risk, see arch/x86_64/ipi.c [T]) from %p",
			     __builtin_return_address(0));
#endif
	flush_local(cr3, va, npages);
	targets = __atomic_load_n(&cpu_ipi_mask, __ATOMIC_ACQUIRE) & ~(1ull << this_cpu_id());
	if (cr3) {
		/* A user address space: only the CPUs that have it loaded. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST); /* [C] */
		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
			if ((targets & (1ull << cpu)) &&
			    __atomic_load_n(&cpu_cr3[cpu], __ATOMIC_RELAXED) != (cr3 & PTE_ADDR))
				targets &= ~(1ull << cpu);
	}
	if (!targets) {
		arch_irq_restore(f);
		return;
	}
	while (__atomic_exchange_n(&shoot.lock, 1, __ATOMIC_ACQUIRE)) { /* [T] */
		shoot_serve();
		arch_cpu_relax();
	}
	shoot.cr3 = cr3;
	shoot.va = va;
	shoot.npages = npages;
	__atomic_store_n(&shoot.pending, targets, __ATOMIC_RELEASE); /* [S] */
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		if (targets & (1ull << cpu))
			send_ipi(cpu, VEC_TLB_SHOOTDOWN);
	while (__atomic_load_n(&shoot.pending, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
	__atomic_store_n(&shoot.lock, 0, __ATOMIC_RELEASE);
	arch_irq_restore(f);
}

/* ---- stopping on panic ---- */

static u32 smp_stopping;  /* [a] set once by smp_stop_others */
static u32 cpus_stopped;  /* [a] CPUs parked by the NMI */

/* NMI handler (runs on the NMI IST stack; further NMIs are blocked until
 * iret, so a CPU parked here stays parked). */
static void nmi_handler(struct trap_frame *tf)
{
	if (__atomic_load_n(&smp_stopping, __ATOMIC_ACQUIRE)) {
		__atomic_fetch_add(&cpus_stopped, 1, __ATOMIC_SEQ_CST);
		for (;;) {
			arch_irq_disable();
			arch_halt();
		}
	}
	/* QEMU's "nmi" monitor command, a watchdog...: report and continue.
	 * (printk could spin if this CPU was interrupted holding its lock;
	 * acceptable for a once-only diagnostic.) */
	pr_warn_once("NMI on CPU %u for no known reason (rip %#llx); ignored", this_cpu_id(),
		     (unsigned long long)tf->rip);
}

/* panic(): park every other CPU. Interrupts are off. Waits (bounded, without
 * the clock, which may be what broke) until the others report parked. */
void smp_stop_others(void)
{
	u64 others = __atomic_load_n(&cpu_ipi_mask, __ATOMIC_ACQUIRE) & ~(1ull << this_cpu_id());
	u32 n = 0;

	for (u64 m = others; m; m &= m - 1) /* popcount (libgcc's is not linked) */
		n++;

	if (!n)
		return;
	__atomic_store_n(&smp_stopping, 1, __ATOMIC_SEQ_CST);
	lapic_send_nmi_others();
	for (u64 spins = 0; spins < 100000000 && __atomic_load_n(&cpus_stopped, __ATOMIC_ACQUIRE) < n; spins++)
		arch_cpu_relax();
}

void smp_ipi_init(void)
{
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		spin_init(&call_queues[cpu].lock, "call_queue");
	irq_set_handler(VEC_RESCHEDULE, resched_irq, NULL);
	irq_set_handler(VEC_CALL_FUNCTION, call_function_irq, NULL);
	irq_set_handler(VEC_TLB_SHOOTDOWN, tlb_irq, NULL);
	nmi_hook = nmi_handler;
	smp_cpu_ipi_ready(0);
}
