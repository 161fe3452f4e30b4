// SPDX-License-Identifier: MIT
/*
 * The panthor uAPI header against reference/panthor-uapi-mmu.md §1.
 *
 * The header already refuses to compile when a size, an offset or a request
 * number drifts. These run-time checks exist for the report: a mismatch
 * prints the name and both values, and they also pin what the static asserts
 * do not: the ioctl id enum, every flag and enum value, the field decoders,
 * the user MMIO offsets, the per-struct minimum sizes of §1.1 and what
 * DRM_PANTHOR_OBJ_ARRAY() builds.
 */
#include <stddef.h>
#include <stdint.h>

#include "t_harness.h"
#include "uapi/drm/panthor_drm.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One row of the §1.3 ioctl table. */
struct ioctl_row {
	const char *name;
	unsigned int id;		/* enum drm_panthor_ioctl_id value */
	unsigned int table_id;		/* the id column of the table */
	unsigned long request;		/* DRM_IOCTL_PANTHOR_* */
	unsigned long expected;		/* the number in the table */
	size_t arg_size;		/* sizeof the argument struct */
	size_t table_size;		/* the size column of the table */
};

#define ROW(NAME, type, want_id, want_req, want_size)                          \
	{ #NAME, DRM_PANTHOR_##NAME, (want_id), DRM_IOCTL_PANTHOR_##NAME,      \
	  (want_req),                                                          \
	  sizeof(struct drm_panthor_##type), (want_size) }

static const struct ioctl_row ioctl_table[] = {
	ROW(DEV_QUERY,            dev_query,            0,  0xC0106440, 16),
	ROW(VM_CREATE,            vm_create,            1,  0xC0106441, 16),
	ROW(VM_DESTROY,           vm_destroy,           2,  0xC0086442, 8),
	ROW(VM_BIND,              vm_bind,              3,  0xC0186443, 24),
	ROW(VM_GET_STATE,         vm_get_state,         4,  0xC0086444, 8),
	ROW(BO_CREATE,            bo_create,            5,  0xC0186445, 24),
	ROW(BO_MMAP_OFFSET,       bo_mmap_offset,       6,  0xC0106446, 16),
	ROW(GROUP_CREATE,         group_create,         7,  0xC0386447, 56),
	ROW(GROUP_DESTROY,        group_destroy,        8,  0xC0086448, 8),
	ROW(GROUP_SUBMIT,         group_submit,         9,  0xC0186449, 24),
	ROW(GROUP_GET_STATE,      group_get_state,      10, 0xC010644A, 16),
	ROW(TILER_HEAP_CREATE,    tiler_heap_create,    11, 0xC028644B, 40),
	ROW(TILER_HEAP_DESTROY,   tiler_heap_destroy,   12, 0xC008644C, 8),
	ROW(BO_SET_LABEL,         bo_set_label,         13, 0xC010644D, 16),
	ROW(SET_USER_MMIO_OFFSET, set_user_mmio_offset, 14, 0xC008644E, 8),
	ROW(BO_SYNC,              bo_sync,              15, 0xC010644F, 16),
	ROW(BO_QUERY_INFO,        bo_query_info,        16, 0xC0106450, 16),
};
#undef ROW

T_TEST(ioctl_ids, "uapi/header/ioctl/ids")
{
	/* Ids are append-only, dense from 0: 17 of them in 1.9. */
	T_ASSERT_EQ_INT(ARRAY_LEN(ioctl_table), 17);
	for (unsigned int i = 0; i < ARRAY_LEN(ioctl_table); i++) {
		const struct ioctl_row *r = &ioctl_table[i];

		T_ASSERT_MSG(r->id == r->table_id, "DRM_PANTHOR_%s: id %u vs table %u",
			     r->name, r->id, r->table_id);
		T_ASSERT_EQ_INT(r->table_id, i);
	}
	T_ASSERT_EQ_INT(DRM_COMMAND_BASE, 0x40);
}

T_TEST(ioctl_numbers, "uapi/header/ioctl/numbers")
{
	for (unsigned int i = 0; i < ARRAY_LEN(ioctl_table); i++) {
		const struct ioctl_row *r = &ioctl_table[i];

		T_ASSERT_MSG(r->request == r->expected,
			     "DRM_IOCTL_PANTHOR_%s: 0x%08lX vs table 0x%08lX",
			     r->name, r->request, r->expected);
	}
}

T_TEST(ioctl_fields, "uapi/header/ioctl/fields")
{
	/* Decode each number: read-write, type 'd', nr 0x40 + id, argument size. */
	for (unsigned int i = 0; i < ARRAY_LEN(ioctl_table); i++) {
		const struct ioctl_row *r = &ioctl_table[i];

		T_ASSERT_MSG(_IOC_DIR(r->request) == (_IOC_READ | _IOC_WRITE),
			     "DRM_IOCTL_PANTHOR_%s: direction %lu, want read|write",
			     r->name, (unsigned long)_IOC_DIR(r->request));
		T_ASSERT_MSG(_IOC_TYPE(r->request) == 'd',
			     "DRM_IOCTL_PANTHOR_%s: type 0x%lx vs 0x64",
			     r->name, (unsigned long)_IOC_TYPE(r->request));
		T_ASSERT_MSG(_IOC_NR(r->request) == DRM_COMMAND_BASE + r->id,
			     "DRM_IOCTL_PANTHOR_%s: nr 0x%lx vs 0x%x",
			     r->name, (unsigned long)_IOC_NR(r->request), DRM_COMMAND_BASE + r->id);
		T_ASSERT_MSG(_IOC_SIZE(r->request) == r->arg_size,
			     "DRM_IOCTL_PANTHOR_%s: encoded size %lu vs sizeof %zu",
			     r->name, (unsigned long)_IOC_SIZE(r->request), r->arg_size);
		T_ASSERT_MSG(r->arg_size == r->table_size,
			     "struct for %s: sizeof %zu vs table %zu",
			     r->name, r->arg_size, r->table_size);
	}
}

struct size_row {
	const char *name;
	size_t size;
	size_t expected;
};

#define SZ(type, n) { #type, sizeof(struct type), (n) }

T_TEST(struct_sizes, "uapi/header/struct/sizes")
{
	/* Every struct of §1.4, including the indirect ones the ioctl table does not cover. */
	static const struct size_row rows[] = {
		SZ(drm_panthor_obj_array, 16),
		SZ(drm_panthor_sync_op, 16),
		SZ(drm_panthor_dev_query, 16),
		SZ(drm_panthor_gpu_info, 112),
		SZ(drm_panthor_csif_info, 24),
		SZ(drm_panthor_timestamp_info, 56),
		SZ(drm_panthor_mmu_info, 8),
		SZ(drm_panthor_group_priorities_info, 4),
		SZ(drm_panthor_vm_create, 16),
		SZ(drm_panthor_vm_destroy, 8),
		SZ(drm_panthor_vm_bind_op, 48),
		SZ(drm_panthor_vm_bind, 24),
		SZ(drm_panthor_vm_get_state, 8),
		SZ(drm_panthor_bo_create, 24),
		SZ(drm_panthor_bo_mmap_offset, 16),
		SZ(drm_panthor_queue_create, 8),
		SZ(drm_panthor_group_create, 56),
		SZ(drm_panthor_group_destroy, 8),
		SZ(drm_panthor_queue_submit, 40),
		SZ(drm_panthor_group_submit, 24),
		SZ(drm_panthor_group_get_state, 16),
		SZ(drm_panthor_tiler_heap_create, 40),
		SZ(drm_panthor_tiler_heap_destroy, 8),
		SZ(drm_panthor_bo_set_label, 16),
		SZ(drm_panthor_set_user_mmio_offset, 8),
		SZ(drm_panthor_bo_sync_op, 24),
		SZ(drm_panthor_bo_sync, 16),
		SZ(drm_panthor_bo_query_info, 16),
	};

	for (unsigned int i = 0; i < ARRAY_LEN(rows); i++)
		T_ASSERT_MSG(rows[i].size == rows[i].expected, "sizeof(struct %s): %zu vs %zu",
			     rows[i].name, rows[i].size, rows[i].expected);
}
#undef SZ

/* End of a field: what §1.1 calls the minimum size when it is the last mandatory one. */
#define FIELD_END(type, f) (offsetof(struct type, f) + sizeof(((struct type *)0)->f))
#define MIN(type, f, n) { #type "." #f, FIELD_END(type, f), (n) }

T_TEST(min_sizes, "uapi/header/struct/min-sizes")
{
	/*
	 * The driver rejects a stride or query size below these; they must
	 * stay where the structs first ended, whatever is appended later.
	 */
	static const struct size_row rows[] = {
		MIN(drm_panthor_gpu_info, tiler_present, 96),
		MIN(drm_panthor_csif_info, pad, 24),
		MIN(drm_panthor_timestamp_info, current_timestamp, 16),
		MIN(drm_panthor_group_priorities_info, pad, 4),
		MIN(drm_panthor_sync_op, timeline_value, 16),
		MIN(drm_panthor_queue_submit, syncs, 40),
		MIN(drm_panthor_queue_create, ringbuf_size, 8),
		MIN(drm_panthor_vm_bind_op, syncs, 48),
		MIN(drm_panthor_bo_sync_op, size, 24),
		MIN(drm_panthor_mmu_info, page_size_bitmap, 8),
	};

	for (unsigned int i = 0; i < ARRAY_LEN(rows); i++)
		T_ASSERT_MSG(rows[i].size == rows[i].expected, "end of %s: %zu vs %zu",
			     rows[i].name, rows[i].size, rows[i].expected);

	/* The pre-1.7 gpu_info (104) and 1.1 timestamp_info (24) end where later fields start. */
	T_ASSERT_EQ_INT(offsetof(struct drm_panthor_gpu_info, gpu_features), 104);
	T_ASSERT_EQ_INT(offsetof(struct drm_panthor_timestamp_info, flags), 24);
}
#undef MIN
#undef FIELD_END

T_TEST(obj_array, "uapi/header/obj-array")
{
	struct drm_panthor_vm_bind_op ops[3];
	struct drm_panthor_sync_op syncs[5];
	struct drm_panthor_bo_sync_op *none = NULL;

	struct drm_panthor_obj_array a = DRM_PANTHOR_OBJ_ARRAY(3, ops);
	T_ASSERT_EQ_INT(a.stride, 48);
	T_ASSERT_EQ_INT(a.count, 3);
	T_ASSERT_EQ_U64(a.array, (uintptr_t)&ops[0]);

	struct drm_panthor_obj_array b = DRM_PANTHOR_OBJ_ARRAY(2, syncs);
	T_ASSERT_EQ_INT(b.stride, sizeof(struct drm_panthor_sync_op));
	T_ASSERT_EQ_INT(b.count, 2);
	T_ASSERT_EQ_U64(b.array, (uintptr_t)syncs);

	/* The stride comes from the pointee type even for an empty array. */
	struct drm_panthor_obj_array c = DRM_PANTHOR_OBJ_ARRAY(0, none);
	T_ASSERT_EQ_INT(c.stride, 24);
	T_ASSERT_EQ_INT(c.count, 0);
	T_ASSERT_EQ_U64(c.array, 0);

	/* As a member initializer, the way clients fill a bind request. */
	struct drm_panthor_vm_bind bind = {
		.vm_id = 1,
		.flags = DRM_PANTHOR_VM_BIND_ASYNC,
		.ops = DRM_PANTHOR_OBJ_ARRAY(1, ops),
	};
	T_ASSERT_EQ_INT(bind.ops.stride, sizeof(ops[0]));
	T_ASSERT_EQ_INT(bind.ops.count, 1);
	T_ASSERT_EQ_U64(bind.ops.array, (uintptr_t)ops);
}

T_TEST(sync_op_flags, "uapi/header/flags/sync-op")
{
	T_ASSERT_EQ_U64((__u32)DRM_PANTHOR_SYNC_OP_SIGNAL, 0x80000000u);
	T_ASSERT_EQ_U64(DRM_PANTHOR_SYNC_OP_WAIT, 0);
	T_ASSERT_EQ_U64(DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_MASK, 0xff);
	T_ASSERT_EQ_U64(DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ, 0);
	T_ASSERT_EQ_U64(DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ, 1);

	/* A flags word as a client builds it, then decoded as the kernel does. */
	struct drm_panthor_sync_op op = {
		.flags = DRM_PANTHOR_SYNC_OP_SIGNAL |
			 DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ,
	};
	T_ASSERT_EQ_U64(op.flags, 0x80000001u);
	T_ASSERT_EQ_U64(op.flags & DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_MASK,
			DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ);
	T_ASSERT_EQ_U64(op.flags & ~(__u32)(DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_MASK |
					    DRM_PANTHOR_SYNC_OP_SIGNAL), 0);
}

T_TEST(vm_bind_flags, "uapi/header/flags/vm-bind")
{
	T_ASSERT_EQ_U64(DRM_PANTHOR_VM_BIND_OP_MAP_READONLY, 0x1);
	T_ASSERT_EQ_U64(DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC, 0x2);
	T_ASSERT_EQ_U64(DRM_PANTHOR_VM_BIND_OP_MAP_UNCACHED, 0x4);
	T_ASSERT_EQ_U64(DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE, 0x8);
	T_ASSERT_EQ_U64((__u32)DRM_PANTHOR_VM_BIND_OP_TYPE_MASK, 0xF0000000u);
	T_ASSERT_EQ_U64(DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, 0);
	T_ASSERT_EQ_U64(DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP, 0x10000000u);
	T_ASSERT_EQ_U64(DRM_PANTHOR_VM_BIND_OP_TYPE_SYNC_ONLY, 0x20000000u);
	T_ASSERT_EQ_U64(DRM_PANTHOR_VM_BIND_ASYNC, 0x1);

	/* Modifiers and the type field never overlap; each type sits inside the field. */
	__u32 modifiers = DRM_PANTHOR_VM_BIND_OP_MAP_READONLY | DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC |
			  DRM_PANTHOR_VM_BIND_OP_MAP_UNCACHED | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE;
	T_ASSERT_EQ_U64(modifiers & (__u32)DRM_PANTHOR_VM_BIND_OP_TYPE_MASK, 0);

	struct drm_panthor_vm_bind_op op = {
		.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP,
	};
	T_ASSERT_EQ_U64(op.flags & DRM_PANTHOR_VM_BIND_OP_TYPE_MASK,
			DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP);
	op.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_SYNC_ONLY;
	T_ASSERT_EQ_U64(op.flags & DRM_PANTHOR_VM_BIND_OP_TYPE_MASK,
			DRM_PANTHOR_VM_BIND_OP_TYPE_SYNC_ONLY);
	op.flags = DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE | DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC;
	T_ASSERT_EQ_U64(op.flags & DRM_PANTHOR_VM_BIND_OP_TYPE_MASK,
			DRM_PANTHOR_VM_BIND_OP_TYPE_MAP);

	T_ASSERT_EQ_INT(DRM_PANTHOR_VM_STATE_USABLE, 0);
	T_ASSERT_EQ_INT(DRM_PANTHOR_VM_STATE_UNUSABLE, 1);
}

T_TEST(bo_flags, "uapi/header/flags/bo")
{
	T_ASSERT_EQ_U64(DRM_PANTHOR_BO_NO_MMAP, 0x1);
	T_ASSERT_EQ_U64(DRM_PANTHOR_BO_WB_MMAP, 0x2);
	T_ASSERT_EQ_U64(DRM_PANTHOR_BO_IS_IMPORTED, 0x1);
	T_ASSERT_EQ_INT(DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH, 0);
	T_ASSERT_EQ_INT(DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH_AND_INVALIDATE, 1);
}

T_TEST(query_types, "uapi/header/enums/dev-query")
{
	T_ASSERT_EQ_INT(DRM_PANTHOR_DEV_QUERY_GPU_INFO, 0);
	T_ASSERT_EQ_INT(DRM_PANTHOR_DEV_QUERY_CSIF_INFO, 1);
	T_ASSERT_EQ_INT(DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO, 2);
	T_ASSERT_EQ_INT(DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO, 3);
	T_ASSERT_EQ_INT(DRM_PANTHOR_DEV_QUERY_MMU_INFO, 4);

	T_ASSERT_EQ_INT(DRM_PANTHOR_GPU_COHERENCY_ACE_LITE, 0);
	T_ASSERT_EQ_INT(DRM_PANTHOR_GPU_COHERENCY_ACE, 1);
	T_ASSERT_EQ_INT(DRM_PANTHOR_GPU_COHERENCY_NONE, 31);
}

T_TEST(timestamp_flags, "uapi/header/flags/timestamp")
{
	T_ASSERT_EQ_U64(DRM_PANTHOR_TIMESTAMP_GPU, 1u << 0);
	T_ASSERT_EQ_U64(DRM_PANTHOR_TIMESTAMP_CPU_NONE, 0);
	T_ASSERT_EQ_U64(DRM_PANTHOR_TIMESTAMP_CPU_MONOTONIC, 1u << 1);
	T_ASSERT_EQ_U64(DRM_PANTHOR_TIMESTAMP_CPU_MONOTONIC_RAW, 2u << 1);
	T_ASSERT_EQ_U64(DRM_PANTHOR_TIMESTAMP_CPU_TYPE_MASK, 7u << 1);
	T_ASSERT_EQ_U64(DRM_PANTHOR_TIMESTAMP_GPU_OFFSET, 1u << 4);
	T_ASSERT_EQ_U64(DRM_PANTHOR_TIMESTAMP_GPU_CYCLE_COUNT, 1u << 5);
	T_ASSERT_EQ_U64(DRM_PANTHOR_TIMESTAMP_FREQ, 1u << 6);
	T_ASSERT_EQ_U64(DRM_PANTHOR_TIMESTAMP_DURATION, 1u << 7);

	/* Both CPU clocks are values of the clock field, not bits outside it. */
	T_ASSERT_EQ_U64(DRM_PANTHOR_TIMESTAMP_CPU_MONOTONIC_RAW & ~DRM_PANTHOR_TIMESTAMP_CPU_TYPE_MASK, 0);
	T_ASSERT_EQ_U64(DRM_PANTHOR_TIMESTAMP_CPU_TYPE_MASK &
			(DRM_PANTHOR_TIMESTAMP_GPU | DRM_PANTHOR_TIMESTAMP_GPU_OFFSET), 0);
}

T_TEST(group_enums, "uapi/header/enums/group")
{
	T_ASSERT_EQ_INT(PANTHOR_GROUP_PRIORITY_LOW, 0);
	T_ASSERT_EQ_INT(PANTHOR_GROUP_PRIORITY_MEDIUM, 1);
	T_ASSERT_EQ_INT(PANTHOR_GROUP_PRIORITY_HIGH, 2);
	T_ASSERT_EQ_INT(PANTHOR_GROUP_PRIORITY_REALTIME, 3);

	T_ASSERT_EQ_U64(DRM_PANTHOR_GROUP_STATE_TIMEDOUT, 1u << 0);
	T_ASSERT_EQ_U64(DRM_PANTHOR_GROUP_STATE_FATAL_FAULT, 1u << 1);
	T_ASSERT_EQ_U64(DRM_PANTHOR_GROUP_STATE_INNOCENT, 1u << 2);
}

T_TEST(user_mmio, "uapi/header/user-mmio")
{
	T_ASSERT_EQ_U64(DRM_PANTHOR_USER_MMIO_OFFSET_32BIT, 1ull << 43);
	T_ASSERT_EQ_U64(DRM_PANTHOR_USER_MMIO_OFFSET_64BIT, 1ull << 56);
	T_ASSERT_EQ_U64(DRM_PANTHOR_USER_MMIO_OFFSET,
			sizeof(unsigned long) == 8 ? 1ull << 56 : 1ull << 43);
	/* The flush-ID page is the first user MMIO page. */
	T_ASSERT_EQ_U64(DRM_PANTHOR_USER_FLUSH_ID_MMIO_OFFSET, DRM_PANTHOR_USER_MMIO_OFFSET);
	/* Both bases are page aligned, as mmap() offsets must be. */
	T_ASSERT_EQ_U64(DRM_PANTHOR_USER_MMIO_OFFSET_32BIT & 0xfff, 0);
	T_ASSERT_EQ_U64(DRM_PANTHOR_USER_MMIO_OFFSET_64BIT & 0xfff, 0);
}

T_TEST(gpu_info_decoders, "uapi/header/gpu-info/decoders")
{
	/* Every field set to a distinct value: 0xA8672235 = 10.8.6, product 7, r2p35 status 5. */
	__u32 gpu_id = (10u << 28) | (8u << 24) | (6u << 20) | (7u << 16) |
		       (2u << 12) | (0x23u << 4) | 5u;
	T_ASSERT_EQ_U64(gpu_id, 0xA8672235u);
	T_ASSERT_EQ_INT(DRM_PANTHOR_ARCH_MAJOR(gpu_id), 10);
	T_ASSERT_EQ_INT(DRM_PANTHOR_ARCH_MINOR(gpu_id), 8);
	T_ASSERT_EQ_INT(DRM_PANTHOR_ARCH_REV(gpu_id), 6);
	T_ASSERT_EQ_INT(DRM_PANTHOR_PRODUCT_MAJOR(gpu_id), 7);
	T_ASSERT_EQ_INT(DRM_PANTHOR_VERSION_MAJOR(gpu_id), 2);
	T_ASSERT_EQ_INT(DRM_PANTHOR_VERSION_MINOR(gpu_id), 0x23);
	T_ASSERT_EQ_INT(DRM_PANTHOR_VERSION_STATUS(gpu_id), 5);

	/* All ones: each decoder must return exactly its field width. */
	__u32 ones = 0xffffffffu;
	T_ASSERT_EQ_INT(DRM_PANTHOR_ARCH_MAJOR(ones), 0xf);
	T_ASSERT_EQ_INT(DRM_PANTHOR_VERSION_MINOR(ones), 0xff);
	T_ASSERT_EQ_INT(DRM_PANTHOR_CSHW_MAJOR(ones), 0x3f);
	T_ASSERT_EQ_INT(DRM_PANTHOR_CSHW_MINOR(ones), 0x3f);
	T_ASSERT_EQ_INT(DRM_PANTHOR_CSHW_REV(ones), 0xf);
	T_ASSERT_EQ_INT(DRM_PANTHOR_MCU_MAJOR(ones), 0x3f);
	T_ASSERT_EQ_INT(DRM_PANTHOR_MCU_MINOR(ones), 0x3f);
	T_ASSERT_EQ_INT(DRM_PANTHOR_MCU_REV(ones), 0xf);
	T_ASSERT_EQ_INT(DRM_PANTHOR_MMU_VA_BITS(ones), 0xff);

	__u32 csf_id = (4u << 26) | (3u << 20) | (2u << 16) | (9u << 10) | (5u << 4) | 1u;
	T_ASSERT_EQ_INT(DRM_PANTHOR_CSHW_MAJOR(csf_id), 4);
	T_ASSERT_EQ_INT(DRM_PANTHOR_CSHW_MINOR(csf_id), 3);
	T_ASSERT_EQ_INT(DRM_PANTHOR_CSHW_REV(csf_id), 2);
	T_ASSERT_EQ_INT(DRM_PANTHOR_MCU_MAJOR(csf_id), 9);
	T_ASSERT_EQ_INT(DRM_PANTHOR_MCU_MINOR(csf_id), 5);
	T_ASSERT_EQ_INT(DRM_PANTHOR_MCU_REV(csf_id), 1);

	/* mmu_features: 48-bit VA in bits 7:0, 40-bit PA in bits 15:8 (ignored by VA_BITS). */
	T_ASSERT_EQ_INT(DRM_PANTHOR_MMU_VA_BITS(0x2830u), 48);
}
