/* The tty core (drivers/tty/): terminal devices with the N_TTY line
 * discipline, job control and the termios ioctls. For device drivers
 * (drivers/serial/) and the device registration in drivers/char/.
 *
 * Data flow. Input: the driver's interrupt handler puts bytes into the
 * tty's flip buffer (tty_insert_flip_char, any context) and calls
 * tty_flip_push; the tty's receive thread runs the line discipline in
 * thread context (echo, signals to the foreground process group) and wakes
 * readers. Output: user writes and echo go through the line discipline's
 * output processing to ops->write, synchronously.
 *
 * Sessions: a tty belongs to at most one session (tty->session, the
 * session leader's pid) and that session's processes have it as their
 * controlling terminal; tty->pgrp is the foreground process group. The
 * process side keeps only pgid/sid (struct process). */
#ifndef DRIVERS_TTY_TTY_H
#define DRIVERS_TTY_TTY_H

#include <skiff/spinlock.h>
#include <skiff/task.h>
#include <skiff/vfs.h>
#include <skiff/wait.h>

#include "n_tty.h"

#define ENOIOCTLCMD 515 /* kernel-internal: driver does not know the ioctl */

struct tty;

struct tty_driver_ops {
	/* Raw bytes to the device. Called with tty->lock held, must not sleep. */
	void (*write)(struct tty *tty, const u8 *s, size_t n);
	/* Device-specific ioctls (TIOCGSERIAL...): result or -ENOIOCTLCMD. */
	long (*ioctl)(struct tty *tty, u32 cmd, u64 arg);
};

#define TTY_FLIP_SIZE 1024 /* power of two */

/* Locking: [l] tty->lock (a spinlock: thread context only, never taken in
 * interrupt handlers), [f] tty->flip_lock (irqsave), [I] immutable. */
struct tty {
	spinlock_t lock;
	struct termios2 termios;          /* [l] */
	struct n_tty ld;                  /* [l] */
	struct winsize winsize;           /* [l] */
	pid_t pgrp;                       /* [l] foreground process group, 0 none */
	pid_t session;                    /* [l] owning session, 0 none */
	bool excl;                        /* [l] TIOCEXCL */
	struct wait_queue read_wait;      /* readers and pollers of input */

	const char *name;                 /* [I] "ttyS0" */
	u32 major, minor;                 /* [I] */
	const struct tty_driver_ops *ops; /* [I] */
	void *driver_data;                /* [I] */
	struct file_operations fops;      /* [I] the device node's operations */

	spinlock_t flip_lock;
	u8 flip[TTY_FLIP_SIZE];           /* [f] received, not yet processed */
	u32 flip_head, flip_tail;         /* [f] free-running */
	u64 flip_dropped;                 /* [f] bytes lost to a full flip buffer */
	struct thread *rx_thread;         /* [I] runs the line discipline */
};

/* Create a tty and its receive thread; NULL on ENOMEM. Does not register
 * a device node: tty_register_device does. */
struct tty *tty_create(const char *name, u32 major, u32 minor,
		       const struct tty_driver_ops *ops, void *driver_data);
/* Register tty's own node (major:minor, name) with the VFS. */
int tty_register_device(struct tty *tty);
/* Set the line speed in the termios (the hardware is not reprogrammed). */
void tty_set_baud(struct tty *tty, u32 baud);
/* The system console tty (set by the serial driver), or NULL. */
extern struct tty *tty_console;

/* Receive path, any context (interrupt handlers included). */
void tty_insert_flip_char(struct tty *tty, u8 c);
void tty_flip_push(struct tty *tty);

/* /dev/tty (5:0) and /dev/console (5:1). */
extern const struct file_operations tty_current_fops;
extern const struct file_operations tty_console_fops;

/* ---- internal to drivers/tty/ ---- */

/* Record tty for controlling-terminal lookups (tty_create does). */
void tty_table_add(struct tty *tty);
/* Run received bytes through the line discipline and deliver signals. */
void tty_receive(struct tty *tty, const u8 *s, size_t n);
long tty_ioctl(struct file *f, u32 cmd, u64 arg);
/* Is tty the controlling terminal of the current process? */
bool tty_is_ctty(struct tty *tty);
/* The current process's controlling tty, or NULL. */
struct tty *tty_current_ctty(void);
/* Job control check before an operation that changes the terminal or
 * writes with TOSTOP (sig = SIGTTOU), or reads (SIGTTIN): 0 to go ahead,
 * -EIO, or -ERESTARTSYS after signalling the caller's process group. */
int tty_check_change(struct tty *tty, int sig);
/* Make tty the controlling terminal of the current session (TIOCSCTTY,
 * open of a session leader): see tty_jobctl.c. */
int tty_set_ctty(struct tty *tty, struct file *f, bool steal, bool from_open);
int tty_drop_ctty(struct tty *tty);        /* TIOCNOTTY */
int tty_set_pgrp(struct tty *tty, u64 arg); /* TIOCSPGRP */
/* Is the current task's file f the redirected console (/dev/console)? */
static inline bool tty_file_is_console(const struct file *f)
{
	return f->ops == &tty_console_fops;
}

#endif
