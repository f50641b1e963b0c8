/* 16550 UART on COM1 (I/O port 0x3f8, ISA IRQ 4), the console of every
 * QEMU machine type Skiff boots on (`-serial ...` creates it; microvm has it
 * with its default isa-serial=on). Output is polled, for printk and for the
 * tty alike: a line is short and the console must work from panic() with
 * interrupts off. Receive is interrupt driven (IER.ERBFI, MCR.OUT2, the ISA
 * IRQ routed through the I/O APIC to CPU 0); the handler drains the receive
 * FIFO into the tty's flip buffer. Without an I/O APIC route the receiver
 * is polled by a kernel thread every 10 ms instead. The tty is /dev/ttyS0
 * (4:64) and the system console (/dev/console). */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/trap.h>
#include <skiff/cmdline.h>
#include <skiff/console.h>
#include <skiff/errno.h>
#include <skiff/printk.h>
#include <skiff/smp.h>
#include <skiff/string.h>
#include <skiff/uaccess.h>
#include <uapi/ioctls.h>

#include "../tty/tty.h"

#define COM1 0x3f8
#define UART_THR 0 /* transmit holding */
#define UART_RBR 0 /* receive buffer */
#define UART_IER 1
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0 /* with LCR.DLAB */
#define UART_DLM 1
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IER_ERBFI 0x01 /* received data available interrupt */
#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT2 0x08 /* gates the interrupt line on PC UARTs */
#define MCR_LOOP 0x10
#define COM1_IRQ 4

static bool uart_present;

static void uart_putc(char c)
{
	for (int spin = 0; spin < 100000; spin++)
		if (arch_inb(COM1 + UART_LSR) & LSR_THRE)
			break;
	arch_outb(COM1 + UART_THR, (u8)c);
}

static void uart_write(const char *s, size_t n)
{
	if (!uart_present)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

/* While the self-test has the UART in loopback mode, console output would
 * come back as input: it is held here and written when loopback ends.
 * [hold_lock] holding, held, held_len. Console writes are serialised by
 * printk; the lock orders them against serial_loopback(). */
static DEFINE_SPINLOCK(hold_lock);
static bool holding;
static char held[2048];
static size_t held_len;

extern bool printk_in_panic; /* kernel/printk.c */

static void uart_console_write(const char *s, size_t n)
{
	/* bounded: a panic must still get its message out */
	for (long spins = 0; !spin_trylock(&hold_lock); spins++) {
		if (spins > 10000000) {
			uart_write(s, n);
			return;
		}
		arch_cpu_relax();
	}
	if (holding && !__atomic_load_n(&printk_in_panic, __ATOMIC_RELAXED)) {
		size_t room = sizeof(held) - held_len;
		size_t c = n < room ? n : room;
		memcpy(held + held_len, s, c);
		held_len += c;
	} else {
		uart_write(s, n);
	}
	spin_unlock(&hold_lock);
}

static struct console uart_console = { .name = "ttyS0", .write = uart_console_write };

/* Program 115200 8N1, FIFOs on, interrupts off; register the console.
 * A missing UART (LSR reads 0xff) leaves the console unregistered. */
void serial_early_init(void)
{
	if (arch_inb(COM1 + UART_LSR) == 0xff)
		return;
	arch_outb(COM1 + UART_IER, 0);
	arch_outb(COM1 + UART_LCR, 0x80);
	arch_outb(COM1 + UART_DLL, 1);
	arch_outb(COM1 + UART_DLM, 0);
	arch_outb(COM1 + UART_LCR, 0x03);
	arch_outb(COM1 + UART_FCR, 0x07);
	arch_outb(COM1 + UART_MCR, 0x03);
	uart_present = true;
	console_register(&uart_console);
}

/* ---- the ttyS0 terminal ---- */

static struct tty *serial_tty;

static void serial_tty_write(struct tty *tty, const u8 *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uart_putc((char)s[i]);
}

static void uart_drain_rx(void)
{
	/* bounded: a stuck LSR must not hang the CPU */
	for (int i = 0; i < 256; i++) {
		if (!(arch_inb(COM1 + UART_LSR) & LSR_DR))
			break;
		tty_insert_flip_char(serial_tty, arch_inb(COM1 + UART_RBR));
	}
}

static void uart_irq(struct trap_frame *tf, void *arg)
{
	uart_drain_rx();
	(void)arch_inb(COM1 + UART_IIR);
	tty_flip_push(serial_tty);
}

static int uart_poll_thread(void *arg)
{
	for (;;) {
		u64 f = arch_irq_save();
		uart_drain_rx();
		arch_irq_restore(f);
		tty_flip_push(serial_tty);
		sleep_ns(10000000);
	}
	return 0;
}

static long serial_tty_ioctl(struct tty *tty, u32 cmd, u64 arg)
{
	switch (cmd) {
	case TIOCGSERIAL: {
		struct serial_struct ss;
		memset(&ss, 0, sizeof(ss));
		ss.type = PORT_16550A;
		ss.line = 0;
		ss.port = COM1;
		ss.irq = COM1_IRQ;
		ss.xmit_fifo_size = 16;
		ss.baud_base = 115200;
		ss.close_delay = 50;
		ss.closing_wait = 3000;
		ss.io_type = SERIAL_IO_PORT;
		return copy_to_user((void *)arg, &ss, sizeof(ss)) ? -EFAULT : 0;
	}
	case TIOCSSERIAL: {
		struct serial_struct ss;
		return copy_from_user(&ss, (const void *)arg, sizeof(ss)) ? -EFAULT : 0;
	}
	case TIOCSERGETLSR:
		return put_user_u32((arch_inb(COM1 + UART_LSR) & LSR_TEMT) ? TIOCSER_TEMT : 0,
				    (void *)arg) ? -EFAULT : 0;
	}
	return -ENOIOCTLCMD;
}

static const struct tty_driver_ops serial_tty_ops = {
	.write = serial_tty_write,
	.ioctl = serial_tty_ioctl,
};

/* Create the ttyS0 terminal, make it the console tty and switch the
 * receiver to interrupts (or polling). Idempotent. Thread context, after
 * the scheduler and the I/O APIC are up. 0, -ENODEV or -ENOMEM. */
/* The termios speed Linux reports for the console: console=ttyS0,<baud>
 * or 9600 (the UART itself runs at 115200; QEMU ignores the divisor). */
static u32 console_baud(void)
{
	const char *v;

	for (unsigned i = 0; (v = cmdline_get_nth("console", i)); i++) {
		if (strncmp(v, "ttyS0,", 6) == 0) {
			u64 b = strtoull(v + 6, NULL, 10);
			if (b)
				return (u32)b;
		}
	}
	return 9600;
}

static int serial_tty_setup(void)
{
	static DEFINE_SPINLOCK(setup_lock);
	struct tty *tty;
	int vec;

	if (!uart_present)
		return -ENODEV;
	if (__atomic_load_n(&serial_tty, __ATOMIC_ACQUIRE))
		return 0;
	tty = tty_create("ttyS0", 4, 64, &serial_tty_ops, NULL);
	if (!tty)
		return -ENOMEM;
	spin_lock(&setup_lock);
	if (serial_tty) {
		spin_unlock(&setup_lock);
		return 0; /* lost a race; the spare tty stays unused */
	}
	tty_set_baud(tty, console_baud());
	__atomic_store_n(&serial_tty, tty, __ATOMIC_RELEASE);
	tty_console = tty;
	spin_unlock(&setup_lock);

	vec = irq_alloc_vector();
	if (vec >= 0) {
		irq_set_handler((unsigned)vec, uart_irq, NULL);
		if (ioapic_route_isa_irq(COM1_IRQ, (u8)vec, cpu_apic_id[0]) < 0)
			vec = -1;
	}
	if (vec >= 0) {
		u64 f = arch_irq_save();
		arch_outb(COM1 + UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
		arch_outb(COM1 + UART_IER, IER_ERBFI);
		uart_drain_rx();
		(void)arch_inb(COM1 + UART_IIR);
		arch_irq_restore(f);
		tty_flip_push(tty);
	} else {
		pr_warn("serial: no I/O APIC route for IRQ %d, polling the receiver", COM1_IRQ);
		if (!kthread_create(uart_poll_thread, NULL, "uart-poll", -1))
			return -ENOMEM;
	}
	return 0;
}

/* devices_init: the ttyS0 terminal and its node /dev/ttyS0 (4:64). */
int serial_tty_init(void)
{
	int err = serial_tty_setup();

	return err ? err : tty_register_device(serial_tty);
}

/* For the tty self-test: the terminal without a device node, the UART's
 * loopback mode (transmitted bytes come back as received ones) and raw
 * transmission. */
struct tty *serial_tty_for_test(void)
{
	return serial_tty_setup() ? NULL : serial_tty;
}

void serial_loopback(bool on)
{
	u64 f = spin_lock_irqsave(&hold_lock);
	u8 mcr = arch_inb(COM1 + UART_MCR);

	if (on) {
		holding = true;
		arch_outb(COM1 + UART_MCR, mcr | MCR_LOOP);
	} else {
		/* wait for the transmitter to empty before leaving loopback */
		for (int spin = 0; spin < 100000; spin++)
			if (arch_inb(COM1 + UART_LSR) & LSR_TEMT)
				break;
		arch_outb(COM1 + UART_MCR, mcr & ~MCR_LOOP);
		holding = false;
		uart_write(held, held_len);
		held_len = 0;
	}
	spin_unlock_irqrestore(&hold_lock, f);
}

void serial_send_raw(const u8 *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uart_putc((char)s[i]);
}
