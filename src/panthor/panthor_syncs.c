// SPDX-License-Identifier: MIT
/*
 * DOC: the syncs of a submission
 *
 * Async VM_BIND and GROUP_SUBMIT handle their sync arrays alike, as
 * upstream's panthor_submit_ctx does for both: every SIGNAL target is
 * gathered (and its timeline chain node allocated) before any job is armed,
 * WAIT syncs become dependencies, a WAIT on a point that an earlier job of
 * the same call signals waits for that job, and the targets get their
 * fences only after the last point of failure.
 */
#include <errno.h>
#include <string.h>

#include "dma/dma_fence.h"
#include "dma/syncobj.h"
#include "panthor/panthor_file.h"
#include "panthor/panthor_syncs.h"
#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_log.h"

#define MOD "panthor"

int panthor_sync_op_check(const struct panthor_sync_op_args *sync, const char *what)
{
	uint32_t type = sync->flags & DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_MASK;

	if (sync->flags & ~((uint32_t)DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_MASK |
			    (uint32_t)DRM_PANTHOR_SYNC_OP_SIGNAL)) {
		u_dbg(MOD, "%s: unknown sync flags 0x%x", what, sync->flags);
		return -EINVAL;
	}
	if (type != DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ &&
	    type != DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ) {
		u_dbg(MOD, "%s: sync handle type %u", what, type);
		return -EINVAL;
	}
	if (type == DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ && sync->timeline_value) {
		u_dbg(MOD, "%s: binary syncobj with a timeline value", what);
		return -EINVAL;
	}
	return 0;
}

static struct panthor_sync_signal *find(struct panthor_sync_signals *s,
					struct drm_syncobj *syncobj, uint64_t point)
{
	for (uint32_t i = 0; i < s->nr; i++)
		if (s->v[i].syncobj == syncobj && s->v[i].point == point)
			return &s->v[i];
	return NULL;
}

int panthor_sync_signals_add(struct panthor_sync_signals *s, const struct panthor_sync_op_args *sync)
{
	struct drm_syncobj *syncobj = panthor_file_syncobj_lookup(s->pfile, sync->handle);
	struct panthor_sync_signal *sig;
	struct dma_fence *cur = NULL;

	if (!syncobj) {
		u_dbg(MOD, "%s: unknown SIGNAL syncobj %u", s->what, sync->handle);
		return -EINVAL;
	}
	if (find(s, syncobj, sync->timeline_value)) {
		drm_syncobj_put(syncobj);
		return 0;
	}
	if (s->nr == s->max) {
		uint32_t max = s->max ? s->max * 2 : 4;
		struct panthor_sync_signal *v = u_realloc(s->v, max * sizeof(*v));

		if (!v) {
			drm_syncobj_put(syncobj);
			return -ENOMEM;
		}
		s->v = v;
		s->max = max;
	}
	sig = &s->v[s->nr];
	memset(sig, 0, sizeof(*sig));
	sig->syncobj = syncobj;
	sig->point = sync->timeline_value;
	if (sig->point) {
		sig->chain = dma_fence_chain_alloc();
		if (IS_ERR(sig->chain)) {
			sig->chain = NULL;
			drm_syncobj_put(syncobj);
			return -ENOMEM;
		}
	}
	/* A WAIT on this point by an earlier job of the call waits for what is there now. */
	if (!drm_syncobj_find_fence(syncobj, sig->point, 0, 0, &cur))
		sig->fence = cur;
	s->nr++;
	return 0;
}

int panthor_sync_signals_add_all(struct panthor_sync_signals *s,
				 const struct panthor_sync_op_args *syncs, uint32_t nr_syncs)
{
	int ret = 0;

	for (uint32_t i = 0; i < nr_syncs && !ret; i++)
		if (panthor_sync_op_is_signal(&syncs[i]))
			ret = panthor_sync_signals_add(s, &syncs[i]);
	return ret;
}

int panthor_sync_signals_add_deps(struct panthor_sync_signals *s,
				  const struct panthor_sync_op_args *syncs, uint32_t nr_syncs,
				  struct dma_fence **deps, uint32_t *nr_deps)
{
	for (uint32_t i = 0; i < nr_syncs; i++) {
		const struct panthor_sync_op_args *sync = &syncs[i];
		struct panthor_sync_signal *sig;
		struct drm_syncobj *syncobj;
		struct dma_fence *fence;
		int ret;

		if (panthor_sync_op_is_signal(sync))
			continue;
		syncobj = panthor_file_syncobj_lookup(s->pfile, sync->handle);
		if (!syncobj) {
			u_dbg(MOD, "%s: unknown WAIT syncobj %u", s->what, sync->handle);
			return -ENOENT;
		}
		sig = find(s, syncobj, sync->timeline_value);
		if (sig) {
			drm_syncobj_put(syncobj);
			if (!sig->fence)
				continue;
			fence = dma_fence_get(sig->fence);
		} else {
			ret = drm_syncobj_find_fence(syncobj, sync->timeline_value, 0, 0, &fence);
			drm_syncobj_put(syncobj);
			if (ret) {
				u_dbg(MOD, "%s: WAIT syncobj %u point %llu has no fence", s->what,
				      sync->handle, (unsigned long long)sync->timeline_value);
				return ret;
			}
		}
		if (dma_fence_is_signaled(fence)) {
			dma_fence_put(fence);
			continue;
		}
		deps[(*nr_deps)++] = fence;
	}
	return 0;
}

void panthor_sync_signals_update(struct panthor_sync_signals *s,
				 const struct panthor_sync_op_args *syncs, uint32_t nr_syncs,
				 struct dma_fence *fence)
{
	for (uint32_t i = 0; i < nr_syncs; i++) {
		const struct panthor_sync_op_args *sync = &syncs[i];
		struct panthor_sync_signal *sig;
		struct drm_syncobj *syncobj;

		if (!panthor_sync_op_is_signal(sync))
			continue;
		syncobj = panthor_file_syncobj_lookup(s->pfile, sync->handle);
		sig = syncobj ? find(s, syncobj, sync->timeline_value) : NULL;
		drm_syncobj_put(syncobj);
		if (U_WARN_ON(!sig))
			continue;
		dma_fence_put(sig->fence);
		sig->fence = dma_fence_get(fence);
	}
}

void panthor_sync_signals_publish(struct panthor_sync_signals *s)
{
	for (uint32_t i = 0; i < s->nr; i++) {
		struct panthor_sync_signal *sig = &s->v[i];

		if (sig->chain) {
			drm_syncobj_add_point(sig->syncobj, sig->chain, sig->fence, sig->point);
			sig->chain = NULL;
		} else {
			drm_syncobj_replace_fence(sig->syncobj, sig->fence);
		}
	}
}

void panthor_sync_signals_fini(struct panthor_sync_signals *s)
{
	for (uint32_t i = 0; i < s->nr; i++) {
		struct panthor_sync_signal *sig = &s->v[i];

		if (sig->chain)
			dma_fence_chain_free(sig->chain);
		dma_fence_put(sig->fence);
		drm_syncobj_put(sig->syncobj);
	}
	u_free(s->v);
	s->v = NULL;
	s->nr = s->max = 0;
}
