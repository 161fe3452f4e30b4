// SPDX-License-Identifier: MIT
/*
 * DOC: bench suite "uapi" (in-process half)
 *
 *   ioctl_query   pantomime_ioctl(DRM_IOCTL_PANTHOR_DEV_QUERY, MMU_INFO) on
 *                 an open file: request decoding, the table lookup, the
 *                 16-byte argument copied in and out, the 8-byte answer
 *                 copied to the user's pointer, all with the
 *                 fault-recovering copies.
 *
 * Baseline: a plain (not inlined) function making the same three copies
 * with the same u_copy_from_user()/u_copy_to_user() and nothing else, so
 * the ratio is what the ioctl layer adds over the copies any kernel makes.
 * The shim half (shim_ioctl_query, against a real system call) is
 * pantomime-bench-uapi-shim, which must run under LD_PRELOAD.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm.h>

#include "pantomime/pantomime.h"
#include "uapi/drm/panthor_drm.h"
#include "util/u_uaccess.h"

#define ITERS 200000

static struct pantomime_file *file;

static int query_ioctl(void)
{
	struct drm_panthor_mmu_info mi;
	struct drm_panthor_dev_query q = {
		.type = DRM_PANTHOR_DEV_QUERY_MMU_INFO, .size = sizeof(mi),
		.pointer = (uintptr_t)&mi,
	};

	return pantomime_ioctl(file, DRM_IOCTL_PANTHOR_DEV_QUERY, &q);
}

/* The copies of the same query, and nothing else. */
__attribute__((noinline)) static int copies_only(struct drm_panthor_dev_query *uq)
{
	static const struct drm_panthor_mmu_info mi = { .page_size_bitmap = 0x201000 };
	struct drm_panthor_dev_query k;

	if (u_copy_from_user(&k, uq, sizeof(k)))
		return -14;
	if (u_copy_to_user((void *)(uintptr_t)k.pointer, &mi, sizeof(mi)))
		return -14;
	return u_copy_to_user(uq, &k, sizeof(k)) ? -14 : 0;
}

static int query_copies(void)
{
	struct drm_panthor_mmu_info mi;
	struct drm_panthor_dev_query q = {
		.type = DRM_PANTHOR_DEV_QUERY_MMU_INFO, .size = sizeof(mi),
		.pointer = (uintptr_t)&mi,
	};

	return copies_only(&q);
}

static double measure(int (*op)(void))
{
	uint64_t t0 = bench_now_ns();
	int bad = 0;

	for (int i = 0; i < ITERS; i++)
		bad |= op();
	if (bad) {
		fprintf(stderr, "pantomime-bench: uapi: a query failed\n");
		exit(1);
	}
	return (double)(bench_now_ns() - t0) / ITERS;
}

static void bench_uapi(void)
{
	struct pantomime_device *dev;
	struct pantomime_config cfg;
	double best_ioctl = 1e30, best_copies = 1e30;

	pantomime_config_default(&cfg);
	cfg.memory_bytes = 16ull << 20;
	if (pantomime_device_create(&cfg, &dev) || pantomime_file_open(dev, true, &file)) {
		fprintf(stderr, "pantomime-bench: uapi: no device\n");
		exit(1);
	}
	/* Interleaved, so drift and interference hit both alike. */
	for (unsigned int r = 0; r < bench_opts.repeat; r++) {
		best_ioctl = bench_min(best_ioctl, measure(query_ioctl));
		best_copies = bench_min(best_copies, measure(query_copies));
	}
	bench_report("uapi", "ioctl_query", best_ioctl, "ns/op", best_copies);
	pantomime_file_close(file);
	pantomime_device_destroy(dev);
}

BENCH_SUITE(uapi_suite, "uapi", "pantomime_ioctl's trivial query against its bare user copies",
	    bench_uapi)
