// SPDX-License-Identifier: MIT
/*
 * The group ioctls in-process, through pantomime_ioctl() with the real
 * request numbers: a group submit whose stream stores a value the CPU reads
 * through its mmap, signalled through a syncobj; a timeline syncobj carried
 * from an asynchronous VM_BIND to GROUP_SUBMIT; the ioctl-level errno of
 * GROUP_CREATE / SUBMIT / DESTROY / GET_STATE.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include <drm.h>

#include "pantomime/pantomime.h"
#include "uapi/drm/panthor_drm.h"
#include "t_harness.h"

/* CS instruction words (Mesa's CSF genxml, v10): opcode in [63:56]. */
#define CS_MOVE48(d, imm) ((0x01ull << 56) | ((uint64_t)(d) << 48) | ((imm) & 0xffffffffffffull))
#define CS_MOVE32(r, imm) ((0x02ull << 56) | ((uint64_t)(r) << 48) | (uint32_t)(imm))
#define CS_STORE(base, addr, mask) \
	((0x15ull << 56) | ((uint64_t)(base) << 48) | ((uint64_t)(addr) << 40) | ((uint64_t)(mask) << 16))

/* FLUSH_CACHE2 clean+invalidate L2 and LSC, flush ID in r0. */
#define CS_FLUSH_CACHE2 ((0x24ull << 56) | 0x33)

#define VA_CODE (1ull << 20)
#define VA_DATA (2ull << 20)

/*
 * Set or clear CAP_SYS_NICE in this thread's effective set; Return: whether
 * it was effective before (nothing changes when it is not permitted).
 */
static bool set_cap_sys_nice(bool on)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	bool was;

	T_ASSERT_EQ_INT(syscall(SYS_capget, &hdr, d), 0);
	was = d[CAP_TO_INDEX(CAP_SYS_NICE)].effective & CAP_TO_MASK(CAP_SYS_NICE);
	if (!(d[CAP_TO_INDEX(CAP_SYS_NICE)].permitted & CAP_TO_MASK(CAP_SYS_NICE)))
		return was;
	if (on)
		d[CAP_TO_INDEX(CAP_SYS_NICE)].effective |= CAP_TO_MASK(CAP_SYS_NICE);
	else
		d[CAP_TO_INDEX(CAP_SYS_NICE)].effective &= ~CAP_TO_MASK(CAP_SYS_NICE);
	T_ASSERT_EQ_INT(syscall(SYS_capset, &hdr, d), 0);
	return was;
}

static struct pantomime_device *dev;
static struct pantomime_file *file;

static int ioc(unsigned long req, void *arg)
{
	return pantomime_ioctl(file, req, arg);
}

static void setup(void)
{
	struct pantomime_config cfg;

	pantomime_config_default(&cfg);
	cfg.memory_bytes = 64ull << 20;
	T_ASSERT_OK(pantomime_device_create(&cfg, &dev));
	T_ASSERT_OK(pantomime_file_open(dev, true, &file));
}

static void teardown(void)
{
	pantomime_file_close(file);
	pantomime_device_destroy(dev);
}

static uint32_t bo_create(uint64_t size)
{
	struct drm_panthor_bo_create c = { .size = size };

	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_BO_CREATE, &c));
	return c.handle;
}

static void *bo_mmap(uint32_t handle, size_t size)
{
	struct drm_panthor_bo_mmap_offset mo = { .handle = handle };
	void *out;

	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo));
	T_ASSERT_OK(pantomime_mmap(file, NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
				   mo.offset, &out));
	return out;
}

static void vm_bind(uint32_t vm, uint32_t flags, uint32_t bo, uint64_t va, uint64_t size,
		    struct drm_panthor_sync_op *syncs, uint32_t nsyncs)
{
	struct drm_panthor_vm_bind_op op = {
		.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, .bo_handle = bo, .va = va, .size = size,
		.syncs = { .stride = sizeof(*syncs), .count = nsyncs, .array = (uintptr_t)syncs },
	};
	struct drm_panthor_vm_bind b = {
		.vm_id = vm, .flags = flags,
		.ops = { .stride = sizeof(op), .count = 1, .array = (uintptr_t)&op },
	};

	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b));
}

static uint32_t group_create(uint32_t vm, uint32_t nqueues)
{
	struct drm_panthor_dev_query q = { .type = DRM_PANTHOR_DEV_QUERY_GPU_INFO };
	struct drm_panthor_gpu_info gi = { 0 };
	struct drm_panthor_queue_create qc[2] = { { .ringbuf_size = 4096 }, { .ringbuf_size = 4096 } };
	struct drm_panthor_group_create c = { 0 };

	q.size = sizeof(gi);
	q.pointer = (uintptr_t)&gi;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	c.queues.stride = sizeof(qc[0]);
	c.queues.count = nqueues;
	c.queues.array = (uintptr_t)qc;
	c.compute_core_mask = gi.shader_present;
	c.fragment_core_mask = gi.shader_present;
	c.tiler_core_mask = gi.tiler_present;
	c.max_compute_cores = 1;
	c.max_fragment_cores = 1;
	c.max_tiler_cores = 1;
	c.priority = PANTHOR_GROUP_PRIORITY_LOW;
	c.vm_id = vm;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_GROUP_CREATE, &c));
	T_ASSERT_NE_INT(c.group_handle, 0);
	return c.group_handle;
}

static int submit(uint32_t group, uint32_t queue, uint64_t addr, uint32_t size,
		  struct drm_panthor_sync_op *syncs, uint32_t nsyncs)
{
	struct drm_panthor_queue_submit qs = {
		.queue_index = queue, .stream_size = size, .stream_addr = addr,
		.syncs = { .stride = sizeof(*syncs), .count = nsyncs, .array = (uintptr_t)syncs },
	};
	struct drm_panthor_group_submit s = {
		.group_handle = group,
		.queue_submits = { .stride = sizeof(qs), .count = 1, .array = (uintptr_t)&qs },
	};

	return ioc(DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &s);
}

T_TEST(store, "uapi/sched/submit-stores-value-cpu-reads-mmap")
{
	struct drm_syncobj_create sc = { 0 };
	struct drm_syncobj_wait w = { 0 };
	struct drm_panthor_sync_op sig = { 0 };
	struct drm_panthor_group_get_state gs = { 0 };
	uint32_t vm, code, data, group;
	struct drm_panthor_vm_create vc = { 0 };
	uint64_t *cp;
	volatile uint32_t *dp;

	setup();
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_CREATE, &vc));
	vm = vc.id;
	code = bo_create(4096);
	data = bo_create(4096);
	vm_bind(vm, 0, code, VA_CODE, 4096, NULL, 0);
	vm_bind(vm, 0, data, VA_DATA, 4096, NULL, 0);
	cp = bo_mmap(code, 4096);
	dp = bo_mmap(data, 4096);
	cp[0] = CS_MOVE48(0, VA_DATA + 0x80);
	cp[1] = CS_MOVE32(4, 0xcafef00d);
	cp[2] = CS_STORE(4, 0, 1);
	group = group_create(vm, 1);
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_CREATE, &sc));
	sig.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ;
	sig.handle = sc.handle;
	T_ASSERT_OK(submit(group, 0, VA_CODE, 24, &sig, 1));
	w.handles = (uintptr_t)&sc.handle;
	w.count_handles = 1;
	w.timeout_nsec = INT64_MAX;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_WAIT, &w));
	T_ASSERT_EQ_INT(dp[0x80 / 4], 0xcafef00d);
	gs.group_handle = group;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &gs));
	T_ASSERT_EQ_INT(gs.state, 0);
	T_ASSERT_OK(pantomime_munmap(cp, 4096));
	T_ASSERT_OK(pantomime_munmap((void *)dp, 4096));
	teardown();
}

T_TEST(timeline, "uapi/sched/timeline-across-vm-bind-and-group-submit")
{
	struct drm_syncobj_create sc = { 0 };
	struct drm_syncobj_timeline_wait tw = { 0 };
	struct drm_panthor_sync_op bind_sig = { 0 }, job_syncs[2];
	struct drm_panthor_vm_create vc = { 0 };
	uint32_t vm, code, data, group;
	uint64_t point = 2, *cp;
	volatile uint32_t *dp;

	setup();
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_CREATE, &vc));
	vm = vc.id;
	code = bo_create(4096);
	data = bo_create(4096);
	cp = bo_mmap(code, 4096);
	dp = bo_mmap(data, 4096);
	cp[0] = CS_MOVE48(2, VA_DATA);
	cp[1] = CS_MOVE32(6, 77);
	cp[2] = CS_STORE(6, 2, 1);
	vm_bind(vm, 0, code, VA_CODE, 4096, NULL, 0);
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_CREATE, &sc));
	/* The data BO is mapped asynchronously; the bind signals point 1... */
	bind_sig.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ;
	bind_sig.handle = sc.handle;
	bind_sig.timeline_value = 1;
	vm_bind(vm, DRM_PANTHOR_VM_BIND_ASYNC, data, VA_DATA, 4096, &bind_sig, 1);
	/* ...which the job waits for before storing through the new mapping; it signals 2. */
	group = group_create(vm, 2);
	memset(job_syncs, 0, sizeof(job_syncs));
	job_syncs[0].flags = DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ;
	job_syncs[0].handle = sc.handle;
	job_syncs[0].timeline_value = 1;
	job_syncs[1] = bind_sig;
	job_syncs[1].timeline_value = 2;
	T_ASSERT_OK(submit(group, 1, VA_CODE, 24, job_syncs, 2));
	tw.handles = (uintptr_t)&sc.handle;
	tw.points = (uintptr_t)&point;
	tw.count_handles = 1;
	tw.timeout_nsec = INT64_MAX;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &tw));
	T_ASSERT_EQ_INT(dp[0], 77);
	T_ASSERT_OK(pantomime_munmap(cp, 4096));
	T_ASSERT_OK(pantomime_munmap((void *)dp, 4096));
	teardown();
}

T_TEST(errno_table, "uapi/sched/group-ioctl-errno")
{
	struct drm_panthor_vm_create vc = { 0 };
	struct drm_panthor_queue_create qc = { .ringbuf_size = 4096 };
	struct drm_panthor_group_create c = { 0 };
	struct drm_panthor_group_destroy d = { 0 };
	struct drm_panthor_group_get_state gs = { 0 };
	struct drm_panthor_group_submit s = { 0 };
	uint32_t group;
	bool had;

	setup();
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_CREATE, &vc));
	c.vm_id = vc.id;
	c.queues.array = (uintptr_t)&qc;
	c.queues.stride = sizeof(qc);
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_GROUP_CREATE, &c), EINVAL);	/* no queue */
	c.queues.count = 1;
	c.queues.stride = 4;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_GROUP_CREATE, &c), EINVAL);	/* stride */
	c.queues.stride = sizeof(qc);
	c.queues.array = 0xdead000000000ull;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_GROUP_CREATE, &c), EFAULT);
	c.queues.array = (uintptr_t)&qc;
	c.priority = PANTHOR_GROUP_PRIORITY_REALTIME;
	had = set_cap_sys_nice(false);
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_GROUP_CREATE, &c), EACCES);	/* a render file */
	c.priority = 4;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_GROUP_CREATE, &c), EINVAL);
	/* The DRM master (the first primary file) may. */
	{
		struct pantomime_file *primary;
		struct drm_panthor_vm_create pvc = { 0 };

		T_ASSERT_OK(pantomime_file_open(dev, false, &primary));
		T_ASSERT_OK(pantomime_ioctl(primary, DRM_IOCTL_PANTHOR_VM_CREATE, &pvc));
		c.vm_id = pvc.id;
		c.priority = PANTHOR_GROUP_PRIORITY_REALTIME;
		T_ASSERT_OK(pantomime_ioctl(primary, DRM_IOCTL_PANTHOR_GROUP_CREATE, &c));
		pantomime_file_close(primary);
		c.vm_id = vc.id;
	}
	set_cap_sys_nice(had);
	c.priority = 0;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_GROUP_CREATE, &c));
	group = c.group_handle;

	s.group_handle = group;
	s.pad = 1;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &s), EINVAL);
	s.pad = 0;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &s));	/* no job */
	T_ASSERT_ERRNO(submit(group, 0, VA_CODE + 4, 8, NULL, 0), EINVAL);
	/* A job is checked before its syncs are copied: a bad job wins over a bad pointer. */
	T_ASSERT_ERRNO(submit(group, 0, VA_CODE + 4, 8, (void *)0xdead000000000ull, 1), EINVAL);
	T_ASSERT_ERRNO(submit(group, 0, VA_CODE, 8, (void *)0xdead000000000ull, 1), EFAULT);
	T_ASSERT_ERRNO(submit(group + 1, 0, VA_CODE, 8, NULL, 0), EINVAL);

	gs.group_handle = group;
	gs.pad = 1;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &gs), EINVAL);
	gs.pad = 0;
	gs.group_handle = 42;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &gs), EINVAL);

	d.group_handle = group;
	d.pad = 1;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_GROUP_DESTROY, &d), EINVAL);
	d.pad = 0;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_GROUP_DESTROY, &d));
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_GROUP_DESTROY, &d), EINVAL);
	teardown();
}

T_TEST(flush_id, "uapi/sched/flush-id-page-is-live-and-read-only")
{
	struct drm_panthor_vm_create vc = { 0 };
	struct drm_syncobj_create sc = { 0 };
	struct drm_syncobj_wait w = { 0 };
	struct drm_panthor_sync_op sig = { 0 };
	volatile uint32_t *fid;
	uint32_t vm, code, group, before;
	uint64_t *cp;
	void *out;

	setup();
	T_ASSERT_ERRNO(pantomime_mmap(file, NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
				      DRM_PANTHOR_USER_MMIO_OFFSET, &out), EACCES);
	T_ASSERT_ERRNO(pantomime_mmap(file, NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED,
				      DRM_PANTHOR_USER_MMIO_OFFSET, &out), EACCES);
	T_ASSERT_OK(pantomime_mmap(file, NULL, 4096, PROT_READ, MAP_SHARED,
				   DRM_PANTHOR_USER_MMIO_OFFSET, &out));
	fid = out;
	before = fid[0];

	/* A stream that flushes the caches moves LATEST_FLUSH_ID: the page follows. */
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_CREATE, &vc));
	vm = vc.id;
	code = bo_create(4096);
	cp = bo_mmap(code, 4096);
	cp[0] = CS_FLUSH_CACHE2;
	cp[1] = CS_FLUSH_CACHE2;
	vm_bind(vm, 0, code, VA_CODE, 4096, NULL, 0);
	group = group_create(vm, 1);
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_CREATE, &sc));
	sig.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ;
	sig.handle = sc.handle;
	T_ASSERT_OK(submit(group, 0, VA_CODE, 16, &sig, 1));
	w.handles = (uintptr_t)&sc.handle;
	w.count_handles = 1;
	w.timeout_nsec = INT64_MAX;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_WAIT, &w));
	T_ASSERT_GE_INT(fid[0] - before, 2);
	T_ASSERT_OK(pantomime_munmap((void *)fid, 4096));
	T_ASSERT_OK(pantomime_munmap(cp, 4096));
	teardown();
}

T_TEST(tiler_heap, "uapi/sched/tiler-heap-create-destroy")
{
	struct drm_panthor_vm_create vc = { 0 };
	struct drm_panthor_tiler_heap_create c = { 0 };
	struct drm_panthor_tiler_heap_destroy d = { 0 };

	setup();
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_CREATE, &vc));
	c.vm_id = vc.id;
	c.initial_chunk_count = 2;
	c.chunk_size = 128 << 10;
	c.max_chunks = 8;
	c.target_in_flight = 2;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, &c));
	T_ASSERT_EQ_INT(c.handle >> 16, vc.id);
	T_ASSERT_GE_INT(c.tiler_heap_ctx_gpu_va, vc.user_va_range);
	T_ASSERT_GE_INT(c.first_heap_chunk_gpu_va, vc.user_va_range);
	c.chunk_size = 100;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, &c), EINVAL);
	d.handle = c.handle;
	d.pad = 1;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, &d), EINVAL);
	d.pad = 0;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, &d));
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, &d), EINVAL);
	teardown();
}

T_TEST(job_timeout_env, "uapi/sched/job-timeout-config")
{
	struct pantomime_config cfg;

	pantomime_config_default(&cfg);
	T_ASSERT_EQ_INT(cfg.job_timeout_ms, 0);
	setenv("PANTOMIME_JOB_TIMEOUT_MS", "250", 1);
	T_ASSERT_OK(pantomime_config_from_env(&cfg));
	T_ASSERT_EQ_INT(cfg.job_timeout_ms, 250);
	setenv("PANTOMIME_JOB_TIMEOUT_MS", "soon", 1);
	T_ASSERT_ERRNO(pantomime_config_from_env(&cfg), EINVAL);
	T_ASSERT_EQ_INT(cfg.job_timeout_ms, 250);
	unsetenv("PANTOMIME_JOB_TIMEOUT_MS");

	/* The GPU executors' nice value: 0..19, default 10. */
	T_ASSERT_EQ_INT(cfg.gpu_nice, 10);
	setenv("PANTOMIME_GPU_NICE", "3", 1);
	T_ASSERT_OK(pantomime_config_from_env(&cfg));
	T_ASSERT_EQ_INT(cfg.gpu_nice, 3);
	setenv("PANTOMIME_GPU_NICE", "20", 1);
	T_ASSERT_ERRNO(pantomime_config_from_env(&cfg), EINVAL);
	setenv("PANTOMIME_GPU_NICE", "-2", 1);
	T_ASSERT_ERRNO(pantomime_config_from_env(&cfg), EINVAL);
	T_ASSERT_EQ_INT(cfg.gpu_nice, 3);
	unsetenv("PANTOMIME_GPU_NICE");
	cfg.gpu_nice = 25;
	T_ASSERT_ERRNO(pantomime_device_create(&cfg, &dev), EINVAL);
	cfg.gpu_nice = 10;

	/* A device built with a 100 ms timeout stops an endless stream after it. */
	cfg.memory_bytes = 64ull << 20;
	cfg.job_timeout_ms = 100;
	T_ASSERT_OK(pantomime_device_create(&cfg, &dev));
	T_ASSERT_OK(pantomime_file_open(dev, true, &file));
	{
		struct drm_panthor_vm_create vc = { 0 };
		struct drm_syncobj_create sc = { 0 };
		struct drm_syncobj_wait w = { 0 };
		struct drm_panthor_sync_op sig = { 0 };
		struct drm_panthor_group_get_state gs = { 0 };
		uint32_t group, code;
		uint64_t *cp;

		T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_CREATE, &vc));
		code = bo_create(4096);
		cp = bo_mmap(code, 4096);
		cp[0] = CS_MOVE32(0, 1);
		/* BRANCH back to itself while r0 != 0. */
		cp[1] = (0x16ull << 56) | (0ull << 40) | (3ull << 28) | 0xffffu;
		vm_bind(vc.id, 0, code, VA_CODE, 4096, NULL, 0);
		group = group_create(vc.id, 1);
		T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_CREATE, &sc));
		sig.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ;
		sig.handle = sc.handle;
		T_ASSERT_OK(submit(group, 0, VA_CODE, 16, &sig, 1));
		w.handles = (uintptr_t)&sc.handle;
		w.count_handles = 1;
		w.timeout_nsec = INT64_MAX;
		T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_WAIT, &w));
		gs.group_handle = group;
		T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &gs));
		T_ASSERT_EQ_INT(gs.state, DRM_PANTHOR_GROUP_STATE_TIMEDOUT);
		T_ASSERT_OK(pantomime_munmap(cp, 4096));
	}
	teardown();
}
