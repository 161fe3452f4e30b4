/* SPDX-License-Identifier: MIT */
/*
 * dma_fence: a one-shot completion event shared by reference, in the shape
 * of the kernel's struct dma_fence. A fence is created unsignalled, is
 * signalled exactly once (optionally with an error set just before), and
 * then stays signalled. Anyone holding a reference can test it, wait for it
 * with a timeout, or register a callback that runs when it signals.
 *
 * Fences live on timelines: a context number (dma_fence_context_alloc())
 * and a sequence number ordered within that context.
 *
 * Fence signalling critical sections: the code between a job becoming
 * runnable and its fence being signalled (dma_fence_begin_signalling() ..
 * dma_fence_end_signalling(), and every dma_fence_signal() with the
 * callbacks it runs) must not wait for another fence, must not take a
 * blocking dma_resv lock and must not allocate memory, or a fence may never
 * signal. See dma_fence_begin_signalling() for exactly what is checked.
 */
#ifndef PANTOMIME_DMA_FENCE_H
#define PANTOMIME_DMA_FENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/u_list.h"
#include "util/u_lock.h"
#include "util/u_refcount.h"

struct dma_fence;
struct dma_fence_cb;

/**
 * DMA_FENCE_TIMEOUT_INFINITE - relative timeout meaning "no timeout" (the
 * kernel's MAX_SCHEDULE_TIMEOUT); a wait given it returns it on success.
 */
#define DMA_FENCE_TIMEOUT_INFINITE INT64_MAX

/**
 * enum dma_fence_flag_bits - bit numbers in &dma_fence.flags.
 * @DMA_FENCE_FLAG_SIGNALED_BIT: the fence is signalled (set once, never cleared).
 * @DMA_FENCE_FLAG_TIMESTAMP_BIT: &dma_fence.timestamp is valid.
 * @DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT: &dma_fence_ops.enable_signaling was called.
 * @DMA_FENCE_FLAG_USER_BITS: first bit free for the fence's implementation.
 */
enum dma_fence_flag_bits {
	DMA_FENCE_FLAG_SIGNALED_BIT,
	DMA_FENCE_FLAG_TIMESTAMP_BIT,
	DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
	DMA_FENCE_FLAG_USER_BITS,
};

/**
 * typedef dma_fence_func_t - a fence callback.
 * @fence: the fence that signalled.
 * @cb: the callback structure given to dma_fence_add_callback().
 *
 * Runs once, in the thread that signals @fence, inside that thread's fence
 * signalling section (no allocation, no fence waits, no blocking resv
 * locks), WITHOUT @fence's lock held. It may free the structure embedding
 * @cb, signal other fences and add callbacks (on any fence), but must not
 * call dma_fence_remove_callback() for another callback of @fence: that
 * one is already detached and will run anyway.
 */
typedef void (*dma_fence_func_t)(struct dma_fence *fence, struct dma_fence_cb *cb);

/**
 * struct dma_fence_cb - a callback registration, embedded by its user.
 * @node: link in &dma_fence.cb_list while pending; self-linked otherwise.
 * @func: the function to run.
 */
struct dma_fence_cb {
	struct u_list node;
	dma_fence_func_t func;
};

/**
 * struct dma_fence_ops - what a fence implementation provides.
 * @use_64bit_seqno: seqnos compare as 64-bit numbers; otherwise as 32-bit
 *                   numbers with wrap-around (as the kernel does).
 * @get_driver_name: name of the driver that owns the fence (not NULL).
 *                   Called from any thread, for debugging output.
 * @get_timeline_name: name of the fence's timeline (not NULL). Same rules.
 * @enable_signaling: optional. Called at most once per fence, the first
 *                   time someone needs it to signal by itself (a callback is
 *                   added or a wait starts), from that thread, WITHOUT the
 *                   fence's lock held (unlike the kernel: here a container
 *                   fence enables its components, whose locks are of the same
 *                   class). Return false if the fence already signalled (the
 *                   caller then signals it), true otherwise.
 * @signaled: optional. Return true if the fence has completed although
 *            dma_fence_signal() was not called yet; the caller then signals
 *            it. Called from dma_fence_is_signaled() on any thread, without
 *            locks of this module held.
 * @release: optional. Free the fence; called once, when the last reference
 *           goes, from the thread that dropped it. NULL means the fence was
 *           allocated with u_malloc() at its start and is u_free()d.
 */
struct dma_fence_ops {
	bool use_64bit_seqno;
	const char *(*get_driver_name)(struct dma_fence *fence);
	const char *(*get_timeline_name)(struct dma_fence *fence);
	bool (*enable_signaling)(struct dma_fence *fence);
	bool (*signaled)(struct dma_fence *fence);
	void (*release)(struct dma_fence *fence);
};

/**
 * struct dma_fence - a completion event, embedded by its implementation.
 * @ops: the implementation; set once by dma_fence_init().
 * @context: timeline number; set once.
 * @seqno: position on the timeline; set once.
 * @refcount: references; the fence is released when it drops to zero.
 * @flags: enum dma_fence_flag_bits, accessed with atomic bit operations.
 *         SIGNALED is set with release ordering under @lock.
 * @timestamp: CLOCK_MONOTONIC time of signalling in ns, valid once
 *             DMA_FENCE_FLAG_TIMESTAMP_BIT is set (written before SIGNALED).
 * @error: 0 or a negative errno set by dma_fence_set_error() before signalling.
 * @lock: protects @cb_list and the transition to signalled. Lock class
 *        "dma_fence_lock"; a leaf: nothing else is taken while it is held,
 *        and no callback, op or release runs under it.
 * @cb_list: pending callbacks, protected by @lock.
 * @cb_runner: identifies the signalling thread (the address of one of its
 *             thread-local variables) while it runs the detached callbacks,
 *             NULL otherwise (atomic; dma_fence_remove_callback() waits for
 *             it to clear).
 */
struct dma_fence {
	const struct dma_fence_ops *ops;
	uint64_t context;
	uint64_t seqno;
	struct u_refcount refcount;
	unsigned long flags;
	int64_t timestamp;
	int error;
	struct u_mutex lock;
	struct u_list cb_list;
	const void *cb_runner;
};

/**
 * dma_fence_init() - initialise an embedded fence, unsignalled, with one reference.
 * @fence: the fence.
 * @ops: its implementation (static storage).
 * @context: timeline from dma_fence_context_alloc().
 * @seqno: position on the timeline.
 *
 * Unlike the kernel, the fence always uses its own lock (there is no
 * shared per-timeline spinlock to pass in).
 */
void dma_fence_init(struct dma_fence *fence, const struct dma_fence_ops *ops,
		    uint64_t context, uint64_t seqno);

/**
 * dma_fence_context_alloc() - reserve @num consecutive timeline numbers.
 * @num: how many (at least 1).
 *
 * Return: the first one; numbers are never reused and never 0 (the stub
 * fence's context).
 */
uint64_t dma_fence_context_alloc(unsigned int num);

/** dma_fence_get() - take a reference. Return: @fence (NULL is passed through). */
struct dma_fence *dma_fence_get(struct dma_fence *fence);
/**
 * dma_fence_get_unless_zero() - take a reference unless the count already
 * dropped to zero. Return: true if taken.
 */
bool dma_fence_get_unless_zero(struct dma_fence *fence);
/** dma_fence_put() - drop a reference, releasing the fence on the last one; NULL is a no-op. */
void dma_fence_put(struct dma_fence *fence);
/** dma_fence_free() - u_free() a fence; for &dma_fence_ops.release implementations. */
void dma_fence_free(struct dma_fence *fence);

/**
 * dma_fence_signal() - signal @fence: mark it, stamp the time, run its callbacks.
 * @fence: the fence; the caller holds a reference across the call.
 *
 * Runs inside a fence signalling section of its own (nested in the
 * caller's if any), so it never allocates, and the callbacks run in this
 * thread, in the order they were added, without @fence's lock held.
 *
 * Return: 0, or -EINVAL if @fence was already signalled (nothing done).
 */
int dma_fence_signal(struct dma_fence *fence);
/**
 * dma_fence_signal_timestamp() - dma_fence_signal() with a given time.
 * @fence: the fence.
 * @timestamp: CLOCK_MONOTONIC ns to record.
 *
 * Return: 0, or -EINVAL if @fence was already signalled.
 */
int dma_fence_signal_timestamp(struct dma_fence *fence, int64_t timestamp);

/**
 * dma_fence_set_error() - record an error to report when @fence signals.
 * @fence: an unsignalled fence.
 * @error: a negative errno.
 *
 * Call before dma_fence_signal(). On an already signalled fence it warns
 * (U_WARN_ON, as the kernel's WARN) and changes nothing.
 */
void dma_fence_set_error(struct dma_fence *fence, int error);

/**
 * dma_fence_is_signaled() - test @fence, letting &dma_fence_ops.signaled
 * signal it if it completed on its own.
 *
 * Return: true if signalled.
 */
bool dma_fence_is_signaled(struct dma_fence *fence);
/** dma_fence_test_signaled_flag() - Return: whether the SIGNALED bit is set (no op is called). */
bool dma_fence_test_signaled_flag(const struct dma_fence *fence);
/**
 * dma_fence_get_status() - the outcome of @fence.
 *
 * Return: 0 while unsignalled, 1 when signalled without error, or the
 * negative errno given to dma_fence_set_error().
 */
int dma_fence_get_status(struct dma_fence *fence);
/**
 * dma_fence_timestamp() - Return: the signalling time (CLOCK_MONOTONIC ns)
 * of a signalled fence; 0 if it is not signalled.
 */
int64_t dma_fence_timestamp(const struct dma_fence *fence);

/**
 * dma_fence_is_later() - compare two fences of one context.
 * @f1: a fence.
 * @f2: a fence of the same context (warns otherwise and returns false).
 *
 * Return: true if @f1 comes strictly after @f2 on their timeline.
 */
bool dma_fence_is_later(const struct dma_fence *f1, const struct dma_fence *f2);
/** dma_fence_is_later_or_same() - Return: @f1 == @f2 or dma_fence_is_later(@f1, @f2). */
bool dma_fence_is_later_or_same(const struct dma_fence *f1, const struct dma_fence *f2);
/**
 * dma_fence_seqno_is_later() - Return: whether seqno @a comes after seqno
 * @b under the comparison rule of @ops (64-bit, or 32-bit with wrap).
 */
bool dma_fence_seqno_is_later(uint64_t a, uint64_t b, const struct dma_fence_ops *ops);

/**
 * dma_fence_enable_sw_signaling() - call &dma_fence_ops.enable_signaling
 * once if the fence has it and is not yet signalled (signalling the fence
 * if the op says it already completed).
 */
void dma_fence_enable_sw_signaling(struct dma_fence *fence);

/**
 * dma_fence_add_callback() - run @func when @fence signals.
 * @fence: the fence.
 * @cb: registration storage, owned by the caller until the callback ran
 *      or was removed.
 * @func: the callback (see dma_fence_func_t for its rules).
 *
 * Enables signalling first (dma_fence_enable_sw_signaling()).
 *
 * Return: 0 when registered; -ENOENT if @fence is already signalled, in
 * which case @func is not called and @cb is left initialised (self-linked)
 * so dma_fence_remove_callback() on it returns false.
 */
int dma_fence_add_callback(struct dma_fence *fence, struct dma_fence_cb *cb,
			   dma_fence_func_t func);
/**
 * dma_fence_remove_callback() - unregister @cb.
 * @fence: the fence @cb was added to.
 * @cb: the registration.
 *
 * If @fence is signalling in another thread right now, waits until that
 * thread has finished running the callbacks, so that when this returns
 * @cb's function is not running and will not run.
 *
 * Return: true if @cb was pending and is now removed (its function will
 * never run), false if it already ran, is running in this thread, or was
 * never added.
 */
bool dma_fence_remove_callback(struct dma_fence *fence, struct dma_fence_cb *cb);

/**
 * dma_fence_wait_timeout() - sleep until @fence signals or @timeout_ns passes.
 * @fence: the fence.
 * @intr: ignored: user-space threads get no signals to abort for, so the
 *        wait never returns -ERESTARTSYS.
 * @timeout_ns: relative timeout in ns; 0 only tests; DMA_FENCE_TIMEOUT_INFINITE.
 *
 * A wait is annotated as such for the signalling-section checks
 * (dma_fence_might_wait()), even when the fence is already signalled.
 *
 * Return: the time left in ns, at least 1 (so that code written for the
 * kernel's "0 means timed out" stays correct), DMA_FENCE_TIMEOUT_INFINITE
 * for an infinite wait; -ETIME if the timeout passed first.
 */
int64_t dma_fence_wait_timeout(struct dma_fence *fence, bool intr, int64_t timeout_ns);
/**
 * dma_fence_wait_until() - sleep until @fence signals or the absolute
 * CLOCK_MONOTONIC time @deadline_ns.
 * @fence: the fence.
 * @intr: ignored (as for dma_fence_wait_timeout()).
 * @deadline_ns: absolute time in ns; a time in the past only tests.
 *
 * Return: 0 if signalled, -ETIME if the deadline passed first.
 */
int dma_fence_wait_until(struct dma_fence *fence, bool intr, int64_t deadline_ns);
/** dma_fence_wait() - sleep until @fence signals (@intr ignored). Return: 0. */
int dma_fence_wait(struct dma_fence *fence, bool intr);
/**
 * dma_fence_wait_any_timeout() - sleep until one of @fences signals.
 * @fences: array of @count fences (none NULL).
 * @count: at least 1.
 * @intr: ignored.
 * @timeout_ns: relative, as for dma_fence_wait_timeout().
 * @idx: if not NULL, receives the index of a signalled fence on success.
 *
 * Return: as dma_fence_wait_timeout(); -EINVAL if @count is 0; -ENOMEM if
 * the per-fence callbacks could not be allocated.
 */
int64_t dma_fence_wait_any_timeout(struct dma_fence **fences, uint32_t count, bool intr,
				   int64_t timeout_ns, uint32_t *idx);

/**
 * dma_fence_get_stub() - Return: a new reference to the process-wide fence
 * that is always signalled (context 0, seqno 0, never released).
 */
struct dma_fence *dma_fence_get_stub(void);
/**
 * dma_fence_allocate_private_stub() - an already signalled fence of its own.
 * @timestamp: its signalling time (CLOCK_MONOTONIC ns).
 *
 * Return: the fence (one reference), or ERR_PTR(-ENOMEM).
 */
struct dma_fence *dma_fence_allocate_private_stub(int64_t timestamp);

/**
 * dma_fence_begin_signalling() - enter a fence signalling critical section.
 *
 * Between this and dma_fence_end_signalling() the calling thread promises
 * to make progress towards signalling fences without depending on anything
 * that itself waits for fences. Checked, in this thread, while inside:
 *
 *  - any allocation through u_alloc.h aborts (u_alloc_forbid_begin() with
 *    the reason "fence signalling");
 *  - waiting for a fence (every dma_fence_wait*(), dma_resv_wait_timeout(),
 *    drm_syncobj waits) is a lockdep report;
 *  - a blocking dma_resv lock (dma_resv_lock*(), drm_exec) is a lockdep
 *    report; dma_resv_trylock() is fine;
 *  - through the lockdep graph: the section is the pseudo-lock
 *    "dma_fence_signalling", entered like a trylock (taking it adds no
 *    dependency, so a fence may be signalled under any lock). A lock L
 *    taken inside records "dma_fence_signalling -> L"; a fence wait records
 *    "L -> dma_fence_signalling" for each lock L held while waiting; every
 *    blocking dma_resv lock records "dma_resv -> dma_fence_signalling"
 *    (its holder may wait). So "take L while signalling" plus "wait, or
 *    block on a resv, while holding L" anywhere, any time, is reported as a
 *    circular dependency even if the two never race.
 *
 * Sections nest; dma_fence_signal() opens one of its own. The lockdep
 * checks are active when the lockdep is (u_lockdep.h); the allocation
 * check always is.
 *
 * Return: a cookie for dma_fence_end_signalling(): true if the thread was
 * already inside a section.
 */
bool dma_fence_begin_signalling(void);
/** dma_fence_end_signalling() - leave the section opened by the call that returned @cookie. */
void dma_fence_end_signalling(bool cookie);
/** dma_fence_in_signalling() - Return: whether this thread is inside a signalling section. */
bool dma_fence_in_signalling(void);
/**
 * dma_fence_might_wait() - annotate that the caller may now wait for a
 * fence: a lockdep report inside a signalling section, and otherwise an
 * order check "each held lock -> dma_fence_signalling".
 */
void dma_fence_might_wait(void);

/** dma_fence_driver_name() - Return: &dma_fence_ops.get_driver_name of @fence (for messages). */
const char *dma_fence_driver_name(struct dma_fence *fence);
/** dma_fence_timeline_name() - Return: &dma_fence_ops.get_timeline_name of @fence (for messages). */
const char *dma_fence_timeline_name(struct dma_fence *fence);

/** dma_fence_now_ns() - Return: CLOCK_MONOTONIC now in ns (the clock of every timeout here). */
int64_t dma_fence_now_ns(void);

#endif
