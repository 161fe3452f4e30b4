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
 *
 * Set once at creation: @index, @name, @limit, @low_wmark, @high_wmark, the
 * swap area's @swap_fd, @swap_map, @swap_slots and @swap_bitmap allocation.
 */
struct mm_budget {
	uint8_t index;
	char name[32];
	uint64_t limit;
	uint64_t low_wmark;
	uint64_t high_wmark;

	/* Protected by the arena lock (changed only when a block changes hands); read racily for decisions. */
	uint64_t used;
	uint64_t peak;

	/* Statistics: relaxed atomics. */
	uint64_t allocs;
	uint64_t frees;
	uint64_t failed_allocs;
	uint64_t direct_reclaims;
	uint64_t background_reclaims;
	uint64_t reclaimed;

	/*
	 * Shrinker registry: @shrinkers is protected by @shrinker_rwlock;
	 * reclaim holds it for reading while it calls shrinkers, register and
	 * unregister hold it for writing (so unregister waits for scans).
	 */
	pthread_rwlock_t shrinker_rwlock;
	struct u_list shrinkers;

	/* Background reclaimer: @bg_lock protects @bg_wake, @bg_busy and @bg_stop. */
	pthread_t bg_thread;
	bool bg_started;
	pthread_mutex_t bg_lock;
	pthread_cond_t bg_cond;
	pthread_cond_t bg_idle_cond;
	bool bg_wake;
	bool bg_busy;
	bool bg_stop;

	/* Swap area: @swap_lock protects @swap_bitmap, @swap_used and @swap_hint. */
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
