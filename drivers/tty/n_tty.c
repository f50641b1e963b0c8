/* N_TTY line discipline: see n_tty.h for the contract. Behaviour follows
 * termios(3) and Linux's n_tty where POSIX leaves room (echo of control
 * characters as ^X, ALTWERASE-style word erase, EOF marks in the input
 * ring, tab erase by column, flush of pending input on a signal character
 * unless NOFLSH). Not implemented: PARMRK marking (no parity/framing errors
 * are reported by the devices here), output stop by IXON (^S/^Q are
 * consumed but output never stops), XCASE, EXTPROC, PENDIN. */
#include <skiff/string.h>

#include "n_tty.h"

#define MASK(i) ((i) & (N_TTY_BUF_SIZE - 1))
#define DISABLED_CHAR 0 /* _POSIX_VDISABLE; also the EOF mark's byte */

#define I(n, f) (((n)->t->c_iflag & (f)) != 0)
#define O(n, f) (((n)->t->c_oflag & (f)) != 0)
#define L(n, f) (((n)->t->c_lflag & (f)) != 0)
#define CC(n, v) ((n)->t->c_cc[v])

static bool is_cntrl(u8 c) { return c < 0x20 || c == 0x7f; }
static bool is_alnum(u8 c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static u8 to_lower(u8 c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
static u8 to_upper(u8 c) { return (c >= 'a' && c <= 'z') ? c - 32 : c; }
static bool is_continuation(const struct n_tty *n, u8 c)
{
	return I(n, IUTF8) && (c & 0xc0) == 0x80;
}
/* c is the enabled special character cc[v]. */
static bool is_cc(const struct n_tty *n, u8 c, int v)
{
	return c == CC(n, v) && c != DISABLED_CHAR;
}

static bool eol_test(const struct n_tty *n, u32 i) { return n->eol[MASK(i) / 8] & (1u << (MASK(i) % 8)); }
static void eol_set(struct n_tty *n, u32 i) { n->eol[MASK(i) / 8] |= (u8)(1u << (MASK(i) % 8)); }
static void eol_clear(struct n_tty *n, u32 i) { n->eol[MASK(i) / 8] &= (u8)~(1u << (MASK(i) % 8)); }

/* ---- output ---- */

static void flush_out(struct n_tty *n)
{
	if (n->olen) {
		n->write(n->ctx, n->obuf, n->olen);
		n->olen = 0;
	}
}

static void emit(struct n_tty *n, u8 c)
{
	if (n->olen == sizeof(n->obuf))
		flush_out(n);
	n->obuf[n->olen++] = c;
}

/* One byte through output processing (OPOST set), tracking the column. */
static void do_output_char(struct n_tty *n, u8 c)
{
	switch (c) {
	case '\n':
		if (O(n, ONLRET))
			n->column = 0;
		if (O(n, ONLCR)) {
			n->canon_column = n->column = 0;
			emit(n, '\r');
			emit(n, '\n');
			return;
		}
		n->canon_column = n->column;
		break;
	case '\r':
		if (O(n, ONOCR) && n->column == 0)
			return;
		if (O(n, OCRNL)) {
			c = '\n';
			if (O(n, ONLRET))
				n->canon_column = n->column = 0;
			break;
		}
		n->canon_column = n->column = 0;
		break;
	case '\t': {
		u32 spaces = 8 - (n->column & 7);

		n->column += spaces;
		if ((n->t->c_oflag & TABDLY) == XTABS) {
			while (spaces--)
				emit(n, ' ');
			return;
		}
		break;
	}
	case '\b':
		if (n->column > 0)
			n->column--;
		break;
	default:
		if (!is_cntrl(c)) {
			if (O(n, OLCUC))
				c = to_upper(c);
			if (!is_continuation(n, c))
				n->column++;
		}
		break;
	}
	emit(n, c);
}

static void output_char(struct n_tty *n, u8 c)
{
	if (O(n, OPOST))
		do_output_char(n, c);
	else
		emit(n, c);
}

size_t n_tty_write(struct n_tty *n, const u8 *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		output_char(n, s[i]);
	flush_out(n);
	return len;
}

/* ---- echo ---- */

static void echo_raw(struct n_tty *n, u8 c) { output_char(n, c); }

/* Echo c, as ^X when ECHOCTL is set and c is a control character other
 * than tab (newline is echoed raw by the callers). */
static void echo_char(struct n_tty *n, u8 c)
{
	if (L(n, ECHOCTL) && is_cntrl(c) && c != '\t') {
		emit(n, '^');
		emit(n, c ^ 0100);
		n->column += 2;
	} else {
		echo_raw(n, c);
	}
}

static void finish_erasing(struct n_tty *n)
{
	if (n->erasing) {
		echo_raw(n, '/');
		n->erasing = false;
	}
}

/* Record the column where the echo of a new line begins. */
static void echo_set_canon_col(struct n_tty *n)
{
	if (n->canon_head == n->read_head)
		n->canon_column = n->column;
}

static void echo_backspace(struct n_tty *n)
{
	emit(n, '\b');
	if (n->column > 0)
		n->column--;
}

static void echo_erase_one(struct n_tty *n)
{
	echo_raw(n, '\b');
	echo_raw(n, ' ');
	echo_raw(n, '\b');
}

/* ---- input ring ---- */

static u32 read_cnt(const struct n_tty *n) { return n->read_head - n->read_tail; }

static void put_queue(struct n_tty *n, u8 c)
{
	n->buf[MASK(n->read_head)] = c;
	eol_clear(n, n->read_head);
	n->read_head++;
}

/* Room for c? In canonical mode the last slot is kept for a line end so an
 * over-long line can still be finished. */
static bool room_for(const struct n_tty *n, bool line_end)
{
	u32 room = N_TTY_BUF_SIZE - read_cnt(n);

	if (n->icanon && !line_end)
		return room >= 2;
	return room >= 1;
}

void n_tty_flush_input(struct n_tty *n)
{
	n->read_head = n->read_tail = n->canon_head = 0;
	memset(n->eol, 0, sizeof(n->eol));
	n->lnext = false;
	n->erasing = false;
}

/* ERASE, WERASE, KILL in canonical mode. */
static void eraser(struct n_tty *n, u8 c)
{
	enum { ERASE, WERASE, KILL } kill_type;
	int seen_alnums = 0;

	if (n->read_head == n->canon_head)
		return;
	if (is_cc(n, c, VERASE)) {
		kill_type = ERASE;
	} else if (is_cc(n, c, VWERASE)) {
		kill_type = WERASE;
	} else {
		if (!L(n, ECHO)) {
			n->read_head = n->canon_head;
			return;
		}
		if (!L(n, ECHOK) || !L(n, ECHOKE) || !L(n, ECHOE)) {
			n->read_head = n->canon_head;
			finish_erasing(n);
			echo_char(n, c);
			if (L(n, ECHOK))
				echo_raw(n, '\n');
			return;
		}
		kill_type = KILL;
	}

	while (n->read_head != n->canon_head) {
		u32 head = n->read_head;
		u32 cnt;

		/* One character: a UTF-8 sequence counts as one under IUTF8. */
		do {
			head--;
			c = n->buf[MASK(head)];
		} while (is_continuation(n, c) && head != n->canon_head);
		if (is_continuation(n, c))
			break; /* never erase half a character */

		if (kill_type == WERASE) {
			if (is_alnum(c) || c == '_')
				seen_alnums++;
			else if (seen_alnums)
				break;
		}
		cnt = n->read_head - head;
		n->read_head = head;

		if (L(n, ECHO)) {
			if (L(n, ECHOPRT)) {
				if (!n->erasing) {
					echo_raw(n, '\\');
					n->erasing = true;
				}
				echo_char(n, c);
				for (u32 i = 1; i < cnt; i++)
					emit(n, n->buf[MASK(head + i)]);
			} else if (kill_type == ERASE && !L(n, ECHOE)) {
				echo_char(n, CC(n, VERASE));
			} else if (c == '\t') {
				/* Columns used since the previous tab or the line's
				 * start decide how far back the tab reached. */
				u32 num_chars = 0, tail = n->read_head;
				bool after_tab = false;

				while (tail != n->canon_head) {
					u8 p = n->buf[MASK(--tail)];
					if (p == '\t') {
						after_tab = true;
						break;
					} else if (is_cntrl(p)) {
						if (L(n, ECHOCTL))
							num_chars += 2;
					} else if (!is_continuation(n, p)) {
						num_chars++;
					}
				}
				if (!after_tab)
					num_chars += n->canon_column;
				for (u32 bs = 8 - (num_chars & 7); bs; bs--)
					echo_backspace(n);
			} else {
				if (is_cntrl(c) && L(n, ECHOCTL))
					echo_erase_one(n);
				if (!is_cntrl(c) || L(n, ECHOCTL))
					echo_erase_one(n);
			}
		}
		if (kill_type == ERASE)
			break;
	}
	if (n->read_head == n->canon_head && L(n, ECHO))
		finish_erasing(n);
}

/* An ordinary byte: echo it and queue it. */
static void receive_plain(struct n_tty *n, u8 c)
{
	if (!room_for(n, false))
		return;
	if (L(n, ECHO)) {
		finish_erasing(n);
		if (c == '\n') {
			echo_raw(n, '\n');
		} else {
			echo_set_canon_col(n);
			echo_char(n, c);
		}
	}
	put_queue(n, c);
}

/* End the current line with c (EOF is queued as a DISABLED_CHAR mark). */
static void end_line(struct n_tty *n, u8 c)
{
	eol_set(n, n->read_head);
	n->buf[MASK(n->read_head)] = c;
	n->read_head++;
	n->canon_head = n->read_head;
}

static void signal_char(struct n_tty *n, int sig, u8 c)
{
	n->sigs |= 1u << sig;
	if (!L(n, NOFLSH))
		n_tty_flush_input(n);
	if (L(n, ECHO))
		echo_char(n, c);
}

static void receive_char(struct n_tty *n, u8 c)
{
	if (I(n, ISTRIP))
		c &= 0x7f;
	if (I(n, IUCLC) && L(n, IEXTEN))
		c = to_lower(c);
	if (n->lnext) {
		n->lnext = false;
		receive_plain(n, c);
		return;
	}
	if (I(n, IXON) && (is_cc(n, c, VSTART) || is_cc(n, c, VSTOP)))
		return; /* flow control: consumed, output is never stopped */
	if (L(n, ISIG)) {
		if (is_cc(n, c, VINTR)) {
			signal_char(n, TTY_SIGINT, c);
			return;
		}
		if (is_cc(n, c, VQUIT)) {
			signal_char(n, TTY_SIGQUIT, c);
			return;
		}
		if (is_cc(n, c, VSUSP)) {
			signal_char(n, TTY_SIGTSTP, c);
			return;
		}
	}
	if (c == '\r') {
		if (I(n, IGNCR))
			return;
		if (I(n, ICRNL))
			c = '\n';
	} else if (c == '\n' && I(n, INLCR)) {
		c = '\r';
	}

	if (n->icanon) {
		if (is_cc(n, c, VERASE) || is_cc(n, c, VKILL) ||
		    (is_cc(n, c, VWERASE) && L(n, IEXTEN))) {
			eraser(n, c);
			return;
		}
		if (is_cc(n, c, VLNEXT) && L(n, IEXTEN)) {
			n->lnext = true;
			if (L(n, ECHO)) {
				finish_erasing(n);
				if (L(n, ECHOCTL)) {
					echo_raw(n, '^');
					echo_raw(n, '\b');
				}
			}
			return;
		}
		if (is_cc(n, c, VREPRINT) && L(n, ECHO) && L(n, IEXTEN)) {
			finish_erasing(n);
			echo_char(n, c);
			echo_raw(n, '\n');
			for (u32 i = n->canon_head; i != n->read_head; i++)
				echo_char(n, n->buf[MASK(i)]);
			return;
		}
		if (c == '\n') {
			if (!room_for(n, true))
				return;
			if (L(n, ECHO) || L(n, ECHONL))
				echo_raw(n, '\n');
			end_line(n, c);
			return;
		}
		if (is_cc(n, c, VEOF)) {
			if (!room_for(n, true))
				return;
			end_line(n, DISABLED_CHAR);
			return;
		}
		if (is_cc(n, c, VEOL) || (is_cc(n, c, VEOL2) && L(n, IEXTEN))) {
			if (!room_for(n, true))
				return;
			if (L(n, ECHO)) {
				echo_set_canon_col(n);
				echo_char(n, c);
			}
			end_line(n, c);
			return;
		}
	}
	receive_plain(n, c);
}

void n_tty_receive(struct n_tty *n, const u8 *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		receive_char(n, s[i]);
	flush_out(n);
}

/* ---- reading ---- */

bool n_tty_input_available(const struct n_tty *n, bool poll)
{
	u32 amt = 1;

	if (n->icanon)
		return n->canon_head != n->read_tail;
	if (poll && CC(n, VTIME) == 0 && CC(n, VMIN) != 0)
		amt = CC(n, VMIN);
	return read_cnt(n) >= amt;
}

size_t n_tty_read(struct n_tty *n, u8 *dst, size_t max, bool *line_done)
{
	size_t copied = 0;

	*line_done = false;
	if (!n->icanon) {
		while (copied < max && n->read_tail != n->read_head)
			dst[copied++] = n->buf[MASK(n->read_tail++)];
		return copied;
	}
	while (copied < max && n->read_tail != n->canon_head) {
		u32 i = n->read_tail++;
		u8 c = n->buf[MASK(i)];

		if (eol_test(n, i)) {
			eol_clear(n, i);
			if (c != DISABLED_CHAR)
				dst[copied++] = c;
			*line_done = true;
			break;
		}
		dst[copied++] = c;
	}
	return copied;
}

u32 n_tty_inq(const struct n_tty *n)
{
	u32 nr;

	if (!n->icanon)
		return read_cnt(n);
	nr = n->canon_head - n->read_tail;
	for (u32 i = n->read_tail; i != n->canon_head; i++)
		if (eol_test(n, i) && n->buf[MASK(i)] == DISABLED_CHAR)
			nr--;
	return nr;
}

/* ---- configuration ---- */

void n_tty_set_termios(struct n_tty *n, const struct termios2 *old)
{
	bool icanon = L(n, ICANON);

	if (!old || icanon != n->icanon) {
		memset(n->eol, 0, sizeof(n->eol));
		if (!icanon || read_cnt(n) == 0) {
			n->canon_head = n->read_tail;
		} else {
			/* Switching to canonical mode: what was typed in raw
			 * mode becomes one readable line. */
			eol_set(n, n->read_head - 1);
			n->canon_head = n->read_head;
		}
		n->erasing = false;
		n->lnext = false;
		n->icanon = icanon;
	}
}

void n_tty_init(struct n_tty *n, const struct termios2 *t, n_tty_write_fn write, void *ctx)
{
	memset(n, 0, sizeof(*n));
	n->t = t;
	n->write = write;
	n->ctx = ctx;
	n_tty_set_termios(n, NULL);
}

void n_tty_default_termios(struct termios2 *t)
{
	static const u8 init_cc[NCCS] = {
		[VINTR] = 003, [VQUIT] = 034, [VERASE] = 0177, [VKILL] = 025,
		[VEOF] = 004, [VTIME] = 0, [VMIN] = 1, [VSWTC] = 0,
		[VSTART] = 021, [VSTOP] = 023, [VSUSP] = 032, [VEOL] = 0,
		[VREPRINT] = 022, [VDISCARD] = 017, [VWERASE] = 027,
		[VLNEXT] = 026, [VEOL2] = 0,
	};

	memset(t, 0, sizeof(*t));
	t->c_iflag = ICRNL | IXON;
	t->c_oflag = OPOST | ONLCR;
	t->c_cflag = B38400 | CS8 | CREAD | HUPCL | CLOCAL;
	t->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	memcpy(t->c_cc, init_cc, sizeof(init_cc));
	t->c_ispeed = t->c_ospeed = 38400;
}
