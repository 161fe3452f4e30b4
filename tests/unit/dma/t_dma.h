/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the dma tests: a minimal fence implementation, time,
 * a delayed-action thread, and the lockdep report bookkeeping.
 */
#ifndef PANTOMIME_T_DMA_H
#define PANTOMIME_T_DMA_H

#include "t_harness.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "dma/dma_fence.h"
#include "util/u_alloc.h"
#include "util/u_lockdep.h"

/* A plain fence: u_malloc()ed, freed by the default release. */
struct dma_fence *t_fence_create(uint64_t context, uint64_t seqno);
/* Same, with 32-bit seqno comparison. */
struct dma_fence *t_fence_create32(uint64_t context, uint64_t seqno);

static inline int64_t t_now_ns(void)
{
	return dma_fence_now_ns();
}

static inline void t_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

#define T_MS(n) ((int64_t)(n) * 1000000)

/* Run @fn(@arg) on a new thread after @delay_ms; t_later_join() waits for it. */
struct t_later {
	pthread_t thread;
	int delay_ms;
	void (*fn)(void *arg);
	void *arg;
};
void t_later_start(struct t_later *l, int delay_ms, void (*fn)(void *arg), void *arg);
void t_later_join(struct t_later *l);

/* Signal (void *)fence: for t_later. */
void t_signal_fn(void *fence);

static inline void t_need_lockdep(void)
{
	if (!u_lockdep_enabled())
		t_skip("lockdep is off (PANTOMIME_LOCKDEP=0 or built with -Dlockdep=false)");
}

/* The test provoked @n reports since @before: check, then forget them (and the graph). */
#define T_REPORTS_THEN_RESET(before, n) do {                                   \
	T_ASSERT_EQ_INT(u_lockdep_reports() - (before), (n));                  \
	u_lockdep_reset();                                                     \
} while (0)

#endif
