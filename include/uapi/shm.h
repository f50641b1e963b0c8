/* Linux x86-64 System V shared memory ABI (shmget/shmat/shmdt/shmctl). */
#ifndef UAPI_SHM_H
#define UAPI_SHM_H

#include <uapi/ipc.h>

#define SHMMIN 1
#define SHMMAX (0xffffffffffffffffull - (1ull << 24))
#define SHMALL (0xffffffffffffffffull - (1ull << 24))
#define SHMMNI 4096
#define SHMSEG SHMMNI
#define SHMLBA 4096

/* shmat flags */
#define SHM_RDONLY 010000
#define SHM_RND    020000
#define SHM_REMAP  040000
#define SHM_EXEC   0100000

/* mode bits reported by IPC_STAT */
#define SHM_DEST   01000
#define SHM_LOCKED 02000
#define SHM_HUGETLB 04000
#define SHM_NORESERVE 010000

/* shmctl commands */
#define SHM_LOCK     11
#define SHM_UNLOCK   12
#define SHM_STAT     13
#define SHM_INFO     14
#define SHM_STAT_ANY 15

struct shmid64_ds {
	struct ipc64_perm shm_perm;
	u64 shm_segsz;
	s64 shm_atime, shm_dtime, shm_ctime;
	s32 shm_cpid, shm_lpid;
	u64 shm_nattch;
	u64 unused4, unused5;
};
_Static_assert(sizeof(struct shmid64_ds) == 112, "shmid64_ds is 112 bytes on x86-64");
_Static_assert(__builtin_offsetof(struct shmid64_ds, shm_segsz) == 48, "shm_segsz");
_Static_assert(__builtin_offsetof(struct shmid64_ds, shm_cpid) == 80, "shm_cpid");
_Static_assert(__builtin_offsetof(struct shmid64_ds, shm_nattch) == 88, "shm_nattch");

struct shminfo64 {
	u64 shmmax, shmmin, shmmni, shmseg, shmall;
	u64 unused1, unused2, unused3, unused4;
};
_Static_assert(sizeof(struct shminfo64) == 72, "shminfo64");

struct shm_info {
	s32 used_ids;
	u32 pad;
	u64 shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};
_Static_assert(sizeof(struct shm_info) == 48, "shm_info");

#endif
