// SPDX-License-Identifier: MIT
/*
 * DOC: benchmark suite "pgtable"
 *
 * What is measured (48-bit VA, 4K|2M page sizes, coherent walk, tables from
 * an mm budget with MM_GFP_ZERO, as the driver will configure it). Every
 * number is the best (lowest) of --repeat repetitions.
 *
 *  map_4k       1 GiB of 4 KiB pages into L3 tables that already exist, one
 *               map_pages call per 2 MiB region (chunked to the next 2 MiB
 *               boundary, as panthor does). Our tables are freed as soon as
 *               they are empty, so each 2 MiB region keeps one sentinel page
 *               mapped at its first 4 KiB, outside the measured set: the
 *               measured set is the other 511 pages of each of the 512
 *               regions (261,632 entries). ns per entry.
 *  unmap_4k     the same pages unmapped, same chunking; the tables stay (the
 *               sentinels hold them). ns per entry.
 *  map_4k_fresh 1 GiB of 4 KiB pages into empty space: every call also
 *               allocates (and the allocator zeroes) its L3 table, and the
 *               first one the L2 table (262,144 entries, 513 tables).
 *  unmap_4k_free that 1 GiB unmapped with the same chunking: each call also
 *               unhooks and frees the L3 table it emptied.
 *  map_2m       2 MiB blocks into L2 tables that exist: 32 regions of 1 GiB,
 *               each with a sentinel page in its first 2 MiB slot, so 511
 *               blocks per GiB in one call each (16,352 entries); 32 GiB so
 *               one timing spans enough work to dwarf the clock's cost.
 *  unmap_2m     those blocks unmapped, one call per GiB.
 *  map_unmap_random_4k  pairs of (map one 4 KiB page, unmap it) at random
 *               pages of a 4 GiB region whose L3 tables exist (a sentinel
 *               per 2 MiB region). ns per pair.
 *  map_unmap_random_4k_fresh  the same in an empty 4 GiB region: each pair
 *               allocates and frees its L3 and L2 tables (eager freeing).
 *  iova_to_phys lookups at random addresses of the mapped 1 GiB of 4 KiB
 *               pages (2 MiB of L3 tables). ns per lookup.
 *
 * Baseline, measured in the same run: a plain loop writing the same number
 * of 8-byte entries into the same number of 4 KiB table frames (one frame
 * per table the benchmark writes), i.e. the bare cost of the stores; given
 * per entry. ratio = value / baseline.
 *
 * Each measured loop is its own noinline function, so under
 * `valgrind --tool=callgrind build/bench/pantomime-bench --repeat 1 pgtable`
 * the inclusive instruction count of bench_map_4k, bench_unmap_4k,
 * bench_map_2m, bench_iova_to_phys and the bench_baseline_* functions gives
 * instructions per entry directly.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "mm/mm.h"
#include "pgtable/pgtable.h"
#include "util/u_compiler.h"
#include "util/u_err.h"

#define SUITE "pgtable"

#define REGION_4K      (1ull << 30)		/* map_4k, iova_to_phys */
#define REGION_2M      (64ull << 30)		/* map_2m: 32 x 1 GiB */
#define REGION_2M_GIBS 32
#define REGION_RAND    (128ull << 30)		/* 4 GiB with sentinels */
#define REGION_FRESH   (256ull << 30)		/* map_4k_fresh */
#define REGION_RAND_FRESH (260ull << 30)	/* 4 GiB, empty */
#define RAND_SPAN      (4ull << 30)
#define RAND_PAIRS     100000
#define LOOKUPS        (1u << 16)
#define PA_BASE_BENCH  0x100000000ull		/* leaves point anywhere below 2^40 */
#define PROT           (PGTABLE_PROT_READ | PGTABLE_PROT_WRITE | PGTABLE_PROT_CACHE | \
			PGTABLE_PROT_NOEXEC)

struct bench_pt {
	struct mm_budget *b;
	struct pgtable *pt;
};

static int bench_alloc_table(void *cookie, phys_addr_t *pa)
{
	struct bench_pt *bp = cookie;

	return mm_alloc_pages(bp->b, 0, MM_GFP_ZERO | MM_GFP_NORECLAIM, MM_OWNER_PGTABLE, 0, pa);
}

static void bench_free_table(void *cookie, phys_addr_t pa)
{
	struct bench_pt *bp = cookie;

	mm_free_pages(bp->b, pa, 0);
}

static const struct pgtable_ops bench_pt_ops = {
	.alloc_table = bench_alloc_table,
	.free_table = bench_free_table,
};

static void die(const char *what, long err)
{
	fprintf(stderr, "pantomime-bench: pgtable: %s failed (%ld)\n", what, err);
	exit(1);
}

/* Map [iova, iova + size) with @pgsize leaves, one call per chunk as panthor's loop. */
static void map_or_die(struct pgtable *pt, uint64_t iova, uint64_t size, uint64_t pgsize)
{
	uint64_t done = 0;

	while (done < size) {
		uint64_t mapped = 0;
		int ret = pgtable_map_pages(pt, iova + done, PA_BASE_BENCH + done, pgsize,
					    (size - done) / pgsize, PROT, &mapped);

		if (ret)
			die("map_pages", ret);
		done += mapped;
	}
}

/*
 * The measured loops. @step is the bytes of one call (the distance to the
 * next 2 MiB or 1 GiB boundary from a chunk's start); @skip the sentinel
 * bytes at the start of each chunk that are not part of the measured set.
 */
static __attribute__((noinline)) void bench_map_chunks(struct pgtable *pt, uint64_t base,
						       uint64_t nr_chunks, uint64_t chunk,
						       uint64_t skip, uint64_t pgsize)
{
	for (uint64_t c = 0; c < nr_chunks; c++) {
		uint64_t iova = base + c * chunk + skip, mapped = 0;
		int ret = pgtable_map_pages(pt, iova, PA_BASE_BENCH + c * chunk + skip, pgsize,
					    (chunk - skip) / pgsize, PROT, &mapped);

		if (unlikely(ret || mapped != chunk - skip))
			die("map_pages", ret);
	}
}

static __attribute__((noinline)) void bench_unmap_chunks(struct pgtable *pt, uint64_t base,
							 uint64_t nr_chunks, uint64_t chunk,
							 uint64_t skip, uint64_t pgsize)
{
	for (uint64_t c = 0; c < nr_chunks; c++) {
		uint64_t got = pgtable_unmap_pages(pt, base + c * chunk + skip, pgsize,
						   (chunk - skip) / pgsize);

		if (unlikely(got != chunk - skip))
			die("unmap_pages", (long)got);
	}
}

/* Named wrappers so callgrind reports each benchmark on its own. */
static __attribute__((noinline)) void bench_map_4k(struct pgtable *pt)
{
	bench_map_chunks(pt, REGION_4K, 512, SZ_2M, SZ_4K, SZ_4K);
}

static __attribute__((noinline)) void bench_unmap_4k(struct pgtable *pt)
{
	bench_unmap_chunks(pt, REGION_4K, 512, SZ_2M, SZ_4K, SZ_4K);
}

static __attribute__((noinline)) void bench_map_4k_fresh(struct pgtable *pt)
{
	bench_map_chunks(pt, REGION_FRESH, 512, SZ_2M, 0, SZ_4K);
}

static __attribute__((noinline)) void bench_unmap_4k_free(struct pgtable *pt)
{
	bench_unmap_chunks(pt, REGION_FRESH, 512, SZ_2M, 0, SZ_4K);
}

static __attribute__((noinline)) void bench_map_2m(struct pgtable *pt)
{
	bench_map_chunks(pt, REGION_2M, REGION_2M_GIBS, SZ_1G, SZ_2M, SZ_2M);
}

static __attribute__((noinline)) void bench_unmap_2m(struct pgtable *pt)
{
	bench_unmap_chunks(pt, REGION_2M, REGION_2M_GIBS, SZ_1G, SZ_2M, SZ_2M);
}

static __attribute__((noinline)) void bench_map_unmap_random(struct pgtable *pt, uint64_t base,
							     const uint32_t *pages, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t iova = base + (uint64_t)pages[i] * SZ_4K, mapped = 0;
		int ret = pgtable_map_pages(pt, iova, PA_BASE_BENCH, SZ_4K, 1, PROT, &mapped);

		if (unlikely(ret))
			die("map_pages", ret);
		if (unlikely(pgtable_unmap_pages(pt, iova, SZ_4K, 1) != SZ_4K))
			die("unmap_pages", 0);
	}
}

static __attribute__((noinline)) uint64_t bench_iova_to_phys(struct pgtable *pt,
							     const uint64_t *iovas, unsigned int n)
{
	uint64_t acc = 0;

	for (unsigned int i = 0; i < n; i++)
		acc ^= pgtable_iova_to_phys(pt, iovas[i]);
	return acc;
}

/*
 * The baseline: @nr_tables tables, @per_table consecutive 8-byte entries
 * written into each (from index @first), with values as a leaf loop would
 * compute them. Plain stores, whatever the compiler makes of them.
 */
static __attribute__((noinline)) void bench_baseline(uint64_t *const *tables,
						     unsigned int nr_tables, unsigned int first,
						     unsigned int per_table, uint64_t step)
{
	uint64_t v = PA_BASE_BENCH | 0xF47;

	for (unsigned int t = 0; t < nr_tables; t++) {
		uint64_t *tbl = tables[t] + first;

		for (unsigned int i = 0; i < per_table; i++) {
			tbl[i] = v;
			v += step;
		}
	}
}

static __attribute__((noinline)) void bench_baseline_4k(uint64_t *const *tables)
{
	bench_baseline(tables, 512, 1, 511, SZ_4K);
}

static __attribute__((noinline)) void bench_baseline_4k_fresh(uint64_t *const *tables)
{
	bench_baseline(tables, 512, 0, 512, SZ_4K);
}

static __attribute__((noinline)) void bench_baseline_2m(uint64_t *const *tables)
{
	bench_baseline(tables, REGION_2M_GIBS, 1, 511, SZ_2M);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

struct results {
	double map_4k, unmap_4k, map_4k_fresh, unmap_4k_free, map_2m, unmap_2m;
	double random, random_fresh, lookup;
	double base_4k, base_4k_fresh, base_2m;
};

static double per(uint64_t ns, uint64_t n)
{
	return (double)ns / (double)n;
}

static void run_pgtable(void)
{
	const uint64_t entries_4k = 512 * 511, entries_fresh = 512 * 512;
	const uint64_t entries_2m = REGION_2M_GIBS * 511;
	struct bench_pt bp;
	struct results r = {
		.map_4k = 1e30, .unmap_4k = 1e30, .map_4k_fresh = 1e30, .unmap_4k_free = 1e30,
		.map_2m = 1e30, .unmap_2m = 1e30, .random = 1e30, .random_fresh = 1e30,
		.lookup = 1e30, .base_4k = 1e30, .base_4k_fresh = 1e30, .base_2m = 1e30,
	};
	uint64_t *base_tables[512];
	phys_addr_t base_pa[512];
	uint32_t *pages = malloc(RAND_PAIRS * sizeof(*pages));
	uint64_t *iovas = malloc(LOOKUPS * sizeof(*iovas));
	volatile uint64_t sink = 0;

	if (!pages || !iovas)
		die("malloc", -ENOMEM);
	bp.b = mm_budget_create(&(struct mm_budget_config){
		.name = "bench-pgtable",
		.limit_bytes = 256ull << 20,
		.no_background_reclaim = true,
	});
	if (IS_ERR(bp.b))
		die("mm_budget_create", PTR_ERR(bp.b));
	bp.pt = pgtable_create(&(struct pgtable_cfg){
		.ias = 48, .oas = 40, .pgsize_bitmap = PGTABLE_PGSIZE_4K_2M,
		.coherent_walk = true, .ops = &bench_pt_ops, .cookie = &bp,
	});
	if (IS_ERR(bp.pt))
		die("pgtable_create", PTR_ERR(bp.pt));

	/* Sentinels keeping the measured tables alive (outside every measured set). */
	for (uint64_t i = 0; i < 512; i++)
		map_or_die(bp.pt, REGION_4K + i * SZ_2M, SZ_4K, SZ_4K);
	for (uint64_t g = 0; g < REGION_2M_GIBS; g++)
		map_or_die(bp.pt, REGION_2M + g * SZ_1G, SZ_4K, SZ_4K);
	for (uint64_t i = 0; i < RAND_SPAN / SZ_2M; i++)
		map_or_die(bp.pt, REGION_RAND + i * SZ_2M, SZ_4K, SZ_4K);

	for (unsigned int t = 0; t < 512; t++) {
		int ret = mm_alloc_pages(bp.b, 0, MM_GFP_ZERO, MM_OWNER_NONE, 0, &base_pa[t]);

		if (ret)
			die("mm_alloc_pages", ret);
		base_tables[t] = mm_pa_to_virt(base_pa[t]);
	}
	/* Random pages: never the sentinel (index 0 of a 2 MiB region). */
	for (unsigned int i = 0; i < RAND_PAIRS; i++) {
		uint32_t p = (uint32_t)(bench_rng(&rng_state) % (RAND_SPAN / SZ_4K));

		pages[i] = (p % 512) ? p : p + 1;
	}
	for (unsigned int i = 0; i < LOOKUPS; i++) {
		uint64_t p = bench_rng(&rng_state) % (REGION_4K / SZ_4K);

		iovas[i] = REGION_4K + ((p % 512) ? p : p + 1) * SZ_4K + (bench_rng(&rng_state) & 0xFFF);
	}

	/*
	 * Each measurement runs its repetitions back to back, so the best one
	 * sees the caches as the previous repetition of the same work left
	 * them, for the baselines and the operations alike (interleaving them
	 * would hand one of the two the other's evictions).
	 */
#define TIMED(field, count, stmt) do {                                         \
		uint64_t t0_ = bench_now_ns();                                 \
		stmt;                                                          \
		r.field = bench_min(r.field, per(bench_now_ns() - t0_, (count)));\
	} while (0)

	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++)
		TIMED(base_4k, entries_4k, bench_baseline_4k(base_tables));
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++) {
		TIMED(map_4k, entries_4k, bench_map_4k(bp.pt));
		TIMED(lookup, LOOKUPS, sink ^= bench_iova_to_phys(bp.pt, iovas, LOOKUPS));
		TIMED(unmap_4k, entries_4k, bench_unmap_4k(bp.pt));
	}
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++)
		TIMED(base_4k_fresh, entries_fresh, bench_baseline_4k_fresh(base_tables));
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++) {
		TIMED(map_4k_fresh, entries_fresh, bench_map_4k_fresh(bp.pt));
		TIMED(unmap_4k_free, entries_fresh, bench_unmap_4k_free(bp.pt));
	}
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++)
		TIMED(base_2m, entries_2m, bench_baseline_2m(base_tables));
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++) {
		TIMED(map_2m, entries_2m, bench_map_2m(bp.pt));
		TIMED(unmap_2m, entries_2m, bench_unmap_2m(bp.pt));
	}
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++) {
		TIMED(random, RAND_PAIRS,
		      bench_map_unmap_random(bp.pt, REGION_RAND, pages, RAND_PAIRS));
		TIMED(random_fresh, RAND_PAIRS / 10,
		      bench_map_unmap_random(bp.pt, REGION_RAND_FRESH, pages, RAND_PAIRS / 10));
	}
#undef TIMED
	(void)sink;

	bench_report(SUITE, "map_4k", r.map_4k, "ns/entry", r.base_4k);
	bench_report(SUITE, "unmap_4k", r.unmap_4k, "ns/entry", r.base_4k);
	bench_report(SUITE, "map_4k_fresh", r.map_4k_fresh, "ns/entry", r.base_4k_fresh);
	bench_report(SUITE, "unmap_4k_free", r.unmap_4k_free, "ns/entry", r.base_4k_fresh);
	bench_report(SUITE, "map_2m", r.map_2m, "ns/entry", r.base_2m);
	bench_report(SUITE, "unmap_2m", r.unmap_2m, "ns/entry", r.base_2m);
	bench_report(SUITE, "map_unmap_random_4k", r.random, "ns/op", r.base_4k);
	bench_report(SUITE, "map_unmap_random_4k_fresh", r.random_fresh, "ns/op", r.base_4k);
	bench_report(SUITE, "iova_to_phys", r.lookup, "ns/op", r.base_4k);

	for (unsigned int t = 0; t < 512; t++)
		mm_free_pages(bp.b, base_pa[t], 0);
	pgtable_destroy(bp.pt);
	mm_budget_destroy(bp.b);
	free(pages);
	free(iovas);
}

BENCH_SUITE(pgtable_suite, SUITE,
	    "page-table map/unmap/lookup against a plain store loop", run_pgtable)
