/* SPDX-License-Identifier: MIT */
/*
 * dma_fence_chain: one point of a timeline. A chain node wraps a fence
 * (the point's payload) and links to the previous point; it signals once
 * its own fence and every earlier point have signalled. A timeline syncobj
 * holds the newest node; point N is found by walking back to the oldest
 * node whose seqno is at least N.
 *
 *   syncobj->fence --> [seqno 7, prev_seqno 5] --> [5, 2] --> [2, 0] --> NULL
 *                        fence f7                  f5         f2
 *
 * Walking collects garbage: a node whose own fence has signalled is
 * unlinked from the chain (its predecessor's prev jumps over it), so a
 * long-lived timeline keeps only its unsignalled points.
 */
#ifndef PANTOMIME_DMA_FENCE_CHAIN_H
#define PANTOMIME_DMA_FENCE_CHAIN_H

#include "dma_fence.h"

/**
 * struct dma_fence_chain - a timeline point.
 * @base: the node's own fence (64-bit seqnos; context shared along the chain).
 * @prev: the previous point or NULL, one reference; protected by
 *        @base.lock (replaced by garbage collection while others read it).
 * @prev_seqno: seqno of the previous point when this one was added, or 0
 *              when this node started a new context; set once.
 * @fence: the payload fence, one reference; set once.
 * @cb: registration on the payload fence currently awaited, used while
 *      signalling is enabled.
 */
struct dma_fence_chain {
	struct dma_fence base;
	struct dma_fence *prev;
	uint64_t prev_seqno;
	struct dma_fence *fence;
	struct dma_fence_cb cb;
};

/** dma_fence_chain_ops - the ops of every chain node (to_dma_fence_chain() compares against it). */
extern const struct dma_fence_ops dma_fence_chain_ops;

/**
 * dma_fence_chain_alloc() - allocate an uninitialised node.
 *
 * The prepare half of adding a timeline point: allocate at ioctl time,
 * dma_fence_chain_init() later without allocating.
 *
 * Return: the node, or ERR_PTR(-ENOMEM).
 */
struct dma_fence_chain *dma_fence_chain_alloc(void);
/** dma_fence_chain_free() - free a node from dma_fence_chain_alloc() that was never initialised. */
void dma_fence_chain_free(struct dma_fence_chain *chain);

/**
 * dma_fence_chain_init() - make @chain the point after @prev.
 * @chain: from dma_fence_chain_alloc().
 * @prev: the previous head (a chain node, any fence, or NULL); its
 *        reference is taken over by @chain.
 * @fence: the payload; its reference is taken over by @chain.
 * @seqno: the point.
 *
 * If @prev is a chain node and @seqno comes after it, @chain continues
 * its context and records @prev's seqno as prev_seqno. Otherwise (a point
 * added out of order, or a new timeline) @chain starts a new context, with
 * seqno max(@seqno, @prev's seqno) and prev_seqno 0, as the kernel does.
 * Does not allocate.
 */
void dma_fence_chain_init(struct dma_fence_chain *chain, struct dma_fence *prev,
			  struct dma_fence *fence, uint64_t seqno);

/** to_dma_fence_chain() - Return: @fence as a chain node, or NULL if it is not one (or NULL). */
static inline struct dma_fence_chain *to_dma_fence_chain(struct dma_fence *fence)
{
	if (!fence || fence->ops != &dma_fence_chain_ops)
		return NULL;
	return container_of(fence, struct dma_fence_chain, base);
}

/** dma_fence_chain_contained() - Return: the payload of a chain node, or @fence itself. */
static inline struct dma_fence *dma_fence_chain_contained(struct dma_fence *fence)
{
	struct dma_fence_chain *chain = to_dma_fence_chain(fence);

	return chain ? chain->fence : fence;
}

/**
 * dma_fence_chain_walk() - step to the previous unsignalled point.
 * @fence: the current node; its reference is consumed.
 *
 * Unlinks the signalled points right before @fence on the way.
 *
 * Return: a reference to the previous node whose payload is not yet
 * signalled (or a non-chain fence at the end of the chain), or NULL.
 */
struct dma_fence *dma_fence_chain_walk(struct dma_fence *fence);

/**
 * dma_fence_chain_for_each() - visit @head and its unsignalled predecessors.
 * @iter: a struct dma_fence * holding a reference to the current node;
 *        breaking out of the loop leaves that reference to the caller.
 * @head: the newest node (or any fence, visited alone).
 */
#define dma_fence_chain_for_each(iter, head) \
	for (iter = dma_fence_get(head); iter; iter = dma_fence_chain_walk(iter))

/**
 * dma_fence_chain_find_seqno() - find the node that signals point @seqno.
 * @pfence: in: a reference to the chain head; out: a reference to the
 *          oldest node covering @seqno, or NULL if @seqno has already
 *          signalled (garbage collected). Unchanged on error.
 * @seqno: the point; 0 means "the head itself".
 *
 * Return: 0, or -EINVAL if the head is not a chain node or @seqno is
 * beyond its seqno (the point has not been submitted yet).
 */
int dma_fence_chain_find_seqno(struct dma_fence **pfence, uint64_t seqno);

#endif
