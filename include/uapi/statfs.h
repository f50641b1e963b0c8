/* struct statfs for x86-64 (asm-generic/statfs.h) and file system magics. */
#ifndef UAPI_STATFS_H
#define UAPI_STATFS_H

#include <skiff/types.h>

struct statfs {
	s64 f_type;
	s64 f_bsize;
	u64 f_blocks;
	u64 f_bfree;
	u64 f_bavail;
	u64 f_files;
	u64 f_ffree;
	s32 f_fsid[2];
	s64 f_namelen;
	s64 f_frsize;
	s64 f_flags;
	s64 f_spare[4];
};
_Static_assert(sizeof(struct statfs) == 120, "struct statfs size");
_Static_assert(__builtin_offsetof(struct statfs, f_fsid) == 56, "f_fsid");
_Static_assert(__builtin_offsetof(struct statfs, f_namelen) == 64, "f_namelen");

#define TMPFS_MAGIC     0x01021994
#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC     0x62656572
#define PIPEFS_MAGIC    0x50495045
#define SOCKFS_MAGIC    0x534F434B
#define DEVPTS_SUPER_MAGIC 0x1cd1
#define EXT2_SUPER_MAGIC 0xEF53
#define ANON_INODE_FS_MAGIC 0x09041934

/* statfs f_flags (ST_*), mirror of the mount flags */
#define ST_RDONLY 0x0001
#define ST_NOSUID 0x0002
#define ST_NODEV  0x0004
#define ST_NOEXEC 0x0008
#define ST_SYNCHRONOUS 0x0010
#define ST_VALID  0x0020
#define ST_NOATIME 0x0400
#define ST_NODIRATIME 0x0800
#define ST_RELATIME 0x1000

/* mount(2) flags */
#define MS_RDONLY      1
#define MS_NOSUID      2
#define MS_NODEV       4
#define MS_NOEXEC      8
#define MS_SYNCHRONOUS 16
#define MS_REMOUNT     32
#define MS_MANDLOCK    64
#define MS_DIRSYNC     128
#define MS_NOSYMFOLLOW 256
#define MS_NOATIME     1024
#define MS_NODIRATIME  2048
#define MS_BIND        4096
#define MS_MOVE        8192
#define MS_REC         16384
#define MS_SILENT      32768
#define MS_PRIVATE     (1 << 18)
#define MS_SLAVE       (1 << 19)
#define MS_SHARED      (1 << 20)
#define MS_RELATIME    (1 << 21)
#define MS_STRICTATIME (1 << 24)
#define MS_LAZYTIME    (1 << 25)
#define MS_MGC_VAL     0xC0ED0000u
#define MS_MGC_MSK     0xffff0000u

/* umount2 */
#define MNT_FORCE       1
#define MNT_DETACH      2
#define MNT_EXPIRE      4
#define UMOUNT_NOFOLLOW 8

#endif
