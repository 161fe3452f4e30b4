// SPDX-License-Identifier: MIT
/*
 * Tests of drm_syncobj (binary and timeline, waits, transfer) and of sync
 * files, through the object API the ioctl layer wraps.
 */
#include "t_dma.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include "dma/dma_fence_array.h"
#include "dma/sync_file.h"
#include "dma/syncobj.h"
#include "util/u_err.h"
#include "util/u_fault.h"

static struct drm_syncobj *new_syncobj(uint32_t flags)
{
	struct drm_syncobj *s = drm_syncobj_create(flags, NULL);

	T_ASSERT(!IS_ERR(s));
	return s;
}

static int64_t abs_in(int ms)
{
	return t_now_ns() + T_MS(ms);
}

static void add_point(struct drm_syncobj *s, struct dma_fence *f, uint64_t point)
{
	struct dma_fence_chain *c = dma_fence_chain_alloc();

	T_ASSERT(!IS_ERR(c));
	drm_syncobj_add_point(s, c, f, point);
	T_ASSERT_OK(drm_syncobj_validate(s));
}

static uint64_t query(struct drm_syncobj *s, uint32_t flags)
{
	uint64_t p = 12345;

	T_ASSERT_OK(drm_syncobj_query(s, flags, &p));
	return p;
}

/* ---- binary ------------------------------------------------------------ */

T_TEST(syncobj_binary, "dma/syncobj/binary")
{
	struct drm_syncobj *s = new_syncobj(0);
	struct drm_syncobj *sig = new_syncobj(DRM_SYNCOBJ_CREATE_SIGNALED);
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1), *got;
	uint32_t first;

	T_ASSERT(IS_ERR(drm_syncobj_create(1u << 5, NULL)));
	T_ASSERT_ERRNO(PTR_ERR(drm_syncobj_create(1u << 5, NULL)), EINVAL);
	/* No fence: a wait is -EINVAL without WAIT_FOR_SUBMIT (the kernel's answer). */
	T_ASSERT_NULL(drm_syncobj_fence_get(s));
	T_ASSERT_ERRNO(drm_syncobj_array_wait(&s, NULL, 1, 0, abs_in(10), &first), EINVAL);
	T_ASSERT_ERRNO(drm_syncobj_find_fence(s, 0, 0, 0, &got), EINVAL);
	T_ASSERT_NULL(got);
	/* Created signalled: waits return at once. */
	T_ASSERT_OK(drm_syncobj_array_wait(&sig, NULL, 1, 0, 0, &first));
	T_ASSERT_EQ_INT(first, 0);

	drm_syncobj_replace_fence(s, f);
	T_ASSERT_OK(drm_syncobj_find_fence(s, 0, 0, 0, &got));
	T_ASSERT_EQ_PTR(got, f);
	dma_fence_put(got);
	T_ASSERT_ERRNO(drm_syncobj_array_wait(&s, NULL, 1, 0, 0, &first), ETIME);
	T_ASSERT_EQ_INT(first, UINT32_MAX);
	dma_fence_signal(f);
	T_ASSERT_OK(drm_syncobj_array_wait(&s, NULL, 1, 0, 0, NULL));

	/* Reset: no fence again. Signal: the stub. */
	drm_syncobj_reset(s);
	T_ASSERT_ERRNO(drm_syncobj_array_wait(&s, NULL, 1, 0, 0, NULL), EINVAL);
	drm_syncobj_signal(s);
	T_ASSERT_OK(drm_syncobj_array_wait(&s, NULL, 1, 0, 0, NULL));
	/* A binary syncobj has no timeline to query. */
	T_ASSERT_EQ_INT(query(s, 0), 0);
	T_ASSERT_ERRNO(drm_syncobj_query(s, 1u << 4, &(uint64_t){ 0 }), EINVAL);
	T_ASSERT_ERRNO(drm_syncobj_array_wait(&s, NULL, 1, 1u << 7, 0, NULL), EINVAL);
	T_ASSERT_OK(drm_syncobj_array_wait(&s, NULL, 0, 0, 0, NULL));	/* nothing to wait for */

	T_ASSERT_OK(drm_syncobj_validate(s));
	dma_fence_put(f);
	drm_syncobj_put(s);
	drm_syncobj_put(sig);
}

struct delayed_attach {
	struct drm_syncobj *s;
	struct dma_fence *f;
	uint64_t point;		/* 0: replace */
	int signal_after_ms;	/* -1: do not signal */
};

static void attach_fn(void *arg)
{
	struct delayed_attach *d = arg;

	if (d->point) {
		struct dma_fence_chain *c = dma_fence_chain_alloc();

		drm_syncobj_add_point(d->s, c, d->f, d->point);
	} else {
		drm_syncobj_replace_fence(d->s, d->f);
	}
	if (d->signal_after_ms >= 0) {
		t_sleep_ms(d->signal_after_ms);
		dma_fence_signal(d->f);
	}
}

T_TEST(syncobj_wait_all_any, "dma/syncobj/wait-all-any")
{
	struct drm_syncobj *s[3];
	struct dma_fence *f[3];
	struct t_later later;
	uint32_t first;
	int64_t deadline;

	for (int i = 0; i < 3; i++) {
		s[i] = new_syncobj(0);
		f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
		drm_syncobj_replace_fence(s[i], f[i]);
	}
	/* Poll (0) and a deadline already past: -ETIME at once. */
	T_ASSERT_ERRNO(drm_syncobj_array_wait(s, NULL, 3, 0, 0, &first), ETIME);
	T_ASSERT_ERRNO(drm_syncobj_array_wait(s, NULL, 3, 0, t_now_ns() - T_MS(5), &first),
		       ETIME);
	/* A real deadline is honoured. */
	deadline = abs_in(20);
	T_ASSERT_ERRNO(drm_syncobj_array_wait(s, NULL, 3, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
					      deadline, &first), ETIME);
	T_ASSERT_GE_INT(t_now_ns(), deadline);

	/* Any: the one another thread signals. */
	t_later_start(&later, 10, t_signal_fn, f[2]);
	T_ASSERT_OK(drm_syncobj_array_wait(s, NULL, 3, 0, abs_in(5000), &first));
	t_later_join(&later);
	T_ASSERT_EQ_INT(first, 2);
	/* All: still two pending, times out; then completes. */
	T_ASSERT_ERRNO(drm_syncobj_array_wait(s, NULL, 3, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
					      abs_in(10), &first), ETIME);
	dma_fence_signal(f[0]);
	t_later_start(&later, 10, t_signal_fn, f[1]);
	T_ASSERT_OK(drm_syncobj_array_wait(s, NULL, 3, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
					   abs_in(5000), &first));
	t_later_join(&later);
	/* WAIT_ALL reports the first found signalled before sleeping, as the kernel does. */
	T_ASSERT_EQ_INT(first, 0);
	for (int i = 0; i < 3; i++) {
		dma_fence_put(f[i]);
		drm_syncobj_put(s[i]);
	}
}

T_TEST(syncobj_wait_for_submit, "dma/syncobj/wait-for-submit")
{
	struct drm_syncobj *s[2] = { new_syncobj(0), new_syncobj(0) };
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1), *got;
	struct delayed_attach d = { .s = s[1], .f = f, .signal_after_ms = 10 };
	struct t_later later;
	uint32_t first;

	/* Nothing attached, nothing comes: -ETIME rather than -EINVAL. */
	T_ASSERT_ERRNO(drm_syncobj_array_wait(s, NULL, 2, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
					      abs_in(10), &first), ETIME);
	/* Attached later by another thread, then signalled: the wait sees both. */
	t_later_start(&later, 10, attach_fn, &d);
	T_ASSERT_OK(drm_syncobj_array_wait(s, NULL, 2, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
					   abs_in(5000), &first));
	t_later_join(&later);
	T_ASSERT_EQ_INT(first, 1);
	T_ASSERT(dma_fence_is_signaled(f));
	T_ASSERT_OK(drm_syncobj_validate(s[1]));

	/* WAIT_AVAILABLE returns once attached, before the signal. */
	drm_syncobj_reset(s[1]);
	dma_fence_put(f);
	f = t_fence_create(dma_fence_context_alloc(1), 1);
	d.f = f;
	d.signal_after_ms = -1;
	t_later_start(&later, 10, attach_fn, &d);
	T_ASSERT_OK(drm_syncobj_array_wait(&s[1], NULL, 1, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE,
					   abs_in(5000), &first));
	t_later_join(&later);
	T_ASSERT(!dma_fence_is_signaled(f));

	/* find_fence with WAIT_FOR_SUBMIT: waits for the attach, or times out. */
	drm_syncobj_reset(s[0]);
	T_ASSERT_ERRNO(drm_syncobj_find_fence(s[0], 0, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
					      T_MS(10), &got), ETIME);
	d.s = s[0];
	t_later_start(&later, 10, attach_fn, &d);
	T_ASSERT_OK(drm_syncobj_find_fence(s[0], 0, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
					   T_MS(5000), &got));
	t_later_join(&later);
	T_ASSERT_EQ_PTR(got, f);
	dma_fence_put(got);
	T_ASSERT_ERRNO(drm_syncobj_find_fence(s[0], 0, 1u << 6, 0, &got), EINVAL);

	dma_fence_signal(f);
	dma_fence_put(f);
	drm_syncobj_put(s[0]);
	drm_syncobj_put(s[1]);
}

/* ---- timelines --------------------------------------------------------- */

T_TEST(syncobj_timeline, "dma/syncobj/timeline-points")
{
	struct drm_syncobj *s = new_syncobj(0);
	struct dma_fence *f[4];
	struct t_later later;
	uint64_t p2 = 2, p4 = 4;
	uint32_t first;

	T_ASSERT_EQ_INT(query(s, 0), 0);
	for (int i = 0; i < 3; i++) {
		f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
		add_point(s, f[i], i + 1);
	}
	T_ASSERT_EQ_INT(query(s, DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 3);
	T_ASSERT_EQ_INT(query(s, 0), 0);

	/* Out of order: the query is the last point with all before it done. */
	dma_fence_signal(f[2]);
	T_ASSERT_EQ_INT(query(s, 0), 0);
	dma_fence_signal(f[0]);
	T_ASSERT_EQ_INT(query(s, 0), 1);
	T_ASSERT_OK(drm_syncobj_array_wait(&s, &(uint64_t){ 1 }, 1, 0, 0, NULL));
	T_ASSERT_ERRNO(drm_syncobj_array_wait(&s, &(uint64_t){ 3 }, 1, 0, 0, NULL), ETIME);

	/* Point 2, signalled by another thread, completes points 2 and 3. */
	t_later_start(&later, 10, t_signal_fn, f[1]);
	T_ASSERT_OK(drm_syncobj_array_wait(&s, &p2, 1, 0, abs_in(5000), &first));
	t_later_join(&later);
	T_ASSERT_EQ_INT(query(s, 0), 3);

	/* Point 4 not submitted: -EINVAL, unless waiting for submission. */
	T_ASSERT_ERRNO(drm_syncobj_array_wait(&s, &p4, 1, 0, abs_in(10), NULL), EINVAL);
	f[3] = t_fence_create(dma_fence_context_alloc(1), 1);
	{
		struct delayed_attach d = { .s = s, .f = f[3], .point = 4, .signal_after_ms = 5 };

		t_later_start(&later, 10, attach_fn, &d);
		T_ASSERT_OK(drm_syncobj_array_wait(&s, &p4, 1,
						   DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
						   abs_in(5000), NULL));
		t_later_join(&later);
	}
	T_ASSERT_EQ_INT(query(s, 0), 4);
	/* A point long signalled and collected resolves to the stub. */
	{
		struct dma_fence *got;

		T_ASSERT_OK(drm_syncobj_find_fence(s, 1, 0, 0, &got));
		T_ASSERT(dma_fence_is_signaled(got));
		dma_fence_put(got);
	}
	T_ASSERT_OK(drm_syncobj_validate(s));
	for (int i = 0; i < 4; i++)
		dma_fence_put(f[i]);
	drm_syncobj_put(s);
}

T_TEST(syncobj_timeline_signal, "dma/syncobj/timeline-signal")
{
	struct drm_syncobj *s[2] = { new_syncobj(0), new_syncobj(0) };
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1);
	uint64_t points[2] = { 5, 7 };

	add_point(s[0], f, 3);
	T_ASSERT_OK(drm_syncobj_timeline_signal(s, points, 2));
	T_ASSERT_EQ_INT(query(s[0], DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 5);
	T_ASSERT_EQ_INT(query(s[1], 0), 7);
	/* Point 5 is signalled, but point 3 before it is not. */
	T_ASSERT_EQ_INT(query(s[0], 0), 0);
	dma_fence_signal(f);
	T_ASSERT_EQ_INT(query(s[0], 0), 5);
	/* A point below the newest starts a new context: the query cannot see past it. */
	T_ASSERT_OK(drm_syncobj_timeline_signal(&s[1], (uint64_t[]){ 2 }, 1));
	T_ASSERT_EQ_INT(query(s[1], DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 7);
	T_ASSERT_EQ_INT(query(s[1], 0), 7);
	T_ASSERT_OK(drm_syncobj_validate(s[1]));
	dma_fence_put(f);
	drm_syncobj_put(s[0]);
	drm_syncobj_put(s[1]);
}

T_TEST(syncobj_transfer, "dma/syncobj/transfer")
{
	struct drm_syncobj *bin = new_syncobj(0), *tl = new_syncobj(0), *tl2 = new_syncobj(0);
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1);
	struct dma_fence *g = t_fence_create(dma_fence_context_alloc(1), 1);
	struct dma_fence *got;

	/* Source without a fence: -EINVAL; with WAIT_FOR_SUBMIT it would wait. */
	T_ASSERT_ERRNO(drm_syncobj_transfer(tl, 1, bin, 0, 0), EINVAL);
	/* binary -> timeline point 1 */
	drm_syncobj_replace_fence(bin, f);
	T_ASSERT_OK(drm_syncobj_transfer(tl, 1, bin, 0, 0));
	T_ASSERT_EQ_INT(query(tl, DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 1);
	T_ASSERT_EQ_INT(query(tl, 0), 0);
	/* timeline point 2 (a second fence) -> binary: waits for both points. */
	add_point(tl, g, 2);
	drm_syncobj_reset(bin);
	T_ASSERT_OK(drm_syncobj_transfer(bin, 0, tl, 2, 0));
	T_ASSERT_OK(drm_syncobj_find_fence(bin, 0, 0, 0, &got));
	T_ASSERT_NOT_NULL(to_dma_fence_chain(got));
	dma_fence_put(got);
	/* timeline -> timeline: point 2 flattened (two leaves) into point 10. */
	T_ASSERT_OK(drm_syncobj_transfer(tl2, 10, tl, 2, 0));
	T_ASSERT_OK(drm_syncobj_find_fence(tl2, 10, 0, 0, &got));
	T_ASSERT_NOT_NULL(to_dma_fence_array(dma_fence_chain_contained(got)));
	dma_fence_put(got);
	dma_fence_signal(g);
	T_ASSERT_ERRNO(drm_syncobj_array_wait(&bin, NULL, 1, 0, 0, NULL), ETIME);
	T_ASSERT_EQ_INT(query(tl2, 0), 0);
	dma_fence_signal(f);
	T_ASSERT_OK(drm_syncobj_array_wait(&bin, NULL, 1, 0, 0, NULL));
	T_ASSERT_EQ_INT(query(tl, 0), 2);
	T_ASSERT_EQ_INT(query(tl2, 0), 10);
	/* Unknown flags are refused. */
	T_ASSERT_ERRNO(drm_syncobj_transfer(bin, 0, tl, 2, 1u << 4), EINVAL);
	T_ASSERT_OK(drm_syncobj_validate(tl2));
	dma_fence_put(f);
	dma_fence_put(g);
	drm_syncobj_put(bin);
	drm_syncobj_put(tl);
	drm_syncobj_put(tl2);
}

/* ---- fault injection --------------------------------------------------- */

struct syncobj_fault {
	struct drm_syncobj *s[3];
	struct dma_fence *f;
};

static int create_run(void *ctx)
{
	struct drm_syncobj *s = drm_syncobj_create(DRM_SYNCOBJ_CREATE_SIGNALED, NULL);

	if (IS_ERR(s))
		return (int)PTR_ERR(s);
	drm_syncobj_put(s);
	return 0;
}

static int tl_signal_run(void *ctx)
{
	struct syncobj_fault *sf = ctx;

	return drm_syncobj_timeline_signal(sf->s, (uint64_t[]){ 1, 2, 3 }, 3);
}

static void tl_undo(void *ctx)
{
	struct syncobj_fault *sf = ctx;

	for (int i = 0; i < 3; i++)
		drm_syncobj_reset(sf->s[i]);
}

static void tl_check(void *ctx)
{
	struct syncobj_fault *sf = ctx;

	for (int i = 0; i < 3; i++)
		T_ASSERT_OK(drm_syncobj_validate(sf->s[i]));
}

static int transfer_run(void *ctx)
{
	struct syncobj_fault *sf = ctx;

	return drm_syncobj_transfer(sf->s[2], 9, sf->s[1], 5, 0);
}

static void transfer_undo(void *ctx)
{
	drm_syncobj_reset(((struct syncobj_fault *)ctx)->s[2]);
}

static int wait_run(void *ctx)
{
	struct syncobj_fault *sf = ctx;
	int ret = drm_syncobj_array_wait(sf->s, NULL, 2, 0, 0, NULL);

	return ret == -ETIME ? 0 : ret;
}

static int import_run(void *ctx)
{
	struct syncobj_fault *sf = ctx;
	int fd = sync_file_create(sf->f), ret;

	if (fd < 0)
		return fd;
	ret = drm_syncobj_import_sync_file(sf->s[0], fd, 4);
	close(fd);
	sync_file_gc();
	return ret;
}

static int export_run(void *ctx)
{
	struct syncobj_fault *sf = ctx;
	int fd = drm_syncobj_export_sync_file(sf->s[1], 5);

	if (fd < 0)
		return fd;
	close(fd);
	sync_file_gc();
	return 0;
}

T_TEST(syncobj_fault, "dma/syncobj/fault-loop")
{
	struct syncobj_fault sf;
	struct t_fault_loop_ops create = { .run = create_run };
	struct t_fault_loop_ops tl = { .run = tl_signal_run, .undo = tl_undo, .check = tl_check };
	struct t_fault_loop_ops transfer = { .run = transfer_run, .undo = transfer_undo,
					     .check = tl_check };
	struct dma_fence *g;
	struct t_fault_loop_ops wait = { .run = wait_run };
	struct t_fault_loop_ops export = { .run = export_run };
	struct t_fault_loop_ops import = { .run = import_run, .undo = tl_undo, .check = tl_check };

	T_ASSERT_EQ_INT(t_fault_loop(&create, NULL, false), 1);
	for (int i = 0; i < 3; i++)
		sf.s[i] = new_syncobj(0);
	sf.f = t_fence_create(dma_fence_context_alloc(1), 1);
	/* The array of chains, then one chain per syncobj: all or nothing. */
	T_ASSERT_EQ_INT(t_fault_loop(&tl, &sf, false), 4);
	T_ASSERT_EQ_INT(t_fault_loop(&tl, &sf, true), 4);

	/* Transfer of a two-leaf point: the leaves, the array, the chain node. */
	g = t_fence_create(dma_fence_context_alloc(1), 1);
	add_point(sf.s[1], sf.f, 4);
	add_point(sf.s[1], g, 5);
	drm_syncobj_replace_fence(sf.s[0], sf.f);
	T_ASSERT_EQ_INT(t_fault_loop(&transfer, &sf, false), 3);
	T_ASSERT_EQ_INT(t_fault_loop(&transfer, &sf, true), 3);
	T_ASSERT_EQ_INT(t_fault_loop(&wait, &sf, false), 1);
	T_ASSERT_EQ_INT(t_fault_loop(&export, &sf, false), 1);
	/* The registry entry, then the chain node. */
	T_ASSERT_EQ_INT(t_fault_loop(&import, &sf, false), 2);
	T_ASSERT_EQ_INT(sync_file_count(), 0);

	dma_fence_signal(sf.f);
	dma_fence_signal(g);
	dma_fence_put(g);
	dma_fence_put(sf.f);
	for (int i = 0; i < 3; i++)
		drm_syncobj_put(sf.s[i]);
}

/* ---- concurrency ------------------------------------------------------- */

#define TL_POINTS 200

struct tl_race {
	struct drm_syncobj *s;
	struct dma_fence *f[TL_POINTS];
	int errors;
};

static void *tl_submitter(void *arg)
{
	struct tl_race *r = arg;

	for (int i = 0; i < TL_POINTS; i++) {
		struct dma_fence_chain *c = dma_fence_chain_alloc();

		drm_syncobj_add_point(r->s, c, r->f[i], i + 1);
		if (!(i % 16))
			sched_yield();
	}
	return NULL;
}

static void *tl_signaller(void *arg)
{
	struct tl_race *r = arg;

	/* Signals in a scrambled order, waiting for each point to be submitted. */
	for (int i = 0; i < TL_POINTS; i++) {
		int k = (i * 37) % TL_POINTS;
		struct dma_fence *got;

		if (drm_syncobj_find_fence(r->s, k + 1, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
					   T_MS(10000), &got))
			__atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
		else
			dma_fence_put(got);
		dma_fence_signal(r->f[k]);
	}
	return NULL;
}

static void *tl_waiter(void *arg)
{
	struct tl_race *r = arg;

	for (uint64_t p = 10; p <= TL_POINTS; p += 10) {
		uint64_t q;

		if (drm_syncobj_array_wait(&r->s, &p, 1, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
					   t_now_ns() + T_MS(10000), NULL))
			__atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
		drm_syncobj_query(r->s, 0, &q);
		if (q < p)
			__atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

T_TEST(syncobj_concurrent, "dma/syncobj/concurrent-timeline")
{
	struct tl_race r = { .errors = 0 };
	pthread_t th[4];

	r.s = new_syncobj(0);
	for (int i = 0; i < TL_POINTS; i++)
		r.f[i] = t_fence_create(dma_fence_context_alloc(1), 1);
	pthread_create(&th[0], NULL, tl_waiter, &r);
	pthread_create(&th[1], NULL, tl_waiter, &r);
	pthread_create(&th[2], NULL, tl_signaller, &r);
	pthread_create(&th[3], NULL, tl_submitter, &r);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	T_ASSERT_EQ_INT(r.errors, 0);
	T_ASSERT_EQ_INT(query(r.s, 0), TL_POINTS);
	T_ASSERT_OK(drm_syncobj_validate(r.s));
	for (int i = 0; i < TL_POINTS; i++)
		dma_fence_put(r.f[i]);
	drm_syncobj_put(r.s);
}

/* ---- sync files -------------------------------------------------------- */

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

T_TEST(sync_file_round_trip, "dma/sync_file/export-import")
{
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1), *got;
	unsigned int base = sync_file_count();
	int fd, fd2;

	fd = sync_file_create(f);
	T_ASSERT_GE_INT(fd, 0);
	T_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	got = sync_file_get_fence(fd);
	T_ASSERT_EQ_PTR(got, f);
	dma_fence_put(got);
	T_ASSERT(sync_file_is_sync_file(fd));
	/* A dup is the same sync file, and outlives the original. */
	fd2 = dup(fd);
	close(fd);
	T_ASSERT_EQ_INT(sync_file_gc(), 0);
	got = sync_file_get_fence(fd2);
	T_ASSERT_EQ_PTR(got, f);
	dma_fence_put(got);
	/* Pollable: readable once the fence has signalled. */
	T_ASSERT(!readable(fd2));
	dma_fence_signal(f);
	T_ASSERT(readable(fd2));
	/* Closing the last descriptor lets the registry drop its reference. */
	close(fd2);
	T_ASSERT_EQ_INT(sync_file_gc(), 1);
	T_ASSERT_EQ_INT(sync_file_count(), base);
	T_ASSERT_EQ_INT(u_refcount_read(&f->refcount), 1);
	/* Exported already signalled: readable at once. */
	fd = sync_file_create(f);
	T_ASSERT(readable(fd));
	close(fd);
	sync_file_gc();
	dma_fence_put(f);
}

T_TEST(sync_file_not_ours, "dma/sync_file/foreign-fds")
{
	int devnull = open("/dev/null", O_RDONLY), sv[2], fd;
	struct dma_fence *f = dma_fence_get_stub();

	T_ASSERT_ERRNO(PTR_ERR(sync_file_get_fence(devnull)), EINVAL);
	T_ASSERT_ERRNO(PTR_ERR(sync_file_get_fence(-1)), EINVAL);
	T_ASSERT_ERRNO(PTR_ERR(sync_file_get_fence(999999)), EINVAL);
	/* A socket, but not one of ours. */
	T_ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T_ASSERT_ERRNO(PTR_ERR(sync_file_get_fence(sv[0])), EINVAL);
	T_ASSERT(!sync_file_is_sync_file(sv[1]));
	/* A closed sync file's number, reused by something else. */
	fd = sync_file_create(f);
	close(fd);
	T_ASSERT_EQ_INT(dup2(devnull, fd), fd);
	T_ASSERT_ERRNO(PTR_ERR(sync_file_get_fence(fd)), EINVAL);
	close(fd);
	close(sv[0]);
	close(sv[1]);
	close(devnull);
	T_ASSERT_EQ_INT(drm_syncobj_import_sync_file(NULL, devnull, 0), -EINVAL);
	sync_file_gc();
	dma_fence_put(f);
}

T_TEST(sync_file_syncobj, "dma/sync_file/syncobj-export-import")
{
	struct drm_syncobj *a = new_syncobj(0), *b = new_syncobj(0);
	struct dma_fence *f = t_fence_create(dma_fence_context_alloc(1), 1), *got;
	int fd;

	/* Nothing to export yet. */
	T_ASSERT_ERRNO(drm_syncobj_export_sync_file(a, 0), EINVAL);
	add_point(a, f, 3);
	T_ASSERT_ERRNO(drm_syncobj_export_sync_file(a, 4), EINVAL);
	fd = drm_syncobj_export_sync_file(a, 3);
	T_ASSERT_GE_INT(fd, 0);
	/* Into a binary syncobj, then into a timeline point. */
	T_ASSERT_OK(drm_syncobj_import_sync_file(b, fd, 0));
	T_ASSERT_ERRNO(drm_syncobj_array_wait(&b, NULL, 1, 0, 0, NULL), ETIME);
	T_ASSERT_OK(drm_syncobj_import_sync_file(b, fd, 8));
	T_ASSERT_EQ_INT(query(b, DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 8);
	dma_fence_signal(f);
	T_ASSERT_OK(drm_syncobj_array_wait(&b, (uint64_t[]){ 8 }, 1, 0, 0, NULL));
	T_ASSERT_OK(drm_syncobj_find_fence(b, 8, 0, 0, &got));
	T_ASSERT(dma_fence_is_signaled(got));
	dma_fence_put(got);
	close(fd);
	T_ASSERT_EQ_INT(sync_file_gc(), 1);
	dma_fence_put(f);
	drm_syncobj_put(a);
	drm_syncobj_put(b);
}

static int sync_file_run(void *ctx)
{
	int fd = sync_file_create(ctx);

	if (fd < 0)
		return fd;
	close(fd);
	sync_file_gc();
	return 0;
}

T_TEST(sync_file_fault, "dma/sync_file/fault-loop")
{
	struct dma_fence *f = dma_fence_get_stub();
	struct t_fault_loop_ops ops = { .run = sync_file_run };

	T_ASSERT_EQ_INT(t_fault_loop(&ops, f, false), 1);
	T_ASSERT_EQ_INT(sync_file_count(), 0);
	dma_fence_put(f);
}

/* ---- syncobj fds ------------------------------------------------------- */

T_TEST(syncobj_fd_round_trip, "dma/syncobj/fd-export-import-dup-close")
{
	struct drm_syncobj *s = new_syncobj(0), *got;
	struct dma_fence *f = dma_fence_get_stub();
	unsigned int base = sync_file_count();
	int fd, fd2, sf;

	fd = drm_syncobj_get_fd(s);
	T_ASSERT_GE_INT(fd, 0);
	T_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* The fd holds its own reference: the creator's can go. */
	T_ASSERT_EQ_INT(u_refcount_read(&s->refcount), 2);
	got = drm_syncobj_from_fd(fd);
	T_ASSERT_EQ_PTR(got, s);
	drm_syncobj_put(got);
	/* A dup is the same file and outlives the original. */
	fd2 = dup(fd);
	close(fd);
	T_ASSERT_EQ_INT(sync_file_gc(), 0);
	got = drm_syncobj_from_fd(fd2);
	T_ASSERT_EQ_PTR(got, s);
	drm_syncobj_put(got);
	/* Neither kind of file is the other. */
	T_ASSERT(!sync_file_is_sync_file(fd2));
	T_ASSERT_ERRNO(PTR_ERR(sync_file_get_fence(fd2)), EINVAL);
	sf = sync_file_create(f);
	T_ASSERT_GE_INT(sf, 0);
	T_ASSERT_ERRNO(PTR_ERR(drm_syncobj_from_fd(sf)), EINVAL);
	T_ASSERT_ERRNO(PTR_ERR(drm_syncobj_from_fd(-1)), EINVAL);
	close(sf);
	/* Closing the last descriptor lets the registry drop the syncobj. */
	close(fd2);
	T_ASSERT_EQ_INT(sync_file_gc(), 2);
	T_ASSERT_EQ_INT(sync_file_count(), base);
	T_ASSERT_EQ_INT(u_refcount_read(&s->refcount), 1);
	T_ASSERT_ERRNO(PTR_ERR(drm_syncobj_from_fd(fd2)), EINVAL);
	drm_syncobj_put(s);
	dma_fence_put(f);
}

static int syncobj_fd_run(void *ctx)
{
	int fd = drm_syncobj_get_fd(ctx);

	if (fd < 0)
		return fd;
	close(fd);
	sync_file_gc();
	return 0;
}

T_TEST(syncobj_fd_fault, "dma/syncobj/fd-fault-loop")
{
	struct drm_syncobj *s = new_syncobj(0);
	struct t_fault_loop_ops ops = { .run = syncobj_fd_run };

	/* One allocation (the registry entry); its failure leaves nothing behind. */
	T_ASSERT_EQ_INT(t_fault_loop(&ops, s, false), 1);
	T_ASSERT_EQ_INT(u_refcount_read(&s->refcount), 1);
	drm_syncobj_put(s);
}
