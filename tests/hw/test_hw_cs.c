// SPDX-License-Identifier: MIT
/*
 * hw suite, queue interface and CS front-end: the model-only queue
 * registers (doorbell, status, stop, JOB_INT), every instruction the
 * front-end runs, faults through the MMU, locked-region stalls, SYNC_WAIT
 * between slots and its timeout, unsupported instructions, concurrency,
 * reset and destroy with streams running. Only MMIO, IRQ handlers, the
 * access port and page tables written by hand, as the other hw tests.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t_harness.h"
#include "hw_test.h"
#include "cs_asm.h"
#include "util/u_compiler.h"
#include "util/u_err.h"
#include "util/u_trace.h"

#define AS		1
#define CODE_VA		0x800000ull	/* CODE_PAGES pages of instructions, NOEXEC as user space maps them */
#define CODE_PAGES	4
#define DATA_VA		0x1001000ull	/* IGT's result VA */
#define RO_VA		0x2000000ull	/* a read-only page */
#define UNMAPPED_VA	0x7000000ull

/* ---------------------------------------------------------------------
 * Fixture
 * ------------------------------------------------------------------- */

struct csf {
	struct ht t;
	struct ht_pt pt;
	struct hw_device *dev;
	phys_addr_t code[CODE_PAGES];
	phys_addr_t data;
	phys_addr_t ro;
};

static void csf_init_cfg(struct csf *f, const struct hw_config *cfg)
{
	ht_init(&f->t, cfg);
	f->dev = f->t.dev;
	ht_pt_init(&f->pt, &f->t, 48);
	for (unsigned int i = 0; i < CODE_PAGES; i++) {
		f->code[i] = ht_page(&f->t, MM_OWNER_BO, 0xc0 + i);
		ht_pt_map4k(&f->pt, CODE_VA + i * 0x1000ull, f->code[i], HT_NOEXEC);
	}
	f->data = ht_page(&f->t, MM_OWNER_BO, 0xd);
	memset(mm_pa_to_virt(f->data), 0, 4096);
	ht_pt_map4k(&f->pt, DATA_VA, f->data, HT_NOEXEC);
	f->ro = ht_page(&f->t, MM_OWNER_BO, 0xe);
	ht_pt_map4k(&f->pt, RO_VA, f->ro, HT_NOEXEC | HW_PTE_AP_RDONLY);
	ht_as_enable(f->dev, AS, f->pt.root);
}

static void csf_init(struct csf *f)
{
	csf_init_cfg(f, NULL);
}

/* Destroy the device: every executor is joined before any memory goes. */
static void csf_fini_dev(struct csf *f)
{
	hw_device_destroy(f->dev);
	f->dev = f->t.dev = NULL;
}

/* Then give the fixture's frames back and destroy the budget. */
static void csf_fini_mem(struct csf *f)
{
	for (unsigned int i = 0; i < CODE_PAGES; i++)
		mm_free_pages(f->t.b, f->code[i], 0);
	mm_free_pages(f->t.b, f->data, 0);
	mm_free_pages(f->t.b, f->ro, 0);
	ht_pt_fini(&f->pt);
	mm_budget_destroy(f->t.b);
	f->t.b = NULL;
}

static void csf_fini(struct csf *f)
{
	csf_fini_dev(f);
	csf_fini_mem(f);
}

/* A stream starting at code page @page. */
static void csf_stream(struct csf *f, struct csa *a, unsigned int page)
{
	csa_init(a, mm_pa_to_virt(f->code[page]), CODE_VA + page * 0x1000ull);
}

static uint32_t data32(struct csf *f, unsigned int off)
{
	return __atomic_load_n((uint32_t *)((char *)mm_pa_to_virt(f->data) + off), __ATOMIC_RELAXED);
}

static uint64_t data64(struct csf *f, unsigned int off)
{
	return __atomic_load_n((uint64_t *)((char *)mm_pa_to_virt(f->data) + off), __ATOMIC_RELAXED);
}

static void set_data32(struct csf *f, unsigned int off, uint32_t v)
{
	__atomic_store_n((uint32_t *)((char *)mm_pa_to_virt(f->data) + off), v, __ATOMIC_RELAXED);
}

static void set_data64(struct csf *f, unsigned int off, uint64_t v)
{
	__atomic_store_n((uint64_t *)((char *)mm_pa_to_virt(f->data) + off), v, __ATOMIC_RELAXED);
}

/* ---- the queue registers, as a driver uses them ---- */

static uint32_t qrd(struct hw_device *dev, unsigned int n, uint32_t reg)
{
	return hw_mmio_read32(dev, HW_QUEUE(n) + reg);
}

static void qwr(struct hw_device *dev, unsigned int n, uint32_t reg, uint32_t v)
{
	hw_mmio_write32(dev, HW_QUEUE(n) + reg, v);
}

static uint64_t qrd64(struct hw_device *dev, unsigned int n, uint32_t reg)
{
	return qrd(dev, n, reg) | (uint64_t)qrd(dev, n, reg + 4) << 32;
}

/* Program slot @n and ring its doorbell. */
static void q_start(struct hw_device *dev, unsigned int n, unsigned int as, uint64_t base,
		    uint32_t size, uint32_t config)
{
	qwr(dev, n, HW_QUEUE_STREAM_BASE_LO, (uint32_t)base);
	qwr(dev, n, HW_QUEUE_STREAM_BASE_HI, (uint32_t)(base >> 32));
	qwr(dev, n, HW_QUEUE_STREAM_SIZE, size);
	qwr(dev, n, HW_QUEUE_AS, as);
	qwr(dev, n, HW_QUEUE_CONFIG, config);
	qwr(dev, n, HW_QUEUE_DOORBELL, 1);
}

/* Poll STATUS until the slot leaves RUNNING (fails after @ms). Return: the state. */
static uint32_t q_wait(struct hw_device *dev, unsigned int n, unsigned int ms)
{
	uint64_t deadline = ht_now_ns() + ms * 1000000ull;
	uint32_t st;

	while (HW_QUEUE_STATUS_STATE(st = qrd(dev, n, HW_QUEUE_STATUS)) == HW_QUEUE_STATUS_RUNNING) {
		if (ht_now_ns() > deadline)
			t_fail(__FILE__, __LINE__, "queue %u still RUNNING after %u ms", n, ms);
		ht_sleep_us(50);
	}
	return HW_QUEUE_STATUS_STATE(st);
}

/* Poll until the slot is blocked in a SYNC_WAIT. */
static void q_wait_blocked(struct hw_device *dev, unsigned int n)
{
	uint64_t deadline = ht_now_ns() + 2000000000ull;

	while (!(qrd(dev, n, HW_QUEUE_STATUS) & HW_QUEUE_STATUS_WAITING)) {
		T_ASSERT_MSG(ht_now_ns() < deadline, "queue %u never blocked in SYNC_WAIT", n);
		T_ASSERT_EQ_INT(HW_QUEUE_STATUS_STATE(qrd(dev, n, HW_QUEUE_STATUS)),
				HW_QUEUE_STATUS_RUNNING);
		ht_sleep_us(50);
	}
}

/* Run @a on slot 0 in AS and wait for it to end. Return: the final state. */
static uint32_t run(struct csf *f, const struct csa *a)
{
	q_start(f->dev, 0, AS, a->va, csa_size(a), 0);
	return q_wait(f->dev, 0, 2000);
}

static struct hw_queue_stats qstats(struct hw_device *dev, unsigned int n)
{
	struct hw_queue_stats st;

	T_ASSERT_OK(hw_queue_stats(dev, n, &st));
	return st;
}

/* ---------------------------------------------------------------------
 * The assembler against the words of reference/clients.md §1.6
 * ------------------------------------------------------------------- */

T_TEST(asm_words, "hw/cs/asm/igt-group-submit-words")
{
	T_ASSERT_EQ_U64(csa_move48(68, 0x1001000), 0x0144000001001000ull);
	T_ASSERT_EQ_U64(csa_move32(70, 0xdeadbeef), 0x02460000deadbeefull);
	T_ASSERT_EQ_U64(csa_store(70, 68, 0x1, 0), 0x1546440000010000ull);
	T_ASSERT_EQ_U64(csa_wait(0xff), 0x0300000000ff0000ull);
	T_ASSERT_EQ_U64(csa_move32(70, 0), 0x0246000000000000ull);
	T_ASSERT_EQ_U64(csa_flush(3, 3, 2, 70, 0, 1), 0x2401460000000233ull);
	/* Opcode values of the genxml enum. */
	T_ASSERT_EQ_U64(csa_nop(), 0);
	T_ASSERT_EQ_U64(csa_add32(1, 2, -1) >> 56, 0x10);
	T_ASSERT_EQ_U64(csa_add64(1, 2, -1) >> 56, 0x11);
	T_ASSERT_EQ_U64(csa_load(0, 2, 1, 0) >> 56, 0x14);
	T_ASSERT_EQ_U64(csa_branch(HW_CS_COND_ALWAYS, 0, -1), 0x160000006000ffffull);
	T_ASSERT_EQ_U64(csa_call(2, 4), 0x2000020400000000ull);
	T_ASSERT_EQ_U64(csa_jump(2, 4) >> 56, 0x21);
	T_ASSERT_EQ_U64(csa_sync_add32(2, 4), 0x2500020400000000ull);
	T_ASSERT_EQ_U64(csa_sync_set32(2, 4) >> 56, 0x26);
	T_ASSERT_EQ_U64(csa_sync_wait32(HW_CS_COND_GREATER, 2, 4), 0x2700020410000000ull);
	T_ASSERT_EQ_U64(csa_sync_add64(2, 4) >> 56, 0x33);
	T_ASSERT_EQ_U64(csa_sync_set64(2, 4) >> 56, 0x34);
	T_ASSERT_EQ_U64(csa_sync_wait64(HW_CS_COND_LEQUAL, 2, 4) >> 56, 0x35);
}

/* ---------------------------------------------------------------------
 * IGT's group_submit stream, with a JOB interrupt handler
 * ------------------------------------------------------------------- */

struct job_irq {
	struct hw_device *dev;
	uint32_t seen;		/* JOB_INT bits the handler cleared (atomic OR) */
	unsigned int calls;
};

static void job_irq_handler(void *cookie)
{
	struct job_irq *j = cookie;
	uint32_t stat = hw_mmio_read32(j->dev, HW_JOB_INT_STAT);

	hw_mmio_write32(j->dev, HW_JOB_INT_CLEAR, stat);
	__atomic_fetch_or(&j->seen, stat, __ATOMIC_RELAXED);
	__atomic_fetch_add(&j->calls, 1, __ATOMIC_RELAXED);
}

static void wait_irq(struct job_irq *j, uint32_t bits)
{
	uint64_t deadline = ht_now_ns() + 2000000000ull;

	while ((__atomic_load_n(&j->seen, __ATOMIC_RELAXED) & bits) != bits) {
		T_ASSERT_MSG(ht_now_ns() < deadline, "JOB interrupt 0x%x never delivered", bits);
		ht_sleep_us(50);
	}
}

T_TEST(igt_group_submit, "hw/cs/igt-group-submit")
{
	struct csf f;
	struct csa a;
	struct job_irq j = { 0 };
	struct hw_queue_stats st;
	uint32_t flush0;

	csf_init(&f);
	j.dev = f.dev;
	T_ASSERT_OK(hw_irq_register(f.dev, HW_IRQ_JOB, job_irq_handler, &j));
	hw_mmio_write32(f.dev, HW_JOB_INT_MASK, 0xffffffff);
	flush0 = hw_mmio_read32(f.dev, HW_LATEST_FLUSH_ID);

	csf_stream(&f, &a, 0);
	csa_emit(&a, 0x0144000001001000ull);	/* the words of clients.md §1.6, verbatim */
	csa_emit(&a, 0x02460000deadbeefull);
	csa_emit(&a, 0x1546440000010000ull);
	csa_emit(&a, 0x0300000000ff0000ull);
	csa_emit(&a, 0x0246000000000000ull);
	csa_emit(&a, 0x2401460000000233ull);
	csa_emit(&a, 0x0300000000ff0000ull);
	q_start(f.dev, 0, AS, a.va, csa_size(&a), 0);
	wait_irq(&j, HW_JOB_INT_DONE(0));
	T_ASSERT_EQ_INT(qrd(f.dev, 0, HW_QUEUE_STATUS), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_U64(data32(&f, 0), 0xdeadbeef);
	T_ASSERT_EQ_U64(data32(&f, 4), 0);			/* mask 0x1: one word */
	T_ASSERT_EQ_U64(qrd(f.dev, 0, HW_QUEUE_FAULT_INFO), 0);
	T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_PC_LO), a.va + csa_size(&a));
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_LATEST_FLUSH_ID), flush0 + 1);
	T_ASSERT_EQ_U64(__atomic_load_n(&j.seen, __ATOMIC_RELAXED), HW_JOB_INT_DONE(0));
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), 0);	/* the handler cleared it */
	st = qstats(f.dev, 0);
	T_ASSERT_EQ_U64(st.runs, 1);
	T_ASSERT_EQ_U64(st.instructions, 7);
	T_ASSERT_EQ_U64(st.accesses, 8);			/* 7 fetches, 1 store */
	T_ASSERT_EQ_U64(st.stalls, 0);
	hw_irq_unregister(f.dev, HW_IRQ_JOB);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

/* ---------------------------------------------------------------------
 * Register moves and arithmetic
 * ------------------------------------------------------------------- */

T_TEST(moves_adds, "hw/cs/insn/move-add")
{
	struct csf f;
	struct csa a;

	csf_init(&f);
	csf_stream(&f, &a, 0);
	csa_emit(&a, csa_move48(0, DATA_VA));
	csa_emit(&a, csa_move48(2, 0xfedcba987654ull));	/* 48 bits: high half 0xfedc */
	csa_emit(&a, csa_move32(3, 0x11111111));		/* overwrite the high word only */
	csa_emit(&a, csa_store(2, 0, 0x3, 0x00));
	csa_emit(&a, csa_move32(4, 0xffffffff));
	csa_emit(&a, csa_move32(5, 0x1));
	csa_emit(&a, csa_add64(6, 4, 1));			/* 0x1ffffffff + 1: carry into r7 */
	csa_emit(&a, csa_store(6, 0, 0x3, 0x08));
	csa_emit(&a, csa_move48(8, 0x100000000ull));
	csa_emit(&a, csa_add64(8, 8, -1));			/* borrow: 0xffffffff */
	csa_emit(&a, csa_store(8, 0, 0x3, 0x10));
	csa_emit(&a, csa_add64(10, 8, INT32_MIN));		/* negative immediate, 64-bit */
	csa_emit(&a, csa_store(10, 0, 0x3, 0x18));
	csa_emit(&a, csa_move32(12, 5));
	csa_emit(&a, csa_add32(12, 12, -7));			/* 5 - 7 = -2, 32-bit */
	csa_emit(&a, csa_move32(13, 0xffffffff));
	csa_emit(&a, csa_add32(13, 13, 1));			/* wraps, no carry into r14 */
	csa_emit(&a, csa_move32(14, 0x77));
	csa_emit(&a, csa_store(12, 0, 0x7, 0x20));
	csa_emit(&a, csa_move32(95, 0xabcd));			/* the last register */
	csa_emit(&a, csa_store(95, 0, 0x1, 0x2c));
	T_ASSERT_EQ_INT(run(&f, &a), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_U64(data64(&f, 0x00), 0x11111111ba987654ull);
	T_ASSERT_EQ_U64(data64(&f, 0x08), 0x200000000ull);
	T_ASSERT_EQ_U64(data64(&f, 0x10), 0xffffffffull);
	T_ASSERT_EQ_U64(data64(&f, 0x18), 0xffffffffull - 0x80000000ull);
	T_ASSERT_EQ_U64(data32(&f, 0x20), 0xfffffffe);
	T_ASSERT_EQ_U64(data32(&f, 0x24), 0);
	T_ASSERT_EQ_U64(data32(&f, 0x28), 0x77);
	T_ASSERT_EQ_U64(data32(&f, 0x2c), 0xabcd);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

/*
 * The executors run at hw_config.queue_nice (default 10), so that the
 * model's GPU takes the CPU its driver and clients leave: every thread
 * named pm-queue has that nice value once it has run a stream. A value
 * outside 0..19 is refused.
 */
static unsigned int queue_threads_with_nice(int want, unsigned int *others)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	unsigned int n = 0;

	*others = 0;
	T_ASSERT_NOT_NULL(d);
	while ((e = readdir(d))) {
		char path[320], comm[32] = "", stat[512];
		const char *p;
		FILE *f;
		long nice;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		if (strcmp(comm, "pm-queue\n"))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
		f = fopen(path, "r");
		T_ASSERT_NOT_NULL(f);
		T_ASSERT_NOT_NULL(fgets(stat, sizeof(stat), f));
		fclose(f);
		/* Field 19 (nice) is the 17th after the ")" that closes the name. */
		p = strrchr(stat, ')');
		T_ASSERT_NOT_NULL(p);
		for (int k = 0; k < 17 && p; k++)
			p = strchr(p + 1, ' ');
		T_ASSERT_NOT_NULL(p);
		nice = strtol(p + 1, NULL, 10);
		if (nice == want)
			n++;
		else
			(*others)++;
	}
	closedir(d);
	return n;
}

T_TEST(queue_nice, "hw/queue/executors-run-at-queue-nice")
{
	struct hw_config cfg;
	struct hw_device *dev;
	struct csf f;
	struct csa a;
	unsigned int others;

	csf_init(&f);
	csf_stream(&f, &a, 0);
	csa_emit(&a, csa_move32(0, 1));
	T_ASSERT_EQ_INT(run(&f, &a), HW_QUEUE_STATUS_DONE);
	T_ASSERT(queue_threads_with_nice(HW_QUEUE_NICE_DEFAULT, &others) >= 1);
	T_ASSERT_EQ_U64(others, 0);
	ht_expect_clean(f.dev);
	csf_fini(&f);

	hw_config_default(&cfg);
	T_ASSERT_EQ_INT(cfg.queue_nice, 10);
	cfg.queue_nice = 20;
	dev = hw_device_create(&cfg);
	T_ASSERT(IS_ERR(dev) && PTR_ERR(dev) == -EINVAL);
	cfg.queue_nice = -1;
	dev = hw_device_create(&cfg);
	T_ASSERT(IS_ERR(dev) && PTR_ERR(dev) == -EINVAL);
}

/* ---------------------------------------------------------------------
 * LOAD_MULTIPLE / STORE_MULTIPLE: masks, offsets, alignment
 * ------------------------------------------------------------------- */

T_TEST(load_store_multiple, "hw/cs/insn/load-store-multiple")
{
	struct csf f;
	struct csa a;

	csf_init(&f);
	for (unsigned int i = 0; i < 16; i++)
		set_data32(&f, 0x100 + 4 * i, 0xa0 + i);
	csf_stream(&f, &a, 0);
	csa_emit(&a, csa_move48(0, DATA_VA + 0x140));
	csa_emit(&a, csa_move32(11, 0x5511));			/* not in the load mask: kept */
	csa_emit(&a, csa_load(10, 0, 0xb00d, -0x40));		/* bits 0,2,3,12,13,15 */
	csa_emit(&a, csa_store(10, 0, 0xffff, 0x40));		/* r10..r25 to +0x180 */
	csa_emit(&a, csa_store(10, 0, 0x0003, 0xc4));		/* a pair at a 4-aligned VA */
	csa_emit(&a, csa_store(12, 0, 0x0003, 0xd0));		/* a pair at an 8-aligned VA */
	csa_emit(&a, csa_load(30, 0, 0x0003, 0x40));		/* read back the fast-path way */
	csa_emit(&a, csa_store(30, 0, 0x0001, 0xe0));
	csa_emit(&a, csa_store(30, 0, 0x0000, 0xe4));		/* empty mask: no access */
	T_ASSERT_EQ_INT(run(&f, &a), HW_QUEUE_STATUS_DONE);

	T_ASSERT_EQ_U64(data32(&f, 0x180 + 0 * 4), 0xa0);
	T_ASSERT_EQ_U64(data32(&f, 0x180 + 1 * 4), 0x5511);
	T_ASSERT_EQ_U64(data32(&f, 0x180 + 2 * 4), 0xa2);
	T_ASSERT_EQ_U64(data32(&f, 0x180 + 3 * 4), 0xa3);
	for (unsigned int i = 4; i < 12; i++)
		T_ASSERT_EQ_U64(data32(&f, 0x180 + i * 4), 0);	/* registers never written */
	T_ASSERT_EQ_U64(data32(&f, 0x180 + 12 * 4), 0xac);
	T_ASSERT_EQ_U64(data32(&f, 0x180 + 13 * 4), 0xad);
	T_ASSERT_EQ_U64(data32(&f, 0x180 + 14 * 4), 0);
	T_ASSERT_EQ_U64(data32(&f, 0x180 + 15 * 4), 0xaf);
	T_ASSERT_EQ_U64(data32(&f, 0x204), 0xa0);
	T_ASSERT_EQ_U64(data32(&f, 0x208), 0x5511);
	T_ASSERT_EQ_U64(data64(&f, 0x210), 0xa3ull << 32 | 0xa2);
	T_ASSERT_EQ_U64(data32(&f, 0x220), 0xa0);
	T_ASSERT_EQ_U64(data32(&f, 0x224), 0);
	/* 9 fetches; loads/stores: 4 runs of mask bits, 16 contiguous (1), 1, 1, 1, 1. */
	T_ASSERT_EQ_U64(qstats(f.dev, 0).accesses, 9 + 4 + 1 + 1 + 1 + 1 + 1);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

/* ---------------------------------------------------------------------
 * BRANCH: every condition on negative, zero and positive values; loops
 * ------------------------------------------------------------------- */

static bool expect_taken(int32_t v, unsigned int cond)
{
	switch (cond) {
	case HW_CS_COND_LEQUAL: return v <= 0;
	case HW_CS_COND_GREATER: return v > 0;
	case HW_CS_COND_EQUAL: return v == 0;
	case HW_CS_COND_NEQUAL: return v != 0;
	case HW_CS_COND_LESS: return v < 0;
	case HW_CS_COND_GEQUAL: return v >= 0;
	default: return true;
	}
}

T_TEST(branch_conditions, "hw/cs/insn/branch-conditions")
{
	static const int32_t values[] = { INT32_MIN, -1, 0, 1, INT32_MAX };
	struct csf f;
	struct csa a;
	unsigned int k = 0, loop;

	csf_init(&f);
	csf_stream(&f, &a, 0);
	csa_emit(&a, csa_move48(0, DATA_VA));
	for (unsigned int v = 0; v < ARRAY_SIZE(values); v++) {
		for (unsigned int cond = 0; cond <= HW_CS_COND_ALWAYS; cond++, k++) {
			csa_emit(&a, csa_move32(10, (uint32_t)values[v]));
			csa_emit(&a, csa_move32(11, 1));
			csa_emit(&a, csa_branch(cond, 10, 1));	/* taken: skip the next one */
			csa_emit(&a, csa_move32(11, 0));
			csa_emit(&a, csa_store(11, 0, 1, (int16_t)(4 * k)));
		}
	}
	/* A backward loop: r4 = 3 * 10. */
	csa_emit(&a, csa_move32(3, 10));
	csa_emit(&a, csa_move32(4, 0));
	loop = csa_emit(&a, csa_add32(4, 4, 3));
	csa_emit(&a, csa_add32(3, 3, -1));
	csa_emit(&a, csa_branch(HW_CS_COND_NEQUAL, 3, csa_to(&a, loop)));
	csa_emit(&a, csa_store(4, 0, 1, 0x400));
	/* A branch to exactly the end of the buffer ends the stream. */
	csa_emit(&a, csa_branch(HW_CS_COND_ALWAYS, 0, 1));
	csa_emit(&a, csa_store(4, 0, 1, 0x404));		/* skipped */
	T_ASSERT_MSG(run(&f, &a) == HW_QUEUE_STATUS_DONE, "FAULT_INFO 0x%x at 0x%llx",
		     qrd(f.dev, 0, HW_QUEUE_FAULT_INFO),
		     (unsigned long long)qrd64(f.dev, 0, HW_QUEUE_PC_LO));

	k = 0;
	for (unsigned int v = 0; v < ARRAY_SIZE(values); v++)
		for (unsigned int cond = 0; cond <= HW_CS_COND_ALWAYS; cond++, k++)
			T_ASSERT_MSG(data32(&f, 4 * k) == expect_taken(values[v], cond),
				     "BRANCH cond %u on %d: taken %u", cond, values[v], data32(&f, 4 * k));
	T_ASSERT_EQ_U64(data32(&f, 0x400), 30);
	T_ASSERT_EQ_U64(data32(&f, 0x404), 0);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

T_TEST(branch_outside, "hw/cs/insn/branch-outside-buffer")
{
	struct csf f;
	struct csa a;

	csf_init(&f);
	csf_stream(&f, &a, 1);
	csa_emit(&a, csa_nop());
	csa_emit(&a, csa_branch(HW_CS_COND_ALWAYS, 0, 2));	/* one past the end */
	csa_emit(&a, csa_nop());
	T_ASSERT_EQ_INT(run(&f, &a), HW_QUEUE_STATUS_FAULT);
	T_ASSERT_EQ_U64(qrd(f.dev, 0, HW_QUEUE_FAULT_INFO),
			HW_CS_EXC_INSTR_INVALID_PC | HW_CS_OP_BRANCH << 8);
	T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_FAULT_ADDRESS_LO), a.va + 32);
	T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_PC_LO), a.va + 8);

	csf_stream(&f, &a, 1);
	csa_emit(&a, csa_branch(HW_CS_COND_ALWAYS, 0, -2));	/* before the start */
	T_ASSERT_EQ_INT(run(&f, &a), HW_QUEUE_STATUS_FAULT);
	T_ASSERT_EQ_U64(HW_QUEUE_FAULT_EXCEPTION(qrd(f.dev, 0, HW_QUEUE_FAULT_INFO)),
			HW_CS_EXC_INSTR_INVALID_PC);
	T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_FAULT_ADDRESS_LO), a.va - 8);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

/* ---------------------------------------------------------------------
 * CALL, JUMP, returns at the end of a buffer, the call-stack limit
 * ------------------------------------------------------------------- */

T_TEST(call_jump, "hw/cs/insn/call-jump-return")
{
	struct csf f;
	struct csa root, sub, tail, empty;

	csf_init(&f);
	/* page 1: a subroutine storing 0xA at +0 */
	csf_stream(&f, &sub, 1);
	csa_emit(&sub, csa_move32(20, 0xa));
	csa_emit(&sub, csa_store(20, 0, 1, 0x0));
	/* page 2: where the root jumps to, storing 0xC at +0xc */
	csf_stream(&f, &tail, 2);
	csa_emit(&tail, csa_move32(23, 0xc));
	csa_emit(&tail, csa_store(23, 0, 1, 0xc));
	/* page 3: an empty buffer */
	csf_stream(&f, &empty, 3);

	csf_stream(&f, &root, 0);
	csa_emit(&root, csa_move48(0, DATA_VA));
	csa_emit(&root, csa_move48(30, sub.va));
	csa_emit(&root, csa_move32(32, csa_size(&sub)));
	csa_emit(&root, csa_call(30, 32));
	csa_emit(&root, csa_move32(21, 0xb));			/* after the return */
	csa_emit(&root, csa_store(21, 0, 1, 0x4));
	csa_emit(&root, csa_move48(30, empty.va));
	csa_emit(&root, csa_move32(32, 0));
	csa_emit(&root, csa_call(30, 32));			/* returns at once */
	csa_emit(&root, csa_add32(21, 21, 1));
	csa_emit(&root, csa_store(21, 0, 1, 0x10));
	csa_emit(&root, csa_move48(34, tail.va));
	csa_emit(&root, csa_move32(36, csa_size(&tail)));
	csa_emit(&root, csa_jump(34, 36));			/* from the root: no way back */
	csa_emit(&root, csa_move32(22, 0xbad));
	csa_emit(&root, csa_store(22, 0, 1, 0x8));
	T_ASSERT_EQ_INT(run(&f, &root), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_U64(data32(&f, 0x0), 0xa);
	T_ASSERT_EQ_U64(data32(&f, 0x4), 0xb);
	T_ASSERT_EQ_U64(data32(&f, 0x8), 0);
	T_ASSERT_EQ_U64(data32(&f, 0xc), 0xc);
	T_ASSERT_EQ_U64(data32(&f, 0x10), 0xc);
	T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_PC_LO), tail.va + csa_size(&tail));
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

T_TEST(call_overflow, "hw/cs/insn/call-stack-overflow")
{
	struct csf f;
	struct csa root, sub;
	unsigned int call;

	csf_init(&f);
	/* A subroutine that counts and calls itself: 7 nested CALLs work, the 8th overflows. */
	csf_stream(&f, &sub, 1);
	csa_emit(&sub, csa_add32(40, 40, 1));
	csa_emit(&sub, csa_store(40, 0, 1, 0x20));
	call = csa_emit(&sub, csa_call(30, 32));
	csf_stream(&f, &root, 0);
	csa_emit(&root, csa_move48(0, DATA_VA));
	csa_emit(&root, csa_move32(40, 0));
	csa_emit(&root, csa_move48(30, sub.va));
	csa_emit(&root, csa_move32(32, csa_size(&sub)));
	csa_emit(&root, csa_call(30, 32));
	T_ASSERT_EQ_INT(run(&f, &root), HW_QUEUE_STATUS_FAULT);
	T_ASSERT_EQ_U64(HW_QUEUE_FAULT_EXCEPTION(qrd(f.dev, 0, HW_QUEUE_FAULT_INFO)),
			HW_CS_EXC_CALL_STACK_OVERFLOW);
	T_ASSERT_EQ_U64(data32(&f, 0x20), HW_CS_CALL_DEPTH);
	T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_PC_LO), sub.va + 8ull * call);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), HW_JOB_INT_FAULT(0));
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

/* ---------------------------------------------------------------------
 * SYNC_ADD / SYNC_SET / SYNC_WAIT, one slot and two
 * ------------------------------------------------------------------- */

T_TEST(sync_ops, "hw/cs/insn/sync-add-set-wait")
{
	struct csf f;
	struct csa a;
	struct hw_queue_stats st;

	csf_init(&f);
	set_data32(&f, 0x100, 5);
	set_data32(&f, 0x104, 0x77);		/* the word after a 32-bit sync object */
	set_data64(&f, 0x108, 0xffffffffull);
	csf_stream(&f, &a, 0);
	csa_emit(&a, csa_move48(0, DATA_VA + 0x100));
	csa_emit(&a, csa_move48(2, DATA_VA + 0x108));
	csa_emit(&a, csa_move32(4, 3));
	csa_emit(&a, csa_sync_add32(0, 4));			/* 5 + 3 */
	csa_emit(&a, csa_move48(6, 1));
	csa_emit(&a, csa_sync_add64(2, 6));			/* carries in memory */
	csa_emit(&a, csa_sync_wait32(HW_CS_COND_GREATER, 0, 4));	/* 8 > 3: no wait */
	csa_emit(&a, csa_move48(8, 0x100000000ull));
	csa_emit(&a, csa_sync_wait64(HW_CS_COND_LEQUAL, 2, 8));	/* equal: no wait */
	csa_emit(&a, csa_move32(10, 42));
	csa_emit(&a, csa_load(11, 0, 1, 0));			/* the added value, read back */
	csa_emit(&a, csa_sync_set32(0, 10));
	csa_emit(&a, csa_store(11, 0, 1, 0x10));
	csa_emit(&a, csa_move48(12, 0x123456789abcull));
	csa_emit(&a, csa_sync_set64(2, 12));
	T_ASSERT_EQ_INT(run(&f, &a), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_U64(data32(&f, 0x110), 8);
	T_ASSERT_EQ_U64(data32(&f, 0x100), 42);
	T_ASSERT_EQ_U64(data32(&f, 0x104), 0x77);		/* no error-status word written */
	T_ASSERT_EQ_U64(data64(&f, 0x108), 0x123456789abcull);
	st = qstats(f.dev, 0);
	T_ASSERT_EQ_U64(st.sync_waits, 0);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

/* Slot 0 waits for a sync object slot 1 signals. */
static void two_slot_sync(bool wide)
{
	struct csf f;
	struct csa w, s;
	struct hw_queue_stats st;

	csf_init(&f);
	if (wide)
		set_data64(&f, 0x200, 10);
	csf_stream(&f, &w, 0);
	csa_emit(&w, csa_move48(0, DATA_VA + 0x200));
	if (wide) {
		csa_emit(&w, csa_move48(2, 5));
		csa_emit(&w, csa_sync_wait64(HW_CS_COND_LEQUAL, 0, 2));	/* until <= 5 */
	} else {
		csa_emit(&w, csa_move32(2, 0));
		csa_emit(&w, csa_sync_wait32(HW_CS_COND_GREATER, 0, 2));	/* until > 0 */
	}
	csa_emit(&w, csa_move32(3, 0x5a));
	csa_emit(&w, csa_store(3, 0, 1, 0x10));
	csf_stream(&f, &s, 1);
	csa_emit(&s, csa_move48(0, DATA_VA + 0x200));
	if (wide) {
		csa_emit(&s, csa_move48(2, 3));
		csa_emit(&s, csa_sync_set64(0, 2));
	} else {
		csa_emit(&s, csa_move32(2, 1));
		csa_emit(&s, csa_sync_add32(0, 2));
	}

	q_start(f.dev, 0, AS, w.va, csa_size(&w), 0);
	q_wait_blocked(f.dev, 0);
	ht_sleep_us(3000);				/* several polls: still blocked */
	T_ASSERT(qrd(f.dev, 0, HW_QUEUE_STATUS) ==
		 (HW_QUEUE_STATUS_RUNNING | HW_QUEUE_STATUS_WAITING));
	T_ASSERT_EQ_U64(data32(&f, 0x210), 0);
	q_start(f.dev, 1, AS, s.va, csa_size(&s), 0);
	T_ASSERT_EQ_INT(q_wait(f.dev, 1, 2000), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_INT(q_wait(f.dev, 0, 2000), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_U64(data32(&f, 0x210), 0x5a);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT),
			HW_JOB_INT_DONE(0) | HW_JOB_INT_DONE(1));
	st = qstats(f.dev, 0);
	T_ASSERT_EQ_U64(st.sync_waits, 1);
	T_ASSERT(st.sync_wait_ns >= 3000000);
	T_ASSERT_EQ_U64(qstats(f.dev, 1).sync_waits, 0);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

T_TEST(sync_two_slots32, "hw/cs/sync/second-slot-signals-32")
{
	two_slot_sync(false);
}

T_TEST(sync_two_slots64, "hw/cs/sync/second-slot-signals-64")
{
	two_slot_sync(true);
}

T_TEST(sync_timeout, "hw/cs/sync/wait-timeout")
{
	struct hw_config cfg;
	struct csf f;
	struct csa a;
	unsigned int wait;
	uint64_t t0, dt;

	hw_config_default(&cfg);
	cfg.job_timeout_ns = 40000000;		/* the device default: 40 ms */
	csf_init_cfg(&f, &cfg);
	csf_stream(&f, &a, 0);
	csa_emit(&a, csa_move48(0, DATA_VA + 0x300));
	csa_emit(&a, csa_move32(2, 0));
	wait = csa_emit(&a, csa_sync_wait32(HW_CS_COND_GREATER, 0, 2));	/* never */
	csa_emit(&a, csa_store(2, 0, 1, 0x10));

	/* The slot's CONFIG says 20 ms. */
	t0 = ht_now_ns();
	q_start(f.dev, 0, AS, a.va, csa_size(&a), 20);
	T_ASSERT_EQ_INT(q_wait(f.dev, 0, 2000), HW_QUEUE_STATUS_TIMEOUT);
	dt = ht_now_ns() - t0;
	T_ASSERT_MSG(dt >= 20000000 && dt < 1000000000, "timed out after %llu ns",
		     (unsigned long long)dt);
	T_ASSERT_EQ_U64(qrd(f.dev, 0, HW_QUEUE_FAULT_INFO), HW_CS_EXC_TIMEOUT);
	T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_FAULT_ADDRESS_LO), DATA_VA + 0x300);
	T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_PC_LO), a.va + 8ull * wait);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), HW_JOB_INT_TIMEOUT(0));

	/* CONFIG 0: the device default. */
	hw_mmio_write32(f.dev, HW_JOB_INT_CLEAR, 0xffffffff);
	t0 = ht_now_ns();
	q_start(f.dev, 0, AS, a.va, csa_size(&a), 0);
	T_ASSERT_EQ_INT(q_wait(f.dev, 0, 2000), HW_QUEUE_STATUS_TIMEOUT);
	T_ASSERT(ht_now_ns() - t0 >= 40000000);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), HW_JOB_INT_TIMEOUT(0));
	T_ASSERT_EQ_U64(qstats(f.dev, 0).sync_waits, 2);
	T_ASSERT_EQ_U64(data32(&f, 0x10), 0);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

/* ---------------------------------------------------------------------
 * Faults: fetch and data accesses through the MMU
 * ------------------------------------------------------------------- */

T_TEST(fault_fetch, "hw/cs/fault/fetch-unmapped")
{
	struct csf f;
	uint32_t info, fs;

	csf_init(&f);
	q_start(f.dev, 0, AS, UNMAPPED_VA, 64, 0);
	T_ASSERT_EQ_INT(q_wait(f.dev, 0, 2000), HW_QUEUE_STATUS_FAULT);
	info = qrd(f.dev, 0, HW_QUEUE_FAULT_INFO);
	fs = hw_mmio_read32(f.dev, HW_MMU_AS(AS) + HW_AS_FAULTSTATUS);
	T_ASSERT_EQ_U64(HW_QUEUE_FAULT_EXCEPTION(info), HW_CS_EXC_BUS_FAULT);
	T_ASSERT_EQ_U64(HW_QUEUE_FAULT_DETAIL(info), HW_EXC_TRANSLATION_FAULT(2));
	T_ASSERT_EQ_U64(HW_QUEUE_FAULT_ACCESS(info), HW_ACCESS_READ);
	T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_FAULT_ADDRESS_LO), UNMAPPED_VA);
	T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_PC_LO), UNMAPPED_VA);
	/* The MMU latched its own fault: a data read (fetches are reads), and raised its line. */
	T_ASSERT_EQ_U64(HW_AS_FAULTSTATUS_EXCEPTION(fs), HW_EXC_TRANSLATION_FAULT(2));
	T_ASSERT_EQ_U64(HW_AS_FAULTSTATUS_ACCESS(fs), HW_ACCESS_READ);
	T_ASSERT_EQ_U64(ht_as_read64(f.dev, AS, HW_AS_FAULTADDRESS_LO), UNMAPPED_VA);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_MMU_INT_RAWSTAT), HW_MMU_PAGE_FAULT(AS));
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), HW_JOB_INT_FAULT(0));

	/* The AS is stopped until UPDATE: the next stream faults without an MMU code. */
	q_start(f.dev, 1, AS, CODE_VA, 8, 0);
	T_ASSERT_EQ_INT(q_wait(f.dev, 1, 2000), HW_QUEUE_STATUS_FAULT);
	T_ASSERT_EQ_U64(qrd(f.dev, 1, HW_QUEUE_FAULT_INFO),
			HW_CS_EXC_BUS_FAULT | HW_ACCESS_READ << 16);
	/* An AS with translation off: the same. */
	q_start(f.dev, 2, 3, CODE_VA, 8, 0);
	T_ASSERT_EQ_INT(q_wait(f.dev, 2, 2000), HW_QUEUE_STATUS_FAULT);
	T_ASSERT_EQ_U64(qrd(f.dev, 2, HW_QUEUE_FAULT_INFO),
			HW_CS_EXC_BUS_FAULT | HW_ACCESS_READ << 16);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

static void data_fault(bool atomic)
{
	struct csf f;
	struct csa a;
	unsigned int bad;
	uint32_t info;

	csf_init(&f);
	csf_stream(&f, &a, 0);
	csa_emit(&a, csa_move48(0, RO_VA));
	csa_emit(&a, csa_load(2, 0, 0x3, 0x8));		/* reading a read-only page is fine */
	csa_emit(&a, csa_move48(4, DATA_VA));
	csa_emit(&a, csa_store(2, 4, 0x3, 0));
	bad = csa_emit(&a, atomic ? csa_sync_add32(0, 2) : csa_store(2, 0, 0x1, 0x10));
	csa_emit(&a, csa_store(2, 4, 0x3, 0x8));		/* not reached */
	T_ASSERT_EQ_INT(run(&f, &a), HW_QUEUE_STATUS_FAULT);
	T_ASSERT_EQ_U64(data64(&f, 0), ht_word(0xe, 0x8));
	T_ASSERT_EQ_U64(data64(&f, 8), 0);
	info = qrd(f.dev, 0, HW_QUEUE_FAULT_INFO);
	T_ASSERT_EQ_U64(HW_QUEUE_FAULT_EXCEPTION(info), HW_CS_EXC_BUS_FAULT);
	T_ASSERT_EQ_U64(HW_QUEUE_FAULT_DETAIL(info), HW_EXC_PERMISSION_FAULT(3));
	T_ASSERT_EQ_U64(HW_QUEUE_FAULT_ACCESS(info), atomic ? HW_ACCESS_ATOMIC : HW_ACCESS_WRITE);
	T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_FAULT_ADDRESS_LO), RO_VA + (atomic ? 0 : 0x10));
	T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_PC_LO), a.va + 8ull * bad);
	T_ASSERT_EQ_U64(HW_AS_FAULTSTATUS_EXCEPTION(hw_mmio_read32(f.dev, HW_MMU_AS(AS) + HW_AS_FAULTSTATUS)),
			HW_EXC_PERMISSION_FAULT(3));
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_MMU_INT_RAWSTAT), HW_MMU_PAGE_FAULT(AS));
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

T_TEST(fault_store, "hw/cs/fault/store-read-only")
{
	data_fault(false);
}

T_TEST(fault_atomic, "hw/cs/fault/sync-add-read-only")
{
	data_fault(true);
}

/* ---------------------------------------------------------------------
 * A data access inside the locked region stalls the executor
 * ------------------------------------------------------------------- */

/* Two 32-bit stores to DATA_VA: 0x77 at +0, 0x78 at +4. */
static void emit_two_stores(struct csa *a)
{
	csa_emit(a, csa_move48(0, DATA_VA));
	csa_emit(a, csa_move32(2, 0x77));
	csa_emit(a, csa_store(2, 0, 1, 0));
	csa_emit(a, csa_move32(3, 0x78));
	csa_emit(a, csa_store(3, 0, 1, 4));
}

T_TEST(lock_stall, "hw/cs/lock/store-stalls-until-unlock")
{
	struct csf f;
	struct csa a;
	struct hw_as_stats as;

	csf_init(&f);
	csf_stream(&f, &a, 0);
	emit_two_stores(&a);
	ht_as_lock(f.dev, AS, DATA_VA, 0x1000);		/* the code pages stay outside */
	q_start(f.dev, 0, AS, a.va, csa_size(&a), 0);
	ht_sleep_us(30000);
	T_ASSERT_EQ_INT(qrd(f.dev, 0, HW_QUEUE_STATUS), HW_QUEUE_STATUS_RUNNING);
	T_ASSERT_EQ_U64(data32(&f, 0), 0);
	ht_as_cmd(f.dev, AS, HW_AS_COMMAND_UNLOCK);
	T_ASSERT_EQ_INT(q_wait(f.dev, 0, 2000), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_U64(data32(&f, 0), 0x77);
	T_ASSERT_EQ_U64(data32(&f, 4), 0x78);
	T_ASSERT_EQ_U64(qstats(f.dev, 0).stalls, 1);
	T_ASSERT_OK(hw_as_stats(f.dev, AS, &as));
	T_ASSERT_EQ_U64(as.stalls, 1);
	T_ASSERT(as.stall_ns >= 25000000);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

/* ---------------------------------------------------------------------
 * Trace: each slot's executor has its track, "gpu-cs<n>"
 * ------------------------------------------------------------------- */

/* One recorded trace event (strings copied: they live only during the callback). */
struct trec_ev {
	char track[16];
	char name[16];
	char phase;
	unsigned int nargs;
	char arg_names[4][16];
	int64_t args[4];
};

static struct {
	pthread_mutex_t lock;
	unsigned int n;
	struct trec_ev ev[256];
} trec = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void trec_event(void *cookie, const struct u_trace_event *ev)
{
	pthread_mutex_lock(&trec.lock);
	if (trec.n < ARRAY_SIZE(trec.ev)) {
		struct trec_ev *e = &trec.ev[trec.n++];

		snprintf(e->track, sizeof(e->track), "%s", ev->track);
		snprintf(e->name, sizeof(e->name), "%s", ev->name);
		e->phase = ev->phase;
		e->nargs = ev->nargs;
		for (unsigned int i = 0; i < ev->nargs; i++) {
			snprintf(e->arg_names[i], sizeof(e->arg_names[i]), "%s", ev->arg_names[i]);
			e->args[i] = ev->args[i];
		}
	}
	pthread_mutex_unlock(&trec.lock);
}

static const struct u_tracer_ops trec_ops = { .event = trec_event };

/* Return: the index of the first recorded event @name/@phase on @track, or -1. */
static int trec_find(const char *track, const char *name, char phase)
{
	int found = -1;

	pthread_mutex_lock(&trec.lock);
	for (unsigned int i = 0; i < trec.n && found < 0; i++)
		if (!strcmp(trec.ev[i].track, track) && !strcmp(trec.ev[i].name, name) &&
		    trec.ev[i].phase == phase)
			found = (int)i;
	pthread_mutex_unlock(&trec.lock);
	return found;
}

/* Return: argument @name of event @i (the recorder is detached), failing the test if absent. */
static int64_t trec_arg(int i, const char *name)
{
	T_ASSERT_MSG(i >= 0, "event not recorded");
	for (unsigned int k = 0; k < trec.ev[i].nargs; k++)
		if (!strcmp(trec.ev[i].arg_names[k], name))
			return trec.ev[i].args[k];
	t_fail(__FILE__, __LINE__, "event %s on %s has no argument %s", trec.ev[i].name,
	       trec.ev[i].track, name);
	return 0;
}

/*
 * A stream stalled on a locked region: its run is a "stream" span on
 * gpu-cs0 with the stall nested in it; a stream that faults on slot 1 shows
 * the MMU fault as an instant on gpu-cs1. Nothing is recorded while no
 * tracer is attached.
 */
T_TEST(trace_executor_tracks, "hw/cs/trace/executor-tracks-stall-fault")
{
	uint64_t deadline;
	int sb, se, stb, ste, f1, e1;
	struct csf f;
	struct csa a;

	csf_init(&f);
	csf_stream(&f, &a, 0);
	emit_two_stores(&a);
	trec.n = 0;
	T_ASSERT_EQ_INT(run(&f, &a), HW_QUEUE_STATUS_DONE);	/* untraced */
	T_ASSERT_EQ_INT(trec.n, 0);

	u_trace_attach(&trec_ops, NULL);
	ht_as_lock(f.dev, AS, DATA_VA, 0x1000);		/* the code pages stay outside */
	q_start(f.dev, 0, AS, a.va, csa_size(&a), 0);
	/* The stall is on the executor's track while it lasts. */
	deadline = ht_now_ns() + 5000000000ull;
	while (trec_find("gpu-cs0", "stall", 'B') < 0) {
		if (ht_now_ns() > deadline) {
			u_trace_attach(NULL, NULL);
			t_fail(__FILE__, __LINE__, "no stall began on gpu-cs0");
		}
		ht_sleep_us(100);
	}
	T_ASSERT_EQ_INT(qrd(f.dev, 0, HW_QUEUE_STATUS), HW_QUEUE_STATUS_RUNNING);
	T_ASSERT_EQ_INT(trec_find("gpu-cs0", "stall", 'E'), -1);
	ht_as_cmd(f.dev, AS, HW_AS_COMMAND_UNLOCK);
	T_ASSERT_EQ_INT(q_wait(f.dev, 0, 2000), HW_QUEUE_STATUS_DONE);
	q_start(f.dev, 1, AS, UNMAPPED_VA, 64, 0);
	T_ASSERT_EQ_INT(q_wait(f.dev, 1, 2000), HW_QUEUE_STATUS_FAULT);
	u_trace_attach(NULL, NULL);

	sb = trec_find("gpu-cs0", "stream", 'B');
	stb = trec_find("gpu-cs0", "stall", 'B');
	ste = trec_find("gpu-cs0", "stall", 'E');
	se = trec_find("gpu-cs0", "stream", 'E');
	T_ASSERT_MSG(sb >= 0 && sb < stb && stb < ste && ste < se,
		     "gpu-cs0: stream %d, stall %d..%d, stream end %d: not nested", sb, stb, ste, se);
	T_ASSERT_EQ_U64(trec_arg(sb, "as"), AS);
	T_ASSERT_EQ_U64(trec_arg(sb, "base"), a.va);
	T_ASSERT_EQ_U64(trec_arg(sb, "size"), csa_size(&a));
	T_ASSERT_EQ_U64(trec_arg(stb, "as"), AS);
	T_ASSERT_EQ_U64(trec_arg(stb, "va"), DATA_VA);
	T_ASSERT(trec_arg(ste, "ns") > 0);
	T_ASSERT_EQ_INT(trec_arg(se, "status"), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_INT(trec_arg(se, "instructions"), 5);
	T_ASSERT_EQ_INT(trec_arg(se, "accesses"), 7);		/* 5 fetches, 2 stores */
	T_ASSERT_EQ_INT(trec_arg(se, "stalls"), 1);
	/* The AS's own track still shows the stall. */
	T_ASSERT(trec_find("gpu-as1", "stall", 'B') >= 0);

	/* Slot 1: the fetch faulted; the stream ended FAULT; nothing stalled there. */
	f1 = trec_find("gpu-cs1", "fault", 'i');
	e1 = trec_find("gpu-cs1", "stream", 'E');
	T_ASSERT_MSG(f1 >= 0 && f1 < e1, "gpu-cs1: fault %d, stream end %d", f1, e1);
	T_ASSERT_EQ_U64(trec_arg(f1, "as"), AS);
	T_ASSERT_EQ_U64(trec_arg(f1, "va"), UNMAPPED_VA);
	T_ASSERT_EQ_U64(trec_arg(f1, "exception"), HW_EXC_TRANSLATION_FAULT(2));
	T_ASSERT_EQ_U64(trec_arg(f1, "access"), HW_ACCESS_READ);
	T_ASSERT_EQ_INT(trec_arg(e1, "status"), HW_QUEUE_STATUS_FAULT);
	T_ASSERT_EQ_INT(trec_find("gpu-cs1", "stall", 'B'), -1);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

/* ---------------------------------------------------------------------
 * Instructions the model does not run, and invalid ones
 * ------------------------------------------------------------------- */

T_TEST(unsupported, "hw/cs/unsupported/shader-core-instructions")
{
	static const unsigned int ops[] = { HW_CS_OP_RUN_COMPUTE, HW_CS_OP_RUN_FRAGMENT, 0x12, 0x3f, 0xff };
	struct csf f;
	struct csa a;

	csf_init(&f);
	for (unsigned int i = 0; i < ARRAY_SIZE(ops); i++) {
		unsigned int bad;

		memset(mm_pa_to_virt(f.data), 0, 16);
		hw_mmio_write32(f.dev, HW_JOB_INT_CLEAR, 0xffffffff);
		csf_stream(&f, &a, 0);
		csa_emit(&a, csa_move48(0, DATA_VA));
		csa_emit(&a, csa_move32(2, 1));
		csa_emit(&a, csa_store(2, 0, 1, 0));
		bad = csa_emit(&a, csa_insn(ops[i], 0x123));
		csa_emit(&a, csa_store(2, 0, 1, 4));		/* not reached */
		T_ASSERT_EQ_INT(run(&f, &a), HW_QUEUE_STATUS_UNSUPPORTED);
		T_ASSERT_EQ_U64(qrd(f.dev, 0, HW_QUEUE_FAULT_INFO),
				HW_CS_EXC_INSTR_INVALID | ops[i] << 8);
		T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_PC_LO), a.va + 8ull * bad);
		T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_FAULT_ADDRESS_LO), a.va + 8ull * bad);
		T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), HW_JOB_INT_FAULT(0));
		T_ASSERT_EQ_U64(data32(&f, 0), 1);
		T_ASSERT_EQ_U64(data32(&f, 4), 0);
	}
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

struct invalid_case {
	const char *what;
	uint64_t insn;
};

T_TEST(invalid, "hw/cs/invalid/operands")
{
	const struct invalid_case cases[] = {
		{ "MOVE32 r96", csa_move32(96, 1) },
		{ "MOVE48 d95", csa_move48(95, 1) },
		{ "ADD_IMMEDIATE64 from d95", csa_add64(0, 95, 1) },
		{ "STORE r90.. with mask reaching r96", csa_store(90, 0, 0x40, 0) },
		{ "LOAD from a misaligned address", csa_load(2, 0, 1, 2) },
		{ "BRANCH condition 7", csa_insn(HW_CS_OP_BRANCH, 7ull << 28) },
		{ "SYNC_WAIT32 EQUAL", csa_sync_wait32(HW_CS_COND_EQUAL, 0, 2) },
		{ "SYNC_WAIT64 misaligned", csa_sync_wait64(HW_CS_COND_GREATER, 4, 2) },
		{ "SYNC_ADD64 misaligned", csa_sync_add64(4, 2) },
		{ "CALL length not a multiple of 8", csa_call(0, 6) },
		{ "JUMP to a misaligned address", csa_jump(4, 2) },
	};
	struct csf f;
	struct csa a;

	csf_init(&f);
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned int bad;

		csf_stream(&f, &a, 0);
		csa_emit(&a, csa_move48(0, DATA_VA));
		csa_emit(&a, csa_move48(4, DATA_VA + 4));
		csa_emit(&a, csa_move32(2, 0));
		csa_emit(&a, csa_move32(6, 12));
		bad = csa_emit(&a, cases[i].insn);
		T_ASSERT_MSG(run(&f, &a) == HW_QUEUE_STATUS_FAULT, "%s: not a FAULT", cases[i].what);
		T_ASSERT_MSG(qrd(f.dev, 0, HW_QUEUE_FAULT_INFO) ==
			     (HW_CS_EXC_INSTR_INVALID | HW_CS_OPCODE(cases[i].insn) << 8),
			     "%s: FAULT_INFO 0x%x", cases[i].what, qrd(f.dev, 0, HW_QUEUE_FAULT_INFO));
		T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_PC_LO), a.va + 8ull * bad);
	}
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

/* ---------------------------------------------------------------------
 * Queue control: STOP, doorbells, configuration, registers, interrupts
 * ------------------------------------------------------------------- */

/* A loop of @iters iterations storing its counter at DATA_VA + @off. */
static unsigned int emit_counter_loop(struct csa *a, uint32_t iters, int16_t off)
{
	unsigned int loop;

	csa_emit(a, csa_move48(0, DATA_VA));
	csa_emit(a, csa_move32(2, 0));
	csa_emit(a, csa_move32(3, iters));
	loop = csa_emit(a, csa_add32(2, 2, 1));
	csa_emit(a, csa_store(2, 0, 1, off));
	csa_emit(a, csa_add32(3, 3, -1));
	csa_emit(a, csa_branch(HW_CS_COND_NEQUAL, 3, csa_to(a, loop)));
	return loop;
}

T_TEST(stop, "hw/cs/queue/stop-mid-stream")
{
	struct csf f;
	struct csa a;
	unsigned int loop;
	uint64_t deadline = ht_now_ns() + 2000000000ull, pc;
	uint32_t c1;

	csf_init(&f);
	csf_stream(&f, &a, 0);
	loop = emit_counter_loop(&a, 0x7fffffff, 0);
	q_start(f.dev, 0, AS, a.va, csa_size(&a), 0);
	while (data32(&f, 0) < 1000)
		T_ASSERT_MSG(ht_now_ns() < deadline, "the loop makes no progress");
	qwr(f.dev, 0, HW_QUEUE_STOP, 1);
	T_ASSERT_EQ_INT(q_wait(f.dev, 0, 2000), HW_QUEUE_STATUS_STOPPED);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), HW_JOB_INT_STOPPED(0));
	T_ASSERT_EQ_U64(qrd(f.dev, 0, HW_QUEUE_FAULT_INFO), 0);
	pc = qrd64(f.dev, 0, HW_QUEUE_PC_LO);
	T_ASSERT_MSG(pc >= a.va + 8ull * loop && pc < a.va + csa_size(&a),
		     "PC 0x%llx outside the loop", (unsigned long long)pc);
	c1 = data32(&f, 0);
	T_ASSERT(c1 >= 1000 && c1 < 0x7fffffff);
	ht_sleep_us(5000);
	T_ASSERT_EQ_U64(data32(&f, 0), c1);			/* really stopped */
	/* STOP of a slot that runs nothing changes nothing. */
	hw_mmio_write32(f.dev, HW_JOB_INT_CLEAR, 0xffffffff);
	qwr(f.dev, 0, HW_QUEUE_STOP, 1);
	T_ASSERT_EQ_INT(qrd(f.dev, 0, HW_QUEUE_STATUS), HW_QUEUE_STATUS_STOPPED);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), 0);
	/* A stream blocked in SYNC_WAIT stops too. */
	csf_stream(&f, &a, 1);
	csa_emit(&a, csa_move48(0, DATA_VA + 0x100));
	csa_emit(&a, csa_sync_wait32(HW_CS_COND_GREATER, 0, 2));	/* r2 is large: never */
	q_start(f.dev, 0, AS, a.va, csa_size(&a), 0);
	q_wait_blocked(f.dev, 0);
	qwr(f.dev, 0, HW_QUEUE_STOP, 1);
	T_ASSERT_EQ_INT(q_wait(f.dev, 0, 500), HW_QUEUE_STATUS_STOPPED);
	T_ASSERT_EQ_U64(qrd64(f.dev, 0, HW_QUEUE_PC_LO), a.va + 8);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

T_TEST(doorbell_running, "hw/cs/queue/doorbell-while-running")
{
	struct csf f;
	struct csa a;
	struct hw_queue_stats st;

	csf_init(&f);
	csf_stream(&f, &a, 0);
	csa_emit(&a, csa_move48(0, DATA_VA + 0x100));
	csa_emit(&a, csa_move32(2, 0));
	csa_emit(&a, csa_sync_wait32(HW_CS_COND_GREATER, 0, 2));
	csa_emit(&a, csa_sync_add32(0, 0));			/* adds r0: the word + low VA bits */
	q_start(f.dev, 0, AS, a.va, csa_size(&a), 0);
	q_wait_blocked(f.dev, 0);
	qwr(f.dev, 0, HW_QUEUE_DOORBELL, 1);			/* ignored */
	ht_sleep_us(2000);
	T_ASSERT(qrd(f.dev, 0, HW_QUEUE_STATUS) == (HW_QUEUE_STATUS_RUNNING | HW_QUEUE_STATUS_WAITING));
	/* The CPU signals (no GPU signal), then rings: the wait looks again. */
	set_data32(&f, 0x100, 1);
	qwr(f.dev, 0, HW_QUEUE_DOORBELL, 1);
	T_ASSERT_EQ_INT(q_wait(f.dev, 0, 2000), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_U64(data32(&f, 0x100), 1 + (uint32_t)(DATA_VA + 0x100));	/* ran once */
	st = qstats(f.dev, 0);
	T_ASSERT_EQ_U64(st.runs, 1);
	T_ASSERT_EQ_U64(st.doorbells_ignored, 2);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), HW_JOB_INT_DONE(0));
	/* Once it ended, a doorbell runs the stream again. */
	q_start(f.dev, 0, AS, a.va, csa_size(&a), 0);
	T_ASSERT_EQ_INT(q_wait(f.dev, 0, 2000), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_U64(qstats(f.dev, 0).runs, 2);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

T_TEST(config_fault, "hw/cs/queue/config-faults")
{
	struct csf f;

	csf_init(&f);
	/* Refused at the doorbell, synchronously. */
	q_start(f.dev, 0, 12, CODE_VA, 8, 0);			/* AS 12 is absent */
	T_ASSERT_EQ_INT(qrd(f.dev, 0, HW_QUEUE_STATUS), HW_QUEUE_STATUS_FAULT);
	T_ASSERT_EQ_U64(qrd(f.dev, 0, HW_QUEUE_FAULT_INFO), HW_CS_EXC_CONFIG_FAULT);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), HW_JOB_INT_FAULT(0));
	q_start(f.dev, 1, AS, CODE_VA, 12, 0);			/* size not a multiple of 8 */
	T_ASSERT_EQ_INT(qrd(f.dev, 1, HW_QUEUE_STATUS), HW_QUEUE_STATUS_FAULT);
	T_ASSERT_EQ_U64(qrd(f.dev, 1, HW_QUEUE_FAULT_INFO), HW_CS_EXC_CONFIG_FAULT);
	q_start(f.dev, 2, AS, CODE_VA + 4, 8, 0);		/* base misaligned */
	T_ASSERT_EQ_U64(qrd(f.dev, 2, HW_QUEUE_FAULT_INFO), HW_CS_EXC_CONFIG_FAULT);
	/* An empty stream is done at once. */
	q_start(f.dev, 3, AS, CODE_VA, 0, 0);
	T_ASSERT_EQ_INT(q_wait(f.dev, 3, 2000), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_U64(qstats(f.dev, 3).instructions, 0);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

T_TEST(registers, "hw/cs/queue/registers")
{
	struct hw_config cfg;
	struct hw_queue_stats st;
	struct csf f;

	csf_init(&f);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_QUEUE_PRESENT), 0xff);
	for (unsigned int n = 0; n < HW_MAX_QUEUE_SLOTS; n++) {
		T_ASSERT_EQ_INT(qrd(f.dev, n, HW_QUEUE_STATUS), HW_QUEUE_STATUS_IDLE);
		T_ASSERT_EQ_U64(qrd64(f.dev, n, HW_QUEUE_STREAM_BASE_LO), 0);
	}
	qwr(f.dev, 5, HW_QUEUE_STREAM_BASE_LO, 0x12345678);
	qwr(f.dev, 5, HW_QUEUE_STREAM_BASE_HI, 0x9a);
	qwr(f.dev, 5, HW_QUEUE_STREAM_SIZE, 0x40);
	qwr(f.dev, 5, HW_QUEUE_AS, 3);
	qwr(f.dev, 5, HW_QUEUE_CONFIG, 0x1234);
	T_ASSERT_EQ_U64(qrd64(f.dev, 5, HW_QUEUE_STREAM_BASE_LO), 0x9a12345678ull);
	T_ASSERT_EQ_U64(qrd(f.dev, 5, HW_QUEUE_STREAM_SIZE), 0x40);
	T_ASSERT_EQ_U64(qrd(f.dev, 5, HW_QUEUE_AS), 3);
	T_ASSERT_EQ_U64(qrd(f.dev, 5, HW_QUEUE_CONFIG), 0x1234);
	ht_expect_clean(f.dev);
	/* DOORBELL and STOP are write-only, STATUS read-only, 0x24 nothing. */
	(void)qrd(f.dev, 5, HW_QUEUE_DOORBELL);
	(void)qrd(f.dev, 5, HW_QUEUE_STOP);
	qwr(f.dev, 5, HW_QUEUE_STATUS, 1);
	qwr(f.dev, 5, 0x24, 1);
	ht_expect(f.dev, HW_NOTE_UNKNOWN_REGISTER, 4);
	T_ASSERT_EQ_INT(qrd(f.dev, 5, HW_QUEUE_STATUS), HW_QUEUE_STATUS_IDLE);
	csf_fini(&f);

	/* Fewer slots: the windows above them are unknown. */
	hw_config_default(&cfg);
	cfg.queue_slots = 2;
	csf_init_cfg(&f, &cfg);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_QUEUE_PRESENT), 0x3);
	(void)qrd(f.dev, 2, HW_QUEUE_STATUS);
	ht_expect(f.dev, HW_NOTE_UNKNOWN_REGISTER, 1);
	T_ASSERT_ERRNO(hw_queue_stats(f.dev, 2, &st), ENODEV);
	T_ASSERT_OK(hw_queue_stats(f.dev, 1, &st));
	csf_fini(&f);

	hw_config_default(&cfg);
	cfg.queue_slots = HW_MAX_QUEUE_SLOTS + 1;
	T_ASSERT(IS_ERR(hw_device_create(&cfg)));
}

T_TEST(irq_mask_clear, "hw/cs/queue/job-int-mask-clear")
{
	struct csf f;
	struct csa a;
	struct job_irq j = { 0 };

	csf_init(&f);
	csf_stream(&f, &a, 0);
	csa_emit(&a, csa_nop());
	hw_mmio_write32(f.dev, HW_JOB_INT_MASK, 0);
	T_ASSERT_EQ_INT(run(&f, &a), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), HW_JOB_INT_DONE(0));
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_STAT), 0);
	q_start(f.dev, 7, AS, UNMAPPED_VA, 8, 0);		/* slot 7 faults */
	T_ASSERT_EQ_INT(q_wait(f.dev, 7, 2000), HW_QUEUE_STATUS_FAULT);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT),
			HW_JOB_INT_DONE(0) | HW_JOB_INT_FAULT(7));
	hw_mmio_write32(f.dev, HW_JOB_INT_MASK, HW_JOB_INT_FAULT(7));
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_STAT), HW_JOB_INT_FAULT(7));
	hw_mmio_write32(f.dev, HW_JOB_INT_CLEAR, HW_JOB_INT_FAULT(7));
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), HW_JOB_INT_DONE(0));
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_STAT), 0);
	/* A handler sees a pending source as soon as it is unmasked. */
	j.dev = f.dev;
	T_ASSERT_OK(hw_irq_register(f.dev, HW_IRQ_JOB, job_irq_handler, &j));
	ht_sleep_us(2000);
	T_ASSERT_EQ_U64(__atomic_load_n(&j.calls, __ATOMIC_RELAXED), 0);	/* masked */
	hw_mmio_write32(f.dev, HW_JOB_INT_MASK, 0xffffffff);
	wait_irq(&j, HW_JOB_INT_DONE(0));
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), 0);
	hw_irq_unregister(f.dev, HW_IRQ_JOB);
	ht_expect_clean(f.dev);
	csf_fini(&f);
}

/* ---------------------------------------------------------------------
 * Concurrency: two slots in two address spaces
 * ------------------------------------------------------------------- */

T_TEST(two_slots_two_ases, "hw/cs/queue/two-slots-two-ases")
{
	struct csf f;
	struct csa a;
	struct ht_pt pt2;
	phys_addr_t data2;
	const uint32_t iters = 20000;

	csf_init(&f);
	/* AS 2: the same code, another data page at the same VA. */
	ht_pt_init(&pt2, &f.t, 48);
	for (unsigned int i = 0; i < CODE_PAGES; i++)
		ht_pt_map4k(&pt2, CODE_VA + i * 0x1000ull, f.code[i], HT_NOEXEC);
	data2 = ht_page(&f.t, MM_OWNER_BO, 0xd2);
	memset(mm_pa_to_virt(data2), 0, 4096);
	ht_pt_map4k(&pt2, DATA_VA, data2, HT_NOEXEC);
	ht_as_enable(f.dev, 2, pt2.root);

	csf_stream(&f, &a, 0);
	emit_counter_loop(&a, iters, 0);
	q_start(f.dev, 0, AS, a.va, csa_size(&a), 0);
	q_start(f.dev, 1, 2, a.va, csa_size(&a), 0);
	T_ASSERT_EQ_INT(q_wait(f.dev, 0, 5000), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_INT(q_wait(f.dev, 1, 5000), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_U64(data32(&f, 0), iters);
	T_ASSERT_EQ_U64(__atomic_load_n((uint32_t *)mm_pa_to_virt(data2), __ATOMIC_RELAXED), iters);
	T_ASSERT_EQ_U64(qstats(f.dev, 0).instructions, 3 + 4ull * iters);
	T_ASSERT_EQ_U64(qstats(f.dev, 1).instructions, 3 + 4ull * iters);
	ht_expect_clean(f.dev);
	csf_fini_dev(&f);
	mm_free_pages(f.t.b, data2, 0);
	ht_pt_fini(&pt2);
	csf_fini_mem(&f);
}

/* ---------------------------------------------------------------------
 * Reset and destroy with streams running
 * ------------------------------------------------------------------- */

/* Slot 0 spins, slot 1 waits on a sync object, slot 2 is stalled on a locked region. */
static void start_busy_slots(struct csf *f)
{
	struct csa spin, wait, stall;

	csf_stream(f, &spin, 1);
	csa_emit(&spin, csa_branch(HW_CS_COND_ALWAYS, 0, -1));
	csf_stream(f, &wait, 2);
	csa_emit(&wait, csa_move48(0, RO_VA));			/* reads 0, outside the lock */
	csa_emit(&wait, csa_move32(2, 0));
	csa_emit(&wait, csa_sync_wait32(HW_CS_COND_GREATER, 0, 2));
	csf_stream(f, &stall, 3);
	csa_emit(&stall, csa_move48(0, DATA_VA));
	csa_emit(&stall, csa_store(2, 0, 1, 0));
	ht_as_lock(f->dev, AS, DATA_VA, 0x1000);
	q_start(f->dev, 0, AS, spin.va, csa_size(&spin), 0);
	q_start(f->dev, 1, AS, wait.va, csa_size(&wait), 0);
	q_start(f->dev, 2, AS, stall.va, csa_size(&stall), 0);
	q_wait_blocked(f->dev, 1);
	while (!qstats(f->dev, 2).instructions || qstats(f->dev, 0).instructions < 100)
		ht_sleep_us(100);
	ht_sleep_us(1000);
	for (unsigned int n = 0; n < 3; n++)
		T_ASSERT_EQ_INT(HW_QUEUE_STATUS_STATE(qrd(f->dev, n, HW_QUEUE_STATUS)),
				HW_QUEUE_STATUS_RUNNING);
}

T_TEST(reset_running, "hw/cs/queue/reset-with-streams-running")
{
	struct csf f;
	struct csa a;
	uint64_t t0;

	csf_init(&f);
	start_busy_slots(&f);
	hw_mmio_write32(f.dev, HW_JOB_INT_MASK, 0xffffffff);
	t0 = ht_now_ns();
	hw_mmio_write32(f.dev, HW_GPU_CMD, HW_GPU_CMD_SOFT_RESET);
	while (!(hw_mmio_read32(f.dev, HW_GPU_INT_RAWSTAT) & HW_GPU_IRQ_RESET_COMPLETED))
		T_ASSERT(ht_now_ns() - t0 < 2000000000ull);
	for (unsigned int n = 0; n < 3; n++) {
		T_ASSERT_EQ_INT(qrd(f.dev, n, HW_QUEUE_STATUS), HW_QUEUE_STATUS_IDLE);
		T_ASSERT_EQ_U64(qrd64(f.dev, n, HW_QUEUE_STREAM_BASE_LO), 0);
		T_ASSERT_EQ_U64(qrd(f.dev, n, HW_QUEUE_FAULT_INFO), 0);
	}
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_RAWSTAT), 0);
	T_ASSERT_EQ_U64(hw_mmio_read32(f.dev, HW_JOB_INT_MASK), 0);
	T_ASSERT_EQ_U64(data32(&f, 0), 0);		/* the stalled store never landed */
	/* The slots work again once the AS is re-programmed. */
	ht_as_enable(f.dev, AS, f.pt.root);
	csf_stream(&f, &a, 0);
	csa_emit(&a, csa_move48(0, DATA_VA));
	csa_emit(&a, csa_move32(2, 0x99));
	csa_emit(&a, csa_store(2, 0, 1, 8));
	T_ASSERT_EQ_INT(run(&f, &a), HW_QUEUE_STATUS_DONE);
	T_ASSERT_EQ_U64(data32(&f, 8), 0x99);
	T_ASSERT_EQ_INT(hw_checker_violations(f.dev), 0);
	hw_checker_reset(f.dev);
	csf_fini(&f);
}

T_TEST(destroy_running, "hw/cs/queue/destroy-with-streams-running")
{
	struct csf f;
	uint64_t t0;

	csf_init(&f);
	start_busy_slots(&f);
	t0 = ht_now_ns();
	csf_fini_dev(&f);
	T_ASSERT_MSG(ht_now_ns() - t0 < 1000000000ull, "destroy took %llu ms",
		     (unsigned long long)((ht_now_ns() - t0) / 1000000));
	csf_fini_mem(&f);
}
