// SPDX-License-Identifier: MIT
/*
 * Helpers of the hw suite: fixture, a hand-written page-table builder, and
 * the MMIO sequences a panthor-like driver uses (as_send_cmd_and_wait,
 * AS enable/disable, lock region, GPU cache flush).
 */
#include "hw_test.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "t_harness.h"
#include "util/u_err.h"

#define MiB (1ull << 20)

uint64_t ht_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void ht_sleep_us(unsigned int us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

void ht_init(struct ht *t, const struct hw_config *cfg)
{
	struct mm_budget_config bc = {
		.name = "hw-test",
		.limit_bytes = 256 * MiB,
		.no_background_reclaim = true,
	};
	struct hw_config def;

	t->b = mm_budget_create(&bc);
	T_ASSERT_MSG(!IS_ERR(t->b), "mm_budget_create: %ld", PTR_ERR(t->b));
	if (!cfg) {
		hw_config_default(&def);
		cfg = &def;
	}
	t->dev = hw_device_create(cfg);
	T_ASSERT_MSG(!IS_ERR(t->dev), "hw_device_create: %ld", PTR_ERR(t->dev));
}

void ht_fini(struct ht *t)
{
	hw_device_destroy(t->dev);
	mm_budget_destroy(t->b);
	t->dev = NULL;
	t->b = NULL;
}

phys_addr_t ht_page(struct ht *t, enum mm_owner_kind kind, uint32_t tag)
{
	phys_addr_t pa;
	uint64_t *p;

	T_ASSERT_OK(mm_alloc_pages(t->b, 0, 0, kind, tag, &pa));
	p = mm_pa_to_virt(pa);
	for (unsigned int i = 0; i < 512; i++)
		__atomic_store_n(&p[i], ht_word(tag, i * 8), __ATOMIC_RELAXED);
	return pa;
}

phys_addr_t ht_block2m(struct ht *t, enum mm_owner_kind kind, uint32_t tag)
{
	phys_addr_t pa;
	uint64_t *p;

	T_ASSERT_OK(mm_alloc_pages(t->b, 9, 0, kind, tag, &pa));
	p = mm_pa_to_virt(pa);
	for (unsigned int i = 0; i < 512 * 512; i++)
		__atomic_store_n(&p[i], ht_word(tag, (uint64_t)i * 8), __ATOMIC_RELAXED);
	return pa;
}

uint64_t ht_word(uint32_t tag, uint64_t off)
{
	return ((uint64_t)tag << 32) | (off >> 3);
}

void ht_free(struct ht *t, phys_addr_t pa, unsigned int order)
{
	mm_free_pages(t->b, pa, order);
}

/* ---- page-table builder ---- */

static phys_addr_t new_table(struct ht_pt *pt)
{
	phys_addr_t pa;

	T_ASSERT(pt->nr_tables < 512);
	T_ASSERT_OK(mm_alloc_pages(pt->t->b, 0, MM_GFP_ZERO, MM_OWNER_PGTABLE, 1, &pa));
	pt->tables[pt->nr_tables++] = pa;
	return pa;
}

void ht_pt_init(struct ht_pt *pt, struct ht *t, unsigned int va_bits)
{
	unsigned int levels = (va_bits - 12 + 8) / 9;

	memset(pt, 0, sizeof(*pt));
	pt->t = t;
	pt->sync = true;
	pt->start_level = 4 - levels;
	pt->root = new_table(pt);
}

void ht_pt_fini(struct ht_pt *pt)
{
	for (unsigned int i = 0; i < pt->nr_tables; i++)
		mm_free_pages(pt->t->b, pt->tables[i], 0);
	pt->nr_tables = 0;
}

static unsigned int shift_of(unsigned int level)
{
	return 12 + 9 * (3 - level);
}

static uint64_t *slot(phys_addr_t table, uint64_t va, unsigned int level)
{
	return (uint64_t *)mm_pa_to_virt(table) + ((va >> shift_of(level)) & 511);
}

phys_addr_t ht_pt_table(struct ht_pt *pt, uint64_t va, unsigned int level)
{
	phys_addr_t table = pt->root;

	for (unsigned int l = pt->start_level; l < level; l++) {
		uint64_t *e = slot(table, va, l);
		uint64_t d = __atomic_load_n(e, __ATOMIC_RELAXED);

		if ((d & 3) != 3) {
			phys_addr_t child = new_table(pt);

			d = child | HW_PTE_TYPE_TABLE;
			__atomic_store_n(e, d, __ATOMIC_RELAXED);
			if (pt->sync)
				hw_dma_sync_for_device(pt->t->dev, mm_virt_to_pa(e), 8);
		}
		table = d & HW_PTE_ADDR_MASK;
	}
	return table;
}

phys_addr_t ht_pt_desc_pa(struct ht_pt *pt, uint64_t va, unsigned int level)
{
	return mm_virt_to_pa(slot(ht_pt_table(pt, va, level), va, level));
}

void ht_pt_set_nosync(struct ht_pt *pt, uint64_t va, unsigned int level, uint64_t desc)
{
	uint64_t *e = slot(ht_pt_table(pt, va, level), va, level);

	__atomic_store_n(e, desc, __ATOMIC_RELAXED);
}

void ht_pt_set(struct ht_pt *pt, uint64_t va, unsigned int level, uint64_t desc)
{
	uint64_t *e = slot(ht_pt_table(pt, va, level), va, level);

	__atomic_store_n(e, desc, __ATOMIC_RELAXED);
	if (pt->sync)
		hw_dma_sync_for_device(pt->t->dev, mm_virt_to_pa(e), 8);
}

uint64_t ht_pt_get(struct ht_pt *pt, uint64_t va, unsigned int level)
{
	return __atomic_load_n(slot(ht_pt_table(pt, va, level), va, level), __ATOMIC_RELAXED);
}

void ht_pt_map4k(struct ht_pt *pt, uint64_t va, phys_addr_t pa, uint64_t x)
{
	ht_pt_set(pt, va, 3, HT_PAGE(pa, x));
}

/* ---- MMIO sequences ---- */

void ht_as_wait(struct hw_device *dev, unsigned int as)
{
	uint64_t deadline = ht_now_ns() + 2000000000ull;

	while (hw_mmio_read32(dev, HW_MMU_AS(as) + HW_AS_STATUS) & HW_AS_STATUS_AS_ACTIVE) {
		if (ht_now_ns() > deadline)
			t_fail(__FILE__, __LINE__, "AS%u: AS_ACTIVE stuck", as);
	}
}

void ht_as_cmd(struct hw_device *dev, unsigned int as, uint32_t cmd)
{
	ht_as_wait(dev, as);
	hw_mmio_write32(dev, HW_MMU_AS(as) + HW_AS_COMMAND, cmd);
	ht_as_wait(dev, as);
}

void ht_as_write64(struct hw_device *dev, unsigned int as, uint32_t reg, uint64_t v)
{
	hw_mmio_write32(dev, HW_MMU_AS(as) + reg, (uint32_t)v);
	hw_mmio_write32(dev, HW_MMU_AS(as) + reg + 4, (uint32_t)(v >> 32));
}

uint64_t ht_as_read64(struct hw_device *dev, unsigned int as, uint32_t reg)
{
	uint64_t lo = hw_mmio_read32(dev, HW_MMU_AS(as) + reg);

	return lo | ((uint64_t)hw_mmio_read32(dev, HW_MMU_AS(as) + reg + 4) << 32);
}

void ht_as_enable(struct hw_device *dev, unsigned int as, phys_addr_t root)
{
	ht_as_write64(dev, as, HW_AS_TRANSTAB_LO, root);
	ht_as_write64(dev, as, HW_AS_MEMATTR_LO, HT_MEMATTR);
	ht_as_write64(dev, as, HW_AS_TRANSCFG_LO, HT_TRANSCFG_48);
	ht_as_cmd(dev, as, HW_AS_COMMAND_UPDATE);
}

void ht_as_disable(struct hw_device *dev, unsigned int as)
{
	ht_as_write64(dev, as, HW_AS_TRANSTAB_LO, 0);
	ht_as_write64(dev, as, HW_AS_MEMATTR_LO, 0);
	ht_as_write64(dev, as, HW_AS_TRANSCFG_LO, HW_AS_TRANSCFG_ADRMODE_UNMAPPED);
	ht_as_cmd(dev, as, HW_AS_COMMAND_UPDATE);
}

uint64_t ht_lockaddr(uint64_t start, uint64_t size)
{
	uint64_t end = start + size - 1;
	unsigned int log2 = 64 - (unsigned int)__builtin_clzll((start ^ end) | 1);

	if (log2 < 15)
		log2 = 15;
	if (log2 >= 64)
		return 63;
	return (start & ~((1ull << log2) - 1)) | (log2 - 1);
}

void ht_as_lock(struct hw_device *dev, unsigned int as, uint64_t start, uint64_t size)
{
	ht_as_write64(dev, as, HW_AS_LOCKADDR_LO, ht_lockaddr(start, size));
	ht_as_cmd(dev, as, HW_AS_COMMAND_LOCK);
}

void ht_gpu_flush(struct hw_device *dev)
{
	uint64_t deadline = ht_now_ns() + 2000000000ull;

	hw_mmio_write32(dev, HW_GPU_INT_CLEAR, HW_GPU_IRQ_CLEAN_CACHES_COMPLETED);
	hw_mmio_write32(dev, HW_GPU_CMD,
			HW_GPU_FLUSH_CACHES(HW_CACHE_CLEAN | HW_CACHE_INV, HW_CACHE_CLEAN | HW_CACHE_INV,
					    HW_CACHE_INV));
	while (!(hw_mmio_read32(dev, HW_GPU_INT_RAWSTAT) & HW_GPU_IRQ_CLEAN_CACHES_COMPLETED)) {
		if (ht_now_ns() > deadline)
			t_fail(__FILE__, __LINE__, "cache flush never completed");
	}
	hw_mmio_write32(dev, HW_GPU_INT_CLEAR, HW_GPU_IRQ_CLEAN_CACHES_COMPLETED);
}

void ht_dump_reports(struct hw_device *dev)
{
	static struct hw_report r[16];
	char buf[768];
	unsigned int n = hw_checker_reports(dev, r, 16);

	for (unsigned int i = 0; i < n; i++)
		t_note("%s", hw_report_format(&r[i], buf, sizeof(buf)));
}
