/* Console output devices. printk writes every line to each registered
 * console; the serial console registers itself first thing at boot. */
#ifndef SKIFF_CONSOLE_H
#define SKIFF_CONSOLE_H

#include <skiff/types.h>

struct console {
	const char *name;
	void (*write)(const char *s, size_t n); /* may be called with irqs off */
	struct console *next;
};

void console_register(struct console *c);
void console_write(const char *s, size_t n);

void serial_early_init(void); /* drivers/serial/uart16550.c */

#endif
