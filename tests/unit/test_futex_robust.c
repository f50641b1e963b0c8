// SOURCES: kernel/futex/robust_walk.c
/* The exit-time robust list walk against fake user memory: words held by
 * the dying thread get OWNER_DIED (WAITERS kept) and one wake when they had
 * waiters; other owners' words are left alone; PI entries are marked but not
 * woken; list_op_pending is handled last and once, including the "released
 * but not yet woken" case; a cyclic list stops after ROBUST_LIST_LIMIT; a
 * fault stops the walk; futex_offset may be negative. */
#include "test.h"
#include <skiff/errno.h>
#include <string.h>
#include "../../kernel/futex/futex.h"

#define BASE 0x10000ull
#define SIZE 0x20000ull
static u8 mem[SIZE];
static u64 wakes[64];
static int nwakes;
static int cmpxchg_races;     /* change the word once under the cmpxchg */

static bool ok(u64 a, u64 n) { return a >= BASE && a + n <= BASE + SIZE; }
static int g64(void *c, u64 a, u64 *v) { (void)c; if (!ok(a, 8)) return -EFAULT; memcpy(v, &mem[a - BASE], 8); return 0; }
static int g32(void *c, u64 a, u32 *v) { (void)c; if (!ok(a, 4)) return -EFAULT; memcpy(v, &mem[a - BASE], 4); return 0; }
static int cx(void *c, u64 a, u32 e, u32 n, u32 *old)
{
	(void)c;
	if (!ok(a, 4))
		return -EFAULT;
	u32 *p = (u32 *)&mem[a - BASE];
	if (cmpxchg_races) {
		cmpxchg_races--;
		*p |= FUTEX_WAITERS; /* a waiter arrives just before */
	}
	*old = *p;
	if (*p == e)
		*p = n;
	return 0;
}
static void wk(void *c, u64 a) { (void)c; wakes[nwakes++] = a; }
static const struct robust_ops ops = { g64, g32, cx, wk };

static void p64(u64 a, u64 v) { memcpy(&mem[a - BASE], &v, 8); }
static void p32(u64 a, u32 v) { memcpy(&mem[a - BASE], &v, 4); }
static u32 r32(u64 a) { u32 v; memcpy(&v, &mem[a - BASE], 4); return v; }

/* A glibc-like mutex: list member at +0x20, futex word at +0x10
 * (futex_offset = -0x10). */
#define LOCK(i) (BASE + 0x1000 + (u64)(i) * 0x40)
#define ENTRY(i) (LOCK(i) + 0x20)
#define WORD(i) (LOCK(i) + 0x10)
#define HEAD (BASE + 0x100)

static void reset(void)
{
	memset(mem, 0, sizeof(mem));
	nwakes = 0;
	cmpxchg_races = 0;
	p64(HEAD, HEAD);                 /* empty */
	p64(HEAD + 8, (u64)-0x10);       /* futex_offset */
	p64(HEAD + 16, 0);               /* list_op_pending */
}

/* Link entries[] into the list in order (bit 0 set for PI ones). */
static void link(const int *idx, const bool *pi, int n)
{
	u64 prev = HEAD;
	for (int i = 0; i < n; i++) {
		p64(prev, ENTRY(idx[i]) | (pi && pi[i] ? 1 : 0));
		prev = ENTRY(idx[i]);
	}
	p64(prev, HEAD);
}

int main(void)
{
	const u32 me = 1234, other = 99;

	/* Empty list, nothing pending. */
	reset();
	CHECK_EQ(robust_list_walk(&ops, NULL, HEAD, me), 0);
	CHECK_EQ(nwakes, 0);

	/* Three held locks: plain with waiters, plain without, another
	 * owner's; plus a PI one with waiters. */
	reset();
	{
		int idx[] = { 0, 1, 2, 3 };
		bool pi[] = { false, false, false, true };
		link(idx, pi, 4);
	}
	p32(WORD(0), me | FUTEX_WAITERS);
	p32(WORD(1), me);
	p32(WORD(2), other | FUTEX_WAITERS);
	p32(WORD(3), me | FUTEX_WAITERS);
	CHECK_EQ(robust_list_walk(&ops, NULL, HEAD, me), 4);
	CHECK_EQ(r32(WORD(0)), FUTEX_WAITERS | FUTEX_OWNER_DIED);
	CHECK_EQ(r32(WORD(1)), FUTEX_OWNER_DIED);
	CHECK_EQ(r32(WORD(2)), other | FUTEX_WAITERS);
	CHECK_EQ(r32(WORD(3)), FUTEX_WAITERS | FUTEX_OWNER_DIED);
	CHECK_EQ(nwakes, 1);            /* PI ones are handed over elsewhere */
	CHECK_EQ(wakes[0], WORD(0));

	/* list_op_pending: processed last, once, even if also on the list. */
	reset();
	{
		int idx[] = { 0, 1 };
		link(idx, NULL, 2);
	}
	p64(HEAD + 16, ENTRY(1));
	p32(WORD(0), me | FUTEX_WAITERS);
	p32(WORD(1), me | FUTEX_WAITERS);
	robust_list_walk(&ops, NULL, HEAD, me);
	CHECK_EQ(nwakes, 2);
	CHECK_EQ(wakes[0], WORD(0));
	CHECK_EQ(wakes[1], WORD(1));
	CHECK_EQ(r32(WORD(1)), FUTEX_WAITERS | FUTEX_OWNER_DIED);

	/* Pending op on a word already released (TID 0): wake one, word
	 * untouched; a PI pending op on a free word: nothing. */
	reset();
	p64(HEAD + 16, ENTRY(5));
	p32(WORD(5), FUTEX_WAITERS);
	robust_list_walk(&ops, NULL, HEAD, me);
	CHECK_EQ(nwakes, 1);
	CHECK_EQ(r32(WORD(5)), FUTEX_WAITERS);
	reset();
	p64(HEAD + 16, ENTRY(5) | 1);
	p32(WORD(5), 0);
	robust_list_walk(&ops, NULL, HEAD, me);
	CHECK_EQ(nwakes, 0);
	CHECK_EQ(r32(WORD(5)), 0);

	/* OWNER_DIED already set (recursive death): still set, still woken. */
	reset();
	{
		int idx[] = { 0 };
		link(idx, NULL, 1);
	}
	p32(WORD(0), me | FUTEX_WAITERS | FUTEX_OWNER_DIED);
	robust_list_walk(&ops, NULL, HEAD, me);
	CHECK_EQ(r32(WORD(0)), FUTEX_WAITERS | FUTEX_OWNER_DIED);
	CHECK_EQ(nwakes, 1);

	/* The word changes under the cmpxchg: retried with the new value. */
	reset();
	{
		int idx[] = { 0 };
		link(idx, NULL, 1);
	}
	p32(WORD(0), me);
	cmpxchg_races = 1;
	robust_list_walk(&ops, NULL, HEAD, me);
	CHECK_EQ(r32(WORD(0)), FUTEX_WAITERS | FUTEX_OWNER_DIED);
	CHECK_EQ(nwakes, 1);

	/* A cycle that never returns to the head: ROBUST_LIST_LIMIT entries. */
	reset();
	p64(HEAD, ENTRY(0));
	p64(ENTRY(0), ENTRY(1));
	p64(ENTRY(1), ENTRY(0));
	p32(WORD(0), me | FUTEX_WAITERS);
	p32(WORD(1), other);
	CHECK_EQ(robust_list_walk(&ops, NULL, HEAD, me), ROBUST_LIST_LIMIT);
	CHECK_EQ(nwakes, 1);  /* later visits see the word no longer ours */

	/* A bad next pointer: the entry before it is still handled; the walk
	 * stops at the unreadable one and the pending op is not reached. */
	reset();
	p64(HEAD, ENTRY(0));
	p64(ENTRY(0), 0xdead0000);
	p64(HEAD + 16, ENTRY(1));
	p32(WORD(0), me);
	p32(WORD(1), me);
	CHECK_EQ(robust_list_walk(&ops, NULL, HEAD, me), 2);
	CHECK_EQ(r32(WORD(0)), FUTEX_OWNER_DIED);
	CHECK_EQ(r32(WORD(1)), me);

	/* Unreadable head: nothing. Misaligned word: the walk stops there. */
	reset();
	CHECK_EQ(robust_list_walk(&ops, NULL, 0x10, me), 0);
	reset();
	{
		int idx[] = { 0, 1 };
		link(idx, NULL, 2);
	}
	p64(HEAD + 8, (u64)-0x11);
	p32(WORD(1), me);
	CHECK_EQ(robust_list_walk(&ops, NULL, HEAD, me), 1);

	TEST_DONE("futex_robust");
}
