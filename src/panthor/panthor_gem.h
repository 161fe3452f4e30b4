/* SPDX-License-Identifier: MIT */
/*
 * Buffer objects: what VMs map and the CPU sees. A BO owns its backing
 * (frames of src/mm, allocated on first need, 2 MiB-contiguous where the
 * size allows), its device view (an sg table built from that backing) and
 * its CPU views (a kernel vmap, user mappings faulted in through
 * userfaultfd). Every change of these happens under the BO's reservation
 * lock: its own, or the VM's for a BO created with an exclusive VM. The
 * shrinker evicts BOs to swap; jobs and CPU faults bring them back. An
 * imported BO shows the frames of a BO of another device.
 */
#ifndef PANTOMIME_PANTHOR_GEM_H
#define PANTOMIME_PANTHOR_GEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dma/dma_resv.h"
#include "mm/mm_cpumap.h"
#include "dma/sg_table.h"
#include "gpuvm/gpuvm.h"
#include "panthor/panthor_device.h"
#include "util/u_refcount.h"

struct panthor_vm;
struct panthor_gem_reclaim;
struct panthor_gem_cpumap;
struct panthor_gem_vm_lru;
struct dma_buf;

/**
 * enum panthor_gem_reclaim_state - how hard a BO's backing is to reclaim
 * (cheapest first). Re-evaluated under the BO's resv whenever pages, pins or
 * GPU mappings change (see panthor_gem_update_reclaim_state_locked()).
 * @PANTHOR_GEM_UNUSED: has pages, no CPU or GPU mapping.
 * @PANTHOR_GEM_MMAPPED: CPU-mapped (user mmap) and not GPU-mapped.
 * @PANTHOR_GEM_GPU_MAPPED_SINGLE_VM: GPU-mapped in exactly one VM.
 * @PANTHOR_GEM_GPU_MAPPED_SHARED: GPU-mapped in several VMs.
 * @PANTHOR_GEM_UNRECLAIMABLE: pinned (vmapped, firmware, being bound),
 *                             kernel, imported, page-less (no backing, or
 *                             already evicted), or CPU-mapped where the
 *                             mapping cannot be zapped (no userfaultfd).
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
 * @refcount: references: handles, vm_bos, op contexts, kernel BOs, CPU
 *            mappings, dma-bufs.
 * @label: BO_SET_LABEL's label (u_malloc'd) or NULL; swapped by
 *         panthor_gem_set_label() and read by the gems table under the
 *         device's LRU lock, freed with the BO.
 * @mmap_offset: the fake mmap offset the ioctl layer gave the BO (0: none
 *               yet); set once, under the ioctl layer's device lock.
 * @creator: "comm/pid" of the process that created the BO (gems table).
 * @import: for an imported BO (a dma-buf exported by another device):
 * @import.src: the exporter's BO (a reference; pinned while imported, so
 *              its frames, which back this BO too, never move).
 * @import.dmabuf: the dma-buf it came from (a reference).
 * @export_buf: the live dma-buf exported from this BO, or NULL (dma-buf
 *              registry lock; cleared by the dma-buf's release).
 *
 * Protected by the reservation lock (base.resv):
 * @backing: the frames.
 * @backing.chunks: the chunks in BO order, NULL while there is no backing
 *                  (assigned only once every chunk is allocated).
 * @backing.nr_chunks: entries of @backing.chunks.
 * @backing.pin_count: pins; the backing is never released while pinned
 *                     (unpinning to 0 frees nothing).
 * @cmap: the CPU views.
 * @cmap.vaddr: the kernel mapping (panthor_gem_vmap()), NULL when unmapped.
 * @cmap.vaddr_use_count: users of @cmap.vaddr; each holds a pin.
 * @cmap.mmap_count: user CPU mappings (struct panthor_gem_cpumap) alive.
 * @cmap.nozap_count: those of them that cannot be zapped (populated
 *                    eagerly, without userfaultfd): the BO is then never
 *                    evicted.
 * @cmap.maps: the user CPU mappings (panthor_gem_cpumap.link).
 * @reclaimed_count: times evicted (atomic; the gems table's "evictions").
 * @dmap: the device view.
 * @dmap.sgt: the sg table of the backing, NULL until first needed; kept
 *            until the BO is freed or evicted. Read without the lock by bind
 *            steps, which run while an op context holds the BO pinned.
 * @swap: where an evicted BO's data is (resv): @swap.slots[i] holds page i,
 *        NULL while resident.
 *
 * @reclaim: shrinker state. @reclaim.state is written under the resv and the
 *           device's LRU lock (read under either); @reclaim.lru_node,
 *           @reclaim.on_lru, @reclaim.vm_lru (the VM list a SINGLE_VM BO
 *           is on, NULL on a device list), @reclaim.all_node (the device's
 *           list of every BO, for the gems table), @reclaim.resident
 *           (has pages; a copy for the gems table), @reclaim.gpu_vas (some
 *           VM has a VA of the BO, evicted or not: written under the resv
 *           by the state computation, read by eviction) and
 *           @reclaim.lru (the list it is on: its state,
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
	uint64_t mmap_offset;
	char creator[32];
	struct {
		struct panthor_gem_object *src;		/* @import.src */
		struct dma_buf *dmabuf;			/* @import.dmabuf */
	} import;
	struct dma_buf *export_buf;

	struct {
		struct panthor_gem_chunk *chunks;	/* @backing.chunks */
		uint32_t nr_chunks;			/* @backing.nr_chunks */
		uint32_t pin_count;			/* @backing.pin_count */
	} backing;
	struct {
		void *vaddr;				/* @cmap.vaddr */
		uint32_t vaddr_use_count;		/* @cmap.vaddr_use_count */
		uint32_t mmap_count;			/* @cmap.mmap_count */
		uint32_t nozap_count;			/* @cmap.nozap_count */
		struct u_list maps;			/* @cmap.maps */
	} cmap;
	uint32_t reclaimed_count;
	struct {
		struct sg_table *sgt;			/* @dmap.sgt */
	} dmap;
	struct {
		enum panthor_gem_reclaim_state state;	/* @reclaim.state */
		struct u_list lru_node;			/* @reclaim.lru_node */
		bool on_lru;				/* @reclaim.on_lru */
		enum panthor_gem_reclaim_state lru;	/* @reclaim.lru */
		struct panthor_gem_vm_lru *vm_lru;	/* @reclaim.vm_lru */
		struct u_list all_node;			/* @reclaim.all_node */
		bool resident;				/* @reclaim.resident */
		bool gpu_vas;				/* @reclaim.gpu_vas */
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
 * the direct map, under the resv (a short-lived kernel access; see
 * panthor_gem_vmap() for a lasting one). Allocates or swaps in if needed.
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

/* ---- CPU views: user mappings (mmap) and the kernel mapping (vmap) -------- */

/**
 * struct panthor_gem_cpumap - one user CPU mapping of a BO (a VMA).
 * @bo: the BO (a reference).
 * @pgoff: first BO page shown.
 * @npages: pages shown.
 * @map: the mm_cpumap (NULL until mm_cpumap_create() returned).
 * @link: in @bo's cmap.maps (resv).
 * @dead: being unmapped: faults fail (resv).
 * @nozap: counted in @bo's cmap.nozap_count (resv).
 * @gone: bitmap of pages the user unmapped (partial munmap; resv);
 *        allocated with the mapping so that munmap never fails for memory.
 * @ngone: bits set in @gone (resv).
 */
struct panthor_gem_cpumap {
	struct panthor_gem_object *bo;
	uint64_t pgoff;
	uint64_t npages;
	struct mm_cpumap *map;
	struct u_list link;
	bool dead;
	bool nozap;
	uint64_t *gone;
	uint64_t ngone;
};

/**
 * panthor_gem_mmap() - map [@offset, @offset + @len) of @bo for the CPU:
 * reserve a range whose pages are faulted in on first touch
 * (panthor_gem_cpu_fault()), or populated now without userfaultfd.
 * Allocates no page itself (with userfaultfd). Counts the mapping in
 * cmap.mmap_count and recomputes the reclaim state.
 * @bo: the BO.
 * @offset: byte offset in @bo, 4 KiB aligned.
 * @len: bytes, 4 KiB aligned, > 0.
 * @prot: PROT_READ, optionally | PROT_WRITE.
 * @out: the mapping.
 *
 * Return: 0; -EINVAL for a range beyond the BO or a bad @prot; -ENOMEM.
 */
int panthor_gem_mmap(struct panthor_gem_object *bo, uint64_t offset, uint64_t len, int prot,
		     struct panthor_gem_cpumap **out);

/** panthor_gem_cpumap_addr() - Return: the first address of @m. */
void *panthor_gem_cpumap_addr(const struct panthor_gem_cpumap *m);

/**
 * panthor_gem_munmap_range() - the user unmapped part of @m (partial
 * munmap): those pages are unmapped for good (mm_cpumap_release_range())
 * and the handler refuses them; the rest stays until panthor_gem_munmap().
 * @m: the mapping.
 * @first: first page index in @m.
 * @npages: pages.
 * Return: the number of those pages that were still mapped (>= 0),
 * -EINVAL for a range outside @m, -ENOMEM.
 */
int panthor_gem_munmap_range(struct panthor_gem_cpumap *m, uint64_t first, uint64_t npages);

/**
 * panthor_gem_munmap() - remove @m: zap it, uncount it, recompute the
 * state, then unmap the range and drop the BO reference. Must not be
 * called with a lock the fault handler takes (the BO's resv).
 * @m: the mapping, or NULL.
 */
void panthor_gem_munmap(struct panthor_gem_cpumap *m);

/**
 * panthor_gem_cpu_fault() - the CPU fault handler of BO mappings (the
 * struct mm_cpumap_ops fault callback), callable directly.
 * @cookie: the struct panthor_gem_cpumap.
 * @page_index: the faulting page, in the mapping.
 * @may_block: false: trylock the resv and answer only when pages are
 *             present (-EAGAIN otherwise); true: lock, allocate or swap in.
 * @run: the run of contiguous frames containing the page (clipped to the
 *       mapping and to one chunk of backing).
 *
 * Return: 0; -EAGAIN (non-blocking, would sleep); -EFAULT for a page the
 * user unmapped or a mapping being torn down; -ENOMEM.
 */
int panthor_gem_cpu_fault(void *cookie, uint64_t page_index, bool may_block,
			  struct mm_cpumap_run *run);

/**
 * panthor_gem_vmap() - the kernel mapping of @bo: every page, contiguous in
 * the CPU's address space. Pins the BO (allocating or swapping in); a BO
 * with a vmap is never reclaimed.
 * @bo: the BO (not imported).
 * @out: the address.
 * Return: 0, -EINVAL for an imported BO, -ENOMEM.
 */
int panthor_gem_vmap(struct panthor_gem_object *bo, void **out);

/** panthor_gem_vunmap() - drop a vmap use; the last one unmaps and unpins. @bo: the BO. */
void panthor_gem_vunmap(struct panthor_gem_object *bo);

/**
 * panthor_gem_set_label() - replace @bo's label.
 * @bo: the BO.
 * @label: u_malloc'd string or NULL (the BO owns it from now on).
 * Return: the old label, for the caller to free.
 */
char *panthor_gem_set_label(struct panthor_gem_object *bo, char *label);

/**
 * panthor_gem_dump() - the gems table: legends, one line per BO (created-by,
 * refcount, evictions, size, resident size, file offset, state and usage
 * flags, label), then the totals.
 * @ptdev: the device.
 * @print: called once per line.
 * @arg: passed to @print.
 */
void panthor_gem_dump(struct panthor_device *ptdev, void (*print)(void *arg, const char *line),
		      void *arg);

/* ---- import ------------------------------------------------------------- */

/**
 * panthor_gem_create_imported() - a BO of @ptdev showing the frames of
 * @src, a BO of another device (the RAM arena is process-wide). @src is
 * pinned while the import lives; the import is never reclaimed.
 * @ptdev: the importing device.
 * @src: the exporter's BO.
 * @dmabuf: the dma-buf (the import takes a reference).
 * Return: the BO, or ERR_PTR(-ENOMEM).
 */
struct panthor_gem_object *panthor_gem_create_imported(struct panthor_device *ptdev,
							struct panthor_gem_object *src,
							struct dma_buf *dmabuf);

/**
 * panthor_gem_should_map_wc() - whether CPU mappings of @bo are
 * write-combined (upstream's should_map_wc()): never on an IO-coherent
 * device (the zeroing of fresh pages went through the cache and is never
 * flushed there), not with DRM_PANTHOR_BO_WB_MMAP, else yes. The model's
 * CPU has one coherent view, so this only decides what BO_SYNC does.
 * @bo: the BO.
 * Return: true for write-combined mappings.
 */
bool panthor_gem_should_map_wc(const struct panthor_gem_object *bo);

/** panthor_gem_is_imported() - Return: @bo was imported from another device. */
static inline bool panthor_gem_is_imported(const struct panthor_gem_object *bo)
{
	return bo->import.src != NULL;
}

/* ---- per-VM reclaim lists ----------------------------------------------- */

/**
 * panthor_gem_vm_lru_create() - the reclaim list of a new VM (its
 * GPU_MAPPED_SINGLE_VM BOs).
 * @ptdev: the device.
 * Return: the list, or NULL (-ENOMEM).
 */
struct panthor_gem_vm_lru *panthor_gem_vm_lru_create(struct panthor_device *ptdev);

/**
 * panthor_gem_vm_lru_release() - the VM is going away: its BOs move to the
 * UNUSED list (re-evaluated by the next scan) and the list is freed once no
 * scan uses it.
 * @ptdev: the device.
 * @lru: the list, or NULL.
 */
void panthor_gem_vm_lru_release(struct panthor_device *ptdev, struct panthor_gem_vm_lru *lru);

/**
 * panthor_gem_vm_lru_get() - a user reference to @lru (it outlives its VM
 * until dropped). Takes the LRU lock: allowed under a BO's gpuva lock.
 * @ptdev: the device.
 * @lru: the list.
 * Return: @lru.
 */
struct panthor_gem_vm_lru *panthor_gem_vm_lru_get(struct panthor_device *ptdev,
						  struct panthor_gem_vm_lru *lru);

/** panthor_gem_vm_lru_put() - drop a reference of panthor_gem_vm_lru_get(). @ptdev: the device. @lru: or NULL. */
void panthor_gem_vm_lru_put(struct panthor_device *ptdev, struct panthor_gem_vm_lru *lru);

/**
 * panthor_gem_vm_lru_touch() - the VM is about to run a job: move it to the
 * most recently used end of the device's VM list.
 * @ptdev: the device.
 * @lru: the VM's list.
 */
void panthor_gem_vm_lru_touch(struct panthor_device *ptdev, struct panthor_gem_vm_lru *lru);

#endif
