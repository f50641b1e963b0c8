/* Text for /proc, produced by the subsystems that own the data and served
 * by fs/proc. Each writes at most size bytes (NUL-terminated) into buf and
 * returns the length, or -ESRCH when the pid/tid does not exist.
 *   kernel/proc/: stat, status, cmdline, environ, auxv (binary), exe, pid list
 *   mm/:          maps
 *   drivers/tty/: a session's controlling terminal (stat's tty_nr, tpgid) */
#ifndef SKIFF_PROCINFO_H
#define SKIFF_PROCINFO_H

#include <skiff/types.h>

typedef s32 pid_t;

int procinfo_stat(pid_t pid, pid_t tid, char *buf, size_t size);    /* /proc/P/stat, /proc/P/task/T/stat */
int procinfo_status(pid_t pid, char *buf, size_t size);
int procinfo_cmdline(pid_t pid, char *buf, size_t size);            /* NUL-separated, length counts them */
int procinfo_environ(pid_t pid, char *buf, size_t size);
int procinfo_auxv(pid_t pid, char *buf, size_t size);               /* raw Elf64_auxv_t array */
int procinfo_exe(pid_t pid, char *buf, size_t size);                /* absolute path */
int procinfo_maps(pid_t pid, char *buf, size_t size);               /* mm/ */
/* Fill pids[] with live thread-group ids (ascending); returns the count. */
int procinfo_pids(pid_t *pids, int max);
int procinfo_tids(pid_t pid, pid_t *tids, int max);
/* /proc/sys/kernel/threads-max: the most threads clone() creates system-wide
 * (kernel/proc/fork.c), as Linux sizes it: kernel stacks at most 1/8 of RAM. */
u64 procinfo_threads_max(void);
/* fd numbers open in pid, ascending; returns count or -ESRCH. */
int procinfo_fds(pid_t pid, int *fds, int max);
/* Path of an open descriptor (for readlink /proc/P/fd/N). */
int procinfo_fd_path(pid_t pid, int fd, char *buf, size_t size);
/* drivers/tty/: the controlling terminal of session sid (a tty its live
 * leader holds), for /proc/P/stat: its device number in proc's encoding
 * (Linux's new_encode_dev) in *tty_nr and its foreground process group
 * (0 when none) in *tpgid. False, outputs untouched, when the session has
 * no terminal. Takes tty locks and proc_lock: call with neither held. */
bool procinfo_session_tty(pid_t sid, u32 *tty_nr, pid_t *tpgid);

#endif
