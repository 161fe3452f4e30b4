// SPDX-License-Identifier: MIT
/*
 * DOC: per-file state
 *
 * Handles are small integers from 1, the lowest free one first (DRM's idr
 * and xarray hand them out the same way), kept in a growing array: files
 * hold tens to thousands of objects and look them up on every ioctl, so an
 * array indexed by handle beats a tree. Each handle owns one reference.
 *
 * The sparse dummy is created with the file, without backing: a file that
 * never maps sparse ranges never pays for its 2 MiB. Upstream allocates it
 * per file for the same reason given in §1.8: GPU writes to a sparse range
 * land in it and must not reach another process.
 */
#include "panthor/panthor_file.h"
#include "panthor/panthor_sched.h"

#include <errno.h>

#include "panthor/panthor_gem.h"
#include "uapi/drm/panthor_drm.h"
#include "util/u_alloc.h"
#include "util/u_err.h"

static U_LOCK_CLASS(panthor_file_handles_class, "panthor_file_handles");

static void handle_table_init(struct panthor_handle_table *t)
{
	u_mutex_init(&t->lock, &panthor_file_handles_class);
	t->slots = NULL;
	t->cap = 0;
}

static int handle_alloc_locked(struct panthor_handle_table *t, void *obj, uint32_t *handle)
{
	uint32_t i;

	for (i = 0; i < t->cap && t->slots[i]; i++)
		;
	if (i == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;
		void **slots = u_realloc(t->slots, cap * sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		for (uint32_t j = t->cap; j < cap; j++)
			slots[j] = NULL;
		t->slots = slots;
		t->cap = cap;
	}
	t->slots[i] = obj;
	*handle = i + 1;
	return 0;
}

static int handle_alloc(struct panthor_handle_table *t, void *obj, uint32_t *handle)
{
	int ret;

	u_mutex_lock(&t->lock);
	ret = handle_alloc_locked(t, obj, handle);
	u_mutex_unlock(&t->lock);
	return ret;
}

/* Remove @handle; Return: the object it held, NULL for an unknown handle. */
static void *handle_remove(struct panthor_handle_table *t, uint32_t handle)
{
	void *obj = NULL;

	u_mutex_lock(&t->lock);
	if (handle && handle <= t->cap) {
		obj = t->slots[handle - 1];
		t->slots[handle - 1] = NULL;
	}
	u_mutex_unlock(&t->lock);
	return obj;
}

struct panthor_file *panthor_file_open(struct panthor_device *ptdev)
{
	struct panthor_file *pfile = u_zalloc(sizeof(*pfile));

	if (!pfile)
		return ERR_PTR(-ENOMEM);
	pfile->ptdev = ptdev;
	pfile->dummy = panthor_gem_create(ptdev, PANTHOR_SPARSE_DUMMY_SIZE, DRM_PANTHOR_BO_NO_MMAP,
					  NULL, PANTHOR_BO_USAGE_DUMMY);
	if (IS_ERR(pfile->dummy)) {
		long err = PTR_ERR(pfile->dummy);

		u_free(pfile);
		return ERR_PTR(err);
	}
	if (panthor_group_pool_create(pfile)) {
		panthor_gem_put(pfile->dummy);
		u_free(pfile);
		return ERR_PTR(-ENOMEM);
	}
	panthor_vm_pool_init(&pfile->vms);
	handle_table_init(&pfile->bos);
	handle_table_init(&pfile->syncobjs);
	return pfile;
}

void panthor_file_close(struct panthor_file *pfile)
{
	if (!pfile)
		return;
	/* Groups first: their jobs run on the VMs and hold references on them. */
	panthor_group_pool_destroy(pfile);
	/* Then VMs: unmapping everything drops the vm_bos' BO references. */
	panthor_vm_pool_fini(&pfile->vms);
	for (uint32_t i = 0; i < pfile->bos.cap; i++)
		panthor_gem_put(pfile->bos.slots[i]);
	for (uint32_t i = 0; i < pfile->syncobjs.cap; i++)
		drm_syncobj_put(pfile->syncobjs.slots[i]);
	u_free(pfile->bos.slots);
	u_free(pfile->syncobjs.slots);
	u_mutex_fini(&pfile->bos.lock);
	u_mutex_fini(&pfile->syncobjs.lock);
	panthor_gem_put(pfile->dummy);
	u_free(pfile);
}

int panthor_file_bo_create(struct panthor_file *pfile, uint64_t *size, uint32_t flags,
			   uint32_t exclusive_vm_id, uint32_t *handle)
{
	struct panthor_vm *vm = NULL;
	struct panthor_gem_object *bo;
	int ret;

	if (!*size || (flags & ~(uint32_t)(DRM_PANTHOR_BO_NO_MMAP | DRM_PANTHOR_BO_WB_MMAP)))
		return -EINVAL;
	if ((flags & DRM_PANTHOR_BO_NO_MMAP) && (flags & DRM_PANTHOR_BO_WB_MMAP))
		return -EINVAL;
	if (exclusive_vm_id) {
		vm = panthor_vm_pool_get_vm(&pfile->vms, exclusive_vm_id);
		if (!vm)
			return -EINVAL;
	}

	bo = panthor_gem_create(pfile->ptdev, *size, flags, vm, 0);
	panthor_vm_put(vm);
	if (IS_ERR(bo))
		return (int)PTR_ERR(bo);

	ret = handle_alloc(&pfile->bos, bo, handle);
	if (ret) {
		panthor_gem_put(bo);
		return ret;
	}
	*size = bo->size;
	return 0;
}

struct panthor_gem_object *panthor_file_bo_lookup(struct panthor_file *pfile, uint32_t handle)
{
	struct panthor_gem_object *bo = NULL;

	u_mutex_lock(&pfile->bos.lock);
	if (handle && handle <= pfile->bos.cap && pfile->bos.slots[handle - 1])
		bo = panthor_gem_get(pfile->bos.slots[handle - 1]);
	u_mutex_unlock(&pfile->bos.lock);
	return bo;
}

int panthor_file_bo_find_or_add(struct panthor_file *pfile,
				 bool (*match)(struct panthor_gem_object *bo, void *arg), void *arg,
				 struct panthor_gem_object *bo, uint32_t *handle)
{
	struct panthor_handle_table *t = &pfile->bos;
	int ret;

	u_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < t->cap; i++) {
		if (t->slots[i] && match(t->slots[i], arg)) {
			*handle = i + 1;
			u_mutex_unlock(&t->lock);
			return 1;
		}
	}
	if (!bo) {
		u_mutex_unlock(&t->lock);
		return -ENOENT;
	}
	ret = handle_alloc_locked(t, panthor_gem_get(bo), handle);
	u_mutex_unlock(&t->lock);
	if (ret)
		panthor_gem_put(bo);
	return ret;
}

int panthor_file_bo_close(struct panthor_file *pfile, uint32_t handle)
{
	struct panthor_gem_object *bo = handle_remove(&pfile->bos, handle);

	if (!bo)
		return -EINVAL;
	panthor_gem_put(bo);
	return 0;
}

int panthor_file_syncobj_create(struct panthor_file *pfile, uint32_t flags, uint32_t *handle)
{
	struct drm_syncobj *syncobj = drm_syncobj_create(flags, NULL);
	int ret;

	if (IS_ERR(syncobj))
		return (int)PTR_ERR(syncobj);
	ret = handle_alloc(&pfile->syncobjs, syncobj, handle);
	if (ret)
		drm_syncobj_put(syncobj);
	return ret;
}

int panthor_file_syncobj_install(struct panthor_file *pfile, struct drm_syncobj *syncobj,
				 uint32_t *handle)
{
	int ret = handle_alloc(&pfile->syncobjs, drm_syncobj_get(syncobj), handle);

	if (ret)
		drm_syncobj_put(syncobj);
	return ret;
}

struct drm_syncobj *panthor_file_syncobj_lookup(struct panthor_file *pfile, uint32_t handle)
{
	struct drm_syncobj *syncobj = NULL;

	u_mutex_lock(&pfile->syncobjs.lock);
	if (handle && handle <= pfile->syncobjs.cap && pfile->syncobjs.slots[handle - 1])
		syncobj = drm_syncobj_get(pfile->syncobjs.slots[handle - 1]);
	u_mutex_unlock(&pfile->syncobjs.lock);
	return syncobj;
}

int panthor_file_syncobj_destroy(struct panthor_file *pfile, uint32_t handle)
{
	struct drm_syncobj *syncobj = handle_remove(&pfile->syncobjs, handle);

	if (!syncobj)
		return -EINVAL;
	drm_syncobj_put(syncobj);
	return 0;
}
