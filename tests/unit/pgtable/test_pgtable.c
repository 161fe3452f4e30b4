// SPDX-License-Identifier: MIT
/*
 * Tests of the ARM64 LPAE page-table library (src/pgtable): descriptor
 * encodings against reference/mmu-pgtable.md §1, the io-pgtable selftest
 * sequence (§2.7 steps 2, 3, 5, 6), table allocation and eager freeing,
 * the non-coherent sync contract, fault injection and a randomized run
 * against a reference model.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t_harness.h"

#include "mm/mm.h"
#include "pgtable/pgtable.h"
#include "util/u_err.h"
#include "util/u_log.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)

#define RW   (PGTABLE_PROT_READ | PGTABLE_PROT_WRITE)
#define RWC  (RW | PGTABLE_PROT_CACHE)
#define XN   0x0060000000000000ull

#define MAX_SYNCS 8192

/* One test's page table, its budget, and what the callbacks saw. */
struct tpt {
	struct mm_budget *b;
	struct pgtable *pt;
	struct pgtable_cfg cfg;
	unsigned long nr_alloc, nr_free;
	unsigned long freed_empty, freed_counted, freed_empty_dirty;
	unsigned int nr_syncs;
	bool sync_overflow;
	uint64_t covered;
	struct {
		phys_addr_t pa;
		size_t bytes;
	} syncs[MAX_SYNCS];
};

static int tpt_alloc_table(void *cookie, phys_addr_t *pa)
{
	struct tpt *t = cookie;
	int ret = mm_alloc_pages(t->b, 0, MM_GFP_ZERO | MM_GFP_NORECLAIM, MM_OWNER_PGTABLE, 0, pa);

	if (!ret)
		t->nr_alloc++;
	return ret;
}

static void tpt_free_table(void *cookie, phys_addr_t pa)
{
	struct tpt *t = cookie;

	t->nr_free++;
	/* The free_table contract: a count of 0 left in priv means an all-zero frame. */
	if (!mm_frame(pa)->priv) {
		const uint64_t *e = mm_pa_to_virt(pa);

		t->freed_empty++;
		for (unsigned int i = 0; i < 512; i++)
			if (e[i]) {
				t->freed_empty_dirty++;
				break;
			}
	} else {
		t->freed_counted++;
	}
	mm_free_pages(t->b, pa, 0);
}

static void tpt_sync(void *cookie, phys_addr_t pa, size_t bytes)
{
	struct tpt *t = cookie;

	if (t->nr_syncs == MAX_SYNCS) {
		t->sync_overflow = true;
		return;
	}
	t->syncs[t->nr_syncs].pa = pa;
	t->syncs[t->nr_syncs].bytes = bytes;
	t->nr_syncs++;
}

static const struct pgtable_ops tpt_ops = {
	.alloc_table = tpt_alloc_table,
	.free_table = tpt_free_table,
	.sync = tpt_sync,
};

static struct mm_budget *budget_new(void)
{
	struct mm_budget *b = mm_budget_create(&(struct mm_budget_config){
		.name = "pgtable-test",
		.limit_bytes = 256 * MiB,
		.no_background_reclaim = true,
	});

	T_ASSERT_MSG(!IS_ERR(b), "mm_budget_create: %ld", PTR_ERR(b));
	return b;
}

/* A heap-allocated context (the sync log is large). */
static struct tpt *tpt_new(unsigned int ias, unsigned int oas, uint64_t bitmap, bool coherent)
{
	struct tpt *t = calloc(1, sizeof(*t));

	T_ASSERT(t != NULL);
	t->b = budget_new();
	t->cfg = (struct pgtable_cfg){
		.ias = ias,
		.oas = oas,
		.pgsize_bitmap = bitmap,
		.coherent_walk = coherent,
		.no_warn = true,
		.ops = &tpt_ops,
		.cookie = t,
	};
	t->pt = pgtable_create(&t->cfg);
	T_ASSERT_MSG(!IS_ERR(t->pt), "pgtable_create: %ld", PTR_ERR(t->pt));
	return t;
}

static void tpt_free(struct tpt *t)
{
	pgtable_destroy(t->pt);
	T_ASSERT_EQ_U64(t->nr_alloc, t->nr_free);
	T_ASSERT_EQ_U64(mm_budget_used(t->b), 0);
	mm_budget_destroy(t->b);
	free(t);
}

static uint64_t tables_live(struct tpt *t)
{
	struct pgtable_stats st;

	pgtable_get_stats(t->pt, &st);
	T_ASSERT_EQ_U64(st.tables_live, st.tables_allocated - st.tables_freed);
	T_ASSERT_EQ_U64(st.tables_live, mm_budget_used(t->b));
	return st.tables_live;
}

static void check_valid(struct tpt *t)
{
	T_ASSERT_OK(pgtable_validate(t->pt));
}

/* Map [iova, iova + count * pgsize) as panthor does: loop on *mapped. */
static int map_range(struct tpt *t, uint64_t iova, phys_addr_t pa, uint64_t pgsize,
		     uint64_t count, unsigned int prot)
{
	uint64_t done = 0;

	while (done < count * pgsize) {
		uint64_t mapped = 0;
		int ret = pgtable_map_pages(t->pt, iova + done, pa + done, pgsize,
					    count - done / pgsize, prot, &mapped);

		if (ret)
			return ret;
		T_ASSERT_MSG(mapped && mapped % pgsize == 0, "mapped %" PRIu64, mapped);
		done += mapped;
	}
	return 0;
}

static uint64_t leaf_pte(struct tpt *t, uint64_t iova)
{
	struct pgtable_leaf leaf;

	T_ASSERT_OK(pgtable_lookup(t->pt, iova, &leaf));
	return leaf.pte;
}

/* Log lines captured while a test provokes them on purpose. */
static char log_line[512];
static unsigned int log_lines;

static void capture_log(void *cookie, enum u_log_level level, const char *line)
{
	snprintf(log_line, sizeof(log_line), "%s", line);
	log_lines++;
}

/* ---- configuration ------------------------------------------------------ */

T_TEST(create_levels, "pgtable/create/start-level-from-ias")
{
	static const struct { unsigned int ias, level; } cases[] = {
		{ 48, 0 }, { 40, 0 }, { 39, 1 }, { 36, 1 }, { 32, 1 }, { 31, 1 },
		{ 30, 2 }, { 22, 2 }, { 21, 3 }, { 16, 3 },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t bitmap = cases[i].level <= 1 ? PGTABLE_PGSIZE_ALL :
				  cases[i].level == 2 ? PGTABLE_PGSIZE_4K_2M : SZ_4K;
		struct tpt *t = tpt_new(cases[i].ias, 40, bitmap, true);

		T_ASSERT_EQ_INT(pgtable_start_level(t->pt), cases[i].level);
		T_ASSERT_EQ_U64(tables_live(t), 1);
		T_ASSERT_EQ_INT(mm_frame(pgtable_root_pa(t->pt))->owner_kind, MM_OWNER_PGTABLE);
		check_valid(t);
		tpt_free(t);
	}
}

T_TEST(create_bad_config, "pgtable/create/bad-config")
{
	struct mm_budget *b = budget_new();
	struct tpt ctx = { .b = b };
	struct pgtable_cfg good = {
		.ias = 48, .oas = 40, .pgsize_bitmap = PGTABLE_PGSIZE_4K_2M,
		.coherent_walk = true, .ops = &tpt_ops, .cookie = &ctx,
	};
	struct pgtable_cfg c;
	struct pgtable_ops no_alloc = { .free_table = tpt_free_table };

	log_lines = 0;
	u_log_set_sink(capture_log, NULL);

	c = good; c.ias = 49;
	T_ASSERT_EQ_INT(PTR_ERR(pgtable_create(&c)), -EINVAL);
	c = good; c.ias = 15;
	T_ASSERT_EQ_INT(PTR_ERR(pgtable_create(&c)), -EINVAL);
	c = good; c.oas = 52;
	T_ASSERT_EQ_INT(PTR_ERR(pgtable_create(&c)), -EINVAL);
	c = good; c.pgsize_bitmap = SZ_2M;		/* no 4K */
	T_ASSERT_EQ_INT(PTR_ERR(pgtable_create(&c)), -EINVAL);
	c = good; c.pgsize_bitmap = SZ_4K | 0x10000;	/* 64K is another granule */
	T_ASSERT_EQ_INT(PTR_ERR(pgtable_create(&c)), -EINVAL);
	c = good; c.ias = 30; c.pgsize_bitmap = PGTABLE_PGSIZE_ALL;	/* 1G above a level-2 root */
	T_ASSERT_EQ_INT(PTR_ERR(pgtable_create(&c)), -EINVAL);
	c = good; c.ops = &no_alloc;
	T_ASSERT_EQ_INT(PTR_ERR(pgtable_create(&c)), -EINVAL);
	u_log_set_sink(NULL, NULL);
	T_ASSERT_EQ_INT(log_lines, 7);
	T_ASSERT_EQ_U64(mm_budget_used(b), 0);
	mm_budget_destroy(b);
}

/* ---- descriptor bits ------------------------------------------------------ */

T_TEST(pte_prot_bits, "pgtable/pte/every-prot-combination")
{
	/*
	 * reference/mmu-pgtable.md §1.4 and panthor-uapi-mmu.md §2.4: RW cached
	 * 0xF47, RO cached 0xFC7, RW uncached 0xE43; RO uncached adds AP_RDONLY
	 * (0x80) to the latter; WRITE alone maps RW; NOEXEC adds bits 53-54;
	 * a block uses type 1 instead of 3.
	 */
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_ALL, true);
	const phys_addr_t pa = 0x80000000ull;

	for (unsigned int prot = 0; prot < 16; prot++) {
		bool r = prot & PGTABLE_PROT_READ, w = prot & PGTABLE_PROT_WRITE;
		bool c = prot & PGTABLE_PROT_CACHE, x = prot & PGTABLE_PROT_NOEXEC;
		uint64_t expect, mapped = 0;

		if (!r && !w) {
			T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 0, pa, SZ_4K, 1, prot, &mapped), EINVAL);
			T_ASSERT_EQ_U64(mapped, 0);
			continue;
		}
		if (r && !w)
			expect = c ? 0xFC7 : 0xEC3;
		else
			expect = c ? 0xF47 : 0xE43;
		if (x)
			expect |= XN;

		/* 4K page (type 3), 2M block and 1G block (type 1). */
		T_ASSERT_OK(pgtable_map_pages(t->pt, 0x1000, pa, SZ_4K, 1, prot, &mapped));
		T_ASSERT_EQ_U64(leaf_pte(t, 0x1000), pa | expect);
		T_ASSERT_OK(pgtable_map_pages(t->pt, 2 * SZ_2M, pa, SZ_2M, 1, prot, &mapped));
		T_ASSERT_EQ_U64(leaf_pte(t, 2 * SZ_2M + 0x1234), pa | (expect & ~3ull) | 1);
		T_ASSERT_OK(pgtable_map_pages(t->pt, 4 * SZ_1G, pa, SZ_1G, 1, prot, &mapped));
		T_ASSERT_EQ_U64(leaf_pte(t, 4 * SZ_1G + 0x123456), pa | (expect & ~3ull) | 1);
		T_ASSERT_EQ_U64(mapped, SZ_4K + SZ_2M + SZ_1G);
		check_valid(t);
		T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0x1000, SZ_4K, 1), SZ_4K);
		T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 2 * SZ_2M, SZ_2M, 1), SZ_2M);
		T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 4 * SZ_1G, SZ_1G, 1), SZ_1G);
	}

	/* The exact example values of reference §1.4. */
	{
		uint64_t mapped = 0;

		T_ASSERT_OK(pgtable_map_pages(t->pt, 0, pa, SZ_4K, 1, RWC | PGTABLE_PROT_NOEXEC, &mapped));
		T_ASSERT_EQ_U64(leaf_pte(t, 0), 0x0060000080000F47ull);
		T_ASSERT_OK(pgtable_map_pages(t->pt, SZ_2M, pa, SZ_2M, 1, RWC | PGTABLE_PROT_NOEXEC, &mapped));
		T_ASSERT_EQ_U64(leaf_pte(t, SZ_2M), 0x0060000080000F45ull);
		/* MMIO: AttrIndx 2 (bits 4:2 = 0b010), outer shareable. PRIV: no AP[1]. */
		T_ASSERT_OK(pgtable_map_pages(t->pt, 0x1000, pa, SZ_4K, 1, RW | PGTABLE_PROT_MMIO, &mapped));
		T_ASSERT_EQ_U64(leaf_pte(t, 0x1000), pa | 0xE4B);
		T_ASSERT_OK(pgtable_map_pages(t->pt, 0x2000, pa, SZ_4K, 1, RWC | PGTABLE_PROT_PRIV, &mapped));
		T_ASSERT_EQ_U64(leaf_pte(t, 0x2000), pa | 0xF07);
		check_valid(t);
	}
	tpt_free(t);
}

/* ---- argument checks ---------------------------------------------------- */

T_TEST(map_bad_args, "pgtable/map/erange-einval")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, true);
	uint64_t mapped = 0;

	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 1ull << 48, 0, SZ_4K, 1, RW, &mapped), ERANGE);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, (1ull << 48) - SZ_4K, 0, SZ_4K, 2, RW, &mapped), ERANGE);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 0, 1ull << 40, SZ_4K, 1, RW, &mapped), ERANGE);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 0, (1ull << 40) - SZ_4K, SZ_4K, 2, RW, &mapped), ERANGE);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 0, 0, SZ_4K, ~0ull, RW, &mapped), ERANGE);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 0, 0, SZ_1G, 1, RW, &mapped), EINVAL);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 0, 0, SZ_4K | SZ_2M, 1, RW, &mapped), EINVAL);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 0, 0, 0x2000, 1, RW, &mapped), EINVAL);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 0, 0, 0, 1, RW, &mapped), EINVAL);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 0, 0, SZ_4K, 0, RW, &mapped), EINVAL);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 0, 0, SZ_4K, 1, PGTABLE_PROT_CACHE, &mapped), EINVAL);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 0x800, 0, SZ_4K, 1, RW, &mapped), EINVAL);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 0, 0x800, SZ_4K, 1, RW, &mapped), EINVAL);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, SZ_4K, 0, SZ_2M, 1, RW, &mapped), EINVAL);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 0, SZ_4K, SZ_2M, 1, RW, &mapped), EINVAL);
	T_ASSERT_EQ_U64(mapped, 0);
	T_ASSERT_EQ_U64(tables_live(t), 1);

	/* unmap_pages reports errors as "0 bytes unmapped". */
	T_ASSERT_OK(pgtable_map_pages(t->pt, 0, 0, SZ_4K, 4, RW, &mapped));
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0, SZ_1G, 1), 0);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0, 0x2000, 1), 0);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0, SZ_4K, 0), 0);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0x800, SZ_4K, 1), 0);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 1ull << 48, SZ_4K, 1), 0);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, 1ull << 48), 0);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, 3 * SZ_4K + 5), 3 * SZ_4K + 5);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0, SZ_4K, 4), 4 * SZ_4K);
	T_ASSERT_EQ_U64(tables_live(t), 1);
	check_valid(t);
	tpt_free(t);
}

T_TEST(map_per_table, "pgtable/map/stops-at-table-end")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, true);
	uint64_t mapped = 0;

	/* 1000 pages from index 500: this call maps 12, to the end of the L3 table. */
	T_ASSERT_OK(pgtable_map_pages(t->pt, 500 * SZ_4K, 0x10000000, SZ_4K, 1000, RW, &mapped));
	T_ASSERT_EQ_U64(mapped, 12 * SZ_4K);
	T_ASSERT_OK(pgtable_map_pages(t->pt, 512 * SZ_4K, 0x10000000 + mapped, SZ_4K, 988, RW, &mapped));
	T_ASSERT_EQ_U64(mapped, 524 * SZ_4K);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, 512 * SZ_4K), 0x10000000 + 12 * SZ_4K);
	/* unmap covers the whole request across tables. */
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 500 * SZ_4K, SZ_4K, 524), 524 * SZ_4K);
	T_ASSERT_EQ_U64(tables_live(t), 1);
	check_valid(t);
	tpt_free(t);
}

/* ---- EEXIST, block over table, eager freeing ------------------------------ */

T_TEST(eexist_leaf, "pgtable/map/eexist-leaf-over-leaf")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, true);
	uint64_t mapped = 0, pte;

	T_ASSERT_OK(pgtable_map_pages(t->pt, SZ_2M + 5 * SZ_4K, 0x40000000, SZ_4K, 1, RW, &mapped));
	pte = leaf_pte(t, SZ_2M + 5 * SZ_4K);
	/* A run that overlaps the page refuses as a whole: nothing of it is mapped. */
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, SZ_2M, 0x50000000, SZ_4K, 16, RW, &mapped), EEXIST);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, SZ_2M), 0);
	T_ASSERT_EQ_U64(leaf_pte(t, SZ_2M + 5 * SZ_4K), pte);
	/* A block over the table that holds it. */
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, SZ_2M, 0x50000000, SZ_2M, 1, RW, &mapped), EEXIST);
	/* A page under a block. */
	T_ASSERT_OK(pgtable_map_pages(t->pt, 4 * SZ_2M, 0x60000000, SZ_2M, 1, RW, &mapped));
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 4 * SZ_2M + SZ_4K, 0, SZ_4K, 1, RW, &mapped), EEXIST);
	T_ASSERT_EQ_U64(mapped, SZ_4K + SZ_2M);
	/* root, L1, L2, one L3 */
	T_ASSERT_EQ_U64(tables_live(t), 4);
	check_valid(t);
	tpt_free(t);
}

T_TEST(block_over_table, "pgtable/map/block-over-table")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, true);
	struct pgtable_stats st;
	uint64_t mapped = 0;

	T_ASSERT_OK(pgtable_map_pages(t->pt, SZ_2M + SZ_4K, 0x40000000, SZ_4K, 2, RW, &mapped));
	T_ASSERT_OK(pgtable_map_pages(t->pt, 2 * SZ_2M, 0x40000000, SZ_4K, 1, RW, &mapped));
	T_ASSERT_EQ_U64(tables_live(t), 5);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, SZ_2M, 0x60000000, SZ_2M, 1, RW, &mapped), EEXIST);
	/* Unmapping one of two pages keeps the table; the last one frees it at once. */
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, SZ_2M + SZ_4K, SZ_4K, 1), SZ_4K);
	T_ASSERT_EQ_U64(tables_live(t), 5);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, SZ_2M + 2 * SZ_4K, SZ_4K, 1), SZ_4K);
	T_ASSERT_EQ_U64(tables_live(t), 4);
	check_valid(t);
	/* Now the block goes in without any table in the way. */
	pgtable_get_stats(t->pt, &st);
	T_ASSERT_OK(pgtable_map_pages(t->pt, SZ_2M, 0x60000000, SZ_2M, 1, RW, &mapped));
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, SZ_2M + 0x1234), 0x60001234);
	T_ASSERT_EQ_U64(tables_live(t), 4);
	/* The last leaf of the whole tree: every table down to the root goes. */
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 2 * SZ_2M, SZ_4K, 1), SZ_4K);
	T_ASSERT_EQ_U64(tables_live(t), 3);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, SZ_2M, SZ_2M, 1), SZ_2M);
	T_ASSERT_EQ_U64(tables_live(t), 1);
	check_valid(t);
	tpt_free(t);
}

/* Root -> ... -> the table descriptor of level @lvl for @iova (white box). */
static uint64_t *raw_entry(struct tpt *t, uint64_t iova, unsigned int lvl)
{
	uint64_t *tbl = mm_pa_to_virt(pgtable_root_pa(t->pt));

	for (unsigned int l = pgtable_start_level(t->pt);; l++) {
		uint64_t *ptep = &tbl[(iova >> (39 - 9 * l)) & 511];

		if (l == lvl)
			return ptep;
		T_ASSERT_EQ_U64(*ptep & 3, 3);
		tbl = mm_pa_to_virt(*ptep & 0x0000FFFFFFFFF000ull);
	}
}


static void expect_invalid(struct tpt *t, const char *what)
{
	int ret;

	log_lines = 0;
	log_line[0] = 0;
	u_log_set_sink(capture_log, NULL);
	ret = pgtable_validate(t->pt);
	u_log_set_sink(NULL, NULL);
	T_ASSERT_ERRNO(ret, EUCLEAN);
	T_ASSERT_MSG(strstr(log_line, what), "validate log \"%s\" does not name \"%s\"", log_line, what);
}

T_TEST(block_over_empty_table, "pgtable/map/block-over-empty-table-frees-it")
{
	/*
	 * Eager freeing means our own operations never leave an empty table;
	 * io-pgtable leaves them (until a larger unmap), and a block mapped
	 * over one replaces it. Build that state by hand, see validate()
	 * name it, then see the block map replace and free it.
	 */
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, true);
	uint64_t mapped = 0, *l2e, *l3e;
	phys_addr_t l3;

	T_ASSERT_OK(pgtable_map_pages(t->pt, SZ_2M + SZ_4K, 0x40000000, SZ_4K, 1, RW, &mapped));
	T_ASSERT_OK(pgtable_map_pages(t->pt, 3 * SZ_2M, 0x40000000, SZ_4K, 1, RW, &mapped));
	l2e = raw_entry(t, SZ_2M, 2);
	l3 = *l2e & 0x0000FFFFFFFFF000ull;
	l3e = raw_entry(t, SZ_2M + SZ_4K, 3);
	*l3e = 0;
	mm_frame(l3)->priv = 0;
	expect_invalid(t, "empty non-root table");

	T_ASSERT_OK(pgtable_map_pages(t->pt, 0, 0x60000000, SZ_2M, 2, RW, &mapped));
	T_ASSERT_EQ_U64(mapped, SZ_4K + SZ_4K + 2 * SZ_2M);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, SZ_2M + SZ_4K), 0x60000000 + SZ_2M + SZ_4K);
	/* root, L1, L2, the L3 of the other page; the empty L3 went back. */
	T_ASSERT_EQ_U64(tables_live(t), 4);
	check_valid(t);
	tpt_free(t);
}

T_TEST(validate_catches, "pgtable/validate/broken-invariants")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, true);
	uint64_t mapped = 0, *e, saved;
	phys_addr_t l3;

	T_ASSERT_OK(pgtable_map_pages(t->pt, SZ_4K, 0x40000000, SZ_4K, 3, RW, &mapped));
	T_ASSERT_OK(pgtable_map_pages(t->pt, 2 * SZ_2M, 0x40000000, SZ_2M, 1, RW, &mapped));
	check_valid(t);
	l3 = *raw_entry(t, 0, 2) & 0x0000FFFFFFFFF000ull;

	mm_frame(l3)->priv++;
	expect_invalid(t, "count");
	mm_frame(l3)->priv--;

	e = raw_entry(t, SZ_4K, 3);
	saved = *e;
	*e = (saved & ~3ull) | 1;
	expect_invalid(t, "type 1) at level 3");
	/* Reserved at level 3: no translation, as the hardware walk would fault. */
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, SZ_4K), 0);
	*e = saved;
	e = raw_entry(t, 2 * SZ_2M, 2);
	saved = *e;
	*e = saved | SZ_4K;
	expect_invalid(t, "not aligned");
	*e = (1ull << 40) | 1;
	expect_invalid(t, "beyond oas");
	*e = saved;
	e = raw_entry(t, 0, 3);
	*e = 2;
	expect_invalid(t, "invalid entry is not zero");
	*e = 0;

	mm_set_owner(l3, 0, MM_OWNER_BO, 7);
	expect_invalid(t, "MM_OWNER_PGTABLE");
	mm_set_owner(l3, 0, MM_OWNER_PGTABLE, 0);

	/* A 1G block where the bitmap has none. */
	e = raw_entry(t, 4 * SZ_1G, 1);
	*e = SZ_1G | 1;
	mm_frame(mm_virt_to_pa(e) & ~4095ull)->priv++;
	expect_invalid(t, "outside the pgsize bitmap");
	*e = 0;
	mm_frame(mm_virt_to_pa(e) & ~4095ull)->priv--;
	check_valid(t);
	tpt_free(t);
}

T_TEST(eager_free, "pgtable/unmap/eager-table-freeing")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_ALL, true);

	/* Three 2M regions of pages in one 1G: root, L1, L2, 3 x L3. */
	T_ASSERT_OK(map_range(t, 0, 0x40000000, SZ_4K, 3 * 512, RW));
	T_ASSERT_EQ_U64(tables_live(t), 6);
	/* A whole sub-table goes when its entry is unmapped at the level above. */
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, SZ_2M, SZ_2M, 1), SZ_2M);
	T_ASSERT_EQ_U64(tables_live(t), 5);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, SZ_2M + SZ_4K), 0);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, 2 * SZ_2M), 0x40000000 + 2 * SZ_2M);
	check_valid(t);
	/* Page by page: the table goes with its last page. */
	for (unsigned int i = 0; i < 512; i++) {
		T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, i * SZ_4K, SZ_4K, 1), SZ_4K);
		T_ASSERT_EQ_U64(tables_live(t), i == 511 ? 4 : 5);
	}
	check_valid(t);
	/* A 1G unmap over an L2 table holding an L3 table frees both. */
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0, SZ_1G, 1), SZ_1G);
	T_ASSERT_EQ_U64(tables_live(t), 1);
	check_valid(t);

	/* Table freeing and reuse: the same frames come back, nothing grows. */
	for (unsigned int i = 0; i < 200; i++) {
		uint64_t iova = (t_rand() % 4096) * SZ_2M;

		iova += (t_rand() % 512) * SZ_4K;

		T_ASSERT_OK(map_range(t, iova, 0x40000000, SZ_4K, 1, RW));
		T_ASSERT_EQ_U64(tables_live(t), 4);
		T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, iova, SZ_4K, 1), SZ_4K);
		T_ASSERT_EQ_U64(tables_live(t), 1);
	}
	{
		struct pgtable_stats st;

		pgtable_get_stats(t->pt, &st);
		T_ASSERT_EQ_U64(st.tables_allocated, 1 + 5 + 200 * 3);
		T_ASSERT_EQ_U64(st.tables_freed, 5 + 200 * 3);
		T_ASSERT_EQ_U64(t->nr_alloc, st.tables_allocated);
		T_ASSERT_EQ_U64(t->nr_free, st.tables_freed);
	}
	tpt_free(t);
}

T_TEST(freed_zero, "pgtable/unmap/freed-empty-tables-are-zero")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, false);

	/* Page by page down to empty: every table freed on the way is all zero. */
	T_ASSERT_OK(map_range(t, 5 * GiB, 0x40000000, SZ_4K, 700, RW));
	for (unsigned int i = 0; i < 700; i++)
		T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 5 * GiB + i * SZ_4K, SZ_4K, 1), SZ_4K);
	T_ASSERT_EQ_U64(t->freed_empty, 4);	/* two L3, one L2, one L1 */
	/* A subtree freed from above keeps its entries, and says so in priv. */
	T_ASSERT_OK(map_range(t, 0, 0x40000000, SZ_4K, 16, RW));
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0, SZ_2M, 1), SZ_2M);
	T_ASSERT_EQ_U64(t->freed_counted, 1);
	/* Teardown frees what is left (the L1 and L2 above the 16 pages are empty now). */
	pgtable_destroy(t->pt);
	t->pt = pgtable_create(&t->cfg);
	T_ASSERT(!IS_ERR(t->pt));
	T_ASSERT_EQ_U64(t->freed_empty_dirty, 0);
	tpt_free(t);
}

T_TEST(map_repeat, "pgtable/map/repeat-one-window")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, false);
	uint64_t mapped = 0;
	struct pgtable_leaf leaf;

	/* 2 MiB blocks all mapping one 2 MiB window; one call per L2 table. */
	T_ASSERT_OK(pgtable_map_pages_repeat(t->pt, SZ_1G - 4 * SZ_2M, 0x40000000, SZ_2M, 8, RW,
					     &mapped));
	T_ASSERT_EQ_U64(mapped, 4 * SZ_2M);
	T_ASSERT_OK(pgtable_map_pages_repeat(t->pt, SZ_1G, 0x40000000, SZ_2M, 4, RW, &mapped));
	T_ASSERT_EQ_U64(mapped, 8 * SZ_2M);
	for (unsigned int i = 0; i < 8; i++) {
		uint64_t iova = SZ_1G - 4 * SZ_2M + i * SZ_2M + 0x1238;

		T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, iova), 0x40001238);
		T_ASSERT_OK(pgtable_lookup(t->pt, iova, &leaf));
		T_ASSERT_EQ_INT(leaf.level, 2);
	}
	check_valid(t);
	/* Pages too, and the same refusals as pgtable_map_pages(). */
	mapped = 0;
	T_ASSERT_OK(pgtable_map_pages_repeat(t->pt, 4 * GiB, 0x40005000, SZ_4K, 3, RW, &mapped));
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, 4 * GiB + 2 * SZ_4K + 8), 0x40005008);
	T_ASSERT_ERRNO(pgtable_map_pages_repeat(t->pt, 4 * GiB + SZ_4K, 0x40005000, SZ_4K, 1, RW,
						&mapped), EEXIST);
	T_ASSERT_ERRNO(pgtable_map_pages_repeat(t->pt, 8 * GiB, 0x40001000, SZ_2M, 1, RW, &mapped),
		       EINVAL);
	T_ASSERT_ERRNO(pgtable_map_pages_repeat(t->pt, 8 * GiB, 1ull << 40, SZ_4K, 1, RW, &mapped),
		       ERANGE);
	/* The window, not the range, must fit in oas. */
	T_ASSERT_OK(pgtable_map_pages_repeat(t->pt, 8 * GiB, (1ull << 40) - SZ_2M, SZ_2M, 2, RW,
					     &mapped));
	check_valid(t);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, SZ_1G - 4 * SZ_2M, SZ_2M, 8), 8 * SZ_2M);
	check_valid(t);
	tpt_free(t);
}

T_TEST(partial_block, "pgtable/unmap/partial-block-refused")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_ALL, true);
	uint64_t mapped = 0;

	T_ASSERT_OK(pgtable_map_pages(t->pt, SZ_2M, 0x40000000, SZ_2M, 1, RW, &mapped));
	T_ASSERT_OK(pgtable_map_pages(t->pt, SZ_1G, 0x40000000, SZ_1G, 1, RW, &mapped));
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, SZ_2M, SZ_4K, 1), 0);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, SZ_2M + SZ_4K, SZ_4K, 4), 0);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, SZ_1G + SZ_2M, SZ_2M, 1), 0);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, SZ_1G, SZ_4K, 1), 0);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, SZ_2M + SZ_4K), 0x40000000 + SZ_4K);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, SZ_1G + SZ_2M), 0x40000000 + SZ_2M);
	T_ASSERT_EQ_U64(tables_live(t), 3);
	check_valid(t);
	tpt_free(t);
}

T_TEST(unmap_hole, "pgtable/unmap/stops-at-first-hole")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, true);

	T_ASSERT_OK(map_range(t, 0, 0x40000000, SZ_4K, 10, RW));
	T_ASSERT_OK(map_range(t, 12 * SZ_4K, 0x40000000, SZ_4K, 8, RW));
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0, SZ_4K, 20), 10 * SZ_4K);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, 12 * SZ_4K), 0x40000000);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0, SZ_4K, 20), 0);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 12 * SZ_4K, SZ_4K, 8), 8 * SZ_4K);
	T_ASSERT_EQ_U64(tables_live(t), 1);

	/* Holes at the 2M level: a block, a table of pages, then nothing. */
	T_ASSERT_OK(map_range(t, 0, 0x40000000, SZ_2M, 1, RW));
	T_ASSERT_OK(map_range(t, SZ_2M + SZ_4K, 0x40000000, SZ_4K, 3, RW));
	T_ASSERT_OK(map_range(t, 3 * SZ_2M, 0x40000000, SZ_2M, 1, RW));
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0, SZ_2M, 4), 2 * SZ_2M);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, 3 * SZ_2M), 0x40000000);
	T_ASSERT_EQ_U64(tables_live(t), 3);
	/* One block, then a hole: a long count stops there. */
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 3 * SZ_2M, SZ_2M, 1000), SZ_2M);
	T_ASSERT_EQ_U64(tables_live(t), 1);
	check_valid(t);
	tpt_free(t);
}

/* ---- a 39-bit (3-level) configuration ---------------------------------------- */

T_TEST(three_levels, "pgtable/levels/39-bit-3-levels")
{
	struct tpt *t = tpt_new(39, 40, PGTABLE_PGSIZE_ALL, true);
	uint64_t top = (1ull << 39) - SZ_4K, mapped = 0;
	uint64_t *root = mm_pa_to_virt(pgtable_root_pa(t->pt)), *l2, *l3;

	T_ASSERT_EQ_INT(pgtable_start_level(t->pt), 1);
	T_ASSERT_OK(pgtable_map_pages(t->pt, top, 0x80001000, SZ_4K, 1, RWC, &mapped));
	/* Root (L1) entry 511 -> L2 entry 511 -> L3 entry 511: three tables in all. */
	T_ASSERT_EQ_U64(root[511] & 3, 3);
	l2 = mm_pa_to_virt(root[511] & 0x0000FFFFFFFFF000ull);
	T_ASSERT_EQ_U64(l2[511] & 3, 3);
	l3 = mm_pa_to_virt(l2[511] & 0x0000FFFFFFFFF000ull);
	T_ASSERT_EQ_U64(l3[511], 0x80001000ull | 0xF47);
	T_ASSERT_EQ_U64(tables_live(t), 3);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, top + 7), 0x80001007);
	T_ASSERT_ERRNO(pgtable_map_pages(t->pt, 1ull << 39, 0, SZ_4K, 1, RW, &mapped), ERANGE);
	/* A 1G block sits in the root itself. */
	T_ASSERT_OK(pgtable_map_pages(t->pt, 0, 0, SZ_1G, 2, RW, &mapped));
	T_ASSERT_EQ_U64(root[1], SZ_1G | 0xE41);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, SZ_1G + 5), SZ_1G + 5);
	T_ASSERT_EQ_U64(tables_live(t), 3);
	check_valid(t);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, top, SZ_4K, 1), SZ_4K);
	T_ASSERT_EQ_U64(tables_live(t), 1);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0, SZ_1G, 2), 2 * SZ_1G);
	check_valid(t);
	tpt_free(t);
}

/* ---- io-pgtable selftest, reference §2.7 steps 2, 3, 5, 6 -------------------- */

static void selftest_one(unsigned int ias, unsigned int oas)
{
	static const uint64_t sizes[] = { SZ_4K, SZ_2M, SZ_1G };
	struct tpt *t = tpt_new(ias, oas, PGTABLE_PGSIZE_ALL, true);
	uint64_t iova, mapped, size;
	unsigned int i;

	/* 2. Empty table. */
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, 42), 0);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, SZ_1G + 42), 0);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, 2 * SZ_1G + 42), 0);

	/* 3. Each size at 0, 1G, 2G: map, refuse a second map, translate. */
	for (i = 0, iova = 0; i < 3; i++, iova += SZ_1G) {
		size = sizes[i];
		mapped = 0;
		T_ASSERT_OK(pgtable_map_pages(t->pt, iova, iova, size, 1,
					      RWC | PGTABLE_PROT_NOEXEC, &mapped));
		T_ASSERT_EQ_U64(mapped, size);
		T_ASSERT_ERRNO(pgtable_map_pages(t->pt, iova, iova + size, size, 1,
						 PGTABLE_PROT_READ | PGTABLE_PROT_NOEXEC, &mapped), EEXIST);
		T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, iova + 42), iova + 42);
		check_valid(t);
	}

	/* 5. Full unmap, then a WRITE-only remap. */
	for (i = 0, iova = 0; i < 3; i++, iova += SZ_1G) {
		size = sizes[i];
		T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, iova, size, 1), size);
		T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, iova + 42), 0);
		mapped = 0;
		T_ASSERT_OK(pgtable_map_pages(t->pt, iova, iova, size, 1, PGTABLE_PROT_WRITE, &mapped));
		T_ASSERT_EQ_U64(mapped, size);
		T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, iova + 42), iova + 42);
		check_valid(t);
	}

	/* 6. The top of the input range with the largest size. */
	size = SZ_1G;
	iova = (1ull << ias) - size;
	mapped = 0;
	T_ASSERT_OK(pgtable_map_pages(t->pt, iova, iova, size, 1, RWC | PGTABLE_PROT_NOEXEC, &mapped));
	T_ASSERT_EQ_U64(mapped, size);
	T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, iova + 42), iova + 42);
	check_valid(t);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, iova, size, 1), size);
	check_valid(t);

	/* 7. Teardown frees everything (checked by tpt_free). */
	tpt_free(t);
}

T_TEST(selftest, "pgtable/selftest/io-pgtable-sequence-ias-32-48")
{
	for (unsigned int ias = 32; ias <= 48; ias++) {
		selftest_one(ias, ias);
		selftest_one(ias, 48);
	}
}

/* ---- non-coherent walk: the sync contract ------------------------------- */

#define SNAP_MAX 64

/* Every live table (reached from the root) and a copy of its contents. */
struct snap {
	unsigned int n;
	phys_addr_t pa[SNAP_MAX];
	uint64_t data[SNAP_MAX][512];
};

static void snap_collect(struct snap *s, phys_addr_t pa, unsigned int lvl)
{
	const uint64_t *tbl = mm_pa_to_virt(pa);

	T_ASSERT_LT_INT(s->n, SNAP_MAX);
	s->pa[s->n] = pa;
	memcpy(s->data[s->n], tbl, 4096);
	s->n++;
	for (unsigned int i = 0; lvl < 3 && i < 512; i++)
		if ((tbl[i] & 3) == 3)
			snap_collect(s, tbl[i] & 0x0000FFFFFFFFF000ull, lvl + 1);
}

static void snap_take(struct tpt *t, struct snap *s)
{
	s->n = 0;
	snap_collect(s, pgtable_root_pa(t->pt), pgtable_start_level(t->pt));
}

static bool synced(struct tpt *t, phys_addr_t pa)
{
	for (unsigned int i = 0; i < t->nr_syncs; i++)
		if (pa >= t->syncs[i].pa && pa + 8 <= t->syncs[i].pa + t->syncs[i].bytes)
			return true;
	return false;
}

/*
 * Every entry that differs between @before and the tables now reachable
 * (new tables compare against zero) was covered by a sync; every sync is
 * 8-byte aligned and within one table. The entries covered are left in
 * @t->covered, so a caller can check that nothing unchanged was synced.
 * Return: the number of changed entries.
 */
static unsigned int check_syncs(struct tpt *t, const struct snap *before, struct snap *after)
{
	static const uint64_t zero[512];
	unsigned int changed = 0;
	uint64_t covered = 0;

	T_ASSERT(!t->sync_overflow);
	snap_take(t, after);
	for (unsigned int i = 0; i < t->nr_syncs; i++) {
		T_ASSERT_EQ_U64(t->syncs[i].pa % 8, 0);
		T_ASSERT_EQ_U64(t->syncs[i].bytes % 8, 0);
		T_ASSERT_NE_U64(t->syncs[i].bytes, 0);
		T_ASSERT_EQ_U64(t->syncs[i].pa / 4096, (t->syncs[i].pa + t->syncs[i].bytes - 1) / 4096);
		covered += t->syncs[i].bytes / 8;
	}
	for (unsigned int a = 0; a < after->n; a++) {
		const uint64_t *old = zero;

		for (unsigned int b = 0; b < before->n; b++)
			if (before->pa[b] == after->pa[a])
				old = before->data[b];
		for (unsigned int e = 0; e < 512; e++) {
			if (old[e] == after->data[a][e])
				continue;
			changed++;
			T_ASSERT_MSG(synced(t, after->pa[a] + e * 8),
				     "entry %u of table 0x%" PRIx64 " changed without a sync", e, after->pa[a]);
		}
	}
	/* Tables that disappeared: their parent entry changed (checked above). */
	t->covered = covered;
	return changed;
}

T_TEST(sync_noncoherent, "pgtable/sync/non-coherent-batches")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, false);
	struct snap *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));
	uint64_t mapped = 0;
	unsigned int changed;

	T_ASSERT(before && after);

	/* Fresh region: L1, L2, L3 built privately, published, then 512 leaves. */
	snap_take(t, before);
	t->nr_syncs = 0;
	T_ASSERT_OK(pgtable_map_pages(t->pt, 1ull << 40, 0x40000000, SZ_4K, 512, RW, &mapped));
	changed = check_syncs(t, before, after);
	T_ASSERT_EQ_INT(changed, 512 + 3);
	T_ASSERT_EQ_U64(t->covered, changed);
	/* two links inside the new chain, the publish, one batch of leaves */
	T_ASSERT_EQ_INT(t->nr_syncs, 4);
	T_ASSERT_EQ_U64(t->syncs[3].bytes, 4096);
	T_ASSERT_EQ_U64(t->syncs[0].bytes + t->syncs[1].bytes + t->syncs[2].bytes, 24);
	/* The publish comes after the chain's own links. */
	T_ASSERT_EQ_U64(t->syncs[2].pa & ~4095ull, pgtable_root_pa(t->pt));

	/* Into a table that exists: exactly one call with exactly the bytes written. */
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, (1ull << 40) + 100 * SZ_4K, SZ_4K, 50), 50 * SZ_4K);
	snap_take(t, before);
	t->nr_syncs = 0;
	T_ASSERT_OK(pgtable_map_pages(t->pt, (1ull << 40) + 100 * SZ_4K, 0x50000000, SZ_4K, 50, RW, &mapped));
	T_ASSERT_EQ_INT(check_syncs(t, before, after), 50);
	T_ASSERT_EQ_U64(t->covered, 50);
	T_ASSERT_EQ_INT(t->nr_syncs, 1);
	T_ASSERT_EQ_U64(t->syncs[0].bytes, 50 * 8);

	/* Unmap inside a table: one batch. */
	snap_take(t, before);
	t->nr_syncs = 0;
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, (1ull << 40) + 10 * SZ_4K, SZ_4K, 30), 30 * SZ_4K);
	T_ASSERT_EQ_INT(check_syncs(t, before, after), 30);
	T_ASSERT_EQ_U64(t->covered, 30);
	T_ASSERT_EQ_INT(t->nr_syncs, 1);

	/* Unmap of the rest: the leaves, then each emptied table's parent entry. */
	snap_take(t, before);
	t->nr_syncs = 0;
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 1ull << 40, SZ_4K, 10), 10 * SZ_4K);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, (1ull << 40) + 40 * SZ_4K, SZ_4K, 472), 472 * SZ_4K);
	check_syncs(t, before, after);
	T_ASSERT_EQ_INT(t->nr_syncs, 2 + 3);
	T_ASSERT_EQ_U64(t->syncs[4].pa & ~4095ull, pgtable_root_pa(t->pt));

	/* A 2M unmap over blocks and a table of pages: batches split at the table. */
	T_ASSERT_OK(map_range(t, 0, 0x40000000, SZ_2M, 2, RW));
	T_ASSERT_OK(map_range(t, 2 * SZ_2M, 0x40000000, SZ_4K, 7, RW));
	T_ASSERT_OK(map_range(t, 3 * SZ_2M, 0x40000000, SZ_2M, 2, RW));
	snap_take(t, before);
	t->nr_syncs = 0;
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0, SZ_2M, 5), 5 * SZ_2M);
	check_syncs(t, before, after);
	/* [blk blk tbl] [blk blk], then L2's entry in L1 and L1's entry in the root */
	T_ASSERT_EQ_INT(t->nr_syncs, 4);
	T_ASSERT_EQ_U64(t->syncs[0].bytes, 24);
	T_ASSERT_EQ_U64(t->syncs[1].bytes, 16);
	check_valid(t);
	free(before);
	free(after);
	tpt_free(t);
}

T_TEST(sync_coherent, "pgtable/sync/coherent-never-calls")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, true);
	struct pgtable_stats st;

	T_ASSERT_OK(map_range(t, 0, 0x40000000, SZ_4K, 2048, RW));
	T_ASSERT_OK(map_range(t, SZ_1G, 0x40000000, SZ_2M, 16, RW));
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 0, SZ_4K, 2048), 2048 * SZ_4K);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, SZ_1G, SZ_2M, 16), 16 * SZ_2M);
	T_ASSERT_EQ_INT(t->nr_syncs, 0);
	pgtable_get_stats(t->pt, &st);
	T_ASSERT_EQ_U64(st.syncs, 0);
	tpt_free(t);
}

/* ---- concurrent readers --------------------------------------------------- */

struct reader_ctx {
	struct pgtable *pt;
	uint64_t iova;
	phys_addr_t pa;
	bool stop;
	unsigned long lookups, wrong;
};

static void *reader_main(void *arg)
{
	struct reader_ctx *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		for (unsigned int i = 0; i < 64; i++)
			if (pgtable_iova_to_phys(r->pt, r->iova + i * SZ_4K) != r->pa + i * SZ_4K)
				r->wrong++;
		__atomic_store_n(&r->lookups, r->lookups + 64, __ATOMIC_RELAXED);
	}
	return NULL;
}

T_TEST(concurrent_reader, "pgtable/concurrency/reader-during-updates")
{
	/*
	 * A walker reading while the (single) updater changes other entries of
	 * the same tables, as the GPU model does: the untouched translation
	 * must never waver. Meant for ThreadSanitizer too: every descriptor
	 * and count access shared with a reader is atomic.
	 */
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, true);
	struct reader_ctx r = { .pt = t->pt, .iova = SZ_1G + 5 * SZ_2M, .pa = 0x80000000 };
	pthread_t th;

	T_ASSERT_OK(map_range(t, r.iova, r.pa, SZ_4K, 64, RW));
	T_ASSERT_EQ_INT(pthread_create(&th, NULL, reader_main, &r), 0);
	/* At least 3000 updates, and on until the reader has really run alongside. */
	for (unsigned int i = 0; i < 3000 || (__atomic_load_n(&r.lookups, __ATOMIC_RELAXED) < 20000 &&
					      i < 3000000); i++) {
		uint64_t slot = SZ_1G + (t_rand() % 512) * SZ_2M;

		if (slot == SZ_1G + 5 * SZ_2M)
			continue;
		if (i & 1) {
			T_ASSERT_OK(map_range(t, slot, 0x40000000, SZ_2M, 1, RW));
			T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, slot, SZ_2M, 1), SZ_2M);
		} else {
			T_ASSERT_OK(map_range(t, slot + SZ_4K, 0x40000000, SZ_4K, 3, RW));
			T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, slot + SZ_4K, SZ_4K, 3), 3 * SZ_4K);
		}
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
	T_ASSERT_EQ_INT(pthread_join(th, NULL), 0);
	T_ASSERT_EQ_U64(r.wrong, 0);
	T_ASSERT_GE_INT(r.lookups, 20000);
	check_valid(t);
	tpt_free(t);
}

/* ---- fault injection ------------------------------------------------------ */

struct fault_ctx {
	struct tpt *t;
	uint64_t iova;
};

static int fault_run(void *arg)
{
	struct fault_ctx *f = arg;
	uint64_t mapped = 0;
	int ret = pgtable_map_pages(f->t->pt, f->iova, 0x40000000, SZ_4K, 512, RW, &mapped);

	T_ASSERT_EQ_U64(mapped, ret ? 0 : 512 * SZ_4K);
	return ret;
}

static void fault_undo(void *arg)
{
	struct fault_ctx *f = arg;

	T_ASSERT_EQ_U64(pgtable_unmap_pages(f->t->pt, f->iova, SZ_4K, 512), 512 * SZ_4K);
}

static void fault_check(void *arg)
{
	struct fault_ctx *f = arg;

	check_valid(f->t);
	tables_live(f->t);
}

static long fault_resources(void *arg)
{
	struct fault_ctx *f = arg;

	return (long)mm_budget_used(f->t->b);
}

T_TEST(fault_map, "pgtable/fault/map-new-tables")
{
	static const struct t_fault_loop_ops ops = {
		.run = fault_run,
		.undo = fault_undo,
		.check = fault_check,
		.resources = fault_resources,
	};
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, false);
	struct fault_ctx f = { .t = t, .iova = (1ull << 47) + 3 * SZ_1G };
	unsigned long points;

	/* Needs L1, L2 and L3 tables: three allocation points (the loop undoes its final success). */
	points = t_fault_loop(&ops, &f, false);
	T_ASSERT_EQ_INT(points, 3);
	points = t_fault_loop(&ops, &f, true);
	T_ASSERT_EQ_INT(points, 3);
	T_ASSERT_EQ_U64(tables_live(t), 1);
	/* Under an existing L1: two. */
	T_ASSERT_OK(map_range(t, 1ull << 47, 0, SZ_4K, 1, RW));
	points = t_fault_loop(&ops, &f, true);
	T_ASSERT_EQ_INT(points, 2);
	T_ASSERT_EQ_U64(pgtable_unmap_pages(t->pt, 1ull << 47, SZ_4K, 1), SZ_4K);
	T_ASSERT_EQ_U64(tables_live(t), 1);
	tpt_free(t);
}

struct create_ctx {
	struct mm_budget *b;
	struct tpt t;
	struct pgtable *pt;
};

static int create_run(void *arg)
{
	struct create_ctx *c = arg;
	struct pgtable *pt = pgtable_create(&c->t.cfg);

	if (IS_ERR(pt))
		return (int)PTR_ERR(pt);
	c->pt = pt;
	return 0;
}

static void create_undo(void *arg)
{
	struct create_ctx *c = arg;

	pgtable_destroy(c->pt);
	c->pt = NULL;
}

static long create_resources(void *arg)
{
	struct create_ctx *c = arg;

	return (long)mm_budget_used(c->b);
}

T_TEST(fault_create, "pgtable/fault/create")
{
	static const struct t_fault_loop_ops ops = {
		.run = create_run,
		.undo = create_undo,
		.resources = create_resources,
	};
	struct create_ctx *c = calloc(1, sizeof(*c));

	T_ASSERT(c != NULL);
	c->b = budget_new();
	c->t.b = c->b;
	c->t.cfg = (struct pgtable_cfg){
		.ias = 48, .oas = 40, .pgsize_bitmap = PGTABLE_PGSIZE_4K_2M,
		.coherent_walk = true, .ops = &tpt_ops, .cookie = &c->t,
	};
	/* The descriptor (heap) and the root table (frame). */
	T_ASSERT_EQ_INT(t_fault_loop(&ops, c, false), 2);
	T_ASSERT_EQ_INT(t_fault_loop(&ops, c, true), 2);
	T_ASSERT_EQ_U64(mm_budget_used(c->b), 0);
	mm_budget_destroy(c->b);
	free(c);
}

/* ---- dump ------------------------------------------------------------------ */

struct dump_ctx {
	unsigned int lines;
	bool saw_leaf, saw_block, saw_table;
};

static void dump_line(void *arg, const char *line)
{
	struct dump_ctx *d = arg;

	d->lines++;
	if (strstr(line, "0x000000201000-0x000000202000 -> 0x80001000 4K RW cached XN"))
		d->saw_leaf = true;
	if (strstr(line, "-> 0x80200000 2M RO uncached X"))
		d->saw_block = true;
	if (strstr(line, "L3 table @0x") && strstr(line, "1 valid"))
		d->saw_table = true;
}

T_TEST(dump, "pgtable/dump/lines")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, true);
	struct dump_ctx d = { 0 };

	T_ASSERT_OK(map_range(t, SZ_2M + SZ_4K, 0x80001000, SZ_4K, 1, RWC | PGTABLE_PROT_NOEXEC));
	T_ASSERT_OK(map_range(t, 2 * SZ_2M, 0x80200000, SZ_2M, 1, PGTABLE_PROT_READ));
	pgtable_dump(t->pt, 0, 0, dump_line, &d);
	/* root, L1, L2, L3, one page, one block */
	T_ASSERT_EQ_INT(d.lines, 6);
	T_ASSERT(d.saw_leaf && d.saw_block && d.saw_table);
	memset(&d, 0, sizeof(d));
	pgtable_dump(t->pt, 2 * SZ_2M, 3 * SZ_2M, dump_line, &d);
	T_ASSERT_EQ_INT(d.lines, 4);
	T_ASSERT(d.saw_block && !d.saw_leaf);
	tpt_free(t);
}

/* ---- randomized run against a reference model ----------------------------- */

/*
 * Four windows of 8 MiB placed across the boundaries that matter (VA 0, a
 * 1 GiB boundary, a 512 GiB boundary, the top of the 48-bit space). The
 * model keeps, per 4 KiB page, the PA it maps (0 = none; PAs are never 0)
 * and whether it belongs to a 2 MiB block.
 */
#define RM_WINDOWS      4
#define RM_WINDOW_PAGES (8 * MiB / SZ_4K)
#define RM_SLOTS        (8 * MiB / SZ_2M)

static const uint64_t rm_base[RM_WINDOWS] = {
	0, SZ_1G - 4 * MiB, (1ull << 39) - 4 * MiB, (1ull << 48) - 8 * MiB,
};

struct rmodel {
	uint64_t pa[RM_WINDOWS][RM_WINDOW_PAGES];
	bool block[RM_WINDOWS][RM_WINDOW_PAGES];
};

static uint64_t rm_iova(unsigned int w, uint64_t page)
{
	return rm_base[w] + page * SZ_4K;
}

/* Expected result of pgtable_map_pages() (one call) from the model. */
static int rm_map(struct tpt *t, struct rmodel *m, unsigned int w, uint64_t page,
		  uint64_t pgsize, uint64_t count, uint64_t pa, unsigned int prot)
{
	uint64_t per = pgsize / SZ_4K, iova = rm_iova(w, page), mapped = 0;
	uint64_t in_table = 512 - ((iova / pgsize) % 512);
	uint64_t n = u_min(count, in_table), expect_ret = 0;
	int ret;

	if (page + n * per > RM_WINDOW_PAGES)
		n = (RM_WINDOW_PAGES - page) / per;
	if (!n)
		return 0;
	for (uint64_t p = page; p < page + n * per; p++)
		if (m->pa[w][p])
			expect_ret = EEXIST;
	/* A page under a block: the block starts before @page's run. */
	if (pgsize == SZ_4K && m->block[w][page])
		expect_ret = EEXIST;
	ret = pgtable_map_pages(t->pt, iova, pa, pgsize, n, prot, &mapped);
	if (expect_ret) {
		T_ASSERT_ERRNO(ret, EEXIST);
		T_ASSERT_EQ_U64(mapped, 0);
		return 0;
	}
	T_ASSERT_OK(ret);
	T_ASSERT_EQ_U64(mapped, n * pgsize);
	for (uint64_t p = 0; p < n * per; p++) {
		m->pa[w][page + p] = pa + p * SZ_4K;
		m->block[w][page + p] = pgsize == SZ_2M;
	}
	return (int)n;
}

static void rm_unmap(struct tpt *t, struct rmodel *m, unsigned int w, uint64_t page,
		     uint64_t pgsize, uint64_t count)
{
	uint64_t per = pgsize / SZ_4K, done = 0, got;

	if (page + count * per > RM_WINDOW_PAGES)
		count = (RM_WINDOW_PAGES - page) / per;
	if (!count)
		return;
	for (; done < count; done++) {
		uint64_t p0 = page + done * per;
		bool any = false;

		if (pgsize == SZ_4K) {
			if (!m->pa[w][p0] || m->block[w][p0])
				break;
			m->pa[w][p0] = 0;
			continue;
		}
		for (uint64_t p = p0; p < p0 + per; p++)
			any |= m->pa[w][p] != 0;
		if (!any)
			break;
		for (uint64_t p = p0; p < p0 + per; p++) {
			m->pa[w][p] = 0;
			m->block[w][p] = false;
		}
	}
	got = pgtable_unmap_pages(t->pt, rm_iova(w, page), pgsize, count);
	T_ASSERT_EQ_U64(got, done * pgsize);
}

static void rm_check_pages(struct tpt *t, struct rmodel *m, unsigned int w, uint64_t from,
			   uint64_t to)
{
	for (uint64_t p = from; p < to && p < RM_WINDOW_PAGES; p++) {
		uint64_t off = (p * 977) & 0xFFF;

		T_ASSERT_EQ_U64(pgtable_iova_to_phys(t->pt, rm_iova(w, p) + off),
				m->pa[w][p] ? m->pa[w][p] + off : 0);
	}
}

/* Tables the model implies: root + one per populated 512G, 1G, and 2M-of-pages slot. */
static uint64_t rm_tables(struct rmodel *m)
{
	uint64_t seen[3][RM_WINDOWS * RM_SLOTS];
	unsigned int nr[3] = { 0 };
	uint64_t tables = 1;

	for (unsigned int w = 0; w < RM_WINDOWS; w++) {
		for (unsigned int s = 0; s < RM_SLOTS; s++) {
			bool any = false, pages = false;
			uint64_t key[3];

			for (unsigned int p = s * 512; p < (s + 1) * 512; p++) {
				any |= m->pa[w][p] != 0;
				pages |= m->pa[w][p] && !m->block[w][p];
			}
			if (!any)
				continue;
			key[0] = rm_iova(w, s * 512) >> 39;
			key[1] = rm_iova(w, s * 512) >> 30;
			key[2] = pages ? rm_iova(w, s * 512) >> 21 : ~0ull;
			for (unsigned int k = 0; k < 3; k++) {
				bool dup = key[k] == ~0ull;

				for (unsigned int i = 0; i < nr[k] && !dup; i++)
					dup = seen[k][i] == key[k];
				if (!dup) {
					seen[k][nr[k]++] = key[k];
					tables++;
				}
			}
		}
	}
	return tables;
}

T_TEST(random_model, "pgtable/random/model-4000-ops")
{
	struct tpt *t = tpt_new(48, 40, PGTABLE_PGSIZE_4K_2M, true);
	struct rmodel *m = calloc(1, sizeof(*m));
	unsigned int stats[4] = { 0 };

	T_ASSERT(m != NULL);
	for (unsigned int step = 0; step < 4000; step++) {
		unsigned int w = t_rand() % RM_WINDOWS, op = t_rand() % 4;
		uint64_t page = t_rand() % RM_WINDOW_PAGES;
		uint64_t pa = 0x100000000ull + (t_rand() % 1024) * SZ_2M;
		unsigned int prot = (t_rand() & 7) | PGTABLE_PROT_READ;
		uint64_t count, big = t_rand() % 4;

		/* One t_rand() per statement: the sequence must not depend on the compiler. */
		pa |= (t_rand() % 512) * SZ_4K;

		switch (op) {
		case 0:	/* a run of pages, up to a little over one table */
			count = 1 + t_rand() % (big ? 16 : 600);
			stats[0] += rm_map(t, m, w, page, SZ_4K, count, pa, prot) > 0;
			break;
		case 1:	/* blocks */
			page &= ~511ull;
			count = 1 + t_rand() % 3;
			stats[1] += rm_map(t, m, w, page, SZ_2M, count, pa & ~(SZ_2M - 1), prot) > 0;
			break;
		case 2:	/* unmap pages */
			count = 1 + t_rand() % (big ? 16 : 1100);
			rm_unmap(t, m, w, page, SZ_4K, count);
			stats[2]++;
			break;
		default: /* unmap at 2M: blocks and whole tables of pages */
			page &= ~511ull;
			count = 1 + t_rand() % 4;
			rm_unmap(t, m, w, page, SZ_2M, count);
			stats[3]++;
			break;
		}
		check_valid(t);
		T_ASSERT_EQ_U64(tables_live(t), rm_tables(m));
		rm_check_pages(t, m, w, page > 600 ? page - 600 : 0, page + 1200);
		if (step % 500 == 499)
			for (unsigned int ww = 0; ww < RM_WINDOWS; ww++)
				rm_check_pages(t, m, ww, 0, RM_WINDOW_PAGES);
	}
	t_note("maps of pages %u, of blocks %u, unmaps %u + %u", stats[0], stats[1], stats[2], stats[3]);
	T_ASSERT_GT_INT(stats[0], 100);
	T_ASSERT_GT_INT(stats[1], 100);
	free(m);
	tpt_free(t);
}
