// SPDX-License-Identifier: MIT
/*
 * DOC: dma_resv
 *
 * Model: a ww mutex plus one array of (fence, usage) entries. The kernel
 * keeps the usage in the low bits of each pointer; here it is a field.
 *
 *   dma_resv                       dma_resv_list
 *   +------------------+           +-----+-----+---------------------------+
 *   | lock (ww)        |   fences  | num | cap | f0:WRITE f1:BOOKKEEP ...  |
 *   | fences_lock      | --------> +-----+-----+---------------------------+
 *   | seq, reserved    |             [0, num) live        [num, cap) free
 *   +------------------+
 *
 * Writers hold the ww lock, so there is only ever one; they store entries
 * under fences_lock, a small leaf mutex, and bump seq. Readers that do not
 * hold the ww lock (wait, test, export: the paths the kernel runs under
 * RCU) copy one entry at a time under fences_lock, taking a reference, and
 * do everything else (signalled checks, waits, puts) outside it; if seq
 * moved between two steps, the walk starts over and says so
 * (dma_resv_iter_is_restarted()), as the kernel's lockless iterator does.
 * Since readers never keep a pointer into the list across two steps, a
 * grown list can replace the old one and the old one can be freed at once:
 * no grace period is needed.
 *
 * Reservation: dma_resv_reserve_fences() guarantees num + reserved <= cap
 * for the rest of the locking session, growing (and pruning) the list if
 * needed; dma_resv_add_fence() consumes one reserved slot, whether it
 * appends or replaces, and panics without one. The kernel, in debug
 * builds, only catches an add that finds the list full; counting slots
 * catches a missing reserve even when a replacement would have hidden it.
 *
 * Locking annotations, beyond the ww mutex's own lockdep: a blocking lock
 * inside a fence signalling section is reported here, once, with the
 * signalling pseudo-lock hidden from the ww lock's own order check so the
 * same mistake is not reported again as an inversion; outside one, every
 * blocking lock records "reservation -> dma_fence_signalling" and
 * "reservation -> fs_reclaim" right after it is taken, the dependencies the
 * kernel primes once at boot (a resv holder may wait for fences and may
 * allocate). Priming on every lock keeps them in the graph across
 * u_lockdep_reset() at the cost of a few bit tests per lock.
 *
 * Rejected alternative: a read-write lock for readers instead of copying
 * entry by entry. Waiters would hold it while sleeping on a fence and
 * block every writer for that long; the kernel's readers never block
 * writers, and neither do these.
 */
#include "dma_resv.h"
#include "dma_fence_array.h"
#include "dma_internal.h"

#include <errno.h>

#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_log.h"

U_WW_CLASS(reservation_ww_class, "reservation_ww_class");
static U_LOCK_CLASS(dma_resv_fences_class, "dma_resv_fences");

/**
 * struct dma_resv_entry - one fence of a reservation object.
 * @fence: the fence, one reference.
 * @usage: what it does.
 */
struct dma_resv_entry {
	struct dma_fence *fence;
	enum dma_resv_usage usage;
};

/**
 * struct dma_resv_list - the fence array of a reservation object.
 * @num: live entries, at the front.
 * @cap: allocated entries.
 * @table: the entries.
 */
struct dma_resv_list {
	unsigned int num;
	unsigned int cap;
	struct dma_resv_entry table[];
};

void dma_resv_init(struct dma_resv *obj)
{
	u_ww_mutex_init(&obj->lock, &reservation_ww_class);
	u_mutex_init(&obj->fences_lock, &dma_resv_fences_class);
	obj->fences = NULL;
	obj->seq = 0;
	obj->reserved = 0;
}

void dma_resv_fini(struct dma_resv *obj)
{
	struct dma_resv_list *list = obj->fences;

	u_ww_mutex_fini(&obj->lock);
	if (list) {
		for (unsigned int i = 0; i < list->num; i++)
			dma_fence_put(list->table[i].fence);
		u_free(list);
	}
	obj->fences = NULL;
	u_mutex_fini(&obj->fences_lock);
}

/* ---- locking ----------------------------------------------------------- */

static int resv_lock_blocking(struct dma_resv *obj, struct u_ww_acquire_ctx *ctx, bool slow)
{
	bool in_signalling = dma_fence_in_signalling();
	int ret = 0;

	if (in_signalling) {
		dma_fence__report("dma_resv: blocking lock of a reservation object inside a "
				  "fence signalling section (its holder may wait for the fence "
				  "being signalled; only dma_resv_trylock() is allowed here)");
		dma_fence__signalling_hide();
	}
	if (slow)
		u_ww_mutex_lock_slow(&obj->lock, ctx);
	else
		ret = u_ww_mutex_lock(&obj->lock, ctx);
	if (in_signalling) {
		dma_fence__signalling_unhide();
	} else if (ret == 0) {
		/* The holder of a resv may wait for fences and may allocate. */
		dma_fence_might_wait();
		u_might_reclaim();
	}
	return ret;
}

int dma_resv_lock(struct dma_resv *obj, struct u_ww_acquire_ctx *ctx)
{
	return resv_lock_blocking(obj, ctx, false);
}

int dma_resv_lock_interruptible(struct dma_resv *obj, struct u_ww_acquire_ctx *ctx)
{
	return resv_lock_blocking(obj, ctx, false);
}

void dma_resv_lock_slow(struct dma_resv *obj, struct u_ww_acquire_ctx *ctx)
{
	resv_lock_blocking(obj, ctx, true);
}

int dma_resv_lock_slow_interruptible(struct dma_resv *obj, struct u_ww_acquire_ctx *ctx)
{
	resv_lock_blocking(obj, ctx, true);
	return 0;
}

bool dma_resv_trylock(struct dma_resv *obj)
{
	return u_ww_mutex_trylock(&obj->lock, NULL);
}

void dma_resv_unlock(struct dma_resv *obj)
{
	dma_resv_assert_held(obj);
	obj->reserved = 0;
	u_ww_mutex_unlock(&obj->lock);
}

bool dma_resv_held(const struct dma_resv *obj)
{
	return u_ww_mutex_is_held(&obj->lock);
}

struct u_ww_acquire_ctx *dma_resv_locking_ctx(struct dma_resv *obj)
{
	dma_resv_assert_held(obj);
	return obj->lock.ctx;
}

/* ---- adding fences ----------------------------------------------------- */

int dma_resv_reserve_fences(struct dma_resv *obj, unsigned int num_fences)
{
	struct dma_resv_list *old = obj->fences, *list;
	unsigned int num = old ? old->num : 0, cap = old ? old->cap : 0;
	unsigned int new_cap, j = 0, k;

	dma_resv_assert_held(obj);
	if (cap - num >= num_fences) {
		obj->reserved = u_max(obj->reserved, num_fences);
		return 0;
	}

	new_cap = u_max(num + num_fences, cap * 2);
	if (new_cap < 4)
		new_cap = 4;
	list = u_malloc(sizeof(*list) + (size_t)new_cap * sizeof(list->table[0]));
	if (!list)
		return -ENOMEM;
	/* Live fences to the front; signalled ones to the back, dropped after the swap. */
	k = new_cap;
	for (unsigned int i = 0; i < num; i++) {
		struct dma_resv_entry e = old->table[i];

		if (dma_fence_is_signaled(e.fence))
			list->table[--k] = e;
		else
			list->table[j++] = e;
	}
	list->num = j;
	list->cap = new_cap;

	u_mutex_lock(&obj->fences_lock);
	obj->fences = list;
	obj->seq++;
	u_mutex_unlock(&obj->fences_lock);

	for (unsigned int i = k; i < new_cap; i++)
		dma_fence_put(list->table[i].fence);
	u_free(old);
	obj->reserved = u_max(obj->reserved, num_fences);
	return 0;
}

void dma_resv_add_fence(struct dma_resv *obj, struct dma_fence *fence,
			enum dma_resv_usage usage)
{
	struct dma_resv_list *list = obj->fences;
	struct dma_fence *old = NULL;
	unsigned int i;

	dma_resv_assert_held(obj);
	if (!obj->reserved)
		u_panic("dma_resv_add_fence(%p): no fence slot reserved in this locking session "
			"(call dma_resv_reserve_fences() after locking)", (void *)obj);
	U_ASSERT(usage <= DMA_RESV_USAGE_BOOKKEEP);
	/* Containers hide their contents from replacement: add each fence alone. */
	U_WARN_ON(dma_fence_is_container(fence));

	dma_fence_get(fence);
	for (i = 0; i < list->num; i++) {
		struct dma_resv_entry *e = &list->table[i];

		if ((e->fence->context == fence->context && e->usage >= usage &&
		     dma_fence_is_later_or_same(fence, e->fence)) ||
		    dma_fence_is_signaled(e->fence))
			break;
	}

	u_mutex_lock(&obj->fences_lock);
	if (i < list->num) {
		old = list->table[i].fence;
	} else {
		U_ASSERT(list->num < list->cap);
		list->num++;
	}
	list->table[i].fence = fence;
	list->table[i].usage = usage;
	obj->seq++;
	u_mutex_unlock(&obj->fences_lock);

	obj->reserved--;
	dma_fence_put(old);
}

/* ---- iterating --------------------------------------------------------- */

void dma_resv_iter_begin(struct dma_resv_iter *cursor, struct dma_resv *obj,
			 enum dma_resv_usage usage)
{
	cursor->obj = obj;
	cursor->usage = usage;
	cursor->fence = NULL;
	cursor->fence_usage = DMA_RESV_USAGE_KERNEL;
	cursor->index = 0;
	cursor->seq = 0;
	cursor->is_restarted = false;
	cursor->locked = false;
}

void dma_resv_iter_end(struct dma_resv_iter *cursor)
{
	if (!cursor->locked)
		dma_fence_put(cursor->fence);
	cursor->fence = NULL;
}

/* Step an unlocked walk to the next unsignalled fence, restarting if the list changed. */
static struct dma_fence *iter_walk_unlocked(struct dma_resv_iter *cursor)
{
	struct dma_resv *obj = cursor->obj;

	for (;;) {
		struct dma_resv_list *list;
		struct dma_fence *fence = NULL;
		enum dma_resv_usage usage = DMA_RESV_USAGE_KERNEL;

		u_mutex_lock(&obj->fences_lock);
		if (obj->seq != cursor->seq) {
			cursor->seq = obj->seq;
			cursor->index = 0;
			cursor->is_restarted = true;
		}
		list = obj->fences;
		while (list && cursor->index < list->num) {
			struct dma_resv_entry *e = &list->table[cursor->index++];

			if (e->usage <= cursor->usage) {
				fence = dma_fence_get(e->fence);
				usage = e->usage;
				break;
			}
		}
		u_mutex_unlock(&obj->fences_lock);

		if (!fence || !dma_fence_is_signaled(fence)) {
			cursor->fence = fence;
			cursor->fence_usage = usage;
			return fence;
		}
		dma_fence_put(fence);
	}
}

struct dma_fence *dma_resv_iter_first_unlocked(struct dma_resv_iter *cursor)
{
	dma_fence_put(cursor->fence);
	cursor->fence = NULL;
	cursor->locked = false;
	cursor->index = 0;
	u_mutex_lock(&cursor->obj->fences_lock);
	cursor->seq = cursor->obj->seq;
	u_mutex_unlock(&cursor->obj->fences_lock);
	cursor->is_restarted = true;
	return iter_walk_unlocked(cursor);
}

struct dma_fence *dma_resv_iter_next_unlocked(struct dma_resv_iter *cursor)
{
	dma_fence_put(cursor->fence);
	cursor->fence = NULL;
	cursor->is_restarted = false;
	return iter_walk_unlocked(cursor);
}

struct dma_fence *dma_resv_iter_next(struct dma_resv_iter *cursor)
{
	struct dma_resv_list *list = cursor->obj->fences;

	dma_resv_assert_held(cursor->obj);
	cursor->is_restarted = false;
	while (list && cursor->index < list->num) {
		struct dma_resv_entry *e = &list->table[cursor->index++];

		if (e->usage <= cursor->usage) {
			cursor->fence = e->fence;
			cursor->fence_usage = e->usage;
			return e->fence;
		}
	}
	cursor->fence = NULL;
	return NULL;
}

struct dma_fence *dma_resv_iter_first(struct dma_resv_iter *cursor)
{
	struct dma_fence *fence;

	cursor->locked = true;
	cursor->index = 0;
	fence = dma_resv_iter_next(cursor);
	cursor->is_restarted = true;
	return fence;
}

/* ---- readers ----------------------------------------------------------- */

int dma_resv_get_fences(struct dma_resv *obj, enum dma_resv_usage usage,
			unsigned int *num_fences, struct dma_fence ***fences)
{
	struct dma_fence **array;
	unsigned int count, n;
	uint64_t seq;

	*num_fences = 0;
	*fences = NULL;
	for (;;) {
		struct dma_resv_list *list;

		u_mutex_lock(&obj->fences_lock);
		list = obj->fences;
		count = 0;
		for (unsigned int i = 0; list && i < list->num; i++)
			count += list->table[i].usage <= usage;
		seq = obj->seq;
		u_mutex_unlock(&obj->fences_lock);
		if (!count)
			return 0;

		array = u_calloc(count, sizeof(*array));
		if (!array)
			return -ENOMEM;

		u_mutex_lock(&obj->fences_lock);
		if (obj->seq == seq)
			break;	/* fill with the lock held */
		u_mutex_unlock(&obj->fences_lock);
		u_free(array);	/* changed while allocating: count again */
	}
	n = 0;
	for (unsigned int i = 0; i < obj->fences->num; i++)
		if (obj->fences->table[i].usage <= usage)
			array[n++] = dma_fence_get(obj->fences->table[i].fence);
	u_mutex_unlock(&obj->fences_lock);

	/* Drop the signalled ones outside the lock (testing may signal). */
	count = n;
	n = 0;
	for (unsigned int i = 0; i < count; i++) {
		if (dma_fence_is_signaled(array[i]))
			dma_fence_put(array[i]);
		else
			array[n++] = array[i];
	}
	if (!n) {
		u_free(array);
		return 0;
	}
	*num_fences = n;
	*fences = array;
	return 0;
}

int dma_resv_get_singleton(struct dma_resv *obj, enum dma_resv_usage usage,
			   struct dma_fence **fence)
{
	struct dma_fence_array *array;
	struct dma_fence **fences;
	unsigned int n;
	int ret;

	*fence = NULL;
	ret = dma_resv_get_fences(obj, usage, &n, &fences);
	if (ret)
		return ret;
	if (n == 0)
		return 0;
	if (n == 1) {
		*fence = fences[0];
		u_free(fences);
		return 0;
	}
	array = dma_fence_array_create(n, fences, dma_fence_context_alloc(1), 1, false);
	if (IS_ERR(array)) {
		for (unsigned int i = 0; i < n; i++)
			dma_fence_put(fences[i]);
		u_free(fences);
		return PTR_ERR(array);
	}
	*fence = &array->base;
	return 0;
}

int64_t dma_resv_wait_timeout(struct dma_resv *obj, enum dma_resv_usage usage, bool intr,
			      int64_t timeout_ns)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	int64_t deadline, left;

	dma_fence_might_wait();
	if (U_WARN_ON(timeout_ns < 0))
		return -EINVAL;
	if (timeout_ns == 0)
		return dma_resv_test_signaled(obj, usage) ? 1 : -ETIME;

	deadline = dma_fence__deadline(timeout_ns);
	dma_resv_iter_begin(&cursor, obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (dma_fence_wait_until(fence, intr, deadline)) {
			dma_resv_iter_end(&cursor);
			return -ETIME;
		}
	}
	dma_resv_iter_end(&cursor);
	if (timeout_ns == DMA_FENCE_TIMEOUT_INFINITE)
		return DMA_FENCE_TIMEOUT_INFINITE;
	left = deadline - dma_fence_now_ns();
	return left > 0 ? left : 1;
}

bool dma_resv_test_signaled(struct dma_resv *obj, enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	dma_resv_iter_begin(&cursor, obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		dma_resv_iter_end(&cursor);
		return false;
	}
	dma_resv_iter_end(&cursor);
	return true;
}

/* ---- checks ------------------------------------------------------------ */

unsigned int dma_resv_num_fences(struct dma_resv *obj)
{
	unsigned int n;

	u_mutex_lock(&obj->fences_lock);
	n = obj->fences ? obj->fences->num : 0;
	u_mutex_unlock(&obj->fences_lock);
	return n;
}

int dma_resv_validate(struct dma_resv *obj)
{
	struct dma_resv_list *list;
	const char *broken = NULL;
	unsigned int bad = 0;

	u_mutex_lock(&obj->fences_lock);
	list = obj->fences;
	if (list && list->num > list->cap) {
		broken = "more live entries than capacity";
	} else if (dma_resv_held(obj) &&
		   (list ? list->cap - list->num : 0) < obj->reserved) {
		broken = "fewer free slots than reserved";
	} else {
		for (unsigned int i = 0; list && i < list->num && !broken; i++) {
			struct dma_resv_entry *e = &list->table[i];

			bad = i;
			if (!e->fence)
				broken = "NULL fence";
			else if (u_refcount_read(&e->fence->refcount) <= 0)
				broken = "dead fence (refcount <= 0)";
			else if (e->usage > DMA_RESV_USAGE_BOOKKEEP)
				broken = "invalid usage";
			else if (dma_fence_is_container(e->fence))
				broken = "container fence";
		}
	}
	u_mutex_unlock(&obj->fences_lock);
	if (broken) {
		u_err("dma_resv", "dma_resv %p: %s (entry %u)", (void *)obj, broken, bad);
		return -EUCLEAN;
	}
	return 0;
}
