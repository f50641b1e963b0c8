/* Byte-sum checksum used by firmware tables (ACPI, MP spec): a valid table
 * sums to 0 modulo 256. */
#ifndef SKIFF_CHECKSUM_H
#define SKIFF_CHECKSUM_H
#include <skiff/types.h>
static inline u8 checksum8(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (u8)(sum + b[i]);
	return sum;
}
#endif
