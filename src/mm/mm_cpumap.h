/* SPDX-License-Identifier: MIT */
/*
 * CPU mappings of arena frames, populated on demand through userfaultfd.
 *
 * A struct mm_cpumap is an address range of the process that shows some
 * owner's frames (a GEM BO's backing) to the CPU. The range starts empty;
 * the first touch of a page blocks the touching thread, the process-wide
 * fault thread asks the owner which frames back that page (the two-phase
 * handler of panthor_gem_any_fault, through struct mm_cpumap_ops), maps
 * them from the arena memfd and wakes the thread. mm_cpumap_zap() is the
 * owner's unmap_mapping_range(): it takes every page away again, atomically
 * for concurrent readers, so the owner may then free or swap out the frames
 * and the next touch faults them back in.
 *
 * This is mechanism only: the owner (panthor_gem.c) decides what backs a
 * page, when to evict, and whether a mapping may be larger than the object.
 * See the DOC comment of mm_cpumap.c for the protocol and the choices made.
 */
#ifndef PANTOMIME_MM_CPUMAP_H
#define PANTOMIME_MM_CPUMAP_H

#include <stdbool.h>
#include <stdint.h>
#include "mm.h"

struct mm_cpumap;

/**
 * struct mm_cpumap_run - physically contiguous frames backing a run of pages.
 * @first: index of the run's first page in the mapping.
 * @npages: number of pages in the run (>= 1 for a run to map).
 * @pa: physical address of the frame backing page @first; page @first + k
 *      is backed by the frame at @pa + k * MM_PAGE_SIZE.
 */
struct mm_cpumap_run {
	uint64_t first;
	uint64_t npages;
	phys_addr_t pa;
};

/**
 * struct mm_cpumap_ops - what the owner of a mapping provides.
 * @fault: say which frames back page @page_index of the mapping. Called by
 *         the fault thread (or by mm_cpumap_handle_fault() and, without
 *         userfaultfd, by mm_cpumap_create()) with no cpumap lock held
 *         other than the mapping's fault lock, never concurrently for one
 *         mapping. Not NULL. Two phases, as panthor_gem_any_fault():
 *
 *         - @may_block false: the owner must not sleep. It try-locks what
 *           it needs; if the page's frames are present it fills @run with a
 *           run of physically contiguous frames containing @page_index (as
 *           long a run as it likes, within the mapping) and returns 0. If it
 *           would have to sleep (lock contended, pages not allocated or
 *           swapped out) it returns -EAGAIN.
 *         - @may_block true (only after -EAGAIN): the owner takes its locks,
 *           allocates or swaps in, and returns 0 or a negative errno
 *           (-ENOMEM). It may fill @run (then the run is mapped) or leave
 *           @run->npages at 0 (then the non-blocking call is retried).
 *
 *         Contract: frames returned in @run stay allocated to the owner
 *         until it calls mm_cpumap_zap() or mm_cpumap_zap_range() for those
 *         pages (or mm_cpumap_destroy()); they may be freed once that call
 *         has returned. A run that does not contain @page_index, leaves the
 *         mapping or is not in the arena is an owner bug: it is logged and
 *         the fault fails.
 */
struct mm_cpumap_ops {
	int (*fault)(void *cookie, uint64_t page_index, bool may_block, struct mm_cpumap_run *run);
};

/**
 * struct mm_cpumap_stats - counters of one mapping, or of all of them.
 * @faults: faults handled (userfaultfd messages for a live mapping, direct
 *          mm_cpumap_handle_fault() calls, and eager population steps).
 * @nonblocking_hits: faults resolved by the first non-blocking call.
 * @blocking_calls: calls of @fault with may_block true.
 * @retries: handler rounds started again (after a blocking call, after the
 *           mapping was zapped during the round, or after a failed blocking
 *           call that is retried once as panthor does).
 * @stale: rounds whose run was discarded because the mapping was zapped
 *         while the owner was being asked (the generation check).
 * @already_mapped: faults on a page that was mapped by the time they were
 *                  handled (several threads touched it at once).
 * @yields: faults given back to the faulting thread unresolved after too
 *          many rounds (it touches the page again and queues a new fault).
 * @runs_mapped: runs mapped (one mmap() each).
 * @pages_mapped: pages made present by those runs.
 * @zaps: zap calls that took at least one page away.
 * @pages_zapped: pages taken away by zaps.
 * @errors: faults that failed (SIGBUS for a userfaultfd fault, an errno
 *          for a direct call or eager population).
 */
struct mm_cpumap_stats {
	uint64_t faults;
	uint64_t nonblocking_hits;
	uint64_t blocking_calls;
	uint64_t retries;
	uint64_t stale;
	uint64_t already_mapped;
	uint64_t yields;
	uint64_t runs_mapped;
	uint64_t pages_mapped;
	uint64_t zaps;
	uint64_t pages_zapped;
	uint64_t errors;
};

/**
 * mm_cpumap_create() - reserve a CPU mapping of @size bytes backed by an owner.
 * @size: bytes, a non-zero multiple of MM_PAGE_SIZE.
 * @prot: PROT_READ or PROT_READ | PROT_WRITE.
 * @ops: the owner's callbacks (static storage; not NULL).
 * @cookie: passed to @ops.
 * @out: the mapping, on success.
 *
 * With userfaultfd, the range is reserved and registered, and nothing is
 * asked of the owner until a page is touched. Without it (refused by the
 * kernel, or PANTOMIME_NO_UFFD=1), every page is populated now by calling
 * @ops->fault with may_block true, and the mapping can never be zapped.
 * Starts the fault thread if this is the first live mapping.
 *
 * Return: 0; -EINVAL for a bad @size, @prot or @ops; -ENOMEM when memory,
 * address space or a mapping slot (vm.max_map_count) ran out; or the error
 * the owner's @fault returned during eager population. On failure nothing
 * is left mapped or allocated (frames the owner allocated stay its own).
 */
int mm_cpumap_create(uint64_t size, int prot, const struct mm_cpumap_ops *ops, void *cookie,
		     struct mm_cpumap **out);

/**
 * mm_cpumap_destroy() - unmap and free @map.
 * @map: a mapping from mm_cpumap_create(), or NULL (no-op).
 *
 * Waits for a fault being handled on @map to finish, so on return @ops->fault
 * is never called for @map again and the owner may free everything; the
 * caller must therefore not hold a lock that @ops->fault takes (the lockdep
 * sees this through the mapping's fault lock). A thread still blocked on a
 * fault in the range is woken and gets SIGSEGV, as after munmap(). Stops the
 * fault thread with the last mapping. In a fork() child, destroying a
 * mapping inherited from the parent only unmaps it there.
 */
void mm_cpumap_destroy(struct mm_cpumap *map);

/** mm_cpumap_addr() - Return: the first address of @map's range (page aligned). */
void *mm_cpumap_addr(const struct mm_cpumap *map);
/** mm_cpumap_size() - Return: the size of @map's range in bytes. */
uint64_t mm_cpumap_size(const struct mm_cpumap *map);

/**
 * mm_cpumap_can_zap() - whether @map can take its pages away.
 * @map: the mapping.
 *
 * Return: true for a userfaultfd mapping; false for an eagerly populated
 * one (no userfaultfd), whose owner must then never evict the frames.
 */
bool mm_cpumap_can_zap(const struct mm_cpumap *map);

/**
 * mm_cpumap_zap_range() - take pages away from the CPU (unmap_mapping_range).
 * @map: the mapping.
 * @first_page: first page index.
 * @npages: number of pages (>= 1).
 *
 * Atomic for concurrent users of the range: until the call takes a page
 * away, a thread reading it sees the old frames; after that, a touch blocks
 * in a fault that asks the owner again. No reader ever sees a zero page.
 * A fault of @map being handled concurrently cannot install a run it got
 * from the owner before this call (the generation check). Takes @map's
 * mapping lock: callable with the owner's locks held (and it is meant to be:
 * the owner holds the lock its @fault takes, so no new fault can fetch the
 * frames until they are gone). Does not call @ops.
 *
 * Return: 0, after which the owner may free the frames of those pages;
 * -EINVAL for a range outside @map; -ENODEV for a mapping inherited
 * through fork(); -EOPNOTSUPP for an eagerly populated
 * mapping (mm_cpumap_can_zap() is false); -ENOMEM when the kernel could not
 * split the mapping (pages keep their frames: the owner must not free them).
 */
int mm_cpumap_zap_range(struct mm_cpumap *map, uint64_t first_page, uint64_t npages);

/**
 * mm_cpumap_release_range() - the user unmapped pages of @map (a partial
 * munmap): they are unmapped now and left alone from then on (destroy does
 * not unmap them, validate does not check them), so the user may map
 * something else there. The owner must never return a run covering them
 * and must not zap them. Works in both modes.
 * @map: the mapping.
 * @first_page: first page index.
 * @npages: number of pages (>= 1).
 * Return: 0; -EINVAL for a range outside @map; -ENODEV for a mapping
 * inherited through fork(). Never fails for memory (the bitmap comes with
 * the mapping), as munmap must not.
 */
int mm_cpumap_release_range(struct mm_cpumap *map, uint64_t first_page, uint64_t npages);

/** mm_cpumap_zap() - mm_cpumap_zap_range() over all of @map. Return: as mm_cpumap_zap_range(). */
int mm_cpumap_zap(struct mm_cpumap *map);

/**
 * mm_cpumap_handle_fault() - run the fault handler for @addr directly.
 * @map: the mapping.
 * @addr: an address inside @map.
 * @may_block: false: only the non-blocking phase (the owner must not
 *             sleep); true: both phases, as the fault thread does.
 *
 * The same logic as the fault thread, without userfaultfd: the run the owner
 * returns is mapped in place. For tests where userfaultfd is refused, and
 * for callers that want pages present before touching them. Takes @map's
 * fault lock; the caller must not hold a lock @ops->fault takes.
 *
 * Return: 0 when the page is mapped; -EINVAL for an address outside @map;
 * -ENODEV for a mapping inherited through fork();
 * -EAGAIN when @may_block is false and the owner would have to sleep (or,
 * rarely, when the mapping kept being zapped under the handler: try again);
 * the owner's error (-ENOMEM), or -ENOMEM when the run could not be mapped.
 */
int mm_cpumap_handle_fault(struct mm_cpumap *map, void *addr, bool may_block);

/**
 * mm_cpumap_uffd_available() - whether mappings are populated on demand.
 *
 * Probes userfaultfd on the first call (the syscall, then /dev/userfaultfd),
 * and again whenever no mapping is alive, so PANTOMIME_NO_UFFD=1 set by a
 * test between mappings takes effect. The fallback is logged once.
 *
 * Return: true when new mappings use userfaultfd.
 */
bool mm_cpumap_uffd_available(void);

/** mm_cpumap_stats() - fill @st with a snapshot of @map's counters. */
void mm_cpumap_stats(const struct mm_cpumap *map, struct mm_cpumap_stats *st);
/** mm_cpumap_global_stats() - fill @st with the sum over every mapping ever created. */
void mm_cpumap_global_stats(struct mm_cpumap_stats *st);

/**
 * mm_cpumap_pages_mapped() - Return: pages of @map currently mapped (a
 * snapshot; it changes as faults are handled).
 */
uint64_t mm_cpumap_pages_mapped(struct mm_cpumap *map);

/**
 * mm_cpumap_validate() - check @map's invariants.
 * @map: the mapping; no fault or zap of it may run concurrently.
 *
 * Checks the registry of live mappings (an interval tree: well formed, no
 * overlaps, @map in it), the mapped-page count against the bitmap and, when
 * /proc/self/pagemap is readable, that no page the mapping considers
 * unmapped has a page-table entry in the process: such an entry would let
 * the CPU reach a frame the owner may have freed.
 *
 * Return: 0, or -EUCLEAN after logging the first broken invariant.
 */
int mm_cpumap_validate(struct mm_cpumap *map);

#endif
