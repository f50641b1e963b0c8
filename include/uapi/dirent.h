/* getdents64 / getdents record layouts (linux/dirent.h, fs/readdir.c). */
#ifndef UAPI_DIRENT_H
#define UAPI_DIRENT_H

#include <skiff/types.h>

struct linux_dirent64 {
	u64 d_ino;
	s64 d_off;
	u16 d_reclen;
	u8 d_type;
	char d_name[];
};
_Static_assert(__builtin_offsetof(struct linux_dirent64, d_name) == 19, "d_name");

/* Old getdents: d_type is the last byte of the record. */
struct linux_dirent {
	u64 d_ino;
	u64 d_off;
	u16 d_reclen;
	char d_name[];
};
_Static_assert(__builtin_offsetof(struct linux_dirent, d_name) == 18, "d_name");

#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12

#endif
