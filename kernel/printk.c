/* printk: formats one line, prefixes the monotonic time and writes it to
 * every console and to a 64 KiB in-memory ring (kept for panic and, later,
 * /dev/kmsg and dmesg). Safe from any context: a CPU that panics while
 * another holds the lock writes anyway after a bounded wait. */
#include <skiff/console.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <skiff/string.h>
#include <skiff/time.h>

static DEFINE_SPINLOCK(printk_lock);
static struct console *consoles;        /* [printk_lock] */
static enum log_level console_level = LOG_INFO;
static char log_ring[65536];            /* [printk_lock] */
static size_t log_head;                 /* [printk_lock] bytes ever written */
bool printk_in_panic;                   /* set once by panic() */

void console_register(struct console *c)
{
	u64 f = spin_lock_irqsave(&printk_lock);
	c->next = consoles;
	consoles = c;
	spin_unlock_irqrestore(&printk_lock, f);
}

void printk_set_console_level(enum log_level lvl)
{
	console_level = lvl;
}

static void emit(const char *s, size_t n, bool to_console)
{
	for (size_t i = 0; i < n; i++)
		log_ring[(log_head + i) % sizeof(log_ring)] = s[i];
	log_head += n;
	if (!to_console)
		return;
	for (struct console *c = consoles; c; c = c->next)
		c->write(s, n);
}

void console_write(const char *s, size_t n)
{
	for (struct console *c = consoles; c; c = c->next)
		c->write(s, n);
}

/* Take the lock, or give up after ~1 s of spinning once a panic is under way
 * (the holder may be the CPU that is stopped). Returns whether it is held. */
static bool printk_lock_acquire(u64 *flags)
{
	*flags = arch_irq_save();
	for (u64 spins = 0;; spins++) {
		if (spin_trylock(&printk_lock))
			return true;
		if (printk_in_panic && spins > 10000000)
			return false;
		arch_cpu_relax();
	}
}

void vprintk(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[512];
	u64 ns = clock_monotonic_ns();
	int n = snprintf(line, sizeof(line), "[%5llu.%06llu] ",
			 (unsigned long long)(ns / 1000000000ull),
			 (unsigned long long)(ns % 1000000000ull / 1000));
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (m < (int)sizeof(line) - n - 1 ? (size_t)m : sizeof(line) - (size_t)n - 2);
	u64 f;
	bool locked;

	if (len == 0 || line[len - 1] != '\n')
		line[len++] = '\n';
	locked = printk_lock_acquire(&f);
	emit(line, len, lvl <= console_level);
	if (locked)
		spin_unlock(&printk_lock);
	arch_irq_restore(f);
}

void printk(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(lvl, fmt, ap);
	va_end(ap);
}

void printk_raw(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;
	u64 f;
	bool locked;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	locked = printk_lock_acquire(&f);
	emit(buf, (size_t)n, true);
	if (locked)
		spin_unlock(&printk_lock);
	arch_irq_restore(f);
}
