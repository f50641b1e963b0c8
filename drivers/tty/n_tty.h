/* N_TTY, the line discipline (drivers/tty/n_tty.c): input processing
 * (ICRNL/INLCR/IGNCR, ISTRIP, IXON), canonical line editing (ERASE, KILL,
 * WERASE, LNEXT, REPRINT, EOF, EOL, EOL2), echo (ECHO, ECHOE, ECHOK, ECHONL,
 * ECHOCTL, ECHOKE), signal characters (ISIG, NOFLSH) and output processing
 * (OPOST, ONLCR, OCRNL, ONOCR, ONLRET, OLCUC, XTABS), as termios(3) and
 * Linux's n_tty describe them.
 *
 * Pure logic: no locks, no sleeping, no hardware. The tty core (tty_io.c)
 * serialises every call with tty->lock, sends the signals collected in
 * `sigs`, wakes readers and blocks them; host unit tests drive it directly
 * (tests/unit/test_n_tty.c). */
#ifndef DRIVERS_TTY_N_TTY_H
#define DRIVERS_TTY_N_TTY_H

#include <skiff/types.h>
#include <uapi/termios.h>

#define N_TTY_BUF_SIZE 4096 /* power of two */

/* The signals the line discipline raises (Linux x86-64 numbers). */
#define TTY_SIGHUP   1
#define TTY_SIGINT   2
#define TTY_SIGQUIT  3
#define TTY_SIGCONT  18
#define TTY_SIGTSTP  20
#define TTY_SIGTTIN  21
#define TTY_SIGTTOU  22
#define TTY_SIGWINCH 28

/* Output sink: bytes after output processing, to the device. */
typedef void (*n_tty_write_fn)(void *ctx, const u8 *s, size_t n);

/* All fields are under the owner's lock (tty->lock). */
struct n_tty {
	const struct termios2 *t;     /* the tty's termios */
	n_tty_write_fn write;
	void *ctx;

	/* Input ring. Free-running indices (masked on use):
	 *   read_tail <= canon_head <= read_head
	 * [read_tail, canon_head) is complete lines (canonical mode);
	 * [canon_head, read_head) is the line being edited. In non-canonical
	 * mode canon_head is not used: all of [read_tail, read_head) is data. */
	u8 buf[N_TTY_BUF_SIZE];
	u8 eol[N_TTY_BUF_SIZE / 8];   /* bit set: this byte ends a line */
	u32 read_tail, canon_head, read_head;
	bool icanon;                  /* ICANON as last seen by set_termios */
	bool lnext;                   /* next byte is literal (VLNEXT) */
	bool erasing;                 /* ECHOPRT: inside a \...\/ erase echo */

	/* Output column tracking (tabs, erase echo). */
	u32 column;
	u32 canon_column;             /* column where the current line's echo began */

	u32 sigs;                     /* bit n: signal n to send to the foreground group */

	u8 obuf[128];                 /* pending output, flushed at the end of a call */
	u32 olen;
};

void n_tty_init(struct n_tty *n, const struct termios2 *t, n_tty_write_fn write, void *ctx);
/* Process received bytes (echo is written through the sink). */
void n_tty_receive(struct n_tty *n, const u8 *s, size_t len);
/* Output processing of bytes written by a program. Returns len. */
size_t n_tty_write(struct n_tty *n, const u8 *s, size_t len);
/* Is there something for read()? poll=true applies VMIN as poll does. */
bool n_tty_input_available(const struct n_tty *n, bool poll);
/* Copy readable input to dst (at most max bytes). Canonical mode: from one
 * line only; *line_done is set when the line end (or an EOF mark, which is
 * not copied) was consumed, so read() must return. Non-canonical: whatever
 * is there. Returns the bytes copied. */
size_t n_tty_read(struct n_tty *n, u8 *dst, size_t max, bool *line_done);
/* FIONREAD: canonical mode counts complete lines only (EOF marks excluded). */
u32 n_tty_inq(const struct n_tty *n);
void n_tty_flush_input(struct n_tty *n);
/* After the termios changed (old: the previous settings). */
void n_tty_set_termios(struct n_tty *n, const struct termios2 *old);
/* Signals collected by n_tty_receive since the last call, as a bit mask. */
static inline u32 n_tty_take_signals(struct n_tty *n)
{
	u32 s = n->sigs;
	n->sigs = 0;
	return s;
}

/* Default termios of a terminal (Linux tty_std_termios, 38400 baud; the
 * serial driver then sets the console's speed). */
void n_tty_default_termios(struct termios2 *t);

#endif
