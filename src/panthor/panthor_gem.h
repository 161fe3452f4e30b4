/* SPDX-License-Identifier: MIT */
/*
 * Buffer objects: the core that VMs map. A BO owns its backing (frames of
 * src/mm, allocated on first need, 2 MiB-contiguous where the size allows)
 * and its device view (an sg table built from that backing). Every change
 * of either happens under the BO's reservation lock: its own, or the VM's
 * for a BO created with an exclusive VM.
 *
 * The GEM issue completes BOs (CPU mappings, vmap, eviction, import and
 * export); this is what VM_BIND needs.
 */
#ifndef PANTOMIME_PANTHOR_GEM_H
#define PANTOMIME_PANTHOR_GEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dma/dma_resv.h"
#include "dma/sg_table.h"
#include "gpuvm/gpuvm.h"
#include "panthor/panthor_device.h"
#include "util/u_refcount.h"

struct panthor_vm;
struct panthor_gem_reclaim;

/**
 * enum panthor_gem_reclaim_state - how hard a BO's backing is to reclaim
 * (cheapest first). Re-evaluated under the BO's resv whenever pages, pins or
 * GPU mappings change (see panthor_gem_update_reclaim_state_locked()).
 * @PANTHOR_GEM_UNUSED: has pages, no CPU or GPU mapping.
 * @PANTHOR_GEM_MMAPPED: CPU-mapped only (never reached yet: the BO layer has
 *                       no CPU mappings; the state and its LRU exist).
 * @PANTHOR_GEM_GPU_MAPPED_SINGLE_VM: GPU-mapped in exactly one VM.
 * @PANTHOR_GEM_GPU_MAPPED_SHARED: GPU-mapped in several VMs.
 * @PANTHOR_GEM_UNRECLAIMABLE: pinned, kernel/firmware/dummy, or page-less
 *                             (no backing, or already evicted).
 */
enum panthor_gem_reclaim_state {
	PANTHOR_GEM_UNUSED = 0,
	PANTHOR_GEM_MMAPPED,
	PANTHOR_GEM_GPU_MAPPED_SINGLE_VM,
	PANTHOR_GEM_GPU_MAPPED_SHARED,
	PANTHOR_GEM_UNRECLAIMABLE,
};

/**
 * struct panthor_gem_stats - the device's eviction counters (debug).
 * @evictions: BOs evicted to swap.
 * @restores: BOs swapped back in.
 * @bytes_out: bytes written to swap.
 * @bytes_in: bytes read back from swap.
 * @reclaimed: pages freed by the shrinker.
 */
struct panthor_gem_stats {
	uint64_t evictions;
	uint64_t restores;
	uint64_t bytes_out;
	uint64_t bytes_in;
	uint64_t reclaimed;
};

/**
 * enum panthor_bo_usage - who a BO is for (upstream's debugfs usage flags,
 * plus the sparse dummy); decides the owner kind of its frames.
 * @PANTHOR_BO_USAGE_KERNEL: created by the driver (a kernel BO).
 * @PANTHOR_BO_USAGE_FW_MAPPED: mapped in the MCU VM (frames owned as firmware).
 * @PANTHOR_BO_USAGE_DUMMY: the sparse dummy of a file (frames owned as dummy).
 */
enum panthor_bo_usage {
	PANTHOR_BO_USAGE_KERNEL = 1 << 0,
	PANTHOR_BO_USAGE_FW_MAPPED = 1 << 1,
	PANTHOR_BO_USAGE_DUMMY = 1 << 2,
};

/**
 * struct panthor_gem_chunk - one physically contiguous block of backing.
 * @pa: its first frame.
 * @order: its buddy order (9: 2 MiB, 0: 4 KiB).
 */
struct panthor_gem_chunk {
	phys_addr_t pa;
	unsigned int order;
};

/**
 * struct panthor_gem_object - a buffer object.
 *
 * Set once at creation:
 * @base: the gpuvm part; base.resv points at @resv or at the exclusive VM's resv.
 * @resv: the BO's own reservation object (unused when @exclusive_vm is set).
 * @ptdev: the device whose budget pays for the backing.
 * @size: size in bytes, a multiple of 4 KiB.
 * @flags: DRM_PANTHOR_BO_* creation flags.
 * @usage: enum panthor_bo_usage flags.
 * @id: device-unique id (frame owner id, reports).
 * @exclusive_vm: the VM whose resv this BO shares, or NULL (holds a reference).
 *
 * @refcount: references: handles, vm_bos, op contexts, kernel BOs.
 * @label: BO_SET_LABEL's label (u_malloc'd) or NULL; set and read by the
 *         ioctl layer under its label lock, freed with the BO.
 *
 * Protected by the reservation lock (base.resv):
 * @backing: the frames.
 * @backing.chunks: the chunks in BO order, NULL while there is no backing
 *                  (assigned only once every chunk is allocated).
 * @backing.nr_chunks: entries of @backing.chunks.
 * @backing.pin_count: pins; the backing is never released while pinned
 *                     (unpinning to 0 frees nothing).
 * @dmap: the device view.
 * @dmap.sgt: the sg table of the backing, NULL until first needed; kept
 *            until the BO is freed or evicted. Read without the lock by bind
 *            steps, which run while an op context holds the BO pinned.
 * @swap: where an evicted BO's data is (resv): @swap.slots[i] holds page i,
 *        NULL while resident.
 *
 * @reclaim: shrinker state. @reclaim.state is written under the resv and the
 *           device's LRU lock (read under either); @reclaim.lru_node,
 *           @reclaim.on_lru and @reclaim.lru (the list it is on: its state,
 *           or UNUSED after an unmap hint) under the LRU lock only.
 */
struct panthor_gem_object {
	struct gpuvm_gem base;
	struct dma_resv resv;
	struct panthor_device *ptdev;
	uint64_t size;
	uint32_t flags;
	uint32_t usage;
	uint32_t id;
	struct panthor_vm *exclusive_vm;

	struct u_refcount refcount;
	char *label;

	struct {
		struct panthor_gem_chunk *chunks;	/* @backing.chunks */
		uint32_t nr_chunks;			/* @backing.nr_chunks */
		uint32_t pin_count;			/* @backing.pin_count */
	} backing;
	struct {
		struct sg_table *sgt;			/* @dmap.sgt */
	} dmap;
	struct {
		enum panthor_gem_reclaim_state state;	/* @reclaim.state */
		struct u_list lru_node;			/* @reclaim.lru_node */
		bool on_lru;				/* @reclaim.on_lru */
		enum panthor_gem_reclaim_state lru;	/* @reclaim.lru */
	} reclaim;
	struct {
		uint32_t *slots;			/* @swap.slots */
		uint32_t nr_pages;			/* @swap.nr_pages */
	} swap;
};

/** to_panthor_bo() - Return: the BO embedding the gpuvm object @obj. */
static inline struct panthor_gem_object *to_panthor_bo(struct gpuvm_gem *obj)
{
	return container_of(obj, struct panthor_gem_object, base);
}

/** panthor_gem_resv() - Return: the reservation object guarding @bo. */
static inline struct dma_resv *panthor_gem_resv(struct panthor_gem_object *bo)
{
	return (struct dma_resv *)bo->base.resv;
}

/**
 * panthor_gem_create() - a BO without backing.
 * @ptdev: the device.
 * @size: requested size (> 0); rounded up to 4 KiB.
 * @flags: DRM_PANTHOR_BO_* flags (not validated here: the ioctl layer does).
 * @exclusive_vm: share this VM's reservation object (NULL: a BO of its own).
 * @usage: enum panthor_bo_usage flags.
 *
 * Return: the BO with one reference, or ERR_PTR(-EINVAL) for a zero or
 * overflowing size, ERR_PTR(-ENOMEM).
 */
struct panthor_gem_object *panthor_gem_create(struct panthor_device *ptdev, uint64_t size,
					      uint32_t flags, struct panthor_vm *exclusive_vm,
					      uint32_t usage);

/** panthor_gem_get() - take a reference. Return: @bo. */
struct panthor_gem_object *panthor_gem_get(struct panthor_gem_object *bo);

/**
 * panthor_gem_put() - drop a reference; the last one frees the sg table,
 * the backing and the object. Takes no lock (nobody else can reach it).
 * @bo: the BO or NULL.
 */
void panthor_gem_put(struct panthor_gem_object *bo);

/**
 * panthor_gem_backing_get_pages_locked() - allocate the backing if there is
 * none: 2 MiB chunks while at least 2 MiB remains (a 2 MiB chunk that
 * cannot be had falls back to 4 KiB frames), 4 KiB frames for the tail,
 * all zeroed. Nothing is stored unless every chunk was obtained.
 * @bo: the BO; its reservation lock is held.
 *
 * Return: 0 or -ENOMEM (nothing changed).
 */
int panthor_gem_backing_get_pages_locked(struct panthor_gem_object *bo);

/**
 * panthor_gem_pin_locked() - allocate the backing if needed and pin it.
 * @bo: the BO; its reservation lock is held.
 * Return: 0 or -ENOMEM.
 */
int panthor_gem_pin_locked(struct panthor_gem_object *bo);

/**
 * panthor_gem_unpin_locked() - drop a pin (the backing stays).
 * @bo: a pinned BO; its reservation lock is held.
 */
void panthor_gem_unpin_locked(struct panthor_gem_object *bo);

/**
 * panthor_gem_pin() - panthor_gem_pin_locked() with the reservation lock
 * taken and released here.
 * @bo: the BO.
 * Return: 0 or -ENOMEM.
 */
int panthor_gem_pin(struct panthor_gem_object *bo);

/**
 * panthor_gem_unpin() - panthor_gem_unpin_locked() with the lock taken here.
 * @bo: a pinned BO.
 */
void panthor_gem_unpin(struct panthor_gem_object *bo);

/**
 * panthor_gem_get_dev_sgt_locked() - the BO's sg table, built (and the
 * backing allocated) on first use.
 * @bo: the BO; its reservation lock is held.
 *
 * Return: the table (owned by the BO), or ERR_PTR(-ENOMEM).
 */
struct sg_table *panthor_gem_get_dev_sgt_locked(struct panthor_gem_object *bo);

/**
 * panthor_gem_get_dev_sgt() - panthor_gem_get_dev_sgt_locked() with the
 * lock taken here.
 * @bo: the BO.
 * Return: as panthor_gem_get_dev_sgt_locked().
 */
struct sg_table *panthor_gem_get_dev_sgt(struct panthor_gem_object *bo);

/**
 * panthor_gem_cpu_access() - copy between @buf and the BO's backing through
 * the direct map (what a kernel vmap gives; the GEM issue adds the real
 * thing). Allocates the backing if needed.
 * @bo: the BO.
 * @offset: byte offset in the BO.
 * @buf: source (@write) or destination.
 * @len: bytes; @offset + @len must not pass the BO's end.
 * @write: copy @buf into the BO.
 *
 * Return: 0, -EINVAL for a range outside the BO, -ENOMEM.
 */
int panthor_gem_cpu_access(struct panthor_gem_object *bo, uint64_t offset, void *buf,
			   size_t len, bool write);

/**
 * panthor_gem_offset_to_pa() - the physical address backing @offset.
 * @bo: the BO; its backing exists.
 * @offset: byte offset (< size).
 * Return: the address, or 0 without backing.
 */
phys_addr_t panthor_gem_offset_to_pa(struct panthor_gem_object *bo, uint64_t offset);

/**
 * struct panthor_va_node - a range of a VM's kernel VA space.
 * @start: first address (0 and @size 0 while not allocated).
 * @size: bytes.
 * @link: entry in the VM's list of allocated ranges.
 */
struct panthor_va_node {
	uint64_t start;
	uint64_t size;
	struct u_list link;
};

/**
 * struct panthor_kernel_bo - a BO the driver creates and maps itself in a
 * VM's kernel VA range (firmware sections on the MCU VM, heap contexts and
 * chunks on user VMs).
 * @obj: the BO (exclusive to @vm).
 * @vm: the VM it is mapped in (a reference).
 * @va_node: its VA range.
 */
struct panthor_kernel_bo {
	struct panthor_gem_object *obj;
	struct panthor_vm *vm;
	struct panthor_va_node va_node;
};

/**
 * panthor_kernel_bo_create() - create a BO exclusive to @vm, pin it if @vm
 * is the MCU VM, allocate a kernel VA range and map the whole BO there.
 * @ptdev: the device.
 * @vm: the VM.
 * @size: bytes (> 0, rounded up to 4 KiB).
 * @bo_flags: DRM_PANTHOR_BO_* flags.
 * @vm_map_flags: DRM_PANTHOR_VM_BIND_OP_MAP_* flags (not SPARSE).
 * @gpu_va: a fixed, 4 KiB-aligned address in the kernel range, or
 *          PANTHOR_VM_KERNEL_AUTO_VA.
 *
 * Return: the kernel BO, or ERR_PTR(-EINVAL) (bad size, flags or address),
 * ERR_PTR(-ENOSPC) (no room at that address or in the range),
 * ERR_PTR(-ENOMEM).
 */
struct panthor_kernel_bo *panthor_kernel_bo_create(struct panthor_device *ptdev,
						   struct panthor_vm *vm, uint64_t size,
						   uint32_t bo_flags, uint32_t vm_map_flags,
						   uint64_t gpu_va);

/**
 * panthor_kernel_bo_destroy() - unmap, free the VA range, unpin, drop the BO
 * and the VM reference.
 * @kbo: the kernel BO, NULL or an ERR_PTR (no-op).
 */
void panthor_kernel_bo_destroy(struct panthor_kernel_bo *kbo);

/* ---- reclaim (eviction to swap, restore) --------------------------------- */

/** panthor_gem_reclaim_init() - LRUs, counters, and the shrinker of @ptdev's budget. */
int panthor_gem_reclaim_init(struct panthor_device *ptdev);
/** panthor_gem_reclaim_fini() - unregister the shrinker (every BO must be gone). */
void panthor_gem_reclaim_fini(struct panthor_device *ptdev);

/**
 * panthor_gem_update_reclaim_state_locked() - recompute @bo's reclaim state
 * and move it to the matching LRU (tail). @bo's resv is held.
 */
void panthor_gem_update_reclaim_state_locked(struct panthor_gem_object *bo);

/**
 * panthor_gem_reclaim_hint_unmapped() - a GPU mapping of @bo went away (VM
 * op lock held, BO resv not): move it to the UNUSED list, where the next
 * scan re-evaluates it under its resv. Takes only the LRU lock.
 */
void panthor_gem_reclaim_hint_unmapped(struct panthor_gem_object *bo);

/** panthor_gem_reclaim_state() - Return: @bo's current state (LRU lock). */
enum panthor_gem_reclaim_state panthor_gem_reclaim_state(struct panthor_gem_object *bo);

/** panthor_gem_is_evicted() - Return: @bo's data is in swap (resv taken here). */
bool panthor_gem_is_evicted(struct panthor_gem_object *bo);

/**
 * panthor_gem_shrink() - debug control: run one shrinker scan.
 * @ptdev: the device.
 * @nr_pages: pages wanted.
 * @may_block: also evict GPU-mapped BOs.
 * Return: pages freed.
 */
unsigned long panthor_gem_shrink(struct panthor_device *ptdev, unsigned long nr_pages,
				 bool may_block);

/** panthor_gem_get_stats() - a snapshot of the device's eviction counters. */
void panthor_gem_get_stats(struct panthor_device *ptdev, struct panthor_gem_stats *st);

#endif
