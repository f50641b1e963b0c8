/* CMOS real-time clock (MC146818 and its PC descendants), read once at boot
 * for the wall clock when the hypervisor offers no better one.
 *
 * Host contract: index port 0x70, data port 0x71 (QEMU's mc146818rtc, on
 * every x86 machine type including `-M microvm` with rtc=on, the default).
 * Registers: 0x00 sec, 0x02 min, 0x04 hour, 0x07 day, 0x08 month, 0x09 year,
 * 0x32 century (the ACPI FADT default; QEMU keeps it there), status A bit 7
 * update in progress, status B bit 2 binary (else BCD), bit 1 24-hour (else
 * 12-hour with bit 7 of the hour meaning PM). The time is read only while no
 * update is in progress and until two consecutive reads agree. The RTC is
 * assumed to hold UTC, as QEMU's does by default (-rtc base=utc). Nothing is
 * written to it. */
#include <arch/cpu.h>
#include <skiff/clocksource.h>
#include <skiff/errno.h>
#include <skiff/spinlock.h>

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

#define RTC_SEC 0x00
#define RTC_MIN 0x02
#define RTC_HOUR 0x04
#define RTC_DAY 0x07
#define RTC_MON 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_CENTURY 0x32

#define RTC_A_UIP 0x80
#define RTC_B_24H 0x02
#define RTC_B_BINARY 0x04

static DEFINE_SPINLOCK(cmos_lock); /* the index/data port pair */

struct rtc_regs {
	u8 sec, min, hour, day, mon, year, century;
};

static u8 cmos_read(u8 reg)
{
	arch_outb(CMOS_INDEX, reg);
	return arch_inb(CMOS_DATA);
}

/* Wait for no update in progress; false if it never clears (no RTC: port
 * 0x71 floating high reads 0xff forever). An update takes under 2 ms. */
static bool cmos_wait_uip(void)
{
	for (u32 i = 0; i < 1000000; i++)
		if (!(cmos_read(RTC_STATUS_A) & RTC_A_UIP))
			return true;
	return false;
}

static void cmos_read_regs(struct rtc_regs *r)
{
	r->sec = cmos_read(RTC_SEC);
	r->min = cmos_read(RTC_MIN);
	r->hour = cmos_read(RTC_HOUR);
	r->day = cmos_read(RTC_DAY);
	r->mon = cmos_read(RTC_MON);
	r->year = cmos_read(RTC_YEAR);
	r->century = cmos_read(RTC_CENTURY);
}

static bool regs_equal(const struct rtc_regs *a, const struct rtc_regs *b)
{
	return a->sec == b->sec && a->min == b->min && a->hour == b->hour && a->day == b->day &&
	       a->mon == b->mon && a->year == b->year && a->century == b->century;
}

static unsigned bcd(u8 v) { return (v & 0x0f) + (v >> 4) * 10; }

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil). */
static s64 days_from_civil(s64 y, unsigned m, unsigned d)
{
	y -= m <= 2;
	s64 era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (s64)doe - 719468;
}

/* Contract in <skiff/clocksource.h>. Any CPU; takes cmos_lock. */
int cmos_rtc_read(u64 *unix_sec)
{
	struct rtc_regs a, b;
	u8 status_b;
	int tries = 0;
	u64 f = spin_lock_irqsave(&cmos_lock);

	do {
		if (++tries > 10 || !cmos_wait_uip()) {
			spin_unlock_irqrestore(&cmos_lock, f);
			return -EIO;
		}
		cmos_read_regs(&a);
		if (!cmos_wait_uip()) {
			spin_unlock_irqrestore(&cmos_lock, f);
			return -EIO;
		}
		cmos_read_regs(&b);
	} while (!regs_equal(&a, &b));
	status_b = cmos_read(RTC_STATUS_B);
	spin_unlock_irqrestore(&cmos_lock, f);

	bool pm = !(status_b & RTC_B_24H) && (a.hour & 0x80);
	unsigned sec = a.sec, min = a.min, hour = a.hour & 0x7f, day = a.day, mon = a.mon;
	unsigned year = a.year, century = a.century;
	if (!(status_b & RTC_B_BINARY)) {
		sec = bcd(a.sec);
		min = bcd(a.min);
		hour = bcd(a.hour & 0x7f);
		day = bcd(a.day);
		mon = bcd(a.mon);
		year = bcd(a.year);
		century = bcd(a.century);
	}
	if (!(status_b & RTC_B_24H)) {
		if (hour == 12)
			hour = 0;
		if (pm)
			hour += 12;
	}
	if (century >= 19 && century <= 99)
		year += century * 100;
	else
		year += year < 70 ? 2000 : 1900;

	if (sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 || mon < 1 || mon > 12)
		return -EIO;
	*unix_sec = (u64)(days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec);
	return 0;
}
