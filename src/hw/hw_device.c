// SPDX-License-Identifier: MIT
/*
 * DOC: the model device, its register decode and its interrupt lines
 *
 * A device is created from a struct hw_config (identity registers and
 * behaviour knobs; hw_config_default() gives a G610-like part, the values
 * panfrost's drm-shim dumped from a real G610, reference/clients.md §2.7).
 *
 * MMIO: hw_mmio_read32()/hw_mmio_write32() take the device lock and decode
 * the offset with a switch, block by block, calling one named behaviour
 * function per register or register group:
 *
 *   0x0000-0x0fff  GPU_CONTROL  identity, GPU_INT, GPU_CMD, power, timestamps
 *   0x1000-0x100f  JOB_INT      queue slots done / fault / timeout / stopped
 *   0x1100         QUEUE_PRESENT  model-only queue interface: hw_queue.c
 *   0x1400-0x15ff  queue slots
 *   0x2000-0x200f  MMU_INT      page faults, one bit per AS
 *   0x2400-0x27ff  AS windows   hw_mmu.c
 *   0x10000        LATEST_FLUSH_ID
 *
 * Unknown offsets, misaligned offsets, writes to read-only registers and
 * reads of write-only ones read 0 / are ignored, are logged at debug level
 * and produce HW_NOTE_UNKNOWN_REGISTER: on real hardware they are silent,
 * but a driver that hits one almost always has a wrong offset.
 *
 * Interrupt lines are level-triggered, as on the real part: each line has
 * its own delivery thread that calls the registered handler whenever
 * RAWSTAT & MASK is non-zero, and calls it again if it is still non-zero
 * when the handler returns. A handler that never clears its source is
 * called in a loop; after HW_IRQ_BACKOFF_REPEATS calls without a change
 * the thread slows down, after HW_IRQ_NOTE_REPEATS the checker notes it.
 * Separate threads mean a handler may wait for another line (the MMU fault
 * path waits for a cache flush's CLEAN_CACHES_COMPLETED on the GPU line).
 * The rejected alternative, calling handlers synchronously from the thread
 * that raised the interrupt (an access, an MMIO write), would run driver
 * code inside the model's locks and deadlock that very pattern.
 *
 * Timed events (a cache flush completing flush_ns after GPU_CMD, a reset
 * completing) are kept in a small array and applied lazily: on every MMIO
 * read that takes the lock (so a polling driver sees them on time; a poll
 * of GPU_INT_RAWSTAT before the earliest event, or of AS_STATUS during a
 * command's own time, reads without the lock: nothing can have changed) and by the GPU line thread,
 * which sleeps until the earliest one is due (so the interrupt fires
 * without anyone polling). No extra thread is needed. The thread only
 * wakes for events someone could see without reading a register: their
 * interrupt bit unmasked with a handler, or a flush with the flush-ID
 * page mapped. A flush the driver polls for wakes nobody.
 *
 * Model time is CLOCK_MONOTONIC.
 */
#include "hw_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_log.h"
#include "util/u_thread.h"

#define MOD "hw"

uint64_t hw__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void hw_config_default(struct hw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	/* G610: product id 0xa867 (arch 10.8, rev 6, product major 7), r0p0. */
	cfg->gpu_id = 0xa867u << 16;
	cfg->l2_features = 0x07120306;
	cfg->core_features = 0;
	cfg->tiler_features = 0x809;
	cfg->mem_features = 0x301;
	cfg->mmu_features = 0x2830;		/* 48-bit VA, 40-bit PA */
	cfg->as_present = 0xff;
	cfg->csf_id = 0x40a0412;
	cfg->thread_max_threads = 2048;
	cfg->thread_max_workgroup_size = 1024;
	cfg->thread_max_barrier_size = 1024;
	cfg->thread_features = 0x4010000;
	cfg->texture_features[0] = 0xc1ffff9e;
	cfg->coherency_features = 0;
	cfg->gpu_features = 0;
	cfg->shader_present = 0x50005;
	cfg->tiler_present = 1;
	cfg->l2_present = 1;

	cfg->coherent = false;
	cfg->tlb_entries = 64;
	cfg->as_cmd_ns = 2000;
	cfg->flush_ns = 4000;
	cfg->queue_slots = HW_MAX_QUEUE_SLOTS;
	cfg->job_timeout_ns = 5000000000ull;
	cfg->queue_nice = HW_QUEUE_NICE_DEFAULT;
}

static int config_check(const struct hw_config *cfg)
{
	unsigned int va = HW_GPU_MMU_FEATURES_VA_BITS(cfg->mmu_features);
	unsigned int pa = HW_GPU_MMU_FEATURES_PA_BITS(cfg->mmu_features);

	if (va < 32 || va > 48) {
		u_err(MOD, "config: MMU_FEATURES VA bits %u outside 32..48", va);
		return -EINVAL;
	}
	if (pa < 32 || pa > 48) {
		u_err(MOD, "config: MMU_FEATURES PA bits %u outside 32..48", pa);
		return -EINVAL;
	}
	if (!(cfg->as_present & ((1u << HW_MAX_AS) - 1))) {
		u_err(MOD, "config: AS_PRESENT 0x%x has no address space among the low %d bits",
		      cfg->as_present, HW_MAX_AS);
		return -EINVAL;
	}
	if (cfg->tlb_entries && (!u_is_power_of_2(cfg->tlb_entries) || cfg->tlb_entries > 65536)) {
		u_err(MOD, "config: tlb_entries %u is not 0 or a power of two up to 65536",
		      cfg->tlb_entries);
		return -EINVAL;
	}
	if (cfg->queue_nice < 0 || cfg->queue_nice > 19) {
		u_err(MOD, "config: queue_nice %d outside 0..19", cfg->queue_nice);
		return -EINVAL;
	}
	if (cfg->queue_slots > HW_MAX_QUEUE_SLOTS) {
		u_err(MOD, "config: %u queue slots, at most %d", cfg->queue_slots, HW_MAX_QUEUE_SLOTS);
		return -EINVAL;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * Interrupt lines
 * ------------------------------------------------------------------- */

static uint32_t irq_asserted(const struct hw_irq_state *irq)
{
	return irq->rawstat & irq->mask;
}

static uint64_t events_next_observable_locked(const struct hw_device *dev);

/*
 * Wake the line's thread only when it has something to do: a handler to
 * call, or (GPU line) a timed event someone could observe that is due
 * before the thread means to wake. A running thread looks again before it
 * sleeps (under the lock we hold), so it needs no wake-up. A write that
 * only clears bits, or a cache flush nobody waits for through the
 * interrupt, used to wake it for nothing: on two cores each wake-up
 * preempted the thread polling for that very flush.
 */
void hw__irq_changed_locked(struct hw_device *dev, enum hw_irq_line line)
{
	struct hw_irq_state *irq = &dev->irq[line];

	if (!irq->sleeping)
		return;
	if ((irq->fn && irq_asserted(irq)) ||
	    (line == HW_IRQ_GPU && events_next_observable_locked(dev) < irq->sleep_until))
		pthread_cond_broadcast(&irq->cond);
}

void hw__irq_raise_locked(struct hw_device *dev, enum hw_irq_line line, uint32_t bits)
{
	__atomic_store_n(&dev->irq[line].rawstat, dev->irq[line].rawstat | bits, __ATOMIC_RELAXED);
	hw__irq_changed_locked(dev, line);
}

static const char *const irq_names[HW_IRQ_COUNT] = { "GPU", "MMU", "JOB" };

/* ---------------------------------------------------------------------
 * Timed events
 * ------------------------------------------------------------------- */

/* Recompute next_event_at after @events changed; dev->lock held. */
static void events_changed_locked(struct hw_device *dev)
{
	uint64_t next = UINT64_MAX;

	for (unsigned int i = 0; i < dev->nr_events; i++)
		next = u_min(next, dev->events[i].at);
	/* Release: a reader that sees the event gone sees its RAWSTAT bit too. */
	__atomic_store_n(&dev->next_event_at, next, __ATOMIC_RELEASE);
}

static void event_add_locked(struct hw_device *dev, int kind, uint64_t at)
{
	/* One pending event per kind: a second flush issued while one is in
	 * flight completes with it, at the later of the two times. */
	for (unsigned int i = 0; i < dev->nr_events; i++) {
		if (dev->events[i].kind == kind) {
			dev->events[i].at = u_max(dev->events[i].at, at);
			events_changed_locked(dev);
			hw__irq_changed_locked(dev, HW_IRQ_GPU);
			return;
		}
	}
	U_ASSERT(dev->nr_events < HW_MAX_EVENTS);
	dev->events[dev->nr_events].kind = kind;
	dev->events[dev->nr_events].at = at;
	dev->nr_events++;
	events_changed_locked(dev);
	hw__irq_changed_locked(dev, HW_IRQ_GPU);
}

static void events_run_locked(struct hw_device *dev, uint64_t now)
{
	unsigned int i = 0;

	if (now < dev->next_event_at)
		return;		/* nothing due (none pending: UINT64_MAX) */
	while (i < dev->nr_events) {
		struct hw_event *ev = &dev->events[i];

		if (ev->at > now) {
			i++;
			continue;
		}
		switch (ev->kind) {
		case HW_EV_FLUSH_DONE:
			hw__flush_id_bump_locked(dev);
			hw__irq_raise_locked(dev, HW_IRQ_GPU, HW_GPU_IRQ_CLEAN_CACHES_COMPLETED);
			break;
		case HW_EV_RESET_DONE:
			hw__irq_raise_locked(dev, HW_IRQ_GPU, HW_GPU_IRQ_RESET_COMPLETED);
			break;
		}
		*ev = dev->events[--dev->nr_events];
	}
	events_changed_locked(dev);
}

/*
 * Whether anyone can see @kind complete without an MMIO read (which
 * applies due events itself): its interrupt bit is unmasked with a handler
 * registered, or, for a flush, the flush-ID page is mapped.
 */
static bool event_observable_locked(const struct hw_device *dev, int kind)
{
	const struct hw_irq_state *irq = &dev->irq[HW_IRQ_GPU];
	uint32_t bit = kind == HW_EV_FLUSH_DONE ? HW_GPU_IRQ_CLEAN_CACHES_COMPLETED :
						  HW_GPU_IRQ_RESET_COMPLETED;

	if (irq->fn && (irq->mask & bit))
		return true;
	return kind == HW_EV_FLUSH_DONE && dev->flush_page;
}

/* The earliest event the GPU line thread must apply on time, UINT64_MAX if none. */
static uint64_t events_next_observable_locked(const struct hw_device *dev)
{
	uint64_t next = UINT64_MAX;

	for (unsigned int i = 0; i < dev->nr_events; i++)
		if (event_observable_locked(dev, dev->events[i].kind))
			next = u_min(next, dev->events[i].at);
	return next;
}

/* ---------------------------------------------------------------------
 * Register behaviour: GPU_CONTROL
 * ------------------------------------------------------------------- */

static uint32_t lo32(uint64_t v)
{
	return (uint32_t)v;
}

static uint32_t hi32(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

static void set_half(uint64_t *reg, bool hi, uint32_t val)
{
	if (hi)
		*reg = (*reg & 0xffffffffull) | ((uint64_t)val << 32);
	else
		*reg = (*reg & ~0xffffffffull) | val;
}

/* Power domains: 0 shader, 1 tiler, 2 L2; @off is the domain's LO offset in a group of 0x10. */
static uint64_t domain_present(const struct hw_device *dev, unsigned int domain)
{
	switch (domain) {
	case 0: return dev->cfg.shader_present;
	case 1: return dev->cfg.tiler_present;
	default: return dev->cfg.l2_present;
	}
}

static void gpu_power_write(struct hw_device *dev, uint32_t off, uint32_t val, bool on)
{
	uint32_t base = on ? HW_GPU_SHADER_PWRON_LO : HW_GPU_SHADER_PWROFF_LO;
	unsigned int domain = (off - base) / 0x10;
	bool hi = (off & 4) != 0;
	uint64_t bits = hi ? (uint64_t)val << 32 : val;

	/* No power management: transitions are instantaneous. */
	bits &= domain_present(dev, domain);
	if (on)
		dev->ready[domain] |= bits;
	else
		dev->ready[domain] &= ~bits;
	hw__irq_raise_locked(dev, HW_IRQ_GPU, HW_GPU_IRQ_POWER_CHANGED | HW_GPU_IRQ_POWER_CHANGED_ALL);
}

static void gpu_reset(struct hw_device *dev, bool hard)
{
	uint64_t now = hw__now_ns();

	u_dbg(MOD, "GPU %s reset", hard ? "hard" : "soft");
	dev->nr_events = 0;
	events_changed_locked(dev);
	/* The MMU first: it releases locked regions and disables every AS, so
	 * the executors the queue reset waits for cannot stay stalled. The
	 * queue reset drops the lock while it waits; the interrupt state is
	 * cleared after it, so no result of an abandoned stream survives. */
	hw__mmu_reset_locked(dev);
	hw__queues_reset_locked(dev);
	__atomic_store_n(&dev->irq[HW_IRQ_GPU].rawstat, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&dev->irq[HW_IRQ_JOB].rawstat, 0, __ATOMIC_RELAXED);
	dev->irq[HW_IRQ_JOB].mask = 0;
	__atomic_store_n(&dev->irq[HW_IRQ_MMU].rawstat, 0, __ATOMIC_RELAXED);
	dev->irq[HW_IRQ_MMU].mask = 0;
	dev->gpu_faultstatus = 0;
	dev->gpu_faultaddress = 0;
	memset(dev->ready, 0, sizeof(dev->ready));
	dev->mcu_control = 0;
	dev->mcu_status = 0;
	dev->l2_config = 0;
	for (int l = 0; l < HW_IRQ_COUNT; l++)
		hw__irq_changed_locked(dev, l);
	event_add_locked(dev, HW_EV_RESET_DONE, now + dev->cfg.flush_ns);
}

static void gpu_flush_caches(struct hw_device *dev, uint32_t payload)
{
	u_dbg(MOD, "GPU_CMD FLUSH_CACHES l2 %u lsc %u other %u",
	      payload & 0xf, (payload >> 4) & 0xf, (payload >> 8) & 0xf);
	if (dev->knob_flush_never)
		return;
	event_add_locked(dev, HW_EV_FLUSH_DONE, hw__now_ns() + dev->cfg.flush_ns);
}

static bool gpu_cmd_write(struct hw_device *dev, uint32_t val)
{
	uint32_t payload = HW_GPU_CMD_PAYLOAD(val);

	switch (HW_GPU_CMD_TYPE(val)) {
	case HW_GPU_CMD_TYPE_NOP:
		return true;
	case HW_GPU_CMD_TYPE_RESET:
		if (payload != 1 && payload != 2)
			return false;
		gpu_reset(dev, payload == 2);
		return true;
	case HW_GPU_CMD_TYPE_FLUSH_CACHES:
		gpu_flush_caches(dev, payload);
		return true;
	default:
		return false;
	}
}

static uint32_t gpu_identity_read(const struct hw_device *dev, uint32_t off, bool *known)
{
	const struct hw_config *c = &dev->cfg;

	switch (off) {
	case HW_GPU_ID: return c->gpu_id;
	case HW_GPU_L2_FEATURES: return c->l2_features;
	case HW_GPU_CORE_FEATURES: return c->core_features;
	case HW_GPU_TILER_FEATURES: return c->tiler_features;
	case HW_GPU_MEM_FEATURES: return c->mem_features;
	case HW_GPU_MMU_FEATURES: return c->mmu_features;
	case HW_GPU_AS_PRESENT: return c->as_present;
	case HW_GPU_CSF_ID: return c->csf_id;
	case HW_GPU_FEATURES_LO: return lo32(c->gpu_features);
	case HW_GPU_FEATURES_HI: return hi32(c->gpu_features);
	case HW_GPU_THREAD_MAX_THREADS: return c->thread_max_threads;
	case HW_GPU_THREAD_MAX_WORKGROUP_SIZE: return c->thread_max_workgroup_size;
	case HW_GPU_THREAD_MAX_BARRIER_SIZE: return c->thread_max_barrier_size;
	case HW_GPU_THREAD_FEATURES: return c->thread_features;
	case HW_GPU_TEXTURE_FEATURES(0): return c->texture_features[0];
	case HW_GPU_TEXTURE_FEATURES(1): return c->texture_features[1];
	case HW_GPU_TEXTURE_FEATURES(2): return c->texture_features[2];
	case HW_GPU_TEXTURE_FEATURES(3): return c->texture_features[3];
	case HW_GPU_SHADER_PRESENT_LO: return lo32(c->shader_present);
	case HW_GPU_SHADER_PRESENT_HI: return hi32(c->shader_present);
	case HW_GPU_TILER_PRESENT_LO: return lo32(c->tiler_present);
	case HW_GPU_TILER_PRESENT_HI: return hi32(c->tiler_present);
	case HW_GPU_L2_PRESENT_LO: return lo32(c->l2_present);
	case HW_GPU_L2_PRESENT_HI: return hi32(c->l2_present);
	case HW_GPU_COHERENCY_FEATURES: return c->coherency_features;
	case HW_GPU_REVID: return 0;
	default:
		*known = false;
		return 0;
	}
}

static uint32_t gpu_ctrl_read(struct hw_device *dev, uint32_t off, bool *known)
{
	uint64_t now;

	switch (off) {
	case HW_GPU_INT_RAWSTAT: return dev->irq[HW_IRQ_GPU].rawstat;
	case HW_GPU_INT_MASK: return dev->irq[HW_IRQ_GPU].mask;
	case HW_GPU_INT_STAT: return irq_asserted(&dev->irq[HW_IRQ_GPU]);
	case HW_GPU_STATUS: return 0;
	case HW_GPU_FAULTSTATUS: return dev->gpu_faultstatus;
	case HW_GPU_FAULTADDRESS_LO: return lo32(dev->gpu_faultaddress);
	case HW_GPU_FAULTADDRESS_HI: return hi32(dev->gpu_faultaddress);
	case HW_GPU_L2_CONFIG: return dev->l2_config;
	case HW_GPU_PWR_KEY: return dev->pwr_key;
	case HW_GPU_PWR_OVERRIDE0: return dev->pwr_override[0];
	case HW_GPU_PWR_OVERRIDE1: return dev->pwr_override[1];
	case HW_GPU_TIMESTAMP_OFFSET_LO: return lo32(dev->timestamp_offset);
	case HW_GPU_TIMESTAMP_OFFSET_HI: return hi32(dev->timestamp_offset);
	case HW_GPU_CYCLE_COUNT_LO: return lo32(hw__now_ns());
	case HW_GPU_CYCLE_COUNT_HI: return hi32(hw__now_ns());
	case HW_GPU_TIMESTAMP_LO:
	case HW_GPU_TIMESTAMP_HI:
		now = hw__now_ns() + dev->timestamp_offset;
		return off == HW_GPU_TIMESTAMP_LO ? lo32(now) : hi32(now);
	case HW_GPU_SHADER_READY_LO: return lo32(dev->ready[0]);
	case HW_GPU_SHADER_READY_LO + 4: return hi32(dev->ready[0]);
	case HW_GPU_TILER_READY_LO: return lo32(dev->ready[1]);
	case HW_GPU_TILER_READY_LO + 4: return hi32(dev->ready[1]);
	case HW_GPU_L2_READY_LO: return lo32(dev->ready[2]);
	case HW_GPU_L2_READY_LO + 4: return hi32(dev->ready[2]);
	case HW_GPU_SHADER_PWRTRANS_LO: case HW_GPU_SHADER_PWRTRANS_LO + 4:
	case HW_GPU_TILER_PWRTRANS_LO: case HW_GPU_TILER_PWRTRANS_LO + 4:
	case HW_GPU_L2_PWRTRANS_LO: case HW_GPU_L2_PWRTRANS_LO + 4:
	case HW_GPU_SHADER_PWRACTIVE_LO: case HW_GPU_SHADER_PWRACTIVE_LO + 4:
	case HW_GPU_TILER_PWRACTIVE_LO: case HW_GPU_TILER_PWRACTIVE_LO + 4:
	case HW_GPU_L2_PWRACTIVE_LO: case HW_GPU_L2_PWRACTIVE_LO + 4:
		return 0;
	case HW_GPU_COHERENCY_ENABLE: return dev->coherency_enable;
	case HW_GPU_MCU_CONTROL: return dev->mcu_control;
	case HW_GPU_MCU_STATUS: return dev->mcu_status;
	default:
		return gpu_identity_read(dev, off, known);
	}
}

static bool gpu_ctrl_write(struct hw_device *dev, uint32_t off, uint32_t val)
{
	switch (off) {
	case HW_GPU_INT_CLEAR:
		__atomic_store_n(&dev->irq[HW_IRQ_GPU].rawstat, dev->irq[HW_IRQ_GPU].rawstat & ~val,
				 __ATOMIC_RELAXED);
		hw__irq_changed_locked(dev, HW_IRQ_GPU);
		return true;
	case HW_GPU_INT_MASK:
		dev->irq[HW_IRQ_GPU].mask = val;
		hw__irq_changed_locked(dev, HW_IRQ_GPU);
		return true;
	case HW_GPU_CMD:
		return gpu_cmd_write(dev, val);
	case HW_GPU_L2_CONFIG:
		dev->l2_config = val;
		return true;
	case HW_GPU_PWR_KEY:
		dev->pwr_key = val;
		return true;
	case HW_GPU_PWR_OVERRIDE0:
		dev->pwr_override[0] = val;
		return true;
	case HW_GPU_PWR_OVERRIDE1:
		dev->pwr_override[1] = val;
		return true;
	case HW_GPU_TIMESTAMP_OFFSET_LO:
	case HW_GPU_TIMESTAMP_OFFSET_HI:
		set_half(&dev->timestamp_offset, off == HW_GPU_TIMESTAMP_OFFSET_HI, val);
		return true;
	case HW_GPU_SHADER_PWRON_LO: case HW_GPU_SHADER_PWRON_LO + 4:
	case HW_GPU_TILER_PWRON_LO: case HW_GPU_TILER_PWRON_LO + 4:
	case HW_GPU_L2_PWRON_LO: case HW_GPU_L2_PWRON_LO + 4:
		gpu_power_write(dev, off, val, true);
		return true;
	case HW_GPU_SHADER_PWROFF_LO: case HW_GPU_SHADER_PWROFF_LO + 4:
	case HW_GPU_TILER_PWROFF_LO: case HW_GPU_TILER_PWROFF_LO + 4:
	case HW_GPU_L2_PWROFF_LO: case HW_GPU_L2_PWROFF_LO + 4:
		gpu_power_write(dev, off & ~4u, val, false);
		return true;
	case HW_GPU_COHERENCY_ENABLE:
		dev->coherency_enable = val;
		return true;
	case HW_GPU_MCU_CONTROL:
		/* No firmware: the MCU "boots" at once (DESIGN.md, GPU work). */
		dev->mcu_control = val;
		dev->mcu_status = val ? 1 : 0;
		hw__irq_raise_locked(dev, HW_IRQ_GPU, HW_GPU_IRQ_MCU_STATUS_CHANGED);
		return true;
	default:
		return false;
	}
}

/* ---------------------------------------------------------------------
 * Register behaviour: JOB_INT and MMU_INT blocks
 * ------------------------------------------------------------------- */

static uint32_t irq_block_read(struct hw_device *dev, enum hw_irq_line line, uint32_t reg,
			       bool *known)
{
	struct hw_irq_state *irq = &dev->irq[line];

	switch (reg) {
	case 0x0: return irq->rawstat;
	case 0x8: return irq->mask;
	case 0xc: return irq_asserted(irq);
	default:
		*known = false;		/* CLEAR is write-only */
		return 0;
	}
}

static bool irq_block_write(struct hw_device *dev, enum hw_irq_line line, uint32_t reg,
			    uint32_t val)
{
	struct hw_irq_state *irq = &dev->irq[line];

	switch (reg) {
	case 0x4:
		__atomic_store_n(&irq->rawstat, irq->rawstat & ~val, __ATOMIC_RELAXED);
		break;
	case 0x8:
		irq->mask = val;
		break;
	default:
		return false;		/* RAWSTAT and STAT are read-only */
	}
	hw__irq_changed_locked(dev, line);
	return true;
}

/* ---------------------------------------------------------------------
 * Decode
 * ------------------------------------------------------------------- */

static bool as_window(const struct hw_device *dev, uint32_t off, unsigned int *as, uint32_t *reg)
{
	if (off < HW_MMU_AS_BASE || off >= HW_MMU_AS(HW_MAX_AS))
		return false;
	*as = (off - HW_MMU_AS_BASE) / HW_MMU_AS_STRIDE;
	*reg = (off - HW_MMU_AS_BASE) % HW_MMU_AS_STRIDE;
	return dev->as[*as].present;
}

static bool queue_window(const struct hw_device *dev, uint32_t off, unsigned int *n, uint32_t *reg)
{
	if (off < HW_QUEUE_BASE || off >= HW_QUEUE(HW_MAX_QUEUE_SLOTS))
		return false;
	*n = (off - HW_QUEUE_BASE) / HW_QUEUE_STRIDE;
	*reg = (off - HW_QUEUE_BASE) % HW_QUEUE_STRIDE;
	return *n < dev->cfg.queue_slots;
}

static void unknown_register(struct hw_device *dev, uint32_t off, bool write, uint32_t val)
{
	u_dbg(MOD, "%s of unknown or unsupported register 0x%x (value 0x%x)",
	      write ? "write" : "read", off, val);
	hw__report(dev, HW_NOTE_UNKNOWN_REGISTER, -1, 0, 0, 0, off,
		   "%s of register offset 0x%x: not a register the model knows for this access "
		   "(reads 0, writes ignored)", write ? "write" : "read", off);
}

/*
 * The registers a driver polls, read without the device lock while their
 * next change is not due: AS_STATUS during a command's own time (AS_ACTIVE
 * reads 1 whatever else holds it), GPU_INT_RAWSTAT before the earliest
 * timed event (nothing else to apply). A poll loop then neither queues on
 * the lock nor delays the accesses and commands that need it.
 */
static bool mmio_read_unlocked(struct hw_device *dev, uint32_t off, uint32_t *val)
{
	unsigned int as;
	uint32_t reg;

	if (off == HW_GPU_INT_RAWSTAT) {
		if (hw__now_ns() >= __atomic_load_n(&dev->next_event_at, __ATOMIC_ACQUIRE))
			return false;
		*val = __atomic_load_n(&dev->irq[HW_IRQ_GPU].rawstat, __ATOMIC_RELAXED);
		return true;
	}
	if (as_window(dev, off, &as, &reg) && reg == HW_AS_STATUS) {
		uint64_t until = __atomic_load_n(&dev->as[as].active_until, __ATOMIC_RELAXED);

		if (!until || hw__now_ns() >= until)
			return false;
		*val = HW_AS_STATUS_AS_ACTIVE;
		return true;
	}
	return false;
}

uint32_t hw_mmio_read32(struct hw_device *dev, uint32_t off)
{
	bool known = true;
	unsigned int as;
	uint32_t reg;
	uint32_t val = 0;

	if (mmio_read_unlocked(dev, off, &val))
		return val;
	pthread_mutex_lock(&dev->lock);
	events_run_locked(dev, hw__now_ns());
	if (off & 3)
		known = false;
	else if (off < 0x1000)
		val = gpu_ctrl_read(dev, off, &known);
	else if (off >= HW_JOB_INT_RAWSTAT && off <= HW_JOB_INT_STAT)
		val = irq_block_read(dev, HW_IRQ_JOB, off - HW_JOB_INT_RAWSTAT, &known);
	else if (off >= HW_MMU_INT_RAWSTAT && off <= HW_MMU_INT_STAT)
		val = irq_block_read(dev, HW_IRQ_MMU, off - HW_MMU_INT_RAWSTAT, &known);
	else if (off == HW_QUEUE_PRESENT)
		val = (uint32_t)((1ull << dev->cfg.queue_slots) - 1);
	else if (queue_window(dev, off, &as, &reg))
		val = hw__queue_read(dev, as, reg, &known);
	else if (as_window(dev, off, &as, &reg))
		val = hw__mmu_read(dev, as, reg, &known);
	else if (off == HW_LATEST_FLUSH_ID)
		val = dev->latest_flush_id;
	else
		known = false;
	if (!known)
		unknown_register(dev, off, false, 0);
	pthread_mutex_unlock(&dev->lock);
	return val;
}

void hw_mmio_write32(struct hw_device *dev, uint32_t off, uint32_t val)
{
	bool known;
	unsigned int as;
	uint32_t reg;

	pthread_mutex_lock(&dev->lock);
	if (off & 3)
		known = false;
	else if (off < 0x1000)
		known = gpu_ctrl_write(dev, off, val);
	else if (off >= HW_JOB_INT_RAWSTAT && off <= HW_JOB_INT_STAT)
		known = irq_block_write(dev, HW_IRQ_JOB, off - HW_JOB_INT_RAWSTAT, val);
	else if (off >= HW_MMU_INT_RAWSTAT && off <= HW_MMU_INT_STAT)
		known = irq_block_write(dev, HW_IRQ_MMU, off - HW_MMU_INT_RAWSTAT, val);
	else if (queue_window(dev, off, &as, &reg))
		known = hw__queue_write(dev, as, reg, val);
	else if (as_window(dev, off, &as, &reg))
		known = hw__mmu_write(dev, as, reg, val);
	else
		known = false;
	if (!known)
		unknown_register(dev, off, true, val);
	pthread_mutex_unlock(&dev->lock);
}

void hw__gpu_bus_fault(struct hw_device *dev, phys_addr_t pa, enum hw_access_type type)
{
	pthread_mutex_lock(&dev->lock);
	if (!(dev->irq[HW_IRQ_GPU].rawstat & HW_GPU_IRQ_FAULT)) {
		dev->gpu_faultstatus = HW_EXC_GPU_BUS_FAULT | ((uint32_t)type << 8);
		dev->gpu_faultaddress = pa;
	}
	hw__irq_raise_locked(dev, HW_IRQ_GPU, HW_GPU_IRQ_FAULT);
	pthread_mutex_unlock(&dev->lock);
}

/* ---------------------------------------------------------------------
 * Interrupt delivery threads
 * ------------------------------------------------------------------- */

static void abs_time(struct timespec *ts, uint64_t ns)
{
	ts->tv_sec = (time_t)(ns / 1000000000ull);
	ts->tv_nsec = (long)(ns % 1000000000ull);
}

static void irq_progress(struct hw_device *dev, struct hw_irq_state *irq, uint32_t before)
{
	uint32_t after = irq_asserted(irq);

	if (!after || after != before) {
		irq->repeats = 0;
		irq->noted = false;
		return;
	}
	irq->repeats++;
	if (irq->repeats >= HW_IRQ_NOTE_REPEATS && !irq->noted) {
		irq->noted = true;
		hw__report(dev, HW_NOTE_IRQ_NOT_CLEARED, -1, 0, 0, 0, after,
			   "%s interrupt handler returned %lu times in a row with RAWSTAT & MASK = 0x%x "
			   "unchanged: it neither clears nor masks what it handles",
			   irq_names[irq->line], irq->repeats, after);
	}
}

static void *irq_thread(void *arg)
{
	struct hw_irq_state *irq = arg;
	struct hw_device *dev = irq->dev;
	struct timespec ts;

	pthread_mutex_lock(&dev->lock);
	while (!dev->stopping) {
		uint32_t asserted;
		uint64_t wake = UINT64_MAX;

		if (irq->line == HW_IRQ_GPU && dev->nr_events) {
			events_run_locked(dev, hw__now_ns());
			wake = events_next_observable_locked(dev);
		}
		asserted = irq_asserted(irq);
		if (irq->fn && asserted) {
			hw_irq_handler_fn fn = irq->fn;
			void *cookie = irq->cookie;

			irq->in_call = true;
			pthread_mutex_unlock(&dev->lock);
			fn(cookie);
			pthread_mutex_lock(&dev->lock);
			irq->in_call = false;
			pthread_cond_broadcast(&irq->cond);
			irq_progress(dev, irq, asserted);
			if (irq->repeats >= HW_IRQ_BACKOFF_REPEATS && !dev->stopping) {
				/* A stuck handler: keep calling it, but not in a tight loop. */
				abs_time(&ts, hw__now_ns() + 100000);
				pthread_cond_timedwait(&irq->cond, &dev->lock, &ts);
			}
			continue;
		}
		irq->sleeping = true;
		irq->sleep_until = wake;
		if (wake != UINT64_MAX) {
			abs_time(&ts, wake);
			pthread_cond_timedwait(&irq->cond, &dev->lock, &ts);
		} else {
			pthread_cond_wait(&irq->cond, &dev->lock);
		}
		irq->sleeping = false;
	}
	pthread_mutex_unlock(&dev->lock);
	return NULL;
}

int hw_irq_register(struct hw_device *dev, enum hw_irq_line line, hw_irq_handler_fn fn, void *cookie)
{
	int ret = 0;

	if ((unsigned int)line >= HW_IRQ_COUNT || !fn)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	if (dev->irq[line].fn) {
		ret = -EBUSY;
	} else {
		dev->irq[line].fn = fn;
		dev->irq[line].cookie = cookie;
		dev->irq[line].repeats = 0;
		dev->irq[line].noted = false;
		hw__irq_changed_locked(dev, line);
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

void hw_irq_unregister(struct hw_device *dev, enum hw_irq_line line)
{
	struct hw_irq_state *irq;

	if ((unsigned int)line >= HW_IRQ_COUNT)
		return;
	irq = &dev->irq[line];
	pthread_mutex_lock(&dev->lock);
	irq->fn = NULL;
	irq->cookie = NULL;
	/* From inside the handler itself there is nothing to wait for. */
	while (irq->in_call && !pthread_equal(pthread_self(), irq->thread))
		pthread_cond_wait(&irq->cond, &dev->lock);
	pthread_mutex_unlock(&dev->lock);
}

void hw_knob_flush_never_completes(struct hw_device *dev, bool on)
{
	pthread_mutex_lock(&dev->lock);
	dev->knob_flush_never = on;
	pthread_mutex_unlock(&dev->lock);
}

/* ---------------------------------------------------------------------
 * Create / destroy
 * ------------------------------------------------------------------- */

static void stop_threads(struct hw_device *dev)
{
	pthread_mutex_lock(&dev->lock);
	dev->stopping = true;
	for (int l = 0; l < HW_IRQ_COUNT; l++)
		pthread_cond_broadcast(&dev->irq[l].cond);
	for (unsigned int a = 0; a < HW_MAX_AS; a++)
		if (dev->as[a].present)
			pthread_cond_broadcast(&dev->as[a].cond);
	pthread_mutex_unlock(&dev->lock);
	for (int l = 0; l < HW_IRQ_COUNT; l++) {
		if (dev->irq[l].started)
			pthread_join(dev->irq[l].thread, NULL);
		dev->irq[l].started = false;
	}
}

struct hw_device *hw_device_create(const struct hw_config *cfg)
{
	static uint64_t next_uid;
	struct hw_device *dev;
	unsigned int levels;
	int ret;

	ret = config_check(cfg);
	if (ret)
		return ERR_PTR(ret);
	ret = mm_arena_init(0);
	if (ret)
		return ERR_PTR(ret);

	dev = u_zalloc(sizeof(*dev));
	if (!dev)
		return ERR_PTR(-ENOMEM);
	dev->uid = __atomic_add_fetch(&next_uid, 1, __ATOMIC_RELAXED);
	dev->next_event_at = UINT64_MAX;	/* no timed event */
	dev->direct_map = mm__direct_map;
	dev->frames = mm__frames;
	dev->fast_flags = HW_FAST_CHECK;
	dev->cfg = *cfg;
	dev->va_bits = HW_GPU_MMU_FEATURES_VA_BITS(cfg->mmu_features);
	dev->pa_bits = HW_GPU_MMU_FEATURES_PA_BITS(cfg->mmu_features);
	levels = (dev->va_bits - 12 + 8) / 9;
	dev->start_level = 4 - levels;
	dev->coherency_enable = 31;	/* "no coherency" until the driver picks one */
	dev->flush_page_fd = -1;
	pthread_mutex_init(&dev->lock, NULL);
	pthread_mutex_init(&dev->agents_lock, NULL);

	ret = hw__mmu_init(dev);
	if (ret)
		goto err_free;
	ret = hw__agents_init(dev);
	if (ret)
		goto err_mmu;
	ret = hw__checker_init(dev);
	if (ret)
		goto err_agents;
	ret = hw__queues_init(dev);
	if (ret)
		goto err_checker;

	for (int l = 0; l < HW_IRQ_COUNT; l++) {
		dev->irq[l].dev = dev;
		dev->irq[l].line = l;
		ret = u_cond_init_monotonic(&dev->irq[l].cond);
		if (ret) {
			for (int k = 0; k < l; k++)
				pthread_cond_destroy(&dev->irq[k].cond);
			goto err_queues;
		}
	}
	for (int l = 0; l < HW_IRQ_COUNT; l++) {
		ret = u_thread_create(&dev->irq[l].thread, irq_thread, &dev->irq[l], "pm-irq");
		if (ret) {
			u_err(MOD, "cannot start the %s interrupt thread: %d", irq_names[l], ret);
			goto err_threads;
		}
		dev->irq[l].started = true;
	}
	hw__registry_add(dev);
	u_info(MOD, "device %llu: GPU_ID 0x%08x, %u-bit VA, %u-bit PA, AS_PRESENT 0x%x, %s, "
	       "TLB %u entries per unit per AS, %u queue slots", (unsigned long long)dev->uid,
	       cfg->gpu_id, dev->va_bits, dev->pa_bits, cfg->as_present,
	       cfg->coherent ? "IO-coherent" : "not IO-coherent", cfg->tlb_entries,
	       cfg->queue_slots);
	return dev;

err_threads:
	stop_threads(dev);
	for (int l = 0; l < HW_IRQ_COUNT; l++)
		pthread_cond_destroy(&dev->irq[l].cond);
err_queues:
	hw__queues_fini(dev);
err_checker:
	hw__checker_fini(dev);
err_agents:
	hw__agents_fini(dev);
err_mmu:
	hw__mmu_fini(dev);
err_free:
	pthread_mutex_destroy(&dev->agents_lock);
	pthread_mutex_destroy(&dev->lock);
	u_free(dev);
	return ERR_PTR(ret);
}

void hw_device_destroy(struct hw_device *dev)
{
	if (!dev)
		return;
	hw__registry_del(dev);
	/* The IRQ threads first: stop_threads() also wakes accesses stalled on
	 * a locked region, which an executor may be in. */
	stop_threads(dev);
	hw__queues_stop(dev);
	for (int l = 0; l < HW_IRQ_COUNT; l++)
		pthread_cond_destroy(&dev->irq[l].cond);
	hw__queues_fini(dev);
	hw__checker_fini(dev);
	hw__agents_fini(dev);
	hw__mmu_fini(dev);
	if (dev->flush_page)
		munmap(dev->flush_page, HW_FLUSH_ID_PAGE_SIZE);
	if (dev->flush_page_fd >= 0)
		close(dev->flush_page_fd);
	pthread_mutex_destroy(&dev->agents_lock);
	pthread_mutex_destroy(&dev->lock);
	u_free(dev);
}

int hw_flush_id_page_fd(struct hw_device *dev)
{
	uint32_t *page;
	int fd, ret;

	pthread_mutex_lock(&dev->lock);
	if (dev->flush_page_fd >= 0) {
		fd = dev->flush_page_fd;
		pthread_mutex_unlock(&dev->lock);
		return fd;
	}
	fd = memfd_create("pantomime-flush-id", MFD_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto err_unlock;
	}
	if (ftruncate(fd, HW_FLUSH_ID_PAGE_SIZE)) {
		ret = -errno;
		goto err_close;
	}
	page = mmap(NULL, HW_FLUSH_ID_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED) {
		ret = -errno;
		goto err_close;
	}
	__atomic_store_n(page, dev->latest_flush_id, __ATOMIC_RELEASE);
	dev->flush_page = page;
	dev->flush_page_fd = fd;
	/* Pending flushes are now visible through the page: apply them on time. */
	hw__irq_changed_locked(dev, HW_IRQ_GPU);
	pthread_mutex_unlock(&dev->lock);
	return fd;

err_close:
	close(fd);
err_unlock:
	pthread_mutex_unlock(&dev->lock);
	u_err(MOD, "cannot create the flush-ID page: %d", ret);
	return ret;
}
