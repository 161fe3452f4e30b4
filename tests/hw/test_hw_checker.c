// SPDX-License-Identifier: MIT
/*
 * hw suite, protocol checker: one test per violation class and per note
 * class that provokes it, report contents, modes, and the programming
 * sequences of panthor that must stay clean (a bind, slot recycling with a
 * bind in flight, a fault during a bind, a widened lock, the MCU address
 * space), ending with a long concurrent run of correct sequences that must
 * produce no report at all.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "t_harness.h"
#include "hw_test.h"
#include "util/u_err.h"

#define AS 1

static void wr(struct hw_device *dev, uint32_t off, uint32_t v)
{
	hw_mmio_write32(dev, off, v);
}

static uint32_t rd(struct hw_device *dev, uint32_t off)
{
	return hw_mmio_read32(dev, off);
}

/* A device, a tree on AS 1 and two data pages mapped at 0x10000 and 0x11000. */
struct fx {
	struct ht t;
	struct ht_pt pt;
	phys_addr_t p1, p2, p3;
};

static void fx_init(struct fx *f, const struct hw_config *cfg)
{
	ht_init(&f->t, cfg);
	ht_pt_init(&f->pt, &f->t, 48);
	f->p1 = ht_page(&f->t, MM_OWNER_BO, 1);
	f->p2 = ht_page(&f->t, MM_OWNER_BO, 2);
	f->p3 = ht_page(&f->t, MM_OWNER_BO, 3);
	ht_pt_map4k(&f->pt, 0x10000, f->p1, 0);
	ht_pt_map4k(&f->pt, 0x11000, f->p2, 0);
	ht_as_enable(f->t.dev, AS, f->pt.root);
}

static void fx_fini(struct fx *f)
{
	ht_free(&f->t, f->p1, 0);
	ht_free(&f->t, f->p2, 0);
	ht_free(&f->t, f->p3, 0);
	ht_pt_fini(&f->pt);
	ht_fini(&f->t);
}

static uint64_t rd64(struct fx *f, uint64_t va)
{
	uint64_t v = 0;

	T_ASSERT_OK(hw_read64(f->t.dev, AS, va, &v, NULL));
	return v;
}

/* panthor's unlock_region: cache flush through GPU_CONTROL, then UNLOCK. */
static void unlock_region(struct hw_device *dev, unsigned int as)
{
	ht_gpu_flush(dev);
	ht_as_cmd(dev, as, HW_AS_COMMAND_UNLOCK);
}

/* ---------------------------------------------------------------------
 * (a) unlocked change
 * ------------------------------------------------------------------- */

T_TEST(a_walk, "hw/checker/a/unlocked-change-then-walk")
{
	struct fx f;
	struct hw_report r;

	fx_init(&f, NULL);
	ht_pt_map4k(&f.pt, 0x10000, f.p3, 0);		/* no lock at all */
	ht_expect(f.t.dev, HW_NOTE_UNLOCKED_CHANGE, 1);
	T_ASSERT_EQ_INT(hw_checker_violations(f.t.dev), 0);
	T_ASSERT_EQ_U64(rd64(&f, 0x10010), ht_word(3, 0x10));	/* a walk: the new page */
	ht_expect(f.t.dev, HW_VIOL_UNLOCKED_CHANGE, 1);
	T_ASSERT_EQ_INT(hw_checker_reports(f.t.dev, &r, 1), 1);
	T_ASSERT_EQ_INT(r.kind, HW_VIOL_UNLOCKED_CHANGE);
	T_ASSERT_EQ_U64(r.va, 0x10010);
	T_ASSERT(strstr(r.last_change, "0x10000") != NULL);
	/* Other VAs are not affected. */
	hw_checker_reset(f.t.dev);
	T_ASSERT_EQ_U64(rd64(&f, 0x11000), ht_word(2, 0));
	ht_expect_clean(f.t.dev);
	/* A covering LOCK/UNLOCK ends it. */
	ht_as_lock(f.t.dev, AS, 0x10000, 0x1000);
	unlock_region(f.t.dev, AS);
	T_ASSERT_EQ_U64(rd64(&f, 0x10010), ht_word(3, 0x10));
	ht_expect_clean(f.t.dev);
	fx_fini(&f);
}

T_TEST(a_partial_lock, "hw/checker/a/change-outside-a-held-lock")
{
	struct fx f;

	fx_init(&f, NULL);
	ht_as_lock(f.t.dev, AS, 0x40000, 0x1000);	/* the wrong region */
	ht_pt_map4k(&f.pt, 0x10000, f.p3, 0);
	ht_expect(f.t.dev, HW_NOTE_UNLOCKED_CHANGE, 1);
	unlock_region(f.t.dev, AS);			/* does not cover it */
	rd64(&f, 0x10000);
	ht_expect(f.t.dev, HW_VIOL_UNLOCKED_CHANGE, 1);
	hw_checker_reset(f.t.dev);
	/* An UPDATE forgives everything (the whole TLB is gone). */
	ht_as_cmd(f.t.dev, AS, HW_AS_COMMAND_UPDATE);
	rd64(&f, 0x10000);
	ht_expect_clean(f.t.dev);
	fx_fini(&f);
}

T_TEST(a_unsynced, "hw/checker/a/descriptor-used-before-sync")
{
	struct fx f;

	fx_init(&f, NULL);
	ht_as_lock(f.t.dev, AS, 0x10000, 0x1000);
	ht_pt_set_nosync(&f.pt, 0x10000, 3, HT_PAGE(f.p3, 0));
	unlock_region(f.t.dev, AS);			/* released before the clean */
	T_ASSERT_EQ_U64(rd64(&f, 0x10000), ht_word(3, 0));
	ht_expect(f.t.dev, HW_VIOL_UNLOCKED_CHANGE, 1);
	ht_expect(f.t.dev, HW_NOTE_UNLOCKED_CHANGE, 0);
	hw_checker_reset(f.t.dev);
	/* The late sync is an unlocked change now. */
	hw_dma_sync_for_device(f.t.dev, ht_pt_desc_pa(&f.pt, 0x10000, 3), 8);
	ht_expect(f.t.dev, HW_NOTE_UNLOCKED_CHANGE, 1);
	hw_checker_reset(f.t.dev);
	fx_fini(&f);
}

T_TEST(a_unsynced_table, "hw/checker/a/leaf-below-unsynced-table-pointer")
{
	struct fx f;

	fx_init(&f, NULL);
	f.pt.sync = false;
	ht_pt_map4k(&f.pt, 0x600000, f.p3, 0);		/* new L3 table, nothing synced */
	f.pt.sync = true;
	T_ASSERT_EQ_U64(rd64(&f, 0x600000), ht_word(3, 0));
	ht_expect(f.t.dev, HW_VIOL_UNLOCKED_CHANGE, 1);
	hw_checker_reset(f.t.dev);
	/* A VA next to it, still empty, just faults: no change of translation. */
	{
		uint64_t v;

		T_ASSERT_ERRNO(hw_read64(f.t.dev, AS, 0x601000, &v, NULL), EFAULT);
	}
	ht_expect_clean(f.t.dev);
	fx_fini(&f);
}

/* ---------------------------------------------------------------------
 * (b) stale TLB
 * ------------------------------------------------------------------- */

T_TEST(b_stale, "hw/checker/b/stale-tlb-hit")
{
	struct fx f;

	fx_init(&f, NULL);
	T_ASSERT_EQ_U64(rd64(&f, 0x10000), ht_word(1, 0));
	ht_pt_map4k(&f.pt, 0x10000, f.p3, 0);
	T_ASSERT_EQ_U64(rd64(&f, 0x10000), ht_word(1, 0));	/* still the old page */
	ht_expect(f.t.dev, HW_VIOL_STALE_TLB, 1);
	ht_expect(f.t.dev, HW_VIOL_UNLOCKED_CHANGE, 0);
	/* A changed permission is a stale translation too. */
	hw_checker_reset(f.t.dev);
	rd64(&f, 0x11000);
	ht_pt_map4k(&f.pt, 0x11000, f.p2, HW_PTE_AP_RDONLY);
	T_ASSERT_OK(hw_write64(f.t.dev, AS, 0x11000, 5, NULL));	/* the TLB says writable */
	ht_expect(f.t.dev, HW_VIOL_STALE_TLB, 1);
	hw_checker_reset(f.t.dev);
	fx_fini(&f);
}

/* ---------------------------------------------------------------------
 * (c) walk through a non-table frame
 * ------------------------------------------------------------------- */

T_TEST(c_bo_table, "hw/checker/c/walk-through-bo-frame")
{
	struct fx f;
	phys_addr_t bo;
	uint64_t v;

	fx_init(&f, NULL);
	T_ASSERT_OK(mm_alloc_pages(f.t.b, 0, MM_GFP_ZERO, MM_OWNER_BO, 9, &bo));
	ht_as_lock(f.t.dev, AS, 0x800000, 0x1000);
	ht_pt_set(&f.pt, 0x800000, 2, bo | HW_PTE_TYPE_TABLE);
	unlock_region(f.t.dev, AS);
	T_ASSERT_ERRNO(hw_read64(f.t.dev, AS, 0x800000, &v, NULL), EFAULT);
	ht_expect(f.t.dev, HW_VIOL_WALK_NOT_TABLE, 1);
	hw_checker_reset(f.t.dev);
	ht_free(&f.t, bo, 0);
	fx_fini(&f);
}

T_TEST(c_freed_table, "hw/checker/c/walk-through-freed-table")
{
	struct fx f;
	phys_addr_t l3 = 0;

	fx_init(&f, NULL);
	/* Free the level-3 table behind 0x10000 while it is still linked. */
	l3 = ht_pt_table(&f.pt, 0x10000, 3);
	for (unsigned int i = 0; i < f.pt.nr_tables; i++)
		if (f.pt.tables[i] == l3)
			f.pt.tables[i] = f.pt.tables[--f.pt.nr_tables];
	ht_free(&f.t, l3, 0);
	T_ASSERT_EQ_U64(rd64(&f, 0x10000), ht_word(1, 0));	/* the stale bytes still work */
	ht_expect(f.t.dev, HW_VIOL_WALK_NOT_TABLE, 1);
	hw_checker_reset(f.t.dev);
	fx_fini(&f);
}

/* ---------------------------------------------------------------------
 * (d) access to a frame that is not a BO, dummy or firmware frame
 * ------------------------------------------------------------------- */

T_TEST(d_bad_frame, "hw/checker/d/bad-data-frame")
{
	struct fx f;
	phys_addr_t pgt, none, dummy, fw, freed;
	struct hw_report r;

	fx_init(&f, NULL);
	T_ASSERT_OK(mm_alloc_pages(f.t.b, 0, MM_GFP_ZERO, MM_OWNER_PGTABLE, 0, &pgt));
	T_ASSERT_OK(mm_alloc_pages(f.t.b, 0, MM_GFP_ZERO, MM_OWNER_NONE, 0, &none));
	dummy = ht_page(&f.t, MM_OWNER_DUMMY, 0xd);
	fw = ht_page(&f.t, MM_OWNER_FIRMWARE, 0xf);
	freed = ht_page(&f.t, MM_OWNER_BO, 0xe);
	ht_as_lock(f.t.dev, AS, 0x100000, 0x10000);
	ht_pt_map4k(&f.pt, 0x100000, pgt, 0);
	ht_pt_map4k(&f.pt, 0x101000, none, 0);
	ht_pt_map4k(&f.pt, 0x102000, dummy, 0);
	ht_pt_map4k(&f.pt, 0x103000, fw, 0);
	ht_pt_map4k(&f.pt, 0x104000, freed, 0);
	unlock_region(f.t.dev, AS);
	ht_free(&f.t, freed, 0);			/* a BO freed while still mapped */

	rd64(&f, 0x102000);
	rd64(&f, 0x103000);
	ht_expect_clean(f.t.dev);
	rd64(&f, 0x100000);
	ht_expect(f.t.dev, HW_VIOL_BAD_FRAME, 1);
	T_ASSERT_EQ_INT(hw_checker_reports(f.t.dev, &r, 1), 1);
	T_ASSERT_EQ_U64(r.pa, pgt);
	T_ASSERT_EQ_U64(r.actual, MM_OWNER_PGTABLE);
	rd64(&f, 0x100000);				/* again, through the TLB */
	rd64(&f, 0x101008);
	T_ASSERT_OK(hw_write64(f.t.dev, AS, 0x104000, 1, NULL));
	ht_expect(f.t.dev, HW_VIOL_BAD_FRAME, 4);
	hw_checker_reset(f.t.dev);
	ht_free(&f.t, pgt, 0);
	ht_free(&f.t, none, 0);
	ht_free(&f.t, dummy, 0);
	ht_free(&f.t, fw, 0);
	fx_fini(&f);
}

/* ---------------------------------------------------------------------
 * (e) command while AS_ACTIVE was not seen clear
 * ------------------------------------------------------------------- */

T_TEST(e_back_to_back, "hw/checker/e/back-to-back-commands")
{
	struct fx f;
	struct hw_report r;

	fx_init(&f, NULL);
	ht_as_write64(f.t.dev, AS, HW_AS_LOCKADDR_LO, ht_lockaddr(0x10000, 0x1000));
	wr(f.t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_LOCK);
	wr(f.t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_UNLOCK);
	ht_expect(f.t.dev, HW_VIOL_CMD_WHILE_ACTIVE, 1);
	T_ASSERT_EQ_INT(hw_checker_reports(f.t.dev, &r, 1), 1);
	T_ASSERT_EQ_INT(r.as, AS);
	T_ASSERT_EQ_U64(r.actual, HW_AS_COMMAND_UNLOCK);
	T_ASSERT(strstr(r.last_cmd, "LOCK [0x10000, 0x17fff]") != NULL);
	T_ASSERT(strstr(r.detail, "UNLOCK") != NULL);
	{
		char buf[768];

		hw_report_format(&r, buf, sizeof(buf));
		T_ASSERT(strstr(buf, "VIOLATION (e) cmd-while-active on AS1") != NULL);
	}
	hw_checker_reset(f.t.dev);
	/* The waits of as_send_cmd_and_wait keep it clean; other ASes are independent. */
	ht_as_cmd(f.t.dev, AS, HW_AS_COMMAND_NOP);
	wr(f.t.dev, HW_MMU_AS(2) + HW_AS_COMMAND, HW_AS_COMMAND_NOP);
	wr(f.t.dev, HW_MMU_AS(3) + HW_AS_COMMAND, HW_AS_COMMAND_NOP);
	ht_expect_clean(f.t.dev);
	fx_fini(&f);
}

T_TEST(e_not_seen, "hw/checker/e/time-passed-but-status-not-read")
{
	struct hw_config cfg;
	struct ht t;

	hw_config_default(&cfg);
	cfg.as_cmd_ns = 1000000;
	ht_init(&t, &cfg);
	wr(t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_NOP);
	ht_sleep_us(5000);		/* done on the model's clock, but never observed */
	wr(t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_NOP);
	ht_expect(t.dev, HW_VIOL_CMD_WHILE_ACTIVE, 1);
	ht_as_wait(t.dev, AS);
	wr(t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_NOP);
	ht_expect(t.dev, HW_VIOL_CMD_WHILE_ACTIVE, 1);
	hw_checker_reset(t.dev);
	ht_fini(&t);
}

/* ---------------------------------------------------------------------
 * (f) LOCK while locked, UPDATE while locked
 * ------------------------------------------------------------------- */

T_TEST(f_lock, "hw/checker/f/lock-while-locked")
{
	struct fx f;

	fx_init(&f, NULL);
	ht_as_lock(f.t.dev, AS, 0x10000, 0x1000);
	ht_as_lock(f.t.dev, AS, 0x10000, 0x8000);	/* same region: contained */
	ht_as_lock(f.t.dev, AS, 0x0, 0x200000);		/* widening */
	ht_expect_clean(f.t.dev);
	ht_as_lock(f.t.dev, AS, 0x400000, 0x1000);	/* elsewhere */
	ht_expect(f.t.dev, HW_VIOL_LOCK_WHILE_LOCKED, 1);
	ht_as_lock(f.t.dev, AS, 0x0, 0x1000);		/* narrowing */
	ht_expect(f.t.dev, HW_VIOL_LOCK_WHILE_LOCKED, 2);
	hw_checker_reset(f.t.dev);
	unlock_region(f.t.dev, AS);
	ht_as_lock(f.t.dev, AS, 0x400000, 0x1000);	/* after UNLOCK: fine */
	unlock_region(f.t.dev, AS);
	ht_expect_clean(f.t.dev);
	fx_fini(&f);
}

T_TEST(f_update, "hw/checker/f/update-while-locked")
{
	struct fx f;

	fx_init(&f, NULL);
	ht_as_lock(f.t.dev, AS, 0x10000, 0x1000);
	ht_as_cmd(f.t.dev, AS, HW_AS_COMMAND_UPDATE);
	ht_expect(f.t.dev, HW_VIOL_UPDATE_WHILE_LOCKED, 1);
	hw_checker_reset(f.t.dev);
	unlock_region(f.t.dev, AS);			/* the lock survived the UPDATE */
	ht_expect_clean(f.t.dev);
	fx_fini(&f);
}

/* ---------------------------------------------------------------------
 * Notes
 * ------------------------------------------------------------------- */

T_TEST(note_unlocked, "hw/checker/note/unlocked-change-on-idle-as")
{
	struct fx f;

	fx_init(&f, NULL);
	ht_pt_map4k(&f.pt, 0x10000, f.p3, 0);
	ht_pt_map4k(&f.pt, 0x11000, f.p3, 0);		/* adjacent: */
	ht_expect(f.t.dev, HW_NOTE_UNLOCKED_CHANGE, 2);
	T_ASSERT_EQ_INT(hw_checker_violations(f.t.dev), 0);
	hw_checker_reset(f.t.dev);
	/* Re-programming the AS makes it harmless. */
	ht_as_cmd(f.t.dev, AS, HW_AS_COMMAND_UPDATE);
	T_ASSERT_EQ_U64(rd64(&f, 0x11000), ht_word(3, 0));
	ht_expect_clean(f.t.dev);
	/* A batch of stores synced at once is one change. */
	f.pt.sync = false;
	for (unsigned int i = 0; i < 16; i++)
		ht_pt_map4k(&f.pt, 0x20000 + i * 0x1000ull, f.p3, 0);
	f.pt.sync = true;
	hw_dma_sync_for_device(f.t.dev, ht_pt_desc_pa(&f.pt, 0x20000, 3), 16 * 8);
	ht_expect(f.t.dev, HW_NOTE_UNLOCKED_CHANGE, 1);
	hw_checker_reset(f.t.dev);
	fx_fini(&f);
}

T_TEST(note_spare_unlock, "hw/checker/note/spare-unlock")
{
	struct fx f;

	fx_init(&f, NULL);
	ht_as_cmd(f.t.dev, AS, HW_AS_COMMAND_UNLOCK);
	ht_as_cmd(f.t.dev, AS, HW_AS_COMMAND_FLUSH_PT);
	ht_expect(f.t.dev, HW_NOTE_SPARE_UNLOCK, 2);
	T_ASSERT_EQ_INT(hw_checker_violations(f.t.dev), 0);
	hw_checker_reset(f.t.dev);
	/* FLUSH_MEM unlocks like UNLOCK and bumps LATEST_FLUSH_ID. */
	ht_as_lock(f.t.dev, AS, 0x10000, 0x1000);
	ht_as_cmd(f.t.dev, AS, HW_AS_COMMAND_FLUSH_MEM);
	T_ASSERT_EQ_U64(rd(f.t.dev, HW_LATEST_FLUSH_ID), 2);
	ht_as_cmd(f.t.dev, AS, HW_AS_COMMAND_UNLOCK);
	ht_expect(f.t.dev, HW_NOTE_SPARE_UNLOCK, 1);
	hw_checker_reset(f.t.dev);
	fx_fini(&f);
}

T_TEST(note_irq, "hw/checker/note/irq-not-cleared-and-unknown-register")
{
	struct ht t;

	/* The interrupt note is provoked in hw/irq/handler-never-clears; here the
	 * unknown-register note with its report. */
	ht_init(&t, NULL);
	rd(t.dev, 0x0ffc);
	ht_expect(t.dev, HW_NOTE_UNKNOWN_REGISTER, 1);
	ht_expect(t.dev, HW_NOTE_IRQ_NOT_CLEARED, 0);
	hw_checker_reset(t.dev);
	ht_fini(&t);
}

/* ---------------------------------------------------------------------
 * Precision: what is not a change of translation
 * ------------------------------------------------------------------- */

T_TEST(empty_tables, "hw/checker/precision/empty-table-install-and-remove")
{
	struct fx f;
	phys_addr_t l3;

	fx_init(&f, NULL);
	l3 = ht_pt_table(&f.pt, 0x40000000, 3);		/* L2 and L3 tables, empty */
	T_ASSERT(l3 != 0);
	ht_pt_set(&f.pt, 0x40000000, 1, 0);		/* and removed again */
	ht_expect_clean(f.t.dev);
	/* SW bits (io-pgtable's SW_SYNC marker) are no change either. */
	ht_pt_set(&f.pt, 0x10000, 2, ht_pt_get(&f.pt, 0x10000, 2) | (1ull << 55));
	ht_expect_clean(f.t.dev);
	T_ASSERT_EQ_U64(rd64(&f, 0x10000), ht_word(1, 0));
	ht_expect_clean(f.t.dev);
	fx_fini(&f);
}

T_TEST(table_swap, "hw/checker/precision/identical-table-swap")
{
	struct fx f;
	phys_addr_t old_l3, new_l3;

	fx_init(&f, NULL);
	rd64(&f, 0x10000);
	old_l3 = ht_pt_table(&f.pt, 0x10000, 3);
	T_ASSERT_OK(mm_alloc_pages(f.t.b, 0, 0, MM_OWNER_PGTABLE, 1, &new_l3));
	f.pt.tables[f.pt.nr_tables++] = new_l3;
	memcpy(mm_pa_to_virt(new_l3), mm_pa_to_virt(old_l3), 4096);
	/* Swapped with no lock: same translations, so nothing changed. */
	ht_pt_set(&f.pt, 0x10000, 2, new_l3 | HW_PTE_TYPE_TABLE);
	ht_expect_clean(f.t.dev);
	rd64(&f, 0x10000);
	ht_expect_clean(f.t.dev);
	/* The new table is tracked: a change in it is seen. */
	ht_pt_map4k(&f.pt, 0x11000, f.p3, 0);
	ht_expect(f.t.dev, HW_NOTE_UNLOCKED_CHANGE, 1);
	/* The old one is not any more. */
	((uint64_t *)mm_pa_to_virt(old_l3))[0x10] = 0;
	hw_dma_sync_for_device(f.t.dev, old_l3 + 0x80, 8);
	ht_expect(f.t.dev, HW_NOTE_UNLOCKED_CHANGE, 1);
	hw_checker_reset(f.t.dev);
	fx_fini(&f);
}

T_TEST(table_removed, "hw/checker/precision/table-removed-with-mappings")
{
	struct fx f;
	struct hw_report r;
	uint64_t v;

	fx_init(&f, NULL);
	ht_pt_set(&f.pt, 0x10000, 2, 0);	/* drops 0x10000 and 0x11000, unlocked */
	ht_expect(f.t.dev, HW_NOTE_UNLOCKED_CHANGE, 1);
	T_ASSERT_EQ_INT(hw_checker_reports(f.t.dev, &r, 1), 1);
	T_ASSERT_EQ_U64(r.va, 0x10000);			/* only the mapped span */
	T_ASSERT(strstr(r.detail, "0x11fff") != NULL);
	T_ASSERT_ERRNO(hw_read64(f.t.dev, AS, 0x11000, &v, NULL), EFAULT);
	ht_expect(f.t.dev, HW_VIOL_UNLOCKED_CHANGE, 1);
	hw_checker_reset(f.t.dev);
	fx_fini(&f);
}

/* ---------------------------------------------------------------------
 * Modes
 * ------------------------------------------------------------------- */

static void provoke_e(void *arg)
{
	struct hw_device *dev = arg;

	hw_checker_set_mode(dev, HW_CHECK_ABORT);
	wr(dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_NOP);
	wr(dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_NOP);
}

static void provoke_note(void *arg)
{
	struct hw_device *dev = arg;

	hw_checker_set_mode(dev, HW_CHECK_ABORT);
	rd(dev, 0x0ffc);
}

T_TEST(modes, "hw/checker/modes")
{
	struct ht t;

	ht_init(&t, NULL);
	T_ASSERT(t_expect_abort(provoke_e, t.dev));
	T_ASSERT(!t_expect_abort(provoke_note, t.dev));	/* notes never abort */
	ht_expect_clean(t.dev);				/* the child's reports stay there */
	hw_checker_set_mode(t.dev, HW_CHECK_OFF);
	wr(t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_NOP);
	wr(t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_NOP);
	ht_expect_clean(t.dev);
	hw_checker_set_mode(t.dev, HW_CHECK_COUNT);
	ht_as_wait(t.dev, AS);
	T_ASSERT_EQ_STR(hw_report_kind_name(HW_VIOL_STALE_TLB), "stale-tlb");
	T_ASSERT_EQ_STR(hw_report_kind_name(HW_NOTE_SPARE_UNLOCK), "note-spare-unlock");
	ht_fini(&t);
}

T_TEST(coherent_blind, "hw/checker/coherent-device-limits")
{
	struct hw_config cfg;
	struct fx f;

	hw_config_default(&cfg);
	cfg.coherent = true;
	fx_init(&f, &cfg);
	rd64(&f, 0x10000);
	/* No sync needed, and none seen: the stale TLB hit goes unreported. */
	ht_pt_set_nosync(&f.pt, 0x10000, 3, HT_PAGE(f.p3, 0));
	T_ASSERT_EQ_U64(rd64(&f, 0x10000), ht_word(1, 0));
	T_ASSERT_EQ_U64(rd64(&f, 0x12000 - 0x1000), ht_word(2, 0));
	ht_expect_clean(f.t.dev);
	ht_as_lock(f.t.dev, AS, 0x10000, 0x1000);
	unlock_region(f.t.dev, AS);
	T_ASSERT_EQ_U64(rd64(&f, 0x10000), ht_word(3, 0));
	/* Command protocol rules still hold. */
	wr(f.t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_NOP);
	wr(f.t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_NOP);
	ht_expect(f.t.dev, HW_VIOL_CMD_WHILE_ACTIVE, 1);
	hw_checker_reset(f.t.dev);
	fx_fini(&f);
}

/* ---------------------------------------------------------------------
 * panthor's sequences must stay clean
 * ------------------------------------------------------------------- */

T_TEST(seq_bind, "hw/checker/panthor/bind-map-and-unmap")
{
	struct fx f;
	uint64_t v;

	fx_init(&f, NULL);
	rd64(&f, 0x10000);
	/* VM_BIND map of 4 pages at 0x200000 and unmap of 0x11000. */
	ht_as_lock(f.t.dev, AS, 0x200000, 0x4000);
	for (unsigned int i = 0; i < 4; i++)
		ht_pt_map4k(&f.pt, 0x200000 + i * 0x1000ull, f.p3, HT_NOEXEC);
	unlock_region(f.t.dev, AS);
	ht_as_lock(f.t.dev, AS, 0x11000, 0x1000);
	ht_pt_set(&f.pt, 0x11000, 3, 0);
	unlock_region(f.t.dev, AS);
	T_ASSERT_EQ_U64(rd64(&f, 0x203008), ht_word(3, 8));
	T_ASSERT_ERRNO(hw_read64(f.t.dev, AS, 0x11000, &v, NULL), EFAULT);
	T_ASSERT_EQ_INT(hw_checker_violations(f.t.dev), 0);
	ht_expect(f.t.dev, HW_NOTE_UNLOCKED_CHANGE, 0);
	hw_checker_reset(f.t.dev);
	fx_fini(&f);
}

T_TEST(seq_recycle, "hw/checker/panthor/slot-recycle-with-bind-in-flight")
{
	struct fx a;
	struct ht_pt ptb;
	phys_addr_t pb;

	fx_init(&a, NULL);				/* VM A bound to AS 1 */
	ht_pt_init(&ptb, &a.t, 48);			/* VM B */
	pb = ht_page(&a.t, MM_OWNER_BO, 0xb);
	ht_pt_map4k(&ptb, 0x10000, pb, 0);
	rd64(&a, 0x10000);

	/* A's bind locks its range and starts writing. */
	ht_as_lock(a.t.dev, AS, 0x10000, 0x2000);
	ht_pt_map4k(&a.pt, 0x10000, a.p3, 0);
	/* A is idle and loses AS 1 to B: flush, UNLOCK of A's region (recycle: no UPDATE). */
	unlock_region(a.t.dev, AS);
	/* A's bind goes on while its tables are still latched: harmless, a note. */
	ht_pt_map4k(&a.pt, 0x11000, a.p3, 0);
	/* B takes the slot. */
	ht_as_enable(a.t.dev, AS, ptb.root);
	/* A's bind ends: A has no slot, nothing is sent to the hardware. */
	ht_pt_map4k(&a.pt, 0x12000, a.p3, 0);
	T_ASSERT_EQ_U64(rd64(&a, 0x10000), ht_word(0xb, 0));
	/* A comes back on another slot and sees all of its bind. */
	ht_as_enable(a.t.dev, 2, a.pt.root);
	{
		uint64_t v;

		T_ASSERT_OK(hw_read64(a.t.dev, 2, 0x12000, &v, NULL));
		T_ASSERT_EQ_U64(v, ht_word(3, 0));
	}
	T_ASSERT_EQ_INT(hw_checker_violations(a.t.dev), 0);
	ht_expect(a.t.dev, HW_NOTE_UNLOCKED_CHANGE, 1);
	hw_checker_reset(a.t.dev);
	ht_free(&a.t, pb, 0);
	ht_pt_fini(&ptb);
	fx_fini(&a);
}

/* A fault during a bind: panthor's MMU handler disables the AS on its own thread. */
struct fault_bind {
	struct hw_device *dev;
	pthread_mutex_t slots_lock;
	bool locked_region;
	bool handled;
	uint32_t faultstatus;
	uint64_t faultaddress;
};

static void h_wait(struct hw_device *dev, unsigned int as)
{
	while (hw_mmio_read32(dev, HW_MMU_AS(as) + HW_AS_STATUS) & HW_AS_STATUS_AS_ACTIVE)
		;
}

static void h_cmd(struct hw_device *dev, unsigned int as, uint32_t cmd)
{
	h_wait(dev, as);
	hw_mmio_write32(dev, HW_MMU_AS(as) + HW_AS_COMMAND, cmd);
	h_wait(dev, as);
}

static void h_flush(struct hw_device *dev)
{
	hw_mmio_write32(dev, HW_GPU_INT_CLEAR, HW_GPU_IRQ_CLEAN_CACHES_COMPLETED);
	hw_mmio_write32(dev, HW_GPU_CMD, HW_GPU_FLUSH_CACHES(3, 3, 2));
	while (!(hw_mmio_read32(dev, HW_GPU_INT_RAWSTAT) & HW_GPU_IRQ_CLEAN_CACHES_COMPLETED))
		;
	hw_mmio_write32(dev, HW_GPU_INT_CLEAR, HW_GPU_IRQ_CLEAN_CACHES_COMPLETED);
}

static void fault_bind_irq(void *cookie)
{
	struct fault_bind *fb = cookie;
	struct hw_device *dev = fb->dev;
	uint32_t stat = hw_mmio_read32(dev, HW_MMU_INT_STAT);

	hw_mmio_write32(dev, HW_MMU_INT_MASK, 0);
	if (stat & HW_MMU_PAGE_FAULT(AS)) {
		pthread_mutex_lock(&fb->slots_lock);
		fb->faultstatus = hw_mmio_read32(dev, HW_MMU_AS(AS) + HW_AS_FAULTSTATUS);
		fb->faultaddress = hw_mmio_read32(dev, HW_MMU_AS(AS) + HW_AS_FAULTADDRESS_LO);
		hw_mmio_write32(dev, HW_MMU_INT_CLEAR, HW_MMU_PAGE_FAULT(AS));
		/* panthor_mmu_as_disable(): flush, UNLOCK if a region is locked, UNMAPPED + UPDATE. */
		h_flush(dev);
		if (fb->locked_region)
			h_cmd(dev, AS, HW_AS_COMMAND_UNLOCK);
		hw_mmio_write32(dev, HW_MMU_AS(AS) + HW_AS_TRANSTAB_LO, 0);
		hw_mmio_write32(dev, HW_MMU_AS(AS) + HW_AS_TRANSTAB_HI, 0);
		hw_mmio_write32(dev, HW_MMU_AS(AS) + HW_AS_MEMATTR_LO, 0);
		hw_mmio_write32(dev, HW_MMU_AS(AS) + HW_AS_MEMATTR_HI, 0);
		hw_mmio_write32(dev, HW_MMU_AS(AS) + HW_AS_TRANSCFG_LO, HW_AS_TRANSCFG_ADRMODE_UNMAPPED);
		hw_mmio_write32(dev, HW_MMU_AS(AS) + HW_AS_TRANSCFG_HI, 0);
		h_cmd(dev, AS, HW_AS_COMMAND_UPDATE);
		__atomic_store_n(&fb->handled, true, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&fb->slots_lock);
	}
	/* The faulty AS stays masked until it is re-enabled. */
	hw_mmio_write32(dev, HW_MMU_INT_MASK, 0xffff & ~HW_MMU_PAGE_FAULT(AS));
}

struct gpu_reader {
	struct hw_device *dev;
	uint64_t va;
	int ret;
	bool done;
	pthread_t th;
};

static void *gpu_reader_fn(void *arg)
{
	struct gpu_reader *r = arg;
	uint64_t v;

	r->ret = hw_read64(r->dev, AS, r->va, &v, NULL);
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
	return NULL;
}

T_TEST(seq_fault_bind, "hw/checker/panthor/fault-during-bind")
{
	struct fx f;
	struct fault_bind fb = { 0 };
	struct gpu_reader in = { 0 }, bad = { 0 };
	uint64_t t0;

	fx_init(&f, NULL);
	fb.dev = f.t.dev;
	pthread_mutex_init(&fb.slots_lock, NULL);
	T_ASSERT_OK(hw_irq_register(f.t.dev, HW_IRQ_MMU, fault_bind_irq, &fb));
	wr(f.t.dev, HW_MMU_INT_MASK, 0xffff);

	/* The bind locks [0x10000, 0x18000) and starts changing it. */
	pthread_mutex_lock(&fb.slots_lock);
	ht_as_lock(f.t.dev, AS, 0x10000, 0x2000);
	fb.locked_region = true;
	pthread_mutex_unlock(&fb.slots_lock);
	ht_pt_map4k(&f.pt, 0x10000, f.p3, 0);

	/* A GPU access inside the region waits; another one faults outside it. */
	in.dev = bad.dev = f.t.dev;
	in.va = 0x10000;
	bad.va = 0x900000;
	T_ASSERT_OK(pthread_create(&in.th, NULL, gpu_reader_fn, &in));
	ht_sleep_us(5000);
	T_ASSERT(!__atomic_load_n(&in.done, __ATOMIC_ACQUIRE));
	T_ASSERT_OK(pthread_create(&bad.th, NULL, gpu_reader_fn, &bad));
	pthread_join(bad.th, NULL);
	T_ASSERT_ERRNO(bad.ret, EFAULT);
	t0 = ht_now_ns();
	while (!__atomic_load_n(&fb.handled, __ATOMIC_ACQUIRE))
		T_ASSERT(ht_now_ns() - t0 < 2000000000ull);
	pthread_join(in.th, NULL);
	T_ASSERT_ERRNO(in.ret, EIO);		/* woken by the UNLOCK, the AS is stopped */
	T_ASSERT_EQ_U64(fb.faultstatus & 0xff, 0xc2);
	T_ASSERT_EQ_U64(fb.faultaddress, 0x900000);

	/* The bind goes on against a disabled AS, then unlocks: a spare UNLOCK. */
	ht_pt_map4k(&f.pt, 0x11000, f.p3, 0);
	pthread_mutex_lock(&fb.slots_lock);
	unlock_region(f.t.dev, AS);
	fb.locked_region = false;
	pthread_mutex_unlock(&fb.slots_lock);
	hw_irq_unregister(f.t.dev, HW_IRQ_MMU);

	T_ASSERT_EQ_INT(hw_checker_violations(f.t.dev), 0);
	ht_expect(f.t.dev, HW_NOTE_SPARE_UNLOCK, 1);
	ht_expect(f.t.dev, HW_NOTE_UNLOCKED_CHANGE, 0);
	hw_checker_reset(f.t.dev);
	/* Re-activated, the VM works again. */
	wr(f.t.dev, HW_MMU_INT_CLEAR, 0xffff);
	ht_as_enable(f.t.dev, AS, f.pt.root);
	T_ASSERT_EQ_U64(rd64(&f, 0x11000), ht_word(3, 0));
	ht_expect_clean(f.t.dev);
	pthread_mutex_destroy(&fb.slots_lock);
	fx_fini(&f);
}

T_TEST(seq_widen, "hw/checker/panthor/widened-lock-huge-page-split")
{
	struct fx f;
	phys_addr_t blk;
	uint64_t v;

	fx_init(&f, NULL);
	blk = ht_block2m(&f.t, MM_OWNER_BO, 0x2b);
	ht_as_lock(f.t.dev, AS, 0x400000, SZ_2M);
	ht_pt_set(&f.pt, 0x400000, 2, HT_BLOCK(blk, 0));
	unlock_region(f.t.dev, AS);
	T_ASSERT_EQ_U64(rd64(&f, 0x410008), ht_word(0x2b, 0x10008));
	T_ASSERT_EQ_U64(rd64(&f, 0x5ff000), ht_word(0x2b, 0x1ff000));

	/* Unmap one 4K page inside the block: lock the op, then widen to the 2 MiB. */
	ht_as_lock(f.t.dev, AS, 0x410000, 0x1000);
	ht_as_lock(f.t.dev, AS, 0x400000, SZ_2M);
	ht_pt_set(&f.pt, 0x400000, 2, 0);			/* block removed */
	for (unsigned int i = 0; i < 512; i++)			/* remap all but one page */
		if (i != 0x10)
			ht_pt_map4k(&f.pt, 0x400000 + i * 0x1000ull, blk + i * 0x1000ull, 0);
	unlock_region(f.t.dev, AS);
	T_ASSERT_EQ_U64(rd64(&f, 0x5ff000), ht_word(0x2b, 0x1ff000));
	T_ASSERT_ERRNO(hw_read64(f.t.dev, AS, 0x410008, &v, NULL), EFAULT);
	ht_expect_clean(f.t.dev);
	ht_free(&f.t, blk, 9);
	fx_fini(&f);
}

T_TEST(seq_mcu, "hw/checker/panthor/mcu-address-space")
{
	struct ht t;
	struct ht_pt pt;
	phys_addr_t fw[4];
	uint64_t v;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	/* Firmware sections in the MCU's 4 GiB, mapped before AS 0 is enabled. */
	for (unsigned int i = 0; i < 4; i++) {
		fw[i] = ht_page(&t, MM_OWNER_FIRMWARE, 0xf0 + i);
		ht_pt_map4k(&pt, 0x4000000 + i * 0x1000ull, fw[i], i == 0 ? HW_PTE_AP_RDONLY : HT_NOEXEC);
	}
	ht_as_enable(t.dev, 0, pt.root);
	T_ASSERT_OK(hw_access(t.dev, 0, 0x4000000, HW_ACCESS_EXECUTE, &v, 8, NULL));
	T_ASSERT_EQ_U64(v, ht_word(0xf0, 0));
	T_ASSERT_OK(hw_write64(t.dev, 0, 0x4001000, 42, NULL));
	/* A kernel BO mapped later into the MCU VM, with the usual lock protocol. */
	ht_as_lock(t.dev, 0, 0x5000000, 0x1000);
	ht_pt_map4k(&pt, 0x5000000, fw[3], HT_NOEXEC);
	unlock_region(t.dev, 0);
	T_ASSERT_OK(hw_read64(t.dev, 0, 0x5000000, &v, NULL));
	T_ASSERT_EQ_U64(v, ht_word(0xf3, 0));
	ht_expect_clean(t.dev);
	for (unsigned int i = 0; i < 4; i++)
		ht_free(&t, fw[i], 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

T_TEST(seq_disable, "hw/checker/panthor/as-disable-and-reenable")
{
	struct fx f;

	fx_init(&f, NULL);
	rd64(&f, 0x10000);
	ht_gpu_flush(f.t.dev);
	ht_as_disable(f.t.dev, AS);
	/* Tables change while no AS translates them: nothing to see. */
	ht_pt_map4k(&f.pt, 0x10000, f.p3, 0);
	ht_as_enable(f.t.dev, AS, f.pt.root);
	T_ASSERT_EQ_U64(rd64(&f, 0x10000), ht_word(3, 0));
	ht_expect_clean(f.t.dev);
	fx_fini(&f);
}

/* ---------------------------------------------------------------------
 * Concurrency: a long run of correct sequences under GPU traffic
 * ------------------------------------------------------------------- */

#define RUN_PAGES 64
#define RUN_VA 0x1000000ull

struct run {
	struct hw_device *dev;
	bool stop;
	unsigned long reads;
	unsigned long errors;
	uint64_t seed;
	pthread_t th;
};

static void *run_reader(void *arg)
{
	struct run *r = arg;
	uint64_t x = r->seed;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		unsigned int page, word;
		uint64_t v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		page = (unsigned int)(x % RUN_PAGES);
		word = (unsigned int)((x >> 20) % 512);
		if (hw_read64(r->dev, AS, RUN_VA + page * 0x1000ull + word * 8, &v, NULL) ||
		    (v != ht_word(page, word * 8) && v != ht_word(0x100 + page, word * 8)))
			r->errors++;
		__atomic_store_n(&r->reads, r->reads + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static unsigned long total_reads(struct run *r)
{
	unsigned long n = 0;

	for (int i = 0; i < 3; i++)
		n += __atomic_load_n(&r[i].reads, __ATOMIC_RELAXED);
	return n;
}

T_TEST(clean_run, "hw/checker/clean-run-concurrent")
{
	struct ht t;
	struct ht_pt pt;
	phys_addr_t a[RUN_PAGES], b[RUN_PAGES];
	bool on_b[RUN_PAGES] = { false };
	struct run r[3];
	struct hw_as_stats st;
	unsigned long reads = 0;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	for (unsigned int i = 0; i < RUN_PAGES; i++) {
		a[i] = ht_page(&t, MM_OWNER_BO, i);
		b[i] = ht_page(&t, MM_OWNER_BO, 0x100 + i);
		ht_pt_map4k(&pt, RUN_VA + i * 0x1000ull, a[i], HT_NOEXEC);
	}
	ht_as_enable(t.dev, AS, pt.root);
	for (int i = 0; i < 3; i++) {
		r[i] = (struct run){ .dev = t.dev, .seed = t_rand() | 1 };
		T_ASSERT_OK(pthread_create(&r[i].th, NULL, run_reader, &r[i]));
	}
	for (int i = 0; i < 3; i++)
		while (!__atomic_load_n(&r[i].reads, __ATOMIC_RELAXED))
			ht_sleep_us(100);
	for (unsigned int it = 0; it < 300 || (it < 3000 && total_reads(r) < 200000); it++) {
		unsigned int first = (unsigned int)(t_rand() % (RUN_PAGES - 4));

		ht_as_lock(t.dev, AS, RUN_VA + first * 0x1000ull, 4 * 0x1000);
		for (unsigned int i = first; i < first + 4; i++) {
			on_b[i] = !on_b[i];
			ht_pt_map4k(&pt, RUN_VA + i * 0x1000ull, on_b[i] ? b[i] : a[i], HT_NOEXEC);
		}
		if (it % 2)
			unlock_region(t.dev, AS);
		else
			ht_as_cmd(t.dev, AS, HW_AS_COMMAND_FLUSH_MEM);
	}
	for (int i = 0; i < 3; i++)
		__atomic_store_n(&r[i].stop, true, __ATOMIC_RELAXED);
	for (int i = 0; i < 3; i++) {
		pthread_join(r[i].th, NULL);
		T_ASSERT_EQ_INT(r[i].errors, 0);
		reads += r[i].reads;
	}
	T_ASSERT_OK(hw_as_stats(t.dev, AS, &st));
	t_note("clean run: %lu reads, %llu stalls, %llu walks", reads,
	       (unsigned long long)st.stalls, (unsigned long long)st.walks);
	T_ASSERT(reads > 10000);
	ht_expect_clean(t.dev);
	for (unsigned int i = 0; i < RUN_PAGES; i++) {
		ht_free(&t, a[i], 0);
		ht_free(&t, b[i], 0);
	}
	ht_pt_fini(&pt);
	ht_fini(&t);
}

/* Several units fault at once: one fault is latched, every access fails. */
static void *fault_reader(void *arg)
{
	struct gpu_reader *r = arg;
	uint64_t v;

	r->ret = hw_read64(r->dev, AS, r->va, &v, NULL);
	return NULL;
}

T_TEST(concurrent_faults, "hw/checker/concurrent-faults-first-wins")
{
	struct fx f;
	struct gpu_reader r[6];
	uint64_t addr;
	unsigned int efault = 0;

	fx_init(&f, NULL);
	for (int i = 0; i < 6; i++) {
		r[i] = (struct gpu_reader){ .dev = f.t.dev, .va = 0x800000 + (uint64_t)i * 0x1000 };
		T_ASSERT_OK(pthread_create(&r[i].th, NULL, fault_reader, &r[i]));
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(r[i].th, NULL);
		T_ASSERT(r[i].ret == -EFAULT || r[i].ret == -EIO);
		efault += r[i].ret == -EFAULT;
	}
	T_ASSERT(efault >= 1);
	addr = ht_as_read64(f.t.dev, AS, HW_AS_FAULTADDRESS_LO);
	T_ASSERT(addr >= 0x800000 && addr < 0x806000 && !(addr & 0xfff));
	T_ASSERT_EQ_U64(rd(f.t.dev, HW_MMU_INT_RAWSTAT), HW_MMU_PAGE_FAULT(AS));
	ht_expect_clean(f.t.dev);
	fx_fini(&f);
}

/*
 * Writers and table churn: units do atomics on pages that never change and
 * read pages whose whole level-3 table is replaced under a 2 MiB lock,
 * sometimes by clearing the pointer first, sometimes by swapping it in one
 * store (the old table is freed after UNLOCK, as panthor frees tables once
 * the flush is done). No fault, no lost atomic, no report.
 */
#define CHURN_VA 0x4000000ull
#define COUNTER_VA 0x2000000ull
#define ATOMICS 20000

struct churn {
	struct hw_device *dev;
	int id;
	bool stop;
	unsigned long errors;
	unsigned long reads;
	pthread_t th;
};

static void *churn_atomics(void *arg)
{
	struct churn *c = arg;

	for (int i = 0; i < ATOMICS; i++)
		if (hw_atomic(c->dev, AS, COUNTER_VA + (uint64_t)c->id * 8, HW_ATOMIC_ADD, 8, 1, 0,
			      NULL, NULL))
			c->errors++;
	return NULL;
}

static void *churn_reader(void *arg)
{
	struct churn *c = arg;
	uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(c->id + 1);

	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		unsigned int page;
		uint64_t v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		page = (unsigned int)(x % 64);
		if (hw_read64(c->dev, AS, CHURN_VA + page * 0x1000ull, &v, NULL) ||
		    (v != ht_word(page, 0) && v != ht_word(0x100 + page, 0)))
			c->errors++;
		__atomic_store_n(&c->reads, c->reads + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static phys_addr_t churn_table(struct ht *t, const phys_addr_t *pages, uint32_t flip)
{
	phys_addr_t l3;
	uint64_t *e;

	T_ASSERT_OK(mm_alloc_pages(t->b, 0, MM_GFP_ZERO, MM_OWNER_PGTABLE, 1, &l3));
	e = mm_pa_to_virt(l3);
	for (unsigned int i = 0; i < 64; i++)
		__atomic_store_n(&e[i], HT_PAGE(pages[i * 2 + ((i ^ flip) & 1)], HT_NOEXEC),
				 __ATOMIC_RELAXED);
	hw_dma_sync_for_device(t->dev, l3, 64 * 8);
	return l3;
}

T_TEST(churn_run, "hw/checker/clean-run-atomics-and-table-churn")
{
	struct ht t;
	struct ht_pt pt;
	phys_addr_t pages[128], counters, l3;
	struct churn at[2], rd[2];
	uint64_t *counter_words;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	counters = ht_page(&t, MM_OWNER_BO, 0);
	memset(mm_pa_to_virt(counters), 0, 4096);
	ht_pt_map4k(&pt, COUNTER_VA, counters, HT_NOEXEC);
	for (unsigned int i = 0; i < 64; i++) {
		pages[i * 2] = ht_page(&t, MM_OWNER_BO, i);
		pages[i * 2 + 1] = ht_page(&t, MM_OWNER_BO, 0x100 + i);
	}
	ht_pt_table(&pt, CHURN_VA, 2);
	l3 = churn_table(&t, pages, 0);
	ht_pt_set(&pt, CHURN_VA, 2, l3 | HW_PTE_TYPE_TABLE);
	ht_as_enable(t.dev, AS, pt.root);

	for (int i = 0; i < 2; i++) {
		at[i] = (struct churn){ .dev = t.dev, .id = i };
		rd[i] = (struct churn){ .dev = t.dev, .id = i };
		T_ASSERT_OK(pthread_create(&at[i].th, NULL, churn_atomics, &at[i]));
		T_ASSERT_OK(pthread_create(&rd[i].th, NULL, churn_reader, &rd[i]));
	}
	for (int i = 0; i < 2; i++)
		while (!__atomic_load_n(&rd[i].reads, __ATOMIC_RELAXED))
			ht_sleep_us(100);
	for (uint32_t it = 1; it <= 100 || (it <= 3000 && __atomic_load_n(&rd[0].reads, __ATOMIC_RELAXED) +
					     __atomic_load_n(&rd[1].reads, __ATOMIC_RELAXED) < 100000); it++) {
		phys_addr_t old = l3;

		l3 = churn_table(&t, pages, it);
		ht_as_lock(t.dev, AS, CHURN_VA, SZ_2M);
		if (it & 1)
			ht_pt_set(&pt, CHURN_VA, 2, 0);		/* break, then make */
		ht_pt_set(&pt, CHURN_VA, 2, l3 | HW_PTE_TYPE_TABLE);
		unlock_region(t.dev, AS);
		ht_free(&t, old, 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(at[i].th, NULL);
		__atomic_store_n(&rd[i].stop, true, __ATOMIC_RELAXED);
		pthread_join(rd[i].th, NULL);
		T_ASSERT_EQ_INT(at[i].errors, 0);
		T_ASSERT_EQ_INT(rd[i].errors, 0);
	}
	counter_words = mm_pa_to_virt(counters);
	T_ASSERT_EQ_U64(__atomic_load_n(&counter_words[0], __ATOMIC_RELAXED), ATOMICS);
	T_ASSERT_EQ_U64(__atomic_load_n(&counter_words[1], __ATOMIC_RELAXED), ATOMICS);
	t_note("churn: %lu + %lu reads", rd[0].reads, rd[1].reads);
	ht_expect_clean(t.dev);
	ht_free(&t, l3, 0);
	ht_free(&t, counters, 0);
	for (unsigned int i = 0; i < 128; i++)
		ht_free(&t, pages[i], 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}
