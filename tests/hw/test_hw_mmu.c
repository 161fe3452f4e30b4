// SPDX-License-Identifier: MIT
/*
 * hw suite, MMU: LOCKADDR decoding, locked regions (stall inside, proceed
 * outside, drain of in-flight accesses), AS_ACTIVE timing and the stuck
 * knob, translation through pages and blocks, the TLB, every fault kind
 * with its FAULTSTATUS/FAULTADDRESS and interrupt, the access port's
 * sizes, atomics and block accesses, counters, and GPU-unit slots.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "t_harness.h"
#include "hw_test.h"
#include "hw/hw_internal.h"	/* dev->lock: the outside-the-region test holds it */
#include "util/u_compiler.h"
#include "util/u_err.h"

#define AS 3

static uint32_t rd(struct hw_device *dev, uint32_t off)
{
	return hw_mmio_read32(dev, off);
}

static void wr(struct hw_device *dev, uint32_t off, uint32_t v)
{
	hw_mmio_write32(dev, off, v);
}

static struct hw_as_stats stats(struct hw_device *dev, unsigned int as)
{
	struct hw_as_stats st;

	T_ASSERT_OK(hw_as_stats(dev, as, &st));
	return st;
}

/* ---------------------------------------------------------------------
 * LOCKADDR decoding, table-driven. Observed through the TLB: a probe page
 * is cached, LOCK + UNLOCK of the encoded region run, and the probe misses
 * afterwards exactly when the region covered it.
 * ------------------------------------------------------------------- */

struct lock_case {
	uint64_t lockaddr;
	uint64_t start;
	uint64_t last;
};

static const struct lock_case lock_cases[] = {
	/* 0 */ { 0x0e, 0x0, 0x7fff },			/* 32 KiB, the minimum */
	/* 1 */ { 0x1000b, 0x10000, 0x17fff },		/* width 11 (4 KiB) locks 32 KiB */
	/* 2 */ { 0x20000, 0x20000, 0x27fff },		/* width 0 */
	/* 3 */ { 0x400e, 0x0, 0x7fff },		/* panthor's unaligned start */
	/* 4 */ { 0x40010, 0x40000, 0x5ffff },		/* 0x4f000 + 2 pages: 128 KiB */
	/* 5 */ { 0x200014, 0x200000, 0x3fffff },	/* 2 MiB */
	/* 6 */ { 0x15, 0x0, 0x3fffff },		/* 8 KiB straddling 2 MiB: 4 MiB */
	/* 7 */ { 0x40001000 | 29, 0x40000000, 0x7fffffff },	/* 1 GiB, low base bits ignored */
	/* 8 */ { 0x200000 | 0xc0 | 0x14, 0x200000, 0x3fffff },	/* bits [11:6] ignored */
	/* 9 */ { 0x7f8000000000ull | 38, 0x7f8000000000ull, 0x7fffffffffffull },	/* 512 GiB */
	/* 10 */ { 63, 0x0, UINT64_MAX },		/* older panthor's whole-VA lock */
};

static void run_lock_case(const struct lock_case *c)
{
	struct hw_config cfg;
	struct ht t;
	struct ht_pt pt;
	uint64_t probes[4];
	unsigned int n = 0;
	phys_addr_t data;

	hw_config_default(&cfg);
	cfg.tlb_entries = 4096;
	ht_init(&t, &cfg);
	ht_pt_init(&pt, &t, 48);
	data = ht_page(&t, MM_OWNER_BO, 1);
	if (c->start >= 0x1000)
		probes[n++] = c->start - 0x1000;
	probes[n++] = c->start;
	probes[n++] = u_min(c->last, (1ull << 48) - 1) & ~0xfffull;
	if (c->last + 1 < (1ull << 48) && c->last != UINT64_MAX)
		probes[n++] = c->last + 1;
	for (unsigned int i = 0; i < n; i++)
		ht_pt_map4k(&pt, probes[i], data, 0);
	ht_as_enable(t.dev, AS, pt.root);
	for (unsigned int i = 0; i < n; i++) {
		bool inside = probes[i] >= c->start && probes[i] <= c->last;
		struct hw_as_stats s0, s1;
		uint64_t v;

		T_ASSERT_OK(hw_read64(t.dev, AS, probes[i], &v, NULL));
		s0 = stats(t.dev, AS);
		ht_as_write64(t.dev, AS, HW_AS_LOCKADDR_LO, c->lockaddr);
		ht_as_cmd(t.dev, AS, HW_AS_COMMAND_LOCK);
		ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UNLOCK);
		T_ASSERT_OK(hw_read64(t.dev, AS, probes[i], &v, NULL));
		s1 = stats(t.dev, AS);
		T_ASSERT_MSG(s1.tlb_misses - s0.tlb_misses == (inside ? 1u : 0u),
			     "LOCKADDR 0x%llx, probe 0x%llx (%s the expected region [0x%llx, 0x%llx]): "
			     "%llu misses", (unsigned long long)c->lockaddr,
			     (unsigned long long)probes[i], inside ? "inside" : "outside",
			     (unsigned long long)c->start, (unsigned long long)c->last,
			     (unsigned long long)(s1.tlb_misses - s0.tlb_misses));
	}
	ht_expect_clean(t.dev);
	ht_free(&t, data, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

#define LOCK_CASE(i, name) \
	T_TEST(lock_case_##i, "hw/mmu/lockaddr/" name) { run_lock_case(&lock_cases[i]); }
LOCK_CASE(0, "min-region")
LOCK_CASE(1, "sub-32k-width")
LOCK_CASE(2, "width-zero")
LOCK_CASE(3, "unaligned-start")
LOCK_CASE(4, "128k")
LOCK_CASE(5, "2m")
LOCK_CASE(6, "4m-straddling")
LOCK_CASE(7, "1g-unaligned-base")
LOCK_CASE(8, "reserved-bits-ignored")
LOCK_CASE(9, "512g")
LOCK_CASE(10, "whole-va-width-63")

/* ---------------------------------------------------------------------
 * Locked regions: inside waits, outside proceeds
 * ------------------------------------------------------------------- */

struct reader {
	struct hw_device *dev;
	uint64_t va;
	uint64_t val;
	int ret;
	bool done;
	pthread_t th;
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;

	r->ret = hw_read64(r->dev, AS, r->va, &r->val, NULL);
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static bool wait_done(struct reader *r, unsigned int ms)
{
	uint64_t deadline = ht_now_ns() + (uint64_t)ms * 1000000;

	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) && ht_now_ns() < deadline)
		ht_sleep_us(100);
	return __atomic_load_n(&r->done, __ATOMIC_ACQUIRE);
}

/* A reader of @va (in the locked region) sleeps until UNLOCK, then reads @want. */
static void inside_waits_for_unlock(struct hw_device *dev, uint64_t va, uint64_t want)
{
	struct reader in = { .dev = dev, .va = va };

	T_ASSERT_OK(pthread_create(&in.th, NULL, reader_fn, &in));
	T_ASSERT(!wait_done(&in, 30));
	ht_as_cmd(dev, AS, HW_AS_COMMAND_UNLOCK);
	T_ASSERT(wait_done(&in, 2000));
	pthread_join(in.th, NULL);
	T_ASSERT_OK(in.ret);
	T_ASSERT_EQ_U64(in.val, want);
}

T_TEST(lock_blocks, "hw/mmu/lock/inside-waits-outside-proceeds")
{
	struct ht t;
	struct ht_pt pt;
	struct reader in = { 0 }, out = { 0 };
	phys_addr_t a, b;
	struct hw_as_stats st;
	uint64_t t0, t1;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	a = ht_page(&t, MM_OWNER_BO, 0xa);
	b = ht_page(&t, MM_OWNER_BO, 0xb);
	ht_pt_map4k(&pt, 0x100000, a, 0);
	ht_pt_map4k(&pt, 0x900000, b, 0);
	ht_as_enable(t.dev, AS, pt.root);
	ht_as_lock(t.dev, AS, 0x100000, 0x1000);

	in.dev = out.dev = t.dev;
	in.va = 0x100008;
	out.va = 0x900010;
	t0 = ht_now_ns();
	T_ASSERT_OK(pthread_create(&in.th, NULL, reader_fn, &in));
	T_ASSERT(!wait_done(&in, 30));			/* inside: sleeps */
	T_ASSERT_OK(pthread_create(&out.th, NULL, reader_fn, &out));
	T_ASSERT(wait_done(&out, 2000));		/* outside: goes on */
	T_ASSERT_OK(out.ret);
	T_ASSERT_EQ_U64(out.val, ht_word(0xb, 0x10));
	T_ASSERT(!__atomic_load_n(&in.done, __ATOMIC_ACQUIRE));
	ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UNLOCK);
	T_ASSERT(wait_done(&in, 2000));
	t1 = ht_now_ns();
	pthread_join(in.th, NULL);
	pthread_join(out.th, NULL);
	T_ASSERT_OK(in.ret);
	T_ASSERT_EQ_U64(in.val, ht_word(0xa, 8));
	st = stats(t.dev, AS);
	T_ASSERT_EQ_U64(st.stalls, 1);
	/* Bounded by the reader's life, not by a wall-clock minimum (the reader may start late). */
	T_ASSERT(st.stall_ns > 0 && st.stall_ns <= t1 - t0);
	T_ASSERT(st.max_stall_ns == st.stall_ns);
	ht_expect_clean(t.dev);
	ht_free(&t, a, 0);
	ht_free(&t, b, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

/*
 * While a region is locked, the accesses of other VAs of the AS go on
 * without the device lock (a bind's lock window would otherwise queue all
 * of them on it): with the lock held by the test, a unit with a warm TLB
 * still reads and writes outside the region, by both the 8-byte and the
 * general path, and a read inside still waits for UNLOCK.
 */
struct outside_unit {
	struct hw_device *dev;
	uint64_t va;
	int warm_ret, ret[3];
	uint64_t val, blk[2];
	bool warm, go, done;
};

static void *outside_fn(void *arg)
{
	struct outside_unit *u = arg;
	uint64_t v;

	u->warm_ret = hw_read64(u->dev, AS, u->va, &v, NULL);
	__atomic_store_n(&u->warm, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&u->go, __ATOMIC_ACQUIRE))
		ht_sleep_us(50);
	u->ret[0] = hw_read64(u->dev, AS, u->va, &u->val, NULL);
	u->ret[1] = hw_write64(u->dev, AS, u->va + 8, 0x5eed, NULL);
	u->ret[2] = hw_read(u->dev, AS, u->va + 8, u->blk, sizeof(u->blk), NULL);
	__atomic_store_n(&u->done, true, __ATOMIC_RELEASE);
	return NULL;
}

T_TEST(lock_outside_lockfree, "hw/mmu/lock/outside-needs-no-device-lock")
{
	struct ht t;
	struct ht_pt pt;
	struct outside_unit u = { 0 };
	pthread_t th;
	phys_addr_t a, b;
	uint64_t deadline;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	a = ht_page(&t, MM_OWNER_BO, 0xa);
	b = ht_page(&t, MM_OWNER_BO, 0xb);
	ht_pt_map4k(&pt, 0x100000, a, 0);
	ht_pt_map4k(&pt, 0x900000, b, 0);
	ht_as_enable(t.dev, AS, pt.root);

	u.dev = t.dev;
	u.va = 0x900010;
	T_ASSERT_OK(pthread_create(&th, NULL, outside_fn, &u));
	while (!__atomic_load_n(&u.warm, __ATOMIC_ACQUIRE))
		ht_sleep_us(50);
	T_ASSERT_OK(u.warm_ret);
	ht_as_lock(t.dev, AS, 0x100000, 0x1000);

	pthread_mutex_lock(&t.dev->lock);
	__atomic_store_n(&u.go, true, __ATOMIC_RELEASE);
	deadline = ht_now_ns() + 2000000000ull;
	while (!__atomic_load_n(&u.done, __ATOMIC_ACQUIRE) && ht_now_ns() < deadline)
		ht_sleep_us(100);
	pthread_mutex_unlock(&t.dev->lock);
	T_ASSERT(__atomic_load_n(&u.done, __ATOMIC_ACQUIRE));
	pthread_join(th, NULL);
	T_ASSERT_OK(u.ret[0]);
	T_ASSERT_OK(u.ret[1]);
	T_ASSERT_OK(u.ret[2]);
	T_ASSERT_EQ_U64(u.val, ht_word(0xb, 0x10));
	T_ASSERT_EQ_U64(u.blk[0], 0x5eed);
	T_ASSERT_EQ_U64(u.blk[1], ht_word(0xb, 0x20));

	/* Inside still waits for the UNLOCK. */
	inside_waits_for_unlock(t.dev, 0x100008, ht_word(0xa, 8));
	ht_expect_clean(t.dev);
	ht_free(&t, a, 0);
	ht_free(&t, b, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

/* An UPDATE that disables the AS wakes a stalled access, which fails. */
T_TEST(lock_disable_wakes, "hw/mmu/lock/disable-wakes-stalled")
{
	struct ht t;
	struct ht_pt pt;
	struct reader in = { 0 };
	phys_addr_t a;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	a = ht_page(&t, MM_OWNER_BO, 0xa);
	ht_pt_map4k(&pt, 0x100000, a, 0);
	ht_as_enable(t.dev, AS, pt.root);
	ht_as_lock(t.dev, AS, 0x100000, 0x1000);
	inside_waits_for_unlock(t.dev, 0x100000, ht_word(0xa, 0));

	/* Locked again, then disabled (after unlocking, as panthor does). */
	ht_as_lock(t.dev, AS, 0x100000, 0x1000);
	in.dev = t.dev;
	in.va = 0x100000;
	T_ASSERT_OK(pthread_create(&in.th, NULL, reader_fn, &in));
	T_ASSERT(!wait_done(&in, 20));
	ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UNLOCK);
	ht_as_disable(t.dev, AS);
	T_ASSERT(wait_done(&in, 2000));
	pthread_join(in.th, NULL);
	T_ASSERT(in.ret == 0 || in.ret == -EIO);
	ht_expect_clean(t.dev);
	ht_free(&t, a, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

/*
 * LOCK drains in-flight accesses: a unit busy with long block reads keeps
 * AS_ACTIVE set after the command's own time, until its read is over.
 */
struct streamer {
	struct hw_device *dev;
	uint64_t va;
	size_t len;
	void *buf;
	bool stop;
	unsigned long reads;
	pthread_t th;
};

static void *streamer_fn(void *arg)
{
	struct streamer *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		if (hw_read(s->dev, AS, s->va, s->buf, s->len, NULL))
			break;
		__atomic_store_n(&s->reads, s->reads + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

T_TEST(lock_drains, "hw/mmu/lock/drains-in-flight-accesses")
{
	struct ht t;
	struct ht_pt pt;
	struct streamer s = { 0 };
	phys_addr_t blk;
	uint64_t total = 0, slow = 0;
	const unsigned int rounds = 20;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	blk = ht_block2m(&t, MM_OWNER_BO, 5);
	for (unsigned int i = 0; i < 8; i++)
		ht_pt_set(&pt, 0x40000000 + i * SZ_2M, 2, HT_BLOCK(blk, 0));
	ht_as_enable(t.dev, AS, pt.root);
	s.dev = t.dev;
	s.va = 0x40000000;
	s.len = 16 << 20;
	s.buf = malloc(s.len);
	T_ASSERT_NOT_NULL(s.buf);
	T_ASSERT_OK(pthread_create(&s.th, NULL, streamer_fn, &s));
	while (!__atomic_load_n(&s.reads, __ATOMIC_RELAXED))
		ht_sleep_us(100);
	for (unsigned int i = 0; i < rounds; i++) {
		uint64_t t0, dt;

		ht_as_wait(t.dev, AS);
		/* Inside the streamer's 16 MiB reads: its access in flight must drain. */
		ht_as_write64(t.dev, AS, HW_AS_LOCKADDR_LO, ht_lockaddr(0x40800000, 0x1000));
		wr(t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_LOCK);
		t0 = ht_now_ns();
		ht_as_wait(t.dev, AS);
		dt = ht_now_ns() - t0;
		total += dt;
		if (dt > 100000)
			slow++;
		ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UNLOCK);
		ht_sleep_us(300 + (unsigned int)(t_rand() % 700));
	}
	__atomic_store_n(&s.stop, true, __ATOMIC_RELAXED);
	pthread_join(s.th, NULL);
	t_note("LOCK with a unit streaming: mean AS_ACTIVE %llu us, %llu of %u above 100 us",
	       (unsigned long long)(total / rounds / 1000), (unsigned long long)slow, rounds);
	/* The command's own time is 2 us: without the drain nothing would wait. */
	T_ASSERT(slow >= rounds / 4);
	ht_expect_clean(t.dev);
	free(s.buf);
	ht_free(&t, blk, 9);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

/*
 * The drain is scoped: a LOCK waits only for accesses in flight on its AS
 * that may touch its region; an UPDATE (and FLUSH_MEM) for every access in
 * flight on its AS. A unit slot is made to look in flight (seq odd, its
 * current access recorded) and never finishes by itself, so each case is
 * decided without timing: AS_ACTIVE clears at once, or stays set until the
 * test ends the access.
 */
static bool as_active(struct hw_device *dev, unsigned int as)
{
	return rd(dev, HW_MMU_AS(as) + HW_AS_STATUS) & HW_AS_STATUS_AS_ACTIVE;
}

static void fake_in_flight(struct hw_agent *ag, unsigned int as, uint64_t va, uint64_t last)
{
	__atomic_store_n(&ag->cur_as, as, __ATOMIC_RELAXED);
	__atomic_store_n(&ag->cur_va, va, __ATOMIC_RELAXED);
	__atomic_store_n(&ag->cur_last, last, __ATOMIC_RELAXED);
	__atomic_store_n(&ag->seq, __atomic_load_n(&ag->seq, __ATOMIC_RELAXED) | 1, __ATOMIC_RELEASE);
}

static void fake_done(struct hw_agent *ag)
{
	__atomic_store_n(&ag->seq, __atomic_load_n(&ag->seq, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}

/* Still active 5 ms after the command: it waits for the fake access (the command itself takes 2 us). */
static bool waits_for_fake(struct hw_device *dev, unsigned int as)
{
	uint64_t until = ht_now_ns() + 5000000ull;

	while (ht_now_ns() < until)
		if (!as_active(dev, as))
			return false;
	return true;
}

T_TEST(lock_drain_scoped, "hw/mmu/lock/drain-only-what-may-touch-the-region")
{
	struct ht t;
	struct ht_pt pt;
	struct hw_agent *fake;
	phys_addr_t a;
	uint64_t v;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	a = ht_page(&t, MM_OWNER_BO, 0xa);
	ht_pt_map4k(&pt, 0x100000, a, 0);
	ht_as_enable(t.dev, AS, pt.root);
	ht_as_enable(t.dev, AS + 1, pt.root);
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x100000, &v, NULL));	/* a unit exists: drains run */
	fake = &t.dev->agents[HW_MAX_AGENTS - 1];
	T_ASSERT(!fake->in_use);

	/* In flight on AS at [0x200000, 0x203fff]. */
	fake_in_flight(fake, AS, 0x200000, 0x203fff);
	/* A LOCK elsewhere on the AS: no wait. */
	ht_as_write64(t.dev, AS, HW_AS_LOCKADDR_LO, ht_lockaddr(0x400000, 0x1000));
	wr(t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_LOCK);
	T_ASSERT(!waits_for_fake(t.dev, AS));
	ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UNLOCK);
	/* A LOCK of the same VAs on another AS: no wait. */
	ht_as_write64(t.dev, AS + 1, HW_AS_LOCKADDR_LO, ht_lockaddr(0x200000, 0x1000));
	wr(t.dev, HW_MMU_AS(AS + 1) + HW_AS_COMMAND, HW_AS_COMMAND_LOCK);
	T_ASSERT(!waits_for_fake(t.dev, AS + 1));
	ht_as_cmd(t.dev, AS + 1, HW_AS_COMMAND_UNLOCK);
	/* A LOCK whose region meets the access's last page: waits until it ends. */
	ht_as_write64(t.dev, AS, HW_AS_LOCKADDR_LO, ht_lockaddr(0x203000, 0x1000));
	wr(t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_LOCK);
	T_ASSERT(waits_for_fake(t.dev, AS));
	fake_done(fake);
	ht_as_wait(t.dev, AS);
	ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UNLOCK);
	/* FLUSH_MEM waits for any access in flight on its AS, wherever it is. */
	fake_in_flight(fake, AS, 0x7000000000, 0x7000000007);
	ht_as_lock(t.dev, AS, 0x400000, 0x1000);	/* (FLUSH_MEM unlocks it) */
	wr(t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_FLUSH_MEM);
	T_ASSERT(waits_for_fake(t.dev, AS));
	fake_done(fake);
	ht_as_wait(t.dev, AS);
	/* So does an UPDATE. */
	fake_in_flight(fake, AS, 0x7000000000, 0x7000000007);
	wr(t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_UPDATE);
	T_ASSERT(waits_for_fake(t.dev, AS));
	fake_done(fake);
	ht_as_wait(t.dev, AS);

	ht_expect_clean(t.dev);
	ht_free(&t, a, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

/* ---------------------------------------------------------------------
 * AS_ACTIVE
 * ------------------------------------------------------------------- */

T_TEST(as_active_timing, "hw/mmu/as-active/timing")
{
	struct hw_config cfg;
	struct ht t;
	uint64_t t0, dt;

	hw_config_default(&cfg);
	cfg.as_cmd_ns = 20000000;		/* 20 ms */
	ht_init(&t, &cfg);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS) + HW_AS_STATUS), 0);
	t0 = ht_now_ns();
	wr(t.dev, HW_MMU_AS(AS) + HW_AS_COMMAND, HW_AS_COMMAND_NOP);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS) + HW_AS_STATUS), HW_AS_STATUS_AS_ACTIVE);
	ht_sleep_us(5000);
	if (ht_now_ns() - t0 < 15000000)
		T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS) + HW_AS_STATUS), HW_AS_STATUS_AS_ACTIVE);
	/* Other ASes are not busy. */
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS + 1) + HW_AS_STATUS), 0);
	ht_as_wait(t.dev, AS);
	dt = ht_now_ns() - t0;
	T_ASSERT(dt >= 20000000);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS) + HW_AS_STATUS), 0);
	ht_expect_clean(t.dev);
	ht_fini(&t);
}

T_TEST(as_active_stuck, "hw/knob/stuck-as-active")
{
	struct ht t;

	ht_init(&t, NULL);
	hw_knob_stuck_as_active(t.dev, AS, true);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS) + HW_AS_STATUS), HW_AS_STATUS_AS_ACTIVE);
	ht_sleep_us(2000);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS) + HW_AS_STATUS), HW_AS_STATUS_AS_ACTIVE);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS - 1) + HW_AS_STATUS), 0);
	hw_knob_stuck_as_active(t.dev, AS, false);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS) + HW_AS_STATUS), 0);
	/* A soft reset also clears it (the driver's recovery path). */
	hw_knob_stuck_as_active(t.dev, AS, true);
	wr(t.dev, HW_GPU_CMD, HW_GPU_CMD_SOFT_RESET);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS) + HW_AS_STATUS), 0);
	ht_expect_clean(t.dev);
	ht_fini(&t);
}

/* ---------------------------------------------------------------------
 * Translation
 * ------------------------------------------------------------------- */

T_TEST(translate_pages, "hw/mmu/translate/pages-and-blocks")
{
	struct ht t;
	struct ht_pt pt;
	phys_addr_t p4k, blk, big, gbase;
	uint64_t v;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	p4k = ht_page(&t, MM_OWNER_BO, 0x44);
	blk = ht_block2m(&t, MM_OWNER_BO, 0x22);
	big = ht_block2m(&t, MM_OWNER_BO, 0x11);
	ht_pt_map4k(&pt, 0x7fffffff000ull, p4k, 0);
	ht_pt_set(&pt, 0x800000, 2, HT_BLOCK(blk, 0));
	/* A 1 GiB block at the 1 GiB-aligned PA below @big; only @big is touched. */
	gbase = big & ~(SZ_1G - 1);
	ht_pt_set(&pt, 0x8000000000ull, 1, HT_BLOCK(gbase, 0));
	ht_as_enable(t.dev, AS, pt.root);

	T_ASSERT_OK(hw_read64(t.dev, AS, 0x7fffffff000ull + 0xff8, &v, NULL));
	T_ASSERT_EQ_U64(v, ht_word(0x44, 0xff8));
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x800000 + 0x123450, &v, NULL));
	T_ASSERT_EQ_U64(v, ht_word(0x22, 0x123450));
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x8000000000ull + (big - gbase) + 0x1ff000, &v, NULL));
	T_ASSERT_EQ_U64(v, ht_word(0x11, 0x1ff000));
	/* Writes land in the frame. */
	T_ASSERT_OK(hw_write64(t.dev, AS, 0x800000 + 0x10, 0x1234, NULL));
	T_ASSERT_EQ_U64(*(uint64_t *)((char *)mm_pa_to_virt(blk) + 0x10), 0x1234);
	ht_expect_clean(t.dev);
	ht_free(&t, p4k, 0);
	ht_free(&t, blk, 9);
	ht_free(&t, big, 9);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

T_TEST(translate_va39, "hw/mmu/translate/va39-starts-at-level-1")
{
	struct hw_config cfg;
	struct ht t;
	struct ht_pt pt;
	struct hw_fault f;
	phys_addr_t p;
	uint64_t v;

	hw_config_default(&cfg);
	cfg.mmu_features = 0x2827;
	ht_init(&t, &cfg);
	ht_pt_init(&pt, &t, 39);
	T_ASSERT_EQ_INT(pt.start_level, 1);
	p = ht_page(&t, MM_OWNER_BO, 0x39);
	ht_pt_map4k(&pt, 0x7fc0001000ull, p, 0);
	ht_as_write64(t.dev, AS, HW_AS_TRANSTAB_LO, pt.root);
	ht_as_write64(t.dev, AS, HW_AS_MEMATTR_LO, HT_MEMATTR);
	ht_as_write64(t.dev, AS, HW_AS_TRANSCFG_LO, HW_AS_TRANSCFG_ADRMODE_AARCH64_4K |
		      HW_AS_TRANSCFG_INA_BITS(55 - 39));
	ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UPDATE);
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x7fc0001008ull, &v, NULL));
	T_ASSERT_EQ_U64(v, ht_word(0x39, 8));
	T_ASSERT_ERRNO(hw_read64(t.dev, AS, 1ull << 39, &v, &f), EFAULT);
	T_ASSERT_EQ_U64(f.exception_type, HW_EXC_ADDR_SIZE_FAULT_IN);
	T_ASSERT_EQ_INT(hw_checker_violations(t.dev), 0);
	hw_checker_reset(t.dev);
	ht_free(&t, p, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

T_TEST(translate_unmapped, "hw/mmu/translate/unmapped-and-identity")
{
	struct ht t;
	struct ht_pt pt;
	phys_addr_t p;
	uint64_t v;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	p = ht_page(&t, MM_OWNER_BO, 0x1d);
	ht_pt_map4k(&pt, 0x1000, p, 0);
	/* Power-on state: no translation. */
	T_ASSERT_ERRNO(hw_read64(t.dev, AS, 0x1000, &v, NULL), EIO);
	ht_as_enable(t.dev, AS, pt.root);
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x1000, &v, NULL));
	/* ADRMODE UNMAPPED: refused, nothing latched, no interrupt. */
	ht_as_disable(t.dev, AS);
	T_ASSERT_ERRNO(hw_read64(t.dev, AS, 0x1000, &v, NULL), EIO);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_RAWSTAT), 0);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS) + HW_AS_FAULTSTATUS), 0);
	/* ADRMODE IDENTITY: PA = VA. */
	ht_as_write64(t.dev, AS, HW_AS_TRANSCFG_LO, HW_AS_TRANSCFG_ADRMODE_IDENTITY);
	ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UPDATE);
	T_ASSERT_OK(hw_read64(t.dev, AS, p + 0x20, &v, NULL));
	T_ASSERT_EQ_U64(v, ht_word(0x1d, 0x20));
	/* Arguments. */
	T_ASSERT_ERRNO(hw_read64(t.dev, 8, 0x1000, &v, NULL), ENODEV);
	T_ASSERT_ERRNO(hw_read64(t.dev, HW_MAX_AS + 3, 0x1000, &v, NULL), ENODEV);
	T_ASSERT_ERRNO(hw_read(t.dev, AS, 0x1000, &v, 0, NULL), EINVAL);
	T_ASSERT_ERRNO(hw_read(t.dev, AS, UINT64_MAX - 3, &v, 8, NULL), EINVAL);
	T_ASSERT_ERRNO(hw_access(t.dev, AS, 0x1000, HW_ACCESS_ATOMIC, &v, 8, NULL), EINVAL);
	T_ASSERT_ERRNO(hw_atomic(t.dev, AS, 0x1004, HW_ATOMIC_ADD, 8, 1, 0, NULL, NULL), EINVAL);
	T_ASSERT_ERRNO(hw_atomic(t.dev, AS, 0x1000, HW_ATOMIC_ADD, 2, 1, 0, NULL, NULL), EINVAL);
	T_ASSERT_ERRNO(hw_as_stats(t.dev, 9, &(struct hw_as_stats){ 0 }), ENODEV);
	ht_expect_clean(t.dev);
	ht_free(&t, p, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

/* ---------------------------------------------------------------------
 * Faults, table-driven: each case builds its tables, makes one access and
 * expects one exception code.
 * ------------------------------------------------------------------- */

struct fault_env {
	struct ht *t;
	struct ht_pt *pt;
	phys_addr_t page;
	phys_addr_t block;
};

struct fault_case {
	void (*setup)(struct fault_env *e);
	uint64_t va;
	enum hw_access_type type;
	uint32_t exc;		/* 0: the access must succeed */
	uint64_t transcfg;	/* extra TRANSCFG bits */
	uint64_t memattr;	/* MEMATTR, 0: panthor's */
};

static void fc_empty(struct fault_env *e) { (void)e; }
static void fc_l1(struct fault_env *e) { ht_pt_map4k(e->pt, 0x40000000, e->page, 0); }
static void fc_l2(struct fault_env *e) { ht_pt_map4k(e->pt, 0x200000, e->page, 0); }
static void fc_l3(struct fault_env *e) { ht_pt_map4k(e->pt, 0x2000, e->page, 0); }
static void fc_l3_type01(struct fault_env *e)
{
	ht_pt_set(e->pt, 0x1000, 3, e->page | HW_PTE_TYPE_BLOCK | HT_LEAF_ATTRS);
}
static void fc_l0_block(struct fault_env *e) { ht_pt_set(e->pt, 0x1000, 0, HT_BLOCK(0, 0)); }
static void fc_ro(struct fault_env *e) { ht_pt_map4k(e->pt, 0x1000, e->page, HW_PTE_AP_RDONLY); }
static void fc_noexec(struct fault_env *e) { ht_pt_map4k(e->pt, 0x1000, e->page, HT_NOEXEC); }
static void fc_pxn(struct fault_env *e) { ht_pt_map4k(e->pt, 0x1000, e->page, HW_PTE_PXN); }
static void fc_priv(struct fault_env *e)
{
	ht_pt_set(e->pt, 0x1000, 3, HT_PAGE(e->page, 0) & ~HW_PTE_AP_UNPRIV);
}
static void fc_block_ro(struct fault_env *e)
{
	ht_pt_set(e->pt, 0x200000, 2, HT_BLOCK(e->block, HW_PTE_AP_RDONLY));
}
static void fc_no_af(struct fault_env *e)
{
	ht_pt_set(e->pt, 0x1000, 3, HT_PAGE(e->page, 0) & ~HW_PTE_AF);
}
static void fc_block_no_af(struct fault_env *e)
{
	ht_pt_set(e->pt, 0x200000, 2, HT_BLOCK(e->block, 0) & ~HW_PTE_AF);
}
static void fc_out_pa(struct fault_env *e) { ht_pt_map4k(e->pt, 0x1000, 1ull << 40, 0); }
static void fc_out_table(struct fault_env *e)
{
	ht_pt_set(e->pt, 0x1000, 1, (1ull << 41) | HW_PTE_TYPE_TABLE);
}
static void fc_bus_table(struct fault_env *e)
{
	ht_pt_set(e->pt, 0x1000, 2, 0x1000 | HW_PTE_TYPE_TABLE);
}

static const struct fault_case fault_cases[] = {
	/* 0 */ { fc_empty, 0x1000, HW_ACCESS_READ, 0xc0, 0, 0 },
	/* 1 */ { fc_l1, 0x1000, HW_ACCESS_READ, 0xc1, 0, 0 },
	/* 2 */ { fc_l2, 0x1000, HW_ACCESS_WRITE, 0xc2, 0, 0 },
	/* 3 */ { fc_l3, 0x1000, HW_ACCESS_READ, 0xc3, 0, 0 },
	/* 4 */ { fc_l3_type01, 0x1000, HW_ACCESS_READ, 0xc3, 0, 0 },
	/* 5 */ { fc_l0_block, 0x1000, HW_ACCESS_READ, 0xc0, 0, 0 },
	/* 6 */ { fc_ro, 0x1000, HW_ACCESS_WRITE, 0xcb, 0, 0 },
	/* 7 */ { fc_ro, 0x1000, HW_ACCESS_ATOMIC, 0xcb, 0, 0 },
	/* 8 */ { fc_ro, 0x1000, HW_ACCESS_READ, 0, 0, 0 },
	/* 9 */ { fc_noexec, 0x1000, HW_ACCESS_EXECUTE, 0xcb, 0, 0 },
	/* 10 */ { fc_pxn, 0x1000, HW_ACCESS_EXECUTE, 0, 0, 0 },
	/* 11 */ { fc_priv, 0x1000, HW_ACCESS_READ, 0xcb, 0, 0 },
	/* 12 */ { fc_block_ro, 0x200000, HW_ACCESS_WRITE, 0xca, 0, 0 },
	/* 13 */ { fc_no_af, 0x1000, HW_ACCESS_READ, 0xdb, 0, 0 },
	/* 14 */ { fc_block_no_af, 0x3ff000, HW_ACCESS_READ, 0xda, 0, 0 },
	/* 15 */ { fc_no_af, 0x1000, HW_ACCESS_READ, 0, HW_AS_TRANSCFG_DISABLE_AF_FAULT, 0 },
	/* 16 */ { fc_empty, 1ull << 48, HW_ACCESS_READ, 0xe0, 0, 0 },
	/* 17 */ { fc_out_pa, 0x1000, HW_ACCESS_READ, 0xe7, 0, 0 },
	/* 18 */ { fc_out_table, 0x1000, HW_ACCESS_READ, 0xe5, 0, 0 },
	/* 19 */ { fc_bus_table, 0x1000, HW_ACCESS_READ, 0xd3, 0, 0 },
	/* 20 */ { fc_l3, 0x2000, HW_ACCESS_READ, 0xeb, 0, HT_MEMATTR | 0xc000 },
	/* 21 */ { fc_block_ro, 0x200000, HW_ACCESS_READ, 0xea, 0, HT_MEMATTR | 0xc000 },
};

static int do_access(struct hw_device *dev, uint64_t va, enum hw_access_type type,
		     struct hw_fault *f)
{
	uint64_t v = 0;

	if (type == HW_ACCESS_ATOMIC)
		return hw_atomic(dev, AS, va, HW_ATOMIC_ADD, 8, 1, 0, &v, f);
	return hw_access(dev, AS, va, type, &v, 8, f);
}

static void run_fault_case(const struct fault_case *c)
{
	struct ht t;
	struct ht_pt pt;
	struct fault_env e = { .t = &t, .pt = &pt };
	struct hw_fault f = { 0 };
	struct hw_as_stats st;
	uint32_t fs;
	int ret;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	e.page = ht_page(&t, MM_OWNER_BO, 0xfa);
	e.block = ht_block2m(&t, MM_OWNER_BO, 0xfb);
	c->setup(&e);
	ht_as_write64(t.dev, AS, HW_AS_TRANSTAB_LO, pt.root);
	ht_as_write64(t.dev, AS, HW_AS_MEMATTR_LO, c->memattr ? c->memattr : HT_MEMATTR);
	ht_as_write64(t.dev, AS, HW_AS_TRANSCFG_LO, HT_TRANSCFG_48 | c->transcfg);
	ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UPDATE);
	wr(t.dev, HW_MMU_INT_MASK, 0xffff);

	ret = do_access(t.dev, c->va, c->type, &f);
	if (!c->exc) {
		T_ASSERT_OK(ret);
		T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_RAWSTAT), 0);
		goto out;
	}
	T_ASSERT_ERRNO(ret, EFAULT);
	T_ASSERT_EQ_U64(f.exception_type, c->exc);
	T_ASSERT_EQ_INT(f.access_type, c->type);
	T_ASSERT_EQ_U64(f.va, c->va);
	T_ASSERT_EQ_INT(f.as, AS);
	fs = rd(t.dev, HW_MMU_AS(AS) + HW_AS_FAULTSTATUS);
	T_ASSERT_EQ_U64(HW_AS_FAULTSTATUS_EXCEPTION(fs), c->exc);
	T_ASSERT_EQ_U64(HW_AS_FAULTSTATUS_ACCESS(fs), c->type);
	T_ASSERT_EQ_U64(HW_AS_FAULTSTATUS_SOURCE(fs), 0);	/* the first GPU unit */
	T_ASSERT_EQ_U64(ht_as_read64(t.dev, AS, HW_AS_FAULTADDRESS_LO), c->va);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_RAWSTAT), HW_MMU_PAGE_FAULT(AS));
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_STAT), HW_MMU_PAGE_FAULT(AS));
	/* The AS is stopped: every access fails and the first fault stays latched. */
	T_ASSERT_ERRNO(do_access(t.dev, 0x5000, HW_ACCESS_WRITE, &f), EIO);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS) + HW_AS_FAULTSTATUS), fs);
	st = stats(t.dev, AS);
	T_ASSERT_EQ_U64(st.faults, 1);
	/* Cleared and re-programmed, it translates again; FAULTSTATUS keeps the old value. */
	wr(t.dev, HW_MMU_INT_CLEAR, HW_MMU_PAGE_FAULT(AS));
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_RAWSTAT), 0);
	ht_pt_map4k(&pt, 0x40005000, e.page, 0);	/* while stopped: no note */
	ht_as_write64(t.dev, AS, HW_AS_MEMATTR_LO, HT_MEMATTR);
	ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UPDATE);
	T_ASSERT_OK(do_access(t.dev, 0x40005000, HW_ACCESS_WRITE, &f));
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS) + HW_AS_FAULTSTATUS), fs);
out:
	ht_expect_clean(t.dev);
	ht_free(&t, e.page, 0);
	ht_free(&t, e.block, 9);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

#define FAULT_CASE(i, name) \
	T_TEST(fault_case_##i, "hw/mmu/fault/" name) { run_fault_case(&fault_cases[i]); }
FAULT_CASE(0, "translation-level0")
FAULT_CASE(1, "translation-level1")
FAULT_CASE(2, "translation-level2-write")
FAULT_CASE(3, "translation-level3")
FAULT_CASE(4, "translation-level3-reserved-type")
FAULT_CASE(5, "translation-level0-block")
FAULT_CASE(6, "permission-write-read-only")
FAULT_CASE(7, "permission-atomic-read-only")
FAULT_CASE(8, "read-of-read-only-ok")
FAULT_CASE(9, "permission-execute-uxn")
FAULT_CASE(10, "execute-pxn-only-ok")
FAULT_CASE(11, "permission-no-unpriv-access")
FAULT_CASE(12, "permission-2m-block")
FAULT_CASE(13, "access-flag-page")
FAULT_CASE(14, "access-flag-2m-block")
FAULT_CASE(15, "access-flag-disabled-ok")
FAULT_CASE(16, "address-size-in")
FAULT_CASE(17, "address-size-out-leaf")
FAULT_CASE(18, "address-size-out-table")
FAULT_CASE(19, "translation-table-bus")
FAULT_CASE(20, "memory-attribute-page")
FAULT_CASE(21, "memory-attribute-2m-block")

T_TEST(fault_bus, "hw/mmu/fault/gpu-bus-fault")
{
	struct ht t;
	struct ht_pt pt;
	uint64_t v;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	ht_pt_map4k(&pt, 0x1000, 0x7000, 0);		/* PA below DRAM */
	ht_as_enable(t.dev, AS, pt.root);
	T_ASSERT_ERRNO(hw_read64(t.dev, AS, 0x1010, &v, NULL), EIO);
	T_ASSERT_EQ_U64(rd(t.dev, HW_GPU_FAULTSTATUS), HW_EXC_GPU_BUS_FAULT | (HW_ACCESS_READ << 8));
	T_ASSERT_EQ_U64(rd(t.dev, HW_GPU_FAULTADDRESS_LO), 0x7010);
	T_ASSERT_EQ_U64(rd(t.dev, HW_GPU_INT_RAWSTAT), HW_GPU_IRQ_FAULT);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_RAWSTAT), 0);
	/* Never cached: the next access is refused the same way, checker on or off. */
	T_ASSERT_ERRNO(hw_read64(t.dev, AS, 0x1018, &v, NULL), EIO);
	hw_checker_set_mode(t.dev, HW_CHECK_OFF);
	T_ASSERT_ERRNO(hw_read64(t.dev, AS, 0x1018, &v, NULL), EIO);
	T_ASSERT_ERRNO(hw_write64(t.dev, AS, 0x1018, v, NULL), EIO);
	hw_checker_set_mode(t.dev, HW_CHECK_COUNT);
	ht_expect_clean(t.dev);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

T_TEST(fault_knob, "hw/knob/fault-next-access")
{
	struct ht t;
	struct ht_pt pt;
	struct hw_fault f;
	phys_addr_t p;
	uint64_t v;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	p = ht_page(&t, MM_OWNER_BO, 1);
	ht_pt_map4k(&pt, 0x1000, p, 0);
	ht_as_enable(t.dev, AS, pt.root);
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x1000, &v, NULL));	/* cached in the TLB */
	hw_knob_fault_next_access(t.dev, AS, 0xc3);
	T_ASSERT_ERRNO(hw_read64(t.dev, AS, 0x1000, &v, &f), EFAULT);
	T_ASSERT_EQ_U64(f.exception_type, 0xc3);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_AS(AS) + HW_AS_FAULTSTATUS), 0xc3 | (HW_ACCESS_READ << 8));
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_RAWSTAT), HW_MMU_PAGE_FAULT(AS));
	T_ASSERT_ERRNO(hw_read64(t.dev, AS, 0x1000, &v, &f), EIO);
	wr(t.dev, HW_MMU_INT_CLEAR, 0xffffffff);
	ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UPDATE);
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x1000, &v, NULL));	/* one shot */
	ht_expect_clean(t.dev);
	ht_free(&t, p, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

T_TEST(mmu_irq_mask, "hw/irq/mmu-mask-and-clear")
{
	struct ht t;
	struct ht_pt pt;
	uint64_t v;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	ht_as_enable(t.dev, 1, pt.root);
	ht_as_enable(t.dev, 5, pt.root);
	T_ASSERT_ERRNO(hw_read64(t.dev, 1, 0x1000, &v, NULL), EFAULT);
	T_ASSERT_ERRNO(hw_read64(t.dev, 5, 0x1000, &v, NULL), EFAULT);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_RAWSTAT), 0x22);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_STAT), 0);
	wr(t.dev, HW_MMU_INT_MASK, 0x20);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_STAT), 0x20);
	wr(t.dev, HW_MMU_INT_CLEAR, 0x20);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_RAWSTAT), 0x2);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_STAT), 0);
	wr(t.dev, HW_MMU_INT_CLEAR, 0xffffffff);
	T_ASSERT_EQ_U64(rd(t.dev, HW_MMU_INT_RAWSTAT), 0);
	ht_expect_clean(t.dev);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

/* ---------------------------------------------------------------------
 * TLB
 * ------------------------------------------------------------------- */

T_TEST(tlb_update, "hw/mmu/tlb/update-invalidates-and-counts")
{
	struct ht t;
	struct ht_pt pt;
	phys_addr_t p;
	struct hw_as_stats st;
	uint64_t v;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	p = ht_page(&t, MM_OWNER_BO, 2);
	ht_pt_map4k(&pt, 0x1000, p, 0);
	ht_pt_map4k(&pt, 0x2000, p, 0);
	ht_as_enable(t.dev, AS, pt.root);
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x1000, &v, NULL));
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x1008, &v, NULL));
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x2000, &v, NULL));
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x1010, &v, NULL));
	st = stats(t.dev, AS);
	T_ASSERT_EQ_U64(st.accesses, 4);
	T_ASSERT_EQ_U64(st.tlb_misses, 2);
	T_ASSERT_EQ_U64(st.walks, 2);
	T_ASSERT_EQ_U64(st.tlb_hits, 2);
	ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UPDATE);
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x1000, &v, NULL));
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x2000, &v, NULL));
	st = stats(t.dev, AS);
	T_ASSERT_EQ_U64(st.tlb_misses, 4);
	/* Another AS's UPDATE does not touch this one's entries. */
	ht_as_enable(t.dev, AS + 1, pt.root);
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x1000, &v, NULL));
	T_ASSERT_EQ_U64(stats(t.dev, AS).tlb_misses, 4);
	ht_expect_clean(t.dev);
	ht_free(&t, p, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

T_TEST(tlb_disabled, "hw/mmu/tlb/disabled-every-access-walks")
{
	struct hw_config cfg;
	struct ht t;
	struct ht_pt pt;
	phys_addr_t p1, p2;
	struct hw_as_stats st;
	uint64_t v;

	hw_config_default(&cfg);
	cfg.tlb_entries = 0;
	ht_init(&t, &cfg);
	ht_pt_init(&pt, &t, 48);
	p1 = ht_page(&t, MM_OWNER_BO, 1);
	p2 = ht_page(&t, MM_OWNER_BO, 2);
	ht_pt_map4k(&pt, 0x1000, p1, 0);
	ht_as_enable(t.dev, AS, pt.root);
	for (int i = 0; i < 5; i++)
		T_ASSERT_OK(hw_read64(t.dev, AS, 0x1000, &v, NULL));
	T_ASSERT_EQ_U64(v, ht_word(1, 0));
	st = stats(t.dev, AS);
	T_ASSERT_EQ_U64(st.accesses, 5);
	T_ASSERT_EQ_U64(st.walks, 5);
	T_ASSERT_EQ_U64(st.tlb_hits, 0);
	T_ASSERT_EQ_U64(st.tlb_misses, 0);
	/* Without a TLB a change is seen at once (and still judged). */
	ht_as_lock(t.dev, AS, 0x1000, 0x1000);
	ht_pt_map4k(&pt, 0x1000, p2, 0);
	ht_gpu_flush(t.dev);
	ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UNLOCK);
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x1000, &v, NULL));
	T_ASSERT_EQ_U64(v, ht_word(2, 0));
	ht_expect_clean(t.dev);
	ht_free(&t, p1, 0);
	ht_free(&t, p2, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

T_TEST(tlb_stale, "hw/mmu/tlb/stale-until-invalidated")
{
	struct ht t;
	struct ht_pt pt;
	phys_addr_t p1, p2;
	struct hw_report r;
	uint64_t v;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	p1 = ht_page(&t, MM_OWNER_BO, 1);
	p2 = ht_page(&t, MM_OWNER_BO, 2);
	ht_pt_map4k(&pt, 0x10000, p1, 0);
	ht_as_enable(t.dev, AS, pt.root);
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x10000, &v, NULL));
	T_ASSERT_EQ_U64(v, ht_word(1, 0));
	/* Changed with no lock and no flush: the TLB still has the old page. */
	ht_pt_map4k(&pt, 0x10000, p2, 0);
	ht_expect(t.dev, HW_NOTE_UNLOCKED_CHANGE, 1);
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x10008, &v, NULL));
	T_ASSERT_EQ_U64(v, ht_word(1, 8));
	ht_expect(t.dev, HW_VIOL_STALE_TLB, 1);
	T_ASSERT_EQ_INT(hw_checker_reports(t.dev, &r, 1), 1);
	T_ASSERT_EQ_INT(r.kind, HW_VIOL_STALE_TLB);
	T_ASSERT_EQ_INT(r.as, AS);
	T_ASSERT_EQ_U64(r.va, 0x10008);
	T_ASSERT_EQ_U64(r.actual, p1 + 8);
	T_ASSERT_EQ_U64(r.expected, p2 + 8);
	T_ASSERT(strstr(r.last_change, "outside") != NULL);
	hw_checker_reset(t.dev);
	/* LOCK/UNLOCK of a region covering it: the new page, no report. */
	ht_as_lock(t.dev, AS, 0x10000, 0x1000);
	ht_as_cmd(t.dev, AS, HW_AS_COMMAND_UNLOCK);
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x10008, &v, NULL));
	T_ASSERT_EQ_U64(v, ht_word(2, 8));
	ht_expect_clean(t.dev);
	ht_free(&t, p1, 0);
	ht_free(&t, p2, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

/* ---------------------------------------------------------------------
 * The access port
 * ------------------------------------------------------------------- */

T_TEST(access_sizes, "hw/access/sizes-and-blocks")
{
	struct ht t;
	struct ht_pt pt;
	phys_addr_t p[3];
	uint8_t buf[3 * 4096], back[3 * 4096];
	uint8_t b;
	uint16_t h;
	uint32_t w;
	struct hw_as_stats st;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	/* Three VA-contiguous pages on frames in reverse order. */
	for (int i = 0; i < 3; i++)
		p[i] = ht_page(&t, MM_OWNER_BO, (uint32_t)i);
	for (int i = 0; i < 3; i++)
		ht_pt_map4k(&pt, 0x100000 + (uint64_t)i * 0x1000, p[2 - i], 0);
	ht_as_enable(t.dev, AS, pt.root);

	T_ASSERT_OK(hw_read(t.dev, AS, 0x100000, &b, 1, NULL));
	T_ASSERT_EQ_U64(b, (uint8_t)ht_word(2, 0));
	T_ASSERT_OK(hw_write(t.dev, AS, 0x100006, &(uint16_t){ 0xbeef }, 2, NULL));
	T_ASSERT_OK(hw_read(t.dev, AS, 0x100006, &h, 2, NULL));
	T_ASSERT_EQ_U64(h, 0xbeef);
	T_ASSERT_OK(hw_write(t.dev, AS, 0x100ffe, &(uint32_t){ 0x12345678 }, 4, NULL));  /* crosses */
	T_ASSERT_OK(hw_read(t.dev, AS, 0x100ffe, &w, 4, NULL));
	T_ASSERT_EQ_U64(w, 0x12345678);
	T_ASSERT_EQ_U64(*(uint16_t *)((char *)mm_pa_to_virt(p[2]) + 0xffe), 0x5678);
	T_ASSERT_EQ_U64(*(uint16_t *)mm_pa_to_virt(p[1]), 0x1234);

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	T_ASSERT_OK(hw_write(t.dev, AS, 0x100000 + 100, buf, sizeof(buf) - 200, NULL));
	T_ASSERT_OK(hw_read(t.dev, AS, 0x100000 + 100, back, sizeof(buf) - 200, NULL));
	T_ASSERT(!memcmp(buf, back, sizeof(buf) - 200));
	T_ASSERT_EQ_U64(*((uint8_t *)mm_pa_to_virt(p[1]) + 5), (uint8_t)((4096 - 100 + 5) * 7));
	/* A block access stops at the first page that faults. */
	T_ASSERT_ERRNO(hw_read(t.dev, AS, 0x102000, back, 8192, NULL), EFAULT);
	st = stats(t.dev, AS);
	T_ASSERT_EQ_U64(st.faults, 1);
	ht_expect_clean(t.dev);
	for (int i = 0; i < 3; i++)
		ht_free(&t, p[i], 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

T_TEST(access_atomics, "hw/access/atomics")
{
	struct ht t;
	struct ht_pt pt;
	phys_addr_t p;
	uint64_t old, v;

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	p = ht_page(&t, MM_OWNER_BO, 0);
	ht_pt_map4k(&pt, 0x1000, p, 0);
	ht_as_enable(t.dev, AS, pt.root);
	T_ASSERT_OK(hw_write64(t.dev, AS, 0x1000, 10, NULL));
	T_ASSERT_OK(hw_atomic(t.dev, AS, 0x1000, HW_ATOMIC_ADD, 8, 5, 0, &old, NULL));
	T_ASSERT_EQ_U64(old, 10);
	T_ASSERT_OK(hw_atomic(t.dev, AS, 0x1000, HW_ATOMIC_AND, 8, 0xc, 0, &old, NULL));
	T_ASSERT_EQ_U64(old, 15);
	T_ASSERT_OK(hw_atomic(t.dev, AS, 0x1000, HW_ATOMIC_OR, 8, 0x30, 0, &old, NULL));
	T_ASSERT_EQ_U64(old, 0xc);
	T_ASSERT_OK(hw_atomic(t.dev, AS, 0x1000, HW_ATOMIC_XCHG, 8, 7, 0, &old, NULL));
	T_ASSERT_EQ_U64(old, 0x3c);
	T_ASSERT_OK(hw_atomic(t.dev, AS, 0x1000, HW_ATOMIC_CMPXCHG, 8, 9, 6, &old, NULL));
	T_ASSERT_EQ_U64(old, 7);		/* compare failed */
	T_ASSERT_OK(hw_atomic(t.dev, AS, 0x1000, HW_ATOMIC_CMPXCHG, 8, 9, 7, &old, NULL));
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x1000, &v, NULL));
	T_ASSERT_EQ_U64(v, 9);
	/* 4-byte atomics touch 4 bytes. */
	T_ASSERT_OK(hw_write64(t.dev, AS, 0x1008, 0xffffffff00000001ull, NULL));
	T_ASSERT_OK(hw_atomic(t.dev, AS, 0x1008, HW_ATOMIC_ADD, 4, 0xffffffff, 0, &old, NULL));
	T_ASSERT_EQ_U64(old, 1);
	T_ASSERT_OK(hw_read64(t.dev, AS, 0x1008, &v, NULL));
	T_ASSERT_EQ_U64(v, 0xffffffff00000000ull);
	ht_expect_clean(t.dev);
	ht_free(&t, p, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}

/* More threads over time than unit slots: slots come back at thread exit. */
static void *one_read(void *arg)
{
	struct reader *r = arg;

	r->ret = hw_read64(r->dev, AS, r->va, &r->val, NULL);
	return NULL;
}

T_TEST(units_recycled, "hw/access/units-recycled-at-thread-exit")
{
	struct ht t;
	struct ht_pt pt;
	phys_addr_t p;
	struct reader r[8];

	ht_init(&t, NULL);
	ht_pt_init(&pt, &t, 48);
	p = ht_page(&t, MM_OWNER_BO, 3);
	ht_pt_map4k(&pt, 0x1000, p, 0);
	ht_as_enable(t.dev, AS, pt.root);
	for (int round = 0; round < 12; round++) {
		for (int i = 0; i < 8; i++) {
			r[i] = (struct reader){ .dev = t.dev, .va = 0x1000 + (uint64_t)i * 8 };
			T_ASSERT_OK(pthread_create(&r[i].th, NULL, one_read, &r[i]));
		}
		for (int i = 0; i < 8; i++) {
			pthread_join(r[i].th, NULL);
			T_ASSERT_OK(r[i].ret);
			T_ASSERT_EQ_U64(r[i].val, ht_word(3, (uint64_t)i * 8));
		}
	}
	/* 96 threads' counts survive their exit. */
	T_ASSERT_EQ_U64(stats(t.dev, AS).accesses, 96);
	ht_expect_clean(t.dev);
	ht_free(&t, p, 0);
	ht_pt_fini(&pt);
	ht_fini(&t);
}
