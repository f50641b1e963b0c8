#ifndef SKIFF_KALLSYMS_H
#define SKIFF_KALLSYMS_H
#include <skiff/types.h>
const char *kallsyms_lookup(u64 addr, u64 *offset);
#endif
