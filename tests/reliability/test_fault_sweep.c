// SPDX-License-Identifier: MIT
/*
 * reliability suite, fault-injection sweeps: each row of the table below is
 * one user-visible operation, driven through pantomime_ioctl() and
 * pantomime_mmap() as a client would. t_fault_loop() runs it once per
 * allocation point it makes, failing that point (transient, then
 * persistent), and asserts after every run:
 *
 *  - the ioctl returned -ENOMEM to the caller (or the operation succeeded
 *    because a retry absorbed the failure, and is undone);
 *  - no heap block and no frame or swap slot leaked (u_alloc_live(), the
 *    budget, the swap area);
 *  - panthor_vm_validate() of every VM of both files and mm_validate() pass,
 *    and the protocol checker reported nothing;
 *  - both files' witness BOs (written before the sweep, mapped on the CPU
 *    and the GPU) still hold their bytes, and on async paths the VM is still
 *    usable: panthor declares a VM unusable only when a bind job fails while
 *    it runs, and every allocation of an async bind happens at ioctl time.
 *
 * A new path (dma-buf, syncobj fds) is one more row.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rel_test.h"
#include "t_harness.h"
#include "dma/dma_buf.h"
#include "dma/dma_fence.h"
#include "dma/sync_file.h"
#include "dma/syncobj.h"
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
#define A 0	/* the acting file */
#define VA (32 * MiB)
#define BO_SIZE (4 * MiB + 8192)

struct sweep;

struct sctx {
	struct rel_world w;
	const struct sweep *s;
	uint32_t vm, bo, bo2, syncobj, made;
	int prime_fd;
	bool mapped;
};

/* ---------------------------------------------------------------- helpers */

/*
 * Wait for @h's fence without an allocation (SYNCOBJ_WAIT copies its handle
 * array in, which the sweep would fail): observing completion must not
 * consume the sweep's allocation points.
 */
static int wait_syncobj(struct sctx *c, uint32_t h)
{
	struct drm_syncobj *s = panthor_file_syncobj_lookup(pantomime_debug_pfile(c->w.f[A].file), h);
	struct dma_fence *f;

	T_ASSERT_NOT_NULL(s);
	f = drm_syncobj_fence_get(s);
	T_ASSERT_NOT_NULL(f);
	dma_fence_wait(f, false);
	dma_fence_put(f);
	T_ASSERT_OK(drm_syncobj_validate(s));
	drm_syncobj_put(s);
	return 0;
}

static void reset_syncobj(struct sctx *c, uint32_t h)
{
	struct drm_syncobj_array a = { .handles = (uintptr_t)&h, .count_handles = 1 };

	T_ASSERT_OK(rel_ioctl(&c->w, A, DRM_IOCTL_SYNCOBJ_RESET, &a));
}

static uint32_t new_syncobj(struct sctx *c)
{
	struct drm_syncobj_create sc = { 0 };

	T_ASSERT_OK(rel_ioctl(&c->w, A, DRM_IOCTL_SYNCOBJ_CREATE, &sc));
	return sc.handle;
}

/* The GPU sees pattern @tag of the BO at @bo_off through @va. */
static void expect_gpu(struct sctx *c, uint64_t va, uint32_t tag, uint64_t bo_off)
{
	uint64_t v = 0;

	T_ASSERT_OK(rel_gpu_read(&c->w, A, c->vm, va, &v));
	T_ASSERT_EQ_U64(v, rel_word(tag, bo_off));
}

static int destroy_syncobj(struct sctx *c, uint32_t h)
{
	struct drm_syncobj_destroy d = { .handle = h };

	return rel_ioctl(&c->w, A, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
}

static struct panthor_device *ptdev_of(struct sctx *c)
{
	return pantomime_debug_ptdev(c->w.dev);
}

static bool bo_evicted(struct sctx *c, uint32_t h)
{
	struct panthor_gem_object *bo =
		panthor_file_bo_lookup(pantomime_debug_pfile(c->w.f[A].file), h);
	bool ev;

	T_ASSERT_NOT_NULL(bo);
	ev = panthor_gem_is_evicted(bo);
	panthor_gem_put(bo);
	return ev;
}

/*
 * Caches that outlive an operation by design, built before a sweep so its
 * baseline holds them: a BO's device sg table (built at its first GPU map
 * and kept with its pages, as upstream) and the reservation objects' fence
 * slots (dma_resv keeps its fence list's capacity), through one async map
 * and unmap of the BO at a VA no row uses.
 */
static void warm_bo(struct sctx *c, uint32_t bo, uint64_t size)
{
	uint32_t s = new_syncobj(c);

	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, MAP, bo, 0, 1024 * MiB, size, true, s));
	T_ASSERT_OK(wait_syncobj(c, s));
	reset_syncobj(c, s);
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, UNMAP, 0, 0, 1024 * MiB, size, true, s));
	T_ASSERT_OK(wait_syncobj(c, s));
	T_ASSERT_OK(destroy_syncobj(c, s));
}

/* Setup shared by the bind rows: a VM and a BO holding pattern 7. */
static void setup_vm_bo(struct sctx *c)
{
	c->vm = rel_vm_create(&c->w, A);
	c->bo = rel_bo_create(&c->w, A, BO_SIZE, 0, 0);
	rel_bo_write(&c->w, A, c->bo, BO_SIZE, 7);
	warm_bo(c, c->bo, BO_SIZE);
}

static void setup_mapped(struct sctx *c)
{
	setup_vm_bo(c);
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, MAP, c->bo, 0, VA, BO_SIZE, false, 0));
}

/* ---------------------------------------------------------------- rows */

/*
 * A CPU fault on a BO mapping that cannot allocate is a SIGBUS to the
 * faulting thread (the kernel's VM_FAULT_OOM/SIGBUS for a GEM mapping): the
 * way an injected failure reaches the user on this path. The handler leaves
 * the access; the mapping is not poisoned (the next touch faults again).
 */
static sigjmp_buf sigbus_jmp;
static volatile sig_atomic_t sigbus_seen;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	sigbus_seen++;
	siglongjmp(sigbus_jmp, 1);
}

/* Write and read back one word per page; Return: 0, or -ENOMEM after a SIGBUS. */
static int touch_pages(volatile uint64_t *p, uint64_t size, uint32_t tag)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO }, old;
	volatile int err = 0;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1) == 0) {
		for (uint64_t off = 0; off < size; off += 4096)
			p[off / 8] = rel_word(tag, off);
		for (uint64_t off = 0; off < size; off += 4096)
			if (p[off / 8] != rel_word(tag, off))
				err = -EIO;
	} else {
		err = -ENOMEM;
	}
	sigaction(SIGBUS, &old, NULL);
	T_ASSERT_NE_INT(err, -EIO);
	return err;
}

/* BO_CREATE, BO_MMAP_OFFSET, mmap, CPU faults on every page, munmap, GEM_CLOSE. */
static int bo_lifecycle_run(struct sctx *c)
{
	struct drm_panthor_bo_create cr = { .size = BO_SIZE };
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	void *out;
	int err;

	err = rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_BO_CREATE, &cr);
	if (err)
		return err;
	mo.handle = cr.handle;
	err = rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo);
	if (!err)
		err = pantomime_mmap(c->w.f[A].file, NULL, BO_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED, mo.offset, &out);
	if (!err) {
		err = touch_pages(out, BO_SIZE, 3);
		T_ASSERT_OK(pantomime_munmap(out, BO_SIZE));
	}
	T_ASSERT_OK(rel_gem_close(&c->w, A, cr.handle));
	return err;
}

static int vm_create_run(struct sctx *c)
{
	struct drm_panthor_vm_create cr = { 0 };
	int err = rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_VM_CREATE, &cr);

	c->made = cr.id;
	return err;
}

static void vm_create_undo(struct sctx *c)
{
	struct drm_panthor_vm_destroy d = { .id = c->made };

	T_ASSERT_OK(rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_VM_DESTROY, &d));
}

static int map_run(struct sctx *c)
{
	int err = rel_bind(&c->w, A, c->vm, MAP, c->bo, 0, VA, BO_SIZE, false, 0);

	if (!err) {
		expect_gpu(c, VA, 7, 0);
		expect_gpu(c, VA + BO_SIZE - 8, 7, BO_SIZE - 8);
	}
	return err;
}

static void unmap_all_undo(struct sctx *c)
{
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, UNMAP, 0, 0, VA, BO_SIZE, false, 0));
}

/* Unmap 2 MiB from the middle: both 2 MiB blocks split into page tables. */
static int unmap_split_run(struct sctx *c)
{
	int err = rel_bind(&c->w, A, c->vm, UNMAP, 0, 0, VA + MiB, 2 * MiB, false, 0);

	if (!err)
		expect_gpu(c, VA + 3 * MiB, 7, 3 * MiB);
	return err;
}

/* Back to one VA over the whole BO (split VAs are not merged again, as drm_gpuvm). */
static void remap_whole(struct sctx *c)
{
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, UNMAP, 0, 0, VA, BO_SIZE, false, 0));
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, MAP, c->bo, 0, VA, BO_SIZE, false, 0));
	expect_gpu(c, VA + MiB, 7, MiB);
}

static void unmap_split_undo(struct sctx *c)
{
	remap_whole(c);
}

static void remap_setup(struct sctx *c)
{
	setup_mapped(c);
	c->bo2 = rel_bo_create(&c->w, A, 2 * MiB, 0, 0);
	rel_bo_write(&c->w, A, c->bo2, 2 * MiB, 8);
	warm_bo(c, c->bo2, 2 * MiB);
}

/* MAP over the middle of an existing mapping (remap: split + new VA). */
static int remap_run(struct sctx *c)
{
	int err = rel_bind(&c->w, A, c->vm, MAP, c->bo2, 4096, VA + MiB + 4096, MiB, false, 0);

	if (!err) {
		expect_gpu(c, VA + MiB + 4096, 8, 4096);
		expect_gpu(c, VA, 7, 0);
	}
	return err;
}

static void remap_undo(struct sctx *c)
{
	remap_whole(c);
	expect_gpu(c, VA + MiB + 4096, 7, MiB + 4096);
}

/* Three MAP ops in one ioctl: a failure at op k leaves ops < k done (count written back). */
static int multi_run(struct sctx *c)
{
	struct drm_panthor_vm_bind_op ops[3];
	struct drm_panthor_vm_bind b = {
		.vm_id = c->vm,
		.ops = { .stride = sizeof(ops[0]), .count = 3, .array = (uintptr_t)ops },
	};
	int err;

	memset(ops, 0, sizeof(ops));
	for (int k = 0; k < 3; k++) {
		ops[k].flags = MAP;
		ops[k].bo_handle = c->bo;
		ops[k].bo_offset = (uint64_t)k * MiB;
		ops[k].va = 256 * MiB + (uint64_t)k * 64 * MiB;
		ops[k].size = 2 * MiB;
	}
	err = rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_VM_BIND, &b);
	if (!err)
		return 0;
	/*
	 * As panthor_ioctl_vm_bind_sync(): ops.count is the failing op's index,
	 * untouched (3) when the failure came before any op ran (array copy).
	 */
	c->made = b.ops.count == 3 ? 0 : b.ops.count;
	return err;
}

/* After a failure (injection off): ops before the failing one are done; take them back. */
static void multi_cleanup(struct sctx *c)
{
	for (uint64_t k = 0; k < c->made; k++) {
		expect_gpu(c, 256 * MiB + k * 64 * MiB + 8, 7, k * MiB + 8);
		T_ASSERT_OK(rel_bind(&c->w, A, c->vm, UNMAP, 0, 0, 256 * MiB + k * 64 * MiB,
				     2 * MiB, false, 0));
	}
	c->made = 0;
}

static void multi_undo(struct sctx *c)
{
	for (uint64_t k = 0; k < 3; k++) {
		expect_gpu(c, 256 * MiB + k * 64 * MiB + 8, 7, k * MiB + 8);
		T_ASSERT_OK(rel_bind(&c->w, A, c->vm, UNMAP, 0, 0, 256 * MiB + k * 64 * MiB,
				     2 * MiB, false, 0));
	}
}

/* The first sparse map of a file allocates its dummy: done in setup, so the sweep sees a steady state. */
static void sparse_setup(struct sctx *c)
{
	c->vm = rel_vm_create(&c->w, A);
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, SPARSE, 0, 0, 128 * MiB, 2 * MiB, false, 0));
}

static int sparse_run(struct sctx *c)
{
	int err = rel_bind(&c->w, A, c->vm, SPARSE, 0, 0, 512 * MiB, 8 * MiB + 4096, false, 0);

	if (!err) {
		uint64_t v;

		T_ASSERT_OK(rel_gpu_read(&c->w, A, c->vm, 512 * MiB + 8 * MiB, &v));
	}
	return err;
}

static void sparse_undo(struct sctx *c)
{
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, UNMAP, 0, 0, 512 * MiB, 8 * MiB + 4096, false, 0));
}

static void sparse_replace_setup(struct sctx *c)
{
	sparse_setup(c);
	c->bo = rel_bo_create(&c->w, A, 2 * MiB, 0, 0);
	rel_bo_write(&c->w, A, c->bo, 2 * MiB, 9);
	warm_bo(c, c->bo, 2 * MiB);
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, SPARSE, 0, 0, 512 * MiB, 8 * MiB, false, 0));
}

/* Real pages replace part of a sparse range (the vkQueueBindSparse case). */
static int sparse_replace_run(struct sctx *c)
{
	int err = rel_bind(&c->w, A, c->vm, MAP, c->bo, 0, 512 * MiB + MiB, 2 * MiB, false, 0);

	if (!err)
		expect_gpu(c, 512 * MiB + MiB + 8, 9, 8);
	return err;
}

static void sparse_replace_undo(struct sctx *c)
{
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, UNMAP, 0, 0, 512 * MiB, 8 * MiB, false, 0));
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, SPARSE, 0, 0, 512 * MiB, 8 * MiB, false, 0));
}

static void async_setup(struct sctx *c)
{
	setup_vm_bo(c);
	c->syncobj = new_syncobj(c);
}

static void async_mapped_setup(struct sctx *c)
{
	setup_mapped(c);
	c->syncobj = new_syncobj(c);
}

static void async_check(struct sctx *c)
{
	T_ASSERT_EQ_INT(rel_vm_state(&c->w, A, c->vm), DRM_PANTHOR_VM_STATE_USABLE);
}

static int async_map_run(struct sctx *c)
{
	int err = rel_bind(&c->w, A, c->vm, MAP, c->bo, 0, VA, BO_SIZE, true, c->syncobj);

	if (err)
		return err;
	T_ASSERT_OK(wait_syncobj(c, c->syncobj));
	expect_gpu(c, VA + 2 * MiB, 7, 2 * MiB);
	return 0;
}

static void async_map_undo(struct sctx *c)
{
	reset_syncobj(c, c->syncobj);
	unmap_all_undo(c);
}

static int async_unmap_run(struct sctx *c)
{
	int err = rel_bind(&c->w, A, c->vm, UNMAP, 0, 0, VA + MiB, 2 * MiB, true, c->syncobj);

	if (err)
		return err;
	T_ASSERT_OK(wait_syncobj(c, c->syncobj));
	expect_gpu(c, VA + 3 * MiB, 7, 3 * MiB);
	return 0;
}

static void async_unmap_undo(struct sctx *c)
{
	reset_syncobj(c, c->syncobj);
	remap_whole(c);
}

static void async_sparse_setup(struct sctx *c)
{
	sparse_setup(c);
	c->syncobj = new_syncobj(c);
}

static int async_sparse_run(struct sctx *c)
{
	int err = rel_bind(&c->w, A, c->vm, SPARSE, 0, 0, 512 * MiB, 6 * MiB, true, c->syncobj);

	if (err)
		return err;
	T_ASSERT_OK(wait_syncobj(c, c->syncobj));
	return 0;
}

static void async_sparse_undo(struct sctx *c)
{
	reset_syncobj(c, c->syncobj);
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, UNMAP, 0, 0, 512 * MiB, 6 * MiB, false, 0));
}

/* Eviction: a GPU-mapped BO goes to swap; the next job brings it back. */
/* One 2 MiB chunk and two single frames: both kinds of backing go to swap. */
#define EVICT_SIZE (2 * MiB + 8192)

static void evict_setup(struct sctx *c)
{
	c->vm = rel_vm_create(&c->w, A);
	c->bo = rel_bo_create(&c->w, A, EVICT_SIZE, 0, 0);
	rel_bo_write(&c->w, A, c->bo, EVICT_SIZE, 7);
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, MAP, c->bo, 0, VA, EVICT_SIZE, false, 0));
	expect_gpu(c, VA, 7, 0);
}

static int evict_run(struct sctx *c)
{
	/* Eviction reports no errno: a failed allocation leaves the BO resident. */
	panthor_gem_shrink(ptdev_of(c), 1ul << 20, true);
	return 0;
}

static void evict_undo(struct sctx *c)
{
	expect_gpu(c, VA + EVICT_SIZE - 8, 7, EVICT_SIZE - 8);
	T_ASSERT(!bo_evicted(c, c->bo));
	expect_gpu(c, VA, 7, 0);
}

/*
 * A BO under 2 MiB, so its backing is single frames whatever fails: with
 * 2 MiB chunks, a failed chunk allocation falls back to single frames and
 * the evicted BO's bookkeeping after the undo differs in layout (not in
 * what it holds) from the baseline's.
 */
#define RESTORE_SIZE (MiB + 8192)

static void restore_setup(struct sctx *c)
{
	c->vm = rel_vm_create(&c->w, A);
	c->bo = rel_bo_create(&c->w, A, RESTORE_SIZE, 0, 0);
	rel_bo_write(&c->w, A, c->bo, RESTORE_SIZE, 7);
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, MAP, c->bo, 0, VA, RESTORE_SIZE, false, 0));
	expect_gpu(c, VA, 7, 0);
	panthor_gem_shrink(ptdev_of(c), 1ul << 20, true);
	T_ASSERT(bo_evicted(c, c->bo));
}

static int restore_run(struct sctx *c)
{
	uint64_t v = 0;
	int err = rel_gpu_read(&c->w, A, c->vm, VA + MiB + 8, &v);

	if (err)
		return err;
	T_ASSERT_EQ_U64(v, rel_word(7, MiB + 8));
	return 0;
}

/*
 * A restore that failed after swapping the pages in leaves them resident
 * but not yet GPU-mapped, as upstream (the next job maps them). Finish it
 * with a job and evict again, as the undo of a successful run does: that is
 * the sweep's baseline.
 */
static void restore_undo(struct sctx *c)
{
	panthor_gem_shrink(ptdev_of(c), 1ul << 20, true);
	T_ASSERT(bo_evicted(c, c->bo));
}

static void restore_cleanup(struct sctx *c)
{
	if (!bo_evicted(c, c->bo)) {
		expect_gpu(c, VA + 8, 7, 8);
		restore_undo(c);
	}
	T_ASSERT(bo_evicted(c, c->bo));
}

/* Create, timeline signal, transfer, query, sync-file export/import, wait, destroy. */
static int syncobj_run(struct sctx *c)
{
	struct drm_syncobj_create c1 = { 0 }, c2 = { .flags = DRM_SYNCOBJ_CREATE_SIGNALED };
	uint64_t point = 5;
	struct drm_syncobj_timeline_array ta = { .count_handles = 1 };
	struct drm_syncobj_transfer tr = { .src_point = 5, .dst_point = 1 };
	struct drm_syncobj_handle h = { .flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
					.fd = -1 };
	struct drm_syncobj_timeline_wait tw = { .count_handles = 1, .timeout_nsec = INT64_MAX };
	int err;

	err = rel_ioctl(&c->w, A, DRM_IOCTL_SYNCOBJ_CREATE, &c1);
	if (err)
		return err;
	err = rel_ioctl(&c->w, A, DRM_IOCTL_SYNCOBJ_CREATE, &c2);
	if (err)
		goto out1;
	ta.handles = (uintptr_t)&c1.handle;
	ta.points = (uintptr_t)&point;
	err = rel_ioctl(&c->w, A, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &ta);
	if (err)
		goto out2;
	tr.src_handle = c1.handle;
	tr.dst_handle = c2.handle;
	err = rel_ioctl(&c->w, A, DRM_IOCTL_SYNCOBJ_TRANSFER, &tr);
	if (err)
		goto out2;
	point = 0;
	ta.handles = (uintptr_t)&c2.handle;
	err = rel_ioctl(&c->w, A, DRM_IOCTL_SYNCOBJ_QUERY, &ta);
	if (err)
		goto out2;
	T_ASSERT_EQ_U64(point, 1);
	h.handle = c2.handle;
	err = rel_ioctl(&c->w, A, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h);
	if (err)
		goto out2;
	h.handle = c1.handle;
	h.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE;
	err = rel_ioctl(&c->w, A, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &h);
	if (err)
		goto out2;
	point = 0;	/* the imported fence replaced the timeline: a binary wait */
	tw.handles = (uintptr_t)&c1.handle;
	tw.points = (uintptr_t)&point;
	err = rel_ioctl(&c->w, A, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &tw);
out2:
	T_ASSERT_OK(destroy_syncobj(c, c2.handle));
out1:
	T_ASSERT_OK(destroy_syncobj(c, c1.handle));
	if (h.fd >= 0)
		close(h.fd);
	sync_file_gc();
	return err;
}

/* The handle table keeps its capacity (an idr): grow it before the sweep. */
static void syncobj_setup(struct sctx *c)
{
	uint32_t h[4];

	for (int i = 0; i < 4; i++)
		h[i] = new_syncobj(c);
	for (int i = 0; i < 4; i++)
		T_ASSERT_OK(destroy_syncobj(c, h[i]));
}

/* A whole file: open, VM, BO, map, sparse map, syncobj, mmap offset, close. */
static int file_run(struct sctx *c)
{
	struct pantomime_file *f;
	struct drm_panthor_vm_create vc = { 0 };
	struct drm_panthor_bo_create bc = { .size = 2 * MiB + 4096 };
	struct drm_syncobj_create sc = { 0 };
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	struct drm_panthor_vm_bind_op op = { 0 };
	struct drm_panthor_vm_bind b = { .ops = { .stride = sizeof(op), .count = 1,
						  .array = (uintptr_t)&op } };
	int err;

	err = pantomime_file_open(c->w.dev, true, &f);
	if (err)
		return err;
	err = pantomime_ioctl(f, DRM_IOCTL_PANTHOR_VM_CREATE, &vc);
	if (!err)
		err = pantomime_ioctl(f, DRM_IOCTL_PANTHOR_BO_CREATE, &bc);
	if (!err) {
		b.vm_id = vc.id;
		op.flags = MAP;
		op.bo_handle = bc.handle;
		op.va = VA;
		op.size = bc.size;
		err = pantomime_ioctl(f, DRM_IOCTL_PANTHOR_VM_BIND, &b);
	}
	if (!err) {
		op.flags = SPARSE;
		op.bo_handle = 0;
		op.va = 256 * MiB;
		op.size = 4 * MiB;
		err = pantomime_ioctl(f, DRM_IOCTL_PANTHOR_VM_BIND, &b);
	}
	if (!err)
		err = pantomime_ioctl(f, DRM_IOCTL_SYNCOBJ_CREATE, &sc);
	if (!err) {
		mo.handle = bc.handle;
		err = pantomime_ioctl(f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo);
	}
	pantomime_file_close(f);
	return err;
}

static int label_run(struct sctx *c)
{
	struct drm_panthor_bo_set_label l = { .handle = c->bo, .label = (uintptr_t)"witness" };

	return rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l);
}

static void label_undo(struct sctx *c)
{
	struct drm_panthor_bo_set_label l = { .handle = c->bo };

	T_ASSERT_OK(rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l));
}

static void label_setup(struct sctx *c)
{
	c->bo = rel_bo_create(&c->w, A, 4096, 0, 0);
}

static void vm_only_setup(struct sctx *c)
{
	c->vm = rel_vm_create(&c->w, A);
}

/* A BO private to a VM (it shares the VM's reservation), mapped there. */
static int exclusive_run(struct sctx *c)
{
	struct drm_panthor_bo_create cr = { .size = 2 * MiB, .exclusive_vm_id = c->vm };
	int err = rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_BO_CREATE, &cr);

	if (err)
		return err;
	err = rel_bind(&c->w, A, c->vm, MAP, cr.handle, 0, VA, 2 * MiB, false, 0);
	if (err) {
		T_ASSERT_OK(rel_gem_close(&c->w, A, cr.handle));
		return err;
	}
	c->made = cr.handle;
	return 0;
}

static void exclusive_undo(struct sctx *c)
{
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, UNMAP, 0, 0, VA, 2 * MiB, false, 0));
	T_ASSERT_OK(rel_gem_close(&c->w, A, c->made));
}

/* ---------------------------------------------------------------- groups */

#define CS_MOVE48(d, imm) ((0x01ull << 56) | ((uint64_t)(d) << 48) | ((imm) & 0xffffffffffffull))
#define CS_MOVE32(r, imm) ((0x02ull << 56) | ((uint64_t)(r) << 48) | (uint32_t)(imm))
#define CS_STORE(base, addr, mask) \
	((0x15ull << 56) | ((uint64_t)(base) << 48) | ((uint64_t)(addr) << 40) | ((uint64_t)(mask) << 16))
#define VA_CODE (48 * MiB)
#define VA_DATA (49 * MiB)

/* A VM with a code BO whose stream stores a word into a data BO, and a syncobj. */
static void group_setup(struct sctx *c)
{
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	uint64_t *cp;
	void *out;

	c->vm = rel_vm_create(&c->w, A);
	c->bo = rel_bo_create(&c->w, A, 4096, 0, 0);
	c->bo2 = rel_bo_create(&c->w, A, 4096, 0, 0);
	mo.handle = c->bo;
	T_ASSERT_OK(rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo));
	T_ASSERT_OK(pantomime_mmap(c->w.f[A].file, NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
				   mo.offset, &out));
	cp = out;
	cp[0] = CS_MOVE48(0, VA_DATA + 0x80);
	cp[1] = CS_MOVE32(4, 0xcafef00d);
	cp[2] = CS_STORE(4, 0, 1);
	T_ASSERT_OK(pantomime_munmap(out, 4096));
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, MAP, c->bo, 0, VA_CODE, 4096, false, 0));
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, MAP, c->bo2, 0, VA_DATA, 4096, false, 0));
	c->syncobj = new_syncobj(c);
}

/* GROUP_CREATE, GROUP_SUBMIT of the stream (signalling the syncobj), the store, GROUP_DESTROY. */
static int group_run(struct sctx *c)
{
	struct drm_panthor_dev_query q = { .type = DRM_PANTHOR_DEV_QUERY_GPU_INFO };
	struct drm_panthor_gpu_info gi = { 0 };
	struct drm_panthor_queue_create qc = { .ringbuf_size = 4096 };
	struct drm_panthor_group_create gc = { 0 };
	struct drm_panthor_sync_op sig = {
		.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
		.handle = c->syncobj,
	};
	struct drm_panthor_queue_submit qs = {
		.stream_size = 24, .stream_addr = VA_CODE,
		.syncs = { .stride = sizeof(sig), .count = 1, .array = (uintptr_t)&sig },
	};
	struct drm_panthor_group_submit gs = {
		.queue_submits = { .stride = sizeof(qs), .count = 1, .array = (uintptr_t)&qs },
	};
	struct drm_panthor_group_destroy gd = { 0 };
	int err;

	q.size = sizeof(gi);
	q.pointer = (uintptr_t)&gi;
	T_ASSERT_OK(rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	gc.queues = (struct drm_panthor_obj_array){ .stride = sizeof(qc), .count = 1,
						    .array = (uintptr_t)&qc };
	gc.max_compute_cores = 1;
	gc.max_fragment_cores = 1;
	gc.max_tiler_cores = 1;
	gc.compute_core_mask = gi.shader_present;
	gc.fragment_core_mask = gi.shader_present;
	gc.tiler_core_mask = gi.tiler_present;
	gc.vm_id = c->vm;
	err = rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_GROUP_CREATE, &gc);
	if (err)
		return err;
	gs.group_handle = gc.group_handle;
	err = rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gs);
	if (!err) {
		uint64_t v = 0;

		T_ASSERT_OK(wait_syncobj(c, c->syncobj));
		T_ASSERT_OK(rel_gpu_read(&c->w, A, c->vm, VA_DATA + 0x80, &v));
		T_ASSERT_EQ_U64(v & 0xffffffffu, 0xcafef00d);
	}
	gd.group_handle = gc.group_handle;
	T_ASSERT_OK(rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &gd));
	return err;
}

/* The store is seen again next time: clear it, and the syncobj. */
static void group_undo(struct sctx *c)
{
	reset_syncobj(c, c->syncobj);
	T_ASSERT_OK(rel_gpu_write(&c->w, A, c->vm, VA_DATA + 0x80, 0));
}

/* ---------------------------------------------------------------- dma-buf, syncobj fds */

static void prime_setup(struct sctx *c)
{
	c->prime_fd = -1;
	c->bo = rel_bo_create(&c->w, A, 2 * MiB, 0, 0);
	rel_bo_write(&c->w, A, c->bo, 2 * MiB, 5);
}

/*
 * PRIME export from file 0, import into file 1, map there, the GPU of file 1
 * reads file 0's bytes. What it made is taken apart by prime_teardown()
 * (an unmap allocates: not inside a sweep run).
 */
static int prime_run(struct sctx *c)
{
	struct drm_prime_handle ex = { .handle = c->bo, .flags = DRM_CLOEXEC | DRM_RDWR, .fd = -1 };
	struct drm_prime_handle im = { 0 };
	uint64_t v = 0;
	int err;

	err = rel_ioctl(&c->w, A, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ex);
	if (err)
		return err;
	c->prime_fd = ex.fd;
	im.fd = ex.fd;
	err = rel_ioctl(&c->w, 1, DRM_IOCTL_PRIME_FD_TO_HANDLE, &im);
	if (err)
		return err;
	c->made = im.handle;
	err = rel_bind(&c->w, 1, c->w.f[1].vm, MAP, im.handle, 0, 64 * MiB, 2 * MiB, false, 0);
	if (err)
		return err;
	c->mapped = true;
	T_ASSERT_OK(rel_gpu_read(&c->w, 1, c->w.f[1].vm, 64 * MiB + MiB, &v));
	T_ASSERT_EQ_U64(v, rel_word(5, MiB));
	return 0;
}

static void prime_teardown(struct sctx *c)
{
	if (c->mapped)
		T_ASSERT_OK(rel_bind(&c->w, 1, c->w.f[1].vm, UNMAP, 0, 0, 64 * MiB, 2 * MiB, false,
				     0));
	if (c->made)
		T_ASSERT_OK(rel_gem_close(&c->w, 1, c->made));
	if (c->prime_fd >= 0)
		close(c->prime_fd);
	dma_buf_gc();
	c->mapped = false;
	c->made = 0;
	c->prime_fd = -1;
}

static void syncobj_fd_setup(struct sctx *c)
{
	c->syncobj = new_syncobj(c);
}

/* A syncobj as a file descriptor: export from file 0, import into file 1, signal there, seen here. */
static int syncobj_fd_run(struct sctx *c)
{
	struct drm_syncobj_handle ex = { .handle = c->syncobj, .fd = -1 };
	struct drm_syncobj_handle im = { 0 };
	struct drm_syncobj_array sa = { .count_handles = 1 };
	struct drm_syncobj_destroy d = { 0 };
	int err;

	err = rel_ioctl(&c->w, A, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &ex);
	if (err)
		return err;
	im.fd = ex.fd;
	err = rel_ioctl(&c->w, 1, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &im);
	if (!err) {
		sa.handles = (uintptr_t)&im.handle;
		err = rel_ioctl(&c->w, 1, DRM_IOCTL_SYNCOBJ_SIGNAL, &sa);
		if (!err)
			T_ASSERT_OK(wait_syncobj(c, c->syncobj));
		d.handle = im.handle;
		T_ASSERT_OK(rel_ioctl(&c->w, 1, DRM_IOCTL_SYNCOBJ_DESTROY, &d));
	}
	close(ex.fd);
	sync_file_gc();
	return err;
}

static void syncobj_fd_undo(struct sctx *c)
{
	reset_syncobj(c, c->syncobj);
}

/* ---------------------------------------------------------------- tiler heaps */

/* TILER_HEAP_CREATE with two initial 128 KiB chunks (kernel BOs in the VM's kernel VA), then DESTROY. */
static int heap_run(struct sctx *c)
{
	struct drm_panthor_tiler_heap_create hc = {
		.vm_id = c->vm, .initial_chunk_count = 2, .chunk_size = 128u << 10, .max_chunks = 8,
		.target_in_flight = 1,
	};
	struct drm_panthor_tiler_heap_destroy hd = { 0 };
	int err = rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, &hc);

	if (err)
		return err;
	T_ASSERT_NE_U64(hc.tiler_heap_ctx_gpu_va, 0);
	hd.handle = hc.handle;
	T_ASSERT_OK(rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, &hd));
	return 0;
}

/* ---------------------------------------------------------------- the table */

/* GROUP_SUBMIT of a stream that stores a word, signalling a syncobj (a group made in setup). */
#define GROUP_VA (512 * MiB)

static int group_submit_run(struct sctx *c)
{
	struct drm_panthor_sync_op sig = {
		.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
		.handle = c->syncobj,
	};
	struct drm_panthor_queue_submit qs = {
		.stream_size = 24, .stream_addr = GROUP_VA,
		.syncs = { .stride = sizeof(sig), .count = 1, .array = (uintptr_t)&sig },
	};
	struct drm_panthor_group_submit gs = {
		.group_handle = c->made,
		.queue_submits = { .stride = sizeof(qs), .count = 1, .array = (uintptr_t)&qs },
	};
	uint64_t v = 0;
	int err;

	err = rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gs);
	if (err)
		return err;
	T_ASSERT_OK(wait_syncobj(c, c->syncobj));
	T_ASSERT_OK(rel_gpu_read(&c->w, A, c->vm, GROUP_VA + 0x800, &v));
	T_ASSERT_EQ_U64(v, 0x5eedull);
	return 0;
}

static void group_submit_undo(struct sctx *c)
{
	reset_syncobj(c, c->syncobj);
}

static void group_submit_setup(struct sctx *c)
{
	struct drm_panthor_queue_create qc = { .ringbuf_size = 4096 };
	struct drm_panthor_group_create gc = {
		.queues = { .stride = sizeof(qc), .count = 1, .array = (uintptr_t)&qc },
	};
	/* MOVE48 d0 = GROUP_VA + 0x800; MOVE32 r2 = 0x5eed; STORE_MULTIPLE r2 -> [d0]. */
	const uint64_t insn[] = {
		(0x01ull << 56) | (GROUP_VA + 0x800),
		(0x02ull << 56) | (2ull << 48) | 0x5eed,
		(0x15ull << 56) | (2ull << 48) | (1ull << 16),
	};

	c->vm = rel_vm_create(&c->w, A);
	c->bo = rel_bo_create(&c->w, A, 4096, 0, 0);
	T_ASSERT_OK(rel_bind(&c->w, A, c->vm, MAP, c->bo, 0, GROUP_VA, 4096, false, 0));
	for (unsigned int i = 0; i < 3; i++)
		T_ASSERT_OK(rel_gpu_write(&c->w, A, c->vm, GROUP_VA + 8 * i, insn[i]));
	gc.vm_id = c->vm;
	T_ASSERT_OK(rel_ioctl(&c->w, A, DRM_IOCTL_PANTHOR_GROUP_CREATE, &gc));
	c->made = gc.group_handle;
	c->syncobj = new_syncobj(c);
	/* A first job, so that the queue and the resvs already hold a job fence. */
	T_ASSERT_OK(group_submit_run(c));
	group_submit_undo(c);
}

/**
 * struct sweep - one scenario.
 * @name: the test case's name.
 * @setup: builds the starting state outside the sweep (may be NULL).
 * @run: the operation; 0 or the errno its first failing call returned.
 * @undo: back to the starting state after a successful @run (may be NULL).
 * @check: extra invariant after every run (may be NULL).
 * @swap: swap bytes of the device (eviction rows).
 * @cleanup: after a failed @run, with injection off and before the checks:
 *           take back what the operation's semantics leave done after a
 *           failure (the ops a multi-op bind completed before the failing
 *           one); may be NULL.
 */
struct sweep {
	const char *name;
	void (*setup)(struct sctx *c);
	int (*run)(struct sctx *c);
	void (*undo)(struct sctx *c);
	void (*check)(struct sctx *c);
	uint64_t swap;
	void (*cleanup)(struct sctx *c);
};

static const struct sweep sweeps[] = {
	{ "reliability/sweep/bo-create-mmap-fault-close", NULL, bo_lifecycle_run, NULL, NULL, 0, NULL },
	{ "reliability/sweep/bo-set-label", label_setup, label_run, label_undo, NULL, 0, NULL },
	{ "reliability/sweep/bo-exclusive-vm", vm_only_setup, exclusive_run, exclusive_undo, NULL, 0, NULL },
	{ "reliability/sweep/vm-create", NULL, vm_create_run, vm_create_undo, NULL, 0, NULL },
	{ "reliability/sweep/bind-map", setup_vm_bo, map_run, unmap_all_undo, NULL, 0, NULL },
	{ "reliability/sweep/bind-unmap-split", setup_mapped, unmap_split_run, unmap_split_undo,
	  NULL, 0, NULL },
	{ "reliability/sweep/bind-remap", remap_setup, remap_run, remap_undo, NULL, 0, NULL },
	{ "reliability/sweep/bind-multi-op", setup_vm_bo, multi_run, multi_undo, NULL, 0,
	  multi_cleanup },
	{ "reliability/sweep/bind-sparse", sparse_setup, sparse_run, sparse_undo, NULL, 0, NULL },
	{ "reliability/sweep/bind-sparse-replace", sparse_replace_setup, sparse_replace_run,
	  sparse_replace_undo, NULL, 0, NULL },
	{ "reliability/sweep/bind-async-map", async_setup, async_map_run, async_map_undo,
	  async_check, 0, NULL },
	{ "reliability/sweep/bind-async-unmap-split", async_mapped_setup, async_unmap_run,
	  async_unmap_undo, async_check, 0, NULL },
	{ "reliability/sweep/bind-async-sparse", async_sparse_setup, async_sparse_run,
	  async_sparse_undo, async_check, 0, NULL },
	{ "reliability/sweep/evict", evict_setup, evict_run, evict_undo, NULL, 64 * MiB, NULL },
	{ "reliability/sweep/restore", restore_setup, restore_run, restore_undo, NULL, 64 * MiB,
	  restore_cleanup },
	{ "reliability/sweep/syncobj", syncobj_setup, syncobj_run, NULL, NULL, 0, NULL },
	{ "reliability/sweep/group-submit", group_submit_setup, group_submit_run, group_submit_undo,
	  NULL, 0, NULL },
	{ "reliability/sweep/file-open-use-close", NULL, file_run, NULL, NULL, 0, NULL },
	{ "reliability/sweep/group-create-submit-destroy", group_setup, group_run, group_undo, NULL,
	  0, NULL },
	{ "reliability/sweep/prime-export-import-map", prime_setup, prime_run, prime_teardown, NULL,
	  0, prime_teardown },
	{ "reliability/sweep/tiler-heap-create-destroy", vm_only_setup, heap_run, NULL, NULL, 0,
	  NULL },
	{ "reliability/sweep/syncobj-fd-export-import", syncobj_fd_setup, syncobj_fd_run,
	  syncobj_fd_undo, NULL, 0, NULL },
};

static int loop_run(void *arg)
{
	struct sctx *c = arg;

	return c->s->run(c);
}

/*
 * Deferred work that frees memory later by design: finished bind jobs (a
 * cleanup thread) and vm_bo references dropped on the eviction path (put
 * deferred, released by the VM's next op). Let both happen before counting:
 * an unmap of an empty range is such an op.
 */
static void settle(struct sctx *c)
{
	panthor_mmu_wait_cleanup(ptdev_of(c));
	T_ASSERT_OK(rel_bind(&c->w, A, c->w.f[A].vm, UNMAP, 0, 0, 3ull << 30, 4096, false, 0));
	if (c->vm)
		T_ASSERT_OK(rel_bind(&c->w, A, c->vm, UNMAP, 0, 0, 3ull << 30, 4096, false, 0));
}

static void loop_undo(void *arg)
{
	struct sctx *c = arg;

	if (c->s->undo)
		c->s->undo(c);
	settle(c);
	/*
	 * End as a check does (its GPU reads leave their job fences in the
	 * witness VMs' reservations until the next job replaces them), so a
	 * run that is undone and one that failed are counted alike.
	 */
	rel_world_check(&c->w);
}

static void loop_check(void *arg)
{
	struct sctx *c = arg;

	if (c->s->cleanup)
		c->s->cleanup(c);
	settle(c);

	rel_world_check(&c->w);
	if (c->s->check)
		c->s->check(c);
}

/* Frames and swap slots: both must come back after a failure. */
static long loop_resources(void *arg)
{
	struct sctx *c = arg;
	struct mm_budget_stats st;

	mm_budget_stats(ptdev_of(c)->budget, &st);
	return rel_frames(&c->w) + (long)(st.swap_used << 24);
}

static void run_sweep(const void *arg)
{
	const struct t_fault_loop_ops ops = {
		.run = loop_run, .undo = loop_undo, .check = loop_check, .resources = loop_resources,
	};
	struct sctx c;
	unsigned long transient, persistent;

	memset(&c, 0, sizeof(c));
	c.s = arg;
	rel_world_init(&c.w, 64 * MiB, c.s->swap);
	if (c.s->setup)
		c.s->setup(&c);
	/*
	 * One clean run and undo first: caches that outlive an operation by
	 * design (resv fence slots, a BO's sg table, handle-table capacity)
	 * are then part of the baseline.
	 */
	T_ASSERT_OK(c.s->run(&c));
	loop_undo(&c);
	transient = t_fault_loop(&ops, &c, false);
	persistent = t_fault_loop(&ops, &c, true);
	T_ASSERT_GT_INT(transient, 0);
	T_ASSERT_GT_INT(persistent, 0);
	t_note("%s: %lu allocation points (transient), %lu (persistent)", c.s->name, transient,
	       persistent);
	rel_world_fini(&c.w);
}

__attribute__((constructor)) static void register_sweeps(void)
{
	for (size_t i = 0; i < sizeof(sweeps) / sizeof(sweeps[0]); i++)
		t_register_arg(sweeps[i].name, run_sweep, &sweeps[i]);
}
