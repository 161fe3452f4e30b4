/* SPDX-License-Identifier: MIT */
/*
 * Tiler heaps: TILER_HEAP_CREATE / DESTROY at driver level. Memory only:
 * there are no tiler units to grow them, so a heap is its context slot and
 * its initial chunks, kernel BOs in the VM's kernel VA range. DOC in
 * panthor_heap.c.
 */
#ifndef PANTOMIME_PANTHOR_HEAP_H
#define PANTOMIME_PANTHOR_HEAP_H

#include <stdint.h>

#include "panthor/panthor_device.h"

struct panthor_file;
struct panthor_heap_pool;
struct panthor_vm;

/** PANTHOR_MAX_HEAPS_PER_POOL - heap contexts per VM (ids 0..127). */
#define PANTHOR_MAX_HEAPS_PER_POOL 128

/**
 * panthor_heap_pool_create() - a VM's heap pool: the BO of its 128 heap
 * contexts, mapped in the VM's kernel range.
 * @ptdev: the device.
 * @vm: the VM (the pool keeps no reference: the VM destroys its pool).
 * Return: the pool (one reference), or an ERR_PTR of panthor_kernel_bo_create().
 */
struct panthor_heap_pool *panthor_heap_pool_create(struct panthor_device *ptdev,
						   struct panthor_vm *vm);

/**
 * panthor_heap_pool_destroy() - destroy every heap and the context BO, mark
 * the pool dead (creates then fail with -EINVAL), drop the VM's reference.
 * @pool: the pool, or NULL.
 */
void panthor_heap_pool_destroy(struct panthor_heap_pool *pool);

/** panthor_heap_pool_get() - Return: @pool with a new reference (NULL passes through). */
struct panthor_heap_pool *panthor_heap_pool_get(struct panthor_heap_pool *pool);
/** panthor_heap_pool_put() - drop a reference; the last one frees the pool. NULL: no-op. */
void panthor_heap_pool_put(struct panthor_heap_pool *pool);

/**
 * panthor_heap_pool_chunks() - Return: chunks allocated over all heaps (tests).
 * @pool: the pool.
 */
uint32_t panthor_heap_pool_chunks(struct panthor_heap_pool *pool);

/**
 * panthor_tiler_heap_create() - TILER_HEAP_CREATE.
 * @pfile: the file.
 * @vm_id: the VM.
 * @initial_chunk_count: chunks to allocate now (1..@max_chunks).
 * @chunk_size: bytes, 4 KiB-aligned, in [128 KiB, 8 MiB].
 * @max_chunks: most chunks the heap may have.
 * @target_in_flight: recorded.
 * @handle: out: (@vm_id << 16) | heap id.
 * @ctx_va: out: GPU VA of the heap context.
 * @first_chunk_va: out: GPU VA of the first chunk (the last allocated; each
 *                  chunk's header links to the one allocated before it).
 * Return: 0; -EINVAL for an unknown VM or bad counts or size; -EBUSY when
 * the VM has 128 heaps; -ENOMEM, -ENOSPC (kernel VA range full).
 */
int panthor_tiler_heap_create(struct panthor_file *pfile, uint32_t vm_id,
			      uint32_t initial_chunk_count, uint32_t chunk_size,
			      uint32_t max_chunks, uint32_t target_in_flight, uint32_t *handle,
			      uint64_t *ctx_va, uint64_t *first_chunk_va);

/**
 * panthor_tiler_heap_destroy() - TILER_HEAP_DESTROY.
 * @pfile: the file.
 * @handle: from panthor_tiler_heap_create().
 * Return: 0; -EINVAL for an unknown VM or heap; -ENOENT when the VM never
 * had a heap.
 */
int panthor_tiler_heap_destroy(struct panthor_file *pfile, uint32_t handle);

#endif
