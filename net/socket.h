/* net/ private: what net/socket.c shares with net/msg.c. */
#ifndef NET_SOCKET_H
#define NET_SOCKET_H

#include <skiff/net.h>

#define UIO_MAXIOV 1024
#define MAX_RW_COUNT 0x7ffff000ull  /* Linux: INT_MAX rounded down to a page */

/* The socket of descriptor fd with a file reference in *fp (drop it with
 * file_put): NULL and *err = -EBADF (no such fd, or O_PATH) or -ENOTSOCK. */
struct socket *sockfd_lookup(int fd, struct file **fp, int *err);
/* Copy a user address in: -EINVAL when len < 0 or > 128, -EFAULT. A zero
 * length copies nothing (kaddr is left zeroed by the caller). */
int move_addr_to_kernel(u64 uaddr, int len, struct sockaddr_storage *kaddr);
/* Copy klen bytes of address out to uaddr, at most *ulen (read from user),
 * and store klen in *ulen (Linux's move_addr_to_user). */
int move_addr_to_user(const struct sockaddr_storage *kaddr, int klen, u64 uaddr, u64 ulen);
/* Send / receive through the family, adding MSG_DONTWAIT for a
 * non-blocking file. */
long sock_sendmsg(struct socket *sock, struct kmsghdr *msg);
long sock_recvmsg(struct socket *sock, struct kmsghdr *msg, int flags);

#endif
