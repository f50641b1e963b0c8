/* Linux x86-64 struct stat and mode bits (arch/x86/include/uapi/asm/stat.h). */
#ifndef UAPI_STAT_H
#define UAPI_STAT_H

#include <skiff/types.h>

#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFBLK  0060000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000
#define S_ISUID  0004000
#define S_ISGID  0002000
#define S_ISVTX  0001000

#define S_ISLNK(m)  (((m) & S_IFMT) == S_IFLNK)
#define S_ISREG(m)  (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m)  (((m) & S_IFMT) == S_IFDIR)
#define S_ISCHR(m)  (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m)  (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)

struct timespec_abi {
	s64 tv_sec;
	s64 tv_nsec;
};

struct stat {
	u64 st_dev;
	u64 st_ino;
	u64 st_nlink;
	u32 st_mode;
	u32 st_uid;
	u32 st_gid;
	u32 __pad0;
	u64 st_rdev;
	s64 st_size;
	s64 st_blksize;
	s64 st_blocks;
	u64 st_atime_sec, st_atime_nsec;
	u64 st_mtime_sec, st_mtime_nsec;
	u64 st_ctime_sec, st_ctime_nsec;
	s64 __glibc_reserved[3];
};
_Static_assert(sizeof(struct stat) == 144, "struct stat size");
_Static_assert(__builtin_offsetof(struct stat, st_mode) == 24, "st_mode");
_Static_assert(__builtin_offsetof(struct stat, st_rdev) == 40, "st_rdev");
_Static_assert(__builtin_offsetof(struct stat, st_size) == 48, "st_size");
_Static_assert(__builtin_offsetof(struct stat, st_blocks) == 64, "st_blocks");
_Static_assert(__builtin_offsetof(struct stat, st_atime_sec) == 72, "st_atime");
_Static_assert(__builtin_offsetof(struct stat, st_mtime_sec) == 88, "st_mtime");
_Static_assert(__builtin_offsetof(struct stat, st_ctime_sec) == 104, "st_ctime");

/* Linux device numbers (new_encode_dev / huge_encode_dev for stat). */
static inline u64 uapi_encode_dev(u32 major, u32 minor)
{
	return ((u64)(minor & 0xff)) | ((u64)(major & 0xfff) << 8) |
	       ((u64)(minor & ~0xffu) << 12) | ((u64)(major & ~0xfffu) << 32);
}
static inline u32 uapi_dev_major(u64 dev) { return (u32)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull)); }
static inline u32 uapi_dev_minor(u64 dev) { return (u32)((dev & 0xff) | ((dev >> 12) & ~0xffull)); }

#endif
