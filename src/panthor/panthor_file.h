/* SPDX-License-Identifier: MIT */
/*
 * Per-open-file state: the file's VMs (ids 1..32), its BO handles, its
 * syncobj handles (DRM core keeps those per file too), and its sparse dummy
 * BO. The ioctl layer will reuse it; until then tests drive the driver with
 * handles exactly as the uAPI does.
 */
#ifndef PANTOMIME_PANTHOR_FILE_H
#define PANTOMIME_PANTHOR_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "dma/syncobj.h"
#include "panthor/panthor_device.h"
#include "panthor/panthor_mmu.h"

struct panthor_gem_object;
struct panthor_group_pool;

/**
 * struct panthor_handle_table - non-zero handles to objects (a DRM idr).
 * Lock class "panthor_file_handles" (a leaf: held only to look up, insert
 * or remove, and to take a reference on the object found).
 * @lock: protects @slots and @cap.
 * @slots: slot i holds handle i + 1, NULL when free.
 * @cap: entries of @slots.
 */
struct panthor_handle_table {
	struct u_mutex lock;
	void **slots;
	uint32_t cap;
};

/**
 * struct panthor_file - an open file.
 * Set once at open: @ptdev, @dummy.
 * @ptdev: the device.
 * @vms: the file's VMs.
 * @bos: BO handles (each holds a BO reference).
 * @syncobjs: syncobj handles (each holds a syncobj reference).
 * @groups: the file's groups (panthor_sched.c).
 * @dummy: the sparse dummy BO: 2 MiB, never exported, backing allocated at
 *         the first sparse map, shared by every VM of the file and by no
 *         other file (GPU writes to sparse ranges land in it).
 */
struct panthor_file {
	struct panthor_device *ptdev;
	struct panthor_vm_pool vms;
	struct panthor_handle_table bos;
	struct panthor_handle_table syncobjs;
	struct panthor_group_pool *groups;
	struct panthor_gem_object *dummy;
};

/**
 * panthor_file_open() - a new file on @ptdev.
 * @ptdev: the device.
 * Return: the file, or ERR_PTR(-ENOMEM).
 */
struct panthor_file *panthor_file_open(struct panthor_device *ptdev);

/**
 * panthor_file_close() - destroy the file's VMs, drop its handles and dummy.
 * @pfile: the file or NULL.
 */
void panthor_file_close(struct panthor_file *pfile);

/**
 * panthor_file_bo_create() - BO_CREATE.
 * @pfile: the file.
 * @size: in: requested size; out: the size allocated (rounded to 4 KiB).
 * @flags: DRM_PANTHOR_BO_NO_MMAP and/or DRM_PANTHOR_BO_WB_MMAP (not both).
 * @exclusive_vm_id: 0, or a VM of the file whose resv the BO shares.
 * @handle: out: the new handle (non-zero).
 * Return: 0; -EINVAL for a zero size, unknown or conflicting flags, an
 * unknown VM; -ENOMEM.
 */
int panthor_file_bo_create(struct panthor_file *pfile, uint64_t *size, uint32_t flags,
			   uint32_t exclusive_vm_id, uint32_t *handle);

/**
 * panthor_file_bo_lookup() - the BO behind @handle.
 * @pfile: the file.
 * @handle: the handle.
 * Return: the BO with a new reference, or NULL.
 */
struct panthor_gem_object *panthor_file_bo_lookup(struct panthor_file *pfile, uint32_t handle);

/**
 * panthor_file_bo_close() - GEM_CLOSE: drop the handle's reference.
 * @pfile: the file.
 * @handle: the handle.
 * Return: 0, or -EINVAL for an unknown handle.
 */
int panthor_file_bo_close(struct panthor_file *pfile, uint32_t handle);

/**
 * panthor_file_bo_find_or_add() - the handle of the first BO of @pfile for
 * which @match is true; if there is none, a new handle for @bo (which then
 * gets a reference of its own). Atomic: two callers never add twice.
 * @pfile: the file.
 * @match: the predicate (called under the handle lock: no locking inside).
 * @arg: passed to @match.
 * @bo: the BO to add, or NULL to only look.
 * @handle: receives the handle.
 * Return: 1 (found), 0 (added), -ENOENT (none and @bo NULL), -ENOMEM.
 */
int panthor_file_bo_find_or_add(struct panthor_file *pfile,
				 bool (*match)(struct panthor_gem_object *bo, void *arg), void *arg,
				 struct panthor_gem_object *bo, uint32_t *handle);

/**
 * panthor_file_syncobj_create() - SYNCOBJ_CREATE.
 * @pfile: the file.
 * @flags: 0 or DRM_SYNCOBJ_CREATE_SIGNALED.
 * @handle: out: the handle.
 * Return: 0, -EINVAL for unknown flags, -ENOMEM.
 */
int panthor_file_syncobj_create(struct panthor_file *pfile, uint32_t flags, uint32_t *handle);

/**
 * panthor_file_syncobj_install() - a new handle for an existing syncobj
 * (SYNCOBJ_FD_TO_HANDLE of a syncobj fd).
 * @pfile: the file.
 * @syncobj: the syncobj; the handle takes its own reference.
 * @handle: out: the handle.
 * Return: 0 or -ENOMEM.
 */
int panthor_file_syncobj_install(struct panthor_file *pfile, struct drm_syncobj *syncobj,
				 uint32_t *handle);

/**
 * panthor_file_syncobj_lookup() - the syncobj behind @handle.
 * @pfile: the file.
 * @handle: the handle.
 * Return: the syncobj with a new reference, or NULL.
 */
struct drm_syncobj *panthor_file_syncobj_lookup(struct panthor_file *pfile, uint32_t handle);

/**
 * panthor_file_syncobj_destroy() - SYNCOBJ_DESTROY.
 * @pfile: the file.
 * @handle: the handle.
 * Return: 0, or -EINVAL for an unknown handle.
 */
int panthor_file_syncobj_destroy(struct panthor_file *pfile, uint32_t handle);

#endif
