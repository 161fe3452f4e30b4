// SPDX-License-Identifier: MIT
/*
 * DOC: dma_fence_chain
 *
 * Model: a singly linked list of timeline points, newest first, each node a
 * fence of its own that signals when its payload and all older nodes have.
 * Nodes share one context as long as points are added in increasing order,
 * so "is point N signalled" is "walk back to the oldest node with seqno >=
 * N and test it".
 *
 * Garbage collection while walking: if the node after the current one has
 * a signalled payload, it no longer contributes anything, so the current
 * node's prev pointer is swung past it (compare-and-swap under the current
 * node's lock, which is all that protects prev; the kernel uses RCU and
 * cmpxchg). The node's seqno stays in its successor's prev_seqno, which
 * is what makes the query "last signalled point" cheap: walk until the
 * context changes, and the oldest unsignalled node's prev_seqno is the
 * answer.
 *
 *   before:  [9] -> [7 payload signalled] -> [4] -> NULL
 *   walk:    [9] -> [4] -> NULL      (7's reference dropped; 9.prev_seqno stays 7)
 *
 * Signalling: enable_signaling puts the head's one callback on the payload
 * of the newest unsignalled node found by a walk; when that payload
 * signals, the callback walks again from the head and moves itself to the
 * next unsignalled payload, and signals the head when there is none. The
 * callback runs without fence locks (dma_fence.c), so it does this
 * directly where the kernel has to bounce through an irq_work.
 *
 * Release is iterative: dropping the last reference to a long chain frees
 * every node that only the chain held, in a loop, instead of recursing
 * once per node through dma_fence_put().
 *
 * Rejected alternative: a timeline as an array of (point, fence) pairs
 * inside the syncobj. Simpler to walk, but then a point is not a fence:
 * it could not be put into a resv, waited on by dma_fence_wait() or
 * exported as a sync file, all of which the driver and panvk do.
 */
#include "dma_fence_chain.h"
#include "dma_internal.h"

#include <errno.h>

#include "util/u_alloc.h"
#include "util/u_err.h"

static bool dma_fence_chain_enable_signaling(struct dma_fence *fence);

/* A reference to @chain's prev, read under its lock. */
static struct dma_fence *chain_get_prev(struct dma_fence_chain *chain)
{
	struct dma_fence *prev;

	u_mutex_lock(&chain->base.lock);
	prev = dma_fence_get(chain->prev);
	u_mutex_unlock(&chain->base.lock);
	return prev;
}

struct dma_fence *dma_fence_chain_walk(struct dma_fence *fence)
{
	struct dma_fence_chain *chain = to_dma_fence_chain(fence);
	struct dma_fence *prev, *replacement;

	if (!chain) {
		dma_fence_put(fence);
		return NULL;
	}
	while ((prev = chain_get_prev(chain))) {
		struct dma_fence_chain *prev_chain = to_dma_fence_chain(prev);
		bool swapped = false;

		if (prev_chain) {
			if (!dma_fence_is_signaled(prev_chain->fence))
				break;
			replacement = chain_get_prev(prev_chain);
		} else {
			if (!dma_fence_is_signaled(prev))
				break;
			replacement = NULL;
		}

		u_mutex_lock(&chain->base.lock);
		if (chain->prev == prev) {
			chain->prev = replacement;
			swapped = true;
		}
		u_mutex_unlock(&chain->base.lock);
		if (swapped)
			dma_fence_put(prev);		/* the link's reference */
		else
			dma_fence_put(replacement);	/* someone else collected it */
		dma_fence_put(prev);			/* ours */
	}
	dma_fence_put(fence);
	return prev;
}

int dma_fence_chain_find_seqno(struct dma_fence **pfence, uint64_t seqno)
{
	struct dma_fence_chain *chain;

	if (!seqno)
		return 0;
	chain = to_dma_fence_chain(*pfence);
	if (!chain || chain->base.seqno < seqno)
		return -EINVAL;

	dma_fence_chain_for_each(*pfence, &chain->base) {
		struct dma_fence_chain *cur = to_dma_fence_chain(*pfence);

		if ((*pfence)->context != chain->base.context || !cur ||
		    cur->prev_seqno < seqno)
			break;
	}
	dma_fence_put(&chain->base);
	return 0;
}

static const char *chain_driver_name(struct dma_fence *fence)
{
	return "dma_fence_chain";
}

static const char *chain_timeline_name(struct dma_fence *fence)
{
	return "unbound";
}

static void chain_cb(struct dma_fence *f, struct dma_fence_cb *cb)
{
	struct dma_fence_chain *chain = container_of(cb, struct dma_fence_chain, cb);

	/* Move on to the next unsignalled payload, or signal the head. */
	if (!dma_fence_chain_enable_signaling(&chain->base))
		dma_fence_signal(&chain->base);
	dma_fence_put(&chain->base);
	dma_fence_put(f);
}

static bool dma_fence_chain_enable_signaling(struct dma_fence *fence)
{
	struct dma_fence_chain *head = to_dma_fence_chain(fence);
	struct dma_fence *iter;

	/* The pending callback holds a reference to the head and one to the payload. */
	dma_fence_get(&head->base);
	dma_fence_chain_for_each(iter, &head->base) {
		struct dma_fence *f = dma_fence_chain_contained(iter);

		dma_fence_get(f);
		if (!dma_fence_add_callback(f, &head->cb, chain_cb)) {
			dma_fence_put(iter);
			return true;
		}
		dma_fence_put(f);
	}
	dma_fence_put(&head->base);
	return false;
}

static bool dma_fence_chain_signaled(struct dma_fence *fence)
{
	struct dma_fence *iter;

	dma_fence_chain_for_each(iter, fence) {
		if (!dma_fence_is_signaled(dma_fence_chain_contained(iter))) {
			dma_fence_put(iter);
			return false;
		}
	}
	return true;
}

static void dma_fence_chain_release(struct dma_fence *fence)
{
	struct dma_fence_chain *chain = to_dma_fence_chain(fence);
	struct dma_fence *prev = chain->prev;	/* no other reference to @chain: no lock */

	chain->prev = NULL;
	while (prev) {
		struct dma_fence_chain *prev_chain = to_dma_fence_chain(prev);
		struct dma_fence *next;

		if (!prev_chain) {
			dma_fence_put(prev);
			break;
		}
		if (!u_refcount_put(&prev->refcount))
			break;
		/* We held the last reference: unlink its prev, then release it flat. */
		next = prev_chain->prev;
		prev_chain->prev = NULL;
		dma_fence__release(prev);
		prev = next;
	}
	dma_fence_put(chain->fence);
	u_free(chain);
}

const struct dma_fence_ops dma_fence_chain_ops = {
	.use_64bit_seqno = true,
	.get_driver_name = chain_driver_name,
	.get_timeline_name = chain_timeline_name,
	.enable_signaling = dma_fence_chain_enable_signaling,
	.signaled = dma_fence_chain_signaled,
	.release = dma_fence_chain_release,
};

struct dma_fence_chain *dma_fence_chain_alloc(void)
{
	struct dma_fence_chain *chain = u_malloc(sizeof(*chain));

	return chain ? chain : ERR_PTR(-ENOMEM);
}

void dma_fence_chain_free(struct dma_fence_chain *chain)
{
	u_free(chain);
}

void dma_fence_chain_init(struct dma_fence_chain *chain, struct dma_fence *prev,
			  struct dma_fence *fence, uint64_t seqno)
{
	struct dma_fence_chain *prev_chain = to_dma_fence_chain(prev);
	uint64_t context;

	chain->prev = prev;
	chain->fence = fence;
	chain->prev_seqno = 0;
	if (prev_chain && dma_fence_seqno_is_later(seqno, prev->seqno, &dma_fence_chain_ops)) {
		context = prev->context;
		chain->prev_seqno = prev->seqno;
	} else {
		/* Out of order (or a new timeline): a context of its own, seqno never going back. */
		context = dma_fence_context_alloc(1);
		if (prev_chain && prev->seqno > seqno)
			seqno = prev->seqno;
	}
	dma_fence_init(&chain->base, &dma_fence_chain_ops, context, seqno);
	u_list_init(&chain->cb.node);
}
