// SPDX-License-Identifier: MIT
/*
 * DOC: dma_fence_array
 *
 * Model: a counter of components still awaited. Enabling signalling puts a
 * callback on every component; each callback records the component's error
 * (the first one wins), decrements the counter, and signals the array when
 * it reaches zero. With signal_on_any the counter starts at 1.
 *
 * Each pending callback holds a reference to the array, so the array
 * cannot be released while a component may still call back into it.
 * Callbacks run without fence locks (dma_fence.c), so the array is
 * signalled directly from the component's callback; the kernel defers that
 * to an irq_work because its callbacks hold the component's spinlock.
 *
 * &dma_fence_ops.signaled answers without enabling anything (all or any
 * component signalled), so polling an array never installs callbacks.
 *
 * dma_fence_unwrap_merge() flattens containers. A timeline transfer would
 * otherwise put chains inside chains, and every later walk would recurse
 * one level deeper per transfer; flattening keeps every container one level
 * deep. It makes two passes (count, then fill after allocating), so a leaf
 * that signals in between is simply left out.
 *
 * Rejected alternative: a "wait for all/any" helper that only waits
 * (dma_fence_wait_any_timeout() exists for that). An array is a fence, so
 * a resv's several fences can be exported as one sync file, and a flattened
 * timeline point can be added to another timeline.
 */
#include "dma_fence_array.h"
#include "dma_fence_chain.h"
#include "dma_internal.h"

#include <errno.h>

#include "util/u_alloc.h"
#include "util/u_err.h"

static const char *array_driver_name(struct dma_fence *fence)
{
	return "dma_fence_array";
}

static const char *array_timeline_name(struct dma_fence *fence)
{
	return "unbound";
}

static void array_note_error(struct dma_fence_array *array, struct dma_fence *f)
{
	int error = dma_fence_get_status(f);
	int zero = 0;

	if (error < 0)
		__atomic_compare_exchange_n(&array->pending_error, &zero, error, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* Give the array the first component error before it signals. */
static void array_set_error(struct dma_fence_array *array)
{
	int error = __atomic_load_n(&array->pending_error, __ATOMIC_RELAXED);

	if (error)
		dma_fence__set_error_unless_signaled(&array->base, error);
}

static void array_cb_func(struct dma_fence *f, struct dma_fence_cb *cb)
{
	struct dma_fence_array_cb *acb = container_of(cb, struct dma_fence_array_cb, cb);
	struct dma_fence_array *array = acb->array;

	array_note_error(array, f);
	if (__atomic_sub_fetch(&array->num_pending, 1, __ATOMIC_ACQ_REL) == 0) {
		array_set_error(array);
		dma_fence_signal(&array->base);
	}
	dma_fence_put(&array->base);
}

static bool array_enable_signaling(struct dma_fence *fence)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);

	for (unsigned int i = 0; i < array->num_fences; i++) {
		struct dma_fence_array_cb *acb = &array->callbacks[i];

		acb->array = array;
		dma_fence_get(&array->base);	/* held by the pending callback */
		if (dma_fence_add_callback(array->fences[i], &acb->cb, array_cb_func)) {
			/* Already signalled: count it here. */
			array_note_error(array, array->fences[i]);
			dma_fence_put(&array->base);
			if (__atomic_sub_fetch(&array->num_pending, 1, __ATOMIC_ACQ_REL) == 0) {
				array_set_error(array);
				return false;	/* the caller signals */
			}
		}
	}
	return true;
}

static bool array_signaled(struct dma_fence *fence)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);
	unsigned int done = 0;

	for (unsigned int i = 0; i < array->num_fences; i++) {
		if (dma_fence_is_signaled(array->fences[i])) {
			array_note_error(array, array->fences[i]);
			done++;
			if (array->signal_on_any)
				break;
		}
	}
	if (done == 0 || (!array->signal_on_any && done < array->num_fences))
		return false;
	array_set_error(array);
	return true;
}

static void array_release(struct dma_fence *fence)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);

	for (unsigned int i = 0; i < array->num_fences; i++)
		dma_fence_put(array->fences[i]);
	u_free(array->fences);
	u_free(array);
}

const struct dma_fence_ops dma_fence_array_ops = {
	.use_64bit_seqno = true,
	.get_driver_name = array_driver_name,
	.get_timeline_name = array_timeline_name,
	.enable_signaling = array_enable_signaling,
	.signaled = array_signaled,
	.release = array_release,
};

struct dma_fence_array *dma_fence_array_alloc(unsigned int num_fences)
{
	struct dma_fence_array *array;

	if (num_fences == 0)
		return ERR_PTR(-ENOMEM);
	/* One block: the callbacks follow the struct. */
	array = u_malloc(sizeof(*array) + (size_t)num_fences * sizeof(array->callbacks[0]));
	if (!array)
		return ERR_PTR(-ENOMEM);
	array->callbacks = (struct dma_fence_array_cb *)(array + 1);
	return array;
}

void dma_fence_array_init(struct dma_fence_array *array, unsigned int num_fences,
			  struct dma_fence **fences, uint64_t context, uint64_t seqno,
			  bool signal_on_any)
{
	U_ASSERT(num_fences > 0 && fences);
	dma_fence_init(&array->base, &dma_fence_array_ops, context, seqno);
	array->num_fences = num_fences;
	array->num_pending = signal_on_any ? 1 : (int)num_fences;
	array->pending_error = 0;
	array->signal_on_any = signal_on_any;
	array->fences = fences;
	for (unsigned int i = 0; i < num_fences; i++)
		u_list_init(&array->callbacks[i].cb.node);
}

struct dma_fence_array *dma_fence_array_create(unsigned int num_fences,
					       struct dma_fence **fences, uint64_t context,
					       uint64_t seqno, bool signal_on_any)
{
	struct dma_fence_array *array = dma_fence_array_alloc(num_fences);

	if (IS_ERR(array))
		return array;
	dma_fence_array_init(array, num_fences, fences, context, seqno, signal_on_any);
	return array;
}

bool dma_fence_is_container(struct dma_fence *fence)
{
	return to_dma_fence_chain(fence) || to_dma_fence_array(fence);
}

/* ---- unwrap ------------------------------------------------------------ */

/*
 * Visit the unsignalled leaves under @fence. With @out NULL only count;
 * otherwise store references into @out (at most @max), merging leaves of
 * one context into the latest. Return: leaves counted or stored.
 */
static unsigned int unwrap_leaves(struct dma_fence *fence, struct dma_fence **out,
				  unsigned int n, unsigned int max, int depth)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);
	struct dma_fence *iter;

	if (array) {
		for (unsigned int i = 0; i < array->num_fences; i++)
			n = unwrap_leaves(array->fences[i], out, n, max, depth + 1);
		return n;
	}
	if (to_dma_fence_chain(fence)) {
		dma_fence_chain_for_each(iter, fence)
			n = unwrap_leaves(dma_fence_chain_contained(iter), out, n, max, depth + 1);
		return n;
	}
	/* Containers are built flat; deeper nesting means someone built it by hand. */
	U_ASSERT(depth < 64);
	if (dma_fence_is_signaled(fence))
		return n;
	if (!out)
		return n + 1;
	for (unsigned int i = 0; i < n; i++) {
		if (out[i]->context == fence->context) {
			if (dma_fence_is_later(fence, out[i])) {
				dma_fence_put(out[i]);
				out[i] = dma_fence_get(fence);
			}
			return n;
		}
	}
	if (n < max)
		out[n++] = dma_fence_get(fence);
	return n;
}

struct dma_fence *dma_fence_unwrap_merge(struct dma_fence *fence)
{
	struct dma_fence_array *array;
	struct dma_fence **leaves;
	unsigned int count, n;

	if (!dma_fence_is_container(fence))
		return dma_fence_get(fence);
	count = unwrap_leaves(fence, NULL, 0, 0, 0);
	if (count == 0)
		return dma_fence_get_stub();

	leaves = u_calloc(count, sizeof(*leaves));
	if (!leaves)
		return ERR_PTR(-ENOMEM);
	n = unwrap_leaves(fence, leaves, 0, count, 0);
	if (n <= 1) {
		struct dma_fence *one = n ? leaves[0] : dma_fence_get_stub();

		u_free(leaves);
		return one;
	}
	array = dma_fence_array_create(n, leaves, dma_fence_context_alloc(1), 1, false);
	if (IS_ERR(array)) {
		for (unsigned int i = 0; i < n; i++)
			dma_fence_put(leaves[i]);
		u_free(leaves);
		return ERR_PTR(PTR_ERR(array));
	}
	return &array->base;
}
