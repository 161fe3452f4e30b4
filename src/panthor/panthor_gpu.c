// SPDX-License-Identifier: MIT
/*
 * DOC: GPU control: interrupt, cache flushes, soft reset
 *
 * A request (cache flush, soft reset) writes GPU_CMD and waits for its
 * GPU_INT bit (CLEAN_CACHES_COMPLETED, RESET_COMPLETED) in RAWSTAT with
 * the back-off of every register poll (struct panthor_poll: busy-wait,
 * then yield, then a read every 10 µs), until the device timeout, after which -ETIMEDOUT sends the caller down the
 * reset path. The waiter acknowledges the bit itself (INT_CLEAR); requests
 * are serialized by cache_flush_lock, so there is one consumer per bit.
 *
 * Upstream waits on a waitqueue that the GPU interrupt handler wakes. We
 * poll, as for AS_ACTIVE, and leave those two bits out of GPU_INT_MASK:
 * the model's flush takes 4 µs, and the round trip through the interrupt
 * thread (timer slack, two wake-ups) made a flush cost 18 µs instead of
 * 6.6 µs on the development machine, tripling the cost of every bind on a
 * bound VM (each unlocks its region after a flush). Sharing the bit between
 * a polling waiter and the handler was rejected too: a handler round that
 * read the bit before the waiter acknowledged it would acknowledge the next
 * request before the GPU completed it. The handler keeps the GPU fault
 * events.
 */
#include "panthor/panthor_gpu.h"

#include <errno.h>
#include <sched.h>
#include <time.h>

#include "panthor/panthor_regs.h"
#include "util/u_alloc.h"
#include "util/u_log.h"

#define MOD "panthor"

/* Requests are polled (see above): only faults interrupt. */
#define GPU_INTERRUPTS_MASK (GPU_IRQ_FAULT | GPU_IRQ_PROTM_FAULT)


static U_LOCK_CLASS(panthor_gpu_cache_flush_class, "panthor_gpu_cache_flush");
static U_LOCK_CLASS(panthor_gpu_reqs_class, "panthor_gpu_reqs");

static void panthor_gpu_irq_handler(struct panthor_device *ptdev, uint32_t status)
{
	if (status & GPU_IRQ_FAULT) {
		uint32_t fault_status = gpu_read(ptdev, GPU_FAULT_STATUS);
		uint64_t address = gpu_read64(ptdev, GPU_FAULT_ADDR_LO);

		u_warn(MOD, "GPU fault 0x%x at PA 0x%llx", fault_status,
		       (unsigned long long)address);
	}
	if (status & GPU_IRQ_PROTM_FAULT)
		u_warn(MOD, "GPU fault in protected mode");
}

int panthor_gpu_init(struct panthor_device *ptdev)
{
	struct panthor_gpu *gpu = u_zalloc(sizeof(*gpu));
	int ret;

	if (!gpu)
		return -ENOMEM;
	u_mutex_init(&gpu->cache_flush_lock, &panthor_gpu_cache_flush_class);
	u_mutex_init(&gpu->reqs_lock, &panthor_gpu_reqs_class);
	ptdev->gpu = gpu;

	ret = panthor_irq_request(ptdev, &gpu->irq, HW_IRQ_GPU, GPU_INT_RAWSTAT,
				  GPU_INTERRUPTS_MASK, panthor_gpu_irq_handler, "gpu");
	if (ret) {
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
	u_mutex_fini(&gpu->reqs_lock);
	u_mutex_fini(&gpu->cache_flush_lock);
	u_free(gpu);
	ptdev->gpu = NULL;
}

/* Issue @cmd and wait for its completion bit @bit. Cache flush lock held. */
static int panthor_gpu_issue_req(struct panthor_device *ptdev, uint32_t bit, uint32_t cmd)
{
	struct panthor_gpu *gpu = ptdev->gpu;
	struct panthor_poll poll;
	bool done;

	u_mutex_assert_held(&gpu->cache_flush_lock);
	u_mutex_lock(&gpu->reqs_lock);
	gpu->pending_reqs |= bit;
	u_mutex_unlock(&gpu->reqs_lock);
	/* A stale completion of an earlier, abandoned request must not count. */
	gpu_write(ptdev, GPU_INT_CLEAR, bit);
	gpu_write(ptdev, GPU_CMD, cmd);

	panthor_poll_init(&poll, ptdev->timeout_us);
	for (;;) {
		done = gpu_read(ptdev, GPU_INT_RAWSTAT) & bit;
		if (done)
			break;
		if (!panthor_poll_wait(&poll)) {
			/* One last look: we may have been descheduled past the deadline. */
			done = gpu_read(ptdev, GPU_INT_RAWSTAT) & bit;
			break;
		}
	}
	if (done)
		gpu_write(ptdev, GPU_INT_CLEAR, bit);
	u_mutex_lock(&gpu->reqs_lock);
	gpu->pending_reqs &= ~bit;
	u_mutex_unlock(&gpu->reqs_lock);
	return done ? 0 : -ETIMEDOUT;
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
	ret = panthor_gpu_issue_req(ptdev, GPU_IRQ_RESET_COMPLETED, GPU_SOFT_RESET);
	if (ret) {
		u_err(MOD, "soft reset timed out, trying a hard reset");
		ret = panthor_gpu_issue_req(ptdev, GPU_IRQ_RESET_COMPLETED, GPU_HARD_RESET);
	}
	u_mutex_unlock(&gpu->cache_flush_lock);
	return ret;
}
