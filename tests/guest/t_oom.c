/* Memory exhaustion ends in ENOMEM or the death of the process that asked
 * (SIGKILL, as Linux's OOM killer), never a kernel panic, and the memory
 * comes back: a child touches anonymous memory until it is refused or
 * killed (more than the guest has); a child fills a tmpfs file until
 * write fails (ENOSPC or ENOMEM) or it is killed; then the parent, twice
 * in a row, does the same again and still gets the memory back, and the
 * basics work. */
#include "t.h"
#include <fcntl.h>
#include <sys/sysinfo.h>

static int child_anon(void)
{
	pid_t c = fork();
	if (c == 0) {
		size_t chunk = 16 << 20;
		for (;;) {
			char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				_exit(errno == ENOMEM ? 42 : 43);
			for (size_t i = 0; i < chunk; i += 4096)
				p[i] = 1;
		}
	}
	int st = 0;
	waitpid(c, &st, 0);
	return st;
}

static int child_tmpfs(void)
{
	pid_t c = fork();
	if (c == 0) {
		static char buf[1 << 20];
		memset(buf, 'x', sizeof(buf));
		int fd = open("/tmp/oomfile", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			_exit(44);
		for (;;) {
			ssize_t n = write(fd, buf, sizeof(buf));
			if (n < 0)
				_exit(errno == ENOSPC ? 45 : errno == ENOMEM ? 46 : 47);
		}
	}
	int st = 0;
	waitpid(c, &st, 0);
	return st;
}

int main(void)
{
	struct sysinfo si0, si1;
	CHECK_RET(sysinfo(&si0), 0, 0);
	for (int round = 0; round < 2; round++) {
		int st = child_anon();
		printf("%s: anonymous: %s %d\n", program_invocation_short_name,
		       WIFSIGNALED(st) ? "signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		CHECK((WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) || (WIFEXITED(st) && WEXITSTATUS(st) == 42));
		st = child_tmpfs();
		printf("%s: tmpfs: %s %d\n", program_invocation_short_name,
		       WIFSIGNALED(st) ? "signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		CHECK((WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ||
		      (WIFEXITED(st) && (WEXITSTATUS(st) == 45 || WEXITSTATUS(st) == 46)));
		CHECK_RET(unlink("/tmp/oomfile"), 0, 0);
	}
	CHECK_RET(sysinfo(&si1), 0, 0);
	/* Everything came back (within 8 MiB: caches, page tables). */
	long diff = ((long)si0.freeram - (long)si1.freeram) * (long)si0.mem_unit;
	printf("%s: free before %lu MiB, after %lu MiB\n", program_invocation_short_name,
	       si0.freeram * si0.mem_unit >> 20, si1.freeram * si1.mem_unit >> 20);
	CHECK(diff < (8l << 20));
	pid_t c = fork();
	if (c == 0)
		_exit(7);
	int st;
	CHECK_RET(waitpid(c, &st, 0), c, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	return t_done();
}
