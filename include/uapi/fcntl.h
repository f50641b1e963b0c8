/* Linux x86-64 open/fcntl ABI (asm-generic/fcntl.h, linux/fcntl.h). */
#ifndef UAPI_FCNTL_H
#define UAPI_FCNTL_H

#include <skiff/types.h>

#define O_ACCMODE   00000003
#define O_RDONLY    00000000
#define O_WRONLY    00000001
#define O_RDWR      00000002
#define O_CREAT     00000100
#define O_EXCL      00000200
#define O_NOCTTY    00000400
#define O_TRUNC     00001000
#define O_APPEND    00002000
#define O_NONBLOCK  00004000
#define O_DSYNC     00010000
#define O_ASYNC     00020000
#define O_DIRECT    00040000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW  00400000
#define O_NOATIME   01000000
#define O_CLOEXEC   02000000
#define __O_SYNC    04000000
#define O_SYNC      (__O_SYNC | O_DSYNC)
#define O_PATH      010000000
#define __O_TMPFILE 020000000
#define O_TMPFILE   (__O_TMPFILE | O_DIRECTORY)
#define O_NDELAY    O_NONBLOCK

#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EACCESS          0x200
#define AT_REMOVEDIR        0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_NO_AUTOMOUNT     0x800
#define AT_EMPTY_PATH       0x1000
#define AT_STATX_SYNC_TYPE  0x6000
#define AT_RECURSIVE        0x8000

#define F_DUPFD         0
#define F_GETFD         1
#define F_SETFD         2
#define F_GETFL         3
#define F_SETFL         4
#define F_GETLK         5
#define F_SETLK         6
#define F_SETLKW        7
#define F_SETOWN        8
#define F_GETOWN        9
#define F_SETSIG        10
#define F_GETSIG        11
#define F_SETOWN_EX     15
#define F_GETOWN_EX     16
#define F_OFD_GETLK     36
#define F_OFD_SETLK     37
#define F_OFD_SETLKW    38
#define F_SETLEASE      1024
#define F_GETLEASE      1025
#define F_NOTIFY        1026
#define F_DUPFD_CLOEXEC 1030
#define F_SETPIPE_SZ    1031
#define F_GETPIPE_SZ    1032
#define F_ADD_SEALS     1033
#define F_GET_SEALS     1034

#define FD_CLOEXEC 1

/* F_SETOWN_EX / F_GETOWN_EX (glibc implements F_GETOWN with the latter) */
#define F_OWNER_TID  0
#define F_OWNER_PID  1
#define F_OWNER_PGRP 2
struct f_owner_ex {
	s32 type;
	s32 pid;
};
_Static_assert(sizeof(struct f_owner_ex) == 8, "struct f_owner_ex size");

#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2

/* flock(2) */
#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

/* renameat2 */
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE  (1 << 1)
#define RENAME_WHITEOUT  (1 << 2)

/* close_range */
#define CLOSE_RANGE_UNSHARE (1u << 1)
#define CLOSE_RANGE_CLOEXEC (1u << 2)

/* access */
#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

/* lseek */
#define SEEK_SET  0
#define SEEK_CUR  1
#define SEEK_END  2
#define SEEK_DATA 3
#define SEEK_HOLE 4

struct flock {
	s16 l_type;
	s16 l_whence;
	s64 l_start;
	s64 l_len;
	s32 l_pid;
};
_Static_assert(sizeof(struct flock) == 32, "struct flock size");
_Static_assert(__builtin_offsetof(struct flock, l_start) == 8, "l_start");
_Static_assert(__builtin_offsetof(struct flock, l_len) == 16, "l_len");
_Static_assert(__builtin_offsetof(struct flock, l_pid) == 24, "l_pid");

/* utimensat */
#define UTIME_NOW  ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

#endif
