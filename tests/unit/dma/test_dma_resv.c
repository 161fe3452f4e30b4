// SPDX-License-Identifier: MIT
/*
 * Tests of dma_resv (usages, reservation, replacement, pruning, waits,
 * lockless readers) and of drm_exec (ww backoff across threads).
 */
#include "t_dma.h"

#include <errno.h>

#include "dma/dma_fence_array.h"
#include "dma/dma_resv.h"
#include "dma/drm_exec.h"
#include "util/u_err.h"

/* Fences seen by a locked walk up to @usage. */
static int count_locked(struct dma_resv *obj, enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	int n = 0;

	dma_resv_for_each_fence(&cursor, obj, usage, fence) {
		T_ASSERT_LE_INT(cursor.fence_usage, usage);
		n++;
	}
	return n;
}

/* Unsignalled fences seen by a lockless walk up to @usage. */
static int count_unlocked(struct dma_resv *obj, enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	int n = 0;

	dma_resv_iter_begin(&cursor, obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (dma_resv_iter_is_restarted(&cursor))
			n = 0;
		n++;
	}
	dma_resv_iter_end(&cursor);
	return n;
}

static void add_one(struct dma_resv *obj, struct dma_fence *f, enum dma_resv_usage usage)
{
	T_ASSERT_OK(dma_resv_lock(obj, NULL));
	T_ASSERT_OK(dma_resv_reserve_fences(obj, 1));
	dma_resv_add_fence(obj, f, usage);
	T_ASSERT_OK(dma_resv_validate(obj));
	dma_resv_unlock(obj);
}

T_TEST(resv_usage, "dma/resv/usage-filter")
{
	static const enum dma_resv_usage usages[] = {
		DMA_RESV_USAGE_BOOKKEEP, DMA_RESV_USAGE_READ,
		DMA_RESV_USAGE_WRITE, DMA_RESV_USAGE_KERNEL,
	};
	struct dma_fence *f[4];
	struct dma_resv obj;

	dma_resv_init(&obj);
	T_ASSERT_OK(dma_resv_lock(&obj, NULL));
	T_ASSERT_OK(dma_resv_reserve_fences(&obj, 4));
	for (int i = 0; i < 4; i++) {
		f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
		dma_resv_add_fence(&obj, f[i], usages[i]);
	}
	/* Asking up to a usage returns that usage and every stronger one. */
	T_ASSERT_EQ_INT(count_locked(&obj, DMA_RESV_USAGE_KERNEL), 1);
	T_ASSERT_EQ_INT(count_locked(&obj, DMA_RESV_USAGE_WRITE), 2);
	T_ASSERT_EQ_INT(count_locked(&obj, DMA_RESV_USAGE_READ), 3);
	T_ASSERT_EQ_INT(count_locked(&obj, DMA_RESV_USAGE_BOOKKEEP), 4);
	dma_resv_unlock(&obj);
	T_ASSERT_EQ_INT(count_unlocked(&obj, DMA_RESV_USAGE_KERNEL), 1);
	T_ASSERT_EQ_INT(count_unlocked(&obj, DMA_RESV_USAGE_WRITE), 2);
	T_ASSERT_EQ_INT(count_unlocked(&obj, DMA_RESV_USAGE_BOOKKEEP), 4);
	T_ASSERT_EQ_INT(dma_resv_usage_rw(true), DMA_RESV_USAGE_READ);
	T_ASSERT_EQ_INT(dma_resv_usage_rw(false), DMA_RESV_USAGE_WRITE);

	/* test_signaled follows the same filter: only the BOOKKEEP one pending. */
	for (int i = 1; i < 4; i++)
		dma_fence_signal(f[i]);
	T_ASSERT(dma_resv_test_signaled(&obj, DMA_RESV_USAGE_READ));
	T_ASSERT(!dma_resv_test_signaled(&obj, DMA_RESV_USAGE_BOOKKEEP));
	/* The lockless walk skips signalled fences; the locked one does not. */
	T_ASSERT_EQ_INT(count_unlocked(&obj, DMA_RESV_USAGE_BOOKKEEP), 1);
	T_ASSERT_OK(dma_resv_lock(&obj, NULL));
	T_ASSERT_EQ_INT(count_locked(&obj, DMA_RESV_USAGE_BOOKKEEP), 4);
	dma_resv_unlock(&obj);
	dma_fence_signal(f[0]);
	for (int i = 0; i < 4; i++)
		dma_fence_put(f[i]);
	dma_resv_fini(&obj);
}

T_TEST(resv_reserve_no_alloc, "dma/resv/add-without-allocation")
{
	struct dma_fence *f[8];
	struct dma_resv obj;
	long live;

	dma_resv_init(&obj);
	for (int i = 0; i < 8; i++)
		f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
	T_ASSERT_OK(dma_resv_lock(&obj, NULL));
	T_ASSERT_OK(dma_resv_reserve_fences(&obj, 8));
	live = u_alloc_live();
	/* The execute half: any allocation in here would abort the test. */
	u_alloc_forbid_begin("test: dma_resv_add_fence");
	for (int i = 0; i < 8; i++)
		dma_resv_add_fence(&obj, f[i], DMA_RESV_USAGE_BOOKKEEP);
	u_alloc_forbid_end();
	T_ASSERT_EQ_INT(u_alloc_live(), live);
	T_ASSERT_EQ_INT(dma_resv_num_fences(&obj), 8);
	T_ASSERT_OK(dma_resv_validate(&obj));
	dma_resv_unlock(&obj);
	for (int i = 0; i < 8; i++) {
		dma_fence_signal(f[i]);
		dma_fence_put(f[i]);
	}
	dma_resv_fini(&obj);
}

static void add_unreserved(void *arg)
{
	struct dma_resv obj;
	struct dma_fence *f = dma_fence_get_stub();

	dma_resv_init(&obj);
	dma_resv_lock(&obj, NULL);
	dma_resv_add_fence(&obj, f, DMA_RESV_USAGE_WRITE);	/* no slot: aborts */
}

static void add_beyond_reserved(void *arg)
{
	struct dma_resv obj;
	struct dma_fence *f = dma_fence_get_stub();

	dma_resv_init(&obj);
	dma_resv_lock(&obj, NULL);
	dma_resv_reserve_fences(&obj, 1);
	dma_resv_reserve_fences(&obj, 1);	/* does not add up */
	dma_resv_add_fence(&obj, f, DMA_RESV_USAGE_WRITE);
	dma_resv_add_fence(&obj, f, DMA_RESV_USAGE_WRITE);	/* aborts */
}

static void add_after_relock(void *arg)
{
	struct dma_resv obj;
	struct dma_fence *f = dma_fence_get_stub();

	dma_resv_init(&obj);
	dma_resv_lock(&obj, NULL);
	dma_resv_reserve_fences(&obj, 4);
	dma_resv_unlock(&obj);
	dma_resv_lock(&obj, NULL);
	dma_resv_add_fence(&obj, f, DMA_RESV_USAGE_WRITE);	/* slots forgotten: aborts */
}

T_TEST(resv_unreserved, "dma/resv/add-needs-reservation")
{
	T_ASSERT(t_expect_abort(add_unreserved, NULL));
	T_ASSERT(t_expect_abort(add_beyond_reserved, NULL));
	T_ASSERT(t_expect_abort(add_after_relock, NULL));
}

T_TEST(resv_replace, "dma/resv/replace-same-context")
{
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *a1 = t_fence_create(ctx, 1), *a2 = t_fence_create(ctx, 2);
	struct dma_fence *a3 = t_fence_create(ctx, 3), *a4 = t_fence_create(ctx, 4);
	struct dma_fence *b = t_fence_create(dma_fence_context_alloc(1), 1);
	struct dma_fence *all[] = { a1, a2, a3, a4, b };
	struct dma_resv obj;

	dma_resv_init(&obj);
	add_one(&obj, a1, DMA_RESV_USAGE_WRITE);
	add_one(&obj, b, DMA_RESV_USAGE_WRITE);
	/* Later fence, same context, same usage: replaces a1. */
	add_one(&obj, a2, DMA_RESV_USAGE_WRITE);
	T_ASSERT_EQ_INT(dma_resv_num_fences(&obj), 2);
	T_ASSERT_EQ_INT(u_refcount_read(&a1->refcount), 1);	/* the resv let go */
	/* Weaker usage: cannot stand for a WRITE, appended. */
	add_one(&obj, a3, DMA_RESV_USAGE_BOOKKEEP);
	T_ASSERT_EQ_INT(dma_resv_num_fences(&obj), 3);
	/* Stronger usage: replaces the first entry of the context (a2). */
	add_one(&obj, a4, DMA_RESV_USAGE_KERNEL);
	T_ASSERT_EQ_INT(dma_resv_num_fences(&obj), 3);
	T_ASSERT_EQ_INT(u_refcount_read(&a2->refcount), 1);
	T_ASSERT_EQ_INT(count_unlocked(&obj, DMA_RESV_USAGE_KERNEL), 1);
	/* An older fence of the context does not replace a newer one. */
	add_one(&obj, a1, DMA_RESV_USAGE_KERNEL);
	T_ASSERT_EQ_INT(dma_resv_num_fences(&obj), 4);
	for (int i = 0; i < 5; i++)
		dma_fence_signal(all[i]);
	dma_resv_fini(&obj);
	for (int i = 0; i < 5; i++) {
		T_ASSERT_EQ_INT(u_refcount_read(&all[i]->refcount), 1);
		dma_fence_put(all[i]);
	}
}

T_TEST(resv_prune, "dma/resv/prune-signalled")
{
	struct dma_fence *f[5];
	struct dma_resv obj;

	dma_resv_init(&obj);
	T_ASSERT_OK(dma_resv_lock(&obj, NULL));
	T_ASSERT_OK(dma_resv_reserve_fences(&obj, 4));
	for (int i = 0; i < 4; i++) {
		f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
		dma_resv_add_fence(&obj, f[i], DMA_RESV_USAGE_READ);
	}
	/* Full; growing copies only the live fences. */
	dma_fence_signal(f[0]);
	dma_fence_signal(f[2]);
	T_ASSERT_OK(dma_resv_reserve_fences(&obj, 1));
	T_ASSERT_EQ_INT(dma_resv_num_fences(&obj), 2);
	T_ASSERT_EQ_INT(u_refcount_read(&f[0]->refcount), 1);
	/* A signalled entry's slot is reused instead of appending. */
	f[4] = t_fence_create(dma_fence_context_alloc(1), 1);
	dma_fence_signal(f[1]);
	dma_resv_add_fence(&obj, f[4], DMA_RESV_USAGE_READ);
	T_ASSERT_EQ_INT(dma_resv_num_fences(&obj), 2);
	T_ASSERT_EQ_INT(u_refcount_read(&f[1]->refcount), 1);
	T_ASSERT_OK(dma_resv_validate(&obj));
	dma_resv_unlock(&obj);
	for (int i = 0; i < 5; i++) {
		dma_fence_signal(f[i]);
		dma_fence_put(f[i]);
	}
	dma_resv_fini(&obj);
}

T_TEST(resv_wait, "dma/resv/wait-and-test")
{
	struct dma_fence *w = t_fence_create(dma_fence_context_alloc(1), 1);
	struct dma_fence *bk = t_fence_create(dma_fence_context_alloc(1), 1);
	struct t_later later;
	struct dma_resv obj;
	int64_t t0;

	dma_resv_init(&obj);
	T_ASSERT(dma_resv_test_signaled(&obj, DMA_RESV_USAGE_BOOKKEEP));
	T_ASSERT_EQ_INT(dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_BOOKKEEP, false, 0), 1);
	add_one(&obj, w, DMA_RESV_USAGE_WRITE);
	add_one(&obj, bk, DMA_RESV_USAGE_BOOKKEEP);
	T_ASSERT(!dma_resv_test_signaled(&obj, DMA_RESV_USAGE_WRITE));
	T_ASSERT_ERRNO(dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_READ, false, 0), ETIME);
	t0 = t_now_ns();
	T_ASSERT_ERRNO(dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_READ, false, T_MS(20)), ETIME);
	T_ASSERT_GE_INT(t_now_ns() - t0, T_MS(20));

	/* Implicit sync ignores BOOKKEEP; memory management waits for it. */
	t_later_start(&later, 10, t_signal_fn, w);
	T_ASSERT_GT_INT(dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_READ, false, T_MS(5000)), 0);
	t_later_join(&later);
	T_ASSERT(dma_resv_test_signaled(&obj, DMA_RESV_USAGE_READ));
	T_ASSERT(!dma_resv_test_signaled(&obj, DMA_RESV_USAGE_BOOKKEEP));
	/* The holder may wait too. */
	T_ASSERT_OK(dma_resv_lock(&obj, NULL));
	t_later_start(&later, 10, t_signal_fn, bk);
	T_ASSERT_EQ_INT(dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_BOOKKEEP, false,
					      DMA_FENCE_TIMEOUT_INFINITE), DMA_FENCE_TIMEOUT_INFINITE);
	t_later_join(&later);
	dma_resv_unlock(&obj);
	dma_fence_put(w);
	dma_fence_put(bk);
	dma_resv_fini(&obj);
}

T_TEST(resv_get_fences, "dma/resv/get-fences-and-singleton")
{
	struct dma_fence *a = t_fence_create(dma_fence_context_alloc(1), 1);
	struct dma_fence *b = t_fence_create(dma_fence_context_alloc(1), 1);
	struct dma_fence **fences, *single;
	struct dma_resv obj;
	unsigned int n;

	dma_resv_init(&obj);
	T_ASSERT_OK(dma_resv_get_fences(&obj, DMA_RESV_USAGE_BOOKKEEP, &n, &fences));
	T_ASSERT_EQ_INT(n, 0);
	T_ASSERT_NULL(fences);
	T_ASSERT_OK(dma_resv_get_singleton(&obj, DMA_RESV_USAGE_BOOKKEEP, &single));
	T_ASSERT_NULL(single);

	add_one(&obj, a, DMA_RESV_USAGE_WRITE);
	T_ASSERT_OK(dma_resv_get_singleton(&obj, DMA_RESV_USAGE_WRITE, &single));
	T_ASSERT_EQ_PTR(single, a);	/* one fence: itself */
	dma_fence_put(single);

	add_one(&obj, b, DMA_RESV_USAGE_READ);
	T_ASSERT_OK(dma_resv_get_fences(&obj, DMA_RESV_USAGE_READ, &n, &fences));
	T_ASSERT_EQ_INT(n, 2);
	for (unsigned int i = 0; i < n; i++)
		dma_fence_put(fences[i]);
	u_free(fences);
	T_ASSERT_OK(dma_resv_get_singleton(&obj, DMA_RESV_USAGE_READ, &single));
	T_ASSERT_NOT_NULL(to_dma_fence_array(single));	/* several: an array over them */
	dma_fence_signal(a);
	T_ASSERT(!dma_fence_is_signaled(single));
	dma_fence_signal(b);
	T_ASSERT(dma_fence_is_signaled(single));
	dma_fence_put(single);
	/* Signalled fences are left out. */
	T_ASSERT_OK(dma_resv_get_fences(&obj, DMA_RESV_USAGE_READ, &n, &fences));
	T_ASSERT_EQ_INT(n, 0);
	dma_fence_put(a);
	dma_fence_put(b);
	dma_resv_fini(&obj);
}

struct fault_resv {
	struct dma_resv obj;
	struct dma_fence *f[6];
};

static int resv_grow_run(void *ctx)
{
	struct fault_resv *fr = ctx;
	int ret;

	dma_resv_lock(&fr->obj, NULL);
	ret = dma_resv_reserve_fences(&fr->obj, 6);
	if (!ret) {
		for (int i = 0; i < 6; i++)
			dma_resv_add_fence(&fr->obj, fr->f[i], DMA_RESV_USAGE_READ);
	}
	dma_resv_unlock(&fr->obj);
	return ret;
}

static void resv_grow_undo(void *ctx)
{
	struct fault_resv *fr = ctx;

	dma_resv_fini(&fr->obj);
	dma_resv_init(&fr->obj);
}

static void resv_check(void *ctx)
{
	T_ASSERT_OK(dma_resv_validate(&((struct fault_resv *)ctx)->obj));
}

static int resv_singleton_run(void *ctx)
{
	struct fault_resv *fr = ctx;
	struct dma_fence *single;
	int ret = dma_resv_get_singleton(&fr->obj, DMA_RESV_USAGE_BOOKKEEP, &single);

	if (!ret)
		dma_fence_put(single);
	return ret;
}

T_TEST(resv_fault, "dma/resv/fault-loop")
{
	struct fault_resv fr;
	struct t_fault_loop_ops grow = {
		.run = resv_grow_run, .undo = resv_grow_undo, .check = resv_check,
	};
	struct t_fault_loop_ops singleton = { .run = resv_singleton_run, .check = resv_check };

	dma_resv_init(&fr.obj);
	for (int i = 0; i < 6; i++)
		fr.f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
	T_ASSERT_EQ_INT(t_fault_loop(&grow, &fr, false), 1);
	T_ASSERT_EQ_INT(t_fault_loop(&grow, &fr, true), 1);
	T_ASSERT_OK(resv_grow_run(&fr));
	/* get_fences' array, then the dma_fence_array. */
	T_ASSERT_EQ_INT(t_fault_loop(&singleton, &fr, false), 2);
	T_ASSERT_EQ_INT(t_fault_loop(&singleton, &fr, true), 2);
	for (int i = 0; i < 6; i++) {
		dma_fence_signal(fr.f[i]);
		dma_fence_put(fr.f[i]);
	}
	dma_resv_fini(&fr.obj);
}

T_TEST(resv_iter_restart, "dma/resv/lockless-walk-restarts")
{
	struct dma_fence *f[3];
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	struct dma_resv obj;
	int steps = 0, restarts = 0;

	dma_resv_init(&obj);
	for (int i = 0; i < 3; i++)
		f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
	add_one(&obj, f[0], DMA_RESV_USAGE_READ);
	add_one(&obj, f[1], DMA_RESV_USAGE_READ);
	dma_resv_iter_begin(&cursor, &obj, DMA_RESV_USAGE_READ);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		restarts += dma_resv_iter_is_restarted(&cursor);
		/* A writer changes the list between two steps. */
		if (steps++ == 0)
			add_one(&obj, f[2], DMA_RESV_USAGE_READ);
	}
	dma_resv_iter_end(&cursor);
	/* f0 (first start), then a restart: f0, f1, f2. */
	T_ASSERT_EQ_INT(steps, 4);
	T_ASSERT_EQ_INT(restarts, 2);
	for (int i = 0; i < 3; i++) {
		dma_fence_signal(f[i]);
		dma_fence_put(f[i]);
	}
	dma_resv_fini(&obj);
}

/* Readers walking and waiting while a writer adds and signals fences. */
struct resv_race {
	struct dma_resv obj;
	int stop;
};

static void *resv_reader(void *arg)
{
	struct resv_race *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		struct dma_fence *single;

		dma_resv_test_signaled(&r->obj, DMA_RESV_USAGE_BOOKKEEP);
		if (dma_resv_wait_timeout(&r->obj, DMA_RESV_USAGE_READ, false, T_MS(1)) == -EINVAL)
			return (void *)1;
		if (dma_resv_get_singleton(&r->obj, DMA_RESV_USAGE_BOOKKEEP, &single))
			return (void *)2;
		dma_fence_put(single);
	}
	return NULL;
}

T_TEST(resv_concurrent, "dma/resv/concurrent-readers")
{
	struct resv_race r = { .stop = 0 };
	pthread_t th[2];

	dma_resv_init(&r.obj);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, resv_reader, &r);
	for (int i = 0; i < 300; i++) {
		struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1);

		add_one(&r.obj, f, (enum dma_resv_usage)(i % 4));
		if (i % 3)
			dma_fence_signal(f);
		else if (i >= 3)
			sched_yield();
		dma_fence_put(f);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++) {
		void *ret;

		pthread_join(th[i], &ret);
		T_ASSERT_NULL(ret);
	}
	T_ASSERT_OK(dma_resv_validate(&r.obj));
	dma_resv_fini(&r.obj);
}

/* ---- drm_exec ---------------------------------------------------------- */

T_TEST(exec_basic, "dma/exec/lock-prepare-duplicates")
{
	struct dma_resv obj[3];
	struct drm_exec exec;
	struct dma_resv *it;
	unsigned int idx, n = 0;
	int ret = 0, passes = 0;

	for (int i = 0; i < 3; i++)
		dma_resv_init(&obj[i]);
	drm_exec_init(&exec, DRM_EXEC_IGNORE_DUPLICATES, 0);
	drm_exec_until_all_locked(&exec) {
		passes++;
		for (int i = 0; i < 3 && !ret; i++) {
			ret = drm_exec_prepare_resv(&exec, &obj[i], 2);
			drm_exec_retry_on_contention(&exec);
		}
		if (ret)
			break;
		/* A duplicate is ignored with the flag. */
		ret = drm_exec_prepare_resv(&exec, &obj[1], 1);
		drm_exec_retry_on_contention(&exec);
	}
	T_ASSERT_OK(ret);
	T_ASSERT_EQ_INT(passes, 1);
	drm_exec_for_each_locked_resv(&exec, idx, it) {
		T_ASSERT(dma_resv_held(it));
		T_ASSERT_EQ_PTR(dma_resv_locking_ctx(it), &exec.ticket);
		n++;
	}
	T_ASSERT_EQ_INT(n, 3);
	drm_exec_unlock_resv(&exec, &obj[0]);
	T_ASSERT(!dma_resv_held(&obj[0]));
	drm_exec_fini(&exec);
	for (int i = 0; i < 3; i++)
		T_ASSERT(!dma_resv_held(&obj[i]));

	/* Without the flag a duplicate is -EALREADY. */
	drm_exec_init(&exec, 0, 2);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_lock_resv(&exec, &obj[2]);
		drm_exec_retry_on_contention(&exec);
		T_ASSERT_OK(ret);
		ret = drm_exec_lock_resv(&exec, &obj[2]);
		drm_exec_retry_on_contention(&exec);
	}
	T_ASSERT_ERRNO(ret, EALREADY);
	drm_exec_fini(&exec);
	/* An exec that never locked anything finishes cleanly too. */
	drm_exec_init(&exec, 0, 0);
	drm_exec_fini(&exec);
	for (int i = 0; i < 3; i++)
		dma_resv_fini(&obj[i]);
}

struct exec_fault {
	struct dma_resv obj[40];
};

static void exec_undo(void *ctx);

static int exec_run(void *ctx)
{
	struct exec_fault *ef = ctx;
	struct drm_exec exec;
	int ret = 0;

	drm_exec_init(&exec, 0, 0);
	drm_exec_until_all_locked(&exec) {
		for (int i = 0; i < 40; i++) {
			ret = drm_exec_prepare_resv(&exec, &ef->obj[i], 1 + i % 3);
			drm_exec_retry_on_contention(&exec);
			if (ret)
				break;
		}
	}
	drm_exec_fini(&exec);
	/*
	 * The fence lists of the objects prepared before the failure stay (they
	 * are state, not leaks); drop them so the loop's heap count compares.
	 */
	if (ret)
		exec_undo(ctx);
	return ret;
}

static void exec_check(void *ctx)
{
	struct exec_fault *ef = ctx;

	for (int i = 0; i < 40; i++) {
		T_ASSERT(!dma_resv_held(&ef->obj[i]));
		T_ASSERT_OK(dma_resv_validate(&ef->obj[i]));
	}
}

static void exec_undo(void *ctx)
{
	struct exec_fault *ef = ctx;

	for (int i = 0; i < 40; i++) {
		dma_resv_fini(&ef->obj[i]);
		dma_resv_init(&ef->obj[i]);
	}
}

T_TEST(exec_fault, "dma/exec/fault-loop")
{
	struct exec_fault *ef = u_malloc(sizeof(*ef));
	struct t_fault_loop_ops ops = { .run = exec_run, .undo = exec_undo, .check = exec_check };
	unsigned long points;

	for (int i = 0; i < 40; i++)
		dma_resv_init(&ef->obj[i]);
	/* 40 fence lists + the object array at 16, 32 (and its first allocation). */
	points = t_fault_loop(&ops, ef, false);
	T_ASSERT_EQ_INT(points, 43);
	T_ASSERT_EQ_INT(t_fault_loop(&ops, ef, true), 43);
	for (int i = 0; i < 40; i++)
		dma_resv_fini(&ef->obj[i]);
	u_free(ef);
}

#define EXEC_OBJS	8
#define EXEC_THREADS	4
#define EXEC_ROUNDS	300

struct exec_race {
	struct dma_resv obj[EXEC_OBJS];
	int in_use[EXEC_OBJS];		/* exclusive-ownership check */
	int passes;
	int failures;
};

struct exec_worker {
	struct exec_race *r;
	uint64_t rng;
	struct dma_fence *fence;
};

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *exec_thread(void *arg)
{
	struct exec_worker *w = arg;
	struct exec_race *r = w->r;

	for (int round = 0; round < EXEC_ROUNDS; round++) {
		int set[EXEC_OBJS], n = 2 + (int)(next_rand(&w->rng) % 4);
		struct drm_exec exec;
		struct dma_resv *it;
		unsigned int idx;
		int ret = 0;

		for (int i = 0; i < n; i++)
			set[i] = (int)(next_rand(&w->rng) % EXEC_OBJS);
		drm_exec_init(&exec, DRM_EXEC_IGNORE_DUPLICATES, 0);
		drm_exec_until_all_locked(&exec) {
			__atomic_fetch_add(&r->passes, 1, __ATOMIC_RELAXED);
			for (int i = 0; i < n; i++) {
				ret = drm_exec_prepare_resv(&exec, &r->obj[set[i]], 1);
				drm_exec_retry_on_contention(&exec);
				if (ret)
					break;
				/* Yield with locks held to make overlaps likely. */
				if (!(next_rand(&w->rng) % 4))
					sched_yield();
			}
		}
		if (ret) {
			__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
			drm_exec_fini(&exec);
			continue;
		}
		drm_exec_for_each_locked_resv(&exec, idx, it) {
			int *use = &r->in_use[it - r->obj];

			if (__atomic_fetch_add(use, 1, __ATOMIC_RELAXED) != 0)
				__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
			dma_resv_add_fence(it, w->fence, DMA_RESV_USAGE_BOOKKEEP);
		}
		drm_exec_for_each_locked_resv(&exec, idx, it)
			__atomic_fetch_sub(&r->in_use[it - r->obj], 1, __ATOMIC_RELAXED);
		drm_exec_fini(&exec);
	}
	return NULL;
}

T_TEST(exec_threads, "dma/exec/ww-backoff-threads")
{
	struct exec_race *r = u_zalloc(sizeof(*r));
	struct exec_worker w[EXEC_THREADS];
	pthread_t th[EXEC_THREADS];
	unsigned long reports = u_lockdep_reports();

	for (int i = 0; i < EXEC_OBJS; i++)
		dma_resv_init(&r->obj[i]);
	for (int i = 0; i < EXEC_THREADS; i++) {
		w[i] = (struct exec_worker){
			.r = r,
			.rng = t_rand() | 1,
			.fence = t_fence_create(dma_fence_context_alloc(1), 1),
		};
		pthread_create(&th[i], NULL, exec_thread, &w[i]);
	}
	for (int i = 0; i < EXEC_THREADS; i++)
		pthread_join(th[i], NULL);
	T_ASSERT_EQ_INT(r->failures, 0);
	T_ASSERT_EQ_INT(u_lockdep_reports(), reports);
	t_note("%d passes for %d transactions (%d retries after -EDEADLK)", r->passes,
	       EXEC_THREADS * EXEC_ROUNDS, r->passes - EXEC_THREADS * EXEC_ROUNDS);
	for (int i = 0; i < EXEC_OBJS; i++) {
		T_ASSERT_OK(dma_resv_validate(&r->obj[i]));
		/* Same-context fences replace each other: one per thread at most. */
		T_ASSERT_LE_INT(dma_resv_num_fences(&r->obj[i]), EXEC_THREADS);
	}
	for (int i = 0; i < EXEC_THREADS; i++) {
		dma_fence_signal(w[i].fence);
		dma_fence_put(w[i].fence);
	}
	for (int i = 0; i < EXEC_OBJS; i++)
		dma_resv_fini(&r->obj[i]);
	u_free(r);
}
