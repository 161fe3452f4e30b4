// SPDX-License-Identifier: MIT
/*
 * DOC: buffer objects (the core VM_BIND needs)
 *
 * Sub-resources with their own lifetimes, as panthor has had since it
 * stopped using gem_shmem (reference §4.2, §4.3):
 *
 *   backing   frames from the device's budget, allocated on first need
 *             (pin, sg table, CPU access), released only when the BO is
 *             freed (the GEM issue adds eviction). pin_count says the
 *             backing must stay; dropping it to 0 frees nothing.
 *   dmap      the sg table: the backing's segments, contiguous frames
 *             merged, built on first need and kept until the BO is freed.
 *
 * Both change only under the BO's reservation lock, and a field that means
 * "present" is assigned only once the resource is complete: a failed
 * allocation leaves NULL, never an error value (seed 001's bug).
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
#include <string.h>

#include "uapi/drm/panthor_drm.h"
#include "panthor/panthor_mmu.h"
#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_log.h"

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
	bo->reclaim.state = PANTHOR_GEM_UNRECLAIMABLE;
	dma_resv_init(&bo->resv);
	if (exclusive_vm) {
		bo->exclusive_vm = panthor_vm_get(exclusive_vm);
		gpuvm_gem_init(&bo->base, panthor_vm_resv(exclusive_vm));
	} else {
		gpuvm_gem_init(&bo->base, &bo->resv);
	}
	return bo;
}

struct panthor_gem_object *panthor_gem_get(struct panthor_gem_object *bo)
{
	u_refcount_get(&bo->refcount);
	return bo;
}

static void panthor_gem_backing_free(struct panthor_gem_object *bo, struct panthor_gem_chunk *chunks,
				     uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		mm_free_pages(bo->ptdev->budget, chunks[i].pa, chunks[i].order);
	u_free(chunks);
}

/* ---- reclaim: LRUs ------------------------------------------------------------ */

/**
 * struct panthor_gem_reclaim - a device's BO LRUs (lock class "panthor_gem_lru").
 * @lock: protects @lru, @pages, every BO's reclaim.lru_node/on_lru.
 * @lru: one list per reclaimable state, least recently touched first. The
 *       single-VM list is device-wide here, not per VM.
 * @pages: pages of the BOs on each list.
 * @shrinker: registered with the device's budget.
 * @stats: counters (atomics).
 */
struct panthor_gem_reclaim {
	struct u_mutex lock;
	struct u_list lru[PANTHOR_GEM_UNRECLAIMABLE];
	uint64_t pages[PANTHOR_GEM_UNRECLAIMABLE];
	struct mm_shrinker shrinker;
	struct panthor_gem_stats stats;
};

static U_LOCK_CLASS(panthor_gem_lru_class, "panthor_gem_lru");

/* Take @bo off its LRU, if it is on one. Caller holds @r->lock. */
static void lru_unlink_locked(struct panthor_gem_reclaim *r, struct panthor_gem_object *bo)
{
	if (bo->reclaim.on_lru) {
		u_list_del(&bo->reclaim.lru_node);
		r->pages[bo->reclaim.lru] -= bo->size / SZ_4K;
		bo->reclaim.on_lru = false;
	}
}

static void lru_remove(struct panthor_gem_object *bo)
{
	struct panthor_gem_reclaim *r = bo->ptdev->reclaim;

	if (!r)
		return;
	u_mutex_lock(&r->lock);
	lru_unlink_locked(r, bo);
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

static enum panthor_gem_reclaim_state compute_state_locked(struct panthor_gem_object *bo)
{
	unsigned int vms;

	if (bo->backing.pin_count || !bo->backing.chunks ||
	    (bo->usage & (PANTHOR_BO_USAGE_KERNEL | PANTHOR_BO_USAGE_FW_MAPPED |
			  PANTHOR_BO_USAGE_DUMMY)))
		return PANTHOR_GEM_UNRECLAIMABLE;
	vms = panthor_gem_nr_mapped_vms_locked(bo);
	if (!vms)
		return PANTHOR_GEM_UNUSED;	/* no CPU mappings yet: never MMAPPED */
	return vms == 1 ? PANTHOR_GEM_GPU_MAPPED_SINGLE_VM : PANTHOR_GEM_GPU_MAPPED_SHARED;
}

void panthor_gem_update_reclaim_state_locked(struct panthor_gem_object *bo)
{
	struct panthor_gem_reclaim *r = bo->ptdev->reclaim;
	enum panthor_gem_reclaim_state st;

	dma_resv_assert_held(panthor_gem_resv(bo));
	st = compute_state_locked(bo);
	if (!r) {
		bo->reclaim.state = st;
		return;
	}
	u_mutex_lock(&r->lock);
	lru_unlink_locked(r, bo);
	bo->reclaim.state = st;
	if (st != PANTHOR_GEM_UNRECLAIMABLE) {
		u_list_add_tail(&bo->reclaim.lru_node, &r->lru[st]);
		r->pages[st] += bo->size / SZ_4K;
		bo->reclaim.on_lru = true;
		bo->reclaim.lru = st;
	}
	u_mutex_unlock(&r->lock);
}

void panthor_gem_reclaim_hint_unmapped(struct panthor_gem_object *bo)
{
	struct panthor_gem_reclaim *r = bo->ptdev->reclaim;

	if (!r)
		return;
	u_mutex_lock(&r->lock);
	if (bo->reclaim.on_lru && bo->reclaim.lru != PANTHOR_GEM_UNUSED) {
		r->pages[bo->reclaim.lru] -= bo->size / SZ_4K;
		u_list_move_tail(&bo->reclaim.lru_node, &r->lru[PANTHOR_GEM_UNUSED]);
		r->pages[PANTHOR_GEM_UNUSED] += bo->size / SZ_4K;
		bo->reclaim.lru = PANTHOR_GEM_UNUSED;
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

void panthor_gem_put(struct panthor_gem_object *bo)
{
	if (!bo || !u_refcount_put(&bo->refcount))
		return;

	/* Last reference: only the LRU still reaches the BO (get_unless_zero). */
	lru_remove(bo);
	U_WARN_ON(bo->backing.pin_count);
	swap_slots_free(bo);
	sg_table_free(bo->dmap.sgt);
	if (bo->backing.chunks)
		panthor_gem_backing_free(bo, bo->backing.chunks, bo->backing.nr_chunks);
	gpuvm_gem_fini(&bo->base);
	dma_resv_fini(&bo->resv);
	if (bo->exclusive_vm)
		panthor_vm_put(bo->exclusive_vm);
	u_free(bo->label);
	u_free(bo);
}

static int backing_alloc_frames(struct panthor_gem_object *bo, struct panthor_gem_chunk *chunks,
				uint32_t *n, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++) {
		phys_addr_t pa;
		int ret = mm_alloc_pages(bo->ptdev->budget, 0, MM_GFP_KERNEL | MM_GFP_ZERO,
					 bo_owner_kind(bo), bo->id, &pa);

		if (ret)
			return ret;
		chunks[*n].pa = pa;
		chunks[*n].order = 0;
		(*n)++;
	}
	return 0;
}

int panthor_gem_backing_get_pages_locked(struct panthor_gem_object *bo)
{
	uint64_t nr_2m = bo->size / SZ_2M;
	uint64_t tail = (bo->size % SZ_2M) / SZ_4K;
	uint64_t cap = nr_2m + tail;
	struct panthor_gem_chunk *chunks;
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

		ret = mm_alloc_pages(bo->ptdev->budget, CHUNK_ORDER_2M, MM_GFP_KERNEL | MM_GFP_ZERO,
				     bo_owner_kind(bo), bo->id, &pa);
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
		ret = backing_alloc_frames(bo, chunks, &n, SZ_2M / SZ_4K);
	}
	if (!ret)
		ret = backing_alloc_frames(bo, chunks, &n, tail);
	if (ret) {
		panthor_gem_backing_free(bo, chunks, n);
		return -ENOMEM;
	}

	/* Complete: only now does the BO have backing. */
	bo->backing.chunks = chunks;
	bo->backing.nr_chunks = n;
	if (bo->swap.slots) {
		struct panthor_gem_reclaim *r = bo->ptdev->reclaim;

		for (uint32_t i = 0; i < bo->swap.nr_pages; i++)
			mm_swap_read(bo->ptdev->budget, bo->swap.slots[i],
				     panthor_gem_offset_to_pa(bo, (uint64_t)i * SZ_4K));
		swap_slots_free(bo);
		__atomic_add_fetch(&r->stats.restores, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&r->stats.bytes_in, bo->size, __ATOMIC_RELAXED);
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

	if (bo->reclaim.state >= PANTHOR_GEM_GPU_MAPPED_SINGLE_VM) {
		if (!may_block)
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
	if (i < nr) {
		while (i--)
			mm_swap_free(b, slots[i]);
		u_free(slots);
		return 0;
	}
	if (bo->reclaim.state >= PANTHOR_GEM_GPU_MAPPED_SINGLE_VM &&
	    panthor_vm_evict_bo_locked(bo)) {
		/* Busy VM: what was unmapped is re-mapped by the next job. */
		for (i = 0; i < nr; i++)
			mm_swap_free(b, slots[i]);
		u_free(slots);
		return 0;
	}
	for (i = 0; i < nr; i++)
		mm_swap_write(b, slots[i], panthor_gem_offset_to_pa(bo, (uint64_t)i * SZ_4K));
	sg_table_free(bo->dmap.sgt);
	bo->dmap.sgt = NULL;
	panthor_gem_backing_free(bo, bo->backing.chunks, bo->backing.nr_chunks);
	bo->backing.chunks = NULL;
	bo->backing.nr_chunks = 0;
	bo->swap.slots = slots;
	bo->swap.nr_pages = nr;
	panthor_gem_update_reclaim_state_locked(bo);
	__atomic_add_fetch(&r->stats.evictions, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->stats.bytes_out, bo->size, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->stats.reclaimed, nr, __ATOMIC_RELAXED);
	return nr;
}

/* One stage: walk list @st, at most its length once, until @want pages are freed. */
static unsigned long scan_list(struct panthor_gem_reclaim *r, enum panthor_gem_reclaim_state st,
			       unsigned long want, bool may_block, unsigned long *scanned)
{
	unsigned long freed = 0;
	size_t budget;

	u_mutex_lock(&r->lock);
	budget = u_list_length(&r->lru[st]);
	u_mutex_unlock(&r->lock);

	while (freed < want && budget--) {
		struct panthor_gem_object *bo = NULL, *it;

		u_mutex_lock(&r->lock);
		u_list_for_each_entry(it, &r->lru[st], reclaim.lru_node) {
			/* Rotate: the next pick is another BO. */
			u_list_move_tail(&it->reclaim.lru_node, &r->lru[st]);
			if (u_refcount_get_unless_zero(&it->refcount))
				bo = it;
			break;
		}
		u_mutex_unlock(&r->lock);
		if (!bo)
			break;
		*scanned += bo->size / SZ_4K;
		if (dma_resv_trylock(panthor_gem_resv(bo))) {
			panthor_gem_update_reclaim_state_locked(bo);
			/* Re-evaluated: it may have become cheaper (unmapped meanwhile). */
			if (bo->reclaim.state <= st)
				freed += evict_locked(bo, may_block);
			dma_resv_unlock(panthor_gem_resv(bo));
		}
		panthor_gem_put(bo);
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
	static const enum panthor_gem_reclaim_state stages[] = {
		PANTHOR_GEM_UNUSED, PANTHOR_GEM_MMAPPED, PANTHOR_GEM_GPU_MAPPED_SINGLE_VM,
		PANTHOR_GEM_GPU_MAPPED_SHARED,
	};
	struct panthor_gem_reclaim *r = cookie;
	unsigned long freed = 0;

	sc->nr_scanned = 0;
	if (!sc->has_swap)
		return MM_SHRINK_STOP;
	for (size_t i = 0; i < ARRAY_SIZE(stages) && freed < sc->nr_to_scan; i++) {
		if (stages[i] >= PANTHOR_GEM_GPU_MAPPED_SINGLE_VM && !sc->may_block)
			break;
		freed += scan_list(r, stages[i], sc->nr_to_scan - freed, sc->may_block,
				   &sc->nr_scanned);
	}
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
