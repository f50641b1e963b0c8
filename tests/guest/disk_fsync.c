/* disk_fsync: what fsync promises survives the VM being killed
 * (tests/disk-root.sh). Not a t_* program; the rootfs /init runs it for
 * skiff.test=disk-fsync-loop and skiff.test=disk-fsync-check.
 *
 *   disk_fsync loop DIR      forever: unsynced churn (files rewritten and
 *                            deleted, never synced); write DIR/fsync/fNNNNN
 *                            and fsync it; write current.tmp, fsync it and
 *                            rename it over DIR/fsync/current (the
 *                            atomic-replace idiom); fsync the directory; then
 *                            print "fsynced N SIZE CRC32". The host kills QEMU
 *                            (SIGKILL) after some of these lines.
 *   disk_fsync check DIR N   after the kill: f00000..fN hold exactly what
 *                            was written and "current" is the whole version
 *                            N or N + 1; every other file in DIR/fsync is
 *                            read too (errors counted, not judged).
 *
 * Ends with "disk_fsync: check PASS ..." (status 0) or "disk_fsync: check
 * FAIL (N problems)" (status 1). */
#include "disk_gen.h"
#include <dirent.h>
#include <sys/stat.h>

/* The content of fNNNNN and of version N of "current". */
static uint64_t f_size(unsigned i) { return 1 + (i * 7919u) % 70000; }
static uint64_t f_seed(unsigned i) { return 0xf5c0000ull + i; }
static uint64_t cur_size(unsigned v) { return 1 + ((v + 1000) * 7919u) % 70000; }
static uint64_t cur_seed(unsigned v) { return f_seed(v) ^ 0xc0ffee; }

static void write_file(const char *p, uint64_t seed, uint64_t size, bool sync)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(p);
	write_range(fd, seed, 0, size);
	if (sync && fsync(fd))
		die("fsync");
	close(fd);
}

static void __attribute__((noreturn)) loop(const char *dir)
{
	char d[512], p[600], q[600];

	snprintf(d, sizeof(d), "%s/fsync", dir);
	if (mkdir(dir, 0755) && errno != EEXIST)
		die(dir);
	if (mkdir(d, 0755) && errno != EEXIST)
		die(d);
	int dfd = open(d, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		die(d);
	for (unsigned i = 0;; i++) {
		snprintf(p, sizeof(p), "%s/churn%u", d, i % 7);
		write_file(p, i, 50000 + (i * 131u) % 100000, false);
		if (i % 3 == 0) {
			snprintf(q, sizeof(q), "%s/churn%u", d, (i + 3) % 7);
			unlink(q);
		}
		snprintf(p, sizeof(p), "%s/f%05u", d, i);
		write_file(p, f_seed(i), f_size(i), true);
		snprintf(p, sizeof(p), "%s/current.tmp", d);
		snprintf(q, sizeof(q), "%s/current", d);
		write_file(p, cur_seed(i), cur_size(i), true);
		if (rename(p, q))
			die("rename current");
		if (fsync(dfd))
			die("fsync dir");
		printf("fsynced %u %" PRIu64 " %08" PRIx32 "\n", i, f_size(i),
		       content_crc(f_seed(i), f_size(i), f_size(i)));
		fflush(stdout);
	}
}

static int check(const char *dir, unsigned last)
{
	char d[512], p[800];
	struct stat st;
	double t0 = now();

	snprintf(d, sizeof(d), "%s/fsync", dir);
	for (unsigned i = 0; i <= last; i++) {
		snprintf(p, sizeof(p), "%s/f%05u", d, i);
		if (stat(p, &st))
			fail("%s: %s", p, strerror(errno));
		else if ((uint64_t)st.st_size != f_size(i))
			fail("%s: size %lld, expected %" PRIu64, p, (long long)st.st_size, f_size(i));
		else
			check_content(p, p, f_seed(i), f_size(i), f_size(i));
	}
	/* "current": version last, or last + 1 if that rename reached the disk. */
	snprintf(p, sizeof(p), "%s/current", d);
	int version = -1;
	if (stat(p, &st) == 0) {
		for (unsigned v = last; v <= last + 1 && version < 0; v++) {
			int before = problems;
			if ((uint64_t)st.st_size == cur_size(v) &&
			    check_content(p, p, cur_seed(v), cur_size(v), cur_size(v)) == 0)
				version = (int)v;
			problems = before;
		}
	}
	if (version < 0)
		fail("%s: not the whole version %u or %u", p, last, last + 1);
	/* Whatever else is there (unsynced churn, later files) is read to the
	 * end. Without a journal, a file that was being written at the kill
	 * may point at blocks that never reached the disk: Linux reads such a
	 * file with EIO. Counted, not judged; the kernel must simply survive. */
	DIR *dh = opendir(d);
	struct dirent *de;
	unsigned names = 0, unreadable = 0;
	while (dh && (de = readdir(dh))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
		int fd = open(p, O_RDONLY);
		ssize_t r = 0;
		while (fd >= 0 && (r = read(fd, iobuf, sizeof(iobuf))) > 0)
			;
		if (fd < 0 || r < 0) {
			printf("disk_fsync: %s: %s (not synced)\n", p, strerror(errno));
			unreadable++;
		}
		if (fd >= 0)
			close(fd);
		names++;
	}
	if (!dh)
		fail("%s: %s", d, strerror(errno));
	else
		closedir(dh);
	if (problems) {
		printf("disk_fsync: check FAIL (%d problems)\n", problems);
		return 1;
	}
	printf("disk_fsync: check PASS: f00000..f%05u intact, current is version %d, %u names, %u unreadable, %.1f s\n",
	       last, version, names, unreadable, now() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	prog = "disk_fsync";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "loop"))
		loop(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "check"))
		return check(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: disk_fsync loop DIR | check DIR N\n");
	return 2;
}
