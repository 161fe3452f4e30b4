// SPDX-License-Identifier: MIT
/*
 * reliability suite, isolation: what one file (one process's DRM fd) can
 * reach of another's. Handles, VM ids, syncobjs and mmap offsets are per
 * file; every leaf of every VM's page tables (found by walking the tables,
 * not by translating addresses one by one) points into a BO mapped at that
 * VA in that VM, or into the file's own sparse dummy; sparse writes stay in
 * their file; exclusive-VM BOs stay in their VM; kernel VA is not bindable;
 * freed memory is zeroed before reuse; a closed file holds no frame.
 * Group handles and dma-buf exports join the handle checks when they land.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include "rel_leaves.h"
#include "rel_test.h"
#include "t_harness.h"
#include "mm/mm.h"
#include "panthor/panthor_debug.h"
#include "panthor/panthor_device.h"
#include "panthor/panthor_file.h"
#include "panthor/panthor_gem.h"
#include "panthor/panthor_mmu.h"

#define MAP DRM_PANTHOR_VM_BIND_OP_TYPE_MAP
#define UNMAP DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP
#define SPARSE (DRM_PANTHOR_VM_BIND_OP_TYPE_MAP | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE | \
		DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC)

/* --------------------------------------------------------------- leaf walk */

/* Walk every VM of both files; Return: leaves seen. */
static unsigned long walk_all(struct rel_world *w, unsigned long *sparse)
{
	struct rel_leaf_stats st = { 0 };
	char why[256];

	for (int i = 0; i < 2; i++)
		T_ASSERT_MSG(!rel_check_leaves(w->f[i].file, w->f[!i].file, &st, why, sizeof(why)),
			     "file %d: %s", i, why);
	*sparse = st.sparse;
	return st.leaves;
}

static uint32_t dummy_id(struct rel_world *w, int i)
{
	struct panthor_file *pfile = pantomime_debug_pfile(w->f[i].file);

	return pfile->dummy ? pfile->dummy->id : 0;
}

T_TEST(leaves, "reliability/isolation/every-leaf-in-its-vm")
{
	struct rel_world w;
	uint32_t vm[2][2], bo[2][3], excl;
	unsigned long leaves, sparse;

	rel_world_init(&w, 256 * MiB, 64 * MiB);
	/* The same workload in both files, so handles and VM ids collide. */
	for (int i = 0; i < 2; i++) {
		vm[i][0] = w.f[i].vm;
		vm[i][1] = rel_vm_create(&w, i);
		for (int k = 0; k < 3; k++) {
			bo[i][k] = rel_bo_create(&w, i, (4 + (uint64_t)k) * MiB + 4096 * (uint64_t)k,
						 0, 0);
			rel_bo_write(&w, i, bo[i][k], (4 + (uint64_t)k) * MiB + 4096 * (uint64_t)k,
				     (uint32_t)(i * 16 + k));
		}
		excl = rel_bo_create(&w, i, 2 * MiB, 0, vm[i][1]);
		/* 2 MiB blocks and pages, a BO in two VMs, partial unmaps and remaps. */
		T_ASSERT_OK(rel_bind(&w, i, vm[i][0], MAP, bo[i][0], 0, 64 * MiB, 4 * MiB, false, 0));
		T_ASSERT_OK(rel_bind(&w, i, vm[i][1], MAP, bo[i][0], 0, 64 * MiB, 4 * MiB, false, 0));
		T_ASSERT_OK(rel_bind(&w, i, vm[i][0], MAP, bo[i][1], 4096, 128 * MiB + 4096,
				     3 * MiB, false, 0));
		T_ASSERT_OK(rel_bind(&w, i, vm[i][0], UNMAP, 0, 0, 128 * MiB + MiB, 8192, false, 0));
		T_ASSERT_OK(rel_bind(&w, i, vm[i][0], MAP, bo[i][2], 2 * MiB, 64 * MiB + MiB,
				     MiB, false, 0));
		T_ASSERT_OK(rel_bind(&w, i, vm[i][1], MAP, excl, 0, 256 * MiB, 2 * MiB, false, 0));
		/* Sparse ranges, one partly replaced by real pages, one with a hole. */
		T_ASSERT_OK(rel_bind(&w, i, vm[i][0], SPARSE, 0, 0, 512 * MiB, 8 * MiB + 4096,
				     false, 0));
		T_ASSERT_OK(rel_bind(&w, i, vm[i][0], MAP, bo[i][1], 0, 512 * MiB + 2 * MiB,
				     MiB, false, 0));
		T_ASSERT_OK(rel_bind(&w, i, vm[i][1], SPARSE, 0, 0, 768 * MiB, 4 * MiB, false, 0));
		T_ASSERT_OK(rel_bind(&w, i, vm[i][1], UNMAP, 0, 0, 768 * MiB + MiB, 4096, false, 0));
		/* A BO closed while mapped stays mapped (the VA holds it). */
		T_ASSERT_OK(rel_gem_close(&w, i, bo[i][2]));
	}
	T_ASSERT_NE_INT(dummy_id(&w, 0), dummy_id(&w, 1));
	leaves = walk_all(&w, &sparse);
	T_ASSERT_GT_INT(leaves, 1000);
	T_ASSERT_GT_INT(sparse, 4);
	t_note("%lu leaves walked (%lu sparse)", leaves, sparse);

	/* Eviction takes BO pages away; the walk must still find nothing stray. */
	panthor_gem_shrink(pantomime_debug_ptdev(w.dev), 1ul << 20, true);
	walk_all(&w, &sparse);
	for (int i = 0; i < 2; i++) {
		uint64_t v = 0;

		T_ASSERT_OK(rel_gpu_read(&w, i, vm[i][0], 64 * MiB + 8, &v));	/* restores */
		T_ASSERT_EQ_U64(v, rel_word((uint32_t)(i * 16), 8));
	}
	walk_all(&w, &sparse);

	/* The walk can fail: a frame whose owner is another BO is reported. */
	{
		struct panthor_file *pfile = pantomime_debug_pfile(w.f[1].file);
		struct panthor_vm *v = panthor_vm_pool_get_vm(&pfile->vms, vm[1][0]);
		phys_addr_t pa = panthor_vm_lookup_pa(v, 128 * MiB + 4096 * 3, NULL);
		struct mm_frame *f;
		uint32_t owner;
		char why[256];

		T_ASSERT_NOT_NULL(v);
		T_ASSERT_NE_U64(pa, 0);
		panthor_vm_put(v);
		f = mm_frame(pa);
		owner = f->owner_id;
		f->owner_id = owner + 1000;
		T_ASSERT_NE_INT(rel_check_leaves(w.f[1].file, w.f[0].file, NULL, why, sizeof(why)), 0);
		f->owner_id = owner;
		T_ASSERT_OK(rel_check_leaves(w.f[1].file, w.f[0].file, NULL, why, sizeof(why)));
	}
	rel_world_fini(&w);
}

/* --------------------------------------------------------------- handles */

T_TEST(handles, "reliability/isolation/handles-are-per-file")
{
	struct rel_world w;
	uint32_t extra_bo, extra_vm;
	struct drm_syncobj_create sc = { 0 };
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	struct drm_panthor_bo_query_info qi = { 0 };
	struct drm_panthor_vm_get_state gs = { 0 };
	struct drm_panthor_vm_destroy vd = { 0 };
	struct drm_syncobj_destroy sd = { 0 };
	struct drm_syncobj_array sa = { .count_handles = 1 };
	struct drm_syncobj_wait sw = { .count_handles = 1 };
	struct drm_syncobj_handle sh = { .flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE };
	struct drm_panthor_bo_set_label bl = { 0 };
	struct drm_panthor_bo_create bc = { .size = 4096 };
	void *p;

	rel_world_init(&w, 64 * MiB, 0);
	/* File 0 gets objects whose handles file 1 does not have. */
	extra_bo = rel_bo_create(&w, 0, 4096, 0, 0);
	extra_vm = rel_vm_create(&w, 0);
	T_ASSERT_OK(rel_ioctl(&w, 0, DRM_IOCTL_SYNCOBJ_CREATE, &sc));

	/* BO handles. */
	T_ASSERT_ERRNO(rel_gem_close(&w, 1, extra_bo), EINVAL);
	mo.handle = extra_bo;
	T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo), ENOENT);
	qi.handle = extra_bo;
	T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &qi), ENOENT);
	bl.handle = extra_bo;
	T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &bl), ENOENT);
	T_ASSERT_ERRNO(rel_bind(&w, 1, w.f[1].vm, MAP, extra_bo, 0, 64 * MiB, 4096, false, 0),
		       EINVAL);
	/* VM ids. */
	T_ASSERT_ERRNO(rel_bind(&w, 1, extra_vm, MAP, w.f[1].witness, 0, 64 * MiB, 4096, false, 0),
		       EINVAL);
	gs.vm_id = extra_vm;
	T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_VM_GET_STATE, &gs), EINVAL);
	vd.id = extra_vm;
	T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_VM_DESTROY, &vd), EINVAL);
	bc.exclusive_vm_id = extra_vm;
	T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_BO_CREATE, &bc), EINVAL);
	/* Syncobjs. */
	sd.handle = sc.handle;
	T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_SYNCOBJ_DESTROY, &sd), EINVAL);
	sa.handles = (uintptr_t)&sc.handle;
	T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_SYNCOBJ_SIGNAL, &sa), ENOENT);
	sw.handles = (uintptr_t)&sc.handle;
	T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_SYNCOBJ_WAIT, &sw), ENOENT);
	sh.handle = sc.handle;
	T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh), ENOENT);
	{
		struct drm_panthor_sync_op sync = {
			.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
			.handle = sc.handle,
		};
		struct drm_panthor_vm_bind_op op = {
			.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_SYNC_ONLY,
			.syncs = { .stride = sizeof(sync), .count = 1, .array = (uintptr_t)&sync },
		};
		struct drm_panthor_vm_bind b = {
			.vm_id = w.f[1].vm, .flags = DRM_PANTHOR_VM_BIND_ASYNC,
			.ops = { .stride = sizeof(op), .count = 1, .array = (uintptr_t)&op },
		};

		/* A signal names a syncobj it cannot find: -EINVAL (the submit context's lookup)... */
		T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);
		/* ... a wait finds no fence: -ENOENT (drm_syncobj_find_fence()). */
		sync.flags = DRM_PANTHOR_SYNC_OP_WAIT | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ;
		T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_VM_BIND, &b), ENOENT);
	}
	/* Group handles. */
	{
		struct drm_panthor_dev_query q = { .type = DRM_PANTHOR_DEV_QUERY_GPU_INFO };
		struct drm_panthor_gpu_info gi = { 0 };
		struct drm_panthor_queue_create qc = { .ringbuf_size = 4096 };
		struct drm_panthor_group_create gc = { 0 };
		struct drm_panthor_group_get_state gst = { 0 };
		struct drm_panthor_group_destroy gd = { 0 };
		struct drm_panthor_group_submit gsub = { 0 };
		struct drm_panthor_queue_submit qs = { .stream_addr = 64 * MiB, .stream_size = 8 };

		q.size = sizeof(gi);
		q.pointer = (uintptr_t)&gi;
		T_ASSERT_OK(rel_ioctl(&w, 0, DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
		gc.queues = (struct drm_panthor_obj_array){ .stride = sizeof(qc), .count = 1,
							    .array = (uintptr_t)&qc };
		gc.max_compute_cores = gc.max_fragment_cores = gc.max_tiler_cores = 1;
		gc.compute_core_mask = gc.fragment_core_mask = gi.shader_present;
		gc.tiler_core_mask = gi.tiler_present;
		gc.vm_id = extra_vm;
		/* Not with another file's VM... */
		T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_GROUP_CREATE, &gc), EINVAL);
		T_ASSERT_OK(rel_ioctl(&w, 0, DRM_IOCTL_PANTHOR_GROUP_CREATE, &gc));
		/* ... and the group is not file 1's to query, submit to or destroy. */
		gst.group_handle = gc.group_handle;
		T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &gst), EINVAL);
		/* (with no queue submit the kernel never looks the group up: one job) */
		gsub.group_handle = gc.group_handle;
		gsub.queue_submits = (struct drm_panthor_obj_array){ .stride = sizeof(qs), .count = 1,
								     .array = (uintptr_t)&qs };
		T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gsub), EINVAL);
		gd.group_handle = gc.group_handle;
		T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &gd), EINVAL);
		T_ASSERT_OK(rel_ioctl(&w, 0, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &gst));
		T_ASSERT_OK(rel_ioctl(&w, 0, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &gd));
	}
	/* Tiler heap handles (they name the file's VM): file 1 cannot destroy file 0's heap. */
	{
		struct drm_panthor_tiler_heap_create hc = {
			.vm_id = extra_vm, .initial_chunk_count = 1, .chunk_size = 128u << 10,
			.max_chunks = 2, .target_in_flight = 1,
		};
		struct drm_panthor_tiler_heap_destroy hd = { 0 };

		T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, &hc), EINVAL);
		T_ASSERT_OK(rel_ioctl(&w, 0, DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, &hc));
		hd.handle = hc.handle;
		T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, &hd), EINVAL);
		T_ASSERT_OK(rel_ioctl(&w, 0, DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, &hd));
	}
	/* PRIME: another file's handle cannot be exported. */
	{
		struct drm_prime_handle ph = { .handle = extra_bo, .fd = -1 };

		T_ASSERT_ERRNO(rel_ioctl(&w, 1, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph), ENOENT);
	}
	/* The same handle value names each file's own object. */
	T_ASSERT_EQ_INT(w.f[0].witness, w.f[1].witness);
	rel_bo_check(&w, 0, w.f[0].witness, REL_WITNESS_SIZE, w.f[0].tag);
	rel_bo_check(&w, 1, w.f[1].witness, REL_WITNESS_SIZE, w.f[1].tag);
	/* mmap offsets are per file too. */
	mo.handle = extra_bo;
	T_ASSERT_OK(rel_ioctl(&w, 0, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo));
	T_ASSERT_ERRNO(pantomime_mmap(w.f[1].file, NULL, 4096, PROT_READ, MAP_SHARED, mo.offset,
				      &p), EINVAL);
	rel_world_fini(&w);
}

/* --------------------------------------------------------------- sparse */

T_TEST(sparse, "reliability/isolation/sparse-writes-stay-in-their-file")
{
	struct rel_world w;
	uint64_t v;

	rel_world_init(&w, 64 * MiB, 0);
	for (int i = 0; i < 2; i++)
		T_ASSERT_OK(rel_bind(&w, i, w.f[i].vm, SPARSE, 0, 0, 256 * MiB, 4 * MiB, false, 0));
	/* A GPU write into file 0's sparse range lands in file 0's dummy... */
	T_ASSERT_OK(rel_gpu_write(&w, 0, w.f[0].vm, 256 * MiB + 0x40, 0xfeedf00d));
	T_ASSERT_OK(rel_gpu_read(&w, 0, w.f[0].vm, 256 * MiB + 2 * MiB + 0x40, &v));
	T_ASSERT_EQ_U64(v, 0xfeedf00d);	/* every page of the range is the dummy */
	/* ... and never in file 1's. */
	T_ASSERT_OK(rel_gpu_read(&w, 1, w.f[1].vm, 256 * MiB + 0x40, &v));
	T_ASSERT_EQ_U64(v, 0);
	T_ASSERT_OK(rel_gpu_write(&w, 1, w.f[1].vm, 256 * MiB + 0x40, 0x1111));
	T_ASSERT_OK(rel_gpu_read(&w, 0, w.f[0].vm, 256 * MiB + 0x40, &v));
	T_ASSERT_EQ_U64(v, 0xfeedf00d);
	rel_world_fini(&w);
}

/* --------------------------------------------------------------- exclusive, kernel VA */

T_TEST(exclusive, "reliability/isolation/exclusive-bo-stays-in-its-vm-and-is-not-exported")
{
	struct rel_world w;
	uint32_t vm2, excl;

	rel_world_init(&w, 64 * MiB, 0);
	vm2 = rel_vm_create(&w, 0);
	excl = rel_bo_create(&w, 0, 2 * MiB, 0, vm2);
	T_ASSERT_ERRNO(rel_bind(&w, 0, w.f[0].vm, MAP, excl, 0, 64 * MiB, 2 * MiB, false, 0),
		       EINVAL);
	T_ASSERT_OK(rel_bind(&w, 0, vm2, MAP, excl, 0, 64 * MiB, 2 * MiB, false, 0));
	/* Not nameable from file 1 at all (its handle is another BO there, or none). */
	T_ASSERT_ERRNO(rel_bind(&w, 1, w.f[1].vm, MAP, excl, 0, 64 * MiB, 2 * MiB, false, 0),
		       EINVAL);
	/* Nor exported (reference §1.6: EINVAL). */
	{
		struct drm_prime_handle ph = { .handle = excl, .flags = DRM_CLOEXEC, .fd = -1 };

		T_ASSERT_ERRNO(rel_ioctl(&w, 0, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph), EINVAL);
		T_ASSERT_EQ_INT(ph.fd, -1);
	}
	rel_world_fini(&w);
}

T_TEST(kernel_va, "reliability/isolation/kernel-va-not-bindable")
{
	struct rel_world w;
	/* 2^48 - 2^47 rounds down to a 2^47 kernel range: the user range returned is 2^47. */
	struct drm_panthor_vm_create c = { .user_va_range = 1ull << 32 };
	uint64_t k;
	uint32_t bo;

	rel_world_init(&w, 64 * MiB, 0);
	T_ASSERT_OK(rel_ioctl(&w, 0, DRM_IOCTL_PANTHOR_VM_CREATE, &c));
	k = c.user_va_range;
	T_ASSERT_EQ_U64(k, 1ull << 47);
	bo = rel_bo_create(&w, 0, 2 * MiB, 0, 0);
	T_ASSERT_OK(rel_bind(&w, 0, c.id, MAP, bo, 0, k - 2 * MiB, 2 * MiB, false, 0));
	T_ASSERT_ERRNO(rel_bind(&w, 0, c.id, MAP, bo, 0, k, 2 * MiB, false, 0), EINVAL);
	T_ASSERT_ERRNO(rel_bind(&w, 0, c.id, MAP, bo, 0, k - MiB, 2 * MiB, false, 0), EINVAL);
	T_ASSERT_ERRNO(rel_bind(&w, 0, c.id, SPARSE, 0, 0, k + (1ull << 40), 2 * MiB, false, 0),
		       EINVAL);
	T_ASSERT_ERRNO(rel_bind(&w, 0, c.id, UNMAP, 0, 0, k + 2 * MiB, 2 * MiB, false, 0), EINVAL);
	T_ASSERT_ERRNO(rel_bind(&w, 0, c.id, MAP, bo, 0, UINT64_MAX - MiB + 1, 2 * MiB, false, 0),
		       EINVAL);
	/* Nor can the split leave the kernel less than its minimum. */
	c.user_va_range = 1ull << 48;
	T_ASSERT_ERRNO(rel_ioctl(&w, 0, DRM_IOCTL_PANTHOR_VM_CREATE, &c), EINVAL);
	rel_world_fini(&w);
}

/* --------------------------------------------------------------- zeroing, release */

T_TEST(zeroed, "reliability/isolation/freed-memory-zeroed-before-reuse")
{
	struct rel_world w;
	const uint64_t size = 8 * MiB;
	uint32_t bo;
	uint64_t *p;
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	void *out;

	rel_world_init(&w, 64 * MiB, 0);
	for (int round = 0; round < 4; round++) {
		int writer = round & 1, reader = !writer;

		/* One file fills BOs and closes them; the other's new BOs must read zero. */
		for (int k = 0; k < 3; k++) {
			bo = rel_bo_create(&w, writer, size, 0, 0);
			rel_bo_write(&w, writer, bo, size, 0xee);
			T_ASSERT_OK(rel_gem_close(&w, writer, bo));
		}
		bo = rel_bo_create(&w, reader, 3 * size, 0, 0);
		mo.handle = bo;
		T_ASSERT_OK(rel_ioctl(&w, reader, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo));
		T_ASSERT_OK(pantomime_mmap(w.f[reader].file, NULL, 3 * size, PROT_READ, MAP_SHARED,
					   mo.offset, &out));
		p = out;
		for (uint64_t off = 0; off < 3 * size; off += 8)
			if (p[off / 8])
				t_fail(__FILE__, __LINE__, "round %d: new BO word 0x%" PRIx64 " = 0x%"
				       PRIx64, round, off, p[off / 8]);
		T_ASSERT_OK(pantomime_munmap(p, 3 * size));
		T_ASSERT_OK(rel_gem_close(&w, reader, bo));
	}
	rel_world_fini(&w);
}

static void use_file(struct rel_world *w, struct pantomime_file *f, void **map, size_t *len)
{
	struct drm_panthor_vm_create vc = { 0 };
	struct drm_panthor_bo_create bc = { .size = 4 * MiB };
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	struct drm_syncobj_create sc = { 0 };
	struct drm_panthor_vm_bind_op op = { .flags = MAP, .va = 64 * MiB, .size = 4 * MiB };
	struct drm_panthor_vm_bind b = { .ops = { .stride = sizeof(op), .count = 1,
						  .array = (uintptr_t)&op } };

	T_ASSERT_OK(pantomime_ioctl(f, DRM_IOCTL_PANTHOR_VM_CREATE, &vc));
	T_ASSERT_OK(pantomime_ioctl(f, DRM_IOCTL_PANTHOR_BO_CREATE, &bc));
	T_ASSERT_OK(pantomime_ioctl(f, DRM_IOCTL_SYNCOBJ_CREATE, &sc));
	b.vm_id = vc.id;
	op.bo_handle = bc.handle;
	T_ASSERT_OK(pantomime_ioctl(f, DRM_IOCTL_PANTHOR_VM_BIND, &b));
	op.flags = SPARSE;
	op.bo_handle = 0;
	op.va = 256 * MiB;
	T_ASSERT_OK(pantomime_ioctl(f, DRM_IOCTL_PANTHOR_VM_BIND, &b));
	mo.handle = bc.handle;
	T_ASSERT_OK(pantomime_ioctl(f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo));
	T_ASSERT_OK(pantomime_mmap(f, NULL, 4 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, mo.offset,
				   map));
	memset(*map, 0x5a, 4 * MiB);
	*len = 4 * MiB;
	(void)w;
}

T_TEST(release, "reliability/isolation/closed-file-releases-every-frame")
{
	struct rel_world w;
	struct pantomime_file *f;
	long before;
	void *map;
	size_t len;

	rel_world_init(&w, 64 * MiB, 0);
	before = rel_frames(&w);
	T_ASSERT_OK(pantomime_file_open(w.dev, true, &f));
	use_file(&w, f, &map, &len);
	T_ASSERT_GT_INT(rel_frames(&w), before + 1024);
	/* Closed with its BO still mmapped: the mapping keeps that BO's pages, nothing else. */
	pantomime_file_close(f);
	T_ASSERT_EQ_INT(rel_frames(&w), before + 1024);
	T_ASSERT_EQ_INT(((uint8_t *)map)[len - 1], 0x5a);
	T_ASSERT_OK(pantomime_munmap(map, len));
	T_ASSERT_EQ_INT(rel_frames(&w), before);
	/* And closed with nothing mapped. */
	T_ASSERT_OK(pantomime_file_open(w.dev, true, &f));
	use_file(&w, f, &map, &len);
	T_ASSERT_OK(pantomime_munmap(map, len));
	pantomime_file_close(f);
	T_ASSERT_EQ_INT(rel_frames(&w), before);
	rel_world_check(&w);
	rel_world_fini(&w);
}
