/* Symbol lookup for stack traces. The table is generated from the first link
 * pass by scripts/gen-kallsyms.py (format described there). */
#include <skiff/kallsyms.h>

extern const u64 kallsyms_num;
extern const u64 kallsyms_addrs[];
extern const u32 kallsyms_names[];

/* Name of the function containing addr and the offset into it, or NULL when
 * addr is below the first symbol or the table is empty. */
const char *kallsyms_lookup(u64 addr, u64 *offset)
{
	u64 lo = 0, hi = kallsyms_num;

	if (hi == 0 || addr < kallsyms_addrs[0])
		return NULL;
	while (hi - lo > 1) {
		u64 mid = (lo + hi) / 2;
		if (kallsyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (offset)
		*offset = addr - kallsyms_addrs[lo];
	return (const char *)kallsyms_names + kallsyms_names[lo];
}
