/* SPDX-License-Identifier: MIT */
/*
 * The panthor device: the GPU model it drives, the memory budget its buffers
 * are charged to, what it read from the identity registers at probe, its GPU
 * and MMU halves, and the one reset path.
 *
 * LOCK ORDER OF THE WHOLE DRIVER (outermost first). Every lock of
 * src/panthor has a lock class (U_LOCK_CLASS) named as below, so the lockdep
 * enforces this order in every test run. A lock may only be taken while
 * holding locks listed above it.
 *
 *  -1. panthor_vm_heaps (struct panthor_vm.heaps_lock)
 *        Creation of a VM's tiler heap pool, which creates and maps a
 *        kernel BO under it (everything below nests inside).
 *  -1. cpumap_fault (src/mm: one CPU mapping's fault handler run; never
 *        nested with panthor_vm_heaps, so the two share a rank).
 *        Held across panthor_gem_cpu_fault(), which takes the BO resv
 *        inside it. Its companion cpumap_map (a mapping's zap lock) is a
 *        leaf taken under a BO resv when eviction zaps CPU mappings.
 *   0. panthor_vm_restore (struct panthor_vm.restore_lock)
 *        Serialises job-begin restores of one VM (its evict list walk) and
 *        GROUP_SUBMIT's restore + resv locking (which also walks the VM's
 *        extobj list); BO resvs, the op lock and reclaiming allocations
 *        nest inside.
 *   1. reservation_ww_class_acquire, reservation_ww_class_mutex
 *        BO and VM reservation objects (src/dma). Held to pin a BO and build
 *        its sg table while a bind is prepared, and to add job fences.
 *        Never taken inside the execute section of a bind. The GEM
 *        shrinker only trylocks them (it runs inside fs_reclaim).
 *   2. panthor_vm_op_lock (struct panthor_vm.op_lock)
 *        One VM's page tables, VA tree and op_ctx. Held for the whole
 *        execution of a bind op (lock region .. unlock region), and by
 *        panthor_vm_active() so that a VM never gets an address space in the
 *        middle of an op; also around eviction unmaps (by trylock, from the
 *        shrinker) and restore maps. Taken on the fence-signalling path (async binds):
 *        nothing may wait for a fence or allocate while holding it.
 *   3. gpuvm_gem_gpuva -> gpuvm_evict -> gpuvm_extobj; gpuvm_defer
 *        src/gpuvm's locks (a BO's VA list, a VM's vm_bo lists), taken by
 *        the library under the op lock when steps link and unlink VAs.
 *   4. panthor_mmu_slots (struct panthor_mmu.as.slots_lock)
 *        AS slot assignment, the LRU, faulty_mask, every VM's as.id and
 *        locked_region, and every AS register sequence (commands must not
 *        interleave). The MMU interrupt handler takes it first.
 *   5. panthor_gpu_cache_flush (struct panthor_gpu.cache_flush_lock)
 *        One GPU_CMD cache flush or soft reset at a time.
 *   6. leaves: panthor_gpu_reqs (pending GPU requests), panthor_irq_mask
 *        (an IRQ line's mask), panthor_pt_pool (pre-zeroed page-table
 *        frames), panthor_vm_kernel_va (a VM's kernel VA allocator),
 *        panthor_vm_bind_queue (a VM's async job list), panthor_gem_lru
 *        (the device's BO LRUs, per-VM lists, the list of all BOs and
 *        labels: taken under a BO resv, a VM op lock or a BO's gpuva
 *        lock; the shrinker drops it before its trylocks),
 *        panthor_vm_pool
 *        (a file's VM ids), panthor_file_handles (a file's BO and syncobj
 *        handles), panthor_group_pool (a file's group handles),
 *        panthor_heap_pool (a VM's heap table; chunk BOs are created and
 *        destroyed outside it),
 *        panthor_sched_queue (a queue's job list and fence timeline: taken
 *        under a VM resv when jobs are armed and queued), panthor_sched_slots
 *        (hardware queue slot ownership; the JOB interrupt handler takes
 *        no lock); and from src/dma drm_syncobj_lock -> dma_fence_lock,
 *        dma_resv_fences, sync_file_registry, dma_buf_registry.
 *
 *   dma_fence_signalling (pseudo-lock) is entered by the async bind worker
 *   around the execution of each job, and by a group queue's thread from
 *   programming a hardware queue slot to signalling the job's fence (the
 *   job's restore and VM activation happen before it): 2..6 are taken inside it, so none of
 *   them may be held while waiting for a fence or taking a resv lock
 *   (src/dma reports it). fs_reclaim (pseudo-lock, every allocation that may
 *   reclaim) is never entered with 2..6 held: page tables, VMAs and fence
 *   chains are reserved before the op lock is taken.
 */
#ifndef PANTOMIME_PANTHOR_DEVICE_H
#define PANTOMIME_PANTHOR_DEVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/hw.h"
#include "mm/mm.h"
#include "util/u_lock.h"

struct panthor_device;
struct panthor_gpu;
struct panthor_mmu;
struct panthor_gem_reclaim;
struct panthor_sched;

/**
 * PANTHOR_DEFAULT_TIMEOUT_US - how long the driver waits for the GPU: an AS
 * command's AS_ACTIVE, a cache flush, a soft reset. 1 s, not panthor's
 * 100 ms: the model's AS_ACTIVE also waits for GPU threads with an access in
 * flight, and on a loaded two-core host (or under sanitizers) such a thread
 * can be descheduled mid-access for more than 100 ms; a spurious timeout
 * would take the reset path and make a healthy VM unusable.
 */
#define PANTHOR_DEFAULT_TIMEOUT_US 1000000u

/**
 * struct panthor_device_config - what to create.
 * @memory_bytes: the device's memory budget (0: 1 GiB).
 * @swap_bytes: its swap area (0: none).
 * @hw: the GPU model's configuration (NULL: hw_config_default()).
 * @timeout_us: GPU wait timeout (0: PANTHOR_DEFAULT_TIMEOUT_US).
 * @background_reclaim: start the budget's background reclaimer.
 */
struct panthor_device_config {
	uint64_t memory_bytes;
	uint64_t swap_bytes;
	const struct hw_config *hw;
	uint32_t timeout_us;
	bool background_reclaim;
};

/**
 * struct panthor_gpu_info - identity registers read at probe
 * (drm_panthor_gpu_info's content).
 * @gpu_id: GPU_ID.
 * @csf_id: CSF_ID.
 * @l2_features: L2_FEATURES.
 * @core_features: CORE_FEATURES.
 * @tiler_features: TILER_FEATURES.
 * @mem_features: MEM_FEATURES.
 * @mmu_features: MMU_FEATURES (VA bits [7:0], PA bits [15:8]).
 * @thread_features: THREAD_FEATURES.
 * @max_threads: THREAD_MAX_THREADS.
 * @thread_max_workgroup_size: THREAD_MAX_WORKGROUP_SIZE.
 * @thread_max_barrier_size: THREAD_MAX_BARRIER_SIZE.
 * @coherency_features: COHERENCY_FEATURES.
 * @texture_features: TEXTURE_FEATURES_0..3.
 * @as_present: AS_PRESENT.
 * @shader_present: SHADER_PRESENT.
 * @tiler_present: TILER_PRESENT.
 * @l2_present: L2_PRESENT.
 */
struct panthor_gpu_info {
	uint32_t gpu_id;
	uint32_t csf_id;
	uint32_t l2_features;
	uint32_t core_features;
	uint32_t tiler_features;
	uint32_t mem_features;
	uint32_t mmu_features;
	uint32_t thread_features;
	uint32_t max_threads;
	uint32_t thread_max_workgroup_size;
	uint32_t thread_max_barrier_size;
	uint32_t coherency_features;
	uint32_t texture_features[4];
	uint32_t as_present;
	uint64_t shader_present;
	uint64_t tiler_present;
	uint64_t l2_present;
};

/**
 * struct panthor_waitqueue - a place to sleep until a condition holds (the
 * kernel's wait_queue_head_t). Its mutex is internal: it is held only to
 * test the condition and to sleep, never around driver work, so it is not
 * a driver lock and has no lock class.
 * @lock: protects the sleep/wake handshake.
 * @cond: the condition variable (CLOCK_MONOTONIC).
 */
struct panthor_waitqueue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/** panthor_waitqueue_init() - initialise @wq. */
void panthor_waitqueue_init(struct panthor_waitqueue *wq);
/** panthor_waitqueue_fini() - destroy @wq (nobody may be waiting). */
void panthor_waitqueue_fini(struct panthor_waitqueue *wq);
/**
 * panthor_waitqueue_wake_all() - wake every sleeper of @wq; call it after
 * making their condition true (the wake is ordered after that store).
 */
void panthor_waitqueue_wake_all(struct panthor_waitqueue *wq);
/**
 * panthor_waitqueue_wait() - sleep on @wq until @cond(@arg) is true or the
 * absolute CLOCK_MONOTONIC time @deadline_ns passes.
 * @wq: the waitqueue.
 * @cond: the condition, evaluated with @wq's internal lock held (it must
 *        take no driver lock).
 * @arg: its argument.
 * @deadline_ns: absolute deadline.
 *
 * Return: true if @cond held, false on timeout.
 */
bool panthor_waitqueue_wait(struct panthor_waitqueue *wq, bool (*cond)(void *arg), void *arg,
			    uint64_t deadline_ns);

/**
 * typedef panthor_irq_handler_fn - the driver half of one interrupt line.
 * @ptdev: the device.
 * @status: the RAWSTAT bits of this round, already cleared in INT_CLEAR.
 */
typedef void (*panthor_irq_handler_fn)(struct panthor_device *ptdev, uint32_t status);

/**
 * struct panthor_irq - an interrupt line handled panthor's way: the handler
 * thread reads STAT, masks the line, then loops over RAWSTAT & mask
 * (clearing and handling each round) and finally restores the mask.
 * Set once at init: @ptdev, @line, @reg_base, @handler, @name.
 * @ptdev: the device.
 * @line: the model's interrupt line.
 * @reg_base: offset of the line's RAWSTAT register (CLEAR, MASK and STAT follow).
 * @handler: called for each round of pending bits.
 * @name: for messages.
 * @mask_lock: protects @mask, @in_handler and @suspended, and every
 *             write of INT_MASK (lock class "panthor_irq_mask", a leaf).
 * @mask: the events the driver wants (INT_MASK outside the handler).
 * @in_handler: the handler thread runs with INT_MASK = 0; enabling an
 *              event then only updates @mask, which the handler restores.
 * @suspended: the line is off (unplug): INT_MASK stays 0.
 */
struct panthor_irq {
	struct panthor_device *ptdev;
	enum hw_irq_line line;
	uint32_t reg_base;
	panthor_irq_handler_fn handler;
	const char *name;
	struct u_mutex mask_lock;
	uint32_t mask;
	bool in_handler;
	bool suspended;
};

/**
 * panthor_irq_request() - set up @irq and attach it to the model's line,
 * with @mask enabled.
 * Return: 0 or the error of hw_irq_register().
 */
int panthor_irq_request(struct panthor_device *ptdev, struct panthor_irq *irq,
			enum hw_irq_line line, uint32_t reg_base, uint32_t mask,
			panthor_irq_handler_fn handler, const char *name);
/** panthor_irq_release() - mask the line and detach the handler (waits for a running call). */
void panthor_irq_release(struct panthor_irq *irq);
/** panthor_irq_enable_events() - add @events to the line's mask. */
void panthor_irq_enable_events(struct panthor_irq *irq, uint32_t events);
/** panthor_irq_disable_events() - remove @events from the line's mask. */
void panthor_irq_disable_events(struct panthor_irq *irq, uint32_t events);
/** panthor_irq_set_mask() - replace the line's mask (after a reset cleared the hardware's). */
void panthor_irq_set_mask(struct panthor_irq *irq, uint32_t mask);

/**
 * struct panthor_device - one GPU.
 *
 * Set once at creation:
 * @hw: the GPU model; reached only through MMIO, IRQ lines, and
 *      hw_dma_sync_for_device() (plus the access port, from jobs).
 * @budget: the memory budget every frame of this device is charged to.
 * @gpu_info: identity registers read at probe.
 * @coherent: the GPU snoops CPU caches (model config), so page-table
 *            writes need no clean to the device.
 * @va_bits: GPU VA bits (MMU_FEATURES).
 * @pa_bits: GPU PA bits (MMU_FEATURES).
 * @timeout_us: how long to wait for the GPU before taking the reset path.
 * @gpu: the GPU-control half (panthor_gpu.c).
 * @mmu: the MMU half (panthor_mmu.c).
 * @reclaim: BO LRUs, eviction counters and the shrinker (panthor_gem.c).
 * @sched: groups' job scheduler and the JOB interrupt (panthor_sched.c).
 *
 * @reset: the reset path's state.
 * @reset.pending: a reset has been requested and not finished (atomic).
 * @reset.count: resets performed (atomic; tests and debug).
 * @next_id: ids for VMs and BOs, for trace tracks and frame owner ids (atomic).
 */
struct panthor_device {
	struct hw_device *hw;
	struct mm_budget *budget;
	struct panthor_gpu_info gpu_info;
	bool coherent;
	unsigned int va_bits;
	unsigned int pa_bits;
	uint32_t timeout_us;
	struct panthor_gpu *gpu;
	struct panthor_mmu *mmu;
	struct panthor_gem_reclaim *reclaim;
	struct panthor_sched *sched;

	struct {
		bool pending;		/* @reset.pending */
		unsigned long count;	/* @reset.count */
	} reset;
	uint32_t next_id;
};

/**
 * panthor_device_create() - create the model, a budget, and probe: read the
 * identity registers, set up the GPU and MMU halves (IRQ handlers, the MCU
 * VM on AS 0).
 * @cfg: the configuration (NULL: all defaults).
 *
 * Return: the device, or ERR_PTR(-EINVAL) for a bad configuration (logged),
 * ERR_PTR(-ENOMEM).
 */
struct panthor_device *panthor_device_create(const struct panthor_device_config *cfg);

/**
 * panthor_device_destroy() - tear everything down. Every file, BO and user
 * VM must be gone.
 * @ptdev: the device (NULL: no-op).
 */
void panthor_device_destroy(struct panthor_device *ptdev);

/**
 * panthor_device_reset_locked() - the one reset path: GPU soft reset, then
 * every address space disabled, every user VM that had one declared
 * unusable (its slot kept while a job still holds it, released otherwise),
 * and the MCU VM re-enabled on AS 0.
 * @ptdev: the device; the caller holds the MMU's slots_lock (every reset is
 *         triggered from an AS register sequence that failed).
 *
 * Synchronous and allocation-free, so it may run on the fence-signalling
 * path (an async bind whose LOCK timed out) and in the MMU interrupt thread.
 */
void panthor_device_reset_locked(struct panthor_device *ptdev);

/**
 * panthor_device_reset_count() - Return: resets performed since creation.
 * @ptdev: the device.
 */
unsigned long panthor_device_reset_count(struct panthor_device *ptdev);

/**
 * panthor_device_alloc_id() - Return: a new id (VMs and BOs; never 0).
 * @ptdev: the device.
 */
uint32_t panthor_device_alloc_id(struct panthor_device *ptdev);

/** gpu_read() - Return: the 32-bit register at @reg. */
static inline uint32_t gpu_read(struct panthor_device *ptdev, uint32_t reg)
{
	return hw_mmio_read32(ptdev->hw, reg);
}

/** gpu_write() - write @val to the 32-bit register at @reg. */
static inline void gpu_write(struct panthor_device *ptdev, uint32_t reg, uint32_t val)
{
	hw_mmio_write32(ptdev->hw, reg, val);
}

/** gpu_write64() - write a 64-bit register: low word at @reg, then high word at @reg + 4. */
static inline void gpu_write64(struct panthor_device *ptdev, uint32_t reg, uint64_t val)
{
	gpu_write(ptdev, reg, (uint32_t)val);
	gpu_write(ptdev, reg + 4, (uint32_t)(val >> 32));
}

/** gpu_read64() - Return: a 64-bit register read as low word then high word. */
static inline uint64_t gpu_read64(struct panthor_device *ptdev, uint32_t reg)
{
	uint64_t lo = gpu_read(ptdev, reg);

	return lo | ((uint64_t)gpu_read(ptdev, reg + 4) << 32);
}

/**
 * struct panthor_poll - back-off state of one register poll.
 * @start: when the poll started (panthor_now_ns()).
 * @deadline: when it gives up.
 *
 * The model's commands complete in microseconds (an AS command in
 * as_cmd_ns, 2 µs by default; a cache flush in flush_ns, 4 µs), like the
 * hardware's. Panthor busy-waits for them (readl_poll_timeout_atomic(),
 * 10 µs udelay() steps), and so do we for the first PANTHOR_POLL_SPIN_NS:
 * a register read every few hundred nanoseconds with the CPU told we spin.
 * Yielding instead costs a scheduler round trip per read, tens of
 * microseconds or a whole time slice on a loaded machine, for a wait of
 * two. Past the spin window the completion may depend on another thread
 * of ours (an access the command drains), so the poll yields up to
 * PANTHOR_POLL_YIELD_NS, then sleeps between reads.
 */
struct panthor_poll {
	uint64_t start;
	uint64_t deadline;
};

/** PANTHOR_POLL_SPIN_NS - how long a poll busy-waits before yielding. */
#define PANTHOR_POLL_SPIN_NS 50000ull
/** PANTHOR_POLL_YIELD_NS - how long it yields before sleeping between reads. */
#define PANTHOR_POLL_YIELD_NS 1000000ull
/** PANTHOR_POLL_SLEEP_NS - the sleep between reads after that, as panthor's 10 µs. */
#define PANTHOR_POLL_SLEEP_NS 10000l

/**
 * panthor_poll_init() - start a poll that gives up after @timeout_us.
 * @p: the poll state.
 * @timeout_us: the timeout in microseconds.
 */
void panthor_poll_init(struct panthor_poll *p, uint32_t timeout_us);

/**
 * panthor_poll_wait() - wait before the next read of a poll.
 * @p: the poll state.
 *
 * Spins, yields or sleeps according to the time spent so far (see struct
 * panthor_poll).
 *
 * Return: false if the deadline has passed (the caller reads one last time
 * and gives up), true otherwise.
 */
bool panthor_poll_wait(struct panthor_poll *p);

/**
 * gpu_read_poll_clear() - poll @reg until every bit of @mask reads 0.
 * @ptdev: the device.
 * @reg: the register.
 * @mask: the bits that must clear.
 * @timeout_us: give up after this long.
 * @val: if not NULL, receives the last value read.
 *
 * Busy-waits first (the model's commands take about two microseconds), then
 * yields, then reads every 10 µs: see struct panthor_poll.
 *
 * Return: 0, or -ETIMEDOUT.
 */
int gpu_read_poll_clear(struct panthor_device *ptdev, uint32_t reg, uint32_t mask,
			uint32_t timeout_us, uint32_t *val);

/**
 * panthor_now_ns() - Return: CLOCK_MONOTONIC now, in nanoseconds.
 */
uint64_t panthor_now_ns(void);

#endif
