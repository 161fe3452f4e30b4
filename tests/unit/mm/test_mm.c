// SPDX-License-Identifier: MIT
/*
 * Tests of src/mm: the arena's buddy allocator, budgets and watermarks,
 * shrinkers (direct and background reclaim), swap, validate, and every
 * allocating path under the fault-injection loop.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "t_harness.h"
#include "mm/mm.h"
#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_fault.h"
#include "util/u_lock.h"
#include "util/u_lockdep.h"

#define MiB (1ull << 20)

static struct mm_budget *budget_new(uint64_t limit, uint64_t swap, bool bg)
{
	struct mm_budget_config cfg = {
		.name = "test",
		.limit_bytes = limit,
		.swap_bytes = swap,
		.no_background_reclaim = !bg,
	};
	struct mm_budget *b = mm_budget_create(&cfg);

	T_ASSERT_MSG(!IS_ERR(b), "mm_budget_create: %ld", PTR_ERR(b));
	return b;
}

static void validate(void)
{
	T_ASSERT_OK(mm_validate());
}

/* A stack of allocated blocks, to free them all at the end. */
struct blocks {
	phys_addr_t pa[4096];
	unsigned int order[4096];
	unsigned int n;
};

static void blocks_free_all(struct mm_budget *b, struct blocks *bl)
{
	while (bl->n) {
		bl->n--;
		mm_free_pages(b, bl->pa[bl->n], bl->order[bl->n]);
	}
}

T_TEST(direct_map, "mm/arena/direct-map")
{
	struct mm_budget *b = budget_new(4 * MiB, 0, false);
	phys_addr_t pa;
	uint8_t *p;

	T_ASSERT_OK(mm_alloc_pages(b, 0, MM_GFP_ZERO, MM_OWNER_BO, 42, &pa));
	T_ASSERT(mm_pa_valid(pa));
	T_ASSERT_EQ_U64(pa & (MM_PAGE_SIZE - 1), 0);
	p = mm_pa_to_virt(pa);
	T_ASSERT_EQ_U64(mm_virt_to_pa(p), pa);
	T_ASSERT_EQ_U64(mm_pfn_to_pa(mm_pa_to_pfn(pa)), pa);
	T_ASSERT_EQ_INT(mm_frame(pa)->state, MM_FRAME_ALLOCATED);
	T_ASSERT_EQ_INT(mm_frame(pa)->owner_kind, MM_OWNER_BO);
	T_ASSERT_EQ_INT(mm_frame(pa)->owner_id, 42);
	T_ASSERT_EQ_INT(mm_frame(pa)->order, 0);
	mm_set_owner(pa, 0, MM_OWNER_PGTABLE, 7);
	T_ASSERT_EQ_INT(mm_frame(pa)->owner_kind, MM_OWNER_PGTABLE);
	T_ASSERT_EQ_INT(mm_frame(pa)->owner_id, 7);
	/* The arena memfd holds the same bytes at offset pa - PA_BASE. */
	p[5] = 0xa5;
	{
		uint8_t byte = 0;

		T_ASSERT_EQ_INT(pread(mm_arena_fd(), &byte, 1, (off_t)(pa - MM_PA_BASE + 5)), 1);
		T_ASSERT_EQ_INT(byte, 0xa5);
	}
	mm_free_pages(b, pa, 0);
	T_ASSERT_EQ_INT(mm_frame(pa)->state, MM_FRAME_FREE);
	T_ASSERT_EQ_INT(mm_frame(pa)->owner_kind, MM_OWNER_NONE);
	validate();
	mm_budget_destroy(b);
}

T_TEST(buddy_alignment, "mm/buddy/alignment")
{
	struct mm_budget *b = budget_new(64 * MiB, 0, false);
	static struct blocks bl;

	for (unsigned int round = 0; round < 3; round++) {
		for (unsigned int o = 0; o <= MM_MAX_ORDER; o++) {
			phys_addr_t pa;

			T_ASSERT_OK(mm_alloc_pages(b, o, 0, MM_OWNER_BO, o, &pa));
			T_ASSERT_MSG(((pa - MM_PA_BASE) & ((MM_PAGE_SIZE << o) - 1)) == 0,
				     "order %u block at PA 0x%llx not aligned to its size", o,
				     (unsigned long long)pa);
			T_ASSERT_EQ_INT(mm_frame(pa)->order, o);
			for (uint64_t i = 1; i < (1ull << o); i++) {
				T_ASSERT_EQ_INT(mm_frame(pa + i * MM_PAGE_SIZE)->order, MM_ORDER_TAIL);
				T_ASSERT_EQ_INT(mm_frame(pa + i * MM_PAGE_SIZE)->owner_id, o);
			}
			bl.pa[bl.n] = pa;
			bl.order[bl.n++] = o;
			validate();
		}
	}
	T_ASSERT_EQ_U64(mm_budget_used(b), 3 * ((1u << (MM_MAX_ORDER + 1)) - 1));
	blocks_free_all(b, &bl);
	T_ASSERT_EQ_U64(mm_budget_used(b), 0);
	validate();
	mm_budget_destroy(b);
}

T_TEST(buddy_split_merge, "mm/buddy/split-merge")
{
	struct mm_budget *b = budget_new(2 * MiB, 0, false);
	phys_addr_t pages[512], big;

	/* 512 single pages fill exactly one 2 MiB block (the budget's whole limit). */
	for (int i = 0; i < 512; i++)
		T_ASSERT_OK(mm_alloc_pages(b, 0, 0, MM_OWNER_BO, 1, &pages[i]));
	T_ASSERT_ERRNO(mm_alloc_pages(b, 0, MM_GFP_NORECLAIM, MM_OWNER_BO, 1, &big), ENOMEM);
	validate();
	/* Free every other page: nothing can merge, no order-1 block exists among them. */
	for (int i = 0; i < 512; i += 2)
		mm_free_pages(b, pages[i], 0);
	validate();
	T_ASSERT_ERRNO(mm_alloc_pages(b, 9, MM_GFP_NORECLAIM, MM_OWNER_BO, 1, &big), ENOMEM);
	/* Free the rest: the buddies merge back into one order-9 block. */
	for (int i = 1; i < 512; i += 2)
		mm_free_pages(b, pages[i], 0);
	validate();
	T_ASSERT_OK(mm_alloc_pages(b, 9, 0, MM_OWNER_BO, 1, &big));
	mm_free_pages(b, big, 9);
	validate();
	mm_budget_destroy(b);
}

T_TEST(buddy_churn_2m, "mm/buddy/2m-after-churn")
{
	struct mm_budget *b = budget_new(32 * MiB, 0, false);
	static struct blocks bl;
	unsigned int nr_2m = 0;

	/* Random allocations and frees of mixed orders, validated at every step. */
	for (int step = 0; step < 4000; step++) {
		if (bl.n && (t_rand() % 3 == 0 || bl.n == ARRAY_SIZE(bl.pa))) {
			unsigned int k = (unsigned int)(t_rand() % bl.n);

			mm_free_pages(b, bl.pa[k], bl.order[k]);
			bl.n--;
			bl.pa[k] = bl.pa[bl.n];
			bl.order[k] = bl.order[bl.n];
		} else {
			unsigned int o = (unsigned int)(t_rand() % 4 ? t_rand() % 3 : t_rand() % 10);
			phys_addr_t pa;
			int r = mm_alloc_pages(b, o, MM_GFP_NORECLAIM, MM_OWNER_BO, 3, &pa);

			if (r) {
				T_ASSERT_ERRNO(r, ENOMEM);
				T_ASSERT(mm_budget_used(b) + (1u << o) > 32 * MiB / MM_PAGE_SIZE);
			} else {
				bl.pa[bl.n] = pa;
				bl.order[bl.n++] = o;
			}
		}
		if (step % 64 == 0)
			validate();
	}
	blocks_free_all(b, &bl);
	validate();
	/* After the churn, the whole budget is available again as 2 MiB chunks. */
	for (;;) {
		phys_addr_t pa;

		if (mm_alloc_pages(b, 9, MM_GFP_NORECLAIM, MM_OWNER_BO, 4, &pa))
			break;
		bl.pa[bl.n] = pa;
		bl.order[bl.n++] = 9;
		nr_2m++;
	}
	T_ASSERT_EQ_INT(nr_2m, 16);
	blocks_free_all(b, &bl);
	validate();
	mm_budget_destroy(b);
}

static void double_free_child(void *arg)
{
	struct mm_budget *b = budget_new(4 * MiB, 0, false);
	phys_addr_t pa;

	(void)arg;
	if (mm_alloc_pages(b, 1, 0, MM_OWNER_BO, 1, &pa))
		return;
	mm_free_pages(b, pa, 1);
	mm_free_pages(b, pa, 1);
}

static void wrong_order_child(void *arg)
{
	struct mm_budget *b = budget_new(4 * MiB, 0, false);
	phys_addr_t pa;

	(void)arg;
	if (mm_alloc_pages(b, 2, 0, MM_OWNER_BO, 1, &pa))
		return;
	mm_free_pages(b, pa, 1);
}

static void leak_child(void *arg)
{
	struct mm_budget *b = budget_new(4 * MiB, 0, false);
	phys_addr_t pa;

	(void)arg;
	if (mm_alloc_pages(b, 0, 0, MM_OWNER_BO, 1, &pa))
		return;
	mm_budget_destroy(b);
}

static void forbidden_alloc_child(void *arg)
{
	struct mm_budget *b = budget_new(4 * MiB, 0, false);
	phys_addr_t pa;

	(void)arg;
	u_alloc_forbid_begin("test section");
	mm_alloc_pages(b, 0, MM_GFP_NORECLAIM, MM_OWNER_PGTABLE, 1, &pa);
}

T_TEST(forbidden_section, "mm/budget/no-frames-in-no-allocation-section")
{
	T_ASSERT_MSG(t_expect_abort(forbidden_alloc_child, NULL),
		     "a frame allocation inside a no-allocation section must abort");
}

T_TEST(buddy_misuse, "mm/buddy/misuse-aborts")
{
	T_ASSERT_MSG(t_expect_abort(double_free_child, NULL), "a double free must abort");
	T_ASSERT_MSG(t_expect_abort(wrong_order_child, NULL), "a free with the wrong order must abort");
	T_ASSERT_MSG(t_expect_abort(leak_child, NULL), "destroying a budget that holds frames must abort");
}

T_TEST(budget_limit, "mm/budget/limit")
{
	struct mm_budget *b = budget_new(1 * MiB, 0, false);
	struct mm_budget_stats st;
	phys_addr_t pa[256], extra;

	for (int i = 0; i < 256; i++)
		T_ASSERT_OK(mm_alloc_pages(b, 0, 0, MM_OWNER_BO, 1, &pa[i]));
	T_ASSERT_ERRNO(mm_alloc_pages(b, 0, 0, MM_OWNER_BO, 1, &extra), ENOMEM);
	T_ASSERT_ERRNO(mm_alloc_pages(b, 10, 0, MM_OWNER_BO, 1, &extra), EINVAL);
	mm_budget_stats(b, &st);
	T_ASSERT_EQ_U64(st.limit, 256);
	T_ASSERT_EQ_U64(st.used, 256);
	T_ASSERT_EQ_U64(st.peak, 256);
	T_ASSERT_EQ_U64(st.allocs, 256);
	T_ASSERT_EQ_U64(st.failed_allocs, 1);
	for (int i = 0; i < 256; i++)
		mm_free_pages(b, pa[i], 0);
	mm_budget_stats(b, &st);
	T_ASSERT_EQ_U64(st.used, 0);
	T_ASSERT_EQ_U64(st.peak, 256);
	T_ASSERT_EQ_U64(st.frees, 256);
	validate();
	mm_budget_destroy(b);
}

T_TEST(budget_two_share_arena, "mm/budget/two-budgets-one-arena")
{
	struct mm_budget *a = budget_new(2 * MiB, 0, false);
	struct mm_budget *c = budget_new(2 * MiB, 0, false);
	phys_addr_t pa, pc;

	T_ASSERT_OK(mm_alloc_pages(a, 9, 0, MM_OWNER_BO, 1, &pa));
	T_ASSERT_OK(mm_alloc_pages(c, 9, 0, MM_OWNER_BO, 2, &pc));
	T_ASSERT_NE_U64(pa, pc);
	/* Each budget's limit is its own. */
	{
		phys_addr_t extra;

		T_ASSERT_ERRNO(mm_alloc_pages(a, 0, 0, MM_OWNER_BO, 1, &extra), ENOMEM);
	}
	T_ASSERT_EQ_U64(mm_budget_used(a), 512);
	T_ASSERT_EQ_U64(mm_budget_used(c), 512);
	T_ASSERT_NE_INT(mm_frame(pa)->budget, mm_frame(pc)->budget);
	validate();
	mm_free_pages(a, pa, 9);
	mm_free_pages(c, pc, 9);
	validate();
	mm_budget_destroy(a);
	mm_budget_destroy(c);
}

T_TEST(budget_zero, "mm/budget/zeroed-on-reuse")
{
	struct mm_budget *b = budget_new(2 * MiB, 0, false);
	phys_addr_t pa, pa2;
	uint8_t *p;

	T_ASSERT_OK(mm_alloc_pages(b, 3, 0, MM_OWNER_BO, 1, &pa));
	memset(mm_pa_to_virt(pa), 0x5a, 8 * MM_PAGE_SIZE);
	mm_free_pages(b, pa, 3);
	T_ASSERT_OK(mm_alloc_pages(b, 3, MM_GFP_ZERO, MM_OWNER_BO, 1, &pa2));
	T_ASSERT_EQ_U64(pa2, pa);	/* LIFO reuse: the same, dirty frames come back */
	p = mm_pa_to_virt(pa2);
	for (size_t i = 0; i < 8 * MM_PAGE_SIZE; i++)
		T_ASSERT_MSG(p[i] == 0, "byte %zu of a MM_GFP_ZERO block is 0x%x", i, p[i]);
	mm_free_pages(b, pa2, 3);
	mm_budget_destroy(b);
}

T_TEST(budget_bad_config, "mm/budget/bad-config")
{
	struct mm_budget_config cfg = { .name = "bad", .limit_bytes = 4097 };

	T_ASSERT_ERRNO(PTR_ERR(mm_budget_create(&cfg)), EINVAL);
	cfg.limit_bytes = 4 * MiB;
	cfg.low_wmark_bytes = 2 * MiB;
	cfg.high_wmark_bytes = 1 * MiB;
	T_ASSERT_ERRNO(PTR_ERR(mm_budget_create(&cfg)), EINVAL);
	cfg.low_wmark_bytes = 0;
	cfg.high_wmark_bytes = 8 * MiB;
	T_ASSERT_ERRNO(PTR_ERR(mm_budget_create(&cfg)), EINVAL);
	cfg.high_wmark_bytes = 0;
	cfg.swap_bytes = 100;
	T_ASSERT_ERRNO(PTR_ERR(mm_budget_create(&cfg)), EINVAL);
	/* So many slots that the slot bitmap's word count would wrap in 32 bits. */
	cfg.swap_bytes = (uint64_t)UINT32_MAX * MM_PAGE_SIZE;
	T_ASSERT_ERRNO(PTR_ERR(mm_budget_create(&cfg)), EINVAL);
}

/*
 * A toy reclaimable cache: it holds frames and gives them back when asked.
 * @lock, when set, is taken by the scan (to provoke the reclaim lock rule).
 */
struct toy_cache {
	struct mm_budget *b;
	struct mm_shrinker shrinker;
	pthread_mutex_t mu;
	phys_addr_t pa[1024];
	unsigned int n;
	unsigned long scans;
	bool last_may_block;
	bool last_has_swap;
	bool allocate_in_scan;
	int scan_depth;
	int max_scan_depth;
	unsigned long max_nr_to_scan;
	struct u_mutex *lock;
};

static unsigned long toy_count(void *cookie, struct mm_shrink_control *sc)
{
	struct toy_cache *c = cookie;
	unsigned long n;

	T_ASSERT(u_in_reclaim());
	pthread_mutex_lock(&c->mu);
	n = c->n;
	pthread_mutex_unlock(&c->mu);
	return n;
}

static unsigned long toy_scan(void *cookie, struct mm_shrink_control *sc)
{
	struct toy_cache *c = cookie;
	unsigned long freed = 0;

	if (c->lock)
		u_mutex_lock(c->lock);
	pthread_mutex_lock(&c->mu);
	c->scans++;
	c->last_may_block = sc->may_block;
	c->last_has_swap = sc->has_swap;
	if (sc->nr_to_scan > c->max_nr_to_scan)
		c->max_nr_to_scan = sc->nr_to_scan;
	if (++c->scan_depth > c->max_scan_depth)
		c->max_scan_depth = c->scan_depth;
	while (c->n && freed < sc->nr_to_scan) {
		mm_free_pages(c->b, c->pa[--c->n], 0);
		freed++;
	}
	pthread_mutex_unlock(&c->mu);
	if (c->allocate_in_scan) {
		phys_addr_t pa;

		/* Already in reclaim: this must not recurse into the shrinkers. */
		if (!mm_alloc_pages(c->b, 0, MM_GFP_KERNEL, MM_OWNER_BO, 9, &pa))
			mm_free_pages(c->b, pa, 0);
	}
	pthread_mutex_lock(&c->mu);
	c->scan_depth--;
	pthread_mutex_unlock(&c->mu);
	if (c->lock)
		u_mutex_unlock(c->lock);
	sc->nr_scanned = freed;
	return freed;
}

static const struct mm_shrinker_ops toy_ops = {
	.count = toy_count,
	.scan = toy_scan,
};

static void toy_init(struct toy_cache *c, struct mm_budget *b)
{
	memset(c, 0, sizeof(*c));
	c->b = b;
	pthread_mutex_init(&c->mu, NULL);
	c->shrinker.ops = &toy_ops;
	c->shrinker.cookie = c;
	c->shrinker.name = "toy";
	mm_shrinker_register(b, &c->shrinker);
}

static void toy_fill(struct toy_cache *c, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		phys_addr_t pa;

		T_ASSERT_OK(mm_alloc_pages(c->b, 0, MM_GFP_NORECLAIM, MM_OWNER_BO, 5, &pa));
		pthread_mutex_lock(&c->mu);
		c->pa[c->n++] = pa;
		pthread_mutex_unlock(&c->mu);
	}
}

static void toy_fini(struct toy_cache *c)
{
	mm_shrinker_unregister(c->b, &c->shrinker);
	while (c->n)
		mm_free_pages(c->b, c->pa[--c->n], 0);
	pthread_mutex_destroy(&c->mu);
}

T_TEST(reclaim_direct, "mm/reclaim/direct")
{
	struct mm_budget_config cfg = {
		.name = "direct", .limit_bytes = 1 * MiB,	/* 256 pages */
		.low_wmark_bytes = 64 * MM_PAGE_SIZE, .high_wmark_bytes = 128 * MM_PAGE_SIZE,
		.no_background_reclaim = true,
	};
	struct mm_budget *b = mm_budget_create(&cfg);
	struct mm_budget_stats st;
	static struct toy_cache c;
	phys_addr_t pa[64];

	T_ASSERT(!IS_ERR(b));
	toy_init(&c, b);
	toy_fill(&c, 256);	/* the cache holds the whole budget */
	T_ASSERT_EQ_U64(mm_budget_used(b), 256);

	/* A reclaim-forbidding allocation fails without calling the shrinker. */
	T_ASSERT_ERRNO(mm_alloc_pages(b, 0, MM_GFP_NORECLAIM, MM_OWNER_BO, 1, &pa[0]), ENOMEM);
	T_ASSERT_EQ_INT(c.scans, 0);

	/* A normal allocation reclaims down to the low watermark and succeeds. */
	T_ASSERT_OK(mm_alloc_pages(b, 0, MM_GFP_KERNEL, MM_OWNER_BO, 1, &pa[0]));
	T_ASSERT_GT_INT(c.scans, 0);
	T_ASSERT(c.last_may_block);
	T_ASSERT(!c.last_has_swap);
	mm_budget_stats(b, &st);
	T_ASSERT_GT_INT(st.direct_reclaims, 0);
	T_ASSERT_GE_INT(st.reclaimed, 64);
	T_ASSERT_GE_INT(st.limit - st.used, 64);	/* at least the low watermark free */
	T_ASSERT_GE_INT(c.shrinker.freed, 64);
	validate();

	mm_free_pages(b, pa[0], 0);
	toy_fini(&c);
	validate();
	mm_budget_destroy(b);
}

T_TEST(reclaim_no_recursion, "mm/reclaim/no-recursion")
{
	struct mm_budget_config cfg = {
		.name = "recurse", .limit_bytes = 1 * MiB, .no_background_reclaim = true,
	};
	struct mm_budget *b = mm_budget_create(&cfg);
	static struct toy_cache c;
	phys_addr_t pa;

	T_ASSERT(!IS_ERR(b));
	toy_init(&c, b);
	c.allocate_in_scan = true;
	toy_fill(&c, 256);
	T_ASSERT_OK(mm_alloc_pages(b, 0, MM_GFP_KERNEL, MM_OWNER_BO, 1, &pa));
	T_ASSERT_EQ_INT(c.max_scan_depth, 1);
	T_ASSERT(!u_in_reclaim());
	mm_free_pages(b, pa, 0);
	toy_fini(&c);
	mm_budget_destroy(b);
}

T_TEST(reclaim_background, "mm/reclaim/background")
{
	struct mm_budget_config cfg = {
		.name = "bg", .limit_bytes = 2 * MiB,	/* 512 pages */
		.low_wmark_bytes = 16 * MM_PAGE_SIZE, .high_wmark_bytes = 128 * MM_PAGE_SIZE,
	};
	struct mm_budget *b = mm_budget_create(&cfg);
	struct mm_budget_stats st;
	static struct toy_cache c;

	T_ASSERT(!IS_ERR(b));
	toy_init(&c, b);
	/* Fill past the high watermark, but not the low one: no direct reclaim. */
	toy_fill(&c, 440);
	mm_wait_background_idle(b);
	mm_budget_stats(b, &st);
	T_ASSERT_EQ_INT(st.direct_reclaims, 0);
	T_ASSERT_GT_INT(st.background_reclaims, 0);
	T_ASSERT_GE_INT(st.limit - st.used, 128);	/* free memory back above high */
	T_ASSERT_GT_INT(c.scans, 0);
	validate();
	toy_fini(&c);
	mm_budget_destroy(b);
}

T_TEST(reclaim_swap_flag, "mm/reclaim/has-swap")
{
	struct mm_budget *b = budget_new(1 * MiB, 64 * MM_PAGE_SIZE, false);
	static struct toy_cache c;

	toy_init(&c, b);
	toy_fill(&c, 16);
	T_ASSERT_EQ_INT(mm_reclaim(b, 4, false), 4);
	T_ASSERT(c.last_has_swap);
	T_ASSERT(!c.last_may_block);
	T_ASSERT_EQ_INT(c.n, 12);
	toy_fini(&c);
	mm_budget_destroy(b);
}

static U_LOCK_CLASS(toy_lock_class, "toy_cache_lock");

T_TEST(reclaim_lockdep, "mm/reclaim/lock-held-across-reclaiming-alloc")
{
	struct mm_budget *b = budget_new(1 * MiB, 0, false);
	static struct toy_cache c;
	struct u_mutex lock;
	unsigned long before = u_lockdep_reports();
	phys_addr_t pa;

	if (!u_lockdep_enabled())
		t_skip("lockdep is disabled");
	u_mutex_init(&lock, &toy_lock_class);
	toy_init(&c, b);
	c.lock = &lock;
	toy_fill(&c, 8);
	/* The shrinker takes the lock inside reclaim: fs_reclaim -> lock. */
	T_ASSERT_EQ_INT(mm_reclaim(b, 1, true), 1);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);
	/* Holding it across a reclaiming allocation closes the cycle, even with plenty free. */
	u_mutex_lock(&lock);
	T_ASSERT_OK(mm_alloc_pages(b, 0, MM_GFP_KERNEL, MM_OWNER_BO, 1, &pa));
	u_mutex_unlock(&lock);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before + 1);
	/* The same allocation without reclaim is fine. */
	u_mutex_lock(&lock);
	mm_free_pages(b, pa, 0);
	T_ASSERT_OK(mm_alloc_pages(b, 0, MM_GFP_NORECLAIM, MM_OWNER_BO, 1, &pa));
	u_mutex_unlock(&lock);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before + 1);
	mm_free_pages(b, pa, 0);
	toy_fini(&c);
	u_mutex_fini(&lock);
	mm_budget_destroy(b);
	u_lockdep_reset();
}

T_TEST(swap_capacity, "mm/swap/capacity")
{
	struct mm_budget *b = budget_new(1 * MiB, 16 * MM_PAGE_SIZE, false);
	struct mm_budget_stats st;
	uint32_t slots[16], extra;
	phys_addr_t pa;
	uint8_t *p;

	T_ASSERT(mm_has_swap(b));
	for (int i = 0; i < 16; i++) {
		T_ASSERT_OK(mm_swap_alloc(b, &slots[i]));
		for (int j = 0; j < i; j++)
			T_ASSERT_NE_INT(slots[i], slots[j]);
	}
	T_ASSERT(!mm_has_swap(b));
	T_ASSERT_ERRNO(mm_swap_alloc(b, &extra), ENOSPC);
	mm_budget_stats(b, &st);
	T_ASSERT_EQ_U64(st.swap_slots, 16);
	T_ASSERT_EQ_U64(st.swap_used, 16);
	validate();

	/* Data survives the round trip through a slot. */
	T_ASSERT_OK(mm_alloc_pages(b, 0, 0, MM_OWNER_BO, 1, &pa));
	p = mm_pa_to_virt(pa);
	for (int i = 0; i < 4096; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	mm_swap_write(b, slots[5], pa);
	memset(p, 0, 4096);
	mm_swap_read(b, slots[5], pa);
	for (int i = 0; i < 4096; i++)
		T_ASSERT_EQ_INT(p[i], (uint8_t)(i * 7 + 3));
	mm_free_pages(b, pa, 0);

	mm_swap_free(b, slots[3]);
	T_ASSERT(mm_has_swap(b));
	T_ASSERT_OK(mm_swap_alloc(b, &extra));
	T_ASSERT_EQ_INT(extra, slots[3]);
	slots[3] = extra;
	for (int i = 0; i < 16; i++)
		mm_swap_free(b, slots[i]);
	validate();
	mm_budget_destroy(b);
}

T_TEST(swap_none, "mm/swap/none")
{
	struct mm_budget *b = budget_new(1 * MiB, 0, false);
	uint32_t slot;

	T_ASSERT(!mm_has_swap(b));
	T_ASSERT_ERRNO(mm_swap_alloc(b, &slot), ENOSPC);
	mm_budget_destroy(b);
}

static void swap_double_free_child(void *arg)
{
	struct mm_budget *b = budget_new(1 * MiB, 4 * MM_PAGE_SIZE, false);
	uint32_t slot;

	(void)arg;
	if (mm_swap_alloc(b, &slot))
		return;
	mm_swap_free(b, slot);
	mm_swap_free(b, slot);
}

T_TEST(swap_misuse, "mm/swap/double-free-aborts")
{
	T_ASSERT(t_expect_abort(swap_double_free_child, NULL));
}

T_TEST(validate_detects, "mm/validate/detects-corruption")
{
	struct mm_budget *b = budget_new(1 * MiB, 0, false);
	phys_addr_t pa;
	uint8_t saved;

	T_ASSERT_OK(mm_alloc_pages(b, 2, 0, MM_OWNER_BO, 1, &pa));
	validate();
	/* A tail frame claiming to be free. */
	saved = mm_frame(pa + MM_PAGE_SIZE)->state;
	mm_frame(pa + MM_PAGE_SIZE)->state = MM_FRAME_FREE;
	T_ASSERT_ERRNO(mm_validate(), EUCLEAN);
	mm_frame(pa + MM_PAGE_SIZE)->state = saved;
	/* A block charged to no budget. */
	saved = mm_frame(pa)->budget;
	for (int i = 0; i < 4; i++)
		mm_frame(pa + (uint64_t)i * MM_PAGE_SIZE)->budget = 0;
	T_ASSERT_ERRNO(mm_validate(), EUCLEAN);
	for (int i = 0; i < 4; i++)
		mm_frame(pa + (uint64_t)i * MM_PAGE_SIZE)->budget = saved;
	validate();
	mm_free_pages(b, pa, 2);
	mm_budget_destroy(b);
}

/* Fault-injection sweeps over every allocating path of src/mm. */
struct fl_ctx {
	struct mm_budget *b;
	struct mm_budget_config cfg;
	phys_addr_t pa;
	uint32_t slot;
	unsigned int order;
};

static void fl_check(void *arg)
{
	(void)arg;
	T_ASSERT_OK(mm_validate());
}

static long fl_frames(void *arg)
{
	return (long)mm_arena_frames_in_use();
}

static int fl_alloc_run(void *arg)
{
	struct fl_ctx *c = arg;

	return mm_alloc_pages(c->b, c->order, MM_GFP_ZERO, MM_OWNER_BO, 1, &c->pa);
}

static void fl_alloc_undo(void *arg)
{
	struct fl_ctx *c = arg;

	mm_free_pages(c->b, c->pa, c->order);
}

static int fl_create_run(void *arg)
{
	struct fl_ctx *c = arg;

	c->b = mm_budget_create(&c->cfg);
	return IS_ERR(c->b) ? (int)PTR_ERR(c->b) : 0;
}

static void fl_create_undo(void *arg)
{
	struct fl_ctx *c = arg;

	mm_budget_destroy(c->b);
	c->b = NULL;
}

static int fl_swap_run(void *arg)
{
	struct fl_ctx *c = arg;

	return mm_swap_alloc(c->b, &c->slot);
}

static void fl_swap_undo(void *arg)
{
	struct fl_ctx *c = arg;

	mm_swap_free(c->b, c->slot);
}

T_TEST(fault_loop, "mm/fault-injection/every-allocating-path")
{
	struct fl_ctx c = { .cfg = { .name = "fl", .limit_bytes = 4 * MiB, .swap_bytes = 1 * MiB } };
	const struct t_fault_loop_ops alloc_ops = {
		.run = fl_alloc_run, .undo = fl_alloc_undo, .check = fl_check, .resources = fl_frames,
	};
	const struct t_fault_loop_ops create_ops = {
		.run = fl_create_run, .undo = fl_create_undo, .check = fl_check,
	};
	const struct t_fault_loop_ops swap_ops = {
		.run = fl_swap_run, .undo = fl_swap_undo, .check = fl_check,
	};

	for (int persistent = 0; persistent < 2; persistent++) {
		T_ASSERT_GE_INT(t_fault_loop(&create_ops, &c, persistent), 2);
		c.b = mm_budget_create(&c.cfg);
		T_ASSERT(!IS_ERR(c.b));
		for (c.order = 0; c.order <= MM_MAX_ORDER; c.order += 3)
			T_ASSERT_EQ_INT(t_fault_loop(&alloc_ops, &c, persistent), 1);
		T_ASSERT_EQ_INT(t_fault_loop(&swap_ops, &c, persistent), 1);
		mm_budget_destroy(c.b);
	}
}

/* Concurrency: allocators, a shrinker and the background reclaimer at once. */
struct conc_ctx {
	struct mm_budget *b;
	unsigned int seed;
	unsigned long ok, enomem;
};

static void *conc_worker(void *arg)
{
	struct conc_ctx *w = arg;
	phys_addr_t held[64];
	unsigned int order[64], n = 0;
	uint64_t s = w->seed * 2654435761u + 1;

	for (int i = 0; i < 20000; i++) {
		s ^= s << 13; s ^= s >> 7; s ^= s << 17;
		if (n && (s % 2 || n == 64)) {
			unsigned int k = (unsigned int)((s >> 8) % n);

			mm_free_pages(w->b, held[k], order[k]);
			held[k] = held[--n];
			order[k] = order[n];
		} else {
			unsigned int o = (unsigned int)((s >> 16) % 4);

			if (mm_alloc_pages(w->b, o, 0, MM_OWNER_BO, w->seed, &held[n])) {
				w->enomem++;
			} else {
				order[n++] = o;
				w->ok++;
			}
		}
	}
	while (n) {
		n--;
		mm_free_pages(w->b, held[n], order[n]);
	}
	return NULL;
}

T_TEST(concurrency, "mm/concurrency/alloc-free-reclaim")
{
	struct mm_budget_config cfg = {
		.name = "conc", .limit_bytes = 2 * MiB,
		.low_wmark_bytes = 32 * MM_PAGE_SIZE, .high_wmark_bytes = 96 * MM_PAGE_SIZE,
	};
	struct mm_budget *b = mm_budget_create(&cfg);
	static struct toy_cache c;
	struct conc_ctx w[3];
	pthread_t th[3];

	T_ASSERT(!IS_ERR(b));
	toy_init(&c, b);
	toy_fill(&c, 300);
	for (int i = 0; i < 3; i++) {
		w[i] = (struct conc_ctx){ .b = b, .seed = (unsigned int)i + 1 };
		T_ASSERT_OK(pthread_create(&th[i], NULL, conc_worker, &w[i]));
	}
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	mm_wait_background_idle(b);
	validate();
	T_ASSERT_GT_INT(w[0].ok + w[1].ok + w[2].ok, 0);
	T_ASSERT_GT_INT(c.scans, 0);
	/* Reclaim asks for what it needs, never a wrapped-around "everything". */
	T_ASSERT_LE_INT(c.max_nr_to_scan, 512);
	toy_fini(&c);
	T_ASSERT_EQ_U64(mm_budget_used(b), 0);
	validate();
	mm_budget_destroy(b);
}
