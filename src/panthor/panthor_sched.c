// SPDX-License-Identifier: MIT
/*
 * DOC: groups, queues, jobs and the scheduler
 *
 * A group (GROUP_CREATE) belongs to one file and one VM and has 1..32
 * queues. A queue runs its jobs one after the other, in submission order;
 * queues of a group and of different groups run concurrently, bounded by
 * the model's hardware queue slots (docs/model-deviations.md "Queue
 * interface"), which stand in for the firmware's CSG/CS slots.
 *
 * Submission (GROUP_SUBMIT), all in the ioctl, in the order panthor uses:
 *   1. every job is checked and allocated (fence storage, dependency array,
 *      a copy of its syncs); SIGNAL syncobjs are looked up and timeline
 *      chain nodes allocated, so that nothing allocates once jobs are
 *      armed;
 *   2. panthor_vm_submit_lock(): the VM's evicted BOs are swapped in and
 *      re-mapped, the VM resv and every external BO's resv are locked with
 *      a fence slot per job;
 *   3. each job's WAIT syncs become dependencies (an earlier job's SIGNAL of
 *      the same syncobj point in the same call wins), then the job is armed
 *      (its fence initialised on the queue's timeline);
 *   4. nothing can fail any more: each job's fence is added to every locked
 *      resv with BOOKKEEP usage (so the shrinker's waiting stage waits for
 *      running GPU work, and never pulls pages from under it), the jobs are
 *      queued, and the SIGNAL syncobjs get the last fence for their point.
 *
 * From publication until it is freed a job counts in its VM's jobs
 * (panthor_vm_jobs_hold()): the shrinker leaves the GPU mappings of a VM
 * with queued or running jobs alone (its waiting stage waits for their
 * fences first), so what step 2 restored is still mapped when the job starts.
 * Restoring on the queue thread instead would allocate on the job's
 * fence-signalling path, and its reclaim would wait for fences that only
 * the stuck queue threads can signal.
 *
 * Execution: each queue has a thread (created with the group). For each job
 * it waits for the dependencies (in slices, so a destroyed group does not
 * keep waiting), takes a free hardware queue slot, runs the validate step
 * again and makes the VM active (panthor_vm_job_begin(): the validate finds
 * nothing to do unless a BO was evicted from another VM's view and re-bound
 * here meanwhile, and the VM's AS cannot be stolen while the job runs),
 * then enters the fence-signalling section:
 * it programs the slot's STREAM_BASE, STREAM_SIZE, AS and CONFIG registers,
 * rings DOORBELL and sleeps until the JOB interrupt reports the slot's end
 * (DONE, FAULT/UNSUPPORTED, TIMEOUT, STOPPED) or the job timeout passes, in
 * which case it writes STOP and waits for STOPPED. Then it ends the job
 * (VM idle), frees the slot and signals the fence. Nothing in the section
 * allocates or takes a resv: everything was prepared at submission.
 *
 * Faults and timeouts, as panthor: a stream that faults (or hits an
 * instruction the model does not run) marks its queue in the group's
 * fatal_queues (FATAL_FAULT) and its fence signals -EINVAL; a VM with an
 * unhandled MMU fault after a job marks every queue of that group fatal
 * (panthor's tick does the same for resident groups); a job still running
 * after the timeout (default PANTHOR_JOB_TIMEOUT_MS, panthor's 5 s), or whose
 * SYNC_WAIT timed out in the model, marks the group TIMEDOUT and signals
 * -ETIMEDOUT; a stream abandoned by a GPU reset (the model resets for MMU
 * reasons only) marks its queue fatal and the group INNOCENT, and signals
 * -ECANCELED. Once a group is TIMEDOUT or has fatal queues, its queued jobs
 * are cancelled (-ECANCELED) and GROUP_SUBMIT returns -EINVAL, as the
 * kernel's group_can_run() check does.
 *
 * GROUP_DESTROY removes the handle, marks the group destroyed, STOPs its
 * running streams and joins its queue threads (pending jobs signal
 * -ECANCELED). The group's memory goes with the last reference.
 *
 * Locks (panthor_device.h): "panthor_group_pool" (a file's group handles),
 * "panthor_sched_queue" (a queue's job list and timeline), and
 * "panthor_sched_slots" (hardware slot ownership) are leaves. The JOB
 * interrupt handler takes none of them: it ORs the slot's events into an
 * atomic word and wakes the scheduler's waitqueue.
 */
#include "panthor/panthor_sched.h"
#include "panthor/panthor_syncs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dma/dma_fence.h"
#include "dma/dma_fence_chain.h"
#include "dma/syncobj.h"
#include "hw/hw_regs.h"
#include "panthor/panthor_file.h"
#include "panthor/panthor_gem.h"
#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_list.h"
#include "util/u_log.h"
#include "util/u_refcount.h"
#include "util/u_thread.h"
#include "util/u_trace.h"

#define MOD "sched"

/* How long a dependency wait sleeps before looking at the group again. */
#define SCHED_DEP_SLICE_NS 10000000ll
/* A GROUP_SUBMIT short of memory retries this many times at most... */
#define SCHED_ENOMEM_RETRIES 50
/* ...each after a job retired (waiting at most this long) or 1 ms. */
#define SCHED_RETIRE_WAIT_NS 1000000000ull
/* How long a STOP may take before the slot is given up as lost. */
#define SCHED_STOP_WAIT_NS 2000000000ull

/* Slot events, as the JOB IRQ handler records them. */
#define EV_DONE    (1u << 0)
#define EV_FAULT   (1u << 1)
#define EV_TIMEOUT (1u << 2)
#define EV_STOPPED (1u << 3)
#define EV_RESET   (1u << 4)

static U_LOCK_CLASS(panthor_group_pool_class, "panthor_group_pool");
static U_LOCK_CLASS(panthor_sched_queue_class, "panthor_sched_queue");
static U_LOCK_CLASS(panthor_sched_slots_class, "panthor_sched_slots");

/**
 * struct panthor_sched_slot - one hardware queue slot.
 * @events: EV_* bits since the slot was programmed (atomic).
 * @busy: a job owns the slot (slots_lock).
 */
struct panthor_sched_slot {
	uint32_t events;
	bool busy;
};

/**
 * struct panthor_sched - the device's scheduler.
 * @ptdev: the device.
 * @irq: the JOB interrupt line.
 * @nr_slots: hardware queue slots (QUEUE_PRESENT).
 * @slots_lock: protects @slots[].busy (lock class "panthor_sched_slots").
 * @slots: the slots.
 * @wq: woken for slot events and freed slots.
 * @job_timeout_ms: job timeout (atomic).
 * @stats: counters (atomic).
 */
struct panthor_sched {
	struct panthor_device *ptdev;
	struct panthor_irq irq;
	uint32_t nr_slots;
	struct u_mutex slots_lock;
	struct panthor_sched_slot slots[HW_MAX_QUEUE_SLOTS];
	struct panthor_waitqueue wq;
	uint32_t job_timeout_ms;
	struct panthor_sched_stats stats;
};

struct panthor_group;

/**
 * struct panthor_queue - one queue of a group.
 * @group: the group (no reference: the group outlives its queues).
 * @index: its index in the group.
 * @priority: 0..15 (recorded; the model runs queues as slots free up).
 * @ringbuf_size: recorded.
 * @fence_ctx: the queue's fence timeline.
 * @lock: protects @seqno, @jobs, @nr_jobs, @stop, @last_fence (lock class
 *        "panthor_sched_queue").
 * @seqno: last seqno handed out.
 * @jobs: queued jobs, in order.
 * @nr_jobs: entries of @jobs (atomic reads by the sleeping thread).
 * @stop: the thread must exit once the list is empty (atomic reads).
 * @last_fence: fence of the last job queued (a reference), for wait_idle.
 * @wq: the thread sleeps here.
 * @thread: the queue's thread.
 * @started: @thread was created.
 */
struct panthor_queue {
	struct panthor_group *group;
	uint32_t index;
	uint8_t priority;
	uint32_t ringbuf_size;
	uint64_t fence_ctx;
	struct u_mutex lock;
	uint64_t seqno;
	struct u_list jobs;
	uint32_t nr_jobs;
	bool stop;
	struct dma_fence *last_fence;
	struct panthor_waitqueue wq;
	pthread_t thread;
	bool started;
};

/**
 * struct panthor_group - a group of queues on one VM.
 * @refcount: references (the pool's, lookups', submissions').
 * @ptdev: the device.
 * @vm: the VM (a reference).
 * @priority: group priority.
 * @compute_core_mask: recorded.
 * @fragment_core_mask: recorded.
 * @tiler_core_mask: recorded.
 * @queue_count: queues.
 * @queues: the queues.
 * @fatal_queues: queues that hit a fatal fault (atomic).
 * @timedout: a job timed out (atomic).
 * @innocent: a reset killed the group (atomic).
 * @destroyed: GROUP_DESTROY happened (atomic).
 * @handle: the file's handle of the group (trace arguments); set under the
 *          pool lock before the handle is published, never changed after.
 */
struct panthor_group {
	struct u_refcount refcount;
	struct panthor_device *ptdev;
	struct panthor_vm *vm;
	uint8_t priority;
	uint64_t compute_core_mask;
	uint64_t fragment_core_mask;
	uint64_t tiler_core_mask;
	uint32_t queue_count;
	struct panthor_queue *queues[PANTHOR_MAX_QUEUES_PER_GROUP];
	uint32_t fatal_queues;
	bool timedout;
	bool innocent;
	bool destroyed;
	uint32_t handle;
};

/**
 * struct panthor_group_pool - a file's groups (handle i + 1 in slot i).
 * @lock: protects @groups (lock class "panthor_group_pool").
 * @groups: the groups (each holds the pool's reference).
 */
struct panthor_group_pool {
	struct u_mutex lock;
	struct panthor_group *groups[PANTHOR_MAX_GROUPS_PER_FILE];
};

/**
 * struct panthor_job - one queue submit.
 * @node: in the queue's job list.
 * @group: the group (a reference).
 * @queue: the queue.
 * @stream_addr: GPU VA of the stream.
 * @stream_size: its size (0: a sync point).
 * @latest_flush: recorded (the model has no caches to flush).
 * @fence: the job's fence (u_malloc'ed; initialised when armed).
 * @armed: @fence is initialised.
 * @vm_held: the job counts in its VM's jobs (panthor_vm_jobs_hold()) until freed.
 * @deps: fences to wait for (references).
 * @nr_deps: entries of @deps.
 * @syncs: the job's syncs (copied).
 * @nr_syncs: entries of @syncs.
 */
struct panthor_job {
	struct u_list node;
	struct panthor_group *group;
	struct panthor_queue *queue;
	uint64_t stream_addr;
	uint32_t stream_size;
	uint32_t latest_flush;
	struct dma_fence *fence;
	bool armed;
	bool vm_held;
	struct dma_fence **deps;
	uint32_t nr_deps;
	struct panthor_sync_op_args *syncs;
	uint32_t nr_syncs;
};

static void stat_inc(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* ---- the JOB interrupt and the hardware slots ------------------------------- */

static uint32_t job_irq_mask(uint32_t nr_slots)
{
	uint32_t m = (1u << nr_slots) - 1;

	return m | m << 8 | m << 16 | m << 24;
}

static void panthor_job_irq_handler(struct panthor_device *ptdev, uint32_t status)
{
	struct panthor_sched *sched = ptdev->sched;

	for (uint32_t n = 0; n < sched->nr_slots; n++) {
		uint32_t ev = 0;

		if (status & HW_JOB_INT_DONE(n))
			ev |= EV_DONE;
		if (status & HW_JOB_INT_FAULT(n))
			ev |= EV_FAULT;
		if (status & HW_JOB_INT_TIMEOUT(n))
			ev |= EV_TIMEOUT;
		if (status & HW_JOB_INT_STOPPED(n))
			ev |= EV_STOPPED;
		if (ev)
			__atomic_or_fetch(&sched->slots[n].events, ev, __ATOMIC_RELEASE);
	}
	panthor_waitqueue_wake_all(&sched->wq);
}

struct slot_wait {
	struct panthor_sched *sched;
	uint32_t slot;
	uint32_t mask;
	struct panthor_group *group;
};

static bool slot_has_event(void *arg)
{
	struct slot_wait *w = arg;

	return __atomic_load_n(&w->sched->slots[w->slot].events, __ATOMIC_ACQUIRE) & w->mask;
}

static bool group_can_run(struct panthor_group *group)
{
	return !__atomic_load_n(&group->destroyed, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&group->timedout, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&group->fatal_queues, __ATOMIC_ACQUIRE);
}

static int slot_try_get(struct panthor_sched *sched)
{
	int slot = -1;

	u_mutex_lock(&sched->slots_lock);
	for (uint32_t n = 0; n < sched->nr_slots; n++) {
		if (!sched->slots[n].busy) {
			__atomic_store_n(&sched->slots[n].busy, true, __ATOMIC_RELAXED);
			__atomic_store_n(&sched->slots[n].events, 0, __ATOMIC_RELAXED);
			slot = (int)n;
			break;
		}
	}
	u_mutex_unlock(&sched->slots_lock);
	return slot;
}

static bool slot_free_or_dead(void *arg)
{
	struct slot_wait *w = arg;
	bool free_slot = false;

	/* Racy peek (the waitqueue's internal lock only): the caller retries under slots_lock. */
	for (uint32_t n = 0; n < w->sched->nr_slots; n++)
		free_slot |= !__atomic_load_n(&w->sched->slots[n].busy, __ATOMIC_RELAXED);
	return free_slot || !group_can_run(w->group);
}

/* A free slot, or -ECANCELED once the group cannot run any more. */
static int slot_get(struct panthor_sched *sched, struct panthor_group *group)
{
	struct slot_wait w = { .sched = sched, .group = group };
	int slot;

	for (;;) {
		slot = slot_try_get(sched);
		if (slot >= 0)
			return slot;
		if (!group_can_run(group))
			return -ECANCELED;
		panthor_waitqueue_wait(&sched->wq, slot_free_or_dead, &w,
				       panthor_now_ns() + SCHED_DEP_SLICE_NS);
	}
}

static void slot_put(struct panthor_sched *sched, uint32_t slot)
{
	u_mutex_lock(&sched->slots_lock);
	__atomic_store_n(&sched->slots[slot].busy, false, __ATOMIC_RELAXED);
	u_mutex_unlock(&sched->slots_lock);
	panthor_waitqueue_wake_all(&sched->wq);
}

/* ---- job fences ---------------------------------------------------------------- */

static const char *job_fence_driver_name(struct dma_fence *fence)
{
	return "panthor";
}

static const char *job_fence_timeline_name(struct dma_fence *fence)
{
	return "queue";
}

static const struct dma_fence_ops panthor_job_fence_ops = {
	.use_64bit_seqno = true,
	.get_driver_name = job_fence_driver_name,
	.get_timeline_name = job_fence_timeline_name,
};

/* ---- groups ---------------------------------------------------------------------- */

static struct panthor_group *group_get(struct panthor_group *group)
{
	if (group)
		u_refcount_get(&group->refcount);
	return group;
}

static void queue_free(struct panthor_queue *queue)
{
	if (!queue)
		return;
	U_WARN_ON(!u_list_empty(&queue->jobs));
	dma_fence_put(queue->last_fence);
	panthor_waitqueue_fini(&queue->wq);
	u_mutex_fini(&queue->lock);
	u_free(queue);
}

static void group_put(struct panthor_group *group)
{
	if (!group || !u_refcount_put(&group->refcount))
		return;
	for (uint32_t i = 0; i < group->queue_count; i++)
		queue_free(group->queues[i]);
	panthor_vm_put(group->vm);
	u_free(group);
}

static void job_free(struct panthor_job *job)
{
	if (job->vm_held)
		panthor_vm_jobs_release(job->group->vm);
	for (uint32_t i = 0; i < job->nr_deps; i++)
		dma_fence_put(job->deps[i]);
	u_free(job->deps);
	u_free(job->syncs);
	if (job->armed)
		dma_fence_put(job->fence);
	else
		u_free(job->fence);
	group_put(job->group);
	u_free(job);
}

static void group_mark_fatal(struct panthor_group *group, uint32_t queues)
{
	__atomic_or_fetch(&group->fatal_queues, queues, __ATOMIC_ACQ_REL);
}

static uint32_t all_queues(const struct panthor_group *group)
{
	return group->queue_count >= 32 ? ~0u : (1u << group->queue_count) - 1;
}

/* Program @slot with @job's stream and wait for its end; Return: the fence error. */
static int job_slot_exec(struct panthor_sched *sched, struct panthor_job *job,
			 uint32_t slot, uint32_t as, bool *lost)
{
	struct panthor_device *ptdev = sched->ptdev;
	struct panthor_group *group = job->group;
	uint32_t base = HW_QUEUE(slot), timeout_ms, status, ev, info;
	struct slot_wait w = { .sched = sched, .slot = slot, .group = group,
			       .mask = EV_DONE | EV_FAULT | EV_TIMEOUT | EV_STOPPED | EV_RESET };
	uint64_t deadline;

	timeout_ms = __atomic_load_n(&sched->job_timeout_ms, __ATOMIC_RELAXED);
	gpu_write64(ptdev, base + HW_QUEUE_STREAM_BASE_LO, job->stream_addr);
	gpu_write(ptdev, base + HW_QUEUE_STREAM_SIZE, job->stream_size);
	gpu_write(ptdev, base + HW_QUEUE_AS, as);
	/* A SYNC_WAIT may block as long as the whole job may run. */
	gpu_write(ptdev, base + HW_QUEUE_CONFIG, u_min(timeout_ms, 0xffffu));
	deadline = panthor_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	gpu_write(ptdev, base + HW_QUEUE_DOORBELL, 1);

	/* Sleep in slices so that a destroyed group stops its stream early. */
	while (!slot_has_event(&w)) {
		uint64_t now = panthor_now_ns();

		if (now >= deadline)
			break;
		panthor_waitqueue_wait(&sched->wq, slot_has_event, &w,
				       u_min(deadline, now + SCHED_DEP_SLICE_NS));
		if (__atomic_load_n(&group->destroyed, __ATOMIC_ACQUIRE))
			break;
	}

	ev = __atomic_load_n(&sched->slots[slot].events, __ATOMIC_ACQUIRE);
	if (!(ev & w.mask)) {
		/* Timed out or destroyed: stop the stream and wait for it to say so. */
		gpu_write(ptdev, base + HW_QUEUE_STOP, 1);
		panthor_waitqueue_wait(&sched->wq, slot_has_event, &w,
				       panthor_now_ns() + SCHED_STOP_WAIT_NS);
		ev = __atomic_load_n(&sched->slots[slot].events, __ATOMIC_ACQUIRE);
		if (!(ev & w.mask)) {
			/* Still running: the slot cannot be reused (a DOORBELL would be ignored). */
			u_err(MOD, "queue slot %u did not stop; it stays out of use", slot);
			*lost = true;
		}
		if (!__atomic_load_n(&group->destroyed, __ATOMIC_ACQUIRE)) {
			u_warn(MOD, "job on queue %u timed out after %u ms (stream 0x%llx)",
			       job->queue->index, timeout_ms, (unsigned long long)job->stream_addr);
			__atomic_store_n(&group->timedout, true, __ATOMIC_RELEASE);
			stat_inc(&sched->stats.timeouts);
			if (ev & EV_DONE)
				return 0;	/* it finished while we stopped it */
			return -ETIMEDOUT;
		}
		return (ev & EV_DONE) ? 0 : -ECANCELED;
	}
	if (ev & EV_RESET) {
		__atomic_store_n(&group->innocent, true, __ATOMIC_RELEASE);
		group_mark_fatal(group, 1u << job->queue->index);
		return -ECANCELED;
	}

	status = gpu_read(ptdev, base + HW_QUEUE_STATUS) & 0xf;
	switch (status) {
	case HW_QUEUE_STATUS_DONE:
		return 0;
	case HW_QUEUE_STATUS_TIMEOUT:
		u_warn(MOD, "job on queue %u: SYNC_WAIT timed out", job->queue->index);
		__atomic_store_n(&group->timedout, true, __ATOMIC_RELEASE);
		stat_inc(&sched->stats.timeouts);
		return -ETIMEDOUT;
	case HW_QUEUE_STATUS_STOPPED:
		return -ECANCELED;
	default:
		info = gpu_read(ptdev, base + HW_QUEUE_FAULT_INFO);
		u_warn(MOD, "job on queue %u: %s, FAULT_INFO 0x%x at 0x%llx (PC 0x%llx)",
		       job->queue->index,
		       status == HW_QUEUE_STATUS_UNSUPPORTED ? "unsupported instruction" : "fault",
		       info, (unsigned long long)gpu_read64(ptdev, base + HW_QUEUE_FAULT_ADDRESS_LO),
		       (unsigned long long)gpu_read64(ptdev, base + HW_QUEUE_PC_LO));
		group_mark_fatal(group, 1u << job->queue->index);
		return -EINVAL;
	}
}

/*
 * job_slot_exec(), traced (when a tracer is attached) as a "job" span on
 * the slot's track "gpu-cs<slot>", the name the model gives the slot: from
 * before DOORBELL until the slot's end was seen, with the ids only the
 * driver knows. The model's "stream" span of the run nests inside it.
 */
static int job_run_on_slot(struct panthor_sched *sched, struct panthor_job *job, uint32_t slot,
			   uint32_t as, bool *lost)
{
	struct panthor_group *group = job->group;
	char track[16];
	int ret;

	if (!u_trace_enabled())
		return job_slot_exec(sched, job, slot, as, lost);
	snprintf(track, sizeof(track), "gpu-cs%u", slot);
	U_TRACE("gpu", "job", track, 'B', "vm", panthor_vm_id(group->vm), "group", group->handle,
		"queue", job->queue->index, "seqno", job->fence->seqno);
	ret = job_slot_exec(sched, job, slot, as, lost);
	U_TRACE("gpu", "job", track, 'E', "ret", ret);
	return ret;
}

/* Run @job and free it, then signal its fence. */
static void job_run(struct panthor_sched *sched, struct panthor_job *job)
{
	struct panthor_group *group = job->group;
	struct dma_fence *fence;
	bool cookie, lost = false;
	int ret = 0, as, slot = -1;

	for (uint32_t i = 0; i < job->nr_deps && !ret; i++) {
		while (dma_fence_wait_timeout(job->deps[i], false, SCHED_DEP_SLICE_NS) < 0) {
			if (!group_can_run(group)) {
				ret = -ECANCELED;
				break;
			}
		}
	}
	if (!ret && !group_can_run(group))
		ret = -ECANCELED;

	if (!ret && job->stream_size) {
		/* A slot first: at most nr_slots jobs hold an AS, fewer than there are. */
		slot = slot_get(sched, group);
		if (slot < 0)
			ret = slot;
	}
	as = 0;
	if (!ret && job->stream_size) {
		as = panthor_vm_job_begin(group->vm);
		if (as < 0) {
			u_warn(MOD, "queue %u: cannot start a job on its VM: %d", job->queue->index, as);
			group_mark_fatal(group, 1u << job->queue->index);
			ret = as;
		}
	}

	cookie = dma_fence_begin_signalling();
	if (!ret && job->stream_size) {
		ret = job_run_on_slot(sched, job, (uint32_t)slot, (uint32_t)as, &lost);
		if (ret)
			panthor_mmu_sync_fault_irq(group->ptdev, (uint32_t)as);
		/* An MMU fault on the VM kills the group, as panthor's tick does. */
		if (panthor_vm_has_unhandled_faults(group->vm) &&
		    !__atomic_load_n(&group->fatal_queues, __ATOMIC_ACQUIRE))
			group_mark_fatal(group, all_queues(group));
		panthor_vm_job_end(group->vm);
	}
	if (slot >= 0 && !lost)
		slot_put(sched, (uint32_t)slot);
	/*
	 * Free the job before its fence signals, so that whoever waits for the
	 * fence finds its resources released. The group reference it drops is
	 * never the last one: GROUP_DESTROY holds one until it joined this thread.
	 */
	fence = dma_fence_get(job->fence);
	job_free(job);
	if (ret) {
		dma_fence_set_error(fence, ret);
		stat_inc(&sched->stats.jobs_failed);
	} else {
		stat_inc(&sched->stats.jobs_done);
	}
	dma_fence_signal(fence);
	dma_fence_end_signalling(cookie);
	dma_fence_put(fence);
	/* A submission short of memory may be waiting for GPU work to retire. */
	panthor_waitqueue_wake_all(&sched->wq);
}

static bool queue_ready(void *arg)
{
	struct panthor_queue *queue = arg;

	return __atomic_load_n(&queue->nr_jobs, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&queue->stop, __ATOMIC_ACQUIRE);
}

static void *queue_thread(void *arg)
{
	struct panthor_queue *queue = arg;
	struct panthor_sched *sched = queue->group->ptdev->sched;

	for (;;) {
		struct panthor_job *job = NULL;
		bool stop;

		panthor_waitqueue_wait(&queue->wq, queue_ready, queue, UINT64_MAX);
		u_mutex_lock(&queue->lock);
		if (!u_list_empty(&queue->jobs)) {
			job = u_list_first_entry(&queue->jobs, struct panthor_job, node);
			u_list_del(&job->node);
			__atomic_store_n(&queue->nr_jobs, queue->nr_jobs - 1, __ATOMIC_RELEASE);
		}
		stop = queue->stop;
		u_mutex_unlock(&queue->lock);
		if (!job) {
			if (stop)
				break;
			continue;
		}
		job_run(sched, job);
	}
	return NULL;
}

static struct panthor_queue *queue_create(struct panthor_group *group, uint32_t index,
					  const struct drm_panthor_queue_create *args)
{
	struct panthor_queue *queue = u_zalloc(sizeof(*queue));

	if (!queue)
		return NULL;
	queue->group = group;
	queue->index = index;
	queue->priority = args->priority;
	queue->ringbuf_size = args->ringbuf_size;
	queue->fence_ctx = dma_fence_context_alloc(1);
	u_mutex_init(&queue->lock, &panthor_sched_queue_class);
	u_list_init(&queue->jobs);
	panthor_waitqueue_init(&queue->wq);
	return queue;
}

/* Stop the queue threads after they cancel what is queued; join them. */
static void group_stop_queues(struct panthor_group *group)
{
	for (uint32_t i = 0; i < group->queue_count; i++) {
		struct panthor_queue *queue = group->queues[i];

		u_mutex_lock(&queue->lock);
		__atomic_store_n(&queue->stop, true, __ATOMIC_RELEASE);
		u_mutex_unlock(&queue->lock);
		panthor_waitqueue_wake_all(&queue->wq);
	}
	/* Slot and dependency waiters look at the group state in slices; wake them now. */
	panthor_waitqueue_wake_all(&group->ptdev->sched->wq);
	for (uint32_t i = 0; i < group->queue_count; i++) {
		struct panthor_queue *queue = group->queues[i];

		if (queue->started)
			pthread_join(queue->thread, NULL);
		queue->started = false;
	}
}

static int check_core_mask(uint64_t mask, uint64_t present, uint8_t max_cores, const char *what)
{
	if (mask & ~present) {
		u_dbg(MOD, "GROUP_CREATE: %s core mask 0x%llx has cores outside 0x%llx", what,
		      (unsigned long long)mask, (unsigned long long)present);
		return -EINVAL;
	}
	if ((unsigned int)__builtin_popcountll(mask) < max_cores) {
		u_dbg(MOD, "GROUP_CREATE: %s core mask 0x%llx has fewer than %u cores", what,
		      (unsigned long long)mask, max_cores);
		return -EINVAL;
	}
	return 0;
}

int panthor_group_create(struct panthor_file *pfile, const struct drm_panthor_group_create *args,
			 const struct drm_panthor_queue_create *queues, bool may_raise_priority,
			 uint32_t *handle)
{
	struct panthor_device *ptdev = pfile->ptdev;
	struct panthor_group_pool *pool = pfile->groups;
	struct panthor_group *group;
	uint32_t count = args->queues.count, id;
	int ret;

	if (!count || count > PANTHOR_MAX_QUEUES_PER_GROUP) {
		u_dbg(MOD, "GROUP_CREATE: %u queues (1..%u)", count, PANTHOR_MAX_QUEUES_PER_GROUP);
		return -EINVAL;
	}
	if (args->priority > PANTHOR_GROUP_PRIORITY_REALTIME) {
		u_dbg(MOD, "GROUP_CREATE: priority %u", args->priority);
		return -EINVAL;
	}
	if (args->priority > PANTHOR_GROUP_PRIORITY_MEDIUM && !may_raise_priority) {
		u_dbg(MOD, "GROUP_CREATE: priority %u needs CAP_SYS_NICE or DRM master",
		      args->priority);
		return -EACCES;
	}
	if (args->pad) {
		u_dbg(MOD, "GROUP_CREATE: non-zero pad");
		return -EINVAL;
	}
	ret = check_core_mask(args->compute_core_mask, ptdev->gpu_info.shader_present,
			      args->max_compute_cores, "compute");
	if (!ret)
		ret = check_core_mask(args->fragment_core_mask, ptdev->gpu_info.shader_present,
				      args->max_fragment_cores, "fragment");
	if (!ret)
		ret = check_core_mask(args->tiler_core_mask, ptdev->gpu_info.tiler_present,
				      args->max_tiler_cores, "tiler");
	if (ret)
		return ret;

	group = u_zalloc(sizeof(*group));
	if (!group)
		return -ENOMEM;
	u_refcount_init(&group->refcount, 1);
	group->ptdev = ptdev;
	group->priority = args->priority;
	group->compute_core_mask = args->compute_core_mask;
	group->fragment_core_mask = args->fragment_core_mask;
	group->tiler_core_mask = args->tiler_core_mask;
	group->vm = panthor_vm_pool_get_vm(&pfile->vms, args->vm_id);
	if (!group->vm) {
		u_dbg(MOD, "GROUP_CREATE: unknown VM %u", args->vm_id);
		ret = -EINVAL;
		goto err_put;
	}
	for (uint32_t i = 0; i < count; i++) {
		const struct drm_panthor_queue_create *q = &queues[i];

		if (q->pad[0] || q->pad[1] || q->pad[2]) {
			u_dbg(MOD, "GROUP_CREATE: queue %u: non-zero pad", i);
			ret = -EINVAL;
			goto err_put;
		}
		if (q->ringbuf_size < 4096 || q->ringbuf_size > 65536 ||
		    (q->ringbuf_size & (q->ringbuf_size - 1))) {
			u_dbg(MOD, "GROUP_CREATE: queue %u: ring buffer size %u", i, q->ringbuf_size);
			ret = -EINVAL;
			goto err_put;
		}
		if (q->priority > PANTHOR_MAX_QUEUE_PRIO) {
			u_dbg(MOD, "GROUP_CREATE: queue %u: priority %u", i, q->priority);
			ret = -EINVAL;
			goto err_put;
		}
		group->queues[i] = queue_create(group, i, q);
		if (!group->queues[i]) {
			ret = -ENOMEM;
			goto err_put;
		}
		group->queue_count++;
	}
	for (uint32_t i = 0; i < count; i++) {
		ret = u_thread_create(&group->queues[i]->thread, queue_thread, group->queues[i],
				      "pm-queue-job");
		if (ret)
			goto err_stop;
		group->queues[i]->started = true;
	}

	ret = -EBUSY;
	u_mutex_lock(&pool->lock);
	for (id = 0; id < PANTHOR_MAX_GROUPS_PER_FILE; id++) {
		if (!pool->groups[id]) {
			group->handle = id + 1;
			pool->groups[id] = group;
			ret = 0;
			break;
		}
	}
	u_mutex_unlock(&pool->lock);
	if (ret) {
		u_dbg(MOD, "GROUP_CREATE: the file has %u groups", PANTHOR_MAX_GROUPS_PER_FILE);
		goto err_stop;
	}
	*handle = id + 1;
	return 0;

err_stop:
	__atomic_store_n(&group->destroyed, true, __ATOMIC_RELEASE);
	group_stop_queues(group);
err_put:
	group_put(group);
	return ret;
}

static struct panthor_group *group_lookup(struct panthor_file *pfile, uint32_t handle)
{
	struct panthor_group_pool *pool = pfile->groups;
	struct panthor_group *group = NULL;

	if (!handle || handle > PANTHOR_MAX_GROUPS_PER_FILE)
		return NULL;
	u_mutex_lock(&pool->lock);
	group = group_get(pool->groups[handle - 1]);
	u_mutex_unlock(&pool->lock);
	return group;
}

/* A group whose handle is gone: cancel its jobs, join its threads, drop the pool's reference. */
static void group_kill(struct panthor_group *group)
{
	__atomic_store_n(&group->destroyed, true, __ATOMIC_RELEASE);
	group_stop_queues(group);
	group_put(group);
}

int panthor_group_destroy(struct panthor_file *pfile, uint32_t handle)
{
	struct panthor_group_pool *pool = pfile->groups;
	struct panthor_group *group = NULL;

	if (handle && handle <= PANTHOR_MAX_GROUPS_PER_FILE) {
		u_mutex_lock(&pool->lock);
		group = pool->groups[handle - 1];
		pool->groups[handle - 1] = NULL;
		u_mutex_unlock(&pool->lock);
	}
	if (!group) {
		u_dbg(MOD, "GROUP_DESTROY: unknown group %u", handle);
		return -EINVAL;
	}
	group_kill(group);
	return 0;
}

int panthor_group_get_state(struct panthor_file *pfile, uint32_t handle, uint32_t *state,
			    uint32_t *fatal_queues)
{
	struct panthor_group *group = group_lookup(pfile, handle);
	uint32_t fatal;

	if (!group) {
		u_dbg(MOD, "GROUP_GET_STATE: unknown group %u", handle);
		return -EINVAL;
	}
	*state = 0;
	fatal = __atomic_load_n(&group->fatal_queues, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&group->timedout, __ATOMIC_ACQUIRE))
		*state |= DRM_PANTHOR_GROUP_STATE_TIMEDOUT;
	if (fatal)
		*state |= DRM_PANTHOR_GROUP_STATE_FATAL_FAULT;
	if (__atomic_load_n(&group->innocent, __ATOMIC_ACQUIRE))
		*state |= DRM_PANTHOR_GROUP_STATE_INNOCENT;
	*fatal_queues = fatal;
	group_put(group);
	return 0;
}

int panthor_group_wait_idle(struct panthor_file *pfile, uint32_t handle)
{
	struct panthor_group *group = group_lookup(pfile, handle);

	if (!group)
		return -EINVAL;
	for (uint32_t i = 0; i < group->queue_count; i++) {
		struct panthor_queue *queue = group->queues[i];
		struct dma_fence *last;

		u_mutex_lock(&queue->lock);
		last = dma_fence_get(queue->last_fence);
		u_mutex_unlock(&queue->lock);
		if (last) {
			dma_fence_wait(last, false);
			dma_fence_put(last);
		}
	}
	group_put(group);
	return 0;
}

int panthor_group_pool_create(struct panthor_file *pfile)
{
	struct panthor_group_pool *pool = u_zalloc(sizeof(*pool));

	if (!pool)
		return -ENOMEM;
	u_mutex_init(&pool->lock, &panthor_group_pool_class);
	pfile->groups = pool;
	return 0;
}

void panthor_group_pool_destroy(struct panthor_file *pfile)
{
	struct panthor_group_pool *pool = pfile->groups;

	if (!pool)
		return;
	for (uint32_t id = 0; id < PANTHOR_MAX_GROUPS_PER_FILE; id++) {
		struct panthor_group *group;

		u_mutex_lock(&pool->lock);
		group = pool->groups[id];
		pool->groups[id] = NULL;
		u_mutex_unlock(&pool->lock);
		if (group)
			group_kill(group);
	}
	u_mutex_fini(&pool->lock);
	u_free(pool);
	pfile->groups = NULL;
}

/* ---- submission ------------------------------------------------------------------ */

struct sched_submit {
	struct panthor_file *pfile;
	struct panthor_job **jobs;
	uint32_t nr_jobs;
	struct panthor_sync_signals signals;
};

static void submit_fini(struct sched_submit *ctx)
{
	panthor_sync_signals_fini(&ctx->signals);
	for (uint32_t i = 0; i < ctx->nr_jobs; i++)
		if (ctx->jobs[i])
			job_free(ctx->jobs[i]);
	u_free(ctx->jobs);
}

/* The checks of one job before its syncs; Return: 0 and the group (a reference), or -EINVAL. */
static int job_check(struct panthor_file *pfile, uint32_t handle,
		     const struct panthor_queue_submit_args *args, struct panthor_group **out)
{
	struct panthor_group *group;

	if (args->pad) {
		u_dbg(MOD, "GROUP_SUBMIT: non-zero pad");
		return -EINVAL;
	}
	if ((args->stream_size == 0) != (args->stream_addr == 0)) {
		u_dbg(MOD, "GROUP_SUBMIT: stream address 0x%llx with size %u",
		      (unsigned long long)args->stream_addr, args->stream_size);
		return -EINVAL;
	}
	if ((args->stream_addr & 63) || (args->stream_size & 7)) {
		u_dbg(MOD, "GROUP_SUBMIT: stream address 0x%llx not 64-byte aligned or size %u "
		      "not a multiple of 8", (unsigned long long)args->stream_addr, args->stream_size);
		return -EINVAL;
	}
	if (args->latest_flush & 0x7f000000u) {
		u_dbg(MOD, "GROUP_SUBMIT: latest_flush 0x%x has bits 24..30 set", args->latest_flush);
		return -EINVAL;
	}
	group = group_lookup(pfile, handle);
	if (!group) {
		u_dbg(MOD, "GROUP_SUBMIT: unknown group %u", handle);
		return -EINVAL;
	}
	if (!group_can_run(group)) {
		u_dbg(MOD, "GROUP_SUBMIT: group %u cannot run (timed out, faulted or destroyed)",
		      handle);
		group_put(group);
		return -EINVAL;
	}
	if (args->queue_index >= group->queue_count) {
		u_dbg(MOD, "GROUP_SUBMIT: queue %u of %u", args->queue_index, group->queue_count);
		group_put(group);
		return -EINVAL;
	}
	*out = group;
	return 0;
}

int panthor_group_submit_check(struct panthor_file *pfile, uint32_t handle,
			       const struct panthor_queue_submit_args *job)
{
	struct panthor_group *group;
	int ret = job_check(pfile, handle, job, &group);

	if (!ret)
		group_put(group);
	return ret;
}

static struct panthor_job *job_create(struct panthor_file *pfile, uint32_t handle,
				      const struct panthor_queue_submit_args *args)
{
	struct panthor_group *group;
	struct panthor_job *job;
	uint32_t waits = 0;
	int ret;

	ret = job_check(pfile, handle, args, &group);
	if (ret)
		return ERR_PTR(ret);
	for (uint32_t i = 0; i < args->syncs_count; i++) {
		ret = panthor_sync_op_check(&args->syncs[i], "GROUP_SUBMIT");
		if (ret) {
			group_put(group);
			return ERR_PTR(ret);
		}
		waits += !panthor_sync_op_is_signal(&args->syncs[i]);
	}

	job = u_zalloc(sizeof(*job));
	if (!job) {
		group_put(group);
		return ERR_PTR(-ENOMEM);
	}
	job->group = group;
	job->queue = group->queues[args->queue_index];
	job->stream_addr = args->stream_addr;
	job->stream_size = args->stream_size;
	job->latest_flush = args->latest_flush;
	u_list_init(&job->node);
	job->fence = u_malloc(sizeof(*job->fence));
	if (args->syncs_count)
		job->syncs = u_calloc(args->syncs_count, sizeof(*job->syncs));
	if (waits)
		job->deps = u_calloc(waits, sizeof(*job->deps));
	if (!job->fence || (args->syncs_count && !job->syncs) || (waits && !job->deps)) {
		job_free(job);
		return ERR_PTR(-ENOMEM);
	}
	if (args->syncs_count)
		memcpy(job->syncs, args->syncs, args->syncs_count * sizeof(*job->syncs));
	job->nr_syncs = args->syncs_count;
	return job;
}

static int job_add_deps(struct sched_submit *ctx, struct panthor_job *job)
{
	return panthor_sync_signals_add_deps(&ctx->signals, job->syncs, job->nr_syncs, job->deps,
					     &job->nr_deps);
}

static void job_arm(struct panthor_job *job)
{
	struct panthor_queue *queue = job->queue;

	u_mutex_lock(&queue->lock);
	dma_fence_init(job->fence, &panthor_job_fence_ops, queue->fence_ctx, ++queue->seqno);
	u_mutex_unlock(&queue->lock);
	job->armed = true;
}

static void job_update_signals(struct sched_submit *ctx, struct panthor_job *job)
{
	panthor_sync_signals_update(&ctx->signals, job->syncs, job->nr_syncs, job->fence);
}

/* Queue @job; Return: false if the queue's thread is gone (the group was destroyed meanwhile). */
static bool job_push(struct panthor_job *job)
{
	struct panthor_queue *queue = job->queue;

	u_mutex_lock(&queue->lock);
	if (queue->stop) {
		u_mutex_unlock(&queue->lock);
		return false;
	}
	dma_fence_put(queue->last_fence);
	queue->last_fence = dma_fence_get(job->fence);
	u_list_add_tail(&job->node, &queue->jobs);
	__atomic_store_n(&queue->nr_jobs, queue->nr_jobs + 1, __ATOMIC_RELEASE);
	u_mutex_unlock(&queue->lock);
	panthor_waitqueue_wake_all(&queue->wq);
	return true;
}

static uint64_t sched_retired(struct panthor_sched *sched)
{
	return __atomic_load_n(&sched->stats.jobs_done, __ATOMIC_ACQUIRE) +
	       __atomic_load_n(&sched->stats.jobs_failed, __ATOMIC_ACQUIRE);
}

struct retire_wait {
	struct panthor_sched *sched;
	uint64_t retired;
};

static bool job_retired(void *arg)
{
	struct retire_wait *w = arg;

	return sched_retired(w->sched) != w->retired;
}

/* Wait (bounded) for one job of the device to retire; Return: false if none is in flight or none did. */
static bool sched_wait_retire(struct panthor_sched *sched)
{
	struct retire_wait w = { sched, sched_retired(sched) };

	if (__atomic_load_n(&sched->stats.jobs_submitted, __ATOMIC_ACQUIRE) <= w.retired)
		return false;
	return panthor_waitqueue_wait(&sched->wq, job_retired, &w,
				      panthor_now_ns() + SCHED_RETIRE_WAIT_NS);
}

int panthor_group_submit(struct panthor_file *pfile, uint32_t handle,
			 const struct panthor_queue_submit_args *jobs, uint32_t count)
{
	struct sched_submit ctx = { .pfile = pfile,
				     .signals = { .pfile = pfile, .what = "GROUP_SUBMIT" } };
	struct panthor_sched *sched = pfile->ptdev->sched;
	struct panthor_vm_submit sub;
	struct panthor_vm *vm;
	int ret = 0;

	if (!count)
		return 0;
	ctx.jobs = u_calloc(count, sizeof(*ctx.jobs));
	if (!ctx.jobs)
		return -ENOMEM;

	/* 1. Check and allocate every job, gather the signals. */
	for (uint32_t i = 0; i < count; i++) {
		struct panthor_job *job = job_create(pfile, handle, &jobs[i]);

		if (IS_ERR(job)) {
			ret = (int)PTR_ERR(job);
			goto out;
		}
		ctx.jobs[ctx.nr_jobs++] = job;
		ret = panthor_sync_signals_add_all(&ctx.signals, job->syncs, job->nr_syncs);
		if (ret)
			goto out;
	}

	/* 2. Restore evicted BOs, lock the VM resv and the external BOs'. */
	vm = ctx.jobs[0]->group->vm;
	ret = panthor_vm_submit_lock(vm, &sub, count);
	/*
	 * Not enough memory to restore the VM: other jobs may hold theirs
	 * resident, or the shrinker's trylocks met another client's bind in
	 * progress. Wait for a job to retire (or 1 ms when none is in flight)
	 * and try again, a bounded number of times, as direct reclaim retries
	 * and waits for GPU work in the kernel before giving up.
	 */
	for (int tries = 0; ret == -ENOMEM && tries < SCHED_ENOMEM_RETRIES; tries++) {
		if (!sched_wait_retire(sched))
			usleep(1000);
		ret = panthor_vm_submit_lock(vm, &sub, count);
	}
	if (ret) {
		u_warn(MOD, "GROUP_SUBMIT: cannot restore and lock the VM's BOs: %d (%llu jobs in flight)",
		       ret, (unsigned long long)(__atomic_load_n(&sched->stats.jobs_submitted,
							       __ATOMIC_ACQUIRE) - sched_retired(sched)));
		goto out;
	}

	/* 3. Dependencies, then arm each job and point its signals at its fence. */
	for (uint32_t i = 0; i < ctx.nr_jobs && !ret; i++) {
		ret = job_add_deps(&ctx, ctx.jobs[i]);
		if (ret)
			break;
		job_arm(ctx.jobs[i]);
		job_update_signals(&ctx, ctx.jobs[i]);
	}
	if (ret) {
		panthor_vm_submit_unlock(&sub);
		goto out;
	}

	/* 4. Nothing can fail now: publish the fences, queue the jobs in order. */
	for (uint32_t i = 0; i < ctx.nr_jobs; i++) {
		panthor_vm_submit_add_fence(&sub, ctx.jobs[i]->fence);
		/* What step 2 restored stays mapped until the job is done. */
		panthor_vm_jobs_hold(vm);
		ctx.jobs[i]->vm_held = true;
		stat_inc(&sched->stats.jobs_submitted);
		if (job_push(ctx.jobs[i]))
			ctx.jobs[i] = NULL;	/* the queue thread owns it now */
	}
	panthor_vm_submit_unlock(&sub);

	panthor_sync_signals_publish(&ctx.signals);
	/* Jobs whose group was destroyed since they were checked: cancelled, as queued ones are. */
	for (uint32_t i = 0; i < ctx.nr_jobs; i++) {
		if (!ctx.jobs[i])
			continue;
		dma_fence_set_error(ctx.jobs[i]->fence, -ECANCELED);
		dma_fence_signal(ctx.jobs[i]->fence);
		stat_inc(&sched->stats.jobs_failed);
	}

out:
	submit_fini(&ctx);
	return ret;
}

/* ---- init, fini, reset ----------------------------------------------------------- */

int panthor_sched_init(struct panthor_device *ptdev)
{
	struct panthor_sched *sched;
	uint32_t present;
	int ret;

	present = gpu_read(ptdev, HW_QUEUE_PRESENT);
	if (!present || (present & (present + 1))) {
		u_err(MOD, "QUEUE_PRESENT 0x%x: no usable hardware queue slots", present);
		return -ENODEV;
	}
	sched = u_zalloc(sizeof(*sched));
	if (!sched)
		return -ENOMEM;
	sched->ptdev = ptdev;
	sched->nr_slots = (uint32_t)__builtin_popcount(present);
	sched->job_timeout_ms = PANTHOR_JOB_TIMEOUT_MS;
	u_mutex_init(&sched->slots_lock, &panthor_sched_slots_class);
	panthor_waitqueue_init(&sched->wq);
	ptdev->sched = sched;
	ret = panthor_irq_request(ptdev, &sched->irq, HW_IRQ_JOB, HW_JOB_INT_RAWSTAT,
				  job_irq_mask(sched->nr_slots), panthor_job_irq_handler, "job");
	if (ret) {
		ptdev->sched = NULL;
		panthor_waitqueue_fini(&sched->wq);
		u_mutex_fini(&sched->slots_lock);
		u_free(sched);
	}
	return ret;
}

void panthor_sched_fini(struct panthor_device *ptdev)
{
	struct panthor_sched *sched = ptdev->sched;

	if (!sched)
		return;
	panthor_irq_release(&sched->irq);
	panthor_waitqueue_fini(&sched->wq);
	u_mutex_fini(&sched->slots_lock);
	u_free(sched);
	ptdev->sched = NULL;
}

void panthor_sched_post_reset_locked(struct panthor_device *ptdev)
{
	struct panthor_sched *sched = ptdev->sched;

	if (!sched)
		return;
	/* The reset cleared JOB_INT_MASK and abandoned every stream silently. */
	panthor_irq_set_mask(&sched->irq, job_irq_mask(sched->nr_slots));
	for (uint32_t n = 0; n < sched->nr_slots; n++)
		if (__atomic_load_n(&sched->slots[n].busy, __ATOMIC_RELAXED))
			__atomic_or_fetch(&sched->slots[n].events, EV_RESET, __ATOMIC_RELEASE);
	panthor_waitqueue_wake_all(&sched->wq);
}

void panthor_sched_set_job_timeout_ms(struct panthor_device *ptdev, uint32_t ms)
{
	__atomic_store_n(&ptdev->sched->job_timeout_ms, ms ? ms : PANTHOR_JOB_TIMEOUT_MS,
			 __ATOMIC_RELAXED);
}

void panthor_sched_get_stats(struct panthor_device *ptdev, struct panthor_sched_stats *st)
{
	struct panthor_sched_stats *s = &ptdev->sched->stats;

	st->jobs_submitted = __atomic_load_n(&s->jobs_submitted, __ATOMIC_RELAXED);
	st->jobs_done = __atomic_load_n(&s->jobs_done, __ATOMIC_RELAXED);
	st->jobs_failed = __atomic_load_n(&s->jobs_failed, __ATOMIC_RELAXED);
	st->timeouts = __atomic_load_n(&s->timeouts, __ATOMIC_RELAXED);
}
