// SPDX-License-Identifier: MIT
/*
 * sched suite: groups and jobs at driver level. A stream that stores a value
 * the CPU reads back, syncobj wait/signal chains (binary and timeline)
 * between VM_BIND and GROUP_SUBMIT, job fences in the VM resv, faults,
 * timeouts, destroy with jobs in flight, the errno tables of GROUP_CREATE
 * and GROUP_SUBMIT, several groups submitting from several threads, and the
 * trace of a job on its hardware queue slot's track.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../hw/cs_asm.h"
#include "pt_test.h"
#include "t_harness.h"
#include "dma/dma_fence.h"
#include "dma/dma_resv.h"
#include "dma/syncobj.h"
#include "panthor/panthor_heap.h"
#include "panthor/panthor_sched.h"
#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_trace.h"

#define VA_CODE 0x100000ull   /* stream BO */
#define VA_DATA 0x200000ull   /* data BO */
#define BO_SIZE (64ull << 10)
#define SYNCOBJ_T ((uint32_t)DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ)
#define TIMELINE_T ((uint32_t)DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ)
#define SIGNAL ((uint32_t)DRM_PANTHOR_SYNC_OP_SIGNAL)

/* One test's world: a VM with a code BO and a data BO mapped, and a group. */
struct st {
	struct pt t;
	uint32_t vm, code, data, group;
};

static uint32_t group_create_n(struct pt *t, uint32_t vm, uint32_t nq)
{
	struct drm_panthor_queue_create q[4];
	struct drm_panthor_group_create c;
	uint32_t h;

	memset(q, 0, sizeof(q));
	for (uint32_t i = 0; i < nq; i++) {
		q[i].priority = 1;
		q[i].ringbuf_size = 4096;
	}
	memset(&c, 0, sizeof(c));
	c.queues.count = nq;
	c.priority = PANTHOR_GROUP_PRIORITY_MEDIUM;
	c.compute_core_mask = t->ptdev->gpu_info.shader_present;
	c.fragment_core_mask = t->ptdev->gpu_info.shader_present;
	c.tiler_core_mask = t->ptdev->gpu_info.tiler_present;
	c.max_compute_cores = 1;
	c.max_fragment_cores = 1;
	c.max_tiler_cores = 1;
	c.vm_id = vm;
	T_ASSERT_OK(panthor_group_create(t->pfile, &c, q, false, &h));
	return h;
}

static void st_init(struct st *s, const struct pt_config *cfg)
{
	pt_init(&s->t, cfg);
	s->vm = pt_vm_create(&s->t);
	s->code = pt_bo_create(&s->t, BO_SIZE, s->vm);
	s->data = pt_bo_create(&s->t, BO_SIZE, 0);
	T_ASSERT_OK(pt_map(&s->t, s->vm, s->code, 0, VA_CODE, BO_SIZE));
	T_ASSERT_OK(pt_map(&s->t, s->vm, s->data, 0, VA_DATA, BO_SIZE));
	s->group = group_create_n(&s->t, s->vm, 2);
}

static void st_fini(struct st *s)
{
	pt_fini(&s->t);
}

static void bo_write(struct pt *t, uint32_t handle, uint64_t off, const void *buf, size_t len)
{
	struct panthor_gem_object *bo = pt_bo(t, handle);

	T_ASSERT_OK(panthor_gem_cpu_access(bo, off, (void *)buf, len, true));
	panthor_gem_put(bo);
}

static uint64_t bo_read64(struct pt *t, uint32_t handle, uint64_t off)
{
	struct panthor_gem_object *bo = pt_bo(t, handle);
	uint64_t v = 0;

	T_ASSERT_OK(panthor_gem_cpu_access(bo, off, &v, sizeof(v), false));
	panthor_gem_put(bo);
	return v;
}

/* A stream at code offset @off that stores the 32-bit @val at data offset @doff. */
static uint32_t put_store_stream(struct st *s, uint64_t off, uint64_t doff, uint32_t val)
{
	uint64_t insn[] = {
		csa_move48(0, VA_DATA + doff),
		csa_move32(2, val),
		csa_store(2, 0, 1, 0),
	};

	bo_write(&s->t, s->code, off, insn, sizeof(insn));
	return sizeof(insn);
}

static uint32_t syncobj(struct pt *t)
{
	uint32_t h;

	T_ASSERT_OK(panthor_file_syncobj_create(t->pfile, 0, &h));
	return h;
}

/* Wait for @point (0: binary) of syncobj @h; Return: the fence status (1 ok, < 0 error). */
static int wait_syncobj(struct pt *t, uint32_t h, uint64_t point)
{
	struct drm_syncobj *obj = panthor_file_syncobj_lookup(t->pfile, h);
	struct dma_fence *f = NULL;
	int status;

	T_ASSERT_NOT_NULL(obj);
	T_ASSERT_OK(drm_syncobj_find_fence(obj, point, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
					   5000000000ll, &f));
	T_ASSERT(dma_fence_wait_timeout(f, false, 20000000000ll) > 0);
	status = dma_fence_get_status(f);
	dma_fence_put(f);
	drm_syncobj_put(obj);
	return status;
}

static int submit1(struct st *s, uint32_t queue, uint64_t addr, uint32_t size,
		   const struct panthor_sync_op_args *syncs, uint32_t nsyncs)
{
	struct panthor_queue_submit_args j = {
		.queue_index = queue, .stream_addr = addr, .stream_size = size,
		.syncs = syncs, .syncs_count = nsyncs,
	};

	return panthor_group_submit(s->t.pfile, s->group, &j, 1);
}

static uint32_t group_state(struct st *s, uint32_t *fatal)
{
	uint32_t state, fq;

	T_ASSERT_OK(panthor_group_get_state(s->t.pfile, s->group, &state, &fq));
	if (fatal)
		*fatal = fq;
	return state;
}

T_TEST(store, "sched/store-value-cpu-reads-it")
{
	struct panthor_sync_op_args sig = { .flags = SYNCOBJ_T | SIGNAL };
	struct st s;
	uint32_t size;

	st_init(&s, NULL);
	sig.handle = syncobj(&s.t);
	size = put_store_stream(&s, 0, 0x40, 0xdeadbeef);
	T_ASSERT_OK(submit1(&s, 0, VA_CODE, size, &sig, 1));
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, sig.handle, 0), 1);
	T_ASSERT_EQ_U64(bo_read64(&s.t, s.data, 0x40), 0xdeadbeefull);
	T_ASSERT_EQ_INT(group_state(&s, NULL), 0);
	st_fini(&s);
}

T_TEST(chain, "sched/jobs-chained-by-timeline-and-binary-syncobjs")
{
	struct panthor_sync_op_args j1[1], j2[2];
	uint32_t tl, bin, size1, size2;
	struct st s;

	st_init(&s, NULL);
	tl = syncobj(&s.t);
	bin = syncobj(&s.t);
	/* Job 2 (queue 1) waits for point 3 of the timeline, which job 1 (queue 0) signals. */
	size1 = put_store_stream(&s, 0, 0x0, 0x11111111);
	size2 = put_store_stream(&s, 0x100, 0x8, 0x22222222);
	j2[0] = (struct panthor_sync_op_args){ .flags = TIMELINE_T, .handle = tl,
					       .timeline_value = 3 };
	j2[1] = (struct panthor_sync_op_args){ .flags = SYNCOBJ_T | SIGNAL, .handle = bin };
	j1[0] = (struct panthor_sync_op_args){ .flags = TIMELINE_T | SIGNAL, .handle = tl,
					       .timeline_value = 3 };
	/* The waiter first: the point is not submitted yet, so the wait fails... */
	T_ASSERT_ERRNO(submit1(&s, 1, VA_CODE + 0x100, size2, j2, 2), EINVAL);
	/* ...but in one call, an earlier job's SIGNAL is what a later WAIT sees. */
	{
		struct panthor_queue_submit_args jobs[2] = {
			{ .queue_index = 0, .stream_addr = VA_CODE, .stream_size = size1,
			  .syncs = j1, .syncs_count = 1 },
			{ .queue_index = 1, .stream_addr = VA_CODE + 0x100, .stream_size = size2,
			  .syncs = j2, .syncs_count = 2 },
		};

		T_ASSERT_OK(panthor_group_submit(s.t.pfile, s.group, jobs, 2));
	}
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, bin, 0), 1);
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, tl, 3), 1);
	T_ASSERT_EQ_U64(bo_read64(&s.t, s.data, 0x0), 0x11111111ull);
	T_ASSERT_EQ_U64(bo_read64(&s.t, s.data, 0x8), 0x22222222ull);
	st_fini(&s);
}

T_TEST(fault, "sched/fault-marks-group-fatal-later-submit-einval")
{
	struct panthor_sync_op_args sig = { .flags = SYNCOBJ_T | SIGNAL };
	uint32_t size, fatal = 0, state;
	struct st s;
	uint64_t insn[] = {
		csa_move48(0, 0x7f0000000ull),	/* nothing mapped there */
		csa_move32(2, 1),
		csa_store(2, 0, 1, 0),
	};

	st_init(&s, NULL);
	sig.handle = syncobj(&s.t);
	bo_write(&s.t, s.code, 0, insn, sizeof(insn));
	size = sizeof(insn);
	T_ASSERT_OK(submit1(&s, 1, VA_CODE, size, &sig, 1));
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, sig.handle, 0), -EINVAL);
	state = group_state(&s, &fatal);
	T_ASSERT(state & DRM_PANTHOR_GROUP_STATE_FATAL_FAULT);
	T_ASSERT(!(state & DRM_PANTHOR_GROUP_STATE_TIMEDOUT));
	T_ASSERT(fatal & 2u);
	size = put_store_stream(&s, 0x100, 0, 5);
	T_ASSERT_ERRNO(submit1(&s, 0, VA_CODE + 0x100, size, NULL, 0), EINVAL);
	/* A new group on the same VM runs: its job re-enables the faulted AS. */
	s.group = group_create_n(&s.t, s.vm, 1);
	T_ASSERT_OK(submit1(&s, 0, VA_CODE + 0x100, size, &sig, 1));
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, sig.handle, 0), 1);
	T_ASSERT_EQ_U64(bo_read64(&s.t, s.data, 0) & 0xffffffffu, 5);
	T_ASSERT_EQ_INT(group_state(&s, NULL), 0);
	pt_fini_ex(&s.t, true);
}

T_TEST(unsupported, "sched/shader-instruction-is-fatal")
{
	struct panthor_sync_op_args sig = { .flags = SYNCOBJ_T | SIGNAL };
	uint64_t insn[] = { csa_insn(HW_CS_OP_RUN_COMPUTE, 0) };
	uint32_t fatal = 0;
	struct st s;

	st_init(&s, NULL);
	sig.handle = syncobj(&s.t);
	bo_write(&s.t, s.code, 0, insn, sizeof(insn));
	T_ASSERT_OK(submit1(&s, 0, VA_CODE, sizeof(insn), &sig, 1));
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, sig.handle, 0), -EINVAL);
	T_ASSERT(group_state(&s, &fatal) & DRM_PANTHOR_GROUP_STATE_FATAL_FAULT);
	T_ASSERT_EQ_INT(fatal, 1);
	st_fini(&s);
}

/* An endless loop: r0 = 1; loop: BRANCH back while r0 != 0. */
static uint32_t put_loop_stream(struct st *s, uint64_t off)
{
	uint64_t insn[] = {
		csa_move32(0, 1),
		csa_branch(HW_CS_COND_NEQUAL, 0, -1),
	};

	bo_write(&s->t, s->code, off, insn, sizeof(insn));
	return sizeof(insn);
}

T_TEST(timeout, "sched/timeout-marks-group-timedout")
{
	struct panthor_sync_op_args sig = { .flags = SYNCOBJ_T | SIGNAL };
	struct panthor_sched_stats st;
	uint32_t size, state;
	struct st s;

	st_init(&s, NULL);
	panthor_sched_set_job_timeout_ms(s.t.ptdev, 100);
	sig.handle = syncobj(&s.t);
	size = put_loop_stream(&s, 0);
	T_ASSERT_OK(submit1(&s, 0, VA_CODE, size, &sig, 1));
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, sig.handle, 0), -ETIMEDOUT);
	state = group_state(&s, NULL);
	T_ASSERT(state & DRM_PANTHOR_GROUP_STATE_TIMEDOUT);
	panthor_sched_get_stats(s.t.ptdev, &st);
	T_ASSERT_EQ_INT(st.timeouts, 1);
	T_ASSERT_ERRNO(submit1(&s, 1, VA_CODE, size, NULL, 0), EINVAL);
	st_fini(&s);
}

T_TEST(destroy, "sched/destroy-with-jobs-in-flight")
{
	struct panthor_sync_op_args sig1 = { .flags = SYNCOBJ_T | SIGNAL };
	struct panthor_sync_op_args sig2 = { .flags = SYNCOBJ_T | SIGNAL };
	struct drm_syncobj *o1, *o2;
	struct dma_fence *f1 = NULL, *f2 = NULL;
	uint32_t size;
	struct st s;

	st_init(&s, NULL);
	sig1.handle = syncobj(&s.t);
	sig2.handle = syncobj(&s.t);
	size = put_loop_stream(&s, 0);
	T_ASSERT_OK(submit1(&s, 0, VA_CODE, size, &sig1, 1));
	T_ASSERT_OK(submit1(&s, 0, VA_CODE, size, &sig2, 1));
	o1 = panthor_file_syncobj_lookup(s.t.pfile, sig1.handle);
	o2 = panthor_file_syncobj_lookup(s.t.pfile, sig2.handle);
	T_ASSERT_OK(drm_syncobj_find_fence(o1, 0, 0, 0, &f1));
	T_ASSERT_OK(drm_syncobj_find_fence(o2, 0, 0, 0, &f2));
	T_ASSERT_OK(panthor_group_destroy(s.t.pfile, s.group));
	T_ASSERT(dma_fence_is_signaled(f1));
	T_ASSERT(dma_fence_is_signaled(f2));
	T_ASSERT_EQ_INT(dma_fence_get_status(f1), -ECANCELED);
	T_ASSERT_EQ_INT(dma_fence_get_status(f2), -ECANCELED);
	T_ASSERT_ERRNO(panthor_group_destroy(s.t.pfile, s.group), EINVAL);
	T_ASSERT_ERRNO(submit1(&s, 0, VA_CODE, size, NULL, 0), EINVAL);
	dma_fence_put(f1);
	dma_fence_put(f2);
	drm_syncobj_put(o1);
	drm_syncobj_put(o2);
	st_fini(&s);
}

/* Trace events, strings copied (the tracer may run in no-allocation sections: no u_alloc). */
static struct {
	pthread_mutex_t lock;
	unsigned int n;
	struct {
		char track[16];
		char name[16];
		char phase;
		unsigned int nargs;
		const char *arg_names[4];	/* string literals */
		int64_t args[4];
	} ev[128];
} trec = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void trec_event(void *cookie, const struct u_trace_event *ev)
{
	if (strcmp(ev->category, "gpu"))
		return;
	pthread_mutex_lock(&trec.lock);
	if (trec.n < ARRAY_SIZE(trec.ev)) {
		unsigned int k = trec.n++;

		snprintf(trec.ev[k].track, sizeof(trec.ev[k].track), "%s", ev->track);
		snprintf(trec.ev[k].name, sizeof(trec.ev[k].name), "%s", ev->name);
		trec.ev[k].phase = ev->phase;
		trec.ev[k].nargs = ev->nargs;
		for (unsigned int i = 0; i < ev->nargs; i++) {
			trec.ev[k].arg_names[i] = ev->arg_names[i];
			trec.ev[k].args[i] = ev->args[i];
		}
	}
	pthread_mutex_unlock(&trec.lock);
}

static const struct u_tracer_ops trec_ops = { .event = trec_event };

/* Return: the index of the first event @name/@phase (on @track unless NULL) from @from, or -1. */
static int trec_find(const char *track, const char *name, char phase, int from)
{
	for (unsigned int i = (unsigned int)from; i < trec.n; i++)
		if ((!track || !strcmp(trec.ev[i].track, track)) && !strcmp(trec.ev[i].name, name) &&
		    trec.ev[i].phase == phase)
			return (int)i;
	return -1;
}

static int64_t trec_arg(int i, const char *name)
{
	T_ASSERT_MSG(i >= 0, "event not recorded");
	for (unsigned int k = 0; k < trec.ev[i].nargs; k++)
		if (!strcmp(trec.ev[i].arg_names[k], name))
			return trec.ev[i].args[k];
	t_fail(__FILE__, __LINE__, "%s on %s has no argument %s", trec.ev[i].name,
	       trec.ev[i].track, name);
	return 0;
}

/*
 * A job is a "job" span on the track of the hardware queue slot it ran on,
 * with the ids only the driver knows, around the model's "stream" run; a
 * job that faults shows the MMU fault on the same track and its error.
 */
T_TEST(trace, "sched/trace/job-span-on-its-slot-track")
{
	struct panthor_sync_op_args sig = { .flags = SYNCOBJ_T | SIGNAL };
	int jb, sb, se, je, fb, fi, fe;
	uint64_t bad[] = {
		csa_move48(0, 0x7f0000000ull),	/* nothing mapped there */
		csa_move32(2, 1),
		csa_store(2, 0, 1, 0),
	};
	struct panthor_vm *vm;
	uint32_t size;
	struct st s;

	st_init(&s, NULL);
	vm = pt_vm(&s.t, s.vm);
	sig.handle = syncobj(&s.t);
	size = put_store_stream(&s, 0, 0x40, 0x1234);
	bo_write(&s.t, s.code, 0x100, bad, sizeof(bad));
	trec.n = 0;
	u_trace_attach(&trec_ops, NULL);
	T_ASSERT_OK(submit1(&s, 1, VA_CODE, size, &sig, 1));
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, sig.handle, 0), 1);
	T_ASSERT_OK(submit1(&s, 0, VA_CODE + 0x100, sizeof(bad), &sig, 1));
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, sig.handle, 0), -EINVAL);
	u_trace_attach(NULL, NULL);

	jb = trec_find(NULL, "job", 'B', 0);
	T_ASSERT_MSG(jb >= 0 && !strncmp(trec.ev[jb].track, "gpu-cs", 6),
		     "no job span on a gpu-csN track");
	T_ASSERT_EQ_U64(trec_arg(jb, "vm"), panthor_vm_id(vm));
	T_ASSERT_EQ_U64(trec_arg(jb, "group"), s.group);
	T_ASSERT_EQ_U64(trec_arg(jb, "queue"), 1);
	T_ASSERT_EQ_U64(trec_arg(jb, "seqno"), 1);
	sb = trec_find(trec.ev[jb].track, "stream", 'B', jb);
	se = trec_find(trec.ev[jb].track, "stream", 'E', jb);
	je = trec_find(trec.ev[jb].track, "job", 'E', jb);
	T_ASSERT_MSG(jb < sb && sb < se && se < je, "job %d, stream %d..%d, job end %d", jb, sb,
		     se, je);
	T_ASSERT_EQ_U64(trec_arg(sb, "base"), VA_CODE);
	T_ASSERT_EQ_U64(trec_arg(sb, "size"), size);
	T_ASSERT_EQ_INT(trec_arg(se, "status"), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_INT(trec_arg(se, "accesses"), 4);		/* 3 fetches, 1 store */
	T_ASSERT_EQ_INT(trec_arg(je, "ret"), 0);

	/* The second job: queue 0, its own seqno, the fault on its slot's track. */
	fb = trec_find(NULL, "job", 'B', je + 1);
	T_ASSERT_MSG(fb > je, "no second job span");
	T_ASSERT_EQ_U64(trec_arg(fb, "queue"), 0);
	T_ASSERT_EQ_U64(trec_arg(fb, "seqno"), 1);
	fi = trec_find(trec.ev[fb].track, "fault", 'i', fb);
	fe = trec_find(trec.ev[fb].track, "job", 'E', fb);
	T_ASSERT_MSG(fb < fi && fi < fe, "job %d, fault %d, job end %d", fb, fi, fe);
	T_ASSERT_EQ_U64(trec_arg(fi, "va"), 0x7f0000000ull);
	T_ASSERT_EQ_INT(trec_arg(fe, "ret"), -EINVAL);
	panthor_vm_put(vm);
	pt_fini_ex(&s.t, true);
}

T_TEST(resv, "sched/job-fence-in-vm-resv-bookkeep")
{
	struct panthor_vm *v;
	struct dma_fence *f = NULL;
	struct dma_resv_iter it;
	uint32_t size;
	bool found;
	struct st s;

	st_init(&s, NULL);
	size = put_loop_stream(&s, 0);
	T_ASSERT_OK(submit1(&s, 0, VA_CODE, size, NULL, 0));
	v = pt_vm(&s.t, s.vm);
	/* The running job's fence keeps the VM resv (and the private BOs') busy. */
	T_ASSERT(!dma_resv_test_signaled(panthor_vm_resv(v), DMA_RESV_USAGE_BOOKKEEP));
	T_ASSERT(dma_resv_test_signaled(panthor_vm_resv(v), DMA_RESV_USAGE_READ));
	found = false;
	dma_resv_iter_begin(&it, panthor_vm_resv(v), DMA_RESV_USAGE_BOOKKEEP);
	for (f = dma_resv_iter_first_unlocked(&it); f; f = dma_resv_iter_next_unlocked(&it))
		found |= !strcmp(dma_fence_timeline_name(f), "queue");
	dma_resv_iter_end(&it);
	T_ASSERT(found);
	/* The shared data BO's resv too (an external object of the VM). */
	{
		struct panthor_gem_object *bo = pt_bo(&s.t, s.data);

		T_ASSERT(!dma_resv_test_signaled(panthor_gem_resv(bo), DMA_RESV_USAGE_BOOKKEEP));
		panthor_gem_put(bo);
	}
	T_ASSERT_OK(panthor_group_destroy(s.t.pfile, s.group));
	T_ASSERT(dma_resv_test_signaled(panthor_vm_resv(v), DMA_RESV_USAGE_BOOKKEEP));
	panthor_vm_put(v);
	st_fini(&s);
}

T_TEST(reset, "sched/reset-abandons-stream-group-innocent")
{
	struct pt_config cfg = { .timeout_us = 10000 };
	struct panthor_sync_op_args sig = { .flags = SYNCOBJ_T | SIGNAL };
	struct hw_queue_stats qs = { 0 };
	uint32_t size, state, bo;
	struct st s;

	st_init(&s, &cfg);
	sig.handle = syncobj(&s.t);
	size = put_loop_stream(&s, 0);
	T_ASSERT_OK(submit1(&s, 0, VA_CODE, size, &sig, 1));
	while (!qs.runs)
		T_ASSERT_OK(hw_queue_stats(s.t.ptdev->hw, 0, &qs));
	/* A map whose cache flush never completes takes the reset path. */
	bo = pt_bo_create(&s.t, 4096, 0);
	hw_knob_flush_never_completes(s.t.ptdev->hw, true);
	T_ASSERT_ERRNO(pt_map(&s.t, s.vm, bo, 0, 0x800000, 4096), ETIMEDOUT);
	T_ASSERT_EQ_INT(panthor_device_reset_count(s.t.ptdev), 1);
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, sig.handle, 0), -ECANCELED);
	state = group_state(&s, NULL);
	T_ASSERT(state & DRM_PANTHOR_GROUP_STATE_INNOCENT);
	T_ASSERT(!(state & DRM_PANTHOR_GROUP_STATE_TIMEDOUT));
	T_ASSERT_ERRNO(submit1(&s, 1, VA_CODE, size, NULL, 0), EINVAL);
	pt_fini_ex(&s.t, true);
}

static bool evicted(struct pt *t, uint32_t h)
{
	struct panthor_gem_object *bo = pt_bo(t, h);
	bool ev = panthor_gem_is_evicted(bo);

	panthor_gem_put(bo);
	return ev;
}

T_TEST(shrink, "sched/job-fence-blocks-eviction-until-done-then-validate-restores")
{
	struct pt_config cfg = { .memory = 64 * MiB, .swap = 64 * MiB };
	struct panthor_sync_op_args sig = { .flags = SYNCOBJ_T | SIGNAL };
	uint32_t zero = 0, size2;
	struct st s;
	uint64_t release[] = {
		csa_move48(0, VA_DATA + 0x1000),
		csa_move32(2, 1),
		csa_sync_set32(0, 2),
	};
	uint64_t insn[] = {
		csa_move48(0, VA_DATA + 0x1000),
		csa_move32(2, 0),
		csa_sync_wait32(HW_CS_COND_GREATER, 0, 2),	/* until the CPU says go */
		csa_move48(4, VA_DATA + 0x2000),
		csa_move32(6, 0x55),
		csa_store(6, 4, 1, 0),
	};

	st_init(&s, &cfg);
	pt_bo_fill(&s.t, s.data, 7);
	bo_write(&s.t, s.data, 0x1000, &zero, 4);
	bo_write(&s.t, s.code, 0, insn, sizeof(insn));
	bo_write(&s.t, s.code, 0x200, release, sizeof(release));
	size2 = put_store_stream(&s, 0x100, 0x2008, 0x66);
	sig.handle = syncobj(&s.t);
	T_ASSERT_OK(submit1(&s, 0, VA_CODE, sizeof(insn), &sig, 1));

	/* The job runs (blocked in its SYNC_WAIT): its fence keeps both BOs in. */
	panthor_gem_shrink(s.t.ptdev, 1 << 20, true);
	T_ASSERT(!evicted(&s.t, s.data));
	T_ASSERT(!evicted(&s.t, s.code));
	/* Another queue releases the SYNC_WAIT (an atomic store, as the GPU does). */
	T_ASSERT_OK(submit1(&s, 1, VA_CODE + 0x200, sizeof(release), NULL, 0));
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, sig.handle, 0), 1);
	T_ASSERT_OK(panthor_group_wait_idle(s.t.pfile, s.group));
	T_ASSERT_EQ_U64(bo_read64(&s.t, s.data, 0x2000) & 0xffffffffu, 0x55ull);

	/* Done: now they go to swap. */
	T_ASSERT_GT_INT(panthor_gem_shrink(s.t.ptdev, 1 << 20, true), 0);
	T_ASSERT(evicted(&s.t, s.data));
	T_ASSERT(evicted(&s.t, s.code));

	/* The next job restores them (validate) before it runs. */
	T_ASSERT_OK(submit1(&s, 1, VA_CODE + 0x100, size2, &sig, 1));
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, sig.handle, 0), 1);
	T_ASSERT(!evicted(&s.t, s.data));
	T_ASSERT_EQ_U64(bo_read64(&s.t, s.data, 0x2008) & 0xffffffffu, 0x66ull);
	T_ASSERT_EQ_U64(bo_read64(&s.t, s.data, 0x3000), pt_word(7, 0x3000));
	T_ASSERT_EQ_U64(bo_read64(&s.t, s.data, 0x2000) & 0xffffffffu, 0x55ull);
	pt_validate(&s.t, s.vm);
	st_fini(&s);
}

static const char *test_fence_name(struct dma_fence *f)
{
	(void)f;
	return "test";
}

static const struct dma_fence_ops test_fence_ops = {
	.get_driver_name = test_fence_name,
	.get_timeline_name = test_fence_name,
};

T_TEST(shrink_queued, "sched/queued-job-fence-blocks-eviction")
{
	struct pt_config cfg = { .memory = 64 * MiB, .swap = 64 * MiB };
	struct panthor_sync_op_args syncs[2] = {
		{ .flags = SYNCOBJ_T }, { .flags = SYNCOBJ_T | SIGNAL },
	};
	struct drm_syncobj *dep;
	struct dma_fence *f;
	uint32_t size;
	struct st s;

	st_init(&s, &cfg);
	pt_bo_fill(&s.t, s.data, 9);
	size = put_store_stream(&s, 0, 0x10, 0x77);
	syncs[0].handle = syncobj(&s.t);
	syncs[1].handle = syncobj(&s.t);
	f = u_malloc(sizeof(*f));
	T_ASSERT_NOT_NULL(f);
	dma_fence_init(f, &test_fence_ops, dma_fence_context_alloc(1), 1);
	dep = panthor_file_syncobj_lookup(s.t.pfile, syncs[0].handle);
	drm_syncobj_replace_fence(dep, f);
	drm_syncobj_put(dep);

	/* Queued behind an unsignalled dependency: not started, but its fence is in the resvs. */
	T_ASSERT_OK(submit1(&s, 0, VA_CODE, size, syncs, 2));
	panthor_gem_shrink(s.t.ptdev, 1 << 20, true);
	T_ASSERT(!evicted(&s.t, s.data));
	T_ASSERT(!evicted(&s.t, s.code));
	dma_fence_signal(f);
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, syncs[1].handle, 0), 1);
	T_ASSERT_EQ_U64(bo_read64(&s.t, s.data, 0x10) & 0xffffffffu, 0x77ull);
	T_ASSERT_GT_INT(panthor_gem_shrink(s.t.ptdev, 1 << 20, true), 0);
	T_ASSERT(evicted(&s.t, s.data));
	dma_fence_put(f);
	st_fini(&s);
}

static void group_args_default(struct pt *t, uint32_t vm, struct drm_panthor_group_create *c,
			       struct drm_panthor_queue_create *q)
{
	memset(q, 0, sizeof(*q));
	q->ringbuf_size = 4096;
	memset(c, 0, sizeof(*c));
	c->queues.count = 1;
	c->compute_core_mask = t->ptdev->gpu_info.shader_present;
	c->fragment_core_mask = t->ptdev->gpu_info.shader_present;
	c->tiler_core_mask = t->ptdev->gpu_info.tiler_present;
	c->vm_id = vm;
}

T_TEST(create_errno, "sched/group-create-errno-table")
{
	struct drm_panthor_group_create c;
	struct drm_panthor_queue_create q[33];
	struct pt t;
	uint32_t vm, h, h2;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	memset(q, 0, sizeof(q));
	for (int i = 0; i < 33; i++)
		q[i].ringbuf_size = 4096;

#define EXPECT(errno_, ...) do {                                                  \
		group_args_default(&t, vm, &c, &q[0]);                             \
		__VA_ARGS__;                                                       \
		T_ASSERT_ERRNO(panthor_group_create(t.pfile, &c, q, false, &h), errno_); \
	} while (0)

	EXPECT(EINVAL, c.queues.count = 0);
	EXPECT(EINVAL, c.queues.count = 33);
	EXPECT(EINVAL, c.priority = 4);
	EXPECT(EACCES, c.priority = PANTHOR_GROUP_PRIORITY_HIGH);
	EXPECT(EACCES, c.priority = PANTHOR_GROUP_PRIORITY_REALTIME);
	EXPECT(EINVAL, c.pad = 1);
	EXPECT(EINVAL, c.compute_core_mask |= 1ull << 63);
	EXPECT(EINVAL, c.fragment_core_mask = 0; c.max_fragment_cores = 1);
	EXPECT(EINVAL, c.tiler_core_mask = ~0ull);
	EXPECT(EINVAL, c.max_compute_cores = 65);
	EXPECT(EINVAL, c.vm_id = 0);
	EXPECT(EINVAL, c.vm_id = 7);
	EXPECT(EINVAL, q[0].pad[1] = 1);
	EXPECT(EINVAL, q[0].ringbuf_size = 2048);
	EXPECT(EINVAL, q[0].ringbuf_size = 128 << 10);
	EXPECT(EINVAL, q[0].ringbuf_size = 12288);
	EXPECT(EINVAL, q[0].priority = 16);
#undef EXPECT
	/* Each queue is checked. */
	group_args_default(&t, vm, &c, &q[0]);
	c.queues.count = 3;
	q[2].ringbuf_size = 100;
	T_ASSERT_ERRNO(panthor_group_create(t.pfile, &c, q, false, &h), EINVAL);
	q[2].ringbuf_size = 65536;
	T_ASSERT_OK(panthor_group_create(t.pfile, &c, q, false, &h));
	T_ASSERT_EQ_INT(h, 1);
	/* HIGH is fine for a privileged caller; handles are distinct. */
	c.priority = PANTHOR_GROUP_PRIORITY_HIGH;
	T_ASSERT_OK(panthor_group_create(t.pfile, &c, q, true, &h2));
	T_ASSERT_NE_INT(h, h2);
	{
		uint32_t state = 7, fq = 7;

		T_ASSERT_OK(panthor_group_get_state(t.pfile, h2, &state, &fq));
		T_ASSERT_EQ_INT(state, 0);
		T_ASSERT_EQ_INT(fq, 0);
		T_ASSERT_ERRNO(panthor_group_get_state(t.pfile, 99, &state, &fq), EINVAL);
		T_ASSERT_ERRNO(panthor_group_get_state(t.pfile, 0, &state, &fq), EINVAL);
	}
	T_ASSERT_OK(panthor_group_destroy(t.pfile, h));
	T_ASSERT_ERRNO(panthor_group_destroy(t.pfile, h), EINVAL);
	T_ASSERT_ERRNO(panthor_group_destroy(t.pfile, 0), EINVAL);
	T_ASSERT_ERRNO(panthor_group_destroy(t.pfile, 129), EINVAL);
	/* The VM outlives its destruction while a group uses it. */
	T_ASSERT_OK(panthor_vm_pool_destroy_vm(&t.pfile->vms, vm));
	T_ASSERT_OK(panthor_group_destroy(t.pfile, h2));
	pt_fini(&t);
}

T_TEST(create_limit, "sched/128-groups-per-file")
{
	struct drm_panthor_group_create c;
	struct drm_panthor_queue_create q;
	struct pt t;
	uint32_t vm, h;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	group_args_default(&t, vm, &c, &q);
	for (int i = 0; i < PANTHOR_MAX_GROUPS_PER_FILE; i++)
		T_ASSERT_OK(panthor_group_create(t.pfile, &c, &q, false, &h));
	T_ASSERT_ERRNO(panthor_group_create(t.pfile, &c, &q, false, &h), EBUSY);
	T_ASSERT_OK(panthor_group_destroy(t.pfile, 77));
	T_ASSERT_OK(panthor_group_create(t.pfile, &c, &q, false, &h));
	T_ASSERT_EQ_INT(h, 77);
	pt_fini(&t);	/* file close destroys the rest */
}

T_TEST(submit_errno, "sched/group-submit-errno-table")
{
	struct panthor_sync_op_args sy;
	struct panthor_queue_submit_args j;
	uint32_t size, h;
	struct st s;

	st_init(&s, NULL);
	size = put_store_stream(&s, 0, 0, 1);
	h = syncobj(&s.t);

#define EXPECT(errno_, ...) do {                                                  \
		memset(&j, 0, sizeof(j));                                          \
		j.stream_addr = VA_CODE;                                           \
		j.stream_size = size;                                              \
		memset(&sy, 0, sizeof(sy));                                        \
		sy.flags = SYNCOBJ_T | SIGNAL;                                     \
		sy.handle = h;                                                     \
		j.syncs = &sy;                                                     \
		j.syncs_count = 1;                                                 \
		__VA_ARGS__;                                                       \
		T_ASSERT_ERRNO(panthor_group_submit(s.t.pfile, s.group, &j, 1), errno_); \
	} while (0)

	EXPECT(EINVAL, j.pad = 1);
	EXPECT(EINVAL, j.stream_addr = 0);
	EXPECT(EINVAL, j.stream_size = 0);
	EXPECT(EINVAL, j.stream_addr = VA_CODE + 8);
	EXPECT(EINVAL, j.stream_size = 12);
	EXPECT(EINVAL, j.latest_flush = 1u << 24);
	EXPECT(EINVAL, j.queue_index = 2);
	EXPECT(EINVAL, sy.flags |= 0x100);
	EXPECT(EINVAL, sy.flags = 2 | SIGNAL);
	EXPECT(EINVAL, sy.timeline_value = 1);
	EXPECT(EINVAL, sy.handle = 999);
	EXPECT(ENOENT, sy.flags = SYNCOBJ_T; sy.handle = 999);
	/* A binary WAIT on a syncobj that has no fence. */
	EXPECT(EINVAL, sy.flags = SYNCOBJ_T);
	/* Bit 31 of latest_flush is allowed; an empty job is a sync point. */
	EXPECT(0, j.latest_flush = 1u << 31);
	EXPECT(0, j.stream_addr = 0; j.stream_size = 0);
#undef EXPECT
	T_ASSERT_EQ_INT(wait_syncobj(&s.t, h, 0), 1);
	T_ASSERT_ERRNO(panthor_group_submit(s.t.pfile, 55, &j, 1), EINVAL);
	T_ASSERT_OK(panthor_group_submit(s.t.pfile, 55, &j, 0));
	T_ASSERT_OK(panthor_group_wait_idle(s.t.pfile, s.group));
	st_fini(&s);
}

/* ---- allocation failures ----------------------------------------------------------- */

struct inject {
	struct st s;
	uint32_t made;
	struct panthor_sync_op_args syncs[3];
	uint32_t size;
};

static long inject_frames(void *arg)
{
	struct inject *c = arg;

	return pt_frames(&c->s.t);
}

static void inject_check(void *arg)
{
	struct inject *c = arg;

	pt_validate(&c->s.t, c->s.vm);
	pt_expect_no_violation(&c->s.t);
}

static int group_create_run(void *arg)
{
	struct inject *c = arg;
	struct drm_panthor_queue_create q[3];
	struct drm_panthor_group_create gc;

	group_args_default(&c->s.t, c->s.vm, &gc, &q[0]);
	q[1] = q[2] = q[0];
	gc.queues.count = 3;
	return panthor_group_create(c->s.t.pfile, &gc, q, false, &c->made);
}

static void group_create_undo(void *arg)
{
	struct inject *c = arg;

	T_ASSERT_OK(panthor_group_destroy(c->s.t.pfile, c->made));
}

T_TEST(inject_create, "sched/inject/group-create")
{
	const struct t_fault_loop_ops ops = {
		.run = group_create_run, .undo = group_create_undo, .check = inject_check,
		.resources = inject_frames,
	};
	struct inject c = { 0 };

	st_init(&c.s, NULL);
	T_ASSERT(t_fault_loop(&ops, &c, false) > 0);
	T_ASSERT(t_fault_loop(&ops, &c, true) > 0);
	st_fini(&c.s);
}

/* Two jobs: a timeline WAIT on a point the first SIGNALs, binary and timeline signals. */
static int group_submit_run(void *arg)
{
	struct inject *c = arg;
	struct panthor_queue_submit_args j[2] = {
		{ .queue_index = 0, .stream_addr = VA_CODE, .stream_size = c->size,
		  .syncs = &c->syncs[0], .syncs_count = 1 },
		{ .queue_index = 1, .stream_addr = VA_CODE, .stream_size = c->size,
		  .syncs = &c->syncs[1], .syncs_count = 2 },
	};

	c->syncs[0].timeline_value++;
	c->syncs[1].timeline_value = c->syncs[0].timeline_value;
	return panthor_group_submit(c->s.t.pfile, c->s.group, j, 2);
}

static void group_submit_undo(void *arg)
{
	struct inject *c = arg;

	T_ASSERT_OK(panthor_group_wait_idle(c->s.t.pfile, c->s.group));
	/* A timeline keeps its points: start again from a fresh syncobj. */
	T_ASSERT_OK(panthor_file_syncobj_destroy(c->s.t.pfile, c->syncs[0].handle));
	c->syncs[0].handle = c->syncs[1].handle = syncobj(&c->s.t);
	c->syncs[0].timeline_value = 0;
}

T_TEST(inject_submit, "sched/inject/group-submit")
{
	const struct t_fault_loop_ops ops = {
		.run = group_submit_run, .undo = group_submit_undo, .check = inject_check,
		.resources = inject_frames,
	};
	struct inject c = { 0 };
	uint32_t tl, bin;

	st_init(&c.s, NULL);
	c.size = put_store_stream(&c.s, 0, 0, 42);
	tl = syncobj(&c.s.t);
	bin = syncobj(&c.s.t);
	c.syncs[0] = (struct panthor_sync_op_args){ .flags = TIMELINE_T | SIGNAL, .handle = tl };
	c.syncs[1] = (struct panthor_sync_op_args){ .flags = TIMELINE_T, .handle = tl };
	c.syncs[2] = (struct panthor_sync_op_args){ .flags = SYNCOBJ_T | SIGNAL, .handle = bin };
	/* A first round, so that the syncobjs and queues already hold a fence each. */
	T_ASSERT_OK(group_submit_run(&c));
	group_submit_undo(&c);
	T_ASSERT(t_fault_loop(&ops, &c, false) > 0);
	T_ASSERT(t_fault_loop(&ops, &c, true) > 0);
	T_ASSERT_EQ_INT(wait_syncobj(&c.s.t, bin, 0), 1);
	st_fini(&c.s);
}

/* ---- concurrency ---------------------------------------------------------------- */

struct worker {
	struct st *s;
	uint32_t group;
	uint32_t index;
	int failures;
};

static void *submit_worker(void *arg)
{
	struct worker *w = arg;
	struct st *s = w->s;

	for (uint32_t n = 0; n < 20; n++) {
		uint64_t off = 0x1000 + (uint64_t)w->index * 0x400 + (n % 4) * 0x100;
		uint64_t insn[] = {
			csa_move48(0, VA_DATA + w->index * 0x100 + (n % 4) * 8),
			csa_move32(2, w->index << 16 | n),
			csa_store(2, 0, 1, 0),
		};
		struct panthor_queue_submit_args j = {
			.queue_index = n % 2, .stream_addr = VA_CODE + off,
			.stream_size = sizeof(insn),
		};
		struct panthor_gem_object *bo;

		/* Stream slots are reused every 4 jobs: wait for the last round first. */
		if (n % 4 == 0 && panthor_group_wait_idle(s->t.pfile, w->group))
			w->failures++;
		bo = pt_bo(&s->t, s->code);
		if (panthor_gem_cpu_access(bo, off, insn, sizeof(insn), true))
			w->failures++;
		panthor_gem_put(bo);
		if (panthor_group_submit(s->t.pfile, w->group, &j, 1))
			w->failures++;
	}
	if (panthor_group_wait_idle(s->t.pfile, w->group))
		w->failures++;
	return NULL;
}

T_TEST(threads, "sched/several-groups-several-threads")
{
	struct worker w[4];
	pthread_t th[4];
	struct panthor_sched_stats st;
	struct st s;

	st_init(&s, NULL);
	for (uint32_t i = 0; i < 4; i++) {
		w[i] = (struct worker){ .s = &s, .index = i };
		w[i].group = i ? group_create_n(&s.t, s.vm, 2) : s.group;
		T_ASSERT_OK(pthread_create(&th[i], NULL, submit_worker, &w[i]));
	}
	for (uint32_t i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		T_ASSERT_EQ_INT(w[i].failures, 0);
	}
	for (uint32_t i = 0; i < 4; i++)
		for (uint32_t k = 0; k < 4; k++) {
			uint64_t v = bo_read64(&s.t, s.data, i * 0x100 + k * 8) & 0xffffffffu;

			T_ASSERT_EQ_U64(v >> 16, i);
			T_ASSERT_EQ_U64(v & 0xffff, 16 + k);
		}
	panthor_sched_get_stats(s.t.ptdev, &st);
	T_ASSERT_EQ_INT(st.jobs_done, 80);
	T_ASSERT_EQ_INT(st.jobs_failed, 0);
	st_fini(&s);
}

/* ---- tiler heaps ------------------------------------------------------------------ */

T_TEST(heap, "sched/tiler-heap-chunks-in-kernel-range")
{
	struct pt t;
	struct panthor_vm *v;
	uint32_t vm, h, h2;
	uint64_t ctx, first, ctx2, first2, hdr, next, kstart;
	long frames0, frames1;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	v = pt_vm(&t, vm);
	kstart = panthor_vm_kernel_va_start(v);
	frames0 = pt_frames(&t);
	T_ASSERT_OK(panthor_tiler_heap_create(t.pfile, vm, 3, 256 << 10, 10, 4, &h, &ctx, &first));
	T_ASSERT_EQ_INT(h >> 16, vm);
	T_ASSERT_GE_INT(ctx, kstart);
	T_ASSERT_GE_INT(first, kstart);
	/* The chunks form a list: each header links to the one allocated before it. */
	T_ASSERT_OK(pt_read64(&t, vm, first, &hdr));
	T_ASSERT_EQ_U64(hdr & 0xfff, (256 << 10) >> 12);
	next = hdr & ~0xfffull;
	T_ASSERT_GE_INT(next, kstart);
	T_ASSERT_OK(pt_read64(&t, vm, next, &hdr));
	T_ASSERT_NE_U64(hdr, 0);
	T_ASSERT_OK(pt_read64(&t, vm, hdr & ~0xfffull, &hdr));
	T_ASSERT_EQ_U64(hdr, 0);	/* the oldest chunk ends the list */
	T_ASSERT_OK(pt_read64(&t, vm, ctx, &hdr));
	T_ASSERT_EQ_U64(hdr, 0);	/* a zeroed context */
	frames1 = pt_frames(&t);
	T_ASSERT_GE_INT(frames1 - frames0, 3 * 64);
	T_ASSERT_OK(panthor_tiler_heap_create(t.pfile, vm, 1, 128 << 10, 1, 0, &h2, &ctx2,
					      &first2));
	T_ASSERT_NE_INT(h, h2);
	T_ASSERT_NE_U64(ctx, ctx2);
	T_ASSERT_OK(panthor_tiler_heap_destroy(t.pfile, h));
	T_ASSERT_ERRNO(panthor_tiler_heap_destroy(t.pfile, h), EINVAL);
	T_ASSERT_LT_INT(pt_frames(&t), frames1);
	/* VM_DESTROY takes the remaining heap with it. */
	panthor_vm_put(v);
	T_ASSERT_OK(panthor_vm_pool_destroy_vm(&t.pfile->vms, vm));
	T_ASSERT_ERRNO(panthor_tiler_heap_destroy(t.pfile, h2), EINVAL);
	pt_fini(&t);
}

T_TEST(heap_errno, "sched/tiler-heap-errno-table")
{
	struct pt t;
	uint32_t vm, vm2, h;
	uint64_t a, b;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	vm2 = pt_vm_create(&t);
	T_ASSERT_ERRNO(panthor_tiler_heap_create(t.pfile, 0, 1, 128 << 10, 1, 0, &h, &a, &b), EINVAL);
	T_ASSERT_ERRNO(panthor_tiler_heap_create(t.pfile, 9, 1, 128 << 10, 1, 0, &h, &a, &b), EINVAL);
	T_ASSERT_ERRNO(panthor_tiler_heap_create(t.pfile, vm, 0, 128 << 10, 1, 0, &h, &a, &b), EINVAL);
	T_ASSERT_ERRNO(panthor_tiler_heap_create(t.pfile, vm, 2, 128 << 10, 1, 0, &h, &a, &b), EINVAL);
	T_ASSERT_ERRNO(panthor_tiler_heap_create(t.pfile, vm, 1, 64 << 10, 1, 0, &h, &a, &b), EINVAL);
	T_ASSERT_ERRNO(panthor_tiler_heap_create(t.pfile, vm, 1, (128 << 10) + 512, 1, 0, &h, &a,
						 &b), EINVAL);
	T_ASSERT_ERRNO(panthor_tiler_heap_create(t.pfile, vm, 1, (8 << 20) + 4096, 1, 0, &h, &a,
						 &b), EINVAL);
	/* A VM that never had a heap has no pool. */
	T_ASSERT_ERRNO(panthor_tiler_heap_destroy(t.pfile, vm2 << 16), ENOENT);
	T_ASSERT_ERRNO(panthor_tiler_heap_destroy(t.pfile, 20 << 16), EINVAL);
	for (int i = 0; i < PANTHOR_MAX_HEAPS_PER_POOL; i++)
		T_ASSERT_OK(panthor_tiler_heap_create(t.pfile, vm, 1, 128 << 10, 1, 0, &h, &a, &b));
	T_ASSERT_ERRNO(panthor_tiler_heap_create(t.pfile, vm, 1, 128 << 10, 1, 0, &h, &a, &b), EBUSY);
	T_ASSERT_OK(panthor_tiler_heap_destroy(t.pfile, vm << 16 | 5));
	T_ASSERT_OK(panthor_tiler_heap_create(t.pfile, vm, 1, 128 << 10, 1, 0, &h, &a, &b));
	T_ASSERT_EQ_INT(h, vm << 16 | 5);
	T_ASSERT_ERRNO(panthor_tiler_heap_destroy(t.pfile, vm << 16 | 200), EINVAL);
	pt_fini(&t);	/* file close destroys the VMs and their heaps */
}
