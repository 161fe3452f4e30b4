// SPDX-License-Identifier: MIT
/*
 * vm suite, basics: probe, VM_CREATE / VM_DESTROY / VM_GET_STATE, the MCU
 * VM, kernel BOs, the BO core, AS programming values.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pt_test.h"
#include "t_harness.h"
#include "mm/mm.h"
#include "util/u_trace.h"
#include "util/u_err.h"

/* Register offsets as the reference gives them (the test's own copy). */
#define T_AS(as)          (0x2400u + ((as) << 6))
#define T_AS_TRANSTAB(as) (T_AS(as) + 0x00)
#define T_AS_MEMATTR(as)  (T_AS(as) + 0x08)
#define T_AS_TRANSCFG(as) (T_AS(as) + 0x30)
#define T_MMU_INT_MASK    0x2008u

static uint64_t read64(struct pt *t, uint32_t off)
{
	return hw_mmio_read32(t->ptdev->hw, off) |
	       ((uint64_t)hw_mmio_read32(t->ptdev->hw, off + 4) << 32);
}

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

T_TEST(probe, "vm/device/probe-reads-identity")
{
	struct hw_config def;
	struct pt t;

	hw_config_default(&def);
	pt_init(&t, NULL);
	T_ASSERT_EQ_U64(t.ptdev->gpu_info.gpu_id, def.gpu_id);
	T_ASSERT_EQ_U64(t.ptdev->gpu_info.as_present, def.as_present);
	T_ASSERT_EQ_U64(t.ptdev->gpu_info.mmu_features, def.mmu_features);
	T_ASSERT_EQ_U64(t.ptdev->gpu_info.shader_present, def.shader_present);
	T_ASSERT_EQ_INT(t.ptdev->va_bits, 48);
	T_ASSERT_EQ_INT(t.ptdev->pa_bits, 40);
	T_ASSERT(!t.ptdev->coherent);
	pt_fini(&t);
}

/* Reference §1.7 worked for a 48-bit GPU on a 48-bit-VA arm64 host. */
T_TEST(create_default, "vm/create/default-split")
{
	struct panthor_vm_create_args a = { 0 };
	struct pt t;
	int id;

	pt_init(&t, NULL);
	id = panthor_vm_pool_create_vm(t.ptdev, &t.pfile->vms, &a);
	T_ASSERT_EQ_INT(id, 1);
	T_ASSERT_EQ_INT(a.id, 1);
	/* full/2 = 2^47: kernel range rounddown_pow2(2^47) at 2^47. */
	T_ASSERT_EQ_U64(a.user_va_range, 1ull << 47);
	pt_fini(&t);
}

T_TEST(create_user_range, "vm/create/user-va-range")
{
	static const struct {
		uint64_t in;
		int ret;
		uint64_t out;
	} cases[] = {
		/* Kernel range = rounddown_pow2(full - user), at full - that. */
		{ 4096, 0, 1ull << 47 },
		{ 1ull << 47, 0, 1ull << 47 },
		{ (1ull << 47) + 4096, 0, (1ull << 48) - (1ull << 46) },
		{ (1ull << 48) - (256ull << 20), 0, (1ull << 48) - (256ull << 20) },
		{ (1ull << 48) - (256ull << 20) + 4096, -EINVAL, 0 },
		{ 1ull << 48, -EINVAL, 0 },
		{ ~0ull, -EINVAL, 0 },
	};
	struct pt t;

	pt_init(&t, NULL);
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		struct panthor_vm_create_args a = { .user_va_range = cases[i].in };
		int ret = panthor_vm_pool_create_vm(t.ptdev, &t.pfile->vms, &a);

		if (cases[i].ret) {
			T_ASSERT_EQ_INT(ret, cases[i].ret);
			continue;
		}
		T_ASSERT_MSG(ret > 0, "case %u: %d", i, ret);
		T_ASSERT_EQ_U64(a.user_va_range, cases[i].out);
		T_ASSERT_OK(panthor_vm_pool_destroy_vm(&t.pfile->vms, (uint32_t)ret));
	}
	pt_fini(&t);
}

T_TEST(create_small_va, "vm/create/32-bit-gpu")
{
	struct pt_config cfg = { 0 };
	struct panthor_vm_create_args a = { 0 };
	struct hw_config hw;
	struct pt t;

	/* full = 4 GiB: no more than full/2 by default? No: full - 256 MiB (not > 4G). */
	hw_config_default(&hw);
	hw.mmu_features = 0x2820;
	cfg.hw = &hw;
	pt_init(&t, &cfg);
	T_ASSERT(panthor_vm_pool_create_vm(t.ptdev, &t.pfile->vms, &a) > 0);
	/* TASK_SIZE (2^48) is not below 4 GiB, full is not above 4 GiB: full - 256 MiB. */
	T_ASSERT_EQ_U64(a.user_va_range, (4ull << 30) - (256ull << 20));
	pt_fini(&t);
}

T_TEST(create_flags, "vm/create/flags-mbz")
{
	struct panthor_vm_create_args a = { .flags = 1 };
	struct pt t;

	pt_init(&t, NULL);
	T_ASSERT_ERRNO(panthor_vm_pool_create_vm(t.ptdev, &t.pfile->vms, &a), EINVAL);
	pt_fini(&t);
}

T_TEST(create_32, "vm/create/32-per-file-ids-from-1")
{
	struct panthor_vm_create_args a = { 0 };
	struct pt t, t2;

	pt_init(&t, NULL);
	for (int i = 1; i <= 32; i++) {
		memset(&a, 0, sizeof(a));
		T_ASSERT_EQ_INT(panthor_vm_pool_create_vm(t.ptdev, &t.pfile->vms, &a), i);
	}
	memset(&a, 0, sizeof(a));
	T_ASSERT_ERRNO(panthor_vm_pool_create_vm(t.ptdev, &t.pfile->vms, &a), EBUSY);
	/* A freed id is reused, lowest first. */
	T_ASSERT_OK(panthor_vm_pool_destroy_vm(&t.pfile->vms, 7));
	T_ASSERT_OK(panthor_vm_pool_destroy_vm(&t.pfile->vms, 3));
	memset(&a, 0, sizeof(a));
	T_ASSERT_EQ_INT(panthor_vm_pool_create_vm(t.ptdev, &t.pfile->vms, &a), 3);
	/* Ids are per file. */
	t2.ptdev = t.ptdev;
	t2.pfile = panthor_file_open(t.ptdev);
	T_ASSERT(!IS_ERR(t2.pfile));
	memset(&a, 0, sizeof(a));
	T_ASSERT_EQ_INT(panthor_vm_pool_create_vm(t.ptdev, &t2.pfile->vms, &a), 1);
	panthor_file_close(t2.pfile);
	pt_fini(&t);
}

T_TEST(destroy, "vm/destroy/unknown-and-twice")
{
	struct pt t;
	uint32_t vm, state;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	T_ASSERT_ERRNO(panthor_vm_pool_destroy_vm(&t.pfile->vms, 0), EINVAL);
	T_ASSERT_ERRNO(panthor_vm_pool_destroy_vm(&t.pfile->vms, 2), EINVAL);
	T_ASSERT_ERRNO(panthor_vm_pool_destroy_vm(&t.pfile->vms, 33), EINVAL);
	T_ASSERT_OK(panthor_vm_get_state(t.pfile, vm, &state));
	T_ASSERT_EQ_INT(state, DRM_PANTHOR_VM_STATE_USABLE);
	T_ASSERT_OK(panthor_vm_pool_destroy_vm(&t.pfile->vms, vm));
	T_ASSERT_ERRNO(panthor_vm_pool_destroy_vm(&t.pfile->vms, vm), EINVAL);
	T_ASSERT_ERRNO(panthor_vm_get_state(t.pfile, vm, &state), EINVAL);
	pt_fini(&t);
}

T_TEST(destroy_mapped, "vm/destroy/with-mappings-frees-everything")
{
	struct pt t;
	long frames;
	uint32_t vm, bo;

	pt_init(&t, NULL);
	bo = pt_bo_create(&t, 8 * MiB, 0);
	pt_bo_fill(&t, bo, 3);
	frames = pt_frames(&t);
	vm = pt_vm_create(&t);
	T_ASSERT_OK(pt_map(&t, vm, bo, 0, 2 * GiB, 8 * MiB));
	T_ASSERT_OK(pt_map(&t, vm, bo, 4096, 3 * GiB + 4096, 4 * MiB));
	T_ASSERT_OK(pt_sparse(&t, vm, 5 * GiB, 64 * MiB));
	pt_expect_word(&t, vm, 2 * GiB + 8, pt_word(3, 8));
	T_ASSERT_OK(panthor_vm_pool_destroy_vm(&t.pfile->vms, vm));
	/* Tables back to the pool, the dummy's backing stays with the file. */
	T_ASSERT_EQ_INT(pt_frames(&t), frames + (long)(PANTHOR_SPARSE_DUMMY_SIZE / 4096));
	pt_fini(&t);
}

T_TEST(mcu_vm, "vm/mcu/bound-to-as0")
{
	struct pt t;
	struct panthor_vm *mcu;

	pt_init(&t, NULL);
	mcu = panthor_mmu_mcu_vm(t.ptdev);
	T_ASSERT_NOT_NULL(mcu);
	T_ASSERT(panthor_vm_is_mcu(mcu));
	T_ASSERT_EQ_INT(panthor_vm_as(mcu), 0);
	/* Its fault event is enabled. */
	T_ASSERT(hw_mmio_read32(t.ptdev->hw, T_MMU_INT_MASK) & 1);
	pt_fini(&t);
}

T_TEST(as_values, "vm/as/programming-values")
{
	struct pt t;
	struct panthor_vm *vm;
	uint32_t id;
	int as;

	pt_init(&t, NULL);
	id = pt_vm_create(&t);
	vm = pt_vm(&t, id);
	T_ASSERT_EQ_INT(panthor_vm_as(vm), -1);
	as = panthor_vm_job_begin(vm);
	/* AS 0 is the MCU's: the first user VM gets AS 1. */
	T_ASSERT_EQ_INT(as, 1);
	/* Reference §2.3, 48-bit VA, not coherent. */
	T_ASSERT_EQ_U64(read64(&t, T_AS_TRANSCFG(as)), 0x420001C6ull);
	T_ASSERT_EQ_U64(read64(&t, T_AS_MEMATTR(as)), 0x4C4C4C4C8C4C8F4Cull);
	T_ASSERT_NE_U64(read64(&t, T_AS_TRANSTAB(as)), 0);
	T_ASSERT(hw_mmio_read32(t.ptdev->hw, T_MMU_INT_MASK) & (1u << as));
	panthor_vm_job_end(vm);
	/* Idle keeps the slot until someone needs it. */
	T_ASSERT_EQ_INT(panthor_vm_as(vm), 1);
	panthor_vm_put(vm);
	T_ASSERT_OK(panthor_vm_pool_destroy_vm(&t.pfile->vms, id));
	/* Destruction disables the AS. */
	T_ASSERT_EQ_U64(read64(&t, T_AS_TRANSCFG(1)), 1);
	T_ASSERT_EQ_U64(read64(&t, T_AS_TRANSTAB(1)), 0);
	pt_fini(&t);
}

T_TEST(as_values_coherent, "vm/as/programming-values-coherent")
{
	struct pt_config cfg = { 0 };
	struct hw_config hw;
	struct panthor_vm *vm;
	struct pt t;
	int as;

	hw_config_default(&hw);
	hw.coherent = true;
	cfg.hw = &hw;
	pt_init(&t, &cfg);
	T_ASSERT(t.ptdev->coherent);
	vm = pt_vm(&t, pt_vm_create(&t));
	as = panthor_vm_job_begin(vm);
	T_ASSERT(as > 0);
	T_ASSERT_EQ_U64(read64(&t, T_AS_TRANSCFG(as)), 0x620001C6ull);
	T_ASSERT_EQ_U64(read64(&t, T_AS_MEMATTR(as)), 0x4C4C4C4C9C4C9F4Cull);
	panthor_vm_job_end(vm);
	panthor_vm_put(vm);
	pt_fini(&t);
}

T_TEST(kernel_bo_mcu, "vm/kernel-bo/mcu-vm")
{
	struct panthor_vm *mcu;
	struct panthor_kernel_bo *kbo, *fixed;
	uint64_t word = 0x1234abcd5678ef00ull, got = 0;
	struct pt t;

	pt_init(&t, NULL);
	mcu = panthor_mmu_mcu_vm(t.ptdev);
	kbo = panthor_kernel_bo_create(t.ptdev, mcu, 3 * MiB, DRM_PANTHOR_BO_NO_MMAP,
				       DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC, PANTHOR_VM_KERNEL_AUTO_VA);
	T_ASSERT_MSG(!IS_ERR(kbo), "%ld", PTR_ERR(kbo));
	/* Auto VA: in the shared window, 2 MiB aligned for sizes >= 2 MiB. */
	T_ASSERT_EQ_U64(kbo->va_node.start, PANTHOR_MCU_SHARED_START);
	T_ASSERT_EQ_U64(kbo->va_node.size, 3 * MiB);
	/* Pinned, firmware-owned frames. */
	T_ASSERT_EQ_INT(kbo->obj->backing.pin_count, 1);
	T_ASSERT_EQ_INT(mm_frame(panthor_gem_offset_to_pa(kbo->obj, 0))->owner_kind,
			MM_OWNER_FIRMWARE);
	T_ASSERT_OK(panthor_gem_cpu_access(kbo->obj, 2 * MiB + 64, &word, 8, true));
	T_ASSERT_OK(panthor_vm_gpu_read(mcu, kbo->va_node.start + 2 * MiB + 64, &got, 8, NULL));
	T_ASSERT_EQ_U64(got, word);

	/* Fixed VA: reserved exactly; taken twice is -ENOSPC. */
	fixed = panthor_kernel_bo_create(t.ptdev, mcu, 4096, 0, 0, 0x1000000);
	T_ASSERT(!IS_ERR(fixed));
	T_ASSERT_EQ_U64(fixed->va_node.start, 0x1000000);
	T_ASSERT_EQ_PTR(panthor_kernel_bo_create(t.ptdev, mcu, 8192, 0, 0, 0xfff000),
			ERR_PTR(-ENOSPC));
	T_ASSERT_EQ_PTR(panthor_kernel_bo_create(t.ptdev, mcu, 4096, 0, 0, 0x1000800),
			ERR_PTR(-EINVAL));
	T_ASSERT_EQ_PTR(panthor_kernel_bo_create(t.ptdev, mcu, 4096, 0,
						 DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE,
						 PANTHOR_VM_KERNEL_AUTO_VA),
			ERR_PTR(-EINVAL));
	panthor_kernel_bo_destroy(fixed);
	panthor_kernel_bo_destroy(kbo);
	T_ASSERT_EQ_INT(panthor_vm_gpu_read(mcu, PANTHOR_MCU_SHARED_START, &got, 8, NULL), -EFAULT);
	pt_fini(&t);
}

T_TEST(kernel_bo_user, "vm/kernel-bo/user-vm-kernel-range")
{
	struct panthor_kernel_bo *a, *b;
	struct panthor_vm *vm;
	uint64_t got = 1;
	struct pt t;

	pt_init(&t, NULL);
	vm = pt_vm(&t, pt_vm_create(&t));
	a = panthor_kernel_bo_create(t.ptdev, vm, 8192, DRM_PANTHOR_BO_NO_MMAP, 0,
				     PANTHOR_VM_KERNEL_AUTO_VA);
	b = panthor_kernel_bo_create(t.ptdev, vm, 4096, DRM_PANTHOR_BO_NO_MMAP, 0,
				     PANTHOR_VM_KERNEL_AUTO_VA);
	T_ASSERT(!IS_ERR(a) && !IS_ERR(b));
	T_ASSERT(a->va_node.start >= panthor_vm_kernel_va_start(vm));
	T_ASSERT_EQ_U64(b->va_node.start, a->va_node.start + 8192);
	/* Not pinned on a user VM, but mapped, zeroed, exclusive to the VM. */
	T_ASSERT_EQ_INT(a->obj->backing.pin_count, 0);
	T_ASSERT_EQ_PTR(a->obj->exclusive_vm, vm);
	T_ASSERT_OK(panthor_vm_gpu_read(vm, a->va_node.start + 4096, &got, 8, NULL));
	T_ASSERT_EQ_U64(got, 0);
	/* A fixed address outside the kernel range is refused. */
	T_ASSERT_EQ_PTR(panthor_kernel_bo_create(t.ptdev, vm, 4096, 0, 0, 1ull << 30),
			ERR_PTR(-EINVAL));
	panthor_kernel_bo_destroy(b);
	panthor_kernel_bo_destroy(a);
	T_ASSERT_OK(panthor_vm_validate(vm));
	panthor_vm_put(vm);
	pt_fini(&t);
}

T_TEST(bo_create, "vm/bo/create-rules")
{
	struct pt t;
	uint64_t size;
	uint32_t h, vm;

	pt_init(&t, NULL);
	size = 0;
	T_ASSERT_ERRNO(panthor_file_bo_create(t.pfile, &size, 0, 0, &h), EINVAL);
	size = 4096;
	T_ASSERT_ERRNO(panthor_file_bo_create(t.pfile, &size, 4, 0, &h), EINVAL);
	T_ASSERT_ERRNO(panthor_file_bo_create(t.pfile, &size,
					      DRM_PANTHOR_BO_NO_MMAP | DRM_PANTHOR_BO_WB_MMAP, 0, &h),
		       EINVAL);
	T_ASSERT_ERRNO(panthor_file_bo_create(t.pfile, &size, 0, 5, &h), EINVAL);
	size = 5000;
	T_ASSERT_OK(panthor_file_bo_create(t.pfile, &size, DRM_PANTHOR_BO_WB_MMAP, 0, &h));
	T_ASSERT_EQ_U64(size, 8192);
	T_ASSERT(h != 0);
	vm = pt_vm_create(&t);
	size = 1;
	T_ASSERT_OK(panthor_file_bo_create(t.pfile, &size, 0, vm, &h));
	T_ASSERT_EQ_U64(size, 4096);
	T_ASSERT_OK(panthor_file_bo_close(t.pfile, h));
	T_ASSERT_ERRNO(panthor_file_bo_close(t.pfile, h), EINVAL);
	pt_fini(&t);
}

T_TEST(bo_backing, "vm/bo/backing-chunks-sgt-pin")
{
	struct panthor_gem_object *bo;
	struct sg_table *sgt;
	uint64_t buf[4];
	long frames;
	struct pt t;

	pt_init(&t, NULL);
	frames = pt_frames(&t);
	bo = pt_bo(&t, pt_bo_create(&t, 5 * MiB + 12288, 0));
	/* Lazily allocated: nothing yet. */
	T_ASSERT_NULL(bo->backing.chunks);
	T_ASSERT_EQ_INT(pt_frames(&t), frames);
	T_ASSERT_OK(panthor_gem_pin(bo));
	T_ASSERT_EQ_INT(bo->backing.pin_count, 1);
	/* Two 2 MiB chunks, then 1 MiB + 12 KiB of single frames. */
	T_ASSERT_EQ_INT(bo->backing.nr_chunks, 2 + 259);
	T_ASSERT_EQ_INT(bo->backing.chunks[0].order, 9);
	T_ASSERT_EQ_INT(bo->backing.chunks[1].order, 9);
	T_ASSERT_EQ_INT(bo->backing.chunks[2].order, 0);
	T_ASSERT(U_IS_ALIGNED(bo->backing.chunks[0].pa, 2 * MiB));
	T_ASSERT_EQ_INT(pt_frames(&t), frames + (long)(bo->size / 4096));
	T_ASSERT_EQ_INT(mm_frame(bo->backing.chunks[0].pa)->owner_kind, MM_OWNER_BO);
	T_ASSERT_EQ_INT(mm_frame(bo->backing.chunks[0].pa)->owner_id, bo->id);
	/* Fresh BOs read zero. */
	T_ASSERT_OK(panthor_gem_cpu_access(bo, 5 * MiB, buf, sizeof(buf), false));
	T_ASSERT_EQ_U64(buf[0] | buf[1] | buf[2] | buf[3], 0);
	sgt = panthor_gem_get_dev_sgt(bo);
	T_ASSERT(!IS_ERR(sgt));
	T_ASSERT_OK(sg_table_validate(sgt));
	T_ASSERT_EQ_U64(sgt->size, bo->size);
	T_ASSERT(sgt->nents <= bo->backing.nr_chunks);
	T_ASSERT_EQ_PTR(panthor_gem_get_dev_sgt(bo), sgt);
	/* Unpinning frees nothing. */
	panthor_gem_unpin(bo);
	T_ASSERT_EQ_INT(bo->backing.pin_count, 0);
	T_ASSERT_NOT_NULL(bo->backing.chunks);
	T_ASSERT_ERRNO(panthor_gem_cpu_access(bo, bo->size - 4, buf, 8, false), EINVAL);
	panthor_gem_put(bo);
	pt_fini(&t);
}

T_TEST(bo_dummy, "vm/bo/dummy-per-file")
{
	struct panthor_file *other;
	struct pt t;
	uint32_t vm;

	pt_init(&t, NULL);
	other = panthor_file_open(t.ptdev);
	T_ASSERT(!IS_ERR(other));
	T_ASSERT(other->dummy != t.pfile->dummy);
	T_ASSERT_EQ_U64(t.pfile->dummy->size, 2 * MiB);
	/* Backing only with the first sparse map: one 2 MiB chunk, dummy-owned. */
	T_ASSERT_NULL(t.pfile->dummy->backing.chunks);
	vm = pt_vm_create(&t);
	T_ASSERT_OK(pt_sparse(&t, vm, 0, 4096));
	T_ASSERT_EQ_INT(t.pfile->dummy->backing.nr_chunks, 1);
	T_ASSERT_EQ_INT(mm_frame(t.pfile->dummy->backing.chunks[0].pa)->owner_kind, MM_OWNER_DUMMY);
	T_ASSERT_NULL(other->dummy->backing.chunks);
	panthor_file_close(other);
	pt_fini(&t);
}

T_TEST(sg_table, "vm/bo/sg-table-coalesces")
{
	struct sg_table *sgt = sg_table_create(3);

	T_ASSERT(!IS_ERR(sgt));
	T_ASSERT_OK(sg_table_append(sgt, 0x80000000, 4096));
	T_ASSERT_OK(sg_table_append(sgt, 0x80001000, 8192));
	T_ASSERT_OK(sg_table_append(sgt, 0x90000000, 4096));
	T_ASSERT_OK(sg_table_append(sgt, 0xa0000000, 4096));
	T_ASSERT_ERRNO(sg_table_append(sgt, 0xb0000000, 4096), ENOSPC);
	T_ASSERT_OK(sg_table_append(sgt, 0xa0001000, 4096));
	T_ASSERT_EQ_INT(sgt->nents, 3);
	T_ASSERT_EQ_U64(sgt->segs[0].len, 12288);
	T_ASSERT_EQ_U64(sgt->size, 12288 + 4096 + 8192);
	T_ASSERT_OK(sg_table_validate(sgt));
	sgt->segs[1].pa = 0x80003000;
	T_ASSERT_ERRNO(sg_table_validate(sgt), EUCLEAN);
	sg_table_free(sgt);
	T_ASSERT_EQ_PTR(sg_table_create(0), ERR_PTR(-EINVAL));
}

static void print_count(void *arg, const char *line)
{
	(void)line;
	(*(unsigned int *)arg)++;
}

T_TEST(debug_views, "vm/debug/mappings-and-pgtable-dump")
{
	unsigned int lines = 0;
	struct panthor_vm *vm;
	struct pt t;
	uint32_t id, bo;

	pt_init(&t, NULL);
	id = pt_vm_create(&t);
	bo = pt_bo_create(&t, 2 * MiB, 0);
	T_ASSERT_OK(pt_map(&t, id, bo, 0, 2 * MiB, 2 * MiB));
	T_ASSERT_OK(pt_sparse(&t, id, 8 * MiB, 2 * MiB));
	vm = pt_vm(&t, id);
	panthor_vm_dump_mappings(vm, print_count, &lines);
	T_ASSERT_EQ_INT(lines, 2);
	lines = 0;
	panthor_vm_dump_pgtable(vm, 0, 0, print_count, &lines);
	/* Root, L1, L2 tables and two 2 MiB leaves. */
	T_ASSERT_EQ_INT(lines, 5);
	panthor_vm_put(vm);
	pt_fini(&t);
}

/* Trace events of one bind: collected without allocating (the tracer runs in no-alloc sections). */
static struct {
	unsigned int map_begin, map_end, lock, unlock;
	int64_t lock_start, lock_size;
	char track[16];
} trace_seen;

static void trace_event(void *cookie, const struct u_trace_event *ev)
{
	(void)cookie;
	if (strcmp(ev->category, "vm"))
		return;
	if (!strcmp(ev->name, "map") && ev->phase == 'B')
		trace_seen.map_begin++;
	if (!strcmp(ev->name, "map") && ev->phase == 'E')
		trace_seen.map_end++;
	if (!strcmp(ev->name, "lock_region")) {
		trace_seen.lock++;
		trace_seen.lock_start = ev->args[0];
		trace_seen.lock_size = ev->args[1];
		snprintf(trace_seen.track, sizeof(trace_seen.track), "%s", ev->track);
	}
	if (!strcmp(ev->name, "unlock_region"))
		trace_seen.unlock++;
}

static const struct u_tracer_ops trace_ops = { .event = trace_event };

T_TEST(trace, "vm/trace/bind-ops-and-locked-regions")
{
	struct panthor_vm *vm;
	char track[16];
	uint32_t id, bo;
	struct pt t;

	pt_init(&t, NULL);
	id = pt_vm_create(&t);
	bo = pt_bo_create(&t, 2 * MiB, 0);
	vm = pt_vm(&t, id);
	snprintf(track, sizeof(track), "vm%u", panthor_vm_id(vm));
	memset(&trace_seen, 0, sizeof(trace_seen));
	u_trace_attach(&trace_ops, NULL);
	T_ASSERT_OK(pt_map(&t, id, bo, 4096, 0x10000000 + 0x5000, 0x3000));
	u_trace_attach(NULL, NULL);
	T_ASSERT_EQ_INT(trace_seen.map_begin, 1);
	T_ASSERT_EQ_INT(trace_seen.map_end, 1);
	T_ASSERT_EQ_INT(trace_seen.lock, 1);
	T_ASSERT_EQ_INT(trace_seen.unlock, 1);
	/* The region as the hardware locks it: 32 KiB, aligned. */
	T_ASSERT_EQ_U64(trace_seen.lock_start, 0x10000000);
	T_ASSERT_EQ_U64(trace_seen.lock_size, 0x8000);
	T_ASSERT_EQ_STR(trace_seen.track, track);
	panthor_vm_put(vm);
	pt_fini(&t);
}
