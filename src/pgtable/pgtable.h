/* SPDX-License-Identifier: MIT */
/*
 * ARM64 LPAE stage-1 page tables with a 4 KiB granule, in the shape of the
 * kernel's io-pgtable (format ARM_64_LPAE_S1): a configuration with ops and a
 * cookie, map_pages/unmap_pages/iova_to_phys, and no knowledge of who uses
 * the tables. Descriptor encodings follow reference/mmu-pgtable.md §1.
 *
 * Table pages are physical frames of src/mm, reached through the direct map
 * (mm_pa_to_virt()); the library owns the mm_frame priv word of every table
 * frame it holds (it keeps the frame's valid-entry count there).
 *
 * Concurrency: the caller serializes every update (map, unmap, destroy) of
 * one pgtable, as panthor does with its VM op lock. Other threads (the GPU
 * model's walker) may read the table memory at any time: every descriptor is
 * written with one aligned 8-byte store, and a table is published only after
 * its contents are in place (release store of the table descriptor).
 * This library's own lookups (iova_to_phys, lookup, dump, validate) are
 * serialized with updates by the caller too: an unmap frees the tables it
 * empties, so a lookup racing it could follow a freed table. (The GPU
 * model walks with its own code and sees changes only once synced.)
 */
#ifndef PANTOMIME_PGTABLE_H
#define PANTOMIME_PGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/mm.h"

/**
 * enum pgtable_prot - access requested for a mapping (io-pgtable's IOMMU_*).
 * @PGTABLE_PROT_READ: readable. Every mapping must be readable or writable.
 * @PGTABLE_PROT_WRITE: writable. WRITE without READ maps read-write (the
 *                      format cannot express write-only).
 * @PGTABLE_PROT_CACHE: cacheable (AttrIndx 1, inner shareable); without it
 *                      the mapping is non-cacheable (AttrIndx 0, outer shareable).
 * @PGTABLE_PROT_NOEXEC: not executable (PXN and UXN, bits 53 and 54).
 * @PGTABLE_PROT_MMIO: device memory (AttrIndx 2); takes precedence over CACHE
 *                     for the attribute index.
 * @PGTABLE_PROT_PRIV: privileged-only: AP[1] (unprivileged access) is not set.
 *                     panthor never uses it.
 */
enum pgtable_prot {
	PGTABLE_PROT_READ = 1 << 0,
	PGTABLE_PROT_WRITE = 1 << 1,
	PGTABLE_PROT_CACHE = 1 << 2,
	PGTABLE_PROT_NOEXEC = 1 << 3,
	PGTABLE_PROT_MMIO = 1 << 4,
	PGTABLE_PROT_PRIV = 1 << 5,
};

/** PGTABLE_PGSIZE_4K_2M - panthor's page sizes: 4 KiB pages and 2 MiB blocks. */
#define PGTABLE_PGSIZE_4K_2M ((1ull << 12) | (1ull << 21))
/** PGTABLE_PGSIZE_ALL - every leaf size of the 4 KiB granule: 4 KiB, 2 MiB and 1 GiB. */
#define PGTABLE_PGSIZE_ALL   ((1ull << 12) | (1ull << 21) | (1ull << 30))

/**
 * struct pgtable_ops - callbacks from the library to its user. All are
 * called from the thread that is inside the pgtable call (create, map_pages,
 * unmap_pages, destroy), never concurrently for one pgtable, and never from
 * iova_to_phys, dump or validate.
 *
 * @alloc_table: provide one 4 KiB table frame and store its physical address
 *               in *@pa. The frame MUST be zero-filled (the library never
 *               clears a table on the hot path) and must stay allocated until
 *               @free_table gives it back; the library overwrites its mm_frame
 *               priv word. Called at pgtable_create() for the root and by
 *               pgtable_map_pages() for each missing intermediate or leaf
 *               table. Return 0 or a negative errno (normally -ENOMEM), which
 *               the library returns to its caller after undoing the call's
 *               other allocations. Not NULL.
 * @free_table: take back a frame obtained from @alloc_table. Called when a
 *              table becomes empty (pgtable_unmap_pages()), when a table is
 *              replaced by a block or unmapped at the level above, when a
 *              failed pgtable_map_pages() undoes its own allocations, and for
 *              every table at pgtable_destroy(). The frame's priv word is
 *              the caller's again and still holds the table's count of
 *              valid entries: when it is 0, every descriptor of the frame
 *              is zero (invalid entries are always stored as 0), so the
 *              frame can be reused as a fresh table without clearing it;
 *              otherwise its contents are stale. Not NULL.
 * @sync: make @bytes of descriptors starting at physical address @pa visible
 *        to a table walker that does not snoop CPU caches (the io-pgtable
 *        "clean to device" of non-coherent walks). Called only when
 *        &pgtable_cfg.coherent_walk is false, once per batch of consecutive
 *        descriptor stores in one table (a run of leaf entries, a cleared
 *        run, one table descriptor), after the stores and before the next
 *        batch; @pa is 8-byte aligned and the range never crosses a table.
 *        The GPU model observes page-table changes here. May be NULL, which
 *        is only sensible with a coherent walk.
 */
struct pgtable_ops {
	int (*alloc_table)(void *cookie, phys_addr_t *pa);
	void (*free_table)(void *cookie, phys_addr_t pa);
	void (*sync)(void *cookie, phys_addr_t pa, size_t bytes);
};

/**
 * struct pgtable_cfg - geometry and callbacks of a page table (io_pgtable_cfg).
 * @ias: input (GPU virtual) address bits, 16..48. Picks the starting level:
 *       4 levels (root at level 0) above 39 bits, 3 levels at 31..39 bits,
 *       2 levels at 22..30 bits, 1 level below.
 * @oas: output (physical) address bits, 32..48.
 * @pgsize_bitmap: leaf sizes that may be mapped: 4 KiB (required), 2 MiB
 *                 and 1 GiB blocks; any other bit is refused. A block size
 *                 needs the starting level to be at or above its level.
 * @coherent_walk: the walker snoops CPU caches: no @ops->sync calls at all.
 * @no_warn: do not log warnings for caller mistakes the library detects and
 *           reports (-EEXIST, unmap of a hole or of part of a block), as
 *           io-pgtable's IO_PGTABLE_QUIRK_NO_WARN; for tests that probe them.
 * @ops: callbacks (not NULL); must outlive the pgtable.
 * @cookie: passed to every callback.
 */
struct pgtable_cfg {
	unsigned int ias;
	unsigned int oas;
	uint64_t pgsize_bitmap;
	bool coherent_walk;
	bool no_warn;
	const struct pgtable_ops *ops;
	void *cookie;
};

/**
 * struct pgtable_stats - counters of one pgtable.
 * @tables_allocated: successful @alloc_table calls, root included.
 * @tables_freed: @free_table calls.
 * @tables_live: tables currently held (allocated - freed), root included.
 * @syncs: @sync calls made.
 */
struct pgtable_stats {
	uint64_t tables_allocated;
	uint64_t tables_freed;
	uint64_t tables_live;
	uint64_t syncs;
};

struct pgtable;

/**
 * pgtable_create() - set up an empty page table: allocate its root table.
 * @cfg: configuration, copied.
 *
 * Return: the page table, or ERR_PTR(-EINVAL) for a configuration outside
 * the ranges of &struct pgtable_cfg (logged), ERR_PTR(-ENOMEM) when the
 * descriptor or the root table cannot be allocated (or the errno returned
 * by @alloc_table). Never NULL.
 */
struct pgtable *pgtable_create(const struct pgtable_cfg *cfg);

/**
 * pgtable_destroy() - free every table (root included) and the pgtable.
 * @pt: the page table, or NULL (no-op).
 *
 * Mappings still present are dropped without any call other than
 * @free_table; the caller has made the GPU stop using the tables.
 */
void pgtable_destroy(struct pgtable *pt);

/**
 * pgtable_root_pa() - Return: physical address of the root table (for AS_TRANSTAB).
 * @pt: the page table.
 */
phys_addr_t pgtable_root_pa(const struct pgtable *pt);

/**
 * pgtable_start_level() - Return: the level (0..3) of the root table, from @ias.
 * @pt: the page table.
 */
unsigned int pgtable_start_level(const struct pgtable *pt);

/**
 * pgtable_map_pages() - map @pgcount leaves of @pgsize bytes at @iova to
 * consecutive physical addresses from @pa.
 * @pt: the page table (updates serialized by the caller).
 * @iova: first GPU virtual address; aligned to @pgsize.
 * @pa: first physical address; aligned to @pgsize.
 * @pgsize: exactly one of the sizes of &pgtable_cfg.pgsize_bitmap.
 * @pgcount: number of leaves requested (> 0).
 * @prot: enum pgtable_prot flags; READ or WRITE must be set.
 * @mapped: out: incremented by the bytes mapped (not NULL).
 *
 * As io-pgtable, one call maps at most to the end of the leaf table that
 * holds @iova (512 entries) and the caller loops on *@mapped. Missing tables
 * are allocated with @alloc_table and published fully formed. On error
 * nothing of this call remains: no leaf was written and every table the
 * call allocated has been freed.
 *
 * Return: 0 with at least one leaf mapped; -EINVAL for a bad @pgsize, a zero
 * @pgcount, a misaligned @iova or @pa, or a @prot without READ|WRITE;
 * -ERANGE when the range does not fit in @ias bits or the physical range in
 * @oas bits; -EEXIST when a leaf exists in the range or in the way (a block
 * above @pgsize), or a table holding leaves is in the way of a block; or the
 * errno of @alloc_table (-ENOMEM).
 */
int pgtable_map_pages(struct pgtable *pt, uint64_t iova, phys_addr_t pa, uint64_t pgsize,
		      uint64_t pgcount, unsigned int prot, uint64_t *mapped);

/**
 * pgtable_map_pages_repeat() - as pgtable_map_pages(), but all @pgcount
 * leaves map the same @pgsize bytes at @pa: one physical window repeated
 * over the range (a sparse mapping of one dummy block, the "optimize at
 * io-pgtable level" of the unmerged REPEAT series).
 * @pt: the page table (updates serialized by the caller).
 * @iova: first GPU virtual address; aligned to @pgsize.
 * @pa: the physical address every leaf maps; aligned to @pgsize.
 * @pgsize: exactly one of the sizes of &pgtable_cfg.pgsize_bitmap.
 * @pgcount: number of leaves requested (> 0).
 * @prot: enum pgtable_prot flags; READ or WRITE must be set.
 * @mapped: out: incremented by the bytes mapped (not NULL).
 *
 * Same chunking (the caller loops on *@mapped), same errors, same
 * all-or-nothing behaviour as pgtable_map_pages().
 *
 * Return: as pgtable_map_pages().
 */
int pgtable_map_pages_repeat(struct pgtable *pt, uint64_t iova, phys_addr_t pa, uint64_t pgsize,
			     uint64_t pgcount, unsigned int prot, uint64_t *mapped);

/**
 * pgtable_unmap_pages() - unmap @pgcount entries of @pgsize bytes from @iova.
 * @pt: the page table (updates serialized by the caller).
 * @iova: first GPU virtual address; aligned to @pgsize.
 * @pgsize: exactly one of the sizes of &pgtable_cfg.pgsize_bitmap.
 * @pgcount: number of entries.
 *
 * Unlike a map, one call covers the whole range, across tables. Each entry
 * at the level of @pgsize is cleared: a leaf of that size, or a table, in
 * which case the whole sub-table (and everything below it) is freed. The
 * call stops at the first empty entry (a hole), or at a block larger than
 * @pgsize (partial unmap of a block is refused, as upstream io-pgtable:
 * logged, nothing changed there). A table whose last entry is cleared is
 * freed at once, and so on up to (not including) the root.
 *
 * Return: the bytes unmapped, a multiple of @pgsize: @pgsize * @pgcount
 * unless a hole or a block stopped it; 0 also for a bad @pgsize, a zero
 * @pgcount, a misaligned @iova or a range beyond @ias bits.
 */
uint64_t pgtable_unmap_pages(struct pgtable *pt, uint64_t iova, uint64_t pgsize,
			     uint64_t pgcount);

/**
 * pgtable_iova_to_phys() - translate @iova as the hardware walk would.
 * @pt: the page table.
 * @iova: any address.
 *
 * Return: the physical address (leaf PA plus the offset of @iova in the
 * leaf), or 0 when @iova is unmapped or beyond @ias bits (0 is ambiguous, as
 * in io-pgtable).
 */
phys_addr_t pgtable_iova_to_phys(struct pgtable *pt, uint64_t iova);

/**
 * struct pgtable_leaf - the leaf descriptor translating an address.
 * @pte: the raw 64-bit descriptor.
 * @level: its level: 3 for a 4 KiB page, 2 for a 2 MiB block, 1 for 1 GiB.
 * @iova: first address the leaf translates.
 * @size: bytes it translates.
 * @pa: its output address (the PA field of @pte).
 */
struct pgtable_leaf {
	uint64_t pte;
	unsigned int level;
	uint64_t iova;
	uint64_t size;
	phys_addr_t pa;
};

/**
 * pgtable_lookup() - find the leaf descriptor translating @iova.
 * @pt: the page table.
 * @iova: any address.
 * @leaf: out: the leaf; untouched when there is none.
 *
 * Return: 0, or -ENOENT when @iova is unmapped or beyond @ias bits.
 */
int pgtable_lookup(struct pgtable *pt, uint64_t iova, struct pgtable_leaf *leaf);

/**
 * typedef pgtable_leaf_fn - visitor of pgtable_for_each_leaf().
 * @arg: the pointer given to pgtable_for_each_leaf().
 * @leaf: one valid leaf descriptor (its @iova is the first address it
 *        translates; a descriptor of an illegal type for its level is
 *        reported as a leaf too, so a checker sees it).
 * Return: 0 to go on, anything else to stop the walk with that value.
 */
typedef int (*pgtable_leaf_fn)(void *arg, const struct pgtable_leaf *leaf);

/**
 * pgtable_for_each_leaf() - walk the tables (no translation of addresses one
 * by one) and call @fn for every valid leaf, in address order.
 * @pt: the page table (no concurrent update).
 * @fn: the visitor.
 * @arg: passed to @fn.
 * Return: 0 after the whole walk, or the first non-zero value @fn returned.
 */
int pgtable_for_each_leaf(struct pgtable *pt, pgtable_leaf_fn fn, void *arg);

/**
 * typedef pgtable_print_fn - destination of pgtable_dump() lines.
 * @arg: the pointer given to pgtable_dump().
 * @line: one line, NUL-terminated, without a newline.
 */
typedef void (*pgtable_print_fn)(void *arg, const char *line);

/**
 * pgtable_dump() - describe the tables covering [@start, @end) in text.
 * @pt: the page table (no concurrent update).
 * @start: first address of interest.
 * @end: end of the range (exclusive); 0 or beyond 2^ias means the whole space.
 * @print: called once per line: one per table (level, PA, valid entries)
 *         and one per leaf (VA range, PA, size, raw descriptor, decoded
 *         attributes), indented by level.
 * @arg: passed to @print.
 */
void pgtable_dump(struct pgtable *pt, uint64_t start, uint64_t end, pgtable_print_fn print,
		  void *arg);

/**
 * pgtable_validate() - check every invariant of @pt: each table frame is
 * inside the arena, allocated and owned by MM_OWNER_PGTABLE; each table's
 * priv count equals its number of valid entries; no table other than the
 * root is empty; descriptor types are legal for their level (no block at
 * level 0 or at a level whose size is not in the bitmap, no type 1 at level
 * 3); leaves' output addresses are aligned to their size and below 2^oas;
 * no valid entry of the root lies beyond 2^ias; the live-table counter
 * matches the tables reachable.
 * @pt: the page table (no concurrent update).
 *
 * Return: 0, or -EUCLEAN after logging the first broken invariant with the
 * table, index and descriptor.
 */
int pgtable_validate(struct pgtable *pt);

/**
 * pgtable_get_stats() - fill @st with the counters of @pt.
 * @pt: the page table.
 * @st: out.
 */
void pgtable_get_stats(const struct pgtable *pt, struct pgtable_stats *st);

#endif
