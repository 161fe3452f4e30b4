// SPDX-License-Identifier: MIT
/*
 * DOC: drm_exec
 *
 * Model: a ww acquire context plus the list of objects locked under it.
 * A pass of the caller's loop locks objects one by one. When a lock says
 * -EDEADLK (an older transaction holds it while this one holds others),
 * the object is remembered as contended and the caller jumps back to the
 * loop head; drm_exec_cleanup() drops every lock, and the first lock of the
 * next pass takes the contended object with the slow path (sleeping until
 * it is free) before anything else, then counts it as already locked when
 * the pass reaches it. The context keeps its age across passes, so each
 * transaction eventually becomes the oldest and wins (u_mutex.c).
 *
 *   pass 1: lock A ok, lock B -EDEADLK  -> contended = B
 *   cleanup: unlock A
 *   pass 2: (slow-lock B) lock A ok, lock B (prelocked) ok  -> done
 *
 * Rejected alternative: sorting the objects by address and locking them in
 * order, which needs no backoff. The driver does not know the full set up
 * front (a VM's external objects are discovered while its resv is held),
 * and a sorted order cannot be kept across two independent transactions
 * that each add objects as they go.
 */
#include "drm_exec.h"

#include <errno.h>

#include "util/u_alloc.h"
#include "util/u_log.h"

void drm_exec_init(struct drm_exec *exec, uint32_t flags, unsigned int nr)
{
	exec->flags = flags;
	exec->num_objects = 0;
	exec->max_objects = nr;
	exec->objects = NULL;
	exec->contended = DRM_EXEC__FIRST;
	exec->prelocked = NULL;
	exec->ticket_live = false;
}

static void drm_exec_unlock_all(struct drm_exec *exec)
{
	while (exec->num_objects)
		dma_resv_unlock(exec->objects[--exec->num_objects]);
	exec->prelocked = NULL;
}

void drm_exec_fini(struct drm_exec *exec)
{
	drm_exec_unlock_all(exec);
	u_free(exec->objects);
	exec->objects = NULL;
	exec->max_objects = 0;
	if (exec->ticket_live) {
		u_ww_acquire_fini(&exec->ticket);
		exec->ticket_live = false;
	}
	exec->contended = NULL;
}

bool drm_exec_cleanup(struct drm_exec *exec)
{
	if (!exec->contended) {
		u_ww_acquire_done(&exec->ticket);
		return false;
	}
	if (exec->contended == DRM_EXEC__FIRST) {
		exec->contended = NULL;
		u_ww_acquire_init(&exec->ticket, &reservation_ww_class);
		exec->ticket_live = true;
		return true;
	}
	/* Contention: drop everything; the next lock takes the contended one first. */
	drm_exec_unlock_all(exec);
	return true;
}

/* Record @obj as locked. Return: 0 or -ENOMEM (the caller unlocks @obj). */
static int drm_exec_obj_locked(struct drm_exec *exec, struct dma_resv *obj)
{
	if (!exec->objects || exec->num_objects == exec->max_objects) {
		unsigned int cap;
		struct dma_resv **objects;

		if (!exec->objects)
			cap = exec->max_objects ? exec->max_objects : 16;	/* the hint */
		else
			cap = exec->max_objects * 2;
		objects = u_realloc(exec->objects, cap * sizeof(*objects));
		if (!objects)
			return -ENOMEM;
		exec->objects = objects;
		exec->max_objects = cap;
	}
	exec->objects[exec->num_objects++] = obj;
	return 0;
}

/* Take the object that lost the last pass, before anything else. */
static int drm_exec_lock_contended(struct drm_exec *exec)
{
	struct dma_resv *obj = exec->contended;
	int ret;

	if (!obj)
		return 0;
	/* Cleared first, so an error below leaves a state drm_exec_fini() handles. */
	exec->contended = NULL;
	dma_resv_lock_slow(obj, &exec->ticket);
	ret = drm_exec_obj_locked(exec, obj);
	if (ret) {
		dma_resv_unlock(obj);
		return ret;
	}
	exec->prelocked = obj;
	return 0;
}

int drm_exec_lock_resv(struct drm_exec *exec, struct dma_resv *obj)
{
	int ret;

	ret = drm_exec_lock_contended(exec);
	if (ret)
		return ret;
	if (exec->prelocked == obj) {
		exec->prelocked = NULL;
		return 0;
	}
	ret = dma_resv_lock(obj, &exec->ticket);
	if (ret == -EDEADLK) {
		exec->contended = obj;
		return -EDEADLK;
	}
	if (ret == -EALREADY && (exec->flags & DRM_EXEC_IGNORE_DUPLICATES))
		return 0;
	if (ret)
		return ret;
	ret = drm_exec_obj_locked(exec, obj);
	if (ret)
		dma_resv_unlock(obj);
	return ret;
}

int drm_exec_prepare_resv(struct drm_exec *exec, struct dma_resv *obj, unsigned int num_fences)
{
	int ret = drm_exec_lock_resv(exec, obj);

	if (ret)
		return ret;
	ret = dma_resv_reserve_fences(obj, num_fences);
	if (ret)
		drm_exec_unlock_resv(exec, obj);
	return ret;
}

void drm_exec_unlock_resv(struct drm_exec *exec, struct dma_resv *obj)
{
	for (unsigned int i = exec->num_objects; i-- > 0;) {
		if (exec->objects[i] == obj) {
			dma_resv_unlock(obj);
			for (++i; i < exec->num_objects; i++)
				exec->objects[i - 1] = exec->objects[i];
			exec->num_objects--;
			if (exec->prelocked == obj)
				exec->prelocked = NULL;
			return;
		}
	}
	u_panic("drm_exec_unlock_resv: %p is not locked by this drm_exec", (void *)obj);
}
