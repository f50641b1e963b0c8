/* Shared by the disk test helpers (disk_stress.c, disk_fsync.c): file
 * content generated from a seed, so a later boot can check a file without
 * a copy of it; CRC-32 checksums (the host recomputes them from what
 * debugfs reads); failure reporting.
 *
 * A file described by (seed, size, valid) holds gen(seed) at offsets below
 * valid and zeros from valid to size (an ftruncate that extended it). */
#ifndef GUEST_DISK_GEN_H
#define GUEST_DISK_GEN_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GiB (1ull << 30)

/* Set by main: the prefix of every report line ("disk_stress"). */
static const char *prog = "disk";
static int problems;

/* One check failed: "<prog>: FAIL ..." (the first 40 are printed). */
static __attribute__((format(printf, 1, 2), unused)) void fail(const char *fmt, ...)
{
	va_list ap;

	if (++problems > 40)
		return;
	va_start(ap, fmt);
	printf("%s: FAIL ", prog);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

/* A step the test cannot go on without failed (errno says why). */
static __attribute__((noreturn, unused)) void die(const char *what)
{
	printf("%s: FAIL %s: %s\n", prog, what, strerror(errno));
	printf("%s: aborted\n", prog);
	exit(1);
}

static inline double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* splitmix64's finaliser: the generator behind both data and choices. */
static inline uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* len bytes of the content with seed seed, from offset off: byte o is byte
 * (o % 8) of mix(seed ^ (o / 8) * FNV prime), so any range can be made
 * without the bytes before it. */
static inline void gen(uint64_t seed, uint64_t off, unsigned char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint64_t o = off + i, w = mix(seed ^ ((o >> 3) * 0x100000001b3ull));
		unsigned sh = (unsigned)(o & 7);
		for (; sh < 8 && i < len; sh++, i++)
			buf[i] = (unsigned char)(w >> (8 * sh));
	}
}

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()): crc32(0, p, n) of
 * a whole file equals Python's zlib.crc32 of it. */
static inline uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
	static uint32_t table[256];

	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static unsigned char iobuf[1 << 20], cmpbuf[1 << 20];

/* cmpbuf[0..k) = the expected bytes at [o, o + k) of (seed, valid). */
static inline void expected(uint64_t seed, uint64_t valid, uint64_t o, size_t k)
{
	size_t v = o >= valid ? 0 : valid - o < k ? (size_t)(valid - o) : k;
	gen(seed, o, cmpbuf, v);
	memset(cmpbuf + v, 0, k - v);
}

/* Write gen(seed) at [off, off + len) with pwrite. */
static __attribute__((unused)) void write_range(int fd, uint64_t seed, uint64_t off, uint64_t len)
{
	while (len) {
		size_t k = len < sizeof(iobuf) ? (size_t)len : sizeof(iobuf);
		gen(seed, off, iobuf, k);
		ssize_t w = pwrite(fd, iobuf, k, (off_t)off);
		if (w != (ssize_t)k)
			die("pwrite");
		off += k;
		len -= k;
	}
}

/* CRC-32 of the whole content of (seed, size, valid). */
static __attribute__((unused)) uint32_t content_crc(uint64_t seed, uint64_t size, uint64_t valid)
{
	uint32_t crc = 0;
	for (uint64_t o = 0; o < size;) {
		size_t k = size - o < sizeof(cmpbuf) ? (size_t)(size - o) : sizeof(cmpbuf);
		expected(seed, valid, o, k);
		crc = crc32_update(crc, cmpbuf, k);
		o += k;
	}
	return crc;
}

/* Read file p to its end and compare with (seed, size, valid); name is
 * what a failure calls it. Returns the number of failures reported. */
static __attribute__((unused)) int check_content(const char *name, const char *p, uint64_t seed,
						 uint64_t size, uint64_t valid)
{
	int before = problems;
	int fd = open(p, O_RDONLY);
	if (fd < 0) {
		fail("open %s: %s", name, strerror(errno));
		return 1;
	}
	uint64_t o = 0;
	for (;;) {
		ssize_t r = read(fd, iobuf, sizeof(iobuf));
		if (r < 0) {
			fail("read %s: %s", name, strerror(errno));
			break;
		}
		if (r == 0) {
			if (o != size)
				fail("%s: read %" PRIu64 " bytes, size is %" PRIu64, name, o, size);
			break;
		}
		size_t k = (size_t)r;
		if (o + k > size) {
			fail("%s: read past its size %" PRIu64, name, size);
			break;
		}
		expected(seed, valid, o, k);
		if (memcmp(iobuf, cmpbuf, k)) {
			size_t i = 0;
			while (iobuf[i] == cmpbuf[i])
				i++;
			fail("%s: byte %" PRIu64 " is %#x, expected %#x (size %" PRIu64 ", data to %" PRIu64 ")",
			     name, o + i, iobuf[i], cmpbuf[i], size, valid);
			break;
		}
		o += k;
	}
	close(fd);
	return problems - before;
}

#endif
