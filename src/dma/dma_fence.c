// SPDX-License-Identifier: MIT
/*
 * DOC: dma_fence
 *
 * Model: a fence is a refcounted flag word plus a list of callbacks. It is
 * signalled once; signalling sets DMA_FENCE_FLAG_SIGNALED_BIT, stamps the
 * time and runs every callback registered so far. Waiting is built on
 * callbacks: a waiter registers one that wakes it, sleeps on its own
 * condition variable with a CLOCK_MONOTONIC deadline, and unregisters it.
 *
 *   signaller                               waiter
 *   lock(fence)                             add_callback(w.cb)  [lock, link, unlock]
 *   SIGNALED=1, detach cb_list,             cond_timedwait(w) ...
 *   cb_runner=self
 *   unlock(fence)
 *   for each detached cb: cb->func() ------> w.done=1, cond_signal
 *   cb_runner=0, broadcast cb_done          remove_callback(w.cb)
 *                                           [signalled: wait for cb_runner==0]
 *
 * Callbacks run without the fence's lock. The kernel runs them under the
 * fence's spinlock; here that would make every container fence (chain,
 * array) take a second lock of the same class from inside a callback, and
 * would let a callback's own locks nest under every fence lock. The price
 * is a rule for dma_fence_remove_callback(): once the list is detached a
 * callback can be running in the signaller's thread with no lock held, so
 * removal waits (on one process-wide condition variable; contention here
 * is rare) until the signaller has finished its batch. After it returns,
 * the callback is neither running nor will it run, which is the guarantee
 * the kernel gets from its spinlock.
 *
 * For the same reason &dma_fence_ops.enable_signaling is called without
 * the lock, at most once (a flag bit decides who calls it).
 *
 * Signalling sections: a thread-local depth; the outermost section holds
 * the lockdep pseudo-lock "dma_fence_signalling" and every section is a
 * u_alloc no-allocation section. The pseudo-lock is taken like a trylock
 * so that entering a section under a lock records nothing (signalling a
 * fence while holding a lock is fine; the kernel gets the same from a
 * recursive-read acquisition). A wait is a check-only acquisition of it,
 * which both records "held lock -> signalling" edges and, inside a
 * section, is reported directly (a wait there can wait for itself).
 *
 * Rejected alternative: one condition variable per fence, waited on with
 * the fence lock. A fence would then need a pthread cond (48 bytes) for a
 * rare use, waits on several fences at once (syncobj, wait_any) would not
 * compose, and the u_mutex owner tracking does not survive
 * pthread_cond_wait() on its inner mutex. Callback-based waiting is also
 * what the kernel does, so fence implementations behave the same.
 */
#include "dma_fence.h"
#include "dma_internal.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_log.h"
#include "util/u_thread.h"

static U_LOCK_CLASS(dma_fence_lock_class, "dma_fence_lock");
static U_LOCK_CLASS(dma_fence_signalling_class, "dma_fence_signalling");
static const char dma_fence_signalling_map;

/* Signalling-section depth of this thread. */
static __thread int signalling_depth;
/* Its address identifies the thread in &dma_fence.cb_runner. */
static __thread char self_token;

/* Removal waits here for a signaller to finish its callbacks. */
static pthread_mutex_t cb_done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cb_done_cond = PTHREAD_COND_INITIALIZER;

static uint64_t context_counter = 1;

/* ---- small helpers ----------------------------------------------------- */

static const void *self_id(void)
{
	return &self_token;
}

static bool test_flag(const struct dma_fence *fence, int bit)
{
	return __atomic_load_n(&fence->flags, __ATOMIC_ACQUIRE) & (1ul << bit);
}

static bool test_and_set_flag(struct dma_fence *fence, int bit)
{
	return __atomic_fetch_or(&fence->flags, 1ul << bit, __ATOMIC_ACQ_REL) & (1ul << bit);
}

int64_t dma_fence_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t dma_fence__deadline(int64_t timeout_ns)
{
	int64_t now = dma_fence_now_ns();

	if (timeout_ns == DMA_FENCE_TIMEOUT_INFINITE || timeout_ns > INT64_MAX - now)
		return INT64_MAX;
	return now + timeout_ns;
}

static struct timespec ns_to_timespec(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };

	return ts;
}

/* ---- signalling sections ----------------------------------------------- */

bool dma_fence_begin_signalling(void)
{
	bool nested = signalling_depth > 0;

	if (signalling_depth++ == 0)
		u_lockdep_acquire(&dma_fence_signalling_class, &dma_fence_signalling_map,
				  U_LOCKDEP_TRY, NULL);
	u_alloc_forbid_begin("fence signalling");
	return nested;
}

void dma_fence_end_signalling(bool cookie)
{
	if (signalling_depth <= 0)
		u_panic("dma_fence_end_signalling() without dma_fence_begin_signalling()");
	if (cookie != (signalling_depth > 1))
		u_panic("dma_fence_end_signalling(): cookie %d does not match the nesting "
			"depth %d (sections closed out of order)", cookie, signalling_depth);
	u_alloc_forbid_end();
	if (--signalling_depth == 0)
		u_lockdep_release(&dma_fence_signalling_class, &dma_fence_signalling_map);
}

bool dma_fence_in_signalling(void)
{
	return signalling_depth > 0;
}

void dma_fence__report(const char *what)
{
	u_lockdep_report_ww(what, &dma_fence_signalling_class, &dma_fence_signalling_map);
}

void dma_fence_might_wait(void)
{
	if (signalling_depth) {
		dma_fence__report("dma_fence: waiting for a fence inside a fence signalling "
				  "section (the fence may need this thread to signal)");
		return;
	}
	u_lockdep_check_acquire(&dma_fence_signalling_class, &dma_fence_signalling_map, 0, NULL);
}

void dma_fence__signalling_hide(void)
{
	if (signalling_depth)
		u_lockdep_release(&dma_fence_signalling_class, &dma_fence_signalling_map);
}

void dma_fence__signalling_unhide(void)
{
	if (signalling_depth)
		u_lockdep_acquire(&dma_fence_signalling_class, &dma_fence_signalling_map,
				  U_LOCKDEP_TRY, NULL);
}

/* ---- life cycle -------------------------------------------------------- */

void dma_fence_init(struct dma_fence *fence, const struct dma_fence_ops *ops,
		    uint64_t context, uint64_t seqno)
{
	U_ASSERT(ops && ops->get_driver_name && ops->get_timeline_name);
	fence->ops = ops;
	fence->context = context;
	fence->seqno = seqno;
	u_refcount_init(&fence->refcount, 1);
	fence->flags = 0;
	fence->timestamp = 0;
	fence->error = 0;
	u_mutex_init(&fence->lock, &dma_fence_lock_class);
	u_list_init(&fence->cb_list);
	fence->cb_runner = NULL;
}

uint64_t dma_fence_context_alloc(unsigned int num)
{
	U_ASSERT(num > 0);
	return __atomic_fetch_add(&context_counter, num, __ATOMIC_RELAXED);
}

struct dma_fence *dma_fence_get(struct dma_fence *fence)
{
	if (fence)
		u_refcount_get(&fence->refcount);
	return fence;
}

bool dma_fence_get_unless_zero(struct dma_fence *fence)
{
	return u_refcount_get_unless_zero(&fence->refcount);
}

void dma_fence_free(struct dma_fence *fence)
{
	u_free(fence);
}

void dma_fence__release(struct dma_fence *fence)
{
	bool pending;

	u_mutex_lock(&fence->lock);
	pending = !test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT) && !u_list_empty(&fence->cb_list);
	u_mutex_unlock(&fence->lock);
	if (pending) {
		/*
		 * Someone is waiting on a fence nobody can signal any more: wake
		 * them with an error rather than leave them hanging (the kernel
		 * does the same, with a WARN).
		 */
		u_warn("dma_fence", "fence %s:%s %llu:%llu released unsignalled with callbacks "
		       "pending; signalled with -EDEADLK", dma_fence_driver_name(fence),
		       dma_fence_timeline_name(fence), (unsigned long long)fence->context,
		       (unsigned long long)fence->seqno);
		dma_fence_set_error(fence, -EDEADLK);
		dma_fence_signal(fence);
	}
	u_mutex_fini(&fence->lock);
	if (fence->ops->release)
		fence->ops->release(fence);
	else
		dma_fence_free(fence);
}

void dma_fence_put(struct dma_fence *fence)
{
	if (fence && u_refcount_put(&fence->refcount))
		dma_fence__release(fence);
}

/* ---- signalling -------------------------------------------------------- */

int dma_fence_signal_timestamp(struct dma_fence *fence, int64_t timestamp)
{
	struct u_list cbs;
	bool cookie;

	if (!fence)
		return -EINVAL;
	cookie = dma_fence_begin_signalling();
	u_mutex_lock(&fence->lock);
	if (test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT)) {
		u_mutex_unlock(&fence->lock);
		dma_fence_end_signalling(cookie);
		return -EINVAL;
	}
	__atomic_store_n(&fence->timestamp, timestamp, __ATOMIC_RELAXED);
	__atomic_fetch_or(&fence->flags, 1ul << DMA_FENCE_FLAG_TIMESTAMP_BIT, __ATOMIC_RELEASE);
	/* Detach the pending callbacks: from now on add_callback says -ENOENT. */
	u_list_init(&cbs);
	if (!u_list_empty(&fence->cb_list)) {
		cbs.next = fence->cb_list.next;
		cbs.prev = fence->cb_list.prev;
		cbs.next->prev = &cbs;
		cbs.prev->next = &cbs;
		u_list_init(&fence->cb_list);
	}
	__atomic_store_n(&fence->cb_runner, self_id(), __ATOMIC_RELAXED);
	__atomic_fetch_or(&fence->flags, 1ul << DMA_FENCE_FLAG_SIGNALED_BIT, __ATOMIC_RELEASE);
	u_mutex_unlock(&fence->lock);

	while (!u_list_empty(&cbs)) {
		struct dma_fence_cb *cb = u_list_first_entry(&cbs, struct dma_fence_cb, node);

		/* Self-linked before the call: the function may free or reuse @cb. */
		u_list_del(&cb->node);
		cb->func(fence, cb);
	}

	pthread_mutex_lock(&cb_done_mu);
	__atomic_store_n(&fence->cb_runner, NULL, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&cb_done_cond);
	pthread_mutex_unlock(&cb_done_mu);
	dma_fence_end_signalling(cookie);
	return 0;
}

int dma_fence_signal(struct dma_fence *fence)
{
	return dma_fence_signal_timestamp(fence, dma_fence_now_ns());
}

void dma_fence_set_error(struct dma_fence *fence, int error)
{
	U_ASSERT(error < 0 && error >= -U_MAX_ERRNO);
	if (U_WARN_ON(test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT)))
		return;
	__atomic_store_n(&fence->error, error, __ATOMIC_RELAXED);
}

void dma_fence__set_error_unless_signaled(struct dma_fence *fence, int error)
{
	u_mutex_lock(&fence->lock);
	if (!test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT))
		__atomic_store_n(&fence->error, error, __ATOMIC_RELAXED);
	u_mutex_unlock(&fence->lock);
}

bool dma_fence_test_signaled_flag(const struct dma_fence *fence)
{
	return test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT);
}

bool dma_fence_is_signaled(struct dma_fence *fence)
{
	if (test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT))
		return true;
	if (fence->ops->signaled && fence->ops->signaled(fence)) {
		dma_fence_signal(fence);
		return true;
	}
	return false;
}

int dma_fence_get_status(struct dma_fence *fence)
{
	int error;

	if (!dma_fence_is_signaled(fence))
		return 0;
	error = __atomic_load_n(&fence->error, __ATOMIC_RELAXED);
	return error ? error : 1;
}

int64_t dma_fence_timestamp(const struct dma_fence *fence)
{
	if (!test_flag(fence, DMA_FENCE_FLAG_TIMESTAMP_BIT))
		return 0;
	return __atomic_load_n(&fence->timestamp, __ATOMIC_RELAXED);
}

bool dma_fence_seqno_is_later(uint64_t a, uint64_t b, const struct dma_fence_ops *ops)
{
	if (ops->use_64bit_seqno)
		return a > b;
	return (int32_t)((uint32_t)a - (uint32_t)b) > 0;
}

bool dma_fence_is_later(const struct dma_fence *f1, const struct dma_fence *f2)
{
	if (U_WARN_ON(f1->context != f2->context))
		return false;
	return dma_fence_seqno_is_later(f1->seqno, f2->seqno, f1->ops);
}

bool dma_fence_is_later_or_same(const struct dma_fence *f1, const struct dma_fence *f2)
{
	return f1 == f2 || dma_fence_is_later(f1, f2);
}

const char *dma_fence_driver_name(struct dma_fence *fence)
{
	return fence->ops->get_driver_name(fence);
}

const char *dma_fence_timeline_name(struct dma_fence *fence)
{
	return fence->ops->get_timeline_name(fence);
}

/* ---- callbacks --------------------------------------------------------- */

void dma_fence_enable_sw_signaling(struct dma_fence *fence)
{
	if (test_and_set_flag(fence, DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT))
		return;
	if (!fence->ops->enable_signaling || test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT))
		return;
	if (!fence->ops->enable_signaling(fence))
		dma_fence_signal(fence);
}

int dma_fence_add_callback(struct dma_fence *fence, struct dma_fence_cb *cb,
			   dma_fence_func_t func)
{
	u_list_init(&cb->node);
	cb->func = func;
	if (test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT))
		return -ENOENT;
	dma_fence_enable_sw_signaling(fence);

	u_mutex_lock(&fence->lock);
	if (test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT)) {
		u_mutex_unlock(&fence->lock);
		return -ENOENT;
	}
	u_list_add_tail(&cb->node, &fence->cb_list);
	u_mutex_unlock(&fence->lock);
	return 0;
}

bool dma_fence_remove_callback(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	const void *runner;
	bool removed;

	u_mutex_lock(&fence->lock);
	if (!test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT)) {
		removed = !u_list_empty(&cb->node);
		u_list_del(&cb->node);
		u_mutex_unlock(&fence->lock);
		return removed;
	}
	runner = __atomic_load_n(&fence->cb_runner, __ATOMIC_ACQUIRE);
	u_mutex_unlock(&fence->lock);

	/* Detached: it ran, or is running in the signaller's thread right now. */
	if (runner && runner != self_id()) {
		pthread_mutex_lock(&cb_done_mu);
		while (__atomic_load_n(&fence->cb_runner, __ATOMIC_ACQUIRE))
			pthread_cond_wait(&cb_done_cond, &cb_done_mu);
		pthread_mutex_unlock(&cb_done_mu);
	}
	return false;
}

/* ---- waiting ----------------------------------------------------------- */

/**
 * struct fence_waiter - one sleeping thread, woken by any of its callbacks.
 * @mu: protects @done and @idx.
 * @cond: signalled when @done is set (CLOCK_MONOTONIC).
 * @done: a fence signalled.
 * @idx: index of the first fence that signalled (wait_any).
 */
struct fence_waiter {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool done;
	uint32_t idx;
};

/**
 * struct fence_waiter_cb - one fence's callback into a waiter.
 * @cb: the registration.
 * @w: the waiter.
 * @idx: the fence's index in the caller's array.
 */
struct fence_waiter_cb {
	struct dma_fence_cb cb;
	struct fence_waiter *w;
	uint32_t idx;
};

static void waiter_init(struct fence_waiter *w)
{
	pthread_mutex_init(&w->mu, NULL);
	u_cond_init_monotonic(&w->cond);
	w->done = false;
	w->idx = UINT32_MAX;
}

static void waiter_fini(struct fence_waiter *w)
{
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mu);
}

static void waiter_wake(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct fence_waiter_cb *wcb = container_of(cb, struct fence_waiter_cb, cb);
	struct fence_waiter *w = wcb->w;

	pthread_mutex_lock(&w->mu);
	if (!w->done) {
		w->done = true;
		w->idx = wcb->idx;
	}
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

/* Sleep until @w is woken or @deadline_ns (INT64_MAX: forever). Return: whether woken. */
static bool waiter_sleep(struct fence_waiter *w, int64_t deadline_ns)
{
	bool done;

	pthread_mutex_lock(&w->mu);
	while (!w->done) {
		if (deadline_ns == INT64_MAX) {
			pthread_cond_wait(&w->cond, &w->mu);
		} else {
			struct timespec ts = ns_to_timespec(deadline_ns);

			if (pthread_cond_timedwait(&w->cond, &w->mu, &ts) == ETIMEDOUT)
				break;
		}
	}
	done = w->done;
	pthread_mutex_unlock(&w->mu);
	return done;
}

/* The wait itself, without the annotation. Return: 0 or -ETIME. */
static int fence_wait_deadline(struct dma_fence *fence, int64_t deadline_ns)
{
	struct fence_waiter w;
	struct fence_waiter_cb wcb = { .idx = 0 };
	int ret;

	if (dma_fence_is_signaled(fence))
		return 0;
	if (deadline_ns <= dma_fence_now_ns())
		return -ETIME;

	waiter_init(&w);
	wcb.w = &w;
	if (dma_fence_add_callback(fence, &wcb.cb, waiter_wake) == -ENOENT) {
		ret = 0;
	} else {
		waiter_sleep(&w, deadline_ns);
		/*
		 * Removed means it never ran: timed out. Not removed means it ran
		 * (or is running; removal waited for it): signalled.
		 */
		ret = dma_fence_remove_callback(fence, &wcb.cb) ? -ETIME : 0;
	}
	waiter_fini(&w);
	return ret;
}

int64_t dma_fence_wait_timeout(struct dma_fence *fence, bool intr, int64_t timeout_ns)
{
	int64_t deadline, left;

	dma_fence_might_wait();
	if (U_WARN_ON(timeout_ns < 0))
		return -EINVAL;
	if (timeout_ns == 0)
		return dma_fence_is_signaled(fence) ? 1 : -ETIME;
	deadline = dma_fence__deadline(timeout_ns);
	if (fence_wait_deadline(fence, deadline))
		return -ETIME;
	if (timeout_ns == DMA_FENCE_TIMEOUT_INFINITE)
		return DMA_FENCE_TIMEOUT_INFINITE;
	left = deadline == INT64_MAX ? timeout_ns : deadline - dma_fence_now_ns();
	return left > 0 ? left : 1;
}

int dma_fence_wait_until(struct dma_fence *fence, bool intr, int64_t deadline_ns)
{
	dma_fence_might_wait();
	return fence_wait_deadline(fence, deadline_ns);
}

int dma_fence_wait(struct dma_fence *fence, bool intr)
{
	dma_fence_might_wait();
	return fence_wait_deadline(fence, INT64_MAX);
}

int64_t dma_fence_wait_any_timeout(struct dma_fence **fences, uint32_t count, bool intr,
				   int64_t timeout_ns, uint32_t *idx)
{
	struct fence_waiter_cb *cbs;
	struct fence_waiter w;
	uint32_t added = 0, i, hit = UINT32_MAX;
	int64_t deadline, left;

	dma_fence_might_wait();
	if (count == 0 || U_WARN_ON(timeout_ns < 0))
		return -EINVAL;
	for (i = 0; i < count; i++) {
		if (dma_fence_is_signaled(fences[i])) {
			if (idx)
				*idx = i;
			return timeout_ns ? timeout_ns : 1;
		}
	}
	if (timeout_ns == 0)
		return -ETIME;

	deadline = dma_fence__deadline(timeout_ns);
	cbs = u_calloc(count, sizeof(*cbs));
	if (!cbs)
		return -ENOMEM;
	waiter_init(&w);
	for (i = 0; i < count; i++) {
		cbs[i].w = &w;
		cbs[i].idx = i;
		if (dma_fence_add_callback(fences[i], &cbs[i].cb, waiter_wake) == -ENOENT) {
			hit = i;
			break;
		}
		added++;
	}
	if (hit == UINT32_MAX && waiter_sleep(&w, deadline))
		hit = w.idx;
	for (i = 0; i < added; i++)
		dma_fence_remove_callback(fences[i], &cbs[i].cb);
	if (hit == UINT32_MAX) {
		/* Timed out, unless one signalled while the callbacks came off. */
		pthread_mutex_lock(&w.mu);
		hit = w.idx;
		pthread_mutex_unlock(&w.mu);
	}
	waiter_fini(&w);
	u_free(cbs);

	if (hit == UINT32_MAX)
		return -ETIME;
	if (idx)
		*idx = hit;
	if (timeout_ns == DMA_FENCE_TIMEOUT_INFINITE)
		return DMA_FENCE_TIMEOUT_INFINITE;
	left = deadline - dma_fence_now_ns();
	return left > 0 ? left : 1;
}

/* ---- stubs ------------------------------------------------------------- */

static const char *stub_name(struct dma_fence *fence)
{
	return "stub";
}

static void stub_release(struct dma_fence *fence)
{
	u_panic("dma_fence: the static stub fence lost its last reference (a put too many)");
}

static const struct dma_fence_ops stub_ops = {
	.get_driver_name = stub_name,
	.get_timeline_name = stub_name,
	.release = stub_release,
};

static const struct dma_fence_ops private_stub_ops = {
	.get_driver_name = stub_name,
	.get_timeline_name = stub_name,
};

static struct dma_fence stub_fence;
static pthread_once_t stub_once = PTHREAD_ONCE_INIT;

static void stub_init(void)
{
	dma_fence_init(&stub_fence, &stub_ops, 0, 0);
	/* Set the bits directly: no signalling section, so no lockdep traffic. */
	stub_fence.flags = (1ul << DMA_FENCE_FLAG_SIGNALED_BIT) | (1ul << DMA_FENCE_FLAG_TIMESTAMP_BIT);
	stub_fence.timestamp = dma_fence_now_ns();
}

struct dma_fence *dma_fence_get_stub(void)
{
	pthread_once(&stub_once, stub_init);
	return dma_fence_get(&stub_fence);
}

struct dma_fence *dma_fence_allocate_private_stub(int64_t timestamp)
{
	struct dma_fence *fence = u_malloc(sizeof(*fence));

	if (!fence)
		return ERR_PTR(-ENOMEM);
	dma_fence_init(fence, &private_stub_ops, dma_fence_context_alloc(1), 0);
	fence->timestamp = timestamp;
	fence->flags = (1ul << DMA_FENCE_FLAG_SIGNALED_BIT) | (1ul << DMA_FENCE_FLAG_TIMESTAMP_BIT);
	return fence;
}
