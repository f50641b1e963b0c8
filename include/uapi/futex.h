/* Linux futex ABI (include/uapi/linux/futex.h): operation numbers, flags,
 * the PI/robust user word layout, WAKE_OP encoding, the robust list head
 * registered with set_robust_list(2) and struct futex_waitv (futex_waitv(2)). */
#ifndef UAPI_FUTEX_H
#define UAPI_FUTEX_H

#include <skiff/types.h>

#define FUTEX_WAIT            0
#define FUTEX_WAKE            1
#define FUTEX_FD              2  /* removed in 2.6.26: ENOSYS */
#define FUTEX_REQUEUE         3
#define FUTEX_CMP_REQUEUE     4
#define FUTEX_WAKE_OP         5
#define FUTEX_LOCK_PI         6
#define FUTEX_UNLOCK_PI       7
#define FUTEX_TRYLOCK_PI      8
#define FUTEX_WAIT_BITSET     9
#define FUTEX_WAKE_BITSET     10
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_CMP_REQUEUE_PI  12
#define FUTEX_LOCK_PI2        13

#define FUTEX_PRIVATE_FLAG    128
#define FUTEX_CLOCK_REALTIME  256
#define FUTEX_CMD_MASK        (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))

/* PI and robust futex word: owner TID | flags. */
#define FUTEX_WAITERS         0x80000000u
#define FUTEX_OWNER_DIED      0x40000000u
#define FUTEX_TID_MASK        0x3fffffffu

#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

/* WAKE_OP: val3 = op << 28 | cmp << 24 | oparg << 12 | cmparg. */
#define FUTEX_OP_SET          0  /* uaddr2 = oparg */
#define FUTEX_OP_ADD          1  /* uaddr2 += oparg */
#define FUTEX_OP_OR           2  /* uaddr2 |= oparg */
#define FUTEX_OP_ANDN         3  /* uaddr2 &= ~oparg */
#define FUTEX_OP_XOR          4  /* uaddr2 ^= oparg */
#define FUTEX_OP_OPARG_SHIFT  8  /* use 1 << oparg */
#define FUTEX_OP_CMP_EQ       0
#define FUTEX_OP_CMP_NE       1
#define FUTEX_OP_CMP_LT       2
#define FUTEX_OP_CMP_LE       3
#define FUTEX_OP_CMP_GT       4
#define FUTEX_OP_CMP_GE       5

/* Robust list (set_robust_list(2)). Entries point at the list member inside
 * the user's lock; bit 0 of a pointer marks a PI futex. */
struct robust_list {
	u64 next;                  /* struct robust_list __user * */
};
struct robust_list_head {
	struct robust_list list;   /* circular, list.next == &head->list when empty */
	s64 futex_offset;          /* from a list entry to its futex word */
	u64 list_op_pending;       /* entry being locked/unlocked, or 0 */
};
_Static_assert(sizeof(struct robust_list_head) == 24, "robust_list_head size");
_Static_assert(offsetof(struct robust_list_head, list) == 0, "robust list");
_Static_assert(offsetof(struct robust_list_head, futex_offset) == 8, "futex_offset");
_Static_assert(offsetof(struct robust_list_head, list_op_pending) == 16, "list_op_pending");

#define ROBUST_LIST_LIMIT 2048     /* entries walked at exit, so a cycle ends */

/* futex_waitv(2) */
#define FUTEX_WAITV_MAX       128
#define FUTEX2_SIZE_U8        0x00
#define FUTEX2_SIZE_U16       0x01
#define FUTEX2_SIZE_U32       0x02
#define FUTEX2_SIZE_U64       0x03
#define FUTEX2_NUMA           0x04
#define FUTEX2_MPOL           0x08
#define FUTEX2_PRIVATE        FUTEX_PRIVATE_FLAG
#define FUTEX2_SIZE_MASK      0x03

struct futex_waitv {
	u64 val;
	u64 uaddr;
	u32 flags;
	u32 __reserved;
};
_Static_assert(sizeof(struct futex_waitv) == 24, "futex_waitv size");
_Static_assert(offsetof(struct futex_waitv, val) == 0, "futex_waitv.val");
_Static_assert(offsetof(struct futex_waitv, uaddr) == 8, "futex_waitv.uaddr");
_Static_assert(offsetof(struct futex_waitv, flags) == 16, "futex_waitv.flags");
_Static_assert(offsetof(struct futex_waitv, __reserved) == 20, "futex_waitv.__reserved");

#endif
