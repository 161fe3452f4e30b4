/* SPDX-License-Identifier: MIT */
/*
 * drm_exec: lock several reservation objects at once, in any order, with
 * ww backoff and retry, in the shape of the kernel's drm_exec. It works on
 * struct dma_resv directly (the kernel's works on GEM objects and takes a
 * reference on each; here the caller keeps every object alive until
 * drm_exec_fini()).
 *
 *	struct drm_exec exec;
 *	int ret = 0;
 *
 *	drm_exec_init(&exec, DRM_EXEC_IGNORE_DUPLICATES, 0);
 *	drm_exec_until_all_locked(&exec) {
 *		ret = drm_exec_prepare_resv(&exec, &vm->resv, 1);
 *		drm_exec_retry_on_contention(&exec);
 *		if (ret)
 *			break;
 *		for (i = 0; i < n; i++) {
 *			ret = drm_exec_prepare_resv(&exec, bo_resv[i], 1);
 *			drm_exec_retry_on_contention(&exec);
 *			if (ret)
 *				break;
 *		}
 *	}
 *	if (!ret)
 *		... add fences ...
 *	drm_exec_fini(&exec);
 *
 * On -EDEADLK every lock is dropped, the contended object is taken with
 * the slow path, and the loop body runs again from the top.
 */
#ifndef PANTOMIME_DRM_EXEC_H
#define PANTOMIME_DRM_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "dma_resv.h"

/** DRM_EXEC_INTERRUPTIBLE_WAIT - accepted for the kernel's shape; waits are never interrupted here. */
#define DRM_EXEC_INTERRUPTIBLE_WAIT	(1u << 0)
/** DRM_EXEC_IGNORE_DUPLICATES - locking an object already locked by this exec succeeds (else -EALREADY). */
#define DRM_EXEC_IGNORE_DUPLICATES	(1u << 1)

/**
 * struct drm_exec - one multi-object locking transaction; used by one thread.
 * @flags: DRM_EXEC_* flags.
 * @ticket: the ww acquire context.
 * @num_objects: objects locked, in @objects.
 * @max_objects: capacity of @objects.
 * @objects: the locked objects (u_realloc()ed as it grows).
 * @contended: the object that returned -EDEADLK, to take with the slow path
 *             at the start of the next pass; the value DRM_EXEC__FIRST
 *             before the first pass; NULL otherwise.
 * @prelocked: the object taken with the slow path, counted as locked when
 *             the pass reaches it again.
 * @ticket_live: @ticket was initialised (drm_exec_fini() must finish it).
 */
struct drm_exec {
	uint32_t flags;
	struct u_ww_acquire_ctx ticket;
	unsigned int num_objects;
	unsigned int max_objects;
	struct dma_resv **objects;
	struct dma_resv *contended;
	struct dma_resv *prelocked;
	bool ticket_live;
};

/**
 * drm_exec_init() - start a transaction (no allocation, cannot fail).
 * @exec: the transaction.
 * @flags: DRM_EXEC_* flags.
 * @nr: expected number of objects (0: default), sizes the first allocation.
 */
void drm_exec_init(struct drm_exec *exec, uint32_t flags, unsigned int nr);
/** drm_exec_fini() - unlock every object, end the acquire context, free the array. */
void drm_exec_fini(struct drm_exec *exec);
/**
 * drm_exec_cleanup() - the loop condition of drm_exec_until_all_locked().
 *
 * Return: true to run a pass (the first one, or a retry after contention,
 * with every lock dropped), false when the last pass ended without
 * contention (the acquire context is then marked done).
 */
bool drm_exec_cleanup(struct drm_exec *exec);
/** drm_exec_is_contended() - Return: whether the last lock attempt hit -EDEADLK. */
static inline bool drm_exec_is_contended(const struct drm_exec *exec)
{
	return exec->contended != NULL;
}

/**
 * drm_exec_lock_resv() - lock @obj in the transaction.
 * @exec: the transaction.
 * @obj: the object; must stay alive until drm_exec_fini().
 *
 * A blocking dma_resv lock (see dma_resv_lock() for what that means in a
 * signalling section).
 *
 * Return: 0; -EDEADLK on contention (use drm_exec_retry_on_contention());
 * -EALREADY if already locked by @exec without DRM_EXEC_IGNORE_DUPLICATES;
 * -ENOMEM if the object array could not grow (@obj is then not locked).
 */
int drm_exec_lock_resv(struct drm_exec *exec, struct dma_resv *obj);
/**
 * drm_exec_prepare_resv() - drm_exec_lock_resv() then dma_resv_reserve_fences().
 * @exec: the transaction.
 * @obj: the object.
 * @num_fences: fence slots to reserve.
 *
 * Return: as drm_exec_lock_resv(); -ENOMEM from the reservation, in which
 * case @obj is unlocked again.
 */
int drm_exec_prepare_resv(struct drm_exec *exec, struct dma_resv *obj, unsigned int num_fences);
/** drm_exec_unlock_resv() - unlock @obj early and forget it (it must be locked by @exec). */
void drm_exec_unlock_resv(struct drm_exec *exec, struct dma_resv *obj);

/** DRM_EXEC__FIRST - internal: &drm_exec.contended before the first pass. */
#define DRM_EXEC__FIRST ((struct dma_resv *)1)

#define DRM_EXEC__CAT2(a, b) a##b
#define DRM_EXEC__CAT(a, b) DRM_EXEC__CAT2(a, b)

/**
 * drm_exec_until_all_locked() - run the following block until it completes
 * a pass without contention. The block must call
 * drm_exec_retry_on_contention() after each lock, which jumps back here
 * (from any loop depth) to drop everything and start again.
 */
#define drm_exec_until_all_locked(exec)                                          \
	DRM_EXEC__CAT(drm_exec__retry_, __LINE__):                               \
	for (void *drm_exec__retry_ptr =                                         \
		&&DRM_EXEC__CAT(drm_exec__retry_, __LINE__);                     \
	     ((void)drm_exec__retry_ptr, drm_exec_cleanup(exec));)

/** drm_exec_retry_on_contention() - restart the pass if the last lock hit contention. */
#define drm_exec_retry_on_contention(exec)                                        \
	do {                                                                     \
		if (__builtin_expect(drm_exec_is_contended(exec), 0))            \
			goto *drm_exec__retry_ptr;                               \
	} while (0)

/**
 * drm_exec_for_each_locked_resv() - visit the locked objects.
 * @exec: the transaction.
 * @index: an unsigned int counter.
 * @obj: a struct dma_resv * cursor.
 */
#define drm_exec_for_each_locked_resv(exec, index, obj)                          \
	for ((index) = 0; (index) < (exec)->num_objects &&                       \
	     ((obj) = (exec)->objects[(index)], true); (index)++)

#endif
