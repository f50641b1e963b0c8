/* Basic process facts: write, ids, uname, hostname, sysinfo, getrandom,
 * clocks, the auxiliary vector, arch_prctl, prctl names, ENOSYS, EFAULT. */
#include "t.h"
#include <asm/prctl.h>
#include <elf.h>
#include <linux/random.h>
#include <pthread.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/utsname.h>

static void t_write(void)
{
	static const char msg[] = "t_basic: hello from write(2)\n";
	CHECK_RET(write(1, msg, sizeof(msg) - 1), sizeof(msg) - 1, 0);
	CHECK_RET(write(1, msg, 0), 0, 0);
	CHECK_RET(write(1, BAD_PTR(1), 10), -1, EFAULT);
	CHECK_RET(write(-1, msg, 1), -1, EBADF);
	CHECK_RET(write(1000, msg, 1), -1, EBADF);
	int p[2];
	CHECK_RET(pipe(p), 0, 0);
	CHECK_RET(write(p[1], BAD_PTR(1), 10), -1, EFAULT);
	CHECK_RET(write(p[1], "ab", 2), 2, 0);
	char buf[4];
	CHECK_RET(read(p[0], BAD_PTR(8), 2), -1, EFAULT);
	CHECK_RET(read(p[0], buf, sizeof(buf)), 2, 0);
	close(p[0]);
	close(p[1]);
}

static void t_ids(void)
{
	pid_t pid = getpid();
	CHECK(pid > 0);
	CHECK_EQ(syscall(SYS_getpid), pid);
	CHECK_EQ(gettid(), pid); /* the main thread's tid is the pid */
	CHECK(getppid() > 0);
	CHECK(getppid() != pid);
	CHECK_EQ(getuid(), 0);
	CHECK_EQ(geteuid(), 0);
	CHECK_EQ(getgid(), 0);
	CHECK_EQ(getegid(), 0);
	uid_t r, e, s;
	CHECK_RET(getresuid(&r, &e, &s), 0, 0);
	CHECK(r == 0 && e == 0 && s == 0);

	int p[2];
	CHECK_RET(pipe(p), 0, 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		pid_t v[3] = { getpid(), getppid(), gettid() };
		_exit(write(p[1], v, sizeof(v)) == sizeof(v) ? 0 : 1);
	}
	CHECK(c > 0);
	pid_t v[3] = { 0 };
	CHECK_RET(read(p[0], v, sizeof(v)), sizeof(v), 0);
	CHECK_EQ(v[0], c);
	CHECK_EQ(v[1], pid);
	CHECK_EQ(v[2], c);
	int st;
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 0);
	close(p[0]);
	close(p[1]);
}

static void t_uname(void)
{
	struct utsname u;
	CHECK_RET(uname(&u), 0, 0);
	CHECK_STR(u.sysname, "Linux");
	CHECK_STR(u.machine, "x86_64");
	int major = 0, minor = 0;
	CHECK_EQ(sscanf(u.release, "%d.%d", &major, &minor), 2);
	CHECK(major > 5 || (major == 5 && minor >= 16));
	CHECK(u.version[0] != 0);
	CHECK_RET(syscall(SYS_uname, BAD_PTR(1)), -1, EFAULT);

	/* sethostname is seen by uname and gethostname; restore afterwards. */
	char old[65] = { 0 }, now[65] = { 0 };
	CHECK_RET(gethostname(old, sizeof(old) - 1), 0, 0);
	CHECK_STR(u.nodename, old);
	CHECK_RET(sethostname("skiff-test", 10), 0, 0);
	CHECK_RET(uname(&u), 0, 0);
	CHECK_STR(u.nodename, "skiff-test");
	CHECK_RET(gethostname(now, sizeof(now) - 1), 0, 0);
	CHECK_STR(now, "skiff-test");
	static const char long_name[80] = "x";
	CHECK_RET(sethostname(long_name, 65), -1, EINVAL); /* longer than __NEW_UTS_LEN */
	CHECK_RET(sethostname(old, strlen(old)), 0, 0);
}

static void t_sysinfo(void)
{
	struct sysinfo si;
	CHECK_RET(sysinfo(&si), 0, 0);
	CHECK(si.mem_unit >= 1);
	CHECK(si.totalram > 0);
	CHECK(si.freeram > 0 && si.freeram <= si.totalram);
	CHECK(si.procs >= 1);
	CHECK(si.uptime >= 0);
	CHECK(si.uptime <= t_now_ns(CLOCK_BOOTTIME) / 1000000000 + 1);
	CHECK_RET(syscall(SYS_sysinfo, BAD_PTR(1)), -1, EFAULT);
}

static void t_getrandom(void)
{
	unsigned char a[64], b[64], z[64] = { 0 };
	CHECK_RET(getrandom(a, sizeof(a), 0), 64, 0);
	CHECK_RET(getrandom(b, sizeof(b), GRND_NONBLOCK), 64, 0);
	CHECK(memcmp(a, b, 64) != 0);
	CHECK(memcmp(a, z, 64) != 0);
	CHECK_RET(getrandom(a, 0, 0), 0, 0);
	CHECK_RET(getrandom(BAD_PTR(1), 16, 0), -1, EFAULT);
	CHECK_RET(getrandom(a, 16, 0x100), -1, EINVAL);
	CHECK_RET(getrandom(a, 16, GRND_RANDOM | GRND_INSECURE), -1, EINVAL);
	CHECK_RET(getrandom(a, 16, GRND_INSECURE), 16, 0);
	/* One call returns at most 32 MiB - 1 bytes... for a short buffer, all of it. */
	static unsigned char big[4096 * 3];
	CHECK_RET(getrandom(big, sizeof(big), 0), sizeof(big), 0);
}

static void t_clocks(void)
{
	struct timespec a, b, res;
	CHECK_RET(clock_gettime(CLOCK_MONOTONIC, &a), 0, 0);
	int mono_ok = 1;
	for (int i = 0; i < 2000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (b.tv_sec < a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec < a.tv_nsec))
			mono_ok = 0;
		if (b.tv_nsec < 0 || b.tv_nsec >= 1000000000)
			mono_ok = 0;
		a = b;
	}
	CHECK(mono_ok);
	long long t0 = t_now_ns(CLOCK_MONOTONIC);
	t_sleep_ms(20);
	long long t1 = t_now_ns(CLOCK_MONOTONIC);
	CHECK(t1 - t0 >= 20000000LL);
	CHECK(t1 - t0 < 5000000000LL);
	CHECK(t_now_ns(CLOCK_BOOTTIME) >= t_now_ns(CLOCK_MONOTONIC) - 1000000);
	CHECK_RET(clock_getres(CLOCK_MONOTONIC, &res), 0, 0);
	CHECK(res.tv_sec == 0 && res.tv_nsec == 1);
	CHECK_RET(clock_getres(CLOCK_REALTIME, &res), 0, 0);
	CHECK(res.tv_sec == 0 && res.tv_nsec == 1);
	CHECK_RET(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a), 0, 0);
	CHECK_RET(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a), 0, 0);
	CHECK(a.tv_sec > 0 || a.tv_nsec > 0);
	/* Straight to the kernel: the vDSO would fault instead of EFAULT. */
	CHECK_RET(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD_PTR(1)), -1, EFAULT);
	CHECK_RET(syscall(SYS_clock_gettime, 1000, &a), -1, EINVAL);
	CHECK_RET(syscall(SYS_clock_getres, 1000, &a), -1, EINVAL);
	CHECK_RET(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a), 0, 0);
	CHECK_RET(syscall(SYS_clock_settime, CLOCK_MONOTONIC, &a), -1, EINVAL);

	/* gettimeofday lies between two CLOCK_REALTIME readings. */
	struct timeval tv;
	long long r0 = t_now_ns(CLOCK_REALTIME);
	CHECK_RET(gettimeofday(&tv, NULL), 0, 0);
	long long r1 = t_now_ns(CLOCK_REALTIME);
	long long us = tv.tv_sec * 1000000LL + tv.tv_usec;
	CHECK(us >= r0 / 1000 && us <= r1 / 1000);
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	CHECK(tv.tv_sec > 1600000000); /* the RTC gave a real date */
	CHECK_RET(syscall(SYS_gettimeofday, &tv, NULL), 0, 0);
	CHECK_RET(syscall(SYS_gettimeofday, BAD_PTR(1), NULL), -1, EFAULT);
	time_t t = time(NULL);
	CHECK(t >= r0 / 1000000000 && t <= t_now_ns(CLOCK_REALTIME) / 1000000000);
	CHECK_EQ(syscall(SYS_time, NULL) >= t, 1);
}

static void t_auxv(void)
{
	CHECK_EQ(getauxval(AT_PAGESZ), 4096);
	CHECK_EQ(sysconf(_SC_PAGESIZE), 4096);
	CHECK_EQ(getauxval(AT_SECURE), 0);
	CHECK_EQ(getauxval(AT_UID), 0);
	CHECK_EQ(getauxval(AT_EUID), 0);
	CHECK_EQ(getauxval(AT_GID), 0);
	CHECK_EQ(getauxval(AT_EGID), 0);
	CHECK_EQ(getauxval(AT_CLKTCK), 100);
	CHECK(getauxval(AT_PHDR) != 0);
	CHECK_EQ(getauxval(AT_PHENT), sizeof(Elf64_Phdr));
	CHECK(getauxval(AT_PHNUM) > 0);
	CHECK(getauxval(AT_ENTRY) != 0);
	CHECK(getauxval(AT_HWCAP) != 0);
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	CHECK(rnd != NULL);
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	CHECK(execfn != NULL);
	if (execfn) {
		const char *base = strrchr(execfn, '/');
		CHECK_STR(base ? base + 1 : execfn, program_invocation_short_name);
	}
	const char *plat = (const char *)getauxval(AT_PLATFORM);
	CHECK_STR(plat, "x86_64");
	/* The vDSO is an ELF image. */
	const unsigned char *vdso = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	CHECK(vdso != NULL);
	if (vdso)
		CHECK(memcmp(vdso, ELFMAG, SELFMAG) == 0);
}

static void t_arch_prctl(void)
{
	unsigned long fs = 0, self = 0, gs = 1;
	CHECK_RET(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0, 0);
	CHECK_EQ(fs, (unsigned long)pthread_self());
	__asm__ volatile("mov %%fs:0, %0" : "=r"(self));
	CHECK_EQ(self, fs); /* the TCB points at itself */
	CHECK_RET(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0, 0);
	CHECK_EQ(gs, 0);
	CHECK_RET(syscall(SYS_arch_prctl, ARCH_GET_FS, BAD_PTR(1)), -1, EFAULT);
	CHECK_RET(syscall(SYS_arch_prctl, 0x1fff, &fs), -1, EINVAL);
	/* Setting FS to its own value keeps everything working. */
	CHECK_RET(syscall(SYS_arch_prctl, ARCH_SET_FS, fs), 0, 0);
	CHECK_RET(syscall(SYS_arch_prctl, ARCH_SET_FS, 0x800000000000UL), -1, EPERM);
	unsigned long fs2 = 0;
	CHECK_RET(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs2), 0, 0);
	CHECK_EQ(fs2, fs);
}

static void t_prctl(void)
{
	char name[32] = { 0 };
	CHECK_RET(prctl(PR_SET_NAME, "skiff-worker"), 0, 0);
	CHECK_RET(prctl(PR_GET_NAME, name), 0, 0);
	CHECK_STR(name, "skiff-worker");
	CHECK_RET(prctl(PR_SET_NAME, "0123456789abcdefXYZ"), 0, 0);
	memset(name, 'x', sizeof(name));
	CHECK_RET(prctl(PR_GET_NAME, name), 0, 0);
	CHECK_STR(name, "0123456789abcde"); /* TASK_COMM_LEN 16, NUL included */
	CHECK_RET(prctl(PR_SET_NAME, BAD_PTR(1)), -1, EFAULT);
	CHECK_RET(prctl(PR_SET_NAME, program_invocation_short_name), 0, 0);
	CHECK_RET(prctl(PR_GET_DUMPABLE), 1, 0);
	int sig = -1;
	CHECK_RET(prctl(PR_GET_PDEATHSIG, &sig), 0, 0);
	CHECK_EQ(sig, 0);
	CHECK_RET(prctl(PR_SET_PDEATHSIG, SIGUSR1), 0, 0);
	CHECK_RET(prctl(PR_GET_PDEATHSIG, &sig), 0, 0);
	CHECK_EQ(sig, SIGUSR1);
	CHECK_RET(prctl(PR_SET_PDEATHSIG, 0), 0, 0);
	CHECK_RET(prctl(PR_SET_PDEATHSIG, 65), -1, EINVAL);
	CHECK_RET(prctl(9999), -1, EINVAL);
}

static void t_misc(void)
{
	CHECK_RET(syscall(1000), -1, ENOSYS);
	CHECK_RET(syscall(335), -1, ENOSYS); /* a hole in the x86_64 table */
	CHECK_RET(syscall(-1L), -1, ENOSYS);
	CHECK_EQ(umask(022), 022);
	CHECK_EQ(umask(022), 022);
	cpu_set_t set;
	CPU_ZERO(&set);
	CHECK_RET(sched_getaffinity(0, sizeof(set), &set), 0, 0);
	CHECK_EQ(sysconf(_SC_NPROCESSORS_ONLN), CPU_COUNT(&set));
	int cpu = sched_getcpu();
	CHECK(cpu >= 0 && CPU_ISSET(cpu, &set));
	unsigned c = 99, n = 99;
	CHECK_RET(syscall(SYS_getcpu, &c, &n, NULL), 0, 0);
	CHECK(c < CPU_SETSIZE && CPU_ISSET(c, &set));
	CHECK_EQ(n, 0);
	CHECK_RET(sched_yield(), 0, 0);
}

int main(void)
{
	t_write();
	t_ids();
	t_uname();
	t_sysinfo();
	t_getrandom();
	t_clocks();
	t_auxv();
	t_arch_prctl();
	t_prctl();
	t_misc();
	return t_done();
}
