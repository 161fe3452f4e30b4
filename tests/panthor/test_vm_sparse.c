// SPDX-License-Identifier: MIT
/*
 * vm suite, sparse mappings (uAPI 1.9 MAP_SPARSE): validation, the cyclic
 * dummy with VA-matched offsets, 2 MiB blocks, one dummy per file, maps
 * over sparse ranges, unmaps and partial unmaps.
 */
#include <errno.h>
#include <string.h>

#include "pt_test.h"
#include "t_harness.h"
#include "util/u_err.h"
#include "util/u_log.h"

#define BASE (1ull << 33)

T_TEST(validation, "vm/sparse/validation")
{
	struct pt t;
	uint32_t vm, bo;
	struct panthor_vm *v;
	uint64_t kva;
	const uint32_t sparse_only = PT_MAP | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	bo = pt_bo_create(&t, 2 * MiB, 0);
	v = pt_vm(&t, vm);
	kva = panthor_vm_kernel_va_start(v);
	panthor_vm_put(v);

	/* NOEXEC is required. */
	T_ASSERT_ERRNO(pt_op(&t, vm, sparse_only, 0, 0, BASE, 2 * MiB), EINVAL);
	T_ASSERT_ERRNO(pt_op(&t, vm, sparse_only | DRM_PANTHOR_VM_BIND_OP_MAP_READONLY, 0, 0, BASE,
			     2 * MiB), EINVAL);
	/* BO handle and offset must be zero. */
	T_ASSERT_ERRNO(pt_op(&t, vm, PT_SPARSE, bo, 0, BASE, 2 * MiB), EINVAL);
	T_ASSERT_ERRNO(pt_op(&t, vm, PT_SPARSE, 0, 4096, BASE, 2 * MiB), EINVAL);
	T_ASSERT_ERRNO(pt_op(&t, vm, PT_SPARSE, bo, 4096, BASE, 2 * MiB), EINVAL);
	/* Only with TYPE_MAP. */
	T_ASSERT_ERRNO(pt_op(&t, vm, PT_UNMAP | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE, 0, 0, BASE, 4096),
		       EINVAL);
	T_ASSERT_ERRNO(pt_op(&t, vm, PT_SYNC_ONLY | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE, 0, 0, BASE,
			     4096), EINVAL);
	/* The common rules still apply. */
	T_ASSERT_ERRNO(pt_op(&t, vm, PT_SPARSE, 0, 0, BASE + 8, 4096), EINVAL);
	T_ASSERT_ERRNO(pt_op(&t, vm, PT_SPARSE, 0, 0, kva - 4096, 8192), EINVAL);
	T_ASSERT_ERRNO(pt_op(&t, vm, PT_SPARSE, 0, 0, ~0ull - 4095, 8192), EINVAL);
	/* Nothing mapped, no dummy backing allocated by refused ops. */
	T_ASSERT_NULL(t.pfile->dummy->backing.chunks);
	/* And the valid forms. */
	T_ASSERT_OK(pt_op(&t, vm, PT_SPARSE, 0, 0, BASE, 2 * MiB));
	T_ASSERT_OK(pt_op(&t, vm, PT_SPARSE | DRM_PANTHOR_VM_BIND_OP_MAP_READONLY |
			  DRM_PANTHOR_VM_BIND_OP_MAP_UNCACHED, 0, 0, BASE + 4 * MiB, 4096));
	T_ASSERT_OK(pt_op(&t, vm, PT_SPARSE, 0, 0, BASE + 8 * MiB, 0));
	pt_validate(&t, vm);
	pt_fini(&t);
}

static void gpu_write64v(struct pt *t, uint32_t vm_id, uint64_t va, uint64_t val)
{
	struct panthor_vm *vm = pt_vm(t, vm_id);

	T_ASSERT_OK(panthor_vm_gpu_write(vm, va, &val, 8, NULL));
	panthor_vm_put(vm);
}

T_TEST(cyclic, "vm/sparse/cyclic-dummy-with-matching-offsets")
{
	struct panthor_vm *v;
	unsigned int level;
	uint64_t a, b;
	phys_addr_t dummy;
	struct pt t;
	uint32_t vm;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	a = BASE;				/* 2 MiB aligned */
	b = BASE + 64 * MiB + 3 * 4096;		/* not aligned */
	T_ASSERT_OK(pt_sparse(&t, vm, a, 6 * MiB + 8192));
	T_ASSERT_OK(pt_sparse(&t, vm, b, 5 * MiB));
	dummy = panthor_gem_offset_to_pa(t.pfile->dummy, 0);
	T_ASSERT(dummy);
	v = pt_vm(&t, vm);

	/* Every VA maps the dummy at VA mod 2 MiB: writes show up 2 MiB further on... */
	gpu_write64v(&t, vm, a + 4 * 4096 + 16, 0xfeed);
	pt_expect_word(&t, vm, a + 2 * MiB + 4 * 4096 + 16, 0xfeed);
	pt_expect_word(&t, vm, a + 6 * MiB + 4 * 4096 + 16 - 6 * MiB, 0xfeed);
	/* ...and in any other sparse range, at the same offset modulo 2 MiB. */
	pt_expect_word(&t, vm, b + 4096 + 16, 0xfeed);
	pt_expect_word(&t, vm, a + 4 * 4096 + 8, 0);
	for (uint64_t off = 0; off < 3 * MiB; off += 256 * 1024 + 4096)
		T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, b + off, NULL), dummy + (b + off) % (2 * MiB));

	/* Whole aligned 2 MiB slots are blocks; the rest pages. */
	T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, a + 2 * MiB + 8, &level), dummy + 8);
	T_ASSERT_EQ_INT(level, 2);
	T_ASSERT(panthor_vm_lookup_pa(v, a + 6 * MiB + 4096, &level));
	T_ASSERT_EQ_INT(level, 3);
	T_ASSERT(panthor_vm_lookup_pa(v, b + 1 * MiB, &level));
	T_ASSERT_EQ_INT(level, 3);
	/* [b, b + 5 MiB) holds one whole aligned slot: [BASE + 66 MiB, + 2 MiB). */
	T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, BASE + 66 * MiB + 8, &level), dummy + 8);
	T_ASSERT_EQ_INT(level, 2);
	T_ASSERT(panthor_vm_lookup_pa(v, BASE + 68 * MiB, &level));
	T_ASSERT_EQ_INT(level, 3);
	panthor_vm_put(v);
	pt_validate(&t, vm);
	pt_expect_no_violation(&t);
	pt_fini(&t);
}

T_TEST(per_file, "vm/sparse/writes-stay-in-the-file")
{
	struct panthor_file *other;
	struct panthor_vm_create_args args = { 0 };
	struct panthor_vm_bind_op_args op = { .flags = PT_SPARSE, .va = BASE, .size = 2 * MiB };
	struct panthor_vm *ov;
	uint64_t got = 1;
	uint32_t vm, ovm, count = 1;
	struct pt t;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	other = panthor_file_open(t.ptdev);
	T_ASSERT(!IS_ERR(other));
	ovm = (uint32_t)panthor_vm_pool_create_vm(t.ptdev, &other->vms, &args);
	T_ASSERT_OK(pt_sparse(&t, vm, BASE, 2 * MiB));
	T_ASSERT_OK(panthor_vm_bind(other, ovm, 0, &op, &count));
	gpu_write64v(&t, vm, BASE + 64, 0x5ec2e7);
	ov = panthor_vm_pool_get_vm(&other->vms, ovm);
	T_ASSERT_OK(panthor_vm_gpu_read(ov, BASE + 64, &got, 8, NULL));
	T_ASSERT_EQ_U64(got, 0);
	panthor_vm_put(ov);
	panthor_file_close(other);
	pt_fini(&t);
}

T_TEST(replace, "vm/sparse/map-over-sparse-and-back")
{
	struct panthor_vm *v;
	unsigned int level;
	phys_addr_t dummy;
	uint32_t vm, bo;
	struct pt t;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	bo = pt_bo_create(&t, 2 * MiB, 0);
	pt_bo_fill(&t, bo, 0xb0);
	T_ASSERT_OK(pt_sparse(&t, vm, BASE, 16 * MiB));
	dummy = panthor_gem_offset_to_pa(t.pfile->dummy, 0);
	v = pt_vm(&t, vm);
	gpu_write64v(&t, vm, BASE + 4 * MiB + 4096, 0xd0d0);

	/* A real page in the middle of a dummy block. */
	T_ASSERT_OK(pt_map(&t, vm, bo, 4096, BASE + 6 * MiB + 8192, 4096));
	pt_expect_word(&t, vm, BASE + 6 * MiB + 8192, pt_word(0xb0, 4096));
	pt_expect_word(&t, vm, BASE + 6 * MiB + 4096, 0xd0d0);
	pt_expect_word(&t, vm, BASE + 6 * MiB + 3 * 4096, 0);
	T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, BASE + 6 * MiB + 2 * MiB - 4096, &level),
			dummy + 2 * MiB - 4096);
	T_ASSERT_EQ_INT(level, 3);
	pt_validate(&t, vm);

	/* A whole slot. */
	T_ASSERT_OK(pt_map(&t, vm, bo, 0, BASE + 10 * MiB, 2 * MiB));
	pt_expect_word(&t, vm, BASE + 10 * MiB + 4096, pt_word(0xb0, 4096));
	{
		struct panthor_gem_object *obj = pt_bo(&t, bo);

		T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, BASE + 10 * MiB, &level),
				panthor_gem_offset_to_pa(obj, 0));
		T_ASSERT_EQ_INT(level, 2);
		panthor_gem_put(obj);
	}
	pt_validate(&t, vm);

	/* And back to the dummy, which kept what the GPU wrote. */
	T_ASSERT_OK(pt_sparse(&t, vm, BASE + 6 * MiB, 8 * MiB));
	pt_expect_word(&t, vm, BASE + 6 * MiB + 8192, 0);
	pt_expect_word(&t, vm, BASE + 10 * MiB + 4096, 0xd0d0);
	T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, BASE + 10 * MiB, &level), dummy);
	T_ASSERT_EQ_INT(level, 2);
	panthor_vm_put(v);
	pt_validate(&t, vm);
	pt_expect_no_violation(&t);
	pt_fini(&t);
}

T_TEST(unmap, "vm/sparse/unmap-and-partial-unmaps")
{
	unsigned long warns = u_warn_count();
	struct panthor_vm *v;
	unsigned int level;
	uint32_t vm;
	struct pt t;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	T_ASSERT_OK(pt_sparse(&t, vm, BASE, 8 * MiB));
	gpu_write64v(&t, vm, BASE + 12288, 0xabc);
	v = pt_vm(&t, vm);
	/* Split a dummy block: the rest of it keeps the phase and the content. */
	T_ASSERT_OK(pt_unmap(&t, vm, BASE + 2 * MiB + 4096, 4096));
	T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, BASE + 2 * MiB + 4096, NULL), 0);
	pt_expect_word(&t, vm, BASE + 2 * MiB + 12288, 0xabc);
	T_ASSERT(panthor_vm_lookup_pa(v, BASE + 2 * MiB, &level));
	T_ASSERT_EQ_INT(level, 3);
	pt_validate(&t, vm);
	/* Across a block boundary, then a superset of holes. */
	T_ASSERT_OK(pt_unmap(&t, vm, BASE + 4 * MiB - 8192, 16384));
	pt_expect_word(&t, vm, BASE + 4 * MiB + 12288, 0xabc);
	pt_expect_word(&t, vm, BASE + 6 * MiB + 12288, 0xabc);
	T_ASSERT_OK(pt_unmap(&t, vm, BASE + 1 * MiB, 4 * MiB));
	pt_expect_word(&t, vm, BASE + 12288, 0xabc);
	pt_expect_word(&t, vm, BASE + 6 * MiB + 12288, 0xabc);
	T_ASSERT(panthor_vm_lookup_pa(v, BASE + 6 * MiB, &level));
	T_ASSERT_EQ_INT(level, 2);
	pt_validate(&t, vm);
	T_ASSERT_OK(pt_unmap(&t, vm, BASE, 8 * MiB));
	T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, BASE + 6 * MiB, NULL), 0);
	panthor_vm_put(v);
	pt_validate(&t, vm);
	pt_expect_no_violation(&t);
	T_ASSERT_EQ_INT(u_warn_count(), warns);
	pt_fini(&t);
}

T_TEST(big, "vm/sparse/1g-on-a-4g-device")
{
	struct pt_config cfg = { .memory = 4 * GiB };
	struct panthor_vm *v;
	unsigned int level;
	long frames;
	uint32_t vm;
	struct pt t;

	pt_init(&t, &cfg);
	vm = pt_vm_create(&t);
	T_ASSERT_OK(pt_sparse(&t, vm, 2 * GiB, 4096));
	frames = pt_frames(&t);
	T_ASSERT_OK(pt_sparse(&t, vm, 4 * GiB, 1 * GiB));
	/* Blocks only: one L2 table, the L1 exists, no L3. */
	T_ASSERT_EQ_INT(pt_frames(&t) - frames, 1);
	v = pt_vm(&t, vm);
	T_ASSERT(panthor_vm_lookup_pa(v, 4 * GiB + 1 * GiB - 4096, &level));
	T_ASSERT_EQ_INT(level, 2);
	panthor_vm_put(v);
	pt_expect_word(&t, vm, 5 * GiB - 8, 0);
	T_ASSERT_OK(pt_unmap(&t, vm, 4 * GiB, 1 * GiB));
	T_ASSERT_EQ_INT(pt_frames(&t), frames);
	pt_validate(&t, vm);
	pt_fini(&t);
}
