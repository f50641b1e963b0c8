/* Text of the global /proc files, and dispatch of per-process files to
 * the procinfo_* functions of their owners (include/skiff/procinfo.h). */
#include "proc.h"
#include <arch/cpuinfo.h>
#include <skiff/cmdline.h>
#include <skiff/mm.h>
#include <skiff/percpu.h>
#include <skiff/string.h>
#include <skiff/task.h>
#include <skiff/time.h>

#define P(...) (pos += (size_t)snprintf(pos < size ? buf + pos : NULL, pos < size ? size - pos : 0, __VA_ARGS__))

static int cpuinfo_text(char *buf, size_t size)
{
	struct cpu_identity id;
	char *flags = kmalloc(2048);
	size_t pos = 0;
	unsigned n = __atomic_load_n(&nr_cpus_online, __ATOMIC_RELAXED);

	if (!flags)
		return -ENOMEM;
	arch_cpu_identity(&id);
	arch_cpu_flags(flags, 2048);
	for (unsigned c = 0; c < (n ? n : 1); c++) {
		P("processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
		  "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: 2000.000\ncache size\t: 16384 KB\n"
		  "physical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\ncpu cores\t: %u\n"
		  "apicid\t\t: %u\ninitial apicid\t: %u\nfpu\t\t: yes\nfpu_exception\t: yes\n"
		  "cpuid level\t: 13\nwp\t\t: yes\nflags\t\t: %s\nbogomips\t: 4000.00\n"
		  "clflush size\t: %u\ncache_alignment\t: %u\naddress sizes\t: %u bits physical, %u bits virtual\n"
		  "power management:\n\n",
		  c, id.vendor, id.family, id.model, id.model_name, id.stepping, n, c, n, c, c,
		  flags, id.clflush_size ? id.clflush_size : 64, id.clflush_size ? id.clflush_size : 64,
		  id.phys_bits, id.virt_bits);
	}
	kfree(flags);
	return (int)pos;
}

static int meminfo_text(char *buf, size_t size)
{
	u64 total = mm_total_pages() * 4, free = mm_free_pages() * 4;
	size_t pos = 0;

	P("MemTotal:       %8llu kB\nMemFree:        %8llu kB\nMemAvailable:   %8llu kB\n"
	  "Buffers:               0 kB\nCached:                0 kB\nSwapCached:            0 kB\n"
	  "Active:                0 kB\nInactive:              0 kB\nSwapTotal:             0 kB\n"
	  "SwapFree:              0 kB\nDirty:                 0 kB\nWriteback:             0 kB\n"
	  "AnonPages:             0 kB\nMapped:                0 kB\nShmem:                 0 kB\n"
	  "Slab:                  0 kB\nSReclaimable:          0 kB\nSUnreclaim:            0 kB\n"
	  "KernelStack:           0 kB\nPageTables:            0 kB\nCommitLimit:    %8llu kB\n"
	  "Committed_AS:          0 kB\nVmallocTotal:   34359738367 kB\nHugePages_Total:       0\n"
	  "HugePages_Free:        0\nHugepagesize:       2048 kB\n",
	  (unsigned long long)total, (unsigned long long)free, (unsigned long long)free,
	  (unsigned long long)total);
	return (int)pos;
}

static u64 boot_realtime_sec(void)
{
	return (clock_realtime_ns() - clock_monotonic_ns()) / NSEC_PER_SEC;
}

static int count_pids(pid_t *last)
{
	pid_t *pids = kmalloc(4096 * sizeof(pid_t));
	int n;

	if (!pids)
		return 0;
	n = procinfo_pids(pids, 4096);
	*last = n > 0 ? pids[n - 1] : 0;
	kfree(pids);
	return n;
}

static int stat_text(char *buf, size_t size)
{
	unsigned n = __atomic_load_n(&nr_cpus_online, __ATOMIC_RELAXED);
	u64 up = clock_monotonic_ns() / (NSEC_PER_SEC / 100);
	size_t pos = 0;
	pid_t last;
	int procs = count_pids(&last);

	P("cpu  0 0 0 %llu 0 0 0 0 0 0\n", (unsigned long long)(up * n));
	for (unsigned c = 0; c < n; c++)
		P("cpu%u 0 0 0 %llu 0 0 0 0 0 0\n", c, (unsigned long long)up);
	P("intr 0\nctxt 0\nbtime %llu\nprocesses %d\nprocs_running 1\nprocs_blocked 0\nsoftirq 0\n",
	  (unsigned long long)boot_realtime_sec(), last);
	(void)procs;
	return (int)pos;
}

static int uptime_text(char *buf, size_t size)
{
	u64 cs = clock_monotonic_ns() / (NSEC_PER_SEC / 100);
	u64 idle = cs * __atomic_load_n(&nr_cpus_online, __ATOMIC_RELAXED);
	return snprintf(buf, size, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(cs / 100),
			(unsigned long long)(cs % 100), (unsigned long long)(idle / 100),
			(unsigned long long)(idle % 100));
}

static int loadavg_text(char *buf, size_t size)
{
	pid_t last;
	int n = count_pids(&last);
	return snprintf(buf, size, "0.00 0.00 0.00 1/%d %d\n", n, last);
}

/* A random UUID text (version 4), from the TSC-seeded generator below. */
static u64 rng_state;
static u64 rng_next(void)
{
	if (!rng_state)
		rng_state = clock_monotonic_ns() ^ clock_realtime_ns() ^ 0x9e3779b97f4a7c15ull;
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int uuid_text(char *buf, size_t size, u64 a, u64 b)
{
	a = (a & ~0xf000ull) | 0x4000ull;
	b = (b & ~(3ull << 62)) | (2ull << 62);
	return snprintf(buf, size, "%08llx-%04llx-%04llx-%04llx-%012llx\n",
			(unsigned long long)(a >> 32), (unsigned long long)((a >> 16) & 0xffff),
			(unsigned long long)(a & 0xffff), (unsigned long long)(b >> 48),
			(unsigned long long)(b & 0xffffffffffffull));
}

static int boot_id_text(char *buf, size_t size)
{
	static u64 id[2];
	if (!id[0]) {
		id[1] = rng_next();
		id[0] = rng_next() | 1;
	}
	return uuid_text(buf, size, id[0], id[1]);
}

static int text_nl(char *buf, size_t size, int n)
{
	if (n >= 0 && (size_t)n + 1 < size) {
		buf[n++] = '\n';
		buf[n] = 0;
	}
	return n;
}

int proc_gen(const struct proc_node *n, char *buf, size_t size)
{
	int r;

	switch (n->arg) {
	case GEN_CPUINFO: return cpuinfo_text(buf, size);
	case GEN_MEMINFO: return meminfo_text(buf, size);
	case GEN_STAT: return stat_text(buf, size);
	case GEN_UPTIME: return uptime_text(buf, size);
	case GEN_LOADAVG: return loadavg_text(buf, size);
	case GEN_MOUNTS:
	case GEN_P_MOUNTS: return mounts_text(buf, size);
	case GEN_P_MOUNTINFO: return mountinfo_text(buf, size);
	case GEN_FILESYSTEMS: return filesystems_text(buf, size);
	case GEN_CMDLINE: return snprintf(buf, size, "%s\n", cmdline_raw());
	case GEN_VERSION:
		return snprintf(buf, size, "Linux version %s (skiff@skiff) (gcc) #1 SMP PREEMPT_DYNAMIC\n",
				SKIFF_UTS_RELEASE);
	case GEN_OSRELEASE: return snprintf(buf, size, "%s\n", SKIFF_UTS_RELEASE);
	case GEN_OSTYPE: return snprintf(buf, size, "Linux\n");
	case GEN_HOSTNAME: return text_nl(buf, size, vfs_hostname(buf, size - 1));
	case GEN_PID_MAX: return snprintf(buf, size, "4194304\n");
	case GEN_NGROUPS_MAX: return snprintf(buf, size, "65536\n");
	case GEN_BOOT_ID: return boot_id_text(buf, size);
	case GEN_UUID: return uuid_text(buf, size, rng_next(), rng_next());
	case GEN_THREADS_MAX: return snprintf(buf, size, "%llu\n", (unsigned long long)procinfo_threads_max());
	case GEN_CAP_LAST_CAP: return snprintf(buf, size, "40\n");
	case GEN_PIPE_MAX: return snprintf(buf, size, "1048576\n");
	case GEN_FILE_MAX: return snprintf(buf, size, "9223372036854775807\n");
	case GEN_NR_OPEN: return snprintf(buf, size, "1048576\n");
	case GEN_OVERCOMMIT: return snprintf(buf, size, "0\n");
	case GEN_MAX_MAP_COUNT: return snprintf(buf, size, "65530\n");
	case GEN_P_STAT: return procinfo_stat(n->pid, n->tid, buf, size); /* tid 0: the process */
	case GEN_P_STATUS: return procinfo_status(n->pid, buf, size);
	case GEN_P_CMDLINE: return procinfo_cmdline(n->pid, buf, size);
	case GEN_P_ENVIRON: return procinfo_environ(n->pid, buf, size);
	case GEN_P_AUXV: return procinfo_auxv(n->pid, buf, size);
	case GEN_P_MAPS: return procinfo_maps(n->pid, buf, size);
	case GEN_P_FDINFO: {
		struct process *p = process_get(n->pid);
		struct file *f = p ? files_fd_get(p->files, n->fd) : NULL;
		int ce = p ? files_fd_cloexec(p->files, n->fd) : 0;
		if (p)
			process_put(p);
		if (!f)
			return -ENOENT;
		r = snprintf(buf, size, "pos:\t%llu\nflags:\t0%o\nmnt_id:\t%u\nino:\t%llu\n",
			     (unsigned long long)f->pos, f->flags | (ce > 0 ? O_CLOEXEC : 0),
			     f->mnt ? f->mnt->id : 0, f->inode ? (unsigned long long)f->inode->ino : 0ull);
		file_put(f);
		return r;
	}
	case GEN_P_COMM: {
		struct process *p = process_get(n->pid);
		if (!p)
			return -ESRCH;
		r = snprintf(buf, size, "%s\n", p->comm);
		process_put(p);
		return r;
	}
	}
	return -EINVAL;
}
