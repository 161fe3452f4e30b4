// SPDX-License-Identifier: MIT
/*
 * DOC: buffer objects, their CPU mappings, and reclaim
 *
 * Sub-resources with their own lifetimes, as panthor has had since it
 * stopped using gem_shmem (reference §4.2, §4.3):
 *
 *   backing   frames from the device's budget, allocated on first need
 *             (pin, vmap, CPU fault, sg table, swap-in), released only by
 *             eviction or when the BO is freed. pin_count says the backing
 *             must stay; dropping it to 0 frees nothing.
 *   dmap      the sg table: the backing's segments, contiguous frames
 *             merged, built on first need, kept until eviction or free.
 *   cmap      the kernel vmap (a use count; each use pins) and the user
 *             CPU mappings (mm_cpumap ranges faulted in by
 *             panthor_gem_cpu_fault(), zapped by eviction).
 *
 * All change only under the BO's reservation lock, and a field that means
 * "present" is assigned only once the resource is complete: a failed
 * allocation leaves NULL, never an error value (seed 001's bug). Teardown
 * goes vmap -> sg table -> pages.
 *
 * Reclaim: five states recomputed at every transition, device LRUs and one
 * list per VM for BOs mapped in that VM only, a shrinker registered with
 * the budget whose stages go from cheap (unused, CPU-mapped: never waiting)
 * to dear (per-VM, then shared GPU-mapped: waiting briefly for fences),
 * trylocks wherever it meets the submit path, eviction to swap and lazy
 * restore (docs/gem.md has the whole story).
 *
 * Backing layout. A BO of size S gets floor(S / 2 MiB) chunks of 2 MiB
 * (buddy order 9, physically contiguous and 2 MiB aligned, so the page
 * tables can use 2 MiB blocks wherever the GPU VA is aligned too), then 4
 * KiB frames for the tail. A 2 MiB chunk the arena cannot provide
 * (fragmentation, an injected failure) is replaced by 512 single frames
 * rather than failing the BO. Frames are zeroed (fresh BOs read zero) and
 * owned as BO, dummy or firmware memory for the checker's rule (d).
 *
 * The alternative of one allocation per 4 KiB frame, coalesced later, was
 * rejected: the buddy allocator would hand out contiguous runs only by
 * chance, and 2 MiB blocks are what make MAP_SPARSE and large maps cheap.
 */
#include "panthor/panthor_gem.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uapi/drm/panthor_drm.h"
#include "dma/dma_buf.h"
#include "panthor/panthor_mmu.h"
#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_fault.h"
#include "util/u_log.h"
#include "util/u_trace.h"

#define MOD "panthor"

#define CHUNK_ORDER_2M 9u

static enum mm_owner_kind bo_owner_kind(const struct panthor_gem_object *bo)
{
	if (bo->usage & PANTHOR_BO_USAGE_DUMMY)
		return MM_OWNER_DUMMY;
	if (bo->usage & PANTHOR_BO_USAGE_FW_MAPPED)
		return MM_OWNER_FIRMWARE;
	return MM_OWNER_BO;
}

/* ---- reclaim: LRUs ------------------------------------------------------------ */

/**
 * struct panthor_gem_vm_lru - one VM's list of GPU_MAPPED_SINGLE_VM BOs.
 * @lru: the BOs, least recently touched first (reclaim.lru_node).
 * @pages: pages of the BOs on @lru.
 * @node: entry in the device's list of VMs (panthor_gem_reclaim.vms), least
 *        recently active first.
 * @users: the VM's reference plus one per scan walking @lru now.
 * @dead: the VM is gone; the list is freed when @users drops to 0.
 *
 * Everything is protected by the device's LRU lock.
 */
struct panthor_gem_vm_lru {
	struct u_list lru;
	uint64_t pages;
	struct u_list node;
	uint32_t users;
	bool dead;
};

/**
 * struct panthor_gem_reclaim - a device's BO LRUs (lock class "panthor_gem_lru").
 * @lock: protects @lru, @pages, @vms, @all, every VM list and every BO's
 *        reclaim.lru_node/on_lru/lru/vm_lru/all_node/resident and label.
 * @lru: one device list per reclaimable state, least recently touched
 *       first. The GPU_MAPPED_SINGLE_VM entry is unused: those BOs are on
 *       their VM's list.
 * @pages: pages of the BOs on each state's lists (for SINGLE_VM: the sum
 *         over every VM list).
 * @vms: the VM lists (panthor_gem_vm_lru.node), least recently active first.
 * @all: every BO of the device (reclaim.all_node), for the gems table.
 * @shrinker: registered with the device's budget.
 * @stats: counters (atomics).
 * @retries: scans in a row that freed nothing while pages remained (atomic).
 */
struct panthor_gem_reclaim {
	struct u_mutex lock;
	struct u_list lru[PANTHOR_GEM_UNRECLAIMABLE];
	uint64_t pages[PANTHOR_GEM_UNRECLAIMABLE];
	struct u_list vms;
	struct u_list all;
	struct mm_shrinker shrinker;
	struct panthor_gem_stats stats;
	uint32_t retries;
};

static U_LOCK_CLASS(panthor_gem_lru_class, "panthor_gem_lru");

/* Drop a user of @vl (LRU lock held). Return: @vl if it must now be freed. */
static struct panthor_gem_vm_lru *vm_lru_put_locked(struct panthor_gem_vm_lru *vl)
{
	return --vl->users ? NULL : vl;
}

static void all_list_add(struct panthor_gem_object *bo)
{
	struct panthor_gem_reclaim *r = bo->ptdev->reclaim;

	if (!r)
		return;
	u_mutex_lock(&r->lock);
	u_list_add_tail(&bo->reclaim.all_node, &r->all);
	u_mutex_unlock(&r->lock);
}

/* Take @bo off its LRU, if it is on one. Caller holds @r->lock. */
static void lru_unlink_locked(struct panthor_gem_reclaim *r, struct panthor_gem_object *bo)
{
	if (bo->reclaim.on_lru) {
		u_list_del(&bo->reclaim.lru_node);
		r->pages[bo->reclaim.lru] -= bo->size / SZ_4K;
		if (bo->reclaim.vm_lru)
			bo->reclaim.vm_lru->pages -= bo->size / SZ_4K;
		bo->reclaim.vm_lru = NULL;
		bo->reclaim.on_lru = false;
	}
}

/* Final removal from the LRU and the list of all BOs. */
static void lru_remove(struct panthor_gem_object *bo)
{
	struct panthor_gem_reclaim *r = bo->ptdev->reclaim;

	if (!r)
		return;
	u_mutex_lock(&r->lock);
	lru_unlink_locked(r, bo);
	u_list_del(&bo->reclaim.all_node);
	u_mutex_unlock(&r->lock);
}

static void swap_slots_free(struct panthor_gem_object *bo)
{
	if (!bo->swap.slots)
		return;
	for (uint32_t i = 0; i < bo->swap.nr_pages; i++)
		mm_swap_free(bo->ptdev->budget, bo->swap.slots[i]);
	u_free(bo->swap.slots);
	bo->swap.slots = NULL;
	bo->swap.nr_pages = 0;
}

/*
 * The state, in the order of reference §4.6 (resv held): page-less or
 * pinned (vmapped, firmware, being bound), kernel, imported: unreclaimable;
 * GPU-mapped in one VM or several; CPU-mapped (unreclaimable while one of
 * the mappings cannot be zapped); unused. *@vl: the VM list of a SINGLE_VM
 * BO, with a reference.
 */
static enum panthor_gem_reclaim_state compute_state_locked(struct panthor_gem_object *bo,
							   struct panthor_gem_vm_lru **vl)
{
	unsigned int vms;

	*vl = NULL;
	if (bo->backing.pin_count || !bo->backing.chunks || panthor_gem_is_imported(bo) ||
	    (bo->usage & (PANTHOR_BO_USAGE_KERNEL | PANTHOR_BO_USAGE_FW_MAPPED)))
		return PANTHOR_GEM_UNRECLAIMABLE;
	if (bo->cmap.nozap_count)
		return PANTHOR_GEM_UNRECLAIMABLE;
	vms = panthor_gem_mapped_vms_locked(bo, vl, &bo->reclaim.gpu_vas);
	if (vms == 1)
		return PANTHOR_GEM_GPU_MAPPED_SINGLE_VM;
	if (vms > 1)
		return PANTHOR_GEM_GPU_MAPPED_SHARED;
	return bo->cmap.mmap_count ? PANTHOR_GEM_MMAPPED : PANTHOR_GEM_UNUSED;
}

/* Put @bo at the tail of the list of state @st (VM list @vl for SINGLE_VM). LRU lock held. */
static void lru_link_locked(struct panthor_gem_reclaim *r, struct panthor_gem_object *bo,
			    enum panthor_gem_reclaim_state st, struct panthor_gem_vm_lru *vl)
{
	if (st == PANTHOR_GEM_GPU_MAPPED_SINGLE_VM && vl && !vl->dead) {
		u_list_add_tail(&bo->reclaim.lru_node, &vl->lru);
		vl->pages += bo->size / SZ_4K;
		bo->reclaim.vm_lru = vl;
		/* A VM new to the list goes first: idle VMs are scanned first (§1.8). */
		if (u_list_empty(&vl->node))
			u_list_add(&vl->node, &r->vms);
	} else {
		/* A VM without a list (going away): the shared list takes the BO. */
		if (st == PANTHOR_GEM_GPU_MAPPED_SINGLE_VM)
			st = PANTHOR_GEM_GPU_MAPPED_SHARED;
		u_list_add_tail(&bo->reclaim.lru_node, &r->lru[st]);
	}
	r->pages[st] += bo->size / SZ_4K;
	bo->reclaim.on_lru = true;
	bo->reclaim.lru = st;
}

void panthor_gem_update_reclaim_state_locked(struct panthor_gem_object *bo)
{
	struct panthor_gem_reclaim *r = bo->ptdev->reclaim;
	struct panthor_gem_vm_lru *vl, *free_me = NULL;
	enum panthor_gem_reclaim_state st;

	dma_resv_assert_held(panthor_gem_resv(bo));
	st = compute_state_locked(bo, &vl);
	if (!r) {
		bo->reclaim.state = st;
		return;
	}
	u_mutex_lock(&r->lock);
	lru_unlink_locked(r, bo);
	bo->reclaim.state = st;
	bo->reclaim.resident = bo->backing.chunks != NULL;
	if (st != PANTHOR_GEM_UNRECLAIMABLE)
		lru_link_locked(r, bo, st, vl);
	if (vl)
		free_me = vm_lru_put_locked(vl);
	u_mutex_unlock(&r->lock);
	u_free(free_me);
}

void panthor_gem_reclaim_hint_unmapped(struct panthor_gem_object *bo)
{
	struct panthor_gem_reclaim *r = bo->ptdev->reclaim;

	if (!r)
		return;
	u_mutex_lock(&r->lock);
	if (bo->reclaim.on_lru && bo->reclaim.lru != PANTHOR_GEM_UNUSED) {
		lru_unlink_locked(r, bo);
		lru_link_locked(r, bo, PANTHOR_GEM_UNUSED, NULL);
	}
	u_mutex_unlock(&r->lock);
}

enum panthor_gem_reclaim_state panthor_gem_reclaim_state(struct panthor_gem_object *bo)
{
	struct panthor_gem_reclaim *r = bo->ptdev->reclaim;
	enum panthor_gem_reclaim_state st;

	u_mutex_lock(&r->lock);
	st = bo->reclaim.state;
	u_mutex_unlock(&r->lock);
	return st;
}

bool panthor_gem_is_evicted(struct panthor_gem_object *bo)
{
	bool ev;

	dma_resv_lock(panthor_gem_resv(bo), NULL);
	ev = bo->swap.slots != NULL;
	dma_resv_unlock(panthor_gem_resv(bo));
	return ev;
}

struct panthor_gem_vm_lru *panthor_gem_vm_lru_create(struct panthor_device *ptdev)
{
	struct panthor_gem_vm_lru *vl = u_zalloc(sizeof(*vl));

	(void)ptdev;
	if (!vl)
		return NULL;
	u_list_init(&vl->lru);
	u_list_init(&vl->node);
	vl->users = 1;
	return vl;
}

void panthor_gem_vm_lru_release(struct panthor_device *ptdev, struct panthor_gem_vm_lru *vl)
{
	struct panthor_gem_reclaim *r = ptdev->reclaim;
	struct panthor_gem_object *bo, *tmp;
	struct panthor_gem_vm_lru *free_me;

	if (!vl)
		return;
	if (!r) {
		u_free(vl);
		return;
	}
	u_mutex_lock(&r->lock);
	u_list_for_each_entry_safe(bo, tmp, &vl->lru, reclaim.lru_node) {
		lru_unlink_locked(r, bo);
		lru_link_locked(r, bo, PANTHOR_GEM_UNUSED, NULL);
	}
	if (!u_list_empty(&vl->node))
		u_list_del(&vl->node);
	vl->dead = true;
	free_me = vm_lru_put_locked(vl);
	u_mutex_unlock(&r->lock);
	u_free(free_me);
}

struct panthor_gem_vm_lru *panthor_gem_vm_lru_get(struct panthor_device *ptdev,
						  struct panthor_gem_vm_lru *vl)
{
	struct panthor_gem_reclaim *r = ptdev->reclaim;

	if (!r || !vl)
		return NULL;
	u_mutex_lock(&r->lock);
	vl->users++;
	u_mutex_unlock(&r->lock);
	return vl;
}

void panthor_gem_vm_lru_put(struct panthor_device *ptdev, struct panthor_gem_vm_lru *vl)
{
	struct panthor_gem_reclaim *r = ptdev->reclaim;
	struct panthor_gem_vm_lru *free_me;

	if (!r || !vl)
		return;
	u_mutex_lock(&r->lock);
	free_me = vm_lru_put_locked(vl);
	u_mutex_unlock(&r->lock);
	u_free(free_me);
}

void panthor_gem_vm_lru_touch(struct panthor_device *ptdev, struct panthor_gem_vm_lru *vl)
{
	struct panthor_gem_reclaim *r = ptdev->reclaim;

	if (!r || !vl)
		return;
	u_mutex_lock(&r->lock);
	if (!vl->dead && !u_list_empty(&vl->node))
		u_list_move_tail(&vl->node, &r->vms);
	u_mutex_unlock(&r->lock);
}

char *panthor_gem_set_label(struct panthor_gem_object *bo, char *label)
{
	struct panthor_gem_reclaim *r = bo->ptdev->reclaim;
	char *old;

	u_mutex_lock(&r->lock);
	old = bo->label;
	bo->label = label;
	u_mutex_unlock(&r->lock);
	return old;
}

/* ---- BO core ------------------------------------------------------------------ */

struct panthor_gem_object *panthor_gem_create(struct panthor_device *ptdev, uint64_t size,
					      uint32_t flags, struct panthor_vm *exclusive_vm,
					      uint32_t usage)
{
	struct panthor_gem_object *bo;
	uint64_t aligned;

	if (!size || __builtin_add_overflow(size, SZ_4K - 1, &aligned))
		return ERR_PTR(-EINVAL);
	aligned &= ~(SZ_4K - 1);

	bo = u_zalloc(sizeof(*bo));
	if (!bo)
		return ERR_PTR(-ENOMEM);
	bo->ptdev = ptdev;
	bo->size = aligned;
	bo->flags = flags;
	bo->usage = usage;
	bo->id = panthor_device_alloc_id(ptdev);
	u_refcount_init(&bo->refcount, 1);
	u_list_init(&bo->reclaim.lru_node);
	u_list_init(&bo->reclaim.all_node);
	u_list_init(&bo->cmap.maps);
	bo->reclaim.state = PANTHOR_GEM_UNRECLAIMABLE;
	snprintf(bo->creator, sizeof(bo->creator), "%.15s/%d", program_invocation_short_name,
		 (int)getpid());
	dma_resv_init(&bo->resv);
	if (exclusive_vm) {
		bo->exclusive_vm = panthor_vm_get(exclusive_vm);
		gpuvm_gem_init(&bo->base, panthor_vm_resv(exclusive_vm));
	} else {
		gpuvm_gem_init(&bo->base, &bo->resv);
	}
	all_list_add(bo);
	return bo;
}

struct panthor_gem_object *panthor_gem_create_imported(struct panthor_device *ptdev,
							struct panthor_gem_object *src,
							struct dma_buf *dmabuf)
{
	struct panthor_gem_object *bo;
	struct panthor_gem_chunk *chunks;
	int ret;

	ret = panthor_gem_pin(src);
	if (ret)
		return ERR_PTR(ret);
	chunks = u_calloc(src->backing.nr_chunks, sizeof(*chunks));
	if (!chunks) {
		panthor_gem_unpin(src);
		return ERR_PTR(-ENOMEM);
	}
	bo = panthor_gem_create(ptdev, src->size, 0, NULL, 0);
	if (IS_ERR(bo)) {
		u_free(chunks);
		panthor_gem_unpin(src);
		return bo;
	}
	/* Pinned: the exporter's chunks are stable; read them under its resv. */
	dma_resv_lock(panthor_gem_resv(src), NULL);
	memcpy(chunks, src->backing.chunks, src->backing.nr_chunks * sizeof(*chunks));
	bo->backing.nr_chunks = src->backing.nr_chunks;
	dma_resv_unlock(panthor_gem_resv(src));
	bo->import.src = panthor_gem_get(src);
	bo->import.dmabuf = dma_buf_get_ref(dmabuf);
	dma_resv_lock(panthor_gem_resv(bo), NULL);
	bo->backing.chunks = chunks;
	panthor_gem_update_reclaim_state_locked(bo);
	dma_resv_unlock(panthor_gem_resv(bo));
	return bo;
}

bool panthor_gem_should_map_wc(const struct panthor_gem_object *bo)
{
	if (bo->ptdev->coherent)
		return false;
	return !(bo->flags & DRM_PANTHOR_BO_WB_MMAP);
}

struct panthor_gem_object *panthor_gem_get(struct panthor_gem_object *bo)
{
	u_refcount_get(&bo->refcount);
	return bo;
}

static void panthor_gem_backing_free(struct panthor_gem_object *bo, struct panthor_gem_chunk *chunks,
				     uint32_t n)
{
	/* An import's chunks are the exporter's frames: only the array is ours. */
	if (!panthor_gem_is_imported(bo))
		for (uint32_t i = 0; i < n; i++)
			mm_free_pages(bo->ptdev->budget, chunks[i].pa, chunks[i].order);
	u_free(chunks);
}

void panthor_gem_put(struct panthor_gem_object *bo)
{
	if (!bo || !u_refcount_put(&bo->refcount))
		return;

	/*
	 * Last reference: only the LRU still reaches the BO (get_unless_zero).
	 * Teardown order of §4.3: vmap (gone: each use holds a reference),
	 * device mapping, pages.
	 */
	lru_remove(bo);
	U_WARN_ON(bo->cmap.vaddr || bo->cmap.mmap_count);
	U_WARN_ON(bo->backing.pin_count);
	swap_slots_free(bo);
	sg_table_free(bo->dmap.sgt);
	if (bo->backing.chunks)
		panthor_gem_backing_free(bo, bo->backing.chunks, bo->backing.nr_chunks);
	if (bo->import.src) {
		panthor_gem_unpin(bo->import.src);
		panthor_gem_put(bo->import.src);
		dma_buf_put(bo->import.dmabuf);
	}
	gpuvm_gem_fini(&bo->base);
	dma_resv_fini(&bo->resv);
	if (bo->exclusive_vm)
		panthor_vm_put(bo->exclusive_vm);
	u_free(bo->label);
	u_free(bo);
}

static int backing_alloc_frames(struct panthor_gem_object *bo, struct panthor_gem_chunk *chunks,
				uint32_t *n, uint64_t pages, unsigned int gfp)
{
	for (uint64_t i = 0; i < pages; i++) {
		phys_addr_t pa;
		int ret = mm_alloc_pages(bo->ptdev->budget, 0, gfp, bo_owner_kind(bo), bo->id, &pa);

		if (ret)
			return ret;
		chunks[*n].pa = pa;
		chunks[*n].order = 0;
		(*n)++;
	}
	return 0;
}

/*
 * Copy the backing to (@out) or from swap, chunk by chunk, one copy per run
 * of frames whose slots are consecutive too (slots are handed out in order,
 * so a BO usually moves in a few large copies).
 */
static void swap_copy(struct panthor_gem_object *bo, const uint32_t *slots, bool out)
{
	struct mm_budget *b = bo->ptdev->budget;
	uint32_t page = 0;

	for (uint32_t c = 0; c < bo->backing.nr_chunks; c++) {
		uint32_t n = 1u << bo->backing.chunks[c].order;
		phys_addr_t pa = bo->backing.chunks[c].pa;

		for (uint32_t k = 0; k < n;) {
			uint32_t run = 1;

			while (k + run < n && slots[page + k + run] == slots[page + k] + run)
				run++;
			if (out)
				mm_swap_write_pages(b, slots[page + k], pa + (uint64_t)k * SZ_4K, run);
			else
				mm_swap_read_pages(b, slots[page + k], pa + (uint64_t)k * SZ_4K, run);
			k += run;
		}
		page += n;
	}
}

int panthor_gem_backing_get_pages_locked(struct panthor_gem_object *bo)
{
	uint64_t nr_2m = bo->size / SZ_2M;
	uint64_t tail = (bo->size % SZ_2M) / SZ_4K;
	uint64_t cap = nr_2m + tail;
	struct panthor_gem_chunk *chunks;
	/* Fresh BOs read zero (frames are reused); a swap-in overwrites every byte. */
	unsigned int gfp = MM_GFP_KERNEL | (bo->swap.slots ? 0 : MM_GFP_ZERO);
	uint32_t n = 0;
	int ret = 0;

	dma_resv_assert_held(panthor_gem_resv(bo));
	if (bo->backing.chunks)
		return 0;
	/*
	 * A BO larger than the device's whole memory can never be backed
	 * (BO_CREATE accepts any size, as shmem does): refuse it before sizing
	 * the chunk array by it, which for a 2^47-byte BO would be terabytes.
	 */
	{
		struct mm_budget_stats bs;

		mm_budget_stats(bo->ptdev->budget, &bs);
		if (bo->size / SZ_4K > bs.limit)
			return -ENOMEM;
	}

	chunks = u_calloc(cap, sizeof(*chunks));
	if (!chunks)
		return -ENOMEM;

	for (uint64_t i = 0; i < nr_2m && !ret; i++) {
		phys_addr_t pa;

		ret = mm_alloc_pages(bo->ptdev->budget, CHUNK_ORDER_2M, gfp, bo_owner_kind(bo),
				     bo->id, &pa);
		if (!ret) {
			chunks[n].pa = pa;
			chunks[n].order = CHUNK_ORDER_2M;
			n++;
			continue;
		}
		/* No 2 MiB chunk: this part of the BO gets single frames. */
		cap += 511;
		{
			struct panthor_gem_chunk *bigger = u_realloc(chunks, cap * sizeof(*chunks));

			if (!bigger) {
				ret = -ENOMEM;
				break;
			}
			chunks = bigger;
		}
		ret = backing_alloc_frames(bo, chunks, &n, SZ_2M / SZ_4K, gfp);
	}
	if (!ret)
		ret = backing_alloc_frames(bo, chunks, &n, tail, gfp);
	if (ret) {
		panthor_gem_backing_free(bo, chunks, n);
		return -ENOMEM;
	}

	/* Complete: only now does the BO have backing. */
	bo->backing.chunks = chunks;
	bo->backing.nr_chunks = n;
	if (bo->swap.slots) {
		struct panthor_gem_reclaim *r = bo->ptdev->reclaim;

		swap_copy(bo, bo->swap.slots, false);
		swap_slots_free(bo);
		__atomic_add_fetch(&r->stats.restores, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&r->stats.bytes_in, bo->size, __ATOMIC_RELAXED);
		U_TRACE("shrinker", "restore", "shrinker", 'i', "bytes", bo->size);
	}
	panthor_gem_update_reclaim_state_locked(bo);
	return 0;
}

int panthor_gem_pin_locked(struct panthor_gem_object *bo)
{
	int ret;

	dma_resv_assert_held(panthor_gem_resv(bo));
	ret = panthor_gem_backing_get_pages_locked(bo);
	if (ret)
		return ret;
	bo->backing.pin_count++;
	if (bo->backing.pin_count == 1)
		panthor_gem_update_reclaim_state_locked(bo);
	return 0;
}

void panthor_gem_unpin_locked(struct panthor_gem_object *bo)
{
	dma_resv_assert_held(panthor_gem_resv(bo));
	if (U_WARN_ON(!bo->backing.pin_count))
		return;
	bo->backing.pin_count--;
	if (!bo->backing.pin_count)
		panthor_gem_update_reclaim_state_locked(bo);
}

int panthor_gem_pin(struct panthor_gem_object *bo)
{
	int ret;

	dma_resv_lock(panthor_gem_resv(bo), NULL);
	ret = panthor_gem_pin_locked(bo);
	dma_resv_unlock(panthor_gem_resv(bo));
	return ret;
}

void panthor_gem_unpin(struct panthor_gem_object *bo)
{
	dma_resv_lock(panthor_gem_resv(bo), NULL);
	panthor_gem_unpin_locked(bo);
	dma_resv_unlock(panthor_gem_resv(bo));
}

struct sg_table *panthor_gem_get_dev_sgt_locked(struct panthor_gem_object *bo)
{
	struct sg_table *sgt;
	int ret;

	dma_resv_assert_held(panthor_gem_resv(bo));
	if (bo->dmap.sgt)
		return bo->dmap.sgt;

	ret = panthor_gem_backing_get_pages_locked(bo);
	if (ret)
		return ERR_PTR(ret);
	sgt = sg_table_create(bo->backing.nr_chunks);
	if (IS_ERR(sgt))
		return sgt;
	for (uint32_t i = 0; i < bo->backing.nr_chunks; i++) {
		const struct panthor_gem_chunk *c = &bo->backing.chunks[i];

		/* Cannot run out: one slot per chunk at most. */
		U_ASSERT(!sg_table_append(sgt, c->pa, SZ_4K << c->order));
	}
	bo->dmap.sgt = sgt;
	return sgt;
}

struct sg_table *panthor_gem_get_dev_sgt(struct panthor_gem_object *bo)
{
	struct sg_table *sgt;

	dma_resv_lock(panthor_gem_resv(bo), NULL);
	sgt = panthor_gem_get_dev_sgt_locked(bo);
	dma_resv_unlock(panthor_gem_resv(bo));
	return sgt;
}

phys_addr_t panthor_gem_offset_to_pa(struct panthor_gem_object *bo, uint64_t offset)
{
	const struct panthor_gem_chunk *chunks = bo->backing.chunks;

	if (!chunks || offset >= bo->size)
		return 0;
	for (uint32_t i = 0; i < bo->backing.nr_chunks; i++) {
		uint64_t len = SZ_4K << chunks[i].order;

		if (offset < len)
			return chunks[i].pa + offset;
		offset -= len;
	}
	return 0;
}

int panthor_gem_cpu_access(struct panthor_gem_object *bo, uint64_t offset, void *buf,
			   size_t len, bool write)
{
	uint8_t *p = buf;
	uint64_t end;
	int ret;

	if (__builtin_add_overflow(offset, (uint64_t)len, &end) || end > bo->size)
		return -EINVAL;

	dma_resv_lock(panthor_gem_resv(bo), NULL);
	ret = panthor_gem_backing_get_pages_locked(bo);
	if (!ret) {
		uint64_t pos = 0;

		for (uint32_t i = 0; i < bo->backing.nr_chunks && len; i++) {
			const struct panthor_gem_chunk *c = &bo->backing.chunks[i];
			uint64_t clen = SZ_4K << c->order;
			uint64_t n;
			uint8_t *va;

			if (offset >= pos + clen) {
				pos += clen;
				continue;
			}
			va = (uint8_t *)mm_pa_to_virt(c->pa) + (offset - pos);
			n = u_min((uint64_t)len, pos + clen - offset);
			if (write)
				memcpy(va, p, n);
			else
				memcpy(p, va, n);
			p += n;
			len -= n;
			offset += n;
			pos += clen;
		}
	}
	dma_resv_unlock(panthor_gem_resv(bo));
	return ret;
}

/* ---- CPU views: user mappings and the fault handler ------------------------------ */

static const struct mm_cpumap_ops gem_cpumap_ops = {
	.fault = panthor_gem_cpu_fault,
};

/* Fill @run with the frames of the chunk holding page @idx of @m, clipped to @m (resv held). */
static void fill_run(const struct panthor_gem_cpumap *m, uint64_t idx, struct mm_cpumap_run *run)
{
	const struct panthor_gem_object *bo = m->bo;
	uint64_t page = m->pgoff + idx, pos = 0;

	for (uint32_t i = 0; i < bo->backing.nr_chunks; i++) {
		uint64_t n = 1ull << bo->backing.chunks[i].order;
		uint64_t first, last;

		if (page >= pos + n) {
			pos += n;
			continue;
		}
		/* The chunk covers BO pages [pos, pos + n); the mapping [pgoff, pgoff + npages). */
		first = u_max(pos, m->pgoff);
		last = u_min(pos + n, m->pgoff + m->npages);
		run->first = first - m->pgoff;
		run->npages = last - first;
		run->pa = bo->backing.chunks[i].pa + (first - pos) * SZ_4K;
		/* Stop at pages the user unmapped. */
		if (m->ngone) {
			for (uint64_t p = idx + 1; p < run->first + run->npages; p++)
				if (m->gone[p / 64] & (1ull << (p % 64))) {
					run->npages = p - run->first;
					break;
				}
			for (uint64_t p = idx; p-- > run->first;)
				if (m->gone[p / 64] & (1ull << (p % 64))) {
					run->pa += (p + 1 - run->first) * SZ_4K;
					run->npages -= p + 1 - run->first;
					run->first = p + 1;
					break;
				}
		}
		return;
	}
}

static bool page_gone(const struct panthor_gem_cpumap *m, uint64_t idx)
{
	return m->gone[idx / 64] & (1ull << (idx % 64));
}

int panthor_gem_cpu_fault(void *cookie, uint64_t page_index, bool may_block,
			  struct mm_cpumap_run *run)
{
	struct panthor_gem_cpumap *m = cookie;
	struct panthor_gem_object *bo = m->bo;
	struct dma_resv *resv = panthor_gem_resv(bo);
	int ret;

	if (page_index >= m->npages)
		return -EFAULT;
	if (!may_block) {
		/* Phase 1: never sleep. */
		if (!dma_resv_trylock(resv))
			return -EAGAIN;
		if (m->dead || page_gone(m, page_index)) {
			ret = -EFAULT;
		} else if (bo->backing.chunks) {
			fill_run(m, page_index, run);
			ret = 0;
		} else {
			ret = -EAGAIN;
		}
		dma_resv_unlock(resv);
		return ret;
	}

	/* Phase 2: take the lock, allocate or swap in, answer. */
	dma_resv_lock(resv, NULL);
	if (m->dead || page_gone(m, page_index)) {
		ret = -EFAULT;
		goto out;
	}
	if (!m->map && !m->nozap) {
		/*
		 * A fault before mm_cpumap_create() returned: eager population
		 * (no userfaultfd). Such a mapping can never be zapped, so the
		 * BO must stay resident from now on.
		 */
		m->nozap = true;
		bo->cmap.nozap_count++;
		panthor_gem_update_reclaim_state_locked(bo);
	}
	/* Assigns the backing only on success (seed 001): a retry starts clean. */
	ret = panthor_gem_backing_get_pages_locked(bo);
	if (!ret)
		fill_run(m, page_index, run);
out:
	dma_resv_unlock(resv);
	return ret;
}

int panthor_gem_mmap(struct panthor_gem_object *bo, uint64_t offset, uint64_t len, int prot,
		     struct panthor_gem_cpumap **out)
{
	struct panthor_gem_cpumap *m;
	struct mm_cpumap *map;
	uint64_t end;
	int ret;

	if (!len || (offset | len) & (SZ_4K - 1) || __builtin_add_overflow(offset, len, &end) ||
	    end > bo->size) {
		u_err(MOD, "BO %u: mapping [0x%" PRIx64 ", +0x%" PRIx64 ") outside its 0x%" PRIx64
		      " bytes", bo->id, offset, len, bo->size);
		return -EINVAL;
	}
	m = u_zalloc(sizeof(*m));
	if (m)
		m->gone = u_calloc((len / SZ_4K + 63) / 64, sizeof(*m->gone));
	if (!m || !m->gone) {
		u_free(m);
		return -ENOMEM;
	}
	m->bo = panthor_gem_get(bo);
	m->pgoff = offset / SZ_4K;
	m->npages = len / SZ_4K;
	u_list_init(&m->link);

	/* Counted first: an eager population sees the mapping (and marks it). */
	dma_resv_lock(panthor_gem_resv(bo), NULL);
	u_list_add_tail(&m->link, &bo->cmap.maps);
	bo->cmap.mmap_count++;
	panthor_gem_update_reclaim_state_locked(bo);
	dma_resv_unlock(panthor_gem_resv(bo));

	ret = mm_cpumap_create(len, prot, &gem_cpumap_ops, m, &map);

	dma_resv_lock(panthor_gem_resv(bo), NULL);
	if (ret) {
		u_list_del(&m->link);
		bo->cmap.mmap_count--;
		if (m->nozap)
			bo->cmap.nozap_count--;
	} else {
		m->map = map;
	}
	panthor_gem_update_reclaim_state_locked(bo);
	dma_resv_unlock(panthor_gem_resv(bo));
	if (ret) {
		panthor_gem_put(bo);
		u_free(m->gone);
		u_free(m);
		return ret;
	}
	*out = m;
	return 0;
}

void *panthor_gem_cpumap_addr(const struct panthor_gem_cpumap *m)
{
	return mm_cpumap_addr(m->map);
}

static int cpumap_zap_locked(struct panthor_gem_cpumap *m);

int panthor_gem_munmap_range(struct panthor_gem_cpumap *m, uint64_t first, uint64_t npages)
{
	struct dma_resv *resv = panthor_gem_resv(m->bo);
	uint64_t newly = 0;
	int ret = 0;

	if (!npages || first >= m->npages || npages > m->npages - first)
		return -EINVAL;
	dma_resv_lock(resv, NULL);
	for (uint64_t p = first; p < first + npages; p++) {
		if (!page_gone(m, p))
			newly++;
		m->gone[p / 64] |= 1ull << (p % 64);
	}
	m->ngone += newly;
	/* Really unmapped: the user may map something else there. */
	ret = mm_cpumap_release_range(m->map, first, npages);
	dma_resv_unlock(resv);
	return ret ? ret : (int)u_min(newly, (uint64_t)INT32_MAX);
}

void panthor_gem_munmap(struct panthor_gem_cpumap *m)
{
	struct panthor_gem_object *bo;

	if (!m)
		return;
	bo = m->bo;
	dma_resv_lock(panthor_gem_resv(bo), NULL);
	/* From here the handler refuses the mapping, and eviction no longer sees it. */
	m->dead = true;
	if (mm_cpumap_can_zap(m->map))
		U_WARN_ON(cpumap_zap_locked(m));
	u_list_del(&m->link);
	bo->cmap.mmap_count--;
	if (m->nozap)
		bo->cmap.nozap_count--;
	panthor_gem_update_reclaim_state_locked(bo);
	dma_resv_unlock(panthor_gem_resv(bo));
	mm_cpumap_destroy(m->map);	/* waits for a fault in progress */
	u_free(m->gone);
	u_free(m);
	panthor_gem_put(bo);
}

/* Zap @m, leaving alone the pages the user unmapped (resv held). */
static int cpumap_zap_locked(struct panthor_gem_cpumap *m)
{
	if (!m->ngone)
		return mm_cpumap_zap(m->map);
	for (uint64_t i = 0; i < m->npages;) {
		uint64_t n = 0;
		int ret;

		while (i + n < m->npages && !page_gone(m, i + n))
			n++;
		if (n) {
			ret = mm_cpumap_zap_range(m->map, i, n);
			if (ret)
				return ret;
		}
		i += n;
		while (i < m->npages && page_gone(m, i))
			i++;
	}
	return 0;
}

/* Zap every user CPU mapping of @bo (resv held). Return: 0, or the error of the first that failed. */
static int cpumaps_zap_locked(struct panthor_gem_object *bo)
{
	struct panthor_gem_cpumap *m;

	u_list_for_each_entry(m, &bo->cmap.maps, link) {
		int ret;

		if (!m->map)
			continue;	/* being created with userfaultfd: nothing mapped yet */
		ret = cpumap_zap_locked(m);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- CPU views: the kernel mapping ----------------------------------------------- */

int panthor_gem_vmap(struct panthor_gem_object *bo, void **out)
{
	struct dma_resv *resv = panthor_gem_resv(bo);
	uint8_t *p;
	uint64_t pos = 0;
	int ret;

	if (panthor_gem_is_imported(bo))
		return -EINVAL;
	dma_resv_lock(resv, NULL);
	if (bo->cmap.vaddr_use_count) {
		bo->cmap.vaddr_use_count++;
		*out = bo->cmap.vaddr;
		dma_resv_unlock(resv);
		return 0;
	}
	ret = panthor_gem_pin_locked(bo);
	if (ret)
		goto out_unlock;
	if (u_fault_should_fail("panthor_gem_vmap")) {
		ret = -ENOMEM;
		goto err_unpin;
	}
	p = mmap(NULL, bo->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		ret = -ENOMEM;
		goto err_unpin;
	}
	for (uint32_t i = 0; i < bo->backing.nr_chunks; i++) {
		uint64_t n = SZ_4K << bo->backing.chunks[i].order;

		if (mmap(p + pos, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mm_arena_fd(),
			 (off_t)(bo->backing.chunks[i].pa - MM_PA_BASE)) == MAP_FAILED) {
			munmap(p, bo->size);
			ret = -ENOMEM;
			goto err_unpin;
		}
		pos += n;
	}
	bo->cmap.vaddr = p;
	bo->cmap.vaddr_use_count = 1;
	panthor_gem_get(bo);	/* the vmap keeps the BO */
	*out = p;
	dma_resv_unlock(resv);
	return 0;

err_unpin:
	panthor_gem_unpin_locked(bo);
out_unlock:
	dma_resv_unlock(resv);
	return ret;
}

void panthor_gem_vunmap(struct panthor_gem_object *bo)
{
	struct dma_resv *resv = panthor_gem_resv(bo);
	bool last;

	dma_resv_lock(resv, NULL);
	if (U_WARN_ON(!bo->cmap.vaddr_use_count)) {
		dma_resv_unlock(resv);
		return;
	}
	last = !--bo->cmap.vaddr_use_count;
	if (last) {
		munmap(bo->cmap.vaddr, bo->size);
		bo->cmap.vaddr = NULL;
		panthor_gem_unpin_locked(bo);
	}
	dma_resv_unlock(resv);
	if (last)
		panthor_gem_put(bo);
}

/* ---- reclaim: the shrinker ---------------------------------------------------- */

#define EVICT_FENCE_TIMEOUT_NS 1000000

/* Evict @bo (resv held, state recomputed by the caller). Return: pages freed. */
static unsigned long evict_locked(struct panthor_gem_object *bo, bool may_block)
{
	struct panthor_gem_reclaim *r = bo->ptdev->reclaim;
	struct mm_budget *b = bo->ptdev->budget;
	uint32_t nr = (uint32_t)(bo->size / SZ_4K);
	uint32_t *slots;
	uint32_t i;

	/* Never: imported, pinned (vmapped, firmware), page-less (the state says so). */
	if (bo->reclaim.state == PANTHOR_GEM_UNRECLAIMABLE || panthor_gem_is_imported(bo) ||
	    bo->backing.pin_count || !bo->backing.chunks)
		return 0;
	if (bo->reclaim.state >= PANTHOR_GEM_GPU_MAPPED_SINGLE_VM) {
		if (!may_block)
			return 0;
		/* Mapped in the VM this thread is restoring: refused after the wait anyway. */
		if (panthor_vm_bo_in_restoring_vm(bo))
			return 0;
		/* GPU work still using the BO: wait up to 1 ms, then give up. */
		if (dma_resv_wait_timeout(panthor_gem_resv(bo), DMA_RESV_USAGE_BOOKKEEP, false,
					  EVICT_FENCE_TIMEOUT_NS) < 0)
			return 0;
	}
	slots = u_calloc(nr, sizeof(*slots));
	if (!slots)
		return 0;
	for (i = 0; i < nr; i++)
		if (mm_swap_alloc(b, &slots[i]))
			break;
	if (i < nr)
		goto err_free_slots;
	/*
	 * CPU mappings first: under the resv no fault can hand the frames out
	 * again, and the next touch faults the data back in from swap.
	 */
	if (cpumaps_zap_locked(bo))
		goto err_free_slots;
	/*
	 * Every VM with a VA of the BO, evicted vm_bos included: an aborted
	 * eviction may have left some of their pages mapped (mapped VAs
	 * only are unmapped, so this is cheap when nothing is left).
	 */
	if (bo->reclaim.gpu_vas && panthor_vm_evict_bo_locked(bo))
		goto err_free_slots;	/* busy VM: what was unmapped is re-mapped by the next job */
	swap_copy(bo, slots, true);
	sg_table_free(bo->dmap.sgt);
	bo->dmap.sgt = NULL;
	panthor_gem_backing_free(bo, bo->backing.chunks, bo->backing.nr_chunks);
	bo->backing.chunks = NULL;
	bo->backing.nr_chunks = 0;
	bo->swap.slots = slots;
	bo->swap.nr_pages = nr;
	panthor_gem_update_reclaim_state_locked(bo);
	__atomic_add_fetch(&bo->reclaimed_count, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->stats.evictions, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->stats.bytes_out, bo->size, __ATOMIC_RELAXED);
	U_TRACE("shrinker", "evict", "shrinker", 'i', "bytes", bo->size);
	__atomic_add_fetch(&r->stats.reclaimed, nr, __ATOMIC_RELAXED);
	return nr;

err_free_slots:
	while (i--)
		mm_swap_free(b, slots[i]);
	u_free(slots);
	return 0;
}

/* Trylock @bo (a reference held), re-evaluate, evict if not costlier than @st. */
static unsigned long try_evict(struct panthor_gem_object *bo, enum panthor_gem_reclaim_state st,
			       bool may_block)
{
	unsigned long freed = 0;

	if (dma_resv_trylock(panthor_gem_resv(bo))) {
		panthor_gem_update_reclaim_state_locked(bo);
		/* Re-evaluated: it may have become cheaper (unmapped meanwhile). */
		if (bo->reclaim.state <= st)
			freed = evict_locked(bo, may_block);
		dma_resv_unlock(panthor_gem_resv(bo));
	}
	return freed;
}

/* Pick the head of @list, rotate it to the tail, take a reference. LRU lock held. */
static struct panthor_gem_object *pick_locked(struct u_list *list)
{
	struct panthor_gem_object *it;

	u_list_for_each_entry(it, list, reclaim.lru_node) {
		/* Rotate: the next pick is another BO. */
		u_list_move_tail(&it->reclaim.lru_node, list);
		return u_refcount_get_unless_zero(&it->refcount) ? it : NULL;
	}
	return NULL;
}

/* One device-list stage: walk list @st at most its length once, until @want pages are freed. */
static unsigned long scan_list(struct panthor_gem_reclaim *r, enum panthor_gem_reclaim_state st,
			       unsigned long want, bool may_block, unsigned long *scanned)
{
	unsigned long freed = 0;
	size_t budget;

	u_mutex_lock(&r->lock);
	budget = u_list_length(&r->lru[st]);
	u_mutex_unlock(&r->lock);

	while (freed < want && budget--) {
		struct panthor_gem_object *bo;

		u_mutex_lock(&r->lock);
		bo = pick_locked(&r->lru[st]);
		u_mutex_unlock(&r->lock);
		if (!bo)
			continue;
		*scanned += bo->size / SZ_4K;
		freed += try_evict(bo, st, may_block);
		panthor_gem_put(bo);
	}
	return freed;
}

/*
 * The per-VM stage: the VMs in LRU order (least recently active first),
 * each VM's list walked at most once. A VM being scanned is held by @users,
 * so its list outlives a concurrent VM destruction.
 */
static unsigned long scan_vms(struct panthor_gem_reclaim *r, unsigned long want,
			      unsigned long *scanned)
{
	unsigned long freed = 0;
	size_t nr_vms;

	u_mutex_lock(&r->lock);
	nr_vms = u_list_length(&r->vms);
	u_mutex_unlock(&r->lock);

	while (freed < want && nr_vms--) {
		struct panthor_gem_vm_lru *vl = NULL, *free_me;
		size_t budget;

		u_mutex_lock(&r->lock);
		if (!u_list_empty(&r->vms)) {
			vl = u_list_first_entry(&r->vms, struct panthor_gem_vm_lru, node);
			/* Visited: behind the VMs not scanned yet (a job moves it back anyway). */
			u_list_move_tail(&vl->node, &r->vms);
			vl->users++;
		}
		budget = vl ? u_list_length(&vl->lru) : 0;
		u_mutex_unlock(&r->lock);
		if (!vl)
			break;
		while (freed < want && budget--) {
			struct panthor_gem_object *bo;

			u_mutex_lock(&r->lock);
			bo = vl->dead ? NULL : pick_locked(&vl->lru);
			u_mutex_unlock(&r->lock);
			if (!bo)
				break;
			*scanned += bo->size / SZ_4K;
			freed += try_evict(bo, PANTHOR_GEM_GPU_MAPPED_SINGLE_VM, true);
			panthor_gem_put(bo);
		}
		u_mutex_lock(&r->lock);
		/* Emptied: off the VM list until a BO lands on it again. */
		if (!vl->dead && u_list_empty(&vl->lru) && !u_list_empty(&vl->node))
			u_list_del(&vl->node);
		free_me = vm_lru_put_locked(vl);
		u_mutex_unlock(&r->lock);
		u_free(free_me);
	}
	return freed;
}

static unsigned long gem_shrinker_count(void *cookie, struct mm_shrink_control *sc)
{
	struct panthor_gem_reclaim *r = cookie;
	unsigned long n;

	if (!sc->has_swap)
		return 0;
	u_mutex_lock(&r->lock);
	n = r->pages[PANTHOR_GEM_UNUSED] + r->pages[PANTHOR_GEM_MMAPPED];
	if (sc->may_block)
		n += r->pages[PANTHOR_GEM_GPU_MAPPED_SINGLE_VM] +
		     r->pages[PANTHOR_GEM_GPU_MAPPED_SHARED];
	u_mutex_unlock(&r->lock);
	return n;
}

static unsigned long gem_shrinker_scan(void *cookie, struct mm_shrink_control *sc)
{
	struct panthor_gem_reclaim *r = cookie;
	unsigned long freed = 0;

	sc->nr_scanned = 0;
	if (!sc->has_swap)
		return MM_SHRINK_STOP;
	U_TRACE("shrinker", "scan", "shrinker", 'B', "want", sc->nr_to_scan, "may_block",
		sc->may_block);
	/* Stages of reference shrinker.md §1.8-1.11: cheapest first, waiting ones last. */
	freed += scan_list(r, PANTHOR_GEM_UNUSED, sc->nr_to_scan, false, &sc->nr_scanned);
	if (freed < sc->nr_to_scan)
		freed += scan_list(r, PANTHOR_GEM_MMAPPED, sc->nr_to_scan - freed, false,
				   &sc->nr_scanned);
	if (sc->may_block && freed < sc->nr_to_scan)
		freed += scan_vms(r, sc->nr_to_scan - freed, &sc->nr_scanned);
	if (sc->may_block && freed < sc->nr_to_scan)
		freed += scan_list(r, PANTHOR_GEM_GPU_MAPPED_SHARED, sc->nr_to_scan - freed, true,
				   &sc->nr_scanned);
	U_TRACE("shrinker", "scan", "shrinker", 'E', "freed", freed, "scanned", sc->nr_scanned);
	/*
	 * Nothing freed although pages remain (all busy or contended): say
	 * "try again" (0) twice in a row before giving up (MM_SHRINK_STOP).
	 */
	if (!freed && gem_shrinker_count(r, sc) &&
	    __atomic_fetch_add(&r->retries, 1, __ATOMIC_RELAXED) < 2)
		return 0;
	__atomic_store_n(&r->retries, 0, __ATOMIC_RELAXED);
	return freed ? freed : MM_SHRINK_STOP;
}

static const struct mm_shrinker_ops gem_shrinker_ops = {
	.count = gem_shrinker_count,
	.scan = gem_shrinker_scan,
};

int panthor_gem_reclaim_init(struct panthor_device *ptdev)
{
	struct panthor_gem_reclaim *r = u_zalloc(sizeof(*r));

	if (!r)
		return -ENOMEM;
	u_mutex_init(&r->lock, &panthor_gem_lru_class);
	for (unsigned int i = 0; i < PANTHOR_GEM_UNRECLAIMABLE; i++)
		u_list_init(&r->lru[i]);
	u_list_init(&r->vms);
	u_list_init(&r->all);
	r->shrinker.ops = &gem_shrinker_ops;
	r->shrinker.cookie = r;
	r->shrinker.name = "panthor-gem";
	ptdev->reclaim = r;
	return mm_shrinker_register(ptdev->budget, &r->shrinker);
}

void panthor_gem_reclaim_fini(struct panthor_device *ptdev)
{
	struct panthor_gem_reclaim *r = ptdev->reclaim;

	if (!r)
		return;
	mm_shrinker_unregister(ptdev->budget, &r->shrinker);
	ptdev->reclaim = NULL;
	u_mutex_fini(&r->lock);
	u_free(r);
}

unsigned long panthor_gem_shrink(struct panthor_device *ptdev, unsigned long nr_pages,
				 bool may_block)
{
	struct mm_shrink_control sc = {
		.nr_to_scan = nr_pages,
		.may_block = may_block,
		.has_swap = mm_has_swap(ptdev->budget),
	};
	unsigned long freed = gem_shrinker_scan(ptdev->reclaim, &sc);

	return freed == MM_SHRINK_STOP ? 0 : freed;
}

void panthor_gem_get_stats(struct panthor_device *ptdev, struct panthor_gem_stats *st)
{
	struct panthor_gem_stats *s = &ptdev->reclaim->stats;

	st->evictions = __atomic_load_n(&s->evictions, __ATOMIC_RELAXED);
	st->restores = __atomic_load_n(&s->restores, __ATOMIC_RELAXED);
	st->bytes_out = __atomic_load_n(&s->bytes_out, __ATOMIC_RELAXED);
	st->bytes_in = __atomic_load_n(&s->bytes_in, __ATOMIC_RELAXED);
	st->reclaimed = __atomic_load_n(&s->reclaimed, __ATOMIC_RELAXED);
}

/* ---- the gems table ------------------------------------------------------------ */

/* Gems table flags (reference §4.8). */
#define GEM_STATE_IMPORTED 0x1u
#define GEM_STATE_EXPORTED 0x2u
#define GEM_STATE_EVICTED  0x4u
#define GEM_USAGE_KERNEL    0x1u
#define GEM_USAGE_FW_MAPPED 0x2u

void panthor_gem_dump(struct panthor_device *ptdev, void (*print)(void *arg, const char *line),
		      void *arg)
{
	struct panthor_gem_reclaim *r = ptdev->reclaim;
	uint64_t total = 0, resident = 0, reclaimable = 0;
	struct panthor_gem_object *bo;
	char line[512];

	print(arg, "state flags: imported=0x1 exported=0x2 evicted=0x4");
	print(arg, "usage flags: kernel=0x1 fw-mapped=0x2");
	snprintf(line, sizeof(line), "%-22s %6s %8s %9s %12s %14s %18s %5s %5s %s", "created-by",
		 "id", "refcount", "evictions", "size", "resident-size", "file-offset", "state",
		 "usage", "label");
	print(arg, line);
	u_mutex_lock(&r->lock);
	u_list_for_each_entry(bo, &r->all, reclaim.all_node) {
		int32_t refs = u_refcount_read(&bo->refcount);
		uint32_t evictions = __atomic_load_n(&bo->reclaimed_count, __ATOMIC_RELAXED);
		uint64_t res = bo->reclaim.resident ? bo->size : 0;
		uint32_t state = 0, usage = 0;

		if (refs <= 0)
			continue;
		if (panthor_gem_is_imported(bo))
			state |= GEM_STATE_IMPORTED;
		if (__atomic_load_n(&bo->export_buf, __ATOMIC_RELAXED))
			state |= GEM_STATE_EXPORTED;
		if (!panthor_gem_is_imported(bo) && !res && evictions)
			state |= GEM_STATE_EVICTED;
		if (bo->usage & PANTHOR_BO_USAGE_KERNEL)
			usage |= GEM_USAGE_KERNEL;
		if (bo->usage & PANTHOR_BO_USAGE_FW_MAPPED)
			usage |= GEM_USAGE_FW_MAPPED;
		snprintf(line, sizeof(line),
			 "%-22s %6u %8d %9u %12" PRIu64 " %14" PRIu64 " 0x%016" PRIx64
			 " 0x%03x 0x%03x %s",
			 bo->creator, bo->id, refs, evictions, bo->size, res,
			 __atomic_load_n(&bo->mmap_offset, __ATOMIC_RELAXED), state, usage,
			 bo->label ? bo->label : "");
		print(arg, line);
		total += bo->size;
		resident += res;
		if (bo->reclaim.state != PANTHOR_GEM_UNRECLAIMABLE)
			reclaimable += res;
	}
	u_mutex_unlock(&r->lock);
	snprintf(line, sizeof(line),
		 "Total size: %" PRIu64 ", Total resident: %" PRIu64 ", Total reclaimable: %" PRIu64,
		 total, resident, reclaimable);
	print(arg, line);
}

/* ---- kernel BOs -------------------------------------------------------------- */

struct panthor_kernel_bo *panthor_kernel_bo_create(struct panthor_device *ptdev,
						   struct panthor_vm *vm, uint64_t size,
						   uint32_t bo_flags, uint32_t vm_map_flags,
						   uint64_t gpu_va)
{
	bool fw = panthor_vm_is_mcu(vm);
	struct panthor_kernel_bo *kbo;
	struct panthor_gem_object *bo;
	int ret;

	if (!size || (vm_map_flags & DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE))
		return ERR_PTR(-EINVAL);

	kbo = u_zalloc(sizeof(*kbo));
	if (!kbo)
		return ERR_PTR(-ENOMEM);
	u_list_init(&kbo->va_node.link);

	bo = panthor_gem_create(ptdev, size, bo_flags, vm,
				PANTHOR_BO_USAGE_KERNEL | (fw ? PANTHOR_BO_USAGE_FW_MAPPED : 0));
	if (IS_ERR(bo)) {
		ret = (int)PTR_ERR(bo);
		goto err_free_kbo;
	}
	kbo->obj = bo;

	/* Firmware sections stay resident for good. */
	if (fw) {
		ret = panthor_gem_pin(bo);
		if (ret)
			goto err_put_obj;
	}

	ret = panthor_vm_alloc_va(vm, gpu_va, bo->size, &kbo->va_node);
	if (ret)
		goto err_unpin;

	ret = panthor_vm_map_bo_range(vm, bo, 0, bo->size, kbo->va_node.start, vm_map_flags);
	if (ret)
		goto err_free_va;

	kbo->vm = panthor_vm_get(vm);
	return kbo;

err_free_va:
	panthor_vm_free_va(vm, &kbo->va_node);
err_unpin:
	if (fw)
		panthor_gem_unpin(bo);
err_put_obj:
	panthor_gem_put(bo);
err_free_kbo:
	u_free(kbo);
	return ERR_PTR(ret);
}

void panthor_kernel_bo_destroy(struct panthor_kernel_bo *kbo)
{
	struct panthor_vm *vm;

	if (IS_ERR_OR_NULL(kbo))
		return;
	vm = kbo->vm;
	if (U_WARN_ON(panthor_vm_unmap_range(vm, kbo->va_node.start, kbo->va_node.size)))
		u_err(MOD, "kernel BO %u: unmap failed, its VA range leaks", kbo->obj->id);
	else
		panthor_vm_free_va(vm, &kbo->va_node);
	if (kbo->obj->usage & PANTHOR_BO_USAGE_FW_MAPPED)
		panthor_gem_unpin(kbo->obj);
	panthor_gem_put(kbo->obj);
	panthor_vm_put(vm);
	u_free(kbo);
}
