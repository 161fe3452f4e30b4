// SPDX-License-Identifier: MIT
/*
 * DOC: tiler heaps
 *
 * A VM gets a heap pool at its first TILER_HEAP_CREATE: one kernel BO of
 * 128 heap-context slots, each the 32-byte context rounded up to the GPU's
 * cache line (L2_FEATURES), mapped NOEXEC in the VM's kernel VA range. A
 * heap is a context slot (zeroed at creation) and a list of chunks, each a
 * kernel BO of chunk_size bytes mapped NOEXEC in the kernel range too. A
 * new chunk's 64-byte header is zeroed and its first word links to the
 * chunk allocated before it, as the tiler expects: that chunk's VA in bits
 * 63..12 and the chunk size in 4 KiB units below. The heap's "first chunk"
 * is the last one allocated (the head of the list).
 *
 * There are no tiler units in the model, so heaps never grow (panthor's
 * heap_grow / return_chunk answer firmware requests); their memory is
 * allocated, mapped, accounted and freed as panthor does. Handles are
 * (vm_id << 16) | heap id. VM_DESTROY destroys the VM's pool and its heaps.
 *
 * Locking: the pool's lock ("panthor_heap_pool", a leaf) only guards its
 * heap table and the dead flag; chunk BOs are created and destroyed outside
 * it (a heap being created is not in the table yet, one being destroyed has
 * left it). The VM's "panthor_vm_heaps" lock serialises pool creation.
 */
#include "panthor/panthor_heap.h"

#include <errno.h>
#include <string.h>

#include "panthor/panthor_file.h"
#include "panthor/panthor_gem.h"
#include "panthor/panthor_mmu.h"
#include "uapi/drm/panthor_drm.h"
#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_log.h"
#include "util/u_refcount.h"

#define MOD "heap"

/* The GPU's heap context (opaque to the driver, zeroed at creation). */
#define HEAP_CONTEXT_SIZE 32u
/* A chunk's header: the next-chunk link and 56 bytes that must be zero. */
#define HEAP_CHUNK_HEADER_SIZE 64u

static U_LOCK_CLASS(panthor_heap_pool_class, "panthor_heap_pool");

/**
 * struct panthor_heap - one tiler heap.
 * @chunks: its chunks, most recent first.
 * @chunk_count: entries of @chunks.
 * @chunk_size: bytes per chunk.
 * @max_chunks: capacity of @chunks.
 * @target_in_flight: recorded.
 */
struct panthor_heap {
	struct panthor_kernel_bo **chunks;
	uint32_t chunk_count;
	uint32_t chunk_size;
	uint32_t max_chunks;
	uint32_t target_in_flight;
};

/**
 * struct panthor_heap_pool - a VM's heaps.
 * @refcount: references (the VM's and callers').
 * @ptdev: the device.
 * @vm: the VM; NULL once the pool was destroyed (under @lock).
 * @lock: protects @vm and @heaps (lock class "panthor_heap_pool").
 * @heaps: heap id -> heap.
 * @contexts: the heap-context BO.
 * @ctx_stride: bytes per context slot.
 */
struct panthor_heap_pool {
	struct u_refcount refcount;
	struct panthor_device *ptdev;
	struct panthor_vm *vm;
	struct u_mutex lock;
	struct panthor_heap *heaps[PANTHOR_MAX_HEAPS_PER_POOL];
	struct panthor_kernel_bo *contexts;
	uint32_t ctx_stride;
};

static uint32_t heap_ctx_stride(struct panthor_device *ptdev)
{
	uint32_t line = 1u << (ptdev->gpu_info.l2_features & 0xff);

	if (line < HEAP_CONTEXT_SIZE)
		return HEAP_CONTEXT_SIZE;
	return (HEAP_CONTEXT_SIZE + line - 1) & ~(line - 1);
}

struct panthor_heap_pool *panthor_heap_pool_create(struct panthor_device *ptdev,
						   struct panthor_vm *vm)
{
	struct panthor_heap_pool *pool = u_zalloc(sizeof(*pool));
	uint64_t size;

	if (!pool)
		return ERR_PTR(-ENOMEM);
	u_refcount_init(&pool->refcount, 1);
	pool->ptdev = ptdev;
	pool->vm = vm;
	pool->ctx_stride = heap_ctx_stride(ptdev);
	u_mutex_init(&pool->lock, &panthor_heap_pool_class);
	size = ((uint64_t)PANTHOR_MAX_HEAPS_PER_POOL * pool->ctx_stride + 4095) & ~4095ull;
	pool->contexts = panthor_kernel_bo_create(ptdev, vm, size, DRM_PANTHOR_BO_NO_MMAP,
						  DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC,
						  PANTHOR_VM_KERNEL_AUTO_VA);
	if (IS_ERR(pool->contexts)) {
		long err = PTR_ERR(pool->contexts);

		u_mutex_fini(&pool->lock);
		u_free(pool);
		return ERR_PTR(err);
	}
	return pool;
}

struct panthor_heap_pool *panthor_heap_pool_get(struct panthor_heap_pool *pool)
{
	if (pool)
		u_refcount_get(&pool->refcount);
	return pool;
}

void panthor_heap_pool_put(struct panthor_heap_pool *pool)
{
	if (!pool || !u_refcount_put(&pool->refcount))
		return;
	for (uint32_t i = 0; i < PANTHOR_MAX_HEAPS_PER_POOL; i++)
		U_WARN_ON(pool->heaps[i]);
	u_mutex_fini(&pool->lock);
	u_free(pool);
}

static void heap_free(struct panthor_heap *heap)
{
	if (!heap)
		return;
	for (uint32_t i = 0; i < heap->chunk_count; i++)
		panthor_kernel_bo_destroy(heap->chunks[i]);
	u_free(heap->chunks);
	u_free(heap);
}

void panthor_heap_pool_destroy(struct panthor_heap_pool *pool)
{
	struct panthor_heap *heaps[PANTHOR_MAX_HEAPS_PER_POOL];

	if (!pool)
		return;
	u_mutex_lock(&pool->lock);
	memcpy(heaps, pool->heaps, sizeof(heaps));
	memset(pool->heaps, 0, sizeof(pool->heaps));
	pool->vm = NULL;
	u_mutex_unlock(&pool->lock);
	for (uint32_t i = 0; i < PANTHOR_MAX_HEAPS_PER_POOL; i++)
		heap_free(heaps[i]);
	panthor_kernel_bo_destroy(pool->contexts);
	pool->contexts = NULL;
	panthor_heap_pool_put(pool);
}

uint32_t panthor_heap_pool_chunks(struct panthor_heap_pool *pool)
{
	uint32_t n = 0;

	u_mutex_lock(&pool->lock);
	for (uint32_t i = 0; i < PANTHOR_MAX_HEAPS_PER_POOL; i++)
		if (pool->heaps[i])
			n += pool->heaps[i]->chunk_count;
	u_mutex_unlock(&pool->lock);
	return n;
}

/* A new chunk at the head of @heap's list, its header linking to the old head. */
static int heap_alloc_chunk(struct panthor_heap_pool *pool, struct panthor_vm *vm,
			    struct panthor_heap *heap)
{
	uint64_t hdr[HEAP_CHUNK_HEADER_SIZE / 8] = { 0 };
	struct panthor_kernel_bo *chunk;
	int ret;

	chunk = panthor_kernel_bo_create(pool->ptdev, vm, heap->chunk_size, DRM_PANTHOR_BO_NO_MMAP,
					 DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC,
					 PANTHOR_VM_KERNEL_AUTO_VA);
	if (IS_ERR(chunk))
		return (int)PTR_ERR(chunk);
	if (heap->chunk_count) {
		uint64_t prev = heap->chunks[0]->va_node.start;

		hdr[0] = (prev & ~0xfffull) | (heap->chunk_size >> 12);
	}
	ret = panthor_gem_cpu_access(chunk->obj, 0, hdr, sizeof(hdr), true);
	if (ret) {
		panthor_kernel_bo_destroy(chunk);
		return ret;
	}
	memmove(&heap->chunks[1], &heap->chunks[0], heap->chunk_count * sizeof(heap->chunks[0]));
	heap->chunks[0] = chunk;
	heap->chunk_count++;
	return 0;
}

static struct panthor_heap_pool *vm_heap_pool(struct panthor_file *pfile, uint32_t vm_id,
					      bool create, struct panthor_vm **vm_out)
{
	struct panthor_vm *vm = panthor_vm_pool_get_vm(&pfile->vms, vm_id);
	struct panthor_heap_pool *pool;

	if (!vm) {
		u_dbg(MOD, "unknown VM %u", vm_id);
		return ERR_PTR(-EINVAL);
	}
	pool = panthor_vm_get_heap_pool(vm, create);
	if (IS_ERR(pool)) {
		panthor_vm_put(vm);
		return pool;
	}
	*vm_out = vm;
	return pool;
}

int panthor_tiler_heap_create(struct panthor_file *pfile, uint32_t vm_id,
			      uint32_t initial_chunk_count, uint32_t chunk_size,
			      uint32_t max_chunks, uint32_t target_in_flight, uint32_t *handle,
			      uint64_t *ctx_va, uint64_t *first_chunk_va)
{
	struct panthor_heap_pool *pool;
	struct panthor_heap *heap;
	struct panthor_vm *vm;
	uint32_t id;
	int ret;

	pool = vm_heap_pool(pfile, vm_id, true, &vm);
	if (IS_ERR(pool))
		return (int)PTR_ERR(pool);
	if (!initial_chunk_count || initial_chunk_count > max_chunks) {
		u_dbg(MOD, "TILER_HEAP_CREATE: %u initial chunks, at most %u", initial_chunk_count,
		      max_chunks);
		ret = -EINVAL;
		goto out_put;
	}
	if ((chunk_size & 4095) || chunk_size < (128u << 10) || chunk_size > (8u << 20)) {
		u_dbg(MOD, "TILER_HEAP_CREATE: chunk size %u (4 KiB-aligned, 128 KiB..8 MiB)",
		      chunk_size);
		ret = -EINVAL;
		goto out_put;
	}

	heap = u_zalloc(sizeof(*heap));
	if (!heap) {
		ret = -ENOMEM;
		goto out_put;
	}
	heap->chunks = u_calloc(initial_chunk_count, sizeof(*heap->chunks));
	if (!heap->chunks) {
		u_free(heap);
		ret = -ENOMEM;
		goto out_put;
	}
	heap->chunk_size = chunk_size;
	heap->max_chunks = max_chunks;
	heap->target_in_flight = target_in_flight;
	for (uint32_t i = 0; i < initial_chunk_count; i++) {
		ret = heap_alloc_chunk(pool, vm, heap);
		if (ret)
			goto err_free_heap;
	}

	ret = -EBUSY;
	u_mutex_lock(&pool->lock);
	if (!pool->vm) {
		ret = -EINVAL;	/* the VM was destroyed meanwhile */
	} else {
		for (id = 0; id < PANTHOR_MAX_HEAPS_PER_POOL; id++) {
			if (!pool->heaps[id]) {
				pool->heaps[id] = heap;
				ret = 0;
				break;
			}
		}
	}
	u_mutex_unlock(&pool->lock);
	if (ret) {
		u_dbg(MOD, "TILER_HEAP_CREATE: %s", ret == -EBUSY ? "the VM has 128 heaps" :
		      "the VM is being destroyed");
		goto err_free_heap;
	}
	{
		uint8_t zero[256] = { 0 };
		uint32_t stride = u_min(pool->ctx_stride, (uint32_t)sizeof(zero));

		/* Slots are reused: a new context starts zeroed. */
		ret = panthor_gem_cpu_access(pool->contexts->obj, (uint64_t)id * pool->ctx_stride,
					     zero, stride, true);
		if (ret) {
			u_mutex_lock(&pool->lock);
			pool->heaps[id] = NULL;
			u_mutex_unlock(&pool->lock);
			goto err_free_heap;
		}
	}
	*handle = (vm_id << 16) | id;
	*ctx_va = pool->contexts->va_node.start + (uint64_t)id * pool->ctx_stride;
	*first_chunk_va = heap->chunks[0]->va_node.start;
	ret = 0;
	goto out_put;

err_free_heap:
	heap_free(heap);
out_put:
	panthor_heap_pool_put(pool);
	panthor_vm_put(vm);
	return ret;
}

int panthor_tiler_heap_destroy(struct panthor_file *pfile, uint32_t handle)
{
	struct panthor_heap_pool *pool;
	struct panthor_heap *heap = NULL;
	struct panthor_vm *vm;
	uint32_t id = handle & 0xffff;

	pool = vm_heap_pool(pfile, handle >> 16, false, &vm);
	if (IS_ERR(pool))
		return (int)PTR_ERR(pool);
	if (id < PANTHOR_MAX_HEAPS_PER_POOL) {
		u_mutex_lock(&pool->lock);
		heap = pool->heaps[id];
		pool->heaps[id] = NULL;
		u_mutex_unlock(&pool->lock);
	}
	if (!heap)
		u_dbg(MOD, "TILER_HEAP_DESTROY: unknown heap 0x%x", handle);
	heap_free(heap);
	panthor_heap_pool_put(pool);
	panthor_vm_put(vm);
	return heap ? 0 : -EINVAL;
}
