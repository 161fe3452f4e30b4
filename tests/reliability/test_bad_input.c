// SPDX-License-Identifier: MIT
/*
 * reliability suite, the bad-input table: for every implemented ioctl, each
 * field given the invalid values the kernel refuses (unknown flags, non-zero
 * pad, misaligned va/size/offset, overflow, out of range, wrong or foreign
 * handles, short and oversized strides, NULL and wild user pointers). Each
 * row starts from a valid argument (make_arg()), changes one or two fields,
 * and asserts the kernel's exact errno and that nothing changed: the VM and
 * page-table dump views, the file's handle, VM and syncobj counts, the
 * syncobjs' fences, a BO's label, the heap block count, the frames in use
 * and the checker's count are compared before and after. Sources of the
 * errnos: reference/panthor-uapi-mmu.md §1 and the DRM core.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rel_test.h"
#include "t_harness.h"
#include "dma/dma_fence.h"
#include "dma/sync_file.h"
#include "dma/syncobj.h"
#include "panthor/panthor_debug.h"
#include "panthor/panthor_file.h"
#include "panthor/panthor_gem.h"
#include "panthor/panthor_mmu.h"
#include "util/u_alloc.h"

#define WILD 0xdead000000000ull
#define MAP DRM_PANTHOR_VM_BIND_OP_TYPE_MAP
#define UNMAP DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP
#define SYNC_ONLY DRM_PANTHOR_VM_BIND_OP_TYPE_SYNC_ONLY
#define SIGNAL_SYNCOBJ (DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ)

/* Values resolved at run time to the context's objects. */
#define S_NOMMAP_BO 0xfffffff1ull	/* a NO_MMAP BO */
#define S_NOFENCE 0xfffffff2ull	/* a syncobj without a fence */
#define S_EXCL_BO 0xfffffff3ull	/* a BO exclusive to another VM */
#define S_LONG_LABEL 0xfffffff4ull	/* a 5000-byte string */
#define S_BO_SIZE 0xfffffff5ull	/* the size of the mapped BO */

/**
 * enum target - which buffer a change applies to.
 * @ARG: the ioctl's argument struct.
 * @OP: the first VM_BIND op.
 * @SYNC: the first sync op of that VM_BIND op.
 * @BOSYNC: the first BO_SYNC op.
 * @HANDLES: the first entry of a syncobj handle array.
 */
enum target { ARG, OP, SYNC, BOSYNC, HANDLES };

struct change {
	enum target target;
	uint16_t off;
	uint16_t size;
	uint64_t value;
};

struct bad {
	const char *what;
	unsigned long req;
	bool async;		/* VM_BIND: the valid form is the async one */
	struct change c[3];
	int err;
};

#define F(type, field) offsetof(struct type, field), sizeof(((struct type *)0)->field)
#define C(tgt, type, field, v) { tgt, F(type, field), (uint64_t)(v) }

static const struct bad rows[] = {
	/* DRM core */
	{ "VERSION name wild", DRM_IOCTL_VERSION, false,
	  { C(ARG, drm_version, name_len, 8), C(ARG, drm_version, name, WILD) }, EFAULT },
	{ "VERSION desc wild", DRM_IOCTL_VERSION, false,
	  { C(ARG, drm_version, desc_len, 8), C(ARG, drm_version, desc, WILD) }, EFAULT },
	{ "GET_CAP unknown cap", DRM_IOCTL_GET_CAP, false,
	  { C(ARG, drm_get_cap, capability, 0x1234) }, EOPNOTSUPP },
	{ "SET_CLIENT_CAP on a render node", DRM_IOCTL_SET_CLIENT_CAP, false,
	  { C(ARG, drm_set_client_cap, capability, 1) }, EACCES },
	/* GEM_CLOSE, SYNCOBJ_WAIT and TIMELINE_WAIT do not look at pad (the DRM core). */
	{ "GEM_CLOSE handle 0", DRM_IOCTL_GEM_CLOSE, false, { C(ARG, drm_gem_close, handle, 0) },
	  EINVAL },
	{ "GEM_CLOSE unknown handle", DRM_IOCTL_GEM_CLOSE, false,
	  { C(ARG, drm_gem_close, handle, 999) }, EINVAL },
	{ "SYNCOBJ_CREATE unknown flag", DRM_IOCTL_SYNCOBJ_CREATE, false,
	  { C(ARG, drm_syncobj_create, flags, 2) }, EINVAL },
	{ "SYNCOBJ_CREATE high flag", DRM_IOCTL_SYNCOBJ_CREATE, false,
	  { C(ARG, drm_syncobj_create, flags, 0x80000000u) }, EINVAL },
	{ "SYNCOBJ_DESTROY pad", DRM_IOCTL_SYNCOBJ_DESTROY, false,
	  { C(ARG, drm_syncobj_destroy, pad, 1) }, EINVAL },
	{ "SYNCOBJ_DESTROY unknown", DRM_IOCTL_SYNCOBJ_DESTROY, false,
	  { C(ARG, drm_syncobj_destroy, handle, 999) }, EINVAL },
	{ "SYNCOBJ_DESTROY handle 0", DRM_IOCTL_SYNCOBJ_DESTROY, false,
	  { C(ARG, drm_syncobj_destroy, handle, 0) }, EINVAL },
	{ "HANDLE_TO_FD pad", DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, false,
	  { C(ARG, drm_syncobj_handle, pad, 1) }, EINVAL },
	{ "HANDLE_TO_FD unknown flag", DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, false,
	  { C(ARG, drm_syncobj_handle, flags, 1u << 5) }, EINVAL },
	{ "HANDLE_TO_FD unknown handle", DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, false,
	  { C(ARG, drm_syncobj_handle, handle, 999) }, ENOENT },
	{ "HANDLE_TO_FD no fence", DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, false,
	  { C(ARG, drm_syncobj_handle, handle, S_NOFENCE) }, EINVAL },
	{ "FD_TO_HANDLE pad", DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, false,
	  { C(ARG, drm_syncobj_handle, pad, 1) }, EINVAL },
	{ "FD_TO_HANDLE unknown flag", DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, false,
	  { C(ARG, drm_syncobj_handle, flags, 1u << 4) }, EINVAL },
	{ "FD_TO_HANDLE fd -1", DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, false,
	  { C(ARG, drm_syncobj_handle, fd, -1) }, EINVAL },
	{ "FD_TO_HANDLE fd not a sync file", DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, false,
	  { C(ARG, drm_syncobj_handle, fd, 0) }, EINVAL },
	{ "FD_TO_HANDLE unknown handle", DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, false,
	  { C(ARG, drm_syncobj_handle, handle, 999) }, ENOENT },
	{ "FD_TO_HANDLE bad fd before unknown handle", DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, false,
	  { C(ARG, drm_syncobj_handle, handle, 999), C(ARG, drm_syncobj_handle, fd, -1) }, EINVAL },
	/* SYNCOBJ_WAIT and TIMELINE_WAIT: drm_syncobj.c never looks at their pad (no row). */
	{ "SYNCOBJ_WAIT unknown flag", DRM_IOCTL_SYNCOBJ_WAIT, false,
	  { C(ARG, drm_syncobj_wait, flags, 1u << 7) }, EINVAL },
	{ "SYNCOBJ_WAIT WAIT_AVAILABLE (timeline only)", DRM_IOCTL_SYNCOBJ_WAIT, false,
	  { C(ARG, drm_syncobj_wait, flags, 1u << 2) }, EINVAL },
	{ "SYNCOBJ_WAIT handles wild", DRM_IOCTL_SYNCOBJ_WAIT, false,
	  { C(ARG, drm_syncobj_wait, handles, WILD) }, EFAULT },
	{ "SYNCOBJ_WAIT handles NULL", DRM_IOCTL_SYNCOBJ_WAIT, false,
	  { C(ARG, drm_syncobj_wait, handles, 0) }, EFAULT },
	{ "SYNCOBJ_WAIT more handles than kmalloc gives", DRM_IOCTL_SYNCOBJ_WAIT, false,
	  { C(ARG, drm_syncobj_wait, count_handles, 0x80001) }, ENOMEM },
	{ "SYNCOBJ_SIGNAL 2^32-1 handles", DRM_IOCTL_SYNCOBJ_SIGNAL, false,
	  { C(ARG, drm_syncobj_array, count_handles, 0xffffffffu) }, ENOMEM },
	{ "SYNCOBJ_WAIT unknown handle", DRM_IOCTL_SYNCOBJ_WAIT, false,
	  { { HANDLES, 0, 4, 999 } }, ENOENT },
	{ "SYNCOBJ_WAIT no fence, no WAIT_FOR_SUBMIT", DRM_IOCTL_SYNCOBJ_WAIT, false,
	  { { HANDLES, 0, 4, S_NOFENCE } }, EINVAL },
	{ "SYNCOBJ_RESET pad", DRM_IOCTL_SYNCOBJ_RESET, false,
	  { C(ARG, drm_syncobj_array, pad, 1) }, EINVAL },
	{ "SYNCOBJ_RESET no handles", DRM_IOCTL_SYNCOBJ_RESET, false,
	  { C(ARG, drm_syncobj_array, count_handles, 0) }, EINVAL },
	{ "SYNCOBJ_RESET handles wild", DRM_IOCTL_SYNCOBJ_RESET, false,
	  { C(ARG, drm_syncobj_array, handles, WILD) }, EFAULT },
	{ "SYNCOBJ_RESET unknown handle", DRM_IOCTL_SYNCOBJ_RESET, false,
	  { { HANDLES, 0, 4, 999 } }, ENOENT },
	{ "SYNCOBJ_SIGNAL pad", DRM_IOCTL_SYNCOBJ_SIGNAL, false,
	  { C(ARG, drm_syncobj_array, pad, 1) }, EINVAL },
	{ "SYNCOBJ_SIGNAL no handles", DRM_IOCTL_SYNCOBJ_SIGNAL, false,
	  { C(ARG, drm_syncobj_array, count_handles, 0) }, EINVAL },
	{ "SYNCOBJ_SIGNAL handles NULL", DRM_IOCTL_SYNCOBJ_SIGNAL, false,
	  { C(ARG, drm_syncobj_array, handles, 0) }, EFAULT },
	{ "SYNCOBJ_SIGNAL unknown handle", DRM_IOCTL_SYNCOBJ_SIGNAL, false,
	  { { HANDLES, 0, 4, 999 } }, ENOENT },
	{ "TIMELINE_WAIT unknown flag", DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, false,
	  { C(ARG, drm_syncobj_timeline_wait, flags, 1u << 9) }, EINVAL },
	{ "TIMELINE_WAIT points wild", DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, false,
	  { C(ARG, drm_syncobj_timeline_wait, points, WILD) }, EFAULT },
	{ "TIMELINE_WAIT handles wild", DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, false,
	  { C(ARG, drm_syncobj_timeline_wait, handles, WILD) }, EFAULT },
	{ "QUERY unknown flag", DRM_IOCTL_SYNCOBJ_QUERY, false,
	  { C(ARG, drm_syncobj_timeline_array, flags, 2) }, EINVAL },
	{ "QUERY no handles", DRM_IOCTL_SYNCOBJ_QUERY, false,
	  { C(ARG, drm_syncobj_timeline_array, count_handles, 0) }, EINVAL },
	{ "QUERY points wild", DRM_IOCTL_SYNCOBJ_QUERY, false,
	  { C(ARG, drm_syncobj_timeline_array, points, WILD) }, EFAULT },
	{ "QUERY unknown handle", DRM_IOCTL_SYNCOBJ_QUERY, false,
	  { { HANDLES, 0, 4, 999 } }, ENOENT },
	{ "TIMELINE_SIGNAL flags", DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, false,
	  { C(ARG, drm_syncobj_timeline_array, flags, 1) }, EINVAL },
	{ "TIMELINE_SIGNAL no handles", DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, false,
	  { C(ARG, drm_syncobj_timeline_array, count_handles, 0) }, EINVAL },
	{ "TIMELINE_SIGNAL points wild", DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, false,
	  { C(ARG, drm_syncobj_timeline_array, points, WILD) }, EFAULT },
	{ "TRANSFER pad", DRM_IOCTL_SYNCOBJ_TRANSFER, false,
	  { C(ARG, drm_syncobj_transfer, pad, 1) }, EINVAL },
	{ "TRANSFER unknown flag", DRM_IOCTL_SYNCOBJ_TRANSFER, false,
	  { C(ARG, drm_syncobj_transfer, flags, 1u << 3) }, EINVAL },
	{ "TRANSFER unknown src", DRM_IOCTL_SYNCOBJ_TRANSFER, false,
	  { C(ARG, drm_syncobj_transfer, src_handle, 999) }, ENOENT },
	{ "TRANSFER unknown dst", DRM_IOCTL_SYNCOBJ_TRANSFER, false,
	  { C(ARG, drm_syncobj_transfer, dst_handle, 999) }, ENOENT },

	/* panthor: queries, VMs */
	{ "DEV_QUERY unknown type", DRM_IOCTL_PANTHOR_DEV_QUERY, false,
	  { C(ARG, drm_panthor_dev_query, type, 99) }, EINVAL },
	{ "DEV_QUERY short size", DRM_IOCTL_PANTHOR_DEV_QUERY, false,
	  { C(ARG, drm_panthor_dev_query, size, 8) }, EINVAL },
	{ "DEV_QUERY pointer wild", DRM_IOCTL_PANTHOR_DEV_QUERY, false,
	  { C(ARG, drm_panthor_dev_query, pointer, WILD) }, EFAULT },
	{ "VM_CREATE flags", DRM_IOCTL_PANTHOR_VM_CREATE, false,
	  { C(ARG, drm_panthor_vm_create, flags, 1) }, EINVAL },
	{ "VM_CREATE user range leaves < 256M kernel", DRM_IOCTL_PANTHOR_VM_CREATE, false,
	  { C(ARG, drm_panthor_vm_create, user_va_range, (1ull << 48) - (128ull << 20)) }, EINVAL },
	{ "VM_CREATE user range beyond VA bits", DRM_IOCTL_PANTHOR_VM_CREATE, false,
	  { C(ARG, drm_panthor_vm_create, user_va_range, UINT64_MAX) }, EINVAL },
	{ "VM_DESTROY pad", DRM_IOCTL_PANTHOR_VM_DESTROY, false,
	  { C(ARG, drm_panthor_vm_destroy, pad, 1) }, EINVAL },
	{ "VM_DESTROY unknown", DRM_IOCTL_PANTHOR_VM_DESTROY, false,
	  { C(ARG, drm_panthor_vm_destroy, id, 999) }, EINVAL },
	{ "VM_DESTROY id 0", DRM_IOCTL_PANTHOR_VM_DESTROY, false,
	  { C(ARG, drm_panthor_vm_destroy, id, 0) }, EINVAL },
	{ "VM_GET_STATE unknown", DRM_IOCTL_PANTHOR_VM_GET_STATE, false,
	  { C(ARG, drm_panthor_vm_get_state, vm_id, 999) }, EINVAL },
	{ "VM_GET_STATE id 0", DRM_IOCTL_PANTHOR_VM_GET_STATE, false,
	  { C(ARG, drm_panthor_vm_get_state, vm_id, 0) }, EINVAL },

	/* VM_BIND: the call */
	{ "VM_BIND unknown flag", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(ARG, drm_panthor_vm_bind, flags, 2) }, EINVAL },
	{ "VM_BIND unknown VM", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(ARG, drm_panthor_vm_bind, vm_id, 999) }, EINVAL },
	{ "VM_BIND stride 8", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(ARG, drm_panthor_vm_bind, ops.stride, 8) }, EINVAL },
	{ "VM_BIND stride 40 (below syncs)", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(ARG, drm_panthor_vm_bind, ops.stride, 40) }, EINVAL },
	{ "VM_BIND stride 64, non-zero tail", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(ARG, drm_panthor_vm_bind, ops.stride, 64), { OP, 60, 4, 1 } }, E2BIG },
	{ "VM_BIND ops wild", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(ARG, drm_panthor_vm_bind, ops.array, WILD) }, EFAULT },
	{ "VM_BIND ops NULL", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(ARG, drm_panthor_vm_bind, ops.array, 0) }, EFAULT },
	{ "VM_BIND ops NULL, stride 64", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(ARG, drm_panthor_vm_bind, ops.array, 0), C(ARG, drm_panthor_vm_bind, ops.stride, 64) },
	  EFAULT },
	{ "BO_SYNC ops NULL, stride 32", DRM_IOCTL_PANTHOR_BO_SYNC, false,
	  { C(ARG, drm_panthor_bo_sync, ops.array, 0), C(ARG, drm_panthor_bo_sync, ops.stride, 32) },
	  EFAULT },
	{ "VM_BIND ops count over INT_MAX bytes", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(ARG, drm_panthor_vm_bind, ops.count, 0x7fffffff) }, ENOMEM },

	/* VM_BIND: one op */
	{ "MAP unknown op flag", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, flags, MAP | (1u << 4)) }, EINVAL },
	{ "op type 3", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, flags, 3u << 28) }, EINVAL },
	{ "MAP unknown BO", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, bo_handle, 999) }, EINVAL },
	{ "MAP BO handle 0", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, bo_handle, 0) }, EINVAL },
	{ "MAP va misaligned", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, va, (512ull << 20) + 0x800) }, EINVAL },
	{ "MAP size misaligned", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, size, 0x800) }, EINVAL },
	{ "MAP bo_offset misaligned", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, bo_offset, 0x800), C(OP, drm_panthor_vm_bind_op, size, 4096) },
	  EINVAL },
	{ "MAP size beyond the BO", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, size, 1ull << 30) }, EINVAL },
	{ "MAP offset at the BO's end", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, bo_offset, S_BO_SIZE) }, EINVAL },
	{ "MAP offset overflow", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, bo_offset, UINT64_MAX - 4095) }, EINVAL },
	{ "MAP va + size overflow", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, va, UINT64_MAX - 4095) }, EINVAL },
	{ "MAP into kernel VA", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, va, 1ull << 47) }, EINVAL },
	{ "MAP beyond VA bits", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, va, 1ull << 50) }, EINVAL },
	{ "MAP exclusive BO of another VM", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, bo_handle, S_EXCL_BO) }, EINVAL },
	{ "sync op with syncs", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, syncs.count, 1),
	    C(OP, drm_panthor_vm_bind_op, syncs.array, WILD) }, EINVAL },
	{ "UNMAP with a BO", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, flags, UNMAP) }, EINVAL },
	{ "UNMAP with bo_offset", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, flags, UNMAP),
	    C(OP, drm_panthor_vm_bind_op, bo_handle, 0),
	    C(OP, drm_panthor_vm_bind_op, bo_offset, 4096) }, EINVAL },
	{ "UNMAP with READONLY", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, flags, UNMAP | DRM_PANTHOR_VM_BIND_OP_MAP_READONLY),
	    C(OP, drm_panthor_vm_bind_op, bo_handle, 0) }, EINVAL },
	{ "SPARSE without NOEXEC", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, flags, MAP | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE),
	    C(OP, drm_panthor_vm_bind_op, bo_handle, 0) }, EINVAL },
	{ "SPARSE with a BO", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, flags, MAP | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE |
	      DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC) }, EINVAL },
	{ "SPARSE on UNMAP", DRM_IOCTL_PANTHOR_VM_BIND, false,
	  { C(OP, drm_panthor_vm_bind_op, flags, UNMAP | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE |
	      DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC), C(OP, drm_panthor_vm_bind_op, bo_handle, 0) },
	  EINVAL },

	/* VM_BIND: async ops and their syncs */
	{ "async sync op unknown flag", DRM_IOCTL_PANTHOR_VM_BIND, true,
	  { C(SYNC, drm_panthor_sync_op, flags, SIGNAL_SYNCOBJ | (1u << 8)) }, EINVAL },
	{ "async sync handle type 2", DRM_IOCTL_PANTHOR_VM_BIND, true,
	  { C(SYNC, drm_panthor_sync_op, flags, DRM_PANTHOR_SYNC_OP_SIGNAL | 2) }, EINVAL },
	{ "async binary syncobj with a point", DRM_IOCTL_PANTHOR_VM_BIND, true,
	  { C(SYNC, drm_panthor_sync_op, timeline_value, 5) }, EINVAL },
	{ "async syncs stride 8", DRM_IOCTL_PANTHOR_VM_BIND, true,
	  { C(OP, drm_panthor_vm_bind_op, syncs.stride, 8) }, EINVAL },
	{ "async syncs wild", DRM_IOCTL_PANTHOR_VM_BIND, true,
	  { C(OP, drm_panthor_vm_bind_op, syncs.array, WILD) }, EFAULT },
	{ "async signal unknown syncobj", DRM_IOCTL_PANTHOR_VM_BIND, true,
	  { C(SYNC, drm_panthor_sync_op, handle, 999) }, EINVAL },
	{ "async wait unknown syncobj", DRM_IOCTL_PANTHOR_VM_BIND, true,
	  { C(SYNC, drm_panthor_sync_op, flags, DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ),
	    C(SYNC, drm_panthor_sync_op, handle, 999) }, ENOENT },
	{ "async SYNC_ONLY with a va", DRM_IOCTL_PANTHOR_VM_BIND, true,
	  { C(OP, drm_panthor_vm_bind_op, flags, SYNC_ONLY),
	    C(OP, drm_panthor_vm_bind_op, bo_handle, 0) }, EINVAL },
	{ "async MAP misaligned", DRM_IOCTL_PANTHOR_VM_BIND, true,
	  { C(OP, drm_panthor_vm_bind_op, va, (512ull << 20) + 4) }, EINVAL },

	/* groups */
	{ "GROUP_CREATE no queue", DRM_IOCTL_PANTHOR_GROUP_CREATE, false,
	  { C(ARG, drm_panthor_group_create, queues.count, 0) }, EINVAL },
	{ "GROUP_CREATE queue stride 4", DRM_IOCTL_PANTHOR_GROUP_CREATE, false,
	  { C(ARG, drm_panthor_group_create, queues.stride, 4) }, EINVAL },
	{ "GROUP_CREATE queues wild", DRM_IOCTL_PANTHOR_GROUP_CREATE, false,
	  { C(ARG, drm_panthor_group_create, queues.array, WILD) }, EFAULT },
	{ "GROUP_CREATE unknown VM", DRM_IOCTL_PANTHOR_GROUP_CREATE, false,
	  { C(ARG, drm_panthor_group_create, vm_id, 999) }, EINVAL },
	{ "GROUP_CREATE unknown priority", DRM_IOCTL_PANTHOR_GROUP_CREATE, false,
	  { C(ARG, drm_panthor_group_create, priority, 9) }, EINVAL },
	{ "GROUP_DESTROY pad", DRM_IOCTL_PANTHOR_GROUP_DESTROY, false,
	  { C(ARG, drm_panthor_group_destroy, pad, 1) }, EINVAL },
	{ "GROUP_DESTROY unknown", DRM_IOCTL_PANTHOR_GROUP_DESTROY, false,
	  { C(ARG, drm_panthor_group_destroy, group_handle, 999) }, EINVAL },
	{ "GROUP_GET_STATE pad", DRM_IOCTL_PANTHOR_GROUP_GET_STATE, false,
	  { C(ARG, drm_panthor_group_get_state, pad, 1) }, EINVAL },
	{ "GROUP_GET_STATE unknown", DRM_IOCTL_PANTHOR_GROUP_GET_STATE, false,
	  { C(ARG, drm_panthor_group_get_state, group_handle, 999) }, EINVAL },
	{ "GROUP_SUBMIT pad", DRM_IOCTL_PANTHOR_GROUP_SUBMIT, false,
	  { C(ARG, drm_panthor_group_submit, pad, 1) }, EINVAL },
	{ "GROUP_SUBMIT unknown group", DRM_IOCTL_PANTHOR_GROUP_SUBMIT, false,
	  { C(ARG, drm_panthor_group_submit, group_handle, 999) }, EINVAL },
	{ "GROUP_SUBMIT stride 8", DRM_IOCTL_PANTHOR_GROUP_SUBMIT, false,
	  { C(ARG, drm_panthor_group_submit, queue_submits.stride, 8) }, EINVAL },
	{ "GROUP_SUBMIT submits wild", DRM_IOCTL_PANTHOR_GROUP_SUBMIT, false,
	  { C(ARG, drm_panthor_group_submit, queue_submits.array, WILD) }, EFAULT },
	/* The stride is the user's: nothing of its size may be allocated (the fuzzer's 4 GiB malloc). */
	{ "GROUP_SUBMIT submits wild, stride 4 GiB - 1", DRM_IOCTL_PANTHOR_GROUP_SUBMIT, false,
	  { C(ARG, drm_panthor_group_submit, queue_submits.array, WILD),
	    C(ARG, drm_panthor_group_submit, queue_submits.stride, 0xffffffffu) }, EFAULT },

	/* tiler heaps */
	{ "TILER_HEAP_CREATE unknown VM", DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, false,
	  { C(ARG, drm_panthor_tiler_heap_create, vm_id, 999) }, EINVAL },
	{ "TILER_HEAP_CREATE no initial chunk", DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, false,
	  { C(ARG, drm_panthor_tiler_heap_create, initial_chunk_count, 0) }, EINVAL },
	{ "TILER_HEAP_CREATE more initial chunks than max", DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, false,
	  { C(ARG, drm_panthor_tiler_heap_create, initial_chunk_count, 5) }, EINVAL },
	{ "TILER_HEAP_CREATE chunk size misaligned", DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, false,
	  { C(ARG, drm_panthor_tiler_heap_create, chunk_size, (128u << 10) + 8) }, EINVAL },
	{ "TILER_HEAP_CREATE chunk size below 128 KiB", DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, false,
	  { C(ARG, drm_panthor_tiler_heap_create, chunk_size, 64u << 10) }, EINVAL },
	{ "TILER_HEAP_CREATE chunk size above 8 MiB", DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, false,
	  { C(ARG, drm_panthor_tiler_heap_create, chunk_size, 16u << 20) }, EINVAL },
	{ "TILER_HEAP_DESTROY pad", DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, false,
	  { C(ARG, drm_panthor_tiler_heap_destroy, pad, 1) }, EINVAL },
	{ "TILER_HEAP_DESTROY unknown", DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, false,
	  { C(ARG, drm_panthor_tiler_heap_destroy, handle, 999) }, EINVAL },

	/* PRIME */
	{ "PRIME_HANDLE_TO_FD unknown handle", DRM_IOCTL_PRIME_HANDLE_TO_FD, false,
	  { C(ARG, drm_prime_handle, handle, 999) }, ENOENT },
	{ "PRIME_HANDLE_TO_FD unknown flag", DRM_IOCTL_PRIME_HANDLE_TO_FD, false,
	  { C(ARG, drm_prime_handle, flags, 4) }, EINVAL },
	{ "PRIME_HANDLE_TO_FD exclusive BO", DRM_IOCTL_PRIME_HANDLE_TO_FD, false,
	  { C(ARG, drm_prime_handle, handle, S_EXCL_BO) }, EINVAL },
	{ "PRIME_FD_TO_HANDLE not a dma-buf", DRM_IOCTL_PRIME_FD_TO_HANDLE, false,
	  { C(ARG, drm_prime_handle, fd, 0) }, EINVAL },
	{ "PRIME_FD_TO_HANDLE fd not open", DRM_IOCTL_PRIME_FD_TO_HANDLE, false,
	  { C(ARG, drm_prime_handle, fd, 9999) }, EBADF },

	/* BOs */
	{ "BO_CREATE size 0", DRM_IOCTL_PANTHOR_BO_CREATE, false,
	  { C(ARG, drm_panthor_bo_create, size, 0) }, EINVAL },
	{ "BO_CREATE pad", DRM_IOCTL_PANTHOR_BO_CREATE, false,
	  { C(ARG, drm_panthor_bo_create, pad, 1) }, EINVAL },
	{ "BO_CREATE unknown flag", DRM_IOCTL_PANTHOR_BO_CREATE, false,
	  { C(ARG, drm_panthor_bo_create, flags, 1u << 2) }, EINVAL },
	{ "BO_CREATE NO_MMAP|WB_MMAP", DRM_IOCTL_PANTHOR_BO_CREATE, false,
	  { C(ARG, drm_panthor_bo_create, flags, 3) }, EINVAL },
	{ "BO_CREATE unknown exclusive VM", DRM_IOCTL_PANTHOR_BO_CREATE, false,
	  { C(ARG, drm_panthor_bo_create, exclusive_vm_id, 999) }, EINVAL },
	{ "BO_MMAP_OFFSET pad", DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, false,
	  { C(ARG, drm_panthor_bo_mmap_offset, pad, 1) }, EINVAL },
	{ "BO_MMAP_OFFSET unknown", DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, false,
	  { C(ARG, drm_panthor_bo_mmap_offset, handle, 999) }, ENOENT },
	{ "BO_MMAP_OFFSET NO_MMAP BO", DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, false,
	  { C(ARG, drm_panthor_bo_mmap_offset, handle, S_NOMMAP_BO) }, EPERM },
	{ "BO_SET_LABEL pad", DRM_IOCTL_PANTHOR_BO_SET_LABEL, false,
	  { C(ARG, drm_panthor_bo_set_label, pad, 1) }, EINVAL },
	{ "BO_SET_LABEL unknown", DRM_IOCTL_PANTHOR_BO_SET_LABEL, false,
	  { C(ARG, drm_panthor_bo_set_label, handle, 999) }, ENOENT },
	{ "BO_SET_LABEL wild", DRM_IOCTL_PANTHOR_BO_SET_LABEL, false,
	  { C(ARG, drm_panthor_bo_set_label, label, WILD) }, EFAULT },
	{ "BO_SET_LABEL too long", DRM_IOCTL_PANTHOR_BO_SET_LABEL, false,
	  { C(ARG, drm_panthor_bo_set_label, label, S_LONG_LABEL) }, E2BIG },
	{ "SET_USER_MMIO_OFFSET other value", DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, false,
	  { C(ARG, drm_panthor_set_user_mmio_offset, offset, 12345) }, EINVAL },
	{ "SET_USER_MMIO_OFFSET 0", DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, false,
	  { C(ARG, drm_panthor_set_user_mmio_offset, offset, 0) }, EINVAL },
	{ "BO_SYNC stride 16", DRM_IOCTL_PANTHOR_BO_SYNC, false,
	  { C(ARG, drm_panthor_bo_sync, ops.stride, 16) }, EINVAL },
	{ "BO_SYNC ops wild", DRM_IOCTL_PANTHOR_BO_SYNC, false,
	  { C(ARG, drm_panthor_bo_sync, ops.array, WILD) }, EFAULT },
	{ "BO_SYNC ops count over INT_MAX bytes", DRM_IOCTL_PANTHOR_BO_SYNC, false,
	  { C(ARG, drm_panthor_bo_sync, ops.count, 0xfffffff0u) }, ENOMEM },
	{ "BO_SYNC unknown type", DRM_IOCTL_PANTHOR_BO_SYNC, false,
	  { C(BOSYNC, drm_panthor_bo_sync_op, type, 2) }, EINVAL },
	{ "BO_SYNC unknown BO", DRM_IOCTL_PANTHOR_BO_SYNC, false,
	  { C(BOSYNC, drm_panthor_bo_sync_op, handle, 999) }, ENOENT },
	{ "BO_SYNC offset past the end", DRM_IOCTL_PANTHOR_BO_SYNC, false,
	  { C(BOSYNC, drm_panthor_bo_sync_op, offset, S_BO_SIZE) }, EINVAL },
	{ "BO_SYNC size overflow", DRM_IOCTL_PANTHOR_BO_SYNC, false,
	  { C(BOSYNC, drm_panthor_bo_sync_op, offset, 4096),
	    C(BOSYNC, drm_panthor_bo_sync_op, size, UINT64_MAX) }, EINVAL },
	{ "BO_QUERY_INFO pad", DRM_IOCTL_PANTHOR_BO_QUERY_INFO, false,
	  { C(ARG, drm_panthor_bo_query_info, pad, 1) }, EINVAL },
	{ "BO_QUERY_INFO unknown", DRM_IOCTL_PANTHOR_BO_QUERY_INFO, false,
	  { C(ARG, drm_panthor_bo_query_info, handle, 999) }, ENOENT },
};

/* Every implemented request: its argument pointer NULL or wild must be -EFAULT. */
static const unsigned long requests[] = {
	DRM_IOCTL_VERSION, DRM_IOCTL_GET_CAP, DRM_IOCTL_GEM_CLOSE, DRM_IOCTL_SYNCOBJ_CREATE,
	DRM_IOCTL_SYNCOBJ_DESTROY, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
	DRM_IOCTL_SYNCOBJ_WAIT, DRM_IOCTL_SYNCOBJ_RESET, DRM_IOCTL_SYNCOBJ_SIGNAL,
	DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, DRM_IOCTL_SYNCOBJ_QUERY, DRM_IOCTL_SYNCOBJ_TRANSFER,
	DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, DRM_IOCTL_PANTHOR_DEV_QUERY, DRM_IOCTL_PANTHOR_VM_CREATE,
	DRM_IOCTL_PANTHOR_VM_DESTROY, DRM_IOCTL_PANTHOR_VM_BIND, DRM_IOCTL_PANTHOR_VM_GET_STATE,
	DRM_IOCTL_PANTHOR_BO_CREATE, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET,
	DRM_IOCTL_PANTHOR_BO_SET_LABEL, DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET,
	DRM_IOCTL_PANTHOR_BO_SYNC, DRM_IOCTL_PANTHOR_BO_QUERY_INFO, DRM_IOCTL_PANTHOR_GROUP_CREATE,
	DRM_IOCTL_PANTHOR_GROUP_DESTROY, DRM_IOCTL_PANTHOR_GROUP_SUBMIT,
	DRM_IOCTL_PANTHOR_GROUP_GET_STATE, DRM_IOCTL_PRIME_HANDLE_TO_FD, DRM_IOCTL_PRIME_FD_TO_HANDLE,
	DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY,
};

/* ------------------------------------------------------------ context */

struct bctx {
	struct rel_world w;
	uint32_t vm, vm2, bo, nommap, excl, bo_close;
	uint32_t sync, nofence;
	int sync_fd;
	uint32_t handles[2];
	uint64_t points[2];
	uint8_t gpu_info[256];
	uint8_t ops[128];	/* room for an op with an oversized stride */
	struct drm_panthor_sync_op sync_op;
	struct drm_panthor_bo_sync_op bosync;
	struct drm_panthor_queue_create qc;
	struct drm_panthor_queue_submit qs;
	uint64_t shader_present, tiler_present;
	uint32_t group, heap;
	char *long_label;
};

static uint64_t resolve(struct bctx *c, uint64_t v)
{
	switch (v) {
	case S_NOMMAP_BO:
		return c->nommap;
	case S_NOFENCE:
		return c->nofence;
	case S_EXCL_BO:
		return c->excl;
	case S_LONG_LABEL:
		return (uintptr_t)c->long_label;
	case S_BO_SIZE:
		return REL_WITNESS_SIZE;
	}
	return v;
}

/* A valid argument for @req (one that would succeed) in @arg; nested arrays in @c. */
static void make_arg(struct bctx *c, unsigned long req, bool async, void *arg)
{
	struct drm_panthor_vm_bind_op *op = (void *)c->ops;

	memset(arg, 0, 128);
	memset(c->ops, 0, sizeof(c->ops));
	c->handles[0] = c->sync;
	c->points[0] = 0;
	c->sync_op = (struct drm_panthor_sync_op){ .flags = SIGNAL_SYNCOBJ, .handle = c->sync };
	c->bosync = (struct drm_panthor_bo_sync_op){ .handle = c->bo, .size = 4096 };
	switch (req) {
	case DRM_IOCTL_GEM_CLOSE:
		((struct drm_gem_close *)arg)->handle = c->bo_close;
		break;
	case DRM_IOCTL_SYNCOBJ_DESTROY:
		((struct drm_syncobj_destroy *)arg)->handle = c->nofence;
		break;
	case DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD:
		*(struct drm_syncobj_handle *)arg = (struct drm_syncobj_handle){
			.handle = c->sync, .flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE };
		break;
	case DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE:
		*(struct drm_syncobj_handle *)arg = (struct drm_syncobj_handle){
			.handle = c->sync, .fd = c->sync_fd,
			.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE };
		break;
	case DRM_IOCTL_SYNCOBJ_WAIT:
		*(struct drm_syncobj_wait *)arg = (struct drm_syncobj_wait){
			.handles = (uintptr_t)c->handles, .count_handles = 1 };
		break;
	case DRM_IOCTL_SYNCOBJ_RESET:
	case DRM_IOCTL_SYNCOBJ_SIGNAL:
		*(struct drm_syncobj_array *)arg = (struct drm_syncobj_array){
			.handles = (uintptr_t)c->handles, .count_handles = 1 };
		break;
	case DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT:
		*(struct drm_syncobj_timeline_wait *)arg = (struct drm_syncobj_timeline_wait){
			.handles = (uintptr_t)c->handles, .points = (uintptr_t)c->points,
			.count_handles = 1 };
		break;
	case DRM_IOCTL_SYNCOBJ_QUERY:
	case DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL:
		*(struct drm_syncobj_timeline_array *)arg = (struct drm_syncobj_timeline_array){
			.handles = (uintptr_t)c->handles, .points = (uintptr_t)c->points,
			.count_handles = 1 };
		break;
	case DRM_IOCTL_SYNCOBJ_TRANSFER:
		*(struct drm_syncobj_transfer *)arg = (struct drm_syncobj_transfer){
			.src_handle = c->sync, .dst_handle = c->nofence };
		break;
	case DRM_IOCTL_PANTHOR_DEV_QUERY:
		*(struct drm_panthor_dev_query *)arg = (struct drm_panthor_dev_query){
			.type = DRM_PANTHOR_DEV_QUERY_GPU_INFO,
			.size = sizeof(struct drm_panthor_gpu_info),
			.pointer = (uintptr_t)c->gpu_info };
		break;
	case DRM_IOCTL_PANTHOR_VM_DESTROY:
		((struct drm_panthor_vm_destroy *)arg)->id = c->vm2;
		break;
	case DRM_IOCTL_PANTHOR_VM_GET_STATE:
		((struct drm_panthor_vm_get_state *)arg)->vm_id = c->vm;
		break;
	case DRM_IOCTL_PANTHOR_VM_BIND:
		*(struct drm_panthor_vm_bind *)arg = (struct drm_panthor_vm_bind){
			.vm_id = c->vm, .flags = async ? DRM_PANTHOR_VM_BIND_ASYNC : 0,
			.ops = { .stride = sizeof(*op), .count = 1, .array = (uintptr_t)c->ops } };
		*op = (struct drm_panthor_vm_bind_op){
			.flags = MAP, .bo_handle = c->bo, .va = 512ull << 20, .size = REL_WITNESS_SIZE };
		if (async)
			op->syncs = (struct drm_panthor_obj_array){
				.stride = sizeof(c->sync_op), .count = 1,
				.array = (uintptr_t)&c->sync_op };
		break;
	case DRM_IOCTL_PANTHOR_BO_CREATE:
		((struct drm_panthor_bo_create *)arg)->size = 4096;
		break;
	case DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET:
		((struct drm_panthor_bo_mmap_offset *)arg)->handle = c->bo;
		break;
	case DRM_IOCTL_PANTHOR_BO_SET_LABEL:
		*(struct drm_panthor_bo_set_label *)arg = (struct drm_panthor_bo_set_label){
			.handle = c->bo, .label = (uintptr_t)"label" };
		break;
	case DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET:
		((struct drm_panthor_set_user_mmio_offset *)arg)->offset =
			DRM_PANTHOR_USER_MMIO_OFFSET;
		break;
	case DRM_IOCTL_PANTHOR_BO_SYNC:
		*(struct drm_panthor_bo_sync *)arg = (struct drm_panthor_bo_sync){
			.ops = { .stride = sizeof(c->bosync), .count = 1,
				 .array = (uintptr_t)&c->bosync } };
		break;
	case DRM_IOCTL_PANTHOR_BO_QUERY_INFO:
		((struct drm_panthor_bo_query_info *)arg)->handle = c->bo;
		break;
	case DRM_IOCTL_PANTHOR_GROUP_CREATE:
		c->qc = (struct drm_panthor_queue_create){ .ringbuf_size = 4096 };
		*(struct drm_panthor_group_create *)arg = (struct drm_panthor_group_create){
			.queues = { .stride = sizeof(c->qc), .count = 1, .array = (uintptr_t)&c->qc },
			.max_compute_cores = 1, .max_fragment_cores = 1, .max_tiler_cores = 1,
			.compute_core_mask = c->shader_present, .fragment_core_mask = c->shader_present,
			.tiler_core_mask = c->tiler_present, .vm_id = c->vm };
		break;
	case DRM_IOCTL_PANTHOR_GROUP_DESTROY:
	case DRM_IOCTL_PANTHOR_GROUP_GET_STATE:
		((struct drm_panthor_group_destroy *)arg)->group_handle = c->group;
		break;
	case DRM_IOCTL_PANTHOR_GROUP_SUBMIT:
		/* One job of 8 bytes at the witness: valid (it would run and fault, not refused). */
		c->qs = (struct drm_panthor_queue_submit){ .stream_addr = REL_WITNESS_VA,
							   .stream_size = 8 };
		*(struct drm_panthor_group_submit *)arg = (struct drm_panthor_group_submit){
			.group_handle = c->group,
			.queue_submits = { .stride = sizeof(c->qs), .count = 1,
					   .array = (uintptr_t)&c->qs } };
		break;
	case DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE:
		*(struct drm_panthor_tiler_heap_create *)arg = (struct drm_panthor_tiler_heap_create){
			.vm_id = c->vm, .initial_chunk_count = 1, .chunk_size = 128u << 10,
			.max_chunks = 4, .target_in_flight = 1 };
		break;
	case DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY:
		((struct drm_panthor_tiler_heap_destroy *)arg)->handle = c->heap;
		break;
	case DRM_IOCTL_PRIME_HANDLE_TO_FD:
		*(struct drm_prime_handle *)arg = (struct drm_prime_handle){
			.handle = c->bo, .flags = DRM_CLOEXEC, .fd = -1 };
		break;
	case DRM_IOCTL_PRIME_FD_TO_HANDLE:
		((struct drm_prime_handle *)arg)->fd = c->sync_fd;	/* replaced by each row */
		break;
	default:
		break;
	}
}

static void apply(struct bctx *c, const struct change *ch, void *arg)
{
	uint8_t *base;
	uint64_t v = resolve(c, ch->value);

	switch (ch->target) {
	case ARG:
		base = arg;
		break;
	case OP:
		base = c->ops;
		break;
	case SYNC:
		base = (uint8_t *)&c->sync_op;
		break;
	case BOSYNC:
		base = (uint8_t *)&c->bosync;
		break;
	default:
		base = (uint8_t *)c->handles;
		break;
	}
	memcpy(base + ch->off, &v, ch->size);	/* little-endian: the low bytes */
}

/* ------------------------------------------------------------ state snapshot */

struct snap {
	char *vms, *pgt;
	long allocs, frames;
	uint32_t bos, syncobjs, nr_vms;
	struct dma_fence *sync_fence, *nofence_fence;
	const char *label;
	unsigned long violations;
};

static char *view(struct bctx *c, enum pantomime_view v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	T_ASSERT_NOT_NULL(f);
	T_ASSERT_OK(pantomime_dump(c->w.dev, v, f));
	fclose(f);
	return buf;
}

static uint32_t count_slots(struct panthor_handle_table *t)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->cap; i++)
		n += t->slots[i] != NULL;
	return n;
}

static struct dma_fence *fence_of(struct bctx *c, uint32_t h)
{
	struct drm_syncobj *s = panthor_file_syncobj_lookup(pantomime_debug_pfile(c->w.f[0].file), h);
	struct dma_fence *f;

	T_ASSERT_NOT_NULL(s);
	f = drm_syncobj_fence_get(s);
	drm_syncobj_put(s);
	if (f)
		dma_fence_put(f);	/* only the pointer is compared; the syncobj keeps it */
	return f;
}

static void snap_take(struct bctx *c, struct snap *s)
{
	struct panthor_file *pfile = pantomime_debug_pfile(c->w.f[0].file);
	struct panthor_gem_object *bo = panthor_file_bo_lookup(pfile, c->bo);

	/* Finished bind jobs are freed by a cleanup thread (slow under TSan): not this call's doing. */
	panthor_mmu_wait_cleanup(pantomime_debug_ptdev(c->w.dev));
	s->vms = view(c, PANTOMIME_VIEW_VMS);
	s->pgt = view(c, PANTOMIME_VIEW_PGTABLES);
	s->frames = rel_frames(&c->w);
	s->bos = count_slots(&pfile->bos);
	s->syncobjs = count_slots(&pfile->syncobjs);
	s->nr_vms = 0;
	for (uint32_t id = 1; id <= PANTHOR_MAX_VMS_PER_FILE; id++) {
		struct panthor_vm *vm = panthor_vm_pool_get_vm(&pfile->vms, id);

		s->nr_vms += vm != NULL;
		panthor_vm_put(vm);
	}
	s->sync_fence = fence_of(c, c->sync);
	s->nofence_fence = fence_of(c, c->nofence);
	T_ASSERT_NOT_NULL(bo);
	s->label = bo->label;
	panthor_gem_put(bo);
	s->violations = rel_checker_violations(&c->w);
	s->allocs = u_alloc_live();
}

static void snap_same(struct bctx *c, const struct snap *a, const char *what)
{
	struct snap b;

	snap_take(c, &b);
	T_ASSERT_MSG(a->allocs == b.allocs, "%s: heap blocks %ld -> %ld", what, a->allocs, b.allocs);
	T_ASSERT_MSG(!strcmp(a->vms, b.vms), "%s: VM mappings changed:\n%s\n---\n%s", what, a->vms,
		     b.vms);
	T_ASSERT_MSG(!strcmp(a->pgt, b.pgt), "%s: page tables changed", what);
	T_ASSERT_MSG(a->frames == b.frames, "%s: frames %ld -> %ld", what, a->frames, b.frames);
	T_ASSERT_MSG(a->bos == b.bos && a->syncobjs == b.syncobjs && a->nr_vms == b.nr_vms,
		     "%s: handles %u/%u/%u -> %u/%u/%u", what, a->bos, a->syncobjs, a->nr_vms,
		     b.bos, b.syncobjs, b.nr_vms);
	T_ASSERT_MSG(a->sync_fence == b.sync_fence && a->nofence_fence == b.nofence_fence,
		     "%s: a syncobj's fence changed", what);
	T_ASSERT_MSG(a->label == b.label, "%s: the BO's label changed", what);
	T_ASSERT_MSG(a->violations == b.violations, "%s: checker reports", what);
	free(b.vms);
	free(b.pgt);
}

static void snap_free(struct snap *s)
{
	free(s->vms);
	free(s->pgt);
}

/* ------------------------------------------------------------ the test */

static void bctx_init(struct bctx *c)
{
	struct drm_syncobj_create sc = { .flags = DRM_SYNCOBJ_CREATE_SIGNALED };
	struct drm_syncobj_handle h = { .flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE };

	memset(c, 0, sizeof(*c));
	rel_world_init(&c->w, 64 * MiB, 0);
	c->vm = c->w.f[0].vm;
	c->bo = c->w.f[0].witness;
	c->vm2 = rel_vm_create(&c->w, 0);
	c->nommap = rel_bo_create(&c->w, 0, 4096, DRM_PANTHOR_BO_NO_MMAP, 0);
	c->excl = rel_bo_create(&c->w, 0, 4096, 0, c->vm2);
	c->bo_close = rel_bo_create(&c->w, 0, 4096, 0, 0);
	T_ASSERT_OK(rel_ioctl(&c->w, 0, DRM_IOCTL_SYNCOBJ_CREATE, &sc));
	c->sync = sc.handle;
	sc.flags = 0;
	T_ASSERT_OK(rel_ioctl(&c->w, 0, DRM_IOCTL_SYNCOBJ_CREATE, &sc));
	c->nofence = sc.handle;
	h.handle = c->sync;
	T_ASSERT_OK(rel_ioctl(&c->w, 0, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h));
	c->sync_fd = h.fd;
	/*
	 * One async bind with a wait and a signal first: the VM's bind queue
	 * and reservation keep what they grew (job slots, fence capacity), so
	 * later refused async binds are compared against that steady state.
	 */
	T_ASSERT_OK(rel_bind(&c->w, 0, c->vm, MAP, c->bo, 0, 512ull << 20, REL_WITNESS_SIZE, true,
			     c->nofence));
	{
		struct drm_syncobj_wait wt = { .handles = (uintptr_t)&c->nofence, .count_handles = 1,
					       .timeout_nsec = INT64_MAX };
		struct drm_syncobj_array ra = { .handles = (uintptr_t)&c->nofence,
						.count_handles = 1 };

		T_ASSERT_OK(rel_ioctl(&c->w, 0, DRM_IOCTL_SYNCOBJ_WAIT, &wt));
		T_ASSERT_OK(rel_ioctl(&c->w, 0, DRM_IOCTL_SYNCOBJ_RESET, &ra));
	}
	T_ASSERT_OK(rel_bind(&c->w, 0, c->vm, UNMAP, 0, 0, 512ull << 20, REL_WITNESS_SIZE, false, 0));
	{
		struct drm_panthor_dev_query q = { .type = DRM_PANTHOR_DEV_QUERY_GPU_INFO };
		struct drm_panthor_gpu_info gi = { 0 };
		_Alignas(16) uint8_t gc[128];

		q.size = sizeof(gi);
		q.pointer = (uintptr_t)&gi;
		T_ASSERT_OK(rel_ioctl(&c->w, 0, DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
		c->shader_present = gi.shader_present;
		c->tiler_present = gi.tiler_present;
		make_arg(c, DRM_IOCTL_PANTHOR_GROUP_CREATE, false, gc);
		T_ASSERT_OK(rel_ioctl(&c->w, 0, DRM_IOCTL_PANTHOR_GROUP_CREATE, gc));
		c->group = ((struct drm_panthor_group_create *)gc)->group_handle;
		/* A heap: the VM's heap pool (kernel BOs in its kernel VA) exists from the first one. */
		make_arg(c, DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, false, gc);
		T_ASSERT_OK(rel_ioctl(&c->w, 0, DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, gc));
		c->heap = ((struct drm_panthor_tiler_heap_create *)gc)->handle;
	}
	c->long_label = malloc(5000);
	T_ASSERT_NOT_NULL(c->long_label);
	memset(c->long_label, 'l', 4999);
	c->long_label[4999] = '\0';
}

static void bctx_fini(struct bctx *c)
{
	free(c->long_label);
	close(c->sync_fd);
	sync_file_gc();
	rel_world_fini(&c->w);
}

T_TEST(table, "reliability/bad-input/every-ioctl-every-field")
{
	_Alignas(16) uint8_t arg[128];
	struct bctx c;
	struct snap before;
	unsigned int tried = 0;

	bctx_init(&c);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct bad *r = &rows[i];
		int ret;

		make_arg(&c, r->req, r->async, arg);
		for (int k = 0; k < 3; k++)
			if (r->c[k].size)
				apply(&c, &r->c[k], arg);
		snap_take(&c, &before);
		ret = rel_ioctl(&c.w, 0, r->req, arg);
		if (ret != -r->err)
			t_fail(__FILE__, __LINE__, "%s: expected -%s, got %d (%s)", r->what,
			       t_errname(r->err), ret, t_errname(-ret));
		snap_same(&c, &before, r->what);
		snap_free(&before);
		tried++;
	}
	/* Every request: its argument pointer NULL, then wild. */
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		const uint64_t ptrs[2] = { 0, WILD };

		for (int k = 0; k < 2; k++) {
			snap_take(&c, &before);
			T_ASSERT_ERRNO(rel_ioctl(&c.w, 0, requests[i], (void *)(uintptr_t)ptrs[k]),
				       EFAULT);
			snap_same(&c, &before, "argument pointer");
			snap_free(&before);
			tried++;
		}
	}
	/* Requests pantomime does not know: drm_ioctl()'s -EINVAL; not DRM's at all: -ENOTTY. */
	snap_take(&c, &before);
	T_ASSERT_ERRNO(rel_ioctl(&c.w, 0, DRM_IOWR(DRM_COMMAND_BASE + 0x3f,
						    struct drm_panthor_vm_create), arg), EINVAL);
	T_ASSERT_ERRNO(rel_ioctl(&c.w, 0, _IOWR('x', 1, uint64_t), arg), ENOTTY);
	T_ASSERT_ERRNO(rel_ioctl(&c.w, 0, DRM_IOWR(0x7f, uint64_t), arg), EINVAL);
	snap_same(&c, &before, "unknown requests");
	snap_free(&before);
	tried += 3;
	t_note("%u bad inputs tried", tried);
	bctx_fini(&c);
}
