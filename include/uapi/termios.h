/* Terminal attributes: the Linux x86-64 kernel ABI (asm-generic/termbits.h,
 * termios.h). The TCGETS/TCSETS ioctls carry the kernel's struct termios
 * (19 control characters, no speed fields, 36 bytes) - not glibc's 60-byte
 * struct termios, which glibc converts. TCGETS2/TCSETS2 carry struct
 * termios2 with explicit speeds; the kernel keeps that form internally. */
#ifndef UAPI_TERMIOS_H
#define UAPI_TERMIOS_H

#include <skiff/types.h>

typedef u8 cc_t;
typedef u32 speed_t;
typedef u32 tcflag_t;

#define NCCS 19

struct termios {
	tcflag_t c_iflag;
	tcflag_t c_oflag;
	tcflag_t c_cflag;
	tcflag_t c_lflag;
	cc_t c_line;
	cc_t c_cc[NCCS];
};
_Static_assert(sizeof(struct termios) == 36, "struct termios is 36 bytes");
_Static_assert(offsetof(struct termios, c_lflag) == 12, "termios.c_lflag");
_Static_assert(offsetof(struct termios, c_line) == 16, "termios.c_line");
_Static_assert(offsetof(struct termios, c_cc) == 17, "termios.c_cc");

struct termios2 {
	tcflag_t c_iflag;
	tcflag_t c_oflag;
	tcflag_t c_cflag;
	tcflag_t c_lflag;
	cc_t c_line;
	cc_t c_cc[NCCS];
	speed_t c_ispeed;
	speed_t c_ospeed;
};
_Static_assert(sizeof(struct termios2) == 44, "struct termios2 is 44 bytes");
_Static_assert(offsetof(struct termios2, c_ispeed) == 36, "termios2.c_ispeed");
_Static_assert(offsetof(struct termios2, c_ospeed) == 40, "termios2.c_ospeed");

/* The old System V struct termio (TCGETA/TCSETA). */
#define NCC 8
struct termio {
	u16 c_iflag;
	u16 c_oflag;
	u16 c_cflag;
	u16 c_lflag;
	u8 c_line;
	u8 c_cc[NCC];
};
_Static_assert(sizeof(struct termio) == 18, "struct termio is 18 bytes");
_Static_assert(offsetof(struct termio, c_cc) == 9, "termio.c_cc");

struct winsize {
	u16 ws_row;
	u16 ws_col;
	u16 ws_xpixel;
	u16 ws_ypixel;
};
_Static_assert(sizeof(struct winsize) == 8, "struct winsize is 8 bytes");

/* c_cc indices */
#define VINTR    0
#define VQUIT    1
#define VERASE   2
#define VKILL    3
#define VEOF     4
#define VTIME    5
#define VMIN     6
#define VSWTC    7
#define VSTART   8
#define VSTOP    9
#define VSUSP    10
#define VEOL     11
#define VREPRINT 12
#define VDISCARD 13
#define VWERASE  14
#define VLNEXT   15
#define VEOL2    16

#define _POSIX_VDISABLE 0

/* c_iflag */
#define IGNBRK  0000001
#define BRKINT  0000002
#define IGNPAR  0000004
#define PARMRK  0000010
#define INPCK   0000020
#define ISTRIP  0000040
#define INLCR   0000100
#define IGNCR   0000200
#define ICRNL   0000400
#define IUCLC   0001000
#define IXON    0002000
#define IXANY   0004000
#define IXOFF   0010000
#define IMAXBEL 0020000
#define IUTF8   0040000

/* c_oflag */
#define OPOST   0000001
#define OLCUC   0000002
#define ONLCR   0000004
#define OCRNL   0000010
#define ONOCR   0000020
#define ONLRET  0000040
#define OFILL   0000100
#define OFDEL   0000200
#define NLDLY   0000400
#define NL0     0000000
#define NL1     0000400
#define CRDLY   0003000
#define CR0     0000000
#define CR1     0001000
#define CR2     0002000
#define CR3     0003000
#define TABDLY  0014000
#define TAB0    0000000
#define TAB1    0004000
#define TAB2    0010000
#define TAB3    0014000
#define XTABS   0014000
#define BSDLY   0020000
#define VTDLY   0040000
#define FFDLY   0100000

/* c_cflag */
#define CBAUD    0010017
#define B0       0000000
#define B50      0000001
#define B75      0000002
#define B110     0000003
#define B134     0000004
#define B150     0000005
#define B200     0000006
#define B300     0000007
#define B600     0000010
#define B1200    0000011
#define B1800    0000012
#define B2400    0000013
#define B4800    0000014
#define B9600    0000015
#define B19200   0000016
#define B38400   0000017
#define CSIZE    0000060
#define CS5      0000000
#define CS6      0000020
#define CS7      0000040
#define CS8      0000060
#define CSTOPB   0000100
#define CREAD    0000200
#define PARENB   0000400
#define PARODD   0001000
#define HUPCL    0002000
#define CLOCAL   0004000
#define CBAUDEX  0010000
#define BOTHER   0010000
#define B57600   0010001
#define B115200  0010002
#define B230400  0010003
#define B460800  0010004
#define B500000  0010005
#define B576000  0010006
#define B921600  0010007
#define B1000000 0010010
#define B1152000 0010011
#define B1500000 0010012
#define B2000000 0010013
#define B2500000 0010014
#define B3000000 0010015
#define B3500000 0010016
#define B4000000 0010017
#define CIBAUD   002003600000
#define CMSPAR   010000000000
#define CRTSCTS  020000000000
#define IBSHIFT  16

/* c_lflag */
#define ISIG    0000001
#define ICANON  0000002
#define XCASE   0000004
#define ECHO    0000010
#define ECHOE   0000020
#define ECHOK   0000040
#define ECHONL  0000100
#define NOFLSH  0000200
#define TOSTOP  0000400
#define ECHOCTL 0001000
#define ECHOPRT 0002000
#define ECHOKE  0004000
#define FLUSHO  0010000
#define PENDIN  0040000
#define IEXTEN  0100000
#define EXTPROC 0200000

/* TCFLSH */
#define TCIFLUSH  0
#define TCOFLUSH  1
#define TCIOFLUSH 2
/* TCXONC */
#define TCOOFF 0
#define TCOON  1
#define TCIOFF 2
#define TCION  3

/* Modem lines (TIOCMGET...) */
#define TIOCM_LE  0x001
#define TIOCM_DTR 0x002
#define TIOCM_RTS 0x004
#define TIOCM_ST  0x008
#define TIOCM_SR  0x010
#define TIOCM_CTS 0x020
#define TIOCM_CAR 0x040
#define TIOCM_RNG 0x080
#define TIOCM_DSR 0x100

/* Line disciplines */
#define N_TTY 0

/* <linux/serial.h>: TIOCGSERIAL */
struct serial_struct {
	s32 type;
	s32 line;
	u32 port;
	s32 irq;
	s32 flags;
	s32 xmit_fifo_size;
	s32 custom_divisor;
	s32 baud_base;
	u16 close_delay;
	char io_type;
	char reserved_char[1];
	s32 hub6;
	u16 closing_wait;
	u16 closing_wait2;
	u64 iomem_base;   /* unsigned char * */
	u16 iomem_reg_shift;
	u32 port_high;
	u64 iomap_base;
};
_Static_assert(sizeof(struct serial_struct) == 72, "struct serial_struct is 72 bytes");
_Static_assert(offsetof(struct serial_struct, close_delay) == 32, "serial_struct.close_delay");
_Static_assert(offsetof(struct serial_struct, hub6) == 36, "serial_struct.hub6");
_Static_assert(offsetof(struct serial_struct, iomem_base) == 48, "serial_struct.iomem_base");
_Static_assert(offsetof(struct serial_struct, port_high) == 60, "serial_struct.port_high");
_Static_assert(offsetof(struct serial_struct, iomap_base) == 64, "serial_struct.iomap_base");
#define PORT_16550A 4
#define SERIAL_IO_PORT 0

#endif
