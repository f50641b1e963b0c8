/* libFuzzer target for fs/ext2: the input is a disk image. It is mounted
 * read-write on a memory-backed fake disk, every reachable file, directory
 * and symlink is read (bounded), then a few creates, writes, truncates,
 * renames and removals run, and the file system is unmounted. Any crash,
 * sanitizer report or panic() is a bug: a corrupt image may only produce
 * errors. Built and run by tests/fuzz/run.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/errno.h>
#include "../../fs/ext2/ext2.h"
#include "../unit/ext2_host.h"

#define MAX_IMAGE (1u << 20)

struct walk_ctx {
	u32 inos[32];
	char names[32][256];
	int n;
};

static bool collect(void *c, const char *name, size_t len, u32 ino, unsigned dt, u64 next)
{
	(void)dt;
	(void)next;
	struct walk_ctx *w = c;
	if (w->n >= 32)
		return false;
	w->inos[w->n] = ino;
	memcpy(w->names[w->n], name, len);
	w->names[w->n][len] = 0;
	w->n++;
	return true;
}

static void walk(struct ext2_fs *fs, u32 ino, int depth, int *budget)
{
	int err;
	if (depth > 6 || --*budget < 0)
		return;
	struct ext2_inode_info *ei = ext2_iget(fs, ino, &err);
	if (!ei)
		return;
	if (EXT2_ISDIR(ei->raw.i_mode)) {
		struct walk_ctx *w = calloc(1, sizeof(*w));
		u64 pos = 0;
		u32 dummy;
		ext2_readdir(ei, &pos, collect, w);
		ext2_lookup(ei, "nonexistent-name", 16, &dummy);
		for (int i = 0; i < w->n; i++)
			if (strcmp(w->names[i], ".") && strcmp(w->names[i], ".."))
				walk(fs, w->inos[i], depth + 1, budget);
		free(w);
	} else if (EXT2_ISLNK(ei->raw.i_mode)) {
		char buf[4096];
		ext2_readlink(ei, buf, sizeof(buf));
	} else if (EXT2_ISREG(ei->raw.i_mode)) {
		static u8 buf[16384];
		ext2_read(ei, 0, buf, sizeof(buf));
		u64 sz = ext2_isize(ei);
		ext2_read(ei, sz > 100 ? sz - 100 : 0, buf, 200);
		ext2_read(ei, sz / 2, buf, 4096);
	}
	ext2_iput(ei);
}

static void mutate(struct ext2_fs *fs)
{
	int err;
	u32 ino;
	struct ext2_inode_info *root = ext2_iget(fs, EXT2_ROOT_INO, &err);
	if (!root)
		return;
	if (ext2_create(root, "fz", 2, 0100644, 0, 0, 0, &ino) == 0) {
		struct ext2_inode_info *ei = ext2_iget(fs, ino, &err);
		if (ei) {
			static u8 buf[9000];
			memset(buf, 0x61, sizeof(buf));
			ext2_write(ei, 0, buf, sizeof(buf));
			ext2_write(ei, 300000, buf, 10);
			ext2_truncate(ei, 5000);
			ext2_link(root, "fz2", 3, ei);
			ext2_iput(ei);
		}
	}
	ext2_mkdir(root, "fd", 2, 0755, 0, 0, &ino);
	ext2_symlink(root, "fs", 2, "fz", 0, 0, &ino);
	ext2_rename(root, "fz", 2, root, "fd", 2);
	ext2_rename(root, "fz2", 3, root, "fy", 2);
	ext2_unlink(root, "fy", 2);
	ext2_rmdir(root, "fd", 2);
	ext2_rmdir(root, "lost+found", 10);
	ext2_iput(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake_disk d;
	struct ext2_fs *fs;
	int budget = 64;

	if (size < 4096 || size > MAX_IMAGE)
		return 0;
	size_t len = size & ~(size_t)511;
	memset(&d, 0, sizeof(d));
	d.mem = malloc(len);
	memcpy(d.mem, data, len);
	fake_disk_init(&d, "fuzz", len);
	if (ext2_mount(&d.bd, false, &fs) == 0) {
		walk(fs, EXT2_ROOT_INO, 0, &budget);
		mutate(fs);
		budget = 64;
		walk(fs, EXT2_ROOT_INO, 0, &budget);
		ext2_unmount(fs);
	}
	free(d.mem);
	return 0;
}
