/* Helper executed by the guest tests (not a test itself: run-all skips it).
 *
 *   helper args... ...     (argv[1] starting with "args") print argc, each
 *                          argv[i] and each environment string, one per line
 *                          ("argc=N", "argv[i]=S", "env=S")
 *   helper state FD1 FD2   print "FD1=open|closed FD2=open|closed
 *                          usr1=ign|dfl|handler usr2=... int_blocked=0|1 pid=P"
 *   helper exit N ...      exit with status N
 *   (argv = { "" })        exit with status 42
 *   helper pidcheck P      exit 0 if getpid() == P and gettid() == P, else 1
 *   helper wait            write "r" to stdout, then read stdin until EOF, exit 0
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static const char *disp(int sig)
{
	struct sigaction sa;
	if (sigaction(sig, NULL, &sa))
		return "error";
	if (sa.sa_handler == SIG_IGN)
		return "ign";
	if (sa.sa_handler == SIG_DFL)
		return "dfl";
	return "handler";
}

int main(int argc, char **argv)
{
	if (argc == 1 && argv[0][0] == 0)
		return 42; /* execve with an empty argv: Linux passes argv = { "" } */
	if (argc >= 2 && !strncmp(argv[1], "args", 4)) {
		printf("argc=%d\n", argc);
		for (int i = 0; i < argc; i++)
			printf("argv[%d]=%s\n", i, argv[i]);
		for (char **e = environ; *e; e++)
			printf("env=%s\n", *e);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "state")) {
		int a = atoi(argv[2]), b = atoi(argv[3]);
		sigset_t cur;
		sigprocmask(SIG_BLOCK, NULL, &cur);
		printf("%d=%s %d=%s usr1=%s usr2=%s int_blocked=%d pid=%d\n", a,
		       fcntl(a, F_GETFD) == -1 ? "closed" : "open", b,
		       fcntl(b, F_GETFD) == -1 ? "closed" : "open", disp(SIGUSR1), disp(SIGUSR2),
		       sigismember(&cur, SIGINT), (int)getpid());
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "exit"))
		return atoi(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "pidcheck")) {
		int p = atoi(argv[2]);
		return getpid() == p && syscall(SYS_gettid) == p ? 0 : 1;
	}
	if (argc == 2 && !strcmp(argv[1], "wait")) {
		char c;
		if (write(1, "r", 1) != 1)
			return 2;
		while (read(0, &c, 1) > 0)
			;
		return 0;
	}
	fprintf(stderr, "helper: unknown mode\n");
	return 127;
}
