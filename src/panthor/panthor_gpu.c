// SPDX-License-Identifier: MIT
/*
 * DOC: GPU control: interrupt, cache flushes, soft reset
 *
 * A request (cache flush, soft reset) sets its GPU_INT bit in pending_reqs
 * and writes GPU_CMD; the interrupt handler clears the bit when the GPU
 * raises it and wakes the waiters (panthor's reqs_acked). The waiter first
 * watches pending_reqs for a few microseconds (the model's flush takes 4 µs,
 * less than a sleep and wake-up round trip), then sleeps until acknowledged
 * or the device timeout passes; on timeout it looks at RAWSTAT once more in
 * case only the interrupt was late, as upstream does, before giving up with
 * -ETIMEDOUT, which sends the caller down the reset path.
 *
 * Only the interrupt handler acknowledges a request. A waiter that cleared
 * the bit itself on seeing it in RAWSTAT would race with a handler round
 * that read the same bit before: that round would then acknowledge the
 * *next* request before the GPU completed it.
 */
#include "panthor/panthor_gpu.h"

#include <errno.h>
#include <sched.h>

#include "panthor/panthor_regs.h"
#include "util/u_alloc.h"
#include "util/u_log.h"

#define MOD "panthor"

#define GPU_INTERRUPTS_MASK \
	(GPU_IRQ_FAULT | GPU_IRQ_PROTM_FAULT | GPU_IRQ_RESET_COMPLETED | \
	 GPU_IRQ_CLEAN_CACHES_COMPLETED)

#define REQ_SPIN_NS 50000ull

static U_LOCK_CLASS(panthor_gpu_cache_flush_class, "panthor_gpu_cache_flush");
static U_LOCK_CLASS(panthor_gpu_reqs_class, "panthor_gpu_reqs");

static void panthor_gpu_irq_handler(struct panthor_device *ptdev, uint32_t status)
{
	struct panthor_gpu *gpu = ptdev->gpu;

	if (status & GPU_IRQ_FAULT) {
		uint32_t fault_status = gpu_read(ptdev, GPU_FAULT_STATUS);
		uint64_t address = gpu_read64(ptdev, GPU_FAULT_ADDR_LO);

		u_warn(MOD, "GPU fault 0x%x at PA 0x%llx", fault_status,
		       (unsigned long long)address);
	}
	if (status & GPU_IRQ_PROTM_FAULT)
		u_warn(MOD, "GPU fault in protected mode");

	u_mutex_lock(&gpu->reqs_lock);
	if (status & gpu->pending_reqs) {
		__atomic_and_fetch(&gpu->pending_reqs, ~status, __ATOMIC_RELEASE);
		u_mutex_unlock(&gpu->reqs_lock);
		panthor_waitqueue_wake_all(&gpu->reqs_acked);
		return;
	}
	u_mutex_unlock(&gpu->reqs_lock);
}

int panthor_gpu_init(struct panthor_device *ptdev)
{
	struct panthor_gpu *gpu = u_zalloc(sizeof(*gpu));
	int ret;

	if (!gpu)
		return -ENOMEM;
	u_mutex_init(&gpu->cache_flush_lock, &panthor_gpu_cache_flush_class);
	u_mutex_init(&gpu->reqs_lock, &panthor_gpu_reqs_class);
	panthor_waitqueue_init(&gpu->reqs_acked);
	ptdev->gpu = gpu;

	ret = panthor_irq_request(ptdev, &gpu->irq, HW_IRQ_GPU, GPU_INT_RAWSTAT,
				  GPU_INTERRUPTS_MASK, panthor_gpu_irq_handler, "gpu");
	if (ret) {
		panthor_waitqueue_fini(&gpu->reqs_acked);
		u_mutex_fini(&gpu->reqs_lock);
		u_mutex_fini(&gpu->cache_flush_lock);
		u_free(gpu);
		ptdev->gpu = NULL;
	}
	return ret;
}

void panthor_gpu_fini(struct panthor_device *ptdev)
{
	struct panthor_gpu *gpu = ptdev->gpu;

	if (!gpu)
		return;
	panthor_irq_release(&gpu->irq);
	panthor_waitqueue_fini(&gpu->reqs_acked);
	u_mutex_fini(&gpu->reqs_lock);
	u_mutex_fini(&gpu->cache_flush_lock);
	u_free(gpu);
	ptdev->gpu = NULL;
}

struct req_wait {
	struct panthor_gpu *gpu;
	uint32_t bit;
};

static bool req_acked(void *arg)
{
	struct req_wait *w = arg;

	return !(__atomic_load_n(&w->gpu->pending_reqs, __ATOMIC_ACQUIRE) & w->bit);
}

/* Issue @cmd as request @bit and wait for its acknowledgement. Cache flush lock held. */
static int panthor_gpu_issue_req(struct panthor_device *ptdev, uint32_t bit, uint32_t cmd)
{
	struct panthor_gpu *gpu = ptdev->gpu;
	struct req_wait w = { .gpu = gpu, .bit = bit };
	uint64_t start, deadline;
	bool timedout = false;

	u_mutex_assert_held(&gpu->cache_flush_lock);

	u_mutex_lock(&gpu->reqs_lock);
	U_WARN_ON(gpu->pending_reqs & bit);
	__atomic_or_fetch(&gpu->pending_reqs, bit, __ATOMIC_RELAXED);
	gpu_write(ptdev, GPU_CMD, cmd);
	u_mutex_unlock(&gpu->reqs_lock);

	start = panthor_now_ns();
	deadline = start + (uint64_t)ptdev->timeout_us * 1000ull;
	while (!req_acked(&w) && panthor_now_ns() - start < REQ_SPIN_NS)
		sched_yield();
	if (req_acked(&w) || panthor_waitqueue_wait(&gpu->reqs_acked, req_acked, &w, deadline))
		return 0;

	u_mutex_lock(&gpu->reqs_lock);
	if ((gpu->pending_reqs & bit) && !(gpu_read(ptdev, GPU_INT_RAWSTAT) & bit))
		timedout = true;
	__atomic_and_fetch(&gpu->pending_reqs, ~bit, __ATOMIC_RELEASE);
	u_mutex_unlock(&gpu->reqs_lock);
	return timedout ? -ETIMEDOUT : 0;
}

int panthor_gpu_flush_caches(struct panthor_device *ptdev, uint32_t l2, uint32_t lsc,
			     uint32_t other)
{
	struct panthor_gpu *gpu = ptdev->gpu;
	int ret;

	u_mutex_lock(&gpu->cache_flush_lock);
	__atomic_add_fetch(&gpu->flushes, 1, __ATOMIC_RELAXED);
	ret = panthor_gpu_issue_req(ptdev, GPU_IRQ_CLEAN_CACHES_COMPLETED,
				    GPU_FLUSH_CACHES(l2, lsc, other));
	u_mutex_unlock(&gpu->cache_flush_lock);
	if (ret)
		u_err(MOD, "cache flush timed out");
	return ret;
}

int panthor_gpu_soft_reset(struct panthor_device *ptdev)
{
	struct panthor_gpu *gpu = ptdev->gpu;
	int ret;

	u_mutex_lock(&gpu->cache_flush_lock);
	/* A reset drops whatever flush was still pending (model-deviations.md). */
	u_mutex_lock(&gpu->reqs_lock);
	__atomic_store_n(&gpu->pending_reqs, 0, __ATOMIC_RELEASE);
	gpu_write(ptdev, GPU_INT_CLEAR, GPU_IRQ_RESET_COMPLETED);
	u_mutex_unlock(&gpu->reqs_lock);

	ret = panthor_gpu_issue_req(ptdev, GPU_IRQ_RESET_COMPLETED, GPU_SOFT_RESET);
	if (ret) {
		u_err(MOD, "soft reset timed out, trying a hard reset");
		ret = panthor_gpu_issue_req(ptdev, GPU_IRQ_RESET_COMPLETED, GPU_HARD_RESET);
	}
	u_mutex_unlock(&gpu->cache_flush_lock);
	return ret;
}
