// SOURCES: kernel/futex/op.c
/* FUTEX_WAKE_OP encoding: every operation, the OPARG_SHIFT form, sign
 * extension of the 12-bit fields, every comparison as signed int, and
 * ENOSYS for unknown operations and comparisons. */
#include "test.h"
#include <skiff/errno.h>
#include "../../kernel/futex/futex.h"

#define ENC(op, cmp, oparg, cmparg) \
	((u32)(((u32)(op) & 0xf) << 28 | ((u32)(cmp) & 0xf) << 24 | (((u32)(oparg) & 0xfff) << 12) | ((u32)(cmparg) & 0xfff)))

static u32 apply(u32 enc, u32 old)
{
	u32 nv = 0xdeadbeef;
	CHECK_EQ(futex_op_apply(enc, old, &nv), 0);
	return nv;
}

int main(void)
{
	u32 nv;

	CHECK_EQ(apply(ENC(FUTEX_OP_SET, 0, 5, 0), 100), 5);
	CHECK_EQ(apply(ENC(FUTEX_OP_ADD, 0, 5, 0), 100), 105);
	CHECK_EQ(apply(ENC(FUTEX_OP_ADD, 0, -1, 0), 100), 99);        /* sign-extended */
	CHECK_EQ(apply(ENC(FUTEX_OP_SET, 0, 0x800, 0), 0), 0xfffff800); /* -2048 */
	CHECK_EQ(apply(ENC(FUTEX_OP_SET, 0, 0x7ff, 0), 0), 0x7ff);
	CHECK_EQ(apply(ENC(FUTEX_OP_OR, 0, 0x0f0, 0), 0x00f), 0x0ff);
	CHECK_EQ(apply(ENC(FUTEX_OP_ANDN, 0, 0x0f0, 0), 0xfff), 0xf0f);
	CHECK_EQ(apply(ENC(FUTEX_OP_XOR, 0, 0x0ff, 0), 0xf0f), 0xff0);
	CHECK_EQ(apply(ENC(FUTEX_OP_ADD, 0, 1, 0), 0xffffffff), 0);    /* wraps */
	/* OPARG_SHIFT: 1 << oparg, oparg masked to 0..31. */
	CHECK_EQ(apply(ENC(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 0, 4, 0), 0), 16);
	CHECK_EQ(apply(ENC(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 0, 31, 0), 1), 0x80000001);
	CHECK_EQ(apply(ENC(FUTEX_OP_ADD | FUTEX_OP_OPARG_SHIFT, 0, 33, 0), 0), 2);
	CHECK_EQ(apply(ENC(FUTEX_OP_ANDN | FUTEX_OP_OPARG_SHIFT, 0, -1, 0), 0xffffffff), 0x7fffffff);
	/* Unknown operations. */
	for (u32 op = 5; op < 8; op++) {
		CHECK_EQ(futex_op_apply(ENC(op, 0, 1, 0), 0, &nv), -ENOSYS);
		CHECK_EQ(futex_op_apply(ENC(op | 8, 0, 1, 0), 0, &nv), -ENOSYS);
	}

	/* Comparisons on the old value as a signed int against cmparg. */
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_EQ, 0, 7), 7), 1);
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_EQ, 0, 7), 8), 0);
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_NE, 0, 7), 8), 1);
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_NE, 0, 7), 7), 0);
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_LT, 0, 0), 0xffffffff), 1); /* -1 < 0 */
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_LT, 0, 0), 0), 0);
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_LE, 0, 0), 0), 1);
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_LE, 0, 0), 1), 0);
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_GT, 0, -1), 0), 1);
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_GT, 0, -1), 0xfffffffe), 0);
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_GE, 0, -2048), 0xfffff800), 1);
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_GE, 0, 5), 4), 0);
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_EQ, 0, 0xfff), 0xffffffff), 1); /* cmparg -1 */
	CHECK_EQ(futex_op_cmp(ENC(0, FUTEX_OP_CMP_GT, 0, 0), 0x80000000), 0);    /* INT_MIN */
	for (u32 c = 6; c < 16; c++)
		CHECK_EQ(futex_op_cmp(ENC(0, c, 0, 0), 0), -ENOSYS);

	TEST_DONE("futex_op");
}
