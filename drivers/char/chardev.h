/* Character devices (drivers/char/): the memory devices, the random
 * devices, and the registration of every character device Skiff has. */
#ifndef DRIVERS_CHAR_CHARDEV_H
#define DRIVERS_CHAR_CHARDEV_H

#include <skiff/vfs.h>

/* Register all character devices with the VFS: /dev/null (1:3), zero
 * (1:5), full (1:7), random (1:8), urandom (1:9), tty (5:0), console
 * (5:1), ttyS0 (4:64). Called once by the process layer's boot code, in
 * thread context, right before vfs_init(). */
void devices_init(void);

/* True when f is an open /dev/zero: mmap treats a MAP_PRIVATE mapping of
 * it as anonymous memory and a MAP_SHARED one as shared anonymous memory
 * (mm/ decides; /dev/zero has no pages of its own). */
bool file_is_dev_zero(struct file *f);

int mem_devices_register(void);     /* mem.c */
int random_devices_register(void);  /* random.c */
/* drivers/serial/uart16550.c */
struct tty;
int serial_tty_init(void);
struct tty *serial_tty_for_test(void);
void serial_loopback(bool on);
void serial_send_raw(const u8 *s, size_t n);

#endif
