/* SPDX-License-Identifier: MIT */
/*
 * The Mali GPU model: what the driver programs.
 *
 * A device has a register file at the Mali offsets (hw_regs.h), reached only
 * through 32-bit MMIO reads and writes; interrupt lines delivered on their
 * own threads to handlers the driver registers; an MMU with one address
 * space (AS) per bit of AS_PRESENT, whose page tables are plain memory in
 * src/mm frames; an access port through which any host thread acts as a GPU
 * unit issuing reads, writes and atomics by (AS, GPU VA); failure knobs; and
 * the protocol checker, which reports driver mistakes real hardware would
 * only show once in a million runs.
 *
 * Boundary: this module includes no header of src/panthor, src/gpuvm or
 * src/pgtable. It sees physical memory and frame metadata (src/mm) only.
 */
#ifndef PANTOMIME_HW_H
#define PANTOMIME_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mm/mm.h"

/** HW_MAX_AS - most address spaces a device can have (bits of AS_PRESENT the model honours). */
#define HW_MAX_AS 16

/**
 * struct hw_config - identity and behaviour of a model device.
 *
 * Identity registers (read back unchanged by the driver). Defaults
 * (hw_config_default()) describe a G610-like part: the values panfrost's
 * drm-shim dumped from a real G610 (reference/clients.md §2.7), 8 address
 * spaces, 48-bit VA, 40-bit PA, not IO-coherent.
 * @gpu_id: GPU_ID.
 * @l2_features: L2_FEATURES.
 * @core_features: CORE_FEATURES.
 * @tiler_features: TILER_FEATURES.
 * @mem_features: MEM_FEATURES.
 * @mmu_features: MMU_FEATURES: VA bits in [7:0], PA bits in [15:8].
 * @as_present: AS_PRESENT (at most HW_MAX_AS low bits are used).
 * @csf_id: CSF_ID.
 * @thread_max_threads: THREAD_MAX_THREADS.
 * @thread_max_workgroup_size: THREAD_MAX_WORKGROUP_SIZE.
 * @thread_max_barrier_size: THREAD_MAX_BARRIER_SIZE.
 * @thread_features: THREAD_FEATURES.
 * @texture_features: TEXTURE_FEATURES_0..3.
 * @coherency_features: COHERENCY_FEATURES.
 * @gpu_features: GPU_FEATURES (64-bit).
 * @shader_present: SHADER_PRESENT (64-bit).
 * @tiler_present: TILER_PRESENT (64-bit).
 * @l2_present: L2_PRESENT (64-bit).
 *
 * Behaviour:
 * @coherent: the page-table walker snoops CPU caches (no clean needed).
 * @tlb_entries: TLB entries per address space per GPU unit (power of two;
 *               0 disables the TLB: every access walks).
 * @as_cmd_ns: model time an AS command keeps AS_ACTIVE set.
 * @flush_ns: model time of a GPU_CMD cache flush before CLEAN_CACHES_COMPLETED.
 * @queue_slots: hardware queue slots of the model-only queue interface
 *               (0..8, default 8; hw_regs.h HW_QUEUE_*).
 * @job_timeout_ns: longest a SYNC_WAIT may block before the slot stops with
 *                  TIMEOUT, unless the slot's CONFIG register says otherwise
 *                  (default 5 s).
 * @queue_nice: nice value of the queue slots' executor threads (0..19;
 *              default HW_QUEUE_NICE_DEFAULT): the model's GPU runs on the
 *              host's spare CPU rather than taking it from the driver and
 *              its clients, as real GPU hardware takes none.
 */
struct hw_config {
	uint32_t gpu_id;
	uint32_t l2_features;
	uint32_t core_features;
	uint32_t tiler_features;
	uint32_t mem_features;
	uint32_t mmu_features;
	uint32_t as_present;
	uint32_t csf_id;
	uint32_t thread_max_threads;
	uint32_t thread_max_workgroup_size;
	uint32_t thread_max_barrier_size;
	uint32_t thread_features;
	uint32_t texture_features[4];
	uint32_t coherency_features;
	uint64_t gpu_features;
	uint64_t shader_present;
	uint64_t tiler_present;
	uint64_t l2_present;

	bool coherent;
	uint32_t tlb_entries;
	uint64_t as_cmd_ns;
	uint64_t flush_ns;
	uint32_t queue_slots;
	uint64_t job_timeout_ns;
	int queue_nice;
};

/** HW_QUEUE_NICE_DEFAULT - default hw_config.queue_nice. */
#define HW_QUEUE_NICE_DEFAULT 10

/** hw_config_default() - fill @cfg with the default G610-like device. */
void hw_config_default(struct hw_config *cfg);

struct hw_device;

/**
 * hw_device_create() - power on a model device.
 * Return: the device, or ERR_PTR(-EINVAL) for a bad configuration (logged),
 * ERR_PTR(-ENOMEM).
 */
struct hw_device *hw_device_create(const struct hw_config *cfg);
/**
 * hw_device_destroy() - stop the queue executors (a running stream is
 * abandoned where it is, without an interrupt) and the IRQ threads, and
 * free the device.
 */
void hw_device_destroy(struct hw_device *dev);

/** HW_FLUSH_ID_PAGE_SIZE - size of the user MMIO (flush-ID) page. */
#define HW_FLUSH_ID_PAGE_SIZE 4096u

/**
 * hw_flush_id_page_fd() - the GPU's user MMIO page as a file: one 4 KiB page
 * whose first 32-bit word always holds LATEST_FLUSH_ID (the model writes it
 * whenever the register changes), for a driver to map read-only into user
 * space as panthor maps CSF_GPU_LATEST_FLUSH_ID. Created at the first call.
 * @dev: the device.
 * Return: the fd (owned by the device, valid until hw_device_destroy()), or
 * a negative errno.
 */
int hw_flush_id_page_fd(struct hw_device *dev);

/**
 * hw_mmio_read32() - read the 32-bit register at byte offset @off.
 * Unknown offsets read as 0 and are logged (debug level) and noted by the checker.
 */
uint32_t hw_mmio_read32(struct hw_device *dev, uint32_t off);
/** hw_mmio_write32() - write @val to the register at @off (unknown offsets: ignored, logged). */
void hw_mmio_write32(struct hw_device *dev, uint32_t off, uint32_t val);

/**
 * enum hw_irq_line - the device's interrupt lines.
 * @HW_IRQ_GPU: GPU_INT (cache flush completed, reset completed, faults).
 * @HW_IRQ_MMU: MMU_INT (page faults per AS).
 * @HW_IRQ_JOB: JOB_INT: the queue interface's completion, fault, timeout and stop events.
 * @HW_IRQ_COUNT: number of lines.
 */
enum hw_irq_line {
	HW_IRQ_GPU,
	HW_IRQ_MMU,
	HW_IRQ_JOB,
	HW_IRQ_COUNT,
};

/**
 * typedef hw_irq_handler_fn - an interrupt handler.
 * @cookie: from hw_irq_register().
 *
 * Called on the line's own thread whenever RAWSTAT & MASK of the line is
 * non-zero (level-triggered), again and again while it stays so: a handler
 * must clear or mask what it handled through MMIO.
 */
typedef void (*hw_irq_handler_fn)(void *cookie);

/**
 * hw_irq_register() - attach @fn to @line.
 * Return: 0, -EBUSY if a handler is already attached, -EINVAL for a bad line.
 */
int hw_irq_register(struct hw_device *dev, enum hw_irq_line line, hw_irq_handler_fn fn, void *cookie);
/** hw_irq_unregister() - detach; returns once no call to the handler is in progress. */
void hw_irq_unregister(struct hw_device *dev, enum hw_irq_line line);

/**
 * enum hw_access_type - what a GPU access does (FAULTSTATUS ACCESS_TYPE values).
 * @HW_ACCESS_ATOMIC: read-modify-write.
 * @HW_ACCESS_EXECUTE: instruction fetch.
 * @HW_ACCESS_READ: data read.
 * @HW_ACCESS_WRITE: data write.
 */
enum hw_access_type {
	HW_ACCESS_ATOMIC = 0,
	HW_ACCESS_EXECUTE = 1,
	HW_ACCESS_READ = 2,
	HW_ACCESS_WRITE = 3,
};

/**
 * enum hw_atomic_op - atomic operations of the access port.
 * @HW_ATOMIC_ADD: *va += operand.
 * @HW_ATOMIC_AND: *va &= operand.
 * @HW_ATOMIC_OR: *va |= operand.
 * @HW_ATOMIC_XCHG: *va = operand.
 * @HW_ATOMIC_CMPXCHG: if (*va == compare) *va = operand.
 */
enum hw_atomic_op {
	HW_ATOMIC_ADD,
	HW_ATOMIC_AND,
	HW_ATOMIC_OR,
	HW_ATOMIC_XCHG,
	HW_ATOMIC_CMPXCHG,
};

/**
 * struct hw_fault - what an access that faulted reports to its issuer.
 * @as: the address space.
 * @va: the faulting GPU VA.
 * @exception_type: FAULTSTATUS exception code (0xC0.. translation, 0xC8..
 *                  permission, 0xD8.. access flag, 0xE0.. address size).
 * @access_type: enum hw_access_type.
 */
struct hw_fault {
	uint32_t as;
	uint64_t va;
	uint32_t exception_type;
	uint32_t access_type;
};

/**
 * hw_access() - one GPU access through the MMU of address space @as.
 * @dev: the device.
 * @as: address space number (must be present).
 * @va: GPU virtual address.
 * @type: HW_ACCESS_READ, _WRITE or _EXECUTE (atomics use hw_atomic()).
 * @buf: data to write, or where read data lands.
 * @len: bytes; 1, 2, 4 or 8 aligned accesses are single-copy atomic; any
 *       other length is a block access, translated page by page.
 * @fault: filled when the result is -EFAULT (may be NULL).
 *
 * The calling thread acts as a GPU unit for the duration: it has its own TLB
 * per address space, an access inside the AS's locked region sleeps until
 * UNLOCK, and the checker judges the access.
 *
 * Return: 0; -EFAULT if the MMU faulted (FAULTSTATUS/FAULTADDRESS latched if
 * no fault was pending, MMU IRQ raised, the AS stops translating until the
 * driver re-programs it with UPDATE); -EIO if the AS is stopped after an
 * earlier fault or its translation is disabled (ADRMODE UNMAPPED), or the
 * PA lies outside DRAM (a GPU bus fault: GPU_FAULTSTATUS latched,
 * GPU_IRQ_FAULT raised); -ENODEV if @as is not present; -EINVAL for a zero
 * length or a @va + @len overflow; -EBUSY if more than 64 threads act as
 * GPU units on the device at once. A block access stops at the first page
 * that fails, with the pages before it done.
 */
int hw_access(struct hw_device *dev, unsigned int as, uint64_t va, enum hw_access_type type,
	      void *buf, size_t len, struct hw_fault *fault);

/** hw_read() - hw_access() of type HW_ACCESS_READ. */
int hw_read(struct hw_device *dev, unsigned int as, uint64_t va, void *buf, size_t len,
	    struct hw_fault *fault);
/** hw_write() - hw_access() of type HW_ACCESS_WRITE. */
int hw_write(struct hw_device *dev, unsigned int as, uint64_t va, const void *buf, size_t len,
	     struct hw_fault *fault);
/** hw_read64() - an aligned 8-byte read (the hot path). Return: as hw_access(). */
int hw_read64(struct hw_device *dev, unsigned int as, uint64_t va, uint64_t *val,
	      struct hw_fault *fault);
/** hw_write64() - an aligned 8-byte write. Return: as hw_access(). */
int hw_write64(struct hw_device *dev, unsigned int as, uint64_t va, uint64_t val,
	       struct hw_fault *fault);

/**
 * hw_atomic() - an atomic read-modify-write of @size (4 or 8) bytes at aligned @va.
 * @old: the value before the operation (may be NULL).
 * Return: as hw_access(); -EINVAL for a bad size or misaligned @va.
 */
int hw_atomic(struct hw_device *dev, unsigned int as, uint64_t va, enum hw_atomic_op op,
	      unsigned int size, uint64_t operand, uint64_t compare, uint64_t *old,
	      struct hw_fault *fault);

/**
 * hw_dma_sync_for_device() - the driver cleaned @len bytes at physical
 * address @pa to the point of coherency (dma_sync_single_for_device).
 *
 * On a non-coherent device this is how page-table writes become visible to
 * the walker, and where the checker sees every page-table change. The
 * page-table library calls it through the driver's sync callback once per
 * batch of descriptor stores.
 */
void hw_dma_sync_for_device(struct hw_device *dev, phys_addr_t pa, size_t len);

/**
 * struct hw_as_stats - counters of one address space (all GPU units together).
 * @accesses: accesses issued (a block access counts once per page it touches).
 * @tlb_hits: translations served by a TLB.
 * @tlb_misses: translations that walked the tables.
 * @walks: table walks (equals @tlb_misses unless the TLB is disabled).
 * @stalls: accesses that waited for a locked region.
 * @stall_ns: total time spent waiting.
 * @max_stall_ns: the longest single wait.
 * @faults: MMU faults raised.
 */
struct hw_as_stats {
	uint64_t accesses;
	uint64_t tlb_hits;
	uint64_t tlb_misses;
	uint64_t walks;
	uint64_t stalls;
	uint64_t stall_ns;
	uint64_t max_stall_ns;
	uint64_t faults;
};

/** hw_as_stats() - snapshot the counters of @as into @st. Return: 0, -ENODEV. */
int hw_as_stats(struct hw_device *dev, unsigned int as, struct hw_as_stats *st);

/**
 * struct hw_queue_stats - counters of one queue slot, over all its runs.
 * @runs: doorbells that started the stream.
 * @doorbells_ignored: doorbells rung while the slot was RUNNING.
 * @instructions: instructions executed (fetched and decoded).
 * @accesses: memory accesses issued: fetches, loads, stores, atomics, SYNC_WAIT polls.
 * @stalls: accesses that waited for a locked region (added when a run ends).
 * @sync_waits: SYNC_WAITs that had to block.
 * @sync_wait_ns: total time spent blocked in SYNC_WAIT.
 */
struct hw_queue_stats {
	uint64_t runs;
	uint64_t doorbells_ignored;
	uint64_t instructions;
	uint64_t accesses;
	uint64_t stalls;
	uint64_t sync_waits;
	uint64_t sync_wait_ns;
};

/** hw_queue_stats() - snapshot the counters of queue slot @slot into @st. Return: 0, -ENODEV. */
int hw_queue_stats(struct hw_device *dev, unsigned int slot, struct hw_queue_stats *st);

/* Failure knobs: inject hardware failures so the driver's recovery paths run. */

/** hw_knob_stuck_as_active() - @stuck: AS_STATUS.AS_ACTIVE of @as reads 1 forever (until cleared). */
void hw_knob_stuck_as_active(struct hw_device *dev, unsigned int as, bool stuck);
/** hw_knob_flush_never_completes() - @on: GPU_CMD cache flushes never raise CLEAN_CACHES_COMPLETED. */
void hw_knob_flush_never_completes(struct hw_device *dev, bool on);
/** hw_knob_fault_next_access() - the next access on @as faults with @exception_type (e.g. 0xC3). */
void hw_knob_fault_next_access(struct hw_device *dev, unsigned int as, uint32_t exception_type);

/**
 * enum hw_check_mode - what the protocol checker does with a violation.
 * @HW_CHECK_OFF: nothing is checked.
 * @HW_CHECK_COUNT: violations and notes are recorded and counted (default).
 * @HW_CHECK_ABORT: the first violation is printed and the process aborts.
 */
enum hw_check_mode {
	HW_CHECK_OFF,
	HW_CHECK_COUNT,
	HW_CHECK_ABORT,
};

/**
 * enum hw_report_kind - what the checker saw. Violations first, then notes.
 * @HW_VIOL_UNLOCKED_CHANGE: (a) a GPU access (walk or TLB hit) to a VA
 *     whose translation changed outside the AS's locked region since the
 *     last UPDATE or covering UNLOCK/FLUSH.
 * @HW_VIOL_STALE_TLB: (b) a TLB hit that disagrees with the current tables
 *     outside any locked region.
 * @HW_VIOL_WALK_NOT_TABLE: (c) a walk through a frame that is not a live
 *     page-table frame.
 * @HW_VIOL_BAD_FRAME: (d) an access landing in a frame that is free or not
 *     owned by a BO, dummy or firmware buffer.
 * @HW_VIOL_CMD_WHILE_ACTIVE: (e) an AS command written before the driver
 *     saw AS_ACTIVE clear.
 * @HW_VIOL_LOCK_WHILE_LOCKED: (f) LOCK while a region is locked, unless
 *     the new region contains the old one.
 * @HW_VIOL_UPDATE_WHILE_LOCKED: (f) UPDATE while a region is locked.
 * @HW_NOTE_UNLOCKED_CHANGE: a translation changed outside the locked
 *     region of an AS that reaches the tables (harmless while no access
 *     comes; becomes @HW_VIOL_UNLOCKED_CHANGE if one does).
 * @HW_NOTE_SPARE_UNLOCK: UNLOCK with no region locked.
 * @HW_NOTE_IRQ_NOT_CLEARED: a handler returned with its line still asserted many times in a row.
 * @HW_NOTE_UNKNOWN_REGISTER: an MMIO access to an offset the model does not know.
 * @HW_REPORT_KINDS: number of kinds.
 */
enum hw_report_kind {
	HW_VIOL_UNLOCKED_CHANGE,
	HW_VIOL_STALE_TLB,
	HW_VIOL_WALK_NOT_TABLE,
	HW_VIOL_BAD_FRAME,
	HW_VIOL_CMD_WHILE_ACTIVE,
	HW_VIOL_LOCK_WHILE_LOCKED,
	HW_VIOL_UPDATE_WHILE_LOCKED,
	HW_NOTE_UNLOCKED_CHANGE,
	HW_NOTE_SPARE_UNLOCK,
	HW_NOTE_IRQ_NOT_CLEARED,
	HW_NOTE_UNKNOWN_REGISTER,
	HW_REPORT_KINDS,
};

/** hw_report_is_violation() - Return: true for the violation kinds, false for notes. */
static inline bool hw_report_is_violation(enum hw_report_kind k)
{
	return k < HW_NOTE_UNLOCKED_CHANGE;
}

/**
 * struct hw_report - one checker report, with everything needed to act on it.
 * @kind: enum hw_report_kind.
 * @time_ns: model time of the report.
 * @as: the address space (-1 if none).
 * @va: the GPU VA concerned (0 if none).
 * @pa: the physical frame concerned (0 if none).
 * @expected: what the checker expected (a PA, a descriptor, a state; see @detail).
 * @actual: what it found.
 * @last_cmd: the last AS command on @as ("LOCK 0x...+0x..." etc.).
 * @last_change: the last page-table change the checker saw on @va for @as.
 * @detail: a sentence saying what happened.
 */
struct hw_report {
	enum hw_report_kind kind;
	uint64_t time_ns;
	int as;
	uint64_t va;
	phys_addr_t pa;
	uint64_t expected;
	uint64_t actual;
	char last_cmd[96];
	char last_change[128];
	char detail[192];
};

/** hw_checker_set_mode() - set the checker's mode (default HW_CHECK_COUNT). */
void hw_checker_set_mode(struct hw_device *dev, enum hw_check_mode mode);
/** hw_checker_count() - Return: reports of kind @kind since creation or the last reset. */
unsigned long hw_checker_count(struct hw_device *dev, enum hw_report_kind kind);
/** hw_checker_violations() - Return: all violations (notes excluded) since creation or reset. */
unsigned long hw_checker_violations(struct hw_device *dev);
/**
 * hw_checker_reports() - copy up to @max of the most recent reports, oldest first.
 * Return: the number copied. The checker keeps the last 256 in a ring.
 */
unsigned int hw_checker_reports(struct hw_device *dev, struct hw_report *out, unsigned int max);
/** hw_report_kind_name() - Return: a short stable name ("unlocked-change", "stale-tlb", ...). */
const char *hw_report_kind_name(enum hw_report_kind kind);
/** hw_report_format() - write a one-paragraph description of @r into @buf. Return: @buf. */
char *hw_report_format(const struct hw_report *r, char *buf, size_t len);
/** hw_checker_reset() - forget all reports and counts (the dirty-VA state stays). */
void hw_checker_reset(struct hw_device *dev);

#endif
