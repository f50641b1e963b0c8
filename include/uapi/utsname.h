/* uname(2) ABI (struct new_utsname). */
#ifndef UAPI_UTSNAME_H
#define UAPI_UTSNAME_H

#include <skiff/compiler.h>

#define UTS_LEN 64
struct new_utsname {
	char sysname[UTS_LEN + 1];
	char nodename[UTS_LEN + 1];
	char release[UTS_LEN + 1];
	char version[UTS_LEN + 1];
	char machine[UTS_LEN + 1];
	char domainname[UTS_LEN + 1];
};
BUILD_ASSERT(sizeof(struct new_utsname) == 390, "utsname size");

#endif
