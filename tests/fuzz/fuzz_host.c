/* What the fuzzed kernel code expects from the rest of the kernel, for the
 * fuzzer build (like tests/unit/fake/host.c, but quiet: set FUZZ_VERBOSE=1
 * to see the kernel's log lines). panic() aborts, which libFuzzer reports. */
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <stdio.h>
#include <stdlib.h>

struct cpu_local host_cpu_local = { .self = &host_cpu_local };
u64 __per_cpu_offset[NR_CPUS];

static int verbose = -1;
void vprintk(enum log_level lvl, const char *fmt, va_list ap)
{
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (!verbose)
		return;
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
