/* disk_stress: file-system stress for a disk root (tests/disk-root.sh).
 * Not a t_* program: run-all does not run it; the rootfs /init does, for
 * skiff.test=disk-write and skiff.test=disk-verify.
 *
 *   disk_stress write DIR    build a tree under DIR/tree from a fixed seed
 *                            (thousands of files and directories, renames,
 *                            truncates, appends, hard links, symlinks,
 *                            deletes), sparse files past 4 GiB (DIR/sparse,
 *                            DIR/sparse2) and DIR/MANIFEST; check it all once
 *                            (from the cache); sync.
 *   disk_stress verify DIR   replay the same operations in memory only and
 *                            check the tree on disk against that model: every
 *                            name, type, size, content, link count, inode
 *                            shared by hard links, symlink target, nothing
 *                            extra; the MANIFEST; the sparse files. Then
 *                            remove all of it (DIR too) and sync.
 *
 * A failed check prints "disk_stress: FAIL ..."; the run ends with
 * "disk_stress: <mode> PASS ..." and exit status 0, or "disk_stress: <mode>
 * FAIL (N problems)" and 1 ("verify" is followed by "remove PASS/FAIL").
 * Tree paths and symlink targets never hold spaces: the MANIFEST is lines
 * "d PATH", "f PATH SIZE NLINK CRC32 INO" and "l PATH TARGET INO", sorted by
 * path, which the host cross-checks against debugfs. */
#include "disk_gen.h"
#include <dirent.h>
#include <sys/stat.h>

#define SEED 0x5eedd15c0ffee123ull
#define PBUF 8192 /* path buffers: a tree path plus the base */

static bool apply = true; /* false while replaying (verify) */
static char base[256];    /* DIR/tree */

static uint64_t rng_state;
static uint64_t rnd(void) { return mix(rng_state++); }
static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }

/* --- the model ------------------------------------------------------------- */

/* A regular file or symlink. Content: byte o of a file is gen(seed, o) for
 * o < valid, 0 from valid to size (ftruncate extended it). */
struct node {
	bool is_link;
	int nlink;
	uint64_t seed, size, valid;
	char *target;
	ino_t ino; /* seen on disk (verify: the first name) */
};

struct ent {
	char *path; /* relative to base */
	bool alive, is_dir;
	struct node *n;
};

static struct ent *ents;
static size_t nents, cap_ents;
static unsigned name_seq;

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		die("strdup");
	return p;
}

static struct ent *ent_add(const char *path, bool is_dir, struct node *n)
{
	if (nents == cap_ents) {
		cap_ents = cap_ents ? cap_ents * 2 : 4096;
		ents = realloc(ents, cap_ents * sizeof(*ents));
		if (!ents)
			die("realloc");
	}
	struct ent *e = &ents[nents++];
	e->path = xstrdup(path);
	e->alive = true;
	e->is_dir = is_dir;
	e->n = n;
	if (n)
		n->nlink++;
	return e;
}

static struct node *node_new(void)
{
	struct node *n = calloc(1, sizeof(*n));
	if (!n)
		die("calloc");
	return n;
}

/* A random alive entry: dirs (want_dir), non-dirs, or files only. */
enum pick { P_DIR, P_NONDIR, P_FILE };
static struct ent *pick(enum pick k)
{
	for (int tries = 0; nents && tries < 200; tries++) {
		struct ent *e = &ents[below(nents)];
		if (!e->alive)
			continue;
		if (k == P_DIR ? e->is_dir : (!e->is_dir && (k == P_NONDIR || !e->n->is_link)))
			return e;
	}
	return NULL;
}

/* A fresh name inside dir (path "" is the tree's root). Sometimes long. */
static void fresh_path(const char *dir, char *out, size_t outsz)
{
	char name[256];
	int len = snprintf(name, sizeof(name), "e%06u", name_seq++);

	if (below(20) == 0) {
		int want = 40 + (int)below(200);
		while (len < want)
			name[len++] = (char)('a' + below(26));
		name[len] = 0;
	}
	snprintf(out, outsz, "%s%s%s", dir, *dir ? "/" : "", name);
}

static void full(const char *rel, char *out, size_t outsz)
{
	if (snprintf(out, outsz, "%s%s%s", base, *rel ? "/" : "", rel) >= (int)outsz) {
		errno = ENAMETOOLONG;
		die(rel);
	}
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && path[n] == '/';
}

/* --- operations: each changes the model and (when applying) the disk ------- */

static uint64_t file_size_pick(void)
{
	uint64_t r = below(1000);
	if (r < 30)
		return 0;
	if (r < 700)
		return 1 + below(4096);
	if (r < 975)
		return 4096 + below(28 * 1024);
	return 32 * 1024 + below(96 * 1024);
}

static void op_create(const char *dir, uint64_t size)
{
	char rel[PBUF], p[PBUF];
	struct node *n = node_new();

	fresh_path(dir, rel, sizeof(rel));
	n->seed = rnd();
	n->size = n->valid = size;
	ent_add(rel, false, n);
	if (!apply)
		return;
	full(rel, p, sizeof(p));
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		die(p);
	write_range(fd, n->seed, 0, size);
	close(fd);
}

static void op_mkdir(const char *dir)
{
	char rel[PBUF], p[PBUF];

	fresh_path(dir, rel, sizeof(rel));
	ent_add(rel, true, NULL);
	if (!apply)
		return;
	full(rel, p, sizeof(p));
	if (mkdir(p, 0755))
		die(p);
}

static void op_symlink(const char *dir)
{
	char rel[PBUF], p[PBUF], tgt[512];
	struct node *n = node_new();
	struct ent *other = pick(P_NONDIR);
	int len;

	fresh_path(dir, rel, sizeof(rel));
	if (other && below(2))
		len = snprintf(tgt, sizeof(tgt), "%s/%s", base, other->path); /* resolvable now */
	else
		len = snprintf(tgt, sizeof(tgt), "dangling-%" PRIx64, rnd());
	if (len >= (int)sizeof(tgt))
		len = (int)sizeof(tgt) - 1;
	/* Fast (in the inode, < 60 bytes) and slow (a data block) symlinks. */
	int want = below(3) == 0 ? 60 + (int)below(300) : len;
	while (len < want && len < (int)sizeof(tgt) - 1)
		tgt[len++] = (char)('A' + below(26));
	tgt[len] = 0;
	n->is_link = true;
	n->target = xstrdup(tgt);
	n->size = (uint64_t)len;
	ent_add(rel, false, n);
	if (!apply)
		return;
	full(rel, p, sizeof(p));
	if (symlink(tgt, p))
		die(p);
}

static void op_link(const char *dir)
{
	char rel[PBUF], p[PBUF], o[PBUF];
	struct ent *e = pick(P_FILE);

	if (!e)
		return;
	struct node *n = e->n;
	char *from = xstrdup(e->path); /* ent_add may move ents */
	fresh_path(dir, rel, sizeof(rel));
	ent_add(rel, false, n);
	if (apply) {
		full(from, o, sizeof(o));
		full(rel, p, sizeof(p));
		if (link(o, p))
			die(p);
	}
	free(from);
}

static void drop_name(struct ent *e)
{
	e->alive = false;
	if (e->n)
		e->n->nlink--;
}

static void op_unlink(void)
{
	char p[PBUF];
	struct ent *e = pick(P_NONDIR);

	if (!e)
		return;
	drop_name(e);
	if (!apply)
		return;
	full(e->path, p, sizeof(p));
	if (unlink(p))
		die(p);
}

/* Rename a non-directory to a fresh name, or over another non-directory
 * (which loses that name; a hard link to the same inode: nothing happens,
 * as POSIX says). */
static void op_rename(const char *dir)
{
	char rel[PBUF], p[PBUF], o[PBUF];
	struct ent *e = pick(P_NONDIR), *victim = NULL;

	if (!e)
		return;
	if (below(4) == 0 && (victim = pick(P_NONDIR)) && victim != e)
		snprintf(rel, sizeof(rel), "%s", victim->path);
	else
		victim = NULL, fresh_path(dir, rel, sizeof(rel));
	if (apply) {
		full(e->path, o, sizeof(o));
		full(rel, p, sizeof(p));
		if (rename(o, p))
			die(p);
	}
	if (victim && victim->n == e->n)
		return;
	if (victim)
		drop_name(victim);
	free(e->path);
	e->path = xstrdup(rel);
}

/* Move a directory (with everything below it) under another one. */
static void op_rename_dir(void)
{
	char rel[PBUF], p[PBUF], o[PBUF];
	struct ent *e = pick(P_DIR), *to = pick(P_DIR);

	if (!e)
		return;
	const char *parent = to && !under(to->path, e->path) && to != e ? to->path : "";
	char *old = xstrdup(e->path);
	fresh_path(parent, rel, sizeof(rel));
	if (apply) {
		full(old, o, sizeof(o));
		full(rel, p, sizeof(p));
		if (rename(o, p))
			die(p);
	}
	size_t ol = strlen(old);
	for (size_t i = 0; i < nents; i++) {
		struct ent *x = &ents[i];
		if (!x->alive || !(x == e || under(x->path, old)))
			continue;
		char np[PBUF];
		snprintf(np, sizeof(np), "%s%s", rel, x->path + ol);
		free(x->path);
		x->path = xstrdup(np);
	}
	free(old);
}

static int by_depth_desc(const void *a, const void *b)
{
	const struct ent *x = *(struct ent *const *)a, *y = *(struct ent *const *)b;
	size_t dx = 0, dy = 0;
	for (const char *s = x->path; *s; s++)
		dx += *s == '/';
	for (const char *s = y->path; *s; s++)
		dy += *s == '/';
	return dx < dy ? 1 : dx > dy ? -1 : 0;
}

/* Remove a directory of at most 60 names and everything below it,
 * deepest first. */
static void op_rmtree(void)
{
	struct ent *e = pick(P_DIR);
	char p[PBUF];

	if (!e)
		return;
	struct ent **list = malloc(nents * sizeof(*list));
	size_t k = 0;
	if (!list)
		die("malloc");
	for (size_t i = 0; i < nents; i++)
		if (ents[i].alive && (&ents[i] == e || under(ents[i].path, e->path)))
			list[k++] = &ents[i];
	if (k > 60) {
		free(list);
		return;
	}
	qsort(list, k, sizeof(*list), by_depth_desc);
	for (size_t i = 0; i < k; i++) {
		if (apply) {
			full(list[i]->path, p, sizeof(p));
			if (list[i]->is_dir ? rmdir(p) : unlink(p))
				die(p);
		}
		drop_name(list[i]);
	}
	free(list);
}

static void op_truncate(void)
{
	char p[PBUF];
	struct ent *e = pick(P_FILE);

	if (!e)
		return;
	struct node *n = e->n;
	uint64_t ns = below(3) == 0 ? n->size + below(100 * 1024) : below(n->size + 1);
	if (ns < n->valid)
		n->valid = ns;
	n->size = ns;
	if (!apply)
		return;
	full(e->path, p, sizeof(p));
	if (truncate(p, (off_t)ns))
		die(p);
}

/* Append to a file whose content has no zero tail, or rewrite it whole. */
static void op_write(void)
{
	char p[PBUF];
	struct ent *e = pick(P_FILE);

	if (!e)
		return;
	struct node *n = e->n;
	uint64_t off, len;
	int flags = O_WRONLY;
	if (n->valid == n->size && below(2)) {
		off = n->size;
		len = 1 + below(20000);
		flags |= O_APPEND;
	} else {
		n->seed = rnd();
		off = 0;
		len = file_size_pick();
		flags |= O_TRUNC;
	}
	n->size = n->valid = off + len;
	if (!apply)
		return;
	full(e->path, p, sizeof(p));
	int fd = open(p, flags);
	if (fd < 0)
		die(p);
	if (flags & O_APPEND) {
		/* write(), not pwrite(): O_APPEND positions each write. */
		for (uint64_t done = 0; done < len;) {
			size_t k = len - done < sizeof(iobuf) ? (size_t)(len - done) : sizeof(iobuf);
			gen(n->seed, off + done, iobuf, k);
			if (write(fd, iobuf, k) != (ssize_t)k)
				die(p);
			done += k;
		}
	} else {
		write_range(fd, n->seed, 0, len);
	}
	close(fd);
}

static const char *random_dir(void)
{
	struct ent *d = below(8) ? pick(P_DIR) : NULL;
	return d ? d->path : "";
}

/* The whole scenario; with apply false only the model is built. */
static void scenario(void)
{
	char big[PBUF];

	rng_state = SEED;
	name_seq = 0;
	for (int i = 0; i < 300; i++)
		op_mkdir(random_dir());
	/* One directory of 1200 names (several directory blocks). */
	op_mkdir("");
	snprintf(big, sizeof(big), "%s", ents[nents - 1].path);
	for (int i = 0; i < 1200; i++)
		op_create(big, below(64));
	for (int i = 0; i < 2500; i++)
		op_create(random_dir(), file_size_pick());
	/* Two files into double-indirect blocks (past 4 MiB + 48 KiB). */
	op_create(random_dir(), (4 << 20) + 100000);
	op_create(random_dir(), (4 << 20) + 4096 * 1024 + 1);
	for (int i = 0; i < 400; i++)
		op_symlink(random_dir());
	for (int i = 0; i < 300; i++)
		op_link(random_dir());
	for (int i = 0; i < 5000; i++) {
		uint64_t r = below(100);
		if (r < 20)
			op_rename(random_dir());
		else if (r < 30)
			op_unlink();
		else if (r < 42)
			op_truncate();
		else if (r < 58)
			op_write();
		else if (r < 68)
			op_link(random_dir());
		else if (r < 74)
			op_symlink(random_dir());
		else if (r < 88)
			op_create(random_dir(), file_size_pick());
		else if (r < 94)
			op_mkdir(random_dir());
		else if (r < 99)
			op_rename_dir();
		else
			op_rmtree();
	}
}

/* --- sparse files -------------------------------------------------------------- */

struct extent { uint64_t off, len; };
static const struct extent sparse_ext[] = {
	{ 0, 4096 },
	{ 12 * 4096, 4096 },                   /* first indirect block */
	{ (4ull << 20) + 48 * 1024, 8192 },    /* first double-indirect block */
	{ GiB + 3 * 4096, 4096 },
	{ 4 * GiB - 4096, 8192 },              /* across the 4 GiB line */
	{ 4 * GiB + 12345, 3000 },             /* unaligned */
	{ 5 * GiB + 7, 100 },
	{ 6 * GiB + 100, 5000 },               /* the end: size 6 GiB + 5100 */
};
#define NSPARSE (sizeof(sparse_ext) / sizeof(sparse_ext[0]))
#define SPARSE_SEED 0x51a45e
#define SPARSE_SIZE (6 * GiB + 5100)
/* sparse2: written to 5 GiB + 64 KiB, then cut to 4 GiB + 100. */
#define SPARSE2_CUT (4 * GiB + 100)

static void sparse_write(const char *dir)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/sparse", dir);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(p);
	for (size_t i = 0; i < NSPARSE; i++)
		write_range(fd, SPARSE_SEED, sparse_ext[i].off, sparse_ext[i].len);
	close(fd);
	snprintf(p, sizeof(p), "%s/sparse2", dir);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(p);
	write_range(fd, SPARSE_SEED + 1, 4 * GiB, 4096);
	write_range(fd, SPARSE_SEED + 1, 5 * GiB, 64 * 1024);
	if (ftruncate(fd, (off_t)SPARSE2_CUT))
		die("ftruncate sparse2");
	close(fd);
}

/* pread len bytes at off; compare with gen(seed) or zeros (seed 0). */
static void expect_range(int fd, const char *name, uint64_t seed, uint64_t off, size_t len)
{
	ssize_t r = pread(fd, iobuf, len, (off_t)off);
	if (r != (ssize_t)len) {
		fail("%s: pread %zu at %" PRIu64 " returned %zd (%s)", name, len, off, r, strerror(errno));
		return;
	}
	if (seed)
		gen(seed, off, cmpbuf, len);
	else
		memset(cmpbuf, 0, len);
	for (size_t i = 0; i < len; i++)
		if (iobuf[i] != cmpbuf[i]) {
			fail("%s: byte at %" PRIu64 " is %#x, expected %#x (%s)", name, off + i, iobuf[i],
			     cmpbuf[i], seed ? "data" : "hole");
			return;
		}
}

static void sparse_check(const char *dir)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/sparse", dir);
	int fd = open(p, O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		fail("%s: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	if ((uint64_t)st.st_size != SPARSE_SIZE)
		fail("sparse: size %lld, expected %llu", (long long)st.st_size, (unsigned long long)SPARSE_SIZE);
	/* 46 KiB of data and a few indirect blocks: far below 1 MiB. */
	if (st.st_blocks == 0 || st.st_blocks > 2048)
		fail("sparse: %lld blocks of 512 bytes allocated", (long long)st.st_blocks);
	for (size_t i = 0; i < NSPARSE; i++) {
		expect_range(fd, "sparse", SPARSE_SEED, sparse_ext[i].off, sparse_ext[i].len);
		/* The holes on each side. */
		if (sparse_ext[i].off >= 4096 &&
		    (i == 0 || sparse_ext[i - 1].off + sparse_ext[i - 1].len <= sparse_ext[i].off - 4096))
			expect_range(fd, "sparse", 0, sparse_ext[i].off - 4096, 4096);
		uint64_t end = sparse_ext[i].off + sparse_ext[i].len;
		if (i + 1 < NSPARSE && end + 4096 <= sparse_ext[i + 1].off)
			expect_range(fd, "sparse", 0, end, 4096);
	}
	expect_range(fd, "sparse", 0, 2 * GiB, 65536);
	expect_range(fd, "sparse", 0, 3 * GiB + 123456, 100000);
	if (pread(fd, iobuf, 4096, (off_t)SPARSE_SIZE) != 0)
		fail("sparse: pread at the end does not return 0");
	if (pread(fd, iobuf, 4096, (off_t)SPARSE_SIZE - 100) != 100)
		fail("sparse: pread across the end does not return 100");
	close(fd);

	snprintf(p, sizeof(p), "%s/sparse2", dir);
	fd = open(p, O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		fail("%s: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	if ((uint64_t)st.st_size != SPARSE2_CUT)
		fail("sparse2: size %lld, expected %llu", (long long)st.st_size, (unsigned long long)SPARSE2_CUT);
	/* What is left: one 4 KiB block at 4 GiB (+ its indirect blocks). */
	if (st.st_blocks == 0 || st.st_blocks > 64)
		fail("sparse2: %lld blocks after the cut", (long long)st.st_blocks);
	expect_range(fd, "sparse2", SPARSE_SEED + 1, 4 * GiB, 100);
	expect_range(fd, "sparse2", 0, 4 * GiB - 8192, 8192);
	if (pread(fd, iobuf, 4096, (off_t)(4 * GiB + 100)) != 0)
		fail("sparse2: data past the cut");
	close(fd);
}

/* --- checking the tree against the model ------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp((*(struct ent *const *)a)->path, (*(struct ent *const *)b)->path);
}

static char **found;
static size_t nfound, cap_found;

static void walk(const char *rel)
{
	char p[PBUF];
	full(rel, p, sizeof(p));
	DIR *d = opendir(p);
	if (!d) {
		fail("opendir %s: %s", p, strerror(errno));
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char r[PBUF];
		snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (nfound == cap_found) {
			cap_found = cap_found ? cap_found * 2 : 8192;
			found = realloc(found, cap_found * sizeof(*found));
			if (!found)
				die("realloc");
		}
		found[nfound++] = xstrdup(r);
		if (de->d_type == DT_DIR)
			walk(r);
		else if (de->d_type == DT_UNKNOWN)
			fail("%s: readdir gives DT_UNKNOWN (the file system has filetype)", r);
	}
	closedir(d);
}

struct counts { size_t files, dirs, links, hard; uint64_t bytes; };

/* Check DIR/tree against the model; with write_manifest write
 * DIR/MANIFEST from it, otherwise compare DIR/MANIFEST with it. */
static struct counts check_tree(const char *dir, bool write_manifest)
{
	struct counts c = { 0 };
	char mpath[512];
	FILE *mf;

	snprintf(mpath, sizeof(mpath), "%s/MANIFEST", dir);
	mf = fopen(mpath, write_manifest ? "w" : "r");
	if (!mf) {
		fail("%s: %s", mpath, strerror(errno));
		return c;
	}
	struct ent **live = malloc(nents * sizeof(*live));
	size_t nlive = 0;
	if (!live)
		die("malloc");
	for (size_t i = 0; i < nents; i++) {
		if (ents[i].alive)
			live[nlive++] = &ents[i];
		if (ents[i].n)
			ents[i].n->ino = 0;
	}
	qsort(live, nlive, sizeof(*live), cmp_ent);

	nfound = 0;
	walk("");
	qsort(found, nfound, sizeof(*found), cmp_str);
	size_t i = 0, j = 0;
	while (i < nlive || j < nfound) {
		int d = i == nlive ? 1 : j == nfound ? -1 : strcmp(live[i]->path, found[j]);
		if (d < 0)
			fail("%s: missing", live[i++]->path);
		else if (d > 0)
			fail("%s: on disk but not expected", found[j++]);
		else
			i++, j++;
	}
	for (j = 0; j < nfound; j++)
		free(found[j]);

	char line[1024], want[1024];
	for (i = 0; i < nlive; i++) {
		struct ent *e = live[i];
		struct node *n = e->n;
		char p[PBUF];
		struct stat st;
		full(e->path, p, sizeof(p));
		if (lstat(p, &st)) {
			if (errno != ENOENT) /* reported above */
				fail("lstat %s: %s", e->path, strerror(errno));
			continue;
		}
		if (e->is_dir) {
			c.dirs++;
			if (!S_ISDIR(st.st_mode))
				fail("%s: mode %o, expected a directory", e->path, st.st_mode);
			snprintf(want, sizeof(want), "d %s\n", e->path);
		} else if (n->is_link) {
			c.links++;
			char t[1024];
			ssize_t r = readlink(p, t, sizeof(t) - 1);
			t[r < 0 ? 0 : r] = 0;
			if (!S_ISLNK(st.st_mode) || r < 0 || strcmp(t, n->target) ||
			    (uint64_t)st.st_size != n->size)
				fail("%s: symlink mode %o size %lld target '%s', expected '%s'", e->path,
				     st.st_mode, (long long)st.st_size, t, n->target);
			snprintf(want, sizeof(want), "l %s %s %llu\n", e->path, n->target,
				 (unsigned long long)st.st_ino);
		} else {
			c.files++;
			if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != n->size ||
			    st.st_nlink != (nlink_t)n->nlink)
				fail("%s: mode %o size %lld nlink %lu, expected a file of %" PRIu64 " bytes, %d links",
				     e->path, st.st_mode, (long long)st.st_size, (unsigned long)st.st_nlink,
				     n->size, n->nlink);
			if (n->ino && n->ino != st.st_ino)
				fail("%s: inode %lu, its hard link has %lu", e->path, (unsigned long)st.st_ino,
				     (unsigned long)n->ino);
			if (!n->ino) {
				n->ino = st.st_ino;
				c.bytes += n->size;
				check_content(e->path, p, n->seed, n->size, n->valid);
			} else {
				c.hard++;
			}
			snprintf(want, sizeof(want), "f %s %" PRIu64 " %d %08" PRIx32 " %llu\n", e->path, n->size,
				 n->nlink, content_crc(n->seed, n->size, n->valid), (unsigned long long)st.st_ino);
		}
		if (write_manifest) {
			fputs(want, mf);
		} else if (!fgets(line, sizeof(line), mf) || strcmp(line, want)) {
			fail("MANIFEST has '%.*s', expected '%.*s'", (int)strcspn(line, "\n"), line,
			     (int)strcspn(want, "\n"), want);
			break;
		}
	}
	if (!write_manifest && fgets(line, sizeof(line), mf))
		fail("MANIFEST has more lines: '%s'", line);
	if (write_manifest && (fflush(mf) || fsync(fileno(mf))))
		fail("MANIFEST: %s", strerror(errno));
	fclose(mf);
	free(live);
	return c;
}

/* Directory link counts: 2 + subdirectories. */
static void check_dir_links(void)
{
	for (size_t i = 0; i < nents; i++) {
		struct ent *e = &ents[i];
		if (!e->alive || !e->is_dir)
			continue;
		size_t subs = 0, l = strlen(e->path);
		for (size_t k = 0; k < nents; k++)
			if (ents[k].alive && ents[k].is_dir && under(ents[k].path, e->path) &&
			    !strchr(ents[k].path + l + 1, '/'))
				subs++;
		char p[PBUF];
		struct stat st;
		full(e->path, p, sizeof(p));
		if (!lstat(p, &st) && st.st_nlink != 2 + subs)
			fail("%s: directory nlink %lu, expected %zu", e->path, (unsigned long)st.st_nlink, 2 + subs);
	}
}

static void report(const char *mode, const struct counts *c, double t0)
{
	if (problems) {
		printf("disk_stress: %s FAIL (%d problems)\n", mode, problems);
		exit(1);
	}
	printf("disk_stress: %s PASS: %zu files (%" PRIu64 " bytes, %zu more hard-linked names), %zu directories, "
	       "%zu symlinks, sparse files ok, %.1f s\n",
	       mode, c->files, c->bytes, c->hard, c->dirs, c->links, now() - t0);
}

static int remove_all(const char *rel)
{
	char p[PBUF];
	full(rel, p, sizeof(p));
	DIR *d = opendir(p);
	struct dirent *de;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char r[PBUF], q[PBUF];
		snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		full(r, q, sizeof(q));
		if (de->d_type == DT_DIR ? remove_all(r) || rmdir(q) : unlink(q))
			fail("remove %s: %s", r, strerror(errno));
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: disk_stress write|verify DIR\n");
		return 2;
	}
	const char *mode = argv[1], *dir = argv[2];
	double t0 = now();
	prog = "disk_stress";
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(base, sizeof(base), "%s/tree", dir);

	if (!strcmp(mode, "write")) {
		if (mkdir(dir, 0755) && errno != EEXIST)
			die(dir);
		if (mkdir(base, 0755))
			die(base);
		scenario();
		printf("disk_stress: tree written (%zu names used), %.1f s\n", nents, now() - t0);
		sparse_write(dir);
		printf("disk_stress: sparse files written, %.1f s\n", now() - t0);
		struct counts c = check_tree(dir, true);
		printf("disk_stress: tree checked, %.1f s\n", now() - t0);
		check_dir_links();
		sparse_check(dir);
		printf("disk_stress: sparse checked, %.1f s\n", now() - t0);
		sync();
		report("write", &c, t0);
		return 0;
	}
	if (!strcmp(mode, "verify")) {
		apply = false;
		scenario();
		struct counts c = check_tree(dir, false);
		check_dir_links();
		sparse_check(dir);
		report("verify", &c, t0);
		/* Leave the disk as it was before "write". */
		char p[512];
		remove_all("");
		if (rmdir(base))
			fail("rmdir %s: %s", base, strerror(errno));
		const char *rest[] = { "MANIFEST", "sparse", "sparse2" };
		for (int i = 0; i < 3; i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, rest[i]);
			if (unlink(p))
				fail("unlink %s: %s", p, strerror(errno));
		}
		if (rmdir(dir))
			fail("rmdir %s: %s", dir, strerror(errno));
		sync();
		if (problems) {
			printf("disk_stress: remove FAIL (%d problems)\n", problems);
			return 1;
		}
		printf("disk_stress: remove PASS\n");
		return 0;
	}
	fprintf(stderr, "disk_stress: unknown mode %s\n", mode);
	return 2;
}
