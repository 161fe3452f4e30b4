// SPDX-License-Identifier: MIT
/*
 * The ioctl layer in-process: pantomime_ioctl() with the real request
 * numbers, each implemented ioctl's success and main error paths with the
 * exact errno, and mmap of a BO and of the flush-ID page.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <drm.h>

#include "dma/sync_file.h"
#include "pantomime/pantomime.h"
#include "uapi/drm/panthor_drm.h"
#include "t_harness.h"

#define WILD ((uint64_t)0xdead000000000ull)

static struct pantomime_device *dev;
static struct pantomime_file *file;

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
	file = NULL;
	dev = NULL;
}

static int ioc(unsigned long req, void *arg)
{
	return pantomime_ioctl(file, req, arg);
}

static uint32_t bo_create(uint64_t size, uint32_t flags)
{
	struct drm_panthor_bo_create c = { .size = size, .flags = flags };

	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_BO_CREATE, &c));
	T_ASSERT_NE_INT(c.handle, 0);
	return c.handle;
}

static uint32_t vm_create(void)
{
	struct drm_panthor_vm_create c = { 0 };

	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_CREATE, &c));
	T_ASSERT_NE_INT(c.id, 0);
	return c.id;
}

T_TEST(config_env, "uapi/api/config-env")
{
	struct pantomime_config cfg;

	pantomime_config_default(&cfg);
	T_ASSERT_EQ_U64(cfg.memory_bytes, 1ull << 30);
	setenv("PANTOMIME_MEMORY", "512M", 1);
	setenv("PANTOMIME_CHECKER", "abort", 1);
	T_ASSERT_OK(pantomime_config_from_env(&cfg));
	T_ASSERT_EQ_U64(cfg.memory_bytes, 512ull << 20);
	T_ASSERT_EQ_INT(cfg.checker, PANTOMIME_CHECKER_ABORT);
	setenv("PANTOMIME_CHECKER", "sometimes", 1);
	T_ASSERT_ERRNO(pantomime_config_from_env(&cfg), EINVAL);
	T_ASSERT_EQ_INT(cfg.checker, PANTOMIME_CHECKER_ABORT);
	unsetenv("PANTOMIME_MEMORY");
	unsetenv("PANTOMIME_CHECKER");
}

T_TEST(version, "uapi/api/version")
{
	char name[4], date[32], desc[64];
	struct drm_version v = { 0 };

	setup();
	T_ASSERT_OK(ioc(DRM_IOCTL_VERSION, &v));
	T_ASSERT_EQ_INT(v.version_major, 1);
	T_ASSERT_EQ_INT(v.version_minor, 9);
	T_ASSERT_EQ_INT(v.name_len, 7);
	memset(name, 'x', sizeof(name));
	v.name = name;
	v.name_len = sizeof(name);
	v.date = date;
	v.date_len = sizeof(date);
	v.desc = desc;
	v.desc_len = sizeof(desc);
	T_ASSERT_OK(ioc(DRM_IOCTL_VERSION, &v));
	T_ASSERT_EQ_INT(v.name_len, 7);
	T_ASSERT(!memcmp(name, "pant", 4));
	v.name = (char *)(uintptr_t)WILD;
	v.name_len = 7;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_VERSION, &v), EFAULT);
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_VERSION, (void *)(uintptr_t)WILD), EFAULT);
	teardown();
}

T_TEST(caps, "uapi/api/caps")
{
	struct drm_get_cap c = { .capability = DRM_CAP_SYNCOBJ_TIMELINE };
	struct drm_set_client_cap sc = { .capability = DRM_CLIENT_CAP_STEREO_3D, .value = 1 };

	setup();
	T_ASSERT_OK(ioc(DRM_IOCTL_GET_CAP, &c));
	T_ASSERT_EQ_U64(c.value, 1);
	c.capability = DRM_CAP_SYNCOBJ;
	T_ASSERT_OK(ioc(DRM_IOCTL_GET_CAP, &c));
	T_ASSERT_EQ_U64(c.value, 1);
	c.capability = DRM_CAP_PRIME;
	T_ASSERT_OK(ioc(DRM_IOCTL_GET_CAP, &c));
	T_ASSERT_EQ_U64(c.value, DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT);
	c.capability = DRM_CAP_DUMB_BUFFER;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_GET_CAP, &c), EOPNOTSUPP);
	/* Not allowed on the render node; every client cap is KMS-only on the primary. */
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SET_CLIENT_CAP, &sc), EACCES);
	{
		struct pantomime_file *primary;

		T_ASSERT_OK(pantomime_file_open(dev, false, &primary));
		T_ASSERT_ERRNO(pantomime_ioctl(primary, DRM_IOCTL_SET_CLIENT_CAP, &sc), EOPNOTSUPP);
		sc.capability = 1000;
		T_ASSERT_ERRNO(pantomime_ioctl(primary, DRM_IOCTL_SET_CLIENT_CAP, &sc), EOPNOTSUPP);
		pantomime_file_close(primary);
	}
	teardown();
}

T_TEST(unknown, "uapi/api/unknown-and-unimplemented")
{
	struct drm_panthor_group_destroy g = { 0 };
	uint64_t junk[8] = { 0 };

	setup();
	/* drm_ioctl(): an unknown number is -EINVAL; a non-DRM type is not ours. */
	T_ASSERT_ERRNO(ioc(DRM_IOWR(DRM_COMMAND_BASE + 0x30, struct drm_panthor_vm_create), junk),
		       EINVAL);
	T_ASSERT_ERRNO(ioc(DRM_IOWR(DRM_COMMAND_BASE + DRM_PANTHOR_BO_QUERY_INFO + 1,
				    struct drm_panthor_vm_create), junk), EINVAL);
	T_ASSERT_ERRNO(ioc(DRM_IOWR(0x3f, struct drm_panthor_vm_create), junk), EINVAL);
	T_ASSERT_ERRNO(ioc(_IOWR('x', 1, uint64_t), junk), ENOTTY);
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_GROUP_DESTROY, &g), EINVAL);	/* no such group */
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, &g), EINVAL);	/* no such VM */
	teardown();
}

T_TEST(sizes, "uapi/api/request-size")
{
	struct drm_panthor_vm_get_state gs = { 0 };
	uint64_t big[4] = { 0 };
	uint32_t small;

	setup();
	gs.vm_id = vm_create();
	/* A smaller user struct: zero-extended in, truncated out (state stays unwritten). */
	small = gs.vm_id;
	T_ASSERT_OK(ioc(_IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE,
			     DRM_COMMAND_BASE + DRM_PANTHOR_VM_GET_STATE, 4), &small));
	T_ASSERT_EQ_INT(small, gs.vm_id);
	/* A larger one: extra bytes ignored, copied back as they were. */
	memcpy(big, &gs, sizeof(gs));
	big[2] = 0x1234;
	T_ASSERT_OK(ioc(_IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE,
			     DRM_COMMAND_BASE + DRM_PANTHOR_VM_GET_STATE, sizeof(big)), big));
	T_ASSERT_EQ_U64(big[2], 0x1234);
	T_ASSERT_EQ_INT(((struct drm_panthor_vm_get_state *)big)->state, DRM_PANTHOR_VM_STATE_USABLE);
	teardown();
}

T_TEST(dev_query, "uapi/api/dev-query")
{
	struct drm_panthor_gpu_info gi;
	struct drm_panthor_mmu_info mi;
	struct drm_panthor_timestamp_info ts;
	struct drm_panthor_csif_info ci;
	uint8_t big[200];
	struct drm_panthor_dev_query q = { .type = DRM_PANTHOR_DEV_QUERY_GPU_INFO };

	setup();
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	T_ASSERT_EQ_INT(q.size, sizeof(gi));
	q.pointer = (uintptr_t)&gi;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	T_ASSERT_NE_INT(gi.gpu_id, 0);
	T_ASSERT_NE_U64(gi.shader_present, 0);
	q.size = 95;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_DEV_QUERY, &q), EINVAL);
	memset(big, 0xff, sizeof(big));
	q.size = sizeof(big);
	q.pointer = (uintptr_t)big;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	T_ASSERT_EQ_INT(big[sizeof(gi)], 0);
	T_ASSERT_EQ_INT(big[sizeof(big) - 1], 0);
	q.size = sizeof(gi);
	q.pointer = WILD;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_DEV_QUERY, &q), EFAULT);

	q.type = DRM_PANTHOR_DEV_QUERY_CSIF_INFO;
	q.size = sizeof(ci);
	q.pointer = (uintptr_t)&ci;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	T_ASSERT_EQ_INT(ci.csg_slot_count, 8);
	T_ASSERT_EQ_INT(ci.cs_reg_count, 96);

	q.type = DRM_PANTHOR_DEV_QUERY_MMU_INFO;
	q.size = sizeof(mi);
	q.pointer = (uintptr_t)&mi;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	T_ASSERT_EQ_U64(mi.page_size_bitmap, (1ull << 12) | (1ull << 21));

	q.type = DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO;
	memset(&ts, 0, sizeof(ts));
	q.size = 24;	/* the 1.1 layout */
	q.pointer = (uintptr_t)&ts;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	T_ASSERT_NE_U64(ts.timestamp_frequency, 0);
	memset(&ts, 0, sizeof(ts));
	ts.flags = DRM_PANTHOR_TIMESTAMP_CPU_MONOTONIC | DRM_PANTHOR_TIMESTAMP_DURATION;
	q.size = sizeof(ts);
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	T_ASSERT_NE_U64(ts.cpu_timestamp_sec + ts.cpu_timestamp_nsec, 0);
	T_ASSERT_EQ_U64(ts.timestamp_frequency, 0);
	ts.flags = 7 << 1;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_DEV_QUERY, &q), EINVAL);
	q.size = 8;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_DEV_QUERY, &q), EINVAL);

	q.type = 99;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_DEV_QUERY, &q), EINVAL);
	teardown();
}

T_TEST(bo, "uapi/api/bo")
{
	struct drm_panthor_bo_create c = { .size = 5000 };
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	struct drm_panthor_bo_set_label l = { 0 };
	struct drm_panthor_bo_query_info qi = { 0 };
	struct drm_gem_close gc = { 0 };
	static char longlabel[5000];
	uint32_t nommap;

	setup();
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_BO_CREATE, &c));
	T_ASSERT_EQ_U64(c.size, 8192);
	c.size = 0;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_CREATE, &c), EINVAL);
	c.size = 4096;
	c.pad = 1;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_CREATE, &c), EINVAL);
	c.pad = 0;
	c.flags = 0x100;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_CREATE, &c), EINVAL);

	nommap = bo_create(4096, DRM_PANTHOR_BO_NO_MMAP);
	mo.handle = nommap;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo), EPERM);
	mo.handle = 12345;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo), ENOENT);

	qi.handle = nommap;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &qi));
	T_ASSERT_EQ_INT(qi.create_flags, DRM_PANTHOR_BO_NO_MMAP);
	qi.handle = 999;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &qi), ENOENT);

	l.handle = nommap;
	l.label = (uintptr_t)"hello";
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l));
	l.label = 0;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l));
	memset(longlabel, 'a', sizeof(longlabel) - 1);
	l.label = (uintptr_t)longlabel;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l), E2BIG);
	l.label = WILD;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l), EFAULT);
	l.handle = 999;
	l.label = 0;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l), ENOENT);

	gc.handle = nommap;
	gc.pad = 1;	/* drm_gem_close_ioctl() does not look at pad */
	T_ASSERT_OK(ioc(DRM_IOCTL_GEM_CLOSE, &gc));
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_GEM_CLOSE, &gc), EINVAL);
	teardown();
}

T_TEST(bo_sync, "uapi/api/bo-sync")
{
	struct drm_panthor_bo_sync_op op = { .type = DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH,
					     .offset = 0, .size = 4096 };
	struct drm_panthor_bo_sync s = { .ops = { .stride = sizeof(op), .count = 1,
						  .array = (uintptr_t)&op } };

	setup();
	op.handle = bo_create(8192, DRM_PANTHOR_BO_WB_MMAP);
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_BO_SYNC, &s));
	op.offset = 8192;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_SYNC, &s), EINVAL);
	op.size = 0;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_BO_SYNC, &s));	/* size 0: no-op */
	op.offset = 4096;
	op.size = UINT64_MAX;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_SYNC, &s), EINVAL);
	op.handle += 100;
	op.size = 4096;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_SYNC, &s), ENOENT);
	op.handle -= 100;
	op.offset = 0;
	op.type = 7;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_SYNC, &s), EINVAL);
	op.type = 0;
	s.ops.stride = 16;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_SYNC, &s), EINVAL);
	s.ops.stride = sizeof(op);
	s.ops.array = WILD;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_BO_SYNC, &s), EFAULT);
	s.ops.count = 0;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_BO_SYNC, &s));
	teardown();
}

T_TEST(vm, "uapi/api/vm-create-bind-destroy")
{
	struct drm_panthor_vm_bind_op ops[2];
	struct drm_panthor_vm_bind b = { 0 };
	struct drm_panthor_vm_get_state gs = { 0 };
	struct drm_panthor_vm_destroy d = { 0 };
	struct {
		struct drm_panthor_vm_bind_op op;
		uint64_t extra;
	} wide;
	uint32_t vm, bo;

	setup();
	vm = vm_create();
	bo = bo_create(1 << 16, 0);
	memset(ops, 0, sizeof(ops));
	ops[0].flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP;
	ops[0].bo_handle = bo;
	ops[0].va = 1 << 20;
	ops[0].size = 1 << 16;
	b.vm_id = vm;
	b.ops.stride = sizeof(ops[0]);
	b.ops.count = 1;
	b.ops.array = (uintptr_t)ops;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b));

	/* The second op fails: its index is written back. */
	ops[0].va = 2 << 20;
	ops[1] = ops[0];
	ops[1].bo_handle = 4242;
	b.ops.count = 2;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);
	T_ASSERT_EQ_INT(b.ops.count, 1);

	/* Stride rules. */
	b.ops.count = 1;
	b.ops.stride = 40;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);
	memset(&wide, 0, sizeof(wide));
	wide.op = ops[0];
	wide.op.va = 4 << 20;
	b.ops.stride = sizeof(wide);
	b.ops.array = (uintptr_t)&wide;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b));
	wide.op.va = 5 << 20;
	wide.extra = 1;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b), E2BIG);

	/* Wild pointers: the ops array and a sync array inside an op. */
	b.ops.stride = sizeof(ops[0]);
	b.ops.array = WILD;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b), EFAULT);
	b.ops.array = (uintptr_t)ops;
	ops[0].syncs.stride = sizeof(struct drm_panthor_sync_op);
	ops[0].syncs.count = 1;
	ops[0].syncs.array = WILD;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);	/* sync op with syncs */
	T_ASSERT_EQ_INT(b.ops.count, 0);
	b.ops.count = 1;
	b.flags = DRM_PANTHOR_VM_BIND_ASYNC;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b), EFAULT);
	b.flags = 0;
	ops[0].syncs.count = 0;

	/* Count 0 is a no-op. */
	b.ops.count = 0;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b));
	b.flags = 0x10;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);
	b.flags = 0;

	/* Unmap. */
	ops[0].flags = DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP;
	ops[0].bo_handle = 0;
	ops[0].va = 1 << 20;
	b.ops.count = 1;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b));

	gs.vm_id = vm;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_GET_STATE, &gs));
	T_ASSERT_EQ_INT(gs.state, DRM_PANTHOR_VM_STATE_USABLE);
	gs.vm_id = 77;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_VM_GET_STATE, &gs), EINVAL);

	d.id = vm;
	d.pad = 1;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_VM_DESTROY, &d), EINVAL);
	d.pad = 0;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_DESTROY, &d));
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_VM_DESTROY, &d), EINVAL);
	teardown();
}

T_TEST(vm_bind_async, "uapi/api/vm-bind-async")
{
	struct drm_syncobj_create sc = { 0 };
	struct drm_panthor_sync_op sync;
	struct drm_panthor_vm_bind_op op;
	struct drm_panthor_vm_bind b = { 0 };
	struct drm_syncobj_wait w = { 0 };
	uint32_t vm, bo;

	setup();
	vm = vm_create();
	bo = bo_create(1 << 16, 0);
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_CREATE, &sc));
	memset(&sync, 0, sizeof(sync));
	sync.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ;
	sync.handle = sc.handle;
	memset(&op, 0, sizeof(op));
	op.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP;
	op.bo_handle = bo;
	op.va = 1 << 20;
	op.size = 1 << 16;
	op.syncs.stride = sizeof(sync);
	op.syncs.count = 1;
	op.syncs.array = (uintptr_t)&sync;
	b.vm_id = vm;
	b.flags = DRM_PANTHOR_VM_BIND_ASYNC;
	b.ops.stride = sizeof(op);
	b.ops.count = 1;
	b.ops.array = (uintptr_t)&op;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b));
	w.handles = (uintptr_t)&sc.handle;
	w.count_handles = 1;
	w.timeout_nsec = INT64_MAX;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_WAIT, &w));
	/* A synchronous op with a sync is refused. */
	b.flags = 0;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);
	teardown();
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

T_TEST(syncobj, "uapi/api/syncobj")
{
	struct drm_syncobj_create c = { 0 }, cs = { .flags = DRM_SYNCOBJ_CREATE_SIGNALED };
	struct drm_syncobj_destroy d = { 0 };
	struct drm_syncobj_wait w = { 0 };
	struct drm_syncobj_array a = { 0 };
	struct drm_syncobj_timeline_array ta = { 0 };
	struct drm_syncobj_timeline_wait tw = { 0 };
	struct drm_syncobj_transfer tr = { 0 };
	struct drm_syncobj_handle h = { 0 };
	uint32_t handles[2];
	uint64_t points[2];

	setup();
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_CREATE, &c));
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_CREATE, &cs));
	c.flags = 0x80;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_CREATE, &c), EINVAL);
	handles[0] = c.handle;
	handles[1] = cs.handle;

	/* Wait: the signalled one alone; both without WAIT_FOR_SUBMIT → EINVAL. */
	w.handles = (uintptr_t)&handles[1];
	w.count_handles = 1;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_WAIT, &w));
	w.handles = (uintptr_t)handles;
	w.count_handles = 2;
	w.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_WAIT, &w), EINVAL);
	w.flags |= DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
	w.timeout_nsec = now_ns() + 20000000;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_WAIT, &w), ETIME);
	w.flags = 0;
	w.count_handles = 0;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_WAIT, &w));	/* the deadline-era probe */
	w.flags = 1 << 2;	/* WAIT_AVAILABLE: timeline waits only */
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_WAIT, &w), EINVAL);
	w.flags = 0;
	w.count_handles = 1;
	w.handles = WILD;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_WAIT, &w), EFAULT);

	/* Signal both, then WAIT_ALL succeeds; reset; unknown handle → ENOENT. */
	a.handles = (uintptr_t)handles;
	a.count_handles = 2;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_SIGNAL, &a));
	w.handles = (uintptr_t)handles;
	w.count_handles = 2;
	w.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL;
	w.timeout_nsec = 0;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_WAIT, &w));
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_RESET, &a));
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_WAIT, &w), EINVAL);
	a.pad = 1;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_RESET, &a), EINVAL);
	a.pad = 0;
	a.count_handles = 0;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_RESET, &a), EINVAL);
	a.count_handles = 2;
	a.pad = 0;
	handles[1] = 999;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_SIGNAL, &a), ENOENT);
	handles[1] = cs.handle;

	/* Timeline: signal point 3 on c, query, wait, transfer to cs point 1. */
	points[0] = 3;
	ta.handles = (uintptr_t)handles;
	ta.points = (uintptr_t)points;
	ta.count_handles = 1;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &ta));
	points[0] = 0;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_QUERY, &ta));
	T_ASSERT_EQ_U64(points[0], 3);
	ta.flags = 0x10;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_QUERY, &ta), EINVAL);
	ta.flags = 0;
	tw.handles = (uintptr_t)handles;
	tw.points = (uintptr_t)points;
	tw.count_handles = 1;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &tw));
	points[0] = 5;
	tw.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
	tw.timeout_nsec = now_ns() + 10000000;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &tw), ETIME);
	tr.src_handle = c.handle;
	tr.src_point = 3;
	tr.dst_handle = cs.handle;
	tr.dst_point = 1;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_TRANSFER, &tr));
	tr.src_handle = 999;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_TRANSFER, &tr), ENOENT);

	/* Sync-file export and import (syncobj fds: tests/uapi/test_uapi_client.c). */
	h.handle = c.handle;
	h.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h));
	T_ASSERT_GE_INT(h.fd, 0);
	h.handle = cs.handle;
	h.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &h));
	close(h.fd);
	sync_file_gc();	/* the model's sync files are collected once their fd is closed */
	h.flags = 4;
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h), EINVAL);

	d.handle = c.handle;
	T_ASSERT_OK(ioc(DRM_IOCTL_SYNCOBJ_DESTROY, &d));
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_SYNCOBJ_DESTROY, &d), EINVAL);
	teardown();
}

T_TEST(mmap_bo, "uapi/api/mmap")
{
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	struct drm_panthor_set_user_mmio_offset um = { .offset = 12345 };
	uint32_t *p, *q;
	void *out;

	setup();
	mo.handle = bo_create(3 * 4096, 0);
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo));
	T_ASSERT_OK(pantomime_mmap(file, NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
				   mo.offset, &out));
	p = out;
	T_ASSERT(pantomime_is_mapping(p, 1));
	p[0] = 0x12345678;
	p[3 * 1024 - 1] = 0xabcdef;
	/* A second mapping of the last page sees the same memory. */
	T_ASSERT_OK(pantomime_mmap(file, NULL, 4096, PROT_READ, MAP_SHARED, mo.offset + 8192,
				   &out));
	q = out;
	T_ASSERT_EQ_INT(q[1023], 0xabcdef);
	T_ASSERT_OK(pantomime_munmap(q, 4096));
	T_ASSERT_OK(pantomime_mmap(file, NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE, mo.offset,
				   &out));
	T_ASSERT_OK(pantomime_munmap(out, 4096));
	T_ASSERT_ERRNO(pantomime_mmap(file, NULL, 4 * 4096, PROT_READ, MAP_SHARED, mo.offset,
				      &out), EINVAL);
	T_ASSERT_ERRNO(pantomime_mmap(file, NULL, 4096, PROT_READ, MAP_PRIVATE, mo.offset,
				      &out), EINVAL);
	T_ASSERT_ERRNO(pantomime_mmap(file, NULL, 4096, PROT_READ, MAP_SHARED, 1ull << 40,
				      &out), EINVAL);
	T_ASSERT_OK(pantomime_munmap(p, 3 * 4096));
	T_ASSERT(!pantomime_is_mapping(p, 1));
	T_ASSERT_ERRNO(pantomime_munmap(p, 4096), EINVAL);

	/* The flush-ID page. */
	T_ASSERT_ERRNO(pantomime_mmap(file, NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
				      DRM_PANTHOR_USER_MMIO_OFFSET, &out), EACCES);
	T_ASSERT_ERRNO(pantomime_mmap(file, NULL, 8192, PROT_READ, MAP_SHARED,
				      DRM_PANTHOR_USER_MMIO_OFFSET, &out), EINVAL);
	T_ASSERT_OK(pantomime_mmap(file, NULL, 4096, PROT_READ, MAP_SHARED,
				   DRM_PANTHOR_USER_MMIO_OFFSET, &out));
	(void)*(volatile uint32_t *)out;	/* readable */
	T_ASSERT(pantomime_is_mapping(out, 4096));
	T_ASSERT_OK(pantomime_munmap(out, 4096));
	T_ASSERT_ERRNO(ioc(DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, &um), EINVAL);
	um.offset = DRM_PANTHOR_USER_MMIO_OFFSET_32BIT;
	T_ASSERT_OK(ioc(DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, &um));
	T_ASSERT_OK(pantomime_mmap(file, NULL, 4096, PROT_READ, MAP_SHARED,
				   DRM_PANTHOR_USER_MMIO_OFFSET_32BIT, &out));
	T_ASSERT_OK(pantomime_munmap(out, 4096));
	teardown();
}

T_TEST(dump, "uapi/api/dump-and-stats")
{
	struct pantomime_stats st;
	FILE *f = fopen("/dev/null", "w");

	T_ASSERT_NOT_NULL(f);
	setup();
	(void)vm_create();
	for (int v = PANTOMIME_VIEW_GEMS; v <= PANTOMIME_VIEW_STATS; v++)
		T_ASSERT_OK(pantomime_dump(dev, (enum pantomime_view)v, f));
	T_ASSERT_ERRNO(pantomime_dump(dev, (enum pantomime_view)99, f), EINVAL);
	pantomime_get_stats(dev, &st);
	T_ASSERT_EQ_U64(st.checker_violations, 0);
	/* Bytes, not pages: a VM holds at least its root page table. */
	T_ASSERT(st.resident_bytes >= 4096 && st.resident_bytes % 4096 == 0);
	T_ASSERT(st.peak_resident_bytes >= st.resident_bytes);
	teardown();
	fclose(f);
}

static uint32_t threads_vm;

static void *thread_body(void *arg)
{
	uintptr_t idx = (uintptr_t)arg;

	for (int round = 0; round < 20; round++) {
		struct drm_panthor_bo_create c = { .size = 8192 };
		struct drm_panthor_bo_mmap_offset mo = { 0 };
		struct drm_panthor_vm_bind_op op;
		struct drm_panthor_vm_bind b = { 0 };
		struct drm_gem_close gc = { 0 };
		uint32_t *p;
		void *out;

		if (ioc(DRM_IOCTL_PANTHOR_BO_CREATE, &c))
			return (void *)1;
		mo.handle = c.handle;
		if (ioc(DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo))
			return (void *)2;
		if (pantomime_mmap(file, NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, mo.offset,
				   &out))
			return (void *)3;
		p = out;
		p[0] = (uint32_t)(idx << 16 | (unsigned int)round);
		memset(&op, 0, sizeof(op));
		op.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP;
		op.bo_handle = c.handle;
		op.va = (uint64_t)(idx + 1) << 24;
		op.size = 8192;
		b.vm_id = threads_vm;
		b.ops.stride = sizeof(op);
		b.ops.count = 1;
		b.ops.array = (uintptr_t)&op;
		if (ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b))
			return (void *)4;
		op.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP;
		op.bo_handle = 0;
		if (ioc(DRM_IOCTL_PANTHOR_VM_BIND, &b))
			return (void *)5;
		if (p[0] != (uint32_t)(idx << 16 | (unsigned int)round))
			return (void *)6;
		gc.handle = c.handle;
		if (ioc(DRM_IOCTL_GEM_CLOSE, &gc))
			return (void *)7;
		if (pantomime_munmap(p, 8192))
			return (void *)8;
	}
	return NULL;
}

T_TEST(threads, "uapi/api/threads")
{
	pthread_t t[4];
	void *ret;

	setup();
	threads_vm = vm_create();
	for (uintptr_t i = 0; i < 4; i++)
		T_ASSERT_EQ_INT(pthread_create(&t[i], NULL, thread_body, (void *)i), 0);
	for (int i = 0; i < 4; i++) {
		T_ASSERT_EQ_INT(pthread_join(t[i], &ret), 0);
		T_ASSERT_EQ_PTR(ret, NULL);
	}
	teardown();
}
