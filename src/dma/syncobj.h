/* SPDX-License-Identifier: MIT */
/*
 * drm_syncobj: a container for a fence that user space names by handle.
 * A binary syncobj holds one fence (or none); a timeline syncobj holds the
 * newest node of a dma_fence_chain, one node per point. Both are the same
 * object: what makes one a timeline is that points were added to it.
 *
 * This is the object API; the per-file handle table and the uAPI structs
 * belong to the driver's ioctl layer. Each DRM_IOCTL_SYNCOBJ_* is a thin
 * wrapper (look the handles up, copy arrays in and out):
 *
 *   SYNCOBJ_CREATE          drm_syncobj_create(flags, NULL)
 *   SYNCOBJ_DESTROY         drm_syncobj_put() of the handle's reference
 *   SYNCOBJ_WAIT            drm_syncobj_array_wait(objs, NULL, n, flags, timeout, &first)
 *   SYNCOBJ_TIMELINE_WAIT   drm_syncobj_array_wait(objs, points, n, flags, timeout, &first)
 *   SYNCOBJ_RESET           drm_syncobj_reset() on each
 *   SYNCOBJ_SIGNAL          drm_syncobj_signal() on each
 *   SYNCOBJ_TIMELINE_SIGNAL drm_syncobj_timeline_signal(objs, points, n)
 *   SYNCOBJ_QUERY           drm_syncobj_query() on each
 *   SYNCOBJ_TRANSFER        drm_syncobj_transfer(dst, dst_point, src, src_point, flags)
 *   HANDLE_TO_FD  (no flags)          drm_syncobj_get_fd(obj)
 *   FD_TO_HANDLE  (no flags)          drm_syncobj_from_fd(fd), then a new handle
 *   HANDLE_TO_FD  (EXPORT_SYNC_FILE)  drm_syncobj_export_sync_file(obj, point)
 *   FD_TO_HANDLE  (IMPORT_SYNC_FILE)  drm_syncobj_import_sync_file(obj, fd, point)
 *
 * The flag values are the uAPI's (libdrm's drm.h).
 */
#ifndef PANTOMIME_SYNCOBJ_H
#define PANTOMIME_SYNCOBJ_H

#include <stdbool.h>
#include <stdint.h>

#include <drm.h>

#include "dma_fence.h"
#include "dma_fence_chain.h"

#ifndef DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE
/** DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE - the uAPI's deadline-hint flag (newer than some drm.h copies). */
#define DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE (1 << 3)
#endif

/**
 * DRM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS - how long a transfer or export
 * with WAIT_FOR_SUBMIT waits for a fence to be attached (the kernel's 5 s).
 */
#define DRM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS 5000000000ll

/**
 * struct drm_syncobj - a sync object.
 * @refcount: references (the handle table holds one per handle).
 * @lock: lock class "drm_syncobj_lock": protects @fence and @cb_list.
 *        Order: drm_syncobj_lock -> dma_fence_lock (chain walks under it);
 *        nothing waits while holding it.
 * @fence: the binary fence or the timeline's newest chain node, one
 *         reference; NULL when reset or never signalled.
 * @cb_list: waiters for a fence or point to be attached
 *           (WAIT_FOR_SUBMIT / WAIT_AVAILABLE), protected by @lock.
 */
struct drm_syncobj {
	struct u_refcount refcount;
	struct u_mutex lock;
	struct dma_fence *fence;
	struct u_list cb_list;
};

/**
 * drm_syncobj_create() - a new syncobj.
 * @flags: 0 or DRM_SYNCOBJ_CREATE_SIGNALED (holds the signalled stub fence).
 * @fence: if not NULL, installed (a reference is taken).
 *
 * Return: the syncobj (one reference), or ERR_PTR(-EINVAL) for unknown
 * flags, ERR_PTR(-ENOMEM).
 */
struct drm_syncobj *drm_syncobj_create(uint32_t flags, struct dma_fence *fence);
/** drm_syncobj_get() - take a reference. Return: @syncobj. */
struct drm_syncobj *drm_syncobj_get(struct drm_syncobj *syncobj);
/** drm_syncobj_put() - drop a reference; the last one drops the fence and frees. NULL is a no-op. */
void drm_syncobj_put(struct drm_syncobj *syncobj);

/** drm_syncobj_fence_get() - Return: a reference to the current fence (or chain head), or NULL. */
struct dma_fence *drm_syncobj_fence_get(struct drm_syncobj *syncobj);

/**
 * drm_syncobj_replace_fence() - install @fence (NULL resets), dropping the
 * old one, and hand it to waiters for a fence to be attached. Does not
 * allocate.
 */
void drm_syncobj_replace_fence(struct drm_syncobj *syncobj, struct dma_fence *fence);

/**
 * drm_syncobj_add_point() - add timeline point @point carrying @fence.
 * @syncobj: the syncobj.
 * @chain: from dma_fence_chain_alloc(); consumed.
 * @fence: the point's payload (a reference is taken).
 * @point: the point. A point not above the newest one starts a new chain
 *         context (see dma_fence_chain_init()), which a later query
 *         cannot see past, as in the kernel.
 *
 * Wakes waiters whose point is now available and walks the chain once to
 * collect signalled points. Does not allocate.
 */
void drm_syncobj_add_point(struct drm_syncobj *syncobj, struct dma_fence_chain *chain,
			   struct dma_fence *fence, uint64_t point);

/**
 * drm_syncobj_find_fence() - the fence for @point.
 * @syncobj: the syncobj.
 * @point: 0 for the current fence; else a timeline point.
 * @flags: 0 or DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT.
 * @timeout_ns: with WAIT_FOR_SUBMIT, how long to wait (relative ns) for the
 *              fence or point to be attached; the kernel always uses
 *              DRM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS.
 * @fence: receives a reference on success: the fence, the chain node of the
 *         point, or the stub fence if the point has already signalled.
 *
 * With WAIT_FOR_SUBMIT the caller must hold no lock (lockdep-checked, as
 * the kernel does): the wait depends on another thread's ioctl.
 *
 * Return: 0; -EINVAL for unknown flags, or when there is no fence (or the
 * point was not submitted) and WAIT_FOR_SUBMIT is not set; -ETIME when the
 * WAIT_FOR_SUBMIT wait timed out.
 */
int drm_syncobj_find_fence(struct drm_syncobj *syncobj, uint64_t point, uint64_t flags,
			   int64_t timeout_ns, struct dma_fence **fence);

/**
 * drm_syncobj_signal() - install the signalled stub fence (SYNCOBJ_SIGNAL,
 * CREATE_SIGNALED). Cannot fail: the stub is process-wide, where the
 * kernel allocates a private stub with a fresh timestamp.
 */
void drm_syncobj_signal(struct drm_syncobj *syncobj);
/** drm_syncobj_reset() - drop the fence (SYNCOBJ_RESET); a binary wait then needs WAIT_FOR_SUBMIT. */
void drm_syncobj_reset(struct drm_syncobj *syncobj);

/**
 * drm_syncobj_timeline_signal() - signal point @points[i] of @syncobjs[i]
 * (a stub-fence point each), for i < @count.
 * @syncobjs: the syncobjs.
 * @points: the points (NULL: all 0, as the kernel treats a NULL array).
 * @count: entries.
 *
 * All chain nodes are allocated first, so on failure nothing changed.
 *
 * Return: 0 or -ENOMEM.
 */
int drm_syncobj_timeline_signal(struct drm_syncobj **syncobjs, const uint64_t *points,
				uint32_t count);

/**
 * drm_syncobj_query() - the timeline's progress.
 * @syncobj: the syncobj.
 * @flags: 0 for the last signalled point (the highest point P such that P
 *         and every point before it on the current chain context have
 *         signalled), or DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED for the
 *         newest point added.
 * @point: receives the point; 0 for a binary syncobj or an empty one.
 *
 * Return: 0, or -EINVAL for unknown flags.
 */
int drm_syncobj_query(struct drm_syncobj *syncobj, uint32_t flags, uint64_t *point);

/**
 * drm_syncobj_transfer() - copy a fence between syncobjs / points.
 * @dst: destination.
 * @dst_point: 0: replace @dst's fence (binary); else add it as that point.
 * @src: source.
 * @src_point: 0: @src's current fence; else that point of its timeline.
 * @flags: 0 or DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT (waits up to
 *         DRM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS for the source).
 *
 * A timeline source point is flattened (dma_fence_unwrap_merge()) before
 * being added as a point, so chains never nest.
 *
 * Return: 0; the errors of drm_syncobj_find_fence(); -ENOMEM.
 */
int drm_syncobj_transfer(struct drm_syncobj *dst, uint64_t dst_point,
			 struct drm_syncobj *src, uint64_t src_point, uint32_t flags);

/**
 * drm_syncobj_array_wait() - wait for all or any of several syncobjs
 * (SYNCOBJ_WAIT and SYNCOBJ_TIMELINE_WAIT).
 * @syncobjs: the syncobjs.
 * @points: the point to wait for on each, or NULL for all 0 (the binary
 *          wait: the current fence, or the newest point of a timeline).
 * @count: entries; 0 returns 0 at once.
 * @flags: DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL (else any),
 *         DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT (a missing fence or point
 *         is waited for instead of failing), DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE
 *         (wait only until the fences are attached, not signalled),
 *         DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE (a hint; accepted, ignored).
 * @abs_timeout_ns: absolute CLOCK_MONOTONIC deadline in ns; 0 or a time in
 *                  the past only tests (the kernel's drm_timeout_abs_to_jiffies()).
 * @first_signaled: if not NULL, receives the index of the first syncobj
 *                  found signalled (with WAIT_ALL, the first one found
 *                  signalled before sleeping), else UINT32_MAX; as the
 *                  kernel reports it.
 *
 * With WAIT_FOR_SUBMIT or WAIT_AVAILABLE the caller must hold no lock
 * (lockdep-checked). A fence wait for the signalling-section checks.
 *
 * Return: 0; -EINVAL for unknown flags, or if some syncobj has no fence (or
 * its point was not submitted) without WAIT_FOR_SUBMIT / WAIT_AVAILABLE;
 * -ETIME if the deadline passed first; -ENOMEM.
 */
int drm_syncobj_array_wait(struct drm_syncobj **syncobjs, const uint64_t *points,
			   uint32_t count, uint32_t flags, int64_t abs_timeout_ns,
			   uint32_t *first_signaled);

/**
 * drm_syncobj_export_sync_file() - a sync file for @point of @syncobj.
 *
 * Return: the new file descriptor (close-on-exec); -EINVAL if there is no
 * fence (or the point was not submitted); the errors of sync_file_create().
 */
int drm_syncobj_export_sync_file(struct drm_syncobj *syncobj, uint64_t point);
/**
 * drm_syncobj_import_sync_file() - install the fence of sync file @fd.
 * @syncobj: the destination.
 * @fd: a sync file descriptor (from sync_file_create()).
 * @point: 0: replace the fence; else add it as that timeline point.
 *
 * Return: 0; -EINVAL if @fd is not a sync file; -ENOMEM.
 */
int drm_syncobj_import_sync_file(struct drm_syncobj *syncobj, int fd, uint64_t point);

/**
 * drm_syncobj_get_fd() - export @syncobj itself as a file descriptor
 * (SYNCOBJ_HANDLE_TO_FD without flags): the descriptor holds a reference
 * on the syncobj until its last dup is closed (and the registry collects
 * it, see sync_file_gc()), so another file, or the same one, can import
 * it with drm_syncobj_from_fd(). One end of a socket pair like a sync file,
 * close-on-exec; it never polls readable.
 *
 * Return: the new descriptor (>= 0), -ENOMEM, or the negative errno of
 * socketpair() (-EMFILE, -ENFILE).
 */
int drm_syncobj_get_fd(struct drm_syncobj *syncobj);

/**
 * drm_syncobj_from_fd() - the syncobj behind a descriptor from
 * drm_syncobj_get_fd() (SYNCOBJ_FD_TO_HANDLE without flags).
 *
 * Return: the syncobj with a new reference; ERR_PTR(-EINVAL) if @fd is not
 * open or is not a syncobj descriptor of this process (a sync file is not).
 */
struct drm_syncobj *drm_syncobj_from_fd(int fd);

/**
 * drm_syncobj_validate() - check @syncobj's invariants: a live fence,
 * chain seqnos decreasing and prev_seqno consistent along one context,
 * waiters' bookkeeping.
 *
 * Return: 0, or -EUCLEAN after logging the first broken invariant.
 */
int drm_syncobj_validate(struct drm_syncobj *syncobj);

#endif
