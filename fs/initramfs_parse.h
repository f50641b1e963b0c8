/* cpio "newc" archive parser (pure: no kernel state, host-tested by
 * tests/unit/test_cpio.c). Format: 110-byte ASCII header ("070701" or
 * "070702" and 13 eight-digit hex fields), the NUL-terminated name padded
 * to a 4-byte boundary, the data padded likewise; "TRAILER!!!" ends an
 * archive. Archives may be concatenated with NUL padding in between. */
#ifndef FS_INITRAMFS_PARSE_H
#define FS_INITRAMFS_PARSE_H

#include <skiff/types.h>

#define CPIO_HDR_LEN 110
#define CPIO_NAME_MAX 4096

struct cpio_entry {
	u32 ino, mode, uid, gid, nlink, mtime;
	u32 devmajor, devminor, rdevmajor, rdevminor;
	u64 filesize;
	const char *name;     /* NUL-terminated, inside the archive */
	u32 namesize;         /* including the NUL */
	const u8 *data;       /* filesize bytes */
};

/* Parse the entry at *off. Returns 1 with *e filled and *off advanced past
 * it, 0 at the end of the input (after the last trailer and any padding),
 * or -1 with *why set when the archive is corrupt. A trailer entry is
 * skipped transparently. */
int cpio_next(const u8 *buf, size_t size, size_t *off, struct cpio_entry *e, const char **why);

#endif
