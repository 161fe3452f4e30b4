// SPDX-License-Identifier: MIT
/*
 * Shared helpers of the dma tests (t_dma.h).
 */
#include "t_dma.h"

static const char *t_fence_name(struct dma_fence *fence)
{
	return "test";
}

static const struct dma_fence_ops t_fence_ops = {
	.use_64bit_seqno = true,
	.get_driver_name = t_fence_name,
	.get_timeline_name = t_fence_name,
};

static const struct dma_fence_ops t_fence_ops32 = {
	.use_64bit_seqno = false,
	.get_driver_name = t_fence_name,
	.get_timeline_name = t_fence_name,
};

static struct dma_fence *create(const struct dma_fence_ops *ops, uint64_t context, uint64_t seqno)
{
	struct dma_fence *f = u_malloc(sizeof(*f));

	T_ASSERT_NOT_NULL(f);
	dma_fence_init(f, ops, context, seqno);
	return f;
}

struct dma_fence *t_fence_create(uint64_t context, uint64_t seqno)
{
	return create(&t_fence_ops, context, seqno);
}

struct dma_fence *t_fence_create32(uint64_t context, uint64_t seqno)
{
	return create(&t_fence_ops32, context, seqno);
}

static void *later_main(void *arg)
{
	struct t_later *l = arg;

	if (l->delay_ms)
		t_sleep_ms(l->delay_ms);
	l->fn(l->arg);
	return NULL;
}

void t_later_start(struct t_later *l, int delay_ms, void (*fn)(void *arg), void *arg)
{
	l->delay_ms = delay_ms;
	l->fn = fn;
	l->arg = arg;
	T_ASSERT_EQ_INT(pthread_create(&l->thread, NULL, later_main, l), 0);
}

void t_later_join(struct t_later *l)
{
	pthread_join(l->thread, NULL);
}

void t_signal_fn(void *fence)
{
	dma_fence_signal(fence);
}
