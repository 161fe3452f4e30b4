// SPDX-License-Identifier: MIT
/*
 * DOC: drm_syncobj
 *
 * Model: a locked pointer to a fence. Binary use replaces the pointer;
 * timeline use pushes a dma_fence_chain node in front of it. Looking up
 * point N is dma_fence_chain_find_seqno() on the head; point 0 is the
 * head itself.
 *
 * Waiting comes in two stages, as in the kernel:
 *
 *   1. "wait for submit": the syncobj has no fence yet (or the point has
 *      not been added). A wait entry sits on the syncobj's cb_list; every
 *      replace_fence / add_point re-checks the entries under the syncobj
 *      lock and hands the now-available fence to each one that matches,
 *      taking it off the list and waking its waiter.
 *   2. "wait for signal": a fence callback on each entry's fence wakes the
 *      waiter.
 *
 *   waiter thread                        other threads
 *   entries[i] on syncobj cb_list  <---  add_point(): entry.fence = chain node, kick
 *   add_callback(entry.fence)      <---  dma_fence_signal(): callback, kick
 *   sleep on waiter.cond until kicked or the absolute deadline
 *
 * One waiter (mutex, condition variable, kick counter) serves every entry
 * of a call; the counter is read before each scan, so a kick that lands
 * during the scan is never lost. Entry fences are published with release
 * stores and read with acquire loads, because the waiter scans without the
 * syncobj lock. Before returning, the waiter takes its entries off the
 * lists (under each syncobj's lock) and removes its fence callbacks (which
 * waits for one running in a signaller), so nothing can touch the entries
 * afterwards.
 *
 * Error numbers and the first_signaled index follow the kernel's
 * drm_syncobj.c: -EINVAL for a missing fence without WAIT_FOR_SUBMIT,
 * -ETIME at the deadline, a 0 or past absolute deadline meaning "poll",
 * the stub fence for a point that has already signalled and been
 * collected.
 *
 * Rejected alternative: polling (re-check every few ms until the deadline).
 * Simple, but it adds latency to every GPU job completion seen by
 * Vulkan, and tests could not distinguish "woken" from "happened to poll".
 */
#include "syncobj.h"
#include "dma_fence_array.h"
#include "sync_file.h"
#include "dma_internal.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_log.h"
#include "util/u_thread.h"

static U_LOCK_CLASS(drm_syncobj_lock_class, "drm_syncobj_lock");

/**
 * struct syncobj_waiter - the sleeping thread of one wait call.
 * @mu: protects @kicks.
 * @cond: signalled on every kick (CLOCK_MONOTONIC).
 * @kicks: incremented by every event that may complete the wait.
 */
struct syncobj_waiter {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	uint64_t kicks;
};

/**
 * struct syncobj_wait_entry - one syncobj of a wait call.
 * @node: on the syncobj's cb_list while waiting for a fence to be attached;
 *        self-linked otherwise (protected by the syncobj lock).
 * @w: the waiter to kick.
 * @point: the point waited for (0: the current fence).
 * @fence: the fence to wait on, one reference; set once, either by the
 *         waiter or by the syncobj under its lock (atomic, release/acquire).
 * @fence_cb: callback on @fence.
 * @cb_added: @fence_cb is registered.
 */
struct syncobj_wait_entry {
	struct u_list node;
	struct syncobj_waiter *w;
	uint64_t point;
	struct dma_fence *fence;
	struct dma_fence_cb fence_cb;
	bool cb_added;
};

/* ---- the waiter -------------------------------------------------------- */

static void waiter_init(struct syncobj_waiter *w)
{
	pthread_mutex_init(&w->mu, NULL);
	u_cond_init_monotonic(&w->cond);
	w->kicks = 0;
}

static void waiter_fini(struct syncobj_waiter *w)
{
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mu);
}

static void waiter_kick(struct syncobj_waiter *w)
{
	pthread_mutex_lock(&w->mu);
	w->kicks++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

static uint64_t waiter_kicks(struct syncobj_waiter *w)
{
	uint64_t k;

	pthread_mutex_lock(&w->mu);
	k = w->kicks;
	pthread_mutex_unlock(&w->mu);
	return k;
}

/* Sleep while no kick came after @seen and @deadline_ns (INT64_MAX: never) has not passed. */
static void waiter_sleep(struct syncobj_waiter *w, uint64_t seen, int64_t deadline_ns)
{
	struct timespec ts = { .tv_sec = deadline_ns / 1000000000,
			       .tv_nsec = deadline_ns % 1000000000 };

	pthread_mutex_lock(&w->mu);
	while (w->kicks == seen) {
		if (deadline_ns == INT64_MAX)
			pthread_cond_wait(&w->cond, &w->mu);
		else if (pthread_cond_timedwait(&w->cond, &w->mu, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&w->mu);
}

static struct dma_fence *entry_fence(struct syncobj_wait_entry *e)
{
	return __atomic_load_n(&e->fence, __ATOMIC_ACQUIRE);
}

static void syncobj_wait_fence_func(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct syncobj_wait_entry *e = container_of(cb, struct syncobj_wait_entry, fence_cb);

	waiter_kick(e->w);
}

/* ---- life cycle -------------------------------------------------------- */

struct drm_syncobj *drm_syncobj_create(uint32_t flags, struct dma_fence *fence)
{
	struct drm_syncobj *syncobj;

	if (flags & ~DRM_SYNCOBJ_CREATE_SIGNALED)
		return ERR_PTR(-EINVAL);
	syncobj = u_malloc(sizeof(*syncobj));
	if (!syncobj)
		return ERR_PTR(-ENOMEM);
	u_refcount_init(&syncobj->refcount, 1);
	u_mutex_init(&syncobj->lock, &drm_syncobj_lock_class);
	syncobj->fence = NULL;
	u_list_init(&syncobj->cb_list);
	if (flags & DRM_SYNCOBJ_CREATE_SIGNALED)
		drm_syncobj_signal(syncobj);
	if (fence)
		drm_syncobj_replace_fence(syncobj, fence);
	return syncobj;
}

struct drm_syncobj *drm_syncobj_get(struct drm_syncobj *syncobj)
{
	u_refcount_get(&syncobj->refcount);
	return syncobj;
}

void drm_syncobj_put(struct drm_syncobj *syncobj)
{
	if (!syncobj || !u_refcount_put(&syncobj->refcount))
		return;
	/* Waiters hold a reference for as long as their entries are listed. */
	U_ASSERT(u_list_empty(&syncobj->cb_list));
	dma_fence_put(syncobj->fence);
	u_mutex_fini(&syncobj->lock);
	u_free(syncobj);
}

struct dma_fence *drm_syncobj_fence_get(struct drm_syncobj *syncobj)
{
	struct dma_fence *fence;

	u_mutex_lock(&syncobj->lock);
	fence = dma_fence_get(syncobj->fence);
	u_mutex_unlock(&syncobj->lock);
	return fence;
}

/* ---- attaching fences -------------------------------------------------- */

/*
 * Called with the syncobj lock held: if @e's point is available now, give
 * @e its fence, take it off the list and kick its waiter.
 */
static void syncobj_wait_syncobj_func(struct drm_syncobj *syncobj, struct syncobj_wait_entry *e)
{
	struct dma_fence *fence = dma_fence_get(syncobj->fence);

	u_mutex_assert_held(&syncobj->lock);
	if (!fence || dma_fence_chain_find_seqno(&fence, e->point)) {
		dma_fence_put(fence);
		return;
	}
	if (!fence)
		fence = dma_fence_get_stub();	/* signalled and collected already */
	__atomic_store_n(&e->fence, fence, __ATOMIC_RELEASE);
	u_list_del(&e->node);
	waiter_kick(e->w);
}

static void syncobj_notify_locked(struct drm_syncobj *syncobj)
{
	struct syncobj_wait_entry *e, *tmp;

	u_list_for_each_entry_safe(e, tmp, &syncobj->cb_list, node)
		syncobj_wait_syncobj_func(syncobj, e);
}

/* Queue @e for the fence of its point unless it has one or can get one now. */
static void syncobj_add_wait(struct drm_syncobj *syncobj, struct syncobj_wait_entry *e)
{
	if (entry_fence(e))
		return;
	u_mutex_lock(&syncobj->lock);
	u_list_add_tail(&e->node, &syncobj->cb_list);
	syncobj_wait_syncobj_func(syncobj, e);
	u_mutex_unlock(&syncobj->lock);
}

static void syncobj_remove_wait(struct drm_syncobj *syncobj, struct syncobj_wait_entry *e)
{
	u_mutex_lock(&syncobj->lock);
	u_list_del(&e->node);
	u_mutex_unlock(&syncobj->lock);
}

void drm_syncobj_replace_fence(struct drm_syncobj *syncobj, struct dma_fence *fence)
{
	struct dma_fence *old;

	dma_fence_get(fence);
	u_mutex_lock(&syncobj->lock);
	old = syncobj->fence;
	syncobj->fence = fence;
	if (fence != old)
		syncobj_notify_locked(syncobj);
	u_mutex_unlock(&syncobj->lock);
	dma_fence_put(old);
}

void drm_syncobj_add_point(struct drm_syncobj *syncobj, struct dma_fence_chain *chain,
			   struct dma_fence *fence, uint64_t point)
{
	struct dma_fence *prev, *iter;

	dma_fence_get(fence);
	u_mutex_lock(&syncobj->lock);
	/* The chain takes over the syncobj's reference to the old head. */
	prev = syncobj->fence;
	if (prev && prev->seqno >= point && to_dma_fence_chain(prev))
		u_dbg("syncobj", "point %llu added after point %llu: the timeline's query "
		      "cannot see past it", (unsigned long long)point,
		      (unsigned long long)prev->seqno);
	dma_fence_chain_init(chain, prev, fence, point);
	syncobj->fence = &chain->base;
	prev = dma_fence_get(prev);
	syncobj_notify_locked(syncobj);
	u_mutex_unlock(&syncobj->lock);

	/* One walk to collect the points that already signalled. */
	dma_fence_chain_for_each(iter, prev)
		;
	dma_fence_put(prev);
}

void drm_syncobj_signal(struct drm_syncobj *syncobj)
{
	struct dma_fence *stub = dma_fence_get_stub();

	drm_syncobj_replace_fence(syncobj, stub);
	dma_fence_put(stub);
}

void drm_syncobj_reset(struct drm_syncobj *syncobj)
{
	drm_syncobj_replace_fence(syncobj, NULL);
}

int drm_syncobj_timeline_signal(struct drm_syncobj **syncobjs, const uint64_t *points,
				uint32_t count)
{
	struct dma_fence_chain **chains;
	struct dma_fence *stub;
	uint32_t i;

	chains = u_calloc(count ? count : 1, sizeof(*chains));
	if (!chains)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		chains[i] = dma_fence_chain_alloc();
		if (IS_ERR(chains[i])) {
			while (i-- > 0)
				dma_fence_chain_free(chains[i]);
			u_free(chains);
			return -ENOMEM;
		}
	}
	/* Nothing can fail after this. */
	stub = dma_fence_get_stub();
	for (i = 0; i < count; i++)
		drm_syncobj_add_point(syncobjs[i], chains[i], stub, points ? points[i] : 0);
	dma_fence_put(stub);
	u_free(chains);
	return 0;
}

/* ---- looking up -------------------------------------------------------- */

int drm_syncobj_find_fence(struct drm_syncobj *syncobj, uint64_t point, uint64_t flags,
			   int64_t timeout_ns, struct dma_fence **fence)
{
	struct syncobj_wait_entry e = { .point = point };
	struct syncobj_waiter w;
	struct dma_fence *f;
	int64_t deadline;
	int ret;

	*fence = NULL;
	if (flags & ~(uint64_t)DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT)
		return -EINVAL;
	if (flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT) {
		/* Waiting for another thread's ioctl: holding any lock here can deadlock. */
		dma_fence_might_wait();
		u_lockdep_assert_none_held("drm_syncobj_find_fence(WAIT_FOR_SUBMIT)");
	}

	f = drm_syncobj_fence_get(syncobj);
	if (f) {
		ret = dma_fence_chain_find_seqno(&f, point);
		if (!ret) {
			*fence = f ? f : dma_fence_get_stub();
			return 0;
		}
		dma_fence_put(f);
	} else {
		ret = -EINVAL;
	}
	if (!(flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT))
		return ret;

	deadline = timeout_ns < 0 ? 0 : timeout_ns == DMA_FENCE_TIMEOUT_INFINITE ? INT64_MAX :
		   dma_fence_now_ns() + timeout_ns;
	waiter_init(&w);
	u_list_init(&e.node);
	e.w = &w;
	syncobj_add_wait(syncobj, &e);
	for (;;) {
		uint64_t seen = waiter_kicks(&w);

		if (entry_fence(&e)) {
			ret = 0;
			break;
		}
		if (dma_fence_now_ns() >= deadline) {
			ret = -ETIME;
			break;
		}
		waiter_sleep(&w, seen, deadline);
	}
	syncobj_remove_wait(syncobj, &e);
	waiter_fini(&w);
	*fence = entry_fence(&e);
	return *fence ? 0 : ret;
}

int drm_syncobj_query(struct drm_syncobj *syncobj, uint32_t flags, uint64_t *point)
{
	struct dma_fence *fence, *iter, *last;

	*point = 0;
	if (flags & ~DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED)
		return -EINVAL;
	fence = drm_syncobj_fence_get(syncobj);
	if (!to_dma_fence_chain(fence)) {
		dma_fence_put(fence);
		return 0;
	}
	if (flags & DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED) {
		*point = fence->seqno;
		dma_fence_put(fence);
		return 0;
	}
	/*
	 * The walk collects signalled points, so it ends at the oldest node
	 * still pending in this context: if even that one has signalled, the
	 * whole context has; otherwise everything before it has.
	 */
	last = dma_fence_get(fence);
	dma_fence_chain_for_each(iter, fence) {
		if (iter->context != fence->context) {
			dma_fence_put(iter);
			break;
		}
		dma_fence_put(last);
		last = dma_fence_get(iter);
	}
	*point = dma_fence_is_signaled(last) ? last->seqno :
		 to_dma_fence_chain(last)->prev_seqno;
	dma_fence_put(last);
	dma_fence_put(fence);
	return 0;
}

/* ---- transfer and sync files ------------------------------------------- */

int drm_syncobj_transfer(struct drm_syncobj *dst, uint64_t dst_point,
			 struct drm_syncobj *src, uint64_t src_point, uint32_t flags)
{
	struct dma_fence_chain *chain;
	struct dma_fence *fence, *flat;
	int ret;

	ret = drm_syncobj_find_fence(src, src_point, flags,
				     DRM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS, &fence);
	if (ret)
		return ret;
	if (!dst_point) {
		drm_syncobj_replace_fence(dst, fence);
		dma_fence_put(fence);
		return 0;
	}

	flat = dma_fence_unwrap_merge(fence);
	dma_fence_put(fence);
	if (IS_ERR(flat))
		return PTR_ERR(flat);
	chain = dma_fence_chain_alloc();
	if (IS_ERR(chain)) {
		dma_fence_put(flat);
		return PTR_ERR(chain);
	}
	drm_syncobj_add_point(dst, chain, flat, dst_point);
	dma_fence_put(flat);
	return 0;
}

int drm_syncobj_export_sync_file(struct drm_syncobj *syncobj, uint64_t point)
{
	struct dma_fence *fence;
	int ret;

	ret = drm_syncobj_find_fence(syncobj, point, 0, 0, &fence);
	if (ret)
		return ret;
	ret = sync_file_create(fence);
	dma_fence_put(fence);
	return ret;
}

int drm_syncobj_import_sync_file(struct drm_syncobj *syncobj, int fd, uint64_t point)
{
	struct dma_fence *fence = sync_file_get_fence(fd);
	struct dma_fence_chain *chain;

	if (IS_ERR(fence))
		return PTR_ERR(fence);
	if (point) {
		chain = dma_fence_chain_alloc();
		if (IS_ERR(chain)) {
			dma_fence_put(fence);
			return PTR_ERR(chain);
		}
		drm_syncobj_add_point(syncobj, chain, fence, point);
	} else {
		drm_syncobj_replace_fence(syncobj, fence);
	}
	dma_fence_put(fence);
	return 0;
}

/* ---- the syncobj as a file descriptor ---------------------------------- */

static void syncobj_file_get(void *obj)
{
	drm_syncobj_get(obj);
}

static void syncobj_file_put(void *obj)
{
	drm_syncobj_put(obj);
}

static const struct dma_file_ops syncobj_file_ops = {
	.name = "drm_syncobj",
	.get = syncobj_file_get,
	.put = syncobj_file_put,
};

int drm_syncobj_get_fd(struct drm_syncobj *syncobj)
{
	return dma_file__create(&syncobj_file_ops, syncobj, NULL);
}

struct drm_syncobj *drm_syncobj_from_fd(int fd)
{
	struct drm_syncobj *syncobj = dma_file__lookup(fd, &syncobj_file_ops, true);

	return syncobj ? syncobj : ERR_PTR(-EINVAL);
}

/* ---- waiting on many --------------------------------------------------- */

int drm_syncobj_array_wait(struct drm_syncobj **syncobjs, const uint64_t *points,
			   uint32_t count, uint32_t flags, int64_t abs_timeout_ns,
			   uint32_t *first_signaled)
{
	const uint32_t possible = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL |
				  DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
				  DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE |
				  DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE;
	const uint32_t submit = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
				DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE;
	const bool wait_all = flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL;
	const bool available = flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE;
	struct syncobj_wait_entry *entries;
	struct syncobj_waiter w;
	uint32_t i, signaled, idx = UINT32_MAX;
	bool listed = false;
	int ret = 0;

	if (first_signaled)
		*first_signaled = UINT32_MAX;
	if (flags & ~possible)
		return -EINVAL;
	if (!count)
		return 0;
	dma_fence_might_wait();
	if (flags & submit)
		u_lockdep_assert_none_held("drm_syncobj_array_wait(WAIT_FOR_SUBMIT/AVAILABLE)");

	entries = u_calloc(count, sizeof(*entries));
	if (!entries)
		return -ENOMEM;
	waiter_init(&w);

	/*
	 * First pass: every fence that is there already, so that a missing one
	 * fails with -EINVAL before any waiting (the kernel's order).
	 */
	signaled = 0;
	for (i = 0; i < count; i++) {
		struct syncobj_wait_entry *e = &entries[i];
		struct dma_fence *fence;

		u_list_init(&e->node);
		e->w = &w;
		e->point = points ? points[i] : 0;
		fence = drm_syncobj_fence_get(syncobjs[i]);
		if (!fence || dma_fence_chain_find_seqno(&fence, e->point)) {
			dma_fence_put(fence);
			if (flags & submit)
				continue;
			ret = -EINVAL;
			goto cleanup;
		}
		__atomic_store_n(&e->fence, fence ? fence : dma_fence_get_stub(), __ATOMIC_RELEASE);
		if (available || dma_fence_is_signaled(e->fence)) {
			if (signaled++ == 0)
				idx = i;
		}
	}
	if (signaled == count || (signaled && !wait_all))
		goto cleanup;

	if (flags & submit) {
		for (i = 0; i < count; i++)
			syncobj_add_wait(syncobjs[i], &entries[i]);
		listed = true;
	}

	for (;;) {
		uint64_t seen = waiter_kicks(&w);

		signaled = 0;
		for (i = 0; i < count; i++) {
			struct syncobj_wait_entry *e = &entries[i];
			struct dma_fence *fence = entry_fence(e);
			bool done;

			if (!fence)
				continue;
			done = available || dma_fence_is_signaled(fence);
			if (!done && !e->cb_added) {
				if (dma_fence_add_callback(fence, &e->fence_cb,
							   syncobj_wait_fence_func))
					done = true;	/* signalled meanwhile */
				else
					e->cb_added = true;
			}
			if (!done)
				continue;
			if (!wait_all) {
				idx = i;
				goto cleanup;
			}
			signaled++;
		}
		if (signaled == count)
			break;
		if (abs_timeout_ns <= 0 || dma_fence_now_ns() >= abs_timeout_ns) {
			ret = -ETIME;
			break;
		}
		waiter_sleep(&w, seen, abs_timeout_ns);
	}

cleanup:
	for (i = 0; i < count; i++) {
		struct syncobj_wait_entry *e = &entries[i];

		if (listed)
			syncobj_remove_wait(syncobjs[i], e);
		if (e->cb_added)
			dma_fence_remove_callback(entry_fence(e), &e->fence_cb);
		dma_fence_put(entry_fence(e));
	}
	waiter_fini(&w);
	u_free(entries);
	if (!ret && first_signaled)
		*first_signaled = idx;
	return ret;
}

/* ---- checks ------------------------------------------------------------ */

int drm_syncobj_validate(struct drm_syncobj *syncobj)
{
	struct syncobj_wait_entry *e;
	struct dma_fence *node;
	const char *broken = NULL;
	unsigned long steps = 0;

	if (u_refcount_read(&syncobj->refcount) <= 0) {
		u_err("syncobj", "syncobj %p: dead (refcount <= 0)", (void *)syncobj);
		return -EUCLEAN;
	}
	u_mutex_lock(&syncobj->lock);
	u_list_for_each_entry(e, &syncobj->cb_list, node) {
		if (entry_fence(e)) {
			broken = "a waiter still listed after it was given its fence";
			break;
		}
	}
	node = dma_fence_get(syncobj->fence);
	u_mutex_unlock(&syncobj->lock);

	/* Follow the raw prev links (no collection) while the context lasts. */
	while (!broken && node) {
		struct dma_fence_chain *chain = to_dma_fence_chain(node);
		struct dma_fence *prev;

		if (u_refcount_read(&node->refcount) <= 0) {
			broken = "dead fence in the chain";
			break;
		}
		if (!chain)
			break;
		if (chain->prev_seqno && chain->prev_seqno >= node->seqno) {
			broken = "a point not above its predecessor's seqno in one context";
			break;
		}
		if (!chain->fence) {
			broken = "chain node without a payload";
			break;
		}
		u_mutex_lock(&node->lock);
		prev = dma_fence_get(chain->prev);
		u_mutex_unlock(&node->lock);
		if (prev && prev->context == node->context) {
			if (!to_dma_fence_chain(prev) || prev->seqno >= node->seqno ||
			    prev->seqno > chain->prev_seqno)
				broken = "chain link out of order within a context";
		}
		dma_fence_put(node);
		node = prev;
		if (++steps > (1ul << 24))
			broken = "chain does not end (a cycle?)";
	}
	dma_fence_put(node);
	if (broken) {
		u_err("syncobj", "syncobj %p: %s", (void *)syncobj, broken);
		return -EUCLEAN;
	}
	return 0;
}
