/* Kernel command line parsing (see include/skiff/cmdline.h). The line is
 * copied into a static buffer at boot and split in place; lookups afterwards
 * are read-only and lock-free. */
#include <skiff/cmdline.h>
#include <skiff/printk.h>
#include <skiff/string.h>

#define CMDLINE_MAX 2048
#define MAX_WORDS 128

static char buf[CMDLINE_MAX];      /* [I] after cmdline_init */
static char raw_copy[CMDLINE_MAX]; /* [I] */
static const char *names[MAX_WORDS], *values[MAX_WORDS]; /* [I] */
static unsigned nwords;            /* [I] */
static const char *init_args[MAX_WORDS]; /* [I] words after "--" */
static unsigned ninit_args;        /* [I] */

extern const struct cmdline_param __cmdline_params_start[], __cmdline_params_end[];

CMDLINE_PARAM(console, "console", "console device (ttyS0)");
CMDLINE_PARAM(loglevel, "loglevel", "console log level 0-7");
CMDLINE_PARAM(quiet, "quiet", "log level 4");
CMDLINE_PARAM(debug, "debug", "log level 7");

static bool known(const char *name)
{
	for (const struct cmdline_param *p = __cmdline_params_start; p < __cmdline_params_end; p++)
		if (strcmp(p->name, name) == 0)
			return true;
	return false;
}

void cmdline_init(const char *raw)
{
	char *p = buf;

	strlcpy(raw_copy, raw ? raw : "", sizeof(raw_copy));
	strlcpy(buf, raw_copy, sizeof(buf));
	bool args = false; /* past "--": words for init */
	while (*p && nwords < MAX_WORDS && ninit_args < MAX_WORDS) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			*p++ = 0;
		if (!*p)
			break;
		if (args) {
			init_args[ninit_args++] = p;
			while (*p && *p != ' ' && *p != '\t' && *p != '\n')
				p++;
			continue;
		}
		if (p[0] == '-' && p[1] == '-' && (!p[2] || p[2] == ' ' || p[2] == '\t' || p[2] == '\n')) {
			*p = 0;
			p += 2; /* at the separator or the end */
			args = true;
			continue;
		}
		names[nwords] = p;
		values[nwords] = "";
		bool quoted = false;
		char *eq = NULL;
		for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
			if (*p == '"')
				quoted = !quoted;
			else if (*p == '=' && !eq && !quoted)
				eq = p;
		}
		if (*p)
			*p++ = 0;
		if (eq) {
			*eq = 0;
			values[nwords] = eq + 1;
		}
		/* Strip one pair of quotes around a value. */
		char *v = (char *)values[nwords];
		size_t len = strlen(v);
		if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
			v[len - 1] = 0;
			values[nwords] = v + 1;
		}
		nwords++;
	}
	pr_info("command line: %s", raw_copy);
	for (unsigned i = 0; i < nwords; i++) {
		bool seen = false;
		for (unsigned j = 0; j < i; j++)
			if (strcmp(names[j], names[i]) == 0)
				seen = true;
		if (!seen && !known(names[i]))
			pr_warn("command line: unknown option '%s' ignored", names[i]);
	}
	if (cmdline_has("quiet"))
		printk_set_console_level(LOG_WARNING);
	if (cmdline_has("debug"))
		printk_set_console_level(LOG_DEBUG);
	if (cmdline_get("loglevel"))
		printk_set_console_level((enum log_level)cmdline_get_u64("loglevel", LOG_INFO));
}

const char *cmdline_raw(void) { return raw_copy; }

const char *cmdline_get(const char *name)
{
	const char *v = NULL;

	for (unsigned i = 0; i < nwords; i++)
		if (strcmp(names[i], name) == 0)
			v = values[i];
	return v;
}

const char *cmdline_get_nth(const char *name, unsigned n)
{
	for (unsigned i = 0; i < nwords; i++)
		if (strcmp(names[i], name) == 0 && n-- == 0)
			return values[i];
	return NULL;
}

bool cmdline_has(const char *name) { return cmdline_get(name) != NULL; }

unsigned cmdline_init_args(const char *const **words)
{
	*words = init_args;
	return ninit_args;
}

u64 cmdline_get_u64(const char *name, u64 dflt)
{
	const char *v = cmdline_get(name);
	char *end;
	u64 x;

	if (!v || !*v)
		return dflt;
	x = strtoull(v, &end, 0);
	return *end ? dflt : x;
}
