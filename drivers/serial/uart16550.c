/* 16550 UART on COM1 (I/O port 0x3f8), the console of every QEMU machine
 * type Skiff boots on (`-serial ...` creates it; microvm has it with its
 * default isa-serial=on). Output is polled: a line is short and the console
 * must work from panic() with interrupts off. Receive is added by the tty
 * layer. */
#include <arch/cpu.h>
#include <skiff/console.h>

#define COM1 0x3f8
#define UART_THR 0 /* transmit holding */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0 /* with LCR.DLAB */
#define UART_DLM 1
#define LSR_THRE 0x20

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

static struct console uart_console = { .name = "ttyS0", .write = uart_write };

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
