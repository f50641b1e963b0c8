/* Basic fixed-width types for the kernel (freestanding: only the compiler's
 * own <stdint.h>, <stddef.h>, <stdbool.h>, <stdarg.h> are used). */
#ifndef SKIFF_TYPES_H
#define SKIFF_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef u64 phys_addr_t;
typedef u64 virt_addr_t;

#endif
