// SPDX-License-Identifier: MIT
/*
 * vm suite, basics: device probe, VM lifetime, maps read back by the GPU.
 */
#include "pt_test.h"
#include "t_harness.h"

T_TEST(smoke, "vm/smoke/map-read-unmap")
{
	struct pt t;
	uint32_t vm, bo;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	bo = pt_bo_create(&t, 4 * MiB, 0);
	pt_bo_fill(&t, bo, 1);
	T_ASSERT_OK(pt_map(&t, vm, bo, 0, 16 * MiB, 4 * MiB));
	pt_validate(&t, vm);
	pt_expect_word(&t, vm, 16 * MiB, pt_word(1, 0));
	pt_expect_word(&t, vm, 16 * MiB + 3 * MiB + 8, pt_word(1, 3 * MiB + 8));
	T_ASSERT_OK(pt_unmap(&t, vm, 16 * MiB, 4 * MiB));
	pt_validate(&t, vm);
	pt_fini(&t);
}
