// SPDX-License-Identifier: MIT
/*
 * Helpers of the vm suite (pt_test.h).
 */
#include "pt_test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "t_harness.h"
#include "mm/mm.h"
#include "util/u_alloc.h"
#include "util/u_err.h"

void pt_init(struct pt *t, const struct pt_config *cfg)
{
	struct panthor_device_config dc = { .memory_bytes = 256 * MiB, .timeout_us = 5000000 };

	if (cfg) {
		if (cfg->memory)
			dc.memory_bytes = cfg->memory;
		dc.hw = cfg->hw;
		dc.swap_bytes = cfg->swap;
		if (cfg->timeout_us)
			dc.timeout_us = cfg->timeout_us;
	}
	t->ptdev = panthor_device_create(&dc);
	T_ASSERT_MSG(!IS_ERR(t->ptdev), "panthor_device_create: %ld", PTR_ERR(t->ptdev));
	hw_checker_set_mode(t->ptdev->hw, HW_CHECK_COUNT);
	t->pfile = panthor_file_open(t->ptdev);
	T_ASSERT_MSG(!IS_ERR(t->pfile), "panthor_file_open: %ld", PTR_ERR(t->pfile));
}

void pt_fini_ex(struct pt *t, bool allow_violations)
{
	unsigned long violations = hw_checker_violations(t->ptdev->hw);

	if (violations && !allow_violations)
		pt_dump_reports(t);
	panthor_file_close(t->pfile);
	panthor_device_destroy(t->ptdev);
	t->pfile = NULL;
	t->ptdev = NULL;
	T_ASSERT_OK(mm_validate());
	if (!allow_violations)
		T_ASSERT_EQ_INT(violations, 0);
}

void pt_fini(struct pt *t)
{
	pt_fini_ex(t, false);
}

uint32_t pt_vm_create(struct pt *t)
{
	struct panthor_vm_create_args args = { 0 };
	int ret = panthor_vm_pool_create_vm(t->ptdev, &t->pfile->vms, &args);

	T_ASSERT_MSG(ret > 0, "VM_CREATE: %d", ret);
	return (uint32_t)ret;
}

struct panthor_vm *pt_vm(struct pt *t, uint32_t id)
{
	struct panthor_vm *vm = panthor_vm_pool_get_vm(&t->pfile->vms, id);

	T_ASSERT_NOT_NULL(vm);
	return vm;
}

uint32_t pt_bo_create(struct pt *t, uint64_t size, uint32_t exclusive_vm)
{
	uint32_t handle = 0;

	T_ASSERT_OK(panthor_file_bo_create(t->pfile, &size, 0, exclusive_vm, &handle));
	return handle;
}

struct panthor_gem_object *pt_bo(struct pt *t, uint32_t handle)
{
	struct panthor_gem_object *bo = panthor_file_bo_lookup(t->pfile, handle);

	T_ASSERT_NOT_NULL(bo);
	return bo;
}

void pt_bo_fill(struct pt *t, uint32_t handle, uint32_t tag)
{
	struct panthor_gem_object *bo = pt_bo(t, handle);
	uint64_t chunk = 64 * 1024;
	uint64_t *buf = malloc(chunk);

	T_ASSERT_NOT_NULL(buf);
	for (uint64_t off = 0; off < bo->size; off += chunk) {
		uint64_t n = bo->size - off < chunk ? bo->size - off : chunk;

		for (uint64_t i = 0; i < n / 8; i++)
			buf[i] = pt_word(tag, off + i * 8);
		T_ASSERT_OK(panthor_gem_cpu_access(bo, off, buf, n, true));
	}
	free(buf);
	panthor_gem_put(bo);
}

int pt_op(struct pt *t, uint32_t vm, uint32_t flags, uint32_t bo, uint64_t bo_offset, uint64_t va,
	  uint64_t size)
{
	struct panthor_vm_bind_op_args op = {
		.flags = flags,
		.bo_handle = bo,
		.bo_offset = bo_offset,
		.va = va,
		.size = size,
	};
	uint32_t count = 1;

	return panthor_vm_bind(t->pfile, vm, 0, &op, &count);
}

int pt_map(struct pt *t, uint32_t vm, uint32_t bo, uint64_t bo_offset, uint64_t va, uint64_t size)
{
	return pt_op(t, vm, PT_MAP, bo, bo_offset, va, size);
}

int pt_unmap(struct pt *t, uint32_t vm, uint64_t va, uint64_t size)
{
	return pt_op(t, vm, PT_UNMAP, 0, 0, va, size);
}

int pt_sparse(struct pt *t, uint32_t vm, uint64_t va, uint64_t size)
{
	return pt_op(t, vm, PT_SPARSE, 0, 0, va, size);
}

int pt_read64(struct pt *t, uint32_t vm_id, uint64_t va, uint64_t *val)
{
	struct panthor_vm *vm = pt_vm(t, vm_id);
	int ret = panthor_vm_gpu_read(vm, va, val, 8, NULL);

	panthor_vm_put(vm);
	return ret;
}

void pt_expect_word_at(struct pt *t, uint32_t vm, uint64_t va, uint64_t want, const char *file,
		       int line)
{
	uint64_t got = 0;
	int ret = pt_read64(t, vm, va, &got);

	if (ret)
		t_fail(file, line, "GPU read at 0x%" PRIx64 ": %d (%s)", va, ret, t_errname(-ret));
	if (got != want)
		t_fail(file, line, "GPU read at 0x%" PRIx64 ": 0x%" PRIx64 ", expected 0x%" PRIx64,
		       va, got, want);
}

void pt_validate(struct pt *t, uint32_t vm_id)
{
	struct panthor_vm *vm = pt_vm(t, vm_id);
	int ret = panthor_vm_validate(vm);

	panthor_vm_put(vm);
	T_ASSERT_OK(ret);
	T_ASSERT_OK(mm_validate());
}

long pt_frames(struct pt *t)
{
	return (long)mm_budget_used(t->ptdev->budget) - (long)panthor_mmu_pt_pool_frames(t->ptdev);
}

void pt_dump_reports(struct pt *t)
{
	static struct hw_report r[16];
	char buf[768];
	unsigned int n = hw_checker_reports(t->ptdev->hw, r, 16);

	for (unsigned int i = 0; i < n; i++)
		t_note("%s", hw_report_format(&r[i], buf, sizeof(buf)));
}
