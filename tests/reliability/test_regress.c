// SPDX-License-Identifier: MIT
/*
 * reliability suite, regressions: every input of the fuzzer's seed corpus
 * (fuzz/corpus/) and every input that once broke an invariant
 * (fuzz/regressions/) replayed through the fuzz target itself, built here
 * with the project's compiler and run in every build, sanitized ones
 * included; and each crash the fuzzer found written out as a plain test.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rel_test.h"
#include "t_harness.h"
#include "fuzz_ioctl.h"
#include "util/u_fault.h"

static unsigned int replay_dir(const char *dir)
{
	struct dirent *de;
	unsigned int n = 0;
	DIR *d = opendir(dir);

	T_ASSERT_MSG(d != NULL, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		char path[4096];
		uint8_t buf[65536];
		size_t len;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		T_ASSERT_NOT_NULL(f);
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);	/* aborts on an invariant violation */
		n++;
	}
	closedir(d);
	return n;
}

T_TEST(replay, "reliability/regress/fuzz-corpus-and-crashes")
{
	unsigned int seeds = replay_dir(PANTOMIME_FUZZ_DIR "/corpus");
	unsigned int crashes = replay_dir(PANTOMIME_FUZZ_DIR "/regressions");

	T_ASSERT_GT_INT(seeds, 0);
	t_note("%u seeds and %u former crashes replayed", seeds, crashes);
	pantomime_fuzz_teardown();
}

/*
 * Found by the fuzzer: BO_CREATE accepts a BO far larger than the device's
 * memory (as shmem does); pinning it sized an array of 2 MiB chunks by it
 * (for the fuzzer's 2^59-byte BO a 4 TiB allocation, which ASan refuses by
 * aborting) and then tried to allocate every chunk before failing. It must
 * fail at once with -ENOMEM: here a GPU map pins it.
 */
T_TEST(huge_bo, "reliability/regress/huge-bo-map")
{
	struct rel_world w;
	struct drm_panthor_bo_create c = { .size = 1ull << 47 };
	unsigned long points;

	rel_world_init(&w, 64 * MiB, 0);
	T_ASSERT_OK(rel_ioctl(&w, 0, DRM_IOCTL_PANTHOR_BO_CREATE, &c));
	u_fault_reset_counters();
	T_ASSERT_ERRNO(rel_bind(&w, 0, w.f[0].vm, DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, c.handle, 0,
				64 * MiB, 2 * MiB, false, 0), ENOMEM);
	/* Refused before allocating any backing: only the op's own preallocations were made. */
	points = u_fault_points();
	T_ASSERT_LT_INT(points, 64);
	T_ASSERT_OK(rel_gem_close(&w, 0, c.handle));
	rel_world_fini(&w);
}
