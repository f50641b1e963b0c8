/* The x86-64 signal frame, laid out as Linux does (glibc's sigaction
 * restorer, unwinders and debuggers rely on it):
 *
 *   rsp on handler entry -> pretcode (the SA_RESTORER trampoline)
 *                           struct ucontext (uc_mcontext = struct sigcontext)
 *                           siginfo_t
 *   ... padding ...
 *   fpstate (64-byte aligned): the XSAVE image with FP_XSTATE_MAGIC1 in the
 *                           software bytes and FP_XSTATE_MAGIC2 after it
 *   128-byte red zone below the interrupted rsp (or the top of the altstack)
 *
 * The handler gets rdi = sig, rsi = &info, rdx = &uc, the x87/SSE state reset.
 * rt_sigreturn restores registers (only the user-changeable rflags bits),
 * the mask, the altstack and the FPU image after checking it. */
#include <arch/cpu.h>
#include <arch/fpu.h>
#include <arch/gdt.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/uaccess.h>
#include "../../kernel/proc/proc.h"

struct rt_sigframe {
	u64 pretcode;
	struct ucontext uc;
	siginfo_t info;
};

#define FIX_EFLAGS (0x40000ull | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000)
#define RFLAGS_TF 0x100ull
#define RFLAGS_DF 0x400ull
#define RFLAGS_IF 0x200ull

static bool on_altstack(struct task_ext *t, u64 sp)
{
	return !(t->altstack.ss_flags & SS_DISABLE) && sp > t->altstack.ss_sp &&
	       sp - t->altstack.ss_sp <= t->altstack.ss_size;
}

int arch_setup_rt_frame(struct trap_frame *tf, int sig, const struct k_sigaction *ka,
			const siginfo_t *info, sigset_t oldmask)
{
	struct task_ext *t = cur_tx();
	u64 sp = tf->rsp, fp, fsize = fpu_state_size + (fpu_use_xsave ? 4 : 0);
	struct rt_sigframe fr;
	bool onstack = on_altstack(t, sp);

	if (!(ka->flags & SA_RESTORER))
		return -EFAULT;
	if ((ka->flags & SA_ONSTACK) && !(t->altstack.ss_flags & SS_DISABLE) && !onstack) {
		sp = t->altstack.ss_sp + t->altstack.ss_size;
		if (t->altstack.ss_flags & SS_AUTODISARM)
			t->altstack.ss_flags = SS_DISABLE;
	} else {
		sp -= 128;
	}
	fp = ALIGN_DOWN(sp - fsize, 64);
	sp = ALIGN_DOWN(fp - sizeof(fr), 16) - 8;

	/* FPU image to the user stack, then a clean state for the handler. */
	preempt_disable();
	fpu_save(t->fpu);
	preempt_enable();
	if (fpu_use_xsave) {
		struct fpx_sw_bytes sw = { 0 };
		sw.magic1 = FP_XSTATE_MAGIC1;
		sw.extended_size = (u32)fsize;
		sw.xfeatures = fpu_xfeatures;
		sw.xstate_size = fpu_state_size;
		memcpy((u8 *)t->fpu + 464, &sw, sizeof(sw));
	}
	if (copy_to_user((void *)fp, t->fpu, fpu_state_size))
		return -EFAULT;
	if (fpu_use_xsave && put_user_u32(FP_XSTATE_MAGIC2, (void *)(fp + fpu_state_size)))
		return -EFAULT;

	memset(&fr, 0, sizeof(fr));
	fr.pretcode = ka->restorer;
	fr.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (fpu_use_xsave ? UC_FP_XSTATE : 0);
	fr.uc.uc_stack.ss_sp = t->altstack.ss_sp;
	fr.uc.uc_stack.ss_size = t->altstack.ss_size;
	fr.uc.uc_stack.ss_flags = (t->altstack.ss_flags & SS_DISABLE) ? SS_DISABLE
				  : onstack ? SS_ONSTACK : 0;
	struct sigcontext *sc = &fr.uc.uc_mcontext;
	sc->r8 = tf->r8; sc->r9 = tf->r9; sc->r10 = tf->r10; sc->r11 = tf->r11;
	sc->r12 = tf->r12; sc->r13 = tf->r13; sc->r14 = tf->r14; sc->r15 = tf->r15;
	sc->rdi = tf->rdi; sc->rsi = tf->rsi; sc->rbp = tf->rbp; sc->rbx = tf->rbx;
	sc->rdx = tf->rdx; sc->rax = tf->rax; sc->rcx = tf->rcx; sc->rsp = tf->rsp;
	sc->rip = tf->rip; sc->eflags = tf->rflags;
	sc->cs = (u16)tf->cs; sc->ss = (u16)tf->ss;
	sc->err = tf->vector < 32 ? tf->error : 0;
	sc->trapno = tf->vector < 32 ? tf->vector : 0;
	sc->oldmask = oldmask;
	sc->cr2 = (sig == SIGSEGV || sig == SIGBUS) ? info->fault.addr : 0;
	sc->fpstate = fp;
	fr.uc.uc_sigmask = oldmask;
	fr.info = *info;
	if (copy_to_user((void *)sp, &fr, sizeof(fr)))
		return -EFAULT;

	preempt_disable();
	fpu_init_state(t->fpu);
	fpu_restore(t->fpu);
	preempt_enable();

	tf->rdi = (u64)sig;
	tf->rsi = sp + offsetof(struct rt_sigframe, info);
	tf->rdx = sp + offsetof(struct rt_sigframe, uc);
	tf->rax = 0;
	tf->rsp = sp;
	tf->rip = ka->handler;
	tf->rflags &= ~(RFLAGS_TF | RFLAGS_DF);
	tf->cs = GDT_UCODE | 3;
	tf->ss = GDT_UDATA | 3;
	return 0;
}

long arch_rt_sigreturn(struct trap_frame *tf)
{
	struct task_ext *t = cur_tx();
	u64 frame = tf->rsp - 8;
	struct ucontext uc;

	t->in_syscall = false; /* the restored rax is never a restart code */
	if (copy_from_user(&uc, (void *)(frame + offsetof(struct rt_sigframe, uc)), sizeof(uc)))
		goto bad;
	struct sigcontext *sc = &uc.uc_mcontext;
	if (sc->rip >= USER_TOP)
		goto bad;
	u64 f = spin_lock_irqsave(&proc_lock);
	set_blocked(t, uc.uc_sigmask);
	spin_unlock_irqrestore(&proc_lock, f);

	tf->r8 = sc->r8; tf->r9 = sc->r9; tf->r10 = sc->r10; tf->r11 = sc->r11;
	tf->r12 = sc->r12; tf->r13 = sc->r13; tf->r14 = sc->r14; tf->r15 = sc->r15;
	tf->rdi = sc->rdi; tf->rsi = sc->rsi; tf->rbp = sc->rbp; tf->rbx = sc->rbx;
	tf->rdx = sc->rdx; tf->rax = sc->rax; tf->rcx = sc->rcx; tf->rsp = sc->rsp;
	tf->rip = sc->rip;
	tf->rflags = (tf->rflags & ~FIX_EFLAGS) | (sc->eflags & FIX_EFLAGS) | RFLAGS_IF;
	tf->cs = GDT_UCODE | 3;
	tf->ss = GDT_UDATA | 3;
	tf->vector = 0x200;

	/* Alternate stack as saved (errors ignored, as Linux). */
	if (!(uc.uc_stack.ss_flags & SS_DISABLE) && !on_altstack(t, tf->rsp) &&
	    uc.uc_stack.ss_size >= MINSIGSTKSZ) {
		t->altstack.ss_sp = uc.uc_stack.ss_sp;
		t->altstack.ss_size = uc.uc_stack.ss_size;
		t->altstack.ss_flags = uc.uc_stack.ss_flags & (s32)SS_AUTODISARM;
	}

	if (sc->fpstate) {
		/* Copy into a scratch buffer: a context switch during the copy
		 * saves the live registers into t->fpu. */
		u8 *buf = kmalloc(fpu_state_size);
		if (!buf)
			goto bad;
		if (copy_from_user(buf, (void *)sc->fpstate, fpu_state_size)) {
			kfree(buf);
			goto bad;
		}
		if (fpu_use_xsave && !(uc.uc_flags & UC_FP_XSTATE)) {
			memset(buf + 512, 0, 64);
			*(u64 *)(buf + 512) = 3; /* x87 and SSE from the legacy area */
		}
		if (fpu_sanitize(buf)) {
			kfree(buf);
			goto bad;
		}
		preempt_disable();
		memcpy(t->fpu, buf, fpu_state_size);
		fpu_restore(t->fpu);
		preempt_enable();
		kfree(buf);
	} else {
		preempt_disable();
		fpu_init_state(t->fpu);
		fpu_restore(t->fpu);
		preempt_enable();
	}
	return (long)tf->rax;
bad:
	force_sig_fault(SIGSEGV, SI_KERNEL, 0);
	return (long)tf->rax;
}

SYSCALL_DEFINE(15, rt_sigreturn)
{
	return arch_rt_sigreturn(current_task()->uregs);
}
