/* User space can never crash the kernel: children make random system calls
 * (every number from 0 to 462 except a short list that would reach outside
 * the child, below) with arguments drawn from values that find bugs: NULL,
 * unmapped and kernel addresses, pointers into a page of random bytes and
 * to its last bytes before an unmapped page, non-canonical addresses, -1,
 * huge and small integers, the child's own file descriptors (a file, a
 * directory, a non-blocking pipe, /dev/null, /dev/zero) and paths under a
 * scratch directory. Each child runs for a fixed time, or until a call
 * kills it (a garbage rt_sigreturn frame, a MAP_FIXED over its own code:
 * that is the child's business), when the parent starts the next seed;
 * the parent SIGKILLs whatever runs at the deadline (RUN_MS).
 *
 * The test passes when every child is reaped and the kernel still does the
 * basics afterwards (fork, exec, pipes, files, threads), with exact
 * results. A kernel fault ends the whole run, which the harness reports.
 * Children with odd seeds make the calls from four threads at once, so
 * that calls race on the same descriptors and memory. Reproducible (up to
 * thread interleaving): child i uses seed T_SYSFUZZ_SEED + i (default 1).
 *
 * Excluded, because they act on other processes or on the whole machine
 * (the run is root on both kernels): reboot, kexec_*, kill, tkill, tgkill,
 * rt_(tg)sigqueueinfo, pidfd_send_signal, ptrace, process_vm_readv/writev,
 * the mount family, chroot, pivot_root, settimeofday, clock_settime,
 * adjtimex, clock_adjtime, acct, syslog, vhangup, swapon/swapoff, module
 * calls, sched_setaffinity/setscheduler/setparam/setattr, prlimit64,
 * setpriority, migrate_pages (they take other pids); fork, vfork, clone,
 * clone3, execve, execveat, exit, exit_group (they would end or multiply
 * the child); shmget (segments outlive the child); sync calls are allowed. */
#include "t.h"
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define NR_MAX 463
#define PARALLEL 2
#define RUN_MS 3000
#define CHILD_MS 500 /* a child blocked this long is killed */

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const int denied[] = {
	169,                          /* reboot */
	246, 320,                     /* kexec_load, kexec_file_load */
	62, 200, 234, 129, 297, 424,  /* kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_send_signal */
	101, 310, 311,                /* ptrace, process_vm_readv/writev */
	165, 166, 155, 161,           /* mount, umount2, pivot_root, chroot */
	428, 429, 430, 431, 432, 433, 442, /* open_tree, move_mount, fsopen, fsconfig, fsmount, fspick, mount_setattr */
	164, 227, 159, 305,           /* settimeofday, clock_settime, adjtimex, clock_adjtime */
	163, 103, 153, 167, 168,      /* acct, syslog, vhangup, swapon, swapoff */
	175, 176, 313,                /* init_module, delete_module, finit_module */
	203, 144, 142, 314, 302, 141, 256, /* sched_setaffinity/scheduler/param/attr, prlimit64, setpriority, migrate_pages */
	57, 58, 56, 435, 59, 322, 60, 231, /* fork, vfork, clone, clone3, execve, execveat, exit, exit_group */
	29,                           /* shmget */
	34, 130,                      /* pause, rt_sigsuspend: wait forever */
};

static bool is_denied(int nr)
{
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (denied[i] == nr)
			return true;
	return false;
}

static __thread uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned char *scratch; /* 2 pages of random bytes, then an unmapped page */
static int fds[8];
static int nfds;
/* Everything a call can reach by name or descriptor is the child's own:
 * nothing outside /tmp/sysfuzz but /proc/self/stat (a chmod or rename of
 * /dev/null would break every later test), and its null and zero devices
 * are private nodes (mknod 1:3, 1:5) that the child unlinks at once. */
static const char *paths[] = { "a", "b/c", "dir", "dir/x", "/tmp/sysfuzz/f", ".", "dir/..", "",
			       "/proc/self/stat", "n", "lnk" };

static uint64_t arg(void)
{
	switch (rnd() % 16) {
	case 0: return 0;
	case 1: return (uint64_t)-1;
	case 2: return rnd() % 16;
	case 3: return rnd();
	case 4: return (uint64_t)fds[rnd() % nfds];
	case 5: return (uint64_t)(scratch + (rnd() % 8192));
	case 6: return (uint64_t)(scratch + 8192 - 1 - rnd() % 16); /* runs into the hole */
	case 7: return 0xffffffff80000000ull + (rnd() % 0x1000000); /* kernel text */
	case 8: return 0xffff880000000000ull + (rnd() % 0x10000000); /* direct map region */
	case 9: return 0x0000800000000000ull + rnd() % 4096; /* non-canonical */
	case 10: return 0x1000 + rnd() % 0x10000;      /* unmapped low */
	case 11: return (uint64_t)scratch;
	case 12: {
		/* A path, copied into the scratch page. */
		const char *p = paths[rnd() % (sizeof(paths) / sizeof(paths[0]))];
		unsigned char *d = scratch + 4096 + (rnd() % 1024);
		memcpy(d, p, strlen(p) + 1);
		return (uint64_t)d;
	}
	case 13: return 1ull << (rnd() % 64);
	case 14: return (uint64_t)(int32_t)rnd();
	default: return rnd() % 4096;
	}
}

static void fuzz_loop(unsigned seed, uint64_t stream);

static void *fuzz_thread(void *arg)
{
	uint64_t stream = (uintptr_t)arg;
	fuzz_loop((unsigned)(stream / 16), stream);
	return NULL;
}

static void child(unsigned seed)
{
	rng = 0x9e3779b97f4a7c15ull * (seed + 1);
	/* No way back to the console or the harness: stdio on a private null
	 * device. */
	if (chdir("/tmp/sysfuzz"))
		_exit(3);
	char nn[32], zn[32];
	snprintf(nn, sizeof(nn), "null.%u", seed);
	snprintf(zn, sizeof(zn), "zero.%u", seed);
	if (mknod(nn, S_IFCHR | 0666, makedev(1, 3)) || mknod(zn, S_IFCHR | 0666, makedev(1, 5)))
		_exit(3);
	int nul = open(nn, O_RDWR);
	if (nul < 0)
		_exit(3);
	dup2(nul, 0);
	dup2(nul, 1);
	dup2(nul, 2);
	close(nul);
	/* Nor through descriptors inherited from the harness's shell. */
	syscall(SYS_close_range, 3, ~0u, 0);
	struct rlimit fsz = { 1 << 20, 1 << 20 };
	setrlimit(RLIMIT_FSIZE, &fsz);
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (chdir("/tmp/sysfuzz"))
		_exit(3);
	scratch = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED)
		_exit(3);
	munmap(scratch + 8192, 4096);
	for (int i = 0; i < 8192; i++)
		scratch[i] = (unsigned char)rnd();
	int p[2];
	pipe2(p, O_NONBLOCK);
	fds[nfds++] = p[0];
	fds[nfds++] = p[1];
	fds[nfds++] = open("f", O_RDWR | O_CREAT, 0644);
	fds[nfds++] = open(".", O_RDONLY | O_DIRECTORY);
	fds[nfds++] = open(zn, O_RDONLY);
	fds[nfds++] = open(nn, O_WRONLY);
	unlink(nn);
	unlink(zn);
	fds[nfds++] = 0;
	fds[nfds++] = 12345;
	/* Odd seeds fuzz from four threads at once: calls race on the same
	 * descriptors and memory (a munmap under another thread's read...). */
	if (seed & 1) {
		for (uintptr_t k = 1; k < 4; k++) {
			pthread_t th;
			pthread_create(&th, NULL, fuzz_thread, (void *)(seed * 16 + k));
		}
	}
	fuzz_loop(seed, seed * 16);
}

static void fuzz_loop(unsigned seed, uint64_t stream)
{
	rng = 0x9e3779b97f4a7c15ull * (stream + 1);
	/* The count goes to a shared page the parent reads. */
	_Atomic unsigned long *count = (void *)(uintptr_t)strtoull(getenv("T_SYSFUZZ_COUNT"), NULL, 16);
	for (;;) {
		int nr = (int)(rnd() % NR_MAX);
		if (is_denied(nr))
			continue;
		/* Keep the scratch page's paths and bytes fresh. */
		if ((rnd() & 63) == 0)
			for (int i = 0; i < 4096; i++)
				scratch[i] = (unsigned char)rnd();
		syscall(nr, arg(), arg(), arg(), arg(), arg(), arg());
		count[seed % 512]++;
	}
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void *thread_fn(void *arg)
{
	return (void *)((uintptr_t)arg * 2);
}

int main(void)
{
	unsigned base = 1;
	const char *s = getenv("T_SYSFUZZ_SEED");
	if (s)
		base = (unsigned)atoi(s);
	mkdir("/tmp/sysfuzz", 0755);
	_Atomic unsigned long *count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK_OK(count);
	char env[32];
	snprintf(env, sizeof(env), "%lx", (unsigned long)(uintptr_t)count);
	setenv("T_SYSFUZZ_COUNT", env, 1);

	/* PARALLEL slots; each starts a new child (next seed) whenever its
	 * child dies, until RUN_MS; a child still running at the end is
	 * SIGKILLed. */
	unsigned long total = 0;
	int started = 0, reaped = 0, by_signal[65] = { 0 }, exited = 0;
	pid_t slot[PARALLEL] = { 0 };
	uint64_t since[PARALLEL] = { 0 };
	unsigned next = base;
	uint64_t t0 = mono_ms();
	for (;;) {
		bool over = mono_ms() - t0 >= RUN_MS;
		for (int k = 0; k < PARALLEL && !over; k++) {
			if (slot[k])
				continue;
			unsigned seed = next++;
			count[seed % 512] = 0;
			pid_t c = fork();
			if (c == 0)
				child(seed);
			if (c > 0) {
				slot[k] = c;
				since[k] = mono_ms();
				started++;
			}
		}
		for (int k = 0; k < PARALLEL; k++)
			if (slot[k] && (over || mono_ms() - since[k] >= CHILD_MS))
				kill(slot[k], SIGKILL);
		int st;
		pid_t w = waitpid(-1, &st, WNOHANG);
		if (w < 0)
			break;
		if (w == 0) {
			struct timespec ts = { 0, 5000000 };
			nanosleep(&ts, NULL);
			continue;
		}
		for (int k = 0; k < PARALLEL; k++)
			if (slot[k] == w)
				slot[k] = 0;
		reaped++;
		if (WIFSIGNALED(st))
			by_signal[WTERMSIG(st) & 63]++;
		else
			exited++;
	}
	for (unsigned sd = base; sd < next; sd++)
		total += count[sd % 512];
	printf("%s: seeds %u-%u: %lu random calls in %d children; ended by SIGSEGV %d, SIGBUS %d, "
	       "SIGKILL (blocked or deadline) %d, other signals %d, exit %d\n",
	       program_invocation_short_name, base, next - 1, total, reaped, by_signal[SIGSEGV],
	       by_signal[SIGBUS], by_signal[SIGKILL],
	       reaped - exited - by_signal[SIGSEGV] - by_signal[SIGBUS] - by_signal[SIGKILL], exited);
	CHECK_RET(reaped, started, 0);
	CHECK(total > 1000);
	nftw("/tmp/sysfuzz", rm_entry, 16, FTW_DEPTH | FTW_PHYS);

	/* The kernel still does the basics, exactly. */
	int p[2], st;
	pid_t c;
	CHECK_RET(pipe(p), 0, 0);
	c = fork();
	if (c == 0) {
		dup2(p[1], 3);
		execl("/bin/sh", "sh", "-c", "echo alive >&3", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[16] = { 0 };
	CHECK_RET(read(p[0], buf, sizeof(buf)), 6, 0);
	CHECK(strcmp(buf, "alive\n") == 0);
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
	pthread_t th;
	void *ret;
	CHECK_RET(pthread_create(&th, NULL, thread_fn, (void *)21), 0, 0);
	CHECK_RET(pthread_join(th, &ret), 0, 0);
	CHECK(ret == (void *)42);
	int fd = open("/tmp/sysfuzz-after", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK_OK(fd);
	CHECK_RET(write(fd, "12345", 5), 5, 0);
	CHECK_RET(pread(fd, buf, 5, 0), 5, 0);
	CHECK(memcmp(buf, "12345", 5) == 0);
	close(fd);
	CHECK_RET(unlink("/tmp/sysfuzz-after"), 0, 0);
	return t_done();
}
