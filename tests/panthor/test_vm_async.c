// SPDX-License-Identifier: MIT
/*
 * vm suite, asynchronous VM_BIND: the per-VM bind queue, wait and signal
 * syncs on binary and timeline syncobjs, SYNC_ONLY, validation, atomic
 * submission, failures at execution (the VM becomes unusable).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "pt_test.h"
#include "t_harness.h"
#include "dma/dma_fence.h"
#include "dma/dma_resv.h"
#include "dma/syncobj.h"
#include "util/u_alloc.h"
#include "util/u_err.h"

#define BASE (1ull << 34)
#define SYNCOBJ_T ((uint32_t)DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ)
#define TIMELINE_T ((uint32_t)DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ)
#define SIGNAL ((uint32_t)DRM_PANTHOR_SYNC_OP_SIGNAL)

static const char *test_fence_name(struct dma_fence *f)
{
	(void)f;
	return "test";
}

static const struct dma_fence_ops test_fence_ops = {
	.get_driver_name = test_fence_name,
	.get_timeline_name = test_fence_name,
};

/* A fence the test signals by hand. */
static struct dma_fence *test_fence(void)
{
	struct dma_fence *f = u_malloc(sizeof(*f));

	T_ASSERT_NOT_NULL(f);
	dma_fence_init(f, &test_fence_ops, dma_fence_context_alloc(1), 1);
	return f;
}

static uint32_t syncobj(struct pt *t)
{
	uint32_t h;

	T_ASSERT_OK(panthor_file_syncobj_create(t->pfile, 0, &h));
	return h;
}

static int bind_async(struct pt *t, uint32_t vm, struct panthor_vm_bind_op_args *ops, uint32_t n)
{
	return panthor_vm_bind(t->pfile, vm, DRM_PANTHOR_VM_BIND_ASYNC, ops, &n);
}

/* Wait for point @point (0: the binary fence) of syncobj @h; Return: the fence status. */
static int wait_syncobj(struct pt *t, uint32_t h, uint64_t point)
{
	struct drm_syncobj *obj = panthor_file_syncobj_lookup(t->pfile, h);
	struct dma_fence *f = NULL;
	int status;

	T_ASSERT_NOT_NULL(obj);
	T_ASSERT_OK(drm_syncobj_find_fence(obj, point, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
					   5000000000ll, &f));
	T_ASSERT(dma_fence_wait_timeout(f, false, 5000000000ll) > 0);
	status = dma_fence_get_status(f);
	dma_fence_put(f);
	drm_syncobj_put(obj);
	return status;
}

static void syncobj_install(struct pt *t, uint32_t h, struct dma_fence *f)
{
	struct drm_syncobj *obj = panthor_file_syncobj_lookup(t->pfile, h);

	drm_syncobj_replace_fence(obj, f);
	drm_syncobj_put(obj);
}

T_TEST(basic, "vm/async/map-signal-binary")
{
	struct panthor_vm *v;
	uint32_t vm, bo, s;
	struct pt t;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	bo = pt_bo_create(&t, 4 * MiB, 0);
	pt_bo_fill(&t, bo, 0x41);
	s = syncobj(&t);
	{
		struct panthor_sync_op_args sig = { .flags = SYNCOBJ_T | SIGNAL, .handle = s };
		struct panthor_vm_bind_op_args op = {
			.flags = PT_MAP, .bo_handle = bo, .va = BASE, .size = 4 * MiB,
			.syncs_count = 1, .syncs = &sig,
		};

		T_ASSERT_OK(bind_async(&t, vm, &op, 1));
	}
	T_ASSERT_EQ_INT(wait_syncobj(&t, s, 0), 1);
	pt_expect_word(&t, vm, BASE + 3 * MiB, pt_word(0x41, 3 * MiB));
	/* The job's fence sits in the VM's resv (BOOKKEEP) and in the BO's. */
	v = pt_vm(&t, vm);
	T_ASSERT(dma_resv_num_fences(panthor_vm_resv(v)) >= 1);
	T_ASSERT(dma_resv_test_signaled(panthor_vm_resv(v), DMA_RESV_USAGE_BOOKKEEP));
	panthor_vm_put(v);
	pt_validate(&t, vm);
	pt_fini(&t);
}

T_TEST(timeline, "vm/async/timeline-points-and-order")
{
	struct panthor_sync_op_args sig1 = { .flags = TIMELINE_T | SIGNAL, .timeline_value = 1 };
	struct panthor_sync_op_args sig2 = { .flags = TIMELINE_T | SIGNAL, .timeline_value = 2 };
	struct panthor_vm_bind_op_args ops[3];
	struct panthor_vm *v;
	uint32_t vm, a, b, s;
	struct pt t;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	a = pt_bo_create(&t, 2 * MiB, 0);
	b = pt_bo_create(&t, 2 * MiB, 0);
	pt_bo_fill(&t, a, 0xa);
	pt_bo_fill(&t, b, 0xb);
	s = syncobj(&t);
	sig1.handle = sig2.handle = s;
	/* Map a, map b over half of it, unmap a page: executed in order. */
	ops[0] = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = a, .va = BASE,
						   .size = 2 * MiB, .syncs_count = 1, .syncs = &sig1 };
	ops[1] = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = b, .va = BASE,
						   .size = 1 * MiB };
	ops[2] = (struct panthor_vm_bind_op_args){ .flags = PT_UNMAP, .va = BASE + 4096, .size = 4096,
						   .syncs_count = 1, .syncs = &sig2 };
	T_ASSERT_OK(bind_async(&t, vm, ops, 3));
	T_ASSERT_EQ_INT(wait_syncobj(&t, s, 2), 1);
	T_ASSERT_EQ_INT(wait_syncobj(&t, s, 1), 1);
	pt_expect_word(&t, vm, BASE, pt_word(0xb, 0));
	pt_expect_word(&t, vm, BASE + 1 * MiB, pt_word(0xa, 1 * MiB));
	v = pt_vm(&t, vm);
	T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, BASE + 4096, NULL), 0);
	panthor_vm_put(v);
	pt_validate(&t, vm);
	pt_fini(&t);
}

T_TEST(wait, "vm/async/waits-for-its-syncs")
{
	struct panthor_sync_op_args w = { .flags = SYNCOBJ_T };
	struct panthor_sync_op_args sig = { .flags = SYNCOBJ_T | SIGNAL };
	struct panthor_sync_op_args sonly[2];
	struct panthor_vm_bind_op_args op;
	struct dma_fence *gate = test_fence();
	struct panthor_vm *v;
	uint32_t vm, bo, in, out, out2;
	struct pt t;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	bo = pt_bo_create(&t, 4096, 0);
	pt_bo_fill(&t, bo, 0x3);
	in = syncobj(&t);
	out = syncobj(&t);
	out2 = syncobj(&t);
	syncobj_install(&t, in, gate);
	w.handle = in;
	sig.handle = out;
	op = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = bo, .va = BASE,
					       .size = 4096, .syncs_count = 1, .syncs = &w };
	T_ASSERT_OK(bind_async(&t, vm, &op, 1));
	/* A SYNC_ONLY after it signals once everything before it has run. */
	sonly[0] = sig;
	sonly[1] = (struct panthor_sync_op_args){ .flags = TIMELINE_T | SIGNAL, .handle = out2,
						  .timeline_value = 7 };
	op = (struct panthor_vm_bind_op_args){ .flags = PT_SYNC_ONLY, .syncs_count = 2, .syncs = sonly };
	T_ASSERT_OK(bind_async(&t, vm, &op, 1));

	usleep(20000);
	v = pt_vm(&t, vm);
	T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, BASE, NULL), 0);
	{
		struct drm_syncobj *o = panthor_file_syncobj_lookup(t.pfile, out);
		struct dma_fence *f = drm_syncobj_fence_get(o);

		T_ASSERT_NOT_NULL(f);
		T_ASSERT(!dma_fence_is_signaled(f));
		dma_fence_put(f);
		drm_syncobj_put(o);
	}
	dma_fence_signal(gate);
	dma_fence_put(gate);
	T_ASSERT_EQ_INT(wait_syncobj(&t, out, 0), 1);
	T_ASSERT_EQ_INT(wait_syncobj(&t, out2, 7), 1);
	T_ASSERT(panthor_vm_lookup_pa(v, BASE, NULL) != 0);
	pt_expect_word(&t, vm, BASE, pt_word(0x3, 0));
	panthor_vm_put(v);
	pt_fini(&t);
}

T_TEST(same_call, "vm/async/wait-on-a-signal-of-the-same-call")
{
	struct panthor_sync_op_args s0 = { .flags = TIMELINE_T | SIGNAL, .timeline_value = 5 };
	struct panthor_sync_op_args w1 = { .flags = TIMELINE_T, .timeline_value = 5 };
	struct panthor_vm_bind_op_args ops[2];
	uint32_t vm, bo, s;
	struct pt t;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	bo = pt_bo_create(&t, 4096, 0);
	s = syncobj(&t);
	s0.handle = w1.handle = s;
	/* Op 1 waits for point 5, which only op 0 of this very call provides. */
	ops[0] = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = bo, .va = BASE,
						   .size = 4096, .syncs_count = 1, .syncs = &s0 };
	ops[1] = (struct panthor_vm_bind_op_args){ .flags = PT_UNMAP, .va = BASE, .size = 4096,
						   .syncs_count = 1, .syncs = &w1 };
	T_ASSERT_OK(bind_async(&t, vm, ops, 2));
	T_ASSERT_EQ_INT(wait_syncobj(&t, s, 5), 1);
	{
		struct panthor_vm *v = pt_vm(&t, vm);

		panthor_vm_wait_idle(v);
		T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, BASE, NULL), 0);
		panthor_vm_put(v);
	}
	pt_fini(&t);
}

T_TEST(validation, "vm/async/validation-and-atomic-submit")
{
	struct panthor_sync_op_args sync;
	struct panthor_vm_bind_op_args ops[2];
	struct panthor_vm *v;
	uint32_t vm, bo, s, empty;
	struct pt t;
	struct {
		const char *what;
		uint32_t flags, handle;
		uint64_t value;
		int err;
	} syncs[] = {
		{ "unknown sync flag", SYNCOBJ_T | (1u << 8), 0, 0, EINVAL },
		{ "handle type 2", 2u | SIGNAL, 0, 0, EINVAL },
		{ "binary with a point", SYNCOBJ_T | SIGNAL, 0, 3, EINVAL },
		{ "signal of an unknown syncobj", SYNCOBJ_T | SIGNAL, 99, 0, EINVAL },
		{ "wait on an unknown syncobj", SYNCOBJ_T, 99, 0, ENOENT },
		{ "wait on a syncobj without fence", SYNCOBJ_T, (uint32_t)-1, 0, EINVAL },
		{ "wait on a point not submitted", TIMELINE_T, (uint32_t)-1, 4, EINVAL },
	};

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	bo = pt_bo_create(&t, 4096, 0);
	s = syncobj(&t);
	empty = syncobj(&t);

	for (unsigned int i = 0; i < ARRAY_SIZE(syncs); i++) {
		sync = (struct panthor_sync_op_args){
			.flags = syncs[i].flags,
			.handle = syncs[i].handle == 0 ? s :
				  syncs[i].handle == (uint32_t)-1 ? empty : syncs[i].handle,
			.timeline_value = syncs[i].value,
		};
		ops[0] = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = bo, .va = BASE,
							   .size = 4096, .syncs_count = 1, .syncs = &sync };
		T_ASSERT_MSG(bind_async(&t, vm, ops, 1) == -syncs[i].err, "%s", syncs[i].what);
	}

	sync = (struct panthor_sync_op_args){ .flags = SYNCOBJ_T | SIGNAL, .handle = s };
	/* SYNC_ONLY: no va, size, BO; at least one sync; no modifier. */
	ops[0] = (struct panthor_vm_bind_op_args){ .flags = PT_SYNC_ONLY };
	T_ASSERT_ERRNO(bind_async(&t, vm, ops, 1), EINVAL);
	ops[0] = (struct panthor_vm_bind_op_args){ .flags = PT_SYNC_ONLY, .size = 4096,
						   .syncs_count = 1, .syncs = &sync };
	T_ASSERT_ERRNO(bind_async(&t, vm, ops, 1), EINVAL);
	ops[0] = (struct panthor_vm_bind_op_args){ .flags = PT_SYNC_ONLY, .va = BASE,
						   .syncs_count = 1, .syncs = &sync };
	T_ASSERT_ERRNO(bind_async(&t, vm, ops, 1), EINVAL);
	ops[0] = (struct panthor_vm_bind_op_args){ .flags = PT_SYNC_ONLY, .bo_handle = bo,
						   .syncs_count = 1, .syncs = &sync };
	T_ASSERT_ERRNO(bind_async(&t, vm, ops, 1), EINVAL);
	ops[0] = (struct panthor_vm_bind_op_args){ .flags = PT_SYNC_ONLY |
						   DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC,
						   .syncs_count = 1, .syncs = &sync };
	T_ASSERT_ERRNO(bind_async(&t, vm, ops, 1), EINVAL);
	/* Our choice: an async MAP or UNMAP of size 0 is -EINVAL (docs/vm.md). */
	ops[0] = (struct panthor_vm_bind_op_args){ .flags = PT_UNMAP, .va = BASE };
	T_ASSERT_ERRNO(bind_async(&t, vm, ops, 1), EINVAL);

	/* All or nothing: op 1 is bad, so op 0 (and its signal) never happen. */
	ops[0] = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = bo, .va = BASE,
						   .size = 4096, .syncs_count = 1, .syncs = &sync };
	ops[1] = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = 42, .va = BASE,
						   .size = 4096 };
	T_ASSERT_ERRNO(bind_async(&t, vm, ops, 2), EINVAL);
	v = pt_vm(&t, vm);
	panthor_vm_wait_idle(v);
	T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, BASE, NULL), 0);
	{
		struct drm_syncobj *o = panthor_file_syncobj_lookup(t.pfile, s);

		T_ASSERT_NULL(drm_syncobj_fence_get(o));
		drm_syncobj_put(o);
	}
	T_ASSERT(!panthor_vm_is_unusable(v));
	/* An empty call is fine. */
	T_ASSERT_OK(bind_async(&t, vm, ops, 0));
	panthor_vm_put(v);
	pt_fini(&t);
}

/* Make @vm's AS stop answering and run a synchronous map: the reset path marks it unusable. */
static void make_unusable_by_reset(struct pt *t, uint32_t vm_id, uint32_t bo)
{
	struct panthor_vm *vm = pt_vm(t, vm_id);
	int as = panthor_vm_job_begin(vm);

	T_ASSERT(as > 0);
	hw_knob_stuck_as_active(t->ptdev->hw, (unsigned int)as, true);
	T_ASSERT_ERRNO(pt_map(t, vm_id, bo, 0, BASE + 64 * MiB, 4096), ETIMEDOUT);
	panthor_vm_job_end(vm);
	T_ASSERT(panthor_vm_is_unusable(vm));
	panthor_vm_put(vm);
}

T_TEST(unusable, "vm/async/map-on-unusable-fails-at-execution")
{
	struct pt_config cfg = { .timeout_us = 10000 };
	struct panthor_sync_op_args w = { .flags = SYNCOBJ_T };
	struct panthor_sync_op_args sig = { .flags = SYNCOBJ_T | SIGNAL };
	struct panthor_sync_op_args sig2 = { .flags = SYNCOBJ_T | SIGNAL };
	struct panthor_vm_bind_op_args ops[2];
	struct dma_fence *gate = test_fence();
	uint32_t vm, bo, in, out, out2, state;
	struct pt t;

	pt_init(&t, &cfg);
	vm = pt_vm_create(&t);
	bo = pt_bo_create(&t, 4096, 0);
	T_ASSERT_OK(pt_map(&t, vm, bo, 0, BASE + 8192, 4096));
	in = syncobj(&t);
	out = syncobj(&t);
	out2 = syncobj(&t);
	syncobj_install(&t, in, gate);
	w.handle = in;
	sig.handle = out;
	sig2.handle = out2;
	/* Queued while usable, blocked behind the gate. */
	ops[0] = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = bo, .va = BASE,
						   .size = 4096, .syncs_count = 1, .syncs = &w };
	ops[1] = (struct panthor_vm_bind_op_args){ .flags = PT_UNMAP, .va = BASE + 8192, .size = 4096,
						   .syncs_count = 1, .syncs = &sig2 };
	ops[0].syncs_count = 1;
	{
		struct panthor_sync_op_args both[2] = { w, sig };

		ops[0].syncs = both;
		ops[0].syncs_count = 2;
		T_ASSERT_OK(bind_async(&t, vm, ops, 2));
	}
	make_unusable_by_reset(&t, vm, bo);
	T_ASSERT_EQ_INT(panthor_device_reset_count(t.ptdev), 1);
	T_ASSERT_OK(panthor_vm_get_state(t.pfile, vm, &state));
	T_ASSERT_EQ_INT(state, DRM_PANTHOR_VM_STATE_UNUSABLE);

	/* New async ops are refused at submission. */
	ops[0] = (struct panthor_vm_bind_op_args){ .flags = PT_UNMAP, .va = BASE, .size = 4096 };
	T_ASSERT_ERRNO(bind_async(&t, vm, ops, 1), EINVAL);
	/* The queued MAP fails when it runs; the UNMAP after it still runs. */
	dma_fence_signal(gate);
	dma_fence_put(gate);
	T_ASSERT_EQ_INT(wait_syncobj(&t, out, 0), -EINVAL);
	T_ASSERT_EQ_INT(wait_syncobj(&t, out2, 0), 1);
	/* Synchronously: MAP fails, UNMAP works, jobs are refused. */
	T_ASSERT_ERRNO(pt_map(&t, vm, bo, 0, BASE, 4096), EINVAL);
	T_ASSERT_OK(pt_unmap(&t, vm, BASE, 1 * GiB));
	{
		struct panthor_vm *v = pt_vm(&t, vm);

		T_ASSERT_ERRNO(panthor_vm_job_begin(v), EINVAL);
		panthor_vm_put(v);
	}
	pt_validate(&t, vm);
	pt_fini(&t);
}

T_TEST(exec_failure, "vm/async/failure-at-execution-disables-the-as")
{
	struct pt_config cfg = { .timeout_us = 10000 };
	struct panthor_sync_op_args sig = { .flags = SYNCOBJ_T | SIGNAL };
	struct panthor_vm_bind_op_args op;
	struct panthor_vm *v;
	uint32_t vm, bo, out;
	struct pt t;
	int as;

	pt_init(&t, &cfg);
	vm = pt_vm_create(&t);
	bo = pt_bo_create(&t, 4096, 0);
	out = syncobj(&t);
	sig.handle = out;
	v = pt_vm(&t, vm);
	as = panthor_vm_job_begin(v);
	T_ASSERT(as > 0);
	/* The async op's LOCK times out on the worker, inside the signalling section. */
	hw_knob_stuck_as_active(t.ptdev->hw, (unsigned int)as, true);
	op = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = bo, .va = BASE,
					       .size = 4096, .syncs_count = 1, .syncs = &sig };
	T_ASSERT_OK(bind_async(&t, vm, &op, 1));
	T_ASSERT_EQ_INT(wait_syncobj(&t, out, 0), -ETIMEDOUT);
	T_ASSERT(panthor_vm_is_unusable(v));
	/* The slot is kept for the job still running, but translation is off. */
	T_ASSERT_EQ_INT(panthor_vm_as(v), as);
	T_ASSERT_EQ_U64(hw_mmio_read32(t.ptdev->hw, 0x2400u + ((unsigned int)as << 6) + 0x30), 1);
	{
		uint64_t val;

		T_ASSERT(hw_read64(t.ptdev->hw, (unsigned int)as, BASE, &val, NULL) < 0);
	}
	panthor_vm_job_end(v);
	panthor_vm_put(v);
	pt_fini(&t);
}

T_TEST(destroy_pending, "vm/async/destroy-cancels-waiting-jobs")
{
	struct panthor_sync_op_args syncs[2] = {
		{ .flags = SYNCOBJ_T },
		{ .flags = SYNCOBJ_T | SIGNAL },
	};
	struct panthor_vm_bind_op_args op;
	struct dma_fence *gate = test_fence();
	uint32_t vm, bo, in, out;
	uint64_t t0;
	struct pt t;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	bo = pt_bo_create(&t, 4096, 0);
	in = syncobj(&t);
	out = syncobj(&t);
	syncobj_install(&t, in, gate);
	syncs[0].handle = in;
	syncs[1].handle = out;
	op = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = bo, .va = BASE,
					       .size = 4096, .syncs_count = 2, .syncs = syncs };
	T_ASSERT_OK(bind_async(&t, vm, &op, 1));
	/* The gate never opens: destruction must not wait for it. */
	t0 = panthor_now_ns();
	T_ASSERT_OK(panthor_vm_pool_destroy_vm(&t.pfile->vms, vm));
	T_ASSERT(panthor_now_ns() - t0 < 2000000000ull);
	T_ASSERT_EQ_INT(wait_syncobj(&t, out, 0), -ESRCH);
	T_ASSERT_ERRNO(bind_async(&t, vm, &op, 1), EINVAL);
	dma_fence_signal(gate);
	dma_fence_put(gate);
	pt_fini(&t);
}
