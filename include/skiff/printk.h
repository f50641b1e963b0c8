/* Kernel log. Each line carries a level and the monotonic time since boot:
 *   [    1.234567] <level> message
 * Lines at or below the console level go to the serial console; all go to
 * the in-memory log ring. */
#ifndef SKIFF_PRINTK_H
#define SKIFF_PRINTK_H

#include <skiff/compiler.h>

enum log_level {
	LOG_EMERG, LOG_ALERT, LOG_CRIT, LOG_ERR,
	LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG,
};

void printk(enum log_level lvl, const char *fmt, ...) __printf(2, 3);
void vprintk(enum log_level lvl, const char *fmt, va_list ap);
/* Output with no prefix and no newline handling (continuation of a line). */
void printk_raw(const char *fmt, ...) __printf(1, 2);
void printk_set_console_level(enum log_level lvl);

#define pr_emerg(...) printk(LOG_EMERG, __VA_ARGS__)
#define pr_err(...)   printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  printk(LOG_WARNING, __VA_ARGS__)
#define pr_notice(...) printk(LOG_NOTICE, __VA_ARGS__)
#define pr_info(...)  printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

/* Report once per call site. */
#define pr_warn_once(...)                         \
	do {                                      \
		static bool __warned;             \
		if (!__warned) {                  \
			__warned = true;          \
			pr_warn(__VA_ARGS__);     \
		}                                 \
	} while (0)

int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* panic: print the message, registers and a symbolized stack trace of the
 * caller, stop the other CPUs and halt (or exit QEMU with a failure code when
 * the harness asked for it). For broken kernel invariants only. */
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;

#define BUG_ON(c)                                                            \
	do {                                                                 \
		if (unlikely(c))                                             \
			panic("BUG_ON(%s) at %s:%d", #c, __FILE__, __LINE__); \
	} while (0)
#define assert(c)                                                              \
	do {                                                                   \
		if (unlikely(!(c)))                                            \
			panic("assertion %s failed at %s:%d", #c, __FILE__, __LINE__); \
	} while (0)

#endif
