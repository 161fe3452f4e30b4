/* SPDX-License-Identifier: MIT */
/*
 * Groups, queues and jobs: GROUP_CREATE / DESTROY / GET_STATE / SUBMIT at
 * driver level (the uAPI's values and errno; the ioctl layer only copies
 * structs), and the scheduler that runs jobs on the model's hardware queue
 * slots. The design is the DOC comment at the top of panthor_sched.c; the
 * user-level view is docs/sched.md.
 */
#ifndef PANTOMIME_PANTHOR_SCHED_H
#define PANTOMIME_PANTHOR_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "panthor/panthor_device.h"
#include "panthor/panthor_mmu.h"
#include "uapi/drm/panthor_drm.h"

struct panthor_file;
struct panthor_group_pool;

/** PANTHOR_MAX_QUEUES_PER_GROUP - queues of one group (the kernel's MAX_CS_PER_CSG). */
#define PANTHOR_MAX_QUEUES_PER_GROUP 32
/** PANTHOR_MAX_GROUPS_PER_FILE - group handles per file are 1..128 (MAX_GROUPS_PER_POOL). */
#define PANTHOR_MAX_GROUPS_PER_FILE 128
/** PANTHOR_JOB_TIMEOUT_MS - default job timeout (panthor's JOB_TIMEOUT_MS). */
#define PANTHOR_JOB_TIMEOUT_MS 5000u
/** PANTHOR_MAX_QUEUE_PRIO - highest queue priority (CSF_MAX_QUEUE_PRIO). */
#define PANTHOR_MAX_QUEUE_PRIO 15

/* ---- the scheduler half of the device --------------------------------------- */

/**
 * panthor_sched_init() - find the hardware queue slots (QUEUE_PRESENT) and
 * attach the JOB interrupt.
 * @ptdev: the device.
 * Return: 0, -ENOMEM, -ENODEV (no queue slot), or an IRQ registration error.
 */
int panthor_sched_init(struct panthor_device *ptdev);

/**
 * panthor_sched_fini() - detach the JOB interrupt and free the scheduler.
 * Every group must be gone (file close destroys them).
 * @ptdev: the device.
 */
void panthor_sched_fini(struct panthor_device *ptdev);

/**
 * panthor_sched_post_reset_locked() - the scheduler part of the reset path:
 * the reset abandoned every running stream without an interrupt, so tell
 * the jobs that owned a slot, and restore JOB_INT_MASK. Allocation-free.
 * @ptdev: the device; slots_lock held (see panthor_device_reset_locked()).
 */
void panthor_sched_post_reset_locked(struct panthor_device *ptdev);

/**
 * panthor_sched_set_job_timeout_ms() - how long a job may run on a hardware
 * queue slot before its group is declared TIMEDOUT (0: PANTHOR_JOB_TIMEOUT_MS).
 * Applies to jobs that start after the call.
 * @ptdev: the device.
 * @ms: milliseconds.
 */
void panthor_sched_set_job_timeout_ms(struct panthor_device *ptdev, uint32_t ms);

/**
 * struct panthor_sched_stats - counters of the scheduler (tests, debug).
 * @jobs_submitted: jobs armed and queued.
 * @jobs_done: jobs whose stream ran to its end (or empty jobs).
 * @jobs_failed: jobs whose fence signalled with an error.
 * @timeouts: jobs stopped by the job timeout.
 */
struct panthor_sched_stats {
	uint64_t jobs_submitted;
	uint64_t jobs_done;
	uint64_t jobs_failed;
	uint64_t timeouts;
};

/** panthor_sched_get_stats() - copy the scheduler's counters into @st. */
void panthor_sched_get_stats(struct panthor_device *ptdev, struct panthor_sched_stats *st);

/* ---- per-file groups --------------------------------------------------------- */

/**
 * panthor_group_pool_create() - the file's group handle table.
 * @pfile: the file.
 * Return: 0 or -ENOMEM.
 */
int panthor_group_pool_create(struct panthor_file *pfile);

/**
 * panthor_group_pool_destroy() - destroy every group of the file (as
 * GROUP_DESTROY does) and free the table. NULL pool: no-op.
 * @pfile: the file.
 */
void panthor_group_pool_destroy(struct panthor_file *pfile);

/**
 * panthor_group_create() - GROUP_CREATE.
 * @pfile: the file.
 * @args: the ioctl's struct (@args->queues is not read: see @queues).
 * @queues: @args->queues.count queue descriptions.
 * @may_raise_priority: the caller has CAP_SYS_NICE or is DRM master
 *                      (pantomime's files never are: the ioctl layer passes false).
 * @handle: out: the new group handle (1..128).
 *
 * Return: 0; -EINVAL for no or too many queues, a non-zero pad, a priority
 * beyond REALTIME, core masks outside the present cores or with fewer bits
 * than the max_*_cores counts, an unknown VM, a queue with a non-zero pad,
 * a ring buffer size not a power of two in [4 KiB, 64 KiB] or a priority
 * above 15; -EACCES for HIGH or REALTIME without @may_raise_priority;
 * -EBUSY when the file has 128 groups; -ENOMEM.
 */
int panthor_group_create(struct panthor_file *pfile, const struct drm_panthor_group_create *args,
			 const struct drm_panthor_queue_create *queues, bool may_raise_priority,
			 uint32_t *handle);

/**
 * panthor_group_destroy() - GROUP_DESTROY: remove the handle, stop the
 * group's running streams, cancel its queued jobs (their fences signal with
 * -ECANCELED) and wait for its queue threads to finish.
 * @pfile: the file.
 * @handle: the group.
 * Return: 0, or -EINVAL for an unknown handle.
 */
int panthor_group_destroy(struct panthor_file *pfile, uint32_t handle);

/**
 * panthor_group_get_state() - GROUP_GET_STATE.
 * @pfile: the file.
 * @handle: the group.
 * @state: out: DRM_PANTHOR_GROUP_STATE_* flags.
 * @fatal_queues: out: bit n set if queue n hit a fatal fault.
 * Return: 0, or -EINVAL for an unknown handle.
 */
int panthor_group_get_state(struct panthor_file *pfile, uint32_t handle, uint32_t *state,
			    uint32_t *fatal_queues);

/**
 * struct panthor_queue_submit_args - one job (drm_panthor_queue_submit with
 * its syncs copied in).
 * @queue_index: the queue of the group.
 * @stream_size: bytes, a multiple of 8; 0 makes the job a pure sync point.
 * @stream_addr: GPU VA, 64-byte aligned; 0 exactly when @stream_size is 0.
 * @latest_flush: the flush ID the stream was built against (bits 24..30 MBZ).
 * @pad: must be 0.
 * @syncs: the job's syncs (WAIT and SIGNAL).
 * @syncs_count: entries of @syncs.
 */
struct panthor_queue_submit_args {
	uint32_t queue_index;
	uint32_t stream_size;
	uint64_t stream_addr;
	uint32_t latest_flush;
	uint32_t pad;
	const struct panthor_sync_op_args *syncs;
	uint32_t syncs_count;
};

/**
 * panthor_group_submit() - GROUP_SUBMIT: create a job per entry, resolve
 * their WAIT syncs (an earlier job's SIGNAL of the same point in the call
 * wins), restore the VM's evicted BOs, lock the VM resv and every external
 * BO's, then arm the jobs, add their fences to those resvs (BOOKKEEP) and
 * to the SIGNAL syncobjs, and queue them. Nothing is queued on failure.
 * @pfile: the file.
 * @handle: the group.
 * @jobs: the jobs, in order.
 * @count: entries of @jobs (0: nothing to do).
 *
 * Return: 0; -EINVAL for a bad job (pad, stream address or size, flush ID
 * bits, queue index), an unknown group or one that cannot run any more
 * (destroyed, TIMEDOUT or FATAL_FAULT), a bad sync op or an unknown SIGNAL
 * syncobj, a binary WAIT on a syncobj without a fence; -ENOENT for an
 * unknown WAIT syncobj; -ENOMEM; the errors of the BO restore.
 */
int panthor_group_submit(struct panthor_file *pfile, uint32_t handle,
			 const struct panthor_queue_submit_args *jobs, uint32_t count);

/**
 * panthor_group_submit_check() - the checks GROUP_SUBMIT makes of one job
 * before it looks at the job's syncs (the ioctl layer calls it before
 * copying them, to answer in the kernel's order).
 * @pfile: the file.
 * @handle: the group.
 * @job: the job (@job->syncs is not read).
 * Return: 0, or -EINVAL as panthor_group_submit() would for this job.
 */
int panthor_group_submit_check(struct panthor_file *pfile, uint32_t handle,
			       const struct panthor_queue_submit_args *job);

/**
 * panthor_group_wait_idle() - wait until every job queued on the group so
 * far has signalled (tests).
 * @pfile: the file.
 * @handle: the group.
 * Return: 0, or -EINVAL for an unknown handle.
 */
int panthor_group_wait_idle(struct panthor_file *pfile, uint32_t handle);

#endif
