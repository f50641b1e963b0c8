/* FUTEX_WAKE_OP's operation word (futex(2), Linux's futex_atomic_op_inuser):
 *
 *   val3 = op << 28 | cmp << 24 | oparg << 12 | cmparg
 *
 * op: SET ADD OR ANDN XOR (0..4), | FUTEX_OP_OPARG_SHIFT (8) to use
 * 1 << (oparg & 31); oparg and cmparg are sign-extended 12-bit fields; cmp
 * (EQ NE LT LE GT GE) compares the old value, as a signed int, with cmparg.
 * Pure: tests/unit/test_futex_op.c. */
#include <skiff/errno.h>
#include "futex.h"

static s32 sext12(u32 v)
{
	return (s32)(v << 20) >> 20;
}

int futex_op_apply(u32 encoded, u32 old, u32 *newval)
{
	u32 op = (encoded >> 28) & 0xf;
	s32 oparg = sext12((encoded >> 12) & 0xfff);

	if (op & FUTEX_OP_OPARG_SHIFT) {
		/* Linux warns once about out-of-range shifts and masks them. */
		oparg = (s32)(1u << ((u32)oparg & 31));
		op &= ~(u32)FUTEX_OP_OPARG_SHIFT;
	}
	switch (op) {
	case FUTEX_OP_SET:  *newval = (u32)oparg; return 0;
	case FUTEX_OP_ADD:  *newval = old + (u32)oparg; return 0;
	case FUTEX_OP_OR:   *newval = old | (u32)oparg; return 0;
	case FUTEX_OP_ANDN: *newval = old & ~(u32)oparg; return 0;
	case FUTEX_OP_XOR:  *newval = old ^ (u32)oparg; return 0;
	default:            return -ENOSYS;
	}
}

int futex_op_cmp(u32 encoded, u32 old)
{
	u32 cmp = (encoded >> 24) & 0xf;
	s32 cmparg = sext12(encoded & 0xfff);
	s32 o = (s32)old;

	switch (cmp) {
	case FUTEX_OP_CMP_EQ: return o == cmparg;
	case FUTEX_OP_CMP_NE: return o != cmparg;
	case FUTEX_OP_CMP_LT: return o < cmparg;
	case FUTEX_OP_CMP_LE: return o <= cmparg;
	case FUTEX_OP_CMP_GT: return o > cmparg;
	case FUTEX_OP_CMP_GE: return o >= cmparg;
	default:              return -ENOSYS;
	}
}
