/* Linux struct statx (include/uapi/linux/stat.h). */
#ifndef UAPI_STATX_H
#define UAPI_STATX_H

#include <skiff/types.h>

struct statx_timestamp {
	s64 tv_sec;
	u32 tv_nsec;
	s32 __reserved;
};

struct statx {
	u32 stx_mask;
	u32 stx_blksize;
	u64 stx_attributes;
	u32 stx_nlink;
	u32 stx_uid;
	u32 stx_gid;
	u16 stx_mode;
	u16 __spare0;
	u64 stx_ino;
	u64 stx_size;
	u64 stx_blocks;
	u64 stx_attributes_mask;
	struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	u32 stx_rdev_major, stx_rdev_minor;
	u32 stx_dev_major, stx_dev_minor;
	u64 stx_mnt_id;
	u32 stx_dio_mem_align, stx_dio_offset_align;
	u64 __spare3[12];
};
_Static_assert(sizeof(struct statx) == 256, "struct statx size");
_Static_assert(__builtin_offsetof(struct statx, stx_mode) == 28, "stx_mode");
_Static_assert(__builtin_offsetof(struct statx, stx_ino) == 32, "stx_ino");
_Static_assert(__builtin_offsetof(struct statx, stx_atime) == 64, "stx_atime");
_Static_assert(__builtin_offsetof(struct statx, stx_rdev_major) == 128, "stx_rdev");
_Static_assert(__builtin_offsetof(struct statx, stx_mnt_id) == 144, "stx_mnt_id");

#define STATX_TYPE        0x00000001u
#define STATX_MODE        0x00000002u
#define STATX_NLINK       0x00000004u
#define STATX_UID         0x00000008u
#define STATX_GID         0x00000010u
#define STATX_ATIME       0x00000020u
#define STATX_MTIME       0x00000040u
#define STATX_CTIME       0x00000080u
#define STATX_INO         0x00000100u
#define STATX_SIZE        0x00000200u
#define STATX_BLOCKS      0x00000400u
#define STATX_BASIC_STATS 0x000007ffu
#define STATX_BTIME       0x00000800u
#define STATX_MNT_ID      0x00001000u
#define STATX__RESERVED   0x80000000u

#endif
