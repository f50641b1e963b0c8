/* disk_bench: sequential and 4 KiB random file I/O on the root disk
 * (scripts/disk-bench.sh, Skiff and Linux in turn). Not a t_* program; the
 * rootfs /init runs it for skiff.test=disk-bench-write / disk-bench-read.
 *
 *   disk_bench write DIR MIB   DIR/seq.bin: MIB MiB written with 1 MiB
 *                              write()s, then fsync, timed together
 *                              ("seq-write"); DIR/rand.bin the same size,
 *                              untimed; sync.
 *   disk_bench read DIR N      in a fresh boot (cold cache): DIR/seq.bin
 *                              read with 1 MiB read()s ("seq-read"); N
 *                              pread()s of 4 KiB at distinct random aligned
 *                              offsets of DIR/rand.bin after
 *                              POSIX_FADV_RANDOM ("rand-read-4k").
 *
 * Each 4 KiB block starts with its block number (checked on every read) and
 * is filled with a constant, so checking costs nothing measurable. Output,
 * one line per test, for the host to parse:
 *     disk_bench: <test> <bytes> bytes <ops> ops <microseconds> us
 * and "disk_bench: FAIL ..." on any error (exit status 1). */
#include "disk_gen.h"
#include <sys/stat.h>

#define CHUNK (1 << 20)
#define BLK 4096

static void fill(unsigned char *buf, uint64_t first_block, size_t len)
{
	memset(buf, 0x5a, len);
	for (size_t o = 0; o < len; o += BLK) {
		uint64_t b = first_block + o / BLK;
		memcpy(buf + o, &b, sizeof(b));
	}
}

static int check(const unsigned char *buf, uint64_t first_block, size_t len)
{
	for (size_t o = 0; o < len; o += BLK) {
		uint64_t b;
		memcpy(&b, buf + o, sizeof(b));
		if (b != first_block + o / BLK || buf[o + BLK - 1] != 0x5a) {
			fail("block %" PRIu64 " holds block %" PRIu64 "'s stamp", first_block + o / BLK, b);
			return -1;
		}
	}
	return 0;
}

static void report(const char *test, uint64_t bytes, uint64_t ops, double secs)
{
	printf("disk_bench: %s %" PRIu64 " bytes %" PRIu64 " ops %.0f us\n", test, bytes, ops, secs * 1e6);
}

static double write_file(const char *p, uint64_t mib)
{
	double t0 = now();
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(p);
	for (uint64_t i = 0; i < mib; i++) {
		fill(iobuf, i * (CHUNK / BLK), CHUNK);
		if (write(fd, iobuf, CHUNK) != CHUNK)
			die("write");
	}
	if (fsync(fd))
		die("fsync");
	close(fd);
	return now() - t0;
}

static int do_write(const char *dir, uint64_t mib)
{
	char p[512];

	if (mkdir(dir, 0755) && errno != EEXIST)
		die(dir);
	snprintf(p, sizeof(p), "%s/seq.bin", dir);
	report("seq-write", mib * CHUNK, mib, write_file(p, mib));
	snprintf(p, sizeof(p), "%s/rand.bin", dir);
	write_file(p, mib);
	sync();
	return 0;
}

static int do_read(const char *dir, uint64_t n)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/seq.bin", dir);
	double t0 = now();
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		die(p);
	uint64_t total = 0, ops = 0;
	for (;;) {
		ssize_t r = read(fd, iobuf, CHUNK);
		if (r < 0)
			die("read");
		if (r == 0)
			break;
		if (r % BLK || check(iobuf, total / BLK, (size_t)r))
			break;
		total += (uint64_t)r;
		ops++;
	}
	close(fd);
	report("seq-read", total, ops, now() - t0);

	snprintf(p, sizeof(p), "%s/rand.bin", dir);
	fd = open(p, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die(p);
	uint64_t blocks = (uint64_t)st.st_size / BLK;
	if (blocks & (blocks - 1) || blocks < n) {
		fail("%s: %" PRIu64 " blocks: want a power of two >= %" PRIu64, p, blocks, n);
		return 1;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		/* i -> i * odd + c mod 2^k is a permutation: no block twice. */
		uint64_t b = (i * 0x9e3779b1ull + 0x3c6ef372ull) & (blocks - 1);
		if (pread(fd, iobuf, BLK, (off_t)(b * BLK)) != BLK)
			die("pread");
		if (check(iobuf, b, BLK))
			break;
	}
	report("rand-read-4k", n * BLK, n, now() - t0);
	close(fd);
	return problems ? 1 : 0;
}

int main(int argc, char **argv)
{
	prog = "disk_bench";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "write"))
		return do_write(argv[2], strtoull(argv[3], NULL, 10));
	if (argc == 4 && !strcmp(argv[1], "read"))
		return do_read(argv[2], strtoull(argv[3], NULL, 10));
	fprintf(stderr, "usage: disk_bench write DIR MIB | read DIR N\n");
	return 2;
}
