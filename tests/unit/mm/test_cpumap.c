// SPDX-License-Identifier: MIT
/*
 * Tests of src/mm/mm_cpumap: CPU mappings of arena frames, populated through
 * userfaultfd by the two-phase fault handler and taken away by zap.
 *
 * The owner is a toy BO ("struct toy"): frames from a budget, allocated
 * lazily in naturally aligned chunks of 2^order pages on the blocking fault,
 * evicted to swap (zap first, then copy out and free: the panthor order)
 * and swapped back in by the next blocking fault. Freed frames are
 * poisoned, so a CPU mapping of a freed frame reads garbage that the
 * readers notice. Knobs make the non-blocking phase refuse, the blocking
 * phase fail, the run be wrong, or an eviction happen right between the
 * owner's answer and the mapping of the run.
 *
 * Tests that need userfaultfd skip where the kernel refuses it; the direct
 * handler, the eager fallback and the fault-injection sweep run everywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t_harness.h"
#include "mm/mm.h"
#include "mm/mm_cpumap.h"
#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_fault.h"
#include "util/u_lock.h"
#include "util/u_lockdep.h"
#include "util/u_log.h"

#define MiB (1ull << 20)
#define PG MM_PAGE_SIZE
#define TOY_MAX_PAGES 1024
#define POISON 0xdeaddeaddeaddeadull

/* ---- the toy owner ------------------------------------------------------ */

static U_LOCK_CLASS(toy_resv_class, "toy_resv");

/*
 * struct toy - a BO with lazily allocated, swappable backing.
 * @lock: the BO's resv: ->fault takes it (try-locks it when it may not
 *        block), eviction holds it across zap, copy-out and free.
 * @pa, @slot: per page, under @lock: the frame (0 = none) and the swap
 *             slot + 1 holding the page's data while evicted (0 = none).
 */
struct toy {
	struct mm_budget *b;
	struct u_mutex lock;
	uint64_t npages;
	unsigned int order;
	uint32_t id;
	struct mm_cpumap *map;
	phys_addr_t pa[TOY_MAX_PAGES];
	uint32_t slot[TOY_MAX_PAGES];
	/* knobs, set by the test while no fault runs (relaxed atomics) */
	int nb_refuse;		/* refuse this many non-blocking calls */
	int fail_block;		/* errno the blocking call returns (0 = none) */
	bool fill_on_block;	/* the blocking call fills the run */
	bool bad_run;		/* return a run that misses the page */
	bool evict_in_fault;	/* once: evict after answering, before the run is mapped */
	/* counters (relaxed atomics) */
	unsigned long nb_calls, b_calls, allocs, swapins, swapouts;
};

static uint64_t pattern(uint64_t page, uint64_t word)
{
	return ((page + 1) << 32) | (word + 1);
}

static void toy_init(struct toy *t, struct mm_budget *b, uint64_t npages, unsigned int order)
{
	memset(t, 0, sizeof(*t));
	U_ASSERT(npages <= TOY_MAX_PAGES && npages % (1u << order) == 0);
	t->b = b;
	t->npages = npages;
	t->order = order;
	t->id = 7;
	u_mutex_init(&t->lock, &toy_resv_class);
}

static struct toy *toy_new(struct mm_budget *b, uint64_t npages, unsigned int order)
{
	struct toy *t = malloc(sizeof(*t));

	T_ASSERT_NOT_NULL(t);
	toy_init(t, b, npages, order);
	return t;
}

/* Allocate (or swap back in) the chunk holding @idx. Under t->lock. */
static int toy_populate_locked(struct toy *t, uint64_t idx)
{
	uint64_t first = idx & ~((1ull << t->order) - 1);
	phys_addr_t pa;
	int ret;

	if (t->pa[idx])
		return 0;
	ret = mm_alloc_pages(t->b, t->order, MM_GFP_ZERO, MM_OWNER_BO, t->id, &pa);
	if (ret)
		return ret;
	__atomic_fetch_add(&t->allocs, 1, __ATOMIC_RELAXED);
	for (uint64_t k = 0; k < (1ull << t->order); k++) {
		if (t->slot[first + k]) {
			mm_swap_read(t->b, t->slot[first + k] - 1, pa + k * PG);
			mm_swap_free(t->b, t->slot[first + k] - 1);
			t->slot[first + k] = 0;
			__atomic_fetch_add(&t->swapins, 1, __ATOMIC_RELAXED);
		}
		t->pa[first + k] = pa + k * PG;	/* assigned on success only */
	}
	return 0;
}

/* The longest run of physically contiguous present frames around @idx. Under t->lock. */
static void toy_run_locked(struct toy *t, uint64_t idx, struct mm_cpumap_run *run)
{
	uint64_t lo = idx, hi = idx;

	while (lo > 0 && t->pa[lo - 1] && t->pa[lo - 1] + PG == t->pa[lo])
		lo--;
	while (hi + 1 < t->npages && t->pa[hi + 1] && t->pa[hi] + PG == t->pa[hi + 1])
		hi++;
	*run = (struct mm_cpumap_run){ .first = lo, .npages = hi - lo + 1, .pa = t->pa[lo] };
}

/* Evict: zap the CPU mapping, then copy every present chunk to swap and free it. */
static void toy_evict_locked(struct toy *t)
{
	u_mutex_assert_held(&t->lock);
	if (t->map)
		U_ASSERT(mm_cpumap_zap(t->map) == 0);
	for (uint64_t c = 0; c < t->npages; c += 1ull << t->order) {
		phys_addr_t pa = t->pa[c];

		if (!pa)
			continue;
		for (uint64_t k = 0; k < (1ull << t->order); k++) {
			uint32_t slot;

			U_ASSERT(mm_swap_alloc(t->b, &slot) == 0);
			mm_swap_write(t->b, slot, pa + k * PG);
			t->slot[c + k] = slot + 1;
			t->pa[c + k] = 0;
			__atomic_fetch_add(&t->swapouts, 1, __ATOMIC_RELAXED);
		}
		for (uint64_t w = 0; w < (PG << t->order) / 8; w++)
			((uint64_t *)mm_pa_to_virt(pa))[w] = POISON;
		mm_free_pages(t->b, pa, t->order);
	}
}

static void toy_evict(struct toy *t)
{
	u_mutex_lock(&t->lock);
	toy_evict_locked(t);
	u_mutex_unlock(&t->lock);
}

/* Free everything (frames and swap), without touching the mapping. */
static void toy_release(struct toy *t)
{
	u_mutex_lock(&t->lock);
	for (uint64_t c = 0; c < t->npages; c += 1ull << t->order) {
		if (t->pa[c])
			mm_free_pages(t->b, t->pa[c], t->order);
		for (uint64_t k = 0; k < (1ull << t->order); k++) {
			t->pa[c + k] = 0;
			if (t->slot[c + k])
				mm_swap_free(t->b, t->slot[c + k] - 1);
			t->slot[c + k] = 0;
		}
	}
	u_mutex_unlock(&t->lock);
}

static void toy_fini(struct toy *t)
{
	toy_release(t);
	u_mutex_fini(&t->lock);
}

static int toy_fault(void *cookie, uint64_t idx, bool may_block, struct mm_cpumap_run *run)
{
	struct toy *t = cookie;
	int ret;

	U_ASSERT(idx < t->npages);
	if (!may_block) {
		__atomic_fetch_add(&t->nb_calls, 1, __ATOMIC_RELAXED);
		if (__atomic_load_n(&t->nb_refuse, __ATOMIC_RELAXED) > 0) {
			__atomic_fetch_sub(&t->nb_refuse, 1, __ATOMIC_RELAXED);
			return -EAGAIN;
		}
		if (!u_mutex_trylock(&t->lock))
			return -EAGAIN;
		if (!t->pa[idx]) {
			u_mutex_unlock(&t->lock);
			return -EAGAIN;
		}
		toy_run_locked(t, idx, run);
		if (__atomic_load_n(&t->bad_run, __ATOMIC_RELAXED))
			*run = (struct mm_cpumap_run){ .first = idx + 1, .npages = 1, .pa = t->pa[idx] };
		u_mutex_unlock(&t->lock);
		/* The race the generation check exists for, made deterministic. */
		if (__atomic_exchange_n(&t->evict_in_fault, false, __ATOMIC_RELAXED))
			toy_evict(t);
		return 0;
	}
	__atomic_fetch_add(&t->b_calls, 1, __ATOMIC_RELAXED);
	ret = __atomic_load_n(&t->fail_block, __ATOMIC_RELAXED);
	if (ret)
		return -ret;
	u_mutex_lock(&t->lock);
	ret = toy_populate_locked(t, idx);
	if (!ret && __atomic_load_n(&t->fill_on_block, __ATOMIC_RELAXED))
		toy_run_locked(t, idx, run);
	u_mutex_unlock(&t->lock);
	return ret;
}

static const struct mm_cpumap_ops toy_ops = { .fault = toy_fault };

/* ---- helpers ------------------------------------------------------------ */

static struct mm_budget *budget_new(uint64_t limit, uint64_t swap)
{
	struct mm_budget_config cfg = {
		.name = "cpumap", .limit_bytes = limit, .swap_bytes = swap,
		.no_background_reclaim = true,
	};
	struct mm_budget *b = mm_budget_create(&cfg);

	T_ASSERT_MSG(!IS_ERR(b), "mm_budget_create: %ld", PTR_ERR(b));
	return b;
}

static void need_uffd(void)
{
	if (!mm_cpumap_uffd_available())
		t_skip("userfaultfd is not available here");
}

static void map_create(struct toy *t, uint64_t npages)
{
	T_ASSERT_OK(mm_cpumap_create(npages * PG, PROT_READ | PROT_WRITE, &toy_ops, t, &t->map));
}

static void map_destroy(struct toy *t)
{
	mm_cpumap_destroy(t->map);
	t->map = NULL;
}

static uint64_t *cpu_word(struct toy *t, uint64_t page, uint64_t word)
{
	return (uint64_t *)((uint8_t *)mm_cpumap_addr(t->map) + page * PG) + word;
}

/*
 * A touch of the mapping may run the fault handler on the fault thread,
 * which changes the toy, allocates and fills frames. Two things do not see
 * that a touch synchronises with the fault thread:
 *  - the compiler, which cannot know that a store has side effects
 *    elsewhere (it hoisted a load of t->pa above the touching store): every
 *    touch is a volatile access;
 *  - ThreadSanitizer, which does not see the kernel's wake-up: the test
 *    takes the owner's lock before the touch (publishing knobs and the
 *    fault injector's settings to the handler, which takes it too) and
 *    after (seeing what the handler did under it), as a real owner reads
 *    its state under its lock.
 */
static void toy_sync(struct toy *t)
{
	u_mutex_lock(&t->lock);
	u_mutex_unlock(&t->lock);
}

static uint64_t cpu_get(struct toy *t, uint64_t page, uint64_t word)
{
	uint64_t v;

	toy_sync(t);
	v = *(volatile uint64_t *)cpu_word(t, page, word);
	toy_sync(t);
	return v;
}

static void cpu_set(struct toy *t, uint64_t page, uint64_t word, uint64_t v)
{
	toy_sync(t);
	*(volatile uint64_t *)cpu_word(t, page, word) = v;
	toy_sync(t);
}

/* Read a counter the fault thread writes. */
#define CNT(t, field) __atomic_load_n(&(t)->field, __ATOMIC_RELAXED)
/* Set a knob the fault thread reads. */
#define KNOB(t, field, v) __atomic_store_n(&(t)->field, (v), __ATOMIC_RELAXED)

static uint64_t *dm_word(struct toy *t, uint64_t page, uint64_t word)
{
	T_ASSERT_NE_U64(t->pa[page], 0);
	return (uint64_t *)mm_pa_to_virt(t->pa[page]) + word;
}

static struct mm_cpumap_stats stats_of(struct toy *t)
{
	struct mm_cpumap_stats st;

	mm_cpumap_stats(t->map, &st);
	return st;
}

static void validate(struct toy *t)
{
	T_ASSERT_OK(mm_validate());
	if (t && t->map)
		T_ASSERT_OK(mm_cpumap_validate(t->map));
}

/* Is [addr, addr + len) unmapped in this process? */
static bool range_is_free(void *addr, size_t len)
{
	return msync(addr, len, MS_ASYNC) == -1 && errno == ENOMEM;
}

/* Expected error lines: swallowed, and counted when they contain @quiet_what. */
static pthread_mutex_t quiet_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *quiet_what;
static int quiet_hits;

static void quiet_sink(void *cookie, enum u_log_level level, const char *line)
{
	pthread_mutex_lock(&quiet_lock);
	if (quiet_what && strstr(line, quiet_what))
		quiet_hits++;
	pthread_mutex_unlock(&quiet_lock);
}

static void quiet_begin(const char *what)
{
	pthread_mutex_lock(&quiet_lock);
	quiet_what = what;
	quiet_hits = 0;
	pthread_mutex_unlock(&quiet_lock);
	u_log_set_sink(quiet_sink, NULL);
}

static int quiet_end(void)
{
	int n;

	u_log_set_sink(NULL, NULL);
	pthread_mutex_lock(&quiet_lock);
	n = quiet_hits;
	quiet_what = NULL;
	pthread_mutex_unlock(&quiet_lock);
	return n;
}

/* ---- tests -------------------------------------------------------------- */

T_TEST(bad_args, "mm/cpumap/bad-arguments")
{
	struct mm_cpumap *map = NULL;
	struct mm_budget *b = budget_new(4 * MiB, 0);
	static struct toy t;

	T_ASSERT_ERRNO(mm_cpumap_create(0, PROT_READ, &toy_ops, NULL, &map), EINVAL);
	T_ASSERT_ERRNO(mm_cpumap_create(PG + 1, PROT_READ, &toy_ops, NULL, &map), EINVAL);
	T_ASSERT_ERRNO(mm_cpumap_create(PG, PROT_NONE, &toy_ops, NULL, &map), EINVAL);
	T_ASSERT_ERRNO(mm_cpumap_create(PG, PROT_READ | PROT_EXEC, &toy_ops, NULL, &map), EINVAL);
	T_ASSERT_ERRNO(mm_cpumap_create(PG, PROT_READ, NULL, NULL, &map), EINVAL);
	T_ASSERT_NULL(map);

	toy_init(&t, b, 8, 0);
	map_create(&t, 8);
	if (mm_cpumap_can_zap(t.map)) {
		T_ASSERT_ERRNO(mm_cpumap_zap_range(t.map, 8, 1), EINVAL);
		T_ASSERT_ERRNO(mm_cpumap_zap_range(t.map, 0, 9), EINVAL);
		T_ASSERT_ERRNO(mm_cpumap_zap_range(t.map, 2, 0), EINVAL);
		T_ASSERT_ERRNO(mm_cpumap_zap_range(t.map, 1, UINT64_MAX), EINVAL);
	}
	T_ASSERT_ERRNO(mm_cpumap_handle_fault(t.map, (uint8_t *)mm_cpumap_addr(t.map) - 1, true),
		       EINVAL);
	T_ASSERT_ERRNO(mm_cpumap_handle_fault(t.map, (uint8_t *)mm_cpumap_addr(t.map) + 8 * PG, true),
		       EINVAL);
	map_destroy(&t);
	toy_fini(&t);
	mm_budget_destroy(b);
}

/* First touch through userfaultfd maps the owner's frame; CPU and direct map agree. */
T_TEST(first_touch, "mm/cpumap/uffd/first-touch")
{
	struct mm_budget *b;
	static struct toy t;
	struct mm_cpumap_stats st;

	need_uffd();
	b = budget_new(4 * MiB, 0);
	toy_init(&t, b, 16, 0);
	map_create(&t, 16);
	T_ASSERT(mm_cpumap_can_zap(t.map));
	T_ASSERT_EQ_U64(mm_cpumap_size(t.map), 16 * PG);
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 0);
	T_ASSERT_EQ_U64(CNT(&t, b_calls) + CNT(&t, nb_calls), 0);	/* nothing asked before a touch */
	validate(&t);

	/* A write through the CPU lands in the owner's frame. */
	cpu_set(&t, 3, 5, 0x1122334455667788ull);
	T_ASSERT_EQ_U64(*dm_word(&t, 3, 5), 0x1122334455667788ull);
	T_ASSERT_EQ_INT(mm_frame(t.pa[3])->owner_kind, MM_OWNER_BO);
	/* And a write through the direct map is seen by the CPU mapping. */
	*dm_word(&t, 3, 6) = 0xabcdefull;
	T_ASSERT_EQ_U64(cpu_get(&t, 3, 6), 0xabcdefull);
	/* A fresh BO reads zeros (MM_GFP_ZERO), not someone's old data. */
	T_ASSERT_EQ_U64(cpu_get(&t, 3, 0), 0);

	st = stats_of(&t);
	T_ASSERT_EQ_U64(st.faults, 1);
	T_ASSERT_EQ_U64(st.blocking_calls, 1);
	T_ASSERT_EQ_U64(st.runs_mapped, 1);
	T_ASSERT_EQ_U64(st.pages_mapped, 1);
	T_ASSERT_EQ_U64(st.errors, 0);
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 1);
	T_ASSERT_EQ_U64(CNT(&t, allocs), 1);
	validate(&t);

	/* Another page: its own frame, its own fault. */
	cpu_set(&t, 10, 0, 42);
	T_ASSERT_EQ_U64(*dm_word(&t, 10, 0), 42);
	T_ASSERT_NE_U64(t.pa[10], t.pa[3]);
	T_ASSERT_EQ_U64(stats_of(&t).faults, 2);
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 2);
	validate(&t);

	map_destroy(&t);
	toy_fini(&t);
	validate(NULL);
	mm_budget_destroy(b);
}

/* Present pages are served by the non-blocking call; absent ones block, then retry. */
T_TEST(two_phase, "mm/cpumap/uffd/two-phase")
{
	struct mm_budget *b;
	static struct toy t;
	struct mm_cpumap_stats st, g0, g1;

	need_uffd();
	b = budget_new(4 * MiB, 0);
	toy_init(&t, b, 8, 0);
	map_create(&t, 8);
	mm_cpumap_global_stats(&g0);

	/* Resident page (the owner allocated it earlier, e.g. for the GPU). */
	u_mutex_lock(&t.lock);
	T_ASSERT_OK(toy_populate_locked(&t, 0));
	*dm_word(&t, 0, 0) = 99;
	u_mutex_unlock(&t.lock);
	T_ASSERT_EQ_U64(cpu_get(&t, 0, 0), 99);
	st = stats_of(&t);
	T_ASSERT_EQ_U64(st.nonblocking_hits, 1);
	T_ASSERT_EQ_U64(st.blocking_calls, 0);
	T_ASSERT_EQ_U64(st.retries, 0);
	T_ASSERT_EQ_U64(CNT(&t, nb_calls), 1);
	T_ASSERT_EQ_U64(CNT(&t, b_calls), 0);

	/* Absent page: non-blocking says -EAGAIN, blocking allocates, non-blocking maps. */
	T_ASSERT_EQ_U64(cpu_get(&t, 1, 0), 0);
	st = stats_of(&t);
	T_ASSERT_EQ_U64(st.nonblocking_hits, 1);
	T_ASSERT_EQ_U64(st.blocking_calls, 1);
	T_ASSERT_EQ_U64(st.retries, 1);
	T_ASSERT_EQ_U64(CNT(&t, nb_calls), 3);
	T_ASSERT_EQ_U64(CNT(&t, b_calls), 1);

	/* Resident but the owner would block (lock contended): blocking path, then retry. */
	u_mutex_lock(&t.lock);
	T_ASSERT_OK(toy_populate_locked(&t, 2));
	u_mutex_unlock(&t.lock);
	KNOB(&t, nb_refuse, 1);
	T_ASSERT_EQ_U64(cpu_get(&t, 2, 0), 0);
	st = stats_of(&t);
	T_ASSERT_EQ_U64(st.blocking_calls, 2);
	T_ASSERT_EQ_U64(st.retries, 2);
	T_ASSERT_EQ_U64(CNT(&t, allocs), 3);	/* no second allocation for page 2 */

	/* An owner that fills the run in the blocking call is mapped without a retry. */
	KNOB(&t, fill_on_block, true);
	T_ASSERT_EQ_U64(cpu_get(&t, 5, 0), 0);
	st = stats_of(&t);
	T_ASSERT_EQ_U64(st.blocking_calls, 3);
	T_ASSERT_EQ_U64(st.retries, 2);
	T_ASSERT_EQ_U64(st.faults, 4);
	T_ASSERT_EQ_U64(st.errors, 0);

	/* The global counters moved by the same amounts. */
	mm_cpumap_global_stats(&g1);
	T_ASSERT_EQ_U64(g1.faults - g0.faults, 4);
	T_ASSERT_EQ_U64(g1.blocking_calls - g0.blocking_calls, 3);
	T_ASSERT_EQ_U64(g1.runs_mapped - g0.runs_mapped, 4);
	validate(&t);
	map_destroy(&t);
	toy_fini(&t);
	mm_budget_destroy(b);
}

/* One fault maps the whole physically contiguous run. */
T_TEST(contiguous_run, "mm/cpumap/uffd/contiguous-run")
{
	struct mm_budget *b;
	static struct toy t;
	struct mm_cpumap_stats st;

	need_uffd();
	b = budget_new(8 * MiB, 0);
	toy_init(&t, b, 64, 4);	/* 16-page chunks */
	map_create(&t, 64);

	cpu_set(&t, 21, 0, 1);	/* chunk 16..31 */
	for (uint64_t p = 16; p < 32; p++)
		cpu_set(&t, p, 1, pattern(p, 1));
	st = stats_of(&t);
	T_ASSERT_EQ_U64(st.faults, 1);
	T_ASSERT_EQ_U64(st.runs_mapped, 1);
	T_ASSERT_EQ_U64(st.pages_mapped, 16);
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 16);
	for (uint64_t p = 16; p < 32; p++)
		T_ASSERT_EQ_U64(*dm_word(&t, p, 1), pattern(p, 1));
	validate(&t);

	/* Two chunks the buddy happens to place back to back still map as runs. */
	cpu_set(&t, 40, 0, 2);
	st = stats_of(&t);
	T_ASSERT_EQ_U64(st.faults, 2);
	T_ASSERT_GE_INT(st.pages_mapped, 32);
	validate(&t);
	map_destroy(&t);
	toy_fini(&t);
	mm_budget_destroy(b);
}

/* zap_range takes away exactly the range; the data comes back from swap. */
T_TEST(zap_range, "mm/cpumap/uffd/zap-range")
{
	struct mm_budget *b;
	static struct toy t;
	struct mm_cpumap_stats st;

	need_uffd();
	b = budget_new(4 * MiB, 1 * MiB);
	toy_init(&t, b, 8, 0);
	map_create(&t, 8);
	for (uint64_t p = 0; p < 8; p++)
		cpu_set(&t, p, 0, pattern(p, 0));
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 8);

	T_ASSERT_OK(mm_cpumap_zap_range(t.map, 2, 3));
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 5);
	validate(&t);	/* pages 2..4 have no page-table entry left */
	st = stats_of(&t);
	T_ASSERT_EQ_U64(st.zaps, 1);
	T_ASSERT_EQ_U64(st.pages_zapped, 3);
	/* Outside the range: no fault. */
	T_ASSERT_EQ_U64(cpu_get(&t, 1, 0), pattern(1, 0));
	T_ASSERT_EQ_U64(cpu_get(&t, 5, 0), pattern(5, 0));
	T_ASSERT_EQ_U64(stats_of(&t).faults, st.faults);
	/*
	 * Inside: MINOR faults on the stale arena VMAs, at least one (a run
	 * may cover several of the pages when their frames are contiguous).
	 */
	for (uint64_t p = 2; p < 5; p++)
		T_ASSERT_EQ_U64(cpu_get(&t, p, 0), pattern(p, 0));
	T_ASSERT_GE_INT(stats_of(&t).faults, st.faults + 1);
	T_ASSERT_LE_INT(stats_of(&t).faults, st.faults + 3);
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 8);

	/* A zap of nothing mapped does nothing (but still counts as a generation). */
	T_ASSERT_OK(mm_cpumap_zap(t.map));
	T_ASSERT_OK(mm_cpumap_zap(t.map));
	T_ASSERT_EQ_U64(stats_of(&t).zaps, 2);

	/* Full eviction to swap and back. */
	toy_evict(&t);
	T_ASSERT_EQ_U64(mm_budget_used(b), 0);
	validate(&t);
	for (uint64_t p = 0; p < 8; p++)
		T_ASSERT_EQ_U64(cpu_get(&t, p, 0), pattern(p, 0));
	T_ASSERT_EQ_U64(CNT(&t, swapins), 8);
	validate(&t);
	map_destroy(&t);
	toy_fini(&t);
	mm_budget_destroy(b);
}

/*
 * The race the generation protocol closes: the owner answers with a run and
 * evicts (zap, copy out, poison, free) before the run is mapped. The stale
 * run must be dropped and the page asked for again.
 */
T_TEST(zap_during_fault, "mm/cpumap/uffd/zap-between-answer-and-map")
{
	struct mm_budget *b;
	static struct toy t;
	struct mm_cpumap_stats st;
	phys_addr_t old;

	need_uffd();
	b = budget_new(4 * MiB, 1 * MiB);
	toy_init(&t, b, 4, 0);
	map_create(&t, 4);
	u_mutex_lock(&t.lock);
	T_ASSERT_OK(toy_populate_locked(&t, 1));
	*dm_word(&t, 1, 0) = pattern(1, 0);
	old = t.pa[1];
	u_mutex_unlock(&t.lock);

	KNOB(&t, evict_in_fault, true);
	T_ASSERT_EQ_U64(cpu_get(&t, 1, 0), pattern(1, 0));	/* POISON if the stale run were mapped */
	st = stats_of(&t);
	T_ASSERT_EQ_U64(st.stale, 1);
	T_ASSERT_EQ_U64(CNT(&t, swapouts), 1);
	T_ASSERT_EQ_U64(CNT(&t, swapins), 1);
	T_ASSERT_EQ_U64(st.errors, 0);
	/* The page shows the new frame: a write lands there, not in the freed one. */
	cpu_set(&t, 1, 1, 5);
	T_ASSERT_EQ_U64(*dm_word(&t, 1, 1), 5);
	if (t.pa[1] != old)
		T_ASSERT_EQ_INT(mm_frame(old)->state, MM_FRAME_FREE);
	validate(&t);
	map_destroy(&t);
	toy_fini(&t);
	mm_budget_destroy(b);
}

/* ---- zap while others read and write ------------------------------------- */

struct zap_ctx {
	struct toy *t;
	int stop;
	unsigned long reads, bad, writes;
	uint64_t bad_value, bad_page;
};

static void *zap_reader(void *arg)
{
	struct zap_ctx *c = arg;
	uint64_t s = (uint64_t)(uintptr_t)&s | 1, npages = c->t->npages - 1;
	unsigned long reads = 0;

	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		uint64_t p, w, v;

		s ^= s << 13; s ^= s >> 7; s ^= s << 17;
		p = s % npages;
		w = (s >> 20) % (PG / 8);
		v = *(volatile uint64_t *)cpu_word(c->t, p, w);
		reads++;
		if (v != pattern(p, w) && __atomic_fetch_add(&c->bad, 1, __ATOMIC_RELAXED) == 0) {
			c->bad_value = v;
			c->bad_page = p;
		}
	}
	__atomic_fetch_add(&c->reads, reads, __ATOMIC_RELAXED);
	return NULL;
}

/* The last page is a counter only this thread writes: no write may be lost. */
static void *zap_writer(void *arg)
{
	struct zap_ctx *c = arg;
	volatile uint64_t *ctr = cpu_word(c->t, c->t->npages - 1, 0);

	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		*ctr = *ctr + 1;
		c->writes++;
	}
	return NULL;
}

T_TEST(zap_concurrent, "mm/cpumap/uffd/zap-while-reading")
{
	enum { NPAGES = 96, ROUNDS = 60, READERS = 2 };
	struct mm_budget *b;
	static struct toy t;
	struct zap_ctx c = { .t = &t };
	pthread_t th[READERS + 1];
	struct mm_cpumap_stats st;

	need_uffd();
	b = budget_new(8 * MiB, 2 * MiB);
	toy_init(&t, b, NPAGES, 1);	/* 2-page chunks: runs of 2 and more */
	map_create(&t, NPAGES);
	for (uint64_t p = 0; p < NPAGES - 1; p++)
		for (uint64_t w = 0; w < PG / 8; w++)
			cpu_set(&t, p, w, pattern(p, w));
	cpu_set(&t, NPAGES - 1, 0, 0);

	for (int i = 0; i < READERS; i++)
		T_ASSERT_OK(pthread_create(&th[i], NULL, zap_reader, &c));
	T_ASSERT_OK(pthread_create(&th[READERS], NULL, zap_writer, &c));
	for (int r = 0; r < ROUNDS; r++) {
		usleep(2000);
		/*
		 * Touch a page ourselves: the readers may not have run since the
		 * last eviction (a loaded machine), and this one must zap something.
		 */
		T_ASSERT_EQ_U64(cpu_get(&t, (uint64_t)r % (NPAGES - 1), 1), pattern((uint64_t)r % (NPAGES - 1), 1));
		toy_evict(&t);
	}
	usleep(2000);
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i <= READERS; i++)
		pthread_join(th[i], NULL);

	st = stats_of(&t);
	t_note("%lu reads, %lu writes, %lu evictions: %llu zaps, %llu faults, %llu stale, "
	       "%llu swap-ins", c.reads, c.writes, (unsigned long)ROUNDS,
	       (unsigned long long)st.zaps, (unsigned long long)st.faults,
	       (unsigned long long)st.stale, (unsigned long long)CNT(&t, swapins));
	T_ASSERT_MSG(c.bad == 0, "%lu bad reads, first: page %llu read 0x%llx", c.bad,
		     (unsigned long long)c.bad_page, (unsigned long long)c.bad_value);
	T_ASSERT_EQ_U64(cpu_get(&t, NPAGES - 1, 0), c.writes);
	T_ASSERT_GT_INT(c.reads, 0);
	T_ASSERT_GE_INT(st.zaps, ROUNDS);
	T_ASSERT_GE_INT(CNT(&t, swapins), ROUNDS);	/* the data came back through faults */
	T_ASSERT_EQ_U64(st.errors, 0);
	validate(&t);
	/* Everything is still there after a last eviction. */
	toy_evict(&t);
	for (uint64_t p = 0; p < NPAGES - 1; p++)
		T_ASSERT_EQ_U64(cpu_get(&t, p, PG / 8 - 1), pattern(p, PG / 8 - 1));
	validate(&t);
	map_destroy(&t);
	toy_fini(&t);
	validate(NULL);
	mm_budget_destroy(b);
}

/* ---- the handler called directly (works with or without userfaultfd) ------ */

T_TEST(direct_handler, "mm/cpumap/direct-handler")
{
	struct mm_budget *b = budget_new(4 * MiB, 1 * MiB);
	static struct toy t;
	struct mm_cpumap_stats st;
	uint8_t *base;

	toy_init(&t, b, 16, 0);
	map_create(&t, 16);
	base = mm_cpumap_addr(t.map);
	if (!mm_cpumap_can_zap(t.map)) {
		/* Eager mapping: every page is there already. */
		T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 16);
		T_ASSERT_OK(mm_cpumap_handle_fault(t.map, base + 3 * PG, false));
		T_ASSERT_GE_INT(stats_of(&t).already_mapped, 1);
		goto out;
	}

	/* Non-blocking only: the owner would have to allocate. */
	T_ASSERT_ERRNO(mm_cpumap_handle_fault(t.map, base + 3 * PG + 17, false), EAGAIN);
	T_ASSERT_EQ_U64(CNT(&t, b_calls), 0);
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 0);
	/* Both phases. */
	T_ASSERT_OK(mm_cpumap_handle_fault(t.map, base + 3 * PG + 17, true));
	T_ASSERT_EQ_U64(CNT(&t, b_calls), 1);
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 1);
	validate(&t);
	/* The page is present now: the CPU reaches it without a fault. */
	*dm_word(&t, 3, 0) = 77;
	st = stats_of(&t);
	T_ASSERT_EQ_U64(cpu_get(&t, 3, 0), 77);
	T_ASSERT_EQ_U64(stats_of(&t).faults, st.faults);
	/* Again: already mapped, the owner is not asked. */
	T_ASSERT_OK(mm_cpumap_handle_fault(t.map, base + 3 * PG, false));
	T_ASSERT_EQ_U64(stats_of(&t).already_mapped, 1);

	/* A persistent owner error: retried once (as panthor), then returned. */
	KNOB(&t, fail_block, ENOMEM);
	T_ASSERT_ERRNO(mm_cpumap_handle_fault(t.map, base + 7 * PG, true), ENOMEM);
	T_ASSERT_EQ_U64(CNT(&t, b_calls), 3);
	T_ASSERT_EQ_U64(stats_of(&t).errors, 1);
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 1);
	KNOB(&t, fail_block, 0);

	/* An owner bug (a run without the page) is refused, not mapped. */
	KNOB(&t, bad_run, true);
	quiet_begin("returned a bad run");
	T_ASSERT_ERRNO(mm_cpumap_handle_fault(t.map, base + 8 * PG, true), EINVAL);
	T_ASSERT_EQ_INT(quiet_end(), 1);
	KNOB(&t, bad_run, false);
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 1);
	validate(&t);

	/* Zap, then the direct handler brings it back. */
	toy_evict(&t);
	validate(&t);
	T_ASSERT_OK(mm_cpumap_handle_fault(t.map, base + 3 * PG, true));
	T_ASSERT_EQ_U64(*dm_word(&t, 3, 0), 77);
	T_ASSERT_EQ_U64(cpu_get(&t, 3, 0), 77);
out:
	validate(&t);
	map_destroy(&t);
	toy_fini(&t);
	mm_budget_destroy(b);
}

/*
 * seed 001: the page allocation fails inside the fault path. The fault is
 * retried, the second attempt succeeds, nothing is poisoned.
 */
T_TEST(seed001_alloc_fails_in_fault, "mm/cpumap/seed-001/alloc-fails-in-fault")
{
	struct mm_budget *b = budget_new(4 * MiB, 0);
	static struct toy t;
	struct mm_cpumap_stats st;
	uint8_t *base;

	toy_init(&t, b, 8, 0);
	map_create(&t, 8);
	base = mm_cpumap_addr(t.map);
	if (!mm_cpumap_can_zap(t.map))
		t_skip("eager mappings allocate at creation (see mm/cpumap/fallback)");

	/* Through the direct handler. */
	u_fault_set_nth(1, false);
	T_ASSERT_OK(mm_cpumap_handle_fault(t.map, base + 2 * PG, true));
	T_ASSERT_EQ_INT(u_fault_injected(), 1);
	T_ASSERT_EQ_U64(CNT(&t, b_calls), 2);
	T_ASSERT_EQ_U64(CNT(&t, allocs), 1);
	T_ASSERT(mm_pa_valid(t.pa[2]));
	T_ASSERT_EQ_U64(stats_of(&t).errors, 0);
	validate(&t);

	/* Through userfaultfd: the touching thread never notices. */
	u_fault_set_nth(1, false);
	cpu_set(&t, 5, 0, 0x5eed001);
	T_ASSERT_EQ_INT(u_fault_injected(), 1);
	T_ASSERT_EQ_U64(*dm_word(&t, 5, 0), 0x5eed001);
	st = stats_of(&t);
	T_ASSERT_EQ_U64(st.errors, 0);
	T_ASSERT_EQ_U64(st.blocking_calls, 4);
	T_ASSERT_EQ_U64(CNT(&t, allocs), 2);

	/* Persistent failure: the direct handler reports it, state untouched. */
	u_fault_set_nth(1, true);
	T_ASSERT_ERRNO(mm_cpumap_handle_fault(t.map, base + 6 * PG, true), ENOMEM);
	u_fault_disable();
	T_ASSERT_EQ_U64(t.pa[6], 0);
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 2);
	validate(&t);
	/* And it recovers once memory is back. */
	cpu_set(&t, 6, 0, 6);
	T_ASSERT_EQ_U64(*dm_word(&t, 6, 0), 6);
	validate(&t);
	map_destroy(&t);
	toy_fini(&t);
	mm_budget_destroy(b);
}

/* ---- SIGBUS for a fault that cannot be served ---------------------------- */

static sigjmp_buf sigbus_jmp;
static volatile sig_atomic_t sigbus_seen;
static void *volatile sigbus_addr;
static volatile int sigbus_code;

static void sigbus_handler(int sig, siginfo_t *si, void *uc)
{
	sigbus_seen++;
	sigbus_addr = si->si_addr;
	sigbus_code = si->si_code;
	siglongjmp(sigbus_jmp, 1);
}

/* In a child: touch a page whose allocation always fails. Exit 0 if the checks pass. */
static int sigbus_child(bool handler)
{
	struct mm_budget_config cfg = { .name = "child", .limit_bytes = 4 * MiB,
					.no_background_reclaim = true };
	struct mm_budget *b = mm_budget_create(&cfg);
	static struct toy t;
	volatile uint64_t *p;

	if (IS_ERR(b))
		return 10;
	toy_init(&t, b, 4, 0);
	if (mm_cpumap_create(4 * PG, PROT_READ | PROT_WRITE, &toy_ops, &t, &t.map))
		return 11;
	KNOB(&t, fail_block, ENOMEM);
	p = cpu_word(&t, 2, 3);
	if (handler) {
		struct sigaction sa = { .sa_sigaction = sigbus_handler, .sa_flags = SA_SIGINFO };

		sigaction(SIGBUS, &sa, NULL);
		if (sigsetjmp(sigbus_jmp, 1) == 0) {
			(void)*p;
			return 12;	/* the read returned */
		}
		/* si_addr is exact where the kernel has UFFD_FEATURE_EXACT_ADDRESS. */
		if (sigbus_seen != 1 || sigbus_code != SI_QUEUE ||
		    ((uintptr_t)sigbus_addr != (uintptr_t)p &&
		     (uintptr_t)sigbus_addr != ((uintptr_t)p & ~(PG - 1))))
			return 13;
		/* The fault is not poisoned: once memory is back the page works. */
		KNOB(&t, fail_block, 0);
		cpu_set(&t, 2, 3, 1);
		if (*(uint64_t *)mm_pa_to_virt(t.pa[2] + 3 * 8) != 1)
			return 14;
		mm_cpumap_destroy(t.map);
		toy_fini(&t);
		mm_budget_destroy(b);
		return 0;
	}
	/* The default disposition (a sanitizer may have installed its own handler). */
	signal(SIGBUS, SIG_DFL);
	(void)*p;
	return 15;
}

T_TEST(sigbus, "mm/cpumap/uffd/sigbus-on-failure")
{
	int status;
	pid_t pid;

	need_uffd();
	for (int handler = 1; handler >= 0; handler--) {
		pid = fork();
		T_ASSERT_GE_INT(pid, 0);
		if (pid == 0) {
			u_log_set_level(U_LOG_ERROR);
			dup2(open("/dev/null", O_WRONLY), 2);	/* the expected error line */
			_exit(sigbus_child(handler));
		}
		T_ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
		if (handler)
			T_ASSERT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
				     "child with a SIGBUS handler: status 0x%x", status);
		else
			T_ASSERT_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS,
				     "child without a handler: status 0x%x", status);
	}
}

/* ---- the eager fallback --------------------------------------------------- */

static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static int cap_fallback_lines;

static void cap_sink(void *cookie, enum u_log_level level, const char *line)
{
	pthread_mutex_lock(&cap_lock);
	if (strstr(line, "userfaultfd unavailable") &&
	    strstr(line, "CPU mappings are populated eagerly and mmapped objects cannot be evicted"))
		cap_fallback_lines++;
	pthread_mutex_unlock(&cap_lock);
}

T_TEST(fallback, "mm/cpumap/fallback/eager-no-zap")
{
	enum u_log_level level = u_log_get_level();
	struct mm_budget *b = budget_new(4 * MiB, 1 * MiB);
	bool had_uffd = mm_cpumap_uffd_available();
	static struct toy t;
	struct mm_cpumap_stats st;

	setenv("PANTOMIME_NO_UFFD", "1", 1);
	u_log_set_level(U_LOG_INFO);
	u_log_set_sink(cap_sink, NULL);
	T_ASSERT(!mm_cpumap_uffd_available());
	T_ASSERT(!mm_cpumap_uffd_available());

	toy_init(&t, b, 16, 2);
	map_create(&t, 16);
	u_log_set_sink(NULL, NULL);
	u_log_set_level(level);
	if (had_uffd)
		T_ASSERT_EQ_INT(cap_fallback_lines, 1);	/* said clearly, and once */
	else
		T_ASSERT_LE_INT(cap_fallback_lines, 1);

	/* Populated at creation: one blocking call per 4-page chunk, one run each. */
	T_ASSERT(!mm_cpumap_can_zap(t.map));
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 16);
	T_ASSERT_EQ_U64(CNT(&t, b_calls), 4);
	st = stats_of(&t);
	T_ASSERT_GE_INT(st.runs_mapped, 1);
	T_ASSERT_LE_INT(st.runs_mapped, 4);
	T_ASSERT_EQ_U64(st.pages_mapped, 16);
	validate(&t);
	for (uint64_t p = 0; p < 16; p++) {
		cpu_set(&t, p, 0, pattern(p, 0));
		T_ASSERT_EQ_U64(*dm_word(&t, p, 0), pattern(p, 0));
	}
	/* No eviction of a mmapped object. */
	T_ASSERT_ERRNO(mm_cpumap_zap(t.map), EOPNOTSUPP);
	T_ASSERT_ERRNO(mm_cpumap_zap_range(t.map, 0, 1), EOPNOTSUPP);
	T_ASSERT_EQ_U64(mm_cpumap_pages_mapped(t.map), 16);

	/* A failing owner fails the creation, leaving nothing mapped. */
	{
		static struct toy t2;
		struct mm_cpumap *m2 = NULL;

		toy_init(&t2, b, 4, 0);
		KNOB(&t2, fail_block, ENOMEM);
		T_ASSERT_ERRNO(mm_cpumap_create(4 * PG, PROT_READ, &toy_ops, &t2, &m2), ENOMEM);
		T_ASSERT_NULL(m2);
		toy_fini(&t2);
	}
	validate(&t);
	map_destroy(&t);
	toy_fini(&t);
	unsetenv("PANTOMIME_NO_UFFD");
	T_ASSERT_EQ_INT(mm_cpumap_uffd_available(), had_uffd);
	mm_budget_destroy(b);
}

/* ---- lifetime ------------------------------------------------------------- */

T_TEST(destroy_idle, "mm/cpumap/destroy-idle")
{
	struct mm_budget *b = budget_new(4 * MiB, 0);
	static struct toy t;
	long live = u_alloc_live();
	void *addr;

	toy_init(&t, b, 8, 0);
	/* Never touched. */
	map_create(&t, 8);
	addr = mm_cpumap_addr(t.map);
	T_ASSERT(!range_is_free(addr, 8 * PG));
	map_destroy(&t);
	T_ASSERT(range_is_free(addr, 8 * PG));
	/* Touched, then idle. */
	map_create(&t, 8);
	addr = mm_cpumap_addr(t.map);
	cpu_set(&t, 1, 0, 1);
	cpu_set(&t, 4, 0, 4);
	map_destroy(&t);
	T_ASSERT(range_is_free(addr, 8 * PG));
	T_ASSERT_EQ_INT(u_alloc_live(), live);
	/* The owner's frames are its own: still there, still holding the data. */
	T_ASSERT_EQ_U64(*dm_word(&t, 4, 0), 4);
	toy_fini(&t);
	validate(NULL);
	mm_budget_destroy(b);
}

T_TEST(many_maps, "mm/cpumap/many-maps")
{
	enum { NMAPS = 48, NPAGES = 4 };
	struct mm_budget *b = budget_new(8 * MiB, 2 * MiB);
	struct toy *t[NMAPS];
	unsigned int order[NMAPS];

	for (int i = 0; i < NMAPS; i++) {
		t[i] = toy_new(b, NPAGES, (unsigned int)i % 3);
		t[i]->id = (uint32_t)i + 100;
		map_create(t[i], NPAGES);
		order[i] = (unsigned int)i;
	}
	for (int i = 0; i < NMAPS; i++)
		for (uint64_t p = 0; p < NPAGES; p++)
			cpu_set(t[i], p, 0, pattern(p, (uint64_t)i));
	/* Evict every other one. */
	for (int i = 0; i < NMAPS; i++)
		if (mm_cpumap_can_zap(t[i]->map) && i % 2)
			toy_evict(t[i]);
	for (int i = 0; i < NMAPS; i++) {
		for (uint64_t p = 0; p < NPAGES; p++) {
			T_ASSERT_EQ_U64(cpu_get(t[i], p, 0), pattern(p, (uint64_t)i));
			T_ASSERT_EQ_U64(*dm_word(t[i], p, 0), pattern(p, (uint64_t)i));
		}
		validate(t[i]);
	}
	/* Destroy in a shuffled order. */
	for (int i = NMAPS - 1; i > 0; i--) {
		int j = (int)(t_rand() % (uint64_t)(i + 1));
		unsigned int tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	for (int i = 0; i < NMAPS; i++) {
		struct toy *x = t[order[i]];
		void *addr = mm_cpumap_addr(x->map);

		map_destroy(x);
		T_ASSERT(range_is_free(addr, NPAGES * PG));
		toy_fini(x);
		free(x);
	}
	T_ASSERT_EQ_U64(mm_budget_used(b), 0);
	validate(NULL);
	mm_budget_destroy(b);
}

/*
 * fork(): the child can destroy what it inherited (without the parent's
 * locks or thread) and create mappings of its own; the parent's keep working.
 */
static int fork_child(struct toy *inherited, struct mm_budget *b)
{
	static struct toy t;
	uint8_t *old = mm_cpumap_addr(inherited->map);

	/* Nothing of the parent's mapping came along: the child cannot reach its frames. */
	if (!range_is_free(old, 4 * PG))
		return 20;
	if (mm_cpumap_zap(inherited->map) != -ENODEV)
		return 21;
	if (mm_cpumap_handle_fault(inherited->map, old, true) != -ENODEV)
		return 22;
	mm_cpumap_destroy(inherited->map);
	if (!range_is_free(old, PG))
		return 23;
	toy_init(&t, b, 4, 0);
	if (mm_cpumap_create(4 * PG, PROT_READ | PROT_WRITE, &toy_ops, &t, &t.map))
		return 24;
	if (!mm_cpumap_uffd_available())
		return 0;
	cpu_set(&t, 1, 0, 11);
	if (*(uint64_t *)mm_pa_to_virt(t.pa[1]) != 11)
		return 25;
	if (mm_cpumap_zap(t.map) || cpu_get(&t, 1, 0) != 11)
		return 26;
	mm_cpumap_destroy(t.map);
	return 0;
}

T_TEST(fork_child_and_parent, "mm/cpumap/uffd/fork")
{
	struct mm_budget *b;
	static struct toy t;
	int status;
	pid_t pid;

#ifdef __SANITIZE_THREAD__
	t_skip("ThreadSanitizer does not support threads started in a child of a threaded process");
#endif
	need_uffd();
	b = budget_new(4 * MiB, 1 * MiB);
	toy_init(&t, b, 4, 0);
	map_create(&t, 4);
	cpu_set(&t, 0, 0, pattern(0, 0));
	pid = fork();
	T_ASSERT_GE_INT(pid, 0);
	if (pid == 0)
		_exit(fork_child(&t, b));
	T_ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
	T_ASSERT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: status 0x%x", status);
	/* The parent's mapping and fault thread are unaffected. */
	cpu_set(&t, 2, 0, 2);
	T_ASSERT_EQ_U64(*dm_word(&t, 2, 0), 2);
	toy_evict(&t);
	T_ASSERT_EQ_U64(cpu_get(&t, 0, 0), pattern(0, 0));
	validate(&t);
	map_destroy(&t);
	toy_fini(&t);
	mm_budget_destroy(b);
}

/* Threads creating, touching, evicting and destroying mappings at once: start/stop races. */
struct churn_ctx {
	struct mm_budget *b;
	int id;
	unsigned long bad;
};

static void *churn_thread(void *arg)
{
	struct churn_ctx *c = arg;
	struct toy *t = malloc(sizeof(*t));

	U_ASSERT(t);
	for (int it = 0; it < 40; it++) {
		uint64_t n = 4 + (uint64_t)((it + c->id) % 3) * 2;

		toy_init(t, c->b, n, (unsigned int)(it % 2));
		if (mm_cpumap_create(n * PG, PROT_READ | PROT_WRITE, &toy_ops, t, &t->map)) {
			c->bad++;
			break;
		}
		for (uint64_t p = 0; p < n; p++)
			cpu_set(t, p, 1, pattern(p, (uint64_t)c->id));
		if (mm_cpumap_can_zap(t->map))
			toy_evict(t);
		for (uint64_t p = 0; p < n; p++)
			c->bad += cpu_get(t, p, 1) != pattern(p, (uint64_t)c->id);
		if (mm_cpumap_validate(t->map))
			c->bad++;
		mm_cpumap_destroy(t->map);
		t->map = NULL;
		toy_fini(t);
	}
	free(t);
	return NULL;
}

T_TEST(churn, "mm/cpumap/concurrent-create-destroy")
{
	enum { THREADS = 3 };
	struct mm_budget *b = budget_new(16 * MiB, 4 * MiB);
	struct churn_ctx c[THREADS];
	pthread_t th[THREADS];

	for (int i = 0; i < THREADS; i++) {
		c[i] = (struct churn_ctx){ .b = b, .id = i };
		T_ASSERT_OK(pthread_create(&th[i], NULL, churn_thread, &c[i]));
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		T_ASSERT_EQ_INT(c[i].bad, 0);
	}
	T_ASSERT_EQ_U64(mm_budget_used(b), 0);
	validate(NULL);
	mm_budget_destroy(b);
}

/* Destroying with the owner's lock held is the deadlock the lockdep must name. */
T_TEST(lockdep_destroy_under_owner_lock, "mm/cpumap/uffd/lockdep-destroy-under-owner-lock")
{
	struct mm_budget *b;
	static struct toy t;
	unsigned long before;

#ifdef __SANITIZE_THREAD__
	/* Its own deadlock detector would report the inversion too, and fail the run. */
	t_skip("the inversion is provoked on purpose; ThreadSanitizer would report it as well");
#endif
	need_uffd();
	if (!u_lockdep_enabled())
		t_skip("lockdep is off");
	b = budget_new(4 * MiB, 0);
	toy_init(&t, b, 4, 0);
	map_create(&t, 4);
	cpu_set(&t, 0, 0, 1);	/* the fault thread records cpumap_fault -> toy_resv */
	before = u_lockdep_reports();
	{
		int saved = dup(2), null = open("/dev/null", O_WRONLY);

		dup2(null, 2);	/* the report is expected */
		u_mutex_lock(&t.lock);
		mm_cpumap_destroy(t.map);
		u_mutex_unlock(&t.lock);
		dup2(saved, 2);
		close(saved);
		close(null);
	}
	t.map = NULL;
	T_ASSERT_GE_INT(u_lockdep_reports() - before, 1);
	u_lockdep_reset();
	toy_fini(&t);
	mm_budget_destroy(b);
}

/* ---- fault injection over mm_cpumap_create -------------------------------- */

struct fl_ctx {
	struct toy t;
	uint64_t npages;
};

static int fl_run(void *arg)
{
	struct fl_ctx *c = arg;

	return mm_cpumap_create(c->npages * PG, PROT_READ | PROT_WRITE, &toy_ops, &c->t, &c->t.map);
}

static void fl_undo(void *arg)
{
	struct fl_ctx *c = arg;

	mm_cpumap_destroy(c->t.map);
	c->t.map = NULL;
	toy_release(&c->t);
}

static void fl_check(void *arg)
{
	T_ASSERT_OK(mm_validate());
}

/*
 * Mappings of the kinds cpumap makes (shared anonymous reservations, runs of
 * the arena memfd): a failed create must leave none behind. Other mappings
 * are not counted: allocators (ASan's, glibc's arenas) map memory lazily.
 */
static long fl_vmas(void *arg)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	long n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "/dev/zero (deleted)") || strstr(line, "memfd:pantomime");
	fclose(f);
	return n;
}

T_TEST(fault_loop_create, "mm/cpumap/fault-injection/create")
{
	static struct fl_ctx c;
	const struct t_fault_loop_ops ops = {
		.run = fl_run, .undo = fl_undo, .check = fl_check, .resources = fl_vmas,
	};
	struct mm_budget *b = budget_new(4 * MiB, 0);

	toy_init(&c.t, b, 8, 1);
	c.npages = 8;
	/* Warm up: the first fault thread's stack stays in glibc's cache. */
	T_ASSERT_OK(fl_run(&c));
	fl_undo(&c);

	for (int eager = 0; eager < 2; eager++) {
		if (eager)
			setenv("PANTOMIME_NO_UFFD", "1", 1);
		for (int persistent = 0; persistent < 2; persistent++) {
			unsigned long n = t_fault_loop(&ops, &c, persistent);

			/* uffd: the mapping and its bitmap; eager: and the owner's 4 chunks. */
			T_ASSERT_GE_INT(n, eager ? 3 : 2);
			validate(NULL);
		}
		unsetenv("PANTOMIME_NO_UFFD");
	}
	toy_fini(&c.t);
	T_ASSERT_EQ_U64(mm_budget_used(b), 0);
	mm_budget_destroy(b);
}
