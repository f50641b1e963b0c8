/* Linux x86-64 signal ABI: numbers, sigaction, siginfo, sigaltstack and the
 * signal frame's ucontext/sigcontext (asm/sigcontext.h, asm-generic/siginfo.h,
 * asm/ucontext.h). */
#ifndef UAPI_SIGNAL_H
#define UAPI_SIGNAL_H

#include <skiff/compiler.h>

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGSTKFLT 16
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGIO 29
#define SIGPWR 30
#define SIGSYS 31
#define SIGRTMIN 32
#define SIGRTMAX 64
#define NSIG 64

#define SIG_DFL 0ull
#define SIG_IGN 1ull

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

#define SA_NOCLDSTOP 0x00000001u
#define SA_NOCLDWAIT 0x00000002u
#define SA_SIGINFO   0x00000004u
#define SA_UNSUPPORTED 0x00000400u
#define SA_EXPOSE_TAGBITS 0x00000800u
#define SA_RESTORER  0x04000000u
#define SA_ONSTACK   0x08000000u
#define SA_RESTART   0x10000000u
#define SA_NODEFER   0x40000000u
#define SA_RESETHAND 0x80000000u

typedef u64 sigset_t; /* the kernel's sigset: 64 signals, bit (sig - 1) */

struct k_sigaction {
	u64 handler;
	u64 flags;
	u64 restorer;
	sigset_t mask;
};
BUILD_ASSERT(sizeof(struct k_sigaction) == 32, "k_sigaction size");
BUILD_ASSERT(offsetof(struct k_sigaction, restorer) == 16, "k_sigaction restorer");

/* si_code values */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TIMER (-2)
#define SI_MESGQ (-3)
#define SI_ASYNCIO (-4)
#define SI_SIGIO (-5)
#define SI_TKILL (-6)
#define ILL_ILLOPC 1
#define ILL_ILLOPN 2
#define FPE_INTDIV 1
#define FPE_FLTDIV 3
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRERR 2
#define TRAP_BRKPT 1
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_TRAPPED 4
#define CLD_STOPPED 5
#define CLD_CONTINUED 6

/* siginfo_t: 128 bytes; the union starts at offset 16. */
typedef struct siginfo {
	s32 si_signo;
	s32 si_errno;
	s32 si_code;
	s32 __pad0;
	union {
		u8 __raw[112];
		struct { s32 pid; u32 uid; } kill;          /* SI_USER, SI_TKILL */
		struct { s32 tid; s32 overrun; u64 value; s32 __p; } timer; /* SI_TIMER */
		struct { s32 pid; u32 uid; u64 value; } rt; /* SI_QUEUE */
		struct { s32 pid; u32 uid; s32 status; s32 __p; s64 utime, stime; } chld;
		struct { u64 addr; } fault;
	};
} siginfo_t;
BUILD_ASSERT(sizeof(siginfo_t) == 128, "siginfo size");
BUILD_ASSERT(offsetof(siginfo_t, kill.pid) == 16, "si_pid");
BUILD_ASSERT(offsetof(siginfo_t, chld.status) == 24, "si_status");
BUILD_ASSERT(offsetof(siginfo_t, chld.utime) == 32, "si_utime");
BUILD_ASSERT(offsetof(siginfo_t, timer.value) == 24, "si_value (timer)");
BUILD_ASSERT(offsetof(siginfo_t, rt.value) == 24, "si_value");
BUILD_ASSERT(offsetof(siginfo_t, fault.addr) == 16, "si_addr");

#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD 2
#define SIGEV_THREAD_ID 4

struct sigevent {
	u64 sigev_value;
	s32 sigev_signo;
	s32 sigev_notify;
	s32 sigev_tid;       /* SIGEV_THREAD_ID */
	s32 __pad[11];
};
BUILD_ASSERT(sizeof(struct sigevent) == 64, "sigevent size");

/* sigaltstack */
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ 2048
typedef struct {
	u64 ss_sp;
	s32 ss_flags;
	s32 __pad;
	u64 ss_size;
} stack_t;
BUILD_ASSERT(sizeof(stack_t) == 24, "stack_t size");

/* struct sigcontext (asm/sigcontext.h, 64-bit): uc_mcontext. gregs order:
 * r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags, cs/gs/fs/ss,
 * err, trapno, oldmask, cr2, then the fpstate pointer. */
struct sigcontext {
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	u16 cs, gs, fs, ss;
	u64 err, trapno, oldmask, cr2;
	u64 fpstate;
	u64 reserved1[8];
};
BUILD_ASSERT(sizeof(struct sigcontext) == 256, "sigcontext size");
BUILD_ASSERT(offsetof(struct sigcontext, rip) == 128, "sigcontext rip");
BUILD_ASSERT(offsetof(struct sigcontext, fpstate) == 184, "sigcontext fpstate");

struct ucontext {
	u64 uc_flags;
	u64 uc_link;
	stack_t uc_stack;
	struct sigcontext uc_mcontext;
	sigset_t uc_sigmask;
};
BUILD_ASSERT(offsetof(struct ucontext, uc_mcontext) == 40, "uc_mcontext");
BUILD_ASSERT(offsetof(struct ucontext, uc_sigmask) == 296, "uc_sigmask");

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

/* Software-reserved bytes 464..511 of the FXSAVE area (struct _fpx_sw_bytes). */
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
struct fpx_sw_bytes {
	u32 magic1;
	u32 extended_size;   /* xstate size + FP_XSTATE_MAGIC2 */
	u64 xfeatures;
	u32 xstate_size;
	u32 padding[7];
};
BUILD_ASSERT(sizeof(struct fpx_sw_bytes) == 48, "fpx_sw_bytes size");

#endif
