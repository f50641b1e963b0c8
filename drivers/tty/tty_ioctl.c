/* Terminal ioctls (tty_ioctl(4), ioctl_tty(2)) with Linux's numbers,
 * structures and errnos. Settings changes (TCSETS*, TCFLSH, TCXONC, TCSBRK)
 * and TIOCSPGRP pass the job control check first: from a background
 * process group they raise SIGTTOU. Ioctls nobody handles end in -ENOTTY
 * (Linux: -ENOIOCTLCMD from the line discipline, turned into -ENOTTY). */
#include <skiff/errno.h>
#include <skiff/string.h>
#include <skiff/uaccess.h>
#include <uapi/ioctls.h>
#include <uapi/signal.h>

#include "tty.h"

#define NR_LDISCS 31

static const u32 baud_table[] = {
	0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600,
	19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600,
	1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
};

static u32 cbaud_speed(u32 cbaud, u32 other)
{
	u32 idx = cbaud & 017;

	if (cbaud == BOTHER)
		return other;
	if (cbaud & CBAUDEX)
		idx += 15;
	return idx < sizeof(baud_table) / sizeof(baud_table[0]) ? baud_table[idx] : 0;
}

void tty_set_baud(struct tty *tty, u32 baud)
{
	u32 code = BOTHER;

	for (u32 i = 1; i < sizeof(baud_table) / sizeof(baud_table[0]); i++) {
		if (baud_table[i] == baud) {
			code = i < 16 ? i : (CBAUDEX | (i - 15));
			break;
		}
	}
	spin_lock(&tty->lock);
	tty->termios.c_cflag = (tty->termios.c_cflag & ~(u32)(CBAUD | CIBAUD)) | code;
	tty->termios.c_ispeed = tty->termios.c_ospeed = baud;
	spin_unlock(&tty->lock);
}

/* Linux tty_termios_baud_rate / tty_termios_input_baud_rate. */
static void update_speeds(struct termios2 *t)
{
	u32 ibaud = (t->c_cflag >> IBSHIFT) & CBAUD;

	t->c_ospeed = cbaud_speed(t->c_cflag & CBAUD, t->c_ospeed);
	t->c_ispeed = ibaud == B0 ? t->c_ospeed : cbaud_speed(ibaud, t->c_ispeed);
}

enum termios_kind { K_TERMIOS, K_TERMIOS2, K_TERMIO };
#define SET_WAIT  1
#define SET_FLUSH 2

static void tty_set_termios(struct tty *tty, const struct termios2 *nt)
{
	struct termios2 old;

	spin_lock(&tty->lock);
	old = tty->termios;
	tty->termios = *nt;
	n_tty_set_termios(&tty->ld, &old);
	spin_unlock(&tty->lock);
	wake_up_all(&tty->read_wait); /* a mode change can make input readable */
}

static long set_termios(struct tty *tty, u64 arg, enum termios_kind kind, int opt)
{
	struct termios2 nt;
	union {
		struct termios t1;
		struct termios2 t2;
		struct termio t0;
	} u;
	int err = tty_check_change(tty, SIGTTOU);

	if (err)
		return err;
	spin_lock(&tty->lock);
	nt = tty->termios;
	spin_unlock(&tty->lock);

	switch (kind) {
	case K_TERMIOS:
		if (copy_from_user(&u.t1, (const void *)arg, sizeof(u.t1)))
			return -EFAULT;
		memcpy(&nt, &u.t1, sizeof(u.t1));
		break;
	case K_TERMIOS2:
		if (copy_from_user(&u.t2, (const void *)arg, sizeof(u.t2)))
			return -EFAULT;
		nt = u.t2;
		break;
	case K_TERMIO:
		if (copy_from_user(&u.t0, (const void *)arg, sizeof(u.t0)))
			return -EFAULT;
		nt.c_iflag = (nt.c_iflag & 0xffff0000u) | u.t0.c_iflag;
		nt.c_oflag = (nt.c_oflag & 0xffff0000u) | u.t0.c_oflag;
		nt.c_cflag = (nt.c_cflag & 0xffff0000u) | u.t0.c_cflag;
		nt.c_lflag = (nt.c_lflag & 0xffff0000u) | u.t0.c_lflag;
		nt.c_line = u.t0.c_line;
		memcpy(nt.c_cc, u.t0.c_cc, NCC);
		break;
	}
	update_speeds(&nt);

	if (opt & SET_FLUSH) {
		spin_lock(&tty->lock);
		n_tty_flush_input(&tty->ld);
		spin_unlock(&tty->lock);
	}
	/* SET_WAIT: output is written synchronously, nothing to drain. */
	tty_set_termios(tty, &nt);
	return 0;
}

static long get_termios(struct tty *tty, u64 arg, enum termios_kind kind)
{
	struct termios2 t;
	struct termio t0;

	spin_lock(&tty->lock);
	t = tty->termios;
	spin_unlock(&tty->lock);
	switch (kind) {
	case K_TERMIOS:
		return copy_to_user((void *)arg, &t, sizeof(struct termios)) ? -EFAULT : 0;
	case K_TERMIOS2:
		return copy_to_user((void *)arg, &t, sizeof(t)) ? -EFAULT : 0;
	case K_TERMIO:
		memset(&t0, 0, sizeof(t0));
		t0.c_iflag = (u16)t.c_iflag;
		t0.c_oflag = (u16)t.c_oflag;
		t0.c_cflag = (u16)t.c_cflag;
		t0.c_lflag = (u16)t.c_lflag;
		t0.c_line = t.c_line;
		memcpy(t0.c_cc, t.c_cc, NCC);
		return copy_to_user((void *)arg, &t0, sizeof(t0)) ? -EFAULT : 0;
	}
	return -EINVAL;
}

static long set_winsize(struct tty *tty, u64 arg)
{
	struct winsize ws;
	pid_t pgrp = 0;

	if (copy_from_user(&ws, (const void *)arg, sizeof(ws)))
		return -EFAULT;
	spin_lock(&tty->lock);
	if (memcmp(&ws, &tty->winsize, sizeof(ws))) {
		tty->winsize = ws;
		pgrp = tty->pgrp;
	}
	spin_unlock(&tty->lock);
	if (pgrp > 0)
		send_signal_pgrp(pgrp, SIGWINCH);
	return 0;
}

static long put_u32(u64 arg, u32 v)
{
	return put_user_u32(v, (void *)arg) ? -EFAULT : 0;
}

static bool is_root(void)
{
	struct task *t = current_task();

	return !t || t->proc->euid == 0;
}

long tty_ioctl(struct file *f, u32 cmd, u64 arg)
{
	struct tty *tty = f->private_data;
	long err;
	u32 v;

	if (!tty)
		return -EIO;
	switch (cmd) {
	case TCGETS:
		return get_termios(tty, arg, K_TERMIOS);
	case TCGETS2:
		return get_termios(tty, arg, K_TERMIOS2);
	case TCGETA:
		return get_termios(tty, arg, K_TERMIO);
	case TCSETS:
		return set_termios(tty, arg, K_TERMIOS, 0);
	case TCSETSW:
		return set_termios(tty, arg, K_TERMIOS, SET_WAIT);
	case TCSETSF:
		return set_termios(tty, arg, K_TERMIOS, SET_WAIT | SET_FLUSH);
	case TCSETS2:
		return set_termios(tty, arg, K_TERMIOS2, 0);
	case TCSETSW2:
		return set_termios(tty, arg, K_TERMIOS2, SET_WAIT);
	case TCSETSF2:
		return set_termios(tty, arg, K_TERMIOS2, SET_WAIT | SET_FLUSH);
	case TCSETA:
		return set_termios(tty, arg, K_TERMIO, 0);
	case TCSETAW:
		return set_termios(tty, arg, K_TERMIO, SET_WAIT);
	case TCSETAF:
		return set_termios(tty, arg, K_TERMIO, SET_WAIT | SET_FLUSH);

	case TCSBRK:
	case TCSBRKP:
	case TIOCSBRK:
	case TIOCCBRK:
		return tty_check_change(tty, SIGTTOU); /* output is already drained */
	case TCXONC:
		err = tty_check_change(tty, SIGTTOU);
		if (err)
			return err;
		return arg <= TCION ? 0 : -EINVAL;
	case TCFLSH:
		err = tty_check_change(tty, SIGTTOU);
		if (err)
			return err;
		switch (arg) {
		case TCIFLUSH:
		case TCIOFLUSH:
			spin_lock(&tty->lock);
			n_tty_flush_input(&tty->ld);
			spin_unlock(&tty->lock);
			return 0;
		case TCOFLUSH:
			return 0;
		default:
			return -EINVAL;
		}

	case TIOCGWINSZ: {
		struct winsize ws;
		spin_lock(&tty->lock);
		ws = tty->winsize;
		spin_unlock(&tty->lock);
		return copy_to_user((void *)arg, &ws, sizeof(ws)) ? -EFAULT : 0;
	}
	case TIOCSWINSZ:
		return set_winsize(tty, arg);

	case TIOCGPGRP:
		if (!tty_is_ctty(tty))
			return -ENOTTY;
		return put_u32(arg, (u32)tty->pgrp);
	case TIOCSPGRP:
		return tty_set_pgrp(tty, arg);
	case TIOCGSID:
		if (!tty_is_ctty(tty) || !tty->session)
			return -ENOTTY;
		return put_u32(arg, (u32)tty->session);
	case TIOCSCTTY:
		return tty_set_ctty(tty, f, arg == 1, false);
	case TIOCNOTTY:
		return tty_drop_ctty(tty);

	case FIONREAD:
		spin_lock(&tty->lock);
		v = n_tty_inq(&tty->ld);
		spin_unlock(&tty->lock);
		return put_u32(arg, v);
	case TIOCOUTQ:
		return put_u32(arg, 0);
	case TIOCSTI: {
		u8 c;
		if (!tty_is_ctty(tty) && !is_root())
			return -EPERM;
		if (copy_from_user(&c, (const void *)arg, 1))
			return -EFAULT;
		tty_receive(tty, &c, 1);
		return 0;
	}

	case TIOCGETD:
		return put_u32(arg, N_TTY);
	case TIOCSETD:
		if (get_user_u32(&v, (const void *)arg))
			return -EFAULT;
		if ((s32)v == N_TTY)
			return 0;
		return -EINVAL; /* no other line discipline here */

	case TIOCEXCL:
	case TIOCNXCL:
		spin_lock(&tty->lock);
		tty->excl = cmd == TIOCEXCL;
		spin_unlock(&tty->lock);
		return 0;
	case TIOCGEXCL:
		return put_u32(arg, tty->excl);

	case TIOCMGET:
		return put_u32(arg, TIOCM_DTR | TIOCM_RTS | TIOCM_CTS | TIOCM_DSR | TIOCM_CAR);
	case TIOCMSET:
	case TIOCMBIS:
	case TIOCMBIC:
		return get_user_u32(&v, (const void *)arg) ? -EFAULT : 0;
	case TIOCGSOFTCAR:
		return put_u32(arg, (tty->termios.c_cflag & CLOCAL) ? 1 : 0);
	case TIOCSSOFTCAR: {
		struct termios2 nt;
		if (get_user_u32(&v, (const void *)arg))
			return -EFAULT;
		spin_lock(&tty->lock);
		nt = tty->termios;
		spin_unlock(&tty->lock);
		nt.c_cflag = (nt.c_cflag & ~(u32)CLOCAL) | (v ? CLOCAL : 0);
		tty_set_termios(tty, &nt);
		return 0;
	}

	case TIOCGLCKTRMIOS: {
		struct termios zero;
		memset(&zero, 0, sizeof(zero)); /* no locked settings */
		return copy_to_user((void *)arg, &zero, sizeof(zero)) ? -EFAULT : 0;
	}
	case TIOCSLCKTRMIOS: {
		struct termios tmp;
		if (!is_root())
			return -EPERM;
		return copy_from_user(&tmp, (const void *)arg, sizeof(tmp)) ? -EFAULT : 0;
	}
	case TIOCCONS:
	case TIOCVHANGUP:
		return is_root() ? 0 : -EPERM;
	case TIOCGDEV:
		return put_u32(arg, (tty->minor & 0xff) | (tty->major << 8) | ((tty->minor & ~0xffu) << 12));
	}

	if (tty->ops->ioctl) {
		err = tty->ops->ioctl(tty, cmd, arg);
		if (err != -ENOIOCTLCMD)
			return err;
	}
	return -ENOTTY;
}
