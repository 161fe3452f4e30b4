/* SPDX-License-Identifier: MIT */
/*
 * Internals of the GPU model shared by its .c files (hw_device.c, hw_mmu.c,
 * hw_walk.c, hw_access.c, hw_checker.c, hw_queue.c, hw_cs.c). Nothing
 * outside src/hw includes it.
 *
 * Locks. The model's locks are hardware, not driver: they are plain pthread
 * mutexes outside the driver's lock order and the lockdep (a driver lock
 * held across an MMIO access must not be ordered against them). Order:
 *   hw_device.lock  ->  hw_checker.lock
 *   hw_device.agents_lock is a leaf taken alone or under hw_device.lock.
 * The global device registry lock (hw_access.c) is taken before either.
 */
#ifndef PANTOMIME_HW_INTERNAL_H
#define PANTOMIME_HW_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/hw.h"
#include "hw/hw_regs.h"
#include "mm/mm.h"
#include "util/u_compiler.h"
#include "util/u_list.h"

/** HW_MAX_AGENTS - GPU units (host threads using the access port) a device serves at once. */
#define HW_MAX_AGENTS		64
/** HW_INVAL_RING - TLB invalidation records kept per AS before agents fall back to a full flush. */
#define HW_INVAL_RING		16
/** HW_DIRTY_MAX - disjoint dirty VA ranges tracked per AS (more are coalesced). */
#define HW_DIRTY_MAX		64
/** HW_CHANGE_RING - recent page-table changes remembered per AS for reports. */
#define HW_CHANGE_RING		32
/** HW_REPORT_RING - checker reports kept (the most recent ones). */
#define HW_REPORT_RING		256
/** HW_MAX_EVENTS - timed events (cache flushes, resets) outstanding at once. */
#define HW_MAX_EVENTS		64
/** HW_IRQ_NOTE_REPEATS - consecutive handler calls without progress before HW_NOTE_IRQ_NOT_CLEARED. */
#define HW_IRQ_NOTE_REPEATS	1000
/** HW_IRQ_BACKOFF_REPEATS - consecutive calls without progress after which the line thread sleeps between calls. */
#define HW_IRQ_BACKOFF_REPEATS	100

/**
 * enum hw_as_flag - flag bits of an AS state word (struct hw_as.state, bits [7:0]).
 * @HW_ASF_ENABLED: AArch64 4K translation is latched (ADRMODE_AARCH64_4K).
 * @HW_ASF_STOPPED: a fault stopped translation until the next UPDATE.
 * @HW_ASF_LOCKED: a region is locked.
 * @HW_ASF_DIRTY: the checker holds dirty VA ranges for this AS.
 * @HW_ASF_KNOB_FAULT: the next access faults (hw_knob_fault_next_access()).
 * @HW_ASF_IDENTITY: ADRMODE_IDENTITY is latched (PA = VA).
 *
 * Anything but exactly HW_ASF_ENABLED sends an access to the slow path.
 */
enum hw_as_flag {
	HW_ASF_ENABLED = 1 << 0,
	HW_ASF_STOPPED = 1 << 1,
	HW_ASF_LOCKED = 1 << 2,
	HW_ASF_DIRTY = 1 << 3,
	HW_ASF_KNOB_FAULT = 1 << 4,
	HW_ASF_IDENTITY = 1 << 5,
};

/** HW_FAST_FENCE - hw_device.fast_flags: issue a full fence after marking an access in flight. */
#define HW_FAST_FENCE 1
/** HW_FAST_CHECK - hw_device.fast_flags: check the data frame of every access. */
#define HW_FAST_CHECK 2

/** HW_AS_STATE_GEN_SHIFT - the AS state word holds the invalidation generation above its 8 flag bits. */
#define HW_AS_STATE_GEN_SHIFT	8

/**
 * enum hw_perm - what a cached translation allows.
 * @HW_PERM_R: readable (AP[1] set: unprivileged access allowed).
 * @HW_PERM_W: writable (AP[2] clear).
 * @HW_PERM_X: executable (UXN clear).
 */
enum hw_perm {
	HW_PERM_R = 1 << 0,
	HW_PERM_W = 1 << 1,
	HW_PERM_X = 1 << 2,
};

/**
 * struct hw_tlb_entry - one cached translation of one GPU unit for one AS.
 * @tag: VA of the translated block; HW_TLB_EMPTY_TAG when empty.
 * @mask: ~(block size - 1) with the block's enum hw_perm in bits [2:0]
 *        (an 8-byte aligned VA has those bits clear, so (va & @mask) ==
 *        @tag still tests the block); 0 when empty, which matches no VA
 *        against the empty tag. Unreadable leaves are never cached.
 * @delta: PA - VA of the block (PA of an address = VA + @delta).
 * @fbase: address of the struct mm_frame of the address's frame, minus
 *         (va >> 12) * sizeof(struct mm_frame), modulo 2^64: the fast path
 *         finds the frame metadata from the TLB index it computed anyway.
 */
struct hw_tlb_entry {
	uint64_t tag;
	uint64_t mask;
	uint64_t delta;
	uint64_t fbase;
};

/** HW_TLB_PERM_MASK - bits of hw_tlb_entry.mask holding the entry's enum hw_perm. */
#define HW_TLB_PERM_MASK 7ull

/** HW_TLB_EMPTY_TAG - tag of an empty TLB entry (with mask 0 it matches no VA). */
#define HW_TLB_EMPTY_TAG 1ull

/**
 * struct hw_walk_ctx - the latched configuration a walk uses (an agent's snapshot of its AS).
 * @root: PA of the root table.
 * @transcfg: latched TRANSCFG.
 * @memattr: latched MEMATTR.
 * @epoch: the checker's tracking epoch of the latched tree (0 = untracked).
 * @start_level: level of the root table.
 */
struct hw_walk_ctx {
	phys_addr_t root;
	uint64_t transcfg;
	uint64_t memattr;
	uint64_t epoch;
	unsigned int start_level;
};

/**
 * struct hw_walk - the result of a table walk.
 * @exc: 0 when the VA translates; else the exception type of the fault.
 * @level: level of the leaf, or of the descriptor that faulted.
 * @va: VA of the block (aligned down to its size).
 * @pa: PA of the block.
 * @mask: ~(block size - 1).
 * @desc: the leaf descriptor (or the faulting one).
 * @desc_pa: where that descriptor lives.
 * @perm: enum hw_perm of the leaf.
 */
struct hw_walk {
	uint32_t exc;
	uint32_t level;
	uint64_t va;
	uint64_t pa;
	uint64_t mask;
	uint64_t desc;
	phys_addr_t desc_pa;
	uint32_t perm;
};

/**
 * struct hw_agent_as - what one GPU unit keeps per address space. Touched
 * only by the owning thread, except the counters, which others read with
 * relaxed loads (hw_as_stats()). Exactly 128 bytes, hot fields first, so
 * the fast path finds it with one shift.
 * @fast_state: the AS state word value meaning "fast path": (seen_gen << 8) | HW_ASF_ENABLED.
 * @tlb: direct-mapped TLB, indexed by the page number XOR the folded
 *       1 GiB region number (hw_access.c, tlb_slot()).
 * @tlb_mask: entries - 1 (0 with the one-entry dummy when the TLB is off).
 * @tlb_shift: log2(entries), at most 15 (0 when the TLB is off): the fold step.
 * @hits: translations served by the TLB on the fast path.
 * @seen_gen: last invalidation generation of the AS applied to @tlb.
 * @slow: accesses (pages) that took the slow path.
 * @slow_hits: TLB hits on the slow path.
 * @misses: TLB misses.
 * @walks: table walks.
 * @stalls: waits for a locked region.
 * @stall_ns: total wait time.
 * @max_stall_ns: longest wait.
 * @faults: MMU faults this unit raised.
 * @pad: to 128 bytes.
 */
struct hw_agent_as {
	uint64_t fast_state;
	struct hw_tlb_entry *tlb;
	uint64_t tlb_mask;
	uint64_t tlb_shift;
	uint64_t hits;
	uint64_t seen_gen;
	uint64_t slow;
	uint64_t slow_hits;
	uint64_t misses;
	uint64_t walks;
	uint64_t stalls;
	uint64_t stall_ns;
	uint64_t max_stall_ns;
	uint64_t faults;
	uint64_t pad[2];
};

/**
 * struct hw_agent - a GPU unit: a host thread using the access port.
 * @seq: odd while an access is in flight; written only by the owner
 *       (release store when it goes odd, after @cur_*, and when it goes
 *       even), read by the command side to drain in-flight accesses.
 * @cur_as: the AS of the access in flight (or of the last one).
 * @cur_va: its first VA.
 * @cur_last: its last VA: a LOCK waits only for accesses in flight on its
 *            AS that may touch its region, an UPDATE for those on its AS.
 * @index: slot number, also the FAULTSTATUS source id of its faults.
 * @in_use: the slot belongs to a thread (protected by hw_device.agents_lock).
 * @dummy: the always-empty entry @as[].tlb points to when the TLB is off.
 * @as: per-AS state.
 * @ctx: per AS, the snapshot of the AS's latched configuration taken with
 *       hw_agent_as.seen_gen (walks use it; the fast path does not).
 */
struct hw_agent {
	uint64_t seq;
	uint32_t cur_as;
	uint64_t cur_va;
	uint64_t cur_last;
	unsigned int index;
	bool in_use;
	struct hw_tlb_entry dummy;
	struct hw_agent_as as[HW_MAX_AS];
	struct hw_walk_ctx ctx[HW_MAX_AS];
} __attribute__((aligned(64)));

/**
 * struct hw_inval - one TLB invalidation an AS asks its units to apply.
 * @gen: generation it belongs to.
 * @start: first VA.
 * @last: last VA (inclusive); 0..UINT64_MAX is a full flush.
 */
struct hw_inval {
	uint64_t gen;
	uint64_t start;
	uint64_t last;
};

/**
 * struct hw_range - an inclusive VA range.
 * @start: first VA.
 * @last: last VA.
 */
struct hw_range {
	uint64_t start;
	uint64_t last;
};

/**
 * struct hw_change - a page-table change the checker saw for an AS.
 * @time_ns: when it was synced.
 * @start: first VA whose translation changed.
 * @last: last VA (inclusive).
 * @desc_pa: PA of the descriptor that changed.
 * @old_desc: its value before.
 * @new_desc: its value after.
 * @level: its table level.
 * @locked: it was inside the AS's locked region.
 */
struct hw_change {
	uint64_t time_ns;
	uint64_t start;
	uint64_t last;
	phys_addr_t desc_pa;
	uint64_t old_desc;
	uint64_t new_desc;
	uint8_t level;
	bool locked;
};

/**
 * struct hw_as - one address space. Its state word is read by every access
 * without a lock; everything else is protected by hw_device.lock.
 * @state: points to hw_device.as_state[n]: (invalidation generation << 8) |
 *         enum hw_as_flag; stored under the lock (set once at creation).
 * @present: the AS exists (bit of AS_PRESENT; set once at creation).
 * @reg_transtab: TRANSTAB as written.
 * @reg_memattr: MEMATTR as written.
 * @reg_lockaddr: LOCKADDR as written.
 * @reg_transcfg: TRANSCFG as written.
 * @faultstatus: FAULTSTATUS.
 * @faultaddress: FAULTADDRESS.
 * @faultextra: FAULTEXTRA (always 0).
 * @transtab: TRANSTAB latched by the last UPDATE.
 * @memattr: MEMATTR latched by the last UPDATE.
 * @transcfg: TRANSCFG latched by the last UPDATE.
 * @ctx: the walk configuration derived from the latched registers.
 * @lock_start: first VA of the locked region (valid with HW_ASF_LOCKED).
 * @lock_last: last VA of the locked region.
 * @lock_seq: sequence count around writes of @lock_start/@lock_last (odd
 *            while they change), so that an access outside the locked
 *            region can read the region without the device lock
 *            (hw__lock_region_read()). The three are written under the lock.
 * @cmd_pending: a command was written and the driver has not yet read STATUS with AS_ACTIVE clear.
 * @cmd_done_at: model time at which the pending command's own duration is over.
 * @active_until: @cmd_done_at while a command is pending, else 0: a poll of
 *                AS_STATUS before it reads AS_ACTIVE without the device
 *                lock (relaxed atomic, written under the lock).
 * @drain_mask: agents whose in-flight access the pending command waits for.
 * @drain_seq: their @seq when the command was written.
 * @knob_stuck: AS_ACTIVE reads 1 forever.
 * @knob_fault_exc: exception type of the injected fault (with HW_ASF_KNOB_FAULT).
 * @gen: invalidation generation (also in @state).
 * @inval: the last HW_INVAL_RING invalidations, indexed by gen % HW_INVAL_RING.
 * @cond: accesses stalled on the locked region wait here (with hw_device.lock).
 * @dirty: VA ranges whose translation changed outside the locked region.
 * @nr_dirty: entries in @dirty.
 * @last_cmd: the last command, formatted for reports (also under hw_checker.lock).
 * @changes: ring of recent page-table changes (also under hw_checker.lock).
 * @change_head: next slot of @changes.
 * @nr_changes: valid entries of @changes.
 * @retired: counters of agents that left (protected by hw_device.agents_lock).
 */
struct hw_as {
	uint64_t *state;
	bool present;
	uint64_t reg_transtab;
	uint64_t reg_memattr;
	uint64_t reg_lockaddr;
	uint64_t reg_transcfg;
	uint32_t faultstatus;
	uint64_t faultaddress;
	uint64_t faultextra;
	uint64_t transtab;
	uint64_t memattr;
	uint64_t transcfg;
	struct hw_walk_ctx ctx;
	uint64_t lock_start;
	uint64_t lock_last;
	uint32_t lock_seq;
	bool cmd_pending;
	uint64_t cmd_done_at;
	uint64_t active_until;
	uint64_t drain_mask;
	uint64_t drain_seq[HW_MAX_AGENTS];
	bool knob_stuck;
	uint32_t knob_fault_exc;
	uint64_t gen;
	struct hw_inval inval[HW_INVAL_RING];
	pthread_cond_t cond;
	struct hw_range dirty[HW_DIRTY_MAX];
	unsigned int nr_dirty;
	char last_cmd[96];
	struct hw_change changes[HW_CHANGE_RING];
	unsigned int change_head;
	unsigned int nr_changes;
	struct hw_as_stats retired;
};

/**
 * struct hw_irq_state - one interrupt line: its register block and delivery thread.
 * @rawstat: RAWSTAT (protected by hw_device.lock, as every field here;
 *           written with relaxed atomic stores, as hw_mmio_read32() may read
 *           GPU_INT_RAWSTAT without the lock).
 * @mask: MASK.
 * @fn: the registered handler, or NULL.
 * @cookie: its argument.
 * @in_call: the line thread is inside @fn.
 * @repeats: consecutive calls after which the line stayed asserted with no change.
 * @noted: HW_NOTE_IRQ_NOT_CLEARED was reported for the current streak.
 * @cond: the line thread waits here for the line to assert (and unregister for @in_call to drop).
 * @sleeping: the line thread is waiting on @cond for something to do.
 * @sleep_until: when that wait times out (a timed event is due), UINT64_MAX
 *               for none. hw__irq_changed_locked() wakes the thread only if
 *               it has a handler to call or an earlier event to apply.
 * @thread: the delivery thread.
 * @started: @thread was created.
 * @dev: the device (set once).
 * @line: which line this is (set once).
 */
struct hw_irq_state {
	uint32_t rawstat;
	uint32_t mask;
	hw_irq_handler_fn fn;
	void *cookie;
	bool in_call;
	unsigned long repeats;
	bool noted;
	pthread_cond_t cond;
	bool sleeping;
	uint64_t sleep_until;
	pthread_t thread;
	bool started;
	struct hw_device *dev;
	enum hw_irq_line line;
};

/**
 * enum hw_event_kind - timed events of the device.
 * @HW_EV_FLUSH_DONE: a GPU_CMD cache flush completes.
 * @HW_EV_RESET_DONE: a GPU reset completes.
 */
enum hw_event_kind {
	HW_EV_FLUSH_DONE,
	HW_EV_RESET_DONE,
};

/**
 * struct hw_event - an event due at a model time.
 * @at: model time (ns).
 * @kind: enum hw_event_kind.
 */
struct hw_event {
	uint64_t at;
	int kind;
};

/**
 * struct hw_ptinfo - what the checker knows about one physical frame used as a page table.
 * @epoch_level: (tracking epoch << 8) | table level; epoch 0 = not tracked.
 * @va_base: VA translated by the frame's entry 0.
 */
struct hw_ptinfo {
	uint64_t epoch_level;
	uint64_t va_base;
};

/**
 * struct hw_checker - the protocol checker's state.
 * @lock: protects @ring, @head, @nr and the per-AS @last_cmd/@changes copies; a leaf lock.
 * @mode: enum hw_check_mode (relaxed atomic).
 * @counts: reports per kind (relaxed atomics).
 * @ring: the last HW_REPORT_RING reports.
 * @head: next slot of @ring.
 * @nr: valid reports in @ring.
 * @shadow: per-pfn copy of each tracked table frame as last synced (MAP_NORESERVE; NULL on a coherent device).
 * @ptinfo: per-pfn tracking information (MAP_NORESERVE; NULL on a coherent device).
 * @map_frames: frames covered by @shadow and @ptinfo.
 * @next_epoch: last tracking epoch handed out (under hw_device.lock).
 */
struct hw_checker {
	pthread_mutex_t lock;
	int mode;
	unsigned long counts[HW_REPORT_KINDS];
	struct hw_report ring[HW_REPORT_RING];
	unsigned int head;
	unsigned int nr;
	uint64_t *shadow;
	struct hw_ptinfo *ptinfo;
	uint64_t map_frames;
	uint64_t next_epoch;
};

/**
 * enum hw_queue_stop - why an executor must leave its stream (hw_queue.stop_req).
 * @HW_QSTOP_NONE: keep running.
 * @HW_QSTOP_STOP: the driver wrote STOP: end with STOPPED and an interrupt.
 * @HW_QSTOP_ABORT: a GPU reset or device destroy: end quietly (IDLE, no interrupt).
 */
enum hw_queue_stop {
	HW_QSTOP_NONE,
	HW_QSTOP_STOP,
	HW_QSTOP_ABORT,
};

/**
 * struct hw_cs_frame - a return address on a stream's call stack.
 * @ret: VA to continue at (the instruction after the CALL).
 * @start: first VA of the caller's buffer (BRANCH bounds).
 * @end: end VA of the caller's buffer.
 */
struct hw_cs_frame {
	uint64_t ret;
	uint64_t start;
	uint64_t end;
};

/**
 * struct hw_cs_result - how a run of a stream ended (hw__cs_run()).
 * @status: HW_QUEUE_STATUS_* (never RUNNING; IDLE for an abort).
 * @fault_info: FAULT_INFO.
 * @fault_address: FAULT_ADDRESS.
 * @pc: PC.
 */
struct hw_cs_result {
	uint32_t status;
	uint32_t fault_info;
	uint64_t fault_address;
	uint64_t pc;
};

/**
 * struct hw_queue - one hardware queue slot of the model-only queue
 * interface (hw_queue.c) and the state of its executor (hw_cs.c).
 *
 * Registers and state, protected by hw_device.lock:
 * @reg_base: STREAM_BASE as written.
 * @reg_size: STREAM_SIZE as written.
 * @reg_as: AS as written.
 * @reg_config: CONFIG as written.
 * @status: the state field of STATUS (HW_QUEUE_STATUS_*).
 * @waiting: the executor is blocked in a SYNC_WAIT (STATUS WAITING flag).
 * @fault_info: FAULT_INFO.
 * @fault_address: FAULT_ADDRESS.
 * @pc: PC.
 * @busy: a run was started by DOORBELL and its result is not published yet.
 * @run_req: the executor thread has a run to start.
 * @poke: a doorbell while RUNNING asked a blocked SYNC_WAIT to look again.
 * @stop_req: enum hw_queue_stop; written under the lock, read by the
 *            executor with relaxed loads between instructions.
 * @cond: the executor parks here between runs and sleeps here in SYNC_WAIT.
 * @thread: the executor thread (created at the first DOORBELL).
 * @started: @thread exists.
 *
 * Latched by DOORBELL, then owned by the executor until it publishes its result:
 * @base: first VA of the stream.
 * @end: VA just past the stream.
 * @as: the address space.
 * @timeout_ns: SYNC_WAIT timeout of the run.
 * @regs: the register file (kept between runs, zeroed by a GPU reset).
 * @stack: return frames of CALL.
 * @depth: frames in @stack.
 *
 * Counters, written by the executor with relaxed stores (hw_queue_stats()):
 * @st: the counters (@st.doorbells_ignored is written under hw_device.lock).
 *
 * Set once at creation:
 * @index: slot number.
 * @track: the slot's trace track, "gpu-cs<index>" (its executor's stream
 *         runs, stalls and MMU faults; docs/cli.md "--trace FILE").
 * @dev: the device.
 */
struct hw_queue {
	uint64_t reg_base;
	uint32_t reg_size;
	uint32_t reg_as;
	uint32_t reg_config;
	uint32_t status;
	bool waiting;
	uint32_t fault_info;
	uint64_t fault_address;
	uint64_t pc;
	bool busy;
	bool run_req;
	bool poke;
	int stop_req;
	pthread_cond_t cond;
	pthread_t thread;
	bool started;

	uint64_t base;
	uint64_t end;
	unsigned int as;
	uint64_t timeout_ns;
	uint32_t regs[HW_CS_REGS];
	struct hw_cs_frame stack[HW_CS_CALL_DEPTH];
	unsigned int depth;

	struct hw_queue_stats st;

	unsigned int index;
	char track[16];
	struct hw_device *dev;
};

/**
 * struct hw_device - one model GPU.
 * @uid: process-unique id (thread-local agent caches compare it).
 * @need_fence: membarrier is unavailable: both sides of the drain use full fences.
 * @fast_flags: what the access fast path must do, one byte: HW_FAST_FENCE
 *              (copy of @need_fence), HW_FAST_CHECK (the checker is on:
 *              check the data frame, rule (d)). Relaxed atomic.
 * @direct_map: mm__direct_map, cached for the access fast path.
 * @frames: mm__frames, cached for the access fast path.
 * @as_state: the AS state words, packed together for the access fast path (see hw_as.state).
 * @agents: HW_MAX_AGENTS GPU-unit slots.
 * @nr_agents: slots in use (relaxed atomic; commands skip the drain when 0).
 * @as: the address spaces (HW_MAX_AS; the present ones per AS_PRESENT).
 * @cfg: the configuration (set once at creation, like every field up to @lock).
 * @va_bits: VA bits from MMU_FEATURES.
 * @pa_bits: PA bits from MMU_FEATURES.
 * @start_level: level of the root table for @va_bits.
 * @tlb_store: backing of every agent's TLBs.
 * @lock: the register file: every AS field but @hw_as.state reads, the IRQ lines, the GPU block, the events, the checker's tracking.
 * @l2_config: GPU_L2_CONFIG.
 * @pwr_key: GPU_PWR_KEY.
 * @pwr_override: GPU_PWR_OVERRIDE0/1.
 * @coherency_enable: GPU_COHERENCY_ENABLE.
 * @mcu_control: MCU_CONTROL.
 * @mcu_status: MCU_STATUS.
 * @timestamp_offset: GPU_TIMESTAMP_OFFSET.
 * @ready: SHADER/TILER/L2_READY (index 0, 1, 2).
 * @gpu_faultstatus: GPU_FAULTSTATUS.
 * @gpu_faultaddress: GPU_FAULTADDRESS.
 * @latest_flush_id: LATEST_FLUSH_ID; changed only by hw__flush_id_bump_locked().
 * @flush_page: the user MMIO page (first word = LATEST_FLUSH_ID), mapped
 *              read-write here; NULL until hw_flush_id_page_fd() creates it.
 * @flush_page_fd: its memfd, -1 until then.
 * @knob_flush_never: cache flushes never complete.
 * @events: pending timed events, unordered.
 * @nr_events: entries in @events.
 * @next_event_at: the earliest @events time, UINT64_MAX if none (relaxed
 *                 atomic, written under the lock): until then a poll of
 *                 GPU_INT_RAWSTAT reads it without the lock.
 * @irq: the interrupt lines.
 * @queues: the queue slots (cfg.queue_slots of them).
 * @sync_seq: bumped by every SYNC_ADD/SET and FLUSH_CACHE2 of any slot, so a
 *            SYNC_WAIT never sleeps through a signal it raced with.
 * @queue_idle: a reset waits here for the executors to leave their streams.
 * @queue_resetting: a reset is waiting for executors: doorbells are ignored.
 * @stopping: destroy is in progress: threads leave.
 * @agents_lock: slot ownership and retired counters.
 * @agents_raw: the allocation @agents was carved from (aligned inside it).
 * @registry_link: in the process-wide list of live devices (under the registry lock).
 * @ck: the protocol checker.
 */
struct hw_device {
	uint64_t uid;
	bool need_fence;
	uint8_t fast_flags;
	uint8_t *direct_map;
	struct mm_frame *frames;
	uint64_t as_state[HW_MAX_AS];
	struct hw_agent *agents;
	unsigned int nr_agents;
	struct hw_as as[HW_MAX_AS];

	struct hw_config cfg;
	unsigned int va_bits;
	unsigned int pa_bits;
	unsigned int start_level;
	struct hw_tlb_entry *tlb_store;

	pthread_mutex_t lock;
	uint32_t l2_config;
	uint32_t pwr_key;
	uint32_t pwr_override[2];
	uint32_t coherency_enable;
	uint32_t mcu_control;
	uint32_t mcu_status;
	uint64_t timestamp_offset;
	uint64_t ready[3];
	uint32_t gpu_faultstatus;
	uint64_t gpu_faultaddress;
	uint32_t latest_flush_id;
	uint32_t *flush_page;
	int flush_page_fd;
	bool knob_flush_never;
	struct hw_event events[HW_MAX_EVENTS];
	unsigned int nr_events;
	uint64_t next_event_at;
	struct hw_irq_state irq[HW_IRQ_COUNT];
	struct hw_queue queues[HW_MAX_QUEUE_SLOTS];
	uint64_t sync_seq;
	pthread_cond_t queue_idle;
	bool queue_resetting;
	bool stopping;

	pthread_mutex_t agents_lock;
	void *agents_raw;
	struct u_list registry_link;
	struct hw_checker ck;
};

/**
 * hw__full_fence() - a full (seq_cst) memory barrier. GCC refuses fences
 * under ThreadSanitizer, which does not model them; there a seq_cst
 * read-modify-write of a thread-private word stands in (a full barrier on
 * the hardware, and nothing TSan needs to reason about).
 */
static inline void hw__full_fence(void)
{
#ifdef __SANITIZE_THREAD__
	static __thread uint64_t word;

	__atomic_fetch_add(&word, 1, __ATOMIC_SEQ_CST);
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/* ---- hw_device.c ---- */

/** hw__now_ns() - Return: model time, CLOCK_MONOTONIC in ns. */
uint64_t hw__now_ns(void);
/** hw__irq_raise_locked() - set @bits in @line's RAWSTAT and wake its thread; dev->lock held. */
void hw__irq_raise_locked(struct hw_device *dev, enum hw_irq_line line, uint32_t bits);
/** hw__irq_changed_locked() - RAWSTAT or MASK of @line changed: wake its thread; dev->lock held. */
void hw__irq_changed_locked(struct hw_device *dev, enum hw_irq_line line);
/** hw__gpu_bus_fault() - latch a GPU bus fault for an access of @type to @pa and raise GPU_IRQ_FAULT (takes dev->lock). */
void hw__gpu_bus_fault(struct hw_device *dev, phys_addr_t pa, enum hw_access_type type);

/* ---- hw_mmu.c ---- */

/** hw__mmu_init() - set up the AS array at creation. Return: 0 or -errno. */
int hw__mmu_init(struct hw_device *dev);
/** hw__mmu_fini() - release what hw__mmu_init() set up. */
void hw__mmu_fini(struct hw_device *dev);
/** hw__mmu_reset_locked() - a GPU reset: every AS back to its power-on state; dev->lock held. */
void hw__mmu_reset_locked(struct hw_device *dev);
/** hw__mmu_read() - read AS register @reg (offset inside the AS window) of @as; dev->lock held. Return: the value; *@known false for an unknown register. */
uint32_t hw__mmu_read(struct hw_device *dev, unsigned int as, uint32_t reg, bool *known);
/** hw__mmu_write() - write AS register @reg of @as; dev->lock held. Return: false for an unknown or read-only register. */
bool hw__mmu_write(struct hw_device *dev, unsigned int as, uint32_t reg, uint32_t val);
/**
 * hw__as_fault_locked() - an access faulted: latch FAULTSTATUS/FAULTADDRESS
 * unless a fault is already pending (the AS is stopped), stop the AS, raise
 * its MMU_INT bit; dev->lock held.
 * Return: true if this fault was latched.
 */
bool hw__as_fault_locked(struct hw_device *dev, unsigned int as, uint64_t va, uint32_t exc,
			 enum hw_access_type type, unsigned int source);
/** hw__as_set_flags_locked() - clear the flag bits @clear, then set @set, in @as's state word; dev->lock held. */
void hw__as_set_flags_locked(struct hw_device *dev, unsigned int as, uint32_t set, uint32_t clear);
/** hw__as_invalidate_locked() - bump @as's generation with a TLB invalidation of [@start, @last]; dev->lock held. */
void hw__as_invalidate_locked(struct hw_device *dev, unsigned int as, uint64_t start, uint64_t last);
/**
 * hw__lock_region_set_locked() - set the locked region of @a (device lock
 * held), bracketed by @a's lock_seq for lock-free readers.
 * @a: the address space.
 * @start: first VA.
 * @last: last VA.
 */
static inline void hw__lock_region_set_locked(struct hw_as *a, uint64_t start, uint64_t last)
{
	/* Release stores keep the odd count first (no fence: TSan has none). */
	__atomic_store_n(&a->lock_seq, a->lock_seq + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&a->lock_start, start, __ATOMIC_RELEASE);
	__atomic_store_n(&a->lock_last, last, __ATOMIC_RELEASE);
	__atomic_store_n(&a->lock_seq, a->lock_seq + 1, __ATOMIC_RELEASE);
}

/**
 * hw__lock_region_read() - read the locked region of @a without the device
 * lock.
 * @a: the address space.
 * @start: first VA.
 * @last: last VA.
 * Return: false if a writer was changing it meanwhile (the caller takes the
 * lock instead).
 */
static inline bool hw__lock_region_read(const struct hw_as *a, uint64_t *start, uint64_t *last)
{
	uint32_t seq = __atomic_load_n(&a->lock_seq, __ATOMIC_ACQUIRE);

	/* Acquire loads keep the second look at the count last. */
	*start = __atomic_load_n(&a->lock_start, __ATOMIC_ACQUIRE);
	*last = __atomic_load_n(&a->lock_last, __ATOMIC_ACQUIRE);
	return !(seq & 1) && __atomic_load_n(&a->lock_seq, __ATOMIC_RELAXED) == seq;
}

/** hw__lockaddr_decode() - the region a LOCK of @lockaddr covers: *@start and *@last (inclusive). */
void hw__lockaddr_decode(uint64_t lockaddr, uint64_t *start, uint64_t *last);
/** hw__as_cmd_name() - Return: "UPDATE", "LOCK", ... for AS command @cmd. */
const char *hw__as_cmd_name(uint32_t cmd);

/* ---- hw_walk.c ---- */

/**
 * hw__walk() - translate @va through the tables of @ctx.
 * @check: run the checker's walk rules (table frames, unsynced descriptors).
 * @as: the AS, for reports.
 * Fills @w: @w->exc is 0, or the translation/access-flag/address-size/bus fault.
 * Permissions are not checked here (hw__perm_exc()).
 */
void hw__walk(struct hw_device *dev, const struct hw_walk_ctx *ctx, uint64_t va, bool check,
	      unsigned int as, struct hw_walk *w);
/** hw__perm_exc() - Return: 0 if @perm allows @type, else the permission-fault code for @level. */
uint32_t hw__perm_exc(uint32_t perm, enum hw_access_type type, unsigned int level);
/** hw__tlb_invalidate() - drop the entries of @tlb (@mask + 1 entries) overlapping [@start, @last]. */
void hw__tlb_invalidate(struct hw_tlb_entry *tlb, uint64_t mask, uint64_t start, uint64_t last);
/** hw__desc_level_shift() - Return: log2 of the VA size one descriptor of @level maps. */
static inline unsigned int hw__desc_level_shift(unsigned int level)
{
	return 12 + 9 * (3 - level);
}

/**
 * enum hw_desc_kind - what a descriptor is at its level.
 * @HW_DESC_INVALID: faults (bit 0 clear, or a reserved type for the level).
 * @HW_DESC_TABLE: points to a next-level table.
 * @HW_DESC_LEAF: a block or a page.
 */
enum hw_desc_kind {
	HW_DESC_INVALID,
	HW_DESC_TABLE,
	HW_DESC_LEAF,
};

/** hw__desc_kind() - Return: the enum hw_desc_kind of descriptor @d at @level. */
static inline enum hw_desc_kind hw__desc_kind(uint64_t d, unsigned int level)
{
	if (!(d & HW_PTE_VALID))
		return HW_DESC_INVALID;
	if ((d & HW_PTE_TYPE_MASK) == HW_PTE_TYPE_TABLE)
		return level < 3 ? HW_DESC_TABLE : HW_DESC_LEAF;
	/* Type 01: a block at levels 1 and 2, reserved at 0 and 3. */
	return (level == 1 || level == 2) ? HW_DESC_LEAF : HW_DESC_INVALID;
}

/* ---- hw_access.c ---- */

/** hw__agents_init() - allocate the agent slots and their TLBs. Return: 0, -ENOMEM. */
int hw__agents_init(struct hw_device *dev);
/** hw__agents_fini() - release every agent slot (device destroy). */
void hw__agents_fini(struct hw_device *dev);
/** hw__registry_add() - make @dev findable by thread-exit destructors. */
void hw__registry_add(struct hw_device *dev);
/** hw__registry_del() - forget @dev (before its agents are freed). */
void hw__registry_del(struct hw_device *dev);
/**
 * hw__drain_snapshot_locked() - after publishing a state change of @as
 * that new accesses will see, record the agents with an access in flight
 * on @as that may touch [@start, @last] (the command's AS_ACTIVE waits for
 * them); dev->lock held.
 * @dev: the device.
 * @as: the address space.
 * @start: first VA the command is about (0 for all).
 * @last: last VA (UINT64_MAX for all).
 */
void hw__drain_snapshot_locked(struct hw_device *dev, unsigned int as, uint64_t start,
			       uint64_t last);
/** hw__drained_locked() - Return: true once every agent recorded for @as's pending command has moved on; dev->lock held. */
bool hw__drained_locked(struct hw_device *dev, unsigned int as);

/**
 * hw__self_stalls() - Return: the stalls the calling thread's GPU unit has
 * counted on @as (0 if the thread is no unit of @dev).
 */
uint64_t hw__self_stalls(struct hw_device *dev, unsigned int as);

/* ---- hw_queue.c ---- */

/**
 * hw__unit_track - thread-local: the trace track of the calling thread when
 * it is a queue slot's executor (hw_queue.track), else NULL. A stall of its
 * access on a locked region is drawn there too (hw_access.c).
 */
extern __thread const char *hw__unit_track;

/** hw__queues_init() - set up the queue slots at creation. Return: 0 or -errno. */
int hw__queues_init(struct hw_device *dev);
/** hw__queues_stop() - abort every stream and join the executor threads (destroy; dev->lock not held). */
void hw__queues_stop(struct hw_device *dev);
/** hw__queues_fini() - release what hw__queues_init() set up (threads already joined). */
void hw__queues_fini(struct hw_device *dev);
/**
 * hw__queues_reset_locked() - a GPU reset: abort every running stream, wait
 * for the executors to leave it (dropping dev->lock while waiting), then
 * return every slot to its power-on state; dev->lock held.
 */
void hw__queues_reset_locked(struct hw_device *dev);
/** hw__queue_read() - read queue register @reg of slot @n; dev->lock held. Return: the value; *@known false for an unknown register. */
uint32_t hw__queue_read(struct hw_device *dev, unsigned int n, uint32_t reg, bool *known);
/** hw__queue_write() - write queue register @reg of slot @n; dev->lock held. Return: false for an unknown or read-only register. */
bool hw__queue_write(struct hw_device *dev, unsigned int n, uint32_t reg, uint32_t val);
/** hw__queue_signal_locked() - a SYNC_ADD/SET landed: wake every slot blocked in SYNC_WAIT; dev->lock held. */
void hw__queue_signal_locked(struct hw_device *dev);
/**
 * hw__queue_wait_locked() - a SYNC_WAIT of @q found its condition false
 * after reading hw_device.sync_seq == @seq: sleep until a signal, a poke, a
 * stop request, the poll interval, or @deadline; dev->lock held.
 * Return: the stop request seen (enum hw_queue_stop).
 */
int hw__queue_wait_locked(struct hw_device *dev, struct hw_queue *q, uint64_t seq,
			  uint64_t deadline);

/* ---- hw_cs.c ---- */

/**
 * hw__cs_run() - run @q's stream from hw_queue.base to hw_queue.end in
 * hw_queue.as, on the calling thread (a GPU unit); dev->lock not held.
 * Fills @res with how it ended.
 */
void hw__cs_run(struct hw_device *dev, struct hw_queue *q, struct hw_cs_result *res);
/** hw__cs_op_name() - Return: the genxml name of CS opcode @op ("RUN_COMPUTE"), or "unknown". */
const char *hw__cs_op_name(unsigned int op);

/* ---- hw_checker.c ---- */

/** hw__checker_init() - set up the checker (shadow maps on a non-coherent device). Return: 0, -ENOMEM. */
int hw__checker_init(struct hw_device *dev);
/** hw__checker_fini() - release the checker. */
void hw__checker_fini(struct hw_device *dev);
/** hw__checker_on() - Return: the checker is not HW_CHECK_OFF. */
static inline bool hw__checker_on(const struct hw_device *dev)
{
	return __atomic_load_n(&dev->ck.mode, __ATOMIC_RELAXED) != HW_CHECK_OFF;
}
/**
 * hw__report() - record a report of @kind (takes hw_checker.lock; never allocates).
 * @as: the AS or -1; @va, @pa, @expected, @actual as in struct hw_report.
 * @fmt: printf format of the detail sentence.
 * With HW_CHECK_ABORT and a violation, prints it and aborts.
 */
void hw__report(struct hw_device *dev, enum hw_report_kind kind, int as, uint64_t va,
		phys_addr_t pa, uint64_t expected, uint64_t actual, const char *fmt, ...)
	U_PRINTF(8, 9);
/** hw__checker_set_last_cmd() - remember the text of @as's last command for reports; dev->lock held. */
void hw__checker_set_last_cmd(struct hw_device *dev, unsigned int as, const char *text);
/** hw__checker_update_locked() - UPDATE latched a new tree on @as: track it, drop dirty ranges; dev->lock held. */
void hw__checker_update_locked(struct hw_device *dev, unsigned int as);
/** hw__checker_unlock_locked() - the locked region [@start, @last] of @as was released: clear dirty ranges it covers; dev->lock held. */
void hw__checker_unlock_locked(struct hw_device *dev, unsigned int as, uint64_t start, uint64_t last);
/** hw__checker_dirty_locked() - Return: true if [@start, @last] of @as overlaps a dirty range; dev->lock held. */
bool hw__checker_dirty_locked(struct hw_device *dev, unsigned int as, uint64_t start, uint64_t last);
/**
 * hw__checker_ptinfo_epoch() - Return: the tracking epoch of the table frame at @pa (0 if untracked).
 * Lock-free (relaxed load): the walker calls it.
 */
uint64_t hw__checker_ptinfo_epoch(const struct hw_device *dev, phys_addr_t pa);
/** hw__checker_shadow() - Return: the synced copy of the descriptor at @pa (relaxed load; tracked frames only). */
uint64_t hw__checker_shadow(const struct hw_device *dev, phys_addr_t pa);
/** hw__checker_last_change() - write the last change of @as touching @va into @buf (empty if none); hw_checker.lock held. */
void hw__checker_last_change(struct hw_device *dev, int as, uint64_t va, char *buf, size_t len);

/**
 * hw__flush_id_bump_locked() - a cache flush completed: LATEST_FLUSH_ID moves
 * on, and the user MMIO page follows it. dev->lock held.
 * @dev: the device.
 */
static inline void hw__flush_id_bump_locked(struct hw_device *dev)
{
	dev->latest_flush_id++;
	if (dev->flush_page)
		__atomic_store_n(dev->flush_page, dev->latest_flush_id, __ATOMIC_RELEASE);
}

#endif
