// SPDX-License-Identifier: MIT
/*
 * gem suite, CPU side: user mappings through userfaultfd (the MMAPPED
 * state, eviction zapping them, faults bringing data back), the fault
 * handler called directly, seed 001 (a page allocation failing inside the
 * fault path), the eager fallback without userfaultfd, vmap, per-VM LRUs,
 * the gems table, data integrity under pressure through CPU mappings and
 * GPU reads, concurrency, and the fault-injection loops.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pt_test.h"
#include "t_harness.h"
#include "mm/mm.h"
#include "mm/mm_cpumap.h"
#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_fault.h"

#define VA_BASE (64 * MiB)

static enum panthor_gem_reclaim_state state_of(struct panthor_gem_object *bo)
{
	return panthor_gem_reclaim_state(bo);
}

static struct panthor_gem_cpumap *map_bo(struct panthor_gem_object *bo, uint64_t off,
					 uint64_t len)
{
	struct panthor_gem_cpumap *m = NULL;

	T_ASSERT_OK(panthor_gem_mmap(bo, off, len, PROT_READ | PROT_WRITE, &m));
	return m;
}

static uint64_t *words(struct panthor_gem_cpumap *m)
{
	return panthor_gem_cpumap_addr(m);
}

static uint32_t mmap_count(struct panthor_gem_object *bo)
{
	uint32_t n;

	dma_resv_lock(panthor_gem_resv(bo), NULL);
	n = bo->cmap.mmap_count;
	dma_resv_unlock(panthor_gem_resv(bo));
	return n;
}

/* Read a BO field under its resv (the fault thread writes them). */
#define LOCKED(bo, expr) ({                                                     \
	__typeof__(expr) v_;                                                   \
	dma_resv_lock(panthor_gem_resv(bo), NULL);                             \
	v_ = (expr);                                                           \
	dma_resv_unlock(panthor_gem_resv(bo));                                 \
	v_;                                                                    \
})

static void need_uffd(void)
{
	if (!mm_cpumap_uffd_available())
		t_skip("userfaultfd unavailable: the lazy CPU mappings cannot be tested here");
}

/* Every transition that involves a CPU mapping. */
T_TEST(mmap_states, "gem/cpu/mmap-states")
{
	struct pt_config cfg = { .memory = 64 * MiB, .swap = 64 * MiB };
	struct panthor_gem_cpumap *m, *m2;
	struct panthor_gem_object *bo;
	struct panthor_gem_stats st;
	struct pt t;
	uint32_t vm, h;
	uint64_t *w;

	need_uffd();
	pt_init(&t, &cfg);
	vm = pt_vm_create(&t);
	h = pt_bo_create(&t, 2 * MiB, 0);
	bo = pt_bo(&t, h);

	/* Bad ranges, as drm_gem_mmap refuses them. */
	T_ASSERT_ERRNO(panthor_gem_mmap(bo, 0, 2 * MiB + 4096, PROT_READ, &m), EINVAL);
	T_ASSERT_ERRNO(panthor_gem_mmap(bo, 4096, 2 * MiB, PROT_READ, &m), EINVAL);
	T_ASSERT_ERRNO(panthor_gem_mmap(bo, 100, 4096, PROT_READ, &m), EINVAL);

	/* mmap allocates nothing: page-less, so unreclaimable. */
	m = map_bo(bo, 0, 2 * MiB);
	T_ASSERT_EQ_INT(mmap_count(bo), 1);
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_UNRECLAIMABLE);
	T_ASSERT_NULL(LOCKED(bo, bo->backing.chunks));
	w = words(m);
	/* First touch: the fault allocates, the BO becomes MMAPPED. */
	for (uint64_t i = 0; i < 2 * MiB / 8; i += 512)
		w[i] = pt_word(5, i * 8);
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_MMAPPED);

	/* GPU-mapped beats MMAPPED. */
	T_ASSERT_OK(pt_map(&t, vm, h, 0, VA_BASE, 2 * MiB));
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_GPU_MAPPED_SINGLE_VM);
	pt_expect_word(&t, vm, VA_BASE + 8 * 512, pt_word(5, 8 * 512));
	/* A non-blocking scan leaves GPU-mapped BOs alone. */
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 512, false), 0);
	T_ASSERT_OK(pt_unmap(&t, vm, VA_BASE, 2 * MiB));

	/* Unmapped from the GPU: a non-blocking scan re-evaluates it MMAPPED and evicts it. */
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 512, false), 512);
	T_ASSERT(panthor_gem_is_evicted(bo));
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_UNRECLAIMABLE);
	T_ASSERT_EQ_INT(__atomic_load_n(&bo->reclaimed_count, __ATOMIC_RELAXED), 1);
	/* The next touch faults the data back in from swap. */
	for (uint64_t i = 0; i < 2 * MiB / 8; i += 512)
		T_ASSERT_EQ_U64(w[i], pt_word(5, i * 8));
	T_ASSERT(!panthor_gem_is_evicted(bo));
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_MMAPPED);
	panthor_gem_get_stats(t.ptdev, &st);
	T_ASSERT_EQ_INT(st.evictions, 1);
	T_ASSERT_EQ_INT(st.restores, 1);

	/* Two mappings: both zapped by an eviction, both see the data again. */
	m2 = map_bo(bo, 1 * MiB, 1 * MiB);
	T_ASSERT_EQ_INT(mmap_count(bo), 2);
	T_ASSERT_EQ_U64(words(m2)[0], pt_word(5, 1 * MiB));
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 512, false), 512);
	T_ASSERT_EQ_U64(words(m2)[0], pt_word(5, 1 * MiB));
	T_ASSERT_EQ_U64(w[0], pt_word(5, 0));
	T_ASSERT_OK(mm_cpumap_validate(m->map));
	panthor_gem_munmap(m2);
	T_ASSERT_EQ_INT(mmap_count(bo), 1);
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_MMAPPED);

	/* Partial munmap: those pages are gone for good (the handler refuses them)... */
	T_ASSERT_EQ_INT(panthor_gem_munmap_range(m, 1, 1), 1);
	T_ASSERT_EQ_INT(panthor_gem_munmap_range(m, 1, 2), 1);	/* page 1 counted once */
	T_ASSERT_ERRNO(mm_cpumap_handle_fault(m->map, (uint8_t *)w + 4096, true), EFAULT);
	T_ASSERT_ERRNO(panthor_gem_munmap_range(m, 512, 1), EINVAL);
	/* ...and really unmapped: what the user maps there survives evictions and munmap. */
	{
		uint64_t *mine = mmap((uint8_t *)w + 4096, 4096, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		T_ASSERT_EQ_PTR(mine, (uint8_t *)w + 4096);
		mine[3] = 0x7777;
		T_ASSERT_EQ_U64(w[0], pt_word(5, 0));
		T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 512, false), 512);
		T_ASSERT_EQ_U64(mine[3], 0x7777);
		T_ASSERT_EQ_U64(w[2048], pt_word(5, 2048 * 8));	/* page 4 */
		T_ASSERT_OK(mm_cpumap_validate(m->map));
		panthor_gem_munmap(m);
		T_ASSERT_EQ_U64(mine[3], 0x7777);
		munmap(mine, 4096);
	}

	/* Last munmap: back to UNUSED. */
	T_ASSERT_EQ_INT(mmap_count(bo), 0);
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_UNUSED);
	panthor_gem_put(bo);
	pt_expect_no_violation(&t);
	pt_fini(&t);
}

/* The handler's two phases and its runs, called directly (any mode). */
T_TEST(direct_handler, "gem/cpu/direct-handler")
{
	struct pt_config cfg = { .memory = 64 * MiB };
	struct panthor_gem_object *bo;
	struct panthor_gem_cpumap *m;
	struct mm_cpumap_run run;
	bool lazy = mm_cpumap_uffd_available();
	struct pt t;
	uint32_t h;

	pt_init(&t, &cfg);
	/* Two 2 MiB chunks and a 64 KiB tail of single frames. */
	h = pt_bo_create(&t, 4 * MiB + 64 * 1024, 0);
	bo = pt_bo(&t, h);
	/* Pages 256.. of the BO: 1 MiB into chunk 0, then chunk 1, then 8 tail pages. */
	m = map_bo(bo, 1 * MiB, 3 * MiB + 32 * 1024);
	if (lazy) {
		T_ASSERT_ERRNO(panthor_gem_cpu_fault(m, 0, false, &run), EAGAIN);
		T_ASSERT_NULL(LOCKED(bo, bo->backing.chunks));
	}
	memset(&run, 0, sizeof(run));
	T_ASSERT_OK(panthor_gem_cpu_fault(m, 0, true, &run));
	T_ASSERT_EQ_U64(run.first, 0);
	T_ASSERT_EQ_U64(run.npages, 256);	/* to the end of chunk 0 */
	T_ASSERT_EQ_U64(run.pa, panthor_gem_offset_to_pa(bo, 1 * MiB));

	T_ASSERT_OK(panthor_gem_cpu_fault(m, 300, false, &run));
	T_ASSERT_EQ_U64(run.first, 256);
	T_ASSERT_EQ_U64(run.npages, 512);	/* all of chunk 1 */
	T_ASSERT_EQ_U64(run.pa, panthor_gem_offset_to_pa(bo, 2 * MiB));
	T_ASSERT_EQ_U64(run.pa + (300 - 256) * 4096ull,
			panthor_gem_offset_to_pa(bo, 1 * MiB + 300 * 4096ull));

	T_ASSERT_OK(panthor_gem_cpu_fault(m, 770, false, &run));
	T_ASSERT_EQ_U64(run.first, 770);
	T_ASSERT_EQ_U64(run.npages, 1);		/* a tail frame */
	T_ASSERT_EQ_U64(run.pa, panthor_gem_offset_to_pa(bo, 1 * MiB + 770 * 4096ull));

	T_ASSERT_ERRNO(panthor_gem_cpu_fault(m, 776, false, &run), EFAULT);	/* past the end */
	T_ASSERT_ERRNO(panthor_gem_cpu_fault(m, 776, true, &run), EFAULT);

	/* A partial munmap splits runs and refuses its pages. */
	T_ASSERT_EQ_INT(panthor_gem_munmap_range(m, 400, 2), 2);
	T_ASSERT_OK(panthor_gem_cpu_fault(m, 300, false, &run));
	T_ASSERT_EQ_U64(run.first, 256);
	T_ASSERT_EQ_U64(run.npages, 400 - 256);
	T_ASSERT_OK(panthor_gem_cpu_fault(m, 500, false, &run));
	T_ASSERT_EQ_U64(run.first, 402);
	T_ASSERT_EQ_U64(run.pa, panthor_gem_offset_to_pa(bo, 1 * MiB + 402 * 4096ull));
	T_ASSERT_ERRNO(panthor_gem_cpu_fault(m, 401, true, &run), EFAULT);

	/* The same through mm_cpumap: the run is mapped and shows the BO's memory. */
	T_ASSERT_OK(mm_cpumap_handle_fault(m->map, (uint8_t *)panthor_gem_cpumap_addr(m) + 8192,
					   true));
	{
		uint64_t v = 0x1122334455667788ull, got = 0;

		T_ASSERT_OK(panthor_gem_cpu_access(bo, 1 * MiB + 8192, &v, 8, true));
		memcpy(&got, (uint8_t *)panthor_gem_cpumap_addr(m) + 8192, 8);
		T_ASSERT_EQ_U64(got, v);
	}
	panthor_gem_munmap(m);
	panthor_gem_put(bo);
	pt_fini(&t);
}

/*
 * Seed 001: the page allocation of the fault path fails, the fault is
 * retried, and the second attempt succeeds with a valid state — not a
 * crash on an error value left in the "pages present" field.
 */
T_TEST(seed001, "gem/cpu/seed001-alloc-fails-in-fault")
{
	struct pt_config cfg = { .memory = 64 * MiB };
	struct panthor_gem_object *bo;
	struct panthor_gem_cpumap *m;
	struct mm_cpumap_run run;
	struct pt t;
	uint32_t h;

	need_uffd();
	pt_init(&t, &cfg);
	h = pt_bo_create(&t, 64 * 1024, 0);
	bo = pt_bo(&t, h);
	m = map_bo(bo, 0, 64 * 1024);

	/* Directly: point 1 is the chunk array, point 2 the first frame. */
	u_fault_set_nth(2, false);
	T_ASSERT_ERRNO(panthor_gem_cpu_fault(m, 3, true, &run), ENOMEM);
	T_ASSERT_EQ_INT(u_fault_injected(), 1);
	u_fault_disable();
	T_ASSERT_NULL(LOCKED(bo, bo->backing.chunks));	/* nothing half-assigned */
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_UNRECLAIMABLE);
	/* The retried fault's non-blocking phase must not take an error for pages. */
	T_ASSERT_ERRNO(panthor_gem_cpu_fault(m, 3, false, &run), EAGAIN);
	T_ASSERT_OK(panthor_gem_cpu_fault(m, 3, true, &run));
	T_ASSERT_EQ_U64(run.pa + (3 - run.first) * 4096, panthor_gem_offset_to_pa(bo, 3 * 4096));
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_MMAPPED);
	panthor_gem_munmap(m);
	panthor_gem_put(bo);

	/* Through a real CPU touch: the fault thread retries after the failure. */
	h = pt_bo_create(&t, 64 * 1024, 0);
	bo = pt_bo(&t, h);
	m = map_bo(bo, 0, 64 * 1024);
	{
		struct mm_cpumap_stats st;
		volatile uint64_t *w = words(m);

		u_fault_set_nth(2, false);
		T_ASSERT_EQ_U64(w[700], 0);	/* a fresh BO reads zero */
		T_ASSERT_EQ_INT(u_fault_injected(), 1);
		u_fault_disable();
		w[700] = 42;
		mm_cpumap_stats(m->map, &st);
		T_ASSERT_GE_INT(st.retries, 1);
		T_ASSERT_EQ_INT(st.errors, 0);
	}
	{
		uint64_t v = 0;

		T_ASSERT_OK(panthor_gem_cpu_access(bo, 700 * 8, &v, 8, false));
		T_ASSERT_EQ_U64(v, 42);
	}
	T_ASSERT_OK(mm_cpumap_validate(m->map));
	panthor_gem_munmap(m);
	panthor_gem_put(bo);
	pt_fini(&t);
}

/* Without userfaultfd: populated at mmap time, and never evicted while mapped. */
T_TEST(no_uffd, "gem/cpu/no-uffd-fallback")
{
	struct pt_config cfg = { .memory = 64 * MiB, .swap = 64 * MiB };
	struct panthor_gem_object *bo;
	struct panthor_gem_cpumap *m;
	struct pt t;
	uint64_t v = 0;
	uint32_t h;

	setenv("PANTOMIME_NO_UFFD", "1", 1);
	pt_init(&t, &cfg);
	T_ASSERT(!mm_cpumap_uffd_available());
	h = pt_bo_create(&t, 2 * MiB, 0);
	bo = pt_bo(&t, h);
	m = map_bo(bo, 0, 2 * MiB);
	T_ASSERT_NOT_NULL(LOCKED(bo, bo->backing.chunks));	/* populated eagerly */
	T_ASSERT(!mm_cpumap_can_zap(m->map));
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_UNRECLAIMABLE);
	words(m)[1000] = 77;
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 4096, true), 0);
	T_ASSERT(!panthor_gem_is_evicted(bo));
	T_ASSERT_OK(panthor_gem_cpu_access(bo, 8000, &v, 8, false));
	T_ASSERT_EQ_U64(v, 77);
	/* A partial munmap protects the pages instead. */
	T_ASSERT_EQ_INT(panthor_gem_munmap_range(m, 3, 1), 1);
	panthor_gem_munmap(m);
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_UNUSED);
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 4096, true), 512);
	panthor_gem_put(bo);
	pt_fini(&t);
	unsetenv("PANTOMIME_NO_UFFD");
}

T_TEST(vmap, "gem/cpu/vmap")
{
	struct pt_config cfg = { .memory = 64 * MiB, .swap = 64 * MiB };
	struct panthor_gem_object *bo;
	void *p = NULL, *p2 = NULL;
	struct pt t;
	uint64_t v = 0;
	uint32_t h;

	pt_init(&t, &cfg);
	h = pt_bo_create(&t, 4 * MiB + 8192, 0);
	bo = pt_bo(&t, h);
	T_ASSERT_OK(panthor_gem_vmap(bo, &p));
	T_ASSERT_EQ_INT(LOCKED(bo, bo->backing.pin_count), 1);
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_UNRECLAIMABLE);
	/* Contiguous over every chunk, and the BO's memory. */
	((uint64_t *)p)[(4 * MiB + 4096) / 8] = 99;
	((uint64_t *)p)[(2 * MiB) / 8] = 98;
	T_ASSERT_OK(panthor_gem_cpu_access(bo, 4 * MiB + 4096, &v, 8, false));
	T_ASSERT_EQ_U64(v, 99);
	T_ASSERT_OK(panthor_gem_vmap(bo, &p2));
	T_ASSERT_EQ_PTR(p2, p);
	T_ASSERT_EQ_INT(LOCKED(bo, bo->cmap.vaddr_use_count), 2);
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 4096, true), 0);	/* vmapped: pinned */
	panthor_gem_vunmap(bo);
	T_ASSERT_EQ_INT(LOCKED(bo, bo->backing.pin_count), 1);
	panthor_gem_vunmap(bo);
	T_ASSERT_EQ_INT(LOCKED(bo, bo->backing.pin_count), 0);
	T_ASSERT_NULL(LOCKED(bo, bo->cmap.vaddr));
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_UNUSED);
	T_ASSERT_GT_INT(panthor_gem_shrink(t.ptdev, 4096, true), 0);
	T_ASSERT(panthor_gem_is_evicted(bo));
	/* vmap swaps in. */
	T_ASSERT_OK(panthor_gem_vmap(bo, &p));
	T_ASSERT_EQ_U64(((uint64_t *)p)[(2 * MiB) / 8], 98);
	panthor_gem_vunmap(bo);
	panthor_gem_put(bo);
	pt_fini(&t);
}

/* Per-VM LRUs: the VM that ran a job least recently gives up its BOs first. */
T_TEST(per_vm_lru, "gem/reclaim/per-vm-lru")
{
	struct pt_config cfg = { .memory = 64 * MiB, .swap = 64 * MiB };
	struct panthor_gem_object *a, *b;
	uint32_t vma, vmb, ha, hb;
	struct pt t;

	pt_init(&t, &cfg);
	vma = pt_vm_create(&t);
	vmb = pt_vm_create(&t);
	ha = pt_bo_create(&t, 2 * MiB, 0);
	hb = pt_bo_create(&t, 2 * MiB, 0);
	pt_bo_fill(&t, ha, 1);
	pt_bo_fill(&t, hb, 2);
	T_ASSERT_OK(pt_map(&t, vma, ha, 0, VA_BASE, 2 * MiB));
	T_ASSERT_OK(pt_map(&t, vmb, hb, 0, VA_BASE, 2 * MiB));
	a = pt_bo(&t, ha);
	b = pt_bo(&t, hb);
	T_ASSERT_EQ_INT(state_of(a), PANTHOR_GEM_GPU_MAPPED_SINGLE_VM);
	T_ASSERT_EQ_INT(state_of(b), PANTHOR_GEM_GPU_MAPPED_SINGLE_VM);

	pt_expect_word(&t, vma, VA_BASE, pt_word(1, 0));
	pt_expect_word(&t, vmb, VA_BASE, pt_word(2, 0));
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 512, true), 512);
	T_ASSERT(panthor_gem_is_evicted(a));
	T_ASSERT(!panthor_gem_is_evicted(b));

	pt_expect_word(&t, vma, VA_BASE + 8, pt_word(1, 8));	/* restores a; a is now newer */
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 512, true), 512);
	T_ASSERT(!panthor_gem_is_evicted(a));
	T_ASSERT(panthor_gem_is_evicted(b));
	pt_expect_word(&t, vmb, VA_BASE + 16, pt_word(2, 16));

	/* A VM going away hands its BOs to the UNUSED list. */
	panthor_gem_put(b);
	T_ASSERT_OK(panthor_vm_pool_destroy_vm(&t.pfile->vms, vmb));
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 512, false), 512);
	b = pt_bo(&t, hb);
	T_ASSERT(panthor_gem_is_evicted(b));
	T_ASSERT(!panthor_gem_is_evicted(a));
	panthor_gem_put(a);
	panthor_gem_put(b);
	pt_expect_no_violation(&t);
	pt_fini(&t);
}

static void collect_line(void *arg, const char *line)
{
	FILE *f = arg;

	fprintf(f, "%s\n", line);
}

T_TEST(gems_table, "gem/debug/gems-table")
{
	struct pt_config cfg = { .memory = 64 * MiB, .swap = 64 * MiB };
	struct panthor_gem_object *a;
	char *text = NULL, *old;
	size_t len = 0;
	struct pt t;
	uint32_t ha, hb;
	FILE *f;

	pt_init(&t, &cfg);
	ha = pt_bo_create(&t, 2 * MiB, 0);
	hb = pt_bo_create(&t, 1 * MiB, 0);
	pt_bo_fill(&t, ha, 1);
	a = pt_bo(&t, ha);
	old = panthor_gem_set_label(a, u_strdup("vertex-buffer"));
	T_ASSERT_NULL(old);
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 512, false), 512);

	f = open_memstream(&text, &len);
	T_ASSERT_NOT_NULL(f);
	panthor_gem_dump(t.ptdev, collect_line, f);
	fclose(f);
	{
		char *copy = strdup(text), *save = NULL;

		T_ASSERT_NOT_NULL(copy);
		for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			t_note("%s", l);
		free(copy);
	}
	T_ASSERT(strstr(text, "created-by") && strstr(text, "refcount") &&
		 strstr(text, "evictions") && strstr(text, "resident-size") &&
		 strstr(text, "file-offset") && strstr(text, "label"));
	T_ASSERT(strstr(text, "vertex-buffer"));
	/* The evicted BO: evicted flag, 1 eviction, resident 0. */
	{
		char *line = strstr(text, "vertex-buffer");

		while (line > text && line[-1] != '\n')
			line--;
		T_ASSERT(strstr(line, " 0x004 ") && strstr(line, " 2097152 ") &&
			 strstr(line, "        1 "));
	}
	/* Totals: the file's dummy (2 MiB), a (2 MiB) and b (1 MiB); none has pages now. */
	T_ASSERT(strstr(text, "Total size: 5242880, Total resident: 0, Total reclaimable: 0"));
	free(text);
	(void)hb;
	panthor_gem_put(a);
	pt_fini(&t);
}

/* ---- data integrity and concurrency under pressure ------------------------------- */

#define NR_VMS 8
#define BOS_PER_VM 2
#define NR_BOS (NR_VMS * BOS_PER_VM)
#define BO_SIZE (6 * MiB)
#define BO_VA(i) (VA_BASE + (uint64_t)((i) % BOS_PER_VM) * 8 * MiB)

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct cpu_set {
	struct pt t;
	uint32_t vms[NR_VMS];
	uint32_t bos[NR_BOS];
	struct panthor_gem_object *objs[NR_BOS];
	struct panthor_gem_cpumap *maps[NR_BOS];
};

/* 96 MiB of BOs in 8 VMs, each mapped for the CPU and filled through its mapping. */
static void cpu_set_init(struct cpu_set *s, uint64_t memory)
{
	struct pt_config cfg = { .memory = memory, .swap = 160 * MiB };

	pt_init(&s->t, &cfg);
	for (int v = 0; v < NR_VMS; v++)
		s->vms[v] = pt_vm_create(&s->t);
	for (int i = 0; i < NR_BOS; i++) {
		uint64_t *w;

		s->bos[i] = pt_bo_create(&s->t, BO_SIZE, 0);
		s->objs[i] = pt_bo(&s->t, s->bos[i]);
		s->maps[i] = map_bo(s->objs[i], 0, BO_SIZE);
		w = words(s->maps[i]);
		/* Every page gets its own pattern (faults and evictions all along). */
		for (uint64_t k = 0; k < BO_SIZE / 8; k++)
			w[k] = pt_word(100 + (uint32_t)i, k * 8);
		T_ASSERT_OK(pt_map(&s->t, s->vms[i / BOS_PER_VM], s->bos[i], 0, BO_VA(i), BO_SIZE));
	}
}

static void cpu_set_verify_fini(struct cpu_set *s)
{
	for (int i = 0; i < NR_BOS; i++) {
		const uint64_t *w = words(s->maps[i]);

		for (uint64_t k = 0; k < BO_SIZE / 8; k++)
			if (w[k] != pt_word(100 + (uint32_t)i, k * 8))
				T_ASSERT_MSG(0, "BO %d word 0x%" PRIx64 ": 0x%" PRIx64, i, k * 8, w[k]);
	}
	for (int v = 0; v < NR_VMS; v++)
		pt_validate(&s->t, s->vms[v]);
	for (int i = 0; i < NR_BOS; i++) {
		T_ASSERT_OK(mm_cpumap_validate(s->maps[i]->map));
		panthor_gem_munmap(s->maps[i]);
		panthor_gem_put(s->objs[i]);
	}
	pt_expect_no_violation(&s->t);
	pt_fini(&s->t);
}

/*
 * A working set 3x the budget, touched in random order through CPU
 * mappings (userfaultfd faults) and GPU reads, evictions throughout; every
 * byte checked at the end.
 */
T_TEST(pressure, "gem/cpu/pressure-integrity")
{
	struct panthor_gem_stats st;
	struct cpu_set *s = u_zalloc(sizeof(*s));
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	need_uffd();
	T_ASSERT_NOT_NULL(s);
	cpu_set_init(s, 32 * MiB);
	for (int it = 0; it < PT_ITERS(1500); it++) {
		int i = (int)(rnd(&seed) % NR_BOS);
		uint64_t off = (rnd(&seed) % (BO_SIZE / 8)) * 8;

		if (rnd(&seed) % 2)
			pt_expect_word(&s->t, s->vms[i / BOS_PER_VM], BO_VA(i) + off,
				       pt_word(100 + (uint32_t)i, off));
		else
			T_ASSERT_EQ_U64(words(s->maps[i])[off / 8], pt_word(100 + (uint32_t)i, off));
	}
	panthor_gem_get_stats(s->t.ptdev, &st);
	t_note("evictions %" PRIu64 " restores %" PRIu64, st.evictions, st.restores);
	T_ASSERT_GT_INT(st.evictions, NR_BOS);
	T_ASSERT_GT_INT(st.restores, NR_BOS);
	cpu_set_verify_fini(s);
	u_free(s);
}

struct worker {
	struct cpu_set *s;
	uint64_t seed;
	int iters;
	int errors;
	bool *stop;
};

static void *cpu_reader(void *arg)
{
	struct worker *w = arg;

	for (int it = 0; it < w->iters; it++) {
		int i = (int)(rnd(&w->seed) % NR_BOS);
		uint64_t off = (rnd(&w->seed) % (BO_SIZE / 8)) * 8;
		const volatile uint64_t *p = words(w->s->maps[i]);

		if (p[off / 8] != pt_word(100 + (uint32_t)i, off))
			w->errors++;
	}
	return NULL;
}

static void *gpu_reader(void *arg)
{
	struct worker *w = arg;

	for (int it = 0; it < w->iters; it++) {
		int i = (int)(rnd(&w->seed) % NR_BOS);
		uint64_t off = (rnd(&w->seed) % (BO_SIZE / 8)) * 8, got = 0;

		if (pt_read64(&w->s->t, w->s->vms[i / BOS_PER_VM], BO_VA(i) + off, &got) ||
		    got != pt_word(100 + (uint32_t)i, off))
			w->errors++;
	}
	return NULL;
}

static void *binder(void *arg)
{
	struct worker *w = arg;

	for (int it = 0; it < w->iters / 4; it++) {
		int i = it % NR_BOS;
		uint64_t va = VA_BASE + 64 * MiB;

		if (pt_map(&w->s->t, w->s->vms[i / BOS_PER_VM], w->s->bos[i], 0, va, BO_SIZE) ||
		    pt_unmap(&w->s->t, w->s->vms[i / BOS_PER_VM], va, BO_SIZE))
			w->errors++;
	}
	return NULL;
}

static void *shrinker(void *arg)
{
	struct worker *w = arg;

	while (!__atomic_load_n(w->stop, __ATOMIC_ACQUIRE))
		panthor_gem_shrink(w->s->t.ptdev, 1536, rnd(&w->seed) & 1);
	return NULL;
}

/* CPU faults, binds, the shrinker and GPU reads at once. */
T_TEST(concurrent, "gem/cpu/concurrent-faults-binds-shrinker-gpu")
{
	struct cpu_set *s = u_zalloc(sizeof(*s));
	struct worker w[4];
	pthread_t th[4];
	bool stop = false;
	void *(*fn[4])(void *) = { cpu_reader, gpu_reader, binder, shrinker };

	need_uffd();
	T_ASSERT_NOT_NULL(s);
	cpu_set_init(s, 40 * MiB);
	for (int k = 0; k < 4; k++) {
		w[k] = (struct worker){ .s = s, .seed = 0x1234567ull * (uint64_t)(k + 1),
					.iters = PT_ITERS(600), .stop = &stop };
		T_ASSERT_OK(pthread_create(&th[k], NULL, fn[k], &w[k]));
	}
	for (int k = 0; k < 3; k++)
		pthread_join(th[k], NULL);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	pthread_join(th[3], NULL);
	for (int k = 0; k < 4; k++)
		T_ASSERT_EQ_INT(w[k].errors, 0);
	cpu_set_verify_fini(s);
	u_free(s);
}

/* ---- fault-injection loops ------------------------------------------------------ */

struct inj {
	struct pt t;
	struct panthor_gem_object *bo;
	uint64_t size;
	void *vaddr;
};

static long inj_frames(void *ctx)
{
	return pt_frames(&((struct inj *)ctx)->t);
}

static void inj_check(void *ctx)
{
	struct inj *c = ctx;

	if (c->bo) {
		dma_resv_lock(panthor_gem_resv(c->bo), NULL);
		/* Present means complete: never an error value, never half a backing. */
		T_ASSERT(!c->bo->backing.chunks || c->bo->backing.nr_chunks);
		T_ASSERT(!IS_ERR(c->bo->backing.chunks) && !IS_ERR(c->bo->dmap.sgt));
		dma_resv_unlock(panthor_gem_resv(c->bo));
	}
}

/* Create a BO, map it for the CPU, fault a page in, check it, unmap, free. */
static int run_create_mmap_fault(void *ctx)
{
	struct inj *c = ctx;
	struct panthor_gem_object *bo;
	struct panthor_gem_cpumap *m;
	int ret;

	bo = panthor_gem_create(c->t.ptdev, c->size, 0, NULL, 0);
	if (IS_ERR(bo))
		return (int)PTR_ERR(bo);
	ret = panthor_gem_mmap(bo, 0, c->size, PROT_READ | PROT_WRITE, &m);
	if (!ret) {
		ret = mm_cpumap_handle_fault(m->map, (uint8_t *)panthor_gem_cpumap_addr(m) + 4096,
					     true);
		if (!ret)
			T_ASSERT_EQ_U64(((uint64_t *)panthor_gem_cpumap_addr(m))[512], 0);
		panthor_gem_munmap(m);
	}
	panthor_gem_put(bo);
	return ret;
}

static int run_pin(void *ctx)
{
	struct inj *c = ctx;
	int ret;

	c->bo = panthor_gem_create(c->t.ptdev, c->size, 0, NULL, 0);
	if (IS_ERR(c->bo)) {
		ret = (int)PTR_ERR(c->bo);
		c->bo = NULL;
		return ret;
	}
	ret = panthor_gem_pin(c->bo);
	if (ret) {
		inj_check(c);
		panthor_gem_put(c->bo);
		c->bo = NULL;
	}
	return ret;
}

static void undo_pin(void *ctx)
{
	struct inj *c = ctx;

	panthor_gem_unpin(c->bo);
	panthor_gem_put(c->bo);
	c->bo = NULL;
}

static int run_vmap(void *ctx)
{
	struct inj *c = ctx;
	int ret;

	c->bo = panthor_gem_create(c->t.ptdev, c->size, 0, NULL, 0);
	if (IS_ERR(c->bo)) {
		ret = (int)PTR_ERR(c->bo);
		c->bo = NULL;
		return ret;
	}
	ret = panthor_gem_vmap(c->bo, &c->vaddr);
	if (ret) {
		inj_check(c);
		T_ASSERT_NULL(LOCKED(c->bo, c->bo->cmap.vaddr));
		T_ASSERT_EQ_INT(LOCKED(c->bo, c->bo->backing.pin_count), 0);
		panthor_gem_put(c->bo);
		c->bo = NULL;
	}
	return ret;
}

static void undo_vmap(void *ctx)
{
	struct inj *c = ctx;

	panthor_gem_vunmap(c->bo);
	panthor_gem_put(c->bo);
	c->bo = NULL;
}

static int run_sgt(void *ctx)
{
	struct inj *c = ctx;
	struct sg_table *sgt;

	c->bo = panthor_gem_create(c->t.ptdev, c->size, 0, NULL, 0);
	if (IS_ERR(c->bo)) {
		int ret = (int)PTR_ERR(c->bo);

		c->bo = NULL;
		return ret;
	}
	sgt = panthor_gem_get_dev_sgt(c->bo);
	if (IS_ERR(sgt)) {
		inj_check(c);
		panthor_gem_put(c->bo);
		c->bo = NULL;
		return (int)PTR_ERR(sgt);
	}
	return 0;
}

static void undo_put(void *ctx)
{
	struct inj *c = ctx;

	panthor_gem_put(c->bo);
	c->bo = NULL;
}

/* Evict (a failure keeps the BO resident and intact). */
static int run_evict(void *ctx)
{
	struct inj *c = ctx;
	unsigned long freed = panthor_gem_shrink(c->t.ptdev, c->size / 4096, false);

	if (!freed) {
		T_ASSERT(!panthor_gem_is_evicted(c->bo));
		return -ENOMEM;
	}
	return 0;
}

/* Swap in by CPU access (a failure leaves it evicted, slots intact). */
static int run_swapin(void *ctx)
{
	struct inj *c = ctx;
	uint64_t v = 0;
	int ret = panthor_gem_cpu_access(c->bo, c->size - 8, &v, 8, false);

	if (ret) {
		T_ASSERT(panthor_gem_is_evicted(c->bo));
		return ret;
	}
	T_ASSERT_EQ_U64(v, pt_word(3, c->size - 8));
	return 0;
}

static void undo_evict(void *ctx)
{
	struct inj *c = ctx;
	uint64_t v = 0;

	T_ASSERT_OK(panthor_gem_cpu_access(c->bo, c->size - 8, &v, 8, false));
	T_ASSERT_EQ_U64(v, pt_word(3, c->size - 8));
}

static void undo_swapin(void *ctx)
{
	struct inj *c = ctx;

	T_ASSERT_EQ_INT(panthor_gem_shrink(c->t.ptdev, c->size / 4096, false), c->size / 4096);
}

T_TEST(inject, "gem/inject/create-mmap-fault-pin-vmap-sgt-evict-swapin")
{
	struct pt_config cfg = { .memory = 64 * MiB, .swap = 64 * MiB };
	static const struct t_fault_loop_ops ops[] = {
		{ .run = run_create_mmap_fault, .check = inj_check, .resources = inj_frames },
		{ .run = run_pin, .undo = undo_pin, .check = inj_check, .resources = inj_frames },
		{ .run = run_vmap, .undo = undo_vmap, .check = inj_check, .resources = inj_frames },
		{ .run = run_sgt, .undo = undo_put, .check = inj_check, .resources = inj_frames },
	};
	struct inj c = { .size = 2 * MiB + 3 * 4096 };
	uint32_t h;

	pt_init(&c.t, &cfg);
	for (size_t k = 0; k < ARRAY_SIZE(ops); k++) {
		T_ASSERT_GT_INT(t_fault_loop(&ops[k], &c, false), 1);
		T_ASSERT_GT_INT(t_fault_loop(&ops[k], &c, true), 1);
	}

	/* Evict and swap in an existing BO. */
	h = pt_bo_create(&c.t, c.size, 0);
	pt_bo_fill(&c.t, h, 3);
	c.bo = pt_bo(&c.t, h);
	{
		static const struct t_fault_loop_ops evict = {
			.run = run_evict, .undo = undo_evict, .check = inj_check,
		};
		static const struct t_fault_loop_ops swapin = {
			.run = run_swapin, .undo = undo_swapin, .check = inj_check,
			.resources = inj_frames,
		};

		T_ASSERT_GE_INT(t_fault_loop(&evict, &c, false), 1);
		T_ASSERT_EQ_INT(panthor_gem_shrink(c.t.ptdev, c.size / 4096, false), c.size / 4096);
		T_ASSERT_GT_INT(t_fault_loop(&swapin, &c, false), 1);
		T_ASSERT_GT_INT(t_fault_loop(&swapin, &c, true), 1);
	}
	panthor_gem_put(c.bo);
	pt_fini(&c.t);
}

/*
 * The per-file sparse dummy is reclaimable like any BO, and its restore
 * re-maps every sparse range cyclically over its whole length (not just the
 * dummy's first 2 MiB).
 */
T_TEST(sparse_dummy, "gem/reclaim/sparse-dummy-evicted-and-restored-whole")
{
	struct pt_config cfg = { .memory = 64 * MiB, .swap = 64 * MiB };
	struct panthor_gem_object *dummy;
	uint64_t a = VA_BASE, b = VA_BASE + 64 * MiB + 3 * 4096;
	struct panthor_vm *v;
	struct pt t;
	uint32_t vm;

	pt_init(&t, &cfg);
	vm = pt_vm_create(&t);
	T_ASSERT_OK(pt_sparse(&t, vm, a, 8 * MiB + 8192));
	T_ASSERT_OK(pt_sparse(&t, vm, b, 5 * MiB));
	dummy = panthor_gem_get(t.pfile->dummy);
	for (uint64_t off = 0; off < 2 * MiB; off += 4096) {
		uint64_t w = pt_word(9, off);

		T_ASSERT_OK(panthor_gem_cpu_access(dummy, off, &w, 8, true));
	}
	T_ASSERT_EQ_INT(state_of(dummy), PANTHOR_GEM_GPU_MAPPED_SINGLE_VM);
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 512, true), 512);
	T_ASSERT(panthor_gem_is_evicted(dummy));

	/* The next job restores it: every window of both ranges shows the dummy again. */
	for (uint64_t off = 0; off < 8 * MiB + 8192; off += 256 * 1024 + 4096) {
		uint64_t in = (a + off) % (2 * MiB) & ~4095ull;

		pt_expect_word(&t, vm, (a + off) & ~4095ull, pt_word(9, in));
	}
	for (uint64_t off = 0; off < 5 * MiB; off += 512 * 1024 + 4096) {
		uint64_t va = (b + off) & ~4095ull;

		pt_expect_word(&t, vm, va, pt_word(9, va % (2 * MiB)));
	}
	v = pt_vm(&t, vm);
	T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, a + 6 * MiB + 8192, NULL),
			panthor_gem_offset_to_pa(dummy, (a + 6 * MiB + 8192) % (2 * MiB)));
	T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, b + 4 * MiB, NULL),
			panthor_gem_offset_to_pa(dummy, (b + 4 * MiB) % (2 * MiB)));
	panthor_vm_put(v);
	panthor_gem_put(dummy);
	pt_validate(&t, vm);
	pt_expect_no_violation(&t);
	pt_fini(&t);
}

T_TEST(map_wc, "gem/uapi/should-map-wc")
{
	struct pt_config cfg = { .memory = 64 * MiB };
	struct panthor_gem_object *wc, *wb;
	struct pt t;

	pt_init(&t, &cfg);
	wc = pt_bo(&t, pt_bo_create(&t, 4096, 0));
	wb = panthor_gem_create(t.ptdev, 4096, DRM_PANTHOR_BO_WB_MMAP, NULL, 0);
	T_ASSERT(!IS_ERR(wb));
	T_ASSERT(panthor_gem_should_map_wc(wc));
	T_ASSERT(!panthor_gem_should_map_wc(wb));
	/* An IO-coherent GPU: never write-combined. */
	t.ptdev->coherent = true;
	T_ASSERT(!panthor_gem_should_map_wc(wc));
	t.ptdev->coherent = false;
	panthor_gem_put(wb);
	panthor_gem_put(wc);
	pt_fini(&t);
}

/* A CPU fault brings an evicted GPU-mapped BO back as MMAPPED (its vm_bo stays evicted). */
T_TEST(cpu_after_gpu_evict, "gem/reclaim/cpu-fault-after-gpu-eviction")
{
	struct pt_config cfg = { .memory = 64 * MiB, .swap = 64 * MiB };
	struct panthor_gem_object *bo;
	struct panthor_gem_cpumap *m;
	struct pt t;
	uint32_t vm, h;

	need_uffd();
	pt_init(&t, &cfg);
	vm = pt_vm_create(&t);
	h = pt_bo_create(&t, 2 * MiB, 0);
	pt_bo_fill(&t, h, 4);
	T_ASSERT_OK(pt_map(&t, vm, h, 0, VA_BASE, 2 * MiB));
	bo = pt_bo(&t, h);
	m = map_bo(bo, 0, 2 * MiB);
	T_ASSERT_EQ_U64(words(m)[9], pt_word(4, 72));
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_GPU_MAPPED_SINGLE_VM);
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 512, true), 512);

	T_ASSERT_EQ_U64(words(m)[10], pt_word(4, 80));	/* the CPU fault swaps in */
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_MMAPPED);
	/* Cheap again: a non-blocking scan evicts it (the GPU side is unmapped already). */
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 512, false), 512);
	T_ASSERT(panthor_gem_is_evicted(bo));
	pt_validate(&t, vm);
	/* A job brings it back and maps it again. */
	pt_expect_word(&t, vm, VA_BASE + 88, pt_word(4, 88));
	T_ASSERT_EQ_INT(state_of(bo), PANTHOR_GEM_GPU_MAPPED_SINGLE_VM);
	T_ASSERT_EQ_U64(words(m)[11], pt_word(4, 88));
	pt_validate(&t, vm);
	panthor_gem_munmap(m);
	panthor_gem_put(bo);
	pt_expect_no_violation(&t);
	pt_fini(&t);
}
