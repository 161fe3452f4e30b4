/* SPDX-License-Identifier: MIT */
/*
 * Private to src/mm: the budget structure and the arena's entry points used
 * by the budget code.
 */
#ifndef PANTOMIME_MM_INTERNAL_H
#define PANTOMIME_MM_INTERNAL_H

#include <pthread.h>
#include "mm.h"

#define MM_MAX_BUDGETS 255

/**
 * struct mm_budget - one device's share of the arena.
 * @index: slot in the arena's budget table; recorded in every frame charged here.
 * @name: for logs.
 * @limit: hard limit in pages.
 * @low_wmark: direct reclaim when an allocation would leave fewer free pages.
 * @high_wmark: the background reclaimer's target of free pages.
 * @used: pages charged now (arena lock; read racily for decisions).
 * @peak: most pages charged at once (arena lock).
 * @allocs: statistics, relaxed atomics (this and the five below).
 * @frees: block frees.
 * @failed_allocs: allocations that returned -ENOMEM.
 * @direct_reclaims: direct reclaim passes.
 * @background_reclaims: background reclaim passes.
 * @reclaimed: pages freed by shrinkers.
 * @shrinker_rwlock: protects @shrinkers; reclaim holds it for reading while
 *                   it calls shrinkers, register/unregister for writing (so
 *                   unregister waits for scans in progress).
 * @shrinkers: registered &struct mm_shrinker, in registration order.
 * @bg_thread: the background reclaimer.
 * @bg_started: @bg_thread exists (set once at creation).
 * @bg_lock: protects @bg_wake, @bg_busy and @bg_stop.
 * @bg_cond: wakes the reclaimer.
 * @bg_idle_cond: signalled when the reclaimer goes idle.
 * @bg_wake: a wake-up is pending.
 * @bg_busy: the reclaimer is reclaiming.
 * @bg_stop: the reclaimer must exit.
 * @bg_stalled: the last background pass freed nothing; no wake-up until a
 *              free or a new shrinker clears it (relaxed atomic).
 * @swap_fd: memfd of the swap area, -1 without swap (set once).
 * @swap_map: its mapping (set once).
 * @swap_slots: capacity in page slots (set once; 0 = no swap).
 * @swap_bitmap: one bit per slot, set when used (@swap_lock).
 * @swap_lock: protects @swap_bitmap, @swap_used and @swap_hint.
 * @swap_used: slots in use (written under @swap_lock, read racily).
 * @swap_hint: where the next slot search starts.
 */
struct mm_budget {
	uint8_t index;
	char name[32];
	uint64_t limit;
	uint64_t low_wmark;
	uint64_t high_wmark;

	uint64_t used;
	uint64_t peak;

	uint64_t allocs;
	uint64_t frees;
	uint64_t failed_allocs;
	uint64_t direct_reclaims;
	uint64_t background_reclaims;
	uint64_t reclaimed;

	pthread_rwlock_t shrinker_rwlock;
	struct u_list shrinkers;

	pthread_t bg_thread;
	bool bg_started;
	pthread_mutex_t bg_lock;
	pthread_cond_t bg_cond;
	pthread_cond_t bg_idle_cond;
	bool bg_wake;
	bool bg_busy;
	bool bg_stop;
	bool bg_stalled;

	int swap_fd;
	uint8_t *swap_map;
	uint32_t swap_slots;
	uint64_t *swap_bitmap;
	pthread_mutex_t swap_lock;
	uint32_t swap_used;
	uint32_t swap_hint;
};

/* Arena (mm_arena.c). */
int mm__arena_alloc(struct mm_budget *b, unsigned int order, enum mm_owner_kind kind,
		    uint32_t owner_id, uint64_t *pfn);
void mm__arena_free(struct mm_budget *b, uint64_t pfn, unsigned int order);
int mm__budget_register(struct mm_budget *b);
void mm__budget_unregister(struct mm_budget *b);

/* Swap (mm_swap.c). */
int mm__swap_init(struct mm_budget *b, uint64_t bytes);
void mm__swap_fini(struct mm_budget *b);
int mm__swap_validate(struct mm_budget *b);

#endif
