// SPDX-License-Identifier: MIT
/*
 * DOC: benchmark suite "vm"
 *
 * VM_BIND through the driver (panthor_vm_bind(), synchronous unless said
 * otherwise, default G610-like model device: not IO-coherent, so every
 * page-table batch is cleaned to the device and seen by the checker, which
 * stays on). Every number is the best of --repeat repetitions.
 *
 *  bind_map_unmap_4k        pairs of (MAP 4 KiB of a BO, UNMAP it) at random
 *                           pages of a 4 GiB span of a VM that has no address
 *                           space, so each pair also allocates and frees the
 *                           three tables below the root. ns per pair.
 *                           Baseline: the bare page-table pair the bind
 *                           performs, pgtable_map_pages() + pgtable_unmap_pages()
 *                           at the same pages of a pgtable configured as the
 *                           VM's (same sync callback into the model), tables
 *                           from a pre-zeroed stack as the driver's pool does.
 *  bind_map_unmap_4k_bound  the same with the VM active on an AS (a job held
 *                           open around the loop), the model's command time
 *                           at its default (2 µs per AS command, 4 µs per
 *                           cache flush): each op adds LOCK, a GPU cache
 *                           flush and UNLOCK. Same baseline.
 *  map_sparse_1g            MAP_SPARSE of a 2 MiB-aligned 1 GiB range on a
 *                           device with a 4 GiB budget (the range is unmapped
 *                           again outside the timing). Baseline: MAP of an
 *                           ordinary 1 GiB BO (backing allocated beforehand)
 *                           at the same place. ns per op.
 *  replace_2m_in_sparse     inside a 1 GiB sparse range of a VM without an
 *                           AS: MAP a 2 MiB BO over a random 2 MiB slot, then
 *                           MAP_SPARSE the slot back. ns per op (two ops per
 *                           replacement round trip). Baseline: the bare
 *                           page-table work of one such op, unmapping one 2
 *                           MiB block and mapping another.
 *  replace_stall            the same round trips on a bound VM while a
 *                           thread reads the whole resource, page after page,
 *                           through the access port in jobs: total time the
 *                           reader spent stalled on locked regions, divided
 *                           by the number of ops, averaged over the
 *                           repetitions (not the best: it is an effect on
 *                           others). Baseline: the mean duration of one op
 *                           on the bound VM, so the ratio is the share of an
 *                           op during which the reader waits. One reader:
 *                           with two, the readers (which never sleep) and the
 *                           binder share two cores and the op time measures
 *                           the scheduler.
 *  replace_stall_max        the longest single stall any reader saw over all
 *                           repetitions (the model keeps one maximum per AS);
 *                           same baseline. On a 2-core machine this is mostly
 *                           the binder thread being descheduled while it
 *                           holds a region locked.
 */
#include "bench.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/mm.h"
#include "panthor/panthor_device.h"
#include "panthor/panthor_file.h"
#include "panthor/panthor_gem.h"
#include "panthor/panthor_mmu.h"
#include "pgtable/pgtable.h"
#include "uapi/drm/panthor_drm.h"
#include "util/u_compiler.h"
#include "util/u_err.h"

#define SUITE "vm"

#define MAP_FLAGS    ((uint32_t)DRM_PANTHOR_VM_BIND_OP_TYPE_MAP)
#define UNMAP_FLAGS  ((uint32_t)DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP)
#define SPARSE_FLAGS ((uint32_t)(DRM_PANTHOR_VM_BIND_OP_TYPE_MAP | \
				 DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE | DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC))

#define SPAN_BASE  (64ull << 30)
#define SPAN       (4ull << 30)
#define PAIRS      20000u
#define PAIRS_BOUND 2000u
#define SPARSE_VA  (1ull << 30)
#define ROUNDS     1000u
#define NR_STALL_READERS 1

static void die(const char *what, long err)
{
	fprintf(stderr, "pantomime-bench: vm: %s failed (%ld)\n", what, err);
	exit(1);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

struct bdev {
	struct panthor_device *ptdev;
	struct panthor_file *pfile;
	uint32_t vm;
};

static void bdev_init(struct bdev *d, uint64_t memory)
{
	struct panthor_device_config cfg = { .memory_bytes = memory };
	struct panthor_vm_create_args args = { 0 };
	int ret;

	d->ptdev = panthor_device_create(&cfg);
	if (IS_ERR(d->ptdev))
		die("panthor_device_create", PTR_ERR(d->ptdev));
	d->pfile = panthor_file_open(d->ptdev);
	if (IS_ERR(d->pfile))
		die("panthor_file_open", PTR_ERR(d->pfile));
	ret = panthor_vm_pool_create_vm(d->ptdev, &d->pfile->vms, &args);
	if (ret < 0)
		die("VM_CREATE", ret);
	d->vm = (uint32_t)ret;
}

static void bdev_fini(struct bdev *d)
{
	panthor_file_close(d->pfile);
	panthor_device_destroy(d->ptdev);
}

static uint32_t bdev_bo(struct bdev *d, uint64_t size)
{
	struct panthor_gem_object *bo;
	uint32_t handle;
	int ret = panthor_file_bo_create(d->pfile, &size, 0, 0, &handle);

	if (ret)
		die("BO_CREATE", ret);
	/* Backing allocated now, outside every timing. */
	bo = panthor_file_bo_lookup(d->pfile, handle);
	if (panthor_gem_pin(bo))
		die("pin", -ENOMEM);
	panthor_gem_unpin(bo);
	panthor_gem_put(bo);
	return handle;
}

static void op(struct bdev *d, uint32_t flags, uint32_t bo, uint64_t va, uint64_t size)
{
	struct panthor_vm_bind_op_args a = { .flags = flags, .bo_handle = bo, .va = va, .size = size };
	uint32_t count = 1;
	int ret = panthor_vm_bind(d->pfile, d->vm, 0, &a, &count);

	if (ret)
		die("VM_BIND", ret);
}

/* ---- the bare page-table baseline --------------------------------------------- */

struct bare_pt {
	struct panthor_device *ptdev;
	phys_addr_t stack[64];
	unsigned int n;
	struct pgtable *pt;
};

static int bare_alloc(void *cookie, phys_addr_t *pa)
{
	struct bare_pt *b = cookie;

	if (b->n) {
		*pa = b->stack[--b->n];
		return 0;
	}
	return mm_alloc_pages(b->ptdev->budget, 0, MM_GFP_ZERO | MM_GFP_NORECLAIM,
			      MM_OWNER_PGTABLE, 0, pa);
}

static void bare_free(void *cookie, phys_addr_t pa)
{
	struct bare_pt *b = cookie;

	/* As the driver's pool: an empty table is all zero (pgtable.h). */
	if (__atomic_load_n(&mm_frame(pa)->priv, __ATOMIC_RELAXED) || b->n == ARRAY_SIZE(b->stack)) {
		mm_free_pages(b->ptdev->budget, pa, 0);
		return;
	}
	b->stack[b->n++] = pa;
}

static void bare_sync(void *cookie, phys_addr_t pa, size_t bytes)
{
	struct bare_pt *b = cookie;

	hw_dma_sync_for_device(b->ptdev->hw, pa, bytes);
}

static const struct pgtable_ops bare_ops = {
	.alloc_table = bare_alloc,
	.free_table = bare_free,
	.sync = bare_sync,
};

static void bare_init(struct bare_pt *b, struct panthor_device *ptdev)
{
	struct pgtable_cfg cfg = {
		.ias = ptdev->va_bits,
		.oas = ptdev->pa_bits,
		.pgsize_bitmap = PGTABLE_PGSIZE_4K_2M,
		.coherent_walk = ptdev->coherent,
		.ops = &bare_ops,
		.cookie = b,
	};

	b->ptdev = ptdev;
	b->n = 0;
	b->pt = pgtable_create(&cfg);
	if (IS_ERR(b->pt))
		die("pgtable_create", PTR_ERR(b->pt));
}

static void bare_fini(struct bare_pt *b)
{
	pgtable_destroy(b->pt);
	while (b->n)
		mm_free_pages(b->ptdev->budget, b->stack[--b->n], 0);
}

#define BARE_PROT (PGTABLE_PROT_READ | PGTABLE_PROT_WRITE | PGTABLE_PROT_CACHE)

static __attribute__((noinline)) double bare_pairs_4k(struct bare_pt *b, phys_addr_t pa,
						      const uint64_t *vas, unsigned int n)
{
	uint64_t t0 = bench_now_ns();

	for (unsigned int i = 0; i < n; i++) {
		uint64_t mapped = 0;
		int ret = pgtable_map_pages(b->pt, vas[i], pa, SZ_4K, 1, BARE_PROT, &mapped);

		if (unlikely(ret))
			die("map_pages", ret);
		if (unlikely(pgtable_unmap_pages(b->pt, vas[i], SZ_4K, 1) != SZ_4K))
			die("unmap_pages", 0);
	}
	return (double)(bench_now_ns() - t0) / n;
}

/* One op of a 2 MiB replacement: unmap a block, map another there. */
static __attribute__((noinline)) double bare_replace_2m(struct bare_pt *b, phys_addr_t pa_a,
							phys_addr_t pa_b, const uint64_t *vas,
							unsigned int n)
{
	uint64_t t0, mapped = 0;

	for (unsigned int i = 0; i < 512; i++)
		if (pgtable_map_pages(b->pt, SPARSE_VA + i * SZ_2M, pa_a, SZ_2M, 1, BARE_PROT, &mapped))
			die("map_pages", 0);
	t0 = bench_now_ns();
	for (unsigned int i = 0; i < n; i++) {
		if (pgtable_unmap_pages(b->pt, vas[i], SZ_2M, 1) != SZ_2M)
			die("unmap_pages", 0);
		if (pgtable_map_pages(b->pt, vas[i], (i & 1) ? pa_a : pa_b, SZ_2M, 1, BARE_PROT, &mapped))
			die("map_pages", 0);
	}
	return (double)(bench_now_ns() - t0) / n;
}

/* ---- binds ------------------------------------------------------------------------ */

static __attribute__((noinline)) double bind_pairs_4k(struct bdev *d, uint32_t bo,
						      const uint64_t *vas, unsigned int n)
{
	uint64_t t0 = bench_now_ns();

	for (unsigned int i = 0; i < n; i++) {
		op(d, MAP_FLAGS, bo, vas[i], SZ_4K);
		op(d, UNMAP_FLAGS, 0, vas[i], SZ_4K);
	}
	return (double)(bench_now_ns() - t0) / n;
}

static void bench_map_unmap_4k(void)
{
	static uint64_t vas[PAIRS];
	double bind = 1e18, bound = 1e18, bare = 1e18;
	struct panthor_vm *vm;
	struct bare_pt b;
	struct bdev d;
	uint32_t bo;
	phys_addr_t pa;

	bdev_init(&d, 0);
	bo = bdev_bo(&d, SZ_4K);
	{
		struct panthor_gem_object *obj = panthor_file_bo_lookup(d.pfile, bo);

		pa = panthor_gem_offset_to_pa(obj, 0);
		panthor_gem_put(obj);
	}
	for (unsigned int i = 0; i < PAIRS; i++)
		vas[i] = SPAN_BASE + (bench_rng(&rng_state) % (SPAN / SZ_4K)) * SZ_4K;
	bare_init(&b, d.ptdev);
	vm = panthor_vm_pool_get_vm(&d.pfile->vms, d.vm);

	for (unsigned int r = 0; r < bench_opts.repeat; r++) {
		bare = bench_min(bare, bare_pairs_4k(&b, pa, vas, PAIRS));
		bind = bench_min(bind, bind_pairs_4k(&d, bo, vas, PAIRS));
	}
	bench_report(SUITE, "bind_map_unmap_4k", bind, "ns/pair", bare);

	if (panthor_vm_job_begin(vm) < 0)
		die("job_begin", 0);
	for (unsigned int r = 0; r < bench_opts.repeat; r++)
		bound = bench_min(bound, bind_pairs_4k(&d, bo, vas, PAIRS_BOUND));
	panthor_vm_job_end(vm);
	bench_report(SUITE, "bind_map_unmap_4k_bound", bound, "ns/pair", bare);

	panthor_vm_put(vm);
	bare_fini(&b);
	bdev_fini(&d);
}

static void bench_map_sparse_1g(void)
{
	double sparse = 1e18, plain = 1e18;
	struct bdev d;
	uint32_t bo;

	bdev_init(&d, 4ull << 30);
	bo = bdev_bo(&d, SZ_1G);
	/* First sparse map allocates the dummy's backing: not what we measure. */
	op(&d, SPARSE_FLAGS, 0, SPARSE_VA, SZ_2M);
	op(&d, UNMAP_FLAGS, 0, SPARSE_VA, SZ_2M);

	for (unsigned int r = 0; r < bench_opts.repeat; r++) {
		uint64_t t0 = bench_now_ns();

		op(&d, MAP_FLAGS, bo, SPARSE_VA, SZ_1G);
		plain = bench_min(plain, (double)(bench_now_ns() - t0));
		op(&d, UNMAP_FLAGS, 0, SPARSE_VA, SZ_1G);

		t0 = bench_now_ns();
		op(&d, SPARSE_FLAGS, 0, SPARSE_VA, SZ_1G);
		sparse = bench_min(sparse, (double)(bench_now_ns() - t0));
		op(&d, UNMAP_FLAGS, 0, SPARSE_VA, SZ_1G);
	}
	bench_report(SUITE, "map_sparse_1g", sparse, "ns/op", plain);
	bdev_fini(&d);
}

static __attribute__((noinline)) double replace_rounds(struct bdev *d, uint32_t bo,
						       const uint64_t *vas, unsigned int n)
{
	uint64_t t0 = bench_now_ns();

	for (unsigned int i = 0; i < n; i++) {
		op(d, MAP_FLAGS, bo, vas[i], SZ_2M);
		op(d, SPARSE_FLAGS, 0, vas[i], SZ_2M);
	}
	return (double)(bench_now_ns() - t0) / (2.0 * n);
}

struct stall_reader {
	pthread_t thread;
	struct bdev *d;
	struct panthor_vm *vm;
	bool stop;
};

static void *stall_reader_main(void *arg)
{
	struct stall_reader *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		int as = panthor_vm_job_begin(r->vm);

		if (as < 0)
			die("job_begin", as);
		for (uint64_t off = 0; off < SZ_1G; off += SZ_4K) {
			uint64_t v;

			if (hw_read64(r->d->ptdev->hw, (unsigned int)as, SPARSE_VA + off, &v, NULL))
				die("GPU read", 0);
			if ((off & (SZ_2M - 1)) == 0 && __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
				break;
		}
		panthor_vm_job_end(r->vm);
	}
	return NULL;
}

static void bench_replace(void)
{
	static uint64_t vas[ROUNDS];
	double rep = 1e18, bare = 1e18, stall = 0, stall_max = 0, op_ns = 0;
	struct stall_reader readers[NR_STALL_READERS];
	struct panthor_vm *vm;
	struct bare_pt b;
	struct bdev d;
	uint32_t bo;
	phys_addr_t pa_a, pa_b;

	bdev_init(&d, 4ull << 30);
	bo = bdev_bo(&d, SZ_2M);
	op(&d, SPARSE_FLAGS, 0, SPARSE_VA, SZ_1G);
	for (unsigned int i = 0; i < ROUNDS; i++)
		vas[i] = SPARSE_VA + (bench_rng(&rng_state) % 512) * SZ_2M;
	{
		struct panthor_gem_object *obj = panthor_file_bo_lookup(d.pfile, bo);

		pa_a = panthor_gem_offset_to_pa(obj, 0);
		panthor_gem_put(obj);
		obj = d.pfile->dummy;
		pa_b = panthor_gem_offset_to_pa(obj, 0);
	}
	bare_init(&b, d.ptdev);
	for (unsigned int r = 0; r < bench_opts.repeat; r++) {
		rep = bench_min(rep, replace_rounds(&d, bo, vas, ROUNDS));
		bare = bench_min(bare, bare_replace_2m(&b, pa_a, pa_b, vas, ROUNDS));
		pgtable_unmap_pages(b.pt, SPARSE_VA, SZ_2M, 512);
	}
	bench_report(SUITE, "replace_2m_in_sparse", rep, "ns/op", bare);

	vm = panthor_vm_pool_get_vm(&d.pfile->vms, d.vm);
	for (unsigned int r = 0; r < bench_opts.repeat; r++) {
		struct hw_as_stats st0, st1;
		double t;
		int as;

		for (unsigned int i = 0; i < NR_STALL_READERS; i++) {
			readers[i] = (struct stall_reader){ .d = &d, .vm = vm };
			if (pthread_create(&readers[i].thread, NULL, stall_reader_main, &readers[i]))
				die("pthread_create", 0);
		}
		while ((as = panthor_vm_as(vm)) < 0)
			sched_yield();
		hw_as_stats(d.ptdev->hw, (unsigned int)as, &st0);
		t = replace_rounds(&d, bo, vas, ROUNDS / 4);
		hw_as_stats(d.ptdev->hw, (unsigned int)as, &st1);
		for (unsigned int i = 0; i < NR_STALL_READERS; i++) {
			__atomic_store_n(&readers[i].stop, true, __ATOMIC_RELEASE);
			pthread_join(readers[i].thread, NULL);
		}
		/* Stalls are an effect on others, not a cost to minimise: the mean of the runs. */
		op_ns += t / bench_opts.repeat;
		stall += (double)(st1.stall_ns - st0.stall_ns) / (2.0 * (ROUNDS / 4)) / bench_opts.repeat;
		stall_max = (double)st1.max_stall_ns;
	}
	bench_report(SUITE, "replace_stall", stall, "ns/op", op_ns);
	bench_report(SUITE, "replace_stall_max", stall_max, "ns", op_ns);

	panthor_vm_put(vm);
	bare_fini(&b);
	bdev_fini(&d);
}

static void bench_vm_run(void)
{
	bench_map_unmap_4k();
	bench_map_sparse_1g();
	bench_replace();
}

BENCH_SUITE(vm_suite, "vm", "VM_BIND: 4 KiB map/unmap, sparse maps, 2 MiB replacements, stalls",
	    bench_vm_run)
