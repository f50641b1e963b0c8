/* TLB shootdown for user address spaces, seen from a thread on the other
 * vCPU (threads pinned to CPU 0 and CPU 1): once mprotect, munmap+MAP_FIXED
 * or fork (copy-on-write) has returned on one CPU, a thread on the other
 * never uses the old translation: after mprotect(PROT_NONE) its next load
 * faults; after the page is replaced it reads the new page; after fork a
 * write to a private page lands in the parent's new copy, never in the page
 * the child still shares (a stale writable entry would change the child's
 * memory). */
#include "t.h"
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>

static volatile int *page;
static _Atomic int done, stale, faulted, started;
static sigjmp_buf jb;
static __thread int in_reader;

static void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void on_segv(int sig)
{
	(void)sig;
	if (in_reader)
		siglongjmp(jb, 1);
	_exit(99);
}

/* Phase 1: loads until a fault; a load that succeeds after it read done
 * is stale. */
static void *reader_prot(void *arg)
{
	(void)arg;
	pin(1);
	in_reader = 1;
	if (sigsetjmp(jb, 1)) {
		faulted = 1;
		return NULL;
	}
	started = 1;
	for (;;) {
		int d = done;
		(void)*page;
		if (d) {
			stale++;
			if (stale > 1000)
				return NULL;
		}
	}
}

/* Phase 2: reads until it sees the new page's value; reading the old value
 * after done was set is stale. */
static void *reader_remap(void *arg)
{
	(void)arg;
	pin(1);
	started = 1;
	for (;;) {
		int d = done;
		int v = *page;
		if (v == 2)
			return NULL;
		if (d && ++stale > 1000)
			return NULL;
	}
}

/* Phase 3: keeps writing an increasing counter into the private page. */
static void *writer(void *arg)
{
	(void)arg;
	pin(1);
	started = 1;
	for (int i = 1; !done; i++)
		page[0] = i;
	return NULL;
}

int main(void)
{
	pthread_t th;
	struct sigaction sa = { .sa_handler = on_segv };
	sigaction(SIGSEGV, &sa, NULL);
	pin(0);

	for (int round = 0; round < 20; round++) {
		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		page[0] = 1;
		started = done = stale = faulted = 0;
		pthread_create(&th, NULL, reader_prot, NULL);
		while (!started)
			;
		mprotect((void *)page, 4096, PROT_NONE);
		done = 1;
		pthread_join(th, NULL);
		if (!faulted || stale) {
			printf("FAIL round %d mprotect: faulted %d, stale loads %d\n", round, faulted, stale);
			t_fail++;
		} else {
			t_pass++;
		}
		munmap((void *)page, 4096);

		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		page[0] = 1;
		started = done = stale = 0;
		pthread_create(&th, NULL, reader_remap, NULL);
		while (!started)
			;
		int *fresh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		fresh[0] = 2;
		/* Move the new page over the old one (the old one is unmapped). */
		CHECK(mremap(fresh, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)page) == (void *)page);
		done = 1;
		pthread_join(th, NULL);
		if (stale) {
			printf("FAIL round %d remap: %d stale loads\n", round, stale);
			t_fail++;
		} else {
			t_pass++;
		}
		munmap((void *)page, 4096);

		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		page[0] = 0;
		started = done = 0;
		pthread_create(&th, NULL, writer, NULL);
		while (!started)
			;
		pid_t c = fork();
		if (c == 0) {
			int v1 = page[0];
			struct timespec ts = { 0, 20000000 };
			nanosleep(&ts, NULL);
			_exit(page[0] != v1 ? 1 : 0);
		}
		int st;
		waitpid(c, &st, 0);
		done = 1;
		pthread_join(th, NULL);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("FAIL round %d fork: the child's copy changed (status %#x)\n", round, st);
			t_fail++;
		} else {
			t_pass++;
		}
		munmap((void *)page, 4096);
	}
	return t_done();
}
