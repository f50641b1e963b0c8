/* FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: counts (woken + requeued), the val2
 * argument in the timeout slot, negative counts, the compare (EAGAIN),
 * requeued waiters really moving to uaddr2, and PI waiters refused. */
#include "t_futex.h"

static unsigned a, b;

static void start(struct waiter *w, unsigned *uaddr, unsigned val)
{
	memset(w, 0, sizeof(*w));
	start_waiter(w, uaddr, FUTEX_WAIT_PRIVATE, val, 0);
}

static int count_done(struct waiter *w, int n)
{
	int c = 0;
	for (int i = 0; i < n; i++)
		c += w[i].done;
	return c;
}

int main(void)
{
	struct waiter w[6];
	char *mis = (char *)&a + 2;

	a = 10;
	b = 20;
	/* Argument checks. */
	CHECK_RET(fx(&a, FUTEX_REQUEUE_PRIVATE, (unsigned)-1, VAL2(1), &b, 0), -EINVAL);
	CHECK_RET(fx(&a, FUTEX_REQUEUE_PRIVATE, 1, VAL2(-1), &b, 0), -EINVAL);
	CHECK_RET(fx(mis, FUTEX_REQUEUE_PRIVATE, (unsigned)-1, VAL2(1), &b, 0), -EINVAL);
	CHECK_RET(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(-5), &b, 10), -EINVAL);
	CHECK_RET(fx(mis, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(1), &b, 10), -EINVAL);
	CHECK_RET(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(1), mis, 10), -EINVAL);
	CHECK_RET(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(1), &b, 11), -EAGAIN);
	CHECK_RET(fx(&a, FUTEX_CMP_REQUEUE, 1, VAL2(1), NULL, 10), -EFAULT);
	CHECK_RET(fx(NULL, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(1), &b, 10), -EFAULT);
	CHECK_RET(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(1), &b, 10), 0);
	CHECK_RET(fx(&a, FUTEX_REQUEUE_PRIVATE, 1, VAL2(1), &b, 0), 0);
	/* The 4th argument is val2, not a pointer: a "bad pointer" is fine. */
	CHECK_RET(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)0xffffffff00000003ull, &b, 10), 0);

	/* 5 waiters on a: wake 1, requeue 2 -> 3. */
	for (int i = 0; i < 5; i++)
		start(&w[i], &a, 10);
	CHECK_RET(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(2), &b, 10), 3);
	pthread_join(w[0].th, NULL);
	CHECK(w[0].done && w[0].ret == 0);
	sleep_ms(20);

	CHECK(count_done(w, 5) == 1);
	/* The two requeued ones are on b now (FIFO: 1 and 2). */
	CHECK_RET(fx(&a, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);  /* w[3] */
	pthread_join(w[3].th, NULL);
	CHECK_RET(fx(&b, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);  /* w[1] */
	pthread_join(w[1].th, NULL);
	CHECK(!w[2].done && !w[4].done);
	/* Plain REQUEUE: nr_wake 0 -> none woken, all moved; counts limited
	 * by the waiters present. */
	CHECK_RET(fx(&a, FUTEX_REQUEUE_PRIVATE, 0, VAL2(100), &b, 0), 1);   /* w[4] */
	CHECK_RET(fx(&a, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 0);
	CHECK_RET(fx(&b, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 2);
	pthread_join(w[2].th, NULL);
	pthread_join(w[4].th, NULL);
	CHECK(w[2].ret == 0 && w[4].ret == 0);

	/* nr_requeue 0: wake only; nr_wake 0 with nr_requeue 0 wakes none. */
	for (int i = 0; i < 3; i++)
		start(&w[i], &a, 10);
	CHECK_RET(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 0, VAL2(0), &b, 10), 0);
	CHECK_RET(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 2, VAL2(0), &b, 10), 2);
	pthread_join(w[0].th, NULL);
	pthread_join(w[1].th, NULL);
	/* Requeue onto the same address is allowed. */
	CHECK_RET(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 0, VAL2(5), &a, 10), 1);
	CHECK_RET(fx(&a, FUTEX_WAKE_PRIVATE, 5, NULL, NULL, 0), 1);
	pthread_join(w[2].th, NULL);

	/* A private requeue does not touch shared waiters of the same word. */
	start(&w[0], &a, 10);
	CHECK_RET(fx(&a, FUTEX_CMP_REQUEUE, 1, VAL2(1), &b, 10), 0);
	CHECK_RET(fx(&a, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	pthread_join(w[0].th, NULL);

	/* Compare under the lock: value changed -> EAGAIN, nobody moved. */
	start(&w[0], &a, 10);
	a = 11;
	CHECK_RET(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(1), &b, 10), -EAGAIN);
	CHECK(!w[0].done);
	CHECK_RET(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(1), &b, 11), 1);
	pthread_join(w[0].th, NULL);
	return t_done();
}
