/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the files of src/dma and nobody else.
 */
#ifndef PANTOMIME_DMA_INTERNAL_H
#define PANTOMIME_DMA_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "util/u_lockdep.h"

struct dma_fence;

/*
 * The signalling pseudo-lock, for dma_resv.c: a blocking resv lock inside
 * a signalling section is reported once by dma_resv.c itself; these hide
 * the pseudo-lock from the lockdep while the ww mutex is taken, so that the
 * same mistake is not reported a second time as an inversion.
 */
void dma_fence__signalling_hide(void);
void dma_fence__signalling_unhide(void);
void dma_fence__report(const char *what);

/* The deadline of a relative timeout started now (saturating; INT64_MAX stays infinite). */
int64_t dma_fence__deadline(int64_t timeout_ns);

/* The last reference of @fence is gone (its count is 0): release it now. */
void dma_fence__release(struct dma_fence *fence);

/* Set @error unless @fence is already signalled; no warning (for containers). */
void dma_fence__set_error_unless_signaled(struct dma_fence *fence, int error);

/**
 * struct dma_file_ops - the kind of object behind an exported descriptor
 * (the registry in sync_file.c); one static instance per kind.
 * @name: the kind, for log messages.
 * @get: take a reference on an object of this kind; called by
 *       dma_file__create() and by dma_file__lookup() with @get set.
 * @put: drop one; called when the registry entry is collected.
 */
struct dma_file_ops {
	const char *name;
	void (*get)(void *obj);
	void (*put)(void *obj);
};

/*
 * Export @obj (of kind @ops) as a new close-on-exec descriptor; the entry
 * takes its own reference. @ready, if not NULL, makes the descriptor poll
 * readable once it signals. Return: the descriptor, -ENOMEM or the errno
 * of socketpair().
 */
int dma_file__create(const struct dma_file_ops *ops, void *obj, struct dma_fence *ready);

/*
 * The object of kind @ops behind descriptor @fd, with a new reference if
 * @get. Return: the object, or NULL if @fd is not open or is not a
 * descriptor of that kind exported by this process.
 */
void *dma_file__lookup(int fd, const struct dma_file_ops *ops, bool get);

#endif
