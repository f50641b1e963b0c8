/* Linux x86-64 socket ABI: address families, socket types, MSG_* flags,
 * SOL_SOCKET options, control messages (linux/socket.h, asm-generic/socket.h,
 * linux/net.h, asm-generic/sockios.h, linux/sockios.h). */
#ifndef UAPI_SOCKET_H
#define UAPI_SOCKET_H

#include <skiff/compiler.h>
#include <skiff/types.h>

/* Address families (linux/socket.h). */
#define AF_UNSPEC  0
#define AF_UNIX    1
#define AF_LOCAL   AF_UNIX
#define AF_INET    2
#define AF_INET6   10
#define AF_NETLINK 16
#define AF_PACKET  17
#define AF_MAX     46  /* NPROTO: families are 0..AF_MAX-1 */

/* Socket types (linux/net.h); the type argument also carries flags. */
#define SOCK_STREAM    1
#define SOCK_DGRAM     2
#define SOCK_RAW       3
#define SOCK_RDM       4
#define SOCK_SEQPACKET 5
#define SOCK_DCCP      6
#define SOCK_PACKET    10
#define SOCK_MAX       11
#define SOCK_TYPE_MASK 0xf
#define SOCK_CLOEXEC   02000000  /* O_CLOEXEC */
#define SOCK_NONBLOCK  00004000  /* O_NONBLOCK */

/* shutdown(2) */
#define SHUT_RD   0
#define SHUT_WR   1
#define SHUT_RDWR 2

#define SOMAXCONN 4096  /* net.core.somaxconn default (Linux >= 5.4) */

/* send/recv flags */
#define MSG_OOB          0x1
#define MSG_PEEK         0x2
#define MSG_DONTROUTE    0x4
#define MSG_CTRUNC       0x8
#define MSG_PROBE        0x10
#define MSG_TRUNC        0x20
#define MSG_DONTWAIT     0x40
#define MSG_EOR          0x80
#define MSG_WAITALL      0x100
#define MSG_FIN          0x200
#define MSG_SYN          0x400
#define MSG_CONFIRM      0x800
#define MSG_RST          0x1000
#define MSG_ERRQUEUE     0x2000
#define MSG_NOSIGNAL     0x4000
#define MSG_MORE         0x8000
#define MSG_WAITFORONE   0x10000
#define MSG_BATCH        0x40000
#define MSG_ZEROCOPY     0x4000000
#define MSG_FASTOPEN     0x20000000
#define MSG_CMSG_CLOEXEC 0x40000000

/* Socket-level options (asm-generic/socket.h; x86 uses it unchanged). */
#define SOL_SOCKET       1
#define SO_DEBUG         1
#define SO_REUSEADDR     2
#define SO_TYPE          3
#define SO_ERROR         4
#define SO_DONTROUTE     5
#define SO_BROADCAST     6
#define SO_SNDBUF        7
#define SO_RCVBUF        8
#define SO_KEEPALIVE     9
#define SO_OOBINLINE     10
#define SO_NO_CHECK      11
#define SO_PRIORITY      12
#define SO_LINGER        13
#define SO_BSDCOMPAT     14
#define SO_REUSEPORT     15
#define SO_PASSCRED      16
#define SO_PEERCRED      17
#define SO_RCVLOWAT      18
#define SO_SNDLOWAT      19
#define SO_RCVTIMEO_OLD  20
#define SO_SNDTIMEO_OLD  21
#define SO_BINDTODEVICE  25
#define SO_PEERNAME      28
#define SO_TIMESTAMP_OLD 29
#define SO_ACCEPTCONN    30
#define SO_PEERSEC       31
#define SO_SNDBUFFORCE   32
#define SO_RCVBUFFORCE   33
#define SO_PASSSEC       34
#define SO_MARK          36
#define SO_PROTOCOL      38
#define SO_DOMAIN        39
#define SO_PEEK_OFF      42
#define SO_INCOMING_CPU  49
#define SO_COOKIE        57
#define SO_PEERGROUPS    59
#define SO_RCVTIMEO_NEW  66
#define SO_SNDTIMEO_NEW  67

/* Control message types at SOL_SOCKET. */
#define SCM_RIGHTS      1
#define SCM_CREDENTIALS 2
#define SCM_MAX_FD      253  /* descriptors in one SCM_RIGHTS message */

/* Socket ioctls (asm-generic/sockios.h, linux/sockios.h). */
#define SIOCINQ    0x541B  /* FIONREAD */
#define SIOCOUTQ   0x5411  /* TIOCOUTQ */
#define FIOSETOWN  0x8901
#define SIOCSPGRP  0x8902
#define FIOGETOWN  0x8903
#define SIOCGPGRP  0x8904
#define SIOCATMARK 0x8905

struct sockaddr {
	u16 sa_family;
	char sa_data[14];
};
_Static_assert(sizeof(struct sockaddr) == 16, "struct sockaddr size");

/* The largest address any family uses: what the syscalls copy in. */
struct sockaddr_storage {
	u16 ss_family;
	char __data[126];
} __aligned(8);
_Static_assert(sizeof(struct sockaddr_storage) == 128, "struct sockaddr_storage size");

struct iovec_user {
	u64 iov_base;
	u64 iov_len;
};
_Static_assert(sizeof(struct iovec_user) == 16, "struct iovec size");

/* struct msghdr as user space lays it out (struct user_msghdr). */
struct user_msghdr {
	u64 msg_name;        /* void * */
	s32 msg_namelen;
	u32 __pad0;
	u64 msg_iov;         /* struct iovec * */
	u64 msg_iovlen;
	u64 msg_control;     /* void * */
	u64 msg_controllen;
	u32 msg_flags;
	u32 __pad1;
};
_Static_assert(sizeof(struct user_msghdr) == 56, "struct msghdr size");
_Static_assert(offsetof(struct user_msghdr, msg_namelen) == 8, "msg_namelen");
_Static_assert(offsetof(struct user_msghdr, msg_iov) == 16, "msg_iov");
_Static_assert(offsetof(struct user_msghdr, msg_iovlen) == 24, "msg_iovlen");
_Static_assert(offsetof(struct user_msghdr, msg_control) == 32, "msg_control");
_Static_assert(offsetof(struct user_msghdr, msg_controllen) == 40, "msg_controllen");
_Static_assert(offsetof(struct user_msghdr, msg_flags) == 48, "msg_flags");

struct mmsghdr_user {
	struct user_msghdr msg_hdr;
	u32 msg_len;
	u32 __pad;
};
_Static_assert(sizeof(struct mmsghdr_user) == 64, "struct mmsghdr size");
_Static_assert(offsetof(struct mmsghdr_user, msg_len) == 56, "msg_len");

struct cmsghdr {
	u64 cmsg_len;        /* header + data, unaligned */
	s32 cmsg_level;
	s32 cmsg_type;
};
_Static_assert(sizeof(struct cmsghdr) == 16, "struct cmsghdr size");
_Static_assert(offsetof(struct cmsghdr, cmsg_level) == 8, "cmsg_level");
_Static_assert(offsetof(struct cmsghdr, cmsg_type) == 12, "cmsg_type");

#define CMSG_ALIGN(len) (((len) + sizeof(u64) - 1) & ~(sizeof(u64) - 1))
#define CMSG_LEN(len)   (sizeof(struct cmsghdr) + (len))
#define CMSG_SPACE(len) (sizeof(struct cmsghdr) + CMSG_ALIGN(len))

struct ucred {
	s32 pid;
	u32 uid;
	u32 gid;
};
_Static_assert(sizeof(struct ucred) == 12, "struct ucred size");

struct linger {
	s32 l_onoff;
	s32 l_linger;
};
_Static_assert(sizeof(struct linger) == 8, "struct linger size");

/* SO_RCVTIMEO_OLD/SO_SNDTIMEO_OLD: struct timeval (64-bit fields). */
struct sock_timeval {
	s64 tv_sec;
	s64 tv_usec;
};
_Static_assert(sizeof(struct sock_timeval) == 16, "struct timeval size");

#endif
