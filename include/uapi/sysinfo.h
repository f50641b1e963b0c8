/* sysinfo(2) ABI (linux/sysinfo.h). */
#ifndef UAPI_SYSINFO_H
#define UAPI_SYSINFO_H

#include <skiff/compiler.h>

struct sysinfo {
	s64 uptime;
	u64 loads[3];
	u64 totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	u16 procs;
	u16 pad;
	u64 totalhigh, freehigh;
	u32 mem_unit;
	char _f[4];
};
BUILD_ASSERT(sizeof(struct sysinfo) == 112, "sysinfo size");
BUILD_ASSERT(offsetof(struct sysinfo, procs) == 80, "sysinfo procs");
BUILD_ASSERT(offsetof(struct sysinfo, totalhigh) == 88, "sysinfo totalhigh");
BUILD_ASSERT(offsetof(struct sysinfo, mem_unit) == 104, "sysinfo mem_unit");

#endif
