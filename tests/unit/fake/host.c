/* Host-side definitions the kernel's pure-logic files expect from the rest of
 * the kernel: printk to stderr, panic aborts (so ASan prints a trace), one
 * CPU. */
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <stdio.h>
#include <stdlib.h>

struct cpu_local host_cpu_local = { .self = &host_cpu_local };
u64 __per_cpu_offset[NR_CPUS];
unsigned nr_cpus_possible = 1, nr_cpus_online = 1;
u64 fake_tsc;

void vprintk(enum log_level lvl, const char *fmt, va_list ap)
{
	fprintf(stderr, "<%d> ", lvl);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}
void printk(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(lvl, fmt, ap);
	va_end(ap);
}
void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "PANIC: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}
bool sched_need_resched(void) { return false; }
void preempt_schedule(void) {}
