// SPDX-License-Identifier: MIT
/*
 * vm suite, fault injection: every allocation of VM creation, BO creation
 * and pinning, and the prepare half of map and unmap ops (synchronous and
 * asynchronous) fails in turn. Each failure must give -ENOMEM and leave no
 * heap block, no frame, and valid page tables, VA tree and arena behind.
 */
#include <errno.h>

#include "pt_test.h"
#include "t_harness.h"
#include "dma/syncobj.h"
#include "mm/mm.h"
#include "util/u_err.h"

#define BASE (1ull << 36)

struct ctx {
	struct pt t;
	uint32_t vm;
	uint32_t bo;
	uint32_t made;
	uint32_t syncobj;
	uint64_t point;
};

static long frames(void *arg)
{
	struct ctx *c = arg;

	return pt_frames(&c->t);
}

static void check(void *arg)
{
	struct ctx *c = arg;

	if (c->vm)
		pt_validate(&c->t, c->vm);
	T_ASSERT_OK(mm_validate());
	pt_expect_no_violation(&c->t);
}

static int vm_create_run(void *arg)
{
	struct ctx *c = arg;
	struct panthor_vm_create_args a = { 0 };
	int ret = panthor_vm_pool_create_vm(c->t.ptdev, &c->t.pfile->vms, &a);

	if (ret < 0)
		return ret;
	c->made = (uint32_t)ret;
	return 0;
}

static void vm_create_undo(void *arg)
{
	struct ctx *c = arg;

	T_ASSERT_OK(panthor_vm_pool_destroy_vm(&c->t.pfile->vms, c->made));
}

T_TEST(vm_create, "vm/inject/vm-create")
{
	const struct t_fault_loop_ops ops = {
		.run = vm_create_run, .undo = vm_create_undo, .check = check, .resources = frames,
	};
	struct ctx c = { 0 };

	pt_init(&c.t, NULL);
	T_ASSERT(t_fault_loop(&ops, &c, false) > 0);
	T_ASSERT(t_fault_loop(&ops, &c, true) > 0);
	pt_fini(&c.t);
}

/* BO_CREATE, then pin (backing: 2 MiB chunks and a 4 KiB tail) and the sg table. */
static int bo_run(void *arg)
{
	struct ctx *c = arg;
	struct panthor_gem_object *bo;
	struct sg_table *sgt;
	uint64_t size = 4 * MiB + 3 * 4096;
	int ret = panthor_file_bo_create(c->t.pfile, &size, 0, 0, &c->made);

	if (ret)
		return ret;
	bo = pt_bo(&c->t, c->made);
	ret = panthor_gem_pin(bo);
	if (ret) {
		/* A failed pin leaves no backing, never an error value. */
		T_ASSERT_NULL(bo->backing.chunks);
		T_ASSERT_EQ_INT(bo->backing.pin_count, 0);
	} else {
		sgt = panthor_gem_get_dev_sgt(bo);
		if (IS_ERR(sgt)) {
			ret = (int)PTR_ERR(sgt);
			T_ASSERT_NULL(bo->dmap.sgt);
			panthor_gem_unpin(bo);
		}
	}
	panthor_gem_put(bo);
	if (ret)
		T_ASSERT_OK(panthor_file_bo_close(c->t.pfile, c->made));
	return ret;
}

static void bo_undo(void *arg)
{
	struct ctx *c = arg;
	struct panthor_gem_object *bo = pt_bo(&c->t, c->made);

	panthor_gem_unpin(bo);
	panthor_gem_put(bo);
	T_ASSERT_OK(panthor_file_bo_close(c->t.pfile, c->made));
}

T_TEST(bo, "vm/inject/bo-create-pin-sgt")
{
	const struct t_fault_loop_ops ops = {
		.run = bo_run, .undo = bo_undo, .check = check, .resources = frames,
	};
	struct ctx c = { 0 };

	pt_init(&c.t, NULL);
	/* The handle table keeps its capacity once grown: not a leak. */
	T_ASSERT_OK(panthor_file_bo_close(c.t.pfile, pt_bo_create(&c.t, 4096, 0)));
	T_ASSERT(t_fault_loop(&ops, &c, false) > 0);
	T_ASSERT(t_fault_loop(&ops, &c, true) > 0);
	pt_fini(&c.t);
}

/* A fresh BO mapped over an existing 2 MiB block, across its edge: VMAs, pin, vm_bo, tables. */
static int map_run(void *arg)
{
	struct ctx *c = arg;
	uint64_t size = 64 * 1024;
	int ret = panthor_file_bo_create(c->t.pfile, &size, 0, 0, &c->made);

	if (ret)
		return ret;
	ret = pt_map(&c->t, c->vm, c->made, 0, BASE + 2 * MiB - 32 * 1024, size);
	if (ret)
		T_ASSERT_OK(panthor_file_bo_close(c->t.pfile, c->made));
	return ret;
}

/* Back to exactly the starting state: the original blocks, the new BO gone. */
static void map_undo(void *arg)
{
	struct ctx *c = arg;

	T_ASSERT_OK(pt_unmap(&c->t, c->vm, BASE, 4 * MiB));
	T_ASSERT_OK(pt_map(&c->t, c->vm, c->bo, 0, BASE, 4 * MiB));
	T_ASSERT_OK(panthor_file_bo_close(c->t.pfile, c->made));
}

T_TEST(map, "vm/inject/prepare-map")
{
	const struct t_fault_loop_ops ops = {
		.run = map_run, .undo = map_undo, .check = check, .resources = frames,
	};
	struct ctx c = { 0 };

	pt_init(&c.t, NULL);
	c.vm = pt_vm_create(&c.t);
	c.bo = pt_bo_create(&c.t, 4 * MiB, 0);
	T_ASSERT_OK(pt_map(&c.t, c.vm, c.bo, 0, BASE, 4 * MiB));
	T_ASSERT(t_fault_loop(&ops, &c, false) > 0);
	T_ASSERT(t_fault_loop(&ops, &c, true) > 0);
	pt_validate(&c.t, c.vm);
	pt_fini(&c.t);
}

/* A partial unmap splitting a 2 MiB block: VMAs for both pieces, an L3 table. */
static int unmap_run(void *arg)
{
	struct ctx *c = arg;

	return pt_unmap(&c->t, c->vm, BASE + 1 * MiB, 4096);
}

static void unmap_undo(void *arg)
{
	struct ctx *c = arg;

	T_ASSERT_OK(pt_unmap(&c->t, c->vm, BASE, 4 * MiB));
	T_ASSERT_OK(pt_map(&c->t, c->vm, c->bo, 0, BASE, 4 * MiB));
}

T_TEST(unmap, "vm/inject/prepare-unmap")
{
	const struct t_fault_loop_ops ops = {
		.run = unmap_run, .undo = unmap_undo, .check = check, .resources = frames,
	};
	struct ctx c = { 0 };

	pt_init(&c.t, NULL);
	c.vm = pt_vm_create(&c.t);
	c.bo = pt_bo_create(&c.t, 4 * MiB, 0);
	T_ASSERT_OK(pt_map(&c.t, c.vm, c.bo, 0, BASE, 4 * MiB));
	T_ASSERT(t_fault_loop(&ops, &c, false) > 0);
	T_ASSERT(t_fault_loop(&ops, &c, true) > 0);
	pt_fini(&c.t);
}

/* An async sparse map with a timeline signal: jobs, syncs, chain nodes, drm_exec. */
static int async_run(void *arg)
{
	struct ctx *c = arg;
	struct panthor_sync_op_args sig = {
		.flags = (uint32_t)DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ |
			 (uint32_t)DRM_PANTHOR_SYNC_OP_SIGNAL,
		.handle = c->syncobj,
		.timeline_value = c->point + 1,
	};
	struct panthor_vm_bind_op_args op = {
		.flags = PT_SPARSE, .va = BASE + 8 * MiB + 4096, .size = 3 * MiB,
		.syncs_count = 1, .syncs = &sig,
	};
	uint32_t count = 1;
	struct panthor_vm *vm;
	int ret = panthor_vm_bind(c->t.pfile, c->vm, DRM_PANTHOR_VM_BIND_ASYNC, &op, &count);

	if (ret)
		return ret;
	c->point++;
	vm = pt_vm(&c->t, c->vm);
	panthor_vm_wait_idle(vm);
	panthor_vm_put(vm);
	/* The job's memory is released by the cleanup thread. */
	panthor_mmu_wait_cleanup(c->t.ptdev);
	return 0;
}

static void async_undo(void *arg)
{
	struct ctx *c = arg;

	T_ASSERT_OK(pt_unmap(&c->t, c->vm, BASE + 8 * MiB, 4 * MiB));
}

T_TEST(async, "vm/inject/async-bind")
{
	const struct t_fault_loop_ops ops = {
		.run = async_run, .undo = async_undo, .check = check, .resources = frames,
	};
	struct ctx c = { 0 };

	pt_init(&c.t, NULL);
	c.vm = pt_vm_create(&c.t);
	T_ASSERT_OK(panthor_file_syncobj_create(c.t.pfile, 0, &c.syncobj));
	/* The dummy's backing is allocated once, outside the sweep. */
	T_ASSERT_OK(pt_sparse(&c.t, c.vm, BASE + 8 * MiB, 4096));
	T_ASSERT_OK(pt_unmap(&c.t, c.vm, BASE + 8 * MiB, 4096));
	/*
	 * So do the fence lists of the VM's and the dummy's reservation
	 * objects: they keep their capacity, which is not a leak.
	 */
	for (int i = 0; i < 2; i++) {
		T_ASSERT_OK(async_run(&c));
		async_undo(&c);
	}
	T_ASSERT(t_fault_loop(&ops, &c, false) > 0);
	T_ASSERT(t_fault_loop(&ops, &c, true) > 0);
	pt_fini(&c.t);
}
