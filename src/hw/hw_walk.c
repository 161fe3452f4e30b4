// SPDX-License-Identifier: MIT
/*
 * DOC: the table walker and the TLB
 *
 * The model's own reading of the AArch64 stage-1 descriptor format with a
 * 4 KiB granule (reference/mmu-pgtable.md §1): it shares no code with
 * src/pgtable, so a bug there is not mirrored here.
 *
 *   level  VA bits   one entry maps   leaf type
 *     0    [47:39]   512 GiB          none (table only)
 *     1    [38:30]   1 GiB            block (01)
 *     2    [29:21]   2 MiB            block (01)
 *     3    [20:12]   4 KiB            page (11); 01 is reserved
 *
 * The walk starts at the level the VA size implies (48 bits: level 0;
 * 39: level 1) and reads each descriptor from the frame's direct map with
 * a relaxed 8-byte atomic load: the driver writes tables concurrently, and
 * a descriptor is single-copy atomic on the real bus too.
 *
 * Checks, in the architecture's priority order: the input address fits
 * the VA size (else 0xE0); every table and output address fits the PA
 * size (0xE4 + level); a table lies in memory (else a translation-table
 * bus fault, 0xD0 + level); an invalid or reserved descriptor is a
 * translation fault at its level (0xC0 + level); a leaf with AF clear is
 * an access-flag fault (0xD8 + level) unless TRANSCFG.DISABLE_AF_FAULT;
 * a leaf whose AttrIndx selects a MEMATTR byte of type FAULT (3 << 6) is a
 * memory-attribute fault (0xE8 + level); then permissions (hw__perm_exc(),
 * 0xC8 + level). The level reported is
 * the level of the descriptor that caused the fault: the references do not
 * say which level the hardware reports (UNCONFIRMED), this is the
 * architecture's rule for stage-1 faults.
 *
 * Permissions: GPU accesses are unprivileged. AP[1] (bit 6, "unprivileged
 * access") clear means no access at all; AP[2] (bit 7) read-only refuses
 * writes and atomics; bit 54 (UXN) refuses instruction fetches. PXN (bit
 * 53) is ignored: it governs privileged fetches, which the GPU does not
 * make (io-pgtable sets both bits for IOMMU_NOEXEC, kbase only bit 54, so
 * both drivers' no-exec mappings fault on execute here). Hierarchical
 * attributes in table descriptors (APTable, XNTable) are ignored: neither
 * io-pgtable nor panthor sets them.
 *
 * The checker rides along when asked (hw__walk(check = true)):
 *  (c) every table frame visited must be allocated and owned by the page
 *      table allocator (MM_OWNER_PGTABLE);
 *  (a) on a non-coherent device, a descriptor of a tracked table that
 *      differs from its last synced copy means the GPU used a change the
 *      driver has not cleaned to memory yet; a descriptor found below a
 *      table pointer installed but not yet synced counts the same. The
 *      one difference that is not a change of translation is an empty
 *      entry that became a table pointer (its table is seen entry by entry).
 *
 * The TLB of a GPU unit is direct-mapped and indexed by VA bits [..:12]; an
 * entry holds the block it came from (4 KiB, 2 MiB or 1 GiB), so a block
 * fills one entry per 4 KiB page touched — the same translation cached
 * several times, which is harmless and keeps the lookup to one compare.
 */
#include "hw_internal.h"

#include <string.h>

#include "util/u_log.h"

uint32_t hw__perm_exc(uint32_t perm, enum hw_access_type type, unsigned int level)
{
	uint32_t need;

	switch (type) {
	case HW_ACCESS_READ:
		need = HW_PERM_R;
		break;
	case HW_ACCESS_EXECUTE:
		need = HW_PERM_X;
		break;
	default:	/* write, atomic */
		need = HW_PERM_R | HW_PERM_W;
		break;
	}
	return (perm & need) == need ? 0 : HW_EXC_PERMISSION_FAULT(level);
}

static uint32_t leaf_perm(uint64_t d)
{
	uint32_t perm = 0;

	if (d & HW_PTE_AP_UNPRIV) {
		perm |= HW_PERM_R;
		if (!(d & HW_PTE_AP_RDONLY))
			perm |= HW_PERM_W;
		if (!(d & HW_PTE_UXN))
			perm |= HW_PERM_X;
	}
	return perm;
}

static bool table_frame_ok(phys_addr_t pa)
{
	const struct mm_frame *f = mm_frame(pa);

	return __atomic_load_n(&f->state, __ATOMIC_RELAXED) == MM_FRAME_ALLOCATED &&
	       __atomic_load_n(&f->owner_kind, __ATOMIC_RELAXED) == MM_OWNER_PGTABLE;
}

static const char *state_name(unsigned int s)
{
	switch (s) {
	case MM_FRAME_UNUSED: return "never allocated";
	case MM_FRAME_FREE: return "free";
	case MM_FRAME_ALLOCATED: return "allocated";
	default: return "?";
	}
}

static const char *owner_name(unsigned int k)
{
	switch (k) {
	case MM_OWNER_NONE: return "no owner";
	case MM_OWNER_PGTABLE: return "page table";
	case MM_OWNER_BO: return "BO";
	case MM_OWNER_DUMMY: return "dummy";
	case MM_OWNER_FIRMWARE: return "firmware";
	default: return "?";
	}
}

void hw__walk(struct hw_device *dev, const struct hw_walk_ctx *ctx, uint64_t va, bool check,
	      unsigned int as, struct hw_walk *w)
{
	bool track = check && !dev->cfg.coherent && ctx->epoch;
	bool unsynced_path = false, reported_c = false, reported_a = false;
	phys_addr_t table = ctx->root;
	uint64_t pa_limit = 1ull << dev->pa_bits;

	memset(w, 0, sizeof(*w));
	if (va >> dev->va_bits) {
		w->exc = HW_EXC_ADDR_SIZE_FAULT_IN;
		return;
	}
	if (table >= pa_limit) {
		w->exc = HW_EXC_ADDR_SIZE_FAULT_OUT(0);
		return;
	}
	for (unsigned int level = ctx->start_level; level <= 3; level++) {
		unsigned int shift = hw__desc_level_shift(level);
		phys_addr_t desc_pa = table + ((va >> shift) & 511) * 8;
		enum hw_desc_kind kind;
		uint64_t d;

		w->level = level;
		w->desc_pa = desc_pa;
		if (!mm_pa_valid(table) || !mm_pa_valid(desc_pa)) {
			w->exc = HW_EXC_TRANSTAB_BUS_FAULT(level);
			return;
		}
		if (check && !reported_c && !table_frame_ok(desc_pa)) {
			const struct mm_frame *f = mm_frame(desc_pa);

			reported_c = true;
			hw__report(dev, HW_VIOL_WALK_NOT_TABLE, (int)as, va, desc_pa & ~0xfffull,
				   MM_OWNER_PGTABLE, f->owner_kind,
				   "level-%u walk read a descriptor from frame 0x%llx, which is %s and "
				   "owned by %s (id %u), not a live page-table frame", level,
				   (unsigned long long)(desc_pa & ~0xfffull),
				   state_name(__atomic_load_n(&f->state, __ATOMIC_RELAXED)),
				   owner_name(__atomic_load_n(&f->owner_kind, __ATOMIC_RELAXED)),
				   __atomic_load_n(&f->owner_id, __ATOMIC_RELAXED));
		}
		d = __atomic_load_n((const uint64_t *)mm_pa_to_virt(desc_pa), __ATOMIC_RELAXED);
		w->desc = d;
		kind = hw__desc_kind(d, level);

		if (track && !reported_a) {
			if (hw__checker_ptinfo_epoch(dev, desc_pa) == ctx->epoch) {
				uint64_t s = hw__checker_shadow(dev, desc_pa);

				if ((s ^ d) & ~HW_PTE_SW_MASK) {
					if (hw__desc_kind(s, level) == HW_DESC_INVALID &&
					    kind == HW_DESC_TABLE) {
						unsynced_path = true;
					} else {
						reported_a = true;
						hw__report(dev, HW_VIOL_UNLOCKED_CHANGE, (int)as, va,
							   desc_pa, s, d,
							   "GPU walk used a level-%u descriptor that changed "
							   "from 0x%llx to 0x%llx but was never synced "
							   "(hw_dma_sync_for_device) before the access",
							   level, (unsigned long long)s,
							   (unsigned long long)d);
					}
				}
			} else if (unsynced_path && kind == HW_DESC_LEAF) {
				reported_a = true;
				hw__report(dev, HW_VIOL_UNLOCKED_CHANGE, (int)as, va, desc_pa, 0, d,
					   "GPU walk reached a level-%u leaf 0x%llx through a table "
					   "pointer that was installed but never synced", level,
					   (unsigned long long)d);
			}
		}

		if (kind == HW_DESC_INVALID) {
			w->exc = HW_EXC_TRANSLATION_FAULT(level);
			return;
		}
		if (kind == HW_DESC_TABLE) {
			table = d & HW_PTE_ADDR_MASK;
			if (table >= pa_limit) {
				w->exc = HW_EXC_ADDR_SIZE_FAULT_OUT(level);
				return;
			}
			continue;
		}
		/* A leaf: a block at level 1 or 2, a page at level 3. */
		w->mask = ~((1ull << shift) - 1);
		w->va = va & w->mask;
		w->pa = d & HW_PTE_ADDR_MASK & w->mask;
		if (w->pa >= pa_limit) {
			w->exc = HW_EXC_ADDR_SIZE_FAULT_OUT(level);
			return;
		}
		if (!(d & HW_PTE_AF) && !(ctx->transcfg & HW_AS_TRANSCFG_DISABLE_AF_FAULT)) {
			w->exc = HW_EXC_ACCESS_FLAG_FAULT(level);
			return;
		}
		if (((ctx->memattr >> (((d >> 2) & 7) * 8)) & 0xff) >> 6 == HW_MEMATTR_TYPE_FAULT) {
			w->exc = HW_EXC_MEM_ATTR_FAULT(level);
			return;
		}
		w->perm = leaf_perm(d);
		return;
	}
	U_ASSERT(!"walk fell off level 3");
}

void hw__tlb_invalidate(struct hw_tlb_entry *tlb, uint64_t mask, uint64_t start, uint64_t last)
{
	for (uint64_t i = 0; i <= mask; i++) {
		struct hw_tlb_entry *e = &tlb[i];

		if (!e->mask)
			continue;
		if ((start == 0 && last == UINT64_MAX) ||
		    (e->tag <= last && (e->tag | ~(e->mask & ~HW_TLB_PERM_MASK)) >= start)) {
			e->tag = HW_TLB_EMPTY_TAG;
			e->mask = 0;
		}
	}
}
