/* Kernel command line: "name", "name=value" words separated by spaces
 * (double quotes group a value with spaces). A subsystem declares each option
 * it understands with CMDLINE_PARAM(name); any other option is reported once
 * at boot and otherwise ignored. */
#ifndef SKIFF_CMDLINE_H
#define SKIFF_CMDLINE_H

#include <skiff/compiler.h>

struct cmdline_param {
	const char *name;
	const char *help;
};

#define CMDLINE_PARAM(id, pname, phelp)                                    \
	static const struct cmdline_param __cmdline_param_##id __used        \
		__section(".cmdline_params") __aligned(8) = { pname, phelp }

void cmdline_init(const char *raw); /* copy and split; report unknown names */
const char *cmdline_raw(void);
/* Value of the last occurrence of name: "" for a bare flag, NULL if absent. */
const char *cmdline_get(const char *name);
bool cmdline_has(const char *name);
u64 cmdline_get_u64(const char *name, u64 dflt);
/* Iterate all occurrences: returns the value of the i-th occurrence or NULL. */
const char *cmdline_get_nth(const char *name, unsigned i);
/* The words after a lone "--", which are not options: as Linux, they are
 * init's argv[1..]. Returns their count and sets *words. */
unsigned cmdline_init_args(const char *const **words);

#endif
