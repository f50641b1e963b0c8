/* Memory mappings: anonymous private/shared, MAP_FIXED and
 * MAP_FIXED_NOREPLACE, partial munmap, mprotect faults (si_addr, si_code),
 * mremap, madvise, brk, mincore, file mappings (MAP_SHARED coherence with
 * read/write, msync, SIGBUS past EOF) and the EINVAL/ENOMEM/EACCES cases. */
#include "t.h"
#include <fcntl.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PG 4096UL

static sigjmp_buf fault_jmp;
static volatile int fault_sig, fault_code;
static void *volatile fault_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	siglongjmp(fault_jmp, 1);
}

static void catch_faults(void)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* Touch *p (read, or write when wr); return the signal it raised (0: none). */
static int touch(volatile char *p, int wr)
{
	fault_sig = 0;
	fault_addr = NULL;
	fault_code = 0;
	if (sigsetjmp(fault_jmp, 1) == 0) {
		if (wr)
			*p = 1;
		else
			(void)*p;
	}
	return fault_sig;
}

static int all_bytes(const char *p, size_t n, char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void t_anon(void)
{
	char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK_EQ((uintptr_t)p % PG, 0);
	CHECK(all_bytes(p, 3 * PG, 0));
	memset(p, 0x5a, 3 * PG);
	CHECK(all_bytes(p, 3 * PG, 0x5a));

	/* Private: the child's writes stay in the child. */
	int st;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		memset(p, 0x11, PG);
		_exit(p[0] == 0x11 ? 0 : 1);
	}
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_EXITED(st, 0);
	CHECK(all_bytes(p, PG, 0x5a));

	/* Shared: the child's writes are seen by the parent. */
	char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(s != MAP_FAILED);
	CHECK(all_bytes(s, PG, 0));
	fflush(stdout);
	c = fork();
	if (c == 0) {
		strcpy(s, "from child");
		_exit(0);
	}
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK_STR(s, "from child");

	/* MAP_FIXED replaces the middle page of p with a fresh zero page. */
	char *f = mmap(p + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(f == p + PG);
	CHECK(all_bytes(p + PG, PG, 0));
	CHECK(all_bytes(p, PG, 0x5a));
	CHECK(all_bytes(p + 2 * PG, PG, 0x5a));

	/* MAP_FIXED_NOREPLACE: EEXIST over a mapping, the exact address otherwise. */
	CHECK_RET(mmap(p + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
		  MAP_FAILED, EEXIST);
	CHECK_RET(mmap(p + 2 * PG, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
		  MAP_FAILED, EEXIST);
	char *hole = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(hole != MAP_FAILED);
	CHECK_RET(munmap(hole, 4 * PG), 0, 0);
	CHECK_RET(mmap(hole + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
		  hole + PG, 0);
	CHECK_RET(munmap(hole + PG, PG), 0, 0);

	/* A hint that is free is honoured exactly. */
	CHECK_RET(mmap(hole + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), hole + 2 * PG, 0);
	CHECK_RET(munmap(hole + 2 * PG, PG), 0, 0);

	/* Partial munmap: the middle page faults, its neighbours stay. */
	CHECK_RET(munmap(p + PG, PG), 0, 0);
	CHECK_EQ(touch(p + PG, 0), SIGSEGV);
	CHECK(fault_addr == p + PG);
	CHECK_EQ(fault_code, SEGV_MAPERR);
	CHECK_EQ(touch(p + PG + 100, 1), SIGSEGV);
	CHECK(fault_addr == p + PG + 100);
	CHECK_EQ(touch(p, 0), 0);
	CHECK_EQ(touch(p + 2 * PG + PG - 1, 1), 0);
	CHECK_RET(munmap(p + PG, PG), 0, 0); /* nothing mapped there: still 0 */
	CHECK_RET(munmap(p + 1, PG), -1, EINVAL);
	CHECK_RET(munmap(p, 0), -1, EINVAL);
	CHECK_RET(munmap(p, 3 * PG), 0, 0);
	CHECK_RET(munmap(s, PG), 0, 0);
	CHECK_EQ(touch(s, 0), SIGSEGV);
}

static void t_mprotect(void)
{
	char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	p[0] = 7;
	p[PG] = 8;
	CHECK_RET(mprotect(p, PG, PROT_READ), 0, 0);
	CHECK_EQ(touch(p + 10, 1), SIGSEGV);
	CHECK(fault_addr == p + 10);
	CHECK_EQ(fault_code, SEGV_ACCERR);
	CHECK_EQ(p[0], 7);
	CHECK_EQ(touch(p + PG, 1), 0); /* the second page is still writable */
	CHECK_RET(mprotect(p, 2 * PG, PROT_NONE), 0, 0);
	CHECK_EQ(touch(p + PG + 5, 0), SIGSEGV);
	CHECK(fault_addr == p + PG + 5);
	CHECK_EQ(fault_code, SEGV_ACCERR);
	CHECK_RET(mprotect(p, 2 * PG, PROT_READ | PROT_WRITE), 0, 0);
	CHECK_EQ(p[0], 7);
	CHECK_EQ(p[PG], 1);
	CHECK_RET(mprotect(p + 1, PG, PROT_READ), -1, EINVAL);
	CHECK_RET(mprotect(p, PG, 0x100), -1, EINVAL);
	CHECK_RET(munmap(p, 2 * PG), 0, 0);
	CHECK_RET(mprotect(p, PG, PROT_READ), -1, ENOMEM); /* unmapped */

	/* Write-only is not a thing on x86: PROT_WRITE implies read. */
	char *w = mmap(NULL, PG, PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(w != MAP_FAILED);
	CHECK_EQ(touch(w, 0), 0);
	munmap(w, PG);
}

static void t_mremap(void)
{
	/* p: two pages, followed by a PROT_NONE page that blocks growth in place. */
	char *p = mmap(NULL, 3 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK_RET(mmap(p, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), p, 0);
	char *block = p + 2 * PG;
	memset(p, 0x33, 2 * PG);
	CHECK_RET(mremap(p, 2 * PG, 4 * PG, 0), MAP_FAILED, ENOMEM);
	char *q = mremap(p, 2 * PG, 4 * PG, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED && q != p);
	CHECK(all_bytes(q, 2 * PG, 0x33));
	CHECK(all_bytes(q + 2 * PG, 2 * PG, 0));
	CHECK_EQ(touch(p, 0), SIGSEGV); /* the old range is gone */
	/* Shrink in place. */
	CHECK_RET(mremap(q, 4 * PG, PG, 0), q, 0);
	CHECK_EQ(touch(q + PG, 0), SIGSEGV);
	/* Move to a chosen address. */
	char *r = mremap(q, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, p);
	CHECK(r == p);
	CHECK(all_bytes(p, PG, 0x33));
	CHECK_RET(mremap(p, PG, 2 * PG, MREMAP_FIXED, p + 8 * PG), MAP_FAILED, EINVAL);
	CHECK_RET(mremap(p + 1, PG, 2 * PG, MREMAP_MAYMOVE), MAP_FAILED, EINVAL);
	CHECK_RET(mremap(p, PG, 0, MREMAP_MAYMOVE), MAP_FAILED, EINVAL);
	CHECK_RET(mremap(p, PG, PG, 0x80), MAP_FAILED, EINVAL);
	munmap(p, PG);
	munmap(block, PG);
	CHECK_RET(mremap(p, PG, 2 * PG, MREMAP_MAYMOVE), MAP_FAILED, EFAULT); /* nothing mapped */
}

static void t_madvise(void)
{
	char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED && s != MAP_FAILED);
	memset(p, 0x44, 2 * PG);
	memset(s, 0x55, PG);
	CHECK_RET(madvise(p, PG, MADV_DONTNEED), 0, 0);
	CHECK(all_bytes(p, PG, 0));		/* private anon: zero-fill again */
	CHECK(all_bytes(p + PG, PG, 0x44)); /* outside the range: kept */
	CHECK_RET(madvise(s, PG, MADV_DONTNEED), 0, 0);
	CHECK(all_bytes(s, PG, 0x55)); /* shared: the data lives on */
	CHECK_RET(madvise(p, 2 * PG, MADV_NORMAL), 0, 0);
	CHECK_RET(madvise(p, 2 * PG, MADV_WILLNEED), 0, 0);
	CHECK_RET(madvise(p, 2 * PG, MADV_SEQUENTIAL), 0, 0);
	CHECK_RET(madvise(p, 2 * PG, MADV_RANDOM), 0, 0);
	CHECK_RET(madvise(p, 2 * PG, MADV_DONTFORK), 0, 0);
	CHECK_RET(madvise(p, 2 * PG, MADV_DOFORK), 0, 0);
	CHECK_RET(madvise(p, 2 * PG, 12345), -1, EINVAL);
	CHECK_RET(madvise(p + 1, PG, MADV_NORMAL), -1, EINVAL);
	munmap(p, 2 * PG);
	munmap(s, PG);
	CHECK_RET(madvise(p, PG, MADV_NORMAL), -1, ENOMEM);
}

static void t_brk(void)
{
	void *cur = (void *)syscall(SYS_brk, 0);
	CHECK(cur != NULL);
	CHECK_EQ(syscall(SYS_brk, 0), (long)cur);
	char *top = (char *)cur + 64 * 1024;
	CHECK_EQ(syscall(SYS_brk, top), (long)top);
	CHECK_EQ(syscall(SYS_brk, 0), (long)top);
	memset(cur, 0x66, 64 * 1024); /* the new heap is usable */
	CHECK(all_bytes(cur, 64 * 1024, 0x66));
	/* Shrink: the pages above the break are gone... */
	CHECK_EQ(syscall(SYS_brk, cur), (long)cur);
	char *pg = (char *)(((uintptr_t)cur + PG - 1) & ~(PG - 1));
	CHECK_EQ(touch(pg + PG, 0), SIGSEGV);
	/* ...and come back zeroed. */
	CHECK_EQ(syscall(SYS_brk, top), (long)top);
	CHECK(all_bytes(pg + PG, PG, 0));
	CHECK_EQ(syscall(SYS_brk, cur), (long)cur);
	/* A break below the start, or into another mapping, is refused: the
	 * current break comes back. */
	CHECK_EQ(syscall(SYS_brk, 4096), (long)cur);
	char *m = mmap(pg + 16 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == pg + 16 * PG) {
		CHECK_EQ(syscall(SYS_brk, pg + 20 * PG), (long)cur);
		munmap(m, PG);
	}
}

static void t_mincore(void)
{
	char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	p[0] = 1;
	p[2 * PG] = 1;
	unsigned char v[3] = { 9, 9, 9 };
	CHECK_RET(mincore(p, 3 * PG, v), 0, 0);
	CHECK_EQ(v[0] & 1, 1);
	CHECK_EQ(v[1] & 1, 0);
	CHECK_EQ(v[2] & 1, 1);
	CHECK_RET(mincore(p + 1, PG, v), -1, EINVAL);
	CHECK_RET(mincore(p, PG, BAD_PTR(1)), -1, EFAULT);
	munmap(p, 3 * PG);
	CHECK_RET(mincore(p, PG, v), -1, ENOMEM);
}

static void t_file_map(void)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/t_mem.%d", t_tmpdir(), getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_RET(write(fd, "hello", 5), 5, 0);
	CHECK_RET(ftruncate(fd, PG + 100), 0, 0);
	char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	CHECK(memcmp(m, "hello", 5) == 0);
	CHECK_EQ(m[PG + 99], 0);
	/* The map sees write(); read() sees the map. */
	CHECK_RET(pwrite(fd, "WORLD", 5, 10), 5, 0);
	CHECK(memcmp(m + 10, "WORLD", 5) == 0);
	memcpy(m + 20, "mapped", 6);
	char buf[8] = { 0 };
	CHECK_RET(pread(fd, buf, 6, 20), 6, 0);
	CHECK_STR(buf, "mapped");
	CHECK_RET(msync(m, PG, MS_SYNC), 0, 0);
	CHECK_RET(msync(m, PG, MS_ASYNC), 0, 0);
	CHECK_RET(msync(m, PG, MS_INVALIDATE), 0, 0);
	CHECK_RET(msync(m, PG, MS_SYNC | MS_ASYNC), -1, EINVAL);
	CHECK_RET(msync(m + 1, PG, MS_SYNC), -1, EINVAL);
	/* The page past the end of the file raises SIGBUS; within the last page, zeros. */
	CHECK_EQ(m[PG + 4000], 0);
	CHECK_EQ(touch(m + PG + 200, 1), 0);
	CHECK_EQ(touch(m + PG + PG - 1, 0), 0);
	CHECK_RET(ftruncate(fd, PG), 0, 0);
	CHECK_EQ(touch(m + PG, 0), SIGBUS);
	CHECK(fault_addr == m + PG);
	CHECK_EQ(fault_code, BUS_ADRERR);
	/* Growing the file brings the page back, zeroed. */
	CHECK_RET(ftruncate(fd, 2 * PG), 0, 0);
	CHECK_EQ(touch(m + PG, 0), 0);
	CHECK_EQ(m[PG + 200], 0);
	CHECK_RET(munmap(m, 2 * PG), 0, 0);

	/* A private file map: copy on write, the file is unchanged. */
	char *pm = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(pm != MAP_FAILED);
	CHECK(memcmp(pm, "hello", 5) == 0);
	pm[0] = 'J';
	CHECK_RET(pread(fd, buf, 5, 0), 5, 0);
	CHECK(memcmp(buf, "hello", 5) == 0);
	munmap(pm, PG);

	/* An offset map. */
	CHECK_RET(pwrite(fd, "page1", 5, PG), 5, 0);
	char *om = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, PG);
	CHECK(om != MAP_FAILED);
	CHECK(memcmp(om, "page1", 5) == 0);
	munmap(om, PG);
	CHECK_RET(mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 100), MAP_FAILED, EINVAL);
	close(fd);

	/* Access modes. */
	int ro = open(path, O_RDONLY);
	int wo = open(path, O_WRONLY);
	CHECK(ro >= 0 && wo >= 0);
	CHECK_RET(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), MAP_FAILED, EACCES);
	char *rom = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	CHECK(rom != MAP_FAILED); /* private: writable copy of a read-only file */
	munmap(rom, PG);
	CHECK_RET(mmap(NULL, PG, PROT_READ, MAP_SHARED, wo, 0), MAP_FAILED, EACCES);
	CHECK_RET(mmap(NULL, PG, PROT_READ, MAP_SHARED, 999, 0), MAP_FAILED, EBADF);
	close(ro);
	close(wo);
	unlink(path);
	int dfd = open("/", O_RDONLY | O_DIRECTORY);
	CHECK_RET(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, dfd, 0), MAP_FAILED, ENODEV);
	close(dfd);
	int p[2];
	pipe(p);
	CHECK_RET(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, p[0], 0), MAP_FAILED, ENODEV);
	close(p[0]);
	close(p[1]);
}

static void t_einval(void)
{
	int anon = MAP_PRIVATE | MAP_ANONYMOUS;
	CHECK_RET(mmap(NULL, 0, PROT_READ, anon, -1, 0), MAP_FAILED, EINVAL);
	CHECK_RET(mmap((void *)0x10000001, PG, PROT_READ, anon | MAP_FIXED, -1, 0), MAP_FAILED, EINVAL);
	CHECK_RET(mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0), MAP_FAILED, EINVAL);
	CHECK_RET(mmap(NULL, PG, PROT_READ, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), MAP_FAILED,
		  EINVAL);
	CHECK_RET(mmap(NULL, (size_t)-100, PROT_READ, anon, -1, 0), MAP_FAILED, ENOMEM);
	/* 64 TiB of writable private memory is more than the overcommit
	 * heuristic allows; MAP_NORESERVE or PROT_NONE is not accounted. */
	CHECK_RET(mmap(NULL, 1UL << 46, PROT_READ | PROT_WRITE, anon, -1, 0), MAP_FAILED, ENOMEM);
	void *big = mmap(NULL, 1UL << 40, PROT_NONE, anon, -1, 0);
	CHECK(big != MAP_FAILED);
	if (big != MAP_FAILED)
		CHECK_RET(munmap(big, 1UL << 40), 0, 0);
	/* Above the user address space. */
	CHECK_RET(mmap((void *)(1UL << 47), PG, PROT_READ, anon | MAP_FIXED, -1, 0), MAP_FAILED, ENOMEM);
	CHECK_RET(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, -1, 0), MAP_FAILED, EBADF);
	/* A free hint is not a requirement: a hint in the kernel half is ignored. */
	void *h = mmap((void *)0xffff800000000000UL, PG, PROT_READ, anon, -1, 0);
	CHECK(h != MAP_FAILED && (uintptr_t)h < (1UL << 47));
	munmap(h, PG);
}

/* /dev/zero private maps are anonymous memory. */
static void t_devzero(void)
{
	int fd = open("/dev/zero", O_RDWR);
	CHECK(fd >= 0);
	char *z = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(z != MAP_FAILED);
	if (z != MAP_FAILED) {
		CHECK(all_bytes(z, 2 * PG, 0));
		z[5] = 9;
		CHECK_EQ(z[5], 9);
		munmap(z, 2 * PG);
	}
	close(fd);
}

int main(void)
{
	catch_faults();
	t_anon();
	t_mprotect();
	t_mremap();
	t_madvise();
	t_brk();
	t_mincore();
	t_file_map();
	t_einval();
	t_devzero();
	return t_done();
}
