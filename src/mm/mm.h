/* SPDX-License-Identifier: MIT */
/*
 * Physical memory: the machine's RAM as the GPU sees it.
 *
 * One process-wide arena (a memfd, mapped once: the direct map) holds every
 * frame; frame i has physical address MM_PA_BASE + i * MM_PAGE_SIZE. Every
 * device instance in the process shares the arena, so a buffer of one can be
 * mapped by another, and each has its own budget of it (struct mm_budget):
 * a limit, low/high watermarks, a shrinker registry, a background reclaimer
 * and an optional swap area.
 *
 * Frames come from a buddy allocator (orders 0..MM_MAX_ORDER, so 2 MiB
 * physically contiguous, 2 MiB aligned chunks exist for block mappings) and
 * carry metadata (state, owner kind and id, one private word for the owner)
 * that the GPU model's protocol checker reads.
 */
#ifndef PANTOMIME_MM_H
#define PANTOMIME_MM_H

#include <stdbool.h>
#include <stdint.h>
#include "util/u_compiler.h"
#include "util/u_list.h"

typedef uint64_t phys_addr_t;

#define MM_PAGE_SHIFT 12
#define MM_PAGE_SIZE  (1ull << MM_PAGE_SHIFT)
/** MM_MAX_ORDER - largest buddy order: 2^9 frames = 2 MiB. */
#define MM_MAX_ORDER  9
/** MM_PA_BASE - physical address of frame 0 (DRAM starts at 2 GiB, as on many Arm SoCs). */
#define MM_PA_BASE    0x80000000ull
/** MM_ARENA_DEFAULT_BYTES - default arena size (virtual; frames cost memory only once used). */
#define MM_ARENA_DEFAULT_BYTES (64ull << 30)

/**
 * enum mm_frame_state - what a frame is doing.
 * @MM_FRAME_UNUSED: never handed to the buddy allocator yet (beyond the carved part of the arena).
 * @MM_FRAME_FREE: in a free block of the buddy allocator.
 * @MM_FRAME_ALLOCATED: part of an allocated block.
 */
enum mm_frame_state {
	MM_FRAME_UNUSED = 0,
	MM_FRAME_FREE = 1,
	MM_FRAME_ALLOCATED = 2,
};

/**
 * enum mm_owner_kind - who owns an allocated frame (the checker's view).
 * @MM_OWNER_NONE: free, or allocated by a test with no owner.
 * @MM_OWNER_PGTABLE: a GPU page-table page.
 * @MM_OWNER_BO: backing of a buffer object.
 * @MM_OWNER_DUMMY: backing of a sparse dummy buffer.
 * @MM_OWNER_FIRMWARE: a firmware (kernel) buffer.
 */
enum mm_owner_kind {
	MM_OWNER_NONE = 0,
	MM_OWNER_PGTABLE = 1,
	MM_OWNER_BO = 2,
	MM_OWNER_DUMMY = 3,
	MM_OWNER_FIRMWARE = 4,
};

/**
 * struct mm_frame - metadata of one frame.
 * @state: enum mm_frame_state.
 * @order: for the first frame of a block (free or allocated), the block's
 *         order; MM_ORDER_TAIL for every other frame of the block.
 * @owner_kind: enum mm_owner_kind, for allocated frames.
 * @budget: index of the budget the frame is charged to (0 = none).
 * @owner_id: owner's identifier (BO id, VM id), for reports.
 * @priv: a word for the owner while allocated (the page-table library keeps
 *        its valid-entry count here).
 * @free: while the frame heads a free block: the free list's links.
 * @next: next free block of the same order (frame number), or none.
 * @prev: previous free block of the same order (frame number), or none.
 *
 * Written under the arena lock when a block changes hands; @owner_kind,
 * @owner_id and @priv by the owner while it holds the frame. Read racily by
 * the checker, which only reports and never trusts a torn read to be right.
 */
struct mm_frame {
	uint8_t state;
	uint8_t order;
	uint8_t owner_kind;
	uint8_t budget;
	uint32_t owner_id;
	union {
		uint64_t priv;
		struct {
			uint32_t next;
			uint32_t prev;
		} free;
	};
};

/** MM_ORDER_TAIL - &struct mm_frame.order of a frame that does not start its block. */
#define MM_ORDER_TAIL 0xff

/* Direct map and metadata; valid once mm_arena_init() has run (any budget creation runs it). */
extern uint8_t *mm__direct_map;
extern struct mm_frame *mm__frames;
extern uint64_t mm__nr_frames;

/** mm_pa_to_virt() - CPU address of physical address @pa in the direct map (the kernel's __va). */
static inline void *mm_pa_to_virt(phys_addr_t pa)
{
	return mm__direct_map + (pa - MM_PA_BASE);
}

/** mm_virt_to_pa() - physical address of direct-map address @p (the kernel's __pa). */
static inline phys_addr_t mm_virt_to_pa(const void *p)
{
	return (phys_addr_t)((const uint8_t *)p - mm__direct_map) + MM_PA_BASE;
}

/** mm_pa_to_pfn() - frame index of @pa. */
static inline uint64_t mm_pa_to_pfn(phys_addr_t pa)
{
	return (pa - MM_PA_BASE) >> MM_PAGE_SHIFT;
}

/** mm_pfn_to_pa() - physical address of frame @pfn. */
static inline phys_addr_t mm_pfn_to_pa(uint64_t pfn)
{
	return MM_PA_BASE + (pfn << MM_PAGE_SHIFT);
}

/** mm_pa_valid() - true when @pa lies inside the arena. */
static inline bool mm_pa_valid(phys_addr_t pa)
{
	return pa >= MM_PA_BASE && mm_pa_to_pfn(pa) < mm__nr_frames;
}

/** mm_frame() - metadata of the frame holding @pa (which must be valid). */
static inline struct mm_frame *mm_frame(phys_addr_t pa)
{
	return &mm__frames[mm_pa_to_pfn(pa)];
}

/**
 * mm_arena_init() - create the process-wide arena of @bytes (0 = default,
 * or PANTOMIME_ARENA in bytes with an optional K/M/G suffix).
 *
 * Idempotent: the first call wins and later calls return 0.
 * Return: 0, -EINVAL for a size that is not a multiple of 2 MiB or is too
 * large for 32-bit frame numbers, -ENOMEM if the memfd or its mapping fails.
 */
int mm_arena_init(uint64_t bytes);
/** mm_arena_fd() - Return: the arena memfd (offset of @pa is pa - MM_PA_BASE), or -1 before init. */
int mm_arena_fd(void);
/** mm_arena_frames_in_use() - Return: frames allocated from the arena, all budgets together. */
uint64_t mm_arena_frames_in_use(void);

/**
 * enum mm_gfp_flags - how an allocation may behave.
 * @MM_GFP_KERNEL: may enter direct reclaim (run shrinkers) and sleep.
 * @MM_GFP_NORECLAIM: never enter reclaim: fail instead (GFP_NOWAIT). Required
 *                    while holding a lock that a shrinker takes.
 * @MM_GFP_ZERO: zero the frames before returning them.
 */
enum mm_gfp_flags {
	MM_GFP_KERNEL = 0,
	MM_GFP_NORECLAIM = 1 << 0,
	MM_GFP_ZERO = 1 << 1,
};

struct mm_budget;

/**
 * struct mm_shrink_control - one request to a shrinker.
 * @nr_to_scan: pages the caller would like freed.
 * @nr_scanned: out: pages the shrinker looked at.
 * @may_block: the shrinker may sleep (wait for fences); false for callers
 *             that must make progress without waiting.
 * @has_swap: the budget has a swap area with free slots; without it, only
 *            pages that need no writeback can be reclaimed.
 */
struct mm_shrink_control {
	unsigned long nr_to_scan;
	unsigned long nr_scanned;
	bool may_block;
	bool has_swap;
};

/** MM_SHRINK_STOP - returned by @scan when it cannot make progress now. */
#define MM_SHRINK_STOP (~0ul)

/**
 * struct mm_shrinker_ops - a reclaimable-memory owner.
 * @count: return how many pages @scan could free now (0 = nothing). Called
 *         inside reclaim (u_in_reclaim()), may not sleep.
 * @scan: free up to @sc->nr_to_scan pages, return the number freed or
 *        MM_SHRINK_STOP. Runs inside reclaim: it may only allocate with
 *        MM_GFP_NORECLAIM and must trylock anything the allocating paths
 *        hold. Called from the allocating thread (direct reclaim) or the
 *        budget's background reclaimer.
 */
struct mm_shrinker_ops {
	unsigned long (*count)(void *cookie, struct mm_shrink_control *sc);
	unsigned long (*scan)(void *cookie, struct mm_shrink_control *sc);
};

/**
 * struct mm_shrinker - a registered shrinker, embedded in its owner.
 * @ops: callbacks.
 * @cookie: passed to the callbacks.
 * @name: for reports.
 * @link: in the budget's shrinker list (protected by the budget's shrinker lock).
 * @scans: number of @scan calls (statistics).
 * @freed: pages reported freed by @scan (statistics).
 */
struct mm_shrinker {
	const struct mm_shrinker_ops *ops;
	void *cookie;
	const char *name;
	struct u_list link;
	unsigned long scans;
	unsigned long freed;
};

/**
 * struct mm_budget_config - parameters of a budget.
 * @name: for logs ("device0").
 * @limit_bytes: most memory the budget may hold; 0 = 1 GiB.
 * @low_wmark_bytes: an allocation that would leave less free than this runs
 *                   direct reclaim first; 0 = limit / 32.
 * @high_wmark_bytes: the background reclaimer frees memory until this much
 *                    is free; 0 = limit / 16. Must be >= the low watermark.
 * @swap_bytes: size of the swap area; 0 = no swap.
 * @no_background_reclaim: do not start the background reclaimer thread.
 */
struct mm_budget_config {
	const char *name;
	uint64_t limit_bytes;
	uint64_t low_wmark_bytes;
	uint64_t high_wmark_bytes;
	uint64_t swap_bytes;
	bool no_background_reclaim;
};

/**
 * struct mm_budget_stats - a snapshot of a budget's counters (pages unless named otherwise).
 * @limit: the hard limit.
 * @low_wmark: direct reclaim below this much free.
 * @high_wmark: background reclaim target.
 * @used: pages charged now.
 * @peak: most pages ever charged at once.
 * @allocs: successful block allocations.
 * @frees: block frees.
 * @failed_allocs: allocations that returned -ENOMEM (injected ones included).
 * @direct_reclaims: direct reclaim passes run by allocating threads.
 * @background_reclaims: reclaim passes run by the background reclaimer.
 * @reclaimed: pages freed by shrinkers, both kinds of reclaim.
 * @swap_slots: size of the swap area in slots (pages).
 * @swap_used: slots in use.
 */
struct mm_budget_stats {
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
	uint64_t swap_slots;
	uint64_t swap_used;
};

/**
 * mm_budget_create() - create a budget (and the arena if needed).
 * Return: the budget, or ERR_PTR(-EINVAL) for a bad configuration (logged
 * with what was wrong), ERR_PTR(-ENOMEM), ERR_PTR(-EMFILE) with too many budgets.
 */
struct mm_budget *mm_budget_create(const struct mm_budget_config *cfg);
/**
 * mm_budget_destroy() - stop the background reclaimer and free the budget.
 * Every frame and swap slot must have been released and every shrinker
 * unregistered (checked; a leak is reported and aborts).
 */
void mm_budget_destroy(struct mm_budget *b);
/** mm_budget_stats() - fill @st with a snapshot of @b's counters. */
void mm_budget_stats(struct mm_budget *b, struct mm_budget_stats *st);
/** mm_budget_used() - Return: pages currently charged to @b. */
uint64_t mm_budget_used(struct mm_budget *b);

/**
 * mm_alloc_pages_site() - allocate a block of 2^@order frames charged to @b.
 * @b: the budget.
 * @order: 0..MM_MAX_ORDER; the block is naturally aligned to its size.
 * @gfp: enum mm_gfp_flags.
 * @kind: owner kind recorded in every frame of the block.
 * @owner_id: owner id recorded in every frame.
 * @pa: out: physical address of the first frame; untouched on failure.
 * @site: allocation site for the fault injector.
 *
 * An allocation that would leave less than the low watermark free enters
 * direct reclaim first, unless @gfp has MM_GFP_NORECLAIM or the caller is
 * already inside reclaim. Every reclaiming allocation is announced to the
 * lockdep (u_might_reclaim()). The background reclaimer is woken when free
 * memory falls below the high watermark.
 *
 * Return: 0, -EINVAL for a bad order, -ENOMEM when the budget (after
 * reclaim) or the arena cannot supply the block, or the injector failed it.
 */
int mm_alloc_pages_site(struct mm_budget *b, unsigned int order, unsigned int gfp,
			enum mm_owner_kind kind, uint32_t owner_id, phys_addr_t *pa,
			const char *site);
#define mm_alloc_pages(b, order, gfp, kind, id, pa) \
	mm_alloc_pages_site((b), (order), (gfp), (kind), (id), (pa), __func__)

/**
 * mm_free_pages() - return the block at @pa (allocated by mm_alloc_pages() on
 * @b with the same @order) to the arena. Double frees and mismatched orders
 * abort with a message.
 */
void mm_free_pages(struct mm_budget *b, phys_addr_t pa, unsigned int order);

/** mm_set_owner() - change the owner recorded for the 2^@order frames at @pa. */
void mm_set_owner(phys_addr_t pa, unsigned int order, enum mm_owner_kind kind, uint32_t owner_id);

/**
 * mm_shrinker_register() - add @s (ops, cookie and name filled in) to @b.
 * Return: 0 (registration cannot fail; the shrinker is embedded).
 */
int mm_shrinker_register(struct mm_budget *b, struct mm_shrinker *s);
/**
 * mm_shrinker_unregister() - remove @s; waits for scans in progress, so the
 * caller must not hold a lock @s's callbacks take.
 */
void mm_shrinker_unregister(struct mm_budget *b, struct mm_shrinker *s);

/**
 * mm_reclaim() - run @b's shrinkers until @nr_pages are freed or none makes progress.
 * @may_block: passed to the shrinkers.
 * Return: pages freed.
 */
unsigned long mm_reclaim(struct mm_budget *b, unsigned long nr_pages, bool may_block);

/**
 * mm_wait_background_idle() - wait until @b's background reclaimer has
 * nothing left to do (free memory above the high watermark, or no progress
 * possible). For tests and orderly teardown.
 */
void mm_wait_background_idle(struct mm_budget *b);

/** mm_has_swap() - Return: true if @b has a swap area with at least one free slot. */
bool mm_has_swap(struct mm_budget *b);
/**
 * mm_swap_alloc() - reserve one page-sized swap slot.
 * Return: 0 with *@slot set, -ENOSPC when the area is full or absent, -ENOMEM when injected.
 */
int mm_swap_alloc_site(struct mm_budget *b, uint32_t *slot, const char *site);
#define mm_swap_alloc(b, slot) mm_swap_alloc_site((b), (slot), __func__)
/** mm_swap_free() - release @slot. */
void mm_swap_free(struct mm_budget *b, uint32_t slot);
/** mm_swap_write() - copy the frame at @pa into @slot. */
void mm_swap_write(struct mm_budget *b, uint32_t slot, phys_addr_t pa);
/** mm_swap_read() - copy @slot into the frame at @pa. */
void mm_swap_read(struct mm_budget *b, uint32_t slot, phys_addr_t pa);
/**
 * mm_swap_write_pages() - copy @n contiguous frames from @pa into the
 * consecutive slots @slot .. @slot + @n - 1 (one copy: the fast path of
 * eviction).
 */
void mm_swap_write_pages(struct mm_budget *b, uint32_t slot, phys_addr_t pa, uint32_t n);
/** mm_swap_read_pages() - the reverse of mm_swap_write_pages(). */
void mm_swap_read_pages(struct mm_budget *b, uint32_t slot, phys_addr_t pa, uint32_t n);

/**
 * mm_validate() - check every invariant of the arena and all budgets: free
 * lists against frame metadata, buddy alignment and non-overlap, per-budget
 * usage against the frames charged to it, swap bitmaps against counters.
 * Return: 0, or -EUCLEAN after logging the first broken invariant.
 */
int mm_validate(void);

#endif
