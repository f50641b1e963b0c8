/* ioctl request numbers: Linux x86-64 (asm-generic/ioctls.h, which x86
 * uses unchanged) and the _IOC encoding (asm-generic/ioctl.h). */
#ifndef UAPI_IOCTLS_H
#define UAPI_IOCTLS_H

#define _IOC_NRBITS   8
#define _IOC_TYPEBITS 8
#define _IOC_SIZEBITS 14
#define _IOC_NRSHIFT   0
#define _IOC_TYPESHIFT 8
#define _IOC_SIZESHIFT 16
#define _IOC_DIRSHIFT  30
#define _IOC_NONE  0u
#define _IOC_WRITE 1u
#define _IOC_READ  2u
#define _IOC(dir, type, nr, size)                                          \
	(((dir) << _IOC_DIRSHIFT) | ((unsigned)(type) << _IOC_TYPESHIFT) | \
	 ((unsigned)(nr) << _IOC_NRSHIFT) | ((unsigned)(size) << _IOC_SIZESHIFT))
#define _IO(type, nr)          _IOC(_IOC_NONE, (type), (nr), 0)
#define _IOR(type, nr, size)   _IOC(_IOC_READ, (type), (nr), sizeof(size))
#define _IOW(type, nr, size)   _IOC(_IOC_WRITE, (type), (nr), sizeof(size))
#define _IOWR(type, nr, size)  _IOC(_IOC_READ | _IOC_WRITE, (type), (nr), sizeof(size))
#define _IOC_DIR(nr)  (((nr) >> _IOC_DIRSHIFT) & 3u)
#define _IOC_TYPE(nr) (((nr) >> _IOC_TYPESHIFT) & 0xffu)
#define _IOC_NR(nr)   (((nr) >> _IOC_NRSHIFT) & 0xffu)
#define _IOC_SIZE(nr) (((nr) >> _IOC_SIZESHIFT) & 0x3fffu)

#define TCGETS       0x5401
#define TCSETS       0x5402
#define TCSETSW      0x5403
#define TCSETSF      0x5404
#define TCGETA       0x5405
#define TCSETA       0x5406
#define TCSETAW      0x5407
#define TCSETAF      0x5408
#define TCSBRK       0x5409
#define TCXONC       0x540A
#define TCFLSH       0x540B
#define TIOCEXCL     0x540C
#define TIOCNXCL     0x540D
#define TIOCSCTTY    0x540E
#define TIOCGPGRP    0x540F
#define TIOCSPGRP    0x5410
#define TIOCOUTQ     0x5411
#define TIOCSTI      0x5412
#define TIOCGWINSZ   0x5413
#define TIOCSWINSZ   0x5414
#define TIOCMGET     0x5415
#define TIOCMBIS     0x5416
#define TIOCMBIC     0x5417
#define TIOCMSET     0x5418
#define TIOCGSOFTCAR 0x5419
#define TIOCSSOFTCAR 0x541A
#define FIONREAD     0x541B
#define TIOCINQ      FIONREAD
#define TIOCLINUX    0x541C
#define TIOCCONS     0x541D
#define TIOCGSERIAL  0x541E
#define TIOCSSERIAL  0x541F
#define TIOCPKT      0x5420
#define FIONBIO      0x5421
#define TIOCNOTTY    0x5422
#define TIOCSETD     0x5423
#define TIOCGETD     0x5424
#define TCSBRKP      0x5425
#define TIOCSBRK     0x5427
#define TIOCCBRK     0x5428
#define TIOCGSID     0x5429
#define TCGETS2      0x802C542A /* _IOR('T', 0x2A, struct termios2) */
#define TCSETS2      0x402C542B /* _IOW('T', 0x2B, struct termios2) */
#define TCSETSW2     0x402C542C
#define TCSETSF2     0x402C542D
#define TIOCGRS485   0x542E
#define TIOCSRS485   0x542F
#define TIOCGPTN     0x80045430 /* _IOR('T', 0x30, unsigned int) */
#define TIOCSPTLCK   0x40045431 /* _IOW('T', 0x31, int) */
#define TIOCGDEV     0x80045432 /* _IOR('T', 0x32, unsigned int) */
#define TCGETX       0x5432
#define TCSETX       0x5433
#define TCSETXF      0x5434
#define TCSETXW      0x5435
#define TIOCSIG      0x40045436 /* _IOW('T', 0x36, int) */
#define TIOCVHANGUP  0x5437
#define TIOCGPKT     0x80045438 /* _IOR('T', 0x38, int) */
#define TIOCGPTLCK   0x80045439 /* _IOR('T', 0x39, int) */
#define TIOCGEXCL    0x80045440 /* _IOR('T', 0x40, int) */
#define TIOCGPTPEER  0x5441     /* _IO('T', 0x41) */

#define FIONCLEX        0x5450
#define FIOCLEX         0x5451
#define FIOASYNC        0x5452
#define TIOCSERCONFIG   0x5453
#define TIOCSERGWILD    0x5454
#define TIOCSERSWILD    0x5455
#define TIOCGLCKTRMIOS  0x5456
#define TIOCSLCKTRMIOS  0x5457
#define TIOCSERGSTRUCT  0x5458
#define TIOCSERGETLSR   0x5459
#define TIOCSERGETMULTI 0x545A
#define TIOCSERSETMULTI 0x545B
#define TIOCMIWAIT      0x545C
#define TIOCGICOUNT     0x545D
#define FIOQSIZE        0x5460

/* Packet mode status bits (TIOCPKT). */
#define TIOCPKT_DATA       0
#define TIOCPKT_FLUSHREAD  1
#define TIOCPKT_FLUSHWRITE 2
#define TIOCPKT_STOP       4
#define TIOCPKT_START      8
#define TIOCPKT_NOSTOP     16
#define TIOCPKT_DOSTOP     32
#define TIOCPKT_IOCTL      64

#define TIOCSER_TEMT 0x01

#endif
