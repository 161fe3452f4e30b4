/* SPDX-License-Identifier: MIT */
/*
 * dma_fence_array: one fence standing for several, signalled when all of
 * them (or, with signal_on_any, the first of them) have signalled. It is
 * what a reservation object exports when it holds more than one fence, and
 * what dma_fence_unwrap_merge() builds to flatten a timeline point.
 */
#ifndef PANTOMIME_DMA_FENCE_ARRAY_H
#define PANTOMIME_DMA_FENCE_ARRAY_H

#include "dma_fence.h"

struct dma_fence_array;

/**
 * struct dma_fence_array_cb - the array's callback on one component.
 * @cb: the registration.
 * @array: the array it counts for.
 */
struct dma_fence_array_cb {
	struct dma_fence_cb cb;
	struct dma_fence_array *array;
};

/**
 * struct dma_fence_array - a fence over @num_fences fences.
 * @base: the array's own fence.
 * @num_fences: components in @fences; set once.
 * @num_pending: components still awaited (atomic); starts at @num_fences,
 *               or 1 with signal_on_any.
 * @pending_error: first error seen among signalled components (atomic),
 *                 given to @base when it signals.
 * @signal_on_any: signal on the first component instead of the last.
 * @fences: the components, one reference each; owned by the array.
 * @callbacks: one per component, allocated with the array.
 */
struct dma_fence_array {
	struct dma_fence base;
	unsigned int num_fences;
	int num_pending;
	int pending_error;
	bool signal_on_any;
	struct dma_fence **fences;
	struct dma_fence_array_cb *callbacks;
};

/** dma_fence_array_ops - the ops of every array (to_dma_fence_array() compares against it). */
extern const struct dma_fence_ops dma_fence_array_ops;

/**
 * dma_fence_array_alloc() - allocate an array for @num_fences components
 * (prepare half; dma_fence_array_init() does not allocate).
 *
 * Return: the array, or ERR_PTR(-ENOMEM) (also for @num_fences == 0).
 */
struct dma_fence_array *dma_fence_array_alloc(unsigned int num_fences);
/**
 * dma_fence_array_init() - initialise an array from dma_fence_array_alloc().
 * @array: the array.
 * @num_fences: as given to the allocation.
 * @fences: u_malloc()ed array of @num_fences fences; the array takes it
 *          over together with one reference on each fence.
 * @context: the array fence's context.
 * @seqno: its seqno.
 * @signal_on_any: signal on the first component rather than the last.
 */
void dma_fence_array_init(struct dma_fence_array *array, unsigned int num_fences,
			  struct dma_fence **fences, uint64_t context, uint64_t seqno,
			  bool signal_on_any);
/**
 * dma_fence_array_create() - dma_fence_array_alloc() then dma_fence_array_init().
 *
 * Return: the array, or ERR_PTR(-ENOMEM), in which case @fences and its
 * references stay with the caller.
 */
struct dma_fence_array *dma_fence_array_create(unsigned int num_fences,
					       struct dma_fence **fences, uint64_t context,
					       uint64_t seqno, bool signal_on_any);

/** to_dma_fence_array() - Return: @fence as an array, or NULL if it is not one (or NULL). */
static inline struct dma_fence_array *to_dma_fence_array(struct dma_fence *fence)
{
	if (!fence || fence->ops != &dma_fence_array_ops)
		return NULL;
	return container_of(fence, struct dma_fence_array, base);
}

/** dma_fence_is_container() - Return: whether @fence is a chain node or an array. */
bool dma_fence_is_container(struct dma_fence *fence);

/**
 * dma_fence_unwrap_merge() - flatten @fence into its unsignalled leaves.
 * @fence: any fence; chain nodes and arrays are looked through (the chain
 *         from this node back, i.e. every point it covers).
 *
 * Leaves of one context are reduced to the latest one.
 *
 * Return: a new reference to the stub fence if every leaf has signalled,
 * to the one leaf if a single one is left, otherwise to a new
 * dma_fence_array (all-signalled semantics) over the leaves; or
 * ERR_PTR(-ENOMEM).
 */
struct dma_fence *dma_fence_unwrap_merge(struct dma_fence *fence);

#endif
