// SPDX-License-Identifier: MIT
/*
 * Tests of the VA manager (src/gpuvm): every numbered split/merge case drawn
 * in gpuvm.c's DOC (exact steps, keep flags, pieces and resulting tree, both
 * through callbacks and through the *_ops_create() lists), invalid requests,
 * step failures, a long randomized run against a reference interval model
 * and a per-page shadow, vm_bo lifetime (obtain, prealloc, deferred put),
 * the extobj and evict lists, gpuvm_validate() catching each kind of
 * corruption, and the fault-injection sweep of every allocating call.
 *
 * The test driver below mirrors how panthor uses drm_gpuvm: VAs and the
 * vm_bo are reserved before the walk, the walk runs inside a no-allocation
 * section (as on the fence-signalling path), steps unlink with the deferred
 * variant, and the deferred vm_bos are cleaned up afterwards.
 */
#include "t_harness.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpuvm/gpuvm.h"
#include "util/u_alloc.h"
#include "util/u_compiler.h"
#include "util/u_err.h"
#include "util/u_fault.h"
#include "util/u_log.h"

#define PG 0x1000ull
#define CASE_BASE 0x10000000ull		/* VM start for the drawn cases */
#define CASE_PAGES 64ull

/* Reservation objects are opaque to gpuvm: any distinct addresses do. */
static int vm_resv, ext_resv;

/* ---- the test driver ------------------------------------------------------------ */

struct tbo {
	struct gpuvm_gem base;
	struct u_refcount ref;
	char name;
};

static struct tbo *to_tbo(struct gpuvm_gem *obj)
{
	return container_of(obj, struct tbo, base);
}

static void tbo_init(struct tbo *bo, void *resv, char name)
{
	gpuvm_gem_init(&bo->base, resv);
	u_refcount_init(&bo->ref, 1);
	bo->name = name;
}

/* Every vm_bo must have dropped its object reference by now. */
static void tbo_fini(struct tbo *bo)
{
	T_ASSERT_EQ_INT(u_refcount_read(&bo->ref), 1);
	T_ASSERT(u_list_empty(&bo->base.vm_bos));
	gpuvm_gem_fini(&bo->base);
}

static void t_gem_get(struct gpuvm_gem *obj)
{
	u_refcount_get(&to_tbo(obj)->ref);
}

static void t_gem_put(struct gpuvm_gem *obj)
{
	u_refcount_put(&to_tbo(obj)->ref);
}

struct tva {
	struct gpuva base;
	struct u_list link;
};

static struct tva *to_tva(struct gpuva *va)
{
	return container_of(va, struct tva, base);
}

/* One recorded step, with copies of what it pointed to. */
struct trec {
	enum gpuva_op_type type;
	struct gpuva *old;
	bool keep;
	bool has_prev, has_next;
	struct gpuva_op_map prev, next, map;
};

#define MAX_REC 1024

/* The per-request context: panthor's op_ctx, reduced to what gpuvm needs. */
struct tctx {
	struct gpuvm *vm;
	struct gpuvm_bo *vm_bo;		/* the mapped object's vm_bo, for MAP */
	struct tva *pool[3];		/* pre-allocated VAs */
	unsigned int npool;
	struct u_list garbage;		/* VAs the steps took out, freed after the walk */
	bool apply;			/* apply steps to the tree, or only record them */
	int fail_at;			/* index of the step that fails, -1 for none */
	int fail_err;
	const char *bad;		/* a problem seen inside the walk (no asserts there) */
	unsigned int nsteps;
	struct trec rec[MAX_REC];
};

static struct tva *take(struct tctx *c)
{
	if (!c->npool) {
		c->bad = "pre-allocated VA pool exhausted";
		return NULL;
	}
	return c->pool[--c->npool];
}

static void record(struct tctx *c, const struct gpuva_op *op)
{
	struct trec *r;

	if (c->nsteps >= MAX_REC) {
		c->bad = "too many steps";
		return;
	}
	r = &c->rec[c->nsteps];
	memset(r, 0, sizeof(*r));
	r->type = op->op;
	switch (op->op) {
	case GPUVA_OP_MAP:
		r->map = op->map;
		break;
	case GPUVA_OP_REMAP:
		r->old = op->remap.unmap->va;
		r->keep = op->remap.unmap->keep;
		r->has_prev = op->remap.prev;
		r->has_next = op->remap.next;
		if (op->remap.prev)
			r->prev = *op->remap.prev;
		if (op->remap.next)
			r->next = *op->remap.next;
		break;
	case GPUVA_OP_UNMAP:
		r->old = op->unmap.va;
		r->keep = op->unmap.keep;
		break;
	}
}

/* Apply one step the way panthor's sm_step_* do (minus the page tables). */
static int apply_step(struct tctx *c, struct gpuva_op *op)
{
	struct gpuva *old;
	struct gpuvm_bo *vm_bo;
	struct tva *va, *prev = NULL, *next = NULL;

	switch (op->op) {
	case GPUVA_OP_MAP:
		va = take(c);
		if (!va)
			return -ENOSPC;
		if (gpuva_map(c->vm, &va->base, &op->map)) {
			c->bad = "gpuva_map() failed";
			return -EIO;
		}
		gpuva_link(&va->base, c->vm_bo);
		return 0;
	case GPUVA_OP_REMAP:
		old = op->remap.unmap->va;
		vm_bo = old->vm_bo;
		if (op->remap.prev && !(prev = take(c)))
			return -ENOSPC;
		if (op->remap.next && !(next = take(c)))
			return -ENOSPC;
		gpuva_remap(prev ? &prev->base : NULL, next ? &next->base : NULL, &op->remap);
		if (prev)
			gpuva_link(&prev->base, vm_bo);
		if (next)
			gpuva_link(&next->base, vm_bo);
		gpuva_unlink_defer(old);
		u_list_add_tail(&to_tva(old)->link, &c->garbage);
		return 0;
	case GPUVA_OP_UNMAP:
		gpuva_unmap(&op->unmap);
		gpuva_unlink_defer(op->unmap.va);
		u_list_add_tail(&to_tva(op->unmap.va)->link, &c->garbage);
		return 0;
	}
	return -EINVAL;
}

static int t_step(struct gpuva_op *op, void *priv)
{
	struct tctx *c = priv;
	unsigned int idx = c->nsteps;

	record(c, op);
	c->nsteps++;
	if ((int)idx == c->fail_at)
		return c->fail_err;
	return c->apply ? apply_step(c, op) : 0;
}

static int validate_calls;

static int t_vm_bo_validate(struct gpuvm_bo *vm_bo, void *priv)
{
	int *fail_on = priv;

	validate_calls++;
	if (fail_on && *fail_on == validate_calls)
		return -EAGAIN;
	gpuvm_bo_evict(vm_bo, false);
	return 0;
}

static const struct gpuvm_ops t_ops = {
	.gem_get = t_gem_get,
	.gem_put = t_gem_put,
	.vm_bo_validate = t_vm_bo_validate,
	.sm_step_map = t_step,
	.sm_step_remap = t_step,
	.sm_step_unmap = t_step,
};

/* Prepare: reserve @nva VAs and, for a map of @obj, its vm_bo (as panthor's prepare does). */
static void tctx_prepare(struct tctx *c, struct gpuvm *vm, struct gpuvm_gem *obj, unsigned int nva)
{
	c->vm = vm;
	c->vm_bo = NULL;
	c->npool = 0;
	u_list_init(&c->garbage);
	c->apply = true;
	c->fail_at = -1;
	c->fail_err = 0;
	c->bad = NULL;
	c->nsteps = 0;
	for (unsigned int i = 0; i < nva; i++) {
		c->pool[i] = u_zalloc(sizeof(struct tva));
		T_ASSERT_NOT_NULL(c->pool[i]);
		c->npool++;
	}
	if (obj) {
		c->vm_bo = gpuvm_bo_obtain(vm, obj);
		T_ASSERT(!IS_ERR(c->vm_bo));
		gpuvm_bo_extobj_add(c->vm_bo);
	}
}

/* Cleanup: free what the walk did not use and what it took out, drop the vm_bo. */
static void tctx_cleanup(struct tctx *c)
{
	struct tva *va, *tmp;

	while (c->npool)
		u_free(c->pool[--c->npool]);
	u_list_for_each_entry_safe(va, tmp, &c->garbage, link) {
		u_list_del(&va->link);
		u_free(va);
	}
	gpuvm_bo_put_deferred(c->vm_bo);
	c->vm_bo = NULL;
	gpuvm_bo_deferred_cleanup(c->vm);
}

/* Run a walk the way the fence-signalling path would: no allocation allowed. */
static int walk_map(struct tctx *c, const struct gpuvm_map_req *req)
{
	int ret;

	u_alloc_forbid_begin("gpuvm_sm_map walk");
	ret = gpuvm_sm_map(c->vm, c, req);
	u_alloc_forbid_end();
	return ret;
}

static int walk_unmap(struct tctx *c, uint64_t addr, uint64_t range)
{
	int ret;

	u_alloc_forbid_begin("gpuvm_sm_unmap walk");
	ret = gpuvm_sm_unmap(c->vm, c, addr, range);
	u_alloc_forbid_end();
	return ret;
}

static struct tctx *tctx_new(void)
{
	struct tctx *c = u_zalloc(sizeof(*c));

	T_ASSERT_NOT_NULL(c);
	return c;
}

/* Map @req with a full prepare/walk/cleanup cycle; returns the walk's result. */
static int do_map(struct gpuvm *vm, const struct gpuva_op_map *m)
{
	struct gpuvm_map_req req = { .map = *m };
	struct tctx *c = tctx_new();
	int ret;

	tctx_prepare(c, vm, m->gem.obj, 3);
	ret = walk_map(c, &req);
	T_ASSERT_MSG(!c->bad, "inside the walk: %s", c->bad);
	tctx_cleanup(c);
	u_free(c);
	return ret;
}

static int do_unmap(struct gpuvm *vm, uint64_t addr, uint64_t range)
{
	struct tctx *c = tctx_new();
	int ret;

	tctx_prepare(c, vm, NULL, 2);
	ret = walk_unmap(c, addr, range);
	T_ASSERT_MSG(!c->bad, "inside the walk: %s", c->bad);
	tctx_cleanup(c);
	u_free(c);
	return ret;
}

/* A VM and two objects: A shares the VM's resv (private), B does not (external). */
struct tenv {
	struct gpuvm vm;
	struct tbo a, b;
};

static void tenv_init(struct tenv *e, uint64_t start, uint64_t pages, const struct gpuvm_ops *ops)
{
	T_ASSERT_OK(gpuvm_init(&e->vm, "test", start, pages * PG, &vm_resv, ops));
	tbo_init(&e->a, &vm_resv, 'A');
	tbo_init(&e->b, &ext_resv, 'B');
}

/* Unmap everything, then check that every reference came back. */
static void tenv_fini(struct tenv *e)
{
	T_ASSERT_OK(do_unmap(&e->vm, e->vm.start, e->vm.range));
	T_ASSERT_OK(gpuvm_validate(&e->vm));
	T_ASSERT_EQ_INT(u_itree_count(&e->vm.tree), 0);
	T_ASSERT_EQ_INT(u_refcount_read(&e->vm.refcount), 1);
	tbo_fini(&e->a);
	tbo_fini(&e->b);
	gpuvm_put(&e->vm);
}

/* ---- the drawn cases ----------------------------------------------------------- */

enum { ONONE, OA, OB };

/* A range in pages relative to the VM start, and its backing, as drawn in gpuvm.c. */
struct tmap {
	uint64_t addr, range;
	int obj;
	uint64_t off, win;
	uint32_t flags;
};

struct tstep {
	enum gpuva_op_type type;
	int old;			/* index in tcase.old */
	bool keep;
	struct tmap prev, next;		/* range 0: none */
};

struct tcase {
	const char *name;
	int nold;
	struct tmap old[4];
	bool unmap;
	struct tmap req;
	int nsteps;			/* UNMAP/REMAP steps; the MAP of a map request is implied */
	struct tstep steps[4];
	int nnew;
	struct tmap new[6];
};

#define T_NONE { 0, 0, ONONE, 0, 0, 0 }
#define T_PIECE(a, r, o, off, win, fl) { a, r, o, off, win, fl }
#define T_UNMAP(i, k) { .type = GPUVA_OP_UNMAP, .old = (i), .keep = (k) }
#define T_REMAP(i, k, p, n) { .type = GPUVA_OP_REMAP, .old = (i), .keep = (k), .prev = p, .next = n }

static struct gpuvm_gem *case_obj(struct tenv *e, int o)
{
	return o == OA ? &e->a.base : o == OB ? &e->b.base : NULL;
}

static struct gpuva_op_map to_op(struct tenv *e, const struct tmap *m)
{
	struct gpuva_op_map op = {
		.va = { e->vm.start + m->addr * PG, m->range * PG },
		.gem = { case_obj(e, m->obj), m->off * PG, m->win * PG },
		.flags = m->flags,
	};
	return op;
}

static void assert_op_eq(const struct gpuva_op_map *got, const struct gpuva_op_map *want,
			 const char *what, int step)
{
	T_ASSERT_MSG(got->va.addr == want->va.addr && got->va.range == want->va.range &&
		     got->gem.obj == want->gem.obj && got->gem.offset == want->gem.offset &&
		     got->gem.range == want->gem.range && got->flags == want->flags,
		     "step %d %s: got [0x%llx +0x%llx) obj %p off 0x%llx win 0x%llx flags %u, "
		     "want [0x%llx +0x%llx) obj %p off 0x%llx win 0x%llx flags %u", step, what,
		     (unsigned long long)got->va.addr, (unsigned long long)got->va.range,
		     (void *)got->gem.obj, (unsigned long long)got->gem.offset,
		     (unsigned long long)got->gem.range, got->flags,
		     (unsigned long long)want->va.addr, (unsigned long long)want->va.range,
		     (void *)want->gem.obj, (unsigned long long)want->gem.offset,
		     (unsigned long long)want->gem.range, want->flags);
}

/* Recorded steps @rec[0..n) must be exactly the case's. */
static void check_case_steps(struct tenv *e, const struct tcase *tc, struct gpuva **old,
			     const struct trec *rec, unsigned int n)
{
	unsigned int want = (unsigned int)tc->nsteps + !tc->unmap;

	T_ASSERT_EQ_INT(n, want);
	for (int i = 0; i < tc->nsteps; i++) {
		const struct tstep *s = &tc->steps[i];
		const struct trec *r = &rec[i];

		T_ASSERT_EQ_INT(r->type, s->type);
		T_ASSERT_EQ_PTR(r->old, old[s->old]);
		T_ASSERT_EQ_INT(r->keep, s->keep);
		if (s->type != GPUVA_OP_REMAP)
			continue;
		T_ASSERT_EQ_INT(r->has_prev, s->prev.range != 0);
		T_ASSERT_EQ_INT(r->has_next, s->next.range != 0);
		if (r->has_prev) {
			struct gpuva_op_map p = to_op(e, &s->prev);

			assert_op_eq(&r->prev, &p, "prev", i);
		}
		if (r->has_next) {
			struct gpuva_op_map m = to_op(e, &s->next);

			assert_op_eq(&r->next, &m, "next", i);
		}
	}
	if (!tc->unmap) {
		struct gpuva_op_map m = to_op(e, &tc->req);

		T_ASSERT_EQ_INT(rec[tc->nsteps].type, GPUVA_OP_MAP);
		assert_op_eq(&rec[tc->nsteps].map, &m, "map", tc->nsteps);
	}
}

/* The tree must hold exactly @want[0..n), in order, each linked as it should be. */
static void check_tree(struct tenv *e, const struct tmap *want, int n)
{
	struct gpuva *va;
	int i = 0;

	gpuvm_for_each_va(va, &e->vm) {
		struct gpuva_op_map w, got = { .va = va->va, .gem = va->gem, .flags = va->flags };

		T_ASSERT_MSG(i < n, "more VAs than expected (%d)", n);
		w = to_op(e, &want[i]);
		assert_op_eq(&got, &w, "tree VA", i);
		if (va->gem.obj)
			T_ASSERT(va->vm_bo && va->vm_bo->obj == va->gem.obj);
		i++;
	}
	T_ASSERT_EQ_INT(i, n);
	T_ASSERT_OK(gpuvm_validate(&e->vm));
}

static void run_case(const struct tcase *tc)
{
	struct tenv *e = u_zalloc(sizeof(*e));
	struct gpuva *old[4] = { NULL };
	struct gpuva_ops *ops;
	struct gpuva_op *op;
	struct tctx *c = tctx_new();
	unsigned int n = 0;
	int ret;

	T_ASSERT_NOT_NULL(e);
	tenv_init(e, CASE_BASE, CASE_PAGES, &t_ops);
	for (int i = 0; i < tc->nold; i++) {
		struct gpuva_op_map m = to_op(e, &tc->old[i]);

		T_ASSERT_OK(do_map(&e->vm, &m));
		old[i] = gpuva_find(&e->vm, m.va.addr, m.va.range);
		T_ASSERT_NOT_NULL(old[i]);
	}
	check_tree(e, tc->old, tc->nold);

	/* The list variant: the same steps, and the tree left alone. */
	if (tc->unmap) {
		struct gpuva_op_map u = to_op(e, &tc->req);

		ops = gpuvm_sm_unmap_ops_create(&e->vm, u.va.addr, u.va.range);
	} else {
		struct gpuvm_map_req req = { .map = to_op(e, &tc->req) };

		ops = gpuvm_sm_map_ops_create(&e->vm, &req);
	}
	T_ASSERT(!IS_ERR(ops));
	gpuva_for_each_op(op, ops) {
		T_ASSERT(n < MAX_REC);
		record(c, op);
		n = ++c->nsteps;
	}
	check_case_steps(e, tc, old, c->rec, n);
	gpuva_ops_free(ops);
	check_tree(e, tc->old, tc->nold);

	/* The callbacks, applied. */
	if (tc->unmap) {
		struct gpuva_op_map u = to_op(e, &tc->req);

		tctx_prepare(c, &e->vm, NULL, 2);
		ret = walk_unmap(c, u.va.addr, u.va.range);
	} else {
		struct gpuvm_map_req req = { .map = to_op(e, &tc->req) };

		tctx_prepare(c, &e->vm, req.map.gem.obj, 3);
		ret = walk_map(c, &req);
	}
	T_ASSERT_MSG(!c->bad, "inside the walk: %s", c->bad);
	T_ASSERT_OK(ret);
	check_case_steps(e, tc, old, c->rec, c->nsteps);
	tctx_cleanup(c);
	check_tree(e, tc->new, tc->nnew);

	u_free(c);
	tenv_fini(e);
	u_free(e);
}

/* The cases drawn in gpuvm.c's DOC, in the same order. */
static const struct tcase map_cases[] = {
	{
		.name = "identical",
		.nold = 1, .old = {
			{ 0, 4, OA, 0, 0, 0 },
		},
		.req = { 0, 4, OA, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_UNMAP(0, true),
		},
		.nnew = 1, .new = {
			{ 0, 4, OA, 0, 0, 0 },
		},
	},
	{
		.name = "different-object",
		.nold = 1, .old = {
			{ 0, 4, OA, 0, 0, 0 },
		},
		.req = { 0, 4, OB, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_UNMAP(0, false),
		},
		.nnew = 1, .new = {
			{ 0, 4, OB, 0, 0, 0 },
		},
	},
	{
		.name = "different-offset",
		.nold = 1, .old = {
			{ 0, 4, OA, 0, 0, 0 },
		},
		.req = { 0, 4, OA, 1, 0, 0 },
		.nsteps = 1, .steps = {
			T_UNMAP(0, false),
		},
		.nnew = 1, .new = {
			{ 0, 4, OA, 1, 0, 0 },
		},
	},
	{
		.name = "left-aligned-subset",
		.nold = 1, .old = {
			{ 0, 4, OA, 0, 0, 0 },
		},
		.req = { 0, 2, OA, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, true, T_NONE, T_PIECE(2, 2, OA, 2, 0, 0)),
		},
		.nnew = 2, .new = {
			{ 0, 2, OA, 0, 0, 0 },
			{ 2, 2, OA, 2, 0, 0 },
		},
	},
	{
		.name = "left-aligned-subset-different-object",
		.nold = 1, .old = {
			{ 0, 4, OA, 0, 0, 0 },
		},
		.req = { 0, 2, OB, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, false, T_NONE, T_PIECE(2, 2, OA, 2, 0, 0)),
		},
		.nnew = 2, .new = {
			{ 0, 2, OB, 0, 0, 0 },
			{ 2, 2, OA, 2, 0, 0 },
		},
	},
	{
		.name = "left-aligned-superset",
		.nold = 1, .old = {
			{ 0, 4, OA, 0, 0, 0 },
		},
		.req = { 0, 6, OA, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_UNMAP(0, true),
		},
		.nnew = 1, .new = {
			{ 0, 6, OA, 0, 0, 0 },
		},
	},
	{
		.name = "right-aligned-subset",
		.nold = 1, .old = {
			{ 0, 4, OA, 0, 0, 0 },
		},
		.req = { 2, 2, OA, 2, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, true, T_PIECE(0, 2, OA, 0, 0, 0), T_NONE),
		},
		.nnew = 2, .new = {
			{ 0, 2, OA, 0, 0, 0 },
			{ 2, 2, OA, 2, 0, 0 },
		},
	},
	{
		.name = "right-aligned-subset-different-offset",
		.nold = 1, .old = {
			{ 0, 4, OA, 0, 0, 0 },
		},
		.req = { 2, 2, OA, 5, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, false, T_PIECE(0, 2, OA, 0, 0, 0), T_NONE),
		},
		.nnew = 2, .new = {
			{ 0, 2, OA, 0, 0, 0 },
			{ 2, 2, OA, 5, 0, 0 },
		},
	},
	{
		.name = "right-aligned-superset",
		.nold = 1, .old = {
			{ 2, 2, OA, 2, 0, 0 },
		},
		.req = { 0, 4, OA, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_UNMAP(0, true),
		},
		.nnew = 1, .new = {
			{ 0, 4, OA, 0, 0, 0 },
		},
	},
	{
		.name = "overlaps-end",
		.nold = 1, .old = {
			{ 0, 4, OA, 0, 0, 0 },
		},
		.req = { 2, 4, OA, 2, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, true, T_PIECE(0, 2, OA, 0, 0, 0), T_NONE),
		},
		.nnew = 2, .new = {
			{ 0, 2, OA, 0, 0, 0 },
			{ 2, 4, OA, 2, 0, 0 },
		},
	},
	{
		.name = "overlaps-start",
		.nold = 1, .old = {
			{ 2, 4, OA, 2, 0, 0 },
		},
		.req = { 0, 4, OA, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, true, T_NONE, T_PIECE(4, 2, OA, 4, 0, 0)),
		},
		.nnew = 2, .new = {
			{ 0, 4, OA, 0, 0, 0 },
			{ 4, 2, OA, 4, 0, 0 },
		},
	},
	{
		.name = "centred-subset",
		.nold = 1, .old = {
			{ 0, 6, OA, 0, 0, 0 },
		},
		.req = { 2, 2, OA, 2, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, true, T_PIECE(0, 2, OA, 0, 0, 0), T_PIECE(4, 2, OA, 4, 0, 0)),
		},
		.nnew = 3, .new = {
			{ 0, 2, OA, 0, 0, 0 },
			{ 2, 2, OA, 2, 0, 0 },
			{ 4, 2, OA, 4, 0, 0 },
		},
	},
	{
		.name = "centred-superset",
		.nold = 1, .old = {
			{ 2, 2, OB, 0, 0, 0 },
		},
		.req = { 0, 6, OA, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_UNMAP(0, false),
		},
		.nnew = 1, .new = {
			{ 0, 6, OA, 0, 0, 0 },
		},
	},
	{
		.name = "spans-two",
		.nold = 2, .old = {
			{ 0, 4, OA, 0, 0, 0 },
			{ 4, 4, OB, 0, 0, 0 },
		},
		.req = { 2, 4, OA, 2, 0, 0 },
		.nsteps = 2, .steps = {
			T_REMAP(0, true, T_PIECE(0, 2, OA, 0, 0, 0), T_NONE),
			T_REMAP(1, false, T_NONE, T_PIECE(6, 2, OB, 2, 0, 0)),
		},
		.nnew = 3, .new = {
			{ 0, 2, OA, 0, 0, 0 },
			{ 2, 4, OA, 2, 0, 0 },
			{ 6, 2, OB, 2, 0, 0 },
		},
	},
	{
		.name = "spans-three",
		.nold = 3, .old = {
			{ 0, 4, OA, 0, 0, 0 },
			{ 4, 2, OB, 0, 0, 0 },
			{ 6, 4, OA, 6, 0, 0 },
		},
		.req = { 2, 6, OA, 2, 0, 0 },
		.nsteps = 3, .steps = {
			T_REMAP(0, true, T_PIECE(0, 2, OA, 0, 0, 0), T_NONE),
			T_UNMAP(1, false),
			T_REMAP(2, true, T_NONE, T_PIECE(8, 2, OA, 8, 0, 0)),
		},
		.nnew = 3, .new = {
			{ 0, 2, OA, 0, 0, 0 },
			{ 2, 6, OA, 2, 0, 0 },
			{ 8, 2, OA, 8, 0, 0 },
		},
	},
	{
		.name = "covers-several",
		.nold = 3, .old = {
			{ 1, 1, OA, 1, 0, 0 },
			{ 3, 2, OB, 3, 0, 0 },
			{ 6, 1, OA, 0, 0, 0 },
		},
		.req = { 0, 8, OA, 0, 0, 0 },
		.nsteps = 3, .steps = {
			T_UNMAP(0, true),
			T_UNMAP(1, false),
			T_UNMAP(2, false),
		},
		.nnew = 1, .new = {
			{ 0, 8, OA, 0, 0, 0 },
		},
	},
	{
		.name = "fills-gap",
		.nold = 2, .old = {
			{ 0, 2, OA, 0, 0, 0 },
			{ 4, 2, OA, 4, 0, 0 },
		},
		.req = { 2, 2, OA, 2, 0, 0 },
		.nsteps = 0, .steps = {
		},
		.nnew = 3, .new = {
			{ 0, 2, OA, 0, 0, 0 },
			{ 2, 2, OA, 2, 0, 0 },
			{ 4, 2, OA, 4, 0, 0 },
		},
	},
	{
		.name = "empty-vm",
		.nold = 0, .old = {
		},
		.req = { 2, 2, OB, 7, 0, 0 },
		.nsteps = 0, .steps = {
		},
		.nnew = 1, .new = {
			{ 2, 2, OB, 7, 0, 0 },
		},
	},
	{
		.name = "no-object-never-kept",
		.nold = 1, .old = {
			{ 0, 4, ONONE, 0, 0, GPUVA_SPARSE },
		},
		.req = { 0, 4, ONONE, 0, 0, GPUVA_SPARSE },
		.nsteps = 1, .steps = {
			T_UNMAP(0, false),
		},
		.nnew = 1, .new = {
			{ 0, 4, ONONE, 0, 0, GPUVA_SPARSE },
		},
	},
	{
		.name = "different-flags",
		.nold = 1, .old = {
			{ 0, 4, OA, 0, 0, 0 },
		},
		.req = { 0, 4, OA, 0, 0, GPUVA_USERBITS },
		.nsteps = 1, .steps = {
			T_UNMAP(0, false),
		},
		.nnew = 1, .new = {
			{ 0, 4, OA, 0, 0, GPUVA_USERBITS },
		},
	},
};

static const struct tcase unmap_cases[] = {
	{
		.name = "exact",
		.nold = 1, .old = {
			{ 0, 4, OA, 0, 0, 0 },
		},
		.unmap = true, .req = { 0, 4, ONONE, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_UNMAP(0, false),
		},
		.nnew = 0, .new = {
		},
	},
	{
		.name = "left-part",
		.nold = 1, .old = {
			{ 0, 4, OA, 0, 0, 0 },
		},
		.unmap = true, .req = { 0, 2, ONONE, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, false, T_NONE, T_PIECE(2, 2, OA, 2, 0, 0)),
		},
		.nnew = 1, .new = {
			{ 2, 2, OA, 2, 0, 0 },
		},
	},
	{
		.name = "right-part",
		.nold = 1, .old = {
			{ 0, 4, OA, 0, 0, 0 },
		},
		.unmap = true, .req = { 2, 2, ONONE, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, false, T_PIECE(0, 2, OA, 0, 0, 0), T_NONE),
		},
		.nnew = 1, .new = {
			{ 0, 2, OA, 0, 0, 0 },
		},
	},
	{
		.name = "middle",
		.nold = 1, .old = {
			{ 0, 6, OA, 0, 0, 0 },
		},
		.unmap = true, .req = { 2, 2, ONONE, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, false, T_PIECE(0, 2, OA, 0, 0, 0), T_PIECE(4, 2, OA, 4, 0, 0)),
		},
		.nnew = 2, .new = {
			{ 0, 2, OA, 0, 0, 0 },
			{ 4, 2, OA, 4, 0, 0 },
		},
	},
	{
		.name = "superset",
		.nold = 1, .old = {
			{ 2, 2, OA, 2, 0, 0 },
		},
		.unmap = true, .req = { 0, 6, ONONE, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_UNMAP(0, false),
		},
		.nnew = 0, .new = {
		},
	},
	{
		.name = "spans-three",
		.nold = 3, .old = {
			{ 0, 4, OA, 0, 0, 0 },
			{ 4, 2, OB, 0, 0, 0 },
			{ 6, 4, OA, 6, 0, 0 },
		},
		.unmap = true, .req = { 2, 6, ONONE, 0, 0, 0 },
		.nsteps = 3, .steps = {
			T_REMAP(0, false, T_PIECE(0, 2, OA, 0, 0, 0), T_NONE),
			T_UNMAP(1, false),
			T_REMAP(2, false, T_NONE, T_PIECE(8, 2, OA, 8, 0, 0)),
		},
		.nnew = 2, .new = {
			{ 0, 2, OA, 0, 0, 0 },
			{ 8, 2, OA, 8, 0, 0 },
		},
	},
	{
		.name = "gap",
		.nold = 2, .old = {
			{ 0, 2, OA, 0, 0, 0 },
			{ 4, 2, OB, 0, 0, 0 },
		},
		.unmap = true, .req = { 2, 2, ONONE, 0, 0, 0 },
		.nsteps = 0, .steps = {
		},
		.nnew = 2, .new = {
			{ 0, 2, OA, 0, 0, 0 },
			{ 4, 2, OB, 0, 0, 0 },
		},
	},
	{
		.name = "several-whole",
		.nold = 3, .old = {
			{ 1, 1, OA, 1, 0, 0 },
			{ 3, 2, OB, 3, 0, 0 },
			{ 6, 1, OA, 0, 0, 0 },
		},
		.unmap = true, .req = { 0, 8, ONONE, 0, 0, 0 },
		.nsteps = 3, .steps = {
			T_UNMAP(0, false),
			T_UNMAP(1, false),
			T_UNMAP(2, false),
		},
		.nnew = 0, .new = {
		},
	},
	{
		.name = "no-object",
		.nold = 1, .old = {
			{ 0, 4, ONONE, 0, 0, GPUVA_SPARSE },
		},
		.unmap = true, .req = { 1, 2, ONONE, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, false, T_PIECE(0, 1, ONONE, 0, 0, GPUVA_SPARSE), T_PIECE(3, 1, ONONE, 0, 0, GPUVA_SPARSE)),
		},
		.nnew = 2, .new = {
			{ 0, 1, ONONE, 0, 0, GPUVA_SPARSE },
			{ 3, 1, ONONE, 0, 0, GPUVA_SPARSE },
		},
	},
};

static const struct tcase repeat_cases[] = {
	{
		.name = "map-splits-mid-window",
		.nold = 1, .old = {
			{ 0, 10, OA, 1, 4, 0 },
		},
		.req = { 3, 2, OB, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, false, T_PIECE(0, 3, OA, 1, 4, 0), T_PIECE(5, 5, OA, 2, 4, 0)),
		},
		.nnew = 3, .new = {
			{ 0, 3, OA, 1, 4, 0 },
			{ 3, 2, OB, 0, 0, 0 },
			{ 5, 5, OA, 2, 4, 0 },
		},
	},
	{
		.name = "same-phase-kept",
		.nold = 1, .old = {
			{ 0, 8, OA, 1, 4, 0 },
		},
		.req = { 2, 4, OA, 3, 4, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, true, T_PIECE(0, 2, OA, 1, 4, 0), T_PIECE(6, 2, OA, 3, 4, 0)),
		},
		.nnew = 3, .new = {
			{ 0, 2, OA, 1, 4, 0 },
			{ 2, 4, OA, 3, 4, 0 },
			{ 6, 2, OA, 3, 4, 0 },
		},
	},
	{
		.name = "other-phase-not-kept",
		.nold = 1, .old = {
			{ 0, 8, OA, 1, 4, 0 },
		},
		.req = { 2, 4, OA, 2, 4, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, false, T_PIECE(0, 2, OA, 1, 4, 0), T_PIECE(6, 2, OA, 3, 4, 0)),
		},
		.nnew = 3, .new = {
			{ 0, 2, OA, 1, 4, 0 },
			{ 2, 4, OA, 2, 4, 0 },
			{ 6, 2, OA, 3, 4, 0 },
		},
	},
	{
		.name = "linear-over-repeated-not-kept",
		.nold = 1, .old = {
			{ 0, 8, OA, 1, 4, 0 },
		},
		.req = { 2, 4, OA, 3, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, false, T_PIECE(0, 2, OA, 1, 4, 0), T_PIECE(6, 2, OA, 3, 4, 0)),
		},
		.nnew = 3, .new = {
			{ 0, 2, OA, 1, 4, 0 },
			{ 2, 4, OA, 3, 0, 0 },
			{ 6, 2, OA, 3, 4, 0 },
		},
	},
	{
		.name = "phase-wraps",
		.nold = 1, .old = {
			{ 0, 9, OA, 3, 4, 0 },
		},
		.req = { 4, 1, OB, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, false, T_PIECE(0, 4, OA, 3, 4, 0), T_PIECE(5, 4, OA, 0, 4, 0)),
		},
		.nnew = 3, .new = {
			{ 0, 4, OA, 3, 4, 0 },
			{ 4, 1, OB, 0, 0, 0 },
			{ 5, 4, OA, 0, 4, 0 },
		},
	},
	{
		.name = "unmap-middle",
		.nold = 1, .old = {
			{ 0, 10, OA, 1, 4, 0 },
		},
		.unmap = true, .req = { 3, 3, ONONE, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, false, T_PIECE(0, 3, OA, 1, 4, 0), T_PIECE(6, 4, OA, 3, 4, 0)),
		},
		.nnew = 2, .new = {
			{ 0, 3, OA, 1, 4, 0 },
			{ 6, 4, OA, 3, 4, 0 },
		},
	},
	{
		.name = "kept-from-later-start",
		.nold = 1, .old = {
			{ 2, 4, OA, 0, 4, 0 },
		},
		.req = { 0, 4, OA, 2, 4, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, true, T_NONE, T_PIECE(4, 2, OA, 2, 4, 0)),
		},
		.nnew = 2, .new = {
			{ 0, 4, OA, 2, 4, 0 },
			{ 4, 2, OA, 2, 4, 0 },
		},
	},
	{
		.name = "odd-window",
		.nold = 1, .old = {
			{ 0, 10, OA, 2, 3, 0 },
		},
		.unmap = true, .req = { 4, 1, ONONE, 0, 0, 0 },
		.nsteps = 1, .steps = {
			T_REMAP(0, false, T_PIECE(0, 4, OA, 2, 3, 0), T_PIECE(5, 5, OA, 1, 3, 0)),
		},
		.nnew = 2, .new = {
			{ 0, 4, OA, 2, 3, 0 },
			{ 5, 5, OA, 1, 3, 0 },
		},
	},
};

T_TEST(map_case_01, "gpuvm/sm-map/case-01-identical") { run_case(&map_cases[0]); }
T_TEST(map_case_02, "gpuvm/sm-map/case-02-different-object") { run_case(&map_cases[1]); }
T_TEST(map_case_03, "gpuvm/sm-map/case-03-different-offset") { run_case(&map_cases[2]); }
T_TEST(map_case_04, "gpuvm/sm-map/case-04-left-aligned-subset") { run_case(&map_cases[3]); }
T_TEST(map_case_05, "gpuvm/sm-map/case-05-left-aligned-subset-different-object") { run_case(&map_cases[4]); }
T_TEST(map_case_06, "gpuvm/sm-map/case-06-left-aligned-superset") { run_case(&map_cases[5]); }
T_TEST(map_case_07, "gpuvm/sm-map/case-07-right-aligned-subset") { run_case(&map_cases[6]); }
T_TEST(map_case_08, "gpuvm/sm-map/case-08-right-aligned-subset-different-offset") { run_case(&map_cases[7]); }
T_TEST(map_case_09, "gpuvm/sm-map/case-09-right-aligned-superset") { run_case(&map_cases[8]); }
T_TEST(map_case_10, "gpuvm/sm-map/case-10-overlaps-end") { run_case(&map_cases[9]); }
T_TEST(map_case_11, "gpuvm/sm-map/case-11-overlaps-start") { run_case(&map_cases[10]); }
T_TEST(map_case_12, "gpuvm/sm-map/case-12-centred-subset") { run_case(&map_cases[11]); }
T_TEST(map_case_13, "gpuvm/sm-map/case-13-centred-superset") { run_case(&map_cases[12]); }
T_TEST(map_case_14, "gpuvm/sm-map/case-14-spans-two") { run_case(&map_cases[13]); }
T_TEST(map_case_15, "gpuvm/sm-map/case-15-spans-three") { run_case(&map_cases[14]); }
T_TEST(map_case_16, "gpuvm/sm-map/case-16-covers-several") { run_case(&map_cases[15]); }
T_TEST(map_case_17, "gpuvm/sm-map/case-17-fills-gap") { run_case(&map_cases[16]); }
T_TEST(map_case_18, "gpuvm/sm-map/case-18-empty-vm") { run_case(&map_cases[17]); }
T_TEST(map_case_19, "gpuvm/sm-map/case-19-no-object-never-kept") { run_case(&map_cases[18]); }
T_TEST(map_case_20, "gpuvm/sm-map/case-20-different-flags") { run_case(&map_cases[19]); }
T_TEST(unmap_case_01, "gpuvm/sm-unmap/case-01-exact") { run_case(&unmap_cases[0]); }
T_TEST(unmap_case_02, "gpuvm/sm-unmap/case-02-left-part") { run_case(&unmap_cases[1]); }
T_TEST(unmap_case_03, "gpuvm/sm-unmap/case-03-right-part") { run_case(&unmap_cases[2]); }
T_TEST(unmap_case_04, "gpuvm/sm-unmap/case-04-middle") { run_case(&unmap_cases[3]); }
T_TEST(unmap_case_05, "gpuvm/sm-unmap/case-05-superset") { run_case(&unmap_cases[4]); }
T_TEST(unmap_case_06, "gpuvm/sm-unmap/case-06-spans-three") { run_case(&unmap_cases[5]); }
T_TEST(unmap_case_07, "gpuvm/sm-unmap/case-07-gap") { run_case(&unmap_cases[6]); }
T_TEST(unmap_case_08, "gpuvm/sm-unmap/case-08-several-whole") { run_case(&unmap_cases[7]); }
T_TEST(unmap_case_09, "gpuvm/sm-unmap/case-09-no-object") { run_case(&unmap_cases[8]); }
T_TEST(repeat_case_01, "gpuvm/sm-repeat/case-01-map-splits-mid-window") { run_case(&repeat_cases[0]); }
T_TEST(repeat_case_02, "gpuvm/sm-repeat/case-02-same-phase-kept") { run_case(&repeat_cases[1]); }
T_TEST(repeat_case_03, "gpuvm/sm-repeat/case-03-other-phase-not-kept") { run_case(&repeat_cases[2]); }
T_TEST(repeat_case_04, "gpuvm/sm-repeat/case-04-linear-over-repeated-not-kept") { run_case(&repeat_cases[3]); }
T_TEST(repeat_case_05, "gpuvm/sm-repeat/case-05-phase-wraps") { run_case(&repeat_cases[4]); }
T_TEST(repeat_case_06, "gpuvm/sm-repeat/case-06-unmap-middle") { run_case(&repeat_cases[5]); }
T_TEST(repeat_case_07, "gpuvm/sm-repeat/case-07-kept-from-later-start") { run_case(&repeat_cases[6]); }
T_TEST(repeat_case_08, "gpuvm/sm-repeat/case-08-odd-window") { run_case(&repeat_cases[7]); }

/* ---- invalid requests and failing steps ---------------------------------------- */

T_TEST(sm_invalid_ranges, "gpuvm/sm/invalid-range-einval-no-callback")
{
	struct tenv e;
	struct tctx *c = tctx_new();
	const uint64_t s = CASE_BASE, end = CASE_BASE + CASE_PAGES * PG;
	const struct { uint64_t addr, range; } bad[] = {
		{ s, 0 },				/* empty */
		{ s - PG, PG },				/* below the span */
		{ s - PG, 2 * PG },			/* straddles the start */
		{ end, PG },				/* just past the end */
		{ end - PG, 2 * PG },			/* straddles the end */
		{ UINT64_MAX - PG + 1, 2 * PG },	/* wraps */
		{ s, UINT64_MAX },			/* wraps */
	};

	tenv_init(&e, CASE_BASE, CASE_PAGES, &t_ops);
	/* Something mapped, so that a walk would have steps to call. */
	{
		struct gpuva_op_map m = { .va = { s, 8 * PG }, .gem = { &e.a.base, 0, 0 } };

		T_ASSERT_OK(do_map(&e.vm, &m));
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct gpuvm_map_req req = {
			.map = { .va = { bad[i].addr, bad[i].range }, .gem = { &e.a.base, 0, 0 } },
		};

		tctx_prepare(c, &e.vm, NULL, 3);
		T_ASSERT_ERRNO(walk_map(c, &req), EINVAL);
		T_ASSERT_ERRNO(walk_unmap(c, bad[i].addr, bad[i].range), EINVAL);
		T_ASSERT_EQ_INT(c->nsteps, 0);
		T_ASSERT_EQ_INT(PTR_ERR(gpuvm_sm_map_ops_create(&e.vm, &req)), -EINVAL);
		T_ASSERT_EQ_INT(PTR_ERR(gpuvm_sm_unmap_ops_create(&e.vm, bad[i].addr, bad[i].range)),
				-EINVAL);
		T_ASSERT(!gpuvm_range_valid(&e.vm, bad[i].addr, bad[i].range));
		tctx_cleanup(c);
	}

	/* Bad repeated windows: offset outside the window, or no object. */
	{
		struct gpuvm_map_req req = {
			.map = { .va = { s, 4 * PG }, .gem = { &e.a.base, 4 * PG, 4 * PG } },
		};

		tctx_prepare(c, &e.vm, NULL, 3);
		T_ASSERT_ERRNO(walk_map(c, &req), EINVAL);
		req.map.gem.obj = NULL;
		req.map.gem.offset = 0;
		T_ASSERT_ERRNO(walk_map(c, &req), EINVAL);
		T_ASSERT_EQ_INT(PTR_ERR(gpuvm_sm_map_ops_create(&e.vm, &req)), -EINVAL);
		T_ASSERT_EQ_INT(c->nsteps, 0);
		tctx_cleanup(c);
	}

	/* The whole span, exactly, is valid. */
	T_ASSERT(gpuvm_range_valid(&e.vm, s, CASE_PAGES * PG));
	T_ASSERT_OK(gpuvm_validate(&e.vm));
	u_free(c);
	tenv_fini(&e);
}

T_TEST(sm_missing_callbacks, "gpuvm/sm/missing-callback-einval")
{
	static const struct gpuvm_ops no_map = {
		.sm_step_remap = t_step,
		.sm_step_unmap = t_step,
	};
	struct gpuvm vm;
	struct tctx *c = tctx_new();
	struct gpuvm_map_req req = { .map = { .va = { PG, PG } } };

	T_ASSERT_OK(gpuvm_init(&vm, "no-map", 0, 16 * PG, &vm_resv, &no_map));
	tctx_prepare(c, &vm, NULL, 0);
	T_ASSERT_ERRNO(gpuvm_sm_map(&vm, c, &req), EINVAL);
	T_ASSERT_OK(gpuvm_sm_unmap(&vm, c, PG, PG));	/* unmap needs no map step */
	T_ASSERT_EQ_INT(c->nsteps, 0);
	T_ASSERT_ERRNO(gpuvm_validate_evicted(&vm, NULL), EINVAL);
	tctx_cleanup(c);
	u_free(c);
	gpuvm_put(&vm);
}

/* Three VAs and a request that needs REMAP, UNMAP, REMAP, MAP: fail each step in turn. */
T_TEST(sm_step_error_stops, "gpuvm/sm/step-error-stops-walk")
{
	static const int errs[] = { -EIO, -ENOSPC, -EFAULT, -EBUSY };

	for (int k = 0; k < 4; k++) {
		struct tenv e;
		struct tctx *c = tctx_new();
		struct gpuvm_map_req req;
		uint64_t s = CASE_BASE;
		int ret;

		tenv_init(&e, CASE_BASE, CASE_PAGES, &t_ops);
		for (int i = 0; i < 3; i++) {
			struct gpuva_op_map m = {
				.va = { s + 4 * PG * (uint64_t)i, 4 * PG },
				.gem = { &e.b.base, 0, 0 },
			};

			T_ASSERT_OK(do_map(&e.vm, &m));
		}
		req = (struct gpuvm_map_req){ .map = { .va = { s + 2 * PG, 8 * PG }, .gem = { &e.a.base, 0, 0 } } };
		tctx_prepare(c, &e.vm, &e.a.base, 3);
		c->fail_at = k;
		c->fail_err = errs[k];
		ret = walk_map(c, &req);
		T_ASSERT_MSG(!c->bad, "inside the walk: %s", c->bad);
		T_ASSERT_EQ_INT(ret, errs[k]);
		T_ASSERT_EQ_INT(c->nsteps, k + 1);	/* nothing after the failing step */
		tctx_cleanup(c);
		T_ASSERT_OK(gpuvm_validate(&e.vm));

		/* The steps before the failing one were applied, the rest not. */
		T_ASSERT_EQ_INT(gpuva_find(&e.vm, s, 4 * PG) != NULL, k == 0);
		T_ASSERT_EQ_INT(gpuva_find(&e.vm, s, 2 * PG) != NULL, k > 0);
		T_ASSERT_EQ_INT(gpuva_find(&e.vm, s + 4 * PG, 4 * PG) != NULL, k <= 1);
		T_ASSERT_EQ_INT(gpuva_find(&e.vm, s + 8 * PG, 4 * PG) != NULL, k <= 2);
		T_ASSERT_EQ_INT(gpuva_find(&e.vm, s + 10 * PG, 2 * PG) != NULL, k > 2);
		T_ASSERT_NULL(gpuva_find(&e.vm, s + 2 * PG, 8 * PG));	/* the MAP never ran */
		u_free(c);
		tenv_fini(&e);
	}
}

/* ---- VA helpers ------------------------------------------------------------------ */

/* Only its address is used: offsets do not look inside the object. */
static struct tbo dummy_bo;

static struct tva *new_va(uint64_t addr, uint64_t range, struct gpuvm_gem *obj, uint64_t off,
			  uint64_t win)
{
	struct tva *va = u_zalloc(sizeof(*va));

	T_ASSERT_NOT_NULL(va);
	va->base.va.addr = addr;
	va->base.va.range = range;
	va->base.gem.obj = obj;
	va->base.gem.offset = off;
	va->base.gem.range = win;
	return va;
}

T_TEST(va_insert_find_iterate, "gpuvm/va/insert-find-iterate")
{
	struct gpuvm vm;
	struct tva *v[4], *x;
	struct gpuva *va, *next;
	int n;

	T_ASSERT_OK(gpuvm_init(&vm, "va", 0x100000, 64 * PG, &vm_resv, &t_ops));
	v[0] = new_va(0x100000, 2 * PG, NULL, 0, 0);
	v[1] = new_va(0x100000 + 2 * PG, 3 * PG, NULL, 0, 0);
	v[2] = new_va(0x100000 + 8 * PG, PG, NULL, 0, 0);
	v[3] = new_va(0x100000 + 63 * PG, PG, NULL, 0, 0);
	for (int i = 0; i < 4; i++)
		T_ASSERT_OK(gpuva_insert(&vm, &v[i]->base));
	T_ASSERT_EQ_INT(u_refcount_read(&vm.refcount), 5);	/* each VA holds the VM */

	/* Overlaps and bad ranges are refused. */
	x = new_va(0x100000 + 4 * PG, 2 * PG, NULL, 0, 0);
	T_ASSERT_ERRNO(gpuva_insert(&vm, &x->base), EEXIST);
	x->base.va.addr = 0x100000 + 64 * PG;
	T_ASSERT_ERRNO(gpuva_insert(&vm, &x->base), EINVAL);
	x->base.va.addr = 0x100000 + 5 * PG;
	x->base.va.range = 0;
	T_ASSERT_ERRNO(gpuva_insert(&vm, &x->base), EINVAL);
	x->base.va.range = 3 * PG;			/* exactly fills [5, 8) */
	T_ASSERT_OK(gpuva_insert(&vm, &x->base));
	T_ASSERT_ERRNO(gpuva_insert(&vm, &x->base), EINVAL);	/* already in */
	T_ASSERT_OK(gpuvm_validate(&vm));

	T_ASSERT_EQ_PTR(gpuva_find(&vm, 0x100000 + 2 * PG, 3 * PG), &v[1]->base);
	T_ASSERT_NULL(gpuva_find(&vm, 0x100000 + 2 * PG, 2 * PG));
	T_ASSERT_NULL(gpuva_find(&vm, 0x100000 + 3 * PG, 2 * PG));
	T_ASSERT_EQ_PTR(gpuva_find_first(&vm, 0x100000 + PG, 4 * PG), &v[0]->base);
	T_ASSERT_EQ_PTR(gpuva_find_first(&vm, 0x100000 + 9 * PG, 64 * PG), &v[3]->base);
	T_ASSERT_NULL(gpuva_find_first(&vm, 0x100000 + 9 * PG, 54 * PG));
	T_ASSERT_NULL(gpuva_find_first(&vm, 0x100000, 0));
	T_ASSERT_EQ_PTR(gpuva_find_prev(&vm, 0x100000 + 2 * PG), &v[0]->base);
	T_ASSERT_NULL(gpuva_find_prev(&vm, 0x100000 + 3 * PG));
	T_ASSERT_EQ_PTR(gpuva_find_next(&vm, 0x100000 + 8 * PG), &v[2]->base);
	T_ASSERT_NULL(gpuva_find_next(&vm, 0x100000 + 9 * PG));
	T_ASSERT(gpuvm_interval_empty(&vm, 0x100000 + 9 * PG, 54 * PG));
	T_ASSERT(!gpuvm_interval_empty(&vm, 0x100000 + 9 * PG, 55 * PG));

	/* Range iteration in address order, touching ranges excluded. */
	n = 0;
	gpuvm_for_each_va_range(va, &vm, 0x100000 + 2 * PG, 0x100000 + 9 * PG) {
		static const int order[] = { 1, -1, 2 };

		T_ASSERT_EQ_PTR(va, order[n] < 0 ? &x->base : &v[order[n]]->base);
		n++;
	}
	T_ASSERT_EQ_INT(n, 3);

	/* Safe iteration may remove the current VA. */
	n = 0;
	gpuvm_for_each_va_range_safe(va, next, &vm, 0, UINT64_MAX) {
		gpuva_remove(va);
		n++;
	}
	T_ASSERT_EQ_INT(n, 5);
	T_ASSERT_EQ_INT(u_itree_count(&vm.tree), 0);
	T_ASSERT_EQ_INT(u_refcount_read(&vm.refcount), 1);
	T_ASSERT_OK(gpuvm_validate(&vm));

	for (int i = 0; i < 4; i++)
		u_free(v[i]);
	u_free(x);
	gpuvm_put(&vm);
}

T_TEST(va_offsets_and_flags, "gpuvm/va/offsets-remap-range-invalidate")
{
	struct tva *lin = new_va(0x10000, 16 * PG, &dummy_bo.base, 5 * PG, 0);
	struct tva *rep = new_va(0x10000, 16 * PG, &dummy_bo.base, 3 * PG, 5 * PG);
	struct gpuva_op_map p = { .va = { 0x10000, 2 * PG } }, n = { .va = { 0x10000 + 7 * PG, 9 * PG } };
	struct gpuva_op_unmap u = { .va = &lin->base };
	struct gpuva_op_remap r = { .prev = &p, .next = &n, .unmap = &u };
	uint64_t start, range;

	T_ASSERT_EQ_U64(gpuva_gem_offset(&lin->base, 0x10000 + 3 * PG), 8 * PG);
	/* Window of 5 pages from phase 3: 3 4 0 1 2 3 4 0 ... */
	T_ASSERT_EQ_U64(gpuva_gem_offset(&rep->base, 0x10000), 3 * PG);
	T_ASSERT_EQ_U64(gpuva_gem_offset(&rep->base, 0x10000 + PG), 4 * PG);
	T_ASSERT_EQ_U64(gpuva_gem_offset(&rep->base, 0x10000 + 2 * PG), 0);
	T_ASSERT_EQ_U64(gpuva_gem_offset(&rep->base, 0x10000 + 2 * PG + 0x123), 0x123);
	T_ASSERT_EQ_U64(gpuva_gem_offset(&rep->base, 0x10000 + 12 * PG), 0);

	gpuva_op_remap_to_unmap_range(&r, &start, &range);
	T_ASSERT_EQ_U64(start, 0x10000 + 2 * PG);
	T_ASSERT_EQ_U64(range, 5 * PG);
	r.prev = NULL;
	r.next = NULL;
	gpuva_op_remap_to_unmap_range(&r, &start, &range);
	T_ASSERT_EQ_U64(start, 0x10000);
	T_ASSERT_EQ_U64(range, 16 * PG);

	T_ASSERT(!gpuva_invalidated(&lin->base));
	gpuva_invalidate(&lin->base, true);
	T_ASSERT(gpuva_invalidated(&lin->base));
	T_ASSERT_EQ_INT(lin->base.flags, GPUVA_INVALIDATED);
	gpuva_invalidate(&lin->base, false);
	T_ASSERT_EQ_INT(lin->base.flags, 0);
	u_free(lin);
	u_free(rep);
}

/* A window near the top of the u64 range must not overflow the phase arithmetic. */
T_TEST(va_offsets_huge_window, "gpuvm/va/repeated-offset-no-overflow")
{
	struct tva *rep = new_va(0, UINT64_MAX, &dummy_bo.base, UINT64_MAX - 2, UINT64_MAX - 1);

	T_ASSERT_EQ_U64(gpuva_gem_offset(&rep->base, 0), UINT64_MAX - 2);
	T_ASSERT_EQ_U64(gpuva_gem_offset(&rep->base, 1), 0);
	T_ASSERT_EQ_U64(gpuva_gem_offset(&rep->base, 3), 2);
	T_ASSERT_EQ_U64(gpuva_gem_offset(&rep->base, UINT64_MAX - 1), UINT64_MAX - 2);
	T_ASSERT_EQ_U64(gpuva_gem_offset(&rep->base, UINT64_MAX - 2), UINT64_MAX - 3);
	u_free(rep);
}

/* Phase kept at every split point, by map and unmap: the per-page view never changes. */
T_TEST(repeat_phase_all_split_points, "gpuvm/sm-repeat/phase-kept-at-every-split-point")
{
	const uint64_t pages = 23, win = 5, phase = 2;

	for (uint64_t at = 0; at < pages; at++) {
		for (uint64_t len = 1; at + len <= pages && len <= 7; len++) {
			struct tenv e;
			struct gpuva_op_map rep = {
				.va = { CASE_BASE, pages * PG },
				.gem = { &e.a.base, phase * PG, win * PG },
			};
			struct gpuva_op_map hole = { .va = { CASE_BASE + at * PG, len * PG } };

			tenv_init(&e, CASE_BASE, CASE_PAGES, &t_ops);
			T_ASSERT_OK(do_map(&e.vm, &rep));
			if (len & 1)
				T_ASSERT_OK(do_unmap(&e.vm, hole.va.addr, hole.va.range));
			else
				T_ASSERT_OK(do_map(&e.vm, &hole));	/* a NULL mapping */
			for (uint64_t p = 0; p < pages; p++) {
				uint64_t addr = CASE_BASE + p * PG;
				struct gpuva *va = gpuva_find_first(&e.vm, addr, PG);
				bool in_hole = p >= at && p < at + len;

				if (in_hole && (len & 1)) {
					T_ASSERT_NULL(va);
					continue;
				}
				T_ASSERT_NOT_NULL(va);
				if (in_hole) {
					T_ASSERT_NULL(va->gem.obj);
					continue;
				}
				T_ASSERT_EQ_PTR(va->gem.obj, &e.a.base);
				T_ASSERT_EQ_U64(va->gem.range, win * PG);
				T_ASSERT(va->gem.offset < win * PG);
				T_ASSERT_EQ_U64(gpuva_gem_offset(va, addr + 0x10), ((phase + p) % win) * PG + 0x10);
			}
			T_ASSERT_OK(gpuvm_validate(&e.vm));
			tenv_fini(&e);
		}
	}
}

/* ---- vm_bo ------------------------------------------------------------------------- */

/* A driver vm_bo embedding the library's, allocated through the ops. */
struct tvm_bo {
	uint32_t magic;
	struct gpuvm_bo base;
};

static int vm_bo_allocs, vm_bo_frees;

static struct gpuvm_bo *t_vm_bo_alloc(void)
{
	struct tvm_bo *b = u_zalloc(sizeof(*b));

	if (!b)
		return NULL;
	b->magic = 0xb0b0;
	vm_bo_allocs++;
	return &b->base;
}

static void t_vm_bo_free(struct gpuvm_bo *vm_bo)
{
	struct tvm_bo *b = container_of(vm_bo, struct tvm_bo, base);

	T_ASSERT_EQ_INT(b->magic, 0xb0b0);
	vm_bo_frees++;
	u_free(b);
}

static const struct gpuvm_ops t_ops_embed = {
	.gem_get = t_gem_get,
	.gem_put = t_gem_put,
	.vm_bo_alloc = t_vm_bo_alloc,
	.vm_bo_free = t_vm_bo_free,
	.vm_bo_validate = t_vm_bo_validate,
	.sm_step_map = t_step,
	.sm_step_remap = t_step,
	.sm_step_unmap = t_step,
};

T_TEST(vm_bo_obtain_find_put, "gpuvm/vm-bo/obtain-find-put")
{
	struct tenv e, e2;
	struct gpuvm_bo *b1, *b2, *b3, *o;

	tenv_init(&e, CASE_BASE, CASE_PAGES, &t_ops);
	tenv_init(&e2, CASE_BASE, CASE_PAGES, &t_ops);
	T_ASSERT_NULL(gpuvm_bo_find(&e.vm, &e.a.base));

	b1 = gpuvm_bo_obtain(&e.vm, &e.a.base);
	T_ASSERT(!IS_ERR(b1));
	T_ASSERT_EQ_PTR(b1->vm, &e.vm);
	T_ASSERT_EQ_PTR(b1->obj, &e.a.base);
	T_ASSERT_EQ_INT(u_refcount_read(&b1->refcount), 1);
	T_ASSERT_EQ_INT(u_refcount_read(&e.a.ref), 2);		/* the vm_bo holds the object */
	T_ASSERT_EQ_INT(u_refcount_read(&e.vm.refcount), 2);	/* and the VM */

	b2 = gpuvm_bo_obtain(&e.vm, &e.a.base);
	T_ASSERT_EQ_PTR(b2, b1);					/* unique per (VM, object) */
	b3 = gpuvm_bo_find(&e.vm, &e.a.base);
	T_ASSERT_EQ_PTR(b3, b1);
	T_ASSERT_EQ_INT(u_refcount_read(&b1->refcount), 3);
	T_ASSERT_EQ_INT(u_refcount_read(&e.a.ref), 2);

	/* Another VM mapping the same object gets its own vm_bo. */
	o = gpuvm_bo_obtain(&e2.vm, &e.a.base);
	T_ASSERT(!IS_ERR(o));
	T_ASSERT(o != b1);
	T_ASSERT_EQ_INT(u_list_length(&e.a.base.vm_bos), 2);
	T_ASSERT_NULL(gpuvm_bo_find(&e2.vm, &e.b.base));

	T_ASSERT(!gpuvm_bo_put(b3));
	T_ASSERT(!gpuvm_bo_put(b2));
	T_ASSERT(gpuvm_bo_put(b1));
	T_ASSERT_NULL(gpuvm_bo_find(&e.vm, &e.a.base));
	T_ASSERT_EQ_INT(u_refcount_read(&e.vm.refcount), 1);
	T_ASSERT(gpuvm_bo_put(o));
	T_ASSERT(!gpuvm_bo_put(NULL));
	T_ASSERT_EQ_INT(u_refcount_read(&e.a.ref), 1);
	tenv_fini(&e2);
	tenv_fini(&e);
}

T_TEST(vm_bo_prealloc, "gpuvm/vm-bo/obtain-prealloc-embedded")
{
	struct tenv e;
	struct gpuvm_bo *pre, *got, *pre2;
	long live;

	vm_bo_allocs = vm_bo_frees = 0;
	tenv_init(&e, CASE_BASE, CASE_PAGES, &t_ops_embed);

	/* Created, not yet published: nobody can find it. */
	pre = gpuvm_bo_create(&e.vm, &e.b.base);
	T_ASSERT(!IS_ERR(pre));
	T_ASSERT_EQ_INT(vm_bo_allocs, 1);
	T_ASSERT_EQ_INT(container_of(pre, struct tvm_bo, base)->magic, 0xb0b0);
	T_ASSERT_NULL(gpuvm_bo_find(&e.vm, &e.b.base));

	/* No existing pairing: the preallocated one is published and returned. */
	got = gpuvm_bo_obtain_prealloc(pre);
	T_ASSERT_EQ_PTR(got, pre);
	T_ASSERT_EQ_INT(u_refcount_read(&got->refcount), 1);

	/* Existing pairing: the preallocated one is freed, the existing one returned. */
	pre2 = gpuvm_bo_create(&e.vm, &e.b.base);
	T_ASSERT(!IS_ERR(pre2));
	live = u_alloc_live();
	T_ASSERT_EQ_INT(u_refcount_read(&e.b.ref), 3);
	got = gpuvm_bo_obtain_prealloc(pre2);
	T_ASSERT_EQ_PTR(got, pre);
	T_ASSERT_EQ_INT(vm_bo_frees, 1);
	T_ASSERT_EQ_INT(u_alloc_live(), live - 1);
	T_ASSERT_EQ_INT(u_refcount_read(&e.b.ref), 2);
	T_ASSERT_EQ_INT(u_refcount_read(&got->refcount), 2);

	/* obtain() goes through the same ops. */
	T_ASSERT_EQ_PTR(gpuvm_bo_obtain(&e.vm, &e.b.base), pre);
	T_ASSERT_EQ_INT(vm_bo_allocs, 2);
	gpuvm_bo_put(got);
	gpuvm_bo_put(got);
	T_ASSERT(gpuvm_bo_put(got));
	T_ASSERT_EQ_INT(vm_bo_frees, 2);
	tenv_fini(&e);
}

T_TEST(vm_bo_deferred, "gpuvm/vm-bo/deferred-put-and-cleanup")
{
	struct tenv e;
	struct gpuvm_bo *b, *b2;
	struct tva *va = new_va(CASE_BASE, PG, NULL, 0, 0);
	long live;

	vm_bo_allocs = vm_bo_frees = 0;
	tenv_init(&e, CASE_BASE, CASE_PAGES, &t_ops_embed);
	va->base.gem.obj = &e.b.base;
	T_ASSERT_OK(gpuva_insert(&e.vm, &va->base));
	b = gpuvm_bo_obtain(&e.vm, &e.b.base);
	gpuvm_bo_extobj_add(b);
	gpuvm_bo_evict(b, true);
	gpuva_link(&va->base, b);
	T_ASSERT_EQ_INT(u_refcount_read(&b->refcount), 2);
	T_ASSERT(!gpuvm_bo_put_deferred(b));			/* the VA still holds it */
	T_ASSERT_OK(gpuvm_validate(&e.vm));

	/* The last reference, dropped on the signalling path: nothing freed, nothing allocated. */
	live = u_alloc_live();
	gpuva_remove(&va->base);
	u_alloc_forbid_begin("signalling path");
	gpuva_unlink_defer(&va->base);
	u_alloc_forbid_end();
	T_ASSERT_NULL(va->base.vm_bo);
	T_ASSERT_EQ_INT(vm_bo_frees, 0);
	T_ASSERT_EQ_INT(u_alloc_live(), live);
	T_ASSERT_EQ_INT(u_refcount_read(&e.b.ref), 2);		/* object still held */
	T_ASSERT_EQ_INT(u_list_length(&e.vm.defer.list), 1);
	/* ... but unpublished: off the object's, extobj and evict lists. */
	T_ASSERT_NULL(gpuvm_bo_find(&e.vm, &e.b.base));
	T_ASSERT(u_list_empty(&e.vm.extobj.list));
	T_ASSERT(u_list_empty(&e.vm.evict.list));
	T_ASSERT_OK(gpuvm_validate(&e.vm));

	/* A new pairing can be made meanwhile. */
	b2 = gpuvm_bo_obtain(&e.vm, &e.b.base);
	T_ASSERT(!IS_ERR(b2) && b2 != b);
	T_ASSERT_OK(gpuvm_validate(&e.vm));

	gpuvm_bo_deferred_cleanup(&e.vm);
	T_ASSERT_EQ_INT(vm_bo_frees, 1);
	T_ASSERT(u_list_empty(&e.vm.defer.list));
	T_ASSERT_EQ_INT(u_refcount_read(&e.b.ref), 2);		/* b2's */
	gpuvm_bo_deferred_cleanup(&e.vm);			/* nothing queued: no-op */
	T_ASSERT(gpuvm_bo_put(b2));
	T_ASSERT_EQ_INT(vm_bo_frees, 2);
	u_free(va);
	tenv_fini(&e);
}

/* ---- extobj and evict lists ------------------------------------------------------------- */

T_TEST(extobj_list, "gpuvm/extobj/private-ignored-external-once")
{
	struct tenv e;
	struct gpuvm_bo *pa, *pb;

	tenv_init(&e, CASE_BASE, CASE_PAGES, &t_ops);
	T_ASSERT(!gpuvm_is_extobj(&e.vm, &e.a.base));
	T_ASSERT(gpuvm_is_extobj(&e.vm, &e.b.base));
	pa = gpuvm_bo_obtain(&e.vm, &e.a.base);
	pb = gpuvm_bo_obtain(&e.vm, &e.b.base);
	gpuvm_bo_extobj_add(pa);
	T_ASSERT(u_list_empty(&e.vm.extobj.list));
	gpuvm_bo_extobj_add(pb);
	gpuvm_bo_extobj_add(pb);
	T_ASSERT_EQ_INT(u_list_length(&e.vm.extobj.list), 1);
	T_ASSERT_OK(gpuvm_validate(&e.vm));
	gpuvm_bo_put(pa);
	T_ASSERT(gpuvm_bo_put(pb));
	T_ASSERT(u_list_empty(&e.vm.extobj.list));		/* gone with the vm_bo */
	tenv_fini(&e);
}

static int extobj_seen;

static int count_extobj(struct gpuvm_bo *vm_bo, void *priv)
{
	extobj_seen++;
	T_ASSERT(gpuvm_is_extobj(vm_bo->vm, vm_bo->obj));
	return priv && extobj_seen == *(int *)priv ? -EINTR : 0;
}

T_TEST(extobj_for_each, "gpuvm/extobj/for-each")
{
	struct tenv e;
	struct tbo more[3];
	struct gpuvm_bo *b[3];
	int stop = 2;

	tenv_init(&e, CASE_BASE, CASE_PAGES, &t_ops);
	for (int i = 0; i < 3; i++) {
		tbo_init(&more[i], &ext_resv, (char)('C' + i));
		b[i] = gpuvm_bo_obtain(&e.vm, &more[i].base);
		gpuvm_bo_extobj_add(b[i]);
	}
	extobj_seen = 0;
	T_ASSERT_OK(gpuvm_extobj_for_each(&e.vm, count_extobj, NULL));
	T_ASSERT_EQ_INT(extobj_seen, 3);
	extobj_seen = 0;
	T_ASSERT_ERRNO(gpuvm_extobj_for_each(&e.vm, count_extobj, &stop), EINTR);
	T_ASSERT_EQ_INT(extobj_seen, 2);
	/* The walk leaves the list whole, in its order. */
	T_ASSERT_EQ_INT(u_list_length(&e.vm.extobj.list), 3);
	T_ASSERT_EQ_PTR(u_list_first_entry(&e.vm.extobj.list, struct gpuvm_bo, extobj_link), b[0]);
	T_ASSERT_EQ_PTR(u_list_last_entry(&e.vm.extobj.list, struct gpuvm_bo, extobj_link), b[2]);
	T_ASSERT_OK(gpuvm_validate(&e.vm));
	for (int i = 0; i < 3; i++) {
		T_ASSERT(gpuvm_bo_put(b[i]));
		tbo_fini(&more[i]);
	}
	tenv_fini(&e);
}

T_TEST(evict_list, "gpuvm/evict/flag-list-and-validate")
{
	struct tenv e, e2;
	struct gpuvm_bo *a, *b, *a2;
	int fail_on;

	tenv_init(&e, CASE_BASE, CASE_PAGES, &t_ops);
	tenv_init(&e2, CASE_BASE, CASE_PAGES, &t_ops);
	a = gpuvm_bo_obtain(&e.vm, &e.a.base);
	b = gpuvm_bo_obtain(&e.vm, &e.b.base);
	gpuvm_bo_extobj_add(b);
	a2 = gpuvm_bo_obtain(&e2.vm, &e.a.base);

	gpuvm_bo_evict(b, true);
	gpuvm_bo_evict(b, true);
	T_ASSERT(b->evicted);
	T_ASSERT_EQ_INT(u_list_length(&e.vm.evict.list), 1);
	gpuvm_bo_evict(b, false);
	T_ASSERT(!b->evicted);
	T_ASSERT(u_list_empty(&e.vm.evict.list));
	gpuvm_bo_evict(b, false);
	T_ASSERT_OK(gpuvm_validate(&e.vm));

	/* Evicting an object reaches every VM that maps it. */
	gpuvm_gem_evict(&e.a.base, true);
	T_ASSERT(a->evicted && a2->evicted);
	T_ASSERT_EQ_INT(u_list_length(&e.vm.evict.list), 1);
	T_ASSERT_EQ_INT(u_list_length(&e2.vm.evict.list), 1);
	gpuvm_bo_evict(b, true);
	T_ASSERT_OK(gpuvm_validate(&e.vm));
	T_ASSERT_OK(gpuvm_validate(&e2.vm));

	/* A failing validation stops the walk; what was not restored stays listed. */
	validate_calls = 0;
	fail_on = 2;
	T_ASSERT_ERRNO(gpuvm_validate_evicted(&e.vm, &fail_on), EAGAIN);
	T_ASSERT_EQ_INT(validate_calls, 2);
	T_ASSERT(!a->evicted && b->evicted);
	T_ASSERT_EQ_INT(u_list_length(&e.vm.evict.list), 1);
	T_ASSERT_OK(gpuvm_validate(&e.vm));

	validate_calls = 0;
	T_ASSERT_OK(gpuvm_validate_evicted(&e.vm, NULL));
	T_ASSERT_EQ_INT(validate_calls, 1);
	T_ASSERT(!b->evicted);
	T_ASSERT(u_list_empty(&e.vm.evict.list));
	T_ASSERT_EQ_INT(u_list_length(&e2.vm.evict.list), 1);	/* the other VM untouched */
	T_ASSERT_OK(gpuvm_validate_evicted(&e2.vm, NULL));
	T_ASSERT(!a2->evicted);

	/* An evicted vm_bo leaves the list when freed. */
	gpuvm_bo_evict(b, true);
	T_ASSERT(gpuvm_bo_put(b));
	T_ASSERT(u_list_empty(&e.vm.evict.list));
	T_ASSERT_OK(gpuvm_validate(&e.vm));
	gpuvm_bo_put(a);
	gpuvm_bo_put(a2);
	tenv_fini(&e2);
	tenv_fini(&e);
}

/* ---- gpuvm_validate() catches each kind of corruption ------------------------------------------ */

static char last_log[512];

static void capture(void *cookie, enum u_log_level level, const char *line)
{
	snprintf(last_log, sizeof(last_log), "%s", line);
}

static void expect_broken(struct gpuvm *vm, const char *needle)
{
	int ret;

	last_log[0] = '\0';
	u_log_set_sink(capture, NULL);
	ret = gpuvm_validate(vm);
	u_log_set_sink(NULL, NULL);
	T_ASSERT_ERRNO(ret, EUCLEAN);
	T_ASSERT_MSG(strstr(last_log, needle), "message \"%s\" does not name \"%s\"", last_log, needle);
}

T_TEST(validate_catches, "gpuvm/validate/catches-each-broken-invariant")
{
	struct tenv e;
	struct gpuva_op_map ma = { .va = { CASE_BASE, 4 * PG }, .gem = { NULL, 0, 0 } };
	struct gpuva_op_map mb = { .va = { CASE_BASE + 4 * PG, 4 * PG }, .gem = { NULL, 0, 0 } };
	struct gpuva *va, *vb;
	struct gpuvm_bo *bo;
	struct tva *stray;

	tenv_init(&e, CASE_BASE, CASE_PAGES, &t_ops);
	ma.gem.obj = &e.a.base;
	mb.gem.obj = &e.b.base;
	T_ASSERT_OK(do_map(&e.vm, &ma));
	T_ASSERT_OK(do_map(&e.vm, &mb));
	ma.va.addr += 8 * PG;
	T_ASSERT_OK(do_map(&e.vm, &ma));
	va = gpuva_find(&e.vm, CASE_BASE, 4 * PG);
	vb = gpuva_find(&e.vm, CASE_BASE + 4 * PG, 4 * PG);
	T_ASSERT_OK(gpuvm_validate(&e.vm));

	/* evicted flag without the list entry, and the reverse */
	vb->vm_bo->evicted = true;
	expect_broken(&e.vm, "evict list");
	vb->vm_bo->evicted = false;
	u_list_add_tail(&vb->vm_bo->evict_link, &e.vm.evict.list);
	expect_broken(&e.vm, "evict list");
	u_list_del(&vb->vm_bo->evict_link);

	/* external object missing from the extobj list; private one on it */
	u_list_del(&vb->vm_bo->extobj_link);
	expect_broken(&e.vm, "extobj list");
	gpuvm_bo_extobj_add(vb->vm_bo);
	u_list_add_tail(&va->vm_bo->extobj_link, &e.vm.extobj.list);
	expect_broken(&e.vm, "extobj list");
	u_list_del(&va->vm_bo->extobj_link);
	T_ASSERT_OK(gpuvm_validate(&e.vm));

	/* too few references for the linked VAs (A's vm_bo has two) */
	bo = va->vm_bo;
	u_refcount_init(&bo->refcount, 1);
	expect_broken(&e.vm, "references");
	u_refcount_init(&bo->refcount, 2);

	/* a VA that maps an object but is not linked */
	va->vm_bo = NULL;
	expect_broken(&e.vm, "not linked");
	va->vm_bo = bo;

	/* a VA linked to another object's vm_bo */
	va->vm_bo = vb->vm_bo;
	expect_broken(&e.vm, "another VM or object");
	va->vm_bo = bo;

	/* a vm_bo list that lost a VA */
	T_ASSERT_EQ_PTR(u_list_first_entry(&bo->vas, struct gpuva, vm_bo_link), va);
	u_list_del(&va->vm_bo_link);
	expect_broken(&e.vm, "VA lists");
	u_list_add(&va->vm_bo_link, &bo->vas);	/* it was the first */
	T_ASSERT_OK(gpuvm_validate(&e.vm));

	/* a second vm_bo of this VM on the object's list */
	{
		struct gpuvm_bo *dup = gpuvm_bo_create(&e.vm, &e.a.base);

		T_ASSERT(!IS_ERR(dup));
		gpuvm_gem_lock(&e.a.base);
		u_list_add_tail(&dup->gem_link, &e.a.base.vm_bos);
		gpuvm_gem_unlock(&e.a.base);
		expect_broken(&e.vm, "object's list");
		gpuvm_gem_lock(&e.a.base);
		u_list_del(&dup->gem_link);
		gpuvm_gem_unlock(&e.a.base);
		T_ASSERT(gpuvm_bo_put(dup));
	}

	/* a vm_bo missing from its object's list */
	u_list_del(&bo->gem_link);
	expect_broken(&e.vm, "object's list");
	u_list_add_tail(&bo->gem_link, &e.a.base.vm_bos);

	/* a repeated window with its offset outside it */
	va->gem.range = 2 * PG;
	va->gem.offset = 2 * PG;
	expect_broken(&e.vm, "repeated");
	va->gem.range = 0;
	va->gem.offset = 0;

	/* the VM's own refcount too low */
	u_refcount_init(&e.vm.refcount, 2);
	expect_broken(&e.vm, "references for");
	u_refcount_init(&e.vm.refcount, 1 + 3 + 2);
	T_ASSERT_OK(gpuvm_validate(&e.vm));

	/* an overlapping VA, and one outside the span, slipped into the tree */
	stray = new_va(CASE_BASE + 2 * PG, 4 * PG, NULL, 0, 0);
	stray->base.vm = &e.vm;
	stray->base.inserted = true;
	stray->base.node.start = stray->base.va.addr;
	stray->base.node.last = stray->base.va.addr + stray->base.va.range - 1;
	u_itree_insert(&e.vm.tree, &stray->base.node);
	expect_broken(&e.vm, "overlaps");
	u_itree_remove(&e.vm.tree, &stray->base.node);
	stray->base.va.addr = CASE_BASE + CASE_PAGES * PG;
	stray->base.node.start = stray->base.va.addr;
	stray->base.node.last = stray->base.va.addr + stray->base.va.range - 1;
	u_itree_insert(&e.vm.tree, &stray->base.node);
	expect_broken(&e.vm, "leaves the span");
	/* ... keyed differently from its range */
	stray->base.va.addr = CASE_BASE + 40 * PG;
	expect_broken(&e.vm, "keyed");
	u_itree_remove(&e.vm.tree, &stray->base.node);
	u_free(stray);

	T_ASSERT_OK(gpuvm_validate(&e.vm));
	tenv_fini(&e);
}

/* ---- fault injection ------------------------------------------------------------------------ */

struct fl_ctx {
	struct tenv *e;
	struct gpuvm_bo *vm_bo;
	struct gpuva_ops *ops;
	bool unmap;
};

static int fl_obtain_run(void *p)
{
	struct fl_ctx *f = p;
	struct gpuvm_bo *b = gpuvm_bo_obtain(&f->e->vm, &f->e->b.base);

	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	f->vm_bo = b;
	return 0;
}

static void fl_obtain_undo(void *p)
{
	struct fl_ctx *f = p;

	T_ASSERT(gpuvm_bo_put(f->vm_bo));
	f->vm_bo = NULL;
}

static void fl_check(void *p)
{
	struct fl_ctx *f = p;

	T_ASSERT_OK(gpuvm_validate(&f->e->vm));
}

/* Object and VM references are resources the failing runs must give back. */
static long fl_resources(void *p)
{
	struct fl_ctx *f = p;

	return u_refcount_read(&f->e->b.ref) * 1000 + u_refcount_read(&f->e->vm.refcount);
}

static void fault_obtain(const struct gpuvm_ops *ops)
{
	static const struct t_fault_loop_ops fl = {
		.run = fl_obtain_run,
		.undo = fl_obtain_undo,
		.check = fl_check,
		.resources = fl_resources,
	};
	struct tenv e;
	struct fl_ctx f = { .e = &e };

	tenv_init(&e, CASE_BASE, CASE_PAGES, ops);
	T_ASSERT_EQ_INT(t_fault_loop(&fl, &f, false), 1);
	T_ASSERT_EQ_INT(t_fault_loop(&fl, &f, true), 1);
	tenv_fini(&e);
}

T_TEST(fault_vm_bo_obtain, "gpuvm/fault/vm-bo-obtain")
{
	fault_obtain(&t_ops);
	fault_obtain(&t_ops_embed);
}

static int fl_ops_run(void *p)
{
	struct fl_ctx *f = p;
	struct gpuvm_map_req req = {
		.map = { .va = { CASE_BASE + 2 * PG, 6 * PG }, .gem = { &f->e->a.base, 0, 0 } },
	};
	struct gpuva_ops *ops = f->unmap ? gpuvm_sm_unmap_ops_create(&f->e->vm, CASE_BASE + 2 * PG, 6 * PG)
					 : gpuvm_sm_map_ops_create(&f->e->vm, &req);

	if (IS_ERR(ops))
		return (int)PTR_ERR(ops);
	f->ops = ops;
	return 0;
}

static void fl_ops_undo(void *p)
{
	struct fl_ctx *f = p;
	struct gpuva_op *op;
	int n = 0;

	/* REMAP, UNMAP, REMAP (and MAP): a complete list, not a truncated one. */
	gpuva_for_each_op(op, f->ops)
		n++;
	T_ASSERT_EQ_INT(n, 3 + !f->unmap);
	gpuva_ops_free(f->ops);
	f->ops = NULL;
}

T_TEST(fault_ops_create, "gpuvm/fault/ops-create")
{
	static const struct t_fault_loop_ops fl = {
		.run = fl_ops_run,
		.undo = fl_ops_undo,
		.check = fl_check,
		.resources = fl_resources,
	};
	struct tenv e;
	struct fl_ctx f = { .e = &e };

	tenv_init(&e, CASE_BASE, CASE_PAGES, &t_ops);
	for (int i = 0; i < 3; i++) {
		struct gpuva_op_map m = {
			.va = { CASE_BASE + 3 * PG * (uint64_t)i, 3 * PG },
			.gem = { &e.b.base, 0, 0 },
		};

		T_ASSERT_OK(do_map(&e.vm, &m));
	}
	/* The list, then one allocation per step. */
	for (int unmap = 0; unmap < 2; unmap++) {
		f.unmap = unmap;
		T_ASSERT_EQ_INT(t_fault_loop(&fl, &f, false), 4 + !unmap);
		T_ASSERT_EQ_INT(t_fault_loop(&fl, &f, true), 4 + !unmap);
	}
	tenv_fini(&e);
}

/* ---- threads: links and vm_bos change under the object's lock from several threads ------------ */

struct thr_arg {
	struct tenv *e;
	struct gpuvm *vm;
	int iters;
};

static void *thr_obtain_put(void *p)
{
	struct thr_arg *a = p;

	for (int i = 0; i < a->iters; i++) {
		struct gpuvm_bo *b = gpuvm_bo_obtain(a->vm, &a->e->b.base);

		if (IS_ERR(b))
			return (void *)1;
		gpuvm_bo_extobj_add(b);
		if (i & 1)
			gpuvm_bo_evict(b, (i & 2) != 0);
		if (i & 4)
			gpuvm_bo_put_deferred(b);
		else
			gpuvm_bo_put(b);
		if ((i & 15) == 15)
			gpuvm_bo_deferred_cleanup(a->vm);
	}
	return NULL;
}

T_TEST(threads_obtain_put, "gpuvm/threads/obtain-put-one-object")
{
	struct tenv e, e2;
	struct thr_arg args[3];
	pthread_t th[3];
	struct gpuvm_bo *b;

	tenv_init(&e, CASE_BASE, CASE_PAGES, &t_ops);
	tenv_init(&e2, CASE_BASE, CASE_PAGES, &t_ops);
	args[0] = (struct thr_arg){ &e, &e.vm, 3000 };
	args[1] = (struct thr_arg){ &e, &e.vm, 3000 };
	args[2] = (struct thr_arg){ &e, &e2.vm, 3000 };
	for (int i = 0; i < 3; i++)
		T_ASSERT_OK(pthread_create(&th[i], NULL, thr_obtain_put, &args[i]));
	for (int i = 0; i < 3; i++) {
		void *r;

		T_ASSERT_OK(pthread_join(th[i], &r));
		T_ASSERT_NULL(r);
	}
	gpuvm_bo_deferred_cleanup(&e.vm);
	gpuvm_bo_deferred_cleanup(&e2.vm);
	T_ASSERT_NULL(gpuvm_bo_find(&e.vm, &e.b.base));
	T_ASSERT(u_list_empty(&e.vm.extobj.list) && u_list_empty(&e.vm.evict.list));
	/* One more, to see the lists work after the storm. */
	b = gpuvm_bo_obtain(&e.vm, &e.b.base);
	gpuvm_bo_extobj_add(b);
	T_ASSERT_OK(gpuvm_validate(&e.vm));
	gpuvm_bo_put(b);
	tenv_fini(&e2);
	tenv_fini(&e);
}

/* ---- randomized requests against a reference model ---------------------------------------------- */

#define R_START 0x40000000ull
#define R_PAGES 256
#define R_REQUESTS 4000

/* The reference: a sorted array of intervals, in pages from the VM start. */
struct mint {
	uint64_t s, e;
	int obj;
	uint64_t off, win;
	uint32_t flags;
};

struct model {
	struct mint v[R_PAGES + 1];
	int n;
	/* And, independently of any interval arithmetic, what each page shows. */
	struct {
		bool mapped;
		int obj;
		uint64_t off;
		uint32_t flags;
	} page[R_PAGES];
};

static uint64_t m_resolve(const struct mint *m, uint64_t p)
{
	uint64_t d = p - m->s;

	return m->win ? (m->off + d) % m->win : m->off + d;
}

/* The expected steps: what the rule of gpuvm.c says, computed on the model. */
struct mstep {
	enum gpuva_op_type type;
	int vi;				/* index in the model of the VA it removes */
	bool keep;
	bool has_prev, has_next;
	struct mint prev, next;
};

static int model_steps(const struct model *m, uint64_t A, uint64_t E, const struct mint *req,
		       struct mstep *out)
{
	int n = 0;

	for (int i = 0; i < m->n; i++) {
		const struct mint *v = &m->v[i];
		struct mstep *s;
		uint64_t x;

		if (v->e <= A || v->s >= E)
			continue;
		s = &out[n++];
		memset(s, 0, sizeof(*s));
		s->vi = i;
		x = v->s > A ? v->s : A;
		s->keep = req && v->obj != ONONE && v->obj == req->obj && v->flags == req->flags &&
			  v->win == req->win && m_resolve(v, x) == m_resolve(req, x);
		if (v->s < A) {
			s->has_prev = true;
			s->prev = *v;
			s->prev.e = A;
		}
		if (v->e > E) {
			s->has_next = true;
			s->next = *v;
			s->next.s = E;
			s->next.off = v->obj != ONONE ? m_resolve(v, E) : v->off;
		}
		s->type = s->has_prev || s->has_next ? GPUVA_OP_REMAP : GPUVA_OP_UNMAP;
	}
	return n;
}

static void model_insert(struct model *m, const struct mint *v)
{
	int i = m->n;

	while (i > 0 && m->v[i - 1].s > v->s) {
		m->v[i] = m->v[i - 1];
		i--;
	}
	m->v[i] = *v;
	m->n++;
}

static void model_remove_at(struct model *m, uint64_t s)
{
	for (int i = 0; i < m->n; i++) {
		if (m->v[i].s != s)
			continue;
		memmove(&m->v[i], &m->v[i + 1], sizeof(m->v[0]) * (size_t)(m->n - i - 1));
		m->n--;
		return;
	}
	t_fail(__FILE__, __LINE__, "model: no interval at page %llu", (unsigned long long)s);
}

/* Apply one step to the model (@vstart: start of the removed interval, before any change). */
static void model_apply(struct model *m, const struct mstep *s, uint64_t vs, uint64_t ve,
			uint64_t A, uint64_t E)
{
	model_remove_at(m, vs);
	if (s->has_prev)
		model_insert(m, &s->prev);
	if (s->has_next)
		model_insert(m, &s->next);
	for (uint64_t p = u_max(vs, A); p < u_min(ve, E); p++)
		m->page[p].mapped = false;
}

static void model_map(struct model *m, const struct mint *req)
{
	model_insert(m, req);
	for (uint64_t p = req->s; p < req->e; p++) {
		m->page[p].mapped = true;
		m->page[p].obj = req->obj;
		m->page[p].off = m_resolve(req, p);
		m->page[p].flags = req->flags;
	}
}

struct rnd {
	struct tenv e;
	struct gpuvm vm2;		/* a second VM mapping the same objects */
	struct model m;
	struct tctx c;
	struct mstep exp[R_PAGES + 1];
	unsigned long stats[8];
};

enum { ST_MAP, ST_UNMAP, ST_LIST, ST_FAIL, ST_KEEP, ST_REMAP, ST_REPEAT, ST_EVICT };

static struct gpuvm_gem *r_obj(struct rnd *r, int o)
{
	return case_obj(&r->e, o);
}

static struct gpuva_op_map mint_to_op(struct rnd *r, const struct mint *v)
{
	struct gpuva_op_map op = {
		.va = { R_START + v->s * PG, (v->e - v->s) * PG },
		.gem = { r_obj(r, v->obj), v->off * PG, v->win * PG },
		.flags = v->flags,
	};
	return op;
}

static void r_check_steps(struct rnd *r, const struct mstep *exp, int nexp, const struct mint *req,
			  const char *how)
{
	for (int i = 0; i < nexp && i < (int)r->c.nsteps; i++) {
		const struct trec *rec = &r->c.rec[i];
		const struct mint *v = &r->m.v[exp[i].vi];

		T_ASSERT_MSG(rec->type == exp[i].type, "%s step %d: type %d, want %d", how, i,
			     rec->type, exp[i].type);
		T_ASSERT_EQ_U64(rec->old->va.addr, R_START + v->s * PG);
		T_ASSERT_EQ_U64(rec->old->va.range, (v->e - v->s) * PG);
		T_ASSERT_MSG(rec->keep == exp[i].keep, "%s step %d: keep %d, want %d", how, i,
			     rec->keep, exp[i].keep);
		T_ASSERT_EQ_INT(rec->has_prev, exp[i].has_prev);
		T_ASSERT_EQ_INT(rec->has_next, exp[i].has_next);
		if (rec->has_prev) {
			struct gpuva_op_map w = mint_to_op(r, &exp[i].prev);

			assert_op_eq(&rec->prev, &w, "prev", i);
		}
		if (rec->has_next) {
			struct gpuva_op_map w = mint_to_op(r, &exp[i].next);

			assert_op_eq(&rec->next, &w, "next", i);
		}
	}
	if (req && (int)r->c.nsteps > nexp) {
		struct gpuva_op_map w = mint_to_op(r, req);

		T_ASSERT_EQ_INT(r->c.rec[nexp].type, GPUVA_OP_MAP);
		assert_op_eq(&r->c.rec[nexp].map, &w, "map", nexp);
	}
}

/* Tree == model, every page resolves as the shadow says, vm_bos and refcounts add up. */
static void r_check_state(struct rnd *r)
{
	struct gpuvm *vm = &r->e.vm;
	struct gpuva *va;
	int i = 0, per_obj[3] = { 0 };

	gpuvm_for_each_va(va, vm) {
		struct gpuva_op_map got = { .va = va->va, .gem = va->gem, .flags = va->flags };
		struct gpuva_op_map want;

		T_ASSERT_MSG(i < r->m.n, "tree has more VAs than the model (%d)", r->m.n);
		want = mint_to_op(r, &r->m.v[i]);
		assert_op_eq(&got, &want, "tree vs model", i);
		per_obj[r->m.v[i].obj]++;
		i++;
	}
	T_ASSERT_EQ_INT(i, r->m.n);

	for (uint64_t p = 0; p < R_PAGES; p++) {
		uint64_t addr = R_START + p * PG + 0x80;

		va = gpuva_find_first(vm, addr, 1);
		if (!r->m.page[p].mapped) {
			T_ASSERT_MSG(!va, "page %llu should be unmapped", (unsigned long long)p);
			continue;
		}
		T_ASSERT_MSG(va, "page %llu should be mapped", (unsigned long long)p);
		T_ASSERT_EQ_PTR(va->gem.obj, r_obj(r, r->m.page[p].obj));
		T_ASSERT_EQ_INT(va->flags, r->m.page[p].flags);
		if (va->gem.obj)
			T_ASSERT_EQ_U64(gpuva_gem_offset(va, addr), r->m.page[p].off * PG + 0x80);
	}

	T_ASSERT_OK(gpuvm_validate(vm));

	/* Each object's vm_bo lives exactly while it has VAs; it holds one object reference. */
	for (int o = OA; o <= OB; o++) {
		struct tbo *bo = o == OA ? &r->e.a : &r->e.b;
		struct gpuvm_bo *b = gpuvm_bo_find(vm, &bo->base);

		if (!per_obj[o]) {
			T_ASSERT_NULL(b);
			T_ASSERT_EQ_INT(u_refcount_read(&bo->ref), 2);	/* creator + vm2's vm_bo */
			continue;
		}
		T_ASSERT_NOT_NULL(b);
		T_ASSERT_EQ_INT(u_list_length(&b->vas), per_obj[o]);
		T_ASSERT_EQ_INT(u_refcount_read(&b->refcount), per_obj[o] + 1);
		T_ASSERT_EQ_INT(u_refcount_read(&bo->ref), 3);
		gpuvm_bo_put(b);
	}
	T_ASSERT_EQ_INT(u_refcount_read(&vm->refcount),
			1 + r->m.n + (per_obj[OA] > 0) + (per_obj[OB] > 0));
}

static void r_gen_map(struct rnd *r, uint64_t A, uint64_t E, struct mint *req)
{
	uint64_t roll = t_rand() % 100;

	memset(req, 0, sizeof(*req));
	req->s = A;
	req->e = E;
	if (roll < 10) {
		req->obj = ONONE;
		req->flags = GPUVA_SPARSE;
		return;
	}
	/* Often, continue what is mapped at A, so that "keep" comes out true. */
	if (roll < 40) {
		for (int i = 0; i < r->m.n; i++) {
			const struct mint *v = &r->m.v[i];

			if (v->s <= A && A < v->e) {
				req->obj = v->obj;
				req->win = v->win;
				req->flags = v->flags;
				/* NULL mappings have no offsets to continue: never kept. */
				req->off = v->obj != ONONE ? m_resolve(v, A) : 0;
				return;
			}
		}
	}
	req->obj = t_rand() % 2 ? OA : OB;
	req->flags = t_rand() % 8 ? 0 : GPUVA_USERBITS;
	if (t_rand() % 5 == 0) {
		req->win = 1 + t_rand() % 8;
		req->off = t_rand() % req->win;
	} else {
		req->off = t_rand() % 64;
	}
}

static void r_one(struct rnd *r)
{
	uint64_t roll = t_rand() % 100, len, A, E;
	struct mint req;
	bool unmap = roll >= 60;
	int nexp, how = (int)(t_rand() % 10), ret;
	struct tctx *c = &r->c;

	/* Mostly small ranges, sometimes large ones, now and then the whole VM. */
	len = t_rand() % 10;
	len = len < 6 ? 1 + t_rand() % 8 : len < 9 ? 1 + t_rand() % 32 : 1 + t_rand() % 160;
	A = t_rand() % R_PAGES;
	if (t_rand() % 50 == 0) {
		A = 0;
		len = R_PAGES;
	}
	E = u_min(A + len, (uint64_t)R_PAGES);
	/* Requests that start or end exactly where a VA does reach the a == A / e == E cells. */
	if (r->m.n && t_rand() % 4 == 0) {
		const struct mint *v = &r->m.v[t_rand() % (uint64_t)r->m.n];

		A = v->s;
		E = t_rand() % 2 ? v->e : u_min(A + len, (uint64_t)R_PAGES);
	}
	if (r->m.n && t_rand() % 4 == 0) {
		const struct mint *v = &r->m.v[t_rand() % (uint64_t)r->m.n];

		if (v->e > A)
			E = v->e;
	}
	if (!unmap)
		r_gen_map(r, A, E, &req);

	nexp = model_steps(&r->m, A, E, unmap ? NULL : &req, r->exp);
	for (int i = 0; i < nexp; i++) {
		r->stats[ST_KEEP] += r->exp[i].keep;
		r->stats[ST_REMAP] += r->exp[i].type == GPUVA_OP_REMAP;
	}
	r->stats[unmap ? ST_UNMAP : ST_MAP]++;
	r->stats[ST_REPEAT] += !unmap && req.win;

	tctx_prepare(c, &r->e.vm, unmap ? NULL : r_obj(r, req.obj), unmap ? 2 : 3);
	if (how == 0 && nexp + !unmap > 0) {
		/* Fail one step: the walk stops there, with the steps before it applied. */
		c->fail_at = (int)(t_rand() % (uint64_t)(nexp + !unmap));
		c->fail_err = -EIO;
	}
	if (how == 1 || how == 2) {
		/* The list variant, then each listed step applied (still allocation-free). */
		struct gpuva_ops *ops;
		struct gpuva_op *op;

		if (unmap) {
			ops = gpuvm_sm_unmap_ops_create(&r->e.vm, R_START + A * PG, (E - A) * PG);
		} else {
			struct gpuvm_map_req mreq = { .map = mint_to_op(r, &req) };

			ops = gpuvm_sm_map_ops_create(&r->e.vm, &mreq);
		}
		T_ASSERT(!IS_ERR(ops));
		ret = 0;
		u_alloc_forbid_begin("applying a listed step");
		gpuva_for_each_op(op, ops) {
			ret = t_step(op, c);
			if (ret)
				break;
		}
		u_alloc_forbid_end();
		gpuva_ops_free(ops);
		r->stats[ST_LIST]++;
	} else if (unmap) {
		ret = walk_unmap(c, R_START + A * PG, (E - A) * PG);
	} else {
		struct gpuvm_map_req mreq = { .map = mint_to_op(r, &req) };

		ret = walk_map(c, &mreq);
	}
	T_ASSERT_MSG(!c->bad, "inside the walk: %s", c->bad);

	if (c->fail_at >= 0) {
		T_ASSERT_EQ_INT(ret, -EIO);
		T_ASSERT_EQ_INT(c->nsteps, c->fail_at + 1);
		r->stats[ST_FAIL]++;
	} else {
		T_ASSERT_OK(ret);
		T_ASSERT_EQ_INT(c->nsteps, nexp + !unmap);
	}
	r_check_steps(r, r->exp, nexp, unmap ? NULL : &req, how == 1 || how == 2 ? "list" : "walk");

	/* The model takes the same steps (removal in descending order keeps indices valid). */
	{
		unsigned int applied = c->fail_at >= 0 ? (unsigned int)c->fail_at : c->nsteps;
		uint64_t vs[R_PAGES + 1], ve[R_PAGES + 1];

		for (int i = 0; i < nexp; i++) {
			vs[i] = r->m.v[r->exp[i].vi].s;
			ve[i] = r->m.v[r->exp[i].vi].e;
		}
		for (unsigned int i = 0; i < applied && (int)i < nexp; i++)
			model_apply(&r->m, &r->exp[i], vs[i], ve[i], A, E);
		if (!unmap && applied == (unsigned int)nexp + 1)
			model_map(&r->m, &req);
	}
	tctx_cleanup(c);

	/* Now and then, evict an object, or bring the evicted back. */
	if (t_rand() % 40 == 0) {
		gpuvm_gem_evict(t_rand() % 2 ? &r->e.a.base : &r->e.b.base, true);
		r->stats[ST_EVICT]++;
	}
	if (t_rand() % 40 == 0)
		T_ASSERT_OK(gpuvm_validate_evicted(&r->e.vm, NULL));

	r_check_state(r);
}

T_TEST(random_vs_model, "gpuvm/random/requests-vs-reference-model")
{
	struct rnd *r = u_zalloc(sizeof(*r));
	struct gpuva_op_map pa, pb;

	T_ASSERT_NOT_NULL(r);
	tenv_init(&r->e, R_START, R_PAGES, &t_ops);
	/* The second VM maps both objects too, so their vm_bo lists hold two entries. */
	T_ASSERT_OK(gpuvm_init(&r->vm2, "vm2", 0, 64 * PG, &vm_resv, &t_ops));
	pa = (struct gpuva_op_map){ .va = { 0, 4 * PG }, .gem = { &r->e.a.base, 0, 0 } };
	pb = (struct gpuva_op_map){ .va = { 8 * PG, 4 * PG }, .gem = { &r->e.b.base, 0, 0 } };
	T_ASSERT_OK(do_map(&r->vm2, &pa));
	T_ASSERT_OK(do_map(&r->vm2, &pb));

	for (int i = 0; i < R_REQUESTS; i++)
		r_one(r);
	t_note("%lu maps (%lu repeated), %lu unmaps, %lu via lists, %lu failed on purpose, "
	       "%lu remaps, %lu kept, %lu evictions", r->stats[ST_MAP], r->stats[ST_REPEAT],
	       r->stats[ST_UNMAP], r->stats[ST_LIST], r->stats[ST_FAIL], r->stats[ST_REMAP],
	       r->stats[ST_KEEP], r->stats[ST_EVICT]);
	/* The run must have exercised every kind of step. */
	T_ASSERT(r->stats[ST_KEEP] > 100 && r->stats[ST_REMAP] > 100 && r->stats[ST_REPEAT] > 100);

	T_ASSERT_OK(do_unmap(&r->vm2, 0, 64 * PG));
	T_ASSERT_EQ_INT(u_refcount_read(&r->vm2.refcount), 1);
	gpuvm_put(&r->vm2);
	tenv_fini(&r->e);
	u_free(r);
}
