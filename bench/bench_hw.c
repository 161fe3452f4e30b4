// SPDX-License-Identifier: MIT
/*
 * DOC: benchmarks of the GPU model (suite hw)
 *
 * read_tlb_hit   ns per translated 8-byte read through the access port when
 *                every translation hits the unit's TLB (32 pages,
 *                page-interleaved), checker on; baseline: a plain 8-byte load
 *                of the same address sequence from the direct map.
 * read_tlb_miss  the same with every access missing the TLB (4096 pages in
 *                turn through a 64-entry TLB: a 4-level walk each); baseline:
 *                plain loads of the same addresses.
 * lock_unlock    ns per LOCK + UNLOCK of a 32 KiB region with no traffic,
 *                each with panthor's AS_ACTIVE waits, the command time
 *                (as_cmd_ns) set to 0 so the model's own cost is measured. A
 *                GPU unit is registered, so every LOCK pays its drain
 *                (membarrier). Baseline: two NOP commands with the same waits
 *                (the same MMIO traffic without the commands' work).
 * cs_store_loop  ns per iteration of a command stream run by a queue slot's
 *                executor: STORE_MULTIPLE of a register pair (one 8-byte
 *                store), ADD_IMMEDIATE32, BRANCH back (three instructions,
 *                three fetches and a store through the access port), from
 *                DOORBELL to STATUS DONE, 2^20 iterations. The code page sits
 *                in another set of the executor's direct-mapped TLB than the
 *                data page (in the same set every access would walk).
 *                Baseline: one hw_write64() of the same address from the
 *                host thread, i.e. the store alone.
 *
 * Every number is the best (lowest) of --repeat repetitions. The acceptance
 * bar of the model: read_tlb_hit at most 10x its baseline.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "hw/hw.h"
#include "hw/hw_regs.h"
#include "mm/mm.h"
#include "util/u_err.h"
#include "util/u_log.h"

#define SUITE "hw"
#define HIT_PAGES 32
#define MISS_PAGES 4096
#define SEQ_LEN 4096
#define BASE_VA 0x100000000ull
#define RUN_NS 30000000ull
#define CODE_VA 0x200001000ull	/* TLB set 1: the data page (BASE_VA) is set 0 */
#define LOOP_ITERS (1u << 20)

/* ---- a minimal page-table builder (the model's users write tables by hand) ---- */

struct bt {
	struct mm_budget *b;
	struct hw_device *dev;
	phys_addr_t root;
	phys_addr_t tables[64];
	unsigned int nr_tables;
};

static phys_addr_t bt_table(struct bt *t)
{
	phys_addr_t pa;

	if (t->nr_tables == 64 || mm_alloc_pages(t->b, 0, MM_GFP_ZERO, MM_OWNER_PGTABLE, 1, &pa))
		abort();
	t->tables[t->nr_tables++] = pa;
	return pa;
}

static void bt_map(struct bt *t, uint64_t va, phys_addr_t pa)
{
	phys_addr_t table = t->root;

	for (unsigned int level = 0; level < 3; level++) {
		uint64_t *e = (uint64_t *)mm_pa_to_virt(table) + ((va >> (39 - 9 * level)) & 511);

		if (!(*e & 1)) {
			*e = bt_table(t) | HW_PTE_TYPE_TABLE;
			hw_dma_sync_for_device(t->dev, mm_virt_to_pa(e), 8);
		}
		table = *e & HW_PTE_ADDR_MASK;
	}
	{
		uint64_t *e = (uint64_t *)mm_pa_to_virt(table) + ((va >> 12) & 511);

		*e = pa | HW_PTE_TYPE_PAGE | HW_PTE_ATTRINDX(1) | HW_PTE_SH_IS | HW_PTE_AF |
		     HW_PTE_NG | HW_PTE_AP_UNPRIV | HW_PTE_PXN | HW_PTE_UXN;
		hw_dma_sync_for_device(t->dev, mm_virt_to_pa(e), 8);
	}
}

static void as_wait(struct hw_device *dev, unsigned int as)
{
	while (hw_mmio_read32(dev, HW_MMU_AS(as) + HW_AS_STATUS) & HW_AS_STATUS_AS_ACTIVE)
		;
}

static void as_cmd(struct hw_device *dev, unsigned int as, uint32_t cmd)
{
	as_wait(dev, as);
	hw_mmio_write32(dev, HW_MMU_AS(as) + HW_AS_COMMAND, cmd);
	as_wait(dev, as);
}

static void as_write64(struct hw_device *dev, unsigned int as, uint32_t reg, uint64_t v)
{
	hw_mmio_write32(dev, HW_MMU_AS(as) + reg, (uint32_t)v);
	hw_mmio_write32(dev, HW_MMU_AS(as) + reg + 4, (uint32_t)(v >> 32));
}

/* ---- measurements ---- */

static volatile uint64_t sink;

/* ns per plain load through @ptrs. */
static double plain_ns(uint64_t *const *ptrs, unsigned int n)
{
	uint64_t t0 = bench_now_ns(), t, count = 0, sum = 0;

	do {
		for (unsigned int i = 0; i < n; i++)
			sum += *(volatile uint64_t *)ptrs[i];
		count += n;
		t = bench_now_ns();
	} while (t - t0 < RUN_NS);
	sink = sum;
	return (double)(t - t0) / (double)count;
}

/* ns per translated read of @vas on @as. */
static double gpu_ns(struct hw_device *dev, unsigned int as, const uint64_t *vas, unsigned int n)
{
	uint64_t t0 = bench_now_ns(), t, count = 0, sum = 0, v = 0;

	do {
		for (unsigned int i = 0; i < n; i++) {
			if (hw_read64(dev, as, vas[i], &v, NULL))
				abort();
			sum += v;
		}
		count += n;
		t = bench_now_ns();
	} while (t - t0 < RUN_NS);
	sink = sum;
	return (double)(t - t0) / (double)count;
}

static void run_reads(struct bt *t, const char *name, const phys_addr_t *pages,
		      unsigned int npages)
{
	static uint64_t vas[SEQ_LEN];
	static uint64_t *ptrs[SEQ_LEN];
	double plain = 1e9, gpu = 1e9;

	/* Page-interleaved: consecutive reads touch consecutive pages. */
	for (unsigned int i = 0; i < SEQ_LEN; i++) {
		unsigned int page = i % npages;
		uint64_t off = ((uint64_t)(i / npages) * 64) & 0xfff;

		vas[i] = BASE_VA + (uint64_t)page * 4096 + off;
		ptrs[i] = (uint64_t *)((char *)mm_pa_to_virt(pages[page]) + off);
	}
	gpu_ns(t->dev, 1, vas, SEQ_LEN);		/* warm up: fill the TLB */
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++) {
		plain = bench_min(plain, plain_ns(ptrs, SEQ_LEN));
		gpu = bench_min(gpu, gpu_ns(t->dev, 1, vas, SEQ_LEN));
	}
	bench_report(SUITE, name, gpu, "ns/read", plain);
}

/* ns per pair of AS commands @c1, @c2 on AS 1, each with panthor's waits. */
static double cmd_pair_ns(struct hw_device *dev, uint32_t c1, uint32_t c2)
{
	uint64_t t0 = bench_now_ns(), t, n = 0;

	do {
		for (int i = 0; i < 64; i++) {
			as_cmd(dev, 1, c1);
			as_cmd(dev, 1, c2);
		}
		n += 64;
		t = bench_now_ns();
	} while (t - t0 < RUN_NS);
	return (double)(t - t0) / (double)n;
}

/* ns per host hw_write64() of @va. */
static double write_ns(struct hw_device *dev, uint64_t va)
{
	uint64_t t0 = bench_now_ns(), t, count = 0;

	do {
		for (unsigned int i = 0; i < 4096; i++)
			if (hw_write64(dev, 1, va, count + i, NULL))
				abort();
		count += 4096;
		t = bench_now_ns();
	} while (t - t0 < RUN_NS);
	return (double)(t - t0) / (double)count;
}

static uint64_t cs(unsigned int op, uint64_t payload)
{
	return ((uint64_t)op << 56) | payload;
}

/* Write the store loop at @code (GPU VA CODE_VA). Return: its size in bytes. */
static uint32_t write_store_loop(uint64_t *code, uint64_t va, uint32_t iters)
{
	unsigned int n = 0;

	code[n++] = cs(HW_CS_OP_MOVE48, 0ull << 48 | va);		/* d0 = va */
	code[n++] = cs(HW_CS_OP_MOVE32, 2ull << 48 | 0x1234);		/* r2:r3 = the data */
	code[n++] = cs(HW_CS_OP_MOVE32, 3ull << 48 | 0x5678);
	code[n++] = cs(HW_CS_OP_MOVE32, 4ull << 48 | iters);		/* r4 = iterations */
	code[n++] = cs(HW_CS_OP_STORE_MULTIPLE, 2ull << 48 | 0ull << 40 | 0x3ull << 16);
	code[n++] = cs(HW_CS_OP_ADD_IMMEDIATE32, 4ull << 48 | 4ull << 40 | 0xffffffffull);
	code[n++] = cs(HW_CS_OP_BRANCH, 4ull << 40 | (uint64_t)HW_CS_COND_NEQUAL << 28 |
		       (uint16_t)-3);
	return 8 * n;
}

/* ns per loop iteration, doorbell to DONE. */
static double cs_loop_ns(struct hw_device *dev)
{
	uint64_t t0 = bench_now_ns(), t;

	hw_mmio_write32(dev, HW_QUEUE(0) + HW_QUEUE_DOORBELL, 1);
	while (HW_QUEUE_STATUS_STATE(hw_mmio_read32(dev, HW_QUEUE(0) + HW_QUEUE_STATUS)) ==
	       HW_QUEUE_STATUS_RUNNING) {
		struct timespec ts = { 0, 20000 };

		nanosleep(&ts, NULL);
	}
	t = bench_now_ns();
	if (hw_mmio_read32(dev, HW_QUEUE(0) + HW_QUEUE_STATUS) != HW_QUEUE_STATUS_DONE)
		abort();
	return (double)(t - t0) / LOOP_ITERS;
}

static void run_cs_loop(struct bt *t, phys_addr_t code)
{
	uint32_t size = write_store_loop(mm_pa_to_virt(code), BASE_VA, LOOP_ITERS);
	double gpu = 1e9, host = 1e9;

	hw_mmio_write32(t->dev, HW_QUEUE(0) + HW_QUEUE_STREAM_BASE_LO, (uint32_t)CODE_VA);
	hw_mmio_write32(t->dev, HW_QUEUE(0) + HW_QUEUE_STREAM_BASE_HI, (uint32_t)(CODE_VA >> 32));
	hw_mmio_write32(t->dev, HW_QUEUE(0) + HW_QUEUE_STREAM_SIZE, size);
	hw_mmio_write32(t->dev, HW_QUEUE(0) + HW_QUEUE_AS, 1);
	cs_loop_ns(t->dev);				/* warm up: thread, TLB */
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++) {
		host = bench_min(host, write_ns(t->dev, BASE_VA));
		gpu = bench_min(gpu, cs_loop_ns(t->dev));
	}
	bench_report(SUITE, "cs_store_loop", gpu, "ns/iter", host);
	if (!bench_opts.json)
		printf("  (cs_store_loop: %.1f M instructions/s, 3 per iteration)\n", 3e3 / gpu);
}

static void run_hw(void)
{
	struct mm_budget_config bc = { .name = "bench-hw", .limit_bytes = 64ull << 20,
				       .no_background_reclaim = true };
	struct hw_config cfg;
	struct bt t = { 0 };
	static phys_addr_t pages[MISS_PAGES];
	phys_addr_t code;
	double lock = 1e9, nop = 1e9;

	t.b = mm_budget_create(&bc);
	if (IS_ERR(t.b))
		abort();
	hw_config_default(&cfg);
	cfg.tlb_entries = 64;
	cfg.as_cmd_ns = 0;
	cfg.flush_ns = 0;
	t.dev = hw_device_create(&cfg);
	if (IS_ERR(t.dev))
		abort();
	t.root = bt_table(&t);
	for (unsigned int i = 0; i < MISS_PAGES; i++) {
		if (mm_alloc_pages(t.b, 0, MM_GFP_ZERO, MM_OWNER_BO, 1, &pages[i]))
			abort();
		bt_map(&t, BASE_VA + (uint64_t)i * 4096, pages[i]);
	}
	if (mm_alloc_pages(t.b, 0, MM_GFP_ZERO, MM_OWNER_BO, 1, &code))
		abort();
	bt_map(&t, CODE_VA, code);
	as_write64(t.dev, 1, HW_AS_TRANSTAB_LO, t.root);
	as_write64(t.dev, 1, HW_AS_MEMATTR_LO, 0x4c4c4c4c8c4c8f4cull);
	as_write64(t.dev, 1, HW_AS_TRANSCFG_LO, HW_AS_TRANSCFG_PTW_MEMATTR_WB |
		   HW_AS_TRANSCFG_PTW_RA | HW_AS_TRANSCFG_ADRMODE_AARCH64_4K |
		   HW_AS_TRANSCFG_INA_BITS(55 - 48));
	as_cmd(t.dev, 1, HW_AS_COMMAND_UPDATE);

	run_reads(&t, "read_tlb_hit", pages, HIT_PAGES);
	run_reads(&t, "read_tlb_miss", pages, MISS_PAGES);

	as_write64(t.dev, 1, HW_AS_LOCKADDR_LO, BASE_VA | 14);
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++) {
		lock = bench_min(lock, cmd_pair_ns(t.dev, HW_AS_COMMAND_LOCK, HW_AS_COMMAND_UNLOCK));
		nop = bench_min(nop, cmd_pair_ns(t.dev, HW_AS_COMMAND_NOP, HW_AS_COMMAND_NOP));
	}
	bench_report(SUITE, "lock_unlock", lock, "ns/op", nop);

	run_cs_loop(&t, code);

	if (hw_checker_violations(t.dev))
		u_warn(SUITE, "the checker reported %lu violations", hw_checker_violations(t.dev));
	hw_device_destroy(t.dev);
	for (unsigned int i = 0; i < MISS_PAGES; i++)
		mm_free_pages(t.b, pages[i], 0);
	mm_free_pages(t.b, code, 0);
	for (unsigned int i = 0; i < t.nr_tables; i++)
		mm_free_pages(t.b, t.tables[i], 0);
	mm_budget_destroy(t.b);
}

BENCH_SUITE(hw_suite, SUITE, "GPU model: translated reads (TLB hit, miss) vs plain loads, LOCK/UNLOCK, "
	    "a CS store loop vs host writes",
	    run_hw)
