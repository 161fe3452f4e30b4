// SPDX-License-Identifier: MIT
/*
 * DOC: the protocol checker
 *
 * Real hardware hides most MMU protocol mistakes: a page-table change made
 * outside the locked region is harmless unless the GPU happens to walk it
 * in the wrong microsecond. The checker turns those races into
 * deterministic reports. Violations (hw.h, enum hw_report_kind):
 *
 *  (a) a GPU access to a VA whose translation changed outside the AS's
 *      locked region since the last UPDATE or an UNLOCK/FLUSH covering it
 *      (and, on a walk, a descriptor used before the driver synced it);
 *  (b) a TLB hit that disagrees with the current tables (stale entry);
 *  (c) a walk through a frame that is not a live page-table frame;
 *  (d) an access landing in a frame not allocated to a BO, dummy or firmware;
 *  (e) an AS command written before AS_ACTIVE was seen clear;
 *  (f) LOCK while locked (unless widening), UPDATE while locked.
 * Notes: the bare unlocked change, a spare UNLOCK, a handler that never
 * clears its interrupt, an unknown register.
 *
 * Where page-table changes are seen. The device is not IO-coherent by
 * default (RK3588): the driver must clean every descriptor it writes to
 * memory, which the page-table library does through its sync callback,
 * i.e. hw_dma_sync_for_device(). That is where the checker looks. It keeps
 * a *shadow* copy of every tracked table frame as last synced (a
 * MAP_NORESERVE mapping the size of the arena, indexed by frame number,
 * touched only for table frames) and, per frame, its tracking epoch, level
 * and the VA its entry 0 translates (struct hw_ptinfo, same kind of map).
 *
 *   UPDATE on AS n ──► new epoch E for the latched root; walk the tree,
 *                      stamp every table frame with E, shadow := memory
 *   sync(pa, len)  ──► for each tracked frame whose epoch belongs to an
 *                      enabled AS: diff shadow vs memory entry by entry;
 *                      each difference becomes VA spans whose translation
 *                      changed (recursing into replaced sub-tables, so an
 *                      empty table installed or removed changes nothing);
 *                      new sub-tables are stamped, removed ones unstamped
 *   a span not inside the AS's locked region ──► note + dirty span
 *   UNLOCK/FLUSH   ──► dirty spans inside the region are dropped
 *   UPDATE         ──► all dirty spans dropped (the TLB was invalidated)
 *
 * An access to a dirty VA takes the slow path (the AS state word carries a
 * DIRTY flag) and is reported there (hw_access.c). Epochs make tracking
 * self-cleaning: a frame stamped with the epoch of a tree no AS has latched
 * any more is ignored, whatever happened to it since.
 *
 * On an IO-coherent device (cfg.coherent) the driver never syncs, so the
 * checker cannot see changes when they are made: (a) through syncs and the
 * unsynced-walk check are off, and (b) is only judged on dirty VAs, so it
 * is blind too; (c)-(f) work as usual (docs/model-deviations.md).
 *
 * Reports go to a preallocated ring (HW_REPORT_RING) with per-kind counts:
 * the report path never allocates, because it runs inside the driver's
 * no-allocation sections (an MMIO write in the bind path).
 */
#include "hw_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/u_log.h"

#define MOD "hw-checker"

/* ---------------------------------------------------------------------
 * Reports
 * ------------------------------------------------------------------- */

static const char *const kind_names[HW_REPORT_KINDS] = {
	[HW_VIOL_UNLOCKED_CHANGE] = "unlocked-change",
	[HW_VIOL_STALE_TLB] = "stale-tlb",
	[HW_VIOL_WALK_NOT_TABLE] = "walk-not-table",
	[HW_VIOL_BAD_FRAME] = "bad-frame",
	[HW_VIOL_CMD_WHILE_ACTIVE] = "cmd-while-active",
	[HW_VIOL_LOCK_WHILE_LOCKED] = "lock-while-locked",
	[HW_VIOL_UPDATE_WHILE_LOCKED] = "update-while-locked",
	[HW_NOTE_UNLOCKED_CHANGE] = "note-unlocked-change",
	[HW_NOTE_SPARE_UNLOCK] = "note-spare-unlock",
	[HW_NOTE_IRQ_NOT_CLEARED] = "note-irq-not-cleared",
	[HW_NOTE_UNKNOWN_REGISTER] = "note-unknown-register",
};

static const char *const kind_rules[HW_REPORT_KINDS] = {
	[HW_VIOL_UNLOCKED_CHANGE] = "(a)",
	[HW_VIOL_STALE_TLB] = "(b)",
	[HW_VIOL_WALK_NOT_TABLE] = "(c)",
	[HW_VIOL_BAD_FRAME] = "(d)",
	[HW_VIOL_CMD_WHILE_ACTIVE] = "(e)",
	[HW_VIOL_LOCK_WHILE_LOCKED] = "(f)",
	[HW_VIOL_UPDATE_WHILE_LOCKED] = "(f)",
};

const char *hw_report_kind_name(enum hw_report_kind kind)
{
	if ((unsigned int)kind >= HW_REPORT_KINDS)
		return "unknown";
	return kind_names[kind];
}

char *hw_report_format(const struct hw_report *r, char *buf, size_t len)
{
	bool viol = hw_report_is_violation(r->kind);
	char asbuf[16];

	if (r->as >= 0)
		snprintf(asbuf, sizeof(asbuf), "AS%d", r->as);
	else
		snprintf(asbuf, sizeof(asbuf), "device");
	snprintf(buf, len,
		 "%s %s%s%s on %s, VA 0x%llx, frame/PA 0x%llx: %s. Expected 0x%llx, found 0x%llx. "
		 "Last command on the AS: %s. Last page-table change on this VA: %s.",
		 viol ? "VIOLATION" : "note", viol ? kind_rules[r->kind] : "", viol ? " " : "",
		 hw_report_kind_name(r->kind), asbuf, (unsigned long long)r->va,
		 (unsigned long long)r->pa, r->detail, (unsigned long long)r->expected,
		 (unsigned long long)r->actual, r->last_cmd[0] ? r->last_cmd : "none",
		 r->last_change[0] ? r->last_change : "none seen");
	return buf;
}

void hw__checker_last_change(struct hw_device *dev, int as, uint64_t va, char *buf, size_t len)
{
	const struct hw_as *a;
	uint64_t now = hw__now_ns();

	buf[0] = '\0';
	if (as < 0 || as >= HW_MAX_AS)
		return;
	a = &dev->as[as];
	for (unsigned int k = 0; k < a->nr_changes; k++) {
		unsigned int i = (a->change_head + HW_CHANGE_RING - 1 - k) % HW_CHANGE_RING;
		const struct hw_change *c = &a->changes[i];

		if (va < c->start || va > c->last)
			continue;
		snprintf(buf, len, "%llu us ago, level-%u descriptor at PA 0x%llx 0x%llx -> 0x%llx "
			 "(VA [0x%llx, 0x%llx], %s the locked region)",
			 (unsigned long long)((now - c->time_ns) / 1000), c->level,
			 (unsigned long long)c->desc_pa, (unsigned long long)c->old_desc,
			 (unsigned long long)c->new_desc, (unsigned long long)c->start,
			 (unsigned long long)c->last, c->locked ? "inside" : "outside");
		return;
	}
}

void hw__report(struct hw_device *dev, enum hw_report_kind kind, int as, uint64_t va,
		phys_addr_t pa, uint64_t expected, uint64_t actual, const char *fmt, ...)
{
	struct hw_checker *ck = &dev->ck;
	int mode = __atomic_load_n(&ck->mode, __ATOMIC_RELAXED);
	struct hw_report *r;
	va_list ap;

	if (mode == HW_CHECK_OFF)
		return;
	__atomic_fetch_add(&ck->counts[kind], 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&ck->lock);
	r = &ck->ring[ck->head];
	ck->head = (ck->head + 1) % HW_REPORT_RING;
	if (ck->nr < HW_REPORT_RING)
		ck->nr++;
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->time_ns = hw__now_ns();
	r->as = as;
	r->va = va;
	r->pa = pa;
	r->expected = expected;
	r->actual = actual;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	if (as >= 0 && as < HW_MAX_AS) {
		_Static_assert(sizeof(r->last_cmd) == sizeof(dev->as[as].last_cmd), "last_cmd sizes");
		memcpy(r->last_cmd, dev->as[as].last_cmd, sizeof(r->last_cmd));
		hw__checker_last_change(dev, as, va, r->last_change, sizeof(r->last_change));
	}
	if (hw_report_is_violation(kind) || u_log_get_level() >= U_LOG_DEBUG) {
		char line[640];

		hw_report_format(r, line, sizeof(line));
		if (mode == HW_CHECK_ABORT && hw_report_is_violation(kind)) {
			fprintf(stderr, "pantomime: GPU model protocol checker: %s\n", line);
			fflush(stderr);
			abort();
		}
		u_log(hw_report_is_violation(kind) ? U_LOG_WARN : U_LOG_DEBUG, MOD, "%s", line);
	}
	pthread_mutex_unlock(&ck->lock);
}

void hw__checker_set_last_cmd(struct hw_device *dev, unsigned int as, const char *text)
{
	pthread_mutex_lock(&dev->ck.lock);
	snprintf(dev->as[as].last_cmd, sizeof(dev->as[as].last_cmd), "%s", text);
	pthread_mutex_unlock(&dev->ck.lock);
}

void hw_checker_set_mode(struct hw_device *dev, enum hw_check_mode mode)
{
	__atomic_store_n(&dev->ck.mode, (int)mode, __ATOMIC_RELAXED);
	if (mode == HW_CHECK_OFF)
		__atomic_fetch_and(&dev->fast_flags, (uint8_t)~HW_FAST_CHECK, __ATOMIC_RELAXED);
	else
		__atomic_fetch_or(&dev->fast_flags, HW_FAST_CHECK, __ATOMIC_RELAXED);
}

unsigned long hw_checker_count(struct hw_device *dev, enum hw_report_kind kind)
{
	if ((unsigned int)kind >= HW_REPORT_KINDS)
		return 0;
	return __atomic_load_n(&dev->ck.counts[kind], __ATOMIC_RELAXED);
}

unsigned long hw_checker_violations(struct hw_device *dev)
{
	unsigned long n = 0;

	for (int k = 0; k < HW_REPORT_KINDS; k++)
		if (hw_report_is_violation(k))
			n += hw_checker_count(dev, k);
	return n;
}

unsigned int hw_checker_reports(struct hw_device *dev, struct hw_report *out, unsigned int max)
{
	struct hw_checker *ck = &dev->ck;
	unsigned int n, first;

	pthread_mutex_lock(&ck->lock);
	n = u_min(max, ck->nr);
	first = (ck->head + HW_REPORT_RING - n) % HW_REPORT_RING;
	for (unsigned int i = 0; i < n; i++)
		out[i] = ck->ring[(first + i) % HW_REPORT_RING];
	pthread_mutex_unlock(&ck->lock);
	return n;
}

void hw_checker_reset(struct hw_device *dev)
{
	struct hw_checker *ck = &dev->ck;

	pthread_mutex_lock(&ck->lock);
	for (int k = 0; k < HW_REPORT_KINDS; k++)
		__atomic_store_n(&ck->counts[k], 0, __ATOMIC_RELAXED);
	ck->head = 0;
	ck->nr = 0;
	pthread_mutex_unlock(&ck->lock);
}

/* ---------------------------------------------------------------------
 * Shadow tables and tracking
 * ------------------------------------------------------------------- */

static bool tracking(const struct hw_device *dev)
{
	return dev->ck.ptinfo != NULL;
}

static bool pfn_mapped(const struct hw_device *dev, phys_addr_t pa)
{
	return mm_pa_valid(pa) && mm_pa_to_pfn(pa) < dev->ck.map_frames;
}

static struct hw_ptinfo *ptinfo_of(const struct hw_device *dev, phys_addr_t pa)
{
	return &dev->ck.ptinfo[mm_pa_to_pfn(pa)];
}

static uint64_t *shadow_of(const struct hw_device *dev, phys_addr_t pa)
{
	return &dev->ck.shadow[(pa - MM_PA_BASE) / 8];
}

uint64_t hw__checker_ptinfo_epoch(const struct hw_device *dev, phys_addr_t pa)
{
	if (!tracking(dev) || !pfn_mapped(dev, pa))
		return 0;
	return __atomic_load_n(&ptinfo_of(dev, pa)->epoch_level, __ATOMIC_RELAXED) >> 8;
}

uint64_t hw__checker_shadow(const struct hw_device *dev, phys_addr_t pa)
{
	return __atomic_load_n(shadow_of(dev, pa), __ATOMIC_RELAXED);
}

static uint64_t live_desc(phys_addr_t pa)
{
	return __atomic_load_n((const uint64_t *)mm_pa_to_virt(pa), __ATOMIC_RELAXED);
}

static bool frame_is_table(phys_addr_t pa)
{
	const struct mm_frame *f = mm_frame(pa);

	return __atomic_load_n(&f->state, __ATOMIC_RELAXED) == MM_FRAME_ALLOCATED &&
	       __atomic_load_n(&f->owner_kind, __ATOMIC_RELAXED) == MM_OWNER_PGTABLE;
}

static bool desc_differs(uint64_t a, uint64_t b)
{
	return ((a ^ b) & ~HW_PTE_SW_MASK) != 0;
}

/*
 * Stamp the table at @table (level @level, entry 0 translating @va_base)
 * and its sub-tables with @epoch, and copy their entries [@first, @first +
 * @n) into the shadow. A frame that is not a live page-table frame is
 * left alone: the walker reports it (c) if the GPU ever goes through it.
 */
static void track_table(struct hw_device *dev, phys_addr_t table, unsigned int level,
			uint64_t va_base, uint64_t epoch, unsigned int first, unsigned int n)
{
	phys_addr_t frame = table & ~(MM_PAGE_SIZE - 1);
	unsigned int shift = hw__desc_level_shift(level);
	struct hw_ptinfo *info;

	if (!pfn_mapped(dev, frame) || !frame_is_table(frame))
		return;
	info = ptinfo_of(dev, frame);
	__atomic_store_n(&info->va_base, va_base, __ATOMIC_RELAXED);
	__atomic_store_n(&info->epoch_level, (epoch << 8) | level, __ATOMIC_RELAXED);
	for (unsigned int i = first; i < first + n && i < 512; i++) {
		phys_addr_t pa = frame + i * 8;
		uint64_t d = live_desc(pa);

		__atomic_store_n(shadow_of(dev, pa), d, __ATOMIC_RELAXED);
		if (hw__desc_kind(d, level) == HW_DESC_TABLE)
			track_table(dev, d & HW_PTE_ADDR_MASK, level + 1,
				    va_base + ((uint64_t)i << shift), epoch, 0, 512);
	}
}

/* Unstamp the sub-tree at @table if it carries @epoch (a pointer to it was removed). */
static void untrack_table(struct hw_device *dev, phys_addr_t table, unsigned int level,
			  uint64_t epoch)
{
	struct hw_ptinfo *info;

	if (!pfn_mapped(dev, table))
		return;
	info = ptinfo_of(dev, table);
	if ((__atomic_load_n(&info->epoch_level, __ATOMIC_RELAXED) >> 8) != epoch)
		return;
	__atomic_store_n(&info->epoch_level, 0, __ATOMIC_RELAXED);
	if (level >= 3)
		return;
	for (unsigned int i = 0; i < 512; i++) {
		uint64_t d = hw__checker_shadow(dev, table + i * 8);

		if (hw__desc_kind(d, level) == HW_DESC_TABLE)
			untrack_table(dev, d & HW_PTE_ADDR_MASK, level + 1, epoch);
	}
}

void hw__checker_update_locked(struct hw_device *dev, unsigned int as)
{
	struct hw_as *a = &dev->as[as];
	unsigned int shift, first, n;

	a->nr_dirty = 0;
	hw__as_set_flags_locked(dev, as, 0, HW_ASF_DIRTY);
	a->ctx.epoch = 0;
	if (!tracking(dev) || !hw__checker_on(dev) ||
	    !(__atomic_load_n(a->state, __ATOMIC_RELAXED) & HW_ASF_ENABLED))
		return;
	/* Two ASes on one tree (unusual) share its epoch. */
	for (unsigned int i = 0; i < HW_MAX_AS; i++) {
		const struct hw_as *b = &dev->as[i];

		if (i != as && b->present && b->ctx.epoch && b->ctx.root == a->ctx.root &&
		    (__atomic_load_n(b->state, __ATOMIC_RELAXED) & HW_ASF_ENABLED)) {
			a->ctx.epoch = b->ctx.epoch;
			return;
		}
	}
	a->ctx.epoch = ++dev->ck.next_epoch;
	shift = hw__desc_level_shift(a->ctx.start_level);
	first = (unsigned int)((a->ctx.root & (MM_PAGE_SIZE - 1)) / 8);
	n = (unsigned int)(1ull << (dev->va_bits - shift));
	track_table(dev, a->ctx.root, a->ctx.start_level, -((uint64_t)first << shift),
		    a->ctx.epoch, first, n);
}

/* ---------------------------------------------------------------------
 * Dirty ranges
 * ------------------------------------------------------------------- */

static void dirty_add(struct hw_as *a, uint64_t start, uint64_t last)
{
	unsigned int i, j, best = 0;
	uint64_t best_gap = UINT64_MAX;

	/* Merge with every range it overlaps or touches. */
	for (i = 0; i < a->nr_dirty;) {
		struct hw_range *r = &a->dirty[i];

		if (r->start <= (last == UINT64_MAX ? last : last + 1) &&
		    start <= (r->last == UINT64_MAX ? r->last : r->last + 1)) {
			start = u_min(start, r->start);
			last = u_max(last, r->last);
			a->dirty[i] = a->dirty[--a->nr_dirty];
			continue;
		}
		i++;
	}
	if (a->nr_dirty < HW_DIRTY_MAX) {
		a->dirty[a->nr_dirty].start = start;
		a->dirty[a->nr_dirty].last = last;
		a->nr_dirty++;
		return;
	}
	/* Full: coalesce with the nearest range (may over-approximate; only
	 * after HW_DIRTY_MAX disjoint unlocked changes, a broken driver). */
	for (j = 0; j < a->nr_dirty; j++) {
		const struct hw_range *r = &a->dirty[j];
		uint64_t gap = r->start > last ? r->start - last : start - r->last;

		if (gap < best_gap) {
			best_gap = gap;
			best = j;
		}
	}
	a->dirty[best].start = u_min(a->dirty[best].start, start);
	a->dirty[best].last = u_max(a->dirty[best].last, last);
}

static void dirty_remove(struct hw_as *a, uint64_t start, uint64_t last)
{
	for (unsigned int i = 0; i < a->nr_dirty;) {
		struct hw_range *r = &a->dirty[i];

		if (r->last < start || r->start > last) {
			i++;
			continue;
		}
		if (r->start >= start && r->last <= last) {
			a->dirty[i] = a->dirty[--a->nr_dirty];
			continue;
		}
		if (r->start < start && r->last > last) {
			/* Split; if there is no room, keep the whole range (conservative). */
			if (a->nr_dirty < HW_DIRTY_MAX) {
				a->dirty[a->nr_dirty].start = last + 1;
				a->dirty[a->nr_dirty].last = r->last;
				a->nr_dirty++;
				r->last = start - 1;
			}
		} else if (r->start < start) {
			r->last = start - 1;
		} else {
			r->start = last + 1;
		}
		i++;
	}
}

void hw__checker_unlock_locked(struct hw_device *dev, unsigned int as, uint64_t start, uint64_t last)
{
	struct hw_as *a = &dev->as[as];

	dirty_remove(a, start, last);
	if (!a->nr_dirty)
		hw__as_set_flags_locked(dev, as, 0, HW_ASF_DIRTY);
}

bool hw__checker_dirty_locked(struct hw_device *dev, unsigned int as, uint64_t start, uint64_t last)
{
	const struct hw_as *a = &dev->as[as];

	for (unsigned int i = 0; i < a->nr_dirty; i++)
		if (a->dirty[i].start <= last && start <= a->dirty[i].last)
			return true;
	return false;
}

/* ---------------------------------------------------------------------
 * Syncs: from descriptor differences to changed VA spans
 * ------------------------------------------------------------------- */

/*
 * Collects changed spans in VA order and hands coalesced runs to the ASes:
 * a batch of 512 descriptor stores synced at once is one change, one note.
 * @cur_* describe the descriptor being diffed; a run remembers the first one.
 */
struct emitter {
	struct hw_device *dev;
	uint32_t as_mask;
	uint64_t epoch;
	phys_addr_t cur_pa;
	uint64_t cur_old;
	uint64_t cur_new;
	unsigned int cur_level;
	bool active;
	uint64_t start;
	uint64_t last;
	phys_addr_t desc_pa;
	uint64_t old_desc;
	uint64_t new_desc;
	unsigned int level;
};

static void change_on_as(struct emitter *em, unsigned int as)
{
	struct hw_device *dev = em->dev;
	struct hw_as *a = &dev->as[as];
	uint32_t flags = (uint32_t)(__atomic_load_n(a->state, __ATOMIC_RELAXED) & 0xff);
	bool locked = (flags & HW_ASF_LOCKED) && em->start >= a->lock_start && em->last <= a->lock_last;
	struct hw_change *c;

	pthread_mutex_lock(&dev->ck.lock);
	c = &a->changes[a->change_head];
	a->change_head = (a->change_head + 1) % HW_CHANGE_RING;
	if (a->nr_changes < HW_CHANGE_RING)
		a->nr_changes++;
	c->time_ns = hw__now_ns();
	c->start = em->start;
	c->last = em->last;
	c->desc_pa = em->desc_pa;
	c->old_desc = em->old_desc;
	c->new_desc = em->new_desc;
	c->level = (uint8_t)em->level;
	c->locked = locked;
	pthread_mutex_unlock(&dev->ck.lock);
	if (locked)
		return;

	if (flags & HW_ASF_LOCKED)
		hw__report(dev, HW_NOTE_UNLOCKED_CHANGE, (int)as, em->start, em->desc_pa,
			   em->old_desc, em->new_desc,
			   "[0x%llx, 0x%llx] remapped (level-%u descriptor) outside the locked region "
			   "[0x%llx, 0x%llx]; a GPU access before a covering UNLOCK/FLUSH or UPDATE "
			   "is a violation",
			   (unsigned long long)em->start, (unsigned long long)em->last, em->level,
			   (unsigned long long)a->lock_start, (unsigned long long)a->lock_last);
	else
		hw__report(dev, HW_NOTE_UNLOCKED_CHANGE, (int)as, em->start, em->desc_pa,
			   em->old_desc, em->new_desc,
			   "[0x%llx, 0x%llx] remapped (level-%u descriptor) with no region locked; a "
			   "GPU access before a covering UNLOCK/FLUSH or UPDATE is a violation",
			   (unsigned long long)em->start,
			   (unsigned long long)em->last, em->level);
	dirty_add(a, em->start, em->last);
	hw__as_set_flags_locked(dev, as, HW_ASF_DIRTY, 0);
}

static void emit_flush(struct emitter *em)
{
	if (!em->active)
		return;
	for (unsigned int as = 0; as < HW_MAX_AS; as++)
		if (em->as_mask & (1u << as))
			change_on_as(em, as);
	em->active = false;
}

static void emit(struct emitter *em, uint64_t start, uint64_t last)
{
	if (em->active && em->last != UINT64_MAX && start == em->last + 1) {
		em->last = last;
		return;
	}
	emit_flush(em);
	em->active = true;
	em->start = start;
	em->last = last;
	em->desc_pa = em->cur_pa;
	em->old_desc = em->cur_old;
	em->new_desc = em->cur_new;
	em->level = em->cur_level;
}

static uint64_t old_child_entry(struct emitter *em, phys_addr_t table, unsigned int i)
{
	if (hw__checker_ptinfo_epoch(em->dev, table) != em->epoch)
		return 0;	/* not a tree we knew: nothing was visible through it */
	return hw__checker_shadow(em->dev, (table & ~(MM_PAGE_SIZE - 1)) + i * 8);
}

static uint64_t new_child_entry(phys_addr_t table, unsigned int i)
{
	phys_addr_t pa = (table & ~(MM_PAGE_SIZE - 1)) + i * 8;

	return mm_pa_valid(pa) ? live_desc(pa) : 0;
}

/*
 * Emit the VA spans under one descriptor whose translation differs between
 * @o (as last synced) and @n (now), at @level, for the range starting at @va.
 */
static void diff_desc(struct emitter *em, uint64_t o, uint64_t n, unsigned int level, uint64_t va)
{
	enum hw_desc_kind ok = hw__desc_kind(o, level), nk = hw__desc_kind(n, level);
	unsigned int shift = hw__desc_level_shift(level);
	uint64_t last = va + ((1ull << shift) - 1);

	if (ok == HW_DESC_INVALID && nk == HW_DESC_INVALID)
		return;
	if (ok != HW_DESC_TABLE && nk != HW_DESC_TABLE) {
		if (desc_differs(o, n))
			emit(em, va, last);
		return;
	}
	if (ok == HW_DESC_TABLE && nk == HW_DESC_TABLE &&
	    (o & HW_PTE_ADDR_MASK) == (n & HW_PTE_ADDR_MASK)) {
		if (desc_differs(o, n))
			emit(em, va, last);	/* table attributes changed: all of it */
		return;
	}
	if (ok == HW_DESC_LEAF || nk == HW_DESC_LEAF) {
		emit(em, va, last);		/* a block replaced by a table or back */
		return;
	}
	/* A table appeared, disappeared or was swapped: compare entry by entry. */
	for (unsigned int i = 0; i < 512; i++) {
		uint64_t oc = ok == HW_DESC_TABLE ? old_child_entry(em, o & HW_PTE_ADDR_MASK, i) : 0;
		uint64_t nc = nk == HW_DESC_TABLE ? new_child_entry(n & HW_PTE_ADDR_MASK, i) : 0;

		diff_desc(em, oc, nc, level + 1, va + ((uint64_t)i << hw__desc_level_shift(level + 1)));
	}
}

static void sync_entry(struct emitter *em, phys_addr_t pa, const struct hw_ptinfo *info)
{
	struct hw_device *dev = em->dev;
	uint64_t epoch = info->epoch_level >> 8;
	unsigned int level = (unsigned int)(info->epoch_level & 0xff);
	unsigned int idx = (unsigned int)((pa & (MM_PAGE_SIZE - 1)) / 8);
	uint64_t *sh = shadow_of(dev, pa);
	uint64_t o = __atomic_load_n(sh, __ATOMIC_RELAXED);
	uint64_t n = live_desc(pa);
	uint64_t va = info->va_base + ((uint64_t)idx << hw__desc_level_shift(level));
	enum hw_desc_kind ok, nk;

	if (!desc_differs(o, n)) {
		__atomic_store_n(sh, n, __ATOMIC_RELAXED);
		return;
	}
	em->cur_pa = pa;
	em->cur_old = o;
	em->cur_new = n;
	em->cur_level = level;
	diff_desc(em, o, n, level, va);

	ok = hw__desc_kind(o, level);
	nk = hw__desc_kind(n, level);
	if (ok == HW_DESC_TABLE &&
	    (nk != HW_DESC_TABLE || (o & HW_PTE_ADDR_MASK) != (n & HW_PTE_ADDR_MASK)))
		untrack_table(dev, o & HW_PTE_ADDR_MASK, level + 1, epoch);
	__atomic_store_n(sh, n, __ATOMIC_RELAXED);
	if (nk == HW_DESC_TABLE &&
	    (ok != HW_DESC_TABLE || (o & HW_PTE_ADDR_MASK) != (n & HW_PTE_ADDR_MASK)))
		track_table(dev, n & HW_PTE_ADDR_MASK, level + 1, va, epoch, 0, 512);
}

/*
 * Which ASes translate through trees stamped with @epoch: enabled and not
 * stopped by a fault (a stopped AS translates nothing until its UPDATE,
 * which starts tracking afresh).
 */
static uint32_t epoch_ases(const struct hw_device *dev, uint64_t epoch)
{
	uint32_t mask = 0;

	for (unsigned int i = 0; i < HW_MAX_AS; i++) {
		const struct hw_as *a = &dev->as[i];
		uint32_t flags = (uint32_t)(__atomic_load_n(a->state, __ATOMIC_RELAXED) & 0xff);

		if (a->present && a->ctx.epoch == epoch &&
		    (flags & (HW_ASF_ENABLED | HW_ASF_STOPPED)) == HW_ASF_ENABLED)
			mask |= 1u << i;
	}
	return mask;
}

/* For a root table smaller than a page: is entry @pa one of the root's? */
static bool root_entry_ok(const struct hw_device *dev, uint32_t as_mask, phys_addr_t pa,
			  unsigned int level)
{
	for (unsigned int i = 0; i < HW_MAX_AS; i++) {
		const struct hw_as *a = &dev->as[i];
		phys_addr_t root = a->ctx.root;
		unsigned int n;

		if (!(as_mask & (1u << i)) || level != a->ctx.start_level ||
		    (root & ~(MM_PAGE_SIZE - 1)) != (pa & ~(MM_PAGE_SIZE - 1)))
			continue;
		n = (unsigned int)(1ull << (dev->va_bits - hw__desc_level_shift(level)));
		return pa >= root && pa < root + (uint64_t)n * 8;
	}
	return true;
}

void hw_dma_sync_for_device(struct hw_device *dev, phys_addr_t pa, size_t len)
{
	phys_addr_t cur, end;

	if (!len || !tracking(dev) || !hw__checker_on(dev))
		return;
	cur = pa & ~7ull;
	end = pa + len;
	if (end < pa)
		end = UINT64_MAX;
	pthread_mutex_lock(&dev->lock);
	while (cur < end) {
		phys_addr_t page_end = (cur | (MM_PAGE_SIZE - 1)) + 1;
		phys_addr_t stop = u_min(end, page_end);
		struct hw_ptinfo info;
		uint32_t as_mask;

		if (!pfn_mapped(dev, cur))
			break;
		info.epoch_level = __atomic_load_n(&ptinfo_of(dev, cur)->epoch_level, __ATOMIC_RELAXED);
		info.va_base = __atomic_load_n(&ptinfo_of(dev, cur)->va_base, __ATOMIC_RELAXED);
		if (info.epoch_level >> 8) {
			as_mask = epoch_ases(dev, info.epoch_level >> 8);
			if (!as_mask) {
				/* No AS uses that tree any more: forget the frame. */
				__atomic_store_n(&ptinfo_of(dev, cur)->epoch_level, 0, __ATOMIC_RELAXED);
			} else if (!frame_is_table(cur)) {
				__atomic_store_n(&ptinfo_of(dev, cur)->epoch_level, 0, __ATOMIC_RELAXED);
			} else {
				struct emitter em = {
					.dev = dev, .as_mask = as_mask, .epoch = info.epoch_level >> 8,
				};

				for (phys_addr_t p = cur; p < stop; p += 8)
					if (root_entry_ok(dev, as_mask, p, (unsigned int)(info.epoch_level & 0xff)))
						sync_entry(&em, p, &info);
				emit_flush(&em);
			}
		}
		cur = page_end;
	}
	pthread_mutex_unlock(&dev->lock);
}

/* ---------------------------------------------------------------------
 * Init
 * ------------------------------------------------------------------- */

int hw__checker_init(struct hw_device *dev)
{
	struct hw_checker *ck = &dev->ck;

	pthread_mutex_init(&ck->lock, NULL);
	ck->mode = HW_CHECK_COUNT;
	if (dev->cfg.coherent)
		return 0;
	ck->map_frames = mm__nr_frames;
	ck->shadow = mmap(NULL, ck->map_frames * MM_PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ck->shadow == MAP_FAILED) {
		ck->shadow = NULL;
		goto err;
	}
	ck->ptinfo = mmap(NULL, ck->map_frames * sizeof(struct hw_ptinfo), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ck->ptinfo == MAP_FAILED) {
		ck->ptinfo = NULL;
		munmap(ck->shadow, ck->map_frames * MM_PAGE_SIZE);
		ck->shadow = NULL;
		goto err;
	}
	return 0;
err:
	u_err(MOD, "cannot reserve the checker's shadow tables (%llu frames)",
	      (unsigned long long)ck->map_frames);
	pthread_mutex_destroy(&ck->lock);
	return -ENOMEM;
}

void hw__checker_fini(struct hw_device *dev)
{
	struct hw_checker *ck = &dev->ck;

	if (ck->shadow)
		munmap(ck->shadow, ck->map_frames * MM_PAGE_SIZE);
	if (ck->ptinfo)
		munmap(ck->ptinfo, ck->map_frames * sizeof(struct hw_ptinfo));
	ck->shadow = NULL;
	ck->ptinfo = NULL;
	pthread_mutex_destroy(&ck->lock);
}
