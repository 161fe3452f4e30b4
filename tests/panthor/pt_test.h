/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the vm suite: a device and an open file per test, and the VM
 * ioctls called at driver level with uAPI values, as the ioctl layer will.
 */
#ifndef PANTOMIME_TESTS_PT_TEST_H
#define PANTOMIME_TESTS_PT_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/hw.h"
#include "panthor/panthor_device.h"
#include "panthor/panthor_file.h"
#include "panthor/panthor_gem.h"
#include "panthor/panthor_mmu.h"
#include "uapi/drm/panthor_drm.h"

#define MiB (1ull << 20)

/*
 * PT_ITERS() - an iteration count for the pressure loops of the gem suite:
 * a quarter under ThreadSanitizer, where every page copied to and from swap
 * is instrumented (those two binaries took ten minutes of a CI run). The
 * loops still evict and restore throughout; what they check is unchanged.
 */
#if defined(__SANITIZE_THREAD__)
#define PT_ITERS(n) ((n) / 4)
#else
#define PT_ITERS(n) (n)
#endif
#define GiB (1ull << 30)

/** PT_MAP - flags of a plain read-write map. */
#define PT_MAP ((uint32_t)DRM_PANTHOR_VM_BIND_OP_TYPE_MAP)
/** PT_UNMAP - flags of an unmap. */
#define PT_UNMAP ((uint32_t)DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP)
/** PT_SYNC_ONLY - flags of a sync-only op. */
#define PT_SYNC_ONLY ((uint32_t)DRM_PANTHOR_VM_BIND_OP_TYPE_SYNC_ONLY)
/** PT_SPARSE - flags of a sparse map. */
#define PT_SPARSE ((uint32_t)(DRM_PANTHOR_VM_BIND_OP_TYPE_MAP | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE | \
			      DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC))

/**
 * struct pt_config - what pt_init() creates.
 * @memory: device budget (0: 256 MiB).
 * @swap: swap area bytes (0: none).
 * @hw: model configuration (NULL: defaults).
 * @timeout_us: GPU wait timeout (0: 5 s). Not panthor's 100 ms: the model's
 *              AS_ACTIVE also waits for GPU units with an access in flight,
 *              and under sanitizers on two loaded cores a reader thread can be
 *              descheduled mid-access for longer than that. Tests of the reset
 *              path set a short timeout and run no concurrent GPU threads.
 */
struct pt_config {
	uint64_t memory;
	const struct hw_config *hw;
	uint32_t timeout_us;
	uint64_t swap;
};

/**
 * struct pt - one test's device and file.
 * @ptdev: the device.
 * @pfile: an open file on it.
 */
struct pt {
	struct panthor_device *ptdev;
	struct panthor_file *pfile;
};

/** pt_init() - create the device (checker counting) and open a file. */
void pt_init(struct pt *t, const struct pt_config *cfg);
/**
 * pt_fini() - close the file, destroy the device; fails the test if the
 * checker saw a violation (unless @allow_violations) or frames leaked.
 */
void pt_fini_ex(struct pt *t, bool allow_violations);
/** pt_fini() - pt_fini_ex(t, false). */
void pt_fini(struct pt *t);

/** pt_vm_create() - VM_CREATE with the default split; returns the id. */
uint32_t pt_vm_create(struct pt *t);
/** pt_vm() - the VM behind @id (a reference the caller puts). */
struct panthor_vm *pt_vm(struct pt *t, uint32_t id);
/** pt_bo_create() - BO_CREATE; returns the handle. */
uint32_t pt_bo_create(struct pt *t, uint64_t size, uint32_t exclusive_vm);
/** pt_bo() - the BO behind @handle (a reference the caller puts). */
struct panthor_gem_object *pt_bo(struct pt *t, uint32_t handle);
/** pt_bo_fill() - write pt_word(@tag, off) into every 8-byte word of the BO. */
void pt_bo_fill(struct pt *t, uint32_t handle, uint32_t tag);
/** pt_word() - the pattern pt_bo_fill() writes at BO offset @off. */
static inline uint64_t pt_word(uint32_t tag, uint64_t off)
{
	return ((uint64_t)tag << 40) | (off >> 3);
}

/** pt_op() - one synchronous bind op. Return: its errno. */
int pt_op(struct pt *t, uint32_t vm, uint32_t flags, uint32_t bo, uint64_t bo_offset, uint64_t va,
	  uint64_t size);
/** pt_map() - synchronous MAP of a whole range. */
int pt_map(struct pt *t, uint32_t vm, uint32_t bo, uint64_t bo_offset, uint64_t va, uint64_t size);
/** pt_unmap() - synchronous UNMAP. */
int pt_unmap(struct pt *t, uint32_t vm, uint64_t va, uint64_t size);
/** pt_sparse() - synchronous MAP_SPARSE. */
int pt_sparse(struct pt *t, uint32_t vm, uint64_t va, uint64_t size);

/** pt_read64() - one GPU read through a job on the VM. Return: the hw_access() result. */
int pt_read64(struct pt *t, uint32_t vm, uint64_t va, uint64_t *val);
/** pt_expect_word() - assert the GPU reads @want at @va. */
void pt_expect_word_at(struct pt *t, uint32_t vm, uint64_t va, uint64_t want, const char *file,
		       int line);
#define pt_expect_word(t, vm, va, want) pt_expect_word_at(t, vm, va, want, __FILE__, __LINE__)
/** pt_validate() - panthor_vm_validate() and mm_validate() must pass. */
void pt_validate(struct pt *t, uint32_t vm);
/** pt_frames() - frames charged to the device minus those the pt pool holds. */
long pt_frames(struct pt *t);
/** pt_dump_reports() - print the checker's reports as TAP diagnostics. */
void pt_dump_reports(struct pt *t);
/** pt_expect_no_violation() - assert the checker reported no violation. */
#define pt_expect_no_violation(t) do {                                              \
	unsigned long _v = hw_checker_violations((t)->ptdev->hw);                    \
	if (_v) {                                                                    \
		pt_dump_reports(t);                                                  \
		t_fail(__FILE__, __LINE__, "checker: %lu violations", _v);           \
	}                                                                            \
} while (0)

#endif
