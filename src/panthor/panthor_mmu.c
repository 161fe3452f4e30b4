// SPDX-License-Identifier: MIT
/*
 * DOC: GPU VMs, address spaces, and atomic page-table updates
 *
 * A VM is a gpuvm (the VA tree and split/merge), a pgtable (ARM64 LPAE
 * stage-1, 4 KiB pages and 2 MiB blocks) and, while the GPU may use it, an
 * address space (AS) slot. Everything a bind op changes is changed under
 * the VM's op lock, inside a region locked in the MMU:
 *
 *   prepare (ioctl context; may allocate, may fail, takes resv locks)
 *     validate the op; reserve VMAs (3 for a map, 2 for an unmap); pin the
 *     BO and get its sg table; reserve page-table frames from the pool of
 *     pre-zeroed frames: one per 512 GiB, 1 GiB and 2 MiB slot touched
 *     (2 MiB slots only where the mapping will use 4 KiB pages);
 *   execute (no allocation: u_alloc_forbid; on the fence-signalling path
 *   for async binds)
 *     op_lock
 *     panthor_vm_lock_region(op range)       LOCK: GPU accesses there stall
 *     gpuvm_sm_map / gpuvm_sm_unmap  ──► sm_step_unmap / _remap / _map
 *        unmap_pages / map_pages: page-table stores only, no flush; each
 *        asserts it stays inside the locked region; a remap that must
 *        split a 2 MiB block widens the region first (the union, still
 *        one LOCK that contains the old region)
 *     panthor_vm_unlock_region()             GPU cache flush, then UNLOCK:
 *        the TLB entries of the region are dropped and stalled accesses
 *        resume with the new translations
 *     op_lock released
 *   cleanup (ioctl context or the cleanup thread)
 *     unused frames back to the pool, unused VMAs freed, BO unpinned.
 *
 * This is the "atomic page-table updates" generation of panthor (reference
 * §2.6 item 3, seed 000): a GPU access inside the range either completed
 * before LOCK (old translation) or waits until UNLOCK (new translation),
 * so a sparse resource whose dummy pages are replaced by real ones shows
 * the GPU the old page or the new one, never a hole. The earlier design,
 * one lock + flush per map_pages/unmap_pages call, is what upstream moved
 * away from: it lets a GPU access that falls between the unmap and the map
 * of a replacement find no translation at all and fault (the no-lock build
 * of the atomicity test shows exactly that).
 *
 * A VM without an AS only records the region: no AS translates its tables.
 * panthor_vm_active() takes the op lock, so a VM is never given an AS in
 * the middle of an op (upstream's answer to the review of v4: re-issuing
 * LOCK on activation was rejected). A VM whose slot is stolen in the middle
 * of an op is unlocked by the AS disable, and finishes the op without one.
 *
 * Address spaces: AS 0 belongs to the MCU VM; user VMs take the lowest free
 * slot, else the slot of the least recently idle VM (LRU of VMs with a slot
 * and no user), else -EBUSY. An idle VM keeps its slot until someone needs
 * it, which saves re-programming and TLB flushes.
 *
 * Page tables come from a device-wide pool of zeroed frames. A table the
 * page-table library frees because it became empty is all zeros (its entry
 * count is 0), so it goes straight back to the pool; any other freed table
 * goes back to the buddy allocator, which zeroes on the next allocation.
 * Neither the prepare nor the execute half of a bind zeroes a frame unless
 * the pool is empty.
 *
 * Async binds: one bind queue and worker thread per VM. Jobs are prepared
 * in the ioctl (op context, dependencies resolved to fences, timeline
 * chains allocated), armed and queued in order under the VM's resv, and
 * their fences published to the VM resv (BOOKKEEP) and the signal syncobjs
 * at submit time. The worker waits for a job's dependencies, then executes
 * it inside dma_fence_begin/end_signalling() and signals its fence; a
 * failure there makes the VM unusable and disables its AS. Cleanup (which
 * takes resv locks) runs on a separate device-wide thread, as upstream
 * defers it to a workqueue: the worker may not block on a resv that a
 * thread waiting for its fences holds.
 */
#include "panthor/panthor_mmu.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dma/dma_fence.h"
#include "dma/dma_fence_chain.h"
#include "dma/drm_exec.h"
#include "dma/syncobj.h"
#include "gpuvm/gpuvm.h"
#include "panthor/panthor_file.h"
#include "panthor/panthor_gem.h"
#include "panthor/panthor_heap.h"
#include "panthor/panthor_gpu.h"
#include "panthor/panthor_regs.h"
#include "panthor/panthor_syncs.h"
#include "uapi/drm/panthor_drm.h"
#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_log.h"
#include "util/u_trace.h"

#define MOD "panthor"

/* The map flags a VMA keeps. */
#define PANTHOR_VM_MAP_FLAGS \
	((uint32_t)(DRM_PANTHOR_VM_BIND_OP_MAP_READONLY | DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC | \
		    DRM_PANTHOR_VM_BIND_OP_MAP_UNCACHED))
#define PANTHOR_VM_BIND_OP_MAP_FLAGS \
	(PANTHOR_VM_MAP_FLAGS | (uint32_t)DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE)
#define OP_TYPE_MASK   ((uint32_t)DRM_PANTHOR_VM_BIND_OP_TYPE_MASK)
#define OP_TYPE_MAP    ((uint32_t)DRM_PANTHOR_VM_BIND_OP_TYPE_MAP)
#define OP_TYPE_UNMAP  ((uint32_t)DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP)
#define OP_TYPE_SYNC_ONLY ((uint32_t)DRM_PANTHOR_VM_BIND_OP_TYPE_SYNC_ONLY)

#define SZ_512G (512ull << 30)

/* MMU_INT bits 0..15 are page faults; 16..31 are never enabled. */
#define PANTHOR_MMU_FAULT_MASK 0xffffu

/* io-pgtable's stage-1 MAIR: NC at index 0, WBRWA at 1, device at 2, outer-WB/inner-NC at 3. */
#define ARM_LPAE_S1_MAIR 0xf404ff44ull

/* Clean frames the page-table pool keeps at most (1 MiB). */
#define PT_POOL_MAX 256u
/* Page-table frames an op context holds without a separate allocation. */
#define OP_CTX_INLINE_PTS 8u
/* How often a bind worker waiting for a dependency looks for VM destruction. */
#define DEP_WAIT_SLICE_NS 10000000ll

static U_LOCK_CLASS(panthor_vm_op_lock_class, "panthor_vm_op_lock");
static U_LOCK_CLASS(panthor_vm_restore_class, "panthor_vm_restore");
static U_LOCK_CLASS(panthor_vm_heaps_class, "panthor_vm_heaps");
static U_LOCK_CLASS(panthor_mmu_slots_class, "panthor_mmu_slots");
static U_LOCK_CLASS(panthor_pt_pool_class, "panthor_pt_pool");
static U_LOCK_CLASS(panthor_vm_kernel_va_class, "panthor_vm_kernel_va");
static U_LOCK_CLASS(panthor_vm_bind_queue_class, "panthor_vm_bind_queue");
static U_LOCK_CLASS(panthor_vm_pool_class, "panthor_vm_pool");
static U_LOCK_CLASS(panthor_mmu_cleanup_class, "panthor_mmu_cleanup");

/**
 * struct panthor_vma - one mapping: the gpuva plus panthor's flags.
 * @base: the gpuva (range, backing, tree node).
 * @flags: DRM_PANTHOR_VM_BIND_OP_MAP_* flags of the mapping (READONLY,
 *         NOEXEC, UNCACHED; sparse VMAs carry GPUVA_SPARSE in base.flags).
 */
struct panthor_vma {
	struct gpuva base;
	uint32_t flags;
};

/**
 * struct panthor_vm_op_ctx - everything one op needs, reserved at prepare time.
 * @rsvd_page_tables: page-table frames for the op (from the pool).
 * @rsvd_page_tables.count: frames reserved.
 * @rsvd_page_tables.ptr: frames handed to the page-table library so far.
 * @rsvd_page_tables.pages: the frames (@inline_pages or an allocation).
 * @rsvd_page_tables.inline_pages: storage for small reservations.
 * @preallocated_vmas: VMAs for the op's new mapping and split pieces.
 * @flags: the op's DRM_PANTHOR_VM_BIND_OP_* flags.
 * @va: the op's range.
 * @va.addr: first address.
 * @va.range: bytes.
 * @map: for a MAP op.
 * @map.vm_bo: the (VM, BO) link, one reference until the new VA is linked.
 * @map.bo_offset: BO offset of @va.addr (the phase for a sparse map).
 * @map.sgt: the BO's sg table.
 * @map.bo: the BO, pinned, one reference.
 * @map.sparse: the op maps the file's dummy cyclically.
 */
struct panthor_vm_op_ctx {
	struct {
		uint32_t count;
		uint32_t ptr;
		phys_addr_t *pages;
		phys_addr_t inline_pages[OP_CTX_INLINE_PTS];
	} rsvd_page_tables;
	struct panthor_vma *preallocated_vmas[3];
	uint32_t flags;
	struct {
		uint64_t addr;
		uint64_t range;
	} va;
	struct {
		struct gpuvm_bo *vm_bo;
		uint64_t bo_offset;
		struct sg_table *sgt;
		struct panthor_gem_object *bo;
		bool sparse;
	} map;
};

/**
 * struct panthor_vm_bind_job - one async bind op.
 * @node: in the VM's bind queue, then in the device's cleanup list.
 * @vm: the VM (a reference).
 * @ctx: the prepared op.
 * @fence: the job's finished fence (u_malloc'ed; initialised when armed).
 * @armed: @fence is initialised.
 * @deps: fences to wait for before executing (references).
 * @nr_deps: entries of @deps.
 * @max_deps: capacity of @deps.
 * @syncs: the op's syncs (copied).
 * @nr_syncs: entries of @syncs.
 */
struct panthor_vm_bind_job {
	struct u_list node;
	struct panthor_vm *vm;
	struct panthor_vm_op_ctx ctx;
	struct dma_fence *fence;
	bool armed;
	struct dma_fence **deps;
	uint32_t nr_deps;
	uint32_t max_deps;
	struct panthor_sync_op_args *syncs;
	uint32_t nr_syncs;
};

/**
 * struct panthor_vm - a GPU VM.
 *
 * Set once at creation: @base's span and ops, @ptdev, @resv, @pgtbl,
 * @memattr, @for_mcu, @id, @name, @kernel_va's bounds.
 * @base: the gpuvm (refcount = the VM's references).
 * @ptdev: the device.
 * @resv: the reservation object shared with the VM's private BOs; its
 *        fences include every async bind job (BOOKKEEP).
 * @pgtbl: the page table.
 * @reclaim_lru: the list of this VM's GPU_MAPPED_SINGLE_VM BOs (panthor_gem.c).
 * @memattr: AS_MEMATTR value.
 * @for_mcu: the MCU VM.
 * @id: device-unique id.
 * @name: "vmN", the gpuvm name and the trace track.
 *
 * @op_lock: serializes ops on the VM (see panthor_device.h).
 * @op_ctx: the op being executed, protected by @op_lock (the page-table
 *          allocator takes reserved frames from it).
 *
 * @jobs: jobs started and not ended, GROUP_SUBMIT jobs from publication to
 *        their end, and submissions in progress (under @op_lock): the
 *        shrinker leaves the mappings of a VM with jobs alone.
 * @restore_lock: one walker of the evict list at a time (job begin), lock
 *                class "panthor_vm_restore".
 * @heaps_lock: protects @heap_pool (lock class "panthor_vm_heaps").
 * @heap_pool: the VM's tiler heaps (panthor_heap.c), NULL until the first
 *             TILER_HEAP_CREATE and after VM_DESTROY.
 * @as: address-space state.
 * @as.id: the slot, -1 if none. Written under the slots lock; read under
 *         it, or by a holder of an active count (stable then).
 * @as.active_cnt: users (jobs) that need the slot (atomic; drops to 0 and
 *                 leaves 0 only under the slots lock).
 * @as.lru_node: in the MMU's LRU while the VM has a slot and no user
 *               (slots lock).
 * @locked_region: the region locked for the op in progress, as the
 *                 hardware locks it (start aligned down to the size); size
 *                 0 when none. Written under @op_lock and the slots lock.
 * @locked_region.start: first address.
 * @locked_region.size: bytes.
 * @unusable: set once, never cleared (atomic).
 * @destroyed: VM_DESTROY happened: no more async binds (atomic).
 * @unhandled_fault: a fault hit the VM since it was last made active (slots lock).
 * @fault: details of the last fault (slots lock).
 *
 * @kernel_va: the kernel VA allocator (lock class "panthor_vm_kernel_va").
 * @kernel_va.lock: protects @kernel_va.nodes.
 * @kernel_va.nodes: allocated ranges, sorted by address.
 * @kernel_va.start: first kernel address.
 * @kernel_va.end: end of the kernel range.
 * @kernel_va.auto_start: first address of the auto window.
 * @kernel_va.auto_end: end of the auto window.
 *
 * @queue: the async bind queue.
 * @queue.lock: protects the rest of @queue (lock class "panthor_vm_bind_queue").
 * @queue.jobs: armed jobs not yet executed, in order.
 * @queue.nr_jobs: entries of @queue.jobs (atomic reads by the sleeping worker).
 * @queue.wq: the worker sleeps here.
 * @queue.stop: the worker must exit.
 * @queue.thread: the worker.
 * @queue.fence_context: the timeline of the jobs' fences.
 * @queue.seqno: the last seqno given out (under the VM resv and @queue.lock).
 * @queue.last_fence: the fence of the last job queued, a reference.
 */
struct panthor_vm {
	struct gpuvm base;
	struct panthor_device *ptdev;
	struct dma_resv resv;
	struct pgtable *pgtbl;
	struct panthor_gem_vm_lru *reclaim_lru;
	uint64_t memattr;
	bool for_mcu;
	uint32_t id;
	char name[16];

	struct u_mutex op_lock;
	struct panthor_vm_op_ctx *op_ctx;
	uint32_t jobs;
	struct u_mutex restore_lock;
	struct u_mutex heaps_lock;
	struct panthor_heap_pool *heap_pool;

	struct {
		int id;
		int32_t active_cnt;
		struct u_list lru_node;
	} as;
	struct {
		uint64_t start;
		uint64_t size;
	} locked_region;
	bool unusable;
	bool destroyed;
	bool unhandled_fault;
	struct panthor_vm_fault_info fault;

	struct {
		struct u_mutex lock;
		struct u_list nodes;
		uint64_t start;
		uint64_t end;
		uint64_t auto_start;
		uint64_t auto_end;
	} kernel_va;

	struct {
		struct u_mutex lock;
		struct u_list jobs;
		uint32_t nr_jobs;
		struct panthor_waitqueue wq;
		bool stop;
		pthread_t thread;
		uint64_t fence_context;
		uint64_t seqno;
		struct dma_fence *last_fence;
	} queue;
};

/**
 * struct panthor_mmu - the MMU half of the device.
 * @as: slot management.
 * @as.slots_lock: see panthor_device.h (lock class "panthor_mmu_slots").
 * @as.alloc_mask: slots in use (bit 0: the MCU VM).
 * @as.faulty_mask: slots disabled by a fault, re-programmed at the next activation.
 * @as.slots: the VM in each slot.
 * @as.lru_list: VMs with a slot and no user, least recently idle first.
 * @irq: the MMU interrupt line.
 * @pt_pool: zeroed page-table frames, linked through their mm_frame priv word.
 * @pt_pool.lock: protects the pool (lock class "panthor_pt_pool", a leaf).
 * @pt_pool.head: first frame, 0 when empty.
 * @pt_pool.count: frames in the pool (atomic reads for statistics).
 * @cleanup: the thread that cleans up finished bind jobs.
 * @cleanup.lock: protects @cleanup.jobs and @cleanup.pending.
 * @cleanup.jobs: jobs to clean up.
 * @cleanup.nr_jobs: entries of @cleanup.jobs (atomic reads by the sleeping thread).
 * @cleanup.pending: jobs pushed to a bind queue and not yet cleaned up (atomic reads).
 * @cleanup.wq: the thread sleeps here.
 * @cleanup.idle_wq: panthor_mmu_wait_cleanup() sleeps here.
 * @cleanup.stop: the thread must exit once the list is empty.
 * @cleanup.thread: the thread.
 * @mcu_vm: the MCU VM (AS 0), set once.
 */
struct panthor_mmu {
	struct {
		struct u_mutex slots_lock;
		uint32_t alloc_mask;
		uint32_t faulty_mask;
		struct {
			struct panthor_vm *vm;
		} slots[MAX_AS_SLOTS];
		struct u_list lru_list;
	} as;
	struct panthor_irq irq;
	struct {
		struct u_mutex lock;
		phys_addr_t head;
		uint64_t count;
	} pt_pool;
	struct {
		struct u_mutex lock;
		struct u_list jobs;
		uint32_t nr_jobs;
		unsigned long pending;
		struct panthor_waitqueue wq;
		struct panthor_waitqueue idle_wq;
		bool stop;
		pthread_t thread;
	} cleanup;
	struct panthor_vm *mcu_vm;
};

static inline struct panthor_vm *to_panthor_vm(struct gpuvm *gpuvm)
{
	return container_of(gpuvm, struct panthor_vm, base);
}

static inline struct panthor_vma *to_panthor_vma(struct gpuva *va)
{
	return container_of(va, struct panthor_vma, base);
}

static bool vm_unusable(struct panthor_vm *vm)
{
	return __atomic_load_n(&vm->unusable, __ATOMIC_ACQUIRE);
}

static int vm_as_id(struct panthor_vm *vm)
{
	return __atomic_load_n(&vm->as.id, __ATOMIC_RELAXED);
}

static void vm_set_as_id(struct panthor_vm *vm, int as)
{
	__atomic_store_n(&vm->as.id, as, __ATOMIC_RELAXED);
}

/* ---- page-table pool ------------------------------------------------------ */

static phys_addr_t pool_next(phys_addr_t pa)
{
	return __atomic_load_n(&mm_frame(pa)->priv, __ATOMIC_RELAXED);
}

static void pool_set_next(phys_addr_t pa, phys_addr_t next)
{
	__atomic_store_n(&mm_frame(pa)->priv, next, __ATOMIC_RELAXED);
}

/*
 * Give @n zeroed table frames back; beyond PT_POOL_MAX they go back to mm.
 * Return: how many the pool kept (the first ones).
 */
static uint32_t pt_pool_put_many(struct panthor_device *ptdev, const phys_addr_t *pas, uint32_t n)
{
	struct panthor_mmu *mmu = ptdev->mmu;
	uint32_t kept = 0;

	u_mutex_lock(&mmu->pt_pool.lock);
	while (kept < n && mmu->pt_pool.count < PT_POOL_MAX) {
		pool_set_next(pas[kept], mmu->pt_pool.head);
		mmu->pt_pool.head = pas[kept];
		__atomic_store_n(&mmu->pt_pool.count, mmu->pt_pool.count + 1, __ATOMIC_RELAXED);
		kept++;
	}
	u_mutex_unlock(&mmu->pt_pool.lock);
	for (uint32_t i = kept; i < n; i++)
		mm_free_pages(ptdev->budget, pas[i], 0);
	return kept;
}

static void pt_pool_put(struct panthor_device *ptdev, phys_addr_t pa)
{
	pt_pool_put_many(ptdev, &pa, 1);
}

/*
 * Take @n zeroed frames: from the pool first, then fresh from mm (zeroed by
 * the allocator). Never called with a driver lock held except a resv:
 * allocating may enter reclaim. Return: 0 or -ENOMEM (nothing taken).
 */
static int pt_pool_get(struct panthor_device *ptdev, uint32_t n, phys_addr_t *out)
{
	struct panthor_mmu *mmu = ptdev->mmu;
	uint32_t got = 0;

	u_mutex_lock(&mmu->pt_pool.lock);
	while (got < n && mmu->pt_pool.head) {
		phys_addr_t pa = mmu->pt_pool.head;

		mmu->pt_pool.head = pool_next(pa);
		__atomic_store_n(&mmu->pt_pool.count, mmu->pt_pool.count - 1, __ATOMIC_RELAXED);
		out[got++] = pa;
	}
	u_mutex_unlock(&mmu->pt_pool.lock);

	while (got < n) {
		phys_addr_t pa;

		if (mm_alloc_pages(ptdev->budget, 0, MM_GFP_KERNEL | MM_GFP_ZERO, MM_OWNER_PGTABLE, 0,
				   &pa)) {
			pt_pool_put_many(ptdev, out, got);
			return -ENOMEM;
		}
		out[got++] = pa;
	}
	return 0;
}

static void pt_pool_drain(struct panthor_device *ptdev)
{
	struct panthor_mmu *mmu = ptdev->mmu;

	while (mmu->pt_pool.head) {
		phys_addr_t pa = mmu->pt_pool.head;

		mmu->pt_pool.head = pool_next(pa);
		mmu->pt_pool.count--;
		mm_free_pages(ptdev->budget, pa, 0);
	}
}

uint64_t panthor_mmu_pt_pool_frames(struct panthor_device *ptdev)
{
	return __atomic_load_n(&ptdev->mmu->pt_pool.count, __ATOMIC_RELAXED);
}

/* ---- pgtable callbacks ----------------------------------------------------- */

static int alloc_pt(void *cookie, phys_addr_t *pa)
{
	struct panthor_vm *vm = cookie;
	struct panthor_vm_op_ctx *op_ctx = vm->op_ctx;

	/*
	 * Only ever called with the op lock held and an op context installed
	 * (VM creation installs one for the root): executing an op must not
	 * allocate, so running out of the reservation is a driver bug.
	 */
	if (U_WARN_ON(!op_ctx) ||
	    U_WARN_ON(op_ctx->rsvd_page_tables.ptr >= op_ctx->rsvd_page_tables.count))
		return -ENOMEM;
	*pa = op_ctx->rsvd_page_tables.pages[op_ctx->rsvd_page_tables.ptr++];
	return 0;
}

static void free_pt(void *cookie, phys_addr_t pa)
{
	struct panthor_vm *vm = cookie;

	/* An entry count of 0 means an all-zero frame (pgtable.h): reuse it as is. */
	if (!__atomic_load_n(&mm_frame(pa)->priv, __ATOMIC_RELAXED))
		pt_pool_put(vm->ptdev, pa);
	else
		mm_free_pages(vm->ptdev->budget, pa, 0);
}

static void sync_pt(void *cookie, phys_addr_t pa, size_t bytes)
{
	struct panthor_vm *vm = cookie;

	hw_dma_sync_for_device(vm->ptdev->hw, pa, bytes);
}

static const struct pgtable_ops panthor_pgtable_ops = {
	.alloc_table = alloc_pt,
	.free_table = free_pt,
	.sync = sync_pt,
};

/* ---- AS register sequences ----------------------------------------------------- */

void panthor_mmu_assert_slots_locked(struct panthor_device *ptdev)
{
	u_mutex_assert_held(&ptdev->mmu->as.slots_lock);
}

static int wait_ready(struct panthor_device *ptdev, uint32_t as_nr)
{
	int ret = gpu_read_poll_clear(ptdev, AS_STATUS(as_nr), AS_STATUS_AS_ACTIVE,
				      ptdev->timeout_us, NULL);

	if (ret)
		u_err(MOD, "AS_ACTIVE bit stuck on AS%u", as_nr);
	return ret;
}

/* The GPU did not respond: take the reset path, unless we are on it already. */
static void panthor_mmu_hw_failure_locked(struct panthor_device *ptdev)
{
	panthor_mmu_assert_slots_locked(ptdev);
	if (!__atomic_load_n(&ptdev->reset.pending, __ATOMIC_RELAXED))
		panthor_device_reset_locked(ptdev);
}

/* Wait for the previous command, send @cmd, wait for it: every command is seen complete. */
static int as_send_cmd_and_wait(struct panthor_device *ptdev, uint32_t as_nr, uint32_t cmd)
{
	int ret;

	panthor_mmu_assert_slots_locked(ptdev);
	ret = wait_ready(ptdev, as_nr);
	if (ret)
		return ret;
	gpu_write(ptdev, AS_COMMAND(as_nr), cmd);
	return wait_ready(ptdev, as_nr);
}

/*
 * The AS_LOCKADDR value locking a naturally aligned power-of-two region
 * that contains [start, start + size), and that region. Unlike upstream we
 * also align the recorded start down to the region size (reference §2.2
 * quirk): the hardware ignores those bits, and the recorded region must be
 * the one the hardware locks.
 */
static uint64_t pack_region_range(uint64_t start, uint64_t size, uint64_t *region_start,
				  uint64_t *region_size)
{
	uint64_t end = start + size;
	unsigned int width = u_max(u_fls64(start ^ (end - 1)), 15u) - 1;
	uint64_t rsize;

	U_ASSERT(size && width < 63);
	rsize = 1ull << (width + 1);
	*region_start = start & ~(rsize - 1);
	*region_size = rsize;
	return *region_start | width;
}

static int panthor_mmu_as_enable(struct panthor_device *ptdev, uint32_t as_nr, uint64_t transtab,
				 uint64_t transcfg, uint64_t memattr)
{
	int ret;

	panthor_irq_enable_events(&ptdev->mmu->irq, 1u << as_nr);
	gpu_write64(ptdev, AS_TRANSTAB(as_nr), transtab);
	gpu_write64(ptdev, AS_MEMATTR(as_nr), memattr);
	gpu_write64(ptdev, AS_TRANSCFG(as_nr), transcfg);
	ret = as_send_cmd_and_wait(ptdev, as_nr, AS_COMMAND_UPDATE);
	if (ret)
		panthor_mmu_hw_failure_locked(ptdev);
	return ret;
}

/*
 * Reference §2.6(3) "AS disable": event off, cache flush, UNLOCK if the VM
 * in the slot has a locked region, and unless the slot is being recycled
 * for another VM, translation off with UPDATE.
 */
static int panthor_mmu_as_disable(struct panthor_device *ptdev, uint32_t as_nr, bool recycle_slot)
{
	struct panthor_vm *vm = ptdev->mmu->as.slots[as_nr].vm;
	int ret;

	panthor_mmu_assert_slots_locked(ptdev);
	panthor_irq_disable_events(&ptdev->mmu->irq, 1u << as_nr);
	ret = panthor_gpu_flush_caches(ptdev, CACHE_CLEAN | CACHE_INV, CACHE_CLEAN | CACHE_INV,
				       CACHE_INV);
	if (!ret && vm && vm->locked_region.size)
		ret = as_send_cmd_and_wait(ptdev, as_nr, AS_COMMAND_UNLOCK);
	if (!ret && !recycle_slot) {
		gpu_write64(ptdev, AS_TRANSTAB(as_nr), 0);
		gpu_write64(ptdev, AS_MEMATTR(as_nr), 0);
		gpu_write64(ptdev, AS_TRANSCFG(as_nr), AS_TRANSCFG_ADRMODE_UNMAPPED);
		ret = as_send_cmd_and_wait(ptdev, as_nr, AS_COMMAND_UPDATE);
	}
	if (ret)
		panthor_mmu_hw_failure_locked(ptdev);
	return ret;
}

static uint64_t mair_to_memattr(uint64_t mair, bool coherent)
{
	uint64_t memattr = 0;

	for (unsigned int i = 0; i < 8; i++) {
		uint8_t in_attr = (uint8_t)(mair >> (8 * i));
		uint8_t outer = in_attr >> 4, inner = in_attr & 0xf;
		uint8_t out_attr;

		/* Device, or non-cacheable on either side: non-cacheable for the GPU. */
		if (!(outer & 3) || !(outer & 4) || !(inner & 4)) {
			out_attr = AS_MEMATTR_AARCH64_INNER_OUTER_NC |
				   AS_MEMATTR_AARCH64_SH_MIDGARD_INNER |
				   AS_MEMATTR_AARCH64_INNER_ALLOC_EXPL(false, false);
		} else {
			out_attr = AS_MEMATTR_AARCH64_INNER_OUTER_WB |
				   AS_MEMATTR_AARCH64_INNER_ALLOC_EXPL(inner & 1, inner & 2);
			out_attr |= coherent ? AS_MEMATTR_AARCH64_SH_CPU_INNER :
					       AS_MEMATTR_AARCH64_SH_MIDGARD_INNER;
		}
		memattr |= (uint64_t)out_attr << (8 * i);
	}
	return memattr;
}

/* ---- lock region ---------------------------------------------------------------- */

static bool in_locked_region(struct panthor_vm *vm, uint64_t iova, uint64_t size)
{
	return iova >= vm->locked_region.start &&
	       iova + size <= vm->locked_region.start + vm->locked_region.size;
}

/*
 * Lock [start, start + size) for the op in progress. Inside the region
 * already locked: nothing to do. Otherwise the new region is the union
 * with the current one (a remap widening the range to whole 2 MiB blocks),
 * so the second LOCK contains the first, as the hardware requires.
 */
static int panthor_vm_lock_region(struct panthor_vm *vm, uint64_t start, uint64_t size)
{
	struct panthor_device *ptdev = vm->ptdev;
	struct panthor_mmu *mmu = ptdev->mmu;
	uint64_t end = start + size, lockaddr, rstart, rsize;
	int ret = 0, as;

	u_mutex_assert_held(&vm->op_lock);
	if (vm->locked_region.size) {
		uint64_t cur_start = vm->locked_region.start;
		uint64_t cur_end = cur_start + vm->locked_region.size;

		if (start >= cur_start && end <= cur_end)
			return 0;
		/* Only ever widened around what is locked. */
		U_WARN_ON(end < cur_start || start > cur_end);
		start = u_min(start, cur_start);
		end = u_max(end, cur_end);
		size = end - start;
	}
	lockaddr = pack_region_range(start, size, &rstart, &rsize);

	u_mutex_lock(&mmu->as.slots_lock);
	as = vm_as_id(vm);
#ifndef PANTOMIME_TEST_NO_LOCK_REGION
	if (as >= 0) {
		gpu_write64(ptdev, AS_LOCKADDR(as), lockaddr);
		ret = as_send_cmd_and_wait(ptdev, as, AS_COMMAND_LOCK);
		if (ret)
			panthor_mmu_hw_failure_locked(ptdev);
	}
#else
	/* The "prove the test can fail" build: the region is recorded, never locked. */
	(void)lockaddr;
#endif
	if (!ret) {
		vm->locked_region.start = rstart;
		vm->locked_region.size = rsize;
	}
	u_mutex_unlock(&mmu->as.slots_lock);

	U_TRACE("vm", "lock_region", vm->name, 'i', "start", rstart, "size", rsize, "as", as,
		"ret", ret);
	return ret;
}

/* GPU cache flush, then UNLOCK; the region is forgotten whatever happens. */
static int panthor_vm_unlock_region(struct panthor_vm *vm)
{
	struct panthor_device *ptdev = vm->ptdev;
	struct panthor_mmu *mmu = ptdev->mmu;
	int ret = 0, as;

	u_mutex_assert_held(&vm->op_lock);
	u_mutex_lock(&mmu->as.slots_lock);
	as = vm_as_id(vm);
	if (as >= 0 && vm->locked_region.size) {
		ret = panthor_gpu_flush_caches(ptdev, CACHE_CLEAN | CACHE_INV,
					       CACHE_CLEAN | CACHE_INV, CACHE_INV);
		if (!ret)
			ret = as_send_cmd_and_wait(ptdev, as, AS_COMMAND_UNLOCK);
		if (ret)
			panthor_mmu_hw_failure_locked(ptdev);
	}
	vm->locked_region.start = 0;
	vm->locked_region.size = 0;
	u_mutex_unlock(&mmu->as.slots_lock);

	U_TRACE("vm", "unlock_region", vm->name, 'i', "as", as, "ret", ret);
	return ret;
}

/* ---- unusable, faults -------------------------------------------------------------- */

static void panthor_vm_declare_unusable(struct panthor_vm *vm)
{
	struct panthor_mmu *mmu = vm->ptdev->mmu;
	int as;

	if (vm_unusable(vm))
		return;
	__atomic_store_n(&vm->unusable, true, __ATOMIC_RELEASE);
	u_mutex_lock(&mmu->as.slots_lock);
	as = vm_as_id(vm);
	if (as >= 0)
		panthor_mmu_as_disable(vm->ptdev, (uint32_t)as, false);
	u_mutex_unlock(&mmu->as.slots_lock);
	U_TRACE("vm", "unusable", vm->name, 'i', "as", as);
}

static const char *access_type_name(uint32_t access_type)
{
	switch (access_type) {
	case AS_FAULTSTATUS_ACCESS_TYPE_ATOMIC:
		return "ATOMIC";
	case AS_FAULTSTATUS_ACCESS_TYPE_EX:
		return "EXECUTE";
	case AS_FAULTSTATUS_ACCESS_TYPE_READ:
		return "READ";
	default:
		return "WRITE";
	}
}

/* The exception's name without its level suffix, and whether it has one. */
static const char *exception_name(uint32_t code, bool *has_level)
{
	*has_level = true;
	if (code >= 0xc0 && code <= 0xc4)
		return "TRANSLATION_FAULT";
	if (code >= 0xc8 && code <= 0xcb)
		return "PERM_FAULT";
	if (code >= 0xd8 && code <= 0xdb)
		return "ACCESS_FLAG";
	if (code >= 0xe4 && code <= 0xe7)
		return "ADDR_SIZE_FAULT_OUT";
	if (code >= 0xe8 && code <= 0xeb)
		return "MEM_ATTR_FAULT";
	*has_level = false;
	if (code == 0xe0)
		return "ADDR_SIZE_FAULT_IN";
	if (code == 0x80)
		return "GPU_BUS_FAULT";
	return "Unknown exception type";
}

char *panthor_vm_format_fault(const struct panthor_vm_fault_info *info, char *buf, size_t len)
{
	char level[4] = "";
	const char *name;
	bool has_level;

	if (!info->valid) {
		snprintf(buf, len, "no fault");
		return buf;
	}
	name = exception_name(info->exception_type, &has_level);
	if (has_level)
		snprintf(level, sizeof(level), "_%u", info->exception_type & 0x7);
	snprintf(buf, len, "AS%u: %s %s%s (0x%02x) at 0x%016" PRIx64 ", source %u, %s fault, status 0x%08x",
		 info->as, access_type_name(info->access_type), name, level, info->exception_type,
		 info->addr, info->source_id, info->decoder_fault ? "decoder" : "slave",
		 info->status);
	return buf;
}

static void panthor_mmu_irq_handler(struct panthor_device *ptdev, uint32_t status)
{
	struct panthor_mmu *mmu = ptdev->mmu;

	status &= PANTHOR_MMU_FAULT_MASK;
	while (status) {
		uint32_t as = u_ffs64(status), mask = 1u << as;
		uint32_t fault_status = gpu_read(ptdev, AS_FAULTSTATUS(as));
		uint64_t addr = gpu_read64(ptdev, AS_FAULTADDRESS(as));
		struct panthor_vm_fault_info info = {
			.valid = true,
			.as = as,
			.status = fault_status,
			.addr = addr,
			.exception_type = AS_FAULTSTATUS_EXCEPTION_TYPE(fault_status),
			.access_type = AS_FAULTSTATUS_ACCESS_TYPE(fault_status),
			.source_id = AS_FAULTSTATUS_SOURCE_ID(fault_status),
			.decoder_fault = fault_status & AS_FAULTSTATUS_DECODER_FAULT,
			.time_ns = panthor_now_ns(),
		};
		struct panthor_vm *vm;
		char line[192];

		u_mutex_lock(&mmu->as.slots_lock);
		mmu->as.faulty_mask |= mask;
		vm = mmu->as.slots[as].vm;
		u_warn(MOD, "Unhandled page fault in %s: %s", vm ? vm->name : "no VM",
		       panthor_vm_format_fault(&info, line, sizeof(line)));
		gpu_write(ptdev, MMU_INT_CLEAR, mask);
		if (vm) {
			vm->unhandled_fault = true;
			vm->fault = info;
		}
		/* Disable the AS to kill the jobs on it; re-programmed at the next activation. */
		panthor_mmu_as_disable(ptdev, as, false);
		u_mutex_unlock(&mmu->as.slots_lock);
		if (vm)
			U_TRACE("vm", "fault", vm->name, 'i', "as", as, "va", addr,
				"exception", info.exception_type);
		status &= ~mask;
	}
}

void panthor_mmu_post_reset_locked(struct panthor_device *ptdev)
{
	struct panthor_mmu *mmu = ptdev->mmu;
	uint32_t present = ptdev->gpu_info.as_present;

	panthor_mmu_assert_slots_locked(ptdev);
	/* The reset cleared MMU_INT_MASK and every pending fault. */
	mmu->as.faulty_mask = 0;
	panthor_irq_set_mask(&mmu->irq, 0);

	for (uint32_t as = 0; as < MAX_AS_SLOTS; as++) {
		if (!(present & (1u << as)))
			continue;
		gpu_write64(ptdev, AS_TRANSTAB(as), 0);
		gpu_write64(ptdev, AS_MEMATTR(as), 0);
		gpu_write64(ptdev, AS_TRANSCFG(as), AS_TRANSCFG_ADRMODE_UNMAPPED);
		if (as_send_cmd_and_wait(ptdev, as, AS_COMMAND_UPDATE))
			u_err(MOD, "AS%u did not come back after the reset", as);
	}

	for (uint32_t as = 0; as < MAX_AS_SLOTS; as++) {
		struct panthor_vm *vm = mmu->as.slots[as].vm;

		if (!vm)
			continue;
		if (vm->for_mcu) {
			uint64_t transcfg = AS_TRANSCFG_PTW_MEMATTR_WB | AS_TRANSCFG_PTW_RA |
					    AS_TRANSCFG_ADRMODE_AARCH64_4K |
					    AS_TRANSCFG_INA_BITS(55 - ptdev->va_bits);

			if (ptdev->coherent)
				transcfg |= AS_TRANSCFG_PTW_SH_OS;
			/* No firmware to reload: the MCU VM just gets its AS back. */
			panthor_mmu_as_enable(ptdev, as, pgtable_root_pa(vm->pgtbl), transcfg,
					      vm->memattr);
			continue;
		}
		__atomic_store_n(&vm->unusable, true, __ATOMIC_RELEASE);
		U_TRACE("vm", "unusable", vm->name, 'i', "as", as, "reset", 1);
		/* A job still holds the AS number: keep the slot (disabled) until it ends. */
		if (__atomic_load_n(&vm->as.active_cnt, __ATOMIC_ACQUIRE))
			continue;
		vm_set_as_id(vm, -1);
		u_list_del(&vm->as.lru_node);
		mmu->as.slots[as].vm = NULL;
		mmu->as.alloc_mask &= ~(1u << as);
	}
}

/* ---- active / idle ------------------------------------------------------------------ */

static bool active_cnt_inc_not_zero(struct panthor_vm *vm)
{
	int32_t old = __atomic_load_n(&vm->as.active_cnt, __ATOMIC_RELAXED);

	while (old) {
		if (__atomic_compare_exchange_n(&vm->as.active_cnt, &old, old + 1, true,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

int panthor_vm_active(struct panthor_vm *vm)
{
	struct panthor_device *ptdev = vm->ptdev;
	struct panthor_mmu *mmu = ptdev->mmu;
	uint64_t transtab, transcfg;
	int ret = 0, as;

	if (active_cnt_inc_not_zero(vm))
		return 0;

	/* The op lock: no VM gets an AS in the middle of a bind op. */
	u_mutex_lock(&vm->op_lock);
	u_mutex_lock(&mmu->as.slots_lock);

	if (active_cnt_inc_not_zero(vm))
		goto out_unlock;

	as = vm_as_id(vm);
	if (as >= 0) {
		/* A fault disabled the AS: program it again. */
		if (mmu->as.faulty_mask & (1u << as))
			goto out_enable;
		goto out_make_active;
	}

	if (vm->for_mcu) {
		U_WARN_ON(mmu->as.alloc_mask & 1u);
		as = 0;
	} else {
		uint32_t free = ptdev->gpu_info.as_present & ~(mmu->as.alloc_mask | 1u);

		as = free ? (int)u_ffs64(free) : -1;
	}

	if (as < 0) {
		struct panthor_vm *lru_vm;

		if (u_list_empty(&mmu->as.lru_list)) {
			ret = -EBUSY;
			goto out_unlock;
		}
		lru_vm = u_list_first_entry(&mmu->as.lru_list, struct panthor_vm, as.lru_node);
		U_WARN_ON(__atomic_load_n(&lru_vm->as.active_cnt, __ATOMIC_RELAXED));
		as = vm_as_id(lru_vm);
		U_TRACE("vm", "as_steal", vm->name, 'i', "as", as, "from", lru_vm->id);
		ret = panthor_mmu_as_disable(ptdev, (uint32_t)as, true);
		if (ret)
			goto out_unlock;
		vm_set_as_id(lru_vm, -1);
		u_list_del(&lru_vm->as.lru_node);
		mmu->as.slots[as].vm = NULL;
		mmu->as.alloc_mask &= ~(1u << as);
	}

	vm_set_as_id(vm, as);
	mmu->as.alloc_mask |= 1u << as;
	mmu->as.slots[as].vm = vm;

out_enable:
	transtab = pgtable_root_pa(vm->pgtbl);
	transcfg = AS_TRANSCFG_PTW_MEMATTR_WB | AS_TRANSCFG_PTW_RA |
		   AS_TRANSCFG_ADRMODE_AARCH64_4K | AS_TRANSCFG_INA_BITS(55 - ptdev->va_bits);
	if (ptdev->coherent)
		transcfg |= AS_TRANSCFG_PTW_SH_OS;

	vm->unhandled_fault = false;
	if (mmu->as.faulty_mask & (1u << as)) {
		gpu_write(ptdev, MMU_INT_CLEAR, 1u << as);
		mmu->as.faulty_mask &= ~(1u << as);
	}
	/* Cannot be: we hold the op lock. */
	U_WARN_ON(vm->locked_region.size);
	ret = panthor_mmu_as_enable(ptdev, (uint32_t)as, transtab, transcfg, vm->memattr);
	U_TRACE("vm", "as_enable", vm->name, 'i', "as", as, "ret", ret);

out_make_active:
	if (!ret) {
		__atomic_store_n(&vm->as.active_cnt, 1, __ATOMIC_RELEASE);
		u_list_del(&vm->as.lru_node);
	}
out_unlock:
	u_mutex_unlock(&mmu->as.slots_lock);
	u_mutex_unlock(&vm->op_lock);
	return ret;
}

void panthor_vm_idle(struct panthor_vm *vm)
{
	struct panthor_mmu *mmu = vm->ptdev->mmu;
	int32_t old = __atomic_load_n(&vm->as.active_cnt, __ATOMIC_RELAXED);

	/* refcount_dec_and_mutex_lock(): only the last user takes the lock. */
	while (old > 1) {
		if (__atomic_compare_exchange_n(&vm->as.active_cnt, &old, old - 1, true,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return;
	}
	u_mutex_lock(&mmu->as.slots_lock);
	old = __atomic_sub_fetch(&vm->as.active_cnt, 1, __ATOMIC_ACQ_REL);
	U_ASSERT(old >= 0);
	if (!old && vm_as_id(vm) >= 0)
		u_list_add_tail(&vm->as.lru_node, &mmu->as.lru_list);
	u_mutex_unlock(&mmu->as.slots_lock);
}

/*
 * The VM whose evicted BOs this thread is restoring (under its restore_lock,
 * with a job hold on it): reclaim on this thread must not wait for that VM's
 * BOs, whose eviction the hold refuses anyway.
 */
static __thread struct panthor_vm *restoring_vm;

static void vm_jobs_add(struct panthor_vm *vm, int d)
{
	u_mutex_lock(&vm->op_lock);
	vm->jobs += (uint32_t)d;
	u_mutex_unlock(&vm->op_lock);
}

void panthor_vm_jobs_hold(struct panthor_vm *vm)
{
	vm_jobs_add(vm, 1);
}

void panthor_vm_jobs_release(struct panthor_vm *vm)
{
	vm_jobs_add(vm, -1);
}

int panthor_vm_job_begin(struct panthor_vm *vm)
{
	int ret;

	if (vm_unusable(vm))
		return -EINVAL;
	/*
	 * Count the job first: from here on the shrinker leaves this VM's
	 * mappings alone, so what we restore below stays mapped until the end.
	 */
	vm_jobs_add(vm, 1);
	u_mutex_lock(&vm->restore_lock);
	restoring_vm = vm;
	ret = gpuvm_validate_evicted(&vm->base, vm);
	restoring_vm = NULL;
	u_mutex_unlock(&vm->restore_lock);
	/* Active now (restored BOs included): the most recently used VM. */
	if (!ret)
		panthor_gem_vm_lru_touch(vm->ptdev, vm->reclaim_lru);
	if (!ret)
		ret = panthor_vm_active(vm);
	if (ret) {
		vm_jobs_add(vm, -1);
		return ret;
	}
	/* Stable while we hold an active count. */
	return vm_as_id(vm);
}

void panthor_vm_job_end(struct panthor_vm *vm)
{
	panthor_vm_idle(vm);
	vm_jobs_add(vm, -1);
}

/* A one-access job: the VM is held active (its AS cannot be stolen) for the access only. */
static int panthor_vm_gpu_access(struct panthor_vm *vm, uint64_t va, enum hw_access_type type,
				 void *buf, size_t len, struct hw_fault *fault)
{
	int as = panthor_vm_job_begin(vm), ret;

	if (as < 0)
		return as;
	ret = hw_access(vm->ptdev->hw, (unsigned int)as, va, type, buf, len, fault);
	panthor_vm_job_end(vm);
	return ret;
}

int panthor_vm_gpu_read(struct panthor_vm *vm, uint64_t va, void *buf, size_t len,
			struct hw_fault *fault)
{
	return panthor_vm_gpu_access(vm, va, HW_ACCESS_READ, buf, len, fault);
}

int panthor_vm_gpu_write(struct panthor_vm *vm, uint64_t va, const void *buf, size_t len,
			 struct hw_fault *fault)
{
	/* hw_access() does not write through @buf for a write access. */
	return panthor_vm_gpu_access(vm, va, HW_ACCESS_WRITE, (void *)buf, len, fault);
}

/* ---- page-table updates ------------------------------------------------------------ */

/* Largest page size usable at @addr for @size bytes, and how many (upstream's get_pgsize()). */
static uint64_t get_pgsize(uint64_t addr, uint64_t size, uint64_t *count)
{
	uint64_t blk_offset = -addr % SZ_2M;

	if (blk_offset || size < SZ_2M) {
		uint64_t n = blk_offset ? u_min(blk_offset, size) : size;

		*count = n / SZ_4K;
		return SZ_4K;
	}
	blk_offset = -addr % SZ_1G;
	if (!blk_offset)
		blk_offset = SZ_1G;
	*count = u_min(blk_offset, size) / SZ_2M;
	return SZ_2M;
}

static unsigned int flags_to_prot(uint32_t flags)
{
	unsigned int prot = PGTABLE_PROT_READ;

	if (!(flags & DRM_PANTHOR_VM_BIND_OP_MAP_READONLY))
		prot |= PGTABLE_PROT_WRITE;
	if (!(flags & DRM_PANTHOR_VM_BIND_OP_MAP_UNCACHED))
		prot |= PGTABLE_PROT_CACHE;
	if (flags & DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC)
		prot |= PGTABLE_PROT_NOEXEC;
	return prot;
}

/* Unmap [iova, iova + size): page-table stores only (the unlock flushes). */
static int panthor_vm_unmap_pages(struct panthor_vm *vm, uint64_t iova, uint64_t size)
{
	uint64_t offset = 0;

	U_WARN_ON(!in_locked_region(vm, iova, size));
	while (offset < size) {
		uint64_t pgcount, unmapped;
		uint64_t pgsize = get_pgsize(iova + offset, size - offset, &pgcount);

		unmapped = pgtable_unmap_pages(vm->pgtbl, iova + offset, pgsize, pgcount);
		if (unmapped != pgsize * pgcount) {
			uint64_t at = iova + offset + unmapped;

			/* A hole is harmless: skip it. Anything else is a bug. */
			if (!pgtable_iova_to_phys(vm->pgtbl, at)) {
				offset += unmapped + SZ_4K;
				continue;
			}
			u_err(MOD, "%s: unmap of [0x%" PRIx64 ", 0x%" PRIx64 ") stopped at 0x%" PRIx64,
			      vm->name, iova, iova + size, at);
			panthor_vm_declare_unusable(vm);
			return -EINVAL;
		}
		offset += unmapped;
	}
	return 0;
}

/* Map [iova, iova + size) to the physically contiguous range at @paddr. */
static int panthor_vm_map_contig(struct panthor_vm *vm, uint64_t iova, phys_addr_t paddr,
				 uint64_t size, unsigned int prot, uint64_t *done)
{
	while (size) {
		uint64_t pgcount, mapped = 0;
		uint64_t pgsize = get_pgsize(iova | paddr, size, &pgcount);
		int ret = pgtable_map_pages(vm->pgtbl, iova, paddr, pgsize, pgcount, prot, &mapped);

		iova += mapped;
		paddr += mapped;
		size -= mapped;
		*done += mapped;
		if (!ret && !mapped)
			ret = -ENOMEM;
		if (ret)
			return ret;
	}
	return 0;
}

/* Map @size bytes of @sgt from @offset at @iova; on failure nothing stays mapped. */
static int panthor_vm_map_pages(struct panthor_vm *vm, uint64_t iova, unsigned int prot,
				const struct sg_table *sgt, uint64_t offset, uint64_t size)
{
	uint64_t done = 0;
	int ret = 0;

	if (!size)
		return 0;
	U_WARN_ON(!in_locked_region(vm, iova, size));

	for (uint32_t i = 0; i < sgt->nents && done < size; i++) {
		phys_addr_t paddr = sgt->segs[i].pa;
		uint64_t len = sgt->segs[i].len;

		if (offset >= len) {
			offset -= len;
			continue;
		}
		paddr += offset;
		len = u_min(len - offset, size - done);
		offset = 0;
		ret = panthor_vm_map_contig(vm, iova + done, paddr, len, prot, &done);
		if (ret)
			break;
	}
	if (!ret && done < size)
		ret = -EINVAL;	/* the sg table is shorter than the BO range: a bug */
	if (ret) {
		u_err(MOD, "%s: map of [0x%" PRIx64 ", 0x%" PRIx64 ") failed: %d", vm->name, iova,
		      iova + size, ret);
		if (done)
			panthor_vm_unmap_pages(vm, iova, done);
		panthor_vm_declare_unusable(vm);
	}
	return ret;
}

/*
 * Map a repeated window of @window bytes of @sgt at @iova, starting at
 * phase @offset (sparse mappings). Whole windows that the dummy's single 2
 * MiB block backs become 2 MiB blocks all pointing at it, written with one
 * page-table call per table.
 */
static int panthor_vm_map_repeat(struct panthor_vm *vm, uint64_t iova, unsigned int prot,
				 const struct sg_table *sgt, uint64_t offset, uint64_t size,
				 uint64_t window)
{
	bool one_block = window == SZ_2M && sgt->nents == 1 && sgt->segs[0].len == SZ_2M &&
			 U_IS_ALIGNED(sgt->segs[0].pa, SZ_2M);
	uint64_t done = 0;
	int ret = 0;

	while (done < size && !ret) {
		uint64_t off = (offset + done) % window;
		uint64_t chunk = u_min(window - off, size - done);

		if (one_block && !off && chunk == window && U_IS_ALIGNED(iova + done, SZ_2M)) {
			uint64_t blocks = (size - done) / SZ_2M, mapped = 0;

			U_WARN_ON(!in_locked_region(vm, iova + done, blocks * SZ_2M));
			ret = pgtable_map_pages_repeat(vm->pgtbl, iova + done, sgt->segs[0].pa,
						       SZ_2M, blocks, prot, &mapped);
			if (!ret && !mapped)
				ret = -ENOMEM;
			done += mapped;
			if (ret) {
				u_err(MOD, "%s: sparse map at 0x%" PRIx64 " failed: %d", vm->name,
				      iova + done, ret);
				panthor_vm_declare_unusable(vm);
			}
			continue;
		}
		ret = panthor_vm_map_pages(vm, iova + done, prot, sgt, off, chunk);
		if (!ret)
			done += chunk;
	}
	if (ret && done)
		panthor_vm_unmap_pages(vm, iova, done);
	return ret;
}

/* Map [iova, iova + size) as a VA with this backing would be. */
static int panthor_vm_map_backing(struct panthor_vm *vm, uint64_t iova, uint64_t size,
				  uint32_t flags, const struct gpuva_gem *gem)
{
	struct panthor_gem_object *bo = to_panthor_bo(gem->obj);
	const struct sg_table *sgt = bo->dmap.sgt;
	unsigned int prot = flags_to_prot(flags);

	if (!size)
		return 0;
	if (U_WARN_ON(!sgt))
		return -EINVAL;
	if (gem->range)
		return panthor_vm_map_repeat(vm, iova, prot, sgt, gem->offset, size, gem->range);
	return panthor_vm_map_pages(vm, iova, prot, sgt, gem->offset, size);
}

/* ---- op contexts -------------------------------------------------------------------- */

static void panthor_vm_op_ctx_free_vmas(struct panthor_vm_op_ctx *op_ctx)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(op_ctx->preallocated_vmas); i++) {
		u_free(op_ctx->preallocated_vmas[i]);
		op_ctx->preallocated_vmas[i] = NULL;
	}
}

static int panthor_vm_op_ctx_prealloc_vmas(struct panthor_vm_op_ctx *op_ctx, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		op_ctx->preallocated_vmas[i] = u_zalloc(sizeof(struct panthor_vma));
		if (!op_ctx->preallocated_vmas[i]) {
			panthor_vm_op_ctx_free_vmas(op_ctx);
			return -ENOMEM;
		}
	}
	return 0;
}

static struct panthor_vma *panthor_vm_op_ctx_get_vma(struct panthor_vm_op_ctx *op_ctx)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(op_ctx->preallocated_vmas); i++) {
		struct panthor_vma *vma = op_ctx->preallocated_vmas[i];

		if (vma) {
			op_ctx->preallocated_vmas[i] = NULL;
			return vma;
		}
	}
	return NULL;
}

static void panthor_vm_op_ctx_return_vma(struct panthor_vm_op_ctx *op_ctx,
					 struct panthor_vma *vma)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(op_ctx->preallocated_vmas); i++) {
		if (!op_ctx->preallocated_vmas[i]) {
			memset(vma, 0, sizeof(*vma));
			op_ctx->preallocated_vmas[i] = vma;
			return;
		}
	}
	u_free(vma);
}

static int panthor_vm_op_ctx_prealloc_pts(struct panthor_device *ptdev,
					  struct panthor_vm_op_ctx *op_ctx, uint32_t count)
{
	phys_addr_t *pages = op_ctx->rsvd_page_tables.inline_pages;
	int ret;

	if (!count)
		return 0;
	if (count > OP_CTX_INLINE_PTS) {
		pages = u_calloc(count, sizeof(*pages));
		if (!pages)
			return -ENOMEM;
	}
	ret = pt_pool_get(ptdev, count, pages);
	if (ret) {
		if (pages != op_ctx->rsvd_page_tables.inline_pages)
			u_free(pages);
		return ret;
	}
	op_ctx->rsvd_page_tables.pages = pages;
	op_ctx->rsvd_page_tables.count = count;
	op_ctx->rsvd_page_tables.ptr = 0;
	return 0;
}

static void panthor_vm_op_ctx_release_pts(struct panthor_device *ptdev,
					  struct panthor_vm_op_ctx *op_ctx)
{
	if (op_ctx->rsvd_page_tables.ptr < op_ctx->rsvd_page_tables.count)
		pt_pool_put_many(ptdev, op_ctx->rsvd_page_tables.pages + op_ctx->rsvd_page_tables.ptr,
				 op_ctx->rsvd_page_tables.count - op_ctx->rsvd_page_tables.ptr);
	if (op_ctx->rsvd_page_tables.pages != op_ctx->rsvd_page_tables.inline_pages)
		u_free(op_ctx->rsvd_page_tables.pages);
	op_ctx->rsvd_page_tables.pages = NULL;
	op_ctx->rsvd_page_tables.count = 0;
	op_ctx->rsvd_page_tables.ptr = 0;
}

/* Slots of @s bytes touched by [a, b). */
static uint64_t slots_touched(uint64_t a, uint64_t b, uint64_t s)
{
	return (U_ALIGN_UP(b, s) - U_ALIGN_DOWN(a, s)) / s;
}

/*
 * 2 MiB slots of [iova, iova + size) that mapping @paddr there turns into 2
 * MiB blocks: the same decomposition as panthor_vm_map_contig().
 */
static uint64_t contig_blocks(uint64_t iova, phys_addr_t paddr, uint64_t size)
{
	uint64_t blocks = 0;

	while (size) {
		uint64_t count, pgsize = get_pgsize(iova | paddr, size, &count);
		uint64_t step = pgsize * count;

		if (pgsize == SZ_2M)
			blocks += count;
		iova += step;
		paddr += step;
		size -= step;
	}
	return blocks;
}

/* The 2 MiB blocks a map of [iova, iova + size) with this backing will use. */
static uint64_t map_blocks(uint64_t iova, uint64_t size, const struct sg_table *sgt,
			   uint64_t offset, uint64_t window)
{
	uint64_t blocks = 0, done = 0;

	if (window) {
		/* Sparse: the phase puts every whole aligned 2 MiB slot on the dummy block. */
		bool one_block = window == SZ_2M && sgt->nents == 1 &&
				 U_IS_ALIGNED(sgt->segs[0].pa, SZ_2M);

		if (!one_block)
			return 0;
		return (U_ALIGN_DOWN(iova + size, SZ_2M) > U_ALIGN_UP(iova, SZ_2M)) ?
		       (U_ALIGN_DOWN(iova + size, SZ_2M) - U_ALIGN_UP(iova, SZ_2M)) / SZ_2M : 0;
	}
	for (uint32_t i = 0; i < sgt->nents && done < size; i++) {
		uint64_t len = sgt->segs[i].len;

		if (offset >= len) {
			offset -= len;
			continue;
		}
		len = u_min(len - offset, size - done);
		blocks += contig_blocks(iova + done, sgt->segs[i].pa + offset, len);
		done += len;
		offset = 0;
	}
	return blocks;
}

/*
 * Page tables a map of [va, va + size) may need (reference §2.7): one per
 * 512 GiB slot (level 1) and per 1 GiB slot (level 2) touched, and one
 * level-3 table per 2 MiB slot that will hold 4 KiB pages. Slots mapped as
 * 2 MiB blocks need none, which is what keeps a 1 GiB sparse or block
 * mapping from reserving 512 frames it will not use; upstream counts every
 * 2 MiB slot. A remap inside the op re-maps split pieces only in the 2 MiB
 * slots at the ends of the range, and an end that is not 2 MiB aligned
 * always holds 4 KiB pages of the new mapping, so its table is counted.
 */
static uint32_t map_pt_count(uint64_t va, uint64_t size, const struct sg_table *sgt,
			     uint64_t offset, uint64_t window)
{
	uint64_t end = va + size;
	uint64_t l3 = slots_touched(va, end, SZ_2M) - map_blocks(va, size, sgt, offset, window);

	return (uint32_t)(slots_touched(va, end, SZ_512G) + slots_touched(va, end, SZ_1G) + l3);
}

/*
 * An unmap splits at most two 2 MiB blocks, one at each unaligned end, and
 * re-maps what survives of them with 4 KiB pages. Our page-table library
 * frees tables as soon as they are empty, so unmapping such a block may
 * also free the 1 GiB and 512 GiB tables above it: count those too
 * (upstream's io-pgtable keeps empty tables and counts one table per end).
 */
static uint32_t unmap_pt_count(uint64_t va, uint64_t size)
{
	uint64_t end = va + size;
	uint64_t edges[2];
	unsigned int n = 0;
	uint32_t count = 0;

	if (!U_IS_ALIGNED(va, SZ_2M))
		edges[n++] = va;
	if (!U_IS_ALIGNED(end, SZ_2M) &&
	    (!n || U_ALIGN_DOWN(end, SZ_2M) != U_ALIGN_DOWN(va, SZ_2M)))
		edges[n++] = end - 1;
	for (unsigned int i = 0; i < n; i++) {
		static const uint64_t sizes[3] = { SZ_2M, SZ_1G, SZ_512G };

		for (unsigned int l = 0; l < 3; l++)
			if (i == 0 || U_ALIGN_DOWN(edges[1], sizes[l]) != U_ALIGN_DOWN(edges[0], sizes[l]))
				count++;
	}
	return count;
}

static void panthor_vm_cleanup_op_ctx(struct panthor_vm_op_ctx *op_ctx, struct panthor_vm *vm)
{
	panthor_vm_op_ctx_release_pts(vm->ptdev, op_ctx);
	panthor_vm_op_ctx_free_vmas(op_ctx);

	if (op_ctx->map.vm_bo)
		gpuvm_bo_put(op_ctx->map.vm_bo);
	op_ctx->map.vm_bo = NULL;
	if (op_ctx->map.bo) {
		panthor_gem_unpin(op_ctx->map.bo);
		panthor_gem_put(op_ctx->map.bo);
		op_ctx->map.bo = NULL;
	}
	gpuvm_bo_deferred_cleanup(&vm->base);
}

/*
 * Prepare a MAP of [va, va + size) of @bo from @offset (for a sparse map,
 * @bo is the file's dummy and @offset is ignored). Takes its own reference
 * on @bo.
 */
static int panthor_vm_prepare_map_op_ctx(struct panthor_vm_op_ctx *op_ctx, struct panthor_vm *vm,
					 struct panthor_gem_object *bo, uint64_t offset,
					 uint64_t size, uint64_t va, uint32_t flags)
{
	bool sparse = flags & DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE;
	struct gpuvm_bo *vm_bo;
	struct sg_table *sgt;
	uint64_t window = 0;
	int ret;

	memset(op_ctx, 0, sizeof(*op_ctx));
	if ((flags & OP_TYPE_MASK) != OP_TYPE_MAP || !size)
		return -EINVAL;
	if (!sparse) {
		if (size > bo->size || offset > bo->size - size)
			return -EINVAL;
	} else {
		window = bo->size;
		offset = va % window;
	}
	/* A BO created for one VM goes in no other. */
	if (bo->exclusive_vm && bo->exclusive_vm != vm)
		return -EINVAL;

	op_ctx->flags = flags;
	op_ctx->va.addr = va;
	op_ctx->va.range = size;
	op_ctx->map.bo_offset = offset;
	op_ctx->map.sparse = sparse;

	ret = panthor_vm_op_ctx_prealloc_vmas(op_ctx, 3);
	if (ret)
		goto err_cleanup;

	/* Pin (allocating the backing) and get the sg table in one locking of the resv. */
	dma_resv_lock(panthor_gem_resv(bo), NULL);
	ret = panthor_gem_pin_locked(bo);
	if (!ret) {
		sgt = panthor_gem_get_dev_sgt_locked(bo);
		if (IS_ERR(sgt)) {
			ret = (int)PTR_ERR(sgt);
			panthor_gem_unpin_locked(bo);
		}
	}
	dma_resv_unlock(panthor_gem_resv(bo));
	if (ret)
		goto err_cleanup;
	op_ctx->map.bo = panthor_gem_get(bo);
	op_ctx->map.sgt = sgt;

	vm_bo = gpuvm_bo_find(&vm->base, &bo->base);
	if (!vm_bo) {
		vm_bo = gpuvm_bo_create(&vm->base, &bo->base);
		if (IS_ERR(vm_bo)) {
			ret = (int)PTR_ERR(vm_bo);
			goto err_cleanup;
		}
		vm_bo = gpuvm_bo_obtain_prealloc(vm_bo);
	}
	op_ctx->map.vm_bo = vm_bo;

	ret = panthor_vm_op_ctx_prealloc_pts(vm->ptdev, op_ctx,
					     map_pt_count(va, size, sgt, offset, window));
	if (ret)
		goto err_cleanup;

	/* External objects are tracked on the VM's list (their resv is not the VM's). */
	gpuvm_bo_extobj_add(vm_bo);
	return 0;

err_cleanup:
	panthor_vm_cleanup_op_ctx(op_ctx, vm);
	return ret;
}

static int panthor_vm_prepare_unmap_op_ctx(struct panthor_vm_op_ctx *op_ctx, struct panthor_vm *vm,
					   uint64_t va, uint64_t size)
{
	int ret;

	memset(op_ctx, 0, sizeof(*op_ctx));
	op_ctx->va.addr = va;
	op_ctx->va.range = size;
	op_ctx->flags = OP_TYPE_UNMAP;

	/*
	 * An unmap of the whole VA space (VM destruction) splits no VA: none
	 * can straddle its edges. Nor does one in the kernel VA range: only
	 * the driver maps there, each kernel BO whole in its own range
	 * (panthor_vm_alloc_va()), and unmaps it whole (user binds there are
	 * refused). Neither preallocates anything, so destroying a VM or a
	 * kernel BO (a tiler heap's chunk) cannot fail for lack of memory and
	 * leave mappings, vm_bos and BOs behind.
	 */
	if ((va == vm->base.start && size == vm->base.range) || va >= vm->kernel_va.start)
		return 0;
	ret = panthor_vm_op_ctx_prealloc_vmas(op_ctx, 2);
	if (!ret)
		ret = panthor_vm_op_ctx_prealloc_pts(vm->ptdev, op_ctx, unmap_pt_count(va, size));
	if (ret)
		panthor_vm_cleanup_op_ctx(op_ctx, vm);
	return ret;
}

static void panthor_vm_prepare_sync_only_op_ctx(struct panthor_vm_op_ctx *op_ctx)
{
	memset(op_ctx, 0, sizeof(*op_ctx));
	op_ctx->flags = OP_TYPE_SYNC_ONLY;
}

/* ---- split/merge steps ------------------------------------------------------------- */

static void panthor_vma_link(struct panthor_vma *vma, struct gpuvm_bo *vm_bo)
{
	gpuva_link(&vma->base, vm_bo);
}

static void panthor_vma_unlink(struct panthor_vma *vma)
{
	/* The vm_bo reference is dropped deferred: nothing is freed on this path. */
	gpuva_unlink_defer(&vma->base);
	u_free(vma);
}

static int panthor_gpuva_sm_step_map(struct gpuva_op *op, void *priv)
{
	struct panthor_vm *vm = priv;
	struct panthor_vm_op_ctx *op_ctx = vm->op_ctx;
	struct panthor_vma *vma = panthor_vm_op_ctx_get_vma(op_ctx);
	int ret;

	if (U_WARN_ON(!vma))
		return -EINVAL;
	vma->flags = op_ctx->flags & PANTHOR_VM_MAP_FLAGS;

	ret = panthor_vm_map_backing(vm, op->map.va.addr, op->map.va.range, vma->flags,
				     &op->map.gem);
	if (ret) {
		panthor_vm_op_ctx_return_vma(op_ctx, vma);
		return ret;
	}

	/* Cannot fail: the walk just freed the range. */
	U_WARN_ON(gpuva_map(&vm->base, &vma->base, &op->map));
	panthor_vma_link(vma, op_ctx->map.vm_bo);
	gpuvm_bo_put_deferred(op_ctx->map.vm_bo);
	op_ctx->map.vm_bo = NULL;
	return 0;
}

/* Is @iova mapped by a 2 MiB block? */
static bool iova_mapped_as_huge_page(struct panthor_vm *vm, uint64_t iova)
{
	struct pgtable_leaf leaf;

	return !pgtable_lookup(vm->pgtbl, iova, &leaf) && leaf.size >= SZ_2M;
}

/*
 * The page-table library does not split a 2 MiB block for a partial unmap
 * (neither does io-pgtable): when an end of the range to unmap falls inside
 * a block, widen the range to the whole block. The caller re-maps the part
 * of the block that survives.
 */
static void unmap_hugepage_align(struct panthor_vm *vm, const struct gpuva_op_remap *op,
				 uint64_t *unmap_start, uint64_t *unmap_range)
{
	uint64_t unmap_end = *unmap_start + *unmap_range;

	if (op->prev) {
		uint64_t aligned_start = U_ALIGN_DOWN(*unmap_start, SZ_2M);

		if (aligned_start < *unmap_start && op->prev->va.addr <= aligned_start &&
		    iova_mapped_as_huge_page(vm, *unmap_start)) {
			*unmap_range += *unmap_start - aligned_start;
			*unmap_start = aligned_start;
		}
	}
	if (op->next) {
		uint64_t aligned_end = U_ALIGN_UP(unmap_end, SZ_2M);

		if (aligned_end > unmap_end &&
		    op->next->va.addr + op->next->va.range >= aligned_end &&
		    iova_mapped_as_huge_page(vm, unmap_end - 1))
			*unmap_range += aligned_end - unmap_end;
	}
}

static int panthor_gpuva_sm_step_remap(struct gpuva_op *op, void *priv)
{
	struct panthor_vm *vm = priv;
	struct panthor_vm_op_ctx *op_ctx = vm->op_ctx;
	struct panthor_vma *unmap_vma = to_panthor_vma(op->remap.unmap->va);
	struct panthor_vma *prev_vma = NULL, *next_vma = NULL;
	uint64_t unmap_start, unmap_range;
	int ret;

	gpuva_op_remap_to_unmap_range(&op->remap, &unmap_start, &unmap_range);
	unmap_hugepage_align(vm, &op->remap, &unmap_start, &unmap_range);

	/* The range may now stick out of the op's: widen the lock first. */
	ret = panthor_vm_lock_region(vm, unmap_start, unmap_range);
	if (ret)
		return ret;

	ret = panthor_vm_unmap_pages(vm, unmap_start, unmap_range);
	if (ret)
		return ret;

	/* Put back what the widened unmap took from the pieces that stay. */
	if (op->remap.prev) {
		const struct gpuva_op_map *prev = op->remap.prev;
		uint64_t prev_end = prev->va.addr + prev->va.range;

		if (prev_end > unmap_start) {
			struct gpuva_gem gem = prev->gem;

			gem.offset = gpuva_op_map_offset(prev, unmap_start);
			ret = panthor_vm_map_backing(vm, unmap_start, prev_end - unmap_start,
						     unmap_vma->flags, &gem);
			if (ret)
				return ret;
		}
		prev_vma = panthor_vm_op_ctx_get_vma(op_ctx);
		U_ASSERT(prev_vma);
		prev_vma->flags = unmap_vma->flags;
	}
	if (op->remap.next) {
		const struct gpuva_op_map *next = op->remap.next;
		uint64_t unmap_end = unmap_start + unmap_range;

		if (unmap_end > next->va.addr) {
			ret = panthor_vm_map_backing(vm, next->va.addr, unmap_end - next->va.addr,
						     unmap_vma->flags, &next->gem);
			if (ret) {
				if (prev_vma)
					panthor_vm_op_ctx_return_vma(op_ctx, prev_vma);
				return ret;
			}
		}
		next_vma = panthor_vm_op_ctx_get_vma(op_ctx);
		U_ASSERT(next_vma);
		next_vma->flags = unmap_vma->flags;
	}

	gpuva_remap(prev_vma ? &prev_vma->base : NULL, next_vma ? &next_vma->base : NULL,
		    &op->remap);
	if (prev_vma)
		panthor_vma_link(prev_vma, unmap_vma->base.vm_bo);
	if (next_vma)
		panthor_vma_link(next_vma, unmap_vma->base.vm_bo);
	panthor_vma_unlink(unmap_vma);
	return 0;
}

static int panthor_gpuva_sm_step_unmap(struct gpuva_op *op, void *priv)
{
	struct panthor_vm *vm = priv;
	struct panthor_vma *unmap_vma = to_panthor_vma(op->unmap.va);
	struct gpuvm_bo *vm_bo = unmap_vma->base.vm_bo;
	int ret;

	/* An evicted VA has no pages to unmap (eviction unmaps VAs whole). */
	if (!(vm_bo && vm_bo->evicted &&
	      !pgtable_iova_to_phys(vm->pgtbl, unmap_vma->base.va.addr))) {
		ret = panthor_vm_unmap_pages(vm, unmap_vma->base.va.addr,
					     unmap_vma->base.va.range);
		if (ret)
			return ret;
	}
	if (vm_bo)
		panthor_gem_reclaim_hint_unmapped(to_panthor_bo(vm_bo->obj));
	gpuva_unmap(&op->unmap);
	panthor_vma_unlink(unmap_vma);
	return 0;
}

/* ---- eviction and restore ---------------------------------------------------------- */

/* Live vm_bos of @bo with at least one VA, each with a reference (at most @max). */
static unsigned int bo_mapped_vm_bos(struct panthor_gem_object *bo, struct gpuvm_bo **out,
				     unsigned int max)
{
	struct gpuvm_bo *vm_bo;
	unsigned int n = 0;

	gpuvm_gem_lock(&bo->base);
	gpuvm_gem_for_each_vm_bo(vm_bo, &bo->base) {
		if (u_list_empty(&vm_bo->vas))
			continue;
		if (n < max)
			out[n] = gpuvm_bo_get(vm_bo);
		n++;
	}
	gpuvm_gem_unlock(&bo->base);
	return n;
}

unsigned int panthor_gem_mapped_vms_locked(struct panthor_gem_object *bo,
					   struct panthor_gem_vm_lru **single, bool *any_va)
{
	struct panthor_vm *first = NULL;
	struct gpuvm_bo *vm_bo;
	unsigned int n = 0;

	*single = NULL;
	*any_va = false;
	gpuvm_gem_lock(&bo->base);
	gpuvm_gem_for_each_vm_bo(vm_bo, &bo->base) {
		if (u_list_empty(&vm_bo->vas))
			continue;
		*any_va = true;
		if (gpuvm_bo_is_evicted(vm_bo))
			continue;
		if (!n++)
			first = to_panthor_vm(vm_bo->vm);
	}
	/* The vm_bo keeps the VM, hence its list, alive while the gpuva lock is held. */
	if (n == 1)
		*single = panthor_gem_vm_lru_get(bo->ptdev, first->reclaim_lru);
	gpuvm_gem_unlock(&bo->base);
	return n;
}

/* Unmap every VA of @vm_bo; the op lock is held, an empty op context installed. */
static int vm_bo_unmap_all(struct panthor_vm *vm, struct gpuvm_bo *vm_bo)
{
	struct gpuva *va;
	int ret = 0;

	gpuvm_gem_lock(vm_bo->obj);
	u_list_for_each_entry(va, &vm_bo->vas, vm_bo_link) {
		/* Unmapped by an earlier, aborted eviction: VAs go whole. */
		if (!pgtable_iova_to_phys(vm->pgtbl, va->va.addr))
			continue;
		ret = panthor_vm_lock_region(vm, va->va.addr, va->va.range);
		if (ret)
			break;
		ret = panthor_vm_unmap_pages(vm, va->va.addr, va->va.range);
		{
			int r2 = panthor_vm_unlock_region(vm);

			if (!ret)
				ret = r2;
		}
		if (ret)
			break;
	}
	gpuvm_gem_unlock(vm_bo->obj);
	return ret;
}

#define EVICT_MAX_VMS 16u

bool panthor_vm_bo_in_restoring_vm(struct panthor_gem_object *bo)
{
	struct panthor_vm *vm = restoring_vm;
	struct gpuvm_bo *vm_bo;
	bool found = false;

	dma_resv_assert_held(panthor_gem_resv(bo));
	if (!vm)
		return false;
	gpuvm_gem_lock(&bo->base);
	gpuvm_gem_for_each_vm_bo(vm_bo, &bo->base) {
		if (vm_bo->vm == &vm->base && !u_list_empty(&vm_bo->vas)) {
			found = true;
			break;
		}
	}
	gpuvm_gem_unlock(&bo->base);
	return found;
}

int panthor_vm_evict_bo_locked(struct panthor_gem_object *bo)
{
	struct gpuvm_bo *vm_bos[EVICT_MAX_VMS];
	unsigned int n, i;
	int ret = 0;

	dma_resv_assert_held(panthor_gem_resv(bo));
	n = bo_mapped_vm_bos(bo, vm_bos, EVICT_MAX_VMS);
	if (n > EVICT_MAX_VMS) {
		n = EVICT_MAX_VMS;
		ret = -EBUSY;
	}
	for (i = 0; i < n && !ret; i++) {
		struct panthor_vm *vm = to_panthor_vm(vm_bos[i]->vm);
		struct panthor_vm_op_ctx op_ctx;

		/* Trylock: an allocating bind may hold it and be reclaiming into us. */
		if (!u_mutex_trylock(&vm->op_lock)) {
			ret = -EBUSY;
			break;
		}
		if (vm->jobs || vm_unusable(vm) || vm->op_ctx) {
			u_mutex_unlock(&vm->op_lock);
			ret = -EBUSY;
			break;
		}
		memset(&op_ctx, 0, sizeof(op_ctx));
		vm->op_ctx = &op_ctx;
		ret = vm_bo_unmap_all(vm, vm_bos[i]);
		/* Even after a partial unmap: restore maps whatever is missing. */
		gpuvm_bo_evict(vm_bos[i], true);
		vm->op_ctx = NULL;
		u_mutex_unlock(&vm->op_lock);
	}
	for (i = 0; i < n; i++)
		gpuvm_bo_put_deferred(vm_bos[i]);
	return ret;
}

/* PTs needed to map the unmapped VAs of @vm_bo (gpuva lock held by the caller). */
static uint32_t vm_bo_restore_pt_count(struct panthor_vm *vm, struct gpuvm_bo *vm_bo,
				       const struct sg_table *sgt)
{
	struct gpuva *va;
	uint32_t count = 0;

	u_list_for_each_entry(va, &vm_bo->vas, vm_bo_link) {
		if (pgtable_iova_to_phys(vm->pgtbl, va->va.addr))
			continue;
		count += map_pt_count(va->va.addr, va->va.range, sgt, va->gem.offset, va->gem.range);
	}
	return count;
}

static int panthor_vm_bo_validate(struct gpuvm_bo *vm_bo, void *priv)
{
	struct panthor_vm *vm = priv;
	struct panthor_gem_object *bo = to_panthor_bo(vm_bo->obj);
	struct sg_table *sgt;
	int ret;

	dma_resv_lock(panthor_gem_resv(bo), NULL);
	sgt = panthor_gem_get_dev_sgt_locked(bo);	/* swaps the backing in */
	if (IS_ERR(sgt)) {
		ret = (int)PTR_ERR(sgt);
		goto out_unlock_resv;
	}
	for (;;) {
		struct panthor_vm_op_ctx op_ctx;
		struct gpuva *va;
		uint32_t count;

		memset(&op_ctx, 0, sizeof(op_ctx));
		u_mutex_lock(&vm->op_lock);
		gpuvm_gem_lock(vm_bo->obj);
		count = vm_bo_restore_pt_count(vm, vm_bo, sgt);
		gpuvm_gem_unlock(vm_bo->obj);
		u_mutex_unlock(&vm->op_lock);

		/* Reserve outside the op lock: the pool may allocate. */
		ret = panthor_vm_op_ctx_prealloc_pts(vm->ptdev, &op_ctx, count);
		if (ret)
			break;

		u_mutex_lock(&vm->op_lock);
		gpuvm_gem_lock(vm_bo->obj);
		if (vm_bo_restore_pt_count(vm, vm_bo, sgt) > count) {
			/* The VAs changed meanwhile: reserve again. */
			gpuvm_gem_unlock(vm_bo->obj);
			u_mutex_unlock(&vm->op_lock);
			panthor_vm_op_ctx_release_pts(vm->ptdev, &op_ctx);
			continue;
		}
		vm->op_ctx = &op_ctx;
		u_list_for_each_entry(va, &vm_bo->vas, vm_bo_link) {
			struct panthor_vma *vma = to_panthor_vma(va);
			int r2;

			if (pgtable_iova_to_phys(vm->pgtbl, va->va.addr))
				continue;
			ret = panthor_vm_lock_region(vm, va->va.addr, va->va.range);
			if (ret)
				break;
			ret = panthor_vm_map_backing(vm, va->va.addr, va->va.range, vma->flags,
						     &va->gem);
			r2 = panthor_vm_unlock_region(vm);
			if (!ret)
				ret = r2;
			if (ret)
				break;
		}
		vm->op_ctx = NULL;
		gpuvm_gem_unlock(vm_bo->obj);
		if (!ret)
			gpuvm_bo_evict(vm_bo, false);
		u_mutex_unlock(&vm->op_lock);
		panthor_vm_op_ctx_release_pts(vm->ptdev, &op_ctx);
		break;
	}
	if (!ret)
		panthor_gem_update_reclaim_state_locked(bo);
out_unlock_resv:
	dma_resv_unlock(panthor_gem_resv(bo));
	return ret;
}

static void panthor_gpuvm_gem_get(struct gpuvm_gem *obj)
{
	panthor_gem_get(to_panthor_bo(obj));
}

static void panthor_gpuvm_gem_put(struct gpuvm_gem *obj)
{
	panthor_gem_put(to_panthor_bo(obj));
}

static void panthor_vm_free(struct gpuvm *gpuvm);

static const struct gpuvm_ops panthor_gpuvm_ops = {
	.vm_free = panthor_vm_free,
	.gem_get = panthor_gpuvm_gem_get,
	.gem_put = panthor_gpuvm_gem_put,
	.sm_step_map = panthor_gpuva_sm_step_map,
	.sm_step_remap = panthor_gpuva_sm_step_remap,
	.sm_step_unmap = panthor_gpuva_sm_step_unmap,
	.vm_bo_validate = panthor_vm_bo_validate,
};

/* ---- executing an op ---------------------------------------------------------------- */

static int panthor_vm_exec_op(struct panthor_vm *vm, struct panthor_vm_op_ctx *op,
			      bool flag_vm_unusable_on_failure)
{
	uint32_t op_type = op->flags & OP_TYPE_MASK;
	int ret, unlock_ret;

	if (op_type == OP_TYPE_SYNC_ONLY)
		return 0;

	/* Everything was reserved at prepare time: an allocation here is a bug. */
	u_alloc_forbid_begin("VM_BIND execute");
	u_mutex_lock(&vm->op_lock);
	vm->op_ctx = op;
	U_TRACE("vm", op_type == OP_TYPE_MAP ? "map" : "unmap", vm->name, 'B', "va", op->va.addr,
		"size", op->va.range, "sparse", op->map.sparse);

	ret = panthor_vm_lock_region(vm, op->va.addr, op->va.range);
	if (ret)
		goto out;

	switch (op_type) {
	case OP_TYPE_MAP: {
		struct gpuvm_map_req req = {
			.map = {
				.va = { .addr = op->va.addr, .range = op->va.range },
				.gem = {
					.obj = &op->map.bo->base,
					.offset = op->map.bo_offset,
					.range = op->map.sparse ? op->map.bo->size : 0,
				},
				.flags = op->map.sparse ? GPUVA_SPARSE : 0,
			},
		};

		if (vm_unusable(vm)) {
			ret = -EINVAL;
			break;
		}
		ret = gpuvm_sm_map(&vm->base, vm, &req);
		break;
	}
	case OP_TYPE_UNMAP:
		ret = gpuvm_sm_unmap(&vm->base, vm, op->va.addr, op->va.range);
		break;
	default:
		U_WARN_ON(1);
		ret = -EINVAL;
		break;
	}

	unlock_ret = panthor_vm_unlock_region(vm);
	if (!ret)
		ret = unlock_ret;

out:
	if (ret && flag_vm_unusable_on_failure)
		panthor_vm_declare_unusable(vm);
	U_TRACE("vm", op_type == OP_TYPE_MAP ? "map" : "unmap", vm->name, 'E', "ret", ret);
	vm->op_ctx = NULL;
	u_mutex_unlock(&vm->op_lock);
	u_alloc_forbid_end();
	return ret;
}

int panthor_vm_map_bo_range(struct panthor_vm *vm, struct panthor_gem_object *bo,
			    uint64_t offset, uint64_t size, uint64_t va, uint32_t flags)
{
	struct panthor_vm_op_ctx op_ctx;
	int ret;

	if ((flags & ~PANTHOR_VM_MAP_FLAGS) || !size ||
	    !U_IS_ALIGNED(offset | size | va, SZ_4K) || !gpuvm_range_valid(&vm->base, va, size))
		return -EINVAL;
	ret = panthor_vm_prepare_map_op_ctx(&op_ctx, vm, bo, offset, size, va, flags);
	if (ret)
		return ret;
	ret = panthor_vm_exec_op(vm, &op_ctx, false);
	panthor_vm_cleanup_op_ctx(&op_ctx, vm);
	return ret;
}

int panthor_vm_unmap_range(struct panthor_vm *vm, uint64_t va, uint64_t size)
{
	struct panthor_vm_op_ctx op_ctx;
	int ret;

	if (!size)
		return 0;
	if (!U_IS_ALIGNED(va | size, SZ_4K) || !gpuvm_range_valid(&vm->base, va, size))
		return -EINVAL;
	ret = panthor_vm_prepare_unmap_op_ctx(&op_ctx, vm, va, size);
	if (ret)
		return ret;
	ret = panthor_vm_exec_op(vm, &op_ctx, false);
	panthor_vm_cleanup_op_ctx(&op_ctx, vm);
	return ret;
}

/* ---- kernel VA ----------------------------------------------------------------------- */

int panthor_vm_alloc_va(struct panthor_vm *vm, uint64_t va, uint64_t size,
			struct panthor_va_node *node)
{
	struct panthor_va_node *it;
	struct u_list *pos;
	uint64_t start, end;
	int ret = -ENOSPC;

	if (!size || !U_IS_ALIGNED(size, SZ_4K))
		return -EINVAL;
	if (va != PANTHOR_VM_KERNEL_AUTO_VA &&
	    (!U_IS_ALIGNED(va, SZ_4K) || va < vm->kernel_va.start || va > vm->kernel_va.end ||
	     size > vm->kernel_va.end - va))
		return -EINVAL;

	u_mutex_lock(&vm->kernel_va.lock);
	if (va != PANTHOR_VM_KERNEL_AUTO_VA) {
		/* Fixed: the range must be free. */
		pos = &vm->kernel_va.nodes;
		u_list_for_each_entry(it, &vm->kernel_va.nodes, link) {
			if (it->start >= va + size)
				break;
			if (it->start + it->size > va)
				goto out;
			pos = &it->link;
		}
		start = va;
	} else {
		/* First fit in the auto window. */
		uint64_t align = size >= SZ_2M ? SZ_2M : SZ_4K;

		start = U_ALIGN_UP(vm->kernel_va.auto_start, align);
		pos = &vm->kernel_va.nodes;
		u_list_for_each_entry(it, &vm->kernel_va.nodes, link) {
			if (it->start + it->size <= start) {
				pos = &it->link;
				continue;
			}
			if (it->start >= start && it->start - start >= size)
				break;
			start = U_ALIGN_UP(it->start + it->size, align);
			pos = &it->link;
		}
		end = vm->kernel_va.auto_end;
		if (start >= end || end - start < size)
			goto out;
	}
	node->start = start;
	node->size = size;
	/* Insert after @pos, keeping the list sorted. */
	u_list_add(&node->link, pos);
	ret = 0;
out:
	u_mutex_unlock(&vm->kernel_va.lock);
	return ret;
}

void panthor_vm_free_va(struct panthor_vm *vm, struct panthor_va_node *node)
{
	u_mutex_lock(&vm->kernel_va.lock);
	u_list_del(&node->link);
	u_mutex_unlock(&vm->kernel_va.lock);
	node->start = 0;
	node->size = 0;
}

/* ---- async bind queue ------------------------------------------------------------------ */

static const char *bind_fence_driver_name(struct dma_fence *fence)
{
	return "panthor";
}

static const char *bind_fence_timeline_name(struct dma_fence *fence)
{
	return "vm-bind";
}

static const struct dma_fence_ops panthor_vm_bind_fence_ops = {
	.use_64bit_seqno = true,
	.get_driver_name = bind_fence_driver_name,
	.get_timeline_name = bind_fence_timeline_name,
};

static void panthor_vm_bind_job_free(struct panthor_vm_bind_job *job)
{
	struct panthor_vm *vm = job->vm;

	panthor_vm_cleanup_op_ctx(&job->ctx, vm);
	for (uint32_t i = 0; i < job->nr_deps; i++)
		dma_fence_put(job->deps[i]);
	u_free(job->deps);
	u_free(job->syncs);
	if (job->armed)
		dma_fence_put(job->fence);
	else
		u_free(job->fence);
	u_free(job);
	panthor_vm_put(vm);
}

/* Hand a finished job to the cleanup thread (no resv lock on this path). */
static void panthor_vm_bind_job_queue_cleanup(struct panthor_device *ptdev,
					      struct panthor_vm_bind_job *job)
{
	struct panthor_mmu *mmu = ptdev->mmu;

	u_mutex_lock(&mmu->cleanup.lock);
	u_list_add_tail(&job->node, &mmu->cleanup.jobs);
	__atomic_store_n(&mmu->cleanup.nr_jobs, mmu->cleanup.nr_jobs + 1, __ATOMIC_RELEASE);
	u_mutex_unlock(&mmu->cleanup.lock);
	panthor_waitqueue_wake_all(&mmu->cleanup.wq);
}

/* What a list worker waits for: work, or the order to stop. */
struct list_wait {
	uint32_t *nr;
	bool *stop;
};

static bool list_ready(void *arg)
{
	struct list_wait *w = arg;

	return __atomic_load_n(w->nr, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(w->stop, __ATOMIC_ACQUIRE);
}

static void *panthor_vm_bind_worker(void *arg)
{
	struct panthor_vm *vm = arg;
	struct list_wait w = { &vm->queue.nr_jobs, &vm->queue.stop };

	for (;;) {
		struct panthor_vm_bind_job *job = NULL;
		bool cookie, stop;
		int ret;

		panthor_waitqueue_wait(&vm->queue.wq, list_ready, &w, UINT64_MAX);
		u_mutex_lock(&vm->queue.lock);
		if (!u_list_empty(&vm->queue.jobs)) {
			job = u_list_first_entry(&vm->queue.jobs, struct panthor_vm_bind_job, node);
			u_list_del(&job->node);
			__atomic_store_n(&vm->queue.nr_jobs, vm->queue.nr_jobs - 1, __ATOMIC_RELEASE);
		}
		stop = vm->queue.stop;
		u_mutex_unlock(&vm->queue.lock);
		if (!job) {
			if (stop)
				break;
			continue;
		}

		/*
		 * Dependencies first, outside the signalling section. A VM
		 * destroyed meanwhile cancels the jobs still waiting (as
		 * killing a scheduler entity does): a dependency that never
		 * signals must not keep VM_DESTROY waiting for the queue.
		 */
		ret = 0;
		for (uint32_t i = 0; i < job->nr_deps && !ret; i++) {
			while (dma_fence_wait_timeout(job->deps[i], false, DEP_WAIT_SLICE_NS) < 0) {
				if (__atomic_load_n(&vm->destroyed, __ATOMIC_ACQUIRE)) {
					ret = -ESRCH;
					break;
				}
			}
		}

		cookie = dma_fence_begin_signalling();
		if (!ret)
			ret = panthor_vm_exec_op(vm, &job->ctx, true);
		if (ret)
			dma_fence_set_error(job->fence, ret);
		dma_fence_signal(job->fence);
		dma_fence_end_signalling(cookie);

		panthor_vm_bind_job_queue_cleanup(vm->ptdev, job);
	}
	return NULL;
}

static void *panthor_mmu_cleanup_worker(void *arg)
{
	struct panthor_device *ptdev = arg;
	struct panthor_mmu *mmu = ptdev->mmu;
	struct list_wait w = { &mmu->cleanup.nr_jobs, &mmu->cleanup.stop };

	for (;;) {
		struct panthor_vm_bind_job *job = NULL;
		bool stop;

		panthor_waitqueue_wait(&mmu->cleanup.wq, list_ready, &w, UINT64_MAX);
		u_mutex_lock(&mmu->cleanup.lock);
		if (!u_list_empty(&mmu->cleanup.jobs)) {
			job = u_list_first_entry(&mmu->cleanup.jobs, struct panthor_vm_bind_job, node);
			u_list_del(&job->node);
			__atomic_store_n(&mmu->cleanup.nr_jobs, mmu->cleanup.nr_jobs - 1,
					 __ATOMIC_RELEASE);
		}
		stop = mmu->cleanup.stop;
		u_mutex_unlock(&mmu->cleanup.lock);
		if (!job) {
			if (stop)
				break;
			continue;
		}
		panthor_vm_bind_job_free(job);

		u_mutex_lock(&mmu->cleanup.lock);
		__atomic_store_n(&mmu->cleanup.pending, mmu->cleanup.pending - 1, __ATOMIC_RELEASE);
		u_mutex_unlock(&mmu->cleanup.lock);
		panthor_waitqueue_wake_all(&mmu->cleanup.idle_wq);
	}
	return NULL;
}

static bool cleanup_idle(void *arg)
{
	struct panthor_mmu *mmu = arg;

	return !__atomic_load_n(&mmu->cleanup.pending, __ATOMIC_ACQUIRE);
}

void panthor_mmu_wait_cleanup(struct panthor_device *ptdev)
{
	panthor_waitqueue_wait(&ptdev->mmu->cleanup.idle_wq, cleanup_idle, ptdev->mmu, UINT64_MAX);
}

void panthor_vm_wait_idle(struct panthor_vm *vm)
{
	struct dma_fence *last;

	u_mutex_lock(&vm->queue.lock);
	last = dma_fence_get(vm->queue.last_fence);
	u_mutex_unlock(&vm->queue.lock);
	if (last) {
		dma_fence_wait(last, false);
		dma_fence_put(last);
	}
}

/* ---- VM lifetime ------------------------------------------------------------------------ */

struct panthor_vm *panthor_vm_create(struct panthor_device *ptdev, bool for_mcu,
				     uint64_t kernel_va_start, uint64_t kernel_va_size,
				     uint64_t auto_kernel_va_start, uint64_t auto_kernel_va_size)
{
	uint64_t va_range = for_mcu ? PANTHOR_MCU_VA_RANGE : 1ull << ptdev->va_bits;
	struct panthor_vm_op_ctx root_ctx;
	struct pgtable_cfg cfg;
	struct panthor_vm *vm;
	int ret;

	if (!kernel_va_size || kernel_va_start > va_range ||
	    kernel_va_size > va_range - kernel_va_start ||
	    auto_kernel_va_start < kernel_va_start || !auto_kernel_va_size ||
	    auto_kernel_va_size > kernel_va_start + kernel_va_size - auto_kernel_va_start)
		return ERR_PTR(-EINVAL);

	vm = u_zalloc(sizeof(*vm));
	if (!vm)
		return ERR_PTR(-ENOMEM);
	vm->reclaim_lru = panthor_gem_vm_lru_create(ptdev);
	if (!vm->reclaim_lru) {
		u_free(vm);
		return ERR_PTR(-ENOMEM);
	}
	vm->ptdev = ptdev;
	vm->for_mcu = for_mcu;
	vm->id = panthor_device_alloc_id(ptdev);
	snprintf(vm->name, sizeof(vm->name), "vm%u", vm->id);
	vm->as.id = -1;
	u_list_init(&vm->as.lru_node);
	vm->memattr = mair_to_memattr(ARM_LPAE_S1_MAIR, ptdev->coherent);
	dma_resv_init(&vm->resv);
	u_mutex_init(&vm->op_lock, &panthor_vm_op_lock_class);
	u_mutex_init(&vm->restore_lock, &panthor_vm_restore_class);
	u_mutex_init(&vm->heaps_lock, &panthor_vm_heaps_class);
	u_mutex_init(&vm->kernel_va.lock, &panthor_vm_kernel_va_class);
	u_list_init(&vm->kernel_va.nodes);
	vm->kernel_va.start = kernel_va_start;
	vm->kernel_va.end = kernel_va_start + kernel_va_size;
	vm->kernel_va.auto_start = auto_kernel_va_start;
	vm->kernel_va.auto_end = auto_kernel_va_start + auto_kernel_va_size;
	u_mutex_init(&vm->queue.lock, &panthor_vm_bind_queue_class);
	u_list_init(&vm->queue.jobs);
	panthor_waitqueue_init(&vm->queue.wq);
	vm->queue.fence_context = dma_fence_context_alloc(1);

	/* The root table comes from a one-frame reservation, like any table. */
	memset(&root_ctx, 0, sizeof(root_ctx));
	ret = panthor_vm_op_ctx_prealloc_pts(ptdev, &root_ctx, 1);
	if (ret)
		goto err_free;
	cfg = (struct pgtable_cfg){
		.ias = ptdev->va_bits,
		.oas = ptdev->pa_bits,
		.pgsize_bitmap = PGTABLE_PGSIZE_4K_2M,
		.coherent_walk = ptdev->coherent,
		/*
		 * Holes are expected here (a remap or unmap over VAs the shrinker
		 * unmapped): panthor_vm_unmap_pages() skips them and reports any
		 * other early stop itself, as map errors are reported by their callers.
		 */
		.no_warn = true,
		.ops = &panthor_pgtable_ops,
		.cookie = vm,
	};
	u_mutex_lock(&vm->op_lock);
	vm->op_ctx = &root_ctx;
	vm->pgtbl = pgtable_create(&cfg);
	vm->op_ctx = NULL;
	u_mutex_unlock(&vm->op_lock);
	panthor_vm_op_ctx_release_pts(ptdev, &root_ctx);
	if (IS_ERR(vm->pgtbl)) {
		ret = (int)PTR_ERR(vm->pgtbl);
		goto err_free;
	}

	if (pthread_create(&vm->queue.thread, NULL, panthor_vm_bind_worker, vm)) {
		ret = -ENOMEM;
		goto err_pgtable;
	}
	/* Cannot fail: the span and the ops are valid. */
	U_ASSERT(!gpuvm_init(&vm->base, vm->name, 0, va_range, &vm->resv, &panthor_gpuvm_ops));
	return vm;

err_pgtable:
	pgtable_destroy(vm->pgtbl);
err_free:
	panthor_waitqueue_fini(&vm->queue.wq);
	u_mutex_fini(&vm->queue.lock);
	u_mutex_fini(&vm->kernel_va.lock);
	u_mutex_fini(&vm->op_lock);
	u_mutex_fini(&vm->restore_lock);
	u_mutex_fini(&vm->heaps_lock);
	dma_resv_fini(&vm->resv);
	panthor_gem_vm_lru_release(ptdev, vm->reclaim_lru);
	u_free(vm);
	return ERR_PTR(ret);
}

static void panthor_vm_free(struct gpuvm *gpuvm)
{
	struct panthor_vm *vm = to_panthor_vm(gpuvm);
	struct panthor_device *ptdev = vm->ptdev;
	struct panthor_mmu *mmu = ptdev->mmu;
	int as;

	/* Every job holds a reference: the queue is empty. */
	u_mutex_lock(&vm->queue.lock);
	__atomic_store_n(&vm->queue.stop, true, __ATOMIC_RELEASE);
	u_mutex_unlock(&vm->queue.lock);
	panthor_waitqueue_wake_all(&vm->queue.wq);
	pthread_join(vm->queue.thread, NULL);
	dma_fence_put(vm->queue.last_fence);

	u_mutex_lock(&vm->op_lock);
	u_mutex_lock(&mmu->as.slots_lock);
	as = vm_as_id(vm);
	if (as >= 0) {
		panthor_mmu_as_disable(ptdev, (uint32_t)as, false);
		/* The reset path may have released the slot meanwhile. */
		as = vm_as_id(vm);
	}
	if (as >= 0) {
		mmu->as.slots[as].vm = NULL;
		mmu->as.alloc_mask &= ~(1u << as);
		u_list_del(&vm->as.lru_node);
		vm_set_as_id(vm, -1);
	}
	u_mutex_unlock(&mmu->as.slots_lock);
	u_mutex_unlock(&vm->op_lock);

	pgtable_destroy(vm->pgtbl);
	U_WARN_ON(!u_list_empty(&vm->kernel_va.nodes));
	panthor_waitqueue_fini(&vm->queue.wq);
	u_mutex_fini(&vm->queue.lock);
	u_mutex_fini(&vm->kernel_va.lock);
	u_mutex_fini(&vm->op_lock);
	u_mutex_fini(&vm->restore_lock);
	u_mutex_fini(&vm->heaps_lock);
	dma_resv_fini(&vm->resv);
	panthor_gem_vm_lru_release(ptdev, vm->reclaim_lru);
	u_free(vm);
}

struct panthor_vm *panthor_vm_get(struct panthor_vm *vm)
{
	if (vm)
		gpuvm_get(&vm->base);
	return vm;
}

void panthor_vm_put(struct panthor_vm *vm)
{
	if (vm)
		gpuvm_put(&vm->base);
}

void panthor_vm_destroy(struct panthor_vm *vm)
{
	struct panthor_heap_pool *pool;

	if (!vm)
		return;
	__atomic_store_n(&vm->destroyed, true, __ATOMIC_RELEASE);
	/*
	 * Async submits check "destroyed" under the VM resv, which they hold
	 * while queueing: once we got it, nothing more gets queued.
	 */
	dma_resv_lock(&vm->resv, NULL);
	dma_resv_unlock(&vm->resv);
	panthor_vm_wait_idle(vm);

	/* The heaps' kernel BOs hold VM references: they go with the VM. */
	u_mutex_lock(&vm->heaps_lock);
	pool = vm->heap_pool;
	vm->heap_pool = NULL;
	u_mutex_unlock(&vm->heaps_lock);
	panthor_heap_pool_destroy(pool);

	if (panthor_vm_unmap_range(vm, vm->base.start, vm->base.range))
		u_err(MOD, "%s: could not unmap everything at destruction", vm->name);
	panthor_vm_put(vm);
}

struct dma_resv *panthor_vm_resv(struct panthor_vm *vm)
{
	return &vm->resv;
}

bool panthor_vm_is_mcu(const struct panthor_vm *vm)
{
	return vm->for_mcu;
}

uint32_t panthor_vm_id(const struct panthor_vm *vm)
{
	return vm->id;
}

bool panthor_vm_is_unusable(struct panthor_vm *vm)
{
	return vm_unusable(vm);
}

void panthor_mmu_sync_fault_irq(struct panthor_device *ptdev, uint32_t as)
{
	/*
	 * The handler clears the AS's RAWSTAT bit under the slots lock, where it
	 * also records the fault in the VM: once the bit reads clear, the next
	 * look at the VM under that lock sees the fault. An AS that did not
	 * fault has the bit clear already.
	 */
	(void)gpu_read_poll_clear(ptdev, MMU_INT_RAWSTAT, 1u << as, ptdev->timeout_us, NULL);
}

bool panthor_vm_has_unhandled_faults(struct panthor_vm *vm)
{
	bool ret;

	u_mutex_lock(&vm->ptdev->mmu->as.slots_lock);
	ret = vm->unhandled_fault;
	u_mutex_unlock(&vm->ptdev->mmu->as.slots_lock);
	return ret;
}

void panthor_vm_get_fault_info(struct panthor_vm *vm, struct panthor_vm_fault_info *info)
{
	u_mutex_lock(&vm->ptdev->mmu->as.slots_lock);
	*info = vm->fault;
	u_mutex_unlock(&vm->ptdev->mmu->as.slots_lock);
}

int panthor_vm_as(struct panthor_vm *vm)
{
	return vm_as_id(vm);
}

uint64_t panthor_vm_kernel_va_start(const struct panthor_vm *vm)
{
	return vm->kernel_va.start;
}

/* ---- MMU init ------------------------------------------------------------------------ */

/* The last step of fini and of a failed init: the page-table pool, the locks, the struct. */
static void panthor_mmu_free(struct panthor_device *ptdev)
{
	struct panthor_mmu *mmu = ptdev->mmu;

	pt_pool_drain(ptdev);
	panthor_waitqueue_fini(&mmu->cleanup.idle_wq);
	panthor_waitqueue_fini(&mmu->cleanup.wq);
	u_mutex_fini(&mmu->cleanup.lock);
	u_mutex_fini(&mmu->pt_pool.lock);
	u_mutex_fini(&mmu->as.slots_lock);
	u_free(mmu);
	ptdev->mmu = NULL;
}

int panthor_mmu_init(struct panthor_device *ptdev)
{
	struct panthor_mmu *mmu = u_zalloc(sizeof(*mmu));
	struct panthor_vm *mcu_vm;
	int ret;

	if (!mmu)
		return -ENOMEM;
	u_mutex_init(&mmu->as.slots_lock, &panthor_mmu_slots_class);
	u_list_init(&mmu->as.lru_list);
	u_mutex_init(&mmu->pt_pool.lock, &panthor_pt_pool_class);
	u_mutex_init(&mmu->cleanup.lock, &panthor_mmu_cleanup_class);
	u_list_init(&mmu->cleanup.jobs);
	panthor_waitqueue_init(&mmu->cleanup.wq);
	panthor_waitqueue_init(&mmu->cleanup.idle_wq);
	ptdev->mmu = mmu;

	/* Page-fault events are enabled per AS as slots are programmed. */
	ret = panthor_irq_request(ptdev, &mmu->irq, HW_IRQ_MMU, MMU_INT_RAWSTAT, 0,
				  panthor_mmu_irq_handler, "mmu");
	if (ret)
		goto err_free;

	if (pthread_create(&mmu->cleanup.thread, NULL, panthor_mmu_cleanup_worker, ptdev)) {
		ret = -ENOMEM;
		goto err_irq;
	}

	mcu_vm = panthor_vm_create(ptdev, true, 0, PANTHOR_MCU_VA_RANGE, PANTHOR_MCU_SHARED_START,
				   PANTHOR_MCU_SHARED_SIZE);
	if (IS_ERR(mcu_vm)) {
		ret = (int)PTR_ERR(mcu_vm);
		goto err_cleanup_thread;
	}
	/* The firmware VM is active for good: AS 0 never goes to anyone else. */
	ret = panthor_vm_active(mcu_vm);
	if (ret) {
		panthor_vm_put(mcu_vm);
		goto err_cleanup_thread;
	}
	mmu->mcu_vm = mcu_vm;
	return 0;

err_cleanup_thread:
	u_mutex_lock(&mmu->cleanup.lock);
	__atomic_store_n(&mmu->cleanup.stop, true, __ATOMIC_RELEASE);
	u_mutex_unlock(&mmu->cleanup.lock);
	panthor_waitqueue_wake_all(&mmu->cleanup.wq);
	pthread_join(mmu->cleanup.thread, NULL);
err_irq:
	panthor_irq_release(&mmu->irq);
err_free:
	panthor_mmu_free(ptdev);
	return ret;
}

void panthor_mmu_fini(struct panthor_device *ptdev)
{
	struct panthor_mmu *mmu = ptdev->mmu;

	if (!mmu)
		return;
	panthor_mmu_wait_cleanup(ptdev);
	if (mmu->mcu_vm) {
		panthor_vm_idle(mmu->mcu_vm);
		panthor_vm_destroy(mmu->mcu_vm);
		mmu->mcu_vm = NULL;
	}
	panthor_mmu_wait_cleanup(ptdev);

	u_mutex_lock(&mmu->cleanup.lock);
	__atomic_store_n(&mmu->cleanup.stop, true, __ATOMIC_RELEASE);
	u_mutex_unlock(&mmu->cleanup.lock);
	panthor_waitqueue_wake_all(&mmu->cleanup.wq);
	pthread_join(mmu->cleanup.thread, NULL);

	for (unsigned int i = 0; i < MAX_AS_SLOTS; i++)
		if (mmu->as.slots[i].vm)
			u_err(MOD, "AS%u still bound to %s at teardown", i, mmu->as.slots[i].vm->name);
	panthor_irq_release(&mmu->irq);
	panthor_mmu_free(ptdev);
}

struct panthor_vm *panthor_mmu_mcu_vm(struct panthor_device *ptdev)
{
	return ptdev->mmu->mcu_vm;
}

/* ---- VM ioctls --------------------------------------------------------------------------- */

void panthor_vm_pool_init(struct panthor_vm_pool *pool)
{
	u_mutex_init(&pool->lock, &panthor_vm_pool_class);
	memset(pool->vms, 0, sizeof(pool->vms));
}

void panthor_vm_pool_fini(struct panthor_vm_pool *pool)
{
	for (uint32_t id = 1; id <= PANTHOR_MAX_VMS_PER_FILE; id++)
		panthor_vm_pool_destroy_vm(pool, id);
	u_mutex_fini(&pool->lock);
}

static uint64_t rounddown_pow_of_two(uint64_t x)
{
	return 1ull << (u_fls64(x) - 1);
}

/* Reference §1.7: the user/kernel split of a new VM's VA space. */
static int panthor_vm_create_get_user_va_range(struct panthor_device *ptdev,
					       const struct panthor_vm_create_args *args,
					       uint64_t *kernel_va_start, uint64_t *kernel_va_range)
{
	uint64_t full = 1ull << ptdev->va_bits;
	uint64_t user = args->user_va_range, clamp;

	if (full < PANTHOR_VM_MIN_KERNEL_VA)
		return -EINVAL;
	if (!user) {
		if (PANTHOR_TASK_SIZE < full)
			user = PANTHOR_TASK_SIZE;
		else if (full > (4ull << 30))
			user = full / 2;
		else
			user = full - PANTHOR_VM_MIN_KERNEL_VA;
	}
	clamp = full - PANTHOR_VM_MIN_KERNEL_VA;
	if (args->user_va_range > clamp)
		return -EINVAL;
	user = u_min(user, clamp);

	*kernel_va_range = rounddown_pow_of_two(full - user);
	*kernel_va_start = full - *kernel_va_range;
	return 0;
}

int panthor_vm_pool_create_vm(struct panthor_device *ptdev, struct panthor_vm_pool *pool,
			      struct panthor_vm_create_args *args)
{
	uint64_t kernel_va_start, kernel_va_range;
	struct panthor_vm *vm;
	uint32_t id;
	int ret;

	if (args->flags)
		return -EINVAL;
	ret = panthor_vm_create_get_user_va_range(ptdev, args, &kernel_va_start, &kernel_va_range);
	if (ret)
		return ret;

	vm = panthor_vm_create(ptdev, false, kernel_va_start, kernel_va_range, kernel_va_start,
			       kernel_va_range);
	if (IS_ERR(vm))
		return (int)PTR_ERR(vm);

	u_mutex_lock(&pool->lock);
	for (id = 1; id <= PANTHOR_MAX_VMS_PER_FILE && pool->vms[id]; id++)
		;
	if (id <= PANTHOR_MAX_VMS_PER_FILE)
		pool->vms[id] = vm;
	u_mutex_unlock(&pool->lock);
	if (id > PANTHOR_MAX_VMS_PER_FILE) {
		/* The xarray's answer when its id range is full. */
		panthor_vm_put(vm);
		return -EBUSY;
	}

	args->id = id;
	args->user_va_range = kernel_va_start;
	return (int)id;
}

int panthor_vm_pool_destroy_vm(struct panthor_vm_pool *pool, uint32_t handle)
{
	struct panthor_vm *vm = NULL;

	u_mutex_lock(&pool->lock);
	if (handle >= 1 && handle <= PANTHOR_MAX_VMS_PER_FILE) {
		vm = pool->vms[handle];
		pool->vms[handle] = NULL;
	}
	u_mutex_unlock(&pool->lock);
	if (!vm)
		return -EINVAL;
	panthor_vm_destroy(vm);
	return 0;
}

struct panthor_vm *panthor_vm_pool_get_vm(struct panthor_vm_pool *pool, uint32_t handle)
{
	struct panthor_vm *vm = NULL;

	u_mutex_lock(&pool->lock);
	if (handle >= 1 && handle <= PANTHOR_MAX_VMS_PER_FILE)
		vm = panthor_vm_get(pool->vms[handle]);
	u_mutex_unlock(&pool->lock);
	return vm;
}

int panthor_vm_get_state(struct panthor_file *pfile, uint32_t vm_id, uint32_t *state)
{
	struct panthor_vm *vm = panthor_vm_pool_get_vm(&pfile->vms, vm_id);

	if (!vm)
		return -EINVAL;
	*state = vm_unusable(vm) ? DRM_PANTHOR_VM_STATE_UNUSABLE : DRM_PANTHOR_VM_STATE_USABLE;
	panthor_vm_put(vm);
	return 0;
}

/*
 * A user range: non-empty, no overflow, below the kernel VA range. The
 * kernel check is a pantomime rule (docs/vm.md): the reference found no
 * such check upstream, but newer upstream tests expect binds into the
 * kernel range to fail with EINVAL.
 */
static int check_user_range(struct panthor_vm *vm, uint64_t va, uint64_t size)
{
	uint64_t end;

	if (!size || __builtin_add_overflow(va, size, &end) || end > vm->kernel_va.start)
		return -EINVAL;
	return 0;
}

/* Reference §1.7 validation, then the prepare half of the op. */
static int panthor_vm_bind_prepare_op_ctx(struct panthor_file *pfile, struct panthor_vm *vm,
					  const struct panthor_vm_bind_op_args *op,
					  struct panthor_vm_op_ctx *op_ctx)
{
	uint32_t op_type = op->flags & OP_TYPE_MASK;
	struct panthor_gem_object *bo;
	int ret;

	memset(op_ctx, 0, sizeof(*op_ctx));
	if ((op->va | op->size | op->bo_offset) & (SZ_4K - 1))
		return -EINVAL;

	switch (op_type) {
	case OP_TYPE_MAP:
		if (op->flags & ~(PANTHOR_VM_BIND_OP_MAP_FLAGS | OP_TYPE_MASK))
			return -EINVAL;
		ret = check_user_range(vm, op->va, op->size);
		if (ret)
			return ret;
		if (op->flags & DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE) {
			if (!(op->flags & DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC) || op->bo_handle ||
			    op->bo_offset)
				return -EINVAL;
			bo = panthor_gem_get(pfile->dummy);
		} else {
			bo = panthor_file_bo_lookup(pfile, op->bo_handle);
			if (!bo)
				return -EINVAL;
		}
		ret = panthor_vm_prepare_map_op_ctx(op_ctx, vm, bo, op->bo_offset, op->size, op->va,
						    op->flags);
		panthor_gem_put(bo);
		return ret;

	case OP_TYPE_UNMAP:
		if (op->flags & ~OP_TYPE_MASK)
			return -EINVAL;
		if (op->bo_handle || op->bo_offset)
			return -EINVAL;
		ret = check_user_range(vm, op->va, op->size);
		if (ret)
			return ret;
		return panthor_vm_prepare_unmap_op_ctx(op_ctx, vm, op->va, op->size);

	case OP_TYPE_SYNC_ONLY:
		if (op->flags & ~OP_TYPE_MASK)
			return -EINVAL;
		if (op->bo_handle || op->bo_offset || op->va || op->size)
			return -EINVAL;
		if (!op->syncs_count)
			return -EINVAL;
		panthor_vm_prepare_sync_only_op_ctx(op_ctx);
		return 0;

	default:
		return -EINVAL;
	}
}

int panthor_vm_bind_exec_sync_op(struct panthor_file *pfile, struct panthor_vm *vm,
				 const struct panthor_vm_bind_op_args *op)
{
	struct panthor_vm_op_ctx op_ctx;
	int ret;

	/* No sync objects on synchronous ops. */
	if (op->syncs_count)
		return -EINVAL;
	if (!op->size)
		return 0;

	ret = panthor_vm_bind_prepare_op_ctx(pfile, vm, op, &op_ctx);
	if (ret)
		return ret;
	ret = panthor_vm_exec_op(vm, &op_ctx, false);
	panthor_vm_cleanup_op_ctx(&op_ctx, vm);
	return ret;
}

/* Everything one async VM_BIND call gathers before queueing (upstream's submit ctx). */
struct panthor_bind_submit {
	struct panthor_file *pfile;
	struct panthor_vm *vm;
	struct panthor_vm_bind_job **jobs;
	uint32_t nr_jobs;
	struct panthor_sync_signals signals;
};

static void panthor_bind_submit_fini(struct panthor_bind_submit *ctx)
{
	panthor_sync_signals_fini(&ctx->signals);
	for (uint32_t i = 0; i < ctx->nr_jobs; i++)
		if (ctx->jobs[i])
			panthor_vm_bind_job_free(ctx->jobs[i]);
	u_free(ctx->jobs);
}

static struct panthor_vm_bind_job *panthor_vm_bind_job_create(struct panthor_file *pfile,
							      struct panthor_vm *vm,
							      const struct panthor_vm_bind_op_args *op)
{
	struct panthor_vm_bind_job *job;
	uint32_t waits = 0;
	int ret;

	if (__atomic_load_n(&vm->destroyed, __ATOMIC_ACQUIRE) || vm_unusable(vm))
		return ERR_PTR(-EINVAL);
	for (uint32_t i = 0; i < op->syncs_count; i++) {
		ret = panthor_sync_op_check(&op->syncs[i], "VM_BIND");
		if (ret)
			return ERR_PTR(ret);
		waits += !panthor_sync_op_is_signal(&op->syncs[i]);
	}

	job = u_zalloc(sizeof(*job));
	if (!job)
		return ERR_PTR(-ENOMEM);
	job->vm = panthor_vm_get(vm);
	u_list_init(&job->node);
	job->fence = u_malloc(sizeof(*job->fence));
	if (op->syncs_count)
		job->syncs = u_calloc(op->syncs_count, sizeof(*job->syncs));
	if (waits)
		job->deps = u_calloc(waits, sizeof(*job->deps));
	if (!job->fence || (op->syncs_count && !job->syncs) || (waits && !job->deps)) {
		ret = -ENOMEM;
		goto err_free;
	}
	for (uint32_t i = 0; i < op->syncs_count; i++)
		job->syncs[i] = op->syncs[i];
	job->nr_syncs = op->syncs_count;
	job->max_deps = waits;

	ret = panthor_vm_bind_prepare_op_ctx(pfile, vm, op, &job->ctx);
	if (ret)
		goto err_free;
	return job;

err_free:
	panthor_vm_bind_job_free(job);
	return ERR_PTR(ret);
}

/* WAIT syncs become dependencies: an earlier op's SIGNAL of the point in this call wins. */
static int panthor_submit_add_deps(struct panthor_bind_submit *ctx, struct panthor_vm_bind_job *job)
{
	return panthor_sync_signals_add_deps(&ctx->signals, job->syncs, job->nr_syncs, job->deps,
					     &job->nr_deps);
}

/* Give @job its place on the VM's timeline (VM resv held). */
static void panthor_vm_bind_job_arm(struct panthor_vm_bind_job *job)
{
	struct panthor_vm *vm = job->vm;

	u_mutex_lock(&vm->queue.lock);
	dma_fence_init(job->fence, &panthor_vm_bind_fence_ops, vm->queue.fence_context,
		       ++vm->queue.seqno);
	u_mutex_unlock(&vm->queue.lock);
	job->armed = true;
}

static void panthor_submit_update_signals(struct panthor_bind_submit *ctx,
					  struct panthor_vm_bind_job *job)
{
	panthor_sync_signals_update(&ctx->signals, job->syncs, job->nr_syncs, job->fence);
}

/* Queue @job on its VM; from here on the worker owns it (VM resv held). */
static void panthor_vm_bind_job_push(struct panthor_vm_bind_job *job)
{
	struct panthor_vm *vm = job->vm;
	struct panthor_mmu *mmu = vm->ptdev->mmu;

	u_mutex_lock(&mmu->cleanup.lock);
	__atomic_store_n(&mmu->cleanup.pending, mmu->cleanup.pending + 1, __ATOMIC_RELEASE);
	u_mutex_unlock(&mmu->cleanup.lock);

	u_mutex_lock(&vm->queue.lock);
	dma_fence_put(vm->queue.last_fence);
	vm->queue.last_fence = dma_fence_get(job->fence);
	u_list_add_tail(&job->node, &vm->queue.jobs);
	__atomic_store_n(&vm->queue.nr_jobs, vm->queue.nr_jobs + 1, __ATOMIC_RELEASE);
	u_mutex_unlock(&vm->queue.lock);
	panthor_waitqueue_wake_all(&vm->queue.wq);
}

static int panthor_vm_bind_async(struct panthor_file *pfile, struct panthor_vm *vm,
				 const struct panthor_vm_bind_op_args *ops, uint32_t count)
{
	struct panthor_bind_submit ctx = { .pfile = pfile, .vm = vm,
					   .signals = { .pfile = pfile, .what = "VM_BIND" } };
	struct dma_resv *resv;
	struct drm_exec exec;
	unsigned int idx;
	int ret = 0;

	if (!count)
		return 0;
	ctx.jobs = u_calloc(count, sizeof(*ctx.jobs));
	if (!ctx.jobs)
		return -ENOMEM;

	/* 1. Validate and prepare every op; gather the signals. Nothing is queued yet. */
	for (uint32_t i = 0; i < count; i++) {
		struct panthor_vm_bind_job *job = panthor_vm_bind_job_create(pfile, vm, &ops[i]);

		if (IS_ERR(job)) {
			ret = (int)PTR_ERR(job);
			goto out;
		}
		ctx.jobs[ctx.nr_jobs++] = job;
		ret = panthor_sync_signals_add_all(&ctx.signals, job->syncs, job->nr_syncs);
		if (ret)
			goto out;
	}

	/* 2. Lock the VM resv and the mapped BOs', with a fence slot per job in each. */
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT | DRM_EXEC_IGNORE_DUPLICATES, count + 1);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_prepare_resv(&exec, &vm->resv, count);
		drm_exec_retry_on_contention(&exec);
		if (ret)
			break;
		for (uint32_t i = 0; i < ctx.nr_jobs; i++) {
			struct panthor_gem_object *bo = ctx.jobs[i]->ctx.map.bo;

			if (!bo)
				continue;
			ret = drm_exec_prepare_resv(&exec, panthor_gem_resv(bo), count);
			drm_exec_retry_on_contention(&exec);
			if (ret)
				break;
		}
	}
	/* Destruction waits for the resv: nothing can be queued after it looked. */
	if (!ret && __atomic_load_n(&vm->destroyed, __ATOMIC_ACQUIRE))
		ret = -EINVAL;

	/* 3. Dependencies, then arm each job and point its signals at its fence. */
	for (uint32_t i = 0; i < ctx.nr_jobs && !ret; i++) {
		ret = panthor_submit_add_deps(&ctx, ctx.jobs[i]);
		if (ret)
			break;
		panthor_vm_bind_job_arm(ctx.jobs[i]);
		panthor_submit_update_signals(&ctx, ctx.jobs[i]);
	}
	if (ret) {
		drm_exec_fini(&exec);
		goto out;
	}

	/* 4. Nothing can fail now: publish the fences and queue the jobs in order. */
	for (uint32_t i = 0; i < ctx.nr_jobs; i++) {
		struct panthor_vm_bind_job *job = ctx.jobs[i];

		drm_exec_for_each_locked_resv(&exec, idx, resv) {
			if (resv == &vm->resv || (job->ctx.map.bo && resv == panthor_gem_resv(job->ctx.map.bo)))
				dma_resv_add_fence(resv, job->fence, DMA_RESV_USAGE_BOOKKEEP);
		}
		panthor_vm_bind_job_push(job);
		ctx.jobs[i] = NULL;
	}
	drm_exec_fini(&exec);

	panthor_sync_signals_publish(&ctx.signals);

out:
	panthor_bind_submit_fini(&ctx);
	return ret;
}

int panthor_vm_bind(struct panthor_file *pfile, uint32_t vm_id, uint32_t flags,
		    const struct panthor_vm_bind_op_args *ops, uint32_t *count)
{
	struct panthor_vm *vm;
	int ret = 0;

	if (flags & ~(uint32_t)DRM_PANTHOR_VM_BIND_ASYNC)
		return -EINVAL;
	vm = panthor_vm_pool_get_vm(&pfile->vms, vm_id);
	if (!vm)
		return -EINVAL;

	if (flags & DRM_PANTHOR_VM_BIND_ASYNC) {
		ret = panthor_vm_bind_async(pfile, vm, ops, *count);
	} else {
		for (uint32_t i = 0; i < *count; i++) {
			ret = panthor_vm_bind_exec_sync_op(pfile, vm, &ops[i]);
			if (ret) {
				*count = i;
				break;
			}
		}
	}
	panthor_vm_put(vm);
	return ret;
}

struct panthor_heap_pool *panthor_vm_get_heap_pool(struct panthor_vm *vm, bool create)
{
	struct panthor_heap_pool *pool;

	u_mutex_lock(&vm->heaps_lock);
	if (!vm->heap_pool && create && !__atomic_load_n(&vm->destroyed, __ATOMIC_ACQUIRE)) {
		pool = panthor_heap_pool_create(vm->ptdev, vm);
		if (IS_ERR(pool)) {
			u_mutex_unlock(&vm->heaps_lock);
			return pool;
		}
		vm->heap_pool = pool;
	}
	pool = panthor_heap_pool_get(vm->heap_pool);
	u_mutex_unlock(&vm->heaps_lock);
	if (!pool)
		return ERR_PTR(create ? -EINVAL : -ENOENT);
	return pool;
}

/* ---- GPU job submission ------------------------------------------------------------ */

int panthor_vm_restore(struct panthor_vm *vm)
{
	int ret;

	u_mutex_lock(&vm->restore_lock);
	ret = gpuvm_validate_evicted(&vm->base, vm);
	u_mutex_unlock(&vm->restore_lock);
	return ret;
}

struct submit_walk {
	struct panthor_vm_submit *sub;
	unsigned int nr_fences;
};

static int submit_lock_extobj(struct gpuvm_bo *vm_bo, void *priv)
{
	struct submit_walk *w = priv;
	struct panthor_vm_submit *sub = w->sub;
	struct panthor_gem_object *bo = to_panthor_bo(vm_bo->obj);

	/* drm_exec keeps no reference: hold one until unlock. */
	if (sub->nr_bos == sub->max_bos) {
		uint32_t max = sub->max_bos ? sub->max_bos * 2 : 8;
		struct panthor_gem_object **b = u_realloc(sub->bos, max * sizeof(*b));

		if (!b)
			return -ENOMEM;
		sub->bos = b;
		sub->max_bos = max;
	}
	sub->bos[sub->nr_bos++] = panthor_gem_get(bo);
	return drm_exec_prepare_resv(&sub->exec, panthor_gem_resv(bo), w->nr_fences);
}

int panthor_vm_submit_lock(struct panthor_vm *vm, struct panthor_vm_submit *sub,
			   unsigned int nr_fences)
{
	struct submit_walk w = { sub, nr_fences };
	int ret;

	memset(sub, 0, sizeof(*sub));
	sub->vm = vm;
	/*
	 * Count the submission as a job before restoring: the shrinker must not
	 * evict what we restore before the jobs' own holds are taken (they are,
	 * before panthor_vm_submit_unlock() drops this one).
	 */
	vm_jobs_add(vm, 1);
	u_mutex_lock(&vm->restore_lock);
	restoring_vm = vm;
	ret = gpuvm_validate_evicted(&vm->base, vm);
	restoring_vm = NULL;
	if (ret) {
		u_mutex_unlock(&vm->restore_lock);
		vm_jobs_add(vm, -1);
		return ret;
	}
	drm_exec_init(&sub->exec, DRM_EXEC_INTERRUPTIBLE_WAIT | DRM_EXEC_IGNORE_DUPLICATES, 0);
	drm_exec_until_all_locked(&sub->exec) {
		ret = drm_exec_prepare_resv(&sub->exec, &vm->resv, nr_fences);
		drm_exec_retry_on_contention(&sub->exec);
		if (ret)
			break;
		ret = gpuvm_extobj_for_each(&vm->base, submit_lock_extobj, &w);
		drm_exec_retry_on_contention(&sub->exec);
		if (ret)
			break;
	}
	if (ret) {
		panthor_vm_submit_unlock(sub);
		return ret;
	}
	return 0;
}

void panthor_vm_submit_add_fence(struct panthor_vm_submit *sub, struct dma_fence *fence)
{
	struct dma_resv *resv;
	unsigned int idx;

	drm_exec_for_each_locked_resv(&sub->exec, idx, resv)
		dma_resv_add_fence(resv, fence, DMA_RESV_USAGE_BOOKKEEP);
}

void panthor_vm_submit_unlock(struct panthor_vm_submit *sub)
{
	drm_exec_fini(&sub->exec);
	u_mutex_unlock(&sub->vm->restore_lock);
	vm_jobs_add(sub->vm, -1);
	for (uint32_t i = 0; i < sub->nr_bos; i++)
		panthor_gem_put(sub->bos[i]);
	u_free(sub->bos);
	sub->bos = NULL;
	sub->nr_bos = sub->max_bos = 0;
}

/* ---- debug views and checks ---------------------------------------------------------- */

void panthor_vm_dump_mappings(struct panthor_vm *vm, pgtable_print_fn print, void *arg)
{
	struct gpuva *va;
	char line[192];

	u_mutex_lock(&vm->op_lock);
	gpuvm_for_each_va(va, &vm->base) {
		struct panthor_vma *vma = to_panthor_vma(va);
		struct panthor_gem_object *bo = va->gem.obj ? to_panthor_bo(va->gem.obj) : NULL;

		snprintf(line, sizeof(line),
			 "[0x%012" PRIx64 ", 0x%012" PRIx64 ") %s %u %s 0x%" PRIx64 "%s%s%s",
			 va->va.addr, va->va.addr + va->va.range,
			 (va->flags & GPUVA_SPARSE) ? "sparse dummy" : "bo", bo ? bo->id : 0,
			 va->gem.range ? "phase" : "offset", va->gem.offset,
			 (vma->flags & DRM_PANTHOR_VM_BIND_OP_MAP_READONLY) ? " ro" : "",
			 (vma->flags & DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC) ? " noexec" : "",
			 (vma->flags & DRM_PANTHOR_VM_BIND_OP_MAP_UNCACHED) ? " uncached" : "");
		print(arg, line);
	}
	u_mutex_unlock(&vm->op_lock);
}

void panthor_vm_dump_pgtable(struct panthor_vm *vm, uint64_t start, uint64_t end,
			     pgtable_print_fn print, void *arg)
{
	u_mutex_lock(&vm->op_lock);
	pgtable_dump(vm->pgtbl, start, end, print, arg);
	u_mutex_unlock(&vm->op_lock);
}

phys_addr_t panthor_vm_lookup_pa(struct panthor_vm *vm, uint64_t va, unsigned int *level)
{
	struct pgtable_leaf leaf;
	phys_addr_t pa = 0;

	u_mutex_lock(&vm->op_lock);
	if (!pgtable_lookup(vm->pgtbl, va, &leaf)) {
		pa = leaf.pa + (va - leaf.iova);
		if (level)
			*level = leaf.level;
	}
	u_mutex_unlock(&vm->op_lock);
	return pa;
}

/* Does @addr of @va translate to the backing the VA says? */
static int check_va_page(struct panthor_vm *vm, struct gpuva *va, uint64_t addr)
{
	struct panthor_gem_object *bo = to_panthor_bo(va->gem.obj);
	phys_addr_t want = panthor_gem_offset_to_pa(bo, gpuva_gem_offset(va, addr));
	phys_addr_t got = pgtable_iova_to_phys(vm->pgtbl, addr);

	if (want != got) {
		u_err(MOD, "%s: VA 0x%" PRIx64 " of [0x%" PRIx64 ", +0x%" PRIx64 ") maps 0x%" PRIx64
		      ", its backing is 0x%" PRIx64, vm->name, addr, va->va.addr, va->va.range, got,
		      want);
		return -EUCLEAN;
	}
	return 0;
}

struct vm_leaf_walk {
	struct panthor_vm *vm;
	int (*fn)(void *arg, const struct panthor_vm_leaf *leaf);
	void *arg;
};

static int vm_leaf_visit(void *arg, const struct pgtable_leaf *l)
{
	struct vm_leaf_walk *w = arg;
	struct panthor_vm_leaf leaf = { .iova = l->iova, .size = l->size, .pa = l->pa };
	struct gpuva *va = gpuva_find_first(&w->vm->base, l->iova, l->size);

	if (va && va->gem.obj) {
		struct panthor_gem_object *bo = to_panthor_bo(va->gem.obj);

		leaf.va_bo_id = bo->id;
		leaf.va_sparse = !!(bo->usage & PANTHOR_BO_USAGE_DUMMY);
		leaf.va_pa = panthor_gem_offset_to_pa(bo, gpuva_gem_offset(va, l->iova));
	}
	return w->fn(w->arg, &leaf);
}

int panthor_vm_walk_leaves(struct panthor_vm *vm,
			   int (*fn)(void *arg, const struct panthor_vm_leaf *leaf), void *arg)
{
	struct vm_leaf_walk w = { .vm = vm, .fn = fn, .arg = arg };
	int ret;

	u_mutex_lock(&vm->op_lock);
	ret = pgtable_for_each_leaf(vm->pgtbl, vm_leaf_visit, &w);
	u_mutex_unlock(&vm->op_lock);
	return ret;
}

int panthor_vm_validate(struct panthor_vm *vm)
{
	struct gpuva *va;
	int ret;

	u_mutex_lock(&vm->op_lock);
	ret = pgtable_validate(vm->pgtbl);
	if (!ret)
		ret = gpuvm_validate(&vm->base);
	gpuvm_for_each_va(va, &vm->base) {
		uint64_t last = va->va.addr + va->va.range - SZ_4K;
		uint64_t mid = U_ALIGN_DOWN(va->va.addr + va->va.range / 2, SZ_4K);

		if (ret)
			break;
		if (va->vm_bo && va->vm_bo->evicted)
			continue;	/* unmapped until the next job restores it */
		ret = check_va_page(vm, va, va->va.addr);
		if (!ret)
			ret = check_va_page(vm, va, mid);
		if (!ret)
			ret = check_va_page(vm, va, last);
	}
	if (!ret && vm->locked_region.size) {
		u_err(MOD, "%s: a region is still locked outside any op", vm->name);
		ret = -EUCLEAN;
	}
	u_mutex_unlock(&vm->op_lock);
	return ret;
}
