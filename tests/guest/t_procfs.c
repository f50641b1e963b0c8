/* /proc, /sys and /dev as programs read them: /proc/self/{exe,maps,stat,
 * status,cmdline,comm,fd,task}, /proc/<pid>/stat of a sleeping, stopped
 * and zombie child, /proc/{cpuinfo,meminfo,uptime,mounts,stat,version,
 * loadavg}, /proc/sys/kernel, /sys/devices/system/cpu/online, and the
 * semantics of /dev/null, /dev/zero, /dev/full, /dev/urandom, /dev/random. */
#include "t.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>

static int g_argc;
static char **g_argv;

/* The whole of a (small) file, NUL-terminated; returns its length or -1. */
static long slurp(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t got = 0;
	ssize_t r;
	while (got + 1 < n && (r = read(fd, buf + got, n - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = 0;
	close(fd);
	return (long)got;
}

/* The value after "Key:" on a line of buf (whitespace skipped), copied. */
static const char *field(const char *buf, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	for (const char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, key, kl) && l[kl] == ':') {
			const char *v = l + kl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t i = 0;
			while (v[i] && v[i] != '\n' && i + 1 < n) {
				out[i] = v[i];
				i++;
			}
			out[i] = 0;
			return out;
		}
	}
	return NULL;
}

static void t_self(void)
{
	static char buf[65536];
	char exe[PATH_MAX], want[PATH_MAX];

	/* exe: the absolute path of the running program. */
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(n > 0);
	exe[n > 0 ? n : 0] = 0;
	CHECK(realpath(g_argv[0], want) != NULL);
	CHECK_STR(exe, want);
	char byPid[64];
	snprintf(byPid, sizeof(byPid), "/proc/%d/exe", getpid());
	char exe2[PATH_MAX];
	n = readlink(byPid, exe2, sizeof(exe2) - 1);
	exe2[n > 0 ? n : 0] = 0;
	CHECK_STR(exe2, exe);
	char self[64];
	n = readlink("/proc/self", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "%d", getpid());
	CHECK_STR(self, want);
	n = readlink("/proc/thread-self", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "%d/task/%d", getpid(), gettid());
	CHECK_STR(self, want);

	/* maps: the stack holds a local, the executable's text holds main. */
	CHECK(slurp("/proc/self/maps", buf, sizeof(buf)) > 0);
	int stack_ok = 0, text_ok = 0, lines = 0, format_ok = 1, vdso = 0;
	uintptr_t local = (uintptr_t)&n, code = (uintptr_t)t_self;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		unsigned long lo, hi, off, ino;
		char perms[8], path[PATH_MAX] = "";
		unsigned maj, min;
		int k = sscanf(l, "%lx-%lx %7s %lx %x:%x %lu %4095s", &lo, &hi, perms, &off, &maj, &min, &ino, path);
		lines++;
		if (k < 7 || strlen(perms) != 4 || lo >= hi || lo % 4096 || hi % 4096)
			format_ok = 0;
		if (!strcmp(path, "[stack]") && local >= lo && local < hi && !strcmp(perms, "rw-p"))
			stack_ok = 1;
		if (!strcmp(path, exe) && code >= lo && code < hi && !strcmp(perms, "r-xp") && ino != 0)
			text_ok = 1;
		if (!strcmp(path, "[vdso]") && !strcmp(perms, "r-xp"))
			vdso = 1;
	}
	CHECK(lines >= 4);
	CHECK(format_ok);
	CHECK(stack_ok);
	CHECK(text_ok);
	CHECK(vdso);

	/* A fresh anonymous mapping shows up with its permissions. */
	char *m = mmap(NULL, 5 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(m + 4096, 3 * 4096, PROT_READ); /* PROT_NONE neighbours: no merging */
	CHECK(slurp("/proc/self/maps", buf, sizeof(buf)) > 0);
	char line[128];
	snprintf(line, sizeof(line), "\n%08lx-%08lx r--p 00000000 00:00 0 \n", (unsigned long)m + 4096,
		 (unsigned long)m + 4 * 4096);
	CHECK(strstr(buf, line) != NULL);
	munmap(m, 5 * 4096);

	/* stat: pid (comm) state ppid pgrp session ... num_threads ... */
	CHECK(slurp("/proc/self/stat", buf, sizeof(buf)) > 0);
	int pid = 0, ppid = 0, pgrp = 0, sid = 0;
	char comm[64] = "", state = 0;
	CHECK_EQ(sscanf(buf, "%d (%63[^)]) %c %d %d %d", &pid, comm, &state, &ppid, &pgrp, &sid), 6);
	CHECK_EQ(pid, getpid());
	char want_comm[16];
	snprintf(want_comm, sizeof(want_comm), "%s", program_invocation_short_name);
	CHECK_STR(comm, want_comm);
	CHECK_EQ(state, 'R');
	CHECK_EQ(ppid, getppid());
	CHECK_EQ(pgrp, getpgrp());
	CHECK_EQ(sid, getsid(0));
	/* Field 20 is num_threads, 22 starttime; 52 fields in all. */
	char *after = strrchr(buf, ')');
	int fields = 2;
	for (char *t = strtok(after + 2, " \n"); t; t = strtok(NULL, " \n")) {
		fields++;
		if (fields == 20)
			CHECK_EQ(atoi(t), 1);
	}
	CHECK_EQ(fields, 52);

	/* status */
	CHECK(slurp("/proc/self/status", buf, sizeof(buf)) > 0);
	char v[256];
	CHECK_STR(field(buf, "Name", v, sizeof(v)), want_comm);
	snprintf(want, sizeof(want), "%d", getpid());
	CHECK_STR(field(buf, "Pid", v, sizeof(v)), want);
	CHECK_STR(field(buf, "Tgid", v, sizeof(v)), want);
	snprintf(want, sizeof(want), "%d", getppid());
	CHECK_STR(field(buf, "PPid", v, sizeof(v)), want);
	CHECK_STR(field(buf, "Threads", v, sizeof(v)), "1");
	CHECK_STR(field(buf, "Uid", v, sizeof(v)), "0\t0\t0\t0");
	CHECK_STR(field(buf, "Gid", v, sizeof(v)), "0\t0\t0\t0");
	CHECK(field(buf, "State", v, sizeof(v)) && !strncmp(v, "R (running)", 11));
	CHECK(field(buf, "VmRSS", v, sizeof(v)) != NULL);
	CHECK(field(buf, "SigBlk", v, sizeof(v)) != NULL);

	/* cmdline: the arguments, each NUL-terminated. */
	long len = slurp("/proc/self/cmdline", buf, sizeof(buf));
	size_t want_len = 0;
	char wantc[4096];
	for (int i = 0; i < g_argc; i++) {
		size_t l = strlen(g_argv[i]) + 1;
		memcpy(wantc + want_len, g_argv[i], l);
		want_len += l;
	}
	CHECK_EQ(len, (long)want_len);
	CHECK(len > 0 && memcmp(buf, wantc, want_len) == 0);

	/* comm follows PR_SET_NAME, and writing it renames. */
	CHECK(slurp("/proc/self/comm", buf, sizeof(buf)) > 0);
	snprintf(want, sizeof(want), "%s\n", want_comm);
	CHECK_STR(buf, want);
	prctl(PR_SET_NAME, "renamed");
	slurp("/proc/self/comm", buf, sizeof(buf));
	CHECK_STR(buf, "renamed\n");
	int cfd = open("/proc/self/comm", O_WRONLY);
	CHECK_RET(write(cfd, "viaproc", 7), 7, 0);
	close(cfd);
	char name[17] = "";
	prctl(PR_GET_NAME, name);
	CHECK_STR(name, "viaproc");
	prctl(PR_SET_NAME, want_comm);

	/* fd: one link per open descriptor. */
	int fd = open("/dev/null", O_RDONLY);
	char lp[64], target[256];
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", fd);
	n = readlink(lp, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	CHECK_STR(target, "/dev/null");
	int p[2];
	pipe(p);
	struct stat pst;
	fstat(p[0], &pst);
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", p[0]);
	n = readlink(lp, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)pst.st_ino);
	CHECK_STR(target, want);
	/* Opening /proc/self/fd/N opens the same file anew. */
	int again = open(lp, O_RDONLY | O_NONBLOCK);
	CHECK(again >= 0);
	(void)write(p[1], "q", 1);
	char c = 0;
	CHECK_RET(read(again, &c, 1), 1, 0);
	CHECK_EQ(c, 'q');
	close(again);
	DIR *d = opendir("/proc/self/fd");
	CHECK(d != NULL);
	int has[3] = { 0 }, dirfd_seen = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int k = atoi(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		if (k == fd)
			has[0] = 1;
		else if (k == p[0])
			has[1] = 1;
		else if (k == p[1])
			has[2] = 1;
		else if (k == dirfd(d))
			dirfd_seen = 1;
	}
	CHECK(has[0] && has[1] && has[2]);
	CHECK(dirfd_seen);
	if (d)
		closedir(d);
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", 999);
	CHECK_RET(readlink(lp, target, sizeof(target)), -1, ENOENT);
	close(fd);
	close(p[0]);
	close(p[1]);

	/* fdinfo */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	snprintf(lp, sizeof(lp), "/proc/self/fdinfo/%d", fd);
	CHECK(slurp(lp, buf, sizeof(buf)) > 0);
	CHECK_STR(field(buf, "pos", v, sizeof(v)), "0");
	CHECK(field(buf, "flags", v, sizeof(v)) && (strtol(v, NULL, 8) & O_CLOEXEC));
	close(fd);
}

static void *idle_thread(void *arg)
{
	while (!*(volatile int *)arg)
		t_sleep_ms(1);
	return NULL;
}

static void t_tasks(void)
{
	int stop = 0;
	pthread_t t;
	pthread_create(&t, NULL, idle_thread, &stop);
	static char buf[8192];
	slurp("/proc/self/status", buf, sizeof(buf));
	char v[64];
	CHECK_STR(field(buf, "Threads", v, sizeof(v)), "2");
	DIR *d = opendir("/proc/self/task");
	int n = 0, main_seen = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		if (atoi(e->d_name) == getpid())
			main_seen = 1;
	}
	if (d)
		closedir(d);
	CHECK_EQ(n, 2);
	CHECK(main_seen);
	stop = 1;
	pthread_join(t, NULL);
}

static char proc_state(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (slurp(path, buf, sizeof(buf)) <= 0)
		return 0;
	char *p = strrchr(buf, ')');
	return p ? p[2] : 0;
}

/* Wait (up to 5 s) for a state letter. */
static int wait_state(pid_t pid, char s)
{
	for (int i = 0; i < 5000; i++) {
		if (proc_state(pid) == s)
			return 1;
		t_sleep_ms(1);
	}
	return 0;
}

static void t_child_states(void)
{
	int p[2];
	pipe(p);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char x;
		close(p[1]);
		(void)read(p[0], &x, 1);
		_exit(0);
	}
	close(p[0]);
	CHECK(wait_state(c, 'S')); /* asleep in read */
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", c);
	long n = slurp(path, buf, sizeof(buf));
	long args_len = 0;
	for (int i = 0; i < g_argc; i++)
		args_len += (long)strlen(g_argv[i]) + 1;
	CHECK_EQ(n, args_len); /* a fork child shares the parent's arguments */
	kill(c, SIGSTOP);
	CHECK(wait_state(c, 'T'));
	kill(c, SIGCONT);
	CHECK(wait_state(c, 'S'));
	close(p[1]); /* it exits... */
	CHECK(wait_state(c, 'Z')); /* ...and is a zombie until reaped */
	snprintf(path, sizeof(path), "/proc/%d/cmdline", c);
	CHECK_EQ(slurp(path, buf, sizeof(buf)), 0); /* a zombie has no cmdline */
	int st;
	waitpid(c, &st, 0);
	snprintf(path, sizeof(path), "/proc/%d", c);
	CHECK_RET(access(path, F_OK), -1, ENOENT);
	CHECK_RET(open("/proc/99999/stat", O_RDONLY), -1, ENOENT);
}

static void t_system(void)
{
	static char buf[1 << 16];
	char v[256];
	cpu_set_t set;
	sched_getaffinity(0, sizeof(set), &set);
	int ncpu = CPU_COUNT(&set);

	/* cpuinfo: one "processor : N" block per CPU. */
	CHECK(slurp("/proc/cpuinfo", buf, sizeof(buf)) > 0);
	int procs = 0, next = 0, order_ok = 1;
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		int k;
		if (sscanf(l, "processor\t: %d", &k) == 1) {
			if (k != next++)
				order_ok = 0;
			procs++;
		}
	}
	CHECK_EQ(procs, ncpu);
	CHECK(order_ok);
	CHECK(strstr(buf, "\nvendor_id\t: ") != NULL);
	CHECK(strstr(buf, "\nmodel name\t: ") != NULL);
	CHECK(strstr(buf, "\nflags\t\t: ") != NULL);
	CHECK(strstr(buf, " fpu ") != NULL || strstr(buf, ": fpu ") != NULL);
	CHECK(strstr(buf, " sse2") != NULL);

	/* meminfo agrees with sysinfo. */
	CHECK(slurp("/proc/meminfo", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "MemTotal:", 9));
	struct sysinfo si;
	sysinfo(&si);
	unsigned long long total_kb = 0;
	CHECK_EQ(sscanf(buf, "MemTotal: %llu kB", &total_kb), 1);
	CHECK_EQ(total_kb, (unsigned long long)si.totalram * si.mem_unit / 1024);
	CHECK(field(buf, "MemFree", v, sizeof(v)) && strstr(v, " kB"));
	CHECK(field(buf, "MemAvailable", v, sizeof(v)) != NULL);
	CHECK(field(buf, "Cached", v, sizeof(v)) != NULL);
	CHECK(field(buf, "SwapTotal", v, sizeof(v)) != NULL);

	/* uptime: "seconds.hh idle.hh\n", matching CLOCK_BOOTTIME. */
	CHECK(slurp("/proc/uptime", buf, sizeof(buf)) > 0);
	double up = -1, idle = -1;
	CHECK_EQ(sscanf(buf, "%lf %lf", &up, &idle), 2);
	double boot = (double)t_now_ns(CLOCK_BOOTTIME) / 1e9;
	CHECK(up <= boot + 0.02 && up >= boot - 1.0);
	CHECK(idle >= 0);
	char *dot = strchr(buf, '.');
	CHECK(dot && dot[1] >= '0' && dot[1] <= '9' && dot[2] >= '0' && dot[2] <= '9' && dot[3] == ' ');

	/* mounts: proc and sysfs where init put them; /proc/self/mounts is the same. */
	CHECK(slurp("/proc/mounts", buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "proc /proc proc ") != NULL);
	CHECK(strstr(buf, "sysfs /sys sysfs ") != NULL);
	static char buf2[1 << 16];
	slurp("/proc/self/mounts", buf2, sizeof(buf2));
	CHECK_STR(buf2, buf);
	int fields_ok = 1;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		char a[256], b[256], c[64], d[256];
		int x, y;
		if (sscanf(l, "%255s %255s %63s %255s %d %d", a, b, c, d, &x, &y) != 6)
			fields_ok = 0;
	}
	CHECK(fields_ok);

	/* /proc/stat: "cpu " then one "cpuN" line per CPU. */
	CHECK(slurp("/proc/stat", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "cpu  ", 5));
	int cpulines = 0;
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, "cpu", 3) && l[3] >= '0' && l[3] <= '9')
			cpulines++;
	CHECK_EQ(cpulines, ncpu);
	CHECK(strstr(buf, "\nbtime ") != NULL);
	CHECK(strstr(buf, "\nprocesses ") != NULL);

	CHECK(slurp("/proc/version", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "Linux version ", 14));
	CHECK(slurp("/proc/loadavg", buf, sizeof(buf)) > 0);
	double l1, l5, l15;
	int run, tot, last;
	CHECK_EQ(sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &run, &tot, &last), 6);
	CHECK(run >= 1 && tot >= run);

	CHECK(slurp("/proc/sys/kernel/ngroups_max", buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "65536\n");
	CHECK(slurp("/proc/sys/kernel/pid_max", buf, sizeof(buf)) > 0);
	CHECK(atoi(buf) >= 32768);
	CHECK(slurp("/proc/sys/kernel/hostname", buf, sizeof(buf)) > 0);
	char host[128];
	gethostname(host, sizeof(host));
	strcat(host, "\n");
	CHECK_STR(buf, host);
	CHECK(slurp("/proc/sys/kernel/ostype", buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "Linux\n");
	CHECK(slurp("/proc/sys/fs/nr_open", buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "1048576\n");

	/* sysfs: the online CPU list. */
	CHECK(slurp("/sys/devices/system/cpu/online", buf, sizeof(buf)) > 0);
	char want[32];
	if (ncpu == 1)
		snprintf(want, sizeof(want), "0\n");
	else
		snprintf(want, sizeof(want), "0-%d\n", ncpu - 1);
	CHECK_STR(buf, want);
	CHECK(slurp("/sys/devices/system/cpu/possible", buf, sizeof(buf)) > 0);
	CHECK_STR(buf, want);

	/* Read-only /proc files: root may open them for writing (no DAC for
	 * root), but the write itself is EIO. */
	int wfd = open("/proc/uptime", O_WRONLY);
	CHECK(wfd >= 0);
	CHECK_RET(write(wfd, "1", 1), -1, EIO);
	close(wfd);
	CHECK_RET(open("/proc/nonexistent", O_RDONLY), -1, ENOENT);
	CHECK_RET(mkdir("/proc/newdir", 0755), -1, ENOENT);
}

static void t_dev(void)
{
	char buf[256];
	struct stat st;
	CHECK_RET(stat("/dev/null", &st), 0, 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 1);
	CHECK_EQ(minor(st.st_rdev), 3);
	CHECK_EQ(st.st_mode & 0777, 0666);
	int fd = open("/dev/null", O_RDWR);
	CHECK(fd >= 0);
	CHECK_RET(read(fd, buf, sizeof(buf)), 0, 0);
	CHECK_RET(write(fd, buf, sizeof(buf)), sizeof(buf), 0);
	CHECK_RET(lseek(fd, 100, SEEK_SET), 0, 0); /* always 0 */
	close(fd);

	stat("/dev/zero", &st);
	CHECK_EQ(st.st_rdev, makedev(1, 5));
	fd = open("/dev/zero", O_RDWR);
	memset(buf, 0x77, sizeof(buf));
	CHECK_RET(read(fd, buf, sizeof(buf)), sizeof(buf), 0);
	int zero = 1;
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i])
			zero = 0;
	CHECK(zero);
	CHECK_RET(write(fd, buf, 10), 10, 0);
	close(fd);

	stat("/dev/full", &st);
	CHECK_EQ(st.st_rdev, makedev(1, 7));
	fd = open("/dev/full", O_RDWR);
	CHECK_RET(write(fd, "x", 1), -1, ENOSPC);
	memset(buf, 0x77, sizeof(buf));
	CHECK_RET(read(fd, buf, 16), 16, 0);
	CHECK_EQ(buf[0], 0);
	CHECK_EQ(buf[15], 0);
	close(fd);

	unsigned char r1[64], r2[64], z[64] = { 0 };
	fd = open("/dev/urandom", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_RET(read(fd, r1, sizeof(r1)), 64, 0);
	CHECK_RET(read(fd, r2, sizeof(r2)), 64, 0);
	CHECK(memcmp(r1, r2, 64) != 0 && memcmp(r1, z, 64) != 0);
	CHECK_RET(write(fd, "seed", 4), -1, EBADF); /* opened read-only */
	close(fd);
	stat("/dev/urandom", &st);
	CHECK_EQ(st.st_rdev, makedev(1, 9));
	fd = open("/dev/random", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_RET(read(fd, r1, 16), 16, 0);
	close(fd);
	stat("/dev/random", &st);
	CHECK_EQ(st.st_rdev, makedev(1, 8));
	fd = open("/dev/urandom", O_WRONLY);
	CHECK_RET(write(fd, "seed", 4), 4, 0); /* root may add to the pool */
	close(fd);

	/* /dev/tty is the controlling terminal: without one, ENXIO. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		setsid();
		int t = open("/dev/tty", O_RDWR);
		_exit(t == -1 && errno == ENXIO ? 0 : 1);
	}
	int st2;
	waitpid(c, &st2, 0);
	CHECK_EXITED(st2, 0);
	stat("/dev/tty", &st);
	CHECK_EQ(st.st_rdev, makedev(5, 0));
	stat("/dev/console", &st);
	CHECK_EQ(st.st_rdev, makedev(5, 1));
}

int main(int argc, char **argv)
{
	g_argc = argc;
	g_argv = argv;
	t_self();
	t_tasks();
	t_child_states();
	t_system();
	t_dev();
	return t_done();
}
