#ifndef ARCH_GDT_H
#define ARCH_GDT_H
#define GDT_KCODE 0x08
#define GDT_KDATA 0x10
#define GDT_UCODE32 0x18
#define GDT_UDATA 0x20
#define GDT_UCODE 0x28
#define GDT_TSS 0x30
#ifndef __ASSEMBLER__
#include <skiff/types.h>
void arch_set_kernel_stack(unsigned cpu, u64 top);
#endif
#endif
