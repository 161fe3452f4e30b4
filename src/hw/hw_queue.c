// SPDX-License-Identifier: MIT
/*
 * DOC: the queue interface: hardware queue slots, doorbells, executors
 *
 * A real CSF GPU is driven through its firmware: the kernel writes command
 * stream descriptions into shared memory and rings doorbells, the MCU
 * schedules the streams on hardware command-stream interfaces. The model
 * has no firmware, so it offers a small register interface of its own
 * (hw_regs.h HW_QUEUE_*, docs/model-deviations.md "Queue interface"): per
 * hardware queue slot a stream base and size, an address space, a CONFIG
 * word, a DOORBELL, a STOP command, STATUS / FAULT_INFO / FAULT_ADDRESS /
 * PC, and four JOB_INT bits (done, fault, timeout, stopped).
 *
 * Slot state machine (STATUS), all transitions under hw_device.lock:
 *
 *          DOORBELL (config valid)               stream end
 *   IDLE ---------------------------> RUNNING -----------------> DONE
 *   DONE, FAULT, ...                    |  fault / bad insn ---> FAULT
 *     ^                                 |  shader-core insn ---> UNSUPPORTED
 *     |  DOORBELL (config bad) -> FAULT |  SYNC_WAIT too long -> TIMEOUT
 *     +---------------------------------+  STOP --------------> STOPPED
 *                                          GPU reset ----------> IDLE
 *
 * Every transition out of RUNNING raises the matching JOB_INT bit, except
 * the reset (which clears JOB_INT anyway). A DOORBELL while RUNNING is
 * ignored (counted in hw_queue_stats.doorbells_ignored), except that a
 * stream blocked in SYNC_WAIT re-reads its sync word at once, as if the
 * doorbell told it "memory changed". The rejected alternative, queueing
 * the doorbell to restart the stream once it ends, would make a slot leave
 * DONE before the driver saw it.
 *
 * Executors. Each slot gets its own thread at its first DOORBELL (created
 * lazily: a device that never runs a stream has none); between runs the
 * thread parks on the slot's condition, and it is joined at device
 * destroy. While it runs a stream the thread is an ordinary GPU unit of
 * the access port (hw_access.c): its fetches, loads, stores and atomics
 * have their own TLB, stall in locked regions, are drained by LOCK, fault
 * through the MMU and are judged by the checker. The interpreter itself is
 * hw_cs.c; this file only starts runs and publishes their results.
 *
 * Tracing. The slot is the unit that executes a stream, so each slot has
 * a trace track, "gpu-cs<n>" (hw_queue.track): hw_cs.c draws a "stream"
 * span per run and a "fault" instant per MMU fault of its accesses there,
 * and hw_access.c draws the executor's stalls on locked regions there (it
 * finds the track through the thread-local hw__unit_track, set once when
 * the executor thread starts). Each trace point is one predictable branch
 * while no tracer is attached; none is per access.
 *
 * Stopping. STOP and aborts (reset, destroy) are requests the executor
 * reads between instructions (hw_queue.stop_req, a relaxed load per
 * instruction). A stream blocked in SYNC_WAIT is woken for them; one whose
 * access is stalled on a locked region stops after that access, once
 * UNLOCK (or the reset, which releases every lock) lets it through. A GPU
 * reset waits for every executor to leave its stream before the slots
 * return to their power-on state, so no stale result lands after it.
 */
#include "hw_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/u_log.h"
#include "util/u_thread.h"

#define MOD "hw"

/* A blocked SYNC_WAIT re-reads its word at least this often, so memory
 * written by the CPU or by plain GPU stores (which signal nobody) is seen. */
#define HW_QUEUE_POLL_NS 1000000ull

static const char *const status_names[] = {
	"IDLE", "RUNNING", "DONE", "FAULT", "TIMEOUT", "STOPPED", "UNSUPPORTED",
};

static bool queue_present(const struct hw_device *dev, unsigned int n)
{
	return n < dev->cfg.queue_slots;
}

static void abs_time(struct timespec *ts, uint64_t ns)
{
	ts->tv_sec = (time_t)(ns / 1000000000ull);
	ts->tv_nsec = (long)(ns % 1000000000ull);
}

static void set_stop(struct hw_queue *q, int stop)
{
	__atomic_store_n(&q->stop_req, stop, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&q->cond);
}

static void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------
 * Results
 * ------------------------------------------------------------------- */

static uint32_t status_irq_bit(unsigned int n, uint32_t status)
{
	switch (status) {
	case HW_QUEUE_STATUS_DONE: return HW_JOB_INT_DONE(n);
	case HW_QUEUE_STATUS_FAULT:
	case HW_QUEUE_STATUS_UNSUPPORTED: return HW_JOB_INT_FAULT(n);
	case HW_QUEUE_STATUS_TIMEOUT: return HW_JOB_INT_TIMEOUT(n);
	case HW_QUEUE_STATUS_STOPPED: return HW_JOB_INT_STOPPED(n);
	default: return 0;
	}
}

/* End a run (or refuse a doorbell) with @res: STATUS and the interrupt; dev->lock held. */
static void queue_publish_locked(struct hw_device *dev, struct hw_queue *q,
				 const struct hw_cs_result *res)
{
	q->status = res->status;
	q->fault_info = res->fault_info;
	q->fault_address = res->fault_address;
	q->pc = res->pc;
	q->waiting = false;
	q->poke = false;
	q->busy = false;
	__atomic_store_n(&q->stop_req, HW_QSTOP_NONE, __ATOMIC_RELAXED);
	if (res->status != HW_QUEUE_STATUS_DONE)
		u_dbg(MOD, "queue %u: %s, FAULT_INFO 0x%x, FAULT_ADDRESS 0x%llx, PC 0x%llx",
		      q->index, status_names[res->status], res->fault_info,
		      (unsigned long long)res->fault_address, (unsigned long long)res->pc);
	if (status_irq_bit(q->index, res->status))
		hw__irq_raise_locked(dev, HW_IRQ_JOB, status_irq_bit(q->index, res->status));
	pthread_cond_broadcast(&dev->queue_idle);
}

/* ---------------------------------------------------------------------
 * Executor threads
 * ------------------------------------------------------------------- */

__thread const char *hw__unit_track;

static void *queue_thread(void *arg)
{
	struct hw_queue *q = arg;
	struct hw_device *dev = q->dev;
	struct hw_cs_result res;

	/* Only this thread (a Linux thread id); failure just leaves it at the caller's. */
	if (dev->cfg.queue_nice)
		(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), dev->cfg.queue_nice);
	hw__unit_track = q->track;
	pthread_mutex_lock(&dev->lock);
	for (;;) {
		while (!q->run_req && !dev->stopping)
			pthread_cond_wait(&q->cond, &dev->lock);
		if (dev->stopping)
			break;
		q->run_req = false;
		pthread_mutex_unlock(&dev->lock);
		hw__cs_run(dev, q, &res);
		pthread_mutex_lock(&dev->lock);
		queue_publish_locked(dev, q, &res);
	}
	pthread_mutex_unlock(&dev->lock);
	return NULL;
}

/* ---------------------------------------------------------------------
 * Register behaviour
 * ------------------------------------------------------------------- */

static void refuse_locked(struct hw_device *dev, struct hw_queue *q, uint32_t exc, const char *why)
{
	struct hw_cs_result res = {
		.status = HW_QUEUE_STATUS_FAULT,
		.fault_info = exc,
		.fault_address = q->reg_base,
		.pc = q->reg_base,
	};

	u_dbg(MOD, "queue %u: doorbell refused: %s", q->index, why);
	queue_publish_locked(dev, q, &res);
}

static void queue_doorbell(struct hw_device *dev, struct hw_queue *q)
{
	uint32_t ms = q->reg_config & 0xffffu;
	int ret;

	if (q->busy || dev->queue_resetting) {
		/* Ignored, but a blocked SYNC_WAIT takes it as "look again". */
		stat_add(&q->st.doorbells_ignored, 1);
		q->poke = true;
		pthread_cond_broadcast(&q->cond);
		return;
	}
	if (q->reg_as >= HW_MAX_AS || !dev->as[q->reg_as].present) {
		refuse_locked(dev, q, HW_CS_EXC_CONFIG_FAULT, "no such address space");
		return;
	}
	if ((q->reg_base & 7) || (q->reg_size & 7) || q->reg_base + q->reg_size < q->reg_base) {
		refuse_locked(dev, q, HW_CS_EXC_CONFIG_FAULT, "stream base or size not 8-byte aligned");
		return;
	}
	q->base = q->reg_base;
	q->end = q->reg_base + q->reg_size;
	q->as = q->reg_as;
	q->timeout_ns = ms ? ms * 1000000ull : dev->cfg.job_timeout_ns;
	q->status = HW_QUEUE_STATUS_RUNNING;
	q->fault_info = 0;
	q->fault_address = 0;
	q->pc = q->base;
	q->busy = true;
	q->run_req = true;
	q->poke = false;
	__atomic_store_n(&q->stop_req, HW_QSTOP_NONE, __ATOMIC_RELAXED);
	stat_add(&q->st.runs, 1);
	if (!q->started) {
		ret = u_thread_create(&q->thread, queue_thread, q, "pm-queue");
		if (ret) {
			u_err(MOD, "queue %u: cannot start its executor thread: %d", q->index, ret);
			q->run_req = false;
			refuse_locked(dev, q, HW_CS_EXC_UNRECOVERABLE, "no executor thread");
			return;
		}
		q->started = true;
	}
	pthread_cond_broadcast(&q->cond);
}

static void queue_stop(struct hw_device *dev, struct hw_queue *q)
{
	/* STOP of a slot that runs nothing has nothing to stop. */
	if (q->busy && __atomic_load_n(&q->stop_req, __ATOMIC_RELAXED) == HW_QSTOP_NONE)
		set_stop(q, HW_QSTOP_STOP);
}

static uint32_t lo32(uint64_t v)
{
	return (uint32_t)v;
}

static uint32_t hi32(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

uint32_t hw__queue_read(struct hw_device *dev, unsigned int n, uint32_t reg, bool *known)
{
	struct hw_queue *q = &dev->queues[n];

	switch (reg) {
	case HW_QUEUE_STREAM_BASE_LO: return lo32(q->reg_base);
	case HW_QUEUE_STREAM_BASE_HI: return hi32(q->reg_base);
	case HW_QUEUE_STREAM_SIZE: return q->reg_size;
	case HW_QUEUE_AS: return q->reg_as;
	case HW_QUEUE_CONFIG: return q->reg_config;
	case HW_QUEUE_STATUS: return q->status | (q->waiting ? HW_QUEUE_STATUS_WAITING : 0);
	case HW_QUEUE_FAULT_INFO: return q->fault_info;
	case HW_QUEUE_FAULT_ADDRESS_LO: return lo32(q->fault_address);
	case HW_QUEUE_FAULT_ADDRESS_HI: return hi32(q->fault_address);
	case HW_QUEUE_PC_LO: return lo32(q->pc);
	case HW_QUEUE_PC_HI: return hi32(q->pc);
	default:
		*known = false;		/* DOORBELL and STOP are write-only */
		return 0;
	}
}

bool hw__queue_write(struct hw_device *dev, unsigned int n, uint32_t reg, uint32_t val)
{
	struct hw_queue *q = &dev->queues[n];

	switch (reg) {
	case HW_QUEUE_STREAM_BASE_LO:
		q->reg_base = (q->reg_base & ~0xffffffffull) | val;
		return true;
	case HW_QUEUE_STREAM_BASE_HI:
		q->reg_base = (q->reg_base & 0xffffffffull) | ((uint64_t)val << 32);
		return true;
	case HW_QUEUE_STREAM_SIZE:
		q->reg_size = val;
		return true;
	case HW_QUEUE_AS:
		q->reg_as = val;
		return true;
	case HW_QUEUE_CONFIG:
		q->reg_config = val;
		return true;
	case HW_QUEUE_DOORBELL:
		if (val & 1)
			queue_doorbell(dev, q);
		return true;
	case HW_QUEUE_STOP:
		if (val & 1)
			queue_stop(dev, q);
		return true;
	default:
		return false;
	}
}

/* ---------------------------------------------------------------------
 * SYNC_WAIT support
 * ------------------------------------------------------------------- */

void hw__queue_signal_locked(struct hw_device *dev)
{
	__atomic_store_n(&dev->sync_seq, dev->sync_seq + 1, __ATOMIC_RELEASE);
	for (unsigned int n = 0; n < dev->cfg.queue_slots; n++)
		if (dev->queues[n].waiting)
			pthread_cond_broadcast(&dev->queues[n].cond);
}

int hw__queue_wait_locked(struct hw_device *dev, struct hw_queue *q, uint64_t seq,
			  uint64_t deadline)
{
	int stop = __atomic_load_n(&q->stop_req, __ATOMIC_RELAXED);
	struct timespec ts;

	if (stop)
		return stop;
	/* A signal or a doorbell since the word was read: read it again. */
	if (dev->sync_seq != seq || q->poke) {
		q->poke = false;
		return HW_QSTOP_NONE;
	}
	q->waiting = true;
	abs_time(&ts, u_min(deadline, hw__now_ns() + HW_QUEUE_POLL_NS));
	pthread_cond_timedwait(&q->cond, &dev->lock, &ts);
	q->poke = false;
	return __atomic_load_n(&q->stop_req, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------
 * Reset, create, destroy, statistics
 * ------------------------------------------------------------------- */

void hw__queues_reset_locked(struct hw_device *dev)
{
	bool busy;

	/* The MMU reset before this released every lock and disabled every AS,
	 * so an executor stalled on a region or polling memory gets out. */
	dev->queue_resetting = true;
	for (unsigned int n = 0; n < dev->cfg.queue_slots; n++)
		if (dev->queues[n].busy)
			set_stop(&dev->queues[n], HW_QSTOP_ABORT);
	do {
		busy = false;
		for (unsigned int n = 0; n < dev->cfg.queue_slots; n++)
			busy |= dev->queues[n].busy;
		if (busy)
			pthread_cond_wait(&dev->queue_idle, &dev->lock);
	} while (busy);
	dev->queue_resetting = false;
	for (unsigned int n = 0; n < dev->cfg.queue_slots; n++) {
		struct hw_queue *q = &dev->queues[n];

		q->reg_base = 0;
		q->reg_size = 0;
		q->reg_as = 0;
		q->reg_config = 0;
		q->status = HW_QUEUE_STATUS_IDLE;
		q->fault_info = 0;
		q->fault_address = 0;
		q->pc = 0;
		memset(q->regs, 0, sizeof(q->regs));
		q->depth = 0;
	}
}

int hw__queues_init(struct hw_device *dev)
{
	int ret;

	ret = u_cond_init_monotonic(&dev->queue_idle);
	if (ret)
		return ret;
	for (unsigned int n = 0; n < HW_MAX_QUEUE_SLOTS; n++) {
		struct hw_queue *q = &dev->queues[n];

		q->index = n;
		snprintf(q->track, sizeof(q->track), "gpu-cs%u", n);
		q->dev = dev;
		ret = u_cond_init_monotonic(&q->cond);
		if (ret) {
			while (n--)
				pthread_cond_destroy(&dev->queues[n].cond);
			pthread_cond_destroy(&dev->queue_idle);
			return ret;
		}
	}
	return 0;
}

void hw__queues_stop(struct hw_device *dev)
{
	pthread_mutex_lock(&dev->lock);
	dev->stopping = true;
	for (unsigned int n = 0; n < dev->cfg.queue_slots; n++)
		set_stop(&dev->queues[n], HW_QSTOP_ABORT);
	pthread_mutex_unlock(&dev->lock);
	for (unsigned int n = 0; n < dev->cfg.queue_slots; n++) {
		struct hw_queue *q = &dev->queues[n];

		if (q->started)
			pthread_join(q->thread, NULL);
		q->started = false;
	}
}

void hw__queues_fini(struct hw_device *dev)
{
	for (unsigned int n = 0; n < HW_MAX_QUEUE_SLOTS; n++)
		pthread_cond_destroy(&dev->queues[n].cond);
	pthread_cond_destroy(&dev->queue_idle);
}

int hw_queue_stats(struct hw_device *dev, unsigned int slot, struct hw_queue_stats *st)
{
	const struct hw_queue_stats *s;

	if (!queue_present(dev, slot))
		return -ENODEV;
	s = &dev->queues[slot].st;
	st->runs = __atomic_load_n(&s->runs, __ATOMIC_RELAXED);
	st->doorbells_ignored = __atomic_load_n(&s->doorbells_ignored, __ATOMIC_RELAXED);
	st->instructions = __atomic_load_n(&s->instructions, __ATOMIC_RELAXED);
	st->accesses = __atomic_load_n(&s->accesses, __ATOMIC_RELAXED);
	st->stalls = __atomic_load_n(&s->stalls, __ATOMIC_RELAXED);
	st->sync_waits = __atomic_load_n(&s->sync_waits, __ATOMIC_RELAXED);
	st->sync_wait_ns = __atomic_load_n(&s->sync_wait_ns, __ATOMIC_RELAXED);
	return 0;
}
