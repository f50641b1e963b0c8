/* procfs internals (fs/proc/). */
#ifndef FS_PROC_H
#define FS_PROC_H

#include "../fs.h"
#include <skiff/procinfo.h>

/* Node kinds; a node is (kind, arg, pid, tid, fd). */
enum {
	PN_TABLE,     /* directory listing table `arg` */
	PN_PIDDIR,    /* /proc/P */
	PN_TASKDIR,   /* /proc/P/task */
	PN_TIDDIR,    /* /proc/P/task/T */
	PN_FDDIR,     /* /proc/P/fd */
	PN_FILE,      /* generated text `arg` (GEN_*) */
	PN_LINK,      /* symlink `arg` (LINK_*) */
	PN_FDLINK,    /* /proc/P/fd/N */
	PN_FDINFODIR, /* /proc/P/fdinfo */
};

enum { T_ROOT, T_PID, T_TID, T_SYS, T_SYS_KERNEL, T_SYS_RANDOM, T_SYS_FS, T_SYS_VM, T_COUNT };

enum {
	GEN_CPUINFO, GEN_MEMINFO, GEN_STAT, GEN_UPTIME, GEN_LOADAVG, GEN_MOUNTS,
	GEN_FILESYSTEMS, GEN_CMDLINE, GEN_VERSION,
	GEN_OSRELEASE, GEN_OSTYPE, GEN_HOSTNAME, GEN_PID_MAX, GEN_NGROUPS_MAX,
	GEN_BOOT_ID, GEN_UUID, GEN_THREADS_MAX, GEN_CAP_LAST_CAP,
	GEN_PIPE_MAX, GEN_FILE_MAX, GEN_NR_OPEN, GEN_OVERCOMMIT, GEN_MAX_MAP_COUNT,
	GEN_P_STAT, GEN_P_STATUS, GEN_P_CMDLINE, GEN_P_ENVIRON, GEN_P_AUXV,
	GEN_P_MAPS, GEN_P_COMM, GEN_P_MOUNTS, GEN_P_MOUNTINFO, GEN_P_FDINFO,
};

enum { LINK_SELF, LINK_THREAD_SELF, LINK_EXE, LINK_CWD, LINK_ROOT };

struct proc_node {
	int kind, arg;
	pid_t pid, tid;
	int fd;
};

/* text.c: generate file `gen` for node into buf; length or -errno. */
int proc_gen(const struct proc_node *n, char *buf, size_t size);

#define SKIFF_UTS_RELEASE "6.1.0-skiff"

#endif
