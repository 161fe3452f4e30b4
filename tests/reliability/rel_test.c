// SPDX-License-Identifier: MIT
/*
 * Helpers of the reliability suite (rel_test.h).
 */
#include "rel_test.h"
#include "rel_leaves.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "t_harness.h"
#include "hw/hw.h"
#include "mm/mm.h"
#include "panthor/panthor_debug.h"
#include "panthor/panthor_device.h"
#include "panthor/panthor_file.h"
#include "panthor/panthor_mmu.h"

int rel_ioctl(struct rel_world *w, int i, unsigned long req, void *arg)
{
	return pantomime_ioctl(w->f[i].file, req, arg);
}

uint32_t rel_bo_create(struct rel_world *w, int i, uint64_t size, uint32_t flags, uint32_t excl_vm)
{
	struct drm_panthor_bo_create c = { .size = size, .flags = flags, .exclusive_vm_id = excl_vm };

	T_ASSERT_OK(rel_ioctl(w, i, DRM_IOCTL_PANTHOR_BO_CREATE, &c));
	return c.handle;
}

uint32_t rel_vm_create(struct rel_world *w, int i)
{
	struct drm_panthor_vm_create c = { 0 };

	T_ASSERT_OK(rel_ioctl(w, i, DRM_IOCTL_PANTHOR_VM_CREATE, &c));
	return c.id;
}

int rel_gem_close(struct rel_world *w, int i, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return rel_ioctl(w, i, DRM_IOCTL_GEM_CLOSE, &c);
}

int rel_bind(struct rel_world *w, int i, uint32_t vm, uint32_t flags, uint32_t bo,
	     uint64_t bo_offset, uint64_t va, uint64_t size, bool async, uint32_t syncobj)
{
	struct drm_panthor_sync_op sync = {
		.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
		.handle = syncobj,
	};
	struct drm_panthor_vm_bind_op op = {
		.flags = flags, .bo_handle = bo, .bo_offset = bo_offset, .va = va, .size = size,
	};
	struct drm_panthor_vm_bind b = {
		.vm_id = vm, .flags = async ? DRM_PANTHOR_VM_BIND_ASYNC : 0,
		.ops = { .stride = sizeof(op), .count = 1, .array = (uintptr_t)&op },
	};

	if (async && syncobj) {
		op.syncs.stride = sizeof(sync);
		op.syncs.count = 1;
		op.syncs.array = (uintptr_t)&sync;
	}
	return rel_ioctl(w, i, DRM_IOCTL_PANTHOR_VM_BIND, &b);
}

static uint64_t *bo_map(struct rel_world *w, int i, uint32_t bo, uint64_t size)
{
	struct drm_panthor_bo_mmap_offset mo = { .handle = bo };
	void *p;

	T_ASSERT_OK(rel_ioctl(w, i, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo));
	T_ASSERT_OK(pantomime_mmap(w->f[i].file, NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
				   mo.offset, &p));
	return p;
}

void rel_bo_write(struct rel_world *w, int i, uint32_t bo, uint64_t size, uint32_t tag)
{
	uint64_t *p = bo_map(w, i, bo, size);

	for (uint64_t off = 0; off < size; off += 8)
		p[off / 8] = rel_word(tag, off);
	T_ASSERT_OK(pantomime_munmap(p, size));
}

void rel_bo_check(struct rel_world *w, int i, uint32_t bo, uint64_t size, uint32_t tag)
{
	uint64_t *p = bo_map(w, i, bo, size);

	for (uint64_t off = 0; off < size; off += 8)
		if (p[off / 8] != rel_word(tag, off))
			t_fail(__FILE__, __LINE__, "file %d BO %u word 0x%" PRIx64 ": 0x%" PRIx64
			       ", expected 0x%" PRIx64, i, bo, off, p[off / 8], rel_word(tag, off));
	T_ASSERT_OK(pantomime_munmap(p, size));
}

static struct panthor_vm *get_vm(struct rel_world *w, int i, uint32_t id)
{
	struct panthor_file *pfile = pantomime_debug_pfile(w->f[i].file);

	return panthor_vm_pool_get_vm(&pfile->vms, id);
}

int rel_gpu_read(struct rel_world *w, int i, uint32_t id, uint64_t va, uint64_t *val)
{
	struct panthor_vm *vm = get_vm(w, i, id);
	int ret;

	T_ASSERT_NOT_NULL(vm);
	ret = panthor_vm_gpu_read(vm, va, val, 8, NULL);
	panthor_vm_put(vm);
	return ret;
}

int rel_gpu_write(struct rel_world *w, int i, uint32_t id, uint64_t va, uint64_t val)
{
	struct panthor_vm *vm = get_vm(w, i, id);
	int ret;

	T_ASSERT_NOT_NULL(vm);
	ret = panthor_vm_gpu_write(vm, va, &val, 8, NULL);
	panthor_vm_put(vm);
	return ret;
}

uint32_t rel_vm_state(struct rel_world *w, int i, uint32_t vm)
{
	struct drm_panthor_vm_get_state s = { .vm_id = vm };

	T_ASSERT_OK(rel_ioctl(w, i, DRM_IOCTL_PANTHOR_VM_GET_STATE, &s));
	return s.state;
}

unsigned long rel_checker_violations(struct rel_world *w)
{
	return hw_checker_violations(pantomime_debug_ptdev(w->dev)->hw);
}

long rel_frames(struct rel_world *w)
{
	struct panthor_device *ptdev = pantomime_debug_ptdev(w->dev);

	return (long)mm_budget_used(ptdev->budget) - (long)panthor_mmu_pt_pool_frames(ptdev);
}

static void witness_init(struct rel_world *w, int i)
{
	struct rel_file *f = &w->f[i];

	f->tag = 0x51 + (uint32_t)i;
	f->vm = rel_vm_create(w, i);
	f->witness = rel_bo_create(w, i, REL_WITNESS_SIZE, 0, 0);
	f->map = bo_map(w, i, f->witness, REL_WITNESS_SIZE);
	for (uint64_t off = 0; off < REL_WITNESS_SIZE; off += 8)
		f->map[off / 8] = rel_word(f->tag, off);
	T_ASSERT_OK(rel_bind(w, i, f->vm, DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, f->witness, 0,
			     REL_WITNESS_VA, REL_WITNESS_SIZE, false, 0));
}

void rel_world_init(struct rel_world *w, uint64_t memory, uint64_t swap)
{
	struct pantomime_config cfg;

	memset(w, 0, sizeof(*w));
	pantomime_config_default(&cfg);
	cfg.memory_bytes = memory;
	cfg.swap_bytes = swap;
	T_ASSERT_OK(pantomime_device_create(&cfg, &w->dev));
	w->base_frames = rel_frames(w);
	for (int i = 0; i < 2; i++) {
		T_ASSERT_OK(pantomime_file_open(w->dev, true, &w->f[i].file));
		witness_init(w, i);
	}
	rel_world_check(w);
}

void rel_check_file(struct rel_world *w, struct rel_file *f)
{
	int i = (int)(f - w->f);
	uint64_t offs[3] = { 0, REL_WITNESS_SIZE / 2 + 8, REL_WITNESS_SIZE - 8 };

	for (uint32_t id = 1; id <= PANTHOR_MAX_VMS_PER_FILE; id++) {
		struct panthor_vm *vm = get_vm(w, i, id);
		int ret;

		if (!vm)
			continue;
		ret = panthor_vm_validate(vm);
		panthor_vm_put(vm);
		T_ASSERT_MSG(ret == 0, "file %d VM %u: validate %d", i, id, ret);
	}
	for (uint64_t off = 0; off < REL_WITNESS_SIZE; off += 8)
		if (f->map[off / 8] != rel_word(f->tag, off))
			t_fail(__FILE__, __LINE__, "file %d witness word 0x%" PRIx64 " changed: 0x%"
			       PRIx64, i, off, f->map[off / 8]);
	if (rel_vm_state(w, i, f->vm) != DRM_PANTHOR_VM_STATE_USABLE)
		return;
	for (int k = 0; k < 3; k++) {
		uint64_t v = 0;

		T_ASSERT_OK(rel_gpu_read(w, i, f->vm, REL_WITNESS_VA + offs[k], &v));
		T_ASSERT_EQ_U64(v, rel_word(f->tag, offs[k]));
	}
}

void rel_world_check(struct rel_world *w)
{
	unsigned long v;

	for (int i = 0; i < 2; i++) {
		char why[256];

		if (!w->f[i].file)
			continue;
		rel_check_file(w, &w->f[i]);
		T_ASSERT_MSG(!rel_check_leaves(w->f[i].file, w->f[!i].file, NULL, why, sizeof(why)),
			     "file %d: %s", i, why);
	}
	T_ASSERT_OK(mm_validate());
	v = rel_checker_violations(w);
	if (v) {
		FILE *out = stderr;

		pantomime_dump(w->dev, PANTOMIME_VIEW_CHECKER, out);	/* stderr: not TAP */
		t_fail(__FILE__, __LINE__, "checker: %lu violations", v);
	}
}

void rel_world_fini(struct rel_world *w)
{
	rel_world_check(w);
	for (int i = 1; i >= 0; i--) {
		if (!w->f[i].file)
			continue;
		T_ASSERT_OK(pantomime_munmap(w->f[i].map, REL_WITNESS_SIZE));
		pantomime_file_close(w->f[i].file);
		w->f[i].file = NULL;
	}
	/* A closed file gives back every frame it held. */
	T_ASSERT_EQ_INT(rel_frames(w), w->base_frames);
	T_ASSERT_EQ_INT(rel_checker_violations(w), 0);
	pantomime_device_destroy(w->dev);
	w->dev = NULL;
	T_ASSERT_OK(mm_validate());
}
