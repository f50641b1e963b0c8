/* Registration of every character device (see chardev.h). */
#include <skiff/printk.h>

#include "../tty/tty.h"
#include "chardev.h"

void devices_init(void)
{
	int err;

	err = mem_devices_register();
	if (!err)
		err = random_devices_register();
	if (err)
		pr_warn("chardev: memory/random devices not registered (%d)", err);

	err = serial_tty_init();
	if (err)
		pr_warn("chardev: ttyS0 not available (%d)", err);
	err = register_chrdev(5, 0, "tty", &tty_current_fops);
	if (!err)
		err = register_chrdev(5, 1, "console", &tty_console_fops);
	if (err)
		pr_warn("chardev: /dev/tty, /dev/console not registered (%d)", err);
}
