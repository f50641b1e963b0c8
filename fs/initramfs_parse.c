/* cpio newc parser; see initramfs_parse.h. Every header field is checked:
 * hex digits only, the name inside the buffer and NUL-terminated exactly at
 * namesize-1, the data inside the buffer, the file type one of the seven
 * POSIX types. */
#include "initramfs_parse.h"

#define S_IFMT 0170000

static bool parse_hex8(const u8 *p, u32 *out)
{
	u32 v = 0;

	for (int i = 0; i < 8; i++) {
		u8 c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (u32)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (u32)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (u32)(c - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

static bool valid_type(u32 mode)
{
	switch (mode & S_IFMT) {
	case 0140000: case 0120000: case 0100000: case 0060000:
	case 0040000: case 0020000: case 0010000:
		return true;
	}
	return false;
}

int cpio_next(const u8 *buf, size_t size, size_t *off, struct cpio_entry *e, const char **why)
{
	for (;;) {
		size_t o = *off;
		u32 f[13];

		/* NUL padding between concatenated archives (4-byte steps) */
		while (o < size && buf[o] == 0)
			o++;
		if (o >= size) {
			*off = size;
			return 0;
		}
		if (o % 4) {
			*why = "misaligned header";
			return -1;
		}
		if (size - o < CPIO_HDR_LEN) {
			*why = "truncated header";
			return -1;
		}
		const u8 *h = buf + o;
		if (h[0] == 0x1f && h[1] == 0x8b) {
			*why = "gzip-compressed archive (unsupported; use an uncompressed cpio)";
			return -1;
		}
		if (h[0] != '0' || h[1] != '7' || h[2] != '0' || h[3] != '7' || h[4] != '0' ||
		    (h[5] != '1' && h[5] != '2')) {
			*why = "bad magic (not cpio newc)";
			return -1;
		}
		for (int i = 0; i < 13; i++) {
			if (!parse_hex8(h + 6 + 8 * i, &f[i])) {
				*why = "non-hex header field";
				return -1;
			}
		}
		e->ino = f[0];
		e->mode = f[1];
		e->uid = f[2];
		e->gid = f[3];
		e->nlink = f[4];
		e->mtime = f[5];
		e->filesize = f[6];
		e->devmajor = f[7];
		e->devminor = f[8];
		e->rdevmajor = f[9];
		e->rdevminor = f[10];
		e->namesize = f[11];
		if (e->namesize == 0 || e->namesize > CPIO_NAME_MAX) {
			*why = "bad name size";
			return -1;
		}
		size_t name_off = o + CPIO_HDR_LEN;
		if (size - name_off < e->namesize) {
			*why = "name beyond end of archive";
			return -1;
		}
		e->name = (const char *)(buf + name_off);
		for (u32 i = 0; i + 1 < e->namesize; i++) {
			if (e->name[i] == 0) {
				*why = "NUL inside name";
				return -1;
			}
		}
		if (e->name[e->namesize - 1] != 0) {
			*why = "name not NUL-terminated";
			return -1;
		}
		size_t data_off = align4(name_off + e->namesize);
		if (data_off > size || size - data_off < e->filesize) {
			*why = "file data beyond end of archive";
			return -1;
		}
		e->data = buf + data_off;
		*off = align4(data_off + (size_t)e->filesize);
		if (*off > size)
			*off = size;
		if (e->namesize == 11 && !__builtin_memcmp(e->name, "TRAILER!!!", 11))
			continue;
		if (!valid_type(e->mode)) {
			*why = "bad file type in mode";
			return -1;
		}
		return 1;
	}
}
