// SPDX-License-Identifier: MIT
/*
 * DOC: device probe, interrupt plumbing, the reset path
 *
 * Probe creates the GPU model and a memory budget, reads the identity
 * registers once (they are what DEV_QUERY reports later), then brings up the
 * GPU-control half (its interrupt line, cache flushes) and the MMU half (its
 * interrupt line, the page-table pool, the MCU VM bound to AS 0).
 *
 * Interrupts follow panthor's threaded-handler pattern (panthor_irq): the
 * model calls the line's handler on its own thread while RAWSTAT & MASK is
 * non-zero; the handler masks the line, then loops "status = RAWSTAT &
 * mask; clear status; handle status" until nothing is left, and restores
 * the mask. Handlers may enable or disable events meanwhile (the MMU handler
 * disables the faulting AS's event): that only changes the saved mask, which
 * is what gets restored.
 *
 * The reset path. Upstream schedules a reset work item that suspends the
 * scheduler and reloads the firmware. Here there is no firmware and one
 * reset path (DESIGN.md "Simplifications"), taken synchronously where the
 * failure is seen: always inside an AS register sequence, so with the MMU's
 * slots_lock held. It soft-resets the GPU (the model returns every AS to
 * its power-on state and clears every failure knob), disables every AS
 * explicitly, and declares every user VM that had an AS unusable: their
 * page tables may not match what user space asked for (an op was cut short)
 * and their jobs lost their translation. A synchronous reset cannot hang
 * on a worker that needs a lock the failing thread holds, and it allocates
 * nothing, so it is legal on the fence-signalling path.
 */
#include "panthor/panthor_device.h"
#include "panthor/panthor_gem.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "panthor/panthor_gpu.h"
#include "panthor/panthor_mmu.h"
#include "panthor/panthor_regs.h"
#include "panthor/panthor_sched.h"
#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_log.h"
#include "util/u_thread.h"

#define MOD "panthor"

static U_LOCK_CLASS(panthor_irq_mask_class, "panthor_irq_mask");

uint64_t panthor_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- waitqueue ------------------------------------------------------------- */

void panthor_waitqueue_init(struct panthor_waitqueue *wq)
{
	pthread_mutex_init(&wq->lock, NULL);
	u_cond_init_monotonic(&wq->cond);
}

void panthor_waitqueue_fini(struct panthor_waitqueue *wq)
{
	pthread_cond_destroy(&wq->cond);
	pthread_mutex_destroy(&wq->lock);
}

void panthor_waitqueue_wake_all(struct panthor_waitqueue *wq)
{
	pthread_mutex_lock(&wq->lock);
	pthread_cond_broadcast(&wq->cond);
	pthread_mutex_unlock(&wq->lock);
}

bool panthor_waitqueue_wait(struct panthor_waitqueue *wq, bool (*cond)(void *arg), void *arg,
			    uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000ull),
		.tv_nsec = (long)(deadline_ns % 1000000000ull),
	};
	bool ok;

	pthread_mutex_lock(&wq->lock);
	while (!(ok = cond(arg))) {
		if (pthread_cond_timedwait(&wq->cond, &wq->lock, &ts) == ETIMEDOUT) {
			ok = cond(arg);
			break;
		}
	}
	pthread_mutex_unlock(&wq->lock);
	return ok;
}

/* ---- register polling --------------------------------------------------------- */

/* PAUSEs between two register reads while spinning (tens to hundreds of ns). */
#define POLL_SPIN_RELAX 4u

void panthor_poll_init(struct panthor_poll *p, uint32_t timeout_us)
{
	p->start = panthor_now_ns();
	p->deadline = p->start + (uint64_t)timeout_us * 1000ull;
}

bool panthor_poll_wait(struct panthor_poll *p)
{
	static const struct timespec nap = { .tv_sec = 0, .tv_nsec = PANTHOR_POLL_SLEEP_NS };
	uint64_t now = panthor_now_ns(), spent = now - p->start;

	if (now > p->deadline)
		return false;
	if (spent < PANTHOR_POLL_SPIN_NS) {
		for (unsigned int i = 0; i < POLL_SPIN_RELAX; i++)
			u_cpu_relax();
	} else if (spent < PANTHOR_POLL_YIELD_NS) {
		sched_yield();
	} else {
		nanosleep(&nap, NULL);
	}
	return true;
}

int gpu_read_poll_clear(struct panthor_device *ptdev, uint32_t reg, uint32_t mask,
			uint32_t timeout_us, uint32_t *val)
{
	struct panthor_poll poll;
	uint32_t v;

	panthor_poll_init(&poll, timeout_us);
	for (;;) {
		v = gpu_read(ptdev, reg);
		if (!(v & mask))
			break;
		if (!panthor_poll_wait(&poll)) {
			/* One last look: we may have been descheduled past the deadline. */
			v = gpu_read(ptdev, reg);
			if (!(v & mask))
				break;
			if (val)
				*val = v;
			return -ETIMEDOUT;
		}
	}
	if (val)
		*val = v;
	return 0;
}

/* ---- interrupt lines ------------------------------------------------------------ */

#define INT_RAWSTAT(irq) ((irq)->reg_base + 0x0)
#define INT_CLEAR(irq)   ((irq)->reg_base + 0x4)
#define INT_MASK(irq)    ((irq)->reg_base + 0x8)
#define INT_STAT(irq)    ((irq)->reg_base + 0xc)

static uint32_t irq_mask_get(struct panthor_irq *irq)
{
	uint32_t mask;

	u_mutex_lock(&irq->mask_lock);
	mask = irq->suspended ? 0 : irq->mask;
	u_mutex_unlock(&irq->mask_lock);
	return mask;
}

static void panthor_irq_thread(void *cookie)
{
	struct panthor_irq *irq = cookie;
	struct panthor_device *ptdev = irq->ptdev;

	if (!gpu_read(ptdev, INT_STAT(irq)))
		return;

	u_mutex_lock(&irq->mask_lock);
	if (irq->suspended) {
		u_mutex_unlock(&irq->mask_lock);
		return;
	}
	irq->in_handler = true;
	gpu_write(ptdev, INT_MASK(irq), 0);
	u_mutex_unlock(&irq->mask_lock);

	for (;;) {
		uint32_t status = gpu_read(ptdev, INT_RAWSTAT(irq)) & irq_mask_get(irq);

		if (!status)
			break;
		gpu_write(ptdev, INT_CLEAR(irq), status);
		irq->handler(ptdev, status);
	}

	u_mutex_lock(&irq->mask_lock);
	irq->in_handler = false;
	if (!irq->suspended)
		gpu_write(ptdev, INT_MASK(irq), irq->mask);
	u_mutex_unlock(&irq->mask_lock);
}

int panthor_irq_request(struct panthor_device *ptdev, struct panthor_irq *irq,
			enum hw_irq_line line, uint32_t reg_base, uint32_t mask,
			panthor_irq_handler_fn handler, const char *name)
{
	int ret;

	irq->ptdev = ptdev;
	irq->line = line;
	irq->reg_base = reg_base;
	irq->handler = handler;
	irq->name = name;
	irq->mask = mask;
	irq->in_handler = false;
	irq->suspended = false;
	u_mutex_init(&irq->mask_lock, &panthor_irq_mask_class);

	gpu_write(ptdev, INT_CLEAR(irq), ~0u);
	gpu_write(ptdev, INT_MASK(irq), mask);
	ret = hw_irq_register(ptdev->hw, line, panthor_irq_thread, irq);
	if (ret) {
		gpu_write(ptdev, INT_MASK(irq), 0);
		u_mutex_fini(&irq->mask_lock);
	}
	return ret;
}

void panthor_irq_release(struct panthor_irq *irq)
{
	u_mutex_lock(&irq->mask_lock);
	irq->suspended = true;
	gpu_write(irq->ptdev, INT_MASK(irq), 0);
	u_mutex_unlock(&irq->mask_lock);
	hw_irq_unregister(irq->ptdev->hw, irq->line);
	u_mutex_fini(&irq->mask_lock);
}

void panthor_irq_set_mask(struct panthor_irq *irq, uint32_t mask)
{
	u_mutex_lock(&irq->mask_lock);
	irq->mask = mask;
	if (!irq->in_handler && !irq->suspended)
		gpu_write(irq->ptdev, INT_MASK(irq), mask);
	u_mutex_unlock(&irq->mask_lock);
}

void panthor_irq_enable_events(struct panthor_irq *irq, uint32_t events)
{
	u_mutex_lock(&irq->mask_lock);
	irq->mask |= events;
	if (!irq->in_handler && !irq->suspended)
		gpu_write(irq->ptdev, INT_MASK(irq), irq->mask);
	u_mutex_unlock(&irq->mask_lock);
}

void panthor_irq_disable_events(struct panthor_irq *irq, uint32_t events)
{
	u_mutex_lock(&irq->mask_lock);
	irq->mask &= ~events;
	if (!irq->in_handler && !irq->suspended)
		gpu_write(irq->ptdev, INT_MASK(irq), irq->mask);
	u_mutex_unlock(&irq->mask_lock);
}

/* ---- probe ------------------------------------------------------------------------ */

static void panthor_gpu_info_init(struct panthor_device *ptdev)
{
	struct panthor_gpu_info *info = &ptdev->gpu_info;

	info->gpu_id = gpu_read(ptdev, GPU_ID);
	info->csf_id = gpu_read(ptdev, GPU_CSF_ID);
	info->l2_features = gpu_read(ptdev, GPU_L2_FEATURES);
	info->core_features = gpu_read(ptdev, GPU_CORE_FEATURES);
	info->tiler_features = gpu_read(ptdev, GPU_TILER_FEATURES);
	info->mem_features = gpu_read(ptdev, GPU_MEM_FEATURES);
	info->mmu_features = gpu_read(ptdev, GPU_MMU_FEATURES);
	info->thread_features = gpu_read(ptdev, GPU_THREAD_FEATURES);
	info->max_threads = gpu_read(ptdev, GPU_THREAD_MAX_THREADS);
	info->thread_max_workgroup_size = gpu_read(ptdev, GPU_THREAD_MAX_WORKGROUP_SIZE);
	info->thread_max_barrier_size = gpu_read(ptdev, GPU_THREAD_MAX_BARRIER_SIZE);
	info->coherency_features = gpu_read(ptdev, GPU_COHERENCY_FEATURES);
	for (unsigned int i = 0; i < 4; i++)
		info->texture_features[i] = gpu_read(ptdev, GPU_TEXTURE_FEATURES(i));
	info->as_present = gpu_read(ptdev, GPU_AS_PRESENT);
	info->shader_present = gpu_read64(ptdev, GPU_SHADER_PRESENT_LO);
	info->tiler_present = gpu_read64(ptdev, GPU_TILER_PRESENT_LO);
	info->l2_present = gpu_read64(ptdev, GPU_L2_PRESENT_LO);

	ptdev->va_bits = GPU_MMU_FEATURES_VA_BITS(info->mmu_features);
	ptdev->pa_bits = GPU_MMU_FEATURES_PA_BITS(info->mmu_features);
	u_info(MOD, "Mali arch %u.%u r%up%u, AS_PRESENT 0x%x, %u-bit VA, %u-bit PA%s",
	       GPU_ARCH_MAJOR(info->gpu_id), GPU_ARCH_MINOR(info->gpu_id),
	       GPU_VER_MAJOR(info->gpu_id), GPU_VER_MINOR(info->gpu_id), info->as_present,
	       ptdev->va_bits, ptdev->pa_bits, ptdev->coherent ? ", IO-coherent" : "");
}

struct panthor_device *panthor_device_create(const struct panthor_device_config *cfg)
{
	static const struct panthor_device_config defaults;
	struct mm_budget_config bc = { .name = "panthor" };
	struct hw_config hwc;
	struct panthor_device *ptdev;
	int ret;

	if (!cfg)
		cfg = &defaults;
	if (cfg->hw)
		hwc = *cfg->hw;
	else
		hw_config_default(&hwc);

	ptdev = u_zalloc(sizeof(*ptdev));
	if (!ptdev)
		return ERR_PTR(-ENOMEM);
	ptdev->timeout_us = cfg->timeout_us ? cfg->timeout_us : PANTHOR_DEFAULT_TIMEOUT_US;
	/*
	 * Whether the GPU snoops CPU caches is a property of the platform (the
	 * "dma-coherent" device-tree flag upstream reads), not a register: the
	 * model's configuration is our platform description.
	 */
	ptdev->coherent = hwc.coherent;

	bc.limit_bytes = cfg->memory_bytes;
	bc.swap_bytes = cfg->swap_bytes;
	bc.no_background_reclaim = !cfg->background_reclaim;
	ptdev->budget = mm_budget_create(&bc);
	if (IS_ERR(ptdev->budget)) {
		ret = (int)PTR_ERR(ptdev->budget);
		goto err_free;
	}

	ptdev->hw = hw_device_create(&hwc);
	if (IS_ERR(ptdev->hw)) {
		ret = (int)PTR_ERR(ptdev->hw);
		goto err_budget;
	}

	panthor_gpu_info_init(ptdev);
	if (!(ptdev->gpu_info.as_present & 1) || ptdev->va_bits < 32) {
		u_err(MOD, "unsupported GPU: AS_PRESENT 0x%x, %u-bit VA",
		      ptdev->gpu_info.as_present, ptdev->va_bits);
		ret = -EINVAL;
		goto err_hw;
	}

	ret = panthor_gpu_init(ptdev);
	if (ret)
		goto err_hw;
	ret = panthor_mmu_init(ptdev);
	if (ret)
		goto err_gpu;
	ret = panthor_gem_reclaim_init(ptdev);
	if (ret)
		goto err_mmu;
	ret = panthor_sched_init(ptdev);
	if (ret)
		goto err_reclaim;
	return ptdev;

err_reclaim:
	panthor_gem_reclaim_fini(ptdev);
err_mmu:
	panthor_mmu_fini(ptdev);

err_gpu:
	panthor_gpu_fini(ptdev);
err_hw:
	hw_device_destroy(ptdev->hw);
err_budget:
	mm_budget_destroy(ptdev->budget);
err_free:
	u_free(ptdev);
	return ERR_PTR(ret);
}

void panthor_device_destroy(struct panthor_device *ptdev)
{
	if (!ptdev)
		return;
	/*
	 * Finished async bind jobs are freed on the cleanup thread, and freeing
	 * one unpins its BO, which updates the reclaim lists: let that finish
	 * before the reclaim state goes away.
	 */
	panthor_mmu_wait_cleanup(ptdev);
	panthor_sched_fini(ptdev);
	panthor_gem_reclaim_fini(ptdev);
	panthor_mmu_fini(ptdev);
	panthor_gpu_fini(ptdev);
	hw_device_destroy(ptdev->hw);
	mm_budget_destroy(ptdev->budget);
	u_free(ptdev);
}

uint32_t panthor_device_alloc_id(struct panthor_device *ptdev)
{
	return __atomic_add_fetch(&ptdev->next_id, 1, __ATOMIC_RELAXED);
}

unsigned long panthor_device_reset_count(struct panthor_device *ptdev)
{
	return __atomic_load_n(&ptdev->reset.count, __ATOMIC_ACQUIRE);
}

void panthor_device_reset_locked(struct panthor_device *ptdev)
{
	panthor_mmu_assert_slots_locked(ptdev);
	__atomic_store_n(&ptdev->reset.pending, true, __ATOMIC_RELAXED);
	u_warn(MOD, "GPU reset");

	if (panthor_gpu_soft_reset(ptdev))
		u_err(MOD, "GPU reset did not complete; carrying on with the MMU reset");
	panthor_mmu_post_reset_locked(ptdev);
	panthor_sched_post_reset_locked(ptdev);

	__atomic_store_n(&ptdev->reset.pending, false, __ATOMIC_RELAXED);
	__atomic_add_fetch(&ptdev->reset.count, 1, __ATOMIC_RELEASE);
}
