/* Linux x86-64 System V IPC ABI (ipc64_perm and the common commands). */
#ifndef UAPI_IPC_H
#define UAPI_IPC_H

#include <skiff/types.h>

#define IPC_PRIVATE 0
#define IPC_CREAT   00001000
#define IPC_EXCL    00002000
#define IPC_NOWAIT  00004000

#define IPC_RMID 0
#define IPC_SET  1
#define IPC_STAT 2
#define IPC_INFO 3
#define IPC_64   0x0100 /* may be or'ed into cmd; x86-64 always uses the 64-bit layout */

struct ipc64_perm {
	s32 key;
	u32 uid, gid, cuid, cgid;
	u32 mode;
	u16 seq;
	u16 pad2;
	u64 unused1, unused2;
};
_Static_assert(sizeof(struct ipc64_perm) == 48, "ipc64_perm is 48 bytes on x86-64");
_Static_assert(__builtin_offsetof(struct ipc64_perm, mode) == 20, "ipc64_perm.mode");
_Static_assert(__builtin_offsetof(struct ipc64_perm, seq) == 24, "ipc64_perm.seq");
_Static_assert(__builtin_offsetof(struct ipc64_perm, unused1) == 32, "ipc64_perm.unused1");

#endif
