/* Fake disk for host tests of fs/ext2 (tests/unit/ext2_host.c). */
#ifndef EXT2_HOST_H
#define EXT2_HOST_H
#include <skiff/blkdev.h>

struct fake_disk {
	struct block_device bd;
	int fd;             /* file-backed when mem == NULL */
	u8 *mem;            /* memory-backed (fuzzer) */
	unsigned requests, reads, writes, flushes;
	bool fail_writes;
};
/* Fill d->bd for a disk of `bytes`; set d->fd or d->mem yourself. */
void fake_disk_init(struct fake_disk *d, const char *name, u64 bytes);
extern u64 host_now_s;
#endif
