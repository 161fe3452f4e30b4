// SPDX-License-Identifier: MIT
/*
 * gem suite, reclaim: reclaim states, the shrinker's eviction to swap and
 * the restore at job begin and on CPU access, under memory pressure and
 * with concurrent GPU readers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt_test.h"
#include "t_harness.h"
#include "mm/mm.h"
#include "dma/dma_fence.h"
#include "util/u_alloc.h"

#define VA_BASE (64 * MiB)

static enum panthor_gem_reclaim_state state_of(struct pt *t, uint32_t h)
{
	struct panthor_gem_object *bo = pt_bo(t, h);
	enum panthor_gem_reclaim_state st = panthor_gem_reclaim_state(bo);

	panthor_gem_put(bo);
	return st;
}

static bool evicted(struct pt *t, uint32_t h)
{
	struct panthor_gem_object *bo = pt_bo(t, h);
	bool ev = panthor_gem_is_evicted(bo);

	panthor_gem_put(bo);
	return ev;
}

/* CPU-read word at @off of BO @h. */
static uint64_t cpu_word(struct pt *t, uint32_t h, uint64_t off)
{
	struct panthor_gem_object *bo = pt_bo(t, h);
	uint64_t v = 0;

	T_ASSERT_OK(panthor_gem_cpu_access(bo, off, &v, 8, false));
	panthor_gem_put(bo);
	return v;
}

static void verify_all(struct pt *t, uint32_t h, uint32_t tag)
{
	struct panthor_gem_object *bo = pt_bo(t, h);
	uint64_t chunk = 256 * 1024;
	uint64_t *buf = malloc(chunk);

	T_ASSERT_NOT_NULL(buf);
	for (uint64_t off = 0; off < bo->size; off += chunk) {
		T_ASSERT_OK(panthor_gem_cpu_access(bo, off, buf, chunk, false));
		for (uint64_t i = 0; i < chunk / 8; i++)
			if (buf[i] != pt_word(tag, off + i * 8))
				T_ASSERT_MSG(0, "BO %u word 0x%" PRIx64 ": 0x%" PRIx64, h, off + i * 8,
					     buf[i]);
	}
	free(buf);
	panthor_gem_put(bo);
}

T_TEST(states, "gem/reclaim/state-transitions")
{
	struct pt_config cfg = { .memory = 64 * MiB, .swap = 64 * MiB };
	struct panthor_gem_object *obj;
	struct pt t;
	uint32_t vm1, vm2, bo;

	pt_init(&t, &cfg);
	vm1 = pt_vm_create(&t);
	vm2 = pt_vm_create(&t);
	bo = pt_bo_create(&t, 2 * MiB, 0);
	T_ASSERT_EQ_INT(state_of(&t, bo), PANTHOR_GEM_UNRECLAIMABLE);	/* page-less */
	pt_bo_fill(&t, bo, 7);
	T_ASSERT_EQ_INT(state_of(&t, bo), PANTHOR_GEM_UNUSED);

	obj = pt_bo(&t, bo);
	T_ASSERT_OK(panthor_gem_pin(obj));
	T_ASSERT_EQ_INT(state_of(&t, bo), PANTHOR_GEM_UNRECLAIMABLE);	/* pinned */
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 1 << 20, true), 0);
	T_ASSERT(!evicted(&t, bo));
	panthor_gem_unpin(obj);
	T_ASSERT_EQ_INT(state_of(&t, bo), PANTHOR_GEM_UNUSED);

	T_ASSERT_OK(pt_map(&t, vm1, bo, 0, VA_BASE, 2 * MiB));
	T_ASSERT_EQ_INT(state_of(&t, bo), PANTHOR_GEM_GPU_MAPPED_SINGLE_VM);
	T_ASSERT_OK(pt_map(&t, vm2, bo, 0, VA_BASE, 2 * MiB));
	T_ASSERT_EQ_INT(state_of(&t, bo), PANTHOR_GEM_GPU_MAPPED_SHARED);

	/* Non-blocking scans leave GPU-mapped BOs alone. */
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 1 << 20, false), 0);
	T_ASSERT(!evicted(&t, bo));
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 1 << 20, true), 512);
	T_ASSERT(evicted(&t, bo));
	T_ASSERT_EQ_INT(state_of(&t, bo), PANTHOR_GEM_UNRECLAIMABLE);	/* page-less */
	pt_validate(&t, vm1);
	pt_validate(&t, vm2);

	/* A job on vm1 swaps it in and maps it again; vm2's VA follows on its job. */
	pt_expect_word(&t, vm1, VA_BASE + 4096, pt_word(7, 4096));
	T_ASSERT(!evicted(&t, bo));
	/* vm2's vm_bo is still evicted: only vm1 maps it (shrinker.md §1.8). */
	T_ASSERT_EQ_INT(state_of(&t, bo), PANTHOR_GEM_GPU_MAPPED_SINGLE_VM);
	pt_expect_word(&t, vm2, VA_BASE + 2 * MiB - 8, pt_word(7, 2 * MiB - 8));
	T_ASSERT_EQ_INT(state_of(&t, bo), PANTHOR_GEM_GPU_MAPPED_SHARED);
	pt_validate(&t, vm1);
	pt_validate(&t, vm2);

	/*
	 * Unmap hints the BO onto the UNUSED list; a non-blocking scan
	 * re-evaluates it: still mapped in vm1, it goes back untouched.
	 */
	T_ASSERT_OK(pt_unmap(&t, vm2, VA_BASE, 2 * MiB));
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 1 << 20, false), 0);
	T_ASSERT_EQ_INT(state_of(&t, bo), PANTHOR_GEM_GPU_MAPPED_SINGLE_VM);
	T_ASSERT_OK(pt_unmap(&t, vm1, VA_BASE, 2 * MiB));
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 1 << 20, false), 512);
	T_ASSERT(evicted(&t, bo));
	/* CPU access swaps in. */
	T_ASSERT_EQ_U64(cpu_word(&t, bo, 8), pt_word(7, 8));
	T_ASSERT(!evicted(&t, bo));
	T_ASSERT_EQ_INT(state_of(&t, bo), PANTHOR_GEM_UNUSED);

	{
		struct panthor_gem_stats st;

		panthor_gem_get_stats(t.ptdev, &st);
		T_ASSERT_EQ_U64(st.evictions, 2);
		T_ASSERT_EQ_U64(st.restores, 2);
		T_ASSERT_EQ_U64(st.bytes_out, 4 * MiB);
		T_ASSERT_EQ_U64(st.bytes_in, 4 * MiB);
	}
	panthor_gem_put(obj);
	pt_expect_no_violation(&t);
	pt_fini(&t);
}

static const char *fence_name(struct dma_fence *f)
{
	(void)f;
	return "gem-test";
}

static const struct dma_fence_ops fence_ops = {
	.get_driver_name = fence_name,
	.get_timeline_name = fence_name,
};

T_TEST(busy, "gem/reclaim/busy-bo-not-evicted-until-idle")
{
	struct pt_config cfg = { .memory = 64 * MiB, .swap = 64 * MiB };
	struct panthor_gem_object *obj;
	struct dma_fence *f;
	struct pt t;
	uint32_t vm, bo;

	pt_init(&t, &cfg);
	vm = pt_vm_create(&t);
	bo = pt_bo_create(&t, 2 * MiB, 0);
	pt_bo_fill(&t, bo, 5);
	T_ASSERT_OK(pt_map(&t, vm, bo, 0, VA_BASE, 2 * MiB));
	obj = pt_bo(&t, bo);
	f = u_malloc(sizeof(*f));
	T_ASSERT_NOT_NULL(f);
	dma_fence_init(f, &fence_ops, dma_fence_context_alloc(1), 1);
	dma_resv_lock(panthor_gem_resv(obj), NULL);
	T_ASSERT_OK(dma_resv_reserve_fences(panthor_gem_resv(obj), 1));
	dma_resv_add_fence(panthor_gem_resv(obj), f, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(panthor_gem_resv(obj));

	/* GPU work pending: the blocking stage waits (briefly) and gives up. */
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 1 << 20, true), 0);
	T_ASSERT(!evicted(&t, bo));
	dma_fence_signal(f);
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 1 << 20, true), 512);
	T_ASSERT(evicted(&t, bo));
	pt_expect_word(&t, vm, VA_BASE + 8, pt_word(5, 8));
	dma_fence_put(f);
	panthor_gem_put(obj);
	pt_validate(&t, vm);
	pt_expect_no_violation(&t);
	pt_fini(&t);
}

T_TEST(noswap, "gem/reclaim/no-swap-nothing-evicted")
{
	struct pt_config cfg = { .memory = 64 * MiB };
	struct panthor_gem_stats st;
	struct pt t;
	uint32_t bo;

	pt_init(&t, &cfg);
	bo = pt_bo_create(&t, 4 * MiB, 0);
	pt_bo_fill(&t, bo, 3);
	T_ASSERT_EQ_INT(panthor_gem_shrink(t.ptdev, 1 << 20, true), 0);
	T_ASSERT(!evicted(&t, bo));
	panthor_gem_get_stats(t.ptdev, &st);
	T_ASSERT_EQ_U64(st.evictions, 0);
	verify_all(&t, bo, 3);
	pt_fini(&t);
}

/*
 * A job needs every BO of its VM resident (restore brings them all back
 * before it runs), so the working set is spread over VMs of 12 MiB each.
 */
#define NR_BOS 24
#define BO_SIZE (4 * MiB)
#define BOS_PER_VM 3
#define NR_VMS (NR_BOS / BOS_PER_VM)
#define BO_VA(i) (VA_BASE + (uint64_t)((i) % BOS_PER_VM) * BO_SIZE)

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

T_TEST(pressure, "gem/reclaim/pressure-integrity")
{
	struct pt_config cfg = { .memory = 32 * MiB, .swap = 160 * MiB };
	uint32_t bos[NR_BOS], pinned, vms[NR_VMS];
	struct panthor_gem_object *pobj;
	struct panthor_gem_stats st;
	uint64_t seed = 0x1234567;
	struct pt t;

	pt_init(&t, &cfg);
	for (int v = 0; v < NR_VMS; v++)
		vms[v] = pt_vm_create(&t);
	pinned = pt_bo_create(&t, 2 * MiB, 0);
	pt_bo_fill(&t, pinned, 999);
	pobj = pt_bo(&t, pinned);
	T_ASSERT_OK(panthor_gem_pin(pobj));
	for (int i = 0; i < NR_BOS; i++) {
		bos[i] = pt_bo_create(&t, BO_SIZE, 0);
		pt_bo_fill(&t, bos[i], 100 + (uint32_t)i);
		T_ASSERT_OK(pt_map(&t, vms[i / BOS_PER_VM], bos[i], 0, BO_VA(i), BO_SIZE));
	}
	for (int it = 0; it < PT_ITERS(3000); it++) {
		int i = (int)(rnd(&seed) % NR_BOS);
		uint64_t off = (rnd(&seed) % (BO_SIZE / 8)) * 8;

		if (rnd(&seed) % 3)
			pt_expect_word(&t, vms[i / BOS_PER_VM], BO_VA(i) + off,
				       pt_word(100 + (uint32_t)i, off));
		else
			T_ASSERT_EQ_U64(cpu_word(&t, bos[i], off), pt_word(100 + (uint32_t)i, off));
		T_ASSERT(!panthor_gem_is_evicted(pobj));
	}
	for (int i = 0; i < NR_BOS; i++)
		verify_all(&t, bos[i], 100 + (uint32_t)i);
	verify_all(&t, pinned, 999);
	panthor_gem_get_stats(t.ptdev, &st);
	t_note("evictions %" PRIu64 " restores %" PRIu64 " out %" PRIu64 " MiB in %" PRIu64 " MiB",
	       st.evictions, st.restores, st.bytes_out >> 20, st.bytes_in >> 20);
	T_ASSERT_GT_INT(st.evictions, NR_BOS);
	T_ASSERT_GT_INT(st.restores, NR_BOS);
	for (int v = 0; v < NR_VMS; v++)
		pt_validate(&t, vms[v]);
	panthor_gem_unpin(pobj);
	panthor_gem_put(pobj);
	pt_expect_no_violation(&t);
	pt_fini(&t);
}

struct reader {
	struct pt *t;
	const uint32_t *vms;
	const uint32_t *bos;
	uint64_t seed;
	int iters;
	int errors;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;

	for (int it = 0; it < r->iters; it++) {
		int i = (int)(rnd(&r->seed) % NR_BOS);
		uint64_t off = (rnd(&r->seed) % (BO_SIZE / 8)) * 8, got = 0;

		if (pt_read64(r->t, r->vms[i / BOS_PER_VM], BO_VA(i) + off, &got) ||
		    got != pt_word(100 + (uint32_t)i, off))
			r->errors++;
	}
	return NULL;
}

static void *binder_thread(void *arg)
{
	struct reader *r = arg;

	for (int it = 0; it < r->iters / 4; it++) {
		uint64_t va = VA_BASE + 64 * MiB;
		int i = it % NR_BOS;

		/* A second VA of the BO in its own VM (its VM needs it anyway). */
		if (pt_map(r->t, r->vms[i / BOS_PER_VM], r->bos[i], 0, va, BO_SIZE) ||
		    pt_unmap(r->t, r->vms[i / BOS_PER_VM], va, BO_SIZE))
			r->errors++;
	}
	return NULL;
}

T_TEST(concurrent, "gem/reclaim/concurrent-readers-binds")
{
	/* Two concurrent jobs need two VMs resident: a little more room. */
	struct pt_config cfg = { .memory = 40 * MiB, .swap = 160 * MiB };
	struct reader rd[3];
	pthread_t th[3];
	uint32_t bos[NR_BOS], vms[NR_VMS];
	struct pt t;

	pt_init(&t, &cfg);
	for (int v = 0; v < NR_VMS; v++)
		vms[v] = pt_vm_create(&t);
	for (int i = 0; i < NR_BOS; i++) {
		bos[i] = pt_bo_create(&t, BO_SIZE, 0);
		pt_bo_fill(&t, bos[i], 100 + (uint32_t)i);
		T_ASSERT_OK(pt_map(&t, vms[i / BOS_PER_VM], bos[i], 0, BO_VA(i), BO_SIZE));
	}
	for (int k = 0; k < 3; k++) {
		rd[k] = (struct reader){ .t = &t, .vms = vms, .bos = bos, .seed = 77 + (uint64_t)k,
					 .iters = PT_ITERS(800) };
		T_ASSERT_OK(pthread_create(&th[k], NULL, k == 2 ? binder_thread : reader_thread,
					   &rd[k]));
	}
	for (int k = 0; k < 3; k++) {
		T_ASSERT_OK(pthread_join(th[k], NULL));
		T_ASSERT_EQ_INT(rd[k].errors, 0);
	}
	for (int i = 0; i < NR_BOS; i++)
		verify_all(&t, bos[i], 100 + (uint32_t)i);
	{
		struct panthor_gem_stats st;

		panthor_gem_get_stats(t.ptdev, &st);
		t_note("evictions %" PRIu64 " restores %" PRIu64, st.evictions, st.restores);
		T_ASSERT_GT_INT(st.evictions, NR_BOS);
	}
	for (int v = 0; v < NR_VMS; v++)
		pt_validate(&t, vms[v]);
	pt_expect_no_violation(&t);
	pt_fini(&t);
}
