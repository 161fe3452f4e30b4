// SPDX-License-Identifier: MIT
/*
 * DOC: bench suite "uapi" (shim half)
 *
 * What a program pays for a trivial query of the device through the shim
 * (libpantomime-shim.so, the real driver behind it) against the kernel's
 * cheapest ioctl, in the same run. Built as its own executable,
 * pantomime-bench-uapi-shim, to run under LD_PRELOAD=libpantomime-shim.so
 * (`meson test --benchmark` does that; the preload would distort the other
 * suites):
 *
 *   shim_ioctl_query        ioctl(DRM_IOCTL_PANTHOR_DEV_QUERY, MMU_INFO) on
 *                           /dev/dri/renderD128: the interposer, the fd
 *                           lookup, the driver's copies in and out with the
 *                           fault-recovering copies, errno convention
 *   shim_ioctl_version      DRM_IOCTL_VERSION with zero lengths on
 *                           /dev/dri/card0 (drmGetVersion's first call)
 *   shim_ioctl_passthrough  ioctl() on /dev/null through the shim: ENOTTY
 *                           from the kernel (what every non-device ioctl pays)
 *
 * Baseline: syscall(SYS_ioctl) on /dev/null returning ENOTTY, one real
 * ioctl round trip with no libc or shim in the way. Goal: ratio <= 1 for
 * shim_ioctl_query (a program must not tell pantomime from a kernel driver
 * by its speed). The numbers are the best of --repeat runs of 200000
 * calls each.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <drm.h>

#include "uapi/drm/panthor_drm.h"

#define ITERS 200000

enum { OP_QUERY, OP_VERSION, OP_PASS, OP_RAW, NR_OPS };

static int shim_fd, render_fd, null_fd;

static int run_op(int op)
{
	switch (op) {
	case OP_VERSION: {
		struct drm_version v;

		memset(&v, 0, sizeof(v));
		return ioctl(shim_fd, DRM_IOCTL_VERSION, &v);
	}
	case OP_QUERY: {
		struct drm_panthor_mmu_info mi;
		struct drm_panthor_dev_query q = {
			.type = DRM_PANTHOR_DEV_QUERY_MMU_INFO, .size = sizeof(mi),
			.pointer = (uintptr_t)&mi,
		};

		return ioctl(render_fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q);
	}
	case OP_PASS: {
		struct drm_version v;

		memset(&v, 0, sizeof(v));
		return ioctl(null_fd, DRM_IOCTL_VERSION, &v) == -1 && errno == ENOTTY ? 0 : -1;
	}
	default: {
		struct drm_version v;

		memset(&v, 0, sizeof(v));
		return syscall(SYS_ioctl, null_fd, DRM_IOCTL_VERSION, &v) == -1 &&
		       errno == ENOTTY ? 0 : -1;
	}
	}
}

static double measure(int op)
{
	uint64_t t0 = bench_now_ns();
	int bad = 0;

	for (int i = 0; i < ITERS; i++)
		bad |= run_op(op);
	if (bad) {
		fprintf(stderr, "pantomime-bench-uapi-shim: operation %d failed\n", op);
		exit(1);
	}
	return (double)(bench_now_ns() - t0) / ITERS;
}

static void bench_shim(void)
{
	static const char *const names[] = { "shim_ioctl_query", "shim_ioctl_version",
					     "shim_ioctl_passthrough", "raw_syscall" };
	double best[NR_OPS];

	shim_fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	render_fd = open("/dev/dri/renderD128", O_RDWR | O_CLOEXEC);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (shim_fd < 0 || render_fd < 0 || null_fd < 0 || run_op(OP_VERSION) ||
	    run_op(OP_QUERY)) {
		fprintf(stderr, "pantomime-bench-uapi-shim: no shim device (run with "
			"LD_PRELOAD=libpantomime-shim.so)\n");
		exit(77);
	}
	for (int op = 0; op < NR_OPS; op++)
		best[op] = 1e30;
	/* Interleaved, so drift and interference hit every operation alike. */
	for (unsigned int r = 0; r < bench_opts.repeat; r++)
		for (int op = 0; op < NR_OPS; op++)
			best[op] = bench_min(best[op], measure(op));
	for (int op = 0; op < OP_RAW; op++)
		bench_report("uapi", names[op], best[op], "ns/op", best[OP_RAW]);
	close(shim_fd);
	close(render_fd);
	close(null_fd);
}

BENCH_SUITE(uapi_shim_suite, "uapi", "a trivial query through the shim against a raw ioctl syscall (needs LD_PRELOAD)",
	    bench_shim)
