/* SPDX-License-Identifier: MIT */
/*
 * dma_resv: the reservation object of a buffer (or of a VM): a ww mutex of
 * the project-wide class reservation_ww_class, plus the fences of the work
 * that uses the buffer, each with a usage saying what it does.
 *
 * Writers (adding fences) hold the lock; readers (waiting, testing,
 * exporting) do not need it. Adding is split in two as everything on a
 * fence-signalling path is: dma_resv_reserve_fences() may allocate and
 * fail, dma_resv_add_fence() consumes a reserved slot and cannot.
 *
 * Several resvs are locked together with struct drm_exec (drm_exec.h).
 */
#ifndef PANTOMIME_DMA_RESV_H
#define PANTOMIME_DMA_RESV_H

#include <stdbool.h>
#include <stdint.h>

#include "dma_fence.h"
#include "util/u_lock.h"

/**
 * enum dma_resv_usage - what a fence in a resv does with the buffer, from
 * strongest to weakest. Asking for fences "up to" a usage returns every
 * fence of that usage and of the stronger ones (lower values).
 * @DMA_RESV_USAGE_KERNEL: kernel-internal work (moves, clears) that every
 *                         user must wait for.
 * @DMA_RESV_USAGE_WRITE: implicit-sync writers.
 * @DMA_RESV_USAGE_READ: implicit-sync readers.
 * @DMA_RESV_USAGE_BOOKKEEP: explicitly synchronised work (VM_BIND and GPU
 *                           jobs under panthor): invisible to implicit
 *                           sync, waited for only by memory management
 *                           (eviction, destruction).
 */
enum dma_resv_usage {
	DMA_RESV_USAGE_KERNEL,
	DMA_RESV_USAGE_WRITE,
	DMA_RESV_USAGE_READ,
	DMA_RESV_USAGE_BOOKKEEP,
};

/**
 * dma_resv_usage_rw() - the usage an access must wait for.
 * @write: the access writes.
 *
 * Return: a writer waits for readers and writers (READ), a reader only
 * for writers (WRITE).
 */
static inline enum dma_resv_usage dma_resv_usage_rw(bool write)
{
	return write ? DMA_RESV_USAGE_READ : DMA_RESV_USAGE_WRITE;
}

/**
 * reservation_ww_class - the ww class of every dma_resv lock, project-wide.
 * Its lockdep classes are "reservation_ww_class_acquire" (the acquire
 * context) and "reservation_ww_class_mutex" (the locks).
 */
extern struct u_ww_class reservation_ww_class;

struct dma_resv_list;

/**
 * struct dma_resv - a reservation object, embedded in a BO or VM.
 * @lock: the ww mutex; protects @reserved and is required to change
 *        @fences. Order: reservation_ww_class_acquire ->
 *        reservation_ww_class_mutex -> dma_resv_fences; a signalling
 *        section may only trylock it.
 * @fences_lock: lock class "dma_resv_fences", a leaf: protects the
 *               pointer @fences, the list's contents and @seq for readers
 *               without @lock. Held only to read or store entries, never
 *               across a call out (fence ops, waits, puts).
 * @fences: the fence list (NULL while empty and never reserved).
 * @seq: bumped on every change of @fences, so lockless iterators restart.
 * @reserved: slots dma_resv_reserve_fences() promised for this locking
 *            session; each dma_resv_add_fence() consumes one, unlock
 *            forgets them (protected by @lock).
 */
struct dma_resv {
	struct u_ww_mutex lock;
	struct u_mutex fences_lock;
	struct dma_resv_list *fences;
	uint64_t seq;
	unsigned int reserved;
};

/** dma_resv_init() - initialise an empty, unlocked @obj (no allocation). */
void dma_resv_init(struct dma_resv *obj);
/** dma_resv_fini() - drop every fence of @obj and free its list; @obj must be unlocked. */
void dma_resv_fini(struct dma_resv *obj);

/**
 * dma_resv_lock() - lock @obj, sleeping while another thread holds it.
 * @obj: the reservation object.
 * @ctx: the acquire context when locking several (drm_exec), or NULL.
 *
 * A blocking lock: a lockdep report inside a fence signalling section
 * (see dma_fence_begin_signalling()), and it records "reservation ->
 * dma_fence_signalling" and "reservation -> fs_reclaim": whoever holds a
 * resv may wait for fences and allocate, so a shrinker must trylock.
 *
 * Return: 0; -EALREADY if @ctx already holds @obj; -EDEADLK when @ctx must
 * back off (release all its resvs, then dma_resv_lock_slow() @obj).
 */
int dma_resv_lock(struct dma_resv *obj, struct u_ww_acquire_ctx *ctx);
/** dma_resv_lock_interruptible() - dma_resv_lock() (no signals in user space). Return: as dma_resv_lock(). */
int dma_resv_lock_interruptible(struct dma_resv *obj, struct u_ww_acquire_ctx *ctx);
/** dma_resv_lock_slow() - after -EDEADLK and backoff, sleep until @obj is free and take it under @ctx. */
void dma_resv_lock_slow(struct dma_resv *obj, struct u_ww_acquire_ctx *ctx);
/** dma_resv_lock_slow_interruptible() - dma_resv_lock_slow(). Return: 0. */
int dma_resv_lock_slow_interruptible(struct dma_resv *obj, struct u_ww_acquire_ctx *ctx);
/** dma_resv_trylock() - Return: true if @obj was free and is now held (no context; allowed anywhere). */
bool dma_resv_trylock(struct dma_resv *obj);
/** dma_resv_unlock() - release @obj; forgets its reserved slots. */
void dma_resv_unlock(struct dma_resv *obj);
/** dma_resv_held() - Return: whether the calling thread holds @obj. */
bool dma_resv_held(const struct dma_resv *obj);
/** dma_resv_assert_held() - abort unless the calling thread holds @obj. */
#define dma_resv_assert_held(obj) u_ww_mutex_assert_held(&(obj)->lock)
/** dma_resv_locking_ctx() - Return: the acquire context @obj is held under, or NULL (read by the holder). */
struct u_ww_acquire_ctx *dma_resv_locking_ctx(struct dma_resv *obj);

/**
 * dma_resv_reserve_fences() - make room for @num_fences dma_resv_add_fence() calls.
 * @obj: the object, locked by the caller.
 * @num_fences: calls to allow in this locking session (reservations do not
 *              add up: the largest request of the session counts, as in
 *              the kernel).
 *
 * Grows the list if needed, pruning signalled fences while copying.
 *
 * Return: 0 or -ENOMEM (nothing changed).
 */
int dma_resv_reserve_fences(struct dma_resv *obj, unsigned int num_fences);

/**
 * dma_resv_add_fence() - record @fence with @usage in @obj.
 * @obj: the object, locked by the caller, with a slot reserved in this
 *       locking session (u_panic otherwise: stricter than the kernel,
 *       which only fails when the list is actually full).
 * @fence: the fence; @obj takes its own reference. Containers (chains,
 *         arrays) are a caller mistake, warned about as in the kernel.
 * @usage: what the fence does.
 *
 * Never allocates. It replaces, rather than appends, the first entry that
 * is either signalled or from @fence's context with a usage no stronger
 * than @usage and no later seqno (the new fence implies it).
 */
void dma_resv_add_fence(struct dma_resv *obj, struct dma_fence *fence,
			enum dma_resv_usage usage);

/**
 * struct dma_resv_iter - a cursor over the fences of a resv.
 * @obj: the object.
 * @usage: return fences with this usage or a stronger one.
 * @fence: the current fence; with the unlocked variants the cursor holds a
 *         reference to it.
 * @fence_usage: the current fence's usage.
 * @index: position of the next entry to look at.
 * @seq: &dma_resv.seq when the walk (re)started (unlocked variants).
 * @is_restarted: the list changed under an unlocked walk and it started
 *                over from the first fence: the caller must drop what it
 *                gathered so far.
 * @locked: the walk is a locked one (no reference in @fence).
 */
struct dma_resv_iter {
	struct dma_resv *obj;
	enum dma_resv_usage usage;
	struct dma_fence *fence;
	enum dma_resv_usage fence_usage;
	unsigned int index;
	uint64_t seq;
	bool is_restarted;
	bool locked;
};

/** dma_resv_iter_begin() - set up @cursor over @obj's fences up to @usage. */
void dma_resv_iter_begin(struct dma_resv_iter *cursor, struct dma_resv *obj,
			 enum dma_resv_usage usage);
/** dma_resv_iter_end() - finish a walk, dropping the cursor's reference if it holds one. */
void dma_resv_iter_end(struct dma_resv_iter *cursor);
/**
 * dma_resv_iter_first_unlocked() - start a walk without the lock.
 * Return: the first unsignalled fence (the cursor holds a reference), or NULL.
 */
struct dma_fence *dma_resv_iter_first_unlocked(struct dma_resv_iter *cursor);
/**
 * dma_resv_iter_next_unlocked() - the next unsignalled fence, restarting
 * from the first (and setting @cursor->is_restarted) if the list changed.
 * Return: the fence or NULL.
 */
struct dma_fence *dma_resv_iter_next_unlocked(struct dma_resv_iter *cursor);
/** dma_resv_iter_is_restarted() - Return: whether the last step restarted the walk. */
static inline bool dma_resv_iter_is_restarted(const struct dma_resv_iter *cursor)
{
	return cursor->is_restarted;
}
/**
 * dma_resv_iter_first() - start a walk with the lock held.
 * Return: the first fence up to the usage, signalled or not (no reference
 * taken: the lock keeps it), or NULL.
 */
struct dma_fence *dma_resv_iter_first(struct dma_resv_iter *cursor);
/** dma_resv_iter_next() - Return: the next fence of a locked walk, or NULL. */
struct dma_fence *dma_resv_iter_next(struct dma_resv_iter *cursor);

/**
 * dma_resv_for_each_fence_unlocked() - walk unsignalled fences without the lock.
 * @cursor: set up with dma_resv_iter_begin(); call dma_resv_iter_end() after.
 * @fence: the current fence (a reference owned by the cursor).
 */
#define dma_resv_for_each_fence_unlocked(cursor, fence)                     \
	for (fence = dma_resv_iter_first_unlocked(cursor); fence;          \
	     fence = dma_resv_iter_next_unlocked(cursor))

/**
 * dma_resv_for_each_fence() - walk the fences up to @usage with the lock held.
 * @cursor: a struct dma_resv_iter.
 * @obj: the locked object.
 * @usage: the weakest usage to return.
 * @fence: the current fence (no reference).
 */
#define dma_resv_for_each_fence(cursor, obj, usage, fence)                  \
	for (dma_resv_iter_begin(cursor, obj, usage),                       \
	     fence = dma_resv_iter_first(cursor); fence;                    \
	     fence = dma_resv_iter_next(cursor))

/**
 * dma_resv_get_fences() - references to the unsignalled fences up to @usage.
 * @obj: the object (no lock needed).
 * @usage: the weakest usage to return.
 * @num_fences: receives the count.
 * @fences: receives a u_malloc()ed array (NULL when the count is 0); the
 *          caller puts each fence and u_free()s it.
 *
 * Return: 0 or -ENOMEM (*@num_fences 0, *@fences NULL).
 */
int dma_resv_get_fences(struct dma_resv *obj, enum dma_resv_usage usage,
			unsigned int *num_fences, struct dma_fence ***fences);
/**
 * dma_resv_get_singleton() - one fence standing for every unsignalled
 * fence up to @usage: NULL if there is none, the fence itself if there is
 * one, else a new dma_fence_array (what a sync file export of a BO gives).
 * @obj: the object (no lock needed).
 * @usage: the weakest usage to include.
 * @fence: receives the reference or NULL.
 *
 * Return: 0 or -ENOMEM.
 */
int dma_resv_get_singleton(struct dma_resv *obj, enum dma_resv_usage usage,
			   struct dma_fence **fence);

/**
 * dma_resv_wait_timeout() - wait for every fence up to @usage.
 * @obj: the object (no lock needed; holding it is allowed).
 * @usage: the weakest usage to wait for.
 * @intr: ignored, as in dma_fence_wait_timeout().
 * @timeout_ns: relative timeout in ns, or DMA_FENCE_TIMEOUT_INFINITE.
 *
 * A fence wait for the signalling-section checks.
 *
 * Return: time left (at least 1, or DMA_FENCE_TIMEOUT_INFINITE), or -ETIME.
 */
int64_t dma_resv_wait_timeout(struct dma_resv *obj, enum dma_resv_usage usage, bool intr,
			      int64_t timeout_ns);
/** dma_resv_test_signaled() - Return: whether every fence up to @usage has signalled (no lock needed, no wait). */
bool dma_resv_test_signaled(struct dma_resv *obj, enum dma_resv_usage usage);

/**
 * dma_resv_validate() - check @obj's invariants: list bounds, reserved
 * slots within capacity, every entry a live fence with a valid usage, no
 * container fence.
 *
 * Return: 0, or -EUCLEAN after logging the first broken invariant.
 */
int dma_resv_validate(struct dma_resv *obj);
/** dma_resv_num_fences() - Return: entries currently in @obj's list, signalled or not (tests, debugging). */
unsigned int dma_resv_num_fences(struct dma_resv *obj);

#endif
