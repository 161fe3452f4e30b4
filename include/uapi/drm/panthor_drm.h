/* SPDX-License-Identifier: MIT */
/*
 * The panthor uAPI (Arm Mali CSF GPUs) as of driver version 1.9, written for
 * pantomime from the fact sheet in reference/panthor-uapi-mmu.md §1.
 *
 * Every name and value here is the real one, so Mesa's panvk and IGT build
 * against this header unchanged; the wording and the layout of the comments
 * are ours. The end of the file pins every struct size, every field offset
 * and every ioctl request number with static assertions, so a layout slip is
 * a compile error rather than a silently corrupted ioctl argument.
 */

/*
 * The guard is the one the kernel's copy uses. That is deliberate: this file
 * is a drop-in replacement, and a translation unit that reaches both copies
 * (through a client's own drm-uapi directory, say) must see the second one
 * as a no-op instead of failing on duplicate struct definitions.
 */
#ifndef _PANTHOR_DRM_H_
#define _PANTHOR_DRM_H_

/* DRM core: __u8/__u32/__u64, DRM_IOWR() and DRM_COMMAND_BASE (libdrm). */
#include <drm.h>
/* Both are freestanding headers: offsetof() for the layout checks, uintptr_t for DRM_PANTHOR_OBJ_ARRAY(). */
#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

/**
 * DOC: Versioning and extension rules
 *
 * The driver registers as DRM driver "panthor", major version 1. The minor
 * version is bumped for every user-visible addition, so userspace learns what
 * it may use from DRM_IOCTL_VERSION instead of probing. This header describes
 * **version 1.9**:
 *
 * ===== ==============================================================
 * minor what became available
 * ===== ==============================================================
 * 1.0   the initial interface (ioctls 0..12)
 * 1.1   DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO
 * 1.2   DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO and
 *       PANTHOR_GROUP_PRIORITY_REALTIME
 * 1.3   DRM_PANTHOR_GROUP_STATE_INNOCENT
 * 1.4   DRM_IOCTL_PANTHOR_BO_SET_LABEL
 * 1.5   DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET
 * 1.6   no layout change (the firmware cycle counter is switched on)
 * 1.7   DRM_PANTHOR_BO_WB_MMAP, DRM_IOCTL_PANTHOR_BO_SYNC,
 *       DRM_IOCTL_PANTHOR_BO_QUERY_INFO and
 *       drm_panthor_gpu_info::selected_coherency
 * 1.8   drm_panthor_timestamp_info grows a flags field and CPU/cycle fields
 * 1.9   DRM_PANTHOR_DEV_QUERY_MMU_INFO and DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE
 * ===== ==============================================================
 *
 * How the interface may grow without breaking old binaries:
 *
 * - Every ioctl argument struct is a multiple of 8 bytes and has no implicit
 *   padding: holes are named ``pad`` fields. Such fields are "must be zero"
 *   (MBZ) on input and the kernel rejects non-zero values with -EINVAL, which
 *   is what lets a later version give them a meaning.
 *   Because all padding is explicit, the layout is the same on every ABI
 *   (i386 aligns __u64 to 4 inside structs; nothing here depends on that).
 * - Flags are only ever added; an existing bit never changes meaning.
 * - A top-level struct (the one the ioctl number encodes) may grow at its
 *   end, or by turning a ``pad`` into a field, provided that zero in the new
 *   field means "behave as before".
 * - Objects reached through a pointer (array elements, query results) carry
 *   the size userspace compiled against: &drm_panthor_obj_array.stride and
 *   &drm_panthor_dev_query.size. On input, fields the user struct lacks are
 *   zero-filled and extra user bytes the kernel does not know must be zero.
 *   On output, the kernel copies min(user size, kernel size) bytes and zeroes
 *   the user bytes past its own size. Each such struct has a minimum size
 *   (the end of the last field it had when it was introduced); a smaller
 *   stride or size is -EINVAL. The minimum is given on each struct below.
 * - Unions are never used: they defeat the size-based versioning.
 * - ioctl numbers and query types are only appended, never reused.
 */

/**
 * DOC: User MMIO regions
 *
 * Some GPU registers are mapped directly into userspace through mmap() on the
 * DRM file, at fixed file offsets far above any GEM fake offset.
 *
 * The mmap() page offset is an unsigned long, so the base differs between
 * 32-bit and 64-bit processes: DRM_PANTHOR_USER_MMIO_OFFSET picks the right
 * one for the compiling ABI. A process that emulates the other ABI can tell
 * the driver which one it uses with DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET.
 *
 * DRM_PANTHOR_USER_FLUSH_ID_MMIO_OFFSET maps the page holding the GPU's
 * LATEST_FLUSH_ID register (a read-only counter, see
 * &drm_panthor_queue_submit.latest_flush). The mapping must be exactly one
 * page, MAP_SHARED, and neither writable nor executable. While the GPU is
 * powered down the page is replaced by a dummy one that reads 1.
 *
 * Use the DRM_PANTHOR_USER_*_MMIO_OFFSET values, not the base directly.
 */
/** DRM_PANTHOR_USER_MMIO_OFFSET_32BIT - user MMIO base for 32-bit processes. */
#define DRM_PANTHOR_USER_MMIO_OFFSET_32BIT	(1ull << 43)
/** DRM_PANTHOR_USER_MMIO_OFFSET_64BIT - user MMIO base for 64-bit processes. */
#define DRM_PANTHOR_USER_MMIO_OFFSET_64BIT	(1ull << 56)
/** DRM_PANTHOR_USER_MMIO_OFFSET - user MMIO base for the ABI this code is compiled for. */
#define DRM_PANTHOR_USER_MMIO_OFFSET \
	(sizeof(unsigned long) < 8 ? DRM_PANTHOR_USER_MMIO_OFFSET_32BIT : \
				     DRM_PANTHOR_USER_MMIO_OFFSET_64BIT)
/** DRM_PANTHOR_USER_FLUSH_ID_MMIO_OFFSET - mmap() offset of the LATEST_FLUSH_ID page (first region). */
#define DRM_PANTHOR_USER_FLUSH_ID_MMIO_OFFSET	(DRM_PANTHOR_USER_MMIO_OFFSET | 0)

/**
 * enum drm_panthor_ioctl_id - driver-private ioctl numbers.
 *
 * These are offsets from DRM_COMMAND_BASE. Call ioctl() with the
 * DRM_IOCTL_PANTHOR_* request values at the end of this file, which also
 * encode direction and argument size. New entries go at the end only.
 *
 * @DRM_PANTHOR_DEV_QUERY: read one block of device information (1.0).
 * @DRM_PANTHOR_VM_CREATE: create a GPU address space (1.0).
 * @DRM_PANTHOR_VM_DESTROY: release a GPU address space handle (1.0).
 * @DRM_PANTHOR_VM_BIND: map, unmap or synchronise on a VM (1.0).
 * @DRM_PANTHOR_VM_GET_STATE: ask whether a VM still accepts work (1.0).
 * @DRM_PANTHOR_BO_CREATE: allocate a buffer object (1.0).
 * @DRM_PANTHOR_BO_MMAP_OFFSET: get the fake offset to mmap() a buffer object (1.0).
 * @DRM_PANTHOR_GROUP_CREATE: create a scheduling group of queues (1.0).
 * @DRM_PANTHOR_GROUP_DESTROY: destroy a scheduling group (1.0).
 * @DRM_PANTHOR_GROUP_SUBMIT: queue command streams on a group's queues (1.0).
 * @DRM_PANTHOR_GROUP_GET_STATE: read a group's fault/timeout state (1.0).
 * @DRM_PANTHOR_TILER_HEAP_CREATE: create a growable tiler heap (1.0).
 * @DRM_PANTHOR_TILER_HEAP_DESTROY: destroy a tiler heap (1.0).
 * @DRM_PANTHOR_BO_SET_LABEL: attach a debug name to a buffer object (1.4).
 * @DRM_PANTHOR_SET_USER_MMIO_OFFSET: choose the user MMIO base for this file (1.5).
 * @DRM_PANTHOR_BO_SYNC: CPU cache maintenance on buffer object ranges (1.7).
 * @DRM_PANTHOR_BO_QUERY_INFO: read a buffer object's flags, e.g. after import (1.7).
 */
enum drm_panthor_ioctl_id {
	DRM_PANTHOR_DEV_QUERY = 0,
	DRM_PANTHOR_VM_CREATE,
	DRM_PANTHOR_VM_DESTROY,
	DRM_PANTHOR_VM_BIND,
	DRM_PANTHOR_VM_GET_STATE,
	DRM_PANTHOR_BO_CREATE,
	DRM_PANTHOR_BO_MMAP_OFFSET,
	DRM_PANTHOR_GROUP_CREATE,
	DRM_PANTHOR_GROUP_DESTROY,
	DRM_PANTHOR_GROUP_SUBMIT,
	DRM_PANTHOR_GROUP_GET_STATE,
	DRM_PANTHOR_TILER_HEAP_CREATE,
	DRM_PANTHOR_TILER_HEAP_DESTROY,
	DRM_PANTHOR_BO_SET_LABEL,
	DRM_PANTHOR_SET_USER_MMIO_OFFSET,
	DRM_PANTHOR_BO_SYNC,
	DRM_PANTHOR_BO_QUERY_INFO,
};

/**
 * struct drm_panthor_obj_array - a user array whose element type may grow.
 *
 * Used wherever an ioctl takes a variable number of sub-objects (bind ops,
 * sync ops, queues, submits, BO sync ops). The kernel reads @count elements
 * of @stride bytes each and interprets them with the rules of the
 * "Versioning and extension rules" section: a @stride below the element's
 * minimum size is -EINVAL. @count == 0 is an empty array, never an error,
 * and @array is then ignored.
 *
 * Fill it with DRM_PANTHOR_OBJ_ARRAY() so that @stride is always the element
 * size this program was compiled with.
 *
 * @stride: size in bytes of one element as userspace knows it.
 * @count: number of elements.
 * @array: user pointer to the first element, as a __u64.
 */
struct drm_panthor_obj_array {
	__u32 stride;
	__u32 count;
	__u64 array;
};

/**
 * DRM_PANTHOR_OBJ_ARRAY() - initializer for a struct drm_panthor_obj_array.
 * @cnt: number of elements.
 * @ptr: pointer to the first element (its pointee type gives the stride).
 *
 * Expands to a designated initializer, so it is usable in C and in C++20.
 * Needs uintptr_t, which this header brings in through <stdint.h>.
 */
#define DRM_PANTHOR_OBJ_ARRAY(cnt, ptr) \
	{ .stride = sizeof((ptr)[0]), .count = (cnt), .array = (__u64)(uintptr_t)(ptr) }

/**
 * enum drm_panthor_sync_op_flags - what a &drm_panthor_sync_op does.
 *
 * The low byte names the kind of handle; bit 31 chooses wait or signal. The
 * kernel rejects any other bit, and any handle type other than the two below,
 * with -EINVAL.
 *
 * @DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_MASK: the bits holding the handle type.
 * @DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ: a binary DRM syncobj.
 * @DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ: a timeline DRM syncobj;
 *	&drm_panthor_sync_op.timeline_value selects the point.
 * @DRM_PANTHOR_SYNC_OP_WAIT: the job waits for the fence (bit 31 clear).
 * @DRM_PANTHOR_SYNC_OP_SIGNAL: the job's completion fence is installed in
 *	the syncobj (bit 31 set, 0x80000000). Written through an int cast
 *	because C enumerators must fit in an int; mask with a __u32.
 */
enum drm_panthor_sync_op_flags {
	DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_MASK = 0xff,
	DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ = 0,
	DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ = 1,
	DRM_PANTHOR_SYNC_OP_WAIT = 0,
	DRM_PANTHOR_SYNC_OP_SIGNAL = (int)0x80000000u,
};

/**
 * struct drm_panthor_sync_op - one wait or signal attached to a job.
 *
 * Element of &drm_panthor_vm_bind_op.syncs and
 * &drm_panthor_queue_submit.syncs. Minimum size: 16 (whole struct).
 *
 * @flags: in; combination of enum drm_panthor_sync_op_flags.
 * @handle: in; the DRM syncobj handle.
 * @timeline_value: in; the timeline point to wait for or signal. MBZ unless
 *	the handle type is DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ
 *	(non-zero with a binary syncobj is -EINVAL).
 */
struct drm_panthor_sync_op {
	__u32 flags;
	__u32 handle;
	__u64 timeline_value;
};

/**
 * enum drm_panthor_dev_query_type - what DRM_IOCTL_PANTHOR_DEV_QUERY returns.
 *
 * New types are appended only.
 *
 * @DRM_PANTHOR_DEV_QUERY_GPU_INFO: struct drm_panthor_gpu_info (1.0).
 * @DRM_PANTHOR_DEV_QUERY_CSIF_INFO: struct drm_panthor_csif_info (1.0).
 * @DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO: struct drm_panthor_timestamp_info (1.1).
 * @DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO: struct
 *	drm_panthor_group_priorities_info (1.2).
 * @DRM_PANTHOR_DEV_QUERY_MMU_INFO: struct drm_panthor_mmu_info (1.9).
 *	UNCONFIRMED: the value 4 and the struct come from a translation of
 *	the 1.9 header, not from kernel C; we take them as given, since 4 is
 *	also the next free value under the append-only rule.
 */
enum drm_panthor_dev_query_type {
	DRM_PANTHOR_DEV_QUERY_GPU_INFO = 0,
	DRM_PANTHOR_DEV_QUERY_CSIF_INFO,
	DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO,
	DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO,
	DRM_PANTHOR_DEV_QUERY_MMU_INFO,
};

/**
 * enum drm_panthor_gpu_coherency - how the GPU is kept coherent with CPUs (1.7).
 *
 * These are bit numbers in &drm_panthor_gpu_info.coherency_features and
 * values of &drm_panthor_gpu_info.selected_coherency; they match the
 * hardware's COHERENCY_ENABLE encoding.
 *
 * @DRM_PANTHOR_GPU_COHERENCY_ACE_LITE: one-way coherency (ACE-Lite): GPU
 *	accesses snoop CPU caches.
 * @DRM_PANTHOR_GPU_COHERENCY_ACE: full two-way coherency (ACE).
 * @DRM_PANTHOR_GPU_COHERENCY_NONE: not coherent: CPU caches must be
 *	maintained by hand (see DRM_IOCTL_PANTHOR_BO_SYNC).
 */
enum drm_panthor_gpu_coherency {
	DRM_PANTHOR_GPU_COHERENCY_ACE_LITE = 0,
	DRM_PANTHOR_GPU_COHERENCY_ACE = 1,
	DRM_PANTHOR_GPU_COHERENCY_NONE = 31,
};

/**
 * struct drm_panthor_gpu_info - GPU identification and capabilities.
 *
 * Result of DRM_PANTHOR_DEV_QUERY_GPU_INFO. All fields are outputs and are
 * mostly raw copies of the GPU's identification and feature registers; the
 * DRM_PANTHOR_*() macros below decode the packed ones. Minimum size: 96 (up
 * to and including @tiler_present); 112 bytes in 1.9.
 *
 * @gpu_id: GPU_ID register; decode with DRM_PANTHOR_ARCH_MAJOR() and friends.
 * @gpu_rev: GPU revision register.
 * @csf_id: command stream frontend ID; decode with DRM_PANTHOR_CSHW_MAJOR()
 *	and friends.
 * @l2_features: L2 cache features; the cache line is 1 << (value & 0xff) bytes.
 * @tiler_features: tiler features register.
 * @mem_features: memory system features register.
 * @mmu_features: MMU features; DRM_PANTHOR_MMU_VA_BITS() gives the number of
 *	virtual address bits, bits 15:8 the number of physical address bits.
 * @thread_features: thread features register.
 * @max_threads: maximum number of threads per core.
 * @thread_max_workgroup_size: maximum threads in one workgroup.
 * @thread_max_barrier_size: maximum threads that may wait on one barrier.
 * @coherency_features: bit n set means coherency mode n of enum
 *	drm_panthor_gpu_coherency is supported by the GPU; which one the SoC
 *	actually uses is @selected_coherency.
 * @texture_features: texture features registers 0..3.
 * @as_present: bitmask of the hardware address spaces (MMU slots).
 * @selected_coherency: the enum drm_panthor_gpu_coherency mode in use (1.7;
 *	it was a zero pad before, and zero reads as ACE_LITE, so check the
 *	driver version before trusting it).
 * @shader_present: bitmask of the shader cores present.
 * @l2_present: bitmask of the L2 cache slices present.
 * @tiler_present: bitmask of the tiler units present.
 * @core_features: discriminates variants of one GPU product.
 * @pad: always zero.
 * @gpu_features: bitmask of GPU-wide features (the GPU_FEATURES register of
 *	arch 11+ GPUs, e.g. bit 2 ray intersection); 0 on older GPUs.
 *	UNCONFIRMED which minor version added it: we include it because the
 *	1.9 layout has it. A client that reads a shorter struct from an older
 *	kernel simply sees it zeroed (output rule).
 */
struct drm_panthor_gpu_info {
	__u32 gpu_id;
	__u32 gpu_rev;
	__u32 csf_id;
	__u32 l2_features;
	__u32 tiler_features;
	__u32 mem_features;
	__u32 mmu_features;
	__u32 thread_features;
	__u32 max_threads;
	__u32 thread_max_workgroup_size;
	__u32 thread_max_barrier_size;
	__u32 coherency_features;
	__u32 texture_features[4];
	__u32 as_present;
	__u32 selected_coherency;
	__u64 shader_present;
	__u64 l2_present;
	__u64 tiler_present;
	__u32 core_features;
	__u32 pad;
	__u64 gpu_features;
};

/*
 * Field decoders for drm_panthor_gpu_info: each takes the raw register value
 * (a __u32) and yields one bit field of it.
 */
/**
 * DRM_PANTHOR_ARCH_MAJOR() - architecture major version, gpu_id[31:28].
 * @x: the gpu_id value.
 */
#define DRM_PANTHOR_ARCH_MAJOR(x)	((x) >> 28)
/**
 * DRM_PANTHOR_ARCH_MINOR() - architecture minor version, gpu_id[27:24].
 * @x: the gpu_id value.
 */
#define DRM_PANTHOR_ARCH_MINOR(x)	(((x) >> 24) & 0xf)
/**
 * DRM_PANTHOR_ARCH_REV() - architecture revision, gpu_id[23:20].
 * @x: the gpu_id value.
 */
#define DRM_PANTHOR_ARCH_REV(x)		(((x) >> 20) & 0xf)
/**
 * DRM_PANTHOR_PRODUCT_MAJOR() - product within the architecture, gpu_id[19:16].
 * @x: the gpu_id value.
 */
#define DRM_PANTHOR_PRODUCT_MAJOR(x)	(((x) >> 16) & 0xf)
/**
 * DRM_PANTHOR_VERSION_MAJOR() - product major revision, gpu_id[15:12].
 * @x: the gpu_id value.
 */
#define DRM_PANTHOR_VERSION_MAJOR(x)	(((x) >> 12) & 0xf)
/**
 * DRM_PANTHOR_VERSION_MINOR() - product minor revision, gpu_id[11:4].
 * @x: the gpu_id value.
 */
#define DRM_PANTHOR_VERSION_MINOR(x)	(((x) >> 4) & 0xff)
/**
 * DRM_PANTHOR_VERSION_STATUS() - product status, gpu_id[3:0].
 * @x: the gpu_id value.
 */
#define DRM_PANTHOR_VERSION_STATUS(x)	((x) & 0xf)

/**
 * DRM_PANTHOR_CSHW_MAJOR() - command stream hardware major version, csf_id[31:26].
 * @x: the csf_id value.
 */
#define DRM_PANTHOR_CSHW_MAJOR(x)	(((x) >> 26) & 0x3f)
/**
 * DRM_PANTHOR_CSHW_MINOR() - command stream hardware minor version, csf_id[25:20].
 * @x: the csf_id value.
 */
#define DRM_PANTHOR_CSHW_MINOR(x)	(((x) >> 20) & 0x3f)
/**
 * DRM_PANTHOR_CSHW_REV() - command stream hardware revision, csf_id[19:16].
 * @x: the csf_id value.
 */
#define DRM_PANTHOR_CSHW_REV(x)		(((x) >> 16) & 0xf)
/**
 * DRM_PANTHOR_MCU_MAJOR() - firmware microcontroller major version, csf_id[15:10].
 * @x: the csf_id value.
 */
#define DRM_PANTHOR_MCU_MAJOR(x)	(((x) >> 10) & 0x3f)
/**
 * DRM_PANTHOR_MCU_MINOR() - firmware microcontroller minor version, csf_id[9:4].
 * @x: the csf_id value.
 */
#define DRM_PANTHOR_MCU_MINOR(x)	(((x) >> 4) & 0x3f)
/**
 * DRM_PANTHOR_MCU_REV() - firmware microcontroller revision, csf_id[3:0].
 * @x: the csf_id value.
 */
#define DRM_PANTHOR_MCU_REV(x)		((x) & 0xf)

/**
 * DRM_PANTHOR_MMU_VA_BITS() - GPU virtual address width in bits, mmu_features[7:0].
 * @x: the mmu_features value.
 */
#define DRM_PANTHOR_MMU_VA_BITS(x)	((x) & 0xff)

/**
 * struct drm_panthor_csif_info - command stream interface limits.
 *
 * Result of DRM_PANTHOR_DEV_QUERY_CSIF_INFO; all outputs, as reported by the
 * firmware. Minimum size: 24 (whole struct).
 *
 * @csg_slot_count: command stream group slots (groups resident at once).
 * @cs_slot_count: command stream slots per group (queues per group).
 * @cs_reg_count: registers per command stream.
 * @scoreboard_slot_count: scoreboard slots per command stream.
 * @unpreserved_cs_reg_count: how many of the top command stream registers
 *	the kernel's ring-buffer code overwrites when it calls a user stream
 *	on GROUP_SUBMIT; user streams must not expect them preserved.
 * @pad: always zero.
 */
struct drm_panthor_csif_info {
	__u32 csg_slot_count;
	__u32 cs_slot_count;
	__u32 cs_reg_count;
	__u32 scoreboard_slot_count;
	__u32 unpreserved_cs_reg_count;
	__u32 pad;
};

/**
 * enum drm_panthor_timestamp_info_flags - what a timestamp query samples (1.8).
 *
 * Bits 3:1 are one field holding a CPU clock choice, not independent bits:
 * set at most one of the CPU_* values. A flags value of 0 means
 * GPU | GPU_OFFSET | FREQ, the 1.1 behaviour, so old callers are unaffected.
 *
 * UNCONFIRMED: the values and the flags == 0 default come from a translation
 * of the 1.8 header, not from kernel C. We adopt them as listed.
 *
 * @DRM_PANTHOR_TIMESTAMP_GPU: sample the GPU timestamp into
 *	&drm_panthor_timestamp_info.current_timestamp.
 * @DRM_PANTHOR_TIMESTAMP_CPU_NONE: no CPU time.
 * @DRM_PANTHOR_TIMESTAMP_CPU_MONOTONIC: CPU time from CLOCK_MONOTONIC.
 * @DRM_PANTHOR_TIMESTAMP_CPU_MONOTONIC_RAW: CPU time from CLOCK_MONOTONIC_RAW.
 * @DRM_PANTHOR_TIMESTAMP_CPU_TYPE_MASK: the bits of the CPU clock field.
 * @DRM_PANTHOR_TIMESTAMP_GPU_OFFSET: report the GPU timestamp offset.
 * @DRM_PANTHOR_TIMESTAMP_GPU_CYCLE_COUNT: report the GPU cycle counter.
 * @DRM_PANTHOR_TIMESTAMP_FREQ: report the timestamp frequency.
 * @DRM_PANTHOR_TIMESTAMP_DURATION: report how long the sampling took, so a
 *	caller can bound the error between the CPU and GPU samples.
 */
enum drm_panthor_timestamp_info_flags {
	DRM_PANTHOR_TIMESTAMP_GPU = 1 << 0,
	DRM_PANTHOR_TIMESTAMP_CPU_NONE = 0 << 1,
	DRM_PANTHOR_TIMESTAMP_CPU_MONOTONIC = 1 << 1,
	DRM_PANTHOR_TIMESTAMP_CPU_MONOTONIC_RAW = 2 << 1,
	DRM_PANTHOR_TIMESTAMP_CPU_TYPE_MASK = 7 << 1,
	DRM_PANTHOR_TIMESTAMP_GPU_OFFSET = 1 << 4,
	DRM_PANTHOR_TIMESTAMP_GPU_CYCLE_COUNT = 1 << 5,
	DRM_PANTHOR_TIMESTAMP_FREQ = 1 << 6,
	DRM_PANTHOR_TIMESTAMP_DURATION = 1 << 7,
};

/**
 * struct drm_panthor_timestamp_info - GPU (and CPU) time (1.1, extended 1.8).
 *
 * Result of DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO. Since 1.8 the query reads
 * @flags from the user buffer first, so it is an input as well as a result;
 * fields not requested read zero. Minimum size: 16 (up to and including
 * @current_timestamp); 24 in 1.1..1.7, 56 from 1.8.
 *
 * @timestamp_frequency: out; GPU timestamp ticks per second, 0 if unknown.
 * @current_timestamp: out; the GPU timestamp counter when sampled.
 * @timestamp_offset: out; the offset the GPU adds to its timestamp counter.
 * @flags: in (1.8); enum drm_panthor_timestamp_info_flags, 0 for the 1.1
 *	behaviour. Unknown bits, or a CPU clock field value other than the
 *	three defined ones (e.g. MONOTONIC | MONOTONIC_RAW), are -EINVAL.
 * @duration_nsec: out (1.8); nanoseconds spent taking the samples, when
 *	DRM_PANTHOR_TIMESTAMP_DURATION is set.
 * @cycle_count: out (1.8); the GPU cycle counter, when
 *	DRM_PANTHOR_TIMESTAMP_GPU_CYCLE_COUNT is set.
 * @cpu_timestamp_sec: out (1.8); seconds of the CPU clock chosen in @flags.
 * @cpu_timestamp_nsec: out (1.8); nanoseconds part of that CPU time.
 */
struct drm_panthor_timestamp_info {
	__u64 timestamp_frequency;
	__u64 current_timestamp;
	__u64 timestamp_offset;
	__u32 flags;
	__u32 duration_nsec;
	__u64 cycle_count;
	__u64 cpu_timestamp_sec;
	__u64 cpu_timestamp_nsec;
};

/**
 * struct drm_panthor_mmu_info - GPU MMU properties (1.9).
 *
 * Result of DRM_PANTHOR_DEV_QUERY_MMU_INFO. Minimum size: 8.
 *
 * @page_size_bitmap: out; bit n set means a mapping may use pages of
 *	1 << n bytes. UNCONFIRMED what the kernel reports; our choice is the
 *	page-table geometry of the 4 KiB granule: 4 KiB pages and 2 MiB
 *	blocks (0x201000). The smallest set bit is the VM_BIND alignment.
 */
struct drm_panthor_mmu_info {
	__u64 page_size_bitmap;
};

/**
 * struct drm_panthor_group_priorities_info - which group priorities this file may use (1.2).
 *
 * Result of DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO. At 4 bytes it is
 * the one struct that is not a multiple of 8: as a query result it is
 * versioned by size, not embedded in an ioctl argument. Minimum size: 4.
 *
 * @allowed_mask: out; bit n set means enum drm_panthor_group_priority value
 *	n is allowed for this caller (HIGH and REALTIME need CAP_SYS_NICE or
 *	DRM master).
 * @pad: always zero.
 */
struct drm_panthor_group_priorities_info {
	__u8 allowed_mask;
	__u8 pad[3];
};

/**
 * struct drm_panthor_dev_query - argument of DRM_IOCTL_PANTHOR_DEV_QUERY.
 *
 * Two-step use: with @pointer == 0 the kernel only stores the size of its
 * result struct in @size; otherwise it copies the result to @pointer using
 * @size as the size userspace knows (see the extension rules).
 *
 * @type: in; enum drm_panthor_dev_query_type. Unknown types are -EINVAL.
 * @size: in/out; with @pointer set, the size of the user buffer (below the
 *	type's minimum is -EINVAL); with @pointer == 0, receives the kernel's
 *	struct size.
 * @pointer: in; user pointer to the result struct, or 0 to ask for the size.
 */
struct drm_panthor_dev_query {
	__u32 type;
	__u32 size;
	__u64 pointer;
};

/**
 * struct drm_panthor_vm_create - argument of DRM_IOCTL_PANTHOR_VM_CREATE.
 *
 * A VM is a GPU virtual address space with its own page tables. Its VA
 * range (1 << DRM_PANTHOR_MMU_VA_BITS(mmu_features) bytes) is split in two:
 * user VA from 0 up, where userspace places its mappings with VM_BIND, and a
 * kernel VA area above it for objects the kernel maps itself (ring buffers,
 * heap chunks, ...). A file may hold at most 32 VMs.
 *
 * @flags: in; no flag is defined, MBZ.
 * @id: out; the new VM's handle, non-zero.
 * @user_va_range: in/out; size of the user VA area. 0 lets the kernel
 *	choose (the CPU's TASK_SIZE when that is smaller than the GPU range,
 *	else half the range above 4 GiB, else the range less 256 MiB); a
 *	non-zero value is used as given, but at least 256 MiB must remain for
 *	the kernel or the call fails with -EINVAL. On return it holds the
 *	start of the kernel area, i.e. the user range actually usable, which
 *	may exceed the request because the kernel area is a power of two.
 *	Userspace must keep its mappings below it (UNCONFIRMED whether the
 *	kernel rejects a VM_BIND above it; do not rely on either behaviour).
 */
struct drm_panthor_vm_create {
	__u32 flags;
	__u32 id;
	__u64 user_va_range;
};

/**
 * struct drm_panthor_vm_destroy - argument of DRM_IOCTL_PANTHOR_VM_DESTROY.
 *
 * Removes the handle, then unmaps the VM's whole VA range and drops the
 * file's reference; the address space itself is freed once its last user
 * (a group, a pending bind job) lets go.
 *
 * @id: in; the VM handle.
 * @pad: MBZ.
 */
struct drm_panthor_vm_destroy {
	__u32 id;
	__u32 pad;
};

/**
 * enum drm_panthor_vm_bind_op_flags - flags of a &drm_panthor_vm_bind_op.
 *
 * Bits 31:28 hold the operation type (one of the TYPE_* values); the low bits
 * are modifiers, valid only with DRM_PANTHOR_VM_BIND_OP_TYPE_MAP. UNMAP and
 * SYNC_ONLY accept no modifier. Anything else is -EINVAL.
 *
 * @DRM_PANTHOR_VM_BIND_OP_MAP_READONLY: the GPU may not write the range.
 * @DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC: the GPU may not execute from the range.
 * @DRM_PANTHOR_VM_BIND_OP_MAP_UNCACHED: map with the uncached memory
 *	attribute, bypassing GPU caches.
 * @DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE: (1.9) back the whole range with a
 *	dummy object instead of a BO, repeated as often as needed to cover
 *	it; this is how Vulkan sparse residency maps "nothing" without a
 *	stream of page-sized ops. &drm_panthor_vm_bind_op.bo_handle and
 *	&drm_panthor_vm_bind_op.bo_offset must be 0 and
 *	DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC must be set too. GPU reads from the
 *	range return undefined values; writes are absorbed by a dummy object
 *	private to the DRM file (the GPU cannot drop them), so they never
 *	reach another process. The dummy's size is not part of the uAPI
 *	(UNCONFIRMED upstream, 2 MiB implied; our choice is 2 MiB, one block).
 * @DRM_PANTHOR_VM_BIND_OP_TYPE_MASK: the bits of the operation type
 *	(0xf0000000; written through an int cast like SYNC_OP_SIGNAL).
 * @DRM_PANTHOR_VM_BIND_OP_TYPE_MAP: map [bo_offset, bo_offset + size) of
 *	the BO at [va, va + size), replacing whatever was mapped there.
 * @DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP: unmap [va, va + size); holes are fine,
 *	and mappings that straddle an end are split.
 * @DRM_PANTHOR_VM_BIND_OP_TYPE_SYNC_ONLY: change nothing, only order the
 *	op's syncs behind earlier ops of the VM's bind queue. Valid only with
 *	DRM_PANTHOR_VM_BIND_ASYNC and at least one sync op.
 */
enum drm_panthor_vm_bind_op_flags {
	DRM_PANTHOR_VM_BIND_OP_MAP_READONLY = 1 << 0,
	DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC = 1 << 1,
	DRM_PANTHOR_VM_BIND_OP_MAP_UNCACHED = 1 << 2,
	DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE = 1 << 3,
	DRM_PANTHOR_VM_BIND_OP_TYPE_MASK = (int)0xf0000000u,
	DRM_PANTHOR_VM_BIND_OP_TYPE_MAP = 0 << 28,
	DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP = 1 << 28,
	DRM_PANTHOR_VM_BIND_OP_TYPE_SYNC_ONLY = 2 << 28,
};

/**
 * struct drm_panthor_vm_bind_op - one operation of a VM_BIND call.
 *
 * Element of &drm_panthor_vm_bind.ops. @va, @size and @bo_offset must be
 * multiples of the VM page size (4 KiB, the smallest bit of
 * &drm_panthor_mmu_info.page_size_bitmap). A MAP needs size <= BO size and
 * bo_offset <= BO size - size, and a BO created with an exclusive VM can only
 * be mapped into that VM. A @size of 0 is a successful no-op. Unchanged
 * since 1.0; minimum size: 48 (whole struct).
 *
 * @flags: in; enum drm_panthor_vm_bind_op_flags (type and modifiers).
 * @bo_handle: in; the GEM handle to map. MBZ for UNMAP, SYNC_ONLY and
 *	sparse MAP.
 * @bo_offset: in; byte offset into the BO of the first mapped byte. MBZ for
 *	UNMAP, SYNC_ONLY and sparse MAP.
 * @va: in; GPU virtual address of the range. MBZ for SYNC_ONLY.
 * @size: in; length of the range in bytes. MBZ for SYNC_ONLY.
 * @syncs: in; array of struct drm_panthor_sync_op: waits before the op runs
 *	and signals once it is done. Must be empty unless the call has
 *	DRM_PANTHOR_VM_BIND_ASYNC, and must not be empty for SYNC_ONLY.
 */
struct drm_panthor_vm_bind_op {
	__u32 flags;
	__u32 bo_handle;
	__u64 bo_offset;
	__u64 va;
	__u64 size;
	struct drm_panthor_obj_array syncs;
};

/**
 * enum drm_panthor_vm_bind_flags - flags of a &drm_panthor_vm_bind call.
 *
 * @DRM_PANTHOR_VM_BIND_ASYNC: queue every op as a job on the VM's bind
 *	queue and return at once; completion is reported through the ops'
 *	signal syncs. A failure at execution time leaves the VM
 *	DRM_PANTHOR_VM_STATE_UNUSABLE. Without it the ops run one after the
 *	other before the call returns, take no syncs, and a failure does not
 *	poison the VM. The only defined flag; others are -EINVAL.
 */
enum drm_panthor_vm_bind_flags {
	DRM_PANTHOR_VM_BIND_ASYNC = 1 << 0,
};

/**
 * struct drm_panthor_vm_bind - argument of DRM_IOCTL_PANTHOR_VM_BIND.
 *
 * @vm_id: in; the VM handle.
 * @flags: in; enum drm_panthor_vm_bind_flags.
 * @ops: in/out; array of struct drm_panthor_vm_bind_op, executed in order.
 *	In synchronous mode, when op i fails the call returns its error and
 *	sets @ops.count to i; ops before i stay applied.
 */
struct drm_panthor_vm_bind {
	__u32 vm_id;
	__u32 flags;
	struct drm_panthor_obj_array ops;
};

/**
 * enum drm_panthor_vm_state - whether a VM still accepts work.
 *
 * @DRM_PANTHOR_VM_STATE_USABLE: all operations are accepted.
 * @DRM_PANTHOR_VM_STATE_UNUSABLE: an asynchronous bind failed, so the VM's
 *	contents are no longer what userspace asked for. MAP ops and GPU jobs
 *	on it fail; UNMAP still works so it can be torn down. The state is
 *	final: create a new VM.
 */
enum drm_panthor_vm_state {
	DRM_PANTHOR_VM_STATE_USABLE = 0,
	DRM_PANTHOR_VM_STATE_UNUSABLE = 1,
};

/**
 * struct drm_panthor_vm_get_state - argument of DRM_IOCTL_PANTHOR_VM_GET_STATE.
 *
 * @vm_id: in; the VM handle.
 * @state: out; an enum drm_panthor_vm_state value.
 */
struct drm_panthor_vm_get_state {
	__u32 vm_id;
	__u32 state;
};

/**
 * enum drm_panthor_bo_flags - creation flags of a buffer object.
 *
 * Setting both flags, or any unknown bit, is -EINVAL.
 *
 * @DRM_PANTHOR_BO_NO_MMAP: the BO is never mapped by the CPU;
 *	DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET on it is -EPERM.
 * @DRM_PANTHOR_BO_WB_MMAP: (1.7) CPU mappings are write-back cached even
 *	when the GPU is not IO-coherent (they are write-combined otherwise);
 *	userspace then keeps the caches in order, e.g. with
 *	DRM_IOCTL_PANTHOR_BO_SYNC.
 */
enum drm_panthor_bo_flags {
	DRM_PANTHOR_BO_NO_MMAP = 1 << 0,
	DRM_PANTHOR_BO_WB_MMAP = 1 << 1,
};

/**
 * struct drm_panthor_bo_create - argument of DRM_IOCTL_PANTHOR_BO_CREATE.
 *
 * @size: in/out; requested size in bytes, non-zero; on return the size
 *	actually allocated, rounded up to the CPU page size.
 * @flags: in; enum drm_panthor_bo_flags.
 * @exclusive_vm_id: in; 0 for a shareable BO. Otherwise an existing VM
 *	handle: the BO shares that VM's reservation lock, can be mapped into
 *	that VM only, and cannot be exported as a dma-buf.
 * @handle: out; the new GEM handle, non-zero.
 * @pad: MBZ.
 */
struct drm_panthor_bo_create {
	__u64 size;
	__u32 flags;
	__u32 exclusive_vm_id;
	__u32 handle;
	__u32 pad;
};

/**
 * struct drm_panthor_bo_mmap_offset - argument of DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET.
 *
 * @handle: in; the GEM handle (unknown is -ENOENT).
 * @pad: MBZ.
 * @offset: out; the fake file offset to pass to mmap() on the DRM file.
 */
struct drm_panthor_bo_mmap_offset {
	__u32 handle;
	__u32 pad;
	__u64 offset;
};

/**
 * struct drm_panthor_queue_create - one queue of a new group.
 *
 * Element of &drm_panthor_group_create.queues. Minimum size: 8.
 *
 * @priority: in; priority among the group's queues, 0 (lowest) to 15.
 * @pad: MBZ.
 * @ringbuf_size: in; size in bytes of the kernel ring buffer feeding the
 *	queue.
 */
struct drm_panthor_queue_create {
	__u8 priority;
	__u8 pad[3];
	__u32 ringbuf_size;
};

/**
 * enum drm_panthor_group_priority - scheduling priority of a group.
 *
 * These names carry no DRM_ prefix in the real uAPI; kept for compatibility.
 *
 * @PANTHOR_GROUP_PRIORITY_LOW: below normal.
 * @PANTHOR_GROUP_PRIORITY_MEDIUM: normal.
 * @PANTHOR_GROUP_PRIORITY_HIGH: needs CAP_SYS_NICE or DRM master.
 * @PANTHOR_GROUP_PRIORITY_REALTIME: (1.2) needs CAP_SYS_NICE or DRM master.
 */
enum drm_panthor_group_priority {
	PANTHOR_GROUP_PRIORITY_LOW = 0,
	PANTHOR_GROUP_PRIORITY_MEDIUM,
	PANTHOR_GROUP_PRIORITY_HIGH,
	PANTHOR_GROUP_PRIORITY_REALTIME,
};

/**
 * struct drm_panthor_group_create - argument of DRM_IOCTL_PANTHOR_GROUP_CREATE.
 *
 * A group is a set of queues scheduled together on one firmware group slot.
 *
 * @queues: in; array of struct drm_panthor_queue_create.
 * @max_compute_cores: in; most shader cores compute work may use at once;
 *	at most the number of bits in @compute_core_mask.
 * @max_fragment_cores: in; same for fragment work and @fragment_core_mask.
 * @max_tiler_cores: in; same for tiler work and @tiler_core_mask.
 * @priority: in; an enum drm_panthor_group_priority value.
 * @pad: MBZ.
 * @compute_core_mask: in; shader cores compute work may run on (a subset of
 *	&drm_panthor_gpu_info.shader_present).
 * @fragment_core_mask: in; shader cores fragment work may run on (a subset
 *	of &drm_panthor_gpu_info.shader_present).
 * @tiler_core_mask: in; tiler units tiler work may run on (a subset of
 *	&drm_panthor_gpu_info.tiler_present).
 * @vm_id: in; the VM every queue of the group executes in.
 * @group_handle: out; the new group's handle.
 */
struct drm_panthor_group_create {
	struct drm_panthor_obj_array queues;
	__u8 max_compute_cores;
	__u8 max_fragment_cores;
	__u8 max_tiler_cores;
	__u8 priority;
	__u32 pad;
	__u64 compute_core_mask;
	__u64 fragment_core_mask;
	__u64 tiler_core_mask;
	__u32 vm_id;
	__u32 group_handle;
};

/**
 * struct drm_panthor_group_destroy - argument of DRM_IOCTL_PANTHOR_GROUP_DESTROY.
 *
 * @group_handle: in; the group handle.
 * @pad: MBZ.
 */
struct drm_panthor_group_destroy {
	__u32 group_handle;
	__u32 pad;
};

/**
 * struct drm_panthor_queue_submit - one job for one queue of a group.
 *
 * Element of &drm_panthor_group_submit.queue_submits. The kernel's ring
 * buffer calls the user command stream described here. Minimum size: 40
 * (whole struct).
 *
 * @queue_index: in; index of the queue in the group's creation array.
 * @stream_size: in; command stream length in bytes, a multiple of 8 (one
 *	CS instruction). 0 (with @stream_addr 0) makes the job a pure
 *	synchronisation point.
 * @stream_addr: in; GPU VA of the command stream, 64-byte aligned; 0 only
 *	together with @stream_size 0.
 * @latest_flush: in; the LATEST_FLUSH_ID value read when the stream was
 *	written, so the kernel can skip the cache flush at submission when one
 *	already happened since. 0 forces the flush. Ignored for a sync point.
 * @pad: MBZ.
 * @syncs: in; array of struct drm_panthor_sync_op for this job.
 */
struct drm_panthor_queue_submit {
	__u32 queue_index;
	__u32 stream_size;
	__u64 stream_addr;
	__u32 latest_flush;
	__u32 pad;
	struct drm_panthor_obj_array syncs;
};

/**
 * struct drm_panthor_group_submit - argument of DRM_IOCTL_PANTHOR_GROUP_SUBMIT.
 *
 * @group_handle: in; the group handle.
 * @pad: MBZ.
 * @queue_submits: in; array of struct drm_panthor_queue_submit.
 */
struct drm_panthor_group_submit {
	__u32 group_handle;
	__u32 pad;
	struct drm_panthor_obj_array queue_submits;
};

/**
 * enum drm_panthor_group_state_flags - bits of &drm_panthor_group_get_state.state.
 *
 * A group with TIMEDOUT or FATAL_FAULT set accepts no further submission;
 * userspace replaces it with a new group.
 *
 * @DRM_PANTHOR_GROUP_STATE_TIMEDOUT: jobs of the group did not finish in time.
 * @DRM_PANTHOR_GROUP_STATE_FATAL_FAULT: a queue of the group hit a fatal
 *	fault (see &drm_panthor_group_get_state.fatal_queues).
 * @DRM_PANTHOR_GROUP_STATE_INNOCENT: (1.3) the group was a bystander, killed
 *	by a GPU reset that another group caused. Only ever set together with
 *	TIMEDOUT and never with FATAL_FAULT.
 */
enum drm_panthor_group_state_flags {
	DRM_PANTHOR_GROUP_STATE_TIMEDOUT = 1 << 0,
	DRM_PANTHOR_GROUP_STATE_FATAL_FAULT = 1 << 1,
	DRM_PANTHOR_GROUP_STATE_INNOCENT = 1 << 2,
};

/**
 * struct drm_panthor_group_get_state - argument of DRM_IOCTL_PANTHOR_GROUP_GET_STATE.
 *
 * @group_handle: in; the group handle.
 * @state: out; enum drm_panthor_group_state_flags bits.
 * @fatal_queues: out; bit n set means queue n hit a fatal fault.
 * @pad: MBZ.
 */
struct drm_panthor_group_get_state {
	__u32 group_handle;
	__u32 state;
	__u32 fatal_queues;
	__u32 pad;
};

/**
 * struct drm_panthor_tiler_heap_create - argument of DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE.
 *
 * A tiler heap is a linked list of chunks the tiler writes geometry into;
 * the firmware asks the kernel for more chunks as it fills them.
 *
 * @vm_id: in; the VM the heap's context and chunks are mapped into.
 * @initial_chunk_count: in; chunks allocated up front, at least 1.
 * @chunk_size: in; bytes per chunk: page aligned, 128 KiB to 8 MiB.
 * @max_chunks: in; upper bound on chunks, at least @initial_chunk_count.
 * @target_in_flight: in; render passes allowed in flight before the
 *	firmware holds new tiler work back until one finishes.
 * @handle: out; the heap handle.
 * @tiler_heap_ctx_gpu_va: out; GPU VA of the heap context the tiler uses.
 * @first_heap_chunk_gpu_va: out; GPU VA of the first chunk of the list.
 */
struct drm_panthor_tiler_heap_create {
	__u32 vm_id;
	__u32 initial_chunk_count;
	__u32 chunk_size;
	__u32 max_chunks;
	__u32 target_in_flight;
	__u32 handle;
	__u64 tiler_heap_ctx_gpu_va;
	__u64 first_heap_chunk_gpu_va;
};

/**
 * struct drm_panthor_tiler_heap_destroy - argument of DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY.
 *
 * @handle: in; a handle from DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE.
 * @pad: MBZ.
 */
struct drm_panthor_tiler_heap_destroy {
	__u32 handle;
	__u32 pad;
};

/**
 * struct drm_panthor_bo_set_label - argument of DRM_IOCTL_PANTHOR_BO_SET_LABEL (1.4).
 *
 * Labels show up in debugfs and fdinfo only; they change no behaviour.
 *
 * @handle: in; the GEM handle.
 * @pad: MBZ.
 * @label: in; user pointer to a NUL-terminated string of at most 4096
 *	bytes (longer is -E2BIG), or 0 to remove the label. An empty string is
 *	a label, not a removal.
 */
struct drm_panthor_bo_set_label {
	__u32 handle;
	__u32 pad;
	__u64 label;
};

/**
 * struct drm_panthor_set_user_mmio_offset - argument of DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET (1.5).
 *
 * For CPU emulators whose guest has a different unsigned long than the
 * host: pick the user MMIO base matching the guest instead of the default
 * the kernel derives from the calling task. Others should not need it.
 *
 * @offset: in; exactly DRM_PANTHOR_USER_MMIO_OFFSET_32BIT or
 *	DRM_PANTHOR_USER_MMIO_OFFSET_64BIT, anything else is -EINVAL.
 */
struct drm_panthor_set_user_mmio_offset {
	__u64 offset;
};

/**
 * enum drm_panthor_bo_sync_op_type - cache operation of a &drm_panthor_bo_sync_op (1.7).
 *
 * @DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH: write dirty CPU cache lines of the
 *	range back to memory, so the GPU sees CPU writes.
 * @DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH_AND_INVALIDATE: the same, then drop
 *	the lines, so later CPU reads see what the GPU wrote.
 */
enum drm_panthor_bo_sync_op_type {
	DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH = 0,
	DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH_AND_INVALIDATE = 1,
};

/**
 * struct drm_panthor_bo_sync_op - one cache maintenance range (1.7).
 *
 * Element of &drm_panthor_bo_sync.ops. The range is widened to whole cache
 * lines. It is a no-op when @size is 0 or the BO is mapped write-combined.
 * Minimum size: 24 (whole struct).
 *
 * @handle: in; the GEM handle. A BO imported from another driver is
 *	-EINVAL (see DRM_PANTHOR_BO_IS_IMPORTED for why that is UNCONFIRMED).
 * @type: in; an enum drm_panthor_bo_sync_op_type value (else -EINVAL).
 * @offset: in; start of the range, in bytes from the start of the BO.
 * @size: in; length of the range; a range that overflows or ends past the
 *	BO is -EINVAL.
 */
struct drm_panthor_bo_sync_op {
	__u32 handle;
	__u32 type;
	__u64 offset;
	__u64 size;
};

/**
 * struct drm_panthor_bo_sync - argument of DRM_IOCTL_PANTHOR_BO_SYNC (1.7).
 *
 * @ops: in; array of struct drm_panthor_bo_sync_op, applied in order.
 */
struct drm_panthor_bo_sync {
	struct drm_panthor_obj_array ops;
};

/**
 * enum drm_panthor_bo_extra_flags - BO properties not chosen at creation (1.7).
 *
 * @DRM_PANTHOR_BO_IS_IMPORTED: the BO is a dma-buf from another driver
 *	(a panthor export imported back is not flagged). Such a BO is CPU
 *	mapped cached and never IO-coherent, and userspace may not do its own
 *	cache maintenance on it: the exporter may have to move or convert
 *	the memory, so the uAPI text routes such syncs through
 *	DRM_IOCTL_PANTHOR_BO_SYNC. UNCONFIRMED which is final: the newest
 *	kernel code we know rejects BO_SYNC on an imported BO with -EINVAL.
 *	Our choice is to follow the code (-EINVAL).
 */
enum drm_panthor_bo_extra_flags {
	DRM_PANTHOR_BO_IS_IMPORTED = 1 << 0,
};

/**
 * struct drm_panthor_bo_query_info - argument of DRM_IOCTL_PANTHOR_BO_QUERY_INFO (1.7).
 *
 * @handle: in; the GEM handle (unknown is -ENOENT).
 * @extra_flags: out; enum drm_panthor_bo_extra_flags bits.
 * @create_flags: out; the enum drm_panthor_bo_flags given at creation, 0
 *	for a BO imported from another driver.
 * @pad: out; always written as 0 (not checked on input).
 */
struct drm_panthor_bo_query_info {
	__u32 handle;
	__u32 extra_flags;
	__u32 create_flags;
	__u32 pad;
};

/**
 * DRM_IOCTL_PANTHOR() - compose a panthor ioctl request number.
 * @__access: direction suffix of DRM_IO*(): every panthor ioctl uses WR.
 * @__id: enum drm_panthor_ioctl_id entry without its DRM_PANTHOR_ prefix.
 * @__type: argument struct name without its drm_panthor_ prefix.
 *
 * Return: the request value for ioctl(); it encodes direction, the 'd' type,
 * DRM_COMMAND_BASE + id and the argument size.
 */
#define DRM_IOCTL_PANTHOR(__access, __id, __type) \
	DRM_IO ## __access(DRM_COMMAND_BASE + DRM_PANTHOR_ ## __id, \
			   struct drm_panthor_ ## __type)

/*
 * The request numbers. These are macros, not enumerators (the kernel's copy
 * uses an anonymous enum): every value is above INT_MAX, which ISO C does not
 * allow in an enum, and this header must build with -std=c11 -pedantic.
 * All are read-write and allowed on render nodes.
 */
#define DRM_IOCTL_PANTHOR_DEV_QUERY \
	DRM_IOCTL_PANTHOR(WR, DEV_QUERY, dev_query)
#define DRM_IOCTL_PANTHOR_VM_CREATE \
	DRM_IOCTL_PANTHOR(WR, VM_CREATE, vm_create)
#define DRM_IOCTL_PANTHOR_VM_DESTROY \
	DRM_IOCTL_PANTHOR(WR, VM_DESTROY, vm_destroy)
#define DRM_IOCTL_PANTHOR_VM_BIND \
	DRM_IOCTL_PANTHOR(WR, VM_BIND, vm_bind)
#define DRM_IOCTL_PANTHOR_VM_GET_STATE \
	DRM_IOCTL_PANTHOR(WR, VM_GET_STATE, vm_get_state)
#define DRM_IOCTL_PANTHOR_BO_CREATE \
	DRM_IOCTL_PANTHOR(WR, BO_CREATE, bo_create)
#define DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET \
	DRM_IOCTL_PANTHOR(WR, BO_MMAP_OFFSET, bo_mmap_offset)
#define DRM_IOCTL_PANTHOR_GROUP_CREATE \
	DRM_IOCTL_PANTHOR(WR, GROUP_CREATE, group_create)
#define DRM_IOCTL_PANTHOR_GROUP_DESTROY \
	DRM_IOCTL_PANTHOR(WR, GROUP_DESTROY, group_destroy)
#define DRM_IOCTL_PANTHOR_GROUP_SUBMIT \
	DRM_IOCTL_PANTHOR(WR, GROUP_SUBMIT, group_submit)
#define DRM_IOCTL_PANTHOR_GROUP_GET_STATE \
	DRM_IOCTL_PANTHOR(WR, GROUP_GET_STATE, group_get_state)
#define DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE \
	DRM_IOCTL_PANTHOR(WR, TILER_HEAP_CREATE, tiler_heap_create)
#define DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY \
	DRM_IOCTL_PANTHOR(WR, TILER_HEAP_DESTROY, tiler_heap_destroy)
#define DRM_IOCTL_PANTHOR_BO_SET_LABEL \
	DRM_IOCTL_PANTHOR(WR, BO_SET_LABEL, bo_set_label)
#define DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET \
	DRM_IOCTL_PANTHOR(WR, SET_USER_MMIO_OFFSET, set_user_mmio_offset)
#define DRM_IOCTL_PANTHOR_BO_SYNC \
	DRM_IOCTL_PANTHOR(WR, BO_SYNC, bo_sync)
#define DRM_IOCTL_PANTHOR_BO_QUERY_INFO \
	DRM_IOCTL_PANTHOR(WR, BO_QUERY_INFO, bo_query_info)

/*
 * Layout pins. The ABI is the byte layout, so it is checked where it is
 * defined: each struct's size, each field's offset and each request number
 * against reference/panthor-uapi-mmu.md §1.3/§1.4 (offsets the reference
 * leaves implicit follow from its field order and sizes). A mismatch stops
 * the build in every file that includes this header.
 *
 * _Static_assert needs C11 and static_assert C++11; older dialects skip the
 * checks rather than fail (every pantomime target is C11 or later).
 */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define PANTHOR_DRM__ASSERT(cond) static_assert(cond, #cond)
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define PANTHOR_DRM__ASSERT(cond) _Static_assert(cond, #cond)
#endif

#ifdef PANTHOR_DRM__ASSERT
#define PANTHOR_DRM__SIZE(type, n)	PANTHOR_DRM__ASSERT(sizeof(struct type) == (n))
#define PANTHOR_DRM__OFF(type, f, n)	PANTHOR_DRM__ASSERT(offsetof(struct type, f) == (n))

PANTHOR_DRM__SIZE(drm_panthor_obj_array, 16);
PANTHOR_DRM__OFF(drm_panthor_obj_array, stride, 0);
PANTHOR_DRM__OFF(drm_panthor_obj_array, count, 4);
PANTHOR_DRM__OFF(drm_panthor_obj_array, array, 8);

PANTHOR_DRM__SIZE(drm_panthor_sync_op, 16);
PANTHOR_DRM__OFF(drm_panthor_sync_op, flags, 0);
PANTHOR_DRM__OFF(drm_panthor_sync_op, handle, 4);
PANTHOR_DRM__OFF(drm_panthor_sync_op, timeline_value, 8);

PANTHOR_DRM__SIZE(drm_panthor_gpu_info, 112);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, gpu_id, 0);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, gpu_rev, 4);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, csf_id, 8);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, l2_features, 12);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, tiler_features, 16);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, mem_features, 20);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, mmu_features, 24);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, thread_features, 28);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, max_threads, 32);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, thread_max_workgroup_size, 36);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, thread_max_barrier_size, 40);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, coherency_features, 44);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, texture_features, 48);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, as_present, 64);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, selected_coherency, 68);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, shader_present, 72);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, l2_present, 80);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, tiler_present, 88);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, core_features, 96);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, pad, 100);
PANTHOR_DRM__OFF(drm_panthor_gpu_info, gpu_features, 104);

PANTHOR_DRM__SIZE(drm_panthor_csif_info, 24);
PANTHOR_DRM__OFF(drm_panthor_csif_info, csg_slot_count, 0);
PANTHOR_DRM__OFF(drm_panthor_csif_info, cs_slot_count, 4);
PANTHOR_DRM__OFF(drm_panthor_csif_info, cs_reg_count, 8);
PANTHOR_DRM__OFF(drm_panthor_csif_info, scoreboard_slot_count, 12);
PANTHOR_DRM__OFF(drm_panthor_csif_info, unpreserved_cs_reg_count, 16);
PANTHOR_DRM__OFF(drm_panthor_csif_info, pad, 20);

PANTHOR_DRM__SIZE(drm_panthor_timestamp_info, 56);
PANTHOR_DRM__OFF(drm_panthor_timestamp_info, timestamp_frequency, 0);
PANTHOR_DRM__OFF(drm_panthor_timestamp_info, current_timestamp, 8);
PANTHOR_DRM__OFF(drm_panthor_timestamp_info, timestamp_offset, 16);
PANTHOR_DRM__OFF(drm_panthor_timestamp_info, flags, 24);
PANTHOR_DRM__OFF(drm_panthor_timestamp_info, duration_nsec, 28);
PANTHOR_DRM__OFF(drm_panthor_timestamp_info, cycle_count, 32);
PANTHOR_DRM__OFF(drm_panthor_timestamp_info, cpu_timestamp_sec, 40);
PANTHOR_DRM__OFF(drm_panthor_timestamp_info, cpu_timestamp_nsec, 48);

PANTHOR_DRM__SIZE(drm_panthor_mmu_info, 8);
PANTHOR_DRM__OFF(drm_panthor_mmu_info, page_size_bitmap, 0);

PANTHOR_DRM__SIZE(drm_panthor_group_priorities_info, 4);
PANTHOR_DRM__OFF(drm_panthor_group_priorities_info, allowed_mask, 0);
PANTHOR_DRM__OFF(drm_panthor_group_priorities_info, pad, 1);

PANTHOR_DRM__SIZE(drm_panthor_dev_query, 16);
PANTHOR_DRM__OFF(drm_panthor_dev_query, type, 0);
PANTHOR_DRM__OFF(drm_panthor_dev_query, size, 4);
PANTHOR_DRM__OFF(drm_panthor_dev_query, pointer, 8);

PANTHOR_DRM__SIZE(drm_panthor_vm_create, 16);
PANTHOR_DRM__OFF(drm_panthor_vm_create, flags, 0);
PANTHOR_DRM__OFF(drm_panthor_vm_create, id, 4);
PANTHOR_DRM__OFF(drm_panthor_vm_create, user_va_range, 8);

PANTHOR_DRM__SIZE(drm_panthor_vm_destroy, 8);
PANTHOR_DRM__OFF(drm_panthor_vm_destroy, id, 0);
PANTHOR_DRM__OFF(drm_panthor_vm_destroy, pad, 4);

PANTHOR_DRM__SIZE(drm_panthor_vm_bind_op, 48);
PANTHOR_DRM__OFF(drm_panthor_vm_bind_op, flags, 0);
PANTHOR_DRM__OFF(drm_panthor_vm_bind_op, bo_handle, 4);
PANTHOR_DRM__OFF(drm_panthor_vm_bind_op, bo_offset, 8);
PANTHOR_DRM__OFF(drm_panthor_vm_bind_op, va, 16);
PANTHOR_DRM__OFF(drm_panthor_vm_bind_op, size, 24);
PANTHOR_DRM__OFF(drm_panthor_vm_bind_op, syncs, 32);

PANTHOR_DRM__SIZE(drm_panthor_vm_bind, 24);
PANTHOR_DRM__OFF(drm_panthor_vm_bind, vm_id, 0);
PANTHOR_DRM__OFF(drm_panthor_vm_bind, flags, 4);
PANTHOR_DRM__OFF(drm_panthor_vm_bind, ops, 8);

PANTHOR_DRM__SIZE(drm_panthor_vm_get_state, 8);
PANTHOR_DRM__OFF(drm_panthor_vm_get_state, vm_id, 0);
PANTHOR_DRM__OFF(drm_panthor_vm_get_state, state, 4);

PANTHOR_DRM__SIZE(drm_panthor_bo_create, 24);
PANTHOR_DRM__OFF(drm_panthor_bo_create, size, 0);
PANTHOR_DRM__OFF(drm_panthor_bo_create, flags, 8);
PANTHOR_DRM__OFF(drm_panthor_bo_create, exclusive_vm_id, 12);
PANTHOR_DRM__OFF(drm_panthor_bo_create, handle, 16);
PANTHOR_DRM__OFF(drm_panthor_bo_create, pad, 20);

PANTHOR_DRM__SIZE(drm_panthor_bo_mmap_offset, 16);
PANTHOR_DRM__OFF(drm_panthor_bo_mmap_offset, handle, 0);
PANTHOR_DRM__OFF(drm_panthor_bo_mmap_offset, pad, 4);
PANTHOR_DRM__OFF(drm_panthor_bo_mmap_offset, offset, 8);

PANTHOR_DRM__SIZE(drm_panthor_queue_create, 8);
PANTHOR_DRM__OFF(drm_panthor_queue_create, priority, 0);
PANTHOR_DRM__OFF(drm_panthor_queue_create, pad, 1);
PANTHOR_DRM__OFF(drm_panthor_queue_create, ringbuf_size, 4);

PANTHOR_DRM__SIZE(drm_panthor_group_create, 56);
PANTHOR_DRM__OFF(drm_panthor_group_create, queues, 0);
PANTHOR_DRM__OFF(drm_panthor_group_create, max_compute_cores, 16);
PANTHOR_DRM__OFF(drm_panthor_group_create, max_fragment_cores, 17);
PANTHOR_DRM__OFF(drm_panthor_group_create, max_tiler_cores, 18);
PANTHOR_DRM__OFF(drm_panthor_group_create, priority, 19);
PANTHOR_DRM__OFF(drm_panthor_group_create, pad, 20);
PANTHOR_DRM__OFF(drm_panthor_group_create, compute_core_mask, 24);
PANTHOR_DRM__OFF(drm_panthor_group_create, fragment_core_mask, 32);
PANTHOR_DRM__OFF(drm_panthor_group_create, tiler_core_mask, 40);
PANTHOR_DRM__OFF(drm_panthor_group_create, vm_id, 48);
PANTHOR_DRM__OFF(drm_panthor_group_create, group_handle, 52);

PANTHOR_DRM__SIZE(drm_panthor_group_destroy, 8);
PANTHOR_DRM__OFF(drm_panthor_group_destroy, group_handle, 0);
PANTHOR_DRM__OFF(drm_panthor_group_destroy, pad, 4);

PANTHOR_DRM__SIZE(drm_panthor_queue_submit, 40);
PANTHOR_DRM__OFF(drm_panthor_queue_submit, queue_index, 0);
PANTHOR_DRM__OFF(drm_panthor_queue_submit, stream_size, 4);
PANTHOR_DRM__OFF(drm_panthor_queue_submit, stream_addr, 8);
PANTHOR_DRM__OFF(drm_panthor_queue_submit, latest_flush, 16);
PANTHOR_DRM__OFF(drm_panthor_queue_submit, pad, 20);
PANTHOR_DRM__OFF(drm_panthor_queue_submit, syncs, 24);

PANTHOR_DRM__SIZE(drm_panthor_group_submit, 24);
PANTHOR_DRM__OFF(drm_panthor_group_submit, group_handle, 0);
PANTHOR_DRM__OFF(drm_panthor_group_submit, pad, 4);
PANTHOR_DRM__OFF(drm_panthor_group_submit, queue_submits, 8);

PANTHOR_DRM__SIZE(drm_panthor_group_get_state, 16);
PANTHOR_DRM__OFF(drm_panthor_group_get_state, group_handle, 0);
PANTHOR_DRM__OFF(drm_panthor_group_get_state, state, 4);
PANTHOR_DRM__OFF(drm_panthor_group_get_state, fatal_queues, 8);
PANTHOR_DRM__OFF(drm_panthor_group_get_state, pad, 12);

PANTHOR_DRM__SIZE(drm_panthor_tiler_heap_create, 40);
PANTHOR_DRM__OFF(drm_panthor_tiler_heap_create, vm_id, 0);
PANTHOR_DRM__OFF(drm_panthor_tiler_heap_create, initial_chunk_count, 4);
PANTHOR_DRM__OFF(drm_panthor_tiler_heap_create, chunk_size, 8);
PANTHOR_DRM__OFF(drm_panthor_tiler_heap_create, max_chunks, 12);
PANTHOR_DRM__OFF(drm_panthor_tiler_heap_create, target_in_flight, 16);
PANTHOR_DRM__OFF(drm_panthor_tiler_heap_create, handle, 20);
PANTHOR_DRM__OFF(drm_panthor_tiler_heap_create, tiler_heap_ctx_gpu_va, 24);
PANTHOR_DRM__OFF(drm_panthor_tiler_heap_create, first_heap_chunk_gpu_va, 32);

PANTHOR_DRM__SIZE(drm_panthor_tiler_heap_destroy, 8);
PANTHOR_DRM__OFF(drm_panthor_tiler_heap_destroy, handle, 0);
PANTHOR_DRM__OFF(drm_panthor_tiler_heap_destroy, pad, 4);

PANTHOR_DRM__SIZE(drm_panthor_bo_set_label, 16);
PANTHOR_DRM__OFF(drm_panthor_bo_set_label, handle, 0);
PANTHOR_DRM__OFF(drm_panthor_bo_set_label, pad, 4);
PANTHOR_DRM__OFF(drm_panthor_bo_set_label, label, 8);

PANTHOR_DRM__SIZE(drm_panthor_set_user_mmio_offset, 8);
PANTHOR_DRM__OFF(drm_panthor_set_user_mmio_offset, offset, 0);

PANTHOR_DRM__SIZE(drm_panthor_bo_sync_op, 24);
PANTHOR_DRM__OFF(drm_panthor_bo_sync_op, handle, 0);
PANTHOR_DRM__OFF(drm_panthor_bo_sync_op, type, 4);
PANTHOR_DRM__OFF(drm_panthor_bo_sync_op, offset, 8);
PANTHOR_DRM__OFF(drm_panthor_bo_sync_op, size, 16);

PANTHOR_DRM__SIZE(drm_panthor_bo_sync, 16);
PANTHOR_DRM__OFF(drm_panthor_bo_sync, ops, 0);

PANTHOR_DRM__SIZE(drm_panthor_bo_query_info, 16);
PANTHOR_DRM__OFF(drm_panthor_bo_query_info, handle, 0);
PANTHOR_DRM__OFF(drm_panthor_bo_query_info, extra_flags, 4);
PANTHOR_DRM__OFF(drm_panthor_bo_query_info, create_flags, 8);
PANTHOR_DRM__OFF(drm_panthor_bo_query_info, pad, 12);

/* Request numbers, §1.3: 0xC0 = read|write, size in bits 29:16, 'd' = 0x64, nr = 0x40 + id. */
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_DEV_QUERY == 0xC0106440u);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_VM_CREATE == 0xC0106441u);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_VM_DESTROY == 0xC0086442u);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_VM_BIND == 0xC0186443u);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_VM_GET_STATE == 0xC0086444u);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_BO_CREATE == 0xC0186445u);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET == 0xC0106446u);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_GROUP_CREATE == 0xC0386447u);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_GROUP_DESTROY == 0xC0086448u);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_GROUP_SUBMIT == 0xC0186449u);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_GROUP_GET_STATE == 0xC010644Au);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE == 0xC028644Bu);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY == 0xC008644Cu);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_BO_SET_LABEL == 0xC010644Du);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET == 0xC008644Eu);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_BO_SYNC == 0xC010644Fu);
PANTHOR_DRM__ASSERT(DRM_IOCTL_PANTHOR_BO_QUERY_INFO == 0xC0106450u);

#undef PANTHOR_DRM__OFF
#undef PANTHOR_DRM__SIZE
#undef PANTHOR_DRM__ASSERT
#endif /* PANTHOR_DRM__ASSERT */

#if defined(__cplusplus)
}
#endif

#endif /* _PANTHOR_DRM_H_ */
