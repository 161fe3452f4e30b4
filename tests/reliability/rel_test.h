/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the reliability suite: a device with two files opened through
 * the public API (include/pantomime/pantomime.h), every operation driven by
 * pantomime_ioctl()/pantomime_mmap(), and the invariant checks run after
 * each step through the test-only hooks of panthor_debug.h.
 *
 * File 0 is the actor of a test; file 1 is a bystander with its own VM and
 * a "witness" BO written before the test starts: every check asserts that
 * both files' witnesses still hold their bytes (CPU and GPU views).
 */
#ifndef PANTOMIME_TESTS_REL_TEST_H
#define PANTOMIME_TESTS_REL_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include <drm.h>

#include "pantomime/pantomime.h"
#include "uapi/drm/panthor_drm.h"

#define MiB (1ull << 20)

/** REL_WITNESS_VA - GPU VA of each file's witness BO in its witness VM. */
#define REL_WITNESS_VA (16 * MiB)
/** REL_WITNESS_SIZE - size of a witness BO. */
#define REL_WITNESS_SIZE (64 * 1024ull)

/**
 * struct rel_file - one file of the world and its witness.
 * @file: the API file.
 * @vm: a VM of the file holding the witness mapping.
 * @witness: the witness BO handle.
 * @map: the witness's CPU mapping.
 * @tag: the pattern tag written into the witness.
 */
struct rel_file {
	struct pantomime_file *file;
	uint32_t vm;
	uint32_t witness;
	uint64_t *map;
	uint32_t tag;
};

/**
 * struct rel_world - a device and two files.
 * @dev: the device.
 * @f: file 0 (the actor) and file 1 (the bystander).
 * @base_frames: rel_frames() with no file open (MCU VM, firmware).
 */
struct rel_world {
	struct pantomime_device *dev;
	struct rel_file f[2];
	long base_frames;
};

/**
 * rel_world_init() - create the device (@memory bytes, @swap bytes of swap)
 * and both files with their witnesses.
 */
void rel_world_init(struct rel_world *w, uint64_t memory, uint64_t swap);
/**
 * rel_world_fini() - close both files and destroy the device, checking on
 * the way that closing the files gave every frame back.
 */
void rel_world_fini(struct rel_world *w);

/**
 * rel_world_check() - every invariant: rel_check_file() and the isolation
 * walk (rel_leaves.h) for both files, mm_validate(), no checker violation.
 */
void rel_world_check(struct rel_world *w);
/** rel_check_file() - validate every VM of the file and its witness bytes. */
void rel_check_file(struct rel_world *w, struct rel_file *f);
/** rel_frames() - frames charged to the device, less the page-table pool's cache. */
long rel_frames(struct rel_world *w);

/** rel_ioctl() - pantomime_ioctl() on file @i of @w. */
int rel_ioctl(struct rel_world *w, int i, unsigned long req, void *arg);
/** rel_bo_create() - BO_CREATE on file @i, asserting success. Return: the handle. */
uint32_t rel_bo_create(struct rel_world *w, int i, uint64_t size, uint32_t flags, uint32_t excl_vm);
/** rel_vm_create() - VM_CREATE on file @i, asserting success. Return: the id. */
uint32_t rel_vm_create(struct rel_world *w, int i);
/** rel_gem_close() - GEM_CLOSE. Return: its errno. */
int rel_gem_close(struct rel_world *w, int i, uint32_t handle);
/**
 * rel_bind() - one VM_BIND op (synchronous unless @async).
 * @syncobj: with @async, a syncobj signalled when the op is done (0: none).
 * Return: the ioctl's errno.
 */
int rel_bind(struct rel_world *w, int i, uint32_t vm, uint32_t flags, uint32_t bo,
	     uint64_t bo_offset, uint64_t va, uint64_t size, bool async, uint32_t syncobj);
/** rel_bo_write() - write pattern @tag into the whole BO through a CPU mapping (asserting). */
void rel_bo_write(struct rel_world *w, int i, uint32_t bo, uint64_t size, uint32_t tag);
/** rel_bo_check() - assert the BO holds pattern @tag (CPU mapping). */
void rel_bo_check(struct rel_world *w, int i, uint32_t bo, uint64_t size, uint32_t tag);
/** rel_word() - the pattern word for @tag at byte offset @off. */
static inline uint64_t rel_word(uint32_t tag, uint64_t off)
{
	return ((uint64_t)tag << 40) | (off >> 3);
}
/** rel_gpu_read() - one GPU read of 8 bytes at @va of VM @vm of file @i. Return: its errno. */
int rel_gpu_read(struct rel_world *w, int i, uint32_t vm, uint64_t va, uint64_t *val);
/** rel_gpu_write() - one GPU write of 8 bytes. Return: its errno. */
int rel_gpu_write(struct rel_world *w, int i, uint32_t vm, uint64_t va, uint64_t val);
/** rel_vm_state() - VM_GET_STATE (asserting the ioctl works). */
uint32_t rel_vm_state(struct rel_world *w, int i, uint32_t vm);
/** rel_checker_violations() - the protocol checker's violation count. */
unsigned long rel_checker_violations(struct rel_world *w);

#endif
