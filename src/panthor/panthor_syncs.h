/* SPDX-License-Identifier: MIT */
/*
 * The syncs of one submission (an async VM_BIND call or a GROUP_SUBMIT),
 * upstream's panthor_submit_ctx signal list: WAIT syncs become job
 * dependencies, SIGNAL syncs are gathered once per (syncobj, point), get
 * the fence of the last job that signals them, and are published when
 * nothing can fail any more.
 */
#ifndef PANTOMIME_PANTHOR_SYNCS_H
#define PANTOMIME_PANTHOR_SYNCS_H

#include <stdbool.h>
#include <stdint.h>

#include "panthor/panthor_mmu.h"
#include "uapi/drm/panthor_drm.h"

struct dma_fence;
struct dma_fence_chain;
struct drm_syncobj;
struct panthor_file;

/**
 * struct panthor_sync_signal - one SIGNAL target of a submission.
 * @syncobj: the syncobj (a reference).
 * @point: the timeline point (0: binary).
 * @chain: the chain node for @point (preallocated), NULL for a binary syncobj.
 * @fence: the fence the point gets: what it held before the call, then the
 *         last job's that signals it.
 */
struct panthor_sync_signal {
	struct drm_syncobj *syncobj;
	uint64_t point;
	struct dma_fence_chain *chain;
	struct dma_fence *fence;
};

/**
 * struct panthor_sync_signals - the SIGNAL targets one submission gathers.
 * @pfile: the file whose syncobj handles the syncs name.
 * @what: the ioctl's name, for the log.
 * @v: the targets.
 * @nr: entries of @v.
 * @max: allocated entries of @v.
 */
struct panthor_sync_signals {
	struct panthor_file *pfile;
	const char *what;
	struct panthor_sync_signal *v;
	uint32_t nr;
	uint32_t max;
};

/**
 * panthor_sync_op_check() - the checks of one sync op (flags, handle type,
 * a timeline value only on a timeline syncobj).
 * @sync: the sync.
 * @what: the ioctl's name, for the log.
 * Return: 0 or -EINVAL.
 */
int panthor_sync_op_check(const struct panthor_sync_op_args *sync, const char *what);

/** panthor_sync_op_is_signal() - Return: true for a SIGNAL sync, false for a WAIT. @sync: the sync. */
static inline bool panthor_sync_op_is_signal(const struct panthor_sync_op_args *sync)
{
	return sync->flags & (uint32_t)DRM_PANTHOR_SYNC_OP_SIGNAL;
}

/**
 * panthor_sync_signals_add() - record the SIGNAL @sync (once per syncobj and
 * point): the syncobj, a chain node for a timeline point, the point's
 * current fence.
 * @s: the submission's targets.
 * @sync: a SIGNAL sync.
 * Return: 0, -EINVAL for an unknown syncobj, -ENOMEM.
 */
int panthor_sync_signals_add(struct panthor_sync_signals *s, const struct panthor_sync_op_args *sync);

/**
 * panthor_sync_signals_add_all() - panthor_sync_signals_add() for every
 * SIGNAL sync of one job.
 * @s: the submission's targets.
 * @syncs: the job's syncs.
 * @nr_syncs: entries of @syncs.
 * Return: 0 or the first error of panthor_sync_signals_add().
 */
int panthor_sync_signals_add_all(struct panthor_sync_signals *s,
				 const struct panthor_sync_op_args *syncs, uint32_t nr_syncs);

/**
 * panthor_sync_signals_add_deps() - turn the WAIT syncs of one job into
 * dependencies: an earlier job's SIGNAL of the same point in this
 * submission wins over what the syncobj holds; signalled fences are dropped.
 * @s: the submission's targets.
 * @syncs: the job's syncs.
 * @nr_syncs: entries of @syncs.
 * @deps: where the fences go (room for every WAIT of @syncs).
 * @nr_deps: entries of @deps, updated.
 * Return: 0, -ENOENT for an unknown syncobj, or drm_syncobj_find_fence()'s
 * error for a point without a fence.
 */
int panthor_sync_signals_add_deps(struct panthor_sync_signals *s,
				  const struct panthor_sync_op_args *syncs, uint32_t nr_syncs,
				  struct dma_fence **deps, uint32_t *nr_deps);

/**
 * panthor_sync_signals_update() - the SIGNAL syncs of one job now get @fence.
 * @s: the submission's targets (every SIGNAL of @syncs added).
 * @syncs: the job's syncs.
 * @nr_syncs: entries of @syncs.
 * @fence: the job's fence (armed).
 */
void panthor_sync_signals_update(struct panthor_sync_signals *s,
				 const struct panthor_sync_op_args *syncs, uint32_t nr_syncs,
				 struct dma_fence *fence);

/**
 * panthor_sync_signals_publish() - give every target its fence: a new
 * timeline point (consuming its chain node) or a replaced binary fence.
 * Nothing allocates.
 * @s: the submission's targets.
 */
void panthor_sync_signals_publish(struct panthor_sync_signals *s);

/** panthor_sync_signals_fini() - drop what @s holds (unused chain nodes, fences, syncobjs). @s: the targets. */
void panthor_sync_signals_fini(struct panthor_sync_signals *s);

#endif
