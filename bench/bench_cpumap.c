// SPDX-License-Identifier: MIT
/*
 * DOC: benchmark suite "cpumap"
 *
 * The cost of a CPU fault on a userfaultfd-backed mapping (src/mm/mm_cpumap)
 * whose frames are resident, against the kernel's own first-touch fault on
 * a plain MAP_SHARED mapping of the same memfd, measured in the same run.
 * The owner answers every fault from its non-blocking path (no allocation,
 * no lock contention): what is left is the mechanism. Each touch is a read
 * of one word; every number is the best of --repeat repetitions.
 *
 *  native_fault     baseline: a fresh MAP_SHARED mapping of 64 MiB of
 *                   resident arena frames, one page touched per 64 KiB (the
 *                   kernel's fault-around maps 16 pages per fault, so every
 *                   touch is a fault). ns per fault.
 *  fault_resident   the same touches on a cpumap whose owner returns runs of
 *                   one page (frames not contiguous): one userfaultfd round
 *                   trip and one mmap per touch. ns per fault.
 *  fault_after_zap  the same mapping after mm_cpumap_zap() (frames still
 *                   resident): the MINOR-fault path. ns per fault.
 *  native_seq       baseline: every page of a fresh native mapping, in
 *                   order. ns per page.
 *  seq_run512       every page of a cpumap whose owner returns 2 MiB runs:
 *                   one userfaultfd fault per run, ordinary faults within.
 *                   ns per page.
 *
 * The project's goal: fault_resident within 10x native_fault.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "mm/mm.h"
#include "mm/mm_cpumap.h"
#include "util/u_err.h"

#define SUITE "cpumap"
#define NPAGES 16384ull		/* 64 MiB */
#define STRIDE 16ull		/* one touch per fault-around window */
#define RUN 512ull

struct bench_owner {
	phys_addr_t *pa;	/* per page */
	uint64_t run;		/* pages per run returned */
};

static int bench_fault(void *cookie, uint64_t idx, bool may_block, struct mm_cpumap_run *run)
{
	struct bench_owner *o = cookie;
	uint64_t first = idx - idx % o->run;

	*run = (struct mm_cpumap_run){ .first = first, .npages = o->run, .pa = o->pa[first] };
	return 0;
}

static const struct mm_cpumap_ops bench_ops = { .fault = bench_fault };

static void die(const char *what, long err)
{
	fprintf(stderr, "pantomime-bench: %s: %ld\n", what, err);
	exit(1);
}

static double per(uint64_t ns, uint64_t n)
{
	return (double)ns / (double)n;
}

static __attribute__((noinline)) uint64_t touch(const uint8_t *p, uint64_t npages, uint64_t stride)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < npages; i += stride)
		sum += *(const volatile uint64_t *)(p + i * MM_PAGE_SIZE);
	return sum;
}

/* The baseline: each 2 MiB block of frames mapped on its own from the memfd. */
static void native_map(uint8_t **native, const phys_addr_t *blocks)
{
	for (uint64_t k = 0; k < NPAGES / RUN; k++) {
		native[k] = mmap(NULL, RUN * MM_PAGE_SIZE, PROT_READ, MAP_SHARED, mm_arena_fd(),
				 (off_t)(blocks[k] - MM_PA_BASE));
		if (native[k] == MAP_FAILED)
			die("mmap", -errno);
	}
}

static void native_unmap(uint8_t **native)
{
	for (uint64_t k = 0; k < NPAGES / RUN; k++)
		munmap(native[k], RUN * MM_PAGE_SIZE);
}

static __attribute__((noinline)) uint64_t touch_native(uint8_t **native, uint64_t stride)
{
	uint64_t sum = 0;

	for (uint64_t k = 0; k < NPAGES / RUN; k++)
		sum += touch(native[k], RUN, stride);
	return sum;
}

static struct mm_cpumap *cpumap_or_die(struct bench_owner *o)
{
	struct mm_cpumap *map;
	int ret = mm_cpumap_create(NPAGES * MM_PAGE_SIZE, PROT_READ, &bench_ops, o, &map);

	if (ret)
		die("mm_cpumap_create", ret);
	return map;
}

static void run_cpumap(void)
{
	struct { double native, resident, after_zap, native_seq, seq; } r = {
		1e30, 1e30, 1e30, 1e30, 1e30 };
	struct bench_owner scattered = { .run = 1 }, contiguous = { .run = RUN };
	phys_addr_t blocks[NPAGES / RUN];
	uint8_t *native[NPAGES / RUN];
	volatile uint64_t sink = 0;
	struct mm_budget *b;

	if (!mm_cpumap_uffd_available()) {
		fprintf(stderr, "pantomime-bench: cpumap: userfaultfd unavailable, suite skipped\n");
		return;
	}
	b = mm_budget_create(&(struct mm_budget_config){
		.name = "bench-cpumap", .limit_bytes = 128ull << 20,
		.no_background_reclaim = true,
	});
	if (IS_ERR(b))
		die("mm_budget_create", PTR_ERR(b));
	scattered.pa = malloc(NPAGES * sizeof(phys_addr_t));
	contiguous.pa = malloc(NPAGES * sizeof(phys_addr_t));
	if (!scattered.pa || !contiguous.pa)
		die("malloc", -ENOMEM);
	for (uint64_t k = 0; k < NPAGES / RUN; k++) {
		int ret = mm_alloc_pages(b, 9, MM_GFP_ZERO, MM_OWNER_BO, 1, &blocks[k]);

		if (ret)
			die("mm_alloc_pages", ret);
	}
	/* Same frames; the scattered owner pairs page i with frame NPAGES-1-i. */
	for (uint64_t i = 0; i < NPAGES; i++) {
		contiguous.pa[i] = blocks[i / RUN] + (i % RUN) * MM_PAGE_SIZE;
		scattered.pa[NPAGES - 1 - i] = contiguous.pa[i];
	}

#define TIMED(field, count, stmt) do {                                         \
		uint64_t t0_ = bench_now_ns();                                 \
		stmt;                                                          \
		r.field = bench_min(r.field, per(bench_now_ns() - t0_, (count)));\
	} while (0)

	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++) {
		native_map(native, blocks);
		TIMED(native, NPAGES / STRIDE, sink += touch_native(native, STRIDE));
		native_unmap(native);
		native_map(native, blocks);
		TIMED(native_seq, NPAGES, sink += touch_native(native, 1));
		native_unmap(native);
	}
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++) {
		struct mm_cpumap *map = cpumap_or_die(&scattered);

		TIMED(resident, NPAGES / STRIDE, sink += touch(mm_cpumap_addr(map), NPAGES, STRIDE));
		mm_cpumap_zap(map);
		TIMED(after_zap, NPAGES / STRIDE, sink += touch(mm_cpumap_addr(map), NPAGES, STRIDE));
		mm_cpumap_destroy(map);

		map = cpumap_or_die(&contiguous);
		TIMED(seq, NPAGES, sink += touch(mm_cpumap_addr(map), NPAGES, 1));
		mm_cpumap_destroy(map);
	}
#undef TIMED
	(void)sink;

	bench_report(SUITE, "fault_resident", r.resident, "ns/fault", r.native);
	bench_report(SUITE, "fault_after_zap", r.after_zap, "ns/fault", r.native);
	bench_report(SUITE, "seq_run512", r.seq, "ns/page", r.native_seq);

	for (uint64_t k = 0; k < NPAGES / RUN; k++)
		mm_free_pages(b, blocks[k], 9);
	free(scattered.pa);
	free(contiguous.pa);
	mm_budget_destroy(b);
}

BENCH_SUITE(cpumap_suite, SUITE, "CPU faults on userfaultfd-backed mappings vs native", run_cpumap)
