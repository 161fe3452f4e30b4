/* SPDX-License-Identifier: MIT */
/*
 * GPU control: the GPU interrupt line, cache flushes through GPU_CMD, soft
 * reset. The memory half of panthor needs no more of it.
 */
#ifndef PANTOMIME_PANTHOR_GPU_H
#define PANTOMIME_PANTHOR_GPU_H

#include <stdint.h>

#include "panthor/panthor_device.h"

/**
 * struct panthor_gpu - GPU-control state.
 * @irq: the GPU interrupt line (GPU faults; requests are polled, see panthor_gpu.c).
 * @cache_flush_lock: one flush or reset in flight at a time (lock class
 *                    "panthor_gpu_cache_flush"; order in panthor_device.h).
 * @reqs_lock: protects @pending_reqs (lock class "panthor_gpu_reqs", a leaf).
 * @pending_reqs: GPU_INT bits of the request in flight (for debug views).
 * @flushes: cache flushes issued (statistics, atomic).
 */
struct panthor_gpu {
	struct panthor_irq irq;
	struct u_mutex cache_flush_lock;
	struct u_mutex reqs_lock;
	uint32_t pending_reqs;
	unsigned long flushes;
};

/**
 * panthor_gpu_init() - allocate the GPU half and attach its interrupt handler.
 * @ptdev: the device.
 * Return: 0, -ENOMEM, or the error of hw_irq_register().
 */
int panthor_gpu_init(struct panthor_device *ptdev);

/**
 * panthor_gpu_fini() - detach the handler and free the GPU half.
 * @ptdev: the device.
 */
void panthor_gpu_fini(struct panthor_device *ptdev);

/**
 * panthor_gpu_flush_caches() - run a GPU_CMD cache flush and wait for
 * CLEAN_CACHES_COMPLETED.
 * @ptdev: the device.
 * @l2: L2 operation (CACHE_CLEAN | CACHE_INV bits).
 * @lsc: load/store cache operation.
 * @other: other caches' operation.
 *
 * Polls GPU_INT_RAWSTAT (yielding for up to 50 µs, then every 10 µs) for
 * at most the device's timeout. Allocation-free.
 *
 * Return: 0, or -ETIMEDOUT if the flush never completed (the caller takes
 * the reset path).
 */
int panthor_gpu_flush_caches(struct panthor_device *ptdev, uint32_t l2, uint32_t lsc,
			     uint32_t other);

/**
 * panthor_gpu_soft_reset() - GPU_CMD soft reset; wait for RESET_COMPLETED
 * (a hard reset if it does not come).
 * @ptdev: the device.
 * Return: 0, or -ETIMEDOUT if neither reset completed.
 */
int panthor_gpu_soft_reset(struct panthor_device *ptdev);

#endif
