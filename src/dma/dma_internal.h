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

#endif
