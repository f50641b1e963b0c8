/* AF_UNIX socket addresses (linux/un.h). sun_path is a file-system path
 * (NUL-terminated within the given length) or, when sun_path[0] is 0, a
 * name in the abstract name space (the bytes up to the given length). */
#ifndef UAPI_UN_H
#define UAPI_UN_H

#include <skiff/compiler.h>
#include <skiff/types.h>

#define UNIX_PATH_MAX 108

struct sockaddr_un {
	u16 sun_family;               /* AF_UNIX */
	char sun_path[UNIX_PATH_MAX];
};
_Static_assert(sizeof(struct sockaddr_un) == 110, "struct sockaddr_un size");
_Static_assert(offsetof(struct sockaddr_un, sun_path) == 2, "sun_path");

#endif
