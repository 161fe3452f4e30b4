// SPDX-License-Identifier: MIT
/*
 * Black-box through the real shim (LD_PRELOAD=libpantomime-shim.so), with
 * only libc calls: a group submit whose stream stores a value the CPU reads
 * through its mmap of the BO, signalled through a syncobj and waited for
 * with SYNCOBJ_WAIT; the flush-ID page mapped read-only at the user MMIO
 * offset, following the stream's cache flush.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm.h>

#include "uapi/drm/panthor_drm.h"
#include "t_harness.h"

#define VA_CODE (1ull << 24)
#define VA_DATA (2ull << 24)

static uint32_t bo(int fd, uint32_t vm, uint64_t va, void **map)
{
	struct drm_panthor_bo_create bc = { .size = 4096 };
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	struct drm_panthor_vm_bind_op op = { 0 };
	struct drm_panthor_vm_bind b = { 0 };

	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bc), 0);
	mo.handle = bc.handle;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo), 0);
	*map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)mo.offset);
	T_ASSERT(*map != MAP_FAILED);
	op.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP;
	op.bo_handle = bc.handle;
	op.va = va;
	op.size = 4096;
	b.vm_id = vm;
	b.ops.stride = sizeof(op);
	b.ops.count = 1;
	b.ops.array = (uintptr_t)&op;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b), 0);
	return bc.handle;
}

T_TEST(submit, "uapi/shim/group-submit-store-syncobj")
{
	struct drm_panthor_vm_create vc = { 0 };
	struct drm_panthor_dev_query q = { .type = DRM_PANTHOR_DEV_QUERY_GPU_INFO };
	struct drm_panthor_gpu_info gi = { 0 };
	struct drm_panthor_queue_create qc = { .ringbuf_size = 4096 };
	struct drm_panthor_group_create gc = { 0 };
	struct drm_syncobj_create sc = { 0 };
	struct drm_panthor_sync_op sig = { 0 };
	struct drm_panthor_queue_submit qs = { 0 };
	struct drm_panthor_group_submit gs = { 0 };
	struct drm_syncobj_wait w = { 0 };
	const char *pre = getenv("LD_PRELOAD");
	volatile uint32_t *data, *fid;
	uint32_t before;
	uint64_t *code;
	void *m;
	int fd;

	if (!pre || !strstr(pre, "libpantomime-shim.so"))
		t_skip("needs LD_PRELOAD=libpantomime-shim.so (meson test sets it)");
	fd = open("/dev/dri/renderD128", O_RDWR | O_CLOEXEC);
	T_ASSERT_GE_INT(fd, 0);

	/* The flush-ID page: read-only, one page, at the default user MMIO offset. */
	errno = 0;
	T_ASSERT(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		      (off_t)DRM_PANTHOR_USER_MMIO_OFFSET) == MAP_FAILED);
	T_ASSERT_EQ_INT(errno, EACCES);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, (off_t)DRM_PANTHOR_USER_MMIO_OFFSET);
	T_ASSERT(m != MAP_FAILED);
	fid = m;
	before = fid[0];

	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_VM_CREATE, &vc), 0);
	bo(fd, vc.id, VA_CODE, &m);
	code = m;
	bo(fd, vc.id, VA_DATA, &m);
	data = m;
	/* MOVE48 d0 = VA_DATA + 16; MOVE32 r2 = value; STORE_MULTIPLE r2 -> [d0]; FLUSH_CACHE2. */
	code[0] = (0x01ull << 56) | (0ull << 48) | (VA_DATA + 16);
	code[1] = (0x02ull << 56) | (2ull << 48) | 0x600dcafeu;
	code[2] = (0x15ull << 56) | (2ull << 48) | (0ull << 40) | (1ull << 16);
	code[3] = (0x24ull << 56) | 0x33;

	q.size = sizeof(gi);
	q.pointer = (uintptr_t)&gi;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q), 0);
	gc.queues.stride = sizeof(qc);
	gc.queues.count = 1;
	gc.queues.array = (uintptr_t)&qc;
	gc.compute_core_mask = gi.shader_present;
	gc.fragment_core_mask = gi.shader_present;
	gc.tiler_core_mask = gi.tiler_present;
	gc.vm_id = vc.id;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_CREATE, &gc), 0);

	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &sc), 0);
	sig.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ;
	sig.handle = sc.handle;
	qs.stream_addr = VA_CODE;
	qs.stream_size = 32;
	qs.syncs.stride = sizeof(sig);
	qs.syncs.count = 1;
	qs.syncs.array = (uintptr_t)&sig;
	gs.group_handle = gc.group_handle;
	gs.queue_submits.stride = sizeof(qs);
	gs.queue_submits.count = 1;
	gs.queue_submits.array = (uintptr_t)&qs;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gs), 0);
	w.handles = (uintptr_t)&sc.handle;
	w.count_handles = 1;
	w.timeout_nsec = INT64_MAX;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w), 0);
	T_ASSERT_EQ_INT(data[4], 0x600dcafe);
	T_ASSERT_NE_INT(fid[0], before);

	/* A bad queue-submit pointer is -1/EFAULT, not a crash. */
	gs.queue_submits.array = 0xdead000000000ull;
	errno = 0;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gs), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);

	T_ASSERT_EQ_INT(munmap((void *)fid, 4096), 0);
	T_ASSERT_EQ_INT(munmap(code, 4096), 0);
	T_ASSERT_EQ_INT(munmap((void *)data, 4096), 0);
	T_ASSERT_EQ_INT(close(fd), 0);
}
