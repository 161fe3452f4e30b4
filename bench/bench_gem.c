// SPDX-License-Identifier: MIT
/*
 * DOC: benchmark suite "gem"
 *
 * BO reclaim and CPU faults of BO mappings, each against a same-run
 * baseline; every number is the best of --repeat repetitions.
 *
 *  evict_restore   a working set of 256 MiB (16 BOs of 16 MiB, 2 MiB
 *                  chunks): one shrinker scan evicts it all to swap, then
 *                  each BO is swapped back in (panthor_gem_pin()). Value:
 *                  MiB moved per second, both directions counted (512 MiB
 *                  per round); baseline: memcpy() of 256 MiB between two
 *                  resident buffers, MiB/s. Here ratio = value / baseline
 *                  and HIGHER is better; the project's goal is >= 0.5.
 *  fault_resident  a resident 64 MiB BO mapped through userfaultfd, one
 *                  read per 64 KiB (as the cpumap suite: every touch of
 *                  the native baseline is a fault). The first touch of a
 *                  2 MiB chunk makes the handler map the whole chunk, later
 *                  touches are ordinary faults. ns per touch; baseline: the
 *                  same touches on a fresh native MAP_SHARED mapping of the
 *                  arena memfd. Goal: <= 10x.
 *  fault_evicted   the same BO evicted first: the first touch swaps the BO
 *                  in (blocking phase of the handler). ns per touch, same
 *                  baseline.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/mm.h"
#include "mm/mm_cpumap.h"
#include "panthor/panthor_device.h"
#include "panthor/panthor_gem.h"
#include "util/u_err.h"

#define SUITE "gem"
#define NR_BOS 16
#define BO_SIZE (16ull << 20)
#define SET_SIZE (NR_BOS * BO_SIZE)
#define FAULT_BO (64ull << 20)
#define STRIDE 16ull		/* pages between touches (the kernel's fault-around window) */

static void die(const char *what, long err)
{
	fprintf(stderr, "pantomime-bench: gem: %s: %ld\n", what, err);
	exit(1);
}

static struct panthor_device *device(uint64_t memory, uint64_t swap)
{
	struct panthor_device_config cfg = { .memory_bytes = memory, .swap_bytes = swap };
	struct panthor_device *ptdev = panthor_device_create(&cfg);

	if (IS_ERR(ptdev))
		die("panthor_device_create", PTR_ERR(ptdev));
	return ptdev;
}

static double memcpy_mibs(void)
{
	uint8_t *a = malloc(SET_SIZE), *b = malloc(SET_SIZE);
	double best = 1e30;

	if (!a || !b)
		die("malloc", -ENOMEM);
	memset(a, 1, SET_SIZE);
	memset(b, 2, SET_SIZE);
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++) {
		uint64_t t0 = bench_now_ns();

		memcpy(b, a, SET_SIZE);
		best = bench_min(best, (double)(bench_now_ns() - t0));
		a[rep % SET_SIZE] ^= b[(rep * 4096) % SET_SIZE];
	}
	free(a);
	free(b);
	return (double)(SET_SIZE >> 20) / (best / 1e9);
}

static void run_evict_restore(void)
{
	struct panthor_device *ptdev = device(SET_SIZE + (64ull << 20), SET_SIZE + (16ull << 20));
	struct panthor_gem_object *bos[NR_BOS];
	double best = 1e30;

	for (int i = 0; i < NR_BOS; i++) {
		bos[i] = panthor_gem_create(ptdev, BO_SIZE, 0, NULL, 0);
		if (IS_ERR(bos[i]))
			die("panthor_gem_create", PTR_ERR(bos[i]));
		if (panthor_gem_pin(bos[i]))
			die("panthor_gem_pin", -ENOMEM);
		panthor_gem_unpin(bos[i]);
	}
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++) {
		uint64_t t0 = bench_now_ns();
		unsigned long freed = panthor_gem_shrink(ptdev, SET_SIZE / 4096, false);

		if (freed != SET_SIZE / 4096)
			die("evict: pages freed", (long)freed);
		for (int i = 0; i < NR_BOS; i++) {
			if (panthor_gem_pin(bos[i]))
				die("restore", -ENOMEM);
			panthor_gem_unpin(bos[i]);
		}
		best = bench_min(best, (double)(bench_now_ns() - t0));
	}
	bench_report(SUITE, "evict_restore", (double)(2 * (SET_SIZE >> 20)) / (best / 1e9), "MiB/s",
		     memcpy_mibs());
	for (int i = 0; i < NR_BOS; i++)
		panthor_gem_put(bos[i]);
	panthor_device_destroy(ptdev);
}

static __attribute__((noinline)) uint64_t touch(const uint8_t *p, uint64_t bytes)
{
	uint64_t sum = 0;

	for (uint64_t off = 0; off < bytes; off += STRIDE * 4096)
		sum += *(const volatile uint64_t *)(p + off);
	return sum;
}

static void run_faults(void)
{
	struct panthor_device *ptdev = device(FAULT_BO + (64ull << 20), FAULT_BO + (16ull << 20));
	double native = 1e30, resident = 1e30, evicted = 1e30;
	const uint64_t touches = FAULT_BO / (STRIDE * 4096);
	struct panthor_gem_object *bo;
	volatile uint64_t sink = 0;

	if (!mm_cpumap_uffd_available()) {
		fprintf(stderr, "pantomime-bench: gem: userfaultfd unavailable, faults skipped\n");
		panthor_device_destroy(ptdev);
		return;
	}
	bo = panthor_gem_create(ptdev, FAULT_BO, 0, NULL, 0);
	if (IS_ERR(bo) || panthor_gem_pin(bo))
		die("BO", -ENOMEM);
	panthor_gem_unpin(bo);
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++) {
		struct panthor_gem_cpumap *m;
		uint8_t *native_map[FAULT_BO / (2ull << 20)];
		uint64_t t0;

		/* Baseline: the BO's own chunks, mapped natively from the memfd. */
		for (uint32_t c = 0; c < bo->backing.nr_chunks; c++) {
			native_map[c] = mmap(NULL, 2ull << 20, PROT_READ, MAP_SHARED, mm_arena_fd(),
					     (off_t)(bo->backing.chunks[c].pa - MM_PA_BASE));
			if (native_map[c] == MAP_FAILED)
				die("mmap", -errno);
		}
		t0 = bench_now_ns();
		for (uint32_t c = 0; c < bo->backing.nr_chunks; c++)
			sink += touch(native_map[c], 2ull << 20);
		native = bench_min(native, (double)(bench_now_ns() - t0) / (double)touches);
		for (uint32_t c = 0; c < bo->backing.nr_chunks; c++)
			munmap(native_map[c], 2ull << 20);

		if (panthor_gem_mmap(bo, 0, FAULT_BO, PROT_READ, &m))
			die("panthor_gem_mmap", -ENOMEM);
		t0 = bench_now_ns();
		sink += touch(panthor_gem_cpumap_addr(m), FAULT_BO);
		resident = bench_min(resident, (double)(bench_now_ns() - t0) / (double)touches);

		if (panthor_gem_shrink(ptdev, FAULT_BO / 4096, false) != FAULT_BO / 4096)
			die("evict", -EBUSY);
		t0 = bench_now_ns();
		sink += touch(panthor_gem_cpumap_addr(m), FAULT_BO);
		evicted = bench_min(evicted, (double)(bench_now_ns() - t0) / (double)touches);
		panthor_gem_munmap(m);
	}
	(void)sink;
	bench_report(SUITE, "fault_resident", resident, "ns/touch", native);
	bench_report(SUITE, "fault_evicted", evicted, "ns/touch", native);
	panthor_gem_put(bo);
	panthor_device_destroy(ptdev);
}

static void run_gem(void)
{
	run_evict_restore();
	run_faults();
}

BENCH_SUITE(gem_suite, SUITE, "BO evict+restore throughput and CPU fault latency", run_gem)
