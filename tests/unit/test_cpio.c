// SOURCES: fs/initramfs_parse.c
/* cpio newc parser: well-formed archives, concatenation, and every kind of
 * corruption the parser must refuse without reading out of bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "../../fs/initramfs_parse.h"

static size_t put_entry(unsigned char *buf, size_t off, const char *name, unsigned mode,
			const char *data, size_t dlen)
{
	size_t nlen = strlen(name) + 1;
	char hdr[111];
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 1u, mode, 0u, 0u, 1u, 0u, (unsigned)dlen, 0u, 0u, 0u, 0u, (unsigned)nlen, 0u);
	memcpy(buf + off, hdr, 110);
	off += 110;
	memcpy(buf + off, name, nlen);
	off += nlen;
	while (off % 4)
		buf[off++] = 0;
	memcpy(buf + off, data, dlen);
	off += dlen;
	while (off % 4)
		buf[off++] = 0;
	return off;
}

static int count_entries(const unsigned char *buf, size_t size, const char **why)
{
	struct cpio_entry e;
	size_t off = 0;
	int n = 0, r;

	while ((r = cpio_next(buf, size, &off, &e, why)) == 1) {
		if (e.data + e.filesize > buf + size || (const unsigned char *)e.name + e.namesize > buf + size)
			return -100;
		n++;
	}
	return r < 0 ? -1 : n;
}

int main(void)
{
	static unsigned char buf[8192];
	const char *why = NULL;
	struct cpio_entry e;
	size_t off = 0, len;

	len = put_entry(buf, 0, "dir", 040755, "", 0);
	len = put_entry(buf, len, "dir/file", 0100644, "hello", 5);
	len = put_entry(buf, len, "dir/link", 0120777, "file", 4);
	len = put_entry(buf, len, "TRAILER!!!", 0, "", 0);

	CHECK_EQ(cpio_next(buf, len, &off, &e, &why), 1);
	CHECK(!strcmp(e.name, "dir"));
	CHECK_EQ(e.mode, 040755);
	CHECK_EQ(cpio_next(buf, len, &off, &e, &why), 1);
	CHECK(!strcmp(e.name, "dir/file"));
	CHECK_EQ(e.filesize, 5);
	CHECK(!memcmp(e.data, "hello", 5));
	CHECK_EQ(cpio_next(buf, len, &off, &e, &why), 1);
	CHECK(!memcmp(e.data, "file", 4));
	CHECK_EQ(cpio_next(buf, len, &off, &e, &why), 0);
	CHECK_EQ(count_entries(buf, len, &why), 3);

	/* concatenated archive after NUL padding */
	size_t len2 = len + 512;
	memset(buf + len, 0, 512);
	len2 = put_entry(buf, len2, "other", 0100600, "x", 1);
	len2 = put_entry(buf, len2, "TRAILER!!!", 0, "", 0);
	CHECK_EQ(count_entries(buf, len2, &why), 4);

	/* every truncation is refused or ends cleanly, never overruns */
	for (size_t cut = 1; cut < len; cut++) {
		unsigned char *copy = malloc(cut);
		memcpy(copy, buf, cut);
		int n = count_entries(copy, cut, &why);
		CHECK(n != -100);
		free(copy);
	}

	/* corruptions */
	unsigned char bad[1024];
	size_t blen = put_entry(bad, 0, "f", 0100644, "abc", 3);
	bad[0] = 'X';
	CHECK_EQ(count_entries(bad, blen, &why), -1);
	blen = put_entry(bad, 0, "f", 0100644, "abc", 3);
	bad[20] = 'g'; /* non-hex */
	CHECK_EQ(count_entries(bad, blen, &why), -1);
	blen = put_entry(bad, 0, "f", 0100644, "abc", 3);
	memcpy(bad + 6 + 8 * 6, "FFFFFFFF", 8); /* huge filesize */
	CHECK_EQ(count_entries(bad, blen, &why), -1);
	blen = put_entry(bad, 0, "f", 0100644, "abc", 3);
	memcpy(bad + 6 + 8 * 11, "00000000", 8); /* namesize 0 */
	CHECK_EQ(count_entries(bad, blen, &why), -1);
	blen = put_entry(bad, 0, "f", 0100644, "abc", 3);
	memcpy(bad + 6 + 8 * 11, "00000001", 8); /* name not NUL-terminated ('f') */
	CHECK_EQ(count_entries(bad, blen, &why), -1);
	blen = put_entry(bad, 0, "f", 0100644, "abc", 3);
	memcpy(bad + 6 + 8 * 11, "7FFFFFFF", 8); /* name beyond end */
	CHECK_EQ(count_entries(bad, blen, &why), -1);
	blen = put_entry(bad, 0, "f", 0170644, "abc", 3); /* bad type */
	CHECK_EQ(count_entries(bad, blen, &why), -1);
	bad[0] = 0x1f; bad[1] = 0x8b; bad[2] = 8; bad[3] = 0;
	CHECK_EQ(count_entries(bad, 110, &why), -1);
	CHECK(strstr(why, "gzip") != NULL);
	/* garbage of all sizes */
	srand(1);
	for (int t = 0; t < 2000; t++) {
		size_t n = (size_t)(rand() % 600);
		unsigned char *g = malloc(n + 1);
		memcpy(g, buf, n < len ? n : len);
		for (size_t i = 0; i < n; i++)
			if (rand() % 16 == 0)
				g[i] = (unsigned char)rand();
		CHECK(count_entries(g, n, &why) != -100);
		free(g);
	}
	TEST_DONE("cpio");
}
