/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the hw suite. Tests talk to the model only as a driver and a
 * GPU would: MMIO, IRQ handlers, the access port, and page tables written
 * by hand into frames (with relaxed atomic stores, as the kernel's
 * WRITE_ONCE) followed by hw_dma_sync_for_device(). The page-table builder
 * here is deliberately minimal and independent of src/pgtable.
 */
#ifndef PANTOMIME_TESTS_HW_TEST_H
#define PANTOMIME_TESTS_HW_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/hw.h"
#include "hw/hw_regs.h"
#include "mm/mm.h"

/** HT_TRANSCFG_48 - panthor's TRANSCFG for a 48-bit VA, not coherent (reference 2.3). */
#define HT_TRANSCFG_48 (HW_AS_TRANSCFG_PTW_MEMATTR_WB | HW_AS_TRANSCFG_PTW_RA | \
			HW_AS_TRANSCFG_ADRMODE_AARCH64_4K | HW_AS_TRANSCFG_INA_BITS(55 - 48))
/** HT_MEMATTR - panthor's MEMATTR, not coherent. */
#define HT_MEMATTR 0x4c4c4c4c8c4c8f4cull

/** HT_LEAF_ATTRS - io-pgtable leaf bits for a cached RW GPU mapping (no type bits). */
#define HT_LEAF_ATTRS (HW_PTE_ATTRINDX(1) | HW_PTE_SH_IS | HW_PTE_AF | HW_PTE_NG | HW_PTE_AP_UNPRIV)
/** HT_PAGE() - a level-3 page descriptor for @pa with extra bits @x. */
#define HT_PAGE(pa, x) ((pa) | HW_PTE_TYPE_PAGE | HT_LEAF_ATTRS | (x))
/** HT_BLOCK() - a level-1/2 block descriptor for @pa with extra bits @x. */
#define HT_BLOCK(pa, x) ((pa) | HW_PTE_TYPE_BLOCK | HT_LEAF_ATTRS | (x))
/** HT_NOEXEC - io-pgtable's no-exec bits. */
#define HT_NOEXEC (HW_PTE_PXN | HW_PTE_UXN)

/**
 * struct ht - one test's device and memory.
 * @b: the budget frames come from.
 * @dev: the device.
 */
struct ht {
	struct mm_budget *b;
	struct hw_device *dev;
};

/** ht_init() - create a budget and a device from @cfg (NULL: defaults). */
void ht_init(struct ht *t, const struct hw_config *cfg);
/** ht_fini() - destroy the device and the budget (every frame must be freed). */
void ht_fini(struct ht *t);

/**
 * struct ht_pt - a hand-built page-table tree.
 * @t: the fixture.
 * @root: root table PA.
 * @start_level: level of the root.
 * @sync: call hw_dma_sync_for_device() after each store.
 * @tables: every table frame, to free them.
 * @nr_tables: entries of @tables.
 */
struct ht_pt {
	struct ht *t;
	phys_addr_t root;
	unsigned int start_level;
	bool sync;
	phys_addr_t tables[512];
	unsigned int nr_tables;
};

/** ht_pt_init() - an empty tree for a device with @va_bits VA bits. */
void ht_pt_init(struct ht_pt *pt, struct ht *t, unsigned int va_bits);
/** ht_pt_fini() - free every table frame. */
void ht_pt_fini(struct ht_pt *pt);
/** ht_pt_table() - the table at @level that translates @va, created (and linked, synced) as needed. */
phys_addr_t ht_pt_table(struct ht_pt *pt, uint64_t va, unsigned int level);
/** ht_pt_desc_pa() - PA of the level-@level descriptor for @va (tables above created). */
phys_addr_t ht_pt_desc_pa(struct ht_pt *pt, uint64_t va, unsigned int level);
/** ht_pt_set() - store @desc at level @level for @va, then sync it if @pt->sync. */
void ht_pt_set(struct ht_pt *pt, uint64_t va, unsigned int level, uint64_t desc);
/** ht_pt_set_nosync() - store without syncing (a driver forgetting the clean). */
void ht_pt_set_nosync(struct ht_pt *pt, uint64_t va, unsigned int level, uint64_t desc);
/** ht_pt_get() - the level-@level descriptor for @va. */
uint64_t ht_pt_get(struct ht_pt *pt, uint64_t va, unsigned int level);
/** ht_pt_map4k() - map @va to @pa with a 4K page (extra leaf bits @x). */
void ht_pt_map4k(struct ht_pt *pt, uint64_t va, phys_addr_t pa, uint64_t x);

/** ht_page() - allocate a frame of @kind and fill its 512 words with (@tag << 32 | index). */
phys_addr_t ht_page(struct ht *t, enum mm_owner_kind kind, uint32_t tag);
/** ht_block2m() - allocate a 2 MiB block of @kind, word i of page p = (@tag << 32 | p << 12 | i). */
phys_addr_t ht_block2m(struct ht *t, enum mm_owner_kind kind, uint32_t tag);
/** ht_free() - free a frame block of @order. */
void ht_free(struct ht *t, phys_addr_t pa, unsigned int order);
/** ht_word() - the value ht_page() stored at byte offset @off. */
uint64_t ht_word(uint32_t tag, uint64_t off);

/** ht_as_wait() - poll AS_STATUS until AS_ACTIVE reads 0 (fails the test after 2 s). */
void ht_as_wait(struct hw_device *dev, unsigned int as);
/** ht_as_cmd() - panthor's as_send_cmd_and_wait: wait, write COMMAND, wait. */
void ht_as_cmd(struct hw_device *dev, unsigned int as, uint32_t cmd);
/** ht_as_enable() - program TRANSTAB/MEMATTR/TRANSCFG for @root and UPDATE. */
void ht_as_enable(struct hw_device *dev, unsigned int as, phys_addr_t root);
/** ht_as_disable() - TRANSTAB 0, MEMATTR 0, TRANSCFG UNMAPPED, UPDATE. */
void ht_as_disable(struct hw_device *dev, unsigned int as);
/** ht_lockaddr() - the LOCKADDR value locking [@start, @start + @size) (32 KiB minimum). */
uint64_t ht_lockaddr(uint64_t start, uint64_t size);
/** ht_as_lock() - write LOCKADDR for the range and LOCK, waiting. */
void ht_as_lock(struct hw_device *dev, unsigned int as, uint64_t start, uint64_t size);
/** ht_as_write64() - write a 64-bit AS register at window offset @reg as LO then HI. */
void ht_as_write64(struct hw_device *dev, unsigned int as, uint32_t reg, uint64_t v);
/** ht_as_read64() - read a 64-bit AS register. */
uint64_t ht_as_read64(struct hw_device *dev, unsigned int as, uint32_t reg);
/** ht_gpu_flush() - GPU_CMD FLUSH_CACHES as panthor's unlock path, and wait for CLEAN_CACHES_COMPLETED by polling. */
void ht_gpu_flush(struct hw_device *dev);
/** ht_sleep_us() - sleep @us microseconds. */
void ht_sleep_us(unsigned int us);
/** ht_now_ns() - CLOCK_MONOTONIC in ns. */
uint64_t ht_now_ns(void);

/** ht_expect() - assert the checker counted exactly @n reports of @kind, then reset it. */
#define ht_expect(dev, kind, n) do {                                             \
	unsigned long _got = hw_checker_count((dev), (kind));                    \
	if (_got != (unsigned long)(n)) {                                        \
		ht_dump_reports(dev);                                            \
		t_fail(__FILE__, __LINE__, "checker: %lu reports of %s, expected %lu", \
		       _got, hw_report_kind_name(kind), (unsigned long)(n));     \
	}                                                                        \
} while (0)
/** ht_expect_clean() - assert no report of any kind, violations or notes. */
#define ht_expect_clean(dev) do {                                                \
	for (int _k = 0; _k < HW_REPORT_KINDS; _k++)                             \
		ht_expect(dev, _k, 0);                                           \
} while (0)
/** ht_dump_reports() - print the checker's reports as TAP diagnostics. */
void ht_dump_reports(struct hw_device *dev);

#endif
