/* Malformed ELF executables: execve of a damaged copy of the helper program
 * (static: ET_EXEC; dynamic: ET_DYN with PT_INTERP) fails with Linux's errno,
 * or, when the damage is found only after the point of no return, the new
 * image dies of the signal Linux sends. Never a kernel crash: the program
 * ends by running the intact helper.
 *
 * Linux 6.1's binfmt_elf checks the magic, e_type, e_machine, e_phentsize,
 * e_phnum (at most 64 KiB of headers) and reads the program headers (a short
 * read is ENOEXEC); it does not check EI_CLASS, EI_DATA or the versions. A
 * PT_LOAD beyond the end of the file is mapped like any mmap past EOF. A bad
 * interpreter is ELIBBAD, an unreadable interpreter header EIO. */
#include "t.h"
#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>

/* How a run ended: errno of a failed execve, or the wait status. */
enum kind { ERRNO, EXITED, SIGNALED };
struct outcome {
	enum kind kind;
	int val;
};

static char tmp_path[256];
static const char *tpath(const char *name)
{
	snprintf(tmp_path, sizeof(tmp_path), "%s/t_badelf.%d.%s", t_tmpdir(), getpid(), name);
	return tmp_path;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		printf("t_badelf: cannot open %s\n", path);
		exit(1);
	}
	unsigned char *buf = malloc((size_t)st.st_size);
	size_t got = 0;
	ssize_t r;
	while (got < (size_t)st.st_size && (r = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)r;
	close(fd);
	*len = got;
	return buf;
}

static void put_file(const char *path, const void *data, size_t n, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, data, n) != (ssize_t)n)
		printf("t_badelf: cannot write %s: %s\n", path, strerror(errno));
	close(fd);
	chmod(path, mode);
}

/* execve path in a child (argv "x exit 7": the intact helper exits 7). */
static struct outcome run(const char *path)
{
	char *argv[] = { "x", "exit", "7", NULL };
	char *envp[] = { NULL };
	int p[2];
	struct outcome o = { ERRNO, -1 };
	if (pipe2(p, O_CLOEXEC))
		return o;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		execve(path, argv, envp);
		int e = errno;
		if (write(p[1], &e, sizeof(e)) != sizeof(e))
			_exit(126);
		_exit(127);
	}
	close(p[1]);
	int e = 0, st = 0;
	ssize_t n = read(p[0], &e, sizeof(e));
	close(p[0]);
	waitpid(c, &st, 0);
	if (n == sizeof(e)) {
		o.kind = ERRNO;
		o.val = e;
	} else if (WIFSIGNALED(st)) {
		o.kind = SIGNALED;
		o.val = WTERMSIG(st);
	} else {
		o.kind = EXITED;
		o.val = WEXITSTATUS(st);
	}
	return o;
}

static const char *kind_name(enum kind k)
{
	return k == ERRNO ? "errno" : k == EXITED ? "exit" : "signal";
}

static const char *val_name(enum kind k, int v)
{
	static char buf[32];
	if (k == ERRNO)
		return strerrorname_np(v) ?: "?";
	if (k == SIGNALED)
		return sigabbrev_np(v) ?: "?";
	snprintf(buf, sizeof(buf), "%d", v);
	return buf;
}

/* Write the image, run it, compare. */
static void expect(const char *name, const void *img, size_t len, enum kind k, int v)
{
	const char *path = tpath(name);
	put_file(path, img, len, 0755);
	struct outcome o = run(path);
	if (o.kind == k && o.val == v) {
		t_pass++;
	} else {
		printf("FAIL %s:%d %s: got %s %s", __FILE__, __LINE__, name, kind_name(o.kind),
		       val_name(o.kind, o.val));
		printf(", expected %s %s\n", kind_name(k), val_name(k, v));
		t_failed();
	}
	unlink(path);
}

static Elf64_Ehdr *eh_of(unsigned char *b)
{
	return (Elf64_Ehdr *)b;
}

static Elf64_Phdr *ph_of(unsigned char *b, int i)
{
	return (Elf64_Phdr *)(b + eh_of(b)->e_phoff) + i;
}

/* Index of the first program header of type `type` (with PF_X when
 * `exec`), or -1. */
static int find_ph(unsigned char *b, unsigned type, bool exec)
{
	for (int i = 0; i < eh_of(b)->e_phnum; i++)
		if (ph_of(b, i)->p_type == type && (!exec || (ph_of(b, i)->p_flags & PF_X)))
			return i;
	return -1;
}

/* A fresh copy of the original image. */
static unsigned char *dup_img(const unsigned char *orig, size_t len)
{
	unsigned char *b = malloc(len);
	memcpy(b, orig, len);
	return b;
}

static void t_static(const unsigned char *orig, size_t len)
{
	unsigned char *b;

	/* The intact copy runs. */
	expect("intact", orig, len, EXITED, 7);

	/* Header damage. */
	b = dup_img(orig, len);
	b[0] = 'X';
	expect("bad_magic", b, len, ERRNO, ENOEXEC);
	free(b);
	expect("magic_only", orig, 4, ERRNO, ENOEXEC);
	expect("header_cut_32", orig, 32, ERRNO, ENOEXEC);
	expect("header_only", orig, sizeof(Elf64_Ehdr), ERRNO, ENOEXEC);
	expect("empty", orig, 0, ERRNO, ENOEXEC);

	b = dup_img(orig, len);
	eh_of(b)->e_type = ET_REL;
	expect("et_rel", b, len, ERRNO, ENOEXEC);
	eh_of(b)->e_type = ET_CORE;
	expect("et_core", b, len, ERRNO, ENOEXEC);
	free(b);

	b = dup_img(orig, len);
	eh_of(b)->e_machine = EM_AARCH64;
	expect("aarch64", b, len, ERRNO, ENOEXEC);
	free(b);

	/* Fields Linux does not look at. */
	b = dup_img(orig, len);
	b[EI_CLASS] = ELFCLASS32;
	expect("ident_class32", b, len, EXITED, 7);
	free(b);
	b = dup_img(orig, len);
	b[EI_DATA] = ELFDATA2MSB;
	expect("ident_msb", b, len, EXITED, 7);
	free(b);
	b = dup_img(orig, len);
	b[EI_VERSION] = 0;
	eh_of(b)->e_version = 2;
	expect("bad_versions", b, len, EXITED, 7);
	free(b);

	/* Program header table damage. */
	b = dup_img(orig, len);
	eh_of(b)->e_phentsize = 32;
	expect("phentsize_32", b, len, ERRNO, ENOEXEC);
	free(b);
	b = dup_img(orig, len);
	eh_of(b)->e_phnum = 0;
	expect("phnum_0", b, len, ERRNO, ENOEXEC);
	eh_of(b)->e_phnum = 0xffff; /* > 64 KiB of headers */
	expect("phnum_65535", b, len, ERRNO, ENOEXEC);
	eh_of(b)->e_phnum = 74; /* more than a page of headers */
	expect("phnum_74", b, len, ERRNO, ENOEXEC);
	free(b);
	/* The file ends inside the program headers. */
	expect("phdrs_cut", orig, eh_of((unsigned char *)orig)->e_phoff + 3 * sizeof(Elf64_Phdr) + 5,
	       ERRNO, ENOEXEC);
	/* e_phoff points past the end of the file. */
	b = dup_img(orig, len);
	eh_of(b)->e_phoff = len + 4096;
	expect("phoff_past_eof", b, len, ERRNO, ENOEXEC);
	eh_of(b)->e_phoff = len - sizeof(Elf64_Phdr); /* the table runs past EOF */
	expect("phoff_straddles_eof", b, len, ERRNO, ENOEXEC);
	eh_of(b)->e_phoff = 0x7fffffffffffff00ull;
	expect("phoff_huge", b, len, ERRNO, ENOEXEC);
	free(b);
}

/* Damage found only when the segments are mapped, after the point of no
 * return: Linux maps a PT_LOAD past EOF like any mmap past EOF (touching it
 * is SIGBUS) and kills the new image with SIGSEGV when it cannot zero the
 * partial .bss page. */
static void t_segments(const unsigned char *orig, size_t len)
{
	unsigned char *b;
	int text = find_ph((unsigned char *)orig, PT_LOAD, true);
	CHECK(text >= 0);
	if (text < 0)
		return;

	/* The text segment's file offset moved past EOF (still congruent with
	 * its address): the entry point's page is beyond the file. */
	b = dup_img(orig, len);
	ph_of(b, text)->p_offset += (len + 0x10000) & ~0xfffull;
	expect("text_past_eof", b, len, SIGNALED, SIGBUS);
	free(b);

	/* A real truncation: the first page only, then half the file. */
	expect("cut_one_page", orig, 4096, SIGNALED, SIGBUS);
	expect("cut_half", orig, len / 2, SIGNALED, SIGBUS);

	/* p_filesz > p_memsz. */
	b = dup_img(orig, len);
	ph_of(b, text)->p_memsz = ph_of(b, text)->p_filesz / 2;
	expect("filesz_gt_memsz", b, len, SIGNALED, SIGSEGV);
	free(b);

	/* Offset and address not congruent modulo the page size. */
	b = dup_img(orig, len);
	ph_of(b, text)->p_offset += 8;
	expect("not_congruent", b, len, SIGNALED, SIGSEGV);
	free(b);

	/* A segment in the kernel half, and one that wraps around. */
	b = dup_img(orig, len);
	ph_of(b, text)->p_vaddr = 0xffffffff81000000ull + (ph_of(b, text)->p_vaddr & 0xfff);
	expect("load_kernel_half", b, len, SIGNALED, SIGSEGV);
	ph_of(b, text)->p_vaddr = 0x7ffffffff000ull + (ph_of(b, text)->p_vaddr & 0xfff);
	ph_of(b, text)->p_memsz = ~0ull - 0x1000;
	expect("load_wraps", b, len, SIGNALED, SIGSEGV);
	free(b);

	/* No PT_LOAD at all. */
	b = dup_img(orig, len);
	for (int i = 0; i < eh_of(b)->e_phnum; i++)
		if (ph_of(b, i)->p_type == PT_LOAD)
			ph_of(b, i)->p_type = PT_NOTE;
	expect("no_load", b, len, SIGNALED, SIGSEGV);
	free(b);

	/* An alignment that is not a power of two is ignored. */
	b = dup_img(orig, len);
	for (int i = 0; i < eh_of(b)->e_phnum; i++)
		if (ph_of(b, i)->p_type == PT_LOAD)
			ph_of(b, i)->p_align = 0x3000;
	expect("align_not_pow2", b, len, EXITED, 7);
	free(b);
}

/* The dynamic helper's PT_INTERP: a missing, unterminated, non-ELF, short,
 * directory or non-executable interpreter. */
static void t_interp(const unsigned char *orig, size_t len)
{
	unsigned char *b;
	int ip = find_ph((unsigned char *)orig, PT_INTERP, false);
	CHECK(ip >= 0);
	if (ip < 0)
		return;
	expect("dyn_intact", orig, len, EXITED, 7);
	Elf64_Phdr *p = ph_of((unsigned char *)orig, ip);
	size_t room = p->p_filesz; /* with the NUL */
	char name[64];

	b = dup_img(orig, len);
	char *s = (char *)b + p->p_offset;
	snprintf(s, room, "/nonexistent/ld.so");
	expect("interp_missing", b, len, ERRNO, ENOENT);
	memset(s, 'a', room);
	expect("interp_unterminated", b, len, ERRNO, ENOEXEC);
	ph_of(b, ip)->p_filesz = 8192;
	expect("interp_too_long", b, len, ERRNO, ENOEXEC);
	ph_of(b, ip)->p_filesz = room;
	ph_of(b, ip)->p_offset = len + 100;
	expect("interp_past_eof", b, len, ERRNO, EIO);
	ph_of(b, ip)->p_offset = p->p_offset;

	/* Interpreters of our own, named within the room of the original. */
	snprintf(name, sizeof(name), "/tmp/bi%d", (int)getpid() % 100000);
	CHECK(strlen(name) < room);
	memset(s, 0, room);
	strcpy(s, name);
	static char junk[4096];
	memset(junk, 'g', sizeof(junk));
	put_file(name, junk, sizeof(junk), 0755);
	expect("interp_garbage", b, len, ERRNO, ELIBBAD);
	put_file(name, junk, 10, 0755);
	expect("interp_short", b, len, ERRNO, EIO);
	memcpy(junk, "#!/bin/sh\n", 10);
	put_file(name, junk, sizeof(junk), 0755);
	expect("interp_script", b, len, ERRNO, ELIBBAD);
	/* An ELF interpreter that is itself damaged. */
	unsigned char *ld = dup_img(orig, len);
	eh_of(ld)->e_phnum = 0;
	put_file(name, ld, len, 0755);
	expect("interp_phnum_0", b, len, ERRNO, ELIBBAD);
	eh_of(ld)->e_phnum = eh_of((unsigned char *)orig)->e_phnum;
	eh_of(ld)->e_machine = EM_AARCH64;
	put_file(name, ld, len, 0755);
	expect("interp_aarch64", b, len, ERRNO, ELIBBAD);
	eh_of(ld)->e_machine = EM_X86_64;
	eh_of(ld)->e_type = ET_REL;
	put_file(name, ld, len, 0755);
	expect("interp_et_rel", b, len, SIGNALED, SIGSEGV);
	free(ld);
	unlink(name);
	mkdir(name, 0755);
	expect("interp_dir", b, len, ERRNO, EACCES);
	rmdir(name);
	free(b);
}

int main(int argc, char **argv)
{
	/* Both helpers, whichever way this program is linked. */
	char spath[512], dpath[512];
	snprintf(spath, sizeof(spath), "%s", t_helper());
	char *dash = strrchr(spath, '-');
	if (!dash) {
		printf("t_badelf: odd helper path %s\n", spath);
		return 1;
	}
	snprintf(dpath, sizeof(dpath), "%.*s-dynamic", (int)(dash - spath), spath);
	snprintf(dash, sizeof(spath) - (size_t)(dash - spath), "-static");

	size_t slen, dlen;
	unsigned char *st = slurp(spath, &slen);
	unsigned char *dy = slurp(dpath, &dlen);
	CHECK_EQ(eh_of(st)->e_type, ET_EXEC);
	CHECK_EQ(eh_of(dy)->e_type, ET_DYN);
	t_static(st, slen);
	t_segments(st, slen);
	t_interp(dy, dlen);
	/* The kernel is still here: an intact exec works. */
	expect("intact_again", st, slen, EXITED, 7);
	return t_done();
}
