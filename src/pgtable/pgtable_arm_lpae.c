// SPDX-License-Identifier: MIT
/*
 * DOC: ARM64 LPAE stage-1 page tables (4 KiB granule)
 *
 * The model. A translation is a walk from the root table down to a leaf;
 * each table is one 4 KiB frame of 512 descriptors and each level consumes
 * 9 bits of the input address (reference/mmu-pgtable.md §1.1):
 *
 *     level   VA bits    one entry maps     leaf allowed
 *       0     [47:39]    512 GiB            no (table only)
 *       1     [38:30]      1 GiB            1 GiB block  (type 01)
 *       2     [29:21]      2 MiB            2 MiB block  (type 01)
 *       3     [20:12]      4 KiB            4 KiB page   (type 11)
 *
 *     root (start level from ias: 0 above 39 bits, 1 at 31..39, ...)
 *      └─ table desc (11) ─► L1 ─► L2 ─┬─ block (01): 2 MiB leaf
 *                                      └─ table (11) ─► L3: pages (11)
 *
 * Bits [1:0] say invalid (x0), block (01, levels 1-2) or table/page (11);
 * the attribute bits come from arm_lpae_prot_to_pte() exactly as io-pgtable
 * builds them (reference §1.3, §1.4).
 *
 * The chosen design.
 *  - One call of pgtable_map_pages() walks once to the leaf table, builds
 *    any missing tables privately (linked to each other, zero-filled by the
 *    allocator), publishes the chain with a single release store of its top
 *    descriptor, then runs two simple loops over the target entries of that
 *    one table: a check loop (OR of all entries: is anything there?) and a
 *    store loop writing consecutive output addresses. No per-entry calls, no
 *    callbacks; one @sync per batch when the walk is not coherent. Because a
 *    new chain is complete before it becomes reachable, a failed allocation
 *    leaves nothing to undo in the live tables.
 *  - Each table frame keeps its number of valid entries in its mm_frame priv
 *    word (the library owns priv while it holds the frame). Unmap subtracts
 *    the entries it cleared; a table that reaches zero is unhooked from its
 *    parent and freed at once, and so on upwards (never the root). So the
 *    tables present are exactly those that hold something, and "a block
 *    over an empty table" cannot arise from our own operations (the map path
 *    still handles it: the empty table is unhooked, freed and replaced).
 *  - One iterative walker, arm_lpae_walk(), always inlined and given its
 *    visitor as a constant function pointer, serves lookup (it compiles to a
 *    straight loop of dependent loads), the dump and pgtable_validate().
 *
 * The rejected alternative. kbase keeps each table's valid-entry count in
 * software bits 55-58 of the table's first entries (reference §1.7), which
 * lives with the table itself and needs no side storage. But then every
 * count update is a read-modify-write of live descriptors that a concurrent
 * walker reads, the counter bits must be masked out of every descriptor
 * read, and a validator cannot tell a corrupted count from a corrupted
 * descriptor. The frame metadata already exists for every frame (the
 * checker reads it), costs one cache line touched per call, and keeps the
 * descriptors exactly what the hardware format defines. io-pgtable itself
 * keeps no count and leaks empty tables until a larger unmap or teardown;
 * eager freeing costs one counter update per call and returns memory as
 * soon as it is unused.
 *
 * Ordering and concurrency. Updates of one pgtable are serialized by the
 * caller. A GPU-model walker may read any table at any time, so each
 * descriptor is written with one aligned 8-byte store (a relaxed atomic
 * store: no tearing, no invented stores) and a table descriptor is
 * published with a release store after the table's contents (zero from the
 * allocator, plus the next link of a new chain) are in place. A table is
 * freed only after the descriptor pointing at it has been cleared (and
 * synced). Reads of our own tables on the update path are plain loads: only
 * this thread writes them.
 *
 * Cost (bench/bench_pgtable.c, callgrind against a plain loop storing the
 * same entries, 5.0 instructions per entry): map 5.4 and unmap 4.3
 * instructions per 4 KiB entry, map 5.3 per 2 MiB block, about 85 per
 * iova_to_phys. The loops are 4-way unrolled with independent accumulators
 * because the plain forms (one OR chain, 32-bit indices) cost twice that.
 *
 * Deviations from io-pgtable, on purpose: @iova and @pa must be aligned to
 * @pgsize (io-pgtable masks low bits silently); the whole requested range
 * is checked against ias/oas, not only its start; unmap_pages covers the
 * whole request across tables instead of stopping at the end of one table.
 */
#include "pgtable/pgtable.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "util/u_alloc.h"
#include "util/u_compiler.h"
#include "util/u_err.h"
#include "util/u_log.h"

#define PGT_MOD "pgtable"

/* Geometry of the 4 KiB granule. */
#define ARM_LPAE_MAX_LEVELS      4
#define ARM_LPAE_GRANULE_SHIFT   12
#define ARM_LPAE_BITS_PER_LEVEL  9
#define ARM_LPAE_PTES_PER_TABLE  (1u << ARM_LPAE_BITS_PER_LEVEL)
#define ARM_LPAE_MAX_IAS         48
#define ARM_LPAE_MIN_IAS         16
#define ARM_LPAE_MAX_OAS         48
#define ARM_LPAE_MIN_OAS         32

/* Descriptor bits (reference/mmu-pgtable.md §1.2, §1.3). */
#define ARM_LPAE_PTE_VALID           BIT_ULL(0)
#define ARM_LPAE_PTE_TYPE_MASK       3ull
#define ARM_LPAE_PTE_TYPE_BLOCK      1ull	/* leaf at levels 1-2 */
#define ARM_LPAE_PTE_TYPE_TABLE      3ull	/* next-level table at levels 0-2 */
#define ARM_LPAE_PTE_TYPE_PAGE       3ull	/* leaf at level 3 */
#define ARM_LPAE_PTE_ATTRINDX_SHIFT  2
#define ARM_LPAE_PTE_ATTRINDX_MASK   (7ull << ARM_LPAE_PTE_ATTRINDX_SHIFT)
#define ARM_LPAE_PTE_NS              BIT_ULL(5)
#define ARM_LPAE_PTE_AP_UNPRIV       BIT_ULL(6)
#define ARM_LPAE_PTE_AP_RDONLY       BIT_ULL(7)
#define ARM_LPAE_PTE_SH_SHIFT        8
#define ARM_LPAE_PTE_SH_MASK         (3ull << ARM_LPAE_PTE_SH_SHIFT)
#define ARM_LPAE_PTE_SH_OS           (2ull << ARM_LPAE_PTE_SH_SHIFT)
#define ARM_LPAE_PTE_SH_IS           (3ull << ARM_LPAE_PTE_SH_SHIFT)
#define ARM_LPAE_PTE_AF              BIT_ULL(10)
#define ARM_LPAE_PTE_NG              BIT_ULL(11)
#define ARM_LPAE_PTE_PXN             BIT_ULL(53)
#define ARM_LPAE_PTE_UXN             BIT_ULL(54)
#define ARM_LPAE_PTE_XN              (ARM_LPAE_PTE_PXN | ARM_LPAE_PTE_UXN)
#define ARM_LPAE_PTE_ADDR_MASK       GENMASK_ULL(47, 12)

/* MAIR indices used in AttrIndx (reference §1.5). */
#define ARM_LPAE_MAIR_IDX_NC     0ull
#define ARM_LPAE_MAIR_IDX_CACHE  1ull
#define ARM_LPAE_MAIR_IDX_DEV    2ull

/**
 * struct pgtable - one page table.
 * @cfg: configuration, copied at creation (set once).
 * @root_pa: root table frame (set once).
 * @root: @root_pa in the direct map (set once).
 * @start_level: level of the root table (set once).
 * @stats: counters; updated under the caller's update serialization.
 */
struct pgtable {
	struct pgtable_cfg cfg;
	phys_addr_t root_pa;
	uint64_t *root;
	unsigned int start_level;
	struct pgtable_stats stats;
};

/* ---- level arithmetic ---------------------------------------------------- */

/* VA shift of level @lvl: (4 - lvl) * 9 + 3, i.e. 39, 30, 21, 12. */
static inline unsigned int arm_lpae_lvl_shift(unsigned int lvl)
{
	return (ARM_LPAE_MAX_LEVELS - lvl) * ARM_LPAE_BITS_PER_LEVEL + 3;
}

static inline uint64_t arm_lpae_block_size(unsigned int lvl)
{
	return 1ull << arm_lpae_lvl_shift(lvl);
}

static inline unsigned int arm_lpae_idx(uint64_t iova, unsigned int lvl)
{
	return (unsigned int)(iova >> arm_lpae_lvl_shift(lvl)) & (ARM_LPAE_PTES_PER_TABLE - 1);
}

/* Level whose entries map @pgsize bytes (a power of two 2^(12 + 9k)). */
static inline unsigned int arm_lpae_pgsize_lvl(uint64_t pgsize)
{
	return ARM_LPAE_MAX_LEVELS - 1 -
	       (u_ffs64(pgsize) - ARM_LPAE_GRANULE_SHIFT) / ARM_LPAE_BITS_PER_LEVEL;
}

/* Levels of a walk over @ias bits: ceil((ias - 12) / 9); the root is at 4 - levels. */
static unsigned int arm_lpae_start_level(unsigned int ias)
{
	unsigned int va_bits = ias - ARM_LPAE_GRANULE_SHIFT;
	unsigned int levels = (va_bits + ARM_LPAE_BITS_PER_LEVEL - 1) / ARM_LPAE_BITS_PER_LEVEL;

	return ARM_LPAE_MAX_LEVELS - levels;
}

/* ---- descriptors ------------------------------------------------------- */

static inline bool arm_lpae_pte_valid(uint64_t pte)
{
	return pte & ARM_LPAE_PTE_VALID;
}

static inline bool arm_lpae_pte_is_table(uint64_t pte, unsigned int lvl)
{
	return lvl < ARM_LPAE_MAX_LEVELS - 1 &&
	       (pte & ARM_LPAE_PTE_TYPE_MASK) == ARM_LPAE_PTE_TYPE_TABLE;
}

static inline uint64_t arm_lpae_leaf_type(unsigned int lvl)
{
	return lvl == ARM_LPAE_MAX_LEVELS - 1 ? ARM_LPAE_PTE_TYPE_PAGE : ARM_LPAE_PTE_TYPE_BLOCK;
}

static inline bool arm_lpae_pte_is_leaf(uint64_t pte, unsigned int lvl)
{
	return (pte & ARM_LPAE_PTE_TYPE_MASK) == arm_lpae_leaf_type(lvl);
}

static inline phys_addr_t arm_lpae_pte_pa(uint64_t pte)
{
	return pte & ARM_LPAE_PTE_ADDR_MASK;
}

static inline uint64_t *arm_lpae_table_va(phys_addr_t pa)
{
	return mm_pa_to_virt(pa);
}

/* One aligned 8-byte store that a concurrent walker may read. */
static inline void arm_lpae_pte_store(uint64_t *ptep, uint64_t pte)
{
	__atomic_store_n(ptep, pte, __ATOMIC_RELAXED);
}

/* Publication of a table: its contents are stored before this descriptor. */
static inline void arm_lpae_pte_publish(uint64_t *ptep, uint64_t pte)
{
	__atomic_store_n(ptep, pte, __ATOMIC_RELEASE);
}

/* A descriptor read of lookups and dumps (serialized with updates by the caller; relaxed for the model's benefit only). */
static inline uint64_t arm_lpae_pte_load(const uint64_t *ptep)
{
	return __atomic_load_n(ptep, __ATOMIC_RELAXED);
}

/*
 * The valid-entry count of a table frame lives in its metadata priv word.
 * Only the (serialized) updater writes it; the GPU model's checker may read
 * it at any time, hence relaxed atomic accesses, which cost nothing more
 * than plain ones.
 */
static inline uint64_t arm_lpae_count(phys_addr_t table_pa)
{
	return __atomic_load_n(&mm_frame(table_pa)->priv, __ATOMIC_RELAXED);
}

static inline void arm_lpae_count_set(phys_addr_t table_pa, uint64_t count)
{
	__atomic_store_n(&mm_frame(table_pa)->priv, count, __ATOMIC_RELAXED);
}

/* Add @delta (possibly negative, as two's complement) and return the new count. */
static inline uint64_t arm_lpae_count_add(phys_addr_t table_pa, uint64_t delta)
{
	uint64_t *priv = &mm_frame(table_pa)->priv;
	uint64_t count = __atomic_load_n(priv, __ATOMIC_RELAXED) + delta;

	__atomic_store_n(priv, count, __ATOMIC_RELAXED);
	return count;
}

/*
 * The per-entry loops. They are the whole cost of a large map or unmap, so
 * they are written for the compiler: fixed 4-way unrolling, independent
 * accumulators for the reductions (the loads overlap instead of waiting on
 * one OR chain), independent values for the stores. No calls inside.
 */

/* OR of @n entries: anything valid in the way? */
static inline uint64_t arm_lpae_or_entries(const uint64_t *p, unsigned int n)
{
	const uint64_t *end4 = p + (n & ~3u), *end = p + n;
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;

	for (; p < end4; p += 4) {
		a0 |= p[0];
		a1 |= p[1];
		a2 |= p[2];
		a3 |= p[3];
	}
	for (; p < end; p++)
		a0 |= *p;
	return a0 | a1 | a2 | a3;
}

/* AND of @n entries (all valid?) and, in *@any, their OR (any table?). */
static inline uint64_t arm_lpae_and_or_entries(const uint64_t *p, unsigned int n, uint64_t *any)
{
	const uint64_t *end2 = p + (n & ~1u), *end = p + n;
	uint64_t a0 = ~0ull, a1 = ~0ull, o0 = 0, o1 = 0;

	for (; p < end2; p += 2) {
		a0 &= p[0];
		a1 &= p[1];
		o0 |= p[0];
		o1 |= p[1];
	}
	for (; p < end; p++) {
		a0 &= *p;
		o0 |= *p;
	}
	*any = o0 | o1;
	return a0 & a1;
}

/* AND of @n entries: all valid? */
static inline uint64_t arm_lpae_and_entries(const uint64_t *p, unsigned int n)
{
	const uint64_t *end4 = p + (n & ~3u), *end = p + n;
	uint64_t a0 = ~0ull, a1 = ~0ull, a2 = ~0ull, a3 = ~0ull;

	for (; p < end4; p += 4) {
		a0 &= p[0];
		a1 &= p[1];
		a2 &= p[2];
		a3 &= p[3];
	}
	for (; p < end; p++)
		a0 &= *p;
	return a0 & a1 & a2 & a3;
}

/* Store @n leaves @pte, @pte + @step, ... (one 8-byte store each). */
static inline void arm_lpae_fill_leaves(uint64_t *p, unsigned int n, uint64_t pte, uint64_t step)
{
	const uint64_t step2 = 2 * step, step3 = 3 * step, step4 = 4 * step;
	uint64_t *end4 = p + (n & ~3u), *end = p + n;

	for (; p < end4; p += 4) {
		arm_lpae_pte_store(&p[0], pte);
		arm_lpae_pte_store(&p[1], pte + step);
		arm_lpae_pte_store(&p[2], pte + step2);
		arm_lpae_pte_store(&p[3], pte + step3);
		pte += step4;
	}
	for (; p < end; p++) {
		arm_lpae_pte_store(p, pte);
		pte += step;
	}
}

/* Store zero into @n entries. */
static inline void arm_lpae_clear_entries(uint64_t *p, unsigned int n)
{
	uint64_t *end4 = p + (n & ~3u), *end = p + n;

	for (; p < end4; p += 4) {
		arm_lpae_pte_store(&p[0], 0);
		arm_lpae_pte_store(&p[1], 0);
		arm_lpae_pte_store(&p[2], 0);
		arm_lpae_pte_store(&p[3], 0);
	}
	for (; p < end; p++)
		arm_lpae_pte_store(p, 0);
}

/* io-pgtable's arm_lpae_prot_to_pte() for the S1 format, leaf type excluded. */
static uint64_t arm_lpae_prot_to_pte(unsigned int prot)
{
	uint64_t pte = ARM_LPAE_PTE_NG | ARM_LPAE_PTE_AF;

	if ((prot & (PGTABLE_PROT_READ | PGTABLE_PROT_WRITE)) == PGTABLE_PROT_READ)
		pte |= ARM_LPAE_PTE_AP_RDONLY;
	if (!(prot & PGTABLE_PROT_PRIV))
		pte |= ARM_LPAE_PTE_AP_UNPRIV;
	if (prot & PGTABLE_PROT_MMIO)
		pte |= ARM_LPAE_MAIR_IDX_DEV << ARM_LPAE_PTE_ATTRINDX_SHIFT;
	else if (prot & PGTABLE_PROT_CACHE)
		pte |= ARM_LPAE_MAIR_IDX_CACHE << ARM_LPAE_PTE_ATTRINDX_SHIFT;
	pte |= (prot & PGTABLE_PROT_CACHE) ? ARM_LPAE_PTE_SH_IS : ARM_LPAE_PTE_SH_OS;
	if (prot & PGTABLE_PROT_NOEXEC)
		pte |= ARM_LPAE_PTE_XN;
	return pte;
}

/* ---- table allocation, sync ---------------------------------------------- */

static int arm_lpae_alloc_table(struct pgtable *pt, phys_addr_t *pa)
{
	phys_addr_t new_pa;
	int ret;

	ret = pt->cfg.ops->alloc_table(pt->cfg.cookie, &new_pa);
	if (ret)
		return ret < 0 ? ret : -ENOMEM;
	U_ASSERT(mm_pa_valid(new_pa) && U_IS_ALIGNED(new_pa, MM_PAGE_SIZE));
	arm_lpae_count_set(new_pa, 0);
	pt->stats.tables_allocated++;
	*pa = new_pa;
	return 0;
}

static void arm_lpae_free_table(struct pgtable *pt, phys_addr_t pa)
{
	pt->stats.tables_freed++;
	pt->cfg.ops->free_table(pt->cfg.cookie, pa);
}

/* Make @n descriptors at @ptep visible to a non-coherent walker: one batch. */
static inline void arm_lpae_sync(struct pgtable *pt, uint64_t *ptep, unsigned int n)
{
	if (likely(pt->cfg.coherent_walk) || !n)
		return;
	pt->stats.syncs++;
	if (pt->cfg.ops->sync)
		pt->cfg.ops->sync(pt->cfg.cookie, mm_virt_to_pa(ptep), (size_t)n * sizeof(*ptep));
}

/*
 * Free the table at @pa (level @lvl) and every table below it. The entry
 * pointing at it is already cleared and synced. Bounded recursion: at most
 * two levels below the table (level 3 tables hold no tables).
 */
static void arm_lpae_free_subtree(struct pgtable *pt, phys_addr_t pa, unsigned int lvl)
{
	if (lvl < ARM_LPAE_MAX_LEVELS - 1) {
		const uint64_t *tbl = arm_lpae_table_va(pa);
		uint64_t left = arm_lpae_count(pa);

		for (unsigned int i = 0; i < ARM_LPAE_PTES_PER_TABLE && left; i++) {
			uint64_t pte = tbl[i];

			if (!arm_lpae_pte_valid(pte))
				continue;
			left--;
			if (arm_lpae_pte_is_table(pte, lvl))
				arm_lpae_free_subtree(pt, arm_lpae_pte_pa(pte), lvl + 1);
		}
	}
	arm_lpae_free_table(pt, pa);
}

/* ---- the walker ---------------------------------------------------------- */

/**
 * enum arm_lpae_walk_action - what a visitor asks of arm_lpae_walk().
 * @ARM_LPAE_WALK_NEXT: go on with the next entry at this level (or above).
 * @ARM_LPAE_WALK_DESCEND: if the entry is a table, visit its entries next.
 * @ARM_LPAE_WALK_STOP: end the walk.
 */
enum arm_lpae_walk_action {
	ARM_LPAE_WALK_NEXT,
	ARM_LPAE_WALK_DESCEND,
	ARM_LPAE_WALK_STOP,
};

/*
 * arm_lpae_visit_fn - called for each entry of the walk, in address order,
 * a table entry before the entries of its table.
 * @arg: the walker's @arg.
 * @lvl: level of the entry.
 * @iova: an address the entry translates (the walk's start or the first
 *        address of the entry).
 * @ptep: the entry.
 * @pte: its value, loaded once.
 */
typedef enum arm_lpae_walk_action (*arm_lpae_visit_fn)(void *arg, unsigned int lvl,
							uint64_t iova, uint64_t *ptep,
							uint64_t pte);

/*
 * Visit the entries covering [@start, @end) (@end <= 2^ias, > @start),
 * iteratively: @tbl[] holds the table of each level on the current path and
 * a level is popped when the address crosses its table's end. Always
 * inlined with a constant @visit, so each user gets its own loop with the
 * visitor folded in (lookup is then a straight loop of dependent loads).
 */
static U_ALWAYS_INLINE void arm_lpae_walk(const struct pgtable *pt, uint64_t start,
					  uint64_t end, arm_lpae_visit_fn visit, void *arg)
{
	/*
	 * The table being read stays in @cur (a register): the descent is a
	 * chain of dependent loads and must not go through the stack. @up[]
	 * only remembers the tables to return to. The direct-map base is read
	 * once: the visitor's stores could alias the global.
	 */
	uint8_t *const dmap = mm_pa_to_virt(MM_PA_BASE);
	const unsigned int start_level = pt->start_level;
	unsigned int lvl = start_level, shift = arm_lpae_lvl_shift(lvl);
	uint64_t *up[ARM_LPAE_MAX_LEVELS];
	uint64_t *cur = pt->root;
	uint64_t iova = start;

	for (;;) {
		uint64_t *ptep = cur + ((iova >> shift) & (ARM_LPAE_PTES_PER_TABLE - 1));
		uint64_t pte = arm_lpae_pte_load(ptep);
		enum arm_lpae_walk_action act = visit(arg, lvl, iova, ptep, pte);

		/* Descending is the hot path (every level of a lookup): keep it the fall-through. */
		if (likely(act == ARM_LPAE_WALK_DESCEND && arm_lpae_pte_is_table(pte, lvl))) {
			up[lvl] = cur;
			lvl++;
			shift -= ARM_LPAE_BITS_PER_LEVEL;
			cur = (uint64_t *)(dmap + (arm_lpae_pte_pa(pte) - MM_PA_BASE));
			continue;
		}
		if (act == ARM_LPAE_WALK_STOP)
			return;
		iova = (iova | ((1ull << shift) - 1)) + 1;
		if (iova >= end)
			return;
		while (lvl > start_level && !((iova >> shift) & (ARM_LPAE_PTES_PER_TABLE - 1))) {
			cur = up[--lvl];
			shift += ARM_LPAE_BITS_PER_LEVEL;
		}
	}
}

/* ---- creation, destruction ---------------------------------------------- */

struct pgtable *pgtable_create(const struct pgtable_cfg *cfg)
{
	struct pgtable *pt;
	unsigned int start;
	int ret;

	if (!cfg || !cfg->ops || !cfg->ops->alloc_table || !cfg->ops->free_table) {
		u_err(PGT_MOD, "create: missing configuration or alloc/free ops");
		return ERR_PTR(-EINVAL);
	}
	if (cfg->ias < ARM_LPAE_MIN_IAS || cfg->ias > ARM_LPAE_MAX_IAS ||
	    cfg->oas < ARM_LPAE_MIN_OAS || cfg->oas > ARM_LPAE_MAX_OAS) {
		u_err(PGT_MOD, "create: ias %u / oas %u outside %u..%u / %u..%u", cfg->ias,
		      cfg->oas, ARM_LPAE_MIN_IAS, ARM_LPAE_MAX_IAS, ARM_LPAE_MIN_OAS,
		      ARM_LPAE_MAX_OAS);
		return ERR_PTR(-EINVAL);
	}
	start = arm_lpae_start_level(cfg->ias);
	if (!(cfg->pgsize_bitmap & SZ_4K) || (cfg->pgsize_bitmap & ~PGTABLE_PGSIZE_ALL)) {
		u_err(PGT_MOD, "create: pgsize bitmap 0x%" PRIx64 " must hold 4K and only 4K/2M/1G",
		      cfg->pgsize_bitmap);
		return ERR_PTR(-EINVAL);
	}
	if (((cfg->pgsize_bitmap & SZ_1G) && start > 1) ||
	    ((cfg->pgsize_bitmap & SZ_2M) && start > 2)) {
		u_err(PGT_MOD, "create: a block size of 0x%" PRIx64 " is above the root (ias %u)",
		      cfg->pgsize_bitmap, cfg->ias);
		return ERR_PTR(-EINVAL);
	}

	pt = u_zalloc(sizeof(*pt));
	if (!pt)
		return ERR_PTR(-ENOMEM);
	pt->cfg = *cfg;
	pt->start_level = start;
	ret = arm_lpae_alloc_table(pt, &pt->root_pa);
	if (ret)
		goto err_free_pt;
	pt->root = arm_lpae_table_va(pt->root_pa);
	return pt;

err_free_pt:
	u_free(pt);
	return ERR_PTR(ret);
}

void pgtable_destroy(struct pgtable *pt)
{
	if (!pt)
		return;
	arm_lpae_free_subtree(pt, pt->root_pa, pt->start_level);
	u_free(pt);
}

phys_addr_t pgtable_root_pa(const struct pgtable *pt)
{
	return pt->root_pa;
}

unsigned int pgtable_start_level(const struct pgtable *pt)
{
	return pt->start_level;
}

void pgtable_get_stats(const struct pgtable *pt, struct pgtable_stats *st)
{
	*st = pt->stats;
	st->tables_live = pt->stats.tables_allocated - pt->stats.tables_freed;
}

/* ---- map ----------------------------------------------------------------- */

static bool arm_lpae_pgsize_ok(const struct pgtable *pt, uint64_t pgsize)
{
	return u_is_power_of_2(pgsize) && (pgsize & pt->cfg.pgsize_bitmap);
}

/* True when [@addr, @addr + @count * @size) does not fit in @bits bits (@size a power of 2). */
static inline bool arm_lpae_out_of_range(uint64_t addr, uint64_t size, uint64_t count,
					 unsigned int bits)
{
	unsigned int shift = u_ffs64(size);

	return shift > bits || count > (1ull << (bits - shift)) ||
	       addr > (1ull << bits) - (count << shift);
}

/*
 * The table descriptor at @parent[idx(@iova, @lvl)] is empty: allocate the
 * tables of levels @lvl + 1 .. @leaf_lvl, link them privately, then publish
 * the top one. Return: 0 with *@leaf_pa set, or the allocator's errno with
 * nothing published and nothing kept.
 */
static int arm_lpae_install_chain(struct pgtable *pt, phys_addr_t parent_pa, unsigned int lvl,
				  unsigned int leaf_lvl, uint64_t iova, phys_addr_t *leaf_pa)
{
	phys_addr_t chain[ARM_LPAE_MAX_LEVELS];
	unsigned int nr = leaf_lvl - lvl, j;
	uint64_t *ptep;
	int ret;

	for (j = 0; j < nr; j++) {
		ret = arm_lpae_alloc_table(pt, &chain[j]);
		if (ret)
			goto err_free;
	}
	/* Nothing can fail after this. chain[j] is the table of level lvl + 1 + j. */
	for (j = 0; j + 1 < nr; j++) {
		ptep = arm_lpae_table_va(chain[j]) + arm_lpae_idx(iova, lvl + 1 + j);
		arm_lpae_pte_store(ptep, chain[j + 1] | ARM_LPAE_PTE_TYPE_TABLE);
		arm_lpae_count_set(chain[j], 1);
		arm_lpae_sync(pt, ptep, 1);
	}
	ptep = arm_lpae_table_va(parent_pa) + arm_lpae_idx(iova, lvl);
	arm_lpae_pte_publish(ptep, chain[0] | ARM_LPAE_PTE_TYPE_TABLE);
	arm_lpae_count_add(parent_pa, 1);
	arm_lpae_sync(pt, ptep, 1);
	*leaf_pa = chain[nr - 1];
	return 0;

err_free:
	while (j--)
		arm_lpae_free_table(pt, chain[j]);
	return ret;
}

static int arm_lpae_eexist(struct pgtable *pt, uint64_t iova, unsigned int lvl, uint64_t pte)
{
	if (!pt->cfg.no_warn)
		u_warn(PGT_MOD, "map: 0x%" PRIx64 " already mapped at level %u (pte 0x%016" PRIx64 ")",
		       iova, lvl, pte);
	return -EEXIST;
}

/*
 * Some of the @n target entries at @ptep (level @lvl, table @tbl_pa) are
 * valid: -EEXIST for a leaf or a table holding something; empty tables in
 * the way of a block are unhooked and freed (io-pgtable would replace them
 * too; with eager freeing only a foreign hand can leave one).
 */
static int arm_lpae_map_clear_way(struct pgtable *pt, phys_addr_t tbl_pa, uint64_t *ptep,
				  unsigned int n, unsigned int lvl, uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t pte = ptep[i];

		if (!arm_lpae_pte_valid(pte))
			continue;
		if (!arm_lpae_pte_is_table(pte, lvl) || arm_lpae_count(arm_lpae_pte_pa(pte)))
			return arm_lpae_eexist(pt, iova + i * arm_lpae_block_size(lvl), lvl, pte);
	}
	for (i = 0; i < n; i++) {
		uint64_t pte = ptep[i];

		if (!arm_lpae_pte_valid(pte))
			continue;
		arm_lpae_pte_store(&ptep[i], 0);
		arm_lpae_sync(pt, &ptep[i], 1);
		arm_lpae_count_add(tbl_pa, -1ull);
		arm_lpae_free_table(pt, arm_lpae_pte_pa(pte));
	}
	return 0;
}

/*
 * The body of pgtable_map_pages() and pgtable_map_pages_repeat(): leaf i
 * maps @pa + i * @pa_step (@pa_step is @pgsize or 0).
 */
static inline int arm_lpae_map(struct pgtable *pt, uint64_t iova, phys_addr_t pa, uint64_t pgsize,
			       uint64_t pgcount, unsigned int prot, uint64_t *mapped,
			       uint64_t pa_step)
{
	unsigned int leaf_lvl, lvl, idx, n;
	phys_addr_t tbl_pa;
	uint64_t *ptep, pte;
	int ret;

	if (unlikely(!arm_lpae_pgsize_ok(pt, pgsize) || !pgcount))
		return -EINVAL;
	if (unlikely(arm_lpae_out_of_range(iova, pgsize, pgcount, pt->cfg.ias) ||
		     arm_lpae_out_of_range(pa, pgsize, pa_step ? pgcount : 1, pt->cfg.oas)))
		return -ERANGE;
	if (unlikely(!(prot & (PGTABLE_PROT_READ | PGTABLE_PROT_WRITE)) ||
		     ((iova | pa) & (pgsize - 1))))
		return -EINVAL;

	leaf_lvl = arm_lpae_pgsize_lvl(pgsize);
	lvl = pt->start_level;
	tbl_pa = pt->root_pa;
	for (; lvl < leaf_lvl; lvl++) {
		pte = arm_lpae_table_va(tbl_pa)[arm_lpae_idx(iova, lvl)];
		if (!arm_lpae_pte_valid(pte))
			break;
		if (unlikely(!arm_lpae_pte_is_table(pte, lvl)))
			return arm_lpae_eexist(pt, iova, lvl, pte);
		tbl_pa = arm_lpae_pte_pa(pte);
	}
	if (unlikely(lvl < leaf_lvl)) {
		ret = arm_lpae_install_chain(pt, tbl_pa, lvl, leaf_lvl, iova, &tbl_pa);
		if (ret)
			return ret;
	}

	idx = arm_lpae_idx(iova, leaf_lvl);
	n = (unsigned int)u_min(pgcount, (uint64_t)(ARM_LPAE_PTES_PER_TABLE - idx));
	ptep = arm_lpae_table_va(tbl_pa) + idx;

	/* Check first, so a refused call changes nothing. */
	if (unlikely(arm_lpae_or_entries(ptep, n) & ARM_LPAE_PTE_VALID)) {
		ret = arm_lpae_map_clear_way(pt, tbl_pa, ptep, n, leaf_lvl, iova);
		if (ret)
			return ret;
	}

	arm_lpae_fill_leaves(ptep, n, arm_lpae_prot_to_pte(prot) | arm_lpae_leaf_type(leaf_lvl) | pa,
			     pa_step);
	arm_lpae_count_add(tbl_pa, n);
	arm_lpae_sync(pt, ptep, n);
	/*
	 * No barrier here (io-pgtable's final wmb()): the caller's next release
	 * operation, the register write that unlocks the region or a lock
	 * release, orders these stores before anything it publishes.
	 */
	*mapped += (uint64_t)n * pgsize;
	return 0;
}

int pgtable_map_pages(struct pgtable *pt, uint64_t iova, phys_addr_t pa, uint64_t pgsize,
		      uint64_t pgcount, unsigned int prot, uint64_t *mapped)
{
	return arm_lpae_map(pt, iova, pa, pgsize, pgcount, prot, mapped, pgsize);
}

int pgtable_map_pages_repeat(struct pgtable *pt, uint64_t iova, phys_addr_t pa, uint64_t pgsize,
			     uint64_t pgcount, unsigned int prot, uint64_t *mapped)
{
	return arm_lpae_map(pt, iova, pa, pgsize, pgcount, prot, mapped, 0);
}

/* ---- unmap --------------------------------------------------------------- */

/*
 * Clear the run of valid entries at the start of @ptep[0..@n) (level @lvl):
 * leaves, or tables whose subtrees are freed once their entry is cleared
 * and synced. Return: the number of entries cleared (stops at a hole).
 */
static unsigned int arm_lpae_clear_run(struct pgtable *pt, uint64_t *ptep, unsigned int n,
				       unsigned int lvl)
{
	unsigned int i, k, run;
	bool all_leaves;

	if (lvl == ARM_LPAE_MAX_LEVELS - 1) {
		/* Level 3 holds only pages. */
		all_leaves = arm_lpae_and_entries(ptep, n) & ARM_LPAE_PTE_VALID;
	} else {
		/* Blocks are 01, tables 11: bit 1 set anywhere means a table. */
		uint64_t any, all = arm_lpae_and_or_entries(ptep, n, &any);

		all_leaves = (all & ARM_LPAE_PTE_VALID) &&
			     !(any & (ARM_LPAE_PTE_TYPE_TABLE ^ ARM_LPAE_PTE_TYPE_BLOCK));
	}
	if (likely(all_leaves)) {
		arm_lpae_clear_entries(ptep, n);
		arm_lpae_sync(pt, ptep, n);
		return n;
	}

	for (k = 0; k < n && arm_lpae_pte_valid(ptep[k]); k++)
		;
	run = 0;
	for (i = 0; i < k; i++) {
		uint64_t pte = ptep[i];

		arm_lpae_pte_store(&ptep[i], 0);
		if (arm_lpae_pte_is_table(pte, lvl)) {
			arm_lpae_sync(pt, ptep + run, i + 1 - run);
			run = i + 1;
			arm_lpae_free_subtree(pt, arm_lpae_pte_pa(pte), lvl + 1);
		}
	}
	arm_lpae_sync(pt, ptep + run, k - run);
	return k;
}

uint64_t pgtable_unmap_pages(struct pgtable *pt, uint64_t iova, uint64_t pgsize,
			     uint64_t pgcount)
{
	phys_addr_t path_pa[ARM_LPAE_MAX_LEVELS];
	uint64_t *path_ptep[ARM_LPAE_MAX_LEVELS];
	unsigned int leaf_lvl;
	uint64_t done = 0;

	if (unlikely(!arm_lpae_pgsize_ok(pt, pgsize) || !pgcount ||
		     (iova & (pgsize - 1)) ||
		     arm_lpae_out_of_range(iova, pgsize, pgcount, pt->cfg.ias)))
		return 0;

	leaf_lvl = arm_lpae_pgsize_lvl(pgsize);
	while (done < pgcount) {
		unsigned int lvl = pt->start_level, n, k;
		phys_addr_t tbl_pa = pt->root_pa;
		uint64_t *ptep, left;

		for (;;) {
			uint64_t pte;

			ptep = arm_lpae_table_va(tbl_pa) + arm_lpae_idx(iova, lvl);
			if (lvl == leaf_lvl)
				break;
			pte = *ptep;
			if (!arm_lpae_pte_valid(pte))
				goto hole;
			if (unlikely(!arm_lpae_pte_is_table(pte, lvl))) {
				if (!pt->cfg.no_warn)
					u_warn(PGT_MOD, "unmap: partial unmap of a level %u block at 0x%" PRIx64
					       " not allowed", lvl, iova);
				return done * pgsize;
			}
			path_pa[lvl] = tbl_pa;
			path_ptep[lvl] = ptep;
			tbl_pa = arm_lpae_pte_pa(pte);
			lvl++;
		}

		n = (unsigned int)u_min(pgcount - done,
					(uint64_t)(ARM_LPAE_PTES_PER_TABLE - arm_lpae_idx(iova, lvl)));
		k = arm_lpae_clear_run(pt, ptep, n, lvl);
		if (!k)
			goto hole;
		left = arm_lpae_count_add(tbl_pa, -(uint64_t)k);
		/* Free tables as they become empty, upwards; never the root. */
		while (!left && lvl > pt->start_level) {
			lvl--;
			arm_lpae_pte_store(path_ptep[lvl], 0);
			arm_lpae_sync(pt, path_ptep[lvl], 1);
			arm_lpae_free_table(pt, tbl_pa);
			tbl_pa = path_pa[lvl];
			left = arm_lpae_count_add(tbl_pa, -1ull);
		}
		done += k;
		iova += k * pgsize;
		if (k < n)
			break;
	}
	return done * pgsize;

hole:
	if (!done && !pt->cfg.no_warn)
		u_warn(PGT_MOD, "unmap: nothing mapped at 0x%" PRIx64, iova);
	return done * pgsize;
}

/* ---- lookup -------------------------------------------------------------- */

struct arm_lpae_lookup {
	uint64_t pte;
	unsigned int lvl;
};

static enum arm_lpae_walk_action arm_lpae_lookup_visit(void *arg, unsigned int lvl,
							uint64_t iova, uint64_t *ptep,
							uint64_t pte)
{
	struct arm_lpae_lookup *l = arg;

	if (arm_lpae_pte_is_table(pte, lvl))
		return ARM_LPAE_WALK_DESCEND;
	l->pte = pte;
	l->lvl = lvl;
	return ARM_LPAE_WALK_STOP;
}

/* The leaf for @iova: Return: its descriptor (level in *@lvl), or 0. */
static U_ALWAYS_INLINE uint64_t arm_lpae_lookup(struct pgtable *pt, uint64_t iova,
						unsigned int *lvl)
{
	struct arm_lpae_lookup l;

	if (unlikely(iova >> pt->cfg.ias))
		return 0;
	arm_lpae_walk(pt, iova, iova + 1, arm_lpae_lookup_visit, &l);
	/*
	 * The walk stopped at a non-table entry: above level 3 a valid one is
	 * a block (01); at level 3 only 11 is a page (01 is reserved there).
	 */
	if (!arm_lpae_pte_valid(l.pte) ||
	    (l.lvl == ARM_LPAE_MAX_LEVELS - 1 && !arm_lpae_pte_is_leaf(l.pte, l.lvl)))
		return 0;
	*lvl = l.lvl;
	return l.pte;
}

phys_addr_t pgtable_iova_to_phys(struct pgtable *pt, uint64_t iova)
{
	unsigned int lvl;
	uint64_t pte = arm_lpae_lookup(pt, iova, &lvl);

	if (!pte)
		return 0;
	return arm_lpae_pte_pa(pte) | (iova & (arm_lpae_block_size(lvl) - 1));
}

int pgtable_lookup(struct pgtable *pt, uint64_t iova, struct pgtable_leaf *leaf)
{
	unsigned int lvl;
	uint64_t pte = arm_lpae_lookup(pt, iova, &lvl);

	if (!pte)
		return -ENOENT;
	leaf->pte = pte;
	leaf->level = lvl;
	leaf->size = arm_lpae_block_size(lvl);
	leaf->iova = iova & ~(leaf->size - 1);
	leaf->pa = arm_lpae_pte_pa(pte);
	return 0;
}

/* ---- dump ---------------------------------------------------------------- */

struct arm_lpae_dump {
	pgtable_print_fn print;
	void *arg;
};

static const char *arm_lpae_size_name(unsigned int lvl)
{
	static const char *const names[ARM_LPAE_MAX_LEVELS] = { "512G", "1G", "2M", "4K" };

	return names[lvl];
}

static void arm_lpae_dump_table(struct arm_lpae_dump *d, unsigned int lvl, phys_addr_t pa)
{
	char line[128];

	snprintf(line, sizeof(line), "%*sL%u table @0x%" PRIx64 ", %" PRIu64 " valid",
		 (int)lvl * 2, "", lvl, pa, arm_lpae_count(pa));
	d->print(d->arg, line);
}

static enum arm_lpae_walk_action arm_lpae_dump_visit(void *arg, unsigned int lvl, uint64_t iova,
						      uint64_t *ptep, uint64_t pte)
{
	struct arm_lpae_dump *d = arg;
	uint64_t size = arm_lpae_block_size(lvl);
	unsigned int attr;
	char line[224];

	if (!arm_lpae_pte_valid(pte))
		return ARM_LPAE_WALK_NEXT;
	if (arm_lpae_pte_is_table(pte, lvl)) {
		arm_lpae_dump_table(d, lvl + 1, arm_lpae_pte_pa(pte));
		return ARM_LPAE_WALK_DESCEND;
	}
	iova &= ~(size - 1);
	attr = (unsigned int)((pte & ARM_LPAE_PTE_ATTRINDX_MASK) >> ARM_LPAE_PTE_ATTRINDX_SHIFT);
	snprintf(line, sizeof(line),
		 "%*s0x%012" PRIx64 "-0x%012" PRIx64 " -> 0x%" PRIx64 " %s%s %s %s %s%s%s pte 0x%016" PRIx64,
		 (int)lvl * 2 + 2, "", iova, iova + size, arm_lpae_pte_pa(pte),
		 arm_lpae_size_name(lvl), arm_lpae_pte_is_leaf(pte, lvl) ? "" : "(bad type)",
		 (pte & ARM_LPAE_PTE_AP_RDONLY) ? "RO" : "RW",
		 attr == ARM_LPAE_MAIR_IDX_CACHE ? "cached" :
		 attr == ARM_LPAE_MAIR_IDX_DEV ? "device" : attr == ARM_LPAE_MAIR_IDX_NC ? "uncached" : "attr?",
		 (pte & ARM_LPAE_PTE_XN) ? "XN" : "X",
		 (pte & ARM_LPAE_PTE_AP_UNPRIV) ? "" : " priv", (pte & ARM_LPAE_PTE_AF) ? "" : " !AF",
		 pte);
	d->print(d->arg, line);
	return ARM_LPAE_WALK_NEXT;
}

void pgtable_dump(struct pgtable *pt, uint64_t start, uint64_t end, pgtable_print_fn print,
		  void *arg)
{
	struct arm_lpae_dump d = { .print = print, .arg = arg };
	uint64_t limit = 1ull << pt->cfg.ias;

	if (!end || end > limit)
		end = limit;
	arm_lpae_dump_table(&d, pt->start_level, pt->root_pa);
	if (start < end)
		arm_lpae_walk(pt, start, end, arm_lpae_dump_visit, &d);
}

/* ---- leaf walk ------------------------------------------------------------ */

struct arm_lpae_leaves {
	pgtable_leaf_fn fn;
	void *arg;
	int ret;
};

static enum arm_lpae_walk_action arm_lpae_leaf_visit(void *arg, unsigned int lvl, uint64_t iova,
						     uint64_t *ptep, uint64_t pte)
{
	struct arm_lpae_leaves *w = arg;
	struct pgtable_leaf leaf;

	if (!arm_lpae_pte_valid(pte))
		return ARM_LPAE_WALK_NEXT;
	if (arm_lpae_pte_is_table(pte, lvl))
		return ARM_LPAE_WALK_DESCEND;
	leaf.pte = pte;
	leaf.level = lvl;
	leaf.size = arm_lpae_block_size(lvl);
	leaf.iova = iova & ~(leaf.size - 1);
	leaf.pa = arm_lpae_pte_pa(pte);
	w->ret = w->fn(w->arg, &leaf);
	return w->ret ? ARM_LPAE_WALK_STOP : ARM_LPAE_WALK_NEXT;
}

int pgtable_for_each_leaf(struct pgtable *pt, pgtable_leaf_fn fn, void *arg)
{
	struct arm_lpae_leaves w = { .fn = fn, .arg = arg };

	arm_lpae_walk(pt, 0, 1ull << pt->cfg.ias, arm_lpae_leaf_visit, &w);
	return w.ret;
}

/* ---- validation ---------------------------------------------------------- */

struct arm_lpae_validate {
	const struct pgtable *pt;
	uint64_t tables;	/* tables reached, root included */
	int ret;
};

static enum arm_lpae_walk_action arm_lpae_bad(struct arm_lpae_validate *v, unsigned int lvl,
					      uint64_t iova, uint64_t *ptep, uint64_t pte,
					      const char *what)
{
	u_err(PGT_MOD, "validate: %s: level %u entry for 0x%" PRIx64 " (table 0x%" PRIx64
	      " index %u) = 0x%016" PRIx64, what, lvl, iova,
	      (uint64_t)(mm_virt_to_pa(ptep) & ~(MM_PAGE_SIZE - 1)), arm_lpae_idx(iova, lvl), pte);
	v->ret = -EUCLEAN;
	return ARM_LPAE_WALK_STOP;
}

/* The frame at @pa must be a live table whose count matches its contents. */
static const char *arm_lpae_check_table(phys_addr_t pa, bool root)
{
	const struct mm_frame *f;
	const uint64_t *tbl;
	uint64_t valid = 0;

	if (!U_IS_ALIGNED(pa, MM_PAGE_SIZE) || !mm_pa_valid(pa))
		return "table address outside the arena";
	f = mm_frame(pa);
	if (f->state != MM_FRAME_ALLOCATED)
		return "table frame is not allocated";
	if (f->owner_kind != MM_OWNER_PGTABLE)
		return "table frame is not owned by MM_OWNER_PGTABLE";
	tbl = arm_lpae_table_va(pa);
	for (unsigned int i = 0; i < ARM_LPAE_PTES_PER_TABLE; i++)
		valid += arm_lpae_pte_valid(tbl[i]);
	if (valid != f->priv)
		return "valid-entry count in frame priv differs from the table's valid entries";
	if (!valid && !root)
		return "empty non-root table";
	return NULL;
}

static enum arm_lpae_walk_action arm_lpae_validate_visit(void *arg, unsigned int lvl,
							  uint64_t iova, uint64_t *ptep,
							  uint64_t pte)
{
	struct arm_lpae_validate *v = arg;
	const struct pgtable *pt = v->pt;
	uint64_t size = arm_lpae_block_size(lvl);
	const char *why;

	if (!arm_lpae_pte_valid(pte)) {
		if (pte)
			return arm_lpae_bad(v, lvl, iova, ptep, pte, "invalid entry is not zero");
		return ARM_LPAE_WALK_NEXT;
	}
	if (arm_lpae_pte_is_table(pte, lvl)) {
		if (pte & ~(ARM_LPAE_PTE_ADDR_MASK | ARM_LPAE_PTE_TYPE_MASK))
			return arm_lpae_bad(v, lvl, iova, ptep, pte, "table descriptor has attribute bits");
		why = arm_lpae_check_table(arm_lpae_pte_pa(pte), false);
		if (why)
			return arm_lpae_bad(v, lvl, iova, ptep, pte, why);
		v->tables++;
		return ARM_LPAE_WALK_DESCEND;
	}
	if (!arm_lpae_pte_is_leaf(pte, lvl))
		return arm_lpae_bad(v, lvl, iova, ptep, pte, "block descriptor (type 1) at level 3");
	if (lvl == 0 || !(size & pt->cfg.pgsize_bitmap))
		return arm_lpae_bad(v, lvl, iova, ptep, pte, "leaf of a size outside the pgsize bitmap");
	if (arm_lpae_pte_pa(pte) & (size - 1))
		return arm_lpae_bad(v, lvl, iova, ptep, pte, "leaf output address not aligned to its size");
	if (arm_lpae_pte_pa(pte) + size > (1ull << pt->cfg.oas))
		return arm_lpae_bad(v, lvl, iova, ptep, pte, "leaf output address beyond oas");
	return ARM_LPAE_WALK_NEXT;
}

int pgtable_validate(struct pgtable *pt)
{
	struct arm_lpae_validate v = { .pt = pt, .tables = 1, .ret = 0 };
	unsigned int lvl = pt->start_level;
	uint64_t span = arm_lpae_block_size(lvl) * ARM_LPAE_PTES_PER_TABLE;
	const char *why;

	why = arm_lpae_check_table(pt->root_pa, true);
	if (why) {
		u_err(PGT_MOD, "validate: root table 0x%" PRIx64 ": %s", pt->root_pa, why);
		return -EUCLEAN;
	}
	/* Root entries beyond ias (a root of fewer than 512 useful entries) must be empty. */
	for (uint64_t iova = 1ull << pt->cfg.ias; iova < span; iova += arm_lpae_block_size(lvl)) {
		uint64_t pte = pt->root[arm_lpae_idx(iova, lvl)];

		if (pte) {
			arm_lpae_bad(&v, lvl, iova, &pt->root[arm_lpae_idx(iova, lvl)], pte,
				     "root entry beyond ias");
			return v.ret;
		}
	}
	arm_lpae_walk(pt, 0, 1ull << pt->cfg.ias, arm_lpae_validate_visit, &v);
	if (v.ret)
		return v.ret;
	if (v.tables != pt->stats.tables_allocated - pt->stats.tables_freed) {
		u_err(PGT_MOD, "validate: %" PRIu64 " tables reachable, %" PRIu64 " allocated and not freed",
		      v.tables, pt->stats.tables_allocated - pt->stats.tables_freed);
		return -EUCLEAN;
	}
	return 0;
}
