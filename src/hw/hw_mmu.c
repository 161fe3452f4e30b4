// SPDX-License-Identifier: MIT
/*
 * DOC: address spaces: registers, commands, AS_ACTIVE, lock regions, faults
 *
 * Each present AS has a register window (reference/mmu-pgtable.md §3.1):
 * TRANSTAB, MEMATTR, LOCKADDR and TRANSCFG hold what the driver wrote;
 * UPDATE copies TRANSTAB/MEMATTR/TRANSCFG into the *latched* configuration
 * that translation uses, so writing the registers alone changes nothing.
 *
 * Commands (§3.3) execute at once in the model; what takes time is
 * AS_STATUS.AS_ACTIVE:
 *
 *   write COMMAND ──► effect is immediate (new accesses see it)
 *        │            done_at = now + as_cmd_ns; drain set = units with an
 *        │            access in flight (LOCK, UPDATE)
 *        ▼
 *   read STATUS ──► AS_ACTIVE = 1 while now < done_at, or a unit of the
 *                   drain set is still inside that access; the first read
 *                   returning 0 marks the command "seen clear".
 *
 * A command written before the previous one was seen clear is violation
 * (e), whatever the thread timing: it depends only on the order of the
 * driver's own MMIO accesses, so it is deterministic. It still executes.
 *
 * LOCK decodes LOCKADDR (width in bits [5:0], region 2^(width+1) bytes,
 * base aligned down to that size, 32 KiB minimum: widths below 14 lock
 * 32 KiB). From then on an access inside the region sleeps until UNLOCK
 * (hw_access.c), while accesses outside go on. UNLOCK invalidates the TLB
 * entries overlapping the region, exactly those: a stale entry outside it
 * stays, as on hardware, which is what rule (b) needs. FLUSH_PT and
 * FLUSH_MEM are a cache flush followed by UNLOCK (they bump
 * LATEST_FLUSH_ID like any flush).
 *
 * TLB invalidation reaches the GPU units without a lock on their fast path:
 * each AS has a generation, published in its state word, and a ring of the
 * last HW_INVAL_RING invalidations; a unit whose generation is behind
 * applies the records it missed (or flushes everything if it missed more
 * than the ring holds) before its next translation.
 *
 * Faults latch FAULTSTATUS = exception | access type << 8 | source << 16
 * and FAULTADDRESS only when no fault is pending (the first fault wins; a
 * pending fault is one that stopped the AS and has not been cleared by an
 * UPDATE), raise the AS's bit in MMU_INT_RAWSTAT and stop the AS: every
 * later access returns -EIO until the driver re-programs it with UPDATE.
 */
#include "hw_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/u_log.h"
#include "util/u_thread.h"

#define MOD "hw"

static const char *const cmd_names[] = {
	[HW_AS_COMMAND_NOP] = "NOP",
	[HW_AS_COMMAND_UPDATE] = "UPDATE",
	[HW_AS_COMMAND_LOCK] = "LOCK",
	[HW_AS_COMMAND_UNLOCK] = "UNLOCK",
	[HW_AS_COMMAND_FLUSH_PT] = "FLUSH_PT",
	[HW_AS_COMMAND_FLUSH_MEM] = "FLUSH_MEM",
};

const char *hw__as_cmd_name(uint32_t cmd)
{
	return cmd < ARRAY_SIZE(cmd_names) ? cmd_names[cmd] : "unknown";
}

int hw__mmu_init(struct hw_device *dev)
{
	for (unsigned int i = 0; i < HW_MAX_AS; i++) {
		struct hw_as *a = &dev->as[i];
		int ret;

		a->state = &dev->as_state[i];	/* non-present ones too: always 0 */
		if (!(dev->cfg.as_present & (1u << i)))
			continue;
		ret = -u_cond_init_monotonic(&a->cond);
		if (ret) {
			for (unsigned int k = 0; k < i; k++)
				if (dev->as[k].present)
					pthread_cond_destroy(&dev->as[k].cond);
			for (unsigned int k = 0; k < i; k++)
				dev->as[k].present = false;
			return -ret;
		}
		a->present = true;
		snprintf(a->last_cmd, sizeof(a->last_cmd), "none since power-on");
	}
	return 0;
}

void hw__mmu_fini(struct hw_device *dev)
{
	for (unsigned int i = 0; i < HW_MAX_AS; i++) {
		if (dev->as[i].present)
			pthread_cond_destroy(&dev->as[i].cond);
		dev->as[i].present = false;
	}
}

static void state_store(struct hw_as *a, uint32_t flags)
{
	__atomic_store_n(a->state, (a->gen << HW_AS_STATE_GEN_SHIFT) | flags, __ATOMIC_RELEASE);
}

static uint32_t state_flags(const struct hw_as *a)
{
	return (uint32_t)(__atomic_load_n(a->state, __ATOMIC_RELAXED) & 0xff);
}

void hw__as_set_flags_locked(struct hw_device *dev, unsigned int as, uint32_t set, uint32_t clear)
{
	struct hw_as *a = &dev->as[as];

	state_store(a, (state_flags(a) & ~clear) | set);
}

void hw__as_invalidate_locked(struct hw_device *dev, unsigned int as, uint64_t start, uint64_t last)
{
	struct hw_as *a = &dev->as[as];
	struct hw_inval *rec;

	a->gen++;
	rec = &a->inval[a->gen % HW_INVAL_RING];
	rec->gen = a->gen;
	rec->start = start;
	rec->last = last;
	state_store(a, state_flags(a));
}

void hw__lockaddr_decode(uint64_t lockaddr, uint64_t *start, uint64_t *last)
{
	unsigned int width = (unsigned int)(lockaddr & HW_AS_LOCKADDR_WIDTH_MASK);
	unsigned int log2;
	uint64_t size;

	/*
	 * Region of 2^(width + 1) bytes. Below 32 KiB (width < 14) the model
	 * locks 32 KiB: Bifrost and later lock at least that much
	 * (reference/mmu-pgtable.md §3.4); the hardware's exact handling of
	 * smaller widths is UNCONFIRMED. The base is aligned down to the region
	 * size: the hardware ignores the low base bits (panthor-uapi-mmu.md
	 * §2.2, the unaligned-start quirk).
	 */
	if (width < 14)
		width = 14;
	log2 = width + 1;
	if (log2 >= 64) {
		*start = 0;
		*last = UINT64_MAX;
		return;
	}
	size = 1ull << log2;
	*start = lockaddr & HW_AS_LOCKADDR_BASE_MASK & ~(size - 1);
	*last = *start + size - 1;
}

/* ---------------------------------------------------------------------
 * AS_STATUS
 * ------------------------------------------------------------------- */

static uint32_t as_status_read(struct hw_device *dev, unsigned int as)
{
	struct hw_as *a = &dev->as[as];

	if (a->knob_stuck)
		return HW_AS_STATUS_AS_ACTIVE;
	if (!a->cmd_pending)
		return 0;
	if (hw__now_ns() < a->cmd_done_at)
		return HW_AS_STATUS_AS_ACTIVE;
	if (a->drain_mask && !hw__drained_locked(dev, as))
		return HW_AS_STATUS_AS_ACTIVE;
	a->cmd_pending = false;
	__atomic_store_n(&a->active_until, 0, __ATOMIC_RELAXED);
	return 0;
}

/* ---------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------- */

static void as_update(struct hw_device *dev, unsigned int as)
{
	struct hw_as *a = &dev->as[as];
	uint32_t mode;
	uint32_t set = 0;

	if (state_flags(a) & HW_ASF_LOCKED)
		hw__report(dev, HW_VIOL_UPDATE_WHILE_LOCKED, (int)as, a->lock_start, 0, 0,
			   a->lock_last - a->lock_start + 1,
			   "UPDATE while the region [0x%llx, 0x%llx] is locked: the driver must "
			   "UNLOCK (or flush) before re-programming the AS (the lock stays)",
			   (unsigned long long)a->lock_start, (unsigned long long)a->lock_last);

	a->transtab = a->reg_transtab;
	a->memattr = a->reg_memattr;
	a->transcfg = a->reg_transcfg;
	mode = (uint32_t)(a->transcfg & HW_AS_TRANSCFG_ADRMODE_MASK);
	memset(&a->ctx, 0, sizeof(a->ctx));
	switch (mode) {
	case HW_AS_TRANSCFG_ADRMODE_AARCH64_4K:
		set = HW_ASF_ENABLED;
		/* Bits [3:0] of TRANSTAB are not address bits (kbase masks them). */
		a->ctx.root = a->transtab & ~0xfull;
		a->ctx.transcfg = a->transcfg;
		a->ctx.memattr = a->memattr;
		a->ctx.start_level = dev->start_level;
		break;
	case HW_AS_TRANSCFG_ADRMODE_IDENTITY:
		set = HW_ASF_IDENTITY;
		break;
	case HW_AS_TRANSCFG_ADRMODE_UNMAPPED:
		break;
	default:
		u_warn(MOD, "AS%u: TRANSCFG ADRMODE %u is not modelled: translation disabled", as, mode);
		break;
	}
	hw__as_invalidate_locked(dev, as, 0, UINT64_MAX);
	hw__as_set_flags_locked(dev, as, set,
				HW_ASF_ENABLED | HW_ASF_IDENTITY | HW_ASF_STOPPED | HW_ASF_DIRTY);
	hw__checker_update_locked(dev, as);
	pthread_cond_broadcast(&a->cond);
	hw__drain_snapshot_locked(dev, as, 0, UINT64_MAX);
}

static void as_lock(struct hw_device *dev, unsigned int as)
{
	struct hw_as *a = &dev->as[as];
	uint64_t start, last;

	hw__lockaddr_decode(a->reg_lockaddr, &start, &last);
	if (state_flags(a) & HW_ASF_LOCKED) {
		if (start > a->lock_start || last < a->lock_last)
			hw__report(dev, HW_VIOL_LOCK_WHILE_LOCKED, (int)as, start, 0,
				   a->lock_start, start,
				   "LOCK [0x%llx, 0x%llx] while [0x%llx, 0x%llx] is locked and not inside "
				   "the new region (only widening is allowed); the new region replaces it",
				   (unsigned long long)start, (unsigned long long)last,
				   (unsigned long long)a->lock_start, (unsigned long long)a->lock_last);
	}
	hw__lock_region_set_locked(a, start, last);
	hw__as_set_flags_locked(dev, as, HW_ASF_LOCKED, 0);
	hw__drain_snapshot_locked(dev, as, start, last);	/* only accesses that may touch the region */
}

static void as_unlock(struct hw_device *dev, unsigned int as, uint32_t cmd)
{
	struct hw_as *a = &dev->as[as];
	uint64_t start = a->lock_start, last = a->lock_last;

	if (!(state_flags(a) & HW_ASF_LOCKED)) {
		/* Nothing to release or invalidate: a spare UNLOCK (after a fault or
		 * a slot recycle already unlocked) is harmless on hardware. */
		hw__report(dev, HW_NOTE_SPARE_UNLOCK, (int)as, 0, 0, 0, 0,
			   "%s with no region locked", hw__as_cmd_name(cmd));
		return;
	}
	hw__as_set_flags_locked(dev, as, 0, HW_ASF_LOCKED);
	hw__as_invalidate_locked(dev, as, start, last);
	hw__checker_unlock_locked(dev, as, start, last);
	pthread_cond_broadcast(&a->cond);
}

static void format_cmd(struct hw_device *dev, unsigned int as, uint32_t cmd, char *buf, size_t len)
{
	struct hw_as *a = &dev->as[as];
	uint64_t start, last;

	switch (cmd) {
	case HW_AS_COMMAND_UPDATE:
		snprintf(buf, len, "UPDATE TRANSTAB 0x%llx TRANSCFG 0x%llx",
			 (unsigned long long)a->reg_transtab, (unsigned long long)a->reg_transcfg);
		break;
	case HW_AS_COMMAND_LOCK:
		hw__lockaddr_decode(a->reg_lockaddr, &start, &last);
		snprintf(buf, len, "LOCK [0x%llx, 0x%llx] (LOCKADDR 0x%llx)",
			 (unsigned long long)start, (unsigned long long)last,
			 (unsigned long long)a->reg_lockaddr);
		break;
	case HW_AS_COMMAND_UNLOCK:
	case HW_AS_COMMAND_FLUSH_PT:
	case HW_AS_COMMAND_FLUSH_MEM:
		if (state_flags(a) & HW_ASF_LOCKED)
			snprintf(buf, len, "%s [0x%llx, 0x%llx]", hw__as_cmd_name(cmd),
				 (unsigned long long)a->lock_start, (unsigned long long)a->lock_last);
		else
			snprintf(buf, len, "%s (nothing locked)", hw__as_cmd_name(cmd));
		break;
	default:
		snprintf(buf, len, "%s (%u)", hw__as_cmd_name(cmd), cmd);
		break;
	}
}

static bool as_command(struct hw_device *dev, unsigned int as, uint32_t cmd)
{
	struct hw_as *a = &dev->as[as];
	char text[96];

	if (cmd > HW_AS_COMMAND_FLUSH_MEM)
		return false;
	format_cmd(dev, as, cmd, text, sizeof(text));
	u_dbg(MOD, "AS%u: %s", as, text);
	if (a->cmd_pending)
		hw__report(dev, HW_VIOL_CMD_WHILE_ACTIVE, (int)as, 0, 0, 0, cmd,
			   "%s written before AS_ACTIVE was seen clear after the previous command "
			   "(poll AS_STATUS until it reads 0)", text);
	a->drain_mask = 0;
	switch (cmd) {
	case HW_AS_COMMAND_NOP:
		break;
	case HW_AS_COMMAND_UPDATE:
		as_update(dev, as);
		break;
	case HW_AS_COMMAND_LOCK:
		as_lock(dev, as);
		break;
	case HW_AS_COMMAND_UNLOCK:
		as_unlock(dev, as, cmd);
		break;
	case HW_AS_COMMAND_FLUSH_PT:
		hw__flush_id_bump_locked(dev);
		as_unlock(dev, as, cmd);
		break;
	case HW_AS_COMMAND_FLUSH_MEM:
		/* "Wait for outstanding memory accesses": AS_ACTIVE drains them. */
		hw__flush_id_bump_locked(dev);
		as_unlock(dev, as, cmd);
		hw__drain_snapshot_locked(dev, as, 0, UINT64_MAX);
		break;
	}
	a->cmd_pending = true;
	a->cmd_done_at = hw__now_ns() + dev->cfg.as_cmd_ns;
	__atomic_store_n(&a->active_until, a->cmd_done_at, __ATOMIC_RELAXED);
	hw__checker_set_last_cmd(dev, as, text);
	return true;
}

/* ---------------------------------------------------------------------
 * Faults
 * ------------------------------------------------------------------- */

bool hw__as_fault_locked(struct hw_device *dev, unsigned int as, uint64_t va, uint32_t exc,
			 enum hw_access_type type, unsigned int source)
{
	struct hw_as *a = &dev->as[as];

	if (state_flags(a) & HW_ASF_STOPPED)
		return false;
	a->faultstatus = (exc & 0xff) | ((uint32_t)type << 8) | ((source & 0xffff) << 16);
	a->faultaddress = va;
	a->faultextra = 0;
	hw__as_set_flags_locked(dev, as, HW_ASF_STOPPED, 0);
	hw__irq_raise_locked(dev, HW_IRQ_MMU, HW_MMU_PAGE_FAULT(as));
	pthread_cond_broadcast(&a->cond);
	u_dbg(MOD, "AS%u: fault 0x%x at VA 0x%llx (access %d, source %u)", as, exc,
	      (unsigned long long)va, type, source);
	return true;
}

/* ---------------------------------------------------------------------
 * Register decode of an AS window
 * ------------------------------------------------------------------- */

static void set_half(uint64_t *reg, bool hi, uint32_t val)
{
	if (hi)
		*reg = (*reg & 0xffffffffull) | ((uint64_t)val << 32);
	else
		*reg = (*reg & ~0xffffffffull) | val;
}

uint32_t hw__mmu_read(struct hw_device *dev, unsigned int as, uint32_t reg, bool *known)
{
	struct hw_as *a = &dev->as[as];

	switch (reg) {
	case HW_AS_TRANSTAB_LO: return (uint32_t)a->reg_transtab;
	case HW_AS_TRANSTAB_HI: return (uint32_t)(a->reg_transtab >> 32);
	case HW_AS_MEMATTR_LO: return (uint32_t)a->reg_memattr;
	case HW_AS_MEMATTR_HI: return (uint32_t)(a->reg_memattr >> 32);
	case HW_AS_LOCKADDR_LO: return (uint32_t)a->reg_lockaddr;
	case HW_AS_LOCKADDR_HI: return (uint32_t)(a->reg_lockaddr >> 32);
	case HW_AS_FAULTSTATUS: return a->faultstatus;
	case HW_AS_FAULTADDRESS_LO: return (uint32_t)a->faultaddress;
	case HW_AS_FAULTADDRESS_HI: return (uint32_t)(a->faultaddress >> 32);
	case HW_AS_STATUS: return as_status_read(dev, as);
	case HW_AS_TRANSCFG_LO: return (uint32_t)a->reg_transcfg;
	case HW_AS_TRANSCFG_HI: return (uint32_t)(a->reg_transcfg >> 32);
	case HW_AS_FAULTEXTRA_LO: return (uint32_t)a->faultextra;
	case HW_AS_FAULTEXTRA_HI: return (uint32_t)(a->faultextra >> 32);
	default:
		*known = false;		/* COMMAND is write-only */
		return 0;
	}
}

bool hw__mmu_write(struct hw_device *dev, unsigned int as, uint32_t reg, uint32_t val)
{
	struct hw_as *a = &dev->as[as];

	switch (reg) {
	case HW_AS_TRANSTAB_LO:
	case HW_AS_TRANSTAB_HI:
		set_half(&a->reg_transtab, reg == HW_AS_TRANSTAB_HI, val);
		return true;
	case HW_AS_MEMATTR_LO:
	case HW_AS_MEMATTR_HI:
		set_half(&a->reg_memattr, reg == HW_AS_MEMATTR_HI, val);
		return true;
	case HW_AS_LOCKADDR_LO:
	case HW_AS_LOCKADDR_HI:
		set_half(&a->reg_lockaddr, reg == HW_AS_LOCKADDR_HI, val);
		return true;
	case HW_AS_TRANSCFG_LO:
	case HW_AS_TRANSCFG_HI:
		set_half(&a->reg_transcfg, reg == HW_AS_TRANSCFG_HI, val);
		return true;
	case HW_AS_COMMAND:
		return as_command(dev, as, val);
	default:
		return false;
	}
}

/* ---------------------------------------------------------------------
 * Reset and knobs
 * ------------------------------------------------------------------- */

void hw__mmu_reset_locked(struct hw_device *dev)
{
	for (unsigned int i = 0; i < HW_MAX_AS; i++) {
		struct hw_as *a = &dev->as[i];

		if (!a->present)
			continue;
		a->reg_transtab = a->reg_memattr = a->reg_lockaddr = a->reg_transcfg = 0;
		a->transtab = a->memattr = a->transcfg = 0;
		memset(&a->ctx, 0, sizeof(a->ctx));
		a->faultstatus = 0;
		a->faultaddress = 0;
		a->faultextra = 0;
		hw__lock_region_set_locked(a, 0, 0);
		a->cmd_pending = false;
		__atomic_store_n(&a->active_until, 0, __ATOMIC_RELAXED);
		a->drain_mask = 0;
		/* A reset recovers the injected failures too: that is what a driver's
		 * reset path is for. */
		a->knob_stuck = false;
		a->knob_fault_exc = 0;
		hw__as_invalidate_locked(dev, i, 0, UINT64_MAX);
		state_store(a, 0);
		hw__checker_update_locked(dev, i);
		hw__checker_set_last_cmd(dev, i, "GPU reset");
		pthread_cond_broadcast(&a->cond);
	}
	dev->knob_flush_never = false;
}

void hw_knob_stuck_as_active(struct hw_device *dev, unsigned int as, bool stuck)
{
	if (as >= HW_MAX_AS || !dev->as[as].present)
		return;
	pthread_mutex_lock(&dev->lock);
	dev->as[as].knob_stuck = stuck;
	pthread_mutex_unlock(&dev->lock);
}

void hw_knob_fault_next_access(struct hw_device *dev, unsigned int as, uint32_t exception_type)
{
	if (as >= HW_MAX_AS || !dev->as[as].present)
		return;
	pthread_mutex_lock(&dev->lock);
	dev->as[as].knob_fault_exc = exception_type;
	hw__as_set_flags_locked(dev, as, HW_ASF_KNOB_FAULT, 0);
	pthread_mutex_unlock(&dev->lock);
}
