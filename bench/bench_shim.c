// SPDX-License-Identifier: MIT
/*
 * DOC: bench suite "shim"
 *
 * The cost of the shim's trivial ioctl against the kernel's cheapest one,
 * in the same run. Built as its own executable, pantomime-bench-shim, to
 * run under LD_PRELOAD=libpantomime-shim-mock.so (`meson test --benchmark`
 * does that; the lead wires it into the uapi suite):
 *
 *   ioctl-version     DRM_IOCTL_VERSION with zero lengths on /dev/dri/card0
 *                     (drmGetVersion's first call): interposer, fd lookup,
 *                     64-byte copy in and out with the fault-recovering
 *                     copies, the backend's own copies, errno convention
 *   ioctl-get-cap     DRM_IOCTL_GET_CAP(SYNCOBJ) likewise (16 bytes)
 *   ioctl-passthrough ioctl() on /dev/null through the shim: ENOTTY from
 *                     the kernel (what every non-device ioctl pays)
 *
 * Baseline: syscall(SYS_ioctl) on /dev/null returning ENOTTY — one real
 * ioctl round trip with no libc or shim in the way. Target: ratio <= 1.
 * The numbers are the best of --repeat runs of 200000 calls each.
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

#define ITERS 200000

enum { OP_VERSION, OP_GET_CAP, OP_PASS, OP_RAW, NR_OPS };

static int shim_fd, null_fd;

static int run_op(int op)
{
	switch (op) {
	case OP_VERSION: {
		struct drm_version v;

		memset(&v, 0, sizeof(v));
		return ioctl(shim_fd, DRM_IOCTL_VERSION, &v);
	}
	case OP_GET_CAP: {
		struct drm_get_cap cap = { .capability = DRM_CAP_SYNCOBJ };

		return ioctl(shim_fd, DRM_IOCTL_GET_CAP, &cap);
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
		fprintf(stderr, "pantomime-bench-shim: operation %d failed\n", op);
		exit(1);
	}
	return (double)(bench_now_ns() - t0) / ITERS;
}

static void bench_shim(void)
{
	static const char *const names[] = { "ioctl-version", "ioctl-get-cap",
					     "ioctl-passthrough", "ioctl-raw-syscall" };
	double best[NR_OPS];

	shim_fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (shim_fd < 0 || null_fd < 0 || run_op(OP_VERSION)) {
		fprintf(stderr, "pantomime-bench-shim: no shim device (run with "
			"LD_PRELOAD=libpantomime-shim-mock.so)\n");
		exit(77);
	}
	for (int op = 0; op < NR_OPS; op++)
		best[op] = 1e30;
	/* Interleaved, so drift and interference hit every operation alike. */
	for (unsigned int r = 0; r < bench_opts.repeat; r++)
		for (int op = 0; op < NR_OPS; op++)
			best[op] = bench_min(best[op], measure(op));
	for (int op = 0; op < OP_RAW; op++)
		bench_report("shim", names[op], best[op], "ns/op", best[OP_RAW]);
	close(shim_fd);
	close(null_fd);
}

BENCH_SUITE(shim_suite, "shim", "the shim's trivial ioctl against a raw ioctl syscall (needs LD_PRELOAD)",
	    bench_shim)
