// SPDX-License-Identifier: MIT
/*
 * Tests of dma_fence: signalling, errors, callbacks, timed waits, the
 * signalling-section checks, and the fence containers (chain, array).
 *
 * Tests that provoke lockdep reports assert the exact count and then
 * reset the lockdep (T_REPORTS_THEN_RESET), since the runner fails a test
 * that leaves reports behind.
 */
#include "t_dma.h"

#include <errno.h>
#include <stdlib.h>

#include "dma/dma_fence_array.h"
#include "dma/dma_fence_chain.h"
#include "dma/dma_resv.h"
#include "util/u_err.h"
#include "util/u_lock.h"
#include "util/u_log.h"

#ifdef __SANITIZE_THREAD__
/*
 * The signalling tests take a lock in an inverted order on purpose (in one
 * thread, nothing can deadlock) to see the lockdep report it; TSan's own
 * lock-order detector would report the same and fail the run. Data-race
 * detection stays on. TSAN_OPTIONS overrides.
 */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "detect_deadlocks=0";
}
#endif

/* ---- signalling and errors --------------------------------------------- */

T_TEST(fence_signal, "dma/fence/signal")
{
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *f = t_fence_create(ctx, 1);
	int64_t before = t_now_ns();

	T_ASSERT(!dma_fence_is_signaled(f));
	T_ASSERT_EQ_INT(dma_fence_get_status(f), 0);
	T_ASSERT_EQ_INT(dma_fence_timestamp(f), 0);
	T_ASSERT_OK(dma_fence_signal(f));
	T_ASSERT(dma_fence_is_signaled(f));
	T_ASSERT_EQ_INT(dma_fence_get_status(f), 1);
	T_ASSERT_GE_INT(dma_fence_timestamp(f), before);
	T_ASSERT_LE_INT(dma_fence_timestamp(f), t_now_ns());
	/* Once only. */
	T_ASSERT_ERRNO(dma_fence_signal(f), EINVAL);
	dma_fence_put(f);

	/* Contexts are fresh and never 0 (the stub's). */
	T_ASSERT_NE_INT(ctx, 0);
	T_ASSERT_EQ_INT(dma_fence_context_alloc(3), ctx + 1);
	T_ASSERT_EQ_INT(dma_fence_context_alloc(1), ctx + 4);
}

T_TEST(fence_error, "dma/fence/error")
{
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1);
	unsigned long warns;

	dma_fence_set_error(f, -EIO);
	T_ASSERT_EQ_INT(dma_fence_get_status(f), 0);	/* not signalled yet */
	dma_fence_signal(f);
	T_ASSERT_EQ_INT(dma_fence_get_status(f), -EIO);

	/* Too late: warned about, ignored. */
	warns = u_warn_count();
	dma_fence_set_error(f, -ENOMEM);
	T_ASSERT_EQ_INT(u_warn_count(), warns + 1);
	T_ASSERT_EQ_INT(dma_fence_get_status(f), -EIO);
	dma_fence_put(f);
}

T_TEST(fence_stub, "dma/fence/stub")
{
	struct dma_fence *s = dma_fence_get_stub();
	struct dma_fence *s2 = dma_fence_get_stub();
	struct dma_fence *p = dma_fence_allocate_private_stub(1234);

	T_ASSERT_EQ_PTR(s, s2);
	T_ASSERT(dma_fence_is_signaled(s));
	T_ASSERT_EQ_INT(s->context, 0);
	T_ASSERT_EQ_INT(dma_fence_get_status(s), 1);
	T_ASSERT(!IS_ERR(p));
	T_ASSERT(dma_fence_is_signaled(p));
	T_ASSERT_EQ_INT(dma_fence_timestamp(p), 1234);
	T_ASSERT_NE_INT(p->context, 0);
	dma_fence_put(s);
	dma_fence_put(s2);
	dma_fence_put(p);
}

static int private_stub_run(void *ctx)
{
	struct dma_fence *p = dma_fence_allocate_private_stub(1);

	if (IS_ERR(p))
		return (int)PTR_ERR(p);
	dma_fence_put(p);
	return 0;
}

T_TEST(fence_stub_fault, "dma/fence/private-stub-fault-loop")
{
	struct t_fault_loop_ops ops = { .run = private_stub_run };

	T_ASSERT_EQ_INT(t_fault_loop(&ops, NULL, false), 1);
}

T_TEST(fence_seqno, "dma/fence/seqno-order")
{
	struct dma_fence *a = t_fence_create32(7, 0xfffffff0u);
	struct dma_fence *b = t_fence_create32(7, 0x10);	/* after a, across the wrap */
	struct dma_fence *c = t_fence_create(8, 0xfffffff0u);
	struct dma_fence *d = t_fence_create(8, 0x10);	/* 64-bit: before c */

	T_ASSERT(dma_fence_is_later(b, a));
	T_ASSERT(!dma_fence_is_later(a, b));
	T_ASSERT(dma_fence_is_later(c, d));
	T_ASSERT(dma_fence_is_later_or_same(c, c));
	T_ASSERT(!dma_fence_is_later(d, c));
	for (int i = 0; i < 4; i++)
		dma_fence_signal((struct dma_fence *[]){ a, b, c, d }[i]);
	dma_fence_put(a);
	dma_fence_put(b);
	dma_fence_put(c);
	dma_fence_put(d);
}

/* ---- callbacks --------------------------------------------------------- */

struct order_cb {
	struct dma_fence_cb cb;
	int id;
	int *log;
	int *n;
	bool lock_held;
};

static void order_fn(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct order_cb *o = container_of(cb, struct order_cb, cb);

	o->log[(*o->n)++] = o->id;
	o->lock_held = u_mutex_is_held(&fence->lock);
}

T_TEST(fence_callbacks, "dma/fence/callbacks")
{
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1);
	struct order_cb cbs[4];
	int log[4], n = 0;

	for (int i = 0; i < 4; i++) {
		cbs[i] = (struct order_cb){ .id = i, .log = log, .n = &n };
		T_ASSERT_OK(dma_fence_add_callback(f, &cbs[i].cb, order_fn));
	}
	/* Removal before signalling: removed, never runs; a second removal says no. */
	T_ASSERT(dma_fence_remove_callback(f, &cbs[2].cb));
	T_ASSERT(!dma_fence_remove_callback(f, &cbs[2].cb));
	dma_fence_signal(f);

	/* In the order added, in this thread, without the fence lock. */
	T_ASSERT_EQ_INT(n, 3);
	T_ASSERT_EQ_INT(log[0], 0);
	T_ASSERT_EQ_INT(log[1], 1);
	T_ASSERT_EQ_INT(log[2], 3);
	for (int i = 0; i < 4; i++)
		T_ASSERT(!cbs[i].lock_held);

	/* Already signalled: -ENOENT, not called, and removal says no. */
	T_ASSERT_ERRNO(dma_fence_add_callback(f, &cbs[2].cb, order_fn), ENOENT);
	T_ASSERT_EQ_INT(n, 3);
	T_ASSERT(!dma_fence_remove_callback(f, &cbs[2].cb));
	T_ASSERT(!dma_fence_remove_callback(f, &cbs[0].cb));
	dma_fence_put(f);
}

/* A callback that signals a second fence and registers on a third. */
struct chain_cb {
	struct dma_fence_cb cb;
	struct dma_fence *next;
	struct dma_fence *third;
	struct dma_fence_cb cb3;
	bool ran3;
};

static void third_fn(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	container_of(cb, struct chain_cb, cb3)->ran3 = true;
}

static void chain_fn(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct chain_cb *c = container_of(cb, struct chain_cb, cb);

	dma_fence_add_callback(c->third, &c->cb3, third_fn);
	dma_fence_signal(c->next);
}

T_TEST(fence_callback_nesting, "dma/fence/callback-signals-others")
{
	struct dma_fence *a = t_fence_create(dma_fence_context_alloc(1), 1);
	struct dma_fence *b = t_fence_create(dma_fence_context_alloc(1), 1);
	struct dma_fence *c = t_fence_create(dma_fence_context_alloc(1), 1);
	struct chain_cb cc = { .next = b, .third = c };
	unsigned long reports = u_lockdep_reports();

	T_ASSERT_OK(dma_fence_add_callback(a, &cc.cb, chain_fn));
	dma_fence_signal(a);
	T_ASSERT(dma_fence_is_signaled(b));
	T_ASSERT(!cc.ran3);
	dma_fence_signal(c);
	T_ASSERT(cc.ran3);
	T_ASSERT_EQ_INT(u_lockdep_reports(), reports);
	dma_fence_put(a);
	dma_fence_put(b);
	dma_fence_put(c);
}

/* A callback that counts its runs (atomically: it may run on another thread). */
struct count_cb {
	struct dma_fence_cb cb;
	int ran;
};

static void count_fn(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	__atomic_fetch_add(&container_of(cb, struct count_cb, cb)->ran, 1, __ATOMIC_RELAXED);
}

T_TEST(fence_release_pending, "dma/fence/release-with-pending-callback")
{
	struct count_cb c = { .ran = 0 };
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1);

	T_ASSERT_OK(dma_fence_add_callback(f, &c.cb, count_fn));
	/* Nobody can signal it any more: the waiter is woken (with -EDEADLK). */
	dma_fence_put(f);
	T_ASSERT_EQ_INT(c.ran, 1);
}

/* ---- enable_signaling / signaled ops ------------------------------------ */

struct lazy_fence {
	struct dma_fence base;
	int enables;
	bool done;		/* "hardware" completion, seen by .signaled */
	bool enable_says_done;
};

static const char *lazy_name(struct dma_fence *f)
{
	return "lazy";
}

static bool lazy_enable(struct dma_fence *f)
{
	struct lazy_fence *l = container_of(f, struct lazy_fence, base);

	l->enables++;
	return !l->enable_says_done;
}

static bool lazy_signaled(struct dma_fence *f)
{
	return __atomic_load_n(&container_of(f, struct lazy_fence, base)->done, __ATOMIC_ACQUIRE);
}

static const struct dma_fence_ops lazy_ops = {
	.get_driver_name = lazy_name,
	.get_timeline_name = lazy_name,
	.enable_signaling = lazy_enable,
	.signaled = lazy_signaled,
};

T_TEST(fence_ops_optional, "dma/fence/enable-signaling-and-signaled-ops")
{
	struct lazy_fence *l = u_zalloc(sizeof(*l));
	struct lazy_fence *m = u_zalloc(sizeof(*m));
	struct order_cb c = { .id = 0 };
	int log[2], n = 0;

	c.log = log;
	c.n = &n;
	dma_fence_init(&l->base, &lazy_ops, dma_fence_context_alloc(1), 1);
	T_ASSERT(!dma_fence_is_signaled(&l->base));
	T_ASSERT_EQ_INT(l->enables, 0);		/* testing does not enable */
	T_ASSERT_OK(dma_fence_add_callback(&l->base, &c.cb, order_fn));
	T_ASSERT_EQ_INT(l->enables, 1);
	T_ASSERT_ERRNO(dma_fence_wait_timeout(&l->base, false, 0), ETIME);
	T_ASSERT_EQ_INT(l->enables, 1);		/* once */
	/* Completion seen through .signaled signals it and runs the callbacks. */
	__atomic_store_n(&l->done, true, __ATOMIC_RELEASE);
	T_ASSERT(dma_fence_is_signaled(&l->base));
	T_ASSERT_EQ_INT(n, 1);
	dma_fence_put(&l->base);

	/* enable_signaling answering "already done": signalled on the spot. */
	m->enable_says_done = true;
	dma_fence_init(&m->base, &lazy_ops, dma_fence_context_alloc(1), 1);
	T_ASSERT_ERRNO(dma_fence_add_callback(&m->base, &c.cb, order_fn), ENOENT);
	T_ASSERT(dma_fence_test_signaled_flag(&m->base));
	dma_fence_put(&m->base);
}

/* ---- waits ------------------------------------------------------------- */

T_TEST(fence_wait_relative, "dma/fence/wait-timeout")
{
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1);
	struct t_later later;
	int64_t t0, r;

	T_ASSERT_ERRNO(dma_fence_wait_timeout(f, true, 0), ETIME);
	t0 = t_now_ns();
	T_ASSERT_ERRNO(dma_fence_wait_timeout(f, true, T_MS(20)), ETIME);
	T_ASSERT_GE_INT(t_now_ns() - t0, T_MS(20));

	/* Signalled by another thread: time left, at most the timeout. */
	t_later_start(&later, 10, t_signal_fn, f);
	r = dma_fence_wait_timeout(f, true, T_MS(5000));
	t_later_join(&later);
	T_ASSERT_GT_INT(r, 0);
	/*
	 * Less than the timeout; not "at most 5000 - 10 ms": the signaller's
	 * 10 ms run from its own start, which may come before this wait begins
	 * when the machine is loaded (it failed that way under TSan).
	 */
	T_ASSERT_LT_INT(r, T_MS(5000));
	/* Already signalled: at least 1, even with a zero timeout. */
	T_ASSERT_EQ_INT(dma_fence_wait_timeout(f, true, 0), 1);
	r = dma_fence_wait_timeout(f, true, T_MS(7));
	T_ASSERT_GT_INT(r, 0);
	T_ASSERT_LE_INT(r, T_MS(7));
	T_ASSERT_EQ_INT(dma_fence_wait_timeout(f, false, DMA_FENCE_TIMEOUT_INFINITE),
			DMA_FENCE_TIMEOUT_INFINITE);
	T_ASSERT_OK(dma_fence_wait(f, false));
	dma_fence_put(f);
}

T_TEST(fence_wait_infinite, "dma/fence/wait-infinite")
{
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1);
	struct t_later later;

	t_later_start(&later, 10, t_signal_fn, f);
	T_ASSERT_EQ_INT(dma_fence_wait_timeout(f, true, DMA_FENCE_TIMEOUT_INFINITE),
			DMA_FENCE_TIMEOUT_INFINITE);
	t_later_join(&later);
	dma_fence_put(f);
}

T_TEST(fence_wait_absolute, "dma/fence/wait-until")
{
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1);
	struct t_later later;
	int64_t deadline;

	/* In the past: only tests. */
	T_ASSERT_ERRNO(dma_fence_wait_until(f, false, t_now_ns() - T_MS(1)), ETIME);
	T_ASSERT_ERRNO(dma_fence_wait_until(f, false, 0), ETIME);
	deadline = t_now_ns() + T_MS(20);
	T_ASSERT_ERRNO(dma_fence_wait_until(f, false, deadline), ETIME);
	T_ASSERT_GE_INT(t_now_ns(), deadline);

	t_later_start(&later, 10, t_signal_fn, f);
	T_ASSERT_OK(dma_fence_wait_until(f, false, t_now_ns() + T_MS(5000)));
	t_later_join(&later);
	T_ASSERT_OK(dma_fence_wait_until(f, false, 0));
	dma_fence_put(f);
}

T_TEST(fence_wait_any, "dma/fence/wait-any")
{
	struct dma_fence *f[3];
	struct t_later later;
	uint32_t idx = 99;

	for (int i = 0; i < 3; i++)
		f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
	T_ASSERT_ERRNO(dma_fence_wait_any_timeout(f, 3, false, 0, &idx), ETIME);
	T_ASSERT_ERRNO(dma_fence_wait_any_timeout(f, 3, false, T_MS(10), &idx), ETIME);
	T_ASSERT_ERRNO(dma_fence_wait_any_timeout(f, 0, false, T_MS(10), &idx), EINVAL);
	t_later_start(&later, 10, t_signal_fn, f[1]);
	T_ASSERT_GT_INT(dma_fence_wait_any_timeout(f, 3, false, T_MS(5000), &idx), 0);
	t_later_join(&later);
	T_ASSERT_EQ_INT(idx, 1);
	/* Already signalled: found without sleeping. */
	idx = 99;
	T_ASSERT_EQ_INT(dma_fence_wait_any_timeout(f, 3, false, 0, &idx), 1);
	T_ASSERT_EQ_INT(idx, 1);
	for (int i = 0; i < 3; i++) {
		dma_fence_signal(f[i]);
		dma_fence_put(f[i]);
	}
}

static int wait_any_run(void *ctx)
{
	struct dma_fence **f = ctx;
	int64_t r = dma_fence_wait_any_timeout(f, 4, false, T_MS(1), NULL);

	return r == -ETIME ? 0 : (int)r;
}

T_TEST(fence_wait_any_fault, "dma/fence/wait-any-fault-loop")
{
	struct dma_fence *f[4];
	struct t_fault_loop_ops ops = { .run = wait_any_run };

	for (int i = 0; i < 4; i++)
		f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
	T_ASSERT_EQ_INT(t_fault_loop(&ops, f, false), 1);
	for (int i = 0; i < 4; i++) {
		dma_fence_signal(f[i]);
		dma_fence_put(f[i]);
	}
}

/* ---- concurrency ------------------------------------------------------- */

struct slow_cb {
	struct dma_fence_cb cb;
	int started;
};

static void slow_fn(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	__atomic_store_n(&container_of(cb, struct slow_cb, cb)->started, 1, __ATOMIC_RELEASE);
	t_sleep_ms(20);
}

T_TEST(fence_remove_waits, "dma/fence/remove-waits-for-running-callbacks")
{
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1);
	struct slow_cb slow = { .started = 0 };
	struct count_cb later_cb = { .ran = 0 };
	struct t_later sig;

	T_ASSERT_OK(dma_fence_add_callback(f, &slow.cb, slow_fn));
	T_ASSERT_OK(dma_fence_add_callback(f, &later_cb.cb, count_fn));
	t_later_start(&sig, 0, t_signal_fn, f);
	while (!__atomic_load_n(&slow.started, __ATOMIC_ACQUIRE))
		sched_yield();
	/*
	 * The signaller has detached both callbacks and is inside the slow one:
	 * removal cannot succeed, and must not return before the second one ran
	 * (its storage may be freed right after).
	 */
	T_ASSERT(!dma_fence_remove_callback(f, &later_cb.cb));
	T_ASSERT_EQ_INT(__atomic_load_n(&later_cb.ran, __ATOMIC_RELAXED), 1);
	t_later_join(&sig);
	dma_fence_put(f);
}

#define CONC_FENCES 64
#define CONC_WAITERS 3

struct conc {
	struct dma_fence *f[CONC_FENCES];
	int seen[CONC_WAITERS];
	int cb_runs;
	int cb_removed;
};

static void *conc_signaller(void *arg)
{
	struct conc *c = arg;

	for (int i = 0; i < CONC_FENCES; i++) {
		if (i & 1)
			dma_fence_set_error(c->f[i], -EIO);
		dma_fence_signal(c->f[i]);
		if (!(i % 8))
			sched_yield();
	}
	return NULL;
}

struct conc_waiter {
	struct conc *c;
	int id;
};

static void *conc_waiter(void *arg)
{
	struct conc_waiter *w = arg;
	struct conc *c = w->c;

	for (int i = 0; i < CONC_FENCES; i++) {
		struct count_cb x = { .ran = 0 };
		int64_t r;

		/* Race a callback's removal against the signal. */
		if (dma_fence_add_callback(c->f[i], &x.cb, count_fn) == 0) {
			if (dma_fence_remove_callback(c->f[i], &x.cb)) {
				__atomic_fetch_add(&c->cb_removed, 1, __ATOMIC_RELAXED);
				if (x.ran)
					return (void *)1;	/* removed but ran */
			} else if (__atomic_load_n(&x.ran, __ATOMIC_RELAXED) != 1) {
				return (void *)2;	/* not removed, but did not run (yet) */
			}
		}
		r = dma_fence_wait_timeout(c->f[i], false, T_MS(10000));
		if (r <= 0)
			return (void *)3;
		if (dma_fence_get_status(c->f[i]) != ((i & 1) ? -EIO : 1))
			return (void *)4;
		w->c->seen[w->id]++;
	}
	return NULL;
}

T_TEST(fence_concurrent, "dma/fence/concurrent-signal-wait")
{
	struct conc c = { .cb_runs = 0 };
	struct conc_waiter w[CONC_WAITERS];
	pthread_t sig, wt[CONC_WAITERS];

	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < CONC_FENCES; i++)
			c.f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
		for (int i = 0; i < CONC_WAITERS; i++) {
			w[i] = (struct conc_waiter){ .c = &c, .id = i };
			c.seen[i] = 0;
			pthread_create(&wt[i], NULL, conc_waiter, &w[i]);
		}
		pthread_create(&sig, NULL, conc_signaller, &c);
		pthread_join(sig, NULL);
		for (int i = 0; i < CONC_WAITERS; i++) {
			void *ret;

			pthread_join(wt[i], &ret);
			T_ASSERT_EQ_INT((intptr_t)ret, 0);
			T_ASSERT_EQ_INT(c.seen[i], CONC_FENCES);
		}
		for (int i = 0; i < CONC_FENCES; i++)
			dma_fence_put(c.f[i]);
	}
}

/* ---- signalling sections ----------------------------------------------- */

static void alloc_in_section(void *arg)
{
	bool cookie = dma_fence_begin_signalling();
	void *p = u_malloc(16);	/* aborts */

	u_free(p);
	dma_fence_end_signalling(cookie);
}

static void alloc_in_callback_fn(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	u_free(u_malloc(8));	/* aborts */
}

static void alloc_in_callback(void *arg)
{
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1);
	struct dma_fence_cb cb;

	dma_fence_add_callback(f, &cb, alloc_in_callback_fn);
	dma_fence_signal(f);
}

static void bad_end(void *arg)
{
	dma_fence_end_signalling(false);	/* no section open: aborts */
}

T_TEST(signalling_alloc, "dma/signalling/allocation-aborts")
{
	T_ASSERT(t_expect_abort(alloc_in_section, NULL));
	T_ASSERT(t_expect_abort(alloc_in_callback, NULL));
	T_ASSERT(t_expect_abort(bad_end, NULL));
}

T_TEST(signalling_nesting, "dma/signalling/nesting")
{
	unsigned long before = u_lockdep_reports();
	bool a, b;

	T_ASSERT(!dma_fence_in_signalling());
	a = dma_fence_begin_signalling();
	b = dma_fence_begin_signalling();
	T_ASSERT(!a);
	T_ASSERT(b);
	T_ASSERT(dma_fence_in_signalling());
	T_ASSERT_EQ_INT(u_alloc_forbidden(), 2);
	dma_fence_end_signalling(b);
	T_ASSERT(dma_fence_in_signalling());
	dma_fence_end_signalling(a);
	T_ASSERT(!dma_fence_in_signalling());
	T_ASSERT_EQ_INT(u_alloc_forbidden(), 0);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);
}

static void wait_stub_fn(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct dma_fence *s = dma_fence_get_stub();

	dma_fence_wait(s, false);	/* inside the signaller's section */
	dma_fence_put(s);
}

T_TEST(signalling_wait, "dma/signalling/wait-reported")
{
	struct dma_fence *stub = dma_fence_get_stub();
	struct dma_fence *f;
	struct dma_fence_cb cb;
	unsigned long before;
	bool cookie;

	t_need_lockdep();
	/* Outside a section, waiting is fine. */
	before = u_lockdep_reports();
	T_ASSERT_OK(dma_fence_wait(stub, false));
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);

	/* Inside: reported even though the fence has already signalled. */
	cookie = dma_fence_begin_signalling();
	T_ASSERT_EQ_INT(dma_fence_wait_timeout(stub, false, 0), 1);
	dma_fence_end_signalling(cookie);
	T_REPORTS_THEN_RESET(before, 1);

	/* A callback runs inside the signaller's section. */
	before = u_lockdep_reports();
	f = t_fence_create(dma_fence_context_alloc(1), 1);
	dma_fence_add_callback(f, &cb, wait_stub_fn);
	dma_fence_signal(f);
	dma_fence_put(f);
	T_REPORTS_THEN_RESET(before, 1);
	dma_fence_put(stub);
}

static U_LOCK_CLASS(test_outer_class, "test_outer");

T_TEST(signalling_inversion, "dma/signalling/lock-inversion")
{
	struct dma_fence *stub = dma_fence_get_stub();
	struct u_mutex m;
	unsigned long before;
	bool cookie;

	t_need_lockdep();
	u_mutex_init(&m, &test_outer_class);
	before = u_lockdep_reports();
	/* Signalling under a lock is fine (the section adds no edge into it). */
	u_mutex_lock(&m);
	cookie = dma_fence_begin_signalling();
	dma_fence_end_signalling(cookie);
	/* Waiting while holding m records m -> signalling ... */
	dma_fence_wait(stub, false);
	u_mutex_unlock(&m);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);
	/* ... so taking m inside a signalling section closes a cycle. */
	cookie = dma_fence_begin_signalling();
	u_mutex_lock(&m);
	u_mutex_unlock(&m);
	dma_fence_end_signalling(cookie);
	T_REPORTS_THEN_RESET(before, 1);
	u_mutex_fini(&m);
	dma_fence_put(stub);
}

T_TEST(signalling_resv, "dma/signalling/resv-lock-reported")
{
	struct dma_resv obj;
	struct dma_fence *stub = dma_fence_get_stub();
	unsigned long before;
	bool cookie;

	t_need_lockdep();
	dma_resv_init(&obj);
	before = u_lockdep_reports();
	/* Allowed: waiting and signalling while holding a resv, trylock anywhere. */
	T_ASSERT_OK(dma_resv_lock(&obj, NULL));
	dma_fence_wait(stub, false);
	cookie = dma_fence_begin_signalling();
	dma_fence_end_signalling(cookie);
	dma_resv_unlock(&obj);
	cookie = dma_fence_begin_signalling();
	T_ASSERT(dma_resv_trylock(&obj));
	dma_resv_unlock(&obj);
	dma_fence_end_signalling(cookie);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);

	/* A blocking lock inside: exactly one report, the graph already primed. */
	cookie = dma_fence_begin_signalling();
	T_ASSERT_OK(dma_resv_lock(&obj, NULL));
	dma_resv_unlock(&obj);
	dma_fence_end_signalling(cookie);
	T_REPORTS_THEN_RESET(before, 1);

	/* And on a fresh graph (right after the reset), still exactly one. */
	before = u_lockdep_reports();
	cookie = dma_fence_begin_signalling();
	T_ASSERT_OK(dma_resv_lock(&obj, NULL));
	dma_resv_unlock(&obj);
	dma_fence_end_signalling(cookie);
	T_REPORTS_THEN_RESET(before, 1);

	/* A lock taken in a section and held while blocking on a resv elsewhere. */
	{
		struct u_mutex m;

		u_mutex_init(&m, &test_outer_class);
		before = u_lockdep_reports();
		T_ASSERT_OK(dma_resv_lock(&obj, NULL));	/* primes resv -> signalling */
		dma_resv_unlock(&obj);
		cookie = dma_fence_begin_signalling();
		u_mutex_lock(&m);			/* signalling -> m */
		u_mutex_unlock(&m);
		dma_fence_end_signalling(cookie);
		T_ASSERT_EQ_INT(u_lockdep_reports(), before);
		u_mutex_lock(&m);
		/*
		 * m -> resv closes m -> resv -> signalling -> m; the priming right
		 * after the lock (m -> signalling, a holder may wait) closes the
		 * same cycle a second way: two reports for one mistake.
		 */
		T_ASSERT_OK(dma_resv_lock(&obj, NULL));
		dma_resv_unlock(&obj);
		u_mutex_unlock(&m);
		T_REPORTS_THEN_RESET(before, 2);
		u_mutex_fini(&m);
	}
	dma_resv_fini(&obj);
	dma_fence_put(stub);
}

/* ---- chains ------------------------------------------------------------ */

/* A timeline of @n points 1..n with fresh fences; returns the head. */
static struct dma_fence *make_chain(struct dma_fence **fences, int n)
{
	struct dma_fence *head = NULL;

	for (int i = 0; i < n; i++) {
		struct dma_fence_chain *c = dma_fence_chain_alloc();

		T_ASSERT(!IS_ERR(c));
		fences[i] = t_fence_create(dma_fence_context_alloc(1), 1);
		dma_fence_chain_init(c, head, dma_fence_get(fences[i]), i + 1);
		head = &c->base;
	}
	return head;
}

static void put_all(struct dma_fence **fences, int n)
{
	for (int i = 0; i < n; i++) {
		dma_fence_signal(fences[i]);
		dma_fence_put(fences[i]);
	}
}

T_TEST(chain_find, "dma/chain/find-seqno")
{
	struct dma_fence *f[5], *head = make_chain(f, 5), *p;

	T_ASSERT_EQ_INT(head->seqno, 5);
	T_ASSERT_EQ_INT(to_dma_fence_chain(head)->prev_seqno, 4);
	for (uint64_t s = 1; s <= 5; s++) {
		p = dma_fence_get(head);
		T_ASSERT_OK(dma_fence_chain_find_seqno(&p, s));
		T_ASSERT_EQ_INT(p->seqno, s);
		T_ASSERT_EQ_PTR(dma_fence_chain_contained(p), f[s - 1]);
		dma_fence_put(p);
	}
	/* 0: the head itself; beyond the head: not submitted. */
	p = dma_fence_get(head);
	T_ASSERT_OK(dma_fence_chain_find_seqno(&p, 0));
	T_ASSERT_EQ_PTR(p, head);
	T_ASSERT_ERRNO(dma_fence_chain_find_seqno(&p, 6), EINVAL);
	T_ASSERT_EQ_PTR(p, head);
	dma_fence_put(p);
	/* A plain fence is no timeline. */
	p = dma_fence_get(f[0]);
	T_ASSERT_ERRNO(dma_fence_chain_find_seqno(&p, 1), EINVAL);
	dma_fence_put(p);
	put_all(f, 5);
	dma_fence_put(head);
}

T_TEST(chain_gc, "dma/chain/walk-collects-signalled")
{
	struct dma_fence *f[5], *head = make_chain(f, 5), *p, *iter;
	int visited = 0;

	/* Points 2 and 3 signal out of order: the walk drops their nodes. */
	dma_fence_signal(f[2]);
	dma_fence_signal(f[1]);
	dma_fence_chain_for_each(iter, head)
		visited++;
	T_ASSERT_EQ_INT(visited, 3);	/* 5, 4, 1 */
	/* Point 3 is now covered by node 1: waiting on it waits for f1 only. */
	p = dma_fence_get(head);
	T_ASSERT_OK(dma_fence_chain_find_seqno(&p, 3));
	T_ASSERT_EQ_INT(p->seqno, 1);
	dma_fence_put(p);
	/* Everything up to 4 signalled: point 3 resolves to nothing (already done). */
	dma_fence_signal(f[0]);
	dma_fence_signal(f[3]);
	p = dma_fence_get(head);
	T_ASSERT_OK(dma_fence_chain_find_seqno(&p, 3));
	T_ASSERT_NULL(p);
	T_ASSERT(!dma_fence_is_signaled(head));	/* f5 still pending */
	put_all(f, 5);
	T_ASSERT(dma_fence_is_signaled(head));
	dma_fence_put(head);
}

T_TEST(chain_signal, "dma/chain/signals-after-all-earlier")
{
	struct dma_fence *f[4], *head = make_chain(f, 4), *p2;
	struct order_cb c = { .id = 7 }, c2 = { .id = 2 };
	int log[4], n = 0;

	c.log = c2.log = log;
	c.n = c2.n = &n;
	p2 = dma_fence_get(head);
	T_ASSERT_OK(dma_fence_chain_find_seqno(&p2, 2));
	T_ASSERT_OK(dma_fence_add_callback(head, &c.cb, order_fn));
	T_ASSERT_OK(dma_fence_add_callback(p2, &c2.cb, order_fn));
	/* Newest first: nothing completes until point 1 does. */
	dma_fence_signal(f[3]);
	dma_fence_signal(f[2]);
	dma_fence_signal(f[1]);
	T_ASSERT_EQ_INT(n, 0);
	T_ASSERT(!dma_fence_is_signaled(head));
	dma_fence_signal(f[0]);
	/* Point 2 and the head both completed, from the callbacks alone. */
	T_ASSERT_EQ_INT(n, 2);
	T_ASSERT(dma_fence_test_signaled_flag(head));
	T_ASSERT(dma_fence_test_signaled_flag(p2));
	dma_fence_put(p2);
	put_all(f, 4);
	dma_fence_put(head);
}

T_TEST(chain_out_of_order, "dma/chain/point-out-of-order")
{
	struct dma_fence *f[2], *head = make_chain(f, 2);	/* points 1, 2 */
	struct dma_fence_chain *c = dma_fence_chain_alloc();
	struct dma_fence *g = t_fence_create(dma_fence_context_alloc(1), 1);

	dma_fence_chain_init(c, head, dma_fence_get(g), 1);	/* point 1 again */
	T_ASSERT_NE_INT(c->base.context, head->context);	/* a new context */
	T_ASSERT_EQ_INT(c->base.seqno, 2);			/* never goes back */
	T_ASSERT_EQ_INT(c->prev_seqno, 0);
	dma_fence_signal(g);
	dma_fence_put(g);
	put_all(f, 2);
	T_ASSERT(dma_fence_is_signaled(&c->base));
	dma_fence_put(&c->base);
}

T_TEST(chain_long_release, "dma/chain/long-chain-release")
{
	struct dma_fence *head = NULL;
	struct dma_fence *stub = dma_fence_get_stub();
	long live = u_alloc_live();

	/* Deep enough that a recursive release would overflow a thread's stack. */
	for (int i = 0; i < 100000; i++) {
		struct dma_fence_chain *c = dma_fence_chain_alloc();

		dma_fence_chain_init(c, head, dma_fence_get(stub), i + 1);
		head = &c->base;
	}
	T_ASSERT_EQ_INT(u_alloc_live(), live + 100000);
	dma_fence_put(head);
	T_ASSERT_EQ_INT(u_alloc_live(), live);
	dma_fence_put(stub);
}

/* ---- arrays ------------------------------------------------------------ */

T_TEST(array_all, "dma/array/all-and-errors")
{
	struct dma_fence **f = u_calloc(3, sizeof(*f));
	struct dma_fence_array *a;
	struct order_cb c = { .id = 1 };
	int log[2], n = 0;

	c.log = log;
	c.n = &n;
	for (int i = 0; i < 3; i++)
		f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
	a = dma_fence_array_create(3, f, dma_fence_context_alloc(1), 1, false);
	T_ASSERT(!IS_ERR(a));
	T_ASSERT_OK(dma_fence_add_callback(&a->base, &c.cb, order_fn));
	dma_fence_set_error(f[1], -EIO);
	dma_fence_signal(f[1]);
	dma_fence_signal(f[0]);
	T_ASSERT(!dma_fence_is_signaled(&a->base));
	dma_fence_set_error(f[2], -ENODEV);
	dma_fence_signal(f[2]);
	T_ASSERT_EQ_INT(n, 1);
	T_ASSERT_EQ_INT(dma_fence_get_status(&a->base), -EIO);	/* the first error */
	T_ASSERT(dma_fence_is_container(&a->base));
	dma_fence_put(&a->base);
}

T_TEST(array_any, "dma/array/any")
{
	struct dma_fence **f = u_calloc(3, sizeof(*f));
	struct dma_fence *keep[3];
	struct dma_fence_array *a;

	for (int i = 0; i < 3; i++)
		keep[i] = f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
	for (int i = 0; i < 3; i++)
		dma_fence_get(keep[i]);
	a = dma_fence_array_create(3, f, dma_fence_context_alloc(1), 1, true);
	T_ASSERT(!dma_fence_is_signaled(&a->base));
	dma_fence_signal(keep[2]);
	/* Polled (no callbacks installed) and waited both see it. */
	T_ASSERT(dma_fence_is_signaled(&a->base));
	T_ASSERT_OK(dma_fence_wait(&a->base, false));
	dma_fence_put(&a->base);
	put_all(keep, 3);
}

T_TEST(array_wait_threads, "dma/array/wait-across-threads")
{
	struct dma_fence **f = u_calloc(3, sizeof(*f));
	struct dma_fence *keep[3];
	struct dma_fence_array *a;
	struct t_later later[3];

	for (int i = 0; i < 3; i++) {
		keep[i] = f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
		dma_fence_get(keep[i]);
	}
	a = dma_fence_array_create(3, f, dma_fence_context_alloc(1), 1, false);
	for (int i = 0; i < 3; i++)
		t_later_start(&later[i], 5 * (i + 1), t_signal_fn, keep[i]);
	T_ASSERT_GT_INT(dma_fence_wait_timeout(&a->base, false, T_MS(5000)), 0);
	for (int i = 0; i < 3; i++) {
		t_later_join(&later[i]);
		T_ASSERT(dma_fence_is_signaled(keep[i]));
		dma_fence_put(keep[i]);
	}
	dma_fence_put(&a->base);
}

T_TEST(unwrap, "dma/array/unwrap-merge")
{
	struct dma_fence *f[4], *head = make_chain(f, 4), *m, *p;
	struct dma_fence_array *a;

	/* A plain fence is its own flattening. */
	m = dma_fence_unwrap_merge(f[0]);
	T_ASSERT_EQ_PTR(m, f[0]);
	dma_fence_put(m);
	/* Point 3 covers f1..f3; with f2 signalled, two leaves are left. */
	dma_fence_signal(f[1]);
	p = dma_fence_get(head);
	T_ASSERT_OK(dma_fence_chain_find_seqno(&p, 3));
	m = dma_fence_unwrap_merge(p);
	a = to_dma_fence_array(m);
	T_ASSERT_NOT_NULL(a);
	T_ASSERT_EQ_INT(a->num_fences, 2);
	dma_fence_put(m);
	/* One leaf left: that fence itself. */
	dma_fence_signal(f[0]);
	m = dma_fence_unwrap_merge(p);
	T_ASSERT_EQ_PTR(m, f[2]);
	dma_fence_put(m);
	/* None left: the stub. */
	dma_fence_signal(f[2]);
	m = dma_fence_unwrap_merge(p);
	T_ASSERT_EQ_INT(m->context, 0);
	T_ASSERT(dma_fence_is_signaled(m));
	dma_fence_put(m);
	dma_fence_put(p);
	put_all(f, 4);
	dma_fence_put(head);
}

static int unwrap_run(void *ctx)
{
	struct dma_fence *m = dma_fence_unwrap_merge(ctx);

	if (IS_ERR(m))
		return (int)PTR_ERR(m);
	dma_fence_put(m);
	return 0;
}

T_TEST(unwrap_fault, "dma/array/unwrap-merge-fault-loop")
{
	struct dma_fence *f[3], *head = make_chain(f, 3);
	struct t_fault_loop_ops ops = { .run = unwrap_run };

	T_ASSERT_EQ_INT(t_fault_loop(&ops, head, false), 2);	/* leaves array + the array */
	T_ASSERT_EQ_INT(t_fault_loop(&ops, head, true), 2);
	put_all(f, 3);
	dma_fence_put(head);
}
