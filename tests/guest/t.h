/* Shared checks for the guest test programs (tests/guest/t_*.c).
 *
 * Every check compares against the exact result Linux gives. A failed check
 * prints one line
 *     FAIL <file>:<line> <expr>: got ..., expected ...
 * and the program ends with t_done(), which prints
 *     <program>: N passed, M failed
 * and returns the exit status (non-zero if any check failed). The program
 * name is the executable's (t_file-static, t_file-dynamic). */
#ifndef GUEST_T_H
#define GUEST_T_H
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int t_pass, t_fail;

static inline void t_failed(void)
{
	t_fail++;
	fflush(stdout);
}

/* expr (an integer or pointer result) must equal want; when want is -1 (or
 * MAP_FAILED) errno must also equal want_errno. errno is cleared first. */
#define CHECK_RET(expr, want, want_errno)                                          \
	do {                                                                       \
		errno = 0;                                                         \
		long _r = (long)(expr);                                            \
		int _e = errno;                                                    \
		long _w = (long)(want);                                            \
		int _we = (want_errno);                                            \
		if (_r == _w && (_w != -1 || _e == _we)) {                         \
			t_pass++;                                                  \
		} else {                                                           \
			printf("FAIL %s:%d %s: got ret=%ld errno=%d (%s), expected ret=%ld errno=%d (%s)\n", \
			       __FILE__, __LINE__, #expr, _r, _e, strerrorname_np(_e) ?: "0", \
			       _w, _we, strerrorname_np(_we) ?: "0");              \
			t_failed();                                                \
		}                                                                  \
	} while (0)

/* expr must succeed: a result other than -1 (the value is not checked). */
#define CHECK_OK(expr)                                                             \
	do {                                                                       \
		errno = 0;                                                         \
		long _r = (long)(expr);                                            \
		int _e = errno;                                                    \
		if (_r != -1) {                                                    \
			t_pass++;                                                  \
		} else {                                                           \
			printf("FAIL %s:%d %s: got ret=-1 errno=%d (%s), expected success\n", \
			       __FILE__, __LINE__, #expr, _e, strerrorname_np(_e) ?: "0"); \
			t_failed();                                                \
		}                                                                  \
	} while (0)

/* Integer equality. */
#define CHECK_EQ(a, b)                                                             \
	do {                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                \
		if (_a == _b) {                                                    \
			t_pass++;                                                  \
		} else {                                                           \
			printf("FAIL %s:%d %s == %s: got %lld (%#llx), expected %lld (%#llx)\n", \
			       __FILE__, __LINE__, #a, #b, _a, (unsigned long long)_a, \
			       _b, (unsigned long long)_b);                        \
			t_failed();                                                \
		}                                                                  \
	} while (0)

/* A condition that must hold. */
#define CHECK(cond)                                                                \
	do {                                                                       \
		if (cond) {                                                        \
			t_pass++;                                                  \
		} else {                                                           \
			printf("FAIL %s:%d %s: got false, expected true\n", __FILE__, \
			       __LINE__, #cond);                                   \
			t_failed();                                                \
		}                                                                  \
	} while (0)

/* String equality (NULL prints as "(null)"). */
#define CHECK_STR(a, b)                                                            \
	do {                                                                       \
		const char *_a = (a), *_b = (b);                                   \
		if (_a && _b && !strcmp(_a, _b)) {                                 \
			t_pass++;                                                  \
		} else {                                                           \
			printf("FAIL %s:%d %s: got \"%s\", expected \"%s\"\n", __FILE__, \
			       __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
			t_failed();                                                \
		}                                                                  \
	} while (0)

/* The wait status of a child that must exit with code `code` / die by signal
 * `sig`. */
#define CHECK_EXITED(status, code)                                                 \
	do {                                                                       \
		int _s = (status);                                                 \
		if (WIFEXITED(_s) && WEXITSTATUS(_s) == (code)) {                  \
			t_pass++;                                                  \
		} else {                                                           \
			printf("FAIL %s:%d %s: got wait status %#x, expected exit %d\n", \
			       __FILE__, __LINE__, #status, _s, (code));           \
			t_failed();                                                \
		}                                                                  \
	} while (0)
#define CHECK_SIGNALED(status, sig)                                                \
	do {                                                                       \
		int _s = (status);                                                 \
		if (WIFSIGNALED(_s) && WTERMSIG(_s) == (sig)) {                    \
			t_pass++;                                                  \
		} else {                                                           \
			printf("FAIL %s:%d %s: got wait status %#x, expected signal %d (%s)\n", \
			       __FILE__, __LINE__, #status, _s, (sig), sigabbrev_np(sig)); \
			t_failed();                                                \
		}                                                                  \
	} while (0)

/* The helper program built like this one (helper-static for a -static test,
 * helper-dynamic for a -dynamic one), in this program's directory. */
static inline const char *t_helper(void)
{
	static char path[512];
	const char *me = program_invocation_name;
	const char *slash = strrchr(me, '/');
	const char *kind = strstr(program_invocation_short_name, "-dynamic") ? "dynamic" : "static";
	if (slash)
		snprintf(path, sizeof(path), "%.*s/helper-%s", (int)(slash - me), me, kind);
	else
		snprintf(path, sizeof(path), "/tests/bin/helper-%s", kind);
	return path;
}

/* Run argv (argv[0] is the file) with envp in a child, its stdout captured
 * into out (NUL-terminated, at most n-1 bytes); returns the wait status. */
static inline int t_run_capture(char *const argv[], char *const envp[], char *out, size_t n)
{
	int p[2];
	if (pipe(p))
		return -1;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(p[1]);
	size_t got = 0;
	ssize_t r;
	while (got + 1 < n && (r = read(p[0], out + got, n - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = 0;
	close(p[0]);
	int st = -1;
	if (c < 0 || waitpid(c, &st, 0) != c)
		return -1;
	return st;
}

/* A pointer the compiler cannot see through, for EFAULT checks:
 * BAD_PTR(1) is an address that is never mapped. */
static inline void *t_opaque(void *p)
{
	__asm__("" : "+r"(p));
	return p;
}
#define BAD_PTR(v) t_opaque((void *)(uintptr_t)(v))

/* Ends main(): the summary line and the exit status. */
static inline int t_done(void)
{
	printf("%s: %d passed, %d failed\n", program_invocation_short_name, t_pass, t_fail);
	fflush(stdout);
	return t_fail ? 1 : 0;
}

/* Run fn in a child process and return its wait status (-1 if fork fails).
 * The child's checks print their own FAIL lines; its number of failed
 * checks (capped at 100) is its exit status, and its passed checks are
 * added to this process's count (through a shared page: fn may close any
 * descriptor). */
static inline int t_in_child(void (*fn)(void))
{
	int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -1;
	*shared = 0;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		t_pass = t_fail = 0;
		fn();
		fflush(stdout);
		*shared = t_pass;
		_exit(t_fail > 100 ? 100 : t_fail);
	}
	int st = -1;
	if (c < 0 || waitpid(c, &st, 0) != c)
		st = -1;
	t_pass += *shared;
	munmap(shared, 4096);
	return st;
}

static inline long long t_now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void t_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The directory in which tests make their files: $TMPDIR or /tmp. */
static inline const char *t_tmpdir(void)
{
	const char *d = getenv("TMPDIR");
	return d && *d ? d : "/tmp";
}

#endif
