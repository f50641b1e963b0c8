// SOURCES: drivers/tty/n_tty.c
/* The N_TTY line discipline on the host: canonical editing and echo,
 * EOF marks, signal characters, input and output translation, VMIN
 * readiness, mode switches and buffer limits. Expected echo strings are
 * what Linux's n_tty writes for the same input. */
#include <string.h>

#include "../../drivers/tty/n_tty.h"
#include "test.h"

static char out[8192];
static size_t outlen;

static void sink(void *ctx, const u8 *s, size_t n)
{
	(void)ctx;
	CHECK(outlen + n < sizeof(out));
	if (outlen + n < sizeof(out)) {
		memcpy(out + outlen, s, n);
		outlen += n;
	}
	out[outlen] = 0;
}

static struct termios2 tio;
static struct n_tty ld;

static void setup(void)
{
	n_tty_default_termios(&tio);
	n_tty_init(&ld, &tio, sink, NULL);
	outlen = 0;
	out[0] = 0;
}

static void in(const char *s) { n_tty_receive(&ld, (const u8 *)s, strlen(s)); }
static void clear_out(void) { outlen = 0; out[0] = 0; }

/* Read everything one read() would return into buf (NUL-terminated). */
static size_t rd(char *buf, size_t max)
{
	bool done;
	size_t n = n_tty_read(&ld, (u8 *)buf, max, &done);
	buf[n] = 0;
	return n;
}

#define CHECK_OUT(s) do { if (strcmp(out, s)) { fprintf(stderr, "%s:%d: echo \"%s\", expected \"%s\"\n", __FILE__, __LINE__, out, s); test_failures++; } } while (0)
#define CHECK_STR(a, s) do { if (strcmp(a, s)) { fprintf(stderr, "%s:%d: got \"%s\", expected \"%s\"\n", __FILE__, __LINE__, a, s); test_failures++; } } while (0)

static void test_canon_basic(void)
{
	char b[64];

	setup();
	in("ab");
	CHECK(!n_tty_input_available(&ld, false));
	CHECK_EQ(n_tty_inq(&ld), 0);
	in("c\r");
	CHECK_OUT("abc\r\n");
	CHECK(n_tty_input_available(&ld, true));
	CHECK_EQ(n_tty_inq(&ld), 4);
	CHECK_EQ(rd(b, sizeof(b) - 1), 4);
	CHECK_STR(b, "abc\n");
	CHECK(!n_tty_input_available(&ld, false));

	/* Two lines: one read returns one line. */
	in("x\ny\n");
	CHECK_EQ(rd(b, 63), 2);
	CHECK_STR(b, "x\n");
	CHECK_EQ(rd(b, 63), 2);
	CHECK_STR(b, "y\n");

	/* Short reads continue the line. */
	in("hello\n");
	CHECK_EQ(rd(b, 3), 3);
	CHECK_STR(b, "hel");
	CHECK_EQ(rd(b, 63), 3);
	CHECK_STR(b, "lo\n");
}

static void test_erase(void)
{
	char b[64];

	setup();
	in("abc\177");
	CHECK_OUT("abc\b \b");
	in("\177\177\177"); /* the third finds nothing to erase: no echo */
	CHECK_OUT("abc\b \b\b \b\b \b");
	in("z\n");
	rd(b, 63);
	CHECK_STR(b, "z\n");

	/* ^H is not ERASE under the default termios: it is data, echoed ^H. */
	setup();
	in("a\b\n");
	CHECK_OUT("a^H\r\n");
	rd(b, 63);
	CHECK_STR(b, "a\b\n");

	/* Erasing a control character echoed as ^A takes two columns. */
	setup();
	in("\001\177");
	CHECK_OUT("^A\b \b\b \b");

	/* Without ECHOE the erase character itself is echoed. */
	setup();
	tio.c_lflag &= ~ECHOE;
	in("ab\177");
	CHECK_OUT("ab^?");

	/* KILL with ECHOKE erases the line visually. */
	setup();
	in("ab\025");
	CHECK_OUT("ab\b \b\b \b");
	in("c\n");
	rd(b, 63);
	CHECK_STR(b, "c\n");

	/* KILL without ECHOKE: echo ^U and (ECHOK) a newline. */
	setup();
	tio.c_lflag &= ~ECHOKE;
	in("ab\025");
	CHECK_OUT("ab^U\r\n");

	/* WERASE: trailing blanks, then the word. */
	setup();
	in("foo bar  \027");
	CHECK_OUT("foo bar  \b \b\b \b\b \b\b \b\b \b");
	in("\n");
	rd(b, 63);
	CHECK_STR(b, "foo \n");

	/* WERASE keeps punctuation as a word boundary (ALTWERASE). */
	setup();
	in("a/bc\027\n");
	rd(b, 63);
	CHECK_STR(b, "a/\n");
}

static void test_erase_tab(void)
{
	setup();
	in("ab\t");
	CHECK_OUT("ab\t");
	clear_out();
	in("\177"); /* tab from column 2 to 8: six backspaces */
	CHECK_OUT("\b\b\b\b\b\b");

	/* The line's echo began at column 3 (after a prompt). */
	setup();
	n_tty_write(&ld, (const u8 *)"$ >", 3);
	in("\t");
	clear_out();
	in("\177");
	CHECK_OUT("\b\b\b\b\b");
}

static void test_utf8_erase(void)
{
	char b[64];

	setup();
	tio.c_iflag |= IUTF8;
	in("a\xc3\xa9\177\n");
	rd(b, 63);
	CHECK_STR(b, "a\n");
	CHECK_OUT("a\xc3\xa9\b \b\r\n");
}

static void test_eof(void)
{
	char b[64];
	bool done;

	setup();
	in("\004");
	CHECK_OUT("");
	CHECK(n_tty_input_available(&ld, false));
	CHECK_EQ(n_tty_inq(&ld), 0);
	CHECK_EQ(n_tty_read(&ld, (u8 *)b, 63, &done), 0);
	CHECK(done);
	CHECK(!n_tty_input_available(&ld, false));

	/* EOF after text ends the line without a newline. */
	in("abc\004");
	CHECK_EQ(n_tty_inq(&ld), 3);
	CHECK_EQ(rd(b, 63), 3);
	CHECK_STR(b, "abc");
	CHECK(!n_tty_input_available(&ld, false));

	/* A literal ^D via ^V is data. */
	setup();
	in("\026\004\n");
	CHECK_OUT("^\b^D\r\n");
	CHECK_EQ(rd(b, 63), 2);
	CHECK_EQ(b[0], 4);
}

static void test_eol(void)
{
	char b[64];

	setup();
	tio.c_cc[VEOL] = ';';
	in("ab;cd");
	CHECK_EQ(rd(b, 63), 3);
	CHECK_STR(b, "ab;");
	CHECK(!n_tty_input_available(&ld, false));
	/* VEOL2 needs IEXTEN. */
	tio.c_cc[VEOL2] = '!';
	tio.c_lflag &= ~IEXTEN;
	in("!");
	CHECK(!n_tty_input_available(&ld, false));
	tio.c_lflag |= IEXTEN;
	in("!");
	CHECK_EQ(rd(b, 63), 4);
	CHECK_STR(b, "cd!!");
}

static void test_signals(void)
{
	char b[64];

	setup();
	in("abc\003");
	CHECK_EQ(n_tty_take_signals(&ld), 1u << TTY_SIGINT);
	CHECK_EQ(n_tty_take_signals(&ld), 0);
	CHECK_OUT("abc^C");
	in("\n"); /* the partial line was flushed */
	CHECK_EQ(rd(b, 63), 1);
	CHECK_STR(b, "\n");

	in("x\n\034\032");
	CHECK_EQ(n_tty_take_signals(&ld), (1u << TTY_SIGQUIT) | (1u << TTY_SIGTSTP));
	CHECK(!n_tty_input_available(&ld, false)); /* complete lines too */

	/* NOFLSH keeps the input. */
	setup();
	tio.c_lflag |= NOFLSH;
	in("x\n\003");
	CHECK_EQ(n_tty_take_signals(&ld), 1u << TTY_SIGINT);
	CHECK_EQ(rd(b, 63), 2);

	/* Without ISIG ^C is data. */
	setup();
	tio.c_lflag &= ~ISIG;
	in("\003\n");
	CHECK_EQ(n_tty_take_signals(&ld), 0);
	CHECK_EQ(rd(b, 63), 2);
	CHECK_EQ(b[0], 3);

	/* No echo of the signal character without ECHO. */
	setup();
	tio.c_lflag &= ~ECHO;
	in("\003");
	CHECK_OUT("");
}

static void test_input_translation(void)
{
	char b[64];

	setup();
	tio.c_iflag &= ~ICRNL;
	in("a\r\n");
	CHECK_EQ(rd(b, 63), 3);
	CHECK_STR(b, "a\r\n");
	CHECK_OUT("a^M\r\n");

	setup();
	tio.c_iflag |= IGNCR;
	in("a\r\n");
	CHECK_EQ(rd(b, 63), 2);

	setup();
	tio.c_iflag |= INLCR;
	tio.c_iflag &= ~ICRNL;
	tio.c_lflag &= ~ICANON;
	n_tty_set_termios(&ld, NULL);
	in("\n");
	CHECK_EQ(rd(b, 63), 1);
	CHECK_EQ(b[0], '\r');

	setup();
	tio.c_iflag |= ISTRIP;
	in("\xe1\n");
	rd(b, 63);
	CHECK_STR(b, "a\n");

	/* IXON consumes ^S / ^Q. */
	setup();
	in("\023a\021\n");
	CHECK_EQ(rd(b, 63), 2);
	CHECK_STR(b, "a\n");
}

static void test_echo_flags(void)
{
	setup();
	tio.c_lflag &= ~ECHO;
	in("secret\n");
	CHECK_OUT("");
	tio.c_lflag |= ECHONL;
	in("x\n");
	CHECK_OUT("\r\n");

	setup();
	tio.c_lflag &= ~ECHOCTL;
	in("\001");
	CHECK_OUT("\001");

	/* ECHOPRT shows erased characters between \ and /. */
	setup();
	tio.c_lflag |= ECHOPRT;
	in("abc\177\177d");
	CHECK_OUT("abc\\cb/d");
	in("\177\177\177");
	CHECK_OUT("abc\\cb/d\\da/");

	/* ^R reprints the line. */
	setup();
	in("ab\022");
	CHECK_OUT("ab^R\r\nab");
}

static void test_noncanon(void)
{
	char b[64];

	setup();
	tio.c_lflag &= ~(ICANON | ECHO);
	tio.c_cc[VMIN] = 3;
	tio.c_cc[VTIME] = 0;
	n_tty_set_termios(&ld, NULL);
	in("a\177\025");
	CHECK_OUT("");
	CHECK(n_tty_input_available(&ld, false));
	CHECK(n_tty_input_available(&ld, true)); /* 3 bytes >= VMIN */
	in("\004");
	CHECK_EQ(n_tty_inq(&ld), 4);
	CHECK_EQ(rd(b, 2), 2);
	CHECK(n_tty_input_available(&ld, false));
	CHECK(!n_tty_input_available(&ld, true)); /* 2 < VMIN for poll */
	CHECK_EQ(rd(b, 63), 2);
	CHECK_EQ(b[0], 0x15);
	CHECK_EQ(b[1], 4);

	/* ECHO in raw mode: control characters as ^X, newline raw. */
	setup();
	tio.c_lflag &= ~ICANON;
	n_tty_set_termios(&ld, NULL);
	in("a\033\n");
	CHECK_OUT("a^[\r\n");
}

static void test_mode_switch(void)
{
	char b[64];
	struct termios2 old;

	/* Canonical -> raw: the partial line becomes readable. */
	setup();
	in("ab");
	old = tio;
	tio.c_lflag &= ~ICANON;
	n_tty_set_termios(&ld, &old);
	CHECK_EQ(rd(b, 63), 2);

	/* Raw -> canonical: pending raw input becomes a line. */
	setup();
	old = tio;
	tio.c_lflag &= ~ICANON;
	n_tty_set_termios(&ld, &old);
	in("xy");
	old = tio;
	tio.c_lflag |= ICANON;
	n_tty_set_termios(&ld, &old);
	CHECK(n_tty_input_available(&ld, false));
	CHECK_EQ(rd(b, 63), 2);
	CHECK_STR(b, "xy");
}

static void test_output(void)
{
	setup();
	n_tty_write(&ld, (const u8 *)"a\nb", 3);
	CHECK_OUT("a\r\nb");

	setup();
	tio.c_oflag &= ~OPOST;
	n_tty_write(&ld, (const u8 *)"a\nb", 3);
	CHECK_OUT("a\nb");

	setup();
	tio.c_oflag = OPOST | OCRNL;
	n_tty_write(&ld, (const u8 *)"a\r", 2);
	CHECK_OUT("a\n");

	setup();
	tio.c_oflag = OPOST | ONOCR;
	n_tty_write(&ld, (const u8 *)"\rab\r", 4);
	CHECK_OUT("ab\r");

	setup();
	tio.c_oflag = OPOST | XTABS | OLCUC;
	n_tty_write(&ld, (const u8 *)"ab\tc", 4);
	CHECK_OUT("AB      C");
}

static void test_full_buffer(void)
{
	static char big[N_TTY_BUF_SIZE + 100];
	static char b[N_TTY_BUF_SIZE + 100];
	bool done;
	size_t n;

	setup();
	tio.c_lflag &= ~ECHO;
	memset(big, 'x', sizeof(big) - 1);
	in(big);
	CHECK(!n_tty_input_available(&ld, false));
	in("\n"); /* a line end always fits */
	n = n_tty_read(&ld, (u8 *)b, sizeof(b), &done);
	CHECK_EQ(n, N_TTY_BUF_SIZE);
	CHECK(done);
	CHECK_EQ(b[n - 1], '\n');

	/* Wrap-around of the ring indices. */
	for (int i = 0; i < 3000; i++) {
		in("0123456789\n");
		n = n_tty_read(&ld, (u8 *)b, 63, &done);
		CHECK_EQ(n, 11);
		CHECK(done);
	}
}

int main(void)
{
	test_canon_basic();
	test_erase();
	test_erase_tab();
	test_utf8_erase();
	test_eof();
	test_eol();
	test_signals();
	test_input_translation();
	test_echo_flags();
	test_noncanon();
	test_mode_switch();
	test_output();
	test_full_buffer();
	TEST_DONE("n_tty");
}
