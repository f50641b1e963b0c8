/* Kernel random numbers: a ChaCha20 generator (RFC 8439 block function)
 * keyed from RDSEED/RDRAND when the CPU has them, mixed with TSC and clock
 * readings otherwise. Each request is produced from a fresh block stream and
 * the key is replaced right after (fast key erasure), so earlier outputs
 * cannot be recomputed from a later key.
 *
 * get_random_bytes() serves getrandom(2) and /dev/{u,}random (fs/devices). */
#include <skiff/errno.h>
#include <skiff/spinlock.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include "proc.h"

#define GRND_NONBLOCK 0x1
#define GRND_RANDOM 0x2
#define GRND_INSECURE 0x4

bool arch_random_u64(u64 *v);   /* arch/x86_64/usermode.c: RDSEED, else RDRAND */

static DEFINE_SPINLOCK(rng_lock);
static u32 key[8];          /* [rng_lock] */
static u64 counter;         /* [rng_lock] */
static bool seeded;         /* [rng_lock] */

static inline u32 rotl(u32 v, int n) { return (v << n) | (v >> (32 - n)); }

#define QR(a, b, c, d)                                          \
	do {                                                    \
		a += b; d ^= a; d = rotl(d, 16);                \
		c += d; b ^= c; b = rotl(b, 12);                \
		a += b; d ^= a; d = rotl(d, 8);                 \
		c += d; b ^= c; b = rotl(b, 7);                 \
	} while (0)

static void chacha_block(const u32 k[8], u64 ctr, u32 out[16])
{
	u32 s[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
		      k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7],
		      (u32)ctr, (u32)(ctr >> 32), 0, 0 };
	u32 x[16];

	memcpy(x, s, sizeof(x));
	for (int i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++)
		out[i] = x[i] + s[i];
}

static void seed_locked(void)
{
	for (int i = 0; i < 4; i++) {
		u64 v = 0;
		if (!arch_random_u64(&v))
			v = clock_monotonic_ns() * 0x9e3779b97f4a7c15ull ^ clock_realtime_ns();
		key[2 * i] ^= (u32)v;
		key[2 * i + 1] ^= (u32)(v >> 32);
	}
	seeded = true;
}

void random_init(void)
{
	u64 f = spin_lock_irqsave(&rng_lock);
	seed_locked();
	spin_unlock_irqrestore(&rng_lock, f);
}

void get_random_bytes(void *buf, size_t n)
{
	u8 *out = buf;
	u32 blk[16];
	u32 k[8];
	u64 ctr;

	u64 f = spin_lock_irqsave(&rng_lock);
	if (!seeded)
		seed_locked();
	/* New key for the next caller; this request uses a private stream. */
	chacha_block(key, counter++, blk);
	memcpy(k, blk, sizeof(k));
	memcpy(key, blk + 8, sizeof(key));
	ctr = 0;
	spin_unlock_irqrestore(&rng_lock, f);

	while (n) {
		chacha_block(k, ctr++, blk);
		size_t c = MIN(n, sizeof(blk));
		memcpy(out, blk, c);
		out += c;
		n -= c;
	}
	memset(blk, 0, sizeof(blk));
	memset(k, 0, sizeof(k));
}

SYSCALL_DEFINE(318, getrandom)
{
	u8 chunk[256];
	u64 done = 0, len = a1;
	u32 flags = (u32)a2;

	if (flags & ~(u32)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return -EINVAL;
	if (len > 0x7ffff000)  /* MAX_RW_COUNT */
		len = 0x7ffff000;
	while (done < len) {
		u64 c = MIN(len - done, sizeof(chunk));
		get_random_bytes(chunk, c);
		if (copy_to_user((void *)(a0 + done), chunk, c)) {
			memset(chunk, 0, sizeof(chunk));
			return done ? (long)done : -EFAULT;
		}
		done += c;
		if (done < len && signal_pending())
			break;
	}
	memset(chunk, 0, sizeof(chunk));
	return (long)done;
}
