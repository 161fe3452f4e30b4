/* SPDX-License-Identifier: MIT */
/*
 * GPU VMs: address-space slots, the lock-region protocol around every bind
 * op, op contexts with everything preallocated, VM_BIND (synchronous and the
 * per-VM asynchronous bind queue), sparse mappings, faults, jobs. The design
 * is the DOC comment at the top of panthor_mmu.c; the user-level view is
 * docs/vm.md.
 *
 * Functions taking a struct panthor_file implement the VM ioctls at driver
 * level with the uAPI's values (flags, errno); the ioctl layer only copies
 * structs in and out.
 */
#ifndef PANTOMIME_PANTHOR_MMU_H
#define PANTOMIME_PANTHOR_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dma/dma_resv.h"
#include "dma/drm_exec.h"
#include "hw/hw.h"
#include "panthor/panthor_device.h"
#include "pgtable/pgtable.h"

struct panthor_file;
struct panthor_gem_object;
struct panthor_heap_pool;
struct panthor_gem_vm_lru;
struct panthor_va_node;
struct panthor_vm;

/** PANTHOR_VM_KERNEL_AUTO_VA - ask panthor_vm_alloc_va() to pick the address. */
#define PANTHOR_VM_KERNEL_AUTO_VA (~0ull)
/** PANTHOR_VM_MIN_KERNEL_VA - the smallest kernel VA range of a user VM (256 MiB). */
#define PANTHOR_VM_MIN_KERNEL_VA (256ull << 20)
/** PANTHOR_MAX_VMS_PER_FILE - VM ids per file are 1..32. */
#define PANTHOR_MAX_VMS_PER_FILE 32
/** PANTHOR_SPARSE_DUMMY_SIZE - size of a file's sparse dummy BO (one 2 MiB block). */
#define PANTHOR_SPARSE_DUMMY_SIZE (2ull << 20)
/** PANTHOR_MCU_VA_RANGE - the MCU VM spans [0, 4 GiB) (the MCU is a 32-bit core). */
#define PANTHOR_MCU_VA_RANGE (4ull << 30)
/** PANTHOR_MCU_SHARED_START - start of the MCU VM's kernel auto-VA window. */
#define PANTHOR_MCU_SHARED_START 0x04000000ull
/** PANTHOR_MCU_SHARED_SIZE - size of that window. */
#define PANTHOR_MCU_SHARED_SIZE 0x04000000ull
/**
 * PANTHOR_TASK_SIZE - the CPU address-space size the VM_CREATE default is
 * compared with (TASK_SIZE): an arm64 host with 48-bit user VA, where
 * panthor runs (our x86-64 host's 47 bits give the same default).
 */
#define PANTHOR_TASK_SIZE (1ull << 48)

/* ---- the MMU half of the device ------------------------------------------ */

/**
 * panthor_mmu_init() - set up slots, the page-table pool, the MMU interrupt,
 * the bind-job cleanup thread, and the MCU VM, active on AS 0.
 * @ptdev: the device.
 * Return: 0, -ENOMEM, or an interrupt registration error.
 */
int panthor_mmu_init(struct panthor_device *ptdev);

/**
 * panthor_mmu_fini() - destroy the MCU VM, drain the cleanup thread, detach
 * the interrupt, free the pool. Every user VM must be gone.
 * @ptdev: the device.
 */
void panthor_mmu_fini(struct panthor_device *ptdev);

/**
 * panthor_mmu_post_reset_locked() - the MMU part of the reset path (see
 * panthor_device_reset_locked()).
 * @ptdev: the device; slots_lock held.
 */
void panthor_mmu_post_reset_locked(struct panthor_device *ptdev);

/** panthor_mmu_assert_slots_locked() - abort unless the caller holds the slots lock. */
void panthor_mmu_assert_slots_locked(struct panthor_device *ptdev);

/**
 * panthor_mmu_pt_pool_frames() - Return: frames the page-table pool holds
 * (charged to the budget but not in any page table; leak accounting).
 * @ptdev: the device.
 */
uint64_t panthor_mmu_pt_pool_frames(struct panthor_device *ptdev);

/**
 * panthor_mmu_mcu_vm() - Return: the MCU (firmware) VM, bound to AS 0.
 * @ptdev: the device.
 */
struct panthor_vm *panthor_mmu_mcu_vm(struct panthor_device *ptdev);

/**
 * panthor_mmu_wait_cleanup() - wait until every finished async bind job has
 * been cleaned up (its BO pins and references dropped).
 * @ptdev: the device. The caller holds no driver lock.
 */
void panthor_mmu_wait_cleanup(struct panthor_device *ptdev);

/* ---- VM lifetime ------------------------------------------------------------ */

/**
 * panthor_vm_create() - a VM with an empty page table (root allocated) and
 * its bind queue.
 * @ptdev: the device.
 * @for_mcu: the MCU VM: [0, 4 GiB), always on AS 0.
 * @kernel_va_start: start of the kernel VA range.
 * @kernel_va_size: its size.
 * @auto_kernel_va_start: start of the window panthor_vm_alloc_va() picks from.
 * @auto_kernel_va_size: its size.
 *
 * Return: the VM with one reference, or ERR_PTR(-EINVAL) for a bad range,
 * ERR_PTR(-ENOMEM).
 */
struct panthor_vm *panthor_vm_create(struct panthor_device *ptdev, bool for_mcu,
				     uint64_t kernel_va_start, uint64_t kernel_va_size,
				     uint64_t auto_kernel_va_start, uint64_t auto_kernel_va_size);

/** panthor_vm_get() - take a reference. Return: @vm (NULL passes through). */
struct panthor_vm *panthor_vm_get(struct panthor_vm *vm);

/**
 * panthor_vm_put() - drop a reference; the last one stops the bind queue,
 * disables and releases the AS, frees the page tables.
 * @vm: the VM or NULL.
 */
void panthor_vm_put(struct panthor_vm *vm);

/**
 * panthor_vm_destroy() - what VM_DESTROY does after removing the id: mark
 * the VM destroyed (no new async binds; queued jobs still waiting for a
 * dependency are cancelled, their fences signalled with -ESRCH), wait for
 * its bind queue to drain, unmap everything, drop the caller's reference.
 * @vm: the VM.
 */
void panthor_vm_destroy(struct panthor_vm *vm);

/** panthor_vm_resv() - Return: the reservation object the VM shares with its private BOs. */
struct dma_resv *panthor_vm_resv(struct panthor_vm *vm);
/** panthor_vm_is_mcu() - Return: true for the MCU VM. */
bool panthor_vm_is_mcu(const struct panthor_vm *vm);
/** panthor_vm_id() - Return: the VM's device-unique id (trace track "vmN"). */
uint32_t panthor_vm_id(const struct panthor_vm *vm);
/** panthor_vm_is_unusable() - Return: true once the VM was declared unusable (final). */
bool panthor_vm_is_unusable(struct panthor_vm *vm);
/**
 * panthor_mmu_sync_fault_irq() - wait until the MMU interrupt of a fault on
 * AS @as (if one is pending) has been handled, as synchronize_irq() would:
 * a job that stopped on a fault reports it before the MMU line's thread has
 * run, and the next job on the VM must not be killed by that late handler.
 * @ptdev: the device.
 * @as: the AS the job ran on.
 */
void panthor_mmu_sync_fault_irq(struct panthor_device *ptdev, uint32_t as);

/** panthor_vm_has_unhandled_faults() - Return: true if a fault hit the VM since it was last made active. */
bool panthor_vm_has_unhandled_faults(struct panthor_vm *vm);
/** panthor_vm_as() - Return: the AS the VM is bound to, -1 if none (a snapshot). */
int panthor_vm_as(struct panthor_vm *vm);
/** panthor_vm_kernel_va_start() - Return: the first kernel VA (= the user VA range returned by VM_CREATE). */
uint64_t panthor_vm_kernel_va_start(const struct panthor_vm *vm);

/* ---- address spaces and jobs ---------------------------------------------- */

/**
 * panthor_vm_active() - make sure the VM has an AS and count one more user.
 * @vm: the VM.
 *
 * Takes the op lock (a VM never gets an AS in the middle of a bind op) and
 * the slots lock unless the VM is already active. A VM without a slot gets
 * the first free one other than AS 0, else the slot of the least recently
 * idle VM (disabled with recycling, then re-programmed). A slot marked
 * faulty is re-programmed and the fault forgotten.
 *
 * Return: 0; -EBUSY when every slot belongs to an active VM; -ETIMEDOUT if
 * the AS did not respond (the reset path ran).
 */
int panthor_vm_active(struct panthor_vm *vm);

/**
 * panthor_vm_idle() - drop one user; the last one puts the VM at the tail of
 * the LRU of idle VMs, keeping its slot until another VM needs it.
 * @vm: an active VM.
 */
void panthor_vm_idle(struct panthor_vm *vm);

/**
 * panthor_vm_job_begin() - start a job on @vm (item 10): hold it active so
 * its AS cannot be stolen, and tell the GPU-side agent which AS to use.
 * @vm: the VM.
 *
 * Return: the AS number (>= 0); -EINVAL for an unusable VM; the errors of
 * panthor_vm_active().
 */
int panthor_vm_job_begin(struct panthor_vm *vm);

/**
 * panthor_vm_job_end() - end a job started with panthor_vm_job_begin().
 * @vm: the VM.
 */
void panthor_vm_job_end(struct panthor_vm *vm);

/**
 * panthor_vm_jobs_hold() - count a queued job on @vm, from the moment its
 * fence is published (GROUP_SUBMIT) until it is freed: like a running job,
 * it keeps the shrinker away from the VM's GPU mappings, so that what the
 * submission restored stays mapped and the job's own start never has to
 * reclaim memory on its fence-signalling path.
 * @vm: the VM.
 */
void panthor_vm_jobs_hold(struct panthor_vm *vm);

/** panthor_vm_jobs_release() - undo panthor_vm_jobs_hold(). @vm: the VM. */
void panthor_vm_jobs_release(struct panthor_vm *vm);

/**
 * panthor_vm_bo_in_restoring_vm() - is @bo mapped in the VM whose evicted
 * BOs the calling thread is restoring (a GROUP_SUBMIT or a job start)? The
 * shrinker asks before it waits for a BO's fences: that VM holds a job count
 * until the restore is over, so the BO's eviction would be refused after the
 * wait anyway, and a job thread would be waiting for its own fence.
 * @bo: the BO, its resv held.
 * Return: true if so.
 */
bool panthor_vm_bo_in_restoring_vm(struct panthor_gem_object *bo);
/**
 * panthor_vm_gpu_read() - a one-access job: read @len bytes at GPU VA @va of
 * @vm through the access port.
 * @vm: the VM.
 * @va: GPU VA.
 * @buf: destination.
 * @len: bytes.
 * @fault: filled on -EFAULT (may be NULL).
 * Return: 0, the errors of panthor_vm_job_begin(), or those of hw_read().
 */
int panthor_vm_gpu_read(struct panthor_vm *vm, uint64_t va, void *buf, size_t len,
			struct hw_fault *fault);

/**
 * panthor_vm_gpu_write() - as panthor_vm_gpu_read(), writing @buf.
 * @vm: the VM.
 * @va: GPU VA.
 * @buf: source.
 * @len: bytes.
 * @fault: filled on -EFAULT (may be NULL).
 * Return: as panthor_vm_gpu_read().
 */
int panthor_vm_gpu_write(struct panthor_vm *vm, uint64_t va, const void *buf, size_t len,
			 struct hw_fault *fault);

/* ---- kernel VA and internal mappings -------------------------------------------- */

/**
 * panthor_vm_alloc_va() - reserve a range of the VM's kernel VA space.
 * @vm: the VM.
 * @va: a 4 KiB-aligned address inside the kernel range, reserved exactly, or
 *      PANTHOR_VM_KERNEL_AUTO_VA: the first fit in the auto window, aligned
 *      to 2 MiB for sizes of 2 MiB or more, to 4 KiB otherwise.
 * @size: bytes, a non-zero multiple of 4 KiB.
 * @node: receives the range.
 * Return: 0, -EINVAL (bad size or address), -ENOSPC (taken, or no room).
 */
int panthor_vm_alloc_va(struct panthor_vm *vm, uint64_t va, uint64_t size,
			struct panthor_va_node *node);

/**
 * panthor_vm_free_va() - release a range from panthor_vm_alloc_va().
 * @vm: the VM.
 * @node: the range (zeroed on return).
 */
void panthor_vm_free_va(struct panthor_vm *vm, struct panthor_va_node *node);

/**
 * panthor_vm_map_bo_range() - synchronous internal map of [@offset, @offset
 * + @size) of @bo at @va (kernel BOs; no kernel-range restriction).
 * @vm: the VM.
 * @bo: the BO.
 * @offset: BO offset (4 KiB aligned).
 * @size: bytes (4 KiB aligned, non-zero).
 * @va: GPU VA (4 KiB aligned).
 * @flags: DRM_PANTHOR_VM_BIND_OP_MAP_* flags (not SPARSE).
 * Return: 0 or a negative errno (the VM is not made unusable).
 */
int panthor_vm_map_bo_range(struct panthor_vm *vm, struct panthor_gem_object *bo,
			    uint64_t offset, uint64_t size, uint64_t va, uint32_t flags);

/**
 * panthor_vm_unmap_range() - synchronous internal unmap of [@va, @va + @size).
 * @vm: the VM.
 * @va: GPU VA.
 * @size: bytes.
 * Return: 0 or a negative errno.
 */
int panthor_vm_unmap_range(struct panthor_vm *vm, uint64_t va, uint64_t size);

/* ---- VM ioctls at driver level ------------------------------------------------ */

/**
 * struct panthor_vm_create_args - VM_CREATE's arguments (drm_panthor_vm_create).
 * @flags: in; must be 0.
 * @id: out; the VM id (1..32).
 * @user_va_range: in: 0 for the default or the size wanted; out: the size
 *                 granted (the start of the kernel VA range).
 */
struct panthor_vm_create_args {
	uint32_t flags;
	uint32_t id;
	uint64_t user_va_range;
};

/**
 * struct panthor_vm_pool - a file's VMs by id. Lock class "panthor_vm_pool"
 * (a leaf: held only to look up, insert or remove).
 * @lock: protects @vms.
 * @vms: index i holds VM id i (entry 0 unused).
 */
struct panthor_vm_pool {
	struct u_mutex lock;
	struct panthor_vm *vms[PANTHOR_MAX_VMS_PER_FILE + 1];
};

/** panthor_vm_pool_init() - an empty pool. */
void panthor_vm_pool_init(struct panthor_vm_pool *pool);
/** panthor_vm_pool_fini() - destroy every VM left in @pool (file close). */
void panthor_vm_pool_fini(struct panthor_vm_pool *pool);

/**
 * panthor_vm_pool_create_vm() - VM_CREATE: compute the user/kernel split of
 * reference §1.7, create the VM, give it the lowest free id.
 * @ptdev: the device.
 * @pool: the file's pool.
 * @args: in/out arguments.
 * Return: the id (> 0); -EINVAL for non-zero flags or a user_va_range
 * above (2^va_bits - 256 MiB); -EBUSY when the file already has 32 VMs;
 * -ENOMEM.
 */
int panthor_vm_pool_create_vm(struct panthor_device *ptdev, struct panthor_vm_pool *pool,
			      struct panthor_vm_create_args *args);

/**
 * panthor_vm_pool_destroy_vm() - VM_DESTROY.
 * @pool: the file's pool.
 * @handle: the VM id.
 * Return: 0, or -EINVAL for an unknown id.
 */
int panthor_vm_pool_destroy_vm(struct panthor_vm_pool *pool, uint32_t handle);

/**
 * panthor_vm_pool_get_vm() - look a VM up by id.
 * @pool: the file's pool.
 * @handle: the VM id.
 * Return: the VM with a new reference, or NULL.
 */
struct panthor_vm *panthor_vm_pool_get_vm(struct panthor_vm_pool *pool, uint32_t handle);

/**
 * struct panthor_sync_op_args - one sync of a bind op (drm_panthor_sync_op).
 * @flags: DRM_PANTHOR_SYNC_OP_* (handle type, WAIT or SIGNAL).
 * @handle: the syncobj handle in the file.
 * @timeline_value: the point; must be 0 for a binary syncobj.
 */
struct panthor_sync_op_args {
	uint32_t flags;
	uint32_t handle;
	uint64_t timeline_value;
};

/**
 * struct panthor_vm_bind_op_args - one VM_BIND op (drm_panthor_vm_bind_op).
 * @flags: DRM_PANTHOR_VM_BIND_OP_* (type and map modifiers).
 * @bo_handle: the BO to map (MAP), else 0.
 * @bo_offset: offset in the BO (MAP), else 0.
 * @va: GPU VA.
 * @size: bytes.
 * @syncs_count: entries of @syncs.
 * @syncs: the op's waits and signals (async only).
 */
struct panthor_vm_bind_op_args {
	uint32_t flags;
	uint32_t bo_handle;
	uint64_t bo_offset;
	uint64_t va;
	uint64_t size;
	uint32_t syncs_count;
	const struct panthor_sync_op_args *syncs;
};

/**
 * panthor_vm_bind() - VM_BIND.
 * @pfile: the file (BO and syncobj handles, VM ids, sparse dummy).
 * @vm_id: the VM.
 * @flags: 0 or DRM_PANTHOR_VM_BIND_ASYNC.
 * @ops: the ops, in order.
 * @count: in: entries of @ops; out (synchronous failure): the index of the
 *         op that failed (ops before it stay applied).
 *
 * Synchronous: each op is validated, prepared, executed and cleaned up in
 * turn; an op with syncs is -EINVAL, a size of 0 is a successful no-op, and
 * a failure does not make the VM unusable. Asynchronous: every op is
 * validated and prepared (page tables, VMAs, pinned BOs, fence chains)
 * before any is queued; then each becomes a job on the VM's bind queue that
 * waits for its WAIT syncs and signals its SIGNAL syncs; a failure at
 * execution makes the VM unusable and disables its AS.
 *
 * Return: 0, or the first error: -EINVAL (bad flags, unknown VM or BO,
 * misaligned or overflowing range, a range outside the user VA range, a
 * bad combination of op flags and fields, a bad sync, a sync on a
 * synchronous op, an async op on an unusable or destroyed VM), -ENOENT (a
 * WAIT on an unknown syncobj), -ENOMEM; the errors of execution
 * (-ETIMEDOUT when the GPU did not respond).
 */
int panthor_vm_bind(struct panthor_file *pfile, uint32_t vm_id, uint32_t flags,
		    const struct panthor_vm_bind_op_args *ops, uint32_t *count);

/**
 * panthor_vm_bind_exec_sync_op() - one synchronous op (the body of the
 * synchronous VM_BIND loop).
 * @pfile: the file.
 * @vm: the VM.
 * @op: the op.
 * Return: as panthor_vm_bind().
 */
int panthor_vm_bind_exec_sync_op(struct panthor_file *pfile, struct panthor_vm *vm,
				 const struct panthor_vm_bind_op_args *op);

/**
 * panthor_vm_get_state() - VM_GET_STATE.
 * @pfile: the file.
 * @vm_id: the VM.
 * @state: out: DRM_PANTHOR_VM_STATE_USABLE or _UNUSABLE.
 * Return: 0 or -EINVAL for an unknown VM.
 */
int panthor_vm_get_state(struct panthor_file *pfile, uint32_t vm_id, uint32_t *state);

/**
 * panthor_vm_wait_idle() - wait until every async bind job queued on @vm so
 * far has executed (its fence signalled).
 * @vm: the VM. The caller holds no driver lock.
 */
void panthor_vm_wait_idle(struct panthor_vm *vm);

/**
 * panthor_vm_get_heap_pool() - the VM's tiler heap pool.
 * @vm: the VM.
 * @create: create it if the VM has none (not once the VM was destroyed).
 * Return: the pool with a new reference; ERR_PTR(-ENOENT) when there is
 * none and @create is false; ERR_PTR(-EINVAL) for a destroyed VM; the
 * errors of panthor_heap_pool_create().
 */
struct panthor_heap_pool *panthor_vm_get_heap_pool(struct panthor_vm *vm, bool create);

/* ---- job submission -------------------------------------------------------- */

/**
 * struct panthor_vm_submit - the resvs a GPU job submission holds: the VM's
 * (shared with its private BOs) and every external BO's mapped in it.
 * @vm: the VM (the caller's reference).
 * @exec: the locking transaction.
 * @bos: references on the external BOs locked in @exec (they must outlive it).
 * @nr_bos: entries of @bos.
 * @max_bos: capacity of @bos.
 */
struct panthor_vm_submit {
	struct panthor_vm *vm;
	struct drm_exec exec;
	struct panthor_gem_object **bos;
	uint32_t nr_bos;
	uint32_t max_bos;
};

/**
 * panthor_vm_submit_lock() - prepare a job submission on @vm: take the VM's
 * restore lock (which also serialises walkers of its extobj list), swap its
 * evicted BOs back in and re-map them (the validate step of
 * drm_gpuvm_validate()), then lock the VM resv and every external BO's
 * with @nr_fences fence slots each.
 * @vm: the VM.
 * @sub: out: the locked state (released with panthor_vm_submit_unlock()).
 * @nr_fences: fence slots to reserve in each resv.
 *
 * Return: 0 (everything locked); -ENOMEM; the restore's errors. On failure
 * nothing is held.
 */
int panthor_vm_submit_lock(struct panthor_vm *vm, struct panthor_vm_submit *sub,
			   unsigned int nr_fences);

/**
 * panthor_vm_submit_add_fence() - add @fence with BOOKKEEP usage to every
 * resv @sub holds (a reserved slot each: cannot fail), as panthor's job
 * submission does for the VM resv and its external BOs.
 * @sub: the locked state.
 * @fence: the job's fence.
 */
void panthor_vm_submit_add_fence(struct panthor_vm_submit *sub, struct dma_fence *fence);

/**
 * panthor_vm_submit_unlock() - unlock everything panthor_vm_submit_lock() took.
 * @sub: the locked state.
 */
void panthor_vm_submit_unlock(struct panthor_vm_submit *sub);

/**
 * panthor_vm_restore() - swap the VM's evicted BOs back in and re-map them
 * (under the restore lock), without making the VM active.
 * @vm: the VM.
 * Return: 0 or the restore's errors.
 */
int panthor_vm_restore(struct panthor_vm *vm);

/* ---- debug views and checks ------------------------------------------------------ */

/**
 * struct panthor_vm_fault_info - the last unhandled fault of a VM.
 * @valid: a fault was recorded since the VM was created.
 * @as: the AS it happened on.
 * @status: raw AS_FAULTSTATUS.
 * @addr: AS_FAULTADDRESS.
 * @exception_type: FAULTSTATUS[7:0].
 * @access_type: FAULTSTATUS[9:8] (0 atomic, 1 execute, 2 read, 3 write).
 * @source_id: FAULTSTATUS[31:16].
 * @decoder_fault: FAULTSTATUS bit 10.
 * @time_ns: when the handler saw it (CLOCK_MONOTONIC).
 */
struct panthor_vm_fault_info {
	bool valid;
	uint32_t as;
	uint32_t status;
	uint64_t addr;
	uint32_t exception_type;
	uint32_t access_type;
	uint32_t source_id;
	bool decoder_fault;
	uint64_t time_ns;
};

/**
 * panthor_vm_get_fault_info() - copy the VM's fault details.
 * @vm: the VM.
 * @info: out.
 */
void panthor_vm_get_fault_info(struct panthor_vm *vm, struct panthor_vm_fault_info *info);

/**
 * panthor_vm_format_fault() - one line describing @info ("AS3: READ
 * TRANSLATION_FAULT_3 (0xc3) at 0x... source 1").
 * @info: the fault.
 * @buf: destination.
 * @len: its size.
 * Return: @buf.
 */
char *panthor_vm_format_fault(const struct panthor_vm_fault_info *info, char *buf, size_t len);

/**
 * panthor_vm_dump_mappings() - one line per VA of the VM: range, BO id and
 * offset (or "sparse" with the phase), flags. Takes the op lock.
 * @vm: the VM.
 * @print: line sink.
 * @arg: its argument.
 */
void panthor_vm_dump_mappings(struct panthor_vm *vm, pgtable_print_fn print, void *arg);

/**
 * panthor_vm_dump_pgtable() - pgtable_dump() of [@start, @end) under the op lock.
 * @vm: the VM.
 * @start: first address.
 * @end: end (0: everything).
 * @print: line sink.
 * @arg: its argument.
 */
void panthor_vm_dump_pgtable(struct panthor_vm *vm, uint64_t start, uint64_t end,
			     pgtable_print_fn print, void *arg);

/**
 * panthor_vm_validate() - check the VM under its op lock: pgtable_validate(),
 * gpuvm_validate(), and that every VA's pages translate to its backing
 * (the first, middle and last page of each VA).
 * @vm: the VM.
 * Return: 0 or -EUCLEAN (logged).
 */
int panthor_vm_validate(struct panthor_vm *vm);

/**
 * struct panthor_vm_leaf - one leaf of a VM's page tables, as a walk of the
 * tables finds it, with what the VM's VA tree says should be there.
 * @iova: first GPU VA the leaf translates.
 * @size: bytes it translates (4 KiB page or 2 MiB block).
 * @pa: the leaf's output address.
 * @va_bo_id: id of the BO of the VA range covering @iova (the file's sparse
 *            dummy for a sparse range); 0 when no VA covers it.
 * @va_sparse: the covering VA range is sparse.
 * @va_pa: the physical address the covering VA's backing has at @iova
 *         (0 without a covering VA).
 */
struct panthor_vm_leaf {
	uint64_t iova;
	uint64_t size;
	phys_addr_t pa;
	uint32_t va_bo_id;
	bool va_sparse;
	phys_addr_t va_pa;
};

/**
 * panthor_vm_walk_leaves() - debug view for isolation checks: walk the VM's
 * page tables under its op lock (pgtable_for_each_leaf(), not a lookup per
 * address) and call @fn for every leaf with its covering VA's expectation.
 * @vm: the VM.
 * @fn: called for each leaf; a non-zero return stops the walk.
 * @arg: passed to @fn.
 * Return: 0, or the first non-zero value of @fn.
 */
int panthor_vm_walk_leaves(struct panthor_vm *vm,
			   int (*fn)(void *arg, const struct panthor_vm_leaf *leaf), void *arg);

/**
 * panthor_vm_lookup_pa() - the physical address the VM's tables map @va to.
 * @vm: the VM.
 * @va: GPU VA.
 * @level: if not NULL, receives the leaf level (3: 4 KiB page, 2: 2 MiB block).
 * Return: the address, or 0 if unmapped.
 */
phys_addr_t panthor_vm_lookup_pa(struct panthor_vm *vm, uint64_t va, unsigned int *level);

/**
 * panthor_vm_evict_bo_locked() - for the shrinker: unmap every GPU mapping
 * of @bo (each VM by trylock of its op lock, through its lock region) and
 * mark its vm_bos evicted; the VAs stay and the next job on each VM maps
 * them again (panthor_vm_job_begin()).
 * @bo: the BO; its resv is held.
 * Return: 0, or -EBUSY (a VM is busy: op lock taken, jobs running); some
 * VMs may then be unmapped already, which restore handles.
 */
int panthor_vm_evict_bo_locked(struct panthor_gem_object *bo);

/**
 * panthor_gem_mapped_vms_locked() - the VMs that GPU-map @bo: those with a
 * VA of it whose vm_bo is not evicted (reference shrinker.md §1.8: a CPU
 * touch of an evicted BO makes it MMAPPED, not GPU-mapped).
 * @bo: the BO; its resv is held.
 * @single: when exactly one VM maps @bo, receives that VM's reclaim list
 *          with a user reference (the caller drops it with
 *          panthor_gem_vm_lru_put()); NULL otherwise.
 * @any_va: set when some VM has a VA of @bo, evicted or not (eviction must
 *          then go through the VMs: an aborted eviction may have left
 *          pages mapped).
 * Return: the number of such VMs.
 */
unsigned int panthor_gem_mapped_vms_locked(struct panthor_gem_object *bo,
					   struct panthor_gem_vm_lru **single, bool *any_va);

#endif
