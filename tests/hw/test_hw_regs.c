// SPDX-License-Identifier: MIT
/*
 * hw suite, register file: reset values, configuration, unknown registers,
 * 64-bit halves, GPU_CMD cache flush and reset, power, interrupt lines
 * (mask, write-1-to-clear, level-triggered delivery, a handler that waits
 * for another line, a handler that never clears).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "t_harness.h"
#include "hw_test.h"
#include "util/u_err.h"

static uint32_t rd(struct hw_device *dev, uint32_t off)
{
	return hw_mmio_read32(dev, off);
}

static void wr(struct hw_device *dev, uint32_t off, uint32_t v)
{
	hw_mmio_write32(dev, off, v);
}

T_TEST(reset_values, "hw/regs/reset-values")
{
	struct ht t;
	struct hw_device *dev;
	uint32_t id;

	ht_init(&t, NULL);
	dev = t.dev;
	id = rd(dev, HW_GPU_ID);
	T_ASSERT_EQ_U64(id, 0xa8670000);
	T_ASSERT_EQ_INT(id >> 28, 10);			/* arch major: v10 */
	T_ASSERT_EQ_INT((id >> 24) & 0xf, 8);		/* arch minor */
	T_ASSERT_EQ_INT((id >> 16) & 0xf, 7);		/* product major */
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_L2_FEATURES), 0x07120306);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_CORE_FEATURES), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_TILER_FEATURES), 0x809);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_MEM_FEATURES), 0x301);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_MMU_FEATURES), 0x2830);
	T_ASSERT_EQ_INT(HW_GPU_MMU_FEATURES_VA_BITS(rd(dev, HW_GPU_MMU_FEATURES)), 48);
	T_ASSERT_EQ_INT(HW_GPU_MMU_FEATURES_PA_BITS(rd(dev, HW_GPU_MMU_FEATURES)), 40);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_AS_PRESENT), 0xff);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_CSF_ID), 0x40a0412);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_THREAD_MAX_THREADS), 2048);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_THREAD_MAX_WORKGROUP_SIZE), 1024);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_THREAD_MAX_BARRIER_SIZE), 1024);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_THREAD_FEATURES), 0x4010000);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_TEXTURE_FEATURES(0)), 0xc1ffff9e);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_TEXTURE_FEATURES(3)), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_SHADER_PRESENT_LO), 0x50005);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_SHADER_PRESENT_HI), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_TILER_PRESENT_LO), 1);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_L2_PRESENT_LO), 1);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_COHERENCY_FEATURES), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_FEATURES_LO), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_FEATURES_HI), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_INT_RAWSTAT), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_INT_MASK), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_INT_STAT), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_MMU_INT_RAWSTAT), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_MMU_INT_MASK), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_MMU_INT_STAT), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_JOB_INT_RAWSTAT), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_LATEST_FLUSH_ID), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_L2_READY_LO), 0);
	for (unsigned int as = 0; as < 8; as++) {
		static const uint32_t regs[] = {
			HW_AS_TRANSTAB_LO, HW_AS_TRANSTAB_HI, HW_AS_MEMATTR_LO, HW_AS_MEMATTR_HI,
			HW_AS_LOCKADDR_LO, HW_AS_LOCKADDR_HI, HW_AS_FAULTSTATUS,
			HW_AS_FAULTADDRESS_LO, HW_AS_FAULTADDRESS_HI, HW_AS_STATUS,
			HW_AS_TRANSCFG_LO, HW_AS_TRANSCFG_HI, HW_AS_FAULTEXTRA_LO, HW_AS_FAULTEXTRA_HI,
		};

		for (unsigned int i = 0; i < ARRAY_SIZE(regs); i++)
			T_ASSERT_EQ_U64(rd(dev, HW_MMU_AS(as) + regs[i]), 0);
	}
	ht_expect_clean(dev);
	ht_fini(&t);
}

T_TEST(config_override, "hw/regs/config-override")
{
	struct hw_config cfg;
	struct ht t;

	hw_config_default(&cfg);
	cfg.gpu_id = 0xa8680000;
	cfg.mmu_features = 0x2827;		/* 39-bit VA */
	cfg.as_present = 0x3;
	cfg.shader_present = 0x1234500000007ull;
	cfg.gpu_features = 0x2400000024ull;
	cfg.coherency_features = 1;
	ht_init(&t, &cfg);
	T_ASSERT_EQ_U64(rd(t.dev, HW_GPU_ID), 0xa8680000);
	T_ASSERT_EQ_U64(rd(t.dev, HW_GPU_MMU_FEATURES), 0x2827);
	T_ASSERT_EQ_U64(rd(t.dev, HW_GPU_AS_PRESENT), 0x3);
	T_ASSERT_EQ_U64(rd(t.dev, HW_GPU_SHADER_PRESENT_LO), 0x00000007);
	T_ASSERT_EQ_U64(rd(t.dev, HW_GPU_SHADER_PRESENT_HI), 0x12345);
	T_ASSERT_EQ_U64(rd(t.dev, HW_GPU_FEATURES_LO), 0x24);
	T_ASSERT_EQ_U64(rd(t.dev, HW_GPU_FEATURES_HI), 0x24);
	T_ASSERT_EQ_U64(rd(t.dev, HW_GPU_COHERENCY_FEATURES), 1);
	/* AS 1 exists, AS 2 does not: its window is unknown. */
	wr(t.dev, HW_MMU_AS(1) + HW_AS_LOCKADDR_LO, 0x1234);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(1) + HW_AS_LOCKADDR_LO), 0x1234);
	ht_expect_clean(t.dev);
	wr(t.dev, HW_MMU_AS(2) + HW_AS_LOCKADDR_LO, 0x1234);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(2) + HW_AS_LOCKADDR_LO), 0);
	ht_expect(t.dev, HW_NOTE_UNKNOWN_REGISTER, 2);
	hw_checker_reset(t.dev);
	ht_fini(&t);
}

T_TEST(config_invalid, "hw/regs/config-invalid")
{
	struct hw_config cfg;
	struct hw_device *dev;

	T_ASSERT_OK(mm_arena_init(0));
	hw_config_default(&cfg);
	cfg.mmu_features = 0x283c;		/* 60-bit VA */
	dev = hw_device_create(&cfg);
	T_ASSERT_ERRNO(PTR_ERR(dev), EINVAL);
	hw_config_default(&cfg);
	cfg.mmu_features = 0x3430;		/* 52-bit PA */
	T_ASSERT_ERRNO(PTR_ERR(hw_device_create(&cfg)), EINVAL);
	hw_config_default(&cfg);
	cfg.tlb_entries = 48;
	T_ASSERT_ERRNO(PTR_ERR(hw_device_create(&cfg)), EINVAL);
	hw_config_default(&cfg);
	cfg.as_present = 0xffff0000;
	T_ASSERT_ERRNO(PTR_ERR(hw_device_create(&cfg)), EINVAL);
}

T_TEST(unknown_registers, "hw/regs/unknown")
{
	struct ht t;
	struct hw_device *dev;
	struct hw_report r;

	ht_init(&t, NULL);
	dev = t.dev;
	T_ASSERT_EQ_U64(rd(dev, 0x0500), 0);			/* hole in GPU_CONTROL */
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_ID + 2), 0);		/* misaligned */
	T_ASSERT_EQ_U64(rd(dev, 0x3000), 0);			/* beyond the AS windows */
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_INT_CLEAR), 0);		/* write-only */
	T_ASSERT_EQ_U64(rd(dev, HW_MMU_AS(1) + HW_AS_COMMAND), 0);
	ht_expect(dev, HW_NOTE_UNKNOWN_REGISTER, 5);
	T_ASSERT_EQ_INT(hw_checker_reports(dev, &r, 1), 1);
	T_ASSERT_EQ_INT(r.kind, HW_NOTE_UNKNOWN_REGISTER);
	T_ASSERT_EQ_U64(r.actual, HW_MMU_AS(1) + HW_AS_COMMAND);
	T_ASSERT_EQ_INT(r.as, -1);
	hw_checker_reset(dev);

	/* Writes to read-only registers are ignored, and noted. */
	wr(dev, HW_GPU_ID, 0xdead);
	wr(dev, HW_MMU_INT_RAWSTAT, 0xff);
	wr(dev, HW_MMU_AS(1) + HW_AS_FAULTSTATUS, 0xc3);
	wr(dev, HW_MMU_AS(1) + HW_AS_STATUS, 1);
	wr(dev, HW_GPU_CMD, HW_GPU_CMD_DEF(9, 0));		/* unknown command */
	wr(dev, HW_MMU_AS(1) + HW_AS_COMMAND, 6);		/* unknown AS command */
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_ID), 0xa8670000);
	T_ASSERT_EQ_U64(rd(dev, HW_MMU_INT_RAWSTAT), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_MMU_AS(1) + HW_AS_FAULTSTATUS), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_MMU_AS(1) + HW_AS_STATUS), 0);
	ht_expect(dev, HW_NOTE_UNKNOWN_REGISTER, 6);
	T_ASSERT_EQ_INT(hw_checker_violations(dev), 0);
	hw_checker_reset(dev);
	ht_fini(&t);
}

T_TEST(halves, "hw/regs/64bit-halves")
{
	struct ht t;
	struct hw_device *dev;
	uint64_t ts1, ts2;

	ht_init(&t, NULL);
	dev = t.dev;
	ht_as_write64(dev, 3, HW_AS_TRANSTAB_LO, 0x0000001234567000ull);
	ht_as_write64(dev, 3, HW_AS_MEMATTR_LO, HT_MEMATTR);
	ht_as_write64(dev, 3, HW_AS_TRANSCFG_LO, HT_TRANSCFG_48);
	ht_as_write64(dev, 3, HW_AS_LOCKADDR_LO, 0xabcdef0000015ull);
	T_ASSERT_EQ_U64(ht_as_read64(dev, 3, HW_AS_TRANSTAB_LO), 0x0000001234567000ull);
	T_ASSERT_EQ_U64(ht_as_read64(dev, 3, HW_AS_MEMATTR_LO), HT_MEMATTR);
	T_ASSERT_EQ_U64(ht_as_read64(dev, 3, HW_AS_TRANSCFG_LO), 0x420001c6);
	T_ASSERT_EQ_U64(ht_as_read64(dev, 3, HW_AS_LOCKADDR_LO), 0xabcdef0000015ull);
	/* Writing one half leaves the other. */
	wr(dev, HW_MMU_AS(3) + HW_AS_TRANSTAB_HI, 0x99);
	T_ASSERT_EQ_U64(ht_as_read64(dev, 3, HW_AS_TRANSTAB_LO), 0x0000009934567000ull);
	/* Other ASes are untouched. */
	T_ASSERT_EQ_U64(ht_as_read64(dev, 2, HW_AS_TRANSTAB_LO), 0);
	T_ASSERT_EQ_U64(ht_as_read64(dev, 4, HW_AS_TRANSTAB_LO), 0);

	/* TIMESTAMP = model time + TIMESTAMP_OFFSET. */
	ts1 = rd(dev, HW_GPU_TIMESTAMP_LO) | (uint64_t)rd(dev, HW_GPU_TIMESTAMP_HI) << 32;
	wr(dev, HW_GPU_TIMESTAMP_OFFSET_LO, 0);
	wr(dev, HW_GPU_TIMESTAMP_OFFSET_HI, 0x100);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_TIMESTAMP_OFFSET_HI), 0x100);
	ts2 = rd(dev, HW_GPU_TIMESTAMP_LO) | (uint64_t)rd(dev, HW_GPU_TIMESTAMP_HI) << 32;
	T_ASSERT(ts2 - ts1 >= (0x100ull << 32));
	ht_expect_clean(dev);
	ht_fini(&t);
}

T_TEST(flush_irq, "hw/gpu/flush-cache-completes")
{
	struct hw_config cfg;
	struct ht t;
	struct hw_device *dev;
	uint64_t t0;

	hw_config_default(&cfg);
	cfg.flush_ns = 20000000;		/* 20 ms */
	ht_init(&t, &cfg);
	dev = t.dev;
	t0 = ht_now_ns();
	wr(dev, HW_GPU_CMD, HW_GPU_FLUSH_CACHES(HW_CACHE_CLEAN | HW_CACHE_INV, 0, 0));
	if (ht_now_ns() - t0 < 15000000) {
		T_ASSERT_EQ_U64(rd(dev, HW_GPU_INT_RAWSTAT) & HW_GPU_IRQ_CLEAN_CACHES_COMPLETED, 0);
		T_ASSERT_EQ_U64(rd(dev, HW_LATEST_FLUSH_ID), 0);
	}
	while (!(rd(dev, HW_GPU_INT_RAWSTAT) & HW_GPU_IRQ_CLEAN_CACHES_COMPLETED))
		T_ASSERT(ht_now_ns() - t0 < 2000000000ull);
	T_ASSERT(ht_now_ns() - t0 >= 20000000);
	T_ASSERT_EQ_U64(rd(dev, HW_LATEST_FLUSH_ID), 1);

	/* MASK gates STAT, not RAWSTAT. */
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_INT_STAT), 0);
	wr(dev, HW_GPU_INT_MASK, HW_GPU_IRQ_CLEAN_CACHES_COMPLETED);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_INT_STAT), HW_GPU_IRQ_CLEAN_CACHES_COMPLETED);
	/* Write-1-to-clear: other bits leave it, its bit clears it. */
	wr(dev, HW_GPU_INT_CLEAR, HW_GPU_IRQ_RESET_COMPLETED);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_INT_RAWSTAT) & HW_GPU_IRQ_CLEAN_CACHES_COMPLETED,
			HW_GPU_IRQ_CLEAN_CACHES_COMPLETED);
	wr(dev, HW_GPU_INT_CLEAR, HW_GPU_IRQ_CLEAN_CACHES_COMPLETED);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_INT_RAWSTAT), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_INT_STAT), 0);
	ht_expect_clean(dev);
	ht_fini(&t);
}

T_TEST(flush_id_page, "hw/gpu/flush-id-page-follows-the-register")
{
	struct ht t;
	struct hw_device *dev;
	volatile uint32_t *page;
	int fd;

	ht_init(&t, NULL);
	dev = t.dev;
	wr(dev, HW_GPU_CMD, HW_GPU_FLUSH_CACHES(HW_CACHE_CLEAN, 0, 0));
	while (rd(dev, HW_LATEST_FLUSH_ID) != 1)
		;
	/* Created late, it starts with the register's current value. */
	fd = hw_flush_id_page_fd(dev);
	T_ASSERT_GE_INT(fd, 0);
	T_ASSERT_EQ_INT(hw_flush_id_page_fd(dev), fd);
	page = mmap(NULL, HW_FLUSH_ID_PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	T_ASSERT(page != MAP_FAILED);
	T_ASSERT_EQ_INT(page[0], 1);
	T_ASSERT_EQ_INT(page[1], 0);
	/* GPU_CMD flushes and AS FLUSH_MEM move it on, as the register. */
	wr(dev, HW_GPU_CMD, HW_GPU_FLUSH_CACHES(HW_CACHE_CLEAN | HW_CACHE_INV, 0, 0));
	while (rd(dev, HW_LATEST_FLUSH_ID) != 2)
		;
	T_ASSERT_EQ_INT(__atomic_load_n(&page[0], __ATOMIC_ACQUIRE), 2);
	ht_as_cmd(dev, 1, HW_AS_COMMAND_FLUSH_MEM);
	T_ASSERT_EQ_INT(rd(dev, HW_LATEST_FLUSH_ID), 3);
	T_ASSERT_EQ_INT(__atomic_load_n(&page[0], __ATOMIC_ACQUIRE), 3);
	munmap((void *)page, HW_FLUSH_ID_PAGE_SIZE);
	ht_fini(&t);
}

T_TEST(flush_never, "hw/knob/flush-never-completes")
{
	struct hw_config cfg;
	struct ht t;
	struct hw_device *dev;

	hw_config_default(&cfg);
	cfg.flush_ns = 1000000;
	ht_init(&t, &cfg);
	dev = t.dev;
	hw_knob_flush_never_completes(dev, true);
	wr(dev, HW_GPU_CMD, HW_GPU_FLUSH_CACHES(3, 3, 2));
	ht_sleep_us(10000);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_INT_RAWSTAT), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_LATEST_FLUSH_ID), 0);
	hw_knob_flush_never_completes(dev, false);
	ht_gpu_flush(dev);
	T_ASSERT_EQ_U64(rd(dev, HW_LATEST_FLUSH_ID), 1);
	ht_fini(&t);
}

T_TEST(power, "hw/gpu/power")
{
	struct ht t;
	struct hw_device *dev;

	ht_init(&t, NULL);
	dev = t.dev;
	wr(dev, HW_GPU_L2_PWRON_LO, 1);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_L2_READY_LO), 1);
	wr(dev, HW_GPU_SHADER_PWRON_LO, 0xffffffff);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_SHADER_READY_LO), 0x50005);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_SHADER_PWRTRANS_LO), 0);
	T_ASSERT(rd(dev, HW_GPU_INT_RAWSTAT) & HW_GPU_IRQ_POWER_CHANGED_ALL);
	wr(dev, HW_GPU_SHADER_PWROFF_LO, 0x5);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_SHADER_READY_LO), 0x50000);
	wr(dev, HW_GPU_MCU_CONTROL, 1);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_MCU_STATUS), 1);
	ht_expect_clean(dev);
	ht_fini(&t);
}

T_TEST(soft_reset, "hw/gpu/soft-reset")
{
	struct ht t;
	struct ht_pt pt;
	struct hw_device *dev;
	struct hw_fault f;
	uint64_t v, t0;
	phys_addr_t data;

	ht_init(&t, NULL);
	dev = t.dev;
	ht_pt_init(&pt, &t, 48);
	data = ht_page(&t, MM_OWNER_BO, 7);
	ht_pt_map4k(&pt, 0x100000, data, 0);
	ht_as_enable(dev, 1, pt.root);
	ht_as_lock(dev, 1, 0x800000, 0x1000);
	T_ASSERT_ERRNO(hw_read64(dev, 1, 0x200000, &v, &f), EFAULT);	/* unmapped */
	T_ASSERT_EQ_U64(rd(dev, HW_MMU_INT_RAWSTAT), 2);
	wr(dev, HW_MMU_INT_MASK, 0xffff);
	wr(dev, HW_GPU_INT_MASK, HW_GPU_IRQ_RESET_COMPLETED);

	t0 = ht_now_ns();
	wr(dev, HW_GPU_CMD, HW_GPU_CMD_SOFT_RESET);
	while (!(rd(dev, HW_GPU_INT_RAWSTAT) & HW_GPU_IRQ_RESET_COMPLETED))
		T_ASSERT(ht_now_ns() - t0 < 2000000000ull);
	/* Every AS is back to its power-on state. */
	T_ASSERT_EQ_U64(rd(dev, HW_MMU_INT_RAWSTAT), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_MMU_INT_MASK), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_GPU_INT_MASK), HW_GPU_IRQ_RESET_COMPLETED);
	T_ASSERT_EQ_U64(ht_as_read64(dev, 1, HW_AS_TRANSTAB_LO), 0);
	T_ASSERT_EQ_U64(ht_as_read64(dev, 1, HW_AS_LOCKADDR_LO), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_MMU_AS(1) + HW_AS_FAULTSTATUS), 0);
	T_ASSERT_EQ_U64(rd(dev, HW_MMU_AS(1) + HW_AS_STATUS), 0);
	T_ASSERT_ERRNO(hw_read64(dev, 1, 0x100000, &v, &f), EIO);	/* translation off */
	/* A command right after the reset is no protocol violation, and the
	 * AS works again once re-programmed. */
	ht_as_enable(dev, 1, pt.root);
	T_ASSERT_OK(hw_read64(dev, 1, 0x100000, &v, &f));
	T_ASSERT_EQ_U64(v, ht_word(7, 0));
	T_ASSERT_EQ_INT(hw_checker_violations(dev), 0);
	hw_checker_reset(dev);
	ht_free(&t, data, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

/* ---- interrupt delivery ---- */

struct irq_rec {
	struct hw_device *dev;
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned int calls;
	uint32_t last_stat;
	bool clear;
};

static void gpu_handler(void *cookie)
{
	struct irq_rec *r = cookie;
	uint32_t stat = hw_mmio_read32(r->dev, HW_GPU_INT_STAT);

	if (r->clear)
		hw_mmio_write32(r->dev, HW_GPU_INT_CLEAR, stat);
	pthread_mutex_lock(&r->m);
	r->calls++;
	r->last_stat = stat;
	pthread_cond_broadcast(&r->c);
	pthread_mutex_unlock(&r->m);
}

static bool wait_calls(struct irq_rec *r, unsigned int n, unsigned int ms)
{
	uint64_t deadline = ht_now_ns() + (uint64_t)ms * 1000000;
	bool ok;

	pthread_mutex_lock(&r->m);
	while (r->calls < n && ht_now_ns() < deadline) {
		pthread_mutex_unlock(&r->m);
		ht_sleep_us(200);
		pthread_mutex_lock(&r->m);
	}
	ok = r->calls >= n;
	pthread_mutex_unlock(&r->m);
	return ok;
}

static void rec_init(struct irq_rec *r, struct hw_device *dev, bool clear)
{
	memset(r, 0, sizeof(*r));
	r->dev = dev;
	r->clear = clear;
	pthread_mutex_init(&r->m, NULL);
	pthread_cond_init(&r->c, NULL);
}

static void rec_fini(struct irq_rec *r)
{
	pthread_mutex_destroy(&r->m);
	pthread_cond_destroy(&r->c);
}

T_TEST(irq_delivery, "hw/irq/level-triggered-delivery")
{
	struct ht t;
	struct hw_device *dev;
	struct irq_rec r;

	ht_init(&t, NULL);
	dev = t.dev;
	rec_init(&r, dev, true);
	T_ASSERT_OK(hw_irq_register(dev, HW_IRQ_GPU, gpu_handler, &r));
	T_ASSERT_ERRNO(hw_irq_register(dev, HW_IRQ_GPU, gpu_handler, &r), EBUSY);
	T_ASSERT_ERRNO(hw_irq_register(dev, HW_IRQ_COUNT, gpu_handler, &r), EINVAL);

	/* Masked: the source is pending in RAWSTAT, the handler is not called. */
	ht_gpu_flush(dev);
	wr(dev, HW_GPU_CMD, HW_GPU_FLUSH_CACHES(3, 0, 0));
	while (!(rd(dev, HW_GPU_INT_RAWSTAT) & HW_GPU_IRQ_CLEAN_CACHES_COMPLETED))
		;
	ht_sleep_us(5000);
	T_ASSERT_EQ_INT(r.calls, 0);
	/* Unmasking a pending source delivers it (level-triggered). */
	wr(dev, HW_GPU_INT_MASK, HW_GPU_IRQ_CLEAN_CACHES_COMPLETED);
	T_ASSERT(wait_calls(&r, 1, 2000));
	T_ASSERT_EQ_U64(r.last_stat, HW_GPU_IRQ_CLEAN_CACHES_COMPLETED);
	/* A new flush, a new call; the handler clears, so exactly one. */
	wr(dev, HW_GPU_CMD, HW_GPU_FLUSH_CACHES(3, 0, 0));
	T_ASSERT(wait_calls(&r, 2, 2000));
	ht_sleep_us(5000);
	T_ASSERT_EQ_INT(r.calls, 2);
	hw_irq_unregister(dev, HW_IRQ_GPU);
	T_ASSERT_OK(hw_irq_register(dev, HW_IRQ_GPU, gpu_handler, &r));
	hw_irq_unregister(dev, HW_IRQ_GPU);
	ht_expect_clean(dev);
	rec_fini(&r);
	ht_fini(&t);
}

T_TEST(irq_not_cleared, "hw/irq/handler-never-clears")
{
	struct ht t;
	struct hw_device *dev;
	struct irq_rec r;
	uint64_t t0;

	ht_init(&t, NULL);
	dev = t.dev;
	rec_init(&r, dev, false);
	wr(dev, HW_GPU_INT_MASK, HW_GPU_IRQ_CLEAN_CACHES_COMPLETED);
	T_ASSERT_OK(hw_irq_register(dev, HW_IRQ_GPU, gpu_handler, &r));
	wr(dev, HW_GPU_CMD, HW_GPU_FLUSH_CACHES(3, 0, 0));
	t0 = ht_now_ns();
	while (!hw_checker_count(dev, HW_NOTE_IRQ_NOT_CLEARED))
		T_ASSERT_MSG(ht_now_ns() - t0 < 5000000000ull, "no note after %u calls", r.calls);
	hw_irq_unregister(dev, HW_IRQ_GPU);
	T_ASSERT(r.calls >= 1000);
	ht_expect(dev, HW_NOTE_IRQ_NOT_CLEARED, 1);
	T_ASSERT_EQ_INT(hw_checker_violations(dev), 0);
	hw_checker_reset(dev);
	rec_fini(&r);
	ht_fini(&t);
}

/*
 * The MMU fault handler flushes caches and waits for the GPU line's
 * CLEAN_CACHES_COMPLETED, as panthor's AS disable does inside its fault path.
 */
struct nested {
	struct hw_device *dev;
	pthread_mutex_t m;
	pthread_cond_t c;
	bool flushed;
	bool mmu_done;
	uint32_t faultstatus;
};

static void nested_gpu(void *cookie)
{
	struct nested *n = cookie;
	uint32_t stat = hw_mmio_read32(n->dev, HW_GPU_INT_STAT);

	hw_mmio_write32(n->dev, HW_GPU_INT_CLEAR, stat);
	pthread_mutex_lock(&n->m);
	if (stat & HW_GPU_IRQ_CLEAN_CACHES_COMPLETED)
		n->flushed = true;
	pthread_cond_broadcast(&n->c);
	pthread_mutex_unlock(&n->m);
}

static void nested_mmu(void *cookie)
{
	struct nested *n = cookie;
	uint32_t stat = hw_mmio_read32(n->dev, HW_MMU_INT_STAT);

	hw_mmio_write32(n->dev, HW_MMU_INT_MASK, 0);
	n->faultstatus = hw_mmio_read32(n->dev, HW_MMU_AS(2) + HW_AS_FAULTSTATUS);
	hw_mmio_write32(n->dev, HW_MMU_INT_CLEAR, stat);
	pthread_mutex_lock(&n->m);
	n->flushed = false;
	pthread_mutex_unlock(&n->m);
	hw_mmio_write32(n->dev, HW_GPU_CMD, HW_GPU_FLUSH_CACHES(3, 3, 2));
	pthread_mutex_lock(&n->m);
	while (!n->flushed)
		pthread_cond_wait(&n->c, &n->m);
	n->mmu_done = true;
	pthread_cond_broadcast(&n->c);
	pthread_mutex_unlock(&n->m);
	hw_mmio_write32(n->dev, HW_MMU_INT_MASK, 0xffff);
}

T_TEST(irq_nested, "hw/irq/handler-waits-for-other-line")
{
	struct ht t;
	struct ht_pt pt;
	struct nested n = { 0 };
	struct hw_fault f;
	uint64_t v;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	n.dev = t.dev;
	pthread_mutex_init(&n.m, NULL);
	pthread_cond_init(&n.c, NULL);
	T_ASSERT_OK(hw_irq_register(t.dev, HW_IRQ_GPU, nested_gpu, &n));
	T_ASSERT_OK(hw_irq_register(t.dev, HW_IRQ_MMU, nested_mmu, &n));
	wr(t.dev, HW_GPU_INT_MASK, HW_GPU_IRQ_CLEAN_CACHES_COMPLETED);
	wr(t.dev, HW_MMU_INT_MASK, 0xffff);
	ht_as_enable(t.dev, 2, pt.root);
	T_ASSERT_ERRNO(hw_read64(t.dev, 2, 0x5000, &v, &f), EFAULT);
	pthread_mutex_lock(&n.m);
	while (!n.mmu_done)
		pthread_cond_wait(&n.c, &n.m);
	pthread_mutex_unlock(&n.m);
	T_ASSERT_EQ_U64(n.faultstatus & 0xff, 0xc0);
	hw_irq_unregister(t.dev, HW_IRQ_MMU);
	hw_irq_unregister(t.dev, HW_IRQ_GPU);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_RAWSTAT), 0);
	ht_expect_clean(t.dev);
	pthread_mutex_destroy(&n.m);
	pthread_cond_destroy(&n.c);
	ht_pt_fini(&pt);
	ht_fini(&t);
}
