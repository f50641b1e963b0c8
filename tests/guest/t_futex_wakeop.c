/* FUTEX_WAKE_OP: the arithmetic on *uaddr2 (every op, OPARG_SHIFT,
 * sign-extended 12-bit arguments) applied even with no waiters, every
 * comparison on the old value as a signed int, the wake counts on both
 * words, ENOSYS for unknown op/cmp (the store still happens for an unknown
 * cmp, as Linux), EFAULT, EINVAL. */
#include "t_futex.h"

#define OP(op, cmp, oparg, cmparg) FUTEX_OP(op, oparg, cmp, cmparg)

static unsigned a, b;

static void start(struct waiter *w, unsigned *uaddr, unsigned val)
{
	memset(w, 0, sizeof(*w));
	start_waiter(w, uaddr, FUTEX_WAIT_PRIVATE, val, 0);
}

/* Apply with no waiters; return the new *b; check the return is 0. */
static unsigned apply(unsigned old, int op, int oparg)
{
	b = old;
	CHECK_RET(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b,
		     (unsigned)FUTEX_OP(op, oparg & 0xfff, FUTEX_OP_CMP_EQ, 0)), 0);
	return b;
}

/* Does the comparison hold on old? Measured by a waiter on b. */
static int cmp_holds(unsigned old, int cmp, int cmparg)
{
	struct waiter w;
	long r;

	b = old;
	start(&w, &b, old);
	/* op: b += 0 (keeps the value), wake up to 1 on b if cmp holds. */
	r = fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b,
	       (unsigned)FUTEX_OP(FUTEX_OP_ADD, 0, cmp, cmparg & 0xfff));
	if (r == 0) {
		CHECK(!w.done);
		fx(&b, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	pthread_join(w.th, NULL);
	return (int)r;
}

int main(void)
{

	CHECK_RET(apply(100, FUTEX_OP_SET, 5), 5);
	CHECK_RET(apply(100, FUTEX_OP_ADD, 5), 105);
	CHECK_RET(apply(100, FUTEX_OP_ADD, -1), 99);
	CHECK_RET(apply(0, FUTEX_OP_SET, -2048), 0xfffff800u);
	CHECK_RET(apply(0, FUTEX_OP_SET, 2047), 2047);
	CHECK_RET(apply(0x00f, FUTEX_OP_OR, 0x0f0), 0x0ff);
	CHECK_RET(apply(0xfff, FUTEX_OP_ANDN, 0x0f0), 0xf0f);
	CHECK_RET(apply(0xf0f, FUTEX_OP_XOR, 0x0ff), 0xff0);
	CHECK_RET(apply(0xffffffffu, FUTEX_OP_ADD, 1), 0);
	CHECK_RET(apply(0, FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4), 16);
	CHECK_RET(apply(1, FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 31), 0x80000001u);
	CHECK_RET(apply(0xffffffffu, FUTEX_OP_ANDN | FUTEX_OP_OPARG_SHIFT, 0), 0xfffffffeu);
	CHECK_RET(apply(0, FUTEX_OP_ADD | FUTEX_OP_OPARG_SHIFT, 33), 2); /* shift masked */

	/* Comparisons (old value as signed int). */
	CHECK_RET(cmp_holds(7, FUTEX_OP_CMP_EQ, 7), 1);
	CHECK_RET(cmp_holds(8, FUTEX_OP_CMP_EQ, 7), 0);
	CHECK_RET(cmp_holds(8, FUTEX_OP_CMP_NE, 7), 1);
	CHECK_RET(cmp_holds(7, FUTEX_OP_CMP_NE, 7), 0);
	CHECK_RET(cmp_holds(0xffffffffu, FUTEX_OP_CMP_LT, 0), 1);
	CHECK_RET(cmp_holds(0, FUTEX_OP_CMP_LT, 0), 0);
	CHECK_RET(cmp_holds(0, FUTEX_OP_CMP_LE, 0), 1);
	CHECK_RET(cmp_holds(1, FUTEX_OP_CMP_LE, 0), 0);
	CHECK_RET(cmp_holds(0, FUTEX_OP_CMP_GT, -1), 1);
	CHECK_RET(cmp_holds(0x80000000u, FUTEX_OP_CMP_GT, 0), 0);
	CHECK_RET(cmp_holds(0xfffff800u, FUTEX_OP_CMP_GE, -2048), 1);
	CHECK_RET(cmp_holds(4, FUTEX_OP_CMP_GE, 5), 0);

	/* Counts on both words. */
	{
		struct waiter wa[3], wb[3];
		a = 1;
		b = 2;
		for (int i = 0; i < 3; i++)
			start(&wa[i], &a, 1);
		for (int i = 0; i < 3; i++)
			start(&wb[i], &b, 2);
		/* b = 2 -> set 3; old 2 == 2: wake 2 on a and 2 on b. */
		CHECK_RET(fx(&a, FUTEX_WAKE_OP_PRIVATE, 2, VAL2(2), &b,
			     (unsigned)FUTEX_OP(FUTEX_OP_SET, 3, FUTEX_OP_CMP_EQ, 2)), 4);
		CHECK(b == 3);
		/* cmp false: only a. nr2 is irrelevant. */
		CHECK_RET(fx(&a, FUTEX_WAKE_OP_PRIVATE, 5, VAL2(5), &b,
			     (unsigned)FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)), 1);
		CHECK(b == 4);
		/* nr 0 on both, cmp true: one each (Linux wakes at least one). */
		CHECK_RET(fx(&a, FUTEX_WAKE_OP_PRIVATE, 0, VAL2(0), &b,
			     (unsigned)FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_NE, 0)), 1);
		for (int i = 0; i < 3; i++) {
			pthread_join(wa[i].th, NULL);
			pthread_join(wb[i].th, NULL);
			CHECK(wa[i].ret == 0 && wb[i].ret == 0);
		}
	}
	/* Same word for both: woken counted on each pass. */
	{
		struct waiter w2[2];
		a = 5;
		start(&w2[0], &a, 5);
		start(&w2[1], &a, 5);
		CHECK_RET(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &a,
			     (unsigned)FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 5)), 2);
		CHECK(a == 6);
		pthread_join(w2[0].th, NULL);
		pthread_join(w2[1].th, NULL);
	}

	/* Errors. */
	b = 10;
	CHECK_RET(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b, (unsigned)(5u << 28)), -ENOSYS);
	CHECK_RET(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b, (unsigned)(7u << 28)), -ENOSYS);
	CHECK(b == 10);
	/* Unknown comparison: ENOSYS, but the op was applied. */
	CHECK_RET(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b,
		     (unsigned)FUTEX_OP(FUTEX_OP_ADD, 1, 6, 0)), -ENOSYS);
	CHECK(b == 11);
	CHECK_RET(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), NULL, 0), -EFAULT);
	CHECK_RET(fx(&a, FUTEX_WAKE_OP, 1, VAL2(1), NULL, 0), -EFAULT);
	CHECK_RET(fx(NULL, FUTEX_WAKE_OP, 1, VAL2(1), &b, 0), -EFAULT);
	CHECK_RET(fx(NULL, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b, 0), 0);
	CHECK_RET(fx((char *)&b + 1, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &a, 0), -EINVAL);
	CHECK_RET(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), (char *)&b + 1, 0), -EINVAL);
	{
		/* Read-only uaddr2: EFAULT (the op needs write access). */
		static const unsigned ro = 1;
		CHECK_RET(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), (void *)&ro, 0), -EFAULT);
	}
	return t_done();
}
